#!/usr/bin/env bash
# Configure and build riskhub.
#   scripts/build.sh            -> build/        (RelWithDebInfo)
#   scripts/build.sh asan       -> build-asan/   (ASan + UBSan)
#   scripts/build.sh fuzz       -> build-fuzz/   (clang: the libFuzzer harnesses of
#                                   tests/fuzz only; scripts/fuzz.sh runs them)
#   scripts/build.sh sim        -> build-sim/    (the demo's simulated clock,
#                                   RH_SIMULATED_NOW: common/rh_clock.h; never
#                                   for a department's machine)
#   scripts/build.sh KIND TARGET...   only those targets (riskhub-produce, ...)
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-release}
shift || true
case "$kind" in
  release) dir=build; flags=() ;;
  asan) dir=build-asan; flags=(-DRH_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug) ;;
  sim) dir=build-sim; flags=(-DRH_SIMULATED_CLOCK=ON) ;;
  fuzz)
    cc=$(command -v clang || command -v clang-14 || true)
    [ -n "$cc" ] || { echo "$0: fuzz needs clang (scripts/deps.sh installs clang-14)" >&2; exit 1; }
    dir=build-fuzz; flags=(-DRH_FUZZ=ON -DCMAKE_C_COMPILER="$cc") ;;
  *) echo "usage: $0 [release|asan|sim|fuzz] [TARGET...]" >&2; exit 2 ;;
esac
targets=()
for t in "$@"; do targets+=(--target "$t"); done
gen=()
command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)
if [ ! -f "$dir/CMakeCache.txt" ]; then
  cmake -S . -B "$dir" "${gen[@]}" "${flags[@]}" >/dev/null
fi
cmake --build "$dir" -j "$(nproc)" "${targets[@]}"
