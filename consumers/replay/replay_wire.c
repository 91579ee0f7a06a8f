/* replay_wire: see replay_wire.h. */
#include "replay_wire.h"

#include <string.h>

#include "rh_avro_wire.h"

const char *replay_wire_feed_batch_id(const void *value, size_t len, uint64_t fp,
                                      size_t *out_len) {
  uint64_t got;
  if (!rh_avro_wire_get_header(value, len, &got) || got != fp) return NULL;
  const unsigned char *p = (const unsigned char *)value + RH_AVRO_HEADER_LEN;
  const unsigned char *end = (const unsigned char *)value + len, *s;
  size_t n;
  int64_t branch;
  if (rh_avro_wire_get_bytes(&p, end, &s, &n)) return NULL; /* id_number */
  if (rh_avro_wire_get_long(&p, end, &branch) || (branch != 0 && branch != 1)) return NULL;
  if (branch == 1 && rh_avro_wire_get_bytes(&p, end, &s, &n)) return NULL; /* name */
  for (int f = 0; f < 4; f++) /* department, feed, kind, period */
    if (rh_avro_wire_get_bytes(&p, end, &s, &n)) return NULL;
  if (rh_avro_wire_get_bytes(&p, end, &s, &n)) return NULL; /* batch_id */
  *out_len = n;
  return (const char *)s;
}

int replay_wire_feed_row(const void *value, size_t len, const char *bid, size_t blen,
                         int64_t *row) {
  const unsigned char *p = (const unsigned char *)bid + blen;
  const unsigned char *end = (const unsigned char *)value + len;
  if (!value || p < (const unsigned char *)value || p > end) return -1;
  return rh_avro_wire_get_long(&p, end, row) ? -1 : 0;
}

bool replay_wire_is_one_long(const void *value, size_t from, size_t len) {
  const unsigned char *p = value;
  if (!p || from >= len || len - from > RH_AVRO_WIRE_LONG_MAX) return false;
  for (size_t i = from; i + 1 < len; i++)
    if (!(p[i] & 0x80)) return false;
  return !(p[len - 1] & 0x80);
}

bool replay_wire_same_but_created_at(const void *expected, size_t elen, const void *published,
                                     size_t plen) {
  const unsigned char *e = expected;
  if (!e || !published || elen < RH_AVRO_HEADER_LEN + 2 || e[elen - 1] != 0x00 || plen < elen)
    return false;
  return memcmp(e, published, elen - 1) == 0 &&
         replay_wire_is_one_long(published, elen - 1, plen);
}
