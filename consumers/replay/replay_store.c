/* replay_store: see replay_store.h. */
#include "replay_store.h"

#include <stdlib.h>
#include <string.h>

#include "join_idset.h"
#include "rh_array.h"
#include "rh_avro_codec.h"
#include "rh_map.h"

#define CHUNK (4u << 20)

struct replay_store {
  rh_map_t ix; /* key -> entry index */
  replay_entry_t *e;
  size_t n, cap;
  unsigned char **chunks;
  size_t nchunks, chunks_cap;
  uint32_t used; /* bytes used in the last chunk */
  uint32_t last_size;
};

replay_store_t *replay_store_new(size_t expected) {
  replay_store_t *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  if (rh_map_init(&s->ix, expected ? expected : 1024)) {
    free(s);
    return NULL;
  }
  return s;
}

void replay_store_destroy(replay_store_t *s) {
  if (!s) return;
  rh_map_free(&s->ix);
  for (size_t i = 0; i < s->nchunks; i++) free(s->chunks[i]);
  free(s->chunks);
  free(s->e);
  free(s);
}

static unsigned char *room(replay_store_t *s, size_t len, uint32_t *chunk, uint32_t *pos) {
  if (!s->nchunks || s->used + len > s->last_size) {
    size_t size = len > CHUNK ? len : CHUNK;
    if (s->nchunks == s->chunks_cap) {
      size_t cap = s->chunks_cap ? s->chunks_cap * 2 : 16;
      unsigned char **c = realloc(s->chunks, cap * sizeof *c);
      if (!c) return NULL;
      s->chunks = c;
      s->chunks_cap = cap;
    }
    unsigned char *c = malloc(size);
    if (!c) return NULL;
    s->chunks[s->nchunks++] = c;
    s->used = 0;
    s->last_size = (uint32_t)size;
  }
  *chunk = (uint32_t)(s->nchunks - 1);
  *pos = s->used;
  s->used += (uint32_t)len;
  return s->chunks[*chunk] + *pos;
}

static bool same_id(const replay_store_t *s, const replay_entry_t *e, const char *id,
                    size_t idlen) {
  size_t n;
  const char *have = rh_avro_wire_first_string(replay_store_bytes(s, e), e->len, &n);
  return have && n == idlen && memcmp(have, id, n) == 0;
}

replay_entry_t *replay_store_find(replay_store_t *s, const char *id, size_t idlen) {
  uint64_t key = join_idset_key(id, idlen);
  uint32_t i;
  if (!key || !rh_map_get(&s->ix, key, &i)) return NULL;
  return same_id(s, &s->e[i], id, idlen) ? &s->e[i] : NULL;
}

int replay_store_add(replay_store_t *s, replay_out_t what, const void *value, size_t len,
                     uint32_t feed, uint32_t batch, int32_t partition, int64_t offset) {
  size_t idlen;
  const char *id = rh_avro_wire_first_string(value, len, &idlen);
  uint64_t key = id ? join_idset_key(id, idlen) : 0;
  uint32_t i;
  if (!key || len > UINT32_MAX / 2) return -1;
  if (rh_map_get(&s->ix, key, &i)) return 0;
  if (RH_ARRAY_RESERVE(s->e, s->n + 1, s->cap, 4096)) return -1;
  replay_entry_t *e = &s->e[s->n];
  memset(e, 0, sizeof *e);
  unsigned char *dst = room(s, len, &e->chunk, &e->pos);
  if (!dst) return -1;
  memcpy(dst, value, len);
  e->key = key;
  e->what = (uint8_t)what;
  e->feed = feed;
  e->batch = batch;
  e->partition = partition;
  e->offset = offset;
  e->len = (uint32_t)len;
  if (rh_map_put(&s->ix, key, (uint32_t)s->n)) return -1;
  s->n++;
  return 1;
}

const unsigned char *replay_store_bytes(const replay_store_t *s, const replay_entry_t *e) {
  return s->chunks[e->chunk] + e->pos;
}

size_t replay_store_count(const replay_store_t *s) { return s->n; }
replay_entry_t *replay_store_at(replay_store_t *s, size_t i) { return i < s->n ? &s->e[i] : NULL; }

size_t replay_store_bytes_held(const replay_store_t *s) {
  return s->nchunks * CHUNK + s->cap * sizeof *s->e + s->ix.cap * sizeof *s->ix.slots;
}
