#include "rh_kafka.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "rh_clock.h"
#include "rh_err.h"
#include "rh_exit.h"
#include "rh_kafka_auth.h"
#include "rh_kafka_read.h"
#include "rh_log.h"

/* The credentials file of the configuration rh_kafka_conf_from_config last
 * saw (a program has one), for error_cb's words on a refused password. */
static char credentials_path[512];
static pthread_mutex_t credentials_lock = PTHREAD_MUTEX_INITIALIZER;

struct rh_producer_s {
  rd_kafka_t *rk;
  rh_delivery_fn *cb;
  void *ctx;
  rh_producer_stats_t stats;
  /* a transaction begun and not yet committed or aborted: a second abort
   * (the caller's, after rh_producer_txn_commit aborted it already) is then a
   * no-op instead of librdkafka's "Operation not valid in state Ready" */
  bool txn_open;
  int txn_attempts; /* tries of a commit / an abort that fail retriably (5) */
};

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
  (void)opaque;
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    char fatal[512];
    rd_kafka_resp_err_t ferr = rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
    rh_log_error("kafka fatal error %s: %s", rd_kafka_err2name(ferr), fatal);
  } else if (err == RD_KAFKA_RESP_ERR__AUTHENTICATION) {
    /* librdkafka keeps trying; the operator needs to know which file to fix */
    char file[sizeof credentials_path];
    pthread_mutex_lock(&credentials_lock);
    memcpy(file, credentials_path, sizeof file);
    pthread_mutex_unlock(&credentials_lock);
    rh_log_error("kafka: the brokers refused this program's credentials (%s): %s; check the "
                 "password in that file (docs/security.md, \"Kafka\")",
                 file[0] ? file : "no kafka_credentials", reason);
  } else if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || err == RD_KAFKA_RESP_ERR__TRANSPORT ||
             err == RD_KAFKA_RESP_ERR__RESOLVE) {
    /* the client retries by itself; the program decides when it has waited enough */
    rh_log_warn("kafka: %s: %s", rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
  } else {
    rh_log_error("kafka: %s: %s", rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
  }
}

rd_kafka_conf_t *rh_kafka_conf_new(void) {
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set_log_cb(conf, (void (*)(const rd_kafka_t *, int, const char *,
                                           const char *))rh_log_rdkafka_cb);
  rd_kafka_conf_set_error_cb(conf, error_cb);
  /* Bound a producer's memory: librdkafka's default queue takes up to 1 GiB,
   * and a department's PC runs more than riskhub. 32 MiB of queued messages
   * keeps the pipeline full (measured: same rate as 1 GiB). The config's
   * kafka: section may set it otherwise. (Consumers ignore it.) */
  rd_kafka_conf_set(conf, "queue.buffering.max.kbytes", "32768", NULL, 0);
  return conf;
}

int rh_kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value, char *errstr,
                      size_t errstr_size) {
  char why[512];
  if (rd_kafka_conf_set(conf, key, value, why, sizeof(why)) != RD_KAFKA_CONF_OK) {
    snprintf(errstr, errstr_size, "kafka.%s: %s", key, why);
    return -1;
  }
  return 0;
}

/* The configuration's topics section and topic prefix, as
 * rh_kafka_conf_from_config last saw them (a program has one configuration):
 * rh_kafka_create_topics applies them. Without a configuration: replication 1,
 * no retention of riskhub's own. */
static bool topics_known;
static rh_config_topics_t topics_conf; /* zero until seen: the caller's replication */
static char topics_prefix[256];

static const char *program_role;

void rh_kafka_principal_set(const char *role) { program_role = role; }

int rh_kafka_principal_name(const rh_config_t *cfg, const char *role, char *out,
                            size_t out_size) {
  int n = !role                          ? snprintf(out, out_size, "%s", "")
          : strcmp(role, "admin") == 0 ? snprintf(out, out_size, "%s", role)
                                         : snprintf(out, out_size, "%s%s", cfg->topic_prefix, role);
  return n < 0 || (size_t)n >= out_size ? -1 : 0;
}

/* The credentials file of role: kafka_credentials with {principal} replaced. */
static int credentials_file(const rh_config_t *cfg, const char *role, char *out, size_t out_size,
                            char *errstr, size_t errstr_size) {
  const char *path = cfg->kafka_credentials, *mark = strstr(path, "{principal}");
  if (!mark) {
    if ((size_t)snprintf(out, out_size, "%s", path) < out_size) return 0;
    rh_errf(errstr, errstr_size, "kafka_credentials: longer than %zu bytes", out_size - 1);
    return -1;
  }
  char who[256];
  if (!role) {
    rh_errf(errstr, errstr_size,
            "kafka_credentials %s names {principal}, but this program has no party on the "
            "brokers",
            path);
    return -1;
  }
  if (rh_kafka_principal_name(cfg, role, who, sizeof who) ||
      (size_t)snprintf(out, out_size, "%.*s%s%s", (int)(mark - path), path, who,
                       mark + strlen("{principal}")) >= out_size) {
    rh_errf(errstr, errstr_size, "kafka_credentials: the path of %s is too long", role);
    return -1;
  }
  return 0;
}

rd_kafka_conf_t *rh_kafka_conf_from_config(const rh_config_t *cfg, char *errstr,
                                           size_t errstr_size) {
  return rh_kafka_conf_from_config_as(cfg, NULL, errstr, errstr_size);
}

int rh_kafka_conf_transactional(rd_kafka_conf_t *conf, const rh_config_t *cfg, const char *txid,
                                char *errstr, size_t errstr_size) {
  char buf[64];
  size_t sz = sizeof buf;
  if (rh_kafka_conf_set(conf, "transactional.id", txid, errstr, errstr_size)) return -1;
  if (rh_config_kafka_get(cfg, "transaction.timeout.ms") ||
      rd_kafka_conf_get(conf, "message.timeout.ms", buf, &sz) != RD_KAFKA_CONF_OK)
    return 0;
  return rh_kafka_conf_set(conf, "transaction.timeout.ms", atoi(buf) > 60000 ? buf : "60000",
                           errstr, errstr_size);
}

rd_kafka_conf_t *rh_kafka_conf_from_config_as(const rh_config_t *cfg, const char *role,
                                              char *errstr, size_t errstr_size) {
  if (!role) role = program_role;
  topics_conf = cfg->topics;
  topics_known = strlen(cfg->topic_prefix) < sizeof topics_prefix;
  if (topics_known) memcpy(topics_prefix, cfg->topic_prefix, strlen(cfg->topic_prefix) + 1);
  rd_kafka_conf_t *conf = rh_kafka_conf_new();
  for (size_t i = 0; i < cfg->kafka_count; i++) {
    if (rh_kafka_conf_set(conf, cfg->kafka[i].key, cfg->kafka[i].value, errstr, errstr_size)) {
      rd_kafka_conf_destroy(conf);
      return NULL;
    }
  }
  if (cfg->kafka_ca &&
      rh_kafka_conf_set(conf, "ssl.ca.location", cfg->kafka_ca, errstr, errstr_size)) {
    rd_kafka_conf_destroy(conf);
    return NULL;
  }
  if (cfg->kafka_credentials) {
    char file[sizeof credentials_path];
    if (credentials_file(cfg, role, file, sizeof file, errstr, errstr_size) ||
        rh_kafka_credentials_apply(conf, file, errstr, errstr_size)) {
      rd_kafka_conf_destroy(conf);
      return NULL;
    }
    pthread_mutex_lock(&credentials_lock);
    memcpy(credentials_path, file, sizeof file);
    pthread_mutex_unlock(&credentials_lock);
  } else {
    /* SASL without a principal would fail at the first connection, as a
     * broker's refusal among the client's retries: say it now */
    char proto[32] = "";
    size_t n = sizeof proto;
    if (rd_kafka_conf_get(conf, "security.protocol", proto, &n) == RD_KAFKA_CONF_OK &&
        strncasecmp(proto, "sasl", 4) == 0) {
      snprintf(errstr, errstr_size,
               "kafka: security.protocol is %s but this program has no credentials: set "
               "kafka_credentials in the configuration, or RH_KAFKA_CREDENTIALS "
               "(docs/security.md, \"Kafka\")",
               rh_config_kafka_get(cfg, "security.protocol") ? rh_config_kafka_get(cfg, "security.protocol") : proto);
      rd_kafka_conf_destroy(conf);
      return NULL;
    }
  }
  return conf;
}

static rd_kafka_conf_t *query_conf(const rh_config_t *cfg, const char *isolation, char *errstr,
                                   size_t errstr_size) {
  rd_kafka_conf_t *c = rh_kafka_conf_from_config(cfg, errstr, errstr_size);
  if (!c || rh_kafka_conf_set(c, "isolation.level", isolation, errstr, errstr_size) ||
      rh_kafka_conf_set(c, "enable.partition.eof", "true", errstr, errstr_size) ||
      /* librdkafka 2.0.2 gives a ListOffsets request no timeout of the call's:
       * against a frozen broker a watermark query waits socket.timeout.ms */
      (!rh_config_kafka_get(cfg, "socket.timeout.ms") &&
       rh_kafka_conf_set(c, "socket.timeout.ms", RH_KAFKA_QUERY_SOCKET_TIMEOUT_MS, errstr,
                         errstr_size))) {
    if (c) rd_kafka_conf_destroy(c);
    return NULL;
  }
  return c;
}

/* A consumer handle of c (NULL: errstr already says why); c is taken. */
static rd_kafka_t *query_new(rd_kafka_conf_t *c, char *errstr, size_t errstr_size) {
  rd_kafka_t *rk = c ? rd_kafka_new(RD_KAFKA_CONSUMER, c, errstr, errstr_size) : NULL;
  if (c && !rk) rd_kafka_conf_destroy(c);
  return rk;
}

rd_kafka_t *rh_kafka_query_handle(const rh_config_t *cfg, const char *isolation, char *errstr,
                                  size_t errstr_size) {
  return query_new(query_conf(cfg, isolation, errstr, errstr_size), errstr, errstr_size);
}

rd_kafka_t *rh_kafka_admin_handle(const rh_config_t *cfg, char *errstr, size_t errstr_size) {
  rd_kafka_conf_t *c = query_conf(cfg, "read_committed", errstr, errstr_size);
  if (c && (rh_kafka_conf_set(c, "group.id", RH_KAFKA_ADMIN_GROUP, errstr, errstr_size) ||
            rh_kafka_conf_set(c, "enable.auto.commit", "false", errstr, errstr_size))) {
    rd_kafka_conf_destroy(c);
    return NULL;
  }
  return query_new(c, errstr, errstr_size);
}

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque) {
  rh_producer_t *p = opaque;
  (void)rk;
  if (msg->err) {
    p->stats.failed++;
    if (p->stats.first_error == RD_KAFKA_RESP_ERR_NO_ERROR) {
      p->stats.first_error = msg->err;
      snprintf(p->stats.first_error_str, sizeof(p->stats.first_error_str), "%s: %s",
               rd_kafka_err2name(msg->err), rd_kafka_err2str(msg->err));
    }
  } else {
    p->stats.delivered++;
  }
  if (p->cb) p->cb(p->ctx, msg);
}

rh_producer_t *rh_producer_new(rd_kafka_conf_t *conf, rh_delivery_fn *cb, void *ctx,
                               char *errstr, size_t errstr_size) {
  rh_producer_t *p = calloc(1, sizeof(*p));
  if (!p) {
    rd_kafka_conf_destroy(conf);
    snprintf(errstr, errstr_size, "out of memory");
    return NULL;
  }
  /* Delivery guarantees are not the user's to weaken (docs/architecture.md, "Delivery"). */
  if (rh_kafka_conf_set(conf, "enable.idempotence", "true", errstr, errstr_size) ||
      rh_kafka_conf_set(conf, "acks", "all", errstr, errstr_size)) {
    rd_kafka_conf_destroy(conf);
    free(p);
    return NULL;
  }
  p->cb = cb;
  p->ctx = ctx;
  p->txn_attempts = 5;
  rd_kafka_conf_set_opaque(conf, p);
  rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
  char why[512];
  p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof(why));
  if (!p->rk) {
    snprintf(errstr, errstr_size, "cannot create Kafka producer: %s", why);
    rd_kafka_conf_destroy(conf);
    free(p);
    return NULL;
  }
  return p;
}

int rh_producer_send(rh_producer_t *p, const char *topic, int32_t partition, const void *key,
                     size_t key_len, const void *value, size_t value_len,
                     rd_kafka_headers_t *headers, void *msg_opaque, char *errstr,
                     size_t errstr_size) {
  for (;;) {
    rd_kafka_resp_err_t err;
    if (headers)
      err = rd_kafka_producev(
          p->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY((void *)key, key_len),
          RD_KAFKA_V_VALUE((void *)value, value_len), RD_KAFKA_V_OPAQUE(msg_opaque),
          RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_END);
    else
      err = rd_kafka_producev(
          p->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY((void *)key, key_len),
          RD_KAFKA_V_VALUE((void *)value, value_len), RD_KAFKA_V_OPAQUE(msg_opaque),
          RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      p->stats.sent++;
      rd_kafka_poll(p->rk, 0);
      return 0;
    }
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(p->rk, 100); /* serve delivery reports, then retry */
      continue;
    }
    if (headers) rd_kafka_headers_destroy(headers); /* still ours on failure */
    if (err == RD_KAFKA_RESP_ERR__STATE) {
      /* a transactional producer refuses new messages once its transaction
       * has failed (messages timed out, broker gone) */
      snprintf(errstr, errstr_size, "the transaction failed and takes no more messages%s%s",
               p->stats.failed ? " (" : "", p->stats.failed ? p->stats.first_error_str : "");
      if (p->stats.failed) strncat(errstr, ")", errstr_size - strlen(errstr) - 1);
    } else if (err == RD_KAFKA_RESP_ERR__FATAL) {
      char why[512];
      rd_kafka_resp_err_t ferr = rd_kafka_fatal_error(p->rk, why, sizeof(why));
      snprintf(errstr, errstr_size, "producer fatal error %s: %s", rd_kafka_err2name(ferr), why);
    } else {
      snprintf(errstr, errstr_size, "cannot produce to %s: %s", topic, rd_kafka_err2str(err));
    }
    return -1;
  }
}

void rh_producer_poll(rh_producer_t *p, int timeout_ms) { rd_kafka_poll(p->rk, timeout_ms); }

int rh_producer_flush(rh_producer_t *p, int timeout_ms, char *errstr, size_t errstr_size) {
  rd_kafka_flush(p->rk, timeout_ms);
  rd_kafka_poll(p->rk, 0);
  int outq = rd_kafka_outq_len(p->rk);
  uint64_t missing = p->stats.sent - p->stats.delivered;
  if (missing == 0 && p->stats.failed == 0) return 0;
  snprintf(errstr, errstr_size,
           "%llu of %llu messages not delivered (%llu failed, %d still queued)%s%s",
           (unsigned long long)missing, (unsigned long long)p->stats.sent,
           (unsigned long long)p->stats.failed, outq, p->stats.failed ? "; first error " : "",
           p->stats.failed ? p->stats.first_error_str : "");
  return -1;
}

int rh_producer_fatal(rh_producer_t *p, char *errstr, size_t errstr_size) {
  char why[512];
  rd_kafka_resp_err_t err = rd_kafka_fatal_error(p->rk, why, sizeof(why));
  if (!err) return 0;
  snprintf(errstr, errstr_size, "producer fatal error %s: %s", rd_kafka_err2name(err), why);
  return 1;
}

/* Copy an rd_kafka_error_t into errstr and free it. */
static void take_error(rd_kafka_error_t *error, const char *what, char *errstr,
                       size_t errstr_size) {
  snprintf(errstr, errstr_size, "%s: %s: %s", what, rd_kafka_error_name(error),
           rd_kafka_error_string(error));
  rd_kafka_error_destroy(error);
}

int rh_producer_txn_init(rh_producer_t *p, int timeout_ms, char *errstr, size_t errstr_size) {
  rd_kafka_error_t *error = rd_kafka_init_transactions(p->rk, timeout_ms);
  if (!error) return 0;
  take_error(error, "initialising transactions", errstr, errstr_size);
  return -1;
}

int rh_producer_txn_begin(rh_producer_t *p, char *errstr, size_t errstr_size) {
  rd_kafka_error_t *error = rd_kafka_begin_transaction(p->rk);
  if (!error) {
    p->txn_open = true;
    return 0;
  }
  take_error(error, "beginning a transaction", errstr, errstr_size);
  return -1;
}

static int txn_abort(rh_producer_t *p, int timeout_ms, int attempts, char *errstr,
                     size_t errstr_size) {
  /* librdkafka 2.0 (confluentinc/librdkafka#4849): an abort racing with the
   * AddPartitionsToTxn of messages still in flight can fail FATALLY with
   * INVALID_TXN_STATE. Let what was produced reach the broker first (an
   * abort that follows discards it all the same). */
  if (!p->txn_open) return 0; /* aborted already (or never begun) */
  rd_kafka_flush(p->rk, timeout_ms < 10000 ? timeout_ms : 10000);
  for (int attempt = 0;; attempt++) {
    rd_kafka_error_t *error = rd_kafka_abort_transaction(p->rk, timeout_ms);
    if (!error) {
      p->txn_open = false;
      return 0;
    }
    if (rd_kafka_error_is_retriable(error) && attempt + 1 < attempts) {
      rh_log_warn("aborting the transaction: %s; retrying", rd_kafka_error_string(error));
      rd_kafka_error_destroy(error);
      continue;
    }
    take_error(error, "aborting the transaction", errstr, errstr_size);
    return -1;
  }
}

int rh_producer_txn_abort(rh_producer_t *p, int timeout_ms, char *errstr, size_t errstr_size) {
  return txn_abort(p, timeout_ms, p->txn_attempts, errstr, errstr_size);
}

int rh_producer_txn_abort_once(rh_producer_t *p, int timeout_ms, char *errstr,
                               size_t errstr_size) {
  return txn_abort(p, timeout_ms, 1, errstr, errstr_size);
}

int rh_producer_txn_commit(rh_producer_t *p, int timeout_ms, int *fatal, char *errstr,
                           size_t errstr_size) {
  if (fatal) *fatal = 0;
  for (int attempt = 0; attempt < p->txn_attempts; attempt++) {
    rd_kafka_error_t *error = rd_kafka_commit_transaction(p->rk, timeout_ms);
    if (!error) {
      p->txn_open = false;
      return 0;
    }
    if (rd_kafka_error_is_retriable(error)) {
      rh_log_warn("committing the transaction: %s; retrying", rd_kafka_error_string(error));
      rd_kafka_error_destroy(error);
      continue;
    }
    int abort_needed = rd_kafka_error_txn_requires_abort(error);
    if (fatal) *fatal = rd_kafka_error_is_fatal(error);
    take_error(error, "committing the transaction", errstr, errstr_size);
    if (abort_needed) {
      char why[256];
      if (rh_producer_txn_abort(p, timeout_ms, why, sizeof(why)))
        rh_log_error("%s", why);
    }
    return -1;
  }
  snprintf(errstr, errstr_size, "committing the transaction: still failing after %d attempt%s",
           p->txn_attempts, p->txn_attempts == 1 ? "" : "s");
  return -1;
}

void rh_producer_set_txn_attempts(rh_producer_t *p, int attempts) {
  p->txn_attempts = attempts > 0 ? attempts : 1;
}

bool rh_producer_txn_is_open(const rh_producer_t *p) { return p->txn_open; }

void rh_producer_stats_reset(rh_producer_t *p) { memset(&p->stats, 0, sizeof(p->stats)); }

const rh_producer_stats_t *rh_producer_stats(const rh_producer_t *p) { return &p->stats; }

rd_kafka_t *rh_producer_handle(rh_producer_t *p) { return p->rk; }

void rh_producer_destroy(rh_producer_t *p) {
  if (!p) return;
  int outq = rd_kafka_outq_len(p->rk);
  if (outq > 0) {
    rh_log_warn("producer closing with %d messages not delivered; purging them", outq);
    rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(p->rk, 0);
  }
  rd_kafka_destroy(p->rk);
  free(p);
}

rd_kafka_t *rh_consumer_new(rd_kafka_conf_t *conf, const char *group_id, char *errstr,
                            size_t errstr_size) {
  char why[512];
  if ((group_id && rh_kafka_conf_set(conf, "group.id", group_id, errstr, errstr_size)) ||
      rh_kafka_conf_set(conf, "isolation.level", "read_committed", errstr, errstr_size) ||
      rh_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, errstr_size) ||
      rh_kafka_conf_set(conf, "enable.auto.offset.store", "false", errstr, errstr_size) ||
      rh_kafka_conf_set(conf, "enable.partition.eof", "true", errstr, errstr_size)) {
    rd_kafka_conf_destroy(conf);
    return NULL;
  }
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof(why));
  if (!rk) {
    snprintf(errstr, errstr_size, "cannot create Kafka consumer: %s", why);
    rd_kafka_conf_destroy(conf);
    return NULL;
  }
  rd_kafka_poll_set_consumer(rk);
  return rk;
}

void rh_consumer_wait(rd_kafka_t *consumer, int ms, volatile sig_atomic_t *stop) {
  struct timespec t0, now;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (;;) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long left = ms - ((long long)(now.tv_sec - t0.tv_sec) * 1000 +
                           (now.tv_nsec - t0.tv_nsec) / 1000000);
    if (left <= 0 || (stop && *stop)) return;
    int step = left < 200 ? (int)left : 200;
    if (consumer) {
      rd_kafka_message_t *m = rd_kafka_consumer_poll(consumer, step);
      if (m) rd_kafka_message_destroy(m);
    } else {
      struct timespec ts = {0, (long)step * 1000000L};
      nanosleep(&ts, NULL);
    }
  }
}

/* retention.ms and segment.ms of the topic's class (topics.retention,
 * topics.segment), if it has one and a configuration was seen; a manifests
 * topic's records stamped by the broker (LogAppendTime: the order in which
 * copies of one signed list were written, rh_chain, is the broker's, not the
 * writer's). */
static int set_retention(rd_kafka_NewTopic_t *nt, const char *topic, char *errstr,
                         size_t errstr_size) {
  rh_topic_class_t c = topics_known ? rh_config_topic_class(topics_prefix, topic) : RH_TOPIC_OTHER;
  if (c == RH_TOPIC_OTHER) return 0;
  int64_t ret = topics_conf.retention_ms[c], seg = topics_conf.segment_ms;
  if (ret > 0 && seg > ret) seg = ret;
  char rbuf[24], sbuf[24];
  snprintf(rbuf, sizeof rbuf, "%" PRId64, ret);
  snprintf(sbuf, sizeof sbuf, "%" PRId64, seg);
  if (rd_kafka_NewTopic_set_config(nt, "retention.ms", rbuf) ||
      rd_kafka_NewTopic_set_config(nt, "segment.ms", sbuf)) {
    snprintf(errstr, errstr_size, "topic %s: cannot set retention.ms/segment.ms", topic);
    return -1;
  }
  if (c == RH_TOPIC_MANIFESTS &&
      rd_kafka_NewTopic_set_config(nt, "message.timestamp.type", "LogAppendTime")) {
    snprintf(errstr, errstr_size, "topic %s: cannot set message.timestamp.type", topic);
    return -1;
  }
  return 0;
}

int rh_kafka_create_topics(rd_kafka_t *rk, const char *const *topics, size_t n, int partitions,
                           int replication, int timeout_ms, char *errstr, size_t errstr_size) {
  return rh_kafka_create_topics_with(rk, topics, n, partitions, replication, NULL, timeout_ms,
                                     errstr, errstr_size);
}

int rh_kafka_create_topics_with(rd_kafka_t *rk, const char *const *topics, size_t n,
                                int partitions, int replication, const char *const *configs,
                                int timeout_ms, char *errstr, size_t errstr_size) {
  int rc = -1;
  char why[512];
  rd_kafka_NewTopic_t **nt = calloc(n ? n : 1, sizeof(*nt));
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
  rd_kafka_AdminOptions_t *opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_event_t *ev = NULL;
  if (!nt) {
    snprintf(errstr, errstr_size, "out of memory");
    goto cleanup;
  }
  rd_kafka_AdminOptions_set_operation_timeout(opts, timeout_ms, why, sizeof(why));
  rd_kafka_AdminOptions_set_request_timeout(opts, timeout_ms, why, sizeof(why));
  if (replication < topics_conf.replication_factor) replication = topics_conf.replication_factor;
  char min_isr[16];
  snprintf(min_isr, sizeof min_isr, "%d", topics_conf.min_insync_replicas);
  for (size_t i = 0; i < n; i++) {
    nt[i] = rd_kafka_NewTopic_new(topics[i], partitions, replication, why, sizeof(why));
    if (!nt[i]) {
      snprintf(errstr, errstr_size, "topic %s: %s", topics[i], why);
      goto cleanup;
    }
    if (topics_conf.min_insync_replicas > 0 &&
        rd_kafka_NewTopic_set_config(nt[i], "min.insync.replicas", min_isr)) {
      snprintf(errstr, errstr_size, "topic %s: cannot set min.insync.replicas", topics[i]);
      goto cleanup;
    }
    for (size_t c = 0; configs && configs[c] && configs[c + 1]; c += 2)
      if (rd_kafka_NewTopic_set_config(nt[i], configs[c], configs[c + 1])) {
        snprintf(errstr, errstr_size, "topic %s: config %s refused", topics[i], configs[c]);
        goto cleanup;
      }
    if (set_retention(nt[i], topics[i], errstr, errstr_size)) goto cleanup;
  }
  rd_kafka_CreateTopics(rk, nt, n, opts, q);
  ev = rd_kafka_queue_poll(q, timeout_ms + 2000);
  if (!ev) {
    snprintf(errstr, errstr_size, "creating topics: no answer from the broker in %d ms",
             timeout_ms);
    goto cleanup;
  }
  if (rd_kafka_event_error(ev)) {
    snprintf(errstr, errstr_size, "creating topics: %s", rd_kafka_event_error_string(ev));
    goto cleanup;
  }
  const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
  size_t cnt = 0;
  const rd_kafka_topic_result_t **tr = rd_kafka_CreateTopics_result_topics(res, &cnt);
  for (size_t i = 0; i < cnt; i++) {
    rd_kafka_resp_err_t e = rd_kafka_topic_result_error(tr[i]);
    if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      snprintf(errstr, errstr_size, "creating topic %s: %s", rd_kafka_topic_result_name(tr[i]),
               rd_kafka_topic_result_error_string(tr[i]));
      goto cleanup;
    }
  }
  rc = 0;
cleanup:
  if (ev) rd_kafka_event_destroy(ev);
  if (nt) {
    for (size_t i = 0; i < n; i++)
      if (nt[i]) rd_kafka_NewTopic_destroy(nt[i]);
    free(nt);
  }
  rd_kafka_AdminOptions_destroy(opts);
  rd_kafka_queue_destroy(q);
  return rc;
}

/* Metadata answers a topic created a moment ago may not know it yet (the
 * controller has not told the broker): those are retried until the timeout. */
static int metadata_retriable(rd_kafka_resp_err_t e) {
  return e == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || e == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE ||
         e == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC || e == RD_KAFKA_RESP_ERR__TRANSPORT;
}

int rh_kafka_warm_topics(rd_kafka_t *rk, const char *const *topics, size_t n, int timeout_ms,
                         char *errstr, size_t errstr_size) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  long long deadline = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + timeout_ms;
  for (size_t i = 0; i < n; i++) {
    for (int backoff = 20;; backoff = backoff < 500 ? backoff * 2 : 500) {
      rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topics[i], NULL);
      const struct rd_kafka_metadata *md = NULL;
      clock_gettime(CLOCK_MONOTONIC, &ts);
      long long now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
      int left = deadline > now ? (int)(deadline - now) : 1;
      rd_kafka_resp_err_t err =
          rkt ? rd_kafka_metadata(rk, 0, rkt, &md, left) : rd_kafka_last_error();
      rd_kafka_resp_err_t terr =
          err ? err
              : (!md || md->topic_cnt != 1 ? RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC
                                           : md->topics[0].err);
      int leaderless = 0;
      for (int p = 0; !terr && p < md->topics[0].partition_cnt; p++)
        if (md->topics[0].partitions[p].leader < 0) leaderless = 1;
      if (!terr && leaderless) terr = RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE;
      if (md) rd_kafka_metadata_destroy(md);
      if (rkt) rd_kafka_topic_destroy(rkt);
      if (!terr) break;
      clock_gettime(CLOCK_MONOTONIC, &ts);
      now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
      if (!metadata_retriable(terr) || now + backoff >= deadline) {
        snprintf(errstr, errstr_size, "metadata for topic %s: %s", topics[i],
                 rd_kafka_err2str(terr));
        return -1;
      }
      struct timespec nap = {0, (long)backoff * 1000000L};
      nanosleep(&nap, NULL);
    }
  }
  return 0;
}

int rh_kafka_header_get(const rd_kafka_message_t *msg, const char *name, char *buf,
                        size_t size) {
  rd_kafka_headers_t *hdrs = NULL;
  const void *val = NULL;
  size_t len = 0;
  if (size == 0 || rd_kafka_message_headers(msg, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      rd_kafka_header_get_last(hdrs, name, &val, &len) != RD_KAFKA_RESP_ERR_NO_ERROR)
    return -1;
  if (len >= size) len = size - 1;
  if (val) memcpy(buf, val, len);
  buf[len] = '\0';
  return 0;
}

static bool leader_moved(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION ||
         err == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE ||
         err == RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH ||
         err == RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH ||
         err == RD_KAFKA_RESP_ERR_REPLICA_NOT_AVAILABLE || err == RD_KAFKA_RESP_ERR__TRANSPORT ||
         err == RD_KAFKA_RESP_ERR__TIMED_OUT;
}

/* One ListOffsets of topic/partition: at (RD_KAFKA_OFFSET_END: the high
 * watermark or the last stable offset, as the handle's isolation level says;
 * RD_KAFKA_OFFSET_BEGINNING: the log start). rd_kafka_offsets_for_times, not
 * rd_kafka_query_watermark_offsets: in librdkafka 2.0.2 the latter waits for
 * its answer past timeout_ms, and a request to a leader that was killed is
 * retried without end (never sent, so never counted as a retry) until that
 * node is back (fixed in librdkafka 2.3.0, #4460): the join stalled there for
 * good when the leader of a partition it queried was SIGKILLed. */
static rd_kafka_resp_err_t list_offset(rd_kafka_t *rk, const char *topic, int32_t partition,
                                       int64_t at, int64_t *out, int timeout_ms) {
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(l, topic, partition)->offset = at;
  rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(rk, l, timeout_ms);
  if (!err) err = l->elems[0].err;
  /* no answer in time leaves the asked-for position (< 0) in place */
  if (!err && l->elems[0].offset < 0) err = RD_KAFKA_RESP_ERR__TIMED_OUT;
  if (!err) *out = l->elems[0].offset;
  rd_kafka_topic_partition_list_destroy(l);
  return err;
}

/* list_offset, and again after a refresh of the topic's metadata while the
 * leader did not answer or is another now (a leader moving, or a topic just
 * made whose leader the broker has not taken up yet): once in any case, then
 * 100 ms apart and more while timeout_ms from the start has not passed. */
static rd_kafka_resp_err_t list_offset_following(rd_kafka_t *rk, const char *topic,
                                                 int32_t partition, int64_t at, int64_t *out,
                                                 int timeout_ms) {
  int64_t until = rh_mono_ms() + timeout_ms, pause = 100;
  rd_kafka_resp_err_t err = list_offset(rk, topic, partition, at, out, timeout_ms);
  for (int tries = 0; leader_moved(err) && (tries == 0 || rh_mono_ms() < until); tries++) {
    if (tries) {
      rh_sleep_ms(pause);
      pause = pause < 1000 ? pause * 2 : 1000;
    }
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    if (!rkt) return err;
    const struct rd_kafka_metadata *md = NULL;
    if (rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR && md)
      rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    err = list_offset(rk, topic, partition, at, out, timeout_ms);
  }
  return err;
}

rd_kafka_resp_err_t rh_kafka_watermarks(rd_kafka_t *rk, const char *topic, int32_t partition,
                                        int64_t *low, int64_t *high, int timeout_ms) {
  rd_kafka_resp_err_t err =
      list_offset_following(rk, topic, partition, RD_KAFKA_OFFSET_END, high, timeout_ms);
  if (err || !low) return err;
  return list_offset_following(rk, topic, partition, RD_KAFKA_OFFSET_BEGINNING, low, timeout_ms);
}

bool rh_kafka_err_refused(const char *err) {
  return strstr(err, "AUTHORIZATION") || strstr(err, "uthoriz") || strstr(err, "SASL") ||
         strstr(err, "uthentication");
}

int rh_kafka_fail(int code, const char *err, char *errstr, size_t errstr_size) {
  rh_errf(errstr, errstr_size, "%s", err);
  return code == RH_EXIT_UNAVAILABLE && rh_kafka_err_refused(err) ? RH_EXIT_NOPERM : code;
}

rh_producer_t *rh_producer_transactional(const rh_config_t *cfg, const char *name,
                                         const char *const *topics, size_t n, int timeout_ms,
                                         int *exit_code, char *errstr, size_t errstr_size) {
  char err[1024], txid[256];
  snprintf(txid, sizeof txid, "%s%s", cfg->topic_prefix, name);
  rd_kafka_conf_t *conf = rh_kafka_conf_from_config(cfg, err, sizeof err);
  if (!conf || rh_kafka_conf_transactional(conf, cfg, txid, err, sizeof err)) {
    if (conf) rd_kafka_conf_destroy(conf);
    *exit_code = rh_kafka_fail(RH_EXIT_CONFIG, err, errstr, errstr_size);
    return NULL;
  }
  rh_producer_t *p = rh_producer_new(conf, NULL, NULL, err, sizeof err);
  if (!p) {
    *exit_code = rh_kafka_fail(RH_EXIT_CONFIG, err, errstr, errstr_size);
    return NULL;
  }
  if (rh_kafka_create_topics(rh_producer_handle(p), topics, n, 1, 1, timeout_ms, err,
                             sizeof err) ||
      rh_kafka_warm_topics(rh_producer_handle(p), topics, n, timeout_ms, err, sizeof err) ||
      rh_producer_txn_init(p, timeout_ms, err, sizeof err)) {
    rh_producer_destroy(p);
    *exit_code = rh_kafka_fail(RH_EXIT_UNAVAILABLE, err, errstr, errstr_size);
    return NULL;
  }
  return p;
}

int rh_producer_txn_send_all(rh_producer_t *p, const rh_txn_msg_t *msgs, size_t n,
                             const void *data, int timeout_ms, char *errstr, size_t errstr_size) {
  char err[1024], ignored[256];
  if (n == 0) return RH_EXIT_OK;
  if (rh_producer_txn_begin(p, err, sizeof err))
    return rh_kafka_fail(RH_EXIT_UNAVAILABLE, err, errstr, errstr_size);
  for (size_t i = 0; i < n; i++)
    if (rh_producer_send(p, msgs[i].topic, 0, msgs[i].key, strlen(msgs[i].key),
                         (const char *)data + msgs[i].off, msgs[i].len, NULL, NULL, err,
                         sizeof err)) {
      rh_producer_txn_abort_once(p, timeout_ms, ignored, sizeof ignored);
      return rh_kafka_fail(RH_EXIT_UNAVAILABLE, err, errstr, errstr_size);
    }
  int fatal = 0;
  if (rh_producer_txn_commit(p, timeout_ms, &fatal, err, sizeof err)) {
    if (!fatal) rh_producer_txn_abort_once(p, timeout_ms, ignored, sizeof ignored);
    return rh_kafka_fail(RH_EXIT_UNAVAILABLE, err, errstr, errstr_size);
  }
  return RH_EXIT_OK;
}

typedef struct {
  int (*fn)(void *arg, const rd_kafka_message_t *m);
  void *arg;
  bool stopped;
} read_back_t;

static int read_back_one(void *arg, const rd_kafka_message_t *m) {
  read_back_t *r = arg;
  if (r->fn(r->arg, m)) return r->stopped = true, -1;
  return 0;
}

rh_producer_t *rh_producer_transactional_read(const rh_config_t *cfg, const char *name,
                                              const char *const *topics, size_t n, int timeout_ms,
                                              int (*fn)(void *arg, const rd_kafka_message_t *m),
                                              void *arg, int *exit_code, char *errstr,
                                              size_t errstr_size) {
  char err[1024];
  rh_producer_t *p =
      rh_producer_transactional(cfg, name, topics, n, timeout_ms, exit_code, errstr, errstr_size);
  if (!p) return NULL;
  read_back_t r = {fn, arg, false};
  rd_kafka_conf_t *conf = rh_kafka_conf_from_config(cfg, err, sizeof err);
  if (!conf || rh_kafka_read_topics(conf, topics, n, NULL, read_back_one, &r, NULL, err,
                                    sizeof err)) {
    *exit_code = r.stopped ? rh_kafka_fail(RH_EXIT_SOFTWARE, "out of memory", errstr, errstr_size)
                           : rh_kafka_fail(RH_EXIT_UNAVAILABLE, err, errstr, errstr_size);
    rh_producer_destroy(p);
    return NULL;
  }
  return p;
}
