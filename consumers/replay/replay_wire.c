/* replay_wire: see replay_wire.h. */
#include "replay_wire.h"

#include <string.h>

#include "rh_avro_codec.h"

/* One zigzag long at *i; false if truncated or longer than 10 bytes. */
static bool read_long(const unsigned char *p, size_t len, size_t *i, int64_t *out) {
  uint64_t raw = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (*i >= len) return false;
    unsigned char b = p[(*i)++];
    raw |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *out = (int64_t)(raw >> 1) ^ -(int64_t)(raw & 1);
      return true;
    }
  }
  return false;
}

/* A string at *i: its bytes and length; false if malformed. */
static bool read_string(const unsigned char *p, size_t len, size_t *i, const char **s,
                        size_t *n) {
  int64_t l;
  if (!read_long(p, len, i, &l) || l < 0 || (uint64_t)l > len - *i) return false;
  *s = (const char *)p + *i;
  *n = (size_t)l;
  *i += (size_t)l;
  return true;
}

const char *replay_wire_feed_batch_id(const void *value, size_t len, uint64_t fp,
                                      size_t *out_len) {
  const unsigned char *p = value;
  if (!p || len < RH_AVRO_HEADER_LEN || p[0] != RH_AVRO_MAGIC0 || p[1] != RH_AVRO_MAGIC1)
    return NULL;
  uint64_t got = 0;
  for (int k = 0; k < 8; k++) got |= (uint64_t)p[2 + k] << (8 * k);
  if (got != fp) return NULL;
  size_t i = RH_AVRO_HEADER_LEN;
  const char *s;
  size_t n;
  int64_t branch;
  if (!read_string(p, len, &i, &s, &n)) return NULL; /* id_number */
  if (!read_long(p, len, &i, &branch) || (branch != 0 && branch != 1)) return NULL;
  if (branch == 1 && !read_string(p, len, &i, &s, &n)) return NULL; /* name */
  for (int f = 0; f < 4; f++) /* department, feed, kind, period */
    if (!read_string(p, len, &i, &s, &n)) return NULL;
  if (!read_string(p, len, &i, &s, &n)) return NULL; /* batch_id */
  *out_len = n;
  return s;
}

bool replay_wire_is_one_long(const void *value, size_t from, size_t len) {
  const unsigned char *p = value;
  if (!p || from >= len || len - from > 10) return false;
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
