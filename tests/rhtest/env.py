"""Where the sources, programs and services are; running a program."""
import os
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["SRC", "BIN", "CONFIG", "BOOTSTRAP", "BASE_CONNINFO", "STATE_DIR", "KEYS_DIR", "PGPASSFILE", "PERIOD", "IDLE_MS",
           "KAFKA_CA", "KAFKA_CREDENTIALS", "KAFKA_ADMIN_CREDENTIALS", "kafka_security",
           "run", "wait_for", "wait_for_glob", "now_ms", "use_kafka", "county_today"]

SRC = Path(os.environ.get("RH_SOURCE_DIR", Path(__file__).resolve().parents[2]))
BIN = Path(os.environ.get("RH_BIN_DIR", SRC / "build" / "bin"))
CONFIG = SRC / "config" / "riskhub.yaml"
STATE_DIR = Path(os.environ.get("RH_STATE_DIR", SRC / ".local"))
# The services as scripts/services.sh env prints them, read once at import: the
# default namespace's database is BASE_CONNINFO's; scratch databases are made through it.
BOOTSTRAP = os.environ.get("RH_KAFKA_BOOTSTRAP", "127.0.0.1:19092")
BASE_CONNINFO = os.environ.get("RH_PG_CONNINFO", "host=127.0.0.1 port=15432 dbname=riskhub user=riskhub")
# The departments' signing keys (scripts/keys.sh, made by scripts/services.sh start):
# every program the tests run finds them through RH_KEYS_DIR, set here when the
# session's environment lacks it (pytest run by hand).
KEYS_DIR = Path(os.environ.setdefault("RH_KEYS_DIR", str(STATE_DIR / "keys")))
# The PostgreSQL roles' passwords (scripts/postgres.sh): libpq reads PGPASSFILE,
# for psql here and for every program run (each connects as its own role).
PGPASSFILE = Path(os.environ.setdefault("PGPASSFILE", str(STATE_DIR / "pgpass")))
# Kafka's TLS and SASL (scripts/lib/kafka_security.sh): the CA every client trusts,
# the credentials of riskhub's programs (every program run finds them through
# RH_KAFKA_CREDENTIALS) and the operator's, which the harness's own clients use.
KAFKA_CA = Path(os.environ.setdefault("RH_KAFKA_CA", str(STATE_DIR / "tls" / "ca.pem")))
KAFKA_CREDENTIALS = Path(os.environ.setdefault(
    "RH_KAFKA_CREDENTIALS", str(STATE_DIR / "kafka-credentials" / "riskhub")))
KAFKA_ADMIN_CREDENTIALS = Path(os.environ.setdefault(
    "RH_KAFKA_ADMIN_CREDENTIALS", str(STATE_DIR / "kafka-credentials" / "admin")))


def kafka_security(credentials=None):
    """librdkafka's properties of a client of the secured brokers: SASL_SSL, the
    CA, and the principal of the credentials file (default: the operator's)."""
    conf = {"security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512",
            "ssl.ca.location": str(KAFKA_CA)}
    for line in Path(credentials or KAFKA_ADMIN_CREDENTIALS).read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and key in ("sasl.username", "sasl.password"):
            conf[key] = value
    return conf


# Messages in English unless a test asks for the clerk's Chinese (LC_ALL=zh_CN.UTF-8,
# common/rh_i18n.h): whatever locale the machine running the tests has.
os.environ["LC_ALL"] = "C.UTF-8"
os.environ.pop("LANGUAGE", None)
PERIOD = "2026-10"   # the month most tests generate
IDLE_MS = 3000       # --idle-exit-ms of the joins that must end by themselves


def run(program, *args, timeout=600, env=None, **kw):
    """Run a program of BIN (text mode, output captured). Without env= it gets
    os.environ, which the test session points at a stray namespace (conftest.py):
    a program that should run in a namespace gets env=ns.env() (or ns.run())."""
    return subprocess.run([str(BIN / program), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env, **kw)


def wait_for(predicate, timeout, what, interval=0.5, join=None):
    """Polls predicate() until it returns a true value (returned); with join= (a
    rhtest.Join), fails at once when that process exits."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        last = predicate()
        if last:
            return last
        if join is not None and not join.running():
            raise AssertionError(f"riskhub-join exited ({join.proc.returncode}) while waiting for "
                                 f"{what}; log tail:\n{join.tail()}")
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def wait_for_glob(folder, pattern, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if any(Path(folder).glob(pattern)):
            return True
        time.sleep(0.02)
    return False


def now_ms():
    return int(time.time() * 1000)


def use_kafka(bootstrap):
    """From now on this process's helpers (rhtest.BOOTSTRAP, admin(), consumer(),
    Namespace.env()) talk to the brokers of bootstrap (the three-broker cluster of
    the fixture cluster, conftest.py); returns the bootstrap used before."""
    global BOOTSTRAP
    before = BOOTSTRAP
    BOOTSTRAP = bootstrap
    pkg = sys.modules.get(__package__)
    if pkg is not None:
        pkg.BOOTSTRAP = bootstrap
    from . import kafka  # noqa: PLC0415 - kafka imports env
    kafka.forget_admin()
    return before


def county_today():
    """Today in the county (UTC+08:00), as riskhub-verify and riskhub-alerts count days
    whatever the host's time zone: from 16:00 UTC on, the county's today is the host's
    tomorrow (a test's "tomorrow" by the host was then today, not the future)."""
    import datetime as _dt
    return (_dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(hours=8)).date()
