#include "rh_feedrecord.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_avro_value.h"

static const char *const field_names[RH_FR_FIELD_COUNT] = {
    "id_number", "name", "department", "feed", "kind", "period", "batch_id", "row_number",
    "township_code", "village", "event_date", "amount_fen", "risk", "risk_subtype", "facts",
    "produced_at"};

int rh_feedrecord_codec_init(rh_feedrecord_codec_t *c, const rh_avro_schema_t *schema,
                             char *errstr, size_t errstr_size) {
  memset(c, 0, sizeof(*c));
  if (!schema) {
    snprintf(errstr, errstr_size, "no riskhub.FeedRecord schema loaded");
    return -1;
  }
  c->schema = schema;
  return rh_avro_field_indexes(schema->schema, field_names, c->idx, RH_FR_FIELD_COUNT, errstr,
                               errstr_size);
}

void rh_feedrecord_codec_free(rh_feedrecord_codec_t *c) {
  if (!c) return;
  free(c->facts);
  c->facts = NULL;
  c->facts_cap = 0;
}

int rh_feedrecord_to_value(rh_feedrecord_codec_t *c, const rh_feedrecord_t *r, avro_value_t *v,
                           char *errstr, size_t errstr_size) {
  const int *ix = c->idx;
  int bad = -1;
  avro_value_reset(v);
#define SET(i, call) \
  if (bad < 0 && (call)) bad = (i)
  SET(RH_FR_ID_NUMBER, rh_avro_set_str(v, ix[RH_FR_ID_NUMBER], r->id_number));
  SET(RH_FR_NAME, rh_avro_set_str(v, ix[RH_FR_NAME], r->name));
  SET(RH_FR_DEPARTMENT, rh_avro_set_str(v, ix[RH_FR_DEPARTMENT], r->department));
  SET(RH_FR_FEED, rh_avro_set_str(v, ix[RH_FR_FEED], r->feed));
  SET(RH_FR_KIND, rh_avro_set_str(v, ix[RH_FR_KIND], r->kind));
  SET(RH_FR_PERIOD, rh_avro_set_str(v, ix[RH_FR_PERIOD], r->period));
  SET(RH_FR_BATCH_ID, rh_avro_set_str(v, ix[RH_FR_BATCH_ID], r->batch_id));
  SET(RH_FR_ROW_NUMBER, rh_avro_set_long(v, ix[RH_FR_ROW_NUMBER], r->row_number));
  SET(RH_FR_TOWNSHIP_CODE, rh_avro_set_str(v, ix[RH_FR_TOWNSHIP_CODE], r->township_code));
  SET(RH_FR_VILLAGE, rh_avro_set_str(v, ix[RH_FR_VILLAGE], r->village));
  SET(RH_FR_EVENT_DATE, rh_avro_set_opt_int(v, ix[RH_FR_EVENT_DATE], r->has_event_date, r->event_date));
  SET(RH_FR_AMOUNT_FEN, rh_avro_set_opt_long(v, ix[RH_FR_AMOUNT_FEN], r->has_amount, r->amount_fen));
  SET(RH_FR_RISK, rh_avro_set_str(v, ix[RH_FR_RISK], r->risk));
  SET(RH_FR_RISK_SUBTYPE, rh_avro_set_str(v, ix[RH_FR_RISK_SUBTYPE], r->risk_subtype));
  SET(RH_FR_PRODUCED_AT, rh_avro_set_long(v, ix[RH_FR_PRODUCED_AT], r->produced_at));
#undef SET
  if (bad < 0 && r->fact_count > 0) {
    avro_value_t map, elem;
    if (rh_avro_field(v, ix[RH_FR_FACTS], &map)) bad = RH_FR_FACTS;
    for (size_t i = 0; bad < 0 && i < r->fact_count; i++)
      if (avro_value_add(&map, r->facts[i].name, &elem, NULL, NULL) ||
          avro_value_set_string(&elem, r->facts[i].value ? r->facts[i].value : ""))
        bad = RH_FR_FACTS;
  }
  if (bad >= 0) {
    snprintf(errstr, errstr_size, "FeedRecord.%s: cannot set the field%s", field_names[bad],
             bad != RH_FR_FACTS ? " (missing value for a required field?)" : "");
    return -1;
  }
  return 0;
}

int rh_feedrecord_from_value(rh_feedrecord_codec_t *c, avro_value_t *v, rh_feedrecord_t *r,
                             char *errstr, size_t errstr_size) {
  const int *ix = c->idx;
  int bad = -1;
  memset(r, 0, sizeof(*r));
#define GET(i, call) \
  if (bad < 0 && (call)) bad = (i)
  GET(RH_FR_ID_NUMBER, rh_avro_get_str(v, ix[RH_FR_ID_NUMBER], &r->id_number, NULL));
  GET(RH_FR_NAME, rh_avro_get_str(v, ix[RH_FR_NAME], &r->name, NULL));
  GET(RH_FR_DEPARTMENT, rh_avro_get_str(v, ix[RH_FR_DEPARTMENT], &r->department, NULL));
  GET(RH_FR_FEED, rh_avro_get_str(v, ix[RH_FR_FEED], &r->feed, NULL));
  GET(RH_FR_KIND, rh_avro_get_str(v, ix[RH_FR_KIND], &r->kind, NULL));
  GET(RH_FR_PERIOD, rh_avro_get_str(v, ix[RH_FR_PERIOD], &r->period, NULL));
  GET(RH_FR_BATCH_ID, rh_avro_get_str(v, ix[RH_FR_BATCH_ID], &r->batch_id, NULL));
  GET(RH_FR_ROW_NUMBER, rh_avro_get_long(v, ix[RH_FR_ROW_NUMBER], NULL, &r->row_number));
  GET(RH_FR_TOWNSHIP_CODE, rh_avro_get_str(v, ix[RH_FR_TOWNSHIP_CODE], &r->township_code, NULL));
  GET(RH_FR_VILLAGE, rh_avro_get_str(v, ix[RH_FR_VILLAGE], &r->village, NULL));
  GET(RH_FR_EVENT_DATE, rh_avro_get_int(v, ix[RH_FR_EVENT_DATE], &r->has_event_date, &r->event_date));
  GET(RH_FR_AMOUNT_FEN, rh_avro_get_long(v, ix[RH_FR_AMOUNT_FEN], &r->has_amount, &r->amount_fen));
  GET(RH_FR_RISK, rh_avro_get_str(v, ix[RH_FR_RISK], &r->risk, NULL));
  GET(RH_FR_RISK_SUBTYPE, rh_avro_get_str(v, ix[RH_FR_RISK_SUBTYPE], &r->risk_subtype, NULL));
  GET(RH_FR_PRODUCED_AT, rh_avro_get_long(v, ix[RH_FR_PRODUCED_AT], NULL, &r->produced_at));
#undef GET
  if (bad < 0) {
    avro_value_t map, elem;
    size_t n = 0;
    if (rh_avro_field(v, ix[RH_FR_FACTS], &map) || avro_value_get_size(&map, &n)) {
      bad = RH_FR_FACTS;
    } else {
      if (n > c->facts_cap) {
        rh_fact_t *f = realloc(c->facts, n * sizeof(*f));
        if (!f) {
          snprintf(errstr, errstr_size, "out of memory");
          return -1;
        }
        c->facts = f;
        c->facts_cap = n;
      }
      for (size_t i = 0; i < n && bad < 0; i++) {
        const char *key = NULL, *val = NULL;
        size_t sz;
        if (avro_value_get_by_index(&map, i, &elem, &key) || avro_value_get_string(&elem, &val, &sz))
          bad = RH_FR_FACTS;
        else
          c->facts[i].name = key, c->facts[i].value = val;
      }
      r->facts = c->facts;
      r->fact_count = n;
    }
  }
  if (bad >= 0) {
    snprintf(errstr, errstr_size, "FeedRecord.%s: unexpected type or null", field_names[bad]);
    return -1;
  }
  return 0;
}
