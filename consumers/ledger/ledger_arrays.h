/*
 * ledger_arrays: the columns of many rows as PostgreSQL array literals, one
 * text parameter a column, for one statement of many rows:
 *
 *   INSERT ... SELECT ... FROM unnest($1::text[], $2::text[], ...) ON CONFLICT ...
 *
 * (the way the join wrote its warnings rows before riskhub-ledger took them
 * over: one round trip for thousands of rows, no COPY state to keep). Every
 * element is quoted and escaped; NULL gives an unquoted NULL element.
 *
 * Ownership: ledger_arrays_t is the caller's (ledger_arrays_init / _free);
 * values are copied. One thread. Failure: -1 only for memory (the row is then
 * not added, the columns stay as they were).
 */
#ifndef LEDGER_ARRAYS_H
#define LEDGER_ARRAYS_H

#include <stddef.h>

#define LEDGER_ARRAYS_MAX_COLS 16

typedef struct {
  char *data;
  size_t len, cap;
} ledger_sbuf_t;

typedef struct {
  int ncol;
  ledger_sbuf_t col[LEDGER_ARRAYS_MAX_COLS];
  size_t rows;
} ledger_arrays_t;

/* ncol <= LEDGER_ARRAYS_MAX_COLS. */
void ledger_arrays_init(ledger_arrays_t *a, int ncol);
void ledger_arrays_free(ledger_arrays_t *a);
/* One row: values[ncol], NULL for a SQL NULL. 0 or -1 (memory). */
int ledger_arrays_add(ledger_arrays_t *a, const char *const *values);
/* The literal of column i ("{}" when empty), valid until clear. It closes
 * the column: add no row after it until ledger_arrays_clear. NULL only for
 * memory. */
const char *ledger_arrays_literal(ledger_arrays_t *a, int i);
void ledger_arrays_clear(ledger_arrays_t *a);

/* Append one element (quoted and escaped, or NULL; with a comma unless
 * first) to b: for callers that build a nested literal (a text[] that is
 * one element of a column). */
int ledger_sbuf_element(ledger_sbuf_t *b, const char *s, int first);
int ledger_sbuf_put(ledger_sbuf_t *b, const char *s, size_t n);

#endif
