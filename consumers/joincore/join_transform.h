/*
 * join_transform: what the join does with ONE consumed feed record
 * (docs/join.md, "Records"), without Kafka or PostgreSQL: those are behind
 * the sink, so unit tests drive it with a registry built by hand.
 *
 *   undecodable, or not a record of the topic's feed  → riskhub.dlq (bytes as
 *        consumed; headers error, source.topic, source.partition, source.offset)
 *   signal, person in the registry, a rule selects    → Alert to
 *        alerts.<township> keyed by household id (riskhub-ledger makes the
 *        warnings row from that topic: docs/ledger.md)
 *   signal, person in the registry, no rule           → counted (no_rule)
 *   signal, person not in the registry                → Alert UNMATCHED to
 *        alerts.unmatched keyed by ID number
 *   an alert id published before                      → counted (duplicates)
 *   check, identity                                   → counted (check results
 *        come from the batch's manifest: join_checks.h)
 *
 * Counters are those of the open transaction: the loop adds them to its
 * totals when the transaction commits, and zeroes them when it aborts.
 */
#ifndef JOIN_TRANSFORM_H
#define JOIN_TRANSFORM_H

#include <avro.h>
#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

#include "join_idset.h"
#include "rh_hash.h"
#include "rh_alert.h"
#include "rh_avro_codec.h"
#include "rh_config.h"
#include "rh_feedrecord.h"
#include "rh_regmap.h"
#include "rh_rules.h"

#define JOIN_TOPIC_MAX 256

/* Where the outputs go. send: produce one message (key, value copied;
 * headers taken, may be NULL); 0, or -1 with errstr (the transaction must
 * abort). */
typedef struct {
  int (*send)(void *arg, const char *topic, const void *key, size_t key_len, const void *value,
              size_t value_len, rd_kafka_headers_t *headers, char *errstr, size_t errstr_size);
  void *arg;
} join_sink_t;

typedef struct {
  uint64_t records, alerts, unmatched, no_rule, duplicates, dlq, check_records, identity;
  uint64_t manifests, checks;
  uint64_t withdrawn; /* withdrawals of a corrected list (join_withdraw.h) */
  uint64_t merged;    /* rows merged into the person's warning of the month (join_transform_merge_id) */
} join_counts_t;

void join_counts_add(join_counts_t *to, const join_counts_t *from);

/* One consumed message. */
typedef struct {
  const char *topic;
  int32_t partition;
  int64_t offset;
  const void *key;
  size_t key_len;
  const void *value;
  size_t value_len;
} join_input_t;

typedef struct {
  const rh_config_t *cfg;
  rh_avro_decoder_t *dec;
  const rh_avro_schema_t *fr_schema, *alert_schema;
  rh_feedrecord_codec_t frc;
  rh_alert_codec_t alc;
  avro_value_t frv, alv;
  rh_avro_buf_t buf;
  join_idset_t *ids;      /* borrowed */
  const rh_regmap_t *map; /* borrowed; set before each use (catch-up replaces pointers) */
  join_counts_t counts;   /* of the open transaction */
  char dlq_topic[JOIN_TOPIC_MAX], unmatched_topic[JOIN_TOPIC_MAX];
  /* "<prefix>alerts." kept in place; each alert writes its township after it
   * (an snprintf an alert was ~900 instructions, a tenth of the transform) */
  char alerts_topic[JOIN_TOPIC_MAX];
  size_t alerts_prefix_len;
  /* the feed of the last topic seen: records come in runs of one partition,
   * so most look-ups are one comparison instead of a scan of the config */
  char last_topic[JOIN_TOPIC_MAX];
  const rh_config_feed_t *last_feed;
} join_transform_t;

/* schemas must hold riskhub.FeedRecord and riskhub.Alert and outlive t.
 * 0, or -1 with errstr. */
int join_transform_init(join_transform_t *t, const rh_config_t *cfg,
                        const rh_avro_schemas_t *schemas, join_idset_t *ids, char *errstr,
                        size_t errstr_size);
void join_transform_free(join_transform_t *t);

/* Handle one message of a feed topic. 0 handled (and counted), or -1 with
 * errstr when an output could not be sent (abort the transaction). */
int join_transform_message(join_transform_t *t, const join_input_t *in, const join_sink_t *sink,
                           int64_t now_ms, char *errstr, size_t errstr_size);

/* Send in's bytes unchanged to the dead-letter topic with the reason. Used for
 * undecodable manifests too. 0 or -1 as above. */
int join_transform_dlq(join_transform_t *t, const join_input_t *in, const char *why,
                       const join_sink_t *sink, char *errstr, size_t errstr_size);

/* What rh_rules asks about a registry household: its type and monitoring
 * category as the database's codes (static strings; NULL category unless
 * monitored), risk_eliminated, and its income (has_income true). h NULL:
 * *out zeroed. Cannot fail. */
void join_transform_rule_household(const rh_regmap_household_t *h, rh_rule_household_t *out);

/* "<prefix>alerts.<township>" into out. */
void join_alerts_topic(const rh_config_t *cfg, const char *township, char *out, size_t size);

/* The alert a signal record r of feed raises against the registry t->map: the
 * one rule selection of the join (signal records, and the corrections of
 * join_withdraw.h, which recompute a superseded list's alerts). */
typedef enum { JOIN_ALERT_NONE, JOIN_ALERT_MATCHED, JOIN_ALERT_UNMATCHED } join_alert_kind_t;
/* NONE: the person is in the registry and no rule selects; *a and alert_id
 * undefined. Else *a filled (its alert_id points at alert_id, computed; strings
 * borrowed from r, the registry and the config) but for source and created_at. */
join_alert_kind_t join_transform_alert(join_transform_t *t, const rh_config_feed_t *feed,
                                       const rh_feedrecord_t *r, rh_alert_t *a,
                                       char alert_id[RH_SHA256_HEXSZ]);
/* Where such an alert goes: alerts.<township> (kind MATCHED) or alerts.unmatched;
 * the result is t's buffer or spare (JOIN_TOPIC_MAX), valid until the next call. */
const char *join_transform_alert_topic(join_transform_t *t, join_alert_kind_t kind,
                                       const rh_alert_t *a, char *spare, size_t spare_size);
/* One warning per person, department, feed and month (docs/join.md, "One
 * warning per person"): a signal row whose person already has a live alert of a
 * rule ranked above its own (more severe, or as severe and earlier in the
 * config) that month from the feed is not raised but merged into it, and a row
 * ranked above the live alert is raised and the live one merged into it. A
 * merge is a withdrawal (situation WITHDRAWN) of the merged alert, merged_into
 * naming the warning that stands, with the merged row's facts (the row merged)
 * or the rule only (an alert merged: its facts are on its record); its id, into
 * out: SHA-256 over "riskhub-merge-v1" and the merged alert's id. */
void join_transform_merge_id(const char *merged_alert_id, char out[RH_SHA256_HEXSZ]);
/* Encode a and send it to its topic, keyed by household id (MATCHED) or ID
 * number (UNMATCHED). 0, or -1 with errstr. */
int join_transform_emit(join_transform_t *t, join_alert_kind_t kind, const rh_alert_t *a,
                        const join_sink_t *sink, char *errstr, size_t errstr_size);

#endif
