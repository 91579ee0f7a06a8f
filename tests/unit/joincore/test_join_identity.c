/* join_identity: public security's identity records against a registry built
 * by hand (no Kafka, no PostgreSQL), with the shipped configuration's
 * townships. Every kind of discrepancy is found, and next to each a near miss
 * that is none; the household level; the ids. Expected ids were computed
 * apart from the C code (Python's hashlib, see test_ids_stable_and_distinct). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "join_identity.h"
#include "rh_idnum.h"
#include "rh_test.h"

/* H1 安陵镇 (411024100) 王庄村: A head (male, 1980-01-01), B spouse (female),
 * C child. H2 大马镇 (411024105) 李村: D head. H3 安陵镇 王庄村: E head,
 * nobody of it on any list. X: a valid ID the registry does not have. */
typedef struct {
  rh_config_t *cfg;
  rh_regmap_t *map;
  char a[19], b[19], c[19], d[19], e[19], x[19];
  rh_fact_t facts[8];
  rh_feedrecord_t r;
  join_identity_discrepancy_t out[JOIN_IDENTITY_PERSON_MAX];
  join_identity_counts_t counts;
} fx_t;

static void make_id(const char *first17, char out[19]) {
  memcpy(out, first17, 17);
  out[17] = rh_id_check_char(first17);
  out[18] = '\0';
}

static void put_hh(fx_t *f, const char *hhid, const char *township, const char *village,
                   const char *head) {
  char err[256];
  rh_regmap_household_row_t h = {.household_id = hhid, .township_code = township,
                                 .village = village, .type = RH_REGMAP_HH_ORDINARY,
                                 .income_per_capita_fen = 2000000, .head_id_number = head};
  if (rh_regmap_put_household(f->map, &h, err, sizeof err)) fail_msg("%s", err);
}

static void put_ps(fx_t *f, const char *id, const char *hhid, const char *name,
                   rh_regmap_relation_t rel) {
  char err[256];
  if (rh_regmap_put_person(f->map, id, hhid, name, rel, err, sizeof err)) fail_msg("%s", err);
}

static int setup(void **state) {
  fx_t *f = calloc(1, sizeof *f);
  if (!(f->cfg = rh_test_config())) return -1;
  f->map = rh_regmap_new();
  make_id("41102419800101001", f->a); /* 17th digit 1: male */
  make_id("41102419820202002", f->b); /* 2: female */
  make_id("41102420100303011", f->c);
  make_id("41102419750202003", f->d);
  make_id("41102419700707007", f->e);
  make_id("41102419900303005", f->x);
  put_hh(f, "411024100-001-0001", "411024100", "王庄村", f->a);
  put_hh(f, "411024105-002-0003", "411024105", "李村", f->d);
  put_hh(f, "411024100-001-0002", "411024100", "王庄村", f->e);
  put_ps(f, f->a, "411024100-001-0001", "张三", RH_REGMAP_REL_HEAD);
  put_ps(f, f->b, "411024100-001-0001", "李四", RH_REGMAP_REL_SPOUSE);
  put_ps(f, f->c, "411024100-001-0001", "张小五", RH_REGMAP_REL_CHILD);
  put_ps(f, f->d, "411024105-002-0003", "王六", RH_REGMAP_REL_HEAD);
  put_ps(f, f->e, "411024100-001-0002", "赵七", RH_REGMAP_REL_HEAD);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx_t *f = *state;
  rh_regmap_destroy(f->map);
  rh_config_destroy(f->cfg);
  free(f);
  return 0;
}

/* A record of the identity feed for A as public security would send it,
 * agreeing with the registry in everything; tests then change one field. */
static rh_feedrecord_t *rec_a(fx_t *f) {
  f->facts[0] = (rh_fact_t){"household_number", "100000001"};
  f->facts[1] = (rh_fact_t){"relation_to_head", "户主"};
  f->facts[2] = (rh_fact_t){"sex", "男"};
  f->facts[3] = (rh_fact_t){"birth_date", "1980-01-01"};
  f->facts[4] = (rh_fact_t){"registered_address", "河南省许昌市鄢陵县安陵镇王庄村1号"};
  f->r = (rh_feedrecord_t){.id_number = f->a, .name = "张三", .department = "public-security",
                           .feed = "identity", .kind = "IDENTITY", .period = "2026-10",
                           .township_code = "411024100", .village = "王庄村",
                           .facts = f->facts, .fact_count = 5};
  memset(&f->counts, 0, sizeof f->counts);
  return &f->r;
}

static void set_fact(fx_t *f, const char *name, const char *value) {
  for (size_t i = 0; i < f->r.fact_count; i++)
    if (strcmp(f->facts[i].name, name) == 0) f->facts[i].value = value;
}

static int compare(fx_t *f) {
  char err[256];
  int n = join_identity_compare(f->cfg, f->map, &f->r, f->out, &f->counts, err, sizeof err);
  if (n < 0) fail_msg("%s", err);
  return n;
}

/* Exactly one discrepancy, of this kind, with these values. */
static void expect_one(fx_t *f, join_identity_kind_t kind, const char *registry_value,
                       const char *list_value) {
  int n = compare(f);
  assert_int_equal(n, 1);
  assert_string_equal(join_identity_kind_str(f->out[0].kind), join_identity_kind_str(kind));
  assert_string_equal(f->out[0].registry_value, registry_value);
  assert_string_equal(f->out[0].list_value, list_value);
  assert_int_equal(f->counts.found[kind], 1);
}

static void expect_none(fx_t *f) {
  int n = compare(f);
  if (n != 0) fail_msg("unexpected %s", join_identity_kind_str(f->out[0].kind));
}

static void test_agreeing_record(void **state) {
  fx_t *f = *state;
  rec_a(f);
  expect_none(f);
  assert_int_equal(f->counts.records, 1);
}

static void test_empty_optional_fields(void **state) {
  fx_t *f = *state;
  rec_a(f);
  f->r.name = NULL, f->r.township_code = NULL, f->r.village = NULL, f->r.fact_count = 0;
  expect_none(f);
  rec_a(f);
  f->r.name = "  ", f->r.township_code = "", f->r.village = "　"; /* blanks and U+3000 */
  set_fact(f, "relation_to_head", "");
  set_fact(f, "sex", " ");
  set_fact(f, "birth_date", "");
  expect_none(f);
  assert_int_equal(f->counts.relation_unreadable + f->counts.sex_unreadable +
                       f->counts.birth_date_unreadable + f->counts.township_unreadable,
                   0);
}

static void test_not_in_registry(void **state) {
  fx_t *f = *state;
  rec_a(f);
  f->r.id_number = f->x;
  f->r.name = "孙八";
  f->r.township_code = "大马镇"; /* the township that keeps the record: the list's */
  set_fact(f, "birth_date", "1990-03-03");
  set_fact(f, "sex", "男");
  expect_one(f, JOIN_IDENTITY_NOT_IN_REGISTRY, "", "孙八");
  assert_string_equal(f->out[0].id_number, f->x);
  assert_string_equal(f->out[0].township_code, "411024105");
  assert_string_equal(f->out[0].household_id, "");
  /* near miss: A, with the same facts, is in the registry */
  rec_a(f);
  expect_none(f);
}

static void test_name(void **state) {
  fx_t *f = *state;
  rec_a(f);
  f->r.name = "张叁";
  expect_one(f, JOIN_IDENTITY_NAME_DIFFERS, "张三", "张叁");
  assert_string_equal(f->out[0].household_id, "411024100-001-0001");
  assert_string_equal(f->out[0].township_code, "411024100");
  /* near miss: surrounding blanks (ASCII, U+3000) are typing, not a name */
  rec_a(f);
  f->r.name = " 张三　";
  expect_none(f);
  /* but a blank inside is kept: 张 三 is not 张三 */
  rec_a(f);
  f->r.name = "张 三";
  expect_one(f, JOIN_IDENTITY_NAME_DIFFERS, "张三", "张 三");
}

static void test_township(void **state) {
  fx_t *f = *state;
  rec_a(f);
  f->r.township_code = "411024105";
  f->r.village = "李村"; /* another township's village: one discrepancy, not two */
  expect_one(f, JOIN_IDENTITY_OTHER_TOWNSHIP, "411024100", "411024105");
  rec_a(f);
  f->r.township_code = "大马镇"; /* by name */
  expect_one(f, JOIN_IDENTITY_OTHER_TOWNSHIP, "411024100", "411024105");
  /* near misses: the household's township by name and by short name */
  rec_a(f);
  f->r.township_code = "安陵镇";
  expect_none(f);
  rec_a(f);
  f->r.township_code = "安陵";
  expect_none(f);
  /* a township the configuration does not know is unreadable, not "other" */
  rec_a(f);
  f->r.township_code = "火星镇";
  expect_none(f);
  assert_int_equal(f->counts.township_unreadable, 1);
}

static void test_village(void **state) {
  fx_t *f = *state;
  rec_a(f);
  f->r.village = "东李营村";
  expect_one(f, JOIN_IDENTITY_OTHER_VILLAGE, "王庄村", "东李营村");
  /* near miss: 王庄 for 王庄村, and blanks */
  rec_a(f);
  f->r.village = "王庄";
  expect_none(f);
  rec_a(f);
  f->r.village = " 王庄村 ";
  expect_none(f);
  /* but not any prefix: 王 is not 王庄村 */
  rec_a(f);
  f->r.village = "王";
  expect_one(f, JOIN_IDENTITY_OTHER_VILLAGE, "王庄村", "王");
  /* the village compared without a township given */
  rec_a(f);
  f->r.township_code = NULL;
  f->r.village = "李村";
  expect_one(f, JOIN_IDENTITY_OTHER_VILLAGE, "王庄村", "李村");
}

static void test_relation(void **state) {
  fx_t *f = *state;
  rec_a(f);
  set_fact(f, "relation_to_head", "子");
  expect_one(f, JOIN_IDENTITY_RELATION_DIFFERS, "head", "子");
  /* near miss: the registry's own code */
  rec_a(f);
  set_fact(f, "relation_to_head", "head");
  expect_none(f);
  /* B is the spouse: 妻 agrees, 女 does not */
  rec_a(f);
  f->r.id_number = f->b, f->r.name = "李四";
  set_fact(f, "sex", "女");
  set_fact(f, "birth_date", "1982-02-02");
  set_fact(f, "relation_to_head", "妻");
  expect_none(f);
  set_fact(f, "relation_to_head", "女");
  expect_one(f, JOIN_IDENTITY_RELATION_DIFFERS, "spouse", "女");
  /* a word it does not know: counted, no discrepancy */
  memset(&f->counts, 0, sizeof f->counts);
  set_fact(f, "relation_to_head", "儿媳");
  expect_none(f);
  assert_int_equal(f->counts.relation_unreadable, 1);
}

static void test_relation_words(void **state) {
  (void)state;
  static const struct {
    const char *w;
    rh_regmap_relation_t r;
  } gen[] = {{"户主", RH_REGMAP_REL_HEAD},      {"夫", RH_REGMAP_REL_SPOUSE},
             {"妻", RH_REGMAP_REL_SPOUSE},      {"子", RH_REGMAP_REL_CHILD},
             {"女", RH_REGMAP_REL_CHILD},       {"父亲", RH_REGMAP_REL_PARENT},
             {"母亲", RH_REGMAP_REL_PARENT},    {"孙子", RH_REGMAP_REL_GRANDCHILD},
             {"孙女", RH_REGMAP_REL_GRANDCHILD}, {"兄弟", RH_REGMAP_REL_SIBLING},
             {"姐妹", RH_REGMAP_REL_SIBLING},   {"其他", RH_REGMAP_REL_OTHER},
             {" 户主 ", RH_REGMAP_REL_HEAD},    {"spouse", RH_REGMAP_REL_SPOUSE}};
  rh_regmap_relation_t r;
  for (size_t i = 0; i < sizeof gen / sizeof gen[0]; i++) {
    assert_int_equal(join_identity_relation_parse(gen[i].w, &r), 0);
    assert_int_equal(r, gen[i].r);
  }
  assert_int_equal(join_identity_relation_parse("儿媳", &r), -1);
  assert_int_equal(join_identity_relation_parse("", &r), -1);
  assert_int_equal(join_identity_relation_parse(NULL, &r), -1);
  assert_int_equal(join_identity_relation_parse("户", &r), -1);
}

static void test_birth_date(void **state) {
  fx_t *f = *state;
  rec_a(f);
  set_fact(f, "birth_date", "1980-01-02");
  expect_one(f, JOIN_IDENTITY_BIRTH_DATE_CONTRADICTS_ID, "1980-01-01", "1980-01-02");
  /* near misses: the same day as Excel and clerks write it */
  const char *same[] = {"1980/1/1", "19800101", "1980年1月1日", "1980-01-01 00:00:00"};
  for (size_t i = 0; i < 4; i++) {
    rec_a(f);
    set_fact(f, "birth_date", same[i]);
    expect_none(f);
  }
  /* not a date: counted, no discrepancy */
  rec_a(f);
  set_fact(f, "birth_date", "1980-13-01");
  expect_none(f);
  assert_int_equal(f->counts.birth_date_unreadable, 1);
}

static void test_sex(void **state) {
  fx_t *f = *state;
  rec_a(f);
  set_fact(f, "sex", "女");
  expect_one(f, JOIN_IDENTITY_SEX_CONTRADICTS_ID, "男", "女");
  rec_a(f);
  set_fact(f, "sex", "男性");
  expect_none(f);
  rec_a(f);
  set_fact(f, "sex", "未知");
  expect_none(f);
  assert_int_equal(f->counts.sex_unreadable, 1);
  /* B's 17th digit is even: 女 agrees */
  rec_a(f);
  f->r.id_number = f->b, f->r.name = "李四";
  set_fact(f, "relation_to_head", "配偶");
  set_fact(f, "birth_date", "1982-02-02");
  set_fact(f, "sex", "女");
  expect_none(f);
  set_fact(f, "sex", "男");
  expect_one(f, JOIN_IDENTITY_SEX_CONTRADICTS_ID, "女", "男");
}

/* The ID kinds need no registry: a stranger's list row is checked too. */
static void test_several_at_once(void **state) {
  fx_t *f = *state;
  rec_a(f);
  f->r.name = "张叁";
  f->r.village = "东李营村";
  set_fact(f, "relation_to_head", "父亲");
  set_fact(f, "birth_date", "1981-01-01");
  set_fact(f, "sex", "女");
  assert_int_equal(compare(f), 5);
  join_identity_kind_t want[] = {JOIN_IDENTITY_NAME_DIFFERS, JOIN_IDENTITY_OTHER_VILLAGE,
                                 JOIN_IDENTITY_RELATION_DIFFERS,
                                 JOIN_IDENTITY_BIRTH_DATE_CONTRADICTS_ID,
                                 JOIN_IDENTITY_SEX_CONTRADICTS_ID};
  for (int i = 0; i < 5; i++) assert_int_equal(f->out[i].kind, want[i]);
  rec_a(f);
  f->r.id_number = f->x;
  set_fact(f, "birth_date", "1990-03-04");
  set_fact(f, "sex", "女");
  assert_int_equal(compare(f), 3);
  assert_int_equal(f->out[0].kind, JOIN_IDENTITY_NOT_IN_REGISTRY);
  assert_int_equal(f->out[1].kind, JOIN_IDENTITY_BIRTH_DATE_CONTRADICTS_ID);
  assert_int_equal(f->out[2].kind, JOIN_IDENTITY_SEX_CONTRADICTS_ID);
}

static void test_bad_id_masked(void **state) {
  fx_t *f = *state;
  char bad[19], err[256];
  rec_a(f);
  memcpy(bad, f->a, 19);
  bad[17] = bad[17] == '0' ? '1' : '0'; /* wrong check character */
  f->r.id_number = bad;
  assert_int_equal(join_identity_compare(f->cfg, f->map, &f->r, f->out, NULL, err, sizeof err),
                   -1);
  assert_null(strstr(err, bad));
  assert_non_null(strstr(err, "411024********"));
}

/* A 42-character name is cut at a character boundary, never inside one. */
static void test_long_value_cut(void **state) {
  fx_t *f = *state;
  char name[200] = "";
  for (int i = 0; i < 42; i++) strcat(name, "张");
  rec_a(f);
  f->r.name = name;
  assert_int_equal(compare(f), 1);
  size_t n = strlen(f->out[0].list_value);
  assert_true(n < JOIN_IDENTITY_VALUE_BUFSZ);
  assert_int_equal(n % 3, 0);
  assert_int_equal(memcmp(f->out[0].list_value, name, n), 0);
}

/* ---- households --------------------------------------------------------- */

typedef struct {
  join_identity_discrepancy_t d[16];
  int n;
} got_t;

static int collect(void *arg, const join_identity_discrepancy_t *d) {
  got_t *g = arg;
  assert_true(g->n < 16);
  g->d[g->n++] = *d;
  return 0;
}

static int stop(void *arg, const join_identity_discrepancy_t *d) {
  (void)arg, (void)d;
  return 1;
}

static const rh_regmap_household_t *hh(fx_t *f, const char *id) {
  const rh_regmap_household_t *h = rh_regmap_household(f->map, id);
  assert_non_null(h);
  return h;
}

static void test_list_add(void **state) {
  fx_t *f = *state;
  join_identity_list_t *l = join_identity_list_new();
  assert_int_equal(join_identity_list_add(l, f->a, "100000001"), 0);
  assert_int_equal(join_identity_list_add(l, f->a, "100000009"), 1); /* the first row stands */
  assert_int_equal(join_identity_list_add(l, "4110241980", "1"), -1);
  assert_int_equal(join_identity_list_add(l, NULL, "1"), -1);
  assert_int_equal(join_identity_list_count(l), 1);
  join_identity_list_destroy(l);
  join_identity_list_destroy(NULL);
}

/* A and X under 户号 100000001, D under 100000002: H1 lacks nobody but X,
 * the list lacks B and C; H2 is whole; H3 is not covered. */
static void test_household(void **state) {
  fx_t *f = *state;
  join_identity_counts_t cnt = {0};
  join_identity_list_t *l = join_identity_list_new();
  assert_int_equal(join_identity_list_add(l, f->a, "100000001"), 0);
  assert_int_equal(join_identity_list_add(l, f->x, " 100000001 "), 0);
  assert_int_equal(join_identity_list_add(l, f->d, "100000002"), 0);
  got_t g = {0};
  assert_int_equal(join_identity_household(l, f->map, hh(f, "411024100-001-0001"), collect, &g,
                                           &cnt),
                   3);
  assert_int_equal(g.n, 3);
  assert_int_equal(g.d[0].kind, JOIN_IDENTITY_MEMBER_MISSING_FROM_LIST);
  assert_string_equal(g.d[0].id_number, f->b);
  assert_string_equal(g.d[0].registry_value, "李四");
  assert_int_equal(g.d[1].kind, JOIN_IDENTITY_MEMBER_MISSING_FROM_LIST);
  assert_string_equal(g.d[1].id_number, f->c);
  assert_int_equal(g.d[2].kind, JOIN_IDENTITY_MEMBER_MISSING_FROM_REGISTRY);
  assert_string_equal(g.d[2].id_number, f->x);
  assert_string_equal(g.d[2].list_value, "100000001");
  for (int i = 0; i < 3; i++) {
    assert_string_equal(g.d[i].household_id, "411024100-001-0001");
    assert_string_equal(g.d[i].township_code, "411024100");
  }
  /* near misses: H2 whole, H3 named by nobody (not covered, not compared) */
  g.n = 0;
  assert_int_equal(join_identity_household(l, f->map, hh(f, "411024105-002-0003"), collect, &g,
                                           &cnt),
                   0);
  assert_int_equal(join_identity_household(l, f->map, hh(f, "411024100-001-0002"), collect, &g,
                                           &cnt),
                   0);
  assert_int_equal(g.n, 0);
  assert_int_equal(cnt.households_compared, 2);
  assert_int_equal(cnt.found[JOIN_IDENTITY_MEMBER_MISSING_FROM_LIST], 2);
  assert_int_equal(cnt.found[JOIN_IDENTITY_MEMBER_MISSING_FROM_REGISTRY], 1);
  /* the whole list, each covered household once */
  g.n = 0;
  char err[256];
  assert_int_equal(join_identity_list_households(l, f->map, collect, &g, NULL, err, sizeof err), 3);
  assert_int_equal(g.n, 3);
  assert_int_equal(join_identity_list_households(l, f->map, stop, NULL, NULL, err, sizeof err), -1);
  join_identity_list_destroy(l);
}

/* When the police household cannot be told, nobody is called missing from
 * the registry (the members missing from the list still are). */
static void test_household_ambiguous(void **state) {
  fx_t *f = *state;
  const rh_regmap_household_t *h1 = hh(f, "411024100-001-0001");
  join_identity_counts_t cnt = {0};
  got_t g = {0};
  /* 100000001 holds H1's A and H2's D: whose is X? */
  join_identity_list_t *l = join_identity_list_new();
  join_identity_list_add(l, f->a, "100000001");
  join_identity_list_add(l, f->b, "100000001");
  join_identity_list_add(l, f->c, "100000001");
  join_identity_list_add(l, f->d, "100000001");
  join_identity_list_add(l, f->x, "100000001");
  assert_int_equal(join_identity_household(l, f->map, h1, collect, &g, &cnt), 0);
  assert_int_equal(cnt.households_ambiguous, 1);
  join_identity_list_destroy(l);
  /* H1 split over two 户号 */
  l = join_identity_list_new();
  join_identity_list_add(l, f->a, "100000001");
  join_identity_list_add(l, f->b, "100000001");
  join_identity_list_add(l, f->c, "100000009");
  join_identity_list_add(l, f->x, "100000001");
  assert_int_equal(join_identity_household(l, f->map, h1, collect, &g, &cnt), 0);
  assert_int_equal(cnt.households_ambiguous, 2);
  join_identity_list_destroy(l);
  /* no 户号 at all: only the members missing from the list */
  l = join_identity_list_new();
  join_identity_list_add(l, f->a, NULL);
  join_identity_list_add(l, f->x, "");
  assert_int_equal(join_identity_household(l, f->map, h1, collect, &g, &cnt), 2);
  assert_int_equal(g.d[0].kind, JOIN_IDENTITY_MEMBER_MISSING_FROM_LIST);
  assert_int_equal(g.d[1].kind, JOIN_IDENTITY_MEMBER_MISSING_FROM_LIST);
  assert_int_equal(cnt.households_without_number, 1);
  join_identity_list_destroy(l);
}

/* A person the list files with another household (OTHER_HOUSEHOLD): under a
 * 户号 where most registry persons are one household's, each of another. */
static void test_moved(void **state) {
  fx_t *f = *state;
  join_identity_counts_t cnt = {0};
  got_t g = {0};
  /* 100000001: H1's A, B, C and H2's D (3 of 4: H1's); X the registry lacks */
  join_identity_list_t *l = join_identity_list_new();
  join_identity_list_add(l, f->a, "100000001");
  join_identity_list_add(l, f->b, "100000001");
  join_identity_list_add(l, f->d, "100000001");
  join_identity_list_add(l, f->c, "100000001");
  join_identity_list_add(l, f->x, "100000001");
  join_identity_list_add(l, f->e, "100000007"); /* H3 alone: nothing */
  assert_int_equal(join_identity_list_moved(l, f->map, collect, &g, &cnt), 1);
  assert_int_equal(g.n, 1);
  assert_int_equal(g.d[0].kind, JOIN_IDENTITY_OTHER_HOUSEHOLD);
  assert_string_equal(g.d[0].id_number, f->d);
  /* D's own record: the registry's household and township */
  assert_string_equal(g.d[0].household_id, "411024105-002-0003");
  assert_string_equal(g.d[0].township_code, "411024105");
  assert_string_equal(g.d[0].registry_value, "411024105-002-0003");
  assert_string_equal(g.d[0].list_value, "411024100-001-0001");
  assert_int_equal(cnt.found[JOIN_IDENTITY_OTHER_HOUSEHOLD], 1);
  join_identity_list_destroy(l);
  /* near miss: two of each, no majority: not judged */
  g.n = 0;
  l = join_identity_list_new();
  join_identity_list_add(l, f->a, "100000001");
  join_identity_list_add(l, f->b, "100000001");
  join_identity_list_add(l, f->d, "100000001");
  join_identity_list_add(l, f->e, "100000001");
  assert_int_equal(join_identity_list_moved(l, f->map, collect, &g, &cnt), 0);
  assert_int_equal(g.n, 0);
  join_identity_list_destroy(l);
}

/* ---- ids ------------------------------------------------------------------ */

static void test_ids_stable_and_distinct(void **state) {
  fx_t *f = *state;
  char id1[RH_SHA256_HEXSZ], id2[RH_SHA256_HEXSZ];
  /* python3: hashlib.sha256(b"riskhub-identity-v1\0" + id + b"\0" + kind +
   * b"\0" + period + b"\0").hexdigest(), id = A's (411024198001010011) */
  assert_string_equal(f->a, "411024198001010011");
  join_identity_id(f->a, JOIN_IDENTITY_NAME_DIFFERS, "2026-10", id1);
  assert_string_equal(id1, "fd898c20578697254daa31b68303f779070bccaa9a1622ee310e9cfab4a8e950");
  join_identity_id(f->a, JOIN_IDENTITY_MEMBER_MISSING_FROM_LIST, "2026-11", id1);
  assert_string_equal(id1, "3be0ea55f46099708b0a5044d4c1ee5c5148c0fb3e285ef830ed97604c1e152d");
  /* one id per person, kind and month: every pair of them differs */
  const char *ids[] = {f->a, f->b, f->x};
  const char *periods[] = {"2026-10", "2026-11"};
  char all[3 * JOIN_IDENTITY_KIND_COUNT * 2][RH_SHA256_HEXSZ];
  size_t n = 0;
  for (size_t i = 0; i < 3; i++)
    for (int k = 0; k < JOIN_IDENTITY_KIND_COUNT; k++)
      for (size_t p = 0; p < 2; p++) {
        join_identity_id(ids[i], (join_identity_kind_t)k, periods[p], all[n]);
        join_identity_id(ids[i], (join_identity_kind_t)k, periods[p], id2);
        assert_string_equal(all[n], id2); /* stable */
        assert_int_equal(strlen(all[n]), 64);
        n++;
      }
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++) assert_string_not_equal(all[i], all[j]);
  /* the values are not in the id: a registry correction to another wrong
   * name is still the same discrepancy */
  rec_a(f);
  f->r.name = "张叁";
  compare(f);
  join_identity_id(f->out[0].id_number, f->out[0].kind, f->r.period, id1);
  rec_a(f);
  f->r.name = "张四";
  compare(f);
  join_identity_id(f->out[0].id_number, f->out[0].kind, f->r.period, id2);
  assert_string_equal(id1, id2);
}

static void test_kind_codes(void **state) {
  (void)state;
  join_identity_kind_t k;
  for (int i = 0; i < JOIN_IDENTITY_KIND_COUNT; i++) {
    assert_int_equal(join_identity_kind_parse(join_identity_kind_str((join_identity_kind_t)i), &k),
                     0);
    assert_int_equal(k, i);
  }
  assert_string_equal(join_identity_kind_str(JOIN_IDENTITY_KIND_COUNT), "?");
  assert_int_equal(join_identity_kind_parse("NAME", &k), -1);
  assert_int_equal(join_identity_kind_parse(NULL, &k), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_agreeing_record),
      cmocka_unit_test(test_empty_optional_fields),
      cmocka_unit_test(test_not_in_registry),
      cmocka_unit_test(test_name),
      cmocka_unit_test(test_township),
      cmocka_unit_test(test_village),
      cmocka_unit_test(test_relation),
      cmocka_unit_test(test_relation_words),
      cmocka_unit_test(test_birth_date),
      cmocka_unit_test(test_sex),
      cmocka_unit_test(test_several_at_once),
      cmocka_unit_test(test_bad_id_masked),
      cmocka_unit_test(test_long_value_cut),
      cmocka_unit_test(test_list_add),
      cmocka_unit_test(test_household),
      cmocka_unit_test(test_household_ambiguous),
      cmocka_unit_test(test_moved),
      cmocka_unit_test(test_ids_stable_and_distinct),
      cmocka_unit_test(test_kind_codes),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
