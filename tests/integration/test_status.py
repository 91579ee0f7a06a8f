"""riskhub-status against the real broker and PostgreSQL: the figures of the monthly
and quarterly meetings.

A hub (rhtest.Namespace: a fresh RH_TOPIC_PREFIX and a scratch database) gets two
generated months through riskhub-produce and the real riskhub-join:

  - LATE_PERIOD (two months before today): every list but one department's, published
    now, long after its deadline (the 10th of the month after) -> late, one missing;
  - ON_TIME_PERIOD (this month): every list, published now, before its deadline ->
    on time; one list published again as it was and once more corrected.

Everything expected is computed here, independently of the C code: the deadline with
Python's zoneinfo (Asia/Shanghai, the real time-zone database), the lists' states from
the manifests read back with confluent-kafka and fastavro, the township figures from
the alerts and checks topics. riskhub-status's CSV, Markdown, table and .xlsx (read
with zipfile and ElementTree: openpyxl is not in scripts/deps.sh's Python set) must
hold the same figures. Periods follow today's date, so the test means the same on any
day. Deadline boundaries are tested with manifests of our own (fastavro) whose
finished_at is chosen. Last, whose clock a list's arrival is: the release
riskhub-produce ignores RH_SIMULATED_NOW; the demo's build (build-sim/, if built)
delivers on the simulated day and says so in the manifest.

PYTEST_DONT_REWRITE: assertion messages are only the ones written here."""
import csv
import io
import os
import re
import subprocess
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import rhtest

STATUS = rhtest.BIN / "riskhub-status"
if not STATUS.exists() and not (rhtest.SRC / "consumers" / "status" / "main.c").exists():
    pytest.skip("riskhub-status is not part of this tree yet", allow_module_level=True)

CST = ZoneInfo("Asia/Shanghai")
HOUSEHOLDS = 3000
ROWS_PER_FEED = 40
SEED = 20261
LEFT_OUT = ("education", "dropouts")          # never sends LATE_PERIOD's list
CORRECTED = ("health", "major-disease")       # ON_TIME_PERIOD's list sent 3 times


def month_add(period, n):
    y, m = map(int, period.split("-"))
    i = y * 12 + (m - 1) + n
    return f"{i // 12:04d}-{i % 12 + 1:02d}"


TODAY = datetime.now(CST)
ON_TIME_PERIOD = f"{TODAY.year:04d}-{TODAY.month:02d}"   # due the 10th of next month
LATE_PERIOD = month_add(ON_TIME_PERIOD, -2)              # was due last month


def quarter_of(period):
    y, m = map(int, period.split("-"))
    return f"{y}-Q{(m - 1) // 3 + 1}", [f"{y}-{3 * ((m - 1) // 3) + k:02d}" for k in (1, 2, 3)]


# ---- the reference: what riskhub-status should say ---------------------------------

def delivery_day(cfg):
    return cfg["deadlines"]["delivery_day"]


def deadline(period, day):
    """The first instant at which a list of period is late: 00:00 in Beijing of the day
    after the delivery day of the following month."""
    nxt = month_add(period, 1)
    y, m = map(int, nxt.split("-"))
    return datetime(y, m, day, tzinfo=CST) + timedelta(days=1)


def feeds_of(cfg):
    return [(d["code"], f["code"]) for d in cfg["departments"] for f in d["feeds"]]


def expected_lists(cfg, manifests, period, as_of):
    """{(dept, feed): dict of the figures} from BatchManifest dicts (fastavro)."""
    due = deadline(period, delivery_day(cfg))
    out = {}
    for dept, feed in feeds_of(cfg):
        ms = sorted((m for m in manifests if m["period"] == period and m["department"] == dept
                     and m["feed"] == feed and m["finished_at"] <= as_of),
                    key=lambda m: m["finished_at"])
        e = {"status": "missing" if as_of >= due else "pending", "manifests": len(ms),
             "republished": max(len(ms) - 1, 0), "batches": len({m["batch_id"] for m in ms}),
             "deadline": (due - timedelta(days=1)).date().isoformat(), "finished_at": "",
             "days_late": "", "records": "", "rejects": "", "batch_id": ""}
        if ms:
            first = ms[0]
            late = first["finished_at"] >= due
            e.update(status="late" if late else "on_time",
                     finished_at=first["finished_at"].astimezone(CST).isoformat(timespec="seconds"),
                     records=str(first["rows_accepted"]), rejects=str(first["rows_rejected"]),
                     batch_id=first["batch_id"],
                     days_late=str((first["finished_at"].astimezone(CST).date()
                                    - (due - timedelta(days=1)).date()).days) if late else "")
        out[(dept, feed)] = e
    return out


def expected_townships(ns, cfg, period, as_of):
    """{township code or 'unmatched': (warnings, households, checks, matched)} from the
    alerts and checks topics (distinct ids of the period created by as_of; check results
    current as of then: none created by as_of names them in supersedes, issue 11)."""
    alerts, households, checks, matched = {}, {}, {}, {}
    rows = [t["code"] for t in cfg["townships"]] + ["unmatched"]
    for r in rows:
        alerts[r], households[r], checks[r], matched[r] = set(), set(), set(), set()
    for topic, key, rec, _ in ns.read("alerts."):
        row = topic.split(".", 1)[1]
        if rec["period"] == period and rec["created_at"] <= as_of and row in alerts:
            alerts[row].add(rec["alert_id"])
            if rec["household_id"] and row != "unmatched":
                households[row].add(rec["household_id"])
    results = [(topic.split(".", 1)[1], rec) for topic, _, rec, _ in ns.read("checks.")
               if rec["period"] == period and rec["created_at"] <= as_of]
    replaced = {rec.get("supersedes") for _, rec in results}
    for row, rec in results:
        if row in checks and rec["check_id"] not in replaced:
            checks[row].add(rec["check_id"])
            if rec["matched"]:
                matched[row].add(rec["check_id"])
    return {r: (len(alerts[r]), len(households[r]), len(checks[r]), len(matched[r])) for r in rows}


def read_manifests(ns):
    out = []
    for m in rhtest.read_topics(ns.topics_of("feed.manifests")):
        name, rec = rhtest.decode(m.value())
        assert name == "BatchManifest"
        out.append(rec)
    return out


# ---- running riskhub-status ----------------------------------------------------------

def status(ns, *args, env=None, timeout=120):
    r = subprocess.run([str(STATUS), *map(str, args)], capture_output=True, text=True,
                       timeout=timeout, env=env or ns.env())
    rhtest.assert_no_full_id(r.stdout, r.stderr)
    # an ASan/UBSan build exits 1 on an error, which is also "a list not on time"
    assert "Sanitizer" not in r.stderr and "runtime error" not in r.stderr, r.stderr[-3000:]
    return r


def parse_csv(text):
    """[rows of the lists table], [rows of the townships table] (dicts). The scale risks'
    and the identity discrepancies' tables follow them; from the ledger the two
    verification tables follow those (--table all; section 8)."""
    parts = text.split("\n\n")
    assert len(parts) in (4, 6), \
        f"expected four (or six) CSV tables separated by an empty line:\n{text[:500]}"
    return [list(csv.DictReader(io.StringIO(p, newline=""))) for p in parts[:2]]


def lists_and_townships(text):
    """The CSV of the lists, townships, scale risks' and identity discrepancies' tables
    alone (--table all from the ledger also has the verification tables, which --source
    topics leaves out; the scale risks and the identity discrepancies are read from their
    topics whatever the source)."""
    return "\n\n".join(text.split("\n\n")[:4]).rstrip("\n") + "\n"


def status_csv(ns, *args):
    """The report from the ledger (the default source), whose lists and townships tables
    must say exactly what the same report read from the topics says (--source topics)."""
    r = status(ns, "--format", "csv", *args)
    assert r.returncode in (0, 1), f"riskhub-status exit {r.returncode}: {r.stderr}"
    t = status(ns, "--format", "csv", "--source", "topics", *args)
    assert (t.returncode, t.stdout) == (r.returncode, lists_and_townships(r.stdout)), (
        f"the ledger and the topics differ ({args}):\n--- ledger\n{r.stdout[:3000]}\n"
        f"--- topics\n{t.stdout[:3000]}")
    lists, towns = parse_csv(r.stdout)
    return r, lists, towns


def ledger(ns):
    """riskhub-ledger until it is idle: the report's default source is its tables."""
    rhtest.run_ledger(ns)


def compare_lists(got_rows, want, period):
    got = {(r["department"], r["feed"]): r for r in got_rows}
    assert set(got) == set(want), f"feeds differ: {set(got) ^ set(want)}"
    problems = []
    for k, e in want.items():
        g = got[k]
        assert g["period"] == period
        for field, v in e.items():
            if str(g[field]) != str(v):
                problems.append(f"{k[0]}/{k[1]} {field}: {g[field]!r} != expected {v!r}")
    assert not problems, "\n".join(problems[:20])


def compare_townships(got_rows, want, period):
    got = {r["township"]: (int(r["warnings"]), int(r["households"]), int(r["checks"]),
                           int(r["checks_matched"])) for r in got_rows}
    assert all(r["period"] == period for r in got_rows)
    assert got == want, f"township figures differ: got {got}, expected {want}"


# ---- the hub ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def months(generate):
    return {period: generate(period, households=HOUSEHOLDS, rows_per_feed=ROWS_PER_FEED, seed=SEED)
            for period in (LATE_PERIOD, ON_TIME_PERIOD)}


@pytest.fixture(scope="module")
def hub(cfg, months, tmp_path_factory):
    """One namespace for the module: both months published, the join run once."""
    assert STATUS.exists(), f"{STATUS} not built"
    tmp = tmp_path_factory.mktemp("hub")
    ns = rhtest.Namespace(months[LATE_PERIOD] / "registry")
    try:
        # the late month's lists, then the first half of the on-time month's, then
        # (after a whole second) the second half: each step's lists of different feeds
        # published several at a time (produce_all; there is one list a feed and month)
        late = [x for x in rhtest.feed_files(months[LATE_PERIOD] / LATE_PERIOD, LATE_PERIOD)
                if (x[0], x[1]) != LEFT_OUT]
        ns.produce_all(late, "--allow-rejects", period=LATE_PERIOD)
        files = rhtest.feed_files(months[ON_TIME_PERIOD] / ON_TIME_PERIOD, ON_TIME_PERIOD)
        half = len(files) // 2
        ns.first_half = {(dept, feed) for dept, feed, _ in files[:half]}
        ns.produce_all(files[:half], "--allow-rejects", period=ON_TIME_PERIOD)
        # a whole second between the halves, for --as-of (to the second)
        ns.boundary = datetime.fromtimestamp(int(time.time()) + 1, timezone.utc)
        time.sleep(max(0.0, ns.boundary.timestamp() - time.time()) + 0.3)
        ns.produce_all(files[half:], "--allow-rejects", period=ON_TIME_PERIOD)
        # the same file again, then a corrected list (the last row removed)
        dept, feed = CORRECTED
        path = months[ON_TIME_PERIOD] / ON_TIME_PERIOD / f"{dept}.{feed}.{ON_TIME_PERIOD}.csv"
        lines = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
        corrected = tmp / f"corrected.{dept}.{feed}.{ON_TIME_PERIOD}.csv"
        corrected.write_text("".join(lines[:-1]), encoding="utf-8")
        for p, again in ((path, ["--republish"]), (corrected, [])):
            r = ns.run("riskhub-produce", "--config", rhtest.CONFIG, "--department", dept,
                       "--feed", feed, "--period", ON_TIME_PERIOD, "--no-progress",
                       "--allow-rejects", *again, p)
            assert r.returncode == 0, rhtest.scrub(r.stderr)
        rhtest.run_join(ns, tmp)
        ledger(ns)
        ns.original_batch = rhtest.batch_id(dept, feed, ON_TIME_PERIOD, path)
        ns.corrected_batch = rhtest.batch_id(dept, feed, ON_TIME_PERIOD, corrected)
        ns.manifests = read_manifests(ns)
        ns.tmp = tmp
        yield ns
    finally:
        ns.close()


# ---- 1. the month whose lists came late ----------------------------------------------

def test_late_and_missing(hub, cfg):
    now = datetime.now(timezone.utc)
    r, lists, towns = status_csv(hub, "--period", LATE_PERIOD)
    assert r.returncode == 1, "a late or missing list must exit 1"
    want = expected_lists(cfg, hub.manifests, LATE_PERIOD, now)
    compare_lists(lists, want, LATE_PERIOD)
    # what the scenario is about, said plainly
    by = {(x["department"], x["feed"]): x for x in lists}
    assert by[LEFT_OUT]["status"] == "missing"
    late = [k for k, x in by.items() if x["status"] == "late"]
    assert len(late) == len(by) - 1, f"every other list is late: {[k for k in by if k not in late]}"
    assert all(int(by[k]["days_late"]) >= 1 for k in late)
    assert all(by[k]["manifests"] == "1" and by[k]["republished"] == "0" for k in late)
    compare_townships(towns, expected_townships(hub, cfg, LATE_PERIOD, now), LATE_PERIOD)


# ---- 2. the month whose lists came on time -------------------------------------------

def test_on_time_and_republished(hub, cfg):
    now = datetime.now(timezone.utc)
    r, lists, towns = status_csv(hub, "--period", ON_TIME_PERIOD)
    assert r.returncode == 0, f"every list on time must exit 0: {r.stderr}"
    compare_lists(lists, expected_lists(cfg, hub.manifests, ON_TIME_PERIOD, now), ON_TIME_PERIOD)
    by = {(x["department"], x["feed"]): x for x in lists}
    assert {x["status"] for x in lists} == {"on_time"}
    c = by[CORRECTED]
    assert (c["manifests"], c["batches"], c["republished"]) == ("3", "2", "2"), c
    assert c["batch_id"] == hub.original_batch, "the first on-time list is shown"
    warn = expected_townships(hub, cfg, ON_TIME_PERIOD, now)
    compare_townships(towns, warn, ON_TIME_PERIOD)
    assert sum(v[0] for k, v in warn.items() if k != "unmatched") > 0, "no warnings at all"
    assert sum(1 for k, v in warn.items() if k != "unmatched" and v[0] > 0) >= 3
    # the same after the deadline: on time stays on time
    due = deadline(ON_TIME_PERIOD, delivery_day(cfg))
    r2, lists2, _ = status_csv(hub, "--period", ON_TIME_PERIOD, "--as-of",
                               (due + timedelta(days=3)).date().isoformat())
    assert r2.returncode == 0
    assert {x["status"] for x in lists2} == {"on_time"}


def test_township_checks(hub, cfg):
    """The registry's applicants are of LATE_PERIOD: its check results per township."""
    now = datetime.now(timezone.utc)
    _, _, towns = status_csv(hub, "--period", LATE_PERIOD, "--table", "all")
    want = expected_townships(hub, cfg, LATE_PERIOD, now)
    compare_townships(towns, want, LATE_PERIOD)
    assert sum(v[2] for v in want.values()) > 0, "no check results in the data"


# ---- 3. as of ------------------------------------------------------------------------------

def test_as_of(hub, cfg):
    due = deadline(LATE_PERIOD, delivery_day(cfg))
    day = due - timedelta(days=1)  # the delivery day itself
    # on the 9th and on the 10th (a date alone: its end) nothing is due yet; the lists
    # published today did not exist then; neither did their alerts
    for as_of, label in (((day - timedelta(days=1)).date().isoformat(), "pending"),
                         (day.date().isoformat(), "pending"),
                         (day.strftime("%Y-%m-%d") + " 23:59:59", "pending"),
                         (due.strftime("%Y-%m-%d %H:%M"), "missing"),
                         ((due + timedelta(days=1)).date().isoformat(), "missing")):
        r, lists, towns = status_csv(hub, "--period", LATE_PERIOD, "--as-of", as_of)
        assert r.returncode == 1
        assert {x["status"] for x in lists} == {label}, f"as of {as_of}: {[x['status'] for x in lists]}"
        assert all(int(t["warnings"]) == 0 for t in towns), f"as of {as_of}: warnings before the join ran"
    # between the two halves of ON_TIME_PERIOD's lists: the first half is in, on time
    as_of = hub.boundary.strftime("%Y-%m-%dT%H:%M:%SZ")
    r, lists, _ = status_csv(hub, "--period", ON_TIME_PERIOD, "--as-of", as_of)
    assert r.returncode == 1, "a list not in yet is not 'all in'"
    compare_lists(lists, expected_lists(cfg, hub.manifests, ON_TIME_PERIOD, hub.boundary),
                  ON_TIME_PERIOD)
    on = {(x["department"], x["feed"]) for x in lists if x["status"] == "on_time"}
    assert on == hub.first_half, f"on time as of the boundary: {sorted(on ^ hub.first_half)}"
    assert {x["status"] for x in lists if (x["department"], x["feed"]) not in on} == {"pending"}


# ---- 4. formats -----------------------------------------------------------------------------

def test_markdown_and_table(hub, cfg):
    _, lists, towns = status_csv(hub, "--period", LATE_PERIOD)
    r = status(hub, "--period", LATE_PERIOD, "--format", "markdown")
    assert r.returncode == 1
    md = r.stdout
    assert md.startswith("# ") and LATE_PERIOD in md.splitlines()[0]
    tables = re.findall(r"((?:^\|.*\|\n)+)", md, re.M)
    assert len(tables) == 6, \
        f"expected six Markdown tables (scale risks, identity, two of verification), got {len(tables)}"

    def rows(t):
        out = []
        for line in t.strip().splitlines():
            cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            out.append(cells)
        return out
    lt, tt = rows(tables[0]), rows(tables[1])
    assert all(re.fullmatch(r"-+:?", c) for c in lt[1]), "no separator row"
    head = lt[0]
    data = lt[2:]
    assert len(data) == len(lists)
    names = {d["code"]: d["name"] for d in cfg["departments"]}
    for row, want in zip(data, lists):
        cell = dict(zip(head, row))
        assert cell["部门 department"] == names[want["department"]]
        assert cell["状态 status"].startswith({"late": "late", "missing": "missing"}[want["status"]])
        assert cell["记录 records"] == want["records"]
        assert cell["退回 rejects"] == want["rejects"]
        if want["finished_at"]:
            assert cell["报送时间 delivered"] == want["finished_at"][:16].replace("T", " ")
    tdata = {r[0]: r[1:] for r in tt[2:]}
    tnames = {t["code"]: t["name"] for t in cfg["townships"]}
    for t in towns:
        if t["township"] != "unmatched":
            assert tdata[tnames[t["township"]]][:2] == [t["warnings"], t["households"]]
    assert "合计 townships total" in tdata
    assert int(tdata["合计 townships total"][0]) == sum(int(t["warnings"]) for t in towns
                                                      if t["township"] != "unmatched")

    r = status(hub, "--period", LATE_PERIOD)  # the default: a table
    assert r.returncode == 1
    out = r.stdout
    missing_name = [f["name"] for d in cfg["departments"] if d["code"] == LEFT_OUT[0]
                    for f in d["feeds"] if f["code"] == LEFT_OUT[1]][0]
    n = len(lists)
    assert f"{n} lists: 0 on time, {n - 1} late, 1 missing, 0 pending" in out
    assert f"missing (未报): " in out and missing_name in out
    assert "名单报送 Lists by department and feed" in out and "乡镇预警 Warnings by township" in out


def excel_to_local(serial):
    return datetime(1899, 12, 30) + timedelta(days=serial)


def test_xlsx(hub, cfg):
    _, lists, towns = status_csv(hub, "--period", LATE_PERIOD)
    path = hub.tmp / f"status-{uuid.uuid4().hex[:6]}.xlsx"
    r = status(hub, "--period", LATE_PERIOD, "--format", "xlsx", "--out", path)
    assert r.returncode == 1, r.stderr
    assert f"riskhub-status: {LATE_PERIOD}:" in r.stdout and "missing=1" in r.stdout
    assert not list(hub.tmp.glob(f"{path.name}.tmp-*")), "a temporary file was left behind"
    book = rhtest.read_xlsx(path)
    assert list(book) == ["名单报送 Lists", "乡镇预警 Townships", "规模风险 Scale risks",
                          "身份差异 Identity", "入户核实 Verification", "部门核实 Departments"], \
        list(book)
    ls, ts = book["名单报送 Lists"], book["乡镇预警 Townships"]
    for sheet in (ls, ts):
        title = sheet[(0, 0)][0]
        assert LATE_PERIOD in title and cfg["county"]["name"] in title, title
    header = {v[0]: c for (row, c), v in ls.items() if row == 2}
    assert all(ls[(2, c)][2] for c in header.values()), "header cells are not bold"
    assert all(ls[(2, c)][3] for c in header.values()), "header cells are not shaded"
    for i, want in enumerate(lists):
        row = 3 + i

        def cell(title):
            return ls.get((row, header[title]))
        assert cell("部门 department")[0] == [d["name"] for d in cfg["departments"]
                                             if d["code"] == want["department"]][0]
        assert cell("类型 kind")[0] == [f["kind"] for d in cfg["departments"] if d["code"] == want["department"]
                                      for f in d["feeds"] if f["code"] == want["feed"]][0]
        assert cell("状态 status")[0].startswith(want["status"].replace("_", " "))
        due = cell("截止日 due")
        assert "yy" in due[1] and excel_to_local(due[0]).date().isoformat() == want["deadline"]
        if want["finished_at"]:
            fin = cell("报送时间 delivered")
            assert isinstance(fin[0], float) and "yyyy-mm-dd" in fin[1] and "hh:mm" in fin[1], fin
            local = datetime.fromisoformat(want["finished_at"]).replace(tzinfo=None)
            assert abs((excel_to_local(fin[0]) - local).total_seconds()) < 1.0
            assert cell("记录 records")[0] == float(want["records"])
            assert cell("退回 rejects")[0] == float(want["rejects"])
            assert cell("迟报天数 days late")[0] == float(want["days_late"])
        else:
            assert cell("报送时间 delivered") is None
    theader = {v[0]: c for (row, c), v in ts.items() if row == 2}
    got = {}
    for row in range(3, 3 + len(towns) + 1):
        code = ts.get((row, theader["代码 code"]))
        if code:
            got[code[0]] = tuple(int(ts[(row, theader[t])][0]) for t in
                                 ("预警 warnings", "户数 households", "比对 checks", "比对命中 matched"))
    want_t = {t["township"]: (int(t["warnings"]), int(t["households"]), int(t["checks"]),
                              int(t["checks_matched"])) for t in towns}
    assert got == want_t, f"xlsx townships {got} != csv {want_t}"


# ---- 5. the quarter --------------------------------------------------------------------------

def test_quarter(hub, cfg):
    now = datetime.now(timezone.utc)
    for q, periods in {quarter_of(LATE_PERIOD)[0]: quarter_of(LATE_PERIOD)[1],
                       quarter_of(ON_TIME_PERIOD)[0]: quarter_of(ON_TIME_PERIOD)[1]}.items():
        r, lists, towns = status_csv(hub, "--quarter", q)
        want = {p: expected_lists(cfg, hub.manifests, p, now) for p in periods}
        states = [w["status"] for p in periods for w in want[p].values()]
        assert r.returncode == (0 if set(states) == {"on_time"} else 1)
        assert len(lists) == len(feeds_of(cfg))
        for row in lists:
            k = (row["department"], row["feed"])
            for p in periods:
                assert row[f"status_{p}"] == want[p][k]["status"], f"{k} {p}"
            for s in ("on_time", "late", "missing", "pending"):
                assert int(row[s]) == sum(want[p][k]["status"] == s for p in periods), f"{k} {s}"
        per_month = {p: expected_townships(hub, cfg, p, now) for p in periods}
        for row in towns:
            t = row["township"]
            for p in periods:
                assert int(row[f"warnings_{p}"]) == per_month[p][t][0], f"{t} {p}"
            assert int(row["warnings_total"]) == sum(per_month[p][t][0] for p in periods)
            assert int(row["checks_total"]) == sum(per_month[p][t][2] for p in periods)
        if LATE_PERIOD in periods:
            by = {(x["department"], x["feed"]): x for x in lists}
            assert by[LEFT_OUT][f"status_{LATE_PERIOD}"] == "missing"
    # the table of a quarter names the three months
    q, periods = quarter_of(ON_TIME_PERIOD)
    r = status(hub, "--quarter", q)
    assert all(p in r.stdout for p in periods) and "季度" in r.stdout.splitlines()[0]


# ---- 6. deadline boundaries with manifests of our own ------------------------------------------

def manifest(dept, feed, period, finished, batch=None, kind="SIGNAL", rows=(10, 9, 1)):
    batch = batch or uuid.uuid4().hex * 2
    return {"batch_id": batch, "department": dept, "feed": feed, "kind": kind, "period": period,
            "topic": f"feed.{dept}.{feed}", "source_name": "x.csv", "source_sha256": "0" * 64,
            "schema_fingerprint": "0" * 16, "rows_total": rows[0], "rows_accepted": rows[1],
            "rows_rejected": rows[2], "partitions": [], "started_at": finished - timedelta(seconds=5),
            "finished_at": finished, "producer": "test_status.py"}


def signed(m):
    """m signed by its department's key, as riskhub-produce would (a department the
    configuration lacks has none: unsigned)."""
    return rhtest.sign_manifest(m) if (rhtest.KEYS_DIR / f"{m['department']}.key").exists() else m


def test_deadline_boundaries(namespace, cfg, tmp_path):
    """December's lists, due the 10th of January: 23:59:59.999 on the 10th (Beijing) is
    on time, 00:00 on the 11th is late by a day; a list re-published after being on
    time stays on time; a feed not in the config and another month change nothing."""
    ns = namespace()
    day = delivery_day(cfg)
    period = "2026-12"
    due = deadline(period, day)
    assert due == datetime(2027, 1, day + 1, tzinfo=CST)
    fs = feeds_of(cfg)
    on, late, late5, resent = fs[0], fs[1], fs[2], fs[3]
    recs = [manifest(*on, period, due - timedelta(milliseconds=1)),
            manifest(*late, period, due),
            manifest(*late5, period, due + timedelta(days=5, hours=3)),
            manifest(*resent, period, datetime(2027, 1, 2, 9, tzinfo=CST), batch="a" * 64),
            manifest(*resent, period, datetime(2027, 1, 12, 9, tzinfo=CST), batch="a" * 64),
            manifest(*resent, period, datetime(2027, 1, 3, 9, tzinfo=CST), batch="b" * 64),
            manifest("no-such-dept", "x", period, datetime(2027, 1, 2, tzinfo=CST)),
            manifest(*fs[4], "2026-11", datetime(2026, 12, 2, tzinfo=CST))]
    recs = [signed(dict(r, topic=ns.topic(r["topic"]))) for r in recs]
    # each on its department's manifests topic (no-such-dept's on tax's: not counted)
    for r in recs:
        d = r["department"] if r["department"] in ns.departments else "tax"
        rhtest.produce_raw(ns.topic(f"feed.{d}.manifests"),
                           [(r["batch_id"].encode(), rhtest.encode("BatchManifest", r))])
    ledger(ns)
    as_of = datetime(2027, 1, 20, 12, tzinfo=CST)
    r, lists, towns = status_csv(ns, "--period", period, "--as-of", "2027-01-20 12:00")
    assert r.returncode == 1
    want = expected_lists(cfg, [m for m in recs], period, as_of)
    compare_lists(lists, want, period)
    by = {(x["department"], x["feed"]): x for x in lists}
    assert by[on]["status"] == "on_time" and by[on]["finished_at"] == f"2027-01-{day:02d}T23:59:59+08:00"
    assert (by[late]["status"], by[late]["days_late"]) == ("late", "1")
    assert (by[late5]["status"], by[late5]["days_late"]) == ("late", "6")
    assert (by[resent]["status"], by[resent]["manifests"], by[resent]["batches"],
            by[resent]["republished"], by[resent]["batch_id"]) == ("on_time", "3", "2", "2", "a" * 64)
    assert by[fs[4]]["status"] == "missing"
    assert "not in the configuration" in r.stderr
    assert all(int(t["warnings"]) == 0 for t in towns)
    # another local time: in UTC the deadline is 8 hours later, and the list
    # finished at 00:00 in Beijing (16:00 UTC on the 10th) is on time
    r, lists, _ = status_csv(ns, "--period", period, "--as-of", "2027-01-20 12:00",
                             "--utc-offset", "+00:00")
    by = {(x["department"], x["feed"]): x for x in lists}
    assert by[late]["status"] == "on_time" and by[late]["deadline"] == f"2027-01-{day:02d}"
    # as of the delivery day (its end): the late ones do not exist yet
    r, lists, _ = status_csv(ns, "--period", period, "--as-of", f"2027-01-{day:02d}")
    by = {(x["department"], x["feed"]): x for x in lists}
    assert by[on]["status"] == "on_time" and by[late]["status"] == "pending"
    assert by[resent]["republished"] == "1"


# ---- 7. an empty namespace, the broker away, usage -------------------------------------------

def test_empty_namespace_broker_away_and_usage(cfg, tmp_path, namespace, scratch_db):
    ns = namespace()  # topics, no manifest; a database the ledger never wrote
    env = ns.env()
    for source in ("ledger", "topics"):
        r = status(None, "--period", "2020-01", "--format", "csv", "--source", source, env=env)
        assert r.returncode == 1, r.stderr
        lists, towns = parse_csv(r.stdout)
        assert {x["status"] for x in lists} == {"missing"}
        assert all(t["warnings"] == "0" for t in towns)
        assert len(towns) == len(cfg["townships"]) + 1
    assert "has written nothing" in r.stderr or "has written nothing" in status(
        None, "--period", "2020-01", env=env).stderr

    # the ledger's report needs no broker; the topics' does
    away = dict(env, RH_KAFKA_BOOTSTRAP="127.0.0.1:1")
    # (--broker-wait: not the 90 s a paused broker is waited out by default)
    t0 = time.monotonic()
    r = status(None, "--period", "2026-10", "--source", "topics", "--broker-wait", "3", env=away)
    assert r.returncode == 69, f"broker away: exit {r.returncode}: {r.stderr}"
    assert time.monotonic() - t0 < 60, "--broker-wait 3 waited for more than a minute"
    assert "Kafka" in r.stderr and r.stdout == ""
    r = status(None, "--period", "2026-10", env=away)
    assert r.returncode == 1 and "2026-10" in r.stdout and "据台账" in r.stdout, r.stderr
    # PostgreSQL away: 69; a database without the ledger's tables: 78
    r = status(None, "--period", "2026-10", env=dict(env, RH_PG_CONNINFO="host=127.0.0.1 port=1 "
                                                       "dbname=x connect_timeout=2"), timeout=60)
    assert r.returncode == 69 and "PostgreSQL" in r.stderr and r.stdout == "", r.stderr
    r = status(None, "--period", "2026-10", env=dict(env, RH_PG_CONNINFO=scratch_db))
    assert r.returncode == 78 and "riskhub-registry migrate" in r.stderr and r.stdout == "", \
        r.stderr
    r = status(None, "--period", "2026-10", "--source", "x", env=env)
    assert r.returncode == 64 and "--source" in r.stderr

    def run(*args):
        return status(None, *args, env=env)
    for args in (("--period", "2026-13"), ("--quarter", "2026-Q5"), ("--period", "2026-10",
                 "--quarter", "2026-Q4"), ("--format", "xlsx"), ("--format", "pdf"),
                 ("--as-of", "yesterday"), ("--utc-offset", "+8"), ("--table", "x"), ("--broker-wait", "x"), ("extra",)):
        r = run(*args)
        assert r.returncode == 64, f"{args}: exit {r.returncode}"
        assert r.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("county: {code: 1}\n")
    r = run("--config", bad, "--period", "2026-10")
    assert r.returncode == 78 and "bad.yaml" in r.stderr
    r = run("--period", "2026-10", "--format", "csv", "--out", tmp_path / "no-such-dir" / "x.csv")
    assert r.returncode == 74 and "no-such-dir" in r.stderr
    out = tmp_path / "r.md"
    r = run("--period", "2020-01", "--format", "markdown", "--out", out)
    assert r.returncode == 1 and out.read_text().startswith("# ")
    assert r.stdout.startswith("riskhub-status: 2020-01: on_time=0 late=0 missing=")
    r = run("--help")
    assert r.returncode == 0 and "--quarter" in r.stdout


# ---- 7. whose clock: a list arrives when its publisher's clock says -----------------------------

SIM_PRODUCE = rhtest.SRC / "build-sim" / "bin" / "riskhub-produce"   # scripts/build.sh sim
SIM_NOW = "2026-11-05T02:12:00Z"                                    # 10:12 on the 5th, Beijing
SIM_PERIOD = "2026-10"


def publish_simulated(ns, tmp, program, dept, feed):
    """One small generated list of SIM_PERIOD published by `program` with
    RH_SIMULATED_NOW=SIM_NOW; (result, real time before, real time after)."""
    r = rhtest.run("riskhub-gen", "--config", rhtest.CONFIG, "--out", tmp, "--period", SIM_PERIOD,
                   "--households", 200, "--rows-per-feed", 10, "--feed", f"{dept}/{feed}")
    assert r.returncode == 0, r.stderr
    path = tmp / SIM_PERIOD / f"{dept}.{feed}.{SIM_PERIOD}.csv"
    t0 = datetime.now(timezone.utc)
    r = subprocess.run([str(program), "--config", str(rhtest.CONFIG), "--department", dept,
                        "--feed", feed, "--period", SIM_PERIOD, "--no-progress", str(path)],
                       capture_output=True, text=True, timeout=300,
                       env=ns.env(RH_SIMULATED_NOW=SIM_NOW))
    t1 = datetime.now(timezone.utc)
    assert r.returncode == 0, rhtest.scrub(r.stderr)
    return r, t0 - timedelta(seconds=1), t1 + timedelta(seconds=1)


def test_release_producer_ignores_simulated_now(cfg, tmp_path, ns):
    """The producer a department installs has no way to set its delivery time: with
    RH_SIMULATED_NOW in its environment the manifest still carries the real clock, and
    the report takes that (a list of SIM_PERIOD published today is late)."""
    dept, feed = "water", "drinking-water"
    _, t0, t1 = publish_simulated(ns, tmp_path, rhtest.BIN / "riskhub-produce", dept, feed)
    ledger(ns)
    (m,) = read_manifests(ns)
    assert t0 <= m["finished_at"] <= t1, f"finished_at {m['finished_at']} not now"
    assert "simulated" not in m["producer"], m["producer"]
    r, lists, _ = status_csv(ns, "--period", SIM_PERIOD)
    row = {(x["department"], x["feed"]): x for x in lists}[(dept, feed)]
    want = "late" if m["finished_at"] >= deadline(SIM_PERIOD, delivery_day(cfg)) else "on_time"
    assert row["status"] == want
    assert row["finished_at"] == m["finished_at"].astimezone(CST).isoformat(timespec="seconds")


@pytest.mark.skipif(not SIM_PRODUCE.exists() and os.environ.get("CI") != "true", reason="no build-sim/ (scripts/build.sh sim riskhub-produce; scripts/test.sh builds it)")
def test_demo_build_delivers_on_its_day(cfg, tmp_path, ns):
    """The demo's build (RH_SIMULATED_CLOCK) starts its wall clock at RH_SIMULATED_NOW: the
    manifest finished on the 5th and says it was simulated; the report shows the list on
    time, delivered at 10:12 on the 5th, and as of 10:00 that day not in yet."""
    dept, feed = "education", "dropouts"
    r, _, _ = publish_simulated(ns, tmp_path, SIM_PRODUCE, dept, feed)
    sim = datetime(2026, 11, 5, 2, 12, tzinfo=timezone.utc)
    ledger(ns)
    (m,) = read_manifests(ns)
    assert sim <= m["started_at"] <= m["finished_at"] < sim + timedelta(seconds=60)
    assert m["producer"].endswith(" (simulated clock)"), m["producer"]
    _, lists, _ = status_csv(ns, "--period", SIM_PERIOD)
    row = {(x["department"], x["feed"]): x for x in lists}[(dept, feed)]
    assert row["status"] == "on_time" and row["days_late"] == ""
    assert row["finished_at"].startswith("2026-11-05T10:12:"), row["finished_at"]
    _, lists, _ = status_csv(ns, "--period", SIM_PERIOD, "--as-of", "2026-11-05 10:00")
    row = {(x["department"], x["feed"]): x for x in lists}[(dept, feed)]
    assert row["status"] == "pending" and row["finished_at"] == ""

# ---- 8. verification at the household (issue 11) ----------------------------------------------

VERIFY = rhtest.BIN / "riskhub-verify"
V_LEFT_OUT = ("civil-affairs", "temporary-assistance")   # not sent: pending, not on time
OPEN = {"PUSHED", "RECEIVED", "VERIFYING", "UNREACHABLE"}
INCLUDED = {"PROPOSED", "INCLUDED", "ASSISTING", "RISK_ELIMINATED"}
STEP_STATE = {"INCLUDED": "INCLUDED", "NOT_INCLUDED": "DISMISSED", "VERIFYING": "VERIFYING",
              "ALREADY_MONITORED": "ALREADY_MONITORED", "UNREACHABLE": "UNREACHABLE"}
V_COLS = ("pushed", "verified", "included", "not_included", "already_monitored", "open",
          "overdue", "overdue_days_max", "overdue_days_total", "withdrawn")


def verify_csv(ns, code, steps, tmp, day):
    """riskhub-verify of township code with {alert_id: outcome} as a filled-in CSV; the
    steps on verifications.<code> before it returns."""
    path = tmp / f"visits-{code}-{uuid.uuid4().hex[:6]}.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["alert_id", "outcome", "not_included_reason", "visited_on", "recorded_by"])
        for a, outcome in steps.items():
            w.writerow([a, outcome, "income_above_line" if outcome == "NOT_INCLUDED" else "",
                        "" if outcome == "VERIFYING" else day, "王芳"])
    before = len(ns.read_topic(f"verifications.{code}", timeout=10))
    r = subprocess.run([str(VERIFY), "--config", str(rhtest.CONFIG), "--township", code, path],
                       capture_output=True, text=True, timeout=120, env=ns.env())
    rhtest.assert_no_full_id(r.stdout, r.stderr)
    assert r.returncode == 0, (r.returncode, rhtest.scrub(r.stderr))
    rhtest.wait_for(lambda: len(ns.read_topic(f"verifications.{code}", timeout=10))
                    >= before + len(steps), 60, f"{len(steps)} steps of {code}")


def web_visit(ns, alert_id, code, outcome):
    """What riskhub-web does when an official records a visit (docs/web.md): a
    web_visits row and the warning's state, in one transaction (as the superuser)."""
    su = rhtest.as_superuser(ns.conninfo)
    reason = ", dismiss_reason = 'risk_resolved'" if outcome == "DISMISSED" else ""
    rhtest.psql(su, "BEGIN; "
                f"INSERT INTO web_accounts (username, township_code, password_hash) VALUES "
                f"('wang.{code}', '{code}', '$argon2id$test') ON CONFLICT DO NOTHING; "
                f"INSERT INTO web_visits (alert_id, username, outcome, note, visited_on) VALUES "
                f"('{alert_id}', 'wang.{code}', '{outcome}', '家中已核', current_date); "
                f"UPDATE warnings SET state = '{outcome}'{reason} WHERE alert_id = '{alert_id}'; "
                "COMMIT")


def expected_verification(cfg, warnings, states, due, today, lists):
    """({township: figures}, {department: figures}) computed here: warnings
    {alert_id: (township, department or None)}, states {alert_id: state}, due
    {alert_id: date or None}, lists {department: (lists, on time)}."""
    def blank():
        return dict.fromkeys(V_COLS, 0)
    towns = {t["code"]: blank() for t in cfg["townships"]}
    depts = {d["code"]: blank() for d in cfg["departments"]}
    for a, (town, dept) in warnings.items():
        st = states.get(a, "PUSHED")
        days = (today - due[a]).days if st in OPEN and due[a] and due[a] < today else 0
        for x in (towns[town], depts.setdefault(dept or "unknown", blank())):
            x["pushed"] += 1
            # WITHDRAWN (a corrected list, docs/join.md "Corrections"): pushed only
            x["verified"] += st not in OPEN and st != "WITHDRAWN"
            x["withdrawn"] += st == "WITHDRAWN"
            x["included"] += st in INCLUDED
            x["not_included"] += st == "DISMISSED"
            x["already_monitored"] += st == "ALREADY_MONITORED"
            x["open"] += st in OPEN
            if days:
                x["overdue"] += 1
                x["overdue_days_total"] += days
                x["overdue_days_max"] = max(x["overdue_days_max"], days)
    for d, (n, on) in lists.items():
        depts[d].update(lists=n, lists_on_time=on)
    return towns, depts


def check_verification(text, cfg, want_towns, want_depts, period):
    parts = text.split("\n\n")
    assert len(parts) == 2, f"expected the two verification tables:\n{text[:500]}"
    towns, depts = [list(csv.DictReader(io.StringIO(p, newline=""))) for p in parts]
    assert [t["township"] for t in towns] == [t["code"] for t in cfg["townships"]]
    assert all(t["period"] == period for t in towns + depts)
    got = {t["township"]: {k: int(t[k]) for k in V_COLS} for t in towns}
    assert got == want_towns, "townships differ:\n" + "\n".join(
        f"{k}: got {got[k]} expected {want_towns[k]}" for k in got if got[k] != want_towns[k])
    want_order = [d["code"] for d in cfg["departments"]] + (
        ["unknown"] if "unknown" in want_depts else [])
    assert [d["department"] for d in depts] == want_order
    problems = []
    for d in depts:
        w = want_depts[d["department"]]
        share = f"{w['included'] / w['verified']:.3f}" if w["verified"] else ""
        g = dict(lists=int(d["lists"]), lists_on_time=int(d["lists_on_time"]),
                 warnings=int(d["warnings"]), verified=int(d["verified"]),
                 confirmed=int(d["confirmed"]), share=d["confirmed_share"])
        e = dict(lists=w.get("lists", 0), lists_on_time=w.get("lists_on_time", 0),
                 warnings=w["pushed"], verified=w["verified"], confirmed=w["included"],
                 share=share)
        if g != e:
            problems.append(f"{d['department']}: got {g} expected {e}")
    assert not problems, "\n".join(problems)
    return towns, depts


def whole_second_apart():
    """A whole second (for --as-of, to the second) after everything done so far and
    before everything done next: the next second begun, it returned once it has ended
    (before, 1.5 s slept either side)."""
    second = int(time.time()) + 1
    time.sleep(max(0.0, second + 1.05 - time.time()))
    return datetime.fromtimestamp(second, timezone.utc)


def test_verification(cfg, generate, namespace, tmp_path):
    """A month's warnings, some verified by riskhub-verify in two rounds and by the web
    page, some open and past their visit_due (set here as the superuser): each
    township's pushed/verified/included/not included/already monitored/open/overdue
    and days, and each department's lists on time, warnings and share confirmed, now
    and as of the moment between the two rounds; computed here from what the test
    did and the alerts topics."""
    period = ON_TIME_PERIOD
    month_dir = generate(period, households=1500, rows_per_feed=10, seed=20264)
    ns = namespace(month_dir / "registry")
    start = datetime.fromtimestamp(int(time.time()) - 1, timezone.utc)
    kinds = {(d["code"], f["code"]): f["kind"] for d in cfg["departments"] for f in d["feeds"]}
    files = [x for x in rhtest.feed_files(month_dir / period, period)
             if kinds[(x[0], x[1])] == "signal" and (x[0], x[1]) != V_LEFT_OUT]
    ns.produce_all(files, period=period)
    rhtest.run_join(ns, tmp_path)
    rhtest.run_ledger(ns)

    # the warnings, from the alerts topics: township and the department whose list raised it
    warnings = {}
    for topic, _, rec, _ in ns.read("alerts."):
        if topic != "alerts.unmatched" and rec["period"] == period:
            warnings[rec["alert_id"]] = (rec["township_code"], rec["department"])
    rows = dict((a, (t, d)) for a, t, d in rhtest.pg_rows(
        ns.conninfo, "SELECT alert_id, township_code, coalesce(department, '') FROM warnings"))
    assert rows == {a: (t, d) for a, (t, d) in warnings.items()}, "the ledger's department differs"
    by_town = {}
    for a in sorted(warnings):
        by_town.setdefault(warnings[a][0], []).append(a)
    busy = sorted(by_town, key=lambda t: -len(by_town[t]))[:2]
    assert len(busy) == 2 and all(len(by_town[t]) >= 8 for t in busy), \
        {t: len(v) for t, v in by_town.items()}
    # a row written before migration 011: no department
    legacy = by_town[busy[1]][-1]
    rhtest.psql(rhtest.as_superuser(ns.conninfo),
                f"UPDATE warnings SET department = NULL, feed = NULL WHERE alert_id = '{legacy}'")
    warnings[legacy] = (warnings[legacy][0], None)

    today = datetime.now(CST).date()
    yesterday = (today - timedelta(days=1)).isoformat()
    # visit_due: 2 days ahead, today, 1, 3 and 8 days ago, none
    offsets = (-2, 0, 1, 3, 8, None)
    due = {a: (None if offsets[i % 6] is None else today - timedelta(days=offsets[i % 6]))
           for i, a in enumerate(sorted(warnings))}
    su = rhtest.as_superuser(ns.conninfo)
    for k in offsets:
        ids = [a for a in due if due[a] == (None if k is None else today - timedelta(days=k))]
        if ids:
            value = "NULL" if k is None else f"DATE '{(today - timedelta(days=k)).isoformat()}'"
            rhtest.psql(su, f"UPDATE warnings SET visit_due = {value} WHERE alert_id IN ("
                        + ", ".join(f"'{a}'" for a in ids) + ")")

    # round 1: by riskhub-verify in both townships, and one visit on the web page
    round1 = ("INCLUDED", "NOT_INCLUDED", "ALREADY_MONITORED", "UNREACHABLE", "VERIFYING",
              None, None, None)
    states = {}
    for code in busy:
        steps = {a: round1[i % 8] for i, a in enumerate(by_town[code]) if round1[i % 8]}
        verify_csv(ns, code, steps, tmp_path, yesterday)
        states.update({a: STEP_STATE[o] for a, o in steps.items()})
    web_dismissed = by_town[busy[0]][7]
    web_visit(ns, web_dismissed, busy[0], "DISMISSED")
    states[web_dismissed] = "DISMISSED"
    rhtest.run_ledger(ns)
    got = dict(rhtest.pg_rows(ns.conninfo, "SELECT alert_id, state FROM warnings"))
    assert {a: got[a] for a in states} == states, "the ledger did not apply round 1"
    between = whole_second_apart()
    states_between = dict(states)

    # round 2: the unreachable household reached and included, a pushed one dismissed,
    # one proposed on the web page
    town = by_town[busy[0]]
    steps = {a: "INCLUDED" for i, a in enumerate(town) if i % 8 == 3}
    steps.update({a: "NOT_INCLUDED" for i, a in enumerate(town) if i % 8 == 5})
    verify_csv(ns, busy[0], steps, tmp_path, yesterday)
    states.update({a: STEP_STATE[o] for a, o in steps.items()})
    web_proposed = town[6]
    web_visit(ns, web_proposed, busy[0], "PROPOSED")
    states[web_proposed] = "PROPOSED"
    rhtest.run_ledger(ns)
    got = dict(rhtest.pg_rows(ns.conninfo, "SELECT alert_id, state FROM warnings"))
    assert {a: got[a] for a in states} == states, "the ledger did not apply round 2"
    after = whole_second_apart()

    by_dept = {}
    for d in cfg["departments"]:
        by_dept[d["code"]] = (len(d["feeds"]), sum(1 for f in d["feeds"]
                                                   if (d["code"], f["code"]) in
                                                   {(x[0], x[1]) for x in files}))
    assert by_dept[V_LEFT_OUT[0]][1] == by_dept[V_LEFT_OUT[0]][0] - 1

    # now
    r = status(ns, "--period", period, "--table", "verification", "--format", "csv")
    assert r.returncode == 1, (r.returncode, r.stderr)  # a list pending
    want_t, want_d = expected_verification(cfg, warnings, states, due, today, by_dept)
    assert any(w["overdue"] for w in want_t.values()) and "unknown" in want_d
    assert want_t[busy[0]]["included"] >= 2 and want_t[busy[0]]["not_included"] >= 2
    check_verification(r.stdout, cfg, want_t, want_d, period)
    # as of the moment between the two rounds: the steps and visits made by then
    r = status(ns, "--period", period, "--table", "verification", "--format", "csv",
               "--as-of", between.strftime("%Y-%m-%dT%H:%M:%SZ"))
    want_t2, want_d2 = expected_verification(cfg, warnings, states_between, due, today, by_dept)
    assert want_t2 != want_t
    check_verification(r.stdout, cfg, want_t2, want_d2, period)
    # as of a moment after round 2 (a past instant: replayed, not warnings.state): the
    # last move of each warning wins (UNREACHABLE then INCLUDED is INCLUDED)
    r = status(ns, "--period", period, "--table", "verification", "--format", "csv",
               "--as-of", after.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert "states as of the as-of" in status(
        ns, "--period", period, "--table", "verification",
        "--as-of", after.strftime("%Y-%m-%dT%H:%M:%SZ")).stdout
    check_verification(r.stdout, cfg, want_t, want_d, period)
    # before the lists were published: no warning yet
    r = status(ns, "--period", period, "--table", "verification", "--format", "csv",
               "--as-of", start.strftime("%Y-%m-%dT%H:%M:%SZ"))
    towns, _ = [list(csv.DictReader(io.StringIO(p, newline="")))
                for p in r.stdout.split("\n\n")]
    assert all(t["pushed"] == "0" and t["verified"] == "0" for t in towns)

    # the quarter: the same figures (one month of it has warnings), period YYYY-Qn
    q, _ = quarter_of(period)
    r = status(ns, "--quarter", q, "--table", "verification", "--format", "csv")
    qt, qd = [list(csv.DictReader(io.StringIO(p, newline=""))) for p in r.stdout.split("\n\n")]
    assert {t["period"] for t in qt + qd} == {q}
    assert {t["township"]: {k: int(t[k]) for k in V_COLS} for t in qt} == want_t
    assert all(int(d["lists"]) == 3 * by_dept[d["department"]][0]
               for d in qd if d["department"] != "unknown")

    # every format: the table for people, Markdown, the workbook, the summary line
    r = status(ns, "--period", period, "--table", "verification")
    assert "入户核实 Verification at the household by township" in r.stdout, r.stdout[:400]
    assert "部门核实 Departments" in r.stdout and "逾期 overdue" in r.stdout
    assert "确认率 confirmed" in r.stdout and "未知 unknown" in r.stdout
    total = sum(w["overdue"] for w in want_t.values())
    verified = sum(w["verified"] for w in want_t.values())
    out = tmp_path / "v.xlsx"
    r = status(ns, "--period", period, "--format", "xlsx", "--out", out)
    assert f" verified={verified} overdue={total} source=ledger" in r.stdout, r.stdout
    book = rhtest.read_xlsx(out)
    assert list(book) == ["名单报送 Lists", "乡镇预警 Townships", "规模风险 Scale risks",
                          "身份差异 Identity", "入户核实 Verification", "部门核实 Departments"], \
        list(book)
    vs = book["入户核实 Verification"]
    head = {v[0]: c for (row, c), v in vs.items() if row == 2}
    got = {vs[(row, head["代码 code"])][0]: int(vs[(row, head["逾期 overdue"])][0])
           for row in range(3, 3 + len(cfg["townships"]))}
    assert got == {k: w["overdue"] for k, w in want_t.items()}, got
    r = status(ns, "--period", period, "--table", "verification", "--format", "markdown")
    assert len(re.findall(r"((?:^\|.*\|\n)+)", r.stdout, re.M)) == 2

    # --source topics: the states are not on the topics
    r = status(ns, "--period", period, "--table", "verification", "--source", "topics")
    assert r.returncode == 64 and "ledger" in r.stderr, (r.returncode, r.stderr)
    r = status(ns, "--period", period, "--format", "csv", "--source", "topics")
    assert r.returncode == 1 and len(r.stdout.split("\n\n")) == 4
    assert "verification tables are left out" in r.stderr, r.stderr
