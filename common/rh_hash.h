/*
 * rh_hash: SHA-256 (OpenSSL libcrypto) and the deterministic ids built on it.
 *
 * rh_batch_id(): hex SHA-256 over department, feed, period and the source
 * file's hex SHA-256, joined with NUL bytes (no separator can be forged inside
 * a code). The same file for the same feed and period gives the same batch id
 * on every machine.
 */
#ifndef RH_HASH_H
#define RH_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define RH_SHA256_HEXSZ 65 /* 64 hex digits and a NUL */

typedef struct rh_sha256_s rh_sha256_t;

/* Incremental hashing. _new returns NULL only when out of memory. _final writes
 * the hex digest and frees the context (NULL does nothing). */
rh_sha256_t *rh_sha256_new(void);
void rh_sha256_update(rh_sha256_t *h, const void *data, size_t len);
void rh_sha256_final(rh_sha256_t *h, char out[RH_SHA256_HEXSZ]);

/* One shot over n parts, each followed by a NUL byte. Cannot fail. */
void rh_sha256_parts(const char *const *parts, size_t n, char out[RH_SHA256_HEXSZ]);

/* Hex SHA-256 of a whole file. 0, or -1 with errstr naming the file. */
int rh_sha256_file(const char *path, char out[RH_SHA256_HEXSZ], char *errstr,
                   size_t errstr_size);

/* The 64-bit key of a hex id (an alert or check id: SHA-256 hex): its first
 * 16 hex digits, as the join's published-id set and the reports count ids.
 * 0 into *key and -1 if hex does not start with 16 hex digits. */
int rh_hex_key64(const char *hex, uint64_t *key);

void rh_batch_id(const char *department, const char *feed, const char *period,
                 const char *source_sha256_hex, char out[RH_SHA256_HEXSZ]);

#endif
