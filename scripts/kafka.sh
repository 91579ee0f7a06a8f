#!/usr/bin/env bash
# Apache Kafka 3.9.x for tests and the demo: one combined broker+controller in
# KRaft mode on 127.0.0.1, run from Apache's own jars fetched from Maven Central
# (Debian has no broker package; see docs/design.md, "Parts and dependencies").
#
# usage: scripts/kafka.sh {fetch|start|stop|status|env [--export]|transactions ARGS...|configs ARGS...|acls ARGS...}
#        scripts/kafka.sh cluster {start|stop|status|env [--export]|transactions ARGS...|configs ARGS...|acls ARGS...}
#        scripts/kafka.sh cluster node N {pid|kill|freeze|thaw|term|start}
#
#   fetch   download the broker jars once (scripts/kafka/pom.xml) into
#           $RH_STATE_DIR/kafka/libs; instant when they are already there
#   start   fetch, write the config, format the storage once, start the broker
#           and wait until it answers a metadata request (idempotent)
#   stop    SIGTERM, up to 30 s for a clean shutdown, then SIGKILL (idempotent)
#   status  "running"/"stopped"; exit 0 if running, 3 if not
#   env     print RH_KAFKA_BOOTSTRAP=127.0.0.1:<port>, RH_KAFKA_CA (the CA's
#           certificate), RH_KAFKA_CREDENTIALS (riskhub's programs) and
#           RH_KAFKA_ADMIN_CREDENTIALS (the operator)
#   transactions ARGS...
#           Kafka's kafka-transactions tool (TransactionsCommand) against this
#           broker: list, describe, find-hanging, abort ... (fetches first;
#           docs/operations.md, "A hanging transaction"); its exit status
#   configs ARGS...
#           Kafka's kafka-configs tool (ConfigCommand) against this broker:
#           --describe / --alter a topic's retention.ms (docs/operations.md,
#           "Retention"); its exit status
#   acls ARGS...
#           Kafka's kafka-acls tool (AclCommand) against this broker as the admin
#           principal: the transactional-id bindings riskhub-acl apply lists
#           (docs/security.md, "Kafka"); its exit status
#
#   cluster ...
#           the same for a three-node cluster (docs/operations.md, "A
#           three-broker cluster"): three combined broker+controller nodes, all
#           three KRaft voters, replication factor 3 and min.insync.replicas 2
#           everywhere (internal topics included). Beside the single broker: its
#           own state directory and ports. env prints all three brokers.
#   cluster node N ACTION    one node (N = 1..3), for fault tests:
#           pid     its java pid (exit 3 if it is not running)
#           kill    SIGKILL          freeze  SIGSTOP          thaw  SIGCONT
#           term    a clean stop (SIGTERM, SIGKILL after 30 s)
#           start   start it again and wait until it answers (idempotent)
#
# Environment (all optional):
#   RH_STATE_DIR              state directory (default <repo>/.local)
#   RH_KAFKA_PORT             broker port (default 19092)
#   RH_KAFKA_CONTROLLER_PORT  KRaft controller port (default 19093)
#   RH_KAFKA_HEAP             JVM heap options (default "-Xms512m -Xmx1g")
#   RH_KAFKA_READY_TIMEOUT    seconds to wait for the broker (default 90)
#   RH_KAFKA_CLUSTER_DIR      the cluster's state (default $RH_STATE_DIR/kafka-cluster);
#                             the jars stay in $RH_STATE_DIR/kafka/libs
#   RH_KAFKA_CLUSTER_PORT     node 1's broker port (default RH_KAFKA_PORT + 2); node N
#                             listens on +2(N-1), its controller on +2(N-1)+1, so the
#                             single broker and the cluster can run side by side
#   RH_KAFKA_CLUSTER_HEAP     JVM heap options of each node (default "-Xms256m -Xmx512m")
#
# Secured as a county runs it (scripts/lib/kafka_security.sh, docs/security.md
# "Kafka"): clients over SASL_SSL (SCRAM-SHA-512; the credentials bootstrapped in
# KRaft when the storage is formatted), the controllers over mutual TLS, an
# authorizer that refuses what no ACL allows. The CA and the certificates are
# made once under $RH_STATE_DIR/tls, the credentials under
# $RH_STATE_DIR/kafka-credentials (both 0700, shared by the single broker and
# the cluster). A storage formatted by an older version (PLAINTEXT) is moved
# aside and formatted anew.
#
# Needs java (17), mvn (fetch only), kcat and openssl: scripts/deps.sh installs them.
# Layout under $RH_STATE_DIR/kafka: libs/ (jars), config/ (generated each start),
# data/ (log.dirs), logs/ (server.log, kafka.out), cluster.id, kafka.pid.
# The cluster's: $RH_KAFKA_CLUSTER_DIR/cluster.id and node<N>/ with the same
# config/, data/, logs/ and kafka.pid each.
set -euo pipefail

RH_PROG=kafka.sh
# shellcheck source=scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=scripts/lib/kafka_security.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/kafka_security.sh"

KAFKA_PORT=${RH_KAFKA_PORT:-19092}
CONTROLLER_PORT=${RH_KAFKA_CONTROLLER_PORT:-19093}
KAFKA_HEAP=${RH_KAFKA_HEAP:--Xms512m -Xmx1g}
# above initial.broker.registration.timeout.ms: after a kill the node may wait a
# whole broker session (60 s) before its registration is taken
READY_TIMEOUT=${RH_KAFKA_READY_TIMEOUT:-150}
STOP_TIMEOUT=30

POM=$RH_REPO_ROOT/scripts/kafka/pom.xml
KAFKA_HOME=$RH_STATE_DIR/kafka
LIBS=$KAFKA_HOME/libs
MARKER=$LIBS/.fetched # holds the SHA-256 of the pom the jars came from
CONF_DIR=$KAFKA_HOME/config
SERVER_PROPS=$CONF_DIR/server.properties
DATA_DIR=$KAFKA_HOME/data
LOG_DIR=$KAFKA_HOME/logs
PID_FILE=$KAFKA_HOME/kafka.pid
CLUSTER_ID_FILE=$KAFKA_HOME/cluster.id
BOOTSTRAP=127.0.0.1:$KAFKA_PORT
NODE= # set by use_node: which cluster node the variables above are about

# The three-node cluster (cluster ...): its own state and ports.
CLUSTER_NODES=3
CLUSTER_DIR=${RH_KAFKA_CLUSTER_DIR:-$RH_STATE_DIR/kafka-cluster}
case $CLUSTER_DIR in
    /*) ;;
    *) CLUSTER_DIR=$PWD/$CLUSTER_DIR ;;
esac
CLUSTER_PORT=${RH_KAFKA_CLUSTER_PORT:-$((KAFKA_PORT + 2))}
CLUSTER_HEAP=${RH_KAFKA_CLUSTER_HEAP:--Xms256m -Xmx512m}
CLUSTER_BOOTSTRAP=
VOTERS=
for ((n = 1; n <= CLUSTER_NODES; n++)); do
    CLUSTER_BOOTSTRAP+=${CLUSTER_BOOTSTRAP:+,}127.0.0.1:$((CLUSTER_PORT + 2 * (n - 1)))
    VOTERS+=${VOTERS:+,}$n@127.0.0.1:$((CLUSTER_PORT + 2 * (n - 1) + 1))
done

# use_node N: the variables of the single broker now describe cluster node N.
use_node() {
    NODE=$1
    KAFKA_PORT=$((CLUSTER_PORT + 2 * (NODE - 1)))
    CONTROLLER_PORT=$((KAFKA_PORT + 1))
    KAFKA_HEAP=$CLUSTER_HEAP
    local home=$CLUSTER_DIR/node$NODE
    CONF_DIR=$home/config
    SERVER_PROPS=$CONF_DIR/server.properties
    DATA_DIR=$home/data
    LOG_DIR=$home/logs
    PID_FILE=$home/kafka.pid
    CLUSTER_ID_FILE=$CLUSTER_DIR/cluster.id
    BOOTSTRAP=127.0.0.1:$KAFKA_PORT
}

need_port RH_KAFKA_PORT "$KAFKA_PORT"
need_port RH_KAFKA_CONTROLLER_PORT "$CONTROLLER_PORT"
[[ $KAFKA_PORT != "$CONTROLLER_PORT" ]] || die "broker and controller ports must differ"
[[ $READY_TIMEOUT =~ ^[0-9]+$ ]] || die "RH_KAFKA_READY_TIMEOUT=$READY_TIMEOUT is not a number of seconds"
need_port RH_KAFKA_CLUSTER_PORT "$CLUSTER_PORT"
need_port RH_KAFKA_CLUSTER_PORT+5 "$((CLUSTER_PORT + 2 * CLUSTER_NODES - 1))"

usage() {
    echo "usage: $0 {fetch|start|stop|status|env [--export]|transactions ARGS...|configs ARGS...|acls ARGS...}" >&2
    echo "       $0 cluster {start|stop|status|env [--export]|transactions ARGS...|configs ARGS...|acls ARGS...}" >&2
    echo "       $0 cluster node N {pid|kill|freeze|thaw|term|start}" >&2
    exit 2
}

kafka_version() {
    local jar
    for jar in "$LIBS"/kafka_2.13-*.jar; do
        [[ -e $jar ]] || break
        jar=${jar##*/kafka_2.13-}
        echo "${jar%.jar}"
        return 0
    done
    echo unknown
}

# --- fetch ----------------------------------------------------------------

cmd_fetch() {
    local want t0 tmp
    want=$(sha256sum "$POM" | cut -d' ' -f1)
    if [[ -f $MARKER && $(<"$MARKER") == "$want" ]]; then
        return 0
    fi
    need_cmd mvn "run scripts/deps.sh (Maven fetches the Kafka jars)"
    need_cmd java "run scripts/deps.sh"
    say "kafka: fetching the broker jars from Maven Central (once) ..."
    t0=$(now_ms)
    mkdir -p "$KAFKA_HOME"
    tmp=$(mktemp -d "$KAFKA_HOME/libs.tmp.XXXXXX")
    # copy-dependencies writes nothing into scripts/kafka (no target/).
    # Maven 3.8 prints colour resets even in batch mode: keep its output in a
    # file and show it only on failure.
    if ! mvn -B -q -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
        -DoutputDirectory="$tmp" -DincludeScope=runtime >"$KAFKA_HOME/mvn.log" 2>&1; then
        cat "$KAFKA_HOME/mvn.log" >&2
        rm -rf "$tmp"
        die "Maven could not fetch the Kafka jars (output above, also in $KAFKA_HOME/mvn.log)"
    fi
    compgen -G "$tmp/kafka_2.13-*.jar" >/dev/null || {
        rm -rf "$tmp"
        die "Maven ran but no kafka_2.13 jar arrived in $tmp"
    }
    echo "$want" >"$tmp/.fetched"
    rm -rf "$LIBS"
    mv "$tmp" "$LIBS"
    say "kafka: $(find "$LIBS" -name '*.jar' | wc -l) jars (Kafka $(kafka_version)) in $LIBS, fetched in $(since "$t0")"
}

# --- configuration ----------------------------------------------------------

single_properties() {
    cat <<EOF
# Generated by scripts/kafka.sh on each start; edits are overwritten.
# Single-node KRaft (combined broker+controller) for riskhub tests and the demo.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
log.dirs=$DATA_DIR

# The broker's session with its (own) controller: 60 s instead of 9 s, far
# above any pause we expect (SIGSTOP, a VM freeze or snapshot, a long GC).
# A single node cannot fail over, so fencing itself buys nothing: at every
# resume it would move all its partitions to "no leader" and back, and the
# transaction coordinator would resign and reload __transaction_state, which
# opens the race of KAFKA-18137 (not fixed in 3.9.2) that can leave a hanging
# transaction (docs/operations.md). Clients simply wait out the pause. A pause
# longer than this still fences. The heartbeat stays at its 2 s default.
broker.session.timeout.ms=60000
broker.heartbeat.interval.ms=2000
# After the node was killed (SIGKILL, power loss) the restarted controller
# keeps the dead broker's registration for a whole session and refuses the new
# one (DUPLICATE_BROKER_REGISTRATION) until then; the broker's own wait for a
# registration must outlast that session (Kafka's 60 s default equals it: the
# broker gave up first and the node never came back).
initial.broker.registration.timeout.ms=120000

# One broker: every replication factor is 1.
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
# Fewer internal partitions than the default 50: the first consumer group and
# the first transaction come up faster on a small test machine.
offsets.topic.num.partitions=10
transaction.state.log.num.partitions=10

num.partitions=3
auto.create.topics.enable=true
delete.topic.enable=true
group.initial.rebalance.delay.ms=0

# The broker's defaults, for topics made by others: riskhub sets retention.ms
# and segment.ms on the topics it creates, by class (config: topics.retention,
# topics.segment; riskhub-health reports a topic with less).
log.retention.hours=168
log.segment.bytes=1073741824
# Expired segments looked for every 5 s (Kafka: 5 min): the retention tests use
# topics that keep their records seconds (tests/integration/test_retention.py).
log.retention.check.interval.ms=5000
# A group's committed offsets outlive a month without a member (Kafka's default
# is 7 days): riskhub's consumers that run once a month find their place again.
offsets.retention.minutes=129600
num.network.threads=3
num.io.threads=8
EOF
}

# One node of the three-node cluster (NODE = 1..3): combined broker+controller,
# all three are voters.
cluster_properties() {
    cat <<EOF
# Generated by scripts/kafka.sh cluster on each start; edits are overwritten.
# Node $NODE of a three-node KRaft cluster (each node broker+controller, 3 voters).
process.roles=broker,controller
node.id=$NODE
controller.quorum.voters=$VOTERS
log.dirs=$DATA_DIR

# Kafka's default session (9 s, heartbeat 2 s), not the single broker's 60 s:
# here two other brokers can take over, and that is what a cluster is for. A
# node that stops answering (SIGKILL, SIGSTOP, a frozen VM) is fenced after 9 s:
# it leaves every ISR, its partitions get new leaders among the other two, its
# transaction and group coordinators move. Until it is fenced, acks=all writes
# to partitions it follows wait (it is still in their ISR), so a longer session
# would stall producers for as long. docs/operations.md, "A three-broker cluster".
broker.session.timeout.ms=9000
broker.heartbeat.interval.ms=2000

# Three replicas of everything; a write is acknowledged by at least two.
default.replication.factor=3
min.insync.replicas=2
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
offsets.topic.num.partitions=10
transaction.state.log.num.partitions=10
# A node restarted after a kill takes its leaderships back once in sync.
auto.leader.rebalance.enable=true
leader.imbalance.check.interval.seconds=30
unclean.leader.election.enable=false

num.partitions=3
auto.create.topics.enable=true
delete.topic.enable=true
group.initial.rebalance.delay.ms=0

# The broker's defaults, for topics made by others: riskhub sets retention.ms
# and segment.ms on the topics it creates, by class (config: topics.retention,
# topics.segment; riskhub-health reports a topic with less).
log.retention.hours=168
log.segment.bytes=1073741824
# Expired segments looked for every 5 s (Kafka: 5 min): the retention tests use
# topics that keep their records seconds (tests/integration/test_retention.py).
log.retention.check.interval.ms=5000
# A group's committed offsets outlive a month without a member (Kafka's default
# is 7 days): riskhub's consumers that run once a month find their place again.
offsets.retention.minutes=129600
num.network.threads=2
num.io.threads=4
num.replica.fetchers=1
EOF
}

write_config() {
    mkdir -p "$CONF_DIR" "$DATA_DIR" "$LOG_DIR"
    # Regenerated on every start so that the ports follow the environment.
    # The data directory is not tied to the ports: with a static
    # controller.quorum.voters the voters are not stored in the metadata log.
    # 0600: it holds the broker principal's password.
    (
        umask 077
        if [[ -n $NODE ]]; then
            cluster_properties >"$SERVER_PROPS.tmp"
        else
            single_properties >"$SERVER_PROPS.tmp"
        fi
        security_properties >>"$SERVER_PROPS.tmp"
    )
    mv "$SERVER_PROPS.tmp" "$SERVER_PROPS"
    write_admin_kcat

    # The broker's log4j: everything into files under logs/, nothing on stdout.
    cat >"$CONF_DIR/log4j.properties" <<'EOF'
# Generated by scripts/kafka.sh; edits are overwritten.
log4j.rootLogger=INFO, serverAppender

log4j.appender.serverAppender=org.apache.log4j.RollingFileAppender
log4j.appender.serverAppender.File=${kafka.logs.dir}/server.log
log4j.appender.serverAppender.MaxFileSize=50MB
log4j.appender.serverAppender.MaxBackupIndex=4
log4j.appender.serverAppender.layout=org.apache.log4j.PatternLayout
log4j.appender.serverAppender.layout.ConversionPattern=[%d] %p %m (%c)%n

log4j.appender.stateChangeAppender=org.apache.log4j.RollingFileAppender
log4j.appender.stateChangeAppender.File=${kafka.logs.dir}/state-change.log
log4j.appender.stateChangeAppender.MaxFileSize=20MB
log4j.appender.stateChangeAppender.MaxBackupIndex=2
log4j.appender.stateChangeAppender.layout=org.apache.log4j.PatternLayout
log4j.appender.stateChangeAppender.layout.ConversionPattern=[%d] %p %m (%c)%n

log4j.appender.cleanerAppender=org.apache.log4j.RollingFileAppender
log4j.appender.cleanerAppender.File=${kafka.logs.dir}/log-cleaner.log
log4j.appender.cleanerAppender.MaxFileSize=20MB
log4j.appender.cleanerAppender.MaxBackupIndex=2
log4j.appender.cleanerAppender.layout=org.apache.log4j.PatternLayout
log4j.appender.cleanerAppender.layout.ConversionPattern=[%d] %p %m (%c)%n

log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.network.RequestChannel$=WARN
log4j.logger.state.change.logger=INFO, stateChangeAppender
log4j.additivity.state.change.logger=false
log4j.logger.kafka.log.LogCleaner=INFO, cleanerAppender
log4j.additivity.kafka.log.LogCleaner=false
EOF

    write_tools_log4j
}

# For the one-shot tools (StorageTool, TransactionsCommand): warnings to stderr only.
write_tools_log4j() {
    mkdir -p "$CONF_DIR"
    cat >"$CONF_DIR/tools-log4j.properties.tmp" <<'EOF'
# Generated by scripts/kafka.sh; edits are overwritten.
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
    mv "$CONF_DIR/tools-log4j.properties.tmp" "$CONF_DIR/tools-log4j.properties"
}

# A Kafka Uuid as kafka-storage.sh random-uuid prints it: 16 random bytes,
# base64url without padding, 22 characters, not starting with '-'.
new_cluster_id() {
    local id
    while :; do
        id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
        [[ ${#id} -eq 22 && $id != -* && $id != AAAAAAAAAAAAAAAAAAAAA* ]] && break
    done
    echo "$id"
}

# The storage holds the SCRAM credentials of KAFKA_PRINCIPALS (a marker says
# so: SECURED). A storage formatted by an older scripts/kafka.sh (PLAINTEXT,
# no credentials) is moved aside, not reused: its metadata knows no principal.
SECURED=.riskhub-scram
prepare_security() {
    tls_make
    ((${#KAFKA_PRINCIPALS[@]} > 3)) || add_parties
    if [[ -f $DATA_DIR/meta.properties && -f $DATA_DIR/$SECURED ]]; then
        # a party added to the configuration since the format: its file now,
        # its credentials on the running brokers (scram_sync, after the start)
        creds_make
        creds_check
        return 0
    fi
    if [[ -f $DATA_DIR/meta.properties ]]; then
        local aside
        aside=$DATA_DIR.plaintext.$(date +%Y%m%d%H%M%S)
        mv "$DATA_DIR" "$aside"
        mkdir -p "$DATA_DIR"
        warn "the storage in $DATA_DIR was made without credentials (PLAINTEXT, before SASL_SSL): moved to $aside; a new one is formatted"
    fi
    creds_make
}

format_storage() {
    if [[ -f $DATA_DIR/meta.properties ]]; then
        return 0
    fi
    local cid t0 scram=()
    mapfile -t scram < <(scram_format_args)
    if [[ -s $CLUSTER_ID_FILE ]]; then
        cid=$(<"$CLUSTER_ID_FILE")
    else
        cid=$(new_cluster_id)
        echo "$cid" >"$CLUSTER_ID_FILE"
    fi
    t0=$(now_ms)
    java -Xmx256m -Dlog4j.configuration="file:$CONF_DIR/tools-log4j.properties" \
        -cp "$LIBS/*" kafka.tools.StorageTool format \
        -t "$cid" -c "$SERVER_PROPS" --ignore-formatted "${scram[@]}" >"$LOG_DIR/storage-format.out" 2>&1 || {
        cat "$LOG_DIR/storage-format.out" >&2
        die "formatting the KRaft storage in $DATA_DIR failed"
    }
    printf '%s\n' "${KAFKA_PRINCIPALS[@]}" >"$DATA_DIR/$SECURED"
    say "kafka: storage formatted (cluster id $cid) in $(since "$t0")"
}

# --- process ----------------------------------------------------------------

# The pid of our broker, or nothing. Trusts the pid file only if that process
# really is kafka.Kafka with our server.properties (pids get reused); falls back
# to looking for exactly our command line in case the pid file was lost.
broker_pid() {
    local pid=
    if [[ -s $PID_FILE ]]; then
        pid=$(<"$PID_FILE")
        if pid_alive "$pid" && pid_cmdline_has "$pid" "kafka.Kafka $SERVER_PROPS"; then
            echo "$pid"
            return 0
        fi
    fi
    for pid in $(pgrep -x java || true); do
        if pid_cmdline_has "$pid" "kafka.Kafka $SERVER_PROPS"; then
            echo "$pid" >"$PID_FILE"
            echo "$pid"
            return 0
        fi
    done
}

# The broker answers a metadata request and lists at least one broker.
broker_answers() {
    local out
    out=$(kcat -F "$CONF_DIR/admin-kcat.properties" -b "$BOOTSTRAP" -L -m "${1:-5}" -X reconnect.backoff.ms=50 -X reconnect.backoff.max.ms=250 2>/dev/null) || return 1
    grep -Eq '^ +broker [0-9]+ at ' <<<"$out"
}

# Sizes of the logs when this start began, so that a failure shows only what
# this start wrote (a rolled-over server.log is shown from its beginning).
declare -A LOG_MARK=()
mark_logs() {
    local f
    for f in "$LOG_DIR/server.log" "$LOG_DIR/kafka.out"; do
        LOG_MARK[$f]=$(stat -c %s "$f" 2>/dev/null || echo 0)
    done
}

show_log_tail() {
    local f from size
    for f in "$LOG_DIR/server.log" "$LOG_DIR/kafka.out"; do
        [[ -s $f ]] || continue
        from=${LOG_MARK[$f]:-0}
        size=$(stat -c %s "$f")
        if ((size == from)); then
            continue # nothing new from this start
        elif ((size < from)); then
            from=0 # rolled over
        fi
        echo "---- last lines of $f (this start) ----" >&2
        tail -c +$((from + 1)) "$f" | tail -n 40 >&2
    done
}

# wait_ready PID [stop-on-timeout]
wait_ready() {
    local pid=$1 stop_on_timeout=${2:-} deadline=$((SECONDS + READY_TIMEOUT))
    while :; do
        if ! pid_alive "$pid"; then
            show_log_tail
            die "the broker (pid $pid) exited during start-up"
        fi
        if broker_answers 5; then
            return 0
        fi
        if ((SECONDS >= deadline)); then
            show_log_tail
            if [[ -n $stop_on_timeout ]]; then
                warn "the broker (pid $pid) did not answer a metadata request on $BOOTSTRAP within ${READY_TIMEOUT}s (RH_KAFKA_READY_TIMEOUT); stopping it"
                stop_pid "$pid"
                die "Kafka did not start"
            fi
            die "the broker (pid $pid) did not answer a metadata request on $BOOTSTRAP within ${READY_TIMEOUT}s; stop it with: $0 stop"
        fi
        sleep 0.25
    done
}

# Start java for the broker of the current variables; its pid in SPAWNED.
spawn_broker() {
    mark_logs
    rm -f "$PID_FILE"
    # A new session, detached from the caller's terminal and file descriptors;
    # the inner shell writes its own pid and execs java, so the pid is java's.
    # shellcheck disable=SC2016 # $$ and $@ belong to the inner shell
    # shellcheck disable=SC2086 # KAFKA_HEAP is a list of JVM options
    setsid nohup bash -c 'echo $$ >"$0"; exec "$@"' "$PID_FILE" \
        java $KAFKA_HEAP -server \
        -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
        -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 \
        -Djava.awt.headless=true \
        -Dkafka.logs.dir="$LOG_DIR" \
        -Dlog4j.configuration="file:$CONF_DIR/log4j.properties" \
        -cp "$LIBS/*" \
        kafka.Kafka "$SERVER_PROPS" \
        </dev/null >>"$LOG_DIR/kafka.out" 2>&1 9>&- &
    local i
    for ((i = 0; i < 100; i++)); do
        [[ -s $PID_FILE ]] && break
        sleep 0.05
    done
    [[ -s $PID_FILE ]] || die "the broker did not start (no pid file $PID_FILE)"
    SPAWNED=$(<"$PID_FILE")
}

cmd_start() {
    need_cmd java "run scripts/deps.sh"
    need_cmd kcat "run scripts/deps.sh (kcat is the readiness probe)"
    cmd_fetch

    local pid t0
    pid=$(broker_pid)
    if [[ -n $pid ]]; then
        wait_ready "$pid"
        say "kafka: already running (pid $pid, bootstrap $BOOTSTRAP)"
        return 0
    fi
    local p
    for p in "$KAFKA_PORT" "$CONTROLLER_PORT"; do
        if port_open "$p"; then
            die "port 127.0.0.1:$p is taken by another process; set RH_KAFKA_PORT/RH_KAFKA_CONTROLLER_PORT"
        fi
    done

    prepare_security
    write_config
    format_storage

    t0=$(now_ms)
    spawn_broker
    pid=$SPAWNED

    wait_ready "$pid" stop-on-timeout
    scram_sync "$BOOTSTRAP"
    say "kafka: Kafka $(kafka_version) ready on $BOOTSTRAP (pid $pid) in $(since "$t0"); logs in $LOG_DIR"
}


# stop_pid PID: SIGTERM (a clean shutdown), SIGKILL after STOP_TIMEOUT s.
stop_pid() {
    local pid=$1 deadline
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + STOP_TIMEOUT))
    while pid_alive "$pid" && ((SECONDS < deadline)); do
        sleep 0.2
    done
    if pid_alive "$pid"; then
        warn "the broker (pid $pid) did not stop within ${STOP_TIMEOUT}s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
        while pid_alive "$pid"; do sleep 0.1; done
    fi
    rm -f "$PID_FILE"
}

cmd_stop() {
    local pid t0
    pid=$(broker_pid)
    if [[ -z $pid ]]; then
        rm -f "$PID_FILE"
        say "kafka: not running"
        return 0
    fi
    t0=$(now_ms)
    stop_pid "$pid"
    say "kafka: stopped (pid $pid) in $(since "$t0")"
}

# One start or stop at a time per state directory.
lock() {
    mkdir -p "$KAFKA_HOME"
    exec 9>"$KAFKA_HOME/.lock"
    flock -w 180 9 || die "another kafka.sh start/stop holds $KAFKA_HOME/.lock"
}

cmd_status() {
    local pid
    pid=$(broker_pid)
    if [[ -z $pid ]]; then
        say "kafka: stopped (bootstrap would be $BOOTSTRAP)"
        return 3
    fi
    if broker_answers 3; then
        say "kafka: running (pid $pid, Kafka $(kafka_version), bootstrap $BOOTSTRAP)"
        return 0
    fi
    say "kafka: process $pid is up but does not answer on $BOOTSTRAP (starting, or hung: see $LOG_DIR/server.log)"
    return 3
}

# env [--export] [BOOTSTRAP]: the bootstrap, the CA every client trusts, the
# credentials of riskhub's programs and of the operator.
cmd_env() {
    local prefix=
    [[ ${1:-} == --export ]] && prefix='export '
    say "${prefix}RH_KAFKA_BOOTSTRAP=${2:-$BOOTSTRAP}"
    say "${prefix}RH_KAFKA_CA=$CA_PEM"
    say "${prefix}RH_KAFKA_CREDENTIALS=$CRED_DIR/riskhub"
    say "${prefix}RH_KAFKA_ADMIN_CREDENTIALS=$CRED_DIR/admin"
}

# run_tool CLASS ARGS...: one of Kafka's command-line tools (from the fetched
# jars) against our broker as the admin principal (--command-config, 0600);
# its exit status. Whether the broker runs is the tool's business: it says so
# itself (a timeout) when nothing answers.
run_tool() {
    local class=$1
    shift
    need_cmd java "run scripts/deps.sh"
    lock
    cmd_fetch
    write_tools_log4j
    exec 9>&- # the tool does not hold the start/stop lock
    write_admin_java
    exec java -Xmx256m -Dlog4j.configuration="file:$CONF_DIR/tools-log4j.properties" \
        -cp "$LIBS/*" "$class" --bootstrap-server "$BOOTSTRAP" \
        --command-config "$CONF_DIR/admin-client.properties" "$@"
}

# kafka-transactions (TransactionsCommand; kafka-tools is in scripts/kafka/pom.xml):
# list, describe, find-hanging, abort (docs/operations.md, "A hanging transaction").
cmd_transactions() {
    compgen -G "$LIBS/kafka-tools-*.jar" >/dev/null || cmd_fetch
    compgen -G "$LIBS/kafka-tools-*.jar" >/dev/null ||
        die "no kafka-tools jar in $LIBS: is it in $POM?"
    run_tool org.apache.kafka.tools.TransactionsCommand "$@"
}

# kafka-configs (ConfigCommand, in the broker's jar): describe or alter a topic's
# retention (docs/operations.md, "Retention"), a principal's SCRAM password.
cmd_configs() { run_tool kafka.admin.ConfigCommand "$@"; }

# kafka-acls (AclCommand, in the broker's jar): the transactional-id bindings that
# riskhub-acl apply lists but cannot make with Debian's librdkafka
# (docs/security.md, "Kafka").
cmd_acls() { run_tool kafka.admin.AclCommand "$@"; }

# --- the three-node cluster ----------------------------------------------------

cluster_lock() {
    mkdir -p "$CLUSTER_DIR"
    exec 9>"$CLUSTER_DIR/.lock"
    flock -w 180 9 || die "another kafka.sh cluster start/stop holds $CLUSTER_DIR/.lock"
}

# The metadata of the cluster lists all its brokers.
cluster_complete() {
    local out
    out=$(kcat -F "$CONF_DIR/admin-kcat.properties" -b "$CLUSTER_BOOTSTRAP" -L -m "${1:-5}" -X reconnect.backoff.ms=50 -X reconnect.backoff.max.ms=250 2>/dev/null) || return 1
    (($(grep -Ec '^ +broker [0-9]+ at ' <<<"$out") == CLUSTER_NODES))
}

# start_nodes N...: start those nodes that are not running (all at once: a
# node alone has no quorum), then wait until each answers and the metadata
# lists every broker.
start_nodes() {
    need_cmd java "run scripts/deps.sh"
    need_cmd kcat "run scripts/deps.sh (kcat is the readiness probe)"
    cmd_fetch
    local n p pid t0 started=() pids=()
    t0=$(now_ms)
    local todo=() formats=()
    for n in "$@"; do
        use_node "$n"
        pid=$(broker_pid)
        if [[ -n $pid ]]; then
            pids[n]=$pid
            continue
        fi
        for p in "$KAFKA_PORT" "$CONTROLLER_PORT"; do
            if port_open "$p"; then
                die "port 127.0.0.1:$p (node $n) is taken by another process; set RH_KAFKA_CLUSTER_PORT"
            fi
        done
        todo+=("$n")
    done
    # the cluster id first, then every node's storage at once (a JVM each)
    [[ -s $CLUSTER_DIR/cluster.id ]] || new_cluster_id >"$CLUSTER_DIR/cluster.id"
    for n in "${todo[@]}"; do
        use_node "$n"
        prepare_security
        write_config
        format_storage &
        formats+=($!)
    done
    for pid in "${formats[@]}"; do
        wait "$pid" || die "formatting a cluster node's storage failed"
    done
    for n in "${todo[@]}"; do
        use_node "$n"
        spawn_broker
        pids[n]=$SPAWNED
        started+=("$n")
    done
    for n in "$@"; do
        use_node "$n"
        wait_ready "${pids[n]}"
    done
    local deadline=$((SECONDS + READY_TIMEOUT))
    until cluster_complete 5; do
        ((SECONDS < deadline)) || die "the cluster's metadata ($CLUSTER_BOOTSTRAP) did not list $CLUSTER_NODES brokers within ${READY_TIMEOUT}s; see $CLUSTER_DIR/node*/logs/server.log"
        sleep 0.25
    done
    ((${#started[@]} == 0)) || scram_sync "$CLUSTER_BOOTSTRAP"
    if ((${#started[@]})); then
        say "kafka: cluster node(s) ${started[*]} started, Kafka $(kafka_version), in $(since "$t0"); bootstrap $CLUSTER_BOOTSTRAP"
    else
        say "kafka: cluster already running (bootstrap $CLUSTER_BOOTSTRAP)"
    fi
}

cluster_start() {
    local all=()
    for ((n = 1; n <= CLUSTER_NODES; n++)); do all+=("$n"); done
    start_nodes "${all[@]}"
}

# All nodes at once: SIGTERM to every node (a thawed one first gets SIGCONT),
# then wait; SIGKILL after STOP_TIMEOUT s.
cluster_stop() {
    local n pid t0 pids=() deadline
    t0=$(now_ms)
    for ((n = 1; n <= CLUSTER_NODES; n++)); do
        use_node "$n"
        pid=$(broker_pid)
        [[ -n $pid ]] || continue
        pids+=("$pid")
        kill -CONT "$pid" 2>/dev/null || true
        kill -TERM "$pid" 2>/dev/null || true
    done
    if ((${#pids[@]} == 0)); then
        say "kafka: cluster not running"
        return 0
    fi
    deadline=$((SECONDS + STOP_TIMEOUT))
    for pid in "${pids[@]}"; do
        while pid_alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
        if pid_alive "$pid"; then
            warn "cluster node pid $pid did not stop within ${STOP_TIMEOUT}s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
            while pid_alive "$pid"; do sleep 0.1; done
        fi
    done
    for ((n = 1; n <= CLUSTER_NODES; n++)); do
        use_node "$n"
        rm -f "$PID_FILE"
    done
    say "kafka: cluster stopped (${#pids[@]} nodes) in $(since "$t0")"
}

cluster_status() {
    local n pid up=0 state
    for ((n = 1; n <= CLUSTER_NODES; n++)); do
        use_node "$n"
        pid=$(broker_pid)
        if [[ -z $pid ]]; then
            say "kafka: cluster node $n: stopped ($BOOTSTRAP)"
            continue
        fi
        state=$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
        if [[ $state == T ]]; then
            say "kafka: cluster node $n: frozen (pid $pid, $BOOTSTRAP)"
        elif broker_answers 3; then
            say "kafka: cluster node $n: running (pid $pid, $BOOTSTRAP)"
            up=$((up + 1))
        else
            say "kafka: cluster node $n: process $pid up but not answering on $BOOTSTRAP"
        fi
    done
    ((up == CLUSTER_NODES)) || return 3
}

# cluster node N ACTION
cluster_node() {
    local n=${1:-} action=${2:-} pid
    [[ $n =~ ^[1-9]$ ]] && ((n <= CLUSTER_NODES)) || die "cluster node: N must be 1..$CLUSTER_NODES, not '$n'"
    use_node "$n"
    case $action in
        start)
            cluster_lock
            start_nodes "$n"
            return 0
            ;;
        pid | kill | freeze | thaw | term) ;;
        *) usage ;;
    esac
    pid=$(broker_pid)
    if [[ -z $pid ]]; then
        say "kafka: cluster node $n is not running"
        return 3
    fi
    case $action in
        pid) say "$pid" ;;
        kill)
            kill -KILL "$pid"
            while pid_alive "$pid"; do sleep 0.05; done
            rm -f "$PID_FILE"
            say "kafka: cluster node $n (pid $pid) killed"
            ;;
        freeze)
            kill -STOP "$pid"
            say "kafka: cluster node $n (pid $pid) frozen (SIGSTOP)"
            ;;
        thaw)
            kill -CONT "$pid"
            say "kafka: cluster node $n (pid $pid) thawed (SIGCONT)"
            ;;
        term)
            kill -CONT "$pid" 2>/dev/null || true
            stop_pid "$pid"
            say "kafka: cluster node $n (pid $pid) stopped"
            ;;
    esac
}

cmd_cluster() {
    case ${1:-} in
        start)
            cluster_lock
            cluster_start
            ;;
        stop)
            cluster_lock
            cluster_stop
            ;;
        status) cluster_status ;;
        env) cmd_env "${2:-}" "$CLUSTER_BOOTSTRAP" ;;
        transactions)
            shift
            BOOTSTRAP=$CLUSTER_BOOTSTRAP
            CONF_DIR=$CLUSTER_DIR/tools
            cmd_transactions "$@"
            ;;
        configs)
            shift
            BOOTSTRAP=$CLUSTER_BOOTSTRAP
            CONF_DIR=$CLUSTER_DIR/tools
            cmd_configs "$@"
            ;;
        acls)
            shift
            BOOTSTRAP=$CLUSTER_BOOTSTRAP
            CONF_DIR=$CLUSTER_DIR/tools
            cmd_acls "$@"
            ;;
        node)
            shift
            cluster_node "$@"
            ;;
        *) usage ;;
    esac
}

case ${1:-} in
    fetch)
        lock
        cmd_fetch
        ;;
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
    transactions)
        shift
        cmd_transactions "$@"
        ;;
    configs)
        shift
        cmd_configs "$@"
        ;;
    acls)
        shift
        cmd_acls "$@"
        ;;
    cluster)
        shift
        cmd_cluster "$@"
        ;;
    *) usage ;;
esac
