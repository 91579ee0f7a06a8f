/* health_probe: see health_probe.h. */
#include "health_probe.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_array.h"
#include "rh_clock.h"
#include "rh_err.h"
#include "rh_kafka.h"

void health_state_free(health_state_t *s) {
  free(s->parts);
  free(s->lags);
  free(s->rets);
  free(s->archive_overdue);
  memset(s, 0, sizeof *s);
}

static int part_cmp(const void *a, const void *b) {
  const health_part_t *x = a, *y = b;
  int c = strcmp(x->topic, y->topic);
  return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

int health_probe_topics(rd_kafka_t *rk, const char *prefix, health_state_t *s, int timeout_ms,
                        char *errstr, size_t errstr_size) {
  const struct rd_kafka_metadata *md = NULL;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, NULL, &md, timeout_ms);
  if (err) {
    rh_errf(errstr, errstr_size, "reading the topics' metadata: %s", rd_kafka_err2str(err));
    return -1;
  }
  int rc = 0;
  for (int t = 0; t < md->topic_cnt && !rc; t++) {
    const struct rd_kafka_metadata_topic *mt = &md->topics[t];
    if (mt->err || !health_judge_hub_topic(prefix, mt->topic)) continue;
    for (int i = 0; i < mt->partition_cnt; i++) {
      if (RH_ARRAY_RESERVE(s->parts, s->n + 1, s->cap, 64)) {
        rh_errf(errstr, errstr_size, "out of memory");
        rc = -1;
        break;
      }
      health_part_t *p = &s->parts[s->n++];
      memset(p, 0, sizeof *p);
      snprintf(p->topic, sizeof p->topic, "%s", mt->topic);
      p->partition = mt->partitions[i].id;
      p->leader = mt->partitions[i].leader;
      p->low = p->hw0 = p->lso0 = p->hw = p->lso = p->txn_ts_ms = p->age_ms = -1;
    }
  }
  rd_kafka_metadata_destroy(md);
  if (!rc && s->n) qsort(s->parts, s->n, sizeof *s->parts, part_cmp);
  return rc;
}

int health_probe_sample(rd_kafka_t *ru, rd_kafka_t *rc, health_state_t *s, int first,
                        int timeout_ms, char *errstr, size_t errstr_size) {
  for (size_t i = 0; i < s->n; i++) {
    health_part_t *p = &s->parts[i];
    int64_t lo = -1, hw = -1, lo2 = -1, lso = -1;
    rd_kafka_resp_err_t err =
        rh_kafka_watermarks(ru, p->topic, p->partition, &lo, &hw, timeout_ms);
    if (!err)
      err = rh_kafka_watermarks(rc, p->topic, p->partition, &lo2, &lso, timeout_ms);
    if (err) {
      rh_errf(errstr, errstr_size, "the offsets of %s [%d]: %s", p->topic, (int)p->partition,
              rd_kafka_err2str(err));
      return -1;
    }
    if (first) {
      p->hw0 = hw;
      p->lso0 = lso;
    } else {
      p->low = lo;
      p->hw = hw;
      p->lso = lso;
    }
  }
  return 0;
}

/* ---- peeks: the first message from an offset on ---- */

typedef struct {
  const char *topic;
  int32_t partition;
  int64_t from;
  int state;       /* -1 nothing yet, 0 the partition's end first, 1 a message */
  int64_t at, ts;  /* its offset and timestamp (state 1) */
  rd_kafka_topic_t *kt;
  size_t cell;     /* the caller's */
} peek_t;

/* For every peek, the first message from its offset on (rk's isolation
 * level), all partitions at once on one queue: the legacy consumer, no
 * group; rk has enable.partition.eof. Only offsets and timestamps are kept:
 * keys and values are never looked at. What does not come within
 * timeout_ms stays -1. */
static void peek_all(rd_kafka_t *rk, peek_t *pk, size_t n, int timeout_ms) {
  if (!n) return;
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
  size_t pending = 0;
  for (size_t i = 0; i < n; i++) {
    pk[i].state = -1;
    pk[i].kt = rd_kafka_topic_new(rk, pk[i].topic, NULL);
    if (pk[i].kt && rd_kafka_consume_start_queue(pk[i].kt, pk[i].partition, pk[i].from, q) == 0)
      pending++;
    else if (pk[i].kt) {
      rd_kafka_topic_destroy(pk[i].kt);
      pk[i].kt = NULL;
    }
  }
  int64_t until = rh_mono_ms() + timeout_ms;
  while (pending && rh_mono_ms() < until) {
    rd_kafka_message_t *m = rd_kafka_consume_queue(q, 100);
    if (!m) continue;
    if (m->rkt && (!m->err || m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)) {
      const char *t = rd_kafka_topic_name(m->rkt);
      for (size_t i = 0; i < n; i++) {
        if (pk[i].state != -1 || !pk[i].kt || pk[i].partition != m->partition ||
            strcmp(pk[i].topic, t) != 0)
          continue;
        pk[i].state = m->err ? 0 : 1;
        pk[i].at = m->offset;
        pk[i].ts = m->err ? -1 : rd_kafka_message_timestamp(m, NULL);
        pending--;
        break;
      }
    }
    rd_kafka_message_destroy(m);
  }
  for (size_t i = 0; i < n; i++) {
    if (!pk[i].kt) continue;
    rd_kafka_consume_stop(pk[i].kt, pk[i].partition);
    rd_kafka_topic_destroy(pk[i].kt);
    pk[i].kt = NULL;
  }
  rd_kafka_queue_destroy(q);
}

int health_probe_txn_age(rd_kafka_t *ru, health_state_t *s, int64_t now_wall_ms,
                         int timeout_ms) {
  size_t n = 0;
  for (size_t i = 0; i < s->n; i++) n += s->parts[i].lso >= 0 && s->parts[i].lso < s->parts[i].hw;
  if (!n) return 0;
  peek_t *pk = calloc(n, sizeof *pk);
  size_t *idx = calloc(n, sizeof *idx);
  if (!pk || !idx) {
    free(pk);
    free(idx);
    return -1;
  }
  n = 0;
  for (size_t i = 0; i < s->n; i++) {
    health_part_t *p = &s->parts[i];
    if (p->lso < 0 || p->lso >= p->hw) continue;
    /* the LSO is the first record of the oldest open transaction (a data
     * record: a transaction begins with one) */
    pk[n] = (peek_t){.topic = p->topic, .partition = p->partition, .from = p->lso};
    idx[n++] = i;
  }
  peek_all(ru, pk, n, timeout_ms);
  for (size_t k = 0; k < n; k++) {
    health_part_t *p = &s->parts[idx[k]];
    if (pk[k].state != 1 || pk[k].at != p->lso || pk[k].ts < 0) continue;
    p->txn_ts_ms = pk[k].ts;
    p->age_ms = now_wall_ms > pk[k].ts ? now_wall_ms - pk[k].ts : 0;
  }
  free(pk);
  free(idx);
  return 0;
}

/* ---- groups ---- */

/* Wait for the admin result of type on q; NULL with errstr. */
static rd_kafka_event_t *admin_wait(rd_kafka_queue_t *q, int type, int timeout_ms,
                                    const char *what, char *errstr, size_t errstr_size) {
  rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_ms + 2000);
  if (!ev) {
    rh_errf(errstr, errstr_size, "%s: no answer within %d ms", what, timeout_ms + 2000);
    return NULL;
  }
  if (rd_kafka_event_type(ev) != type || rd_kafka_event_error(ev)) {
    rh_errf(errstr, errstr_size, "%s: %s", what,
            rd_kafka_event_error(ev) ? rd_kafka_event_error_string(ev) : "unexpected answer");
    rd_kafka_event_destroy(ev);
    return NULL;
  }
  return ev;
}

static int names_cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The riskhub groups of the namespace, sorted; *out malloc'd strings. */
static int list_groups(rd_kafka_t *rk, rd_kafka_queue_t *q, const char *prefix, int timeout_ms,
                       char ***out, size_t *n, char *errstr, size_t errstr_size) {
  size_t cap = 0;
  rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS);
  char e[256];
  rd_kafka_AdminOptions_set_request_timeout(o, timeout_ms, e, sizeof e);
  rd_kafka_ListConsumerGroups(rk, o, q);
  rd_kafka_AdminOptions_destroy(o);
  rd_kafka_event_t *ev = admin_wait(q, RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT, timeout_ms,
                                    "listing the consumer groups", errstr, errstr_size);
  if (!ev) return -1;
  const rd_kafka_ListConsumerGroups_result_t *r = rd_kafka_event_ListConsumerGroups_result(ev);
  size_t nerr = 0, nvalid = 0;
  const rd_kafka_error_t **errs = rd_kafka_ListConsumerGroups_result_errors(r, &nerr);
  int rc = 0;
  if (nerr) { /* a broker that did not answer: the list would be partial */
    rh_errf(errstr, errstr_size, "listing the consumer groups: %s", rd_kafka_error_string(errs[0]));
    rc = -1;
  }
  const rd_kafka_ConsumerGroupListing_t **v = rd_kafka_ListConsumerGroups_result_valid(r, &nvalid);
  for (size_t i = 0; i < nvalid && !rc; i++) {
    const char *g = rd_kafka_ConsumerGroupListing_group_id(v[i]);
    if (!health_judge_hub_group(prefix, g)) continue;
    if (RH_ARRAY_RESERVE(*out, *n + 1, cap, 8) || !((*out)[*n] = strdup(g))) {
      rh_errf(errstr, errstr_size, "out of memory");
      rc = -1;
      break;
    }
    (*n)++;
  }
  rd_kafka_event_destroy(ev);
  if (*n) qsort(*out, *n, sizeof **out, names_cmp);
  return rc;
}

/* One ListConsumerGroupOffsets of group; 0, RH_COORDINATOR_MOVED (the
 * coordinator moved: ask again) or -1, with errstr. */
#define RH_COORDINATOR_MOVED 1
static int group_offsets_once(rd_kafka_t *rk, rd_kafka_queue_t *q, const health_state_t *s,
                              const char *group, int64_t *committed, int timeout_ms,
                              char *errstr, size_t errstr_size) {
  /* the partitions asked for by name (the mock cluster answers no "all") */
  rd_kafka_topic_partition_list_t *want = rd_kafka_topic_partition_list_new((int)s->n + 1);
  for (size_t i = 0; i < s->n; i++)
    rd_kafka_topic_partition_list_add(want, s->parts[i].topic, s->parts[i].partition);
  rd_kafka_ListConsumerGroupOffsets_t *req =
      rd_kafka_ListConsumerGroupOffsets_new(group, s->n ? want : NULL);
  rd_kafka_topic_partition_list_destroy(want);
  rd_kafka_AdminOptions_t *o =
      rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS);
  char e[256];
  rd_kafka_AdminOptions_set_request_timeout(o, timeout_ms, e, sizeof e);
  rd_kafka_ListConsumerGroupOffsets(rk, &req, 1, o, q);
  rd_kafka_AdminOptions_destroy(o);
  rd_kafka_ListConsumerGroupOffsets_destroy(req);
  char what[320];
  snprintf(what, sizeof what, "the offsets of group %s", group);
  rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_ms + 2000);
  rd_kafka_resp_err_t err = ev ? rd_kafka_event_error(ev) : RD_KAFKA_RESP_ERR__TIMED_OUT;
  if (err == RD_KAFKA_RESP_ERR_NOT_COORDINATOR ||
      err == RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE ||
      err == RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS) {
    rh_errf(errstr, errstr_size, "%s: %s", what, rd_kafka_err2str(err));
    rd_kafka_event_destroy(ev);
    return RH_COORDINATOR_MOVED;
  }
  if (!ev || err || rd_kafka_event_type(ev) != RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT) {
    rh_errf(errstr, errstr_size, "%s: %s", what,
            !ev ? "no answer in time" : err ? rd_kafka_event_error_string(ev)
                                            : "unexpected answer");
    if (ev) rd_kafka_event_destroy(ev);
    return -1;
  }
  size_t n = 0;
  const rd_kafka_group_result_t **g = rd_kafka_ListConsumerGroupOffsets_result_groups(
      rd_kafka_event_ListConsumerGroupOffsets_result(ev), &n);
  int rc = 0;
  if (n != 1 || rd_kafka_group_result_error(g[0])) {
    rh_errf(errstr, errstr_size, "%s: %s", what,
            n == 1 ? rd_kafka_error_string(rd_kafka_group_result_error(g[0])) : "no answer");
    rc = -1;
  } else {
    const rd_kafka_topic_partition_list_t *offs = rd_kafka_group_result_partitions(g[0]);
    for (size_t i = 0; i < s->n; i++) {
      const rd_kafka_topic_partition_t *c =
          offs ? rd_kafka_topic_partition_list_find(offs, s->parts[i].topic,
                                                    s->parts[i].partition)
               : NULL;
      committed[i] = c && !c->err && c->offset >= 0 ? c->offset : -1;
    }
  }
  rd_kafka_event_destroy(ev);
  return rc;
}

int health_probe_group_offsets(rd_kafka_t *rk, const health_state_t *s, const char *group,
                               int64_t *committed, int timeout_ms, char *errstr,
                               size_t errstr_size) {
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
  int64_t deadline = rh_mono_ms() + timeout_ms;
  int rc;
  while ((rc = group_offsets_once(rk, q, s, group, committed, timeout_ms, errstr,
                                  errstr_size)) == RH_COORDINATOR_MOVED &&
         rh_mono_ms() + 250 < deadline)
    rh_sleep_ms(250); /* the handle's group looks for the coordinator meanwhile */
  rd_kafka_queue_destroy(q);
  return rc ? -1 : 0;
}

/* The rows of group (its committed offsets and lags per partition of s):
 * one a hub topic it committed an offset on (the join's group: and every
 * input topic of the join), or one with an empty topic when none. */
static int add_rows(health_state_t *s, const char *prefix, const char *group,
                    const int64_t *committed, const int64_t *lag, char *errstr,
                    size_t errstr_size) {
  char join[512];
  snprintf(join, sizeof join, "%sriskhub-join", prefix);
  bool is_join = strcmp(group, join) == 0;
  bool added = false;
  for (size_t i = 0; i < s->n;) { /* s->parts is sorted: a topic's partitions are together */
    size_t j = i;
    while (j < s->n && strcmp(s->parts[j].topic, s->parts[i].topic) == 0) j++;
    health_lag_t row = {.partitions = (int)(j - i)};
    for (size_t k = i; k < j; k++) {
      if (committed[k] >= 0) row.committed++;
      if (lag[k] > 0) row.lag += lag[k];
    }
    if (row.committed || (is_join && health_judge_join_input(prefix, s->parts[i].topic))) {
      if (RH_ARRAY_RESERVE(s->lags, s->nlags + 1, s->lags_cap, 16)) goto oom;
      snprintf(row.group, sizeof row.group, "%s", group);
      snprintf(row.topic, sizeof row.topic, "%s", s->parts[i].topic);
      s->lags[s->nlags++] = row;
      added = true;
    }
    i = j;
  }
  if (!added) {
    if (RH_ARRAY_RESERVE(s->lags, s->nlags + 1, s->lags_cap, 16)) goto oom;
    health_lag_t *row = &s->lags[s->nlags++];
    memset(row, 0, sizeof *row);
    snprintf(row->group, sizeof row->group, "%s", group);
  }
  return 0;
oom:
  rh_errf(errstr, errstr_size, "out of memory");
  return -1;
}

/* The join's group is looked at even before it exists (a join that never
 * ran: every list is lag), when the namespace has an input topic of it. */
static int add_join_group(const char *prefix, char ***groups, size_t *n, const health_state_t *s,
                          char *errstr, size_t errstr_size) {
  char join[512];
  snprintf(join, sizeof join, "%sriskhub-join", prefix);
  bool inputs = false;
  for (size_t i = 0; i < s->n && !inputs; i++)
    inputs = health_judge_join_input(prefix, s->parts[i].topic);
  for (size_t i = 0; i < *n; i++)
    if (strcmp((*groups)[i], join) == 0) return 0;
  if (!inputs) return 0;
  char **g = realloc(*groups, (*n + 1) * sizeof *g);
  if (!g || !(g[*n] = strdup(join))) {
    if (g) *groups = g;
    rh_errf(errstr, errstr_size, "out of memory");
    return -1;
  }
  *groups = g;
  (*n)++;
  qsort(*groups, *n, sizeof **groups, names_cmp);
  return 0;
}

int health_probe_lag(rd_kafka_t *rk, rd_kafka_t *reader, const char *prefix, health_state_t *s,
                     int timeout_ms, char *errstr, size_t errstr_size) {
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
  char **groups = NULL;
  size_t n = 0, npk = 0;
  int64_t *committed = NULL, *lag = NULL;
  peek_t *pk = NULL;
  int rc = list_groups(rk, q, prefix, timeout_ms, &groups, &n, errstr, errstr_size);
  if (!rc) rc = add_join_group(prefix, &groups, &n, s, errstr, errstr_size);
  if (rc || !n) goto out;
  size_t cells = n * (s->n ? s->n : 1);
  committed = calloc(cells, sizeof *committed);
  lag = calloc(cells, sizeof *lag);
  pk = calloc(cells, sizeof *pk);
  if (!committed || !lag || !pk) {
    rh_errf(errstr, errstr_size, "out of memory");
    rc = -1;
    goto out;
  }
  for (size_t g = 0; g < n && !rc; g++)
    rc = health_probe_group_offsets(rk, s, groups[g], committed + g * s->n, timeout_ms, errstr,
                                    errstr_size);
  if (rc) goto out;
  /* offsets left: records, or only commit markers and aborted records? The
   * first record a read_committed reader gets from there tells. */
  for (size_t g = 0; g < n; g++)
    for (size_t i = 0; i < s->n; i++) {
      const health_part_t *p = &s->parts[i];
      int64_t *l = &lag[g * s->n + i];
      *l = health_judge_lag(committed[g * s->n + i], p->low, p->lso);
      if (*l > 0)
        pk[npk++] = (peek_t){.topic = p->topic, .partition = p->partition, .from = p->lso - *l,
                             .cell = g * s->n + i};
    }
  peek_all(reader, pk, npk, timeout_ms);
  for (size_t k = 0; k < npk; k++) {
    size_t cell = pk[k].cell;
    int64_t lso = s->parts[cell % s->n].lso;
    lag[cell] = health_judge_lag_read(pk[k].from, lso,
                                      pk[k].state == 0 ? lso : pk[k].state == 1 ? pk[k].at : -1);
  }
  for (size_t g = 0; g < n && !rc; g++)
    rc = add_rows(s, prefix, groups[g], committed + g * s->n, lag + g * s->n, errstr, errstr_size);
  if (!rc) s->groups = n;
out:
  for (size_t i = 0; i < n; i++) free(groups[i]);
  free(groups);
  free(committed);
  free(lag);
  free(pk);
  rd_kafka_queue_destroy(q);
  return rc;
}

/* ---- retention ---- */

int health_probe_retention(rd_kafka_t *rk, const char *prefix, const rh_config_topics_t *want,
                           health_state_t *s, int timeout_ms, char *errstr, size_t errstr_size) {
  s->nrets = 0;
  for (size_t i = 0; i < s->n; i++) { /* parts are sorted by topic */
    if (i && strcmp(s->parts[i].topic, s->parts[i - 1].topic) == 0) continue;
    rh_topic_class_t c = rh_config_topic_class(prefix, s->parts[i].topic);
    if (c == RH_TOPIC_OTHER) continue;
    if (RH_ARRAY_RESERVE(s->rets, s->nrets + 1, s->rets_cap, 32)) {
      rh_errf(errstr, errstr_size, "out of memory");
      return -1;
    }
    health_retention_t *r = &s->rets[s->nrets++];
    memset(r, 0, sizeof *r);
    snprintf(r->topic, sizeof r->topic, "%s", s->parts[i].topic);
    r->cls = c;
    r->want_ms = want->retention_ms[c];
    r->have_ms = -2;
  }
  if (!s->nrets) return 0;
  int rc = -1;
  rd_kafka_ConfigResource_t **res = calloc(s->nrets, sizeof *res);
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
  rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
  rd_kafka_event_t *ev = NULL;
  char why[256];
  if (!res) {
    rh_errf(errstr, errstr_size, "out of memory");
    goto out;
  }
  rd_kafka_AdminOptions_set_request_timeout(o, timeout_ms, why, sizeof why);
  for (size_t i = 0; i < s->nrets; i++)
    res[i] = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, s->rets[i].topic);
  rd_kafka_DescribeConfigs(rk, res, s->nrets, o, q);
  ev = admin_wait(q, RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT, timeout_ms, "describing the topics' configs",
                  errstr, errstr_size);
  if (!ev) goto out;
  size_t cnt = 0;
  const rd_kafka_ConfigResource_t **got =
      rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev), &cnt);
  for (size_t k = 0; k < cnt; k++) {
    if (rd_kafka_ConfigResource_error(got[k])) continue; /* deleted meanwhile: unknown */
    health_retention_t *r = NULL;
    for (size_t i = 0; i < s->nrets && !r; i++)
      if (strcmp(s->rets[i].topic, rd_kafka_ConfigResource_name(got[k])) == 0) r = &s->rets[i];
    if (!r) continue;
    size_t ne = 0;
    const rd_kafka_ConfigEntry_t **e = rd_kafka_ConfigResource_configs(got[k], &ne);
    for (size_t j = 0; j < ne; j++) {
      const char *v = rd_kafka_ConfigEntry_value(e[j]);
      if (strcmp(rd_kafka_ConfigEntry_name(e[j]), "retention.ms") != 0 || !v) continue;
      char *end;
      long long ms = strtoll(v, &end, 10);
      if (end != v && !*end && ms >= -1) r->have_ms = ms < 0 ? -1 : ms;
    }
  }
  for (size_t i = 0; i < s->nrets; i++)
    s->rets[i].short_ = health_judge_retention_short(s->rets[i].want_ms, s->rets[i].have_ms);
  rc = 0;
out:
  if (ev) rd_kafka_event_destroy(ev);
  if (res) {
    for (size_t i = 0; i < s->nrets; i++)
      if (res[i]) rd_kafka_ConfigResource_destroy(res[i]);
    free(res);
  }
  rd_kafka_AdminOptions_destroy(o);
  rd_kafka_queue_destroy(q);
  return rc;
}
