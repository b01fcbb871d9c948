#!/usr/bin/env bash
# Builds Navarch and starts it on this machine (Debian 12, .NET 10 SDK, as root).
# Installs what it needs first; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/packages.sh
ensure_packages ca-certificates
dotnet build src/Navarch -c Release -o artifacts/navarch >&2
exec artifacts/navarch/navarch version
