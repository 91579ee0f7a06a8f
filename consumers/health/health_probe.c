/* health_probe: see health_probe.h. */
#include "health_probe.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_array.h"
#include "rh_err.h"

void health_state_free(health_state_t *s) {
  free(s->parts);
  free(s->lags);
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
        rd_kafka_query_watermark_offsets(ru, p->topic, p->partition, &lo, &hw, timeout_ms);
    if (!err)
      err = rd_kafka_query_watermark_offsets(rc, p->topic, p->partition, &lo2, &lso, timeout_ms);
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

/* The timestamp of the record at offset in topic/partition, -1 if none came
 * within timeout_ms. */
static int64_t record_ts(rd_kafka_t *ru, const char *topic, int32_t partition, int64_t offset,
                         int timeout_ms) {
  int64_t ts = -1;
  rd_kafka_topic_t *kt = rd_kafka_topic_new(ru, topic, NULL);
  if (!kt) return -1;
  if (rd_kafka_consume_start(kt, partition, offset) == 0) {
    /* the first message consumed is the one at offset (a data record: a
     * transaction begins with one); its payload is never looked at */
    rd_kafka_message_t *m = rd_kafka_consume(kt, partition, timeout_ms);
    if (m) {
      if (!m->err && m->offset == offset) ts = rd_kafka_message_timestamp(m, NULL);
      rd_kafka_message_destroy(m);
    }
    rd_kafka_consume_stop(kt, partition);
  }
  rd_kafka_topic_destroy(kt);
  return ts;
}

void health_probe_txn_age(rd_kafka_t *ru, health_state_t *s, int64_t now_wall_ms,
                          int timeout_ms) {
  for (size_t i = 0; i < s->n; i++) {
    health_part_t *p = &s->parts[i];
    if (p->lso < 0 || p->lso >= p->hw) continue;
    p->txn_ts_ms = record_ts(ru, p->topic, p->partition, p->lso, timeout_ms);
    p->age_ms = p->txn_ts_ms >= 0 && now_wall_ms > p->txn_ts_ms ? now_wall_ms - p->txn_ts_ms
                : p->txn_ts_ms >= 0                              ? 0
                                                                 : -1;
  }
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

/* Add the group's rows: one a hub topic it has an offset for, or one with an
 * empty topic when it has none. */
static int add_group(health_state_t *s, const char *group,
                     const rd_kafka_topic_partition_list_t *offs, char *errstr,
                     size_t errstr_size) {
  bool added = false;
  /* topics in the order of s->parts (sorted) */
  for (size_t i = 0; i < s->n;) {
    size_t j = i;
    while (j < s->n && strcmp(s->parts[j].topic, s->parts[i].topic) == 0) j++;
    health_lag_t row = {.partitions = (int)(j - i)};
    bool any = false;
    for (size_t k = i; k < j; k++) {
      const health_part_t *p = &s->parts[k];
      const rd_kafka_topic_partition_t *c =
          offs ? rd_kafka_topic_partition_list_find(offs, p->topic, p->partition) : NULL;
      int64_t committed = c && !c->err && c->offset >= 0 ? c->offset : -1;
      if (committed >= 0) {
        any = true;
        row.committed++;
      }
      int64_t lag = health_judge_lag(committed, p->low, p->lso);
      if (lag > 0) row.lag += lag;
    }
    if (any) {
      if (RH_ARRAY_RESERVE(s->lags, s->nlags + 1, s->lags_cap, 16)) {
        rh_errf(errstr, errstr_size, "out of memory");
        return -1;
      }
      snprintf(row.group, sizeof row.group, "%s", group);
      snprintf(row.topic, sizeof row.topic, "%s", s->parts[i].topic);
      s->lags[s->nlags++] = row;
      added = true;
    }
    i = j;
  }
  if (!added) { /* a group with nothing committed on the hub's topics: still listed */
    if (RH_ARRAY_RESERVE(s->lags, s->nlags + 1, s->lags_cap, 16)) {
      rh_errf(errstr, errstr_size, "out of memory");
      return -1;
    }
    health_lag_t *row = &s->lags[s->nlags++];
    memset(row, 0, sizeof *row);
    snprintf(row->group, sizeof row->group, "%s", group);
  }
  return 0;
}

static int group_offsets(rd_kafka_t *rk, rd_kafka_queue_t *q, health_state_t *s,
                         const char *group, int timeout_ms, char *errstr, size_t errstr_size) {
  rd_kafka_ListConsumerGroupOffsets_t *req = rd_kafka_ListConsumerGroupOffsets_new(group, NULL);
  rd_kafka_AdminOptions_t *o =
      rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS);
  char e[256];
  rd_kafka_AdminOptions_set_request_timeout(o, timeout_ms, e, sizeof e);
  rd_kafka_ListConsumerGroupOffsets(rk, &req, 1, o, q);
  rd_kafka_AdminOptions_destroy(o);
  rd_kafka_ListConsumerGroupOffsets_destroy(req);
  char what[320];
  snprintf(what, sizeof what, "the offsets of group %s", group);
  rd_kafka_event_t *ev = admin_wait(q, RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT,
                                    timeout_ms, what, errstr, errstr_size);
  if (!ev) return -1;
  size_t n = 0;
  const rd_kafka_group_result_t **g =
      rd_kafka_ListConsumerGroupOffsets_result_groups(
          rd_kafka_event_ListConsumerGroupOffsets_result(ev), &n);
  int rc = 0;
  if (n != 1 || rd_kafka_group_result_error(g[0])) {
    rh_errf(errstr, errstr_size, "%s: %s", what,
            n == 1 ? rd_kafka_error_string(rd_kafka_group_result_error(g[0])) : "no answer");
    rc = -1;
  } else {
    rc = add_group(s, group, rd_kafka_group_result_partitions(g[0]), errstr, errstr_size);
  }
  rd_kafka_event_destroy(ev);
  return rc;
}

int health_probe_lag(rd_kafka_t *rk, const char *prefix, health_state_t *s, int timeout_ms,
                     char *errstr, size_t errstr_size) {
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
  char **groups = NULL;
  size_t n = 0;
  int rc = list_groups(rk, q, prefix, timeout_ms, &groups, &n, errstr, errstr_size);
  for (size_t i = 0; i < n && !rc; i++)
    rc = group_offsets(rk, q, s, groups[i], timeout_ms, errstr, errstr_size);
  if (!rc) s->groups = n;
  for (size_t i = 0; i < n; i++) free(groups[i]);
  free(groups);
  rd_kafka_queue_destroy(q);
  return rc;
}
