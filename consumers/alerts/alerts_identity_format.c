/* alerts_identity_format: see alerts_identity_format.h. */
#include "alerts_identity_format.h"

#include <inttypes.h>
#include <string.h>

#include "alerts_scale_format.h"

#define TEXT_MAX 1024

const char *alerts_identity_status_label(rh_disc_status_t s) {
  switch (s) {
  case RH_DISC_OPEN: return "待纠正";
  case RH_DISC_UPDATED: return "有变化";
  case RH_DISC_CLOSED: return "已纠正";
  }
  return "?";
}

/* never unmasked, whatever the caller's f says */
static const alerts_fmt_t *masked(const alerts_fmt_t *f, alerts_fmt_t *copy) {
  *copy = *f;
  copy->unmasked = false;
  return copy;
}

static const char *kind_label(const char *code) {
  return rh_disc_kind_label((size_t)rh_disc_kind_index(code));
}

static const char *or_dash(const char *s) { return s && *s ? s : "—"; }

/* ---- table ---------------------------------------------------------------------- */

static void write_line(FILE *out, const alerts_fmt_t *f, const rh_discrepancy_t *d) {
  char reg[TEXT_MAX], list[TEXT_MAX], id[RH_ID_BUFSZ], since[32];
  const char *tn = alerts_township_name(f, d->township_code);
  const char *kl = kind_label(d->kind);
  fprintf(out, "%s [%s %s] v%" PRId64 " %s (%s) %s %s %s 户 %s: 系统 %s / 公安 %s, 始于 %s UTC+08:00\n",
          d->period, rh_disc_status_name(d->status), alerts_identity_status_label(d->status),
          d->version, tn ? tn : "未知乡镇", or_dash(d->township_code), kl ? kl : "未知类型",
          d->kind, alerts_shown_id(f, d->person_id_number, id), or_dash(d->household_id),
          or_dash(alerts_shown(f, d->registry_value, reg, sizeof reg)),
          or_dash(alerts_shown(f, d->list_value, list, sizeof list)),
          alerts_scale_local(d->since, since, sizeof since));
}

/* ---- JSON and CSV: the same fields ------------------------------------------------ */

enum { NFIELDS = 18 };

static const char *const COLUMNS[NFIELDS + 1] = {
    "discrepancy_id", "status",         "version",        "kind",     "kind_label",
    "period",         "township_code",  "township_name",  "household_id",
    "person_id_number", "registry_value", "list_value",   "department", "feed",
    "batch_id",       "since",          "created_at",     "content",  NULL};

/* the fields as text, in COLUMNS' order (NULL: null); version a number */
static void fields(const alerts_fmt_t *f, const rh_discrepancy_t *d, const char *v[NFIELDS],
                   char num[3][40], char id[RH_ID_BUFSZ], char reg[TEXT_MAX],
                   char list[TEXT_MAX]) {
  snprintf(num[0], 40, "%" PRId64, d->version);
  const char *x[NFIELDS] = {
      d->discrepancy_id, rh_disc_status_name(d->status), num[0], d->kind, kind_label(d->kind),
      d->period, d->township_code, alerts_township_name(f, d->township_code), d->household_id,
      alerts_shown_id(f, d->person_id_number, id), alerts_shown(f, d->registry_value, reg, TEXT_MAX),
      alerts_shown(f, d->list_value, list, TEXT_MAX), d->department, d->feed, d->batch_id,
      alerts_iso_ms(d->since, num[1], 40), alerts_iso_ms(d->created_at, num[2], 40), d->content};
  memcpy(v, x, sizeof x);
}

static void write_json(FILE *out, const alerts_fmt_t *f, const rh_discrepancy_t *d) {
  char num[3][40], id[RH_ID_BUFSZ], reg[TEXT_MAX], list[TEXT_MAX];
  const char *v[NFIELDS];
  fields(f, d, v, num, id, reg, list);
  int first = 1;
  putc('{', out);
  for (size_t i = 0; i < NFIELDS; i++) {
    alerts_json_key(out, COLUMNS[i], &first);
    if (strcmp(COLUMNS[i], "version") == 0)
      fputs(v[i], out);
    else
      alerts_json_str(out, v[i]);
  }
  fputs("}\n", out);
}

static void write_csv(FILE *out, const alerts_fmt_t *f, const rh_discrepancy_t *d) {
  char num[3][40], id[RH_ID_BUFSZ], reg[TEXT_MAX], list[TEXT_MAX];
  const char *v[NFIELDS];
  fields(f, d, v, num, id, reg, list);
  int first = 1;
  for (size_t i = 0; i < NFIELDS; i++) alerts_csv_cell(out, v[i], &first);
  fputs("\r\n", out);
}

/* ---- entry points ------------------------------------------------------------------ */

int alerts_identity_format_begin(FILE *out, const alerts_fmt_t *f) {
  return alerts_format_csv_begin(out, f, COLUMNS);
}

int alerts_identity_format_one(FILE *out, const alerts_fmt_t *f, const rh_discrepancy_t *d) {
  alerts_fmt_t copy;
  const alerts_fmt_t *m = masked(f, &copy);
  switch (f->format) {
  case ALERTS_FMT_TABLE: write_line(out, m, d); break;
  case ALERTS_FMT_JSONL: write_json(out, m, d); break;
  case ALERTS_FMT_CSV: write_csv(out, m, d); break;
  }
  return ferror(out) ? -1 : 0;
}

int alerts_identity_format_nothing(FILE *out, const alerts_fmt_t *f) {
  return alerts_format_table_line(out, f, "没有新的身份信息差异.");
}

static int one(FILE *out, const alerts_fmt_t *f, const void *rec) {
  return alerts_identity_format_one(out, f, rec);
}

const alerts_record_format_t ALERTS_IDENTITY_FORMAT = {alerts_identity_format_begin, one,
                                                 alerts_identity_format_nothing};
