-- riskhub-push, the bureau's monthly pushes to the departments (issue 11,
-- docs/outbound.md): it reads the households that applied in a month and those
-- included as monitoring objects in a month, with their members' ID numbers and
-- names, and writes nothing. Its role is the cluster's (scripts/postgres.sh makes
-- it on the project's cluster; elsewhere a DBA first, docs/security.md).
-- Applied by `riskhub-registry migrate` inside one transaction: no BEGIN/COMMIT here.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'riskhub_push') THEN
        RAISE EXCEPTION 'the role riskhub_push does not exist: a database administrator '
                        'creates it first (docs/security.md, "PostgreSQL"; scripts/postgres.sh '
                        'does on the project''s cluster)'
            USING ERRCODE = 'undefined_object';
    END IF;
END;
$$;

-- Only the columns its two queries read (consumers/push/push_rows.c), not the
-- tables: a member's health, income or disability, a household's category, a
-- warning's risk or facts stay out of its reach (minimum necessary).
GRANT SELECT (household_id, township_code, village) ON households TO riskhub_push;
GRANT SELECT (household_id, id_number, name, relation) ON members TO riskhub_push;
GRANT SELECT (period, household_id) ON applications TO riskhub_push;
GRANT SELECT (alert_id, household_id, state) ON warnings TO riskhub_push;
GRANT SELECT (alert_id, outcome, refused, applied_at) ON warning_steps TO riskhub_push;
