/* produce_published: see produce_published.h. */
#include "produce_published.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rh_avro_codec.h"
#include "rh_avro_value.h"
#include "rh_err.h"
#include "rh_kafka.h"
#include "rh_kafka_read.h"
#include "rh_log.h"

#define LOG_BAD_MAX 5 /* undecodable manifests logged one by one, then only counted */

enum { BM_BATCH, BM_TOPIC, BM_SOURCE, BM_TOTAL, BM_ACC, BM_REJ, BM_PARTS, BM_END, BM_DEPT,
       BM_FEED, BM_N };
static const char *const BM_NAMES[BM_N] = {"batch_id",      "topic",         "source_name",
                                           "rows_total",    "rows_accepted", "rows_rejected",
                                           "partitions",    "finished_at",   "department",
                                           "feed"};

struct produce_published {
  char batch_id[RH_SHA256_HEXSZ];
  const rh_avro_schema_t *schema;
  rh_avro_decoder_t *dec;
  avro_value_t v;
  int have_v;
  int idx[BM_N];
  produce_published_info_t info;
  const char *department, *feed; /* produce_published_trust */
  const rh_manifest_keys_t *keys;
  const rh_sign_pub_t *own;
  bool trust;
  const char *carrier; /* the manifests topic read (produce_published_find), or NULL */
};

void produce_published_trust(produce_published_t *p, const char *department, const char *feed,
                             const rh_manifest_keys_t *keys, const rh_sign_pub_t *own) {
  p->department = department;
  p->feed = feed;
  p->keys = keys;
  p->own = own;
  p->trust = true;
}

/* Is the decoded manifest believed (see produce_published_trust)? ours: it
 * is of the department/feed asked for (a refusal is then said). */
static bool believed(produce_published_t *p, bool ours, int32_t partition, int64_t offset) {
  char why[512] = "";
  bool ok = true;
  if (p->keys && rh_manifest_keys_count(p->keys, p->department) > 0)
    ok = rh_manifest_check(p->keys, &p->v, p->carrier, why, sizeof why) == 0;
  else if (p->own)
    ok = rh_manifest_signed_by(&p->v, p->own);
  if (!ok && ours && ++p->info.refused <= LOG_BAD_MAX)
    rh_log_warn("%s [%d] offset %" PRId64 ": a manifest of %s/%s that is not believed: %s",
                p->carrier ? p->carrier : "manifests", (int)partition, offset, p->department,
                p->feed,
                why[0] ? why : "not signed with this department's key (签名无效)");
  return ok;
}

/* The chain's last link of the feed: the believed manifest finished last. */
static void note_link(produce_published_t *p, int64_t finished_at) {
  if (p->info.prev_found && finished_at <= p->info.prev_finished_at) return;
  char link[RH_SHA256_HEXSZ];
  if (rh_manifest_link(&p->v, link)) return;
  p->info.prev_found = true;
  p->info.prev_finished_at = finished_at;
  memcpy(p->info.prev_link, link, sizeof link);
}

produce_published_t *produce_published_new(const rh_avro_schemas_t *schemas, const char *batch_id,
                                           char *errstr, size_t errstr_size) {
  produce_published_t *p = calloc(1, sizeof(*p));
  if (!p) {
    rh_errf(errstr, errstr_size, "out of memory");
    return NULL;
  }
  snprintf(p->batch_id, sizeof(p->batch_id), "%s", batch_id);
  p->schema = rh_avro_schemas_get(schemas, "riskhub.BatchManifest");
  if (!p->schema) {
    rh_errf(errstr, errstr_size, "the schemas lack riskhub.BatchManifest");
    goto fail;
  }
  if (rh_avro_field_indexes(p->schema->schema, BM_NAMES, p->idx, BM_N, errstr, errstr_size) ||
      rh_avro_schema_value_new(p->schema, &p->v, errstr, errstr_size))
    goto fail;
  p->have_v = 1;
  if (!(p->dec = rh_avro_decoder_new(schemas))) {
    rh_errf(errstr, errstr_size, "out of memory");
    goto fail;
  }
  return p;
fail:
  produce_published_destroy(p);
  return NULL;
}

void produce_published_destroy(produce_published_t *p) {
  if (!p) return;
  if (p->have_v) avro_value_decref(&p->v);
  rh_avro_decoder_destroy(p->dec);
  free(p);
}

const produce_published_info_t *produce_published_info(const produce_published_t *p) {
  return &p->info;
}

static void unreadable(produce_published_t *p, int32_t partition, int64_t offset,
                       const char *why) {
  if (++p->info.unreadable <= LOG_BAD_MAX)
    rh_log_warn("%s [%d] offset %" PRId64 ": not a BatchManifest (%s); skipped",
                p->carrier ? p->carrier : "manifests", (int)partition, offset, why);
}

/* The manifest's partition ranges into info (it is the first one kept). */
static void keep_ranges(produce_published_info_t *in, avro_value_t *parts) {
  size_t np = 0;
  in->nranges = in->nranges_all = 0;
  if (avro_value_get_size(parts, &np)) return;
  in->nranges_all = np;
  for (size_t i = 0; i < np && in->nranges < PRODUCE_PUBLISHED_RANGES; i++) {
    avro_value_t pr, f;
    produce_published_range_t r = {0, 0, 0, 0};
    if (avro_value_get_by_index(parts, i, &pr, NULL) ||
        avro_value_get_by_name(&pr, "partition", &f, NULL) || avro_value_get_int(&f, &r.partition) ||
        avro_value_get_by_name(&pr, "first_offset", &f, NULL) ||
        avro_value_get_long(&f, &r.first_offset) ||
        avro_value_get_by_name(&pr, "last_offset", &f, NULL) ||
        avro_value_get_long(&f, &r.last_offset) ||
        avro_value_get_by_name(&pr, "count", &f, NULL) || avro_value_get_long(&f, &r.count))
      continue;
    in->ranges[in->nranges++] = r;
  }
}

int produce_published_add(produce_published_t *p, const void *value, size_t len,
                          int32_t partition, int64_t offset) {
  char why[256];
  if (!value || !len) {
    unreadable(p, partition, offset, "empty message");
    return 0;
  }
  rh_avro_status_t st = rh_avro_decode(p->dec, value, len, p->schema, &p->v, NULL, why, sizeof why);
  if (st == RH_AVRO_ENOMEM) return -1;
  if (st != RH_AVRO_OK) {
    unreadable(p, partition, offset, why);
    return 0;
  }
  const char *bid = NULL, *topic = NULL, *source = NULL, *dept = NULL, *feed = NULL;
  size_t n;
  int64_t total = 0, acc = 0, rej = 0, end = 0;
  avro_value_t parts;
  if (rh_avro_get_str(&p->v, p->idx[BM_BATCH], &bid, &n) || !bid ||
      rh_avro_get_str(&p->v, p->idx[BM_TOPIC], &topic, &n) || !topic ||
      rh_avro_get_str(&p->v, p->idx[BM_SOURCE], &source, &n) || !source ||
      rh_avro_get_long(&p->v, p->idx[BM_TOTAL], NULL, &total) ||
      rh_avro_get_long(&p->v, p->idx[BM_ACC], NULL, &acc) ||
      rh_avro_get_long(&p->v, p->idx[BM_REJ], NULL, &rej) ||
      rh_avro_get_long(&p->v, p->idx[BM_END], NULL, &end) ||
      rh_avro_get_str(&p->v, p->idx[BM_DEPT], &dept, &n) || !dept ||
      rh_avro_get_str(&p->v, p->idx[BM_FEED], &feed, &n) || !feed ||
      rh_avro_field(&p->v, p->idx[BM_PARTS], &parts)) {
    unreadable(p, partition, offset, "a field is missing");
    return 0;
  }
  bool mine = strcmp(bid, p->batch_id) == 0;
  if (p->trust) {
    /* only this batch's manifests and the feed's chain matter: the others are
     * not verified (an Ed25519 check a manifest of the whole topic) */
    bool ours = strcmp(dept, p->department) == 0 && strcmp(feed, p->feed) == 0;
    if (!mine && !ours) return 0;
    if (!believed(p, ours, partition, offset)) return 0;
    if (ours) note_link(p, end);
  }
  if (!mine) return 0;
  produce_published_info_t *in = &p->info;
  in->found++;
  if (in->found == 1 || end > in->last_finished_at) in->last_finished_at = end;
  if (in->found > 1 && end >= in->finished_at) return 0; /* keep the earliest */
  in->finished_at = end;
  in->rows_total = total;
  in->rows_accepted = acc;
  in->rows_rejected = rej;
  snprintf(in->topic, sizeof(in->topic), "%s", topic);
  snprintf(in->source_name, sizeof(in->source_name), "%s", source);
  in->m_partition = partition;
  in->m_offset = offset;
  keep_ranges(in, &parts);
  return 0;
}

static int on_message(void *arg, const rd_kafka_message_t *m) {
  return produce_published_add(arg, m->payload, m->len, m->partition, m->offset);
}

int produce_published_find(produce_published_t *p, const rh_config_t *cfg,
                           const rh_config_department_t *dept, char *errstr,
                           size_t errstr_size) {
  const char *topic = p->carrier = dept->manifests_topic;
  rd_kafka_conf_t *conf = rh_kafka_conf_from_config(cfg, errstr, errstr_size);
  if (!conf) return -1;
  /* as riskhub-status: an empty fetch returns at once (the reader stops at the
   * end of each partition) */
  if (!rh_config_kafka_get(cfg, "fetch.wait.max.ms") &&
      (rh_kafka_conf_set(conf, "fetch.wait.max.ms", "10", errstr, errstr_size) ||
       rh_kafka_conf_set(conf, "fetch.error.backoff.ms", "10", errstr, errstr_size))) {
    rd_kafka_conf_destroy(conf);
    return -1;
  }
  const char *topics[1] = {topic};
  size_t n = 0;
  if (rh_kafka_read_topics(conf, topics, 1, NULL, on_message, p, &n, errstr, errstr_size))
    return -1;
  rh_log_debug("%s: %zu manifests read, %zu of batch %.12s", topic, n, p->info.found, p->batch_id);
  return 0;
}

static void local_time(int64_t ms, char *out, size_t out_size) {
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  if (!localtime_r(&t, &tm) || !strftime(out, out_size, "%Y-%m-%d %H:%M:%S %z", &tm))
    snprintf(out, out_size, "%" PRId64 " ms", ms);
}

void produce_published_describe(const produce_published_info_t *in, char *out, size_t out_size) {
  char when[64], last[64];
  size_t len = 0;
  if (!out_size) return;
  out[0] = '\0';
#define APPEND(...)                                                            \
  do {                                                                         \
    if (len < out_size) {                                                      \
      int k_ = snprintf(out + len, out_size - len, __VA_ARGS__);               \
      if (k_ > 0) len += (size_t)k_;                                           \
    }                                                                          \
  } while (0)
  local_time(in->finished_at, when, sizeof(when));
  APPEND("published %s from %s: %" PRId64 " rows, %" PRId64 " accepted, %" PRId64 " rejected",
         when, in->source_name, in->rows_total, in->rows_accepted, in->rows_rejected);
  if (in->nranges) {
    APPEND("; records in %s", in->topic);
    for (size_t i = 0; i < in->nranges; i++)
      APPEND("%s partition %d offsets %" PRId64 "-%" PRId64, i ? "," : "",
             (int)in->ranges[i].partition, in->ranges[i].first_offset, in->ranges[i].last_offset);
    if (in->nranges_all > in->nranges) APPEND(", ...");
  } else if (in->rows_accepted == 0) {
    APPEND("; no records (every row rejected)");
  }
  APPEND("; manifest at partition %d offset %" PRId64, (int)in->m_partition, in->m_offset);
  if (in->found > 1) {
    local_time(in->last_finished_at, last, sizeof(last));
    APPEND("; published %zu times in all, the last %s", in->found, last);
  }
#undef APPEND
}
