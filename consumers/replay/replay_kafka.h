/*
 * replay_kafka: reading the broker for riskhub-replay (docs/replay.md,
 * "What is read"), read_committed, partition by partition with librdkafka's
 * simple consumer (rd_kafka_consume_start_queue): no group is joined,
 * nothing is subscribed, no offset is stored or committed (auto commit and
 * offset store off), so a replay leaves every consumer group — the live
 * join's above all — and every topic as it found them.
 *
 * One reader a stream (manifests, feed records, published outputs), with
 * one or more queues, the parts shared out among them by size
 * (replay_reader_start), so that several threads can each drain a queue of
 * their own (replay_reader_drain is
 * thread-safe for different queues). Fetching starts with
 * replay_reader_start (librdkafka fetches in the background from then on,
 * up to queued.max.messages.kbytes a partition: the feed records arrive
 * while the registry loads); each partition is read in offset order from
 * its first offset to its last (inclusive) or to its end, and stopped then.
 *
 * Ownership: a reader owns its handle; replay_reader_destroy stops and
 * closes it (NULL does nothing). Part lists returned are malloc'd; their
 * topic strings are owned by the reader (valid until it is destroyed).
 * Errors fill errstr; -1 means the broker could not be read (69).
 */
#ifndef REPLAY_KAFKA_H
#define REPLAY_KAFKA_H

#include <stddef.h>
#include <stdint.h>

#include "replay_batches.h"
#include "rh_msg.h"
#include "rh_config.h"

typedef struct replay_reader replay_reader_t;

/* How much librdkafka fetches ahead of the reads, a partition (its own
 * defaults, 100,000 messages or 64 MiB a partition, would hold the whole
 * month in memory). A property the config's kafka section sets wins. */
typedef enum {
  REPLAY_AHEAD_FEW,  /* a few partitions read fast (the records): 4 MiB fetches, 16 MiB queued */
  REPLAY_AHEAD_MANY, /* many partitions (the outputs, 3 a township): 1 MiB, 1 MiB */
} replay_ahead_t;

/* "what" names the stream in messages ("manifests"). NULL with errstr. */
replay_reader_t *replay_reader_new(const rh_config_t *cfg, const char *what, size_t nqueues,
                                   replay_ahead_t ahead,
                                   char *errstr, size_t errstr_size);
void replay_reader_destroy(replay_reader_t *r);

/* Every partition of the topics whose names start with one of the prefixes
 * (or equal one of them when exact), from its first message with a
 * timestamp >= since_ms (since_ms < 0: from the beginning) to its end
 * (last = -1). Partitions with nothing that recent are left out. 0 with
 * *out (free()) and *n, or -1 with errstr. */
int replay_reader_parts(replay_reader_t *r, const char *const *prefixes, size_t nprefixes,
                        int exact, int64_t since_ms, replay_part_t **out, size_t *n,
                        char *errstr, size_t errstr_size);

/* Start fetching the parts (copied). Each part goes to one queue: the
 * largest first, each to the queue with the fewest offsets so far (a part
 * whose end is not known counts 1). Once only. 0, or -1 with errstr. */
int replay_reader_start(replay_reader_t *r, const replay_part_t *parts, size_t n, char *errstr,
                        size_t errstr_size);

/* Read every part of queue q to its last offset or its end; fn for each
 * message, in each partition's offset order. *count (may be NULL) =
 * messages given to fn. *stop (may be NULL) is polled: when it becomes
 * non-zero (another thread failed) the drain returns -1 with errstr
 * "stopped". 0, or -1 with errstr (a broker error, no progress for 60 s,
 * or fn returned non-zero: then errstr is fn_err, if given). */
int replay_reader_drain(replay_reader_t *r, size_t q, rh_msg_fn *fn, void *arg,
                        uint64_t *count, const volatile int *stop, const char *fn_err,
                        char *errstr, size_t errstr_size);

#endif
