#include "registry_index.h"

#include <stdlib.h>
#include <string.h>

/* A slot: the stored value + 1 (0 = empty), then the key. */
struct registry_index {
  size_t key_len, slot_size;
  size_t cap; /* a power of two */
  size_t count;
  unsigned char *slots;
};

static uint64_t hash(const void *key, size_t len) {
  const unsigned char *p = key;
  uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a, then a finaliser to spread the bits */
  for (size_t i = 0; i < len; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}

static uint32_t slot_val(const unsigned char *s) {
  uint32_t v;
  memcpy(&v, s, 4);
  return v;
}

static int alloc_slots(registry_index_t *ix, size_t cap) {
  unsigned char *s = calloc(cap, ix->slot_size);
  if (!s) return -1;
  ix->slots = s;
  ix->cap = cap;
  return 0;
}

registry_index_t *registry_index_new(size_t key_len, size_t expected) {
  if (key_len < 1 || key_len > 64) return NULL;
  registry_index_t *ix = calloc(1, sizeof(*ix));
  if (!ix) return NULL;
  ix->key_len = key_len;
  ix->slot_size = (4 + key_len + 3) & ~(size_t)3;
  size_t cap = 64;
  while (cap < expected + expected / 2 + 1) cap *= 2;
  if (alloc_slots(ix, cap)) {
    free(ix);
    return NULL;
  }
  return ix;
}

void registry_index_destroy(registry_index_t *ix) {
  if (!ix) return;
  free(ix->slots);
  free(ix);
}

/* The slot holding key, or the empty slot where it would go. */
static unsigned char *find(const registry_index_t *ix, const void *key) {
  size_t mask = ix->cap - 1, i = (size_t)hash(key, ix->key_len) & mask;
  for (;;) {
    unsigned char *s = ix->slots + i * ix->slot_size;
    if (slot_val(s) == 0 || memcmp(s + 4, key, ix->key_len) == 0) return s;
    i = (i + 1) & mask;
  }
}

static int grow(registry_index_t *ix) {
  unsigned char *old = ix->slots;
  size_t old_cap = ix->cap;
  if (alloc_slots(ix, old_cap * 2)) return -1;
  for (size_t i = 0; i < old_cap; i++) {
    unsigned char *s = old + i * ix->slot_size;
    if (slot_val(s)) memcpy(find(ix, s + 4), s, ix->slot_size);
  }
  free(old);
  return 0;
}

int registry_index_put(registry_index_t *ix, const void *key, uint32_t value, uint32_t *existing) {
  unsigned char *s = find(ix, key);
  if (slot_val(s)) {
    if (existing) *existing = slot_val(s) - 1;
    return 1;
  }
  if ((ix->count + 1) * 4 > ix->cap * 3) { /* keep the load under 3/4 */
    if (grow(ix)) return -1;
    s = find(ix, key);
  }
  uint32_t v = value + 1;
  memcpy(s, &v, 4);
  memcpy(s + 4, key, ix->key_len);
  ix->count++;
  return 0;
}

int registry_index_get(const registry_index_t *ix, const void *key, uint32_t *value) {
  const unsigned char *s = find(ix, key);
  if (!slot_val(s)) return 0;
  if (value) *value = slot_val(s) - 1;
  return 1;
}

size_t registry_index_count(const registry_index_t *ix) { return ix ? ix->count : 0; }
