#!/usr/bin/env bash
# Installs what the tests use beyond Rust: shells for the export round trips.
set -euo pipefail
need=()
command -v bash >/dev/null || need+=(bash)
command -v fish >/dev/null || need+=(fish)
command -v dash >/dev/null || need+=(dash)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
