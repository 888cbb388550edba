#!/usr/bin/env bash
# The README's test command, on a fresh Debian machine (.ci/run runs it): the Debian packages the
# tests use, the locked npm dependencies, then `npm test` (build, type-checks, lint, the format
# check, vitest with a coverage summary). One install and one build.
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

# Exactly the tree package-lock.json records (npm install could update it), without `prepare`:
# npm test builds, once.
npm ci --ignore-scripts --no-audit --no-fund
npm test
