-- Warning state for the verification loop (domain.md, "A warning's life"):
--   PUSHED -> RECEIVED -> VERIFYING -> DISMISSED (reason required)
--                                    | ALREADY_MONITORED
--                                    | PROPOSED -> INCLUDED -> ASSISTING -> RISK_ELIMINATED
-- (a household can fall back from ASSISTING or RISK_ELIMINATED to INCLUDED).
-- OVERDUE is not a state: it is derived from the deadlines below and today.
-- The programs that move warnings through these states come later; this
-- table only fixes their shape. No foreign key to households: a warning
-- outlives the household's registry row (audit).

CREATE TABLE warnings (
    alert_id       text COLLATE "C" PRIMARY KEY CHECK (alert_id <> ''),
    household_id   text COLLATE "C" NOT NULL CHECK (household_id ~ '^[0-9]{9}-[0-9]{3}-[0-9]{4}$'),
    township_code  text COLLATE "C" NOT NULL CHECK (township_code ~ '^[0-9]{9}$'),
    period         text COLLATE "C" NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    risk           text NOT NULL CHECK (risk ~ '^[A-Z][A-Z_]*$'),
    rule_id        text NOT NULL CHECK (rule_id <> ''),
    state          text NOT NULL DEFAULT 'PUSHED'
                   CHECK (state IN ('PUSHED', 'RECEIVED', 'VERIFYING', 'DISMISSED',
                                    'ALREADY_MONITORED', 'PROPOSED', 'INCLUDED', 'ASSISTING',
                                    'RISK_ELIMINATED')),
    dismiss_reason text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    -- deadlines (config: deadlines.home_visit_days, comparison_days,
    -- procedure_working_days), set when the warning is created
    visit_due      date,
    comparison_due date,
    procedure_due  date,

    CONSTRAINT warnings_dismiss_reason
        CHECK (state <> 'DISMISSED' OR btrim(coalesce(dismiss_reason, '')) <> ''),
    CONSTRAINT warnings_deadlines_order
        CHECK (visit_due IS NULL OR comparison_due IS NULL OR visit_due <= comparison_due)
);

CREATE INDEX warnings_township_state ON warnings (township_code, state);
CREATE INDEX warnings_household ON warnings (household_id);

CREATE FUNCTION warnings_touch() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

CREATE TRIGGER warnings_touch BEFORE UPDATE ON warnings
    FOR EACH ROW EXECUTE FUNCTION warnings_touch();
