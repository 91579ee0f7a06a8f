"""riskhub-alerts against the real broker and PostgreSQL: a generated month through
the real riskhub-join, read as a township dashboard, the county office, a window;
JSON round trip, masking, CSV, the table's grouping, unmasked exports recorded in
PostgreSQL (and refused without the database), a group that resumes, --follow, the
Python example docs/examples/township_dashboard.py, and usage errors.

Every test runs in a namespace of its own (rhtest.Namespace: a fresh RH_TOPIC_PREFIX
and a scratch database). What riskhub-alerts must print is computed here, from the
alert topics decoded independently with confluent-kafka (read_committed) and
fastavro, and from the registry CSVs.

PYTEST_DONT_REWRITE: assertion messages are only the ones written here (they mask ID
numbers); pytest's introspection would print the compared values, full IDs included."""
import collections
import csv
import io
import json
import os
import pwd
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

import rhtest
from rhtest import PERIOD, mask, run_join, scrub

ALERTS = rhtest.BIN / "riskhub-alerts"
EXAMPLE = rhtest.SRC / "docs" / "examples" / "township_dashboard.py"
HOUSEHOLDS = 2000
ROWS_PER_FEED = 30
SEED = int(os.environ.get("RH_JOIN_SEED", "20261"))
# the month of the module (conftest.py: month, reg)
MONTH = dict(households=HOUSEHOLDS, rows_per_feed=ROWS_PER_FEED, seed=SEED)
OS_USER = pwd.getpwuid(os.geteuid()).pw_name
# runs of ID characters holding 15+ digits: what riskhub-alerts masks in free text
ID_RUN = re.compile(r"[0-9Xx]+")

if not ALERTS.exists() and not (rhtest.SRC / "consumers" / "alerts" / "main.c").exists():
    pytest.skip("riskhub-alerts is not part of this tree yet", allow_module_level=True)


# ---- helpers ----------------------------------------------------------------------


def dash_group(ns, code, name):
    """A dashboard's own consumer group: within its township's, as the brokers allow a
    township's party (riskhub-alerts.<township>.*, docs/security.md)."""
    return f"{ns.prefix}riskhub-alerts.{code}.{name}"


def alerts(ns, *args, env=None, timeout=120):
    """Run riskhub-alerts in the namespace: (exit code, stdout bytes, stderr text)."""
    e = ns.env(**(env or {}))
    r = subprocess.run([str(ALERTS), *map(str, args)], capture_output=True, timeout=timeout, env=e)
    err = r.stderr.decode("utf-8", "replace")
    return r.returncode, r.stdout, err


def ok(ns, *args, **kw):
    rc, out, err = alerts(ns, *args, **kw)
    assert rc == 0, f"riskhub-alerts {' '.join(map(str, args))}: exit {rc}:\n{scrub(err)}"
    rhtest.assert_no_full_id(err)
    return out, err


def summary(err):
    m = re.search(r"^riskhub-alerts: (alerts=.*)$", err, re.M)
    assert m, f"no summary line on stderr:\n{scrub(err)}"
    return {k: v for k, v in (kv.split("=", 1) for kv in m.group(1).split())}


def jsonl(out):
    return [json.loads(line) for line in out.decode("utf-8").splitlines() if line.strip()]


def mask_text(s):
    """The masking of free text, computed here: runs of [0-9Xx] with 15+ digits keep
    their first 6 and last 4 characters."""
    if s is None:
        return None

    def one(m):
        run = m.group(0)
        if sum(c.isdigit() for c in run) < 15:
            return run
        return run[:6] + "*" * (len(run) - 10) + run[-4:]
    return ID_RUN.sub(one, s)


def iso_ms(v):
    if isinstance(v, datetime):
        v = v.astimezone(timezone.utc)
        return v.strftime("%Y-%m-%dT%H:%M:%S") + f".{v.microsecond // 1000:03d}Z"
    return datetime.fromtimestamp(v / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + \
        f".{v % 1000:03d}Z"


def yuan(fen):
    if fen is None:
        return None
    return f"{'-' if fen < 0 else ''}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def expected_json(rec, masked):
    """What --format jsonl must print for one Alert record (fastavro's dict)."""
    ed = rec["event_date"]
    out = {
        "alert_id": rec["alert_id"], "situation": rec["situation"],
        "township_code": rec["township_code"], "village": rec["village"],
        "household_id": rec["household_id"], "household_type": rec["household_type"],
        "monitoring_category": rec["monitoring_category"], "risk_eliminated": rec["risk_eliminated"],
        "person_id_number": rec["person_id_number"], "person_name": rec["person_name"],
        "relation_to_head": rec["relation_to_head"], "risk": rec["risk"],
        "risk_subtype": rec["risk_subtype"], "severity": rec["severity"], "rule_id": rec["rule_id"],
        "reason": rec["reason"], "department": rec["department"], "feed": rec["feed"],
        "period": rec["period"], "amount_fen": rec["amount_fen"], "amount_yuan": yuan(rec["amount_fen"]),
        "event_date": ed.isoformat() if isinstance(ed, date) else None,
        "facts": dict(rec["facts"]), "source": dict(rec["source"]),
        "created_at": iso_ms(rec["created_at"]),
        # the warning in the ledger: none here (no ledger runs in this file;
        # test_verify.py checks states and --overdue)
        "state": None, "visit_due": None, "overdue_days": None,
    }
    if masked:
        out["person_id_number"] = mask(rec["person_id_number"])
        for k in ("village", "person_name", "relation_to_head", "reason"):
            out[k] = mask_text(out[k])
        out["facts"] = {k: mask_text(v) for k, v in out["facts"].items()}
    return out


def diff_json(want, got):
    """[field differs] for one alert; values masked in the message."""
    out = []
    if list(got) != list(want):
        out.append(f"fields {list(got)} != {list(want)}")
    for k, v in want.items():
        if got.get(k) != v:
            out.append(f"{k}: {scrub(got.get(k))!r} != expected {scrub(v)!r}"
                       if k not in ("person_name", "facts") else f"{k} differs")
    return out


def topic_alerts(ns, family="alerts."):
    """{topic without prefix: [record]} of the namespace's alert topics (fastavro)."""
    out = collections.defaultdict(list)
    for topic, key, rec, m in ns.read(family):
        out[topic].append(rec)
    return out


def all_ids(reg, recs):
    ids = set(reg.members) if reg else set()
    ids |= {r["person_id_number"] for r in recs}
    return ids


def assert_no_id_substring(text, ids, what):
    """No full ID number anywhere, not even inside a longer number."""
    rhtest.assert_no_full_id(text)
    for idn in ids:
        assert idn not in text, f"{what}: a full ID number ({mask(idn)}) appears in the output"


def groups_of(ns):
    return set(ns.groups())


def exports(ns):
    rows = rhtest.psql(ns.conninfo, "SELECT coalesce(json_agg(e ORDER BY export_id), '[]') FROM "
                                     "unmasked_exports e")
    return json.loads(rows)


def alert_record(i, township="411024100", household=None, person=None, **kw):
    """An Alert of our own (for the tests that publish alerts themselves)."""
    idn = person or rhtest.make_id("411024", "19800101", 100 + 2 * i)
    rec = {"alert_id": rhtest.sha_parts("pytest-alert", str(i)), "situation": "AT_NEW_RISK",
           "township_code": township, "village": "东庄村",
           "household_id": household or f"{township}-001-{i:04d}", "household_type": "monitored",
           "monitoring_category": "marginal", "risk_eliminated": False, "person_id_number": idn,
           "person_name": "测试人", "relation_to_head": "head", "risk": "ILLNESS", "risk_subtype": None,
           "severity": "high", "rule_id": "illness-major-disease", "reason": None,
           "department": "health", "feed": "major-disease", "period": PERIOD, "amount_fen": 1234567,
           "event_date": date(2026, 10, 3), "facts": {"disease": "肺癌"},
           "source": {"topic": "feed.health.major-disease", "partition": 0, "offset": i,
                      "batch_id": "pytest"},
           "created_at": datetime.now(timezone.utc)}
    rec.update(kw)
    return rec


def publish(ns, records, township="411024100"):
    topic = ns.topic(f"alerts.{township}")
    rhtest.create_topics([topic])
    return rhtest.produce_raw(topic, [(r["household_id"].encode() if r["household_id"] else b"x",
                                       rhtest.encode("Alert", r)) for r in records])


# ---- fixtures -----------------------------------------------------------------------



@pytest.fixture(scope="module")
def joined(month, tmp_path_factory):
    """A namespace in which a whole generated month went through the real join
    (generate, registry import, every list produced, riskhub-join --idle-exit-ms).
    Tests that read it as a group use groups of their own. Shared by the module's tests
    (they only read it); its groups, topics and database go when the module is done."""
    assert ALERTS.exists(), f"{ALERTS} not built"
    with rhtest.Namespace(month / "registry") as ns:
        ns.produce_all(rhtest.feed_files(month / PERIOD))
        run_join(ns, tmp_path_factory.mktemp("join"))
        got = topic_alerts(ns)
        assert sum(len(v) for k, v in got.items() if k != "alerts.unmatched") > 50, \
            "the month gave too few alerts to test with"
        assert got.get("alerts.unmatched"), "the month has no unmatched persons"
        yield ns, got


def busiest(got, n):
    """The n townships with the most alerts (codes)."""
    towns = sorted(((len(v), k.split(".")[1]) for k, v in got.items() if k != "alerts.unmatched"),
                   reverse=True)
    return [code for _, code in towns[:n]]


# ---- 1. a township sees exactly its own warnings --------------------------------------

def test_township_sees_exactly_its_own(joined, cfg):
    ns, got = joined
    names = {t["code"]: t["name"] for t in cfg["townships"]}
    for code, spelling in zip(busiest(got, 3), ("code", "name", "short")):
        arg = {"code": code, "name": names[code], "short": names[code][:-1]}[spelling]
        group = dash_group(ns, code, f"dash-{uuid.uuid4().hex[:6]}")
        out, err = ok(ns, "--township", arg, "--format", "jsonl", "--group", group)
        lines = jsonl(out)
        want = collections.Counter(r["alert_id"] for r in got[f"alerts.{code}"])
        have = collections.Counter(x["alert_id"] for x in lines)
        assert have == want, (f"{code} ({spelling}): {sum((want - have).values())} alerts missing, "
                              f"{sum((have - want).values())} unexpected")
        assert {x["township_code"] for x in lines} == {code}
        assert summary(err)["alerts"] == str(len(lines))
        # the group is the one asked for, and it is the dashboard's: a second run is empty
        assert group in groups_of(ns), f"group {group} not on the broker"
        out2, _ = ok(ns, "--township", arg, "--format", "jsonl", "--group", group)
        assert jsonl(out2) == [], f"{code}: a second run of the same group shows alerts again"

    # the default group: <prefix>riskhub-alerts.<code>.<user>
    code = busiest(got, 1)[0]
    out, _ = ok(ns, "--township", code, "--format", "jsonl")
    assert len(jsonl(out)) == len(got[f"alerts.{code}"])
    assert f"{ns.prefix}riskhub-alerts.{code}.{OS_USER}" in groups_of(ns)


def test_several_townships_all_and_unmatched(joined):
    ns, got = joined
    a, b = busiest(got, 2)
    out, _ = ok(ns, "--township", a, "--township", b, "--period", PERIOD, "--format", "jsonl")
    have = collections.Counter(x["alert_id"] for x in jsonl(out))
    want = collections.Counter(r["alert_id"] for t in (a, b) for r in got[f"alerts.{t}"])
    assert have == want, "two townships: the alerts differ from their topics"

    out, _ = ok(ns, "--all", "--period", PERIOD, "--format", "jsonl")
    have = collections.Counter(x["alert_id"] for x in jsonl(out))
    want = collections.Counter(r["alert_id"] for k, v in got.items() if k != "alerts.unmatched"
                               for r in v)
    assert have == want, "--all: the alerts differ from the township topics"

    out, _ = ok(ns, "--unmatched", "--period", PERIOD, "--format", "jsonl")
    lines = jsonl(out)
    assert collections.Counter(x["alert_id"] for x in lines) == \
        collections.Counter(r["alert_id"] for r in got["alerts.unmatched"])
    assert {x["situation"] for x in lines} == {"UNMATCHED"}


# ---- 2. JSON round trip, masking, CSV, table ----------------------------------------------

def test_json_round_trip_and_unmasked_export_recorded(joined, reg):
    ns, got = joined
    recs = {r["alert_id"]: r for v in got.values() for r in v}
    yesterday = (rhtest.county_today() - timedelta(days=1)).isoformat()
    before = len(exports(ns))
    t0 = datetime.now(timezone.utc)
    out, err = ok(ns, "--all", "--unmatched", "--from", yesterday, "--format", "jsonl",
                  "--unmasked", "--operator", "测试员")
    t1 = datetime.now(timezone.utc)
    lines = jsonl(out)
    assert len(lines) == len(recs), f"{len(lines)} lines for {len(recs)} alerts"
    problems = []
    for x in lines:
        d = diff_json(expected_json(recs[x["alert_id"]], masked=False), x)
        if d:
            problems.append(f"{x['alert_id'][:12]}: " + "; ".join(d))
    assert not problems, f"{len(problems)} alerts differ:\n" + "\n".join(problems[:10])
    assert any(x["amount_fen"] is not None for x in lines) and \
        any(x["event_date"] is not None for x in lines) and any(x["facts"] for x in lines)
    # full ID numbers (that is what --unmasked is for)
    assert any(x["person_id_number"] in reg.members for x in lines)

    # the record: who, when, what, written before the output
    rows = exports(ns)[before:]
    assert len(rows) == 1, f"{len(rows)} export records"
    row = rows[0]
    assert row["os_user"] == OS_USER and row["operator"] == "测试员"
    assert row["hostname"] == socket.gethostname()
    assert row["program"] == "riskhub-alerts"
    assert row["townships"] == [t["code"] for t in rhtest.load_config()["townships"]]
    assert row["unmatched"] is True
    assert row["consumer_group"] is None and row["period"] is None
    assert row["from_date"] == yesterday
    assert row["format"] == "jsonl" and row["destination"] == "stdout"
    assert row["record_count"] == len(lines)
    assert re.fullmatch(r"[0-9a-f]{32}", row["run_id"])
    at = datetime.fromisoformat(row["exported_at"])
    assert t0 - timedelta(seconds=5) <= at <= t1 + timedelta(seconds=5), "exported_at outside the run"
    # the ranges say exactly which records were shown
    by_tp = collections.Counter()
    for topic, key, rec, m in ns.read("alerts."):
        by_tp[(m.topic(), m.partition())] += 1
    ranges = {(r["topic"], r["partition"]): r for r in row["ranges"]}
    assert {k: r["count"] for k, r in ranges.items()} == dict(by_tp), "ranges: counts differ"
    assert summary(err)["exports"] == "1" and summary(err)["masked"] == "no"
    # append-only
    r = rhtest.psql(ns.conninfo, "UPDATE unmasked_exports SET operator = 'x'", check=False)
    assert r.returncode != 0 and "append-only" in r.stderr
    r = rhtest.psql(ns.conninfo, "DELETE FROM unmasked_exports", check=False)
    assert r.returncode != 0
    assert len(exports(ns)) == before + 1


def test_masked_by_default_json_csv_table(joined, reg):
    ns, got = joined
    recs = {r["alert_id"]: r for v in got.values() for r in v}
    ids = all_ids(reg, recs.values())
    # some free text holds a full ID (disability certificate numbers): masking is tested
    assert any(mask_text(v) != v for r in recs.values() for v in r["facts"].values()), \
        "no fact with an ID number inside in the month"

    before = len(exports(ns))
    out, err = ok(ns, "--all", "--unmatched", "--period", PERIOD, "--format", "jsonl")
    text = out.decode("utf-8")
    assert_no_id_substring(text + err, ids, "jsonl")
    lines = jsonl(out)
    assert len(lines) == len(recs)
    problems = []
    for x in lines:
        d = diff_json(expected_json(recs[x["alert_id"]], masked=True), x)
        if d:
            problems.append(f"{x['alert_id'][:12]}: " + "; ".join(d))
    assert not problems, f"{len(problems)} masked alerts differ:\n" + "\n".join(problems[:10])
    assert summary(err)["masked"] == "yes"

    # CSV: BOM, CRLF, a header, the same values as JSON
    out, err = ok(ns, "--all", "--unmatched", "--period", PERIOD, "--format", "csv")
    assert out.startswith(b"\xef\xbb\xbf"), "no UTF-8 byte order mark"
    assert out.count(b"\r\n") >= len(lines) + 1, "lines do not end in CRLF"
    text = out.decode("utf-8")
    assert_no_id_substring(text, ids, "csv")
    rows = list(csv.DictReader(io.StringIO(out.decode("utf-8-sig"), newline="")))
    assert len(rows) == len(lines)
    by_id = {x["alert_id"]: x for x in lines}
    for row in rows:
        x = by_id[row.pop("alert_id")]
        facts = json.loads(row.pop("facts"))
        assert facts == x["facts"], f"{x['alert_id'][:12]}: csv facts differ"
        src = {k[7:]: row.pop(k) for k in list(row) if k.startswith("source_")}
        assert src == {k: str(v) for k, v in x["source"].items()}
        # the columns a township fills in for riskhub-verify, empty
        filled = {k: row.pop(k) for k in ("outcome", "not_included_reason", "visited_on", "recorded_by", "note")}
        assert filled == dict.fromkeys(filled, ""), filled
        for k, v in row.items():
            want = "" if x[k] is None else ("true" if x[k] is True else "false" if x[k] is False
                                            else str(x[k]))
            assert v == want, f"{x['alert_id'][:12]}: csv {k} {scrub(v)!r} != {scrub(want)!r}"

    # the table, grouped by household, for people
    out, err = ok(ns, "--all", "--unmatched", "--period", PERIOD)
    table = out.decode("utf-8")
    assert_no_id_substring(table + err, ids, "table")
    check_table(table, got, reg)
    assert len(exports(ns)) == before, "a masked run was recorded as an unmasked export"


HEAD = re.compile(r"^\[(\d+)\] (.+?) · 户号 (\S+) · 户主 (.+?) · (.+)$")
SECTION = re.compile(r"^== (.+?) \((\d{9})\): (\d+) 户, (\d+) 条预警 ==$")
WARNING = re.compile(r"^    - \[(.)\] ")
ALERT_NO = re.compile(r"^      规则: (\S+) · 预警编号: ([0-9a-f]{16})$")
PERSON = re.compile(r"^      人员: (.+?)(?: \((.+?)\))? (\S+)$")


def check_table(table, got, reg):
    """Every township section: its households (each once, with the registry's head
    and village), under each exactly its alerts; the unmatched section last."""
    heads = {hid: reg.members[h["head_id_number"]]["name"] for hid, h in reg.households.items()}
    sections, cur, hh = {}, None, None
    for line in table.splitlines():
        m = SECTION.match(line)
        if m:
            cur = sections.setdefault(m.group(2), {"households": {}, "n_hh": int(m.group(3)),
                                                   "n_alerts": int(m.group(4))})
            hh = None
            continue
        if line.startswith("== 未匹配"):
            cur, hh = None, None
            continue
        m = HEAD.match(line)
        if m and cur is not None:
            hid = m.group(3)
            assert hid not in cur["households"], f"household {hid} shown twice"
            hh = cur["households"][hid] = {"village": m.group(2), "head": m.group(4), "alerts": []}
            continue
        m = ALERT_NO.match(line)
        if m and hh is not None:
            hh["alerts"].append(m.group(2))
    want_towns = {k.split(".")[1] for k in got if k != "alerts.unmatched"}
    assert set(sections) == want_towns, f"township sections {sorted(sections)} != {sorted(want_towns)}"
    for code, s in sections.items():
        recs = got[f"alerts.{code}"]
        by_hh = collections.defaultdict(list)
        for r in recs:
            by_hh[r["household_id"]].append(r["alert_id"][:16])
        assert set(s["households"]) == set(by_hh), f"{code}: households differ"
        assert s["n_hh"] == len(by_hh) and s["n_alerts"] == len(recs), f"{code}: counts in heading"
        for hid, h in s["households"].items():
            assert sorted(h["alerts"]) == sorted(by_hh[hid]), f"{hid}: its warnings differ"
            assert h["head"] == heads[hid], f"{hid}: the head is not the registry's"
            assert h["village"] == reg.households[hid]["village"], f"{hid}: village"
    assert "== 未匹配" in table
    assert table.index("== 未匹配") > max(table.index(f"({c})") for c in sections)
    n_warn = sum(1 for line in table.splitlines() if WARNING.match(line))
    assert n_warn == sum(len(v) for v in got.values()), "number of warning lines"


def test_window_from_and_period(joined):
    ns, got = joined
    code = busiest(got, 1)[0]
    n = len(got[f"alerts.{code}"])
    tomorrow = (rhtest.county_today() + timedelta(days=1)).isoformat()
    yesterday = (rhtest.county_today() - timedelta(days=1)).isoformat()
    out, _ = ok(ns, "--township", code, "--from", tomorrow, "--format", "jsonl")
    assert jsonl(out) == []
    out, _ = ok(ns, "--township", code, "--from", tomorrow)
    assert out.decode().strip() == "没有新的预警."
    out, _ = ok(ns, "--township", code, "--from", yesterday, "--format", "jsonl")
    assert len(jsonl(out)) == n
    out, _ = ok(ns, "--township", code, "--period", "2026-09", "--format", "jsonl")
    assert jsonl(out) == []
    # a window commits nothing: the same window twice gives the same alerts
    out2, _ = ok(ns, "--township", code, "--from", yesterday, "--format", "jsonl")
    assert len(jsonl(out2)) == n
    assert not [g for g in groups_of(ns) if g.startswith(ns.prefix) and "window" in g], \
        "a window joined a group"


# ---- 3. the Python example ----------------------------------------------------------------

EX_HOUSEHOLD = re.compile(r"^household (\S+) township (\d{9}) village (\S+) type (\S+)$")
EX_ALERT = re.compile(r"^  alert ([0-9a-f]{64}) severity (\S+) situation (\S+) risk (\S+) "
                      r"from (\S+)/(\S+) period (\S+) person (\S+) \((\S+)\)(?: amount (\S+) yuan)?$")


def test_peer_language_example(joined):
    ns, got = joined
    code = busiest(got, 1)[0]
    group = f"{ns.prefix}py-dashboard-{uuid.uuid4().hex[:6]}"
    cmd = [sys.executable, str(EXAMPLE), "--township", code, "--prefix", ns.prefix,
           "--bootstrap", rhtest.BOOTSTRAP, "--group", group, "--schemas", str(rhtest.SRC / "schemas")]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"example: exit {r.returncode}:\n{scrub(r.stderr)}"
    rhtest.assert_no_full_id(r.stdout, r.stderr)
    recs = {x["alert_id"]: x for x in got[f"alerts.{code}"]}
    seen, household = {}, None
    for line in r.stdout.splitlines():
        m = EX_HOUSEHOLD.match(line)
        if m:
            household = m.group(1)
            assert m.group(2) == code
            continue
        m = EX_ALERT.match(line)
        if m:
            aid = m.group(1)
            assert aid not in seen, f"alert {aid[:12]} printed twice"
            seen[aid] = (household, m)
    assert set(seen) == set(recs), (f"example: {len(set(recs) - set(seen))} alerts missing, "
                                    f"{len(set(seen) - set(recs))} unexpected")
    for aid, (household, m) in seen.items():
        rec = recs[aid]
        assert household == rec["household_id"], f"{aid[:12]} under the wrong household"
        assert (m.group(2), m.group(3), m.group(4), m.group(5), m.group(6), m.group(7)) == \
            (rec["severity"], rec["situation"], rec["risk"], rec["department"], rec["feed"], rec["period"])
        assert m.group(8) == mask(rec["person_id_number"])
        assert m.group(10) == yuan(rec["amount_fen"])
    assert r.stdout.rstrip().endswith(f"{len(recs)} alerts, {len({x['household_id'] for x in recs.values()})} households")
    # committed after printing: the next run of the group prints nothing
    r2 = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r2.returncode == 0 and r2.stdout.strip() == "0 alerts, 0 households", scrub(r2.stdout)


# ---- 4. resuming through the real join -------------------------------------------------

def test_second_run_resumes_with_only_new_alerts(namespace, month, reg, cfg, tmp_path):
    """A small namespace of its own: one list, the join, the dashboard; a second list,
    the join again, the dashboard again shows only the new alerts."""
    ns = namespace(month / "registry")
    code = "411024100"
    people = sorted(i for i, m in reg.members.items()
                    if reg.households[m["household_id"]]["township_code"] == code)
    assert len(people) >= 10
    rows = lambda ids: [dict(rhtest.registry_row_values(reg, i), event_date="2026-10-05",
                             **{"facts.disease": "尿毒症", "facts.hospital": "县人民医院"}) for i in ids]
    first = rhtest.write_feed_csv(cfg, "health", "major-disease",
                                  tmp_path / f"health.major-disease.{PERIOD}.csv", rows(people[:4]))
    ns.produce("health", "major-disease", first)
    run_join(ns, tmp_path)
    group = dash_group(ns, "411024100", "dash-resume")  # 安陵镇
    out, err = ok(ns, "--township", "安陵镇", "--group", group, "--format", "jsonl")
    got1 = jsonl(out)
    assert sorted(x["person_id_number"] for x in got1) == sorted(mask(i) for i in people[:4])
    ids1 = {x["alert_id"] for x in got1}

    second = rhtest.write_feed_csv(cfg, "housing", "dilapidated-housing",
                                   tmp_path / f"housing.dilapidated-housing.{PERIOD}.csv",
                                   [dict(rhtest.registry_row_values(reg, i), event_date="2026-10-06",
                                         **{"facts.grade": "D级"}) for i in people[4:7]])
    ns.produce("housing", "dilapidated-housing", second)
    run_join(ns, tmp_path)
    topic_ids = {r["alert_id"] for r in topic_alerts(ns)[f"alerts.{code}"]}
    assert len(topic_ids) == 7
    out, err = ok(ns, "--township", "安陵镇", "--group", group, "--format", "jsonl")
    got2 = jsonl(out)
    assert {x["alert_id"] for x in got2} == topic_ids - ids1, "the second run is not only the new alerts"
    assert {x["feed"] for x in got2} == {"dilapidated-housing"}
    out, err = ok(ns, "--township", "安陵镇", "--group", group)
    assert out.decode().strip() == "没有新的预警."


# ---- 5. alerts published here: follow, database away, usage ------------------------------

def test_follow_writes_batches_and_commits(ns, tmp_path):
    group = dash_group(ns, "411024100", "dash-follow")
    publish(ns, [alert_record(i) for i in range(3)])
    out_path = tmp_path / "follow.jsonl"
    err_fp = open(tmp_path / "follow.err", "w")
    p = subprocess.Popen([str(ALERTS), "--township", "411024100", "--group", group, "--follow",
                          "--format", "jsonl", "--output", out_path, "--unmasked"],
                         stdout=subprocess.DEVNULL, stderr=err_fp, env=ns.env())
    try:
        def lines():
            return [json.loads(x) for x in out_path.read_text().splitlines()] if out_path.exists() else []
        rhtest.wait_for(lambda: len(lines()) == 3, 60, "the first 3 alerts")
        publish(ns, [alert_record(i) for i in range(3, 5)])
        rhtest.wait_for(lambda: len(lines()) == 5, 60, "2 more alerts")
        time.sleep(1)
        assert p.poll() is None, "--follow exited by itself"
        p.send_signal(signal.SIGTERM)
        assert p.wait(30) == 0
    finally:
        if p.poll() is None:
            p.kill()
        err_fp.close()
    got = lines()
    assert [x["alert_id"] for x in got] == [alert_record(i)["alert_id"] for i in range(5)]
    assert got[0]["person_id_number"] == alert_record(0)["person_id_number"]  # unmasked
    assert oct(out_path.stat().st_mode & 0o777) == "0o600"
    # one export record a batch (3 first: they were there at the start), one run id
    rows = exports(ns)
    counts = [r["record_count"] for r in rows]
    assert counts[0] == 3 and sum(counts) == 5, f"record counts {counts}"
    assert summary((tmp_path / "follow.err").read_text())["batches"] == str(len(rows))
    assert len({r["run_id"] for r in rows}) == 1 and rows[0]["consumer_group"] == group
    assert rows[0]["destination"] == str(out_path)
    # everything was committed
    out, _ = ok(ns, "--township", "411024100", "--group", group, "--format", "jsonl")
    assert jsonl(out) == []


def test_unmasked_refused_without_the_database(ns, tmp_path):
    recs = [alert_record(i) for i in range(3)]
    publish(ns, recs)
    ids = {r["person_id_number"] for r in recs}
    group = dash_group(ns, "411024100", "dash-away")
    target = tmp_path / "unmasked.csv"
    # the database away (nothing listens there): exit 69, nothing written, nothing committed
    rc, out, err = alerts(ns, "--township", "411024100", "--group", group, "--unmasked",
                          "--format", "csv", "--output", target, "--wait-s", "2",
                          env={"RH_PG_CONNINFO": "host=127.0.0.1 port=9 dbname=x user=riskhub"})
    assert rc == 69, f"exit {rc}:\n{scrub(err)}"
    assert out == b"" and not target.exists(), "output written although the export was not recorded"
    assert "cannot be recorded" in err
    assert_no_id_substring(out.decode() + err, ids, "stderr")
    rc, out, err = alerts(ns, "--township", "411024100", "--group", group, "--unmasked",
                          "--format", "jsonl", "--wait-s", "2",
                          env={"RH_PG_CONNINFO": "host=127.0.0.1 port=9 dbname=x user=riskhub"})
    assert rc == 69 and out == b""
    # not migrated to 004: exit 78, nothing written
    rhtest.psql(ns.conninfo, "DROP TABLE unmasked_exports")
    rc, out, err = alerts(ns, "--township", "411024100", "--group", group, "--unmasked")
    assert rc == 78 and out == b"" and "riskhub-registry migrate" in err, f"exit {rc}: {scrub(err)}"
    # the group did not move: a masked run still shows all three
    out, _ = ok(ns, "--township", "411024100", "--group", group, "--format", "jsonl")
    assert len(jsonl(out)) == 3
    assert_no_id_substring(out.decode(), ids, "masked run")


def test_usage_errors(ns, tmp_path):
    rc, out, err = alerts(ns, "--township", "东村")
    assert rc == 64 and out == b""
    assert "--township '东村': no such township" in err and "411024100 安陵镇" in err
    rc, out, err = alerts(ns, "--township", "安陵", "--township", "411024999")
    assert rc == 64 and "'411024999'" in err
    rc, _, err = alerts(ns)
    assert rc == 64 and "say whose alerts" in err
    rc, _, err = alerts(ns, "--all", "--period", PERIOD, "--follow")
    assert rc == 64
    rc, _, err = alerts(ns, "--all", "--format", "xml")
    assert rc == 64 and "--format" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text("county: {code: 1}\n")
    rc, _, err = alerts(ns, "--config", bad, "--all")
    assert rc == 78 and str(bad) in err
    rc, _, err = alerts(ns, "--all", "--schemas", tmp_path)
    assert rc == 78 and "riskhub.Alert" in err
    rc, _, err = alerts(ns, "--all", "--output", tmp_path / "no" / "such" / "dir.txt")
    assert rc == 74


def test_no_topic_yet_and_broker_away(ns):
    # a township whose topic the join has not created: nothing, exit 0
    out, err = ok(ns, "--township", "411024111")
    assert out.decode().strip() == "没有新的预警."
    # the broker away: exit 69 after --wait-s
    rc, out, err = alerts(ns, "--township", "411024111", "--wait-s", "2",
                          env={"RH_KAFKA_BOOTSTRAP": "127.0.0.1:9"}, timeout=60)
    assert rc == 69 and out == b"", f"exit {rc}: {scrub(err)}"


def test_group_outside_the_townships_refused(ns):
    """A dashboard in a consumer group the brokers do not allow the township's party:
    refused at once as such (exit 77, the group named), not waited on as a broker away."""
    publish(ns, [alert_record(1)])
    group = f"{ns.prefix}dash-elsewhere"
    rc, out, err = alerts(ns, "--township", "411024100", "--group", group, "--format", "jsonl")
    assert rc == 77 and out == b"", f"exit {rc}: {scrub(err)}"
    assert f"the brokers refuse this party the consumer group {group}" in err, scrub(err)
    assert f"{ns.prefix}riskhub-alerts.<township>.*" in err, scrub(err)


def test_undecodable_record_skipped_and_reported(ns):
    good = [alert_record(i) for i in range(2)]
    publish(ns, good[:1])
    enc = rhtest.encode("Alert", alert_record(7))
    rhtest.produce_raw(ns.topic("alerts.411024100"), [(b"k", enc[:len(enc) // 2])])  # truncated
    publish(ns, good[1:])
    group = dash_group(ns, "411024100", "dash-bad")
    rc, out, err = alerts(ns, "--township", "411024100", "--group", group, "--format", "jsonl")
    assert rc == 65, f"exit {rc}: {scrub(err)}"
    assert [x["alert_id"] for x in jsonl(out)] == [g["alert_id"] for g in good]
    assert "not an Alert, skipped" in err and summary(err)["skipped"] == "1"
    # an unknown schema (a newer join): not skipped, nothing from there on; exit 78
    rec = alert_record(9)
    enc = rhtest.encode("Alert", rec)
    publish(ns, [alert_record(8)])
    rhtest.produce_raw(ns.topic("alerts.411024100"), [(b"k", enc[:2] + bytes(8) + enc[10:])])
    rc, out, err = alerts(ns, "--township", "411024100", "--group", group, "--format", "jsonl")
    assert rc == 78 and "update schemas" in err, f"exit {rc}: {scrub(err)}"
    rc, out2, err = alerts(ns, "--township", "411024100", "--group", group, "--format", "jsonl")
    assert rc == 78, "the record of an unknown schema was committed past"
