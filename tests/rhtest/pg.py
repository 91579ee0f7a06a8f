"""PostgreSQL through psql (not riskhub's C code); scratch databases."""
import re
import subprocess
import time

from .env import BASE_CONNINFO, SRC
from .privacy import scrub

__all__ = ["psql", "pg_rows", "conninfo_of", "as_superuser", "create_database", "drop_database",
           "warnings_rows", "SCRATCH_DB", "postgres_sh"]

# Scratch databases: riskhub_test_<hex> (tests), riskhub_bench_<...> (benchmarks).
# rhtest.snapshot leaves every database of these families out.
SCRATCH_DB = re.compile(r"riskhub_(test|bench)_[a-z0-9_]+")


def psql(conninfo, sql, check=True, timeout=120):
    """stdout (stripped) of one statement; check=False: the CompletedProcess."""
    r = subprocess.run(["psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-d", conninfo,
                        "-c", sql], capture_output=True, text=True, timeout=timeout)
    if check:
        assert r.returncode == 0, f"psql: {scrub(r.stderr)}"
        return r.stdout.strip()
    return r


def pg_rows(conninfo, sql):
    out = psql(conninfo, sql)
    return [tuple(line.split("|")) for line in out.splitlines()] if out else []


def conninfo_of(dbname, base=BASE_CONNINFO):
    return f"{base} dbname={dbname}"


def as_superuser(conninfo):
    """conninfo as the cluster's superuser (its password is in PGPASSFILE too): what
    only it may do (see other roles' sessions in pg_stat_activity, end them), since
    the programs connect as roles of their own (docs/security.md)."""
    return re.sub(r"\buser=\S+", "", conninfo).strip() + " user=postgres"


def create_database(dbname):
    """A scratch database (name of the SCRATCH_DB family); its connection string."""
    assert SCRATCH_DB.fullmatch(dbname), f"{dbname}: not a scratch database name"
    psql(BASE_CONNINFO, f"CREATE DATABASE {dbname}")
    return conninfo_of(dbname)


def drop_database(dbname, check=False, tries=20):
    """Drops a scratch database, as the superuser: WITH (FORCE) ends the connections
    of the programs' roles too; an autovacuum worker's may still hold it a moment,
    so it tries again for a while; check: the last failure asserted."""
    assert SCRATCH_DB.fullmatch(dbname), f"refusing to drop {dbname}: not a scratch database"
    for i in range(tries):
        r = psql(as_superuser(BASE_CONNINFO), f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)",
                 check=False)
        if r.returncode == 0:
            return r
        time.sleep(0.5)
    if check:
        assert r.returncode == 0, f"psql: {scrub(r.stderr)}"
    return r


def warnings_rows(conninfo):
    return sorted(pg_rows(conninfo, "SELECT alert_id, household_id, township_code, period, risk, "
                                    "rule_id, state FROM warnings"))


def postgres_sh(cmd):
    """scripts/postgres.sh CMD (stop, start, ...) on the tests' cluster; exit 0 asserted."""
    r = subprocess.run(["bash", str(SRC / "scripts" / "postgres.sh"), cmd], capture_output=True,
                       text=True, timeout=180)
    assert r.returncode == 0, f"postgres.sh {cmd}: {r.stdout}{r.stderr}"
