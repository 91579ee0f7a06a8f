/*
 * rh_copy: one row of PostgreSQL's COPY ... TO STDOUT text format (the
 * default format, not CSV), split into fields and unescaped in place.
 * Used by rh_regmap's load and catch-up; anything that reads COPY OUT rows
 * from libpq (PQgetCopyData) can use it.
 *
 * The format (PostgreSQL's "COPY", "Text Format"): fields separated by tabs,
 * a row ended by a newline; \b \f \n \r \t \v \\, \ooo (1-3 octal digits)
 * and \xh / \xhh are decoded; a backslash before any other character stands
 * for that character; a field that is exactly \N is SQL NULL.
 *
 * Speed: one pass over the row, no allocation. It has no benchmark of its
 * own; it runs inside rh_regmap's load, where 649,000 member rows and 200,000
 * household rows are read, split and stored in 0.5-1.3 s in all
 * (scripts/bench_regmap.sh).
 *
 * Ownership: nothing is allocated; fields point into the caller's row.
 * Threads: pure, reentrant. Failure: -1, with the row partly rewritten.
 * Nothing here logs.
 */
#ifndef RH_COPY_H
#define RH_COPY_H

#include <stddef.h>

/* Split row[0..len) (a trailing "\n" is dropped; row[len] must be writable,
 * as in PQgetCopyData's buffer) IN PLACE. A field that is exactly \N is SQL
 * NULL (fields[i] = NULL, lens[i] = 0); every other field ends in a NUL and
 * lens[i] is its decoded length. Returns the number of fields, or -1 if there
 * are more than max or a field decodes to a NUL byte. */
int rh_copy_split(char *row, size_t len, char **fields, size_t *lens, int max);

#endif
