/* join_producer: see join_producer.h and docs/join.md ("A new producer"). */
#include "join_producer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_log.h"

bool join_producer_renewable(rd_kafka_resp_err_t err) {
  switch (err) {
  case RD_KAFKA_RESP_ERR__FENCED:
  case RD_KAFKA_RESP_ERR_PRODUCER_FENCED:
  case RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
  case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
  case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
  case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
  case RD_KAFKA_RESP_ERR_INVALID_TRANSACTION_TIMEOUT:
  case RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION:
  case RD_KAFKA_RESP_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT:
    return false;
  default:
    return true;
  }
}

int join_renewals_take(join_renewals_t *r, int64_t now_ms) {
  int in_window = 0;
  for (int i = 0; i < r->n && i < JOIN_PRODUCER_RENEW_MAX; i++)
    if (now_ms - r->at[i] < JOIN_PRODUCER_RENEW_WINDOW_MS) in_window++;
  if (in_window >= JOIN_PRODUCER_RENEW_MAX) return -1;
  r->at[r->n % JOIN_PRODUCER_RENEW_MAX] = now_ms;
  r->n++;
  return 0;
}

rh_producer_t *join_producer_new(const rh_config_t *cfg, const char *txid, int txn_ms,
                                 rh_delivery_fn *cb, void *ctx, char *errstr,
                                 size_t errstr_size) {
  rd_kafka_conf_t *pc = rh_kafka_conf_from_config(cfg, errstr, errstr_size);
  char txn_s[24], msg_s[24], cur[24], codec[16];
  size_t cur_sz = sizeof cur, codec_sz = sizeof codec;
  long long msg_max_ms = txn_ms > 10000 ? txn_ms - 5000 : txn_ms / 2, msg_ms = 300000;
  if (pc && rd_kafka_conf_get(pc, "message.timeout.ms", cur, &cur_sz) == RD_KAFKA_CONF_OK)
    msg_ms = atoll(cur);
  snprintf(txn_s, sizeof txn_s, "%d", txn_ms);
  snprintf(msg_s, sizeof msg_s, "%lld", msg_max_ms);
  if (!pc || rh_kafka_conf_set(pc, "transactional.id", txid, errstr, errstr_size) ||
      /* a transaction lives at most txn_ms: messages must time out before */
      rh_kafka_conf_set(pc, "transaction.timeout.ms", txn_s, errstr, errstr_size) ||
      (msg_ms > msg_max_ms &&
       rh_kafka_conf_set(pc, "message.timeout.ms", msg_s, errstr, errstr_size)) ||
      rh_kafka_conf_set(pc, "linger.ms", "5", errstr, errstr_size) ||
      /* zstd at level 1 unless the config sets a level: librdkafka 2.0 gives
       * zstd no content size, so each batch of the default level 3 clears
       * ~0.8 MB of tables (the join's batches are a few KB: half its CPU
       * under callgrind); level 1 clears ~50 KB (docs/join.md, "Benchmark") */
      (!rh_config_kafka_get(cfg, "compression.level") &&
       rd_kafka_conf_get(pc, "compression.codec", codec, &codec_sz) == RD_KAFKA_CONF_OK &&
       strcmp(codec, "zstd") == 0 &&
       rh_kafka_conf_set(pc, "compression.level", "1", errstr, errstr_size))) {
    if (pc) rd_kafka_conf_destroy(pc);
    return NULL;
  }
  rh_producer_t *p = rh_producer_new(pc, cb, ctx, errstr, errstr_size);
  /* a commit or an abort that times out is not tried again with this producer:
   * the join replaces it (a dead coordinator, join_producer.h) */
  if (p) rh_producer_set_txn_attempts(p, 1);
  return p;
}

int join_producer_init(rh_producer_t *p, int wait_s, volatile sig_atomic_t *stop, char *errstr,
                       size_t errstr_size) {
  int init_ms = wait_s < 0 ? 600000 : (wait_s > 0 ? wait_s * 1000 : 10000);
  for (;;) {
    if (rh_producer_txn_init(p, init_ms, errstr, errstr_size) == 0) return 0;
    if (wait_s >= 0 || (stop && *stop) || join_producer_fatal(p)) return -1;
    rh_log_warn("Kafka: %s; still waiting for the broker", errstr);
  }
}

rd_kafka_resp_err_t join_producer_fatal(rh_producer_t *p) {
  char why[256];
  return rd_kafka_fatal_error(rh_producer_handle(p), why, sizeof why);
}
