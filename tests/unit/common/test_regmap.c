/* rh_regmap without a database: key packing, codes, and the map changed by
 * hand (members, moves, deletes, free-slot reuse). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_idnum.h"
#include "rh_regmap.h"
#include "rh_synth.h"

/* ---- packing ---------------------------------------------------------------- */

static void test_pack_id_roundtrip(void **state) {
  (void)state;
  static const char *ids[] = {"11010519491231002X", "411024195807049851", "000000000000000000",
                              "999999999999999999", "99999999999999999X", "100000000000000000"};
  char out[RH_ID_BUFSZ];
  for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
    uint64_t k = rh_regmap_pack_id(ids[i], 18);
    assert_true(k != 0);
    rh_regmap_unpack_id(k, out);
    assert_string_equal(out, ids[i]);
  }
  /* random valid IDs, and every one of them with each other check character */
  rh_rng_t rng;
  rh_rng_seed(&rng, 42);
  for (int i = 0; i < 20000; i++) {
    char id[RH_ID_BUFSZ];
    rh_synth_id(&rng, i % 2 ? "411024" : "110105", 1920, 2025, -1, id);
    uint64_t k = rh_regmap_pack_id(id, 18);
    rh_regmap_unpack_id(k, out);
    assert_string_equal(out, id);
  }
}

static void test_pack_id_check_chars(void **state) {
  (void)state;
  /* the same 17 digits with each of the 11 check characters: 11 distinct keys */
  char id[RH_ID_BUFSZ] = "41102419900101001?";
  uint64_t keys[11];
  for (int c = 0; c < 11; c++) {
    id[17] = c == 10 ? 'X' : (char)('0' + c);
    keys[c] = rh_regmap_pack_id(id, 18);
    assert_true(keys[c] != 0);
    for (int d = 0; d < c; d++) assert_true(keys[c] != keys[d]);
  }
  /* lower-case x is X; unpacking gives X */
  id[17] = 'x';
  assert_true(rh_regmap_pack_id(id, 18) == keys[10]);
  char out[RH_ID_BUFSZ];
  rh_regmap_unpack_id(keys[10], out);
  assert_string_equal(out, "41102419900101001X");
  /* neighbouring numbers do not collide: digits*11 + check */
  assert_true(rh_regmap_pack_id("411024199001010020", 18) == keys[10] + 1);
}

static void test_pack_id_rejects(void **state) {
  (void)state;
  assert_true(rh_regmap_pack_id("41102419900101001", 17) == 0);
  assert_true(rh_regmap_pack_id("4110241990010100100", 19) == 0);
  assert_true(rh_regmap_pack_id("4110241990010100X0", 18) == 0); /* X not last */
  assert_true(rh_regmap_pack_id("41102419900101001Y", 18) == 0);
  assert_true(rh_regmap_pack_id("41102419900101 001", 18) == 0);
  assert_true(rh_regmap_pack_id("-11024199001010010", 18) == 0);
  assert_true(rh_regmap_pack_id(NULL, 18) == 0);
  assert_true(rh_regmap_pack_id("", 0) == 0);
  char out[RH_ID_BUFSZ] = "junk";
  rh_regmap_unpack_id(0, out);
  assert_string_equal(out, "");
}

static void test_pack_household_id(void **state) {
  (void)state;
  static const char *ok[] = {"411024100-007-0123", "000000000-000-0000", "999999999-999-9999"};
  char out[RH_REGMAP_HHID_BUFSZ];
  for (size_t i = 0; i < 3; i++) {
    uint64_t k = rh_regmap_pack_household_id(ok[i], 18);
    assert_true(k != 0);
    rh_regmap_unpack_household_id(k, out);
    assert_string_equal(out, ok[i]);
  }
  assert_true(rh_regmap_pack_household_id("411024100-007-0123", 18) !=
              rh_regmap_pack_household_id("411024100-007-0124", 18));
  static const char *bad[] = {"411024100-007-012",  "411024100007-00123", "411024100-007-012X",
                              "41102410A-007-0123", "411024100-0070-123", "411024195807049851"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    assert_true(rh_regmap_pack_household_id(bad[i], strlen(bad[i])) == 0);
}

/* ---- the map by hand -------------------------------------------------------------- */

static rh_regmap_household_row_t hh_row(const char *id, const char *head) {
  rh_regmap_household_row_t r = {.household_id = id, .township_code = "411024100",
                                 .village = "王庄村", .type = RH_REGMAP_HH_ORDINARY,
                                 .category = RH_REGMAP_CAT_NONE, .income_per_capita_fen = 1234567,
                                 .head_id_number = head};
  return r;
}

static void put_hh(rh_regmap_t *m, const rh_regmap_household_row_t *r) {
  char err[256];
  if (rh_regmap_put_household(m, r, err, sizeof err)) fail_msg("%s", err);
}
static void put_ps(rh_regmap_t *m, const char *id, const char *hh, const char *name,
                   rh_regmap_relation_t rel) {
  char err[256];
  if (rh_regmap_put_person(m, id, hh, name, rel, err, sizeof err)) fail_msg("%s", err);
}

/* members of h as "rel:name,rel:name" */
static void members_str(const rh_regmap_t *m, const char *hh, char *out, size_t n) {
  const rh_regmap_household_t *h = rh_regmap_household(m, hh);
  assert_non_null(h);
  out[0] = '\0';
  uint32_t count = 0;
  for (const rh_regmap_person_t *p = rh_regmap_first_member(m, h); p;
       p = rh_regmap_next_member(m, p)) {
    assert_ptr_equal(p->household, h);
    size_t l = strlen(out);
    snprintf(out + l, n - l, "%s%s:%s", l ? "," : "", rh_regmap_relation_str(p->relation),
             p->name);
    count++;
  }
  assert_int_equal(count, h->member_count);
}

static void test_map_by_hand(void **state) {
  (void)state;
  rh_regmap_destroy(NULL);
  rh_regmap_t *m = rh_regmap_new();
  assert_non_null(m);
  char err[256], list[512], id[RH_ID_BUFSZ];
  rh_regmap_household_row_t a = hh_row("411024100-001-0001", "11010519491231002X");
  a.type = RH_REGMAP_HH_MONITORED;
  a.category = RH_REGMAP_CAT_MARGINAL;
  a.risk_eliminated = true;
  a.eliminated_month = 202403;
  put_hh(m, &a);
  rh_regmap_household_row_t b = hh_row("411024101-002-0003", "411024195807049851");
  b.township_code = "411024101";
  b.village = "东李营村";
  put_hh(m, &b);

  /* members in any order: the head comes first */
  put_ps(m, "110105200001010011", "411024100-001-0001", "李小明", RH_REGMAP_REL_CHILD);
  put_ps(m, "11010519491231002X", "411024100-001-0001", "王芳", RH_REGMAP_REL_HEAD);
  put_ps(m, "110105195001010034", "411024100-001-0001", "李强", RH_REGMAP_REL_SPOUSE);
  put_ps(m, "411024195807049851", "411024101-002-0003", "张芳志", RH_REGMAP_REL_HEAD);
  members_str(m, "411024100-001-0001", list, sizeof list);
  assert_string_equal(list, "head:王芳,child:李小明,spouse:李强");

  const rh_regmap_person_t *p = rh_regmap_find(m, "11010519491231002x");
  assert_non_null(p);
  assert_string_equal(p->name, "王芳");
  assert_int_equal(p->relation, RH_REGMAP_REL_HEAD);
  rh_regmap_person_id(p, id);
  assert_string_equal(id, "11010519491231002X");
  const rh_regmap_household_t *h = p->household;
  assert_string_equal(h->household_id, "411024100-001-0001");
  assert_string_equal(h->township_code, "411024100");
  assert_string_equal(h->village, "王庄村");
  assert_int_equal(h->type, RH_REGMAP_HH_MONITORED);
  assert_int_equal(h->category, RH_REGMAP_CAT_MARGINAL);
  assert_true(h->risk_eliminated);
  assert_int_equal(h->eliminated_month, 202403);
  assert_int_equal(h->income_per_capita_fen, 1234567);
  assert_ptr_equal(rh_regmap_head(m, h), p);
  assert_ptr_equal(rh_regmap_household(m, "411024100-001-0001"), h);

  /* not there, or not an ID */
  assert_null(rh_regmap_find(m, "110105194912310021"));
  assert_null(rh_regmap_find(m, "11010519491231002"));
  assert_null(rh_regmap_find(m, "11010519491231002X0"));
  assert_null(rh_regmap_find(m, ""));
  assert_null(rh_regmap_find(m, NULL));
  assert_null(rh_regmap_find(NULL, "11010519491231002X"));
  assert_null(rh_regmap_household(m, "411024100-001-0002"));
  assert_null(rh_regmap_household(m, "411024100-001-00011"));

  /* the child moves to the other household; the name changes (shorter, then
   * longer); the relation changes */
  put_ps(m, "110105200001010011", "411024101-002-0003", "李明", RH_REGMAP_REL_GRANDCHILD);
  members_str(m, "411024100-001-0001", list, sizeof list);
  assert_string_equal(list, "head:王芳,spouse:李强");
  members_str(m, "411024101-002-0003", list, sizeof list);
  assert_string_equal(list, "head:张芳志,grandchild:李明");
  put_ps(m, "110105200001010011", "411024101-002-0003", "欧阳明明", RH_REGMAP_REL_GRANDCHILD);
  members_str(m, "411024101-002-0003", list, sizeof list);
  assert_string_equal(list, "head:张芳志,grandchild:欧阳明明");
  /* a new head: first in the list */
  put_ps(m, "110105195001010034", "411024100-001-0001", "李强", RH_REGMAP_REL_HEAD);
  put_ps(m, "11010519491231002X", "411024100-001-0001", "王芳", RH_REGMAP_REL_SPOUSE);
  members_str(m, "411024100-001-0001", list, sizeof list);
  assert_string_equal(list, "head:李强,spouse:王芳");

  /* a household's type changes in place; members keep pointing at it */
  a.type = RH_REGMAP_HH_POVERTY_ALLEVIATED;
  a.category = RH_REGMAP_CAT_NONE;
  a.head_id_number = "110105195001010034";
  put_hh(m, &a);
  h = rh_regmap_household(m, "411024100-001-0001");
  assert_int_equal(h->type, RH_REGMAP_HH_POVERTY_ALLEVIATED);
  assert_int_equal(h->member_count, 2);
  assert_ptr_equal(rh_regmap_find(m, "110105195001010034")->household, h);
  assert_string_equal(rh_regmap_head(m, h)->name, "李强");

  /* errors leave the map as it was */
  assert_int_equal(rh_regmap_put_person(m, "110105195001010034", "411024100-009-0009", "x",
                                        RH_REGMAP_REL_HEAD, err, sizeof err),
                   -1);
  assert_non_null(strstr(err, "household"));
  assert_int_equal(rh_regmap_put_person(m, "11010519500101003", "411024100-001-0001", "x",
                                        RH_REGMAP_REL_HEAD, err, sizeof err),
                   -1);
  assert_null(strstr(err, "11010519500101003")); /* masked */
  assert_ptr_equal(rh_regmap_find(m, "110105195001010034")->household, h);
  rh_regmap_household_row_t bad = hh_row("411024100-001-001", NULL);
  assert_int_equal(rh_regmap_put_household(m, &bad, err, sizeof err), -1);

  /* deletes */
  assert_int_equal(rh_regmap_delete_household(m, "411024100-001-0001", err, sizeof err), -1);
  assert_int_equal(rh_regmap_delete_person(m, "110105195001010034"), 1);
  assert_int_equal(rh_regmap_delete_person(m, "110105195001010034"), 0);
  assert_null(rh_regmap_find(m, "110105195001010034"));
  assert_null(rh_regmap_head(m, h)); /* the head row names a person who left */
  assert_int_equal(rh_regmap_delete_person(m, "11010519491231002X"), 1);
  assert_int_equal(h->member_count, 0);
  assert_null(rh_regmap_first_member(m, h));
  assert_int_equal(rh_regmap_delete_household(m, "411024100-001-0001", err, sizeof err), 1);
  assert_int_equal(rh_regmap_delete_household(m, "411024100-001-0001", err, sizeof err), 0);
  assert_null(rh_regmap_household(m, "411024100-001-0001"));

  rh_regmap_stats_t st;
  rh_regmap_stats(m, &st);
  assert_int_equal(st.households, 1);
  assert_int_equal(st.persons, 2);
  assert_int_equal(st.watermark, 0);
  assert_true(st.bytes > 0);
  assert_true(st.garbage_bytes > 0);
  rh_regmap_destroy(m);
}

static void test_codes(void **state) {
  (void)state;
  rh_regmap_hhtype_t t;
  rh_regmap_category_t c;
  rh_regmap_relation_t r;
  for (int i = 0; i <= RH_REGMAP_HH_ORDINARY; i++) {
    assert_int_equal(rh_regmap_hhtype_parse(rh_regmap_hhtype_str((rh_regmap_hhtype_t)i), &t), 0);
    assert_int_equal(t, i);
  }
  for (int i = 1; i <= RH_REGMAP_CAT_SUDDEN_HARDSHIP; i++) {
    assert_int_equal(
        rh_regmap_category_parse(rh_regmap_category_str((rh_regmap_category_t)i), &c), 0);
    assert_int_equal(c, i);
  }
  for (int i = 0; i <= RH_REGMAP_REL_OTHER; i++) {
    assert_int_equal(
        rh_regmap_relation_parse(rh_regmap_relation_str((rh_regmap_relation_t)i), &r), 0);
    assert_int_equal(r, i);
  }
  assert_int_equal(rh_regmap_category_parse(NULL, &c), 0);
  assert_int_equal(c, RH_REGMAP_CAT_NONE);
  assert_int_equal(rh_regmap_category_parse("", &c), 0);
  assert_null(rh_regmap_category_str(RH_REGMAP_CAT_NONE));
  assert_int_equal(rh_regmap_hhtype_parse("Monitored", &t), -1);
  assert_int_equal(rh_regmap_hhtype_parse(NULL, &t), -1);
  assert_int_equal(rh_regmap_relation_parse("wife", &r), -1);
  assert_int_equal(rh_regmap_category_parse("none", &c), -1);
  assert_string_equal(rh_regmap_hhtype_str((rh_regmap_hhtype_t)7), "?");
  assert_string_equal(rh_regmap_relation_str((rh_regmap_relation_t)-1), "?");
}

/* Many persons: random inserts, moves and deletes against a plain model;
 * freed slots are reused; every person is found once, in its household. */
#define NP 30000
#define NH 3000

static int count_members(const rh_regmap_household_t *h, void *arg) {
  size_t *n = arg;
  n[0]++;
  n[1] += h->member_count;
  return 0;
}

static void test_map_random_against_model(void **state) {
  (void)state;
  rh_regmap_t *m = rh_regmap_new();
  assert_non_null(m);
  static char ids[NP][RH_ID_BUFSZ];
  static int where[NP]; /* household number, -1 = not in the map */
  rh_rng_t rng;
  rh_rng_seed(&rng, 7);
  for (int i = 0; i < NP; i++) {
    /* distinct IDs: the sequence part from i */
    snprintf(ids[i], sizeof ids[i], "411024%04d0101%03d", 1950 + i / 1000, i % 1000);
    ids[i][17] = rh_id_check_char(ids[i]);
    ids[i][18] = '\0';
    where[i] = -1;
  }
  char hid[NH][RH_REGMAP_HHID_BUFSZ];
  for (int h = 0; h < NH; h++) {
    snprintf(hid[h], sizeof hid[h], "411024%03d-%03d-%04d", 100 + h % 12, 1 + h % 24, h);
    rh_regmap_household_row_t r = hh_row(hid[h], NULL);
    r.income_per_capita_fen = h;
    put_hh(m, &r);
  }
  for (int step = 0; step < 200000; step++) {
    int i = (int)rh_rng_below(&rng, NP);
    uint32_t op = rh_rng_below(&rng, 10);
    if (op < 7) {
      int h = (int)rh_rng_below(&rng, NH);
      char name[16];
      snprintf(name, sizeof name, "n%d", step % 1000);
      put_ps(m, ids[i], hid[h], name, (rh_regmap_relation_t)rh_rng_below(&rng, 7));
      where[i] = h;
    } else {
      assert_int_equal(rh_regmap_delete_person(m, ids[i]), where[i] >= 0);
      where[i] = -1;
    }
  }
  size_t present = 0;
  for (int i = 0; i < NP; i++) {
    const rh_regmap_person_t *p = rh_regmap_find(m, ids[i]);
    if (where[i] < 0) {
      assert_null(p);
      continue;
    }
    present++;
    assert_non_null(p);
    assert_string_equal(p->household->household_id, hid[where[i]]);
    assert_int_equal(p->household->income_per_capita_fen, where[i]);
  }
  size_t n[2] = {0, 0};
  assert_int_equal(rh_regmap_each_household(m, count_members, n), 0);
  assert_int_equal(n[0], NH);
  assert_int_equal(n[1], present); /* nobody in two member lists, nobody lost */
  rh_regmap_stats_t st;
  rh_regmap_stats(m, &st);
  assert_int_equal(st.persons, present);
  /* deleted slots were reused: the slab never held more than NP persons */
  assert_true(st.bytes < 8u * 1024 * 1024);
  rh_regmap_destroy(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pack_id_roundtrip),
      cmocka_unit_test(test_pack_id_check_chars),
      cmocka_unit_test(test_pack_id_rejects),
      cmocka_unit_test(test_pack_household_id),
      cmocka_unit_test(test_map_by_hand),
      cmocka_unit_test(test_codes),
      cmocka_unit_test(test_map_random_against_model),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
