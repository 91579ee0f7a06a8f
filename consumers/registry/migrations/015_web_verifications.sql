-- riskhub-web publishes a home visit's outcome as a Verification record to
-- verifications.<township>, as the township's party, like riskhub-verify
-- (docs/web.md, "Recording a visit"); the ledger alone moves the warnings
-- (../shared/docs/design.md, "Warning state lives in one place"). The web's role
-- therefore no longer moves a warning's state, nor keeps visits of its own:
-- web_visits holds the visits recorded before this migration (riskhub-status
-- still replays them, migration 011), every later one is a step in warning_steps.
-- PROPOSED (拟纳入监测), the page's proposal to include the household, becomes a
-- step the ledger knows (common/rh_verify.h).
-- Applied by `riskhub-registry migrate` inside one transaction: no BEGIN/COMMIT here.

REVOKE UPDATE ON warnings FROM riskhub_web;
REVOKE UPDATE (state, dismiss_reason) ON warnings FROM riskhub_web;
REVOKE INSERT ON web_visits FROM riskhub_web;
REVOKE USAGE ON SEQUENCE web_visits_visit_id_seq FROM riskhub_web;

ALTER TABLE warning_steps DROP CONSTRAINT warning_steps_outcome_check;
ALTER TABLE warning_steps ADD CONSTRAINT warning_steps_outcome_check
    CHECK (outcome IN ('VERIFYING', 'INCLUDED', 'NOT_INCLUDED', 'ALREADY_MONITORED',
                       'UNREACHABLE', 'WITHDRAWN', 'PROPOSED'));  -- WITHDRAWN: 014's

-- The page hears of a step as of a new warning: the ledger's moves of a
-- warning's state NOTIFY its township too (migration 009's function), at commit.
CREATE TRIGGER warnings_notify_moved AFTER UPDATE ON warnings
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION warnings_notify();
