"""Shared pytest fixtures of riskhub's Python integration tests.

Helpers live in the package tests/rhtest/ (also used by scripts/bench_*.py); this file
puts tests/ on sys.path, so `import rhtest` works from CTest, from pytest run by hand
(`python3 -m pytest tests/integration/test_join.py`) and from any directory.

Isolation (rhtest.namespace): every test runs in a namespace of its own, a topic prefix
"rhtest-<hex>." and a scratch database riskhub_test_<hex>, removed when it is done
(RH_KEEP_NAMESPACE=1 keeps them for a look). The default namespace (no prefix, the
database `riskhub`) is never written: the CTest test namespace_check proves it after
every run (rhtest.snapshot). As a guard, the session's own environment points at a
stray namespace: a program started without a namespace's env publishes to
"rhtest-stray-<hex>." (deleted at the end, and reported) and finds no database.

Fixtures:
  cfg, rules            config/riskhub.yaml, parsed and as rules (session)
  generate              riskhub-gen into a cached folder: generate(households=..., seed=...) (session)
  county                (registry folder, big list): a module's big list of health/major-disease
                        (its ROWS rows, persons repeat) over its HOUSEHOLDS, a fresh seed a run (module)
  month, reg            the generated month of a module, riskhub-gen with the module's MONTH
                        options (dict), and its registry (rhtest.Registry) (module)
  namespace             factory: namespace(registry_dir=None, database=True) -> rhtest.Namespace,
                        removed after the test
  ns                    a Namespace with a migrated, empty scratch database
  scratch_db            a bare scratch database (not migrated): its connection string
  cluster               the three-broker cluster (rhtest.Cluster), started once a session by
                        scripts/kafka.sh cluster in a fresh state folder of its own
                        ($RH_STATE_DIR/test-cluster, beside the single broker) and stopped at
                        the end; while it runs, rhtest talks to it (rhtest.use_kafka) and the
                        programs create topics with replication 3, min.insync.replicas 2
                        (RH_KEEP_CLUSTER=1: left running, with its data, for a look)
"""
import os
import random
import shutil
import sys
import time
import uuid
import warnings
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import rhtest  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def stray_namespace():
    """RH_TOPIC_PREFIX and RH_PG_CONNINFO of the session point away from the default
    namespace: see the module's docstring."""
    prefix = rhtest.new_prefix("stray")
    saved = {k: os.environ.get(k) for k in ("RH_TOPIC_PREFIX", "RH_PG_CONNINFO", "RH_KAFKA_BOOTSTRAP")}
    os.environ["RH_TOPIC_PREFIX"] = prefix
    os.environ["RH_PG_CONNINFO"] = rhtest.conninfo_of(f"riskhub_test_stray_{uuid.uuid4().hex[:8]}")
    os.environ["RH_KAFKA_BOOTSTRAP"] = rhtest.BOOTSTRAP
    yield prefix
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    try:
        stray = rhtest.list_topics(prefix)
        rhtest.delete_groups(prefix)
        rhtest.delete_topics(prefix)
    except Exception:  # noqa: BLE001 - the broker away: nothing to report
        stray = []
    if stray:
        warnings.warn(f"programs ran without a namespace and created {len(stray)} topics "
                      f"({', '.join(stray[:5])}): deleted; give them env=ns.env()")


@pytest.fixture(scope="session")
def cfg():
    return rhtest.load_config()


@pytest.fixture(scope="session")
def rules(cfg):
    return rhtest.Rules(cfg)


@pytest.fixture(scope="session")
def generate(tmp_path_factory):
    """generate(period=PERIOD, **riskhub-gen options) -> the folder (registry/,
    <period>/, bad/); the same options give the same folder within a session."""
    made = {}

    def gen(period=rhtest.PERIOD, **options):
        key = (period, tuple(sorted(options.items())))
        if key not in made:
            made[key] = rhtest.generate(tmp_path_factory.mktemp("gen"), period, **options)
        return made[key]
    return gen


@pytest.fixture(scope="module")
def county(generate, request):
    """(registry folder, the big list): riskhub-gen with the module's HOUSEHOLDS and a
    big list of health/major-disease of its ROWS rows (persons repeat), a fresh seed
    each run."""
    out = generate(households=request.module.HOUSEHOLDS, seed=random.randrange(1, 2**31),
                   rows_per_feed=10, big_feed_rows=request.module.ROWS)
    big = out / rhtest.PERIOD / f"bench.health.major-disease.{rhtest.PERIOD}.csv"
    assert big.exists(), big
    return out / "registry", big


@pytest.fixture(scope="module")
def month(generate, request):
    """The generated month of a test module: riskhub-gen with the module's MONTH, a dict
    of its options (MONTH = dict(households=3000, rows_per_feed=40, seed=20261))."""
    options = getattr(request.module, "MONTH", None)
    assert options is not None, f"{request.module.__name__} uses the fixture month but has no MONTH"
    return generate(**options)


@pytest.fixture(scope="module")
def reg(month):
    """The month's household registry, as riskhub-registry imports it."""
    return rhtest.Registry(month / "registry")


@pytest.fixture
def namespace():
    """namespace(registry_dir=None, database=True, **kw) -> a rhtest.Namespace of this
    test (several may be made), closed when the test is done."""
    made = []

    def make(registry_dir=None, **kw):
        n = rhtest.Namespace(registry_dir, **kw)
        made.append(n)
        return n
    yield make
    for n in made:
        n.close()


@pytest.fixture
def ns(namespace):
    return namespace()


@pytest.fixture
def scratch_db():
    name = f"riskhub_test_{uuid.uuid4().hex[:12]}"
    conninfo = rhtest.create_database(name)
    try:
        yield conninfo
    finally:
        rhtest.drop_database(name, check=True)


@pytest.fixture(scope="session")
def cluster():
    # Not under pytest's basetemp: a session of another worktree may rotate it away.
    state = rhtest.STATE_DIR / "test-cluster"
    c = rhtest.Cluster(state)
    c.stop()  # one left running by RH_KEEP_CLUSTER
    shutil.rmtree(state, ignore_errors=True)
    t0 = time.monotonic()
    try:
        c.start()
    except BaseException:
        c.stop()
        raise
    print(f"\ncluster {c.bootstrap} up in {time.monotonic() - t0:.1f} s ({state})")
    before = rhtest.use_kafka(c.bootstrap)
    saved = {k: os.environ.get(k) for k in ("RH_TOPIC_REPLICATION_FACTOR", "RH_TOPIC_MIN_INSYNC_REPLICAS")}
    os.environ.update(RH_TOPIC_REPLICATION_FACTOR="3", RH_TOPIC_MIN_INSYNC_REPLICAS="2")
    try:
        yield c
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        rhtest.use_kafka(before)
        if os.environ.get("RH_KEEP_CLUSTER"):
            print(f"\nRH_KEEP_CLUSTER: the cluster runs on; stop it with "
                  f"RH_KAFKA_CLUSTER_DIR={state} scripts/kafka.sh cluster stop")
            return
        c.stop()
        for n in c.NODES:  # the logs stay for a look, the data goes
            shutil.rmtree(state / f"node{n}" / "data", ignore_errors=True)
