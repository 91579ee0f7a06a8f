#!/usr/bin/env bash
# Benchmark: the join's in-memory registry (common/rh_regmap) at full size.
#
# Generates the synthetic county's registry (riskhub-gen, 200,000 households,
# ~650,000 persons; cached in .local/bench-regmap), loads it into a scratch
# database with `riskhub-registry migrate` + `import`, then runs
# `test_regmap_pg --bench`, which loads the map RUNS times and prints:
#   - load seconds (COPY of both tables, parse, build);
#   - the map's memory: its own count, the RSS growth of the load, the
#     process's peak RSS right after the load;
#   - lookups/s for 1,000,000 random present and 1,000,000 absent IDs;
#   - a catch-up of 1,000 household and 10,000 person changes (--write: it
#     changes the scratch database);
# and GNU time's peak RSS of the whole run (which also holds the 2 x 1,000,000
# test IDs). Not a test: it asserts nothing beyond "every present ID found".
#
#   scripts/bench_regmap.sh [--households N] [--runs N] [--build DIR] [--keep]
#
# Needs PostgreSQL (scripts/services.sh start) and a release build (default
# build/, RelWithDebInfo). --keep leaves the database riskhub_bench_regmap.
set -euo pipefail

RH_PROG=bench_regmap.sh
# shellcheck source=scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

households=200000
runs=3
build=$RH_REPO_ROOT/build
keep=0
while (($#)); do
    case $1 in
        --households) households=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --build) build=$2; shift 2 ;;
        --keep) keep=1; shift ;;
        -h | --help) sed -n '2,21p' "$0"; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done
[[ $households =~ ^[0-9]+$ && $runs =~ ^[0-9]+$ ]] || die "--households and --runs take numbers"
case $build in /*) ;; *) build=$PWD/$build ;; esac
for p in bin/riskhub-gen bin/riskhub-registry tests/test_regmap_pg; do
    [[ -x $build/$p ]] || die "$build/$p not built (cmake -S . -B build -G Ninja && ninja -C build)"
done
need_cmd psql "install postgresql-client (scripts/deps.sh)"

eval "$("$RH_REPO_ROOT/scripts/services.sh" env --export)"
base=$RH_PG_CONNINFO
db=riskhub_bench_regmap
work=$RH_STATE_DIR/bench-regmap/$households
mkdir -p "$work"

if [[ ! -s $work/registry/members.csv ]]; then
    t0=$(now_ms)
    "$build/bin/riskhub-gen" --out "$work" --period 2026-10 --households "$households" >/dev/null
    say "generated the registry ($households households) in $(since "$t0")"
fi
persons=$(($(wc -l <"$work/registry/members.csv") - 1))

cleanup() {
    if ((keep == 0)); then
        psql "$base" -qX -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null || true
    fi
}
trap cleanup EXIT

psql "$base" -qX -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" \
    -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
psql "$base" -qX -v ON_ERROR_STOP=1 -c "CREATE DATABASE $db" >/dev/null
export RH_PG_CONNINFO="$base dbname=$db"
"$build/bin/riskhub-registry" migrate >/dev/null
t0=$(now_ms)
"$build/bin/riskhub-registry" import "$work/registry" >/dev/null
say "imported $households households, $persons persons into $db in $(since "$t0")"
psql "$RH_PG_CONNINFO" -qX -c "VACUUM ANALYZE households, members" >/dev/null

say "--- test_regmap_pg --bench $runs ($(nproc) cores)"
if [[ -x /usr/bin/time ]]; then
    /usr/bin/time -f "whole run: %e s wall, peak RSS %M KiB" \
        "$build/tests/test_regmap_pg" --bench "$runs" --write
else
    "$build/tests/test_regmap_pg" --bench "$runs" --write
fi
