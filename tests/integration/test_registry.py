"""riskhub-registry against the real PostgreSQL (scripts/services.sh): migrations,
the import of a generated registry, re-imports and the change log, refused files.

Every test works in a scratch database of its own (riskhub_test_<random>,
created through RH_PG_CONNINFO's database and dropped afterwards) and reads
the database with psql, not with riskhub's C code. Expected values come from
the CSV files."""
import csv
import hashlib
import os
import random
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

import rhtest
from rhtest import PERIOD, psql

MIGRATIONS = rhtest.SRC / "consumers" / "registry" / "migrations"


# ---- psql and the program -----------------------------------------------------

def rows(conninfo, sql):
    return [list(r) for r in rhtest.pg_rows(conninfo, sql)]


def registry(conninfo, *args, timeout=600, env_extra=None):
    env = dict(os.environ, RH_PG_CONNINFO=conninfo)
    env.update(env_extra or {})
    return subprocess.run([str(rhtest.BIN / "riskhub-registry"), *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=env)


def start_registry(conninfo, *args):
    env = dict(os.environ, RH_PG_CONNINFO=conninfo)
    return subprocess.Popen([str(rhtest.BIN / "riskhub-registry"), *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def ok(r):
    assert r.returncode == 0, f"exit {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}"
    rhtest.assert_no_full_id(r.stdout, r.stderr)
    return r


@pytest.fixture
def db(scratch_db):
    """A scratch database of the test's own (conftest.py): its connection string."""
    return scratch_db


@pytest.fixture
def migrated(db):
    ok(registry(db, "migrate"))
    return db


@pytest.fixture(scope="module")
def gen(generate):
    """A generated county of 2,000 households: its registry directory."""
    return generate(households=2000, seed=4242) / "registry"


def read_csv(path):
    """[(line, dict)] of a registry file (no quoted line breaks in it)."""
    with open(path, newline="", encoding="utf-8") as fp:
        rd = csv.DictReader(fp)
        return [(i + 2, row) for i, row in enumerate(rd)]


def write_csv(path, header, items):
    with open(path, "w", newline="", encoding="utf-8") as fp:
        w = csv.DictWriter(fp, fieldnames=header, lineterminator="\n")
        w.writeheader()
        for row in items:
            w.writerow(row)


def copy_registry(src, dst):
    dst.mkdir(parents=True, exist_ok=True)
    for name in ("households.csv", "members.csv", "applications.csv"):
        shutil.copy(src / name, dst / name)
    return dst


def snapshot(conninfo):
    """Everything the import may touch, as digests."""
    q = {
        "households": "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY household_id)), '') FROM households t",
        "members": "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY id_number)), '') FROM members t",
        "applications": "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY period, household_id)), '') FROM applications t",
        "changes": "SELECT count(*) || ':' || coalesce(max(change_id), 0) FROM registry_changes",
    }
    return {k: psql(conninfo, v) for k, v in q.items()}


def changes_since(conninfo, change_id):
    return sorted((t, k, op) for t, k, op in
                  rows(conninfo, f"SELECT table_name, key, op FROM registry_changes "
                                 f"WHERE change_id > {change_id}"))


def max_change(conninfo):
    return int(psql(conninfo, "SELECT coalesce(max(change_id), 0) FROM registry_changes"))


def make_id(first17):
    return first17 + rhtest.id_check_char(first17)


def summary_counts(stdout, table):
    m = re.search(rf"^{table}\s+(\d+) rows: (\d+) inserted, (\d+) updated, (\d+) deleted, "
                  rf"(\d+) unchanged$", stdout, re.M)
    assert m, f"no summary line for {table} in:\n{stdout}"
    return tuple(int(x) for x in m.groups())


# ---- migrate ------------------------------------------------------------------

def test_migrate_twice_applies_once(db):
    r = ok(registry(db, "migrate"))
    files = sorted(p.name for p in MIGRATIONS.glob("[0-9][0-9][0-9]_*.sql"))
    assert len(files) >= 3
    for f in files:
        assert f"applied {f} (" in r.stdout
    assert f"migrate: applied {len(files)} migrations" in r.stdout
    got = rows(db, "SELECT version, name, sha256 FROM schema_migrations ORDER BY version")
    want = [[str(int(f[:3])), f[4:-4], hashlib.sha256((MIGRATIONS / f).read_bytes()).hexdigest()]
            for f in files]
    assert got == want
    tables = set(psql(db, "SELECT string_agg(tablename, ',') FROM pg_tables "
                          "WHERE schemaname = 'public'").split(","))
    assert {"households", "members", "applications", "warnings", "registry_changes",
            "schema_migrations", "check_results", "ledger_offsets"} <= tables

    r = ok(registry(db, "migrate"))
    assert "migrate: nothing to apply" in r.stdout
    assert "applied 0" not in r.stdout and "applied 001" not in r.stdout
    assert rows(db, "SELECT version, name, sha256 FROM schema_migrations ORDER BY version") == want


def test_concurrent_migrations_do_not_race(db):
    procs = [start_registry(db, "migrate") for _ in range(3)]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
    applied = sum(out.count("\napplied ") + out.startswith("applied ") for out, _ in outs)
    n = len(list(MIGRATIONS.glob("[0-9][0-9][0-9]_*.sql")))
    assert applied == n, outs
    assert sum("nothing to apply" in out for out, _ in outs) == 2
    assert psql(db, "SELECT count(*) FROM schema_migrations") == str(n)


def test_changed_migration_is_refused(db, tmp_path):
    mdir = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, mdir)
    ok(registry(db, "migrate", "--migrations", mdir))
    before = rows(db, "SELECT * FROM schema_migrations ORDER BY version")

    # an applied migration edited, and a new one waiting: nothing is applied
    with open(mdir / "002_registry_changes.sql", "a") as fp:
        fp.write("\n-- an innocent-looking edit\n")
    (mdir / "900_new.sql").write_text("CREATE TABLE should_not_exist (x int);\n")
    r = registry(db, "migrate", "--migrations", mdir)
    assert r.returncode == 78, r.stderr
    assert "002_registry_changes.sql was changed after it was applied" in r.stderr
    assert rows(db, "SELECT * FROM schema_migrations ORDER BY version") == before
    assert psql(db, "SELECT to_regclass('should_not_exist') IS NULL") == "t"

    # RH_MIGRATIONS_DIR is honoured like --migrations
    r = registry(db, "migrate", env_extra={"RH_MIGRATIONS_DIR": str(mdir)})
    assert r.returncode == 78 and "002_registry_changes.sql" in r.stderr

    # renamed, missing, out of order
    shutil.copy(MIGRATIONS / "002_registry_changes.sql", mdir / "002_registry_changes.sql")
    (mdir / "002_registry_changes.sql").rename(mdir / "002_changes.sql")
    r = registry(db, "migrate", "--migrations", mdir)
    assert r.returncode == 78 and "must not be renamed" in r.stderr
    (mdir / "002_changes.sql").unlink()
    r = registry(db, "migrate", "--migrations", mdir)
    assert r.returncode == 78 and "no file for version 002" in r.stderr
    shutil.copy(MIGRATIONS / "002_registry_changes.sql", mdir / "002_registry_changes.sql")
    (mdir / "900_new.sql").unlink()
    r = ok(registry(db, "migrate", "--migrations", mdir))
    assert "nothing to apply" in r.stdout
    assert rows(db, "SELECT * FROM schema_migrations ORDER BY version") == before


def test_failing_migration_rolls_back_alone(db, tmp_path):
    mdir = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, mdir)
    last = max(int(p.name[:3]) for p in mdir.glob("*.sql"))
    (mdir / f"{last + 1:03d}_good.sql").write_text("CREATE TABLE good_one (x int);\n")
    (mdir / f"{last + 2:03d}_bad.sql").write_text(
        "CREATE TABLE half_done (x int);\nCREATE TABLE oops (x nosuchtype);\n")
    r = registry(db, "migrate", "--migrations", mdir)
    assert r.returncode == 78, r.stderr
    assert f"migration {last + 2:03d}_bad.sql failed" in r.stderr
    assert "nosuchtype" in r.stderr
    # the good one before it stays applied; the bad one left nothing behind
    assert psql(db, "SELECT max(version) FROM schema_migrations") == str(last + 1)
    assert psql(db, "SELECT to_regclass('good_one') IS NOT NULL, to_regclass('half_done') IS NULL") == "t|t"
    # fixed, it applies
    (mdir / f"{last + 2:03d}_bad.sql").write_text("CREATE TABLE fixed (x int);\n")
    ok(registry(db, "migrate", "--migrations", mdir))
    # a file numbered below the highest applied one would run out of order: refused
    (mdir / f"{last + 4:03d}_later.sql").write_text("SELECT 1;\n")
    ok(registry(db, "migrate", "--migrations", mdir))
    (mdir / f"{last + 3:03d}_gap.sql").write_text("CREATE TABLE gap (x int);\n")
    r = registry(db, "migrate", "--migrations", mdir)
    assert r.returncode == 78, r.stderr
    assert f"migration {last + 3:03d}_gap.sql is not applied, but a later one" in r.stderr
    assert psql(db, "SELECT to_regclass('gap') IS NULL") == "t"


def test_database_away_and_not_migrated(db, gen, tmp_path):
    t0 = time.monotonic()
    r = registry("host=127.0.0.1 port=1 dbname=x user=riskhub", "--wait-s", "2", "import", gen)
    assert r.returncode == 69, r.stderr
    assert 1.5 <= time.monotonic() - t0 < 30, "waits about --wait-s, then gives up"
    assert "cannot connect to PostgreSQL at 127.0.0.1:1" in r.stderr
    r = registry("host=127.0.0.1 port=1 dbname=x user=riskhub", "--wait-s", "0", "migrate")
    assert r.returncode == 69, r.stderr
    # a database without the schema
    r = registry(db, "--wait-s", "0", "import", gen)
    assert r.returncode == 78, r.stderr
    assert "run riskhub-registry migrate first" in r.stderr
    # a missing file: I/O, nothing touched
    d = copy_registry(gen, tmp_path / "reg")
    (d / "applications.csv").unlink()
    r = registry(db, "import", d)
    assert r.returncode == 74 and "applications.csv" in r.stderr
    # usage
    assert registry(db, "import").returncode == 64
    assert registry(db, "migrate", "extra").returncode == 64
    assert registry(db, "frobnicate").returncode == 64


# ---- import -------------------------------------------------------------------

def test_import_matches_the_files(migrated, gen):
    db = migrated
    hh, mb, ap = (read_csv(gen / n) for n in ("households.csv", "members.csv", "applications.csv"))
    r = ok(registry(db, "import", gen))
    assert summary_counts(r.stdout, "households") == (len(hh), len(hh), 0, 0, 0)
    assert summary_counts(r.stdout, "members") == (len(mb), len(mb), 0, 0, 0)
    assert summary_counts(r.stdout, "applications") == (len(ap), len(ap), 0, 0, 0)
    assert f"{len(hh) + len(mb)} registry changes logged" in r.stdout
    assert psql(db, "SELECT count(*) FROM households") == str(len(hh))
    assert psql(db, "SELECT count(*) FROM members") == str(len(mb))
    assert psql(db, "SELECT count(*) FROM applications") == str(len(ap))
    # the change log: one insert a household and a member
    assert rows(db, "SELECT table_name, op, count(*) FROM registry_changes GROUP BY 1, 2 ORDER BY 1") == \
        [["households", "I", str(len(hh))], ["members", "I", str(len(mb))]]

    # a sample of rows, every column, compared with the CSV text
    rnd = random.Random(1)
    month = "coalesce(to_char({0}, 'YYYY-MM'), '')"
    for _, row in rnd.sample(hh, 40) + [hh[0], hh[-1]]:
        got = rows(db, "SELECT household_id, township_code, village, household_type, "
                       "coalesce(monitoring_category, ''), " + month.format("identified_month") +
                       ", risk_eliminated, coalesce(eliminated_how, ''), " +
                       month.format("eliminated_month") + ", income_per_capita, head_id_number "
                       f"FROM households WHERE household_id = '{row['household_id']}'")
        assert len(got) == 1
        g = got[0]
        g[6] = {"t": "true", "f": "false"}[g[6]]
        assert g == list(row.values()), row["household_id"]
    for _, row in rnd.sample(mb, 80) + [mb[0], mb[-1]]:
        got = rows(db, "SELECT household_id, id_number, name, sex, relation, birth_date, health, "
                       "coalesce(disability_grade::text, ''), labour_ability, schooling, "
                       "migrant_months, medical_insurance "
                       f"FROM members WHERE id_number = '{row['id_number']}'")
        assert len(got) == 1
        g = got[0]
        g[11] = {"t": "true", "f": "false"}[g[11]]
        assert g == list(row.values())
    got = rows(db, "SELECT period, household_id, applied_on FROM applications ORDER BY household_id")
    assert got == sorted([list(r.values()) for _, r in ap], key=lambda x: x[1])
    # the deferred check: every head is a member of its household with relation head
    assert psql(db, "SELECT count(*) FROM households h JOIN members m ON m.id_number = "
                    "h.head_id_number AND m.household_id = h.household_id AND m.relation = 'head'") \
        == str(len(hh))


def test_reimport_logs_exactly_the_changes(migrated, gen, tmp_path):
    db = migrated
    ok(registry(db, "import", gen))

    # unchanged: nothing written, nothing logged
    mark = max_change(db)
    snap = snapshot(db)
    r = ok(registry(db, "import", gen))
    for t, n in (("households", 2000),):
        assert summary_counts(r.stdout, t) == (n, 0, 0, 0, n)
    assert "0 registry changes logged" in r.stdout
    assert changes_since(db, mark) == []
    assert snapshot(db) == snap

    # edit a few rows
    d = copy_registry(gen, tmp_path / "edited")
    hh = [row for _, row in read_csv(d / "households.csv")]
    mb = [row for _, row in read_csv(d / "members.csv")]
    ap = [row for _, row in read_csv(d / "applications.csv")]
    applicants = {a["household_id"] for a in ap}
    by_hh = {}
    for m in mb:
        by_hh.setdefault(m["household_id"], []).append(m)
    multi = [h for h in hh if len(by_hh[h["household_id"]]) >= 3 and h["household_id"] not in applicants]
    changed_hh, removed_hh, shrunk_hh, edited_mb_hh = multi[0], multi[1], multi[2], multi[3]

    changed_hh["village"] = changed_hh["village"] + "东"          # households U
    changed_hh["income_per_capita"] = "1.00"
    removed_members = by_hh[removed_hh["household_id"]]
    hh.remove(removed_hh)                                         # households D + its members D
    gone = by_hh[shrunk_hh["household_id"]][-1]                   # a non-head member D
    assert gone["relation"] != "head"
    edited = by_hh[edited_mb_hh["household_id"]][1]               # members U
    edited["schooling"] = "college" if edited["schooling"] != "college" else "senior"
    edited["migrant_months"] = "7" if edited["migrant_months"] != "7" else "8"
    # a new household with a new head (households I, members I)
    twp = changed_hh["township_code"]
    new_hid = f"{twp}-024-9999"
    assert new_hid not in {h["household_id"] for h in hh}
    new_id = make_id("41102419800101" + "999")
    assert new_id not in {m["id_number"] for m in mb}
    hh.append(dict(changed_hh, household_id=new_hid, head_id_number=new_id, village="新村",
                   household_type="ordinary", monitoring_category="", identified_month="",
                   risk_eliminated="false", eliminated_how="", eliminated_month=""))
    new_member = dict(mb[0], household_id=new_hid, id_number=new_id, name="新户主", sex="male",
                      relation="head", birth_date="1980-01-01", health="healthy",
                      disability_grade="", labour_ability="strong", schooling="junior",
                      migrant_months="0", medical_insurance="true")
    mb = [m for m in mb if m["household_id"] != removed_hh["household_id"] and m is not gone]
    mb.append(new_member)
    # applications: one withdrawn from this period; another period's are history and stay
    withdrawn = ap.pop(0)
    write_csv(d / "applications.csv", list(withdrawn.keys()), ap)
    psql(db, f"INSERT INTO applications VALUES ('2026-09', '{withdrawn['household_id']}', "
             f"'2026-09-15'), ('2026-09', '{removed_hh['household_id']}', '2026-09-16')")
    hh.sort(key=lambda h: h["household_id"])
    write_csv(d / "households.csv", list(hh[0].keys()), hh)
    write_csv(d / "members.csv", list(mb[0].keys()), mb)

    # listen for the notification while importing
    listener = subprocess.Popen(["psql", "-X", "-q", "-d", db], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    listener.stdin.write("LISTEN riskhub_registry;\nSELECT 1;\n")
    listener.stdin.flush()
    time.sleep(0.5)
    mark = max_change(db)
    r = ok(registry(db, "import", d))
    listener.stdin.write("SELECT 2;\n")
    out, _ = listener.communicate(timeout=30)

    assert summary_counts(r.stdout, "households") == (2000, 1, 1, 1, 1998)
    assert summary_counts(r.stdout, "applications") == (len(ap), 0, 0, 1, len(ap))
    # the September application of the household still there stays; the other left with
    # its household (ON DELETE CASCADE)
    assert rows(db, "SELECT household_id FROM applications WHERE period = '2026-09'") == \
        [[withdrawn["household_id"]]]
    assert psql(db, f"SELECT count(*) FROM applications WHERE period = '{PERIOD}' "
                    f"AND household_id = '{withdrawn['household_id']}'") == "0"
    assert summary_counts(r.stdout, "members")[1:4] == (1, 1, len(removed_members) + 1)
    expected = sorted(
        [("households", changed_hh["household_id"], "U"), ("households", new_hid, "I"),
         ("households", removed_hh["household_id"], "D"),
         ("members", edited["id_number"], "U"), ("members", new_id, "I"),
         ("members", gone["id_number"], "D")] +
        [("members", m["id_number"], "D") for m in removed_members])
    assert changes_since(db, mark) == expected
    assert f"{len(expected)} registry changes logged" in r.stdout
    # one notification a table that changed, at commit
    assert re.search(r'notification "riskhub_registry" with payload "households"', out), out
    assert re.search(r'notification "riskhub_registry" with payload "members"', out), out
    # the rows themselves
    assert psql(db, f"SELECT village || '|' || income_per_capita FROM households "
                    f"WHERE household_id = '{changed_hh['household_id']}'") == \
        f"{changed_hh['village']}|1.00"
    assert psql(db, f"SELECT count(*) FROM members WHERE household_id = "
                    f"'{removed_hh['household_id']}'") == "0"
    assert psql(db, f"SELECT schooling || '|' || migrant_months FROM members "
                    f"WHERE id_number = '{edited['id_number']}'") == \
        f"{edited['schooling']}|{edited['migrant_months']}"

    # and importing the edited files again changes nothing
    mark = max_change(db)
    ok(registry(db, "import", d))
    assert changes_since(db, mark) == []


SCHEMA_SQL = (
    "SELECT string_agg(x, E'\\n' ORDER BY x) FROM ("
    " SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) AS x"
    "   FROM pg_constraint WHERE conrelid IN ('households'::regclass, 'members'::regclass,"
    "        'applications'::regclass, 'registry_changes'::regclass)"
    " UNION ALL SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid IN"
    "   ('households'::regclass, 'members'::regclass, 'applications'::regclass,"
    "    'registry_changes'::regclass)"
    " UNION ALL SELECT tgrelid::regclass || ' ' || tgname || ' ' || tgenabled::text FROM pg_trigger"
    "   WHERE NOT tgisinternal AND tgrelid IN ('households'::regclass, 'members'::regclass,"
    "         'applications'::regclass)) t")


def test_first_import_rebuilds_keys_and_indexes(migrated, gen, tmp_path):
    """A first import drops the tables' keys and indexes and makes them again
    (docs/registry.md, "A first import"): afterwards the schema is exactly
    the migrated one, the keys hold (a second head, a member of a missing
    household are refused by the database), and a first import refused half
    way (a bad row in members.csv) leaves the schema as it was, tables empty."""
    db = migrated
    schema = psql(db, SCHEMA_SQL)
    assert "PRIMARY KEY (id_number)" in schema and "FOREIGN KEY" in schema
    d = copy_registry(gen, tmp_path / "bad")
    mb_rows = read_csv(d / "members.csv")
    mb_rows[-1][1]["sex"] = "x"
    write_csv(d / "members.csv", list(mb_rows[0][1].keys()), [row for _, row in mb_rows])
    r = registry(db, "import", d)
    assert r.returncode == 65, r.stderr
    assert psql(db, SCHEMA_SQL) == schema
    assert psql(db, "SELECT count(*) FROM households") == "0"
    assert psql(db, "SELECT count(*) FROM registry_changes") == "0"

    r = ok(registry(db, "import", gen))
    assert "first import into empty tables" in r.stderr
    assert psql(db, SCHEMA_SQL) == schema
    hh = psql(db, "SELECT household_id FROM households ORDER BY 1 LIMIT 1")
    a_member = psql(db, "SELECT id_number FROM members ORDER BY 1 LIMIT 1")
    bad = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db, "-c",
                          f"INSERT INTO members SELECT * FROM members WHERE id_number = '{a_member}'"],
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "members_pkey" in bad.stderr
    bad = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db, "-c",
                          "UPDATE members SET household_id = '411024100-023-9998' WHERE "
                          f"id_number = '{a_member}'"], capture_output=True, text=True)
    assert bad.returncode != 0 and "foreign key" in bad.stderr
    # a second import is not a first one: merged, nothing changes
    r = ok(registry(db, "import", gen))
    assert "first import" not in r.stderr
    assert "0 registry changes logged" in r.stdout
    assert hh


def test_bad_file_refused_nothing_loaded(migrated, gen, tmp_path):
    db = migrated
    ok(registry(db, "import", gen))
    before = snapshot(db)

    d = copy_registry(gen, tmp_path / "bad")
    hh_rows = read_csv(d / "households.csv")
    mb_rows = read_csv(d / "members.csv")
    # a non-head member gets a wrong check character; another moves to a missing household
    non_heads = [(line, row) for line, row in mb_rows if row["relation"] != "head"]
    (ck_line, ck_row), (mv_line, mv_row) = non_heads[10], non_heads[20]
    good_id = ck_row["id_number"]
    wrong = next(c for c in "1234567890X" if c != good_id[17])  # not "...000": not Excel-like
    ck_row["id_number"] = good_id[:17] + wrong
    mv_row["household_id"] = "411024100-023-9998"
    # an unknown household type
    tp_line, tp_row = hh_rows[30]
    tp_row["household_type"] = "rich"
    write_csv(d / "households.csv", list(hh_rows[0][1].keys()), [r for _, r in hh_rows])
    write_csv(d / "members.csv", list(mb_rows[0][1].keys()), [r for _, r in mb_rows])
    # and an application of a missing household, a duplicate application
    with open(d / "applications.csv", "a", encoding="utf-8") as fp:
        fp.write(f"{PERIOD},411024100-023-9997,{PERIOD}-05\n")
    ap_rows = read_csv(d / "applications.csv")
    with open(d / "applications.csv", "a", encoding="utf-8") as fp:
        fp.write(",".join(ap_rows[0][1].values()) + "\n")
    ap_missing_line, ap_dup_line = len(ap_rows) + 1, len(ap_rows) + 2

    r = registry(db, "import", d)
    assert r.returncode == 65, r.stdout + r.stderr
    err = r.stderr
    rhtest.assert_no_full_id(r.stdout, err)
    assert good_id not in err and ck_row["id_number"] not in err
    for name in (ck_row["name"], mv_row["name"]):
        assert name not in err
    masked = ck_row["id_number"][:6] + "********" + ck_row["id_number"][-4:]
    assert f"members.csv:{ck_line}: id_number: ID number's check character is wrong ({masked})" in err
    assert f"members.csv:{mv_line}: household_id: household 411024100-023-9998 is not in households.csv" in err
    assert f"households.csv:{tp_line}: household_type: unknown household_type 'rich'" in err
    assert f"applications.csv:{ap_missing_line}: household_id: household 411024100-023-9997 is not in households.csv" in err
    assert f"applications.csv:{ap_dup_line}: household_id: household {ap_rows[0][1]['household_id']} applied twice in {PERIOD}" in err
    assert "import refused: 5 problems" in err and "nothing was loaded" in err
    assert snapshot(db) == before


def test_many_problems_are_counted(migrated, gen, tmp_path):
    db = migrated
    d = copy_registry(gen, tmp_path / "many")
    mb_rows = read_csv(d / "members.csv")
    for _, row in mb_rows[:120]:
        row["sex"] = "m"
    write_csv(d / "members.csv", list(mb_rows[0][1].keys()), [r for _, r in mb_rows])
    r = registry(db, "import", "--max-errors", "7", d)
    assert r.returncode == 65
    lines = [l for l in r.stderr.splitlines() if l.startswith("members.csv:")]
    assert len(lines) == 7
    assert "... and 113 more problems not shown" in r.stderr
    assert "bad rows: households.csv 0, members.csv 120" in r.stderr
    assert psql(db, "SELECT count(*) FROM households") == "0"
    assert psql(db, "SELECT count(*) FROM registry_changes") == "0"


def test_file_errors_and_encodings(migrated, gen, tmp_path):
    db = migrated
    # a quote never closed: refused, naming the line; nothing loaded
    d = copy_registry(gen, tmp_path / "quotes")
    lines = (d / "members.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    lines[5] = lines[5].replace(",", ',"', 2)
    (d / "members.csv").write_text("".join(lines), encoding="utf-8")
    r = registry(db, "import", d)
    assert r.returncode == 65, r.stderr
    assert re.search(r"members\.csv: line 6: ", r.stderr), r.stderr
    rhtest.assert_no_full_id(r.stderr)
    assert psql(db, "SELECT count(*) FROM households") == "0"
    # a header without a column
    d = copy_registry(gen, tmp_path / "header")
    text = (d / "households.csv").read_text(encoding="utf-8")
    (d / "households.csv").write_text(text.replace("household_type", "type", 1), encoding="utf-8")
    r = registry(db, "import", d)
    assert r.returncode == 65 and "households.csv:1: header has no column household_type" in r.stderr
    # GBK files (a clerk's Excel) load like UTF-8 ones
    d = copy_registry(gen, tmp_path / "gbk")
    for n in ("households.csv", "members.csv"):
        (d / n).write_bytes((d / n).read_text(encoding="utf-8").encode("gbk"))
    r = ok(registry(db, "import", "--dry-run", d))
    assert "is valid; nothing loaded" in r.stdout
    assert psql(db, "SELECT count(*) FROM households") == "0"
    r = ok(registry(db, "import", d))
    assert summary_counts(r.stdout, "households")[:2] == (2000, 2000)
    assert psql(db, "SELECT count(*) FROM households WHERE village LIKE '%村'") == "2000"
    # and the UTF-8 originals then match exactly
    r = ok(registry(db, "import", gen))
    assert "0 registry changes logged" in r.stdout


def test_concurrent_imports_serialise(migrated, gen):
    db = migrated
    procs = [start_registry(db, "import", gen) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
    inserted = sorted(summary_counts(out, "households")[1] for out, _ in outs)
    assert inserted == [0, 2000]
    assert psql(db, "SELECT count(*) FROM registry_changes WHERE table_name = 'households'") == "2000"


def test_connection_lost_mid_import_loads_nothing(migrated, gen):
    db = migrated
    # another session holds the import lock: the import waits inside its transaction
    holder = subprocess.Popen(["psql", "-X", "-q", "-d", db], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    holder.stdin.write("SELECT pg_advisory_lock(x'7268696d'::bigint);\n")
    holder.stdin.flush()
    try:
        deadline = time.monotonic() + 30
        # (pg_locks and pg_stat_activity show the whole cluster: only this database)
        while psql(db, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                       "AND objid = x'7268696d'::bigint AND database = "
                       "(SELECT oid FROM pg_database WHERE datname = current_database())") != "1":
            assert time.monotonic() < deadline, "psql never took the lock"
            time.sleep(0.05)
        proc = start_registry(db, "import", gen)
        pid = ""
        deadline = time.monotonic() + 30
        while not pid and time.monotonic() < deadline:
            # (the import's role is not the test's: only the superuser sees its wait)
            pid = psql(rhtest.as_superuser(db), "SELECT pid FROM pg_stat_activity WHERE application_name = "
                           "'riskhub-registry import' AND wait_event = 'advisory' "
                           "AND datname = current_database()")
            time.sleep(0.1)
        assert pid, "the import never waited for the lock"
        psql(rhtest.as_superuser(db), f"SELECT pg_terminate_backend({pid})")
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 69, err
        assert "lost the connection to PostgreSQL" in err and "nothing was loaded" in err
        assert "another riskhub-registry import is running" in err
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert psql(db, "SELECT count(*) FROM households") == "0"
    assert psql(db, "SELECT count(*) FROM registry_changes") == "0"


def test_database_refusal_is_internal_and_quotes_no_row(migrated, gen):
    """A rule the database has and the validation does not (here: a constraint
    added by hand): exit 70, the constraint named, no row quoted (PostgreSQL's
    DETAIL would quote it, name and ID), nothing loaded."""
    db = migrated
    psql(db, "ALTER TABLE members ADD CONSTRAINT test_no_spouse CHECK (relation <> 'spouse')")
    r = registry(db, "import", gen)
    assert r.returncode == 70, r.stderr
    assert "violates check constraint" in r.stderr and "test_no_spouse" in r.stderr
    assert "Failing row" not in r.stderr
    rhtest.assert_no_full_id(r.stdout, r.stderr)
    names = {row["name"] for _, row in read_csv(gen / "members.csv")}
    assert not any(n in r.stderr for n in names)
    assert psql(db, "SELECT count(*) FROM households") == "0"
    assert psql(db, "SELECT count(*) FROM registry_changes") == "0"


# ---- the tables' own rules ------------------------------------------------------

def test_table_constraints(migrated, gen):
    db = migrated
    ok(registry(db, "import", gen))
    hid = psql(db, "SELECT household_id FROM households WHERE household_type = 'ordinary' ORDER BY 1 LIMIT 1")
    # TRUNCATE would bypass the change log
    r = psql(db, "TRUNCATE members, households CASCADE", check=False)
    assert r.returncode != 0 and "bypasses registry_changes" in r.stderr
    # a household's head must be one of its members (checked at commit)
    r = psql(db, f"UPDATE households SET head_id_number = '{make_id('11010519491231002')}' "
                 f"WHERE household_id = '{hid}'", check=False)
    assert r.returncode != 0 and "households_head_is_member" in r.stderr
    r = psql(db, f"UPDATE households SET household_type = 'monitored' WHERE household_id = '{hid}' "
                 "AND household_type <> 'monitored'", check=False)
    assert r.returncode != 0 and ("households_category_iff_monitored" in r.stderr or
                                  "households_monitored_identified" in r.stderr), r.stderr
    # a no-op update logs nothing; a real one logs a 'U'
    mark = max_change(db)
    psql(db, f"UPDATE households SET village = village WHERE household_id = '{hid}'")
    assert changes_since(db, mark) == []
    psql(db, f"UPDATE households SET village = village || '2' WHERE household_id = '{hid}'")
    assert changes_since(db, mark) == [("households", hid, "U")]
    # warnings: the states of a warning's life; a dismissal needs its reason
    base = ("INSERT INTO warnings (alert_id, household_id, township_code, period, risk, rule_id, "
            "state, dismiss_reason) VALUES ('{a}', '411024100-001-0001', '411024100', '2026-10', "
            "'ILLNESS', 'r1', '{s}', {reason})")
    psql(db, base.format(a="a1", s="PUSHED", reason="NULL"))
    psql(db, base.format(a="a2", s="DISMISSED", reason="'收入已核实高于监测线'"))
    for state, reason in (("DISMISSED", "NULL"), ("DISMISSED", "'  '"), ("OVERDUE", "NULL"),
                          ("VERIFIED", "NULL")):
        r = psql(db, base.format(a="a3", s=state, reason=reason), check=False)
        assert r.returncode != 0, state
    for s in ("RECEIVED", "VERIFYING", "ALREADY_MONITORED", "PROPOSED", "INCLUDED", "ASSISTING",
              "RISK_ELIMINATED", "INCLUDED"):
        psql(db, f"UPDATE warnings SET state = '{s}' WHERE alert_id = 'a1'")
    assert psql(db, "SELECT updated_at > created_at FROM warnings WHERE alert_id = 'a1'") == "t"


# ---- the shrink guard (issue #10) ------------------------------------------------

def subset_registry(src, dst, keep):
    """A copy of the registry src with only the households for which keep(row)
    holds, their members and their applications: a self-consistent export that
    validates row by row. Returns (households, members, applications) removed."""
    dst.mkdir(parents=True, exist_ok=True)
    hh = [row for _, row in read_csv(src / "households.csv")]
    kept = {h["household_id"] for h in hh if keep(h)}
    removed = []
    for name in ("households.csv", "members.csv", "applications.csv"):
        items = [row for _, row in read_csv(src / name)]
        header = (src / name).read_text(encoding="utf-8").splitlines()[0].split(",")
        write_csv(dst / name, header, [r for r in items if r["household_id"] in kept])
        removed.append(sum(1 for r in items if r["household_id"] not in kept))
    return tuple(removed)


def villages(src):
    """{(township_code, village): [household_id, ...]} of a registry's households."""
    out = {}
    for _, h in read_csv(src / "households.csv"):
        out.setdefault((h["township_code"], h["village"]), []).append(h["household_id"])
    return out


def assert_refused_unchanged(r, db, before, names):
    assert r.returncode == 65, f"exit {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}"
    assert "by the shrink guard" in r.stderr and "nothing was changed" in r.stderr, r.stderr
    assert "import again with --allow-shrink" in r.stderr, r.stderr
    rhtest.assert_no_full_id(r.stdout, r.stderr)
    assert not any(n in r.stderr for n in names)
    assert snapshot(db) == before


def test_shrink_half_refused_then_allowed(migrated, gen, tmp_path):
    """Half the households (every other one) gone from a self-consistent export:
    refused with the counts, the database untouched (also with --dry-run);
    --allow-shrink applies it and says so."""
    db = migrated
    r = ok(registry(db, "import", gen))
    assert "shrink guard: the database had no households; nothing to guard" in r.stdout
    before = snapshot(db)
    order = {h["household_id"]: i for i, (_, h) in enumerate(read_csv(gen / "households.csv"))}
    d = tmp_path / "half"
    hh_gone, mb_gone, ap_gone = subset_registry(gen, d, lambda h: order[h["household_id"]] % 2 == 0)
    assert hh_gone == 1000 and mb_gone > 2000
    names = {row["name"] for _, row in read_csv(gen / "members.csv")}
    want = (f"this import would delete 1000 of 2000 households (50.0 %, more than the 5.0 % "
            f"allowed by registry.max_delete_share), {mb_gone} members and {ap_gone} "
            f"application{'' if ap_gone == 1 else 's'}")

    r = registry(db, "import", d)
    assert_refused_unchanged(r, db, before, names)
    assert f"shrink guard: {want}\n" in r.stderr, r.stderr
    assert "import refused by the shrink guard: more than the allowed share" in r.stderr
    assert r.stdout == ""

    r = registry(db, "import", "--dry-run", d)
    assert_refused_unchanged(r, db, before, names)
    assert "import --dry-run: the import would be refused by the shrink guard" in r.stderr
    assert f"shrink guard: {want}\n" in r.stderr

    r = ok(registry(db, "import", "--dry-run", "--allow-shrink", d))
    assert "let through by --allow-shrink" in r.stdout and "nothing loaded" in r.stdout
    assert snapshot(db) == before

    r = ok(registry(db, "import", "--allow-shrink", d))
    assert f"shrink guard: let through by --allow-shrink: {want};" in r.stdout, r.stdout
    assert f"shrink guard (--allow-shrink): {want}" in r.stderr
    assert summary_counts(r.stdout, "households") == (1000, 0, 0, 1000, 1000)
    assert summary_counts(r.stdout, "members")[3] == mb_gone
    assert psql(db, "SELECT count(*) FROM households") == "1000"
    assert psql(db, "SELECT count(*) FROM members") == str(
        sum(1 for _ in read_csv(d / "members.csv")))


def test_shrink_whole_village_refused(migrated, gen, tmp_path):
    """One village gone (a share far below 5 %): refused, the village named."""
    db = migrated
    ok(registry(db, "import", gen))
    before = snapshot(db)
    vs = villages(gen)
    township_villages = {}
    for (t, v) in vs:
        township_villages[t] = township_villages.get(t, 0) + 1
    # the smallest village of more than one household, in a township of several villages
    (twp, village), ids = min(((k, v) for k, v in vs.items()
                               if len(v) >= 2 and township_villages[k[0]] >= 2),
                              key=lambda kv: (len(kv[1]), kv[0]))
    d = tmp_path / "village"
    gone = set(ids)
    hh_gone, _, _ = subset_registry(gen, d, lambda h: h["household_id"] not in gone)
    assert hh_gone == len(ids) < 100
    names = {row["name"] for _, row in read_csv(gen / "members.csv")}
    tname = re.search(rf'code: "{twp}", name: (\S+?)\}}',
                      rhtest.CONFIG.read_text(encoding="utf-8")).group(1)

    r = registry(db, "import", d)
    assert_refused_unchanged(r, db, before, names)
    assert (f"shrink guard: every household of village {village} of township {twp} {tname} "
            f"would be deleted ({len(ids)} households)\n") in r.stderr, r.stderr
    assert f"{len(ids)} of 2000 households" in r.stderr and "within the 5.0 %" in r.stderr
    assert "a township or village would lose every household" in r.stderr
    assert "more than the allowed share" not in r.stderr

    # all but one of its households gone: the village stays, the import goes through
    d2 = tmp_path / "village-but-one"
    subset_registry(gen, d2, lambda h: h["household_id"] not in gone or h["household_id"] == ids[0])
    r = ok(registry(db, "import", d2))
    assert "shrink guard: passed" in r.stdout
    assert summary_counts(r.stdout, "households")[3] == len(ids) - 1


def with_share(share):
    """The shipped configuration with registry.max_delete_share set to share."""
    text = rhtest.CONFIG.read_text(encoding="utf-8")
    text, n = re.subn(r"^  max_delete_share: [0-9.]+", f"  max_delete_share: {share}", text,
                      flags=re.M)
    assert n == 1
    return text


def test_shrink_whole_township_and_the_setting(migrated, gen, tmp_path):
    """A township gone: refused even when registry.max_delete_share allows its share."""
    db = migrated
    ok(registry(db, "import", gen))
    before = snapshot(db)
    counts = {}
    for _, h in read_csv(gen / "households.csv"):
        counts[h["township_code"]] = counts.get(h["township_code"], 0) + 1
    twp = min(counts, key=lambda t: (counts[t], t))
    assert 100 < counts[twp] < 200  # more than 5 %, less than 10 % of 2,000
    d = tmp_path / "township"
    subset_registry(gen, d, lambda h: h["township_code"] != twp)
    cfg = tmp_path / "riskhub.yaml"
    cfg.write_text(with_share(0.10), encoding="utf-8")
    r = registry(db, "--config", cfg, "import", d)
    assert_refused_unchanged(r, db, before, set())
    assert "within the 10.0 % allowed by registry.max_delete_share" in r.stderr, r.stderr
    assert re.search(rf"shrink guard: every household of township {twp} \S+ would be deleted "
                     rf"\({counts[twp]} households\)\n", r.stderr), r.stderr
    assert "every household of village" not in r.stderr  # its villages are not listed
    # with the default 5 % the share alone refuses it too
    r = registry(db, "import", d)
    assert_refused_unchanged(r, db, before, set())
    assert "more than the 5.0 % allowed" in r.stderr
    # a setting out of range stops the program before the database is touched
    cfg.write_text(with_share(5), encoding="utf-8")
    r = registry(db, "--config", cfg, "import", d)
    assert r.returncode == 78 and "registry.max_delete_share: must be a share from 0 to 1" in r.stderr
    assert snapshot(db) == before


def test_small_shrink_accepted(migrated, gen, tmp_path):
    """A few households gone from large villages: imported, the guard says it passed."""
    db = migrated
    ok(registry(db, "import", gen))
    vs = villages(gen)
    big = sorted((v for v in vs.values() if len(v) >= 5), key=len, reverse=True)
    gone = {big[0][0], big[1][0], big[2][0]}
    d = tmp_path / "small"
    hh_gone, mb_gone, ap_gone = subset_registry(gen, d, lambda h: h["household_id"] not in gone)
    assert hh_gone == 3
    r = ok(registry(db, "import", d))
    assert (f"shrink guard: passed: this import would delete 3 of 2000 households (0.1 %, within "
            f"the 5.0 % allowed by registry.max_delete_share), {mb_gone} members") in r.stdout
    assert "no township or village loses every household" in r.stdout
    assert summary_counts(r.stdout, "households") == (1997, 0, 0, 3, 1997)
    assert psql(db, "SELECT count(*) FROM households") == "1997"
    assert r.stderr == ""
