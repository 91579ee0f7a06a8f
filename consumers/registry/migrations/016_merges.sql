-- One warning per person, feed and month (issue 11, docs/join.md "One warning
-- per person"): when a department's list names a person twice for one month and
-- the rows select different rules, riskhub-join raises one warning, the better
-- ranked rule's, and merges the other row into it: a withdrawal (an Alert with
-- `withdraws` and `merged_into` set). riskhub-ledger keeps it as a WITHDRAWN
-- step naming the warning that stands for it (merged_into): an open warning
-- merged becomes WITHDRAWN (it was raised before the more severe row was read);
-- a row merged before it was raised leaves a step whose alert the ledger never
-- held, applied (refused NULL, state_before NULL), so that an auditor finds
-- every row of the list that a warning stands for.
-- Applied by `riskhub-registry migrate` inside one transaction: no BEGIN/COMMIT here.

ALTER TABLE warning_steps ADD COLUMN merged_into text COLLATE "C"
    CHECK (merged_into ~ '^[0-9a-f]{64}$');
ALTER TABLE warning_steps ADD CONSTRAINT warning_steps_merged_withdrawn
    CHECK (merged_into IS NULL OR outcome = 'WITHDRAWN');
CREATE INDEX warning_steps_merged_into ON warning_steps (merged_into)
    WHERE merged_into IS NOT NULL;
