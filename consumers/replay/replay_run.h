/*
 * replay_run: one replay, start to report (docs/replay.md). riskhub-replay's
 * main() parses the command line into replay_opts_t and calls replay_run().
 *
 *   1. the registry loads (rh_regmap_load) in a thread of its own while the
 *      month's manifests are read and the feed records and published outputs
 *      are assigned (their fetching begins);
 *   2. every record of the month's batches goes through the join's code
 *      (replay_expect; from the broker in `threads` threads, the partitions
 *      shared out among them), then the check lists;
 *   3. every published alert and check result is compared (replay_compare);
 *   4. the differences are explained (replay_cause) and the report printed.
 *
 * With archive_dir the manifests, records and published outputs read are
 * also written there (rh_archive). With from_archive_dir they are read
 * from there instead of the broker (PostgreSQL is still needed: registry,
 * applicants, change log).
 */
#ifndef REPLAY_RUN_H
#define REPLAY_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "rh_config.h"

typedef enum { REPLAY_FORMAT_TABLE = 0, REPLAY_FORMAT_JSON } replay_format_t;

/* What a replay found, for callers that run it (the monthly archive,
 * replay_month): set when the report was made. */
typedef struct {
  bool reported;               /* the report was printed (the other fields are set) */
  uint64_t batches, records, records_expected, records_not_found;
  uint64_t alerts_published, checks_published;
  uint64_t rejects;            /* RejectedRows of the month's batches found (and archived) */
  size_t differences;          /* replay_report_differences */
} replay_result_t;

typedef struct {
  const rh_config_t *cfg;
  const char *schemas_dir;
  const char *period;             /* YYYY-MM; NULL with from_archive_dir: the archive's */
  const char *department, *feed;  /* filters, NULL = all */
  replay_format_t format;
  const char *archive_dir;        /* --archive */
  const char *from_archive_dir;   /* --from-archive */
  int threads;                    /* records joined, and published outputs compared, in this
                                     many threads each (0: one a partition, at most the CPUs
                                     or 4, whichever is more; the broker only: an archive
                                     is read in one) */
  FILE *out;                      /* the report */
  const char *source_note;        /* said after the report's source (why it is read), or NULL */
  replay_result_t *result;        /* filled in when not NULL */
} replay_opts_t;

/* An exit code of rh_exit.h: 0 no difference; 70 a difference (or an
 * internal error); 69 Kafka or PostgreSQL away; 65 an archive refused
 * (checksums, format); 74 an archive not readable or writable; 78 the
 * schemas; 64 options that do not fit (a filter outside the archive's). */
int replay_run(const replay_opts_t *o);

/* Is s a period YYYY-MM (month 01..12)? */
int replay_period_valid(const char *s);

#endif
