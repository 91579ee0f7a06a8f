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

#include "gen_facts.h"
#include "gen_out.h"
#include "rh_config.h"

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

#endif
