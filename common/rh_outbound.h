/*
 * rh_outbound: the bureau's monthly pushes to the departments (docs/outbound.md):
 * what riskhub-push writes and riskhub-receive reads.
 *
 * - Two kinds of push: applicants (the households that applied to be monitored
 *   in the month, to the departments with a check feed) and
 *   new-monitoring-objects (the households included as monitoring objects in
 *   the month, to every department). Topic outbound.<department>.<kind>, one
 *   partition, under the configuration's topic_prefix.
 * - Each push: one OutboundRecord a person (key: household id; header
 *   riskhub.type = record), then one OutboundManifest (key: push id; header
 *   riskhub.type = manifest), all in one Kafka transaction.
 * - The push id chains the pushes of one (department, kind, period): hex
 *   SHA-256 over department, kind, period, the id of the push before it on the
 *   topic ("" for the first) and the hex SHA-256 of its content (every
 *   record's fields), each followed by a NUL byte (rh_outbound_push_id_*). The
 *   manifest carries the previous id. A run whose content is the last push's
 *   content (its id, chained on the last push's previous id, is the last
 *   push's id) sends nothing; any other content, even one sent before the
 *   last push (A, B, A), is a new push with a new id.
 *
 * Ownership: a codec owns one generic value per schema; a decoded record's
 * strings point into it and stay valid until the next decode or free. One
 * thread a codec. Functions return 0, or -1 with errstr.
 */
#ifndef RH_OUTBOUND_H
#define RH_OUTBOUND_H

#include <avro.h>
#include <stdbool.h>
#include <stdint.h>

#include "rh_avro_codec.h"
#include "rh_avro_schema.h"
#include "rh_config.h"
#include "rh_hash.h"

typedef enum { RH_OUTBOUND_APPLICANTS = 0, RH_OUTBOUND_NEW_OBJECTS, RH_OUTBOUND_KIND_COUNT } rh_outbound_kind_t;

/* "applicants", "new-monitoring-objects". */
const char *rh_outbound_kind_name(rh_outbound_kind_t k);
/* By name; 0 and *out, or -1. */
int rh_outbound_kind_parse(const char *name, rh_outbound_kind_t *out);

/* Whether department d receives pushes of kind k: applicants go to the
 * departments with at least one check feed (they compare the applicants with
 * their lists), new monitoring objects to every department. */
bool rh_outbound_receives(const rh_config_department_t *d, rh_outbound_kind_t k);

/* "<prefix>outbound.<department>.<kind>" into buf. 0, or -1 (too long). */
int rh_outbound_topic(const rh_config_t *cfg, const char *department, rh_outbound_kind_t k,
                      char *buf, size_t size);

/* The header naming what a message of an outbound topic is. */
#define RH_OUTBOUND_HEADER "riskhub.type"
#define RH_OUTBOUND_TYPE_RECORD "record"
#define RH_OUTBOUND_TYPE_MANIFEST "manifest"

typedef struct {
  const char *push_id, *household_id, *id_number, *name;
  const char *township_code, *village; /* NULL for applicants */
} rh_outbound_record_t;

typedef struct {
  const char *push_id, *department, *kind, *period;
  int64_t record_count, household_count;
  int64_t created_at; /* UTC ms */
  const char *previous_push_id; /* the push before it of (department, kind, period); "" none */
} rh_outbound_manifest_t;

enum { RH_OUTBOUND_RECORD_NFIELDS = 6, RH_OUTBOUND_MANIFEST_NFIELDS = 8 };

typedef struct {
  const rh_avro_schema_t *rs, *ms;
  avro_value_t rv, mv;
  bool rready, mready;
  int ridx[RH_OUTBOUND_RECORD_NFIELDS], midx[RH_OUTBOUND_MANIFEST_NFIELDS];
} rh_outbound_codec_t;

/* schemas must hold riskhub.OutboundRecord and riskhub.OutboundManifest and
 * outlive the codec. */
int rh_outbound_codec_init(rh_outbound_codec_t *c, const rh_avro_schemas_t *schemas,
                           char *errstr, size_t errstr_size);
void rh_outbound_codec_free(rh_outbound_codec_t *c);

int rh_outbound_record_encode(rh_outbound_codec_t *c, const rh_outbound_record_t *r,
                              rh_avro_buf_t *buf, char *errstr, size_t errstr_size);
int rh_outbound_record_decode(rh_outbound_codec_t *c, rh_avro_decoder_t *dec, const void *data,
                              size_t len, rh_outbound_record_t *r, char *errstr,
                              size_t errstr_size);
int rh_outbound_manifest_encode(rh_outbound_codec_t *c, const rh_outbound_manifest_t *m,
                                rh_avro_buf_t *buf, char *errstr, size_t errstr_size);
int rh_outbound_manifest_decode(rh_outbound_codec_t *c, rh_avro_decoder_t *dec,
                                const void *data, size_t len, rh_outbound_manifest_t *m,
                                char *errstr, size_t errstr_size);

/* The push id, incrementally over the records as they come (the receiver
 * learns the period and the previous id from the manifest, after them):
 * _begin (NULL: out of memory), one _add a record (push_id of r is ignored;
 * NULL place fields hash as empty), _end writes the hex id of the push of
 * department, kind, period whose previous push is previous ("" or NULL: the
 * first) and frees h. */
rh_sha256_t *rh_outbound_push_id_begin(void);
void rh_outbound_push_id_add(rh_sha256_t *h, const rh_outbound_record_t *r);
void rh_outbound_push_id_end(rh_sha256_t *h, const char *department, rh_outbound_kind_t k,
                             const char *period, const char *previous,
                             char out[RH_SHA256_HEXSZ]);
/* The id from the content's digest (hex SHA-256 of the records' fields). */
void rh_outbound_push_id_chain(const char *department, rh_outbound_kind_t k, const char *period,
                               const char *previous, const char *content_hex,
                               char out[RH_SHA256_HEXSZ]);
/* Whether s is 64 lower-case hex digits. */
bool rh_outbound_push_id_valid(const char *s);

#endif
