#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rh_csv.h"
#include "rh_encoding.h"
#include "rh_test.h"

#ifndef RH_SOURCE_DIR
#define RH_SOURCE_DIR "."
#endif

static void fixture(const char *name, char *buf, size_t n) {
  snprintf(buf, n, "%s/tests/data/csv/%s", rh_test_source_dir(), name);
}

/* ---- a reader's whole output as one string ----
 * Each row is "<line>:<field>|<field>|...\n", with CR and LF inside fields
 * shown as \r and \n. status: 0 end, -1 error in next (err), -2 open failed. */
typedef struct {
  int status;
  char err[512];
  char *dump;
  size_t dump_len, dump_cap;
  size_t rows;
  unsigned long last_line;
  rh_encoding_t enc;
  uint64_t bytes;
} result_t;

static void put(result_t *res, const char *s, size_t n) {
  if (res->dump_len + n + 1 > res->dump_cap) {
    size_t cap = res->dump_cap ? res->dump_cap : 1024;
    while (cap < res->dump_len + n + 1) cap *= 2;
    res->dump = realloc(res->dump, cap);
    assert_non_null(res->dump);
    res->dump_cap = cap;
  }
  memcpy(res->dump + res->dump_len, s, n);
  res->dump_len += n;
  res->dump[res->dump_len] = '\0';
}

static void drain(rh_csv_reader_t *r, result_t *res) {
  const rh_csv_row_t *row;
  int rc;
  put(res, "", 0);
  while ((rc = rh_csv_next(r, &row, res->err, sizeof res->err)) == 1) {
    char head[32];
    put(res, head, (size_t)snprintf(head, sizeof head, "%lu:", row->line));
    assert_true(row->nfields >= 1);
    for (size_t i = 0; i < row->nfields; i++) {
      const rh_csv_field_t *f = &row->fields[i];
      assert_int_equal(strlen(f->str), f->len);
      if (i) put(res, "|", 1);
      for (size_t k = 0; k < f->len; k++) {
        if (f->str[k] == '\n') put(res, "\\n", 2);
        else if (f->str[k] == '\r') put(res, "\\r", 2);
        else put(res, f->str + k, 1);
      }
    }
    put(res, "\n", 1);
    res->rows++;
    res->last_line = row->line;
  }
  assert_null(row);
  res->status = rc;
  res->enc = rh_csv_encoding(r);
  res->bytes = rh_csv_bytes_read(r);
}

static void run_path(const char *path, rh_encoding_t enc, result_t *res) {
  memset(res, 0, sizeof *res);
  rh_csv_reader_t *r = rh_csv_open(path, enc, res->err, sizeof res->err);
  if (!r) {
    res->status = -2;
    return;
  }
  drain(r, res);
  rh_csv_close(r);
}

static void run_fixture(const char *name, rh_encoding_t enc, result_t *res) {
  char path[1024];
  fixture(name, path, sizeof path);
  run_path(path, enc, res);
}

/* Through a real FILE* (tmpfile: NUL bytes and empty input are fine). */
static void run_mem(const void *data, size_t len, rh_encoding_t enc, result_t *res) {
  memset(res, 0, sizeof *res);
  FILE *fp = tmpfile();
  assert_non_null(fp);
  assert_int_equal(fwrite(data, 1, len, fp), len);
  rewind(fp);
  rh_csv_reader_t *r = rh_csv_open_fp(fp, enc, res->err, sizeof res->err);
  if (r) {
    drain(r, res);
    rh_csv_close(r);
  } else {
    res->status = -2;
  }
  fclose(fp);
}

static void run_str(const char *s, result_t *res) { run_mem(s, strlen(s), RH_ENC_AUTO, res); }

static void done(result_t *res) { free(res->dump); }

static void assert_contains(const char *hay, const char *needle) {
  if (!strstr(hay, needle)) fail_msg("expected \"%s\" in \"%s\"", needle, hay);
}

/* A temporary file path; the file is created by the caller. */
static void tmp_path(char *buf, size_t n) {
  snprintf(buf, n, "/tmp/rh_test_csv_XXXXXX");
  int fd = mkstemp(buf);
  assert_true(fd >= 0);
  close(fd);
}

/* ---- RFC 4180 quoting, line endings, blank lines ---- */

static void test_quoted_fields(void **state) {
  (void)state;
  result_t res;
  run_str("a,b,c\n"
          "1,\"x,y\",\"say \"\"hi\"\"\"\n"
          "2,\"line1\nline2\nline3\",z\n"
          "3,,\n"
          "\"\",\"\",\"\"\n"
          "\"only\"\n",
          &res);
  assert_int_equal(res.status, 0);
  assert_string_equal(res.dump, "1:a|b|c\n"
                                "2:1|x,y|say \"hi\"\n"
                                "3:2|line1\\nline2\\nline3|z\n"
                                "6:3||\n"
                                "7:||\n"
                                "8:only\n");
  assert_int_equal(res.enc, RH_ENC_UTF8);
  done(&res);

  /* Blanks around unquoted fields and around quotes are dropped, kept inside. */
  run_str("  a  , \" b \" ,c\t\n", &res);
  assert_int_equal(res.status, 0);
  assert_string_equal(res.dump, "1:a| b |c\n");
  done(&res);
}

static void test_line_endings(void **state) {
  (void)state;
  static const struct {
    const char *eol, *shown;
  } eols[] = {{"\n", "\\n"}, {"\r\n", "\\r\\n"}, {"\r", "\\r"}};
  for (size_t i = 0; i < 3; i++) {
    const char *e = eols[i].eol;
    char in[256], want[256];
    result_t res;
    snprintf(in, sizeof in, "h1,h2%sa,\"b%sc\"%s%sd,e%slast,row", e, e, e, e, e);
    snprintf(want, sizeof want, "1:h1|h2\n2:a|b%sc\n5:d|e\n6:last|row\n", eols[i].shown);
    run_str(in, &res);
    assert_int_equal(res.status, 0);
    assert_string_equal(res.dump, want);
    done(&res);
  }
  /* Mixed: LF, CRLF and CR in one file. */
  result_t res;
  run_str("a\nb\r\nc\rd\r\n\r\ne\n", &res);
  assert_int_equal(res.status, 0);
  assert_string_equal(res.dump, "1:a\n2:b\n3:c\n4:d\n6:e\n");
  done(&res);
}

static void test_blank_lines(void **state) {
  (void)state;
  result_t res;
  run_str("\n\n  \na,b\n\n \t \n,,\nc,d\n\n\n   \n", &res);
  assert_int_equal(res.status, 0);
  assert_string_equal(res.dump, "4:a|b\n7:||\n8:c|d\n"); /* ",," is a row of empty fields */
  done(&res);

  run_str("a,b\r\n\r\n\r\n", &res);
  assert_int_equal(res.status, 0);
  assert_string_equal(res.dump, "1:a|b\n");
  done(&res);
}

static void test_ragged_rows(void **state) {
  (void)state;
  const char *in = "a,b,c\n1,2\n1,2,3,4\nx\n";
  FILE *fp = fmemopen((void *)in, strlen(in), "r");
  assert_non_null(fp);
  char err[256];
  rh_csv_reader_t *r = rh_csv_open_fp(fp, RH_ENC_AUTO, err, sizeof err);
  assert_non_null(r);
  const rh_csv_row_t *row;
  static const size_t want[] = {3, 2, 4, 1};
  for (size_t i = 0; i < 4; i++) {
    assert_int_equal(rh_csv_next(r, &row, err, sizeof err), 1);
    assert_int_equal(row->nfields, want[i]);
    assert_int_equal(row->line, i + 1);
  }
  assert_string_equal(row->fields[0].str, "x");
  assert_int_equal(rh_csv_next(r, &row, err, sizeof err), 0);
  assert_int_equal(rh_csv_next(r, &row, err, sizeof err), 0); /* and stays at the end */
  rh_csv_close(r);
  fclose(fp); /* still ours */
}

/* ---- strict quoting: errors at the line where the row starts ---- */

static void test_broken_quotes(void **state) {
  (void)state;
  result_t res;
  /* A quote in the middle of an unquoted field; the row holds an ID number
   * that must not appear in the message. */
  run_str("h1,h2\nok,1\n11010519491231002X,ab\"c\nx,y\n", &res);
  assert_int_equal(res.status, -1);
  assert_string_equal(res.dump, "1:h1|h2\n2:ok|1\n");
  assert_contains(res.err, "line 3: a double quote");
  assert_null(strstr(res.err, "11010519491231002X"));
  assert_null(strstr(res.err, "ab"));
  done(&res);

  /* Text after a closing quote. */
  run_str("h1,h2\n\"ab\"c,2\n", &res);
  assert_int_equal(res.status, -1);
  assert_contains(res.err, "line 2: text after the closing quote");
  done(&res);

  /* A quote opened on line 3 is never closed. */
  run_str("h1,h2\nok,1\n\"multi\nline,2\nx,y\nz\n", &res);
  assert_int_equal(res.status, -1);
  assert_string_equal(res.dump, "1:h1|h2\n2:ok|1\n");
  assert_contains(res.err, "line 3: unterminated quoted field");
  done(&res);

  /* A quote opened on line 4 (after a row spanning lines 2-3) goes wrong on line 6. */
  run_str("h\n\"a\nb\"\n\"abc\nd\ne\"f\n", &res);
  assert_int_equal(res.status, -1);
  assert_string_equal(res.dump, "1:h\n2:a\\nb\n");
  assert_contains(res.err, "line 4: text after the closing quote");
  assert_contains(res.err, "the row starts on line 4; the problem is on line 6");
  done(&res);

  /* Unterminated at the very end, without a final line break. */
  run_str("a\nb\n\"c", &res);
  assert_int_equal(res.status, -1);
  assert_contains(res.err, "line 3: unterminated quoted field");
  done(&res);
}

/* ---- encodings ---- */

static void test_bom_stripped(void **state) {
  (void)state;
  result_t plain, bom;
  run_fixture("twin_utf8.csv", RH_ENC_AUTO, &plain);
  run_fixture("twin_utf8_bom.csv", RH_ENC_AUTO, &bom);
  assert_int_equal(plain.status, 0);
  assert_int_equal(bom.status, 0);
  assert_int_equal(bom.enc, RH_ENC_UTF8);
  assert_string_equal(plain.dump, bom.dump);
  static const char head[] = "1:身份证号|姓名|乡镇|自付金额\n";
  assert_true(strncmp(bom.dump, head, strlen(head)) == 0);
  assert_int_equal(bom.bytes, plain.bytes + 3);
  struct stat st;
  char path[1024];
  fixture("twin_utf8_bom.csv", path, sizeof path);
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(bom.bytes, (uint64_t)st.st_size);
  done(&plain);
  done(&bom);
}

static const char twin_dump[] =
    "1:身份证号|姓名|乡镇|自付金额\n"
    "2:11010519491231002X|张三|安陵镇|12000.50\n"
    "3:411024198001010038|李四,Jr|马栏镇|10,500.00\n"
    "4:411024199203150025|王\"小\"明|柏梁镇|8000\n"
    "5:411024197007070037|赵\\r\\n六|陈化店镇|6500.5\n"
    "7:411024200001010011|欧阳㐀|望田镇|\n";

static void test_gbk_twin(void **state) {
  (void)state;
  result_t utf8, gbk;
  run_fixture("twin_utf8.csv", RH_ENC_AUTO, &utf8);
  run_fixture("twin_gbk.csv", RH_ENC_AUTO, &gbk);
  assert_int_equal(utf8.status, 0);
  assert_int_equal(gbk.status, 0);
  assert_int_equal(utf8.enc, RH_ENC_UTF8);
  assert_int_equal(gbk.enc, RH_ENC_GB18030);
  assert_string_equal(gbk.dump, utf8.dump);
  assert_string_equal(gbk.dump, twin_dump);
  assert_int_equal(gbk.rows, 6);
  assert_int_equal(gbk.last_line, 7);
  done(&utf8);
  done(&gbk);
}

static void test_forced_encoding(void **state) {
  (void)state;
  result_t res;
  run_fixture("twin_gbk.csv", RH_ENC_GB18030, &res);
  assert_int_equal(res.status, 0);
  assert_int_equal(res.enc, RH_ENC_GB18030);
  assert_string_equal(res.dump, twin_dump);
  done(&res);

  /* GBK read as UTF-8: fails on the first line, with the hint. */
  run_fixture("twin_gbk.csv", RH_ENC_UTF8, &res);
  assert_int_equal(res.status, -1);
  assert_int_equal(res.rows, 0);
  assert_string_equal(res.err, "line 1: invalid UTF-8 (is the file GBK? try --encoding gbk)");
  done(&res);

  /* A UTF-8 byte-order mark wins over a forced GBK. */
  run_fixture("twin_utf8_bom.csv", RH_ENC_GB18030, &res);
  assert_int_equal(res.status, 0);
  assert_int_equal(res.enc, RH_ENC_UTF8);
  assert_string_equal(res.dump, twin_dump);
  done(&res);

  /* UTF-8 (no mark) forced to GBK: 镇 = E9 95 87, and 87 then ',' is not GB18030. */
  run_mem("h\n\xE9\x95\x87,1\n", 8, RH_ENC_GB18030, &res);
  assert_int_equal(res.status, -1);
  assert_string_equal(res.dump, "1:h\n");
  assert_contains(res.err, "line 2: bytes that are not valid GBK/GB18030");
  assert_contains(res.err, "--encoding utf-8");
  done(&res);

  /* Pure ASCII is the same in both. */
  run_mem("a,b\n1,2\n", 8, RH_ENC_GB18030, &res);
  assert_int_equal(res.status, 0);
  assert_int_equal(res.enc, RH_ENC_GB18030);
  assert_string_equal(res.dump, "1:a|b\n2:1|2\n");
  done(&res);
}

static void test_encoding_names(void **state) {
  (void)state;
  static const struct {
    const char *name;
    rh_encoding_t enc;
  } ok[] = {{"utf-8", RH_ENC_UTF8},       {"UTF8", RH_ENC_UTF8},         {"Utf-8", RH_ENC_UTF8},
            {"gbk", RH_ENC_GB18030},      {"GBK", RH_ENC_GB18030},       {"gb2312", RH_ENC_GB18030},
            {"GB18030", RH_ENC_GB18030},  {" cp936 ", RH_ENC_GB18030},   {"auto", RH_ENC_AUTO}};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    rh_encoding_t e = (rh_encoding_t)99;
    assert_int_equal(rh_encoding_parse(ok[i].name, &e), 0);
    assert_int_equal(e, ok[i].enc);
  }
  rh_encoding_t e = RH_ENC_UTF8;
  assert_int_equal(rh_encoding_parse("latin1", &e), -1);
  assert_int_equal(rh_encoding_parse("utf-16", &e), -1);
  assert_int_equal(rh_encoding_parse("", &e), -1);
  assert_int_equal(rh_encoding_parse(NULL, &e), -1);
  assert_int_equal(e, RH_ENC_UTF8);
  assert_string_equal(rh_encoding_name(RH_ENC_UTF8), "UTF-8");
  assert_string_equal(rh_encoding_name(RH_ENC_GB18030), "GB18030");
  assert_string_equal(rh_encoding_name(RH_ENC_AUTO), "auto");
}

static void test_utf8_check(void **state) {
  (void)state;
  static const struct {
    const char *s;
    size_t n, valid;
    rh_utf8_status_t st;
  } cases[] = {
      {"abc", 3, 3, RH_UTF8_OK},
      {"\xE4\xB9\xA1\xE9\x95\x87", 6, 6, RH_UTF8_OK},         /* 乡镇 */
      {"a\xF0\xA0\x80\x80", 5, 5, RH_UTF8_OK},                  /* U+20000 */
      {"a\xC0\x80", 3, 1, RH_UTF8_INVALID},                     /* overlong NUL */
      {"a\xE0\x80\x80", 4, 1, RH_UTF8_INVALID},                 /* overlong */
      {"a\xED\xA0\x80", 4, 1, RH_UTF8_INVALID},                 /* surrogate */
      {"a\xF4\x90\x80\x80", 5, 1, RH_UTF8_INVALID},             /* above U+10FFFF */
      {"a\xE9\x95", 3, 1, RH_UTF8_TRUNCATED},                   /* cut off */
      {"a\xE9\x95x", 4, 1, RH_UTF8_INVALID},                    /* not cut off: broken */
      {"a\xD5\xF2", 3, 1, RH_UTF8_INVALID},                     /* GBK 镇 */
      {"abcdefghij\0kl", 13, 10, RH_UTF8_NUL},                  /* NUL after the fast path */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    rh_utf8_status_t st;
    size_t v = rh_utf8_check((const unsigned char *)cases[i].s, cases[i].n, &st);
    if (v != cases[i].valid || st != cases[i].st)
      fail_msg("case %zu: got %zu/%d, want %zu/%d", i, v, (int)st, cases[i].valid, (int)cases[i].st);
  }
}

static int sniff(const char *s, size_t n, int at_eof, rh_encoding_t forced, rh_encoding_t *e,
                 size_t *bom, char *err, size_t errsz) {
  return rh_encoding_sniff((const unsigned char *)s, n, at_eof, forced, e, bom, err, errsz);
}

static void test_sniff(void **state) {
  (void)state;
  char err[256];
  rh_encoding_t e;
  size_t bom;
  assert_int_equal(sniff("a,b\n", 4, 1, RH_ENC_AUTO, &e, &bom, err, sizeof err), 0);
  assert_int_equal(e, RH_ENC_UTF8);
  assert_int_equal(bom, 0);
  assert_int_equal(sniff("\xEF\xBB\xBF" "a", 4, 1, RH_ENC_GB18030, &e, &bom, err, sizeof err), 0);
  assert_int_equal(e, RH_ENC_UTF8);
  assert_int_equal(bom, 3);
  /* GBK 乡 and half of 镇, cut off by the chunk's end (not the file's): GB18030. */
  assert_int_equal(sniff("\xCF\xE7\xD5", 3, 0, RH_ENC_AUTO, &e, &bom, err, sizeof err), 0);
  assert_int_equal(e, RH_ENC_GB18030);
  /* ... cut off at the end of the file: neither. */
  assert_int_equal(sniff("\xCF\xE7\xD5", 3, 1, RH_ENC_AUTO, &e, &bom, err, sizeof err), -1);
  assert_contains(err, "neither UTF-8 nor GBK");
  assert_contains(err, "line 1: ");
  /* GBK text with a bad pair on its third line: refused with that line */
  static const char gbk[] = "\xD0\xD5\xC3\xFB,a\n\xCF\xE7,b\n\xCF\xE7\x80\x20,c\n\xCF\xE7,d\n";
  assert_int_equal(sniff(gbk, sizeof gbk - 1, 1, RH_ENC_AUTO, &e, &bom, err, sizeof err), -1);
  assert_contains(err, "line 3: bytes that are neither UTF-8 nor GBK/GB18030 (the file reads as "
                       "GBK up to there)");
  /* UTF-16 big-endian mark, even when an encoding is forced. */
  assert_int_equal(sniff("\xFE\xFF\0a", 4, 1, RH_ENC_UTF8, &e, &bom, err, sizeof err), -1);
  assert_contains(err, "UTF-16");
}

static void test_invalid_utf8_later(void **state) {
  (void)state;
  /* Detected as UTF-8 from the first 64 KiB; a GBK line much later. */
  size_t cap = 256 * 1024, len = 0;
  char *buf = malloc(cap);
  assert_non_null(buf);
  len += (size_t)snprintf(buf + len, cap - len, "身份证号,姓名,乡镇\n");
  for (int i = 0; i < 3000; i++)
    len += (size_t)snprintf(buf + len, cap - len, "411024199001%06d,name%d,town\n", i, i);
  assert_true(len > RH_CSV_CHUNK);
  /* 张三,安陵 in GBK */
  len += (size_t)snprintf(buf + len, cap - len, "411024199001999999,\xD5\xC5\xC8\xFD,\xB0\xB2\xC1\xEA\n");
  len += (size_t)snprintf(buf + len, cap - len, "x,y,z\n");
  result_t res;
  run_mem(buf, len, RH_ENC_AUTO, &res);
  assert_int_equal(res.enc, RH_ENC_UTF8);
  assert_int_equal(res.status, -1);
  assert_int_equal(res.rows, 3001);
  assert_string_equal(res.err, "line 3002: invalid UTF-8 (is the file GBK? try --encoding gbk)");
  done(&res);
  free(buf);

  /* Inside the first chunk, after plenty of good UTF-8: still UTF-8, line 5. */
  run_fixture("gbk_line5_in_utf8.csv", RH_ENC_AUTO, &res);
  assert_int_equal(res.enc, RH_ENC_UTF8);
  assert_int_equal(res.status, -1);
  assert_int_equal(res.rows, 4);
  assert_string_equal(res.err, "line 5: invalid UTF-8 (is the file GBK? try --encoding gbk)");
  done(&res);
}

static void test_utf16_refused(void **state) {
  (void)state;
  result_t res;
  run_fixture("utf16le_unicode_text.csv", RH_ENC_AUTO, &res);
  assert_int_equal(res.status, -2);
  assert_contains(res.err, "UTF-16");
  assert_contains(res.err, "CSV UTF-8");
  done(&res);
  /* Forcing an encoding does not help. */
  run_fixture("utf16le_unicode_text.csv", RH_ENC_GB18030, &res);
  assert_int_equal(res.status, -2);
  assert_contains(res.err, "UTF-16");
  done(&res);
  /* Without a byte-order mark: "a,b\r\n1,2\r\n" in UTF-16LE. */
  static const char le[] = "a\0,\0b\0\r\0\n\0001\0,\0002\0\r\0\n\0";
  run_mem(le, sizeof le - 1, RH_ENC_AUTO, &res);
  assert_int_equal(res.status, -2);
  assert_contains(res.err, "UTF-16");
  done(&res);
}

static void test_excel_workbook_refused(void **state) {
  (void)state;
  const char *names[] = {"workbook_xlsx.csv", "workbook_xls.csv"};
  for (size_t i = 0; i < 2; i++) {
    result_t res;
    run_fixture(names[i], RH_ENC_AUTO, &res);
    assert_int_equal(res.status, -2);
    assert_contains(res.err, "this is an Excel workbook");
    assert_contains(res.err, "not CSV: save the sheet as CSV (UTF-8)");
    done(&res);
  }
}

static void test_empty_and_no_rows(void **state) {
  (void)state;
  result_t res;
  run_fixture("empty.csv", RH_ENC_AUTO, &res);
  assert_int_equal(res.status, -2);
  assert_string_equal(res.err, "the file is empty (0 bytes)");
  done(&res);

  run_mem("\xEF\xBB\xBF", 3, RH_ENC_AUTO, &res); /* only a byte-order mark */
  assert_int_equal(res.status, -1);
  assert_contains(res.err, "no rows");
  done(&res);

  run_str("\r\n  \r\n\r\n", &res);
  assert_int_equal(res.status, -1);
  assert_contains(res.err, "no rows");
  done(&res);
}

static void test_nul_byte(void **state) {
  (void)state;
  for (int forced = 0; forced < 2; forced++) {
    result_t res;
    run_fixture("nul_line3.csv", forced ? RH_ENC_GB18030 : RH_ENC_AUTO, &res);
    assert_int_equal(res.status, -1);
    assert_string_equal(res.dump, "1:a|b\n2:c|d\n");
    assert_contains(res.err, "line 3: a NUL byte");
    done(&res);
  }
}

static void test_not_text(void **state) {
  (void)state;
  result_t res;
  run_mem("a,b\n\x80\x80\x80,c\n", 10, RH_ENC_AUTO, &res); /* 0x80 is neither */
  assert_int_equal(res.status, -2);
  assert_contains(res.err, "neither UTF-8 nor GBK/GB18030");
  assert_contains(res.err, "line 2: ");
  done(&res);
}

static void test_open_errors_and_close_null(void **state) {
  (void)state;
  char err[256];
  assert_null(rh_csv_open("/nonexistent/dir/x.csv", RH_ENC_AUTO, err, sizeof err));
  assert_contains(err, "cannot open '/nonexistent/dir/x.csv'");
  assert_null(rh_csv_open("/tmp", RH_ENC_AUTO, err, sizeof err)); /* a directory */
  assert_contains(err, "cannot read");
  assert_null(rh_csv_open_fp(NULL, RH_ENC_AUTO, err, sizeof err));
  rh_csv_close(NULL);
  const rh_csv_row_t *row = (const rh_csv_row_t *)1;
  assert_int_equal(rh_csv_next(NULL, &row, err, sizeof err), -1);
  assert_null(row);
  assert_int_equal(rh_csv_encoding(NULL), RH_ENC_AUTO);
  assert_int_equal(rh_csv_bytes_read(NULL), 0);

  /* An error sticks, with the same message. */
  const char *in = "a\n\"b";
  FILE *fp = fmemopen((void *)in, strlen(in), "r");
  rh_csv_reader_t *r = rh_csv_open_fp(fp, RH_ENC_AUTO, err, sizeof err);
  assert_non_null(r);
  assert_int_equal(rh_csv_next(r, &row, err, sizeof err), 1);
  assert_int_equal(rh_csv_next(r, &row, err, sizeof err), -1);
  char first[256];
  snprintf(first, sizeof first, "%s", err);
  assert_int_equal(rh_csv_next(r, &row, err, sizeof err), -1);
  assert_string_equal(err, first);
  rh_csv_close(r);
  fclose(fp);
}

/* ---- streams ---- */

static void test_stdin_pipe(void **state) {
  (void)state;
  int p[2];
  assert_int_equal(pipe(p), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(p[0]);
    FILE *w = fdopen(p[1], "w");
    fputs("\xEF\xBB\xBF身份证号,姓名\r\n", w);
    for (int i = 0; i < 20000; i++) fprintf(w, "41102419900101%04d,\"张,%d\"\r\n", i, i);
    fclose(w);
    _exit(0);
  }
  close(p[1]);
  int saved = dup(0);
  assert_true(saved >= 0);
  assert_int_equal(dup2(p[0], 0), 0);
  close(p[0]);
  clearerr(stdin);

  char err[256];
  rh_csv_reader_t *r = rh_csv_open("-", RH_ENC_AUTO, err, sizeof err);
  assert_non_null(r);
  const rh_csv_row_t *row;
  unsigned long n = 0;
  int rc;
  while ((rc = rh_csv_next(r, &row, err, sizeof err)) == 1) {
    n++;
    assert_int_equal(row->line, n);
    assert_int_equal(row->nfields, 2);
    if (n == 1) assert_string_equal(row->fields[0].str, "身份证号");
    if (n == 20001) assert_string_equal(row->fields[1].str, "张,19999");
  }
  assert_int_equal(rc, 0);
  assert_int_equal(n, 20001);
  rh_csv_close(r); /* does not close stdin */

  assert_int_equal(dup2(saved, 0), 0);
  close(saved);
  clearerr(stdin);
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_large_file(void **state) {
  (void)state;
  char path[64];
  tmp_path(path, sizeof path);
  FILE *w = fopen(path, "wb");
  assert_non_null(w);
  const int N = 200000;
  fputs("序号,身份证号,姓名,乡镇,自付金额,备注\r\n", w);
  unsigned long line = 2;
  for (int i = 0; i < N; i++) {
    if (i % 1000 == 999) /* a remark with a line break inside quotes */
      fprintf(w, "%d,41102419900101%04d,姓名%d,安陵镇,%d.%02d,\"第一行\r\n第二行\"\r\n", i,
              i % 10000, i, i, i % 100);
    else
      fprintf(w, "%d,41102419900101%04d,姓名%d,安陵镇,%d.%02d,\r\n", i, i % 10000, i, i, i % 100);
  }
  assert_int_equal(fclose(w), 0);

  char err[256];
  rh_csv_reader_t *r = rh_csv_open(path, RH_ENC_AUTO, err, sizeof err);
  assert_non_null(r);
  const rh_csv_row_t *row;
  int rc;
  long rows = -1; /* the header */
  while ((rc = rh_csv_next(r, &row, err, sizeof err)) == 1) {
    if (rows >= 0) {
      if (row->line != line) fail_msg("row %ld: line %lu, want %lu", rows, row->line, line);
      if (row->nfields != 6) fail_msg("row %ld: %zu fields", rows, row->nfields);
      if (atol(row->fields[0].str) != rows) fail_msg("row %ld: got %s", rows, row->fields[0].str);
      line += (rows % 1000 == 999) ? 2 : 1;
    }
    rows++;
  }
  assert_int_equal(rc, 0);
  assert_int_equal(rows, N);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(rh_csv_bytes_read(r), (uint64_t)st.st_size);
  assert_int_equal(line, (unsigned long)N + 2 + N / 1000); /* the line after the last */
  rh_csv_close(r);
  unlink(path);
}

/* A multi-byte character whose bytes straddle the first 64 KiB read: write
 * a header, one long filler row, then a row whose field holds the character
 * twice, with its first byte at offset RH_CSV_CHUNK + off. */
static void check_boundary(const char *header, const char *ch, const char *ch_utf8, long off,
                           rh_encoding_t want_enc) {
  size_t hlen = strlen(header), clen = strlen(ch);
  size_t target = (size_t)((long)RH_CSV_CHUNK + off);
  size_t filler = target - hlen - strlen("f,\n") - strlen("t,");
  size_t len = 0, cap = target + 64;
  char *buf = malloc(cap);
  assert_non_null(buf);
  memcpy(buf, header, hlen), len = hlen;
  memcpy(buf + len, "f,", 2), len += 2;
  memset(buf + len, 'x', filler), len += filler;
  memcpy(buf + len, "\nt,", 3), len += 3;
  assert_int_equal(len, target);
  memcpy(buf + len, ch, clen), len += clen;
  memcpy(buf + len, ch, clen), len += clen;
  memcpy(buf + len, "\nend,1\n", 7), len += 7;

  result_t res;
  run_mem(buf, len, RH_ENC_AUTO, &res);
  if (res.status != 0) fail_msg("offset %ld: %s", off, res.err);
  assert_int_equal(res.enc, want_enc);
  assert_int_equal(res.rows, 4);
  assert_int_equal(res.last_line, 4);
  char want[64];
  snprintf(want, sizeof want, "3:t|%s%s\n4:end|1\n", ch_utf8, ch_utf8);
  size_t wl = strlen(want);
  if (res.dump_len < wl || strcmp(res.dump + res.dump_len - wl, want) != 0)
    fail_msg("offset %ld: tail is \"%s\"", off, res.dump_len > wl ? res.dump + res.dump_len - wl : res.dump);
  done(&res);
  free(buf);
}

static void test_chunk_boundary(void **state) {
  (void)state;
  static const char utf8_header[] = "乡镇,金额\n";
  static const char bom_header[] = "\xEF\xBB\xBF乡镇,金额\n";
  static const char gbk_header[] = "\xCF\xE7\xD5\xF2,\xBD\xF0\xB6\xEE\n"; /* 乡镇,金额 */
  static const struct {
    const char *header, *ch, *utf8;
    rh_encoding_t enc;
  } cases[] = {
      {utf8_header, "\xC3\xA9", "é", RH_ENC_UTF8},
      {utf8_header, "镇", "镇", RH_ENC_UTF8},
      {bom_header, "镇", "镇", RH_ENC_UTF8},
      {utf8_header, "\xF0\xA0\x80\x80", "\xF0\xA0\x80\x80", RH_ENC_UTF8}, /* U+20000 */
      {gbk_header, "\xD5\xF2", "镇", RH_ENC_GB18030},
      {gbk_header, "\x81\x39\xEE\x39", "㐀", RH_ENC_GB18030},             /* 4-byte GB18030 */
      {gbk_header, "\x95\x32\x82\x36", "\xF0\xA0\x80\x80", RH_ENC_GB18030}, /* U+20000 */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    for (long off = -4; off <= 1; off++)
      check_boundary(cases[i].header, cases[i].ch, cases[i].utf8, off, cases[i].enc);
}

/* CR at the last byte of a chunk, LF at the first of the next: one line break. */
static void test_crlf_across_boundary(void **state) {
  (void)state;
  for (long off = -2; off <= 1; off++) {
    size_t cr_at = (size_t)((long)RH_CSV_CHUNK - 1 + off);
    size_t len = 0, cap = cr_at + 64;
    char *buf = malloc(cap);
    assert_non_null(buf);
    memcpy(buf, "h\r\n", 3), len = 3;
    memset(buf + len, 'x', cr_at - len), len = cr_at;
    memcpy(buf + len, "\r\nlast\r\n", 8), len += 8;
    result_t res;
    run_mem(buf, len, RH_ENC_AUTO, &res);
    assert_int_equal(res.status, 0);
    assert_int_equal(res.rows, 3);
    assert_int_equal(res.last_line, 3);
    done(&res);
    free(buf);
  }
}

static void test_limits(void **state) {
  (void)state;
  /* A quote opened on line 2 and never closed, in a 3 MiB file: the reader
   * stops at 1 MiB instead of swallowing the rest. */
  size_t len = 3u << 20;
  char *buf = malloc(len);
  assert_non_null(buf);
  memcpy(buf, "h,v\nok,\"open", 12);
  for (size_t i = 12; i < len; i++) buf[i] = (i % 20 == 0) ? '\n' : 'y';
  result_t res;
  run_mem(buf, len, RH_ENC_AUTO, &res);
  assert_int_equal(res.status, -1);
  assert_string_equal(res.dump, "1:h|v\n");
  assert_contains(res.err, "line 2: a field longer than");
  assert_contains(res.err, "never closed");
  done(&res);

  /* Too many fields. */
  size_t n = RH_CSV_MAX_FIELDS + 5;
  memcpy(buf, "a\n", 2);
  memset(buf + 2, ',', n);
  buf[2 + n] = '\n';
  run_mem(buf, n + 3, RH_ENC_AUTO, &res);
  assert_int_equal(res.status, -1);
  assert_contains(res.err, "line 2: more than");
  done(&res);
  free(buf);
}

/* ---- header helpers ---- */

static void test_find_column(void **state) {
  (void)state;
  rh_csv_field_t f[] = {
      {"\xEF\xBB\xBF身份证号", strlen("\xEF\xBB\xBF身份证号")},
      {"\xE3\x80\x80姓名\xE3\x80\x80 ", strlen("\xE3\x80\x80姓名\xE3\x80\x80 ")},
      {"  乡镇\t", strlen("  乡镇\t")},
      {"自付金额\xC2\xA0", strlen("自付金额\xC2\xA0")},
      {"", 0},
      {"姓名", strlen("姓名")},
  };
  rh_csv_row_t header = {sizeof f / sizeof f[0], f, 1};
  assert_int_equal(rh_csv_find_column(&header, "身份证号"), 0);
  assert_int_equal(rh_csv_find_column(&header, "姓名"), 1); /* first of two */
  assert_int_equal(rh_csv_find_column(&header, "乡镇"), 2);
  assert_int_equal(rh_csv_find_column(&header, " 乡镇\xE3\x80\x80"), 2);
  assert_int_equal(rh_csv_find_column(&header, "自付金额"), 3);
  assert_int_equal(rh_csv_find_column(&header, "金额"), -1);
  assert_int_equal(rh_csv_find_column(&header, "身份证"), -1);
  assert_int_equal(rh_csv_find_column(&header, "  "), 4); /* the empty header */
  assert_int_equal(rh_csv_find_column(&header, NULL), -1);
  assert_int_equal(rh_csv_find_column(NULL, "姓名"), -1);

  /* On a parsed header too. */
  const char *in = "\xEF\xBB\xBF身份证号, 姓名 ,\"\xE3\x80\x80乡镇\"\n";
  FILE *fp = fmemopen((void *)in, strlen(in), "r");
  char err[256];
  rh_csv_reader_t *r = rh_csv_open_fp(fp, RH_ENC_AUTO, err, sizeof err);
  assert_non_null(r);
  const rh_csv_row_t *row;
  assert_int_equal(rh_csv_next(r, &row, err, sizeof err), 1);
  assert_int_equal(rh_csv_find_column(row, "身份证号"), 0);
  assert_int_equal(rh_csv_find_column(row, "姓名"), 1);
  assert_int_equal(rh_csv_find_column(row, "乡镇"), 2);
  rh_csv_close(r);
  fclose(fp);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_quoted_fields),
      cmocka_unit_test(test_line_endings),
      cmocka_unit_test(test_blank_lines),
      cmocka_unit_test(test_ragged_rows),
      cmocka_unit_test(test_broken_quotes),
      cmocka_unit_test(test_bom_stripped),
      cmocka_unit_test(test_gbk_twin),
      cmocka_unit_test(test_forced_encoding),
      cmocka_unit_test(test_encoding_names),
      cmocka_unit_test(test_utf8_check),
      cmocka_unit_test(test_sniff),
      cmocka_unit_test(test_invalid_utf8_later),
      cmocka_unit_test(test_utf16_refused),
      cmocka_unit_test(test_excel_workbook_refused),
      cmocka_unit_test(test_empty_and_no_rows),
      cmocka_unit_test(test_nul_byte),
      cmocka_unit_test(test_not_text),
      cmocka_unit_test(test_open_errors_and_close_null),
      cmocka_unit_test(test_stdin_pipe),
      cmocka_unit_test(test_large_file),
      cmocka_unit_test(test_chunk_boundary),
      cmocka_unit_test(test_crlf_across_boundary),
      cmocka_unit_test(test_limits),
      cmocka_unit_test(test_find_column),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
