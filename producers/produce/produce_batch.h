/*
 * produce_batch: publish one department list (one CSV file, one feed, one period)
 * as a batch (docs/architecture.md, "Delivery"; docs/producer.md):
 *
 *   1. The input is hashed (SHA-256); the batch id is derived from department,
 *      feed, period and that hash (rh_batch_id), so the same file gives the same
 *      batch id. Standard input is spooled to a temporary file first.
 *   2. The header is matched against the feed's configured column names; a file
 *      that cannot be read at all is refused before anything is published.
 *   3. In ONE Kafka transaction (transactional.id riskhub-produce.<dept>.<feed>):
 *      every valid row as a FeedRecord to feed.<dept>.<feed> (key = ID number,
 *      headers batch_id, period, department, feed, row), every invalid row as a
 *      RejectedRow to the department's feed.<dept>.rejects (key = batch id),
 *      then, once every record was acknowledged, the BatchManifest to its
 *      feed.<dept>.manifests (key = batch id). The three are under the
 *      department's own prefix feed.<dept>., which only its principal may
 *      write (docs/security.md).
 *      With a topic prefix (cfg->topic_prefix, e.g. "test-1a2b.") every one of
 *      these topic names and the transactional id start with it
 *      ("test-1a2b.feed.banks.rejects", "test-1a2b.riskhub-produce.<dept>.<feed>").
 *      A CSV error found mid-file, a delivery failure or a broker that goes
 *      away aborts the transaction: read_committed readers never see any of
 *      the batch, and no manifest exists.
 *   4. The rejects go to <report dir>/<input name>.rejects.csv too (row,
 *      column, reason code, reason, masked ID), written only if the batch was
 *      committed.
 *
 * Before step 3, once the transactional id has been initialised (which fences
 * an earlier producer of the feed and settles its open transaction), the
 * committed manifests are looked up (produce_published.h): a batch id found
 * there is not sent again (RH_EXIT_ALREADY_DONE, res->published says when and
 * where), unless republish.
 *
 * Exit codes (rh_exit.h): RH_EXIT_OK; RH_EXIT_ALREADY_DONE (nothing sent); RH_EXIT_ROWS_REJECTED (unless
 * allow_rejects); RH_EXIT_REFUSED (unreadable encoding, wrong header, broken
 * CSV, empty file, an Excel workbook, bad period); RH_EXIT_UNAVAILABLE
 * (broker unreachable, not all acknowledged); RH_EXIT_IOERR; RH_EXIT_CONFIG.
 */
#ifndef PRODUCE_BATCH_H
#define PRODUCE_BATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "produce_published.h"
#include "rh_avro_schema.h"
#include "rh_config.h"
#include "rh_csv.h"
#include "rh_hash.h"

typedef struct {
  const rh_config_t *cfg;
  const rh_avro_schemas_t *schemas;
  const char *department;
  const char *feed;
  const char *period;      /* YYYY-MM */
  const char *input;       /* a path, or "-" for standard input */
  const char *source_name; /* name recorded in the manifest (NULL: the input's base name) */
  rh_encoding_t encoding;  /* RH_ENC_AUTO to detect */
  const char *report_dir;  /* where the rejects CSV goes; NULL: next to the input (cwd for stdin) */
  bool allow_rejects;      /* rejected rows do not make the exit code non-zero */
  bool progress;           /* draw a progress bar on stderr */
  bool republish;          /* send the batch even if a manifest of it is committed already */
  int timeout_ms;          /* how long to wait for the broker; 0: 60 s */
  int partitions;          /* partitions of a topic created here; 0: 3 */
  const char *signing_key; /* the department's private key; NULL: signing.keys_dir/<code>.key */
} produce_batch_opts_t;

typedef struct {
  char batch_id[RH_SHA256_HEXSZ];
  char sha256[RH_SHA256_HEXSZ];
  long rows_total, rows_accepted, rows_rejected;
  long rows_dated_before;  /* accepted rows whose event date is before the list's month */
  uint64_t not_delivered; /* when delivery failed */
  int64_t elapsed_ms;
  uint64_t bytes_in;       /* size of the input file */
  uint64_t payload_bytes;  /* Avro bytes of the FeedRecords published */
  char rejects_path[4096]; /* "" if no rejects file was written */
  char summary[6144];      /* one line for people */
  char error[1024];        /* why it failed, "" if it did not */
  produce_published_info_t published; /* RH_EXIT_ALREADY_DONE: the earlier publication(s) */
} produce_batch_result_t;

/* Publish one batch. Returns an RH_EXIT_* code; res is always filled. */
int produce_batch_publish(const produce_batch_opts_t *o, produce_batch_result_t *res);

#endif
