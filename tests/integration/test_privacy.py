"""Personal data stays out of the shared PostgreSQL server's log (issue 12: the log
held full ID numbers and names from "DETAIL: Failing row contains (...)", from
statements logged with their text, and from bind parameters). scripts/postgres.sh
sets log_error_verbosity=terse, log_min_error_statement=panic,
log_min_duration_statement=-1 and log_parameter_max_length=0: a refused row, a
failed statement with literals and a slow parameterised statement, each holding a
synthetic ID number and name, leave neither in the log.

PYTEST_DONT_REWRITE: assertion messages are only the ones written here."""
import os
import subprocess
from pathlib import Path

import rhtest

ID = "411024199001010016"   # synthetic, valid check digit
NAME = "隐私测试甲"


def server_log():
    """The server's log: <cluster>/log/postgres.log, the cluster where scripts/postgres.sh
    put it (RH_PG_DIR, else the place noted in $RH_STATE_DIR/pg.location, else
    $RH_STATE_DIR/pg)."""
    noted = rhtest.STATE_DIR / "pg.location"
    cluster = (os.environ.get("RH_PG_DIR") or
               (noted.read_text().strip() if noted.exists() else str(rhtest.STATE_DIR / "pg")))
    return Path(cluster) / "log" / "postgres.log"


def test_the_server_log_holds_no_person(namespace):
    ns = namespace(database=True)
    log = server_log()
    assert log.exists(), log
    start = log.stat().st_size
    setup = ("CREATE TABLE p (id_number text PRIMARY KEY, name text NOT NULL "
             "CHECK (length(name) < 3))")
    rhtest.psql(ns.conninfo, setup)
    for sql in (f"INSERT INTO p VALUES ('{ID}', '{NAME}')",                  # check constraint
                f"SELECT no_such_column FROM p WHERE id_number = '{ID}'",    # statement text
                f"INSERT INTO p VALUES ('{ID}', 'ab'); INSERT INTO p VALUES ('{ID}', 'cd')"):
        r = subprocess.run(["psql", ns.conninfo, "-X", "-q", "-c", sql], capture_output=True,
                           text=True)
        assert r.returncode != 0
    # a slow statement with the person as bind parameters
    r = subprocess.run(["psql", ns.conninfo, "-X", "-q", "-c",
                        f"SELECT pg_sleep(1.2), $1::text, $2::text \\bind {ID} {NAME} \\g"],
                       capture_output=True, text=True)
    with open(log, "rb") as fp:
        fp.seek(start)
        text = fp.read().decode("utf-8", "replace")
    assert "violates check constraint" in text, "the errors were not logged at all"
    assert ID not in text and NAME not in text, \
        f"the server log holds the person: {rhtest.scrub(text[-2000:])}"
    rhtest.assert_no_full_id(text)
