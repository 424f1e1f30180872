#!/usr/bin/env bash
# Installs puppeteer-core (no browser of its own: the tests drive Debian's chromium),
# pinned by package-lock.json, into
# tests/clients/browser/node_modules. Idempotent: does nothing when the installed tree was
# made from the current lock file. Run by .ci/run, and by the tests themselves when it has
# not run yet.
set -euo pipefail
cd "$(dirname "$0")"
exec 9>.setup.lock
flock 9
stamp=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.warden-lock-sha256 2>/dev/null)" = "$stamp" ]; then
  exit 0
fi
npm ci --silent --no-audit --no-fund
echo "$stamp" > node_modules/.warden-lock-sha256
