/* rh_cover: see rh_cover.h. */
#include "rh_cover.h"

#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_err.h"

/* Is (topic, partition) in list? NULL list: no. */
static bool holds(const rd_kafka_topic_partition_list_t *list, const char *topic, int32_t p) {
  for (int i = 0; list && i < list->cnt; i++)
    if (list->elems[i].partition == p && strcmp(list->elems[i].topic, topic) == 0) return true;
  return false;
}

/* Does the subscription name topic: a topic of it, or a pattern ("^...", as
 * librdkafka takes it; POSIX extended here) matching it? */
static bool subscribed(const rd_kafka_topic_partition_list_t *sub, const char *topic) {
  for (int i = 0; sub && i < sub->cnt; i++) {
    const char *s = sub->elems[i].topic;
    if (s[0] != '^') {
      if (strcmp(s, topic) == 0) return true;
      continue;
    }
    regex_t re;
    if (regcomp(&re, s, REG_EXTENDED | REG_NOSUB)) continue;
    bool m = regexec(&re, topic, 0, NULL, 0) == 0;
    regfree(&re);
    if (m) return true;
  }
  return false;
}

/* The group's description, or NULL (errstr). The caller destroys *ev. */
static const rd_kafka_ConsumerGroupDescription_t *
describe(rd_kafka_t *rk, const char *group, int timeout_ms, rd_kafka_event_t **ev, char *errstr,
         size_t errstr_size) {
  *ev = NULL;
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
  rd_kafka_AdminOptions_t *opts =
      rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS);
  if (!q || !opts) {
    if (q) rd_kafka_queue_destroy(q);
    if (opts) rd_kafka_AdminOptions_destroy(opts);
    rh_errf(errstr, errstr_size, "out of memory");
    return NULL;
  }
  char why[256];
  rd_kafka_AdminOptions_set_request_timeout(opts, timeout_ms, why, sizeof why);
  const char *groups[1] = {group};
  rd_kafka_DescribeConsumerGroups(rk, groups, 1, opts, q);
  *ev = rd_kafka_queue_poll(q, timeout_ms + 2000);
  rd_kafka_AdminOptions_destroy(opts);
  rd_kafka_queue_destroy(q);
  if (!*ev) {
    rh_errf(errstr, errstr_size, "describing group %s: no answer within %d ms", group, timeout_ms);
    return NULL;
  }
  if (rd_kafka_event_error(*ev)) {
    rh_errf(errstr, errstr_size, "describing group %s: %s", group,
            rd_kafka_event_error_string(*ev));
    return NULL;
  }
  const rd_kafka_DescribeConsumerGroups_result_t *res =
      rd_kafka_event_DescribeConsumerGroups_result(*ev);
  size_t n = 0;
  const rd_kafka_ConsumerGroupDescription_t **g =
      res ? rd_kafka_DescribeConsumerGroups_result_groups(res, &n) : NULL;
  if (n != 1) {
    rh_errf(errstr, errstr_size, "describing group %s: no description", group);
    return NULL;
  }
  const rd_kafka_error_t *e = rd_kafka_ConsumerGroupDescription_error(g[0]);
  if (e) {
    rh_errf(errstr, errstr_size, "describing group %s: %s", group, rd_kafka_error_string(e));
    return NULL;
  }
  return g[0];
}

/* Is (topic, p) in another member's assignment? */
static bool others_hold(const rd_kafka_ConsumerGroupDescription_t *g, const char *self,
                        const char *topic, int32_t p) {
  size_t n = rd_kafka_ConsumerGroupDescription_member_count(g);
  for (size_t i = 0; i < n; i++) {
    const rd_kafka_MemberDescription_t *m = rd_kafka_ConsumerGroupDescription_member(g, i);
    const char *id = rd_kafka_MemberDescription_consumer_id(m);
    if (self && id && strcmp(self, id) == 0) continue;
    const rd_kafka_MemberAssignment_t *a = rd_kafka_MemberDescription_assignment(m);
    if (a && holds(rd_kafka_MemberAssignment_partitions(a), topic, p)) return true;
  }
  return false;
}

int rh_cover_check(rd_kafka_t *consumer, const char *group, int timeout_ms, rh_cover_t *out,
                   char *errstr, size_t errstr_size) {
  memset(out, 0, sizeof *out);
  rd_kafka_topic_partition_list_t *sub = NULL, *mine = NULL;
  const struct rd_kafka_metadata *md = NULL;
  rd_kafka_event_t *ev = NULL;
  char *self = NULL;
  int rc = -1;
  rd_kafka_resp_err_t e = rd_kafka_subscription(consumer, &sub);
  if (!e) e = rd_kafka_assignment(consumer, &mine);
  if (e) {
    rh_errf(errstr, errstr_size, "the subscription: %s", rd_kafka_err2str(e));
    goto out;
  }
  /* every topic the party may see: its subscription's are among them */
  e = rd_kafka_metadata(consumer, 1, NULL, &md, timeout_ms);
  if (e) {
    rh_errf(errstr, errstr_size, "the subscribed topics' metadata: %s", rd_kafka_err2str(e));
    goto out;
  }
  const rd_kafka_ConsumerGroupDescription_t *g = NULL;
  self = rd_kafka_memberid(consumer);
  for (int t = 0; t < md->topic_cnt; t++) {
    const struct rd_kafka_metadata_topic *mt = &md->topics[t];
    if (mt->err || !subscribed(sub, mt->topic)) continue;
    for (int p = 0; p < mt->partition_cnt; p++) {
      int32_t id = mt->partitions[p].id;
      out->total++;
      if (holds(mine, mt->topic, id)) {
        out->ours++;
        continue;
      }
      if (!g) {
        if (!(g = describe(consumer, group, timeout_ms, &ev, errstr, errstr_size))) goto out;
        out->balancing =
            rd_kafka_ConsumerGroupDescription_state(g) != RD_KAFKA_CONSUMER_GROUP_STATE_STABLE;
      }
      if (others_hold(g, self, mt->topic, id)) {
        out->others++;
        continue;
      }
      if (!out->none++)
        snprintf(out->example, sizeof out->example, "%.300s [%d]", mt->topic, (int)id);
    }
  }
  rc = 0;
out:
  if (ev) rd_kafka_event_destroy(ev);
  if (md) rd_kafka_metadata_destroy(md);
  if (sub) rd_kafka_topic_partition_list_destroy(sub);
  if (mine) rd_kafka_topic_partition_list_destroy(mine);
  if (self) rd_kafka_mem_free(consumer, self);
  return rc;
}
