/* rh_kafka_auth and its configuration: a program's Kafka credentials come from
 * a private file, never from the shared YAML (docs/security.md, "Kafka"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rh_config.h"
#include "rh_kafka.h"
#include "rh_kafka_auth.h"

static char dir[64];

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/rh-kafka-auth-XXXXXX");
  if (!mkdtemp(dir)) return -1;
  unsetenv("RH_KAFKA_CA");
  unsetenv("RH_KAFKA_CREDENTIALS");
  unsetenv("RH_KAFKA_BOOTSTRAP");
  return 0;
}

static int teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

/* dir/name with text and mode; its path in a static buffer. */
static const char *put(const char *name, const char *text, mode_t mode) {
  static char path[128];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  assert_int_equal(chmod(path, mode), 0);
  return path;
}

static char *conf_get(rd_kafka_conf_t *conf, const char *key) {
  static char v[128];
  size_t n = sizeof v;
  if (rd_kafka_conf_get(conf, key, v, &n) != RD_KAFKA_CONF_OK) return NULL;
  return v;
}

static void test_good_file(void **state) {
  (void)state;
  char err[512];
  const char *p = put("riskhub", "# the hub's programs\n\nsasl.username=riskhub\r\n"
                                 "sasl.password=0123456789abcdef\n", 0600);
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  assert_int_equal(rh_kafka_credentials_apply(conf, p, err, sizeof err), 0);
  assert_string_equal(conf_get(conf, "sasl.username"), "riskhub");
  assert_string_equal(conf_get(conf, "sasl.password"), "0123456789abcdef");
  rd_kafka_conf_destroy(conf);
}

/* Refused: the reason names the file (and the line), never the password. */
static void expect_refused(const char *text, mode_t mode, const char *tail) {
  char err[512], full[512];
  const char *p = put("bad", text, mode);
  snprintf(full, sizeof full, "kafka credentials %s%s", p, tail);
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  assert_int_equal(rh_kafka_credentials_apply(conf, p, err, sizeof err), -1);
  assert_string_equal(err, full);
  assert_null(strstr(err, "s3cret"));
  rd_kafka_conf_destroy(conf);
}

static void test_refusals(void **state) {
  (void)state;
  expect_refused("sasl.username=a\nsasl.password=s3cret\n", 0644,
                 ": others may read it (mode 0644): refused; make it the "
                 "owner's only (chmod 600) and change the password (docs/security.md, "
                 "\"Rotating Kafka's credentials\")");
  expect_refused("sasl.username=a\nsasl.password=s3cret\n", 0640,
                 ": others may read it (mode 0640): refused; make it the "
                 "owner's only (chmod 600) and change the password (docs/security.md, "
                 "\"Rotating Kafka's credentials\")");
  expect_refused("sasl.username=a\n", 0600, ": sasl.password missing");
  expect_refused("sasl.password=s3cret\n", 0600, ": sasl.username missing");
  expect_refused("sasl.username=a\nsasl.password=s3cret\nsecurity.protocol=plaintext\n", 0600,
                 ":3: only sasl.username and sasl.password belong here");
  expect_refused("sasl.username=a\nsasl.username=b\n", 0600,
                 ":2: sasl.username given twice");
  expect_refused("sasl.username=a\nsasl.password\n", 0600,
                 ":2: expected key=value");
  expect_refused("sasl.username=\n", 0600, ":1: sasl.username is empty");
  expect_refused("sasl.username=a\nsasl.password=s3cret \n", 0600,
                 ":2: sasl.password begins or ends with a blank");
  expect_refused("sasl.username=a\nsasl.password=s3\tcret\n", 0600,
                 ":2: sasl.password holds a control character");

  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  assert_int_equal(rh_kafka_credentials_apply(conf, dir, err, sizeof err), -1);
  assert_non_null(strstr(err, "not a regular file"));
  assert_int_equal(rh_kafka_credentials_apply(conf, "/nonexistent/riskhub", err, sizeof err), -1);
  assert_string_equal(err, "kafka credentials /nonexistent/riskhub: No such file or directory");
  rd_kafka_conf_destroy(conf);
}

#define YAML_HEAD                                                                 \
  "county: {code: \"411024\", name: 鄢陵县}\n"                                    \
  "postgres: {conninfo: \"dbname=riskhub\"}\n"                                   \
  "townships: [{code: \"411024100\", name: 安陵镇}]\n"                            \
  "departments:\n"                                                               \
  "  - {code: tax, name: 税务局, feeds: [{code: vehicles, name: 车辆, kind: check, " \
  "columns: {id_number: 身份证号}}]}\n"                                          \
  "deadlines: {delivery_day: 10, home_visit_days: 3, comparison_days: 5, "       \
  "procedure_working_days: 20}\n"

/* A password or a principal in the shared YAML is refused at its key. */
static void test_no_secret_in_yaml(void **state) {
  (void)state;
  char err[512];
  static const char y1[] = YAML_HEAD "kafka:\n  bootstrap.servers: b:9092\n  sasl.password: s3cret\n";
  assert_null(rh_config_load_string(y1, sizeof y1 - 1, "c.yaml", err, sizeof err));
  assert_string_equal(err, "c.yaml:9:3: kafka: sasl.password refused: a password does not belong "
                           "in the shared configuration: put it in the credentials file named by "
                           "kafka_credentials (or RH_KAFKA_CREDENTIALS), mode 0600");
  static const char y2[] = YAML_HEAD "kafka:\n  bootstrap.servers: b:9092\n  sasl.username: tax\n";
  assert_null(rh_config_load_string(y2, sizeof y2 - 1, "c.yaml", err, sizeof err));
  assert_non_null(strstr(err, "c.yaml:9:3: kafka: sasl.username refused: a principal's name does not"));
  static const char y3[] = YAML_HEAD "kafka:\n  bootstrap.servers: b:9092\n  ssl.key.password: x\n";
  assert_null(rh_config_load_string(y3, sizeof y3 - 1, "c.yaml", err, sizeof err));
  assert_non_null(strstr(err, "c.yaml:9:3: kafka: ssl.key.password refused: a password does not"));
}

/* The credentials file and the CA from the file or the environment reach
 * librdkafka; SASL without credentials is said before any connection. */
static void test_from_config(void **state) {
  (void)state;
  char err[512];
  const char *cred = put("svc", "sasl.username=riskhub\nsasl.password=abc\n", 0600);
  char yaml[2048];
  snprintf(yaml, sizeof yaml,
           YAML_HEAD "kafka: {bootstrap.servers: \"b:9092\", security.protocol: SASL_SSL, "
                     "sasl.mechanisms: SCRAM-SHA-512, ssl.ca.location: /file/ca.pem}\n"
                     "kafka_credentials: %s\n",
           cred);
  rh_config_t *cfg = rh_config_load_string(yaml, strlen(yaml), "c.yaml", err, sizeof err);
  assert_non_null(cfg);
  assert_string_equal(cfg->kafka_credentials, cred);
  rd_kafka_conf_t *conf = rh_kafka_conf_from_config(cfg, err, sizeof err);
  assert_non_null(conf);
  assert_string_equal(conf_get(conf, "sasl.username"), "riskhub");
  assert_string_equal(conf_get(conf, "ssl.ca.location"), "/file/ca.pem");
  rd_kafka_conf_destroy(conf);
  rh_config_destroy(cfg);

  /* the environment replaces both */
  const char *other = put("other", "sasl.username=admin\nsasl.password=xyz\n", 0600);
  setenv("RH_KAFKA_CREDENTIALS", other, 1);
  setenv("RH_KAFKA_CA", "/env/ca.pem", 1);
  cfg = rh_config_load_string(yaml, strlen(yaml), "c.yaml", err, sizeof err);
  assert_non_null(cfg);
  conf = rh_kafka_conf_from_config(cfg, err, sizeof err);
  assert_non_null(conf);
  assert_string_equal(conf_get(conf, "sasl.username"), "admin");
  assert_string_equal(conf_get(conf, "ssl.ca.location"), "/env/ca.pem");
  rd_kafka_conf_destroy(conf);
  rh_config_destroy(cfg);
  unsetenv("RH_KAFKA_CREDENTIALS");
  unsetenv("RH_KAFKA_CA");

  /* SASL_SSL and no credentials anywhere */
  static const char y2[] = YAML_HEAD "kafka: {bootstrap.servers: \"b:9092\", "
                                     "security.protocol: SASL_SSL}\n";
  cfg = rh_config_load_string(y2, sizeof y2 - 1, "c.yaml", err, sizeof err);
  assert_non_null(cfg);
  assert_null(rh_kafka_conf_from_config(cfg, err, sizeof err));
  assert_string_equal(err, "kafka: security.protocol is SASL_SSL but this program has no "
                           "credentials: set kafka_credentials in the configuration, or "
                           "RH_KAFKA_CREDENTIALS (docs/security.md, \"Kafka\")");
  rh_config_destroy(cfg);

  /* a credentials file others may read stops the program before it connects */
  const char *open_file = put("open", "sasl.username=riskhub\nsasl.password=abc\n", 0604);
  setenv("RH_KAFKA_CREDENTIALS", open_file, 1);
  cfg = rh_config_load_string(yaml, strlen(yaml), "c.yaml", err, sizeof err);
  assert_non_null(cfg);
  assert_null(rh_kafka_conf_from_config(cfg, err, sizeof err));
  assert_non_null(strstr(err, "others may read it (mode 0604)"));
  rh_config_destroy(cfg);
  unsetenv("RH_KAFKA_CREDENTIALS");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_good_file),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_no_secret_in_yaml),
      cmocka_unit_test(test_from_config),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
