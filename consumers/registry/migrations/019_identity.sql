-- riskhub-identity, public security's identity list against the registry
-- (issue 15, docs/identity.md): it loads the registry's households and persons
-- as the join does (rh_regmap_load) and writes nothing. Its role is the
-- cluster's (scripts/postgres.sh makes it on the project's cluster; elsewhere
-- a DBA first, docs/security.md).
-- Applied by `riskhub-registry migrate` inside one transaction: no BEGIN/COMMIT here.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'riskhub_identity') THEN
        RAISE EXCEPTION 'the role riskhub_identity does not exist: a database administrator '
                        'creates it first (docs/security.md, "PostgreSQL"; scripts/postgres.sh '
                        'does on the project''s cluster)'
            USING ERRCODE = 'undefined_object';
    END IF;
END;
$$;

-- What rh_regmap_load reads (common/rh_regmap_load.c): every column of the
-- households it keeps, the members' ID number, household, name and relation
-- (not their health, schooling or insurance), and the change log's position.
GRANT SELECT (household_id, township_code, village, household_type, monitoring_category,
              risk_eliminated, eliminated_month, income_per_capita, head_id_number)
    ON households TO riskhub_identity;
GRANT SELECT (id_number, household_id, name, relation) ON members TO riskhub_identity;
GRANT SELECT (change_id) ON registry_changes TO riskhub_identity;
