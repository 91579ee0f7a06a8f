#include "rh_regmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rh_copy.h"
#include "rh_err.h"
#include "rh_log.h"
#include "rh_map.h"
#include "rh_pg.h"

#define NONE UINT32_MAX

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

typedef struct {
  char **chunks;
  uint32_t nchunks, chunks_cap;
  size_t esize;
  uint32_t used;               /* slots ever handed out (high-water mark) */
  uint32_t *free_list, nfree, free_cap;
} slab_t;

static inline void *slab_at(const slab_t *s, uint32_t i) {
  return s->chunks[i >> SLAB_SHIFT] + (size_t)(i & SLAB_MASK) * s->esize;
}

static void slab_free_all(slab_t *s) {
  for (uint32_t i = 0; i < s->nchunks; i++) free(s->chunks[i]);
  free(s->chunks);
  free(s->free_list);
  memset(s, 0, sizeof(*s));
}

static size_t slab_bytes(const slab_t *s) {
  return (size_t)s->nchunks * SLAB_CHUNK * s->esize + (size_t)s->chunks_cap * sizeof(char *) +
         (size_t)s->free_cap * sizeof(uint32_t);
}

/* afterwards n_alloc allocations and n_free frees need no memory */
static int slab_reserve(slab_t *s, size_t n_alloc, size_t n_free) {
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

static uint32_t slab_alloc(slab_t *s) {
  if (s->nfree) return s->free_list[--s->nfree];
  if (s->used == s->nchunks * SLAB_CHUNK && slab_reserve(s, 1, 0)) return NONE;
  return s->used++;
}

static void slab_release(slab_t *s, uint32_t i) {
  memset(slab_at(s, i), 0, s->esize);
  /* with no room on the free list (out of memory) the slot is lost, not reused */
  if (s->nfree < s->free_cap || slab_reserve(s, 0, 1) == 0) s->free_list[s->nfree++] = i;
}

#define ARENA_CHUNK (256u * 1024u)

typedef struct arena_chunk {
  struct arena_chunk *next;
  size_t cap, used;
  char data[];
} arena_chunk_t;

typedef struct {
  arena_chunk_t *head;
  size_t bytes;
} arena_t;

static void arena_free_all(arena_t *a) {
  for (arena_chunk_t *c = a->head, *n; c; c = n) {
    n = c->next;
    free(c);
  }
  a->head = NULL;
  a->bytes = 0;
}

/* afterwards n bytes can be put without allocating */
static int arena_reserve(arena_t *a, size_t n) {
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

static char *arena_put(arena_t *a, const char *s, size_t len) {
  if (arena_reserve(a, len + 1)) return NULL;
  char *p = a->head->data + a->head->used;
  memcpy(p, s, len);
  p[len] = '\0';
  a->head->used += len + 1;
  return p;
}

typedef struct {
  const char **slots;
  size_t cap, count;
} intern_t;

static uint64_t str_hash(const char *s, size_t len) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
  return h;
}

/* ---- the map -------------------------------------------------------------- */

struct rh_regmap {
  slab_t hh, ps;               /* rh_regmap_household_t, rh_regmap_person_t */
  rh_map_t hh_ix, ps_ix;
  arena_t names;               /* person names */
  arena_t strs;                /* interned townships and villages */
  intern_t in;
  size_t hh_live, ps_live, garbage;
  int64_t watermark;
  size_t reload_threshold;
};

static const char *intern(rh_regmap_t *m, const char *s, size_t len) {
  intern_t *t = &m->in;
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

static rh_regmap_household_t *hh_find_key(const rh_regmap_t *m, uint64_t key) {
  uint32_t i;
  if (!rh_map_get(&m->hh_ix, key, &i)) return NULL;
  return hh_at(m, i);
}

const rh_regmap_household_t *rh_regmap_household(const rh_regmap_t *m, const char *household_id) {
  if (!m || !household_id || strnlen(household_id, RH_REGMAP_HHID_LEN + 1) != RH_REGMAP_HHID_LEN)
    return NULL;
  uint64_t key = rh_regmap_pack_household_id(household_id, RH_REGMAP_HHID_LEN);
  return key ? hh_find_key(m, key) : NULL;
}

const rh_regmap_person_t *rh_regmap_first_member(const rh_regmap_t *m,
                                                 const rh_regmap_household_t *h) {
  return m && h && h->first_member != NONE ? ps_at(m, h->first_member) : NULL;
}

const rh_regmap_person_t *rh_regmap_next_member(const rh_regmap_t *m,
                                                const rh_regmap_person_t *p) {
  return m && p && p->next_member != NONE ? ps_at(m, p->next_member) : NULL;
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

void rh_regmap_rule_household(const rh_regmap_household_t *h, rh_rule_household_t *out) {
  memset(out, 0, sizeof(*out));
  if (!h) return;
  out->household_type = rh_regmap_hhtype_str(h->type);
  out->monitoring_category = rh_regmap_category_str(h->category);
  out->risk_eliminated = h->risk_eliminated;
  out->has_income = true;
  out->income_per_capita_fen = h->income_per_capita_fen;
}

/* ---- changing the map: the infallible core ------------------------------------
 * The functions below need no memory beyond what slab_reserve, index_reserve
 * and arena_reserve made available; callers reserve first. */

typedef struct {
  uint64_t key, head_key;
  const char *township, *village; /* interned */
  rh_regmap_hhtype_t type;
  rh_regmap_category_t category;
  bool risk_eliminated;
  int32_t eliminated_month;
  int64_t income;
} hh_rec_t;

typedef struct {
  uint32_t inserted, updated, unchanged, deleted;
} counts_t;

static void unlink_member(rh_regmap_t *m, rh_regmap_household_t *h, uint32_t pi) {
  uint32_t *link = &h->first_member;
  while (*link != NONE && *link != pi) link = &ps_at(m, *link)->next_member;
  if (*link == pi) {
    *link = ps_at(m, pi)->next_member;
    h->member_count--;
  }
  ps_at(m, pi)->next_member = NONE;
}

/* the head first, others at the end */
static void link_member(rh_regmap_t *m, rh_regmap_household_t *h, uint32_t pi) {
  rh_regmap_person_t *p = ps_at(m, pi);
  uint32_t *link = &h->first_member;
  if (p->relation != RH_REGMAP_REL_HEAD)
    while (*link != NONE) link = &ps_at(m, *link)->next_member;
  p->next_member = *link;
  *link = pi;
  p->household = h;
  h->member_count++;
}

static void hh_apply(rh_regmap_t *m, const hh_rec_t *r, counts_t *cnt) {
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
    h->first_member = NONE;
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

/* name: NUL-terminated, len bytes; with in_arena it already lives in m->names
 * (the load puts it there), otherwise it is copied (arena reserved) */
static void ps_apply(rh_regmap_t *m, uint64_t key, rh_regmap_household_t *h, const char *name,
                     size_t len, bool in_arena, rh_regmap_relation_t rel, counts_t *cnt) {
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
  p->next_member = NONE;
  rh_map_put(&m->ps_ix, key, i);
  link_member(m, h, i);
  m->ps_live++;
  if (cnt) cnt->inserted++;
}

static bool ps_remove(rh_regmap_t *m, uint64_t key) {
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

static bool hh_remove(rh_regmap_t *m, uint64_t key) {
  uint32_t i;
  if (!rh_map_get(&m->hh_ix, key, &i)) return false;
  if (hh_at(m, i)->member_count) return false; /* never leave a member pointing nowhere */
  rh_map_del(&m->hh_ix, key);
  slab_release(&m->hh, i);
  m->hh_live--;
  return true;
}

/* ---- changing the map by hand ----------------------------------------------- */

int rh_regmap_put_household(rh_regmap_t *m, const rh_regmap_household_row_t *row, char *errstr,
                            size_t errstr_size) {
  hh_rec_t r = {0};
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
  r.township = intern(m, row->township_code, strlen(row->township_code));
  r.village = r.township ? intern(m, row->village, strlen(row->village)) : NULL;
  r.type = row->type;
  r.category = row->category;
  r.risk_eliminated = row->risk_eliminated;
  r.eliminated_month = row->eliminated_month;
  r.income = row->income_per_capita_fen;
  if (!r.village || slab_reserve(&m->hh, 1, 0) || rh_map_reserve(&m->hh_ix, 1)) {
    rh_errf(errstr, errstr_size, "out of memory");
    return -1;
  }
  hh_apply(m, &r, NULL);
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
  rh_regmap_household_t *h = hkey ? hh_find_key(m, hkey) : NULL;
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
  ps_apply(m, key, h, name, len, false, relation, NULL);
  return 0;
}

int rh_regmap_delete_person(rh_regmap_t *m, const char *id_number) {
  uint64_t key = m && id_number ? rh_regmap_pack_id(id_number, strlen(id_number)) : 0;
  return key && ps_remove(m, key) ? 1 : 0;
}

int rh_regmap_delete_household(rh_regmap_t *m, const char *household_id, char *errstr,
                               size_t errstr_size) {
  uint64_t key =
      m && household_id ? rh_regmap_pack_household_id(household_id, strlen(household_id)) : 0;
  rh_regmap_household_t *h = key ? hh_find_key(m, key) : NULL;
  if (!h) return 0;
  if (h->member_count) {
    rh_errf(errstr, errstr_size, "household %s still has %u members", household_id,
            h->member_count);
    return -1;
  }
  return hh_remove(m, key) ? 1 : 0;
}

/* ---- PostgreSQL -------------------------------------------------------------- */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* "<what>: PostgreSQL error SQLSTATE: first line of the message", scrubbed */
static void pg_error(char *errstr, size_t errstr_size, const char *what, PGconn *conn,
                     const PGresult *res) {
  const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  const char *msg = res && *PQresultErrorMessage(res) ? PQresultErrorMessage(res)
                                                      : PQerrorMessage(conn);
  char line[512];
  snprintf(line, sizeof(line), "%s", msg && *msg ? msg : "unknown error");
  line[strcspn(line, "\n")] = '\0';
  if (rh_pg_connection_lost(conn))
    rh_errf(errstr, errstr_size, "%s: PostgreSQL connection lost: %s", what, line);
  else
    rh_errf(errstr, errstr_size, "%s: PostgreSQL error%s%s: %s%s", what, state ? " " : "",
            state ? state : "", line,
            state && strcmp(state, "42P01") == 0
                ? " (is the database migrated? riskhub-registry migrate)"
                : "");
  if (errstr) rh_log_scrub(errstr);
}

static int exec_cmd(PGconn *conn, const char *sql, const char *what, char *errstr,
                    size_t errstr_size) {
  PGresult *r = PQexec(conn, sql);
  ExecStatusType st = PQresultStatus(r);
  if (r && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)) {
    PQclear(r);
    return 0;
  }
  pg_error(errstr, errstr_size, what, conn, r);
  PQclear(r);
  return -1;
}

/* the single bigint a query returns */
static int exec_int64(PGconn *conn, const char *sql, const char *what, int64_t *out,
                      char *errstr, size_t errstr_size) {
  PGresult *r = PQexec(conn, sql);
  if (!r || PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1 || PQnfields(r) != 1) {
    pg_error(errstr, errstr_size, what, conn, r);
    PQclear(r);
    return -1;
  }
  *out = PQgetisnull(r, 0, 0) ? 0 : strtoll(PQgetvalue(r, 0, 0), NULL, 10);
  PQclear(r);
  return 0;
}

static int begin_snapshot(PGconn *conn, const char *what, char *errstr, size_t errstr_size) {
  PGTransactionStatusType ts = PQtransactionStatus(conn);
  if (ts != PQTRANS_IDLE) {
    if (ts == PQTRANS_UNKNOWN || rh_pg_connection_lost(conn))
      rh_errf(errstr, errstr_size, "%s: PostgreSQL connection lost", what);
    else
      rh_errf(errstr, errstr_size, "%s: the connection is inside a transaction", what);
    return -1;
  }
  return exec_cmd(conn,
                  "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;"
                  "SET LOCAL client_encoding = 'UTF8'",
                  what, errstr, errstr_size);
}

/* after a failure in our own transaction: leave the connection idle unless
 * it is gone (a caller's transaction is never touched: begin_snapshot
 * refuses to start inside one) */
static void end_failed(PGconn *conn, bool began) {
  if (began && !rh_pg_connection_lost(conn) && PQtransactionStatus(conn) != PQTRANS_IDLE)
    PQclear(PQexec(conn, "ROLLBACK"));
}

typedef int (*row_fn)(void *ctx, char **f, size_t *lens, char *errstr, size_t errstr_size);

/* Run COPY (...) TO STDOUT and hand each row, split into nfields fields, to
 * fn. On a failure (of fn or the server) the remaining rows are drained so
 * that the connection stays usable. */
static int copy_rows(PGconn *conn, const char *sql, int nfields, row_fn fn, void *ctx,
                     const char *what, uint64_t *nrows, char *errstr, size_t errstr_size) {
  PGresult *r = PQexec(conn, sql);
  if (!r || PQresultStatus(r) != PGRES_COPY_OUT) {
    pg_error(errstr, errstr_size, what, conn, r);
    PQclear(r);
    return -1;
  }
  PQclear(r);
  int failed = 0;
  uint64_t rows = 0;
  char *fields[16];
  size_t lens[16];
  for (;;) {
    char *buf = NULL;
    int n = PQgetCopyData(conn, &buf, 0);
    if (n == -1) break;
    if (n < 0) {
      if (!failed) pg_error(errstr, errstr_size, what, conn, NULL);
      failed = 1;
      break;
    }
    if (!failed) {
      rows++;
      if (rh_copy_split(buf, (size_t)n, fields, lens, nfields) != nfields) {
        rh_errf(errstr, errstr_size, "%s: row %llu: not %d fields", what,
                (unsigned long long)rows, nfields);
        failed = 1;
      } else if (fn(ctx, fields, lens, errstr, errstr_size)) {
        failed = 1;
      }
    }
    PQfreemem(buf);
  }
  while ((r = PQgetResult(conn)) != NULL) {
    if (!failed && PQresultStatus(r) != PGRES_COMMAND_OK) {
      pg_error(errstr, errstr_size, what, conn, r);
      failed = 1;
    }
    PQclear(r);
  }
  if (!failed && rh_pg_connection_lost(conn)) {
    pg_error(errstr, errstr_size, what, conn, NULL);
    failed = 1;
  }
  if (nrows) *nrows += rows;
  return failed ? -1 : 0;
}

/* ---- rows ------------------------------------------------------------------- */

#define HH_COLUMNS                                                                             \
  "household_id, township_code, village, household_type, monitoring_category, "              \
  "risk_eliminated, to_char(eliminated_month, 'YYYYMM'), (income_per_capita * 100)::bigint, " \
  "head_id_number"
#define HH_NFIELDS 9
#define PS_COLUMNS "id_number, household_id, name, relation"
#define PS_NFIELDS 4

static int parse_i64(const char *s, int64_t *out) {
  if (!s || !*s) return -1;
  bool neg = *s == '-';
  if (neg) s++;
  if (!*s) return -1;
  uint64_t v = 0;
  for (; *s; s++) {
    unsigned d = (unsigned char)*s - '0';
    if (d > 9 || v > (UINT64_MAX - d) / 10) return -1;
    v = v * 10 + d;
  }
  if (v > (uint64_t)INT64_MAX) return -1;
  *out = neg ? -(int64_t)v : (int64_t)v;
  return 0;
}

static int parse_hh(rh_regmap_t *m, char **f, size_t *lens, hh_rec_t *r, char *errstr,
                    size_t errstr_size) {
  memset(r, 0, sizeof(*r));
  r->key = f[0] ? rh_regmap_pack_household_id(f[0], lens[0]) : 0;
  if (!r->key) {
    rh_errf(errstr, errstr_size, "households: household number not TTTTTTTTT-VVV-HHHH");
    return -1;
  }
  const char *hid = f[0];
  if (!f[1] || !f[2] || !f[3] || !f[5] || !f[7] || !f[8]) {
    rh_errf(errstr, errstr_size, "households: %s: a required column is NULL", hid);
    return -1;
  }
  if (rh_regmap_hhtype_parse(f[3], &r->type) || rh_regmap_category_parse(f[4], &r->category)) {
    rh_errf(errstr, errstr_size, "households: %s: unknown household_type or monitoring_category",
            hid);
    return -1;
  }
  int64_t month = 0;
  if (f[6] && (lens[6] != 6 || parse_i64(f[6], &month))) {
    rh_errf(errstr, errstr_size, "households: %s: eliminated_month not YYYYMM", hid);
    return -1;
  }
  r->eliminated_month = (int32_t)month;
  r->risk_eliminated = f[5][0] == 't';
  if (parse_i64(f[7], &r->income)) {
    rh_errf(errstr, errstr_size, "households: %s: income_per_capita not a number", hid);
    return -1;
  }
  r->head_key = rh_regmap_pack_id(f[8], lens[8]);
  r->township = intern(m, f[1], lens[1]);
  r->village = r->township ? intern(m, f[2], lens[2]) : NULL;
  if (!r->village) {
    rh_errf(errstr, errstr_size, "households: out of memory");
    return -1;
  }
  return 0;
}

typedef struct {
  uint64_t key, hh_key;
  const char *name; /* NUL-terminated */
  size_t name_len;
  rh_regmap_relation_t rel;
} ps_rec_t;

/* without the name, which the caller stores where it wants */
static int parse_ps(char **f, size_t *lens, ps_rec_t *r, char *errstr, size_t errstr_size) {
  memset(r, 0, sizeof(*r));
  r->key = f[0] ? rh_regmap_pack_id(f[0], lens[0]) : 0;
  if (!r->key) {
    char masked[RH_ID_BUFSZ];
    rh_id_mask(f[0] ? f[0] : "", masked);
    rh_errf(errstr, errstr_size, "members: ID number %s is not 17 digits and a digit or X",
            masked);
    return -1;
  }
  r->hh_key = f[1] ? rh_regmap_pack_household_id(f[1], lens[1]) : 0;
  if (!r->hh_key || !f[2] || !f[3] || rh_regmap_relation_parse(f[3], &r->rel)) {
    char masked[RH_ID_BUFSZ];
    rh_id_mask(f[0], masked);
    rh_errf(errstr, errstr_size,
            "members: %s: household number, name or relation missing or unknown", masked);
    return -1;
  }
  r->name = f[2];
  r->name_len = lens[2];
  return 0;
}

/* ---- load ----------------------------------------------------------------------- */

static int load_hh_row(void *ctx, char **f, size_t *lens, char *errstr, size_t errstr_size) {
  rh_regmap_t *m = ctx;
  hh_rec_t r;
  if (parse_hh(m, f, lens, &r, errstr, errstr_size)) return -1;
  if (rh_map_get(&m->hh_ix, r.key, NULL)) {
    rh_errf(errstr, errstr_size, "households: %s twice", f[0]);
    return -1;
  }
  if (slab_reserve(&m->hh, 1, 0) || rh_map_reserve(&m->hh_ix, 1)) {
    rh_errf(errstr, errstr_size, "out of memory");
    return -1;
  }
  hh_apply(m, &r, NULL);
  return 0;
}

static int load_ps_row(void *ctx, char **f, size_t *lens, char *errstr, size_t errstr_size) {
  rh_regmap_t *m = ctx;
  ps_rec_t r;
  if (parse_ps(f, lens, &r, errstr, errstr_size)) return -1;
  char masked[RH_ID_BUFSZ];
  rh_regmap_household_t *h = hh_find_key(m, r.hh_key);
  if (!h || rh_map_get(&m->ps_ix, r.key, NULL)) {
    rh_id_mask(f[0], masked);
    rh_errf(errstr, errstr_size, "members: %s: %s", masked,
            h ? "twice" : "household not in households");
    return -1;
  }
  const char *name = arena_put(&m->names, r.name, r.name_len);
  if (!name || slab_reserve(&m->ps, 1, 0) || rh_map_reserve(&m->ps_ix, 1)) {
    rh_errf(errstr, errstr_size, "out of memory");
    return -1;
  }
  ps_apply(m, r.key, h, name, r.name_len, true, r.rel, NULL);
  return 0;
}

static rh_regmap_t *load(PGconn *conn, size_t threshold, char *errstr, size_t errstr_size) {
  const char *what = "loading the registry";
  double t0 = now_s();
  rh_regmap_t *m = rh_regmap_new();
  if (!m) {
    rh_errf(errstr, errstr_size, "%s: out of memory", what);
    return NULL;
  }
  rh_regmap_set_reload_threshold(m, threshold);
  bool began = false;
  if (begin_snapshot(conn, what, errstr, errstr_size)) goto fail;
  began = true;
  /* the snapshot is taken by the first statement: the watermark and both
   * tables below are one consistent state */
  if (exec_int64(conn, "SELECT coalesce(max(change_id), 0) FROM registry_changes", what,
                 &m->watermark, errstr, errstr_size))
    goto fail;
  /* size the tables from the planner's estimates (no rehashing on the way) */
  PGresult *est = PQexec(conn,
                         "SELECT greatest(c.reltuples, 0)::bigint FROM pg_class c "
                         "WHERE c.oid IN ('households'::regclass, 'members'::regclass) "
                         "ORDER BY c.relname");
  if (est && PQresultStatus(est) == PGRES_TUPLES_OK && PQntuples(est) == 2) {
    int64_t nh = strtoll(PQgetvalue(est, 0, 0), NULL, 10);
    int64_t np = strtoll(PQgetvalue(est, 1, 0), NULL, 10);
    if (nh > 0 && nh < 100000000) rh_map_reserve(&m->hh_ix, (size_t)nh * 21 / 20);
    if (np > 0 && np < 1000000000) rh_map_reserve(&m->ps_ix, (size_t)np * 21 / 20);
  }
  PQclear(est);
  if (rh_pg_connection_lost(conn)) {
    pg_error(errstr, errstr_size, what, conn, NULL);
    goto fail;
  }
  uint64_t nh = 0, np = 0;
  if (copy_rows(conn, "COPY (SELECT " HH_COLUMNS " FROM households) TO STDOUT", HH_NFIELDS,
                load_hh_row, m, what, &nh, errstr, errstr_size) ||
      copy_rows(conn, "COPY (SELECT " PS_COLUMNS " FROM members) TO STDOUT", PS_NFIELDS,
                load_ps_row, m, what, &np, errstr, errstr_size) ||
      exec_cmd(conn, "COMMIT", what, errstr, errstr_size))
    goto fail;
  rh_log_info("registry loaded: %zu households, %zu persons in %.2f s (up to change %lld)",
              m->hh_live, m->ps_live, now_s() - t0, (long long)m->watermark);
  return m;
fail:
  end_failed(conn, began);
  rh_regmap_destroy(m);
  return NULL;
}

rh_regmap_t *rh_regmap_load(PGconn *conn, char *errstr, size_t errstr_size) {
  if (!conn) {
    rh_errf(errstr, errstr_size, "loading the registry: no connection");
    return NULL;
  }
  return load(conn, RH_REGMAP_RELOAD_CHANGES, errstr, errstr_size);
}

/* ---- catch up -------------------------------------------------------------------- */

typedef struct {
  rh_regmap_t *m;
  /* keys named by the change log, each once: key -> position in keys */
  rh_map_t hh_set, ps_set;
  uint64_t *hh_keys, *ps_keys;
  size_t n_hh, n_ps, cap_hh, cap_ps;
  uint64_t changes, skipped;
  /* current rows of those keys */
  hh_rec_t *hh_rows;
  ps_rec_t *ps_rows;
  size_t n_hh_rows, n_ps_rows, cap_hh_rows, cap_ps_rows;
  char *names;
  size_t names_len, names_cap;
  /* set when a key's row was read: index into hh_rows/ps_rows, else NONE */
  uint32_t *hh_row_of, *ps_row_of;
} pending_t;

static void pending_free(pending_t *p) {
  rh_map_free(&p->hh_set);
  rh_map_free(&p->ps_set);
  free(p->hh_keys);
  free(p->ps_keys);
  free(p->hh_rows);
  free(p->ps_rows);
  free(p->names);
  free(p->hh_row_of);
  free(p->ps_row_of);
}

static int grow(void **arr, size_t *cap, size_t need, size_t esize) {
  if (need <= *cap) return 0;
  size_t c = *cap ? *cap : 64;
  while (c < need) c *= 2;
  void *a = realloc(*arr, c * esize);
  if (!a) return -1;
  *arr = a;
  *cap = c;
  return 0;
}

static int add_key(rh_map_t *set, uint64_t **keys, size_t *n, size_t *cap,
                   uint64_t key) {
  if (rh_map_get(set, key, NULL)) return 0;
  if (grow((void **)keys, cap, *n + 1, sizeof(**keys)) ||
      rh_map_put(set, key, (uint32_t)*n))
    return -1;
  (*keys)[(*n)++] = key;
  return 0;
}

static int change_row(void *ctx, char **f, size_t *lens, char *errstr, size_t errstr_size) {
  pending_t *p = ctx;
  p->changes++;
  if (!f[1] || !f[2]) {
    p->skipped++;
    return 0;
  }
  int rc = 0;
  if (strcmp(f[1], "households") == 0) {
    uint64_t k = rh_regmap_pack_household_id(f[2], lens[2]);
    if (!k) p->skipped++;
    else rc = add_key(&p->hh_set, &p->hh_keys, &p->n_hh, &p->cap_hh, k);
  } else if (strcmp(f[1], "members") == 0) {
    uint64_t k = rh_regmap_pack_id(f[2], lens[2]);
    if (!k) p->skipped++;
    else rc = add_key(&p->ps_set, &p->ps_keys, &p->n_ps, &p->cap_ps, k);
  } else {
    p->skipped++;
  }
  if (rc) rh_errf(errstr, errstr_size, "registry catch-up: out of memory");
  return rc;
}

static int changed_hh_row(void *ctx, char **f, size_t *lens, char *errstr, size_t errstr_size) {
  pending_t *p = ctx;
  hh_rec_t r;
  if (parse_hh(p->m, f, lens, &r, errstr, errstr_size)) return -1;
  uint32_t pos;
  if (!rh_map_get(&p->hh_set, r.key, &pos) || p->hh_row_of[pos] != NONE) {
    rh_errf(errstr, errstr_size, "households: %s: not asked for, or twice", f[0]);
    return -1;
  }
  if (grow((void **)&p->hh_rows, &p->cap_hh_rows, p->n_hh_rows + 1, sizeof(*p->hh_rows))) {
    rh_errf(errstr, errstr_size, "registry catch-up: out of memory");
    return -1;
  }
  p->hh_row_of[pos] = (uint32_t)p->n_hh_rows;
  p->hh_rows[p->n_hh_rows++] = r;
  return 0;
}

static int changed_ps_row(void *ctx, char **f, size_t *lens, char *errstr, size_t errstr_size) {
  pending_t *p = ctx;
  ps_rec_t r;
  if (parse_ps(f, lens, &r, errstr, errstr_size)) return -1;
  uint32_t pos;
  if (!rh_map_get(&p->ps_set, r.key, &pos) || p->ps_row_of[pos] != NONE) {
    char masked[RH_ID_BUFSZ];
    rh_id_mask(f[0], masked);
    rh_errf(errstr, errstr_size, "members: %s: not asked for, or twice", masked);
    return -1;
  }
  if (grow((void **)&p->ps_rows, &p->cap_ps_rows, p->n_ps_rows + 1, sizeof(*p->ps_rows)) ||
      grow((void **)&p->names, &p->names_cap, p->names_len + r.name_len + 1, 1)) {
    rh_errf(errstr, errstr_size, "registry catch-up: out of memory");
    return -1;
  }
  memcpy(p->names + p->names_len, r.name, r.name_len + 1);
  r.name = (const char *)(uintptr_t)p->names_len; /* an offset until names stops moving */
  p->names_len += r.name_len + 1;
  p->ps_row_of[pos] = (uint32_t)p->n_ps_rows;
  p->ps_rows[p->n_ps_rows++] = r;
  return 0;
}

#define KEYS_PER_QUERY 4000

/* COPY the current rows of keys[from..to) of one table */
static int fetch_rows(PGconn *conn, bool households, pending_t *p, char *errstr,
                      size_t errstr_size) {
  const uint64_t *keys = households ? p->hh_keys : p->ps_keys;
  size_t n = households ? p->n_hh : p->n_ps;
  size_t per_key = RH_REGMAP_HHID_LEN + 1;
  char *sql = malloc(256 + KEYS_PER_QUERY * per_key);
  if (!sql) {
    rh_errf(errstr, errstr_size, "registry catch-up: out of memory");
    return -1;
  }
  int rc = 0;
  for (size_t from = 0; from < n && rc == 0; from += KEYS_PER_QUERY) {
    size_t to = from + KEYS_PER_QUERY < n ? from + KEYS_PER_QUERY : n;
    int len = sprintf(sql, "COPY (SELECT %s FROM %s WHERE %s = ANY ('{",
                      households ? HH_COLUMNS : PS_COLUMNS, households ? "households" : "members",
                      households ? "household_id" : "id_number");
    for (size_t i = from; i < to; i++) {
      /* rebuilt from the packed key: only digits, hyphens and X */
      char k[RH_REGMAP_HHID_BUFSZ];
      if (households) rh_regmap_unpack_household_id(keys[i], k);
      else rh_regmap_unpack_id(keys[i], k);
      len += sprintf(sql + len, "%s%s", i > from ? "," : "", k);
    }
    sprintf(sql + len, "}'::text[])) TO STDOUT");
    rc = copy_rows(conn, sql, households ? HH_NFIELDS : PS_NFIELDS,
                   households ? changed_hh_row : changed_ps_row, p, "registry catch-up", NULL,
                   errstr, errstr_size);
  }
  free(sql);
  return rc;
}

/* Is the change set consistent with the map (every person's household there
 * after the change, every household that goes has no members left)? */
static bool pending_consistent(const pending_t *p) {
  const rh_regmap_t *m = p->m;
  for (size_t i = 0; i < p->n_ps_rows; i++) {
    uint64_t hk = p->ps_rows[i].hh_key;
    uint32_t pos;
    if (rh_map_get(&p->hh_set, hk, &pos)) {
      if (p->hh_row_of[pos] == NONE) return false; /* its household goes */
    } else if (!rh_map_get(&m->hh_ix, hk, NULL)) {
      return false; /* its household is nowhere */
    }
  }
  for (size_t i = 0; i < p->n_hh; i++) {
    if (p->hh_row_of[i] != NONE) continue;
    const rh_regmap_household_t *h = hh_find_key(m, p->hh_keys[i]);
    if (!h) continue;
    for (uint32_t pi = h->first_member; pi != NONE; pi = ps_at(m, pi)->next_member) {
      uint32_t pos;
      /* a member stays unless the change set moves or deletes it */
      if (!rh_map_get(&p->ps_set, ps_at(m, pi)->key, &pos)) return false;
      if (p->ps_row_of[pos] != NONE && p->ps_rows[p->ps_row_of[pos]].hh_key == p->hh_keys[i])
        return false;
    }
  }
  return true;
}

/* Reserve everything the change set needs; then apply it (cannot fail). */
static int pending_apply(pending_t *p, rh_regmap_catchup_t *out) {
  rh_regmap_t *m = p->m;
  size_t new_hh = 0, del_hh = 0, new_ps = 0, del_ps = 0;
  for (size_t i = 0; i < p->n_hh; i++) {
    bool there = rh_map_get(&m->hh_ix, p->hh_keys[i], NULL);
    if (p->hh_row_of[i] == NONE) del_hh += there;
    else new_hh += !there;
  }
  for (size_t i = 0; i < p->n_ps; i++) {
    bool there = rh_map_get(&m->ps_ix, p->ps_keys[i], NULL);
    if (p->ps_row_of[i] == NONE) del_ps += there;
    else new_ps += !there;
  }
  if (slab_reserve(&m->hh, new_hh, del_hh) || slab_reserve(&m->ps, new_ps, del_ps) ||
      rh_map_reserve(&m->hh_ix, new_hh) || rh_map_reserve(&m->ps_ix, new_ps) ||
      arena_reserve(&m->names, p->names_len))
    return -1;

  counts_t ch = {0}, cp = {0};
  for (size_t i = 0; i < p->n_hh_rows; i++) hh_apply(m, &p->hh_rows[i], &ch);
  for (size_t i = 0; i < p->n_ps; i++)
    if (p->ps_row_of[i] == NONE && ps_remove(m, p->ps_keys[i])) cp.deleted++;
  for (size_t i = 0; i < p->n_ps_rows; i++) {
    const ps_rec_t *r = &p->ps_rows[i];
    const char *name = p->names + (uintptr_t)r->name;
    ps_apply(m, r->key, hh_find_key(m, r->hh_key), name, r->name_len, false, r->rel, &cp);
  }
  for (size_t i = 0; i < p->n_hh; i++)
    if (p->hh_row_of[i] == NONE && hh_remove(m, p->hh_keys[i])) ch.deleted++;
  if (out) {
    out->households_inserted = ch.inserted;
    out->households_updated = ch.updated;
    out->households_unchanged = ch.unchanged;
    out->households_deleted = ch.deleted;
    out->persons_inserted = cp.inserted;
    out->persons_updated = cp.updated;
    out->persons_unchanged = cp.unchanged;
    out->persons_deleted = cp.deleted;
  }
  return 0;
}

/* Replace m's contents with a fresh load (m unchanged on failure). */
static int reload(rh_regmap_t *m, PGconn *conn, char *errstr, size_t errstr_size) {
  rh_regmap_t *n = load(conn, m->reload_threshold, errstr, errstr_size);
  if (!n) return -1;
  rh_regmap_t tmp = *m;
  *m = *n;
  *n = tmp;
  rh_regmap_destroy(n);
  return 0;
}

int rh_regmap_catch_up(rh_regmap_t *m, PGconn *conn, rh_regmap_catchup_t *out, char *errstr,
                       size_t errstr_size) {
  const char *what = "registry catch-up";
  double t0 = now_s();
  rh_regmap_catchup_t res = {0};
  if (!m || !conn) {
    rh_errf(errstr, errstr_size, "%s: no map or no connection", what);
    return -1;
  }
  pending_t p = {.m = m};
  int rc = -1;
  bool need_reload = false, began = false;
  const char *why = NULL;
  if (rh_map_init(&p.hh_set, 64) || rh_map_init(&p.ps_set, 64)) {
    rh_errf(errstr, errstr_size, "%s: out of memory", what);
    goto cleanup;
  }
  if (begin_snapshot(conn, what, errstr, errstr_size)) goto cleanup;
  began = true;
  int64_t last, oldest;
  if (exec_int64(conn, "SELECT coalesce(max(change_id), 0) FROM registry_changes", what, &last,
                 errstr, errstr_size) ||
      exec_int64(conn, "SELECT coalesce(min(change_id), 0) FROM registry_changes", what,
                 &oldest, errstr, errstr_size))
    goto cleanup;
  if (last < m->watermark) {
    need_reload = true;
    why = "the change log went backwards (a restored database?)";
  } else if (last > m->watermark && oldest > m->watermark + 1) {
    /* nothing at or below the watermark is left: changes right after it
     * may have been pruned (or were only rolled back: a reload is harmless) */
    need_reload = true;
    why = "the change log was pruned past the map's watermark";
  } else if (last > m->watermark) {
    char sql[256];
    snprintf(sql, sizeof(sql),
             "COPY (SELECT change_id, table_name, key FROM registry_changes "
             "WHERE change_id > %lld AND change_id <= %lld ORDER BY change_id LIMIT %zu) "
             "TO STDOUT",
             (long long)m->watermark, (long long)last, m->reload_threshold + 1);
    if (copy_rows(conn, sql, 3, change_row, &p, what, NULL, errstr, errstr_size)) goto cleanup;
    if (p.changes > m->reload_threshold) {
      need_reload = true;
      why = "many changes";
    }
  }
  if (!need_reload && (p.n_hh || p.n_ps)) {
    p.hh_row_of = malloc((p.n_hh + 1) * sizeof(uint32_t));
    p.ps_row_of = malloc((p.n_ps + 1) * sizeof(uint32_t));
    if (!p.hh_row_of || !p.ps_row_of) {
      rh_errf(errstr, errstr_size, "%s: out of memory", what);
      goto cleanup;
    }
    memset(p.hh_row_of, 0xff, (p.n_hh + 1) * sizeof(uint32_t));
    memset(p.ps_row_of, 0xff, (p.n_ps + 1) * sizeof(uint32_t));
    if (fetch_rows(conn, true, &p, errstr, errstr_size) ||
        fetch_rows(conn, false, &p, errstr, errstr_size))
      goto cleanup;
  }
  if (exec_cmd(conn, "COMMIT", what, errstr, errstr_size)) goto cleanup;
  /* everything is read: from here on the database is not needed (except for
   * a reload, which builds a new map before it replaces this one) */
  if (!need_reload && !pending_consistent(&p)) {
    need_reload = true;
    why = "the change log does not agree with the map";
  }
  if (need_reload) {
    rh_log_warn("%s: reloading the whole registry: %s", what, why);
    if (reload(m, conn, errstr, errstr_size)) goto cleanup;
    res.reloaded = true;
    res.changes = p.changes;
  } else {
    if (pending_apply(&p, &res)) {
      rh_errf(errstr, errstr_size, "%s: out of memory", what);
      goto cleanup;
    }
    res.changes = p.changes;
    m->watermark = last;
  }
  res.watermark = m->watermark;
  res.seconds = now_s() - t0;
  if (res.changes || res.reloaded)
    rh_log_info("%s: %llu changes up to %lld: households +%u ~%u -%u, persons +%u ~%u -%u%s "
                "(%.3f s)",
                what, (unsigned long long)res.changes, (long long)res.watermark,
                res.households_inserted, res.households_updated, res.households_deleted,
                res.persons_inserted, res.persons_updated, res.persons_deleted,
                res.reloaded ? ", reloaded" : "", res.seconds);
  if (p.skipped)
    rh_log_warn("%s: %llu change rows name no key of the registry's shape; skipped", what,
                (unsigned long long)p.skipped);
  rc = 0;
cleanup:
  if (rc) end_failed(conn, began);
  pending_free(&p);
  if (out) *out = rc == 0 ? res : (rh_regmap_catchup_t){.watermark = m ? m->watermark : 0};
  return rc;
}

/* ---- notifications ------------------------------------------------------------ */

int rh_regmap_listen(PGconn *conn, char *errstr, size_t errstr_size) {
  if (!conn) {
    rh_errf(errstr, errstr_size, "LISTEN %s: no connection", RH_REGMAP_CHANNEL);
    return -1;
  }
  return exec_cmd(conn, "LISTEN " RH_REGMAP_CHANNEL, "LISTEN " RH_REGMAP_CHANNEL, errstr,
                  errstr_size);
}

int rh_regmap_poll_notify(PGconn *conn) {
  if (rh_pg_connection_lost(conn)) return -1;
  if (!PQconsumeInput(conn) && rh_pg_connection_lost(conn)) return -1;
  int got = 0;
  PGnotify *n;
  while ((n = PQnotifies(conn)) != NULL) {
    if (strcmp(n->relname, RH_REGMAP_CHANNEL) == 0) got = 1;
    PQfreemem(n);
  }
  return got;
}
