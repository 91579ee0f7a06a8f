#include "rh_feedrecord.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_avro_value.h"

static const char *const field_names[RH_FR_FIELD_COUNT] = {
    "id_number", "name", "department", "feed", "kind", "period", "batch_id", "row_number",
    "township_code", "village", "event_date", "amount_fen", "risk", "risk_subtype", "facts",
    "produced_at"};

/* The layout rh_feedrecord_encode writes: field i has name field_names[i] and
 * this type ('s' string, 'l' long, 'S' ["null","string"], 'I' ["null","int"],
 * 'L' ["null","long"], 'm' map<string>). */
static const char direct_types[RH_FR_FIELD_COUNT + 1] = "sSsssssl" "SSILSSml";

static int type_is(avro_schema_t t, char code) {
  switch (code) {
  case 's': return is_avro_string(t);
  case 'l': return is_avro_int64(t);
  case 'm': return is_avro_map(t) && is_avro_string(avro_schema_map_values(t));
  default:
    if (!is_avro_union(t) || avro_schema_union_size(t) != 2 ||
        !is_avro_null(avro_schema_union_branch(t, 0)))
      return 0;
    avro_schema_t b = avro_schema_union_branch(t, 1);
    return code == 'S' ? is_avro_string(b) : code == 'I' ? is_avro_int32(b) : is_avro_int64(b);
  }
}

static int layout_is_known(avro_schema_t rec) {
  if (avro_schema_record_size(rec) != RH_FR_FIELD_COUNT) return 0;
  for (int i = 0; i < RH_FR_FIELD_COUNT; i++) {
    if (strcmp(avro_schema_record_field_name(rec, i), field_names[i]) != 0 ||
        !type_is(avro_schema_record_field_get_by_index(rec, i), direct_types[i]))
      return 0;
  }
  return 1;
}

/* ---- the direct writer: Avro binary encoding, spec section "Encodings" ---- */

static unsigned char *put_long(unsigned char *p, int64_t v) {
  uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); /* zig-zag */
  while (z >= 0x80) {
    *p++ = (unsigned char)(z | 0x80);
    z >>= 7;
  }
  *p++ = (unsigned char)z;
  return p;
}

static unsigned char *put_str(unsigned char *p, const char *s, size_t n) {
  p = put_long(p, (int64_t)n);
  memcpy(p, s, n);
  return p + n;
}

/* Upper bound of the bytes r needs, with string lengths computed once. */
static size_t bound(const rh_feedrecord_t *r, size_t *lens) {
  const char *str[] = {r->id_number, r->name, r->department, r->feed, r->kind, r->period,
                       r->batch_id, r->township_code, r->village, r->risk, r->risk_subtype};
  size_t total = RH_AVRO_HEADER_LEN + 16 * 10 + 20;
  for (size_t i = 0; i < sizeof(str) / sizeof(str[0]); i++) {
    lens[i] = str[i] ? strlen(str[i]) : 0;
    total += lens[i] + 11;
  }
  for (size_t i = 0; i < r->fact_count; i++)
    total += strlen(r->facts[i].name) + (r->facts[i].value ? strlen(r->facts[i].value) : 0) + 22;
  return total;
}

int rh_feedrecord_encode(rh_feedrecord_codec_t *c, const rh_feedrecord_t *r, avro_value_t *scratch,
                         rh_avro_buf_t *buf, char *errstr, size_t errstr_size) {
  if (!c->direct) {
    if (rh_feedrecord_to_value(c, r, scratch, errstr, errstr_size)) return -1;
    return rh_avro_encode(c->schema, scratch, buf, errstr, errstr_size) ? -1 : 0;
  }
  const char *required[] = {r->id_number, r->department, r->feed, r->kind, r->period, r->batch_id};
  static const int required_field[] = {RH_FR_ID_NUMBER, RH_FR_DEPARTMENT, RH_FR_FEED,
                                       RH_FR_KIND, RH_FR_PERIOD, RH_FR_BATCH_ID};
  for (size_t i = 0; i < 6; i++)
    if (!required[i]) {
      snprintf(errstr, errstr_size, "FeedRecord.%s: cannot set the field (missing value for a "
               "required field?)", field_names[required_field[i]]);
      return -1;
    }
  size_t len[11];
  if (rh_avro_buf_reserve(buf, bound(r, len))) {
    snprintf(errstr, errstr_size, "out of memory");
    return -1;
  }
  unsigned char *p = buf->data + buf->len;
  *p++ = RH_AVRO_MAGIC0;
  *p++ = RH_AVRO_MAGIC1;
  for (int i = 0; i < 8; i++) *p++ = (unsigned char)(c->schema->fingerprint >> (8 * i));
#define OPT_STR(s, n) (s ? put_str(put_long(p, 1), s, n) : put_long(p, 0))
  p = put_str(p, r->id_number, len[0]);
  p = OPT_STR(r->name, len[1]);
  p = put_str(p, r->department, len[2]);
  p = put_str(p, r->feed, len[3]);
  p = put_str(p, r->kind, len[4]);
  p = put_str(p, r->period, len[5]);
  p = put_str(p, r->batch_id, len[6]);
  p = put_long(p, r->row_number);
  p = OPT_STR(r->township_code, len[7]);
  p = OPT_STR(r->village, len[8]);
  p = r->has_event_date ? put_long(put_long(p, 1), r->event_date) : put_long(p, 0);
  p = r->has_amount ? put_long(put_long(p, 1), r->amount_fen) : put_long(p, 0);
  p = OPT_STR(r->risk, len[9]);
  p = OPT_STR(r->risk_subtype, len[10]);
#undef OPT_STR
  if (r->fact_count) {
    p = put_long(p, (int64_t)r->fact_count);
    for (size_t i = 0; i < r->fact_count; i++) {
      const char *v = r->facts[i].value ? r->facts[i].value : "";
      p = put_str(p, r->facts[i].name, strlen(r->facts[i].name));
      p = put_str(p, v, strlen(v));
    }
  }
  p = put_long(p, 0); /* end of map blocks */
  p = put_long(p, r->produced_at);
  buf->len = (size_t)(p - buf->data);
  return 0;
}

int rh_feedrecord_codec_init(rh_feedrecord_codec_t *c, const rh_avro_schema_t *schema,
                             char *errstr, size_t errstr_size) {
  memset(c, 0, sizeof(*c));
  if (!schema) {
    snprintf(errstr, errstr_size, "no riskhub.FeedRecord schema loaded");
    return -1;
  }
  c->schema = schema;
  if (rh_avro_field_indexes(schema->schema, field_names, c->idx, RH_FR_FIELD_COUNT, errstr,
                            errstr_size))
    return -1;
  c->direct = layout_is_known(schema->schema);
  return 0;
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
