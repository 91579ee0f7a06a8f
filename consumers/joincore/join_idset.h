/*
 * join_idset: the ids (alert_id, check_id) the join has published, so that the
 * same person, list, month and rule never give a second alert (docs/join.md,
 * "State"). Rebuilt at start from the output topics (join_rebuild.h), grown as
 * the join publishes.
 *
 * Transactions: ids added since the last join_idset_commit() are pending; a
 * Kafka transaction that is aborted must call join_idset_rollback(), which
 * forgets exactly them, so the retry publishes them again. Committed ids stay.
 *
 * Ids are hex SHA-256 strings; the set keeps their first 64 bits (a false
 * "already published" needs two of a few million SHA-256 values to agree in
 * 64 bits: ~1e-7 at 10^6 ids over the life of a county's data).
 * Not thread-safe.
 */
#ifndef JOIN_IDSET_H
#define JOIN_IDSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct join_idset join_idset_t;

join_idset_t *join_idset_new(size_t expected);
void join_idset_destroy(join_idset_t *s);

/* The set's key of a hex id (its first 16 hex digits; never 0). 0 if the
 * text does not start with 16 hex digits. */
uint64_t join_idset_key(const char *hex, size_t len);

bool join_idset_contains(const join_idset_t *s, uint64_t key);
/* 1 added (pending), 0 already there, -1 out of memory. */
int join_idset_add(join_idset_t *s, uint64_t key);
/* Add as committed (the rebuild). 1, 0 or -1 as above. */
int join_idset_add_committed(join_idset_t *s, uint64_t key);
void join_idset_commit(join_idset_t *s);
void join_idset_rollback(join_idset_t *s);
size_t join_idset_size(const join_idset_t *s);
size_t join_idset_pending(const join_idset_t *s);
/* The i-th pending key (i < join_idset_pending), in the order added: what
 * the open transaction published, for the join's changelog. */
uint64_t join_idset_pending_key(const join_idset_t *s, size_t i);
/* Forget a committed key (its partition was revoked: docs/join.md, "State").
 * Not for pending keys. */
void join_idset_remove(join_idset_t *s, uint64_t key);

#endif
