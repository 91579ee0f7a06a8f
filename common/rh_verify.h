/*
 * rh_verify: a warning's steps at the household (issue 11, docs/verify.md):
 * what a township may report of a warning it was pushed, and which step may
 * follow which. One table, read by riskhub-verify (to refuse a row before it
 * is published) and by riskhub-ledger (which applies the steps it reads from
 * verifications.<township>, and alone writes the warnings' states).
 *
 *   outcome            warnings.state      from (the warning's state now)
 *   VERIFYING          VERIFYING           PUSHED, RECEIVED, UNREACHABLE
 *   INCLUDED           INCLUDED            PUSHED, RECEIVED, VERIFYING, UNREACHABLE, PROPOSED
 *   NOT_INCLUDED       DISMISSED (reason)  PUSHED, RECEIVED, VERIFYING, UNREACHABLE, PROPOSED
 *   ALREADY_MONITORED  ALREADY_MONITORED   PUSHED, RECEIVED, VERIFYING, UNREACHABLE
 *   UNREACHABLE        UNREACHABLE         PUSHED, RECEIVED, VERIFYING, UNREACHABLE
 *   PROPOSED           PROPOSED            PUSHED, RECEIVED, VERIFYING, UNREACHABLE
 *
 * PROPOSED (拟纳入监测) is the township's proposal to include the household,
 * the web page's outcome (docs/web.md); only the decision (INCLUDED or
 * NOT_INCLUDED) may follow it.
 *
 * A warning still open (PUSHED, RECEIVED, VERIFYING, UNREACHABLE) past its
 * visit_due is overdue; every other state is an outcome (verified).
 * Pure functions of their arguments; no allocation.
 */
#ifndef RH_VERIFY_H
#define RH_VERIFY_H

#include <stdbool.h>

#include "rh_config.h"
#include "rh_hash.h"

typedef enum {
  RH_VERIFY_VERIFYING,
  RH_VERIFY_INCLUDED,
  RH_VERIFY_NOT_INCLUDED,
  RH_VERIFY_ALREADY_MONITORED,
  RH_VERIFY_UNREACHABLE,
  RH_VERIFY_PROPOSED,
  RH_VERIFY_OUTCOME_COUNT
} rh_verify_outcome_t;

/* The outcome a text names: its code (any case: "included") or its Chinese
 * label ("纳入监测"), surrounding blanks ignored; -1 for none. */
int rh_verify_outcome_parse(const char *text);
const char *rh_verify_outcome_code(rh_verify_outcome_t o);  /* "INCLUDED" */
const char *rh_verify_outcome_label(rh_verify_outcome_t o); /* "纳入监测" */
/* Every outcome's code and label, "VERIFYING (核实中), ..." for a message. */
const char *rh_verify_outcomes_text(void);
/* The warnings.state the outcome moves a warning to. */
const char *rh_verify_state_after(rh_verify_outcome_t o);

/* May a warning in state take the outcome? NULL yes, else why not, in
 * English (a msgid: the caller translates it with _()). */
const char *rh_verify_refusal(const char *state, rh_verify_outcome_t o);

/* Is a warning in state still waiting for its outcome (overdue once its
 * visit_due passes)? */
bool rh_verify_state_open(const char *state);

/* The Chinese label of a warnings.state ("核实中"), for the township and the
 * meetings; the code itself for a state it does not know ("" for NULL). */
const char *rh_verify_state_label(const char *state);

/* Does s hold a run of 15 or more digits (an ID number, perhaps ending in
 * X)? A note or a name of a step must not. */
bool rh_verify_holds_id_number(const char *s);

/* The configured reason a text names (its code or its label, blanks
 * ignored), or NULL. */
const rh_config_reason_t *rh_verify_reason_find(const rh_config_t *cfg, const char *text);

/* The step's id: hex SHA-256 over "riskhub-verification-v1", the alert id,
 * the outcome's code, the reason's code ("" for none), the visit's date
 * (YYYY-MM-DD, "" for none) and who recorded it. The same row sent twice is
 * one step (the ledger keeps it once); a visit's outcome has its date, so two
 * visits on two days are two steps. */
void rh_verify_id(const char *alert_id, rh_verify_outcome_t o, const char *reason,
                  const char *visited_on, const char *recorded_by, char out[RH_SHA256_HEXSZ]);

#endif
