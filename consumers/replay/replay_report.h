/*
 * replay_report: what a replay found (docs/replay.md, "The report") and how
 * it is printed: a table for people (default) or JSON (--format json).
 *
 *   per department and feed: batches, records, rejects (from the manifests),
 *   alerts and check results expected (the replay) vs published (the topics);
 *   every difference: missing (expected, not published), extra (published,
 *   not expected, or published more than once), changed (same id, other
 *   content; created_at never counts, nor complete / missing_departments of
 *   a check result), with its lineage and its cause: "registry changed
 *   since" or "unexplained" (replay_cause.h).
 *
 * Personal data: the report holds full ID numbers (to ask the registry
 * about them) but prints them masked (rh_id_mask); names are never held.
 *
 * Ownership: the report owns copies of everything given to it. Not
 * thread-safe.
 */
#ifndef REPLAY_REPORT_H
#define REPLAY_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "replay_batches.h"
#include "replay_store.h"
#include "rh_config.h"

typedef struct {
  char *department, *feed;
  const char *kind; /* "signal", "check", "identity", or "?" (not in the config) */
  uint64_t batches, records, records_expected, rejects;
  uint64_t alerts_expected, alerts_published, checks_expected, checks_published;
  /* check results the join issued again (issue 11: supersedes set, an id the
   * replay does not make): counted, not compared, not in checks_published */
  uint64_t checks_reissued;
  uint64_t missing, extra, changed;
} replay_feed_t;

typedef enum { REPLAY_MISSING = 0, REPLAY_EXTRA, REPLAY_CHANGED } replay_diff_kind_t;
typedef enum { REPLAY_UNEXPLAINED = 0, REPLAY_REGISTRY_CHANGED } replay_cause_t;

/* A place on the broker: topic/partition/offset (topic NULL: none) and the
 * batch id of a feed record (NULL: unknown). */
typedef struct {
  char *topic;
  int32_t partition;
  int64_t offset;
  char *batch_id;
} replay_where_t;

/* One field that differs; the values only for fields that hold no personal
 * data (NULL otherwise, and for records and maps). */
typedef struct {
  char *field, *published, *expected;
} replay_change_t;

typedef struct {
  replay_diff_kind_t kind;
  replay_out_t what;
  bool duplicate;          /* extra: one more message with an id already published */
  char *id;                /* alert_id / check_id */
  size_t feed;             /* index into the report's feeds */
  char *person;            /* the person's / member's ID number (printed masked) */
  char *rule;              /* alert: the rule (expected, else published); check: NULL */
  char *household_expected, *household_published; /* NULL: none */
  replay_change_t *changes;/* changed: the fields that differ, in schema order */
  size_t nchanges;
  replay_where_t source;   /* the feed record: expected, or (extra) the one the message names */
  replay_where_t published;/* the published message (topic NULL for missing) */
  int64_t created_at;      /* the published message's, -1 for missing */
  int64_t reference_ms;    /* registry changes after this explain it (replay_cause.h) */
  replay_cause_t cause;
  int64_t registry_changed_at; /* the last change of the rows involved, -1 none */
} replay_diff_t;

typedef struct {
  char *period, *department, *feed; /* the filters (NULL: all) */
  char *source;                     /* "broker" or "archive <dir>" */
  replay_feed_t *feeds;
  size_t nfeeds, feeds_cap;
  replay_diff_t *diffs;
  size_t ndiffs, diffs_cap;
  uint64_t manifests_unreadable;    /* manifests-topic messages that are not manifests */
  uint64_t records_unreadable;      /* records in the batches' ranges that could not be read */
  uint64_t published_unreadable;    /* messages on the output topics that could not be read */
  uint64_t published_scanned;       /* messages read from the output topics */
  uint64_t withdrawals_published;   /* withdrawals of corrected lists: not re-derived, not compared */
  uint64_t dlq;                     /* records the join's code sent to the dead-letter topic */
  uint64_t manifests_forged;        /* the month's manifests refused: not signed by their department */
  replay_forged_t *forged;          /* the first of them, described (malloc'd) */
  size_t nforged;
  /* batches whose records, all found, do not hash to the records_sha256 their
   * department signed (a difference): described, the first REPLAY_FORGED_KEPT */
  uint64_t batches_altered;
  replay_forged_t *altered;
  size_t naltered;
  double seconds;                   /* the replay's run time (set by the caller) */
} replay_report_t;

/* One row a feed of the configuration (config order) that passes the
 * filters. 0, or -1 out of memory. */
int replay_report_init(replay_report_t *r, const rh_config_t *cfg, const char *period,
                       const char *department, const char *feed, const char *source);
void replay_report_free(replay_report_t *r);

/* A report for one thread's part of the work: like's period, filters,
 * source and feed rows (same indexes), every count 0, no difference. Merged
 * back with replay_report_merge. 0, or -1 out of memory. */
int replay_report_init_like(replay_report_t *r, const replay_report_t *like);

/* Add src's counts to dst (rows by department and feed; src's rows beyond
 * dst's are added) and move its differences to dst (src keeps none). 0, or
 * -1 out of memory (dst then holds part of src). */
int replay_report_merge(replay_report_t *dst, replay_report_t *src);

/* The row of department/feed (added at the end if new). (size_t)-1 out of memory. */
size_t replay_report_feed(replay_report_t *r, const char *department, const char *feed);

/* A new difference (zeroed; where offsets -1, created_at -1, changed_at -1),
 * or NULL out of memory. Its strings are set with replay_report_set(). */
replay_diff_t *replay_report_add_diff(replay_report_t *r, replay_diff_kind_t kind,
                                      replay_out_t what, size_t feed, const char *id);
/* *dst = a copy of s (NULL stays NULL). -1 out of memory. */
int replay_report_set(char **dst, const char *s);
/* Append a changed field to d (copies). -1 out of memory. */
int replay_report_add_change(replay_diff_t *d, const char *field, const char *published,
                             const char *expected);

/* Differences found (and incomplete batches count as one each). */
size_t replay_report_differences(const replay_report_t *r);
/* Every feed's counts summed into *t (its strings NULL). */
void replay_report_totals(const replay_report_t *r, replay_feed_t *t);
/* Records the manifests promise that were not found. */
uint64_t replay_report_records_not_found(const replay_report_t *r);

/* Sort the differences: feed, kind, id. */
void replay_report_sort(replay_report_t *r);

/* Print. 0, or -1 if writing failed (errno). */
int replay_report_print_table(const replay_report_t *r, FILE *fp);
int replay_report_print_json(const replay_report_t *r, FILE *fp);

const char *replay_diff_kind_name(replay_diff_kind_t k);
const char *replay_cause_name(replay_cause_t c);

#endif
