/* gen: deliberately broken files for one feed (bad/), each defect at a
 * known line, described in bad/MANIFEST.txt. */
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_exit.h"
#include "gen_bad.h"
#include "gen_facts.h"
#include "gen_feeds.h"

#define BAD_ROWS 20 /* data rows: lines 2..21 */

typedef struct {
  const rh_config_t *reg_cfg;
  const rh_config_feed_t *f;
  const char *hdr[GEN_ROW_MAX_FIELDS];
  size_t nh;
  gen_row_t *rows; /* BAD_ROWS */
  gen_row_t *tmp;
  gen_feedgen_t *g;
  const char *dir;
  gen_group_t *grp;
  char *errstr;
  size_t errstr_size;
  FILE *manifest; /* memory stream */
} bad_t;

/* Header index of a canonical column, -1 if the feed has none. */
static int col_index(const rh_config_feed_t *f, int col) {
  if (!f->columns[col]) return -1;
  int k = 0;
  for (int c = 0; c < col; c++)
    if (f->columns[c]) k++;
  return k;
}

/* Replace field i of row by s. */
static void row_set(bad_t *b, gen_row_t *row, size_t i, const char *s) {
  gen_row_t *t = b->tmp;
  t->n = t->used = 0;
  for (size_t k = 0; k < row->n; k++) {
    if (k == i) gen_row_add_n(t, s, strlen(s));
    else gen_row_add_n(t, row->buf + row->off[k], row->len[k]);
  }
  memcpy(row, t, sizeof(*row));
}

/* Commas, quotes and line breaks become their full-width forms, so that the
 * placed defects are the only surprises in a file. */
static void row_sanitize(bad_t *b, gen_row_t *row) {
  for (size_t k = 0; k < row->n; k++) {
    const char *s = row->buf + row->off[k];
    if (!strpbrk(s, ",\"\r\n")) continue;
    char out[1024];
    size_t o = 0;
    for (; *s && o + 4 < sizeof(out); s++) {
      const char *rep = *s == ',' ? "，" : *s == '"' ? "”" : (*s == '\r' || *s == '\n') ? " " : NULL;
      if (rep) {
        size_t n = strlen(rep);
        memcpy(out + o, rep, n);
        o += n;
      } else {
        out[o++] = *s;
      }
    }
    out[o] = '\0';
    row_set(b, row, k, out);
  }
}

static void emit_header(gen_out_t *w, const bad_t *b, size_t misspelt_id) {
  for (size_t i = 0; i < b->nh; i++) {
    if (i == 0 && misspelt_id) {
      /* 身份证号 -> 身分证号, the commonest slip; otherwise a stray prefix */
      const char *h = b->hdr[0];
      const char *p = strstr(h, "身份");
      char buf[256];
      if (p)
        snprintf(buf, sizeof(buf), "%.*s身分%s", (int)(p - h), h, p + strlen("身份"));
      else
        snprintf(buf, sizeof(buf), "ID_%s", h);
      gen_out_field(w, buf);
    } else {
      gen_out_field(w, b->hdr[i]);
    }
  }
  gen_out_end_row(w, false);
}

static void emit_row(gen_out_t *w, const gen_row_t *row) {
  for (size_t k = 0; k < row->n; k++) gen_out_field_n(w, row->buf + row->off[k], row->len[k]);
  gen_out_end_row(w, true);
}

static void emit_all(gen_out_t *w, const bad_t *b, const gen_row_t *rows) {
  emit_header(w, b, 0);
  for (size_t i = 0; i < BAD_ROWS; i++) emit_row(w, &rows[i]);
}

static int open_file(bad_t *b, gen_out_t *w, const char *name, bool bom, bool crlf) {
  char path[4096];
  if ((size_t)snprintf(path, sizeof(path), "%s/%s", b->dir, name) >= sizeof(path)) {
    gen_set_err(b->errstr, b->errstr_size, "%s/%s: path too long", b->dir, name);
    return -1;
  }
  return gen_out_open(w, path, bom, crlf, b->errstr, b->errstr_size);
}

static int close_file(bad_t *b, gen_out_t *w) {
  uint64_t rows = w->rows, bytes = w->bytes;
  if (gen_out_close(w, b->errstr, b->errstr_size)) return -1;
  b->grp->files++;
  b->grp->rows += rows;
  b->grp->bytes += bytes;
  return 0;
}

static int write_raw(bad_t *b, const char *name, const void *data, size_t len, uint64_t rows) {
  char path[4096];
  if ((size_t)snprintf(path, sizeof(path), "%s/%s", b->dir, name) >= sizeof(path)) {
    gen_set_err(b->errstr, b->errstr_size, "%s/%s: path too long", b->dir, name);
    return -1;
  }
  if (gen_write_file(path, data, len, b->errstr, b->errstr_size)) return -1;
  b->grp->files++;
  b->grp->rows += rows;
  b->grp->bytes += len;
  return 0;
}

/* A copy of the base rows. */
static gen_row_t *copy_rows(const bad_t *b) {
  gen_row_t *r = malloc(BAD_ROWS * sizeof(*r));
  if (r) memcpy(r, b->rows, BAD_ROWS * sizeof(*r));
  return r;
}

/* Excel's General format of an 18-digit number: 6 significant digits,
 * trailing zeros dropped, "4.11024E+17". */
static void excel_scientific(const char *id, char *out, size_t n) {
  long lead = 0;
  for (int i = 0; i < 6; i++) lead = lead * 10 + (id[i] - '0');
  int exp = 17;
  if (id[6] >= '5') lead++;
  if (lead == 1000000) lead = 100000, exp = 18;
  char d[8];
  snprintf(d, sizeof(d), "%06ld", lead);
  int last = 5;
  while (last > 0 && d[last] == '0') last--;
  if (last == 0) snprintf(out, n, "%cE+%d", d[0], exp);
  else snprintf(out, n, "%c.%.*sE+%d", d[0], last, d + 1, exp);
}

/* A conversion with iconv(3). Returns a new buffer or NULL. */
static char *convert(const char *to, const char *in, size_t len, size_t *out_len) {
  iconv_t cd = iconv_open(to, "UTF-8");
  if (cd == (iconv_t)-1) return NULL;
  size_t cap = len * 2 + 16;
  char *out = malloc(cap);
  if (!out) {
    iconv_close(cd);
    return NULL;
  }
  char *ip = (char *)in, *op = out;
  size_t il = len, ol = cap;
  size_t rc = iconv(cd, &ip, &il, &op, &ol);
  if (rc != (size_t)-1) rc = iconv(cd, NULL, NULL, &op, &ol);
  iconv_close(cd);
  if (rc == (size_t)-1 || il != 0) {
    free(out);
    return NULL;
  }
  *out_len = (size_t)(op - out);
  return out;
}

/* The rows as one UTF-8 buffer (memory mode). */
static char *render(const bad_t *b, bool crlf, size_t *len) {
  gen_out_t w;
  if (gen_out_open(&w, NULL, false, crlf, NULL, 0)) return NULL;
  emit_all(&w, b, b->rows);
  return gen_out_take(&w, len);
}

/* Pick the next generated row whose ID is all digits (Excel can only mangle
 * a number) and, if zeroed, still fails its check after zeroing. */
static void digit_row(bad_t *b, gen_row_t *row, bool zeroed) {
  for (int tries = 0; tries < 10000; tries++) {
    const char *id = row->buf + row->off[0];
    if (row->len[0] == RH_ID_LEN && id[17] != 'X') {
      if (!zeroed) return;
      char z[RH_ID_BUFSZ];
      memcpy(z, id, RH_ID_BUFSZ);
      memcpy(z + 15, "000", 3);
      if (rh_id_check_char(z) != '0') return;
    }
    long pi;
    gen_feedgen_row(b->g, row, &pi);
    row_sanitize(b, row);
  }
}

static void manifest_lines(FILE *m, const int *lines, size_t n) {
  for (size_t i = 0; i < n; i++) fprintf(m, "%s%d", i ? "," : "", lines[i]);
}

static int write_all(bad_t *b, const char *period, int year) {
  const rh_config_feed_t *f = b->f;
  FILE *m = b->manifest;
  gen_out_t w;
  gen_row_t *rows = NULL;
  char buf[256];
  int rc = -1;

  /* gbk.csv */
  size_t ulen = 0, clen = 0;
  char *utf8 = render(b, false, &ulen);
  char *conv = utf8 ? convert("GBK", utf8, ulen, &clen) : NULL;
  if (!conv) {
    gen_set_err(b->errstr, b->errstr_size, "iconv UTF-8 -> GBK failed for bad/gbk.csv");
    free(utf8);
    return RH_EXIT_SOFTWARE;
  }
  int wrc = write_raw(b, "gbk.csv", conv, clen, BAD_ROWS);
  free(conv);
  free(utf8);
  if (wrc) return -1;
  fprintf(m, "gbk.csv: the whole file is GBK-encoded (Excel's plain \"CSV\" on Chinese Windows), "
             "otherwise valid; not UTF-8 from line 1 on; lines 1-%d\n", BAD_ROWS + 1);

  /* bom.csv */
  if (open_file(b, &w, "bom.csv", true, false)) return -1;
  emit_all(&w, b, b->rows);
  if (close_file(b, &w)) return -1;
  fprintf(m, "bom.csv: valid; UTF-8 with a byte-order mark (EF BB BF) before the header; line 1\n");

  /* broken-quotes.csv: line 6 opens a quote that nothing closes */
  {
    int line = 6;
    size_t fi = col_index(f, RH_COL_NAME) >= 0 ? (size_t)col_index(f, RH_COL_NAME) : b->nh - 1;
    if (open_file(b, &w, "broken-quotes.csv", false, false)) return -1;
    emit_header(&w, b, 0);
    for (int i = 0; i < BAD_ROWS; i++) {
      const gen_row_t *row = &b->rows[i];
      if (i + 2 != line) {
        emit_row(&w, row);
        continue;
      }
      for (size_t k = 0; k < row->n; k++) {
        if (k == fi) {
          snprintf(buf, sizeof(buf), "\"%s", row->buf + row->off[k]);
          gen_out_field_raw(&w, buf, strlen(buf));
        } else {
          gen_out_field_n(&w, row->buf + row->off[k], row->len[k]);
        }
      }
      gen_out_end_row(&w, true);
    }
    if (close_file(b, &w)) return -1;
    fprintf(m, "broken-quotes.csv: unterminated quoted field: the %s field opens a double quote "
               "that is never closed (a strict parser reads on to the end of the file); line %d\n",
            b->hdr[fi], line);
  }

  /* wrong-checksum.csv */
  {
    static const int lines[] = {4, 9, 15};
    if (!(rows = copy_rows(b))) goto oom;
    rh_rng_t *r = gen_feedgen_rng(b->g);
    for (size_t i = 0; i < 3; i++) {
      gen_row_t *row = &rows[lines[i] - 2];
      char id[RH_ID_BUFSZ];
      memcpy(id, row->buf + row->off[0], RH_ID_BUFSZ);
      char good = id[17], c;
      do {
        c = "0123456789X"[rh_rng_below(r, 11)];
      } while (c == good || (c == '0' && id[15] == '0' && id[16] == '0'));
      id[17] = c;
      row_set(b, row, 0, id);
    }
    if (open_file(b, &w, "wrong-checksum.csv", false, false)) goto fail;
    emit_all(&w, b, rows);
    if (close_file(b, &w)) goto fail;
    fprintf(m, "wrong-checksum.csv: ID number with a wrong check character (last character); "
               "lines ");
    manifest_lines(m, lines, 3);
    fprintf(m, "\n");
    free(rows);
    rows = NULL;
  }

  /* excel-mangled.csv */
  {
    static const int sci[] = {3, 5}, zero[] = {7, 8, 10};
    if (!(rows = copy_rows(b))) goto oom;
    for (size_t i = 0; i < 2; i++) {
      gen_row_t *row = &rows[sci[i] - 2];
      digit_row(b, row, false);
      excel_scientific(row->buf + row->off[0], buf, sizeof(buf));
      row_set(b, row, 0, buf);
    }
    for (size_t i = 0; i < 3; i++) {
      gen_row_t *row = &rows[zero[i] - 2];
      digit_row(b, row, true);
      snprintf(buf, sizeof(buf), "%.15s000", row->buf + row->off[0]);
      row_set(b, row, 0, buf);
    }
    if (open_file(b, &w, "excel-mangled.csv", false, true)) goto fail;
    emit_all(&w, b, rows);
    if (close_file(b, &w)) goto fail;
    fprintf(m, "excel-mangled.csv: ID numbers that Excel turned into numbers: scientific notation "
               "(like 4.11024E+17) at lines ");
    manifest_lines(m, sci, 2);
    fprintf(m, "; last 3 digits zeroed (15 significant digits kept) at lines ");
    manifest_lines(m, zero, 3);
    fprintf(m, "\n");
    free(rows);
    rows = NULL;
  }

  /* ragged.csv */
  {
    static const int few[] = {5, 12}, many[] = {8};
    if (open_file(b, &w, "ragged.csv", false, false)) return -1;
    emit_header(&w, b, 0);
    for (int i = 0; i < BAD_ROWS; i++) {
      const gen_row_t *row = &b->rows[i];
      int line = i + 2;
      size_t n = row->n;
      if (line == few[0]) n = n > 2 ? n - 2 : 1;
      if (line == few[1]) n = 1;
      for (size_t k = 0; k < n; k++) gen_out_field_n(&w, row->buf + row->off[k], row->len[k]);
      if (line == many[0]) {
        gen_out_field(&w, "备注");
        gen_out_field(&w, "");
      }
      gen_out_end_row(&w, true);
    }
    if (close_file(b, &w)) return -1;
    fprintf(m, "ragged.csv: rows with the wrong number of fields (the header has %zu): too few "
               "at lines %d,%d; too many at line %d\n",
            b->nh, few[0], few[1], many[0]);
  }

  /* wrong-header.csv */
  if (open_file(b, &w, "wrong-header.csv", false, false)) return -1;
  emit_header(&w, b, 1);
  for (int i = 0; i < BAD_ROWS; i++) emit_row(&w, &b->rows[i]);
  if (close_file(b, &w)) return -1;
  fprintf(m, "wrong-header.csv: the ID number column's header (%s) is misspelt; line 1\n",
          b->hdr[0]);

  /* blank-trailing.csv */
  if (open_file(b, &w, "blank-trailing.csv", false, false)) return -1;
  emit_all(&w, b, b->rows);
  for (int i = 0; i < 3; i++) gen_out_end_row(&w, false);
  if (close_file(b, &w)) return -1;
  fprintf(m, "blank-trailing.csv: valid, with 3 blank lines after the last row; lines %d-%d\n",
          BAD_ROWS + 2, BAD_ROWS + 4);

  /* bad-values.csv */
  {
    int ai = col_index(f, RH_COL_AMOUNT), di = col_index(f, RH_COL_EVENT_DATE),
        ti = col_index(f, RH_COL_TOWNSHIP);
    static const char *const unknown[] = {"桃源镇", "幸福乡", "青山镇", "绿水乡", "无名镇"};
    const char *town = unknown[0];
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
      if (!rh_config_township_find(b->reg_cfg, unknown[i])) {
        town = unknown[i];
        break;
      }
    char date[16];
    snprintf(date, sizeof(date), "%04d-02-30", year);
    if (!(rows = copy_rows(b))) goto oom;
    if (ai >= 0) row_set(b, &rows[3 - 2], (size_t)ai, "约5000元");
    if (di >= 0) row_set(b, &rows[6 - 2], (size_t)di, date);
    if (ti >= 0) row_set(b, &rows[9 - 2], (size_t)ti, town);
    if (open_file(b, &w, "bad-values.csv", false, false)) goto fail;
    emit_all(&w, b, rows);
    if (close_file(b, &w)) goto fail;
    fprintf(m, "bad-values.csv:");
    const char *sep = " ";
    if (ai >= 0) fprintf(m, "%sunparsable amount (约5000元) at line 3", sep), sep = "; ";
    if (di >= 0) fprintf(m, "%simpossible date (%s) at line 6", sep, date), sep = "; ";
    if (ti >= 0) fprintf(m, "%sunknown township (%s) at line 9", sep, town), sep = "; ";
    if (ai < 0 && di < 0 && ti < 0) fprintf(m, " (the feed has no amount, date or township: valid)");
    fprintf(m, "\n");
    free(rows);
    rows = NULL;
  }

  /* utf16.csv */
  utf8 = render(b, true, &ulen);
  conv = utf8 ? convert("UTF-16LE", utf8, ulen, &clen) : NULL;
  free(utf8);
  if (!conv) {
    gen_set_err(b->errstr, b->errstr_size, "iconv UTF-8 -> UTF-16LE failed for bad/utf16.csv");
    return RH_EXIT_SOFTWARE;
  }
  {
    char *with_bom = malloc(clen + 2);
    if (!with_bom) {
      free(conv);
      goto oom;
    }
    with_bom[0] = (char)0xFF;
    with_bom[1] = (char)0xFE;
    memcpy(with_bom + 2, conv, clen);
    free(conv);
    wrc = write_raw(b, "utf16.csv", with_bom, clen + 2, BAD_ROWS);
    free(with_bom);
    if (wrc) return -1;
  }
  fprintf(m, "utf16.csv: the whole file is UTF-16LE with a byte-order mark (FF FE) and CRLF "
             "(Excel's \"Unicode text\"), otherwise valid; lines 1-%d\n", BAD_ROWS + 1);

  /* fake.xlsx: a ZIP local file header, as every .xlsx starts */
  {
    static const char name[] = "[Content_Types].xml";
    static const char body[] = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
                               "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/"
                               "content-types\"></Types>\n";
    unsigned char z[512];
    size_t nl = sizeof(name) - 1, bl = sizeof(body) - 1, o = 0;
    static const unsigned char head[] = {'P', 'K', 3, 4, 20, 0, 0, 0, 0, 0, 0, 0, 0x21, 0x5A};
    memcpy(z, head, sizeof(head));
    o = sizeof(head);
    memset(z + o, 0, 4); /* CRC-32 left 0: the file is a fake */
    o += 4;
    for (int k = 0; k < 2; k++) { /* compressed and uncompressed size */
      z[o++] = (unsigned char)(bl & 0xFF);
      z[o++] = (unsigned char)(bl >> 8);
      z[o++] = 0;
      z[o++] = 0;
    }
    z[o++] = (unsigned char)nl;
    z[o++] = 0;
    z[o++] = 0;
    z[o++] = 0;
    memcpy(z + o, name, nl);
    o += nl;
    memcpy(z + o, body, bl);
    o += bl;
    if (write_raw(b, "fake.xlsx", z, o, 0)) return -1;
    fprintf(m, "fake.xlsx: an Excel workbook, not CSV (starts with the ZIP magic PK\\x03\\x04); "
               "line 1\n");
  }
  rc = 0;
  return rc;

oom:
  gen_set_err(b->errstr, b->errstr_size, "out of memory");
  free(rows);
  return RH_EXIT_SOFTWARE;
fail:
  free(rows);
  return -1;
}

int gen_bad_write(const gen_registry_t *reg, uint64_t seed, const char *period,
                     const char *dir, gen_group_t *g, char *errstr, size_t errstr_size) {
  const rh_config_t *cfg = reg->cfg;
  bad_t b;
  memset(&b, 0, sizeof(b));
  b.f = gen_bad_feed(cfg);
  b.reg_cfg = cfg;
  b.dir = dir;
  b.grp = g;
  b.errstr = errstr;
  b.errstr_size = errstr_size;
  char stream[512], *mtext = NULL;
  size_t mlen = 0;
  int rc = RH_EXIT_SOFTWARE;
  snprintf(stream, sizeof(stream), "bad:%s/%s:%s", b.f->department->code, b.f->code, period);
  size_t di = (size_t)(b.f->department - cfg->departments);
  b.g = gen_feedgen_new(reg, b.f, di, seed, stream, true);
  b.rows = malloc(BAD_ROWS * sizeof(*b.rows));
  b.tmp = malloc(sizeof(*b.tmp));
  b.manifest = open_memstream(&mtext, &mlen);
  if (!b.g || !b.rows || !b.tmp || !b.manifest) {
    gen_set_err(errstr, errstr_size, "out of memory");
    goto cleanup;
  }
  gen_feedgen_set_plain(b.g, true);
  b.nh = gen_feedgen_header(b.g, b.hdr, GEN_ROW_MAX_FIELDS);
  for (int i = 0; i < BAD_ROWS; i++) {
    long pi;
    gen_feedgen_row(b.g, &b.rows[i], &pi);
    row_sanitize(&b, &b.rows[i]);
  }
  fprintf(b.manifest,
          "# riskhub-gen bad files: each is a list of %s/%s for %s with %d data rows (lines "
          "2-%d; line 1 is the header; lines are physical lines, as a clerk sees them). One line "
          "a file: what is wrong; where. Files not named here do not exist.\n",
          b.f->department->code, b.f->code, period, BAD_ROWS, BAD_ROWS + 1);
  int year = 0, month = 0;
  gen_parse_period(period, &year, &month);
  int wrc = write_all(&b, period, year);
  if (wrc != 0) {
    rc = wrc > 0 ? wrc : RH_EXIT_IOERR;
    goto cleanup;
  }
  fclose(b.manifest);
  b.manifest = NULL;
  if (write_raw(&b, "MANIFEST.txt", mtext, mlen, 0)) {
    rc = RH_EXIT_IOERR;
    goto cleanup;
  }
  rc = RH_EXIT_OK;

cleanup:
  if (b.manifest) fclose(b.manifest);
  free(mtext);
  gen_feedgen_destroy(b.g);
  free(b.rows);
  free(b.tmp);
  return rc;
}
