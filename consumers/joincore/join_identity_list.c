/* join_identity_list: the persons one identity list names, and its
 * households against the registry's (join_identity.h, docs/identity.md,
 * "Households"). */
#include "join_identity.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_map.h"
#include "rh_parse.h"

#define NONE UINT32_MAX

typedef struct {
  uint64_t key;                             /* rh_regmap_pack_id */
  uint32_t next_same;                       /* next entry of the same 户号, or NONE */
  char hhno[JOIN_IDENTITY_HHNO_MAX + 1];    /* "" none */
} entry_t;

struct join_identity_list {
  entry_t *e;
  uint32_t n, cap;
  rh_map_t by_id;           /* packed ID -> entry */
  rh_map_bytes_t *by_hhno;  /* 户号, NUL-padded to JOIN_IDENTITY_HHNO_MAX -> latest entry */
};

join_identity_list_t *join_identity_list_new(void) {
  join_identity_list_t *l = calloc(1, sizeof *l);
  if (!l) return NULL;
  if (rh_map_init(&l->by_id, 1024) != 0 ||
      !(l->by_hhno = rh_map_bytes_new(JOIN_IDENTITY_HHNO_MAX, 1024))) {
    join_identity_list_destroy(l);
    return NULL;
  }
  return l;
}

void join_identity_list_destroy(join_identity_list_t *l) {
  if (!l) return;
  rh_map_free(&l->by_id);
  rh_map_bytes_destroy(l->by_hhno);
  free(l->e);
  free(l);
}

size_t join_identity_list_count(const join_identity_list_t *l) { return l->n; }

static void hhno_key(const char *hhno, char key[JOIN_IDENTITY_HHNO_MAX]) {
  memset(key, 0, JOIN_IDENTITY_HHNO_MAX);
  memcpy(key, hhno, strlen(hhno));
}

int join_identity_list_add(join_identity_list_t *l, const char *id_number,
                           const char *household_number) {
  uint64_t key = id_number ? rh_regmap_pack_id(id_number, strlen(id_number)) : 0;
  if (key == 0) return -1;
  if (rh_map_get(&l->by_id, key, NULL)) return 1;
  if (l->n == l->cap) {
    uint32_t cap = l->cap ? l->cap * 2 : 1024;
    entry_t *e = realloc(l->e, (size_t)cap * sizeof *e);
    if (!e) return -1;
    l->e = e, l->cap = cap;
  }
  entry_t *e = &l->e[l->n];
  memset(e, 0, sizeof *e);
  e->key = key;
  e->next_same = NONE;
  const char *t = "";
  size_t tn = 0;
  if (household_number) rh_trim(household_number, strlen(household_number), &t, &tn);
  /* A number longer than any 户号 is not one: no household, rather than a
   * prefix that could match another's. */
  if (tn <= JOIN_IDENTITY_HHNO_MAX) memcpy(e->hhno, t, tn);
  char hk[JOIN_IDENTITY_HHNO_MAX];
  uint32_t head = NONE;
  if (e->hhno[0]) {
    hhno_key(e->hhno, hk);
    if (!rh_map_bytes_get(l->by_hhno, hk, &head)) head = NONE;
  }
  /* Both maps or neither: the first put is undone if the second fails. */
  if (rh_map_put(&l->by_id, key, l->n) != 0) return -1;
  if (e->hhno[0] && rh_map_bytes_put(l->by_hhno, hk, l->n) != 0) {
    rh_map_del(&l->by_id, key);
    return -1;
  }
  e->next_same = head;
  l->n++;
  return 0;
}

static const entry_t *listed(const join_identity_list_t *l, const rh_regmap_person_t *p) {
  char id[RH_ID_BUFSZ];
  uint32_t i;
  rh_regmap_person_id(p, id);
  return rh_map_get(&l->by_id, rh_regmap_pack_id(id, RH_ID_LEN), &i) ? &l->e[i] : NULL;
}

static int emit(join_identity_kind_t kind, uint64_t key, const rh_regmap_household_t *h,
                const char *registry_value, const char *list_value, join_identity_fn *fn,
                void *arg, join_identity_counts_t *counts) {
  join_identity_discrepancy_t d;
  memset(&d, 0, sizeof d);
  d.kind = kind;
  rh_regmap_unpack_id(key, d.id_number);
  snprintf(d.household_id, sizeof d.household_id, "%s", h->household_id);
  snprintf(d.township_code, sizeof d.township_code, "%s", h->township_code);
  /* values fit: a registry name is cut like join_identity_compare's (at a
   * character boundary), a 户号 is at most JOIN_IDENTITY_HHNO_MAX bytes */
  size_t n = strlen(registry_value);
  if (n >= sizeof d.registry_value) {
    n = sizeof d.registry_value - 1;
    while (n > 0 && ((unsigned char)registry_value[n] & 0xC0) == 0x80) n--;
  }
  memcpy(d.registry_value, registry_value, n);
  snprintf(d.list_value, sizeof d.list_value, "%s", list_value);
  if (counts) counts->found[kind]++;
  return fn(arg, &d);
}

/* The one 户号 h's listed members carry: 1 found (*hhno), 0 none given,
 * -1 more than one (the police split the household: which part is h?). */
static int household_number(const join_identity_list_t *l, const rh_regmap_t *map,
                            const rh_regmap_household_t *h, const char **hhno) {
  *hhno = NULL;
  for (const rh_regmap_person_t *p = rh_regmap_first_member(map, h); p;
       p = rh_regmap_next_member(map, p)) {
    const entry_t *e = listed(l, p);
    if (!e || !e->hhno[0]) continue;
    if (*hhno && strcmp(*hhno, e->hhno) != 0) return -1;
    *hhno = e->hhno;
  }
  return *hhno ? 1 : 0;
}

/* Whether every registry person the list files under hhno is h's: only then
 * is hhno h's police household, and a stranger in it one h lacks. */
static bool hhno_is_h(const join_identity_list_t *l, const rh_regmap_t *map,
                      const rh_regmap_household_t *h, const char *hhno) {
  char hk[JOIN_IDENTITY_HHNO_MAX];
  uint32_t i;
  hhno_key(hhno, hk);
  if (!rh_map_bytes_get(l->by_hhno, hk, &i)) return false;
  for (; i != NONE; i = l->e[i].next_same) {
    const rh_regmap_person_t *p = rh_regmap_find_key(map, l->e[i].key);
    if (p && p->household != h) return false;
  }
  return true;
}

static bool covered(const join_identity_list_t *l, const rh_regmap_t *map,
                    const rh_regmap_household_t *h) {
  for (const rh_regmap_person_t *p = rh_regmap_first_member(map, h); p;
       p = rh_regmap_next_member(map, p))
    if (listed(l, p)) return true;
  return false;
}

int join_identity_household(const join_identity_list_t *l, const rh_regmap_t *map,
                            const rh_regmap_household_t *h, join_identity_fn *fn, void *arg,
                            join_identity_counts_t *counts) {
  int found = 0;
  if (!covered(l, map, h)) return 0;
  if (counts) counts->households_compared++;
  for (const rh_regmap_person_t *p = rh_regmap_first_member(map, h); p;
       p = rh_regmap_next_member(map, p)) {
    if (listed(l, p)) continue;
    char id[RH_ID_BUFSZ];
    rh_regmap_person_id(p, id);
    if (emit(JOIN_IDENTITY_MEMBER_MISSING_FROM_LIST, rh_regmap_pack_id(id, RH_ID_LEN), h,
             p->name ? p->name : "", "", fn, arg, counts))
      return -1;
    found++;
  }
  const char *hhno;
  int hn = household_number(l, map, h, &hhno);
  if (hn <= 0 || !hhno_is_h(l, map, h, hhno)) {
    if (counts) {
      if (hn == 0) counts->households_without_number++;
      else counts->households_ambiguous++;
    }
    return found;
  }
  char hk[JOIN_IDENTITY_HHNO_MAX];
  uint32_t i;
  hhno_key(hhno, hk);
  rh_map_bytes_get(l->by_hhno, hk, &i);
  /* the chain runs from the list's last row of hhno to its first */
  for (; i != NONE; i = l->e[i].next_same) {
    const entry_t *e = &l->e[i];
    if (rh_regmap_find_key(map, e->key)) continue;
    if (emit(JOIN_IDENTITY_MEMBER_MISSING_FROM_REGISTRY, e->key, h, "", e->hhno, fn, arg,
             counts))
      return -1;
    found++;
  }
  return found;
}

/* The registry households of the persons a 户号 files, with their counts. */
#define MOVED_HOUSEHOLDS 16

int join_identity_list_moved(const join_identity_list_t *l, const rh_regmap_t *map,
                             join_identity_fn *fn, void *arg, join_identity_counts_t *counts) {
  int found = 0;
  for (uint32_t i = 0; i < l->n; i++) {
    char hk[JOIN_IDENTITY_HHNO_MAX];
    uint32_t head;
    if (!l->e[i].hhno[0]) continue;
    hhno_key(l->e[i].hhno, hk);
    /* each 户号 once: from its chain's head (the list's last row of it) */
    if (!rh_map_bytes_get(l->by_hhno, hk, &head) || head != i) continue;
    const rh_regmap_household_t *hh[MOVED_HOUSEHOLDS];
    uint32_t n[MOVED_HOUSEHOLDS], known = 0, kinds = 0;
    for (uint32_t j = head; j != NONE; j = l->e[j].next_same) {
      const rh_regmap_person_t *p = rh_regmap_find_key(map, l->e[j].key);
      if (!p) continue;
      known++;
      uint32_t k = 0;
      while (k < kinds && hh[k] != p->household) k++;
      if (k == kinds) {
        if (kinds == MOVED_HOUSEHOLDS) continue; /* a 户号 of 16 households is no household */
        hh[kinds] = p->household, n[kinds++] = 0;
      }
      n[k]++;
    }
    uint32_t major = 0;
    while (major < kinds && n[major] * 2 <= known) major++;
    if (kinds < 2 || major == kinds) continue; /* one household, or none has most */
    for (uint32_t j = head; j != NONE; j = l->e[j].next_same) {
      const rh_regmap_person_t *p = rh_regmap_find_key(map, l->e[j].key);
      if (!p || p->household == hh[major]) continue;
      if (emit(JOIN_IDENTITY_OTHER_HOUSEHOLD, l->e[j].key, p->household,
               p->household->household_id, hh[major]->household_id, fn, arg, counts))
        return -1;
      found++;
    }
  }
  return found;
}

int join_identity_list_households(const join_identity_list_t *l, const rh_regmap_t *map,
                                  join_identity_fn *fn, void *arg, join_identity_counts_t *counts,
                                  char *errstr, size_t errstr_size) {
  rh_map_t seen;
  int total = 0, rc = 0;
  if (rh_map_init(&seen, l->n) != 0) goto oom;
  for (uint32_t i = 0; i < l->n; i++) {
    const rh_regmap_person_t *p = rh_regmap_find_key(map, l->e[i].key);
    if (!p) continue;
    uint64_t hk = rh_regmap_pack_household_id(p->household->household_id, RH_REGMAP_HHID_LEN);
    if (rh_map_get(&seen, hk, NULL)) continue;
    if (rh_map_put(&seen, hk, 1) != 0) goto oom;
    int n = join_identity_household(l, map, p->household, fn, arg, counts);
    if (n < 0) {
      rc = -1;
      snprintf(errstr, errstr_size, "identity households: stopped by the caller");
      goto out;
    }
    total += n;
  }
  rc = total;
  goto out;
oom:
  snprintf(errstr, errstr_size, "identity households: out of memory");
  rc = -1;
out:
  rh_map_free(&seen);
  return rc;
}
