/* replay_archive: write a month's messages, read them back byte for byte,
 * the files' modes, SHA256SUMS, and what is refused: a changed byte, a file
 * not listed, a directory not empty, a message of the wrong type. */
#include "test_replay_fixture.h"

#include <sys/stat.h>
#include <unistd.h>

#include "rh_archive.h"

typedef struct {
  rh_avro_schemas_t *s;
  char dir[256];
  fx_msg_t msgs[RH_ARCHIVE_STREAMS][3];
  size_t n[RH_ARCHIVE_STREAMS];
} fx_t;

static int setup(void **state) {
  fx_t *f = calloc(1, sizeof *f);
  f->s = fx_schemas();
  snprintf(f->dir, sizeof f->dir, "/tmp/test_replay_archive.XXXXXX");
  assert_non_null(mkdtemp(f->dir));
  rmdir(f->dir); /* rh_archive_create makes it */
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx_t *f = *state;
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
  assert_int_equal(system(cmd), 0);
  rh_avro_schemas_destroy(f->s);
  free(f);
  return 0;
}

/* One manifest, two records, an alert, a check result (a CheckResult is
 * made by hand: the replay's code does not write them). */
static void messages(fx_t *f) {
  char id[RH_ID_BUFSZ];
  fx_range_t r[] = {{0, 0, 1, 2}};
  fx_id("41102419800101001", id);
  fx_manifest(f->s, &f->msgs[RH_ARCHIVE_MANIFESTS][0], FX_BATCH_A, "health", "major-disease",
              "SIGNAL", FX_PERIOD, r, 1, 1790000000000, 2, 41, 1790000001000);
  f->n[RH_ARCHIVE_MANIFESTS] = 1;
  fx_record(f->s, &f->msgs[RH_ARCHIVE_RECORDS][0], "health", "major-disease", "SIGNAL",
            FX_BATCH_A, id, -1, 0, 0);
  fx_record(f->s, &f->msgs[RH_ARCHIVE_RECORDS][1], "medical-insurance", "high-self-pay", "SIGNAL",
            FX_BATCH_A, id, 12345, 1, 7);
  f->n[RH_ARCHIVE_RECORDS] = 2;

  const rh_avro_schema_t *al = rh_avro_schemas_get(f->s, "riskhub.Alert");
  rh_alert_codec_t c;
  avro_value_t v;
  char err[512];
  rh_alert_t a = {.alert_id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                  .situation = "UNMATCHED", .person_id_number = id, .person_name = "测试",
                  .risk = "ILLNESS", .severity = "low", .rule_id = "unmatched",
                  .department = "health", .feed = "major-disease", .period = FX_PERIOD,
                  .source = {"feed.health.major-disease", 0, 0, FX_BATCH_A},
                  .created_at = 1790000002000};
  assert_int_equal(rh_alert_codec_init(&c, al, err, sizeof err), 0);
  assert_int_equal(rh_avro_schema_value_new(al, &v, NULL, 0), RH_AVRO_OK);
  assert_int_equal(rh_alert_to_value(&c, &a, &v, err, sizeof err), 0);
  fx_encode(f->s, "riskhub.Alert", &v, &f->msgs[RH_ARCHIVE_ALERTS][0], "alerts.unmatched", 1, 3,
            1790000002000, id);
  avro_value_decref(&v);
  rh_alert_codec_free(&c);
  f->n[RH_ARCHIVE_ALERTS] = 1;

  const rh_avro_schema_t *cr = rh_avro_schemas_get(f->s, "riskhub.CheckResult");
  avro_value_t x, fl, b;
  assert_int_equal(rh_avro_schema_value_new(cr, &x, NULL, 0), RH_AVRO_OK);
  fx_set_str(&x, "check_id", "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210");
  fx_set_str(&x, "period", FX_PERIOD);
  fx_set_str(&x, "township_code", "411024100");
  fx_set_str(&x, "village", "王庄村");
  fx_set_str(&x, "household_id", "411024100-001-0001");
  fx_set_str(&x, "member_id_number", id);
  fx_set_str(&x, "member_name", "测试");
  fx_set_str(&x, "relation_to_head", "head");
  fx_set_str(&x, "department", "tax");
  fx_set_str(&x, "feed", "vehicles");
  assert_int_equal(avro_value_get_by_name(&x, "matched", &fl, NULL), 0);
  assert_int_equal(avro_value_set_boolean(&fl, 0), 0);
  assert_int_equal(avro_value_get_by_name(&x, "source", &fl, NULL), 0);
  assert_int_equal(avro_value_set_branch(&fl, 0, &b), 0);
  assert_int_equal(avro_value_get_by_name(&x, "complete", &fl, NULL), 0);
  assert_int_equal(avro_value_set_boolean(&fl, 1), 0);
  fx_set_long(&x, "created_at", 1790000003000);
  fx_set_str(&x, "supersedes", NULL);
  fx_encode(f->s, "riskhub.CheckResult", &x, &f->msgs[RH_ARCHIVE_CHECKS][0], "checks.411024100", 0,
            0, 1790000003000, "411024100-001-0001");
  avro_value_decref(&x);
  f->n[RH_ARCHIVE_CHECKS] = 1;
}

static int write_archive(fx_t *f) {
  char err[1024];
  rh_archive_writer_t *w = rh_archive_create(f->dir, f->s, err, sizeof err);
  if (!w) fail_msg("%s", err);
  for (int s = 0; s < RH_ARCHIVE_STREAMS; s++)
    for (size_t i = 0; i < f->n[s]; i++)
      if (rh_archive_add(w, (rh_archive_stream_t)s, &f->msgs[s][i].m, err, sizeof err))
        fail_msg("%s", err);
  rh_archive_info_t info = {.created_at = 1790000009000};
  snprintf(info.period, sizeof info.period, FX_PERIOD);
  snprintf(info.department, sizeof info.department, "health");
  snprintf(info.topic_prefix, sizeof info.topic_prefix, "t1.");
  return rh_archive_close(w, &info, err, sizeof err);
}

typedef struct {
  fx_t *f;
  int stream;
  size_t n;
} reader_t;

static int check_msg(void *arg, const rh_msg_t *m) {
  reader_t *r = arg;
  assert_true(r->n < r->f->n[r->stream]);
  const rh_msg_t *want = &r->f->msgs[r->stream][r->n++].m;
  assert_string_equal(m->topic, want->topic);
  assert_int_equal(m->partition, want->partition);
  assert_int_equal(m->offset, want->offset);
  assert_int_equal(m->timestamp, want->timestamp);
  assert_int_equal(m->key_len, want->key_len);
  if (want->key) assert_memory_equal(m->key, want->key, want->key_len);
  else assert_null(m->key);
  assert_int_equal(m->value_len, want->value_len);
  assert_memory_equal(m->value, want->value, want->value_len);
  return 0;
}

static void test_round_trip(void **state) {
  fx_t *f = *state;
  char err[1024], path[512];
  messages(f);
  assert_int_equal(write_archive(f), 0);
  struct stat st;
  assert_int_equal(stat(f->dir, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0700);
  const char *files[] = {"manifests.avro", "feed-records.avro", "alerts.avro",
                         "check-results.avro", "rejects.avro", "archive.json", "SHA256SUMS"};
  for (size_t i = 0; i < 7; i++) {
    snprintf(path, sizeof path, "%s/%s", f->dir, files[i]);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
  }
  /* sha256sum -c agrees */
  char cmd[600];
  snprintf(cmd, sizeof cmd, "cd '%s' && sha256sum --quiet -c SHA256SUMS", f->dir);
  assert_int_equal(system(cmd), 0);

  rh_archive_info_t info;
  int refused = -1;
  assert_int_equal(rh_archive_open(f->dir, &info, &refused, err, sizeof err), 0);
  assert_string_equal(info.period, FX_PERIOD);
  assert_string_equal(info.department, "health");
  assert_string_equal(info.feed, "");
  assert_string_equal(info.topic_prefix, "t1.");
  assert_int_equal(info.created_at, 1790000009000);
  for (int s = 0; s < RH_ARCHIVE_STREAMS; s++) {
    assert_int_equal(info.counts[s], f->n[s]);
    reader_t r = {f, s, 0};
    uint64_t n = 0;
    if (rh_archive_read(f->dir, (rh_archive_stream_t)s, f->s, check_msg, &r, &n, NULL, err,
                            sizeof err))
      fail_msg("%s", err);
    assert_int_equal(n, f->n[s]);
    assert_int_equal(r.n, f->n[s]);
  }
}

static void test_refused(void **state) {
  fx_t *f = *state;
  char err[1024], path[512], cmd[700];
  rh_archive_info_t info;
  int refused = 0;
  messages(f);
  assert_int_equal(write_archive(f), 0);
  /* not empty: never written over */
  assert_null(rh_archive_create(f->dir, f->s, err, sizeof err));
  assert_non_null(strstr(err, "not empty"));
  /* one byte changed */
  snprintf(path, sizeof path, "%s/alerts.avro", f->dir);
  FILE *fp = fopen(path, "r+b");
  fseek(fp, -20, SEEK_END);
  int c = fgetc(fp);
  fseek(fp, -20, SEEK_END);
  fputc(c ^ 0x20, fp);
  fclose(fp);
  assert_int_equal(rh_archive_open(f->dir, &info, &refused, err, sizeof err), -1);
  assert_int_equal(refused, 1);
  assert_non_null(strstr(err, "alerts.avro"));
  /* put it back; then a file not listed */
  fp = fopen(path, "r+b");
  fseek(fp, -20, SEEK_END);
  fputc(c, fp);
  fclose(fp);
  assert_int_equal(rh_archive_open(f->dir, &info, &refused, err, sizeof err), 0);
  snprintf(cmd, sizeof cmd, "cd '%s' && grep -v check-results SHA256SUMS > s && mv s SHA256SUMS",
           f->dir);
  assert_int_equal(system(cmd), 0);
  assert_int_equal(rh_archive_open(f->dir, &info, &refused, err, sizeof err), -1);
  assert_int_equal(refused, 1);
  assert_non_null(strstr(err, "check-results.avro is not listed"));
  /* no SHA256SUMS at all: not an archive (74, not 65) */
  snprintf(cmd, sizeof cmd, "rm '%s/SHA256SUMS'", f->dir);
  assert_int_equal(system(cmd), 0);
  assert_int_equal(rh_archive_open(f->dir, &info, &refused, err, sizeof err), -1);
  assert_int_equal(refused, 0);
}

/* The alerts' file written again with the deflate codec (as another Avro
 * tool might): read through Avro C's reader, the same messages. */
static void test_other_codec(void **state) {
  fx_t *f = *state;
  char err[1024], path[512], tmp[600], cmd[800];
  messages(f);
  assert_int_equal(write_archive(f), 0);
  snprintf(path, sizeof path, "%s/alerts.avro", f->dir);
  snprintf(tmp, sizeof tmp, "%s/alerts.deflate", f->dir);
  avro_file_reader_t r;
  assert_int_equal(avro_file_reader(path, &r), 0);
  avro_schema_t ws = avro_file_reader_get_writer_schema(r);
  avro_value_iface_t *iface = avro_generic_class_from_schema(ws);
  avro_value_t v;
  assert_int_equal(avro_generic_value_new(iface, &v), 0);
  avro_file_writer_t w;
  assert_int_equal(avro_file_writer_create_with_codec(tmp, ws, &w, "deflate", 4096), 0);
  while (avro_file_reader_read_value(r, &v) == 0)
    assert_int_equal(avro_file_writer_append_value(w, &v), 0);
  avro_file_writer_close(w);
  avro_file_reader_close(r);
  avro_value_decref(&v);
  avro_value_iface_decref(iface);
  avro_schema_decref(ws);
  assert_int_equal(rename(tmp, path), 0);
  reader_t rd = {f, RH_ARCHIVE_ALERTS, 0};
  uint64_t n = 0;
  if (rh_archive_read(f->dir, RH_ARCHIVE_ALERTS, f->s, check_msg, &rd, &n, NULL, err,
                          sizeof err))
    fail_msg("%s", err);
  assert_int_equal(n, 1);
  /* sha256sum -c now fails, as it should */
  snprintf(cmd, sizeof cmd, "cd '%s' && sha256sum --quiet -c SHA256SUMS >/dev/null 2>&1", f->dir);
  assert_int_not_equal(system(cmd), 0);
}

/* rejects.avro came with format 2: an archive of format 1 (none) is still
 * read; one of format 2 without it listed is refused */
static void test_format_1(void **state) {
  fx_t *f = *state;
  char err[1024], cmd[1200];
  rh_archive_info_t info;
  int refused = 0;
  messages(f);
  assert_int_equal(write_archive(f), 0);
  snprintf(cmd, sizeof cmd,
           "cd '%s' && grep -v rejects.avro SHA256SUMS > s && mv s SHA256SUMS && rm rejects.avro",
           f->dir);
  assert_int_equal(system(cmd), 0);
  assert_int_equal(rh_archive_open(f->dir, &info, &refused, err, sizeof err), -1);
  assert_int_equal(refused, 1);
  assert_non_null(strstr(err, "rejects.avro is not listed"));
  snprintf(cmd, sizeof cmd,
           "cd '%s' && sed -i 's#riskhub-replay-archive/2#riskhub-replay-archive/1#' archive.json "
           "&& grep -v archive.json SHA256SUMS > s && sha256sum archive.json >> s && "
           "mv s SHA256SUMS",
           f->dir);
  assert_int_equal(system(cmd), 0);
  if (rh_archive_open(f->dir, &info, &refused, err, sizeof err)) fail_msg("%s", err);
  assert_int_equal(info.format, 1);
  assert_int_equal(info.counts[RH_ARCHIVE_REJECTS], 0);
}

static int count_msg(void *arg, const rh_msg_t *m) {
  (void)m;
  (*(uint64_t *)arg)++;
  return 0;
}

/* Every byte of the records' file changed in turn: read or refused with a
 * message, never a read outside the file (ASan). */
static void test_damaged_file(void **state) {
  fx_t *f = *state;
  char err[1024], path[512];
  messages(f);
  assert_int_equal(write_archive(f), 0);
  snprintf(path, sizeof path, "%s/feed-records.avro", f->dir);
  FILE *fp = fopen(path, "r+b");
  fseek(fp, 0, SEEK_END);
  long size = ftell(fp);
  unsigned char *orig = malloc((size_t)size);
  fseek(fp, 0, SEEK_SET);
  assert_int_equal(fread(orig, 1, (size_t)size, fp), (size_t)size);
  int refused = 0;
  for (long i = 0; i < size; i += 3) {
    fseek(fp, i, SEEK_SET);
    fputc(orig[i] ^ 0xff, fp);
    fflush(fp);
    uint64_t n = 0;
    err[0] = '\0';
    if (rh_archive_read(f->dir, RH_ARCHIVE_RECORDS, f->s, count_msg, &n, NULL, NULL, err,
                            sizeof err)) {
      assert_true(err[0] != '\0');
      refused++;
    }
    fseek(fp, i, SEEK_SET);
    fputc(orig[i], fp);
    fflush(fp);
  }
  assert_true(refused > 0);
  fclose(fp);
  free(orig);
}

static void test_wrong_type(void **state) {
  fx_t *f = *state;
  char err[1024];
  messages(f);
  rh_archive_writer_t *w = rh_archive_create(f->dir, f->s, err, sizeof err);
  assert_non_null(w);
  /* a FeedRecord into the alerts: refused, with where it came from */
  assert_int_equal(rh_archive_add(w, RH_ARCHIVE_ALERTS, &f->msgs[RH_ARCHIVE_RECORDS][0].m, err,
                                      sizeof err),
                   -1);
  assert_non_null(strstr(err, "not a riskhub.Alert"));
  assert_non_null(strstr(err, "feed.health.major-disease [0] offset 0"));
  rh_archive_abandon(w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
      cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_format_1, setup, teardown),
      cmocka_unit_test_setup_teardown(test_other_codec, setup, teardown),
      cmocka_unit_test_setup_teardown(test_damaged_file, setup, teardown),
      cmocka_unit_test_setup_teardown(test_wrong_type, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
