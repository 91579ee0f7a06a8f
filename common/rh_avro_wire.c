/* rh_avro_wire: the primitives that are not on a hot path. See rh_avro_wire.h. */
#include "rh_avro_wire.h"

#include <stdarg.h>
#include <stdio.h>

#include "rh_err.h"

rh_avro_status_t rh_avro_wire_fail(rh_avro_wire_rd_t *r, rh_avro_status_t st, const char *fmt,
                                   ...) {
  if (!r->err || r->errsz == 0) return st;
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  rh_errf(r->err, r->errsz, "%s at byte %zu%s%s%s", msg, (size_t)(r->p - r->base),
          r->field ? " (field '" : "", r->field ? r->field : "", r->field ? "')" : "");
  return st;
}

void rh_avro_wire_varint_failed(rh_avro_wire_rd_t *r, rh_avro_status_t st, const char *too_long) {
  if (st == RH_AVRO_ETRUNCATED)
    rh_avro_wire_fail(r, st, "message ends inside a varint");
  else
    rh_avro_wire_fail(r, st, "%s", too_long);
}

rh_avro_status_t rh_avro_wire_peek_fingerprint(const void *data, size_t len, uint64_t *fp_out,
                                               char *errstr, size_t errstr_size) {
  const unsigned char *p = data;
  if (!p && len) {
    rh_errf(errstr, errstr_size, "rh_avro_wire_peek_fingerprint: NULL data");
    return RH_AVRO_EINVAL;
  }
  if (len < 2 || p[0] != RH_AVRO_MAGIC0 || p[1] != RH_AVRO_MAGIC1) {
    if (len == 0)
      rh_errf(errstr, errstr_size, "empty message, expected single-object encoding (C3 01)");
    else if (len == 1)
      rh_errf(errstr, errstr_size, "1-byte message %02X, expected single-object encoding (C3 01)",
              p[0]);
    else
      rh_errf(errstr, errstr_size,
              "message starts %02X %02X, expected single-object encoding (C3 01)", p[0], p[1]);
    return RH_AVRO_EMAGIC;
  }
  if (len < RH_AVRO_HEADER_LEN) {
    rh_errf(errstr, errstr_size, "message of %zu bytes ends inside the 10-byte header", len);
    return RH_AVRO_ETRUNCATED;
  }
  uint64_t fp = 0;
  rh_avro_wire_get_header(p, len, &fp);
  if (fp_out) *fp_out = fp;
  return RH_AVRO_OK;
}

const char *rh_avro_wire_first_string(const void *value, size_t len, size_t *out_len) {
  const unsigned char *p = value, *s;
  size_t n;
  if (!rh_avro_wire_get_header(p, len, NULL)) return NULL;
  p += RH_AVRO_HEADER_LEN;
  if (rh_avro_wire_get_bytes(&p, (const unsigned char *)value + len, &s, &n) != RH_AVRO_OK)
    return NULL;
  *out_len = n;
  return (const char *)s;
}
