-- Corrected lists (issue 11, docs/join.md "Corrections", docs/ledger.md): when a
-- department re-publishes a corrected list for a month, riskhub-join withdraws the
-- alerts only the superseded list supported, and riskhub-ledger applies each
-- withdrawal once: a warning_steps row (outcome WITHDRAWN, keyed by the
-- withdrawal's id, recorded_by the department's list) that leaves an open warning
-- WITHDRAWN. An unmatched alert withdrawn carries the withdrawal's id.
-- Applied by `riskhub-registry migrate` inside one transaction: no BEGIN/COMMIT here.

-- WITHDRAWN: no longer supported by its department's list; neither open nor
-- overdue, and not an outcome of a home visit.
ALTER TABLE warnings DROP CONSTRAINT warnings_state_check;
ALTER TABLE warnings ADD CONSTRAINT warnings_state_check
    CHECK (state IN ('PUSHED', 'RECEIVED', 'VERIFYING', 'UNREACHABLE', 'DISMISSED',
                     'ALREADY_MONITORED', 'PROPOSED', 'INCLUDED', 'ASSISTING',
                     'RISK_ELIMINATED', 'WITHDRAWN'));

ALTER TABLE warning_steps DROP CONSTRAINT warning_steps_outcome_check;
ALTER TABLE warning_steps ADD CONSTRAINT warning_steps_outcome_check
    CHECK (outcome IN ('VERIFYING', 'INCLUDED', 'NOT_INCLUDED', 'ALREADY_MONITORED',
                       'UNREACHABLE', 'WITHDRAWN'));

-- the withdrawal's id (NULL: not withdrawn). The ledger's grant on the table
-- (migration 007: SELECT, INSERT, UPDATE) covers the column; the readers' SELECT too.
ALTER TABLE unmatched_alerts ADD COLUMN withdrawn_by text COLLATE "C"
    CHECK (withdrawn_by ~ '^[0-9a-f]{64}$');
