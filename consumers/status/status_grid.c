/* status_grid: see status_grid.h. */
#include "status_grid.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_scale.h"
#include "status_time.h"

typedef struct {
  status_grid_t *g;
  bool oom;
} build_t;

static char *dupf(build_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *dupf(build_t *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = NULL;
  if (vasprintf(&s, fmt, ap) < 0) {
    s = NULL;
    b->oom = true;
  }
  va_end(ap);
  return s;
}

void status_grid_destroy(status_grid_t *g) {
  if (!g) return;
  for (size_t i = 0; i < g->nrows * g->ncols; i++) free(g->cells[i].text);
  for (size_t i = 0; i < g->ncols; i++) {
    free(g->cols[i].key);
    free(g->cols[i].title);
  }
  for (size_t i = 0; i < g->nnotes; i++) free(g->notes[i]);
  free(g->notes);
  free(g->cols);
  free(g->cells);
  free(g->row_flags);
  free(g->title);
  free(g->sheet);
  free(g);
}

static build_t grid_new(const char *title, const char *sheet, int offset) {
  build_t b = {calloc(1, sizeof(status_grid_t)), false};
  if (!b.g) {
    b.oom = true;
    return b;
  }
  b.g->title = strdup(title);
  b.g->sheet = strdup(sheet);
  b.g->utc_offset_min = offset;
  if (!b.g->title || !b.g->sheet) b.oom = true;
  return b;
}

/* columns are all added before the first row */
static void col(build_t *b, char *key, char *title, unsigned show, bool numeric, int width) {
  status_grid_t *g = b->g;
  status_col_t *n = b->oom ? NULL : realloc(g->cols, (g->ncols + 1) * sizeof *n);
  if (!n || !key || !title) {
    b->oom = true;
    free(key);
    free(title);
    return;
  }
  g->cols = n;
  g->cols[g->ncols++] = (status_col_t){key, title, show, numeric, width};
}

static size_t row(build_t *b, unsigned flags) {
  status_grid_t *g = b->g;
  if (b->oom) return 0;
  if (g->nrows == g->cap) {
    size_t cap = g->cap ? g->cap * 2 : 32;
    status_cell_t *c = realloc(g->cells, cap * g->ncols * sizeof *c);
    if (!c) {
      b->oom = true;
      return 0;
    }
    g->cells = c;
    unsigned *f = realloc(g->row_flags, cap * sizeof *f);
    if (!f) {
      b->oom = true;
      return 0;
    }
    g->row_flags = f;
    g->cap = cap;
  }
  memset(&g->cells[g->nrows * g->ncols], 0, g->ncols * sizeof *g->cells);
  g->row_flags[g->nrows] = flags;
  return g->nrows++;
}

static status_cell_t *at(build_t *b, size_t r, size_t c) {
  if (b->oom || c >= b->g->ncols || r >= b->g->nrows) return NULL;
  return &b->g->cells[r * b->g->ncols + c];
}

static void text(build_t *b, size_t r, size_t c, const char *s) {
  status_cell_t *x = at(b, r, c);
  if (!x || !s) return;
  if (!(x->text = strdup(s))) b->oom = true;
  else x->kind = STATUS_CELL_TEXT;
}

static void number(build_t *b, size_t r, size_t c, int64_t v) {
  status_cell_t *x = at(b, r, c);
  if (x) *x = (status_cell_t){STATUS_CELL_INT, NULL, v, STATUS_TONE_NONE};
}

static void instant(build_t *b, size_t r, size_t c, int64_t ms) {
  status_cell_t *x = at(b, r, c);
  if (x) *x = (status_cell_t){STATUS_CELL_TIME, NULL, ms, STATUS_TONE_NONE};
}

static void day(build_t *b, size_t r, size_t c, int64_t days) {
  status_cell_t *x = at(b, r, c);
  if (x) *x = (status_cell_t){STATUS_CELL_DAY, NULL, days, STATUS_TONE_NONE};
}

/* a state's label, toned */
static void label(build_t *b, size_t r, size_t c, status_state_t st) {
  text(b, r, c, status_state_label(st));
  status_cell_t *x = at(b, r, c);
  if (x)
    x->tone = st == STATUS_ON_TIME ? STATUS_TONE_GOOD
              : st == STATUS_PENDING ? STATUS_TONE_NONE
              : st == STATUS_LATE    ? STATUS_TONE_WARN
                                     : STATUS_TONE_BAD;
}

static void note(build_t *b, char *line) {
  status_grid_t *g = b->g;
  char **n = (b->oom || !line) ? NULL : realloc(g->notes, (g->nnotes + 1) * sizeof *n);
  if (!n) {
    free(line);
    b->oom = true;
    return;
  }
  g->notes = n;
  g->notes[g->nnotes++] = line;
}

static status_grid_t *done(build_t *b) {
  if (b->oom) {
    status_grid_destroy(b->g);
    return NULL;
  }
  return b->g;
}

const status_cell_t *status_grid_cell(const status_grid_t *g, size_t r, size_t c) {
  return &g->cells[r * g->ncols + c];
}

const char *status_cell_text(const status_grid_t *g, const status_cell_t *c, bool for_csv,
                             char *buf, size_t size) {
  if (!size) return buf;
  buf[0] = '\0';
  switch (c->kind) {
  case STATUS_CELL_TEXT: snprintf(buf, size, "%s", c->text); break;
  case STATUS_CELL_INT: snprintf(buf, size, "%" PRId64, c->value); break;
  case STATUS_CELL_TIME: {
    char t[STATUS_ISO_SZ];
    if (for_csv)
      status_format_iso(c->value, g->utc_offset_min, t);
    else
      status_format_local(c->value, g->utc_offset_min, t);
    snprintf(buf, size, "%s", t);
    break;
  }
  case STATUS_CELL_DAY: {
    char t[11];
    status_format_day((int32_t)c->value, t);
    snprintf(buf, size, "%s", t);
    break;
  }
  default: break;
  }
  return buf;
}

void status_report_title(const status_report_t *r, char *buf, size_t size) {
  char asof[STATUS_LOCAL_SZ], off[8], due[11], what[64];
  status_format_local(r->as_of_ms, r->utc_offset_min, asof);
  status_offset_format(r->utc_offset_min, off);
  if (r->nmonths == 1) {
    status_format_day(r->deadline_day[0], due);
    snprintf(what, sizeof what, "%s", r->period[0]);
    snprintf(buf, size,
             "%s (%s) %s 名单报送与预警 lists and warnings — lists due by %s (end of day, UTC%s)"
             " — as of %s UTC%s%s%s",
             r->cfg->county_name, r->cfg->county_code, what, due, off, asof, off,
             *r->source ? " — " : "", r->source);
  } else {
    snprintf(what, sizeof what, "%04d-Q%d (%s..%s)", r->year[0], r->quarter ? r->quarter : 0,
             r->period[0], r->period[r->nmonths - 1]);
    snprintf(buf, size,
             "%s (%s) %s 季度联席会议 quarterly joint meeting — lists due by day %d of the "
             "following month (end of day, UTC%s) — as of %s UTC%s%s%s",
             r->cfg->county_name, r->cfg->county_code, what, r->cfg->deadlines.delivery_day, off,
             asof, off, *r->source ? " — " : "", r->source);
  }
}

/* "民政局 新增农村低保对象 (2026-10, 2 days)" lists of one state for the notes */
static char *names_in_state(build_t *b, const status_report_t *r, status_state_t st) {
  size_t cap = 256, len = 0;
  char *s = malloc(cap);
  if (!s) {
    b->oom = true;
    return NULL;
  }
  s[0] = '\0';
  for (size_t f = 0; f < r->nfeeds; f++)
    for (int m = 0; m < r->nmonths; m++) {
      const status_list_t *l = status_report_list(r, f, m);
      if (l->state != st) continue;
      char item[512], late[32] = "";
      if (st == STATUS_LATE) snprintf(late, sizeof late, ", %d day%s late", l->days_late,
                                      l->days_late == 1 ? "" : "s");
      int n = snprintf(item, sizeof item, "%s%s %s", len ? "; " : "",
                       r->feeds[f]->department->name, r->feeds[f]->name);
      if (r->nmonths > 1 || late[0])
        snprintf(item + n, sizeof item - (size_t)n, " (%s%s)",
                 r->nmonths > 1 ? r->period[m] : late + 2, r->nmonths > 1 ? late : "");
      size_t il = strlen(item);
      if (len + il + 1 > cap) {
        while (len + il + 1 > cap) cap *= 2;
        char *ns = realloc(s, cap);
        if (!ns) {
          free(s);
          b->oom = true;
          return NULL;
        }
        s = ns;
      }
      memcpy(s + len, item, il + 1);
      len += il;
    }
  return s;
}

static void state_notes(build_t *b, const status_report_t *r) {
  const uint32_t *c = r->state_counts[r->nmonths];
  uint32_t total = c[STATUS_ON_TIME] + c[STATUS_LATE] + c[STATUS_MISSING] + c[STATUS_PENDING];
  note(b, dupf(b, "%u lists: %u on time, %u late, %u missing, %u pending (not yet due)", total,
               c[STATUS_ON_TIME], c[STATUS_LATE], c[STATUS_MISSING], c[STATUS_PENDING]));
  static const status_state_t shown[] = {STATUS_LATE, STATUS_MISSING, STATUS_PENDING};
  for (size_t i = 0; i < sizeof shown / sizeof *shown; i++) {
    if (!c[shown[i]]) continue;
    char *names = names_in_state(b, r, shown[i]);
    if (names) note(b, dupf(b, "%s: %s", status_state_label(shown[i]), names));
    free(names);
  }
}

enum { L_PERIOD, L_DEPT, L_DEPT_NAME, L_FEED, L_FEED_NAME, L_KIND, L_STATUS, L_LABEL,
       L_DEADLINE, L_FINISHED, L_DAYS_LATE, L_RECORDS, L_REJECTS, L_MANIFESTS, L_REPUBLISHED,
       L_BATCHES, L_BATCH_ID };

static status_grid_t *lists_month(const status_report_t *r) {
  build_t b = grid_new("名单报送 Lists by department and feed", "名单报送 Lists", r->utc_offset_min);
  if (b.oom) return done(&b);
  col(&b, strdup("period"), strdup("月份 period"), STATUS_SHOW_CSV, false, 0);
  col(&b, strdup("department"), strdup("部门代码 department code"), STATUS_SHOW_CSV, false, 0);
  col(&b, strdup("department_name"), strdup("部门 department"), STATUS_SHOW_ALL, false, 14);
  col(&b, strdup("feed"), strdup("名单代码 feed code"), STATUS_SHOW_CSV, false, 0);
  col(&b, strdup("feed_name"), strdup("名单 list"), STATUS_SHOW_ALL, false, 36);
  col(&b, strdup("kind"), strdup("类型 kind"), STATUS_SHOW_CSV | STATUS_SHOW_XLSX, false, 9);
  col(&b, strdup("status"), strdup("状态代码 status code"), STATUS_SHOW_CSV, false, 0);
  col(&b, strdup("status_label"), strdup("状态 status"), STATUS_SHOW_PEOPLE, false, 16);
  col(&b, strdup("deadline"), strdup("截止日 due"), STATUS_SHOW_CSV | STATUS_SHOW_XLSX, false, 12);
  col(&b, strdup("finished_at"), strdup("报送时间 delivered"), STATUS_SHOW_ALL, false, 18);
  col(&b, strdup("days_late"), strdup("迟报天数 days late"), STATUS_SHOW_ALL, true, 10);
  col(&b, strdup("records"), strdup("记录 records"), STATUS_SHOW_ALL, true, 10);
  col(&b, strdup("rejects"), strdup("退回 rejects"), STATUS_SHOW_ALL, true, 10);
  col(&b, strdup("manifests"), strdup("批次清单 manifests"), STATUS_SHOW_CSV, true, 0);
  col(&b, strdup("republished"), strdup("重报 republished"), STATUS_SHOW_ALL, true, 10);
  col(&b, strdup("batches"), strdup("不同批次 batches"), STATUS_SHOW_CSV, true, 0);
  col(&b, strdup("batch_id"), strdup("批次号 batch id"), STATUS_SHOW_CSV, false, 0);
  for (size_t f = 0; f < r->nfeeds && !b.oom; f++) {
    const rh_config_feed_t *fd = r->feeds[f];
    const status_list_t *l = status_report_list(r, f, 0);
    size_t i = row(&b, 0);
    text(&b, i, L_PERIOD, r->period[0]);
    text(&b, i, L_DEPT, fd->department->code);
    text(&b, i, L_DEPT_NAME, fd->department->name);
    text(&b, i, L_FEED, fd->code);
    text(&b, i, L_FEED_NAME, fd->name);
    text(&b, i, L_KIND, rh_feed_kind_name(fd->kind));
    text(&b, i, L_STATUS, status_state_code(l->state));
    label(&b, i, L_LABEL, l->state);
    day(&b, i, L_DEADLINE, r->deadline_day[0]);
    if (l->has_batch) {
      instant(&b, i, L_FINISHED, l->shown.finished_at);
      if (l->state == STATUS_LATE) number(&b, i, L_DAYS_LATE, l->days_late);
      number(&b, i, L_RECORDS, l->shown.rows_accepted);
      number(&b, i, L_REJECTS, l->shown.rows_rejected);
      text(&b, i, L_BATCH_ID, l->shown.batch_id);
    }
    number(&b, i, L_MANIFESTS, l->manifests);
    number(&b, i, L_REPUBLISHED, l->republished);
    number(&b, i, L_BATCHES, l->batches);
  }
  state_notes(&b, r);
  return done(&b);
}

static status_grid_t *lists_quarter(const status_report_t *r) {
  build_t b = grid_new("名单报送 Lists by department and feed, by month", "名单报送 Lists",
                       r->utc_offset_min);
  if (b.oom) return done(&b);
  col(&b, strdup("department"), strdup("部门代码 department code"), STATUS_SHOW_CSV, false, 0);
  col(&b, strdup("department_name"), strdup("部门 department"), STATUS_SHOW_ALL, false, 14);
  col(&b, strdup("feed"), strdup("名单代码 feed code"), STATUS_SHOW_CSV, false, 0);
  col(&b, strdup("feed_name"), strdup("名单 list"), STATUS_SHOW_ALL, false, 36);
  col(&b, strdup("kind"), strdup("类型 kind"), STATUS_SHOW_CSV | STATUS_SHOW_XLSX, false, 9);
  for (int m = 0; m < r->nmonths; m++) {
    col(&b, dupf(&b, "status_%s", r->period[m]), dupf(&b, "%s 状态代码", r->period[m]),
        STATUS_SHOW_CSV, false, 0);
    col(&b, dupf(&b, "label_%s", r->period[m]), dupf(&b, "%s", r->period[m]), STATUS_SHOW_PEOPLE,
        false, 16);
  }
  static const char *const keys[] = {"on_time", "late", "missing", "pending"};
  static const char *const titles[] = {"按时 on time", "迟报 late", "未报 missing",
                                       "未到期 pending"};
  for (int s = 0; s < STATUS_STATE_COUNT; s++)
    col(&b, strdup(keys[s]), strdup(titles[s]), STATUS_SHOW_ALL, true, 10);
  size_t first_state = 5 + 2 * (size_t)r->nmonths;
  for (size_t f = 0; f < r->nfeeds && !b.oom; f++) {
    const rh_config_feed_t *fd = r->feeds[f];
    size_t i = row(&b, 0);
    text(&b, i, 0, fd->department->code);
    text(&b, i, 1, fd->department->name);
    text(&b, i, 2, fd->code);
    text(&b, i, 3, fd->name);
    text(&b, i, 4, rh_feed_kind_name(fd->kind));
    for (int m = 0; m < r->nmonths; m++) {
      const status_list_t *l = status_report_list(r, f, m);
      text(&b, i, 5 + 2 * (size_t)m, status_state_code(l->state));
      label(&b, i, 6 + 2 * (size_t)m, l->state);
    }
    for (int s = 0; s < STATUS_STATE_COUNT; s++)
      number(&b, i, first_state + (size_t)s, r->feed_state_counts[f * STATUS_STATE_COUNT + s]);
  }
  /* per month and state, for people */
  size_t i = row(&b, STATUS_ROW_TOTAL);
  text(&b, i, 1, "合计 total");
  for (int m = 0; m < r->nmonths && !b.oom; m++) {
    const uint32_t *c = r->state_counts[m];
    char *s = dupf(&b, "%u/%u/%u/%u", c[0], c[1], c[2], c[3]);
    text(&b, i, 6 + 2 * (size_t)m, s);
    free(s);
  }
  for (int s = 0; s < STATUS_STATE_COUNT; s++)
    number(&b, i, first_state + (size_t)s, r->state_counts[r->nmonths][s]);
  note(&b, strdup("合计 per month: on time/late/missing/pending"));
  state_notes(&b, r);
  return done(&b);
}

status_grid_t *status_grid_lists(const status_report_t *r) {
  return r->nmonths == 1 ? lists_month(r) : lists_quarter(r);
}

static void township_names(build_t *b, const status_report_t *r, size_t i, size_t t,
                           size_t ccode, size_t cname) {
  if (t < r->cfg->township_count) {
    text(b, i, ccode, r->cfg->townships[t].code);
    text(b, i, cname, r->cfg->townships[t].name);
  } else {
    text(b, i, ccode, "unmatched");
    text(b, i, cname, "未匹配人员 unmatched (county office)");
  }
}

static status_grid_t *townships_month(const status_report_t *r) {
  build_t b = grid_new("乡镇预警 Warnings by township", "乡镇预警 Townships", r->utc_offset_min);
  if (b.oom) return done(&b);
  col(&b, strdup("period"), strdup("月份 period"), STATUS_SHOW_CSV, false, 0);
  col(&b, strdup("township"), strdup("代码 code"), STATUS_SHOW_CSV | STATUS_SHOW_XLSX, false, 12);
  col(&b, strdup("township_name"), strdup("乡镇 township"), STATUS_SHOW_ALL, false, 24);
  col(&b, strdup("warnings"), strdup("预警 warnings"), STATUS_SHOW_ALL, true, 12);
  col(&b, strdup("households"), strdup("户数 households"), STATUS_SHOW_ALL, true, 12);
  col(&b, strdup("checks"), strdup("比对 checks"), STATUS_SHOW_ALL, true, 12);
  col(&b, strdup("checks_matched"), strdup("比对命中 matched"), STATUS_SHOW_ALL, true, 12);
  uint64_t tot[4] = {0, 0, 0, 0};
  for (size_t t = 0; t < r->nrows && !b.oom; t++) {
    const status_tally_t *x = status_report_tally(r, t, 0);
    if (t == STATUS_UNMATCHED(r)) {
      size_t i = row(&b, STATUS_ROW_TOTAL);
      text(&b, i, 2, "合计 townships total");
      for (int k = 0; k < 4; k++) number(&b, i, 3 + (size_t)k, (int64_t)tot[k]);
    }
    size_t i = row(&b, 0);
    text(&b, i, 0, r->period[0]);
    township_names(&b, r, i, t, 1, 2);
    number(&b, i, 3, (int64_t)x->warnings);
    number(&b, i, 4, (int64_t)x->households);
    number(&b, i, 5, (int64_t)x->checks);
    number(&b, i, 6, (int64_t)x->checks_matched);
    if (t != STATUS_UNMATCHED(r)) {
      tot[0] += x->warnings;
      tot[1] += x->households;
      tot[2] += x->checks;
      tot[3] += x->checks_matched;
    }
  }
  note(&b, strdup("warnings: distinct alerts of the period raised for the township; households: "
                  "distinct households warned; checks: applicant comparisons (matched: the "
                  "member is on a department's check list)"));
  return done(&b);
}

static status_grid_t *townships_quarter(const status_report_t *r) {
  build_t b = grid_new("乡镇预警 Warnings by township, by month", "乡镇预警 Townships",
                       r->utc_offset_min);
  if (b.oom) return done(&b);
  col(&b, strdup("township"), strdup("代码 code"), STATUS_SHOW_CSV | STATUS_SHOW_XLSX, false, 12);
  col(&b, strdup("township_name"), strdup("乡镇 township"), STATUS_SHOW_ALL, false, 24);
  for (int m = 0; m < r->nmonths; m++)
    col(&b, dupf(&b, "warnings_%s", r->period[m]), dupf(&b, "%s 预警", r->period[m]),
        STATUS_SHOW_ALL, true, 12);
  col(&b, strdup("warnings_total"), strdup("预警合计 warnings"), STATUS_SHOW_ALL, true, 12);
  col(&b, strdup("households_total"), strdup("户数 households"), STATUS_SHOW_ALL, true, 12);
  col(&b, strdup("checks_total"), strdup("比对 checks"), STATUS_SHOW_ALL, true, 12);
  col(&b, strdup("checks_matched_total"), strdup("比对命中 matched"), STATUS_SHOW_ALL, true, 12);
  size_t nm = (size_t)r->nmonths;
  uint64_t tot[STATUS_MAX_MONTHS + 4] = {0};
  for (size_t t = 0; t < r->nrows && !b.oom; t++) {
    if (t == STATUS_UNMATCHED(r)) {
      size_t i = row(&b, STATUS_ROW_TOTAL);
      text(&b, i, 1, "合计 townships total");
      for (size_t k = 0; k < nm + 4; k++) number(&b, i, 2 + k, (int64_t)tot[k]);
    }
    size_t i = row(&b, 0);
    township_names(&b, r, i, t, 0, 1);
    uint64_t v[STATUS_MAX_MONTHS + 4];
    for (size_t m = 0; m < nm; m++) v[m] = status_report_tally(r, t, (int)m)->warnings;
    const status_tally_t *all = status_report_tally(r, t, r->nmonths);
    v[nm] = all->warnings;
    v[nm + 1] = all->households;
    v[nm + 2] = all->checks;
    v[nm + 3] = all->checks_matched;
    for (size_t k = 0; k < nm + 4; k++) {
      number(&b, i, 2 + k, (int64_t)v[k]);
      if (t != STATUS_UNMATCHED(r)) tot[k] += v[k];
    }
  }
  note(&b, strdup("households: distinct households warned in the quarter (a household warned "
                  "in two months counts once)"));
  return done(&b);
}

status_grid_t *status_grid_townships(const status_report_t *r) {
  return r->nmonths == 1 ? townships_month(r) : townships_quarter(r);
}

/* "2026-10", or "2026-Q4" for a quarter: the range the figures cover */
static void range_name(const status_report_t *r, char out[16]) {
  if (r->nmonths == 1)
    snprintf(out, 16, "%s", r->period[0]);
  else
    snprintf(out, 16, "%04d-Q%d", r->year[0], r->quarter);
}

/* ---- scale risks (status_scale.h) ---- */

/* a scale risk's status for people, toned: raised is the news, updated a change */
static void scale_label(build_t *b, size_t r, size_t c, rh_scale_status_t st) {
  text(b, r, c, st == RH_SCALE_RAISED    ? "raised (新发)"
                : st == RH_SCALE_UPDATED ? "updated (有变化)"
                                         : "cleared (已解除)");
  status_cell_t *x = at(b, r, c);
  if (x) x->tone = st == RH_SCALE_RAISED ? STATUS_TONE_BAD : STATUS_TONE_WARN;
}

enum { S_PERIOD, S_RULE, S_TOWNSHIP, S_NAME, S_LEVEL, S_VILLAGE, S_HOUSEHOLDS, S_PLACE,
       S_BASELINE, S_STATUS, S_LABEL, S_VERSION, S_SINCE, S_ID, S_NCOL };

status_grid_t *status_grid_scale(const status_report_t *r, const status_scale_t *s) {
  build_t b = grid_new(r->nmonths == 1 ? "规模性返贫风险 Scale risks"
                                       : "规模性返贫风险 Scale risks, by month",
                       "规模风险 Scale risks", r->utc_offset_min);
  if (b.oom) return done(&b);
  char range[16], off[8];
  range_name(r, range);
  status_offset_format(r->utc_offset_min, off);
  col(&b, strdup("period"), strdup("月份 period"),
      r->nmonths == 1 ? STATUS_SHOW_CSV : STATUS_SHOW_ALL, false, 9);
  col(&b, strdup("rule"), strdup("规则 rule"), STATUS_SHOW_ALL, false, 24);
  col(&b, strdup("township"), strdup("代码 code"), STATUS_SHOW_CSV | STATUS_SHOW_XLSX, false, 12);
  col(&b, strdup("township_name"), strdup("乡镇 township"), STATUS_SHOW_ALL, false, 16);
  col(&b, strdup("place_level"), strdup("范围 place"), STATUS_SHOW_CSV, false, 0);
  col(&b, strdup("village"), strdup("村 village"), STATUS_SHOW_ALL, false, 16);
  col(&b, strdup("households"), strdup("预警户数 households"), STATUS_SHOW_ALL, true, 10);
  col(&b, strdup("place_households"), strdup("总户数 of households"), STATUS_SHOW_ALL, true, 10);
  col(&b, strdup("baseline"), strdup("基线 baseline"), STATUS_SHOW_ALL, true, 10);
  col(&b, strdup("status"), strdup("状态代码 status code"), STATUS_SHOW_CSV, false, 0);
  col(&b, strdup("status_label"), strdup("状态 status"), STATUS_SHOW_PEOPLE, false, 16);
  col(&b, strdup("version"), strdup("版本 version"), STATUS_SHOW_ALL, true, 8);
  col(&b, strdup("since"), dupf(&b, "发现于 since (UTC%s)", off), STATUS_SHOW_ALL, false, 18);
  col(&b, strdup("scale_risk_id"), strdup("编号 scale risk id"), STATUS_SHOW_CSV, false, 0);
  size_t cleared = 0;
  for (size_t k = 0; k < s->n && !b.oom; k++) {
    const status_scale_item_t *x = &s->v[k];
    if (x->status == RH_SCALE_CLEARED) {
      cleared++;
      continue;
    }
    const rh_config_township_t *t = rh_config_township_find(r->cfg, x->township_code);
    size_t i = row(&b, 0);
    char baseline[32];
    snprintf(baseline, sizeof baseline, "%.1f", x->baseline);
    text(&b, i, S_PERIOD, x->period);
    text(&b, i, S_RULE, x->rule_id);
    text(&b, i, S_TOWNSHIP, x->township_code);
    text(&b, i, S_NAME, t ? t->name : "未知 unknown");
    text(&b, i, S_LEVEL, x->place_level);
    if (*x->village) text(&b, i, S_VILLAGE, x->village);
    number(&b, i, S_HOUSEHOLDS, x->households);
    number(&b, i, S_PLACE, x->place_households);
    text(&b, i, S_BASELINE, baseline);
    text(&b, i, S_STATUS, rh_scale_status_name(x->status));
    scale_label(&b, i, S_LABEL, x->status);
    number(&b, i, S_VERSION, x->version);
    instant(&b, i, S_SINCE, x->since);
    text(&b, i, S_ID, x->id);
  }
  if (!s->read)
    note(&b, dupf(&b, "未能读取 not read: the county topic riskhub.scale-risks could not be read "
                      "(%s): the scale risks of %s are unknown",
                  s->why, range));
  else if (s->n == cleared)
    note(&b, dupf(&b, "无规模性返贫风险 no scale risks of %s%s", range,
                  cleared ? " open (all cleared)" : ""));
  else
    note(&b, dupf(&b, "%zu scale risks of %s open (the last version of each on the county topic "
                      "riskhub.scale-risks by the as-of)",
                  s->n - cleared, range));
  if (s->read && cleared)
    note(&b, dupf(&b, "%zu cleared (已解除) by the as-of, not listed", cleared));
  if (s->read && s->n > cleared)
    note(&b, strdup("households: households of the place with a live warning of the rule's "
                    "risks in the month; of households: the place's households in the registry; "
                    "baseline: the mean warned in the months before (scale_risks.baseline_months); "
                    "since: when it was first raised; a village-level rule names the village, a "
                    "township-level one leaves it empty"));
  return done(&b);
}

/* ---- identity discrepancies (status_identity.h) ---- */

status_grid_t *status_grid_identity(const status_report_t *r, const status_identity_t *s) {
  build_t b = grid_new("身份信息差异 Identity discrepancies open, by township",
                       "身份差异 Identity", r->utc_offset_min);
  if (b.oom) return done(&b);
  char range[16];
  range_name(r, range);
  col(&b, strdup("period"), strdup("月份 period"), STATUS_SHOW_CSV, false, 0);
  col(&b, strdup("township"), strdup("代码 code"), STATUS_SHOW_CSV | STATUS_SHOW_XLSX, false, 12);
  col(&b, strdup("township_name"), strdup("乡镇 township"), STATUS_SHOW_ALL, false, 24);
  for (size_t k = 0; k < RH_DISC_KIND_COUNT; k++)
    col(&b, strdup(rh_disc_kind_code(k)), strdup(rh_disc_kind_label(k)), STATUS_SHOW_ALL, true,
        12);
  col(&b, strdup("open"), strdup("未纠正 open"), STATUS_SHOW_ALL, true, 10);
  col(&b, strdup("closed"), strdup("已纠正 corrected"), STATUS_SHOW_ALL, true, 10);
  enum { FIRST = 3 };
  uint64_t tot[STATUS_IDENTITY_NCOUNT] = {0};
  size_t nrows = r->cfg->township_count + 1; /* the last: unmatched */
  for (size_t t = 0; t < nrows && s->read && !b.oom; t++) {
    if (t + 1 == nrows) {
      size_t i = row(&b, STATUS_ROW_TOTAL);
      text(&b, i, 0, range);
      text(&b, i, 2, "合计 townships total");
      for (size_t c = 0; c < STATUS_IDENTITY_NCOUNT; c++) number(&b, i, FIRST + c, (int64_t)tot[c]);
    }
    size_t i = row(&b, 0);
    text(&b, i, 0, range);
    township_names(&b, r, i, t, 1, 2);
    for (size_t c = 0; c < STATUS_IDENTITY_NCOUNT; c++) {
      uint64_t v = status_identity_count(s, t, c);
      number(&b, i, FIRST + c, (int64_t)v);
      if (t + 1 < nrows) tot[c] += v;
    }
  }
  if (!s->read)
    note(&b, dupf(&b, "未能读取 not read: the townships' topics identity.* could not be read "
                      "(%s): the identity discrepancies of %s are unknown",
                  s->why, range));
  else
    note(&b, dupf(&b, "%" PRIu64 " identity discrepancies of %s open (the last version of each "
                      "on the townships' topics identity.* by the as-of, not CLOSED), by kind; "
                      "corrected: closed by the as-of",
                  status_identity_open(s), range));
  if (s->read)
    note(&b, strdup("counts only: the townships see the persons with riskhub-alerts --identity "
                    "(ID numbers masked); unmatched: the township the list names is not the "
                    "configuration's (the county office's)"));
  return done(&b);
}

/* ---- verification at the household (status_verify.h) ---- */

static void as_of_note(build_t *b, const status_verify_t *v) {
  char day[11];
  status_format_day(v->as_of_day, day);
  if (v->as_of_now)
    note(b, dupf(b, "states as they are now (warnings.state: the townships' steps and the web "
                    "page's visits); overdue: open and visit_due before %s (the as-of's day, "
                    "local)", day));
  else
    note(b, dupf(b, "states as of the as-of: the last step applied by the ledger or visit "
                    "recorded on the web page by then (none: pushed); overdue: open and "
                    "visit_due before %s (the as-of's local day)", day));
}

enum { V_PERIOD, V_TOWNSHIP, V_NAME, V_PUSHED, V_VERIFIED, V_INCLUDED, V_NOT_INCLUDED,
       V_ALREADY, V_OPEN, V_OVERDUE, V_DAYS_MAX, V_DAYS_TOTAL, V_WITHDRAWN, V_NCOL };

static void vtally_cells(build_t *b, size_t i, const status_vtally_t *t) {
  const uint64_t x[] = {t->pushed, t->verified, t->included, t->not_included,
                        t->already_monitored, t->open, t->overdue, t->overdue_days_max,
                        t->overdue_days_total, t->withdrawn};
  for (size_t k = 0; k < sizeof x / sizeof *x; k++)
    number(b, i, V_PUSHED + k, (int64_t)x[k]);
}

status_grid_t *status_grid_verify_townships(const status_report_t *r, const status_verify_t *v) {
  build_t b = grid_new(r->nmonths == 1 ? "入户核实 Verification at the household by township"
                                       : "入户核实 Verification at the household by township, "
                                         "the quarter's warnings",
                       "入户核实 Verification", r->utc_offset_min);
  if (b.oom) return done(&b);
  char range[16];
  range_name(r, range);
  col(&b, strdup("period"), strdup("期间 period"), STATUS_SHOW_CSV, false, 0);
  col(&b, strdup("township"), strdup("代码 code"), STATUS_SHOW_CSV | STATUS_SHOW_XLSX, false, 12);
  col(&b, strdup("township_name"), strdup("乡镇 township"), STATUS_SHOW_ALL, false, 16);
  col(&b, strdup("pushed"), strdup("推送 pushed"), STATUS_SHOW_ALL, true, 10);
  col(&b, strdup("verified"), strdup("已核实 verified"), STATUS_SHOW_ALL, true, 10);
  col(&b, strdup("included"), strdup("纳入监测 included"), STATUS_SHOW_ALL, true, 10);
  col(&b, strdup("not_included"), strdup("不纳入 not included"), STATUS_SHOW_ALL, true, 10);
  col(&b, strdup("already_monitored"), strdup("已是监测对象 already monitored"), STATUS_SHOW_ALL,
      true, 12);
  col(&b, strdup("open"), strdup("未办结 open"), STATUS_SHOW_ALL, true, 10);
  col(&b, strdup("overdue"), strdup("逾期 overdue"), STATUS_SHOW_ALL, true, 10);
  col(&b, strdup("overdue_days_max"), strdup("最长逾期天数 most days overdue"), STATUS_SHOW_ALL,
      true, 12);
  col(&b, strdup("overdue_days_total"), strdup("逾期天数合计 days overdue, total"),
      STATUS_SHOW_ALL, true, 12);
  col(&b, strdup("withdrawn"), strdup("已撤回 withdrawn"), STATUS_SHOW_ALL, true, 10);
  for (size_t t = 0; t < r->cfg->township_count && !b.oom; t++) {
    size_t i = row(&b, 0);
    text(&b, i, V_PERIOD, range);
    text(&b, i, V_TOWNSHIP, r->cfg->townships[t].code);
    text(&b, i, V_NAME, r->cfg->townships[t].name);
    vtally_cells(&b, i, &v->townships[t]);
  }
  size_t i = row(&b, STATUS_ROW_TOTAL);
  text(&b, i, V_NAME, "合计 townships total");
  vtally_cells(&b, i, &v->total);
  note(&b, strdup("pushed: warnings of the period(s) raised by the as-of; verified: an outcome "
                  "reached (included, not included or already monitored); included: "
                  "proposed, included, assisting or risk eliminated; open: pushed, received, "
                  "being verified or unreachable; withdrawn: no longer supported by its "
                  "department's corrected list (counted in pushed only)"));
  note(&b, strdup("overdue: open past its visit_due (deadlines.home_visit_days); days overdue: "
                  "the as-of's local day minus visit_due; most: the longest of the township, "
                  "total: their sum (the mean is total / overdue)"));
  as_of_note(&b, v);
  if (v->other_townships)
    note(&b, dupf(&b, "%llu warnings of townships not in the configuration are not counted",
                  (unsigned long long)v->other_townships));
  return done(&b);
}

enum { D_PERIOD, D_DEPT, D_NAME, D_LISTS, D_ON_TIME, D_WARNINGS, D_VERIFIED, D_CONFIRMED,
       D_SHARE, D_PCT, D_NCOL };

static void dept_cells(build_t *b, size_t i, const status_vtally_t *t) {
  number(b, i, D_LISTS, t->lists);
  number(b, i, D_ON_TIME, t->lists_on_time);
  number(b, i, D_WARNINGS, (int64_t)t->pushed);
  number(b, i, D_VERIFIED, (int64_t)t->verified);
  number(b, i, D_CONFIRMED, (int64_t)t->included);
  int pm = status_verify_share_permille(t);
  if (pm >= 0) {
    char s[16];
    snprintf(s, sizeof s, "%d.%03d", pm / 1000, pm % 1000);
    text(b, i, D_SHARE, s);
    snprintf(s, sizeof s, "%d.%d%%", pm / 10, pm % 10);
    text(b, i, D_PCT, s);
  }
}

status_grid_t *status_grid_verify_departments(const status_report_t *r,
                                              const status_verify_t *v) {
  build_t b = grid_new(r->nmonths == 1
                           ? "部门核实 Departments: lists on time, warnings confirmed at the household"
                           : "部门核实 Departments over the quarter: lists on time, warnings "
                             "confirmed at the household",
                       "部门核实 Departments", r->utc_offset_min);
  if (b.oom) return done(&b);
  char range[16];
  range_name(r, range);
  col(&b, strdup("period"), strdup("期间 period"), STATUS_SHOW_CSV, false, 0);
  col(&b, strdup("department"), strdup("部门代码 department code"), STATUS_SHOW_CSV, false, 0);
  col(&b, strdup("department_name"), strdup("部门 department"), STATUS_SHOW_ALL, false, 16);
  col(&b, strdup("lists"), strdup("应报名单 lists"), STATUS_SHOW_ALL, true, 10);
  col(&b, strdup("lists_on_time"), strdup("按时 on time"), STATUS_SHOW_ALL, true, 10);
  col(&b, strdup("warnings"), strdup("预警 warnings"), STATUS_SHOW_ALL, true, 10);
  col(&b, strdup("verified"), strdup("已核实 verified"), STATUS_SHOW_ALL, true, 10);
  col(&b, strdup("confirmed"), strdup("入户确认 confirmed"), STATUS_SHOW_ALL, true, 10);
  col(&b, strdup("confirmed_share"), strdup("确认率 confirmed share"), STATUS_SHOW_CSV, true, 0);
  col(&b, strdup("confirmed_pct"), strdup("确认率 confirmed"), STATUS_SHOW_PEOPLE, true, 12);
  size_t nd = r->cfg->department_count;
  for (size_t d = 0; d <= nd && !b.oom; d++) {
    if (d == nd && !status_verify_has_unknown(v)) break;
    size_t i = row(&b, 0);
    text(&b, i, D_PERIOD, range);
    text(&b, i, D_DEPT, d < nd ? r->cfg->departments[d].code : "unknown");
    text(&b, i, D_NAME, d < nd ? r->cfg->departments[d].name : "未知 unknown");
    dept_cells(&b, i, &v->departments[d]);
  }
  size_t i = row(&b, STATUS_ROW_TOTAL);
  text(&b, i, D_NAME, "合计 total");
  dept_cells(&b, i, &v->total);
  note(&b, strdup("lists: the department's feeds times the months; on time: their lists that "
                  "arrived by the deadline (the lists table)"));
  note(&b, strdup("warnings: raised from the department's lists in the period(s); confirmed: "
                  "the township found the risk at the household (included: proposed, "
                  "included, assisting or risk eliminated); confirmed share: confirmed / "
                  "verified (warnings with an outcome), empty while none is verified"));
  if (status_verify_has_unknown(v))
    note(&b, strdup("unknown: warnings the ledger wrote before it kept their department "
                    "(migration 011), or of a department not in the configuration"));
  as_of_note(&b, v);
  return done(&b);
}
