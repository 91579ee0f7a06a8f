"""Kafka with confluent-kafka: reading (read_committed), topics, groups, raw records.

The clients of this module use group ids and transactional ids that start with
"rhtest-" (a test family: rhtest.snapshot leaves them out) and never commit."""
import json
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from .avro import decode
from . import env as _env

__all__ = ["client_conf", "kcat_config", "kafka_transactions", "topic_configs", "consumer", "admin", "list_topics", "list_groups", "high_watermark", "end_offsets", "read_topics", "read_topic",
           "read_ranges", "header", "create_topics", "delete_topics", "delete_groups", "produce_raw",
           "produce_in_txn", "manifests_by_batch", "OpenTransaction", "topic_class", "RETENTION_MS_DEFAULT", "SEGMENT_MS_DEFAULT"]

_ADMIN = []


def client_conf(bootstrap=None, credentials=None, **extra):
    """A client's properties: the brokers (default rhtest.BOOTSTRAP), TLS and the
    principal of credentials (default the operator's), then extra (keys with
    dots given as a dict: client_conf(**{"group.id": ...}))."""
    return {"bootstrap.servers": bootstrap or _env.BOOTSTRAP, **_env.kafka_security(credentials), **extra}


def kcat_config(folder, credentials=None):
    """kcat's -F arguments: a properties file (0600, in folder, one a credentials
    file) with client_conf() but the brokers (give them with -b), so that no
    password is on a command line."""
    cred = Path(credentials or _env.KAFKA_ADMIN_CREDENTIALS)
    path = Path(folder) / f"kcat-{cred.name}.properties"
    tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex[:8]}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fp:
        for k, v in client_conf(credentials=cred).items():
            if k != "bootstrap.servers":
                fp.write(f"{k}={v}\n")
    os.replace(tmp, path)
    return ["-F", str(path)]


def consumer(**extra):
    conf = {**client_conf(), "group.id": f"rhtest-reader-{uuid.uuid4().hex}",
            "isolation.level": "read_committed", "enable.auto.commit": False,
            "enable.partition.eof": True, "auto.offset.reset": "earliest",
            "fetch.wait.max.ms": 20}
    conf.update(extra)
    return Consumer(conf)


def forget_admin():
    """The next admin() connects anew (to rhtest.BOOTSTRAP as it is then)."""
    _ADMIN.clear()


def admin():
    """One AdminClient a process (a client destroyed with requests pending logs noise)."""
    if not _ADMIN:
        _ADMIN.append(AdminClient(client_conf()))
    return _ADMIN[0]


def list_topics(prefix=""):
    md = admin().list_topics(timeout=15)
    return sorted(t for t in md.topics if t.startswith(prefix))


def list_groups(prefix=""):
    return sorted(g.group_id for g in admin().list_consumer_groups().result(30).valid
                  if g.group_id.startswith(prefix))


def high_watermark(c, topic, partition, tries=40):
    """A partition's high watermark (c: a Consumer). A topic just created can be in the
    metadata with a leader that does not know it yet (NOT_LEADER_FOR_PARTITION): again."""
    for i in range(tries):
        try:
            return c.get_watermark_offsets(TopicPartition(topic, partition), timeout=15)[1]
        except KafkaException:
            if i == tries - 1:
                raise
            time.sleep(0.25)


def end_offsets(topic):
    """{partition: high watermark} now: read_topic(since=...) reads only what came after."""
    c = consumer()
    try:
        md = c.list_topics(topic, timeout=10)
        if topic not in md.topics or md.topics[topic].error is not None:
            return {}
        return {p: high_watermark(c, topic, p) for p in md.topics[topic].partitions}
    finally:
        c.close()


def read_topics(topics, timeout=60, keep=None, since=None, isolation="read_committed"):
    """Every committed message of the topics, from the beginning (or, for one topic,
    from `since` {partition: offset}) to the end, those for which keep(msg) is true
    (all if None). Streams: only kept messages are held in memory."""
    c = consumer(**{"isolation.level": isolation})
    since = since or {}
    try:
        md = c.list_topics(timeout=15)
        tps = []
        for t in topics:
            if t in md.topics and md.topics[t].error is None:
                tps += [TopicPartition(t, p, since.get(p, 0)) for p in md.topics[t].partitions]
        if not tps:
            return []
        c.assign(tps)
        pending = {(tp.topic, tp.partition) for tp in tps}
        out, deadline = [], time.time() + timeout
        while pending and time.time() < deadline:
            for m in c.consume(5000, 0.05):
                if m.error():
                    if m.error().code() == KafkaError._PARTITION_EOF:
                        pending.discard((m.topic(), m.partition()))
                        continue
                    raise RuntimeError(m.error())
                if keep is None or keep(m):
                    out.append(m)
        assert not pending, f"no end of partitions {sorted(pending)} within {timeout} s"
        return out
    finally:
        c.close()


def read_topic(topic, timeout=60, keep=None, since=None):
    return read_topics([topic], timeout=timeout, keep=keep, since=since)


def read_ranges(topic, ranges, timeout=60):
    """The messages of each {partition, first_offset, last_offset} range."""
    c = consumer()
    try:
        want = {r["partition"]: r for r in ranges}
        c.assign([TopicPartition(topic, p, r["first_offset"]) for p, r in want.items()])
        pending, out, deadline = set(want), [], time.time() + timeout
        while pending and time.time() < deadline:
            m = c.poll(0.5)
            if m is None or (m.error() and m.error().code() == KafkaError._PARTITION_EOF):
                continue
            if m.error():
                raise RuntimeError(m.error())
            r = want[m.partition()]
            if m.offset() <= r["last_offset"]:
                out.append(m)
            if m.offset() >= r["last_offset"]:
                pending.discard(m.partition())
        assert not pending, f"{topic}: ranges {pending} not read within {timeout} s"
        return out
    finally:
        c.close()


def header(msg, name):
    for k, v in msg.headers() or []:
        if k == name:
            return v.decode() if v is not None else None
    return None


def manifests_by_batch(topics):
    """{batch_id: [BatchManifest]} of manifests topics (a name or a list)."""
    out = {}
    for m in read_topics([topics] if isinstance(topics, str) else list(topics)):
        name, rec = decode(m.value())
        assert name == "BatchManifest"
        assert m.key().decode() == rec["batch_id"]
        out.setdefault(rec["batch_id"], []).append(rec)
    return out


# The defaults of topics.retention / topics.segment (common/rh_config.h): what riskhub's
# programs set on the topics they create, with the shipped configuration.
RETENTION_MS_DEFAULT = 400 * 86400000
SEGMENT_MS_DEFAULT = 30 * 86400000
_CLASS_OF = re.compile(r"^rhtest-[a-z0-9-]*[0-9a-f]{8,}\.(?:(feed\.manifests|feed\.rejects|riskhub\.dlq)"
                       r"|feed\.[^.]+\.(manifests|rejects)|(feed|alerts|checks)\.[^.].*)$")


def topic_class(topic):
    """riskhub's class of a test namespace's topic (rh_config_topic_class): "feeds",
    "manifests", "rejects", "alerts", "checks", "dlq", or None."""
    m = _CLASS_OF.match(topic)
    if not m:
        return None
    return {"feed.manifests": "manifests", "feed.rejects": "rejects", "riskhub.dlq": "dlq",
            "manifests": "manifests", "rejects": "rejects",
            "feed": "feeds", "alerts": "alerts", "checks": "checks"}[m.group(1) or m.group(2)
                                                                     or m.group(3)]


def create_topics(topics, partitions=3, timeout=30):
    """Topics that do not exist yet (as riskhub-produce creates them: 3 partitions, the
    replication of RH_TOPIC_REPLICATION_FACTOR / RH_TOPIC_MIN_INSYNC_REPLICAS, default
    1, as the programs read them; a topic of a class with the default retention.ms and
    segment.ms, a manifests topic stamped by the broker), and wait until every broker's metadata shows every partition with a
    leader."""
    a = admin()
    have = set(a.list_topics(timeout=15).topics)
    rf = int(os.environ.get("RH_TOPIC_REPLICATION_FACTOR") or 1)
    isr = os.environ.get("RH_TOPIC_MIN_INSYNC_REPLICAS")
    conf = {"min.insync.replicas": isr} if isr else {}

    def conf_of(t):
        cls = topic_class(t)
        if cls is None:
            return conf
        c = dict(conf, **{"retention.ms": str(RETENTION_MS_DEFAULT), "segment.ms": str(SEGMENT_MS_DEFAULT)})
        if cls == "manifests":
            c["message.timestamp.type"] = "LogAppendTime"
        return c
    new = [NewTopic(t, partitions, rf, config=conf_of(t)) for t in topics if t not in have]
    if new:
        for t, f in a.create_topics(new, operation_timeout=30).items():
            try:
                f.result(60)
            except KafkaException as e:
                if e.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                    raise
    deadline = time.time() + timeout
    # every broker of a cluster, asked by a client of its own: one behind on metadata
    # told a program's producer that a topic just made had 0 partitions ("Unknown
    # topic", riskhub-produce exit 69 in a fault-free publish on the cluster)
    for addr in _env.BOOTSTRAP.split(","):
        while True:
            one = a if "," not in _env.BOOTSTRAP else AdminClient(client_conf(addr))
            md = one.list_topics(timeout=15)
            ready = all(t in md.topics and md.topics[t].error is None and md.topics[t].partitions
                        and all(p.leader >= 0 for p in md.topics[t].partitions.values())
                        for t in topics)
            if ready:
                break
            assert time.time() < deadline, f"topics not ready within {timeout} s (broker {addr})"
            time.sleep(0.1)


def delete_topics(prefix, timeout=20):
    """Deletes every topic whose name starts with `prefix` (a test prefix: see
    rhtest.namespace). A topic created just before may not be listed yet, or not be
    deletable yet (its leader not ready), so it looks again until none is left or
    `timeout` s have passed. The number deleted; errors are left out (best effort)."""
    from .namespace import assert_test_prefix
    assert_test_prefix(prefix)
    a, deleted, deadline, quiet = admin(), set(), time.time() + timeout, 0
    while time.time() < deadline:
        topics = [t for t in list_topics(prefix) if t not in deleted]
        if not topics:
            quiet += 1
            if quiet == 2:  # none left, twice in a row
                break
            time.sleep(0.5)
            continue
        quiet = 0
        for t, f in a.delete_topics(topics, operation_timeout=30).items():
            try:
                f.result(60)
                deleted.add(t)
            except Exception:  # noqa: BLE001 - best effort
                pass
        time.sleep(0.5)
    return len(deleted)


def delete_groups(prefix):
    """Deletes every consumer group whose id starts with `prefix` (a test prefix)."""
    from .namespace import assert_test_prefix
    assert_test_prefix(prefix)
    try:
        mine = list_groups(prefix)
        if mine:
            for f in admin().delete_consumer_groups(mine, request_timeout=15).values():
                try:
                    f.result(30)
                except Exception:  # noqa: BLE001 - a group still in use, or gone already
                    pass
        return len(mine)
    except Exception:  # noqa: BLE001 - best effort
        return 0


def _produce(items, **conf):
    """[(topic, partition, key, value)] with an idempotent producer; each is flushed
    alone (the offsets come in this order), in one committed transaction when conf
    has a transactional.id. [(partition, offset)] back."""
    p = Producer({**client_conf(), "enable.idempotence": True, "acks": "all",
                  "linger.ms": 0, **conf})
    txn = "transactional.id" in conf
    got = [None] * len(items)

    def cb(i):
        def done(err, msg):
            assert err is None, err
            got[i] = (msg.partition(), msg.offset())
        return done
    if txn:
        p.init_transactions(30)
        p.begin_transaction()
    for i, (topic, part, key, value) in enumerate(items):
        p.produce(topic, key=key, value=value, partition=part, on_delivery=cb(i))
        if not txn:
            p.flush(30)
    if txn:
        p.commit_transaction(30)
    p.flush(30)
    assert None not in got
    return got


def topic_configs(topic):
    """{name: value} of a topic's configuration, as the broker describes it."""
    from confluent_kafka.admin import ConfigResource
    res = ConfigResource(ConfigResource.Type.TOPIC, topic)
    got = admin().describe_configs([res])[res].result(30)
    return {k: e.value for k, e in got.items()}


def produce_raw(topic, items, partition=0):
    """[(key, value bytes)] to one partition, idempotent; [(partition, offset)] back."""
    return _produce([(topic, partition, k, v) for k, v in items])


def produce_in_txn(items):
    """[(topic, partition, key, value)] in one committed transaction (as the join
    writes); [(partition, offset)] back."""
    return _produce(items, **{"transactional.id": f"rhtest-txn-{uuid.uuid4().hex}"})


def kafka_transactions(*args, check=True):
    """scripts/kafka.sh transactions ARGS (Kafka's kafka-transactions tool) against
    the tests' broker: its stdout (exit 0 asserted unless check=False)."""
    env = dict(os.environ, RH_KAFKA_PORT=_env.BOOTSTRAP.rsplit(":", 1)[1])
    r = subprocess.run(["bash", str(_env.SRC / "scripts" / "kafka.sh"), "transactions", *args],
                       capture_output=True, text=True, timeout=120, env=env)
    if check:
        assert r.returncode == 0, \
            f"kafka.sh transactions {' '.join(args)}: exit {r.returncode}\n{r.stderr}"
    return r.stdout


_OPEN_TXN = r"""
import json
import os
import sys
from confluent_kafka import Producer
p = Producer({**json.loads(os.environ.pop("RHTEST_KAFKA_CONF")), "transactional.id": sys.argv[2],
              "transaction.timeout.ms": 600000, "enable.idempotence": True, "acks": "all",
              "linger.ms": 0})
p.init_transactions(30)
p.begin_transaction()
for spec in sys.argv[3:]:
    topic, part = spec.rsplit(":", 1)
    p.produce(topic, key=b"open", value=b"not committed yet", partition=int(part))
p.flush(30)
print("open", flush=True)
sys.stdin.readline()
p.abort_transaction(30)
print("aborted", flush=True)
"""


class OpenTransaction:
    """A transaction on each (topic, partition), written and flushed but not
    committed, held by a child process (transaction.timeout.ms 10 min: the
    coordinator leaves it open for the test). abort(): the child aborts it and
    exits; kill(): SIGKILL, no abort, no commit: the transaction stays open, as
    a crashed producer's does. AssertionError when the child could not open it."""

    def __init__(self, txid, partitions):
        self.proc = subprocess.Popen([sys.executable, "-c", _OPEN_TXN, _env.BOOTSTRAP, txid,
                                      *[f"{t}:{p}" for t, p in partitions]],
                                     env=dict(os.environ, RHTEST_KAFKA_CONF=json.dumps(client_conf())),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()  # "open" once flushed, or EOF if it failed
        if line.strip() != "open":
            self.kill()
            raise AssertionError(f"the transactional producer did not start: {self.proc.stderr.read()}")

    def abort(self):
        """True when the child said it aborted."""
        try:
            self.proc.stdin.write("\n")
            self.proc.stdin.flush()
            return self.proc.stdout.readline().strip() == "aborted"
        finally:
            self.kill()

    def kill(self):
        self.proc.kill()
        self.proc.wait(30)
