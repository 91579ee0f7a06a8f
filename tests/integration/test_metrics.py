"""/metrics and /healthz of riskhub-join and riskhub-ledger (docs/metrics.md), scraped
while they run against the real broker and PostgreSQL: the page is Prometheus' text
format; the counters equal what each service's summary line says it committed; the
consumer lag (from librdkafka's statistics) is there per assigned partition and
reaches 0; the ledger shows the feed's last list; no ID number on any page. A bad
--metrics address is a usage error (64), a port already taken leaves the service unavailable (69).

PYTEST_DONT_REWRITE: assertion messages are only the ones written here."""
import re
import socket
import subprocess
import time

import pytest
import yaml

import rhtest
from rhtest import PERIOD, http_get as get, metric_family as family, metric_samples as samples, \
    metrics_port as port_of

MONTH = dict(households=2000, rows_per_feed=40, seed=20271)



@pytest.fixture
def ns(namespace, month):
    return namespace(month / "registry")


def compose_probe(service, port):
    """Exit code of the health check compose.yaml gives service, on port."""
    doc = yaml.safe_load((rhtest.SRC / "docker" / "compose.yaml").read_text())
    test = doc["services"][service]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "bash", "-c"], test
    return subprocess.run(["bash", "-c", test[3].replace("/9400", f"/{port}")],
                          capture_output=True, timeout=10).returncode


def test_join_and_ledger_pages(ns, month, tmp_path):
    files = {(d, f): p for d, f, p in rhtest.feed_files(month / PERIOD)}
    ns.produce("health", "major-disease", files[("health", "major-disease")])
    feed = ns.topic("feed.health.major-disease")
    j = ns.join("--metrics", "127.0.0.1:0", log_dir=tmp_path / "logs")
    led = ns.ledger("--metrics", "127.0.0.1:0", log_dir=tmp_path / "logs")
    try:
        jp, lp = port_of(j), port_of(led)

        def settled():
            # the feed consumed and its lag 0 on each of its 3 partitions (librdkafka
            # reports every 5 s)
            s = samples(get(jp, "/metrics")[1])
            lag = {k: v for k, v in family(s, "riskhub_consumer_lag").items()
                   if f'topic="{feed}"' in k}
            ins = family(s, "riskhub_join_records_in_total").get(f'topic="{feed}"', 0)
            return s if ins > 0 and len(lag) == 3 and not any(lag.values()) else None
        js = rhtest.wait_for(settled, 90, "the join's lag 0 on /metrics", join=j, interval=0.5)

        status, page, ctype = get(jp, "/metrics")
        assert status == 200 and ctype.startswith("text/plain; version=0.0.4"), (status, ctype)
        assert "# TYPE riskhub_join_records_in_total counter" in page
        assert family(js, "riskhub_info") == {'program="riskhub-join"': 1.0}
        assert js[("riskhub_registry_persons", "")] > 0
        assert js[("riskhub_registry_changelog_watermark", "")] > 0
        assert js[("riskhub_hanging_transactions", "")] == 0
        assert js[("riskhub_kafka_brokers_up", 'client="consumer"')] >= 1
        assert js[("riskhub_healthy", "")] == 1
        assert get(jp, "/healthz")[:2] == (200, "ok\n")
        assert get(jp, "/nothing")[0] == 404
        assert compose_probe("riskhub-join", jp) == 0

        township_alerts = family(js, "riskhub_join_records_out_total")['kind="alerts"']

        def ledger_caught_up():
            # every township alert the join committed is a warnings row (the lag alone
            # may be a report 5 s old, with a batch still open)
            s = samples(get(lp, "/metrics")[1])
            lag = family(s, "riskhub_consumer_lag")
            last = family(s, "riskhub_last_list_timestamp_seconds")
            rows = family(s, "riskhub_ledger_rows_total").get('table="warnings"', 0)
            return s if lag and not any(lag.values()) and last and \
                rows == township_alerts > 0 else None
        ls = rhtest.wait_for(ledger_caught_up, 90, "the ledger's lag 0 and last list", join=led,
                             interval=0.5)
        last = family(ls, "riskhub_last_list_timestamp_seconds")
        assert set(last) == {'department="health",feed="major-disease"'}, sorted(last)
        assert abs(last['department="health",feed="major-disease"'] - time.time()) < 3600
        assert get(lp, "/healthz")[:2] == (200, "ok\n")
        final_j, final_l = get(jp, "/metrics")[1], get(lp, "/metrics")[1]
        rhtest.assert_no_full_id(final_j, final_l)
        assert j.terminate(60) == 0, j.tail()
        assert led.terminate(60) == 0, led.tail()
        assert compose_probe("riskhub-ledger", lp) != 0  # nobody answers there now
    finally:
        j.kill()
        led.kill()
    s, fj = j.summary(), samples(final_j)
    ins = family(fj, "riskhub_join_records_in_total")
    assert ins[f'topic="{feed}"'] == s["records"], (ins, s["records"])
    out = family(fj, "riskhub_join_records_out_total")
    assert out['kind="alerts"'] == s["alerts"] and out['kind="unmatched"'] == s["unmatched"]
    assert out['kind="dlq"'] == s["dlq"] == fj[("riskhub_dead_letters_total", "")]
    txn = family(fj, "riskhub_join_transactions_total")
    assert txn['outcome="committed"'] == s["transactions"] > 0
    assert txn['outcome="aborted"'] == s["aborts"]
    ls, fl = led.summary(), samples(final_l)
    assert fl[("riskhub_ledger_records_total", "")] == ls["records"]
    rows = family(fl, "riskhub_ledger_rows_total")
    assert rows['table="warnings"'] == ls["warnings"] > 0
    assert rows['table="list_manifests"'] == ls["manifests"]


def test_bad_address_and_taken_port(ns, tmp_path):
    for program in ("riskhub-join", "riskhub-ledger"):
        r = ns.run(program, "--config", rhtest.CONFIG, "--metrics", "9400", timeout=30)
        assert r.returncode == 64, (program, r.returncode, r.stderr)
        assert f"{program}: --metrics: expected HOST:PORT" in r.stderr, r.stderr
        r = ns.run(program, "--config", rhtest.CONFIG, "--metrics", "127.0.0.1:99999", timeout=30)
        assert r.returncode == 64 and "not a number from 0 to 65535" in r.stderr, r.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = ns.run("riskhub-join", "--config", rhtest.CONFIG, "--metrics", f"127.0.0.1:{port}",
                   timeout=30)
    assert r.returncode == 69, (r.returncode, r.stderr)
    assert re.search(rf"--metrics 127\.0\.0\.1:{port}: cannot listen on 127\.0\.0\.1:{port}: "
                     r"Address already in use", r.stderr), r.stderr
