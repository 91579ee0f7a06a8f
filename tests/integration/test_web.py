"""riskhub-web (docs/web.md) against the real PostgreSQL of a scratch database: accounts
with Argon2id passwords, sessions kept only as hashes, failed sign-ins slowed down; a
township's official sees and downloads her own township's warnings and no other's, and
records a home visit's outcome on her own township's warnings only; the bureau sees
every township's figures and records nothing; a page hears of new warnings of its own
township (server-sent events fed by the ledger's NOTIFY) and of no other; /metrics.
Warnings are written as the ledger writes them (rows of warnings, the ledger's trigger).

PYTEST_DONT_REWRITE: assertion messages are only the ones written here."""
import hashlib
import io
import socket
import threading
import time

import pytest
import yaml

import rhtest
from rhtest import http_get, metric_family, metric_samples, pg_rows, psql

PASSWORD = rhtest.WEB_PASSWORD
# the county's configured reasons for 排除预警 (NOT_INCLUDED), read from the YAML
REASONS = [r["code"] for r in yaml.safe_load(open(rhtest.CONFIG, encoding="utf-8"))
           ["verification"]["not_included_reasons"]]
Browser = rhtest.WebClient
warn = rhtest.ledger_warning
add_user = rhtest.add_web_user


@pytest.fixture
def towns(cfg):
    return [t["code"] for t in cfg["townships"][:2]]


def steps(ns):
    """warning_steps as the ledger kept them, in the order it read them."""
    return pg_rows(ns.conninfo, "SELECT alert_id, township_code, outcome, coalesce(reason, ''), "
                   "coalesce(note, ''), coalesce(visited_on::text, ''), coalesce(state_before, ''), "
                   "coalesce(refused, ''), recorded_by, source FROM warning_steps "
                   "ORDER BY partition, \"offset\"")


def apply_steps(ns, township, published):
    """riskhub-ledger until idle, once verifications.<township> shows read_committed
    the `published` steps so far (a commit returns before the markers are written)."""
    topic = f"verifications.{township}"
    rhtest.wait_for(lambda: len(ns.read_topic(topic, timeout=10)) >= published, 60,
                    f"{published} steps on {topic}")
    rhtest.run_ledger(ns)


@pytest.fixture
def web(ns, tmp_path, towns):
    for name, where in (("town-a", ["--township", towns[0]]), ("town-b", ["--township", towns[1]]),
                        ("bureau", ["--bureau"])):
        r = add_user(ns, name, *where)
        assert r.returncode == 0, (name, r.returncode, r.stderr)
    srv = rhtest.WebServer(ns, tmp_path / "web.log")
    yield {"port": srv.port, "metrics": srv.metrics_port}
    srv.stop()


def test_a_township_sees_and_records_its_own_only(ns, web, towns, cfg):
    a, b = towns
    warn(ns, "al-a1", a, "001", "0001")
    warn(ns, "al-a2", a, "002", "0007", due="2099-01-01")
    warn(ns, "al-b1", b, "001", "0001")
    anon = Browser(web["port"])
    assert anon.call("GET", "/api/warnings")[0] == 401
    st, page, _ = anon.call("GET", "/", raw=True)
    assert st == 200 and "防返贫" in page.decode()
    town = Browser(web["port"])
    st, me = town.sign_in("town-a")
    assert st == 200 and me["township"] == a, (st, me)
    for part in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/"):
        assert part in town.set_cookie, town.set_cookie
    # only the token's hash is kept
    hashes = pg_rows(ns.conninfo, "SELECT encode(token_hash, 'hex') FROM web_sessions")
    assert [h[0] for h in hashes] == [hashlib.sha256(town.cookie.encode()).hexdigest()]
    pw = pg_rows(ns.conninfo, "SELECT password_hash FROM web_accounts WHERE username = 'town-a'")
    assert pw[0][0].startswith("$argon2id$") and PASSWORD not in pw[0][0]

    st, data = town.call("GET", "/api/warnings")
    assert st == 200 and data["township"] == a
    got = {w["alert_id"]: w for w in data["warnings"]}
    assert set(got) == {"al-a1", "al-a2"}, got
    assert got["al-a1"]["village"] == f"{a}-001" and got["al-a1"]["overdue"] is True
    assert got["al-a2"]["overdue"] is False
    assert town.call("GET", f"/api/warnings?township={b}")[0] == 403
    st, csv, r = town.call("GET", "/api/warnings.csv", raw=True)
    text = csv.decode("utf-8")
    assert st == 200 and text.startswith("\ufeff预警编号,") and "attachment" in r.getheader(
        "Content-Disposition")
    assert "al-a1" in text and "al-b1" not in text and b not in text
    st, xlsx, r = town.call("GET", "/api/warnings.xlsx", raw=True)
    assert st == 200 and r.getheader("Content-Type").startswith("application/vnd.openxml")
    book = rhtest.read_xlsx(io.BytesIO(xlsx))
    name = next(t["name"] for t in cfg["townships"] if t["code"] == a)
    assert list(book) == [name], list(book)
    sheet = book[name]
    assert sheet[(0, 0)][0] == "预警编号" and sheet[(0, 0)][2], sheet[(0, 0)]
    ids = sorted(v[0] for (row, col), v in sheet.items() if col == 0 and row > 0)
    assert ids == ["al-a1", "al-a2"], ids
    overdue = {sheet[(row, 0)][0]: sheet[(row, 11)] for row in (1, 2)}
    assert overdue["al-a1"][0] == "是" and overdue["al-a1"][3], overdue
    assert overdue["al-a2"][0] == "否" and not overdue["al-a2"][3], overdue
    assert town.call("GET", "/api/summary")[0] == 403

    # a visit's outcome: another township's warning looks like no warning at all
    visit = {"alert_id": "al-b1", "outcome": "ALREADY_MONITORED", "visited_on": "2026-11-20"}
    assert town.call("POST", "/api/outcome", visit) == (404, {"error": "没有这条预警"})
    visit["alert_id"] = "al-a1"
    assert town.call("POST", "/api/outcome", visit, mark=False)[0] == 403
    # 排除预警 needs one of the configured reasons (not a note)
    assert town.call("POST", "/api/outcome", dict(visit, outcome="DISMISSED"))[0] == 400
    assert town.call("POST", "/api/outcome", dict(visit, outcome="DISMISSED", note="收入高"))[0] == 400
    assert town.call("POST", "/api/outcome", dict(visit, outcome="DISMISSED", reason="no_such"))[0] == 400
    assert town.call("POST", "/api/outcome", dict(visit, reason=REASONS[0]))[0] == 400
    assert town.call("POST", "/api/outcome", dict(visit, visited_on="2026-02-30"))[0] == 400
    assert town.call("POST", "/api/outcome", dict(visit, visited_on="2099-01-01"))[0] == 400
    assert town.call("POST", "/api/outcome", dict(visit, outcome="GONE"))[0] == 400
    assert town.call("POST", "/api/outcome", dict(visit, outcome="NOT_INCLUDED"))[0] == 400
    assert town.call("POST", "/api/outcome", dict(visit, note="身份证 41102419800101123X"))[0] == 400
    assert town.call("POST", "/api/outcome", visit)[0] == 200
    # published, not written: the warning moves when the ledger applies the step
    assert pg_rows(ns.conninfo, "SELECT alert_id FROM warnings WHERE state <> 'PUSHED'") == []
    assert pg_rows(ns.conninfo, "SELECT visit_id FROM web_visits") == []
    apply_steps(ns, a, 1)
    rows = pg_rows(ns.conninfo, "SELECT alert_id, state FROM warnings ORDER BY alert_id")
    assert rows == [("al-a1", "ALREADY_MONITORED"), ("al-a2", "PUSHED"), ("al-b1", "PUSHED")], rows
    assert steps(ns) == [("al-a1", a, "ALREADY_MONITORED", "", "", "2026-11-20", "PUSHED", "",
                          "town-a", "riskhub-web")]
    # the step may not follow the warning's state now
    assert town.call("POST", "/api/outcome", visit) == (409, {"error": "这条预警已有核实结果"})
    assert town.call("POST", "/api/outcome", dict(visit, outcome="PROPOSED"))[0] == 409

    other = Browser(web["port"])
    assert other.sign_in("town-b")[0] == 200
    assert [w["alert_id"] for w in other.call("GET", "/api/warnings")[1]["warnings"]] == ["al-b1"]

    # a warning of b that its department's corrected list withdrew (docs/ledger.md):
    # neither open nor verified in the bureau's figures
    warn(ns, "al-b2", b, "003", "0002")
    psql(ns.conninfo, "UPDATE warnings SET state = 'WITHDRAWN' WHERE alert_id = 'al-b2'")

    bureau = Browser(web["port"])
    assert bureau.sign_in("bureau")[0] == 200
    assert bureau.call("GET", "/api/warnings")[0] == 400
    assert len(bureau.call("GET", f"/api/warnings?township={b}")[1]["warnings"]) == 2
    st, summ = bureau.call("GET", "/api/summary?period=2026-10")
    assert st == 200
    by = {t["township"]: t for t in summ["townships"]}
    assert by[a]["warnings"] == 2 and by[a]["states"] == {"PUSHED": 1, "ALREADY_MONITORED": 1}
    assert by[a]["overdue"] == 0 and by[b]["overdue"] == 1 and by[b]["warnings"] == 2
    assert by[b]["states"] == {"PUSHED": 1, "WITHDRAWN": 1}, by[b]["states"]
    assert {l["state"] for l in summ["lists"]} == {"missing"}
    assert summ["months"] == [{"period": "2026-10", "warnings": 4, "verified": 1}], summ["months"]
    assert bureau.call("GET", "/api/summary?period=2026-13")[0] == 400
    st, later = bureau.call("GET", "/api/summary?period=2099-01")
    assert st == 200 and {l["state"] for l in later["lists"]} == {"not_due"}, later["lists"][:2]
    assert bureau.call("POST", "/api/outcome", dict(visit, alert_id="al-a2"))[0] == 403

    assert town.call("POST", "/api/signout")[0] == 200
    assert town.call("GET", "/api/warnings")[0] == 401
    def counted():
        samples = metric_samples(http_get(web["metrics"], "/metrics")[1])
        ok = [v for labels, v in metric_family(samples, "riskhub_web_signins_total").items()
              if 'result="ok"' in labels]
        return ok == [3] and metric_family(samples, "riskhub_web_outcomes_total") == {"": 1}
    rhtest.wait_for(counted, 10, "the sign-ins and the outcome on /metrics")
    assert http_get(web["port"], "/healthz")[0] == 200


def closed_port():
    """A local port nobody listens on: the brokers away."""
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        return so.getsockname()[1]


def test_an_outcome_needs_the_brokers_and_the_townships_credentials(ns, web, towns, tmp_path):
    """Nothing is recorded when the brokers are away (503, said in Chinese), nor when
    the township's credentials file is missing (503, and the log names the file); the
    brokers back, the same outcome is published and applied once."""
    a, b = towns
    warn(ns, "al-a1", a, "001", "0001")
    warn(ns, "al-b1", b, "001", "0001")
    visit = {"alert_id": "al-a1", "outcome": "DISMISSED", "reason": REASONS[1],
             "note": "家中已有稳定收入", "visited_on": "2026-11-21"}
    away = rhtest.WebServer(ns, tmp_path / "web-away.log",
                            env={"RH_KAFKA_BOOTSTRAP": f"127.0.0.1:{closed_port()}"})
    try:
        c = Browser(away.port)
        assert c.sign_in("town-a")[0] == 200
        st, body = c.call("POST", "/api/outcome", visit)
        assert st == 503 and "稍后再试" in body["error"], (st, body)
    finally:
        away.stop()
    folder = tmp_path / "no-credentials"
    folder.mkdir(mode=0o700)
    bare = rhtest.WebServer(ns, tmp_path / "web-bare.log",
                            env={"RH_KAFKA_CREDENTIALS": str(folder / "{principal}")})
    try:
        c = Browser(bare.port)
        assert c.sign_in("town-a")[0] == 200
        st, body = c.call("POST", "/api/outcome", visit)
        assert st == 503 and "凭据" in body["error"], (st, body)
        assert str(folder / f"{ns.prefix}town.{a}") in bare.log(), bare.log()
        assert bare.proc.poll() is None
    finally:
        bare.stop()
    assert pg_rows(ns.conninfo, "SELECT alert_id FROM warnings WHERE state <> 'PUSHED'") == []
    # the web with its credentials and the brokers: published; a visit of another
    # township's warning refused as none
    town = Browser(web["port"])
    assert town.sign_in("town-a")[0] == 200
    assert town.call("POST", "/api/outcome", dict(visit, alert_id="al-b1"))[0] == 404
    assert town.call("POST", "/api/outcome", visit)[0] == 200
    apply_steps(ns, a, 1)
    assert len(ns.read_topic(f"verifications.{a}", timeout=10)) == 1, "only the published one"
    assert ns.read_topic(f"verifications.{b}", timeout=5) == []
    got = pg_rows(ns.conninfo, "SELECT alert_id, state, coalesce(dismiss_reason, '') FROM warnings "
                  "ORDER BY alert_id")
    assert got == [("al-a1", "DISMISSED", REASONS[1]), ("al-b1", "PUSHED", "")], got
    assert steps(ns) == [("al-a1", a, "NOT_INCLUDED", REASONS[1], "家中已有稳定收入", "2026-11-21",
                          "PUSHED", "", "town-a", "riskhub-web")]


def test_failed_sign_ins_are_slowed_down(ns, web):
    c = Browser(web["port"])
    t0 = time.monotonic()
    for _ in range(3):
        assert c.sign_in("town-a", "wrong-password-1") == (401, {"error": "用户名或密码不正确"})
    assert time.monotonic() - t0 >= 3, "a refusal is answered a second late"
    st, body = c.sign_in("town-a")  # the right password, too soon
    assert st == 429 and 1 <= body["retry_after"] <= 5, (st, body)
    assert pg_rows(ns.conninfo, "SELECT failed_signins FROM web_accounts "
                                "WHERE username = 'town-a'") == [("3",)]
    # an unknown name is slowed down the same way: nothing tells the two apart
    for _ in range(3):
        assert c.sign_in("nobody", "wrong-password-1") == (401, {"error": "用户名或密码不正确"})
    st, body = c.sign_in("nobody")
    assert st == 429 and 1 <= body["retry_after"] <= 5, (st, body)
    # guesses at once get no more tries than guesses one after another
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(
        Browser(web["port"]).sign_in("town-b", "wrong-password-1")[0])) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [401] * 3 + [429] * 5, sorted(answers)

    psql(ns.conninfo, "UPDATE web_accounts SET last_failed_at = now() - interval '1 hour'")
    assert c.sign_in("town-a")[0] == 200
    assert pg_rows(ns.conninfo, "SELECT failed_signins FROM web_accounts "
                                "WHERE username = 'town-a'") == [("0",)]
    # a new password ends the sessions of the old one
    r = ns.run("riskhub-web", "--config", rhtest.CONFIG, "user", "password", "town-a",
               input="another-2026-pw\n", timeout=60)
    assert r.returncode == 0 and "signed out" in r.stdout, r.stderr
    assert c.call("GET", "/api/warnings")[0] == 401
    assert c.sign_in("town-a", "another-2026-pw")[0] == 200
    r = ns.run("riskhub-web", "--config", rhtest.CONFIG, "user", "disable", "town-a", timeout=60)
    assert r.returncode == 0, r.stderr
    assert c.call("GET", "/api/warnings")[0] == 401  # signed out with it
    assert c.sign_in("town-a", "another-2026-pw")[0] == 401


def read_events(port, cookie, out, stop):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(f"GET /api/events HTTP/1.1\r\nHost: x\r\nCookie: rh_session={cookie}\r\n\r\n".encode())
    s.settimeout(0.5)
    while not stop.is_set():
        try:
            b = s.recv(4096)
        except socket.timeout:
            continue
        if not b:
            break
        out.append(b.decode())
    s.close()


def test_a_page_hears_of_its_own_townships_new_warnings(ns, web, towns):
    a, b = towns
    c = Browser(web["port"])
    assert c.sign_in("town-a")[0] == 200
    out, stop = [], threading.Event()
    t = threading.Thread(target=read_events, args=(web["port"], c.cookie, out, stop))
    t.start()
    try:
        rhtest.wait_for(lambda: "retry: 3000" in "".join(out), 10, "the stream's greeting")
        time.sleep(1)  # the LISTEN connection's own first count has gone by
        warn(ns, "al-b9", b)
        time.sleep(2)
        assert "event: warnings" not in "".join(out), "another township's warning was announced"
        warn(ns, "al-a9", a)
        rhtest.wait_for(lambda: "event: warnings" in "".join(out), 10, "the event")
        st, data = c.call("GET", "/api/warnings")
        assert [w["alert_id"] for w in data["warnings"]] == ["al-a9"]
    finally:
        stop.set()
        t.join()


def test_accounts_and_addresses_refused_clearly(ns, towns, tmp_path):
    r = add_user(ns, "weak", "--township", towns[0], password="short1")
    assert r.returncode == 65 and "密码至少 10 个字符" in r.stderr, r.stderr
    r = add_user(ns, "x1", "--township", "999999999")
    assert r.returncode == 65 and "no township 999999999" in r.stderr, r.stderr
    r = add_user(ns, "Bad Name", "--bureau")
    assert r.returncode == 65 and "a user name is" in r.stderr, r.stderr
    assert add_user(ns, "x2", "--bureau").returncode == 0
    r = add_user(ns, "x2", "--bureau")
    assert r.returncode == 65 and "an account exists already" in r.stderr, r.stderr
    r = add_user(ns, "x3", "--bureau", "--township", towns[0])
    assert r.returncode == 64, r.stderr
    r = add_user(ns, "x4", "--bureau", "--display", "长" * 65)
    assert r.returncode == 65 and "at most 64 characters" in r.stderr, r.stderr
    r = ns.run("riskhub-web", "--config", rhtest.CONFIG, "user", "password", "nobody",
               input=PASSWORD + "\n", timeout=60)
    assert r.returncode == 65 and "no account nobody" in r.stderr, r.stderr
    r = ns.run("riskhub-web", "--config", rhtest.CONFIG, "--listen", "8080", timeout=30)
    assert r.returncode == 64 and "--listen: expected HOST:PORT" in r.stderr, r.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = ns.run("riskhub-web", "--config", rhtest.CONFIG, "--listen", f"127.0.0.1:{port}",
                   timeout=30)
    assert r.returncode == 69 and "Address already in use" in r.stderr, r.stderr
    r = ns.run("riskhub-web", "--config", rhtest.CONFIG, "--listen", "127.0.0.1:0",
               env={"RH_WEB_DIR": str(tmp_path / "none")}, timeout=30)
    assert r.returncode == 78 and "index.html" in r.stderr, r.stderr
