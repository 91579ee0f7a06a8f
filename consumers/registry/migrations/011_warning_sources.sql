-- The verification table of riskhub-status (issue 11, docs/status.md "Verification"):
-- which department's list raised a warning, for the quarterly joint meeting's
-- "share confirmed at the household" per department, and what riskhub-status
-- needs to tell a warning's state as of a past day.
-- Applied by `riskhub-registry migrate` inside one transaction: no BEGIN/COMMIT here.

-- The Alert's department and feed (riskhub-ledger fills them from the record).
-- NULL for rows written before this migration: the report counts those under
-- "unknown". No index: the report reads a period's rows by warnings_period.
ALTER TABLE warnings ADD COLUMN department text COLLATE "C" CHECK (department <> ''),
                     ADD COLUMN feed       text COLLATE "C" CHECK (feed <> '');

-- riskhub-web moves a warning's state itself (docs/web.md): riskhub-status
-- replays those moves, with the ledger's applied steps, for a state as of a
-- past day. Only the columns it needs: no account name, no note.
GRANT SELECT (visit_id, alert_id, outcome, recorded_at) ON web_visits TO riskhub_status;
