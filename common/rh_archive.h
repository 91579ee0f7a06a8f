/*
 * rh_archive: a month on disk (docs/replay.md, "Archives"), written and read by
 * riskhub-replay (--archive, --from-archive, --archive-due) and read by
 * riskhub-alerts (a window of a month the broker no longer has).
 *
 * `riskhub-replay --archive DIR` writes what the replay read:
 *
 *   manifests.avro       the month's BatchManifests (the kept ones)
 *   feed-records.avro    every FeedRecord of their batches
 *   alerts.avro          the month's published Alerts
 *   check-results.avro   the month's published CheckResults
 *   rejects.avro         the RejectedRows of the month's batches (feed.<dept>.rejects;
 *                        from format 2 on)
 *   archive.json         period, filters, topic prefix, counts, when
 *   SHA256SUMS           `sha256sum -c` checks all of the above
 *
 * Each .avro file is an Avro object container file (Avro C's
 * avro_file_writer, codec null) whose records are riskhub.archive.Archived*:
 * the message's topic, partition, offset, timestamp and key, and the record
 * itself (field "record", the type of schemas/<Type>.avsc), so that any Avro
 * tool reads it (fastavro.reader in the tests) and the replay can put the
 * message back together. The records are copied as published (their bytes,
 * when written with the current schema; else decoded and re-encoded with
 * it). The directory is made 0700 and the files 0600: they hold personal
 * data (ID numbers, names).
 *
 * `--from-archive DIR` checks SHA256SUMS first (any mismatch: refused) and
 * then gives the same messages back, one stream at a time.
 *
 * Ownership: writer and reader own their files; _close/_destroy release
 * them (NULL does nothing). Not thread-safe.
 */
#ifndef RH_ARCHIVE_H
#define RH_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rh_msg.h"
#include "rh_avro_schema.h"
#include "rh_config.h"

typedef enum {
  RH_ARCHIVE_MANIFESTS = 0,
  RH_ARCHIVE_RECORDS,
  RH_ARCHIVE_ALERTS,
  RH_ARCHIVE_CHECKS,
  RH_ARCHIVE_REJECTS, /* format 2 on; an archive of format 1 has none */
  RH_ARCHIVE_STREAMS
} rh_archive_stream_t;

/* File name of a stream ("feed-records.avro"). Static. */
const char *rh_archive_file(rh_archive_stream_t s);

typedef struct {
  char period[8];
  char department[64], feed[64]; /* "" = all */
  char topic_prefix[80];
  int64_t created_at;
  int format; /* 1 (no rejects.avro) or 2 (read); written: always 2 */
  uint64_t counts[RH_ARCHIVE_STREAMS];
} rh_archive_info_t;

/* ---- the monthly archive's folders (archive.dir/YYYY-MM) ---- */

/* cfg's archive.dir/period into out: 0, or -1 (no archive.dir, no period, or
 * too long). */
int rh_archive_month_dir(const rh_config_t *cfg, const char *period, char *out, size_t size);

/* When month period is due for its archive: its lists' delivery deadline
 * (deadlines.delivery_day of the following month, UTC+08:00) plus
 * archive.grace, UTC ms; and its folder (rh_archive_month_dir) into dir.
 * 0, or -1 (not a period, no archive.dir, too long). */
int rh_archive_month_due(const rh_config_t *cfg, const char *period, char *dir, size_t size,
                         int64_t *due_ms);

/* Does dir hold a finished archive (its SHA256SUMS, written last)? */
bool rh_archive_complete(const char *dir);

/* ---- writing ---- */

typedef struct rh_archive_writer rh_archive_writer_t;

/* Create dir (it must not exist, or be empty) and the four files. schemas
 * must hold the current BatchManifest, FeedRecord, Alert and CheckResult
 * (read from their .avsc files) and outlive the writer. NULL with errstr. */
rh_archive_writer_t *rh_archive_create(const char *dir, const rh_avro_schemas_t *schemas,
                                               char *errstr, size_t errstr_size);

/* Append one message of a stream. 0, or -1 with errstr (a message that is
 * not of the stream's type, a write error). */
int rh_archive_add(rh_archive_writer_t *w, rh_archive_stream_t s, const rh_msg_t *m,
                       char *errstr, size_t errstr_size);

/* Close the files, write archive.json (info, with the counts of what was
 * added) and SHA256SUMS, and free w. 0, or -1 with errstr. */
int rh_archive_close(rh_archive_writer_t *w, const rh_archive_info_t *info,
                         char *errstr, size_t errstr_size);

/* Free w without finishing (after an error; the directory stays incomplete,
 * without SHA256SUMS). */
void rh_archive_abandon(rh_archive_writer_t *w);

/* ---- reading ---- */

/* Check dir/SHA256SUMS (every file of the archive listed and matching) and
 * read archive.json into *info. 0; -1 with errstr: 65 (*refused = 1) for a
 * checksum or format problem, 74 (*refused = 0) for a file not readable. */
int rh_archive_open(const char *dir, rh_archive_info_t *info, int *refused, char *errstr,
                        size_t errstr_size);

/* The monthly archive of period (archive.dir/YYYY-MM, riskhub-replay
 * --archive-due) for a reader that falls back to it: 1 and dir, *info when
 * it is complete, its sums hold, and it is the whole month of cfg's
 * namespace; 0 when there is none to read (no archive.dir, not made or not
 * finished, another namespace's, a part of a month); -1 with errstr and
 * *refused (as rh_archive_open) when it is there but broken. */
int rh_archive_open_month(const rh_config_t *cfg, const char *period, char *dir, size_t size,
                          rh_archive_info_t *info, int *refused, char *errstr,
                          size_t errstr_size);

/* fn for each message of a stream, in the order written. The record's
 * writer schema must be in schemas (current or history). *count = messages.
 * 0, or -1 with errstr (fn's failure: fn_err). */
int rh_archive_read(const char *dir, rh_archive_stream_t s, const rh_avro_schemas_t *schemas,
                        rh_msg_fn *fn, void *arg, uint64_t *count, const char *fn_err,
                        char *errstr, size_t errstr_size);

#endif
