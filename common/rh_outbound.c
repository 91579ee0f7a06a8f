/* rh_outbound: see rh_outbound.h. */
#include "rh_outbound.h"

#include <stdio.h>
#include <string.h>

#include "rh_avro_value.h"
#include "rh_err.h"

static const char *const KINDS[RH_OUTBOUND_KIND_COUNT] = {"applicants", "new-monitoring-objects"};

const char *rh_outbound_kind_name(rh_outbound_kind_t k) {
  return (unsigned)k < RH_OUTBOUND_KIND_COUNT ? KINDS[k] : "?";
}

int rh_outbound_kind_parse(const char *name, rh_outbound_kind_t *out) {
  for (int k = 0; k < RH_OUTBOUND_KIND_COUNT; k++)
    if (name && strcmp(name, KINDS[k]) == 0) {
      *out = (rh_outbound_kind_t)k;
      return 0;
    }
  return -1;
}

bool rh_outbound_receives(const rh_config_department_t *d, rh_outbound_kind_t k) {
  if (k == RH_OUTBOUND_NEW_OBJECTS) return true;
  if (k != RH_OUTBOUND_APPLICANTS) return false;
  for (size_t i = 0; i < d->feed_count; i++)
    if (d->feeds[i].kind == RH_FEED_CHECK) return true;
  return false;
}

int rh_outbound_topic(const rh_config_t *cfg, const char *department, rh_outbound_kind_t k,
                      char *buf, size_t size) {
  char name[256];
  if ((size_t)snprintf(name, sizeof name, "outbound.%s.%s", department,
                       rh_outbound_kind_name(k)) >= sizeof name)
    return -1;
  return rh_config_topic(cfg, name, buf, size);
}

enum { R_PUSH, R_HOUSEHOLD, R_ID, R_NAME, R_TOWNSHIP, R_VILLAGE };
static const char *const RFIELDS[RH_OUTBOUND_RECORD_NFIELDS] = {
    "push_id", "household_id", "id_number", "name", "township_code", "village"};
enum { M_PUSH, M_DEPT, M_KIND, M_PERIOD, M_COUNT, M_HOUSEHOLDS, M_AT, M_PREVIOUS };
static const char *const MFIELDS[RH_OUTBOUND_MANIFEST_NFIELDS] = {
    "push_id",         "department", "kind",       "period",
    "record_count",    "household_count", "created_at", "previous_push_id"};

int rh_outbound_codec_init(rh_outbound_codec_t *c, const rh_avro_schemas_t *schemas,
                           char *errstr, size_t errstr_size) {
  memset(c, 0, sizeof *c);
  if (!(c->rs = rh_avro_schemas_get(schemas, "riskhub.OutboundRecord")) ||
      !(c->ms = rh_avro_schemas_get(schemas, "riskhub.OutboundManifest"))) {
    rh_errf(errstr, errstr_size, "the schemas hold no riskhub.OutboundRecord or OutboundManifest");
    return -1;
  }
  if (rh_avro_schema_value_new(c->rs, &c->rv, errstr, errstr_size) != RH_AVRO_OK) return -1;
  c->rready = true;
  if (rh_avro_schema_value_new(c->ms, &c->mv, errstr, errstr_size) != RH_AVRO_OK) goto bad;
  c->mready = true;
  if (rh_avro_field_indexes(c->rs->schema, RFIELDS, c->ridx, RH_OUTBOUND_RECORD_NFIELDS, errstr,
                            errstr_size) ||
      rh_avro_field_indexes(c->ms->schema, MFIELDS, c->midx, RH_OUTBOUND_MANIFEST_NFIELDS, errstr,
                            errstr_size))
    goto bad;
  return 0;
bad:
  rh_outbound_codec_free(c);
  return -1;
}

void rh_outbound_codec_free(rh_outbound_codec_t *c) {
  if (c->rready) avro_value_decref(&c->rv);
  if (c->mready) avro_value_decref(&c->mv);
  c->rready = c->mready = false;
}

int rh_outbound_record_encode(rh_outbound_codec_t *c, const rh_outbound_record_t *r,
                              rh_avro_buf_t *buf, char *errstr, size_t errstr_size) {
  const int *ix = c->ridx;
  avro_value_t *v = &c->rv;
  avro_value_reset(v);
  if (rh_avro_set_str(v, ix[R_PUSH], r->push_id) ||
      rh_avro_set_str(v, ix[R_HOUSEHOLD], r->household_id) ||
      rh_avro_set_str(v, ix[R_ID], r->id_number) || rh_avro_set_str(v, ix[R_NAME], r->name) ||
      rh_avro_set_str(v, ix[R_TOWNSHIP], r->township_code) ||
      rh_avro_set_str(v, ix[R_VILLAGE], r->village)) {
    rh_errf(errstr, errstr_size, "building an OutboundRecord: %s", avro_strerror());
    return -1;
  }
  return rh_avro_encode(c->rs, v, buf, errstr, errstr_size) == RH_AVRO_OK ? 0 : -1;
}

int rh_outbound_record_decode(rh_outbound_codec_t *c, rh_avro_decoder_t *dec, const void *data,
                              size_t len, rh_outbound_record_t *r, char *errstr,
                              size_t errstr_size) {
  char err[512];
  const int *ix = c->ridx;
  memset(r, 0, sizeof *r);
  if (rh_avro_decode(dec, data, len, c->rs, &c->rv, NULL, err, sizeof err) != RH_AVRO_OK) {
    rh_errf(errstr, errstr_size, "not an OutboundRecord: %s", err);
    return -1;
  }
  const char **strs[RH_OUTBOUND_RECORD_NFIELDS] = {&r->push_id, &r->household_id, &r->id_number,
                                                   &r->name, &r->township_code, &r->village};
  size_t sl;
  for (int f = 0; f < RH_OUTBOUND_RECORD_NFIELDS; f++) {
    if (rh_avro_get_str(&c->rv, ix[f], strs[f], &sl)) {
      rh_errf(errstr, errstr_size, "an OutboundRecord that cannot be read: %s", avro_strerror());
      return -1;
    }
    if (f < R_TOWNSHIP && (!*strs[f] || !**strs[f])) {
      rh_errf(errstr, errstr_size, "an OutboundRecord without %s", RFIELDS[f]);
      return -1;
    }
  }
  return 0;
}

int rh_outbound_manifest_encode(rh_outbound_codec_t *c, const rh_outbound_manifest_t *m,
                                rh_avro_buf_t *buf, char *errstr, size_t errstr_size) {
  const int *ix = c->midx;
  avro_value_t *v = &c->mv;
  avro_value_reset(v);
  if (rh_avro_set_str(v, ix[M_PUSH], m->push_id) ||
      rh_avro_set_str(v, ix[M_DEPT], m->department) ||
      rh_avro_set_str(v, ix[M_KIND], m->kind) || rh_avro_set_str(v, ix[M_PERIOD], m->period) ||
      rh_avro_set_long(v, ix[M_COUNT], m->record_count) ||
      rh_avro_set_long(v, ix[M_HOUSEHOLDS], m->household_count) ||
      rh_avro_set_long(v, ix[M_AT], m->created_at) ||
      rh_avro_set_str(v, ix[M_PREVIOUS], m->previous_push_id ? m->previous_push_id : "")) {
    rh_errf(errstr, errstr_size, "building an OutboundManifest: %s", avro_strerror());
    return -1;
  }
  return rh_avro_encode(c->ms, v, buf, errstr, errstr_size) == RH_AVRO_OK ? 0 : -1;
}

int rh_outbound_manifest_decode(rh_outbound_codec_t *c, rh_avro_decoder_t *dec,
                                const void *data, size_t len, rh_outbound_manifest_t *m,
                                char *errstr, size_t errstr_size) {
  char err[512];
  const int *ix = c->midx;
  memset(m, 0, sizeof *m);
  if (rh_avro_decode(dec, data, len, c->ms, &c->mv, NULL, err, sizeof err) != RH_AVRO_OK) {
    rh_errf(errstr, errstr_size, "not an OutboundManifest: %s", err);
    return -1;
  }
  const char **strs[4] = {&m->push_id, &m->department, &m->kind, &m->period};
  size_t sl;
  for (int f = 0; f < 4; f++)
    if (rh_avro_get_str(&c->mv, ix[f], strs[f], &sl) || !*strs[f] || !**strs[f]) {
      rh_errf(errstr, errstr_size, "an OutboundManifest without %s", MFIELDS[f]);
      return -1;
    }
  if (rh_avro_get_long(&c->mv, ix[M_COUNT], NULL, &m->record_count) ||
      rh_avro_get_long(&c->mv, ix[M_HOUSEHOLDS], NULL, &m->household_count) ||
      rh_avro_get_long(&c->mv, ix[M_AT], NULL, &m->created_at) || m->record_count < 0 ||
      rh_avro_get_str(&c->mv, ix[M_PREVIOUS], &m->previous_push_id, &sl) ||
      !m->previous_push_id) {
    rh_errf(errstr, errstr_size, "an OutboundManifest that cannot be read");
    return -1;
  }
  return 0;
}

static void part(rh_sha256_t *h, const char *s) {
  if (s) rh_sha256_update(h, s, strlen(s));
  rh_sha256_update(h, "", 1);
}

rh_sha256_t *rh_outbound_push_id_begin(void) { return rh_sha256_new(); }

void rh_outbound_push_id_add(rh_sha256_t *h, const rh_outbound_record_t *r) {
  part(h, r->household_id);
  part(h, r->id_number);
  part(h, r->name);
  part(h, r->township_code);
  part(h, r->village);
}

void rh_outbound_push_id_chain(const char *department, rh_outbound_kind_t k, const char *period,
                               const char *previous, const char *content_hex,
                               char out[RH_SHA256_HEXSZ]) {
  const char *parts[5] = {department, rh_outbound_kind_name(k), period,
                          previous ? previous : "", content_hex};
  rh_sha256_parts(parts, 5, out);
}

void rh_outbound_push_id_end(rh_sha256_t *h, const char *department, rh_outbound_kind_t k,
                             const char *period, const char *previous,
                             char out[RH_SHA256_HEXSZ]) {
  char content[RH_SHA256_HEXSZ];
  rh_sha256_final(h, content);
  rh_outbound_push_id_chain(department, k, period, previous, content, out);
}

bool rh_outbound_push_id_valid(const char *s) {
  size_t n = 0;
  for (; s && s[n]; n++)
    if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f'))) return false;
  return s && n == 64;
}
