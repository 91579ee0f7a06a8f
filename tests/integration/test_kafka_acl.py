"""riskhub-acl (issue 12, docs/security.md "Kafka: the parties' rights"): the brokers'
ACLs derived from the configuration, and the brokers themselves refusing what the plan
does not allow. The namespace's principals are made for the test (SCRAM credentials
through the Admin API, as admin) and removed at its end, with the namespace's bindings.

The matrix, tried for real: every department writes one record to every department's
feed, manifests and rejects topics (feed.<dept>.*) and to a township's alerts and
checks; every township reads every alerts and checks topic; the ledger reads the
departments' manifests, never their lists. What the policy below allows must work,
everything else must be refused by the broker."""
import re
import time
import uuid

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import (AclBinding, AclBindingFilter, AclOperation, AclPermissionType, ResourcePatternType,
                                   ResourceType, ScramCredentialInfo, ScramMechanism,
                                   UserScramCredentialDeletion, UserScramCredentialUpsertion)

import rhtest

CFG = rhtest.load_config()
DEPTS = [d["code"] for d in CFG["departments"]]
FEEDS = {d["code"]: [f["code"] for f in d["feeds"]] for d in CFG["departments"]}
TOWNS = [t["code"] for t in CFG["townships"]]
SERVICES = ["join", "ledger", "audit", "status"]
DIFFER, NOPERM = 2, 77


def acl(ns, *args):
    return ns.run("riskhub-acl", *args, "--config", rhtest.CONFIG, timeout=120,
                  env={"RH_KAFKA_CREDENTIALS": rhtest.KAFKA_ADMIN_CREDENTIALS})


@pytest.fixture
def parties(namespace):
    """A namespace, its principals with fresh passwords, and its topics (one
    partition each, a record in every alerts and checks topic)."""
    ns = namespace(database=False, parties=False)
    p = ns.prefix
    names = ([f"{p}dept.{d}" for d in DEPTS] + [f"{p}town.{t}" for t in TOWNS]
             + [f"{p}svc.{s}" for s in SERVICES])
    passwords = {n: uuid.uuid4().hex for n in names}
    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096)
    a = rhtest.admin()
    for f in a.alter_user_scram_credentials(
            [UserScramCredentialUpsertion(n, info, pw.encode()) for n, pw in passwords.items()]).values():
        f.result(60)
    feeds = [ns.topic(f"feed.{d}.{f}") for d in DEPTS for f in FEEDS[d]]
    alerts = [ns.topic(f"alerts.{t}") for t in TOWNS]
    checks = [ns.topic(f"checks.{t}") for t in TOWNS]
    rhtest.create_topics(feeds + alerts + checks + ns.topics_of("feed.manifests") + ns.topics_of("feed.rejects"),
                         partitions=1)
    rhtest.produce_in_txn([(t, 0, b"k", b"for the township") for t in alerts + checks])
    try:
        yield ns, passwords
    finally:
        acl(ns, "revoke")
        for f in a.alter_user_scram_credentials(
                [UserScramCredentialDeletion(n, ScramMechanism.SCRAM_SHA_512) for n in names]).values():
            f.result(60)


def as_party(passwords, name, **extra):
    return {**rhtest.client_conf(), "sasl.username": name, "sasl.password": passwords[name], **extra}


def namespace_acls(prefix):
    """Every binding on the brokers naming the namespace (confluent-kafka's view,
    transactional ids included)."""
    f = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None, None, AclOperation.ANY,
                         AclPermissionType.ANY)
    return [b for b in rhtest.admin().describe_acls(f).result(30)
            if b.name.startswith(prefix) or b.principal.startswith(f"User:{prefix}")]


def test_plan_apply_check_revoke(parties):
    ns, _ = parties
    p = ns.prefix
    r = acl(ns, "plan")
    assert r.returncode == 0, r.stderr
    lines = set(r.stdout.splitlines())
    # a department 6 and 4 to receive its new monitoring objects (docs/outbound.md),
    # 2 more with a check feed (its applicants); a township 13 (6 to read, 5 to
    # publish its verifications, 2 for riskhub-web's transactional id) and 2 to read its identity
    # discrepancies; the services join, ledger, audit (20: the pushes, the scale risks and the
    # discrepancies too), status (29: riskhub-health reads the pushes and the discrepancies too), push
    # (6), scale (6), identity (10: public-security's identity list and manifests) (the ledger reads
    # and describes every department's manifests topic)
    checking = [d["code"] for d in CFG["departments"] if any(f["kind"] == "check" for f in d["feeds"])]
    n = (len(DEPTS) * 10 + 2 * len(checking) + len(TOWNS) * 15 + 23 + (9 + 2 * len(DEPTS)) + 20
         + 29 + 6 + 6 + 10)
    assert f"{n} bindings: {len(DEPTS)} departments, {len(TOWNS)} townships, 7 services (namespace '{p}')" in lines
    for want in (f"ALLOW User:{p}dept.health WRITE TOPIC PREFIXED {p}feed.health.",
                 f"ALLOW User:{p}dept.health WRITE TRANSACTIONAL_ID PREFIXED {p}riskhub-produce.health.",
                 f"ALLOW User:{p}town.411024100 READ TOPIC LITERAL {p}alerts.411024100",
                 f"ALLOW User:{p}town.411024100 READ GROUP PREFIXED {p}riskhub-alerts.411024100.",
                 f"ALLOW User:{p}town.411024100 WRITE TOPIC LITERAL {p}verifications.411024100",
                 f"ALLOW User:{p}town.411024100 WRITE TRANSACTIONAL_ID LITERAL {p}riskhub-verify.411024100",
                 f"ALLOW User:{p}town.411024100 WRITE TRANSACTIONAL_ID LITERAL {p}riskhub-web.411024100",
                 f"ALLOW User:{p}town.411024100 DESCRIBE TRANSACTIONAL_ID LITERAL {p}riskhub-web.411024100",
                 f"ALLOW User:{p}svc.ledger READ TOPIC PREFIXED {p}verifications.",
                 f"ALLOW User:{p}svc.join READ TOPIC PREFIXED {p}feed.",
                 f"ALLOW User:{p}dept.health READ TOPIC LITERAL {p}feed.health.manifests",
                 f"ALLOW User:{p}svc.ledger READ TOPIC LITERAL {p}feed.banks.manifests",
                 f"ALLOW User:{p}svc.push WRITE TOPIC PREFIXED {p}outbound.",
                 f"ALLOW User:{p}svc.push WRITE TRANSACTIONAL_ID LITERAL {p}riskhub-push",
                 f"ALLOW User:{p}svc.scale WRITE TOPIC LITERAL {p}riskhub.scale-risks",
                 f"ALLOW User:{p}svc.scale WRITE TRANSACTIONAL_ID LITERAL {p}riskhub-scale",
                 f"ALLOW User:{p}svc.audit READ TOPIC LITERAL {p}riskhub.scale-risks",
                 f"ALLOW User:{p}svc.identity READ TOPIC LITERAL {p}feed.public-security.identity",
                 f"ALLOW User:{p}svc.identity WRITE TOPIC PREFIXED {p}identity.",
                 f"ALLOW User:{p}town.411024100 READ TOPIC LITERAL {p}identity.411024100",
                 f"ALLOW User:{p}dept.banks READ TOPIC LITERAL {p}outbound.banks.applicants",
                 f"ALLOW User:{p}dept.health READ TOPIC LITERAL {p}outbound.health.new-monitoring-objects",
                 f"ALLOW User:{p}dept.health READ GROUP LITERAL {p}riskhub-receive.health"):
        assert f"  allow    {want}" in lines, want
    # a department without a check feed gets no applicants; none reads another's pushes
    assert not any(f"{p}outbound.health.applicants" in x for x in lines)
    assert not any(f"User:{p}dept.health READ TOPIC LITERAL {p}outbound.banks." in x for x in lines)
    txn = rhtest.plan_transactional_ids(r.stdout)
    assert len(txn) == len(DEPTS) * 2 + len(TOWNS) * 4 + 3 + 2 + 2 + 2  # join, status, push, scale, identity
    m = n - len(txn)  # what librdkafka 2.0.2 can make and read
    # nothing is on the brokers yet
    r = acl(ns, "check")
    assert r.returncode == DIFFER and f": {m} missing, 0 extra ({m} planned" in r.stdout, r.stdout + r.stderr
    assert f"not compared: the plan's {len(txn)} transactional-id bindings" in r.stdout
    # apply: all, the transactional ids in kafka-acls' words
    r = acl(ns, "apply")
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"{m} bindings made, 0 there already, 0 removed" in r.stdout
    assert (f"kafka-acls --add --allow-principal User:{p}dept.health --operation Write --operation Describe "
            f"--transactional-id {p}riskhub-produce.health. --resource-pattern-type prefixed") in r.stdout
    r = acl(ns, "check")
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"the brokers' ACLs are the plan: 0 missing, 0 extra ({m} planned" in r.stdout
    # the transactional ids made with another client, as Kafka's kafka-acls would
    for f in rhtest.admin().create_acls(txn).values():
        f.result(30)
    rhtest.wait_for(lambda: len(namespace_acls(p)) == n, 60, f"the broker's authorizer to hold {n} bindings")
    r = acl(ns, "check")
    assert r.returncode == 0, r.stdout + r.stderr
    r = acl(ns, "apply")
    assert r.returncode == 0 and f"0 bindings made, {m} there already" in r.stdout, r.stdout
    # a binding added by hand on the namespace's resources is found, and pruned
    hand = AclBinding(ResourceType.TOPIC, f"{p}alerts.411024100", ResourcePatternType.LITERAL,
                      f"User:{p}dept.health", "*", AclOperation.READ, AclPermissionType.ALLOW)
    for f in rhtest.admin().create_acls([hand]).values():
        f.result(30)
    # the controller has committed it; the broker's authorizer holds it a moment later
    # (CI, 2026-12-05: riskhub-acl check ran first and saw the plan alone)
    rhtest.wait_for(lambda: len(namespace_acls(p)) == n + 1, 60,
                    "the broker's authorizer to hold the binding added by hand")
    r = acl(ns, "check")
    assert r.returncode == DIFFER, r.stdout
    assert (f"  extra    ALLOW User:{p}dept.health READ TOPIC LITERAL {p}alerts.411024100"
            in r.stdout.splitlines()), r.stdout
    r = acl(ns, "apply", "--prune")
    assert r.returncode == 0 and "0 bindings made" in r.stdout and "1 removed" in r.stdout, r.stdout
    assert acl(ns, "check").returncode == 0
    # another namespace's bindings are not this one's business
    other = rhtest.Namespace(database=False, parties=False)
    try:
        r = other.run("riskhub-acl", "check", "--config", rhtest.CONFIG,
                      env={"RH_KAFKA_CREDENTIALS": rhtest.KAFKA_ADMIN_CREDENTIALS})
        assert f": {m} missing, 0 extra" in r.stdout, r.stdout
    finally:
        other.close()
    # revoke: everything of the namespace, the transactional ids too
    r = acl(ns, "revoke")
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"{m} bindings of namespace '{p}' removed, and the plan's {len(txn)} transactional-id" in r.stdout
    # the controller has committed the deletions; the broker's authorizer applies
    # them from the metadata log a moment later (seen: seconds, on a loaded machine)
    rhtest.wait_for(lambda: namespace_acls(p) == [], 60,
                    "the revoked bindings to leave the broker's authorizer")
    assert acl(ns, "check").returncode == DIFFER


def test_riskhub_acl_needs_the_admin(parties, tmp_path):
    ns, passwords = parties
    cred = tmp_path / "health"
    cred.write_text(f"sasl.username={ns.prefix}dept.health\nsasl.password={passwords[ns.prefix + 'dept.health']}\n")
    cred.chmod(0o600)
    r = ns.run("riskhub-acl", "check", "--config", rhtest.CONFIG, env={"RH_KAFKA_CREDENTIALS": cred})
    assert r.returncode == NOPERM, f"exit {r.returncode}: {r.stderr}"
    assert "authorization failed" in r.stderr.lower(), r.stderr


def test_the_brokers_enforce_the_plan(parties):
    ns, passwords = parties
    p = ns.prefix
    assert acl(ns, "apply").returncode == 0
    for f in rhtest.admin().create_acls(rhtest.plan_transactional_ids(acl(ns, "plan").stdout)).values():
        f.result(30)
    assert acl(ns, "check").returncode == 0

    # ---- every department x every topic, for write ----
    targets = ([ns.topic(f"feed.{d}.{f}") for d in DEPTS for f in FEEDS[d]]
               + ns.topics_of("feed.manifests") + ns.topics_of("feed.rejects")
               + [ns.topic(f"alerts.{TOWNS[0]}"), ns.topic(f"checks.{TOWNS[0]}")])
    wrong = []
    for d in DEPTS:
        allowed = {ns.topic(f"feed.{d}.{f}") for f in FEEDS[d]} | {ns.topic(f"feed.{d}.manifests"),
                                                                     ns.topic(f"feed.{d}.rejects")}
        prod = Producer(as_party(passwords, f"{p}dept.{d}", **{"message.timeout.ms": 20000,
                                                                 "acks": "all", "linger.ms": 5}))
        result = {}
        for t in targets:
            prod.produce(t, key=d.encode(), value=b"x",
                         on_delivery=lambda err, msg, t=t: result.__setitem__(t, err))
        assert prod.flush(40) == 0
        for t in targets:
            err = result[t]
            if t in allowed and err is not None:
                wrong.append(f"dept.{d} could not write {t}: {err}")
            if t not in allowed and (err is None or err.code() != KafkaError.TOPIC_AUTHORIZATION_FAILED):
                wrong.append(f"dept.{d} wrote {t} (or failed otherwise): {err}")
    assert not wrong, "\n".join(wrong)

    # the ledger reads a department's manifests, not its list
    def ledger_reads(topic):
        c = Consumer(as_party(passwords, f"{p}svc.ledger", **{
            "group.id": f"{p}riskhub-ledger", "enable.auto.commit": False,
            "auto.offset.reset": "earliest", "isolation.level": "read_uncommitted"}))
        try:
            c.subscribe([topic])
            deadline = time.time() + 30
            while time.time() < deadline:
                m = c.poll(0.5)
                if m is None:
                    continue
                if m.error() is None:
                    return "read"
                if m.error().code() == KafkaError.TOPIC_AUTHORIZATION_FAILED:
                    return "refused"
            return "nothing"
        finally:
            c.close()
    assert ledger_reads(ns.topic("feed.health.manifests")) == "read"
    assert ledger_reads(ns.topic("feed.health.major-disease")) == "refused"

    # a department's transactional ids are its own
    own = Producer(as_party(passwords, f"{p}dept.health",
                            **{"transactional.id": f"{p}riskhub-produce.health.x.1"}))
    own.init_transactions(30)
    theirs = Producer(as_party(passwords, f"{p}dept.health",
                               **{"transactional.id": f"{p}riskhub-produce.banks.x.1"}))
    with pytest.raises(KafkaException) as e:
        theirs.init_transactions(30)
    assert e.value.args[0].code() == KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, e.value

    # ---- every township x every alerts and checks topic, for read ----
    readable = [ns.topic(f"{k}.{t}") for k in ("alerts", "checks") for t in TOWNS]
    for t in TOWNS:
        mine = {ns.topic(f"alerts.{t}"), ns.topic(f"checks.{t}")}
        c = Consumer(as_party(passwords, f"{p}town.{t}", **{
            "group.id": f"{p}riskhub-alerts.{t}.acl-test", "enable.auto.commit": False,
            "isolation.level": "read_committed", "auto.offset.reset": "earliest",
            "topic.metadata.refresh.interval.ms": 1000}))
        try:
            c.subscribe(readable)
            read, refused = set(), set()
            deadline = time.time() + 40
            while time.time() < deadline and len(read | refused) < len(readable):
                m = c.poll(0.5)
                if m is None:
                    continue
                if m.error() is None:
                    read.add(m.topic())
                elif m.error().code() == KafkaError.TOPIC_AUTHORIZATION_FAILED:
                    # one error a topic, or one naming several
                    refused.update(x for x in readable if x == m.topic()
                                   or re.search(re.escape(x) + r"\b", m.error().str() or ""))
            assert read == mine, f"town.{t} read {sorted(read)}"
            assert refused == set(readable) - mine, f"town.{t} was not refused {sorted(set(readable) - mine - refused)}"
            # its own group prefix only
            c.commit(offsets=[TopicPartition(ns.topic(f"alerts.{t}"), 0, 1)], asynchronous=False)
        finally:
            c.close()
    other = TOWNS[1]
    c = Consumer(as_party(passwords, f"{p}town.{TOWNS[0]}", **{
        "group.id": f"{p}riskhub-alerts.{other}.stolen", "enable.auto.commit": False}))
    try:
        c.subscribe([ns.topic(f"alerts.{TOWNS[0]}")])
        got = None
        deadline = time.time() + 30
        while got is None and time.time() < deadline:
            m = c.poll(0.5)
            if m is not None and m.error() is not None and \
                    m.error().code() == KafkaError.GROUP_AUTHORIZATION_FAILED:
                got = m.error()
            assert m is None or m.error() is not None, "read in another township's group"
        assert got is not None, "joining another township's consumer group was not refused"
    finally:
        c.close()


MONTH = dict(households=400, rows_per_feed=8, seed=20261205)


def test_every_program_as_its_own_party(month, namespace, tmp_path):
    """A month end to end with each program holding only its own party's
    credentials (RH_KAFKA_CREDENTIALS=<folder>/{principal}) and the brokers enforcing
    riskhub-acl's plan: every department publishes, the join, the ledger, the status,
    the replay, a township's dashboard, the health and the plumbing check run as they
    do for the county. A department using another's credentials is refused."""
    ns = namespace(month / "registry")
    parties = ns.parties  # every namespace's programs run as their parties (rhtest.Parties)
    assert parties is not None and ns.party_env, "the namespace's programs do not run as their parties"
    files = rhtest.feed_files(month / rhtest.PERIOD, rhtest.PERIOD)
    for dept, feed, path in files:
        r = ns.run("riskhub-produce", "--config", rhtest.CONFIG, "--department", dept, "--feed", feed,
                   "--period", rhtest.PERIOD, "--no-progress", "--allow-rejects", path)
        assert r.returncode in (0, 1), f"produce {dept}/{feed} as dept.{dept}: exit {r.returncode}: " \
                                       f"{rhtest.scrub(r.stderr)}"
    # health's list with banks' credentials: the brokers refuse its topic and its
    # transactional id; nothing is published (the batch is not "published already")
    dept, feed, path = next(f for f in files if f[0] == "health")
    r = ns.run("riskhub-produce", "--config", rhtest.CONFIG, "--department", dept, "--feed", feed,
               "--period", rhtest.PERIOD, "--no-progress", "--allow-rejects", "--republish",
               "--timeout-ms", "20000", path, timeout=180,
               env={"RH_KAFKA_CREDENTIALS": parties.file("dept.banks")})
    assert r.returncode not in (0, 1, 3), f"published under another department's name: {r.stderr}"
    assert "authorization failed" in r.stderr.lower(), rhtest.scrub(r.stderr)

    j = rhtest.run_join(ns, tmp_path)
    assert "authorization" not in j.tail().lower(), j.tail()
    rhtest.run_ledger(ns)
    for prog, args, ok in (
            ("riskhub-status", ["--period", rhtest.PERIOD], (0, 1)),
            ("riskhub-status", ["--period", rhtest.PERIOD, "--source", "topics"], (0, 1)),
            ("riskhub-replay", ["--period", rhtest.PERIOD], (0,)),
            ("riskhub-alerts", ["--township", "411024100", "--no-registry"], (0,)),
            ("riskhub-health", ["--window-s", "0"], (0, 2)),
            ("riskhub-selftest", ["--records", "10"], (0,))):
        r = ns.run(prog, "--config", rhtest.CONFIG, *args, timeout=300)
        assert r.returncode in ok, f"{prog} {' '.join(args)}: exit {r.returncode}: {rhtest.scrub(r.stderr)[-3000:]}"
        assert "authorization failed" not in r.stderr.lower(), f"{prog}: {rhtest.scrub(r.stderr)[-3000:]}"
    # a township's dashboard reads its own warnings only
    r = ns.run("riskhub-alerts", "--config", rhtest.CONFIG, "--township", "411024101", "--no-registry",
               "--wait-s", "5", env={"RH_KAFKA_CREDENTIALS": parties.file("town.411024100")})
    assert r.returncode == NOPERM, f"exit {r.returncode}: {r.stdout}{r.stderr}"
    assert "the brokers refuse this party the topic" in r.stderr and "alerts.411024101" in r.stderr, r.stderr
