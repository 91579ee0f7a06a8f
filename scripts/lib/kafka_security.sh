# shellcheck shell=bash
# Kafka's security for scripts/kafka.sh (sourced after lib/common.sh, never run):
# the county's own certificate authority, the brokers' certificate, and the
# SCRAM credentials of the principals. docs/security.md, "Kafka".
#
#   $RH_STATE_DIR/tls/            0700
#     ca.pem        the CA's certificate: every client trusts it (RH_KAFKA_CA)
#     ca.key        the CA's private key (0600): signs the brokers' certificate
#     broker.pem    the brokers' private key and certificate (0600), CN
#                   riskhub-broker, for 127.0.0.1 and localhost: the TLS of the
#                   SASL_SSL listener, and the node's identity on the controller
#                   listener (mutual TLS)
#   $RH_STATE_DIR/kafka-credentials/   0700, one file a principal (0600):
#     sasl.username=NAME
#     sasl.password=32 hex digits
#     admin     the operator (super user): scripts, the test harness
#     broker    the brokers among themselves (super user)
#     riskhub   riskhub's programs when one file serves them all (super user,
#               the tests' RH_KAFKA_CREDENTIALS)
#     dept.<code>, town.<code>, svc.join, svc.ledger, svc.audit, svc.status, svc.push,
#               svc.scale, svc.identity
#               every party of the configuration (RH_CONFIG, default
#               config/riskhub.yaml), each program's own (RH_KAFKA_CREDENTIALS=
#               <this folder>/{principal}; their rights: riskhub-acl)
#
# Made once; a lost CA key or credential is said plainly, never silently made
# anew (a new CA would not be trusted by the clients that have the old one).

TLS_DIR=$RH_STATE_DIR/tls
CA_PEM=$TLS_DIR/ca.pem
CA_KEY=$TLS_DIR/ca.key
BROKER_PEM=$TLS_DIR/broker.pem
CRED_DIR=$RH_STATE_DIR/kafka-credentials
KAFKA_PRINCIPALS=(admin broker riskhub)
RH_CONFIG_FILE=${RH_CONFIG:-$RH_REPO_ROOT/config/riskhub.yaml}
# The certificate's CN is the node's principal on the controller listener.
BROKER_CN=riskhub-broker
# The names the brokers' certificate is valid for (docker/secrets.sh adds the
# compose file's host name, kafka).
BROKER_SAN=${BROKER_SAN:-IP:127.0.0.1,DNS:localhost}

# openssl, quietly; its output shown only when it fails.
ossl() {
    local out
    if ! out=$(openssl "$@" 2>&1); then
        printf '%s\n' "$out" >&2
        die "openssl $1 failed (output above)"
    fi
}

# The CA and the brokers' certificate, unless they exist.
tls_make() {
    need_cmd openssl "run scripts/deps.sh"
    mkdir -p "$TLS_DIR"
    chmod 0700 "$TLS_DIR"
    if [[ ! -s $CA_PEM ]]; then
        [[ ! -e $CA_KEY ]] || die "$CA_KEY exists without $CA_PEM: move both away to make a new CA"
        (
            umask 077
            ossl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
                -keyout "$CA_KEY" -out "$CA_PEM.tmp" -days 3650 -subj "/CN=riskhub county CA" \
                -addext "basicConstraints=critical,CA:TRUE" \
                -addext "keyUsage=critical,keyCertSign,cRLSign"
        )
        chmod 0644 "$CA_PEM.tmp"
        mv "$CA_PEM.tmp" "$CA_PEM"
        say "kafka: a new certificate authority in $CA_PEM"
    fi
    [[ -s $BROKER_PEM ]] && return 0
    [[ -s $CA_KEY ]] || die "$CA_KEY is missing: the brokers' certificate cannot be signed (restore it, or move $TLS_DIR away to start a new CA)"
    local tmp
    tmp=$(mktemp -d "$TLS_DIR/new.XXXXXX")
    (
        umask 077
        ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout "$tmp/broker.key" -out "$tmp/broker.csr" -subj "/CN=$BROKER_CN"
        printf '%s\n' "subjectAltName=$BROKER_SAN" "basicConstraints=CA:FALSE" \
            "keyUsage=critical,digitalSignature,keyEncipherment" \
            "extendedKeyUsage=serverAuth,clientAuth" >"$tmp/ext"
        ossl x509 -req -in "$tmp/broker.csr" -CA "$CA_PEM" -CAkey "$CA_KEY" -CAcreateserial \
            -CAserial "$TLS_DIR/ca.srl" -days 825 -extfile "$tmp/ext" -out "$tmp/broker.crt"
        cat "$tmp/broker.key" "$tmp/broker.crt" >"$BROKER_PEM.tmp"
    )
    mv "$BROKER_PEM.tmp" "$BROKER_PEM"
    rm -rf "$tmp"
    say "kafka: the brokers' certificate (CN=$BROKER_CN, $BROKER_SAN) in $BROKER_PEM"
}

# The parties of the configuration (docs/security.md, "Kafka"), appended to
# KAFKA_PRINCIPALS: python3 and PyYAML come with scripts/deps.sh.
add_parties() {
    local list
    list=$(python3 - "$RH_CONFIG_FILE" <<'PY'
import sys, yaml
cfg = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
for d in cfg["departments"]:
    print(f"dept.{d['code']}")
for t in cfg["townships"]:
    print(f"town.{t['code']}")
for s in ("join", "ledger", "audit", "status", "push", "scale", "identity"):
    print(f"svc.{s}")
PY
) || die "cannot read the parties of $RH_CONFIG_FILE (python3 with PyYAML: scripts/deps.sh)"
    mapfile -t -O "${#KAFKA_PRINCIPALS[@]}" KAFKA_PRINCIPALS <<<"$list"
}

# The password of principal $1 (its credentials file must exist).
cred_password() {
    sed -n 's/^sasl\.password=//p' "$CRED_DIR/$1"
}

# A credentials file for every principal that has none. Made only before the
# storage is formatted (the passwords go into the metadata then): a file made
# later would hold a password the brokers do not know.
creds_make() {
    mkdir -p "$CRED_DIR"
    chmod 0700 "$CRED_DIR"
    local p
    for p in "${KAFKA_PRINCIPALS[@]}"; do
        [[ -s $CRED_DIR/$p ]] && continue
        (
            umask 077
            printf 'sasl.username=%s\nsasl.password=%s\n' "$p" \
                "$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$CRED_DIR/$p.tmp"
        )
        mv "$CRED_DIR/$p.tmp" "$CRED_DIR/$p"
    done
}

# Every principal's credentials exist (for a formatted storage).
creds_check() {
    local p
    for p in "${KAFKA_PRINCIPALS[@]}"; do
        [[ -s $CRED_DIR/$p ]] || die "$CRED_DIR/$p is missing: the brokers know a password for '$p' that is no longer on this machine; restore the file, or reset the brokers' storage (docs/operations.md, \"Kafka's credentials\")"
    done
}

# The StorageTool's --add-scram arguments: every principal's credentials go
# into the cluster's first metadata (KRaft's bootstrap records).
scram_format_args() {
    local p
    for p in "${KAFKA_PRINCIPALS[@]}"; do
        printf '%s\n' --add-scram "SCRAM-SHA-512=[name=$p,password=$(cred_password "$p")]"
    done
}

# The security part of a node's server.properties ($KAFKA_PORT, $CONTROLLER_PORT).
security_properties() {
    cat <<EOF

# --- Security (scripts/lib/kafka_security.sh; docs/security.md, "Kafka") ---
# Clients and the brokers among themselves: SASL_SSL (SCRAM-SHA-512 over TLS).
# The KRaft controllers: mutual TLS, the node's certificate its identity.
listeners=SASL_SSL://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=SASL_SSL://127.0.0.1:$KAFKA_PORT
inter.broker.listener.name=SASL_SSL
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:SSL,SASL_SSL:SASL_SSL
# The parties: SCRAM-SHA-512, their credentials in the metadata. The brokers
# themselves and the operator (admin): PLAIN over the same TLS, their passwords
# in this file only, so that they never depend on the metadata's credentials
# (a restarted broker was seen to refuse every SCRAM login, its log holding
# them: docs/security.md, "Kafka"); kafka.sh start writes every principal's
# SCRAM credentials again as admin.
sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN
sasl.mechanism.inter.broker.protocol=PLAIN
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="$(cred_password broker)" user_broker="$(cred_password broker)" user_admin="$(cred_password admin)";
ssl.keystore.type=PEM
ssl.keystore.location=$BROKER_PEM
ssl.truststore.type=PEM
ssl.truststore.location=$CA_PEM
ssl.endpoint.identification.algorithm=https
listener.name.controller.ssl.client.auth=required
ssl.principal.mapping.rules=RULE:^CN=([^,]+)$/\$1/,DEFAULT
# Nothing is allowed that no ACL allows; the brokers, the controllers and the
# operator are super users.
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:admin;User:broker;User:$BROKER_CN;User:riskhub
EOF
}

# Every principal's SCRAM credentials written (again) into the brokers'
# metadata at $1 (a bootstrap), as admin over PLAIN: one Admin API call
# (confluent-kafka's; librdkafka 2.0.2 has no AlterUserScramCredentials).
# broker's too, though the brokers log in with PLAIN: the set of principals
# stays what the format made (the tests compare it before and after).
scram_sync() {
    # the passwords are read from the files by python, never on a command line
    python3 - "$1" "$CA_PEM" "$CRED_DIR" "${KAFKA_PRINCIPALS[@]}" <<'PY' || die "writing the principals' SCRAM credentials failed"
import os
import sys
from confluent_kafka.admin import (AdminClient, ScramCredentialInfo, ScramMechanism,
                                   UserScramCredentialUpsertion)
bootstrap, ca, folder, *names = sys.argv[1:]


def password(name):
    for line in open(os.path.join(folder, name), encoding="utf-8").read().splitlines():
        if line.startswith("sasl.password="):
            return line.split("=", 1)[1]
    sys.exit(f"no sasl.password in {os.path.join(folder, name)}")


a = AdminClient({"bootstrap.servers": bootstrap, "security.protocol": "SASL_SSL",
                 "sasl.mechanisms": "PLAIN", "ssl.ca.location": ca,
                 "sasl.username": "admin", "sasl.password": password("admin")})
info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096)
ups = [UserScramCredentialUpsertion(n, info, password(n).encode()) for n in names]
for f in a.alter_user_scram_credentials(ups, request_timeout=60).values():
    f.result(90)
PY
}

# librdkafka's properties of the admin principal (kcat -F): 0600.
write_admin_kcat() {
    (
        umask 077
        {
            echo "# Generated by scripts/kafka.sh; edits are overwritten."
            echo "security.protocol=SASL_SSL"
            echo "sasl.mechanisms=PLAIN"
            echo "ssl.ca.location=$CA_PEM"
            cat "$CRED_DIR/admin"
        } >"$CONF_DIR/admin-kcat.properties.tmp"
    )
    mv "$CONF_DIR/admin-kcat.properties.tmp" "$CONF_DIR/admin-kcat.properties"
}

# The Java tools' client properties of the admin principal (--command-config): 0600.
write_admin_java() {
    (
        umask 077
        cat >"$CONF_DIR/admin-client.properties.tmp" <<EOF
# Generated by scripts/kafka.sh; edits are overwritten.
security.protocol=SASL_SSL
sasl.mechanism=PLAIN
sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="$(cred_password admin)";
ssl.truststore.type=PEM
ssl.truststore.location=$CA_PEM
EOF
    )
    mv "$CONF_DIR/admin-client.properties.tmp" "$CONF_DIR/admin-client.properties"
}
