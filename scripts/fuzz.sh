#!/usr/bin/env bash
# The libFuzzer harnesses of tests/fuzz (issue 12, "Fuzzing in the tree").
#
# usage: scripts/fuzz.sh [--time SECONDS] [TARGET...]
#
#   TARGET   csv fields avro config manifest credentials (default: all)
#   --time   seconds each target runs (default 300; the test command runs 8)
#
# Builds build-fuzz/ (scripts/build.sh fuzz: clang, libFuzzer, ASan, UBSan), then
# runs each target on its seeds (tests/fuzz/corpus/<target>, read only) and on
# what earlier runs found ($RH_STATE_DIR/fuzz/<target>, kept between runs). A
# crash, a leak, a sanitizer report or a timeout stops that target: its input is
# kept as $RH_STATE_DIR/fuzz/crash-<target>-<sha1> (reproduce with
# build-fuzz/bin/fuzz_<target> FILE); the script goes on with the others and
# exits 1 at the end. Exit 0: every target ran its time without a finding.
set -euo pipefail

RH_PROG=fuzz.sh
# shellcheck source=scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

time_s=300
targets=()
while (($#)); do
    case $1 in
        --time) time_s=$2; shift 2 ;;
        -h|--help) sed -n '3,7p' "$0" | sed 's/^# //'; exit 0 ;;
        *) targets+=("$1"); shift ;;
    esac
done
((${#targets[@]})) || targets=(csv fields avro config manifest credentials)
[[ $time_s =~ ^[0-9]+$ ]] || die "--time: '$time_s' is not a number of seconds"

"$RH_REPO_ROOT/scripts/build.sh" fuzz >/dev/null
bin=$RH_REPO_ROOT/build-fuzz/bin
work=$RH_STATE_DIR/fuzz
rc=0
for t in "${targets[@]}"; do
    [[ -x $bin/fuzz_$t ]] || die "no target '$t' (csv fields avro config manifest credentials)"
    mkdir -p "$work/$t"
    t0=$(now_ms)
    log=$work/$t.log
    if ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
        "$bin/fuzz_$t" -max_total_time="$time_s" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 -artifact_prefix="$work/crash-$t-" \
        "$work/$t" "$RH_REPO_ROOT/tests/fuzz/corpus/$t" >"$log" 2>&1; then
        runs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
        say "fuzz: $t: ${runs:-?} inputs in $(since "$t0"), nothing found"
    else
        rc=1
        warn "$t: a finding after $(since "$t0"); the end of $log:"
        tail -n 30 "$log" >&2
        ls "$work"/crash-"$t"-* 2>/dev/null >&2 || true
    fi
done
exit "$rc"
