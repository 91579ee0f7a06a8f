"""riskhub-web in a test namespace (docs/web.md): accounts, the server, a client that
keeps the session cookie, and warnings written as the ledger writes them."""
import http.client
import json
import re
import subprocess
import time

from . import env as _env
from .pg import psql
from .privacy import assert_no_full_id

__all__ = ["WEB_PASSWORD", "add_web_user", "WebServer", "WebClient", "ledger_warning"]

WEB_PASSWORD = "county-2026-pw"


def add_web_user(ns, name, *where, password=WEB_PASSWORD):
    """riskhub-web user add NAME *where (--township CODE | --bureau); CompletedProcess."""
    return ns.run("riskhub-web", "--config", _env.CONFIG, "user", "add", name, *where,
                  input=password + "\n", timeout=60)


class WebServer:
    """riskhub-web --listen 127.0.0.1:0 --metrics 127.0.0.1:0 of the namespace, its log in
    log_path; .port, .metrics_port, .url. stop() asserts it exits 0 on SIGTERM and that
    its log holds no password and no full ID number."""

    def __init__(self, ns, log_path, env=None):
        """env: more variables (another RH_KAFKA_BOOTSTRAP, RH_KAFKA_CREDENTIALS)."""
        self.log_path = log_path
        with open(log_path, "w") as f:
            self.proc = ns.popen("riskhub-web", "--config", _env.CONFIG, "--listen", "127.0.0.1:0",
                                 "--metrics", "127.0.0.1:0", stdout=f, stderr=subprocess.STDOUT,
                                 env=env)
        m = None
        for _ in range(300):
            m = re.search(r"serving on http://127\.0\.0\.1:(\d+)/", self.log())
            if m:
                break
            assert self.proc.poll() is None, self.log()
            time.sleep(0.1)
        assert m, self.log()
        self.port = int(m.group(1))
        self.url = f"http://127.0.0.1:{self.port}/"
        self.metrics_port = int(re.search(r"metrics on http://127\.0\.0\.1:(\d+)/metrics",
                                          self.log()).group(1))

    def log(self):
        return self.log_path.read_text()

    def stop(self):
        self.proc.terminate()
        assert self.proc.wait(30) == 0, self.log()
        text = self.log()
        assert WEB_PASSWORD not in text, "a password in the log"
        assert_no_full_id(text)


class WebClient:
    """HTTP calls to riskhub-web keeping the session cookie itself (it is Secure:
    urllib's jar would not send it over http)."""

    def __init__(self, port):
        self.port, self.cookie, self.set_cookie = port, None, None

    def call(self, method, path, body=None, mark=True, raw=False):
        """(status, JSON body); raw: (status, bytes, response)."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        h = {"X-Riskhub": "1"} if mark else {}
        if self.cookie:
            h["Cookie"] = f"rh_session={self.cookie}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        payload = r.read()
        c.close()
        sc = r.getheader("Set-Cookie")
        if sc:
            self.set_cookie = sc
            self.cookie = re.match(r"rh_session=([^;]*)", sc).group(1) or None
        if raw:
            return r.status, payload, r
        return r.status, (json.loads(payload) if payload else {})

    def sign_in(self, user, password=WEB_PASSWORD):
        return self.call("POST", "/api/signin", {"user": user, "password": password})


def ledger_warning(ns, alert_id, township, village="001", house="0001", period="2026-10",
                   due="2026-12-01", risk="ILLNESS"):
    """A row of warnings as riskhub-ledger writes it (its trigger NOTIFYs the township)."""
    psql(ns.conninfo, "INSERT INTO warnings (alert_id, household_id, township_code, period, risk, "
         f"rule_id, visit_due) VALUES ('{alert_id}', '{township}-{village}-{house}', '{township}', "
         f"'{period}', '{risk}', 'r-{risk.lower()}', '{due}')")
