/* join_checks: see join_checks.h. */
#include "join_checks.h"
#include "join_checkstate.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rh_array.h"
#include "rh_chain.h"
#include "rh_clock.h"
#include "rh_err.h"
#include "rh_hash.h"
#include "rh_kafka.h"
#include "rh_log.h"
#include "rh_manifest.h"
#include "rh_map.h"
#include "rh_pg.h"
#include "join_withdraw.h"

#define READ_TIMEOUT_MS 30000
#define SMALL 64

/* A check list of a period that has arrived, and when: its manifest's
 * finished_at (the earliest, if published more than once). */
typedef struct {
  const rh_config_feed_t *feed;
  char period[8];
  int64_t at;
} arrival_t;

/* A believed check list read with the manifests (the refresh): where its
 * records are, and its place in its feed's chain (join_checkstate.h). */
typedef struct {
  const rh_config_feed_t *feed;
  char period[8];
  char batch_id[RH_SHA256_HEXSZ];
  int64_t finished_at;
  size_t order;
  bool in_chain;
  size_t range_first, nranges;
} known_t;

typedef join_range_t range_t; /* a list's records in one partition */

typedef struct {
  int32_t partition;
  int64_t offset;
  size_t fact_first, fact_count;
} match_t;

typedef struct {
  char *name, *value;
} fact_copy_t;

struct join_checks {
  const rh_config_t *cfg;
  join_idset_t *ids;
  rh_avro_decoder_t *dec;
  const rh_avro_schema_t *bm_schema, *cr_schema, *fr_schema;
  rh_feedrecord_codec_t frc;
  avro_value_t bmv, crv, frv;
  avro_value_t peekv; /* the manifests read by the arrivals' refresh */
  rh_avro_buf_t buf;
  rd_kafka_t *reader;
  arrival_t *arrived;
  size_t arrived_len, arrived_cap, arrived_committed;
  join_checks_arrivals_fn *refresh; /* reads every arrival before a list's results */
  void *refresh_arg;
  bool refreshed; /* in this transaction already */
  /* per manifest */
  match_t *matches;
  size_t match_len, match_cap;
  fact_copy_t *facts;
  size_t fact_len, fact_cap;
  rh_map_t by_id;
  rh_manifest_keys_t *keys; /* the departments' public keys (signed lists) */
  rh_chain_t *chain;        /* the believed manifests of the last refresh */
  known_t *known;           /* its check lists (a link's tag: the index here) */
  size_t known_len, known_cap;
  range_t *ranges;
  size_t range_len, range_cap;
  const rh_config_feed_t *check_feeds[64]; /* config order */
  size_t ncheck_feeds;
  join_withdraw_t *wd;      /* their signal lists, for the corrections */
};

join_checks_t *join_checks_new(const rh_config_t *cfg, const rh_avro_schemas_t *schemas,
                               join_idset_t *ids, rd_kafka_conf_t *reader_conf, char *errstr,
                               size_t errstr_size) {
  join_checks_t *c = calloc(1, sizeof *c);
  if (!c) {
    if (reader_conf) rd_kafka_conf_destroy(reader_conf);
    rh_errf(errstr, errstr_size, "out of memory");
    return NULL;
  }
  c->cfg = cfg;
  c->ids = ids;
  for (size_t i = 0; i < cfg->department_count; i++)
    for (size_t j = 0; j < cfg->departments[i].feed_count; j++)
      if (cfg->departments[i].feeds[j].kind == RH_FEED_CHECK && c->ncheck_feeds < 64)
        c->check_feeds[c->ncheck_feeds++] = &cfg->departments[i].feeds[j];
  rh_avro_buf_init(&c->buf);
  if (!(c->keys = rh_manifest_keys_load(cfg, errstr, errstr_size))) {
    if (reader_conf) rd_kafka_conf_destroy(reader_conf);
    free(c);
    return NULL;
  }
  c->bm_schema = rh_avro_schemas_get(schemas, "riskhub.BatchManifest");
  c->cr_schema = rh_avro_schemas_get(schemas, "riskhub.CheckResult");
  c->fr_schema = rh_avro_schemas_get(schemas, "riskhub.FeedRecord");
  if (!c->bm_schema || !c->cr_schema || !c->fr_schema) {
    if (reader_conf) rd_kafka_conf_destroy(reader_conf);
    rh_errf(errstr, errstr_size, "the schemas lack BatchManifest, CheckResult or FeedRecord");
    join_checks_destroy(c);
    return NULL;
  }
  if (rh_feedrecord_codec_init(&c->frc, c->fr_schema, errstr, errstr_size) ||
      rh_avro_schema_value_new(c->bm_schema, &c->bmv, errstr, errstr_size) ||
      rh_avro_schema_value_new(c->bm_schema, &c->peekv, errstr, errstr_size) ||
      rh_avro_schema_value_new(c->cr_schema, &c->crv, errstr, errstr_size) ||
      rh_avro_schema_value_new(c->fr_schema, &c->frv, errstr, errstr_size) ||
      rh_map_init(&c->by_id, 1024) || !(c->dec = rh_avro_decoder_new(schemas)) ||
      !(c->chain = rh_chain_new()) || !(c->wd = join_withdraw_new())) {
    if (reader_conf) rd_kafka_conf_destroy(reader_conf);
    if (!errstr[0]) rh_errf(errstr, errstr_size, "out of memory");
    join_checks_destroy(c);
    return NULL;
  }
  /* in the namespace, as every group id (the reader assigns and never commits:
   * the group never exists on the brokers, but the principal must be allowed it) */
  char group[300];
  snprintf(group, sizeof group, "%sriskhub-join.reader", cfg->topic_prefix);
  if (reader_conf && !(c->reader = rh_consumer_new(reader_conf, group, errstr, errstr_size))) {
    join_checks_destroy(c);
    return NULL;
  }
  return c;
}

static void clear_matches(join_checks_t *c) {
  for (size_t i = 0; i < c->fact_len; i++) {
    free(c->facts[i].name);
    free(c->facts[i].value);
  }
  c->fact_len = c->match_len = 0;
  rh_map_free(&c->by_id);
  rh_map_init(&c->by_id, 1024);
}

void join_checks_destroy(join_checks_t *c) {
  if (!c) return;
  clear_matches(c);
  rh_map_free(&c->by_id);
  rh_manifest_keys_free(c->keys);
  rh_chain_free(c->chain);
  join_withdraw_destroy(c->wd);
  free(c->matches);
  free(c->facts);
  free(c->arrived);
  free(c->known);
  free(c->ranges);
  rh_feedrecord_codec_free(&c->frc);
  if (c->bmv.iface) avro_value_decref(&c->bmv);
  if (c->peekv.iface) avro_value_decref(&c->peekv);
  if (c->crv.iface) avro_value_decref(&c->crv);
  if (c->frv.iface) avro_value_decref(&c->frv);
  rh_avro_decoder_destroy(c->dec);
  rh_avro_buf_free(&c->buf);
  if (c->reader) {
    rd_kafka_consumer_close(c->reader);
    rd_kafka_destroy(c->reader);
  }
  free(c);
}

static arrival_t *arrival(const join_checks_t *c, const rh_config_feed_t *f, const char *period) {
  for (size_t i = 0; i < c->arrived_len; i++)
    if (c->arrived[i].feed == f && strcmp(c->arrived[i].period, period) == 0) return &c->arrived[i];
  return NULL;
}

/* Had f's list of period arrived when a list finished at `when`? By the
 * lists' own times, not by the order the join meets their manifests (which
 * follows the partitions it reads: a list that arrived before was named
 * missing, issue 11). Two lists of one millisecond have each arrived for the
 * other. */
static bool has_arrived(const join_checks_t *c, const rh_config_feed_t *f, const char *period,
                        int64_t when) {
  const arrival_t *a = arrival(c, f, period);
  return a && a->at <= when;
}

static int note(join_checks_t *c, const rh_config_feed_t *f, const char *period, int64_t at) {
  if (strlen(period) != 7) return -1;
  arrival_t *a = arrival(c, f, period);
  if (a) {
    if (at < a->at) a->at = at;
    return 0;
  }
  if (RH_ARRAY_RESERVE(c->arrived, c->arrived_len + 1, c->arrived_cap, 64)) return -1;
  c->arrived[c->arrived_len].feed = f;
  memcpy(c->arrived[c->arrived_len].period, period, 8);
  c->arrived[c->arrived_len].at = at;
  c->arrived_len++;
  return 0;
}

int join_checks_note_arrived(join_checks_t *c, const char *department, const char *feed,
                             const char *period, int64_t at) {
  const rh_config_feed_t *f = rh_config_feed_find(c->cfg, department, feed);
  if (!f || f->kind != RH_FEED_CHECK) return 0;
  int r = note(c, f, period, at);
  c->arrived_committed = c->arrived_len;
  return r;
}

void join_checks_on_arrivals(join_checks_t *c, join_checks_arrivals_fn *fn, void *arg) {
  c->refresh = fn;
  c->refresh_arg = arg;
}

void join_checks_commit(join_checks_t *c) {
  c->arrived_committed = c->arrived_len;
  c->refreshed = false;
}
void join_checks_rollback(join_checks_t *c) {
  c->arrived_len = c->arrived_committed;
  c->refreshed = false;
}

static long manifest_ranges(avro_value_t *bm, join_range_t *r, size_t max);

/* ---- Avro field helpers ---- */

static const char *get_str(avro_value_t *rec, const char *name) {
  avro_value_t f;
  const char *s = NULL;
  size_t n;
  if (avro_value_get_by_name(rec, name, &f, NULL) || avro_value_get_string(&f, &s, &n)) return NULL;
  return s;
}

static int set_str(avro_value_t *rec, const char *name, const char *s) {
  avro_value_t f;
  return avro_value_get_by_name(rec, name, &f, NULL) || avro_value_set_string(&f, s);
}

static int set_opt_str(avro_value_t *rec, const char *name, const char *s) {
  avro_value_t f, b;
  if (avro_value_get_by_name(rec, name, &f, NULL)) return -1;
  if (!s) return avro_value_set_branch(&f, 0, &b) || avro_value_set_null(&b);
  return avro_value_set_branch(&f, 1, &b) || avro_value_set_string(&b, s);
}

static int64_t get_long(avro_value_t *rec, const char *name) {
  avro_value_t f;
  int64_t v = 0;
  if (avro_value_get_by_name(rec, name, &f, NULL) || avro_value_get_long(&f, &v)) return -1;
  return v;
}

/* Keep a check list (its manifest m): -1 out of memory. In the chain until
 * the refresh judges it. */
static int keep_list(join_checks_t *c, const rh_config_feed_t *f, const char *period,
                     const char *batch_id, int64_t finished_at, avro_value_t *m) {
  avro_value_t parts;
  size_t n = 0;
  if (avro_value_get_by_name(m, "partitions", &parts, NULL) || avro_value_get_size(&parts, &n))
    n = 0;
  if (RH_ARRAY_RESERVE(c->known, c->known_len + 1, c->known_cap, 64) ||
      RH_ARRAY_RESERVE(c->ranges, c->range_len + n + 1, c->range_cap, 64))
    return -1;
  known_t *k = &c->known[c->known_len++];
  memset(k, 0, sizeof *k);
  k->feed = f;
  snprintf(k->period, sizeof k->period, "%s", period);
  snprintf(k->batch_id, sizeof k->batch_id, "%s", batch_id);
  k->finished_at = finished_at;
  k->order = SIZE_MAX / 2; /* not judged: after every list judged */
  k->in_chain = true;
  k->range_first = c->range_len;
  for (size_t i = 0; i < n; i++) {
    avro_value_t pr, x;
    range_t *r = &c->ranges[c->range_len++];
    memset(r, 0, sizeof *r);
    avro_value_get_by_index(&parts, i, &pr, NULL);
    if (!avro_value_get_by_name(&pr, "partition", &x, NULL)) avro_value_get_int(&x, &r->partition);
    if (!avro_value_get_by_name(&pr, "first_offset", &x, NULL)) avro_value_get_long(&x, &r->first);
    if (!avro_value_get_by_name(&pr, "last_offset", &x, NULL)) avro_value_get_long(&x, &r->last);
  }
  k->nranges = n;
  return 0;
}

int join_checks_peek_manifest(join_checks_t *c, const rd_kafka_message_t *m, char *dept,
                              char *feed, char *kind, char *period, size_t each_size,
                              int64_t *finished_at) {
  char why[256];
  const char *carrier = rd_kafka_topic_name(m->rkt);
  /* its own value: a refresh in the middle of a list must not touch c->bmv */
  if (!m->payload || rh_avro_decode(c->dec, m->payload, m->len, c->bm_schema, &c->peekv, NULL, why,
                                    sizeof why) != RH_AVRO_OK)
    return -1;
  const char *d = get_str(&c->peekv, "department"), *f = get_str(&c->peekv, "feed"),
             *k = get_str(&c->peekv, "kind"), *p = get_str(&c->peekv, "period"),
             *prev = get_str(&c->peekv, "prev_manifest_sha256");
  if (!d || !f || !k || !p) return -1;
  int v = rh_manifest_check(c->keys, &c->peekv, carrier, why, sizeof why);
  if (v) return v < 0 ? -2 : -1; /* out of memory / not believed */
  *finished_at = get_long(&c->peekv, "finished_at");
  const rh_config_feed_t *cf = rh_config_feed_find(c->cfg, d, f);
  rh_chain_link_t l = {.feed = cf, .partition = m->partition, .offset = m->offset,
                       .finished_at = *finished_at,
                       .appended_at = rd_kafka_message_timestamp(m, NULL), .believed = true};
  snprintf(l.topic, sizeof l.topic, "%s", carrier);
  snprintf(l.prev, sizeof l.prev, "%.64s", prev ? prev : "");
  l.tag = SIZE_MAX;
  const char *b = get_str(&c->peekv, "batch_id");
  if (cf && cf->kind == RH_FEED_CHECK && b && strlen(p) == 7) {
    l.tag = c->known_len;
    if (keep_list(c, cf, p, b, *finished_at, &c->peekv)) return -2;
  }
  /* a signal list: noted for the corrections (join_withdraw.h) */
  if (cf && cf->kind == RH_FEED_SIGNAL) {
    join_range_t rg[JOIN_RANGES_MAX];
    long nr = manifest_ranges(&c->peekv, rg, JOIN_RANGES_MAX);
    const char *bid = get_str(&c->peekv, "batch_id"), *src = get_str(&c->peekv, "source_name");
    if (nr >= 0 && bid && src && !(l.tag = join_withdraw_note(c->wd, p, src, bid, rg, (size_t)nr)))
      return -2;
  }
  if (cf && (rh_manifest_link(&c->peekv, l.link) || rh_chain_add(c->chain, &l))) return -2;
  snprintf(dept, each_size, "%s", d);
  snprintf(feed, each_size, "%s", f);
  snprintf(kind, each_size, "%s", k);
  snprintf(period, each_size, "%s", p);
  return 0;
}

/* ---- reading the batch back ---- */

static char *xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

static int keep_match(join_checks_t *c, const rh_feedrecord_t *r, int32_t partition,
                      int64_t offset) {
  uint64_t key = rh_regmap_pack_id(r->id_number, strlen(r->id_number));
  uint32_t v;
  if (!key || rh_map_get(&c->by_id, key, &v)) return 0; /* first record wins */
  if (RH_ARRAY_RESERVE(c->matches, c->match_len + 1, c->match_cap, 256)) return -1;
  if (RH_ARRAY_RESERVE(c->facts, c->fact_len + r->fact_count, c->fact_cap, 512)) return -1;
  match_t *mt = &c->matches[c->match_len];
  mt->partition = partition;
  mt->offset = offset;
  mt->fact_first = c->fact_len;
  mt->fact_count = 0;
  for (size_t i = 0; i < r->fact_count; i++) {
    fact_copy_t fc = {xstrdup(r->facts[i].name), xstrdup(r->facts[i].value)};
    if (!fc.name || !fc.value) {
      free(fc.name);
      free(fc.value);
      return -1;
    }
    c->facts[c->fact_len++] = fc;
    mt->fact_count++;
  }
  if (rh_map_put(&c->by_id, key, (uint32_t)c->match_len)) return -1;
  c->match_len++;
  return 0;
}


/* A manifest's offset ranges (its "partitions"), into r (at most max). The
 * count, or -1 (no partitions field, or more than max). */
static long manifest_ranges(avro_value_t *bm, join_range_t *r, size_t max) {
  avro_value_t parts;
  size_t n = 0;
  if (avro_value_get_by_name(bm, "partitions", &parts, NULL) || avro_value_get_size(&parts, &n) ||
      n > max)
    return -1;
  for (size_t i = 0; i < n; i++) {
    avro_value_t pr, f;
    int32_t p = 0;
    avro_value_get_by_index(&parts, i, &pr, NULL);
    avro_value_get_by_name(&pr, "partition", &f, NULL);
    avro_value_get_int(&f, &p);
    r[i].partition = p;
    avro_value_get_by_name(&pr, "first_offset", &f, NULL);
    avro_value_get_long(&f, &r[i].first);
    avro_value_get_by_name(&pr, "last_offset", &f, NULL);
    avro_value_get_long(&f, &r[i].last);
  }
  return (long)n;
}

int join_checks_manifest_ranges(avro_value_t *manifest, join_range_t *r, size_t max) {
  return (int)manifest_ranges(manifest, r, max);
}

static int keep_cb(void *arg, const rh_feedrecord_t *r, int32_t partition, int64_t offset) {
  return keep_match(arg, r, partition, offset);
}

/* Read the ranges of topic; fn each record of batch_id. */
static int read_batch(join_checks_t *c, const char *topic, const join_range_t *rg, size_t n,
                      const char *batch_id, join_checks_record_fn *fn, void *arg, char *errstr,
                      size_t errstr_size) {
  if (n == 0) return 0;
  rd_kafka_topic_partition_list_t *tl = rd_kafka_topic_partition_list_new((int)n);
  int64_t *last = calloc(n, sizeof *last);
  int32_t *pno = calloc(n, sizeof *pno);
  bool *done = calloc(n, sizeof *done);
  size_t pending = n;
  int rc = -1;
  if (!last || !pno || !done) {
    rh_errf(errstr, errstr_size, "out of memory");
    goto out;
  }
  for (size_t i = 0; i < n; i++) {
    last[i] = rg[i].last;
    pno[i] = rg[i].partition;
    rd_kafka_topic_partition_list_add(tl, topic, rg[i].partition)->offset = rg[i].first;
  }
  /* metadata first: otherwise the reader waits for its once-a-second scan */
  const char *tt[1] = {topic};
  if (rh_kafka_warm_topics(c->reader, tt, 1, 10000, errstr, errstr_size)) goto out;
  rd_kafka_resp_err_t err = rd_kafka_assign(c->reader, tl);
  if (err) {
    rh_errf(errstr, errstr_size, "reading the batch of %s: %s", topic, rd_kafka_err2str(err));
    goto out;
  }
  int64_t deadline = rh_mono_ms() + READ_TIMEOUT_MS;
  while (pending && rh_mono_ms() < deadline) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(c->reader, 200);
    if (!m) continue;
    size_t i = 0;
    while (i < n && pno[i] != m->partition) i++;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (i < n && !done[i]) done[i] = true, pending--;
    } else if (m->err) {
      rh_errf(errstr, errstr_size, "reading the batch of %s: %s", topic,
              rd_kafka_message_errstr(m));
      rd_kafka_message_destroy(m);
      goto out;
    } else if (i < n && !done[i]) {
      if (m->offset <= last[i]) {
        rh_feedrecord_t r;
        char why[256];
        if (rh_avro_decode(c->dec, m->payload, m->len, c->fr_schema, &c->frv, NULL, why,
                           sizeof why) == RH_AVRO_OK &&
            rh_feedrecord_from_value(&c->frc, &c->frv, &r, why, sizeof why) == 0 &&
            strcmp(r.batch_id, batch_id) == 0 && fn(arg, &r, m->partition, m->offset)) {
          rh_errf(errstr, errstr_size, "out of memory");
          rd_kafka_message_destroy(m);
          goto out;
        }
        /* an undecodable record went to the DLQ when the join consumed it */
      }
      if (m->offset >= last[i]) done[i] = true, pending--;
    }
    rd_kafka_message_destroy(m);
  }
  if (pending) {
    rh_errf(errstr, errstr_size, "reading the batch of %s: not all of it within %d s", topic,
            READ_TIMEOUT_MS / 1000);
    goto out;
  }
  rc = 0;
out:
  rd_kafka_assign(c->reader, NULL);
  rd_kafka_topic_partition_list_destroy(tl);
  free(last);
  free(pno);
  free(done);
  return rc;
}

int join_checks_read_batch(join_checks_t *c, const char *topic, const join_range_t *ranges,
                           size_t n, const char *batch_id, join_checks_record_fn *fn, void *arg,
                           char *errstr, size_t errstr_size) {
  if (!c->reader) {
    rh_errf(errstr, errstr_size, "join_checks: no batch reader");
    return -1;
  }
  return read_batch(c, topic, ranges, n, batch_id, fn, arg, errstr, errstr_size);
}

/* ---- the results ---- */

static int fill_result(join_checks_t *c, const char *check_id, const char *period,
                       PGresult *res, int row, const char *dept, const char *feedc,
                       const match_t *mt, const char *topic, const char *batch_id,
                       const char *const *missing, size_t nmissing, const char *supersedes,
                       int64_t now_ms) {
  avro_value_t *v = &c->crv, f, b, x;
  avro_value_reset(v);
  const char *village = PQgetisnull(res, row, 2) ? NULL : PQgetvalue(res, row, 2);
  const char *name = PQgetisnull(res, row, 4) ? NULL : PQgetvalue(res, row, 4);
  if (set_str(v, "check_id", check_id) || set_str(v, "period", period) ||
      set_str(v, "township_code", PQgetvalue(res, row, 1)) ||
      set_opt_str(v, "village", village) ||
      set_str(v, "household_id", PQgetvalue(res, row, 0)) ||
      set_str(v, "member_id_number", PQgetvalue(res, row, 3)) ||
      set_opt_str(v, "member_name", name) ||
      set_opt_str(v, "relation_to_head", PQgetvalue(res, row, 5)) ||
      set_str(v, "department", dept) || set_str(v, "feed", feedc))
    return -1;
  if (avro_value_get_by_name(v, "matched", &f, NULL) || avro_value_set_boolean(&f, mt != NULL))
    return -1;
  if (avro_value_get_by_name(v, "facts", &f, NULL)) return -1;
  for (size_t i = 0; mt && i < mt->fact_count; i++) {
    const fact_copy_t *fc = &c->facts[mt->fact_first + i];
    if (avro_value_add(&f, fc->name, &x, NULL, NULL) || avro_value_set_string(&x, fc->value))
      return -1;
  }
  if (avro_value_get_by_name(v, "source", &f, NULL)) return -1;
  if (!mt) {
    if (avro_value_set_branch(&f, 0, &b) || avro_value_set_null(&b)) return -1;
  } else {
    if (avro_value_set_branch(&f, 1, &b) || set_str(&b, "topic", topic) ||
        set_str(&b, "batch_id", batch_id) ||
        avro_value_get_by_name(&b, "partition", &x, NULL) ||
        avro_value_set_int(&x, mt->partition) || avro_value_get_by_name(&b, "offset", &x, NULL) ||
        avro_value_set_long(&x, mt->offset))
      return -1;
  }
  if (avro_value_get_by_name(v, "complete", &f, NULL) || avro_value_set_boolean(&f, nmissing == 0))
    return -1;
  if (avro_value_get_by_name(v, "missing_departments", &f, NULL)) return -1;
  for (size_t i = 0; i < nmissing; i++)
    if (avro_value_append(&f, &x, NULL) || avro_value_set_string(&x, missing[i])) return -1;
  if (avro_value_get_by_name(v, "created_at", &f, NULL) || avro_value_set_long(&f, now_ms))
    return -1;
  return set_opt_str(v, "supersedes", supersedes);
}

/* One member's result (a row of the applicants): its id, the list whose
 * facts it gives, what it supersedes, the check lists still missing. */
typedef struct {
  const char *check_id, *period, *dept, *feedc, *topic, *batch_id, *supersedes;
  const char *const *missing;
  size_t nmissing;
} result_t;

/* Claim r's id (published already: counted a duplicate, nothing sent), then
 * build and send the result of row with the member's match of the batch read
 * back (c->by_id). 0, or -1 with errstr. */
static int send_result(join_checks_t *c, join_transform_t *t, const result_t *r, PGresult *res,
                       int row, const join_sink_t *sink, int64_t now_ms, uint64_t *matched,
                       uint64_t *emitted, char *errstr, size_t errstr_size) {
  int claimed = join_idset_add(c->ids, join_idset_key(r->check_id, strlen(r->check_id)));
  if (claimed < 0) {
    rh_errf(errstr, errstr_size, "out of memory");
    return -1;
  }
  if (claimed == 0) {
    t->counts.duplicates++;
    return 0;
  }
  const char *member = PQgetvalue(res, row, 3);
  uint64_t key = rh_regmap_pack_id(member, strlen(member));
  uint32_t mi;
  const match_t *mt = key && rh_map_get(&c->by_id, key, &mi) ? &c->matches[mi] : NULL;
  rh_avro_buf_clear(&c->buf);
  if (fill_result(c, r->check_id, r->period, res, row, r->dept, r->feedc, mt, r->topic,
                  r->batch_id, r->missing, r->nmissing, r->supersedes, now_ms)) {
    rh_errf(errstr, errstr_size, "building a CheckResult: %s", avro_strerror());
    return -1;
  }
  if (rh_avro_encode(c->cr_schema, &c->crv, &c->buf, errstr, errstr_size) != RH_AVRO_OK)
    return -1;
  char out_topic[JOIN_TOPIC_MAX];
  snprintf(out_topic, sizeof out_topic, "%schecks.%s", c->cfg->topic_prefix,
           PQgetvalue(res, row, 1));
  const char *hh = PQgetvalue(res, row, 0);
  if (sink->send(sink->arg, out_topic, hh, strlen(hh), c->buf.data, c->buf.len, NULL, errstr,
                 errstr_size))
    return -1;
  *matched += mt != NULL;
  (*emitted)++;
  return 0;
}

#define APPLICANTS_SQL                                                                       \
  "SELECT a.household_id, h.township_code, h.village, m.id_number, m.name, m.relation "     \
  "FROM applications a JOIN households h USING (household_id) "                             \
  "JOIN members m USING (household_id) WHERE a.period = $1 "                                \
  "ORDER BY a.household_id, m.relation <> 'head', m.id_number"

PGresult *join_checks_applicants(PGconn *pg, const char *period, char *errstr,
                                 size_t errstr_size) {
  const char *params[1] = {period};
  return rh_pg_exec_params(pg, APPLICANTS_SQL, 1, params, errstr, errstr_size);
}

void join_checks_list_begin(join_checks_t *c) { clear_matches(c); }

int join_checks_list_record(join_checks_t *c, const rh_feedrecord_t *r, int32_t partition,
                            int64_t offset) {
  return keep_match(c, r, partition, offset);
}

int join_checks_list_results(join_checks_t *c, join_transform_t *t, const rh_config_feed_t *feed,
                             const char *period, const char *batch_id, int64_t arrived_at,
                             PGresult *res, const join_sink_t *sink, int64_t now_ms, char *errstr,
                             size_t errstr_size) {
  const char *dept = feed->department->code, *feedc = feed->code, *topic = feed->topic;
  if (note(c, feed, period, arrived_at)) {
    rh_errf(errstr, errstr_size, "out of memory");
    return -1;
  }
  /* the check lists of the period not arrived yet when this one arrived,
   * "department/feed", config order */
  char missing_buf[64][SMALL * 2];
  const char *missing[64];
  size_t nmissing = 0;
  for (size_t i = 0; i < c->cfg->department_count; i++)
    for (size_t j = 0; j < c->cfg->departments[i].feed_count; j++) {
      const rh_config_feed_t *cf = &c->cfg->departments[i].feeds[j];
      if (cf->kind == RH_FEED_CHECK && !has_arrived(c, cf, period, arrived_at) && nmissing < 64) {
        snprintf(missing_buf[nmissing], sizeof missing_buf[nmissing], "%s/%s",
                 c->cfg->departments[i].code, cf->code);
        missing[nmissing] = missing_buf[nmissing];
        nmissing++;
      }
    }

  int rows = PQntuples(res);
  uint64_t matched = 0, emitted = 0;
  for (int row = 0; row < rows; row++) {
    const char *member = PQgetvalue(res, row, 3);
    char check_id[RH_SHA256_HEXSZ];
    const char *parts[5] = {"riskhub-check-v1", period, member, dept, feedc};
    rh_sha256_parts(parts, 5, check_id);
    const result_t r = {check_id, period, dept, feedc, topic, batch_id, NULL, missing, nmissing};
    if (send_result(c, t, &r, res, row, sink, now_ms, &matched, &emitted, errstr, errstr_size))
      return -1;
  }
  t->counts.checks += emitted;
  rh_log_info("check list %s/%s %s: %d applicant members, %" PRIu64 " results (%" PRIu64
              " matched), %zu check lists still missing",
              dept, feedc, period, rows, emitted, matched, nmissing);
  return 0;
}

/* ---- the chain (rh_chain; docs/security.md, "The chain and the records") ---- */

/* Every believed manifest, read again from the start (the refresh). */
static int refresh(join_checks_t *c, char *errstr, size_t errstr_size) {
  rh_chain_clear(c->chain);
  join_withdraw_clear(c->wd);
  c->known_len = c->range_len = 0;
  if (c->refresh(c->refresh_arg, c, errstr, errstr_size)) return -1;
  rh_chain_sort(c->chain);
  /* the check lists' places in their chains (sorted by feed, then as appended) */
  for (size_t i = 0; i < rh_chain_len(c->chain); i++) {
    const rh_chain_link_t *l = rh_chain_at(c->chain, i);
    /* a signal list's tag is join_withdraw's */
    const rh_config_feed_t *lf = l->feed;
    if (!lf || lf->kind != RH_FEED_CHECK || l->tag >= c->known_len) continue;
    rh_chain_verdict_t v = rh_chain_verdict(c->chain, i, NULL);
    c->known[l->tag].order = i;
    c->known[l->tag].in_chain = rh_chain_in_chain(v) || v == RH_CHAIN_MISSING;
  }
  c->refreshed = true;
  return 0;
}

/* Is the manifest at hand (c->bmv, believed) in its feed's chain? 0 yes (or
 * no refresh to judge by: riskhub-replay's), 1 no (a copy of an earlier list,
 * a chain started again, or a previous list unknown: *why says which), -1
 * with errstr. A
 * previous list that is not on the broker at all (retention's 400 days) is
 * let through with a warning: a department that publishes once a year would
 * otherwise never publish again. */
static int in_chain(join_checks_t *c, const join_input_t *in, const char *dept,
                    const char *feed, const char *batch_id, const char **why, char *errstr,
                    size_t errstr_size) {
  if (!c->refresh) return 0;
  size_t at = rh_chain_find(c->chain, in->topic, in->partition, in->offset);
  /* committed after this transaction's refresh: read again */
  if (at == SIZE_MAX) {
    if (refresh(c, errstr, errstr_size)) return -1;
    at = rh_chain_find(c->chain, in->topic, in->partition, in->offset);
  }
  char sd[64], sf[64];
  if (at == SIZE_MAX) {
    rh_log_warn("manifest %.12s of %s/%s at %s [%d] offset %" PRId64
                ": not among the manifests read back; its place in the chain is not checked",
                batch_id, rh_manifest_safe_code(dept, sd, sizeof sd),
                rh_manifest_safe_code(feed, sf, sizeof sf), in->topic, (int)in->partition,
                in->offset);
    return 0;
  }
  rh_chain_verdict_t v = rh_chain_verdict(c->chain, at, NULL);
  *why = rh_chain_explain(v);
  if (v == RH_CHAIN_MISSING)
    rh_log_warn("manifest %.12s of %s/%s: %s; accepted", batch_id,
                rh_manifest_safe_code(dept, sd, sizeof sd),
                rh_manifest_safe_code(feed, sf, sizeof sf), rh_chain_explain(v));
  return !(rh_chain_in_chain(v) || v == RH_CHAIN_MISSING);
}

/* A signal list accepted: the corrections of an earlier list of its period
 * (join_withdraw.h). */
static int signal_manifest(join_checks_t *c, join_transform_t *t, const join_input_t *in,
                           const rh_config_feed_t *feed, const char *p, const char *b,
                           const join_sink_t *sink, int64_t now_ms, char *errstr,
                           size_t errstr_size) {
  char period[SMALL], batch_id[RH_SHA256_HEXSZ + 64], source[256];
  const char *src = get_str(&c->bmv, "source_name");
  snprintf(source, sizeof source, "%s", src ? src : "");
  snprintf(period, sizeof period, "%s", p);
  snprintf(batch_id, sizeof batch_id, "%s", b);
  join_range_t rg[JOIN_RANGES_MAX];
  long nr = manifest_ranges(&c->bmv, rg, JOIN_RANGES_MAX);
  if (nr < 0 || !c->refresh) return 0;
  return join_withdraw_manifest(c->wd, c, t, c->chain, feed, in, period, source, batch_id, rg,
                                (size_t)nr, sink, now_ms, errstr, errstr_size);
}

/* ---- a list's results, and again those of the lists before it ---- */

/* The results of the list checks[k] of state sel at t (ids[row]; sup[row] or
 * NULL: what each supersedes). Read back unless every id was published. */
static int issue_feed(join_checks_t *c, join_transform_t *t, const known_t *k, PGresult *res,
                      char (*ids)[RH_SHA256_HEXSZ], char (*sup)[RH_SHA256_HEXSZ],
                      const char *const *missing, size_t nmissing, const join_sink_t *sink,
                      int64_t now_ms, bool own, char *errstr, size_t errstr_size) {
  const char *dept = k->feed->department->code, *feedc = k->feed->code;
  int rows = PQntuples(res);
  bool all_there = true;
  for (int row = 0; row < rows && all_there; row++)
    all_there = join_idset_contains(c->ids, join_idset_key(ids[row], strlen(ids[row])));
  if (all_there) {
    t->counts.duplicates += (uint64_t)rows;
    return 0;
  }
  clear_matches(c);
  int64_t t0 = rh_mono_ms();
  if (read_batch(c, k->feed->topic, &c->ranges[k->range_first], k->nranges, k->batch_id, keep_cb,
                 c, errstr, errstr_size))
    return -1;
  rh_log_debug("check list %s/%s %s: batch read back in %" PRId64 " ms", dept, feedc, k->period,
               rh_mono_ms() - t0);
  uint64_t matched = 0, emitted = 0;
  for (int row = 0; row < rows; row++) {
    /* a result never supersedes itself: a republished list handled before the
     * last list's own arrival restates the state of that arrival, whose result
     * is a first issue (v1) also as of the time before */
    const char *s = sup && strcmp(sup[row], ids[row]) != 0 ? sup[row] : NULL;
    const result_t r = {ids[row], k->period, dept, feedc, k->feed->topic, k->batch_id, s,
                        missing, nmissing};
    if (send_result(c, t, &r, res, row, sink, now_ms, &matched, &emitted, errstr, errstr_size))
      return -1;
  }
  t->counts.checks += emitted;
  rh_log_info("check list %s/%s %s (%.12s)%s: %d applicant members, %" PRIu64 " results (%" PRIu64
              " matched), %zu check lists still missing",
              dept, feedc, k->period, k->batch_id, own ? "" : ", issued again", rows, emitted,
              matched, nmissing);
  return 0;
}

/* The list known[li] arrived: the results of the state at its finished_at,
 * its own first (join_checkstate.h). */
static int issue(join_checks_t *c, join_transform_t *t, size_t li, PGresult *res,
                 const join_sink_t *sink, int64_t now_ms, char *errstr, size_t errstr_size) {
  const known_t *l = &c->known[li];
  const char *period = l->period;
  int64_t at = l->finished_at, before = 0;
  size_t nf = c->ncheck_feeds, sel[64], psel[64], order[64], norder = 0;
  int rows = PQntuples(res), rc = -1;
  join_checklist_t *view = calloc(c->known_len, sizeof *view);
  char(*ids)[RH_SHA256_HEXSZ] = calloc(rows ? (size_t)rows : 1, sizeof *ids);
  char(*sup)[RH_SHA256_HEXSZ] = calloc(rows ? (size_t)rows : 1, sizeof *sup);
  if (!view || !ids || !sup) {
    rh_errf(errstr, errstr_size, "out of memory");
    goto out;
  }
  for (size_t i = 0; i < c->known_len; i++) {
    const known_t *k = &c->known[i];
    view[i] = (join_checklist_t){.feed = k->feed, .dept = k->feed->department->code,
                                 .feedc = k->feed->code, .period = k->period,
                                 .batch_id = k->batch_id, .finished_at = k->finished_at,
                                 .order = k->order, .in_chain = k->in_chain};
  }
  /* a list handled though not in its chain (riskhub-join let it through): counted */
  view[li].in_chain = true;
  /* a list sent again (--republish) restates the state its original's arrival
   * issues: nothing of its own (issued here before the original's or the last
   * list's own arrival, it gave results that superseded themselves) */
  if (join_checkstate_origin(view, c->known_len, li) != li) {
    rc = 0;
    goto out;
  }
  const void *const *feeds = (const void *const *)c->check_feeds;
  join_checkstate_at(view, c->known_len, feeds, nf, period, at, sel);
  bool has_before = join_checkstate_before(view, c->known_len, period, at, &before);
  if (has_before) join_checkstate_at(view, c->known_len, feeds, nf, period, before, psel);
  /* the check lists of the period not arrived by then, "department/feed", config order */
  char missing_buf[64][SMALL * 2];
  const char *missing[64];
  size_t nmissing = 0;
  for (size_t k = 0; k < nf; k++) {
    if (sel[k] != JOIN_CHECKSTATE_NONE) {
      if (c->check_feeds[k] == l->feed)
        memmove(order + 1, order, norder++ * sizeof *order), order[0] = k;
      else
        order[norder++] = k;
      continue;
    }
    snprintf(missing_buf[nmissing], sizeof missing_buf[nmissing], "%s/%s",
             c->check_feeds[k]->department->code, c->check_feeds[k]->code);
    missing[nmissing] = missing_buf[nmissing];
    nmissing++;
  }
  for (size_t o = 0; o < norder; o++) {
    size_t k = order[o];
    bool prev = has_before && psel[k] != JOIN_CHECKSTATE_NONE;
    for (int row = 0; row < rows; row++) {
      const char *member = PQgetvalue(res, row, 3);
      if (join_checkstate_id(view, c->known_len, sel, nf, at, k, member, ids[row]) ||
          (prev && join_checkstate_id(view, c->known_len, psel, nf, before, k, member, sup[row]))) {
        rh_errf(errstr, errstr_size, "out of memory");
        goto out;
      }
    }
    if (issue_feed(c, t, &c->known[sel[k]], res, ids, prev ? sup : NULL, missing, nmissing, sink,
                   now_ms, sel[k] == li, errstr, errstr_size))
      goto out;
  }
  rc = 0;
out:
  free(view);
  free(ids);
  free(sup);
  return rc;
}

int join_checks_manifest(join_checks_t *c, join_transform_t *t, const join_input_t *in,
                         PGconn *pg, const join_sink_t *sink, int64_t now_ms, char *errstr,
                         size_t errstr_size) {
  char why[256], period[SMALL];
  rh_avro_status_t st = rh_avro_decode(c->dec, in->value, in->value_len, c->bm_schema, &c->bmv,
                                       NULL, why, sizeof why);
  if (st != RH_AVRO_OK) {
    char reason[300];
    snprintf(reason, sizeof reason, "not a BatchManifest: %s", why);
    return join_transform_dlq(t, in, reason, sink, errstr, errstr_size);
  }
  t->counts.manifests++;
  const char *d = get_str(&c->bmv, "department"), *f = get_str(&c->bmv, "feed"),
             *p = get_str(&c->bmv, "period"), *b = get_str(&c->bmv, "batch_id");
  if (!d || !f || !p || !b) return join_transform_dlq(t, in, "manifest lacks a field", sink,
                                                      errstr, errstr_size);
  const rh_config_feed_t *feed = rh_config_feed_find(c->cfg, d, f);
  if (!feed) {
    rh_log_warn("manifest of %s/%s: not a feed of the configuration; ignored", d, f);
    return 0;
  }
  /* a list is believed only signed by its department (signed lists, issue 12):
   * a forged empty check list gave an applicant a clean comparison */
  char refused[400];
  int v = rh_manifest_check(c->keys, &c->bmv, in->topic, why, sizeof why);
  if (v < 0) {
    rh_errf(errstr, errstr_size, "out of memory");
    return -1;
  }
  if (v) {
    snprintf(refused, sizeof refused, "manifest refused: %s", why);
    return join_transform_dlq(t, in, refused, sink, errstr, errstr_size);
  }
  /* every list that arrived before this one, whichever partition it is on
   * and whether this join has met it yet: read once a transaction (a backlog
   * of lists is one read, not one a list; each list notes its own arrival; a
   * list published on another partition during this transaction's second or
   * so is counted by the next one) */
  if (c->refresh && !c->refreshed && refresh(c, errstr, errstr_size)) return -1;
  const char *chain_why = "";
  v = in_chain(c, in, d, f, b, &chain_why, errstr, errstr_size);
  if (v < 0) return -1;
  if (v) {
    snprintf(refused, sizeof refused, "manifest out of its feed's chain: %s", chain_why);
    return join_transform_dlq(t, in, refused, sink, errstr, errstr_size);
  }
  if (feed->kind == RH_FEED_SIGNAL) return signal_manifest(c, t, in, feed, p, b, sink, now_ms,
                                                          errstr, errstr_size);
  if (feed->kind != RH_FEED_CHECK) return 0;
  if (!c->reader) {
    rh_errf(errstr, errstr_size, "join_checks: no batch reader");
    return -1;
  }
  snprintf(period, sizeof period, "%s", p);
  int64_t finished_at = get_long(&c->bmv, "finished_at");
  /* the list among those read back (not there: judged in its chain above, or
   * no refresh: it is the latest of its feed) */
  size_t at = c->refresh ? rh_chain_find(c->chain, in->topic, in->partition, in->offset) : SIZE_MAX;
  size_t li = at == SIZE_MAX ? SIZE_MAX : rh_chain_at(c->chain, at)->tag;
  if (strlen(period) != 7) {
    rh_log_warn("check list %.12s: period not YYYY-MM; no results", b);
    return 0;
  }
  if (li >= c->known_len) {
    if (keep_list(c, feed, period, b, finished_at, &c->bmv)) {
      rh_errf(errstr, errstr_size, "out of memory");
      return -1;
    }
    li = c->known_len - 1;
  }
  PGresult *res = join_checks_applicants(pg, period, errstr, errstr_size);
  if (!res) return -1;
  int rc = issue(c, t, li, res, sink, now_ms, errstr, errstr_size);
  PQclear(res);
  return rc;
}
