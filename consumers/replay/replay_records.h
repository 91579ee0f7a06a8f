/*
 * replay_records: are a batch's records those its department signed?
 * (docs/security.md, "Signed lists"; docs/replay.md, "What is read")
 *
 * A signed manifest carries records_sha256: the SHA-256 over the SHA-256 of
 * each of the batch's FeedRecord messages as published, in row order
 * (rh_manifest_records_*). While the replay reads a batch's records, each
 * reader thread notes, for every record it claims, its batch, its row_number
 * and the SHA-256 of its bytes (48 bytes a record); once all are read, each
 * batch whose records were all found and whose manifest is signed is hashed
 * again and compared. A batch that does not match is a difference of the
 * month ("ALTERED", exit 70): a record was changed, added to its ranges under
 * its batch id, or dropped and replaced.
 *
 * One replay_digests_t per thread (no locking); verify reads them all.
 */
#ifndef REPLAY_RECORDS_H
#define REPLAY_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "replay_batches.h"
#include "replay_report.h"

typedef struct {
  uint32_t batch;
  int64_t row;
  unsigned char sha[32];
} replay_digest_t;

typedef struct {
  replay_digest_t *d;
  size_t n, cap;
} replay_digests_t;

/* Note one record of batch (its index) at row: 0, or -1 out of memory. */
int replay_digests_add(replay_digests_t *s, size_t batch, int64_t row, const void *msg,
                       size_t len);
void replay_digests_free(replay_digests_t *s);

/* Check every signed batch whose records were all found (records ==
 * rows_accepted) against the notes of all threads; each that does not match
 * is counted in rep->batches_altered and described in rep->altered. 0, or -1
 * out of memory. */
int replay_digests_verify(const replay_digests_t *parts, size_t nparts, replay_batches_t *b,
                          replay_report_t *rep);

#endif
