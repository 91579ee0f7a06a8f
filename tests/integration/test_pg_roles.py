"""PostgreSQL secured as a county runs it (issue 12, docs/security.md "PostgreSQL"):
scram-sha-256 only, the superuser included; one role a program, each able to do its
part and nothing more (consumers/registry/migrations/007_roles.sql). The policy below
is written out here, apart from the migration, and every role is tried against every
table for each kind of access: what the policy allows must work, the rest must be
refused by the server."""
import os
import stat
import subprocess

import pytest

import rhtest
from rhtest import pg_rows, psql

ROLES = ["riskhub_import", "riskhub_join", "riskhub_ledger", "riskhub_status",
         "riskhub_township", "riskhub_audit", "riskhub_town_411024100"]
RELATIONS = ["households", "members", "applications", "registry_changes", "warnings",
             "check_results", "unmatched_alerts", "list_manifests", "ledger_offsets",
             "unmasked_exports", "schema_migrations", "household_heads",
             "registry_first_import_ddl", "warning_steps", "township_warnings", "township_steps",
             "check_results_current"]
REGISTRY = {"households", "members", "applications"}
LEDGER = {"warnings", "check_results", "unmatched_alerts", "list_manifests", "ledger_offsets"}
STEPS = {"warning_steps"}
# the current check results (migration 013, issue 11): read by those that read the ledger
CURRENT = {"check_results_current"}

# role -> access -> the relations it may use so; anything else is refused.
POLICY = {
    "riskhub_import": {"select": REGISTRY | {"schema_migrations"}, "insert": REGISTRY,
                       "update": REGISTRY, "delete": REGISTRY},
    "riskhub_join": {"select": REGISTRY | {"registry_changes"}},
    # the townships' steps (migration 010): kept once, and the state each found
    "riskhub_ledger": {"select": LEDGER | STEPS, "insert": LEDGER | STEPS, "update": LEDGER | STEPS},
    "riskhub_status": {"select": LEDGER | STEPS | CURRENT},
    "riskhub_township": {"select": {"household_heads", "township_warnings", "township_steps"},
                         "insert": {"unmasked_exports"}},
    "riskhub_audit": {"select": set(RELATIONS) - {"household_heads", "registry_first_import_ddl",
                                                  "township_warnings", "township_steps"}},
}
# one township's riskhub-alerts: the rights of its group riskhub_towns, its own rows
# (test_a_township_sees_its_own_households)
POLICY["riskhub_town_411024100"] = POLICY["riskhub_township"]

# Statements that touch no row: the privilege is checked all the same. An insert
# names one column with its default (an insert needs no SELECT privilege that way).
INSERT_COLUMN = {"households": "household_id", "members": "id_number", "applications": "period",
                 "registry_changes": "key", "warnings": "alert_id", "check_results": "check_id",
                 "unmatched_alerts": "alert_id", "list_manifests": "topic",
                 "ledger_offsets": "consumer", "unmasked_exports": "run_id",
                 "schema_migrations": "name", "household_heads": "household_id",
                 "registry_first_import_ddl": "create_sql",
                 # the ledger may set only the state a step found and why it was refused
                 "warning_steps": "refused", "township_warnings": "alert_id",
                 "township_steps": "alert_id", "check_results_current": "check_id"}


def statement(access, rel):
    if access == "select":
        return f"SELECT * FROM {rel} LIMIT 0"
    if access == "insert":
        # a row that breaks NOT NULL/CHECK if it ever got past the privilege check:
        # "permission denied" and a constraint error tell the two apart
        return f"INSERT INTO {rel} ({INSERT_COLUMN[rel]}) VALUES (NULL)"
    if access == "update":
        return f"UPDATE {rel} SET {INSERT_COLUMN[rel]} = NULL WHERE false"
    return f"DELETE FROM {rel} WHERE false"


def as_role(ns, role, sql, password_file=None, password=None):
    """psql as role on the namespace's database (the conninfo's later user wins)."""
    env = dict(os.environ)
    if password_file is not None:
        env["PGPASSFILE"] = str(password_file)
    if password is not None:
        env["PGPASSWORD"] = password
    return subprocess.run(["psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
                           "-d", f"{ns.conninfo} user={role}", "-c", sql],
                          capture_output=True, text=True, timeout=60, env=env)


def tried(ns, role, statements):
    """Each statement tried as role in one session (a DO block, each in a
    subtransaction of its own): [(sqlstate or "", message)] in order."""
    body = "\n".join(
        f"BEGIN EXECUTE $q${sql}$q$; RAISE NOTICE 'R|{i}||'; "
        f"EXCEPTION WHEN OTHERS THEN RAISE NOTICE 'R|{i}|%|%', SQLSTATE, SQLERRM; END;"
        for i, sql in enumerate(statements))
    r = as_role(ns, role, f"DO $do$ BEGIN\n{body}\nEND $do$")
    assert r.returncode == 0, r.stderr
    out = {}
    for line in r.stderr.splitlines():
        if line.startswith("NOTICE:  R|"):
            _, i, state, msg = line[len("NOTICE:  "):].split("|", 3)
            out[int(i)] = (state, msg)
    assert sorted(out) == list(range(len(statements))), r.stderr
    return [out[i] for i in range(len(statements))]


def denied(state, msg):
    """Refused by the server for want of the privilege (a view that cannot be
    written is refused so for everybody)."""
    return state == "42501" or msg.startswith(("cannot insert into view", "cannot update view",
                                               "cannot delete from view"))


def test_each_role_does_its_part_and_nothing_more(ns):
    wrong = []
    cases = [(rel, access) for rel in RELATIONS for access in ("select", "insert", "update", "delete")]
    for role in ROLES:
        results = tried(ns, role, [statement(access, rel) for rel, access in cases])
        for (rel, access), (state, msg) in zip(cases, results):
            allowed = rel in POLICY[role].get(access, set())
            if allowed and denied(state, msg):
                wrong.append(f"{role} {access} {rel}: refused ({msg})")
            elif not allowed and not denied(state, msg):
                wrong.append(f"{role} {access} {rel}: not refused ({state or 'done'} {msg[:120]})")
    assert not wrong, "\n".join(wrong)


def test_no_role_alters_the_audit_tables_or_the_schema(ns):
    """The attack of the issue: ALTER TABLE unmasked_exports DISABLE TRIGGER, then DELETE.
    No program's role owns a table, so none can; nor TRUNCATE, nor write the changelog
    the registry's triggers keep, nor create objects."""
    for role in ROLES:
        for sql in ("ALTER TABLE unmasked_exports DISABLE TRIGGER USER",
                    "ALTER TABLE registry_changes DISABLE TRIGGER ALL",
                    "ALTER TABLE households DISABLE TRIGGER USER",
                    "TRUNCATE unmasked_exports", "TRUNCATE warnings",
                    "DELETE FROM unmasked_exports",
                    "INSERT INTO registry_changes (table_name, key, op) VALUES ('households', 'x', 'I')",
                    "CREATE TABLE public.mine (x int)",
                    "CREATE FUNCTION public.mine() RETURNS int LANGUAGE sql AS 'SELECT 1'",
                    "SET ROLE riskhub"):
            r = as_role(ns, role, sql)
            assert r.returncode != 0, f"{role}: {sql} was not refused"
            assert ("permission denied" in r.stderr or "must be owner" in r.stderr), \
                f"{role}: {sql}: {r.stderr}"


def test_the_import_writes_the_registry_and_the_changelog_follows(ns):
    """registry_changes is written by the registry's trigger running as the schema's
    owner: the import's role changes a household, the changelog has the change,
    though that role cannot write the changelog itself (above)."""
    before = int(psql(ns.conninfo, "SELECT count(*) FROM registry_changes"))
    # one synthetic household and its head, in one transaction (the head's key is deferred)
    r = as_role(ns, "riskhub_import",
                "INSERT INTO households (household_id, township_code, village, household_type, "
                "income_per_capita, head_id_number) VALUES ('411024100-001-0001', '411024100', "
                "'v', 'ordinary', 0, '110105194912310021'); "
                "INSERT INTO members (id_number, household_id, name, sex, relation, birth_date, "
                "health, labour_ability, schooling, migrant_months, medical_insurance) VALUES "
                "('110105194912310021', '411024100-001-0001', '测试', 'male', 'head', '1949-12-31', "
                "'healthy', 'strong', 'none', 0, true)")
    assert r.returncode == 0, r.stderr
    after = pg_rows(ns.conninfo, "SELECT table_name, op FROM registry_changes ORDER BY change_id")
    assert len(after) == before + 2 and after[-2:] == [("households", "I"), ("members", "I")]


def test_passwords_only(ns, tmp_path):
    """scram-sha-256 for everybody, the superuser too: no trust line, every role's
    verifier is SCRAM, and a wrong or missing password is refused."""
    admin = rhtest.as_superuser(ns.conninfo)
    methods = psql(admin, "SELECT DISTINCT auth_method FROM pg_hba_file_rules "
                          "WHERE error IS NULL ORDER BY 1")
    assert methods.split() == ["scram-sha-256"], methods
    assert psql(admin, "SHOW password_encryption") == "scram-sha-256"
    plain = psql(admin, "SELECT rolname FROM pg_authid WHERE rolcanlogin AND "
                        "(rolpassword IS NULL OR rolpassword NOT LIKE 'SCRAM-SHA-256$%') "
                        "AND rolname IN ('postgres', 'riskhub', "
                        + ", ".join(f"'{r}'" for r in ROLES) + ")")
    assert plain == "", f"roles without a SCRAM password: {plain}"
    empty = tmp_path / "pgpass"
    empty.write_text("")
    empty.chmod(0o600)
    for role in ["postgres", "riskhub", *ROLES]:
        r = as_role(ns, role, "SELECT 1", password_file=empty, password="not-the-password")
        assert r.returncode != 0 and "password authentication failed" in r.stderr, (role, r.stderr)
        r = as_role(ns, role, "SELECT 1", password_file=empty)
        assert r.returncode != 0 and "no password supplied" in r.stderr, (role, r.stderr)


def test_the_passwords_file_is_private():
    st = os.stat(rhtest.PGPASSFILE)
    assert stat.S_IMODE(st.st_mode) == 0o600
    roles = {line.split(":")[3] for line in rhtest.PGPASSFILE.read_text().splitlines() if line}
    assert {"postgres", "riskhub", *ROLES} <= roles


def test_a_program_with_a_wrong_password_says_which_role_and_where(ns, tmp_path):
    """riskhub-status reads the ledger as riskhub_status: with a passwords file that
    has the wrong one it stops at once (69) naming the role and the file, and prints
    no password."""
    bad = tmp_path / "pgpass"
    bad.write_text("127.0.0.1:*:*:riskhub_status:wrong-password-123\n")
    bad.chmod(0o600)
    r = ns.run("riskhub-status", "--period", rhtest.PERIOD, env=ns.env(PGPASSFILE=str(bad)),
               timeout=60)
    assert r.returncode == 69, r.stderr
    assert "riskhub_status" in r.stderr and str(bad) in r.stderr, r.stderr
    assert "wrong-password-123" not in r.stderr + r.stdout


def test_a_township_sees_its_own_households(ns):
    """riskhub-alerts of one township connects as riskhub_town_<code> (migration 008):
    through household_heads it sees its own township's heads and no other's; the
    bureau's riskhub_township sees both; a role of no township none."""
    households = [("411024100-001-0001", "411024100", "110105194912310021", "甲"),
                  ("411024101-001-0001", "411024101", "110105195001010010", "乙")]
    sql = []
    for hid, town, head, name in households:
        sql.append("INSERT INTO households (household_id, township_code, village, household_type, "
                   f"income_per_capita, head_id_number) VALUES ('{hid}', '{town}', 'v', 'ordinary', 0, "
                   f"'{head}')")
        sql.append("INSERT INTO members (id_number, household_id, name, sex, relation, birth_date, "
                   "health, labour_ability, schooling, migrant_months, medical_insurance) VALUES "
                   f"('{head}', '{hid}', '{name}', 'male', 'head', '1950-01-01', 'healthy', 'strong', "
                   "'none', 0, true)")
    r = as_role(ns, "riskhub_import", "; ".join(sql))
    assert r.returncode == 0, r.stderr

    def heads(role):
        r = as_role(ns, role, "SELECT household_id FROM household_heads ORDER BY 1")
        assert r.returncode == 0, (role, r.stderr)
        return r.stdout.split()

    assert heads("riskhub_town_411024100") == ["411024100-001-0001"]
    assert heads("riskhub_town_411024101") == ["411024101-001-0001"]
    assert heads("riskhub_township") == ["411024100-001-0001", "411024101-001-0001"]
    # a township's role may not become another's, nor the bureau's; its group, which
    # it may become, sees nobody's
    for other in ("riskhub_town_411024101", "riskhub_township"):
        r = as_role(ns, "riskhub_town_411024100", f"SET ROLE {other}")
        assert r.returncode != 0 and "permission denied" in r.stderr, (other, r.stderr)
    r = as_role(ns, "riskhub_town_411024100", "SET ROLE riskhub_towns; "
                                               "SELECT count(*) FROM household_heads")
    assert r.returncode == 0 and r.stdout.strip() == "0", (r.stdout, r.stderr)


def test_a_township_sees_its_own_warnings_and_steps(ns):
    """riskhub-verify of one township checks its rows through township_warnings and
    township_steps (migration 010): its own township's, no other's."""
    for town in ("411024100", "411024101"):
        r = as_role(ns, "riskhub_ledger",
                    "INSERT INTO warnings (alert_id, household_id, township_code, period, risk, "
                    f"rule_id) VALUES ('a-{town}', '{town}-001-0001', '{town}', '2026-10', 'ILLNESS', "
                    "'r'); INSERT INTO warning_steps (verification_id, alert_id, township_code, "
                    "outcome, recorded_by, recorded_at, topic, partition, \"offset\") VALUES "
                    f"(repeat('{town[-1]}', 64), 'a-{town}', '{town}', 'VERIFYING', 'x', now(), 't', 0, 0)")
        assert r.returncode == 0, r.stderr

    def seen(role, view):
        r = as_role(ns, role, f"SELECT alert_id FROM {view} ORDER BY 1")
        assert r.returncode == 0, (role, r.stderr)
        return r.stdout.split()

    for view in ("township_warnings", "township_steps"):
        assert seen("riskhub_town_411024100", view) == ["a-411024100"], view
        assert seen("riskhub_town_411024101", view) == ["a-411024101"], view
        assert seen("riskhub_township", view) == ["a-411024100", "a-411024101"], view
    r = as_role(ns, "riskhub_town_411024100", "SET ROLE riskhub_towns; "
                                               "SELECT count(*) FROM township_warnings")
    assert r.returncode == 0 and r.stdout.strip() == "0", (r.stdout, r.stderr)


# riskhub-push (migration 012): the columns its queries read, nothing else
PUSH_COLUMNS = {"households": ["household_id", "township_code", "village"],
                "members": ["household_id", "id_number", "name", "relation"],
                "applications": ["period", "household_id"],
                "warnings": ["alert_id", "household_id", "state"],
                "warning_steps": ["alert_id", "outcome", "refused", "applied_at"]}


def test_push_reads_only_the_columns_it_sends(ns):
    if not pg_rows(ns.conninfo, "SELECT 1 FROM pg_roles WHERE rolname = 'riskhub_push'"):
        pytest.skip("no role riskhub_push on this cluster")
    cols = [f"SELECT {', '.join(c)} FROM {rel} LIMIT 0" for rel, c in PUSH_COLUMNS.items()]
    whole = [statement(a, rel) for rel in RELATIONS for a in ("select", "insert", "update", "delete")]
    results = tried(ns, "riskhub_push", cols + whole)
    wrong = [f"riskhub_push: {sql}: refused ({msg})" for sql, (state, msg) in zip(cols, results)
             if denied(state, msg)]
    wrong += [f"riskhub_push: {sql}: not refused" for sql, (state, msg)
              in zip(whole, results[len(cols):]) if not denied(state, msg)]
    # one column more than it sends: refused
    (state, msg), = tried(ns, "riskhub_push", ["SELECT household_id, health FROM members LIMIT 0"])
    if not denied(state, msg):
        wrong.append("riskhub_push: members.health not refused")
    assert not wrong, "\n".join(wrong)


def test_the_web_reads_the_warnings_and_moves_none(ns):
    """riskhub-web publishes an outcome as the township's Verification; the ledger alone
    moves a warning (migration 015): the web's role reads the warnings and the steps,
    keeps its accounts and sessions, and may no longer move a warning's state nor add
    to web_visits."""
    want = {  # (statement, allowed), written out here, apart from the migrations
        "SELECT alert_id, state, household_id FROM warnings LIMIT 0": True,
        "SELECT * FROM warning_steps LIMIT 0": True,
        "SELECT * FROM list_manifests LIMIT 0": True,
        "SELECT * FROM web_visits LIMIT 0": True,
        "UPDATE web_sessions SET expires_at = now() WHERE false": True,
        "DELETE FROM web_sessions WHERE false": True,
        "UPDATE warnings SET state = 'DISMISSED' WHERE false": False,
        "UPDATE warnings SET dismiss_reason = 'x' WHERE false": False,
        "UPDATE warnings SET visit_due = NULL WHERE false": False,
        "INSERT INTO warnings (alert_id) VALUES (NULL)": False,
        "DELETE FROM warnings WHERE false": False,
        "INSERT INTO web_visits (alert_id) VALUES (NULL)": False,
        "INSERT INTO warning_steps (refused) VALUES (NULL)": False,
        "UPDATE warning_steps SET refused = NULL WHERE false": False,
    }
    got = tried(ns, "riskhub_web", list(want))
    wrong = [f"{sql}: {'refused' if denied(*r) else 'not refused'} ({r[1][:100]})"
             for (sql, ok), r in zip(want.items(), got) if ok == denied(*r)]
    assert not wrong, "\n".join(wrong)
