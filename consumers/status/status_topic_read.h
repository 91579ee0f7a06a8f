/*
 * status_topic_read: what the month's tables read from the topics whatever
 * --source says (the scale risks, status_scale_read.h; the identity
 * discrepancies, status_identity_read.h) have in common: topics read from the
 * beginning to the end, read_committed, by partition assignment
 * (rh_kafka_read_topics: no group, nothing committed), an empty fetch
 * returning at once; each message handed with a decoder of the schemas to the
 * table's own function (its codec's decode and its add). A
 * topic that does not exist holds nothing; an empty message, or one the
 * decoder refuses, is counted (*undecodable), logged (the first few) and
 * skipped.
 */
#ifndef STATUS_TOPIC_READ_H
#define STATUS_TOPIC_READ_H

#include <stddef.h>
#include <stdint.h>

#include "rh_avro_codec.h"
#include "rh_avro_schema.h"
#include "rh_config.h"

/* One message's value: 0 taken, 1 not a record of the table (why says what,
 * without personal data), -1 out of memory (the read stops). */
typedef int (*status_topic_fn)(void *arg, rh_avro_decoder_t *dec, const void *data, size_t len,
                               char *why, size_t why_size);

/* names: full topic names (with the prefix). 0, or -1 with errstr: the broker
 * away or the read failing, or "out of memory" (fn said so). */
int status_topics_read(const rh_config_t *cfg, const rh_avro_schemas_t *schemas,
                       const char *const *names, size_t n, status_topic_fn fn, void *arg,
                       uint64_t *undecodable, char *errstr, size_t errstr_size);

#endif
