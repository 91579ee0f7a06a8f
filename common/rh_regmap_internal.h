/*
 * rh_regmap_internal: what the files of rh_regmap share and nobody else uses.
 *
 *   rh_regmap.c       the in-memory registry: codes, key packing, storage
 *                     (slabs, name arena, interned strings), lookups, changes
 *                     by hand, and the infallible apply/remove core below;
 *   rh_regmap_load.c  PostgreSQL: the load (COPY of both tables in one
 *                     snapshot), the catch-up from registry_changes, LISTEN
 *                     and notifications.
 *
 * Not a public header: include it only from common/rh_regmap*.c. Same rules
 * as rh_regmap.h (ownership, threads, failure). The apply/remove functions
 * need no memory beyond what rh_regmap_reserve made available: reserve
 * first, then they cannot fail.
 */
#ifndef RH_REGMAP_INTERNAL_H
#define RH_REGMAP_INTERNAL_H

#include "rh_map.h"
#include "rh_regmap.h"

/* "no slot": the end of a member list, a key not read, out of memory */
#define RH_REGMAP_NONE UINT32_MAX

/* Fixed-size entries in chunks of 2^14 (no allocation per entry; pointers
 * stay valid), freed slots reused through a free list. */
typedef struct {
  char **chunks;
  uint32_t nchunks, chunks_cap;
  size_t esize;
  uint32_t used;               /* slots ever handed out (high-water mark) */
  uint32_t *free_list, nfree, free_cap;
} rh_regmap_slab_t;

/* Strings copied into 256 KiB chunks, freed all at once. */
typedef struct {
  struct rh_regmap_arena_chunk *head;
  size_t bytes;
} rh_regmap_arena_t;

/* Townships and villages, each stored once (open addressing over pointers). */
typedef struct {
  const char **slots;
  size_t cap, count;
} rh_regmap_intern_t;

struct rh_regmap {
  rh_regmap_slab_t hh, ps;     /* rh_regmap_household_t, rh_regmap_person_t */
  rh_map_t hh_ix, ps_ix;       /* packed key -> slab slot */
  rh_regmap_arena_t names;     /* person names */
  rh_regmap_arena_t strs;      /* interned townships and villages */
  rh_regmap_intern_t in;
  size_t hh_live, ps_live, garbage;
  int64_t watermark;
  size_t reload_threshold;
};

/* A household's row as the map keeps it (strings interned). */
typedef struct {
  uint64_t key, head_key;
  const char *township, *village; /* interned */
  rh_regmap_hhtype_t type;
  rh_regmap_category_t category;
  bool risk_eliminated;
  int32_t eliminated_month;
  int64_t income;
} rh_regmap_hh_rec_t;

typedef struct {
  uint32_t inserted, updated, unchanged, deleted;
} rh_regmap_counts_t;

/* The interned copy of s[0..len), or NULL when out of memory. */
const char *rh_regmap_intern(rh_regmap_t *m, const char *s, size_t len);

/* A copy of name[0..len) in the map's name arena (for ps_apply's in_arena),
 * or NULL when out of memory. */
const char *rh_regmap_name_put(rh_regmap_t *m, const char *name, size_t len);

/* Make room for new_hh/new_ps further households/persons, del_hh/del_ps
 * deletions and name_bytes of names. 0, or -1 out of memory (nothing lost:
 * the map is as it was, with perhaps more room). */
int rh_regmap_reserve(rh_regmap_t *m, size_t new_hh, size_t del_hh, size_t new_ps, size_t del_ps,
                      size_t name_bytes);

rh_regmap_household_t *rh_regmap_hh_find_key(const rh_regmap_t *m, uint64_t key);

/* Insert or update a household (cnt may be NULL). Reserved room needed. */
void rh_regmap_hh_apply(rh_regmap_t *m, const rh_regmap_hh_rec_t *r, rh_regmap_counts_t *cnt);

/* Insert or update a person in h. name: NUL-terminated, len bytes; with
 * in_arena it already lives in the name arena (rh_regmap_name_put),
 * otherwise it is copied (reserve name bytes). */
void rh_regmap_ps_apply(rh_regmap_t *m, uint64_t key, rh_regmap_household_t *h, const char *name,
                        size_t len, bool in_arena, rh_regmap_relation_t rel,
                        rh_regmap_counts_t *cnt);

/* true if the person was there and is gone. */
bool rh_regmap_ps_remove(rh_regmap_t *m, uint64_t key);
/* true if the household was there without members and is gone. */
bool rh_regmap_hh_remove(rh_regmap_t *m, uint64_t key);

#endif
