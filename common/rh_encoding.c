#include "rh_encoding.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define SAVE_AS_CSV_UTF8 "save it as \"CSV UTF-8 (Comma delimited)\" (in Excel: File > Save As)"

/* Valid multi-byte UTF-8 characters that make a sample UTF-8 despite a bad byte. */
#define UTF8_EVIDENCE 8

static void set_err(char *errstr, size_t errstr_size, const char *msg) {
  if (errstr && errstr_size) snprintf(errstr, errstr_size, "%s", msg);
}

int rh_encoding_parse(const char *name, rh_encoding_t *out) {
  static const struct {
    const char *name;
    rh_encoding_t enc;
  } names[] = {{"auto", RH_ENC_AUTO},       {"utf-8", RH_ENC_UTF8},     {"utf8", RH_ENC_UTF8},
               {"gbk", RH_ENC_GB18030},     {"gb2312", RH_ENC_GB18030}, {"gb18030", RH_ENC_GB18030},
               {"cp936", RH_ENC_GB18030}};
  if (!name) return -1;
  while (*name == ' ' || *name == '\t') name++;
  size_t len = strlen(name);
  while (len > 0 && (name[len - 1] == ' ' || name[len - 1] == '\t')) len--;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (strlen(names[i].name) == len && strncasecmp(names[i].name, name, len) == 0) {
      *out = names[i].enc;
      return 0;
    }
  }
  return -1;
}

const char *rh_encoding_name(rh_encoding_t enc) {
  switch (enc) {
    case RH_ENC_UTF8: return "UTF-8";
    case RH_ENC_GB18030: return "GB18030";
    case RH_ENC_AUTO: break;
  }
  return "auto";
}

/* 1 if buf is valid GB18030 (a character cut off at the end is fine unless
 * at_eof), 0 if not (*bad_at: the offset of the first bad byte), -1 if iconv
 * has no GB18030. */
static int gb18030_valid(const unsigned char *buf, size_t len, int at_eof, size_t *bad_at) {
  iconv_t cd = iconv_open("UTF-8", "GB18030");
  if (cd == (iconv_t)-1) return -1;
  char *in = (char *)(uintptr_t)buf; /* iconv's prototype is not const-correct */
  size_t inleft = len;
  int ok = 1;
  while (inleft > 0) {
    char out[4096], *o = out;
    size_t oleft = sizeof out;
    if (iconv(cd, &in, &inleft, &o, &oleft) == (size_t)-1) {
      if (errno == E2BIG) continue;
      ok = errno == EINVAL ? !at_eof : 0; /* EINVAL: cut off at the end */
      *bad_at = len - inleft;
      break;
    }
  }
  iconv_close(cd);
  return ok;
}

/* UTF-16 without a byte-order mark: text of mostly ASCII characters has a NUL
 * in every other byte. */
static int looks_utf16(const unsigned char *buf, size_t len) {
  size_t n = len < 1024 ? len : 1024, nul[2] = {0, 0};
  for (size_t i = 0; i < n; i++)
    if (buf[i] == 0) nul[i & 1]++;
  size_t total = nul[0] + nul[1], most = nul[0] > nul[1] ? nul[0] : nul[1];
  return total >= 4 && most * 10 >= total * 9 && most * 4 >= n / 2;
}

int rh_encoding_sniff(const unsigned char *buf, size_t len, int at_eof, rh_encoding_t forced,
                      rh_encoding_t *out, size_t *bom_len, char *errstr, size_t errstr_size) {
  *bom_len = 0;
  if (len == 0) {
    set_err(errstr, errstr_size, "the file is empty (0 bytes)");
    return -1;
  }
  if (len >= 4 && memcmp(buf, "PK\x03\x04", 4) == 0) {
    set_err(errstr, errstr_size,
            "this is an Excel workbook (.xlsx), not CSV: save the sheet as CSV (UTF-8) "
            "(in Excel: File > Save As > \"CSV UTF-8 (Comma delimited)\")");
    return -1;
  }
  if (len >= 4 && memcmp(buf, "\xD0\xCF\x11\xE0", 4) == 0) {
    set_err(errstr, errstr_size,
            "this is an Excel workbook (.xls), not CSV: save the sheet as CSV (UTF-8) "
            "(in Excel: File > Save As > \"CSV UTF-8 (Comma delimited)\")");
    return -1;
  }
  if (len >= 2 && ((buf[0] == 0xFF && buf[1] == 0xFE) || (buf[0] == 0xFE && buf[1] == 0xFF))) {
    set_err(errstr, errstr_size,
            "the file is UTF-16 (Excel's \"Unicode Text\"), not CSV: " SAVE_AS_CSV_UTF8);
    return -1;
  }
  if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
    *bom_len = 3;
    *out = RH_ENC_UTF8;
    return 0;
  }
  if (looks_utf16(buf, len)) {
    set_err(errstr, errstr_size,
            "the file looks like UTF-16 (Excel's \"Unicode Text\"), not CSV: " SAVE_AS_CSV_UTF8);
    return -1;
  }
  if (forced != RH_ENC_AUTO) {
    *out = forced;
    return 0;
  }
  /* A NUL ends the sample; the reader reports it later with its line. */
  const unsigned char *nul = memchr(buf, 0, len);
  size_t sample = nul ? (size_t)(nul - buf) : len;
  int sample_eof = at_eof || nul != NULL;
  rh_utf8_status_t st;
  size_t valid = rh_utf8_check(buf, sample, &st);
  if (st == RH_UTF8_OK || st == RH_UTF8_NUL || (st == RH_UTF8_TRUNCATED && !sample_eof)) {
    *out = RH_ENC_UTF8;
    return 0;
  }
  /* Many good UTF-8 characters before the first bad byte: a UTF-8 file with a
   * damaged line (reported with its line), not GBK, whose characters form valid
   * UTF-8 only by accident (about one in eight, so seldom eight in a row). */
  size_t multibyte = 0;
  for (size_t i = 0; i < valid; i++) multibyte += buf[i] >= 0xC0;
  if (multibyte >= UTF8_EVIDENCE) {
    *out = RH_ENC_UTF8;
    return 0;
  }
  size_t gb_bad = 0;
  int gb = gb18030_valid(buf, sample, sample_eof, &gb_bad);
  if (gb < 0) {
    set_err(errstr, errstr_size, "this system's iconv cannot decode GB18030 (glibc gconv modules missing?)");
    return -1;
  }
  if (gb) {
    *out = RH_ENC_GB18030;
    return 0;
  }
  /* Say where: the encoding the file reads as the longest, and the line of
   * its first bad byte (issue 12, defect g: refused without its line). */
  size_t at = gb_bad > valid ? gb_bad : valid;
  unsigned long line = 1;
  for (size_t i = 0; i < at; i++) line += buf[i] == '\n';
  if (at > 0 && errstr && errstr_size)
    snprintf(errstr, errstr_size,
             "line %lu: bytes that are neither UTF-8 nor GBK/GB18030 (the file reads as %s up "
             "to there): fix that line, or " SAVE_AS_CSV_UTF8,
             line, gb_bad > valid ? "GBK" : "UTF-8");
  else
    set_err(errstr, errstr_size,
            "the file is neither UTF-8 nor GBK/GB18030 text (is it really a CSV file?): " SAVE_AS_CSV_UTF8);
  return -1;
}
