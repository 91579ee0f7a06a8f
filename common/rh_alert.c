#include "rh_alert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_avro_value.h"

static const char *const field_names[RH_AL_FIELD_COUNT] = {
    "alert_id", "situation", "township_code", "village", "household_id", "household_type",
    "monitoring_category", "risk_eliminated", "person_id_number", "person_name",
    "relation_to_head", "risk", "risk_subtype", "severity", "rule_id", "reason", "department",
    "feed", "period", "amount_fen", "event_date", "facts", "source", "created_at"};
static const char *const lineage_names[RH_LN_FIELD_COUNT] = {"topic", "partition", "offset",
                                                             "batch_id"};

int rh_alert_codec_init(rh_alert_codec_t *c, const rh_avro_schema_t *schema, char *errstr,
                        size_t errstr_size) {
  memset(c, 0, sizeof(*c));
  if (!schema) {
    snprintf(errstr, errstr_size, "no riskhub.Alert schema loaded");
    return -1;
  }
  c->schema = schema;
  if (rh_avro_field_indexes(schema->schema, field_names, c->idx, RH_AL_FIELD_COUNT, errstr,
                            errstr_size))
    return -1;
  avro_schema_t lineage = avro_schema_record_field_get_by_index(schema->schema, c->idx[RH_AL_SOURCE]);
  return rh_avro_field_indexes(lineage, lineage_names, c->lineage_idx, RH_LN_FIELD_COUNT, errstr,
                               errstr_size);
}

void rh_alert_codec_free(rh_alert_codec_t *c) {
  if (!c) return;
  free(c->facts);
  c->facts = NULL;
  c->facts_cap = 0;
}

int rh_alert_to_value(rh_alert_codec_t *c, const rh_alert_t *a, avro_value_t *v, char *errstr,
                      size_t errstr_size) {
  const int *ix = c->idx;
  int bad = -1;
  avro_value_reset(v);
#define SET(i, call) \
  if (bad < 0 && (call)) bad = (i)
  SET(RH_AL_ALERT_ID, rh_avro_set_str(v, ix[RH_AL_ALERT_ID], a->alert_id));
  SET(RH_AL_SITUATION, rh_avro_set_str(v, ix[RH_AL_SITUATION], a->situation));
  SET(RH_AL_TOWNSHIP, rh_avro_set_str(v, ix[RH_AL_TOWNSHIP], a->township_code));
  SET(RH_AL_VILLAGE, rh_avro_set_str(v, ix[RH_AL_VILLAGE], a->village));
  SET(RH_AL_HOUSEHOLD_ID, rh_avro_set_str(v, ix[RH_AL_HOUSEHOLD_ID], a->household_id));
  SET(RH_AL_HOUSEHOLD_TYPE, rh_avro_set_str(v, ix[RH_AL_HOUSEHOLD_TYPE], a->household_type));
  SET(RH_AL_CATEGORY, rh_avro_set_str(v, ix[RH_AL_CATEGORY], a->monitoring_category));
  SET(RH_AL_RISK_ELIMINATED, rh_avro_set_bool(v, ix[RH_AL_RISK_ELIMINATED], a->risk_eliminated));
  SET(RH_AL_PERSON_ID, rh_avro_set_str(v, ix[RH_AL_PERSON_ID], a->person_id_number));
  SET(RH_AL_PERSON_NAME, rh_avro_set_str(v, ix[RH_AL_PERSON_NAME], a->person_name));
  SET(RH_AL_RELATION, rh_avro_set_str(v, ix[RH_AL_RELATION], a->relation_to_head));
  SET(RH_AL_RISK, rh_avro_set_str(v, ix[RH_AL_RISK], a->risk));
  SET(RH_AL_RISK_SUBTYPE, rh_avro_set_str(v, ix[RH_AL_RISK_SUBTYPE], a->risk_subtype));
  SET(RH_AL_SEVERITY, rh_avro_set_str(v, ix[RH_AL_SEVERITY], a->severity));
  SET(RH_AL_RULE_ID, rh_avro_set_str(v, ix[RH_AL_RULE_ID], a->rule_id));
  SET(RH_AL_REASON, rh_avro_set_str(v, ix[RH_AL_REASON], a->reason));
  SET(RH_AL_DEPARTMENT, rh_avro_set_str(v, ix[RH_AL_DEPARTMENT], a->department));
  SET(RH_AL_FEED, rh_avro_set_str(v, ix[RH_AL_FEED], a->feed));
  SET(RH_AL_PERIOD, rh_avro_set_str(v, ix[RH_AL_PERIOD], a->period));
  SET(RH_AL_AMOUNT, rh_avro_set_opt_long(v, ix[RH_AL_AMOUNT], a->has_amount, a->amount_fen));
  SET(RH_AL_EVENT_DATE, rh_avro_set_opt_int(v, ix[RH_AL_EVENT_DATE], a->has_event_date, a->event_date));
  SET(RH_AL_CREATED_AT, rh_avro_set_long(v, ix[RH_AL_CREATED_AT], a->created_at));
#undef SET
  if (bad < 0) {
    avro_value_t map, elem, src;
    if (rh_avro_field(v, ix[RH_AL_FACTS], &map)) bad = RH_AL_FACTS;
    for (size_t i = 0; bad < 0 && i < a->fact_count; i++)
      if (avro_value_add(&map, a->facts[i].name, &elem, NULL, NULL) ||
          avro_value_set_string(&elem, a->facts[i].value ? a->facts[i].value : ""))
        bad = RH_AL_FACTS;
    const int *ln = c->lineage_idx;
    if (bad < 0 &&
        (rh_avro_field(v, ix[RH_AL_SOURCE], &src) ||
         rh_avro_set_str(&src, ln[RH_LN_TOPIC], a->source.topic) ||
         rh_avro_set_int(&src, ln[RH_LN_PARTITION], a->source.partition) ||
         rh_avro_set_long(&src, ln[RH_LN_OFFSET], a->source.offset) ||
         rh_avro_set_str(&src, ln[RH_LN_BATCH_ID], a->source.batch_id)))
      bad = RH_AL_SOURCE;
  }
  if (bad >= 0) {
    snprintf(errstr, errstr_size, "Alert.%s: cannot set the field (missing value for a required "
             "field?)", field_names[bad]);
    return -1;
  }
  return 0;
}

int rh_alert_from_value(rh_alert_codec_t *c, avro_value_t *v, rh_alert_t *a, char *errstr,
                        size_t errstr_size) {
  const int *ix = c->idx;
  int bad = -1;
  memset(a, 0, sizeof(*a));
#define GET(i, call) \
  if (bad < 0 && (call)) bad = (i)
  GET(RH_AL_ALERT_ID, rh_avro_get_str(v, ix[RH_AL_ALERT_ID], &a->alert_id, NULL));
  GET(RH_AL_SITUATION, rh_avro_get_str(v, ix[RH_AL_SITUATION], &a->situation, NULL));
  GET(RH_AL_TOWNSHIP, rh_avro_get_str(v, ix[RH_AL_TOWNSHIP], &a->township_code, NULL));
  GET(RH_AL_VILLAGE, rh_avro_get_str(v, ix[RH_AL_VILLAGE], &a->village, NULL));
  GET(RH_AL_HOUSEHOLD_ID, rh_avro_get_str(v, ix[RH_AL_HOUSEHOLD_ID], &a->household_id, NULL));
  GET(RH_AL_HOUSEHOLD_TYPE, rh_avro_get_str(v, ix[RH_AL_HOUSEHOLD_TYPE], &a->household_type, NULL));
  GET(RH_AL_CATEGORY, rh_avro_get_str(v, ix[RH_AL_CATEGORY], &a->monitoring_category, NULL));
  GET(RH_AL_RISK_ELIMINATED, rh_avro_get_bool(v, ix[RH_AL_RISK_ELIMINATED], &a->risk_eliminated));
  GET(RH_AL_PERSON_ID, rh_avro_get_str(v, ix[RH_AL_PERSON_ID], &a->person_id_number, NULL));
  GET(RH_AL_PERSON_NAME, rh_avro_get_str(v, ix[RH_AL_PERSON_NAME], &a->person_name, NULL));
  GET(RH_AL_RELATION, rh_avro_get_str(v, ix[RH_AL_RELATION], &a->relation_to_head, NULL));
  GET(RH_AL_RISK, rh_avro_get_str(v, ix[RH_AL_RISK], &a->risk, NULL));
  GET(RH_AL_RISK_SUBTYPE, rh_avro_get_str(v, ix[RH_AL_RISK_SUBTYPE], &a->risk_subtype, NULL));
  GET(RH_AL_SEVERITY, rh_avro_get_str(v, ix[RH_AL_SEVERITY], &a->severity, NULL));
  GET(RH_AL_RULE_ID, rh_avro_get_str(v, ix[RH_AL_RULE_ID], &a->rule_id, NULL));
  GET(RH_AL_REASON, rh_avro_get_str(v, ix[RH_AL_REASON], &a->reason, NULL));
  GET(RH_AL_DEPARTMENT, rh_avro_get_str(v, ix[RH_AL_DEPARTMENT], &a->department, NULL));
  GET(RH_AL_FEED, rh_avro_get_str(v, ix[RH_AL_FEED], &a->feed, NULL));
  GET(RH_AL_PERIOD, rh_avro_get_str(v, ix[RH_AL_PERIOD], &a->period, NULL));
  GET(RH_AL_AMOUNT, rh_avro_get_long(v, ix[RH_AL_AMOUNT], &a->has_amount, &a->amount_fen));
  GET(RH_AL_EVENT_DATE, rh_avro_get_int(v, ix[RH_AL_EVENT_DATE], &a->has_event_date, &a->event_date));
  GET(RH_AL_CREATED_AT, rh_avro_get_long(v, ix[RH_AL_CREATED_AT], NULL, &a->created_at));
#undef GET
  avro_value_t map, elem, src;
  size_t n = 0;
  if (bad < 0 && (rh_avro_field(v, ix[RH_AL_FACTS], &map) || avro_value_get_size(&map, &n)))
    bad = RH_AL_FACTS;
  if (bad < 0 && n > c->facts_cap) {
    rh_fact_t *f = realloc(c->facts, n * sizeof(*f));
    if (!f) {
      snprintf(errstr, errstr_size, "out of memory");
      return -1;
    }
    c->facts = f;
    c->facts_cap = n;
  }
  for (size_t i = 0; bad < 0 && i < n; i++) {
    const char *key = NULL, *val = NULL;
    size_t sz;
    if (avro_value_get_by_index(&map, i, &elem, &key) || avro_value_get_string(&elem, &val, &sz))
      bad = RH_AL_FACTS;
    else
      c->facts[i].name = key, c->facts[i].value = val;
  }
  a->facts = c->facts;
  a->fact_count = bad < 0 ? n : 0;
  const int *ln = c->lineage_idx;
  if (bad < 0 &&
      (rh_avro_field(v, ix[RH_AL_SOURCE], &src) ||
       rh_avro_get_str(&src, ln[RH_LN_TOPIC], &a->source.topic, NULL) ||
       rh_avro_get_int(&src, ln[RH_LN_PARTITION], NULL, &a->source.partition) ||
       rh_avro_get_long(&src, ln[RH_LN_OFFSET], NULL, &a->source.offset) ||
       rh_avro_get_str(&src, ln[RH_LN_BATCH_ID], &a->source.batch_id, NULL)))
    bad = RH_AL_SOURCE;
  if (bad >= 0) {
    snprintf(errstr, errstr_size, "Alert.%s: unexpected type or null", field_names[bad]);
    return -1;
  }
  return 0;
}
