/* ledger_arrays: see ledger_arrays.h. */
#include "ledger_arrays.h"

#include <stdlib.h>
#include <string.h>

void ledger_arrays_init(ledger_arrays_t *a, int ncol) {
  memset(a, 0, sizeof *a);
  a->ncol = ncol > LEDGER_ARRAYS_MAX_COLS ? LEDGER_ARRAYS_MAX_COLS : ncol;
}

void ledger_arrays_free(ledger_arrays_t *a) {
  for (int i = 0; i < LEDGER_ARRAYS_MAX_COLS; i++) free(a->col[i].data);
  memset(a, 0, sizeof *a);
}

int ledger_sbuf_put(ledger_sbuf_t *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1) cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d) return -1;
    b->data = d;
    b->cap = cap;
  }
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

int ledger_sbuf_element(ledger_sbuf_t *b, const char *s, int first) {
  if (ledger_sbuf_put(b, first ? "" : ",", first ? 0 : 1)) return -1;
  if (!s) return ledger_sbuf_put(b, "NULL", 4);
  if (ledger_sbuf_put(b, "\"", 1)) return -1;
  for (const char *p = s; *p; p++) {
    if ((*p == '"' || *p == '\\') && ledger_sbuf_put(b, "\\", 1)) return -1;
    if (ledger_sbuf_put(b, p, 1)) return -1;
  }
  return ledger_sbuf_put(b, "\"", 1);
}

int ledger_arrays_add(ledger_arrays_t *a, const char *const *values) {
  size_t saved[LEDGER_ARRAYS_MAX_COLS];
  for (int i = 0; i < a->ncol; i++) saved[i] = a->col[i].len;
  for (int i = 0; i < a->ncol; i++)
    if ((a->rows == 0 && ledger_sbuf_put(&a->col[i], "{", 1)) ||
        ledger_sbuf_element(&a->col[i], values[i], a->rows == 0)) {
      for (int k = 0; k < a->ncol; k++)
        if (a->col[k].data) a->col[k].len = saved[k], a->col[k].data[saved[k]] = '\0';
      return -1;
    }
  a->rows++;
  return 0;
}

const char *ledger_arrays_literal(ledger_arrays_t *a, int i) {
  ledger_sbuf_t *b = &a->col[i];
  if (a->rows == 0) return "{}";
  /* closed once (an element ends in '"' or NULL, never in '}') */
  if (b->data[b->len - 1] != '}' && ledger_sbuf_put(b, "}", 1)) return NULL;
  return b->data;
}

void ledger_arrays_clear(ledger_arrays_t *a) {
  for (int i = 0; i < a->ncol; i++) {
    a->col[i].len = 0;
    if (a->col[i].data) a->col[i].data[0] = '\0';
  }
  a->rows = 0;
}
