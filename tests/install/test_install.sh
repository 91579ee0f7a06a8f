#!/bin/sh
# install_tree: `cmake --install` into a fresh prefix gives a tree the
# programs run from on their own, with nothing of the source or build tree.
#   test_install.sh <cmake> <build dir> <source dir>
# Checks: the layout (bin/, share/riskhub/{schemas,migrations,web},
# etc/riskhub/riskhub.yaml, share/doc/riskhub/examples/riskhub.yaml), no
# symbolic link in it; no source/build path in the programs' data (debug
# info aside); run from a working directory outside both with RH_CONFIG,
# RH_SCHEMAS_DIR, RH_MIGRATIONS_DIR unset, the programs find the config, the
# schemas and the migrations (and fail when told to look elsewhere, so the
# files found are the ones that count); under strace, when it can run, no
# file of the source or build tree is even looked at.
# Services: none. Kafka and PostgreSQL addresses point at port 1 (refused at
# once): nothing here may reach a real broker or database.
set -u
cmake=$1
build=$(cd "$2" && pwd -P)
src=$(cd "$3" && pwd -P)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/riskhub-install.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
fails=0
fail() { echo "install_tree: FAIL: $*" >&2; fails=$((fails + 1)); }

case "$tmp" in "$src"/* | "$build"/*) echo "install_tree: TMPDIR is inside the tree" >&2; exit 1 ;; esac

"$cmake" --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log" >&2; echo "install_tree: cmake --install failed" >&2; exit 1; }

# 1. the layout
for p in alerts gen join produce registry replay selftest status web; do
  [ -x "$prefix/bin/riskhub-$p" ] || fail "bin/riskhub-$p missing"
done
for f in share/riskhub/schemas/FeedRecord.avsc share/riskhub/schemas/Alert.avsc \
         share/riskhub/migrations/001_registry.sql etc/riskhub/riskhub.yaml \
         share/riskhub/web/index.html share/riskhub/web/app.js share/riskhub/web/app.css \
         share/doc/riskhub/examples/riskhub.yaml; do
  [ -f "$prefix/$f" ] || fail "$f missing"
done
n_src=$(ls "$src"/schemas/*.avsc | wc -l)
n_inst=$(ls "$prefix"/share/riskhub/schemas/*.avsc | wc -l)
[ "$n_src" = "$n_inst" ] || fail "$n_inst schemas installed, $n_src in schemas/"
n_src=$(ls "$src"/consumers/registry/migrations/*.sql | wc -l)
n_inst=$(ls "$prefix"/share/riskhub/migrations/*.sql | wc -l)
[ "$n_src" = "$n_inst" ] || fail "$n_inst migrations installed, $n_src in the source"
links=$(find "$prefix" -type l)
[ -z "$links" ] || fail "symbolic links in the installed tree: $links"

# 2. no path of the source or build tree compiled into the programs (their
# data sections). Names of the compiled source files themselves do not count:
# DWARF debug info and the sanitizers' diagnostics (ASan builds) hold them, and
# they are never opened.
for b in "$prefix"/bin/riskhub-*; do
  if readelf -p .rodata -p .data -p .data.rel.ro "$b" 2>/dev/null |
     grep -a -F -e "$src" -e "$build" | grep -a -v -E '\.[ch]$'; then
    fail "$(basename "$b") holds a path of the source or build tree (above)"
  fi
done

# 3. run from outside the tree, the RH_* paths unset
mkdir "$tmp/run" && cd "$tmp/run" || exit 1
unset RH_CONFIG RH_SCHEMAS_DIR RH_MIGRATIONS_DIR RH_WEB_DIR RH_SOURCE_DIR RH_BIN_DIR RH_TOPIC_PREFIX
export RH_KAFKA_BOOTSTRAP=127.0.0.1:1
export RH_PG_CONNINFO="host=127.0.0.1 port=1 dbname=none user=none connect_timeout=2"
bin=$prefix/bin

expect() { # expect <exit code> <what> <command...>
  want=$1 what=$2
  shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  got=$?
  [ "$got" = "$want" ] || { fail "$what: exit $got, expected $want"; cat "$tmp/out" "$tmp/err" >&2; }
}

expect 0 "riskhub-selftest --help" "$bin/riskhub-selftest" --help
grep -q '^usage: riskhub-selftest' "$tmp/out" || fail "riskhub-selftest --help: no usage"

# gen: the config found by itself
expect 0 "riskhub-gen" "$bin/riskhub-gen" --out gen --period 2026-10 --households 200 \
  --feed health/major-disease
[ -s gen/2026-10/health.major-disease.2026-10.csv ] || fail "riskhub-gen wrote no list"
expect 78 "riskhub-gen, RH_CONFIG elsewhere" env RH_CONFIG="$tmp/none.yaml" \
  "$bin/riskhub-gen" --out gen2 --period 2026-10 --households 200

# produce: config and schemas found, then the input (74), before any broker
expect 74 "riskhub-produce" "$bin/riskhub-produce" -d health -f major-disease -p 2026-10 \
  --no-progress missing.csv
grep -q 'missing.csv' "$tmp/err" || fail "riskhub-produce: not the input's error"
expect 78 "riskhub-produce, RH_SCHEMAS_DIR elsewhere" env RH_SCHEMAS_DIR="$tmp/none" \
  "$bin/riskhub-produce" -d health -f major-disease -p 2026-10 --no-progress missing.csv

# registry: config and migrations found, then the database is away (69)
expect 69 "riskhub-registry migrate" "$bin/riskhub-registry" --wait-s 0 migrate
expect 78 "riskhub-registry migrate, RH_MIGRATIONS_DIR elsewhere" \
  env RH_MIGRATIONS_DIR="$tmp/none" "$bin/riskhub-registry" --wait-s 0 migrate

# web: its page's files found installed; it serves with the database away
# (the pool connects when asked), then stops on SIGTERM with 0
"$bin/riskhub-web" --listen 127.0.0.1:0 >"$tmp/web.out" 2>&1 &
web=$!
for _ in $(seq 100); do
  grep -q "serving on" "$tmp/web.out" && break
  kill -0 "$web" 2>/dev/null || break
  sleep 0.1
done
grep -q "serving on" "$tmp/web.out" || { fail "riskhub-web did not serve"; cat "$tmp/web.out" >&2; }
kill "$web" 2>/dev/null
wait "$web" || fail "riskhub-web: exit $? on SIGTERM"
expect 78 "riskhub-web, RH_WEB_DIR elsewhere" env RH_WEB_DIR="$tmp/none" \
  "$bin/riskhub-web" --listen 127.0.0.1:0
grep -q "$tmp/none/index.html" "$tmp/err" "$tmp/out" || fail "riskhub-web: not the page's error"

# 4. not even a look at the source or build tree (strace, when it can trace here)
if command -v strace >/dev/null 2>&1 && strace -o /dev/null true 2>/dev/null; then
  # LeakSanitizer cannot run under a tracer (ASan builds)
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
    strace -f -qq -e trace=%file -o "$tmp/trace" "$bin/riskhub-gen" --out gen3 \
      --period 2026-10 --households 200 --feed health/major-disease >/dev/null 2>&1 ||
    fail "riskhub-gen under strace"
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
    strace -f -qq -e trace=%file -o "$tmp/trace2" "$bin/riskhub-produce" -d health \
      -f major-disease -p 2026-10 --no-progress missing.csv >/dev/null 2>&1
  if grep -F -e "$src" -e "$build" "$tmp/trace" "$tmp/trace2"; then
    fail "a program looked into the source or build tree (above)"
  fi
  grep -q "$prefix/etc/riskhub/riskhub.yaml" "$tmp/trace" || fail "riskhub-gen did not open the installed config"
  grep -q "$prefix/share/riskhub/schemas" "$tmp/trace2" || fail "riskhub-produce did not read the installed schemas"
else
  echo "install_tree: strace cannot run here: file accesses not traced" >&2
fi

# 5. a second install keeps an edited configuration
echo "# edited" >>"$prefix/etc/riskhub/riskhub.yaml"
"$cmake" --install "$build" --prefix "$prefix" >/dev/null 2>&1 || fail "second install"
grep -q '^# edited' "$prefix/etc/riskhub/riskhub.yaml" || fail "a second install overwrote etc/riskhub/riskhub.yaml"

[ "$fails" = 0 ] && echo "install_tree: ok ($prefix)"
exit "$([ "$fails" = 0 ] && echo 0 || echo 1)"
