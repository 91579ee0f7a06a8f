-- Comparisons that end complete (issue 11; docs/join.md, "Records"): a check
-- list's CheckResults are issued again when a later check list of the period
-- arrives or the list is corrected, each naming the result it replaces
-- (CheckResult.supersedes). check_results keeps every result; superseded_by
-- says which are replaced, whichever of the two was stored first (they may
-- come on different partitions, in different batches), and
-- check_results_current holds the others: one a member, check feed and period.
-- Rows stored before have neither column set: each was the only one of its
-- member and feed.
-- Applied by `riskhub-registry migrate` inside one transaction: no BEGIN/COMMIT here.

ALTER TABLE check_results
    ADD COLUMN supersedes    text COLLATE "C" CHECK (supersedes <> ''),
    ADD COLUMN superseded_by text COLLATE "C";

CREATE INDEX check_results_supersedes ON check_results (supersedes)
    WHERE supersedes IS NOT NULL;

-- After each row riskhub-ledger inserted (a conflicting one, skipped, fires
-- nothing): the row it replaces is marked, and the row is marked if the one
-- replacing it is already there. Runs as the inserting role (riskhub_ledger
-- may select and update check_results).
CREATE FUNCTION check_results_supersede() RETURNS trigger
    LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    IF NEW.supersedes IS NOT NULL THEN
        UPDATE check_results SET superseded_by = NEW.check_id
         WHERE check_id = NEW.supersedes AND superseded_by IS NULL;
    END IF;
    UPDATE check_results c SET superseded_by = s.check_id
      FROM (SELECT check_id FROM check_results WHERE supersedes = NEW.check_id
             ORDER BY check_id LIMIT 1) s
     WHERE c.check_id = NEW.check_id AND c.superseded_by IS NULL;
    RETURN NULL;
END;
$$;

CREATE TRIGGER check_results_supersede AFTER INSERT ON check_results
    FOR EACH ROW EXECUTE FUNCTION check_results_supersede();

-- The current result of each member, check feed and period.
CREATE VIEW check_results_current AS
    SELECT * FROM check_results WHERE superseded_by IS NULL;
REVOKE ALL ON check_results_current FROM PUBLIC;

-- Those that read check_results read the current ones (migration 007).
GRANT SELECT ON check_results_current TO riskhub_status, riskhub_audit;
