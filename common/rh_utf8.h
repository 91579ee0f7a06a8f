/*
 * rh_utf8: the one UTF-8 validator of riskhub. Strict (RFC 3629): no overlong
 * forms, no surrogates, nothing above U+10FFFF. Used for department CSV text
 * (rh_csv, rh_encoding: rh_utf8_check) and for Avro strings and map keys
 * (rh_avro_codec, rh_feedrecord through rh_avro_wire: rh_utf8_valid).
 *
 * Ownership: nothing is allocated; the functions only read s[0..n), never
 * outside it. Threads: pure, thread-safe. Failure: none; they answer.
 */
#ifndef RH_UTF8_H
#define RH_UTF8_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef enum {
  RH_UTF8_OK = 0,    /* all n bytes are complete, valid characters, no NUL */
  RH_UTF8_TRUNCATED, /* valid, but the last bytes begin a character that is cut off */
  RH_UTF8_INVALID,   /* a byte sequence that is not UTF-8 (overlong, surrogate, ...) */
  RH_UTF8_NUL        /* a NUL byte */
} rh_utf8_status_t;

/* Strict UTF-8 check that also stops at a NUL byte. Returns the length of the
 * longest prefix of s made of complete valid characters without NUL; *status
 * says what stopped it (RH_UTF8_OK when the whole buffer is fine). */
size_t rh_utf8_check(const unsigned char *s, size_t n, rh_utf8_status_t *status);

/* rh_utf8_valid's path for text with a byte >= 0x80: the scan of
 * rh_utf8_check, with NUL a character like any. 1 valid, 0 not. */
int rh_utf8_valid_mb(const unsigned char *s, size_t n);

/* Is s[0..n) valid UTF-8, NUL bytes allowed (an Avro string may hold them;
 * a map key may not: check that apart)? 1 yes, 0 no. Inline for the join's
 * decoder: most strings are ASCII, which takes one pass without a branch per
 * byte; anything else goes to rh_utf8_valid_mb. */
static inline int rh_utf8_valid(const unsigned char *s, size_t n) {
  uint64_t acc = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    acc |= w;
  }
  for (; i < n; i++) acc |= s[i];
  return !(acc & UINT64_C(0x8080808080808080)) || rh_utf8_valid_mb(s, n);
}

#endif
