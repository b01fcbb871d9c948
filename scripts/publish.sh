#!/usr/bin/env bash
# Publishes navarch as one self-contained executable (no .NET needed where it runs) to dist/<rid>/navarch.
#   scripts/publish.sh [linux-x64|linux-arm64]      (default: this machine's architecture)
# NAVARCH_DIST_DIR moves the output (default dist/). The build happens in its own artifacts dir under it, so the
# repo's bin/ and obj/ (and a build or test run using them) are not touched.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
    "") case "$(uname -m)" in aarch64|arm64) rid=linux-arm64 ;; *) rid=linux-x64 ;; esac ;;
    linux-x64|linux-arm64) rid=$1 ;;
    *) echo "publish.sh: unknown runtime '$1' (linux-x64 or linux-arm64)" >&2; exit 1 ;;
esac
dist=$(realpath -m "${NAVARCH_DIST_DIR:-dist}")
build="$dist/.build/$rid"
dotnet publish src/Navarch -c Release -r "$rid" --self-contained -p:PublishSingleFile=true \
    --artifacts-path "$build" -o "$build/out" >&2
# Only the executable: what publish leaves beside it (documentation, symbols) is not needed to run it.
install -D -m 0755 "$build/out/navarch" "$dist/$rid/navarch"
echo "$dist/$rid/navarch"
