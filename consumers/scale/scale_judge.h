/*
 * scale_judge: which places of a month cross a scale rule's thresholds
 * (docs/scale.md, "Thresholds"), from the month's live warnings and those of
 * the baseline months before it. Pure: no database, no broker (unit tests:
 * tests/unit/scale/).
 */
#ifndef SCALE_JUDGE_H
#define SCALE_JUDGE_H

#include <stddef.h>
#include <stdint.h>

#include "rh_config.h"

/* A live warning (not withdrawn) of the month or of a baseline month, placed
 * where the registry places its household now. */
typedef struct {
  const char *period, *township, *village, *risk, *household_id, *alert_id;
} scale_warning_t;

/* The registry's households of one village. */
typedef struct {
  const char *township, *village;
  int64_t households;
} scale_place_t;

/* A place and rule that cross every threshold the rule sets in the month. */
typedef struct {
  const rh_config_scale_rule_t *rule;
  const char *township, *village; /* village "" for a township */
  int64_t households;             /* households warned in the month */
  int64_t place_households;       /* households of the place (registry) */
  double baseline;                /* mean households warned in the baseline months */
  const char **household_ids;     /* sorted, distinct; into the warnings' strings */
  size_t household_count;
  const char **alert_ids;         /* sorted */
  size_t alert_count;
} scale_found_t;

typedef struct {
  scale_found_t *v;
  size_t n;
} scale_found_list_t;

/* Every (rule, place) of cfg's scale rules that crosses its thresholds in
 * period, ordered by rule (the file's order), township, village. places in
 * any order. 0, or -1 out of memory. The strings point into warnings and
 * places; free with scale_found_free. */
int scale_judge(const rh_config_scale_t *cfg, const char *period, const scale_warning_t *warnings,
                size_t n, const scale_place_t *places, size_t np, scale_found_list_t *out);
void scale_found_free(scale_found_list_t *l);

#endif
