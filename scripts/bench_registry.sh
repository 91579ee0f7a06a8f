#!/usr/bin/env bash
# Benchmark: `riskhub-registry import` of the synthetic county (issue 10: the
# 200,000-household county in 10 s or less).
#
# Generates the county's registry (riskhub-gen --households N; cached in
# $RH_STATE_DIR/bench-registry/<N>), then, RUNS times, in a scratch database
# riskhub_bench_registry:
#   1. fresh: `riskhub-registry migrate`, then `import` into the empty tables;
#   2. again: `import` of the same files (nothing changes);
#   3. edited: `import` after 1 % of the households (and their members and
#      applications) were left out and 1 % of the members' migrant_months
#      changed (within the shrink guard's 5 %).
# For each: wall seconds, the import's own CPU and peak RSS (GNU time), and
# the CPU seconds of its PostgreSQL backend (read from /proc while it runs:
# the figure that does not depend on what else the machine is doing), and
# the summary line of the import. Not a test: it asserts only that every
# import exits 0.
#
#   scripts/bench_registry.sh [--households N] [--runs N] [--build DIR] [--keep]
#
# Needs PostgreSQL (scripts/services.sh start), psql, GNU time and a release
# build (default build/). --keep leaves the database riskhub_bench_registry.
set -euo pipefail

RH_PROG=bench_registry.sh
# shellcheck source=scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

households=200000
runs=1
build=$RH_REPO_ROOT/build
keep=0
while (($#)); do
    case $1 in
        --households) households=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --build) build=$2; shift 2 ;;
        --keep) keep=1; shift ;;
        -h | --help) sed -n '2,22p' "$0"; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done
[[ $households =~ ^[0-9]+$ && $runs =~ ^[0-9]+$ ]] || die "--households and --runs take numbers"
case $build in /*) ;; *) build=$PWD/$build ;; esac
for p in bin/riskhub-gen bin/riskhub-registry; do
    [[ -x $build/$p ]] || die "$build/$p not built (scripts/build.sh)"
done
need_cmd psql "install postgresql-client (scripts/deps.sh)"
[[ -x /usr/bin/time ]] || die "GNU time (/usr/bin/time) is needed (scripts/deps.sh)"

eval "$("$RH_REPO_ROOT/scripts/services.sh" env --export)"
base=$RH_PG_CONNINFO
db=riskhub_bench_registry
work=$RH_STATE_DIR/bench-registry/$households
mkdir -p "$work"

if [[ ! -s $work/registry/members.csv ]]; then
    t0=$(now_ms)
    "$build/bin/riskhub-gen" --out "$work" --period 2026-10 --households "$households" >/dev/null
    say "generated the registry ($households households) in $(since "$t0")"
fi
# the edited registry: 1 % of the households left out (with their members and
# applications), 1 % of the other members with another migrant_months
edited=$work/edited
if [[ ! -s $edited/members.csv ]]; then
    mkdir -p "$edited"
    awk -F, 'NR == 1 || (NR % 100) != 7' "$work/registry/households.csv" >"$edited/households.csv"
    awk -F, 'NR == FNR { if (FNR > 1 && (FNR % 100) == 7) gone[$1] = 1; next }
             FNR == 1 || !($1 in gone)' \
        "$work/registry/households.csv" "$work/registry/members.csv" |
        awk -F, -v OFS=, 'FNR > 1 && (FNR % 100) == 3 && $11 ~ /^[0-9]+$/ { $11 = ($11 + 1) % 13 } { print }' \
            >"$edited/members.csv"
    awk -F, 'NR == FNR { if (FNR > 1 && (FNR % 100) == 7) gone[$1] = 1; next }
             FNR == 1 || !($2 in gone)' \
        "$work/registry/households.csv" "$work/registry/applications.csv" >"$edited/applications.csv"
fi
persons=$(($(wc -l <"$work/registry/members.csv") - 1))

cleanup() {
    if ((keep == 0)); then
        psql "$base" -qX -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null || true
    fi
}
trap cleanup EXIT
export RH_PG_CONNINFO="$base dbname=$db"

# CPU seconds (user + system) of the import's backend, sampled until it ends
backend_cpu() {
    local pid="" cpu=0 i
    for ((i = 0; i < 200; i++)); do
        pid=$(psql "$base" -qXAt -c "SELECT pid FROM pg_stat_activity
                WHERE application_name = 'riskhub-registry import' LIMIT 1" 2>/dev/null || true)
        [[ -n $pid ]] && break
        sleep 0.05
    done
    [[ -n $pid ]] || { echo "?"; return; }
    local tck
    tck=$(getconf CLK_TCK)
    while [[ -r /proc/$pid/stat ]]; do
        cpu=$(awk -v t="$tck" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$pid/stat" 2>/dev/null || echo "$cpu")
        sleep 0.1
    done
    echo "$cpu"
}

# one import: prints "<label>: wall, CPU, RSS, backend CPU" and the summary's last line
timed_import() {
    local label=$1 dir=$2 out tf bf
    tf=$(mktemp) bf=$(mktemp)
    backend_cpu >"$bf" &
    local sampler=$!
    if ! /usr/bin/time -o "$tf" -f '%e %U %S %M' \
        "$build/bin/riskhub-registry" import "$dir" >"$tf.out" 2>"$tf.err"; then
        cat "$tf.err" >&2
        kill "$sampler" 2>/dev/null || true
        die "$label: import failed"
    fi
    wait "$sampler" || true
    read -r wall user sys rss <"$tf"
    printf '%-34s wall %6.2f s | import CPU %5.2f s, peak RSS %4d MB | backend CPU %6s s | load %s\n' \
        "$label" "$wall" "$(echo "$user + $sys" | bc)" $((rss / 1024)) "$(cat "$bf")" \
        "$(cut -d' ' -f1 /proc/loadavg)"
    say "    $(tail -n 1 "$tf.out")"
    rm -f "$tf" "$tf.out" "$tf.err" "$bf"
}

say "--- riskhub-registry import: $households households, $persons persons ($(nproc) cores)"
for ((run = 1; run <= runs; run++)); do
    psql "$base" -qX -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" \
        -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
    "$build/bin/riskhub-registry" migrate >/dev/null
    timed_import "run $run: fresh (empty tables)" "$work/registry"
    timed_import "run $run: again (nothing changes)" "$work/registry"
    timed_import "run $run: edited (1 % gone, 1 % changed)" "$edited"
done
