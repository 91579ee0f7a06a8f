/*
 * rh_rules: which configured rule a feed record raises, and the alert's
 * deterministic id. Shared by the join (live) and the replay (audit), so both
 * decide exactly alike.
 *
 * A rule applies when all its conditions hold (config: rules[].when). Fields:
 *   id_number, name, township (the 9-digit code), village, event_date
 *   (YYYY-MM-DD), amount (yuan; compared exactly in fen), subtype,
 *   facts.<name>, household.type, household.category,
 *   household.income_per_capita (yuan), household.risk_eliminated (true/false).
 * A condition on a value the record or household does not have is false,
 * whatever the operator. Numbers compare numerically (amounts in fen, so
 * 10000 yuan is exactly 1,000,000 fen); everything else compares as text
 * (eq, ne, in; gt/gte/lt/lte on ISO dates compare as text too).
 *
 * Of several rules of one feed that apply, ONE is chosen: the most severe,
 * and of equally severe ones the first in the file. One record gives at most
 * one alert. A record that no rule selects is counted, not alerted.
 *
 * All functions are pure and thread-safe; nothing is allocated.
 */
#ifndef RH_RULES_H
#define RH_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "rh_config.h"
#include "rh_feedrecord.h"
#include "rh_hash.h"

/* What a rule may ask about the person's household (from the registry). */
typedef struct {
  const char *household_type;      /* poverty_alleviated | monitored | ordinary */
  const char *monitoring_category; /* unstable | marginal | sudden_hardship, or NULL */
  bool risk_eliminated;
  bool has_income;
  int64_t income_per_capita_fen;
} rh_rule_household_t;

bool rh_rule_condition_holds(const rh_config_condition_t *c, const rh_feedrecord_t *r,
                             const rh_rule_household_t *h);

/* The rule of feed that r raises, or NULL. */
const rh_config_rule_t *rh_rules_select(const rh_config_feed_t *feed, const rh_feedrecord_t *r,
                                        const rh_rule_household_t *h);

/* AT_NEW_RISK (a poverty-alleviated or monitored household at a new risk),
 * RISK_MAY_HAVE_RETURNED (its risk was eliminated), MAY_NEED_MONITORING (an
 * ordinary household). Static strings. */
const char *rh_rules_situation(const rh_rule_household_t *h);

/* hex SHA-256 over ID number, department, feed, period and rule id: the same
 * person, list, month and rule give the same alert, so a re-published batch
 * is a no-op downstream. */
void rh_alert_id(const char *id_number, const char *department, const char *feed,
                 const char *period, const char *rule_id, char out[RH_SHA256_HEXSZ]);

#endif
