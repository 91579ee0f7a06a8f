#include "registry_row.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "rh_parse.h"

/* ---- files and columns ---- */

static const char *const hh_cols[] = {
    "household_id",   "township_code",    "village",         "household_type",
    "monitoring_category", "identified_month", "risk_eliminated", "eliminated_how",
    "eliminated_month", "income_per_capita", "head_id_number"};
static const char *const mb_cols[] = {
    "household_id", "id_number",        "name",           "sex",
    "relation",     "birth_date",       "health",         "disability_grade",
    "labour_ability", "schooling",      "migrant_months", "medical_insurance"};
static const char *const ap_cols[] = {"period", "household_id", "applied_on"};

enum { H_ID, H_TOWNSHIP, H_VILLAGE, H_TYPE, H_CATEGORY, H_IDENTIFIED, H_ELIMINATED, H_HOW,
       H_ELIM_MONTH, H_INCOME, H_HEAD };
enum { M_HH, M_ID, M_NAME, M_SEX, M_RELATION, M_BIRTH, M_HEALTH, M_GRADE, M_LABOUR, M_SCHOOLING,
       M_MIGRANT, M_INSURED };
enum { A_PERIOD, A_HH, A_APPLIED };

#define N_(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
  const char *file, *table, *list;
  const char *const *cols;
  size_t n;
} files[REGISTRY_FILE_COUNT] = {
    {"households.csv", "households",
     "household_id,township_code,village,household_type,monitoring_category,identified_month,"
     "risk_eliminated,eliminated_how,eliminated_month,income_per_capita,head_id_number",
     hh_cols, N_(hh_cols)},
    {"members.csv", "members",
     "household_id,id_number,name,sex,relation,birth_date,health,disability_grade,"
     "labour_ability,schooling,migrant_months,medical_insurance",
     mb_cols, N_(mb_cols)},
    {"applications.csv", "applications", "period,household_id,applied_on", ap_cols,
     N_(ap_cols)}};

const char *registry_file_name(registry_file_t f) {
  return (unsigned)f < REGISTRY_FILE_COUNT ? files[f].file : "?";
}
const char *registry_table_name(registry_file_t f) {
  return (unsigned)f < REGISTRY_FILE_COUNT ? files[f].table : "?";
}
const char *registry_columns(registry_file_t f) {
  return (unsigned)f < REGISTRY_FILE_COUNT ? files[f].list : "";
}
size_t registry_column_count(registry_file_t f) {
  return (unsigned)f < REGISTRY_FILE_COUNT ? files[f].n : 0;
}
const char *registry_column(registry_file_t f, size_t i) {
  return (unsigned)f < REGISTRY_FILE_COUNT && i < files[f].n ? files[f].cols[i] : NULL;
}

const char *const registry_hh_type_codes[3] = {"poverty_alleviated", "monitored", "ordinary"};
const char *const registry_category_codes[3] = {"unstable", "marginal", "sudden_hardship"};
const char *const registry_elim_codes[2] = {"assisted", "natural"};
const char *const registry_relation_codes[7] = {"head",       "spouse",  "child", "parent",
                                              "grandchild", "sibling", "other"};
const char *const registry_health_codes[4] = {"healthy", "chronic", "major_illness", "disabled"};
const char *const registry_labour_codes[3] = {"strong", "weak", "none"};
const char *const registry_schooling_codes[6] = {"none",   "primary", "junior",
                                               "senior", "college", "in_school"};

int registry_map_header(registry_map_t *m, registry_file_t file, const rh_csv_row_t *header,
                      char *errstr, size_t errstr_size) {
  memset(m, 0, sizeof(*m));
  m->file = file;
  m->nfields = header->nfields;
  char missing[512] = "";
  size_t nmissing = 0, off = 0;
  for (size_t i = 0; i < files[file].n; i++) {
    m->col[i] = rh_csv_find_column(header, files[file].cols[i]);
    if (m->col[i] >= 0) continue;
    nmissing++;
    if (off < sizeof(missing))
      off += (size_t)snprintf(missing + off, sizeof(missing) - off, "%s%s", off ? ", " : "",
                              files[file].cols[i]);
  }
  if (!nmissing) return 0;
  char have[512] = "";
  off = 0;
  for (size_t i = 0; i < header->nfields && off < sizeof(have); i++)
    off += (size_t)snprintf(have + off, sizeof(have) - off, "%s%s", i ? ", " : "",
                            header->fields[i].str);
  snprintf(errstr, errstr_size, "header has no column%s %s; the header has: %s (expected: %s)",
           nmissing > 1 ? "s" : "", missing, have, files[file].list);
  return -1;
}

/* ---- helpers ---- */

typedef struct {
  const registry_ctx_t *ctx;
  registry_file_t file;
  unsigned long line;
  int errors;
} rowctx_t;

__attribute__((format(printf, 3, 4))) static void bad(rowctx_t *rc, const char *column,
                                                      const char *fmt, ...) {
  char reason[384];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(reason, sizeof(reason), fmt, ap);
  va_end(ap);
  rc->errors++;
  if (rc->ctx->report) rc->ctx->report(rc->ctx->report_ud, rc->file, rc->line, column, reason);
}

typedef struct {
  const char *s;
  size_t len;
} val_t;

static val_t field(const registry_map_t *m, const rh_csv_row_t *row, int i) {
  val_t v = {"", 0};
  int c = m->col[i];
  if (c >= 0 && (size_t)c < row->nfields) rh_trim(row->fields[c].str, row->fields[c].len, &v.s, &v.len);
  return v;
}

/* A bad value quoted for the reason only if it cannot be personal data: short
 * printable ASCII (never a Chinese name) without a run of 10 or more digits
 * (never an ID number or a large part of one): a mistyped code or number. */
static const char *shown(val_t v, char out[48]) {
  int run = 0;
  if (v.len == 0 || v.len > 24) return "";
  for (size_t i = 0; i < v.len; i++) {
    unsigned char c = (unsigned char)v.s[i];
    if (c < 0x20 || c > 0x7e || c == '\'') return "";
    run = c >= '0' && c <= '9' ? run + 1 : 0;
    if (run >= 10) return "";
  }
  snprintf(out, 48, " '%.*s'", (int)v.len, v.s);
  return out;
}

static int code_index(const char *const *codes, size_t n, val_t v) {
  for (size_t i = 0; i < n; i++)
    if (strlen(codes[i]) == v.len && memcmp(codes[i], v.s, v.len) == 0) return (int)i;
  return -1;
}

static void code_list(const char *const *codes, size_t n, char *out, size_t size) {
  size_t off = 0;
  out[0] = '\0';
  for (size_t i = 0; i < n && off < size; i++)
    off += (size_t)snprintf(out + off, size - off, "%s%s", i ? (i + 1 == n ? " or " : ", ") : "",
                            codes[i]);
}

/* A code from a set: its index, or -1 with the problem reported (also when
 * empty and required). An empty optional value gives -2. */
static int code(rowctx_t *rc, const char *column, val_t v, const char *const *codes, size_t n,
                bool required) {
  if (v.len == 0) {
    if (required) bad(rc, column, "required value is empty");
    return required ? -1 : -2;
  }
  int i = code_index(codes, n, v);
  if (i < 0) {
    char list[256], q[48];
    code_list(codes, n, list, sizeof(list));
    bad(rc, column, "unknown %s%s (expected %s)", column, shown(v, q), list);
  }
  return i;
}

static bool is_digits(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

static bool hhid_ok(val_t v) {
  return v.len == REGISTRY_HHID_LEN && is_digits(v.s, 9) && v.s[9] == '-' &&
         is_digits(v.s + 10, 3) && v.s[13] == '-' && is_digits(v.s + 14, 4);
}

/* household_id into out (REGISTRY_HHID_BUFSZ), or "" with the problem reported. */
static void household_id(rowctx_t *rc, val_t v, char *out) {
  out[0] = '\0';
  char q[48];
  if (v.len == 0) bad(rc, "household_id", "required value is empty");
  else if (!hhid_ok(v))
    bad(rc, "household_id", "household number%s is not TTTTTTTTT-VVV-HHHH "
        "(township code, village number, household number, e.g. 411024100-007-0123)", shown(v, q));
  else {
    memcpy(out, v.s, REGISTRY_HHID_LEN);
    out[REGISTRY_HHID_LEN] = '\0';
  }
}

/* An ID number into out (RH_ID_BUFSZ, normalised), or "" with the problem reported. */
static void id_number(rowctx_t *rc, const char *column, val_t v, char *out) {
  rh_id_status_t st = rh_id_validate(v.s, v.len, rc->ctx->max_year, out);
  if (st == RH_ID_OK) return;
  out[0] = '\0';
  if (st == RH_ID_EMPTY) {
    bad(rc, column, "required value is empty");
    return;
  }
  char raw[64], masked[RH_ID_BUFSZ];
  size_t n = v.len < sizeof(raw) - 1 ? v.len : sizeof(raw) - 1;
  memcpy(raw, v.s, n);
  raw[n] = '\0';
  rh_id_mask(raw, masked);
  bad(rc, column, "%s (%s)", rh_id_status_str(st), masked);
}

static void text(rowctx_t *rc, const char *column, val_t v, const char **out, size_t *out_len) {
  *out = v.s;
  *out_len = v.len;
  if (v.len == 0) {
    bad(rc, column, "required value is empty");
    return;
  }
  if (v.len > REGISTRY_MAX_TEXT) {
    bad(rc, column, "longer than %u bytes", REGISTRY_MAX_TEXT);
    return;
  }
  for (size_t i = 0; i < v.len; i++) {
    unsigned char c = (unsigned char)v.s[i];
    if (c < 0x20 || c == 0x7f) {
      bad(rc, column, "holds a control character (a line break or tab inside the value?)");
      return;
    }
  }
}

/* YYYY-MM → month index; -2 if empty; -1 with the problem reported. */
static int month(rowctx_t *rc, const char *column, val_t v) {
  if (v.len == 0) return -2;
  char buf[16], q[48];
  int y, mo;
  if (v.len == 7) {
    memcpy(buf, v.s, 7);
    buf[7] = '\0';
    if (rh_parse_period(buf, &y, &mo) == 0) return y * 12 + mo - 1;
  }
  bad(rc, column, "%s is not a month YYYY-MM%s", column, shown(v, q));
  return -1;
}

/* true/false → 1/0; -2 if empty; -1 with the problem reported. */
static int boolean(rowctx_t *rc, const char *column, val_t v, bool required) {
  if (v.len == 0) {
    if (required) bad(rc, column, "required value is empty");
    return required ? -1 : -2;
  }
  if (v.len == 4 && strncasecmp(v.s, "true", 4) == 0) return 1;
  if (v.len == 5 && strncasecmp(v.s, "false", 5) == 0) return 0;
  char q[48];
  bad(rc, column, "%s%s is not true or false", column, shown(v, q));
  return -1;
}

/* A small non-negative integer in [lo, hi]; -2 if empty; -1 with the problem reported. */
static int small_int(rowctx_t *rc, const char *column, val_t v, int lo, int hi) {
  if (v.len == 0) return -2;
  if (v.len <= 3 && is_digits(v.s, v.len)) {
    int n = 0;
    for (size_t i = 0; i < v.len; i++) n = n * 10 + (v.s[i] - '0');
    if (n >= lo && n <= hi) return n;
  }
  char q[48];
  bad(rc, column, "%s%s is not a whole number from %d to %d", column, shown(v, q), lo, hi);
  return -1;
}

static int row_ok(rowctx_t *rc, const registry_map_t *m, const rh_csv_row_t *row) {
  if (row->nfields == m->nfields) return 1;
  bad(rc, NULL, "row has %zu fields where the header has %zu (a missing or extra comma, or an "
      "unquoted comma in a value)", row->nfields, m->nfields);
  return 0;
}

static int this_year(const registry_ctx_t *ctx) {
  if (ctx->max_year > 0) return ctx->max_year;
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  return tm.tm_year + 1900;
}

/* ---- households ---- */

int registry_household_parse(const registry_ctx_t *ctx, const registry_map_t *m,
                           const rh_csv_row_t *row, registry_household_t *out) {
  registry_ctx_t c2 = *ctx;
  c2.max_year = this_year(ctx);
  rowctx_t rc = {&c2, REGISTRY_HOUSEHOLDS, row->line, 0};
  memset(out, 0, sizeof(*out));
  out->category = out->how = out->identified_month = out->eliminated_month = -1;
  if (!row_ok(&rc, m, row)) return rc.errors;

  household_id(&rc, field(m, row, H_ID), out->household_id);

  val_t tw = field(m, row, H_TOWNSHIP);
  char q[48];
  if (tw.len == 0) bad(&rc, "township_code", "required value is empty");
  else if (tw.len != 9 || !is_digits(tw.s, 9))
    bad(&rc, "township_code", "township code%s is not 9 digits", shown(tw, q));
  else {
    memcpy(out->township_code, tw.s, 9);
    out->township_code[9] = '\0';
    bool known = false;
    for (size_t i = 0; ctx->cfg && i < ctx->cfg->township_count; i++)
      if (strcmp(ctx->cfg->townships[i].code, out->township_code) == 0) known = true;
    if (!known)
      bad(&rc, "township_code", "township code '%s' is not one of the county's townships",
          out->township_code);
    else if (out->household_id[0] && memcmp(out->household_id, out->township_code, 9) != 0)
      bad(&rc, "household_id", "household number does not start with its township_code %s",
          out->township_code);
  }

  text(&rc, "village", field(m, row, H_VILLAGE), &out->village, &out->village_len);

  int type = code(&rc, "household_type", field(m, row, H_TYPE), registry_hh_type_codes, 3, true);
  out->type = type;
  int cat = code(&rc, "monitoring_category", field(m, row, H_CATEGORY), registry_category_codes, 3,
                 false);
  out->category = cat >= 0 ? cat : -1;
  if (type == RH_HH_MONITORED && cat == -2)
    bad(&rc, "monitoring_category", "required for a monitored household");
  else if (type >= 0 && type != RH_HH_MONITORED && cat >= 0)
    bad(&rc, "monitoring_category", "only a monitored household has a monitoring category (this "
        "one is %s)", registry_hh_type_codes[type]);

  int ident = month(&rc, "identified_month", field(m, row, H_IDENTIFIED));
  out->identified_month = ident >= 0 ? ident : -1;
  if (type == RH_HH_MONITORED && ident == -2)
    bad(&rc, "identified_month", "required for a monitored household");

  int elim = boolean(&rc, "risk_eliminated", field(m, row, H_ELIMINATED), true);
  out->eliminated = elim == 1;
  int how = code(&rc, "eliminated_how", field(m, row, H_HOW), registry_elim_codes, 2, false);
  out->how = how >= 0 ? how : -1;
  int em = month(&rc, "eliminated_month", field(m, row, H_ELIM_MONTH));
  out->eliminated_month = em >= 0 ? em : -1;
  if (elim == 1) {
    if (how == -2) bad(&rc, "eliminated_how", "required when risk_eliminated is true");
    if (em == -2) bad(&rc, "eliminated_month", "required when risk_eliminated is true");
    if (ident == -2 && type != RH_HH_MONITORED)
      bad(&rc, "identified_month", "required when risk_eliminated is true (a risk is "
          "eliminated only after it was identified)");
    if (em >= 0 && ident >= 0 && em < ident)
      bad(&rc, "eliminated_month", "before identified_month");
  } else if (elim == 0) {
    if (how >= 0) bad(&rc, "eliminated_how", "must be empty when risk_eliminated is false");
    if (em >= 0) bad(&rc, "eliminated_month", "must be empty when risk_eliminated is false");
  }

  val_t inc = field(m, row, H_INCOME);
  if (inc.len == 0) bad(&rc, "income_per_capita", "required value is empty");
  else if (rh_parse_amount_fen(inc.s, inc.len, &out->income_fen) ||
           out->income_fen >= 1000000000000LL || out->income_fen <= -1000000000000LL)
    bad(&rc, "income_per_capita", "income_per_capita%s is not an amount in yuan with at most 2 "
        "decimals (e.g. 12345.67)", shown(inc, q));

  id_number(&rc, "head_id_number", field(m, row, H_HEAD), out->head_id);
  return rc.errors;
}

/* ---- members ---- */

int registry_member_parse(const registry_ctx_t *ctx, const registry_map_t *m, const rh_csv_row_t *row,
                        registry_member_t *out) {
  registry_ctx_t c2 = *ctx;
  c2.max_year = this_year(ctx);
  rowctx_t rc = {&c2, REGISTRY_MEMBERS, row->line, 0};
  memset(out, 0, sizeof(*out));
  out->relation = -1;
  if (!row_ok(&rc, m, row)) return rc.errors;

  household_id(&rc, field(m, row, M_HH), out->household_id);
  id_number(&rc, "id_number", field(m, row, M_ID), out->id);
  text(&rc, "name", field(m, row, M_NAME), &out->name, &out->name_len);

  static const char *const sexes[] = {"male", "female"};
  int sex = code(&rc, "sex", field(m, row, M_SEX), sexes, 2, true);
  out->male = sex == 0;
  if (sex >= 0 && out->id[0] && (sex == 0) != (rh_id_is_male(out->id) != 0))
    bad(&rc, "sex", "%s does not agree with the ID number's sequence digit (odd = male)",
        sexes[sex]);

  out->relation = code(&rc, "relation", field(m, row, M_RELATION), registry_relation_codes, 7, true);

  val_t b = field(m, row, M_BIRTH);
  char q[48];
  if (b.len == 0) bad(&rc, "birth_date", "required value is empty");
  else if (rh_parse_date(b.s, b.len, &out->birth))
    bad(&rc, "birth_date", "birth_date%s is not a date (write YYYY-MM-DD)", shown(b, q));
  else if (out->id[0]) {
    int y, mo, d;
    rh_id_birth_date(out->id, &y, &mo, &d);
    if (rh_days_from_date(y, mo, d) != out->birth)
      bad(&rc, "birth_date", "does not agree with the birth date in the ID number");
  }

  out->health = code(&rc, "health", field(m, row, M_HEALTH), registry_health_codes, 4, true);
  int grade = small_int(&rc, "disability_grade", field(m, row, M_GRADE), 1, 4);
  out->grade = grade > 0 ? grade : 0;
  if (out->health == RH_HEALTH_DISABLED && grade == -2)
    bad(&rc, "disability_grade", "required (1 to 4) when health is disabled");
  else if (out->health >= 0 && out->health != RH_HEALTH_DISABLED && grade > 0)
    bad(&rc, "disability_grade", "must be empty unless health is disabled");

  out->labour = code(&rc, "labour_ability", field(m, row, M_LABOUR), registry_labour_codes, 3, true);
  out->schooling = code(&rc, "schooling", field(m, row, M_SCHOOLING), registry_schooling_codes, 6,
                        true);
  int mig = small_int(&rc, "migrant_months", field(m, row, M_MIGRANT), 0, 12);
  if (mig == -2) bad(&rc, "migrant_months", "required value is empty");
  out->migrant_months = mig >= 0 ? mig : 0;
  out->insured = boolean(&rc, "medical_insurance", field(m, row, M_INSURED), true) == 1;
  return rc.errors;
}

/* ---- applications ---- */

int registry_application_parse(const registry_ctx_t *ctx, const registry_map_t *m,
                             const rh_csv_row_t *row, registry_application_t *out) {
  rowctx_t rc = {ctx, REGISTRY_APPLICATIONS, row->line, 0};
  memset(out, 0, sizeof(*out));
  if (!row_ok(&rc, m, row)) return rc.errors;
  val_t p = field(m, row, A_PERIOD);
  int pm = month(&rc, "period", p);
  if (pm == -2) bad(&rc, "period", "required value is empty");
  if (pm >= 0) registry_month_str(pm, out->period);
  household_id(&rc, field(m, row, A_HH), out->household_id);
  val_t a = field(m, row, A_APPLIED);
  char q[48];
  if (a.len == 0) bad(&rc, "applied_on", "required value is empty");
  else if (rh_parse_date(a.s, a.len, &out->applied_on))
    bad(&rc, "applied_on", "applied_on%s is not a date (write YYYY-MM-DD)", shown(a, q));
  else if (pm >= 0) {
    int y, mo, d;
    rh_date_from_days(out->applied_on, &y, &mo, &d);
    if (y * 12 + mo - 1 != pm) bad(&rc, "applied_on", "not in the period %s", out->period);
  }
  return rc.errors;
}

/* ---- COPY text lines ---- */

void registry_month_str(int idx, char out[8]) {
  int y = idx / 12, mo = idx % 12 + 1;
  if (y < 0 || y > 9999) y = 0;
  out[0] = (char)('0' + y / 1000);
  out[1] = (char)('0' + y / 100 % 10);
  out[2] = (char)('0' + y / 10 % 10);
  out[3] = (char)('0' + y % 10);
  out[4] = '-';
  out[5] = (char)('0' + mo / 10);
  out[6] = (char)('0' + mo % 10);
  out[7] = '\0';
}

size_t registry_copy_escape(const char *s, size_t len, char *out) {
  size_t o = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    switch (c) {
    case '\\': out[o++] = '\\'; out[o++] = '\\'; break;
    case '\t': out[o++] = '\\'; out[o++] = 't'; break;
    case '\n': out[o++] = '\\'; out[o++] = 'n'; break;
    case '\r': out[o++] = '\\'; out[o++] = 'r'; break;
    default:
      if (c < 0x20 || c == 0x7f) {
        out[o++] = '\\';
        out[o++] = (char)('0' + (c >> 6));
        out[o++] = (char)('0' + ((c >> 3) & 7));
        out[o++] = (char)('0' + (c & 7));
      } else {
        out[o++] = (char)c;
      }
    }
  }
  out[o] = '\0';
  return o;
}

typedef struct {
  char *p;
  size_t n;
} line_t;

static void put(line_t *l, const char *s, size_t len) {
  memcpy(l->p + l->n, s, len);
  l->n += len;
}
static void puts_(line_t *l, const char *s) { put(l, s, strlen(s)); }
static void tab(line_t *l) { l->p[l->n++] = '\t'; }
static void null_(line_t *l) { put(l, "\\N", 2); }
static void text_esc(line_t *l, const char *s, size_t len) {
  if (len > REGISTRY_MAX_TEXT) len = REGISTRY_MAX_TEXT; /* never for a valid row */
  l->n += registry_copy_escape(s, len, l->p + l->n);
}
static void month_first(line_t *l, int idx) {
  char m[8];
  registry_month_str(idx, m);
  put(l, m, 7);
  put(l, "-01", 3);
}
static void date_(line_t *l, int32_t days) {
  int y, mo, d;
  rh_date_from_days(days, &y, &mo, &d);
  char b[16];
  int n = snprintf(b, sizeof(b), "%04d-%02d-%02d", y, mo, d);
  put(l, b, (size_t)n);
}
static void int_(line_t *l, long long v) {
  char b[24];
  int n = snprintf(b, sizeof(b), "%lld", v);
  put(l, b, (size_t)n);
}

size_t registry_household_copy(const registry_household_t *h, char *buf) {
  line_t l = {buf, 0};
  put(&l, h->household_id, REGISTRY_HHID_LEN);
  tab(&l);
  puts_(&l, h->township_code);
  tab(&l);
  text_esc(&l, h->village, h->village_len);
  tab(&l);
  puts_(&l, registry_hh_type_codes[h->type]);
  tab(&l);
  if (h->category >= 0) puts_(&l, registry_category_codes[h->category]);
  else null_(&l);
  tab(&l);
  if (h->identified_month >= 0) month_first(&l, h->identified_month);
  else null_(&l);
  tab(&l);
  puts_(&l, h->eliminated ? "t" : "f");
  tab(&l);
  if (h->how >= 0) puts_(&l, registry_elim_codes[h->how]);
  else null_(&l);
  tab(&l);
  if (h->eliminated_month >= 0) month_first(&l, h->eliminated_month);
  else null_(&l);
  tab(&l);
  long long fen = h->income_fen, a = fen < 0 ? -fen : fen;
  char b[40];
  int n = snprintf(b, sizeof(b), "%s%lld.%02lld", fen < 0 ? "-" : "", a / 100, a % 100);
  put(&l, b, (size_t)n);
  tab(&l);
  puts_(&l, h->head_id);
  l.p[l.n++] = '\n';
  l.p[l.n] = '\0';
  return l.n;
}

size_t registry_member_copy(const registry_member_t *mb, char *buf) {
  line_t l = {buf, 0};
  put(&l, mb->household_id, REGISTRY_HHID_LEN);
  tab(&l);
  puts_(&l, mb->id);
  tab(&l);
  text_esc(&l, mb->name, mb->name_len);
  tab(&l);
  puts_(&l, mb->male ? "male" : "female");
  tab(&l);
  puts_(&l, registry_relation_codes[mb->relation]);
  tab(&l);
  date_(&l, mb->birth);
  tab(&l);
  puts_(&l, registry_health_codes[mb->health]);
  tab(&l);
  if (mb->grade > 0) int_(&l, mb->grade);
  else null_(&l);
  tab(&l);
  puts_(&l, registry_labour_codes[mb->labour]);
  tab(&l);
  puts_(&l, registry_schooling_codes[mb->schooling]);
  tab(&l);
  int_(&l, mb->migrant_months);
  tab(&l);
  puts_(&l, mb->insured ? "t" : "f");
  l.p[l.n++] = '\n';
  l.p[l.n] = '\0';
  return l.n;
}

size_t registry_application_copy(const registry_application_t *a, char *buf) {
  line_t l = {buf, 0};
  put(&l, a->period, 7);
  tab(&l);
  put(&l, a->household_id, REGISTRY_HHID_LEN);
  tab(&l);
  date_(&l, a->applied_on);
  l.p[l.n++] = '\n';
  l.p[l.n] = '\0';
  return l.n;
}
