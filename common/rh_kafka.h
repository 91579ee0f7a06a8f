/*
 * rh_kafka: the librdkafka idioms every riskhub program shares.
 *
 * - rh_kafka_conf_new(): a configuration with riskhub's log and error callbacks;
 *   rh_kafka_conf_set() passes any librdkafka property straight through (as kcat
 *   does), so every property works from YAML without new code.
 * - rh_producer_*: an idempotent producer (enable.idempotence=true, acks=all) that
 *   counts every delivery report, retries on a full queue, and tells a complete
 *   delivery from an incomplete one. A batch whose records were not all
 *   acknowledged is a failure.
 * - rh_consumer_new(): a consumer with isolation.level=read_committed, no auto
 *   commit and no auto offset store (offsets are stored after processing).
 * - rh_kafka_create_topics(): CreateTopics through the admin API; a topic that
 *   exists already is not an error.
 *
 * Ownership: a conf passed to rh_producer_new / rh_consumer_new is taken on
 * success and on failure (callers never destroy it after the call). Returned
 * handles are destroyed with rh_producer_destroy / rd_kafka_destroy. Errors fill
 * errstr (never a password; librdkafka does not echo property values).
 */
#ifndef RH_KAFKA_H
#define RH_KAFKA_H

#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rh_config.h"


/* A new configuration with log_cb (to rh_log) and error_cb set. Never NULL. */
rd_kafka_conf_t *rh_kafka_conf_new(void);

/* Set one property. 0 ok; -1 with errstr "kafka.<key>: <why>". */
int rh_kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value,
                      char *errstr, size_t errstr_size);

/* A new configuration (as rh_kafka_conf_new) with every property of the
 * config's kafka: section applied, in file order (environment overrides were
 * applied when the config was loaded). NULL with errstr naming the key. */
rd_kafka_conf_t *rh_kafka_conf_from_config(const rh_config_t *cfg, char *errstr,
                                           size_t errstr_size);

/* This program's party on the brokers (docs/security.md, "Kafka"): a role such
 * as "svc.join", "dept.health" or "town.411024100", whose principal is the
 * configuration's topic prefix followed by the role ("admin": the operator,
 * no prefix). A kafka_credentials path with "{principal}" in it is that file
 * for each program: /etc/riskhub/credentials/{principal}. Set it once, in
 * main's thread, before the first rh_kafka_conf_from_config (role: a static
 * string, or one that outlives every handle). */
void rh_kafka_principal_set(const char *role);

/* rh_kafka_conf_from_config as the party role (NULL: the program's). */
rd_kafka_conf_t *rh_kafka_conf_from_config_as(const rh_config_t *cfg, const char *role,
                                              char *errstr, size_t errstr_size);

/* Make conf a transactional producer's: transactional.id txid and, unless
 * the configuration sets transaction.timeout.ms, one no shorter than
 * message.timeout.ms (librdkafka refuses a producer otherwise) and at least
 * 60 s. 0, or -1 with errstr. */
int rh_kafka_conf_transactional(rd_kafka_conf_t *conf, const rh_config_t *cfg, const char *txid,
                                char *errstr, size_t errstr_size);

/* The principal's name of role in cfg's namespace into out ("" when role is
 * NULL). 0, or -1 when it does not fit. */
int rh_kafka_principal_name(const rh_config_t *cfg, const char *role, char *out, size_t out_size);

/* ---- producer ---- */

typedef struct rh_producer_s rh_producer_t;

/* Called once per message from rh_producer_poll/flush/send, in the caller's
 * thread, after the counters were updated. msg->_private is the opaque given
 * to rh_producer_send. */
typedef void(rh_delivery_fn)(void *ctx, const rd_kafka_message_t *msg);

typedef struct {
  uint64_t sent;      /* accepted by rh_producer_send */
  uint64_t delivered; /* acknowledged by the broker (acks=all) */
  uint64_t failed;    /* delivery report with an error */
  rd_kafka_resp_err_t first_error; /* first delivery error, or NO_ERROR */
  char first_error_str[256];
} rh_producer_stats_t;

/* conf is taken. cb may be NULL. NULL on error (errstr filled). */
rh_producer_t *rh_producer_new(rd_kafka_conf_t *conf, rh_delivery_fn *cb, void *ctx,
                               char *errstr, size_t errstr_size);

/* Enqueue one message; payload and key are copied. partition may be
 * RD_KAFKA_PARTITION_UA (partition by key). headers may be NULL; they are taken
 * on success AND on failure. On a full queue it serves delivery reports and
 * retries. Returns 0, or -1 (fatal producer error, unknown topic, message too
 * large) with errstr filled. */
int rh_producer_send(rh_producer_t *p, const char *topic, int32_t partition,
                     const void *key, size_t key_len, const void *value, size_t value_len,
                     rd_kafka_headers_t *headers, void *msg_opaque, char *errstr,
                     size_t errstr_size);

/* Serve delivery reports for up to timeout_ms. */
void rh_producer_poll(rh_producer_t *p, int timeout_ms);

/* Wait up to timeout_ms for every outstanding message. Returns 0 only if every
 * message sent so far was delivered without error; otherwise -1 and errstr
 * says how many were not delivered and why. */
int rh_producer_flush(rh_producer_t *p, int timeout_ms, char *errstr, size_t errstr_size);

/* Non-zero if the producer hit a fatal error (e.g. idempotence broken). */
int rh_producer_fatal(rh_producer_t *p, char *errstr, size_t errstr_size);

const rh_producer_stats_t *rh_producer_stats(const rh_producer_t *p);
rd_kafka_t *rh_producer_handle(rh_producer_t *p);

/* Destroys the handle; messages still queued are purged (and counted as not
 * delivered in the log). NULL does nothing. */
void rh_producer_destroy(rh_producer_t *p);

/* Whether a client error's text is the broker's authorizer or authentication
 * refusing the party (TOPIC_AUTHORIZATION_FAILED, a SASL failure, ...). */
bool rh_kafka_err_refused(const char *err);

/* For a program's exit: errstr = err; returns code, but RH_EXIT_NOPERM (77)
 * instead of RH_EXIT_UNAVAILABLE (69) when err is a refusal
 * (rh_kafka_err_refused): the party may not, which waiting will not mend. */
int rh_kafka_fail(int code, const char *err, char *errstr, size_t errstr_size);

/* The producer of a program that publishes in transactions of its own: the
 * configuration's, transactional id "<topic prefix><name>", its topics made
 * when missing (one partition each: an ordered log; the retention of their
 * class) and their metadata warmed, init_transactions done (an earlier
 * producer of the id is fenced and its open transaction aborted). NULL with
 * errstr and *exit_code: 78 (configuration), 69 (the broker away) or 77
 * (refused). */
rh_producer_t *rh_producer_transactional(const rh_config_t *cfg, const char *name,
                                         const char *const *topics, size_t n, int timeout_ms,
                                         int *exit_code, char *errstr, size_t errstr_size);

/* rh_producer_transactional, then every committed record of the topics read
 * back from their beginning to fn (rh_kafka_read_topics; fn's type is
 * rh_kafka_read_fn of rh_kafka_read.h). After init_transactions: every
 * transaction an earlier producer of the id left open has ended, so what fn
 * sees is all there is until this producer writes (the programs that keep
 * their state on their own topics: riskhub-scale, riskhub-identity). fn
 * returning non-zero (out of memory) stops it: *exit_code 70. NULL with
 * errstr and *exit_code as rh_producer_transactional's. */
rh_producer_t *rh_producer_transactional_read(const rh_config_t *cfg, const char *name,
                                              const char *const *topics, size_t n, int timeout_ms,
                                              int (*fn)(void *arg, const rd_kafka_message_t *m),
                                              void *arg, int *exit_code, char *errstr,
                                              size_t errstr_size);

/* A message of rh_producer_txn_send_all: its value is data[off, off + len). */
typedef struct {
  const char *topic; /* partition 0 */
  const char *key;
  size_t off, len;
} rh_txn_msg_t;

/* One transaction of a rh_producer_transactional: begin, every message, commit
 * (an abort on any failure: nothing of it becomes visible). The exit code: 0
 * committed; 69 the broker (fenced by a later producer of the id included);
 * 77 refused; with errstr. n 0: nothing, 0. */
int rh_producer_txn_send_all(rh_producer_t *p, const rh_txn_msg_t *msgs, size_t n,
                             const void *data, int timeout_ms, char *errstr, size_t errstr_size);

/* ---- transactions (producer created with transactional.id set) ----
 * Each returns 0, or -1 with errstr. rh_producer_txn_commit retries what is
 * retriable; if the transaction must be aborted it aborts it and returns -1
 * (nothing of it becomes visible to read_committed readers); *fatal (if not
 * NULL) is set when the producer can no longer be used. rh_producer_txn_abort
 * does nothing (0) when no transaction is open: one that rh_producer_txn_commit
 * aborted already is not aborted twice (librdkafka refuses that, "Operation not
 * valid in state Ready", which a broker freeze made the join take for fatal). */
int rh_producer_txn_init(rh_producer_t *p, int timeout_ms, char *errstr, size_t errstr_size);
int rh_producer_txn_begin(rh_producer_t *p, char *errstr, size_t errstr_size);
int rh_producer_txn_commit(rh_producer_t *p, int timeout_ms, int *fatal, char *errstr,
                           size_t errstr_size);
int rh_producer_txn_abort(rh_producer_t *p, int timeout_ms, char *errstr, size_t errstr_size);
/* One attempt only, for a program that exits after it (riskhub-produce after a
 * failed batch): with the broker away each attempt waits timeout_ms, and the
 * next run's producer (same transactional.id) fences and aborts the
 * transaction anyway, as does the coordinator at the transaction timeout. */
int rh_producer_txn_abort_once(rh_producer_t *p, int timeout_ms, char *errstr,
                               size_t errstr_size);
/* How many times rh_producer_txn_commit / _abort try when librdkafka says
 * "retriable" (a timeout, mostly): 5 unless set (at least 1). After the last
 * try the transaction is still open (rh_producer_txn_is_open). */
void rh_producer_set_txn_attempts(rh_producer_t *p, int attempts);
/* A transaction begun and neither committed nor aborted yet. */
bool rh_producer_txn_is_open(const rh_producer_t *p);
/* Reset the delivery counters (e.g. at the start of a transaction). */
void rh_producer_stats_reset(rh_producer_t *p);

/* ---- consumer ---- */

/* A consumer in group group_id (may be NULL only if conf already has
 * group.id), read_committed, auto commit and auto offset store off,
 * auto.offset.reset as the conf says (librdkafka default: latest). conf is taken. */
rd_kafka_t *rh_consumer_new(rd_kafka_conf_t *conf, const char *group_id, char *errstr,
                            size_t errstr_size);

/* Wait ms while keeping the group membership of consumer, whose partitions
 * the caller paused (a service waiting for PostgreSQL): polls it and drops
 * what it gives (fetched before the pause: the caller seeks back). consumer
 * NULL: sleeps. Returns early once *stop (stop may be NULL). */
void rh_consumer_wait(rd_kafka_t *consumer, int ms, volatile sig_atomic_t *stop);

/* ---- offset queries ---- */

/* A consumer handle without a group that only queries offsets (it never
 * subscribes, fetches or commits): the config's kafka: properties plus
 * isolation.level = isolation ("read_committed" or "read_uncommitted"). On
 * such a handle rh_kafka_watermarks() gives as "high" the high watermark
 * (read_uncommitted) or the last stable offset (read_committed: librdkafka
 * sends the handle's isolation level with its ListOffsets request).
 * riskhub-join's LSO check and riskhub-health use it. Its socket.timeout.ms is
 * RH_KAFKA_QUERY_SOCKET_TIMEOUT_MS unless the config sets one: in librdkafka
 * 2.0.2 a ListOffsets request waits for the socket timeout (measured: a query
 * sent to a SIGSTOPped broker returned only at SIGCONT, 8 s later, with the
 * default 60 s). A peek with the legacy consumer (rd_kafka_consume_start / rd_kafka_consume,
 * no group needed) ends with a partition EOF event (enable.partition.eof):
 * riskhub-health reads one record's offset and timestamp that way. Destroy
 * with rd_kafka_destroy. NULL with errstr. */
#define RH_KAFKA_QUERY_SOCKET_TIMEOUT_MS "10000"
rd_kafka_t *rh_kafka_query_handle(const rh_config_t *cfg, const char *isolation, char *errstr,
                                  size_t errstr_size);

/* A handle for the group admin requests (ListConsumerGroupOffsets): a query
 * handle (read_committed) with group.id RH_KAFKA_ADMIN_GROUP. It never
 * subscribes nor commits, so that group never exists on the broker; it is
 * there because librdkafka (2.0.2 to at least 2.16) answers an OffsetFetch
 * error of NOT_COORDINATOR, a coordinator that moved, by asking the handle's
 * own group to look for its coordinator again: on a handle without a group it
 * dereferences NULL (SIGSEGV; tests/unit/health/test_health_probe.c does it
 * on the mock cluster). The request itself fails with NOT_COORDINATOR: ask
 * again. Destroy with rd_kafka_destroy. NULL with errstr. */
#define RH_KAFKA_ADMIN_GROUP "riskhub.admin"
rd_kafka_t *rh_kafka_admin_handle(const rh_config_t *cfg, char *errstr, size_t errstr_size);

/* The watermarks of topic/partition: *high the high watermark (a
 * read_uncommitted handle) or the last stable offset (read_committed), *low
 * the log start offset (low may be NULL: not asked, one request fewer).
 * Bounded: each of the (at most three) steps below waits at most timeout_ms,
 * also when the leader was killed (librdkafka 2.0.2's
 * rd_kafka_query_watermark_offsets waits for such a leader until it is back:
 * this uses rd_kafka_offsets_for_times). It follows a leader change: librdkafka
 * 2.0.2 sends ListOffsets to the leader it has cached and, when that broker
 * answers "not leader" or does not answer (a node of the cluster killed, the
 * leadership moved), does not refresh its metadata until
 * topic.metadata.refresh.interval.ms (5 min). Then this refreshes the topic's
 * metadata and asks once more, and again (100 ms apart and more) until
 * timeout_ms from the start (a topic just made whose leader the broker has
 * not taken up yet answers "not leader" for a moment). */
rd_kafka_resp_err_t rh_kafka_watermarks(rd_kafka_t *rk, const char *topic, int32_t partition,
                                        int64_t *low, int64_t *high, int timeout_ms);

/* ---- admin ---- */

/* Create topics (partitions each) and wait up to timeout_ms. Existing topics are
 * fine (their replication is left as it is). The replication factor is the
 * configuration's topics.replication_factor (of the configuration last given to
 * rh_kafka_conf_from_config; 1 before any), or replication if that is larger;
 * topics.min_insync_replicas, when set, becomes the topic's min.insync.replicas.
 * 0 or -1 with errstr. */
int rh_kafka_create_topics(rd_kafka_t *rk, const char *const *topics, size_t n,
                           int partitions, int replication, int timeout_ms, char *errstr,
                           size_t errstr_size);
/* The same with topic configs for new topics: configs is NULL or name, value,
 * name, value, ..., NULL (e.g. "cleanup.policy", "compact", NULL). An existing
 * topic keeps its configs. */
int rh_kafka_create_topics_with(rd_kafka_t *rk, const char *const *topics, size_t n,
                                int partitions, int replication, const char *const *configs,
                                int timeout_ms, char *errstr, size_t errstr_size);

/* Fetch metadata for the topics now, so that the first message to each is
 * partitioned at once. Without it librdkafka holds messages for a topic it has
 * no metadata for until its once-a-second topic scan, which costs a
 * transaction about a second per new topic. 0 or -1 with errstr. */
int rh_kafka_warm_topics(rd_kafka_t *rk, const char *const *topics, size_t n, int timeout_ms,
                         char *errstr, size_t errstr_size);

/* ---- headers ---- */

/* Value of header name as a NUL-terminated copy in buf (truncated to size);
 * 0 if found, -1 if not. */
int rh_kafka_header_get(const rd_kafka_message_t *msg, const char *name, char *buf,
                        size_t size);

#endif
