-- riskhub-web (issue 13, docs/web.md): the township officials' and the bureau's
-- accounts, their sessions, the outcomes of home visits they record, and a
-- notice to the web server when the ledger adds warnings.
-- riskhub-web connects as riskhub_web: it reads the warnings (and the lists'
-- manifests for the bureau), moves a warning of its user's township to the
-- outcome of a visit, and keeps its accounts. It sees no registry table: no
-- name and no ID number reaches a page.
-- The role is the cluster's: scripts/postgres.sh makes it; elsewhere a DBA does
-- first (docs/security.md, "PostgreSQL").
-- Applied by `riskhub-registry migrate` inside one transaction: no BEGIN/COMMIT here.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'riskhub_web') THEN
        RAISE EXCEPTION 'the role riskhub_web does not exist: a database administrator '
                        'creates it (LOGIN) first (docs/security.md, "PostgreSQL"; '
                        'scripts/postgres.sh does on the project''s cluster)'
            USING ERRCODE = 'undefined_object';
    END IF;
END;
$$;

-- One account a person. township_code NULL: the bureau (every township's
-- figures, no township's outcomes to record). The password is kept only as
-- libsodium's crypto_pwhash_str (Argon2id, memory-hard); failed sign-ins are
-- counted to slow the next ones down (docs/web.md, "Signing in").
CREATE TABLE web_accounts (
    username       text COLLATE "C" PRIMARY KEY CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
    township_code  text COLLATE "C" CHECK (township_code ~ '^[0-9]{9}$'),
    display_name   text NOT NULL DEFAULT '' CHECK (length(display_name) <= 64),
    password_hash  text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    failed_signins integer NOT NULL DEFAULT 0 CHECK (failed_signins >= 0),
    last_failed_at timestamptz,
    disabled       boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now()
);

-- A session: only the SHA-256 of its cookie's token is kept (a copy of this
-- table signs nobody in).
CREATE TABLE web_sessions (
    token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    username   text COLLATE "C" NOT NULL REFERENCES web_accounts ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);

-- A home visit's outcome as a township official recorded it: who, when, what
-- (the warning's state moves with it, in the same transaction).
CREATE TABLE web_visits (
    visit_id    bigserial PRIMARY KEY,
    alert_id    text COLLATE "C" NOT NULL REFERENCES warnings,
    username    text COLLATE "C" NOT NULL REFERENCES web_accounts,
    outcome     text NOT NULL CHECK (outcome IN ('DISMISSED', 'ALREADY_MONITORED', 'PROPOSED')),
    note        text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    visited_on  date NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT web_visits_reason CHECK (outcome <> 'DISMISSED' OR btrim(note) <> '')
);
CREATE INDEX web_visits_alert ON web_visits (alert_id);

-- NOTIFY riskhub_warnings, '<township code>' once a statement for every
-- township it added warnings to: riskhub-web LISTENs and tells that township's
-- open pages (server-sent events). Sent at commit, so a page never hears of a
-- row it cannot read yet.
CREATE FUNCTION warnings_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('riskhub_warnings', t.township_code)
       FROM (SELECT DISTINCT township_code FROM added) t;
    RETURN NULL;
END;
$$;
CREATE TRIGGER warnings_notify AFTER INSERT ON warnings
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION warnings_notify();

REVOKE ALL ON web_accounts, web_sessions, web_visits FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON web_accounts, web_sessions TO riskhub_web;
GRANT SELECT, INSERT ON web_visits TO riskhub_web;
GRANT USAGE ON SEQUENCE web_visits_visit_id_seq TO riskhub_web;
GRANT SELECT ON warnings, list_manifests TO riskhub_web;
GRANT UPDATE (state, dismiss_reason) ON warnings TO riskhub_web;
-- the auditor reads the visits too (never the passwords' hashes nor the sessions)
GRANT SELECT ON web_visits TO riskhub_audit;
