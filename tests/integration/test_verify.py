"""riskhub-verify and the ledger's steps at the household (docs/verify.md), through the
real broker and PostgreSQL, every program as its own party: a township exports its
warnings with riskhub-alerts (--format csv), fills in the outcome columns, gives the
file back to riskhub-verify; what it refuses comes back with file:line:column and a
reason, what it accepts is published in one transaction to verifications.<township>;
riskhub-ledger keeps each step once and moves the warnings. Expected lines, columns,
states and counts are computed here from the file this test wrote.

PYTEST_DONT_REWRITE: assertion messages are only the ones written here."""
import csv
import io
import os
import re
import socket
import stat
import subprocess
import uuid
from datetime import date, timedelta

import pytest
import yaml

import rhtest
from rhtest import PERIOD, pg_rows, run_join, run_ledger, scrub

VERIFY = rhtest.BIN / "riskhub-verify"
ALERTS = rhtest.BIN / "riskhub-alerts"
MONTH = dict(households=1500, rows_per_feed=10, seed=20263)
CODE = "411024100"   # 安陵镇
OTHER = "411024101"  # 马栏镇
FILLED = ("outcome", "not_included_reason", "visited_on", "recorded_by", "note")

if not VERIFY.exists() and not (rhtest.SRC / "producers" / "verify" / "main.c").exists():
    pytest.skip("riskhub-verify is not part of this tree yet", allow_module_level=True)


def verify(ns, *args, lang="C.UTF-8"):
    r = subprocess.run([str(VERIFY), "--config", rhtest.CONFIG, *map(str, args)],
                       capture_output=True, text=True, timeout=120, env=ns.env(LC_ALL=lang))
    rhtest.assert_no_full_id(r.stdout + r.stderr)
    return r


def ledger(ns, published):
    """riskhub-ledger until idle, once the township's topic shows read_committed the
    `published` steps so far (a commit returns before the broker has written its
    markers)."""
    topic = f"verifications.{CODE}"
    rhtest.wait_for(lambda: len(ns.read_topic(topic, timeout=10)) >= published, 60,
                    f"{published} steps on {topic}")
    led = run_ledger(ns)
    # every topic of the ledger has 3 partitions: each township's alerts, checks and
    # verifications, alerts.unmatched and each department's manifests
    cfg = yaml.safe_load(open(rhtest.CONFIG, encoding="utf-8"))
    want = 3 * (3 * len(cfg["townships"]) + 1 + len(cfg["departments"]))
    assert f"assigned {want} partitions" in led.tail(), \
        f"the ledger was not given every partition ({want}):\n{led.tail()}"
    return led


def states(ns):
    return {a: (s, r) for a, s, r in pg_rows(ns.conninfo,
                                             "SELECT alert_id, state, coalesce(dismiss_reason, '') "
                                             "FROM warnings")}


def steps(ns):
    """warning_steps in the order the ledger read them."""
    return pg_rows(ns.conninfo, "SELECT alert_id, outcome, coalesce(reason, ''), "
                   "coalesce(state_before, ''), coalesce(refused, ''), recorded_by, "
                   "coalesce(visited_on::text, '') FROM warning_steps "
                   "ORDER BY partition, \"offset\"")


@pytest.fixture
def exported(namespace, month, reg, cfg, tmp_path):
    """A namespace where one list of 8 persons of 安陵镇 went through the join and the
    ledger; (ns, the CSV riskhub-alerts exported for the township as rows, its header)."""
    ns = namespace(month / "registry")
    people = sorted(i for i, m in reg.members.items()
                    if reg.households[m["household_id"]]["township_code"] == CODE)[:8]
    assert len(people) == 8
    rows = [dict(rhtest.registry_row_values(reg, i), event_date="2026-10-05",
                 **{"facts.disease": "尿毒症", "facts.hospital": "县人民医院"}) for i in people]
    path = rhtest.write_feed_csv(cfg, "health", "major-disease",
                                 tmp_path / f"health.major-disease.{PERIOD}.csv", rows)
    ns.produce("health", "major-disease", path)
    run_join(ns, tmp_path)
    run_ledger(ns)
    assert len(states(ns)) == 8, "the ledger holds no 8 warnings"
    group = f"{ns.prefix}riskhub-alerts.{CODE}.verify-{uuid.uuid4().hex[:6]}"
    r = subprocess.run([str(ALERTS), "--config", rhtest.CONFIG, "--township", CODE, "--group", group,
                        "--format", "csv"], capture_output=True, timeout=120, env=ns.env())
    assert r.returncode == 0, scrub(r.stderr.decode())
    text = r.stdout.decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    got = list(reader)
    assert len(got) == 8 and list(reader.fieldnames[-5:]) == list(FILLED), reader.fieldnames[-5:]
    assert all(all(x[k] == "" for k in FILLED) for x in got)
    return ns, got, reader.fieldnames


def write(path, header, rows):
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header)
        w.writeheader()
        w.writerows(rows)
    return path


def test_the_csv_round_trip(exported, tmp_path):
    ns, rows, header = exported
    col = {k: header.index(k) + 1 for k in header}
    yesterday = (rhtest.county_today() - timedelta(days=1)).isoformat()
    tomorrow = (rhtest.county_today() + timedelta(days=1)).isoformat()
    fill = [
        dict(outcome="纳入监测", visited_on=yesterday, recorded_by="王芳"),               # 0 ok
        dict(outcome="不纳入", not_included_reason="收入高于监测范围", visited_on=yesterday,
             recorded_by="王芳", note="家中务工收入稳定"),                                    # 1 ok
        dict(outcome="NOT_INCLUDED", visited_on=yesterday),                                 # 2 no reason
        dict(outcome="unreachable", visited_on=yesterday),                                  # 3 ok (--by)
        dict(outcome="maybe"),                                                              # 4 no outcome
        dict(outcome="ALREADY_MONITORED", visited_on=yesterday,
             note="身份证 110105194912310021 已核"),                                         # 5 an ID
        dict(),                                                                             # 6 blank
        dict(outcome="INCLUDED", visited_on=tomorrow),                                      # 7 future
    ]
    for r, f in zip(rows, fill):
        r.update(f)
    stranger = dict(rows[0], alert_id="f" * 64, outcome="INCLUDED")                        # 8 unknown
    path = write(tmp_path / "visits.csv", header, rows + [stranger])
    want_refused = {  # line: (column, words of the reason)
        4: (col["not_included_reason"], "NOT_INCLUDED needs a reason"),
        6: (col["outcome"], "'maybe' is not an outcome"),
        7: (col["note"], "looks like an ID number"),
        9: (col["visited_on"], "in the future"),
        10: (1, "is not one of township 411024100's"),
    }
    r = verify(ns, "--township", CODE, "--by", "李强", path)
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert f"township {CODE}: 3 steps published, 0 recorded before, 5 refused, 1 rows left blank" \
        in r.stdout, r.stdout
    said = {}
    for line in r.stderr.splitlines():
        m = re.match(rf"^{re.escape(str(path))}:(\d+):(\d+): (.*)$", line)
        if m:
            said[int(m.group(1))] = (int(m.group(2)), m.group(3))
    assert set(said) == set(want_refused), said
    for line, (c, words) in want_refused.items():
        assert said[line][0] == c and words in said[line][1], (line, said[line], c, words)
    rejects = tmp_path / "visits.csv.rejects.csv"
    assert stat.S_IMODE(os.stat(rejects).st_mode) == 0o600
    back = list(csv.DictReader(io.StringIO(rejects.read_text("utf-8-sig"), newline="")))
    assert [int(x["line"]) for x in back] == sorted(want_refused)

    led = ledger(ns, 3)
    s = led.summary()
    assert (s["steps"], s["steps_refused"]) == (3, 0), s
    ids = [x["alert_id"] for x in rows]
    st = states(ns)
    assert st[ids[0]] == ("INCLUDED", "")
    assert st[ids[1]] == ("DISMISSED", "income_above_line")
    assert st[ids[3]] == ("UNREACHABLE", "")
    assert all(st[ids[i]] == ("PUSHED", "") for i in (2, 4, 5, 6, 7))
    got = sorted(steps(ns))
    assert got == sorted([(ids[0], "INCLUDED", "", "PUSHED", "", "王芳", yesterday),
                          (ids[1], "NOT_INCLUDED", "income_above_line", "PUSHED", "", "王芳", yesterday),
                          (ids[3], "UNREACHABLE", "", "PUSHED", "", "李强", yesterday)]), got
    # the steps hold no name or ID number of the household's people
    notes = pg_rows(ns.conninfo, "SELECT note FROM warning_steps WHERE note IS NOT NULL")
    assert notes == [("家中务工收入稳定",)], notes

    # the same file again, one more row filled in: what the ledger holds is not sent
    # again, the new row is; the refused rows are refused again
    rows[6].update(outcome="核实中", recorded_by="王芳")
    write(path, header, rows + [stranger])
    r = verify(ns, "--township", CODE, "--by", "李强", path)
    assert r.returncode == 1 and "1 steps published, 3 recorded before, 5 refused, 0 rows left blank" \
        in r.stdout, (r.stdout, r.stderr)
    assert ledger(ns, 4).summary()["steps"] == 1
    assert states(ns)[ids[6]] == ("VERIFYING", "")
    # a step that may not follow the ledger's state
    r = verify(ns, "--township", CODE, "--by", "李强", "--alert", ids[0], "--outcome", "UNREACHABLE",
               "--visited-on", yesterday)
    assert r.returncode == 65 and "--outcome: UNREACHABLE cannot follow INCLUDED" in r.stderr, r.stderr

    # one at a time: the household reached on a second visit
    r = verify(ns, "--township", CODE, "--by", "李强", "--alert", ids[3], "--outcome", "INCLUDED",
               "--visited-on", yesterday)
    assert r.returncode == 0 and "1 steps published" in r.stdout, (r.returncode, r.stdout, r.stderr)
    led = ledger(ns, 5)
    assert led.summary()["steps"] == 1
    assert states(ns)[ids[3]] == ("INCLUDED", "")
    assert [x[1] for x in steps(ns) if x[0] == ids[3]] == ["UNREACHABLE", "INCLUDED"]
    # the refused rows taken out: nothing refused, and the old rejects file goes
    write(path, header, [rows[i] for i in (0, 1, 6)])
    r = verify(ns, "--township", CODE, "--by", "李强", path)
    assert r.returncode == 0 and "0 steps published, 3 recorded before, 0 refused" in r.stdout, \
        (r.returncode, r.stdout, r.stderr)
    assert not rejects.exists(), "the rejects of an earlier run are still there"


def test_the_ledger_decides_and_keeps_each_step_once(exported, tmp_path):
    """Two runs that both saw the warning open publish two outcomes; the ledger applies
    the first it reads and keeps the second refused. A step published twice is one."""
    ns, rows, _ = exported
    a, b = rows[0]["alert_id"], rows[1]["alert_id"]
    day = (rhtest.county_today() - timedelta(days=2)).isoformat()
    for outcome in ("INCLUDED", "ALREADY_MONITORED"):
        r = verify(ns, "--township", CODE, "--by", "王芳", "--alert", a, "--outcome", outcome,
                   "--visited-on", day)
        assert r.returncode == 0, (r.returncode, r.stderr)
    for _ in range(2):  # the same step, twice, before the ledger reads either
        r = verify(ns, "--township", CODE, "--by", "王芳", "--alert", b, "--outcome", "核实中")
        assert r.returncode == 0, (r.returncode, r.stderr)
    s = ledger(ns, 4).summary()
    assert (s["steps"], s["steps_refused"], s["existing"]) == (3, 1, 1), s
    st = states(ns)
    assert st[a] == ("INCLUDED", "") and st[b] == ("VERIFYING", "")
    by_alert = [x for x in steps(ns) if x[0] == a]
    assert [(x[1], x[3], x[4]) for x in by_alert] == [
        ("INCLUDED", "PUSHED", ""),
        ("ALREADY_MONITORED", "INCLUDED", "the warning has its outcome already")], by_alert
    # the ledger again: nothing new
    assert run_ledger(ns).summary()["steps"] == 0
    # the refused step given again is refused again, with the ledger's reason
    r = verify(ns, "--township", CODE, "--by", "王芳", "--alert", a, "--outcome", "ALREADY_MONITORED",
               "--visited-on", day)
    assert r.returncode == 65 and "the ledger refused this step when it was given before: the " \
        "warning has its outcome already" in r.stderr, (r.returncode, r.stderr)
    # the very step again is recorded already; another official's is refused
    r = verify(ns, "--township", CODE, "--by", "王芳", "--alert", b, "--outcome", "VERIFYING")
    assert r.returncode == 0 and "0 steps published, 1 recorded before" in r.stdout, r.stdout
    r = verify(ns, "--township", CODE, "--by", "李强", "--alert", b, "--outcome", "VERIFYING")
    assert r.returncode == 65 and "being verified already" in r.stderr, (r.returncode, r.stderr)


def test_refusals_of_the_whole(exported, tmp_path):
    ns, rows, header = exported
    # another township's warning: its role does not see it
    day = rhtest.county_today().isoformat()
    r = verify(ns, "--township", OTHER, "--by", "王芳", "--alert", rows[0]["alert_id"],
               "--outcome", "INCLUDED", "--visited-on", day)
    assert r.returncode == 65 and f"is not one of township {OTHER}'s" in r.stderr, (r.returncode, r.stderr)
    # a file without the outcome column
    bad = tmp_path / "no-outcome.csv"
    bad.write_text("alert_id,village\r\nx,y\r\n", encoding="utf-8")
    r = verify(ns, "--township", CODE, bad)
    assert r.returncode == 65 and f"{bad}:1:1: the header has no column 'outcome'" in r.stderr, r.stderr
    # usage: a step without who recorded it, an unknown township
    assert verify(ns, "--township", CODE, "--alert", "x", "--outcome", "INCLUDED").returncode == 64
    r = verify(ns, "--township", "411024999", bad)
    assert r.returncode == 64 and "not a township" in r.stderr, r.stderr
    # a reason for an outcome that takes none
    r = verify(ns, "--township", CODE, "--by", "王芳", "--alert", rows[0]["alert_id"],
               "--outcome", "INCLUDED", "--reason", "other")
    assert r.returncode == 65 and "--reason: a reason is given for NOT_INCLUDED only" in r.stderr, r.stderr
    # an outcome of a visit without the visit's date
    r = verify(ns, "--township", CODE, "--by", "王芳", "--alert", rows[0]["alert_id"],
               "--outcome", "UNREACHABLE")
    assert r.returncode == 65 and "--visited-on: the visit's date is missing" in r.stderr, r.stderr
    # in the township official's language
    r = verify(ns, "--township", CODE, "--by", "王芳", "--alert", rows[0]["alert_id"],
               "--outcome", "不纳入", lang="zh_CN.UTF-8")
    assert r.returncode == 65 and "--reason: 不纳入 (NOT_INCLUDED) 须填写原因" in r.stderr, r.stderr
    assert "乡镇 411024100: 发布 0 条核实记录" in r.stdout, r.stdout
    # nothing was published by any of these
    assert run_ledger(ns).summary()["steps"] == 0


def test_a_service_away_publishes_nothing(exported, tmp_path):
    """PostgreSQL away: nothing can be checked, nothing is published (69); the broker
    away: the transaction never commits, nothing is published (69); the ledger then
    finds no step."""
    ns, rows, header = exported
    a = rows[0]["alert_id"]
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    args = ("--township", CODE, "--by", "王芳", "--alert", a, "--outcome", "INCLUDED",
            "--visited-on", rhtest.county_today().isoformat())
    r = subprocess.run([str(VERIFY), "--config", rhtest.CONFIG, *args], capture_output=True,
                       text=True, timeout=120,
                       env=ns.env(RH_PG_CONNINFO=f"host=127.0.0.1 port={closed} dbname=x user=y"))
    assert r.returncode == 69 and "nothing published" in r.stderr, (r.returncode, r.stderr)
    r = subprocess.run([str(VERIFY), "--config", rhtest.CONFIG, "--timeout-ms", "3000", *args],
                       capture_output=True, text=True, timeout=120,
                       env=ns.env(RH_KAFKA_BOOTSTRAP=f"127.0.0.1:{closed}"))
    assert r.returncode == 69 and "nothing published" in r.stderr, (r.returncode, r.stderr)
    assert "steps published" not in r.stdout, r.stdout
    assert run_ledger(ns).summary()["steps"] == 0
    assert states(ns)[a] == ("PUSHED", "")


def alerts(ns, *args):
    r = subprocess.run([str(ALERTS), "--config", rhtest.CONFIG, *map(str, args)],
                       capture_output=True, text=True, timeout=120, env=ns.env(LC_ALL="C.UTF-8"))
    rhtest.assert_no_full_id(r.stdout + r.stderr)
    return r


def test_alerts_show_states_and_list_the_overdue(exported, tmp_path):
    """riskhub-alerts shows each warning's state from the ledger and, with --overdue,
    exactly the warnings still open past their visit day (the county's day, UTC+08:00);
    an overdue warning the broker no longer has is named, not dropped silently."""
    import json
    from datetime import datetime, timezone
    ns, rows, _ = exported
    ids = [x["alert_id"] for x in rows]
    yesterday = (rhtest.county_today() - timedelta(days=1)).isoformat()
    for i, outcome in ((0, "INCLUDED"), (1, "UNREACHABLE"), (2, "VERIFYING")):
        extra = () if outcome == "VERIFYING" else ("--visited-on", yesterday)
        r = verify(ns, "--township", CODE, "--by", "王芳", "--alert", ids[i], "--outcome", outcome,
                   *extra)
        assert r.returncode == 0, (r.returncode, r.stderr)
    ledger(ns, 3)
    today = (datetime.now(timezone.utc) + timedelta(hours=8)).date()
    # gone: overdue in the ledger, not on the broker; older: the same, of the month before
    past, gone, older = today - timedelta(days=5), "e" * 64, "d" * 64
    before = f"{int(PERIOD[:4]) - (PERIOD[5:] == '01'):04d}-{(int(PERIOD[5:]) - 2) % 12 + 1:02d}"
    rhtest.psql(ns.conninfo, f"UPDATE warnings SET visit_due = '{past}', comparison_due = NULL "
                f"WHERE alert_id IN ('{ids[0]}', '{ids[1]}', '{ids[2]}', '{ids[3]}', '{ids[4]}');"
                f"UPDATE warnings SET visit_due = '{today}', comparison_due = NULL "
                f"WHERE alert_id = '{ids[5]}';"
                f"INSERT INTO warnings (alert_id, household_id, township_code, period, risk, "
                f"rule_id, visit_due) SELECT '{gone}', household_id, township_code, period, risk, "
                f"rule_id, '{past}' FROM warnings WHERE alert_id = '{ids[7]}';"
                f"INSERT INTO warnings (alert_id, household_id, township_code, period, risk, "
                f"rule_id, visit_due) SELECT '{older}', household_id, township_code, '{before}', "
                f"risk, rule_id, '{past}' FROM warnings WHERE alert_id = '{ids[7]}'")
    # what the ledger holds, read here: state and visit_due of each warning
    held = {a: (s, d) for a, s, d in pg_rows(ns.conninfo, "SELECT alert_id, state, visit_due::text "
                                                        "FROM warnings")}
    open_states = {"PUSHED", "RECEIVED", "VERIFYING", "UNREACHABLE"}

    def late(a, day=today):
        s, d = held[a]
        return max(0, (day - date.fromisoformat(d)).days) if s in open_states and d else 0

    want_overdue = {a for a in held if a not in (gone, older) and late(a) > 0}
    assert want_overdue == set(ids[1:5]), "the test's own setup"

    # every warning of the month, with its state
    r = alerts(ns, "--township", CODE, "--period", PERIOD, "--format", "jsonl")
    assert r.returncode == 0, r.stderr
    got = {x["alert_id"]: x for x in map(json.loads, r.stdout.splitlines())}
    assert set(got) == set(ids)
    for a in ids:
        s, d = held[a]
        assert (got[a]["state"], got[a]["visit_due"], got[a]["overdue_days"]) == (s, d, late(a)), \
            (a[:12], got[a]["state"], got[a]["visit_due"], got[a]["overdue_days"], s, d, late(a))

    # the overdue ones only, as the township and as the bureau
    for who in (("--township", CODE), ("--all",)):
        r = alerts(ns, *who, "--overdue", "--format", "jsonl")
        assert r.returncode == 0, r.stderr
        got = [json.loads(x) for x in r.stdout.splitlines()]
        assert sorted(x["alert_id"] for x in got) == sorted(want_overdue), who
        assert all(x["overdue_days"] == 5 for x in got), [x["overdue_days"] for x in got]
        assert "2 overdue warnings of the ledger were not found on the broker" in r.stderr \
            and gone[:16] in r.stderr and older[:16] in r.stderr, r.stderr
    # a month's: the month's overdue warnings only, and only its own said to be missing
    r = alerts(ns, "--township", CODE, "--overdue", "--period", PERIOD, "--format", "jsonl")
    assert r.returncode == 0, r.stderr
    assert sorted(x["alert_id"] for x in map(json.loads, r.stdout.splitlines())) == \
        sorted(want_overdue)
    assert "1 overdue warnings of the ledger were not found" in r.stderr and \
        older[:16] not in r.stderr, r.stderr
    # the table a township official reads
    r = alerts(ns, "--township", CODE, "--overdue")
    assert r.returncode == 0 and r.stdout.count("已逾期 5 天") == 4, r.stdout
    assert "状态: 无法联系" in r.stdout and "状态: 核实中" in r.stdout, r.stdout
    # the CSV for the round trip keeps its outcome columns last
    r = alerts(ns, "--township", CODE, "--overdue", "--format", "csv")
    back = list(csv.DictReader(io.StringIO(r.stdout.lstrip("\ufeff"), newline="")))
    assert sorted(x["alert_id"] for x in back) == sorted(want_overdue)
    assert all(x["overdue_days"] == "5" and x["visit_due"] == str(past) for x in back)
    assert list(back[0])[-5:] == list(FILLED)
    # as a meeting ten days ahead will see it
    ahead = today + timedelta(days=10)
    r = alerts(ns, "--township", CODE, "--overdue-on", ahead.isoformat(), "--format", "jsonl")
    assert r.returncode == 0, r.stderr
    got = {x["alert_id"]: x["overdue_days"] for x in map(json.loads, r.stdout.splitlines())}
    assert got == {a: late(a, ahead) for a in ids if late(a, ahead)}, (got, ahead)
    assert ids[5] in got and ids[0] not in got
    # no ledger, no list: it is never guessed
    r = subprocess.run([str(ALERTS), "--config", rhtest.CONFIG, "--township", CODE, "--overdue",
                        "--wait-s", "1"], capture_output=True, text=True, timeout=120,
                       env=ns.env(RH_PG_CONNINFO="host=127.0.0.1 port=1 dbname=x user=y"))
    assert r.returncode == 69 and "nothing is written" in r.stderr and not r.stdout, \
        (r.returncode, r.stderr)
