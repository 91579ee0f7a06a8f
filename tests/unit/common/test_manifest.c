/* rh_sign + rh_manifest: the departments' signed lists (issue 12). A manifest
 * signed by its department verifies; altered, signed by another department's
 * key, unsigned, or naming another topic, it is refused with why; keys that
 * others can read, links, and malformed public keys are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rh_avro_schema.h"
#include "rh_config.h"
#include "rh_manifest.h"
#include "rh_sign.h"
#include "rh_test.h"
#include "rh_test_keys.h"

typedef struct {
  rh_config_t *cfg;
  rh_avro_schemas_t *schemas;
  rh_manifest_keys_t *keys;
  avro_value_t m;
} fx_t;

static void set_str(avro_value_t *v, const char *name, const char *s) {
  avro_value_t f;
  assert_int_equal(avro_value_get_by_name(v, name, &f, NULL), 0);
  assert_int_equal(avro_value_set_string(&f, s), 0);
}

static void set_long(avro_value_t *v, const char *name, int64_t x) {
  avro_value_t f;
  assert_int_equal(avro_value_get_by_name(v, name, &f, NULL), 0);
  assert_int_equal(avro_value_set_long(&f, x), 0);
}

static rh_config_t *load_config(const char *extra) {
  char path[4096], err[1024];
  snprintf(path, sizeof path, "%s/config/riskhub.yaml", rh_test_source_dir());
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  static char text[1 << 17];
  size_t n = fread(text, 1, sizeof text - 256, f);
  fclose(f);
  snprintf(text + n, sizeof text - n, "\n%s\n", extra);
  rh_config_t *cfg = rh_config_load_string(text, strlen(text), "riskhub.yaml", err, sizeof err);
  if (!cfg) fail_msg("%s", err);
  return cfg;
}

static int setup_with(void **state, const char *extra) {
  fx_t *f = calloc(1, sizeof *f);
  char path[4096], err[1024];
  unsetenv("RH_TOPIC_PREFIX");
  rh_test_keys_make((const char *const[]){"banks", "health", NULL});
  f->cfg = load_config(extra);
  snprintf(path, sizeof path, "%s/schemas", rh_test_source_dir());
  f->schemas = rh_avro_schemas_new();
  if (rh_avro_schemas_load_dir(f->schemas, path, err, sizeof err)) fail_msg("%s", err);
  f->keys = rh_manifest_keys_load(f->cfg, err, sizeof err);
  if (!f->keys) fail_msg("%s", err);
  const rh_avro_schema_t *bm = rh_avro_schemas_get(f->schemas, "riskhub.BatchManifest");
  assert_int_equal(rh_avro_schema_value_new(bm, &f->m, NULL, 0), 0);
  set_str(&f->m, "batch_id", "ab12");
  set_str(&f->m, "department", "banks");
  set_str(&f->m, "feed", "large-deposits");
  set_str(&f->m, "kind", "CHECK");
  set_str(&f->m, "period", "2026-10");
  set_str(&f->m, "topic", "feed.banks.large-deposits");
  set_str(&f->m, "source_name", "list\nwith:9:a newline.csv");
  set_long(&f->m, "rows_total", 10);
  set_long(&f->m, "rows_accepted", 9);
  set_long(&f->m, "rows_rejected", 1);
  set_long(&f->m, "started_at", 1793000000000);
  set_long(&f->m, "finished_at", 1793000005000);
  *state = f;
  return 0;
}

static int setup(void **state) { return setup_with(state, ""); }
static int setup_optional(void **state) { return setup_with(state, "signing: {required: false}"); }

static int teardown(void **state) {
  fx_t *f = *state;
  avro_value_decref(&f->m);
  rh_manifest_keys_free(f->keys);
  rh_avro_schemas_destroy(f->schemas);
  rh_config_destroy(f->cfg);
  free(f);
  return 0;
}

static int check(fx_t *f, char *why, size_t n) {
  why[0] = '\0';
  return rh_manifest_check(f->keys, &f->m, NULL, why, n);
}

static int check_on(fx_t *f, const char *carrier, char *why, size_t n) {
  why[0] = '\0';
  return rh_manifest_check(f->keys, &f->m, carrier, why, n);
}

/* A manifest counts only on its department's own topic: another department
 * cannot write there (ACLs), and one found elsewhere is refused, unsigned
 * (signing.required off) or signed. */
static void test_carrier_is_the_departments_topic(void **state) {
  fx_t *f = *state;
  char why[512];
  rh_test_keys_sign(&f->m, "banks");
  assert_int_equal(check_on(f, "feed.banks.manifests", why, sizeof why), 0);
  assert_int_equal(check_on(f, "feed.health.manifests", why, sizeof why), 1);
  assert_non_null(strstr(why, "a manifest of banks found on feed.health.manifests, not on "
                              "feed.banks.manifests"));
  assert_non_null(strstr(why, "清单不在本部门的主题上"));
  assert_int_equal(check_on(f, "feed.banks.large-deposits", why, sizeof why), 1);
  /* the shared topic of before 2026-12 (archived months): the signature decides */
  assert_int_equal(check_on(f, "feed.manifests", why, sizeof why), 0);
  set_long(&f->m, "rows_accepted", 0);
  assert_int_equal(check_on(f, "feed.manifests", why, sizeof why), 1);
}

static void test_carrier_unsigned(void **state) {
  fx_t *f = *state;
  char why[512];
  assert_int_equal(check_on(f, "feed.banks.manifests", why, sizeof why), 0);
  assert_int_equal(check_on(f, "feed.health.manifests", why, sizeof why), 1);
  assert_non_null(strstr(why, "found on feed.health.manifests"));
}

static void test_signed_verifies_and_altered_does_not(void **state) {
  fx_t *f = *state;
  char why[512];
  assert_int_equal(rh_manifest_keys_count(f->keys, "banks"), 1);
  assert_int_equal(rh_manifest_keys_count(f->keys, "tax"), 0);
  rh_test_keys_sign(&f->m, "banks");
  assert_int_equal(check(f, why, sizeof why), 0);
  /* a late list made on time: finished_at moved */
  set_long(&f->m, "finished_at", 1792000000000);
  assert_int_equal(check(f, why, sizeof why), 1);
  assert_non_null(strstr(why, "does not verify with banks's key"));
  assert_non_null(strstr(why, "签名无效"));
  /* back: verifies again */
  set_long(&f->m, "finished_at", 1793000005000);
  assert_int_equal(check(f, why, sizeof why), 0);
  /* an empty check list: rows and partitions changed */
  set_long(&f->m, "rows_accepted", 0);
  assert_int_equal(check(f, why, sizeof why), 1);
}

static void test_other_departments_key_refused(void **state) {
  fx_t *f = *state;
  char why[512];
  rh_test_keys_sign(&f->m, "health"); /* health signs a list of banks */
  assert_int_equal(check(f, why, sizeof why), 1);
  assert_non_null(strstr(why, "not one of banks's keys"));
  /* and health's own name on it, the topic still banks's */
  set_str(&f->m, "department", "health");
  set_str(&f->m, "feed", "major-disease");
  rh_test_keys_sign(&f->m, "health");
  assert_int_equal(check(f, why, sizeof why), 1);
  assert_non_null(strstr(why, "names topic feed.banks.large-deposits"));
  set_str(&f->m, "topic", "feed.health.major-disease");
  rh_test_keys_sign(&f->m, "health");
  assert_int_equal(check(f, why, sizeof why), 0);
}

static void test_unsigned_and_unknown_feed(void **state) {
  fx_t *f = *state;
  char why[512];
  assert_int_equal(check(f, why, sizeof why), 1);
  assert_non_null(strstr(why, "not signed"));
  set_str(&f->m, "department", "no-such\x1b[31m");
  assert_int_equal(check(f, why, sizeof why), 1);
  assert_non_null(strstr(why, "not a feed of the configuration"));
  assert_null(strchr(why, '\x1b')); /* nothing of a forger's bytes reaches a log as it is */
}

static void test_unsigned_while_not_required(void **state) {
  fx_t *f = *state;
  char why[512];
  assert_false(f->cfg->signing.required);
  assert_int_equal(check(f, why, sizeof why), 0);
  /* a bad signature is refused either way */
  rh_test_keys_sign(&f->m, "banks");
  set_long(&f->m, "rows_total", 11);
  assert_int_equal(check(f, why, sizeof why), 1);
}

static void test_link_and_signed_by(void **state) {
  fx_t *f = *state;
  char a[RH_SHA256_HEXSZ], b[RH_SHA256_HEXSZ], path[256], err[256];
  rh_test_keys_sign(&f->m, "banks");
  assert_int_equal(rh_manifest_link(&f->m, a), 0);
  set_str(&f->m, "prev_manifest_sha256", a);
  rh_test_keys_sign(&f->m, "banks");
  assert_int_equal(rh_manifest_link(&f->m, b), 0);
  assert_string_not_equal(a, b);
  snprintf(path, sizeof path, "%s/banks.key", rh_test_keys_dir());
  rh_sign_key_t *k = rh_sign_key_load(path, err, sizeof err);
  assert_non_null(k);
  assert_true(rh_manifest_signed_by(&f->m, rh_sign_key_pub(k)));
  set_str(&f->m, "prev_manifest_sha256", "");
  assert_false(rh_manifest_signed_by(&f->m, rh_sign_key_pub(k)));
  rh_sign_key_free(k);
}

static void test_key_files(void **state) {
  (void)state;
  char path[256], link[256], err[512];
  rh_test_keys_make((const char *const[]){"banks", NULL});
  snprintf(path, sizeof path, "%s/banks.key", rh_test_keys_dir());
  rh_sign_key_t *k = rh_sign_key_load(path, err, sizeof err);
  assert_non_null(k);
  rh_sign_key_free(k);
  /* readable by others: refused */
  assert_int_equal(chmod(path, 0644), 0);
  assert_null(rh_sign_key_load(path, err, sizeof err));
  assert_non_null(strstr(err, "chmod 600"));
  assert_int_equal(chmod(path, 0600), 0);
  /* a link to it: refused */
  snprintf(link, sizeof link, "%s/link.key", rh_test_keys_dir());
  assert_int_equal(symlink(path, link), 0);
  assert_null(rh_sign_key_load(link, err, sizeof err));
  assert_non_null(strstr(err, "symbolic link"));
  unlink(link);
  /* a public key is not a private one */
  snprintf(link, sizeof link, "%s/pub.key", rh_test_keys_dir());
  FILE *fp = fopen(link, "w");
  fputs("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n"
        "-----END PUBLIC KEY-----\n", fp);
  fclose(fp);
  chmod(link, 0600);
  assert_null(rh_sign_key_load(link, err, sizeof err));
  assert_non_null(strstr(err, "not an Ed25519 private key"));
  unlink(link);
}

static void test_public_key_text(void **state) {
  (void)state;
  rh_sign_pub_t a, b;
  char err[256], text[45];
  /* the raw key and its SubjectPublicKeyInfo: the same key */
  assert_int_equal(rh_sign_pub_parse(" GdbtvrO5SCsCVJ7xi2uxjV0i0YWhtmy1LIM6DHBmeFI= \n", &a, err,
                                     sizeof err), 0);
  assert_int_equal(rh_sign_pub_parse("MCowBQYDK2VwAyEAGdbtvrO5SCsCVJ7xi2uxjV0i0YWhtmy1LIM6DHBmeFI=",
                                     &b, err, sizeof err), 0);
  assert_memory_equal(a.raw, b.raw, sizeof a.raw);
  assert_string_equal(a.id, b.id);
  assert_int_equal(strlen(a.id), 16);
  rh_sign_pub_text(&a, text);
  assert_string_equal(text, "GdbtvrO5SCsCVJ7xi2uxjV0i0YWhtmy1LIM6DHBmeFI=");
  assert_int_equal(rh_sign_pub_parse("not a key", &a, err, sizeof err), -1);
  assert_int_equal(rh_sign_pub_parse("GdbtvrO5SCsCVJ7xi2uxjV0i0YWhtmy1LIM6DHBme!I=", &a, err,
                                     sizeof err), -1);
  assert_non_null(strstr(err, "not base64"));
  /* 60 characters that are not an Ed25519 SubjectPublicKeyInfo */
  assert_int_equal(rh_sign_pub_parse("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                                     &a, err, sizeof err), -1);
  /* a malformed signature never verifies */
  assert_false(rh_sign_verify(&b, "x", 1, "zz"));
  assert_false(rh_sign_verify(&b, "x", 1, NULL));
}

static void test_bad_public_key_file(void **state) {
  (void)state;
  char path[256], err[512];
  rh_test_keys_make((const char *const[]){"banks", NULL});
  snprintf(path, sizeof path, "%s/tax.pub", rh_test_keys_dir());
  FILE *fp = fopen(path, "w");
  fputs("# tax\n\nnot-a-key\n", fp);
  fclose(fp);
  rh_config_t *cfg = load_config("");
  assert_null(rh_manifest_keys_load(cfg, err, sizeof err));
  assert_non_null(strstr(err, "tax.pub:3: not an Ed25519 public key"));
  unlink(path);
  rh_config_destroy(cfg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_signed_verifies_and_altered_does_not, setup, teardown),
      cmocka_unit_test_setup_teardown(test_other_departments_key_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unsigned_and_unknown_feed, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unsigned_while_not_required, setup_optional, teardown),
      cmocka_unit_test_setup_teardown(test_carrier_is_the_departments_topic, setup, teardown),
      cmocka_unit_test_setup_teardown(test_carrier_unsigned, setup_optional, teardown),
      cmocka_unit_test_setup_teardown(test_link_and_signed_by, setup, teardown),
      cmocka_unit_test(test_key_files),
      cmocka_unit_test(test_public_key_text),
      cmocka_unit_test(test_bad_public_key_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
