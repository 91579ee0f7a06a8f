-- The meetings' figures from the ledger (issue 14, docs/status.md "Where the
-- figures come from"): riskhub-ledger also keeps every BatchManifest of
-- feed.manifests and the id of every alert of alerts.unmatched, so that
-- riskhub-status reads one month or a quarter from PostgreSQL, however long
-- ago the broker deleted the records.
-- Applied by `riskhub-registry migrate` inside one transaction: no BEGIN/COMMIT here.

-- One row a BatchManifest message (schemas/BatchManifest.avsc), as published:
-- a list published twice (--republish) or corrected gives two rows, the way
-- riskhub-status counts it. The key is where the message was (topic,
-- partition, offset): the batch id is not unique across re-publications.
-- No personal data: the file's name and hash, counts and times.
CREATE TABLE list_manifests (
    topic          text COLLATE "C" NOT NULL CHECK (topic <> ''),
    partition      integer NOT NULL CHECK (partition >= 0),
    "offset"       bigint NOT NULL CHECK ("offset" >= 0),
    batch_id       text COLLATE "C" NOT NULL CHECK (batch_id <> ''),
    department     text COLLATE "C" NOT NULL CHECK (department <> ''),
    feed           text COLLATE "C" NOT NULL CHECK (feed <> ''),
    kind           text NOT NULL,
    period         text COLLATE "C" NOT NULL,
    source_name    text NOT NULL,
    source_sha256  text COLLATE "C" NOT NULL,
    rows_total     bigint NOT NULL,
    rows_accepted  bigint NOT NULL,
    rows_rejected  bigint NOT NULL,
    started_at     timestamptz NOT NULL,
    finished_at    timestamptz NOT NULL,
    producer       text NOT NULL,
    stored_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (topic, partition, "offset")
);

CREATE INDEX list_manifests_period ON list_manifests (period, department, feed);

-- An alert of alerts.unmatched (a person the registry does not know: the
-- county office's): only its id, month and risk, for the counts. The alert
-- itself (name, ID number) stays on the topic and in the archive.
CREATE TABLE unmatched_alerts (
    alert_id   text COLLATE "C" PRIMARY KEY CHECK (alert_id <> ''),
    period     text COLLATE "C" NOT NULL,
    risk       text NOT NULL,
    raised_at  timestamptz NOT NULL,
    stored_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX unmatched_alerts_period ON unmatched_alerts (period);

-- When the join raised the warning (the Alert's created_at): the status
-- report's "as of" counts a warning from then, not from when the ledger
-- wrote the row (created_at). NULL for rows written before this migration.
ALTER TABLE warnings ADD COLUMN raised_at timestamptz;

CREATE INDEX warnings_period ON warnings (period, township_code);
CREATE INDEX check_results_period ON check_results (period, township_code);
