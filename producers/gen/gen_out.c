/* gen_out: the buffered CSV output shared by the registry, feed and bad-file
 * writers (BOM, CRLF, quoting, numbers, money and dates as departments write
 * them), and the generator's error messages. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen_out.h"

void gen_set_err(char *errstr, size_t n, const char *fmt, ...) {
  if (!errstr || n == 0) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(errstr, n, fmt, ap);
  va_end(ap);
}

/* ---- output ---- */

int gen_out_open(gen_out_t *w, const char *path, bool bom, bool crlf, char *errstr,
                    size_t errstr_size) {
  memset(w, 0, sizeof(*w));
  w->crlf = crlf;
  w->cap = GEN_OUT_CAP;
  w->buf = malloc(w->cap);
  if (!w->buf) {
    gen_set_err(errstr, errstr_size, "out of memory");
    return -1;
  }
  if (path) {
    const char *slash = strrchr(path, '/');
    int dn = slash ? (int)(slash - path) + 1 : 0;
    if ((size_t)snprintf(w->path, sizeof(w->path), "%s", path) >= sizeof(w->path) ||
        (size_t)snprintf(w->tmp, sizeof(w->tmp), "%.*s.%s.part", dn, path,
                         slash ? slash + 1 : path) >= sizeof(w->tmp)) {
      gen_set_err(errstr, errstr_size, "%s: path too long", path);
      free(w->buf);
      w->buf = NULL;
      return -1;
    }
    w->fp = fopen(w->tmp, "wb");
    if (!w->fp) {
      gen_set_err(errstr, errstr_size, "cannot create %s: %s", w->tmp, strerror(errno));
      free(w->buf);
      w->buf = NULL;
      return -1;
    }
  }
  if (bom) gen_out_mem(w, "\xEF\xBB\xBF", 3);
  return 0;
}

static void out_flush(gen_out_t *w) {
  if (!w->fp || w->len == 0) return;
  if (!w->err && fwrite(w->buf, 1, w->len, w->fp) != w->len) w->err = errno ? errno : EIO;
  w->len = 0;
}

/* Room for n more bytes. */
static inline void out_need(gen_out_t *w, size_t n) {
  if (w->len + n <= w->cap) return;
  if (w->fp) {
    out_flush(w);
    if (n <= w->cap) return;
  }
  size_t cap = w->cap;
  while (cap < w->len + n) cap *= 2;
  char *nb = realloc(w->buf, cap);
  if (!nb) {
    /* Keep going without writing more; the error is reported at close. */
    w->err = ENOMEM;
    w->len = 0;
    return;
  }
  w->buf = nb;
  w->cap = cap;
}

void gen_out_mem(gen_out_t *w, const void *p, size_t n) {
  out_need(w, n);
  if (w->len + n > w->cap) return; /* out of memory */
  memcpy(w->buf + w->len, p, n);
  w->len += n;
  w->bytes += n;
}

void gen_out_str(gen_out_t *w, const char *s) { gen_out_mem(w, s, strlen(s)); }

static inline void out_sep(gen_out_t *w) {
  if (w->col++ > 0) gen_out_mem(w, ",", 1);
}

void gen_out_field_raw(gen_out_t *w, const char *s, size_t n) {
  out_sep(w);
  gen_out_mem(w, s, n);
}

void gen_out_field_n(gen_out_t *w, const char *s, size_t n) {
  out_sep(w);
  bool quote = false;
  for (size_t i = 0; i < n && !quote; i++)
    quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
  if (!quote) {
    gen_out_mem(w, s, n);
    return;
  }
  gen_out_mem(w, "\"", 1);
  size_t start = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '"') {
      gen_out_mem(w, s + start, i + 1 - start); /* up to and including the quote */
      gen_out_mem(w, "\"", 1);
      start = i + 1;
    }
  }
  gen_out_mem(w, s + start, n - start);
  gen_out_mem(w, "\"", 1);
}

void gen_out_field(gen_out_t *w, const char *s) { gen_out_field_n(w, s, strlen(s)); }

size_t gen_fmt_uint(char *out, uint64_t v) {
  char tmp[24];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (size_t i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
  out[n] = '\0';
  return n;
}

size_t gen_fmt_money(char *out, uint64_t fen) {
  size_t n = gen_fmt_uint(out, fen / 100);
  out[n++] = '.';
  out[n++] = (char)('0' + (fen % 100) / 10);
  out[n++] = (char)('0' + fen % 10);
  out[n] = '\0';
  return n;
}

size_t gen_fmt_date(char *out, int y, int m, int d) {
  out[0] = (char)('0' + y / 1000 % 10);
  out[1] = (char)('0' + y / 100 % 10);
  out[2] = (char)('0' + y / 10 % 10);
  out[3] = (char)('0' + y % 10);
  out[4] = '-';
  out[5] = (char)('0' + m / 10);
  out[6] = (char)('0' + m % 10);
  out[7] = '-';
  out[8] = (char)('0' + d / 10);
  out[9] = (char)('0' + d % 10);
  out[10] = '\0';
  return 10;
}

void gen_out_field_uint(gen_out_t *w, uint64_t v) {
  char b[24];
  gen_out_field_raw(w, b, gen_fmt_uint(b, v));
}

void gen_out_field_money(gen_out_t *w, uint64_t fen) {
  char b[32];
  gen_out_field_raw(w, b, gen_fmt_money(b, fen));
}

void gen_out_field_date(gen_out_t *w, int y, int m, int d) {
  char b[16];
  gen_out_field_raw(w, b, gen_fmt_date(b, y, m, d));
}

void gen_out_end_row(gen_out_t *w, bool data_row) {
  if (w->crlf)
    gen_out_mem(w, "\r\n", 2);
  else
    gen_out_mem(w, "\n", 1);
  w->col = 0;
  if (data_row) w->rows++;
}

int gen_out_close(gen_out_t *w, char *errstr, size_t errstr_size) {
  out_flush(w);
  int rc = 0;
  if (w->fp) {
    if (fclose(w->fp) != 0 && !w->err) w->err = errno ? errno : EIO;
    w->fp = NULL;
    if (!w->err && rename(w->tmp, w->path) != 0) w->err = errno;
    if (w->err) {
      gen_set_err(errstr, errstr_size, "cannot write %s: %s", w->path, strerror(w->err));
      unlink(w->tmp);
      rc = -1;
    }
  } else if (w->err) {
    gen_set_err(errstr, errstr_size, "out of memory");
    rc = -1;
  }
  free(w->buf);
  w->buf = NULL;
  return rc;
}

void gen_out_abort(gen_out_t *w) {
  if (w->fp) {
    fclose(w->fp);
    unlink(w->tmp);
    w->fp = NULL;
  }
  free(w->buf);
  w->buf = NULL;
}

char *gen_out_take(gen_out_t *w, size_t *len) {
  char *b = w->buf;
  *len = w->len;
  w->buf = NULL;
  if (w->err) {
    free(b);
    *len = 0;
    return NULL;
  }
  return b;
}

int gen_write_file(const char *path, const void *data, size_t len, char *errstr,
                      size_t errstr_size) {
  gen_out_t w;
  if (gen_out_open(&w, path, false, false, errstr, errstr_size)) return -1;
  gen_out_mem(&w, data, len);
  return gen_out_close(&w, errstr, errstr_size);
}
