/*
 * status_report: the figures of riskhub-status (docs/status.md) for one month
 * or the three months of a quarter, computed from what was read back:
 *
 *   - per configured feed and month: did the department's list arrive by the
 *     deadline (status_time.h), when, with how many records and rejects, and
 *     how often it was published again (a corrected list, or the same file
 *     again);
 *   - per township and month: the warnings (distinct alert ids of the period
 *     on alerts.<township>), the households they concern, and the applicant
 *     comparisons (CheckResults on checks.<township>, and how many matched);
 *     the same for alerts.unmatched (persons not in the registry: the county
 *     office's), as the extra row STATUS_UNMATCHED.
 *
 * "As of": only what existed at r->as_of_ms counts: manifests that finished,
 * alerts and check results created, no later than it. A report made today
 * with an as-of of last Tuesday shows what was known on Tuesday.
 *
 * Use: status_report_new, then any number of status_report_add_* (any order),
 * then status_report_finish once; read the results from the struct.
 *
 * Distinct counts keep 64-bit keys: an alert or check id's first 16 hex
 * digits (as the join's dedup does), a household id's FNV-1a hash; a false
 * "same" needs two of a few million keys to agree in 64 bits.
 *
 * Ownership: the report borrows cfg (which must outlive it) and owns the rest;
 * status_report_destroy(NULL) does nothing. Not thread-safe.
 */
#ifndef STATUS_REPORT_H
#define STATUS_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rh_config.h"
#include "rh_hash.h"

#define STATUS_MAX_MONTHS 3

typedef enum {
  STATUS_ON_TIME = 0, /* a manifest finished before the deadline */
  STATUS_LATE,        /* manifests, but every one finished at or after the deadline */
  STATUS_MISSING,     /* no manifest, and the deadline has passed (as of) */
  STATUS_PENDING,     /* no manifest yet, and the deadline has not passed: not yet due */
  STATUS_STATE_COUNT
} status_state_t;

/* "on_time", "late", "missing", "pending" (CSV, scripts). Static. */
const char *status_state_code(status_state_t s);
/* "on time (按时)", "late (迟报)", "missing (未报)", "pending (未到期)" (people). Static. */
const char *status_state_label(status_state_t s);

/* One manifest (BatchManifest) as the report keeps it. */
typedef struct {
  char batch_id[RH_SHA256_HEXSZ];
  int64_t finished_at; /* UTC ms */
  int64_t rows_total, rows_accepted, rows_rejected;
  uint64_t seq; /* order of arrival (ties of finished_at) */
} status_manifest_t;

/* One feed's list for one month. */
typedef struct {
  status_state_t state;
  bool has_batch;          /* shown is set (on time or late) */
  status_manifest_t shown; /* the first on-time manifest; if none, the first (late) one */
  int days_late;           /* local days after the delivery day (late only; else 0) */
  uint32_t manifests;      /* manifests of this feed and period (as of) */
  uint32_t batches;        /* distinct batch ids among them */
  uint32_t republished;    /* manifests - 1 (0 when there is none) */
  /* private: every manifest seen, until finish */
  status_manifest_t *all_;
  size_t len_, cap_;
} status_list_t;

/* One township's (or the unmatched row's) figures for one month, or for the
 * whole range (the last slot, see status_report_tally). */
typedef struct {
  uint64_t warnings;       /* distinct alert ids */
  uint64_t households;     /* distinct household ids (0 for the unmatched row) */
  uint64_t checks;         /* distinct check ids */
  uint64_t checks_matched; /* of which matched */
  /* private: keys until finish */
  uint64_t *alerts_, *households_, *checks_, *matched_;
  size_t na_, nh_, nc_, nm_, ca_, ch_, cc_, cm_;
} status_tally_t;

typedef struct {
  const rh_config_t *cfg;
  int nmonths;                          /* 1 (--period) or 3 (--quarter) */
  int year[STATUS_MAX_MONTHS], month[STATUS_MAX_MONTHS];
  char period[STATUS_MAX_MONTHS][8];    /* "YYYY-MM" */
  int64_t deadline_ms[STATUS_MAX_MONTHS]; /* status_deadline_ms of each month */
  int32_t deadline_day[STATUS_MAX_MONTHS]; /* the delivery day, local, days since 1970 */
  int64_t as_of_ms;
  int utc_offset_min;
  int quarter;                          /* 1..4 for a quarter report, else 0 */

  size_t nfeeds;                        /* every feed of the config, config order */
  const rh_config_feed_t **feeds;
  status_list_t *lists;                 /* [feed * nmonths + month] */

  size_t nrows;                         /* township_count + 1: the last is STATUS_UNMATCHED */
  status_tally_t *tallies;              /* [row * (nmonths + 1) + month]; month == nmonths: all */

  /* per month and state: how many lists; [nmonths] = the whole range */
  uint32_t state_counts[STATUS_MAX_MONTHS + 1][STATUS_STATE_COUNT];
  /* per feed: how many of its months in each state (quarter totals) */
  uint32_t *feed_state_counts;          /* [feed * STATUS_STATE_COUNT + state] */

  /* what was read but does not count, for the log */
  uint64_t manifests_other_feeds;       /* a department/feed not in the config */
  uint64_t manifests_after_as_of, alerts_after_as_of, checks_after_as_of;
  char source[160];  /* where the figures come from, for the title (status_run) */
  bool finished;
  bool tallies_set_;  /* private: status_report_set_tally was used */
  uint64_t seq_; /* private: arrival counter */
  uint64_t *superseded_; /* private: the check ids replaced by as-of */
  size_t nsup_, csup_;
} status_report_t;

/* The row of alerts.unmatched in tallies: r->nrows - 1. */
#define STATUS_UNMATCHED(r) ((r)->nrows - 1)

/* A report of nmonths (1 or 3) months from first_year-first_month. quarter:
 * 1..4 for a quarter report (titles), else 0. as_of_ms: see above.
 * NULL with errstr if out of memory or arguments are wrong. */
status_report_t *status_report_new(const rh_config_t *cfg, int first_year, int first_month,
                                   int nmonths, int quarter, int64_t as_of_ms,
                                   int utc_offset_min, char *errstr, size_t errstr_size);
void status_report_destroy(status_report_t *r);

/* Index of a period "YYYY-MM" in the report, or -1. */
int status_report_month(const status_report_t *r, const char *period);

/* A manifest read from a department's manifests topic (strings need not outlive the call).
 * Ignored (0) when its period is not one of the report's, its feed is not in
 * the config (counted), or it finished after as-of (counted). 0, or -1 out of
 * memory. */
int status_report_add_manifest(status_report_t *r, const char *department, const char *feed,
                               const char *period, const char *batch_id, int64_t finished_at,
                               int64_t rows_total, int64_t rows_accepted,
                               int64_t rows_rejected);

/* An alert of alerts.<township> (row = the township's index in the config) or
 * alerts.unmatched (row = STATUS_UNMATCHED(r)). household_id may be NULL.
 * Ignored when the period is not the report's or it was created after as-of.
 * 0, or -1 out of memory. */
int status_report_add_alert(status_report_t *r, size_t row, const char *period,
                            const char *alert_id, const char *household_id, int64_t created_at);

/* A CheckResult of checks.<township> (row = the township's index);
 * supersedes: the check id it replaces, or NULL (issue 11). Only the current
 * results count: a result replaced by one created by as-of is left out. */
int status_report_add_check(status_report_t *r, size_t row, const char *period,
                            const char *check_id, bool matched, int64_t created_at,
                            const char *supersedes);

/* Counts already made elsewhere (the ledger's SQL: distinct by construction)
 * for row in month m (m == nmonths: the whole range), instead of adding the
 * alerts and checks one by one: a report takes either, never both. Replaces
 * what an earlier call set. 0, or -1 (row or month out of range). */
int status_report_set_tally(status_report_t *r, size_t row, int m, uint64_t warnings,
                            uint64_t households, uint64_t checks, uint64_t checks_matched);

/* Decide every list's state and count everything. Call once, after the last
 * add. 0, or -1 out of memory. */
int status_report_finish(status_report_t *r);

/* The list of feed f in month m; the tally of row in month m (m == nmonths:
 * the whole range). */
status_list_t *status_report_list(const status_report_t *r, size_t feed, int month);
status_tally_t *status_report_tally(const status_report_t *r, size_t row, int month);

/* After finish: true iff every list of every month is on time. */
bool status_report_all_on_time(const status_report_t *r);

/* 64-bit keys (exposed for tests): the first 16 hex digits of a hex id (0 if
 * it has fewer), and FNV-1a of a string. */
uint64_t status_key_hex(const char *hex);
uint64_t status_key_str(const char *s);

#endif
