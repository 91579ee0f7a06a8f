"""riskhub-replay against the real broker and PostgreSQL: a generated month
joined by the REAL riskhub-join, then replayed: untouched (no difference),
with alerts and a check result published by someone else (changed, extra),
after registry changes (missing and changed, "registry changed since"), a
list published twice, an archive and the replay from it, filters, and exit
codes. The replay must never disturb the live join: its group offsets and
every topic stay as they were.

Each test runs in a namespace of its own (rhtest.Namespace: a fresh
RH_TOPIC_PREFIX and a scratch database). Everything expected is computed here
(rhtest.join: rule selection, alert and check ids, from the CSV files, the
registry CSVs and config/riskhub.yaml; topics read with confluent-kafka and
decoded with fastavro; archives read with fastavro.reader), never by
riskhub's C code.

PYTEST_DONT_REWRITE: assertion messages are only the ones written here (they
mask ID numbers)."""
import collections
import hashlib
import json
import os
import shutil
import subprocess

import fastavro
import pytest
from confluent_kafka import Consumer, TopicPartition

import rhtest
from rhtest import PERIOD, expect, lineage, mask, run_join, scrub

REPLAY = rhtest.BIN / "riskhub-replay"
if not REPLAY.exists() and not (rhtest.SRC / "consumers" / "replay" / "main.c").exists():
    pytest.skip("riskhub-replay is not part of this tree yet", allow_module_level=True)

HOUSEHOLDS = 3000
ROWS_PER_FEED = 40
SEED = int(os.environ.get("RH_JOIN_SEED", "20261"))
# the month of the module (conftest.py: month, reg)
MONTH = dict(households=HOUSEHOLDS, rows_per_feed=ROWS_PER_FEED, seed=SEED)
EXIT_DIFFERENT = 70


# ---- fixtures -------------------------------------------------------------------------



@pytest.fixture
def ns(namespace, month):
    assert REPLAY.exists(), f"{REPLAY} not built"
    return namespace(month / "registry")


# ---- running the replay -----------------------------------------------------------------

def replay(ns, *args, fmt="json", timeout=300):
    """(exit code, report dict or text, stderr) of riskhub-replay in the namespace."""
    cmd = [str(REPLAY), "--config", str(rhtest.CONFIG), *map(str, args)]
    if fmt == "json":
        cmd += ["--format", "json"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=ns.env())
    rhtest.assert_no_full_id(r.stdout, r.stderr)
    out = r.stdout
    if fmt == "json" and r.returncode in (0, EXIT_DIFFERENT):
        assert out.strip(), f"no report; exit {r.returncode}; stderr:\n{scrub(r.stderr[-2000:])}"
        out = json.loads(out)
    return r.returncode, out, r.stderr


def month_joined(ns, month, tmp_path, twice=()):
    """Every list of the month published (those of `twice` once more, the same
    file, with --republish), then joined by riskhub-join. The files."""
    files = rhtest.feed_files(month / PERIOD)
    ns.produce_all(files)
    for dept, feed, path in files:
        if (dept, feed) in twice:
            ns.produce(dept, feed, path, "--republish")
    run_join(ns, tmp_path)
    return files


def comparable(rep):
    rep = dict(rep)
    for k in ("source", "seconds"):
        rep.pop(k)
    return rep


def rows_by_feed(rep):
    return {(f["department"], f["feed"]): f for f in rep["feeds"]}


def published_alerts(ns):
    """[(topic, partition, offset, alert)] of the namespace's alert topics."""
    return [(m.topic(), m.partition(), m.offset(), rec) for _, _, rec, m in ns.read("alerts.")]


def applicant_members(reg):
    return sum(len(reg.members_of(h)) for h in reg.applicants(PERIOD))


# ---- what must not change -------------------------------------------------------------------

def snapshot(ns):
    """The end offsets of every topic of the namespace and the join's group
    offsets on them."""
    topics = ns.topics()
    c = Consumer({**rhtest.client_conf(), "group.id": ns.prefix + "riskhub-join",
                  "enable.auto.commit": False})
    try:
        md = c.list_topics(timeout=15)
        tps = [TopicPartition(t, p) for t in topics for p in md.topics[t].partitions]
        ends = {(tp.topic, tp.partition): c.get_watermark_offsets(tp, timeout=15)[1] for tp in tps}
        committed = {(tp.topic, tp.partition): tp.offset for tp in c.committed(tps, timeout=15)}
    finally:
        c.close()
    return ends, committed


def replay_groups(ns):
    adm = rhtest.admin()
    groups = {g.group_id for g in adm.list_consumer_groups().result(30).valid}
    return sorted(g for g in groups if g.startswith(ns.prefix) and "replay" in g)


# ---- expectations (Python) ----------------------------------------------------------------

def expected_figures(ns, cfg, rules, reg, files):
    """{(dept, feed): {records, alerts}} from the CSVs and the registry; the
    month's lineage items."""
    items = lineage(ns, cfg, files)
    exp = expect(rules, reg, items)
    out = collections.defaultdict(lambda: {"records": 0, "alerts": 0})
    for _, rec in items:
        out[(rec["department"], rec["feed"])]["records"] += 1
    for a in exp.alerts.values():
        out[(a["department"], a["feed"])]["alerts"] += 1
    return out, exp


# ---- 1. an untouched month ---------------------------------------------------------------------

def test_untouched_month_no_difference(ns, cfg, rules, reg, month, tmp_path):
    files = month_joined(ns, month, tmp_path)
    figures, exp = expected_figures(ns, cfg, rules, reg, files)
    published = published_alerts(ns)
    assert len(published) == len(exp.alerts) > 0
    manifests = [rec for _, _, rec, _ in ns.read("feed.manifests")]
    rejects = collections.Counter()
    for m in manifests:
        rejects[(m["department"], m["feed"])] += m["rows_rejected"]

    before = snapshot(ns)
    rc, rep, err = replay(ns, "--period", PERIOD)
    assert rc == 0, f"exit {rc}: {scrub(err[-2000:])}"
    assert rep["result"] == "equal" and rep["differences"] == []
    assert rep["period"] == PERIOD and rep["department"] is None and rep["source"] == "broker"
    rows = rows_by_feed(rep)
    assert set(rows) == set(rules.feeds), "one row a configured feed"
    n_members = applicant_members(reg)
    assert n_members > 0
    # the results the join issued again as later check lists arrived (issue 11): counted
    # apart, not compared (docs/replay.md, "Check lists")
    reissued = collections.Counter((w["department"], w["feed"]) for w in
                                   rhtest.check_lists(ns, cfg, rules, reg, files).results().values()
                                   if w["supersedes"] is not None)
    assert sum(reissued.values()) > 0
    for (dept, feed), row in rows.items():
        kind = rules.feeds[(dept, feed)]["kind"]
        want_alerts = figures[(dept, feed)]["alerts"]
        got = (row["batches"], row["records"], row["records_in_manifests"], row["rejects"],
               row["alerts_expected"], row["alerts_published"], row["checks_expected"],
               row["checks_published"], row["checks_reissued"])
        want = (1, figures[(dept, feed)]["records"], figures[(dept, feed)]["records"],
                rejects[(dept, feed)], want_alerts, want_alerts,
                n_members if kind == "check" else 0, n_members if kind == "check" else 0,
                reissued[(dept, feed)])
        assert got == want, f"{dept}/{feed}: (batches, records, in manifests, rejects, alerts " \
                            f"exp/pub, checks exp/pub/re-issued) {got}, expected {want}"
    t = rep["totals"]
    assert t["alerts_published"] == len(published)
    assert t["checks_published"] == n_members * len(rules.check_feeds())

    # the table: the same month, said for people
    rc, text, err = replay(ns, "--period", PERIOD, fmt="table")
    assert rc == 0, scrub(err[-2000:])
    assert "no difference" in text and "result: equal" in text
    assert f"{t['alerts_expected']}/{t['alerts_published']}" in text

    # nothing disturbed: the join's group, every topic; no group of the replay
    assert snapshot(ns) == before, "a replay changed a topic's end offsets or the join's offsets"
    assert replay_groups(ns) == [], f"the replay left consumer groups: {replay_groups(ns)}"
    # and the join, run again, finds nothing new to do
    j = run_join(ns, tmp_path)
    assert j.summary()["records"] == 0


def test_filters(ns, cfg, rules, reg, month, tmp_path):
    files = month_joined(ns, month, tmp_path)
    figures, _ = expected_figures(ns, cfg, rules, reg, files)
    rc, rep, err = replay(ns, "--period", PERIOD, "--department", "civil-affairs")
    assert rc == 0, scrub(err[-2000:])
    rows = rows_by_feed(rep)
    assert set(rows) == {k for k in rules.feeds if k[0] == "civil-affairs"}
    assert rep["department"] == "civil-affairs"
    assert rep["totals"]["alerts_published"] == sum(
        v["alerts"] for k, v in figures.items() if k[0] == "civil-affairs")
    rc, rep, err = replay(ns, "--period", PERIOD, "--department", "tax", "--feed", "vehicles")
    assert rc == 0, scrub(err[-2000:])
    assert list(rows_by_feed(rep)) == [("tax", "vehicles")]
    assert rep["totals"]["checks_expected"] == rep["totals"]["checks_published"] == \
        applicant_members(reg)
    # a month without lists: nothing expected, nothing published for it
    rc, rep, err = replay(ns, "--period", "2026-09")
    assert rc == 0, scrub(err[-2000:])
    assert rep["totals"]["batches"] == 0 and rep["totals"]["alerts_published"] == 0


# ---- 2. alerts and a check result that someone else published ------------------------------------

def test_changed_and_extra_outputs(ns, cfg, rules, reg, month, tmp_path):
    month_joined(ns, month, tmp_path)
    alerts = [x for x in published_alerts(ns) if x[3]["situation"] != "UNMATCHED"]
    # a first issue (one issued again names what it replaces: counted, not compared)
    checks = [(m.topic(), m.partition(), m.offset(), rec) for _, _, rec, m in ns.read("checks.")
              if rec["supersedes"] is None]
    assert alerts and checks
    # an alert with an existing id and another severity (in a transaction, as the join writes)
    topic1, part1, _, a1 = alerts[0]
    changed = dict(a1, severity="high" if a1["severity"] != "high" else "low")
    # a check result with an existing id, its match turned around (and complete / missing
    # departments changed too: those never count)
    topicc, partc, _, c1 = checks[0]
    c_changed = dict(c1, matched=not c1["matched"], complete=not c1["complete"],
                     missing_departments=["x/y"], facts={}, source=None)
    (pc, oc), (p1, o1) = rhtest.produce_in_txn([
        (topicc, partc, c1["household_id"].encode(), rhtest.encode("CheckResult", c_changed)),
        (topic1, part1, a1["household_id"].encode(), rhtest.encode("Alert", changed))])
    # an alert with an id nobody computed (plain produce)
    topic2, part2, _, a2 = alerts[1]
    new_id = hashlib.sha256(b"not an alert of the join").hexdigest()
    extra = dict(a2, alert_id=new_id)
    [(p2, o2)] = rhtest.produce_raw(topic2, [(a2["household_id"].encode(),
                                              rhtest.encode("Alert", extra))], partition=part2)
    before = snapshot(ns)

    rc, rep, err = replay(ns, "--period", PERIOD)
    assert rc == EXIT_DIFFERENT, f"exit {rc}: {scrub(err[-2000:])}"
    assert rep["result"] == "different"
    diffs = {(d["kind"], d["type"], d["id"]): d for d in rep["differences"]}
    assert len(rep["differences"]) == 3, \
        f"differences: {[(d['kind'], d['type'], d['id'][:12]) for d in rep['differences']]}"

    d = diffs[("changed", "alert", a1["alert_id"])]
    assert d["fields"] == [{"field": "severity", "published": changed["severity"],
                            "expected": a1["severity"]}]
    assert d["duplicate"] is True  # the join's own copy came first
    assert d["published"]["topic"] == topic1 and d["published"]["partition"] == p1 and \
        d["published"]["offset"] == o1
    src = a1["source"]
    assert (d["lineage"]["topic"], d["lineage"]["partition"], d["lineage"]["offset"],
            d["lineage"]["batch_id"]) == (src["topic"], src["partition"], src["offset"],
                                          src["batch_id"])
    assert d["person"] == mask(a1["person_id_number"]) and d["rule"] == a1["rule_id"]
    assert (d["department"], d["feed"]) == (a1["department"], a1["feed"])
    assert d["cause"] == "unexplained"

    d = diffs[("changed", "check", c1["check_id"])]
    assert [f["field"] for f in d["fields"]] == ["matched"] + (
        ["facts", "source"] if c1["matched"] else []), f"fields {d['fields']}"
    assert d["published"]["offset"] == oc and d["published"]["partition"] == pc
    assert d["person"] == mask(c1["member_id_number"])
    assert d["cause"] == "unexplained"

    d = diffs[("extra", "alert", new_id)]
    assert d["published"]["topic"] == topic2 and (d["published"]["partition"],
                                                  d["published"]["offset"]) == (p2, o2)
    assert d["lineage"]["offset"] == a2["source"]["offset"]  # as the message says
    assert d["duplicate"] is False and d["cause"] == "unexplained"

    rows = rows_by_feed(rep)
    row = rows[(a1["department"], a1["feed"])]
    assert row["alerts_published"] == row["alerts_expected"] + 1 + \
        (1 if (a2["department"], a2["feed"]) == (a1["department"], a1["feed"]) else 0)

    # the table says the same, with the lineage
    rc, text, _ = replay(ns, "--period", PERIOD, fmt="table")
    assert rc == EXIT_DIFFERENT
    assert "DIFFERENCES: 3 (0 missing, 1 extra, 2 changed): 0 registry changed since, 3 unexplained" \
        in text, scrub(text[-3000:])
    assert f"{topic1} [{p1}] offset {o1}" in text
    assert f"{src['topic']} [{src['partition']}] offset {src['offset']}, batch {src['batch_id']}" in text
    assert snapshot(ns) == before


def delete_before(topic, partition, offset):
    """Kafka DeleteRecords: the partition's messages below offset are gone (as after
    retention, or a deletion)."""
    adm = rhtest.admin()  # kept alive until the answer came
    futs = adm.delete_records([TopicPartition(topic, partition, offset)], operation_timeout=30)
    for f in futs.values():
        f.result(60)


def test_deleted_alerts_and_records(ns, cfg, rules, reg, month, tmp_path):
    files = month_joined(ns, month, tmp_path)
    # the first 3 messages of an alerts partition deleted: those alerts are missing
    by_part = collections.defaultdict(list)
    for topic, part, off, a in published_alerts(ns):
        by_part[(topic, part)].append((off, a))
    (topic, part), msgs = max(by_part.items(), key=lambda kv: len(kv[1]))
    msgs.sort(key=lambda x: x[0])
    assert len(msgs) >= 4
    gone = {a["alert_id"]: a for off, a in msgs[:3]}
    delete_before(topic, part, msgs[3][0])
    rc, rep, err = replay(ns, "--period", PERIOD)
    assert rc == EXIT_DIFFERENT, f"exit {rc}: {scrub(err[-2000:])}"
    assert {(d["kind"], d["id"]) for d in rep["differences"]} == {("missing", i) for i in gone}
    for d in rep["differences"]:
        a = gone[d["id"]]
        assert d["published"] is None and d["cause"] == "unexplained"
        assert d["lineage"]["offset"] == a["source"]["offset"] and \
            d["lineage"]["batch_id"] == a["source"]["batch_id"]
        assert d["household_expected"] == a["household_id"]

    # records of a list gone from the broker: not found, the replay incomplete, and the
    # alerts the join made of them cannot be checked: extra
    feed = ("health", "major-disease")
    ftopic = ns.topic(f"feed.{feed[0]}.{feed[1]}")
    recs = sorted((s["partition"], s["offset"], rec) for rec, s in
                  ns.feed_records(*feed).values())
    p0 = [r for r in recs if r[0] == recs[0][0]]
    cut = p0[2][1]  # the partition's first two records go
    delete_before(ftopic, p0[0][0], cut)
    lost = {(p, o) for p, o, _ in p0 if o < cut}
    rc, rep, err = replay(ns, "--period", PERIOD)
    assert rc == EXIT_DIFFERENT, f"exit {rc}: {scrub(err[-2000:])}"
    row = rows_by_feed(rep)[feed]
    assert row["records"] == row["records_in_manifests"] - len(lost)
    assert rep["records_not_found"] == len(lost)
    extra = [d for d in rep["differences"] if d["kind"] == "extra"]
    assert {(d["lineage"]["partition"], d["lineage"]["offset"]) for d in extra} == lost
    rc, text, _ = replay(ns, "--period", PERIOD, fmt="table")
    assert f"NOT FOUND: {len(lost)} records" in text


# ---- 3. the registry changed after the month was joined --------------------------------------------

def person(reg, pred, exclude=()):
    for idn, m in sorted(reg.members.items()):
        if idn not in exclude and pred(reg.households[m["household_id"]], m):
            return idn
    raise AssertionError("no such person in the registry")


def test_registry_changed_since(ns, cfg, rules, reg, month, tmp_path):
    ordinary = lambda h, m: h["household_type"] == "ordinary" and h["risk_eliminated"] == "false"
    p1 = person(reg, ordinary)
    p2 = person(reg, lambda h, m: ordinary(h, m) and
                h["household_id"] != reg.members[p1]["household_id"], {p1})
    p3 = person(reg, lambda h, m: ordinary(h, m) and h["household_id"] not in
                {reg.members[x]["household_id"] for x in (p1, p2)}, {p1, p2})
    h1, h2 = reg.members[p1]["household_id"], reg.members[p2]["household_id"]
    mi, md = ("medical-insurance", "high-self-pay"), ("health", "major-disease")
    row = lambda idn, **kw: dict(rhtest.registry_row_values(reg, idn), event_date="2026-10-05", **kw)
    # p1: 7,000 yuan self-pay: no rule for an ordinary household (10,000), one for a
    # monitored one (6,000); p2 and p3: a major disease (any household)
    a = rhtest.write_feed_csv(cfg, *mi, tmp_path / "a.csv", [row(p1, amount="7000.00")])
    b = rhtest.write_feed_csv(cfg, *md, tmp_path / "b.csv", [row(p2), row(p3)])
    ns.produce(*mi, a)
    ns.produce(*md, b)
    # and a check list: the applicants' results
    chk = ("finance", "public-servants")
    ns.produce(*chk, month / PERIOD / f"{chk[0]}.{chk[1]}.{PERIOD}.csv")
    run_join(ns, tmp_path)
    files = [(*mi, a), (*md, b)]
    items = lineage(ns, cfg, files)
    live = expect(rules, reg, items)
    assert live.counts["no_rule"] == 1 and len(live.alerts) == 2

    rc, rep, err = replay(ns, "--period", PERIOD)
    assert rc == 0, f"before the change: exit {rc}: {scrub(err[-2000:])}"

    applicant = reg.applicants(PERIOD)[0]
    assert applicant not in (h1, h2)
    members = {m["id_number"] for m in reg.members_of(applicant)}
    rhtest.psql(ns.conninfo, f"""
        UPDATE households SET household_type = 'monitored', monitoring_category = 'sudden_hardship',
               identified_month = '2026-09-01' WHERE household_id IN ('{h1}', '{h2}');
        UPDATE households SET village = village || '新' WHERE household_id = '{applicant}';""")
    reg2 = reg.copy()
    for h in (h1, h2):
        reg2.households[h].update(household_type="monitored", monitoring_category="sudden_hardship",
                                  identified_month="2026-09-01")
    now = expect(rules, reg2, items)
    missing = set(now.alerts) - set(live.alerts)
    assert len(missing) == 1, "p1 now raises an alert"
    [m_id] = missing

    rc, rep, err = replay(ns, "--period", PERIOD)
    assert rc == EXIT_DIFFERENT, f"exit {rc}: {scrub(err[-2000:])}"
    checks = [d for d in rep["differences"] if d["type"] == "check"]
    assert {d["id"] for d in checks} == {rhtest.check_id(PERIOD, m, *chk) for m in members}, \
        "the applicant's members' results, changed"
    for d in checks:
        assert d["kind"] == "changed" and [f["field"] for f in d["fields"]] == ["village"]
        assert d["household_expected"] == d["household_published"] == applicant
        assert d["cause"] == "registry_changed_since"
    diffs = {(d["kind"], d["id"]): d for d in rep["differences"] if d["type"] == "alert"}
    assert set(diffs) == {("missing", m_id), ("changed", live_id(live, p2))}, \
        f"differences {sorted((k, i[:12]) for k, i in diffs)}"
    d = diffs[("missing", m_id)]
    want = now.alerts[m_id]
    assert d["rule"] == want["rule_id"] == "illness-high-self-pay-monitored"
    assert d["household_expected"] == h1 and d["published"] is None
    assert (d["lineage"]["topic"], d["lineage"]["partition"], d["lineage"]["offset"],
            d["lineage"]["batch_id"]) == tuple(want["source"][k] for k in
                                                ("topic", "partition", "offset", "batch_id"))
    assert d["cause"] == "registry_changed_since" and d["registry_changed_at"] > 0
    d = diffs[("changed", live_id(live, p2))]
    assert {f["field"] for f in d["fields"]} == {"situation", "household_type", "monitoring_category"}
    by = {f["field"]: f for f in d["fields"]}
    assert (by["situation"]["published"], by["situation"]["expected"]) == \
        ("MAY_NEED_MONITORING", "AT_NEW_RISK")
    assert (by["household_type"]["published"], by["household_type"]["expected"]) == \
        ("ordinary", "monitored")
    assert d["cause"] == "registry_changed_since"
    assert rep["totals"]["alerts_expected"] == 3 and rep["totals"]["alerts_published"] == 2
    assert rep["totals"]["checks_expected"] == rep["totals"]["checks_published"] == \
        applicant_members(reg)


def live_id(exp, idn):
    [aid] = [k for k, a in exp.alerts.items() if a["person_id_number"] == idn]
    return aid


# ---- 4. a list published twice, and one published again corrected ------------------------------------

def test_republished_lists_no_difference(ns, cfg, rules, reg, month, tmp_path):
    twice = {("health", "major-disease"), ("finance", "public-servants")}
    files = month_joined(ns, month, tmp_path, twice=twice)
    # and a list with one more blank line: another batch id, the same records
    paths = {(d, f): p for d, f, p in files}
    src = paths[("emergency", "disaster-affected")]
    blank = tmp_path / "blank" / src.name
    blank.parent.mkdir()
    data = src.read_bytes()
    blank.write_bytes(data + (b"\r\n" if b"\r\n" in data else b"\n"))
    ns.produce("emergency", "disaster-affected", blank)
    run_join(ns, tmp_path)
    rc, rep, err = replay(ns, "--period", PERIOD)
    assert rc == 0, f"exit {rc}: {scrub(err[-2000:])}\n" + json.dumps(
        [(d["kind"], d["id"][:12]) for d in (rep["differences"] if isinstance(rep, dict) else [])])
    rows = rows_by_feed(rep)
    one = len(rhtest.expected_records(cfg, "health", "major-disease", paths[("health", "major-disease")]))
    assert rows[("health", "major-disease")]["batches"] == 2
    assert rows[("health", "major-disease")]["records"] == 2 * one
    assert rows[("health", "major-disease")]["alerts_expected"] == \
        rows[("health", "major-disease")]["alerts_published"] > 0
    assert rows[("emergency", "disaster-affected")]["batches"] == 2
    assert rows[("finance", "public-servants")]["checks_expected"] == applicant_members(reg)


# ---- 5. an archive, and the replay from it ----------------------------------------------------------

def read_avro(path):
    with open(path, "rb") as fp:
        r = fastavro.reader(fp)
        return r.writer_schema, list(r)


def test_archive_and_replay_from_it(ns, cfg, rules, reg, month, tmp_path):
    month_joined(ns, month, tmp_path)
    # one difference, so that the report has lineage to compare
    topic, part, _, a = [x for x in published_alerts(ns) if x[3]["situation"] != "UNMATCHED"][0]
    rhtest.produce_raw(topic, [(b"k", rhtest.encode("Alert", dict(a, reason="changed")))],
                       partition=part)
    archive = tmp_path / "archive"
    rc, rep, err = replay(ns, "--period", PERIOD, "--archive", archive)
    assert rc == EXIT_DIFFERENT, f"exit {rc}: {scrub(err[-2000:])}"
    assert len(rep["differences"]) == 1 and rep["differences"][0]["fields"][0]["field"] == "reason"

    r = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=archive, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert oct(archive.stat().st_mode & 0o777) == "0o700"
    info = json.loads((archive / "archive.json").read_text())
    assert info["period"] == PERIOD and info["topic_prefix"] == ns.prefix

    # any Avro tool reads it: the month's records, manifests and outputs, with their places
    schema, recs = read_avro(archive / "feed-records.avro")
    assert len(recs) == info["counts"]["feed-records.avro"] == rep["totals"]["records"]
    published = {}
    for (dept, feed), got in ns.feed_records_of(list(rules.feeds)).items():
        for (_, _), (rec, s) in got.items():
            published[(s["topic"], s["partition"], s["offset"])] = rec
    assert {(x["topic"], x["partition"], x["offset"]) for x in recs} == set(published)
    for x in recs[:50]:
        want = published[(x["topic"], x["partition"], x["offset"])]
        assert x["record"]["id_number"] == want["id_number"] and x["record"]["batch_id"] == want["batch_id"]
    _, mans = read_avro(archive / "manifests.avro")
    assert sorted(x["record"]["batch_id"] for x in mans) == sorted(
        rec["batch_id"] for _, _, rec, _ in ns.read("feed.manifests"))
    _, alerts = read_avro(archive / "alerts.avro")
    on_topics = {(m.topic(), m.partition(), m.offset()): rec["alert_id"] for _, _, rec, m in ns.read("alerts.")}
    assert {(x["topic"], x["partition"], x["offset"]): x["record"]["alert_id"] for x in alerts} == on_topics
    _, checks = read_avro(archive / "check-results.avro")
    assert len(checks) == rep["totals"]["checks_published"] + rep["totals"]["checks_reissued"]

    # the same report from the archive (the broker is not read: its topics could be gone)
    rc2, rep2, err2 = replay(ns, "--from-archive", archive)
    assert rc2 == rc, f"exit {rc2}: {scrub(err2[-2000:])}"
    assert rep2["source"] == f"archive {archive}"
    assert comparable(rep2) == comparable(rep)
    rc2, rep2, _ = replay(ns, "--from-archive", archive, "--period", PERIOD, "--department", "health")
    assert rc2 in (0, EXIT_DIFFERENT) and set(rows_by_feed(rep2)) == {("health", "major-disease")}

    # an archive is never written over; a changed one is refused
    rc, _, err = replay(ns, "--period", PERIOD, "--archive", archive)
    assert rc == 74 and "not empty" in err
    with open(archive / "alerts.avro", "r+b") as fp:
        fp.seek(-30, os.SEEK_END)
        b = fp.read(1)
        fp.seek(-30, os.SEEK_END)
        fp.write(bytes([b[0] ^ 0x01]))
    rc, _, err = replay(ns, "--from-archive", archive)
    assert rc == 65 and "alerts.avro" in err, f"exit {rc}: {scrub(err)}"
    shutil.rmtree(archive)


# ---- 6. the command line and services away ----------------------------------------------------------

def test_usage_and_services_away(ns, tmp_path):
    for args in ([], ["--period", "2026-13"], ["--period", PERIOD, "--department", "nope"],
                 ["--period", PERIOD, "--department", "tax", "--feed", "major-disease"],
                 ["--period", PERIOD, "--format", "xml"],
                 ["--period", PERIOD, "--archive", tmp_path / "a", "--from-archive", tmp_path / "b"],
                 ["--period", PERIOD, "--threads", "0"], ["--period", PERIOD, "extra"]):
        rc, _, err = replay(ns, *args, fmt="table")
        assert rc == 64, f"{args}: exit {rc}: {scrub(err)}"
    rc, _, err = replay(ns, "--from-archive", tmp_path / "none", fmt="table")
    assert rc == 74, f"exit {rc}: {scrub(err)}"
    env = ns.env(RH_PG_CONNINFO="host=127.0.0.1 port=1 dbname=x user=x connect_timeout=2")
    r = subprocess.run([str(REPLAY), "--period", PERIOD], capture_output=True, text=True, env=env,
                       timeout=120)
    assert r.returncode == 69, f"PostgreSQL away: exit {r.returncode}: {scrub(r.stderr)}"
    env = ns.env(RH_KAFKA_BOOTSTRAP="127.0.0.1:1")
    r = subprocess.run([str(REPLAY), "--period", PERIOD], capture_output=True, text=True, env=env,
                       timeout=120)
    assert r.returncode == 69, f"Kafka away: exit {r.returncode}: {scrub(r.stderr)}"
