#!/usr/bin/env bash
# Installs what the official-client compatibility scenarios need, only when it is missing (run again at no cost):
# Debian's python3-kubernetes (the official Python client) and the JavaScript project's packages from its lock file
# (@kubernetes/client-node). Run by scripts/test.sh for the Integration tier and by the test fixture itself.
set -euo pipefail
cd "$(dirname "$0")"
. ../../scripts/lib/packages.sh
ensure_packages python3-kubernetes
command -v node >/dev/null && command -v npm >/dev/null || { echo "install.sh: Node.js 20 and npm are needed (the machine's own)" >&2; exit 1; }
# npm ci when node_modules is absent or older than the lock file (a changed dependency).
if [ ! -d javascript/node_modules ] || [ javascript/package-lock.json -nt javascript/node_modules/.package-lock.json ]; then
    (cd javascript && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
