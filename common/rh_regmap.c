/* rh_regmap: the in-memory registry (see rh_regmap.h); loading and catching
 * up from PostgreSQL are in rh_regmap_load.c, what both share in
 * rh_regmap_internal.h. */
#include "rh_regmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_err.h"
#include "rh_regmap_internal.h"

/* ---- codes ---------------------------------------------------------------- */

static const char *const hhtype_names[] = {"poverty_alleviated", "monitored", "ordinary"};
static const char *const category_names[] = {NULL, "unstable", "marginal", "sudden_hardship"};
static const char *const relation_names[] = {"head",       "spouse",  "child", "parent",
                                             "grandchild", "sibling", "other"};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *rh_regmap_hhtype_str(rh_regmap_hhtype_t t) {
  return (unsigned)t < COUNT(hhtype_names) ? hhtype_names[t] : "?";
}
const char *rh_regmap_category_str(rh_regmap_category_t c) {
  return (unsigned)c < COUNT(category_names) ? category_names[c] : "?";
}
const char *rh_regmap_relation_str(rh_regmap_relation_t r) {
  return (unsigned)r < COUNT(relation_names) ? relation_names[r] : "?";
}

static int parse_code(const char *s, const char *const *names, size_t n, size_t from) {
  for (size_t i = from; s && i < n; i++)
    if (strcmp(s, names[i]) == 0) return (int)i;
  return -1;
}
int rh_regmap_hhtype_parse(const char *s, rh_regmap_hhtype_t *out) {
  int i = parse_code(s, hhtype_names, COUNT(hhtype_names), 0);
  if (i < 0) return -1;
  *out = (rh_regmap_hhtype_t)i;
  return 0;
}
int rh_regmap_category_parse(const char *s, rh_regmap_category_t *out) {
  if (!s || !*s) {
    *out = RH_REGMAP_CAT_NONE;
    return 0;
  }
  int i = parse_code(s, category_names, COUNT(category_names), 1);
  if (i < 0) return -1;
  *out = (rh_regmap_category_t)i;
  return 0;
}
int rh_regmap_relation_parse(const char *s, rh_regmap_relation_t *out) {
  int i = parse_code(s, relation_names, COUNT(relation_names), 0);
  if (i < 0) return -1;
  *out = (rh_regmap_relation_t)i;
  return 0;
}

/* ---- packing -------------------------------------------------------------- */

uint64_t rh_regmap_pack_id(const char *id, size_t len) {
  if (!id || len != RH_ID_LEN) return 0;
  uint64_t v = 0;
  for (int i = 0; i < 17; i++) {
    unsigned d = (unsigned char)id[i] - '0';
    if (d > 9) return 0;
    v = v * 10 + d;
  }
  unsigned c = (unsigned char)id[17] - '0';
  if (c > 9) {
    if (id[17] != 'X' && id[17] != 'x') return 0;
    c = 10;
  }
  return v * 11 + c + 1;
}

void rh_regmap_unpack_id(uint64_t key, char out[RH_ID_BUFSZ]) {
  if (key == 0) {
    out[0] = '\0';
    return;
  }
  uint64_t r = key - 1;
  unsigned c = (unsigned)(r % 11);
  uint64_t v = r / 11;
  out[17] = c == 10 ? 'X' : (char)('0' + c);
  for (int i = 16; i >= 0; i--) {
    out[i] = (char)('0' + v % 10);
    v /= 10;
  }
  out[18] = '\0';
}

uint64_t rh_regmap_pack_household_id(const char *s, size_t len) {
  if (!s || len != RH_REGMAP_HHID_LEN || s[9] != '-' || s[13] != '-') return 0;
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    if (i == 9 || i == 13) continue;
    unsigned d = (unsigned char)s[i] - '0';
    if (d > 9) return 0;
    v = v * 10 + d;
  }
  return v + 1;
}

void rh_regmap_unpack_household_id(uint64_t key, char out[RH_REGMAP_HHID_BUFSZ]) {
  if (key == 0) {
    out[0] = '\0';
    return;
  }
  uint64_t v = key - 1;
  for (int i = RH_REGMAP_HHID_LEN - 1; i >= 0; i--) {
    if (i == 9 || i == 13) {
      out[i] = '-';
      continue;
    }
    out[i] = (char)('0' + v % 10);
    v /= 10;
  }
  out[RH_REGMAP_HHID_LEN] = '\0';
}

/* ---- slabs, arena, interned strings -------------------------------------- */

#define SLAB_SHIFT 14
#define SLAB_CHUNK (1u << SLAB_SHIFT)
#define SLAB_MASK (SLAB_CHUNK - 1)

static inline void *slab_at(const rh_regmap_slab_t *s, uint32_t i) {
  return s->chunks[i >> SLAB_SHIFT] + (size_t)(i & SLAB_MASK) * s->esize;
}

static void slab_free_all(rh_regmap_slab_t *s) {
  for (uint32_t i = 0; i < s->nchunks; i++) free(s->chunks[i]);
  free(s->chunks);
  free(s->free_list);
  memset(s, 0, sizeof(*s));
}

static size_t slab_bytes(const rh_regmap_slab_t *s) {
  return (size_t)s->nchunks * SLAB_CHUNK * s->esize + (size_t)s->chunks_cap * sizeof(char *) +
         (size_t)s->free_cap * sizeof(uint32_t);
}

/* afterwards n_alloc allocations and n_free frees need no memory */
static int slab_reserve(rh_regmap_slab_t *s, size_t n_alloc, size_t n_free) {
  if (n_alloc > UINT32_MAX / 2 || n_free > UINT32_MAX / 2) return -1;
  size_t avail = (size_t)s->nchunks * SLAB_CHUNK - s->used + s->nfree;
  while (avail < n_alloc) {
    if ((size_t)s->nchunks + 1 > (UINT32_MAX >> SLAB_SHIFT)) return -1;
    if (s->nchunks == s->chunks_cap) {
      uint32_t cap = s->chunks_cap ? s->chunks_cap * 2 : 16;
      char **c = realloc(s->chunks, cap * sizeof(*c));
      if (!c) return -1;
      s->chunks = c;
      s->chunks_cap = cap;
    }
    char *chunk = calloc(SLAB_CHUNK, s->esize);
    if (!chunk) return -1;
    s->chunks[s->nchunks++] = chunk;
    avail += SLAB_CHUNK;
  }
  if ((size_t)s->nfree + n_free > s->free_cap) {
    size_t cap = s->free_cap ? s->free_cap : 64;
    while (cap < (size_t)s->nfree + n_free) cap *= 2;
    uint32_t *f = realloc(s->free_list, cap * sizeof(*f));
    if (!f) return -1;
    s->free_list = f;
    s->free_cap = (uint32_t)cap;
  }
  return 0;
}

static uint32_t slab_alloc(rh_regmap_slab_t *s) {
  if (s->nfree) return s->free_list[--s->nfree];
  if (s->used == s->nchunks * SLAB_CHUNK && slab_reserve(s, 1, 0)) return RH_REGMAP_NONE;
  return s->used++;
}

static void slab_release(rh_regmap_slab_t *s, uint32_t i) {
  memset(slab_at(s, i), 0, s->esize);
  /* with no room on the free list (out of memory) the slot is lost, not reused */
  if (s->nfree < s->free_cap || slab_reserve(s, 0, 1) == 0) s->free_list[s->nfree++] = i;
}

#define ARENA_CHUNK (256u * 1024u)

typedef struct rh_regmap_arena_chunk {
  struct rh_regmap_arena_chunk *next;
  size_t cap, used;
  char data[];
} arena_chunk_t;

static void arena_free_all(rh_regmap_arena_t *a) {
  for (arena_chunk_t *c = a->head, *n; c; c = n) {
    n = c->next;
    free(c);
  }
  a->head = NULL;
  a->bytes = 0;
}

/* afterwards n bytes can be put without allocating */
static int arena_reserve(rh_regmap_arena_t *a, size_t n) {
  if (a->head && a->head->cap - a->head->used >= n) return 0;
  size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
  arena_chunk_t *c = malloc(sizeof(*c) + cap);
  if (!c) return -1;
  c->cap = cap;
  c->used = 0;
  c->next = a->head; /* what is left in the old chunk stays unused */
  a->head = c;
  a->bytes += sizeof(*c) + cap;
  return 0;
}

static char *arena_put(rh_regmap_arena_t *a, const char *s, size_t len) {
  if (arena_reserve(a, len + 1)) return NULL;
  char *p = a->head->data + a->head->used;
  memcpy(p, s, len);
  p[len] = '\0';
  a->head->used += len + 1;
  return p;
}

static uint64_t str_hash(const char *s, size_t len) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
  return h;
}

/* ---- the map -------------------------------------------------------------- */

const char *rh_regmap_intern(rh_regmap_t *m, const char *s, size_t len) {
  rh_regmap_intern_t *t = &m->in;
  if (t->count + 1 > t->cap / 2) {
    size_t cap = t->cap ? t->cap * 2 : 64;
    const char **slots = calloc(cap, sizeof(*slots));
    if (!slots) return NULL;
    for (size_t i = 0; i < t->cap; i++) {
      if (!t->slots[i]) continue;
      size_t j = (size_t)str_hash(t->slots[i], strlen(t->slots[i])) & (cap - 1);
      while (slots[j]) j = (j + 1) & (cap - 1);
      slots[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
  }
  size_t j = (size_t)str_hash(s, len) & (t->cap - 1);
  while (t->slots[j]) {
    if (strncmp(t->slots[j], s, len) == 0 && t->slots[j][len] == '\0') return t->slots[j];
    j = (j + 1) & (t->cap - 1);
  }
  const char *p = arena_put(&m->strs, s, len);
  if (!p) return NULL;
  t->slots[j] = p;
  t->count++;
  return p;
}

static inline rh_regmap_household_t *hh_at(const rh_regmap_t *m, uint32_t i) {
  return (rh_regmap_household_t *)slab_at(&m->hh, i);
}
static inline rh_regmap_person_t *ps_at(const rh_regmap_t *m, uint32_t i) {
  return (rh_regmap_person_t *)slab_at(&m->ps, i);
}

rh_regmap_t *rh_regmap_new(void) {
  rh_regmap_t *m = calloc(1, sizeof(*m));
  if (!m) return NULL;
  m->hh.esize = sizeof(rh_regmap_household_t);
  m->ps.esize = sizeof(rh_regmap_person_t);
  m->reload_threshold = RH_REGMAP_RELOAD_CHANGES;
  if (rh_map_init(&m->hh_ix, 1024) || rh_map_init(&m->ps_ix, 4096)) {
    rh_regmap_destroy(m);
    return NULL;
  }
  return m;
}

void rh_regmap_destroy(rh_regmap_t *m) {
  if (!m) return;
  slab_free_all(&m->hh);
  slab_free_all(&m->ps);
  rh_map_free(&m->hh_ix);
  rh_map_free(&m->ps_ix);
  arena_free_all(&m->names);
  arena_free_all(&m->strs);
  free(m->in.slots);
  free(m);
}

void rh_regmap_set_reload_threshold(rh_regmap_t *m, size_t changes) {
  if (m) m->reload_threshold = changes ? changes : RH_REGMAP_RELOAD_CHANGES;
}

int64_t rh_regmap_watermark(const rh_regmap_t *m) { return m ? m->watermark : 0; }

void rh_regmap_stats(const rh_regmap_t *m, rh_regmap_stats_t *out) {
  memset(out, 0, sizeof(*out));
  if (!m) return;
  out->households = m->hh_live;
  out->persons = m->ps_live;
  out->watermark = m->watermark;
  out->bytes = sizeof(*m) + slab_bytes(&m->hh) + slab_bytes(&m->ps) +
               (m->hh_ix.cap + m->ps_ix.cap) * sizeof(rh_map_slot_t) + m->names.bytes +
               m->strs.bytes + m->in.cap * sizeof(char *);
  out->garbage_bytes = m->garbage;
}

/* ---- lookups ---------------------------------------------------------------- */

const rh_regmap_person_t *rh_regmap_find_key(const rh_regmap_t *m, uint64_t key) {
  uint32_t i;
  if (!m || !rh_map_get(&m->ps_ix, key, &i)) return NULL;
  return ps_at(m, i);
}

const rh_regmap_person_t *rh_regmap_find(const rh_regmap_t *m, const char *id18) {
  if (!m || !id18 || strnlen(id18, RH_ID_LEN + 1) != RH_ID_LEN) return NULL;
  uint64_t key = rh_regmap_pack_id(id18, RH_ID_LEN);
  return key ? rh_regmap_find_key(m, key) : NULL;
}

rh_regmap_household_t *rh_regmap_hh_find_key(const rh_regmap_t *m, uint64_t key) {
  uint32_t i;
  if (!rh_map_get(&m->hh_ix, key, &i)) return NULL;
  return hh_at(m, i);
}

const rh_regmap_household_t *rh_regmap_household(const rh_regmap_t *m, const char *household_id) {
  if (!m || !household_id || strnlen(household_id, RH_REGMAP_HHID_LEN + 1) != RH_REGMAP_HHID_LEN)
    return NULL;
  uint64_t key = rh_regmap_pack_household_id(household_id, RH_REGMAP_HHID_LEN);
  return key ? rh_regmap_hh_find_key(m, key) : NULL;
}

const rh_regmap_person_t *rh_regmap_first_member(const rh_regmap_t *m,
                                                 const rh_regmap_household_t *h) {
  return m && h && h->first_member != RH_REGMAP_NONE ? ps_at(m, h->first_member) : NULL;
}

const rh_regmap_person_t *rh_regmap_next_member(const rh_regmap_t *m,
                                                const rh_regmap_person_t *p) {
  return m && p && p->next_member != RH_REGMAP_NONE ? ps_at(m, p->next_member) : NULL;
}

const rh_regmap_person_t *rh_regmap_head(const rh_regmap_t *m, const rh_regmap_household_t *h) {
  if (!m || !h) return NULL;
  const rh_regmap_person_t *p = rh_regmap_find_key(m, h->head_key);
  return p && p->household == h ? p : NULL;
}

void rh_regmap_person_id(const rh_regmap_person_t *p, char out[RH_ID_BUFSZ]) {
  rh_regmap_unpack_id(p ? p->key : 0, out);
}

int rh_regmap_each_household(const rh_regmap_t *m,
                             int (*fn)(const rh_regmap_household_t *h, void *arg), void *arg) {
  if (!m) return 0;
  for (uint32_t i = 0; i < m->hh.used; i++) {
    const rh_regmap_household_t *h = hh_at(m, i);
    if (!h->key) continue;
    int rc = fn(h, arg);
    if (rc) return rc;
  }
  return 0;
}

/* ---- changing the map: the infallible core ------------------------------------
 * The functions below need no memory beyond what slab_reserve, index_reserve
 * and arena_reserve made available; callers reserve first. */

static void unlink_member(rh_regmap_t *m, rh_regmap_household_t *h, uint32_t pi) {
  uint32_t *link = &h->first_member;
  while (*link != RH_REGMAP_NONE && *link != pi) link = &ps_at(m, *link)->next_member;
  if (*link == pi) {
    *link = ps_at(m, pi)->next_member;
    h->member_count--;
  }
  ps_at(m, pi)->next_member = RH_REGMAP_NONE;
}

/* the head first, others at the end */
static void link_member(rh_regmap_t *m, rh_regmap_household_t *h, uint32_t pi) {
  rh_regmap_person_t *p = ps_at(m, pi);
  uint32_t *link = &h->first_member;
  if (p->relation != RH_REGMAP_REL_HEAD)
    while (*link != RH_REGMAP_NONE) link = &ps_at(m, *link)->next_member;
  p->next_member = *link;
  *link = pi;
  p->household = h;
  h->member_count++;
}

void rh_regmap_hh_apply(rh_regmap_t *m, const rh_regmap_hh_rec_t *r, rh_regmap_counts_t *cnt) {
  uint32_t i;
  rh_regmap_household_t *h;
  if (rh_map_get(&m->hh_ix, r->key, &i)) {
    h = hh_at(m, i);
    bool same = h->head_key == r->head_key && h->township_code == r->township &&
                h->village == r->village && h->type == r->type && h->category == r->category &&
                h->risk_eliminated == r->risk_eliminated &&
                h->eliminated_month == r->eliminated_month &&
                h->income_per_capita_fen == r->income;
    if (cnt) {
      if (same) cnt->unchanged++;
      else cnt->updated++;
    }
  } else {
    i = slab_alloc(&m->hh);
    h = hh_at(m, i);
    h->key = r->key;
    h->first_member = RH_REGMAP_NONE;
    h->member_count = 0;
    rh_regmap_unpack_household_id(r->key, h->household_id);
    rh_map_put(&m->hh_ix, r->key, i);
    m->hh_live++;
    if (cnt) cnt->inserted++;
  }
  h->head_key = r->head_key;
  h->township_code = r->township;
  h->village = r->village;
  h->type = r->type;
  h->category = r->category;
  h->risk_eliminated = r->risk_eliminated;
  h->eliminated_month = r->eliminated_month;
  h->income_per_capita_fen = r->income;
}

void rh_regmap_ps_apply(rh_regmap_t *m, uint64_t key, rh_regmap_household_t *h, const char *name,
                     size_t len, bool in_arena, rh_regmap_relation_t rel, rh_regmap_counts_t *cnt) {
  uint32_t i;
  if (rh_map_get(&m->ps_ix, key, &i)) {
    rh_regmap_person_t *p = ps_at(m, i);
    size_t old_len = strlen(p->name);
    bool same_name = old_len == len && memcmp(p->name, name, len) == 0;
    bool moved = p->household != h;
    bool relink = moved || ((p->relation == RH_REGMAP_REL_HEAD) != (rel == RH_REGMAP_REL_HEAD));
    if (cnt) {
      if (same_name && !moved && p->relation == rel) cnt->unchanged++;
      else cnt->updated++;
    }
    if (!same_name) {
      if (in_arena) {
        p->name = name;
        m->garbage += old_len + 1;
      } else if (len <= old_len) {
        char *w = (char *)p->name; /* ours: every name is a copy of its own */
        memcpy(w, name, len);
        w[len] = '\0';
        m->garbage += old_len - len;
      } else {
        p->name = arena_put(&m->names, name, len);
        m->garbage += old_len + 1;
      }
    }
    if (relink) unlink_member(m, (rh_regmap_household_t *)p->household, i);
    p->relation = rel;
    if (relink) link_member(m, h, i);
    return;
  }
  i = slab_alloc(&m->ps);
  rh_regmap_person_t *p = ps_at(m, i);
  p->key = key;
  p->name = in_arena ? name : arena_put(&m->names, name, len);
  p->relation = rel;
  p->next_member = RH_REGMAP_NONE;
  rh_map_put(&m->ps_ix, key, i);
  link_member(m, h, i);
  m->ps_live++;
  if (cnt) cnt->inserted++;
}

bool rh_regmap_ps_remove(rh_regmap_t *m, uint64_t key) {
  uint32_t i;
  if (!rh_map_get(&m->ps_ix, key, &i)) return false;
  rh_regmap_person_t *p = ps_at(m, i);
  unlink_member(m, (rh_regmap_household_t *)p->household, i);
  m->garbage += strlen(p->name) + 1;
  rh_map_del(&m->ps_ix, key);
  slab_release(&m->ps, i);
  m->ps_live--;
  return true;
}

bool rh_regmap_hh_remove(rh_regmap_t *m, uint64_t key) {
  uint32_t i;
  if (!rh_map_get(&m->hh_ix, key, &i)) return false;
  if (hh_at(m, i)->member_count) return false; /* never leave a member pointing nowhere */
  rh_map_del(&m->hh_ix, key);
  slab_release(&m->hh, i);
  m->hh_live--;
  return true;
}


/* ---- room for a change ------------------------------------------------------ */

const char *rh_regmap_name_put(rh_regmap_t *m, const char *name, size_t len) {
  return arena_put(&m->names, name, len);
}

int rh_regmap_reserve(rh_regmap_t *m, size_t new_hh, size_t del_hh, size_t new_ps, size_t del_ps,
                      size_t name_bytes) {
  if (slab_reserve(&m->hh, new_hh, del_hh) || slab_reserve(&m->ps, new_ps, del_ps) ||
      rh_map_reserve(&m->hh_ix, new_hh) || rh_map_reserve(&m->ps_ix, new_ps))
    return -1;
  return name_bytes ? arena_reserve(&m->names, name_bytes) : 0;
}

/* ---- changing the map by hand ----------------------------------------------- */

int rh_regmap_put_household(rh_regmap_t *m, const rh_regmap_household_row_t *row, char *errstr,
                            size_t errstr_size) {
  rh_regmap_hh_rec_t r = {0};
  r.key = row->household_id ? rh_regmap_pack_household_id(row->household_id,
                                                          strlen(row->household_id))
                            : 0;
  if (!r.key) {
    rh_errf(errstr, errstr_size, "household number is not TTTTTTTTT-VVV-HHHH");
    return -1;
  }
  r.head_key = row->head_id_number
                   ? rh_regmap_pack_id(row->head_id_number, strlen(row->head_id_number))
                   : 0;
  if (!row->township_code || !row->village || (unsigned)row->type > RH_REGMAP_HH_ORDINARY ||
      (unsigned)row->category > RH_REGMAP_CAT_SUDDEN_HARDSHIP) {
    rh_errf(errstr, errstr_size, "household %s: township, village, type or category missing",
            row->household_id);
    return -1;
  }
  r.township = rh_regmap_intern(m, row->township_code, strlen(row->township_code));
  r.village = r.township ? rh_regmap_intern(m, row->village, strlen(row->village)) : NULL;
  r.type = row->type;
  r.category = row->category;
  r.risk_eliminated = row->risk_eliminated;
  r.eliminated_month = row->eliminated_month;
  r.income = row->income_per_capita_fen;
  if (!r.village || slab_reserve(&m->hh, 1, 0) || rh_map_reserve(&m->hh_ix, 1)) {
    rh_errf(errstr, errstr_size, "out of memory");
    return -1;
  }
  rh_regmap_hh_apply(m, &r, NULL);
  return 0;
}

int rh_regmap_put_person(rh_regmap_t *m, const char *id_number, const char *household_id,
                         const char *name, rh_regmap_relation_t relation, char *errstr,
                         size_t errstr_size) {
  uint64_t key = id_number ? rh_regmap_pack_id(id_number, strlen(id_number)) : 0;
  if (!key) {
    char masked[RH_ID_BUFSZ];
    rh_id_mask(id_number ? id_number : "", masked);
    rh_errf(errstr, errstr_size, "ID number %s is not 17 digits and a digit or X", masked);
    return -1;
  }
  uint64_t hkey =
      household_id ? rh_regmap_pack_household_id(household_id, strlen(household_id)) : 0;
  rh_regmap_household_t *h = hkey ? rh_regmap_hh_find_key(m, hkey) : NULL;
  if (!h || !name || (unsigned)relation > RH_REGMAP_REL_OTHER) {
    rh_errf(errstr, errstr_size, "%s", !h ? "the person's household is not in the registry"
                                          : "name or relation missing");
    return -1;
  }
  size_t len = strlen(name);
  if (slab_reserve(&m->ps, 1, 0) || rh_map_reserve(&m->ps_ix, 1) ||
      arena_reserve(&m->names, len + 1)) {
    rh_errf(errstr, errstr_size, "out of memory");
    return -1;
  }
  rh_regmap_ps_apply(m, key, h, name, len, false, relation, NULL);
  return 0;
}

int rh_regmap_delete_person(rh_regmap_t *m, const char *id_number) {
  uint64_t key = m && id_number ? rh_regmap_pack_id(id_number, strlen(id_number)) : 0;
  return key && rh_regmap_ps_remove(m, key) ? 1 : 0;
}

int rh_regmap_delete_household(rh_regmap_t *m, const char *household_id, char *errstr,
                               size_t errstr_size) {
  uint64_t key =
      m && household_id ? rh_regmap_pack_household_id(household_id, strlen(household_id)) : 0;
  rh_regmap_household_t *h = key ? rh_regmap_hh_find_key(m, key) : NULL;
  if (!h) return 0;
  if (h->member_count) {
    rh_errf(errstr, errstr_size, "household %s still has %u members", household_id,
            h->member_count);
    return -1;
  }
  return rh_regmap_hh_remove(m, key) ? 1 : 0;
}

