/*
 * rh_avro_wire: the Avro binary encoding's primitives, written once for every
 * reader and writer of riskhub's bytes (Avro specification, "Encodings" and
 * "Single-object encoding"):
 *
 *   - zigzag varints: a long is 1 to 10 bytes, an int 1 to 5;
 *   - strings and bytes: a long length, then the bytes;
 *   - the single-object header: C3 01, then the CRC-64-AVRO fingerprint of the
 *     writer schema, 8 bytes little-endian; the datum follows.
 *
 * Users: the generic decoder and encoder (rh_avro_codec), the direct ones on
 * the measured hot paths (rh_feedrecord_decode for the join, rh_alert_encode,
 * rh_feedrecord_encode), the readers of a field or two without decoding
 * (rh_avro_wire_first_string; replay_wire) and the replay's archive files
 * (rh_archive: Avro object container files use the same encoding).
 *
 * Three layers:
 *   - rh_avro_wire_put_*: write at p, return the byte after; the caller has
 *     reserved room (RH_AVRO_WIRE_LONG_MAX bytes a long, plus a string's
 *     bytes). Cannot fail.
 *   - rh_avro_wire_get_*: read at *pp, bounded by end; return RH_AVRO_OK (and
 *     advance *pp) or a status without a message, *pp left at the byte that
 *     failed.
 *   - rh_avro_wire_read_*: the same through a cursor (rh_avro_wire_rd_t) that
 *     writes the decoders' error messages: "<what> at byte <offset from the
 *     message's first byte> (field '<field>')". Messages never hold data.
 * The hot ones are static inline here; the rest is in rh_avro_wire.c.
 *
 * Ownership: nothing is allocated; pointers returned point into the caller's
 * bytes. Threads: pure functions, thread-safe (a cursor is one thread's).
 * Bounds: never a read outside [*pp, end) or data[0..len).
 */
#ifndef RH_AVRO_WIRE_H
#define RH_AVRO_WIRE_H

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rh_avro_schema.h" /* rh_avro_status_t */
#include "rh_utf8.h"

#define RH_AVRO_MAGIC0 0xC3
#define RH_AVRO_MAGIC1 0x01
#define RH_AVRO_HEADER_LEN 10
/* The longest varint of a long (64 bits in 7-bit groups) and of an int. */
#define RH_AVRO_WIRE_LONG_MAX 10
#define RH_AVRO_WIRE_INT_MAX 5

/* ---- zigzag ---------------------------------------------------------------- */

static inline uint64_t rh_avro_wire_zigzag(int64_t v) {
  return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t rh_avro_wire_unzigzag(uint64_t z) {
  return (int64_t)((z >> 1) ^ (0 - (z & 1)));
}

static inline int32_t rh_avro_wire_unzigzag32(uint32_t z) {
  return (int32_t)((z >> 1) ^ (0 - (z & 1)));
}

/* ---- writing --------------------------------------------------------------- */

/* A long (an int too: the same bytes) as a zigzag varint of 1 to 10 bytes. */
static inline unsigned char *rh_avro_wire_put_long(unsigned char *p, int64_t v) {
  uint64_t z = rh_avro_wire_zigzag(v);
  while (z >= 0x80) {
    *p++ = (unsigned char)(z | 0x80);
    z >>= 7;
  }
  *p++ = (unsigned char)z;
  return p;
}

/* A string or bytes: the length n, then n bytes of s (not NULL, even for 0). */
static inline unsigned char *rh_avro_wire_put_bytes(unsigned char *p, const void *s, size_t n) {
  p = rh_avro_wire_put_long(p, (int64_t)n);
  memcpy(p, s, n);
  return p + n;
}

/* A ["null", string] (or bytes) union: branch 0 when s is NULL, else branch 1
 * and the string. */
static inline unsigned char *rh_avro_wire_put_opt_bytes(unsigned char *p, const void *s,
                                                        size_t n) {
  return s ? rh_avro_wire_put_bytes(rh_avro_wire_put_long(p, 1), s, n)
           : rh_avro_wire_put_long(p, 0);
}

/* A ["null", long] (or int) union: branch 0 when !has, else branch 1 and v. */
static inline unsigned char *rh_avro_wire_put_opt_long(unsigned char *p, bool has, int64_t v) {
  return has ? rh_avro_wire_put_long(rh_avro_wire_put_long(p, 1), v) : rh_avro_wire_put_long(p, 0);
}

/* The single-object header: C3 01 and the fingerprint (RH_AVRO_HEADER_LEN bytes). */
static inline unsigned char *rh_avro_wire_put_header(unsigned char *p, uint64_t fingerprint) {
  *p++ = RH_AVRO_MAGIC0;
  *p++ = RH_AVRO_MAGIC1;
  for (int i = 0; i < 8; i++) *p++ = (unsigned char)(fingerprint >> (8 * i));
  return p;
}

/* ---- reading without messages ---------------------------------------------- */

/* A long: RH_AVRO_OK, RH_AVRO_ETRUNCATED (end inside the varint) or
 * RH_AVRO_EVARINT (more than 64 bits: an 11th byte, or a 10th above 1).
 * (get_long and get_int are two loops, not one with the width as a
 * parameter: that cost the join's decoder 1% more instructions.) */
static inline rh_avro_status_t rh_avro_wire_get_long(const unsigned char **pp,
                                                     const unsigned char *end, int64_t *out) {
  const unsigned char *p = *pp;
  if (p < end && *p < 0x80) { /* one byte: most lengths, branches, counts */
    *out = rh_avro_wire_unzigzag(*p);
    *pp = p + 1;
    return RH_AVRO_OK;
  }
  uint64_t v = 0;
  for (int i = 0;; i++) {
    if (p >= end) {
      *pp = p;
      return RH_AVRO_ETRUNCATED;
    }
    unsigned b = *p;
    if (i == RH_AVRO_WIRE_LONG_MAX - 1 && (b & 0xFE)) {
      *pp = p;
      return RH_AVRO_EVARINT;
    }
    p++;
    v |= (uint64_t)(b & 0x7F) << (7 * i);
    if (!(b & 0x80)) break;
  }
  *out = rh_avro_wire_unzigzag(v);
  *pp = p;
  return RH_AVRO_OK;
}

/* An int: as rh_avro_wire_get_long, RH_AVRO_EVARINT past 32 bits (a 5th byte
 * above 0x0F). */
static inline rh_avro_status_t rh_avro_wire_get_int(const unsigned char **pp,
                                                    const unsigned char *end, int32_t *out) {
  const unsigned char *p = *pp;
  uint32_t v = 0;
  for (int i = 0;; i++) {
    if (p >= end) {
      *pp = p;
      return RH_AVRO_ETRUNCATED;
    }
    unsigned b = *p;
    if (i == RH_AVRO_WIRE_INT_MAX - 1 && (b & 0xF0)) {
      *pp = p;
      return RH_AVRO_EVARINT;
    }
    p++;
    v |= (uint32_t)(b & 0x7F) << (7 * i);
    if (!(b & 0x80)) break;
  }
  *out = rh_avro_wire_unzigzag32(v);
  *pp = p;
  return RH_AVRO_OK;
}

/* A string or bytes: *s points at its *n bytes, *pp after them. As
 * rh_avro_wire_get_long, and RH_AVRO_ELENGTH for a negative length (*pp at
 * the length), RH_AVRO_ETRUNCATED for one past end (*pp after the length). */
static inline rh_avro_status_t rh_avro_wire_get_bytes(const unsigned char **pp,
                                                     const unsigned char *end,
                                                     const unsigned char **s, size_t *n) {
  const unsigned char *at = *pp;
  int64_t len;
  rh_avro_status_t st = rh_avro_wire_get_long(pp, end, &len);
  if (st != RH_AVRO_OK) return st;
  if (len < 0) {
    *pp = at;
    return RH_AVRO_ELENGTH;
  }
  if ((uint64_t)len > (size_t)(end - *pp)) return RH_AVRO_ETRUNCATED;
  *s = *pp;
  *n = (size_t)len;
  *pp += len;
  return RH_AVRO_OK;
}

/* Does data[0..len) start with a single-object header (C3 01 and all 8
 * fingerprint bytes)? Then *fp (if not NULL) is the fingerprint. */
static inline bool rh_avro_wire_get_header(const void *data, size_t len, uint64_t *fp) {
  const unsigned char *p = data;
  if (!p || len < RH_AVRO_HEADER_LEN || p[0] != RH_AVRO_MAGIC0 || p[1] != RH_AVRO_MAGIC1)
    return false;
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v |= (uint64_t)p[2 + i] << (8 * i);
  if (fp) *fp = v;
  return true;
}

/* ---- reading with the decoders' messages ----------------------------------- */

/* A cursor over one message. base is the message's first byte (offsets in
 * messages count from it), p the next byte, end one past the last. field
 * (NULL: none) names what is being read. err/errsz receive the message of
 * the first failure (NULL/0: none kept). */
typedef struct rh_avro_wire_rd {
  const unsigned char *base, *p, *end;
  const char *field;
  char *err;
  size_t errsz;
} rh_avro_wire_rd_t;

/* Write "<fmt...> at byte <p - base>[ (field '<field>')]" into r->err and
 * return st. Out of line: the error path. */
rh_avro_status_t rh_avro_wire_fail(rh_avro_wire_rd_t *r, rh_avro_status_t st, const char *fmt,
                                   ...) __attribute__((format(printf, 3, 4), cold, noinline));

/* rh_avro_wire_fail with st as a constant the compiler sees (st is evaluated
 * twice: a constant or a plain variable). */
#define RH_AVRO_WIRE_FAIL(r, st, ...) (rh_avro_wire_fail((r), (st), __VA_ARGS__), (st))

static inline size_t rh_avro_wire_left(const rh_avro_wire_rd_t *r) {
  return (size_t)(r->end - r->p);
}

/* Fewer than n bytes left is RH_AVRO_ETRUNCATED "message ends inside a <what>". */
static inline rh_avro_status_t rh_avro_wire_need(rh_avro_wire_rd_t *r, size_t n, const char *what) {
  if (rh_avro_wire_left(r) < n)
    return RH_AVRO_WIRE_FAIL(r, RH_AVRO_ETRUNCATED,
                             "message ends inside a %s (%zu bytes needed, %zu left)", what, n,
                             rh_avro_wire_left(r));
  return RH_AVRO_OK;
}

/* The message of a varint that get_long or get_int refused with st
 * ("message ends inside a varint", else too_long). Out of line. */
void rh_avro_wire_varint_failed(rh_avro_wire_rd_t *r, rh_avro_status_t st, const char *too_long)
    __attribute__((cold, noinline));

static inline rh_avro_status_t rh_avro_wire_read_long(rh_avro_wire_rd_t *r, int64_t *out) {
  rh_avro_status_t st = rh_avro_wire_get_long(&r->p, r->end, out);
  if (__builtin_expect(st == RH_AVRO_OK, 1)) return RH_AVRO_OK;
  rh_avro_wire_varint_failed(r, st, "varint longer than 64 bits");
  return st;
}

static inline rh_avro_status_t rh_avro_wire_read_int(rh_avro_wire_rd_t *r, int32_t *out) {
  rh_avro_status_t st = rh_avro_wire_get_int(&r->p, r->end, out);
  if (__builtin_expect(st == RH_AVRO_OK, 1)) return RH_AVRO_OK;
  rh_avro_wire_varint_failed(r, st, "int varint longer than 32 bits");
  return st;
}

/* A length (of bytes, a string, a map key, a block in bytes: `what`) that
 * must fit in what is left. The bytes are not skipped. */
static inline rh_avro_status_t rh_avro_wire_read_length(rh_avro_wire_rd_t *r, size_t *out,
                                                        const char *what) {
  const unsigned char *at = r->p;
  int64_t n;
  rh_avro_status_t st = rh_avro_wire_read_long(r, &n);
  if (st != RH_AVRO_OK) return st;
  if (n < 0) {
    r->p = at;
    return RH_AVRO_WIRE_FAIL(r, RH_AVRO_ELENGTH, "negative %s length %" PRId64, what, n);
  }
  if ((uint64_t)n > rh_avro_wire_left(r))
    return RH_AVRO_WIRE_FAIL(r, RH_AVRO_ETRUNCATED, "%s of %" PRId64 " bytes but only %zu left",
                             what, n, rh_avro_wire_left(r));
  *out = (size_t)n;
  return RH_AVRO_OK;
}

/* Bytes (or a string read as bytes): *s points at its *n bytes. */
static inline rh_avro_status_t rh_avro_wire_read_bytes(rh_avro_wire_rd_t *r,
                                                       const unsigned char **s, size_t *n,
                                                       const char *what) {
  rh_avro_status_t st = rh_avro_wire_read_length(r, n, what);
  if (st != RH_AVRO_OK) return st;
  *s = r->p;
  r->p += *n;
  return RH_AVRO_OK;
}

/* The n bytes at s, just read, must be valid UTF-8 to be a string: else
 * RH_AVRO_EDATA, at s. */
static inline rh_avro_status_t rh_avro_wire_check_utf8(rh_avro_wire_rd_t *r,
                                                       const unsigned char *s, size_t n) {
  if (rh_utf8_valid(s, n)) return RH_AVRO_OK;
  r->p = s;
  return RH_AVRO_WIRE_FAIL(r, RH_AVRO_EDATA, "string of %zu bytes is not valid UTF-8", n);
}

/* A string: bytes that must be valid UTF-8. */
static inline rh_avro_status_t rh_avro_wire_read_string(rh_avro_wire_rd_t *r,
                                                        const unsigned char **s, size_t *n) {
  rh_avro_status_t st = rh_avro_wire_read_bytes(r, s, n, "string");
  return st != RH_AVRO_OK ? st : rh_avro_wire_check_utf8(r, *s, *n);
}

/* A map key: a string, valid UTF-8 without NUL (RH_AVRO_EDATA, at its first
 * byte). check = false only skips it (a map nobody keeps). */
static inline rh_avro_status_t rh_avro_wire_read_map_key(rh_avro_wire_rd_t *r,
                                                         const unsigned char **s, size_t *n,
                                                         bool check) {
  rh_avro_status_t st = rh_avro_wire_read_bytes(r, s, n, "map key");
  if (st != RH_AVRO_OK) return st;
  if (check && (!rh_utf8_valid(*s, *n) || memchr(*s, 0, *n))) {
    r->p = *s;
    return RH_AVRO_WIRE_FAIL(r, RH_AVRO_EDATA, "map key is not UTF-8 without NUL");
  }
  return RH_AVRO_OK;
}

/* A union's branch index, which must be below nbranches (RH_AVRO_EDATA, at
 * the index). */
static inline rh_avro_status_t rh_avro_wire_read_branch(rh_avro_wire_rd_t *r, size_t nbranches,
                                                        int64_t *idx) {
  const unsigned char *at = r->p;
  rh_avro_status_t st = rh_avro_wire_read_long(r, idx);
  if (st != RH_AVRO_OK) return st;
  if (*idx < 0 || (uint64_t)*idx >= nbranches) {
    r->p = at;
    return RH_AVRO_WIRE_FAIL(r, RH_AVRO_EDATA,
                             "union branch %" PRId64 " out of range (%zu branches)", *idx,
                             nbranches);
  }
  return RH_AVRO_OK;
}

/* The head of an array or map block: its item count (*count, 0 = the end of
 * the blocks), skipping the byte size a negative count announces. With
 * item_min > 0 (the least bytes an item takes) a count the bytes left cannot
 * hold is RH_AVRO_ETRUNCATED; with 0 the caller bounds it. */
static inline rh_avro_status_t rh_avro_wire_read_block(rh_avro_wire_rd_t *r, size_t item_min,
                                                       int64_t *count) {
  const unsigned char *at = r->p;
  rh_avro_status_t st = rh_avro_wire_read_long(r, count);
  if (st != RH_AVRO_OK || *count == 0) return st;
  if (*count < 0) {
    if (*count == INT64_MIN) {
      r->p = at;
      return RH_AVRO_WIRE_FAIL(r, RH_AVRO_ELENGTH, "impossible block count");
    }
    *count = -*count;
    size_t bytes;
    st = rh_avro_wire_read_length(r, &bytes, "block");
    if (st != RH_AVRO_OK) return st;
  }
  if (item_min > 0 && (uint64_t)*count > rh_avro_wire_left(r) / item_min)
    return RH_AVRO_WIRE_FAIL(r, RH_AVRO_ETRUNCATED,
                             "block of %" PRId64 " items but only %zu bytes left", *count,
                             rh_avro_wire_left(r));
  return RH_AVRO_OK;
}

/* ---- whole messages (rh_avro_wire.c) ----------------------------------------- */

/* The writer fingerprint of a single-object message, without decoding:
 * RH_AVRO_OK, RH_AVRO_EINVAL (NULL data with len > 0), RH_AVRO_EMAGIC (not
 * C3 01; the message quotes at most those two bytes) or RH_AVRO_ETRUNCATED
 * (shorter than the 10-byte header), with errstr. */
rh_avro_status_t rh_avro_wire_peek_fingerprint(const void *data, size_t len, uint64_t *fp_out,
                                               char *errstr, size_t errstr_size);

/* The first field of a record that starts with a string (an Alert's
 * alert_id, a CheckResult's check_id) in a single-object message, without
 * decoding the rest: a pointer into value and *out_len, or NULL if the
 * message is not shaped like that. */
const char *rh_avro_wire_first_string(const void *value, size_t len, size_t *out_len);

#endif
