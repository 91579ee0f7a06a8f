/*
 * rh_manifest: the departments' signed lists (docs/security.md, "Signed lists").
 *
 * A BatchManifest says a department's list is complete: its batch id, counts,
 * the SHA-256 of the source file and of the records published, where they
 * are, and when. The department signs it with its Ed25519 key (rh_sign) over
 * its signed text, and links it to the previous manifest of the same feed
 * (prev_manifest_sha256 = the previous one's link hash). Every program that
 * reads manifests (the join, the ledger, riskhub-status, riskhub-replay,
 * riskhub-produce's "published already") checks each against the department's
 * public keys (signing.keys_dir/<department>.pub) before believing it: a forged
 * or altered manifest, or one signed by another department's key, is refused
 * and changes nothing.
 *
 * The signed text (rh_manifest_text) is line by line, each string with its
 * length so that nothing inside a value can pass for a field boundary:
 *     riskhub BatchManifest 1\n
 *     batch_id:64:<batch id>\n   department:<n>:<code>\n   ... (strings)
 *     rows_total=<decimal>\n ...                              (numbers)
 *     partitions=<count>\n  <partition>/<first>/<last>/<count>\n ...
 * over the fields batch_id, department, feed, kind, period, topic, source_name,
 * source_sha256, schema_fingerprint, rows_total, rows_accepted, rows_rejected,
 * partitions, started_at, finished_at, producer, records_sha256,
 * prev_manifest_sha256, key_id, in that order. The link hash of a manifest
 * (rh_manifest_link) is the hex SHA-256 of its signed text, a NUL byte and its
 * signature.
 *
 * Values are BatchManifest values of the current schema (schemas/), as
 * rh_avro_decode resolves older writers into; a field it lacks makes the text
 * fail (-1, "a field is missing").
 *
 * Threads: a key set is read-only after loading; any thread may use it.
 */
#ifndef RH_MANIFEST_H
#define RH_MANIFEST_H

#include <avro.h>
#include <stdbool.h>
#include <stddef.h>

#include "rh_config.h"
#include "rh_hash.h"
#include "rh_sign.h"

typedef struct rh_manifest_keys rh_manifest_keys_t;

/* Every department's public keys, from signing.keys_dir/<code>.pub (one key a
 * line; blank lines and lines starting with # skipped). A department without a
 * file has no key. NULL with errstr ("<file>:<line>: ...") when a file cannot be
 * read or holds something that is not a key. Borrows cfg, which must outlive it. */
rh_manifest_keys_t *rh_manifest_keys_load(const rh_config_t *cfg, char *errstr,
                                          size_t errstr_size);
void rh_manifest_keys_free(rh_manifest_keys_t *keys);
/* Keys known for the department (0 if none or not in the configuration). */
size_t rh_manifest_keys_count(const rh_manifest_keys_t *keys, const char *department);

/* The signed text of m into a malloc'd *out of *len bytes. 0, or -1 (a field
 * missing, out of memory). */
int rh_manifest_text(avro_value_t *m, char **out, size_t *len);

/* Is m believed? 0: yes (signed by one of its department's keys, for the topic
 * of that department's feed, and read from that department's own manifests
 * topic, carrier, unless carrier is NULL or the shared <prefix>feed.manifests
 * of before 2026-12 (months archived then); or unsigned while
 * signing.required is false). 1:
 * refused, why says why in a line an operator reads (English, then Chinese),
 * e.g. "signature does not verify with banks's key 3f2a... (签名无效)". -1: out
 * of memory. A manifest of a department or feed the configuration lacks is
 * refused too ("not a feed of the configuration"). */
int rh_manifest_check(const rh_manifest_keys_t *keys, avro_value_t *m, const char *carrier,
                      char *why, size_t why_size);

/* true if m carries pub's valid signature (key_id and signature). For a
 * department's own tools, which know only their own key. */
bool rh_manifest_signed_by(avro_value_t *m, const rh_sign_pub_t *pub);

/* Sets m's key_id and signature: key's signature over m's signed text (with
 * that key_id). 0, or -1 with errstr. */
int rh_manifest_sign(const rh_sign_key_t *key, avro_value_t *m, char *errstr, size_t errstr_size);

/* m's link hash (see above). 0, or -1 (a field missing, out of memory). */
int rh_manifest_link(avro_value_t *m, char out[RH_SHA256_HEXSZ]);

/* A code from a manifest (untrusted) fit for a log line or report: at most
 * size-1 characters, anything but [a-z0-9.-] as '?'. Returns out. */
const char *rh_manifest_safe_code(const char *s, char *out, size_t size);

/* SHA-256 of a batch's records, as records_sha256 says: over the SHA-256
 * (32 bytes) of each FeedRecord message as published, in row order (a
 * verifier keeps 32 bytes a record, not the records). */
typedef struct {
  rh_sha256_t *h;
} rh_manifest_records_t;
int rh_manifest_records_begin(rh_manifest_records_t *r); /* 0, or -1 out of memory */
void rh_manifest_records_add(rh_manifest_records_t *r, const void *msg, size_t len);
void rh_manifest_records_end(rh_manifest_records_t *r, char out[RH_SHA256_HEXSZ]);

#endif
