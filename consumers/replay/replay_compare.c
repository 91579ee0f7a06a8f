/* replay_compare: see replay_compare.h. */
#include "replay_compare.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay_wire.h"
#include "rh_avro_codec.h"
#include "rh_avro_value.h"
#include "rh_err.h"
#include "rh_log.h"

#define MAX_FIELDS 64

/* What the comparison needs to know about one record type. */
typedef struct {
  const rh_avro_schema_t *schema;
  avro_value_t pub, exp;       /* decoded published / expected, current schema */
  int i_id, i_person, i_rule, i_household, i_dept, i_feed, i_period, i_source, i_created;
  size_t nfields;
  bool ignore[MAX_FIELDS];     /* never compared */
  bool personal[MAX_FIELDS];   /* compared, values never shown */
} kind_t;

/* The fields the report needs from one record (pointers into its value). */
typedef struct {
  const char *id, *person, *rule, *household, *dept, *feed, *period;
  bool has_source;
  const char *src_topic, *src_batch;
  int32_t src_partition;
  int64_t src_offset;
  int64_t created_at;
} view_t;

struct replay_compare {
  replay_store_t *store;
  replay_report_t *rep;
  replay_batches_t *batches;
  replay_expect_t *expect;
  char period[8];
  const char *dept, *feed;
  const rh_avro_schemas_t *schemas;
  rh_avro_decoder_t *dec;
  kind_t k[2]; /* REPLAY_OUT_ALERT, REPLAY_OUT_CHECK */
};

static int index_of(const rh_avro_schema_t *s, const char *name) {
  return rh_avro_field_index(s->schema, name);
}

static bool in_list(const char *name, const char *const *list) {
  for (; *list; list++)
    if (strcmp(name, *list) == 0) return true;
  return false;
}

static int kind_init(kind_t *k, const rh_avro_schemas_t *schemas, const char *fullname,
                     const char *id, const char *person, const char *rule,
                     const char *const *ignore, const char *const *personal, char *errstr,
                     size_t errstr_size) {
  k->schema = rh_avro_schemas_get(schemas, fullname);
  if (!k->schema) {
    rh_errf(errstr, errstr_size, "the schemas lack %s", fullname);
    return -1;
  }
  k->i_id = index_of(k->schema, id);
  k->i_person = index_of(k->schema, person);
  k->i_rule = rule ? index_of(k->schema, rule) : -1;
  k->i_household = index_of(k->schema, "household_id");
  k->i_dept = index_of(k->schema, "department");
  k->i_feed = index_of(k->schema, "feed");
  k->i_period = index_of(k->schema, "period");
  k->i_source = index_of(k->schema, "source");
  k->i_created = index_of(k->schema, "created_at");
  if (k->i_id < 0 || k->i_person < 0 || (rule && k->i_rule < 0) || k->i_household < 0 ||
      k->i_dept < 0 || k->i_feed < 0 || k->i_period < 0 || k->i_source < 0 ||
      k->i_created < 0) {
    rh_errf(errstr, errstr_size, "%s lacks a field the replay reads", fullname);
    return -1;
  }
  k->nfields = avro_schema_record_size(k->schema->schema);
  if (k->nfields > MAX_FIELDS) {
    rh_errf(errstr, errstr_size, "%s has more than %d fields", fullname, MAX_FIELDS);
    return -1;
  }
  for (size_t i = 0; i < k->nfields; i++) {
    const char *name = avro_schema_record_field_name(k->schema->schema, (int)i);
    k->ignore[i] = in_list(name, ignore);
    k->personal[i] = in_list(name, personal);
  }
  return rh_avro_schema_value_new(k->schema, &k->pub, errstr, errstr_size) ||
                 rh_avro_schema_value_new(k->schema, &k->exp, errstr, errstr_size)
             ? -1
             : 0;
}

static void kind_free(kind_t *k) {
  if (k->pub.iface) avro_value_decref(&k->pub);
  if (k->exp.iface) avro_value_decref(&k->exp);
}

replay_compare_t *replay_compare_new(const rh_config_t *cfg, const rh_avro_schemas_t *schemas,
                                     replay_report_t *rep, replay_batches_t *batches,
                                     replay_expect_t *expect,
                                     const char *period, const char *dept, const char *feed,
                                     char *errstr, size_t errstr_size) {
  static const char *const alert_ignore[] = {"created_at", NULL};
  static const char *const alert_personal[] = {"person_id_number", "person_name", "facts", NULL};
  static const char *const check_ignore[] = {"created_at", "complete", "missing_departments",
                                             NULL};
  static const char *const check_personal[] = {"member_id_number", "member_name", "facts", NULL};
  (void)cfg;
  replay_compare_t *c = calloc(1, sizeof *c);
  if (!c) {
    rh_errf(errstr, errstr_size, "out of memory");
    return NULL;
  }
  c->schemas = schemas;
  c->rep = rep;
  c->batches = batches;
  c->expect = expect;
  snprintf(c->period, sizeof c->period, "%s", period);
  c->dept = dept;
  c->feed = feed;
  if (kind_init(&c->k[REPLAY_OUT_ALERT], schemas, "riskhub.Alert", "alert_id",
                "person_id_number", "rule_id", alert_ignore, alert_personal, errstr,
                errstr_size) ||
      kind_init(&c->k[REPLAY_OUT_CHECK], schemas, "riskhub.CheckResult", "check_id",
                "member_id_number", NULL, check_ignore, check_personal, errstr, errstr_size)) {
    replay_compare_destroy(c);
    return NULL;
  }
  if (!(c->dec = rh_avro_decoder_new(schemas))) {
    rh_errf(errstr, errstr_size, "out of memory");
    replay_compare_destroy(c);
    return NULL;
  }
  return c;
}

void replay_compare_destroy(replay_compare_t *c) {
  if (!c) return;
  kind_free(&c->k[0]);
  kind_free(&c->k[1]);
  rh_avro_decoder_destroy(c->dec);
  free(c);
}

/* ---- reading a decoded record ---- */

static const char *str_at(avro_value_t *v, int idx) {
  const char *s = NULL;
  size_t n;
  if (idx < 0 || rh_avro_get_str(v, idx, &s, &n)) return NULL;
  return s;
}

static void view_of(const kind_t *k, avro_value_t *v, view_t *out) {
  memset(out, 0, sizeof *out);
  out->src_partition = -1;
  out->src_offset = -1;
  out->created_at = -1;
  out->id = str_at(v, k->i_id);
  out->person = str_at(v, k->i_person);
  out->rule = k->i_rule >= 0 ? str_at(v, k->i_rule) : NULL;
  out->household = str_at(v, k->i_household);
  out->dept = str_at(v, k->i_dept);
  out->feed = str_at(v, k->i_feed);
  out->period = str_at(v, k->i_period);
  int64_t ca;
  if (rh_avro_get_long(v, k->i_created, NULL, &ca) == 0) out->created_at = ca;
  avro_value_t f, src, x;
  if (avro_value_get_by_index(v, (size_t)k->i_source, &f, NULL)) return;
  if (avro_value_get_type(&f) == AVRO_UNION) {
    int disc = 0;
    if (avro_value_get_discriminant(&f, &disc) || avro_value_get_current_branch(&f, &src) ||
        avro_value_get_type(&src) != AVRO_RECORD)
      return;
  } else {
    src = f;
  }
  const char *s;
  size_t n;
  int32_t p;
  int64_t o;
  out->has_source = true;
  if (avro_value_get_by_name(&src, "topic", &x, NULL) == 0 &&
      avro_value_get_string(&x, &s, &n) == 0)
    out->src_topic = s;
  if (avro_value_get_by_name(&src, "batch_id", &x, NULL) == 0 &&
      avro_value_get_string(&x, &s, &n) == 0)
    out->src_batch = s;
  if (avro_value_get_by_name(&src, "partition", &x, NULL) == 0 && avro_value_get_int(&x, &p) == 0)
    out->src_partition = p;
  if (avro_value_get_by_name(&src, "offset", &x, NULL) == 0 && avro_value_get_long(&x, &o) == 0)
    out->src_offset = o;
}

/* Text of a scalar value (strings, numbers, booleans, null, their unions);
 * false for records, maps, arrays. */
static bool scalar_text(avro_value_t *v, char *out, size_t size) {
  switch (avro_value_get_type(v)) {
  case AVRO_UNION: {
    avro_value_t b;
    if (avro_value_get_current_branch(v, &b)) return false;
    return scalar_text(&b, out, size);
  }
  case AVRO_NULL:
    snprintf(out, size, "null");
    return true;
  case AVRO_STRING: {
    const char *s;
    size_t n;
    if (avro_value_get_string(v, &s, &n)) return false;
    snprintf(out, size, "%s", s);
    return true;
  }
  case AVRO_BOOLEAN: {
    int b;
    if (avro_value_get_boolean(v, &b)) return false;
    snprintf(out, size, "%s", b ? "true" : "false");
    return true;
  }
  case AVRO_INT32: {
    int32_t i;
    if (avro_value_get_int(v, &i)) return false;
    snprintf(out, size, "%" PRId32, i);
    return true;
  }
  case AVRO_INT64: {
    int64_t l;
    if (avro_value_get_long(v, &l)) return false;
    snprintf(out, size, "%" PRId64, l);
    return true;
  }
  default:
    return false;
  }
}

/* ---- differences ---- */

static int set_where(replay_where_t *w, const char *topic, int32_t partition, int64_t offset,
                     const char *batch) {
  w->partition = partition;
  w->offset = offset;
  return replay_report_set(&w->topic, topic) || replay_report_set(&w->batch_id, batch);
}

static int from_published(replay_diff_t *d, const view_t *pv, const rh_msg_t *m) {
  d->created_at = pv->created_at;
  d->reference_ms = pv->created_at;
  return replay_report_set(&d->household_published, pv->household) ||
         set_where(&d->published, m->topic, m->partition, m->offset, NULL);
}

static int from_expected(replay_diff_t *d, const view_t *ev) {
  return replay_report_set(&d->person, ev->person) || replay_report_set(&d->rule, ev->rule) ||
         replay_report_set(&d->household_expected, ev->household) ||
         (ev->has_source &&
          set_where(&d->source, ev->src_topic, ev->src_partition, ev->src_offset, ev->src_batch));
}

/* The entry of an id in the expect's stores, and its store. */
static replay_entry_t *find(replay_compare_t *c, const char *id, size_t idlen,
                            replay_store_t **store) {
  size_t n = replay_expect_shards(c->expect);
  for (size_t i = 0; i < n; i++) {
    replay_store_t *s = replay_expect_store(c->expect, i);
    replay_entry_t *e = replay_store_find(s, id, idlen);
    if (e) {
      *store = s;
      return e;
    }
  }
  return NULL;
}

static int decode_expected(replay_compare_t *c, kind_t *k, replay_store_t *store,
                           const replay_entry_t *e, view_t *ev, char *errstr,
                           size_t errstr_size) {
  char why[256];
  if (rh_avro_decode(c->dec, replay_store_bytes(store, e), e->len, k->schema, &k->exp, NULL,
                     why, sizeof why) != RH_AVRO_OK) {
    rh_errf(errstr, errstr_size, "decoding an expected %s again: %s", k->schema->fullname, why);
    return -1;
  }
  view_of(k, &k->exp, ev);
  return 0;
}

/* Field by field (k->pub against k->exp); the differences into d (if not
 * NULL). The number of fields that differ, or -1 out of memory. */
static int field_diff(kind_t *k, replay_diff_t *d) {
  int n = 0;
  for (size_t i = 0; i < k->nfields; i++) {
    if (k->ignore[i]) continue;
    avro_value_t a, b;
    if (avro_value_get_by_index(&k->pub, i, &a, NULL) ||
        avro_value_get_by_index(&k->exp, i, &b, NULL))
      continue;
    if (avro_value_equal_fast(&a, &b)) continue;
    n++;
    if (!d) continue;
    char ta[256], tb[256];
    bool show = !k->personal[i] && scalar_text(&a, ta, sizeof ta) && scalar_text(&b, tb, sizeof tb);
    const char *name = avro_schema_record_field_name(k->schema->schema, (int)i);
    if (replay_report_add_change(d, name, show ? ta : NULL, show ? tb : NULL)) return -1;
  }
  return n;
}

/* A CheckResult's supersedes is set (absent in records of before issue 11). */
static bool supersedes(avro_value_t *v) {
  avro_value_t f;
  int disc = 0;
  return avro_value_get_by_name(v, "supersedes", &f, NULL) == 0 &&
         avro_value_get_discriminant(&f, &disc) == 0 && disc == 1;
}

static bool wanted(const replay_compare_t *c, const view_t *v) {
  if (!v->period || strcmp(v->period, c->period) != 0) return false;
  if (c->dept && (!v->dept || strcmp(v->dept, c->dept) != 0)) return false;
  if (c->feed && (!v->feed || strcmp(v->feed, c->feed) != 0)) return false;
  return true;
}

static int oom(char *errstr, size_t errstr_size) {
  rh_errf(errstr, errstr_size, "out of memory for the differences");
  return -1;
}

/* The optional string field name of alert is set. */
static bool has_field(avro_value_t *alert, const char *name) {
  avro_value_t f, b;
  int disc = 0;
  return avro_value_get_by_name(alert, name, &f, NULL) == 0 &&
         avro_value_get_discriminant(&f, &disc) == 0 && disc == 1 &&
         avro_value_get_current_branch(&f, &b) == 0;
}

/* An Alert with withdraws set: a corrected list's withdrawal (docs/join.md,
 * "Corrections"), which the replay does not make (it has no chain to tell a
 * correction by) — but not a merge (merged_into set: one warning per
 * person, feed and month, docs/join.md), which the transform makes in the
 * order of a person's rows; compared like an alert. */
static bool is_withdrawal(avro_value_t *alert) {
  return has_field(alert, "withdraws") && !has_field(alert, "merged_into");
}

int replay_compare_published(replay_compare_t *c, const rh_msg_t *m, bool *relevant,
                             char *errstr, size_t errstr_size) {
  if (relevant) *relevant = false;
  c->rep->published_scanned++;
  size_t idlen;
  const char *id = rh_avro_wire_first_string(m->value, m->value_len, &idlen);
  if (!id) {
    c->rep->published_unreadable++;
    return 0;
  }
  replay_store_t *store = NULL;
  replay_entry_t *e = find(c, id, idlen, &store);
  if (e && e->what == REPLAY_OUT_ALERT && __atomic_load_n(&e->seen, __ATOMIC_RELAXED) == 0 &&
      replay_wire_same_but_created_at(replay_store_bytes(store, e), e->len, m->value,
                                      m->value_len) &&
      __atomic_fetch_add(&e->seen, 1, __ATOMIC_RELAXED) == 0) {
    if (e->feed < c->rep->nfeeds) c->rep->feeds[e->feed].alerts_published++;
    if (relevant) *relevant = true;
    return 0;
  }
  /* decode it */
  uint64_t fp;
  char why[256];
  const rh_avro_schema_t *w;
  if (rh_avro_wire_peek_fingerprint(m->value, m->value_len, &fp, why, sizeof why) != RH_AVRO_OK ||
      !(w = rh_avro_schemas_by_fingerprint(c->schemas, fp))) {
    c->rep->published_unreadable++;
    return 0;
  }
  replay_out_t what;
  if (strcmp(w->fullname, "riskhub.Alert") == 0) what = REPLAY_OUT_ALERT;
  else if (strcmp(w->fullname, "riskhub.CheckResult") == 0) what = REPLAY_OUT_CHECK;
  else {
    c->rep->published_unreadable++;
    return 0;
  }
  kind_t *k = &c->k[what];
  if (rh_avro_decode(c->dec, m->value, m->value_len, k->schema, &k->pub, NULL, why, sizeof why) !=
      RH_AVRO_OK) {
    c->rep->published_unreadable++;
    rh_log_warn("%s [%d] offset %" PRId64 ": unreadable (%s)", m->topic, (int)m->partition,
                m->offset, why);
    return 0;
  }
  view_t pv;
  view_of(k, &k->pub, &pv);
  if (!wanted(c, &pv)) return 0;
  if (relevant) *relevant = true;
  if (what == REPLAY_OUT_ALERT && is_withdrawal(&k->pub)) {
    c->rep->withdrawals_published++;
    return 0;
  }
  size_t feed = replay_report_feed(c->rep, pv.dept ? pv.dept : "?", pv.feed ? pv.feed : "?");
  if (feed == (size_t)-1) return oom(errstr, errstr_size);
  /* a check result issued again (issue 11): the replay makes a list's first
   * issue only (docs/replay.md, "Check lists"); one that names the result it
   * replaces and is not among those is counted apart, not compared */
  if (what == REPLAY_OUT_CHECK && !(e && e->what == what) && supersedes(&k->pub)) {
    c->rep->feeds[feed].checks_reissued++;
    return 0;
  }
  if (what == REPLAY_OUT_ALERT) c->rep->feeds[feed].alerts_published++;
  else c->rep->feeds[feed].checks_published++;

  if (e && e->what == what) {
    bool first = __atomic_fetch_add(&e->seen, 1, __ATOMIC_RELAXED) == 0;
    view_t ev;
    if (decode_expected(c, k, store, e, &ev, errstr, errstr_size)) return -1;
    int n = field_diff(k, NULL);
    if (n == 0 && first) return 0;
    /* changed (perhaps once more), or the same once more */
    replay_diff_t *d = replay_report_add_diff(c->rep, n ? REPLAY_CHANGED : REPLAY_EXTRA, what,
                                              e->feed, pv.id);
    if (!d || from_expected(d, &ev) || from_published(d, &pv, m) || field_diff(k, d) < 0)
      return oom(errstr, errstr_size);
    d->duplicate = !first;
    __atomic_store_n(&e->reported, 1, __ATOMIC_RELAXED);
    return 0;
  }
  /* not expected */
  replay_diff_t *d = replay_report_add_diff(c->rep, REPLAY_EXTRA, what, feed, pv.id);
  if (!d || replay_report_set(&d->person, pv.person) || replay_report_set(&d->rule, pv.rule) ||
      from_published(d, &pv, m) ||
      (pv.has_source &&
       set_where(&d->source, pv.src_topic, pv.src_partition, pv.src_offset, pv.src_batch)))
    return oom(errstr, errstr_size);
  return 0;
}

int replay_compare_finish(replay_compare_t *c, char *errstr, size_t errstr_size) {
  for (size_t sh = 0; sh < replay_expect_shards(c->expect); sh++) {
    replay_store_t *store = replay_expect_store(c->expect, sh);
    size_t n = replay_store_count(store);
    for (size_t i = 0; i < n; i++) {
      replay_entry_t *e = replay_store_at(store, i);
      if (e->seen) continue;
      kind_t *k = &c->k[e->what];
      view_t ev;
      if (decode_expected(c, k, store, e, &ev, errstr, errstr_size)) return -1;
      replay_diff_t *d = replay_report_add_diff(c->rep, REPLAY_MISSING, (replay_out_t)e->what,
                                                e->feed, ev.id);
      if (!d || from_expected(d, &ev)) return oom(errstr, errstr_size);
      const replay_batch_t *b = replay_batches_at(c->batches, e->batch);
      if (b) {
        d->reference_ms = b->finished_at;
        /* a check result without a match: the list it came from */
        if (!ev.has_source && set_where(&d->source, b->topic, -1, -1, b->batch_id))
          return oom(errstr, errstr_size);
      }
      e->reported = 1;
    }
  }
  return 0;
}
