-- riskhub-scale, the risks of large-scale return to poverty (issue 15,
-- docs/scale.md): it counts the live warnings of a month per village and
-- township, and the registry's households per village, and writes nothing. Its
-- role is the cluster's (scripts/postgres.sh makes it on the project's cluster;
-- elsewhere a DBA first, docs/security.md).
-- Applied by `riskhub-registry migrate` inside one transaction: no BEGIN/COMMIT here.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'riskhub_scale') THEN
        RAISE EXCEPTION 'the role riskhub_scale does not exist: a database administrator '
                        'creates it first (docs/security.md, "PostgreSQL"; scripts/postgres.sh '
                        'does on the project''s cluster)'
            USING ERRCODE = 'undefined_object';
    END IF;
END;
$$;

-- Only the columns its two queries read (consumers/scale/scale_rows.c): no
-- member, no name or ID number, no income; a warning's place, month and risk.
GRANT SELECT (household_id, township_code, village) ON households TO riskhub_scale;
GRANT SELECT (alert_id, household_id, period, risk, state) ON warnings TO riskhub_scale;
