/* rh_map: see rh_map.h. */
#include "rh_map.h"

#include <stdlib.h>
#include <string.h>

uint64_t rh_map_hash64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

/* capacity for n keys at most 3/4 full, a power of two, at least 16; 0 if
 * that is beyond size_t */
static size_t cap_for(size_t n) {
  size_t cap = 16;
  while (cap - cap / 4 < n) {
    if (cap > SIZE_MAX / 4) return 0;
    cap *= 2;
  }
  return cap;
}

/* Backward shift: may the entry at j, whose home slot is `home`, stay where
 * it is when slot `hole` is emptied? Only if its home lies cyclically in
 * (hole, j]; otherwise it moves into the hole. */
static bool stays_after_hole(size_t hole, size_t home, size_t j) {
  return hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
}

/* ---- uint64 keys ------------------------------------------------------------ */

static void insert_slot(rh_map_slot_t *slots, size_t cap, uint64_t key, uint32_t val) {
  size_t mask = cap - 1, i = (size_t)rh_map_hash64(key) & mask;
  while (slots[i].key) i = (i + 1) & mask;
  slots[i].key = key;
  slots[i].val = val;
}

static int resize(rh_map_t *m, size_t cap) {
  rh_map_slot_t *slots = calloc(cap, sizeof(*slots));
  if (!slots) return -1;
  for (size_t i = 0; i < m->cap; i++)
    if (m->slots[i].key) insert_slot(slots, cap, m->slots[i].key, m->slots[i].val);
  free(m->slots);
  m->slots = slots;
  m->cap = cap;
  return 0;
}

int rh_map_init(rh_map_t *m, size_t expected) {
  m->count = 0;
  m->cap = cap_for(expected);
  m->slots = m->cap ? calloc(m->cap, sizeof(*m->slots)) : NULL;
  if (!m->slots) {
    m->cap = 0;
    return -1;
  }
  return 0;
}

void rh_map_free(rh_map_t *m) {
  if (!m) return;
  free(m->slots);
  m->slots = NULL;
  m->cap = m->count = 0;
}

int rh_map_reserve(rh_map_t *m, size_t more) {
  if (more > SIZE_MAX / 2 - m->count) return -1;
  size_t need = m->count + more;
  if (m->cap && need <= m->cap - m->cap / 4) return 0;
  size_t cap = cap_for(need);
  return cap ? resize(m, cap) : -1;
}

/* the slot holding key, or the empty slot where it would go */
static size_t probe(const rh_map_t *m, uint64_t key) {
  size_t mask = m->cap - 1, i = (size_t)rh_map_hash64(key) & mask;
  while (m->slots[i].key && m->slots[i].key != key) i = (i + 1) & mask;
  return i;
}

int rh_map_put(rh_map_t *m, uint64_t key, uint32_t val) {
  if (key == 0) return -1;
  if (m->cap) {
    size_t i = probe(m, key);
    if (m->slots[i].key == key) {
      m->slots[i].val = val;
      return 0;
    }
  }
  if (rh_map_reserve(m, 1)) return -1;
  size_t i = probe(m, key);
  m->slots[i].key = key;
  m->slots[i].val = val;
  m->count++;
  return 0;
}

bool rh_map_get(const rh_map_t *m, uint64_t key, uint32_t *val) {
  if (!m->cap || key == 0) return false;
  size_t i = probe(m, key);
  if (m->slots[i].key != key) return false;
  if (val) *val = m->slots[i].val;
  return true;
}

bool rh_map_del(rh_map_t *m, uint64_t key) {
  if (!m->cap || key == 0) return false;
  size_t mask = m->cap - 1, i = probe(m, key);
  if (m->slots[i].key != key) return false;
  size_t hole = i, j = i;
  for (;;) {
    j = (j + 1) & mask;
    if (!m->slots[j].key) break;
    size_t home = (size_t)rh_map_hash64(m->slots[j].key) & mask;
    if (stays_after_hole(hole, home, j)) continue;
    m->slots[hole] = m->slots[j];
    hole = j;
  }
  m->slots[hole].key = 0;
  m->slots[hole].val = 0;
  m->count--;
  return true;
}

size_t rh_map_count(const rh_map_t *m) { return m ? m->count : 0; }

bool rh_map_next(const rh_map_t *m, size_t *pos, uint64_t *key, uint32_t *val) {
  for (size_t i = *pos; m && i < m->cap; i++) {
    if (!m->slots[i].key) continue;
    if (key) *key = m->slots[i].key;
    if (val) *val = m->slots[i].val;
    *pos = i + 1;
    return true;
  }
  if (m) *pos = m->cap;
  return false;
}

/* ---- fixed-length byte keys -------------------------------------------------
 * A slot: the value + 1 (0 = empty) in 4 bytes, then the key. */

struct rh_map_bytes {
  size_t key_len, slot_size;
  size_t cap, count; /* cap: a power of two */
  unsigned char *slots;
};

#define BYTES_KEY_MAX 64

static uint64_t hash_bytes(const void *key, size_t len) {
  const unsigned char *p = key;
  uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
  for (size_t i = 0; i < len; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
  return rh_map_hash64(h);
}

static uint32_t slot_tag(const unsigned char *s) {
  uint32_t v;
  memcpy(&v, s, 4);
  return v;
}

static unsigned char *slot_at(const rh_map_bytes_t *m, size_t i) {
  return m->slots + i * m->slot_size;
}

static size_t home_of(const rh_map_bytes_t *m, const void *key) {
  return (size_t)hash_bytes(key, m->key_len) & (m->cap - 1);
}

/* the index of the slot holding key, or of the empty slot where it would go */
static size_t bytes_probe(const rh_map_bytes_t *m, const void *key) {
  size_t mask = m->cap - 1, i = home_of(m, key);
  for (;;) {
    const unsigned char *s = slot_at(m, i);
    if (slot_tag(s) == 0 || memcmp(s + 4, key, m->key_len) == 0) return i;
    i = (i + 1) & mask;
  }
}

static int bytes_resize(rh_map_bytes_t *m, size_t cap) {
  unsigned char *slots = calloc(cap, m->slot_size);
  if (!slots) return -1;
  rh_map_bytes_t old = *m;
  m->slots = slots;
  m->cap = cap;
  for (size_t i = 0; i < old.cap; i++) {
    const unsigned char *s = slot_at(&old, i);
    if (slot_tag(s)) memcpy(slot_at(m, bytes_probe(m, s + 4)), s, m->slot_size);
  }
  free(old.slots);
  return 0;
}

rh_map_bytes_t *rh_map_bytes_new(size_t key_len, size_t expected) {
  if (key_len < 1 || key_len > BYTES_KEY_MAX) return NULL;
  size_t cap = cap_for(expected);
  rh_map_bytes_t *m = calloc(1, sizeof(*m));
  if (!m || !cap) goto fail;
  m->key_len = key_len;
  m->slot_size = (4 + key_len + 3) & ~(size_t)3;
  m->slots = calloc(cap, m->slot_size);
  if (!m->slots) goto fail;
  m->cap = cap;
  return m;
fail:
  free(m);
  return NULL;
}

void rh_map_bytes_destroy(rh_map_bytes_t *m) {
  if (!m) return;
  free(m->slots);
  free(m);
}

/* the slot for a key that is not there, growing first if needed; NULL when
 * out of memory */
static unsigned char *bytes_slot_for_new(rh_map_bytes_t *m, const void *key, size_t i) {
  if (m->count + 1 > m->cap - m->cap / 4) {
    size_t cap = cap_for(m->count + 1);
    if (!cap || bytes_resize(m, cap)) return NULL;
    i = bytes_probe(m, key);
  }
  return slot_at(m, i);
}

static void bytes_fill(rh_map_bytes_t *m, unsigned char *s, const void *key, uint32_t val) {
  uint32_t tag = val + 1;
  memcpy(s, &tag, 4);
  memcpy(s + 4, key, m->key_len);
}

int rh_map_bytes_add(rh_map_bytes_t *m, const void *key, uint32_t val, uint32_t *existing) {
  if (val == UINT32_MAX) return -1;
  size_t i = bytes_probe(m, key);
  unsigned char *s = slot_at(m, i);
  if (slot_tag(s)) {
    if (existing) *existing = slot_tag(s) - 1;
    return 1;
  }
  if (!(s = bytes_slot_for_new(m, key, i))) return -1;
  bytes_fill(m, s, key, val);
  m->count++;
  return 0;
}

int rh_map_bytes_put(rh_map_bytes_t *m, const void *key, uint32_t val) {
  if (val == UINT32_MAX) return -1;
  size_t i = bytes_probe(m, key);
  unsigned char *s = slot_at(m, i);
  if (slot_tag(s)) {
    bytes_fill(m, s, key, val);
    return 0;
  }
  if (!(s = bytes_slot_for_new(m, key, i))) return -1;
  bytes_fill(m, s, key, val);
  m->count++;
  return 0;
}

int rh_map_bytes_get(const rh_map_bytes_t *m, const void *key, uint32_t *val) {
  const unsigned char *s = slot_at(m, bytes_probe(m, key));
  if (!slot_tag(s)) return 0;
  if (val) *val = slot_tag(s) - 1;
  return 1;
}

int rh_map_bytes_del(rh_map_bytes_t *m, const void *key) {
  size_t mask = m->cap - 1, hole = bytes_probe(m, key), j = hole;
  if (!slot_tag(slot_at(m, hole))) return 0;
  for (;;) {
    j = (j + 1) & mask;
    const unsigned char *s = slot_at(m, j);
    if (!slot_tag(s)) break;
    if (stays_after_hole(hole, home_of(m, s + 4), j)) continue;
    memcpy(slot_at(m, hole), s, m->slot_size);
    hole = j;
  }
  memset(slot_at(m, hole), 0, m->slot_size);
  m->count--;
  return 1;
}

size_t rh_map_bytes_count(const rh_map_bytes_t *m) { return m ? m->count : 0; }

size_t rh_map_bytes_key_len(const rh_map_bytes_t *m) { return m ? m->key_len : 0; }

bool rh_map_bytes_next(const rh_map_bytes_t *m, size_t *pos, const void **key, uint32_t *val) {
  for (size_t i = *pos; m && i < m->cap; i++) {
    const unsigned char *s = slot_at(m, i);
    if (!slot_tag(s)) continue;
    if (key) *key = s + 4;
    if (val) *val = slot_tag(s) - 1;
    *pos = i + 1;
    return true;
  }
  if (m) *pos = m->cap;
  return false;
}
