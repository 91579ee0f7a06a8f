/* identity_publish: see identity_publish.h. */
#include "identity_publish.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_array.h"
#include "rh_clock.h"
#include "rh_exit.h"
#include "rh_kafka.h"
#include "rh_log.h"

static const identity_last_t *last_find(const identity_last_t *last, size_t n, const char *id) {
  for (size_t i = 0; i < n; i++) /* a month's keys are few hundred: a scan is enough */
    if (strcmp(last[i].id, id) == 0) return &last[i];
  return NULL;
}

static identity_item_t *item_add(identity_items_t *items) {
  if (RH_ARRAY_RESERVE(items->v, items->n + 1, items->cap, 16)) return NULL;
  identity_item_t *it = &items->v[items->n++];
  memset(it, 0, sizeof *it);
  return it;
}

/* A CLOSED version of l. */
static int add_closed(identity_items_t *items, const identity_last_t *l, int64_t now) {
  identity_item_t *it = item_add(items);
  if (!it) return -1;
  rh_discrepancy_t *r = &it->rec;
  snprintf(it->topic, sizeof it->topic, "%s", l->topic);
  *r = (rh_discrepancy_t){.discrepancy_id = l->id, .status = RH_DISC_CLOSED,
                          .version = l->version + 1, .kind = l->kind, .period = l->period,
                          .township_code = l->township, .household_id = l->household,
                          .person_id_number = l->person, .registry_value = l->registry_value,
                          .list_value = l->list_value, .department = l->department,
                          .feed = l->feed, .batch_id = "", .since = l->since, .created_at = now};
  rh_discrepancy_content(false, r, it->content);
  r->content = it->content;
  return 0;
}

static bool compared_feed(const rh_config_feed_t *const *compared, size_t n, const char *dept,
                          const char *feed) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(compared[i]->department->code, dept) == 0 && strcmp(compared[i]->code, feed) == 0)
      return true;
  return false;
}

int identity_decide(const rh_config_t *cfg, const char *period, const identity_findings_t *found,
                    const rh_config_feed_t *const *compared, size_t ncompared,
                    const identity_last_t *last, size_t nlast, int64_t now,
                    identity_items_t *items) {
  memset(items, 0, sizeof *items);
  for (size_t i = 0; i < found->n; i++) {
    const identity_found_t *f = &found->v[i];
    rh_discrepancy_t r = {.discrepancy_id = f->id, .kind = join_identity_kind_str(f->d.kind),
                          .period = period, .township_code = f->d.township_code,
                          .household_id = f->d.household_id, .person_id_number = f->d.id_number,
                          .registry_value = f->d.registry_value, .list_value = f->d.list_value,
                          .department = f->feed->department->code, .feed = f->feed->code,
                          .batch_id = f->batch_id, .created_at = now};
    char topic[256], content[RH_SHA256_HEXSZ];
    if (rh_discrepancy_topic(cfg, f->d.township_code, topic, sizeof topic)) continue;
    rh_discrepancy_content(true, &r, content);
    const identity_last_t *l = last_find(last, nlast, f->id);
    bool open = l && l->status != RH_DISC_CLOSED;
    if (open && strcmp(l->content, content) == 0 && strcmp(l->topic, topic) == 0) {
      items->unchanged++;
      continue;
    }
    int64_t version = l ? l->version + 1 : 1;
    if (open && strcmp(l->topic, topic) != 0) { /* another township keeps it now */
      if (add_closed(items, l, now)) goto oom;
      version++;
      open = false;
    }
    identity_item_t *it = item_add(items);
    if (!it) goto oom;
    it->rec = r;
    it->rec.status = open ? RH_DISC_UPDATED : RH_DISC_OPEN;
    it->rec.version = version;
    it->rec.since = open ? l->since : now;
    snprintf(it->topic, sizeof it->topic, "%s", topic);
    memcpy(it->content, content, sizeof content);
    it->rec.content = it->content;
  }
  /* the month's open keys of the lists compared that were not found again */
  for (size_t k = 0; k < nlast; k++) {
    const identity_last_t *l = &last[k];
    if (l->status == RH_DISC_CLOSED || strcmp(l->period, period) != 0 ||
        !compared_feed(compared, ncompared, l->department, l->feed))
      continue;
    bool still = false;
    for (size_t i = 0; i < found->n && !still; i++) still = strcmp(found->v[i].id, l->id) == 0;
    if (!still && add_closed(items, l, now)) goto oom;
  }
  return 0;
oom:
  identity_items_free(items);
  return -1;
}

void identity_items_free(identity_items_t *items) {
  free(items->v);
  memset(items, 0, sizeof *items);
}

/* The index of topic among the township topics (the last: unmatched). */
static size_t topic_index(const char *const *names, size_t n, const char *topic) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(names[i], topic) == 0) return i;
  return n - 1;
}

typedef struct {
  rh_discrepancy_codec_t *codec;
  rh_avro_decoder_t *dec;
  identity_last_t *v;
  size_t n, cap;
  /* the run's month: only its keys can be found again (the month is in every
   * key's hash), so the others are not kept, and the lookups stay a month's */
  const char *period;
} seen_t;

static void last_free(identity_last_t *l) {
  char **s[] = {&l->kind, &l->period, &l->township, &l->household, &l->person,
                &l->registry_value, &l->list_value, &l->department, &l->feed};
  for (size_t i = 0; i < sizeof s / sizeof *s; i++) {
    free(*s[i]);
    *s[i] = NULL;
  }
}

/* Every version on the topics: the highest version of each key is kept (its
 * versions may be on two townships' topics). */
static int seen_one(void *arg, const rd_kafka_message_t *m) {
  seen_t *s = arg;
  char err[256];
  rh_discrepancy_t r;
  if (rh_discrepancy_decode(s->codec, s->dec, m->payload, m->len, &r, err, sizeof err)) {
    rh_log_warn("identity: %s [%" PRId32 "] @%" PRId64 ": %s (ignored)",
                rd_kafka_topic_name(m->rkt), m->partition, m->offset, err);
    return 0;
  }
  if (strcmp(r.period, s->period) != 0) return 0;
  identity_last_t *l = NULL;
  for (size_t i = 0; i < s->n && !l; i++)
    if (strcmp(s->v[i].id, r.discrepancy_id) == 0) l = &s->v[i];
  if (l && l->version >= r.version) return 0;
  if (!l) {
    if (RH_ARRAY_RESERVE(s->v, s->n + 1, s->cap, 64)) return -1;
    l = &s->v[s->n++];
    memset(l, 0, sizeof *l);
  }
  last_free(l);
  snprintf(l->id, sizeof l->id, "%s", r.discrepancy_id);
  snprintf(l->content, sizeof l->content, "%s", r.content);
  snprintf(l->topic, sizeof l->topic, "%s", rd_kafka_topic_name(m->rkt));
  l->status = r.status;
  l->version = r.version;
  l->since = r.since;
  const char *src[] = {r.kind, r.period, r.township_code, r.household_id, r.person_id_number,
                       r.registry_value, r.list_value, r.department, r.feed};
  char **dst[] = {&l->kind, &l->period, &l->township, &l->household, &l->person,
                  &l->registry_value, &l->list_value, &l->department, &l->feed};
  for (size_t i = 0; i < sizeof src / sizeof *src; i++)
    if (!(*dst[i] = strdup(src[i]))) return -1;
  return 0;
}

int identity_publish(const rh_config_t *cfg, const rh_avro_schemas_t *schemas, const char *period,
                     const identity_findings_t *found, const rh_config_feed_t *const *compared,
                     size_t ncompared, int timeout_ms, identity_tally_t *tally, char *errstr,
                     size_t errstr_size) {
  char err[1024];
  identity_items_t decided, *items = &decided;
  rh_disc_topics_t tp = {0};
  rh_txn_msg_t *msgs = NULL;
  rh_discrepancy_codec_t codec;
  rh_avro_decoder_t *dec = NULL;
  rh_producer_t *p = NULL;
  rh_avro_buf_t buf;
  rh_avro_buf_init(&buf);
  seen_t seen = {0};
  int rc = RH_EXIT_OK;
  bool codec_ready = false;
  memset(items, 0, sizeof *items);
  int trc = rh_discrepancy_topics(cfg, &tp);
  if (trc == -2) {
    rc = rh_kafka_fail(RH_EXIT_CONFIG, "a topic name is too long", errstr, errstr_size);
    goto out;
  }
  if (trc || !(dec = rh_avro_decoder_new(schemas))) {
    rc = rh_kafka_fail(RH_EXIT_SOFTWARE, "out of memory", errstr, errstr_size);
    goto out;
  }
  const char **names = tp.names;
  size_t nt = tp.n;
  if (rh_discrepancy_codec_init(&codec, schemas, errstr, errstr_size)) {
    rc = RH_EXIT_CONFIG;
    goto out;
  }
  codec_ready = true;
  /* one partition a township: a key's versions in order, read back in order
   * (after init_transactions: all there is); kept as topics.retention.checks
   * says (rh_config_topic_class) */
  seen.codec = &codec;
  seen.period = period;
  seen.dec = dec;
  if (!(p = rh_producer_transactional_read(cfg, "riskhub-identity", names, nt, timeout_ms,
                                           seen_one, &seen, &rc, errstr, errstr_size)))
    goto out;
  if (identity_decide(cfg, period, found, compared, ncompared, seen.v, seen.n, rh_wall_ms(),
                      items) ||
      !(msgs = calloc(items->n ? items->n : 1, sizeof *msgs))) {
    rc = rh_kafka_fail(RH_EXIT_SOFTWARE, "out of memory", errstr, errstr_size);
    goto out;
  }
  for (size_t i = 0; i < items->n; i++) {
    size_t off = buf.len;
    if (rh_discrepancy_encode(&codec, &items->v[i].rec, &buf, err, sizeof err)) {
      rc = rh_kafka_fail(RH_EXIT_SOFTWARE, err, errstr, errstr_size);
      goto out;
    }
    msgs[i] = (rh_txn_msg_t){items->v[i].topic, items->v[i].rec.discrepancy_id, off,
                             buf.len - off};
  }
  rc = rh_producer_txn_send_all(p, msgs, items->n, buf.data, timeout_ms, errstr, errstr_size);
  for (size_t i = 0; i < found->n; i++) {
    char topic[256];
    if (!rh_discrepancy_topic(cfg, found->v[i].d.township_code, topic, sizeof topic))
      tally[topic_index(names, nt, topic)].open++;
  }
  for (size_t i = 0; rc == RH_EXIT_OK && i < items->n; i++) {
    identity_tally_t *t = &tally[topic_index(names, nt, items->v[i].topic)];
    rh_disc_status_t st = items->v[i].rec.status;
    (*(st == RH_DISC_OPEN ? &t->opened : st == RH_DISC_UPDATED ? &t->updated : &t->closed))++;
  }
out:
  identity_items_free(items);
  free(msgs);
  for (size_t i = 0; i < seen.n; i++) last_free(&seen.v[i]);
  free(seen.v);
  rh_avro_buf_free(&buf);
  rh_producer_destroy(p);
  rh_avro_decoder_destroy(dec);
  if (codec_ready) rh_discrepancy_codec_free(&codec);
  rh_discrepancy_topics_free(&tp);
  return rc;
}
