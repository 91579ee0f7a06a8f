/*
 * rh_encoding: which text encoding a department's export is in.
 *
 * Departments send CSV in UTF-8 (with or without Excel's byte-order mark) or in
 * GBK, the default "ANSI" code page of Chinese Windows (Excel's plain "CSV"
 * save). GBK and GB2312 are subsets of GB18030, so one decoder (glibc iconv,
 * "GB18030") reads all three. Anything else that turns up (UTF-16 from Excel's
 * "Unicode Text", an .xlsx or .xls workbook renamed to .csv) is recognised by
 * its first bytes and refused with a message that says how to save the file.
 *
 * There is no Debian-packaged C library that reads .xlsx well, so workbooks are
 * refused rather than read: the clerk saves the sheet as CSV.
 *
 * Everything here is pure and thread-safe except rh_encoding_sniff(), which
 * opens (and closes) its own iconv descriptor; it allocates nothing the caller
 * owns. Messages never quote the file's content.
 */
#ifndef RH_ENCODING_H
#define RH_ENCODING_H

#include <stddef.h>

#include "rh_utf8.h" /* rh_utf8_check, which the CSV reader uses with these */

typedef enum {
  RH_ENC_AUTO = 0, /* detect: BOM, else UTF-8 if valid, else GB18030 if valid */
  RH_ENC_UTF8,
  RH_ENC_GB18030   /* also GBK, GB2312, CP936 */
} rh_encoding_t;

/* Parse an --encoding value: "auto", "utf-8", "utf8", "gbk", "gb2312",
 * "gb18030", "cp936" (case-insensitive, surrounding blanks ignored).
 * 0 ok, -1 unknown name (out untouched). */
int rh_encoding_parse(const char *name, rh_encoding_t *out);

/* "auto", "UTF-8" or "GB18030". Static; never NULL. */
const char *rh_encoding_name(rh_encoding_t enc);

/* Look at the first bytes of a file (buf, len; at_eof when that is the whole
 * file) and decide how to read it:
 *   - ZIP magic (PK\3\4) or OLE2 magic (D0 CF 11 E0): an Excel workbook -> error;
 *   - UTF-16 byte-order mark, or NUL bytes in every other position -> error;
 *   - UTF-8 byte-order mark -> UTF-8, *bom_len = 3 (even when `forced` says
 *     GB18030: the mark is unambiguous);
 *   - forced UTF-8 or GB18030 -> that;
 *   - RH_ENC_AUTO: valid UTF-8 (pure ASCII included) -> UTF-8; else valid
 *     GB18030 -> GB18030; else error. A character cut off at the end of buf
 *     counts as valid unless at_eof. A NUL byte ends the sample (the reader
 *     reports it with its line later). Invalid UTF-8 that comes after at least
 *     8 good multi-byte UTF-8 characters still means UTF-8: a UTF-8 file with a
 *     damaged line (which the reader reports with its line), since GBK text
 *     makes valid UTF-8 only by accident and seldom 8 times running.
 *   - len == 0 -> error "the file is empty".
 * Returns 0 and sets *out (never RH_ENC_AUTO) and *bom_len, or -1 with a
 * message for the clerk in errstr. */
int rh_encoding_sniff(const unsigned char *buf, size_t len, int at_eof, rh_encoding_t forced,
                      rh_encoding_t *out, size_t *bom_len, char *errstr, size_t errstr_size);

#endif
