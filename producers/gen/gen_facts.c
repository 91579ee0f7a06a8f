/* gen_facts: what every part of the generator agrees on: the random stream of
 * a named part (so that one part's output does not depend on another's), the
 * calendar of a period, and which feed gets the bad files or the benchmark. */
#include <string.h>

#include "gen_facts.h"

/* ---- randomness, dates ---- */

void gen_rng_for(rh_rng_t *r, uint64_t seed, const char *name) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
    h ^= *p;
    h *= 0x100000001b3ULL;
  }
  rh_rng_seed(r, seed * 0x9e3779b97f4a7c15ULL ^ h);
}

int gen_days_in_month(int y, int m) {
  static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : dm[m - 1];
}

int gen_parse_period(const char *s, int *year, int *month) {
  if (!s || strlen(s) != 7 || s[4] != '-') return -1;
  for (int i = 0; i < 7; i++)
    if (i != 4 && (s[i] < '0' || s[i] > '9')) return -1;
  int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  int m = (s[5] - '0') * 10 + (s[6] - '0');
  if (y < 2000 || y > 2099 || m < 1 || m > 12) return -1;
  *year = y;
  *month = m;
  return 0;
}

/* ---- facts about the output ---- */

void gen_feed_style(size_t department_index, bool *bom, bool *crlf) {
  *bom = department_index % 3 == 1;
  *crlf = department_index % 2 == 1;
}

const rh_config_feed_t *gen_bad_feed(const rh_config_t *cfg) {
  const rh_config_feed_t *f = rh_config_feed_find(cfg, "medical-insurance", "high-self-pay");
  if (f) return f;
  for (size_t d = 0; d < cfg->department_count; d++)
    for (size_t i = 0; i < cfg->departments[d].feed_count; i++) {
      const rh_config_feed_t *c = &cfg->departments[d].feeds[i];
      if (c->columns[RH_COL_TOWNSHIP] && c->columns[RH_COL_EVENT_DATE] &&
          c->columns[RH_COL_AMOUNT])
        return c;
    }
  return &cfg->departments[0].feeds[0];
}

const rh_config_feed_t *gen_bench_feed(const rh_config_t *cfg) {
  const rh_config_feed_t *f = rh_config_feed_find(cfg, "health", "major-disease");
  if (f) return f;
  for (size_t d = 0; d < cfg->department_count; d++)
    for (size_t i = 0; i < cfg->departments[d].feed_count; i++)
      if (cfg->departments[d].feeds[i].kind == RH_FEED_SIGNAL) return &cfg->departments[d].feeds[i];
  return &cfg->departments[0].feeds[0];
}
