/*
 * rh_avro_codec: Avro single-object encoding and decoding with schema
 * resolution that applies the reader's defaults.
 *
 * Wire format (Avro specification, "Single-object encoding"):
 *   C3 01 | CRC-64-AVRO fingerprint of the writer schema's PCF, 8 bytes
 *   little-endian | the Avro binary encoding of the datum.
 * The bytes themselves (varints, lengths, the header) are read and written by
 * rh_avro_wire, shared with the direct codecs (rh_feedrecord, rh_alert).
 *
 * Encoding uses Avro C (avro_value_sizeof, then avro_value_write into the
 * caller's buffer). Decoding does NOT use Avro C's reader: it reads the bytes
 * itself, bounds-checking every length, count and varint (Avro C's reader
 * trusts lengths from the data), and writes straight into a generic value of
 * the READER schema through a resolution plan compiled once per (writer, reader)
 * pair:
 *   - fields the writer lacks take the reader field's JSON "default" (error if
 *     there is none); fields the reader lacks are skipped; reader field aliases
 *     count as names;
 *   - promotions int→long/float/double, long→float/double, float→double,
 *     string↔bytes;
 *   - enums by symbol name; a writer symbol the reader lacks takes the reader
 *     enum's "default", else RH_AVRO_ERESOLVE;
 *   - unions: a writer branch goes to the first reader branch of the same type
 *     (same unqualified name for named types), else the first it promotes to;
 *     a writer union read by a non-union reader must hit a resolvable branch;
 *   - named types match by unqualified name (type aliases are not supported);
 *     fixed also by size;
 *   - anything else that does not fit is RH_AVRO_ERESOLVE naming the field.
 *     Resolution problems in union branches or enum symbols surface only when
 *     a record actually uses them (as the spec says).
 * Strings read into a reader string must be valid UTF-8 (PostgreSQL would
 * reject them later anyway).
 */
#ifndef RH_AVRO_CODEC_H
#define RH_AVRO_CODEC_H

#include <avro.h>
#include <stddef.h>
#include <stdint.h>

#include "rh_avro_schema.h"
#include "rh_avro_wire.h" /* RH_AVRO_MAGIC*, RH_AVRO_HEADER_LEN, rh_avro_wire_peek_fingerprint */

/* Nesting (records, arrays, maps, unions) deeper than this is RH_AVRO_ELIMIT. */
#define RH_AVRO_MAX_DEPTH 64
/* Items of zero-byte types (null, empty records) allowed per message: a count
 * is otherwise bounded by the bytes left. */
#define RH_AVRO_MAX_EMPTY_ITEMS 65536

/* ---- Buffer --------------------------------------------------------------- */

/* A growable byte buffer owned by the caller. Encoding appends at len; reset
 * len to 0 (rh_avro_buf_clear) to reuse the memory: once cap is large enough,
 * encoding allocates nothing. Not thread-safe (one per thread). */
typedef struct rh_avro_buf {
  unsigned char *data;
  size_t len;
  size_t cap;
  avro_writer_t writer; /* internal: a memory writer re-pointed at data each time */
} rh_avro_buf_t;

#define RH_AVRO_BUF_INIT {NULL, 0, 0, NULL}

void rh_avro_buf_init(rh_avro_buf_t *buf);
/* len = 0, memory kept. */
void rh_avro_buf_clear(rh_avro_buf_t *buf);
/* Frees the memory and the writer; buf is empty afterwards. NULL does nothing. */
void rh_avro_buf_free(rh_avro_buf_t *buf);
/* Make room for `extra` more bytes. 0 ok, -1 out of memory (buf unchanged). */
int rh_avro_buf_reserve(rh_avro_buf_t *buf, size_t extra);

/* ---- Encoding ------------------------------------------------------------- */

/* Append the single-object encoding of value (whose schema must be
 * schema->schema: a value made from schema->iface, or of an equal schema) to
 * buf. The message is buf->data[old len .. buf->len). On error buf->len is
 * unchanged and errstr says why: RH_AVRO_EINVAL (NULL, value of another
 * schema), RH_AVRO_ENOMEM, RH_AVRO_EAVRO (e.g. a union without a branch).
 * Thread-safe for different buffers. */
rh_avro_status_t rh_avro_encode(const rh_avro_schema_t *schema, avro_value_t *value,
                                rh_avro_buf_t *buf, char *errstr, size_t errstr_size);

/* ---- Decoding ------------------------------------------------------------- */

/* A decoder: the resolution plans compiled so far and a scratch buffer. It
 * borrows the set, which must outlive it. Not thread-safe: one per thread.
 * NULL only when out of memory. */
typedef struct rh_avro_decoder rh_avro_decoder_t;
rh_avro_decoder_t *rh_avro_decoder_new(const rh_avro_schemas_t *set);
/* Frees the plans and buffers. NULL does nothing. */
void rh_avro_decoder_destroy(rh_avro_decoder_t *dec);

/* Decode one single-object message of len bytes into dest.
 *
 * reader: the schema to read as (an entry of the decoder's set, normally its
 *   current version, rh_avro_schemas_get); dest must be a value of
 *   reader->schema (made from reader->iface). NULL reader = the writer's own
 *   schema: then dest must be a value of the writer's schema (find it first
 *   with rh_avro_wire_peek_fingerprint and rh_avro_schemas_by_fingerprint).
 * dest is reset first; on error it holds a partial record (reset or reuse it).
 * *writer_out (if not NULL) is set to the writer's entry when it was found,
 *   NULL otherwise.
 *
 * Returns RH_AVRO_OK, or: RH_AVRO_EINVAL, RH_AVRO_EMAGIC, RH_AVRO_ETRUNCATED,
 * RH_AVRO_EUNKNOWN (fingerprint in hex in errstr), RH_AVRO_ETRAILING,
 * RH_AVRO_EVARINT, RH_AVRO_ELENGTH, RH_AVRO_EDATA, RH_AVRO_ELIMIT,
 * RH_AVRO_ERESOLVE, RH_AVRO_ENOMEM, RH_AVRO_EAVRO. Never reads outside
 * data[0..len). Error messages name the field and the byte offset in the
 * message; they never contain data values. */
rh_avro_status_t rh_avro_decode(rh_avro_decoder_t *dec, const void *data, size_t len,
                                const rh_avro_schema_t *reader, avro_value_t *dest,
                                const rh_avro_schema_t **writer_out, char *errstr,
                                size_t errstr_size);

#endif
