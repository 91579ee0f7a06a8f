/* replay_kafka: see replay_kafka.h. */
#include "replay_kafka.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_clock.h"
#include "rh_err.h"
#include "rh_kafka.h"
#include "rh_log.h"

#define STALL_MS 60000
#define META_MS 15000
#define BATCH 1024

typedef struct {
  rd_kafka_topic_t *rkt;
  const char *topic; /* rd_kafka_topic_name(rkt) */
  int32_t partition;
  int64_t first, last;
  size_t queue;
  bool started, done;
} part_t;

struct replay_reader {
  rd_kafka_t *rk;
  char what[64];
  rd_kafka_queue_t **queues;
  size_t nqueues;
  part_t *parts;
  size_t nparts;
  rd_kafka_topic_t **topics; /* one handle a topic */
  size_t ntopics;
  char **names; /* topic names handed out by replay_reader_parts */
  size_t nnames, names_cap;
};

/* A property unless the config sets it. */
static int conf_default(const rh_config_t *cfg, rd_kafka_conf_t *c, const char *k, const char *v,
                        char *errstr, size_t errstr_size) {
  return rh_config_kafka_get(cfg, k) ? 0 : rh_kafka_conf_set(c, k, v, errstr, errstr_size);
}

replay_reader_t *replay_reader_new(const rh_config_t *cfg, const char *what, size_t nqueues,
                                   replay_ahead_t ahead,
                                   char *errstr, size_t errstr_size) {
  char why[512], group[RH_CONFIG_TOPIC_PREFIX_MAX + 32];
  replay_reader_t *r = calloc(1, sizeof *r);
  if (!r || !(r->queues = calloc(nqueues ? nqueues : 1, sizeof *r->queues))) {
    free(r);
    rh_errf(errstr, errstr_size, "out of memory");
    return NULL;
  }
  r->nqueues = nqueues ? nqueues : 1;
  bool few = ahead == REPLAY_AHEAD_FEW;
  snprintf(r->what, sizeof r->what, "%s", what);
  /* never used for a group: librdkafka's simple consumer wants one set */
  snprintf(group, sizeof group, "%sriskhub-replay", cfg->topic_prefix);
  rd_kafka_conf_t *c = rh_kafka_conf_from_config(cfg, errstr, errstr_size);
  /* a range read ends at its last offset or at the partition's end: an empty
   * fetch must come back at once, not after fetch.wait.max.ms (500 ms) */
  if (!c || rh_kafka_conf_set(c, "group.id", group, errstr, errstr_size) ||
      rh_kafka_conf_set(c, "isolation.level", "read_committed", errstr, errstr_size) ||
      rh_kafka_conf_set(c, "enable.auto.commit", "false", errstr, errstr_size) ||
      rh_kafka_conf_set(c, "enable.auto.offset.store", "false", errstr, errstr_size) ||
      rh_kafka_conf_set(c, "enable.partition.eof", "true", errstr, errstr_size) ||
      conf_default(cfg, c, "fetch.wait.max.ms", "10", errstr, errstr_size) ||
      conf_default(cfg, c, "fetch.error.backoff.ms", "10", errstr, errstr_size) ||
      conf_default(cfg, c, "max.partition.fetch.bytes", few ? "1048576" : "1048576", errstr,
                   errstr_size) ||
      conf_default(cfg, c, "queued.max.messages.kbytes", few ? "4096" : "1024", errstr,
                   errstr_size) ||
      conf_default(cfg, c, "auto.offset.reset", "earliest", errstr, errstr_size)) {
    if (c) rd_kafka_conf_destroy(c);
    replay_reader_destroy(r);
    return NULL;
  }
  if (!(r->rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, why, sizeof why))) {
    rh_errf(errstr, errstr_size, "cannot create a Kafka consumer: %s", why);
    rd_kafka_conf_destroy(c);
    replay_reader_destroy(r);
    return NULL;
  }
  for (size_t i = 0; i < r->nqueues; i++)
    if (!(r->queues[i] = rd_kafka_queue_new(r->rk))) {
      rh_errf(errstr, errstr_size, "out of memory");
      replay_reader_destroy(r);
      return NULL;
    }
  return r;
}

void replay_reader_destroy(replay_reader_t *r) {
  if (!r) return;
  for (size_t i = 0; i < r->nparts; i++)
    if (r->parts[i].started && !r->parts[i].done) rd_kafka_consume_stop(r->parts[i].rkt,
                                                                         r->parts[i].partition);
  for (size_t i = 0; i < r->nqueues; i++)
    if (r->queues[i]) rd_kafka_queue_destroy(r->queues[i]);
  for (size_t i = 0; i < r->ntopics; i++) rd_kafka_topic_destroy(r->topics[i]);
  if (r->rk) rd_kafka_destroy(r->rk);
  free(r->queues);
  free(r->parts);
  free(r->topics);
  for (size_t i = 0; i < r->nnames; i++) free(r->names[i]);
  free(r->names);
  free(r);
}

static const char *keep_name(replay_reader_t *r, const char *name) {
  for (size_t i = 0; i < r->nnames; i++)
    if (strcmp(r->names[i], name) == 0) return r->names[i];
  if (r->nnames == r->names_cap) {
    size_t cap = r->names_cap ? r->names_cap * 2 : 32;
    char **n = realloc(r->names, cap * sizeof *n);
    if (!n) return NULL;
    r->names = n;
    r->names_cap = cap;
  }
  size_t len = strlen(name) + 1;
  char *copy = malloc(len);
  if (!copy) return NULL;
  memcpy(copy, name, len);
  r->names[r->nnames++] = copy;
  return copy;
}

static bool matches(const char *topic, const char *const *prefixes, size_t n, int exact) {
  for (size_t i = 0; i < n; i++) {
    size_t l = strlen(prefixes[i]);
    if (exact ? strcmp(topic, prefixes[i]) == 0 : strncmp(topic, prefixes[i], l) == 0)
      return true;
  }
  return false;
}

int replay_reader_parts(replay_reader_t *r, const char *const *prefixes, size_t nprefixes,
                        int exact, int64_t since_ms, replay_part_t **out, size_t *n,
                        char *errstr, size_t errstr_size) {
  const struct rd_kafka_metadata *md = NULL;
  rd_kafka_topic_partition_list_t *tl = rd_kafka_topic_partition_list_new(64);
  replay_part_t *parts = NULL;
  size_t len = 0;
  int rc = -1;
  *out = NULL;
  *n = 0;
  rd_kafka_resp_err_t err = rd_kafka_metadata(r->rk, 1, NULL, &md, META_MS);
  if (err) {
    rh_errf(errstr, errstr_size, "Kafka: reading the topics (%s): %s", r->what,
            rd_kafka_err2str(err));
    goto out;
  }
  for (int i = 0; i < md->topic_cnt; i++) {
    const struct rd_kafka_metadata_topic *t = &md->topics[i];
    if (t->err || !matches(t->topic, prefixes, nprefixes, exact)) continue;
    for (int p = 0; p < t->partition_cnt; p++)
      rd_kafka_topic_partition_list_add(tl, t->topic, t->partitions[p].id)->offset =
          since_ms >= 0 ? since_ms : RD_KAFKA_OFFSET_BEGINNING;
  }
  if (tl->cnt && since_ms >= 0) {
    err = rd_kafka_offsets_for_times(r->rk, tl, META_MS);
    if (err) {
      rh_errf(errstr, errstr_size, "Kafka: offsets by time (%s): %s", r->what,
              rd_kafka_err2str(err));
      goto out;
    }
  }
  parts = calloc(tl->cnt ? (size_t)tl->cnt : 1, sizeof *parts);
  if (!parts) {
    rh_errf(errstr, errstr_size, "out of memory");
    goto out;
  }
  for (int i = 0; i < tl->cnt; i++) {
    const rd_kafka_topic_partition_t *e = &tl->elems[i];
    if (e->err) {
      rh_errf(errstr, errstr_size, "Kafka: %s [%d] (%s): %s", e->topic, (int)e->partition,
              r->what, rd_kafka_err2str(e->err));
      goto out;
    }
    /* offsets_for_times: -1 = no message that recent */
    if (since_ms >= 0 && e->offset < 0) continue;
    const char *name = keep_name(r, e->topic);
    if (!name) {
      rh_errf(errstr, errstr_size, "out of memory");
      goto out;
    }
    parts[len++] = (replay_part_t){name, e->partition, e->offset, -1};
  }
  *out = parts;
  *n = len;
  parts = NULL;
  rc = 0;
out:
  free(parts);
  if (md) rd_kafka_metadata_destroy(md);
  rd_kafka_topic_partition_list_destroy(tl);
  return rc;
}

static rd_kafka_topic_t *topic_handle(replay_reader_t *r, const char *name) {
  for (size_t i = 0; i < r->ntopics; i++)
    if (strcmp(rd_kafka_topic_name(r->topics[i]), name) == 0) return r->topics[i];
  rd_kafka_topic_t **t = realloc(r->topics, (r->ntopics + 1) * sizeof *t);
  if (!t) return NULL;
  r->topics = t;
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(r->rk, name, NULL);
  if (rkt) r->topics[r->ntopics++] = rkt;
  return rkt;
}

/* The offsets a part spans (1 when its end is not known). */
static int64_t weight(const replay_part_t *p) {
  return p->last >= p->first && p->first >= 0 ? p->last - p->first + 1 : 1;
}

int replay_reader_start(replay_reader_t *r, const replay_part_t *parts, size_t n, char *errstr,
                        size_t errstr_size) {
  if (!n) return 0;
  if (r->parts || !(r->parts = calloc(n, sizeof *r->parts))) {
    rh_errf(errstr, errstr_size, r->parts ? "started twice" : "out of memory");
    return -1;
  }
  /* metadata first: otherwise the fetcher waits for the periodic scan */
  const char **names = calloc(n, sizeof *names);
  size_t nn = 0;
  if (!names) {
    rh_errf(errstr, errstr_size, "out of memory");
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    size_t k = 0;
    while (k < nn && strcmp(names[k], parts[i].topic) != 0) k++;
    if (k == nn) names[nn++] = parts[i].topic;
  }
  int rc = rh_kafka_warm_topics(r->rk, names, nn, META_MS, errstr, errstr_size);
  free(names);
  if (rc) return -1;
  /* each part to the queue with the fewest offsets so far, largest first */
  size_t *order = calloc(n, sizeof *order);
  int64_t *load = calloc(r->nqueues, sizeof *load);
  if (!order || !load) {
    free(order);
    free(load);
    rh_errf(errstr, errstr_size, "out of memory");
    return -1;
  }
  for (size_t i = 0; i < n; i++) order[i] = i;
  for (size_t i = 1; i < n; i++) /* insertion sort by weight, descending: lists are short */
    for (size_t k = i; k > 0 && weight(&parts[order[k]]) > weight(&parts[order[k - 1]]); k--) {
      size_t t = order[k];
      order[k] = order[k - 1];
      order[k - 1] = t;
    }
  size_t *queue_of = calloc(n, sizeof *queue_of);
  if (!queue_of) {
    free(order);
    free(load);
    rh_errf(errstr, errstr_size, "out of memory");
    return -1;
  }
  for (size_t j = 0; j < n; j++) {
    size_t best = 0;
    for (size_t q = 1; q < r->nqueues; q++)
      if (load[q] < load[best]) best = q;
    queue_of[order[j]] = best;
    load[best] += weight(&parts[order[j]]);
  }
  free(order);
  free(load);
  for (size_t i = 0; i < n; i++) {
    part_t *p = &r->parts[r->nparts];
    if (!(p->rkt = topic_handle(r, parts[i].topic))) {
      rh_errf(errstr, errstr_size, "Kafka: topic %s: %s", parts[i].topic,
              rd_kafka_err2str(rd_kafka_last_error()));
      free(queue_of);
      return -1;
    }
    p->topic = rd_kafka_topic_name(p->rkt);
    p->partition = parts[i].partition;
    p->first = parts[i].first;
    p->last = parts[i].last;
    p->queue = queue_of[i];
    r->nparts++;
    if (rd_kafka_consume_start_queue(p->rkt, p->partition, p->first, r->queues[p->queue])) {
      rh_errf(errstr, errstr_size, "Kafka: reading %s [%d] (%s): %s", p->topic,
              (int)p->partition, r->what, rd_kafka_err2str(rd_kafka_last_error()));
      free(queue_of);
      return -1;
    }
    p->started = true;
  }
  free(queue_of);
  return 0;
}

static part_t *find_part(replay_reader_t *r, size_t q, const rd_kafka_topic_t *rkt,
                         int32_t partition) {
  for (size_t i = 0; i < r->nparts; i++)
    if (r->parts[i].queue == q && r->parts[i].rkt == rkt && r->parts[i].partition == partition)
      return &r->parts[i];
  return NULL;
}

static void finish(part_t *p, size_t *pending) {
  p->done = true;
  (*pending)--;
  rd_kafka_consume_stop(p->rkt, p->partition);
}

int replay_reader_drain(replay_reader_t *r, size_t q, rh_msg_fn *fn, void *arg,
                        uint64_t *count, const volatile int *stop, const char *fn_err,
                        char *errstr, size_t errstr_size) {
  size_t pending = 0;
  uint64_t n = 0;
  rd_kafka_message_t *batch[BATCH];
  for (size_t i = 0; i < r->nparts; i++)
    if (r->parts[i].queue == q && !r->parts[i].done) pending++;
  int64_t last_progress = rh_mono_ms();
  part_t *cached = NULL;
  int rc = -1;
  while (pending) {
    if (stop && *stop) {
      rh_errf(errstr, errstr_size, "stopped");
      goto out;
    }
    ssize_t got = rd_kafka_consume_batch_queue(r->queues[q], 100, batch, BATCH);
    if (got < 0) {
      rh_errf(errstr, errstr_size, "Kafka: reading the %s: %s", r->what,
              rd_kafka_err2str(rd_kafka_last_error()));
      goto out;
    }
    if (got == 0) {
      if (rh_mono_ms() - last_progress > STALL_MS) {
        rh_errf(errstr, errstr_size, "Kafka: reading the %s: no progress for %d s", r->what,
                STALL_MS / 1000);
        goto out;
      }
      continue;
    }
    last_progress = rh_mono_ms();
    ssize_t i = 0;
    for (; i < got; i++) {
      rd_kafka_message_t *m = batch[i];
      part_t *p = cached && cached->rkt == m->rkt && cached->partition == m->partition
                      ? cached
                      : (cached = find_part(r, q, m->rkt, m->partition));
      bool failed = false;
      if (!p || p->done) {
        /* not ours, or finished */
      } else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        finish(p, &pending);
      } else if (m->err) {
        rh_errf(errstr, errstr_size, "Kafka: reading the %s, %s [%d]: %s", r->what, p->topic,
                (int)m->partition, rd_kafka_message_errstr(m));
        failed = true;
      } else if (p->last >= 0 && m->offset > p->last) {
        finish(p, &pending);
      } else {
        rd_kafka_timestamp_type_t tst;
        rh_msg_t msg = {p->topic, m->partition, m->offset, rd_kafka_message_timestamp(m, &tst),
                            m->key, m->key_len, m->payload, m->len};
        n++;
        if (fn(arg, &msg)) {
          if (fn_err) rh_errf(errstr, errstr_size, "%s", fn_err);
          failed = true;
        } else if (p->last >= 0 && m->offset >= p->last) {
          finish(p, &pending);
        }
      }
      rd_kafka_message_destroy(m);
      if (failed) {
        for (i++; i < got; i++) rd_kafka_message_destroy(batch[i]);
        goto out;
      }
    }
  }
  rc = 0;
out:
  if (count) *count = n;
  return rc;
}
