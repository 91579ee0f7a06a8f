-- A township's tool reads its own township's households only (issue 12,
-- docs/security.md "PostgreSQL"). riskhub-alerts of one township connects as
-- riskhub_town_<code> (9 digits), a member of the group riskhub_towns (NOLOGIN),
-- which holds the township tools' grants; through household_heads it sees the
-- heads of that township's households and nobody else's. riskhub_township, the
-- bureau's view of several townships (riskhub-alerts --all), sees them all; any
-- other role, riskhub_towns itself included (a member's SET ROLE), none. The
-- township roles are not members of riskhub_township: none can become it.
-- The roles are the cluster's: scripts/postgres.sh makes riskhub_towns and one
-- riskhub_town_<code> a township of the configuration; elsewhere a DBA does first.
-- security_barrier: no function of a caller's query sees a row the filter drops.
-- Applied by `riskhub-registry migrate` inside one transaction: no BEGIN/COMMIT here.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'riskhub_towns') THEN
        RAISE EXCEPTION 'the role riskhub_towns does not exist: a database administrator '
                        'creates it (NOLOGIN) and one riskhub_town_<code> LOGIN IN ROLE '
                        'riskhub_towns a township first (docs/security.md, "PostgreSQL"; '
                        'scripts/postgres.sh does on the project''s cluster)'
            USING ERRCODE = 'undefined_object';
    END IF;
END;
$$;

CREATE OR REPLACE VIEW household_heads WITH (security_barrier) AS
    SELECT h.household_id, m.name AS head_name
      FROM households h JOIN members m ON m.id_number = h.head_id_number
     WHERE current_user = 'riskhub_township'
        OR h.township_code = substring(current_user FROM '^riskhub_town_([0-9]{9})$');
GRANT SELECT ON household_heads TO riskhub_towns;
GRANT INSERT ON unmasked_exports TO riskhub_towns;
GRANT SELECT (export_id) ON unmasked_exports TO riskhub_towns;
