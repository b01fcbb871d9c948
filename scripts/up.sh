#!/usr/bin/env bash
# Starts Navarch on this machine (Debian 12, .NET 10 SDK, as root): installs what it needs, builds, and runs
# `navarch server` in the foreground with its state in /var/lib/navarch. Safe to run again: it resumes the cluster.
# The admin kubeconfig is written to /etc/navarch/navarch.yaml. Extra arguments go to `navarch server`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/packages.sh
. scripts/lib/images.sh
ensure_packages ca-certificates
# The embedded etcd (--cluster-init, or --server to join one, or a data dir that already has it) is Debian's etcd;
# etcdctl restores its snapshots.
if [[ " $* " == *" --cluster-init "* || " $* " == *" --server "* || -d "${NAVARCH_DATA_DIR:-/var/lib/navarch}/server/db/etcd" ]]; then
    ensure_packages etcd-server etcd-client
fi
dotnet build src/Navarch -c Release -o artifacts/navarch >&2
# The node agent's runtime and its pause and busybox images (imported by `navarch agent` at start).
build_images artifacts/navarch/navarch.dll "${NAVARCH_DATA_DIR:-/var/lib/navarch}/agent/images"
mkdir -p /etc/navarch
echo "kubeconfig: export KUBECONFIG=/etc/navarch/navarch.yaml" >&2
exec dotnet artifacts/navarch/navarch.dll server --write-kubeconfig /etc/navarch/navarch.yaml --write-kubeconfig-mode 600 "$@"
