/*
 * rh_scale: the ScaleRisk record (schemas/ScaleRisk.avsc) of the county topic
 * riskhub.scale-risks: a risk of large-scale return to poverty in one place and
 * month (riskhub-scale writes it; riskhub-status and riskhub-alerts read it;
 * docs/scale.md).
 *
 * Ownership: a codec owns one generic value; a decoded record's strings and
 * arrays point into it (the arrays into the codec's own buffers) and stay
 * valid until the next decode or free. One thread a codec. Functions return 0,
 * or -1 with errstr.
 */
#ifndef RH_SCALE_H
#define RH_SCALE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rh_avro_codec.h"
#include "rh_avro_schema.h"
#include "rh_config.h"
#include "rh_hash.h"

/* The county topic's name after the prefix. */
#define RH_SCALE_TOPIC "riskhub.scale-risks"
#define RH_SCALE_ID_HEXSZ 33 /* 32 hex digits and a NUL */

typedef enum { RH_SCALE_RAISED = 0, RH_SCALE_UPDATED, RH_SCALE_CLEARED } rh_scale_status_t;

/* "RAISED", "UPDATED", "CLEARED"; "?" out of range. */
const char *rh_scale_status_name(rh_scale_status_t s);
/* By name: 0 and *out, or -1. */
int rh_scale_status_parse(const char *name, rh_scale_status_t *out);

typedef struct {
  const char *scale_risk_id, *rule_id, *period, *place_level, *township_code, *village;
  const char *const *risks;
  size_t risk_count;
  rh_scale_status_t status;
  int64_t version, households, place_households;
  double baseline;
  const char *const *household_ids;
  size_t household_count;
  const char *const *alert_ids;
  size_t alert_count;
  int64_t since, created_at; /* UTC ms */
  const char *content;       /* hex SHA-256 (rh_scale_content) */
} rh_scale_record_t;

/* The key of (rule, place, month): 32 hex digits of SHA-256 over
 * "riskhub-scale-v1", rule id, township code, village ("" for a township) and
 * period, each followed by a NUL byte. */
void rh_scale_id(const char *rule_id, const char *township_code, const char *village,
                 const char *period, char out[RH_SCALE_ID_HEXSZ]);

/* Hex SHA-256 over "OPEN" (RAISED or UPDATED) or "CLEARED", every household
 * id, an empty string, then every alert id, each followed by a NUL byte: two
 * versions with the same content say the same. */
void rh_scale_content(bool open, const char *const *household_ids, size_t nh,
                      const char *const *alert_ids, size_t na, char out[RH_SHA256_HEXSZ]);

enum { RH_SCALE_NFIELDS = 17 };

typedef struct {
  const rh_avro_schema_t *s;
  avro_value_t v;
  bool ready;
  int idx[RH_SCALE_NFIELDS];
  const char **strs; /* a decoded record's arrays */
  size_t strs_cap;
} rh_scale_codec_t;

/* schemas must hold riskhub.ScaleRisk. */
int rh_scale_codec_init(rh_scale_codec_t *c, const rh_avro_schemas_t *schemas, char *errstr,
                        size_t errstr_size);
void rh_scale_codec_free(rh_scale_codec_t *c);
int rh_scale_encode(rh_scale_codec_t *c, const rh_scale_record_t *r, rh_avro_buf_t *buf,
                    char *errstr, size_t errstr_size);
/* A record whose key fields are empty, or whose status or place is unknown, is
 * refused. */
int rh_scale_decode(rh_scale_codec_t *c, rh_avro_decoder_t *dec, const void *data, size_t len,
                    rh_scale_record_t *r, char *errstr, size_t errstr_size);

#endif
