#include "produce_batch.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "produce_feedrow.h"
#include "rh_i18n.h"
#include "rh_file.h"
#include "rh_clock.h"
#include "rh_avro_codec.h"
#include "rh_avro_value.h"
#include "rh_exit.h"
#include "rh_feedrecord.h"
#include "rh_kafka.h"
#include "rh_log.h"
#include "rh_manifest.h"
#include "rh_parse.h"
#include "rh_period.h"

#define PRODUCER_NAME "riskhub-produce 0.1.0"
/* Topic names without the configuration's topic prefix (rh_config_topic adds it). */

__attribute__((format(printf, 3, 4))) static int fail(produce_batch_result_t *res, int code,
                                                      const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(res->error, sizeof(res->error), fmt, ap);
  va_end(ap);
  rh_log_scrub(res->error);
  return code;
}

/* ---- offsets per partition, from delivery reports ---- */

typedef struct {
  int64_t first, last, count;
} prange_t;

typedef struct {
  const char *feed_topic;
  prange_t *ranges;
  int nranges;
  int oom;
} delivery_t;

static void on_delivery(void *ctx, const rd_kafka_message_t *m) {
  delivery_t *d = ctx;
  if (m->err || m->partition < 0 || strcmp(rd_kafka_topic_name(m->rkt), d->feed_topic) != 0)
    return;
  if (m->partition >= d->nranges) {
    int n = m->partition + 1;
    prange_t *r = realloc(d->ranges, (size_t)n * sizeof(*r));
    if (!r) {
      d->oom = 1;
      return;
    }
    for (int i = d->nranges; i < n; i++) r[i] = (prange_t){-1, -1, 0};
    d->ranges = r;
    d->nranges = n;
  }
  prange_t *r = &d->ranges[m->partition];
  if (r->first < 0 || m->offset < r->first) r->first = m->offset;
  if (m->offset > r->last) r->last = m->offset;
  r->count++;
}

/* ---- input ---- */

/* Copy standard input to a temporary file while hashing it. */
static int spool_stdin(char *path, size_t path_size, char sha[RH_SHA256_HEXSZ], uint64_t *bytes,
                       char *errstr, size_t errstr_size) {
  const char *tmp = getenv("TMPDIR");
  snprintf(path, path_size, "%s/riskhub-stdin-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  int fd = mkstemp(path);
  if (fd < 0) {
    snprintf(errstr, errstr_size, "cannot create a temporary file in %s: %s",
             tmp && *tmp ? tmp : "/tmp", strerror(errno));
    return -1;
  }
  FILE *out = fdopen(fd, "wb");
  rh_sha256_t *h = rh_sha256_new();
  static unsigned char buf[1 << 16];
  size_t n;
  *bytes = 0;
  int rc = 0;
  while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0) {
    rh_sha256_update(h, buf, n);
    *bytes += n;
    if (fwrite(buf, 1, n, out) != n) {
      snprintf(errstr, errstr_size, "writing %s: %s", path, strerror(errno));
      rc = -1;
      break;
    }
  }
  if (rc == 0 && ferror(stdin)) {
    snprintf(errstr, errstr_size, "reading standard input: %s", strerror(errno));
    rc = -1;
  }
  if (fclose(out) != 0 && rc == 0) {
    snprintf(errstr, errstr_size, "writing %s: %s", path, strerror(errno));
    rc = -1;
  }
  rh_sha256_final(h, sha);
  if (rc) unlink(path);
  return rc;
}

/* ---- the rejects CSV ---- */

static void csv_field(FILE *fp, const char *s, int last) {
  rh_csv_write_field(fp, s);
  fputc(last ? '\n' : ',', fp);
}

/* ---- Avro records other than FeedRecord ---- */

enum { RJ_BATCH, RJ_DEPT, RJ_FEED, RJ_PERIOD, RJ_SOURCE, RJ_ROW, RJ_COLUMN, RJ_CODE, RJ_REASON,
       RJ_IDMASK, RJ_AT, RJ_N };
static const char *const rj_names[RJ_N] = {"batch_id", "department", "feed", "period",
                                           "source_name", "row_number", "column", "reason_code",
                                           "reason", "id_masked", "rejected_at"};
enum { BM_BATCH, BM_DEPT, BM_FEED, BM_KIND, BM_PERIOD, BM_TOPIC, BM_SOURCE, BM_SHA, BM_FP,
       BM_TOTAL, BM_ACC, BM_REJ, BM_PARTS, BM_START, BM_END, BM_PRODUCER, BM_RECORDS, BM_PREV,
       BM_N };
static const char *const bm_names[BM_N] = {
    "batch_id", "department", "feed", "kind", "period", "topic", "source_name",
    "source_sha256", "schema_fingerprint", "rows_total", "rows_accepted", "rows_rejected",
    "partitions", "started_at", "finished_at", "producer", "records_sha256",
    "prev_manifest_sha256"};

typedef struct {
  const produce_batch_opts_t *o;
  const rh_config_feed_t *feed;
  produce_batch_result_t *res;
  const char *source_name;
  const rh_avro_schema_t *fr_schema, *rj_schema, *bm_schema;
  rh_feedrecord_codec_t fr;
  int rj[RJ_N], bm[BM_N];
  avro_value_t fr_val, rj_val, bm_val;
  int have_fr_val, have_rj_val, have_bm_val;
  rh_avro_buf_t buf;
  rh_producer_t *producer;
  delivery_t delivery;
  FILE *rejects;
  char rejects_tmp[4200];
  int64_t started_at;
  /* the department's own: feed.<dept>.rejects, feed.<dept>.manifests (with the prefix) */
  const char *topic_rejects, *topic_manifests;
  rh_sign_key_t *key;          /* the department's signing key; NULL: unsigned */
  rh_manifest_keys_t *keys;    /* the public keys of signing.keys_dir */
  rh_manifest_records_t records; /* records_sha256 */
  char records_sha256[RH_SHA256_HEXSZ];
  char prev_link[RH_SHA256_HEXSZ]; /* the feed's chain so far; "" for its first */
} batch_t;

static int send_record(batch_t *b, const char *topic, const char *key, size_t key_len,
                       const char *row, char *errstr, size_t errstr_size) {
  rd_kafka_headers_t *h = rd_kafka_headers_new(5);
  rd_kafka_header_add(h, "batch_id", -1, b->res->batch_id, -1);
  rd_kafka_header_add(h, "period", -1, b->o->period, -1);
  rd_kafka_header_add(h, "department", -1, b->feed->department->code, -1);
  rd_kafka_header_add(h, "feed", -1, b->feed->code, -1);
  if (row) rd_kafka_header_add(h, "row", -1, row, -1);
  return rh_producer_send(b->producer, topic, RD_KAFKA_PARTITION_UA, key, key_len, b->buf.data,
                          b->buf.len, h, NULL, errstr, errstr_size);
}

static int publish_reject(batch_t *b, long line, const produce_feedrow_reject_t *rej, char *errstr,
                          size_t errstr_size) {
  avro_value_t *v = &b->rj_val;
  avro_value_reset(v);
  int bad = rh_avro_set_str(v, b->rj[RJ_BATCH], b->res->batch_id) |
            rh_avro_set_str(v, b->rj[RJ_DEPT], b->feed->department->code) |
            rh_avro_set_str(v, b->rj[RJ_FEED], b->feed->code) |
            rh_avro_set_str(v, b->rj[RJ_PERIOD], b->o->period) |
            rh_avro_set_str(v, b->rj[RJ_SOURCE], b->source_name) |
            rh_avro_set_long(v, b->rj[RJ_ROW], line) |
            rh_avro_set_str(v, b->rj[RJ_COLUMN], rej->column) |
            rh_avro_set_str(v, b->rj[RJ_CODE], rej->reason_code) |
            rh_avro_set_str(v, b->rj[RJ_REASON], rej->reason) |
            rh_avro_set_str(v, b->rj[RJ_IDMASK], rej->id_masked[0] ? rej->id_masked : NULL) |
            rh_avro_set_long(v, b->rj[RJ_AT], rh_wall_ms());
  rh_avro_buf_clear(&b->buf);
  if (bad || rh_avro_encode(b->rj_schema, v, &b->buf, errstr, errstr_size)) {
    if (bad) snprintf(errstr, errstr_size, "cannot build a RejectedRow");
    return -1;
  }
  char row[24];
  snprintf(row, sizeof(row), "%ld", line);
  if (send_record(b, b->topic_rejects, b->res->batch_id, strlen(b->res->batch_id), row, errstr,
                  errstr_size))
    return -1;
  fprintf(b->rejects, "%ld,", line);
  csv_field(b->rejects, rej->column, 0);
  csv_field(b->rejects, rej->reason_code, 0);
  csv_field(b->rejects, rej->reason, 0);
  csv_field(b->rejects, rej->id_masked, 1);
  return 0;
}

static int publish_manifest(batch_t *b, char *errstr, size_t errstr_size) {
  avro_value_t *v = &b->bm_val, arr, elem, f;
  const rh_config_feed_t *feed = b->feed;
  avro_value_reset(v);
  int bad = rh_avro_set_str(v, b->bm[BM_BATCH], b->res->batch_id) |
            rh_avro_set_str(v, b->bm[BM_DEPT], feed->department->code) |
            rh_avro_set_str(v, b->bm[BM_FEED], feed->code) |
            rh_avro_set_str(v, b->bm[BM_KIND], produce_feedrow_kind(feed->kind)) |
            rh_avro_set_str(v, b->bm[BM_PERIOD], b->o->period) |
            rh_avro_set_str(v, b->bm[BM_TOPIC], feed->topic) |
            rh_avro_set_str(v, b->bm[BM_SOURCE], b->source_name) |
            rh_avro_set_str(v, b->bm[BM_SHA], b->res->sha256) |
            rh_avro_set_str(v, b->bm[BM_FP], b->fr_schema->fingerprint_hex) |
            rh_avro_set_long(v, b->bm[BM_TOTAL], b->res->rows_total) |
            rh_avro_set_long(v, b->bm[BM_ACC], b->res->rows_accepted) |
            rh_avro_set_long(v, b->bm[BM_REJ], b->res->rows_rejected) |
            rh_avro_set_long(v, b->bm[BM_START], b->started_at) |
            rh_avro_set_long(v, b->bm[BM_END], rh_wall_ms()) |
            rh_avro_set_str(v, b->bm[BM_PRODUCER], rh_clock_simulated() == 1
                                                       ? PRODUCER_NAME " (simulated clock)"
                                                       : PRODUCER_NAME) |
            rh_avro_set_str(v, b->bm[BM_RECORDS], b->records_sha256) |
            rh_avro_set_str(v, b->bm[BM_PREV], b->prev_link);
  bad |= rh_avro_field(v, b->bm[BM_PARTS], &arr);
  for (int p = 0; !bad && p < b->delivery.nranges; p++) {
    const prange_t *r = &b->delivery.ranges[p];
    if (r->count == 0) continue;
    bad |= avro_value_append(&arr, &elem, NULL) != 0;
    bad |= avro_value_get_by_name(&elem, "partition", &f, NULL) || avro_value_set_int(&f, p);
    bad |= avro_value_get_by_name(&elem, "first_offset", &f, NULL) || avro_value_set_long(&f, r->first);
    bad |= avro_value_get_by_name(&elem, "last_offset", &f, NULL) || avro_value_set_long(&f, r->last);
    bad |= avro_value_get_by_name(&elem, "count", &f, NULL) || avro_value_set_long(&f, r->count);
  }
  if (bad) {
    snprintf(errstr, errstr_size, "cannot build the BatchManifest");
    return -1;
  }
  if (b->key && rh_manifest_sign(b->key, v, errstr, errstr_size)) return -1;
  rh_avro_buf_clear(&b->buf);
  if (rh_avro_encode(b->bm_schema, v, &b->buf, errstr, errstr_size)) return -1;
  return send_record(b, b->topic_manifests, b->res->batch_id, strlen(b->res->batch_id), NULL,
                     errstr, errstr_size);
}

/* Every way a batch can fail to be delivered ends here: one message that says
 * how many records were not acknowledged and that nothing was published. */
static int delivery_failed(produce_batch_result_t *res, rh_producer_t *p, const char *where,
                           const char *why) {
  const rh_producer_stats_t *st = rh_producer_stats(p);
  uint64_t total = (uint64_t)res->rows_total + 1; /* + the manifest */
  res->not_delivered = total > st->delivered ? total - st->delivered : 0;
  return fail(res, RH_EXIT_UNAVAILABLE,
              _("delivery failed%s%s: %s%s%s; %llu of %llu records not acknowledged by the broker; "
              "the batch was aborted, nothing of it is visible and no manifest was written; "
              "publish the file again when the broker is back"),
              where ? " " : "", where ? where : "", why,
              st->failed ? "; first error: " : "", st->failed ? st->first_error_str : "",
              (unsigned long long)res->not_delivered, (unsigned long long)total);
}

/* Did the file at path change since first (size, modification time), or was
 * more or less of it read than its size then? */
static bool changed_since(const char *path, const struct stat *first, uint64_t bytes_read) {
  struct stat now;
  if (stat(path, &now) != 0) return true;
  return now.st_size != first->st_size || now.st_mtim.tv_sec != first->st_mtim.tv_sec ||
         now.st_mtim.tv_nsec != first->st_mtim.tv_nsec ||
         bytes_read != (uint64_t)first->st_size;
}

/* ---- progress ---- */

static void draw_progress(uint64_t done, uint64_t total, long rows, int64_t t0, int final) {
  int64_t ms = rh_wall_ms() - t0;
  double rate = ms > 0 ? rows * 1000.0 / (double)ms : 0;
  int pct = total ? (int)(done * 100 / total) : 100;
  if (pct > 100) pct = 100;
  char bar[41];
  int fill = pct * 40 / 100;
  for (int i = 0; i < 40; i++) bar[i] = i < fill ? '#' : '.';
  bar[40] = '\0';
  fprintf(stderr, "\r[%s] %3d%% %ld rows, %.0f rows/s%s", bar, pct, rows, rate,
          final ? "\n" : "");
  fflush(stderr);
}

/* ---- the batch ---- */

static int setup_schemas(batch_t *b, char *errstr, size_t errstr_size) {
  b->fr_schema = rh_avro_schemas_get(b->o->schemas, "riskhub.FeedRecord");
  b->rj_schema = rh_avro_schemas_get(b->o->schemas, "riskhub.RejectedRow");
  b->bm_schema = rh_avro_schemas_get(b->o->schemas, "riskhub.BatchManifest");
  if (!b->fr_schema || !b->rj_schema || !b->bm_schema) {
    snprintf(errstr, errstr_size, "the schemas directory lacks FeedRecord, RejectedRow or BatchManifest");
    return -1;
  }
  if (rh_feedrecord_codec_init(&b->fr, b->fr_schema, errstr, errstr_size) ||
      rh_avro_field_indexes(b->rj_schema->schema, rj_names, b->rj, RJ_N, errstr, errstr_size) ||
      rh_avro_field_indexes(b->bm_schema->schema, bm_names, b->bm, BM_N, errstr, errstr_size))
    return -1;
  if (rh_avro_schema_value_new(b->fr_schema, &b->fr_val, errstr, errstr_size)) return -1;
  b->have_fr_val = 1;
  if (rh_avro_schema_value_new(b->rj_schema, &b->rj_val, errstr, errstr_size)) return -1;
  b->have_rj_val = 1;
  if (rh_avro_schema_value_new(b->bm_schema, &b->bm_val, errstr, errstr_size)) return -1;
  b->have_bm_val = 1;
  return 0;
}

static rh_producer_t *make_producer(batch_t *b, char *errstr, size_t errstr_size) {
  rd_kafka_conf_t *conf = rh_kafka_conf_from_config(b->o->cfg, errstr, errstr_size);
  if (!conf) return NULL;
  /* One transactional id a batch and topic namespace:
   * "<prefix>riskhub-produce.<dept>.<feed>.<first 16 hex digits of the batch id>".
   * Two publications of one batch fence each other (the race, docs/producer.md);
   * two different files of one feed no longer do (issue 12: a second clerk's
   * publish fenced the first one's mid-file), nor do namespaces. */
  char txid[512];
  snprintf(txid, sizeof(txid), "%sriskhub-produce.%s.%s.%.16s", b->o->cfg->topic_prefix,
           b->feed->department->code, b->feed->code, b->res->batch_id);
  if (rh_kafka_conf_transactional(conf, b->o->cfg, txid, errstr, errstr_size)) {
    rd_kafka_conf_destroy(conf);
    return NULL;
  }
  return rh_producer_new(conf, on_delivery, &b->delivery, errstr, errstr_size);
}

/* 1 if a committed, believed manifest of res->batch_id exists (res->published
 * filled), 0 if none, -1 with errstr. Keeps the feed's last link in b->prev_link. */
static int already_published(batch_t *b, produce_batch_result_t *res, char *errstr,
                             size_t errstr_size) {
  const produce_batch_opts_t *o = b->o;
  produce_published_t *p = produce_published_new(o->schemas, res->batch_id, errstr, errstr_size);
  if (!p) return -1;
  produce_published_trust(p, b->feed->department->code, b->feed->code, b->keys,
                          b->key ? rh_sign_key_pub(b->key) : NULL);
  int rc = produce_published_find(p, o->cfg, b->feed->department, errstr, errstr_size);
  if (rc == 0) {
    res->published = *produce_published_info(p);
    rc = res->published.found > 0;
    if (res->published.prev_found)
      memcpy(b->prev_link, res->published.prev_link, sizeof b->prev_link);
  }
  produce_published_destroy(p);
  return rc;
}

/* The department's signing key (--signing-key, else signing.keys_dir/<code>.key)
 * and the public keys of signing.keys_dir. RH_EXIT_OK, or an exit code after
 * fail(). Without a key while signing.required is off: unsigned, with a warning. */
static int load_signing(batch_t *b, produce_batch_result_t *res) {
  const produce_batch_opts_t *o = b->o;
  const rh_config_t *cfg = o->cfg;
  const char *code = b->feed->department->code;
  char path[4096], err[1024];
  if (o->signing_key)
    snprintf(path, sizeof path, "%s", o->signing_key);
  else if (cfg->signing.keys_dir)
    snprintf(path, sizeof path, "%s/%s.key", cfg->signing.keys_dir, code);
  else
    path[0] = '\0';
  if (!(b->keys = rh_manifest_keys_load(cfg, err, sizeof err)))
    return fail(res, RH_EXIT_CONFIG, _("%s: signing.keys_dir: %s"), cfg->source, err);
  if (!o->signing_key && !cfg->signing.required && (!path[0] || access(path, F_OK) != 0)) {
    rh_log_warn("%s: no signing key for %s (signing.required is off): the list is published "
                "unsigned",
                cfg->source, code);
    return RH_EXIT_OK;
  }
  if (!path[0])
    return fail(res, RH_EXIT_CONFIG,
                _("%s: no signing key for %s: lists are signed (signing.required); give "
                "--signing-key FILE or set signing.keys_dir (RH_KEYS_DIR) to the folder of %s.key "
                "(scripts/keys.sh make %s)"),
                cfg->source, code, code, code);
  if (!(b->key = rh_sign_key_load(path, err, sizeof err)))
    return fail(res, RH_EXIT_CONFIG, _("signing key of %s: %s"), code, err);
  return RH_EXIT_OK;
}

int produce_batch_publish(const produce_batch_opts_t *o, produce_batch_result_t *res) {
  char err[1024];
  char spooled[4096] = "";
  const char *path = o->input;
  struct stat first_stat = {0}; /* the input as it was hashed */
  int rc = RH_EXIT_SOFTWARE;
  int in_txn = 0;
  rh_csv_reader_t *csv = NULL;
  produce_feedrow_map_t map = {0};
  produce_feedrow_t row;
  batch_t b;
  int timeout = o->timeout_ms > 0 ? o->timeout_ms : 60000;

  memset(res, 0, sizeof(*res));
  memset(&b, 0, sizeof(b));
  produce_feedrow_init(&row);
  rh_avro_buf_init(&b.buf);
  b.o = o;
  b.res = res;
  b.started_at = rh_wall_ms();
  if (rh_clock_simulated() == 1) /* a demo build (common/rh_clock.h) */
    rh_log_info("simulated clock: RH_SIMULATED_NOW=%s", getenv("RH_SIMULATED_NOW"));
  else if (rh_clock_simulated() < 0)
    rh_log_warn("RH_SIMULATED_NOW '%s' is not YYYY-MM-DDTHH:MM:SSZ; the real clock is used",
                getenv("RH_SIMULATED_NOW"));

  /* 1. what is being published */
  b.feed = rh_config_feed_find(o->cfg, o->department, o->feed);
  if (!b.feed) {
    const rh_config_department_t *d = rh_config_department_find(o->cfg, o->department);
    return fail(res, RH_EXIT_REFUSED, _("%s: unknown %s '%s/%s'"), o->cfg->source,
                d ? _("feed") : _("department"), o->department, o->feed);
  }
  /* the department's own party on the brokers: its credentials, its rights
   * (docs/security.md, "Kafka"); one batch at a time in this process */
  static char role[160];
  snprintf(role, sizeof role, "dept.%s", b.feed->department->code);
  rh_kafka_principal_set(role);
  int year, month;
  if (rh_parse_period(o->period, &year, &month))
    return fail(res, RH_EXIT_REFUSED, _("period '%s' is not a month YYYY-MM"), o->period);
  /* a list covers a month that has begun (defect d: a future period was
   * published and then counted as that month's list); the county's month,
   * UTC+08:00 */
  time_t now_local = (time_t)(rh_wall_ms() / 1000) + RH_PERIOD_UTC_OFFSET_CN * 60;
  struct tm lt;
  gmtime_r(&now_local, &lt);
  if (year * 12 + month > (lt.tm_year + 1900) * 12 + lt.tm_mon + 1)
    return fail(res, RH_EXIT_REFUSED,
                _("period %s has not begun (it is %04d-%02d in the county): a list covers this "
                "month or an earlier one"),
                o->period, lt.tm_year + 1900, lt.tm_mon + 1);
  b.delivery.feed_topic = b.feed->topic;
  b.topic_rejects = b.feed->department->rejects_topic;
  b.topic_manifests = b.feed->department->manifests_topic;

  /* 2. hash the input (spool standard input) */
  if (strcmp(o->input, "-") == 0) {
    if (spool_stdin(spooled, sizeof(spooled), res->sha256, &res->bytes_in, err, sizeof(err)))
      return fail(res, RH_EXIT_IOERR, "%s", err);
    path = spooled;
    b.source_name = o->source_name ? o->source_name : "-";
  } else {
    struct stat st;
    if (stat(path, &st) != 0)
      return fail(res, RH_EXIT_IOERR, "%s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
      return fail(res, RH_EXIT_IOERR, _("%s: not a regular file"), path);
    res->bytes_in = (uint64_t)st.st_size;
    first_stat = st;
    if (rh_sha256_file(path, res->sha256, err, sizeof(err)))
      return fail(res, RH_EXIT_IOERR, "%s", err);
    const char *slash = strrchr(o->input, '/');
    b.source_name = o->source_name ? o->source_name : slash ? slash + 1 : o->input;
  }
  rh_batch_id(b.feed->department->code, b.feed->code, o->period, res->sha256, res->batch_id);
  /* the key after the input (a clerk's wrong file name is said first) */
  if ((rc = load_signing(&b, res)) != RH_EXIT_OK) goto done;
  rc = RH_EXIT_SOFTWARE;

  /* 3. header */
  const rh_csv_row_t *r = NULL;
  csv = rh_csv_open(path, o->encoding, err, sizeof(err));
  if (!csv) {
    rc = fail(res, RH_EXIT_REFUSED, "%s: %s", b.source_name, err);
    goto done;
  }
  int got = rh_csv_next(csv, &r, err, sizeof(err));
  if (got <= 0) {
    rc = fail(res, RH_EXIT_REFUSED, "%s: %s", b.source_name, got == 0 ? _("the file is empty") : err);
    goto done;
  }
  if (produce_feedrow_map_header(&map, o->cfg, b.feed, r, err, sizeof(err))) {
    rc = fail(res, RH_EXIT_REFUSED, _("%s: line %lu: %s"), b.source_name, r->line, err);
    goto done;
  }
  produce_feedrow_map_period(&map, year, month);
  if (map.missing[0])
    rh_log_warn("%s: the file has no column %s; those values stay empty", b.source_name,
                map.missing);
  if (setup_schemas(&b, err, sizeof(err))) {
    rc = fail(res, RH_EXIT_CONFIG, _("schemas: %s"), err);
    goto done;
  }

  /* rejects file: written beside, renamed into place on success */
  char dir[4096];
  if (o->report_dir) snprintf(dir, sizeof(dir), "%s", o->report_dir);
  else if (spooled[0]) snprintf(dir, sizeof(dir), ".");
  else {
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s", o->input);
    snprintf(dir, sizeof(dir), "%s", dirname(tmp));
  }
  snprintf(res->rejects_path, sizeof(res->rejects_path), "%.2000s/%.1000s.rejects.csv", dir,
           strcmp(b.source_name, "-") ? b.source_name : "stdin");
  snprintf(b.rejects_tmp, sizeof(b.rejects_tmp), "%s.tmp%d", res->rejects_path, (int)getpid());
  /* 0600: masked IDs and the clerk's rows (issue 12: world-readable before) */
  b.rejects = rh_file_create_private(b.rejects_tmp, O_TRUNC, err, sizeof(err));
  if (!b.rejects) {
    rc = fail(res, RH_EXIT_IOERR, "%s", err);
    res->rejects_path[0] = '\0';
    goto done;
  }
  /* UTF-8 with a BOM: Excel on Chinese Windows reads the headers and reasons
   * right (defect g: without it they showed garbled) */
  fputs("\xEF\xBB\xBF", b.rejects);
  fputs(_("row,column,reason_code,reason,id_masked\n"), b.rejects);

  /* 4. Kafka: one transaction for the whole batch */
  b.producer = make_producer(&b, err, sizeof(err));
  if (!b.producer) {
    rc = fail(res, RH_EXIT_CONFIG, "%s: %s", o->cfg->source, err);
    goto done;
  }
  const char *topics[3] = {b.feed->topic, b.topic_rejects, b.topic_manifests};
  if (rh_kafka_create_topics(rh_producer_handle(b.producer), topics, 3,
                             o->partitions > 0 ? o->partitions : 3, 1, timeout, err, sizeof(err))) {
    rc = fail(res, RH_EXIT_UNAVAILABLE, _("broker %s unavailable: %s"), o->cfg->kafka_bootstrap, err);
    goto done;
  }
  if (rh_kafka_warm_topics(rh_producer_handle(b.producer), topics, 3, timeout, err, sizeof(err))) {
    rc = fail(res, RH_EXIT_UNAVAILABLE, _("broker %s: %s"), o->cfg->kafka_bootstrap, err);
    goto done;
  }
  rh_log_debug("topics ready");
  if (rh_producer_txn_init(b.producer, timeout, err, sizeof(err))) {
    rc = fail(res, RH_EXIT_UNAVAILABLE, _("broker %s: %s"), o->cfg->kafka_bootstrap, err);
    goto done;
  }
  /* after init (an earlier producer of the batch fenced, its transaction
   * settled), before begin: is this batch committed already? and the feed's
   * chain so far */
  {
    int seen = already_published(&b, res, err, sizeof(err));
    if (seen < 0) {
      rc = fail(res, RH_EXIT_UNAVAILABLE, _("broker %s: looking up the published batches: %s"),
                o->cfg->kafka_bootstrap, err);
      goto done;
    }
    if (seen && !o->republish) {
      rc = RH_EXIT_ALREADY_DONE;
      goto done;
    }
  }
  if (rh_manifest_records_begin(&b.records)) {
    rc = fail(res, RH_EXIT_SOFTWARE, _("out of memory"));
    goto done;
  }
  if (rh_producer_txn_begin(b.producer, err, sizeof(err))) {
    rc = fail(res, RH_EXIT_UNAVAILABLE, _("broker %s: %s"), o->cfg->kafka_bootstrap, err);
    goto done;
  }
  in_txn = 1;
  rh_log_debug("transaction begun");

  int64_t next_draw = rh_wall_ms() + 200;
  while ((got = rh_csv_next(csv, &r, err, sizeof(err))) > 0) {
    produce_feedrow_reject_t rej;
    res->rows_total++;
    int v = produce_feedrow_parse(&map, r, &row, &rej);
    long lineno = (long)r->line;
    if (v < 0) {
      rc = fail(res, RH_EXIT_SOFTWARE, _("out of memory at line %ld"), lineno);
      goto done;
    }
    if (v == 1) {
      res->rows_rejected++;
      if (publish_reject(&b, lineno, &rej, err, sizeof(err))) {
        char where[64];
        snprintf(where, sizeof(where), "at line %ld", lineno);
        rc = delivery_failed(res, b.producer, where, err);
        goto done;
      }
    } else {
      row.rec.period = o->period;
      row.rec.batch_id = res->batch_id;
      row.rec.produced_at = rh_wall_ms();
      rh_avro_buf_clear(&b.buf);
      if (rh_feedrecord_encode(&b.fr, &row.rec, &b.fr_val, &b.buf, err, sizeof(err))) {
        rc = fail(res, RH_EXIT_SOFTWARE, _("line %ld: encoding: %s"), lineno, err);
        goto done;
      }
      char line[24];
      snprintf(line, sizeof(line), "%ld", lineno);
      if (send_record(&b, b.feed->topic, row.rec.id_number, RH_ID_LEN, line, err, sizeof(err))) {
        char where[64];
        snprintf(where, sizeof(where), "at line %ld", lineno);
        rc = delivery_failed(res, b.producer, where, err);
        goto done;
      }
      rh_manifest_records_add(&b.records, b.buf.data, b.buf.len);
      res->rows_accepted++;
      res->rows_dated_before += row.before_period;
      res->payload_bytes += b.buf.len;
    }
    if (o->progress && (res->rows_total & 4095) == 0 && rh_wall_ms() >= next_draw) {
      draw_progress(rh_csv_bytes_read(csv), res->bytes_in, res->rows_total, b.started_at, 0);
      next_draw = rh_wall_ms() + 200;
    }
  }
  if (got < 0) {
    rc = fail(res, RH_EXIT_REFUSED, _("%s: %s; nothing of this file was published"), b.source_name, err);
    goto done;
  }
  if (o->progress) draw_progress(res->bytes_in, res->bytes_in, res->rows_total, b.started_at, 1);

  /* 5. every record acknowledged, then the manifest, then commit */
  if (rh_producer_flush(b.producer, timeout, err, sizeof(err))) {
    rc = delivery_failed(res, b.producer, NULL, err);
    goto done;
  }
  if (b.delivery.oom) {
    rc = fail(res, RH_EXIT_SOFTWARE, _("out of memory tracking offsets"));
    goto done;
  }
  rh_log_debug("all %ld records acknowledged", res->rows_total);
  /* the file must be what was hashed: one still being written (two bursts,
   * no rename) would be published half and named by a sum of another
   * content (issue 12) */
  if (!spooled[0] && changed_since(path, &first_stat, rh_csv_bytes_read(csv))) {
    rc = fail(res, RH_EXIT_UNAVAILABLE,
              _("%s: the file changed while it was read (is it still being written?); the batch "
              "was aborted, nothing of it is visible; publish it again once it is complete "
              "(write it under another name, then rename it)"),
              b.source_name);
    goto done;
  }
  rh_manifest_records_end(&b.records, b.records_sha256);
  if (publish_manifest(&b, err, sizeof(err))) {
    rc = delivery_failed(res, b.producer, "of the manifest", err);
    goto done;
  }
  int fatal = 0;
  in_txn = 0;
  if (rh_producer_txn_commit(b.producer, timeout, &fatal, err, sizeof(err))) {
    rc = delivery_failed(res, b.producer, "at commit", err);
    goto done;
  }
  rh_log_debug("transaction committed");
  if (fclose(b.rejects) != 0 || rename(b.rejects_tmp, res->rejects_path) != 0) {
    b.rejects = NULL;
    rc = fail(res, RH_EXIT_IOERR, _("%s: %s (the batch itself was published)"), res->rejects_path,
              strerror(errno));
    goto done;
  }
  b.rejects = NULL;
  if (res->rows_rejected == 0) {
    unlink(res->rejects_path);
    res->rejects_path[0] = '\0';
  }
  rc = res->rows_rejected && !o->allow_rejects ? RH_EXIT_ROWS_REJECTED : RH_EXIT_OK;

done:
  if (in_txn && b.producer) {
    if (rh_producer_txn_abort_once(b.producer, timeout, err, sizeof(err)))
      rh_log_warn("%s (the next run of this list, or the broker at the transaction timeout, "
                  "aborts it; nothing of it is visible)",
                  err);
  }
  if (b.rejects) {
    fclose(b.rejects);
    unlink(b.rejects_tmp);
    res->rejects_path[0] = '\0';
  }
  res->elapsed_ms = rh_wall_ms() - b.started_at;
  if (rc == RH_EXIT_OK || rc == RH_EXIT_ROWS_REJECTED) {
    double secs = res->elapsed_ms / 1000.0;
    /* kept, but said: a date before the month may be a late entry, or a wrong one */
    char dated_before[160] = "";
    if (res->rows_dated_before)
      snprintf(dated_before, sizeof dated_before,
               _("; %ld row(s) dated before %s, kept: check them"), res->rows_dated_before,
               o->period);
    snprintf(res->summary, sizeof(res->summary),
             _("%s/%s %s: %ld rows, %ld accepted, %ld rejected, %ld published, batch %.12s, "
             "%.1f s (%.0f rows/s, %.1f MB/s of input, %llu bytes of Avro)%s%s%s"),
             b.feed->department->code, b.feed->code, o->period, res->rows_total,
             res->rows_accepted, res->rows_rejected, res->rows_total, res->batch_id, secs,
             secs > 0 ? res->rows_total / secs : 0.0,
             secs > 0 ? res->bytes_in / 1e6 / secs : 0.0, (unsigned long long)res->payload_bytes,
             res->rejects_path[0] ? _("; rejects in ") : "",
             res->rejects_path[0] ? res->rejects_path : "", dated_before);
  } else if (rc == RH_EXIT_ALREADY_DONE) {
    char what[4096];
    produce_published_describe(&res->published, what, sizeof(what));
    snprintf(res->summary, sizeof(res->summary),
             _("%s/%s %s: already published, nothing sent: batch %.12s (the same file for the same "
             "feed and month) was %s; to send it again anyway, use --republish"),
             b.feed->department->code, b.feed->code, o->period, res->batch_id, what);
  } else if (b.feed) {
    snprintf(res->summary, sizeof(res->summary), _("%s/%s %s: NOT published: %.900s"),
             b.feed->department->code, b.feed->code, o->period, res->error);
  }
  rh_producer_destroy(b.producer);
  rh_sign_key_free(b.key);
  rh_manifest_keys_free(b.keys);
  if (b.records.h) rh_manifest_records_end(&b.records, b.records_sha256);
  free(b.delivery.ranges);
  rh_csv_close(csv);
  produce_feedrow_map_free(&map);
  produce_feedrow_free(&row);
  rh_feedrecord_codec_free(&b.fr);
  if (b.have_fr_val) avro_value_decref(&b.fr_val);
  if (b.have_rj_val) avro_value_decref(&b.rj_val);
  if (b.have_bm_val) avro_value_decref(&b.bm_val);
  rh_avro_buf_free(&b.buf);
  if (spooled[0]) unlink(spooled);
  return rc;
}
