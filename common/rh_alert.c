#include "rh_alert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_avro_value.h"
#include "rh_avro_wire.h"

static const char *const field_names[RH_AL_FIELD_COUNT] = {
    "alert_id", "situation", "township_code", "village", "household_id", "household_type",
    "monitoring_category", "risk_eliminated", "person_id_number", "person_name",
    "relation_to_head", "risk", "risk_subtype", "severity", "rule_id", "reason", "department",
    "feed", "period", "amount_fen", "event_date", "facts", "source", "withdraws", "merged_into",
    "created_at"};
static const char *const lineage_names[RH_LN_FIELD_COUNT] = {"topic", "partition", "offset",
                                                             "batch_id"};

/* The layout rh_alert_encode writes: field i has name field_names[i] and this
 * type ('s' string, 'b' boolean, 'i' int, 'l' long, 'S' ["null","string"],
 * 'I' ["null","int"], 'L' ["null","long"], 'm' map<string>, 'r' the Lineage
 * record: lineage_names with lineage_types). */
static const char direct_types[RH_AL_FIELD_COUNT + 1] = "ssSSSSSb" "sSSsSssS" "sssLImrSSl";
static const char lineage_types[RH_LN_FIELD_COUNT + 1] = "sils";

static int layout_is(avro_schema_t rec, const char *const *names, const char *types, int n);

static int type_is(avro_schema_t t, char code) {
  switch (code) {
  case 's': return is_avro_string(t);
  case 'b': return is_avro_boolean(t);
  case 'i': return is_avro_int32(t);
  case 'l': return is_avro_int64(t);
  case 'm': return is_avro_map(t) && is_avro_string(avro_schema_map_values(t));
  case 'r':
    return is_avro_record(t) &&
           layout_is(t, lineage_names, lineage_types, RH_LN_FIELD_COUNT);
  default:
    if (!is_avro_union(t) || avro_schema_union_size(t) != 2 ||
        !is_avro_null(avro_schema_union_branch(t, 0)))
      return 0;
    avro_schema_t b = avro_schema_union_branch(t, 1);
    return code == 'S' ? is_avro_string(b) : code == 'I' ? is_avro_int32(b) : is_avro_int64(b);
  }
}

static int layout_is(avro_schema_t rec, const char *const *names, const char *types, int n) {
  if (!is_avro_record(rec) || avro_schema_record_size(rec) != (size_t)n) return 0;
  for (int i = 0; i < n; i++) {
    if (strcmp(avro_schema_record_field_name(rec, i), names[i]) != 0 ||
        !type_is(avro_schema_record_field_get_by_index(rec, i), types[i]))
      return 0;
  }
  return 1;
}

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
  if (rh_avro_field_indexes(lineage, lineage_names, c->lineage_idx, RH_LN_FIELD_COUNT, errstr,
                            errstr_size))
    return -1;
  c->direct = layout_is(schema->schema, field_names, direct_types, RH_AL_FIELD_COUNT);
  return 0;
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
  SET(RH_AL_WITHDRAWS, rh_avro_set_str(v, ix[RH_AL_WITHDRAWS], a->withdraws));
  SET(RH_AL_MERGED_INTO, rh_avro_set_str(v, ix[RH_AL_MERGED_INTO], a->merged_into));
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
  GET(RH_AL_WITHDRAWS, rh_avro_get_str(v, ix[RH_AL_WITHDRAWS], &a->withdraws, NULL));
  GET(RH_AL_MERGED_INTO, rh_avro_get_str(v, ix[RH_AL_MERGED_INTO], &a->merged_into, NULL));
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

/* ---- the direct writer: Avro binary encoding (rh_avro_wire) ---- */

/* The string fields in schema order, lengths computed once. */
enum { AS_ALERT_ID, AS_SITUATION, AS_TOWNSHIP, AS_VILLAGE, AS_HOUSEHOLD_ID, AS_HOUSEHOLD_TYPE,
       AS_CATEGORY, AS_PERSON_ID, AS_PERSON_NAME, AS_RELATION, AS_RISK, AS_RISK_SUBTYPE,
       AS_SEVERITY, AS_RULE_ID, AS_REASON, AS_DEPARTMENT, AS_FEED, AS_PERIOD, AS_TOPIC,
       AS_BATCH_ID, AS_WITHDRAWS, AS_MERGED_INTO, AS_COUNT };

/* Fact i is written (the first of its name), with the value of the last fact
 * of that name: what avro_value_add does with a key it already has. */
typedef struct {
  const char *value;
  size_t name_len, value_len;
  bool skip;
} fact_plan_t;

int rh_alert_encode(rh_alert_codec_t *c, const rh_alert_t *a, avro_value_t *scratch,
                    rh_avro_buf_t *buf, char *errstr, size_t errstr_size) {
  if (!c->direct || a->fact_count > RH_ALERT_DIRECT_MAX_FACTS) {
    if (rh_alert_to_value(c, a, scratch, errstr, errstr_size)) return -1;
    return rh_avro_encode(c->schema, scratch, buf, errstr, errstr_size) ? -1 : 0;
  }
  const char *str[AS_COUNT] = {
      a->alert_id, a->situation, a->township_code, a->village, a->household_id,
      a->household_type, a->monitoring_category, a->person_id_number, a->person_name,
      a->relation_to_head, a->risk, a->risk_subtype, a->severity, a->rule_id, a->reason,
      a->department, a->feed, a->period, a->source.topic, a->source.batch_id, a->withdraws,
      a->merged_into};
  /* required strings in the order rh_alert_to_value sets them: the same field is named */
  static const struct {
    int s, field;
  } required[] = {{AS_ALERT_ID, RH_AL_ALERT_ID},     {AS_SITUATION, RH_AL_SITUATION},
                  {AS_PERSON_ID, RH_AL_PERSON_ID},   {AS_RISK, RH_AL_RISK},
                  {AS_SEVERITY, RH_AL_SEVERITY},     {AS_RULE_ID, RH_AL_RULE_ID},
                  {AS_DEPARTMENT, RH_AL_DEPARTMENT}, {AS_FEED, RH_AL_FEED},
                  {AS_PERIOD, RH_AL_PERIOD}};
  int bad = -1;
  for (size_t i = 0; bad < 0 && i < sizeof required / sizeof required[0]; i++)
    if (!str[required[i].s]) bad = required[i].field;
  for (size_t i = 0; bad < 0 && i < a->fact_count; i++)
    if (!a->facts[i].name) bad = RH_AL_FACTS;
  if (bad < 0 && (!a->source.topic || !a->source.batch_id)) bad = RH_AL_SOURCE;
  if (bad >= 0) {
    snprintf(errstr, errstr_size, "Alert.%s: cannot set the field (missing value for a required "
             "field?)", field_names[bad]);
    return -1;
  }

  size_t len[AS_COUNT];
  size_t total = RH_AVRO_HEADER_LEN + 1 + 11 + 6 + 5 + 10 + 10 + 10 + 1;
  for (int i = 0; i < AS_COUNT; i++) {
    len[i] = str[i] ? strlen(str[i]) : 0;
    total += len[i] + 11;
  }
  fact_plan_t fp[RH_ALERT_DIRECT_MAX_FACTS];
  size_t unique = 0;
  for (size_t i = 0; i < a->fact_count; i++) {
    fp[i].skip = false;
    fp[i].name_len = strlen(a->facts[i].name);
    for (size_t j = 0; j < i; j++)
      if (!fp[j].skip && fp[j].name_len == fp[i].name_len &&
          memcmp(a->facts[j].name, a->facts[i].name, fp[i].name_len) == 0) {
        fp[i].skip = true;
        fp[j].value = a->facts[i].value ? a->facts[i].value : "";
        break;
      }
    if (!fp[i].skip) {
      unique++;
      fp[i].value = a->facts[i].value ? a->facts[i].value : "";
    }
  }
  for (size_t i = 0; i < a->fact_count; i++) {
    if (fp[i].skip) continue;
    fp[i].value_len = strlen(fp[i].value);
    total += fp[i].name_len + fp[i].value_len + 20;
  }
  if (rh_avro_buf_reserve(buf, total)) {
    snprintf(errstr, errstr_size, "out of memory");
    return -1;
  }

  unsigned char *p = rh_avro_wire_put_header(buf->data + buf->len, c->schema->fingerprint);
#define STR(i) (p = rh_avro_wire_put_bytes(p, str[i], len[i]))
#define OPT_STR(i) (p = rh_avro_wire_put_opt_bytes(p, str[i], len[i]))
  STR(AS_ALERT_ID);
  STR(AS_SITUATION);
  OPT_STR(AS_TOWNSHIP);
  OPT_STR(AS_VILLAGE);
  OPT_STR(AS_HOUSEHOLD_ID);
  OPT_STR(AS_HOUSEHOLD_TYPE);
  OPT_STR(AS_CATEGORY);
  *p++ = a->risk_eliminated ? 1 : 0;
  STR(AS_PERSON_ID);
  OPT_STR(AS_PERSON_NAME);
  OPT_STR(AS_RELATION);
  STR(AS_RISK);
  OPT_STR(AS_RISK_SUBTYPE);
  STR(AS_SEVERITY);
  STR(AS_RULE_ID);
  OPT_STR(AS_REASON);
  STR(AS_DEPARTMENT);
  STR(AS_FEED);
  STR(AS_PERIOD);
  p = rh_avro_wire_put_opt_long(p, a->has_amount, a->amount_fen);
  p = rh_avro_wire_put_opt_long(p, a->has_event_date, a->event_date);
  if (unique) { /* Avro C writes one block of all entries, then the end */
    p = rh_avro_wire_put_long(p, (int64_t)unique);
    for (size_t i = 0; i < a->fact_count; i++) {
      if (fp[i].skip) continue;
      p = rh_avro_wire_put_bytes(p, a->facts[i].name, fp[i].name_len);
      p = rh_avro_wire_put_bytes(p, fp[i].value, fp[i].value_len);
    }
  }
  p = rh_avro_wire_put_long(p, 0);
  STR(AS_TOPIC);
  p = rh_avro_wire_put_long(p, a->source.partition);
  p = rh_avro_wire_put_long(p, a->source.offset);
  STR(AS_BATCH_ID);
  OPT_STR(AS_WITHDRAWS);
  OPT_STR(AS_MERGED_INTO);
  p = rh_avro_wire_put_long(p, a->created_at);
#undef STR
#undef OPT_STR
  buf->len = (size_t)(p - buf->data);
  return 0;
}
