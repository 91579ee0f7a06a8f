/* rh_regmap against a real PostgreSQL (RH_PG_CONNINFO, scripts/services.sh):
 * a scratch database of its own (riskhub_test_regmap_<pid>, dropped at the
 * end), made with the programs themselves: riskhub-gen writes a registry of
 * 2,000 households, `riskhub-registry migrate` and `import` load it. Then:
 * the map holds exactly what the files hold; registry changes made with SQL
 * are applied by catch_up, exactly those; the reload paths; the database
 * away or refusing mid-way leaves the map as it was; LISTEN/NOTIFY.
 *
 * `test_regmap_pg --bench` is not a test: it loads the registry of the
 * database RH_PG_CONNINFO names and prints load time, memory and lookup
 * rates (scripts/bench_regmap.sh prepares the database). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "rh_csv.h"
#include "rh_idnum.h"
#include "rh_log.h"
#include "rh_parse.h"
#include "rh_pg.h"
#include "rh_regmap.h"
#include "rh_synth.h"

#define HOUSEHOLDS 2000

static char tmpdir[PATH_MAX], bindir[PATH_MAX], dbname[64], conninfo[1200], base_conninfo[1024];
static PGconn *conn; /* what the map loads and catches up through */
static PGconn *adm;  /* what the "registry office" changes the tables through */

/* ---- the registry files --------------------------------------------------------- */

typedef struct {
  char id[RH_REGMAP_HHID_BUFSZ], township[16], village[64], type[32], category[32];
  char head[RH_ID_BUFSZ];
  bool eliminated;
  int32_t month;
  int64_t fen;
} fhh_t;

typedef struct {
  char hh[RH_REGMAP_HHID_BUFSZ], id[RH_ID_BUFSZ], name[64], relation[16];
} fps_t;

static fhh_t *fhh;
static fps_t *fps;
static size_t nfhh, nfps;

static int cmp_fhh(const void *a, const void *b) {
  return strcmp(((const fhh_t *)a)->id, ((const fhh_t *)b)->id);
}
static int cmp_fps(const void *a, const void *b) {
  return strcmp(((const fps_t *)a)->id, ((const fps_t *)b)->id);
}

static const char *col(const rh_csv_row_t *row, const rh_csv_row_t *hdr, const char *name) {
  for (size_t i = 0; i < hdr->nfields && i < row->nfields; i++)
    if (strcmp(hdr->fields[i].str, name) == 0) return row->fields[i].str;
  fail_msg("column %s missing", name);
  return NULL;
}

static void copy_to(char *dst, size_t n, const char *s) {
  assert_true(strlen(s) < n);
  memcpy(dst, s, strlen(s) + 1);
}

/* rows of a registry file, each handed to fn with the header row */
static void read_csv(const char *file, void (*fn)(const rh_csv_row_t *row, const rh_csv_row_t *hdr)) {
  char path[PATH_MAX + 64], err[512];
  snprintf(path, sizeof path, "%s/registry/%s", tmpdir, file);
  rh_csv_reader_t *r = rh_csv_open(path, RH_ENC_AUTO, err, sizeof err);
  if (!r) fail_msg("%s", err);
  const rh_csv_row_t *row;
  rh_csv_row_t hdr = {0};
  rh_csv_field_t hf[32];
  char names[32][40];
  int rc;
  while ((rc = rh_csv_next(r, &row, err, sizeof err)) == 1) {
    if (!hdr.nfields) {
      assert_true(row->nfields <= 32);
      for (size_t i = 0; i < row->nfields; i++) {
        copy_to(names[i], sizeof names[i], row->fields[i].str);
        hf[i].str = names[i];
        hf[i].len = strlen(names[i]);
      }
      hdr.nfields = row->nfields;
      hdr.fields = hf;
      continue;
    }
    fn(row, &hdr);
  }
  if (rc < 0) fail_msg("%s: %s", file, err);
  rh_csv_close(r);
}

static void hh_from_csv(const rh_csv_row_t *row, const rh_csv_row_t *hdr) {
  fhh = realloc(fhh, (nfhh + 1) * sizeof(*fhh));
  fhh_t *h = &fhh[nfhh++];
  memset(h, 0, sizeof(*h));
  copy_to(h->id, sizeof h->id, col(row, hdr, "household_id"));
  copy_to(h->township, sizeof h->township, col(row, hdr, "township_code"));
  copy_to(h->village, sizeof h->village, col(row, hdr, "village"));
  copy_to(h->type, sizeof h->type, col(row, hdr, "household_type"));
  copy_to(h->category, sizeof h->category, col(row, hdr, "monitoring_category"));
  copy_to(h->head, sizeof h->head, col(row, hdr, "head_id_number"));
  h->eliminated = strcmp(col(row, hdr, "risk_eliminated"), "true") == 0;
  const char *mo = col(row, hdr, "eliminated_month");
  h->month = *mo ? atoi(mo) * 100 + atoi(mo + 5) : 0;
  const char *inc = col(row, hdr, "income_per_capita");
  assert_int_equal(rh_parse_amount_fen(inc, strlen(inc), &h->fen), 0);
}

static void ps_from_csv(const rh_csv_row_t *row, const rh_csv_row_t *hdr) {
  fps = realloc(fps, (nfps + 1) * sizeof(*fps));
  fps_t *p = &fps[nfps++];
  copy_to(p->hh, sizeof p->hh, col(row, hdr, "household_id"));
  copy_to(p->id, sizeof p->id, col(row, hdr, "id_number"));
  copy_to(p->name, sizeof p->name, col(row, hdr, "name"));
  copy_to(p->relation, sizeof p->relation, col(row, hdr, "relation"));
}

static const fhh_t *file_household(const char *id) {
  fhh_t key;
  copy_to(key.id, sizeof key.id, id);
  return bsearch(&key, fhh, nfhh, sizeof(*fhh), cmp_fhh);
}
static bool file_has_person(const char *id) {
  fps_t key;
  copy_to(key.id, sizeof key.id, id);
  return bsearch(&key, fps, nfps, sizeof(*fps), cmp_fps) != NULL;
}

/* ---- SQL helpers ------------------------------------------------------------------ */

static void sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sql(const char *fmt, ...) {
  char q[4096], err[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(q, sizeof q, fmt, ap);
  va_end(ap);
  if (rh_pg_exec(adm, q, err, sizeof err)) fail_msg("%s\n  in: %s", err, q);
}

/* the first column of the first row, as text into out */
static void sql_value(char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void sql_value(char *out, size_t n, const char *fmt, ...) {
  char q[4096], err[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(q, sizeof q, fmt, ap);
  va_end(ap);
  PGresult *r = rh_pg_exec_params(adm, q, 0, NULL, err, sizeof err);
  if (!r) fail_msg("%s\n  in: %s", err, q);
  if (PQntuples(r) < 1) fail_msg("no row from: %s", q);
  snprintf(out, n, "%s", PQgetvalue(r, 0, 0));
  PQclear(r);
}

static int64_t sql_int(const char *q) {
  char v[64];
  sql_value(v, sizeof v, "%s", q);
  return strtoll(v, NULL, 10);
}

static int64_t max_change(void) {
  return sql_int("SELECT coalesce(max(change_id), 0) FROM registry_changes");
}

/* ---- comparing a map with the tables and with another map -------------------------- */

typedef struct {
  const rh_regmap_t *other;
  size_t households, persons;
} cmp_ctx_t;

static int same_household(const rh_regmap_household_t *h, void *arg) {
  cmp_ctx_t *c = arg;
  const rh_regmap_household_t *o = rh_regmap_household(c->other, h->household_id);
  if (!o) fail_msg("household %s only in one map", h->household_id);
  assert_string_equal(h->township_code, o->township_code);
  assert_string_equal(h->village, o->village);
  assert_int_equal(h->type, o->type);
  assert_int_equal(h->category, o->category);
  assert_int_equal(h->risk_eliminated, o->risk_eliminated);
  assert_int_equal(h->eliminated_month, o->eliminated_month);
  assert_int_equal(h->income_per_capita_fen, o->income_per_capita_fen);
  assert_int_equal(h->member_count, o->member_count);
  assert_true(h->head_key == o->head_key);
  c->households++;
  return 0;
}

/* every household and person of a equals b's (members compared as sets) */
static void assert_maps_equal(const rh_regmap_t *a, const rh_regmap_t *b) {
  rh_regmap_stats_t sa, sb;
  rh_regmap_stats(a, &sa);
  rh_regmap_stats(b, &sb);
  assert_int_equal(sa.households, sb.households);
  assert_int_equal(sa.persons, sb.persons);
  assert_int_equal(sa.watermark, sb.watermark);
  cmp_ctx_t c = {.other = b};
  assert_int_equal(rh_regmap_each_household(a, same_household, &c), 0);
  assert_int_equal(c.households, sa.households);
}

typedef struct {
  const rh_regmap_t *m;
  const rh_regmap_t *other; /* NULL: no comparison */
  size_t households, persons;
} walk_t;

/* every member: found by its ID as this very person, in this household, the
 * head first; with other: the same person there */
static int walk_household(const rh_regmap_household_t *h, void *arg) {
  walk_t *w = arg;
  w->households++;
  uint32_t n = 0;
  for (const rh_regmap_person_t *p = rh_regmap_first_member(w->m, h); p;
       p = rh_regmap_next_member(w->m, p), n++) {
    char id[RH_ID_BUFSZ];
    rh_regmap_person_id(p, id);
    assert_ptr_equal(rh_regmap_find(w->m, id), p);
    assert_ptr_equal(p->household, h);
    if (n > 0) assert_int_not_equal(p->relation, RH_REGMAP_REL_HEAD);
    if (w->other) {
      const rh_regmap_person_t *o = rh_regmap_find(w->other, id);
      if (!o) {
        char masked[RH_ID_BUFSZ];
        rh_id_mask(id, masked);
        fail_msg("person %s only in one map", masked);
      }
      assert_string_equal(o->household->household_id, h->household_id);
      assert_string_equal(o->name, p->name);
      assert_int_equal(o->relation, p->relation);
    }
  }
  assert_int_equal(n, h->member_count);
  w->persons += n;
  return 0;
}

/* the map's own consistency: nobody twice, nobody lost, counts right */
static void assert_map_consistent(const rh_regmap_t *m, const rh_regmap_t *other) {
  walk_t w = {.m = m, .other = other};
  assert_int_equal(rh_regmap_each_household(m, walk_household, &w), 0);
  rh_regmap_stats_t st;
  rh_regmap_stats(m, &st);
  assert_int_equal(w.households, st.households);
  assert_int_equal(w.persons, st.persons); /* each person in exactly one member list */
}

/* the map equals a fresh load of the database */
static void assert_equals_fresh_load(const rh_regmap_t *m) {
  char err[512];
  rh_regmap_t *fresh = rh_regmap_load(conn, err, sizeof err);
  if (!fresh) fail_msg("%s", err);
  assert_maps_equal(m, fresh);
  assert_map_consistent(m, fresh);
  assert_map_consistent(fresh, m);
  rh_regmap_destroy(fresh);
}

static rh_regmap_t *load_or_fail(void) {
  char err[512];
  rh_regmap_t *m = rh_regmap_load(conn, err, sizeof err);
  if (!m) fail_msg("%s", err);
  return m;
}

static void catch_up_or_fail(rh_regmap_t *m, rh_regmap_catchup_t *cu) {
  char err[512];
  if (rh_regmap_catch_up(m, conn, cu, err, sizeof err)) fail_msg("%s", err);
  assert_true(PQtransactionStatus(conn) == PQTRANS_IDLE);
}

/* ---- tests ------------------------------------------------------------------------ */

static void test_load_matches_files(void **state) {
  (void)state;
  rh_regmap_t *m = load_or_fail();
  assert_true(PQtransactionStatus(conn) == PQTRANS_IDLE);
  rh_regmap_stats_t st;
  rh_regmap_stats(m, &st);
  assert_int_equal(st.households, HOUSEHOLDS);
  assert_int_equal(st.persons, nfps);
  assert_int_equal(st.watermark, max_change());
  assert_true(st.watermark > 0); /* the import logged its inserts */

  for (size_t i = 0; i < nfps; i++) {
    const fps_t *f = &fps[i];
    const rh_regmap_person_t *p = rh_regmap_find(m, f->id);
    if (!p) {
      char masked[RH_ID_BUFSZ];
      rh_id_mask(f->id, masked);
      fail_msg("member %s of %s not found", masked, f->hh);
    }
    const fhh_t *fh = file_household(f->hh);
    assert_non_null(fh);
    assert_string_equal(p->household->household_id, f->hh);
    assert_string_equal(p->household->township_code, fh->township);
    assert_string_equal(rh_regmap_hhtype_str(p->household->type), fh->type);
    assert_string_equal(rh_regmap_relation_str(p->relation), f->relation);
    assert_string_equal(p->name, f->name);
    char id[RH_ID_BUFSZ];
    rh_regmap_person_id(p, id);
    assert_string_equal(id, f->id);
  }
  for (size_t i = 0; i < nfhh; i++) {
    const fhh_t *f = &fhh[i];
    const rh_regmap_household_t *h = rh_regmap_household(m, f->id);
    assert_non_null(h);
    assert_string_equal(h->township_code, f->township);
    assert_string_equal(h->village, f->village);
    assert_string_equal(rh_regmap_hhtype_str(h->type), f->type);
    if (*f->category) assert_string_equal(rh_regmap_category_str(h->category), f->category);
    else assert_int_equal(h->category, RH_REGMAP_CAT_NONE);
    assert_int_equal(h->risk_eliminated, f->eliminated);
    assert_int_equal(h->eliminated_month, f->month);
    assert_int_equal(h->income_per_capita_fen, f->fen);
    const rh_regmap_person_t *head = rh_regmap_head(m, h);
    assert_non_null(head);
    assert_ptr_equal(rh_regmap_first_member(m, h), head);
    assert_ptr_equal(rh_regmap_find(m, f->head), head);
  }
  assert_map_consistent(m, NULL);
  /* no change since: catch_up does nothing */
  rh_regmap_catchup_t cu;
  catch_up_or_fail(m, &cu);
  assert_int_equal(cu.changes, 0);
  assert_false(cu.reloaded);
  assert_int_equal(cu.watermark, st.watermark);
  rh_regmap_destroy(m);
}

static void test_unknown_ids_not_found(void **state) {
  (void)state;
  rh_regmap_t *m = load_or_fail();
  rh_rng_t rng;
  rh_rng_seed(&rng, 99);
  int tried = 0;
  for (int i = 0; i < 20000; i++) {
    char id[RH_ID_BUFSZ];
    rh_synth_id(&rng, i % 3 ? "411024" : "411002", 1930, 2020, -1, id);
    if (file_has_person(id)) continue;
    tried++;
    assert_null(rh_regmap_find(m, id));
  }
  assert_true(tried > 19000);
  /* every member with another check character, or one digit changed */
  for (size_t i = 0; i < nfps; i++) {
    char id[RH_ID_BUFSZ];
    memcpy(id, fps[i].id, sizeof id);
    id[17] = id[17] == 'X' ? '0' : id[17] == '9' ? 'X' : (char)(id[17] + 1);
    if (!file_has_person(id)) assert_null(rh_regmap_find(m, id));
    memcpy(id, fps[i].id, sizeof id);
    id[16] = id[16] == '9' ? '0' : (char)(id[16] + 1);
    if (!file_has_person(id)) assert_null(rh_regmap_find(m, id));
    /* a household number is not a person */
    assert_null(rh_regmap_find(m, fps[i].hh));
  }
  assert_null(rh_regmap_household(m, "411024100-024-9999"));
  rh_regmap_destroy(m);
}

/* an ID of the given address code not in the registry */
static void new_id(const char *address6, int seed, char out[RH_ID_BUFSZ]) {
  rh_rng_t rng;
  rh_rng_seed(&rng, (uint64_t)seed * 7777 + 1);
  do rh_synth_id(&rng, address6, 1960, 1990, 1, out);
  while (file_has_person(out));
}

static void insert_member(const char *id, const char *hh, const char *name, const char *relation) {
  int y, mo, d;
  rh_id_birth_date(id, &y, &mo, &d);
  sql("INSERT INTO members (id_number, household_id, name, sex, relation, birth_date, health, "
      "labour_ability, schooling, migrant_months, medical_insurance) VALUES "
      "('%s', '%s', '%s', '%s', '%s', '%04d-%02d-%02d', 'healthy', 'strong', 'junior', 0, true)",
      id, hh, name, rh_id_is_male(id) ? "male" : "female", relation, y, mo, d);
}

static void test_catch_up_applies_exactly_the_changes(void **state) {
  (void)state;
  rh_regmap_t *m = load_or_fail();
  rh_regmap_stats_t before;
  rh_regmap_stats(m, &before);

  /* H1: an ordinary household with two or more members becomes poverty-alleviated */
  char h1[32], m1[32], h2[32], h3[32], m2[32], h4[32];
  sql_value(h1, sizeof h1,
            "SELECT h.household_id FROM households h WHERE household_type = 'ordinary' AND "
            "(SELECT count(*) FROM members m WHERE m.household_id = h.household_id) >= 2 "
            "ORDER BY 1 LIMIT 1");
  /* M1 (not a head) moves from H2 to H3; M2 (not a head) of H4 is deleted */
  sql_value(m1, sizeof m1,
            "SELECT id_number FROM members WHERE relation <> 'head' AND household_id <> '%s' "
            "ORDER BY id_number LIMIT 1", h1);
  sql_value(h2, sizeof h2, "SELECT household_id FROM members WHERE id_number = '%s'", m1);
  sql_value(h3, sizeof h3,
            "SELECT household_id FROM households WHERE household_id NOT IN ('%s', '%s') "
            "ORDER BY household_id DESC LIMIT 1", h1, h2);
  sql_value(m2, sizeof m2,
            "SELECT id_number FROM members WHERE relation <> 'head' AND household_id NOT IN "
            "('%s', '%s', '%s') ORDER BY id_number DESC LIMIT 1", h1, h2, h3);
  sql_value(h4, sizeof h4, "SELECT household_id FROM members WHERE id_number = '%s'", m2);
  uint32_t h2_members = rh_regmap_household(m, h2)->member_count;
  uint32_t h3_members = rh_regmap_household(m, h3)->member_count;
  uint32_t h4_members = rh_regmap_household(m, h4)->member_count;
  /* H5 is new, with a new head M3 (one transaction: the head's key is deferred) */
  const char *h5 = "411024100-024-9999";
  char m3[RH_ID_BUFSZ];
  new_id("110105", 1, m3);

  sql("UPDATE households SET household_type = 'poverty_alleviated' WHERE household_id = '%s'", h1);
  sql("UPDATE members SET household_id = '%s' WHERE id_number = '%s'", h3, m1);
  sql("DELETE FROM members WHERE id_number = '%s'", m2);
  sql("BEGIN");
  sql("INSERT INTO households (household_id, township_code, village, household_type, "
      "income_per_capita, head_id_number) VALUES ('%s', '411024100', '新村', 'ordinary', "
      "20000.05, '%s')", h5, m3);
  insert_member(m3, h5, "测试户主", "head");
  sql("COMMIT");
  int64_t last = max_change();
  assert_int_equal(last - rh_regmap_watermark(m), 5);

  rh_regmap_catchup_t cu;
  catch_up_or_fail(m, &cu);
  assert_false(cu.reloaded);
  assert_int_equal(cu.changes, 5);
  assert_int_equal(cu.watermark, last);
  assert_int_equal(rh_regmap_watermark(m), last);
  assert_int_equal(cu.households_inserted, 1);
  assert_int_equal(cu.households_updated, 1);
  assert_int_equal(cu.households_unchanged, 0);
  assert_int_equal(cu.households_deleted, 0);
  assert_int_equal(cu.persons_inserted, 1);
  assert_int_equal(cu.persons_updated, 1);
  assert_int_equal(cu.persons_unchanged, 0);
  assert_int_equal(cu.persons_deleted, 1);

  assert_int_equal(rh_regmap_household(m, h1)->type, RH_REGMAP_HH_POVERTY_ALLEVIATED);
  const rh_regmap_person_t *p = rh_regmap_find(m, m1);
  assert_non_null(p);
  assert_string_equal(p->household->household_id, h3);
  assert_int_equal(rh_regmap_household(m, h2)->member_count, h2_members - 1);
  assert_int_equal(rh_regmap_household(m, h3)->member_count, h3_members + 1);
  assert_null(rh_regmap_find(m, m2));
  assert_int_equal(rh_regmap_household(m, h4)->member_count, h4_members - 1);
  const rh_regmap_household_t *nh = rh_regmap_household(m, h5);
  assert_non_null(nh);
  assert_string_equal(nh->township_code, "411024100");
  assert_string_equal(nh->village, "新村");
  assert_int_equal(nh->income_per_capita_fen, 2000005);
  p = rh_regmap_find(m, m3);
  assert_non_null(p);
  assert_ptr_equal(p->household, nh);
  assert_ptr_equal(rh_regmap_head(m, nh), p);
  assert_string_equal(p->name, "测试户主");
  rh_regmap_stats_t after;
  rh_regmap_stats(m, &after);
  assert_int_equal(after.households, before.households + 1);
  assert_int_equal(after.persons, before.persons); /* one in, one out */
  assert_equals_fresh_load(m);

  /* nothing new: nothing happens */
  catch_up_or_fail(m, &cu);
  assert_int_equal(cu.changes, 0);
  assert_int_equal(cu.watermark, last);

  /* second round: a column the map does not keep (unchanged); a new head
   * in H1 (relations and the household's head); H5 leaves, member first */
  char x[32], y[32], other[32];
  sql_value(x, sizeof x, "SELECT head_id_number FROM households WHERE household_id = '%s'", h1);
  sql_value(y, sizeof y,
            "SELECT id_number FROM members WHERE household_id = '%s' AND relation <> 'head' "
            "ORDER BY id_number LIMIT 1", h1);
  sql_value(other, sizeof other,
            "SELECT id_number FROM members WHERE household_id NOT IN ('%s', '%s') "
            "ORDER BY id_number LIMIT 1 OFFSET 7", h1, h5);
  sql("UPDATE members SET migrant_months = (migrant_months + 1) %% 13 WHERE id_number = '%s'",
      other);
  sql("BEGIN");
  sql("UPDATE members SET relation = 'head' WHERE id_number = '%s'", y);
  sql("UPDATE members SET relation = 'spouse' WHERE id_number = '%s'", x);
  sql("UPDATE households SET head_id_number = '%s' WHERE household_id = '%s'", y, h1);
  sql("COMMIT");
  sql("BEGIN");
  sql("DELETE FROM members WHERE household_id = '%s'", h5);
  sql("DELETE FROM households WHERE household_id = '%s'", h5);
  sql("COMMIT");
  catch_up_or_fail(m, &cu);
  assert_false(cu.reloaded);
  assert_int_equal(cu.changes, 6);
  assert_int_equal(cu.watermark, max_change());
  assert_int_equal(cu.households_inserted, 0);
  assert_int_equal(cu.households_updated, 1);
  assert_int_equal(cu.households_deleted, 1);
  assert_int_equal(cu.persons_inserted, 0);
  assert_int_equal(cu.persons_updated, 2);
  assert_int_equal(cu.persons_unchanged, 1);
  assert_int_equal(cu.persons_deleted, 1);
  assert_null(rh_regmap_household(m, h5));
  assert_null(rh_regmap_find(m, m3));
  const rh_regmap_household_t *hh1 = rh_regmap_household(m, h1);
  assert_ptr_equal(rh_regmap_head(m, hh1), rh_regmap_find(m, y));
  assert_ptr_equal(rh_regmap_first_member(m, hh1), rh_regmap_find(m, y));
  assert_int_equal(rh_regmap_find(m, x)->relation, RH_REGMAP_REL_SPOUSE);
  assert_equals_fresh_load(m);
  rh_regmap_destroy(m);
}

static void test_reload_paths(void **state) {
  (void)state;
  rh_regmap_t *m = load_or_fail();
  rh_regmap_catchup_t cu;

  /* more changes than the threshold: a reload */
  rh_regmap_set_reload_threshold(m, 2);
  sql("UPDATE households SET income_per_capita = income_per_capita + 1 WHERE household_id IN "
      "(SELECT household_id FROM households ORDER BY household_id LIMIT 3)");
  catch_up_or_fail(m, &cu);
  assert_true(cu.reloaded);
  assert_int_equal(cu.changes, 3);
  assert_int_equal(cu.watermark, max_change());
  assert_equals_fresh_load(m);
  rh_regmap_set_reload_threshold(m, 0);

  /* the change log went backwards (a restored database): a reload */
  sql("UPDATE households SET income_per_capita = income_per_capita + 1 WHERE household_id IN "
      "(SELECT household_id FROM households ORDER BY household_id DESC LIMIT 2)");
  catch_up_or_fail(m, &cu);
  assert_false(cu.reloaded);
  assert_int_equal(cu.households_updated, 2);
  sql("DELETE FROM registry_changes WHERE change_id > (SELECT max(change_id) - 2 FROM "
      "registry_changes)");
  catch_up_or_fail(m, &cu);
  assert_true(cu.reloaded);
  assert_int_equal(cu.watermark, max_change());
  assert_true(cu.watermark < rh_regmap_watermark(m) + 1);
  assert_equals_fresh_load(m);

  /* the log pruned: everything up to the watermark deleted. The next change
   * right after it applies normally; with an id burnt in between (pruned,
   * or only rolled back: the map cannot tell) the map reloads. (First one
   * change, so that the watermark is the sequence's last value again: the
   * step above left ids after it that no row has any more.) */
  sql("UPDATE households SET income_per_capita = income_per_capita + 1 WHERE household_id IN "
      "(SELECT household_id FROM households ORDER BY household_id LIMIT 1 OFFSET 19)");
  catch_up_or_fail(m, &cu);
  assert_false(cu.reloaded);
  assert_int_equal(rh_regmap_watermark(m),
                   sql_int("SELECT last_value FROM registry_changes_change_id_seq"));
  sql("DELETE FROM registry_changes WHERE change_id <= %lld", (long long)rh_regmap_watermark(m));
  sql("UPDATE households SET income_per_capita = income_per_capita + 1 WHERE household_id IN "
      "(SELECT household_id FROM households ORDER BY household_id LIMIT 1 OFFSET 20)");
  catch_up_or_fail(m, &cu);
  assert_false(cu.reloaded);
  assert_int_equal(cu.households_updated, 1);
  sql("DELETE FROM registry_changes WHERE change_id <= %lld", (long long)rh_regmap_watermark(m));
  sql("SELECT nextval('registry_changes_change_id_seq')");
  sql("UPDATE households SET income_per_capita = income_per_capita + 1 WHERE household_id IN "
      "(SELECT household_id FROM households ORDER BY household_id LIMIT 1 OFFSET 21)");
  catch_up_or_fail(m, &cu);
  assert_true(cu.reloaded);
  assert_int_equal(cu.watermark, max_change());
  assert_equals_fresh_load(m);

  /* a log that does not agree with the tables (a change row lost): the
   * member of a new household arrives without its household → a reload */
  char id[RH_ID_BUFSZ];
  new_id("110105", 2, id);
  const char *hh = "411024101-024-9998";
  sql("BEGIN");
  sql("INSERT INTO households (household_id, township_code, village, household_type, "
      "income_per_capita, head_id_number) VALUES ('%s', '411024101', '新村', 'ordinary', "
      "1.00, '%s')", hh, id);
  insert_member(id, hh, "测试", "head");
  sql("COMMIT");
  sql("DELETE FROM registry_changes WHERE table_name = 'households' AND key = '%s'", hh);
  catch_up_or_fail(m, &cu);
  assert_true(cu.reloaded);
  assert_non_null(rh_regmap_find(m, id));
  assert_ptr_equal(rh_regmap_find(m, id)->household, rh_regmap_household(m, hh));
  assert_equals_fresh_load(m);
  sql("BEGIN");
  sql("DELETE FROM members WHERE household_id = '%s'", hh);
  sql("DELETE FROM households WHERE household_id = '%s'", hh);
  sql("COMMIT");
  catch_up_or_fail(m, &cu);
  assert_false(cu.reloaded);
  assert_null(rh_regmap_household(m, hh));
  rh_regmap_destroy(m);
}

/* a batch that fails mid-way (households read, members refused) changes
 * nothing; the next catch_up applies all of it */
static void test_failure_midway_changes_nothing(void **state) {
  (void)state;
  char err[512];
  rh_regmap_t *m = load_or_fail();
  char h[32], p[32], name_before[64];
  sql_value(h, sizeof h,
            "SELECT household_id FROM households WHERE household_type = 'ordinary' "
            "ORDER BY household_id LIMIT 1 OFFSET 5");
  sql_value(p, sizeof p,
            "SELECT id_number FROM members WHERE household_id <> '%s' ORDER BY id_number "
            "LIMIT 1 OFFSET 11", h);
  snprintf(name_before, sizeof name_before, "%s", rh_regmap_find(m, p)->name);
  int64_t wm = rh_regmap_watermark(m);
  sql("UPDATE households SET household_type = 'poverty_alleviated' WHERE household_id = '%s'", h);
  sql("UPDATE members SET name = '改名' WHERE id_number = '%s'", p);

  sql("REVOKE SELECT ON members FROM CURRENT_USER");
  rh_regmap_catchup_t cu;
  int rc = rh_regmap_catch_up(m, conn, &cu, err, sizeof err);
  /* a load fails the same way, and leaves nothing behind (ASan) */
  char err2[512];
  rh_regmap_t *none = rh_regmap_load(conn, err2, sizeof err2);
  sql("GRANT SELECT ON members TO CURRENT_USER");
  assert_int_equal(rc, -1);
  assert_non_null(strstr(err, "42501"));
  assert_false(rh_pg_connection_lost(conn));
  assert_true(PQtransactionStatus(conn) == PQTRANS_IDLE);
  assert_null(none);
  assert_non_null(strstr(err2, "42501"));
  assert_int_equal(cu.watermark, wm);
  assert_int_equal(rh_regmap_watermark(m), wm);
  assert_int_equal(rh_regmap_household(m, h)->type, RH_REGMAP_HH_ORDINARY);
  assert_string_equal(rh_regmap_find(m, p)->name, name_before);

  catch_up_or_fail(m, &cu);
  assert_int_equal(cu.changes, 2);
  assert_int_equal(cu.households_updated, 1);
  assert_int_equal(cu.persons_updated, 1);
  assert_int_equal(rh_regmap_household(m, h)->type, RH_REGMAP_HH_POVERTY_ALLEVIATED);
  assert_string_equal(rh_regmap_find(m, p)->name, "改名");
  assert_equals_fresh_load(m);
  rh_regmap_destroy(m);
}

/* a writer's transaction still open: nothing of it is seen; once it
 * commits, catch_up picks it up (the watermark did not skip it) */
static void test_open_writer_not_skipped(void **state) {
  (void)state;
  rh_regmap_t *m = load_or_fail();
  char h[32];
  sql_value(h, sizeof h,
            "SELECT household_id FROM households WHERE household_type = 'ordinary' "
            "ORDER BY household_id LIMIT 1 OFFSET 30");
  sql("BEGIN");
  sql("UPDATE households SET household_type = 'poverty_alleviated' WHERE household_id = '%s'", h);
  rh_regmap_catchup_t cu;
  catch_up_or_fail(m, &cu);
  assert_int_equal(cu.changes, 0);
  assert_int_equal(rh_regmap_household(m, h)->type, RH_REGMAP_HH_ORDINARY);
  sql("COMMIT");
  catch_up_or_fail(m, &cu);
  assert_int_equal(cu.changes, 1);
  assert_int_equal(cu.households_updated, 1);
  assert_int_equal(rh_regmap_household(m, h)->type, RH_REGMAP_HH_POVERTY_ALLEVIATED);
  rh_regmap_destroy(m);
}

static void test_database_away(void **state) {
  (void)state;
  char err[512];
  rh_regmap_t *m = load_or_fail();
  rh_regmap_stats_t before, after;
  rh_regmap_stats(m, &before);
  sql("UPDATE households SET income_per_capita = income_per_capita + 1 WHERE household_id IN "
      "(SELECT household_id FROM households ORDER BY household_id LIMIT 1 OFFSET 9)");

  PGconn *c2 = rh_pg_connect(conninfo, 5000, err, sizeof err);
  if (!c2) fail_msg("%s", err);
  sql("SELECT pg_terminate_backend(%d)", PQbackendPID(c2));
  rh_regmap_catchup_t cu;
  assert_int_equal(rh_regmap_catch_up(m, c2, &cu, err, sizeof err), -1);
  assert_true(rh_pg_connection_lost(c2));
  assert_non_null(strstr(err, "registry catch-up"));
  rh_regmap_stats(m, &after);
  assert_int_equal(after.watermark, before.watermark);
  assert_int_equal(after.persons, before.persons);
  assert_null(rh_regmap_load(c2, err, sizeof err));
  assert_non_null(strstr(err, "connection lost"));
  assert_int_equal(rh_regmap_poll_notify(c2), -1);
  PQfinish(c2);

  /* a connection inside a transaction is refused, and left as it was */
  assert_int_equal(rh_pg_exec(conn, "BEGIN", err, sizeof err), 0);
  assert_int_equal(rh_regmap_catch_up(m, conn, &cu, err, sizeof err), -1);
  assert_non_null(strstr(err, "inside a transaction"));
  assert_true(PQtransactionStatus(conn) == PQTRANS_INTRANS);
  assert_int_equal(rh_pg_exec(conn, "ROLLBACK", err, sizeof err), 0);
  assert_int_equal(rh_regmap_watermark(m), before.watermark);

  /* a database without the registry's tables: a hint */
  PGconn *base = rh_pg_connect(base_conninfo, 5000, err, sizeof err);
  if (!base) fail_msg("%s", err);
  char q[256], empty_info[1300];
  snprintf(q, sizeof q, "CREATE DATABASE %s_empty", dbname);
  assert_int_equal(rh_pg_exec(base, q, err, sizeof err), 0);
  snprintf(empty_info, sizeof empty_info, "%s dbname=%s_empty", base_conninfo, dbname);
  PGconn *e = rh_pg_connect(empty_info, 5000, err, sizeof err);
  char lerr[512] = "";
  rh_regmap_t *none = e ? rh_regmap_load(e, lerr, sizeof lerr) : NULL;
  PQfinish(e);
  snprintf(q, sizeof q, "DROP DATABASE %s_empty WITH (FORCE)", dbname);
  assert_int_equal(rh_pg_exec(base, q, err, sizeof err), 0);
  PQfinish(base);
  assert_null(none);
  assert_non_null(strstr(lerr, "42P01"));
  assert_non_null(strstr(lerr, "riskhub-registry migrate"));

  /* once the database is back (a new connection), the change arrives */
  catch_up_or_fail(m, &cu);
  assert_int_equal(cu.changes, 1);
  assert_int_equal(cu.households_updated, 1);
  rh_regmap_destroy(m);
}

static int wait_notify(PGconn *c, int ms) {
  for (int waited = 0; waited < ms; waited += 50) {
    int rc = rh_regmap_poll_notify(c);
    if (rc) return rc;
    fd_set fds;
    FD_ZERO(&fds);
    FD_SET(PQsocket(c), &fds);
    struct timeval tv = {0, 50000};
    select(PQsocket(c) + 1, &fds, NULL, NULL, &tv);
  }
  return 0;
}

static void test_listen_notify(void **state) {
  (void)state;
  char err[512];
  PGconn *c = rh_pg_connect(conninfo, 5000, err, sizeof err);
  if (!c) fail_msg("%s", err);
  assert_int_equal(rh_regmap_listen(c, err, sizeof err), 0);
  rh_regmap_t *m = rh_regmap_load(c, err, sizeof err);
  if (!m) fail_msg("%s", err);
  assert_int_equal(rh_regmap_poll_notify(c), 0);
  sql("UPDATE households SET income_per_capita = income_per_capita + 1 WHERE household_id IN "
      "(SELECT household_id FROM households ORDER BY household_id LIMIT 1 OFFSET 3)");
  assert_int_equal(wait_notify(c, 5000), 1);
  assert_int_equal(rh_regmap_poll_notify(c), 0); /* drained */
  rh_regmap_catchup_t cu;
  assert_int_equal(rh_regmap_catch_up(m, c, &cu, err, sizeof err), 0);
  assert_int_equal(cu.changes, 1);
  /* catch_up's own queries do not eat a notification that arrives meanwhile */
  sql("UPDATE households SET income_per_capita = income_per_capita + 1 WHERE household_id IN "
      "(SELECT household_id FROM households ORDER BY household_id LIMIT 1 OFFSET 4)");
  struct timespec ts = {0, 200 * 1000000L};
  nanosleep(&ts, NULL);
  assert_int_equal(rh_regmap_catch_up(m, c, &cu, err, sizeof err), 0);
  assert_int_equal(cu.changes, 1);
  assert_int_equal(wait_notify(c, 5000), 1);
  rh_regmap_destroy(m);
  PQfinish(c);
}

/* ---- set-up: scratch database, generated registry, migrate, import ----------------- */

static int run(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int run(const char *what, const char *fmt, ...) {
  char cmd[4096], log[PATH_MAX + 32];
  snprintf(log, sizeof log, "%s/%s.log", tmpdir, what);
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  snprintf(cmd + n, sizeof cmd - (size_t)n, " >'%s' 2>&1", log);
  int rc = system(cmd);
  if (rc != 0) {
    fprintf(stderr, "%s failed (%d): %s\n", what, rc, cmd);
    char show[PATH_MAX + 64];
    snprintf(show, sizeof show, "tail -20 '%s' >&2", log);
    if (system(show)) {}
  }
  return rc;
}

static void find_bindir(void) {
  const char *env = getenv("RH_BIN_DIR");
  if (env && *env) {
    snprintf(bindir, sizeof bindir, "%s", env);
    return;
  }
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  exe[n > 0 ? n : 0] = '\0';
  snprintf(bindir, sizeof bindir, "%s/../bin", dirname(exe)); /* build/tests → build/bin */
}

static int setup(void **state) {
  (void)state;
  char err[512];
  rh_log_set_level(RH_LOG_WARN);
  find_bindir();
  snprintf(tmpdir, sizeof tmpdir, "/tmp/rh_regmap_XXXXXX");
  if (!mkdtemp(tmpdir)) return -1;
  snprintf(dbname, sizeof dbname, "riskhub_test_regmap_%d", (int)getpid());
  snprintf(base_conninfo, sizeof base_conninfo, "%s", rh_pg_env_conninfo());
  snprintf(conninfo, sizeof conninfo, "%s dbname=%s", base_conninfo, dbname);
  PGconn *base = rh_pg_connect(base_conninfo, 10000, err, sizeof err);
  if (!base) {
    fprintf(stderr, "%s (is scripts/services.sh start running?)\n", err);
    return -1;
  }
  char q[256];
  snprintf(q, sizeof q, "CREATE DATABASE %s", dbname);
  int rc = rh_pg_exec(base, q, err, sizeof err);
  PQfinish(base);
  if (rc) {
    fprintf(stderr, "%s\n", err);
    return -1;
  }
  setenv("RH_PG_CONNINFO", conninfo, 1);
  if (run("gen", "'%s/riskhub-gen' --out '%s' --period 2026-10 --households %d", bindir, tmpdir,
          HOUSEHOLDS) ||
      run("migrate", "'%s/riskhub-registry' --wait-s 10 migrate", bindir) ||
      run("import", "'%s/riskhub-registry' --wait-s 10 import '%s/registry'", bindir, tmpdir))
    return -1;
  read_csv("households.csv", hh_from_csv);
  read_csv("members.csv", ps_from_csv);
  qsort(fhh, nfhh, sizeof(*fhh), cmp_fhh);
  qsort(fps, nfps, sizeof(*fps), cmp_fps);
  if (nfhh != HOUSEHOLDS || nfps < HOUSEHOLDS) return -1;
  conn = rh_pg_connect(conninfo, 5000, err, sizeof err);
  adm = rh_pg_connect(conninfo, 5000, err, sizeof err);
  if (!conn || !adm) {
    fprintf(stderr, "%s\n", err);
    return -1;
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  char err[512], q[256];
  PQfinish(conn);
  PQfinish(adm);
  PGconn *base = *base_conninfo ? rh_pg_connect(base_conninfo, 5000, err, sizeof err) : NULL;
  if (base) {
    snprintf(q, sizeof q, "DROP DATABASE IF EXISTS %s WITH (FORCE)", dbname);
    if (rh_pg_exec(base, q, err, sizeof err)) fprintf(stderr, "%s\n", err);
    PQfinish(base);
  }
  if (*tmpdir) {
    char rm[PATH_MAX + 16];
    snprintf(rm, sizeof rm, "rm -rf '%s'", tmpdir);
    if (system(rm)) {}
  }
  free(fhh);
  free(fps);
  return 0;
}

/* ---- --bench ----------------------------------------------------------------------- */

static long rss_kb(const char *field) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long v = -1;
  size_t fl = strlen(field);
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, field, fl) == 0 && line[fl] == ':') v = strtol(line + fl + 1, NULL, 10);
  if (f) fclose(f);
  return v;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* every person's packed ID, through the member lists */
typedef struct {
  const rh_regmap_t *m;
  uint64_t *keys;
  size_t n;
} keys_t;

static int collect_keys(const rh_regmap_household_t *h, void *arg) {
  keys_t *k = arg;
  for (const rh_regmap_person_t *p = rh_regmap_first_member(k->m, h); p;
       p = rh_regmap_next_member(k->m, p))
    k->keys[k->n++] = p->key;
  return 0;
}

/* write: change the database (a scratch one!) to time a catch-up */
static int bench(int runs, bool write) {
  char err[512];
  rh_log_set_level(RH_LOG_WARN);
  PGconn *c = rh_pg_connect(rh_pg_env_conninfo(), 10000, err, sizeof err);
  if (!c) {
    fprintf(stderr, "bench: %s\n", err);
    return 69;
  }
  long rss0 = rss_kb("VmRSS");
  double t0 = now_s();
  rh_regmap_t *m = rh_regmap_load(c, err, sizeof err);
  double first = now_s() - t0;
  if (!m) {
    fprintf(stderr, "bench: %s\n", err);
    PQfinish(c);
    return 69;
  }
  long rss1 = rss_kb("VmRSS"), hwm1 = rss_kb("VmHWM");
  rh_regmap_stats_t st;
  rh_regmap_stats(m, &st);
  printf("registry: %zu households, %zu persons (up to change %lld)\n", st.households,
         st.persons, (long long)st.watermark);
  printf("load: %.3f s (first)", first);
  double best = first;
  for (int i = 1; i < runs; i++) {
    rh_regmap_t *again = NULL;
    t0 = now_s();
    again = rh_regmap_load(c, err, sizeof err);
    double s = now_s() - t0;
    if (!again) {
      fprintf(stderr, "\nbench: %s\n", err);
      break;
    }
    rh_regmap_destroy(again);
    printf(", %.3f s", s);
    if (s < best) best = s;
  }
  printf("; best %.3f s\n", best);
  printf("memory: map %.1f MiB (own count), RSS growth %.1f MiB, process RSS %.1f MiB, "
         "peak RSS after load %.1f MiB\n",
         st.bytes / 1048576.0, (rss1 - rss0) / 1024.0, rss1 / 1024.0, hwm1 / 1024.0);

  /* lookups: 1,000,000 present IDs (drawn from the map) and 1,000,000 absent */
  const size_t N = 1000000;
  char (*present)[RH_ID_BUFSZ] = malloc(N * RH_ID_BUFSZ);
  char (*absent)[RH_ID_BUFSZ] = malloc(N * RH_ID_BUFSZ);
  uint64_t *all = malloc(st.persons * sizeof(uint64_t));
  if (!present || !absent || !all) return 70;
  keys_t k = {m, all, 0};
  rh_regmap_each_household(m, collect_keys, &k);
  size_t na = k.n;
  rh_rng_t rng;
  rh_rng_seed(&rng, 12345);
  for (size_t i = 0; i < N; i++) {
    rh_regmap_unpack_id(all[rh_rng_below(&rng, (uint32_t)na)], present[i]);
    do rh_synth_id(&rng, i % 2 ? "411024" : "410102", 1930, 2020, -1, absent[i]);
    while (rh_regmap_find(m, absent[i])); /* the generator's IDs collide now and then */
  }
  size_t found = 0;
  t0 = now_s();
  for (size_t i = 0; i < N; i++) found += rh_regmap_find(m, present[i]) != NULL;
  double tp = now_s() - t0;
  size_t found_absent = 0;
  t0 = now_s();
  for (size_t i = 0; i < N; i++) found_absent += rh_regmap_find(m, absent[i]) != NULL;
  double ta = now_s() - t0;
  printf("lookups: present %.1f M/s (%zu of %zu found), absent %.1f M/s (%zu of %zu found)\n",
         N / tp / 1e6, found, N, N / ta / 1e6, found_absent, N);
  printf("peak RSS of this process: %.1f MiB (with the 2 x 1,000,000 test IDs)\n",
         rss_kb("VmHWM") / 1024.0);
  if (write) {
    /* catch-up: 1,000 households and 10,000 persons changed (names longer) */
    if (rh_pg_exec(c,
                   "UPDATE households SET income_per_capita = income_per_capita + 0.01 "
                   "WHERE household_id IN (SELECT household_id FROM households "
                   "ORDER BY household_id LIMIT 1000);"
                   "UPDATE members SET name = name || '改' WHERE id_number IN "
                   "(SELECT id_number FROM members ORDER BY id_number LIMIT 10000)",
                   err, sizeof err)) {
      fprintf(stderr, "bench: %s\n", err);
      return 69;
    }
    rh_regmap_catchup_t cu;
    if (rh_regmap_catch_up(m, c, &cu, err, sizeof err)) {
      fprintf(stderr, "bench: %s\n", err);
      return 69;
    }
    printf("catch-up: %llu changes (households ~%u, persons ~%u) in %.3f s",
           (unsigned long long)cu.changes, cu.households_updated, cu.persons_updated,
           cu.seconds);
    if (rh_pg_exec(c,
                   "UPDATE households SET income_per_capita = income_per_capita + 0.01 "
                   "WHERE household_id = (SELECT min(household_id) FROM households)",
                   err, sizeof err) ||
        rh_regmap_catch_up(m, c, &cu, err, sizeof err)) {
      fprintf(stderr, "\nbench: %s\n", err);
      return 69;
    }
    double one = cu.seconds;
    if (rh_regmap_catch_up(m, c, &cu, err, sizeof err)) {
      fprintf(stderr, "\nbench: %s\n", err);
      return 69;
    }
    printf("; of %s change %.1f ms; of none %.1f ms\n", "1", one * 1e3, cu.seconds * 1e3);
  }
  free(present);
  free(absent);
  free(all);
  rh_regmap_destroy(m);
  PQfinish(c);
  return found == N ? 0 : 70;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--bench") == 0)
    return bench(argc > 2 ? atoi(argv[2]) : 3, argc > 3 && strcmp(argv[3], "--write") == 0);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_load_matches_files),
      cmocka_unit_test(test_unknown_ids_not_found),
      cmocka_unit_test(test_catch_up_applies_exactly_the_changes),
      cmocka_unit_test(test_reload_paths),
      cmocka_unit_test(test_failure_midway_changes_nothing),
      cmocka_unit_test(test_open_writer_not_skipped),
      cmocka_unit_test(test_database_away),
      cmocka_unit_test(test_listen_notify),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
