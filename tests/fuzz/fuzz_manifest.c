/* libFuzzer: the manifest check (rh_manifest_check) on any bytes decoded as a
 * BatchManifest, against departments' real keys, and the public key parser.
 * A forged input must never verify: the signatures of the corpus seeds are
 * made here with a key the fuzzer never sees, so an input that verifies means
 * the check accepted something it must not. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_avro_codec.h"
#include "rh_config.h"
#include "rh_manifest.h"
#include "rh_sign.h"
#include "rh_test_keys.h"

static rh_config_t *cfg;
static rh_avro_schemas_t *schemas;
static rh_avro_decoder_t *dec;
static const rh_avro_schema_t *bm;
static avro_value_t v;
static rh_manifest_keys_t *keys;

static void teardown(void) { /* at exit: what is left then is a leak */
  avro_value_decref(&v);
  rh_avro_decoder_destroy(dec);
  rh_avro_schemas_destroy(schemas);
  rh_manifest_keys_free(keys);
  rh_config_destroy(cfg);
}

static void setup(void) {
  char err[1024], path[4096];
  /* fresh keys every run: no input can carry a valid signature */
  rh_test_keys_make((const char *const[]){"banks", "health", NULL});
  snprintf(path, sizeof path, "%s/config/riskhub.yaml", RH_SOURCE_DIR);
  unsetenv("RH_TOPIC_PREFIX");
  cfg = rh_config_load(path, err, sizeof err);
  snprintf(path, sizeof path, "%s/schemas", RH_SOURCE_DIR);
  schemas = rh_avro_schemas_new();
  if (!cfg || !schemas || rh_avro_schemas_load_dir(schemas, path, err, sizeof err)) {
    fprintf(stderr, "fuzz_manifest: %s\n", err);
    abort();
  }
  dec = rh_avro_decoder_new(schemas);
  bm = rh_avro_schemas_get(schemas, "riskhub.BatchManifest");
  if (!dec || !bm || rh_avro_schema_value_new(bm, &v, err, sizeof err)) abort();
  if (!(keys = rh_manifest_keys_load(cfg, err, sizeof err))) abort();
  atexit(teardown);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char why[512];
  if (!cfg) setup();
  if (rh_avro_decode(dec, data, size, bm, &v, NULL, why, sizeof why) == RH_AVRO_OK) {
    /* read from a department's own topic, or with no topic to check (an archive) */
    const char *carrier = (size & 1) ? cfg->departments[0].manifests_topic : NULL;
    int verdict = rh_manifest_check(keys, &v, carrier, why, sizeof why);
    if (verdict == 0) __builtin_trap(); /* believed without a real signature */
    if (verdict == 1 && (!why[0] || strchr(why, '\n') || strchr(why, '\x1b'))) __builtin_trap();
    char link[RH_SHA256_HEXSZ];
    (void)rh_manifest_link(&v, link);
  }
  char text[128];
  if (size < sizeof text) {
    memcpy(text, data, size);
    text[size] = '\0';
    rh_sign_pub_t pub;
    if (rh_sign_pub_parse(text, &pub, why, sizeof why) == 0 && strlen(pub.id) != 16) __builtin_trap();
  }
  return 0;
}
