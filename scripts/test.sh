#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine, and CI's test command (.ci/run runs this): the
# Debian packages the tests use, the locked npm dependencies, then type-checks, lint, the format
# check and vitest with a coverage summary. One install and one build: `npm ci`'s `prepare`
# script builds dist/ (the compiled CLI some tests run), so this does not call `npm test`, which
# would build again.
set -euo pipefail
cd "$(dirname "$0")/.."

# mosquitto_pub / mosquitto_sub: the MQTT interoperability test runs Debian's real clients.
if ! command -v mosquitto_sub >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && apt-get install -y -qq mosquitto-clients >/dev/null
  else
    sudo apt-get update -qq && sudo apt-get install -y -qq mosquitto-clients >/dev/null
  fi
fi

# openssl: the TLS tests generate their certificates with it (Debian images usually have it).
if ! command -v openssl >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && apt-get install -y -qq openssl >/dev/null
  else
    sudo apt-get update -qq && sudo apt-get install -y -qq openssl >/dev/null
  fi
fi

# Exactly the tree package-lock.json records (npm install could update it); runs `prepare`: the build.
npm ci --no-audit --no-fund
npm run typecheck
npm run lint
npm run format:check
npm run test:coverage
