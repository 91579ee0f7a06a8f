/* join_transform: see join_transform.h. */
#include "join_transform.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "rh_err.h"
#include "rh_hash.h"
#include "rh_idnum.h"
#include "rh_log.h"
#include "rh_rules.h"

#define UNMATCHED_RULE "unmatched"
#define UNMATCHED_REASON "not in the household registry"
#define MERGED_REASON                                                                            \
  "merged: one warning per person, feed and month; the warning merged_into names stands for it"

void join_counts_add(join_counts_t *to, const join_counts_t *from) {
  to->records += from->records;
  to->alerts += from->alerts;
  to->unmatched += from->unmatched;
  to->no_rule += from->no_rule;
  to->duplicates += from->duplicates;
  to->dlq += from->dlq;
  to->check_records += from->check_records;
  to->identity += from->identity;
  to->manifests += from->manifests;
  to->checks += from->checks;
  to->withdrawn += from->withdrawn;
  to->merged += from->merged;
}

void join_alerts_topic(const rh_config_t *cfg, const char *township, char *out, size_t size) {
  snprintf(out, size, "%salerts.%s", cfg->topic_prefix, township);
}

int join_transform_init(join_transform_t *t, const rh_config_t *cfg,
                        const rh_avro_schemas_t *schemas, join_idset_t *ids, char *errstr,
                        size_t errstr_size) {
  memset(t, 0, sizeof *t);
  t->cfg = cfg;
  t->ids = ids;
  rh_avro_buf_init(&t->buf);
  t->fr_schema = rh_avro_schemas_get(schemas, "riskhub.FeedRecord");
  t->alert_schema = rh_avro_schemas_get(schemas, "riskhub.Alert");
  if (!t->fr_schema || !t->alert_schema) {
    rh_errf(errstr, errstr_size, "the schemas lack riskhub.FeedRecord or riskhub.Alert");
    return -1;
  }
  if (rh_feedrecord_codec_init(&t->frc, t->fr_schema, errstr, errstr_size) ||
      rh_alert_codec_init(&t->alc, t->alert_schema, errstr, errstr_size) ||
      rh_avro_schema_value_new(t->fr_schema, &t->frv, errstr, errstr_size) ||
      rh_avro_schema_value_new(t->alert_schema, &t->alv, errstr, errstr_size)) {
    join_transform_free(t);
    return -1;
  }
  if (!(t->dec = rh_avro_decoder_new(schemas))) {
    rh_errf(errstr, errstr_size, "out of memory");
    join_transform_free(t);
    return -1;
  }
  snprintf(t->dlq_topic, sizeof t->dlq_topic, "%sriskhub.dlq", cfg->topic_prefix);
  snprintf(t->unmatched_topic, sizeof t->unmatched_topic, "%salerts.unmatched",
           cfg->topic_prefix);
  join_alerts_topic(cfg, "", t->alerts_topic, sizeof t->alerts_topic);
  t->alerts_prefix_len = strlen(t->alerts_topic);
  return 0;
}

void join_transform_free(join_transform_t *t) {
  rh_feedrecord_codec_free(&t->frc);
  rh_alert_codec_free(&t->alc);
  if (t->frv.iface) avro_value_decref(&t->frv);
  if (t->alv.iface) avro_value_decref(&t->alv);
  t->frv.iface = t->alv.iface = NULL;
  rh_avro_decoder_destroy(t->dec);
  t->dec = NULL;
  rh_avro_buf_free(&t->buf);
}

int join_transform_dlq(join_transform_t *t, const join_input_t *in, const char *why,
                       const join_sink_t *sink, char *errstr, size_t errstr_size) {
  char part[16], off[24], clean[512];
  /* the reason may come from a decoder that quotes nothing, but scrub anyway */
  snprintf(clean, sizeof clean, "%s", why);
  rh_log_scrub(clean);
  snprintf(part, sizeof part, "%" PRId32, in->partition);
  snprintf(off, sizeof off, "%" PRId64, in->offset);
  rd_kafka_headers_t *h = rd_kafka_headers_new(4);
  rd_kafka_header_add(h, "error", -1, clean, -1);
  rd_kafka_header_add(h, "source.topic", -1, in->topic, -1);
  rd_kafka_header_add(h, "source.partition", -1, part, -1);
  rd_kafka_header_add(h, "source.offset", -1, off, -1);
  rh_log_warn("%s [%" PRId32 "] offset %" PRId64 ": to the dead-letter topic: %s", in->topic,
              in->partition, in->offset, clean);
  if (sink->send(sink->arg, t->dlq_topic, in->key, in->key_len, in->value, in->value_len, h,
                 errstr, errstr_size))
    return -1;
  t->counts.dlq++;
  return 0;
}

void join_transform_rule_household(const rh_regmap_household_t *h, rh_rule_household_t *out) {
  memset(out, 0, sizeof(*out));
  if (!h) return;
  out->household_type = rh_regmap_hhtype_str(h->type);
  out->monitoring_category = rh_regmap_category_str(h->category);
  out->risk_eliminated = h->risk_eliminated;
  out->has_income = true;
  out->income_per_capita_fen = h->income_per_capita_fen;
}

/* The alerts topic of a township, as join_alerts_topic() writes it. */
static const char *alerts_topic(join_transform_t *t, const char *township, char *spare,
                                size_t spare_size) {
  size_t n = strlen(township);
  if (t->alerts_prefix_len + n >= sizeof t->alerts_topic) {
    join_alerts_topic(t->cfg, township, spare, spare_size);
    return spare;
  }
  memcpy(t->alerts_topic + t->alerts_prefix_len, township, n + 1);
  return t->alerts_topic;
}

static int emit_alert(join_transform_t *t, const rh_alert_t *a, const char *topic,
                      const char *key, const join_sink_t *sink, char *errstr,
                      size_t errstr_size) {
  rh_avro_buf_clear(&t->buf);
  if (rh_alert_encode(&t->alc, a, &t->alv, &t->buf, errstr, errstr_size)) return -1;
  return sink->send(sink->arg, topic, key, strlen(key), t->buf.data, t->buf.len, NULL, errstr,
                    errstr_size);
}

/* Is the alert new? 1 yes (added, pending), 0 published before, -1 no memory. */
static int claim(join_transform_t *t, const char *alert_id, char *errstr, size_t errstr_size) {
  int r = join_idset_add(t->ids, join_idset_key(alert_id, strlen(alert_id)));
  if (r == 0) t->counts.duplicates++;
  if (r < 0) rh_errf(errstr, errstr_size, "out of memory for the published alert ids");
  return r;
}

join_alert_kind_t join_transform_alert(join_transform_t *t, const rh_config_feed_t *feed,
                                       const rh_feedrecord_t *r, rh_alert_t *a,
                                       char alert_id[RH_SHA256_HEXSZ]) {
  *a = (rh_alert_t){.alert_id = alert_id, .person_id_number = r->id_number,
                    .department = r->department, .feed = r->feed, .period = r->period,
                    .risk_subtype = r->risk_subtype, .has_amount = r->has_amount,
                    .amount_fen = r->amount_fen, .has_event_date = r->has_event_date,
                    .event_date = r->event_date, .facts = r->facts, .fact_count = r->fact_count};
  const rh_regmap_person_t *p = t->map ? rh_regmap_find(t->map, r->id_number) : NULL;
  if (!p) {
    rh_alert_id(r->id_number, r->department, r->feed, r->period, UNMATCHED_RULE, alert_id);
    a->situation = "UNMATCHED";
    /* the registry does not know the person: the township and village the
     * department named (if any), so that the county office knows whom to ask
     * (Alert.avsc; found by an independent check: it was always null) */
    a->township_code = r->township_code;
    a->village = r->village;
    a->person_name = r->name;
    a->risk = r->risk ? r->risk : (feed->risk ? feed->risk : "OTHER");
    a->severity = rh_severity_name(RH_SEVERITY_LOW);
    a->rule_id = UNMATCHED_RULE;
    a->reason = UNMATCHED_REASON;
    return JOIN_ALERT_UNMATCHED;
  }
  const rh_regmap_household_t *h = p->household;
  rh_rule_household_t rh;
  join_transform_rule_household(h, &rh);
  const rh_config_rule_t *rule = rh_rules_select(feed, r, &rh);
  if (!rule) return JOIN_ALERT_NONE;
  rh_alert_id(r->id_number, r->department, r->feed, r->period, rule->id, alert_id);
  a->situation = rh_rules_situation(&rh);
  a->township_code = h->township_code;
  a->village = h->village;
  a->household_id = h->household_id;
  a->household_type = rh_regmap_hhtype_str(h->type);
  a->monitoring_category = rh_regmap_category_str(h->category);
  a->risk_eliminated = h->risk_eliminated;
  a->person_name = p->name;
  a->relation_to_head = rh_regmap_relation_str(p->relation);
  a->risk = rule->risk;
  a->severity = rh_severity_name(rule->severity);
  a->rule_id = rule->id;
  a->reason = rule->description;
  return JOIN_ALERT_MATCHED;
}

const char *join_transform_alert_topic(join_transform_t *t, join_alert_kind_t kind,
                                       const rh_alert_t *a, char *spare, size_t spare_size) {
  if (kind == JOIN_ALERT_UNMATCHED) return t->unmatched_topic;
  return alerts_topic(t, a->township_code, spare, spare_size);
}

int join_transform_emit(join_transform_t *t, join_alert_kind_t kind, const rh_alert_t *a,
                        const join_sink_t *sink, char *errstr, size_t errstr_size) {
  char spare[JOIN_TOPIC_MAX];
  const char *topic = join_transform_alert_topic(t, kind, a, spare, sizeof spare);
  const char *key = kind == JOIN_ALERT_UNMATCHED ? a->person_id_number : a->household_id;
  return emit_alert(t, a, topic, key, sink, errstr, errstr_size);
}

void join_transform_merge_id(const char *merged_alert_id, char out[RH_SHA256_HEXSZ]) {
  const char *parts[2] = {"riskhub-merge-v1", merged_alert_id};
  rh_sha256_parts(parts, 2, out);
}

/* The index of rule_id (a pointer join_transform_alert set) in feed. */
static size_t rule_index(const rh_config_feed_t *feed, const char *rule_id) {
  for (size_t i = 0; i < feed->rule_count; i++)
    if (feed->rules[i]->id == rule_id || strcmp(feed->rules[i]->id, rule_id) == 0) return i;
  return SIZE_MAX;
}

/* Rule i of feed ranks above rule j: more severe, or as severe and earlier in
 * the configuration (the order rh_rules_select prefers within one row). */
static bool outranks(const rh_config_feed_t *feed, size_t i, size_t j) {
  rh_severity_t si = feed->rules[i]->severity, sj = feed->rules[j]->severity;
  return si > sj || (si == sj && i < j);
}

/* The person's live alert of rule q (published, not merged): its id in id. */
static bool live(join_transform_t *t, const rh_feedrecord_t *r, const rh_config_feed_t *feed,
                 size_t q, char id[RH_SHA256_HEXSZ]) {
  char mid[RH_SHA256_HEXSZ];
  rh_alert_id(r->id_number, r->department, r->feed, r->period, feed->rules[q]->id, id);
  if (!join_idset_contains(t->ids, join_idset_key(id, strlen(id)))) return false;
  join_transform_merge_id(id, mid);
  return !join_idset_contains(t->ids, join_idset_key(mid, strlen(mid)));
}

/* A merge: the withdrawal of the alert merged (m->alert_id) into the warning
 * into; m is the merged alert's record, changed here. Claimed by its id. */
static int emit_merge(join_transform_t *t, rh_alert_t *m, const char *into,
                      const join_sink_t *sink, char *errstr, size_t errstr_size) {
  char mid[RH_SHA256_HEXSZ];
  join_transform_merge_id(m->alert_id, mid);
  int c = claim(t, mid, errstr, errstr_size);
  if (c <= 0) return c;
  m->withdraws = m->alert_id;
  m->merged_into = into;
  m->alert_id = mid;
  m->situation = "WITHDRAWN";
  m->reason = MERGED_REASON;
  if (join_transform_emit(t, JOIN_ALERT_MATCHED, m, sink, errstr, errstr_size)) return -1;
  t->counts.merged++;
  return 0;
}

/* One warning per person, department, feed and month (docs/join.md, "One
 * warning per person"): a matched alert a (claimed) of a row whose person
 * already has a live alert of another rule of the feed that month. The better
 * ranked stands: if it is the live one, this row is merged into it (a merge
 * record with the row's facts, no alert); else a is published and every live
 * one is merged into it. The rows of one person are in one partition (the
 * producer's key is the ID number), read in order by one instance. */
static int matched(join_transform_t *t, const rh_feedrecord_t *r, const rh_config_feed_t *feed,
                   rh_alert_t *a, const join_sink_t *sink, char *errstr, size_t errstr_size) {
  size_t me = rule_index(feed, a->rule_id), best = SIZE_MAX;
  char best_id[RH_SHA256_HEXSZ], id[RH_SHA256_HEXSZ];
  for (size_t q = 0; me != SIZE_MAX && q < feed->rule_count; q++)
    if (q != me && live(t, r, feed, q, id) && (best == SIZE_MAX || outranks(feed, q, best))) {
      best = q;
      memcpy(best_id, id, sizeof id);
    }
  if (best != SIZE_MAX && outranks(feed, best, me))
    return emit_merge(t, a, best_id, sink, errstr, errstr_size);
  if (join_transform_emit(t, JOIN_ALERT_MATCHED, a, sink, errstr, errstr_size)) return -1;
  t->counts.alerts++;
  for (size_t q = 0; best != SIZE_MAX && q < feed->rule_count; q++) {
    if (q == me || !live(t, r, feed, q, id)) continue;
    /* the earlier row's own facts are on its alert; the merge names the rule */
    const rh_config_rule_t *rule = feed->rules[q];
    rh_alert_t m = *a;
    m.alert_id = id;
    m.rule_id = rule->id;
    m.risk = rule->risk;
    m.severity = rh_severity_name(rule->severity);
    m.risk_subtype = NULL;
    m.has_amount = m.has_event_date = false;
    m.facts = NULL;
    m.fact_count = 0;
    if (emit_merge(t, &m, a->alert_id, sink, errstr, errstr_size)) return -1;
  }
  return 0;
}

static int signal_record(join_transform_t *t, const join_input_t *in, const rh_feedrecord_t *r,
                         const rh_config_feed_t *feed, const join_sink_t *sink, int64_t now_ms,
                         char *errstr, size_t errstr_size) {
  char alert_id[RH_SHA256_HEXSZ];
  rh_alert_t a;
  join_alert_kind_t kind = join_transform_alert(t, feed, r, &a, alert_id);
  if (kind == JOIN_ALERT_NONE) {
    t->counts.no_rule++;
    return 0;
  }
  int c = claim(t, alert_id, errstr, errstr_size);
  if (c <= 0) return c;
  a.source = (rh_lineage_t){.topic = in->topic, .partition = in->partition,
                            .offset = in->offset, .batch_id = r->batch_id};
  a.created_at = now_ms;
  if (kind == JOIN_ALERT_MATCHED) return matched(t, r, feed, &a, sink, errstr, errstr_size);
  if (join_transform_emit(t, kind, &a, sink, errstr, errstr_size)) return -1;
  t->counts.unmatched++;
  return 0;
}

int join_transform_message(join_transform_t *t, const join_input_t *in, const join_sink_t *sink,
                           int64_t now_ms, char *errstr, size_t errstr_size) {
  char why[512];
  rh_feedrecord_t r;
  t->counts.records++;
  const rh_config_feed_t *feed;
  if (t->last_feed && strcmp(t->last_topic, in->topic) == 0) {
    feed = t->last_feed;
  } else if ((feed = rh_config_feed_find_topic(t->cfg, in->topic)) != NULL &&
             strlen(in->topic) < sizeof t->last_topic) {
    memcpy(t->last_topic, in->topic, strlen(in->topic) + 1);
    t->last_feed = feed;
  }
  if (!feed) {
    snprintf(why, sizeof why, "topic %s is not a feed of the configuration", in->topic);
    return join_transform_dlq(t, in, why, sink, errstr, errstr_size);
  }
  /* the current schema's records straight into r; others (older writers, to
   * resolve) through a generic value */
  int dr = rh_feedrecord_decode(&t->frc, in->value, in->value_len, &r, why, sizeof why);
  if (dr == RH_FEEDRECORD_FALLBACK) {
    rh_avro_status_t st = rh_avro_decode(t->dec, in->value, in->value_len, t->fr_schema, &t->frv,
                                         NULL, why, sizeof why);
    dr = st == RH_AVRO_OK ? 0 : -1;
    if (dr == 0 && rh_feedrecord_from_value(&t->frc, &t->frv, &r, why, sizeof why))
      return join_transform_dlq(t, in, why, sink, errstr, errstr_size);
  }
  if (dr != 0) {
    char reason[600];
    snprintf(reason, sizeof reason, "not a FeedRecord: %s", why);
    return join_transform_dlq(t, in, reason, sink, errstr, errstr_size);
  }
  if (strcmp(r.department, feed->department->code) != 0 || strcmp(r.feed, feed->code) != 0) {
    snprintf(why, sizeof why, "a record of %s/%s on the topic of %s/%s", r.department, r.feed,
             feed->department->code, feed->code);
    return join_transform_dlq(t, in, why, sink, errstr, errstr_size);
  }
  switch (feed->kind) {
  case RH_FEED_SIGNAL:
    return signal_record(t, in, &r, feed, sink, now_ms, errstr, errstr_size);
  case RH_FEED_CHECK:
    t->counts.check_records++;
    return 0;
  case RH_FEED_IDENTITY:
  default:
    t->counts.identity++;
    return 0;
  }
}
