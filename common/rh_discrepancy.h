/*
 * rh_discrepancy: the Discrepancy record (schemas/Discrepancy.avsc) of the
 * township topics identity.<township>: where public security's identity list
 * and the registry disagree about one person (riskhub-identity writes it;
 * docs/identity.md).
 *
 * Ownership: a codec owns one generic value; a decoded record's strings point
 * into it and stay valid until the next decode or free. One thread a codec.
 * Functions return 0, or -1 with errstr (which never holds an ID number).
 */
#ifndef RH_DISCREPANCY_H
#define RH_DISCREPANCY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rh_avro_codec.h"
#include "rh_avro_schema.h"
#include "rh_config.h"
#include "rh_hash.h"

/* The topic of a township's discrepancies after the prefix: "identity.<code>";
 * of those whose township is not the configuration's: "identity.unmatched". */
#define RH_DISCREPANCY_TOPIC_PREFIX "identity."
#define RH_DISCREPANCY_UNMATCHED "unmatched"

typedef enum { RH_DISC_OPEN = 0, RH_DISC_UPDATED, RH_DISC_CLOSED } rh_disc_status_t;

/* The kinds of discrepancy, in docs/identity.md's order (join_identity's
 * enum follows it): the code a record carries and the township's 中文 term. */
enum { RH_DISC_KIND_COUNT = 10 };

/* The k-th kind's code ("NOT_IN_REGISTRY", ...) or label ("系统中无此人", ...):
 * static strings; NULL for k out of range. */
const char *rh_disc_kind_code(size_t k);
const char *rh_disc_kind_label(size_t k);
/* A code's index (0 .. RH_DISC_KIND_COUNT - 1), or -1 for a code this
 * program does not know (NULL too). */
int rh_disc_kind_index(const char *code);

/* "OPEN", "UPDATED", "CLOSED"; "?" out of range. _parse: 0 and *out, or -1. */
const char *rh_disc_status_name(rh_disc_status_t s);
int rh_disc_status_parse(const char *name, rh_disc_status_t *out);

typedef struct {
  const char *discrepancy_id;
  rh_disc_status_t status;
  int64_t version;
  const char *kind, *period, *township_code, *household_id, *person_id_number;
  const char *registry_value, *list_value, *department, *feed, *batch_id;
  int64_t since, created_at; /* UTC ms */
  const char *content;       /* rh_discrepancy_content */
} rh_discrepancy_t;

/* "<prefix>identity.<township>" (township "" or not the configuration's:
 * identity.unmatched) into buf. 0, or -1 (too long). */
int rh_discrepancy_topic(const rh_config_t *cfg, const char *township_code, char *buf,
                         size_t size);

/* Every township topic: the configuration's townships in order, then
 * identity.unmatched (names[n - 1]); full names, with the prefix. */
typedef struct {
  char (*buf)[256];
  const char **names;
  size_t n;
} rh_disc_topics_t;

/* 0; -1 out of memory; -2 a name too long (t zeroed either way then).
 * rh_discrepancy_topics_free on a zeroed one is fine. */
int rh_discrepancy_topics(const rh_config_t *cfg, rh_disc_topics_t *t);
void rh_discrepancy_topics_free(rh_disc_topics_t *t);

/* Hex SHA-256 over "OPEN" (OPEN or UPDATED) or "CLOSED", then kind, township,
 * household, registry value and list value, each followed by a NUL byte: two
 * versions with the same content say the same. */
void rh_discrepancy_content(bool open, const rh_discrepancy_t *d, char out[RH_SHA256_HEXSZ]);

enum { RH_DISC_NFIELDS = 16 };

typedef struct {
  const rh_avro_schema_t *s;
  avro_value_t v;
  bool ready;
  int idx[RH_DISC_NFIELDS];
} rh_discrepancy_codec_t;

/* schemas must hold riskhub.Discrepancy. */
int rh_discrepancy_codec_init(rh_discrepancy_codec_t *c, const rh_avro_schemas_t *schemas,
                              char *errstr, size_t errstr_size);
void rh_discrepancy_codec_free(rh_discrepancy_codec_t *c);
int rh_discrepancy_encode(rh_discrepancy_codec_t *c, const rh_discrepancy_t *d, rh_avro_buf_t *buf,
                          char *errstr, size_t errstr_size);
/* A record without its id, kind, period or person, or of an unknown status,
 * is refused. */
int rh_discrepancy_decode(rh_discrepancy_codec_t *c, rh_avro_decoder_t *dec, const void *data,
                          size_t len, rh_discrepancy_t *d, char *errstr, size_t errstr_size);

#endif
