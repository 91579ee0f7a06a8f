"""riskhub-join against the real broker and PostgreSQL: a generated month, corrupt
records, check results, re-published batches, registry changes while running, and
kill -9 in the middle of a batch.

Each test runs in a namespace of its own (rhtest.Namespace: a fresh
RH_TOPIC_PREFIX and a scratch database loaded with riskhub-registry import).
Everything expected is computed here (rhtest.join: rule selection, situations, alert
and check ids) from the CSV files, the registry CSVs and config/riskhub.yaml;
records are read back read_committed with confluent-kafka and decoded with
fastavro, PostgreSQL with psql.

Environment: RH_JOIN_SEED (generator seed, default 20261: every rule fires),
RH_JOIN_BIG_ROWS (the kill -9 list, default 60000), RH_KEEP_NAMESPACE=1 (keep the
topics and the database for a look afterwards), RH_JOIN_PRECREATE_OUTPUTS=1 (diagnosis:
create the join's output topics before it starts).

PYTEST_DONT_REWRITE: assertion messages are only the ones written here (they mask ID
numbers); pytest's introspection would print the compared values, full IDs included."""
import collections
import csv
import io
import os
import subprocess
import time
from datetime import date

import pytest

import rhtest
from rhtest import (IDLE_MS, PERIOD, assert_alerts, assert_summary, assert_warnings, expect,
                     alert_count, lineage, mask, now_ms, run_join, scrub)

if not rhtest.join_binary().exists() and not (rhtest.SRC / "consumers" / "join" / "main.c").exists():
    pytest.skip("riskhub-join is not part of this tree yet", allow_module_level=True)

# 3,000 households, 40 rows a list: every rule of the config fires (checked below);
# with the generator's scaled row counts (10 a list) employment-welfare-job-cancelled-
# low-income never does for most seeds.
HOUSEHOLDS = 3000
ROWS_PER_FEED = 40
SEED = int(os.environ.get("RH_JOIN_SEED", "20261"))
# the big list for kill -9 (persons repeat): long enough to be killed in the middle
BIG_ROWS = int(os.environ.get("RH_JOIN_BIG_ROWS", "60000"))
# the month of the module (conftest.py: month, reg)
MONTH = dict(households=HOUSEHOLDS, rows_per_feed=ROWS_PER_FEED, seed=SEED, big_feed_rows=BIG_ROWS)


# ---- fixtures ---------------------------------------------------------------------



@pytest.fixture
def ns(namespace, month):
    assert rhtest.join_binary().exists(), f"{rhtest.join_binary()} not built"
    return namespace(month / "registry")


# ---- 0. the expectations themselves (no riskhub-join needed) ---------------------------

def assert_exercises_everything(cfg, rules, exp):
    """The month exercises what the tests claim: every signal feed alerts, every rule
    fires, every household type and situation occurs, unmatched and no-rule records."""
    alerted = {(a["department"], a["feed"]) for a in exp.township_alerts().values()}
    assert alerted == set(rules.signal_feeds()), "a signal feed without alerts in the data"
    fired = {a["rule_id"] for a in exp.alerts.values()}
    never = [r["id"] for r in cfg["rules"] if r["id"] not in fired]
    assert not never, f"rules that never fire with seed {SEED}: {never}"
    types = {a["household_type"] for a in exp.township_alerts().values()}
    assert types == {"poverty_alleviated", "monitored", "ordinary"}, f"household types {types}"
    cats = {a["monitoring_category"] for a in exp.township_alerts().values()}
    assert cats >= {"unstable", "marginal", "sudden_hardship"}, f"categories {cats}"
    sits = {a["situation"] for a in exp.alerts.values()}
    assert sits == {"AT_NEW_RISK", "MAY_NEED_MONITORING", "RISK_MAY_HAVE_RETURNED", "UNMATCHED"}, \
        f"situations {sits}"
    assert exp.counts["no_rule"] > 0 and exp.counts["unmatched"] > 0, f"counts {exp.counts}"
    assert any(a["risk_subtype"] for a in exp.alerts.values()), "no risk_subtype in the data"


def test_expectations_of_the_month(cfg, rules, reg, month):
    """Offline: the expected alerts of the generated month cover every rule, and the
    rule selection agrees with the boundaries the config documents."""
    exp = rhtest.Expect(rules)
    for dept, feed, path in rhtest.feed_files(month / PERIOD):
        for line, rec in sorted(rhtest.expected_records(cfg, dept, feed, path).items()):
            exp.add(reg, rec, {"topic": "-", "partition": 0, "offset": line, "batch_id": "-"})
    assert_exercises_everything(cfg, rules, exp)
    assert exp.counts["duplicates"] == 0, "a person twice in one list"

    def sel(dept, feed, amount_fen, **h):
        hh = dict({"household_type": "ordinary", "monitoring_category": "", "risk_eliminated": "false",
                   "income_per_capita": "10000.00"}, **h)
        r = rules.select(dept, feed, {"amount_fen": amount_fen, "facts": {}}, hh)
        return r["id"] if r else None
    mi = ("medical-insurance", "high-self-pay")
    # the notice: self-pay of more than (超过) 10,000 / 6,000 yuan
    assert sel(*mi, 1000001) == "illness-high-self-pay-ordinary"
    assert sel(*mi, 1000000) is None
    assert sel(*mi, 600001, household_type="monitored", monitoring_category="marginal") == \
        "illness-high-self-pay-monitored"
    assert sel(*mi, 600000, household_type="poverty_alleviated") is None
    assert sel(*mi, None, household_type="poverty_alleviated") is None  # missing value: false
    wj = ("human-resources", "welfare-job-cancelled")
    assert sel(*wj, None, income_per_capita="8299.99") == "employment-welfare-job-cancelled-low-income"
    assert sel(*wj, None, income_per_capita="8300.00") == "employment-welfare-job-cancelled"
    ta = ("civil-affairs", "temporary-assistance")
    assert sel(*ta, 299999) == "low-income-temporary-assistance"
    assert sel(*ta, 300000) == "low-income-temporary-assistance-large"
    assert sel(*ta, None) is None
    assert rhtest.situation({"household_type": "monitored", "monitoring_category": "unstable",
                             "risk_eliminated": "true", "income_per_capita": "1.00"}) == \
        "RISK_MAY_HAVE_RETURNED"
    # the id: SHA-256 over NUL-terminated parts
    import hashlib
    assert rhtest.alert_id("11010519491231002X", "health", "major-disease", "2026-10", "r") == \
        hashlib.sha256(b"riskhub-alert-v1\x0011010519491231002X\x00health\x00major-disease\x00"
                       b"2026-10\x00r\x00").hexdigest()


# ---- 1. a generated month ------------------------------------------------------------

def test_generated_month(ns, cfg, rules, reg, month, tmp_path):
    files = rhtest.feed_files(month / PERIOD)
    assert {(d, f) for d, f, _ in files} == set(rules.feeds), "one list a configured feed"
    ns.produce_all(files)

    t0 = now_ms()
    j = run_join(ns, tmp_path)
    t1 = now_ms()

    items = lineage(ns, cfg, files)
    exp = expect(rules, reg, items)

    assert_exercises_everything(cfg, rules, exp)
    assert_alerts(ns, exp, t0, t1)
    assert_warnings(ns, exp)
    assert len(ns.read("riskhub.dlq")) == 0, "messages in the DLQ"

    # check results: every check feed's manifest came in this run
    checks = ns.read("checks.")
    n_members = sum(len(reg.members_of(h)) for h in reg.applicants(PERIOD))
    assert n_members > 0
    lists = assert_checks_of_month(ns, cfg, rules, reg, checks, files)

    adm = rhtest.admin()  # kept alive until the answer came
    groups = {g.group_id for g in adm.list_consumer_groups().result(30).valid}
    assert ns.prefix + "riskhub-join" in groups, "the join's group is not <prefix>riskhub-join"
    kinds = collections.Counter(rec["kind"] for _, rec in items)
    assert_summary(j, records=len(items), alerts=len(exp.township_alerts()),
                   unmatched=len(exp.unmatched_alerts()), no_rule=exp.counts["no_rule"],
                   duplicates=lists.skipped(), dlq=0, checks=len(lists.results()),
                   check_records=kinds["CHECK"], identity=kinds["IDENTITY"], manifests=len(files))


def assert_checks_of_month(ns, cfg, rules, reg, checks, files):
    """All check feeds published one after another: the results exact, complete and
    missing_departments too — by the lists' own times (each manifest's finished_at),
    not by the order the join met the manifests on their partitions (issue 11: a list
    that had arrived was named missing) — and each list's results issued again as the
    lists after it arrived (issue 11), the last of each member and feed complete.
    Returns the rhtest.CheckLists."""
    lists = rhtest.check_lists(ns, cfg, rules, reg, files)
    for dept, feed, path in files:
        if (dept, feed) in rules.check_feeds():
            bid = rhtest.batch_id(dept, feed, PERIOD, path)
            csv_recs = rhtest.expected_records(cfg, dept, feed, path)
            assert {row for _, row in ns.feed_records(dept, feed, batch=bid)} == set(csv_recs), \
                f"{dept}/{feed}: rows differ"
    want = lists.results()
    assert any(w["matched"] for w in want.values()), "no applicant member is in a check list"
    compare_checks(want, checks, "the month")
    # lists published at once (produce_all) may finish in one millisecond: each has then
    # arrived for the other (docs/join.md), and their results are issued once
    assert len(lists.times()) > 1, "every check list finished in one millisecond"
    current = lists.current()
    n_members = sum(len(reg.members_of(h)) for h in reg.applicants(PERIOD))
    assert len(current) == n_members * len(rules.check_feeds())
    assert all(w["complete"] and not w["missing_departments"] for w in current.values()), \
        "a member's last result of a check feed is not complete"
    assert any(not w["complete"] for w in want.values()), "no result was issued incomplete"
    return lists


# ---- 2. corrupt records -----------------------------------------------------------------

def person(reg, pred, exclude=()):
    """A registry member (ID number) whose household satisfies pred, deterministic."""
    for idn, m in sorted(reg.members.items()):
        if idn not in exclude and pred(reg.households[m["household_id"]], m):
            return idn
    raise AssertionError("no such person in the registry")


def outsider(reg, n):
    """A valid ID number not in the registry."""
    for seq in range(1, 999, 2):
        idn = rhtest.make_id("411024", "19700101", seq + n * 2)
        if idn not in reg.members:
            return idn
    raise AssertionError("no free ID")


def feedrecord(reg, rules, dept, feed, idn, batch_id, row, amount_fen=None, facts=None):
    """A FeedRecord of our own (for raw publishing): (avro dict, expectation dict)."""
    v = rhtest.registry_row_values(reg, idn) if idn in reg.members else \
        {"id_number": idn, "name": "测试", "township": None, "village": None}
    fc = rules.feeds[(dept, feed)]
    rec = {"id_number": idn, "name": v["name"], "department": dept, "feed": feed,
           "kind": fc["kind"].upper(), "township_code": v["township"], "village": v["village"],
           "event_date": date(2026, 10, 15), "amount_fen": amount_fen, "risk": fc.get("risk"),
           "risk_subtype": fc.get("risk_subtype"), "facts": facts or {}, "row_number": row}
    avro = dict(rec, period=PERIOD, batch_id=batch_id, produced_at=now_ms())
    return avro, rec


def boundary_rows(reg, rules):
    """high-self-pay rows on the thresholds: more than 10,000 yuan for ordinary
    households, more than 6,000 for poverty-alleviated and monitored ones (gt, the
    notice's 超过, compared exactly)."""
    ordinary = lambda h, m: h["household_type"] == "ordinary"
    alleviated = lambda h, m: h["household_type"] == "poverty_alleviated"
    monitored = lambda h, m: h["household_type"] == "monitored"
    rows, used = [], set()
    for pred, amount in ((ordinary, "10000.01"), (ordinary, "10000.00"), (alleviated, "6000.01"),
                         (alleviated, "6000.00"), (monitored, "6000.01"), (ordinary, "6000.00")):
        idn = person(reg, pred, used)
        used.add(idn)
        rows.append(dict(rhtest.registry_row_values(reg, idn), event_date="2026-10-03",
                         amount=amount, **{"facts.disease": "肺癌", "facts.total_cost": "80000.00"}))
    return rows, used


def test_corrupt_records_go_to_dlq(ns, cfg, rules, reg, tmp_path):
    dept, feed = "medical-insurance", "high-self-pay"
    topic = ns.topic(f"feed.{dept}.{feed}")
    rows, used = boundary_rows(reg, rules)
    before = rhtest.write_feed_csv(cfg, dept, feed, tmp_path / f"{dept}.{feed}.{PERIOD}.csv", rows)
    ns.produce(dept, feed, before)

    # raw messages in partition 0: good records of our own (fastavro) around bad ones
    good = []
    for i, amount in enumerate((1200000, 700000, 1500000)):
        idn = person(reg, lambda h, m: h["household_type"] != "ordinary", used | {g[1]["id_number"] for g in good}) \
            if i != 2 else outsider(reg, 1)
        good.append(feedrecord(reg, rules, dept, feed, idn, "pytest-raw-batch", 100 + i, amount,
                               {"disease": "白血病"}))
    enc = [rhtest.encode("FeedRecord", g[0]) for g in good]
    body = enc[0][10:]
    bad = {
        "garbage": b"this is not an Avro record at all",
        "truncated": enc[1][:len(enc[1]) // 2],
        "unknown fingerprint": b"\xc3\x01" + bytes.fromhex("0123456789abcdef") + body,
        "wrong magic": b"\xc3\x02" + enc[0][2:],
        "empty": b"",
    }
    seq = [("good", enc[0]), ("garbage", bad["garbage"]), ("truncated", bad["truncated"]),
           ("good", enc[1]), ("unknown fingerprint", bad["unknown fingerprint"]),
           ("wrong magic", bad["wrong magic"]), ("good", enc[2]), ("empty", bad["empty"])]
    offsets = rhtest.produce_raw(topic, [(f"k{i}".encode(), v) for i, (_, v) in enumerate(seq)])

    rows2 = [dict(rhtest.registry_row_values(reg, person(reg, lambda h, m: True, used | {g[1]["id_number"] for g in good})),
                  event_date="2026-10-20", amount="30000.00")]
    after = rhtest.write_feed_csv(cfg, dept, feed, tmp_path / f"after.{dept}.{feed}.{PERIOD}.csv", rows2)
    ns.produce(dept, feed, after)

    j = run_join(ns, tmp_path)

    # the DLQ: each bad message once, bytes unchanged, with its origin
    dlq = rhtest.read_topics([ns.topic("riskhub.dlq")])
    want = {(p, o): (name, v) for (name, v), (p, o) in zip(seq, offsets) if name != "good"}
    got = {}
    for m in dlq:
        src = (rhtest.header(m, "source.topic"), rhtest.header(m, "source.partition"),
               rhtest.header(m, "source.offset"))
        assert src[0] == topic, f"DLQ source.topic {src[0]!r} != {topic!r}"
        key = (int(src[1]), int(src[2]))
        assert key not in got, f"DLQ holds {key} twice"
        got[key] = m
    assert set(got) == set(want), (f"DLQ offsets {sorted(got)} != bad messages at "
                                   f"{ {k: v[0] for k, v in want.items()} }")
    for key, (name, value) in want.items():
        m = got[key]
        same = (m.value() or b"") == value  # not compared in the assert: no bytes in messages
        assert same, f"{name}: DLQ bytes differ from the consumed ones"
        err = rhtest.header(m, "error")
        assert err and err.strip(), f"{name}: no error header"
        rhtest.assert_no_full_id(err)

    # the good records before, between and after: alerted (boundaries exact)
    exp = rhtest.Expect(rules)
    items = lineage(ns, cfg, [(dept, feed, before)])
    raw = [({"topic": topic, "partition": p, "offset": o, "batch_id": "pytest-raw-batch"}, g[1])
           for g, (p, o) in zip(good, [x for (n, _), x in zip(seq, offsets) if n == "good"])]
    items += raw + lineage(ns, cfg, [(dept, feed, after)])
    items.sort(key=lambda x: (x[0]["partition"], x[0]["offset"]))
    expect(rules, reg, items, exp)
    # the thresholds, as this test means them (10000.01 / 6000.01 fire; 10000.00 / 6000.00 do not)
    rule_of = {o["id_number"]: o["rule_id"] for o in exp.outcomes}
    assert [rule_of.get(r["id_number"], "?") for r in rows] == [
        "illness-high-self-pay-ordinary", None, "illness-high-self-pay-monitored", None,
        "illness-high-self-pay-monitored", None]
    assert_alerts(ns, exp)
    assert_warnings(ns, exp)
    assert_summary(j, records=len(items) + len(want), alerts=len(exp.township_alerts()),
                   unmatched=len(exp.unmatched_alerts()), no_rule=exp.counts["no_rule"],
                   duplicates=0, dlq=len(want), checks=0, manifests=2)


# ---- 3. check results with a department missing ---------------------------------------

def wait_checks(ns, n, j, timeout=60):
    return rhtest.wait_for(lambda: (lambda c: c if len(c) >= n else None)(ns.read("checks.", 30)),
                           timeout, f"{n} check results", join=j)


def test_check_results_missing_department(ns, cfg, rules, reg, month, tmp_path):
    feeds = rules.check_feeds()
    held = ("tax", "real-estate")
    assert held in feeds and feeds[-1] != held  # a department in the middle is late
    paths = {(d, f): p for d, f, p in rhtest.feed_files(month / PERIOD)}
    rhtest.create_topics([ns.topic(f"feed.{d}.{f}") for d, f in feeds] +
                         ns.topics_of("feed.manifests") + ns.topics_of("feed.rejects"))
    applicants = reg.applicants(PERIOD)
    members = [m for h in applicants for m in reg.members_of(h)]
    assert len(applicants) >= 3 and members, f"{len(applicants)} applicant households"

    j = ns.join(log_dir=tmp_path / "logs")
    try:
        published = []
        order = [f for f in feeds if f != held] + [held]
        for dept, feed in order:
            ns.produce(dept, feed, paths[(dept, feed)])
            published.append((dept, feed, paths[(dept, feed)]))
            bid = rhtest.batch_id(dept, feed, PERIOD, paths[(dept, feed)])
            records = ns.feed_records(dept, feed, batch=bid)
            csv_recs = rhtest.expected_records(cfg, dept, feed, paths[(dept, feed)])
            same = {r["id_number"] for r in csv_recs.values()} == \
                {rec["id_number"] for rec, _ in records.values()}
            assert same, f"{dept}/{feed}: the published persons differ from the file"
            # the lists before it issued again with it arrived (issue 11)
            lists = rhtest.check_lists(ns, cfg, rules, reg, published)
            want = lists.results()
            got = wait_checks(ns, len(want), j)
            compare_checks(want, got, f"after {dept}/{feed}")
        assert len(lists.times()) == len(feeds), "two check lists finished in one millisecond"
        assert any(w["matched"] for w in want.values()) and \
            not all(w["matched"] for w in want.values()), "the data has no matches or only matches"
        # while tax/real-estate was late, the others' results named it missing; once it
        # arrived, every member's last result of every check feed is complete
        early = [w for w in want.values() if not w["complete"]]
        assert early and all("tax/real-estate" in w["missing_departments"] for w in early)
        current = lists.current()
        assert len(current) == len(members) * len(feeds)
        assert all(w["complete"] and w["missing_departments"] == [] for w in current.values())
        assert all(w["supersedes"] for w in current.values()
                   if (w["department"], w["feed"]) != held), "the earlier lists not issued again"
        n = len(members)
        assert len(want) == n * len(feeds) * (len(feeds) + 1) // 2, "one issue a list a arrival"
        time.sleep(2)  # nothing more comes
        compare_checks(want, ns.read("checks."), "at the end")
        assert len(ns.read("alerts.")) == 0, "alerts from check lists"
    finally:
        rc = j.terminate()
    assert rc == 0, f"SIGTERM: exit {rc}\n{j.tail()}"
    j.check_output()
    n_rows = sum(len(rhtest.expected_records(cfg, d, f, paths[(d, f)])) for d, f in feeds)
    assert_summary(j, records=n_rows, check_records=n_rows, checks=len(want), alerts=0,
                   unmatched=0, no_rule=0, duplicates=0, dlq=0, manifests=len(feeds))


def compare_checks(want, got, when):
    seen = {}
    for topic, key, rec, _ in got:
        assert rec["check_id"] not in seen, f"{when}: check {rec['check_id'][:12]} twice"
        seen[rec["check_id"]] = (topic, key, rec)
    assert set(seen) == set(want), (f"{when}: {len(set(want) - set(seen))} check results missing, "
                                    f"{len(set(seen) - set(want))} unexpected")
    problems = []
    for cid, w in want.items():
        topic, key, rec = seen[cid]
        d = rhtest.diff_check(w, rec)
        if (topic, key) != (w["_topic"], w["_key"]):
            d.append(f"topic/key {topic} {key}")
        if d:
            problems.append(f"{w['department']}/{w['feed']} member {mask(w['member_id_number'])}: "
                            + "; ".join(d))
    assert not problems, f"{when}: {len(problems)} check results differ:\n" + "\n".join(problems[:10])


def test_corrected_check_list_replaces_results(ns, cfg, rules, reg, month, tmp_path):
    """Issue 11: a corrected check list (a later list of the same feed and month) whose
    matched member left the list: its results are issued, the member's new one not
    matched and marked as replacing the old; the other check list's results are issued
    again with it. A re-run of the join from the start (another group) adds nothing."""
    a, b = rules.check_feeds()[0], rules.check_feeds()[1]
    paths = {(d, f): p for d, f, p in rhtest.feed_files(month / PERIOD)}
    recs = rhtest.expected_records(cfg, *a, paths[a])
    applicant_ids = {m["id_number"] for h in reg.applicants(PERIOD) for m in reg.members_of(h)}
    gone = sorted(r["id_number"] for r in recs.values() if r["id_number"] in applicant_ids)
    assert gone, f"no applicant member in {a[0]}/{a[1]}'s list"
    gone = gone[0]
    data = paths[a].read_bytes()
    eol = "\r\n" if b"\r\n" in data else "\n"
    bom = data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    keep = [rows[0]] + [r for line, r in enumerate(rows[1:], 2)
                        if r and not (line in recs and recs[line]["id_number"] == gone)]
    assert len(keep) == len([r for r in rows if r]) - 1, "the member's row not found once"
    buf = io.StringIO()
    csv.writer(buf, lineterminator=eol).writerows(keep)
    corrected = tmp_path / "corrected" / paths[a].name
    corrected.parent.mkdir()
    corrected.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode())

    files = [(*a, paths[a]), (*b, paths[b]), (*a, corrected)]
    for d, f, p in files:
        ns.produce(d, f, p)
    j = run_join(ns, tmp_path)
    lists = rhtest.check_lists(ns, cfg, rules, reg, files)
    assert len(lists.times()) == 3, "two check lists finished in one millisecond"
    want = lists.results()
    compare_checks(want, ns.read("checks."), "after the corrected list")
    n = sum(len(reg.members_of(h)) for h in reg.applicants(PERIOD))
    assert len(want) == n * (1 + 2 + 2), "a's list, b's with a's again, the correction with b's"
    # the member's result: matched in the first list, not in the correction, which
    # replaces the one issued when b's list arrived
    mine = {k: w for k, w in want.items() if w["member_id_number"] == gone
            and (w["department"], w["feed"]) == a}
    assert len(mine) == 3
    current = [w for k, w in mine.items() if k in lists.current()]
    assert len(current) == 1 and not current[0]["matched"] and current[0]["facts"] == {}
    assert current[0]["supersedes"] in mine and mine[current[0]["supersedes"]]["matched"]
    assert rhtest.check_id(PERIOD, gone, *a) in mine and \
        mine[rhtest.check_id(PERIOD, gone, *a)]["supersedes"] is None
    others = [f"{d}/{f}" for d, f in rules.check_feeds() if (d, f) not in (a, b)]
    assert all(w["missing_departments"] == others for w in lists.current().values())
    assert_summary(j, checks=len(want), duplicates=0, dlq=0, manifests=3)

    # a re-run from the start: every list handled again, nothing new published
    again = run_join(ns, tmp_path, "--group", ns.prefix + "riskhub-join-rerun",
                     "--instance", "rerun")
    compare_checks(want, ns.read("checks."), "after a re-run")
    assert_summary(again, checks=0, dlq=0, manifests=3)


# ---- 4. a re-published batch ----------------------------------------------------------------

def test_republished_batch_gives_no_new_alerts(ns, cfg, rules, reg, month, tmp_path):
    sig = [("medical-insurance", "high-self-pay"), ("health", "major-disease"),
           ("emergency", "disaster-affected")]
    chk = ("finance", "public-servants")
    paths = {(d, f): p for d, f, p in rhtest.feed_files(month / PERIOD)}
    originals = [(d, f, paths[(d, f)]) for d, f in sig + [chk]]

    def variant(dept, feed, how):
        src = paths[(dept, feed)]
        dst = tmp_path / how / src.name
        dst.parent.mkdir(exist_ok=True)
        data = src.read_bytes()
        if how == "blank":           # one more blank line at the end
            eol = b"\r\n" if b"\r\n" in data else b"\n"
            dst.write_bytes(data + eol)
        else:                        # the rows in reverse order (same encoding, BOM, line ends)
            bom = data.startswith(b"\xef\xbb\xbf")
            eol = "\r\n" if b"\r\n" in data else "\n"
            rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator=eol)
            w.writerow(rows[0])
            w.writerows(reversed([r for r in rows[1:] if r]))
            dst.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode())
        assert rhtest.batch_id(dept, feed, PERIOD, dst) != rhtest.batch_id(dept, feed, PERIOD, src)
        return dept, feed, dst

    # run 1: the originals and, behind them, the same lists with a blank line more
    blank = [variant(d, f, "blank") for d, f, _ in originals]
    for d, f, p in originals + blank:
        ns.produce(d, f, p)
    j1 = run_join(ns, tmp_path)
    items = lineage(ns, cfg, originals + blank)
    exp = expect(rules, reg, items)
    n_alerting = len(exp.alerts)
    assert n_alerting > 0 and exp.counts["duplicates"] == n_alerting, \
        f"expected: every alert twice in the input ({exp.counts})"
    assert_alerts(ns, exp)
    assert_warnings(ns, exp)
    # the check list: its results from the first batch (its lineage), then the later
    # list of the same feed and month (a correction, issue 11) issued as replacing them
    lists = rhtest.check_lists(ns, cfg, rules, reg, originals + blank)
    want = lists.results()
    members = len(lists.current())
    assert members > 0 and len(want) == 2 * members, "not one issue a list"
    assert any(w["matched"] for w in want.values()), "no applicant member matches"
    first = rhtest.batch_id(*chk, PERIOD, paths[chk])
    assert all(w["source"] is None or w["source"]["batch_id"] != first
               for w in lists.current().values()), "the correction is not current"
    compare_checks(want, ns.read("checks."), "after a re-published check list")
    assert_summary(j1, records=len(items), alerts=len(exp.township_alerts()),
                   unmatched=len(exp.unmatched_alerts()), duplicates=n_alerting,
                   no_rule=exp.counts["no_rule"], checks=2 * members, dlq=0, manifests=8)

    # run 2 (a new process: the published ids are read back from the alerts topics):
    # the rows in another order
    reordered = [variant(d, f, "reordered") for d, f, _ in originals]
    for d, f, p in reordered:
        ns.produce(d, f, p)
    j2 = run_join(ns, tmp_path)
    items2 = lineage(ns, cfg, reordered)
    exp2 = expect(rules, reg, items2, exp)
    assert len(exp2.alerts) == n_alerting, "the reordered lists give other alert ids"
    assert_alerts(ns, exp)
    assert_warnings(ns, exp)
    lists = rhtest.check_lists(ns, cfg, rules, reg, originals + blank + reordered)
    compare_checks(lists.results(), ns.read("checks."), "after a second re-published check list")
    assert_summary(j2, records=len(items2), alerts=0, unmatched=0, duplicates=n_alerting,
                   no_rule=sum(1 for o in exp.outcomes[len(items):] if o["outcome"] == "no_rule"),
                   checks=members, dlq=0, manifests=4)


# ---- 5. registry changes while running -----------------------------------------------------

def test_registry_change_applies_while_running(ns, cfg, rules, reg, tmp_path):
    H = lambda idn: reg.household_of(idn)
    pick = lambda pred, used: person(reg, lambda h, m: pred(h, m) and h["household_id"] not in
                                     {reg.members[u]["household_id"] for u in used}, used)
    used = set()
    P = pick(lambda h, m: h["household_type"] == "ordinary" and h["household_id"] not in
             reg.applicants(PERIOD), used); used.add(P)
    R = pick(lambda h, m: h["household_type"] == "poverty_alleviated" and h["risk_eliminated"] == "false", used); used.add(R)
    D = pick(lambda h, m: h["household_type"] == "ordinary" and m["relation"] != "head", used); used.add(D)
    E = pick(lambda h, m: h["household_type"] == "monitored" and h["risk_eliminated"] == "false"
             and h["identified_month"] <= "2026-09", used); used.add(E)
    W1 = pick(lambda h, m: h["household_type"] != "ordinary" and fen_of(h) < 830000, used); used.add(W1)
    W2 = pick(lambda h, m: h["household_type"] != "ordinary" and fen_of(h) >= 830000, used); used.add(W2)
    N = outsider(reg, 7)
    hP, hD, hE, hW1, hW2 = (H(x)["household_id"] for x in (P, D, E, W1, W2))

    feeds = [("medical-insurance", "high-self-pay"), ("health", "major-disease"),
             ("water", "drinking-water"), ("human-resources", "welfare-job-cancelled")]
    rhtest.create_topics([ns.topic(f"feed.{d}.{f}") for d, f in feeds] +
                         ns.topics_of("feed.manifests") + ns.topics_of("feed.rejects"))
    row = lambda r, idn, **kw: dict(rhtest.registry_row_values(r, idn), event_date="2026-10-05", **kw)

    j = ns.join(log_dir=tmp_path / "logs")
    try:
        # before: P (ordinary) 7,000 yuan self-pay: no rule; R (poverty-alleviated) 7,000: alert
        a = rhtest.write_feed_csv(cfg, *feeds[0], tmp_path / "a.csv",
                                  [row(reg, P, amount="7000.00"), row(reg, R, amount="7000.00")])
        b = rhtest.write_feed_csv(cfg, *feeds[1], tmp_path / "b.csv", [row(reg, P)])
        ns.produce(*feeds[0], a)
        ns.produce(*feeds[1], b)
        exp = expect(rules, reg, lineage(ns, cfg, [(*feeds[0], a), (*feeds[1], b)]))
        assert len(exp.alerts) == 2 and exp.counts["no_rule"] == 1, f"expected {exp.counts}"
        rhtest.wait_for(lambda: alert_count(ns) >= 2, 60, "the first two alerts", join=j)

        # the registry changes under the running join
        applied = lambda: j.stderr.count(" changes up to ")  # noqa: E731 - rh_regmap's log line
        applied_before = applied()
        N_sex = "male" if int(N[16]) % 2 else "female"
        rhtest.psql(ns.conninfo, f"""
            UPDATE households SET household_type = 'monitored', monitoring_category = 'sudden_hardship',
                   identified_month = '2026-09-01' WHERE household_id = '{hP}';
            INSERT INTO members (id_number, household_id, name, sex, relation, birth_date, health,
                   disability_grade, labour_ability, schooling, migrant_months, medical_insurance)
                   VALUES ('{N}', '{hP}', '新成员', '{N_sex}', 'other', '1970-01-01', 'healthy', NULL,
                           'strong', 'junior', 0, true);
            DELETE FROM members WHERE id_number = '{D}';
            UPDATE households SET risk_eliminated = true, eliminated_how = 'assisted',
                   eliminated_month = '2026-09-01' WHERE household_id = '{hE}';
            UPDATE households SET income_per_capita = 8300.00 WHERE household_id = '{hW1}';
            UPDATE households SET income_per_capita = 8299.99 WHERE household_id = '{hW2}';
        """)
        reg2 = reg.copy()
        reg2.households[hP].update(household_type="monitored", monitoring_category="sudden_hardship")
        reg2.members[N] = dict(reg.members[P], id_number=N, name="新成员", relation="other")
        del reg2.members[D]
        reg2.households[hE].update(risk_eliminated="true")
        reg2.households[hW1]["income_per_capita"] = "8300.00"
        reg2.households[hW2]["income_per_capita"] = "8299.99"
        # "within a few seconds" (NOTIFY riskhub_registry): the join logs the changes it
        # applied (one transaction: one catch-up); 5 s, as the fixed wait here was before
        rhtest.wait_for(lambda: applied() > applied_before, 5,
                        "the join applying the registry's changes", join=j, interval=0.1)

        c = rhtest.write_feed_csv(cfg, *feeds[0], tmp_path / "c.csv",
                                  [row(reg2, P, amount="7000.00"), row(reg2, N, amount="7000.00"),
                                   dict(row(reg, D, amount="12000.00"))])
        d = rhtest.write_feed_csv(cfg, *feeds[2], tmp_path / "d.csv", [row(reg2, P), row(reg2, E)])
        e = rhtest.write_feed_csv(cfg, *feeds[3], tmp_path / "e.csv",
                                  [row(reg2, W1, amount="1500.00"), row(reg2, W2, amount="1500.00")])
        for f, p in ((feeds[0], c), (feeds[2], d), (feeds[3], e)):
            ns.produce(*f, p)
        expect(rules, reg2, lineage(ns, cfg, [(*feeds[0], c), (*feeds[2], d), (*feeds[3], e)]), exp)
        alerts_by = {(a["person_id_number"], a["feed"]): a for a in exp.alerts.values()}

        def by(idn, feed):
            assert (idn, feed) in alerts_by, f"no expected alert for {mask(idn)} in {feed}"
            return alerts_by[(idn, feed)]
        # what the changes must do (checks this test's own expectations)
        assert by(P, "high-self-pay")["rule_id"] == "illness-high-self-pay-monitored"
        assert by(P, "high-self-pay")["situation"] == "AT_NEW_RISK"
        assert by(P, "major-disease")["situation"] == "MAY_NEED_MONITORING"
        assert by(P, "drinking-water")["monitoring_category"] == "sudden_hardship"
        assert by(N, "high-self-pay")["household_id"] == hP
        assert by(D, "high-self-pay")["situation"] == "UNMATCHED"
        assert by(E, "drinking-water")["situation"] == "RISK_MAY_HAVE_RETURNED"
        assert by(W1, "welfare-job-cancelled")["rule_id"] == "employment-welfare-job-cancelled"
        assert by(W2, "welfare-job-cancelled")["rule_id"] == \
            "employment-welfare-job-cancelled-low-income"
        n = len(exp.alerts)
        rhtest.wait_for(lambda: len(ns.read("alerts.", 30)) >= n, 60, f"{n} alerts", join=j)
        time.sleep(1)
        assert_alerts(ns, exp)
        assert_warnings(ns, exp)
    finally:
        rc = j.terminate()
    assert rc == 0, f"SIGTERM: exit {rc}\n{j.tail()}"
    j.check_output()
    assert_summary(j, records=10, alerts=len(exp.township_alerts()),
                   unmatched=len(exp.unmatched_alerts()), no_rule=1, duplicates=0, dlq=0,
                   checks=0, manifests=5)


def fen_of(h):
    return rhtest.fen(h["income_per_capita"])


# ---- 6. kill -9 in the middle of a batch ------------------------------------------------------

def test_kill9_mid_batch_exactly_once(ns, cfg, rules, reg, month, tmp_path):
    big = month / PERIOD / f"bench.health.major-disease.{PERIOD}.csv"
    dept, feed = "health", "major-disease"
    rhtest.create_topics([ns.topic(f"feed.{dept}.{feed}"), *ns.topics_of("feed.manifests"),
                          *ns.topics_of("feed.rejects")])

    kills, saw = 0, []
    j = ns.join(log_dir=tmp_path / "logs")
    try:
        ns.produce(dept, feed, big)
        # kill -9 as soon as alerts are being committed; then restart and kill -9 again
        # as soon as the restarted join has committed more (in the middle of the list)
        rhtest.wait_for(lambda: alert_count(ns) > 0, 60, "the first alerts", join=j,
                        interval=0.05)
        j.kill(); kills += 1
        saw.append(alert_count(ns))
        for _ in range(2):
            j = ns.join(log_dir=tmp_path / "logs")
            rhtest.wait_for(lambda: alert_count(ns) > saw[-1], 60, "more alerts",
                            join=j, interval=0.05)
            j.kill(); kills += 1
            saw.append(alert_count(ns))
    finally:
        j.kill()

    final = ns.join("--idle-exit-ms", IDLE_MS, log_dir=tmp_path / "logs")
    rc = final.wait(180)
    assert rc == 0, f"exit {rc}\n{final.tail()}"
    final.check_output()

    exp = expect(rules, reg, lineage(ns, cfg, [(dept, feed, big)]))
    assert exp.counts["duplicates"] > 0, "no person repeats in the big list"
    assert_alerts(ns, exp)
    assert_warnings(ns, exp)
    total = len(exp.alerts)
    assert saw and saw[0] < total, (
        f"the join finished before the first kill -9 ({saw[0]} of {total} alerts): "
        f"raise RH_JOIN_BIG_ROWS")
    print(f"kill -9 x{kills}; alerts committed at each kill: {saw} of {total}")


# ---- 7. exit codes without a run ------------------------------------------------------------

def test_bad_config_and_broker_away(ns, tmp_path):
    # a configuration that does not load: 78
    r = subprocess.run([str(rhtest.join_binary()), "--config", str(tmp_path / "missing.yaml")],
                       capture_output=True, text=True, timeout=60, env=ns.env())
    assert r.returncode == 78, f"missing config: exit {r.returncode}: {scrub(r.stderr)}"
    r = subprocess.run([str(rhtest.join_binary()), "--config", str(rhtest.CONFIG)],
                       capture_output=True, text=True, timeout=60,
                       env=ns.env(RH_TOPIC_PREFIX="Not A Prefix"))
    assert r.returncode == 78, f"bad RH_TOPIC_PREFIX: exit {r.returncode}: {scrub(r.stderr)}"
    # the broker away longer than --wait-s: 69, within reason
    t0 = time.time()
    r = subprocess.run([str(rhtest.join_binary()), "--config", str(rhtest.CONFIG), "--wait-s", "2"],
                       capture_output=True, text=True, timeout=120,
                       env=ns.env(RH_KAFKA_BOOTSTRAP="127.0.0.1:1"))
    took = time.time() - t0
    assert r.returncode == 69, f"broker away: exit {r.returncode}: {scrub(r.stderr)}"
    assert took < 60, f"--wait-s 2 took {took:.0f} s"
    rhtest.assert_no_full_id(r.stdout, r.stderr)


# ---- 8. --idle-exit-ms counts from the assignment -------------------------------------------

def test_idle_exit_waits_for_a_late_assignment(ns, cfg, rules, reg, month, tmp_path):
    """A member that died without leaving holds the partitions until its session times
    out (6 s here). A new instance (another --instance) gets them only then, later than
    --idle-exit-ms after its start: it must still consume everything before exiting."""
    config = rhtest.config_with(tmp_path, session_timeout_ms=6000, heartbeat_interval_ms=1000)
    dept, feed = "health", "major-disease"
    path = month / PERIOD / f"{dept}.{feed}.{PERIOD}.csv"
    rhtest.create_topics([ns.topic(f"feed.{dept}.{feed}"), *ns.topics_of("feed.manifests"),
                          *ns.topics_of("feed.rejects")])
    a = ns.join("--instance", "a", config=config, log_dir=tmp_path / "logs")
    try:
        rhtest.wait_for(lambda: "assigned" in a.stderr, 60, "instance a's assignment", join=a)
    finally:
        a.kill()
    ns.produce(dept, feed, path)
    t0 = time.time()
    b = ns.join("--instance", "b", "--idle-exit-ms", 2000, config=config, log_dir=tmp_path / "logs")
    rc = b.wait(120)
    took = time.time() - t0
    assert rc == 0, f"exit {rc}\n{b.tail()}"
    b.check_output()
    exp = expect(rules, reg, lineage(ns, cfg, [(dept, feed, path)]))
    s = b.summary()
    n_rows = len(rhtest.expected_records(cfg, dept, feed, path))
    assert s["records"] == n_rows, (
        f"instance b exited after {took:.1f} s having consumed {s['records']} records: "
        f"--idle-exit-ms was counted from its start, not from its (late) assignment")
    assert_alerts(ns, exp)
    assert_warnings(ns, exp)
