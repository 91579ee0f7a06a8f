-- The township's steps at the household (issue 11, docs/verify.md): every step
-- a township reports of a warning (riskhub-verify publishes it to
-- verifications.<township>; riskhub-ledger reads it read_committed and keeps it
-- here once, with its consumer offsets in the same transaction), and the state
-- it moved the warning to. A step is kept even when it could not be applied
-- (refused says why): the audit sees what the township reported, not only what
-- the ledger believed. No ID number and no name is stored here.
-- Applied by `riskhub-registry migrate` inside one transaction: no BEGIN/COMMIT here.

-- UNREACHABLE: nobody could be reached at the household (a step, not an outcome:
-- the warning stays open and becomes overdue).
ALTER TABLE warnings DROP CONSTRAINT warnings_state_check;
ALTER TABLE warnings ADD CONSTRAINT warnings_state_check
    CHECK (state IN ('PUSHED', 'RECEIVED', 'VERIFYING', 'UNREACHABLE', 'DISMISSED',
                     'ALREADY_MONITORED', 'PROPOSED', 'INCLUDED', 'ASSISTING',
                     'RISK_ELIMINATED'));

CREATE TABLE warning_steps (
    verification_id text COLLATE "C" PRIMARY KEY CHECK (verification_id ~ '^[0-9a-f]{64}$'),
    -- no foreign key: a step naming a warning the ledger does not hold is kept, refused
    alert_id        text COLLATE "C" NOT NULL CHECK (alert_id <> ''),
    township_code   text COLLATE "C" NOT NULL CHECK (township_code ~ '^[0-9]{9}$'),
    outcome         text NOT NULL CHECK (outcome IN ('VERIFYING', 'INCLUDED', 'NOT_INCLUDED',
                                                     'ALREADY_MONITORED', 'UNREACHABLE')),
    reason          text,
    note            text CHECK (length(note) <= 500),
    visited_on      date,
    recorded_by     text NOT NULL CHECK (recorded_by <> ''),
    recorded_at     timestamptz NOT NULL,
    source          text NOT NULL DEFAULT '',
    -- where the step was read (verifications.<township>)
    topic           text NOT NULL,
    partition       integer NOT NULL,
    "offset"        bigint NOT NULL,
    -- the warning's state when the step was applied (NULL: no such warning)
    state_before    text,
    -- NULL: applied; else why the ledger did not apply it
    refused         text,
    applied_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT warning_steps_reason CHECK (outcome <> 'NOT_INCLUDED' OR reason IS NOT NULL)
);
CREATE INDEX warning_steps_alert ON warning_steps (alert_id, topic, partition, "offset");

-- riskhub-verify of one township checks a row against its own township's
-- warnings only (the role of migration 008); the bureau's riskhub_township sees all.
CREATE VIEW township_warnings WITH (security_barrier) AS
    SELECT w.alert_id, w.household_id, w.township_code, w.period, w.risk, w.state,
           w.visit_due, w.raised_at
      FROM warnings w
     WHERE current_user = 'riskhub_township'
        OR w.township_code = substring(current_user FROM '^riskhub_town_([0-9]{9})$');

-- the steps a township reported already: riskhub-verify does not send a row of
-- a file given again (the township fills in its export over days) a second time,
-- and says again why the ledger refused one
CREATE VIEW township_steps WITH (security_barrier) AS
    SELECT s.verification_id, s.alert_id, s.refused
      FROM warning_steps s
     WHERE current_user = 'riskhub_township'
        OR s.township_code = substring(current_user FROM '^riskhub_town_([0-9]{9})$');

REVOKE ALL ON warning_steps, township_warnings, township_steps FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE (state_before, refused) ON warning_steps TO riskhub_ledger;
GRANT SELECT ON warning_steps TO riskhub_status, riskhub_audit, riskhub_web;
GRANT SELECT ON township_warnings, township_steps TO riskhub_towns, riskhub_township;
