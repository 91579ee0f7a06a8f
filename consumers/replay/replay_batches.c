/* replay_batches: see replay_batches.h. */
#include "replay_batches.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_array.h"
#include "rh_avro_codec.h"
#include "rh_avro_value.h"
#include "rh_err.h"
#include "rh_log.h"
#include "rh_manifest.h"

enum { BM_BATCH, BM_DEPT, BM_FEED, BM_KIND, BM_PERIOD, BM_TOPIC, BM_SOURCE, BM_TOTAL, BM_ACC,
       BM_REJ, BM_PARTS, BM_START, BM_END, BM_RECORDS, BM_N };
static const char *const BM_NAMES[BM_N] = {
    "batch_id", "department", "feed", "kind", "period", "topic", "source_name",
    "rows_total", "rows_accepted", "rows_rejected", "partitions", "started_at", "finished_at",
    "records_sha256"};

struct replay_batches {
  const rh_config_t *cfg;
  const rh_avro_schema_t *schema;
  rh_avro_decoder_t *dec;
  avro_value_t v;
  int idx[BM_N];
  char period[8];
  char *dept, *feed;
  replay_batch_t *items;
  size_t n, cap;
  uint64_t unreadable;
  int64_t earliest;
  rh_manifest_keys_t *keys; /* the departments' public keys (signed lists) */
  replay_forged_t forged[REPLAY_FORGED_KEPT];
  size_t nforged;
  uint64_t forged_all;
};

uint64_t replay_batches_forged(const replay_batches_t *b, const replay_forged_t **list,
                               size_t *n) {
  *list = b->forged;
  *n = b->nforged;
  return b->forged_all;
}


static char *xstrdup(const char *s) {
  if (!s) s = "";
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

replay_batches_t *replay_batches_new(const rh_config_t *cfg, const rh_avro_schemas_t *schemas,
                                     const char *period, const char *dept, const char *feed,
                                     char *errstr, size_t errstr_size) {
  replay_batches_t *b = calloc(1, sizeof *b);
  if (!b) {
    rh_errf(errstr, errstr_size, "out of memory");
    return NULL;
  }
  b->cfg = cfg;
  b->earliest = -1;
  snprintf(b->period, sizeof b->period, "%s", period);
  if ((dept && !(b->dept = xstrdup(dept))) || (feed && !(b->feed = xstrdup(feed)))) {
    rh_errf(errstr, errstr_size, "out of memory");
    replay_batches_destroy(b);
    return NULL;
  }
  b->schema = rh_avro_schemas_get(schemas, "riskhub.BatchManifest");
  if (!b->schema) {
    rh_errf(errstr, errstr_size, "the schemas lack riskhub.BatchManifest");
    replay_batches_destroy(b);
    return NULL;
  }
  if (rh_avro_field_indexes(b->schema->schema, BM_NAMES, b->idx, BM_N, errstr, errstr_size) ||
      rh_avro_schema_value_new(b->schema, &b->v, errstr, errstr_size)) {
    replay_batches_destroy(b);
    return NULL;
  }
  if (!(b->dec = rh_avro_decoder_new(schemas))) {
    rh_errf(errstr, errstr_size, "out of memory");
    replay_batches_destroy(b);
    return NULL;
  }
  if (!(b->keys = rh_manifest_keys_load(cfg, errstr, errstr_size))) {
    replay_batches_destroy(b);
    return NULL;
  }
  return b;
}

static void free_batch(replay_batch_t *x) {
  free(x->department);
  free(x->feed);
  free(x->kind);
  free(x->period);
  free(x->topic);
  free(x->source_name);
  free(x->ranges);
}

void replay_batches_destroy(replay_batches_t *b) {
  if (!b) return;
  for (size_t i = 0; i < b->n; i++) free_batch(&b->items[i]);
  free(b->items);
  free(b->dept);
  free(b->feed);
  if (b->v.iface) avro_value_decref(&b->v);
  rh_avro_decoder_destroy(b->dec);
  rh_manifest_keys_free(b->keys);
  free(b);
}

static int get_str(replay_batches_t *b, int f, const char **s) {
  size_t n;
  return rh_avro_get_str(&b->v, b->idx[f], s, &n) || !*s ? -1 : 0;
}

int replay_batches_add(replay_batches_t *b, const rh_msg_t *m, char *errstr,
                       size_t errstr_size) {
  char why[256];
  if (rh_avro_decode(b->dec, m->value, m->value_len, b->schema, &b->v, NULL, why, sizeof why) !=
      RH_AVRO_OK) {
    b->unreadable++;
    rh_log_warn("%s [%d] offset %lld: not a BatchManifest (%s); ignored", m->topic,
                (int)m->partition, (long long)m->offset, why);
    return 0;
  }
  const char *bid, *dept, *feed, *kind, *period, *topic, *source;
  int64_t total, acc, rej, start, end;
  avro_value_t parts;
  size_t np = 0;
  if (get_str(b, BM_BATCH, &bid) || get_str(b, BM_DEPT, &dept) || get_str(b, BM_FEED, &feed) ||
      get_str(b, BM_KIND, &kind) || get_str(b, BM_PERIOD, &period) ||
      get_str(b, BM_TOPIC, &topic) || get_str(b, BM_SOURCE, &source) ||
      rh_avro_get_long(&b->v, b->idx[BM_TOTAL], NULL, &total) ||
      rh_avro_get_long(&b->v, b->idx[BM_ACC], NULL, &acc) ||
      rh_avro_get_long(&b->v, b->idx[BM_REJ], NULL, &rej) ||
      rh_avro_get_long(&b->v, b->idx[BM_START], NULL, &start) ||
      rh_avro_get_long(&b->v, b->idx[BM_END], NULL, &end) ||
      rh_avro_field(&b->v, b->idx[BM_PARTS], &parts) || avro_value_get_size(&parts, &np)) {
    b->unreadable++;
    rh_log_warn("%s [%d] offset %lld: a BatchManifest without its fields; ignored", m->topic,
                (int)m->partition, (long long)m->offset);
    return 0;
  }
  if (strcmp(period, b->period) != 0) return 0;
  if (b->earliest < 0 || start < b->earliest) b->earliest = start;
  if ((b->dept && strcmp(dept, b->dept) != 0) || (b->feed && strcmp(feed, b->feed) != 0)) return 0;
  /* a list is the month's only signed by its department (issue 12: a forged
   * manifest was replayed as "equal"); one of no feed of the configuration
   * stays a batch of no feed, as before */
  if (rh_config_feed_find(b->cfg, dept, feed)) {
    int verdict = rh_manifest_check(b->keys, &b->v, m->topic, why, sizeof why);
    if (verdict < 0) goto oom;
    if (verdict) {
      b->forged_all++;
      rh_log_warn("%s [%d] offset %lld: a manifest of %s/%s refused: %s", m->topic,
                  (int)m->partition, (long long)m->offset, dept, feed, why);
      if (b->nforged < REPLAY_FORGED_KEPT) {
        replay_forged_t *fg = &b->forged[b->nforged++];
        rh_manifest_safe_code(dept, fg->department, sizeof fg->department);
        rh_manifest_safe_code(feed, fg->feed, sizeof fg->feed);
        snprintf(fg->topic, sizeof fg->topic, "%s", m->topic);
        fg->partition = m->partition;
        fg->offset = m->offset;
        snprintf(fg->reason, sizeof fg->reason, "%s", why);
      }
      return 0;
    }
  }
  if (strlen(bid) != RH_SHA256_HEXSZ - 1) {
    b->unreadable++;
    rh_log_warn("%s [%d] offset %lld: a BatchManifest whose batch id is not a SHA-256; ignored",
                m->topic, (int)m->partition, (long long)m->offset);
    return 0;
  }
  if (RH_ARRAY_RESERVE(b->items, b->n + 1, b->cap, 64)) goto oom;
  replay_batch_t *x = &b->items[b->n];
  memset(x, 0, sizeof *x);
  memcpy(x->batch_id, bid, RH_SHA256_HEXSZ);
  x->department = xstrdup(dept);
  x->feed = xstrdup(feed);
  x->kind = xstrdup(kind);
  x->period = xstrdup(period);
  x->topic = xstrdup(topic);
  x->source_name = xstrdup(source);
  x->ranges = calloc(np ? np : 1, sizeof *x->ranges);
  if (!x->department || !x->feed || !x->kind || !x->period || !x->topic || !x->source_name ||
      !x->ranges) {
    free_batch(x);
    goto oom;
  }
  const char *rsha = NULL;
  if (get_str(b, BM_RECORDS, &rsha) == 0 && strlen(rsha) == RH_SHA256_HEXSZ - 1)
    memcpy(x->records_sha256, rsha, RH_SHA256_HEXSZ);
  x->rows_total = total;
  x->rows_accepted = acc;
  x->rows_rejected = rej;
  x->started_at = start;
  x->finished_at = end;
  x->cfg_feed = rh_config_feed_find(b->cfg, dept, feed);
  x->m_partition = m->partition;
  x->m_offset = m->offset;
  x->m_timestamp = m->timestamp;
  for (size_t i = 0; i < np; i++) {
    avro_value_t pr, f;
    int32_t p = 0;
    int64_t first = 0, last = 0, count = 0;
    if (avro_value_get_by_index(&parts, i, &pr, NULL) ||
        avro_value_get_by_name(&pr, "partition", &f, NULL) || avro_value_get_int(&f, &p) ||
        avro_value_get_by_name(&pr, "first_offset", &f, NULL) || avro_value_get_long(&f, &first) ||
        avro_value_get_by_name(&pr, "last_offset", &f, NULL) || avro_value_get_long(&f, &last) ||
        avro_value_get_by_name(&pr, "count", &f, NULL) || avro_value_get_long(&f, &count))
      continue;
    if (first < 0 || last < first) continue;
    x->ranges[x->nranges++] = (replay_range_t){p, first, last, count, 0};
  }
  b->n++;
  return 1;
oom:
  rh_errf(errstr, errstr_size, "out of memory for the manifests");
  return -1;
}

static int by_manifest_order(const void *pa, const void *pb) {
  const replay_batch_t *a = pa, *b = pb;
  if (a->m_timestamp != b->m_timestamp) return a->m_timestamp < b->m_timestamp ? -1 : 1;
  if (a->m_partition != b->m_partition) return a->m_partition < b->m_partition ? -1 : 1;
  if (a->m_offset != b->m_offset) return a->m_offset < b->m_offset ? -1 : 1;
  return 0;
}

void replay_batches_sort(replay_batches_t *b) {
  if (b->n > 1) qsort(b->items, b->n, sizeof *b->items, by_manifest_order);
  size_t base = 0;
  for (size_t i = 0; i < b->n; i++) {
    b->items[i].range_base = base;
    base += b->items[i].nranges;
  }
}

size_t replay_batches_count(const replay_batches_t *b) { return b->n; }
replay_batch_t *replay_batches_at(replay_batches_t *b, size_t i) {
  return i < b->n ? &b->items[i] : NULL;
}
uint64_t replay_batches_unreadable(const replay_batches_t *b) { return b->unreadable; }
int64_t replay_batches_earliest(const replay_batches_t *b) { return b->earliest; }

void replay_claim_cache_free(replay_claim_cache_t *c) {
  free(c->cand);
  memset(c, 0, sizeof *c);
}

static int candidates(const replay_batches_t *b, replay_claim_cache_t *c, const char *topic) {
  /* by name: a caller's buffer may hold another topic at the same address */
  if (c->valid && strcmp(topic, c->name) == 0) return 0;
  c->ncand = 0;
  c->valid = 0;
  for (size_t i = 0; i < b->n; i++) {
    if (strcmp(b->items[i].topic, topic) != 0) continue;
    if (RH_ARRAY_RESERVE(c->cand, c->ncand + 1, c->cap, 16)) return -1;
    c->cand[c->ncand++] = i;
  }
  snprintf(c->name, sizeof c->name, "%s", topic);
  c->valid = 1;
  return 0;
}

long replay_batches_claim(replay_batches_t *b, replay_claim_cache_t *cache, const char *topic,
                          int32_t partition, int64_t offset, const char *bid, size_t bid_len,
                          size_t *range) {
  if (bid_len != RH_SHA256_HEXSZ - 1 || candidates(b, cache, topic)) return -1;
  for (size_t k = 0; k < cache->ncand; k++) {
    const replay_batch_t *x = &b->items[cache->cand[k]];
    if (memcmp(x->batch_id, bid, bid_len) != 0) continue;
    for (size_t r = 0; r < x->nranges; r++) {
      const replay_range_t *rg = &x->ranges[r];
      if (rg->partition == partition && offset >= rg->first && offset <= rg->last) {
        if (range) *range = x->range_base + r;
        return (long)cache->cand[k];
      }
    }
  }
  return -1;
}

size_t replay_batches_ranges(const replay_batches_t *b) {
  return b->n ? b->items[b->n - 1].range_base + b->items[b->n - 1].nranges : 0;
}

void replay_batches_add_seen(replay_batches_t *b, const uint64_t *counts) {
  for (size_t i = 0; i < b->n; i++) {
    replay_batch_t *x = &b->items[i];
    for (size_t r = 0; r < x->nranges; r++) {
      x->ranges[r].seen += (int64_t)counts[x->range_base + r];
      x->records += counts[x->range_base + r];
    }
  }
}

int replay_batches_plan(const replay_batches_t *b, replay_part_t **out, size_t *n) {
  size_t cap = 0, len = 0;
  replay_part_t *p = NULL;
  for (size_t i = 0; i < b->n; i++) {
    const replay_batch_t *x = &b->items[i];
    for (size_t r = 0; r < x->nranges; r++) {
      const replay_range_t *rg = &x->ranges[r];
      size_t k = 0;
      while (k < len && !(p[k].partition == rg->partition && strcmp(p[k].topic, x->topic) == 0))
        k++;
      if (k < len) {
        if (rg->first < p[k].first) p[k].first = rg->first;
        if (rg->last > p[k].last) p[k].last = rg->last;
        continue;
      }
      if (RH_ARRAY_RESERVE(p, len + 1, cap, 64)) {
        free(p);
        return -1;
      }
      p[len++] = (replay_part_t){x->topic, rg->partition, rg->first, rg->last};
    }
  }
  *out = p;
  *n = len;
  return 0;
}

void replay_batches_free_plan(replay_part_t *p) { free(p); }
