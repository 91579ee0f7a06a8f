/* rh_verification: see rh_verification.h. */
#include "rh_verification.h"

#include <string.h>

#include "rh_avro_value.h"
#include "rh_err.h"

enum { V_ID, V_ALERT, V_TOWNSHIP, V_HOUSEHOLD, V_OUTCOME, V_REASON, V_NOTE, V_VISITED, V_BY,
       V_AT, V_SOURCE };
static const char *const FIELDS[RH_VERIFICATION_NFIELDS] = {
    "verification_id", "alert_id", "township_code", "household_id", "outcome", "reason",
    "note", "visited_on", "recorded_by", "recorded_at", "source"};

int rh_verification_codec_init(rh_verification_codec_t *c, const rh_avro_schemas_t *schemas,
                               char *errstr, size_t errstr_size) {
  memset(c, 0, sizeof *c);
  if (!(c->schema = rh_avro_schemas_get(schemas, "riskhub.Verification"))) {
    rh_errf(errstr, errstr_size, "the schemas hold no riskhub.Verification");
    return -1;
  }
  if (rh_avro_schema_value_new(c->schema, &c->v, errstr, errstr_size) != RH_AVRO_OK) return -1;
  c->ready = true;
  if (rh_avro_field_indexes(c->schema->schema, FIELDS, c->idx, RH_VERIFICATION_NFIELDS, errstr,
                            errstr_size)) {
    rh_verification_codec_free(c);
    return -1;
  }
  return 0;
}

void rh_verification_codec_free(rh_verification_codec_t *c) {
  if (c->ready) avro_value_decref(&c->v);
  c->ready = false;
}

int rh_verification_encode(rh_verification_codec_t *c, const rh_verification_t *r,
                           rh_avro_buf_t *buf, char *errstr, size_t errstr_size) {
  const int *ix = c->idx;
  avro_value_t *v = &c->v;
  avro_value_reset(v);
  if (rh_avro_set_str(v, ix[V_ID], r->verification_id) ||
      rh_avro_set_str(v, ix[V_ALERT], r->alert_id) ||
      rh_avro_set_str(v, ix[V_TOWNSHIP], r->township_code) ||
      rh_avro_set_str(v, ix[V_HOUSEHOLD], r->household_id) ||
      rh_avro_set_str(v, ix[V_OUTCOME], r->outcome) ||
      rh_avro_set_str(v, ix[V_REASON], r->reason) || rh_avro_set_str(v, ix[V_NOTE], r->note) ||
      rh_avro_set_opt_int(v, ix[V_VISITED], r->has_visited_on, r->visited_on) ||
      rh_avro_set_str(v, ix[V_BY], r->recorded_by) ||
      rh_avro_set_long(v, ix[V_AT], r->recorded_at) ||
      rh_avro_set_str(v, ix[V_SOURCE], r->source ? r->source : "")) {
    rh_errf(errstr, errstr_size, "building a Verification: %s", avro_strerror());
    return -1;
  }
  return rh_avro_encode(c->schema, v, buf, errstr, errstr_size) == RH_AVRO_OK ? 0 : -1;
}

int rh_verification_decode(rh_verification_codec_t *c, rh_avro_decoder_t *dec, const void *data,
                           size_t len, rh_verification_t *r, char *errstr, size_t errstr_size) {
  char err[512];
  const int *ix = c->idx;
  avro_value_t *v = &c->v;
  memset(r, 0, sizeof *r);
  if (rh_avro_decode(dec, data, len, c->schema, v, NULL, err, sizeof err) != RH_AVRO_OK) {
    rh_errf(errstr, errstr_size, "not a Verification: %s", err);
    return -1;
  }
  const char **strs[RH_VERIFICATION_NFIELDS] = {
      [V_ID] = &r->verification_id, [V_ALERT] = &r->alert_id, [V_TOWNSHIP] = &r->township_code,
      [V_HOUSEHOLD] = &r->household_id, [V_OUTCOME] = &r->outcome, [V_REASON] = &r->reason,
      [V_NOTE] = &r->note, [V_BY] = &r->recorded_by, [V_SOURCE] = &r->source};
  size_t sl;
  for (int f = 0; f < RH_VERIFICATION_NFIELDS; f++) {
    if (!strs[f]) continue;
    if (rh_avro_get_str(v, ix[f], strs[f], &sl)) goto bad;
    bool optional = f == V_REASON || f == V_NOTE || f == V_SOURCE;
    if (!optional && (!*strs[f] || !**strs[f])) {
      rh_errf(errstr, errstr_size, "a Verification without %s", FIELDS[f]);
      return -1;
    }
  }
  if (rh_avro_get_int(v, ix[V_VISITED], &r->has_visited_on, &r->visited_on) ||
      rh_avro_get_long(v, ix[V_AT], NULL, &r->recorded_at))
    goto bad;
  return 0;
bad:
  rh_errf(errstr, errstr_size, "a Verification that cannot be read: %s", avro_strerror());
  return -1;
}
