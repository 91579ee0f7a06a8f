/*
 * receive_file: one push as one CSV file in the department's folder, written
 * so that a crash never leaves a partial file under the final name nor two
 * files of one push (docs/outbound.md, "Exactly once"):
 *
 *   begin    .<department>.<kind>.<push id 16>.part, 0600, truncated
 *   row      one a person (UTF-8 with a BOM, or GBK: --encoding)
 *   finish   the push's period known from its manifest: if the journal or the
 *            final file says the push was written already, the part file is
 *            removed; else it is flushed, fsync'ed, renamed to
 *            <department>.<kind>.<period>.<push id 16>.csv, the folder
 *            fsync'ed, and the push id appended (fsync'ed) to the journal
 *            .riskhub-receive.<department>.journal. Only then may the caller
 *            commit its offsets.
 *   discard  the part file removed (a push that does not match its manifest)
 *
 * Columns: applicants 户编号,身份证号,姓名; new-monitoring-objects
 * 户编号,身份证号,姓名,乡镇代码,乡镇,村 (the township's name from the
 * configuration). Lines end in CRLF. Messages name files and push ids, never
 * a person. One thread a file; functions return 0 or -1 with errstr.
 */
#ifndef RECEIVE_FILE_H
#define RECEIVE_FILE_H

#include <iconv.h>
#include <stdbool.h>
#include <stdio.h>

#include "rh_config.h"
#include "rh_outbound.h"

typedef enum { RECEIVE_UTF8 = 0, RECEIVE_GBK } receive_encoding_t;

typedef struct {
  const rh_config_t *cfg;
  const char *dir, *department;
  rh_outbound_kind_t kind;
  receive_encoding_t enc;
  char push_id[RH_SHA256_HEXSZ];
  char part[4096], final[4096];
  FILE *f;
  iconv_t cd;
  size_t rows;
} receive_file_t;

/* Starts the part file of push_id. */
int receive_file_begin(receive_file_t *rf, const rh_config_t *cfg, const char *dir,
                       const char *department, rh_outbound_kind_t kind, receive_encoding_t enc,
                       const char *push_id, char *errstr, size_t errstr_size);
int receive_file_row(receive_file_t *rf, const rh_outbound_record_t *r, char *errstr,
                     size_t errstr_size);
/* *written: true when this call made the final file, false when it was there
 * already. final names the file either way. */
int receive_file_finish(receive_file_t *rf, const char *period, bool *written, char *errstr,
                        size_t errstr_size);
void receive_file_discard(receive_file_t *rf);

/* Whether push_id is in the department's journal of dir. */
bool receive_journal_has(const char *dir, const char *department, const char *push_id);

/* One receiver of a department's folder at a time: an exclusive flock on
 * dir/.riskhub-receive.<department>.lock (made 0600), held until the fd is
 * closed (the process's end). The fd; -2 when another process holds it; -1
 * with errstr when the lock file cannot be opened. */
int receive_lock(const char *dir, const char *department, char *errstr, size_t errstr_size);

/* Removes the part files of department left in dir by a run that died. */
void receive_file_sweep(const char *dir, const char *department);

#endif
