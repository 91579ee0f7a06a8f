/*
 * rh_msg: one message as riskhub-replay (and riskhub-alerts) sees it, whether it came from the
 * broker (replay_kafka.h) or from an archive (rh_archive.h), so that the
 * replay itself (replay_run.c) does not know where its input came from.
 *
 * Every pointer is borrowed: valid only during the callback that receives the
 * message (the broker's message, or the archive reader's buffer).
 */
#ifndef RH_MSG_H
#define RH_MSG_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  const char *topic;   /* the full topic name, namespace prefix included */
  int32_t partition;
  int64_t offset;
  int64_t timestamp;   /* the message's timestamp (ms since 1970), -1 if unknown */
  const void *key;     /* may be NULL */
  size_t key_len;
  const void *value;   /* single-object encoded Avro, as published */
  size_t value_len;
} rh_msg_t;

/* Called once a message; non-zero stops the reading (the reader returns -1
 * and keeps the errstr the callback filled through its own means). */
typedef int(rh_msg_fn)(void *arg, const rh_msg_t *m);

#endif
