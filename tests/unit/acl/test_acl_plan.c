/* acl_plan: the parties' rights derived from the configuration, and which
 * bindings are a namespace's own (consumers/acl/acl_plan.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl_plan.h"
#include "rh_config.h"

static rh_config_t *load(const char *prefix) {
  char err[512];
  if (prefix)
    setenv("RH_TOPIC_PREFIX", prefix, 1);
  else
    unsetenv("RH_TOPIC_PREFIX");
  rh_config_t *cfg = rh_config_load(RH_SOURCE_DIR "/tests/data/config/minimal.yaml", err, sizeof err);
  if (!cfg) fail_msg("%s", err);
  return cfg;
}

static acl_entry_t entry(rd_kafka_ResourceType_t type, rd_kafka_ResourcePatternType_t pat,
                         const char *name, const char *principal, rd_kafka_AclOperation_t op) {
  acl_entry_t e = {.type = type, .pattern = pat, .op = op,
                   .permission = RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW};
  snprintf(e.name, sizeof e.name, "%s", name);
  snprintf(e.principal, sizeof e.principal, "%s", principal);
  strcpy(e.host, "*");
  return e;
}

static void test_plan_of_minimal(void **state) {
  (void)state;
  rh_config_t *cfg = load(NULL);
  acl_list_t plan = {0};
  char err[256];
  assert_int_equal(acl_plan_build(cfg, &plan, err, sizeof err), 0);
  /* 3 departments x 10 (6 for their lists, 4 to receive their new monitoring
   * objects in their group) and 2 for the one with a check feed (its
   * applicants), 2 townships x 15 (8 to read, their identity
   * discrepancies included, 5 to publish their
   * verifications with riskhub-verify, 2 for riskhub-web's transactional
   * id), the services 99 (the bureau push 6, the audit's 2 to
   * read the pushes, the status party's 3 for riskhub-health to watch them,
   * the scale party 6 and the audit's 2 to read the scale risks; the identity
   * party 6 (no identity feed here), the audit's 2 and the status party's 3 to
   * read the discrepancies) and,
   * for the ledger, each department's manifests topic (3 x 2: read, describe) */
  assert_int_equal(plan.n, 3 * 10 + 2 + 2 * 15 + 99 + 3 * 2);
  acl_entry_t want[] = {
      entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_PREFIXED, "feed.tax.",
            "User:dept.tax", RD_KAFKA_ACL_OPERATION_WRITE),
      entry(ACL_RESOURCE_TRANSACTIONAL_ID, RD_KAFKA_RESOURCE_PATTERN_PREFIXED,
            "riskhub-produce.tax.", "User:dept.tax", RD_KAFKA_ACL_OPERATION_WRITE),
      entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_LITERAL, "alerts.411024101",
            "User:town.411024101", RD_KAFKA_ACL_OPERATION_READ),
      entry(RD_KAFKA_RESOURCE_GROUP, RD_KAFKA_RESOURCE_PATTERN_PREFIXED,
            "riskhub-alerts.411024101.", "User:town.411024101", RD_KAFKA_ACL_OPERATION_READ),
      entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_LITERAL,
            "verifications.411024101", "User:town.411024101", RD_KAFKA_ACL_OPERATION_WRITE),
      entry(ACL_RESOURCE_TRANSACTIONAL_ID, RD_KAFKA_RESOURCE_PATTERN_LITERAL,
            "riskhub-verify.411024101", "User:town.411024101", RD_KAFKA_ACL_OPERATION_WRITE),
      entry(ACL_RESOURCE_TRANSACTIONAL_ID, RD_KAFKA_RESOURCE_PATTERN_LITERAL,
            "riskhub-web.411024101", "User:town.411024101", RD_KAFKA_ACL_OPERATION_WRITE),
      entry(ACL_RESOURCE_TRANSACTIONAL_ID, RD_KAFKA_RESOURCE_PATTERN_LITERAL,
            "riskhub-web.411024101", "User:town.411024101", RD_KAFKA_ACL_OPERATION_DESCRIBE),
      entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_PREFIXED, "verifications.",
            "User:svc.ledger", RD_KAFKA_ACL_OPERATION_READ),
      entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_PREFIXED, "feed.",
            "User:svc.join", RD_KAFKA_ACL_OPERATION_READ),
      /* its chain: its own manifests */
      entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_LITERAL, "feed.tax.manifests",
            "User:dept.tax", RD_KAFKA_ACL_OPERATION_READ),
      entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_LITERAL,
            "feed.civil-affairs.manifests", "User:svc.ledger", RD_KAFKA_ACL_OPERATION_READ),
      /* riskhub-health tells records from commit markers by reading one */
      entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_PREFIXED, "feed.",
            "User:svc.status", RD_KAFKA_ACL_OPERATION_READ),
      entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_PREFIXED, "riskhub",
            "User:svc.status", RD_KAFKA_ACL_OPERATION_READ),
      /* and watches the pushes (their transactions, retention, receivers' lag) */
      entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_PREFIXED, "outbound.",
            "User:svc.status", RD_KAFKA_ACL_OPERATION_DESCRIBE_CONFIGS),
      /* the bureau's pushes: the push party writes them in its transactions,
       * each department reads its own in its own group */
      entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_PREFIXED, "outbound.",
            "User:svc.push", RD_KAFKA_ACL_OPERATION_WRITE),
      entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_PREFIXED, "outbound.",
            "User:svc.push", RD_KAFKA_ACL_OPERATION_CREATE),
      entry(ACL_RESOURCE_TRANSACTIONAL_ID, RD_KAFKA_RESOURCE_PATTERN_LITERAL, "riskhub-push",
            "User:svc.push", RD_KAFKA_ACL_OPERATION_WRITE),
      entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_LITERAL, "outbound.tax.applicants",
            "User:dept.tax", RD_KAFKA_ACL_OPERATION_READ),
      /* the county's scale risks: the scale party writes them in its
       * transactions, the audit party reads them (riskhub-alerts --scale) */
      entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_LITERAL, "riskhub.scale-risks",
            "User:svc.scale", RD_KAFKA_ACL_OPERATION_WRITE),
      entry(ACL_RESOURCE_TRANSACTIONAL_ID, RD_KAFKA_RESOURCE_PATTERN_LITERAL, "riskhub-scale",
            "User:svc.scale", RD_KAFKA_ACL_OPERATION_WRITE),
      entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_LITERAL, "riskhub.scale-risks",
            "User:svc.audit", RD_KAFKA_ACL_OPERATION_READ),
      /* identity discrepancies: the identity party writes them, each township
       * reads its own */
      entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_PREFIXED, "identity.",
            "User:svc.identity", RD_KAFKA_ACL_OPERATION_WRITE),
      entry(ACL_RESOURCE_TRANSACTIONAL_ID, RD_KAFKA_RESOURCE_PATTERN_LITERAL, "riskhub-identity",
            "User:svc.identity", RD_KAFKA_ACL_OPERATION_WRITE),
      entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_LITERAL, "identity.411024100",
            "User:town.411024100", RD_KAFKA_ACL_OPERATION_READ),
      entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_LITERAL,
            "outbound.tax.new-monitoring-objects", "User:dept.tax", RD_KAFKA_ACL_OPERATION_READ),
      entry(RD_KAFKA_RESOURCE_GROUP, RD_KAFKA_RESOURCE_PATTERN_LITERAL, "riskhub-receive.tax",
            "User:dept.tax", RD_KAFKA_ACL_OPERATION_READ),
  };
  for (size_t i = 0; i < sizeof want / sizeof *want; i++) assert_true(acl_list_has(&plan, &want[i]));
  /* and what nobody may: a department reading alerts, a township writing them,
   * a department writing another's feeds */
  acl_entry_t never[] = {
      entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_LITERAL, "alerts.411024100",
            "User:dept.tax", RD_KAFKA_ACL_OPERATION_READ),
      entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_LITERAL, "alerts.411024100",
            "User:town.411024100", RD_KAFKA_ACL_OPERATION_WRITE),
      entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_PREFIXED, "feed.civil-affairs.",
            "User:dept.tax", RD_KAFKA_ACL_OPERATION_WRITE),
      /* another department's manifests and rejects; the shared topics of old */
      entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_LITERAL,
            "feed.civil-affairs.manifests", "User:dept.tax", RD_KAFKA_ACL_OPERATION_WRITE),
      entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_LITERAL,
            "feed.civil-affairs.manifests", "User:dept.tax", RD_KAFKA_ACL_OPERATION_READ),
      entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_LITERAL, "feed.manifests",
            "User:dept.tax", RD_KAFKA_ACL_OPERATION_WRITE),
      entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_LITERAL, "feed.rejects",
            "User:dept.tax", RD_KAFKA_ACL_OPERATION_WRITE),
      /* the ledger reads the lists' manifests, never the lists */
      entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_PREFIXED, "feed.",
            "User:svc.ledger", RD_KAFKA_ACL_OPERATION_READ),
      /* a township reporting another's home visits */
      entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_LITERAL,
            "verifications.411024101", "User:town.411024100", RD_KAFKA_ACL_OPERATION_WRITE),
      /* a department reading another's pushes, or writing its own; applicants
       * to a department without a check feed; the push party reading a list */
      entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_LITERAL,
            "outbound.civil-affairs.new-monitoring-objects", "User:dept.tax",
            RD_KAFKA_ACL_OPERATION_READ),
      entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_LITERAL,
            "outbound.tax.new-monitoring-objects", "User:dept.tax", RD_KAFKA_ACL_OPERATION_WRITE),
      entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_LITERAL,
            "outbound.civil-affairs.applicants", "User:dept.civil-affairs",
            RD_KAFKA_ACL_OPERATION_READ),
      entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_PREFIXED, "feed.",
            "User:svc.push", RD_KAFKA_ACL_OPERATION_READ),
      /* a township reading another's discrepancies; the identity party
       * reading a list that is not an identity list */
      entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_LITERAL, "identity.411024101",
            "User:town.411024100", RD_KAFKA_ACL_OPERATION_READ),
      entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_PREFIXED, "feed.",
            "User:svc.identity", RD_KAFKA_ACL_OPERATION_READ),
      /* the scale party reads no list and writes no township's alerts */
      entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_PREFIXED, "feed.",
            "User:svc.scale", RD_KAFKA_ACL_OPERATION_READ),
      entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_PREFIXED, "alerts.",
            "User:svc.scale", RD_KAFKA_ACL_OPERATION_WRITE),
  };
  for (size_t i = 0; i < sizeof never / sizeof *never; i++)
    assert_false(acl_list_has(&plan, &never[i]));
  for (size_t i = 0; i < plan.n; i++) {
    assert_int_equal(plan.v[i].permission, RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW);
    assert_string_equal(plan.v[i].host, "*");
    assert_true(acl_entry_ours(cfg, &plan.v[i]));
    if (i) assert_true(acl_entry_cmp(&plan.v[i - 1], &plan.v[i]) < 0); /* sorted, no twice */
  }
  acl_list_free(&plan);
  rh_config_destroy(cfg);
}

static void test_namespaces(void **state) {
  (void)state;
  rh_config_t *cfg = load("test-1a2b.");
  acl_list_t plan = {0};
  char err[256], line[640];
  assert_int_equal(acl_plan_build(cfg, &plan, err, sizeof err), 0);
  acl_entry_format(&plan.v[0], line, sizeof line);
  assert_non_null(strstr(line, "ALLOW User:test-1a2b.dept."));
  for (size_t i = 0; i < plan.n; i++) {
    assert_int_equal(strncmp(plan.v[i].name, "test-1a2b.", 10), 0);
    assert_int_equal(strncmp(plan.v[i].principal, "User:test-1a2b.", 15), 0);
  }
  /* the default namespace's and another's bindings are not this one's */
  acl_entry_t def = entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_LITERAL,
                          "alerts.411024100", "User:town.411024100", RD_KAFKA_ACL_OPERATION_READ);
  acl_entry_t other = entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_LITERAL,
                            "test-9z.alerts.411024100", "User:test-9z.town.411024100",
                            RD_KAFKA_ACL_OPERATION_READ);
  acl_entry_t intruder = entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_LITERAL,
                               "test-1a2b.alerts.411024100", "User:someone",
                               RD_KAFKA_ACL_OPERATION_READ);
  assert_false(acl_entry_ours(cfg, &def));
  assert_false(acl_entry_ours(cfg, &other));
  assert_true(acl_entry_ours(cfg, &intruder)); /* on our topic: check reports it */
  rh_config_destroy(cfg);
  cfg = load(NULL);
  assert_true(acl_entry_ours(cfg, &def));
  assert_false(acl_entry_ours(cfg, &other)); /* a test's bindings are not the hub's */
  rh_config_destroy(cfg);
  acl_list_free(&plan);
  unsetenv("RH_TOPIC_PREFIX");
}

static void test_format_and_makeable(void **state) {
  (void)state;
  char line[640];
  acl_entry_t t = entry(ACL_RESOURCE_TRANSACTIONAL_ID, RD_KAFKA_RESOURCE_PATTERN_PREFIXED,
                        "riskhub-join.", "User:svc.join", RD_KAFKA_ACL_OPERATION_WRITE);
  acl_entry_format(&t, line, sizeof line);
  assert_string_equal(line, "ALLOW User:svc.join WRITE TRANSACTIONAL_ID PREFIXED riskhub-join.");
  assert_false(acl_entry_makeable(&t));
  acl_entry_t d = entry(RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_LITERAL, "feed.x",
                        "User:a", RD_KAFKA_ACL_OPERATION_READ);
  d.permission = RD_KAFKA_ACL_PERMISSION_TYPE_DENY;
  strcpy(d.host, "10.0.0.9");
  acl_entry_format(&d, line, sizeof line);
  assert_string_equal(line, "DENY User:a READ TOPIC LITERAL feed.x host 10.0.0.9");
  assert_true(acl_entry_makeable(&d));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_plan_of_minimal),
      cmocka_unit_test(test_namespaces),
      cmocka_unit_test(test_format_and_makeable),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
