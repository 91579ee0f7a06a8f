#include "rh_csv.h"

#include <csv.h>
#include <errno.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/*
 * How it works. A chunk of raw bytes is decoded to UTF-8 (checked in place for
 * UTF-8 input, converted by iconv into `conv` for GB18030); a character cut by
 * the chunk's end is carried over to the next chunk. The UTF-8 text is then fed
 * to libcsv one physical line at a time (each piece ends at a CR or LF), which
 * is what lets us count lines: after each piece we know the line number, and a
 * row starts on the line of the first non-blank piece seen while no row is open
 * (libcsv opens a row exactly there, and closes it only at a line break outside
 * quotes). libcsv calls on_field() for each field and on_row() at the row's
 * end; as a row can only end at the end of a piece, rh_csv_next() stops right
 * there and hands the row out, and resumes with the next piece on the next call.
 * Memory: one raw chunk, one converted chunk, libcsv's field buffer and the
 * current row, all bounded by the limits in rh_csv.h.
 */

#define RAW_SLACK 8 /* room for a carried-over partial character (at most 3 bytes) */
#define CONV_CAP (2 * RH_CSV_CHUNK + 64) /* GB18030 -> UTF-8 grows at most 1.5 times */

typedef enum { ST_RUNNING = 0, ST_DONE, ST_FAILED } state_t;

/* Why the decoded text stops where it does. */
typedef enum {
  P_NONE = 0,
  P_BAD_UTF8, /* invalid UTF-8 */
  P_BAD_GB,   /* invalid GB18030 */
  P_NUL,      /* a NUL byte */
  P_CUT,      /* the file ends inside a character */
  P_ICONV     /* iconv failed otherwise */
} pending_t;

typedef enum { LIM_NONE = 0, LIM_FIELD, LIM_FIELDS, LIM_ROW, LIM_NOMEM } limit_t;

struct rh_csv_reader {
  FILE *fp;
  int own_fp;
  rh_encoding_t enc;
  iconv_t cd;
  struct csv_parser parser;
  int parser_ok;

  unsigned char *raw; /* RH_CSV_CHUNK + RAW_SLACK */
  size_t raw_len;     /* bytes held in raw */
  size_t carry;       /* last `carry` bytes of raw: a partial character for the next chunk */
  char *conv;         /* CONV_CAP bytes, GB18030 only */

  const char *text; /* the decoded UTF-8 being parsed */
  size_t text_len, pos;
  pending_t pending; /* what is wrong right after text[text_len] */
  int eof;           /* the file has no more bytes */

  state_t state;
  char err[320];
  uint64_t bytes_read;
  unsigned long line;     /* line of the next byte to parse, from 1 */
  unsigned long row_line; /* line where the open (or last) row started */
  unsigned long rows;     /* rows delivered */
  int prev_cr;            /* the last byte parsed was a CR (CRLF is one break) */
  int in_row;             /* libcsv has a row open */

  /* The row being built: fields back to back in buf, each NUL-terminated. */
  char *buf;
  size_t buf_len, buf_cap;
  rh_csv_field_t *fields;
  size_t nfields, fields_cap;
  int row_done;
  limit_t limit;
  rh_csv_row_t row;
};

static void set_err(char *errstr, size_t errstr_size, const char *msg) {
  if (errstr && errstr_size) snprintf(errstr, errstr_size, "%s", msg);
}

__attribute__((format(printf, 2, 3))) static int fail(rh_csv_reader_t *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->err, sizeof r->err, fmt, ap);
  va_end(ap);
  r->state = ST_FAILED;
  return -1;
}

/* ---- libcsv callbacks ---- */

static void on_field(void *s, size_t len, void *data) {
  rh_csv_reader_t *r = data;
  if (r->limit) return;
  if (len > RH_CSV_MAX_FIELD_BYTES) {
    r->limit = LIM_FIELD;
    return;
  }
  if (r->nfields == r->fields_cap) {
    if (r->nfields >= RH_CSV_MAX_FIELDS) {
      r->limit = LIM_FIELDS;
      return;
    }
    size_t cap = r->fields_cap ? 2 * r->fields_cap : 32;
    if (cap > RH_CSV_MAX_FIELDS) cap = RH_CSV_MAX_FIELDS;
    rh_csv_field_t *f = realloc(r->fields, cap * sizeof *f);
    if (!f) {
      r->limit = LIM_NOMEM;
      return;
    }
    r->fields = f;
    r->fields_cap = cap;
  }
  size_t need = r->buf_len + len + 1;
  if (need > r->buf_cap) {
    if (need > RH_CSV_MAX_ROW_BYTES) {
      r->limit = LIM_ROW;
      return;
    }
    size_t cap = r->buf_cap ? r->buf_cap : 4096;
    while (cap < need) cap *= 2;
    char *b = realloc(r->buf, cap);
    if (!b) {
      r->limit = LIM_NOMEM;
      return;
    }
    r->buf = b;
    r->buf_cap = cap;
  }
  if (len) memcpy(r->buf + r->buf_len, s, len);
  r->buf[r->buf_len + len] = '\0';
  r->buf_len = need;
  r->fields[r->nfields++].len = len;
}

static void on_row(int c, void *data) {
  (void)c;
  rh_csv_reader_t *r = data;
  r->row_done = 1;
  r->in_row = 0;
}

/* ---- decoding ---- */

/* Decode raw[start..raw_len) into text/text_len; note a partial character to
 * carry over, or what is wrong after the text. */
static void decode(rh_csv_reader_t *r, size_t start) {
  const unsigned char *in = r->raw + start;
  size_t n = r->raw_len - start;
  r->pos = 0;
  r->pending = P_NONE;
  r->carry = 0;
  if (r->enc == RH_ENC_UTF8) {
    rh_utf8_status_t st;
    r->text = (const char *)in;
    r->text_len = rh_utf8_check(in, n, &st);
    switch (st) {
      case RH_UTF8_OK: break;
      case RH_UTF8_TRUNCATED:
        if (r->eof) r->pending = P_CUT;
        else r->carry = n - r->text_len;
        break;
      case RH_UTF8_INVALID: r->pending = P_BAD_UTF8; break;
      case RH_UTF8_NUL: r->pending = P_NUL; break;
    }
    return;
  }
  char *ip = (char *)(uintptr_t)in; /* iconv's prototype is not const-correct */
  size_t ileft = n, oleft = CONV_CAP;
  char *op = r->conv;
  size_t rc = iconv(r->cd, &ip, &ileft, &op, &oleft);
  int e = errno;
  r->text = r->conv;
  r->text_len = CONV_CAP - oleft;
  if (rc == (size_t)-1) {
    if (e == EINVAL) {
      if (r->eof) r->pending = P_CUT;
      else r->carry = ileft;
    } else if (e == EILSEQ) {
      r->pending = P_BAD_GB;
    } else {
      r->pending = P_ICONV;
    }
  }
  const char *z = memchr(r->text, '\0', r->text_len);
  if (z) {
    r->text_len = (size_t)(z - r->text);
    r->pending = P_NUL;
  }
}

/* Read the next chunk (after the carried-over bytes). 0 ok, -1 read error. */
static int refill(rh_csv_reader_t *r) {
  size_t keep = r->carry;
  if (keep) memmove(r->raw, r->raw + r->raw_len - keep, keep);
  size_t n = fread(r->raw + keep, 1, RH_CSV_CHUNK, r->fp);
  if (n < RH_CSV_CHUNK) {
    if (ferror(r->fp)) return fail(r, "cannot read the file: %s", strerror(errno));
    r->eof = 1;
  }
  r->bytes_read += n;
  r->raw_len = keep + n;
  decode(r, 0);
  return 0;
}

/* ---- opening and closing ---- */

static rh_csv_reader_t *open_stream(FILE *fp, int own_fp, rh_encoding_t enc, char *errstr,
                                    size_t errstr_size) {
  rh_csv_reader_t *r = calloc(1, sizeof *r);
  if (!r) {
    if (own_fp) fclose(fp);
    set_err(errstr, errstr_size, "out of memory");
    return NULL;
  }
  r->fp = fp;
  r->own_fp = own_fp;
  r->cd = (iconv_t)-1;
  r->line = 1;
  r->raw = malloc(RH_CSV_CHUNK + RAW_SLACK);
  if (!r->raw) {
    set_err(errstr, errstr_size, "out of memory");
    goto cleanup;
  }
  size_t n = fread(r->raw, 1, RH_CSV_CHUNK, fp);
  if (n < RH_CSV_CHUNK) {
    if (ferror(fp)) {
      if (errstr && errstr_size)
        snprintf(errstr, errstr_size, "cannot read the file: %s", strerror(errno));
      goto cleanup;
    }
    r->eof = 1;
  }
  r->bytes_read = n;
  r->raw_len = n;
  size_t bom = 0;
  if (rh_encoding_sniff(r->raw, n, r->eof, enc, &r->enc, &bom, errstr, errstr_size) != 0)
    goto cleanup;
  if (r->enc == RH_ENC_GB18030) {
    r->cd = iconv_open("UTF-8", "GB18030");
    r->conv = malloc(CONV_CAP);
    if (r->cd == (iconv_t)-1 || !r->conv) {
      set_err(errstr, errstr_size, "cannot set up GB18030 decoding (iconv)");
      goto cleanup;
    }
  }
  if (csv_init(&r->parser, CSV_STRICT | CSV_STRICT_FINI) != 0) {
    set_err(errstr, errstr_size, "cannot set up the CSV parser");
    goto cleanup;
  }
  r->parser_ok = 1;
  csv_set_blk_size(&r->parser, 4096);
  decode(r, bom);
  return r;

cleanup:
  rh_csv_close(r);
  return NULL;
}

rh_csv_reader_t *rh_csv_open(const char *path, rh_encoding_t enc, char *errstr,
                             size_t errstr_size) {
  if (!path) {
    set_err(errstr, errstr_size, "no file given");
    return NULL;
  }
  if (strcmp(path, "-") == 0) return open_stream(stdin, 0, enc, errstr, errstr_size);
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    if (errstr && errstr_size)
      snprintf(errstr, errstr_size, "cannot open '%s': %s", path, strerror(errno));
    return NULL;
  }
  return open_stream(fp, 1, enc, errstr, errstr_size);
}

rh_csv_reader_t *rh_csv_open_fp(FILE *fp, rh_encoding_t enc, char *errstr, size_t errstr_size) {
  if (!fp) {
    set_err(errstr, errstr_size, "no stream given");
    return NULL;
  }
  return open_stream(fp, 0, enc, errstr, errstr_size);
}

void rh_csv_close(rh_csv_reader_t *r) {
  if (!r) return;
  if (r->parser_ok) csv_free(&r->parser);
  if (r->cd != (iconv_t)-1) iconv_close(r->cd);
  if (r->own_fp && r->fp) fclose(r->fp);
  free(r->raw);
  free(r->conv);
  free(r->buf);
  free(r->fields);
  free(r);
}

rh_encoding_t rh_csv_encoding(const rh_csv_reader_t *r) { return r ? r->enc : RH_ENC_AUTO; }

uint64_t rh_csv_bytes_read(const rh_csv_reader_t *r) { return r ? r->bytes_read : 0; }

/* ---- reading rows ---- */

/* Index of the first CR or LF in s[0..n), or n. Eight bytes at a time. */
static size_t find_eol(const char *s, size_t n) {
  const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v, lf, cr;
    memcpy(&v, s + i, 8);
    lf = v ^ (ones * '\n');
    cr = v ^ (ones * '\r');
    if (((lf - ones) & ~lf & highs) | ((cr - ones) & ~cr & highs)) break;
  }
  for (; i < n; i++)
    if (s[i] == '\n' || s[i] == '\r') return i;
  return n;
}

/* Only spaces and tabs (libcsv's blanks), or nothing. */
static int is_blank(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] != ' ' && s[i] != '\t') return 0;
  return 1;
}

/* "" or " (this row starts on line A; the problem is on line B)". */
static const char *where(const rh_csv_reader_t *r, char *buf, size_t size) {
  if (r->line == r->row_line) return "";
  snprintf(buf, size, " (the row starts on line %lu; the problem is on line %lu)", r->row_line,
           r->line);
  return buf;
}

static int parse_error(rh_csv_reader_t *r) {
  char w[96];
  switch (csv_error(&r->parser)) {
    case CSV_EPARSE:
      if (r->parser.quoted)
        return fail(r,
                    "line %lu: text after the closing quote of a quoted field: a double quote "
                    "(\") inside a quoted field must be written twice (\"\")%s",
                    r->row_line, where(r, w, sizeof w));
      return fail(r,
                  "line %lu: a double quote (\") inside a field that does not start with one: "
                  "put the whole field in quotes and write the quote twice (\"\")%s",
                  r->row_line, where(r, w, sizeof w));
    case CSV_ENOMEM: return fail(r, "line %lu: out of memory", r->row_line);
    default:
      return fail(r, "line %lu: a field longer than %u bytes: probably a double quote (\") that is "
                  "never closed", r->row_line, RH_CSV_MAX_FIELD_BYTES);
  }
}

static int limit_error(rh_csv_reader_t *r) {
  switch (r->limit) {
    case LIM_FIELDS:
      return fail(r, "line %lu: more than %u fields in one row (is the separator a comma?)",
                  r->row_line, RH_CSV_MAX_FIELDS);
    case LIM_ROW:
      return fail(r, "line %lu: a row longer than %u bytes: probably a double quote (\") that "
                  "is never closed", r->row_line, RH_CSV_MAX_ROW_BYTES);
    case LIM_NOMEM: return fail(r, "line %lu: out of memory", r->row_line);
    case LIM_FIELD:
    case LIM_NONE: break;
  }
  return fail(r, "line %lu: a field longer than %u bytes: probably a double quote (\") that is "
              "never closed", r->row_line, RH_CSV_MAX_FIELD_BYTES);
}

static int pending_error(rh_csv_reader_t *r) {
  switch (r->pending) {
    case P_BAD_UTF8:
      return fail(r, "line %lu: invalid UTF-8 (is the file GBK? try --encoding gbk)", r->line);
    case P_BAD_GB:
      return fail(r, "line %lu: bytes that are not valid GBK/GB18030 (is the file UTF-8? try "
                  "--encoding utf-8)", r->line);
    case P_NUL:
      return fail(r, "line %lu: a NUL byte, which text never holds: the file is damaged or not "
                  "CSV (save it as \"CSV UTF-8 (Comma delimited)\")", r->line);
    case P_CUT:
      return fail(r, "line %lu: the file ends in the middle of a character (was it cut off?)",
                  r->line);
    case P_ICONV:
    case P_NONE: break;
  }
  return fail(r, "line %lu: cannot decode GB18030 (iconv failed)", r->line);
}

static int deliver(rh_csv_reader_t *r, const rh_csv_row_t **row) {
  char *p = r->buf;
  for (size_t i = 0; i < r->nfields; i++) {
    r->fields[i].str = p;
    p += r->fields[i].len + 1;
  }
  r->row.nfields = r->nfields;
  r->row.fields = r->fields;
  r->row.line = r->row_line;
  r->rows++;
  *row = &r->row;
  return 1;
}

int rh_csv_next(rh_csv_reader_t *r, const rh_csv_row_t **row, char *errstr, size_t errstr_size) {
  if (!r || !row) {
    if (row) *row = NULL;
    set_err(errstr, errstr_size, "no reader");
    return -1;
  }
  *row = NULL;
  if (r->state == ST_DONE) return 0;
  if (r->state == ST_FAILED) goto failed;
  r->nfields = 0;
  r->buf_len = 0;
  r->row_done = 0;
  for (;;) {
    while (r->pos < r->text_len) {
      const char *s = r->text + r->pos;
      size_t avail = r->text_len - r->pos;
      size_t k = find_eol(s, avail); /* the piece is s[0..k], line break included */
      size_t len = k < avail ? k + 1 : avail;
      if (!r->in_row && !is_blank(s, k)) {
        r->in_row = 1;
        r->row_line = r->line;
      }
      if (csv_parse(&r->parser, s, len, on_field, on_row, r) != len) {
        parse_error(r);
        goto failed;
      }
      if (k > 0) r->prev_cr = 0;
      if (k < avail) {
        if (s[k] == '\r') {
          r->line++;
          r->prev_cr = 1;
        } else {
          if (!r->prev_cr) r->line++;
          r->prev_cr = 0;
        }
      }
      r->pos += len;
      if (r->limit) {
        limit_error(r);
        goto failed;
      }
      if (csv_get_buffer_size(&r->parser) > RH_CSV_MAX_FIELD_BYTES) {
        r->limit = LIM_FIELD;
        limit_error(r);
        goto failed;
      }
      if (r->row_done) return deliver(r, row);
    }
    if (r->pending) {
      pending_error(r);
      goto failed;
    }
    if (r->eof) {
      if (csv_fini(&r->parser, on_field, on_row, r) != 0) {
        fail(r, "line %lu: unterminated quoted field: a double quote (\") opens a field that is "
             "never closed", r->row_line);
        goto failed;
      }
      if (r->limit) {
        limit_error(r);
        goto failed;
      }
      if (r->row_done) return deliver(r, row);
      if (r->rows == 0) {
        fail(r, "the file has no rows (it is empty or holds only blank lines)");
        goto failed;
      }
      r->state = ST_DONE;
      return 0;
    }
    if (refill(r) != 0) goto failed;
  }

failed:
  set_err(errstr, errstr_size, r->err);
  return -1;
}

/* ---- header helpers ---- */

/* Drop, at both ends, ASCII blanks, U+00A0, U+3000 and U+FEFF. */
static void trim_name(const char **s, size_t *n) {
  const unsigned char *p = (const unsigned char *)*s;
  size_t len = *n;
  for (;;) {
    if (len >= 1 && (p[0] == ' ' || (p[0] >= '\t' && p[0] <= '\r'))) {
      p++, len--;
    } else if (len >= 2 && p[0] == 0xC2 && p[1] == 0xA0) {
      p += 2, len -= 2;
    } else if (len >= 3 && ((p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80) ||
                            (p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF))) {
      p += 3, len -= 3;
    } else {
      break;
    }
  }
  for (;;) {
    const unsigned char *e = p + len;
    if (len >= 1 && (e[-1] == ' ' || (e[-1] >= '\t' && e[-1] <= '\r'))) {
      len--;
    } else if (len >= 2 && e[-2] == 0xC2 && e[-1] == 0xA0) {
      len -= 2;
    } else if (len >= 3 && ((e[-3] == 0xE3 && e[-2] == 0x80 && e[-1] == 0x80) ||
                            (e[-3] == 0xEF && e[-2] == 0xBB && e[-1] == 0xBF))) {
      len -= 3;
    } else {
      break;
    }
  }
  *s = (const char *)p;
  *n = len;
}

int rh_csv_find_column(const rh_csv_row_t *header, const char *name) {
  return rh_csv_find_column_from(header, name, 0);
}

int rh_csv_find_column_from(const rh_csv_row_t *header, const char *name, size_t from) {
  if (!header || !name) return -1;
  const char *want = name;
  size_t want_len = strlen(name);
  trim_name(&want, &want_len);
  for (size_t i = from; i < header->nfields && i < (size_t)RH_CSV_MAX_FIELDS; i++) {
    const char *have = header->fields[i].str;
    size_t have_len = header->fields[i].len;
    trim_name(&have, &have_len);
    if (have_len == want_len && memcmp(have, want, want_len) == 0) return (int)i;
  }
  return -1;
}

void rh_csv_write_field(FILE *fp, const char *s) {
  if (!s) return;
  if (!strpbrk(s, ",\"\r\n")) {
    fputs(s, fp);
    return;
  }
  putc('"', fp);
  for (; *s; s++) {
    if (*s == '"') putc('"', fp);
    putc(*s, fp);
  }
  putc('"', fp);
}
