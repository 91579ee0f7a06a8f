/* alerts_consume: see alerts_consume.h. */
#include "alerts_consume.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rh_clock.h"
#include "rh_err.h"
#include "rh_kafka.h"
#include "rh_log.h"

typedef struct {
  char *topic;
  int32_t partition;
  bool eof;
} part_t;

struct alerts_consumer_s {
  rd_kafka_t *rk;
  bool group_mode, follow;
  int wait_ms;
  alerts_revoke_fn *on_revoke;
  void *arg;
  part_t *parts; /* assigned now */
  size_t nparts;
  bool assigned_seen; /* an assignment came (group) / was made (window) */
  bool nothing;       /* one-shot and nothing to read at all */
  int64_t since_ms;   /* monotonic: start, or the last sign of progress */
  bool unknown_logged;
  rd_kafka_topic_partition_list_t *marked;
  char group[256];    /* group mode: its consumer group (a refusal names it) */
  const char *prefix; /* the namespace's (cfg's) */
};

static void parts_clear(alerts_consumer_t *c) {
  for (size_t i = 0; i < c->nparts; i++) free(c->parts[i].topic);
  free(c->parts);
  c->parts = NULL;
  c->nparts = 0;
}

static int parts_set(alerts_consumer_t *c, const rd_kafka_topic_partition_list_t *l) {
  parts_clear(c);
  if (!l || !l->cnt) return 0;
  c->parts = calloc((size_t)l->cnt, sizeof *c->parts);
  if (!c->parts) return -1;
  for (int i = 0; i < l->cnt; i++) {
    c->parts[i].topic = strdup(l->elems[i].topic);
    if (!c->parts[i].topic) return -1;
    c->parts[i].partition = l->elems[i].partition;
    c->nparts = (size_t)i + 1;
  }
  return 0;
}

static part_t *part_find(alerts_consumer_t *c, const char *topic, int32_t partition) {
  for (size_t i = 0; i < c->nparts; i++)
    if (c->parts[i].partition == partition && strcmp(c->parts[i].topic, topic) == 0)
      return &c->parts[i];
  return NULL;
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque) {
  alerts_consumer_t *c = opaque;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    rd_kafka_assign(rk, parts);
    if (parts_set(c, parts)) rh_log_error("out of memory tracking the assignment");
    c->assigned_seen = true;
    c->since_ms = rh_mono_ms();
    rh_log_debug("assigned %d partitions", parts->cnt);
  } else {
    /* what was read from these partitions is written and committed first */
    if (c->on_revoke) c->on_revoke(c->arg);
    rd_kafka_assign(rk, NULL);
    parts_clear(c);
  }
}

/* Window mode: the partitions with something to read, from their start. */
static alerts_c_status_t window_assign(alerts_consumer_t *c, const struct rd_kafka_metadata *md,
                                       const alerts_consumer_opts_t *o, char *errstr,
                                       size_t errstr_size) {
  alerts_c_status_t st = ALERTS_C_ERROR;
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(16);
  rd_kafka_topic_partition_list_t *want = rd_kafka_topic_partition_list_new(16);
  for (size_t k = 0; k < o->topic_count; k++) {
    for (int i = 0; i < md->topic_cnt; i++) {
      const struct rd_kafka_metadata_topic *mt = &md->topics[i];
      if (mt->err || strcmp(mt->topic, o->topics[k]) != 0) continue;
      for (int p = 0; p < mt->partition_cnt; p++) {
        int64_t lo = 0, hi = 0;
        rd_kafka_resp_err_t e = rh_kafka_watermarks(
            c->rk, mt->topic, mt->partitions[p].id, &lo, &hi, o->wait_ms);
        if (e) {
          rh_errf(errstr, errstr_size, "end offsets of %s [%d]: %s", mt->topic,
                  (int)mt->partitions[p].id, rd_kafka_err2str(e));
          st = ALERTS_C_AWAY;
          goto out;
        }
        if (hi <= lo) continue; /* empty */
        rd_kafka_topic_partition_list_add(want, mt->topic, mt->partitions[p].id)->offset =
            o->from_ms >= 0 ? o->from_ms : RD_KAFKA_OFFSET_BEGINNING;
      }
    }
  }
  if (o->from_ms >= 0 && want->cnt) {
    rd_kafka_resp_err_t e = rd_kafka_offsets_for_times(c->rk, want, o->wait_ms);
    if (e) {
      rh_errf(errstr, errstr_size, "offsets for the time of --from: %s", rd_kafka_err2str(e));
      st = ALERTS_C_AWAY;
      goto out;
    }
  }
  for (int i = 0; i < want->cnt; i++) {
    const rd_kafka_topic_partition_t *t = &want->elems[i];
    if (t->err) {
      rh_errf(errstr, errstr_size, "offsets for the time of --from, %s [%d]: %s", t->topic,
              (int)t->partition, rd_kafka_err2str(t->err));
      st = ALERTS_C_AWAY;
      goto out;
    }
    /* -1 (end): no message at or after the time: nothing to read there */
    if (t->offset == RD_KAFKA_OFFSET_END || (o->from_ms >= 0 && t->offset < 0)) continue;
    rd_kafka_topic_partition_list_add(l, t->topic, t->partition)->offset = t->offset;
  }
  if (parts_set(c, l)) {
    rh_errf(errstr, errstr_size, "out of memory");
    goto out;
  }
  c->assigned_seen = true;
  if (!l->cnt) {
    c->nothing = true;
  } else {
    rd_kafka_resp_err_t e = rd_kafka_assign(c->rk, l);
    if (e) {
      rh_errf(errstr, errstr_size, "assigning the partitions: %s", rd_kafka_err2str(e));
      goto out;
    }
  }
  st = ALERTS_C_OK;
out:
  rd_kafka_topic_partition_list_destroy(l);
  rd_kafka_topic_partition_list_destroy(want);
  return st;
}

/* The brokers leave a topic this party may not describe out of a metadata
 * answer for all topics, as if it did not exist: a township's dashboard asked
 * for another township's warnings would say "no new warnings". Each topic
 * missing from md is asked for by name: a refusal is said as one (exit 77). */
static alerts_c_status_t refused_topics(alerts_consumer_t *c, const struct rd_kafka_metadata *md,
                                        const alerts_consumer_opts_t *o, char *errstr,
                                        size_t errstr_size) {
  for (size_t k = 0; k < o->topic_count; k++) {
    bool listed = false;
    for (int i = 0; i < md->topic_cnt && !listed; i++)
      listed = strcmp(md->topics[i].topic, o->topics[k]) == 0;
    if (listed) continue;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(c->rk, o->topics[k], NULL);
    const struct rd_kafka_metadata *one = NULL;
    rd_kafka_resp_err_t e =
        rkt ? rd_kafka_metadata(c->rk, 0, rkt, &one, o->wait_ms) : RD_KAFKA_RESP_ERR__FAIL;
    bool refused = e == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
                   (!e && one && one->topic_cnt == 1 &&
                    one->topics[0].err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
    if (one) rd_kafka_metadata_destroy(one);
    if (rkt) rd_kafka_topic_destroy(rkt);
    if (refused) {
      rh_errf(errstr, errstr_size,
              "the brokers refuse this party the topic %s (Topic authorization failed): a "
              "township reads its own warnings only; check kafka_credentials "
              "(docs/security.md, \"Kafka\")",
              o->topics[k]);
      return ALERTS_C_REFUSED;
    }
  }
  return ALERTS_C_OK;
}

alerts_consumer_t *alerts_consumer_new(const alerts_consumer_opts_t *o, alerts_c_status_t *status,
                                       char *errstr, size_t errstr_size) {
  alerts_c_status_t st = ALERTS_C_ERROR;
  const struct rd_kafka_metadata *md = NULL;
  rd_kafka_topic_partition_list_t *sub = NULL;
  alerts_consumer_t *c = calloc(1, sizeof *c);
  if (!c || !(c->marked = rd_kafka_topic_partition_list_new(16))) {
    rh_errf(errstr, errstr_size, "out of memory");
    goto fail;
  }
  c->group_mode = o->group != NULL;
  snprintf(c->group, sizeof c->group, "%s", o->group ? o->group : "");
  c->prefix = o->cfg->topic_prefix;
  c->follow = o->follow;
  c->wait_ms = o->wait_ms;
  c->on_revoke = o->on_revoke;
  c->arg = o->arg;
  c->since_ms = rh_mono_ms();
  rd_kafka_conf_t *conf = rh_kafka_conf_from_config(o->cfg, errstr, errstr_size);
  if (!conf) goto fail;
  char why[512];
  /* a new dashboard starts at the beginning; a crashed run's member is
   * dropped after 10 s (not librdkafka's 45 s) so that the next run gets
   * the partitions soon — unless the config says otherwise */
  if (rh_kafka_conf_set(conf, "auto.offset.reset", "earliest", why, sizeof why) ||
      (!rh_config_kafka_get(o->cfg, "session.timeout.ms") &&
       rh_kafka_conf_set(conf, "session.timeout.ms", "10000", why, sizeof why)) ||
      (!rh_config_kafka_get(o->cfg, "fetch.wait.max.ms") &&
       rh_kafka_conf_set(conf, "fetch.wait.max.ms", "100", why, sizeof why))) {
    rh_errf(errstr, errstr_size, "%s", why);
    rd_kafka_conf_destroy(conf);
    goto fail;
  }
  if (c->group_mode) {
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_conf_set_opaque(conf, c);
  }
  c->rk = rh_consumer_new(conf, c->group_mode ? o->group : o->window_group, errstr, errstr_size);
  if (!c->rk) goto fail;
  rd_kafka_resp_err_t e = rd_kafka_metadata(c->rk, 1, NULL, &md, o->wait_ms);
  if (e) {
    rh_errf(errstr, errstr_size, "Kafka at %s: reading topic metadata: %s",
            rh_config_kafka_get(o->cfg, "bootstrap.servers"), rd_kafka_err2str(e));
    st = ALERTS_C_AWAY;
    goto fail;
  }
  if ((st = refused_topics(c, md, o, errstr, errstr_size)) != ALERTS_C_OK) goto fail;
  if (!c->group_mode) {
    if ((st = window_assign(c, md, o, errstr, errstr_size)) != ALERTS_C_OK) goto fail;
  } else {
    sub = rd_kafka_topic_partition_list_new((int)o->topic_count);
    for (size_t k = 0; k < o->topic_count; k++) {
      bool exists = false;
      for (int i = 0; i < md->topic_cnt; i++)
        if (!md->topics[i].err && strcmp(md->topics[i].topic, o->topics[k]) == 0) exists = true;
      if (exists || o->follow)
        rd_kafka_topic_partition_list_add(sub, o->topics[k], RD_KAFKA_PARTITION_UA);
      else
        rh_log_info("topic %s does not exist yet: nothing to read there", o->topics[k]);
    }
    if (!sub->cnt) {
      c->nothing = true;
      c->assigned_seen = true;
    } else if ((e = rd_kafka_subscribe(c->rk, sub))) {
      rh_errf(errstr, errstr_size, "subscribing: %s", rd_kafka_err2str(e));
      goto fail;
    }
  }
  if (md) rd_kafka_metadata_destroy(md);
  if (sub) rd_kafka_topic_partition_list_destroy(sub);
  *status = ALERTS_C_OK;
  return c;
fail:
  if (md) rd_kafka_metadata_destroy(md);
  if (sub) rd_kafka_topic_partition_list_destroy(sub);
  alerts_consumer_destroy(c);
  *status = st;
  return NULL;
}

bool alerts_consumer_caught_up(const alerts_consumer_t *c) {
  if (c->nothing) return true;
  if (!c->assigned_seen) return false;
  for (size_t i = 0; i < c->nparts; i++)
    if (!c->parts[i].eof) return false;
  return true;
}

bool alerts_consumer_done(const alerts_consumer_t *c) {
  return !c->follow && alerts_consumer_caught_up(c);
}

bool alerts_consumer_nothing(const alerts_consumer_t *c) { return c->nothing; }

size_t alerts_consumer_assigned(const alerts_consumer_t *c) { return c->nparts; }

alerts_c_status_t alerts_consumer_poll(alerts_consumer_t *c, int timeout_ms,
                                       rd_kafka_message_t **out, char *errstr,
                                       size_t errstr_size) {
  *out = NULL;
  if (c->nothing) return ALERTS_C_OK;
  rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, timeout_ms);
  int64_t now = rh_mono_ms();
  if (!m) {
    /* one-shot: the end must come; a broker away stops it after wait_ms */
    if (!c->follow && c->wait_ms >= 0 && now - c->since_ms > c->wait_ms) {
      if (!c->assigned_seen)
        rh_errf(errstr, errstr_size,
                "no partitions assigned within %d s (Kafka or its group coordinator away?)",
                c->wait_ms / 1000);
      else
        rh_errf(errstr, errstr_size, "no progress reading the alerts for %d s (Kafka away?)",
                c->wait_ms / 1000);
      return ALERTS_C_AWAY;
    }
    return ALERTS_C_OK;
  }
  const char *topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "?";
  if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    part_t *p = part_find(c, topic, m->partition);
    if (p) p->eof = true;
    c->since_ms = now;
    rd_kafka_message_destroy(m);
    return ALERTS_C_OK;
  }
  if (m->err) {
    rd_kafka_resp_err_t err = m->err;
    char msg[512];
    snprintf(msg, sizeof msg, "%s", rd_kafka_message_errstr(m));
    rd_kafka_message_destroy(m);
    if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
        err == RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION) {
      /* follow mode: a township's topic the join has not created yet */
      if (!c->unknown_logged) rh_log_info("waiting for a topic to be created: %s", msg);
      c->unknown_logged = true;
      return ALERTS_C_OK;
    }
    if (err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED && c->group_mode) {
      /* not a broker away: a group outside this party's (a township's
       * dashboards are riskhub-alerts.<township>.*, docs/security.md). A
       * window never joins its group: librdkafka's lookup of it is only
       * logged, as before */
      rh_errf(errstr, errstr_size,
              "the brokers refuse this party the consumer group %s (Group authorization "
              "failed): a township's dashboards use groups %sriskhub-alerts.<township>.*; "
              "check --group and kafka_credentials (docs/security.md, \"Kafka\")",
              c->group, c->prefix);
      return ALERTS_C_REFUSED;
    }
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
      char fatal[512];
      rd_kafka_fatal_error(c->rk, fatal, sizeof fatal);
      rh_errf(errstr, errstr_size, "Kafka fatal error: %s", fatal);
      return ALERTS_C_ERROR;
    }
    rh_log_warn("reading %s: %s", topic, msg);
    return ALERTS_C_OK;
  }
  part_t *p = part_find(c, topic, m->partition);
  if (p) p->eof = false;
  c->since_ms = now;
  *out = m;
  return ALERTS_C_OK;
}

int alerts_consumer_mark(alerts_consumer_t *c, const rd_kafka_message_t *m) {
  const char *topic = rd_kafka_topic_name(m->rkt);
  rd_kafka_topic_partition_t *t = rd_kafka_topic_partition_list_find(c->marked, topic, m->partition);
  if (!t) t = rd_kafka_topic_partition_list_add(c->marked, topic, m->partition);
  if (!t) return -1;
  if (m->offset + 1 > t->offset) t->offset = m->offset + 1;
  return 0;
}

int alerts_consumer_commit(alerts_consumer_t *c, char *errstr, size_t errstr_size) {
  int rc = 0;
  if (c->group_mode && c->marked->cnt) {
    rd_kafka_resp_err_t e = rd_kafka_commit(c->rk, c->marked, 0);
    if (e) {
      rh_errf(errstr, errstr_size, "committing the offsets: %s", rd_kafka_err2str(e));
      rc = -1;
    } else {
      for (int i = 0; i < c->marked->cnt && rc == 0; i++)
        if (c->marked->elems[i].err) {
          rh_errf(errstr, errstr_size, "committing the offset of %s [%d]: %s",
                  c->marked->elems[i].topic, (int)c->marked->elems[i].partition,
                  rd_kafka_err2str(c->marked->elems[i].err));
          rc = -1;
        }
    }
  }
  rd_kafka_topic_partition_list_destroy(c->marked);
  c->marked = rd_kafka_topic_partition_list_new(16);
  if (!c->marked) {
    rh_errf(errstr, errstr_size, "out of memory");
    return -1;
  }
  return rc;
}

void alerts_consumer_destroy(alerts_consumer_t *c) {
  if (!c) return;
  if (c->rk) {
    c->on_revoke = NULL; /* closing: the caller has written (or dropped) everything */
    rd_kafka_consumer_close(c->rk);
    rd_kafka_destroy(c->rk);
  }
  if (c->marked) rd_kafka_topic_partition_list_destroy(c->marked);
  parts_clear(c);
  free(c);
}
