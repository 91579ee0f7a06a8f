/*
 * rh_config: the shipped config/riskhub.yaml against domain.md, lookups,
 * environment overrides, the topic prefix, and one test per class of error with the exact
 * file:line:column, key path and message (fixtures in tests/data/config/).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_clock.h"
#include "rh_config.h"
#include "rh_test.h"

#ifndef RH_SOURCE_DIR
#define RH_SOURCE_DIR "."
#endif

/* <source>/<rel>, in one of two rotating buffers. */
static const char *src_path(const char *rel) {
  static char buf[2][1024];
  static int n;
  char *p = buf[n++ % 2];
  snprintf(p, sizeof buf[0], "%s/%s", rh_test_source_dir(), rel);
  return p;
}

static const char *fixture(const char *name) {
  char rel[256];
  snprintf(rel, sizeof rel, "tests/data/config/%s", name);
  return src_path(rel);
}

static rh_config_t *load_ok(const char *path) {
  char err[1024];
  rh_config_t *cfg = rh_config_load(path, err, sizeof err);
  if (!cfg) fail_msg("%s", err);
  return cfg;
}

/* Loading fixture name fails with exactly "<path>:<expected>". */
static void expect_error(const char *name, const char *expected) {
  char err[1024], want[2048];
  const char *path = fixture(name);
  rh_config_t *cfg = rh_config_load(path, err, sizeof err);
  assert_null(cfg);
  snprintf(want, sizeof want, "%s%s", path, expected);
  assert_string_equal(err, want);
}

static int setup(void **state) {
  (void)state;
  /* scripts/test.sh exports these for the integration tests. */
  unsetenv("RH_KAFKA_BOOTSTRAP");
  unsetenv("RH_PG_CONNINFO");
  unsetenv("RH_TOPIC_PREFIX");
  unsetenv("RH_TOPIC_REPLICATION_FACTOR");
  unsetenv("RH_TOPIC_MIN_INSYNC_REPLICAS");
  unsetenv("RH_KAFKA_CA");
  unsetenv("RH_KAFKA_CREDENTIALS");
  return 0;
}

/* ---- the shipped configuration ---- */

/* domain.md's table of feeds (the outbound rural-revitalization lists are not
 * department feeds). */
static const struct {
  const char *dept, *dept_name, *feed;
  rh_feed_kind_t kind;
  const char *risk, *subtype;
} domain_feeds[] = {
    {"civil-affairs", "民政局", "new-dibao", RH_FEED_SIGNAL, "LOW_INCOME", NULL},
    {"civil-affairs", "民政局", "new-tekun", RH_FEED_SIGNAL, "LOW_INCOME", NULL},
    {"civil-affairs", "民政局", "new-orphans", RH_FEED_SIGNAL, "LOW_INCOME", NULL},
    {"civil-affairs", "民政局", "temporary-assistance", RH_FEED_SIGNAL, "LOW_INCOME", NULL},
    {"disabled-persons", "残联", "severe-disability", RH_FEED_SIGNAL, "DISABILITY", NULL},
    {"education", "教体局", "dropouts", RH_FEED_SIGNAL, "EDUCATION", NULL},
    {"human-resources", "人社局", "welfare-job-cancelled", RH_FEED_SIGNAL, "EMPLOYMENT", NULL},
    {"human-resources", "人社局", "enterprise-pension", RH_FEED_CHECK, NULL, NULL},
    {"medical-insurance", "医疗保障局", "high-self-pay", RH_FEED_SIGNAL, "ILLNESS", NULL},
    {"housing", "住建局", "dilapidated-housing", RH_FEED_SIGNAL, "HOUSING", NULL},
    {"health", "卫健委", "major-disease", RH_FEED_SIGNAL, "ILLNESS", NULL},
    {"agriculture", "农业农村局", "industry-failure", RH_FEED_SIGNAL, "INDUSTRY_FAILURE", NULL},
    {"emergency", "应急管理局", "disaster-affected", RH_FEED_SIGNAL, "DISASTER", NULL},
    {"water", "水务局", "drinking-water", RH_FEED_SIGNAL, "DRINKING_WATER", NULL},
    {"finance", "财政局", "public-servants", RH_FEED_CHECK, NULL, NULL},
    {"tax", "税务局", "vehicles", RH_FEED_CHECK, NULL, NULL},
    {"tax", "税务局", "real-estate", RH_FEED_CHECK, NULL, NULL},
    {"tax", "税务局", "businesses", RH_FEED_CHECK, NULL, NULL},
    {"public-security", "公安局", "motor-vehicles", RH_FEED_CHECK, NULL, NULL},
    {"public-security", "公安局", "traffic-accidents", RH_FEED_SIGNAL, "ACCIDENT", NULL},
    {"public-security", "公安局", "criminal-cases", RH_FEED_SIGNAL, "ACCIDENT", NULL},
    {"public-security", "公安局", "forest-fire", RH_FEED_SIGNAL, "DISASTER", "FIRE"},
    {"public-security", "公安局", "identity", RH_FEED_IDENTITY, NULL, NULL},
    {"market-regulation", "市场监督管理局", "companies", RH_FEED_CHECK, NULL, NULL},
    {"banks", "金融部门", "large-deposits", RH_FEED_CHECK, NULL, NULL},
};

static const struct {
  const char *code, *name;
} domain_townships[] = {
    {"411024100", "安陵镇"}, {"411024101", "马栏镇"}, {"411024102", "柏梁镇"},
    {"411024103", "陈化店镇"}, {"411024104", "望田镇"}, {"411024105", "大马镇"},
    {"411024106", "陶城镇"}, {"411024107", "张桥镇"}, {"411024108", "彭店镇"},
    {"411024109", "只乐镇"}, {"411024110", "南坞镇"}, {"411024111", "马坊镇"},
};

static void test_shipped_county_and_townships(void **state) {
  (void)state;
  rh_config_t *cfg = load_ok(src_path("config/riskhub.yaml"));
  assert_string_equal(cfg->county_code, "411024");
  assert_string_equal(cfg->county_name, "鄢陵县");
  assert_int_equal(cfg->township_count, 12);
  for (size_t i = 0; i < 12; i++) {
    assert_string_equal(cfg->townships[i].code, domain_townships[i].code);
    assert_string_equal(cfg->townships[i].name, domain_townships[i].name);
    assert_ptr_equal(rh_config_township_find(cfg, domain_townships[i].code), &cfg->townships[i]);
    assert_ptr_equal(rh_config_township_find(cfg, domain_townships[i].name), &cfg->townships[i]);
  }
  assert_string_equal(cfg->kafka_bootstrap, "127.0.0.1:19092");
  assert_string_equal(rh_config_kafka_get(cfg, "bootstrap.servers"), "127.0.0.1:19092");
  assert_false(cfg->kafka_bootstrap_from_env);
  assert_non_null(strstr(cfg->pg_conninfo, "dbname=riskhub"));
  assert_false(cfg->pg_conninfo_from_env);
  assert_int_equal(cfg->deadlines.delivery_day, 10);
  assert_int_equal(cfg->deadlines.home_visit_days, 3);
  assert_int_equal(cfg->deadlines.comparison_days, 5);
  assert_int_equal(cfg->deadlines.procedure_working_days, 20);
  double v = 0;
  assert_int_equal(rh_config_threshold(cfg, "income_line", &v), 0);
  assert_true(v == 8300);
  assert_int_equal(rh_config_threshold(cfg, "no_such", &v), -1);
  rh_config_destroy(cfg);
}

static void test_shipped_departments_and_feeds(void **state) {
  (void)state;
  rh_config_t *cfg = load_ok(src_path("config/riskhub.yaml"));
  size_t feeds = 0;
  for (size_t d = 0; d < cfg->department_count; d++) feeds += cfg->departments[d].feed_count;
  assert_int_equal(feeds, sizeof domain_feeds / sizeof domain_feeds[0]);
  assert_int_equal(cfg->department_count, 15);

  for (size_t i = 0; i < sizeof domain_feeds / sizeof domain_feeds[0]; i++) {
    const rh_config_department_t *d = rh_config_department_find(cfg, domain_feeds[i].dept);
    const rh_config_feed_t *f =
        rh_config_feed_find(cfg, domain_feeds[i].dept, domain_feeds[i].feed);
    char topic[128], ref[128];
    if (!d || !f) fail_msg("missing %s/%s", domain_feeds[i].dept, domain_feeds[i].feed);
    assert_string_equal(d->name, domain_feeds[i].dept_name);
    assert_ptr_equal(f->department, d);
    assert_int_equal(f->kind, domain_feeds[i].kind);
    if (domain_feeds[i].risk)
      assert_string_equal(f->risk, domain_feeds[i].risk);
    else
      assert_null(f->risk);
    if (domain_feeds[i].subtype)
      assert_string_equal(f->risk_subtype, domain_feeds[i].subtype);
    else
      assert_null(f->risk_subtype);
    snprintf(topic, sizeof topic, "feed.%s.%s", domain_feeds[i].dept, domain_feeds[i].feed);
    assert_string_equal(f->topic, topic);
    assert_ptr_equal(rh_config_feed_find_topic(cfg, topic), f);
    snprintf(ref, sizeof ref, "%s/%s", domain_feeds[i].dept, domain_feeds[i].feed);
    assert_ptr_equal(rh_config_feed_find_ref(cfg, ref), f);
    assert_non_null(f->columns[RH_COL_ID_NUMBER]);
    assert_true(f->required[RH_COL_ID_NUMBER]);
    assert_non_null(f->name);
    /* Every signal feed raises warnings through at least one rule. */
    if (f->kind == RH_FEED_SIGNAL && f->rule_count == 0) fail_msg("no rule for %s", ref);
    for (size_t r = 0; r < f->rule_count; r++) assert_ptr_equal(f->rules[r]->feed, f);
  }
  assert_null(rh_config_feed_find(cfg, "tax", "yachts"));
  assert_null(rh_config_feed_find(cfg, "nope", "vehicles"));
  assert_null(rh_config_feed_find_ref(cfg, "tax"));
  assert_null(rh_config_feed_find_topic(cfg, "feed.tax"));
  assert_null(rh_config_department_find(cfg, "民政局"));

  const rh_config_feed_t *f = rh_config_feed_find(cfg, "medical-insurance", "high-self-pay");
  assert_string_equal(f->columns[RH_COL_AMOUNT], "个人自付金额");
  assert_true(f->required[RH_COL_AMOUNT]);
  assert_null(f->columns[RH_COL_SUBTYPE]);
  f = rh_config_feed_find(cfg, "emergency", "disaster-affected");
  assert_string_equal(f->columns[RH_COL_SUBTYPE], "灾害类型");
  f = rh_config_feed_find(cfg, "health", "major-disease");
  assert_int_equal(f->fact_count, 2);
  assert_string_equal(f->facts[0].name, "disease");
  assert_string_equal(f->facts[0].header, "病种");
  rh_config_destroy(cfg);
}

static void test_shipped_medical_rules(void **state) {
  (void)state;
  rh_config_t *cfg = load_ok(src_path("config/riskhub.yaml"));
  const rh_config_rule_t *r = rh_config_rule_find(cfg, "illness-high-self-pay-ordinary");
  assert_non_null(r);
  assert_ptr_equal(r->feed, rh_config_feed_find(cfg, "medical-insurance", "high-self-pay"));
  assert_ptr_equal(r->department, r->feed->department);
  assert_int_equal(r->severity, RH_SEVERITY_HIGH);
  assert_string_equal(r->risk, "ILLNESS");
  assert_int_equal(r->condition_count, 2);
  assert_string_equal(r->conditions[0].field, "household.type");
  assert_int_equal(r->conditions[0].op, RH_OP_EQ);
  assert_string_equal(r->conditions[0].value, "ordinary");
  assert_false(r->conditions[0].is_numeric);
  assert_string_equal(r->conditions[1].field, "amount");
  assert_int_equal(r->conditions[1].op, RH_OP_GT); /* the notice's 超过 */
  assert_string_equal(r->conditions[1].threshold, "self_pay_ordinary");
  assert_null(r->conditions[1].value);
  assert_true(r->conditions[1].is_numeric);
  assert_true(r->conditions[1].number == 10000);

  r = rh_config_rule_find(cfg, "illness-high-self-pay-monitored");
  assert_non_null(r);
  assert_int_equal(r->conditions[0].op, RH_OP_IN);
  assert_int_equal(r->conditions[0].value_count, 2);
  assert_string_equal(r->conditions[0].values[0], "poverty_alleviated");
  assert_string_equal(r->conditions[0].values[1], "monitored");
  assert_true(r->conditions[1].number == 6000);
  assert_null(rh_config_rule_find(cfg, "no-such-rule"));

  assert_string_equal(rh_severity_name(RH_SEVERITY_MEDIUM), "medium");
  assert_string_equal(rh_rule_op_name(RH_OP_LTE), "lte");
  assert_string_equal(rh_feed_kind_name(RH_FEED_IDENTITY), "identity");
  assert_string_equal(rh_feed_column_name(RH_COL_EVENT_DATE), "event_date");
  assert_string_equal(rh_feed_column_name(RH_COL_COUNT), "?");
  assert_true(rh_config_risk_valid("DRINKING_WATER"));
  assert_false(rh_config_risk_valid("drinking_water"));
  assert_true(rh_config_risk_subtype_valid("EARTHQUAKE"));
  assert_false(rh_config_risk_subtype_valid(NULL));
  rh_config_destroy(cfg);
}

static void test_township_lookup(void **state) {
  (void)state;
  rh_config_t *cfg = load_ok(src_path("config/riskhub.yaml"));
  const rh_config_township_t *t = rh_config_township_find(cfg, "陈化店镇");
  assert_non_null(t);
  assert_string_equal(t->code, "411024103");
  t = rh_config_township_find(cfg, "411024111");
  assert_non_null(t);
  assert_string_equal(t->name, "马坊镇");
  /* Without 镇, as lists often write it. */
  t = rh_config_township_find(cfg, "陈化店");
  assert_non_null(t);
  assert_string_equal(t->code, "411024103");
  assert_null(rh_config_township_find(cfg, "陈化"));
  assert_null(rh_config_township_find(cfg, "411024112"));
  assert_null(rh_config_township_find(cfg, "41102410"));
  assert_null(rh_config_township_find(cfg, "许昌市"));
  assert_null(rh_config_township_find(cfg, ""));
  assert_null(rh_config_township_find(cfg, NULL));
  rh_config_destroy(cfg);
}

static void test_env_overrides(void **state) {
  (void)state;
  setenv("RH_KAFKA_BOOTSTRAP", "broker-a:9092,broker-b:9092", 1);
  setenv("RH_PG_CONNINFO", "host=db.example port=5432 dbname=riskhub", 1);
  rh_config_t *cfg = load_ok(fixture("minimal.yaml"));
  assert_string_equal(cfg->kafka_bootstrap, "broker-a:9092,broker-b:9092");
  assert_string_equal(rh_config_kafka_get(cfg, "bootstrap.servers"), "broker-a:9092,broker-b:9092");
  assert_true(cfg->kafka_bootstrap_from_env);
  assert_string_equal(cfg->pg_conninfo, "host=db.example port=5432 dbname=riskhub");
  assert_true(cfg->pg_conninfo_from_env);
  rh_config_destroy(cfg);

  /* Empty means unset. */
  setenv("RH_KAFKA_BOOTSTRAP", "", 1);
  unsetenv("RH_PG_CONNINFO");
  cfg = load_ok(fixture("minimal.yaml"));
  assert_string_equal(cfg->kafka_bootstrap, "127.0.0.1:19092");
  assert_false(cfg->kafka_bootstrap_from_env);
  assert_string_equal(cfg->pg_conninfo, "host=127.0.0.1 port=15432 dbname=riskhub user=riskhub");
  assert_false(cfg->pg_conninfo_from_env);
  rh_config_destroy(cfg);
  unsetenv("RH_KAFKA_BOOTSTRAP");
}

static void test_load_string(void **state) {
  (void)state;
  char err[512];
  rh_config_t *cfg =
      rh_config_load_string("county: [411024]\n", 17, "inline.yaml", err, sizeof err);
  assert_null(cfg);
  /* Required sections are checked before their contents. */
  assert_string_equal(err, "inline.yaml:1:1: kafka: required key missing");
  cfg = rh_config_load_string("- a\n", 4, NULL, err, sizeof err);
  assert_null(cfg);
  assert_string_equal(err, "<string>:1:1: expected a mapping, found a list");
  /* Not NUL-terminated: only len bytes are read. */
  cfg = rh_config_load_string("kafka: {}\nGARBAGE[", 9, "cut.yaml", err, sizeof err);
  assert_null(cfg);
  assert_string_equal(err, "cut.yaml:1:1: county: required key missing");
  /* A NULL or tiny errstr is fine. */
  assert_null(rh_config_load_string("x", 1, NULL, NULL, 0));
  char tiny[8];
  assert_null(rh_config_load_string("x", 1, "long-name.yaml", tiny, sizeof tiny));
  assert_int_equal(strlen(tiny), sizeof tiny - 1);
  rh_config_destroy(NULL);
}

static void test_minimal_loads(void **state) {
  (void)state;
  rh_config_t *cfg = load_ok(fixture("minimal.yaml"));
  assert_int_equal(cfg->township_count, 2);
  assert_int_equal(cfg->department_count, 3);
  assert_int_equal(cfg->rule_count, 1);
  assert_int_equal(cfg->kafka_count, 1);
  assert_string_equal(cfg->source, fixture("minimal.yaml"));
  rh_config_destroy(cfg);
}

/* ---- one test per class of error ---- */

static void test_error_file_not_found(void **state) {
  (void)state;
  char err[512];
  assert_null(rh_config_load("/nonexistent/riskhub.yaml", err, sizeof err));
  assert_string_equal(err, "/nonexistent/riskhub.yaml: No such file or directory");
  assert_null(rh_config_load(rh_test_source_dir(), err, sizeof err));
  char want[1100];
  snprintf(want, sizeof want, "%s: Is a directory", rh_test_source_dir());
  assert_string_equal(err, want);
}

static void test_error_empty(void **state) {
  (void)state;
  expect_error("empty.yaml", ": empty configuration (no YAML document)");
}

static void test_error_yaml_syntax(void **state) {
  (void)state;
  expect_error("syntax.yaml",
               ":26:8: YAML syntax error: did not find expected '-' indicator "
               "(while parsing a block collection at line 25)");
  char err[256];
  assert_null(rh_config_load_string("a: b\nc: \xff\n", 9, "utf8.yaml", err, sizeof err));
  assert_string_equal(err, "utf8.yaml:2:4: not valid YAML text: invalid leading UTF-8 octet");
}

static void test_error_two_documents(void **state) {
  (void)state;
  expect_error("two_documents.yaml",
               ":43:1: a second YAML document starts here; put everything in one");
}

static void test_error_unknown_top_level_key(void **state) {
  (void)state;
  expect_error("unknown_top_key.yaml",
               ":5:1: postgress: unknown key 'postgress' (expected county, kafka, postgres, "
               "townships, departments, deadlines, thresholds, rules, topic_prefix, registry, "
               "topics, archive, signing, kafka_credentials, verification or scale_risks)");
}

static void test_error_missing_section(void **state) {
  (void)state;
  /* Reported at the mapping that should hold it (the top level, line 2). */
  expect_error("missing_deadlines.yaml", ":2:1: deadlines: required key missing");
}

static void test_error_missing_key(void **state) {
  (void)state;
  /* The feed's mapping starts at line 14 ("- code: new-dibao"). */
  expect_error("missing_kind.yaml", ":14:9: departments[0].feeds[0].kind: required key missing");
}

/* feed.<dept>.manifests and feed.<dept>.rejects are the department's own. */
static void test_error_reserved_feed(void **state) {
  (void)state;
  expect_error("reserved_feed.yaml",
               ":36:15: departments[2].feeds[0].code: 'manifests' is reserved: "
               "feed.<department>.manifests is the department's own manifests topic");
}

static void test_error_unknown_kind(void **state) {
  (void)state;
  expect_error("bad_kind.yaml",
               ":38:15: departments[2].feeds[0].kind: unknown kind 'signel' "
               "(expected signal, check or identity)");
}

static void test_error_wrong_type(void **state) {
  (void)state;
  expect_error("wrong_type.yaml",
               ":39:18: departments[2].feeds[0].columns: expected a mapping, found a list");
}

static void test_error_duplicate_yaml_key(void **state) {
  (void)state;
  expect_error("dup_key.yaml",
               ":29:9: departments[1].feeds[0].risk: duplicate key (first at line 28)");
}

static void test_error_duplicate_department(void **state) {
  (void)state;
  expect_error("dup_department.yaml",
               ":33:11: departments[2].code: duplicate department code 'civil-affairs' "
               "(first at line 11)");
}

static void test_error_duplicate_feed(void **state) {
  (void)state;
  expect_error("dup_feed.yaml",
               ":40:15: departments[2].feeds[1].code: duplicate feed code 'vehicles' "
               "(first at line 36)");
}

static void test_error_duplicate_township(void **state) {
  (void)state;
  expect_error("dup_township.yaml",
               ":9:12: townships[1].code: duplicate township code '411024100' (first at line 8)");
}

static void test_error_township_not_9_digits(void **state) {
  (void)state;
  expect_error("township_digits.yaml",
               ":9:12: townships[1].code: township code '41102410' must have 9 digits");
}

static void test_error_township_outside_county(void **state) {
  (void)state;
  expect_error("township_county.yaml",
               ":9:12: townships[1].code: township code '411025101' does not start with the "
               "county code 411024");
}

static void test_error_unknown_risk(void **state) {
  (void)state;
  expect_error("bad_risk.yaml",
               ":28:15: departments[1].feeds[0].risk: unknown risk 'ILLNES' (expected ILLNESS, "
               "DISABILITY, EDUCATION, DISASTER, ACCIDENT, INDUSTRY_FAILURE, EMPLOYMENT, "
               "HOUSING, DRINKING_WATER, LOW_INCOME, LABOR_SHORTAGE or OTHER)");
}

static void test_error_risk_on_check_feed(void **state) {
  (void)state;
  expect_error("risk_on_check.yaml",
               ":39:15: departments[2].feeds[0].risk: only signal feeds have a risk "
               "(this is a check feed)");
}

static void test_error_unknown_column_field(void **state) {
  (void)state;
  expect_error("unknown_column.yaml",
               ":21:11: departments[0].feeds[0].columns.town: unknown column field 'town' "
               "(expected id_number, name, township, village, event_date, amount or subtype; "
               "other columns go under facts)");
}

static void test_error_kafka_property(void **state) {
  (void)state;
  expect_error("kafka_property.yaml",
               ":5:16: kafka.linger.msec: librdkafka: No such configuration property: "
               "\"linger.msec\"");
}

static void test_error_rule_unknown_feed(void **state) {
  (void)state;
  expect_error("rule_unknown_feed.yaml",
               ":45:11: rules[0].feed: unknown feed 'medical-insurance/high-selfpay': "
               "department medical-insurance has no feed 'high-selfpay'");
}

static void test_error_rule_check_feed(void **state) {
  (void)state;
  expect_error("rule_check_feed.yaml",
               ":45:11: rules[0].feed: feed tax/vehicles is a check feed; rules apply to "
               "signal feeds");
}

static void test_error_rule_unknown_threshold(void **state) {
  (void)state;
  expect_error("rule_unknown_threshold.yaml",
               ":49:45: rules[0].when[1].threshold: unknown threshold 'self_pay_ordinery'");
}

static void test_error_rule_bad_value(void **state) {
  (void)state;
  expect_error("rule_bad_value.yaml",
               ":48:48: rules[0].when[0].value: 'normal' is not a value of household.type "
               "(expected poverty_alleviated, monitored or ordinary)");
  expect_error("rule_not_numeric.yaml",
               ":49:41: rules[0].when[1].value: '10k' is not a number (amount is numeric)");
}

/* ---- topic prefix ---- */

#define PREFIX_RULE                                                                         \
  "(lower-case letters, digits and '-', starting with a letter or digit, ending with '.', " \
  "at most 64 characters, e.g. test-1a2b.)"

/* minimal.yaml's text into buf (NUL-terminated, at most cap - 512 bytes: room
 * to add to it); its length. */
static size_t read_minimal(char *buf, size_t cap) {
  FILE *fp = fopen(fixture("minimal.yaml"), "rb");
  assert_non_null(fp);
  size_t n = fread(buf, 1, cap - 512, fp);
  fclose(fp);
  assert_true(n > 0 && buf[n - 1] == '\n');
  buf[n] = '\0';
  return n;
}

/* minimal.yaml with one more line at its end (line 50). */
static rh_config_t *load_minimal_plus(const char *line, char *err, size_t errsz) {
  static char text[8192];
  size_t n = read_minimal(text, sizeof text);
  n += (size_t)snprintf(text + n, sizeof text - n, "%s\n", line);
  return rh_config_load_string(text, n, "plus.yaml", err, errsz);
}

/* minimal.yaml with a kafka."transaction.timeout.ms" of value (NULL: none);
 * NULL with err when the loader refuses it. */
static rh_config_t *load_with_txn_timeout(const char *value, char *err, size_t errsz) {
  static char text[8192];
  read_minimal(text, sizeof text);
  char out[8192 + 128];
  const char *k = strstr(text, "kafka:\n");
  assert_non_null(k);
  int len = snprintf(out, sizeof out, "%.*s%s%s%s%s", (int)(k - text + 7), text,
                     value ? "  transaction.timeout.ms: " : "", value ? value : "",
                     value ? "\n" : "", k + 7);
  return rh_config_load_string(out, (size_t)len, "txn.yaml", err, errsz);
}

/* The join's and riskhub-health's transaction timeout: the config's, else 60 s.
 * A value librdkafka would not take is refused at load, with its place. */
static void test_txn_timeout(void **state) {
  (void)state;
  struct {
    const char *value;
    int64_t want;
  } cases[] = {{NULL, 60000}, {"15000", 15000}, {"\"900000\"", 900000}};
  char err[512];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    rh_config_t *cfg = load_with_txn_timeout(cases[i].value, err, sizeof err);
    if (!cfg) fail_msg("%s", err);
    assert_int_equal(rh_config_txn_timeout_ms(cfg), cases[i].want);
    rh_config_destroy(cfg);
  }
  const char *bad[] = {"0", "15s"};
  for (size_t i = 0; i < 2; i++) {
    assert_null(load_with_txn_timeout(bad[i], err, sizeof err));
    assert_non_null(strstr(err, "txn.yaml:4:"));
    assert_non_null(strstr(err, "transaction.timeout.ms"));
  }
}

/* scale_risks (docs/scale.md): the shipped rules, the defaults, and every
 * refusal with its place (line 50 of plus.yaml) in the clerk's terms. */
static void test_scale_risks(void **state) {
  (void)state;
  char err[512];
  rh_config_t *cfg = rh_test_config();
  assert_int_equal(cfg->scale.baseline_months, 3);
  assert_true(cfg->scale.rule_count >= 1);
  assert_string_equal(cfg->scale.rules[0].id, "village-disaster");
  assert_int_equal(cfg->scale.rules[0].place, RH_PLACE_VILLAGE);
  assert_string_equal(cfg->scale.rules[0].risks[0], "DISASTER");
  rh_config_destroy(cfg);
  /* minimal.yaml has none; one rule, defaults filled in */
  cfg = load_minimal_plus("", err, sizeof err);
  assert_non_null(cfg);
  assert_int_equal(cfg->scale.rule_count, 0);
  rh_config_destroy(cfg);
  cfg = load_minimal_plus("scale_risks: {rules: [{id: t, place: township, risks: [EMPLOYMENT, "
                          "ILLNESS], all_risks: true, min_share: 0.01}]}",
                          err, sizeof err);
  if (!cfg) fail_msg("%s", err);
  assert_int_equal(cfg->scale.baseline_months, RH_CONFIG_BASELINE_MONTHS_DEFAULT);
  const rh_config_scale_rule_t *r = &cfg->scale.rules[0];
  assert_int_equal(r->place, RH_PLACE_TOWNSHIP);
  assert_true(r->all_risks);
  assert_int_equal(r->risk_count, 2);
  assert_int_equal(r->min_households, 0);
  assert_true(r->min_share > 0.0099 && r->min_share < 0.0101);
  assert_true(r->min_rise == 0);
  rh_config_destroy(cfg);
  struct {
    const char *line, *want;
  } bad[] = {
      {"scale_risks: {rules: [{id: v, place: village, risks: [DISASTER]}]}",
       "plus.yaml:50:23: scale_risks.rules[0]: a scale rule needs a threshold: min_households, "
       "min_share or min_rise"},
      {"scale_risks: {rules: [{id: v, place: county, risks: [DISASTER], min_households: 3}]}",
       "plus.yaml:50:38: scale_risks.rules[0].place: unknown place 'county' (expected village "
       "or township)"},
      {"scale_risks: {rules: [{id: v, place: village, risks: [FLOODS], min_households: 3}]}",
       "plus.yaml:50:55: scale_risks.rules[0].risks[0]: unknown risk 'FLOODS'"},
      {"scale_risks: {rules: [{id: v, place: village, risks: [DISASTER, DISASTER], "
       "min_households: 3}]}",
       "plus.yaml:50:65: scale_risks.rules[0].risks[1]: risk DISASTER is listed twice"},
      {"scale_risks: {rules: [{id: v, place: village, risks: [DISASTER], all_risks: true, "
       "min_households: 3}]}",
       "plus.yaml:50:77: scale_risks.rules[0].all_risks: a combination needs at least two risks"},
      {"scale_risks: {rules: [{id: v, place: village, risks: [DISASTER], min_share: 1.5}]}",
       "plus.yaml:50:77: scale_risks.rules[0].min_share: must be a share above 0 and at most 1 "
       "(0.2 = 20 %), found 1.5"},
      {"scale_risks: {rules: [{id: v, place: village, risks: [DISASTER], min_rise: 0.5}]}",
       "plus.yaml:50:76: scale_risks.rules[0].min_rise: must be a factor above 1"},
      {"scale_risks: {rules: [{id: v, place: village, risks: [DISASTER], min_households: 0}]}",
       "plus.yaml:50:82: scale_risks.rules[0].min_households: must be a whole number from 1"},
      {"scale_risks: {baseline_months: 0, rules: []}",
       "plus.yaml:50:32: scale_risks.baseline_months: must be a whole number from 1 to 24"},
      {"scale_risks: {rules: [{id: v, place: village, risks: [DISASTER], min_households: 3}, "
       "{id: v, place: township, risks: [DISASTER], min_households: 9}]}",
       "scale_risks.rules[1].id: duplicate scale rule id 'v' (first at line 50)"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    assert_null(load_minimal_plus(bad[i].line, err, sizeof err));
    if (!strstr(err, bad[i].want)) fail_msg("case %zu: %s", i, err);
  }
}

/* Every feed topic is "<prefix>feed.<dept>.<feed>" and is found by that name only. */
static void check_feed_topics(const rh_config_t *cfg, const char *prefix) {
  for (size_t d = 0; d < cfg->department_count; d++)
    for (size_t i = 0; i < cfg->departments[d].feed_count; i++) {
      const rh_config_feed_t *f = &cfg->departments[d].feeds[i];
      char want[256], bare[256];
      snprintf(want, sizeof want, "%sfeed.%s.%s", prefix, cfg->departments[d].code, f->code);
      snprintf(bare, sizeof bare, "feed.%s.%s", cfg->departments[d].code, f->code);
      assert_string_equal(f->topic, want);
      assert_ptr_equal(rh_config_feed_find_topic(cfg, want), f);
      if (*prefix) assert_null(rh_config_feed_find_topic(cfg, bare));
    }
}

static void test_topic_prefix_default(void **state) {
  (void)state;
  rh_config_t *cfg = load_ok(fixture("minimal.yaml"));
  assert_non_null(cfg->topic_prefix);
  assert_string_equal(cfg->topic_prefix, "");
  assert_false(cfg->topic_prefix_from_env);
  check_feed_topics(cfg, "");
  assert_string_equal(rh_config_feed_find(cfg, "civil-affairs", "new-dibao")->topic,
                      "feed.civil-affairs.new-dibao");
  char buf[64];
  assert_int_equal(rh_config_topic(cfg, "feed.manifests", buf, sizeof buf), 0);
  assert_string_equal(buf, "feed.manifests");
  /* each department's own manifests and rejects topics */
  for (size_t i = 0; i < cfg->department_count; i++) {
    char want[128];
    snprintf(want, sizeof want, "feed.%s.manifests", cfg->departments[i].code);
    assert_string_equal(cfg->departments[i].manifests_topic, want);
    snprintf(want, sizeof want, "feed.%s.rejects", cfg->departments[i].code);
    assert_string_equal(cfg->departments[i].rejects_topic, want);
  }
  const char *names[64];
  assert_true(cfg->department_count <= 64);
  assert_int_equal(rh_config_department_topics(cfg, RH_TOPIC_REJECTS, names),
                   cfg->department_count);
  assert_string_equal(names[0], cfg->departments[0].rejects_topic);
  assert_int_equal(rh_config_department_topics(cfg, RH_TOPIC_ALERTS, names), 0);
  rh_config_destroy(cfg);

  /* The shipped file has no prefix either. */
  cfg = load_ok(src_path("config/riskhub.yaml"));
  assert_string_equal(cfg->topic_prefix, "");
  assert_true(cfg->registry.max_delete_share == 0.05); /* and says the default aloud */
  rh_config_destroy(cfg);
}

static void test_topic_prefix_yaml(void **state) {
  (void)state;
  rh_config_t *cfg = load_ok(fixture("topic_prefix.yaml"));
  assert_string_equal(cfg->topic_prefix, "staging-2.");
  assert_false(cfg->topic_prefix_from_env);
  check_feed_topics(cfg, "staging-2.");
  const rh_config_feed_t *f = rh_config_feed_find(cfg, "medical-insurance", "high-self-pay");
  assert_string_equal(f->topic, "staging-2.feed.medical-insurance.high-self-pay");
  assert_ptr_equal(rh_config_feed_find_topic(cfg, "staging-2.feed.medical-insurance.high-self-pay"),
                   f);
  assert_null(rh_config_feed_find_topic(cfg, "feed.medical-insurance.high-self-pay"));
  assert_null(rh_config_feed_find_topic(cfg, "other.feed.medical-insurance.high-self-pay"));
  /* The rules still name feeds without the prefix, and find them. */
  assert_ptr_equal(rh_config_rule_find(cfg, "illness-high-self-pay-ordinary")->feed, f);
  assert_ptr_equal(rh_config_feed_find_ref(cfg, "medical-insurance/high-self-pay"), f);
  char buf[64];
  assert_int_equal(rh_config_topic(cfg, "alerts.411024100", buf, sizeof buf), 0);
  assert_string_equal(buf, "staging-2.alerts.411024100");
  assert_int_equal(rh_config_topic(cfg, "riskhub.dlq", buf, sizeof buf), 0);
  assert_string_equal(buf, "staging-2.riskhub.dlq");
  rh_config_destroy(cfg);

  /* Accepted spellings: digits first, a single character, an empty string or
   * a YAML null (no prefix), exactly 64 characters. */
  static const struct {
    const char *line, *prefix;
  } ok[] = {
      {"topic_prefix: 0a-b-.", "0a-b-."},
      {"topic_prefix: x.", "x."},
      {"topic_prefix: \"t1a2b3c4d.\"", "t1a2b3c4d."},
      {"topic_prefix: \"\"", ""},
      {"topic_prefix:", ""},
      {"topic_prefix: ~", ""},
      {"topic_prefix: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.",
       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."},
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    char err[1024];
    cfg = load_minimal_plus(ok[i].line, err, sizeof err);
    if (!cfg) fail_msg("%s: %s", ok[i].line, err);
    assert_string_equal(cfg->topic_prefix, ok[i].prefix);
    check_feed_topics(cfg, ok[i].prefix);
    rh_config_destroy(cfg);
  }
}

static void test_topic_prefix_env(void **state) {
  (void)state;
  setenv("RH_TOPIC_PREFIX", "test-1a2b.", 1);
  rh_config_t *cfg = load_ok(fixture("minimal.yaml"));
  assert_string_equal(cfg->topic_prefix, "test-1a2b.");
  assert_true(cfg->topic_prefix_from_env);
  check_feed_topics(cfg, "test-1a2b.");
  char buf[64];
  assert_int_equal(rh_config_topic(cfg, "feed.rejects", buf, sizeof buf), 0);
  assert_string_equal(buf, "test-1a2b.feed.rejects");
  assert_string_equal(cfg->departments[0].manifests_topic,
                      "test-1a2b.feed.civil-affairs.manifests");
  assert_int_equal(rh_config_legacy_topic(cfg, RH_TOPIC_MANIFESTS, buf, sizeof buf), 0);
  assert_string_equal(buf, "test-1a2b.feed.manifests");
  assert_int_equal(rh_config_legacy_topic(cfg, RH_TOPIC_REJECTS, buf, sizeof buf), 0);
  assert_string_equal(buf, "test-1a2b.feed.rejects");
  assert_int_equal(rh_config_legacy_topic(cfg, RH_TOPIC_FEEDS, buf, sizeof buf), -1);
  rh_config_destroy(cfg);

  /* The variable replaces the key. */
  cfg = load_ok(fixture("topic_prefix.yaml"));
  assert_string_equal(cfg->topic_prefix, "test-1a2b.");
  assert_true(cfg->topic_prefix_from_env);
  check_feed_topics(cfg, "test-1a2b.");
  rh_config_destroy(cfg);

  /* Empty means unset: the file's value (or none) stays. */
  setenv("RH_TOPIC_PREFIX", "", 1);
  cfg = load_ok(fixture("topic_prefix.yaml"));
  assert_string_equal(cfg->topic_prefix, "staging-2.");
  assert_false(cfg->topic_prefix_from_env);
  rh_config_destroy(cfg);
  cfg = load_ok(fixture("minimal.yaml"));
  assert_string_equal(cfg->topic_prefix, "");
  check_feed_topics(cfg, "");
  rh_config_destroy(cfg);
  unsetenv("RH_TOPIC_PREFIX");
}

static void test_error_topic_prefix(void **state) {
  (void)state;
  expect_error("bad_topic_prefix.yaml",
               ":3:15: topic_prefix: 'Staging-2' is not a valid topic prefix " PREFIX_RULE);
  static const char *const bad[] = {
      "test",      /* no dot at the end */
      "test-1a2b", /* no dot at the end */
      ".",         /* nothing before the dot */
      "-test.",    /* starts with '-' */
      "Test.",     /* upper case */
      "te_st.",    /* underscore */
      "a.b.",      /* a dot inside */
      "test..",    /* two dots */
      "tést.",     /* not ASCII */
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.", /* 65 */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char line[256], err[1024], want[1024];
    snprintf(line, sizeof line, "topic_prefix: \"%s\"", bad[i]);
    assert_null(load_minimal_plus(line, err, sizeof err));
    snprintf(want, sizeof want,
             "plus.yaml:50:15: topic_prefix: '%.64s' is not a valid topic prefix " PREFIX_RULE,
             bad[i]);
    assert_string_equal(err, want);
  }
  char err[1024];
  assert_null(load_minimal_plus("topic_prefix: {a: b.}", err, sizeof err));
  assert_string_equal(err, "plus.yaml:50:15: topic_prefix: expected a string, found a mapping");
  assert_null(load_minimal_plus("topic_prefix: [t.]", err, sizeof err));
  assert_string_equal(err, "plus.yaml:50:15: topic_prefix: expected a string, found a list");
  assert_null(load_minimal_plus("topic_prefix: a.\ntopic_prefix: b.", err, sizeof err));
  assert_string_equal(err, "plus.yaml:51:1: topic_prefix: duplicate key (first at line 50)");
}

/* ---- topics: the replication of the topics riskhub creates ---- */

static void test_topics_replication(void **state) {
  (void)state;
  rh_config_t *cfg = load_ok(fixture("minimal.yaml"));
  assert_int_equal(cfg->topics.replication_factor, 1);
  assert_int_equal(cfg->topics.min_insync_replicas, 0);
  rh_config_destroy(cfg);
  char err[1024];
  cfg = load_minimal_plus("topics: {replication_factor: 3, min_insync_replicas: 2}", err,
                          sizeof err);
  if (!cfg) fail_msg("%s", err);
  assert_int_equal(cfg->topics.replication_factor, 3);
  assert_int_equal(cfg->topics.min_insync_replicas, 2);
  rh_config_destroy(cfg);
  /* the environment replaces both (the tests on the three-broker cluster) */
  setenv("RH_TOPIC_REPLICATION_FACTOR", "3", 1);
  setenv("RH_TOPIC_MIN_INSYNC_REPLICAS", "2", 1);
  cfg = load_ok(fixture("minimal.yaml"));
  assert_int_equal(cfg->topics.replication_factor, 3);
  assert_int_equal(cfg->topics.min_insync_replicas, 2);
  rh_config_destroy(cfg);
  setenv("RH_TOPIC_REPLICATION_FACTOR", "", 1); /* empty: ignored */
  unsetenv("RH_TOPIC_MIN_INSYNC_REPLICAS");
  cfg = load_minimal_plus("topics: {replication_factor: 2}", err, sizeof err);
  if (!cfg) fail_msg("%s", err);
  assert_int_equal(cfg->topics.replication_factor, 2);
  rh_config_destroy(cfg);
  unsetenv("RH_TOPIC_REPLICATION_FACTOR");
}

static void test_error_topics_replication(void **state) {
  (void)state;
  expect_error("bad_replication_factor.yaml",
               ":4:23: topics.replication_factor: must be a whole number from 1 to 16, found 0");
  static const struct {
    const char *line, *want;
  } bad[] = {
      {"topics: {replication_factor: 2.5}",
       "plus.yaml:50:30: topics.replication_factor: must be a whole number from 1 to 16, "
       "found 2.5"},
      {"topics: {replication_factor: three}",
       "plus.yaml:50:30: topics.replication_factor: 'three' is not a number"},
      {"topics: {replication_factor: 1, min_insync_replicas: 2}",
       "plus.yaml:50:54: topics.min_insync_replicas: must not exceed "
       "topics.replication_factor (1), found 2"},
      {"topics: {replicas: 3}",
       "plus.yaml:50:10: topics.replicas: unknown key 'replicas' (expected replication_factor, "
       "min_insync_replicas, retention or segment)"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char err[1024];
    assert_null(load_minimal_plus(bad[i].line, err, sizeof err));
    assert_string_equal(err, bad[i].want);
  }
  char err[1024], want[1024];
  const char *path = fixture("minimal.yaml");
  setenv("RH_TOPIC_REPLICATION_FACTOR", "0", 1);
  assert_null(rh_config_load(path, err, sizeof err));
  snprintf(want, sizeof want,
           "%s: RH_TOPIC_REPLICATION_FACTOR: '0' is not a whole number from 1 to 16", path);
  assert_string_equal(err, want);
  setenv("RH_TOPIC_REPLICATION_FACTOR", "1", 1);
  setenv("RH_TOPIC_MIN_INSYNC_REPLICAS", "2", 1);
  assert_null(rh_config_load(path, err, sizeof err));
  snprintf(want, sizeof want,
           "%s: topics: min_insync_replicas 2 exceeds replication_factor 1 (after "
           "RH_TOPIC_REPLICATION_FACTOR / RH_TOPIC_MIN_INSYNC_REPLICAS)",
           path);
  assert_string_equal(err, want);
  unsetenv("RH_TOPIC_REPLICATION_FACTOR");
  unsetenv("RH_TOPIC_MIN_INSYNC_REPLICAS");
}

/* ---- topics: retention by topic class ---- */

static void test_topics_retention(void **state) {
  (void)state;
  rh_config_t *cfg = load_ok(fixture("minimal.yaml"));
  for (int c = 0; c < RH_TOPIC_CLASS_COUNT; c++)
    assert_true(cfg->topics.retention_ms[c] == 400LL * 86400000LL);
  assert_true(cfg->topics.segment_ms == 30LL * 86400000LL);
  rh_config_destroy(cfg);
  char err[1024];
  cfg = load_minimal_plus("topics: {retention: {alerts: 2d, manifests: forever, feeds: 90s, "
                          "checks: 36h, dlq: 45min, rejects: 1500ms}, segment: 12h}",
                          err, sizeof err);
  if (!cfg) fail_msg("%s", err);
  assert_true(cfg->topics.retention_ms[RH_TOPIC_ALERTS] == 2 * 86400000LL);
  assert_true(cfg->topics.retention_ms[RH_TOPIC_MANIFESTS] == -1);
  assert_true(cfg->topics.retention_ms[RH_TOPIC_FEEDS] == 90000);
  assert_true(cfg->topics.retention_ms[RH_TOPIC_CHECKS] == 36 * 3600000LL);
  assert_true(cfg->topics.retention_ms[RH_TOPIC_DLQ] == 45 * 60000LL);
  assert_true(cfg->topics.retention_ms[RH_TOPIC_REJECTS] == 1500);
  assert_true(cfg->topics.segment_ms == 12 * 3600000LL);
  rh_config_destroy(cfg);
  /* a class not named keeps the default */
  cfg = load_minimal_plus("topics: {retention: {alerts: 7d}}", err, sizeof err);
  if (!cfg) fail_msg("%s", err);
  assert_true(cfg->topics.retention_ms[RH_TOPIC_ALERTS] == 7 * 86400000LL);
  assert_true(cfg->topics.retention_ms[RH_TOPIC_FEEDS] == 400LL * 86400000LL);
  rh_config_destroy(cfg);
}

static void test_archive(void **state) {
  (void)state;
  rh_config_t *cfg = load_ok(fixture("minimal.yaml"));
  assert_null(cfg->archive.dir);
  assert_true(cfg->archive.grace_ms == 5 * 86400000LL);
  rh_config_destroy(cfg);
  char err[1024];
  cfg = load_minimal_plus("archive: {dir: /var/lib/riskhub/archive, grace: 36h}", err,
                          sizeof err);
  if (!cfg) fail_msg("%s", err);
  assert_string_equal(cfg->archive.dir, "/var/lib/riskhub/archive");
  assert_true(cfg->archive.grace_ms == 36 * 3600000LL);
  rh_config_destroy(cfg);
  setenv("RH_ARCHIVE_DIR", "/tmp/elsewhere", 1);
  cfg = load_minimal_plus("archive: {dir: /var/lib/riskhub/archive}", err, sizeof err);
  unsetenv("RH_ARCHIVE_DIR");
  if (!cfg) fail_msg("%s", err);
  assert_string_equal(cfg->archive.dir, "/tmp/elsewhere");
  rh_config_destroy(cfg);
  static const struct {
    const char *line, *want;
  } bad[] = {
      {"archive: {grace: forever}",
       "plus.yaml:50:18: archive.grace: expected a duration: a whole number and ms, s, min, h or "
       "d (\"400d\"), found 'forever'"},
      {"archive: {dir: ''}", "plus.yaml:50:16: archive.dir: must not be empty"},
      {"archive: {folder: /x}",
       "plus.yaml:50:11: archive.folder: unknown key 'folder' (expected dir or grace)"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_null(load_minimal_plus(bad[i].line, err, sizeof err));
    assert_string_equal(err, bad[i].want);
  }
}

/* deep flow nesting is refused before libyaml (intake defect f: 100,000
 * levels took minutes), at the bracket that went too deep; brackets in quoted
 * scalars and comments do not count */
static void test_flow_depth(void **state) {
  (void)state;
  enum { N = 100000 };
  char *deep = malloc(2 * N + 16);
  assert_non_null(deep);
  size_t n = (size_t)sprintf(deep, "county: ");
  for (int i = 0; i < N; i++) deep[n++] = '[';
  for (int i = 0; i < N; i++) deep[n++] = ']';
  deep[n++] = '\n';
  char err[1024];
  int64_t t0 = rh_mono_ms();
  assert_null(rh_config_load_string(deep, n, "deep.yaml", err, sizeof err));
  assert_true(rh_mono_ms() - t0 < 1000);
  assert_string_equal(err, "deep.yaml:1:73: '[' nests deeper than 64 levels of [ ] and { }: not "
                           "a riskhub configuration (嵌套过深)");
  free(deep);
  /* 64 levels in a comment and in quotes: the file loads */
  char line[1024];
  n = (size_t)snprintf(line, sizeof line, "topic_prefix: \"");
  for (int i = 0; i < 70; i++) line[n++] = '[';
  n += (size_t)snprintf(line + n, sizeof line - n, ".\"  # ");
  for (int i = 0; i < 70; i++) line[n++] = '{';
  line[n] = '\0';
  rh_config_t *cfg = load_minimal_plus(line, err, sizeof err);
  assert_null(cfg); /* refused for what the prefix is, not for nesting */
  assert_null(strstr(err, "nests deeper"));
  assert_non_null(strstr(err, "topic_prefix"));
}

static void test_topic_class(void **state) {
  (void)state;
  static const struct {
    const char *prefix, *topic;
    rh_topic_class_t want;
  } cases[] = {
      {"", "feed.health.major-disease", RH_TOPIC_FEEDS},
      {"", "feed.health.manifests", RH_TOPIC_MANIFESTS},
      {"", "feed.health.rejects", RH_TOPIC_REJECTS},
      {"", "feed.manifests", RH_TOPIC_MANIFESTS}, /* shared, before 2026-12 */
      {"", "feed.rejects", RH_TOPIC_REJECTS},
      {"", "feed.health.manifests-x", RH_TOPIC_FEEDS},
      {"", "alerts.411024100", RH_TOPIC_ALERTS},
      {"", "alerts.unmatched", RH_TOPIC_ALERTS},
      {"", "checks.411024100", RH_TOPIC_CHECKS},
      {"", "riskhub.dlq", RH_TOPIC_DLQ},
      {"", "verifications.411024100", RH_TOPIC_VERIFICATIONS},
      {"", "verifications.", RH_TOPIC_OTHER},
      {"", "outbound.tax.applicants", RH_TOPIC_OUTBOUND},
      {"rh-t1.", "rh-t1.outbound.health.new-monitoring-objects", RH_TOPIC_OUTBOUND},
      {"", "outbound.", RH_TOPIC_OTHER},
      {"", "riskhub-join.published", RH_TOPIC_OTHER}, /* compacted, no class */
      {"", "riskhub.selftest", RH_TOPIC_OTHER},
      {"", "feed.", RH_TOPIC_OTHER},
      {"", "alerts.", RH_TOPIC_OTHER},
      {"t-1.", "t-1.alerts.411024100", RH_TOPIC_ALERTS},
      {"t-1.", "t-1.feed.tax.manifests", RH_TOPIC_MANIFESTS},
      {"t-1.", "alerts.411024100", RH_TOPIC_OTHER}, /* another namespace's */
      {"t-1.", "t-2.alerts.411024100", RH_TOPIC_OTHER},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    if (rh_config_topic_class(cases[i].prefix, cases[i].topic) != cases[i].want)
      fail_msg("%s%s: class %d, expected %d", cases[i].prefix, cases[i].topic,
               rh_config_topic_class(cases[i].prefix, cases[i].topic), cases[i].want);
  }
  assert_string_equal(rh_topic_class_name(RH_TOPIC_ALERTS), "alerts");
  assert_string_equal(rh_topic_class_name(RH_TOPIC_DLQ), "dlq");
  assert_null(rh_topic_class_name(RH_TOPIC_OTHER));
}

static void test_error_topics_retention(void **state) {
  (void)state;
  static const struct {
    const char *line, *want;
  } bad[] = {
      {"topics: {retention: {alerts: 400}}",
       "plus.yaml:50:30: topics.retention.alerts: expected a duration: a whole number and ms, s, min, h or d (\"400d\"), or forever, found '400'"},
      {"topics: {retention: {alerts: 4 days}}",
       "plus.yaml:50:30: topics.retention.alerts: expected a duration: a whole number and ms, s, min, h or d (\"400d\"), or forever, found '4 days'"},
      {"topics: {retention: {alerts: 0s}}",
       "plus.yaml:50:30: topics.retention.alerts: must be from 1s to 36500d, found 0s"},
      {"topics: {retention: {alerts: 40000d}}",
       "plus.yaml:50:30: topics.retention.alerts: must be from 1s to 36500d, found 40000d"},
      {"topics: {retention: {verified: 400d}}",
       "plus.yaml:50:22: topics.retention.verified: unknown key 'verified' (expected "
       "feeds, manifests, rejects, alerts, checks, dlq, verifications or outbound)"},
      {"topics: {retention: 400d}",
       "plus.yaml:50:21: topics.retention: expected a mapping, found a scalar"},
      {"topics: {segment: forever}",
       "plus.yaml:50:19: topics.segment: expected a duration: a whole number and ms, s, min, h or d (\"400d\"), found 'forever'"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char err[1024];
    assert_null(load_minimal_plus(bad[i].line, err, sizeof err));
    assert_string_equal(err, bad[i].want);
  }
}

/* ---- verification: the reasons for not including a household ---- */

static void test_verification_reasons(void **state) {
  (void)state;
  char err[1024];
  /* none configured: the built-in list */
  rh_config_t *cfg = load_minimal_plus("", err, sizeof err);
  assert_non_null(cfg);
  assert_true(cfg->reason_count >= 3);
  assert_string_equal(cfg->reasons[0].code, "income_above_line");
  rh_config_destroy(cfg);
  cfg = load_minimal_plus(
      "verification: {not_included_reasons: [{code: income_high, label: 收入高}, "
      "{code: other, label: 其他}]}",
      err, sizeof err);
  assert_non_null(cfg);
  assert_int_equal(cfg->reason_count, 2);
  assert_string_equal(cfg->reasons[1].code, "other");
  assert_string_equal(cfg->reasons[1].label, "其他");
  rh_config_destroy(cfg);
  static const struct {
    const char *line, *want;
  } bad[] = {
      {"verification: {not_included_reasons: []}",
       "plus.yaml:50:38: verification.not_included_reasons: "},
      {"verification: {not_included_reasons: [{code: Income, label: x}]}",
       "plus.yaml:50:46: verification.not_included_reasons[0].code: 'Income' is not a valid "
       "reason code"},
      {"verification: {not_included_reasons: [{code: a, label: x}, {code: a, label: y}]}",
       "plus.yaml:50:"},
      {"verification: {reasons: []}", "plus.yaml:50:"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_null(load_minimal_plus(bad[i].line, err, sizeof err));
    if (strncmp(err, bad[i].want, strlen(bad[i].want)) != 0)
      fail_msg("%s: got '%s', expected it to start with '%s'", bad[i].line, err, bad[i].want);
  }
}

/* ---- registry: the import guard's share ---- */

static void test_registry_max_delete_share(void **state) {
  (void)state;
  rh_config_t *cfg = load_ok(fixture("minimal.yaml"));
  assert_true(cfg->registry.max_delete_share == 0.05);
  rh_config_destroy(cfg);
  char err[1024];
  static const struct {
    const char *line;
    double want;
  } ok[] = {{"registry: {max_delete_share: 0.2}", 0.2},
            {"registry: {max_delete_share: 0}", 0.0},
            {"registry: {max_delete_share: 1}", 1.0},
            {"registry: {}", 0.05}};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    cfg = load_minimal_plus(ok[i].line, err, sizeof err);
    if (!cfg) fail_msg("%s: %s", ok[i].line, err);
    assert_true(cfg->registry.max_delete_share == ok[i].want);
    rh_config_destroy(cfg);
  }
}

static void test_error_max_delete_share(void **state) {
  (void)state;
  expect_error("bad_max_delete_share.yaml",
               ":4:21: registry.max_delete_share: must be a share from 0 to 1 (0.05 = 5 %), "
               "found 5");
  static const struct {
    const char *line, *want;
  } bad[] = {
      {"registry: {max_delete_share: -0.1}",
       "plus.yaml:50:30: registry.max_delete_share: must be a share from 0 to 1 (0.05 = 5 %), "
       "found -0.1"},
      {"registry: {max_delete_share: 5%}",
       "plus.yaml:50:30: registry.max_delete_share: '5%' is not a number"},
      {"registry: {max_delete_share: [0.1]}",
       "plus.yaml:50:30: registry.max_delete_share: expected a number, found a list"},
      {"registry: {max_delete_shares: 0.1}",
       "plus.yaml:50:12: registry.max_delete_shares: unknown key 'max_delete_shares' "
       "(expected max_delete_share)"},
      {"registry: 0.1", "plus.yaml:50:11: registry: expected a mapping, found a scalar"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char err[1024];
    assert_null(load_minimal_plus(bad[i].line, err, sizeof err));
    assert_string_equal(err, bad[i].want);
  }
}

static void test_error_topic_prefix_env(void **state) {
  (void)state;
  static const char *const bad[] = {"test", "Test.", "-x.", "a b.", "x.y."};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char err[1024], want[2048];
    setenv("RH_TOPIC_PREFIX", bad[i], 1);
    const char *path = fixture("minimal.yaml");
    assert_null(rh_config_load(path, err, sizeof err));
    snprintf(want, sizeof want, "%s: RH_TOPIC_PREFIX: '%s' is not a valid topic prefix " PREFIX_RULE,
             path, bad[i]);
    assert_string_equal(err, want);
  }
  /* Checked even when the file has a valid prefix of its own. */
  char err[1024], want[2048];
  setenv("RH_TOPIC_PREFIX", "staging", 1);
  const char *path = fixture("topic_prefix.yaml");
  assert_null(rh_config_load(path, err, sizeof err));
  snprintf(want, sizeof want,
           "%s: RH_TOPIC_PREFIX: 'staging' is not a valid topic prefix " PREFIX_RULE, path);
  assert_string_equal(err, want);
  unsetenv("RH_TOPIC_PREFIX");
}

static void test_config_topic(void **state) {
  (void)state;
  setenv("RH_TOPIC_PREFIX", "t1a2b3c4d.", 1);
  rh_config_t *cfg = load_ok(fixture("minimal.yaml"));
  unsetenv("RH_TOPIC_PREFIX");
  /* "t1a2b3c4d.feed.manifests": 24 characters and the NUL. */
  char buf[64];
  assert_int_equal(rh_config_topic(cfg, "feed.manifests", buf, 25), 0);
  assert_string_equal(buf, "t1a2b3c4d.feed.manifests");
  memset(buf, 'x', sizeof buf);
  assert_int_equal(rh_config_topic(cfg, "feed.manifests", buf, 24), -1);
  assert_string_equal(buf, ""); /* never a truncated name */
  memset(buf, 'x', sizeof buf);
  assert_int_equal(rh_config_topic(cfg, "feed.manifests", buf, 1), -1);
  assert_string_equal(buf, "");
  memset(buf, 'x', sizeof buf);
  assert_int_equal(rh_config_topic(cfg, "feed.manifests", buf, 0), -1);
  assert_int_equal(buf[0], 'x'); /* size 0: not touched */
  assert_int_equal(rh_config_topic(cfg, NULL, buf, sizeof buf), -1);
  assert_int_equal(rh_config_topic(cfg, "x", NULL, 8), -1);
  /* An empty name gives the prefix alone. */
  assert_int_equal(rh_config_topic(cfg, "", buf, sizeof buf), 0);
  assert_string_equal(buf, "t1a2b3c4d.");
  rh_config_destroy(cfg);

  /* Without a prefix the name is copied; the buffer limit still holds. */
  cfg = load_ok(fixture("minimal.yaml"));
  assert_int_equal(rh_config_topic(cfg, "riskhub.dlq", buf, 12), 0);
  assert_string_equal(buf, "riskhub.dlq");
  assert_int_equal(rh_config_topic(cfg, "riskhub.dlq", buf, 11), -1);
  assert_string_equal(buf, "");
  rh_config_destroy(cfg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_shipped_county_and_townships, setup),
      cmocka_unit_test_setup(test_shipped_departments_and_feeds, setup),
      cmocka_unit_test_setup(test_shipped_medical_rules, setup),
      cmocka_unit_test_setup(test_township_lookup, setup),
      cmocka_unit_test_setup(test_env_overrides, setup),
      cmocka_unit_test_setup(test_load_string, setup),
      cmocka_unit_test_setup(test_minimal_loads, setup),
      cmocka_unit_test_setup(test_registry_max_delete_share, setup),
      cmocka_unit_test_setup(test_error_max_delete_share, setup),
      cmocka_unit_test_setup(test_error_file_not_found, setup),
      cmocka_unit_test_setup(test_error_empty, setup),
      cmocka_unit_test_setup(test_error_yaml_syntax, setup),
      cmocka_unit_test_setup(test_error_two_documents, setup),
      cmocka_unit_test_setup(test_error_unknown_top_level_key, setup),
      cmocka_unit_test_setup(test_error_missing_section, setup),
      cmocka_unit_test_setup(test_error_missing_key, setup),
      cmocka_unit_test_setup(test_error_unknown_kind, setup),
      cmocka_unit_test_setup(test_error_reserved_feed, setup),
      cmocka_unit_test_setup(test_error_wrong_type, setup),
      cmocka_unit_test_setup(test_error_duplicate_yaml_key, setup),
      cmocka_unit_test_setup(test_error_duplicate_department, setup),
      cmocka_unit_test_setup(test_error_duplicate_feed, setup),
      cmocka_unit_test_setup(test_error_duplicate_township, setup),
      cmocka_unit_test_setup(test_error_township_not_9_digits, setup),
      cmocka_unit_test_setup(test_error_township_outside_county, setup),
      cmocka_unit_test_setup(test_error_unknown_risk, setup),
      cmocka_unit_test_setup(test_error_risk_on_check_feed, setup),
      cmocka_unit_test_setup(test_error_unknown_column_field, setup),
      cmocka_unit_test_setup(test_error_kafka_property, setup),
      cmocka_unit_test_setup(test_error_rule_unknown_feed, setup),
      cmocka_unit_test_setup(test_error_rule_check_feed, setup),
      cmocka_unit_test_setup(test_error_rule_unknown_threshold, setup),
      cmocka_unit_test_setup(test_error_rule_bad_value, setup),
      cmocka_unit_test_setup(test_txn_timeout, setup),
      cmocka_unit_test_setup(test_scale_risks, setup),
      cmocka_unit_test_setup(test_topic_prefix_default, setup),
      cmocka_unit_test_setup(test_topic_prefix_yaml, setup),
      cmocka_unit_test_setup(test_topic_prefix_env, setup),
      cmocka_unit_test_setup(test_error_topic_prefix, setup),
      cmocka_unit_test_setup(test_error_topic_prefix_env, setup),
      cmocka_unit_test_setup(test_config_topic, setup),
      cmocka_unit_test_setup(test_topics_replication, setup),
      cmocka_unit_test_setup(test_topics_retention, setup),
      cmocka_unit_test(test_topic_class),
      cmocka_unit_test(test_verification_reasons),
      cmocka_unit_test_setup(test_error_topics_retention, setup),
      cmocka_unit_test_setup(test_archive, setup),
      cmocka_unit_test_setup(test_flow_depth, setup),
      cmocka_unit_test_setup(test_error_topics_replication, setup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
