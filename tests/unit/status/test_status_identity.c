/* status_identity and status_grid_identity: the last version of each
 * discrepancy of the report's month(s) by the as-of (whatever the order the
 * townships' topics give them in), the open ones counted per township and
 * kind, the closed ones apart, a township the configuration lacks on the
 * unmatched row, a kind this program does not know in the total only; the
 * grid as CSV (exact text, counts only), as a table, not read, a quarter. No
 * Kafka. */
#include "rh_discrepancy.h"
#include "status_identity.h"
#include "test_status_fixture.h"

#define ID_A "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
#define ID_B "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"
#define ID_C "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3"
#define ID_D "d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4"
#define ID_E "e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5"
#define ID_F "f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6"
#define ID_G "0707070707070707070707070707070707070707070707070707070707070707"
#define ID_H "0808080808080808080808080808080808080808080808080808080808080808"

#define MALAN "411024101"
#define ANLING "411024100"
#define PERSON "411024199001011234" /* synthetic; never in the grid */

static rh_discrepancy_t disc(const char *id, const char *kind, const char *period,
                             const char *township, rh_disc_status_t st, int64_t version,
                             int64_t created_at) {
  rh_discrepancy_t d = {0};
  d.discrepancy_id = id;
  d.status = st;
  d.version = version;
  d.kind = kind;
  d.period = period;
  d.township_code = township;
  d.household_id = "411024100-001-0007";
  d.person_id_number = PERSON;
  d.registry_value = "张三";
  d.list_value = "张三某";
  d.since = d.created_at = created_at;
  return d;
}

/* A: a name, 安陵镇, open; B: a village, 马栏镇, open then updated; C: a name,
 * 马栏镇, open then closed; D: moved from 马栏镇 to 安陵镇 (v3 OPEN read before
 * its v2 CLOSED); E: not in the registry, a township the configuration lacks;
 * F: after the as-of; G: another month; H: a kind this program does not know. */
static void fill(fx_t *f, status_identity_t *s) {
  int64_t t1 = cst(2026, 11, 3, 9, 30), t2 = cst(2026, 11, 5, 14, 0),
          late = cst(2026, 11, 25, 8, 0);
  rh_discrepancy_t v[] = {
      disc(ID_A, "NAME_DIFFERS", "2026-10", ANLING, RH_DISC_OPEN, 1, t1),
      disc(ID_B, "OTHER_VILLAGE", "2026-10", MALAN, RH_DISC_OPEN, 1, t1),
      disc(ID_B, "OTHER_VILLAGE", "2026-10", MALAN, RH_DISC_UPDATED, 2, t2),
      disc(ID_C, "NAME_DIFFERS", "2026-10", MALAN, RH_DISC_OPEN, 1, t1),
      disc(ID_C, "NAME_DIFFERS", "2026-10", MALAN, RH_DISC_CLOSED, 2, t2),
      disc(ID_D, "RELATION_DIFFERS", "2026-10", MALAN, RH_DISC_OPEN, 1, t1),
      disc(ID_D, "RELATION_DIFFERS", "2026-10", ANLING, RH_DISC_OPEN, 3, t2),
      disc(ID_D, "RELATION_DIFFERS", "2026-10", MALAN, RH_DISC_CLOSED, 2, t2),
      disc(ID_E, "NOT_IN_REGISTRY", "2026-10", "999999999", RH_DISC_OPEN, 1, t1),
      disc(ID_F, "NAME_DIFFERS", "2026-10", ANLING, RH_DISC_OPEN, 1, late),
      disc(ID_G, "NAME_DIFFERS", "2026-09", ANLING, RH_DISC_OPEN, 1, t1),
      disc(ID_H, "SOME_NEW_KIND", "2026-10", ANLING, RH_DISC_OPEN, 1, t1),
  };
  for (size_t i = 0; i < sizeof v / sizeof *v; i++)
    assert_int_equal(status_identity_add(s, f->r, &v[i]), 0);
  s->read = true;
  assert_int_equal(status_identity_finish(s, f->cfg), 0);
}

static void test_counts_of_the_last_versions(void **state) {
  fx_t *f = *state;
  status_identity_t s = {0};
  fill(f, &s);
  assert_int_equal(s.n, 6);           /* A B C D E H */
  assert_int_equal(s.after_as_of, 1); /* F */
  assert_int_equal(s.versions, 10);
  assert_int_equal(s.nrows, 3);
  int name = rh_disc_kind_index("NAME_DIFFERS"), village = rh_disc_kind_index("OTHER_VILLAGE"),
      relation = rh_disc_kind_index("RELATION_DIFFERS"),
      missing = rh_disc_kind_index("NOT_IN_REGISTRY");
  /* 马栏镇 (row 0): B open, C closed, D moved away */
  assert_int_equal(status_identity_count(&s, 0, (size_t)village), 1);
  assert_int_equal(status_identity_count(&s, 0, (size_t)name), 0);
  assert_int_equal(status_identity_count(&s, 0, (size_t)relation), 0);
  assert_int_equal(status_identity_count(&s, 0, STATUS_IDENTITY_OPEN), 1);
  assert_int_equal(status_identity_count(&s, 0, STATUS_IDENTITY_CLOSED), 1);
  /* 安陵镇 (row 1): A, D, and H in the total only */
  assert_int_equal(status_identity_count(&s, 1, (size_t)name), 1);
  assert_int_equal(status_identity_count(&s, 1, (size_t)relation), 1);
  assert_int_equal(status_identity_count(&s, 1, STATUS_IDENTITY_OPEN), 3);
  assert_int_equal(status_identity_count(&s, 1, STATUS_IDENTITY_CLOSED), 0);
  /* unmatched (row 2): E */
  assert_int_equal(status_identity_count(&s, 2, (size_t)missing), 1);
  assert_int_equal(status_identity_count(&s, 2, STATUS_IDENTITY_OPEN), 1);
  assert_int_equal(status_identity_open(&s), 5);
  assert_int_equal(status_identity_count(&s, 3, 0), 0); /* out of range */
  status_identity_free(&s);
  status_identity_free(&s); /* twice is fine */
}

static void test_grid_csv_and_table(void **state) {
  fx_t *f = *state;
  status_identity_t s = {0};
  fill(f, &s);
  char *out = render_grid(status_grid_identity(f->r, &s), 1);
  const char *want =
      "period,township,township_name,NOT_IN_REGISTRY,NAME_DIFFERS,OTHER_TOWNSHIP,OTHER_VILLAGE,"
      "RELATION_DIFFERS,BIRTH_DATE_CONTRADICTS_ID,SEX_CONTRADICTS_ID,MEMBER_MISSING_FROM_LIST,"
      "MEMBER_MISSING_FROM_REGISTRY,OTHER_HOUSEHOLD,open,closed\n"
      "2026-10,411024101,马栏镇,0,0,0,1,0,0,0,0,0,0,1,1\n"
      "2026-10,411024100,安陵镇,0,1,0,0,1,0,0,0,0,0,3,0\n"
      "2026-10,unmatched,未匹配人员 unmatched (county office),1,0,0,0,0,0,0,0,0,0,1,0\n";
  assert_string_equal(out, want);
  free(out);
  out = render_grid(status_grid_identity(f->r, &s), 0);
  assert_non_null(strstr(out, "身份信息差异 Identity discrepancies open, by township\n"));
  assert_non_null(strstr(out, "姓名不一致"));
  assert_non_null(strstr(out, "公安名单缺此家庭成员"));
  assert_non_null(strstr(out, "合计 townships total"));
  assert_non_null(strstr(out, "5 identity discrepancies of 2026-10 open"));
  assert_null(strstr(out, "NAME_DIFFERS")); /* codes for scripts only */
  /* counts only: no ID number, household, value or discrepancy id */
  assert_null(strstr(out, "411024199"));
  assert_null(strstr(out, "411024100-001"));
  assert_null(strstr(out, "张三"));
  assert_null(strstr(out, ID_A));
  free(out);
  status_identity_free(&s);
}

static void test_none_and_not_read(void **state) {
  fx_t *f = *state;
  status_identity_t s = {.read = true};
  assert_int_equal(status_identity_finish(&s, f->cfg), 0);
  char *out = render_grid(status_grid_identity(f->r, &s), 0);
  assert_non_null(strstr(out, "0 identity discrepancies of 2026-10 open"));
  free(out);
  status_identity_free(&s);
  status_identity_t away = {.read = false};
  snprintf(away.why, sizeof away.why, "Kafka away");
  status_grid_t *g = status_grid_identity(f->r, &away);
  assert_non_null(g);
  assert_int_equal(g->nrows, 0);
  out = render_grid(g, 0);
  assert_non_null(strstr(out, "未能读取 not read"));
  assert_non_null(strstr(out, "(Kafka away)"));
  free(out);
}

static void test_quarter_over_its_months(void **state) {
  fx_t *f = *state;
  status_report_t *q = quarter_report(f);
  status_identity_t s = {0};
  int64_t t = cst(2026, 12, 3, 9, 30);
  rh_discrepancy_t a = disc(ID_A, "NAME_DIFFERS", "2026-11", ANLING, RH_DISC_OPEN, 1, t);
  rh_discrepancy_t b = disc(ID_B, "NAME_DIFFERS", "2026-12", ANLING, RH_DISC_OPEN, 1, t);
  assert_int_equal(status_identity_add(&s, q, &a), 0);
  assert_int_equal(status_identity_add(&s, q, &b), 0);
  s.read = true;
  assert_int_equal(status_identity_finish(&s, f->cfg), 0);
  char *out = render_grid(status_grid_identity(q, &s), 1);
  assert_non_null(strstr(out, "\n2026-Q4,411024100,安陵镇,0,2,0,0,0,0,0,0,0,0,2,0\n"));
  free(out);
  status_identity_free(&s);
  status_report_destroy(q);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_counts_of_the_last_versions),
                                     cmocka_unit_test(test_grid_csv_and_table),
                                     cmocka_unit_test(test_none_and_not_read),
                                     cmocka_unit_test(test_quarter_over_its_months)};
  return cmocka_run_group_tests(tests, setup, teardown);
}
