#!/usr/bin/env bash
# Installs the pinned npm packages (playwright-core, axe-core; no browser download: Debian's
# chromium is used) and runs the browser tests. Usage: run.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
[ -x /usr/bin/chromium ] || { echo "chromium is not installed (apt-get install chromium)"; exit 1; }
cd "$here"
[ -d node_modules/playwright-core ] && [ -d node_modules/axe-core ] || npm ci --no-audit --no-fund --silent
BUILD_DIR="$1" SOURCE_DIR="$2" node --test --test-reporter=spec browser.test.mjs
