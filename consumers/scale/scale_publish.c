/* scale_publish: see scale_publish.h. */
#include "scale_publish.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_array.h"
#include "rh_clock.h"
#include "rh_exit.h"
#include "rh_kafka.h"
#include "rh_log.h"

static const scale_last_t *last_find(const scale_last_t *last, size_t n, const char *id) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(last[i].id, id) == 0) return &last[i];
  return NULL;
}

static scale_item_t *item_add(scale_items_t *items, size_t *cap) {
  if (RH_ARRAY_RESERVE(items->v, items->n + 1, *cap, 8)) return NULL;
  scale_item_t *it = &items->v[items->n++];
  memset(it, 0, sizeof *it);
  return it;
}

static const rh_config_scale_rule_t *rule_find(const rh_config_t *cfg, const char *id) {
  for (size_t i = 0; i < cfg->scale.rule_count; i++)
    if (strcmp(cfg->scale.rules[i].id, id) == 0) return &cfg->scale.rules[i];
  return NULL;
}

int scale_decide(const rh_config_t *cfg, const char *period, const scale_found_list_t *found,
                 const scale_last_t *last, size_t nlast, int64_t now, scale_items_t *items) {
  size_t cap = 0;
  memset(items, 0, sizeof *items);
  for (size_t i = 0; i < found->n; i++) {
    const scale_found_t *f = &found->v[i];
    scale_item_t *it = item_add(items, &cap);
    if (!it) goto oom;
    rh_scale_id(f->rule->id, f->township, f->village, period, it->id);
    rh_scale_content(true, f->household_ids, f->household_count, f->alert_ids, f->alert_count,
                     it->content);
    const scale_last_t *l = last_find(last, nlast, it->id);
    rh_scale_record_t *r = &it->rec;
    r->scale_risk_id = it->id;
    r->rule_id = f->rule->id;
    r->period = period;
    r->place_level = rh_place_level_name(f->rule->place);
    r->township_code = f->township;
    r->village = f->village;
    r->risks = f->rule->risks;
    r->risk_count = f->rule->risk_count;
    r->households = f->households;
    r->place_households = f->place_households;
    r->baseline = f->baseline;
    r->household_ids = f->household_ids;
    r->household_count = f->household_count;
    r->alert_ids = f->alert_ids;
    r->alert_count = f->alert_count;
    r->created_at = now;
    r->content = it->content;
    if (!l || l->status == RH_SCALE_CLEARED) {
      r->status = RH_SCALE_RAISED;
      r->version = l ? l->version + 1 : 1;
      r->since = now;
      it->send = true;
    } else {
      r->status = RH_SCALE_UPDATED;
      r->version = l->version + 1;
      r->since = l->since;
      it->send = strcmp(l->content, it->content) != 0;
      if (!it->send) {
        r->version = l->version; /* as it stands on the topic */
        r->status = l->status;
      }
    }
  }
  /* the month's open keys that no longer cross */
  for (size_t k = 0; k < nlast; k++) {
    const scale_last_t *l = &last[k];
    if (l->status == RH_SCALE_CLEARED || strcmp(l->period, period) != 0) continue;
    bool still = false;
    for (size_t i = 0; i < items->n && !still; i++) still = strcmp(items->v[i].id, l->id) == 0;
    if (still) continue;
    const rh_config_scale_rule_t *rule = rule_find(cfg, l->rule_id);
    scale_item_t *it = item_add(items, &cap);
    if (!it) goto oom;
    snprintf(it->id, sizeof it->id, "%s", l->id);
    rh_scale_content(false, NULL, 0, NULL, 0, it->content);
    const char *src[5] = {l->rule_id, l->township, l->village, l->level, l->period};
    for (int s = 0; s < 5; s++)
      if (!(it->owned[s] = strdup(src[s]))) goto oom;
    rh_scale_record_t *r = &it->rec;
    r->scale_risk_id = it->id;
    r->rule_id = it->owned[0];
    r->township_code = it->owned[1];
    r->village = it->owned[2];
    r->place_level = it->owned[3];
    r->period = it->owned[4];
    r->risks = rule ? rule->risks : NULL;
    r->risk_count = rule ? rule->risk_count : 0;
    r->status = RH_SCALE_CLEARED;
    r->version = l->version + 1;
    r->place_households = l->place_households;
    r->since = l->since;
    r->created_at = now;
    r->content = it->content;
    it->send = true;
  }
  return 0;
oom:
  scale_items_free(items);
  return -1;
}

void scale_items_free(scale_items_t *items) {
  for (size_t i = 0; i < items->n; i++)
    for (int s = 0; s < 5; s++) free(items->v[i].owned[s]);
  free(items->v);
  memset(items, 0, sizeof *items);
}


typedef struct {
  rh_scale_codec_t *codec;
  rh_avro_decoder_t *dec;
  scale_last_t *v;
  size_t n, cap;
  /* the run's month: only its keys can be found again (the month is in every
   * key's hash), so the others are not kept, and the lookups stay a month's */
  const char *period;
} seen_t;

static void last_free(scale_last_t *l) {
  free(l->rule_id);
  free(l->township);
  free(l->village);
  free(l->period);
  free(l->level);
}

/* Every version on the topic: the last of each key is kept (one partition,
 * read in order). */
static int seen_one(void *arg, const rd_kafka_message_t *m) {
  seen_t *s = arg;
  char err[256];
  rh_scale_record_t r;
  if (rh_scale_decode(s->codec, s->dec, m->payload, m->len, &r, err, sizeof err)) {
    rh_log_warn("scale: %s [%" PRId32 "] @%" PRId64 ": %s (ignored)", rd_kafka_topic_name(m->rkt),
                m->partition, m->offset, err);
    return 0;
  }
  if (strcmp(r.period, s->period) != 0) return 0;
  scale_last_t *l = NULL;
  for (size_t i = 0; i < s->n && !l; i++)
    if (strcmp(s->v[i].id, r.scale_risk_id) == 0) l = &s->v[i];
  if (!l) {
    if (RH_ARRAY_RESERVE(s->v, s->n + 1, s->cap, 16)) return -1;
    l = &s->v[s->n++];
    memset(l, 0, sizeof *l);
  }
  last_free(l);
  snprintf(l->id, sizeof l->id, "%s", r.scale_risk_id);
  snprintf(l->content, sizeof l->content, "%s", r.content);
  l->status = r.status;
  l->version = r.version;
  l->since = r.since;
  l->place_households = r.place_households;
  l->rule_id = strdup(r.rule_id);
  l->township = strdup(r.township_code);
  l->village = strdup(r.village);
  l->period = strdup(r.period);
  l->level = strdup(r.place_level);
  if (!l->rule_id || !l->township || !l->village || !l->period || !l->level)
    return -1;
  return 0;
}

int scale_publish(const rh_config_t *cfg, const rh_avro_schemas_t *schemas, const char *period,
                  const scale_found_list_t *found, int timeout_ms, scale_items_t *items,
                  char *errstr, size_t errstr_size) {
  char err[1024], topic[256];
  rh_txn_msg_t *msgs = NULL;
  const char *names[1] = {topic};
  rh_scale_codec_t codec;
  rh_avro_decoder_t *dec = NULL;
  rh_producer_t *p = NULL;
  rh_avro_buf_t buf;
  rh_avro_buf_init(&buf);
  seen_t seen = {0};
  int rc = RH_EXIT_OK;
  bool codec_ready = false;
  memset(items, 0, sizeof *items);
  if (rh_config_topic(cfg, RH_SCALE_TOPIC, topic, sizeof topic))
    return rh_kafka_fail(RH_EXIT_CONFIG, "the topic name is too long", errstr, errstr_size);
  if (!(dec = rh_avro_decoder_new(schemas)))
    return rh_kafka_fail(RH_EXIT_SOFTWARE, "out of memory", errstr, errstr_size);
  if (rh_scale_codec_init(&codec, schemas, errstr, errstr_size)) {
    rc = RH_EXIT_CONFIG;
    goto out;
  }
  codec_ready = true;
  /* one partition: the versions of a key in order, read back in order (after
   * init_transactions: all there is); kept as topics.retention.alerts says
   * (rh_config_topic_class) */
  seen.codec = &codec;
  seen.period = period;
  seen.dec = dec;
  if (!(p = rh_producer_transactional_read(cfg, "riskhub-scale", names, 1, timeout_ms, seen_one,
                                           &seen, &rc, errstr, errstr_size)))
    goto out;
  if (scale_decide(cfg, period, found, seen.v, seen.n, rh_wall_ms(), items)) {
    rc = rh_kafka_fail(RH_EXIT_SOFTWARE, "out of memory", errstr, errstr_size);
    goto out;
  }
  /* every version to send encoded into buf, then one transaction */
  msgs = calloc(items->n ? items->n : 1, sizeof *msgs);
  if (!msgs) {
    rc = rh_kafka_fail(RH_EXIT_SOFTWARE, "out of memory", errstr, errstr_size);
    goto out;
  }
  size_t nmsg = 0;
  for (size_t i = 0; i < items->n; i++) {
    const scale_item_t *it = &items->v[i];
    if (!it->send) continue;
    size_t off = buf.len;
    if (rh_scale_encode(&codec, &it->rec, &buf, err, sizeof err)) {
      rc = rh_kafka_fail(RH_EXIT_SOFTWARE, err, errstr, errstr_size);
      goto out;
    }
    msgs[nmsg++] = (rh_txn_msg_t){topic, it->id, off, buf.len - off};
  }
  rc = rh_producer_txn_send_all(p, msgs, nmsg, buf.data, timeout_ms, errstr, errstr_size);
out:
  free(msgs);
  for (size_t i = 0; i < seen.n; i++) last_free(&seen.v[i]);
  free(seen.v);
  rh_avro_buf_free(&buf);
  rh_producer_destroy(p);
  rh_avro_decoder_destroy(dec);
  if (codec_ready) rh_scale_codec_free(&codec);
  return rc;
}
