#include "rh_feedrecord.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_avro_value.h"
#include "rh_avro_wire.h"
#include "rh_err.h"

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

/* ---- the direct writer: Avro binary encoding (rh_avro_wire) ---- */

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
  unsigned char *p = rh_avro_wire_put_header(buf->data + buf->len, c->schema->fingerprint);
#define OPT_STR(s, n) rh_avro_wire_put_opt_bytes(p, s, n)
  p = rh_avro_wire_put_bytes(p, r->id_number, len[0]);
  p = OPT_STR(r->name, len[1]);
  p = rh_avro_wire_put_bytes(p, r->department, len[2]);
  p = rh_avro_wire_put_bytes(p, r->feed, len[3]);
  p = rh_avro_wire_put_bytes(p, r->kind, len[4]);
  p = rh_avro_wire_put_bytes(p, r->period, len[5]);
  p = rh_avro_wire_put_bytes(p, r->batch_id, len[6]);
  p = rh_avro_wire_put_long(p, r->row_number);
  p = OPT_STR(r->township_code, len[7]);
  p = OPT_STR(r->village, len[8]);
  p = rh_avro_wire_put_opt_long(p, r->has_event_date, r->event_date);
  p = rh_avro_wire_put_opt_long(p, r->has_amount, r->amount_fen);
  p = OPT_STR(r->risk, len[9]);
  p = OPT_STR(r->risk_subtype, len[10]);
#undef OPT_STR
  if (r->fact_count) {
    p = rh_avro_wire_put_long(p, (int64_t)r->fact_count);
    for (size_t i = 0; i < r->fact_count; i++) {
      const char *v = r->facts[i].value ? r->facts[i].value : "";
      p = rh_avro_wire_put_bytes(p, r->facts[i].name, strlen(r->facts[i].name));
      p = rh_avro_wire_put_bytes(p, v, strlen(v));
    }
  }
  p = rh_avro_wire_put_long(p, 0); /* end of map blocks */
  p = rh_avro_wire_put_long(p, r->produced_at);
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
  free(c->text);
  c->text = NULL;
  c->text_cap = 0;
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

/* ---- the direct reader ------------------------------------------------------
 * The checks and messages of rh_avro_codec.c's decoder (dec_value) for this
 * one layout, in the same order and through the same primitives
 * (rh_avro_wire), so that a message fails here exactly where and how it
 * fails there. Keep the two in step. Here every failure is -1 (the message
 * is in d->err); 1 is RH_FEEDRECORD_FALLBACK. */

typedef struct {
  rh_avro_wire_rd_t r;
  char *t; /* next free byte of the codec's text buffer */
  char err[512];
} rd_t;

/* A wire status as this file's -1 */
#define RD(call) ((call) != RH_AVRO_OK ? -1 : 0)

/* n bytes and a NUL into the text buffer. Every string of the message takes
 * at least one byte more there than here (its length), so a buffer of len
 * bytes never runs out. */
static char *rd_keep(rd_t *d, const unsigned char *s, size_t n) {
  char *z = d->t;
  memcpy(z, s, n);
  z[n] = '\0';
  d->t += n + 1;
  return z;
}

static int rd_string(rd_t *d, const char **out) {
  const unsigned char *s;
  size_t n;
  if (rh_avro_wire_read_string(&d->r, &s, &n) != RH_AVRO_OK) return -1;
  *out = rd_keep(d, s, n);
  return 0;
}

/* The branch of a ["null", T] union: 0 null, 1 the value. */
static int rd_branch(rd_t *d, int *branch) {
  int64_t idx;
  if (rh_avro_wire_read_branch(&d->r, 2, &idx) != RH_AVRO_OK) return -1;
  *branch = (int)idx;
  return 0;
}

static int rd_opt_string(rd_t *d, const char **out) {
  int b = 0;
  if (rd_branch(d, &b)) return -1;
  *out = NULL;
  return b ? rd_string(d, out) : 0;
}

/* The facts map: blocks of count (and a byte size when the count is
 * negative) and entries, until a count of 0. 1 = too many facts for here. */
static int rd_facts(rd_t *d, rh_feedrecord_codec_t *c, rh_feedrecord_t *r) {
  size_t n = 0, klen[RH_FEEDRECORD_DIRECT_MAX_FACTS];
  r->facts = c->facts;
  r->fact_count = 0;
  for (;;) {
    int64_t count;
    /* an entry takes at least 2 bytes: two lengths */
    if (rh_avro_wire_read_block(&d->r, 2, &count) != RH_AVRO_OK) return -1;
    if (count == 0) break;
    if ((uint64_t)count > RH_FEEDRECORD_DIRECT_MAX_FACTS - n) return RH_FEEDRECORD_FALLBACK;
    if (c->facts_cap < RH_FEEDRECORD_DIRECT_MAX_FACTS) {
      rh_fact_t *f = realloc(c->facts, RH_FEEDRECORD_DIRECT_MAX_FACTS * sizeof *f);
      if (!f) return RD(RH_AVRO_WIRE_FAIL(&d->r, RH_AVRO_ENOMEM, "out of memory"));
      c->facts = f;
      c->facts_cap = RH_FEEDRECORD_DIRECT_MAX_FACTS;
    }
    for (int64_t i = 0; i < count; i++) {
      const unsigned char *key;
      size_t kn;
      if (rh_avro_wire_read_map_key(&d->r, &key, &kn, true) != RH_AVRO_OK) return -1;
      size_t k = 0;
      while (k < n && !(klen[k] == kn && memcmp(c->facts[k].name, key, kn) == 0)) k++;
      if (k == n) {
        c->facts[n].name = rd_keep(d, key, kn);
        klen[n++] = kn;
      }
      if (rd_string(d, &c->facts[k].value)) return -1;
    }
  }
  r->facts = c->facts;
  r->fact_count = n;
  return 0;
}

int rh_feedrecord_decode(rh_feedrecord_codec_t *c, const void *data, size_t len,
                         rh_feedrecord_t *r, char *errstr, size_t errstr_size) {
  memset(r, 0, sizeof *r);
  if (!c || !c->schema || (!data && len)) {
    rh_errf(errstr, errstr_size, "rh_feedrecord_decode: NULL argument");
    return -1;
  }
  uint64_t fp;
  if (rh_avro_wire_peek_fingerprint(data, len, &fp, errstr, errstr_size) != RH_AVRO_OK) return -1;
  if (!c->direct || fp != c->schema->fingerprint) return RH_FEEDRECORD_FALLBACK;
  if (len > c->text_cap) {
    size_t cap = c->text_cap ? c->text_cap : 256;
    while (cap < len) cap = cap > SIZE_MAX / 2 ? len : cap * 2;
    char *t = realloc(c->text, cap);
    if (!t) {
      rh_errf(errstr, errstr_size, "out of memory for a message of %zu bytes", len);
      return -1;
    }
    c->text = t;
    c->text_cap = cap;
  }
  rd_t d;
  d.r.base = data;
  d.r.p = d.r.base + RH_AVRO_HEADER_LEN;
  d.r.end = d.r.base + len;
  d.r.field = NULL;
  d.r.err = d.err;
  d.r.errsz = sizeof d.err;
  d.t = c->text;
  d.err[0] = '\0';
  int rc = 0;
#define F(i) (d.r.field = field_names[i])
#define DO(call) \
  if (rc == 0) rc = (call)
  DO((F(RH_FR_ID_NUMBER), rd_string(&d, &r->id_number)));
  DO((F(RH_FR_NAME), rd_opt_string(&d, &r->name)));
  DO((F(RH_FR_DEPARTMENT), rd_string(&d, &r->department)));
  DO((F(RH_FR_FEED), rd_string(&d, &r->feed)));
  DO((F(RH_FR_KIND), rd_string(&d, &r->kind)));
  DO((F(RH_FR_PERIOD), rd_string(&d, &r->period)));
  DO((F(RH_FR_BATCH_ID), rd_string(&d, &r->batch_id)));
  DO((F(RH_FR_ROW_NUMBER), RD(rh_avro_wire_read_long(&d.r, &r->row_number))));
  DO((F(RH_FR_TOWNSHIP_CODE), rd_opt_string(&d, &r->township_code)));
  DO((F(RH_FR_VILLAGE), rd_opt_string(&d, &r->village)));
  int b = 0;
  DO((F(RH_FR_EVENT_DATE), rd_branch(&d, &b)));
  if (rc == 0 && b) {
    r->has_event_date = true;
    rc = RD(rh_avro_wire_read_int(&d.r, &r->event_date));
  }
  b = 0;
  DO((F(RH_FR_AMOUNT_FEN), rd_branch(&d, &b)));
  if (rc == 0 && b) {
    r->has_amount = true;
    rc = RD(rh_avro_wire_read_long(&d.r, &r->amount_fen));
  }
  DO((F(RH_FR_RISK), rd_opt_string(&d, &r->risk)));
  DO((F(RH_FR_RISK_SUBTYPE), rd_opt_string(&d, &r->risk_subtype)));
  DO((F(RH_FR_FACTS), rd_facts(&d, c, r)));
  DO((F(RH_FR_PRODUCED_AT), RD(rh_avro_wire_read_long(&d.r, &r->produced_at))));
#undef DO
#undef F
  if (rc == 0 && d.r.p != d.r.end) {
    d.r.field = NULL;
    rc = RD(RH_AVRO_WIRE_FAIL(&d.r, RH_AVRO_ETRAILING, "%zu bytes after the end of the record",
                              rh_avro_wire_left(&d.r)));
  }
  if (rc == RH_FEEDRECORD_FALLBACK) {
    memset(r, 0, sizeof *r);
    return RH_FEEDRECORD_FALLBACK;
  }
  if (rc) {
    memset(r, 0, sizeof *r);
    rh_errf(errstr, errstr_size, "%s (writer %s %s)", d.err, c->schema->fullname,
            c->schema->fingerprint_hex);
    return -1;
  }
  return 0;
}
