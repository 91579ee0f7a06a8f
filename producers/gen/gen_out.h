/*
 * gen_out: the generator's buffered CSV output (gen_out.c): files written
 * through "<dir>/.<name>.part" and renamed when complete, or kept in memory;
 * fields quoted as RFC 4180 asks; numbers, money and dates as departments
 * write them. One gen_out_t per thread.
 */
#ifndef GEN_OUT_H
#define GEN_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* snprintf into errstr (NULL or size 0: nothing). */
void gen_set_err(char *errstr, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One output group: registry, feeds, bench or bad. rows counts data rows
 * (headers and blank lines excluded); bytes are the file sizes. */
typedef struct {
  size_t files;
  uint64_t rows;
  uint64_t bytes;
  double seconds;
} gen_group_t;

#define GEN_OUT_CAP (1u << 20)

typedef struct {
  FILE *fp;        /* NULL: memory mode (the buffer grows; nothing written) */
  char *buf;
  size_t len, cap;
  uint64_t bytes;  /* everything written or buffered */
  uint64_t rows;   /* data rows ended with gen_out_end_row(w, true) */
  int col;         /* fields so far in the current row */
  bool crlf;
  int err;         /* errno of the first failure, 0 if none */
  char path[4096]; /* final path */
  char tmp[4096];  /* "<dir>/.<name>.part" while writing */
} gen_out_t;

/* Open path for writing (through the .part file), or memory mode if path is
 * NULL. Writes a UTF-8 BOM first if bom. 0 ok; -1 with errstr naming the path. */
int gen_out_open(gen_out_t *w, const char *path, bool bom, bool crlf, char *errstr,
                    size_t errstr_size);
/* Flush, close and rename into place (file mode); frees the buffer. In memory
 * mode use gen_out_take() instead. 0 ok; -1 with errstr naming the path
 * (the .part file is removed). */
int gen_out_close(gen_out_t *w, char *errstr, size_t errstr_size);
/* Abandon: close, remove the .part file, free. */
void gen_out_abort(gen_out_t *w);
/* Memory mode: hand over the buffer (caller frees) and its length. */
char *gen_out_take(gen_out_t *w, size_t *len);

void gen_out_mem(gen_out_t *w, const void *p, size_t n);
void gen_out_str(gen_out_t *w, const char *s);
/* A field: a comma first unless it is the row's first; quoted (RFC 4180) if it
 * holds a comma, quote, CR or LF. */
void gen_out_field(gen_out_t *w, const char *s);
void gen_out_field_n(gen_out_t *w, const char *s, size_t n);
/* A field known to need no quoting (digits, codes). */
void gen_out_field_raw(gen_out_t *w, const char *s, size_t n);
void gen_out_field_uint(gen_out_t *w, uint64_t v);
/* fen as yuan with 2 decimals: 1234567 -> 12345.67 */
void gen_out_field_money(gen_out_t *w, uint64_t fen);
void gen_out_field_date(gen_out_t *w, int y, int m, int d);
/* Line end (CRLF or LF); counts a data row if data_row. */
void gen_out_end_row(gen_out_t *w, bool data_row);

/* Small formatting helpers (into a buffer, return the length). */
size_t gen_fmt_uint(char *out, uint64_t v);
size_t gen_fmt_money(char *out, uint64_t fen);
size_t gen_fmt_date(char *out, int y, int m, int d);

/* Write a whole file (through .part and rename). 0 ok, -1 with errstr. */
int gen_write_file(const char *path, const void *data, size_t len, char *errstr,
                      size_t errstr_size);

#endif
