/* alerts_heads: see alerts_heads.h. */
#include "alerts_heads.h"

#include <stdlib.h>
#include <string.h>

#include "rh_err.h"
#include "rh_pg.h"

static int cmp_head(const void *a, const void *b) {
  return strcmp(((const alerts_head_t *)a)->household_id,
                ((const alerts_head_t *)b)->household_id);
}

void alerts_heads_free(alerts_heads_t *h) {
  if (!h) return;
  for (size_t i = 0; i < h->n; i++) {
    free(h->v[i].household_id);
    free(h->v[i].name);
  }
  free(h->v);
  h->v = NULL;
  h->n = 0;
}

int alerts_heads_add(alerts_heads_t *h, const char *household_id, const char *name) {
  alerts_head_t *nv = realloc(h->v, (h->n + 1) * sizeof *nv);
  if (!nv) return -1;
  h->v = nv;
  char *id = strdup(household_id), *nm = strdup(name);
  if (!id || !nm) {
    free(id);
    free(nm);
    return -1;
  }
  h->v[h->n++] = (alerts_head_t){id, nm};
  return 0;
}

const char *alerts_heads_get(const alerts_heads_t *h, const char *household_id) {
  if (!h || !h->n || !household_id) return NULL;
  alerts_head_t key = {(char *)household_id, NULL};
  const alerts_head_t *f = bsearch(&key, h->v, h->n, sizeof *h->v, cmp_head);
  return f ? f->name : NULL;
}

/* Household numbers are 411024100-001-0007: digits and dashes only, so they
 * need no quoting in an array literal. Anything else is left out. */
static int plain_id(const char *s) {
  if (!s || !*s) return 0;
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || *s == '-')) return 0;
  return 1;
}

int alerts_heads_load(PGconn *conn, const alerts_item_t *items, size_t n, alerts_heads_t *h,
                      char *errstr, size_t errstr_size) {
  alerts_heads_free(h);
  size_t len = 3, count = 0;
  for (size_t i = 0; i < n; i++)
    if (plain_id(items[i].a.household_id)) len += strlen(items[i].a.household_id) + 1, count++;
  if (!count) return 0;
  char *arr = malloc(len);
  if (!arr) {
    rh_errf(errstr, errstr_size, "out of memory");
    return -1;
  }
  char *p = arr;
  *p++ = '{';
  const char *last = NULL;
  for (size_t i = 0; i < n; i++) {
    const char *id = items[i].a.household_id;
    if (!plain_id(id) || (last && strcmp(last, id) == 0)) continue; /* sorted: skip repeats */
    if (p > arr + 1) *p++ = ',';
    size_t l = strlen(id);
    memcpy(p, id, l);
    p += l;
    last = id;
  }
  *p++ = '}';
  *p = '\0';
  const char *params[1] = {arr};
  char why[512];
  PGresult *res = rh_pg_exec_params(
      conn,
      "SELECT household_id, head_name FROM household_heads "
      "WHERE household_id = ANY($1::text[]) ORDER BY household_id",
      1, params, why, sizeof why);
  free(arr);
  if (!res) {
    rh_errf(errstr, errstr_size, "reading the household heads from the registry: %s", why);
    return -1;
  }
  int rc = 0;
  for (int r = 0; r < PQntuples(res); r++) {
    if (alerts_heads_add(h, PQgetvalue(res, r, 0), PQgetvalue(res, r, 1))) {
      rh_errf(errstr, errstr_size, "out of memory");
      alerts_heads_free(h);
      rc = -1;
      break;
    }
  }
  PQclear(res);
  if (rc == 0 && h->n > 1) qsort(h->v, h->n, sizeof *h->v, cmp_head);
  return rc;
}
