/* rh_chain: see rh_chain.h. */
#include "rh_chain.h"

#include <stdlib.h>
#include <string.h>

#include "rh_array.h"

typedef struct {
  rh_chain_link_t l;
  rh_chain_verdict_t verdict;
  size_t original; /* COPY: the entry it copies */
} entry_t;

struct rh_chain {
  entry_t *e;
  size_t n, cap;
};

rh_chain_t *rh_chain_new(void) { return calloc(1, sizeof(rh_chain_t)); }

void rh_chain_free(rh_chain_t *c) {
  if (!c) return;
  free(c->e);
  free(c);
}

void rh_chain_clear(rh_chain_t *c) { c->n = 0; }

int rh_chain_add(rh_chain_t *c, const rh_chain_link_t *l) {
  if (RH_ARRAY_RESERVE(c->e, c->n + 1, c->cap, 64)) return -1;
  entry_t *e = &c->e[c->n++];
  memset(e, 0, sizeof *e);
  e->l = *l;
  e->verdict = l->believed ? RH_CHAIN_LINKED : RH_CHAIN_UNSIGNED;
  return 0;
}

size_t rh_chain_len(const rh_chain_t *c) { return c->n; }

const rh_chain_link_t *rh_chain_at(const rh_chain_t *c, size_t i) {
  return i < c->n ? &c->e[i].l : NULL;
}

static int cmp_i64(int64_t a, int64_t b) { return a < b ? -1 : a > b; }

static int by_feed_then_time(const void *pa, const void *pb) {
  const rh_chain_link_t *a = &((const entry_t *)pa)->l, *b = &((const entry_t *)pb)->l;
  int r;
  if (a->feed != b->feed) return (uintptr_t)a->feed < (uintptr_t)b->feed ? -1 : 1;
  if ((r = cmp_i64(a->appended_at, b->appended_at))) return r;
  if ((r = cmp_i64(a->finished_at, b->finished_at))) return r;
  if ((r = strcmp(a->topic, b->topic))) return r;
  if (a->partition != b->partition) return a->partition < b->partition ? -1 : 1;
  return cmp_i64(a->offset, b->offset);
}

/* A link of the chain for the lists after it: signed, and not a copy. */
static bool is_link(const entry_t *e) {
  return e->l.believed && e->verdict != RH_CHAIN_COPY;
}

/* Judges e[i] against the feed's entries e[lo..i), already judged. */
static void judge(entry_t *e, size_t lo, size_t i) {
  entry_t *x = &e[i];
  if (!x->l.believed) {
    x->verdict = RH_CHAIN_UNSIGNED;
    return;
  }
  /* before: a link came before it; moved: one of those named a previous
   * list (the chain is past its first list); missing_fork: one of those
   * named the same list, gone from the broker */
  bool before = false, moved = false, named = false, fork = false, missing_fork = false;
  for (size_t k = lo; k < i; k++) {
    if (!is_link(&e[k])) continue;
    if (strcmp(e[k].l.link, x->l.link) == 0) {
      x->verdict = RH_CHAIN_COPY;
      x->original = k;
      return;
    }
    before = true;
    moved |= e[k].l.prev[0] != '\0';
    if (x->l.prev[0] && strcmp(e[k].l.link, x->l.prev) == 0) named = true;
    if (x->l.prev[0] && strcmp(e[k].l.prev, x->l.prev) == 0) {
      fork = true;
      missing_fork |= e[k].verdict == RH_CHAIN_MISSING;
    }
  }
  if (!x->l.prev[0]) /* two first lists published at once are a fork */
    x->verdict = !before ? RH_CHAIN_FIRST : !moved ? RH_CHAIN_FORK : RH_CHAIN_RESTART;
  else if (!named)
    x->verdict = !before || missing_fork ? RH_CHAIN_MISSING : RH_CHAIN_UNKNOWN;
  else
    x->verdict = fork ? RH_CHAIN_FORK : RH_CHAIN_LINKED;
}

void rh_chain_sort(rh_chain_t *c) {
  if (c->n > 1) qsort(c->e, c->n, sizeof *c->e, by_feed_then_time);
  for (size_t lo = 0; lo < c->n;) {
    size_t hi = lo + 1;
    while (hi < c->n && c->e[hi].l.feed == c->e[lo].l.feed) hi++;
    for (size_t i = lo; i < hi; i++) judge(c->e, lo, i);
    lo = hi;
  }
}

rh_chain_verdict_t rh_chain_verdict(const rh_chain_t *c, size_t i, size_t *original) {
  if (i >= c->n) return RH_CHAIN_UNKNOWN;
  if (original && c->e[i].verdict == RH_CHAIN_COPY) *original = c->e[i].original;
  return c->e[i].verdict;
}

size_t rh_chain_find(const rh_chain_t *c, const char *topic, int32_t partition, int64_t offset) {
  for (size_t i = 0; i < c->n; i++)
    if (c->e[i].l.partition == partition && c->e[i].l.offset == offset &&
        strcmp(c->e[i].l.topic, topic) == 0)
      return i;
  return SIZE_MAX;
}

bool rh_chain_in_chain(rh_chain_verdict_t v) {
  return v == RH_CHAIN_FIRST || v == RH_CHAIN_LINKED || v == RH_CHAIN_FORK;
}

const char *rh_chain_explain(rh_chain_verdict_t v) {
  switch (v) {
  case RH_CHAIN_FIRST:
  case RH_CHAIN_LINKED:
  case RH_CHAIN_FORK:
    return "";
  case RH_CHAIN_COPY:
    return "the same signed list written again: a copy of a manifest of the feed before it "
           "(重复写入的旧清单)";
  case RH_CHAIN_RESTART:
    return "names no previous manifest, but signed lists of the feed came before it: the chain "
           "starts again here (链断裂)";
  case RH_CHAIN_UNKNOWN:
    return "names a previous manifest that is not among the feed's signed lists before it: "
           "taken out, or this one is out of the chain (链断裂)";
  case RH_CHAIN_MISSING:
    return "names a previous manifest that is not on the broker (deleted by retention, or "
           "removed) (链断裂)";
  case RH_CHAIN_UNSIGNED:
    return "not signed by its department (签名无效)";
  }
  return "?";
}
