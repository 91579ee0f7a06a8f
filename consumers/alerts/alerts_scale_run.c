/* alerts_scale_run: see alerts_scale_run.h. */
#include "alerts_scale_run.h"

#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>

#include "alerts_scale_format.h"
#include "alerts_stream.h"
#include "rh_scale.h"

static int codec_init(void *codec, const rh_avro_schemas_t *set, char *err, size_t size) {
  return rh_scale_codec_init(codec, set, err, size);
}

static void codec_free(void *codec) { rh_scale_codec_free(codec); }

static int decode(void *codec, rh_avro_decoder_t *dec, const void *data, size_t len, void *rec,
                  char *err, size_t size) {
  return rh_scale_decode(codec, dec, data, len, rec, err, size);
}

static void meta(const void *rec, const char **period, int64_t *created_at, int *status) {
  const rh_scale_record_t *r = rec;
  *period = r->period;
  *created_at = r->created_at;
  *status = (int)r->status;
}

static void summary(FILE *err, uint64_t written, const uint64_t counts[ALERTS_STREAM_MAX_STATUS],
                    uint64_t skipped, uint64_t batches) {
  fprintf(err,
          "riskhub-alerts: scale versions=%" PRIu64 " raised=%" PRIu64 " updated=%" PRIu64
          " cleared=%" PRIu64 " skipped=%" PRIu64 " batches=%" PRIu64 "\n",
          written, counts[RH_SCALE_RAISED], counts[RH_SCALE_UPDATED], counts[RH_SCALE_CLEARED],
          skipped, batches);
}

int alerts_scale_run(const alerts_run_opts_t *o) {
  rh_scale_codec_t codec;
  rh_scale_record_t rec;
  /* a scale risk holds no personal data: the file may be read by others */
  alerts_stream_kind_t k = {.record = "ScaleRisk", .what = "the scale risks", .out_mode = 0644,
                            .codec = &codec, .rec = &rec, .codec_init = codec_init,
                            .codec_free = codec_free, .decode = decode, .meta = meta,
                            .format = &ALERTS_SCALE_FORMAT, .summary = summary};
  return alerts_stream_run(o, &k);
}
