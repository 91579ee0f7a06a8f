/* replay_cause: see replay_cause.h. */
#include "replay_cause.h"

#include <stdlib.h>
#include <string.h>

#include "rh_err.h"
#include "rh_pg.h"

#define CHANGES_SQL                                                                          \
  "SELECT table_name, key, (extract(epoch FROM max(changed_at)) * 1000)::bigint "           \
  "FROM registry_changes "                                                                   \
  "WHERE (table_name = 'members' AND key = ANY($1::text[])) "                                \
  "   OR (table_name = 'households' AND key = ANY($2::text[])) "                             \
  "GROUP BY table_name, key"

char *replay_cause_array(const char *const *items, size_t n) {
  size_t len = 3;
  for (size_t i = 0; i < n; i++) len += 2 * strlen(items[i]) + 3;
  char *out = malloc(len), *p = out;
  if (!out) return NULL;
  *p++ = '{';
  for (size_t i = 0; i < n; i++) {
    if (i) *p++ = ',';
    *p++ = '"';
    for (const char *s = items[i]; *s; s++) {
      if (*s == '"' || *s == '\\') *p++ = '\\';
      *p++ = *s;
    }
    *p++ = '"';
  }
  *p++ = '}';
  *p = '\0';
  return out;
}

typedef struct {
  char table; /* 'm' members, 'h' households */
  const char *key;
  long long ms;
} change_t;

static int by_key(const void *pa, const void *pb) {
  const change_t *a = pa, *b = pb;
  if (a->table != b->table) return a->table < b->table ? -1 : 1;
  return strcmp(a->key, b->key);
}

static long long last_change(const change_t *c, size_t n, char table, const char *key) {
  if (!key) return -1;
  change_t want = {table, key, 0};
  const change_t *f = bsearch(&want, c, n, sizeof *c, by_key);
  return f ? f->ms : -1;
}

int replay_cause_explain(replay_report_t *rep, PGconn *pg, char *errstr, size_t errstr_size) {
  if (!rep->ndiffs) return 0;
  int rc = -1;
  const char **members = malloc(rep->ndiffs * sizeof *members);
  const char **households = malloc(2 * rep->ndiffs * sizeof *households);
  char *m_arr = NULL, *h_arr = NULL;
  change_t *changes = NULL;
  PGresult *res = NULL;
  size_t nm = 0, nh = 0;
  if (!members || !households) goto oom;
  for (size_t i = 0; i < rep->ndiffs; i++) {
    const replay_diff_t *d = &rep->diffs[i];
    if (d->person) members[nm++] = d->person;
    if (d->household_expected) households[nh++] = d->household_expected;
    if (d->household_published) households[nh++] = d->household_published;
  }
  if (!(m_arr = replay_cause_array(members, nm)) || !(h_arr = replay_cause_array(households, nh)))
    goto oom;
  const char *params[2] = {m_arr, h_arr};
  if (!(res = rh_pg_exec_params(pg, CHANGES_SQL, 2, params, errstr, errstr_size))) {
    char why[512];
    snprintf(why, sizeof why, "%s", errstr);
    rh_errf(errstr, errstr_size, "reading registry_changes: %s", why);
    goto out;
  }
  size_t n = (size_t)PQntuples(res);
  if (!(changes = calloc(n ? n : 1, sizeof *changes))) goto oom;
  for (size_t i = 0; i < n; i++) {
    changes[i].table = PQgetvalue(res, (int)i, 0)[0] == 'm' ? 'm' : 'h';
    changes[i].key = PQgetvalue(res, (int)i, 1);
    changes[i].ms = strtoll(PQgetvalue(res, (int)i, 2), NULL, 10);
  }
  qsort(changes, n, sizeof *changes, by_key);
  for (size_t i = 0; i < rep->ndiffs; i++) {
    replay_diff_t *d = &rep->diffs[i];
    long long t = last_change(changes, n, 'm', d->person), x;
    if ((x = last_change(changes, n, 'h', d->household_expected)) > t) t = x;
    if ((x = last_change(changes, n, 'h', d->household_published)) > t) t = x;
    if (t >= 0 && d->reference_ms >= 0 && t > d->reference_ms) {
      d->cause = REPLAY_REGISTRY_CHANGED;
      d->registry_changed_at = t;
    } else {
      d->cause = REPLAY_UNEXPLAINED;
      d->registry_changed_at = -1;
    }
  }
  rc = 0;
  goto out;
oom:
  rh_errf(errstr, errstr_size, "out of memory asking the registry about the differences");
out:
  if (res) PQclear(res);
  free(changes);
  free(m_arr);
  free(h_arr);
  free(members);
  free(households);
  return rc;
}
