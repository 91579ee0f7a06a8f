/* join_loop: see join_loop.h and docs/join.md. */
#include "join_loop.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "join_changelog.h"
#include "join_checks.h"
#include "rh_end.h"
#include "join_idset.h"
#include "join_lso.h"
#include "join_metrics.h"
#include "join_producer.h"
#include "rh_array.h"
#include "rh_avro_schema.h"
#include "rh_clock.h"
#include "rh_err.h"
#include "rh_exit.h"
#include "rh_idle.h"
#include "rh_metrics_kafka.h"
#include "rh_kafka.h"
#include "rh_kafka_read.h"
#include "rh_log.h"
#include "rh_pg.h"
#include "rh_regmap.h"

#define CATCHUP_EVERY_MS 5000
#define NAME_MAX_LEN 256
/* the LSO check (docs/join.md): how often while running, how long an LSO may
 * stay below what the join wrote (answers of the broker only), one query's limit */
#define LSO_CHECK_EVERY_MS 2000
#define LSO_WINDOW_MS 10000
#define QUERY_TIMEOUT_MS 2000
/* a partition of the subscription held by no member this long at an idle exit: exit 69 */
#define COVER_WAIT_MS 60000
/* a transaction ends before --batch-ms once open this long with nothing more
 * waiting in the consumer's queue (docs/join.md, "Transactions") */
#define JOIN_CAUGHT_UP_MS 20
/* a killed instance's transaction stays open until the coordinator aborts it:
 * transaction.timeout.ms and the coordinator's 10 s scan (docs/join.md, "State");
 * join_t.dead_ms */
#define DEAD_TXN_SLACK_MS 15000

typedef struct {
  char topic[NAME_MAX_LEN];
  int32_t partition;
  int64_t first, last; /* offsets consumed in the open transaction */
  uint64_t n;          /* records consumed there */
} touched_t;

typedef struct {
  const join_opts_t *o;
  const rh_config_t *cfg;
  /* the producer's transaction.timeout.ms (rh_config_txn_timeout_ms) and how long
   * a dead instance's transaction may keep an LSO down: that + DEAD_TXN_SLACK_MS */
  int txn_ms, dead_ms;
  rh_avro_schemas_t *schemas;
  PGconn *pg;
  rh_regmap_t *map;
  rh_producer_t *producer;
  char txid[NAME_MAX_LEN];   /* its transactional.id */
  bool renew;                /* it failed, not fenced: replace it (join_producer.h) */
  join_renewals_t renewals;
  rd_kafka_t *consumer;
  /* read_committed, no group, never fetches: the watermark queries of the idle
   * clock and the LSO check (on the consumer's own connection a ListOffsets
   * waits behind each fetch long-poll, ~0.5 s a query) */
  rd_kafka_t *probe;
  join_idset_t *ids;
  /* the published ids of each assigned input partition (docs/join.md, "State") */
  join_changelog_t *cl;
  bool cl_failed;         /* published ids could not be read (an assignment's, the check
                           * ids before a manifest): exit 69 */
  join_transform_t tf;
  bool tf_ready;
  join_checks_t *checks;
  join_counts_t totals;
  join_stats_t stats;
  int64_t first_ms, last_commit_ms;
  /* every department's manifests topic (pointers into cfg) */
  const char **manifests;
  size_t nmanifests;
  /* the open transaction */
  bool txn_open;
  int64_t txn_wall_ms; /* when it began: the created_at of its outputs */
  touched_t *touched;
  size_t ntouched, touched_cap;
  /* assignment and where the input stands (the idle clock, what remains) */
  rh_end_t end;
  bool rebalanced;        /* the open transaction was aborted by a rebalance */
  int fatal;
  /* what the join's transactions wrote, until the LSO passed it */
  join_lso_t lso;
  bool lso_failed;        /* out of memory noting it: the check cannot be trusted */
  bool lso_now;           /* an incident: check at once */
  char group[NAME_MAX_LEN]; /* the consumer group (an idle exit asks it holds every partition) */
} join_t;


static bool stopping(const join_t *j) { return j->o->stop && *j->o->stop; }

/* /metrics and /healthz (join_metrics.h): the page now, with the service's
 * problem (NULL: healthy) */
static void show(join_t *j, const char *problem) {
  if (!j->o->metrics) return;
  rh_metrics_health(j->o->metrics, problem);
  join_metrics_publish(j->o->metrics, &j->totals, &j->stats, j->map, &j->lso);
}

/* ---- the sink: outputs go to the transactional producer ---- */

static int sink_send(void *arg, const char *topic, const void *key, size_t key_len,
                     const void *value, size_t value_len, rd_kafka_headers_t *headers,
                     char *errstr, size_t errstr_size) {
  join_t *j = arg;
  return rh_producer_send(j->producer, topic, RD_KAFKA_PARTITION_UA, key, key_len, value,
                          value_len, headers, NULL, errstr, errstr_size);
}

/* Delivery reports (served in the join's thread by flush/poll/commit): where
 * each output record landed, for the LSO check. */
static void on_delivery(void *ctx, const rd_kafka_message_t *msg) {
  join_t *j = ctx;
  if (!msg->err && msg->offset >= 0 &&
      join_lso_stage(&j->lso, rd_kafka_topic_name(msg->rkt), msg->partition, msg->offset))
    j->lso_failed = true;
}

/* ---- transaction state ---- */

/* The open transaction ended (committed or aborted): the LSO must pass what it
 * wrote either way, after its marker. */
static void end_txn_lso(join_t *j) {
  rh_producer_poll(j->producer, 0);
  if (join_lso_end_txn(&j->lso)) j->lso_failed = true;
}

static void forget_txn(join_t *j) {
  join_idset_rollback(j->ids);
  join_checks_rollback(j->checks);
  join_changelog_txn_end(j->cl);
  memset(&j->tf.counts, 0, sizeof j->tf.counts);
  j->txn_open = false;
  if (j->producer) end_txn_lso(j);
}

/* The producer failed (a fatal error, or a commit / abort that did not end):
 * replaced by a new one at the top of the loop (join_producer.h), unless it
 * was fenced by another instance with the same transactional id or the
 * broker refuses it: then the join stops (70). */
static void producer_failed(join_t *j, const char *err) {
  rd_kafka_resp_err_t f = join_producer_fatal(j->producer);
  if (f && !join_producer_renewable(f)) {
    rh_log_error("%s", err);
    j->fatal = 1;
  } else {
    rh_log_warn("%s; the transactional producer will be replaced", err);
    j->renew = true;
  }
}

/* The partitions the open transaction read are no longer known to be at
 * their end: what it read is read again (or counted as remaining at a stop).
 * The others keep what is known of them (rh_end.h: their EOF comes once). */
static void forget_touched(join_t *j) {
  for (size_t i = 0; i < j->ntouched; i++)
    rh_end_forget_partition(&j->end, j->touched[i].topic, j->touched[i].partition);
}

static void abort_txn(join_t *j, const char *why) {
  char err[512];
  if (j->txn_open) {
    forget_touched(j);
    j->stats.aborts++;
    rh_log_warn("aborting the transaction (%zu partitions, nothing of it is visible): %s",
                j->ntouched, why);
    if (rh_producer_txn_abort(j->producer, j->txn_ms, err, sizeof err))
      producer_failed(j, err);
  }
  forget_txn(j);
}

static int touch(join_t *j, const rd_kafka_message_t *m) {
  const char *topic = rd_kafka_topic_name(m->rkt);
  for (size_t i = 0; i < j->ntouched; i++)
    if (j->touched[i].partition == m->partition && strcmp(j->touched[i].topic, topic) == 0) {
      j->touched[i].last = m->offset;
      j->touched[i].n++;
      return 0;
    }
  if (RH_ARRAY_RESERVE(j->touched, j->ntouched + 1, j->touched_cap, 64)) return -1;
  touched_t *t = &j->touched[j->ntouched++];
  snprintf(t->topic, sizeof t->topic, "%s", topic);
  t->partition = m->partition;
  t->first = t->last = m->offset;
  t->n = 1;
  return 0;
}

/* Seek the partitions the aborted transaction read back to where it began. */
static void rewind_touched(join_t *j) {
  if (!j->ntouched) return;
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)j->ntouched);
  for (size_t i = 0; i < j->ntouched; i++)
    rd_kafka_topic_partition_list_add(l, j->touched[i].topic, j->touched[i].partition)->offset =
        j->touched[i].first;
  rd_kafka_error_t *e = rd_kafka_seek_partitions(j->consumer, l, 10000);
  if (e) {
    rh_log_error("rewinding after an abort: %s", rd_kafka_error_string(e));
    rd_kafka_error_destroy(e);
    j->fatal = 1;
  } else {
    for (int i = 0; i < l->cnt; i++)
      if (l->elems[i].err) {
        rh_log_error("rewinding %s [%d]: %s", l->elems[i].topic, (int)l->elems[i].partition,
                     rd_kafka_err2str(l->elems[i].err));
        j->fatal = 1;
      }
  }
  rd_kafka_topic_partition_list_destroy(l);
  forget_touched(j);
  j->ntouched = 0;
}

/* ---- rebalances: an open transaction is aborted before partitions go ---- */

static rd_kafka_conf_t *reader_conf(const rh_config_t *cfg, char *err, size_t errsz);
static int read_arrivals(join_t *j);

/* The group's committed offsets of the partitions of l into l (offsets < 0:
 * none committed), asked again while the coordinator does not answer or
 * moves, up to dead_ms or a stop: NO_ERROR, or the last error. */
static rd_kafka_resp_err_t group_offsets(join_t *j, rd_kafka_t *rk,
                                         rd_kafka_topic_partition_list_t *l, const char *what) {
  int64_t t0 = rh_mono_ms();
  for (;;) {
    rd_kafka_resp_err_t e = rd_kafka_committed(rk, l, QUERY_TIMEOUT_MS * 5);
    for (int i = 0; !e && i < l->cnt; i++) e = l->elems[i].err;
    if (!e || stopping(j) || rh_mono_ms() - t0 >= j->dead_ms) return e;
    rh_log_info("%s: the group's offsets: %s; again", what, rd_kafka_err2str(e));
  }
}

/* The published ids of the newly assigned partitions, from the changelog
 * (join_changelog.h): after the group's committed offsets are fetched
 * read_committed, so a previous owner's transaction on them is settled and
 * its changelog records are below the LSO that the read waits for. Then
 * which check lists arrived, if a manifests partition came. 0 or -1. */
static int assign_state(join_t *j, rd_kafka_t *rk, const rd_kafka_topic_partition_list_t *parts) {
  char err[1024];
  int64_t t0 = rh_mono_ms();
  rd_kafka_topic_partition_list_t *c = rd_kafka_topic_partition_list_copy(parts);
  rd_kafka_resp_err_t e = group_offsets(j, rk, c, "assignment");
  size_t loaded = 0;
  int rc = -1;
  if (e) {
    rh_log_error("assignment: the group's offsets: %s", rd_kafka_err2str(e));
  } else if (join_changelog_assign(j->cl, c, j->ids, reader_conf(j->cfg, err, sizeof err),
                                   j->dead_ms, &loaded, err, sizeof err)) {
    rh_log_error("assignment: reading the published ids from the changelog: %s", err);
  } else {
    rc = 0;
    rh_log_info("assignment: %zu published ids read from the changelog in %.2f s; %zu held "
                "for %d partitions", loaded, (double)(rh_mono_ms() - t0) / 1000.0,
                join_changelog_held(j->cl), parts->cnt);
  }
  bool manifests = false;
  for (int i = 0; i < parts->cnt; i++)
    manifests |= rh_config_topic_class(j->cfg->topic_prefix, parts->elems[i].topic) ==
                 RH_TOPIC_MANIFESTS;
  if (rc == 0 && manifests && read_arrivals(j)) rc = -1;
  rd_kafka_topic_partition_list_destroy(c);
  return rc;
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque) {
  join_t *j = opaque;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    rh_log_info("assigned %d partitions", parts->cnt);
    if (assign_state(j, rk, parts)) {
      /* never consume a partition whose published ids are not known */
      j->cl_failed = true;
      j->fatal = 1;
      return;
    }
    rd_kafka_assign(rk, parts);
    if (rh_end_assign(&j->end, parts)) {
      rh_log_error("out of memory noting the assignment");
      j->fatal = 1;
    }
  } else {
    rh_log_info("%d partitions revoked", parts->cnt);
    if (j->txn_open) {
      abort_txn(j, "partitions revoked by a rebalance");
      j->rebalanced = true;
    }
    j->ntouched = 0;
    rd_kafka_assign(rk, NULL);
    rh_end_revoke(&j->end);
    join_changelog_revoke(j->cl);
  }
}

/* ---- PostgreSQL ---- */

static int pg_connect(join_t *j, bool reload) {
  char err[512];
  int64_t deadline = j->o->wait_s < 0 ? INT64_MAX : rh_mono_ms() + (int64_t)j->o->wait_s * 1000;
  bool logged = false;
  while (!stopping(j)) {
    if (j->pg) PQfinish(j->pg);
    j->pg = rh_pg_connect_as(j->cfg->pg_conninfo, RH_PG_ROLE_JOIN, 0, err, sizeof err);
    if (j->pg && rh_regmap_listen(j->pg, err, sizeof err) == 0) {
      rh_regmap_t *m = NULL;
      int64_t t0 = rh_mono_ms();
      if (!j->map || reload) m = rh_regmap_load(j->pg, err, sizeof err);
      if (m && !j->map) {
        rh_regmap_stats_t st;
        rh_regmap_stats(m, &st);
        j->stats.registry_load_s = (double)(rh_mono_ms() - t0) / 1000.0;
        j->stats.registry_bytes = st.bytes;
      }
      if (j->map && !reload) {
        rh_regmap_catchup_t cu;
        if (rh_regmap_catch_up(j->map, j->pg, &cu, err, sizeof err) == 0) {
          if (logged) rh_log_info("PostgreSQL is back");
          if (logged) show(j, NULL);
          return 0;
        }
      } else if (m) {
        rh_regmap_destroy(j->map);
        j->map = m;
        if (logged) rh_log_info("PostgreSQL is back");
        if (logged) show(j, NULL);
        return 0;
      }
    }
    if (!logged) {
      rh_log_warn("%s; waiting for PostgreSQL (partitions kept, nothing committed)", err);
      logged = true;
    }
    char why[600];
    snprintf(why, sizeof why, "waiting for PostgreSQL: %s", err);
    show(j, why);
    if (rh_mono_ms() >= deadline) {
      rh_log_error("PostgreSQL away for more than %d s: %s", j->o->wait_s, err);
      return -1;
    }
    /* keep the group membership while waiting: partitions are paused, what
     * was fetched before is rewound below, never processed here */
    rh_consumer_wait(j->consumer, 1000, j->o->stop);
  }
  return -1;
}

/* Seek every assigned partition to the group's committed offset (or its
 * beginning when nothing was committed): used after a wait during which
 * fetched messages were dropped. */
static void rewind_to_committed(join_t *j) {
  rh_end_forget(&j->end);
  rd_kafka_topic_partition_list_t *l = NULL;
  rd_kafka_resp_err_t a = rd_kafka_assignment(j->consumer, &l);
  if (a || !l) {
    rh_log_error("rewinding to the committed offsets: the assignment: %s", rd_kafka_err2str(a));
    j->fatal = 1;
  } else if (l->cnt) {
    /* without the rewind the consumer would go on after what the failed
     * transaction read: those records would be skipped, never processed */
    rd_kafka_resp_err_t c = group_offsets(j, j->consumer, l, "rewinding");
    if (c && stopping(j)) {
      /* stopping: nothing is read any more; the next run starts from them */
    } else if (c) {
      rh_log_error("rewinding to the committed offsets: the group's offsets did not come "
                   "within %d s: %s; stopping", j->dead_ms / 1000, rd_kafka_err2str(c));
      j->fatal = 1;
    } else {
      for (int i = 0; i < l->cnt; i++)
        if (l->elems[i].offset < 0) l->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
      rd_kafka_error_t *e = rd_kafka_seek_partitions(j->consumer, l, 10000);
      if (e) {
        rh_log_error("rewinding to the committed offsets: %s", rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        j->fatal = 1;
      }
      for (int i = 0; !e && i < l->cnt; i++)
        if (l->elems[i].err) {
          rh_log_error("rewinding %s [%d]: %s", l->elems[i].topic, (int)l->elems[i].partition,
                       rd_kafka_err2str(l->elems[i].err));
          j->fatal = 1;
        }
    }
  }
  if (l) rd_kafka_topic_partition_list_destroy(l);
}

/* PostgreSQL failed inside a transaction: abort, pause, wait, resume. */
static int pg_outage(join_t *j, const char *why) {
  abort_txn(j, why);
  rd_kafka_topic_partition_list_t *l = NULL;
  rd_kafka_assignment(j->consumer, &l);
  if (l) rd_kafka_pause_partitions(j->consumer, l);
  j->ntouched = 0;
  int rc = pg_connect(j, false);
  if (l) {
    rd_kafka_topic_partition_list_t *now = NULL;
    rd_kafka_assignment(j->consumer, &now);
    if (now) {
      rd_kafka_resume_partitions(j->consumer, now);
      rd_kafka_topic_partition_list_destroy(now);
    }
    rd_kafka_topic_partition_list_destroy(l);
  }
  if (rc == 0) rewind_to_committed(j);
  return rc;
}

/* ---- a new producer (join_producer.h) ---- */

/* The producer failed without being fenced: destroy it, make a new one with
 * the same transactional id (its init_transactions fences the old one and
 * ends the transaction it had open, docs/join.md "A new producer"), then go
 * on as after a rebalance: the published ids of partitions whose committed
 * offset moved are read again from the changelog, and the consumer is rewound
 * to the group's committed offsets. RH_EXIT_OK, or the exit code. */
static int renew_producer(join_t *j) {
  char err[1024];
  j->renew = false;
  if (j->txn_open) forget_txn(j);
  rd_kafka_resp_err_t f = join_producer_fatal(j->producer);
  if (join_renewals_take(&j->renewals, rh_mono_ms())) {
    rh_log_error("the transactional producer failed again (%s): %d new producers within %d min "
                 "already; stopping (exit %d)",
                 f ? rd_kafka_err2name(f) : "a transaction that did not end",
                 JOIN_PRODUCER_RENEW_MAX, JOIN_PRODUCER_RENEW_WINDOW_MS / 60000,
                 RH_EXIT_SOFTWARE);
    return RH_EXIT_SOFTWARE;
  }
  int64_t t0 = rh_mono_ms();
  rh_log_warn("replacing the transactional producer (%s): a new one with the same "
              "transactional id ends the open transaction (nothing of it is visible); the "
              "input is read again from the group's committed offsets",
              f ? rd_kafka_err2name(f) : "a transaction that did not end");
  rh_producer_destroy(j->producer);
  j->producer = join_producer_new(j->cfg, j->txid, j->txn_ms, on_delivery, j, err, sizeof err);
  if (!j->producer) {
    rh_log_error("a new transactional producer: %s", err);
    return RH_EXIT_SOFTWARE;
  }
  join_changelog_set_handle(j->cl, rh_producer_handle(j->producer));
  if (join_producer_init(j->producer, j->o->wait_s, j->o->stop, err, sizeof err)) {
    if (stopping(j)) return RH_EXIT_OK;
    rh_log_error("a new transactional producer: Kafka: %s", err);
    return join_producer_fatal(j->producer) ? RH_EXIT_SOFTWARE : RH_EXIT_UNAVAILABLE;
  }
  /* the old transaction is settled now (committed if its commit reached the
   * coordinator, else aborted): as after a rebalance */
  rd_kafka_topic_partition_list_t *l = NULL;
  if (rd_kafka_assignment(j->consumer, &l) == RD_KAFKA_RESP_ERR_NO_ERROR && l) {
    join_changelog_revoke(j->cl);
    if (l->cnt && assign_state(j, j->consumer, l)) {
      rd_kafka_topic_partition_list_destroy(l);
      return RH_EXIT_UNAVAILABLE;
    }
    rd_kafka_topic_partition_list_destroy(l);
  }
  j->ntouched = 0;
  rewind_to_committed(j);
  if (j->fatal) return RH_EXIT_SOFTWARE;
  /* what the old producer wrote must become visible or be aborted */
  j->lso_now = true;
  rh_log_warn("a new transactional producer in %.1f s (%d so far); going on from the committed "
              "offsets", (double)(rh_mono_ms() - t0) / 1000.0, j->renewals.n);
  return RH_EXIT_OK;
}

/* ---- one transaction ---- */

static int handle(join_t *j, const rd_kafka_message_t *m, const join_sink_t *sink, char *err,
                  size_t errsz) {
  join_input_t in = {.topic = rd_kafka_topic_name(m->rkt), .partition = m->partition,
                     .offset = m->offset, .key = m->key, .key_len = m->key_len,
                     .value = m->payload, .value_len = m->len};
  j->tf.map = j->map;
  rh_topic_class_t cls = rh_config_topic_class(j->cfg->topic_prefix, in.topic);
  /* a department's report of its refused rows: the join's subscription
   * (feed.<dept>.<name>) meets it, and has nothing to do with it */
  if (cls == RH_TOPIC_REJECTS) return 0;
  if (cls == RH_TOPIC_MANIFESTS) {
    /* the check ids other instances published (docs/join.md, "State") */
    size_t n = 0;
    if (join_changelog_checks_catch_up(j->cl, j->ids, reader_conf(j->cfg, err, errsz),
                                       j->dead_ms, &n, err, errsz)) {
      /* every step waits a bounded time; past that, a manifest handled
       * without the other instances' check ids could publish a result twice */
      rh_log_error("the changelog's check ids before the manifest at %s [%d] offset %" PRId64
                   ": %s: stopping (exit %d)", in.topic, (int)in.partition, in.offset, err,
                   RH_EXIT_UNAVAILABLE);
      j->cl_failed = true;
      j->fatal = 1;
      return -1;
    }
    return join_checks_manifest(j->checks, &j->tf, &in, j->pg, sink, j->txn_wall_ms, err, errsz);
  }
  return join_transform_message(&j->tf, &in, sink, j->txn_wall_ms, err, errsz);
}

/* How a transaction's end failed: abortable (abort and go on), did not end
 * (a timeout: the coordinator did not answer) or fatal. */
typedef enum { TXF_ABORT, TXF_STUCK, TXF_FATAL } txn_fail_t;

static int send_offsets(join_t *j, txn_fail_t *kind, char *err, size_t errsz) {
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)j->ntouched);
  for (size_t i = 0; i < j->ntouched; i++)
    rd_kafka_topic_partition_list_add(l, j->touched[i].topic, j->touched[i].partition)->offset =
        j->touched[i].last + 1;
  rd_kafka_consumer_group_metadata_t *gm = rd_kafka_consumer_group_metadata(j->consumer);
  rd_kafka_error_t *e =
      rd_kafka_send_offsets_to_transaction(rh_producer_handle(j->producer), l, gm, j->txn_ms);
  rd_kafka_consumer_group_metadata_destroy(gm);
  rd_kafka_topic_partition_list_destroy(l);
  if (!e) return 0;
  rh_errf(err, errsz, "sending the offsets to the transaction: %s: %s", rd_kafka_error_name(e),
          rd_kafka_error_string(e));
  *kind = rd_kafka_error_is_fatal(e)       ? TXF_FATAL
          : rd_kafka_error_is_retriable(e) ? TXF_STUCK
                                           : TXF_ABORT;
  rd_kafka_error_destroy(e);
  return -1;
}

typedef enum { TX_OK, TX_ABORTED, TX_PG, TX_FATAL } tx_result_t;

/* INVALID_PRODUCER_ID_MAPPING / UNKNOWN_PRODUCER_ID: the coordinator lost this
 * producer's id; the bump that follows may leave the old id's transaction
 * open for good (../shared/docs/broker-freeze.md). */
static bool producer_id_incident(const char *err) {
  return strstr(err, "INVALID_PRODUCER_ID_MAPPING") || strstr(err, "UNKNOWN_PRODUCER_ID") ||
         strstr(err, rd_kafka_err2str(RD_KAFKA_RESP_ERR_INVALID_PRODUCER_ID_MAPPING)) ||
         strstr(err, rd_kafka_err2str(RD_KAFKA_RESP_ERR_UNKNOWN_PRODUCER_ID));
}

/* Process first (already polled) and what follows, up to the batch limits. */
static tx_result_t transaction(join_t *j, rd_kafka_message_t *first) {
  char err[1024];
  join_sink_t sink = {sink_send, j};
  rh_producer_stats_reset(j->producer);
  if (rh_producer_txn_begin(j->producer, err, sizeof err)) {
    /* first is read again from the committed offsets by a new producer */
    rd_kafka_message_destroy(first);
    producer_failed(j, err);
    return j->fatal ? TX_FATAL : TX_ABORTED;
  }
  j->txn_open = true;
  j->txn_wall_ms = rh_wall_ms();
  j->rebalanced = false;
  j->ntouched = 0;
  int64_t t_begin = rh_mono_ms();
  int64_t deadline = t_begin + j->o->batch_ms;
  int n = 0;
  rd_kafka_message_t *m = first;
  for (;;) {
    rh_end_note(&j->end, m);
    if (m && !m->err) {
      if (touch(j, m)) {
        rd_kafka_message_destroy(m);
        abort_txn(j, "out of memory");
        return TX_FATAL;
      }
      size_t mark = join_idset_pending(j->ids);
      if (handle(j, m, &sink, err, sizeof err) ||
          join_changelog_write(j->cl, j->producer, j->ids, mark, rd_kafka_topic_name(m->rkt),
                               m->partition, err, sizeof err)) {
        rd_kafka_message_destroy(m);
        bool pg_lost = rh_pg_connection_lost(j->pg);
        if (pg_lost) return pg_outage(j, err) == 0 ? TX_PG : TX_FATAL;
        /* a PostgreSQL statement error is not transient: stop rather than skip */
        abort_txn(j, err);
        rewind_touched(j);
        if (strstr(err, "PostgreSQL error")) {
          rh_log_error("%s", err);
          return TX_FATAL;
        }
        return j->fatal ? TX_FATAL : TX_ABORTED;
      }
      n++;
    } else if (m && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      rh_log_warn("consumer: %s", rd_kafka_message_errstr(m));
    }
    if (m) rd_kafka_message_destroy(m);
    if (j->rebalanced || !j->txn_open) return TX_ABORTED;
    if (n >= j->o->batch_max || stopping(j)) break;
    int64_t now = rh_mono_ms();
    int left = (int)(deadline - now);
    if (left <= 0) break;
    /* caught up: nothing is waiting in the consumer's queue, and the
     * transaction has been open JOIN_CAUGHT_UP_MS: commit now instead of
     * waiting out --batch-ms (at a trickle the records' latency is then about
     * one commit; under load the queue is never empty and batches stay large) */
    m = rd_kafka_consumer_poll(j->consumer, 0);
    bool caught_up = !m && n > 0 && now - t_begin >= JOIN_CAUGHT_UP_MS;
    if (!m && !caught_up) m = rd_kafka_consumer_poll(j->consumer, left < 10 ? left : 10);
    if (j->rebalanced || !j->txn_open) { /* a revoke in the poll aborted it */
      if (m) rd_kafka_message_destroy(m);
      return TX_ABORTED;
    }
    if (caught_up) break;
  }
  if (j->ntouched == 0) { /* nothing but events: nothing to commit */
    abort_txn(j, "empty");
    return TX_OK;
  }
  int fatal = 0;
  txn_fail_t kind = TXF_ABORT;
  int64_t t_commit = rh_mono_ms();
  j->stats.transform_s += (double)(t_commit - t_begin) / 1000.0;
  bool failed = send_offsets(j, &kind, err, sizeof err) != 0;
  if (!failed && rh_producer_txn_commit(j->producer, j->txn_ms, &fatal, err, sizeof err)) {
    failed = true;
    /* still open: the commit timed out, or its abort failed */
    kind = fatal ? TXF_FATAL : rh_producer_txn_is_open(j->producer) ? TXF_STUCK : TXF_ABORT;
  }
  if (failed) {
    if (producer_id_incident(err)) {
      rh_log_error("incident: the transaction coordinator did not know this producer's id "
                   "(%s); a transaction it forgot can hang for good: checking the last stable "
                   "offsets after the abort (docs/join.md, \"The LSO check\")", err);
      j->lso_now = true;
    }
    if (kind != TXF_ABORT) {
      /* no abort through this producer (librdkafka refuses it after a fatal
       * error; a coordinator that did not answer the commit does not answer
       * it either): the new producer's init_transactions ends the transaction */
      j->stats.aborts++;
      forget_touched(j);
      forget_txn(j);
      producer_failed(j, err);
      return j->fatal ? TX_FATAL : TX_ABORTED;
    }
    abort_txn(j, err);
    rewind_touched(j);
    return j->fatal ? TX_FATAL : TX_ABORTED;
  }
  join_idset_commit(j->ids);
  join_checks_commit(j->checks);
  join_changelog_txn_end(j->cl);
  for (size_t i = 0; i < j->ntouched; i++) {
    join_changelog_committed(j->cl, j->touched[i].topic, j->touched[i].partition,
                             j->touched[i].last + 1);
    join_metrics_input(j->o->metrics, j->touched[i].topic, j->touched[i].n);
  }
  end_txn_lso(j);
  j->stats.transactions++;
  j->stats.commit_s += (double)(rh_mono_ms() - t_commit) / 1000.0;
  j->last_commit_ms = rh_mono_ms();
  join_counts_add(&j->totals, &j->tf.counts);
  memset(&j->tf.counts, 0, sizeof j->tf.counts);
  j->txn_open = false;
  j->ntouched = 0;
  return TX_OK;
}

/* ---- the LSO check: no hanging transaction goes unnoticed ---- */

/* The broker that leads topic/partition (for find-hanging), -1 unknown. */
static int32_t leader_of(rd_kafka_t *rk, const char *topic, int32_t partition) {
  int32_t id = -1;
  const struct rd_kafka_metadata *md = NULL;
  rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topic, NULL);
  if (t && rd_kafka_metadata(rk, 0, t, &md, QUERY_TIMEOUT_MS) == 0 && md->topic_cnt == 1)
    for (int i = 0; i < md->topics[0].partition_cnt; i++)
      if (md->topics[0].partitions[i].id == partition) id = md->topics[0].partitions[i].leader;
  if (md) rd_kafka_metadata_destroy(md);
  if (t) rd_kafka_topic_destroy(t);
  return id;
}

/* The partitions whose LSO stayed below what the join wrote, and what an
 * operator runs (docs/join.md, "The LSO check"). */
static void lso_log_hanging(join_t *j, rd_kafka_t *rk, int64_t window_ms) {
  int32_t broker = -1;
  for (size_t i = 0; i < j->lso.n; i++) {
    const join_lso_part_t *p = &j->lso.parts[i];
    if (p->verdict != JOIN_LSO_HANGING) continue;
    rh_log_error("hanging transaction: %s [%d]: last stable offset %" PRId64
                 " stays below %" PRId64 ", the end of what this join wrote there, for %d s: "
                 "read_committed readers see nothing after offset %" PRId64,
                 p->topic, (int)p->partition, p->lso, p->end, (int)(window_ms / 1000), p->lso);
    if (broker < 0) broker = leader_of(rk, p->topic, p->partition);
  }
  char id[16];
  if (broker >= 0)
    snprintf(id, sizeof id, "%d", (int)broker);
  else
    snprintf(id, sizeof id, "<broker id>");
  rh_log_error("runbook: kafka-transactions --bootstrap-server <broker> find-hanging "
               "--broker-id %s --max-transaction-timeout 0", id);
  for (size_t i = 0; i < j->lso.n; i++) {
    const join_lso_part_t *p = &j->lso.parts[i];
    if (p->verdict == JOIN_LSO_HANGING)
      rh_log_error("runbook: kafka-transactions --bootstrap-server <broker> abort --topic %s "
                   "--partition %d --start-offset %" PRId64,
                   p->topic, (int)p->partition, p->lso);
  }
}

/* One pass over the targets; RH_EXIT_SOFTWARE when one hangs, else OK. */
static int lso_pass(join_t *j, rd_kafka_t *rk, int64_t window_ms, join_lso_summary_t *sum) {
  join_lso_query(&j->lso, rk, QUERY_TIMEOUT_MS, rh_mono_ms(), window_ms, sum);
  if (!sum->hanging) return RH_EXIT_OK;
  lso_log_hanging(j, rk, window_ms);
  return RH_EXIT_SOFTWARE;
}

/* Wait until every target is reached (OK), one hangs (70: the LSO below it
 * for window_ms) or wait_ms passed with the broker not answering or the LSO
 * still below (69). */
static int lso_settle(join_t *j, rd_kafka_t *rk, int64_t window_ms, int64_t wait_ms,
                      const char *when) {
  int64_t deadline = rh_mono_ms() + wait_ms;
  if (j->lso_failed) {
    rh_log_error("the LSO check %s: out of memory noting what the join wrote", when);
    return RH_EXIT_SOFTWARE;
  }
  for (;;) {
    join_lso_summary_t sum;
    if (lso_pass(j, rk, window_ms, &sum) != RH_EXIT_OK) return RH_EXIT_SOFTWARE;
    if (!sum.pending) return RH_EXIT_OK;
    if (rh_mono_ms() >= deadline) {
      rh_log_error("the LSO check %s: %zu output partitions not verified (%zu without an "
                   "answer from the broker)", when, sum.pending, sum.unknown);
      return RH_EXIT_UNAVAILABLE;
    }
    struct timespec ts = {0, 200000000L};
    nanosleep(&ts, NULL);
  }
}

/* At start, before the published ids are read back: every output partition's
 * LSO must reach its high watermark of now (a transaction of another instance
 * closes within seconds; a forgotten one never does). rc/ru: read_committed
 * and read_uncommitted handles. */
static int lso_startup(join_t *j, char **out, size_t nout) {
  char err[512];
  int rc = RH_EXIT_UNAVAILABLE;
  rd_kafka_t *rk[2] = {j->probe, rh_kafka_query_handle(j->cfg, "read_uncommitted", err, sizeof err)};
  if (!rk[1]) {
    rh_log_error("the LSO check at start: %s", err);
    goto out;
  }
  for (size_t t = 0; t < nout; t++) {
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *kt = rd_kafka_topic_new(rk[1], out[t], NULL);
    rd_kafka_resp_err_t e = kt ? rd_kafka_metadata(rk[1], 0, kt, &md, 10000)
                               : RD_KAFKA_RESP_ERR__INVALID_ARG;
    for (int i = 0; !e && md->topic_cnt == 1 && i < md->topics[0].partition_cnt; i++) {
      int64_t hi;
      int32_t part = md->topics[0].partitions[i].id;
      /* a topic created a moment ago may not have its leader in place yet */
      int64_t until = rh_mono_ms() + 10000;
      while ((e = rh_kafka_watermarks(rk[1], out[t], part, NULL, &hi, QUERY_TIMEOUT_MS)) &&
             rh_mono_ms() < until) {
        struct timespec ts = {0, 100000000L};
        nanosleep(&ts, NULL);
      }
      if (!e && hi > 0 && join_lso_target(&j->lso, out[t], part, hi)) j->lso_failed = true;
    }
    if (md) rd_kafka_metadata_destroy(md);
    if (kt) rd_kafka_topic_destroy(kt);
    if (e) {
      rh_log_error("the LSO check at start: %s: %s", out[t], rd_kafka_err2str(e));
      goto out;
    }
  }
  /* at start the window is a transaction's life: another instance killed
   * with a transaction open holds the LSO until the coordinator aborts it */
  rc = lso_settle(j, rk[0], j->dead_ms, j->dead_ms + 5000, "at start");
  if (rc == RH_EXIT_OK) rh_log_info("the LSO check at start: no open transaction on the outputs");
out:
  if (rk[1]) rd_kafka_destroy(rk[1]);
  return rc;
}

/* ---- start ---- */

static int note_manifest(void *arg, const rd_kafka_message_t *m) {
  join_checks_t *c = arg;
  char d[64], f[64], k[64], p[64];
  int64_t at;
  int r = join_checks_peek_manifest(c, m, d, f, k, p, 64, &at);
  if (r == -2) return -1; /* out of memory: the read fails, the transaction aborts */
  if (r == 0 && strcmp(k, "CHECK") == 0) return join_checks_note_arrived(c, d, f, p, at);
  return 0;
}

/* Before a check list's results: every manifest of every department's
 * manifests topic to its end (read_committed, every partition), so that the
 * lists that arrived before it count as arrived whichever partition this join
 * meets them on, and when. */
static int refresh_arrivals(void *arg, join_checks_t *c, char *errstr, size_t errstr_size) {
  join_t *j = arg;
  rd_kafka_conf_t *mc = reader_conf(j->cfg, errstr, errstr_size);
  if (!mc) return -1;
  int64_t t0 = rh_mono_ms();
  size_t n = 0;
  if (rh_kafka_read_topics(mc, j->manifests, j->nmanifests, NULL, note_manifest, c, &n, errstr,
                           errstr_size))
    return -1;
  rh_log_debug("check lists' arrivals: %zu manifests read in %lld ms", n,
               (long long)(rh_mono_ms() - t0));
  return 0;
}

/* Every output topic: alerts.<township>, checks.<township>, alerts.unmatched, riskhub.dlq. */
static char **output_topics(const rh_config_t *cfg, size_t *n) {
  size_t cnt = 2 * cfg->township_count + 2;
  char **t = calloc(cnt, sizeof *t);
  if (!t) return NULL;
  for (size_t i = 0; i < cnt; i++) t[i] = malloc(NAME_MAX_LEN);
  for (size_t i = 0; i < cnt; i++)
    if (!t[i]) {
      for (size_t k = 0; k < cnt; k++) free(t[k]);
      free(t);
      return NULL;
    }
  for (size_t i = 0; i < cfg->township_count; i++) {
    join_alerts_topic(cfg, cfg->townships[i].code, t[2 * i], NAME_MAX_LEN);
    snprintf(t[2 * i + 1], NAME_MAX_LEN, "%schecks.%s", cfg->topic_prefix,
             cfg->townships[i].code);
  }
  snprintf(t[cnt - 2], NAME_MAX_LEN, "%salerts.unmatched", cfg->topic_prefix);
  snprintf(t[cnt - 1], NAME_MAX_LEN, "%sriskhub.dlq", cfg->topic_prefix);
  *n = cnt;
  return t;
}

static void free_topics(char **t, size_t n) {
  for (size_t i = 0; t && i < n; i++) free(t[i]);
  free(t);
}

static rd_kafka_conf_t *kconf(const rh_config_t *cfg, char *err, size_t errsz) {
  return rh_kafka_conf_from_config(cfg, err, errsz);
}

/* For the readers that read a range and stop at its end: an empty fetch
 * returns at once instead of after fetch.wait.max.ms (500 ms). */
static rd_kafka_conf_t *reader_conf(const rh_config_t *cfg, char *err, size_t errsz) {
  rd_kafka_conf_t *c = kconf(cfg, err, errsz);
  if (c && !rh_config_kafka_get(cfg, "fetch.wait.max.ms") &&
      (rh_kafka_conf_set(c, "fetch.wait.max.ms", "10", err, errsz) ||
       rh_kafka_conf_set(c, "fetch.error.backoff.ms", "10", err, errsz))) {
    rd_kafka_conf_destroy(c);
    return NULL;
  }
  return c;
}

/* Migration: an existing deployment has alerts and check results but no
 * changelog. On a start that finds the changelog empty, the ids are read from
 * the output topics (as before the changelog) and written to every changelog
 * partition as "*" (every instance loads them), in one transaction. */
typedef struct {
  join_idset_t *ids;
  uint64_t *keys;
  size_t n, cap;
} seed_t;

static int seed_id(void *arg, const rd_kafka_message_t *m) {
  seed_t *sd = arg;
  size_t n;
  const char *s = rh_avro_wire_first_string(m->payload, m->len, &n);
  uint64_t key = s ? join_idset_key(s, n) : 0;
  if (!key) return 0;
  int r = join_idset_add_committed(sd->ids, key);
  if (r < 0 || (r == 1 && RH_ARRAY_RESERVE(sd->keys, sd->n + 1, sd->cap, 4096))) return -1;
  if (r == 1) sd->keys[sd->n++] = key;
  return 0;
}

static int seed_changelog(join_t *j, char **out, size_t nout) {
  char err[1024];
  int empty = join_changelog_is_empty(j->cl, err, sizeof err);
  if (empty < 0) {
    rh_log_error("the changelog: %s", err);
    return RH_EXIT_UNAVAILABLE;
  }
  if (!empty) return RH_EXIT_OK;
  seed_t sd = {j->ids, NULL, 0, 0};
  int64_t t0 = rh_mono_ms();
  rd_kafka_conf_t *c = reader_conf(j->cfg, err, sizeof err);
  int rc = RH_EXIT_OK;
  if (!c || rh_kafka_read_topics(c, (const char *const *)out, nout, NULL, seed_id, &sd, NULL, err,
                                 sizeof err)) {
    rh_log_error("the changelog is empty; reading back the published alerts: %s", err);
    rc = RH_EXIT_UNAVAILABLE;
  } else if (sd.n) {
    if (join_changelog_seed(j->cl, j->producer, sd.keys, sd.n, j->txn_ms, err, sizeof err)) {
      rh_log_error("seeding the changelog: %s", err);
      rc = RH_EXIT_UNAVAILABLE;
    } else {
      rh_log_info("the changelog %s was empty: %zu published ids read from the output topics and "
                  "written to it for every partition in %.2f s (migration)",
                  join_changelog_topic(j->cl), sd.n, (double)(rh_mono_ms() - t0) / 1000.0);
    }
    end_txn_lso(j);
  }
  free(sd.keys);
  return rc;
}

static int start_kafka(join_t *j) {
  char err[1024], txid[NAME_MAX_LEN], group[NAME_MAX_LEN];
  const rh_config_t *cfg = j->cfg;
  snprintf(txid, sizeof txid, "%sriskhub-join.%s", cfg->topic_prefix, j->o->instance);
  if (j->o->group)
    snprintf(group, sizeof group, "%s", j->o->group);
  else
    snprintf(group, sizeof group, "%sriskhub-join", cfg->topic_prefix);

  snprintf(j->txid, sizeof j->txid, "%s", txid);
  snprintf(j->group, sizeof j->group, "%s", group);
  if (!(j->producer = join_producer_new(cfg, txid, j->txn_ms, on_delivery, j, err, sizeof err))) {
    rh_log_error("%s", err);
    return RH_EXIT_CONFIG;
  }
  if (join_producer_init(j->producer, j->o->wait_s, j->o->stop, err, sizeof err)) {
    rh_log_error("Kafka: %s", err);
    return RH_EXIT_UNAVAILABLE;
  }

  size_t nout = 0;
  char **out = output_topics(cfg, &nout);
  if (!out) return RH_EXIT_SOFTWARE;
  j->manifests = calloc(cfg->department_count + 1, sizeof *j->manifests);
  const char **create = calloc(nout + cfg->department_count + 1, sizeof *create);
  if (!j->manifests || !create) {
    free(create);
    free_topics(out, nout);
    return RH_EXIT_SOFTWARE;
  }
  j->nmanifests = rh_config_department_topics(cfg, RH_TOPIC_MANIFESTS, j->manifests);
  size_t ncreate = 0;
  for (size_t i = 0; i < nout; i++) create[ncreate++] = out[i];
  /* the departments' manifests topics: the check lists' arrivals are read
   * from all of them (every department may publish a check list) */
  for (size_t i = 0; i < j->nmanifests; i++) create[ncreate++] = j->manifests[i];
  int rc = RH_EXIT_OK;
  if (rh_kafka_create_topics(rh_producer_handle(j->producer), create, ncreate, 3, 1, 30000, err,
                             sizeof err) ||
      rh_kafka_warm_topics(rh_producer_handle(j->producer), create, nout, 30000, err,
                           sizeof err)) {
    rh_log_error("Kafka: %s", err);
    rc = RH_EXIT_UNAVAILABLE;
  }
  /* no transaction hangs on the outputs (a hung one hides what follows it) */
  if (rc == RH_EXIT_OK && !(j->probe = rh_kafka_query_handle(cfg, "read_committed", err, sizeof err))) {
    rh_log_error("%s", err);
    rc = RH_EXIT_CONFIG;
  }
  if (rc == RH_EXIT_OK) rc = lso_startup(j, out, nout);
  /* the published ids follow the partitions: read from the changelog when
   * partitions are assigned (assign_state); after init_transactions, so that
   * this instance's previous open transaction is aborted */
  if (rc == RH_EXIT_OK) {
    char feedp[NAME_MAX_LEN];
    snprintf(feedp, sizeof feedp, "%sfeed.", cfg->topic_prefix);
    rd_kafka_t *ru = rh_kafka_query_handle(cfg, "read_uncommitted", err, sizeof err);
    if (!ru || !(j->cl = join_changelog_open(rh_producer_handle(j->producer), j->probe, ru,
                                             cfg->topic_prefix, feedp, err, sizeof err))) {
      rh_log_error("the changelog: %s", err);
      rc = RH_EXIT_UNAVAILABLE;
    }
  }
  if (rc == RH_EXIT_OK) {
    char *cln[1] = {(char *)join_changelog_topic(j->cl)};
    rc = lso_startup(j, cln, 1);
  }
  if (rc == RH_EXIT_OK) rc = seed_changelog(j, out, nout);
  free_topics(out, nout);
  free(create);
  if (rc != RH_EXIT_OK) return rc;

  rd_kafka_conf_t *cc = kconf(cfg, err, sizeof err);
  if (!cc) {
    rh_log_error("%s", err);
    return RH_EXIT_CONFIG;
  }
  if ((!rh_config_kafka_get(cfg, "auto.offset.reset") &&
       rh_kafka_conf_set(cc, "auto.offset.reset", "earliest", err, sizeof err)) ||
      (!rh_config_kafka_get(cfg, "topic.metadata.refresh.interval.ms") &&
       rh_kafka_conf_set(cc, "topic.metadata.refresh.interval.ms", "5000", err, sizeof err)) ||
      /* prefetch at most 16 MiB (the consumer's one queue; librdkafka: 64
       * MiB). Once the queue is full, librdkafka 2.0 looks at it again only
       * at its fetcher's next wake-up (up to ~1 s): with 8 MiB the join
       * waited 2.5 s of its 8.8 s busy time for records, with 16 MiB 0.2 s,
       * with 32 MiB none but ~70 MiB more resident (docs/join.md,
       * "Benchmark", 2026-12-04) */
      (!rh_config_kafka_get(cfg, "queued.max.messages.kbytes") &&
       rh_kafka_conf_set(cc, "queued.max.messages.kbytes", "16384", err, sizeof err))) {
    rd_kafka_conf_destroy(cc);
    rh_log_error("%s", err);
    return RH_EXIT_CONFIG;
  }
  /* Static membership (KIP-345): a restarted instance (after a crash, a
   * kill -9, an upgrade) takes its partitions back at once instead of
   * waiting for the old member's session to time out. */
  char member[NAME_MAX_LEN * 2 + 2];
  snprintf(member, sizeof member, "%s.%s", group, j->o->instance);
  if (!rh_config_kafka_get(cfg, "group.instance.id") &&
      rh_kafka_conf_set(cc, "group.instance.id", member, err, sizeof err)) {
    rd_kafka_conf_destroy(cc);
    rh_log_error("%s", err);
    return RH_EXIT_CONFIG;
  }
  if (j->o->metrics && rh_metrics_kafka_attach(j->o->metrics, cc, 5000, err, sizeof err)) {
    rd_kafka_conf_destroy(cc);
    rh_log_error("%s", err);
    return RH_EXIT_CONFIG;
  }
  rd_kafka_conf_set_rebalance_cb(cc, rebalance_cb);
  rd_kafka_conf_set_opaque(cc, j);
  if (!(j->consumer = rh_consumer_new(cc, group, err, sizeof err))) {
    rh_log_error("%s", err);
    return RH_EXIT_CONFIG;
  }
  /* ^<prefix>feed\.<department>\.<name>$ with the prefix's dots escaped: the
   * feeds and the departments' manifests (and rejects, skipped by handle) */
  char pattern[NAME_MAX_LEN * 2] = "^";
  size_t pl = 1;
  for (const char *p = cfg->topic_prefix; *p && pl + 3 < sizeof pattern; p++) {
    if (*p == '.') pattern[pl++] = '\\';
    pattern[pl++] = *p;
  }
  pattern[pl] = '\0';
  strncat(pattern, "feed\\.[a-z0-9-]+\\.[a-z0-9-]+$", sizeof pattern - pl - 1);
  rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(sub, pattern, RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t e = rd_kafka_subscribe(j->consumer, sub);
  rd_kafka_topic_partition_list_destroy(sub);
  if (e) {
    rh_log_error("subscribing: %s", rd_kafka_err2str(e));
    return RH_EXIT_UNAVAILABLE;
  }

  return RH_EXIT_OK;
}

/* Which check lists arrived: every manifest of the departments' manifests
 * topics up to the group's committed offsets (all partitions: another
 * instance's too), read
 * again at each assignment that gives this instance a manifests partition
 * (docs/join.md, "State"). 0 or -1. */
static int read_arrivals(join_t *j) {
  char err[1024];
  const rh_config_t *cfg = j->cfg;
  /* the check lists that arrived before: manifests up to the group's offsets */
  rd_kafka_topic_partition_list_t *committed = rd_kafka_topic_partition_list_new(8);
  const struct rd_kafka_metadata *md = NULL;
  if (rd_kafka_metadata(j->consumer, 1, NULL, &md, 10000) == 0)
    for (int t = 0; t < md->topic_cnt; t++)
      for (size_t k = 0; !md->topics[t].err && k < j->nmanifests; k++)
        if (strcmp(md->topics[t].topic, j->manifests[k]) == 0)
          for (int i = 0; i < md->topics[t].partition_cnt; i++)
            rd_kafka_topic_partition_list_add(committed, j->manifests[k],
                                              md->topics[t].partitions[i].id);
  if (md) rd_kafka_metadata_destroy(md);
  int rc = RH_EXIT_OK;
  rd_kafka_resp_err_t e;
  if (committed->cnt && (e = rd_kafka_committed(j->consumer, committed, 10000))) {
    rh_log_error("reading the group's offsets: %s", rd_kafka_err2str(e));
    rc = -1;
  } else if (committed->cnt) {
    rd_kafka_conf_t *mc = reader_conf(cfg, err, sizeof err);
    if (!mc ||
        rh_kafka_read_topics(mc, j->manifests, j->nmanifests, committed, note_manifest,
                             j->checks, NULL, err, sizeof err)) {
      rh_log_error("reading back the manifests: %s", err);
      rc = -1;
    }
  }
  rd_kafka_topic_partition_list_destroy(committed);
  return rc;
}

static void cleanup(join_t *j) {
  if (j->consumer) {
    rd_kafka_consumer_close(j->consumer);
    rd_kafka_destroy(j->consumer);
  }
  if (j->probe) rd_kafka_destroy(j->probe);
  rh_producer_destroy(j->producer);
  join_checks_destroy(j->checks);
  if (j->tf_ready) join_transform_free(&j->tf);
  join_changelog_destroy(j->cl);
  join_idset_destroy(j->ids);
  rh_regmap_destroy(j->map);
  if (j->pg) PQfinish(j->pg);
  rh_avro_schemas_destroy(j->schemas);
  free(j->touched);
  free(j->manifests);
  rh_end_free(&j->end);
  join_lso_free(&j->lso);
}

/* Every stop: the LSO check settles (before an exit 0), the records remaining
 * are logged, and an exit 0 is left only when nothing remains for this
 * instance and everything it wrote is visible (docs/join.md, "Exits"). */
static int finish(join_t *j, int rc, bool idle) {
  if (rc == RH_EXIT_OK) {
    int lrc = lso_settle(j, j->probe, j->dead_ms, j->dead_ms + 5000, "before the exit");
    if (lrc != RH_EXIT_OK) rc = lrc;
  }
  uint64_t left = 0;
  rh_end_state_t st = rh_end_report(&j->end, j->consumer, j->probe, 5000, &left);
  if (rc != RH_EXIT_OK) return rc;
  if (st == RH_END_BEHIND) {
    rh_log_error("stopping with %" PRIu64 " records not processed (see above): exit %d", left,
                 RH_EXIT_UNAVAILABLE);
    return RH_EXIT_UNAVAILABLE;
  }
  if (st == RH_END_UNKNOWN) {
    rh_log_error("stopping without knowing whether records remain: exit %d", RH_EXIT_UNAVAILABLE);
    return RH_EXIT_UNAVAILABLE;
  }
  if (idle)
    rh_log_info("idle for %d ms with every assigned partition at its end (%zu): the input is "
                "through", j->o->idle_exit_ms, j->end.n);
  else
    rh_log_info("stopped with nothing left");
  return RH_EXIT_OK;
}

int join_run(const join_opts_t *o, join_counts_t *totals, join_stats_t *stats) {
  char err[1024];
  int64_t txn_ms = rh_config_txn_timeout_ms(o->cfg);
  if (txn_ms > INT_MAX - DEAD_TXN_SLACK_MS - 5000) txn_ms = INT_MAX - DEAD_TXN_SLACK_MS - 5000;
  join_t j = {.o = o, .cfg = o->cfg, .txn_ms = (int)txn_ms,
              .dead_ms = (int)txn_ms + DEAD_TXN_SLACK_MS};
  int rc = RH_EXIT_OK;
  memset(totals, 0, sizeof *totals);
  memset(stats, 0, sizeof *stats);

  if (!(j.schemas = rh_avro_schemas_new()) ||
      rh_avro_schemas_load_dir(j.schemas, o->schemas_dir, err, sizeof err)) {
    rh_log_error("schemas: %s", j.schemas ? err : "out of memory");
    cleanup(&j);
    return RH_EXIT_CONFIG;
  }
  /* the loop publishes every second, but a transaction stays open up to
   * --batch-ms and a commit or the LSO check may wait out the transaction
   * timeout: only longer than those is it stuck */
  if (o->metrics) rh_metrics_stale_ms(o->metrics, (int64_t)o->batch_ms + 2 * (int64_t)j.dead_ms + 10000);
  rd_kafka_conf_t *reader = reader_conf(o->cfg, err, sizeof err);
  if (!(j.ids = join_idset_new(1 << 20)) || !reader ||
      join_transform_init(&j.tf, o->cfg, j.schemas, j.ids, err, sizeof err) ||
      !(j.tf_ready = true) ||
      !(j.checks = join_checks_new(o->cfg, j.schemas, j.ids, reader, err, sizeof err))) {
    rh_log_error("starting: %s", err);
    cleanup(&j);
    return RH_EXIT_CONFIG;
  }
  join_checks_on_arrivals(j.checks, refresh_arrivals, &j);
  if (pg_connect(&j, true)) {
    if (stopping(&j)) rh_log_warn("stopped before Kafka was reached: records remaining not known");
    cleanup(&j);
    return RH_EXIT_UNAVAILABLE;
  }
  if ((rc = start_kafka(&j)) != RH_EXIT_OK) {
    cleanup(&j);
    return rc;
  }
  rh_log_info("joining: registry in memory, %zu published ids known; consuming", join_idset_size(j.ids));
  show(&j, NULL);

  int64_t last_catchup = rh_mono_ms(), last_report = rh_mono_ms(), last_lso = rh_mono_ms();
  int64_t last_shown = rh_mono_ms();
  rh_idle_t clock; /* --idle-exit-ms and --wait-s */
  rh_idle_init(&clock, o->idle_exit_ms, o->wait_s);
  rh_idle_cover(&clock, j.group, COVER_WAIT_MS);
  bool idle = false;
  join_counts_t reported = {0};
  while (!stopping(&j) && !j.fatal) {
    if (j.renew && (rc = renew_producer(&j)) != RH_EXIT_OK) break;
    /* registry changes, between transactions */
    int notified = rh_regmap_poll_notify(j.pg);
    if (notified != 0 || rh_mono_ms() - last_catchup >= CATCHUP_EVERY_MS) {
      rh_regmap_catchup_t cu;
      if (notified < 0 || rh_regmap_catch_up(j.map, j.pg, &cu, err, sizeof err)) {
        if (!rh_pg_connection_lost(j.pg)) {
          rh_log_error("registry catch-up: %s", err);
          rc = RH_EXIT_SOFTWARE;
          break;
        }
        if (pg_outage(&j, "PostgreSQL connection lost")) {
          rc = stopping(&j) ? RH_EXIT_OK : RH_EXIT_UNAVAILABLE;
          break;
        }
      }
      last_catchup = rh_mono_ms();
    }
    /* what the transactions wrote must become visible (docs/join.md, "The LSO check") */
    if (j.lso_now) {
      j.lso_now = false;
      if (lso_settle(&j, j.probe, LSO_WINDOW_MS, LSO_WINDOW_MS + 5000, "after the incident") ==
          RH_EXIT_SOFTWARE) {
        rc = RH_EXIT_SOFTWARE;
        break;
      }
      last_lso = rh_mono_ms();
    } else if (j.lso.n && rh_mono_ms() - last_lso >= LSO_CHECK_EVERY_MS) {
      join_lso_summary_t sum;
      /* a transaction of an instance killed holds the LSO until the coordinator
       * aborts it; after an incident (above) the window is short */
      if (lso_pass(&j, j.probe, j.dead_ms, &sum) != RH_EXIT_OK) {
        rc = RH_EXIT_SOFTWARE;
        break;
      }
      last_lso = rh_mono_ms();
    }
    if (o->metrics && rh_mono_ms() - last_shown >= 1000) {
      show(&j, NULL);
      last_shown = rh_mono_ms();
    }
    rd_kafka_message_t *m;
    rh_idle_verdict_t v = rh_idle_poll(&clock, &j.end, j.consumer, 100, j.probe, QUERY_TIMEOUT_MS, &m);
    if (j.fatal) { /* e.g. an assignment whose published ids could not be read */
      if (m) rd_kafka_message_destroy(m);
      break;
    }
    if (rh_idle_stops(v, &rc, &idle)) break;
    if (!m) continue;
    if (!j.first_ms) j.first_ms = rh_mono_ms();
    tx_result_t r = transaction(&j, m);
    if (j.renew && !j.fatal) continue; /* a new producer at the top of the loop */
    if (r == TX_FATAL || j.fatal) {
      rc = stopping(&j) ? RH_EXIT_OK : RH_EXIT_SOFTWARE;
      if (o->wait_s >= 0 && rh_pg_connection_lost(j.pg)) rc = RH_EXIT_UNAVAILABLE;
      if (j.cl_failed) rc = RH_EXIT_UNAVAILABLE;
      break;
    }
    if (rh_mono_ms() - last_report >= 10000) {
      rh_log_info("records %" PRIu64 " (+%" PRIu64 "), alerts %" PRIu64 ", unmatched %" PRIu64
                  ", dlq %" PRIu64,
                  j.totals.records, j.totals.records - reported.records, j.totals.alerts,
                  j.totals.unmatched, j.totals.dlq);
      reported = j.totals;
      last_report = rh_mono_ms();
    }
  }
  if (j.txn_open) abort_txn(&j, "stopping");
  show(&j, "stopping");
  if (j.fatal && rc == RH_EXIT_OK && !stopping(&j))
    rc = j.cl_failed ? RH_EXIT_UNAVAILABLE : RH_EXIT_SOFTWARE;
  rc = finish(&j, rc, idle);
  *totals = j.totals;
  j.stats.busy_s = j.first_ms && j.last_commit_ms > j.first_ms
                       ? (double)(j.last_commit_ms - j.first_ms) / 1000.0
                       : 0.0;
  *stats = j.stats;
  cleanup(&j);
  return rc;
}
