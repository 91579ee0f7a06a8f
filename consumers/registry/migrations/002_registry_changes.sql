-- The registry change log the join service polls to apply registry changes
-- while it runs (docs/registry.md, "The change log").
--
-- One row a changed household or member: inserted ('I'), updated ('U'),
-- deleted ('D'), keyed by household_id / id_number. Written by statement-level
-- triggers with transition tables (one INSERT a statement, not a function call
-- a row), so a full import of 650,000 members stays fast. An UPDATE that
-- changes nothing logs nothing; an UPDATE that changes a key logs a 'D' of the
-- old key and an 'I' of the new one.
--
-- Ordering contract: every transaction that writes change rows first takes
-- the transaction-level advisory lock below and holds it to its end, so
-- change_id values are handed out in commit order. A reader that has seen
-- every change up to N finds every later change with change_id > N; ids may
-- have gaps (rolled-back transactions) but a smaller id never becomes visible
-- after a larger one.
--
-- After every statement that logged rows, NOTIFY riskhub_registry with the
-- table name as payload (delivered at commit; duplicates within a transaction
-- are folded into one).
--
-- TRUNCATE would bypass the log: it is refused.

CREATE TABLE registry_changes (
    change_id  bigserial PRIMARY KEY,
    changed_at timestamptz NOT NULL DEFAULT now(),
    table_name text NOT NULL CHECK (table_name IN ('households', 'members')),
    key        text NOT NULL,
    op         char(1) NOT NULL CHECK (op IN ('I', 'U', 'D'))
);

-- 0x72686368 = 'rhch' (riskhub changes): serialises writers of the change log.
CREATE FUNCTION registry_changes_log() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    keycol text := CASE TG_TABLE_NAME WHEN 'households' THEN 'household_id' ELSE 'id_number' END;
    any_rows boolean;
    n bigint;
BEGIN
    -- statement triggers fire for statements that touched no row too (an import
    -- that changes nothing): then there is nothing to log and no lock to take
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I)',
                   CASE TG_OP WHEN 'DELETE' THEN 'old_rows' ELSE 'new_rows' END) INTO any_rows;
    IF NOT any_rows THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock(1919443816);
    IF TG_OP = 'INSERT' THEN
        EXECUTE format('INSERT INTO registry_changes (table_name, key, op)
                        SELECT %L, n.%I, ''I'' FROM new_rows n', TG_TABLE_NAME, keycol);
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE format('INSERT INTO registry_changes (table_name, key, op)
                        SELECT %L, o.%I, ''D'' FROM old_rows o', TG_TABLE_NAME, keycol);
    ELSE
        -- changed rows under the same key; then keys that went away and keys that came
        EXECUTE format('INSERT INTO registry_changes (table_name, key, op)
                        SELECT %1$L, n.%2$I, ''U'' FROM new_rows n JOIN old_rows o USING (%2$I)
                         WHERE (n.*) IS DISTINCT FROM (o.*)
                        UNION ALL
                        SELECT %1$L, o.%2$I, ''D'' FROM old_rows o
                         WHERE NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.%2$I = o.%2$I)
                        UNION ALL
                        SELECT %1$L, n.%2$I, ''I'' FROM new_rows n
                         WHERE NOT EXISTS (SELECT 1 FROM old_rows o WHERE o.%2$I = n.%2$I)',
                       TG_TABLE_NAME, keycol);
    END IF;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n > 0 THEN
        PERFORM pg_notify('riskhub_registry', TG_TABLE_NAME);
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION registry_refuse_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'TRUNCATE % bypasses registry_changes: use DELETE', TG_TABLE_NAME
        USING ERRCODE = 'feature_not_supported';
END;
$$;

CREATE TRIGGER households_log_insert AFTER INSERT ON households
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION registry_changes_log();
CREATE TRIGGER households_log_update AFTER UPDATE ON households
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION registry_changes_log();
CREATE TRIGGER households_log_delete AFTER DELETE ON households
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION registry_changes_log();
CREATE TRIGGER households_no_truncate BEFORE TRUNCATE ON households
    FOR EACH STATEMENT EXECUTE FUNCTION registry_refuse_truncate();

CREATE TRIGGER members_log_insert AFTER INSERT ON members
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION registry_changes_log();
CREATE TRIGGER members_log_update AFTER UPDATE ON members
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION registry_changes_log();
CREATE TRIGGER members_log_delete AFTER DELETE ON members
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION registry_changes_log();
CREATE TRIGGER members_no_truncate BEFORE TRUNCATE ON members
    FOR EACH STATEMENT EXECUTE FUNCTION registry_refuse_truncate();
