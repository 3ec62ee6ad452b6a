#!/usr/bin/env bash
# Installs what the browser test needs: Debian's chromium and node's
# playwright-core (no browser download: it drives /usr/bin/chromium).
# Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "install-e2e: chromium is missing and there is no apt-get (Debian-family systems only): install chromium by hand" >&2
        exit 1
    fi
    echo "install-e2e: installing Debian chromium ..." >&2
    sudo_cmd=""
    [[ "$(id -u)" -ne 0 ]] && sudo_cmd="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo_cmd apt-get install -y -q chromium >&2 ||
        { $sudo_cmd apt-get update -q >&2 && $sudo_cmd apt-get install -y -q chromium >&2; }
fi
if [[ ! -d tests/e2e/node_modules/playwright-core ]]; then
    command -v npm >/dev/null 2>&1 ||
        { echo "install-e2e: npm is missing: install Node.js with npm" >&2; exit 1; }
    echo "install-e2e: installing playwright-core ..." >&2
    npm ci --prefix tests/e2e --no-audit --no-fund >&2
fi
