#include "registry_guard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_array.h"

/* What the merge of registry_import deletes (delete_vanished there): the
 * households and members whose key is not in the files; the applications of
 * the file's periods that are not in it, and every application of a household
 * that leaves (ON DELETE CASCADE). */
static const char COUNTS_SQL[] =
    "SELECT (SELECT count(*) FROM households),"
    " (SELECT count(*) FROM households t WHERE NOT EXISTS"
    "   (SELECT 1 FROM stage_households s WHERE s.household_id = t.household_id)),"
    " (SELECT count(*) FROM members t WHERE NOT EXISTS"
    "   (SELECT 1 FROM stage_members s WHERE s.id_number = t.id_number)),"
    " (SELECT count(*) FROM applications t WHERE NOT EXISTS"
    "   (SELECT 1 FROM stage_households s WHERE s.household_id = t.household_id)"
    "   OR (t.period IN (SELECT period FROM stage_applications) AND NOT EXISTS"
    "   (SELECT 1 FROM stage_applications s"
    "    WHERE s.period = t.period AND s.household_id = t.household_id)))";

/* Townships, then villages of the other townships, none of whose households
 * is in the file. */
static const char PLACES_SQL[] =
    "WITH v AS (SELECT t.township_code, t.village, count(*) AS n,"
    "                  count(s.household_id) AS kept"
    "           FROM households t LEFT JOIN stage_households s"
    "             ON s.household_id = t.household_id GROUP BY 1, 2),"
    " tw AS (SELECT township_code, sum(n) AS n, sum(kept) AS kept FROM v GROUP BY 1)"
    " SELECT township_code, NULL::text AS village, n FROM tw WHERE kept = 0"
    " UNION ALL"
    " SELECT v.township_code, v.village, v.n FROM v JOIN tw USING (township_code)"
    " WHERE v.kept = 0 AND tw.kept > 0"
    " ORDER BY 2 NULLS FIRST, 1";

static int pg_fail(PGconn *conn, PGresult *r, const char *what, char *errstr, size_t size) {
  const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
  const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
  if (primary)
    snprintf(errstr, size, "%s: PostgreSQL error %s: %s", what, state ? state : "?", primary);
  else
    snprintf(errstr, size, "%s: %s", what, PQerrorMessage(conn));
  for (char *p = errstr; *p; p++)
    if (*p == '\n' || *p == '\r') *p = ' ';
  PQclear(r);
  return -1;
}

static uint64_t u64(const PGresult *r, int row, int col) {
  return strtoull(PQgetvalue(r, row, col), NULL, 10);
}

static int read_places(PGconn *conn, registry_guard_t *g, char *errstr, size_t size) {
  PGresult *r = PQexecParams(conn, PLACES_SQL, 0, NULL, NULL, NULL, NULL, 0);
  if (PQresultStatus(r) != PGRES_TUPLES_OK)
    return pg_fail(conn, r, "shrink guard (places)", errstr, size);
  int n = PQntuples(r);
  for (int i = 0; i < n; i++) {
    if (RH_ARRAY_RESERVE(g->places, g->place_count + 1, g->place_cap, 16)) goto oom;
    registry_guard_place_t *p = &g->places[g->place_count];
    memset(p, 0, sizeof(*p));
    snprintf(p->township, sizeof(p->township), "%s", PQgetvalue(r, i, 0));
    if (!PQgetisnull(r, i, 1) && !(p->village = strdup(PQgetvalue(r, i, 1)))) goto oom;
    p->households = u64(r, i, 2);
    g->place_count++;
  }
  PQclear(r);
  return 0;
oom:
  PQclear(r);
  snprintf(errstr, size, "shrink guard: out of memory");
  return -1;
}

int registry_guard_measure(PGconn *conn, registry_guard_t *g, char *errstr, size_t errstr_size) {
  memset(g, 0, sizeof(*g));
  PGresult *r = PQexecParams(conn, COUNTS_SQL, 0, NULL, NULL, NULL, NULL, 0);
  if (PQresultStatus(r) != PGRES_TUPLES_OK)
    return pg_fail(conn, r, "shrink guard (counts)", errstr, errstr_size);
  g->households_now = u64(r, 0, 0);
  g->households_deleted = u64(r, 0, 1);
  g->members_deleted = u64(r, 0, 2);
  g->applications_deleted = u64(r, 0, 3);
  PQclear(r);
  if (!g->households_deleted) return 0; /* no household goes: no place can empty */
  return read_places(conn, g, errstr, errstr_size);
}

double registry_guard_share(const registry_guard_t *g) {
  if (!g->households_now) return 0.0;
  return (double)g->households_deleted / (double)g->households_now;
}

int registry_guard_judge(const registry_guard_t *g, double max_share) {
  if (!g->households_now) return 0;
  int verdict = 0;
  if ((double)g->households_deleted > max_share * (double)g->households_now)
    verdict |= REGISTRY_GUARD_SHARE;
  if (g->place_count) verdict |= REGISTRY_GUARD_PLACES;
  return verdict;
}

static const char *plural(uint64_t n, const char *one, const char *many) {
  return n == 1 ? one : many;
}

void registry_guard_describe(const registry_guard_t *g, double max_share, char *buf,
                             size_t size) {
  bool over = registry_guard_judge(g, max_share) & REGISTRY_GUARD_SHARE;
  snprintf(buf, size,
           "would delete %llu of %llu household%s (%.1f %%, %s the %.1f %% allowed by "
           "registry.max_delete_share), %llu member%s and %llu application%s",
           (unsigned long long)g->households_deleted, (unsigned long long)g->households_now,
           plural(g->households_now, "", "s"), 100.0 * registry_guard_share(g),
           over ? "more than" : "within", 100.0 * max_share,
           (unsigned long long)g->members_deleted, plural(g->members_deleted, "", "s"),
           (unsigned long long)g->applications_deleted, plural(g->applications_deleted, "", "s"));
}

void registry_guard_place_line(const registry_guard_t *g, size_t i, const rh_config_t *cfg,
                               char *buf, size_t size) {
  if (i >= g->place_count) {
    if (size) buf[0] = '\0';
    return;
  }
  const registry_guard_place_t *p = &g->places[i];
  const rh_config_township_t *t = cfg ? rh_config_township_find(cfg, p->township) : NULL;
  char township[128];
  snprintf(township, sizeof(township), "%s%s%s", p->township, t ? " " : "", t ? t->name : "");
  if (p->village)
    snprintf(buf, size, "every household of village %s of township %s would be deleted "
             "(%llu household%s)", p->village, township, (unsigned long long)p->households,
             plural(p->households, "", "s"));
  else
    snprintf(buf, size, "every household of township %s would be deleted (%llu household%s)",
             township, (unsigned long long)p->households, plural(p->households, "", "s"));
}

void registry_guard_free(registry_guard_t *g) {
  if (!g) return;
  for (size_t i = 0; i < g->place_count; i++) free(g->places[i].village);
  free(g->places);
  memset(g, 0, sizeof(*g));
}
