/* ledger_batch: see ledger_batch.h and docs/ledger.md. */
#include "ledger_batch.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_arrays.h"
#include "ledger_steps.h"
#include "ledger_withdraw.h"
#include "rh_alert.h"
#include "rh_avro_codec.h"
#include "rh_avro_value.h"
#include "rh_err.h"
#include "rh_manifest.h"
#include "rh_pg.h"

enum { W_ALERT, W_HOUSEHOLD, W_TOWNSHIP, W_PERIOD, W_RISK, W_RULE, W_RAISED, W_DEPT, W_FEED,
       W_NCOL };
enum { U_ALERT, U_PERIOD, U_RISK, U_RAISED, U_NCOL };
/* list_manifests: where the message was, then the BatchManifest's fields */
enum { M_TOPIC, M_PART, M_OFFSET, M_BATCH, M_DEPT, M_FEED, M_KIND, M_PERIOD, M_SNAME, M_SSHA,
       M_TOTAL, M_ACCEPTED, M_REJECTED, M_STARTED, M_FINISHED, M_PRODUCER, M_NCOL };
static const char *const MANIFEST_FIELDS[] = {
    "batch_id",      "department",    "feed",          "kind",       "period",
    "source_name",   "source_sha256", "rows_total",    "rows_accepted",
    "rows_rejected", "started_at",    "finished_at",   "producer"};
#define MANIFEST_NFIELDS (M_NCOL - M_BATCH)
enum {
  C_ID, C_PERIOD, C_TOWNSHIP, C_HOUSEHOLD, C_MEMBER, C_DEPT, C_FEED, C_MATCHED, C_FACTS,
  C_COMPLETE, C_MISSING, C_STOPIC, C_SPART, C_SOFFSET, C_CREATED, C_SUPERSEDES, C_NCOL
};
static const char *const CHECK_FIELDS[] = {"check_id", "period", "township_code", "household_id",
                                           "member_id_number", "department", "feed", "matched",
                                           "facts", "complete", "missing_departments", "source",
                                           "created_at", "supersedes"};
enum { F_ID, F_PERIOD, F_TOWNSHIP, F_HOUSEHOLD, F_MEMBER, F_DEPT, F_FEED, F_MATCHED, F_FACTS,
       F_COMPLETE, F_MISSING, F_SOURCE, F_CREATED, F_SUPERSEDES, F_COUNT };

struct ledger_batch {
  const rh_config_t *cfg;
  rh_avro_decoder_t *dec;
  const rh_avro_schema_t *alert_schema, *check_schema, *manifest_schema;
  rh_alert_codec_t alc;
  bool alc_ready;
  avro_value_t alv, chv, mav;
  bool alv_ready, chv_ready, mav_ready;
  int cidx[F_COUNT], midx[MANIFEST_NFIELDS];
  char alerts_prefix[256], checks_prefix[256], unmatched_topic[256];
  ledger_arrays_t warnings, checks, unmatched, manifests;
  ledger_offsets_t spans;
  size_t records;
  ledger_sbuf_t scratch; /* a check's missing_departments literal */
  rh_manifest_keys_t *keys; /* the departments' public keys (signed lists) */
  ledger_steps_t *steps;    /* verifications.<township> */
  ledger_withdraw_t *wd;    /* the join's withdrawals (ledger_withdraw.h) */
};

void ledger_batch_destroy(ledger_batch_t *b) {
  if (!b) return;
  if (b->alv_ready) avro_value_decref(&b->alv);
  if (b->chv_ready) avro_value_decref(&b->chv);
  if (b->mav_ready) avro_value_decref(&b->mav);
  if (b->alc_ready) rh_alert_codec_free(&b->alc);
  rh_avro_decoder_destroy(b->dec);
  ledger_arrays_free(&b->warnings);
  ledger_arrays_free(&b->checks);
  ledger_arrays_free(&b->unmatched);
  ledger_arrays_free(&b->manifests);
  ledger_offsets_free(&b->spans);
  rh_manifest_keys_free(b->keys);
  ledger_steps_destroy(b->steps);
  ledger_withdraw_destroy(b->wd);
  free(b->scratch.data);
  free(b);
}

ledger_batch_t *ledger_batch_new(const rh_config_t *cfg, const rh_avro_schemas_t *schemas,
                                 char *errstr, size_t errstr_size) {
  ledger_batch_t *b = calloc(1, sizeof *b);
  if (!b) {
    rh_errf(errstr, errstr_size, "out of memory");
    return NULL;
  }
  b->cfg = cfg;
  ledger_arrays_init(&b->warnings, W_NCOL);
  ledger_arrays_init(&b->checks, C_NCOL);
  ledger_arrays_init(&b->unmatched, U_NCOL);
  ledger_arrays_init(&b->manifests, M_NCOL);
  ledger_offsets_init(&b->spans);
  rh_config_topic(cfg, "alerts.", b->alerts_prefix, sizeof b->alerts_prefix);
  rh_config_topic(cfg, "checks.", b->checks_prefix, sizeof b->checks_prefix);
  rh_config_topic(cfg, "alerts.unmatched", b->unmatched_topic, sizeof b->unmatched_topic);
  b->alert_schema = rh_avro_schemas_get(schemas, "riskhub.Alert");
  b->check_schema = rh_avro_schemas_get(schemas, "riskhub.CheckResult");
  b->manifest_schema = rh_avro_schemas_get(schemas, "riskhub.BatchManifest");
  if (!b->alert_schema || !b->check_schema || !b->manifest_schema) {
    rh_errf(errstr, errstr_size, "the schemas hold no riskhub.%s",
            !b->alert_schema ? "Alert" : !b->check_schema ? "CheckResult" : "BatchManifest");
    goto fail;
  }
  if (!(b->dec = rh_avro_decoder_new(schemas))) {
    rh_errf(errstr, errstr_size, "out of memory");
    goto fail;
  }
  if (!(b->keys = rh_manifest_keys_load(cfg, errstr, errstr_size))) goto fail;
  if (!(b->steps = ledger_steps_new(cfg, schemas, errstr, errstr_size))) goto fail;
  if (!(b->wd = ledger_withdraw_new())) {
    rh_errf(errstr, errstr_size, "out of memory");
    goto fail;
  }
  if (rh_alert_codec_init(&b->alc, b->alert_schema, errstr, errstr_size)) goto fail;
  b->alc_ready = true;
  if (rh_avro_schema_value_new(b->alert_schema, &b->alv, errstr, errstr_size)) goto fail;
  b->alv_ready = true;
  if (rh_avro_schema_value_new(b->check_schema, &b->chv, errstr, errstr_size)) goto fail;
  b->chv_ready = true;
  if (rh_avro_schema_value_new(b->manifest_schema, &b->mav, errstr, errstr_size)) goto fail;
  b->mav_ready = true;
  if (rh_avro_field_indexes(b->check_schema->schema, CHECK_FIELDS, b->cidx, F_COUNT, errstr,
                            errstr_size) ||
      rh_avro_field_indexes(b->manifest_schema->schema, MANIFEST_FIELDS, b->midx,
                            MANIFEST_NFIELDS, errstr, errstr_size))
    goto fail;
  return b;
fail:
  ledger_batch_destroy(b);
  return NULL;
}

static bool starts(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int add_alert(ledger_batch_t *b, const char *topic, int32_t partition, int64_t offset,
                     const void *value, size_t len, bool unmatched, char *why, size_t why_size) {
  char err[512];
  rh_alert_t a;
  rh_avro_status_t st =
      rh_avro_decode(b->dec, value, len, b->alert_schema, &b->alv, NULL, err, sizeof err);
  if (st != RH_AVRO_OK || rh_alert_from_value(&b->alc, &b->alv, &a, err, sizeof err)) {
    rh_errf(why, why_size, "not an Alert: %s", err);
    return LEDGER_ROW_SKIPPED;
  }
  if (a.withdraws) { /* a withdrawal of a corrected list (docs/join.md, "Corrections") */
    int r = ledger_withdraw_add(b->wd, &a, unmatched, topic, partition, offset, why, why_size);
    return r < 0 ? -1 : r ? LEDGER_ROW_SKIPPED : LEDGER_ROW_WITHDRAWAL;
  }
  char raised[24];
  snprintf(raised, sizeof raised, "%" PRId64, a.created_at);
  if (unmatched) {
    if (!a.alert_id || !*a.alert_id || !a.period || !a.risk) {
      rh_errf(why, why_size, "an unmatched alert without an id, period or risk");
      return LEDGER_ROW_SKIPPED;
    }
    const char *u[U_NCOL] = {a.alert_id, a.period, a.risk, raised};
    return ledger_arrays_add(&b->unmatched, u) ? -1 : LEDGER_ROW_UNMATCHED;
  }
  if (!a.household_id || !a.township_code || !a.alert_id || !*a.alert_id) {
    rh_errf(why, why_size, "an alert without a household (situation %s)",
            a.situation ? a.situation : "?");
    return LEDGER_ROW_SKIPPED;
  }
  /* the list that raised it (migration 011; empty: NULL, counted "unknown") */
  const char *v[W_NCOL] = {a.alert_id, a.household_id, a.township_code,
                           a.period,   a.risk,         a.rule_id, raised,
                           a.department && *a.department ? a.department : NULL,
                           a.feed && *a.feed ? a.feed : NULL};
  if (ledger_arrays_add(&b->warnings, v)) return -1;
  return LEDGER_ROW_WARNING;
}

/* The CheckResult's facts as a JSON object (malloc'd), NULL with why. */
static char *facts_json(avro_value_t *map, char *why, size_t why_size) {
  size_t n = 0;
  avro_value_get_size(map, &n);
  json_t *o = json_object();
  for (size_t i = 0; o && i < n; i++) {
    avro_value_t child;
    const char *key, *s = NULL;
    size_t sl = 0;
    if (avro_value_get_by_index(map, i, &child, &key) || avro_value_get_string(&child, &s, &sl) ||
        json_object_set_new(o, key, json_string(s ? s : ""))) {
      json_decref(o);
      rh_errf(why, why_size, "a fact that is not valid UTF-8 text");
      return NULL;
    }
  }
  char *out = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  json_decref(o);
  if (!out) rh_errf(why, why_size, "out of memory");
  return out;
}

static int add_check(ledger_batch_t *b, const void *value, size_t len, char *why, size_t why_size) {
  char err[512];
  const int *ix = b->cidx;
  avro_value_t *v = &b->chv;
  if (rh_avro_decode(b->dec, value, len, b->check_schema, v, NULL, err, sizeof err) != RH_AVRO_OK) {
    rh_errf(why, why_size, "not a CheckResult: %s", err);
    return LEDGER_ROW_SKIPPED;
  }
  const char *s[F_COUNT] = {0};
  size_t sl;
  bool matched = false, complete = false;
  int64_t created = 0;
  for (int f = F_ID; f <= F_FEED; f++)
    if (rh_avro_get_str(v, ix[f], &s[f], &sl) || !s[f] || !*s[f]) {
      rh_errf(why, why_size, "a CheckResult without %s", CHECK_FIELDS[f]);
      return LEDGER_ROW_SKIPPED;
    }
  if (rh_avro_get_bool(v, ix[F_MATCHED], &matched) || rh_avro_get_bool(v, ix[F_COMPLETE], &complete) ||
      rh_avro_get_long(v, ix[F_CREATED], NULL, &created)) {
    rh_errf(why, why_size, "a CheckResult without matched, complete or created_at");
    return LEDGER_ROW_SKIPPED;
  }
  /* supersedes: ["null", string] (issue 11; null in records written before) */
  const char *sup = NULL;
  if (rh_avro_get_str(v, ix[F_SUPERSEDES], &sup, &sl)) sup = NULL;
  if (sup && !*sup) sup = NULL;
  /* source: ["null", Lineage] */
  char spart[16] = "", soff[24] = "";
  const char *stopic = NULL;
  avro_value_t src, branch;
  int disc = 0;
  if (avro_value_get_by_index(v, (size_t)ix[F_SOURCE], &src, NULL) == 0 &&
      avro_value_get_discriminant(&src, &disc) == 0 && disc == 1 &&
      avro_value_get_current_branch(&src, &branch) == 0) {
    avro_value_t f;
    int32_t p = 0;
    int64_t o = 0;
    size_t tl;
    if (avro_value_get_by_name(&branch, "topic", &f, NULL) == 0) avro_value_get_string(&f, &stopic, &tl);
    if (avro_value_get_by_name(&branch, "partition", &f, NULL) == 0) avro_value_get_int(&f, &p);
    if (avro_value_get_by_name(&branch, "offset", &f, NULL) == 0) avro_value_get_long(&f, &o);
    snprintf(spart, sizeof spart, "%d", (int)p);
    snprintf(soff, sizeof soff, "%" PRId64, o);
  }
  /* missing_departments: a text[] literal inside one element */
  avro_value_t arr;
  size_t n = 0;
  b->scratch.len = 0;
  if (ledger_sbuf_put(&b->scratch, "{", 1)) return -1;
  if (avro_value_get_by_index(v, (size_t)ix[F_MISSING], &arr, NULL) == 0 &&
      avro_value_get_size(&arr, &n) == 0)
    for (size_t i = 0; i < n; i++) {
      avro_value_t e;
      const char *es = NULL;
      if (avro_value_get_by_index(&arr, i, &e, NULL) == 0 &&
          avro_value_get_string(&e, &es, &sl) == 0 && ledger_sbuf_element(&b->scratch, es, i == 0))
        return -1;
    }
  if (ledger_sbuf_put(&b->scratch, "}", 1)) return -1;
  avro_value_t map;
  char *facts = NULL;
  if (avro_value_get_by_index(v, (size_t)ix[F_FACTS], &map, NULL) ||
      !(facts = facts_json(&map, why, why_size)))
    return LEDGER_ROW_SKIPPED;
  char created_s[24];
  snprintf(created_s, sizeof created_s, "%" PRId64, created);
  const char *row[C_NCOL] = {s[F_ID],  s[F_PERIOD], s[F_TOWNSHIP], s[F_HOUSEHOLD], s[F_MEMBER],
                             s[F_DEPT], s[F_FEED],  matched ? "t" : "f", facts,
                             complete ? "t" : "f", b->scratch.data, stopic,
                             stopic ? spart : NULL, stopic ? soff : NULL, created_s, sup};
  int rc = ledger_arrays_add(&b->checks, row);
  free(facts);
  return rc ? -1 : LEDGER_ROW_CHECK;
}

/* A BatchManifest of a department's manifests topic: a list_manifests row
 * keyed by where it was. */
static int add_manifest(ledger_batch_t *b, const char *topic, int32_t partition, int64_t offset,
                        const void *value, size_t len, char *why, size_t why_size) {
  char err[512];
  avro_value_t *v = &b->mav;
  if (rh_avro_decode(b->dec, value, len, b->manifest_schema, v, NULL, err, sizeof err) !=
      RH_AVRO_OK) {
    rh_errf(why, why_size, "not a BatchManifest: %s", err);
    return LEDGER_ROW_SKIPPED;
  }
  /* only a list its department signed is in the ledger (a forged manifest
   * turned a late list on time in the reports, issue 12); one of no feed of
   * the configuration is kept, as before (the reports name and skip it) */
  int refused = 0;
  size_t dl, fl;
  const char *dept = NULL, *feed = NULL;
  if (rh_avro_get_str(v, b->midx[M_DEPT - M_BATCH], &dept, &dl) ||
      rh_avro_get_str(v, b->midx[M_FEED - M_BATCH], &feed, &fl) || !dept || !feed) {
    rh_errf(why, why_size, "a BatchManifest without department or feed");
    return LEDGER_ROW_SKIPPED;
  }
  if (rh_config_feed_find(b->cfg, dept, feed))
    refused = rh_manifest_check(b->keys, v, topic, err, sizeof err);
  if (refused < 0) return -1;
  if (refused) {
    rh_errf(why, why_size, "manifest refused: %s", err);
    return LEDGER_ROW_SKIPPED;
  }
  char nums[6][24], part[16], off[24];
  const char *row[M_NCOL] = {topic, part, off};
  snprintf(part, sizeof part, "%d", (int)partition);
  snprintf(off, sizeof off, "%" PRId64, offset);
  for (int f = M_BATCH; f < M_NCOL; f++) {
    int ix = b->midx[f - M_BATCH];
    size_t sl;
    if (f >= M_TOTAL && f <= M_FINISHED) {
      int64_t x = 0;
      if (rh_avro_get_long(v, ix, NULL, &x)) goto missing;
      snprintf(nums[f - M_TOTAL], sizeof nums[0], "%" PRId64, x);
      row[f] = nums[f - M_TOTAL];
    } else if (rh_avro_get_str(v, ix, &row[f], &sl) || !row[f] ||
               (f <= M_PERIOD && !*row[f])) {
      goto missing;
    }
    continue;
  missing:
    rh_errf(why, why_size, "a BatchManifest without %s", MANIFEST_FIELDS[f - M_BATCH]);
    return LEDGER_ROW_SKIPPED;
  }
  return ledger_arrays_add(&b->manifests, row) ? -1 : LEDGER_ROW_MANIFEST;
}

int ledger_batch_add(ledger_batch_t *b, const char *topic, int32_t partition, int64_t offset,
                     const void *value, size_t len, char *why, size_t why_size) {
  int kind;
  if (rh_config_topic_class(b->cfg->topic_prefix, topic) == RH_TOPIC_MANIFESTS)
    kind = add_manifest(b, topic, partition, offset, value, len, why, why_size);
  else if (strcmp(topic, b->unmatched_topic) == 0)
    kind = add_alert(b, topic, partition, offset, value, len, true, why, why_size);
  else if (starts(topic, b->alerts_prefix))
    kind = add_alert(b, topic, partition, offset, value, len, false, why, why_size);
  else if (starts(topic, b->checks_prefix))
    kind = add_check(b, value, len, why, why_size);
  else if (rh_config_topic_class(b->cfg->topic_prefix, topic) == RH_TOPIC_VERIFICATIONS) {
    int r = ledger_steps_add(b->steps, b->dec, topic, partition, offset, value, len, why,
                             why_size);
    kind = r < 0 ? -1 : r ? LEDGER_ROW_SKIPPED : LEDGER_ROW_STEP;
  } else {
    rh_errf(why, why_size, "not a topic of the ledger");
    kind = LEDGER_ROW_SKIPPED;
  }
  if (kind < 0 || ledger_offsets_span(&b->spans, topic, partition, offset)) return -1;
  b->records++;
  return kind;
}

size_t ledger_batch_records(const ledger_batch_t *b) { return b->records; }

const ledger_offsets_t *ledger_batch_spans(const ledger_batch_t *b) { return &b->spans; }

void ledger_batch_clear(ledger_batch_t *b) {
  ledger_arrays_clear(&b->warnings);
  ledger_arrays_clear(&b->checks);
  ledger_arrays_clear(&b->unmatched);
  ledger_arrays_clear(&b->manifests);
  ledger_steps_clear(b->steps);
  ledger_withdraw_clear(b->wd);
  ledger_offsets_clear(&b->spans);
  b->records = 0;
}

/* The deadlines count from the push (the Alert's created_at), in the county's
 * days (UTC+08:00, as every program's "today"), not from when the ledger took
 * the row: a ledger a day behind must not give the township a day more. */
#define WARNINGS_SQL                                                                        \
  "INSERT INTO warnings (alert_id, household_id, township_code, period, risk, rule_id, "    \
  "raised_at, department, feed, visit_due, comparison_due) "                                \
  "SELECT a, h, t, p, r, ru, to_timestamp(ra::bigint / 1000.0), d, f, "                     \
  "(to_timestamp(ra::bigint / 1000.0) AT TIME ZONE INTERVAL '+08:00')::date + $10::int, "  \
  "(to_timestamp(ra::bigint / 1000.0) AT TIME ZONE INTERVAL '+08:00')::date + $11::int "    \
  "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], "    \
  "$7::text[], $8::text[], $9::text[]) AS u(a, h, t, p, r, ru, ra, d, f) "                  \
  "ON CONFLICT (alert_id) DO NOTHING"

#define UNMATCHED_SQL                                                                       \
  "INSERT INTO unmatched_alerts (alert_id, period, risk, raised_at) "                        \
  "SELECT a, p, r, to_timestamp(ra::bigint / 1000.0) "                                       \
  "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS u(a, p, r, ra) "           \
  "ON CONFLICT (alert_id) DO NOTHING"

#define MANIFESTS_SQL                                                                       \
  "INSERT INTO list_manifests (topic, partition, \"offset\", batch_id, department, feed, "   \
  "kind, period, source_name, source_sha256, rows_total, rows_accepted, rows_rejected, "     \
  "started_at, finished_at, producer) "                                                      \
  "SELECT t, pa::int, o::bigint, b, d, f, k, pe, sn, ss, rt::bigint, ra::bigint, rr::bigint, " \
  "to_timestamp(sa::bigint / 1000.0), to_timestamp(fi::bigint / 1000.0), pr "                 \
  "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], "      \
  "$7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], "  \
  "$14::text[], $15::text[], $16::text[]) "                                                   \
  "AS u(t, pa, o, b, d, f, k, pe, sn, ss, rt, ra, rr, sa, fi, pr) "                           \
  "ON CONFLICT (topic, partition, \"offset\") DO NOTHING"

#define CHECKS_SQL                                                                            \
  "INSERT INTO check_results (check_id, period, township_code, household_id, "                \
  "member_id_number, department, feed, matched, facts, complete, missing_departments, "       \
  "source_topic, source_partition, source_offset, created_at, supersedes) "                   \
  "SELECT c, p, t, h, m, d, f, ma::boolean, fa::jsonb, co::boolean, mi::text[], st, "          \
  "sp::int, so::bigint, to_timestamp(ca::bigint / 1000.0), su "                               \
  "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], "       \
  "$7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], "   \
  "$14::text[], $15::text[], $16::text[]) "                                                   \
  "AS u(c, p, t, h, m, d, f, ma, fa, co, mi, st, sp, so, ca, su) "                            \
  "ON CONFLICT (check_id) DO NOTHING"

/* One INSERT of every row of a; *inserted += rows it inserted. */
static int insert(PGconn *pg, ledger_arrays_t *a, const char *sql, const char *const *extra,
                  int nextra, uint64_t *inserted, char *errstr, size_t errstr_size) {
  if (a->rows == 0) return 0;
  const char *params[LEDGER_ARRAYS_MAX_COLS + 2];
  for (int i = 0; i < a->ncol; i++)
    if (!(params[i] = ledger_arrays_literal(a, i))) {
      rh_errf(errstr, errstr_size, "out of memory");
      return -1;
    }
  for (int i = 0; i < nextra; i++) params[a->ncol + i] = extra[i];
  PGresult *r = rh_pg_exec_params(pg, sql, a->ncol + nextra, params, errstr, errstr_size);
  if (!r) return -1;
  *inserted += strtoull(PQcmdTuples(r), NULL, 10);
  PQclear(r);
  return 0;
}

ledger_write_t ledger_batch_write(ledger_batch_t *b, PGconn *pg, const char *consumer,
                                  ledger_written_t *w, char *errstr, size_t errstr_size) {
  memset(w, 0, sizeof *w);
  char visit[16], comparison[16];
  snprintf(visit, sizeof visit, "%d", b->cfg->deadlines.home_visit_days);
  snprintf(comparison, sizeof comparison, "%d", b->cfg->deadlines.comparison_days);
  const char *deadlines[2] = {visit, comparison};
  /* the batch's alert ids, for the withdrawals that came before them */
  const char *ids = b->warnings.rows ? ledger_arrays_literal(&b->warnings, 0) : NULL;
  if (b->warnings.rows && !ids) {
    rh_errf(errstr, errstr_size, "out of memory");
    return LEDGER_WRITE_ERROR;
  }
  /* the batch's unmatched alert ids, for their withdrawals held */
  const char *uids = b->unmatched.rows ? ledger_arrays_literal(&b->unmatched, 0) : NULL;
  if (b->unmatched.rows && !uids) {
    rh_errf(errstr, errstr_size, "out of memory");
    return LEDGER_WRITE_ERROR;
  }
  if (rh_pg_exec(pg, "BEGIN", errstr, errstr_size)) return LEDGER_WRITE_ERROR;
  int stored = -1;
  if (insert(pg, &b->warnings, WARNINGS_SQL, deadlines, 2, &w->warnings, errstr, errstr_size) ||
      /* steps, then withdrawals, that came before their alert, in an earlier
       * batch (the order of a batch: a withdrawal does not undo an outcome) */
      (ids && ledger_steps_apply_held(pg, ids, &w->steps_late, errstr, errstr_size)) ||
      (ids && ledger_withdraw_apply_held(pg, ids, &w->withdrawn_late, errstr, errstr_size)) ||
      insert(pg, &b->checks, CHECKS_SQL, NULL, 0, &w->checks, errstr, errstr_size) ||
      insert(pg, &b->unmatched, UNMATCHED_SQL, NULL, 0, &w->unmatched, errstr, errstr_size) ||
      (uids && ledger_withdraw_apply_held_unmatched(pg, uids, &w->withdrawn_late, errstr,
                                                    errstr_size)) ||
      insert(pg, &b->manifests, MANIFESTS_SQL, NULL, 0, &w->manifests, errstr, errstr_size) ||
      /* after the warnings: a step may name a warning of this very batch */
      ledger_steps_write(b->steps, pg, &w->steps, &w->steps_refused, errstr, errstr_size) ||
      /* after the steps: a withdrawal does not undo an outcome given */
      ledger_withdraw_write(b->wd, pg, &w->withdrawn, &w->withdraw_refused, errstr,
                            errstr_size) ||
      (stored = ledger_offsets_store(&b->spans, pg, consumer, errstr, errstr_size)) != 0) {
    char ignored[256];
    if (!rh_pg_connection_lost(pg)) rh_pg_exec(pg, "ROLLBACK", ignored, sizeof ignored);
    memset(w, 0, sizeof *w);
    return stored == 1 ? LEDGER_WRITE_REFUSED : LEDGER_WRITE_ERROR;
  }
  if (rh_pg_exec(pg, "COMMIT", errstr, errstr_size)) {
    memset(w, 0, sizeof *w);
    return LEDGER_WRITE_ERROR;
  }
  w->existing = b->warnings.rows + b->checks.rows + b->unmatched.rows + b->manifests.rows +
                ledger_steps_rows(b->steps) + ledger_withdraw_rows(b->wd) - w->warnings -
                w->checks - w->unmatched - w->manifests - w->steps - w->withdrawn;
  return LEDGER_WRITE_OK;
}
