/*
 * join_producer: riskhub-join's transactional producer, and its replacement
 * after a failure that leaves it unusable (docs/join.md, "A new producer").
 *
 * librdkafka 2.0.2 can leave the transactional producer in a fatal state
 * that no other instance caused: after a broker or coordinator freeze the
 * join's messages time out, librdkafka bumps the epoch, and the abort that
 * follows fails with INVALID_TXN_STATE (or the transaction manager goes
 * fatal). With the coordinator node killed it can also keep asking the dead
 * node, and a commit or abort then never completes. In both cases a NEW
 * producer with the same transactional.id gets out: its init_transactions
 * fences the old epoch and makes the coordinator finish (abort) the
 * transaction that was open. The consumed offsets travel in the same
 * transaction as the outputs, so nothing of the old transaction is visible
 * or committed twice: the join reads again from the group's committed
 * offsets.
 *
 * Not replaced: a producer fenced by a newer one (PRODUCER_FENCED: another
 * instance with the same --instance) or refused by the broker's
 * configuration (authorization, an invalid transaction timeout): exit 70
 * as before. And at most JOIN_PRODUCER_RENEW_MAX replacements within
 * JOIN_PRODUCER_RENEW_WINDOW_MS: a failure that comes back every time is
 * not a passing fault (exit 70).
 */
#ifndef JOIN_PRODUCER_H
#define JOIN_PRODUCER_H

#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rh_config.h"
#include "rh_kafka.h"

#define JOIN_PRODUCER_RENEW_MAX 3
#define JOIN_PRODUCER_RENEW_WINDOW_MS (10 * 60 * 1000)

/* ---- pure ---- */

/* May a producer whose fatal error is err be replaced by a new one with the
 * same transactional.id? False for a fence (another producer with the same
 * transactional.id is newer) and for the broker's refusals that a new
 * producer meets again. */
bool join_producer_renewable(rd_kafka_resp_err_t err);

/* When the last replacements happened (a ring of JOIN_PRODUCER_RENEW_MAX). */
typedef struct {
  int64_t at[JOIN_PRODUCER_RENEW_MAX];
  int n;    /* replacements so far */
} join_renewals_t;

/* One more replacement at now_ms: 0 and noted if fewer than
 * JOIN_PRODUCER_RENEW_MAX happened in the JOIN_PRODUCER_RENEW_WINDOW_MS
 * before, else -1 (not noted). */
int join_renewals_take(join_renewals_t *r, int64_t now_ms);

/* ---- Kafka ---- */

/* The join's producer: the config's kafka: properties, transactional.id,
 * transaction.timeout.ms txn_ms (rh_config_txn_timeout_ms), message.timeout.ms
 * below it, linger.ms 5; a commit or abort is tried once (the join replaces
 * the producer when one does not end). NULL with errstr. */
rh_producer_t *join_producer_new(const rh_config_t *cfg, const char *txid, int txn_ms,
                                 rh_delivery_fn *cb, void *ctx, char *errstr,
                                 size_t errstr_size);

/* init_transactions: wait_s < 0 retries until it succeeds or *stop (a WARN
 * each time), else one try of wait_s seconds (10 s if 0). 0, or -1 with
 * errstr. */
int join_producer_init(rh_producer_t *p, int wait_s, volatile sig_atomic_t *stop, char *errstr,
                       size_t errstr_size);

/* The fatal error of the producer, or NO_ERROR. */
rd_kafka_resp_err_t join_producer_fatal(rh_producer_t *p);

#endif
