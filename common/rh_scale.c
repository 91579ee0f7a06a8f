/* rh_scale: see rh_scale.h. */
#include "rh_scale.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_avro_value.h"
#include "rh_err.h"

static const char *const STATUS[] = {"RAISED", "UPDATED", "CLEARED"};

const char *rh_scale_status_name(rh_scale_status_t s) {
  return (unsigned)s < sizeof STATUS / sizeof *STATUS ? STATUS[s] : "?";
}

int rh_scale_status_parse(const char *name, rh_scale_status_t *out) {
  for (size_t i = 0; name && i < sizeof STATUS / sizeof *STATUS; i++)
    if (strcmp(name, STATUS[i]) == 0) {
      *out = (rh_scale_status_t)i;
      return 0;
    }
  return -1;
}

void rh_scale_id(const char *rule_id, const char *township_code, const char *village,
                 const char *period, char out[RH_SCALE_ID_HEXSZ]) {
  const char *parts[] = {"riskhub-scale-v1", rule_id, township_code, village ? village : "",
                         period};
  char hex[RH_SHA256_HEXSZ];
  rh_sha256_parts(parts, sizeof parts / sizeof *parts, hex);
  memcpy(out, hex, RH_SCALE_ID_HEXSZ - 1);
  out[RH_SCALE_ID_HEXSZ - 1] = '\0';
}

static void add_z(rh_sha256_t *h, const char *s) { rh_sha256_update(h, s, strlen(s) + 1); }

void rh_scale_content(bool open, const char *const *household_ids, size_t nh,
                      const char *const *alert_ids, size_t na, char out[RH_SHA256_HEXSZ]) {
  rh_sha256_t *h = rh_sha256_new();
  if (!h) abort(); /* OpenSSL out of memory: nothing sensible left to do */
  add_z(h, open ? "OPEN" : "CLEARED");
  for (size_t i = 0; i < nh; i++) add_z(h, household_ids[i]);
  add_z(h, "");
  for (size_t i = 0; i < na; i++) add_z(h, alert_ids[i]);
  rh_sha256_final(h, out);
}

enum {
  F_ID, F_RULE, F_PERIOD, F_LEVEL, F_TOWNSHIP, F_VILLAGE, F_RISKS, F_STATUS, F_VERSION,
  F_HOUSEHOLDS, F_PLACE, F_BASELINE, F_HIDS, F_AIDS, F_SINCE, F_AT, F_CONTENT
};
static const char *const FIELDS[RH_SCALE_NFIELDS] = {
    "scale_risk_id", "rule_id",          "period",   "place_level",   "township_code",
    "village",       "risks",            "status",   "version",       "households",
    "place_households", "baseline",      "household_ids", "alert_ids", "since",
    "created_at",    "content"};

int rh_scale_codec_init(rh_scale_codec_t *c, const rh_avro_schemas_t *schemas, char *errstr,
                        size_t errstr_size) {
  memset(c, 0, sizeof *c);
  if (!(c->s = rh_avro_schemas_get(schemas, "riskhub.ScaleRisk"))) {
    rh_errf(errstr, errstr_size, "the schemas hold no riskhub.ScaleRisk");
    return -1;
  }
  if (rh_avro_schema_value_new(c->s, &c->v, errstr, errstr_size) != RH_AVRO_OK) return -1;
  c->ready = true;
  if (rh_avro_field_indexes(c->s->schema, FIELDS, c->idx, RH_SCALE_NFIELDS, errstr,
                            errstr_size)) {
    rh_scale_codec_free(c);
    return -1;
  }
  return 0;
}

void rh_scale_codec_free(rh_scale_codec_t *c) {
  if (c->ready) avro_value_decref(&c->v);
  free(c->strs);
  c->strs = NULL;
  c->strs_cap = 0;
  c->ready = false;
}

static int set_array(avro_value_t *rec, int idx, const char *const *v, size_t n) {
  avro_value_t arr, item;
  if (rh_avro_field(rec, idx, &arr) || avro_value_reset(&arr)) return -1;
  for (size_t i = 0; i < n; i++)
    if (avro_value_append(&arr, &item, NULL) || avro_value_set_string(&item, v[i])) return -1;
  return 0;
}

int rh_scale_encode(rh_scale_codec_t *c, const rh_scale_record_t *r, rh_avro_buf_t *buf,
                    char *errstr, size_t errstr_size) {
  const int *ix = c->idx;
  avro_value_t *v = &c->v, d;
  avro_value_reset(v);
  if (rh_avro_set_str(v, ix[F_ID], r->scale_risk_id) ||
      rh_avro_set_str(v, ix[F_RULE], r->rule_id) || rh_avro_set_str(v, ix[F_PERIOD], r->period) ||
      rh_avro_set_str(v, ix[F_LEVEL], r->place_level) ||
      rh_avro_set_str(v, ix[F_TOWNSHIP], r->township_code) ||
      rh_avro_set_str(v, ix[F_VILLAGE], r->village ? r->village : "") ||
      set_array(v, ix[F_RISKS], r->risks, r->risk_count) ||
      rh_avro_set_str(v, ix[F_STATUS], rh_scale_status_name(r->status)) ||
      rh_avro_set_long(v, ix[F_VERSION], r->version) ||
      rh_avro_set_long(v, ix[F_HOUSEHOLDS], r->households) ||
      rh_avro_set_long(v, ix[F_PLACE], r->place_households) ||
      rh_avro_field(v, ix[F_BASELINE], &d) || avro_value_set_double(&d, r->baseline) ||
      set_array(v, ix[F_HIDS], r->household_ids, r->household_count) ||
      set_array(v, ix[F_AIDS], r->alert_ids, r->alert_count) ||
      rh_avro_set_long(v, ix[F_SINCE], r->since) || rh_avro_set_long(v, ix[F_AT], r->created_at) ||
      rh_avro_set_str(v, ix[F_CONTENT], r->content)) {
    rh_errf(errstr, errstr_size, "building a ScaleRisk: %s", avro_strerror());
    return -1;
  }
  return rh_avro_encode(c->s, v, buf, errstr, errstr_size) == RH_AVRO_OK ? 0 : -1;
}

/* The strings of an array field, into c->strs from *used on. */
static int get_array(rh_scale_codec_t *c, int idx, size_t *used, size_t *n) {
  avro_value_t arr, item;
  size_t count, len;
  if (rh_avro_field(&c->v, idx, &arr) || avro_value_get_size(&arr, &count)) return -1;
  if (*used + count > c->strs_cap) {
    size_t cap = (*used + count) * 2 + 16;
    const char **p = realloc(c->strs, cap * sizeof *p);
    if (!p) return -1;
    c->strs = p;
    c->strs_cap = cap;
  }
  for (size_t i = 0; i < count; i++) {
    const char *s;
    if (avro_value_get_by_index(&arr, i, &item, NULL) || avro_value_get_string(&item, &s, &len))
      return -1;
    c->strs[*used + i] = s;
  }
  *n = count;
  *used += count;
  return 0;
}

int rh_scale_decode(rh_scale_codec_t *c, rh_avro_decoder_t *dec, const void *data, size_t len,
                    rh_scale_record_t *r, char *errstr, size_t errstr_size) {
  char err[512];
  const int *ix = c->idx;
  memset(r, 0, sizeof *r);
  if (rh_avro_decode(dec, data, len, c->s, &c->v, NULL, err, sizeof err) != RH_AVRO_OK) {
    rh_errf(errstr, errstr_size, "not a ScaleRisk: %s", err);
    return -1;
  }
  const char **strs[] = {&r->scale_risk_id, &r->rule_id,       &r->period, &r->place_level,
                         &r->township_code, &r->village,       &r->content};
  const int which[] = {F_ID, F_RULE, F_PERIOD, F_LEVEL, F_TOWNSHIP, F_VILLAGE, F_CONTENT};
  const char *status;
  size_t sl, used = 0, nr, nh, na;
  avro_value_t d;
  for (size_t f = 0; f < sizeof which / sizeof *which; f++)
    if (rh_avro_get_str(&c->v, ix[which[f]], strs[f], &sl) || !*strs[f] ||
        (which[f] != F_VILLAGE && !**strs[f])) {
      rh_errf(errstr, errstr_size, "a ScaleRisk without %s", FIELDS[which[f]]);
      return -1;
    }
  if (rh_avro_get_str(&c->v, ix[F_STATUS], &status, &sl) ||
      rh_scale_status_parse(status, &r->status) ||
      (strcmp(r->place_level, "village") != 0 && strcmp(r->place_level, "township") != 0)) {
    rh_errf(errstr, errstr_size, "a ScaleRisk of an unknown status or place");
    return -1;
  }
  if (rh_avro_get_long(&c->v, ix[F_VERSION], NULL, &r->version) ||
      rh_avro_get_long(&c->v, ix[F_HOUSEHOLDS], NULL, &r->households) ||
      rh_avro_get_long(&c->v, ix[F_PLACE], NULL, &r->place_households) ||
      rh_avro_get_long(&c->v, ix[F_SINCE], NULL, &r->since) ||
      rh_avro_get_long(&c->v, ix[F_AT], NULL, &r->created_at) ||
      rh_avro_field(&c->v, ix[F_BASELINE], &d) || avro_value_get_double(&d, &r->baseline) ||
      get_array(c, ix[F_RISKS], &used, &nr) || get_array(c, ix[F_HIDS], &used, &nh) ||
      get_array(c, ix[F_AIDS], &used, &na)) {
    rh_errf(errstr, errstr_size, "a ScaleRisk that cannot be read");
    return -1;
  }
  /* the arrays are taken from c->strs only now: get_array may move it */
  r->risks = c->strs;
  r->risk_count = nr;
  r->household_ids = c->strs + nr;
  r->household_count = nh;
  r->alert_ids = c->strs + nr + nh;
  r->alert_count = na;
  return 0;
}
