-- One role a program, each with only its part (issue 12, docs/security.md
-- "PostgreSQL"). The tables stay owned by the role that runs `riskhub-registry
-- migrate` (the schema's owner, `riskhub` on the project's cluster): no service
-- connects as it, so no service can ALTER a table, disable the append-only
-- triggers of unmasked_exports or rewrite registry_changes.
-- The roles are the cluster's (CREATE ROLE needs an administrator): the project's
-- cluster gets them from scripts/postgres.sh; elsewhere a DBA makes them first
-- (docs/security.md). This migration only grants, and refuses to run without them.
-- Applied by `riskhub-registry migrate` inside one transaction: no BEGIN/COMMIT here.

DO $$
DECLARE
    missing text;
BEGIN
    SELECT string_agg(r, ', ' ORDER BY r) INTO missing
      FROM unnest(ARRAY['riskhub_import', 'riskhub_join', 'riskhub_ledger', 'riskhub_status',
                        'riskhub_township', 'riskhub_audit']) AS r
     WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r);
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'the roles % do not exist: a database administrator creates them first '
                        '(docs/security.md, "PostgreSQL"; scripts/postgres.sh does on the '
                        'project''s cluster)', missing
            USING ERRCODE = 'undefined_object';
    END IF;
END;
$$;

-- Nothing for anybody unless granted below.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM PUBLIC;

-- The changelog is written by the registry's triggers only: the function runs
-- as the schema's owner, so the import writes households and members and the
-- log follows, but nobody inserts into or deletes from registry_changes.
ALTER FUNCTION registry_changes_log() SECURITY DEFINER SET search_path = public, pg_temp;

-- riskhub-registry import: the registry, and the version it checks.
GRANT SELECT, INSERT, UPDATE, DELETE ON households, members, applications TO riskhub_import;
GRANT SELECT ON schema_migrations TO riskhub_import;

-- riskhub-join: reads the registry and its changelog.
GRANT SELECT ON households, members, applications, registry_changes TO riskhub_join;

-- riskhub-ledger: writes the ledger (never deletes); reads nothing of the registry.
GRANT SELECT, INSERT, UPDATE ON warnings, check_results, unmatched_alerts, list_manifests,
    ledger_offsets TO riskhub_ledger;

-- riskhub-status, riskhub-health, riskhub-selftest: the ledger's figures.
GRANT SELECT ON warnings, check_results, unmatched_alerts, list_manifests, ledger_offsets
    TO riskhub_status;

-- riskhub-alerts, a township's tool: the name of a warned household's head (a
-- view: not the registry itself), and the record of an unmasked export (it
-- learns the record's id, nothing of the others).
CREATE VIEW household_heads AS
    SELECT h.household_id, m.name AS head_name
      FROM households h JOIN members m ON m.id_number = h.head_id_number;
REVOKE ALL ON household_heads FROM PUBLIC;
GRANT SELECT ON household_heads TO riskhub_township;
GRANT INSERT ON unmasked_exports TO riskhub_township;
GRANT SELECT (export_id) ON unmasked_exports TO riskhub_township;

-- riskhub-replay, the auditor: reads everything, writes nothing.
GRANT SELECT ON households, members, applications, registry_changes, warnings, check_results,
    unmatched_alerts, list_manifests, ledger_offsets, unmasked_exports, schema_migrations
    TO riskhub_audit;

-- The first import's fast path (docs/registry.md, "A first import") drops the
-- registry tables' keys and indexes, COPYs the rows straight in and makes them
-- again: DDL that only the tables' owner may run. These two functions run it as
-- the owner, for the import's role alone, and do nothing else; what is to be
-- made again is kept in a table no role but the owner reads or writes, inside
-- the import's transaction (a refused import rolls it all back).
CREATE TABLE registry_first_import_ddl (
    ord        integer PRIMARY KEY,
    drop_sql   text NOT NULL,
    create_sql text NOT NULL
);
REVOKE ALL ON registry_first_import_ddl FROM PUBLIC;

-- Locks the tables (the readers' order: the change log, households, members),
-- looks again: false if a row is there (nothing dropped). Else drops the keys
-- (foreign first) and other indexes of the three tables, and of the change log
-- while it holds fewer than a million rows (a long history is left alone),
-- exactly as the catalog has them; true.
CREATE FUNCTION registry_first_import_begin() RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    d record;
BEGIN
    LOCK TABLE registry_changes, households, members, applications IN ACCESS EXCLUSIVE MODE;
    IF EXISTS (SELECT 1 FROM households) OR EXISTS (SELECT 1 FROM members)
       OR EXISTS (SELECT 1 FROM applications) THEN
        RETURN false;
    END IF;
    -- the statements first, kept; then run (no query over a table may stay
    -- open in this session while it is altered)
    DELETE FROM registry_first_import_ddl;
    INSERT INTO registry_first_import_ddl (ord, drop_sql, create_sql)
    WITH tables AS (
        SELECT unnest(ARRAY['households'::regclass, 'members'::regclass,
                            'applications'::regclass]) AS t
        UNION ALL
        SELECT 'registry_changes'::regclass
         WHERE (SELECT count(*) FROM (SELECT 1 FROM registry_changes LIMIT 1000000) l) < 1000000)
    SELECT row_number() OVER (ORDER BY drop_order, name), drop_sql, create_sql FROM (
        SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass, conname) AS drop_sql,
               format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass, conname,
                      pg_get_constraintdef(oid)) AS create_sql,
               CASE contype WHEN 'f' THEN 0 ELSE 1 END AS drop_order, conname::text AS name
          FROM pg_constraint
         WHERE conrelid IN (SELECT t FROM tables) AND contype IN ('f', 'p', 'u')
        UNION ALL
        SELECT format('DROP INDEX %s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid),
               2, i.indexrelid::regclass::text
          FROM pg_index i
         WHERE i.indrelid IN (SELECT t FROM tables)
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                            WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)
    ) dd;
    FOR d IN SELECT drop_sql FROM registry_first_import_ddl ORDER BY ord LOOP
        EXECUTE d.drop_sql;
    END LOOP;
    RETURN true;
END;
$$;

-- Makes again what registry_first_import_begin dropped: indexes and unique keys
-- first, foreign keys last (each checks every row as it is made); the number made.
CREATE FUNCTION registry_first_import_end() RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    d record;
    n integer := 0;
BEGIN
    FOR d IN SELECT create_sql FROM registry_first_import_ddl
              ORDER BY (create_sql LIKE '% FOREIGN KEY %'), ord DESC
    LOOP
        EXECUTE d.create_sql;
        n := n + 1;
    END LOOP;
    DELETE FROM registry_first_import_ddl;
    RETURN n;
END;
$$;

REVOKE EXECUTE ON FUNCTION registry_first_import_begin(), registry_first_import_end() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION registry_first_import_begin(), registry_first_import_end()
    TO riskhub_import;
