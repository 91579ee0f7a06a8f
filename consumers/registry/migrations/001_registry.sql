-- The household registry: households, their members, and the households that
-- applied to be monitored. Loaded by `riskhub-registry import` (docs/registry.md),
-- which validates every row in C first; the constraints here are the second line
-- of defence for anyone else who writes these tables.
-- Applied by `riskhub-registry migrate` inside one transaction: no BEGIN/COMMIT here.
--
-- Identifiers (household numbers, ID numbers, codes, periods) are COLLATE "C":
-- they compare byte by byte whatever the database's locale (faster B-trees, the
-- same order on every server).

CREATE TABLE households (
    household_id        text COLLATE "C" PRIMARY KEY
                        CHECK (household_id ~ '^[0-9]{9}-[0-9]{3}-[0-9]{4}$'),
    township_code       text COLLATE "C" NOT NULL
                        CHECK (length(township_code) = 9 AND ltrim(township_code, '0123456789') = ''),
    village             text NOT NULL CHECK (village <> ''),
    household_type      text NOT NULL
                        CHECK (household_type IN ('poverty_alleviated', 'monitored', 'ordinary')),
    monitoring_category text
                        CHECK (monitoring_category IN ('unstable', 'marginal', 'sudden_hardship')),
    identified_month    date CHECK (date_part('day', identified_month) = 1),  -- a month: its first day
    risk_eliminated     boolean NOT NULL DEFAULT false,
    eliminated_how      text CHECK (eliminated_how IN ('assisted', 'natural')),
    eliminated_month    date CHECK (date_part('day', eliminated_month) = 1),
    income_per_capita   numeric(12,2) NOT NULL,
    head_id_number      text COLLATE "C" NOT NULL
                        CHECK (length(head_id_number) = 18
                               AND ltrim(head_id_number, '0123456789') IN ('', 'X')),

    CONSTRAINT households_township_matches_id
        CHECK (left(household_id, 9) = township_code),
    -- a monitoring category for monitored households, and only for them
    CONSTRAINT households_category_iff_monitored
        CHECK ((household_type = 'monitored') = (monitoring_category IS NOT NULL)),
    CONSTRAINT households_monitored_identified
        CHECK (household_type <> 'monitored' OR identified_month IS NOT NULL),
    -- risk eliminated: how and when, and only then
    CONSTRAINT households_eliminated_how
        CHECK (risk_eliminated = (eliminated_how IS NOT NULL)),
    CONSTRAINT households_eliminated_month
        CHECK (risk_eliminated = (eliminated_month IS NOT NULL)),
    CONSTRAINT households_eliminated_after_identified
        CHECK (NOT risk_eliminated
               OR (identified_month IS NOT NULL AND eliminated_month >= identified_month))
);

CREATE INDEX households_township ON households (township_code);

CREATE TABLE members (
    -- 17 digits and a digit or X (a cheaper test than a regular expression)
    id_number         text COLLATE "C" PRIMARY KEY
                      CHECK (length(id_number) = 18 AND ltrim(id_number, '0123456789') IN ('', 'X')),
    household_id      text COLLATE "C" NOT NULL REFERENCES households (household_id),
    name              text NOT NULL CHECK (name <> ''),
    sex               text NOT NULL CHECK (sex IN ('male', 'female')),
    relation          text NOT NULL
                      CHECK (relation IN ('head', 'spouse', 'child', 'parent', 'grandchild',
                                          'sibling', 'other')),
    birth_date        date NOT NULL,
    health            text NOT NULL
                      CHECK (health IN ('healthy', 'chronic', 'major_illness', 'disabled')),
    disability_grade  smallint CHECK (disability_grade BETWEEN 1 AND 4),
    labour_ability    text NOT NULL CHECK (labour_ability IN ('strong', 'weak', 'none')),
    schooling         text NOT NULL
                      CHECK (schooling IN ('none', 'primary', 'junior', 'senior', 'college',
                                           'in_school')),
    migrant_months    smallint NOT NULL CHECK (migrant_months BETWEEN 0 AND 12),
    medical_insurance boolean NOT NULL,

    CONSTRAINT members_grade_iff_disabled
        CHECK ((health = 'disabled') = (disability_grade IS NOT NULL)),
    -- also the index on household_id (its leading column), and the target of
    -- the head's foreign key below
    CONSTRAINT members_household_person UNIQUE (household_id, id_number)
);

-- The head is a member of the household. Deferred to the end of the
-- transaction: households and members reference each other, and an import
-- writes the households first.
ALTER TABLE households
    ADD CONSTRAINT households_head_is_member
    FOREIGN KEY (household_id, head_id_number)
    REFERENCES members (household_id, id_number)
    DEFERRABLE INITIALLY DEFERRED;

CREATE TABLE applications (
    period       text COLLATE "C" NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    household_id text COLLATE "C" NOT NULL
                 REFERENCES households (household_id) ON DELETE CASCADE,
    applied_on   date NOT NULL,
    PRIMARY KEY (period, household_id),
    CONSTRAINT applications_in_period CHECK (to_char(applied_on, 'YYYY-MM') = period)
);

CREATE INDEX applications_household ON applications (household_id);
