/*
 * rh_feedrecord: the FeedRecord (schemas/FeedRecord.avsc) as a C struct, and its
 * conversion to and from an Avro generic value.
 *
 * rh_feedrecord_codec_init() looks every field up once in the schema entry
 * (normally the current riskhub.FeedRecord of the schema set) and fails if the
 * schema lacks one; per record, rh_feedrecord_to_value() and
 * rh_feedrecord_from_value() work by cached index.
 *
 * Ownership: the struct's strings are borrowed. In to_value they are copied into
 * the value. In from_value they point into the value (valid until it is reset
 * or changed) and facts into the codec's own array (valid until the next
 * from_value, rh_feedrecord_decode or rh_feedrecord_codec_free).
 *
 * The hot paths skip Avro C's generic values: rh_feedrecord_encode (the
 * producer) writes the bytes from the struct, rh_feedrecord_decode (the join)
 * reads them into it, both only for the layout they know (c->direct) and
 * checked against the value path by the unit tests.
 */
#ifndef RH_FEEDRECORD_H
#define RH_FEEDRECORD_H

#include <avro.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rh_avro_codec.h"
#include "rh_avro_schema.h"

typedef struct {
  const char *name;
  const char *value;
} rh_fact_t;

typedef struct {
  const char *id_number;     /* 18 characters, validated */
  const char *name;          /* NULL = none */
  const char *department;
  const char *feed;
  const char *kind;          /* SIGNAL | CHECK | IDENTITY */
  const char *period;        /* YYYY-MM */
  const char *batch_id;
  int64_t row_number;
  const char *township_code; /* NULL = none */
  const char *village;       /* NULL = none */
  bool has_event_date;
  int32_t event_date;        /* days since 1970-01-01 */
  bool has_amount;
  int64_t amount_fen;
  const char *risk;          /* NULL for check/identity */
  const char *risk_subtype;  /* NULL = none */
  const rh_fact_t *facts;
  size_t fact_count;
  int64_t produced_at;       /* UTC ms */
} rh_feedrecord_t;

enum {
  RH_FR_ID_NUMBER, RH_FR_NAME, RH_FR_DEPARTMENT, RH_FR_FEED, RH_FR_KIND, RH_FR_PERIOD,
  RH_FR_BATCH_ID, RH_FR_ROW_NUMBER, RH_FR_TOWNSHIP_CODE, RH_FR_VILLAGE, RH_FR_EVENT_DATE,
  RH_FR_AMOUNT_FEN, RH_FR_RISK, RH_FR_RISK_SUBTYPE, RH_FR_FACTS, RH_FR_PRODUCED_AT,
  RH_FR_FIELD_COUNT
};

typedef struct {
  const rh_avro_schema_t *schema;
  int direct; /* the schema is the one rh_feedrecord_encode writes directly */
  int idx[RH_FR_FIELD_COUNT];
  rh_fact_t *facts; /* from_value's and decode's fact array */
  size_t facts_cap;
  char *text; /* rh_feedrecord_decode's strings, NUL-terminated */
  size_t text_cap;
} rh_feedrecord_codec_t;

/* 0, or -1 with errstr naming the missing field. */
int rh_feedrecord_codec_init(rh_feedrecord_codec_t *c, const rh_avro_schema_t *schema,
                             char *errstr, size_t errstr_size);
/* Frees the fact array and the decode buffer. The codec may be initialised again. */
void rh_feedrecord_codec_free(rh_feedrecord_codec_t *c);

/* Reset v (a value of c->schema) and fill it from r. 0 or -1 with errstr. */
int rh_feedrecord_to_value(rh_feedrecord_codec_t *c, const rh_feedrecord_t *r, avro_value_t *v,
                           char *errstr, size_t errstr_size);
/* Append the single-object encoding of r to buf, straight from the struct:
 * no Avro C value, no allocation once buf is large enough. Used on the
 * producer's hot path; the unit test checks it is byte-identical to encoding
 * through an Avro C value. Falls back to that path (c->direct == 0) when the
 * schema is not the field layout this writer knows. 0 or -1 with errstr. */
int rh_feedrecord_encode(rh_feedrecord_codec_t *c, const rh_feedrecord_t *r, avro_value_t *scratch,
                         rh_avro_buf_t *buf, char *errstr, size_t errstr_size);

/* Read r from v (a value of c->schema). 0 or -1 with errstr. */
int rh_feedrecord_from_value(rh_feedrecord_codec_t *c, avro_value_t *v, rh_feedrecord_t *r,
                             char *errstr, size_t errstr_size);

/* rh_feedrecord_decode's "not here: use the generic path" result. */
#define RH_FEEDRECORD_FALLBACK 1
/* Map entries (counted as the blocks announce them, a repeated key too) a
 * record may have for rh_feedrecord_decode to read it itself (it merges
 * repeated keys by a pairwise comparison); more is RH_FEEDRECORD_FALLBACK. */
#define RH_FEEDRECORD_DIRECT_MAX_FACTS 64

/* Decode a single-object FeedRecord of len bytes straight into r, without an
 * Avro C value: the consumer's hot path. Only for messages written with
 * c->schema itself (the writer fingerprint is c->schema's) when c->direct;
 * the result is what rh_avro_decode with c->schema as the reader +
 * rh_feedrecord_from_value give (the unit tests compare them), with the same
 * checks (every length and count bounded by the bytes left, varint limits,
 * union branch range, strings and map keys valid UTF-8, keys without NUL, no
 * trailing bytes; never a read outside data[0..len)) and, on error, the same
 * message (field and byte offset, never data). A map key given twice is one
 * fact, where it first appears, with the last value (as in an Avro C map).
 *
 * Returns 0 (r filled: strings NUL-terminated in the codec's buffer, facts in
 * its array, both valid until the next rh_feedrecord_decode or
 * rh_feedrecord_from_value or rh_feedrecord_codec_free), -1 with errstr
 * (not single-object encoded, truncated, corrupt), or RH_FEEDRECORD_FALLBACK
 * (errstr untouched) when another writer schema wrote it, c->direct is 0, or
 * its facts map announces more than RH_FEEDRECORD_DIRECT_MAX_FACTS entries:
 * decode it with rh_avro_decode and rh_feedrecord_from_value then. */
int rh_feedrecord_decode(rh_feedrecord_codec_t *c, const void *data, size_t len,
                         rh_feedrecord_t *r, char *errstr, size_t errstr_size);

#endif
