/* libFuzzer: both Avro decoders on any bytes. The generic one (rh_avro_decode,
 * schema resolution) against every current schema, reading what any known
 * writer schema wrote; the direct FeedRecord decoder (rh_feedrecord_decode).
 * A decoded record must encode again. The first input byte picks the schema. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "rh_avro_codec.h"
#include "rh_avro_schema.h"
#include "rh_feedrecord.h"

static rh_avro_schemas_t *schemas;
static rh_avro_decoder_t *dec;
static const rh_avro_schema_t *current[5];
static avro_value_t values[5];
static rh_feedrecord_codec_t frc;
static rh_avro_buf_t buf = RH_AVRO_BUF_INIT;

static void teardown(void) { /* at exit: what is left then is a leak */
  for (int i = 0; i < 5; i++) avro_value_decref(&values[i]);
  rh_feedrecord_codec_free(&frc);
  rh_avro_buf_free(&buf);
  rh_avro_decoder_destroy(dec);
  rh_avro_schemas_destroy(schemas);
}

static void setup(void) {
  static const char *const names[5] = {"riskhub.FeedRecord", "riskhub.Alert", "riskhub.CheckResult",
                                       "riskhub.BatchManifest", "riskhub.RejectedRow"};
  char err[1024], dir[4096];
  snprintf(dir, sizeof dir, "%s/schemas", RH_SOURCE_DIR);
  schemas = rh_avro_schemas_new();
  if (!schemas || rh_avro_schemas_load_dir(schemas, dir, err, sizeof err)) {
    fprintf(stderr, "fuzz_avro: %s\n", err);
    abort();
  }
  dec = rh_avro_decoder_new(schemas);
  for (int i = 0; i < 5; i++) {
    current[i] = rh_avro_schemas_get(schemas, names[i]);
    if (!current[i] || rh_avro_schema_value_new(current[i], &values[i], err, sizeof err)) abort();
  }
  if (rh_feedrecord_codec_init(&frc, current[0], err, sizeof err)) abort();
  atexit(teardown);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[512];
  if (!schemas) setup();
  if (size < 1) return 0;
  int which = data[0] % 5;
  data++;
  size--;
  if (rh_avro_decode(dec, data, size, current[which], &values[which], NULL, err, sizeof err) ==
      RH_AVRO_OK) {
    rh_avro_buf_clear(&buf);
    if (rh_avro_encode(current[which], &values[which], &buf, err, sizeof err)) __builtin_trap();
  }
  rh_feedrecord_t r;
  (void)rh_feedrecord_decode(&frc, data, size, &r, err, sizeof err);
  return 0;
}
