/* verify_rows: see verify_rows.h. */
#include "verify_rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_array.h"
#include "rh_csv.h"
#include "rh_err.h"
#include "rh_i18n.h"
#include "rh_log.h"
#include "rh_parse.h"
#include "rh_utf8.h"
#include "rh_verify.h"

#define NOTE_MAX_CHARS 500

static bool empty(const char *s) { return !s || !s[strspn(s, " \t\r\n")]; }

static char *dup_trimmed(const char *s) {
  if (empty(s)) return NULL;
  s += strspn(s, " \t");
  size_t n = strlen(s);
  while (n && strchr(" \t\r\n", s[n - 1])) n--;
  return strndup(s, n);
}

int verify_rows_refuse(verify_row_t *r, int column, const char *why) {
  if (r->why) return 0; /* the first reason stands */
  r->column = column;
  return (r->why = strdup(why)) ? 0 : -1;
}

/* A typed value for a message: at most 32 bytes, whole characters, scrubbed
 * (an ID number typed in the wrong cell is not repeated). */
static void shown(const char *s, char *out, size_t size) {
  size_t n = strlen(s);
  if (n > 32) {
    n = 32;
    while (n && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
  }
  if (n >= size) n = size - 1;
  memcpy(out, s, n);
  out[n] = '\0';
  rh_log_scrub(out);
}

/* Characters (UTF-8 code points) of s. */
static size_t chars(const char *s) {
  size_t n = 0;
  for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
  return n;
}


static int check(verify_row_t *r, const rh_config_t *cfg, const verify_input_t *in,
                 const verify_columns_t *c, int32_t today) {
  char msg[512], typed[40];
  /* the command line's text may come from a terminal in GBK: what is not
   * UTF-8 would be published and then refused by every reader */
  const char *texts[6] = {in->alert_id, in->outcome, in->reason, in->visited_on, in->recorded_by,
                          in->note};
  const int at[6] = {c->alert_id, c->outcome, c->reason, c->visited_on, c->recorded_by, c->note};
  for (int i = 0; i < 6; i++)
    if (texts[i] && !rh_utf8_valid((const unsigned char *)texts[i], strlen(texts[i])))
      return verify_rows_refuse(r, at[i], _("not UTF-8 text: set the terminal to UTF-8"));
  if (!r->alert_id)
    return verify_rows_refuse(r, c->alert_id, _("alert_id is empty: keep the column as riskhub-alerts exported it"));
  if (r->outcome < 0) {
    shown(in->outcome, typed, sizeof typed);
    snprintf(msg, sizeof msg, _("'%s' is not an outcome: write one of %s"), typed,
             rh_verify_outcomes_text());
    return verify_rows_refuse(r, c->outcome, msg);
  }
  if (r->outcome == RH_VERIFY_NOT_INCLUDED) {
    const rh_config_reason_t *why = rh_verify_reason_find(cfg, in->reason);
    if (!why) {
      char list[1024] = "";
      size_t used = 0;
      for (size_t i = 0; i < cfg->reason_count && used < sizeof list; i++) {
        int k = snprintf(list + used, sizeof list - used, "%s%s (%s)", i ? ", " : "",
                         cfg->reasons[i].code, cfg->reasons[i].label);
        if (k > 0) used += (size_t)k;
      }
      if (empty(in->reason)) {
        snprintf(msg, sizeof msg, _("NOT_INCLUDED needs a reason: write one of %s"), list);
      } else {
        shown(in->reason, typed, sizeof typed);
        snprintf(msg, sizeof msg, _("'%s' is not a configured reason: write one of %s"), typed,
                 list);
      }
      return verify_rows_refuse(r, c->reason, msg);
    }
    free(r->reason);
    if (!(r->reason = strdup(why->code))) return -1;
  } else if (r->reason) {
    return verify_rows_refuse(r, c->reason,
                              _("a reason is given for NOT_INCLUDED only: leave the cell empty"));
  }
  if (!empty(in->visited_on)) {
    if (rh_parse_date(in->visited_on, strlen(in->visited_on), &r->visited_on)) {
      shown(in->visited_on, typed, sizeof typed);
      snprintf(msg, sizeof msg, _("'%s' is not a date: write it as 2026-11-05"), typed);
      return verify_rows_refuse(r, c->visited_on, msg);
    }
    if (r->visited_on > today)
      return verify_rows_refuse(r, c->visited_on, _("the visit's date is in the future"));
    r->has_visited_on = true;
    int y, m, d;
    rh_date_from_days(r->visited_on, &y, &m, &d);
    /* rh_parse_date keeps years in 1900..2199 */
    snprintf(r->visited_text, sizeof r->visited_text, "%04u-%02u-%02u", (unsigned)y % 10000u,
             (unsigned)m % 100u, (unsigned)d % 100u);
  }
  if (!r->has_visited_on && r->outcome != RH_VERIFY_VERIFYING)
    return verify_rows_refuse(r, c->visited_on,
                              _("the visit's date is missing: fill in visited_on (2026-11-05)"));
  if (!r->recorded_by)
    return verify_rows_refuse(r, c->recorded_by,
                              _("who recorded the step is missing: fill in recorded_by, or "
                                "give --by"));
  if (chars(r->recorded_by) > 64 || rh_verify_holds_id_number(r->recorded_by))
    return verify_rows_refuse(r, c->recorded_by,
                              _("recorded_by is a name or an account of at most 64 characters"));
  if (r->note && chars(r->note) > NOTE_MAX_CHARS) {
    snprintf(msg, sizeof msg, _("the note is longer than %d characters"), NOTE_MAX_CHARS);
    return verify_rows_refuse(r, c->note, msg);
  }
  if (r->note && rh_verify_holds_id_number(r->note))
    return verify_rows_refuse(r, c->note,
                              _("the note holds what looks like an ID number: leave it out (the "
                                "warning names the person already)"));
  rh_verify_id(r->alert_id, (rh_verify_outcome_t)r->outcome, r->reason,
               r->has_visited_on ? r->visited_text : "", r->recorded_by, r->id);
  return 0;
}

int verify_rows_add(verify_rows_t *rows, const rh_config_t *cfg, unsigned long line,
                    const verify_input_t *in, const verify_columns_t *cols, const char *by,
                    int32_t today) {
  if (RH_ARRAY_RESERVE(rows->v, rows->n + 1, rows->cap, 64)) return -1;
  verify_row_t *r = &rows->v[rows->n];
  memset(r, 0, sizeof *r);
  r->line = line;
  r->outcome = rh_verify_outcome_parse(in->outcome);
  const char *who = empty(in->recorded_by) ? by : in->recorded_by;
  if ((!empty(in->alert_id) && !(r->alert_id = dup_trimmed(in->alert_id))) ||
      (!empty(in->reason) && !(r->reason = dup_trimmed(in->reason))) ||
      (!empty(in->note) && !(r->note = dup_trimmed(in->note))) ||
      (!empty(who) && !(r->recorded_by = dup_trimmed(who)))) {
    rows->n++;
    return -1;
  }
  rows->n++;
  return check(r, cfg, in, cols, today);
}

size_t verify_rows_refused(const verify_rows_t *rows) {
  size_t n = 0;
  for (size_t i = 0; i < rows->n; i++) n += rows->v[i].why != NULL;
  return n;
}

void verify_rows_free(verify_rows_t *rows) {
  for (size_t i = 0; i < rows->n; i++) {
    verify_row_t *r = &rows->v[i];
    free(r->alert_id);
    free(r->reason);
    free(r->note);
    free(r->recorded_by);
    free(r->household_id);
    free(r->why);
  }
  free(rows->v);
  memset(rows, 0, sizeof *rows);
}

/* ---- the CSV ---- */

/* The column of one of names (English first, then the Chinese header), -1. */
static int column(const rh_csv_row_t *h, const char *en, const char *zh) {
  int c = rh_csv_find_column(h, en);
  return c >= 0 ? c : rh_csv_find_column(h, zh);
}

static const char *cell(const rh_csv_row_t *row, int c) {
  return c >= 0 && (size_t)c < row->nfields ? row->fields[c].str : NULL;
}

/* rh_csv's "line 17: ..." as "<path>:17:1: ..."; another message as
 * "<path>:1:1: ...". */
static void where(const char *path, const char *err, char *errstr, size_t errstr_size) {
  unsigned long line = 1;
  int used = 0;
  if (sscanf(err, "line %lu: %n", &line, &used) == 1 && used > 0)
    err += used;
  else
    line = 1;
  rh_errf(errstr, errstr_size, "%s:%lu:1: %s", path, line, err);
}

int verify_rows_read_csv(verify_rows_t *rows, const rh_config_t *cfg, const char *path,
                         rh_encoding_t enc, const char *by, int32_t today, char *errstr,
                         size_t errstr_size) {
  char err[512];
  rh_csv_reader_t *rd = rh_csv_open(path, enc, err, sizeof err);
  if (!rd) {
    where(path, err, errstr, errstr_size);
    return -1;
  }
  const rh_csv_row_t *row;
  int rc = rh_csv_next(rd, &row, err, sizeof err);
  if (rc <= 0) {
    where(path, rc < 0 ? err : _("the file is empty"), errstr, errstr_size);
    rh_csv_close(rd);
    return -1;
  }
  int ca = column(row, "alert_id", "预警编号"), co = column(row, "outcome", "核实结果");
  int cr = column(row, "not_included_reason", "不纳入原因"), cv = column(row, "visited_on", "核实日期");
  int cb = column(row, "recorded_by", "核实人"), cn = column(row, "note", "备注");
  if (ca < 0 || co < 0) {
    rh_errf(errstr, errstr_size,
            _("%s:%lu:1: the header has no column '%s': fill in the CSV that riskhub-alerts "
              "exports (--format csv), whose last columns are outcome, not_included_reason, "
              "visited_on, recorded_by and note"),
            path, row->line, ca < 0 ? "alert_id" : "outcome");
    rh_csv_close(rd);
    return -1;
  }
  verify_columns_t cols = {ca + 1, co + 1, cr + 1, cv + 1, cb + 1, cn + 1};
  rows->cols = cols;
  while ((rc = rh_csv_next(rd, &row, err, sizeof err)) == 1) {
    verify_input_t in = {cell(row, ca), cell(row, co), cell(row, cr),
                         cell(row, cv), cell(row, cb), cell(row, cn)};
    if (empty(in.outcome)) { /* not verified yet: nothing to report */
      rows->blank++;
      continue;
    }
    if (verify_rows_add(rows, cfg, row->line, &in, &cols, by, today)) {
      rh_csv_close(rd);
      rh_errf(errstr, errstr_size, "out of memory");
      return -2;
    }
  }
  rh_csv_close(rd);
  if (rc < 0) {
    /* a broken file is refused whole: publishing its first half would leave
     * the township unsure what went */
    where(path, err, errstr, errstr_size);
    return -1;
  }
  return 0;
}
