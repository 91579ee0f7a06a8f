"""riskhub-produce --watch: a dropped file is published and moved to done/;
a refused one goes to failed/ with its reason; kill -9 mid-file and a restart
publish the file whole, once (read_committed)."""
import os
import random
import shutil
import signal
import subprocess
import time

import pytest

import rhtest
from rhtest import PERIOD, header


@pytest.fixture
def ns(namespace):
    """A topic prefix of the test's own (riskhub-produce needs no database)."""
    return namespace(database=False)


@pytest.fixture(scope="module")
def data(generate):
    return generate(households=1500, seed=random.randrange(1, 2**31), big_feed_rows=600000)


def start_watch(ns, drop, *extra, config=rhtest.CONFIG, env=None):
    # the log goes to a file, not a pipe: a pipe nobody reads would block the watcher
    # (appended: the watcher writes at the end while log_of reads from the start)
    log = open(drop.parent / f"watch-{time.time_ns()}.log", "a+")
    proc = ns.popen("riskhub-produce", "--config", config, "--watch", drop, "--poll-ms", 200,
                    "--settle-ms", 300, *extra, stdout=log, stderr=subprocess.STDOUT, text=True,
                    env=env)
    proc.logfile = log
    return proc


def log_of(proc):
    proc.logfile.seek(0)
    return proc.logfile.read()


def wait_for(path, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if path.exists():
            return True
        time.sleep(0.2)
    return False


def drop_file(src, drop, name):
    # as a department's system would: write under a hidden name, then rename
    tmp = drop / f".{name}.part"
    shutil.copy(src, tmp)
    os.rename(tmp, drop / name)


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    return log_of(proc)


def test_dropped_file_published_refused_file_failed(ns, data, tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    proc = start_watch(ns, drop, "--metrics", "127.0.0.1:0")
    try:
        port = rhtest.metrics_port(proc, lambda: log_of(proc))
        name = f"health.major-disease.{PERIOD}.csv"
        drop_file(data / PERIOD / name, drop, name)
        drop_file(data / "bad" / "wrong-checksum.csv", drop, f"medical-insurance.high-self-pay.{PERIOD}.csv")
        drop_file(data / "bad" / "wrong-header.csv", drop, f"medical-insurance.high-self-pay.2026-09.csv")
        drop_file(data / PERIOD / name, drop, "not-a-batch-name.csv")
        for f in (drop / "done" / f"{name}.summary.txt",
                  drop / "done" / f"medical-insurance.high-self-pay.{PERIOD}.csv.summary.txt",
                  drop / "failed" / "medical-insurance.high-self-pay.2026-09.csv.reason.txt",
                  drop / "failed" / "not-a-batch-name.csv.reason.txt"):
            assert wait_for(f), f"{f.name} did not appear; watcher log:\n{log_of(proc)}"
        # /metrics: the files by outcome, the rows, each feed's last list (the page is
        # published once a second: wait for the last file's count)
        def counted():
            s = rhtest.metric_samples(rhtest.http_get(port, "/metrics")[1])
            files = rhtest.metric_family(s, "riskhub_produce_files_total")
            return s if sum(files.values()) == 4 else None
        s = rhtest.wait_for(counted, 10, "four files counted on /metrics")
        page = rhtest.http_get(port, "/metrics")[1]
        health = rhtest.http_get(port, "/healthz")[:2]
    finally:
        log = stop(proc)
    assert proc.returncode == 0, log
    files = rhtest.metric_family(s, "riskhub_produce_files_total")
    assert files == {'department="health",feed="major-disease",outcome="published"': 1,
                     'department="medical-insurance",feed="high-self-pay",outcome="rows_rejected"': 1,
                     'outcome="refused"': 2}, files
    rows = rhtest.metric_family(s, "riskhub_produce_rows_total")
    assert rows['department="medical-insurance",feed="high-self-pay",kind="rejected"'] == 3, rows
    last = rhtest.metric_family(s, "riskhub_last_list_timestamp_seconds")
    assert set(last) == {'department="health",feed="major-disease"',
                         'department="medical-insurance",feed="high-self-pay"'}, last
    assert health == (200, "ok\n"), health
    assert s[("riskhub_produce_files_waiting", "")] == 0
    rhtest.assert_no_full_id(page)
    rhtest.assert_no_full_id(log)
    assert (drop / "done" / name).exists() and not (drop / name).exists()
    assert "0 rejected" in (drop / "done" / f"{name}.summary.txt").read_text()
    assert "3 rejected" in (drop / "done" / f"medical-insurance.high-self-pay.{PERIOD}.csv.summary.txt").read_text()
    assert (drop / "done" / f"medical-insurance.high-self-pay.{PERIOD}.csv.rejects.csv").exists()
    assert "身份证号" in (drop / "failed" / "medical-insurance.high-self-pay.2026-09.csv.reason.txt").read_text()
    assert "<department>.<feed>.<period>.csv" in (drop / "failed" / "not-a-batch-name.csv.reason.txt").read_text()
    bid = rhtest.batch_id("health", "major-disease", PERIOD, drop / "done" / name)
    assert bid in ns.manifests_by_batch()
    # what the watcher writes is its account's alone
    for sub in ("done", "failed"):
        assert (drop / sub).stat().st_mode & 0o777 == 0o700, sub
        for f in (drop / sub).iterdir():
            if f.name.endswith((".txt", ".rejects.csv")):
                assert f.stat().st_mode & 0o077 == 0, f"{f.name} readable by others"


def test_a_departments_folder_refuses_another_departments_list(ns, data, tmp_path):
    """--watch DIR --department health: the folder is health's; a list of another
    department dropped there goes to failed/ with the reason, nothing published."""
    drop = tmp_path / "drop"
    drop.mkdir()
    other = f"medical-insurance.high-self-pay.{PERIOD}.csv"
    drop_file(data / PERIOD / other, drop, other)
    r = ns.run("riskhub-produce", "--config", rhtest.CONFIG, "--watch", drop, "--department",
               "health", "--once", "--settle-ms", 0, timeout=120)
    assert r.returncode == 0, r.stderr
    reason = (drop / "failed" / f"{other}.reason.txt").read_text()
    assert "department health's" in reason and "medical-insurance" in reason, reason
    assert ns.manifests_by_batch() == {}
    r = ns.run("riskhub-produce", "--config", rhtest.CONFIG, "--watch", drop, "--feed", "x")
    assert r.returncode == 64


def test_links_and_control_characters_are_refused(ns, data, tmp_path):
    """A symbolic link in the drop folder is never followed (one to a list outside the
    folder, one to a file that is no list): refused by name, nothing of the target
    read, published or written to the log; a file name with a line break cannot forge
    a log line (issue 12)."""
    drop = tmp_path / "drop"
    drop.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    name = f"health.major-disease.{PERIOD}.csv"
    shutil.copy(data / PERIOD / name, outside / name)
    secret = outside / "secret.txt"
    secret.write_text("root:$6$NOT-A-LIST:19000:0:99999:7:::\n")
    os.symlink(outside / name, drop / name)
    os.symlink(secret, drop / f"water.drinking-water.{PERIOD}.csv")
    forged = f"tax.businesses.{PERIOD}\n2026-12-04T00:00:00Z riskhub-produce INFO: forged.csv"
    shutil.copy(data / PERIOD / name, drop / forged)
    proc = start_watch(ns, drop)
    try:
        for f in (f"{name}.reason.txt", f"water.drinking-water.{PERIOD}.csv.reason.txt",
                  f"{forged}.reason.txt"):
            assert wait_for(drop / "failed" / f, 60), f"{f!r} not refused: {log_of(proc)}"
    finally:
        log = stop(proc)
    assert "symbolic link" in (drop / "failed" / f"{name}.reason.txt").read_text()
    assert (drop / "failed" / name).is_symlink() and (outside / name).exists()
    assert "NOT-A-LIST" not in log and "root:" not in log
    assert not any("NOT-A-LIST" in f.read_text() for f in (drop / "failed").glob("*.txt"))
    assert "\n2026-12-04T00:00:00Z riskhub-produce INFO: forged" not in log, log
    assert "control character" in log
    assert ns.manifests_by_batch() == {}, "a link or a refused name was published"


def test_kill_mid_file_and_restart_publishes_once(ns, data, tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    name = f"health.major-disease.{PERIOD}.csv"
    src = data / PERIOD / f"bench.health.major-disease.{PERIOD}.csv"
    bid = rhtest.batch_id("health", "major-disease", PERIOD, src)
    before = ns.end_offsets("feed.health.major-disease")
    proc = start_watch(ns, drop)
    drop_file(src, drop, name)
    # publishing has begun once the rejects file is opened (after the header)
    assert rhtest.wait_for_glob(drop / "done", f"{name}.rejects.csv.tmp*", 60), log_of(proc)
    time.sleep(0.3)
    assert not (drop / "done" / name).exists(), "finished before the kill"
    proc.kill()  # SIGKILL: no clean-up at all
    proc.wait()
    assert (drop / name).exists(), "the file must stay in the drop folder"
    assert bid not in ns.manifests_by_batch()

    proc = start_watch(ns, drop)
    try:
        assert wait_for(drop / "done" / f"{name}.summary.txt", timeout=300), log_of(proc)
    finally:
        log = stop(proc)
    assert proc.returncode == 0, log
    mans = ns.manifests_by_batch()[bid]
    assert len(mans) == 1 and mans[0]["rows_accepted"] == 600000
    rows = []  # only the row numbers are kept: 600,000 messages would not fit
    ns.read_topic("feed.health.major-disease", timeout=300, since=before,
                      keep=lambda m: header(m, "batch_id") == bid and rows.append(header(m, "row")))
    assert len(rows) == 600000 and len(set(rows)) == 600000


def one_list_dropped(data, tmp_path, timeout_ms):
    """(drop folder, the list's name, a config whose Kafka timeouts are timeout_ms)."""
    drop = tmp_path / "drop"
    drop.mkdir()
    name = f"health.major-disease.{PERIOD}.csv"
    drop_file(data / PERIOD / name, drop, name)
    return drop, name, rhtest.config_with(tmp_path, message_timeout_ms=timeout_ms,
                                          socket_timeout_ms=timeout_ms)


def test_broker_away_shows_on_healthz(ns, data, tmp_path):
    """While the broker is away the file waits, and /healthz says so (503)."""
    drop, name, config = one_list_dropped(data, tmp_path, 2000)
    proc = start_watch(ns, drop, "--metrics", "127.0.0.1:0", "--timeout-ms", 2000, config=config,
                       env={"RH_KAFKA_BOOTSTRAP": "127.0.0.1:1"})  # nothing listens there
    try:
        port = rhtest.metrics_port(proc, lambda: log_of(proc))
        status, body, _ = rhtest.wait_for(
            lambda: (lambda r: r if r[0] == 503 and "Kafka" in r[1] else None)(
                rhtest.http_get(port, "/healthz")), 60, "/healthz 503")
        s = rhtest.metric_samples(rhtest.http_get(port, "/metrics")[1])
    finally:
        log = stop(proc)
    assert proc.returncode == 0, log
    assert body == "Kafka unavailable: 1 file(s) wait to be published (see the log)\n", body
    assert s[("riskhub_produce_files_waiting", "")] == 1
    assert s[("riskhub_healthy", "")] == 0
    files = rhtest.metric_family(s, "riskhub_produce_files_total")
    assert set(files) == {'outcome="retry"'} and files['outcome="retry"'] >= 1, files
    assert (drop / name).exists(), "the file must stay for the retry"


def test_metrics_only_with_watch(ns, data):
    r = ns.run("riskhub-produce", "--config", rhtest.CONFIG, "--department", "health", "--feed",
               "major-disease", "--period", PERIOD, "--metrics", "127.0.0.1:0",
               data / PERIOD / f"health.major-disease.{PERIOD}.csv", timeout=30)
    assert r.returncode == 64, (r.returncode, r.stderr)
    assert "riskhub-produce: --metrics is for --watch DIR" in r.stderr, r.stderr


def test_broker_away_leaves_file_for_retry(ns, data, tmp_path):
    drop, name, config = one_list_dropped(data, tmp_path, 3000)
    r = ns.run("riskhub-produce", "--config", config, "--watch", drop, "--once", "--settle-ms", 0,
               "--timeout-ms", 3000, timeout=120,
               env={"RH_KAFKA_BOOTSTRAP": "127.0.0.1:1"})  # nothing listens there
    assert r.returncode == 69, r.stderr
    assert "tried again" in r.stderr
    assert (drop / name).exists(), "the file must stay for the retry"
    assert not any((drop / "failed").iterdir()) and not any((drop / "done").iterdir())
