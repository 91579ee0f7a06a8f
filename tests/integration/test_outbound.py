"""The bureau's pushes to the departments (docs/outbound.md), through the real broker
and PostgreSQL, every program as its own party: warnings go through the join and the
ledger, a township records INCLUDED outcomes (riskhub-verify), the month's applications
are in the registry; riskhub-push publishes each department's pushes, riskhub-receive
of each department writes each push as one file. The expected files are computed here
from the registry's and the ledger's tables (read as the schema's owner), apart from
the C code: applicants to the departments with a check feed only, new monitoring
objects to every department, each with only its columns; a second run sends nothing;
a receiver killed (SIGKILL) again and again during a big push loses no file and doubles
none; GBK decodes as GBK; a department's party is refused another's pushes.

PYTEST_DONT_REWRITE: assertion messages are only the ones written here."""
import csv
import io
import os
import random
import signal
import stat
import subprocess
import time
from datetime import datetime, timedelta

import pytest
from confluent_kafka import Consumer, KafkaError

import rhtest
from rhtest import PERIOD, pg_rows, run_join, run_ledger, scrub

PUSH = rhtest.BIN / "riskhub-push"
RECEIVE = rhtest.BIN / "riskhub-receive"
VERIFY = rhtest.BIN / "riskhub-verify"
MONTH = dict(households=1500, rows_per_feed=10, seed=20264)
CODE = "411024100"   # 安陵镇
CFG = rhtest.load_config()
DEPTS = [d["code"] for d in CFG["departments"]]
CHECKING = {d["code"] for d in CFG["departments"] if any(f["kind"] == "check" for f in d["feeds"])}
TOWNSHIP_NAME = {t["code"]: t["name"] for t in CFG["townships"]}
HEADER = {"applicants": ["户编号", "身份证号", "姓名"],
          "new-monitoring-objects": ["户编号", "身份证号", "姓名", "乡镇代码", "乡镇", "村"]}
KEEP = ("INCLUDED", "ASSISTING", "RISK_ELIMINATED")

if not PUSH.exists() and not (rhtest.SRC / "consumers" / "push" / "main.c").exists():
    pytest.skip("riskhub-push is not part of this tree yet", allow_module_level=True)


def checked(r, what):
    rhtest.assert_no_full_id(r.stdout, r.stderr)
    assert r.returncode == 0, f"{what}: exit {r.returncode}: {scrub(r.stderr)}"
    return r


def push(ns, month, *args):
    return ns.run("riskhub-push", "--config", rhtest.CONFIG, "--period", month, *args, timeout=300)


def receive(ns, dept, folder, *args):
    return ns.run("riskhub-receive", "--config", rhtest.CONFIG, "--department", dept, "--dir", folder,
                  *args, timeout=300)


# ---- the model: from the tables, apart from the C code ----

def tables(ns):
    c = ns.conninfo
    members = {}
    for hid, idn, name, rel in pg_rows(c, "SELECT household_id, id_number, name, relation FROM members"):
        members.setdefault(hid, []).append((rel != "head", idn, name))
    places = {h: (t, v) for h, t, v in pg_rows(c, "SELECT household_id, township_code, village FROM households")}
    apps = pg_rows(c, "SELECT period, household_id FROM applications")
    warnings = {a: (h, s) for a, h, s in pg_rows(c, "SELECT alert_id, household_id, state FROM warnings")}
    # applied_at in UTC, as text the model turns into the county's month (UTC+08:00)
    steps = pg_rows(c, "SELECT alert_id, outcome, coalesce(refused, ''), "
                       "to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') FROM warning_steps")
    return members, places, apps, warnings, steps


def county_month(utc_text):
    return (datetime.strptime(utc_text, "%Y-%m-%d %H:%M:%S") + timedelta(hours=8)).strftime("%Y-%m")


def expected(ns, month):
    """{kind: [row, ...]} of the month, rows as the files hold them."""
    members, places, apps, warnings, steps = tables(ns)

    def persons(hid, place):
        rows = []
        for _, idn, name in sorted(members[hid]):
            row = [hid, idn, name]
            if place:
                t, v = places[hid]
                row += [t, TOWNSHIP_NAME[t], v]
            rows.append(row)
        return rows
    applied = sorted({h for p, h in apps if p == month})
    first = {}  # household -> the first month of an INCLUDED step applied
    for alert, outcome, refused, at in steps:
        if outcome != "INCLUDED" or refused or alert not in warnings:
            continue
        h = warnings[alert][0]
        first[h] = min(first.get(h, "9999-99"), county_month(at))
    included = set()
    for alert, outcome, refused, at in steps:
        if outcome == "INCLUDED" and not refused and alert in warnings:
            h, state = warnings[alert]
            if state in KEEP and county_month(at) == month and first[h] == month:
                included.add(h)
    return {"applicants": [r for h in applied for r in persons(h, False)],
            "new-monitoring-objects": [r for h in sorted(included) for r in persons(h, True)]}


def files_of(folder):
    return sorted(f for f in os.listdir(folder) if not f.startswith("."))


def read_file(path, encoding="utf-8-sig"):
    with open(path, "rb") as f:
        data = f.read()
    if encoding == "utf-8-sig":
        assert data.startswith(b"\xef\xbb\xbf"), f"{path}: no UTF-8 byte-order mark"
    rows = list(csv.reader(io.StringIO(data.decode(encoding), newline="")))
    return rows[0], rows[1:]


def assert_files(folder, dept, month, want, encoding="utf-8-sig"):
    """One file a push of the department, each exactly its expected rows and columns,
    0600."""
    kinds = ["applicants", "new-monitoring-objects"] if dept in CHECKING else ["new-monitoring-objects"]
    names = files_of(folder)
    got = {}
    for n in names:
        assert n.startswith(f"{dept}.") and n.endswith(".csv"), f"{dept}: a stray file {n}"
        _, kind, period, _push, _ = n.split(".")
        assert period == month, n
        assert kind not in got, f"{dept}: two files of {kind}: {names}"
        assert stat.S_IMODE(os.stat(folder / n).st_mode) == 0o600, f"{n} is not 0600"
        got[kind] = read_file(folder / n, encoding)
    assert sorted(got) == sorted(kinds), f"{dept}: files {names}, wanted {kinds}"
    for k in kinds:
        header, rows = got[k]
        assert header == HEADER[k], f"{dept} {k}: columns {header}"
        assert rows == want[k], f"{dept} {k}: {len(rows)} rows, wanted {len(want[k])}"


@pytest.fixture
def hub(namespace, month, reg, cfg, tmp_path):
    """A namespace where 12 persons of 安陵镇 became warnings (join, ledger), 5 of them
    were verified INCLUDED and 1 VERIFYING (riskhub-verify, ledger), and every
    household applied in this month (the registry, as its owner: a big push);
    (ns, this month in the county)."""
    ns = namespace(month / "registry")
    people = sorted(i for i, m in reg.members.items()
                    if reg.households[m["household_id"]]["township_code"] == CODE)[:12]
    rows = [dict(rhtest.registry_row_values(reg, i), event_date="2026-10-05",
                 **{"facts.disease": "尿毒症", "facts.hospital": "县人民医院"}) for i in people]
    path = rhtest.write_feed_csv(cfg, "health", "major-disease", tmp_path / f"health.major-disease.{PERIOD}.csv",
                                 rows)
    ns.produce("health", "major-disease", path)
    run_join(ns, tmp_path)
    run_ledger(ns)
    alerts = sorted(a for (a,) in pg_rows(ns.conninfo, "SELECT alert_id FROM warnings"))
    assert len(alerts) >= 6, f"the ledger holds {len(alerts)} warnings"
    today = (datetime.utcnow() + timedelta(hours=8)).strftime("%Y-%m-%d")
    for i, a in enumerate(alerts[:6]):
        r = subprocess.run([str(VERIFY), "--config", rhtest.CONFIG, "--township", CODE, "--by", "张干部",
                            "--alert", a, "--outcome", "INCLUDED" if i < 5 else "VERIFYING",
                            "--visited-on", today],
                           capture_output=True, text=True, timeout=120, env=ns.env())
        checked(r, f"riskhub-verify {i}")
    rhtest.wait_for(lambda: len(ns.read_topic(f"verifications.{CODE}", timeout=10)) >= 6, 60,
                    "6 steps on the verifications topic")
    run_ledger(ns)
    assert len(pg_rows(ns.conninfo, "SELECT 1 FROM warnings WHERE state = 'INCLUDED'")) >= 1
    now = county_month(datetime.utcnow().strftime("%Y-%m-%d %H:%M:%S"))
    rhtest.psql(ns.conninfo, f"INSERT INTO applications (period, household_id, applied_on) "
                             f"SELECT '{now}', household_id, DATE '{now}-01' FROM households "
                             f"ON CONFLICT DO NOTHING")
    return ns, now


def outbound_ends(ns):
    return {t: rhtest.end_offsets(t) for t in rhtest.list_topics(ns.prefix + "outbound.")}


def test_every_department_receives_its_pushes_once(hub, tmp_path):
    ns, month = hub
    want = expected(ns, month)
    assert want["new-monitoring-objects"] and want["applicants"], "an empty month proves nothing"
    r = checked(push(ns, month), "riskhub-push")
    sent = [x for x in r.stdout.splitlines() if x.endswith(" sent")]
    assert len(sent) == len(DEPTS) + len(CHECKING), r.stdout
    # every department, as its own party; banks in GBK
    for d in DEPTS:
        folder = tmp_path / f"in-{d}"
        folder.mkdir()
        enc = ["--encoding", "gbk"] if d == "banks" else []
        checked(receive(ns, d, folder, *enc), f"riskhub-receive {d}")
        assert_files(folder, d, month, want, "gbk" if d == "banks" else "utf-8-sig")
    # GBK really: no byte-order mark, and not UTF-8
    gbk = tmp_path / "in-banks" / next(n for n in files_of(tmp_path / "in-banks") if ".applicants." in n)
    data = gbk.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf") and data.startswith("户编号".encode("gbk"))
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")

    # a second run of the month sends nothing; a second receive writes nothing
    ends = outbound_ends(ns)
    r = checked(push(ns, month), "riskhub-push again")
    assert "sent" not in r.stdout.replace("sent or", ""), r.stdout
    assert r.stdout.count("on the topic already") == len(DEPTS) + len(CHECKING), r.stdout
    assert outbound_ends(ns) == ends, "the second run wrote to the topics"
    for d in ("tax", "health"):
        before = files_of(tmp_path / f"in-{d}")
        r = checked(receive(ns, d, tmp_path / f"in-{d}"), f"riskhub-receive {d} again")
        assert files_of(tmp_path / f"in-{d}") == before

    # a correction: one household applies late; a new push of applicants only
    late = pg_rows(ns.conninfo, f"SELECT household_id FROM applications WHERE period = '{month}' "
                                f"ORDER BY household_id LIMIT 1")[0][0]
    rhtest.psql(ns.conninfo, f"DELETE FROM applications WHERE period = '{month}' AND household_id = '{late}'")
    want2 = expected(ns, month)
    r = checked(push(ns, month, "--department", "tax"), "riskhub-push --department tax")
    assert "applicants" in r.stdout and r.stdout.count(" sent") == 1, r.stdout
    before = files_of(tmp_path / "in-tax")
    checked(receive(ns, "tax", tmp_path / "in-tax"), "riskhub-receive tax, the correction")
    new = sorted(set(files_of(tmp_path / "in-tax")) - set(before))
    assert len(new) == 1 and ".applicants." in new[0], new
    _, rows = read_file(tmp_path / "in-tax" / new[0])
    assert rows == want2["applicants"] and len(rows) < len(want["applicants"])

    # and back to the first content (A, B, A): a new push, a third file with A's rows
    rhtest.psql(ns.conninfo, f"INSERT INTO applications (period, household_id, applied_on) "
                             f"VALUES ('{month}', '{late}', DATE '{month}-01')")
    r = checked(push(ns, month, "--department", "tax"), "riskhub-push tax, back to A")
    assert "applicants" in r.stdout and r.stdout.count(" sent") == 1, r.stdout
    before = files_of(tmp_path / "in-tax")
    checked(receive(ns, "tax", tmp_path / "in-tax"), "riskhub-receive tax, A again")
    new = sorted(set(files_of(tmp_path / "in-tax")) - set(before))
    assert len(new) == 1 and ".applicants." in new[0], new
    assert len([n for n in files_of(tmp_path / "in-tax") if ".applicants." in n]) == 3
    _, rows = read_file(tmp_path / "in-tax" / new[0])
    assert rows == want["applicants"], f"{len(rows)} rows, wanted {len(want['applicants'])}"
    # and the same content once more: nothing sent
    ends = outbound_ends(ns)
    r = checked(push(ns, month, "--department", "tax"), "riskhub-push tax, A once more")
    assert " sent" not in r.stdout, r.stdout
    assert outbound_ends(ns) == ends, "A once more wrote to the topics"


def test_the_month_is_the_countys_and_an_earlier_inclusion_is_not_new(hub, tmp_path):
    """A step the ledger applied at 2026-10-31 17:00 UTC is November's in the county
    (UTC+08:00); a household included a month before this one is not new this
    month. Steps adjusted here as the owner; the files are the model's."""
    ns, month = hub
    c = ns.conninfo
    steps = pg_rows(c, "SELECT s.verification_id, w.household_id FROM warning_steps s "
                       "JOIN warnings w ON w.alert_id = s.alert_id WHERE s.outcome = 'INCLUDED' "
                       "AND s.refused IS NULL AND w.state IN ('INCLUDED', 'ASSISTING', 'RISK_ELIMINATED') "
                       "ORDER BY s.verification_id")
    by = {}
    for vid, h in steps:
        by.setdefault(h, []).append(vid)
    single = sorted(h for h, v in by.items() if len(v) == 1)
    assert len(single) >= 2, f"{len(single)} households with one INCLUDED step"
    h1, h2 = single[0], single[1]
    assert any(r[0] == h2 for r in expected(ns, month)["new-monitoring-objects"])
    # h1: applied at 2026-10-31 17:00 UTC, 2026-11-01 01:00 in the county
    rhtest.psql(c, f"UPDATE warning_steps SET applied_at = TIMESTAMPTZ '2026-10-31 17:00:00+00' "
                   f"WHERE verification_id = '{by[h1][0]}'")
    # h2: included a month earlier as well (a second step, applied then)
    y, m = map(int, month.split("-"))
    earlier = f"{y - (m == 1)}-{12 if m == 1 else m - 1:02d}"
    rhtest.psql(c, f"INSERT INTO warning_steps (verification_id, alert_id, township_code, outcome, "
                   f"reason, note, visited_on, recorded_by, recorded_at, source, topic, partition, "
                   f"\"offset\", state_before, refused, applied_at) "
                   f"SELECT repeat('e', 64), alert_id, township_code, outcome, reason, note, visited_on, "
                   f"recorded_by, recorded_at, source, topic, partition, \"offset\" + 100000, "
                   f"state_before, refused, TIMESTAMPTZ '{earlier}-15 12:00:00+08' "
                   f"FROM warning_steps WHERE verification_id = '{by[h2][0]}'")
    nov, now = expected(ns, "2026-11"), expected(ns, month)
    assert any(r[0] == h1 for r in nov["new-monitoring-objects"]), "the model: h1 not in November"
    assert not any(r[0] == h1 for r in expected(ns, "2026-10")["new-monitoring-objects"])
    assert not any(r[0] == h2 for r in now["new-monitoring-objects"]), "the model: h2 new this month"
    folder = tmp_path / "in-health"
    folder.mkdir()
    cases = {"2026-10": expected(ns, "2026-10"), "2026-11": nov, month: now}
    for period in cases:
        checked(push(ns, period, "--department", "health"), f"riskhub-push {period}")
    checked(receive(ns, "health", folder), "riskhub-receive health")
    for period, want in cases.items():
        names = [n for n in files_of(folder) if n.startswith(f"health.new-monitoring-objects.{period}.")]
        assert len(names) == 1, f"{period}: {files_of(folder)}"
        _, rows = read_file(folder / names[0])
        assert rows == want["new-monitoring-objects"], \
            f"{period}: {len(rows)} rows, wanted {len(want['new-monitoring-objects'])}"
    h1_in = {p for p in ("2026-10", "2026-11", month)
             if any(r[0] == h1 for r in read_file(folder / next(
                 n for n in files_of(folder) if f".{p}." in n))[1])}
    assert "2026-11" in h1_in and "2026-10" not in h1_in, h1_in
    _, rows = read_file(folder / next(n for n in files_of(folder) if f".{month}." in n))
    assert not any(r[0] == h2 for r in rows), "a household included a month earlier pushed as new"


def test_a_receiver_killed_during_a_big_push(hub, tmp_path):
    """SIGKILL at random moments of a big push (every household's members), again and
    again, until a run finishes: never a partial or a second file."""
    ns, month = hub
    want = expected(ns, month)
    assert len(want["applicants"]) > 3000
    checked(push(ns, month, "--department", "tax"), "riskhub-push tax")
    folder = tmp_path / "in-tax"
    folder.mkdir()
    rng = random.Random()

    def run(kill_when=None):
        """One riskhub-receive, SIGKILLed (a real kill) as soon as kill_when(names of
        the folder, the names before the run) holds, after 0 to 3 ms more;
        (returncode, stdout, killed)."""
        before = set(os.listdir(folder))
        p = ns.popen("riskhub-receive", "--config", rhtest.CONFIG, "--department", "tax", "--dir", folder,
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        killed = False
        if kill_when:
            deadline = time.time() + 120
            while p.poll() is None and time.time() < deadline:
                if kill_when(os.listdir(folder), before):
                    time.sleep(rng.uniform(0, 0.003))
                    p.send_signal(signal.SIGKILL)
                    killed = True
                    break
        out, err = p.communicate(timeout=300)
        out, err = out.decode(), err.decode()
        rhtest.assert_no_full_id(out, err)
        assert p.returncode in (0, -signal.SIGKILL), f"exit {p.returncode}: {scrub(err)}"
        # whatever the moment: only complete files, one a push
        names = files_of(folder)
        for n in names:
            header, rows = read_file(folder / n)
            kind = n.split(".")[1]
            assert header == HEADER[kind] and rows == want[kind], f"{n}: incomplete after a kill"
        assert len(names) == len({n.split(".")[1] for n in names}) <= 2, f"two files of a push: {names}"
        return p.returncode, out, killed and p.returncode == -signal.SIGKILL

    def part(names, before):
        return any(n.endswith(".part") for n in names)

    # killed while the big file is being written, three times
    mid = sum(run(part)[2] for _ in range(3))
    assert mid > 0, "never killed while a file was being written: the test proves nothing"
    # killed right after a file got its name: often before its offsets were
    # committed (then the next run finds it and does not write it again), or just
    # after; either way one file a push
    # (a new applicants file of this run: not a small file an earlier run wrote)
    def renamed(names, before):
        return any(n.endswith(".csv") and ".applicants." in n and n not in before for n in names)
    run(renamed)
    rc, out, _ = run()
    assert rc == 0, out
    assert_files(folder, "tax", month, want)
    # and a run after that writes nothing more
    checked(receive(ns, "tax", folder), "riskhub-receive after")
    assert_files(folder, "tax", month, want)
    assert not [n for n in os.listdir(folder) if n.endswith(".part")]


def test_a_department_is_refused_another_departments_pushes(hub, tmp_path):
    ns, month = hub
    checked(push(ns, month, "--department", "tax"), "riskhub-push tax")
    checked(push(ns, month, "--department", "health"), "riskhub-push health")
    cred = ns.parties.file("dept.health").read_text()
    user = next(x.split("=", 1)[1] for x in cred.splitlines() if x.startswith("sasl.username="))
    pw = next(x.split("=", 1)[1] for x in cred.splitlines() if x.startswith("sasl.password="))

    def reads(topic, group):
        c = Consumer(rhtest.client_conf(**{"sasl.username": user, "sasl.password": pw, "group.id": group,
                                           "enable.auto.commit": False, "auto.offset.reset": "earliest",
                                           "isolation.level": "read_committed",
                                           "topic.metadata.refresh.interval.ms": 1000}))
        try:
            c.subscribe([topic])
            deadline = time.time() + 30
            while time.time() < deadline:
                m = c.poll(0.5)
                if m is None:
                    continue
                if m.error() is None:
                    return "read"
                if m.error().code() in (KafkaError.TOPIC_AUTHORIZATION_FAILED,
                                        KafkaError.GROUP_AUTHORIZATION_FAILED):
                    return "refused"
                return f"error {m.error()}"
            return "nothing"
        finally:
            c.close()
    tax = ns.topic("outbound.tax.new-monitoring-objects")
    for t in (tax, ns.topic("outbound.tax.applicants")):
        got = reads(t, ns.prefix + "riskhub-receive.health")
        assert got == "refused", f"dept.health on {t}: {got}"
    # its own topic in its own group, it reads (the refusal above is the ACL's)
    got = reads(ns.topic("outbound.health.new-monitoring-objects"), ns.prefix + "riskhub-receive.health")
    assert got == "read", f"dept.health on its own pushes: {got}"
    # riskhub-receive of health, given tax's name: its party cannot read tax's topics
    folder = tmp_path / "stolen"
    folder.mkdir()
    env = {"RH_KAFKA_CREDENTIALS": str(ns.parties.file("dept.health"))}
    r = ns.run("riskhub-receive", "--config", rhtest.CONFIG, "--department", "tax", "--dir", folder,
               env=env, timeout=120)
    assert r.returncode == 77, f"exit {r.returncode}: {scrub(r.stderr)}"
    assert files_of(folder) == []


def write_raw(ns, topic, messages):
    """messages [(schema, record, key, riskhub.type)] to topic in one committed
    transaction, as the operator."""
    from confluent_kafka import Producer
    rhtest.create_topics([topic], partitions=1)
    p = Producer({**rhtest.client_conf(), "transactional.id": f"{ns.prefix}rhtest-raw-push"})
    p.init_transactions(30)
    p.begin_transaction()
    for schema, rec, key, kind in messages:
        p.produce(topic, key=key, value=rhtest.avro.encode(schema, rec), partition=0,
                  headers=[("riskhub.type", kind.encode())])
    p.commit_transaction(30)


def test_records_without_a_manifest_at_the_end(ns, tmp_path):
    """Records with no manifest at the end of the topic (read_committed: none will
    come): exit 65 at once, naming the topic and offset, not after --timeout-ms."""
    topic = ns.topic("outbound.health.new-monitoring-objects")
    pid = "cd" * 32
    rec = dict(push_id=pid, household_id="411024100-001-0001", id_number="41102419900101123X",
               name="测试", township_code="411024100", village="东村")
    write_raw(ns, topic, [("OutboundRecord", rec, rec["household_id"], "record")] * 2)
    folder = tmp_path / "in-health"
    folder.mkdir()
    t0 = time.time()
    r = receive(ns, "health", folder, "--timeout-ms", "120000")
    rhtest.assert_no_full_id(r.stdout, r.stderr)
    assert r.returncode == 65, f"exit {r.returncode}: {scrub(r.stderr)}"
    assert time.time() - t0 < 60, "waited for --timeout-ms"
    assert f"{topic} @" in r.stderr and f"push {pid[:16]}" in r.stderr and "no manifest" in r.stderr, r.stderr
    assert files_of(folder) == [] and not [n for n in os.listdir(folder) if n.endswith(".part")], \
        os.listdir(folder)


def test_a_push_that_does_not_match_its_manifest(ns, tmp_path):
    """Records that do not add up to their manifest (written here as the operator,
    in one transaction): exit 65, a message naming the push, no file, nothing
    committed (the next run says the same)."""
    from confluent_kafka import Producer
    topic = ns.topic("outbound.health.new-monitoring-objects")
    rhtest.create_topics([topic], partitions=1)
    pid = "ab" * 32
    rec = dict(push_id=pid, household_id="411024100-001-0001", id_number="41102419900101123X",
               name="测试", township_code="411024100", village="东村")
    man = dict(push_id=pid, department="health", kind="new-monitoring-objects", period="2026-10",
               record_count=3, household_count=1, created_at=int(time.time() * 1000))
    p = Producer({**rhtest.client_conf(), "transactional.id": f"{ns.prefix}rhtest-bad-push"})
    p.init_transactions(30)
    p.begin_transaction()
    for value, key, kind in ((rhtest.avro.encode("OutboundRecord", rec), rec["household_id"], "record"),
                             (rhtest.avro.encode("OutboundRecord", rec), rec["household_id"], "record"),
                             (rhtest.avro.encode("OutboundManifest", man), pid, "manifest")):
        p.produce(topic, key=key, value=value, partition=0, headers=[("riskhub.type", kind.encode())])
    p.commit_transaction(30)
    folder = tmp_path / "in-health"
    folder.mkdir()
    for _ in range(2):
        r = receive(ns, "health", folder)
        rhtest.assert_no_full_id(r.stdout, r.stderr)
        assert r.returncode == 65, f"exit {r.returncode}: {scrub(r.stderr)}"
        assert f"push {pid[:16]}: 2 records read" in r.stderr and "counts 3" in r.stderr, r.stderr
        assert files_of(folder) == [] and not [n for n in os.listdir(folder) if n.endswith(".part")], \
        os.listdir(folder)


def test_a_manifest_the_receiver_does_not_trust(ns, tmp_path):
    """A manifest's push id and period name the file and the journal's line: a push
    id that is not 64 hex digits, a period that is not YYYY-MM, or records that do
    not hash to the manifest's push id: exit 65 naming topic and offset, no file
    (each case a department of its own: a refused push blocks its topic)."""
    rec = dict(household_id="411024100-001-0001", id_number="41102419900101123X",
               name="测试", township_code="411024100", village="东村")
    man = dict(kind="new-monitoring-objects", record_count=1, household_count=1,
               created_at=int(time.time() * 1000))
    cases = [("health", "../../etc/x", "2026-10", "malformed"),
             ("tax", "ef" * 32, "../../x", "malformed"),
             ("banks", "ef" * 32, "2026-10", "not the manifest's")]
    for dept, pid, period, said in cases:
        topic = ns.topic(f"outbound.{dept}.new-monitoring-objects")
        write_raw(ns, topic, [("OutboundRecord", dict(rec, push_id="ef" * 32), rec["household_id"], "record"),
                              ("OutboundManifest", dict(man, push_id=pid, period=period, department=dept),
                               pid, "manifest")])
        folder = tmp_path / f"in-{dept}"
        folder.mkdir()
        r = receive(ns, dept, folder)
        rhtest.assert_no_full_id(r.stdout, r.stderr)
        assert r.returncode == 65, f"{dept}: exit {r.returncode}: {scrub(r.stderr)}"
        assert f"{topic} @" in r.stderr and said in r.stderr, r.stderr
        assert files_of(folder) == [], files_of(folder)
        assert not [n for n in os.listdir(folder) if n.endswith(".journal")], os.listdir(folder)


def test_watch_receives_as_the_pushes_come(ns, tmp_path):
    """riskhub-receive --watch started before anything was pushed (its topics do
    not exist yet) writes the push when it comes and stops on SIGTERM, exit 0; a
    second receiver of its folder meanwhile is refused (75)."""
    folder = tmp_path / "in-health"
    folder.mkdir()
    p = ns.popen("riskhub-receive", "--config", rhtest.CONFIG, "--department", "health", "--dir", folder,
                 "--watch", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        time.sleep(2)
        assert p.poll() is None, "riskhub-receive --watch did not wait"
        # a second receiver of the folder (a run by hand) is refused while it runs
        r = receive(ns, "health", folder)
        rhtest.assert_no_full_id(r.stdout, r.stderr)
        assert r.returncode == 75 and "another riskhub-receive" in r.stderr, \
            f"exit {r.returncode}: {scrub(r.stderr)}"
        checked(push(ns, "2026-10", "--department", "health"), "riskhub-push health")
        rhtest.wait_for(lambda: len(files_of(folder)) == 1, 60, "the push's file")
        header, rows = read_file(folder / files_of(folder)[0])
        assert header == HEADER["new-monitoring-objects"] and rows == []
    finally:
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=60)
    assert p.returncode == 0, f"exit {p.returncode}: {scrub(err.decode())}"


def test_push_with_its_password_refused(ns, tmp_path):
    """PostgreSQL refusing riskhub_push's password is the party refused: 77 (not
    69, the server away), naming the role, never the password; nothing pushed."""
    bad = tmp_path / "pgpass"
    bad.write_text("127.0.0.1:*:*:riskhub_push:wrong-password-123\n")
    bad.chmod(0o600)
    r = ns.run("riskhub-push", "--config", rhtest.CONFIG, "--period", "2026-10",
               env=ns.env(PGPASSFILE=str(bad)), timeout=60)
    assert r.returncode == 77, f"exit {r.returncode}: {scrub(r.stderr)}"
    assert "riskhub_push" in r.stderr and "wrong-password-123" not in r.stderr + r.stdout


def test_a_topic_of_more_than_one_partition(ns, tmp_path):
    """An outbound topic made with 3 partitions (not by riskhub-push): riskhub-receive
    reads partition 0 only, so it refuses with 78 naming the topic, not silently."""
    topic = ns.topic("outbound.health.new-monitoring-objects")
    rhtest.create_topics([topic], partitions=3)
    folder = tmp_path / "in-health"
    folder.mkdir()
    r = receive(ns, "health", folder)
    assert r.returncode == 78, f"exit {r.returncode}: {scrub(r.stderr)}"
    assert topic in r.stderr and "3 partitions" in r.stderr, r.stderr
    assert files_of(folder) == []


def test_watch_reads_a_topic_before_the_others_exist(ns, tmp_path):
    """--watch of tax (two topics) reads its new-monitoring-objects as soon as that
    topic exists, not only once the applicants topic does too, and picks the
    applicants up when riskhub-push makes them."""
    import hashlib
    topic = ns.topic("outbound.tax.new-monitoring-objects")
    content = hashlib.sha256(b"").hexdigest()   # no records
    pid = hashlib.sha256(b"tax\0new-monitoring-objects\x002026-10\0\0" + content.encode() + b"\0").hexdigest()
    man = dict(push_id=pid, department="tax", kind="new-monitoring-objects", period="2026-10",
               record_count=0, household_count=0, created_at=int(time.time() * 1000))
    write_raw(ns, topic, [("OutboundManifest", man, pid, "manifest")])
    folder = tmp_path / "in-tax"
    folder.mkdir()
    p = ns.popen("riskhub-receive", "--config", rhtest.CONFIG, "--department", "tax", "--dir", folder,
                 "--watch", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        rhtest.wait_for(lambda: len(files_of(folder)) == 1, 60, "the push of the one topic there")
        assert files_of(folder)[0].startswith(f"tax.new-monitoring-objects.2026-10.{pid[:16]}.")
        # the same content again is on the topic already: applicants only
        r = checked(push(ns, "2026-10", "--department", "tax"), "riskhub-push tax")
        assert r.stdout.count(" sent") == 1 and "applicants" in r.stdout, r.stdout
        rhtest.wait_for(lambda: len(files_of(folder)) == 2, 60, "the applicants once their topic exists")
    finally:
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=60)
    assert p.returncode == 0, f"exit {p.returncode}: {scrub(err.decode())}"


def test_outbound_topics_keep_their_class_and_riskhub_health_watches_them(ns, tmp_path):
    """The outbound topics are a retention class of their own (topics.retention.outbound,
    here 30 days, the alerts 2 days): riskhub-push makes them with it, and
    riskhub-health (as the status party) judges their retention and shows the
    department's receiver group and its lag, 0 once the push is written."""
    day = 86400000
    config = tmp_path / "outbound-retention.yaml"
    config.write_text(rhtest.CONFIG.read_text() +
                      "\ntopics:\n  retention:\n    outbound: 30d\n    alerts: 2d\n")
    r = ns.run("riskhub-push", "--config", config, "--period", "2026-10", "--department", "health",
               timeout=300)
    checked(r, "riskhub-push health")
    topic = ns.topic("outbound.health.new-monitoring-objects")
    got = rhtest.topic_configs(topic)
    assert got["retention.ms"] == str(30 * day), f"{topic}: retention.ms {got['retention.ms']}"
    folder = tmp_path / "in-health"
    folder.mkdir()
    checked(receive(ns, "health", folder), "riskhub-receive health")
    assert len(files_of(folder)) == 1, files_of(folder)
    h = ns.run("riskhub-health", "--json", "--window-s", "0", "--config", config, timeout=180)
    rhtest.assert_no_full_id(h.stdout, h.stderr)
    import json
    rep = json.loads(h.stdout)
    ret = {x["topic"]: x for x in rep["retention"]}
    assert topic in ret and ret[topic]["class"] == "outbound", sorted(ret)
    assert ret[topic]["asked_ms"] == 30 * day and not ret[topic]["shorter"], ret[topic]
    lag = {(g["group"], g["topic"]): g for g in rep["groups"]}
    key = (ns.prefix + "riskhub-receive.health", topic)
    assert key in lag, sorted(lag)
    # no record left: 0, or the one commit marker after the manifest when the broker
    # gave librdkafka 2.0.2 no end-of-partition there (docs/operations.md, "Consumer lag")
    assert lag[key]["lag"] in (0, 1), lag[key]
    assert h.returncode == 0, f"exit {h.returncode}: {scrub(h.stderr)}"
