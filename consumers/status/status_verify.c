/* status_verify: see status_verify.h and docs/status.md. */
#include "status_verify.h"

#include <stdlib.h>
#include <string.h>

#include "rh_period.h"

status_vclass_t status_verify_class(const char *state) {
  if (!state) return STATUS_V_OPEN;
  static const char *const included[] = {"PROPOSED", "INCLUDED", "ASSISTING", "RISK_ELIMINATED"};
  for (size_t i = 0; i < sizeof included / sizeof *included; i++)
    if (strcmp(state, included[i]) == 0) return STATUS_V_INCLUDED;
  if (strcmp(state, "DISMISSED") == 0) return STATUS_V_NOT_INCLUDED;
  if (strcmp(state, "ALREADY_MONITORED") == 0) return STATUS_V_ALREADY_MONITORED;
  if (strcmp(state, "WITHDRAWN") == 0) return STATUS_V_WITHDRAWN;
  return STATUS_V_OPEN; /* PUSHED, RECEIVED, VERIFYING, UNREACHABLE, or unknown */
}

const char *status_verify_step_state(const char *outcome) {
  if (!outcome) return NULL;
  static const char *const same[] = {"VERIFYING", "UNREACHABLE", "ALREADY_MONITORED", "INCLUDED",
                                     "WITHDRAWN"};
  for (size_t i = 0; i < sizeof same / sizeof *same; i++)
    if (strcmp(outcome, same[i]) == 0) return same[i];
  if (strcmp(outcome, "NOT_INCLUDED") == 0) return "DISMISSED";
  return NULL;
}

int32_t status_verify_days_overdue(status_vclass_t c, bool has_due, int32_t visit_due,
                                   int32_t as_of_day) {
  if (c != STATUS_V_OPEN || !has_due || visit_due >= as_of_day) return 0;
  return as_of_day - visit_due;
}

status_verify_t *status_verify_new(const rh_config_t *cfg, int64_t as_of_ms, bool as_of_now,
                                   int utc_offset_min) {
  status_verify_t *v = calloc(1, sizeof *v);
  if (!v) return NULL;
  v->cfg = cfg;
  v->as_of_ms = as_of_ms;
  v->as_of_now = as_of_now;
  v->as_of_day = rh_period_local_days(as_of_ms, utc_offset_min);
  v->townships = calloc(cfg->township_count ? cfg->township_count : 1, sizeof *v->townships);
  v->departments = calloc(cfg->department_count + 1, sizeof *v->departments);
  if (!v->townships || !v->departments) {
    status_verify_destroy(v);
    return NULL;
  }
  return v;
}

void status_verify_destroy(status_verify_t *v) {
  if (!v) return;
  free(v->townships);
  free(v->departments);
  free(v);
}

static void tally(status_vtally_t *t, status_vclass_t c, int32_t days, uint64_t count) {
  t->pushed += count;
  switch (c) {
  case STATUS_V_INCLUDED: t->included += count; break;
  case STATUS_V_NOT_INCLUDED: t->not_included += count; break;
  case STATUS_V_ALREADY_MONITORED: t->already_monitored += count; break;
  case STATUS_V_WITHDRAWN: t->withdrawn += count; break;
  default: t->open += count; break;
  }
  if (c != STATUS_V_OPEN && c != STATUS_V_WITHDRAWN) t->verified += count;
  if (days > 0) {
    t->overdue += count;
    t->overdue_days_total += (uint64_t)days * count;
    if ((uint64_t)days > t->overdue_days_max) t->overdue_days_max = (uint64_t)days;
  }
}

void status_verify_add(status_verify_t *v, const char *township, const char *department,
                       const char *state, bool has_due, int32_t visit_due, uint64_t count) {
  const rh_config_t *cfg = v->cfg;
  size_t t = cfg->township_count;
  for (size_t i = 0; township && i < cfg->township_count; i++)
    if (strcmp(cfg->townships[i].code, township) == 0) t = i;
  if (t == cfg->township_count) { /* not a township of this configuration */
    v->other_townships += count;
    return;
  }
  size_t d = cfg->department_count;
  for (size_t i = 0; department && *department && i < cfg->department_count; i++)
    if (strcmp(cfg->departments[i].code, department) == 0) d = i;
  if (d == cfg->department_count && department && *department) v->other_departments += count;
  status_vclass_t c = status_verify_class(state);
  int32_t days = status_verify_days_overdue(c, has_due, visit_due, v->as_of_day);
  tally(&v->townships[t], c, days, count);
  tally(&v->departments[d], c, days, count);
  tally(&v->total, c, days, count);
}

void status_verify_lists(status_verify_t *v, const status_report_t *r) {
  for (size_t d = 0; d <= v->cfg->department_count; d++)
    v->departments[d].lists = v->departments[d].lists_on_time = 0;
  v->total.lists = v->total.lists_on_time = 0;
  for (size_t f = 0; f < r->nfeeds; f++) {
    size_t d = v->cfg->department_count;
    for (size_t i = 0; i < v->cfg->department_count; i++)
      if (&v->cfg->departments[i] == r->feeds[f]->department) d = i;
    if (d == v->cfg->department_count) continue;
    for (int m = 0; m < r->nmonths; m++) {
      bool on = status_report_list(r, f, m)->state == STATUS_ON_TIME;
      v->departments[d].lists++;
      v->total.lists++;
      if (on) {
        v->departments[d].lists_on_time++;
        v->total.lists_on_time++;
      }
    }
  }
}

bool status_verify_has_unknown(const status_verify_t *v) {
  return v->departments[v->cfg->department_count].pushed > 0;
}

int status_verify_share_permille(const status_vtally_t *t) {
  if (!t->verified) return -1;
  return (int)((t->included * 1000 + t->verified / 2) / t->verified);
}
