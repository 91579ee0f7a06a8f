/* alerts_mask: see alerts_mask.h. */
#include "alerts_mask.h"

#include <string.h>

#define MIN_DIGITS 15
#define KEEP_HEAD 6
#define KEEP_TAIL 4

static int id_char(char c) { return (c >= '0' && c <= '9') || c == 'X' || c == 'x'; }

/* The next run [*start, *end) of ID characters at or after from that holds at
 * least MIN_DIGITS digits: 1, or 0 if there is none. */
static size_t next_run(const char *s, size_t from, size_t *start, size_t *end) {
  size_t i = from;
  for (;;) {
    while (s[i] && !id_char(s[i])) i++;
    if (!s[i]) return 0;
    size_t j = i, digits = 0;
    while (s[j] && id_char(s[j])) {
      if (s[j] >= '0' && s[j] <= '9') digits++;
      j++;
    }
    if (digits >= MIN_DIGITS) {
      *start = i;
      *end = j;
      return 1;
    }
    i = j;
  }
}

bool alerts_mask_needed(const char *s) {
  size_t a, b;
  return s && next_run(s, 0, &a, &b);
}

char *alerts_mask_text(const char *s, char *out, size_t out_size) {
  if (!out_size) return out;
  if (!s) s = "";
  size_t n = strlen(s);
  if (n >= out_size) n = out_size - 1;
  memcpy(out, s, n);
  out[n] = '\0';
  size_t pos = 0, a, b;
  while (next_run(s, pos, &a, &b)) {
    for (size_t k = a + KEEP_HEAD; k + KEEP_TAIL < b && k < n; k++) out[k] = '*';
    pos = b;
  }
  return out;
}
