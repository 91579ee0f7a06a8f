/*
 * registry_index: an open-addressing hash table from fixed-length byte keys
 * (18-character ID numbers and household numbers, or a period and a household
 * number) to a 32-bit value, for the import's cross-file checks (duplicates,
 * a member's household, the head among the members) over 650,000 rows in a
 * few tens of megabytes.
 *
 * Ownership: registry_index_new returns a table the caller frees with
 * registry_index_destroy (NULL does nothing); keys are copied in. Not
 * thread-safe. Nothing here logs.
 */
#ifndef REGISTRY_INDEX_H
#define REGISTRY_INDEX_H

#include <stddef.h>
#include <stdint.h>

typedef struct registry_index registry_index_t;

/* Keys of key_len bytes (1..64); `expected` sizes the first allocation (the
 * table grows as needed). NULL when out of memory or key_len is out of range. */
registry_index_t *registry_index_new(size_t key_len, size_t expected);
void registry_index_destroy(registry_index_t *ix);

/* Add key → value (value < UINT32_MAX). 0: added. 1: the key was there already;
 * its value is left alone and written to *existing (if not NULL). -1: out of
 * memory (the table is unchanged). */
int registry_index_put(registry_index_t *ix, const void *key, uint32_t value, uint32_t *existing);

/* 1 and *value set if the key is there, else 0. */
int registry_index_get(const registry_index_t *ix, const void *key, uint32_t *value);

size_t registry_index_count(const registry_index_t *ix);

#endif
