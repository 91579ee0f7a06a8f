"""riskhub-identity while the broker pauses (SIGSTOP), compared with a fault-free run
(docs/identity.md, "Exactly once"): the same list compared in two namespaces, the
second run with the shared broker paused halfway through it for 10 s. Each
discrepancy once, the same as the fault-free run's; the paused run either finishes
(0, every version said opened is on the topics) or says nothing was sent (69), and
a run after it completes without doubling anything.

SIGSTOPs the shared broker (rhtest.broker_pid), so CTest runs this file alone
(RUN_SERIAL); the SIGCONT is sent whatever happens.

PYTEST_DONT_REWRITE: assertion messages are only the ones written here."""
import collections
import os
import signal
import subprocess
import time

import pytest

import rhtest
from rhtest import PERIOD, scrub
from test_identity import DEPT, FEED, IDENTITY, MONTH, discrepancies, identity, plant  # noqa: F401

PAUSE_S = 10

if not IDENTITY.exists():
    pytest.skip("riskhub-identity is not built", allow_module_level=True)


def found(ns):
    """Counter of (topic, kind, person, status, version) on the identity topics."""
    return collections.Counter((t, r["kind"], r["person_id_number"], r["status"], r["version"])
                               for t, _, r in discrepancies(ns))


def test_a_run_through_a_broker_pause(namespace, month, cfg, reg, tmp_path):
    rows, want, _, _ = plant(reg)
    path = rhtest.write_feed_csv(cfg, DEPT, FEED, tmp_path / f"{DEPT}.{FEED}.{PERIOD}.csv", rows)
    calm, paused = namespace(month / "registry"), namespace(month / "registry")
    for ns in (calm, paused):
        ns.produce(DEPT, FEED, path)
    t0 = time.monotonic()
    identity(calm)
    took = time.monotonic() - t0
    reference = found(calm)
    assert len(reference) == len(want) and set(reference.values()) == {1}

    p = paused.popen("riskhub-identity", "--config", rhtest.CONFIG, "--period", PERIOD,
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pid = rhtest.broker_pid()
    time.sleep(took / 2)
    os.kill(pid, signal.SIGSTOP)
    try:
        time.sleep(PAUSE_S)
    finally:
        os.kill(pid, signal.SIGCONT)
    out, err = p.communicate(timeout=300)
    rhtest.assert_no_full_id(out, err)
    assert p.returncode in (0, 69), f"exit {p.returncode}: {scrub(err)}"
    print(f"fault-free run {took:.1f} s; paused {PAUSE_S} s after {took / 2:.1f} s: exit {p.returncode}")
    after = found(paused)
    if p.returncode == 0:
        assert f"{len(want)} discrepancies open: {len(want)} opened" in out, scrub(out)
        assert after == reference, "the paused run's discrepancies differ from the fault-free run's"
    else:
        assert "nothing sent" in err and "opened" not in out, scrub(out + err)
    # a run after the pause: whatever the paused one left, each discrepancy once
    r = identity(paused)
    assert found(paused) == reference, f"after the pause: {scrub(r.stdout)}"
    assert f"{len(want)} discrepancies open" in r.stdout
