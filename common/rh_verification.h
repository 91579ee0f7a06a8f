/*
 * rh_verification: the Verification record (schemas/Verification.avsc), one
 * step of a warning's verification at the household: riskhub-verify encodes
 * it, riskhub-ledger decodes it (docs/verify.md). What a step may be, and
 * after which state, is rh_verify's.
 *
 * Ownership: the codec owns one generic value; a decoded record's strings
 * point into it and stay valid until the next decode or free. One thread.
 */
#ifndef RH_VERIFICATION_H
#define RH_VERIFICATION_H

#include <avro.h>
#include <stdbool.h>
#include <stdint.h>

#include "rh_avro_codec.h"
#include "rh_avro_schema.h"

typedef struct {
  const char *verification_id, *alert_id, *township_code, *household_id, *outcome;
  const char *reason, *note; /* NULL when absent */
  bool has_visited_on;
  int32_t visited_on; /* days since 1970-01-01 */
  const char *recorded_by;
  int64_t recorded_at; /* UTC ms */
  const char *source;
} rh_verification_t;

enum { RH_VERIFICATION_NFIELDS = 11 };

typedef struct {
  const rh_avro_schema_t *schema;
  avro_value_t v;
  bool ready;
  int idx[RH_VERIFICATION_NFIELDS];
} rh_verification_codec_t;

/* schemas must hold riskhub.Verification and outlive the codec. 0, or -1
 * with errstr. */
int rh_verification_codec_init(rh_verification_codec_t *c, const rh_avro_schemas_t *schemas,
                               char *errstr, size_t errstr_size);
void rh_verification_codec_free(rh_verification_codec_t *c);

/* Append r's single-object encoding to buf. 0, or -1 with errstr. */
int rh_verification_encode(rh_verification_codec_t *c, const rh_verification_t *r,
                           rh_avro_buf_t *buf, char *errstr, size_t errstr_size);

/* Decode one message into *r. 0, or -1 with errstr (not a Verification, or a
 * required field empty). */
int rh_verification_decode(rh_verification_codec_t *c, rh_avro_decoder_t *dec, const void *data,
                           size_t len, rh_verification_t *r, char *errstr, size_t errstr_size);

#endif
