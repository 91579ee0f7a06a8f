/*
 * rh_map: open-addressing hash maps to a 32-bit value, in two key kinds.
 *
 *   rh_map_t        uint64 keys (not 0): the registry's packed ID and
 *                   household numbers (rh_regmap), the join's seen-ids and
 *                   checks, the replay's store. 16-byte slots, no allocation
 *                   per key, the key compared as one integer.
 *   rh_map_bytes_t  fixed-length byte keys (1..64 bytes, any bytes): the
 *                   import's cross-file checks over ID numbers, household
 *                   numbers and period + household (riskhub-registry). The
 *                   key is copied into its slot (4 + key_len bytes, rounded
 *                   up to 4).
 *
 * Both: linear probing, capacity a power of two (at least 16) kept at most
 * 3/4 full and doubled beyond, deletion by backward shift (no tombstones, so
 * lookups never slow down with churn). Hashes: MurmurHash3's fmix64 over the
 * uint64 key; FNV-1a over the bytes, then fmix64.
 *
 * Measured (tests/integration/test_regmap_pg --bench through
 * scripts/bench_regmap.sh, a shared 2-core VM): the registry's two rh_map_t
 * of 649,000 persons and 200,000 households answer 4.5-8 million lookups a
 * second on one core, present or absent. Memory: 16-byte slots between 3/8 and
 * 3/4 full, so 21-43 bytes a key (rh_map_reserve ahead of a known count keeps
 * it near the low end); rh_map_bytes_t with 18-byte keys: 24-byte slots, 32-64
 * bytes a key.
 *
 * Ownership: an rh_map_t is a struct the caller owns (embedded or on the
 * stack): rh_map_init allocates its slots, rh_map_free releases them (NULL,
 * twice, or a map whose init failed: nothing happens). rh_map_bytes_new
 * returns a map the caller frees with rh_map_bytes_destroy (NULL does
 * nothing); keys are copied in. The fields of rh_map_t are readable (tests
 * check the table's invariants) but only these functions change them.
 *
 * Threads: none inside. Lookups (get, count, next) only read: any number of
 * threads may look up while nobody changes the map.
 *
 * Failure: the only failure is out of memory (-1); the map is then exactly as
 * before. Nothing here logs.
 *
 * Iteration: rh_map_next / rh_map_bytes_next visit every entry once, in slot
 * order (no particular order), while the map does not change; a put may grow
 * the table and a delete shifts entries back, so change the map only after
 * the walk.
 */
#ifndef RH_MAP_H
#define RH_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The 64-bit mixer (MurmurHash3's fmix64). Cannot fail. */
uint64_t rh_map_hash64(uint64_t key);

/* ---- uint64 keys --------------------------------------------------------- */

typedef struct {
  uint64_t key; /* 0 = empty */
  uint32_t val;
} rh_map_slot_t;

typedef struct {
  rh_map_slot_t *slots;
  size_t cap, count;
} rh_map_t;

/* Room for `expected` keys without growing. 0, -1 out of memory. */
int rh_map_init(rh_map_t *m, size_t expected);
void rh_map_free(rh_map_t *m);
/* Make sure `more` further keys fit without growing. 0, -1 out of memory. */
int rh_map_reserve(rh_map_t *m, size_t more);
/* Insert or replace. 0, -1 out of memory (map unchanged) or key 0. */
int rh_map_put(rh_map_t *m, uint64_t key, uint32_t val);
/* true and *val (if not NULL) when the key is there. */
bool rh_map_get(const rh_map_t *m, uint64_t key, uint32_t *val);
/* true if it was there. */
bool rh_map_del(rh_map_t *m, uint64_t key);
size_t rh_map_count(const rh_map_t *m);
/* Start with *pos = 0; true with the next entry (key, val may be NULL), false
 * at the end. */
bool rh_map_next(const rh_map_t *m, size_t *pos, uint64_t *key, uint32_t *val);

/* ---- fixed-length byte keys ---------------------------------------------- */

typedef struct rh_map_bytes rh_map_bytes_t;

/* Keys of key_len bytes (1..64); `expected` sizes the first allocation (the
 * map grows as needed). NULL when out of memory or key_len is out of range. */
rh_map_bytes_t *rh_map_bytes_new(size_t key_len, size_t expected);
void rh_map_bytes_destroy(rh_map_bytes_t *m);
/* Add key -> val (val < UINT32_MAX). 0: added. 1: the key was there already;
 * its value is left alone and written to *existing (if not NULL). -1: out of
 * memory or val is UINT32_MAX (the map is unchanged). */
int rh_map_bytes_add(rh_map_bytes_t *m, const void *key, uint32_t val, uint32_t *existing);
/* Insert or replace. 0, -1 out of memory or val UINT32_MAX (map unchanged). */
int rh_map_bytes_put(rh_map_bytes_t *m, const void *key, uint32_t val);
/* 1 and *val (if not NULL) when the key is there, else 0. */
int rh_map_bytes_get(const rh_map_bytes_t *m, const void *key, uint32_t *val);
/* 1 deleted, 0 not there. */
int rh_map_bytes_del(rh_map_bytes_t *m, const void *key);
size_t rh_map_bytes_count(const rh_map_bytes_t *m);
size_t rh_map_bytes_key_len(const rh_map_bytes_t *m);
/* As rh_map_next; *key points into the map (key_len bytes, no NUL). */
bool rh_map_bytes_next(const rh_map_bytes_t *m, size_t *pos, const void **key, uint32_t *val);

#endif
