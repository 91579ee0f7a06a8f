/* alerts_store: see alerts_store.h. */
#include "alerts_store.h"

#include <stdlib.h>
#include <string.h>

#include "rh_array.h"
#include "rh_err.h"

#define BLOCK_MIN 65536

struct alerts_block_s {
  alerts_block_t *next;
  size_t used, size;
  char data[];
};

void alerts_store_init(alerts_store_t *s) { memset(s, 0, sizeof *s); }

/* n bytes aligned to 8 from the arena, or NULL. */
static void *arena_alloc(alerts_store_t *s, size_t n) {
  n = (n + 7) & ~(size_t)7;
  alerts_block_t *b = s->blocks;
  if (!b || b->size - b->used < n) {
    /* keep blocks that still have room at the head: a new block goes first */
    size_t size = n > BLOCK_MIN ? n : BLOCK_MIN;
    alerts_block_t *nb = malloc(sizeof *nb + size);
    if (!nb) return NULL;
    nb->next = s->blocks;
    nb->used = 0;
    nb->size = size;
    s->blocks = b = nb;
  }
  void *p = b->data + b->used;
  b->used += n;
  return p;
}

/* A copy of str in the arena; NULL stays NULL. *fail set when out of memory. */
static const char *dup(alerts_store_t *s, const char *str, int *fail) {
  if (!str) return NULL;
  size_t len = strlen(str) + 1;
  char *p = arena_alloc(s, len);
  if (!p) {
    *fail = 1;
    return NULL;
  }
  memcpy(p, str, len);
  return p;
}

int alerts_store_add(alerts_store_t *s, const rh_alert_t *a, const char *topic, int32_t partition,
                     int64_t offset, char *errstr, size_t errstr_size) {
  if (RH_ARRAY_RESERVE(s->items, s->n + 1, s->cap, 256)) goto oom;
  int fail = 0;
  alerts_item_t *it = &s->items[s->n];
  it->a = *a;
  rh_alert_t *c = &it->a;
#define D(f) c->f = dup(s, a->f, &fail)
  D(alert_id); D(situation); D(township_code); D(village); D(household_id); D(household_type);
  D(monitoring_category); D(person_id_number); D(person_name); D(relation_to_head); D(risk);
  D(risk_subtype); D(severity); D(rule_id); D(reason); D(department); D(feed); D(period);
  D(source.topic); D(source.batch_id);
#undef D
  c->facts = NULL;
  c->fact_count = 0;
  if (a->fact_count) {
    rh_fact_t *f = arena_alloc(s, a->fact_count * sizeof *f);
    if (!f) goto oom;
    for (size_t i = 0; i < a->fact_count; i++) {
      f[i].name = dup(s, a->facts[i].name, &fail);
      f[i].value = dup(s, a->facts[i].value, &fail);
    }
    c->facts = f;
    c->fact_count = a->fact_count;
  }
  it->topic = dup(s, topic, &fail);
  it->partition = partition;
  it->offset = offset;
  if (fail) goto oom;
  s->n++;
  return 0;
oom:
  rh_errf(errstr, errstr_size, "out of memory holding %zu alerts", s->n);
  return -1;
}

void alerts_store_clear(alerts_store_t *s) {
  s->n = 0;
  /* keep one block (the largest use is typically repeated), free the rest */
  alerts_block_t *b = s->blocks;
  if (!b) return;
  alerts_block_t *rest = b->next;
  b->next = NULL;
  b->used = 0;
  while (rest) {
    alerts_block_t *nx = rest->next;
    free(rest);
    rest = nx;
  }
}

void alerts_store_free(alerts_store_t *s) {
  if (!s) return;
  alerts_store_clear(s);
  free(s->blocks);
  free(s->items);
  memset(s, 0, sizeof *s);
}

int alerts_severity_rank(const char *severity) {
  if (!severity) return 0;
  if (strcmp(severity, "high") == 0) return 3;
  if (strcmp(severity, "medium") == 0) return 2;
  if (strcmp(severity, "low") == 0) return 1;
  return 0;
}

static int cmp_str(const char *x, const char *y) {
  return strcmp(x ? x : "", y ? y : "");
}

static int cmp_items(const void *pa, const void *pb) {
  const alerts_item_t *x = pa, *y = pb;
  const rh_alert_t *a = &x->a, *b = &y->a;
  int r;
  int ha = a->household_id != NULL, hb = b->household_id != NULL;
  if (ha != hb) return hb - ha; /* with a household first */
  if (ha) {
    if ((r = cmp_str(a->township_code, b->township_code))) return r;
    if ((r = cmp_str(a->household_id, b->household_id))) return r;
    if ((r = alerts_severity_rank(b->severity) - alerts_severity_rank(a->severity))) return r;
  } else {
    if ((r = cmp_str(a->person_id_number, b->person_id_number))) return r;
  }
  if ((r = cmp_str(a->period, b->period))) return r;
  if ((r = cmp_str(a->department, b->department))) return r;
  if ((r = cmp_str(a->feed, b->feed))) return r;
  if (ha && (r = cmp_str(a->person_id_number, b->person_id_number))) return r;
  if ((r = cmp_str(a->alert_id, b->alert_id))) return r;
  /* the same alert twice (a re-sent record): by position, so the order is total */
  if ((r = cmp_str(x->topic, y->topic))) return r;
  if (x->partition != y->partition) return x->partition < y->partition ? -1 : 1;
  return (x->offset > y->offset) - (x->offset < y->offset);
}

void alerts_store_sort(alerts_store_t *s) {
  if (s->n > 1) qsort(s->items, s->n, sizeof *s->items, cmp_items);
}

int alerts_same_group(const alerts_item_t *x, const alerts_item_t *y) {
  const rh_alert_t *a = &x->a, *b = &y->a;
  if ((a->household_id != NULL) != (b->household_id != NULL)) return 0;
  if (a->household_id)
    return cmp_str(a->township_code, b->township_code) == 0 &&
           strcmp(a->household_id, b->household_id) == 0;
  return cmp_str(a->person_id_number, b->person_id_number) == 0;
}
