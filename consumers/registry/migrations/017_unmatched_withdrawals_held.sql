-- A withdrawal of an unmatched alert read before the alert (issue 11,
-- docs/ledger.md "Withdrawals"): after a backlog riskhub-join can meet a
-- corrected list's manifest before the superseded list's records, so the ledger
-- reads the withdrawal on alerts.unmatched first. It was counted refused and
-- lost; it is now kept here until a batch stores the alert, which takes it
-- (unmatched_alerts.withdrawn_by) and deletes it here, in the same transaction.
-- Applied by `riskhub-registry migrate` inside one transaction: no BEGIN/COMMIT here.

CREATE TABLE unmatched_withdrawals_held (
    withdrawal_id text COLLATE "C" PRIMARY KEY CHECK (withdrawal_id ~ '^[0-9a-f]{64}$'),
    alert_id      text COLLATE "C" NOT NULL CHECK (alert_id <> ''),
    -- where the withdrawal was read (alerts.unmatched)
    topic         text NOT NULL,
    partition     integer NOT NULL,
    "offset"      bigint NOT NULL,
    held_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX unmatched_withdrawals_held_alert ON unmatched_withdrawals_held (alert_id);

REVOKE ALL ON unmatched_withdrawals_held FROM PUBLIC;
GRANT SELECT, INSERT, DELETE ON unmatched_withdrawals_held TO riskhub_ledger;
GRANT SELECT ON unmatched_withdrawals_held TO riskhub_status, riskhub_audit;
