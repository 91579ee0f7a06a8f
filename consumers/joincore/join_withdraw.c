/* join_withdraw: see join_withdraw.h. */
#include "join_withdraw.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_array.h"
#include "rh_err.h"
#include "rh_hash.h"
#include "rh_log.h"
#include "rh_manifest.h"
#include "rh_map.h"

#define WITHDRAWN_REASON "withdrawn: the department's corrected list of the month no longer supports it"

void join_withdraw_id(const char *withdrawn_alert_id, const char *batch_id,
                      char out[RH_SHA256_HEXSZ]) {
  const char *parts[3] = {"riskhub-withdraw-v1", withdrawn_alert_id, batch_id};
  rh_sha256_parts(parts, 3, out);
}

/* ---- the diff ---- */

struct join_withdraw_diff {
  const rh_config_feed_t *feed;
  char batch_id[RH_SHA256_HEXSZ + 64];
  char topic[JOIN_TOPIC_MAX];
  rh_lineage_t where;
  rh_map_t supported; /* keys (join_idset_key) of the corrected list's alert ids */
  rh_map_t seen;      /* the superseded list's alert ids met so far */
};

join_withdraw_diff_t *join_withdraw_diff_new(const rh_config_feed_t *feed, const char *batch_id,
                                             const rh_lineage_t *where) {
  join_withdraw_diff_t *d = calloc(1, sizeof *d);
  if (!d) return NULL;
  d->feed = feed;
  snprintf(d->batch_id, sizeof d->batch_id, "%s", batch_id);
  snprintf(d->topic, sizeof d->topic, "%s", where->topic ? where->topic : "");
  d->where = *where;
  d->where.topic = d->topic;
  d->where.batch_id = d->batch_id;
  if (rh_map_init(&d->supported, 256) || rh_map_init(&d->seen, 256)) {
    join_withdraw_diff_destroy(d);
    return NULL;
  }
  return d;
}

void join_withdraw_diff_destroy(join_withdraw_diff_t *d) {
  if (!d) return;
  rh_map_free(&d->supported);
  rh_map_free(&d->seen);
  free(d);
}

int join_withdraw_diff_new_record(join_withdraw_diff_t *d, join_transform_t *t,
                                  const rh_feedrecord_t *r) {
  char id[RH_SHA256_HEXSZ];
  rh_alert_t a;
  if (join_transform_alert(t, d->feed, r, &a, id) == JOIN_ALERT_NONE) return 0;
  uint32_t v;
  uint64_t key = join_idset_key(id, strlen(id));
  if (rh_map_get(&d->supported, key, &v)) return 0;
  return rh_map_put(&d->supported, key, 1) ? -1 : 0;
}

int join_withdraw_diff_old_record(join_withdraw_diff_t *d, join_transform_t *t,
                                  const rh_feedrecord_t *r, const join_sink_t *sink,
                                  int64_t now_ms, char *errstr, size_t errstr_size) {
  char id[RH_SHA256_HEXSZ], wid[RH_SHA256_HEXSZ];
  rh_alert_t a;
  join_alert_kind_t kind = join_transform_alert(t, d->feed, r, &a, id);
  if (kind == JOIN_ALERT_NONE) return 0;
  uint32_t v;
  uint64_t key = join_idset_key(id, strlen(id));
  if (rh_map_get(&d->supported, key, &v) || rh_map_get(&d->seen, key, &v)) return 0;
  if (rh_map_put(&d->seen, key, 1)) {
    rh_errf(errstr, errstr_size, "out of memory");
    return -1;
  }
  join_withdraw_id(id, d->batch_id, wid);
  int claimed = join_idset_add(t->ids, join_idset_key(wid, strlen(wid)));
  if (claimed < 0) {
    rh_errf(errstr, errstr_size, "out of memory for the published ids");
    return -1;
  }
  if (claimed == 0) {
    t->counts.duplicates++;
    return 0;
  }
  a.withdraws = id;
  a.alert_id = wid;
  a.situation = "WITHDRAWN";
  a.reason = WITHDRAWN_REASON;
  a.source = d->where;
  a.created_at = now_ms;
  if (join_transform_emit(t, kind, &a, sink, errstr, errstr_size)) return -1;
  t->counts.withdrawn++;
  return 0;
}

/* ---- the lists of the chain ---- */

typedef struct {
  char period[8];
  char source_name[256];
  char batch_id[RH_SHA256_HEXSZ + 64];
  size_t range_first, range_count;
} noted_t;

struct join_withdraw {
  noted_t *lists;
  size_t len, cap;
  join_range_t *ranges;
  size_t range_len, range_cap;
};

join_withdraw_t *join_withdraw_new(void) { return calloc(1, sizeof(join_withdraw_t)); }

void join_withdraw_destroy(join_withdraw_t *w) {
  if (!w) return;
  free(w->lists);
  free(w->ranges);
  free(w);
}

void join_withdraw_clear(join_withdraw_t *w) { w->len = w->range_len = 0; }

size_t join_withdraw_note(join_withdraw_t *w, const char *period, const char *source_name,
                          const char *batch_id, const join_range_t *ranges, size_t n) {
  if (RH_ARRAY_RESERVE(w->lists, w->len + 1, w->cap, 64) ||
      RH_ARRAY_RESERVE(w->ranges, w->range_len + n, w->range_cap, 256))
    return 0;
  noted_t *l = &w->lists[w->len];
  snprintf(l->period, sizeof l->period, "%s", period);
  snprintf(l->source_name, sizeof l->source_name, "%s", source_name);
  snprintf(l->batch_id, sizeof l->batch_id, "%s", batch_id);
  l->range_first = w->range_len;
  l->range_count = n;
  memcpy(w->ranges + w->range_len, ranges, n * sizeof *ranges);
  w->range_len += n;
  return ++w->len;
}

/* The last in-chain list of feed, period and source file before chain entry
 * at, or NULL. */
static const noted_t *superseded(const join_withdraw_t *w, const rh_chain_t *chain, size_t at,
                                 const rh_config_feed_t *feed, const char *period,
                                 const char *source_name) {
  for (size_t i = at; i-- > 0;) {
    const rh_chain_link_t *l = rh_chain_at(chain, i);
    if (l->feed != feed) break; /* sorted by feed first */
    if (!l->believed || l->tag == 0 || l->tag > w->len) continue;
    if (!rh_chain_in_chain(rh_chain_verdict(chain, i, NULL))) continue;
    const noted_t *n = &w->lists[l->tag - 1];
    if (strcmp(n->period, period) == 0 && strcmp(n->source_name, source_name) == 0) return n;
  }
  return NULL;
}

typedef struct {
  join_withdraw_diff_t *d;
  join_transform_t *t;
  const join_sink_t *sink;
  int64_t now_ms;
  char *errstr;
  size_t errstr_size;
  int failed; /* a send failed: errstr says why */
} pass_t;

static int new_cb(void *arg, const rh_feedrecord_t *r, int32_t partition, int64_t offset) {
  (void)partition, (void)offset;
  pass_t *p = arg;
  return join_withdraw_diff_new_record(p->d, p->t, r);
}

static int old_cb(void *arg, const rh_feedrecord_t *r, int32_t partition, int64_t offset) {
  (void)partition, (void)offset;
  pass_t *p = arg;
  if (join_withdraw_diff_old_record(p->d, p->t, r, p->sink, p->now_ms, p->errstr,
                                    p->errstr_size)) {
    p->failed = 1;
    return -1;
  }
  return 0;
}

int join_withdraw_manifest(join_withdraw_t *w, join_checks_t *c, join_transform_t *t,
                           const rh_chain_t *chain, const rh_config_feed_t *feed,
                           const join_input_t *in, const char *period,
                           const char *source_name, const char *batch_id,
                           const join_range_t *ranges, size_t nranges, const join_sink_t *sink,
                           int64_t now_ms, char *errstr, size_t errstr_size) {
  /* standard input has no name: a list of it is never taken for a correction */
  if (!source_name || !*source_name || strcmp(source_name, "-") == 0) return 0;
  size_t at = rh_chain_find(chain, in->topic, in->partition, in->offset);
  if (at == SIZE_MAX) return 0;
  const noted_t *old = superseded(w, chain, at, feed, period, source_name);
  if (!old || strcmp(old->batch_id, batch_id) == 0) return 0;
  /* copies: a refresh during the reads would move w's arrays */
  noted_t prev = *old;
  join_range_t *prev_ranges = malloc((prev.range_count ? prev.range_count : 1) * sizeof *prev_ranges);
  if (!prev_ranges) {
    rh_errf(errstr, errstr_size, "out of memory");
    return -1;
  }
  memcpy(prev_ranges, w->ranges + prev.range_first, prev.range_count * sizeof *prev_ranges);
  rh_lineage_t where = {.topic = in->topic, .partition = in->partition, .offset = in->offset,
                        .batch_id = batch_id};
  join_withdraw_diff_t *d = join_withdraw_diff_new(feed, batch_id, &where);
  uint64_t before = t->counts.withdrawn;
  int rc = -1;
  char sd[64], sf[64];
  if (!d) {
    rh_errf(errstr, errstr_size, "out of memory");
    goto out;
  }
  pass_t p = {d, t, sink, now_ms, errstr, errstr_size, 0};
  if (join_checks_read_batch(c, feed->topic, ranges, nranges, batch_id, new_cb, &p, errstr,
                             errstr_size)) {
    if (!errstr[0]) rh_errf(errstr, errstr_size, "out of memory");
    goto out;
  }
  char inner[512] = "";
  p.errstr = inner;
  p.errstr_size = sizeof inner;
  if (join_checks_read_batch(c, feed->topic, prev_ranges, prev.range_count, prev.batch_id, old_cb,
                             &p, errstr, errstr_size)) {
    if (p.failed) rh_errf(errstr, errstr_size, "%s", inner);
    goto out;
  }
  rh_log_info("corrected list %.12s of %s/%s %s: supersedes %.12s; %" PRIu64
              " alerts withdrawn",
              batch_id, rh_manifest_safe_code(feed->department->code, sd, sizeof sd),
              rh_manifest_safe_code(feed->code, sf, sizeof sf), period, prev.batch_id,
              t->counts.withdrawn - before);
  rc = 0;
out:
  if (rc) {
    char msg[1024];
    snprintf(msg, sizeof msg, "the corrections of list %.12s of %s/%s %s: %s", batch_id,
             feed->department->code, feed->code, period, errstr);
    rh_errf(errstr, errstr_size, "%s", msg);
  }
  join_withdraw_diff_destroy(d);
  free(prev_ranges);
  return rc;
}
