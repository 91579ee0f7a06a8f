/* rh_utf8: see rh_utf8.h. */
#include "rh_utf8.h"

#include <stdbool.h>

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* Why the character at p (not ASCII) is no good: cut off by the end e while
 * what is there begins a valid one (RH_UTF8_TRUNCATED), or RH_UTF8_INVALID.
 * Off the fast path. */
static rh_utf8_status_t bad_char(const unsigned char *p, const unsigned char *e) {
  unsigned c = *p, lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
  size_t need;                             /* continuation bytes */
  if (c < 0xC2 || c > 0xF4) return RH_UTF8_INVALID;
  need = c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
  if (c == 0xE0) lo = 0xA0;      /* no overlong */
  else if (c == 0xED) hi = 0x9F; /* no surrogates */
  else if (c == 0xF0) lo = 0x90; /* no overlong */
  else if (c == 0xF4) hi = 0x8F; /* nothing above U+10FFFF */
  if ((size_t)(e - p) > need) return RH_UTF8_INVALID;
  for (size_t k = 1; p + k < e; k++)
    if (k == 1 ? (p[1] < lo || p[1] > hi) : (p[k] & 0xC0) != 0x80) return RH_UTF8_INVALID;
  return RH_UTF8_TRUNCATED;
}

/* The one scan: the length of the valid prefix of s[0..n) and why it ends.
 * nul_stops: a NUL byte ends it (RH_UTF8_NUL) or is a character like any.
 * Written per sequence length, the limits of RFC 3629 being the second
 * byte's range after E0, ED, F0 and F4; runs of ASCII go 8 bytes at a time.
 * Inlined into its two callers, each with nul_stops a constant. */
static inline __attribute__((always_inline)) size_t scan(const unsigned char *s, size_t n,
                                                         bool nul_stops,
                                                         rh_utf8_status_t *status) {
  const unsigned char *p = s, *e = s + n;
  while (p < e) {
    if (e - p >= 8) {
      uint64_t v;
      memcpy(&v, p, 8);
      if (!(v & HIGHS) && !(nul_stops && ((v - ONES) & ~v & HIGHS))) {
        p += 8;
        continue;
      }
    }
    unsigned c = *p;
    if (c < 0x80) {
      if (nul_stops && c == 0) {
        *status = RH_UTF8_NUL;
        return (size_t)(p - s);
      }
      p++;
    } else if (c < 0xC2) {
      break; /* a continuation byte, or an overlong 2-byte form */
    } else if (c < 0xE0) {
      if (e - p < 2 || (p[1] & 0xC0) != 0x80) break;
      p += 2;
    } else if (c < 0xF0) {
      if (e - p < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
          (c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0))
        break;
      p += 3;
    } else if (c < 0xF5) {
      if (e - p < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
          (p[3] & 0xC0) != 0x80 || (c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90))
        break;
      p += 4;
    } else {
      break;
    }
  }
  *status = p < e ? bad_char(p, e) : RH_UTF8_OK;
  return (size_t)(p - s);
}

size_t rh_utf8_check(const unsigned char *s, size_t n, rh_utf8_status_t *status) {
  return scan(s, n, true, status);
}

int rh_utf8_valid_mb(const unsigned char *s, size_t n) {
  rh_utf8_status_t st;
  scan(s, n, false, &st);
  return st == RH_UTF8_OK;
}
