/*
 * replay_store: the outputs the replay computed (Alerts and CheckResults),
 * by id, waiting to be compared with what was published.
 *
 * An entry keeps the message exactly as the join's code encoded it (with
 * created_at 0) and where it came from: the report's feed, the batch, and
 * for an alert the feed record's partition and offset. Ids are found by
 * their first 64 bits (join_idset_key) and then compared whole.
 *
 * Memory: the messages are copied into chunks of 4 MiB (no allocation a
 * message); a full chunk is written to an unlinked temporary file in
 * $TMPDIR (else /tmp) and its buffer reused, so that a month's expected
 * outputs (~155 MB for 344,557 alerts) are not resident (issue 10); a
 * message over 64 KiB keeps a chunk of its own in memory; without a
 * temporary file everything stays in memory. Entries in one array.
 * Entry pointers stay valid until the next replay_store_add;
 * replay_store_bytes' pointer, for a spilled message, points to a buffer of
 * the calling thread, valid until its next replay_store_bytes or
 * replay_store_find (which reads the id back) — else until
 * replay_store_destroy.
 * Not thread-safe while adding; once filled, any number of threads may
 * find entries and mark them (seen, reported: with atomic operations).
 */
#ifndef REPLAY_STORE_H
#define REPLAY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { REPLAY_OUT_ALERT = 0, REPLAY_OUT_CHECK = 1 } replay_out_t;

typedef struct {
  uint64_t key;       /* join_idset_key of the id */
  uint32_t seen;      /* published messages found with this id (atomic: compared in threads) */
  uint8_t what;       /* replay_out_t */
  uint8_t reported;   /* a difference was reported for it (atomic) */
  uint32_t feed;      /* the report's feed index */
  uint32_t batch;     /* the batch (replay_batches index) of the record / list */
  int32_t partition;  /* the feed record's, -1 when none (check results) */
  int64_t offset;
  uint32_t len;       /* message bytes */
  uint32_t chunk, pos;
} replay_entry_t;

typedef struct replay_store replay_store_t;

/* NULL only when out of memory. */
replay_store_t *replay_store_new(size_t expected);
void replay_store_destroy(replay_store_t *s);

/* Keep a copy of one message (single-object bytes whose first field is the
 * id). 1 added, 0 an entry with that id exists (nothing added), -1 out of
 * memory or not shaped like an output (no hex id first). */
int replay_store_add(replay_store_t *s, replay_out_t what, const void *value, size_t len,
                     uint32_t feed, uint32_t batch, int32_t partition, int64_t offset);

/* The entry of an id (hex, idlen characters), or NULL. */
replay_entry_t *replay_store_find(replay_store_t *s, const char *id, size_t idlen);

/* The message's bytes (read back from the file if spilled; a failing read
 * of the store's own file aborts the process with a logged error). */
const unsigned char *replay_store_bytes(const replay_store_t *s, const replay_entry_t *e);
size_t replay_store_count(const replay_store_t *s);
replay_entry_t *replay_store_at(replay_store_t *s, size_t i);
/* Bytes held (chunks and entries). */
size_t replay_store_bytes_held(const replay_store_t *s);

#endif
