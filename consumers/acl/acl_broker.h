/*
 * acl_broker: the brokers' ACLs through librdkafka's Admin API (DescribeAcls,
 * CreateAcls, DeleteAcls). The client needs the ALTER (create, delete) and
 * DESCRIBE operations on the cluster: the admin principal.
 */
#ifndef ACL_BROKER_H
#define ACL_BROKER_H

#include <librdkafka/rdkafka.h>

#include "acl_plan.h"

/* Every binding on the brokers of the types librdkafka 2.0.2 knows (topics,
 * groups, the cluster) into *out (emptied first), sorted: one request a type,
 * because an answer holding a transactional id's binding is read by it as
 * empty ("DescribeAclsResponse returned unknown resource type 5"). Bindings on
 * transactional ids are not listed. 0, or -1 with errstr. */
int acl_broker_list(rd_kafka_t *rk, int timeout_ms, acl_list_t *out, char *errstr,
                    size_t errstr_size);

/* Makes the bindings v[0..n) (acl_entry_makeable ones; the others are the
 * caller's to report). 0, or -1 with errstr naming the first refused. */
int acl_broker_create(rd_kafka_t *rk, int timeout_ms, const acl_entry_t *v, size_t n,
                      char *errstr, size_t errstr_size);

/* Removes the bindings v[0..n) exactly (a transactional id's with a filter of
 * any resource type: a binding of another type with the same name, pattern,
 * principal, host, operation and permission goes too). 0, or -1 with errstr. */
int acl_broker_delete(rd_kafka_t *rk, int timeout_ms, const acl_entry_t *v, size_t n,
                      char *errstr, size_t errstr_size);

/* Whether the brokers let this client manage ACLs at all: a DeleteAcls that
 * matches nothing (ALTER on the cluster). The brokers answer a DescribeAcls of
 * a client without it with an empty list, not a refusal (Kafka 3.9): without
 * this, check would report every binding missing. 0, or -1 with errstr. */
int acl_broker_probe(rd_kafka_t *rk, int timeout_ms, char *errstr, size_t errstr_size);

#endif
