/* replay_store: see replay_store.h. */
#include "replay_store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "join_idset.h"
#include "rh_array.h"
#include "rh_avro_codec.h"
#include "rh_log.h"
#include "rh_map.h"

#define CHUNK (4u << 20)
/* Messages up to this size are spilled to the store's file; a larger one
 * (never seen: an alert is ~450 bytes) keeps a chunk of its own in memory. */
#define SPILL_MAX (64u << 10)
#define NO_CHUNK UINT32_MAX

/* Where replay_store_bytes reads a spilled message: one a thread. */
static _Thread_local unsigned char tl_buf[SPILL_MAX];

struct replay_store {
  rh_map_t ix; /* key -> entry index */
  replay_entry_t *e;
  size_t n, cap;
  unsigned char **chunks; /* NULL: written to the file at chunk_off */
  uint64_t *chunk_off;
  size_t nchunks, chunks_cap;
  uint32_t cur;  /* the chunk being filled (NO_CHUNK: none yet) */
  uint32_t used; /* bytes used in it */
  int fd;        /* the unlinked file full chunks go to; -1: all in memory */
  uint64_t file_len;
  unsigned char *spare; /* a spilled chunk's buffer, for the next one */
  size_t resident;      /* bytes of chunks in memory */
};

/* An unlinked temporary file in $TMPDIR (else /tmp), or -1. */
static int spill_file(void) {
  const char *dir = getenv("TMPDIR");
  char path[4096];
  snprintf(path, sizeof path, "%s/riskhub-replay-XXXXXX", dir && *dir ? dir : "/tmp");
  int fd = mkstemp(path);
  if (fd >= 0) unlink(path);
  return fd;
}

replay_store_t *replay_store_new(size_t expected) {
  replay_store_t *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  if (rh_map_init(&s->ix, expected ? expected : 1024)) {
    free(s);
    return NULL;
  }
  s->cur = NO_CHUNK;
  s->fd = spill_file(); /* none: the messages stay in memory, as they did */
  return s;
}

void replay_store_destroy(replay_store_t *s) {
  if (!s) return;
  rh_map_free(&s->ix);
  for (size_t i = 0; i < s->nchunks; i++) free(s->chunks[i]);
  free(s->chunks);
  free(s->chunk_off);
  free(s->spare);
  free(s->e);
  if (s->fd >= 0) close(s->fd);
  free(s);
}

static int add_chunk(replay_store_t *s, unsigned char *c) {
  if (s->nchunks == s->chunks_cap) {
    size_t cap = s->chunks_cap ? s->chunks_cap * 2 : 16;
    unsigned char **cs = realloc(s->chunks, cap * sizeof *cs);
    if (!cs) return -1;
    s->chunks = cs;
    uint64_t *offs = realloc(s->chunk_off, cap * sizeof *offs);
    if (!offs) return -1;
    s->chunk_off = offs;
    s->chunks_cap = cap;
  }
  s->chunks[s->nchunks] = c;
  s->chunk_off[s->nchunks] = 0;
  s->nchunks++;
  return 0;
}

/* The full chunk being filled to the file; its buffer is kept for the next. */
static int spill(replay_store_t *s) {
  unsigned char *c = s->chunks[s->cur];
  for (uint32_t done = 0; done < s->used;) {
    ssize_t w = pwrite(s->fd, c + done, s->used - done, (off_t)(s->file_len + done));
    if (w <= 0) return -1;
    done += (uint32_t)w;
  }
  s->chunk_off[s->cur] = s->file_len;
  s->file_len += s->used;
  s->chunks[s->cur] = NULL;
  s->spare = c;
  s->resident -= CHUNK;
  return 0;
}

static unsigned char *room(replay_store_t *s, size_t len, uint32_t *chunk, uint32_t *pos) {
  if (len > SPILL_MAX || len > CHUNK) { /* a chunk of its own, in memory */
    unsigned char *c = malloc(len);
    if (!c || add_chunk(s, c)) {
      free(c);
      return NULL;
    }
    s->resident += len;
    *chunk = (uint32_t)(s->nchunks - 1);
    *pos = 0;
    return c;
  }
  if (s->cur == NO_CHUNK || s->used + len > CHUNK) {
    if (s->cur != NO_CHUNK && s->fd >= 0 && spill(s)) return NULL;
    unsigned char *c = s->spare ? s->spare : malloc(CHUNK);
    s->spare = NULL;
    if (!c || add_chunk(s, c)) {
      free(c);
      return NULL;
    }
    s->resident += CHUNK;
    s->cur = (uint32_t)(s->nchunks - 1);
    s->used = 0;
  }
  *chunk = s->cur;
  *pos = s->used;
  s->used += (uint32_t)len;
  return s->chunks[s->cur] + *pos;
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
  if (s->chunks[e->chunk]) return s->chunks[e->chunk] + e->pos;
  /* spilled: read back into this thread's buffer */
  uint64_t at = s->chunk_off[e->chunk] + e->pos;
  for (uint32_t done = 0; done < e->len;) {
    ssize_t r = pread(s->fd, tl_buf + done, e->len - done, (off_t)(at + done));
    if (r <= 0) {
      /* our own temporary file: no way on without the expected outputs */
      rh_log_error("replay store: cannot read back its temporary file: %s",
                   r < 0 ? strerror(errno) : "short file");
      abort();
    }
    done += (uint32_t)r;
  }
  return tl_buf;
}

size_t replay_store_count(const replay_store_t *s) { return s->n; }
replay_entry_t *replay_store_at(replay_store_t *s, size_t i) { return i < s->n ? &s->e[i] : NULL; }

size_t replay_store_bytes_held(const replay_store_t *s) {
  return s->resident + (s->spare ? CHUNK : 0) + s->cap * sizeof *s->e +
         s->ix.cap * sizeof *s->ix.slots;
}
