/*
 * alerts_stream: one run of riskhub-alerts over a topic of records that are
 * written one entry a version as they come, in the topic's order (--scale,
 * alerts_scale_run.h; --identity, alerts_identity_run.h): the topics read as
 * the warnings are (alerts_consume: read_committed; a group that commits after
 * writing, or a window --from / --period without a group; --follow), each
 * record decoded by the kind's codec and written by its format.
 *
 * A batch is written (flushed, a file fsynced) and then its offsets committed:
 * at the end of a one-shot run, and with --follow whenever the run caught up
 * with the topics or a second after the first record of the batch, and before
 * a rebalance takes a partition away. --period keeps the records of that month
 * (the record's period), --from those sent on or after that day. A record the
 * codec refuses is skipped and said (exit 65 at the end). The output file
 * (--output) is created with the kind's mode, checked for writing at start and
 * truncated when the first batch is written. Nothing is looked up in
 * PostgreSQL.
 *
 * Prints the kind's summary line on stderr. Returns an exit code of rh_exit.h:
 * 0, 65 (records skipped), 69 (Kafka away), 70, 74 (output), 77 (the brokers
 * refuse a topic or the group), 78 (schemas without the kind's record).
 */
#ifndef ALERTS_STREAM_H
#define ALERTS_STREAM_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "alerts_format.h"
#include "alerts_run.h"
#include "rh_avro_codec.h"
#include "rh_avro_schema.h"

enum { ALERTS_STREAM_MAX_STATUS = 4 };

/* What a stream's records are. codec and rec point to the caller's storage
 * (the kind's codec and decoded record types), handed back to each function. */
typedef struct {
  const char *record; /* "ScaleRisk": in the messages about a record refused */
  const char *what;   /* "the scale risks": in the log */
  mode_t out_mode;    /* --output is created with it */
  void *codec, *rec;
  int (*codec_init)(void *codec, const rh_avro_schemas_t *set, char *err, size_t err_size);
  void (*codec_free)(void *codec);
  /* 0 and *rec, or -1 with err (no personal data) */
  int (*decode)(void *codec, rh_avro_decoder_t *dec, const void *data, size_t len, void *rec,
                char *err, size_t err_size);
  /* the record's month, when it was sent (UTC ms) and its status (an index
   * below ALERTS_STREAM_MAX_STATUS, for the counts) */
  void (*meta)(const void *rec, const char **period, int64_t *created_at, int *status);
  const alerts_record_format_t *format; /* what a record is written as */
  /* the summary line (on err) */
  void (*summary)(FILE *err, uint64_t written, const uint64_t counts[ALERTS_STREAM_MAX_STATUS],
                  uint64_t skipped, uint64_t batches);
} alerts_stream_kind_t;

int alerts_stream_run(const alerts_run_opts_t *o, const alerts_stream_kind_t *k);

#endif
