"""Signed lists (issue 12; docs/security.md, "Signed lists"), tried as an attacker would.

Every department signs its BatchManifest with its own Ed25519 key (scripts/keys.sh,
RH_KEYS_DIR); the join, the ledger, riskhub-status and riskhub-replay believe a
manifest only when it verifies against that department's public key, read from that
department's own topic feed.<dept>.manifests (which only its principal may write, test_kafka_acl.py).
The attacks of the issue, each done here with messages written straight to the
manifests topics, as an insider with a department's Kafka credentials but not its key:

  - an unsigned, empty check-list manifest of banks/large-deposits (before: every
    applicant got a clean comparison, "1 results (0 matched)", and replay said "equal");
  - a manifest of banks/large-deposits signed with health's key;
  - health's real manifest with its finished_at moved earlier (a late list made on
    time in riskhub-status);
  - a manifest of a batch not yet published (riskhub-produce said "already published");
  - health's real, signed manifest copied to banks's manifests topic (banks passing
    health's list off as arrived through its own topic).

Each changes nothing: no check result, the list still missing in both reports, the
ledger without it, replay lists each as forged, the join puts each in the dead-letter
topic with its reason. The signatures and link hashes are also computed here,
independently of the C code (rhtest.signing, openssl), and must agree with what
riskhub-produce wrote; each list names the one before it (the chain).

PYTEST_DONT_REWRITE"""
import csv
import hashlib
import io
import json
import os
import shutil
from datetime import timedelta

import rhtest
from rhtest import IDLE_MS, PERIOD

MONTH = dict(households=600, rows_per_feed=30, seed=8812)


def forge(ns, *manifests, on=None):
    """Each manifest written to the manifests topic of the department it names (or of
    department `on`)."""
    for m in manifests:
        rhtest.produce_raw(ns.topic(f"feed.{on or m['department']}.manifests"),
                           [(m["batch_id"].encode(), rhtest.encode("BatchManifest", m))])


def only_manifest(ns, dept, feed):
    ms = [m for ms in ns.manifests_by_batch().values() for m in ms
          if (m["department"], m["feed"]) == (dept, feed)]
    return sorted(ms, key=lambda m: m["finished_at"])


def status_lists(ns, *args):
    r = ns.run("riskhub-status", "--format", "csv", "--period", PERIOD, *args)
    assert r.returncode in (0, 1), r.stderr
    rhtest.assert_no_full_id(r.stdout, r.stderr)
    lists = list(csv.DictReader(io.StringIO(r.stdout.split("\n\n")[0], newline="")))
    return {(x["department"], x["feed"]): x for x in lists}, r.stderr


def test_forged_manifests_change_nothing(namespace, month, cfg, reg, tmp_path):
    ns = namespace(month / "registry")
    files = {(d, f): p for d, f, p in rhtest.feed_files(month / PERIOD)}
    assert reg.applicants(PERIOD), "the month has no applicant: a forged check list would show nothing"

    # a real list, signed by health's key
    ns.produce("health", "major-disease", files[("health", "major-disease")])
    [real] = only_manifest(ns, "health", "major-disease")
    assert real["key_id"] == rhtest.public_key_id("health")
    assert rhtest.sign_manifest(real)["signature"] == real["signature"], \
        "the C signature differs from openssl's over the same signed text"
    assert real["prev_manifest_sha256"] == "" and len(real["records_sha256"]) == 64

    banks = ns.topic("feed.banks.large-deposits")
    empty = dict(real, batch_id="f" * 64, department="banks", feed="large-deposits", kind="CHECK",
                 topic=banks, rows_total=0, rows_accepted=0, rows_rejected=0, partitions=[],
                 key_id="", signature="", records_sha256="", prev_manifest_sha256="")
    by_health = rhtest.sign_manifest(dict(empty, batch_id="e" * 64), department="health")
    altered = dict(real, finished_at=real["finished_at"] - timedelta(days=40))
    forge(ns, empty, by_health, altered)
    forge(ns, real, on="banks")

    # the join: each to the dead-letter topic with its reason; no check result
    j = ns.join("--idle-exit-ms", IDLE_MS, log_dir=tmp_path / "logs")
    assert j.wait(300) == 0, j.tail()
    assert ns.read("checks.") == [], "a forged check list gave applicants a comparison"
    assert ns.read("alerts."), "the real list raised no alert"
    dlq = rhtest.read_topics([ns.topic("riskhub.dlq")])
    reasons = sorted(rhtest.header(m, "error") for m in dlq)
    assert len(reasons) == 4, reasons
    assert all(r.startswith("manifest refused: ") for r in reasons), reasons
    assert any(f"a manifest of health found on {ns.topic('feed.banks.manifests')}" in r
               for r in reasons), reasons
    assert any("not signed" in r for r in reasons), reasons
    assert any("not one of banks's keys" in r for r in reasons), reasons
    assert any("does not verify with health's key" in r for r in reasons), reasons

    # riskhub-status, from the topics and from the ledger: banks still missing, health's
    # list finished when it really did
    lists, err = status_lists(ns, "--source", "topics")
    assert lists[("banks", "large-deposits")]["status"] == "missing", lists[("banks", "large-deposits")]
    assert lists[("health", "major-disease")]["manifests"] == "1"
    assert "4 manifests were not counted" in err, err
    rhtest.run_ledger(ns)
    rows = rhtest.psql(ns.conninfo, "SELECT department, feed FROM list_manifests ORDER BY 1, 2")
    assert rows.split() == ["health|major-disease"], rows
    led, _ = status_lists(ns)
    assert led[("banks", "large-deposits")]["status"] == "missing"
    assert led[("health", "major-disease")]["manifests"] == "1"

    # riskhub-replay: the month equal, the four named as forged
    r = ns.run("riskhub-replay", "--period", PERIOD, "--format", "json")
    assert r.returncode == 0, r.stderr[-3000:]
    rep = json.loads(r.stdout)
    forged = sorted((x["department"], x["feed"]) for x in rep["forged_manifests"])
    assert forged == [("banks", "large-deposits"), ("banks", "large-deposits"),
                      ("health", "major-disease"), ("health", "major-disease")], rep["forged_manifests"]
    assert rep["forged_manifests_count"] == 4
    t = ns.run("riskhub-replay", "--period", PERIOD)
    assert "FORGED: 4 manifest(s)" in t.stdout and "清单签名无效" in t.stdout, t.stdout[-2000:]


def test_produce_believes_only_signed_manifests_and_chains(namespace, month, tmp_path):
    ns = namespace()
    files = {(d, f): p for d, f, p in rhtest.feed_files(month / PERIOD)}
    dept, feed = "tax", "real-estate"
    path = files[(dept, feed)]
    bid = rhtest.batch_id(dept, feed, PERIOD, path)
    # a manifest of this very batch, not signed: before, the clerk was told "already published"
    fake = {"batch_id": bid, "department": dept, "feed": feed, "kind": "CHECK", "period": PERIOD,
            "topic": ns.topic(f"feed.{dept}.{feed}"), "source_name": path.name,
            "source_sha256": "0" * 64, "schema_fingerprint": "0" * 16, "rows_total": 1,
            "rows_accepted": 1, "rows_rejected": 0, "partitions": [], "started_at": 0,
            "finished_at": 1, "producer": "forger"}
    forge(ns, fake)
    r = ns.produce(dept, feed, path, check=False)
    assert r.returncode == 0, (r.returncode, r.stderr[-2000:])
    assert "not believed" in r.stderr, r.stderr[-2000:]
    # once more: now it is published (by its department)
    r = ns.produce(dept, feed, path, check=False)
    assert r.returncode == 3, (r.returncode, r.stdout, r.stderr[-2000:])
    # a list of the feed again: it names the one before
    again = tmp_path / path.name
    again.write_bytes(path.read_bytes() + b"\n")
    ns.produce(dept, feed, again)
    first, second = [m for m in only_manifest(ns, dept, feed) if m["producer"] != "forger"]
    assert first["prev_manifest_sha256"] == ""
    # records_sha256, computed here from the records on the broker
    mine = []
    for m in rhtest.read_topics([ns.topic(f"feed.{dept}.{feed}")]):
        name, rec = rhtest.decode(m.value())
        if rec["batch_id"] == first["batch_id"]:
            mine.append((rec["row_number"], hashlib.sha256(m.value()).digest()))
    assert len(mine) == first["rows_accepted"] > 0
    assert first["records_sha256"] == hashlib.sha256(b"".join(d for _, d in sorted(mine))).hexdigest()
    assert second["prev_manifest_sha256"] == rhtest.manifest_link(first)
    assert rhtest.sign_manifest(second)["signature"] == second["signature"]

    # riskhub-replay --verify-chain: the department's chain intact, the forgery named
    r = ns.run("riskhub-replay", "--verify-chain", "--department", dept, "--feed", feed)
    assert r.returncode == 70, (r.returncode, r.stdout, r.stderr[-2000:])
    assert "tax/real-estate: 3 manifest(s), 2 signed: chain intact" in r.stdout, r.stdout
    assert f"FORGED: batch {bid[:12]}" in r.stdout and "not signed" in r.stdout, r.stdout
    # a list signed with the department's own key (stolen, or an old one written again)
    # that names a manifest the feed never had: the first broken link, by name
    stray = dict(second, batch_id="c" * 64, prev_manifest_sha256="9" * 64,
                 finished_at=second["finished_at"] + timedelta(hours=1))
    forge(ns, rhtest.sign_manifest(stray))
    r = ns.run("riskhub-replay", "--verify-chain", "--feed", feed, "--format", "json")
    assert r.returncode == 70, (r.returncode, r.stderr[-2000:])
    [chain] = json.loads(r.stdout)["feeds"]
    assert (chain["department"], chain["feed"], chain["signed"], chain["intact"]) == \
        (dept, feed, 3, False), chain
    assert chain["first_broken"]["batch_id"] == "c" * 64, chain
    assert "not among the feed's signed lists before it" in chain["first_broken"]["reason"], chain
    assert chain["forged_count"] == 1
    # another feed with only its department's lists: intact, exit 0
    ns.produce("health", "major-disease", files[("health", "major-disease")])
    r = ns.run("riskhub-replay", "--verify-chain", "--department", "health")
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr[-2000:])
    assert "health/major-disease: 1 manifest(s), 1 signed: chain intact" in r.stdout, r.stdout


def test_produce_without_a_usable_key(namespace, month, tmp_path):
    ns = namespace()
    dept, feed, path = next(f for f in rhtest.feed_files(month / PERIOD) if f[:2] == ("health", "major-disease"))
    empty = tmp_path / "keys"
    empty.mkdir()
    r = ns.run("riskhub-produce", "-d", dept, "-f", feed, "-p", PERIOD, "--no-progress", path,
               env={"RH_KEYS_DIR": str(empty)})
    assert r.returncode == 78, r.stderr
    assert "signing key of health" in r.stderr, r.stderr
    # the clerk's language (common/rh_i18n.h)
    r = ns.run("riskhub-produce", "-d", dept, "-f", feed, "-p", PERIOD, "--no-progress", path,
               env={"RH_KEYS_DIR": str(empty), "LC_ALL": "zh_CN.UTF-8"})
    assert r.returncode == 78 and "health 的签名密钥不可用" in r.stderr, r.stderr
    # a key others can read
    key = tmp_path / "health.key"
    shutil.copy(rhtest.KEYS_DIR / "health.key", key)
    os.chmod(key, 0o644)
    r = ns.run("riskhub-produce", "-d", dept, "-f", feed, "-p", PERIOD, "--no-progress",
               "--signing-key", key, path)
    assert r.returncode == 78 and "chmod 600" in r.stderr, r.stderr
    # another department's key: published, but nobody believes it
    os.chmod(key, 0o600)
    r = ns.run("riskhub-produce", "-d", dept, "-f", feed, "-p", PERIOD, "--no-progress",
               "--signing-key", rhtest.KEYS_DIR / "tax.key", path)
    assert r.returncode == 0, r.stderr
    lists, err = status_lists(ns, "--source", "topics")
    assert lists[(dept, feed)]["status"] == "missing" and "not counted" in err, (lists[(dept, feed)], err)


def test_months_on_the_shared_topic_of_before(namespace, month):
    """A hub from before 2026-12 has its months' manifests on the shared feed.manifests:
    riskhub-status still reads them there (signature checked, as on a department's own
    topic), while the same signed manifest on another department's topic is refused.
    Nobody may write the shared topic any more (the ACL plan has no binding on it,
    tests/unit/acl/test_acl_plan.c)."""
    ns = namespace()
    files = {(d, f): p for d, f, p in rhtest.feed_files(month / PERIOD)}
    ns.produce("health", "major-disease", files[("health", "major-disease")])
    [real] = only_manifest(ns, "health", "major-disease")
    old = rhtest.sign_manifest(dict(real, batch_id="c" * 64, department="banks", feed="large-deposits",
                                    kind="CHECK", topic=ns.topic("feed.banks.large-deposits"),
                                    partitions=[], rows_total=0, rows_accepted=0, rows_rejected=0,
                                    records_sha256="", prev_manifest_sha256=""))
    legacy = ns.topic("feed.manifests")
    rhtest.create_topics([legacy])
    rhtest.produce_raw(legacy, [(old["batch_id"].encode(), rhtest.encode("BatchManifest", old))])
    lists, err = status_lists(ns, "--source", "topics")
    assert lists[("banks", "large-deposits")]["status"] != "missing", lists[("banks", "large-deposits")]
    assert lists[("banks", "large-deposits")]["manifests"] == "1"
    assert "not counted" not in err, err
    # the same, signed, on health's own topic: not banks's, refused
    forge(ns, old, on="health")
    lists, err = status_lists(ns, "--source", "topics")
    assert lists[("banks", "large-deposits")]["manifests"] == "1"
    assert "1 manifests were not counted" in err, err


def test_join_refuses_manifests_out_of_the_chain(namespace, month, tmp_path):
    """A list signed with the department's own key but out of its feed's chain (an old
    manifest written again, one naming a list the feed never had, one starting the chain
    again) goes to the dead-letter topic with its reason; the lists in the chain do not,
    and --verify-chain names the copy. The manifests topic is stamped by the broker."""
    ns = namespace(month / "registry")
    files = {(d, f): p for d, f, p in rhtest.feed_files(month / PERIOD)}
    dept, feed = "tax", "real-estate"
    path = files[(dept, feed)]
    ns.produce(dept, feed, path)
    again = tmp_path / path.name
    again.write_bytes(path.read_bytes() + b"\n")
    ns.produce(dept, feed, again)
    first, second = only_manifest(ns, dept, feed)
    assert second["prev_manifest_sha256"] == rhtest.manifest_link(first)

    conf = rhtest.topic_configs(ns.topic(f"feed.{dept}.manifests"))
    assert conf["message.timestamp.type"] == "LogAppendTime", conf

    later = second["finished_at"] + timedelta(hours=1)
    stray = rhtest.sign_manifest(dict(second, batch_id="c" * 64, prev_manifest_sha256="9" * 64,
                                      finished_at=later))
    restart = rhtest.sign_manifest(dict(second, batch_id="d" * 64, prev_manifest_sha256="",
                                        finished_at=later + timedelta(hours=1)))
    # first: the very same signed list, written again
    [(copy_part, copy_off)] = rhtest.produce_raw(ns.topic(f"feed.{dept}.manifests"),
                                                 [(first["batch_id"].encode(),
                                                   rhtest.encode("BatchManifest", first))])
    forge(ns, stray, restart)

    j = ns.join("--idle-exit-ms", IDLE_MS, log_dir=tmp_path / "logs")
    assert j.wait(300) == 0, j.tail()
    dlq = rhtest.read_topics([ns.topic("riskhub.dlq")])
    reasons = sorted(rhtest.header(m, "error") for m in dlq)
    assert len(reasons) == 3, reasons
    assert all(r.startswith("manifest out of its feed's chain: ") for r in reasons), reasons
    assert any("the same signed list written again" in r for r in reasons), reasons
    assert any("not among the feed's signed lists before it" in r for r in reasons), reasons
    assert any("the chain starts again here" in r for r in reasons), reasons
    assert ns.read("checks."), "the lists in the chain gave no comparison"

    r = ns.run("riskhub-replay", "--verify-chain", "--feed", feed, "--format", "json")
    assert r.returncode == 70, (r.returncode, r.stderr[-2000:])
    [chain] = json.loads(r.stdout)["feeds"]
    assert (chain["manifests"], chain["broken_links"], chain["forged_count"]) == (5, 3, 0), chain
    assert chain["first_broken"]["batch_id"] == first["batch_id"], chain
    # the copy, not the original: where it was written
    assert (chain["first_broken"]["partition"], chain["first_broken"]["offset"]) == \
        (copy_part, copy_off), chain
    assert "the same signed list written again" in chain["first_broken"]["reason"], chain
