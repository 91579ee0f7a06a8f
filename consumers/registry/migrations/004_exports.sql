-- The record of unmasked exports (domain.md, "Personal information": keep a
-- record of who exported unmasked data). riskhub-alerts --unmasked
-- (docs/alerts.md) inserts and commits one row per output batch BEFORE it
-- writes the batch with full ID numbers; when the row cannot be written,
-- nothing unmasked is written. A one-shot run writes one row; --follow one
-- row per batch, all with the run's run_id.
--
-- who:  os_user (the account that ran the program), operator (--operator,
--       the person at the keyboard when the account is shared), hostname
-- when: exported_at (the database's clock, at the insert)
-- what: townships (codes), unmatched (alerts.unmatched too), the window
--       (consumer_group for a group read, or from_date / period), format,
--       destination (a file name or 'stdout'), record_count, and ranges:
--       the topics, partitions and offsets the records came from
--       ([{"topic", "partition", "first", "last", "count"}]), which says
--       exactly which alerts were shown.
--
-- Append-only: UPDATE and DELETE are refused by a trigger (TRUNCATE too), so
-- a record cannot be quietly edited by the programs that write it. Pruning
-- old records is a deliberate act of the database owner (disable the trigger).
-- Applied by `riskhub-registry migrate` inside one transaction: no BEGIN/COMMIT here.

CREATE TABLE unmasked_exports (
    export_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id         text COLLATE "C" NOT NULL CHECK (run_id ~ '^[0-9a-f]{32}$'),
    exported_at    timestamptz NOT NULL DEFAULT now(),
    os_user        text NOT NULL CHECK (btrim(os_user) <> ''),
    operator       text CHECK (operator IS NULL OR btrim(operator) <> ''),
    hostname       text NOT NULL,
    program        text NOT NULL CHECK (program <> ''),
    townships      text[] COLLATE "C" NOT NULL
                   CHECK (array_position(townships, NULL) IS NULL),
    unmatched      boolean NOT NULL,
    consumer_group text,
    from_date      date,
    period         text COLLATE "C" CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    format         text NOT NULL CHECK (format IN ('table', 'jsonl', 'csv')),
    destination    text NOT NULL CHECK (destination <> ''),
    record_count   integer NOT NULL CHECK (record_count > 0),
    ranges         jsonb NOT NULL CHECK (jsonb_typeof(ranges) = 'array'),

    -- something was asked for
    CONSTRAINT unmasked_exports_what
        CHECK (cardinality(townships) > 0 OR unmatched),
    -- a group read or a window, not both
    CONSTRAINT unmasked_exports_window
        CHECK (consumer_group IS NULL OR (from_date IS NULL AND period IS NULL))
);

CREATE INDEX unmasked_exports_time ON unmasked_exports (exported_at);
CREATE INDEX unmasked_exports_run ON unmasked_exports (run_id);

CREATE FUNCTION unmasked_exports_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'unmasked_exports is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER unmasked_exports_append_only
    BEFORE UPDATE OR DELETE ON unmasked_exports
    FOR EACH ROW EXECUTE FUNCTION unmasked_exports_append_only();

CREATE TRIGGER unmasked_exports_no_truncate
    BEFORE TRUNCATE ON unmasked_exports
    FOR EACH STATEMENT EXECUTE FUNCTION unmasked_exports_append_only();
