#!/usr/bin/env bash
# Runs the Navarch tests on this machine (Debian 12, .NET 10 SDK, as root) and prints
# "N passed, N failed[, N skipped]" counted from the test results. Installs what the tests need.
#
#   scripts/test.sh                   the whole suite (what CI runs)
#   scripts/test.sh --unit            the Unit tier only: pure logic, no server, no root (the fast loop)
#   scripts/test.sh --tier Node       one tier: Unit, Integration, Node or MultiNode (--tier Unit,Integration for two)
#   --no-build                        skips building the solution (it has been built since the last change)
#
# Every test class (or test) carries one [Trait("Category", <tier>)]; see docs/architecture.md, "Tests".
# Other arguments go to `dotnet test`; a --filter is combined with the tier's (e.g. --unit --filter
# FullyQualifiedName~Scheduler).
#
# The solution is built once, then the test projects run side by side: the Unit and Integration tests of every
# project (each on loopback, in temp dirs) at up to NAVARCH_TEST_JOBS at a time (default 3), and beside them, one
# after another, the Node and MultiNode tests (containerd, network namespaces, bridges, iptables, mounts), which
# must never overlap each other.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/packages.sh
. scripts/lib/images.sh

all_tiers=(Unit Integration Node MultiNode)
tiers=()
filter=""
build=1
args=()
while (($# > 0)); do
    case "$1" in
        --unit) tiers+=(Unit); shift ;;
        --tier) IFS=, read -ra more <<<"${2:-}"; tiers+=("${more[@]}"); shift 2 ;;
        --tier=*) IFS=, read -ra more <<<"${1#--tier=}"; tiers+=("${more[@]}"); shift ;;
        --no-build) build=0; shift ;;
        --filter) filter="${2:-}"; shift 2 ;;
        --filter=*) filter="${1#--filter=}"; shift ;;
        *) args+=("$1"); shift ;;
    esac
done
for tier in "${tiers[@]}"; do
    if [[ " ${all_tiers[*]} " != *" $tier "* ]]; then
        echo "test.sh: unknown tier '$tier' (one of: ${all_tiers[*]})" >&2
        exit 2
    fi
done
whole=$((${#tiers[@]} == 0))
((whole)) && tiers=("${all_tiers[@]}")
wants() { [[ " ${tiers[*]} " == *" $1 "* ]]; }

# etcd-server: the etcd conformance tests start a real etcd on loopback; etcd-client: its etcdctl restores etcd snapshots. docker-registry and apache2-utils
# (htpasswd): the image pull tests run a private registry on loopback. prometheus (Debian's 2.42): the monitoring test
# scrapes a node through the API server's http_sd discovery (it starts its own on loopback). containerd, runc, CNI plugins, catatonit,
# busybox-static: the kubelet and end-to-end tests run real pods.
wants Integration && ensure_packages etcd-server etcd-client
# The official-client compatibility scenarios: Debian's python3-kubernetes and test/compat/javascript's npm packages.
wants Integration && test/compat/install.sh
if wants Node || wants MultiNode; then
    ensure_packages docker-registry apache2-utils prometheus
    ensure_image_packages
fi

results=artifacts/test-results
rm -rf "$results"
mkdir -p "$results"
if ((build)) && ! dotnet build Navarch.slnx -c Release > "$results/build.log" 2>&1; then
    grep -E "error|Warn" "$results/build.log" | sort -u >&2
    echo "0 passed, 1 failed (the build failed: $results/build.log)"
    exit 1
fi

# The test filter of a set of tiers, with the caller's --filter.
filter_of() {
    local f="" tier
    for tier in "$@"; do f+="${f:+|}Category=$tier"; done
    [ -n "$filter" ] && f="($f)&($filter)"
    echo "$f"
}

# run NAME PROJECT TIER...: one `dotnet test` of PROJECT's tests of TIER..., its results under $results/NAME.
run() {
    local name="$1" project="$2" began=$SECONDS
    shift 2
    dotnet test "$project" -c Release --no-build --filter "$(filter_of "$@")" \
        --logger "trx" --logger "console;verbosity=normal" --results-directory "$results/$name" \
        --blame-hang-timeout 10m "${args[@]}" > "$results/$name.log" 2>&1
    echo "$?" > "$results/$name.rc"
    local counters
    counters=$(cat "$results/$name"/*.trx 2>/dev/null | grep -o '<Counters [^>]*>' | head -n 1)
    echo "$name ($*): $(echo "$counters" | sed -n 's/.* passed="\([0-9]*\)" failed="\([0-9]*\)".*/\1 passed, \2 failed/p') in $((SECONDS - began)) s"
}

# The tiers of PROJECT's tests among those asked for, from the traits in its sources.
tiers_in() {
    local project="$1" tier
    shift
    for tier in "$@"; do
        wants "$tier" && grep -rqs --include='*.cs' "\"Category\", \"$tier\"" "$project" && echo "$tier"
    done
}

loopback=()   # "name project tiers..." of the Unit and Integration runs, longest first
host=()       # the same of the Node and MultiNode runs
for project in test/Navarch.Controllers.Tests test/Navarch.E2E.Tests test/Navarch.Storage.Tests test/Navarch.ApiServer.Tests \
    test/Navarch.Kubelet.Tests test/Navarch.Dns.Tests test/Navarch.Scheduler.Tests test/Navarch.Client.Tests \
    test/Navarch.Proxy.Tests test/Navarch.Cli.Tests test/Navarch.Api.Machinery.Tests; do
    [ -d "$project" ] || continue
    name=$(basename "$project" .Tests)
    name=${name#Navarch.}
    mapfile -t light < <(tiers_in "$project" Unit Integration)
    ((${#light[@]} > 0)) && loopback+=("$name $project/$(basename "$project").csproj ${light[*]}")
    mapfile -t heavy < <(tiers_in "$project" Node MultiNode)
    ((${#heavy[@]} > 0)) && host+=("$name.host $project/$(basename "$project").csproj ${heavy[*]}")
done
missing=$(comm -23 <(ls -d test/*.Tests | sort) <(printf '%s\n' test/Navarch.{Controllers,E2E,Storage,ApiServer,Kubelet,Dns,Scheduler,Client,Proxy,Cli,Api.Machinery}.Tests | sort))
if [ -n "$missing" ]; then
    echo "test.sh: test projects it does not know (add them to its list): $missing" >&2
    exit 2
fi

started=$SECONDS
(
    for entry in "${host[@]}"; do
        # shellcheck disable=SC2086
        run $entry
    done
) &
host_lane=$!
jobs_max=${NAVARCH_TEST_JOBS:-2}
for entry in "${loopback[@]}"; do
    while (($(jobs -rp | grep -cvx "$host_lane") >= jobs_max)); do
        wait -n
    done
    # shellcheck disable=SC2086
    run $entry &
done
wait

# A test without a tier would be left out of every run above, and one with two would run twice: the whole suite
# lists the first and counts the second as failures.
stray=0
if ((whole)) && [ -z "$filter" ]; then
    for project in test/*.Tests/*.Tests.csproj; do
        dotnet test "$project" -c Release --no-build --list-tests \
            --filter "Category!=Unit&Category!=Integration&Category!=Node&Category!=MultiNode" \
            > "$results/untiered-$(basename "$project" .csproj).txt" 2>&1 &
    done
    wait
    # The listed tests are the indented lines after the heading.
    untiered=$(for listing in "$results"/untiered-*.txt; do
        sed -n '/The following Tests are available:/,$p' "$listing" | grep '^    '
    done)
    if [ -n "$untiered" ]; then
        echo "tests without a [Trait(\"Category\", ...)] tier (not run):"
        echo "$untiered"
        stray=$((stray + $(echo "$untiered" | wc -l)))
    fi
fi
for project in test/*.Tests; do
    name=$(basename "$project" .Tests)
    name=${name#Navarch.}
    twice=$(cat "$results/$name"/*.trx "$results/$name.host"/*.trx 2>/dev/null | grep -o '<UnitTestResult [^>]*testName="[^"]*"' \
        | sed 's/.*testName="\([^"]*\)"/\1/' | sort | uniq -d)
    if [ -n "$twice" ]; then
        echo "tests with more than one tier (run twice):"
        echo "$twice"
        stray=$((stray + $(echo "$twice" | wc -l)))
    fi
done

passed=0 failed=$stray skipped=0 rc=0
shopt -s nullglob
for status in "$results"/*.rc; do
    name=$(basename "$status" .rc)
    if [ "$(cat "$status")" != 0 ]; then
        rc=1
        echo "--- $name failed; its output ($results/$name.log):"
        cat "$results/$name.log"
    fi
done
for trx in "$results"/*/*.trx; do
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

echo "tests took $((SECONDS - started)) s (tiers: ${tiers[*]})"
line="$passed passed, $failed failed"
((skipped > 0)) && line="$line, $skipped skipped"
echo "$line"
if ((rc != 0 || failed > 0 || passed == 0)); then
    exit 1
fi
