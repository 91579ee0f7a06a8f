/* alerts_store (copies, display order, groups), alerts_heads (lookup without
 * a database) and the export record's ranges (alerts_audit_ranges_json). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts_audit.h"
#include "alerts_heads.h"
#include "alerts_store.h"

static rh_alert_t mk(const char *township, const char *household, const char *person,
                     const char *severity, const char *dept, const char *alert_id) {
  rh_alert_t a = {0};
  a.alert_id = alert_id;
  a.situation = household ? "AT_NEW_RISK" : "UNMATCHED";
  a.township_code = township;
  a.household_id = household;
  a.person_id_number = person;
  a.severity = severity;
  a.department = dept;
  a.feed = "f";
  a.period = "2026-10";
  a.risk = "ILLNESS";
  a.rule_id = "r";
  a.source = (rh_lineage_t){"feed.x.f", 0, 1, "b"};
  return a;
}

static void test_copies(void **state) {
  (void)state;
  alerts_store_t s;
  alerts_store_init(&s);
  char village[32] = "东庄村", fname[16] = "disease", fval[16] = "肺癌";
  rh_fact_t facts[1] = {{fname, fval}};
  rh_alert_t a = mk("411024100", "411024100-001-0001", "411024198001010011", "high", "health", "id1");
  a.village = village;
  a.facts = facts;
  a.fact_count = 1;
  a.has_amount = true;
  a.amount_fen = -7;
  char topic[32] = "alerts.411024100";
  assert_int_equal(alerts_store_add(&s, &a, topic, 2, 99, NULL, 0), 0);
  /* the caller's buffers change (as Avro values are reset): the store keeps its copy */
  strcpy(village, "XXX");
  strcpy(fname, "YYY");
  strcpy(fval, "ZZZ");
  strcpy(topic, "other");
  const alerts_item_t *it = &s.items[0];
  assert_string_equal(it->a.village, "东庄村");
  assert_string_equal(it->a.facts[0].name, "disease");
  assert_string_equal(it->a.facts[0].value, "肺癌");
  assert_string_equal(it->topic, "alerts.411024100");
  assert_int_equal(it->partition, 2);
  assert_int_equal(it->offset, 99);
  assert_int_equal(it->a.amount_fen, -7);
  assert_null(it->a.reason);
  assert_string_equal(it->a.source.topic, "feed.x.f");
  /* clear and reuse; large strings (bigger than an arena block) too */
  alerts_store_clear(&s);
  assert_int_equal(s.n, 0);
  size_t big = 200000;
  char *reason = malloc(big + 1);
  memset(reason, 'r', big);
  reason[big] = '\0';
  for (int i = 0; i < 3000; i++) {
    rh_alert_t b = mk("411024100", "411024100-001-0002", "p", "low", "d", "idx");
    b.reason = i % 1000 == 0 ? reason : "short";
    assert_int_equal(alerts_store_add(&s, &b, "t", 0, i, NULL, 0), 0);
  }
  assert_int_equal(s.n, 3000);
  assert_int_equal(strlen(s.items[0].a.reason), big);
  assert_string_equal(s.items[2999].a.reason, "short");
  assert_int_equal(s.items[2999].offset, 2999);
  free(reason);
  alerts_store_free(&s);
  alerts_store_free(&s); /* twice is fine */
  alerts_store_free(NULL);
}

static void test_order_and_groups(void **state) {
  (void)state;
  alerts_store_t s;
  alerts_store_init(&s);
  rh_alert_t in[] = {
      mk(NULL, NULL, "411024200512120028", "low", "civil-affairs", "u2"),     /* unmatched */
      mk("411024101", "411024101-001-0001", "p1", "low", "health", "m1"),
      mk("411024100", "411024100-002-0001", "p2", "low", "health", "a3"),
      mk("411024100", "411024100-001-0009", "p3", "low", "water", "a2"),
      mk("411024100", "411024100-001-0009", "p4", "high", "water", "a1"),
      mk("411024100", "411024100-001-0009", "p5", "medium", "education", "a4"),
      mk(NULL, NULL, "11010519491231002X", "low", "health", "u1"),               /* unmatched */
      mk("411024100", "411024100-001-0009", "p6", "medium", "agriculture", "a5"),
  };
  for (size_t i = 0; i < sizeof in / sizeof *in; i++)
    assert_int_equal(alerts_store_add(&s, &in[i], "t", 0, (int64_t)i, NULL, 0), 0);
  alerts_store_sort(&s);
  /* 安陵镇 household 001-0009: high, medium (agriculture before education), low;
   * then 002-0001; 马栏镇; unmatched by ID number */
  const char *want[] = {"a1", "a5", "a4", "a2", "a3", "m1", "u1", "u2"};
  for (size_t i = 0; i < 8; i++) assert_string_equal(s.items[i].a.alert_id, want[i]);
  assert_true(alerts_same_group(&s.items[0], &s.items[3]));
  assert_false(alerts_same_group(&s.items[3], &s.items[4]));
  assert_false(alerts_same_group(&s.items[5], &s.items[6])); /* household vs unmatched */
  assert_false(alerts_same_group(&s.items[6], &s.items[7])); /* two persons */
  assert_int_equal(alerts_severity_rank("high"), 3);
  assert_int_equal(alerts_severity_rank("urgent"), 0);
  assert_int_equal(alerts_severity_rank(NULL), 0);
  /* sorting again changes nothing (a total order) */
  alerts_store_sort(&s);
  for (size_t i = 0; i < 8; i++) assert_string_equal(s.items[i].a.alert_id, want[i]);
  alerts_store_free(&s);
}

static void test_heads(void **state) {
  (void)state;
  alerts_heads_t h = {0};
  assert_null(alerts_heads_get(&h, "411024100-001-0001"));
  assert_null(alerts_heads_get(NULL, "x"));
  assert_int_equal(alerts_heads_add(&h, "411024100-001-0001", "甲"), 0);
  assert_int_equal(alerts_heads_add(&h, "411024100-001-0005", "乙"), 0);
  assert_int_equal(alerts_heads_add(&h, "411024101-001-0001", "丙"), 0);
  assert_string_equal(alerts_heads_get(&h, "411024100-001-0005"), "乙");
  assert_string_equal(alerts_heads_get(&h, "411024101-001-0001"), "丙");
  assert_null(alerts_heads_get(&h, "411024100-001-0002"));
  assert_null(alerts_heads_get(&h, NULL));
  alerts_heads_free(&h);
  assert_int_equal(h.n, 0);
  alerts_heads_free(&h);
  alerts_heads_free(NULL);
}

static void test_ranges_json(void **state) {
  (void)state;
  alerts_store_t s;
  alerts_store_init(&s);
  struct { const char *topic; int32_t p; int64_t off; } at[] = {
      {"x.alerts.411024101", 0, 5}, {"x.alerts.411024100", 2, 40}, {"x.alerts.411024100", 2, 12},
      {"x.alerts.411024100", 0, 7}, {"x.alerts.411024100", 2, 13}};
  for (size_t i = 0; i < 5; i++) {
    rh_alert_t a = mk("411024100", "411024100-001-0001", "p", "low", "d", "id");
    assert_int_equal(alerts_store_add(&s, &a, at[i].topic, at[i].p, at[i].off, NULL, 0), 0);
  }
  char *j = alerts_audit_ranges_json(s.items, s.n);
  assert_string_equal(
      j, "[{\"topic\":\"x.alerts.411024100\",\"partition\":0,\"first\":7,\"last\":7,\"count\":1},"
         "{\"topic\":\"x.alerts.411024100\",\"partition\":2,\"first\":12,\"last\":40,\"count\":3},"
         "{\"topic\":\"x.alerts.411024101\",\"partition\":0,\"first\":5,\"last\":5,\"count\":1}]");
  free(j);
  j = alerts_audit_ranges_json(NULL, 0);
  assert_string_equal(j, "[]");
  free(j);
  alerts_store_free(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_copies),
      cmocka_unit_test(test_order_and_groups),
      cmocka_unit_test(test_heads),
      cmocka_unit_test(test_ranges_json),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
