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
# The executable is an ELF for the runtime asked for (a cross publish takes the target's runtime pack and apphost from
# NuGet): 64-bit, little-endian, machine x86-64 (62) or AArch64 (183). Read from the header with od, so no `file` is needed.
out="$build/out/navarch"
case "$rid" in linux-x64) machine=62 arch=x86-64 ;; linux-arm64) machine=183 arch=aarch64 ;; esac
elf() { od -An -v -t "$1" -j "$2" -N "$3" --endian=little "$out" | tr -d ' \n'; }
if [[ "$(elf x1 0 4)" != 7f454c46 || "$(elf u1 4 1)" != 2 || "$(elf u1 5 1)" != 1 || "$(elf u2 18 2)" != "$machine" ]]; then
    echo "publish.sh: $out is not a 64-bit little-endian ELF for $arch (header: $(elf x1 0 20))" >&2
    exit 1
fi
# Only the executable: what publish leaves beside it (documentation, symbols) is not needed to run it.
install -D -m 0755 "$out" "$dist/$rid/navarch"
echo "$dist/$rid/navarch"
