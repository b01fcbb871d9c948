#!/usr/bin/env bash
# Runs every Navarch test on this machine (Debian 12, .NET 10 SDK, as root) and prints
# "N passed, N failed[, N skipped]" counted from the test results. Installs what the tests need.
# Extra arguments go to `dotnet test` (e.g. --filter FullyQualifiedName~Sqlite).
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/packages.sh
. scripts/lib/images.sh

# etcd-server: the etcd conformance fixture starts a real etcd on loopback. docker-registry and apache2-utils
# (htpasswd): the image pull tests run a private registry on loopback.
ensure_packages etcd-server docker-registry apache2-utils
# containerd, runc, CNI plugins, catatonit, busybox-static: the kubelet end-to-end tests run real pods.
ensure_image_packages

results=artifacts/test-results
rm -rf "$results"
dotnet test Navarch.slnx -c Release \
    --logger "trx" --logger "console;verbosity=normal" \
    --results-directory "$results" \
    --blame-hang-timeout 5m "$@"
rc=$?

passed=0 failed=0 skipped=0
shopt -s nullglob
for trx in "$results"/*.trx; do
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
    get() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
    passed=$((passed + $(get passed)))
    run_failed=$(($(get failed) + $(get error) + $(get timeout) + $(get aborted)))
    # A run that aborted (a crashed or hung test host) records no result for the test it was in: count it.
    if ! grep -q '<ResultSummary outcome="Completed"' "$trx" && ((run_failed == 0)); then
        run_failed=1
    fi
    failed=$((failed + run_failed))
    skipped=$((skipped + $(get notExecuted)))
done

line="$passed passed, $failed failed"
((skipped > 0)) && line="$line, $skipped skipped"
echo "$line"
if ((rc != 0 || failed > 0 || passed == 0)); then
    exit 1
fi
