/* join_changelog: see join_changelog.h and docs/join.md ("State"). */
#include "join_changelog.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rh_array.h"
#include "rh_clock.h"
#include "rh_config.h"
#include "rh_err.h"
#include "rh_kafka_read.h"
#include "rh_log.h"
#include "rh_kafka.h"

#define NAME_MAX_LEN 256
#define QUERY_TIMEOUT_MS 2000
#define MIN_PARTITIONS 3

/* ---- pure ---- */

void join_changelog_key(uint64_t key, char out[17]) {
  static const char hex[] = "0123456789abcdef";
  for (int i = 15; i >= 0; i--) {
    out[i] = hex[key & 0xf];
    key >>= 4;
  }
  out[16] = '\0';
}

int join_changelog_value(const char *topic, int32_t partition, char *out, size_t size) {
  int n = snprintf(out, size, "%s/%" PRId32, topic, partition);
  return n < 0 || (size_t)n >= size ? -1 : n;
}

int join_changelog_parse(const void *value, size_t len, char *topic, size_t tsize,
                         int32_t *partition) {
  const char *v = value;
  if (!v || len == 0) return -1;
  if (len == 1 && v[0] == '*') return 0;
  size_t slash = len;
  while (slash > 0 && v[slash - 1] != '/') slash--;
  if (slash < 2 || slash == len || slash - 1 >= tsize) return -1;
  int64_t p = 0;
  for (size_t i = slash; i < len; i++) {
    if (v[i] < '0' || v[i] > '9' || p > INT32_MAX / 10) return -1;
    p = p * 10 + (v[i] - '0');
  }
  if (p > INT32_MAX) return -1;
  memcpy(topic, v, slash - 1);
  topic[slash - 1] = '\0';
  *partition = (int32_t)p;
  return 1;
}

int32_t join_changelog_partition(int32_t input_partition, int nparts) {
  if (nparts <= 0 || input_partition < 0) return 0;
  return input_partition % nparts;
}

join_owned_part_t *join_owned_find(join_owned_t *o, const char *topic, int32_t partition) {
  for (size_t i = 0; i < o->n; i++)
    if (o->parts[i].partition == partition && strcmp(o->parts[i].topic, topic) == 0)
      return &o->parts[i];
  return NULL;
}

join_owned_part_t *join_owned_add(join_owned_t *o, const char *topic, int32_t partition) {
  join_owned_part_t *p = join_owned_find(o, topic, partition);
  if (p) return p;
  if (RH_ARRAY_RESERVE(o->parts, o->n + 1, o->cap, 16)) return NULL;
  size_t len = strlen(topic) + 1;
  char *t = malloc(len);
  if (!t) return NULL;
  memcpy(t, topic, len);
  p = &o->parts[o->n++];
  memset(p, 0, sizeof *p);
  p->topic = t;
  p->partition = partition;
  p->committed = -1;
  return p;
}

int join_owned_note(join_owned_part_t *p, uint64_t key) {
  if (RH_ARRAY_RESERVE(p->keys, p->nkeys + 1, p->cap, 1024)) return -1;
  p->keys[p->nkeys++] = key;
  return 0;
}

size_t join_owned_drop(join_owned_t *o, const char *topic, int32_t partition, join_idset_t *ids) {
  join_owned_part_t *p = join_owned_find(o, topic, partition);
  if (!p) return 0;
  size_t n = p->nkeys;
  if (ids)
    for (size_t i = 0; i < n; i++) join_idset_remove(ids, p->keys[i]);
  free(p->keys);
  free(p->topic);
  *p = o->parts[--o->n];
  return n;
}

void join_owned_revoke(join_owned_t *o) {
  for (size_t i = 0; i < o->n; i++) o->parts[i].stale = true;
}

int join_owned_assign(join_owned_t *o, const rd_kafka_topic_partition_list_t *assigned,
                      join_idset_t *ids, bool *need) {
  /* stale parts: taken back unchanged, or dropped */
  for (size_t i = 0; i < o->n;) {
    join_owned_part_t *p = &o->parts[i];
    const rd_kafka_topic_partition_t *a =
        p->stale ? rd_kafka_topic_partition_list_find(assigned, p->topic, p->partition) : NULL;
    if (!p->stale) {
      i++;
    } else if (a && (a->offset == p->committed || (a->offset < 0 && p->committed < 0))) {
      p->stale = false;
      i++;
    } else {
      char topic[NAME_MAX_LEN];
      snprintf(topic, sizeof topic, "%s", p->topic);
      join_owned_drop(o, topic, p->partition, ids); /* moves the last part to i */
    }
  }
  int nneed = 0;
  for (int i = 0; i < assigned->cnt; i++) {
    const join_owned_part_t *p =
        join_owned_find(o, assigned->elems[i].topic, assigned->elems[i].partition);
    need[i] = !p;
    nneed += need[i];
  }
  return nneed;
}

void join_owned_free(join_owned_t *o) {
  for (size_t i = 0; i < o->n; i++) {
    free(o->parts[i].keys);
    free(o->parts[i].topic);
  }
  free(o->parts);
  memset(o, 0, sizeof *o);
}

/* ---- Kafka ---- */

struct join_changelog {
  char topic[NAME_MAX_LEN];
  char prefix[NAME_MAX_LEN]; /* the topic prefix */
  int nparts;
  bool wrote_checks; /* the open transaction wrote check ids */
  rd_kafka_t *rk;       /* borrowed: metadata, admin */
  rd_kafka_t *probe_rc; /* borrowed: LSO */
  rd_kafka_t *probe_ru; /* own: high watermarks */
  join_owned_t owned;
};

const char *join_changelog_topic(const join_changelog_t *cl) { return cl->topic; }

/* A check id's input: a department's manifests topic (or the shared one of
 * before 2026-12, whose ids an older join wrote). */
static bool checks_topic(const join_changelog_t *cl, const char *topic) {
  return rh_config_topic_class(cl->prefix, topic) == RH_TOPIC_MANIFESTS;
}

void join_changelog_set_handle(join_changelog_t *cl, rd_kafka_t *rk) { cl->rk = rk; }

/* The feed partitions' changelog partitions are 0..feed_parts-1; the last
 * partition holds the check ids (all manifests partitions). */
static int feed_parts(const join_changelog_t *cl) { return cl->nparts > 1 ? cl->nparts - 1 : 1; }
static int32_t checks_part(const join_changelog_t *cl) { return cl->nparts - 1; }
int join_changelog_partitions(const join_changelog_t *cl) { return cl->nparts; }

/* The partition count of topic, -1 if it does not exist. From the metadata of
 * all topics: a request for the one topic would let the broker create it
 * (auto.create.topics.enable, librdkafka's allow.auto.create.topics for a
 * producer) with its default partitions and cleanup policy. */
static int topic_partitions(rd_kafka_t *rk, const char *topic, int timeout_ms) {
  const struct rd_kafka_metadata *md = NULL;
  int n = -1;
  if (rd_kafka_metadata(rk, 1, NULL, &md, timeout_ms) == 0)
    for (int i = 0; i < md->topic_cnt; i++)
      if (strcmp(md->topics[i].topic, topic) == 0 && !md->topics[i].err &&
          md->topics[i].partition_cnt > 0)
        n = md->topics[i].partition_cnt;
  if (md) rd_kafka_metadata_destroy(md);
  return n;
}

join_changelog_t *join_changelog_open(rd_kafka_t *rk, rd_kafka_t *probe_rc, rd_kafka_t *probe_ru,
                                      const char *prefix, const char *feed_prefix, char *errstr,
                                      size_t errstr_size) {
  join_changelog_t *cl = calloc(1, sizeof *cl);
  if (!cl) {
    rh_errf(errstr, errstr_size, "out of memory");
    rd_kafka_destroy(probe_ru);
    return NULL;
  }
  cl->rk = rk;
  cl->probe_rc = probe_rc;
  cl->probe_ru = probe_ru;
  snprintf(cl->topic, sizeof cl->topic, "%s%s", prefix, JOIN_CHANGELOG_NAME);
  snprintf(cl->prefix, sizeof cl->prefix, "%s", prefix);
  cl->nparts = topic_partitions(rk, cl->topic, 5000);
  if (cl->nparts <= 0) {
    /* as many partitions as the most partitioned feed topic: then the changelog
     * partition of an input partition holds that input partition's ids only
     * (and those of the same number of other topics) */
    int want = MIN_PARTITIONS;
    const struct rd_kafka_metadata *md = NULL;
    if (rd_kafka_metadata(rk, 1, NULL, &md, 10000) == 0) {
      size_t fl = strlen(feed_prefix);
      for (int i = 0; i < md->topic_cnt; i++)
        if (strncmp(md->topics[i].topic, feed_prefix, fl) == 0 &&
            md->topics[i].partition_cnt > want)
          want = md->topics[i].partition_cnt;
      rd_kafka_metadata_destroy(md);
    }
    const char *topics[1] = {cl->topic};
    const char *configs[] = {"cleanup.policy", "compact", NULL};
    if (rh_kafka_create_topics_with(rk, topics, 1, want + 1, 1, configs, 30000, errstr,
                                    errstr_size)) {
      join_changelog_destroy(cl);
      return NULL;
    }
    int64_t until = rh_mono_ms() + 10000;
    while ((cl->nparts = topic_partitions(rk, cl->topic, 2000)) <= 0 && rh_mono_ms() < until) {
      struct timespec ts = {0, 100000000L};
      nanosleep(&ts, NULL);
    }
    if (cl->nparts <= 0) {
      rh_errf(errstr, errstr_size, "the changelog %s: no metadata after creating it", cl->topic);
      join_changelog_destroy(cl);
      return NULL;
    }
  }
  return cl;
}

void join_changelog_destroy(join_changelog_t *cl) {
  if (!cl) return;
  if (cl->probe_ru) rd_kafka_destroy(cl->probe_ru);
  join_owned_free(&cl->owned);
  free(cl);
}

int join_changelog_is_empty(join_changelog_t *cl, char *errstr, size_t errstr_size) {
  for (int p = 0; p < cl->nparts; p++) {
    int64_t hi;
    rd_kafka_resp_err_t e;
    int64_t until = rh_mono_ms() + 10000;
    while ((e = rh_kafka_watermarks(cl->probe_ru, cl->topic, p, NULL, &hi, QUERY_TIMEOUT_MS)) &&
           rh_mono_ms() < until) {
      struct timespec ts = {0, 100000000L};
      nanosleep(&ts, NULL);
    }
    if (e) {
      rh_errf(errstr, errstr_size, "%s [%d]: %s", cl->topic, p, rd_kafka_err2str(e));
      return -1;
    }
    if (hi > 0) return 0;
  }
  return 1;
}

int join_changelog_seed(join_changelog_t *cl, rh_producer_t *producer, const uint64_t *keys,
                        size_t n, int txn_timeout_ms, char *errstr, size_t errstr_size) {
  if (!n) return 0;
  if (rh_producer_txn_begin(producer, errstr, errstr_size)) return -1;
  for (size_t i = 0; i < n; i++) {
    char k[17];
    join_changelog_key(keys[i], k);
    for (int p = 0; p < cl->nparts; p++)
      if (rh_producer_send(producer, cl->topic, p, k, 16, JOIN_CHANGELOG_WILDCARD, 1, NULL, NULL,
                           errstr, errstr_size)) {
        char e2[256];
        rh_producer_txn_abort(producer, txn_timeout_ms, e2, sizeof e2);
        return -1;
      }
  }
  int fatal = 0;
  if (rh_producer_txn_commit(producer, txn_timeout_ms, &fatal, errstr, errstr_size)) {
    char e2[256];
    if (!fatal) rh_producer_txn_abort(producer, txn_timeout_ms, e2, sizeof e2);
    return -1;
  }
  return 0;
}

/* ---- the assignment ---- */

typedef struct {
  join_changelog_t *cl;
  const rd_kafka_topic_partition_list_t *want; /* the input partitions to load */
  join_idset_t *ids;
  size_t loaded;
  int oom;
} load_ctx_t;

static int load_one(void *arg, const rd_kafka_message_t *m) {
  load_ctx_t *x = arg;
  char topic[NAME_MAX_LEN];
  int32_t part = 0;
  uint64_t key = join_idset_key(m->key, m->key_len);
  if (!key) return 0; /* not ours: skipped */
  int r = join_changelog_parse(m->payload, m->len, topic, sizeof topic, &part);
  if (r < 0) return 0;
  if (r == 0 || checks_topic(x->cl, topic)) {
    /* seeded, or a check id: every instance keeps it */
    if (join_idset_add_committed(x->ids, key) < 0) return -1;
    x->loaded++;
    return 0;
  }
  if (!x->want) return 0;
  if (!rd_kafka_topic_partition_list_find(x->want, topic, part)) return 0;
  join_owned_part_t *p = join_owned_find(&x->cl->owned, topic, part);
  int a = join_idset_add_committed(x->ids, key);
  if (a < 0 || !p || (a == 1 && join_owned_note(p, key))) return -1;
  x->loaded++;
  return 0;
}

/* For each changelog partition in cparts: its high watermark now (hw[p]),
 * then wait until its last stable offset reaches it: every transaction that
 * wrote there before now has ended (a snapshot: transactions that begin later
 * do not hold the wait). */
static int settle(join_changelog_t *cl, const bool *cparts, int64_t *hw, int wait_ms,
                  char *errstr, size_t errstr_size) {
  int64_t deadline = rh_mono_ms() + wait_ms;
  for (int p = 0; p < cl->nparts; p++) {
    rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;
    hw[p] = -1;
    while (cparts[p] &&
           (e = rh_kafka_watermarks(cl->probe_ru, cl->topic, p, NULL, &hw[p], QUERY_TIMEOUT_MS)) &&
           rh_mono_ms() < deadline) {
      struct timespec ts = {0, 200000000L};
      nanosleep(&ts, NULL);
    }
    if (e) {
      rh_errf(errstr, errstr_size, "%s [%d]: %s", cl->topic, p, rd_kafka_err2str(e));
      return -1;
    }
  }
  bool logged = false;
  for (;;) {
    bool all = true;
    for (int p = 0; p < cl->nparts; p++) {
      if (!cparts[p] || hw[p] <= 0) continue;
      int64_t lso;
      rd_kafka_resp_err_t e =
          rh_kafka_watermarks(cl->probe_rc, cl->topic, p, NULL, &lso, QUERY_TIMEOUT_MS);
      if (e) {
        rh_errf(errstr, errstr_size, "%s [%d]: %s", cl->topic, p, rd_kafka_err2str(e));
        all = false;
      } else if (lso < hw[p]) {
        rh_errf(errstr, errstr_size, "%s [%d]: last stable offset %" PRId64
                " below %" PRId64 " (a transaction of another instance is open)", cl->topic, p,
                lso, hw[p]);
        all = false;
      }
    }
    if (all) return 0;
    if (rh_mono_ms() >= deadline) return -1;
    if (!logged) rh_log_info("changelog: waiting: %s", errstr);
    logged = true;
    struct timespec ts = {0, 100000000L};
    nanosleep(&ts, NULL);
  }
}

/* Wait until the changelog partitions in cparts have settled (settle), then
 * read them read_committed up to that point, loading the ids of want's input
 * partitions (NULL: every id read, the check ids). conf is consumed. 0 or -1. */
static int read_settled(join_changelog_t *cl, const bool *cparts,
                        rd_kafka_topic_partition_list_t *want, join_idset_t *ids,
                        rd_kafka_conf_t *conf, int wait_ms, size_t *loaded, char *errstr,
                        size_t errstr_size) {
  int rc = -1;
  int64_t *hw = calloc((size_t)cl->nparts, sizeof *hw);
  rd_kafka_topic_partition_list_t *until = rd_kafka_topic_partition_list_new(cl->nparts);
  if (!hw) {
    rh_errf(errstr, errstr_size, "out of memory");
    goto out;
  }
  if (settle(cl, cparts, hw, wait_ms, errstr, errstr_size)) goto out;
  for (int p = 0; p < cl->nparts; p++)
    if (cparts[p] && hw[p] > 0) rd_kafka_topic_partition_list_add(until, cl->topic, p)->offset = hw[p];
  /* a broker that stops answering (a freeze) fails the read's requests: read
   * again (the ids are a set, owned ones noted once) for up to wait_ms after
   * the first failure, as settle() waits */
  const char *topics[1] = {cl->topic};
  for (int64_t deadline = -1; until->cnt > 0;) {
    load_ctx_t x = {cl, want, ids, 0, 0};
    rd_kafka_conf_t *c = rd_kafka_conf_dup(conf);
    if (!rh_kafka_read_topics(c, topics, 1, until, load_one, &x, NULL, errstr, errstr_size)) {
      *loaded = x.loaded;
      break;
    }
    if (deadline < 0) deadline = rh_mono_ms() + wait_ms;
    if (strstr(errstr, "out of memory") || rh_mono_ms() >= deadline) goto out;
    rh_log_warn("changelog: %s; reading %s again", errstr, cl->topic);
    rh_sleep_ms(500);
  }
  rc = 0;
out:
  if (conf) rd_kafka_conf_destroy(conf);
  free(hw);
  rd_kafka_topic_partition_list_destroy(until);
  return rc;
}

int join_changelog_assign(join_changelog_t *cl, const rd_kafka_topic_partition_list_t *committed,
                          join_idset_t *ids, rd_kafka_conf_t *conf, int wait_ms, size_t *loaded,
                          char *errstr, size_t errstr_size) {
  *loaded = 0;
  if (!conf) return -1; /* errstr says why */
  int rc = -1;
  bool *need = calloc((size_t)committed->cnt + 1, sizeof *need);
  bool *cparts = calloc((size_t)cl->nparts, sizeof *cparts);
  rd_kafka_topic_partition_list_t *want = rd_kafka_topic_partition_list_new(committed->cnt + 1);
  if (!need || !cparts) {
    rh_errf(errstr, errstr_size, "out of memory");
    goto out;
  }
  int nneed = join_owned_assign(&cl->owned, committed, ids, need);
  for (int i = 0; i < committed->cnt; i++) {
    const rd_kafka_topic_partition_t *e = &committed->elems[i];
    join_owned_part_t *p = join_owned_add(&cl->owned, e->topic, e->partition);
    if (!p) {
      rh_errf(errstr, errstr_size, "out of memory");
      goto out;
    }
    p->committed = e->offset;
    if (!need[i]) continue;
    rd_kafka_topic_partition_list_add(want, e->topic, e->partition);
    cparts[join_changelog_partition(e->partition, feed_parts(cl))] = true;
  }
  if (!nneed) {
    rc = 0;
    goto out;
  }
  rc = read_settled(cl, cparts, want, ids, conf, wait_ms, loaded, errstr, errstr_size);
  conf = NULL;
out:
  if (conf) rd_kafka_conf_destroy(conf);
  free(need);
  free(cparts);
  rd_kafka_topic_partition_list_destroy(want);
  return rc;
}

void join_changelog_revoke(join_changelog_t *cl) { join_owned_revoke(&cl->owned); }

int join_changelog_write(join_changelog_t *cl, rh_producer_t *producer, const join_idset_t *ids,
                         size_t from, const char *topic, int32_t partition, char *errstr,
                         size_t errstr_size) {
  size_t to = join_idset_pending(ids);
  if (from >= to) return 0;
  char value[NAME_MAX_LEN + 16], k[17];
  int vlen = join_changelog_value(topic, partition, value, sizeof value);
  join_owned_part_t *p = join_owned_add(&cl->owned, topic, partition);
  if (vlen < 0 || !p) {
    rh_errf(errstr, errstr_size, "the changelog: %s", vlen < 0 ? "topic name too long" : "out of memory");
    return -1;
  }
  bool check = checks_topic(cl, topic);
  int32_t cp = check ? checks_part(cl) : join_changelog_partition(partition, feed_parts(cl));
  cl->wrote_checks |= check;
  for (size_t i = from; i < to; i++) {
    uint64_t key = join_idset_pending_key(ids, i);
    join_changelog_key(key, k);
    if (!check && join_owned_note(p, key)) {
      rh_errf(errstr, errstr_size, "the changelog: out of memory");
      return -1;
    }
    if (rh_producer_send(producer, cl->topic, cp, k, 16, value, (size_t)vlen, NULL, NULL, errstr,
                         errstr_size))
      return -1;
  }
  return 0;
}

void join_changelog_committed(join_changelog_t *cl, const char *topic, int32_t partition,
                              int64_t offset) {
  join_owned_part_t *p = join_owned_find(&cl->owned, topic, partition);
  if (p) p->committed = offset;
}

size_t join_changelog_held(const join_changelog_t *cl) {
  size_t n = 0;
  for (size_t i = 0; i < cl->owned.n; i++) n += cl->owned.parts[i].nkeys;
  return n;
}

int join_changelog_checks_catch_up(join_changelog_t *cl, join_idset_t *ids, rd_kafka_conf_t *conf,
                                   int wait_ms, size_t *loaded, char *errstr,
                                   size_t errstr_size) {
  *loaded = 0;
  if (!conf) return -1; /* errstr says why */
  if (cl->wrote_checks) { /* caught up at this transaction's first manifest */
    rd_kafka_conf_destroy(conf);
    return 0;
  }
  bool *cparts = calloc((size_t)cl->nparts, sizeof *cparts);
  if (!cparts) {
    rh_errf(errstr, errstr_size, "out of memory");
    rd_kafka_conf_destroy(conf);
    return -1;
  }
  cparts[checks_part(cl)] = true;
  int rc = read_settled(cl, cparts, NULL, ids, conf, wait_ms, loaded, errstr, errstr_size);
  free(cparts);
  return rc;
}

void join_changelog_txn_end(join_changelog_t *cl) {
  if (cl) cl->wrote_checks = false;
}
