/* alerts_scale_format: see alerts_scale_format.h. */
#include "alerts_scale_format.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerts_mask.h"
#include "rh_csv.h"
#include "rh_period.h"

#define TEXT_MAX 1024

static const char *village_shown(const rh_scale_record_t *r, char *buf, size_t size) {
  if (!r->village || !alerts_mask_needed(r->village)) return r->village;
  return alerts_mask_text(r->village, buf, size);
}

static const char *status_label(rh_scale_status_t s) {
  switch (s) {
  case RH_SCALE_RAISED: return "新发";
  case RH_SCALE_UPDATED: return "有变化";
  case RH_SCALE_CLEARED: return "已解除";
  }
  return "?";
}

char *alerts_scale_local(int64_t ms, char *buf, size_t size) {
  int64_t sec = ms / 1000;
  if (ms % 1000 < 0) sec--;
  time_t t = (time_t)(sec + RH_PERIOD_UTC_OFFSET_CN * 60);
  struct tm tm;
  if (!gmtime_r(&t, &tm)) {
    snprintf(buf, size, "%" PRId64, ms);
    return buf;
  }
  char tmp[64];
  snprintf(tmp, sizeof tmp, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min);
  snprintf(buf, size, "%s", tmp);
  return buf;
}

/* The shortest of %.15g and %.17g that reads back as d. */
static void number(double d, char *buf, size_t size) {
  snprintf(buf, size, "%.15g", d);
  if (strtod(buf, NULL) != d) snprintf(buf, size, "%.17g", d);
}

/* ---- table ---------------------------------------------------------------------- */

static void write_line(FILE *out, const alerts_fmt_t *f, const rh_scale_record_t *r) {
  char v[TEXT_MAX], since[32];
  const char *tn = alerts_township_name(f, r->township_code);
  const char *village = r->village && *r->village ? village_shown(r, v, sizeof v) : "全乡镇";
  fprintf(out,
          "%s [%s %s] v%" PRId64 " %s %s (%s) %s: 预警 %" PRId64 " 户 / 共 %" PRId64
          " 户, 基线 %.1f, 始于 %s UTC+08:00\n",
          r->period, rh_scale_status_name(r->status), status_label(r->status), r->version,
          r->rule_id, tn ? tn : "未知乡镇", r->township_code, village, r->households,
          r->place_households, r->baseline, alerts_scale_local(r->since, since, sizeof since));
}

/* ---- JSON ------------------------------------------------------------------------ */

static void json_array(FILE *out, const char *const *v, size_t n) {
  putc('[', out);
  for (size_t i = 0; i < n; i++) {
    if (i) putc(',', out);
    alerts_json_str(out, v[i]);
  }
  putc(']', out);
}

static void write_json(FILE *out, const alerts_fmt_t *f, const rh_scale_record_t *r) {
  char v[TEXT_MAX], num[64];
  int first = 1;
  putc('{', out);
#define S(key, val) (alerts_json_key(out, key, &first), alerts_json_str(out, val))
#define N(key, val) (alerts_json_key(out, key, &first), fprintf(out, "%" PRId64, (int64_t)(val)))
#define A(key, arr, n) (alerts_json_key(out, key, &first), json_array(out, arr, n))
  S("scale_risk_id", r->scale_risk_id);
  S("rule_id", r->rule_id);
  S("period", r->period);
  S("place_level", r->place_level);
  S("township_code", r->township_code);
  S("township_name", alerts_township_name(f, r->township_code));
  S("village", village_shown(r, v, sizeof v));
  A("risks", r->risks, r->risk_count);
  S("status", rh_scale_status_name(r->status));
  N("version", r->version);
  N("households", r->households);
  N("place_households", r->place_households);
  number(r->baseline, num, sizeof num);
  alerts_json_key(out, "baseline", &first);
  fputs(num, out);
  A("household_ids", r->household_ids, r->household_count);
  A("alert_ids", r->alert_ids, r->alert_count);
  S("since", alerts_iso_ms(r->since, num, sizeof num));
  S("created_at", alerts_iso_ms(r->created_at, num, sizeof num));
  S("content", r->content);
#undef S
#undef N
#undef A
  fputs("}\n", out);
}

/* ---- CSV ------------------------------------------------------------------------- */

static const char *const CSV_COLUMNS[] = {
    "scale_risk_id", "rule_id", "period", "place_level", "township_code", "township_name",
    "village", "risks", "status", "version", "households", "place_households", "baseline",
    "household_ids", "alert_ids", "since", "created_at", "content", NULL};

/* the strings joined by a space into one cell */
static void csv_list(FILE *out, const char *const *v, size_t n, int *first) {
  char *s = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&s, &len);
  if (mem) {
    for (size_t i = 0; i < n; i++) fprintf(mem, "%s%s", i ? " " : "", v[i]);
    fclose(mem);
  }
  alerts_csv_cell(out, s ? s : "", first);
  free(s);
}

static void write_csv(FILE *out, const alerts_fmt_t *f, const rh_scale_record_t *r) {
  char v[TEXT_MAX], num[64];
  int first = 1;
#define C(val) alerts_csv_cell(out, val, &first)
  C(r->scale_risk_id);
  C(r->rule_id);
  C(r->period);
  C(r->place_level);
  C(r->township_code);
  C(alerts_township_name(f, r->township_code));
  C(village_shown(r, v, sizeof v));
  csv_list(out, r->risks, r->risk_count, &first);
  C(rh_scale_status_name(r->status));
  snprintf(num, sizeof num, "%" PRId64, r->version);
  C(num);
  snprintf(num, sizeof num, "%" PRId64, r->households);
  C(num);
  snprintf(num, sizeof num, "%" PRId64, r->place_households);
  C(num);
  number(r->baseline, num, sizeof num);
  C(num);
  csv_list(out, r->household_ids, r->household_count, &first);
  csv_list(out, r->alert_ids, r->alert_count, &first);
  C(alerts_iso_ms(r->since, num, sizeof num));
  C(alerts_iso_ms(r->created_at, num, sizeof num));
  C(r->content);
#undef C
  fputs("\r\n", out);
}

/* ---- entry points ------------------------------------------------------------------ */

int alerts_scale_format_begin(FILE *out, const alerts_fmt_t *f) {
  return alerts_format_csv_begin(out, f, CSV_COLUMNS);
}

int alerts_scale_format_one(FILE *out, const alerts_fmt_t *f, const rh_scale_record_t *r) {
  switch (f->format) {
  case ALERTS_FMT_TABLE: write_line(out, f, r); break;
  case ALERTS_FMT_JSONL: write_json(out, f, r); break;
  case ALERTS_FMT_CSV: write_csv(out, f, r); break;
  }
  return ferror(out) ? -1 : 0;
}

int alerts_scale_format_nothing(FILE *out, const alerts_fmt_t *f) {
  return alerts_format_table_line(out, f, "没有新的规模性返贫风险.");
}

static int one(FILE *out, const alerts_fmt_t *f, const void *rec) {
  return alerts_scale_format_one(out, f, rec);
}

const alerts_record_format_t ALERTS_SCALE_FORMAT = {alerts_scale_format_begin, one,
                                                 alerts_scale_format_nothing};
