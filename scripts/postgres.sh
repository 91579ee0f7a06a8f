#!/usr/bin/env bash
# A PostgreSQL cluster of the project's own for tests and the demo, on
# 127.0.0.1 and a port of its own, in a git-ignored directory. Debian's
# default cluster (port 5432) is not touched.
#
# usage: scripts/postgres.sh {start|stop|status|env [--export]}
#
#   start   initdb once, start, wait until ready, make the roles and the
#           database riskhub if missing (idempotent)
#   stop    pg_ctl stop -m fast (idempotent)
#   status  "running"/"stopped"; exit 0 if running, 3 if not
#   env     print RH_PG_CONNINFO='host=127.0.0.1 port=<port> dbname=riskhub user=riskhub'
#           and PGPASSFILE=<the passwords file>
#
# Secured as a county runs it (issue 12, docs/security.md "PostgreSQL"):
# scram-sha-256 only, for the superuser too (a generated password); the roles
# riskhub (the schema's owner: `riskhub-registry migrate`, and the tests' scratch
# databases: CREATEDB) and one a program (riskhub_import, riskhub_join,
# riskhub_ledger, riskhub_status, riskhub_township, riskhub_audit, riskhub_web,
# riskhub_push, riskhub_scale, riskhub_identity), each with a
# generated password kept in $RH_STATE_DIR/pgpass (0600, libpq's format, found
# through PGPASSFILE). A cluster made before (trust) is converted on start.
#
# Environment (all optional):
#   RH_STATE_DIR   state directory (default <repo>/.local)
#   RH_PG_PORT     port (default 15432)
#   RH_PG_DIR      cluster directory (default $RH_STATE_DIR/pg, see below)
#   RH_PG_BINDIR   server binaries (default: newest /usr/lib/postgresql/*/bin)
#
# The server refuses to run as root, so as root the cluster belongs to Debian's
# unprivileged `postgres` account and every server command runs through
# `runuser -u postgres --`; as any other user it simply runs as that user.
# If `postgres` cannot reach $RH_STATE_DIR (a clone under /root, say), or the
# socket path would be too long for a Unix socket, the cluster goes to
# /var/tmp/riskhub-pg-<hash of the state dir path> instead; the script says so
# and notes the place in $RH_STATE_DIR/pg.location.
#
# Layout of the cluster directory: data/ (PGDATA), run/ (Unix socket),
# log/postgres.log.
set -euo pipefail

RH_PROG=postgres.sh
# shellcheck source=scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

PG_PORT=${RH_PG_PORT:-15432}
need_port RH_PG_PORT "$PG_PORT"
DB_NAME=riskhub
DB_USER=riskhub
CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=$DB_NAME user=$DB_USER"
# The programs' roles (common/rh_pg.h); what each may do is migration 007's.
PROGRAM_ROLES=(riskhub_import riskhub_join riskhub_ledger riskhub_status riskhub_township riskhub_audit riskhub_web riskhub_push riskhub_scale riskhub_identity)
# riskhub-alerts of one township: riskhub_town_<code>, a member of the group
# riskhub_towns (NOLOGIN; its grants are migration 008's), that sees its own
# township's households only, for every township of the configuration.
PG_CONFIG_FILE=${RH_CONFIG:-$RH_REPO_ROOT/config/riskhub.yaml}
PGPASS=$RH_STATE_DIR/pgpass
export PGPASSFILE=$PGPASS

usage() {
    echo "usage: $0 {start|stop|status|env [--export]}" >&2
    exit 2
}

find_bindir() {
    if [[ -n ${RH_PG_BINDIR:-} ]]; then
        [[ -x $RH_PG_BINDIR/pg_ctl ]] || die "RH_PG_BINDIR=$RH_PG_BINDIR has no pg_ctl"
        echo "$RH_PG_BINDIR"
        return 0
    fi
    local d best=
    for d in /usr/lib/postgresql/*/bin; do
        [[ -x $d/pg_ctl && -x $d/initdb ]] || continue
        if [[ -z $best ]] || (($(basename "$(dirname "$d")") > $(basename "$(dirname "$best")"))); then
            best=$d
        fi
    done
    [[ -n $best ]] || die "no PostgreSQL server found under /usr/lib/postgresql; run scripts/deps.sh"
    echo "$best"
}

# as_pg CMD...: run CMD as the cluster's owner (from / so that a cwd the
# postgres account cannot read draws no warnings).
if ((EUID == 0)); then
    id -u postgres >/dev/null 2>&1 || die "no 'postgres' account; run scripts/deps.sh (the postgresql package creates it)"
    PG_OWNER=postgres
    as_pg() { (cd / && runuser -u postgres -- "$@"); }
else
    PG_OWNER=$(id -un)
    as_pg() { (cd / && "$@"); }
fi

# Where the cluster lives (see the header). Pure: creates only $RH_STATE_DIR.
choose_pg_dir() {
    if [[ -n ${RH_PG_DIR:-} ]]; then
        echo "$RH_PG_DIR"
        return 0
    fi
    local dir=$RH_STATE_DIR/pg reason=
    mkdir -p "$RH_STATE_DIR"
    if ! as_pg test -x "$RH_STATE_DIR"; then
        reason="the '$PG_OWNER' account cannot reach $RH_STATE_DIR"
    fi
    # sun_path holds 107 bytes: <dir>/run/.s.PGSQL.<port>
    local sock="$dir/run/.s.PGSQL.$PG_PORT"
    if [[ -z $reason ]] && ((${#sock} > 100)); then
        reason="the socket path $sock is too long"
    fi
    if [[ -n $reason ]]; then
        local hash
        hash=$(printf '%s' "$RH_STATE_DIR" | sha256sum | cut -c1-10)
        dir=/var/tmp/riskhub-pg-$hash
        echo "$dir" >"$RH_STATE_DIR/pg.location"
        if [[ -z ${PG_QUIET:-} ]]; then
            echo "postgres: $reason; the cluster lives in $dir" >&2
        fi
    else
        rm -f "$RH_STATE_DIR/pg.location"
    fi
    echo "$dir"
}

BINDIR=
PG_DIR=
PGDATA_DIR=
SOCK_DIR=
PG_LOG=
setup_paths() {
    BINDIR=$(find_bindir)
    PG_DIR=$(choose_pg_dir)
    PGDATA_DIR=$PG_DIR/data
    SOCK_DIR=$PG_DIR/run
    PG_LOG=$PG_DIR/log/postgres.log
}

psql_admin() {
    "$BINDIR/psql" "host=127.0.0.1 port=$PG_PORT dbname=postgres user=postgres" \
        -X -q -t -A -v ON_ERROR_STOP=1 "$@"
}

is_running() {
    [[ -f $PGDATA_DIR/PG_VERSION ]] || return 1
    as_pg "$BINDIR/pg_ctl" status -D "$PGDATA_DIR" >/dev/null 2>&1
}

init_cluster() {
    if [[ -f $PGDATA_DIR/PG_VERSION ]]; then
        return 0
    fi
    local t0 locale=C
    t0=$(now_ms)
    if locale -a 2>/dev/null | grep -Eqix 'c\.utf-?8'; then
        locale=C.UTF-8
    fi
    mkdir -p "$PG_DIR"
    chown "$PG_OWNER:" "$PG_DIR"
    chmod 700 "$PG_DIR"
    # A data directory without PG_VERSION is a failed initdb of ours: redo it.
    as_pg rm -rf "$PGDATA_DIR"
    as_pg mkdir -p "$PGDATA_DIR" "$SOCK_DIR" "$(dirname "$PG_LOG")"
    # The superuser's password reaches initdb in a file only the server's
    # account reads, removed at once.
    local pwfile=$PG_DIR/.initdb.pw rc=0
    password_of postgres | as_pg sh -c 'umask 077; cat >"$1"' _ "$pwfile"
    as_pg "$BINDIR/initdb" -D "$PGDATA_DIR" -E UTF8 --locale="$locale" \
        -U postgres --auth-local=scram-sha-256 --auth-host=scram-sha-256 \
        --pwfile="$pwfile" --no-instructions >"$PG_DIR/initdb.out" 2>&1 || rc=$?
    as_pg rm -f "$pwfile"
    if ((rc != 0)); then
        cat "$PG_DIR/initdb.out" >&2
        die "initdb failed"
    fi
    write_hba
    printf "\n# riskhub: settings kept by scripts/postgres.sh\ninclude_if_exists = 'riskhub.conf'\n" |
        as_pg tee -a "$PGDATA_DIR/postgresql.conf" >/dev/null
    say "postgres: cluster created in $PGDATA_DIR (UTF8, locale $locale) in $(since "$t0")"
}

write_conf() {
    # Regenerated on every start so that the port follows the environment.
    as_pg tee "$PGDATA_DIR/riskhub.conf" >/dev/null <<EOF
# Generated by scripts/postgres.sh on each start; edits are overwritten.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$SOCK_DIR'
unix_socket_permissions = 0770
max_connections = 100
# A little tuning for tests; durability (fsync) stays on.
shared_buffers = 256MB
work_mem = 16MB
maintenance_work_mem = 128MB
max_wal_size = 2GB
checkpoint_timeout = 15min
log_line_prefix = '%m [%p] %q%u@%d '
# No personal data in the server's log (issue 12): no DETAIL ("Failing row
# contains (...)", "Key (id_number)=(...)"), no statement text (a query can
# carry ID numbers as literals), no bind parameters; errors keep their message.
log_error_verbosity = terse
log_min_error_statement = panic
log_min_duration_statement = -1
log_parameter_max_length = 0
log_parameter_max_length_on_error = 0
EOF
}

# password_of ROLE: its password from $PGPASS, made (24 random bytes, hex) and
# kept there (0600) the first time.
password_of() {
    local role=$1 pw
    mkdir -p "$RH_STATE_DIR"
    (umask 077 && touch "$PGPASS")
    chmod 600 "$PGPASS"
    pw=$(awk -F: -v r="$role" '$1 == "127.0.0.1" && $4 == r {print $5; exit}' "$PGPASS")
    if [[ -z $pw ]]; then
        pw=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
        printf '127.0.0.1:*:*:%s:%s\n' "$role" "$pw" >>"$PGPASS"
    fi
    printf '%s\n' "$pw"
}

# scram-sha-256 only, on loopback and the private socket.
write_hba() {
    as_pg tee "$PGDATA_DIR/pg_hba.conf" >/dev/null <<'EOF'
# Generated by scripts/postgres.sh: passwords (scram-sha-256) for everybody,
# the superuser included; nothing else is accepted.
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 scram-sha-256
host    all       all   127.0.0.1/32  scram-sha-256
EOF
}

# A cluster made before passwords (pg_hba.conf trusts): the superuser gets its
# password while trust still lets it in, then pg_hba.conf is replaced.
convert_trust() {
    as_pg grep -Eq '^[^#]*[[:space:]]trust[[:space:]]*$' "$PGDATA_DIR/pg_hba.conf" || return 0
    set_password postgres
    write_hba
    as_pg "$BINDIR/pg_ctl" reload -D "$PGDATA_DIR" -s
    sleep 0.5
    say "postgres: trust authentication replaced by scram-sha-256"
}

# set_password ROLE: its password (from $PGPASS) set in the server; the statement
# goes through stdin, not the command line.
set_password() {
    local pw
    pw=$(password_of "$1")
    printf "SET log_statement = 'none';\nALTER ROLE %s PASSWORD '%s';\n" "$1" "$pw" | psql_admin -f -
}

ensure_db() {
    local out
    if ! out=$(psql_admin -c "SELECT 1" 2>&1); then
        printf '%s\n' "$out" >&2
        die "cannot sign in as postgres with the password kept in $PGPASS; if that file was lost, this test cluster's passwords are gone with it: scripts/services.sh stop, then delete $PG_DIR and start again"
    fi
    # The schema's owner: CREATEDB so that tests may make scratch databases.
    if [[ -z $(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER'") ]]; then
        psql_admin -c "CREATE ROLE $DB_USER LOGIN CREATEDB"
        say "postgres: role $DB_USER created"
    fi
    local role made=()
    for role in "${PROGRAM_ROLES[@]}"; do
        if [[ -z $(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$role'") ]]; then
            psql_admin -c "CREATE ROLE $role LOGIN"
            made+=("$role")
        fi
    done
    local towns
    towns=$(python3 - "$PG_CONFIG_FILE" <<'PY'
import sys, yaml
for t in yaml.safe_load(open(sys.argv[1], encoding="utf-8"))["townships"]:
    print(f"riskhub_town_{t['code']}")
PY
) || die "cannot read the townships of $PG_CONFIG_FILE (python3 with PyYAML: scripts/deps.sh)"
    local town_roles=()
    mapfile -t town_roles <<<"$towns"
    if [[ -z $(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = 'riskhub_towns'") ]]; then
        psql_admin -c "CREATE ROLE riskhub_towns NOLOGIN"
        made+=(riskhub_towns)
    fi
    for role in "${town_roles[@]}"; do
        [[ $role =~ ^riskhub_town_[0-9]{9}$ ]] || die "$PG_CONFIG_FILE: not a township role: $role"
        if [[ -z $(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$role'") ]]; then
            psql_admin -c "CREATE ROLE $role LOGIN IN ROLE riskhub_towns"
            made+=("$role")
        fi
    done
    ((${#made[@]} == 0)) || say "postgres: roles ${made[*]} created"
    for role in postgres "$DB_USER" "${PROGRAM_ROLES[@]}" "${town_roles[@]}"; do
        set_password "$role"
    done
    if [[ -z $(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'") ]]; then
        psql_admin -c "CREATE DATABASE $DB_NAME OWNER $DB_USER ENCODING 'UTF8' TEMPLATE template0"
        say "postgres: database $DB_NAME created"
    fi
}

wait_ready() {
    local deadline=$((SECONDS + 60))
    until "$BINDIR/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -d postgres -t 5; do
        if ((SECONDS >= deadline)); then
            tail -n 30 "$PG_LOG" >&2 || true
            die "PostgreSQL did not become ready on 127.0.0.1:$PG_PORT"
        fi
        sleep 0.2
    done
}

cmd_start() {
    setup_paths
    if is_running; then
        local running_port
        running_port=$(sed -n 4p "$PGDATA_DIR/postmaster.pid" 2>/dev/null || true)
        if [[ -n $running_port && $running_port != "$PG_PORT" ]]; then
            die "the cluster in $PGDATA_DIR already runs on port $running_port, not $PG_PORT; stop it first"
        fi
        wait_ready
        convert_trust
        ensure_db
        say "postgres: already running (127.0.0.1:$PG_PORT, $PGDATA_DIR)"
        return 0
    fi
    if port_open "$PG_PORT"; then
        die "port 127.0.0.1:$PG_PORT is taken by another process; set RH_PG_PORT"
    fi
    init_cluster
    write_conf
    local t0
    t0=$(now_ms)
    # -w waits until the server accepts connections; pg_isready double-checks
    # the TCP listener the clients use.
    # 9>&-: the server must not inherit the lock.
    if ! as_pg "$BINDIR/pg_ctl" start -D "$PGDATA_DIR" -l "$PG_LOG" -w -t 60 -s 9>&-; then
        tail -n 30 "$PG_LOG" >&2 || true
        die "PostgreSQL did not start"
    fi
    wait_ready
    convert_trust
    ensure_db
    say "postgres: ready on 127.0.0.1:$PG_PORT in $(since "$t0"); data $PGDATA_DIR, log $PG_LOG"
}

cmd_stop() {
    PG_QUIET=1
    setup_paths
    if ! is_running; then
        say "postgres: not running"
        return 0
    fi
    local t0
    t0=$(now_ms)
    as_pg "$BINDIR/pg_ctl" stop -D "$PGDATA_DIR" -m fast -w -t 60 -s
    say "postgres: stopped in $(since "$t0")"
}

cmd_status() {
    PG_QUIET=1
    setup_paths
    if is_running && "$BINDIR/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 3; then
        local pid
        pid=$(head -n1 "$PGDATA_DIR/postmaster.pid" 2>/dev/null || echo '?')
        say "postgres: running (pid $pid, 127.0.0.1:$PG_PORT, data $PGDATA_DIR)"
        return 0
    fi
    if is_running; then
        say "postgres: server process up but not accepting connections on 127.0.0.1:$PG_PORT (see $PG_LOG)"
        return 3
    fi
    say "postgres: stopped (data ${PGDATA_DIR})"
    return 3
}

cmd_env() {
    local prefix=
    [[ ${1:-} == --export ]] && prefix='export '
    say "${prefix}RH_PG_CONNINFO='$CONNINFO'"
    say "${prefix}PGPASSFILE='$PGPASS'"
}

# One start or stop at a time per state directory.
lock() {
    mkdir -p "$RH_STATE_DIR"
    exec 9>"$RH_STATE_DIR/.pg.lock"
    flock -w 120 9 || die "another postgres.sh start/stop holds $RH_STATE_DIR/.pg.lock"
}

case ${1:-} in
    start)
        lock
        cmd_start
        ;;
    stop)
        lock
        cmd_stop
        ;;
    status) cmd_status ;;
    env) cmd_env "${2:-}" ;;
    *) usage ;;
esac
