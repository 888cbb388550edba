#!/usr/bin/env bash
# The README's test command, on a fresh Debian machine (.ci/run runs it): the Debian packages the
# tests use, the locked npm dependencies, then `npm test` (build, type-checks, lint, the format
# check, vitest with a coverage summary). One install and one build.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests run for real, each installed only when its command is missing:
# - mosquitto_pub / mosquitto_sub: the MQTT interoperability test runs Debian's real clients;
# - openssl: the TLS tests generate their certificates with it (Debian images usually have it);
# - redis-server: the cluster tests start their own on a free port (no service is started here);
# - chromium: the SDK's browser bundles are tested in it, headless, driven by playwright-core
#   (never a browser download of Playwright's own).
missing=()
command -v mosquitto_sub >/dev/null 2>&1 || missing+=(mosquitto-clients)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Exactly the tree package-lock.json records (npm install could update it), without `prepare`:
# npm test builds, once.
npm ci --ignore-scripts --no-audit --no-fund
npm test
