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

GRANT SELECT ON households, members, applications, warnings, warning_steps TO riskhub_push;
