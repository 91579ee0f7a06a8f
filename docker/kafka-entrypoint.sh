#!/bin/bash
# The broker of docker/compose.yaml: one KRaft node (broker and controller), secured
# as scripts/kafka.sh secures the project's own (docs/security.md, "Kafka"):
#   clients: SASL_SSL, SCRAM-SHA-512 for the parties, PLAIN (from this file only)
#            for the broker itself and the operator;
#   the controller: mutual TLS, the node's certificate its identity;
#   StandardAuthorizer, nothing allowed that no ACL allows (riskhub-acl apply).
# Its secrets (docker/secrets.sh): /run/secrets/broker-pem, ca-pem, kafka-scram.
# The storage is formatted once, with every principal's SCRAM credentials.
set -euo pipefail
KAFKA=/opt/kafka
DATA=/var/lib/kafka/data
CONF=/tmp/riskhub-broker/server.properties
S=/run/secrets
pw() { awk -v p="$1" '$1 == p {print $2; exit}' "$S/kafka-scram"; }
for f in broker-pem ca-pem kafka-scram; do
    [[ -r $S/$f ]] || { echo "kafka-entrypoint: $S/$f is missing or unreadable (docker/secrets.sh)" >&2; exit 78; }
done
[[ -n $(pw broker) && -n $(pw admin) ]] || { echo "kafka-entrypoint: kafka-scram lacks broker or admin" >&2; exit 78; }

mkdir -p "$(dirname "$CONF")" "$DATA"
umask 077
cat >"$CONF" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@kafka:9094
log.dirs=$DATA
listeners=SASL_SSL://0.0.0.0:9093,CONTROLLER://kafka:9094
advertised.listeners=SASL_SSL://kafka:9093
inter.broker.listener.name=SASL_SSL
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:SSL,SASL_SSL:SASL_SSL
sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN
sasl.mechanism.inter.broker.protocol=PLAIN
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="$(pw broker)" user_broker="$(pw broker)" user_admin="$(pw admin)";
ssl.keystore.type=PEM
ssl.keystore.location=$S/broker-pem
ssl.truststore.type=PEM
ssl.truststore.location=$S/ca-pem
ssl.endpoint.identification.algorithm=https
listener.name.controller.ssl.client.auth=required
ssl.principal.mapping.rules=RULE:^CN=([^,]+)$/\$1/,DEFAULT
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:admin;User:broker;User:riskhub-broker
# one node: replication 1, and the session of scripts/kafka.sh's single broker
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
broker.session.timeout.ms=60000
num.partitions=3
auto.create.topics.enable=true
group.initial.rebalance.delay.ms=0
# riskhub sets retention by topic class (config: topics.retention); a group's
# offsets outlive a month without a member
log.retention.hours=168
offsets.retention.minutes=129600
EOF
# the operator's client config, for the health check and kafka-acls
cat >"$(dirname "$CONF")/admin.properties" <<EOF
security.protocol=SASL_SSL
sasl.mechanism=PLAIN
sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="$(pw admin)";
ssl.truststore.type=PEM
ssl.truststore.location=$S/ca-pem
EOF

if [[ ! -e $DATA/meta.properties ]]; then
    scram=()
    while read -r p w; do
        # every principal, the operator and the broker too: riskhub's programs sign
        # in with SCRAM (riskhub-acl apply as admin), as scripts/kafka.sh formats
        [[ -n $p ]] || continue
        scram+=(--add-scram "SCRAM-SHA-512=[name=$p,password=$w]")
    done <"$S/kafka-scram"
    # its output only if it fails (it never echoes the passwords of its arguments)
    if ! out=$("$KAFKA/bin/kafka-storage.sh" format -t "$("$KAFKA/bin/kafka-storage.sh" random-uuid)" \
            -c "$CONF" --ignore-formatted "${scram[@]}" 2>&1); then
        printf '%s\n' "$out" >&2
        echo "kafka-entrypoint: formatting $DATA failed (above)" >&2
        exit 1
    fi
    echo "kafka-entrypoint: storage formatted, SCRAM credentials of $((${#scram[@]} / 2)) principals" >&2
fi
exec "$KAFKA/bin/kafka-server-start.sh" "$CONF"
