#!/usr/bin/env bash
# README's second command: every test, on a fresh machine.
# Installs what is missing, starts Kafka and PostgreSQL (scripts/services.sh),
# builds, runs unit + interop + integration tests, then builds again with
# ASan+UBSan and runs them all again — except the outage tests (label
# `outage`: files *_serial.py, which stop and start the broker or the database
# and mostly wait; ~3.5 minutes), which run in the first pass only. Set
# RH_TEST_ASAN_OUTAGE=1 to run them under the sanitizers too.
# Each pass ends with the CTest test namespace_check: the default namespace
# (topics without a test prefix, their consumer groups, the database riskhub)
# must be as namespace_snapshot recorded it before the pass (tests/rhtest/snapshot.py).
#   RH_TEST_SKIP_ASAN=1  skip the sanitizer pass (quicker local runs)
# Last, a short run of each libFuzzer harness (scripts/fuzz.sh, clang): the CSV
# reader, the field parsers, both Avro decoders, the config loader, the manifest
# check; RH_TEST_FUZZ_S seconds each (default 8, 0 skips).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/services.sh start
eval "$(scripts/services.sh env --export)"

status=0
echo "== build and test (release)"
scripts/build.sh release
# the demo's simulated-clock producer, which test_status.py checks too
scripts/build.sh sim riskhub-produce >/dev/null
(cd build && ctest --output-on-failure --timeout 600 -j 2) || status=1

if [ "${RH_TEST_SKIP_ASAN:-0}" != 1 ]; then
  echo "== build and test (ASan + UBSan)"
  scripts/build.sh asan
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  exclude=(-LE outage)
  [ "${RH_TEST_ASAN_OUTAGE:-0}" = 1 ] && exclude=()
  (cd build-asan && ctest --output-on-failure --timeout 900 -j 2 "${exclude[@]}") || status=1
fi

# the libFuzzer harnesses of tests/fuzz, a short run of each (scripts/fuzz.sh for
# long runs); RH_TEST_FUZZ_S seconds a target, 0 to skip
if [ "${RH_TEST_FUZZ_S:-8}" != 0 ]; then
  echo "== fuzz (${RH_TEST_FUZZ_S:-8} s a target)"
  scripts/fuzz.sh --time "${RH_TEST_FUZZ_S:-8}" || status=1
fi
exit $status
