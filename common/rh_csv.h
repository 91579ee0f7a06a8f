/*
 * rh_csv: a streaming reader for the CSV files departments export.
 *
 * Reads a file (or stdin, or any FILE*) in 64 KiB chunks and hands out one row
 * at a time, in constant memory whatever the file's size. Parsing is libcsv's
 * (strict mode), decoding is glibc iconv's; every field comes out as UTF-8.
 *
 * The format read (RFC 4180 with what Excel and departments' systems produce):
 *   - fields separated by commas; a field may be quoted with double quotes, and
 *     then holds commas, line breaks and doubled quotes ("" stands for ");
 *   - lines end with CRLF, LF or a lone CR, mixed freely;
 *   - blanks (spaces and tabs) around an unquoted field, and around the quotes of
 *     a quoted field, are dropped (libcsv's rule); blanks inside quotes are kept;
 *   - a line that is empty or holds only blanks is skipped wherever it is (so are
 *     blank trailing lines). A line of only commas is a row of empty fields and is
 *     delivered: the caller decides;
 *   - rows may have different numbers of fields ("ragged"): each row says how
 *     many it has and the caller rejects what it must;
 *   - strict quoting: a quote inside an unquoted field (ab"c), text after the
 *     closing quote ("ab"c) and a quote never closed before the end of the file
 *     are errors, reported at the line where the bad row STARTS.
 *
 * Encodings (see rh_encoding.h): UTF-8 with or without a byte-order mark (the
 * mark is dropped), GBK/GB2312/GB18030; detected from the first chunk or forced.
 * A file detected as UTF-8 that holds invalid UTF-8 further on fails at that
 * line with a hint to try --encoding gbk. UTF-16, Excel workbooks, empty files
 * and files containing NUL bytes are refused with a message saying what to do.
 *
 * Line numbers count physical lines from 1 (the header is normally line 1); a
 * quoted field with line breaks makes its row span several lines, and the next
 * row's number accounts for them.
 *
 * Limits (each an error naming the line, so that a quote left open cannot make
 * the reader swallow the whole file into memory): a field at most
 * RH_CSV_MAX_FIELD_BYTES, a row at most RH_CSV_MAX_ROW_BYTES and
 * RH_CSV_MAX_FIELDS fields.
 *
 * Errors are written for the clerk who made the file: what is wrong and on which
 * line ("line 17: unterminated quoted field ..."), never the content of a field
 * (it may be an ID number or a name). They do not name the file: callers prefix
 * it ("<file>: line 17: ...").
 *
 * Ownership: rh_csv_open*() return a reader owned by the caller, freed with
 * rh_csv_close() (NULL does nothing). A row returned by rh_csv_next(), its
 * fields array and the field strings belong to the reader and stay valid until
 * the next rh_csv_next() or rh_csv_close() on that reader: copy what must live
 * longer. rh_csv_open() closes the file it opened; rh_csv_open_fp() never
 * closes the FILE* it was given (nor does "-": stdin stays open). A reader is
 * used by one thread at a time; different readers are independent.
 */
#ifndef RH_CSV_H
#define RH_CSV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rh_encoding.h"

#define RH_CSV_CHUNK (64u * 1024u)           /* bytes read at a time */
#define RH_CSV_MAX_FIELD_BYTES (1u << 20)    /* 1 MiB */
#define RH_CSV_MAX_ROW_BYTES (4u << 20)      /* 4 MiB */
#define RH_CSV_MAX_FIELDS 10000u

typedef struct rh_csv_reader rh_csv_reader_t;

typedef struct {
  const char *str; /* NUL-terminated UTF-8 (the field holds no NUL) */
  size_t len;      /* bytes, without the NUL */
} rh_csv_field_t;

typedef struct {
  size_t nfields;               /* >= 1 */
  const rh_csv_field_t *fields; /* nfields entries */
  unsigned long line;           /* physical line where the row starts, from 1 */
} rh_csv_row_t;

/* Open `path` ("-" for stdin) and read its first chunk to settle the encoding
 * (`enc`: RH_ENC_AUTO to detect, or forced). Returns a new reader, or NULL with
 * the reason in errstr: the file cannot be opened or read, is empty, is an
 * Excel workbook, is UTF-16, or is neither UTF-8 nor GB18030. */
rh_csv_reader_t *rh_csv_open(const char *path, rh_encoding_t enc, char *errstr,
                             size_t errstr_size);

/* The same on a stream the caller owns and keeps open (pipe, fmemopen, ...). */
rh_csv_reader_t *rh_csv_open_fp(FILE *fp, rh_encoding_t enc, char *errstr, size_t errstr_size);

/* The next row: 1 and *row set; 0 at the end of the file (*row NULL); -1 on an
 * error (*row NULL, errstr says what and on which line). After 0 or -1 every
 * further call returns the same (with the same message). Rows before the line
 * with an error are delivered first. A file without a single row (empty after a
 * byte-order mark, or only blank lines) is an error, not an end. */
int rh_csv_next(rh_csv_reader_t *r, const rh_csv_row_t **row, char *errstr, size_t errstr_size);

/* The encoding in use: RH_ENC_UTF8 or RH_ENC_GB18030 (detected or forced). */
rh_encoding_t rh_csv_encoding(const rh_csv_reader_t *r);

/* Bytes read from the file so far (byte-order mark included); read ahead by
 * up to one chunk of what rows have been delivered. */
uint64_t rh_csv_bytes_read(const rh_csv_reader_t *r);

void rh_csv_close(rh_csv_reader_t *r);

/* Write one field to fp as RFC 4180 wants it: as it is, or quoted with its
 * quotes doubled when it holds a comma, a quote or a line break. NULL writes
 * nothing (an empty field). The caller writes the separators. */
void rh_csv_write_field(FILE *fp, const char *s);

/* The index of the header field equal to `name`, or -1 (also when header or name
 * is NULL). Both are compared after trimming, at either end, ASCII blanks, the
 * ideographic (full-width) space U+3000, the no-break space U+00A0 and a
 * byte-order mark U+FEFF. The first match wins. Cannot fail otherwise. */
int rh_csv_find_column(const rh_csv_row_t *header, const char *name);
/* The same, from field index from on (a second column of the same name). */
int rh_csv_find_column_from(const rh_csv_row_t *header, const char *name, size_t from);

#endif
