/* alerts_identity_run: see alerts_identity_run.h. */
#include "alerts_identity_run.h"

#include <inttypes.h>
#include <stdio.h>

#include "alerts_identity_format.h"
#include "alerts_stream.h"
#include "rh_discrepancy.h"

static int codec_init(void *codec, const rh_avro_schemas_t *set, char *err, size_t size) {
  return rh_discrepancy_codec_init(codec, set, err, size);
}

static void codec_free(void *codec) { rh_discrepancy_codec_free(codec); }

static int decode(void *codec, rh_avro_decoder_t *dec, const void *data, size_t len, void *rec,
                  char *err, size_t size) {
  return rh_discrepancy_decode(codec, dec, data, len, rec, err, size);
}

static void meta(const void *rec, const char **period, int64_t *created_at, int *status) {
  const rh_discrepancy_t *d = rec;
  *period = d->period;
  *created_at = d->created_at;
  *status = (int)d->status;
}

static void summary(FILE *err, uint64_t written, const uint64_t counts[ALERTS_STREAM_MAX_STATUS],
                    uint64_t skipped, uint64_t batches) {
  fprintf(err,
          "riskhub-alerts: identity versions=%" PRIu64 " open=%" PRIu64 " updated=%" PRIu64
          " closed=%" PRIu64 " skipped=%" PRIu64 " batches=%" PRIu64 "\n",
          written, counts[RH_DISC_OPEN], counts[RH_DISC_UPDATED], counts[RH_DISC_CLOSED], skipped,
          batches);
}

int alerts_identity_run(const alerts_run_opts_t *o) {
  rh_discrepancy_codec_t codec;
  rh_discrepancy_t rec;
  /* names and households: the file is the township's alone, as the warnings' */
  alerts_stream_kind_t k = {.record = "Discrepancy", .what = "the identity discrepancies",
                            .out_mode = 0600, .codec = &codec, .rec = &rec,
                            .codec_init = codec_init, .codec_free = codec_free, .decode = decode,
                            .meta = meta, .format = &ALERTS_IDENTITY_FORMAT, .summary = summary};
  return alerts_stream_run(o, &k);
}
