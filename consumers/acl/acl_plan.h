/*
 * acl_plan: what every party may do on the brokers, derived from the
 * configuration alone (docs/security.md, "Kafka: the parties' rights").
 *
 * A principal a party, in the configuration's namespace (topic_prefix P):
 *   User:<P>dept.<code>   a department: writes its own feed.<code>.* topics
 *                         (and creates them): its feeds, its manifests
 *                         (feed.<code>.manifests) and rejected rows
 *                         (feed.<code>.rejects), and transactional ids
 *                         riskhub-produce.<code>.*; reads feed.<code>.manifests
 *                         (its chain, "published already"). Nothing it sends
 *                         under another department's name reaches a topic.
 *   User:<P>town.<code>   a township: reads alerts.<code> and checks.<code>, in
 *                         the consumer groups riskhub-alerts.<code>.*
 *   User:<P>svc.join      reads feed.* (and creates them), writes (and reads
 *                         back) alerts.*, checks.*, riskhub.dlq and its
 *                         changelog; groups riskhub-join*; transactional ids
 *                         riskhub-join.*
 *   User:<P>svc.ledger    reads alerts.*, checks.*, every department's
 *                         feed.<code>.manifests (not their lists); group
 *                         riskhub-ledger
 *   User:<P>dept.<code>   also reads its own pushes outbound.<code>.new-monitoring-objects
 *                         (and outbound.<code>.applicants with a check feed) in the
 *                         consumer group riskhub-receive.<code> (docs/outbound.md)
 *   User:<P>svc.push      writes, makes and reads back outbound.*; transactional
 *                         id riskhub-push
 *   User:<P>svc.scale     writes, makes and reads back riskhub.scale-risks;
 *                         transactional id riskhub-scale
 *   User:<P>svc.identity  reads the identity feeds and their departments'
 *                         manifests; writes, makes and reads back identity.*;
 *                         transactional id riskhub-identity
 *   User:<P>town.<code>   also reads identity.<code>, its discrepancies
 *   User:<P>svc.audit     reads every topic of the hub; groups riskhub-replay and
 *                         riskhub-alerts.* (riskhub-alerts for several townships)
 *   User:<P>svc.status    describes every topic, its configs and the riskhub*
 *                         groups and transactional ids; reads every
 *                         department's feed.<code>.manifests;
 *                         the plumbing check's topic and group riskhub-selftest
 * (every resource name after the prefix P). Everything is ALLOW from any host;
 * what is not here is refused (the brokers run with
 * allow.everyone.if.no.acl.found=false; admin and the brokers are super users).
 *
 * The plan is sorted and has no duplicates; acl_entry_cmp orders it, and two
 * entries are the same binding when it says 0.
 */
#ifndef ACL_PLAN_H
#define ACL_PLAN_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>

#include "rh_config.h"

/* Kafka's resource type TRANSACTIONAL_ID (5). librdkafka 2.0.2 (Debian 12)
 * cannot make a binding of it (rd_kafka_AclBinding_new: "Invalid resource
 * type") and reads one back as RD_KAFKA_RESOURCE_UNKNOWN. */
#define ACL_RESOURCE_TRANSACTIONAL_ID ((rd_kafka_ResourceType_t)5)

/* The service parties: join, ledger, push, scale, identity, audit, status. */
#define ACL_SERVICES 7

#define ACL_NAME_MAX 256
#define ACL_PRINCIPAL_MAX 192
#define ACL_HOST_MAX 64

typedef struct {
  rd_kafka_ResourceType_t type;           /* TOPIC, GROUP, TRANSACTIONAL_ID, ... */
  rd_kafka_ResourcePatternType_t pattern; /* LITERAL or PREFIXED */
  char name[ACL_NAME_MAX];
  char principal[ACL_PRINCIPAL_MAX]; /* "User:<P>dept.health" */
  char host[ACL_HOST_MAX];           /* "*" in the plan */
  rd_kafka_AclOperation_t op;
  rd_kafka_AclPermissionType_t permission; /* ALLOW in the plan */
} acl_entry_t;

typedef struct {
  acl_entry_t *v;
  size_t n, cap;
} acl_list_t;

/* The plan of cfg (its parties, in its namespace) into *out (emptied first).
 * 0, or -1 with errstr (out of memory, a name too long). */
int acl_plan_build(const rh_config_t *cfg, acl_list_t *out, char *errstr, size_t errstr_size);

/* Appends a copy of e. 0, or -1 (out of memory). */
int acl_list_add(acl_list_t *l, const acl_entry_t *e);
/* Sorts by acl_entry_cmp and drops duplicates. */
void acl_list_sort(acl_list_t *l);
/* Binary search in a sorted list. */
bool acl_list_has(const acl_list_t *l, const acl_entry_t *e);
void acl_list_free(acl_list_t *l);

int acl_entry_cmp(const void *a, const void *b);

/* The binding concerns this configuration's namespace: its resource is one of
 * the hub's (after the prefix: feed., alerts., checks., verifications.,
 * outbound., riskhub. or riskhub-)
 * or its principal is one of the plan's kinds (User:<P>dept., town., svc.).
 * check and revoke look at these only, so namespaces sharing a broker (tests,
 * a staging hub) leave each other's bindings alone. */
bool acl_entry_ours(const rh_config_t *cfg, const acl_entry_t *e);

/* "ALLOW User:dept.health WRITE TOPIC PREFIXED feed.health." (host when not *). */
void acl_entry_format(const acl_entry_t *e, char *buf, size_t size);

/* Whether librdkafka can make this binding (not a transactional id). */
bool acl_entry_makeable(const acl_entry_t *e);

#endif
