#include "rh_rules.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_parse.h"

/* The value a condition looks at: text, a number in the condition's unit
 * (fen for amounts and income), or absent. */
typedef struct {
  const char *text;
  bool is_number;
  int64_t fen;
} value_t;

static bool get_value(const char *field, const rh_feedrecord_t *r, const rh_rule_household_t *h,
                      value_t *v, char *scratch, size_t scratch_size) {
  memset(v, 0, sizeof(*v));
  if (strcmp(field, "amount") == 0) {
    if (!r->has_amount) return false;
    v->is_number = true, v->fen = r->amount_fen;
    return true;
  }
  if (strcmp(field, "household.income_per_capita") == 0) {
    if (!h || !h->has_income) return false;
    v->is_number = true, v->fen = h->income_per_capita_fen;
    return true;
  }
  if (strcmp(field, "event_date") == 0) {
    if (!r->has_event_date) return false;
    int y, m, d;
    rh_date_from_days(r->event_date, &y, &m, &d);
    snprintf(scratch, scratch_size, "%04d-%02d-%02d", y, m, d);
    v->text = scratch;
    return true;
  }
  if (strncmp(field, "facts.", 6) == 0) {
    for (size_t i = 0; i < r->fact_count; i++)
      if (strcmp(r->facts[i].name, field + 6) == 0) v->text = r->facts[i].value;
  } else if (strncmp(field, "household.", 10) == 0) {
    if (!h) return false;
    const char *f = field + 10;
    if (strcmp(f, "type") == 0) v->text = h->household_type;
    else if (strcmp(f, "category") == 0) v->text = h->monitoring_category;
    else if (strcmp(f, "risk_eliminated") == 0) v->text = h->risk_eliminated ? "true" : "false";
  } else {
    static const struct { const char *name; size_t offset; } text_fields[] = {
        {"id_number", offsetof(rh_feedrecord_t, id_number)},
        {"name", offsetof(rh_feedrecord_t, name)},
        {"township", offsetof(rh_feedrecord_t, township_code)},
        {"village", offsetof(rh_feedrecord_t, village)},
        {"subtype", offsetof(rh_feedrecord_t, risk_subtype)}};
    for (size_t i = 0; i < sizeof(text_fields) / sizeof(text_fields[0]); i++)
      if (strcmp(field, text_fields[i].name) == 0)
        v->text = *(const char *const *)((const char *)r + text_fields[i].offset);
  }
  return v->text != NULL;
}

/* A condition's number in fen (the config gives yuan). */
static int64_t condition_fen(const rh_config_condition_t *c) { return llround(c->number * 100.0); }

bool rh_rule_condition_holds(const rh_config_condition_t *c, const rh_feedrecord_t *r,
                             const rh_rule_household_t *h) {
  value_t v;
  char scratch[16];
  if (!get_value(c->field, r, h, &v, scratch, sizeof(scratch))) return false;
  if (c->op == RH_OP_IN) {
    for (size_t i = 0; i < c->value_count; i++) {
      if (v.is_number) {
        int64_t fen;
        if (rh_parse_amount_fen(c->values[i], strlen(c->values[i]), &fen) == 0 && fen == v.fen)
          return true;
      } else if (strcmp(v.text, c->values[i]) == 0) {
        return true;
      }
    }
    return false;
  }
  int cmp;
  if (v.is_number) {
    if (!c->is_numeric) return false;
    int64_t want = condition_fen(c);
    cmp = v.fen < want ? -1 : v.fen > want;
  } else {
    if (!c->value) return false;
    cmp = strcmp(v.text, c->value);
  }
  switch (c->op) {
  case RH_OP_EQ: return cmp == 0;
  case RH_OP_NE: return cmp != 0;
  case RH_OP_GT: return cmp > 0;
  case RH_OP_GTE: return cmp >= 0;
  case RH_OP_LT: return cmp < 0;
  case RH_OP_LTE: return cmp <= 0;
  case RH_OP_IN: break;
  }
  return false;
}

const rh_config_rule_t *rh_rules_select(const rh_config_feed_t *feed, const rh_feedrecord_t *r,
                                        const rh_rule_household_t *h) {
  const rh_config_rule_t *best = NULL;
  for (size_t i = 0; i < feed->rule_count; i++) {
    const rh_config_rule_t *rule = feed->rules[i];
    if (best && rule->severity <= best->severity) continue;
    size_t k = 0;
    while (k < rule->condition_count && rh_rule_condition_holds(&rule->conditions[k], r, h)) k++;
    if (k == rule->condition_count) best = rule;
  }
  return best;
}

const char *rh_rules_situation(const rh_rule_household_t *h) {
  if (!h || !h->household_type) return "UNMATCHED";
  if (h->risk_eliminated) return "RISK_MAY_HAVE_RETURNED";
  if (strcmp(h->household_type, "ordinary") == 0) return "MAY_NEED_MONITORING";
  return "AT_NEW_RISK";
}

void rh_alert_id(const char *id_number, const char *department, const char *feed,
                 const char *period, const char *rule_id, char out[RH_SHA256_HEXSZ]) {
  const char *parts[6] = {"riskhub-alert-v1", id_number, department, feed, period, rule_id};
  rh_sha256_parts(parts, 6, out);
}
