/*
 * gen_facts: what every part of the generator agrees on (gen_facts.c): the
 * limits and defaults of a county, the period's calendar, the random stream of
 * a named part, and which feed gets the bad files or the benchmark. Pure and
 * thread-safe; nothing to free.
 */
#ifndef GEN_FACTS_H
#define GEN_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rh_config.h"
#include "rh_synth.h"

#define GEN_DEFAULT_HOUSEHOLDS 200000
#define GEN_DEFAULT_SEED 1
/* Villages are numbered 001..024 in a township and households 0001..9999 in a
 * village, so a township holds at most 24 * 9999 households. */
#define GEN_MAX_VILLAGES 24
#define GEN_MAX_HOUSEHOLDS_PER_VILLAGE 9999

/* Parse "YYYY-MM" (year 2000..2099, month 01..12). 0 ok, -1 otherwise. */
int gen_parse_period(const char *s, int *year, int *month);

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


/* A stream for a named purpose: seed mixed with FNV-1a of the name. */
void gen_rng_for(rh_rng_t *r, uint64_t seed, const char *name);
/* true with probability permille / 1000 */
static inline bool gen_chance(rh_rng_t *r, uint32_t permille) {
  return rh_rng_below(r, 1000) < permille;
}
/* Uniform integer in [lo, hi]. */
static inline int gen_between(rh_rng_t *r, int lo, int hi) {
  return lo + (int)rh_rng_below(r, (uint32_t)(hi - lo + 1));
}
int gen_days_in_month(int y, int m);

#endif
