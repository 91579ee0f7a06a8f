/*
 * alerts_states: each warning's state in the warnings ledger, for what
 * riskhub-alerts writes (docs/alerts.md, "State and overdue"): the state the
 * township's steps moved it to (riskhub-verify, docs/verify.md), the day its
 * home visit is due, and how many days it is overdue (open, common/rh_verify.h,
 * and its visit_due before the county's today).
 *
 * Read through the view township_warnings (migration 010): a township's role
 * sees its own warnings only, the bureau's riskhub_township every township's.
 * No ID number and no name is read.
 *
 * Ownership: the set owns its entries; alerts_states_free of a zeroed set is
 * fine.
 */
#ifndef ALERTS_STATES_H
#define ALERTS_STATES_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alerts_store.h"

#define ALERTS_STATE_ID_MAX 64

typedef struct {
  char alert_id[ALERTS_STATE_ID_MAX + 1];
  char state[24];     /* warnings.state: PUSHED, VERIFYING, DISMISSED, ... */
  bool has_due;
  int32_t visit_due;  /* days since 1970-01-01 */
  bool seen;          /* alerts_states_mark found it */
} alerts_state_t;

typedef struct {
  alerts_state_t *v; /* sorted by alert_id */
  size_t n;
  int32_t today;     /* the county's day the overdue days count from */
  bool loaded;       /* looked up (a warning absent: the ledger does not hold it yet) */
} alerts_states_t;

/* Replace the set with the states of the warnings of items[0..n) (alerts
 * without a household are not warnings and are skipped). 0, or -1 with errstr
 * (the set is then empty and not loaded). */
int alerts_states_load(PGconn *conn, const alerts_item_t *items, size_t n, int32_t today,
                       alerts_states_t *s, char *errstr, size_t errstr_size);

/* Replace the set with the overdue warnings of the townships codes[0..ncodes):
 * open, and visit_due before today; of month period only (NULL or "": any),
 * raised at or after from_ms only (< 0: any), as the window that reads them.
 * 0, or -1 with errstr. */
int alerts_states_load_overdue(PGconn *conn, const char *const *codes, size_t ncodes,
                               int32_t today, const char *period, int64_t from_ms,
                               alerts_states_t *s, char *errstr, size_t errstr_size);

/* Add one entry (tests; the loaders). visit_due < 0 with has_due false: none.
 * 0, or -1 (out of memory, or an id longer than ALERTS_STATE_ID_MAX). Keeps
 * the set sorted only when added in id order: alerts_states_sort. */
int alerts_states_add(alerts_states_t *s, const char *alert_id, const char *state, bool has_due,
                      int32_t visit_due);
void alerts_states_sort(alerts_states_t *s);

/* The entry of alert_id, or NULL. s may be NULL. */
const alerts_state_t *alerts_states_get(const alerts_states_t *s, const char *alert_id);

/* Mark alert_id's entry seen: 1 if the set holds it, else 0. */
int alerts_states_mark(alerts_states_t *s, const char *alert_id);

/* Days overdue as of today (0: not overdue, or an outcome was reached). */
int alerts_state_overdue_days(const alerts_state_t *e, int32_t today);

void alerts_states_free(alerts_states_t *s);

#endif
