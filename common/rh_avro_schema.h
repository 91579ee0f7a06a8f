/*
 * rh_avro_schema: Avro schemas as riskhub uses them.
 *
 * - Parsing Canonical Form (PCF) exactly as the Avro specification defines it
 *   (and as Java's SchemaNormalization and fastavro compute it), made from the
 *   schema's JSON with jansson, not from Avro C's parsed schema.
 * - The CRC-64-AVRO (Rabin) fingerprint of the PCF.
 * - A schema set: every *.avsc of a directory (current versions, the readers)
 *   and of its history/ subdirectory (older versions, writers only), looked up
 *   by full name (current version) or by fingerprint (any version).
 *
 * Fingerprints are uint64_t values. On the wire (single-object encoding) they are
 * written little-endian; as text (rh_avro_fingerprint_hex, log lines, the
 * BatchManifest schema_fingerprint field) they are the number in hex, most
 * significant digit first, 16 lower-case digits: the same digits as Java's
 * Long.toHexString. Python's `fingerprint().hex()` (avro) and fastavro's
 * fingerprint() return the little-endian BYTES in hex, i.e. the reverse byte
 * order.
 *
 * Schema files are validated more strictly than Avro C does (Avro C 1.11 accepts
 * duplicate field names, duplicate union branches, a record named "int", and
 * defaults of the wrong type): names, namespaces, references, union rules, enum
 * symbols, fixed sizes and every field default are checked when loading.
 * Each file must be self-contained (no references to types of other files).
 * Where implementations differ, Java decides: {"type": "Name"} is a reference
 * to a named type, and a short reference not defined in the enclosing
 * namespace falls back to the null namespace (fastavro 1.13 rejects both;
 * python-avro 1.12 also deviates on logical types and "namespace": "").
 * Aliases are kept out of the PCF as the spec says; reader field aliases are
 * honoured by rh_avro_codec, type aliases are not.
 *
 * Thread safety: a set is built by one thread; once loading is done, lookups
 * and the entries are read-only and may be shared between threads.
 */
#ifndef RH_AVRO_SCHEMA_H
#define RH_AVRO_SCHEMA_H

#include <avro.h>
#include <stddef.h>
#include <stdint.h>

/* Status codes of rh_avro_schema and rh_avro_codec. Every function that returns
 * one also writes a one-line English message into errstr (when errstr is not
 * NULL and errstr_size > 0); on RH_AVRO_OK errstr is left alone. */
typedef enum {
  RH_AVRO_OK = 0,
  RH_AVRO_EINVAL,     /* bad argument: NULL, a value of another schema, a reader of another set */
  RH_AVRO_ENOMEM,     /* out of memory */
  RH_AVRO_EIO,        /* a schema file or directory could not be read */
  RH_AVRO_ESCHEMA,    /* not a valid schema: JSON syntax, unknown type or reference,
                         invalid name, union rules, enum symbols, a default that
                         does not fit its type */
  RH_AVRO_EDUPLICATE, /* two current schemas with one full name, or two different
                         schemas with one fingerprint */
  RH_AVRO_EAVRO,      /* Avro C refused (its avro_strerror() text is copied) */
  RH_AVRO_EMAGIC,     /* not single-object encoded: the first two bytes are not C3 01 */
  RH_AVRO_EUNKNOWN,   /* the writer's fingerprint is not in the set (printed in hex) */
  RH_AVRO_ETRUNCATED, /* the message ends inside the header or inside the body */
  RH_AVRO_ETRAILING,  /* bytes left over after the body */
  RH_AVRO_EVARINT,    /* a varint longer than 10 bytes (5 for an int) or out of range */
  RH_AVRO_ELENGTH,    /* a negative length or block count (a corrupt length); a
                         length running past the end is RH_AVRO_ETRUNCATED */
  RH_AVRO_EDATA,      /* invalid data: union or enum index out of range, a boolean
                         byte other than 0/1, a string that is not UTF-8, a map key
                         containing NUL */
  RH_AVRO_ELIMIT,     /* nesting deeper than RH_AVRO_MAX_DEPTH or too many items */
  RH_AVRO_ERESOLVE    /* the writer's data cannot be read with the reader's schema */
} rh_avro_status_t;

/* A short English name of a status, e.g. "truncated message". Static. */
const char *rh_avro_status_str(rh_avro_status_t st);

/* ---- CRC-64-AVRO ---------------------------------------------------------- */

#define RH_AVRO_CRC64_EMPTY UINT64_C(0xc15d213aa4d7a795)

/* The CRC-64-AVRO fingerprint of len bytes (table-driven, as in the spec).
 * rh_avro_crc64(NULL, 0) == RH_AVRO_CRC64_EMPTY. Pure, thread-safe. */
uint64_t rh_avro_crc64(const void *data, size_t len);

#define RH_AVRO_FP_HEXSZ 17 /* 16 hex digits and a NUL */
/* fp as 16 lower-case hex digits, most significant first. */
void rh_avro_fingerprint_hex(uint64_t fp, char out[RH_AVRO_FP_HEXSZ]);

/* ---- Parsing Canonical Form ----------------------------------------------- */

/* The PCF of any schema (a primitive, union, or named type) given as JSON text
 * of len bytes. On RH_AVRO_OK *pcf_out is a malloc'd NUL-terminated string the
 * caller frees, and *fp_out (if not NULL) its CRC-64-AVRO fingerprint. On error
 * *pcf_out is NULL. Fails with RH_AVRO_ESCHEMA on invalid JSON or schema
 * (defaults are not checked here; loading into a set checks them). */
rh_avro_status_t rh_avro_canonical_form(const char *json, size_t len,
                                        char **pcf_out, uint64_t *fp_out,
                                        char *errstr, size_t errstr_size);

/* ---- Schema sets ---------------------------------------------------------- */

typedef struct rh_avro_schemas rh_avro_schemas_t;
typedef struct rh_avro_schema_priv rh_avro_schema_priv_t;

/* One schema version. Owned by its set; every pointer in it stays valid until
 * rh_avro_schemas_destroy(set). Read-only for callers. */
typedef struct rh_avro_schema {
  const char *fullname;         /* e.g. "riskhub.FeedRecord" */
  const char *path;             /* the file it came from, or the origin given */
  int is_current;               /* 1: current version (a reader), 0: history */
  avro_schema_t schema;         /* Avro C's parsed schema; do not decref */
  avro_value_iface_t *iface;    /* generic value class made once from schema;
                                   do not decref (the set does) */
  const char *pcf;              /* Parsing Canonical Form */
  size_t pcf_len;
  uint64_t fingerprint;         /* CRC-64-AVRO of pcf */
  char fingerprint_hex[RH_AVRO_FP_HEXSZ];
  const rh_avro_schemas_t *set; /* the set that owns this entry */
  rh_avro_schema_priv_t *priv;  /* JSON and named-type table; internal */
} rh_avro_schema_t;

/* An empty set. NULL only when out of memory. Free with rh_avro_schemas_destroy. */
rh_avro_schemas_t *rh_avro_schemas_new(void);

/* Frees the set, its entries, their schemas and value classes. Values made
 * from an entry's iface must be decref'd BEFORE this. NULL does nothing. */
void rh_avro_schemas_destroy(rh_avro_schemas_t *set);

/* Load every .avsc file of dir as a current version and, if dir/history
 * exists, every .avsc file there as an older version (writers only), each
 * directory in name order. Each file holds one named type (normally a record).
 * A history file identical (same PCF) to an entry already loaded is skipped.
 * Errors name the file. On error the set may hold some of the directory's
 * schemas: destroy it. */
rh_avro_status_t rh_avro_schemas_load_dir(rh_avro_schemas_t *set, const char *dir,
                                          char *errstr, size_t errstr_size);

/* Add one schema from a file, or from JSON text (len bytes; origin names it in
 * messages and in entry->path, may be NULL). is_current: 1 = a reader version
 * (only one current version a full name), 0 = a history version. On success
 * *out (if not NULL) points at the entry (owned by the set). A schema whose PCF
 * is already in the set is not added again: as history it is skipped, as
 * current it makes the existing history entry current; *out then points at the
 * existing entry. The same PCF twice as current is RH_AVRO_EDUPLICATE. */
rh_avro_status_t rh_avro_schemas_add_file(rh_avro_schemas_t *set, const char *path,
                                          int is_current, const rh_avro_schema_t **out,
                                          char *errstr, size_t errstr_size);
rh_avro_status_t rh_avro_schemas_add_json(rh_avro_schemas_t *set, const char *json,
                                          size_t len, const char *origin, int is_current,
                                          const rh_avro_schema_t **out,
                                          char *errstr, size_t errstr_size);

/* The current version of a full name, or NULL. */
const rh_avro_schema_t *rh_avro_schemas_get(const rh_avro_schemas_t *set,
                                            const char *fullname);
/* Any version (current or history) by fingerprint, or NULL. */
const rh_avro_schema_t *rh_avro_schemas_by_fingerprint(const rh_avro_schemas_t *set,
                                                       uint64_t fp);
/* Iteration in load order: 0 <= i < rh_avro_schemas_count(set). */
size_t rh_avro_schemas_count(const rh_avro_schemas_t *set);
const rh_avro_schema_t *rh_avro_schemas_at(const rh_avro_schemas_t *set, size_t i);

/* A new generic value of the entry's schema (avro_generic_value_new on
 * entry->iface). The caller owns it: avro_value_decref(out) once, before the
 * set is destroyed. Reuse one value per schema with avro_value_reset. */
rh_avro_status_t rh_avro_schema_value_new(const rh_avro_schema_t *entry, avro_value_t *out,
                                          char *errstr, size_t errstr_size);

/* ---- Defaults (used by rh_avro_codec; also handy in tests) ----------------- */

struct json_t; /* jansson */

/* The JSON object that defines the named type `named` (a record, enum or fixed
 * of entry->schema; links are followed), or NULL. Borrowed from the entry. */
const struct json_t *rh_avro_schema_named_json(const rh_avro_schema_t *entry,
                                               avro_schema_t named);

/* Set dest (a value whose schema is `type`, a part of entry->schema) from a JSON
 * value in the encoding the spec uses for field defaults: null, true/false,
 * numbers ("NaN", "Infinity", "-Infinity" accepted for float/double), strings
 * (for bytes and fixed: code points 0-255 are the bytes), enum symbols, arrays,
 * objects for maps and records (a record field left out takes its own default),
 * and for a union the value of the first branch it fits (Avro 1.12). With dest
 * NULL only checks. RH_AVRO_ESCHEMA when the JSON does not fit. */
rh_avro_status_t rh_avro_default_apply(const rh_avro_schema_t *entry, avro_schema_t type,
                                       const struct json_t *def, avro_value_t *dest,
                                       char *errstr, size_t errstr_size);

#endif
