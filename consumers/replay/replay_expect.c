/* replay_expect: see replay_expect.h. */
#include "replay_expect.h"

#include <stdlib.h>
#include <string.h>

#include "join_checks.h"
#include "join_idset.h"
#include "rh_array.h"
#include "rh_err.h"
#include "rh_log.h"

typedef struct {
  size_t batch;
  int32_t partition;
  int64_t offset;
  size_t pos, len; /* bytes in the shard's held bytes */
} held_t;

enum { C_RECORDS, C_ALERTS, C_CHECKS, C_N };

typedef struct {
  struct replay_expect *e;
  join_idset_t *ids;
  join_transform_t tf;
  bool tf_ready;
  replay_store_t *store;
  join_sink_t sink;
  uint64_t *cnt; /* [feed * C_N + C_...] */
  uint64_t dlq;
  /* the record (or list) being handled */
  size_t cur_feed, cur_batch;
  int32_t cur_partition;
  int64_t cur_offset;
  /* check lists' records, kept until every record was read */
  held_t *held;
  size_t nheld, held_cap;
  unsigned char *bytes;
  size_t bytes_len, bytes_cap;
} shard_t;

struct replay_expect {
  const rh_config_t *cfg;
  const rh_avro_schemas_t *schemas;
  replay_report_t *rep;
  replay_batches_t *batches;
  shard_t *shards;
  size_t nshards;
  join_checks_t *checks; /* with shard 0's idset */
  size_t *feed_of;       /* batch -> report feed */
  size_t nbatches, nfeeds;
  char dlq_topic[JOIN_TOPIC_MAX], checks_prefix[JOIN_TOPIC_MAX];
  size_t checks_prefix_len;
  /* decoding the check lists' records */
  rh_avro_decoder_t *dec;
  const rh_avro_schema_t *fr_schema;
  rh_feedrecord_codec_t frc;
  avro_value_t frv;
};

static int capture(void *arg, const char *topic, const void *key, size_t key_len,
                   const void *value, size_t value_len, rd_kafka_headers_t *headers, char *errstr,
                   size_t errstr_size) {
  shard_t *s = arg;
  replay_expect_t *e = s->e;
  (void)key;
  (void)key_len;
  if (headers) rd_kafka_headers_destroy(headers);
  if (strcmp(topic, e->dlq_topic) == 0) {
    s->dlq++;
    return 0;
  }
  bool check = strncmp(topic, e->checks_prefix, e->checks_prefix_len) == 0;
  int r = replay_store_add(s->store, check ? REPLAY_OUT_CHECK : REPLAY_OUT_ALERT, value,
                           value_len, (uint32_t)s->cur_feed, (uint32_t)s->cur_batch,
                           check ? -1 : s->cur_partition, check ? -1 : s->cur_offset);
  if (r < 0) {
    rh_errf(errstr, errstr_size, "out of memory for the expected outputs");
    return -1;
  }
  if (r == 1 && s->cur_feed < e->nfeeds)
    s->cnt[s->cur_feed * C_N + (check ? C_CHECKS : C_ALERTS)]++;
  return 0;
}

replay_expect_t *replay_expect_new(const rh_config_t *cfg, const rh_avro_schemas_t *schemas,
                                   replay_report_t *rep, replay_batches_t *batches,
                                   size_t nshards, char *errstr, size_t errstr_size) {
  replay_expect_t *e = calloc(1, sizeof *e);
  if (!e || !(e->shards = calloc(nshards ? nshards : 1, sizeof *e->shards))) {
    free(e);
    rh_errf(errstr, errstr_size, "out of memory");
    return NULL;
  }
  e->nshards = nshards ? nshards : 1;
  e->cfg = cfg;
  e->schemas = schemas;
  e->rep = rep;
  e->batches = batches;
  snprintf(e->dlq_topic, sizeof e->dlq_topic, "%sriskhub.dlq", cfg->topic_prefix);
  snprintf(e->checks_prefix, sizeof e->checks_prefix, "%schecks.", cfg->topic_prefix);
  e->checks_prefix_len = strlen(e->checks_prefix);
  for (size_t i = 0; i < e->nshards; i++) {
    shard_t *s = &e->shards[i];
    s->e = e;
    s->sink = (join_sink_t){capture, s};
    if (!(s->ids = join_idset_new(1 << 16)) || !(s->store = replay_store_new(1 << 16))) {
      rh_errf(errstr, errstr_size, "out of memory");
      goto fail;
    }
    if (join_transform_init(&s->tf, cfg, schemas, s->ids, errstr, errstr_size)) goto fail;
    s->tf_ready = true;
  }
  if (!(e->checks = join_checks_new(cfg, schemas, e->shards[0].ids, NULL, errstr, errstr_size)))
    goto fail;
  e->fr_schema = rh_avro_schemas_get(schemas, "riskhub.FeedRecord");
  if (rh_feedrecord_codec_init(&e->frc, e->fr_schema, errstr, errstr_size) ||
      rh_avro_schema_value_new(e->fr_schema, &e->frv, errstr, errstr_size))
    goto fail;
  if (!(e->dec = rh_avro_decoder_new(schemas))) {
    rh_errf(errstr, errstr_size, "out of memory");
    goto fail;
  }
  return e;
fail:
  replay_expect_destroy(e);
  return NULL;
}

void replay_expect_destroy(replay_expect_t *e) {
  if (!e) return;
  join_checks_destroy(e->checks);
  for (size_t i = 0; i < e->nshards; i++) {
    shard_t *s = &e->shards[i];
    if (s->tf_ready) join_transform_free(&s->tf);
    join_idset_destroy(s->ids);
    replay_store_destroy(s->store);
    free(s->cnt);
    free(s->held);
    free(s->bytes);
  }
  free(e->shards);
  rh_feedrecord_codec_free(&e->frc);
  if (e->frv.iface) avro_value_decref(&e->frv);
  rh_avro_decoder_destroy(e->dec);
  free(e->feed_of);
  free(e);
}

int replay_expect_prepare(replay_expect_t *e, char *errstr, size_t errstr_size) {
  size_t n = replay_batches_count(e->batches);
  uint64_t records = 0;
  free(e->feed_of);
  e->feed_of = calloc(n ? n : 1, sizeof *e->feed_of);
  if (!e->feed_of) goto oom;
  e->nbatches = n;
  for (size_t i = 0; i < n; i++) {
    const replay_batch_t *b = replay_batches_at(e->batches, i);
    size_t k = replay_report_feed(e->rep, b->department, b->feed);
    if (k == (size_t)-1) goto oom;
    replay_feed_t *f = &e->rep->feeds[k];
    if (b->cfg_feed) f->kind = rh_feed_kind_name(b->cfg_feed->kind);
    f->batches++;
    f->rejects += (uint64_t)(b->rows_rejected > 0 ? b->rows_rejected : 0);
    f->records_expected += (uint64_t)(b->rows_accepted > 0 ? b->rows_accepted : 0);
    records += (uint64_t)(b->rows_accepted > 0 ? b->rows_accepted : 0);
    e->feed_of[i] = k;
  }
  e->nfeeds = e->rep->nfeeds;
  /* room for every record's output in its shard without growing */
  size_t each = (size_t)(records / e->nshards) + 1024;
  for (size_t i = 0; i < e->nshards; i++) {
    shard_t *s = &e->shards[i];
    free(s->cnt);
    if (!(s->cnt = calloc(e->nfeeds ? e->nfeeds * C_N : 1, sizeof *s->cnt))) goto oom;
    join_idset_destroy(s->ids);
    replay_store_destroy(s->store);
    s->store = NULL;
    if (!(s->ids = join_idset_new(each)) || !(s->store = replay_store_new(each))) goto oom;
    s->tf.ids = s->ids;
  }
  join_checks_destroy(e->checks);
  if (!(e->checks = join_checks_new(e->cfg, e->schemas, e->shards[0].ids, NULL, errstr,
                                    errstr_size)))
    return -1;
  return 0;
oom:
  rh_errf(errstr, errstr_size, "out of memory");
  return -1;
}

void replay_expect_set_registry(replay_expect_t *e, const rh_regmap_t *map) {
  for (size_t i = 0; i < e->nshards; i++) e->shards[i].tf.map = map;
}

size_t replay_expect_feed_of(const replay_expect_t *e, size_t batch) {
  return batch < e->nbatches ? e->feed_of[batch] : (size_t)-1;
}

static int hold(shard_t *s, const rh_msg_t *m, size_t batch) {
  if (RH_ARRAY_RESERVE(s->held, s->nheld + 1, s->held_cap, 1024)) return -1;
  if (RH_ARRAY_RESERVE(s->bytes, s->bytes_len + m->value_len, s->bytes_cap, (1 << 20))) return -1;
  memcpy(s->bytes + s->bytes_len, m->value, m->value_len);
  s->held[s->nheld++] = (held_t){batch, m->partition, m->offset, s->bytes_len, m->value_len};
  s->bytes_len += m->value_len;
  return 0;
}

int replay_expect_record(replay_expect_t *e, size_t shard, const rh_msg_t *m, size_t batch,
                         char *errstr, size_t errstr_size) {
  shard_t *s = &e->shards[shard];
  const replay_batch_t *b = replay_batches_at(e->batches, batch);
  s->cur_batch = batch;
  s->cur_feed = replay_expect_feed_of(e, batch);
  s->cur_partition = m->partition;
  s->cur_offset = m->offset;
  if (s->cur_feed < e->nfeeds) s->cnt[s->cur_feed * C_N + C_RECORDS]++;
  join_input_t in = {.topic = m->topic, .partition = m->partition, .offset = m->offset,
                     .key = m->key, .key_len = m->key_len, .value = m->value,
                     .value_len = m->value_len};
  if (join_transform_message(&s->tf, &in, &s->sink, 0, errstr, errstr_size)) return -1;
  join_idset_commit(s->ids);
  if (b && b->cfg_feed && b->cfg_feed->kind == RH_FEED_CHECK && hold(s, m, batch)) {
    rh_errf(errstr, errstr_size, "out of memory for the check lists' records");
    return -1;
  }
  return 0;
}

bool replay_expect_has_checks(const replay_expect_t *e) {
  for (size_t i = 0; i < e->nbatches; i++) {
    const replay_batch_t *b = replay_batches_at(e->batches, i);
    if (b->cfg_feed && b->cfg_feed->kind == RH_FEED_CHECK) return true;
  }
  return false;
}

int replay_expect_checks(replay_expect_t *e, PGconn *pg, const char *period, char *errstr,
                         size_t errstr_size) {
  if (!replay_expect_has_checks(e)) return 0;
  PGresult *res = join_checks_applicants(pg, period, errstr, errstr_size);
  if (!res) return -1;
  shard_t *s0 = &e->shards[0];
  int rc = -1;
  for (size_t i = 0; i < e->nbatches; i++) {
    const replay_batch_t *b = replay_batches_at(e->batches, i);
    if (!b->cfg_feed || b->cfg_feed->kind != RH_FEED_CHECK) continue;
    join_checks_list_begin(e->checks);
    /* an ID number's records are in one partition, so in one shard, in order */
    for (size_t k = 0; k < e->nshards; k++) {
      shard_t *s = &e->shards[k];
      for (size_t j = 0; j < s->nheld; j++) {
        const held_t *h = &s->held[j];
        if (h->batch != i) continue;
        rh_feedrecord_t r;
        char why[256];
        if (rh_avro_decode(e->dec, s->bytes + h->pos, h->len, e->fr_schema, &e->frv, NULL, why,
                           sizeof why) != RH_AVRO_OK ||
            rh_feedrecord_from_value(&e->frc, &e->frv, &r, why, sizeof why))
          continue; /* went to the dead-letter topic (counted there) */
        if (join_checks_list_record(e->checks, &r, h->partition, h->offset)) {
          rh_errf(errstr, errstr_size, "out of memory for a check list");
          goto out;
        }
      }
    }
    s0->cur_batch = i;
    s0->cur_feed = replay_expect_feed_of(e, i);
    s0->cur_partition = -1;
    s0->cur_offset = -1;
    if (join_checks_list_results(e->checks, &s0->tf, b->cfg_feed, period, b->batch_id,
                                 b->finished_at, res, &s0->sink, 0, errstr, errstr_size))
      goto out;
    join_idset_commit(s0->ids);
    join_checks_commit(e->checks);
  }
  rc = 0;
out:
  PQclear(res);
  return rc;
}

void replay_expect_merge(replay_expect_t *e) {
  for (size_t k = 0; k < e->nshards; k++) {
    shard_t *s = &e->shards[k];
    for (size_t f = 0; f < e->nfeeds && f < e->rep->nfeeds; f++) {
      replay_feed_t *rf = &e->rep->feeds[f];
      rf->records += s->cnt[f * C_N + C_RECORDS];
      rf->alerts_expected += s->cnt[f * C_N + C_ALERTS];
      rf->checks_expected += s->cnt[f * C_N + C_CHECKS];
    }
    e->rep->dlq += s->dlq;
  }
}

size_t replay_expect_shards(const replay_expect_t *e) { return e->nshards; }
replay_store_t *replay_expect_store(replay_expect_t *e, size_t shard) {
  return shard < e->nshards ? e->shards[shard].store : NULL;
}

void replay_expect_counts(const replay_expect_t *e, join_counts_t *out) {
  memset(out, 0, sizeof *out);
  for (size_t k = 0; k < e->nshards; k++) join_counts_add(out, &e->shards[k].tf.counts);
}
