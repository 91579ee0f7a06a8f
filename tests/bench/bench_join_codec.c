/*
 * Per-record time of the join's codec work, generic path vs direct path:
 *   decode: rh_avro_decode (Avro C value) + rh_feedrecord_from_value
 *           vs rh_feedrecord_decode
 *   encode: rh_alert_to_value + rh_avro_encode vs rh_alert_encode
 * on a FeedRecord and an Alert shaped like the join's (health/major-disease,
 * a matched household, two facts). Not a test (no CTest entry): prints
 * ns/record, best of 5. Built with the normal build (tests/bench/CMakeLists.txt,
 * target bench_join_codec, with the project's flags: a release build for
 * figures):
 *
 *   scripts/build.sh release
 *   build/tests/bench/bench_join_codec [schemas-dir] [iterations]
 *
 * schemas-dir defaults to the source tree's schemas/, iterations to 500000.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rh_alert.h"
#include "rh_avro_codec.h"
#include "rh_feedrecord.h"

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

#define DIE(...) (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr), exit(1))

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : RH_SOURCE_DIR "/schemas";
  long n = argc > 2 ? atol(argv[2]) : 500000;
  char err[512];
  rh_avro_schemas_t *set = rh_avro_schemas_new();
  if (rh_avro_schemas_load_dir(set, dir, err, sizeof err)) DIE("%s", err);
  const rh_avro_schema_t *fr = rh_avro_schemas_get(set, "riskhub.FeedRecord");
  const rh_avro_schema_t *al = rh_avro_schemas_get(set, "riskhub.Alert");
  rh_feedrecord_codec_t frc;
  rh_alert_codec_t alc;
  avro_value_t frv, alv;
  if (rh_feedrecord_codec_init(&frc, fr, err, sizeof err) ||
      rh_alert_codec_init(&alc, al, err, sizeof err) ||
      rh_avro_schema_value_new(fr, &frv, err, sizeof err) ||
      rh_avro_schema_value_new(al, &alv, err, sizeof err))
    DIE("%s", err);
  rh_avro_decoder_t *dec = rh_avro_decoder_new(set);
  rh_avro_buf_t msg = RH_AVRO_BUF_INIT, out = RH_AVRO_BUF_INIT;

  rh_fact_t facts[2] = {{"disease", "尿毒症"}, {"hospital", "县人民医院"}};
  rh_feedrecord_t in = {
      .id_number = "41102419800101001X", .name = "张三丰", .department = "health",
      .feed = "major-disease", .kind = "SIGNAL", .period = "2026-10",
      .batch_id = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
      .row_number = 123456, .township_code = "411024100", .village = "东风村",
      .has_event_date = true, .event_date = 20700, .has_amount = true, .amount_fen = 1534000,
      .risk = "ILLNESS", .facts = facts, .fact_count = 2, .produced_at = 1790000000000LL};
  if (rh_feedrecord_encode(&frc, &in, &frv, &msg, err, sizeof err)) DIE("%s", err);
  rh_alert_t a = {
      .alert_id = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
      .situation = "AT_NEW_RISK", .township_code = "411024100", .village = "东风村",
      .household_id = "411024100-012-0345", .household_type = "monitored",
      .monitoring_category = "marginal", .person_id_number = "41102419800101001X",
      .person_name = "张三丰", .relation_to_head = "head", .risk = "ILLNESS",
      .severity = "high", .rule_id = "illness-major-disease",
      .reason = "重大疾病：家庭刚性支出大幅增加", .department = "health",
      .feed = "major-disease", .period = "2026-10", .has_amount = true,
      .amount_fen = 1534000, .has_event_date = true, .event_date = 20700, .facts = facts,
      .fact_count = 2, .source = {"feed.health.major-disease", 3, 1234567, in.batch_id},
      .created_at = 1790000000000LL};

  double best[4] = {1e18, 1e18, 1e18, 1e18};
  volatile size_t sink = 0;
  for (int round = 0; round < 5; round++) {
    rh_feedrecord_t r;
    double t0 = now_ns();
    for (long i = 0; i < n; i++) {
      if (rh_avro_decode(dec, msg.data, msg.len, fr, &frv, NULL, err, sizeof err) ||
          rh_feedrecord_from_value(&frc, &frv, &r, err, sizeof err))
        DIE("%s", err);
      sink += r.fact_count;
    }
    double t1 = now_ns();
    for (long i = 0; i < n; i++) {
      if (rh_feedrecord_decode(&frc, msg.data, msg.len, &r, err, sizeof err)) DIE("%s", err);
      sink += r.fact_count;
    }
    double t2 = now_ns();
    for (long i = 0; i < n; i++) {
      rh_avro_buf_clear(&out);
      if (rh_alert_to_value(&alc, &a, &alv, err, sizeof err) ||
          rh_avro_encode(al, &alv, &out, err, sizeof err))
        DIE("%s", err);
      sink += out.len;
    }
    double t3 = now_ns();
    for (long i = 0; i < n; i++) {
      rh_avro_buf_clear(&out);
      if (rh_alert_encode(&alc, &a, &alv, &out, err, sizeof err)) DIE("%s", err);
      sink += out.len;
    }
    double t4 = now_ns();
    double t[4] = {t1 - t0, t2 - t1, t3 - t2, t4 - t3};
    for (int k = 0; k < 4; k++)
      if (t[k] / (double)n < best[k]) best[k] = t[k] / (double)n;
  }
  printf("FeedRecord of %zu bytes, Alert of %zu bytes, %ld records, best of 5 rounds\n", msg.len,
         out.len, n);
  printf("decode  generic (rh_avro_decode + from_value) %8.1f ns/record\n", best[0]);
  printf("decode  direct  (rh_feedrecord_decode)        %8.1f ns/record  (%.1fx)\n", best[1],
         best[0] / best[1]);
  printf("encode  generic (rh_alert_to_value + encode)  %8.1f ns/record\n", best[2]);
  printf("encode  direct  (rh_alert_encode)             %8.1f ns/record  (%.1fx)\n", best[3],
         best[2] / best[3]);
  printf("both    generic %8.1f  direct %8.1f ns/record\n", best[0] + best[2], best[1] + best[3]);
  rh_avro_buf_free(&msg);
  rh_avro_buf_free(&out);
  rh_avro_decoder_destroy(dec);
  avro_value_decref(&frv);
  avro_value_decref(&alv);
  rh_feedrecord_codec_free(&frc);
  rh_alert_codec_free(&alc);
  rh_avro_schemas_destroy(set);
  return sink == 0;
}
