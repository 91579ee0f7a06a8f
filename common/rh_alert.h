/*
 * rh_alert: the Alert (schemas/Alert.avsc) as a C struct, and its conversion
 * to and from an Avro generic value — for the join (writes alerts), the
 * replay (compares them) and the township tools (read them).
 *
 * Ownership as in rh_feedrecord.h: strings are borrowed; from_value points
 * into the value (valid until it is reset) and facts into the codec.
 */
#ifndef RH_ALERT_H
#define RH_ALERT_H

#include <avro.h>
#include <stdbool.h>
#include <stdint.h>

#include "rh_avro_schema.h"
#include "rh_feedrecord.h"

typedef struct {
  const char *topic;
  int32_t partition;
  int64_t offset;
  const char *batch_id;
} rh_lineage_t;

typedef struct {
  const char *alert_id;
  const char *situation; /* AT_NEW_RISK | MAY_NEED_MONITORING | RISK_MAY_HAVE_RETURNED | UNMATCHED | WITHDRAWN */
  const char *township_code, *village, *household_id, *household_type, *monitoring_category;
  bool risk_eliminated;
  const char *person_id_number, *person_name, *relation_to_head;
  const char *risk, *risk_subtype, *severity, *rule_id, *reason;
  const char *department, *feed, *period;
  bool has_amount;
  int64_t amount_fen;
  bool has_event_date;
  int32_t event_date;
  const rh_fact_t *facts;
  size_t fact_count;
  rh_lineage_t source;
  int64_t created_at;
  const char *withdraws; /* NULL an alert; a withdrawal (situation WITHDRAWN): the alert it withdraws */
  const char *merged_into; /* NULL but on a merge (a withdrawal): the warning that stands for it */
} rh_alert_t;

enum {
  RH_AL_ALERT_ID, RH_AL_SITUATION, RH_AL_TOWNSHIP, RH_AL_VILLAGE, RH_AL_HOUSEHOLD_ID,
  RH_AL_HOUSEHOLD_TYPE, RH_AL_CATEGORY, RH_AL_RISK_ELIMINATED, RH_AL_PERSON_ID, RH_AL_PERSON_NAME,
  RH_AL_RELATION, RH_AL_RISK, RH_AL_RISK_SUBTYPE, RH_AL_SEVERITY, RH_AL_RULE_ID, RH_AL_REASON,
  RH_AL_DEPARTMENT, RH_AL_FEED, RH_AL_PERIOD, RH_AL_AMOUNT, RH_AL_EVENT_DATE, RH_AL_FACTS,
  RH_AL_SOURCE, RH_AL_WITHDRAWS, RH_AL_MERGED_INTO, RH_AL_CREATED_AT, RH_AL_FIELD_COUNT
};
enum { RH_LN_TOPIC, RH_LN_PARTITION, RH_LN_OFFSET, RH_LN_BATCH_ID, RH_LN_FIELD_COUNT };

typedef struct {
  const rh_avro_schema_t *schema;
  int direct; /* the schema is the layout rh_alert_encode writes directly */
  int idx[RH_AL_FIELD_COUNT];
  int lineage_idx[RH_LN_FIELD_COUNT];
  rh_fact_t *facts;
  size_t facts_cap;
} rh_alert_codec_t;

/* 0, or -1 with errstr naming the missing field. */
int rh_alert_codec_init(rh_alert_codec_t *c, const rh_avro_schema_t *schema, char *errstr,
                        size_t errstr_size);
void rh_alert_codec_free(rh_alert_codec_t *c);
/* Reset v (a value of c->schema) and fill it. 0 or -1 with errstr naming the field. */
int rh_alert_to_value(rh_alert_codec_t *c, const rh_alert_t *a, avro_value_t *v, char *errstr,
                      size_t errstr_size);
int rh_alert_from_value(rh_alert_codec_t *c, avro_value_t *v, rh_alert_t *a, char *errstr,
                        size_t errstr_size);

/* Facts an alert may have for rh_alert_encode to write them itself; more go
 * through the Avro C value (the direct writer merges repeated fact names the
 * way an Avro C map does, by a pairwise comparison). */
#define RH_ALERT_DIRECT_MAX_FACTS 64

/* Append the single-object encoding of a to buf straight from the struct, as
 * rh_feedrecord_encode does for feed records: the very bytes rh_alert_to_value
 * + rh_avro_encode give (the unit test compares them), including a fact name
 * given twice (one map entry where the name first appears, with the last
 * value). No allocation once buf is large enough. Goes through scratch (a
 * value of c->schema) and Avro C instead when the schema is not the layout
 * the direct writer knows (c->direct == 0) or a has more than
 * RH_ALERT_DIRECT_MAX_FACTS facts. 0, or -1 with errstr naming the field
 * (as rh_alert_to_value); buf->len is unchanged on error. */
int rh_alert_encode(rh_alert_codec_t *c, const rh_alert_t *a, avro_value_t *scratch,
                    rh_avro_buf_t *buf, char *errstr, size_t errstr_size);

#endif
