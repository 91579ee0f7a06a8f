/* join_idset: see join_idset.h. An rh_map_t (open addressing, 64-bit
 * keys) and an undo log of the keys added in the open transaction. */
#include "join_idset.h"

#include <stdlib.h>

#include "rh_array.h"
#include "rh_hash.h"
#include "rh_map.h"

struct join_idset {
  rh_map_t ix;
  uint64_t *undo;
  size_t undo_len, undo_cap;
};

join_idset_t *join_idset_new(size_t expected) {
  join_idset_t *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  if (rh_map_init(&s->ix, expected ? expected : 1024)) {
    free(s);
    return NULL;
  }
  return s;
}

void join_idset_destroy(join_idset_t *s) {
  if (!s) return;
  rh_map_free(&s->ix);
  free(s->undo);
  free(s);
}

uint64_t join_idset_key(const char *hex, size_t len) {
  uint64_t k;
  if (!hex || len < 16 || rh_hex_key64(hex, &k)) return 0;
  return k ? k : 1;
}

bool join_idset_contains(const join_idset_t *s, uint64_t key) {
  uint32_t v;
  return key && rh_map_get(&s->ix, key, &v);
}

int join_idset_add_committed(join_idset_t *s, uint64_t key) {
  if (!key) return -1;
  if (join_idset_contains(s, key)) return 0;
  return rh_map_put(&s->ix, key, 1) ? -1 : 1;
}

int join_idset_add(join_idset_t *s, uint64_t key) {
  if (!key) return -1;
  if (join_idset_contains(s, key)) return 0;
  if (RH_ARRAY_RESERVE(s->undo, s->undo_len + 1, s->undo_cap, 4096)) return -1;
  if (rh_map_put(&s->ix, key, 1)) return -1;
  s->undo[s->undo_len++] = key;
  return 1;
}

void join_idset_commit(join_idset_t *s) { s->undo_len = 0; }

void join_idset_rollback(join_idset_t *s) {
  while (s->undo_len) rh_map_del(&s->ix, s->undo[--s->undo_len]);
}

size_t join_idset_size(const join_idset_t *s) { return s->ix.count; }
size_t join_idset_pending(const join_idset_t *s) { return s->undo_len; }

uint64_t join_idset_pending_key(const join_idset_t *s, size_t i) {
  return i < s->undo_len ? s->undo[i] : 0;
}

void join_idset_remove(join_idset_t *s, uint64_t key) {
  if (key) rh_map_del(&s->ix, key);
}
