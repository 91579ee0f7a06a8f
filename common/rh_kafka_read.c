/* rh_kafka_read: see rh_kafka_read.h. */
#include "rh_kafka_read.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rh_array.h"
#include "rh_clock.h"
#include "rh_err.h"
#include "rh_kafka.h"
#include "rh_log.h"

#define STALL_MS 60000
/* A topic in the reader's first metadata answer that a later answer (from a
 * broker whose metadata lags, just after the topic was created) calls unknown:
 * librdkafka 2.0.2 lets a topic's metadata propagate only while it has never
 * seen the topic (topic.metadata.propagation.max.ms), and this topic it has
 * seen, so it reports UNKNOWN_TOPIC_OR_PART on the partitions at once. The
 * reader waits for the topic to come back this long from the first report. */
#define UNKNOWN_WAIT_MS 15000
#define UNKNOWN_QUERY_MS 2000

static bool unknown_topic(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
         err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC || err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION;
}

/* Ask for the topic's metadata (librdkafka updates its view of it with the
 * answer, so that the fetch of its partitions resumes). */
static void requery_topic(rd_kafka_t *rk, const char *topic) {
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
  const struct rd_kafka_metadata *md = NULL;
  if (!rkt) return;
  if (!rd_kafka_metadata(rk, 0, rkt, &md, UNKNOWN_QUERY_MS) && md) rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(rkt);
}

/* How long a read waits for the brokers' metadata in all (10 s a request at
 * most); rh_kafka_read_set_metadata_wait changes it for the process. */
#define METADATA_WAIT_MS 90000
#define METADATA_REQUEST_MS 10000
static int64_t metadata_wait_ms = METADATA_WAIT_MS;

void rh_kafka_read_set_metadata_wait(int64_t ms) {
  metadata_wait_ms = ms < 0 ? METADATA_WAIT_MS : ms;
}

typedef struct {
  char *topic;
  int32_t partition;
  int64_t end; /* exclusive; -1: to EOF */
  bool done;
} part_t;

int rh_kafka_read_topics(rd_kafka_conf_t *conf, const char *const *topics, size_t n,
                     const rd_kafka_topic_partition_list_t *until, rh_kafka_read_fn *fn, void *arg,
                     size_t *count, char *errstr, size_t errstr_size) {
  int rc = -1;
  size_t nread = 0, nparts = 0, pending = 0, cap = 0;
  part_t *parts = NULL;
  rd_kafka_topic_partition_list_t *tl = rd_kafka_topic_partition_list_new(16);
  const struct rd_kafka_metadata *md = NULL;
  /* a group id is needed for assign(); the reader never joins nor commits */
  rd_kafka_t *rk = rh_consumer_new(conf, "riskhub.reader", errstr, errstr_size);
  if (count) *count = 0;
  if (!rk) goto out;
  /* A broker paused for a while (SIGSTOP, a VM frozen) is waited out, up to
   * METADATA_WAIT_MS (or what rh_kafka_read_set_metadata_wait says): a new
   * connection has its TLS and SASL handshakes to do first, and one stalled
   * mid-way fails a single 10 s request (the 30 s freeze of test_join_freeze_serial, after SASL_SSL came). */
  int64_t deadline = rh_mono_ms() + metadata_wait_ms;
  rd_kafka_resp_err_t err;
  /* a request waits no longer than the whole wait (1 s at least: one is always made) */
  int request_ms = metadata_wait_ms > METADATA_REQUEST_MS ? METADATA_REQUEST_MS
                   : metadata_wait_ms > 1000             ? (int)metadata_wait_ms
                                                         : 1000;
  for (;;) {
    err = rd_kafka_metadata(rk, 1, NULL, &md, request_ms);
    if (!err ||
        (err != RD_KAFKA_RESP_ERR__TRANSPORT && err != RD_KAFKA_RESP_ERR__TIMED_OUT &&
         err != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) ||
        rh_mono_ms() >= deadline)
      break;
    rh_log_warn("reading topic metadata: %s; asking again", rd_kafka_err2str(err));
  }
  if (err) {
    rh_errf(errstr, errstr_size, "reading topic metadata: %s", rd_kafka_err2str(err));
    goto out;
  }
  for (size_t k = 0; k < n; k++) {
    const struct rd_kafka_metadata_topic *mt = NULL;
    for (int i = 0; i < md->topic_cnt; i++)
      if (strcmp(md->topics[i].topic, topics[k]) == 0 && !md->topics[i].err) mt = &md->topics[i];
    for (int i = 0; mt && i < mt->partition_cnt; i++) {
      int64_t end = -1;
      if (until) {
        const rd_kafka_topic_partition_t *u =
            rd_kafka_topic_partition_list_find(until, topics[k], mt->partitions[i].id);
        if (!u || u->offset <= 0) continue;
        end = u->offset;
      }
      if (RH_ARRAY_RESERVE(parts, nparts + 1, cap, 64)) {
        rh_errf(errstr, errstr_size, "out of memory");
        goto out;
      }
      parts[nparts++] = (part_t){(char *)topics[k], mt->partitions[i].id, end, false};
      rd_kafka_topic_partition_list_add(tl, topics[k], mt->partitions[i].id)->offset =
          RD_KAFKA_OFFSET_BEGINNING;
    }
  }
  pending = nparts;
  if (!pending) {
    rc = 0;
    goto out;
  }
  if ((err = rd_kafka_assign(rk, tl))) {
    rh_errf(errstr, errstr_size, "assigning partitions: %s", rd_kafka_err2str(err));
    goto out;
  }
  int64_t last_progress = rh_mono_ms();
  int64_t unknown_since = -1; /* first UNKNOWN_TOPIC_OR_PART report, -1: none */
  while (pending) {
    if (rh_mono_ms() - last_progress > STALL_MS) {
      const part_t *w = parts;
      while (w->done) w++; /* pending > 0 */
      rh_errf(errstr, errstr_size, "reading back published records: no progress for %d s "
              "(%s [%d] not read to its end, %zu partitions in all)", STALL_MS / 1000, w->topic,
              (int)w->partition, pending);
      goto out;
    }
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
    if (!m) continue;
    part_t *p = NULL;
    const char *tn = m->rkt ? rd_kafka_topic_name(m->rkt) : NULL;
    for (size_t i = 0; tn && i < nparts; i++)
      if (parts[i].partition == m->partition && strcmp(parts[i].topic, tn) == 0) p = &parts[i];
    /* only what concerns a partition read is progress: a client error (a
     * broker away, every few seconds) is not */
    if (p) last_progress = rh_mono_ms();
    if (!p || p->done) {
      /* not ours or finished: ignore */
    } else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      p->done = true;
      pending--;
    } else if (m->err && unknown_topic(m->err) &&
               (unknown_since < 0 || rh_mono_ms() - unknown_since < UNKNOWN_WAIT_MS)) {
      /* the topic was in our metadata: a lagging broker's answer; wait for it */
      if (unknown_since < 0) unknown_since = rh_mono_ms();
      rh_log_debug("reading %s [%d]: %s; waiting for the topic's metadata", tn,
                   (int)m->partition, rd_kafka_message_errstr(m));
      requery_topic(rk, tn);
    } else if (m->err && unknown_topic(m->err)) {
      rh_errf(errstr, errstr_size, "reading %s [%d]: %s (the topic was in the metadata at "
              "start, and is still unknown after %d s)", tn, (int)m->partition,
              rd_kafka_message_errstr(m), UNKNOWN_WAIT_MS / 1000);
      rd_kafka_message_destroy(m);
      goto out;
    } else if (m->err) {
      rh_errf(errstr, errstr_size, "reading %s [%d]: %s", tn, (int)m->partition,
              rd_kafka_message_errstr(m));
      rd_kafka_message_destroy(m);
      goto out;
    } else if (p->end >= 0 && m->offset >= p->end) {
      p->done = true;
      pending--;
    } else {
      nread++;
      if (fn(arg, m)) {
        rh_errf(errstr, errstr_size, "out of memory");
        rd_kafka_message_destroy(m);
        goto out;
      }
      if (p->end >= 0 && m->offset + 1 >= p->end) {
        p->done = true;
        pending--;
      }
    }
    rd_kafka_message_destroy(m);
  }
  rc = 0;
out:
  if (count) *count = nread;
  if (md) rd_kafka_metadata_destroy(md);
  rd_kafka_topic_partition_list_destroy(tl);
  free(parts);
  if (rk) {
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
  }
  return rc;
}
