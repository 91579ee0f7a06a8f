"""PostgreSQL goes away while riskhub-join is consuming a big list.

- Stopped and started again (scripts/postgres.sh): the join waits and retries
  (it follows the registry's change log, so nothing is committed while the
  database is away), then catches up: exactly the expected alerts, none twice,
  and the warnings rows riskhub-ledger then writes from them.
- Away longer than --wait-s: exit 69; a restart then finishes the work exactly once.

Stops and starts the shared PostgreSQL, so CTest runs this file alone (RUN_SERIAL).
Expected values are computed in Python (rhtest) from the CSV files and the YAML.

PYTEST_DONT_REWRITE: assertion messages are only the ones written here (no full ID
numbers); pytest's introspection would print the compared values."""
import os
import time

import pytest

import rhtest
from rhtest import IDLE_MS, PERIOD, assert_alerts, assert_warnings, expect, lineage

if not rhtest.join_binary().exists() and not (rhtest.SRC / "consumers" / "join" / "main.c").exists():
    pytest.skip("riskhub-join is not part of this tree yet", allow_module_level=True)

HOUSEHOLDS = 3000
ROWS = int(os.environ.get("RH_JOIN_BIG_ROWS", "60000"))


@pytest.fixture
def ns(namespace, county):
    assert rhtest.join_binary().exists(), f"{rhtest.join_binary()} not built"
    yield namespace(county[0])
    rhtest.postgres_sh("start")  # whatever happened, the database is back before it is dropped


def committed_township_alerts(ns):
    return len(rhtest.read_topics([t for t in ns.topics("alerts.")
                                   if not t.endswith("alerts.unmatched")], timeout=60,
                                   keep=lambda m: True))


def test_postgres_stopped_and_started_mid_run(ns, cfg, rules, county, tmp_path):
    registry, big = county
    reg = rhtest.Registry(registry)
    ns.produce("health", "major-disease", big)
    exp = expect(rules, reg, lineage(ns, cfg, [("health", "major-disease", big)]))
    total = len(exp.township_alerts())

    # small transactions (120 and more): the faster join was through the list before
    # PostgreSQL stopped
    j = ns.join("--idle-exit-ms", IDLE_MS, "--batch-max", 500, "--metrics", "127.0.0.1:0",
                log_dir=tmp_path / "logs")
    stopped = False
    try:
        port = rhtest.metrics_port(j)
        rhtest.wait_for(lambda: committed_township_alerts(ns) > 0, 90, "the first alerts",
                        join=j, interval=0.1)
        assert rhtest.http_get(port, "/healthz")[:2] == (200, "ok\n")
        rhtest.postgres_sh("stop")
        stopped = True
        at_stop = committed_township_alerts(ns)
        assert at_stop < total, (f"the join finished ({at_stop} of {total} alerts) before "
                                 f"PostgreSQL was stopped: raise RH_JOIN_BIG_ROWS")
        time.sleep(1.5)  # a transaction in flight may still commit
        settled = committed_township_alerts(ns)
        time.sleep(IDLE_MS / 1000 + 3)  # longer than --idle-exit-ms: it must not give up
        assert j.running(), f"riskhub-join exited ({j.proc.returncode}) while PostgreSQL was away:\n{j.tail()}"
        during = committed_township_alerts(ns)
        assert during == settled, (f"{during - settled} township alerts were committed while "
                                   f"PostgreSQL was away (the registry could not be followed)")
        # the operator's health check says so, and why
        status, body, _ = rhtest.http_get(port, "/healthz")
        assert status == 503 and body.startswith("waiting for PostgreSQL: "), (status, body)
        page = rhtest.metric_samples(rhtest.http_get(port, "/metrics")[1])
        assert page[("riskhub_healthy", "")] == 0, page[("riskhub_healthy", "")]
        rhtest.postgres_sh("start")
        stopped = False
        rc = j.wait(240)
    finally:
        if stopped:
            rhtest.postgres_sh("start")
        j.kill()
    assert rc == 0, f"riskhub-join exit {rc}:\n{j.tail()}"
    j.check_output()
    assert_alerts(ns, exp)
    assert_warnings(ns, exp)
    print(f"alerts committed when PostgreSQL stopped: {at_stop} of {total}")


def test_postgres_away_longer_than_wait_s(ns, cfg, rules, county, tmp_path):
    registry, big = county
    reg = rhtest.Registry(registry)
    ns.produce("health", "major-disease", big)
    exp = expect(rules, reg, lineage(ns, cfg, [("health", "major-disease", big)]))

    j = ns.join("--wait-s", 3, log_dir=tmp_path / "logs")
    try:
        rhtest.wait_for(lambda: committed_township_alerts(ns) > 0, 90, "the first alerts",
                        join=j, interval=0.1)
        rhtest.postgres_sh("stop")
        t0 = time.time()
        rc = j.wait(60)
        waited = time.time() - t0
    finally:
        rhtest.postgres_sh("start")
        j.kill()
    assert rc == 69, f"exit {rc} (expected 69: PostgreSQL away longer than --wait-s 3):\n{j.tail()}"
    assert waited >= 2, f"gave up after {waited:.1f} s, before --wait-s 3"
    j.check_output()

    again = ns.join("--idle-exit-ms", IDLE_MS, log_dir=tmp_path / "logs")
    rc = again.wait(240)
    assert rc == 0, f"restart: exit {rc}:\n{again.tail()}"
    again.check_output()
    assert_alerts(ns, exp)
    assert_warnings(ns, exp)
