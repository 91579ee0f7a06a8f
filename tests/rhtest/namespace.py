"""The test namespace: every test runs in a topic prefix and a scratch database of
its own, never in the default (empty-prefix) namespace and database `riskhub`.

Reserved names, so that rhtest.snapshot can tell tests' things from the hub's:

  - topic prefixes of tests and benchmarks start with "rhtest-" and are valid
    topic_prefix values (docs/configuration.md): "rhtest-<10 hex>." for a test,
    "rhtest-<kind>-<10 hex>." for others ("rhtest-bench-...", "rhtest-stray-...");
    riskhub's programs put the prefix in front of every topic, consumer group and
    transactional id, and rhtest's own clients use "rhtest-" ids too;
  - scratch databases are riskhub_test_<hex> (benchmarks: riskhub_bench_<...>).

Nothing here creates, writes or deletes anything outside those names: Namespace()
refuses any other prefix, and the delete helpers assert it.
"""
import concurrent.futures
import os
import re
import subprocess
import time
import uuid

from .avro import decode
from .config import load_config
from . import env as _env
from .env import BIN, CONFIG, PERIOD
from .kafka import (create_topics, delete_groups, delete_topics, end_offsets, list_groups, list_topics,
                    manifests_by_batch, read_topic, read_topics)
from .pg import conninfo_of, create_database, drop_database
from .privacy import scrub

__all__ = ["TEST_FAMILY", "TEST_PREFIX", "new_prefix", "is_test_prefix", "assert_test_prefix",
           "Namespace"]

TEST_FAMILY = "rhtest-"
TEST_PREFIX = re.compile(r"rhtest-[a-z0-9-]*[0-9a-f]{8,}\.")


def new_prefix(kind=None):
    """A fresh test prefix: "rhtest-1a2b3c4d5e." or "rhtest-<kind>-1a2b3c4d5e."."""
    return f"{TEST_FAMILY}{kind + '-' if kind else ''}{uuid.uuid4().hex[:10]}."


def is_test_prefix(prefix):
    return bool(TEST_PREFIX.fullmatch(prefix or "")) and len(prefix) <= 64


def assert_test_prefix(prefix):
    assert is_test_prefix(prefix), (f"{prefix!r} is not a test prefix ({TEST_PREFIX.pattern}): "
                                    f"tests never touch another namespace")


class Namespace:
    """A topic prefix of its own and (database=True) a scratch database migrated with
    `riskhub-registry migrate` and, given registry_dir, loaded with `import`. The input
    topics (every feed, each department's feed.<dept>.manifests and feed.<dept>.rejects)
    exist before anything runs, as on
    a hub in service: the join's pattern subscription sees them at once, and
    riskhub-produce's create-then-warm cannot race the broker's metadata (exit 69,
    "Unknown topic or partition"); the join's OUTPUT topics are left for it to create.

    Every program the namespace runs is its own party on the brokers, as a county runs
    the hub (rhtest.Parties: a principal for each department, township and service of
    the configuration, riskhub-acl's bindings; docs/security.md), unless parties=False
    (a test that makes its own principals) or RH_TEST_PARTIES=0. The harness's own
    clients (rhtest.admin(), read_topics, produce_raw: an auditor's and an attacker's
    view) use the operator's super user.

    close() (or leaving a `with` block) deletes the namespace's consumer groups and
    topics, its parties and their bindings, and drops the database, unless keep=True
    or RH_KEEP_NAMESPACE=1.
    Without a database, RH_PG_CONNINFO names one that does not exist: a program
    that should not need PostgreSQL fails instead of writing to `riskhub`."""

    def __init__(self, registry_dir=None, database=True, keep=False, config=CONFIG, kind=None,
                 prefix=None, parties=None):
        self.prefix = new_prefix(kind) if prefix is None else prefix
        self.parties = None
        assert_test_prefix(self.prefix)
        self.dbname = f"riskhub_test_{uuid.uuid4().hex[:12]}"
        self.conninfo = conninfo_of(self.dbname)
        self.database = database
        self.keep = keep or bool(os.environ.get("RH_KEEP_NAMESPACE"))
        try:
            if database:
                create_database(self.dbname)
                r = self.run("riskhub-registry", "migrate")
                assert r.returncode == 0, f"migrate: {scrub(r.stderr)}"
                if registry_dir is not None:
                    r = self.run("riskhub-registry", "import", registry_dir)
                    assert r.returncode == 0, f"import: {scrub(r.stderr)}"
            cfg = load_config(config)
            self.departments = [d["code"] for d in cfg["departments"]]
            topics = [self.topic(f"feed.{d['code']}.{f['code']}") for d in cfg["departments"]
                      for f in d["feeds"]] + self.topics_of("feed.manifests") + self.topics_of("feed.rejects")
            if os.environ.get("RH_JOIN_PRECREATE_OUTPUTS"):
                # diagnosis only: takes the join's own topic creation out of the picture
                topics += [self.topic(f"{k}.{t['code']}") for t in cfg["townships"]
                           for k in ("alerts", "checks")]
                topics += [self.topic("alerts.unmatched"), self.topic("riskhub.dlq")]
            create_topics(topics)
            if parties is None:
                parties = os.environ.get("RH_TEST_PARTIES", "1") != "0"
            if parties:
                from .parties import Parties
                self.parties = Parties(self, config)
        except BaseException:
            self.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- names and environment ----

    def topic(self, name):
        """The full name of topic `name` ("feed.health.manifests", "alerts.411024100")."""
        return self.prefix + name

    def topics_of(self, name):
        """The full names of "feed.manifests" / "feed.rejects": every department's own
        feed.<dept>.manifests / feed.<dept>.rejects, in the configuration's order; of any
        other name, that one topic."""
        if name in ("feed.manifests", "feed.rejects"):
            kind = name.split(".")[1]
            return [self.topic(f"feed.{d}.{kind}") for d in self.departments]
        return [self.topic(name)]

    def env(self, **extra):
        """os.environ with RH_TOPIC_PREFIX, RH_PG_CONNINFO and RH_KAFKA_BOOTSTRAP of the
        namespace, then `extra` (values turned into strings)."""
        env = dict(os.environ)
        env.update(RH_TOPIC_PREFIX=self.prefix, RH_PG_CONNINFO=self.conninfo, RH_KAFKA_BOOTSTRAP=_env.BOOTSTRAP)
        # rhtest.Parties: every program as its own party on the brokers
        env.update(getattr(self, "party_env", {}))
        env.update({k: str(v) for k, v in extra.items()})
        return env

    # ---- running programs ----

    def run(self, program, *args, timeout=600, env=None, **kw):
        """A program of BIN in the namespace (env: more variables); CompletedProcess (text)."""
        return subprocess.run([str(BIN / program), *map(str, args)], capture_output=True,
                              text=True, timeout=timeout, env=self.env(**(env or {})), **kw)

    def popen(self, program, *args, env=None, **kw):
        return subprocess.Popen([str(BIN / program), *map(str, args)], env=self.env(**(env or {})), **kw)

    def produce(self, dept, feed, path, *extra, period=PERIOD, config=CONFIG, check=True, **kw):
        """riskhub-produce of one file; check: exit 0 asserted."""
        r = self.run("riskhub-produce", "--config", config, "--department", dept, "--feed", feed,
                     "--period", period, "--no-progress", *extra, path, **kw)
        if check:
            assert r.returncode == 0, f"produce {dept}/{feed}: exit {r.returncode}: {scrub(r.stderr)}"
        return r

    def produce_all(self, files, *extra, parallel=4, retries=0, **kw):
        """riskhub-produce of every (dept, feed, path) of files, exit 0 asserted: the
        lists of one feed one after the other in their order, different feeds
        `parallel` at a time (a month's 25 lists took 14.1 s one by one, 5.6 s four at
        once, 2026-12-05). retries: a produce that exits 69 (the broker away: nothing
        published) is run again after 5 s, up to that many times."""
        groups = {}
        for dept, feed, path in files:
            groups.setdefault((dept, feed), []).append(path)

        def feed_lists(key):
            dept, feed = key
            for path in groups[key]:
                for attempt in range(retries + 1):
                    r = self.produce(dept, feed, path, *extra, check=False, **kw)
                    if r.returncode != 69 or attempt == retries:
                        break
                    time.sleep(5)
                assert r.returncode == 0, \
                    f"produce {dept}/{feed}: exit {r.returncode}: {scrub(r.stderr[-2000:])}"
        failed = []
        with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
            for done in [pool.submit(feed_lists, k) for k in groups]:
                if done.exception() is not None:  # waits for it; every failure is told
                    failed.append(str(done.exception()))
        assert not failed, "\n".join(failed)

    def join(self, *args, log_dir, config=CONFIG):
        from .join import Join
        return Join(self, [str(BIN / "riskhub-join"), "--config", str(config), *map(str, args)], log_dir)

    def ledger(self, *args, log_dir, config=CONFIG, env=None):
        """riskhub-ledger in the namespace (a rhtest.Join of program "ledger"; env: more
        variables)."""
        from .join import Join
        return Join(self, [str(BIN / "riskhub-ledger"), "--config", str(config), *map(str, args)],
                    log_dir, program="ledger", env=env)

    # ---- reading ----

    def topics(self, family=""):
        return list_topics(self.prefix + family)

    def groups(self):
        return list_groups(self.prefix)

    def end_offsets(self, name):
        """{partition: high watermark} of a topic; of "feed.manifests" / "feed.rejects"
        (topics_of), {(topic, partition): high watermark} of every department's."""
        if len(self.topics_of(name)) == 1 and name not in ("feed.manifests", "feed.rejects"):
            return end_offsets(self.topic(name))
        return {(t, p): hi for t in self.topics_of(name) for p, hi in end_offsets(t).items()}

    def read_topic(self, name, **kw):
        return read_topics(self.topics_of(name), **kw)

    def manifests_by_batch(self):
        return manifests_by_batch(self.topics_of("feed.manifests"))

    def feed_records(self, dept, feed, batch=None):
        """{(batch_id, row_number): (record, source)} read back from the feed topic
        (read_committed): the lineage the join must copy."""
        return self.feed_records_of([(dept, feed)], batch)[(dept, feed)]

    def feed_records_of(self, feeds, batch=None, timeout=120):
        """feed_records of several feeds in one pass: {(dept, feed): {...}}."""
        topics = {self.topic(f"feed.{d}.{f}"): (d, f) for d, f in feeds}
        out = {k: {} for k in topics.values()}
        for m in read_topics(list(topics), timeout=timeout):
            try:
                name, rec = decode(m.value() or b"")
            except Exception:  # noqa: BLE001 - corrupt on purpose (test_corrupt_records_go_to_dlq)
                continue
            if name != "FeedRecord":
                continue
            if batch is not None and rec["batch_id"] != batch:
                continue
            out[topics[m.topic()]][(rec["batch_id"], rec["row_number"])] = (rec, {
                "topic": m.topic(), "partition": m.partition(), "offset": m.offset(),
                "batch_id": rec["batch_id"]})
        return out

    def read(self, family, timeout=60):
        """[(topic without prefix, key, decoded record, message)] of every topic of
        a family ('alerts.', 'checks.', 'riskhub.dlq'; 'feed.manifests' and
        'feed.rejects': every department's, topics_of)."""
        out = []
        names = (self.topics_of(family) if family in ("feed.manifests", "feed.rejects")
                 else self.topics(family))
        for m in read_topics(names, timeout=timeout):
            name, rec = decode(m.value())
            out.append((m.topic()[len(self.prefix):], m.key().decode() if m.key() else None, rec, m))
        return out

    # ---- the end ----

    def close(self):
        """Deletes the namespace's groups and topics and drops its database (best effort)."""
        if self.keep:
            return
        assert_test_prefix(self.prefix)
        if self.parties is not None:
            try:
                self.parties.close()
            except Exception:  # noqa: BLE001 - the broker may be away (an outage test failed)
                pass
            self.parties = None
        if self.database:
            drop_database(self.dbname)
        try:
            delete_groups(self.prefix)
            delete_topics(self.prefix)
        except Exception:  # noqa: BLE001 - the broker may be away (an outage test failed)
            pass
