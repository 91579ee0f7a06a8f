#!/usr/bin/env bash
# The secrets of a compose deployment (docker/compose.yaml), made once into
# docker/secrets/ (git-ignored; or $RH_SECRETS_DIR):
#
#   tls/ca.pem              the county's CA certificate (0644): every client trusts it
#   tls/ca.key              the CA's key (0600): keep it off the hub once made
#   tls/broker.pem          the broker's key and certificate (0600), CN riskhub-broker,
#                           valid for the compose host name kafka
#   kafka-credentials/P     one file a principal P (0600): sasl.username=, sasl.password=
#                           (admin, broker, riskhub, every dept.*, town.*, svc.*)
#   kafka-scram             every principal's password (0600), for the broker's first
#                           format (its SCRAM credentials) and its PLAIN logins
#   pg/roles.sql            the database's roles with their passwords (0600), run once
#                           by the postgres image when its data folder is new
#   pg/postgres             the postgres super user's password (0600)
#   pg/pgpass.ROLE          a libpq password file for each program's role (0600)
#   keys/CODE.key           each department's signing key (0600; scripts/keys.sh): it
#                           belongs on the department's machine, only the compose
#                           file's one publisher gets its own
#   keys-public/CODE.pub    the public keys, for the programs that verify lists
#
# The same CA, certificate and credential code as scripts/kafka.sh
# (scripts/lib/kafka_security.sh), and the same roles as scripts/postgres.sh.
# Run as root, the files are given to the users of the containers that read them
# (the broker 1000, postgres 999, riskhub 10001); otherwise it says what to chown.
# Nothing existing is made again: a lost CA key or password is said, not replaced.
#   docker/secrets.sh [--config FILE]
set -euo pipefail
RH_PROG=secrets.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
. "$here/../scripts/lib/common.sh"
config=$RH_REPO_ROOT/config/riskhub.yaml
case ${1:-} in
    --config) config=${2:?--config FILE}; shift 2 ;;
    "") ;;
    *) die "usage: docker/secrets.sh [--config FILE]" ;;
esac
[[ $# -eq 0 ]] || die "usage: docker/secrets.sh [--config FILE]"
[[ -r $config ]] || die "$config: cannot read the configuration"

out=${RH_SECRETS_DIR:-$here/secrets}
mkdir -p "$out"
chmod 0700 "$out"
RH_STATE_DIR=$(cd "$out" && pwd -P)
RH_CONFIG=$config
BROKER_SAN=DNS:kafka,DNS:localhost,IP:127.0.0.1
. "$RH_REPO_ROOT/scripts/lib/kafka_security.sh"

# Kafka: the CA, the broker's certificate, a credentials file for every party
tls_make
add_parties
creds_make
(
    umask 077
    for p in "${KAFKA_PRINCIPALS[@]}"; do
        printf '%s %s\n' "$p" "$(cred_password "$p")"
    done >"$RH_STATE_DIR/kafka-scram.tmp"
)
mv "$RH_STATE_DIR/kafka-scram.tmp" "$RH_STATE_DIR/kafka-scram"

# the departments' signing keys (scripts/keys.sh): keys/ holds each department's
# private key; keys-public/ only the public ones, for the programs that verify
"$RH_REPO_ROOT/scripts/keys.sh" make --config "$config" --dir "$RH_STATE_DIR/keys" >/dev/null
mkdir -p "$RH_STATE_DIR/keys-public"
cp "$RH_STATE_DIR"/keys/*.pub "$RH_STATE_DIR/keys-public/"
chmod 0644 "$RH_STATE_DIR"/keys-public/*.pub

# PostgreSQL: the schema's owner (riskhub), one role a program, one a township
pg=$RH_STATE_DIR/pg
mkdir -p "$pg"
chmod 0700 "$pg"
roles=(riskhub riskhub_import riskhub_join riskhub_ledger riskhub_status riskhub_township
       riskhub_audit riskhub_web riskhub_push riskhub_scale riskhub_identity)
mapfile -t towns < <(python3 - "$config" <<'PY'
import sys, yaml
for t in yaml.safe_load(open(sys.argv[1], encoding="utf-8"))["townships"]:
    print(f"riskhub_town_{t['code']}")
PY
)
pw_of() { # the role's password, made once
    local f=$pg/pgpass.$1
    if [[ ! -s $f ]]; then
        (umask 077 && printf 'postgres:5432:riskhub:%s:%s\n' "$1" \
            "$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" >"$f")
    fi
    cut -d: -f5 "$f"
}
[[ -s $pg/postgres ]] || (umask 077 && od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$pg/postgres")
(umask 077 && : >"$pg/roles.sql.tmp")
(
    echo "-- made by docker/secrets.sh: run once by the postgres image on a new data folder"
    echo "SET log_statement = 'none';"
    echo "CREATE ROLE riskhub LOGIN CREATEDB PASSWORD '$(pw_of riskhub)';"
    for r in "${roles[@]:1}"; do
        echo "CREATE ROLE $r LOGIN PASSWORD '$(pw_of "$r")';"
    done
    echo "CREATE ROLE riskhub_towns NOLOGIN;"
    for r in "${towns[@]}"; do
        [[ $r =~ ^riskhub_town_[0-9]{9}$ ]] || die "$config: not a township role: $r"
        echo "CREATE ROLE $r LOGIN IN ROLE riskhub_towns PASSWORD '$(pw_of "$r")';"
    done
    echo "CREATE DATABASE riskhub OWNER riskhub ENCODING 'UTF8' TEMPLATE template0;"
) >"$pg/roles.sql.tmp"
mv "$pg/roles.sql.tmp" "$pg/roles.sql"

# each file to the user of the container that reads it
owners=("1000:$TLS_DIR/broker.pem" "1000:$RH_STATE_DIR/kafka-scram" "999:$pg/roles.sql"
        "999:$pg/postgres")
for f in "$CRED_DIR"/* "$pg"/pgpass.* "$RH_STATE_DIR"/keys/*.key; do owners+=("10001:$f"); done
if ((EUID == 0)); then
    for o in "${owners[@]}"; do chown "${o%%:*}" "${o#*:}"; done
    chmod 0755 "$RH_STATE_DIR" "$TLS_DIR" "$CRED_DIR" "$pg" "$RH_STATE_DIR/keys"
    say "secrets: in $RH_STATE_DIR, each file owned by the user of the container that reads it"
else
    say "secrets: in $RH_STATE_DIR; as root, give them to the containers' users:"
    say "  tls/broker.pem and kafka-scram to 1000, pg/roles.sql and pg/postgres to 999,"
    say "  kafka-credentials/*, pg/pgpass.* and keys/*.key to 10001"
fi
say "secrets: keep $TLS_DIR/ca.key off the hub (it signs new broker certificates)"
