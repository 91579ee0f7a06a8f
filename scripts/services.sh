#!/usr/bin/env bash
# The local services for integration tests and the demo: Kafka (scripts/kafka.sh)
# and PostgreSQL (scripts/postgres.sh). Installs nothing: run scripts/deps.sh
# once first.
#
# usage: scripts/services.sh {start|stop|status|env [--export]}
#
#   start   fetch the Kafka jars if needed, start Kafka and PostgreSQL, make
#           the departments' signing keys if they have none (scripts/keys.sh)
#   stop    stop both (each is idempotent)
#   status  both; exit 0 if both run, 3 if not
#   env     RH_KAFKA_BOOTSTRAP=..., RH_PG_CONNINFO='...' and RH_KEYS_DIR=..., for
#             eval "$(scripts/services.sh env --export)"
#           (without --export the lines are plain shell assignments)
#
# Ports and paths: see scripts/kafka.sh and scripts/postgres.sh (RH_STATE_DIR,
# RH_KAFKA_PORT, RH_KAFKA_CONTROLLER_PORT, RH_PG_PORT, ...).
set -euo pipefail

RH_PROG=services.sh
# shellcheck source=scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

KAFKA_SH=$RH_REPO_ROOT/scripts/kafka.sh
PG_SH=$RH_REPO_ROOT/scripts/postgres.sh
KEYS_SH=$RH_REPO_ROOT/scripts/keys.sh
export RH_STATE_DIR

usage() {
    echo "usage: $0 {start|stop|status|env [--export]}" >&2
    exit 2
}

case ${1:-} in
    start)
        t0=$(now_ms)
        "$KAFKA_SH" fetch
        "$KAFKA_SH" start
        "$PG_SH" start
        "$KEYS_SH" make
        say "services: up in $(since "$t0")"
        ;;
    stop)
        rc=0
        # the demo's riskhub-web and the ledger beside it (scripts/demo.sh), if they still run
        for prog in riskhub-web riskhub-ledger; do
            pid_file=$RH_REPO_ROOT/.local/demo/$prog.pid
            if [[ -f $pid_file ]]; then
                kill "$(cat "$pid_file")" 2>/dev/null && say "services: the demo's $prog stopped"
                rm -f "$pid_file"
            fi
        done
        "$KAFKA_SH" stop || rc=$?
        "$PG_SH" stop || rc=$?
        exit "$rc"
        ;;
    status)
        rc=0
        "$KAFKA_SH" status || rc=3
        "$PG_SH" status || rc=3
        exit "$rc"
        ;;
    env)
        "$KAFKA_SH" env "${2:-}"
        "$PG_SH" env "${2:-}"
        "$KEYS_SH" env "${2:-}"
        ;;
    *) usage ;;
esac
