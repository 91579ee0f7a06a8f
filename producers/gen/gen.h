/*
 * gen: the synthetic county (riskhub-gen). Nothing it writes is real.
 *
 * From a seed it makes a household registry (households, members, the
 * households that applied to be monitored), one month's list for every feed
 * of the configuration, optionally one big benchmark list, and a set of
 * deliberately broken files. The formats are described in docs/data.md:
 *
 *   <out>/registry/households.csv, members.csv, applications.csv
 *   <out>/<period>/<department>.<feed>.<period>.csv     (every configured feed)
 *   <out>/<period>/bench.<department>.<feed>.<period>.csv (--big-feed-rows)
 *   <out>/bad/: gbk.csv, bom.csv, ... fake.xlsx, MANIFEST.txt
 *
 * Deterministic: the same options (configuration, households, seed, period,
 * rows) give byte-identical files on every machine. Each feed has its own
 * random stream (seed, feed, period), so generating one feed alone (feeds[])
 * writes exactly the file a full run writes.
 *
 * Every file is written to "<dir>/.<name>.part" and renamed into place when
 * complete, so a program watching the directory never sees half a file.
 *
 * Memory: the registry (about 45 bytes a person, 25 a household, plus an ID
 * index) stays in memory; rows are streamed through a 1 MiB buffer.
 *
 * Ownership: nothing returned here needs freeing; the options borrow the
 * configuration and strings, which must outlive gen_run(). The functions
 * below are thread-safe; gen_run() may run in several threads on different
 * output directories.
 */
#ifndef GEN_H
#define GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rh_config.h"

#define GEN_DEFAULT_HOUSEHOLDS 200000
#define GEN_DEFAULT_SEED 1
/* Villages are numbered 001..024 in a township and households 0001..9999 in a
 * village, so a township holds at most 24 * 9999 households. */
#define GEN_MAX_VILLAGES 24
#define GEN_MAX_HOUSEHOLDS_PER_VILLAGE 9999

typedef struct {
  const rh_config_t *cfg; /* required; borrowed */
  const char *out_dir;    /* required; created if missing (with parents) */
  const char *period;     /* required; YYYY-MM */
  size_t households;      /* default GEN_DEFAULT_HOUSEHOLDS; >= 1 */
  uint64_t seed;          /* default GEN_DEFAULT_SEED */
  long rows_per_feed;     /* < 0: each feed's default (gen_feed_default_rows) */
  /* "department/feed" refs: if feed_count > 0, only these feed lists are
   * written (no registry, no bad files; the registry is still built in
   * memory, identically). */
  const char *const *feeds;
  size_t feed_count;
  size_t big_feed_rows; /* 0: no benchmark file */
} gen_opts_t;

/* One output group: registry, feeds, bench or bad. rows counts data rows
 * (headers and blank lines excluded); bytes are the file sizes. */
typedef struct {
  size_t files;
  uint64_t rows;
  uint64_t bytes;
  double seconds;
} gen_group_t;

typedef struct {
  gen_group_t registry, feeds, bench, bad;
  size_t households, members, applications;
  double registry_build_seconds; /* building it in memory (also with feeds[]) */
} gen_summary_t;

/* Defaults as documented above (cfg, out_dir, period NULL). Cannot fail. */
void gen_opts_init(gen_opts_t *o);

/* Generate. Returns an RH_EXIT_* code: RH_EXIT_OK; RH_EXIT_USAGE for an option
 * value that cannot be used (period not YYYY-MM, households 0 or more than the
 * townships' villages hold, an unknown feed in feeds[]); RH_EXIT_IOERR when a
 * directory or file cannot be created or written (the message names the
 * path); RH_EXIT_SOFTWARE if out of memory or a charset conversion fails.
 * errstr (may be NULL) gets the message. sum (may be NULL) is filled, also
 * on failure, with what was written so far. */
int gen_run(const gen_opts_t *o, gen_summary_t *sum, char *errstr,
               size_t errstr_size);

/* ---- facts about the output, for tests and for the documentation ---- */

/* Parse "YYYY-MM" (year 2000..2099, month 01..12). 0 ok, -1 otherwise. */
int gen_parse_period(const char *s, int *year, int *month);

/* Rows a feed gets by default: its usual monthly count for a county of
 * GEN_DEFAULT_HOUSEHOLDS households, scaled to `households`, at least 10. */
size_t gen_feed_default_rows(const rh_config_feed_t *f, size_t households);

/* How the department at index `department_index` of the configuration writes
 * its files: with a UTF-8 byte-order mark (Excel's "CSV UTF-8"; every third
 * department, index % 3 == 1) and/or CRLF line ends (odd indexes). */
void gen_feed_style(size_t department_index, bool *bom, bool *crlf);

/* The feed the bad files are made for: medical-insurance/high-self-pay if
 * configured, else the first feed with township, event_date and amount
 * columns, else the first feed. Never NULL for a loaded configuration. */
const rh_config_feed_t *gen_bad_feed(const rh_config_t *cfg);

/* The feed of the benchmark file: health/major-disease if configured, else
 * the first signal feed, else the first feed. */
const rh_config_feed_t *gen_bench_feed(const rh_config_t *cfg);

#endif
