/* rh_copy: see rh_copy.h. */
#include "rh_copy.h"

#include <stdbool.h>

static int octal(char c) { return c >= '0' && c <= '7' ? c - '0' : -1; }
static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int rh_copy_split(char *row, size_t len, char **fields, size_t *lens, int max) {
  if (len > 0 && row[len - 1] == '\n') len--;
  char *r = row, *w = row, *end = row + len;
  int n = 0;
  for (;;) {
    if (n >= max) return -1;
    if (end - r >= 2 && r[0] == '\\' && r[1] == 'N' && (end - r == 2 || r[2] == '\t')) {
      fields[n] = NULL;
      lens[n++] = 0;
      r += 2;
      if (r == end) break;
      r++;
      w = r;
      continue;
    }
    char *start = w;
    while (r < end && *r != '\t') {
      char c = *r++;
      if (c == '\\' && r < end) {
        char e = *r++;
        int v;
        switch (e) {
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        case 'n': c = '\n'; break;
        case 'r': c = '\r'; break;
        case 't': c = '\t'; break;
        case 'v': c = '\v'; break;
        case 'x':
          if (r < end && (v = hexval(*r)) >= 0) {
            r++;
            if (r < end && hexval(*r) >= 0) v = v * 16 + hexval(*r++);
            c = (char)v;
          } else {
            c = 'x';
          }
          break;
        default:
          if ((v = octal(e)) >= 0) {
            for (int k = 0; k < 2 && r < end && octal(*r) >= 0; k++) v = v * 8 + octal(*r++);
            c = (char)(v & 0xff);
          } else {
            c = e; /* \\ and any other character stand for themselves */
          }
        }
        if (c == '\0') return -1;
      }
      *w++ = c;
    }
    bool more = r < end; /* then *r is a tab; read it before w may overwrite it */
    *w = '\0';
    fields[n] = start;
    lens[n++] = (size_t)(w - start);
    if (!more) break;
    r++;
    w = r;
  }
  return n;
}
