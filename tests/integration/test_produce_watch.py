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
from rhtest import header, run

PERIOD = "2026-10"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen")
    r = run("riskhub-gen", "--config", rhtest.CONFIG, "--out", out, "--period", PERIOD,
            "--households", 1500, "--seed", random.randrange(1, 2**31), "--big-feed-rows", 600000)
    assert r.returncode == 0, r.stderr
    return out


def start_watch(drop):
    return subprocess.Popen([str(rhtest.BIN / "riskhub-produce"), "--config", str(rhtest.CONFIG),
                             "--watch", str(drop), "--poll-ms", "200", "--settle-ms", "300"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


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
        out, _ = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out


def test_dropped_file_published_refused_file_failed(data, tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    proc = start_watch(drop)
    try:
        name = f"health.major-disease.{PERIOD}.csv"
        drop_file(data / PERIOD / name, drop, name)
        drop_file(data / "bad" / "wrong-checksum.csv", drop, f"medical-insurance.high-self-pay.{PERIOD}.csv")
        drop_file(data / "bad" / "wrong-header.csv", drop, f"medical-insurance.high-self-pay.2026-09.csv")
        drop_file(data / PERIOD / name, drop, "not-a-batch-name.csv")
        assert wait_for(drop / "done" / f"{name}.summary.txt")
        assert wait_for(drop / "done" / f"medical-insurance.high-self-pay.{PERIOD}.csv.summary.txt")
        assert wait_for(drop / "failed" / "medical-insurance.high-self-pay.2026-09.csv.reason.txt")
        assert wait_for(drop / "failed" / "not-a-batch-name.csv.reason.txt")
    finally:
        log = stop(proc)
    assert proc.returncode == 0, log
    rhtest.assert_no_full_id(log)
    assert (drop / "done" / name).exists() and not (drop / name).exists()
    assert "0 rejected" in (drop / "done" / f"{name}.summary.txt").read_text()
    assert "3 rejected" in (drop / "done" / f"medical-insurance.high-self-pay.{PERIOD}.csv.summary.txt").read_text()
    assert (drop / "done" / f"medical-insurance.high-self-pay.{PERIOD}.csv.rejects.csv").exists()
    assert "身份证号" in (drop / "failed" / "medical-insurance.high-self-pay.2026-09.csv.reason.txt").read_text()
    assert "<department>.<feed>.<period>.csv" in (drop / "failed" / "not-a-batch-name.csv.reason.txt").read_text()
    bid = rhtest.batch_id("health", "major-disease", PERIOD, drop / "done" / name)
    assert bid in rhtest.manifests_by_batch()


def test_kill_mid_file_and_restart_publishes_once(data, tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    name = f"health.major-disease.{PERIOD}.csv"
    src = data / PERIOD / f"bench.health.major-disease.{PERIOD}.csv"
    bid = rhtest.batch_id("health", "major-disease", PERIOD, src)
    before = rhtest.end_offsets("feed.health.major-disease")
    proc = start_watch(drop)
    drop_file(src, drop, name)
    # publishing has begun once the rejects file is opened (after the header)
    assert rhtest.wait_for_glob(drop / "done", f"{name}.rejects.csv.tmp*", 60)
    time.sleep(0.3)
    assert not (drop / "done" / name).exists(), "finished before the kill"
    proc.kill()  # SIGKILL: no clean-up at all
    proc.communicate()
    assert (drop / name).exists(), "the file must stay in the drop folder"
    assert bid not in rhtest.manifests_by_batch()

    proc = start_watch(drop)
    try:
        assert wait_for(drop / "done" / f"{name}.summary.txt", timeout=300)
    finally:
        log = stop(proc)
    assert proc.returncode == 0, log
    mans = rhtest.manifests_by_batch()[bid]
    assert len(mans) == 1 and mans[0]["rows_accepted"] == 600000
    rows = []  # only the row numbers are kept: 600,000 messages would not fit
    rhtest.read_topic("feed.health.major-disease", timeout=300, since=before,
                      keep=lambda m: header(m, "batch_id") == bid and rows.append(header(m, "row")))
    assert len(rows) == 600000 and len(set(rows)) == 600000
