"""Corrected lists (issue 11; docs/join.md "Corrections", docs/ledger.md): a department
re-publishes its list of a month (the same file name) corrected. The alerts only the
superseded list supported are withdrawn (a withdrawal on the alert's own topic, keyed
as the alert), the corrected list's new alerts are raised; the ledger leaves the
withdrawn warnings WITHDRAWN; riskhub-status counts them; the same corrected list
published again adds nothing.

Everything expected is computed here (rhtest.join: expected_alert, expected_withdrawals)
from the CSV files, the registry and config/riskhub.yaml.

PYTEST_DONT_REWRITE: assertion messages are only the ones written here (no full ID
numbers)."""
import collections
import csv
import io
import json
import subprocess

import pytest

import rhtest
from rhtest import PERIOD, expect, lineage, mask, run_join, run_ledger

if not rhtest.join_binary().exists():
    pytest.skip("riskhub-join is not built", allow_module_level=True)

MONTH = dict(households=3000, rows_per_feed=40, seed=20261)
DEPT, FEED = "medical-insurance", "high-self-pay"
STABLE = ("withdraws", "situation", "person_id_number", "rule_id", "household_id",
          "township_code", "department", "feed", "period", "risk", "severity")


@pytest.fixture
def ns(namespace, month):
    return namespace(month / "registry")


def read_list(path):
    """(bom, eol, header, rows) of a department's CSV file."""
    data = path.read_bytes()
    bom = data.startswith(b"\xef\xbb\xbf")
    eol = "\r\n" if b"\r\n" in data else "\n"
    rows = [r for r in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")) if r]
    return bom, eol, rows[0], rows[1:]


def write_list(path, bom, eol, header, rows, blank=0):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=eol)
    w.writerow(header)
    w.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode() + eol.encode() * blank)
    return path


def corrected_list(cfg, rules, reg, src, dst):
    """The list of src corrected: persons dropped (three that alert in the registry and
    one not in it, each named once), one amount lowered below every rule (its alert
    goes), one raised above (a new alert). Returns dst and what was changed (row
    indexes)."""
    bom, eol, header, rows = read_list(src)
    recs = rhtest.expected_records(cfg, DEPT, FEED, src)
    lines = sorted(recs)
    assert len(lines) == len(rows)
    amount_col = header.index(rhtest.feed_config(cfg, DEPT, FEED)["columns"]["amount"])
    times = collections.Counter(r["id_number"] for r in recs.values())
    outcome = {}
    for i, line in enumerate(lines):
        o, a = rhtest.expected_alert(rules, reg, recs[line], PERIOD, {})
        outcome[i] = (o, a, recs[line])

    def pick(want, n, avoid=()):
        got = [i for i, (o, a, r) in outcome.items()
               if o == want and times[r["id_number"]] == 1 and i not in avoid][:n]
        assert len(got) == n, f"the month has fewer than {n} single rows with outcome {want}"
        return got

    dropped = pick("alert", 3) + pick("unmatched", 1)
    lowered = pick("alert", 1, dropped)[0]
    raised = None
    for i, (o, a, r) in outcome.items():
        if o != "no_rule" or times[r["id_number"]] != 1:
            continue
        hh = reg.household_of(r["id_number"])
        if rules.select(DEPT, FEED, dict(r, amount_fen=99999900), hh) is not None:
            raised = i
            break
    assert raised is not None, "no no-rule row that a larger amount would alert"
    # below every rule: the lowered one must select none
    hh = reg.household_of(outcome[lowered][2]["id_number"])
    assert rules.select(DEPT, FEED, dict(outcome[lowered][2], amount_fen=100), hh) is None
    out = []
    for i, row in enumerate(rows):
        if i in dropped:
            continue
        row = list(row)
        if i == lowered:
            row[amount_col] = "1"
        if i == raised:
            row[amount_col] = "999999"
        out.append(row)
    return write_list(dst, bom, eol, header, out), dropped, lowered, raised


def split(got):
    """(alerts, withdrawals): Counters of (alert_id, key, topic), and {id: record}. Merges
    (one warning per person: withdrawals with merged_into) are left out: the month's
    own, which rhtest.Expect models and test_join compares."""
    alerts, withdrawals, records = collections.Counter(), collections.Counter(), {}
    for topic, key, rec, _ in got:
        if rec.get("merged_into"):
            continue
        (withdrawals if rec.get("withdraws") else alerts)[(rec["alert_id"], key, topic)] += 1
        records[rec["alert_id"]] = rec
    return alerts, withdrawals, records


def test_corrected_list_withdraws_and_raises(ns, cfg, rules, reg, month, tmp_path):
    src = dict(((d, f), p) for d, f, p in rhtest.feed_files(month / PERIOD))[(DEPT, FEED)]
    ns.produce(DEPT, FEED, src)
    j1 = run_join(ns, tmp_path)
    assert j1.summary().get("withdrawn") == 0, j1.summary()

    fixed, dropped, lowered, raised = corrected_list(cfg, rules, reg, src,
                                                     tmp_path / "corrected" / src.name)
    assert fixed.name == src.name
    ns.produce(DEPT, FEED, fixed)
    j2 = run_join(ns, tmp_path)

    old_items = lineage(ns, cfg, [(DEPT, FEED, src)])
    new_items = lineage(ns, cfg, [(DEPT, FEED, fixed)])
    new_bid = rhtest.batch_id(DEPT, FEED, PERIOD, fixed)
    want_w = rhtest.expected_withdrawals(rules, reg, old_items, new_items, new_bid)
    exp = expect(rules, reg, old_items + new_items)
    # what the correction must do, by construction: 3 + 1 dropped, 1 lowered
    assert len(want_w) == 5, f"expected withdrawals: {len(want_w)}"
    assert sum(1 for w in want_w.values() if w["situation"] == "WITHDRAWN"
               and w["_topic"] == "alerts.unmatched") == 1
    new_alerts = set(expect(rules, reg, new_items).alerts) - set(expect(rules, reg, old_items).alerts)
    assert len(new_alerts) == 1, "the raised amount gives one new alert"

    got = ns.read("alerts.")
    alerts, withdrawals, records = split(got)
    want_a = collections.Counter((a["alert_id"], a["_key"], a["_topic"]) for a in exp.alerts.values())
    assert alerts == want_a, (f"alerts: {sum((want_a - alerts).values())} missing, "
                              f"{sum((alerts - want_a).values())} unexpected")
    want_wk = collections.Counter((w["alert_id"], w["_key"], w["_topic"]) for w in want_w.values())
    assert withdrawals == want_wk, (
        f"withdrawals: {sum((want_wk - withdrawals).values())} missing, "
        f"{sum((withdrawals - want_wk).values())} unexpected (e.g. "
        f"{[(k[0][:12], mask(k[1]), k[2]) for k in list(withdrawals - want_wk)[:3]]})")
    problems = []
    for wid, w in want_w.items():
        rec = records[wid]
        diffs = [k for k in STABLE if rec.get(k) != w.get(k)]
        if rec["source"]["batch_id"] != new_bid:
            diffs.append("source.batch_id")
        if diffs:
            problems.append(f"{wid[:12]}: {diffs}")
    assert not problems, f"withdrawals differ: {problems}"
    s2 = j2.summary()
    assert s2.get("withdrawn") == 5 and s2.get("alerts", 0) + s2.get("unmatched", 0) == 1, s2

    # the ledger: the withdrawn warnings WITHDRAWN (a step each), the others PUSHED
    led = run_ledger(ns)
    assert led.summary().get("withdrawn") == 5 and led.summary().get("withdraw_refused") == 0, \
        led.summary()
    withdrawn = {w["withdraws"] for w in want_w.values()}
    want_rows = sorted((a["alert_id"], a["household_id"], a["township_code"], a["period"], a["risk"],
                        a["rule_id"], "WITHDRAWN" if a["alert_id"] in withdrawn else "PUSHED")
                       for a in exp.township_alerts().values())
    got_rows = rhtest.warnings_rows(ns.conninfo)
    assert got_rows == want_rows, (
        f"warnings: {len(set(want_rows) - set(got_rows))} missing or in another state, "
        f"{len(set(got_rows) - set(want_rows))} unexpected")
    steps = rhtest.pg_rows(ns.conninfo, "SELECT verification_id, alert_id, outcome, recorded_by, "
                                        "refused FROM warning_steps")
    want_steps = sorted((wid, w["withdraws"], "WITHDRAWN", f"{DEPT}/{FEED} {new_bid[:12]}", "")
                        for wid, w in want_w.items() if w["_topic"] != "alerts.unmatched")
    assert sorted(tuple(r) for r in steps) == want_steps, f"warning_steps: {len(steps)} rows"
    un = rhtest.pg_rows(ns.conninfo, "SELECT alert_id, withdrawn_by FROM unmatched_alerts "
                                     "WHERE withdrawn_by IS NOT NULL")
    assert sorted(tuple(r) for r in un) == sorted(
        (w["withdraws"], wid) for wid, w in want_w.items() if w["_topic"] == "alerts.unmatched")

    # riskhub-replay: the month replays equal; the withdrawals counted, not compared
    r = subprocess.run([str(rhtest.BIN / "riskhub-replay"), "--config", str(rhtest.CONFIG),
                        "--period", PERIOD, "--department", DEPT, "--feed", FEED, "--format",
                        "json"], capture_output=True, text=True, timeout=300, env=ns.env())
    rhtest.assert_no_full_id(r.stdout, r.stderr)
    assert r.returncode == 0, f"riskhub-replay exit {r.returncode}: {rhtest.scrub(r.stderr[-2000:])}"
    rep = json.loads(r.stdout)
    assert rep["result"] == "equal" and rep["differences"] == [], rep["differences"][:3]
    assert rep["withdrawals_published"] == 5, rep.get("withdrawals_published")

    # riskhub-status: withdrawn per township, neither open nor verified
    r = subprocess.run([str(rhtest.BIN / "riskhub-status"), "--period", PERIOD, "--table",
                        "verification", "--format", "csv"], capture_output=True, text=True,
                       timeout=120, env=ns.env())
    rhtest.assert_no_full_id(r.stdout, r.stderr)
    assert r.returncode in (0, 1), (r.returncode, rhtest.scrub(r.stderr))
    towns = list(csv.DictReader(io.StringIO(r.stdout.split("\n\n")[0], newline="")))
    want_t = {t["code"]: collections.Counter() for t in cfg["townships"]}
    for a in exp.township_alerts().values():
        x = want_t[a["township_code"]]
        x["pushed"] += 1
        x["withdrawn" if a["alert_id"] in withdrawn else "open"] += 1
    got_t = {t["township"]: {k: int(t[k]) for k in ("pushed", "withdrawn", "open", "verified")}
             for t in towns}
    want_t = {k: {c: v[c] for c in ("pushed", "withdrawn", "open", "verified")}
              for k, v in want_t.items()}
    assert got_t == want_t, "status: " + "; ".join(
        f"{k}: got {got_t[k]} expected {want_t[k]}" for k in want_t if got_t.get(k) != want_t[k])

    # the same corrected list again (one blank line more: another batch id, same name)
    bom, eol, header, rows = read_list(fixed)
    again = write_list(tmp_path / "again" / src.name, bom, eol, header, rows, blank=1)
    assert rhtest.batch_id(DEPT, FEED, PERIOD, again) != new_bid
    ns.produce(DEPT, FEED, again)
    j3 = run_join(ns, tmp_path)
    s3 = j3.summary()
    assert s3.get("withdrawn") == 0 and s3.get("alerts") == 0 and s3.get("unmatched") == 0, s3
    assert split(ns.read("alerts."))[:2] == (alerts, withdrawals), "the list again added records"
    led = run_ledger(ns)
    assert led.summary().get("withdrawn") == 0, led.summary()
    assert rhtest.warnings_rows(ns.conninfo) == want_rows


def write_alerts(ns, topic, records):
    """Alert records (withdrawals too) to topic in one committed transaction, as the
    join would write them (key: the household id)."""
    from confluent_kafka import Producer
    p = Producer({**rhtest.client_conf(), "transactional.id": f"{ns.prefix}rhtest-alerts-raw"})
    p.init_transactions(30)
    p.begin_transaction()
    for rec in records:
        p.produce(topic, key=rec["household_id"], value=rhtest.avro.encode("Alert", rec))
    p.commit_transaction(30)


def an_alert(ns, town, now, batch):
    """An Alert of the township as the join writes it (synthetic person)."""
    return dict(alert_id="a1" * 32, situation="AT_NEW_RISK", township_code=town, village="东村",
                household_id=f"{town}-001-0001", household_type="poverty_alleviated",
                monitoring_category=None, risk_eliminated=False,
                person_id_number="41102419900101123X", person_name="测试", relation_to_head="head",
                risk="LOW_INCOME", risk_subtype=None, severity="high", rule_id="r-test",
                reason="测试", department=DEPT, feed=FEED, period=PERIOD, amount_fen=None,
                event_date=None, facts={},
                source=dict(topic=ns.topic(f"feed.{DEPT}.{FEED}"), partition=0, offset=5,
                            batch_id=batch),
                withdraws=None, merged_into=None, created_at=now)


def test_a_withdrawal_read_before_its_alert(ns, tmp_path):
    """After a backlog the join can meet a corrected list's manifest before the superseded
    list's records (they are on other partitions), so the ledger can read a withdrawal
    before the alert it withdraws. The step is kept (refused: no such warning); the
    warning, stored by a later batch, takes it then: WITHDRAWN, the step applied. Both
    written here as the join writes them, the withdrawal first, a ledger run between."""
    import time
    j = ns.join("--idle-exit-ms", rhtest.IDLE_MS, log_dir=tmp_path / "logs")
    assert j.wait(120) == 0, j.tail()      # nothing to read: makes its output topics
    town = rhtest.load_config()["townships"][0]["code"]
    now = int(time.time() * 1000)
    old_batch, new_batch = "b0" * 32, "b1" * 32
    alert = an_alert(ns, town, now, old_batch)
    wid = rhtest.withdrawal_id(alert["alert_id"], new_batch)
    withdrawal = dict(alert, alert_id=wid, situation="WITHDRAWN", withdraws=alert["alert_id"],
                      source=dict(alert["source"], offset=9, batch_id=new_batch), created_at=now + 1)
    topic = ns.topic(f"alerts.{town}")
    write_alerts(ns, topic, [withdrawal])
    led = run_ledger(ns)
    assert led.summary().get("withdraw_refused") == 1, led.summary()
    steps = "SELECT verification_id, alert_id, coalesce(refused, ''), coalesce(state_before, '') " \
            "FROM warning_steps"
    assert rhtest.pg_rows(ns.conninfo, steps) == [(wid, alert["alert_id"], "no such warning", "")]
    write_alerts(ns, topic, [alert])
    led = run_ledger(ns)
    assert led.summary().get("warnings") == 1, led.summary()
    assert "took a withdrawal read before them" in led.stderr, led.tail()
    assert rhtest.pg_rows(ns.conninfo, "SELECT alert_id, state FROM warnings") == \
        [(alert["alert_id"], "WITHDRAWN")]
    assert rhtest.pg_rows(ns.conninfo, steps) == [(wid, alert["alert_id"], "", "PUSHED")]




def test_an_unmatched_withdrawal_read_before_its_alert(ns, tmp_path):
    """The same on alerts.unmatched (a person the registry does not know): the
    withdrawal, read first, is kept (unmatched_withdrawals_held, migration 017) and the
    unmatched alert, stored by a later batch, takes it (withdrawn_by)."""
    import time
    j = ns.join("--idle-exit-ms", rhtest.IDLE_MS, log_dir=tmp_path / "logs")
    assert j.wait(120) == 0, j.tail()      # nothing to read: makes its output topics
    now = int(time.time() * 1000)
    alert = dict(an_alert(ns, "411024100", now, "b0" * 32), situation="UNMATCHED",
                 township_code=None, village=None, household_id=None, household_type=None,
                 relation_to_head=None, severity="low", rule_id="unmatched",
                 reason="not in the household registry")
    wid = rhtest.withdrawal_id(alert["alert_id"], "b1" * 32)
    withdrawal = dict(alert, alert_id=wid, situation="WITHDRAWN", withdraws=alert["alert_id"],
                      source=dict(alert["source"], offset=9, batch_id="b1" * 32),
                      created_at=now + 1)
    topic = ns.topic("alerts.unmatched")

    def write(records):
        rhtest.produce_in_txn([(topic, 0, r["person_id_number"], rhtest.avro.encode("Alert", r))
                               for r in records])
    write([withdrawal])
    led = run_ledger(ns)
    assert led.summary().get("withdraw_refused") == 0, led.summary()
    held = "SELECT withdrawal_id, alert_id FROM unmatched_withdrawals_held"
    assert rhtest.pg_rows(ns.conninfo, held) == [(wid, alert["alert_id"])]
    write([alert])
    led = run_ledger(ns)
    assert led.summary().get("unmatched") == 1, led.summary()
    assert rhtest.pg_rows(ns.conninfo, "SELECT alert_id, withdrawn_by FROM unmatched_alerts") == \
        [(alert["alert_id"], wid)]
    assert rhtest.pg_rows(ns.conninfo, held) == []
    # read again (a second consumer name would): nothing held, nothing refused
    led = run_ledger(ns)
    assert led.summary().get("withdraw_refused") == 0, led.summary()


def test_a_step_read_before_its_warning(ns, tmp_path):
    """The ledger rebuilt from the topics (a new database, or an auditor's) can read a
    township's verifications partition before the alerts partition of the warning its
    steps name (the demo's rebuild refused 60 steps so). The steps are kept (refused:
    the warning is not in the ledger); the warning, stored by a later batch, takes them
    then, in the order they were read: VERIFYING, then INCLUDED; each step applied."""
    import time
    j = ns.join("--idle-exit-ms", rhtest.IDLE_MS, log_dir=tmp_path / "logs")
    assert j.wait(120) == 0, j.tail()      # nothing to read: makes its output topics
    town = rhtest.load_config()["townships"][0]["code"]
    now = int(time.time() * 1000)
    alert = an_alert(ns, town, now, "b0" * 32)

    def step(n, outcome):
        return dict(verification_id=f"{n:x}" * 64, alert_id=alert["alert_id"], township_code=town,
                    household_id=alert["household_id"], outcome=outcome, reason=None, note=None,
                    visited_on=None, recorded_by="测试员", recorded_at=now + n, source="test")
    steps = [step(1, "VERIFYING"), step(2, "INCLUDED")]
    topic = ns.topic(f"verifications.{town}")
    run_ledger(ns)                         # makes the verifications topics
    rhtest.produce_in_txn([(topic, 0, alert["household_id"], rhtest.avro.encode("Verification", v))
                           for v in steps])
    led = run_ledger(ns)
    assert led.summary().get("steps_refused") == 2, led.summary()
    sql = "SELECT verification_id, coalesce(refused, ''), coalesce(state_before, '') " \
          "FROM warning_steps ORDER BY verification_id"
    ids = [v["verification_id"] for v in steps]
    assert rhtest.pg_rows(ns.conninfo, sql) == [(i, "the warning is not in the ledger", "")
                                                for i in ids]
    write_alerts(ns, ns.topic(f"alerts.{town}"), [alert])
    led = run_ledger(ns)
    assert led.summary().get("warnings") == 1 and led.summary().get("steps_late") == 2, \
        led.summary()
    assert "township step(s) read before their warning applied now" in led.stderr, led.tail()
    assert rhtest.pg_rows(ns.conninfo, "SELECT alert_id, state FROM warnings") == \
        [(alert["alert_id"], "INCLUDED")]
    assert rhtest.pg_rows(ns.conninfo, sql) == [(ids[0], "", "PUSHED"), (ids[1], "", "VERIFYING")]
    # a later run changes nothing
    led = run_ledger(ns)
    assert "read before their warning" not in led.stderr, led.tail()
    assert rhtest.pg_rows(ns.conninfo, sql) == [(ids[0], "", "PUSHED"), (ids[1], "", "VERIFYING")]


MERGE_DEPT, MERGE_FEED = "emergency", "disaster-affected"


def test_one_warning_per_person(ns, cfg, rules, reg, month, tmp_path):
    """One person twice in one list with different amounts: one warning, the most severe
    rule's (docs/join.md, "One warning per person"). emergency/disaster-affected has a
    medium rule (any loss) and a high one (a large loss). The month's list with two rows
    added: a large loss for a person whose row was medium (read after it: the medium
    warning is raised, then merged into the high one: WITHDRAWN in the ledger), a small
    loss for a person whose row was high (merged into it at once: no second warning,
    the row's facts on the merge record). Expected values: rhtest.Expect."""
    src = dict(((d, f), p) for d, f, p in rhtest.feed_files(month / PERIOD))[(MERGE_DEPT, MERGE_FEED)]
    bom, eol, header, rows = read_list(src)
    recs = rhtest.expected_records(cfg, MERGE_DEPT, MERGE_FEED, src)
    lines = sorted(recs)
    times = collections.Counter(r["id_number"] for r in recs.values())
    amount_col = header.index(rhtest.feed_config(cfg, MERGE_DEPT, MERGE_FEED)["columns"]["amount"])

    def single(rule_id):
        for i, line in enumerate(lines):
            r = recs[line]
            o, a = rhtest.expected_alert(rules, reg, r, PERIOD, {})
            if o == "alert" and a["rule_id"] == rule_id and times[r["id_number"]] == 1:
                return i, r, a
        pytest.fail(f"the month has no single row of rule {rule_id}")

    i_med, r_med, a_med = single("disaster-affected")
    i_high, r_high, a_high = single("disaster-affected-large-loss")
    more, less = list(rows[i_med]), list(rows[i_high])
    more[amount_col], less[amount_col] = "999999", "1"
    path = write_list(tmp_path / "twice" / src.name, bom, eol, header, rows + [more, less])
    ns.produce(MERGE_DEPT, MERGE_FEED, path)
    j = run_join(ns, tmp_path)

    items = lineage(ns, cfg, [(MERGE_DEPT, MERGE_FEED, path)])
    exp = expect(rules, reg, items)
    # by construction: the two persons' merges (the month may have more of its own)
    high_of_med = rhtest.alert_id(r_med["id_number"], MERGE_DEPT, MERGE_FEED, PERIOD,
                                  "disaster-affected-large-loss")
    med_of_high = rhtest.alert_id(r_high["id_number"], MERGE_DEPT, MERGE_FEED, PERIOD,
                                  "disaster-affected")
    m1, m2 = rhtest.merge_id(a_med["alert_id"]), rhtest.merge_id(med_of_high)
    assert exp.merges[m1]["merged_into"] == high_of_med and a_med["alert_id"] in exp.merged
    assert exp.merges[m2]["merged_into"] == a_high["alert_id"] and med_of_high not in exp.alerts
    assert exp.merges[m2]["amount_fen"] == 100, "the merged row's own amount"
    rhtest.assert_alerts(ns, exp)
    rhtest.assert_summary(j, **exp.counts)
    assert j.summary().get("merged") == exp.counts["merged"] >= 2, j.summary()

    # the ledger: one open warning a person; the merged one WITHDRAWN, every merge a step
    led = run_ledger(ns)
    assert led.summary().get("withdraw_refused") == 0, led.summary()
    assert rhtest.warnings_rows(ns.conninfo) == exp.warnings()
    for idn in (r_med["id_number"], r_high["id_number"]):
        live = [a for a in exp.township_alerts().values()
                if a["person_id_number"] == idn and a["alert_id"] not in exp.merged]
        assert len(live) == 1, f"{rhtest.mask(idn)}: {len(live)} warnings stand"
    steps = rhtest.pg_rows(ns.conninfo, "SELECT verification_id, alert_id, merged_into, "
                                        "coalesce(refused, ''), coalesce(state_before, '') "
                                        "FROM warning_steps WHERE merged_into IS NOT NULL")
    want = sorted((mid, m["withdraws"], m["merged_into"], "",
                   "PUSHED" if m["withdraws"] in exp.merged else "")
                  for mid, m in exp.merges.items() if m["_topic"] != "alerts.unmatched")
    assert sorted(tuple(r) for r in steps) == want, f"merge steps: {len(steps)} of {len(want)}"

    # riskhub-replay makes the same merges: the month replays equal
    r = subprocess.run([str(rhtest.BIN / "riskhub-replay"), "--config", str(rhtest.CONFIG),
                        "--period", PERIOD, "--department", MERGE_DEPT, "--feed", MERGE_FEED,
                        "--format", "json"], capture_output=True, text=True, timeout=300,
                       env=ns.env())
    rhtest.assert_no_full_id(r.stdout, r.stderr)
    assert r.returncode == 0, f"riskhub-replay exit {r.returncode}: {rhtest.scrub(r.stderr[-2000:])}"
    rep = json.loads(r.stdout)
    assert rep["result"] == "equal" and rep["differences"] == [], rep["differences"][:3]
