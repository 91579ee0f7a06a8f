/* ledger_steps: see ledger_steps.h and docs/verify.md. */
#include "ledger_steps.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_arrays.h"
#include "rh_err.h"
#include "rh_parse.h"
#include "rh_pg.h"
#include "rh_verification.h"
#include "rh_verify.h"

/* warning_steps' columns as ledger_steps_add collects them; PRE is a refusal
 * known before the ledger looks at the warning (another township's record) */
enum { S_ID, S_ALERT, S_TOWNSHIP, S_OUTCOME, S_REASON, S_NOTE, S_VISITED, S_BY, S_AT, S_SOURCE,
       S_TOPIC, S_PART, S_OFFSET, S_PRE, S_NCOL };

struct ledger_steps {
  const rh_config_t *cfg;
  rh_verification_codec_t codec;
  char prefix[256]; /* "<topic prefix>verifications." */
  ledger_arrays_t rows;
};

ledger_steps_t *ledger_steps_new(const rh_config_t *cfg, const rh_avro_schemas_t *schemas,
                                 char *errstr, size_t errstr_size) {
  ledger_steps_t *s = calloc(1, sizeof *s);
  if (!s) {
    rh_errf(errstr, errstr_size, "out of memory");
    return NULL;
  }
  s->cfg = cfg;
  ledger_arrays_init(&s->rows, S_NCOL);
  rh_config_topic(cfg, "verifications.", s->prefix, sizeof s->prefix);
  if (rh_verification_codec_init(&s->codec, schemas, errstr, errstr_size)) {
    ledger_steps_destroy(s);
    return NULL;
  }
  return s;
}

void ledger_steps_destroy(ledger_steps_t *s) {
  if (!s) return;
  rh_verification_codec_free(&s->codec);
  ledger_arrays_free(&s->rows);
  free(s);
}

size_t ledger_steps_rows(const ledger_steps_t *s) { return s->rows.rows; }
void ledger_steps_clear(ledger_steps_t *s) { ledger_arrays_clear(&s->rows); }

int ledger_steps_add(ledger_steps_t *s, rh_avro_decoder_t *dec, const char *topic,
                     int32_t partition, int64_t offset, const void *value, size_t len, char *why,
                     size_t why_size) {
  rh_verification_t v;
  if (rh_verification_decode(&s->codec, dec, value, len, &v, why, why_size)) return 1;
  const char *township = topic + strlen(s->prefix);
  int outcome = rh_verify_outcome_parse(v.outcome);
  if (outcome < 0 || strcmp(v.outcome, rh_verify_outcome_code(outcome)) != 0) {
    rh_errf(why, why_size, "a Verification with an outcome that is none (%.32s)", v.outcome);
    return 1;
  }
  if (strlen(v.verification_id) != 64 || strspn(v.verification_id, "0123456789abcdef") != 64) {
    rh_errf(why, why_size, "a Verification whose id is not 64 hex digits");
    return 1;
  }
  if (strlen(township) != 9 || strspn(township, "0123456789") != 9) {
    rh_errf(why, why_size, "a Verification on %s, which is no township's topic", topic);
    return 1;
  }
  /* what the database would refuse: a step is kept even when not applied,
   * so its row must be storable */
  if (outcome == RH_VERIFY_NOT_INCLUDED && (!v.reason || !*v.reason)) {
    rh_errf(why, why_size, "a Verification NOT_INCLUDED without a reason");
    return 1;
  }
  /* what PostgreSQL cannot take would stop the ledger for every township
   * (a statement error is not skipped): 1900..2199, as riskhub-verify reads dates */
  if ((v.has_visited_on && (v.visited_on < -25567 || v.visited_on > 84005)) ||
      v.recorded_at < 0 || v.recorded_at > 7258118400000LL) {
    rh_errf(why, why_size, "a Verification with a date out of 1900..2199");
    return 1;
  }
  char visited[16] = "", at[24], part[16], off[24];
  if (v.has_visited_on) {
    int y, m, d;
    rh_date_from_days(v.visited_on, &y, &m, &d);
    snprintf(visited, sizeof visited, "%04u-%02u-%02u", (unsigned)y % 10000u,
             (unsigned)m % 100u, (unsigned)d % 100u);
  }
  snprintf(at, sizeof at, "%" PRId64, v.recorded_at);
  snprintf(part, sizeof part, "%d", (int)partition);
  snprintf(off, sizeof off, "%" PRId64, offset);
  /* the table keeps 500 characters (UTF-8: up to 4 bytes each); a longer
   * remark is cut, one holding an ID number is not kept (riskhub-verify
   * refuses both: another client of the township's party might not) */
  char note[500 * 4 + 1];
  const char *notep = NULL;
  if (v.note && !rh_verify_holds_id_number(v.note)) {
    size_t n = 0, chars = 0;
    while (v.note[n] && chars < 500) {
      size_t k = 1;
      while (((unsigned char)v.note[n + k] & 0xC0) == 0x80 && k < 4) k++;
      if (n + k >= sizeof note) break;
      n += k;
      chars++;
    }
    memcpy(note, v.note, n);
    note[n] = '\0';
    notep = note;
  }
  const rh_config_reason_t *reason = v.reason ? rh_verify_reason_find(s->cfg, v.reason) : NULL;
  const char *pre =
      strcmp(v.township_code, township) != 0
          ? "the record names another township than the topic it was published on"
      : outcome == RH_VERIFY_NOT_INCLUDED && (!reason || strcmp(reason->code, v.reason) != 0)
          ? "the reason is not one of the configuration's codes"
          : NULL;
  const char *row[S_NCOL] = {v.verification_id, v.alert_id, township, v.outcome,
                             v.reason,          notep,      v.has_visited_on ? visited : NULL,
                             v.recorded_by,     at,         v.source ? v.source : "",
                             topic,             part,       off,
                             pre};
  return ledger_arrays_add(&s->rows, row) ? -1 : 0;
}

#define INSERT_SQL                                                                            \
  "INSERT INTO warning_steps (verification_id, alert_id, township_code, outcome, reason, "    \
  "note, visited_on, recorded_by, recorded_at, source, topic, partition, \"offset\", "        \
  "refused) "                                                                                 \
  "SELECT i, a, t, o, r, n, v::date, b, to_timestamp(at::bigint / 1000.0), s, tp, p::int, "   \
  "off::bigint, pre "                                                                         \
  "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], "      \
  "$7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], "  \
  "$14::text[]) AS u(i, a, t, o, r, n, v, b, at, s, tp, p, off, pre) "                        \
  "ON CONFLICT (verification_id) DO NOTHING "                                                 \
  "RETURNING verification_id, alert_id, township_code, outcome, reason, refused, topic, "     \
  "partition, \"offset\""

enum { R_ID, R_ALERT, R_TOWNSHIP, R_OUTCOME, R_REASON, R_PRE, R_TOPIC, R_PART, R_OFFSET };

typedef struct {
  int row;
  const char *topic;
  long long part, off;
} order_t;

static int by_place(const void *pa, const void *pb) {
  const order_t *a = pa, *b = pb;
  int c = strcmp(a->topic, b->topic);
  if (c) return c;
  if (a->part != b->part) return a->part < b->part ? -1 : 1;
  return a->off < b->off ? -1 : a->off > b->off;
}

/* A warning the new steps name: its township, and its state as the steps
 * applied so far leave it (NULL: not in the ledger). */
typedef struct {
  const char *alert_id, *township, *state, *reason;
  bool changed;
} warning_t;

static int by_alert(const void *pa, const void *pb) {
  return strcmp(((const warning_t *)pa)->alert_id, ((const warning_t *)pb)->alert_id);
}

static PGresult *exec3(PGconn *pg, const char *sql, ledger_arrays_t *a, char *errstr,
                       size_t errstr_size) {
  const char *p[3];
  for (int i = 0; i < 3; i++)
    if (!(p[i] = ledger_arrays_literal(a, i))) {
      rh_errf(errstr, errstr_size, "out of memory");
      return NULL;
    }
  return rh_pg_exec_params(pg, sql, 3, p, errstr, errstr_size);
}

/* Apply the steps of ins (columns R_*) in the order they were read: each
 * step's state_before and refused recorded, the warnings moved. *refused: the
 * steps not applied. Frees ins. 0, or -1 with errstr. */
static int apply(PGconn *pg, PGresult *ins, uint64_t *refused, char *errstr,
                 size_t errstr_size) {
  int n = PQntuples(ins);
  int rc = -1;
  PGresult *cur = NULL, *r = NULL;
  order_t *order = calloc((size_t)n + 1, sizeof *order);
  warning_t *w = NULL;
  ledger_arrays_t ids, steps, states;
  ledger_arrays_init(&ids, 1);
  ledger_arrays_init(&steps, 3);
  ledger_arrays_init(&states, 3);
  if (!order) goto oom;
  for (int i = 0; i < n; i++) {
    order[i] = (order_t){i, PQgetvalue(ins, i, R_TOPIC), atoll(PQgetvalue(ins, i, R_PART)),
                         atoll(PQgetvalue(ins, i, R_OFFSET))};
    const char *a[1] = {PQgetvalue(ins, i, R_ALERT)};
    if (ledger_arrays_add(&ids, a)) goto oom;
  }
  qsort(order, (size_t)n, sizeof *order, by_place);
  const char *lit = ledger_arrays_literal(&ids, 0);
  if (!lit) goto oom;
  const char *p1[1] = {lit};
  cur = rh_pg_exec_params(pg,
                          "SELECT alert_id, township_code, state FROM warnings "
                          "WHERE alert_id = ANY($1::text[]) ORDER BY alert_id FOR UPDATE",
                          1, p1, errstr, errstr_size);
  if (!cur) goto out;
  int nw = PQntuples(cur);
  if (!(w = calloc((size_t)nw + 1, sizeof *w))) goto oom;
  for (int i = 0; i < nw; i++)
    w[i] = (warning_t){PQgetvalue(cur, i, 0), PQgetvalue(cur, i, 1), PQgetvalue(cur, i, 2), NULL,
                       false};
  for (int k = 0; k < n; k++) {
    int i = order[k].row;
    warning_t key = {.alert_id = PQgetvalue(ins, i, R_ALERT)};
    warning_t *x = nw ? bsearch(&key, w, (size_t)nw, sizeof *w, by_alert) : NULL;
    int o = rh_verify_outcome_parse(PQgetvalue(ins, i, R_OUTCOME));
    const char *why = !PQgetisnull(ins, i, R_PRE) ? PQgetvalue(ins, i, R_PRE) : NULL;
    if (!why && x && strcmp(x->township, PQgetvalue(ins, i, R_TOWNSHIP)) != 0)
      why = "the warning is another township's";
    if (!why) why = rh_verify_refusal(x ? x->state : NULL, (rh_verify_outcome_t)o);
    const char *row[3] = {PQgetvalue(ins, i, R_ID), x ? x->state : NULL, why};
    if (ledger_arrays_add(&steps, row)) goto oom;
    if (why) {
      (*refused)++;
      continue;
    }
    x->state = rh_verify_state_after((rh_verify_outcome_t)o);
    x->reason = PQgetisnull(ins, i, R_REASON) ? NULL : PQgetvalue(ins, i, R_REASON);
    x->changed = true;
  }
  for (int i = 0; i < nw; i++) {
    if (!w[i].changed) continue;
    const char *row[3] = {w[i].alert_id, w[i].state, w[i].reason};
    if (ledger_arrays_add(&states, row)) goto oom;
  }
  if (!(r = exec3(pg,
                  "UPDATE warning_steps s SET state_before = u.b, refused = u.r "
                  "FROM unnest($1::text[], $2::text[], $3::text[]) AS u(i, b, r) "
                  "WHERE s.verification_id = u.i",
                  &steps, errstr, errstr_size)))
    goto out;
  PQclear(r);
  r = NULL;
  if (states.rows &&
      !(r = exec3(pg,
                  "UPDATE warnings w SET state = u.s, dismiss_reason = CASE WHEN u.s = "
                  "'DISMISSED' THEN u.r ELSE w.dismiss_reason END "
                  "FROM unnest($1::text[], $2::text[], $3::text[]) AS u(a, s, r) "
                  "WHERE w.alert_id = u.a",
                  &states, errstr, errstr_size)))
    goto out;
  rc = 0;
  goto out;
oom:
  rh_errf(errstr, errstr_size, "out of memory");
out:
  if (r) PQclear(r);
  if (cur) PQclear(cur);
  PQclear(ins);
  free(order);
  free(w);
  ledger_arrays_free(&ids);
  ledger_arrays_free(&steps);
  ledger_arrays_free(&states);
  return rc;
}

int ledger_steps_write(ledger_steps_t *s, PGconn *pg, uint64_t *inserted, uint64_t *refused,
                       char *errstr, size_t errstr_size) {
  *inserted = *refused = 0;
  if (s->rows.rows == 0) return 0;
  const char *params[S_NCOL];
  for (int i = 0; i < S_NCOL; i++)
    if (!(params[i] = ledger_arrays_literal(&s->rows, i))) {
      rh_errf(errstr, errstr_size, "out of memory");
      return -1;
    }
  PGresult *ins = rh_pg_exec_params(pg, INSERT_SQL, S_NCOL, params, errstr, errstr_size);
  if (!ins) return -1;
  *inserted = (uint64_t)PQntuples(ins);
  return apply(pg, ins, refused, errstr, errstr_size);
}

/* the steps kept refused because their warning was not in the ledger ($2:
 * the text rh_verify_refusal gives then), in apply()'s columns */
#define HELD_SQL                                                                              \
  "SELECT verification_id, alert_id, township_code, outcome, reason, NULL::text, topic, "     \
  "partition, \"offset\" FROM warning_steps WHERE alert_id = ANY($1::text[]) "                \
  "AND refused = $2 AND outcome <> 'WITHDRAWN'"

int ledger_steps_apply_held(PGconn *pg, const char *alert_ids, uint64_t *applied, char *errstr,
                            size_t errstr_size) {
  *applied = 0;
  const char *p[2] = {alert_ids, rh_verify_refusal(NULL, RH_VERIFY_VERIFYING)};
  PGresult *held = rh_pg_exec_params(pg, HELD_SQL, 2, p, errstr, errstr_size);
  if (!held) return -1;
  uint64_t n = (uint64_t)PQntuples(held), refused = 0;
  if (n == 0) {
    PQclear(held);
    return 0;
  }
  if (apply(pg, held, &refused, errstr, errstr_size)) return -1;
  *applied = n - refused;
  return 0;
}
