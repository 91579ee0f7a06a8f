/* rh_discrepancy: see rh_discrepancy.h. */
#include "rh_discrepancy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_avro_value.h"
#include "rh_err.h"

static const struct {
  const char *code, *label;
} KINDS[RH_DISC_KIND_COUNT] = {
    {"NOT_IN_REGISTRY", "系统中无此人"},
    {"NAME_DIFFERS", "姓名不一致"},
    {"OTHER_TOWNSHIP", "户籍乡镇不一致"},
    {"OTHER_VILLAGE", "户籍村不一致"},
    {"RELATION_DIFFERS", "与户主关系不一致"},
    {"BIRTH_DATE_CONTRADICTS_ID", "出生日期与身份证号不符"},
    {"SEX_CONTRADICTS_ID", "性别与身份证号不符"},
    {"MEMBER_MISSING_FROM_LIST", "公安名单缺此家庭成员"},
    {"MEMBER_MISSING_FROM_REGISTRY", "系统缺此家庭成员"},
    {"OTHER_HOUSEHOLD", "所在户不一致"},
};

const char *rh_disc_kind_code(size_t k) { return k < RH_DISC_KIND_COUNT ? KINDS[k].code : NULL; }

const char *rh_disc_kind_label(size_t k) { return k < RH_DISC_KIND_COUNT ? KINDS[k].label : NULL; }

int rh_disc_kind_index(const char *code) {
  for (size_t k = 0; code && k < RH_DISC_KIND_COUNT; k++)
    if (strcmp(code, KINDS[k].code) == 0) return (int)k;
  return -1;
}

static const char *const STATUS[] = {"OPEN", "UPDATED", "CLOSED"};

const char *rh_disc_status_name(rh_disc_status_t s) {
  return (unsigned)s < sizeof STATUS / sizeof *STATUS ? STATUS[s] : "?";
}

int rh_disc_status_parse(const char *name, rh_disc_status_t *out) {
  for (size_t i = 0; name && i < sizeof STATUS / sizeof *STATUS; i++)
    if (strcmp(name, STATUS[i]) == 0) {
      *out = (rh_disc_status_t)i;
      return 0;
    }
  return -1;
}

int rh_discrepancy_topic(const rh_config_t *cfg, const char *township_code, char *buf,
                         size_t size) {
  char name[64];
  bool known = false;
  for (size_t i = 0; township_code && i < cfg->township_count; i++)
    known |= strcmp(cfg->townships[i].code, township_code) == 0;
  snprintf(name, sizeof name, "%s%s", RH_DISCREPANCY_TOPIC_PREFIX,
           known ? township_code : RH_DISCREPANCY_UNMATCHED);
  return rh_config_topic(cfg, name, buf, size);
}

void rh_discrepancy_topics_free(rh_disc_topics_t *t) {
  free(t->buf);
  free(t->names);
  memset(t, 0, sizeof *t);
}

int rh_discrepancy_topics(const rh_config_t *cfg, rh_disc_topics_t *t) {
  size_t n = cfg->township_count + 1;
  memset(t, 0, sizeof *t);
  t->buf = calloc(n, sizeof *t->buf);
  t->names = calloc(n, sizeof *t->names);
  if (!t->buf || !t->names) {
    rh_discrepancy_topics_free(t);
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    if (rh_discrepancy_topic(cfg, i < cfg->township_count ? cfg->townships[i].code : NULL,
                             t->buf[i], sizeof t->buf[i])) {
      rh_discrepancy_topics_free(t);
      return -2;
    }
    t->names[i] = t->buf[i];
  }
  t->n = n;
  return 0;
}

void rh_discrepancy_content(bool open, const rh_discrepancy_t *d, char out[RH_SHA256_HEXSZ]) {
  const char *parts[] = {open ? "OPEN" : "CLOSED",
                         d->kind,
                         d->township_code ? d->township_code : "",
                         d->household_id ? d->household_id : "",
                         d->registry_value ? d->registry_value : "",
                         d->list_value ? d->list_value : ""};
  rh_sha256_parts(parts, sizeof parts / sizeof *parts, out);
}

enum {
  F_ID, F_STATUS, F_VERSION, F_KIND, F_PERIOD, F_TOWNSHIP, F_HOUSEHOLD, F_PERSON, F_REGISTRY,
  F_LIST, F_DEPT, F_FEED, F_BATCH, F_SINCE, F_AT, F_CONTENT
};
static const char *const FIELDS[RH_DISC_NFIELDS] = {
    "discrepancy_id", "status",     "version",  "kind",           "period",
    "township_code",  "household_id", "person_id_number", "registry_value", "list_value",
    "department",     "feed",       "batch_id", "since",          "created_at",
    "content"};

int rh_discrepancy_codec_init(rh_discrepancy_codec_t *c, const rh_avro_schemas_t *schemas,
                              char *errstr, size_t errstr_size) {
  memset(c, 0, sizeof *c);
  if (!(c->s = rh_avro_schemas_get(schemas, "riskhub.Discrepancy"))) {
    rh_errf(errstr, errstr_size, "the schemas hold no riskhub.Discrepancy");
    return -1;
  }
  if (rh_avro_schema_value_new(c->s, &c->v, errstr, errstr_size) != RH_AVRO_OK) return -1;
  c->ready = true;
  if (rh_avro_field_indexes(c->s->schema, FIELDS, c->idx, RH_DISC_NFIELDS, errstr,
                            errstr_size)) {
    rh_discrepancy_codec_free(c);
    return -1;
  }
  return 0;
}

void rh_discrepancy_codec_free(rh_discrepancy_codec_t *c) {
  if (c->ready) avro_value_decref(&c->v);
  c->ready = false;
}

static const char *or_empty(const char *s) { return s ? s : ""; }

int rh_discrepancy_encode(rh_discrepancy_codec_t *c, const rh_discrepancy_t *d, rh_avro_buf_t *buf,
                          char *errstr, size_t errstr_size) {
  const int *ix = c->idx;
  avro_value_t *v = &c->v;
  avro_value_reset(v);
  const char *strs[] = {d->discrepancy_id, rh_disc_status_name(d->status), d->kind, d->period,
                        or_empty(d->township_code), or_empty(d->household_id),
                        d->person_id_number, or_empty(d->registry_value),
                        or_empty(d->list_value), d->department, d->feed, d->batch_id,
                        d->content};
  const int which[] = {F_ID, F_STATUS, F_KIND, F_PERIOD, F_TOWNSHIP, F_HOUSEHOLD, F_PERSON,
                       F_REGISTRY, F_LIST, F_DEPT, F_FEED, F_BATCH, F_CONTENT};
  for (size_t f = 0; f < sizeof which / sizeof *which; f++)
    if (rh_avro_set_str(v, ix[which[f]], strs[f])) goto bad;
  if (rh_avro_set_long(v, ix[F_VERSION], d->version) ||
      rh_avro_set_long(v, ix[F_SINCE], d->since) || rh_avro_set_long(v, ix[F_AT], d->created_at))
    goto bad;
  return rh_avro_encode(c->s, v, buf, errstr, errstr_size) == RH_AVRO_OK ? 0 : -1;
bad:
  rh_errf(errstr, errstr_size, "building a Discrepancy: %s", avro_strerror());
  return -1;
}

int rh_discrepancy_decode(rh_discrepancy_codec_t *c, rh_avro_decoder_t *dec, const void *data,
                          size_t len, rh_discrepancy_t *d, char *errstr, size_t errstr_size) {
  char err[512];
  const int *ix = c->idx;
  memset(d, 0, sizeof *d);
  if (rh_avro_decode(dec, data, len, c->s, &c->v, NULL, err, sizeof err) != RH_AVRO_OK) {
    rh_errf(errstr, errstr_size, "not a Discrepancy: %s", err);
    return -1;
  }
  const char *status = NULL;
  const char **strs[] = {&d->discrepancy_id, &status,          &d->kind,
                         &d->period,         &d->township_code, &d->household_id,
                         &d->person_id_number, &d->registry_value, &d->list_value,
                         &d->department,     &d->feed,          &d->batch_id,
                         &d->content};
  const int which[] = {F_ID, F_STATUS, F_KIND, F_PERIOD, F_TOWNSHIP, F_HOUSEHOLD, F_PERSON,
                       F_REGISTRY, F_LIST, F_DEPT, F_FEED, F_BATCH, F_CONTENT};
  size_t sl;
  for (size_t f = 0; f < sizeof which / sizeof *which; f++)
    if (rh_avro_get_str(&c->v, ix[which[f]], strs[f], &sl) || !*strs[f]) {
      rh_errf(errstr, errstr_size, "a Discrepancy that cannot be read (%s)", FIELDS[which[f]]);
      return -1;
    }
  if (!*d->discrepancy_id || !*d->kind || !*d->period || !*d->person_id_number ||
      rh_disc_status_parse(status, &d->status)) {
    rh_errf(errstr, errstr_size, "a Discrepancy without its id, kind, month or person, or of an "
                                 "unknown status");
    return -1;
  }
  if (rh_avro_get_long(&c->v, ix[F_VERSION], NULL, &d->version) ||
      rh_avro_get_long(&c->v, ix[F_SINCE], NULL, &d->since) ||
      rh_avro_get_long(&c->v, ix[F_AT], NULL, &d->created_at)) {
    rh_errf(errstr, errstr_size, "a Discrepancy that cannot be read");
    return -1;
  }
  return 0;
}
