-- riskhub-ledger (docs/ledger.md): the rows it makes from the join's topics
-- and where it stands in them.
--
-- The ledger reads alerts.<township> and checks.<township> read_committed and
-- writes, in ONE transaction, the rows of a batch (warnings: migration 003;
-- check_results: below) and its position in each partition (ledger_offsets).
-- It starts from ledger_offsets, never from Kafka's committed offsets, so the
-- rows are in the database exactly once whatever stops it (the pattern of a
-- JDBC sink keeping its offsets in the database). Rows are also inserted
-- with ON CONFLICT DO NOTHING, a second safety.
-- Applied by `riskhub-registry migrate` inside one transaction: no BEGIN/COMMIT here.

-- One row a CheckResult (schemas/CheckResult.avsc): an applicant household's
-- member compared with a check department's list for a period. The member's
-- name is not copied (it is the registry's); the ID number is, as the
-- registry's members table holds it.
CREATE TABLE check_results (
    check_id            text COLLATE "C" PRIMARY KEY CHECK (check_id <> ''),
    period              text COLLATE "C" NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    township_code       text COLLATE "C" NOT NULL CHECK (township_code ~ '^[0-9]{9}$'),
    household_id        text COLLATE "C" NOT NULL CHECK (household_id <> ''),
    member_id_number    text COLLATE "C" NOT NULL CHECK (member_id_number <> ''),
    department          text NOT NULL CHECK (department <> ''),
    feed                text NOT NULL CHECK (feed <> ''),
    matched             boolean NOT NULL,
    facts               jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(facts) = 'object'),
    complete            boolean NOT NULL,
    missing_departments text[] NOT NULL DEFAULT '{}',
    -- the matching feed record (null when not matched)
    source_topic        text,
    source_partition    integer,
    source_offset       bigint,
    created_at          timestamptz NOT NULL,            -- when the join made the result
    stored_at           timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX check_results_household ON check_results (household_id, period);
CREATE INDEX check_results_township ON check_results (township_code, period);

-- The ledger's position: the next offset to read in each partition, per
-- consumer (its group name, with the topic prefix). Written in the same
-- transaction as the rows; a batch whose first offset lies below the stored
-- position (another instance wrote it) is refused and rolled back.
CREATE TABLE ledger_offsets (
    consumer    text COLLATE "C" NOT NULL CHECK (consumer <> ''),
    topic       text COLLATE "C" NOT NULL CHECK (topic <> ''),
    partition   integer NOT NULL CHECK (partition >= 0),
    next_offset bigint NOT NULL CHECK (next_offset >= 0),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, topic, partition)
);
