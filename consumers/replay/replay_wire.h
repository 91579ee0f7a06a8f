/*
 * replay_wire: what riskhub-replay reads straight from single-object encoded
 * bytes, without decoding a whole record (docs/replay.md, "Speed"):
 *
 *   - the batch_id of a FeedRecord written with a known schema (its 7th
 *     field), to keep a batch's records and skip the others of a range;
 *   - whether a published message equals the replay's own message for the
 *     same id except for the LAST field, created_at (a long): the replay
 *     makes its outputs with created_at 0, i.e. ending in the one byte 0x00.
 *
 * Pure functions over the bytes given; nothing is allocated; bounds-checked
 * (never a read outside value[0..len)). Thread-safe.
 */
#ifndef REPLAY_WIRE_H
#define REPLAY_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The batch_id of a FeedRecord message whose writer fingerprint is fp and
 * whose first seven fields are those of schemas/FeedRecord.avsc (id_number,
 * name ["null", string], department, feed, kind, period, batch_id): a
 * pointer into value and *out_len, or NULL if the message has another
 * fingerprint or is not shaped like that (decode it instead). */
const char *replay_wire_feed_batch_id(const void *value, size_t len, uint64_t fp,
                                      size_t *out_len);

/* The row_number of the same message (its 8th field, the long right after
 * the batch_id that replay_wire_feed_batch_id found at bid, blen bytes):
 * 0 and *row, or -1 if the bytes end first. */
int replay_wire_feed_row(const void *value, size_t len, const char *bid, size_t blen,
                         int64_t *row);

/* Is value[from..len) exactly one Avro long (a zigzag varint of 1 to 10
 * bytes, the last without its high bit)? */
bool replay_wire_is_one_long(const void *value, size_t from, size_t len);

/* Do expected (a message the replay made, ending in created_at = 0, the byte
 * 0x00) and published agree byte for byte, except for that last long? A
 * false answer is not proof of a difference (another writer schema, another
 * order of map entries): decode both then. */
bool replay_wire_same_but_created_at(const void *expected, size_t elen, const void *published,
                                     size_t plen);

#endif
