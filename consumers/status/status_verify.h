/*
 * status_verify: the verification figures of riskhub-status (issue 11,
 * docs/status.md "Verification at the household"): what became of the
 * warnings of the period(s), per township and per department.
 *
 *   per township (config order): pushed (warnings of the period(s) raised by
 *   as-of), verified (an outcome reached: not open), of which included, not
 *   included and already monitored; open; overdue (open and visit_due before
 *   the as-of local day) with the most days overdue and their total;
 *
 *   per department (config order, then "unknown" for warnings the ledger
 *   wrote before migration 011, only if any): its feeds' lists in the range
 *   and how many were on time (the report's list states), the warnings its
 *   lists raised, verified, confirmed at the household (included), and the
 *   confirmed share of the verified ones.
 *
 * A warning's state classes (migrations 003 and 010):
 *   open               PUSHED, RECEIVED, VERIFYING, UNREACHABLE
 *   included           PROPOSED, INCLUDED, ASSISTING, RISK_ELIMINATED
 *   not included       DISMISSED
 *   already monitored  ALREADY_MONITORED
 *   withdrawn          WITHDRAWN (a department's corrected list no longer
 *                      supports it: docs/join.md "Corrections"; migration 014):
 *                      pushed, but neither verified nor open nor overdue
 * A state it does not know counts as open (no outcome is claimed for it).
 *
 * The ledger's rows arrive already counted (status_ledger: one row a
 * township, department, state and visit_due, with how many warnings): the
 * computation here is pure, so the unit tests need no database.
 *
 * Ownership: borrows cfg (it must outlive v); status_verify_destroy(NULL)
 * does nothing. Not thread-safe.
 */
#ifndef STATUS_VERIFY_H
#define STATUS_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rh_config.h"
#include "status_report.h"

typedef enum {
  STATUS_V_OPEN = 0,
  STATUS_V_INCLUDED,
  STATUS_V_NOT_INCLUDED,
  STATUS_V_ALREADY_MONITORED,
  STATUS_V_WITHDRAWN
} status_vclass_t;

/* The class of a warnings.state; unknown or NULL: open. */
status_vclass_t status_verify_class(const char *state);

/* A warning_steps.outcome as the state it leaves (NOT_INCLUDED -> DISMISSED,
 * the others their own name); NULL for what is no outcome. Static. */
const char *status_verify_step_state(const char *outcome);

/* Days a warning is overdue on the local day as_of_day (days since
 * 1970-01-01): as_of_day - visit_due when it is open, has a visit_due and
 * that day is before as_of_day; else 0 (due today is not overdue yet). */
int32_t status_verify_days_overdue(status_vclass_t c, bool has_due, int32_t visit_due,
                                   int32_t as_of_day);

typedef struct {
  uint64_t pushed, verified, included, not_included, already_monitored, open, overdue;
  uint64_t withdrawn;
  uint64_t overdue_days_max, overdue_days_total;
  uint32_t lists, lists_on_time; /* departments only */
} status_vtally_t;

typedef struct {
  const rh_config_t *cfg;
  int64_t as_of_ms;
  int32_t as_of_day;      /* the as-of instant's local day */
  bool as_of_now;         /* as-of is now (or later): warnings.state as it is */
  status_vtally_t *townships;   /* [township_count] */
  status_vtally_t *departments; /* [department_count + 1]: the last is "unknown" */
  status_vtally_t total;        /* every township's (= every department's) */
  uint64_t other_townships;     /* warnings of a township not in the config */
  uint64_t other_departments;   /* of a department not in the config (in "unknown") */
} status_verify_t;

/* NULL if out of memory. */
status_verify_t *status_verify_new(const rh_config_t *cfg, int64_t as_of_ms, bool as_of_now,
                                   int utc_offset_min);
void status_verify_destroy(status_verify_t *v);

/* count warnings of township (code) raised from department's lists (code;
 * NULL or "": unknown) in state, due visit_due (has_due false: none). */
void status_verify_add(status_verify_t *v, const char *township, const char *department,
                       const char *state, bool has_due, int32_t visit_due, uint64_t count);

/* The lists per department from a finished report (every feed and month). */
void status_verify_lists(status_verify_t *v, const status_report_t *r);

/* The "unknown" department row (index department_count) has warnings. */
bool status_verify_has_unknown(const status_verify_t *v);

/* confirmed (included) per thousand verified, rounded half up; -1 when
 * nothing was verified. */
int status_verify_share_permille(const status_vtally_t *t);

#endif
