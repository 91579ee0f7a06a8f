/*
 * rh_cover: is every partition of a consumer's subscription assigned to some
 * member of its group? Asked by a service before it says "all written"
 * (rh_idle, --idle-exit-ms): a partition of a subscribed topic that nobody
 * holds is work nobody did. It happens when a topic is made after the group
 * last balanced (librdkafka learns of it at its next metadata refresh), or
 * when a static member (group.instance.id) rejoining within its session is
 * handed its old assignment (test_verify, 2026-12-06: 120 of 156 partitions).
 *
 * The subscription's topics are looked up afresh in the broker's metadata
 * (which also tells librdkafka of a topic made since: it then rebalances);
 * partitions not assigned here are looked for in the other members'
 * assignments (DescribeConsumerGroups: the party needs Describe on its group,
 * which Read gives).
 *
 * Threads: the consumer's owner. Logs nothing; the caller says what it means.
 */
#ifndef RH_COVER_H
#define RH_COVER_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
  size_t total;        /* partitions of the subscribed topics that exist */
  size_t ours;         /* of which assigned to this consumer */
  size_t others;       /* assigned to another member */
  size_t none;         /* assigned to no member */
  bool balancing;      /* the group was not Stable (its members' assignments are moving) */
  char example[320];   /* "topic [p]" of the first assigned to no member, or "" */
} rh_cover_t;

/* Fill *out for consumer (subscribed, of group). 0, or -1 with errstr (the
 * broker did not answer within timeout_ms, or refused the description):
 * nothing is known then. */
int rh_cover_check(rd_kafka_t *consumer, const char *group, int timeout_ms, rh_cover_t *out,
                   char *errstr, size_t errstr_size);

#endif
