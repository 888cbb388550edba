# Warden's container image (docs/deploy.md). Two stages: the build compiles with the dev
# dependencies, the runtime image holds only dist, the production dependencies and the configs,
# and runs as the unprivileged `node` user. UNTESTED with a Docker engine (none runs where Warden
# is developed); test/deploy/dockerfile.test.ts replays these steps as a shell script.
#   docker build -t warden .
#   docker run -p 8800:8800 -p 1883:1883 -v "$PWD/deploy/etc:/etc/warden:ro" warden

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
COPY client/package.json client/
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json tsconfig.client.json ./
COPY protocol protocol
COPY server server
COPY client client
COPY console console
COPY bench bench
COPY scripts scripts
RUN npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/dist/server dist/server
COPY --from=build /src/dist/protocol dist/protocol
# The admin console's page (/console on the admin listener).
COPY --from=build /src/dist/console dist/console
# The SDK workspace: node_modules/@warden-broker/client links to it (warden-broker/client).
COPY --from=build /src/client/package.json client/
COPY --from=build /src/client/dist client/dist
COPY config/warden.yaml config/warden.yaml
COPY deploy/warden.yaml /etc/warden/warden.yaml
COPY deploy/etc/ /etc/warden/
RUN mkdir -p /var/lib/warden && chown node:node /var/lib/warden
USER node
EXPOSE 8800 1883 8802
VOLUME ["/var/lib/warden"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:8802/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/server/cli.js"]
CMD ["--config", "/etc/warden/warden.yaml"]
