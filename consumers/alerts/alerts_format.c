/* alerts_format: see alerts_format.h. */
#include "alerts_format.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerts_mask.h"
#include "rh_csv.h"
#include "rh_idnum.h"
#include "rh_parse.h"
#include "rh_verify.h"

#define TEXT_MAX 4096 /* a masked free-text field; longer text is cut (masked ones only) */

/* ---- labels ---------------------------------------------------------------- */

typedef struct {
  const char *code, *label;
} label_t;

static const char *label(const label_t *t, const char *code) {
  if (!code) return "";
  for (; t->code; t++)
    if (strcmp(t->code, code) == 0) return t->label;
  return code;
}

static const label_t SITUATIONS[] = {{"AT_NEW_RISK", "存在新风险"},
                                     {"MAY_NEED_MONITORING", "可能需纳入监测"},
                                     {"RISK_MAY_HAVE_RETURNED", "风险可能返回"},
                                     {"UNMATCHED", "未匹配"},
                                     {NULL, NULL}};
static const label_t HOUSEHOLD_TYPES[] = {{"poverty_alleviated", "脱贫户"},
                                          {"monitored", "监测户"},
                                          {"ordinary", "一般农户"},
                                          {NULL, NULL}};
static const label_t CATEGORIES[] = {{"unstable", "脱贫不稳定户"},
                                     {"marginal", "边缘易致贫户"},
                                     {"sudden_hardship", "突发严重困难户"},
                                     {NULL, NULL}};
static const label_t SEVERITIES[] = {{"high", "高"}, {"medium", "中"}, {"low", "低"}, {NULL, NULL}};
static const label_t RELATIONS[] = {{"head", "户主"},       {"spouse", "配偶"},
                                    {"child", "子女"},      {"parent", "父母"},
                                    {"grandchild", "孙辈"}, {"sibling", "兄弟姐妹"},
                                    {"other", "其他"},      {NULL, NULL}};
static const label_t RISKS[] = {{"ILLNESS", "因病"},
                                {"DISABILITY", "因残"},
                                {"EDUCATION", "因学"},
                                {"DISASTER", "因灾"},
                                {"ACCIDENT", "因意外事故"},
                                {"INDUSTRY_FAILURE", "因产业失败"},
                                {"EMPLOYMENT", "因就业"},
                                {"HOUSING", "住房安全"},
                                {"DRINKING_WATER", "饮水安全"},
                                {"LOW_INCOME", "低收入"},
                                {"LABOR_SHORTAGE", "缺劳动力"},
                                {"OTHER", "其他"},
                                {NULL, NULL}};
static const label_t SUBTYPES[] = {{"FLOOD", "洪涝"},         {"DROUGHT", "干旱"},
                                   {"EARTHQUAKE", "地震"},    {"GEOLOGICAL", "地质灾害"},
                                   {"BIOLOGICAL", "生物灾害"}, {"METEOROLOGICAL", "气象灾害"},
                                   {"FIRE", "火灾"},          {"OTHER", "其他"},
                                   {NULL, NULL}};

const char *alerts_label_situation(const char *c) { return label(SITUATIONS, c); }
const char *alerts_label_household_type(const char *c) { return label(HOUSEHOLD_TYPES, c); }
const char *alerts_label_category(const char *c) { return label(CATEGORIES, c); }
const char *alerts_label_severity(const char *c) { return label(SEVERITIES, c); }
const char *alerts_label_relation(const char *c) { return label(RELATIONS, c); }
const char *alerts_label_risk(const char *c) { return label(RISKS, c); }
const char *alerts_label_subtype(const char *c) { return label(SUBTYPES, c); }

int alerts_format_parse(const char *s, alerts_format_t *out) {
  static const char *const names[] = {"table", "jsonl", "csv"};
  for (int i = 0; i < 3; i++)
    if (s && strcmp(s, names[i]) == 0) {
      *out = (alerts_format_t)i;
      return 0;
    }
  return -1;
}

const char *alerts_format_name(alerts_format_t f) {
  switch (f) {
  case ALERTS_FMT_TABLE: return "table";
  case ALERTS_FMT_JSONL: return "jsonl";
  case ALERTS_FMT_CSV: return "csv";
  }
  return "?";
}

/* ---- values ------------------------------------------------------------------ */

char *alerts_yuan(int64_t fen, bool grouping, char *buf, size_t size) {
  uint64_t u = fen < 0 ? (uint64_t)0 - (uint64_t)fen : (uint64_t)fen;
  char digits[32];
  int nd = snprintf(digits, sizeof digits, "%" PRIu64, u / 100);
  char whole[48];
  size_t w = 0;
  for (int i = 0; i < nd; i++) {
    if (grouping && i > 0 && (nd - i) % 3 == 0) whole[w++] = ',';
    whole[w++] = digits[i];
  }
  whole[w] = '\0';
  snprintf(buf, size, "%s%s.%02u", fen < 0 ? "-" : "", whole, (unsigned)(u % 100));
  return buf;
}

char *alerts_iso_ms(int64_t ms, char *buf, size_t size) {
  int64_t sec = ms / 1000, rem = ms % 1000;
  if (rem < 0) rem += 1000, sec -= 1;
  time_t t = (time_t)sec;
  struct tm tm;
  if (!gmtime_r(&t, &tm)) {
    snprintf(buf, size, "%" PRId64, ms);
    return buf;
  }
  snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)rem);
  return buf;
}

static char *iso_date(int32_t days, char *buf, size_t size) {
  int y, m, d;
  rh_date_from_days(days, &y, &m, &d);
  snprintf(buf, size, "%04d-%02d-%02d", y, m, d);
  return buf;
}

const char *alerts_shown(const alerts_fmt_t *f, const char *s, char *buf, size_t size) {
  if (!s || f->unmasked || !alerts_mask_needed(s)) return s;
  return alerts_mask_text(s, buf, size);
}

/* The warning's entry in the ledger, when the states were looked up. */
static const alerts_state_t *state_of(const alerts_fmt_t *f, const rh_alert_t *a) {
  if (!f->states || !f->states->loaded || !a->household_id) return NULL;
  return alerts_states_get(f->states, a->alert_id);
}

const char *alerts_shown_id(const alerts_fmt_t *f, const char *id, char buf[RH_ID_BUFSZ]) {
  if (!id || f->unmasked) return id;
  rh_id_mask(id, buf);
  return buf;
}

/* ---- JSON -------------------------------------------------------------------- */

void alerts_json_str(FILE *out, const char *s) {
  if (!s) {
    fputs("null", out);
    return;
  }
  putc('"', out);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
    case '"': fputs("\\\"", out); break;
    case '\\': fputs("\\\\", out); break;
    case '\n': fputs("\\n", out); break;
    case '\r': fputs("\\r", out); break;
    case '\t': fputs("\\t", out); break;
    case '\b': fputs("\\b", out); break;
    case '\f': fputs("\\f", out); break;
    default:
      if (*p < 0x20)
        fprintf(out, "\\u%04x", *p);
      else
        putc(*p, out);
    }
  }
  putc('"', out);
}

void alerts_json_key(FILE *out, const char *key, int *first) {
  if (!*first) putc(',', out);
  *first = 0;
  alerts_json_str(out, key);
  putc(':', out);
}

/* The facts as a JSON object (masked values unless unmasked). */
static void json_facts(FILE *out, const alerts_fmt_t *f, const rh_alert_t *a) {
  char buf[TEXT_MAX];
  int first = 1;
  putc('{', out);
  for (size_t i = 0; i < a->fact_count; i++) {
    alerts_json_key(out, a->facts[i].name, &first);
    alerts_json_str(out, alerts_shown(f, a->facts[i].value, buf, sizeof buf));
  }
  putc('}', out);
}

static void write_json(FILE *out, const alerts_fmt_t *f, const rh_alert_t *a) {
  char b1[TEXT_MAX], idb[RH_ID_BUFSZ], num[64];
  int first = 1;
  putc('{', out);
#define S(key, val) (alerts_json_key(out, key, &first), alerts_json_str(out, val))
  S("alert_id", a->alert_id);
  S("situation", a->situation);
  S("township_code", a->township_code);
  S("village", alerts_shown(f, a->village, b1, sizeof b1));
  S("household_id", a->household_id);
  S("household_type", a->household_type);
  S("monitoring_category", a->monitoring_category);
  alerts_json_key(out, "risk_eliminated", &first);
  fputs(a->risk_eliminated ? "true" : "false", out);
  S("person_id_number", alerts_shown_id(f, a->person_id_number, idb));
  S("person_name", alerts_shown(f, a->person_name, b1, sizeof b1));
  S("relation_to_head", alerts_shown(f, a->relation_to_head, b1, sizeof b1));
  S("risk", a->risk);
  S("risk_subtype", a->risk_subtype);
  S("severity", a->severity);
  S("rule_id", a->rule_id);
  S("reason", alerts_shown(f, a->reason, b1, sizeof b1));
  S("department", a->department);
  S("feed", a->feed);
  S("period", a->period);
  alerts_json_key(out, "amount_fen", &first);
  if (a->has_amount)
    fprintf(out, "%" PRId64, a->amount_fen);
  else
    fputs("null", out);
  S("amount_yuan", a->has_amount ? alerts_yuan(a->amount_fen, false, num, sizeof num) : NULL);
  S("event_date", a->has_event_date ? iso_date(a->event_date, num, sizeof num) : NULL);
  alerts_json_key(out, "facts", &first);
  json_facts(out, f, a);
  alerts_json_key(out, "source", &first);
  int sfirst = 1;
  putc('{', out);
  alerts_json_key(out, "topic", &sfirst);
  alerts_json_str(out, a->source.topic);
  alerts_json_key(out, "partition", &sfirst);
  fprintf(out, "%" PRId32, a->source.partition);
  alerts_json_key(out, "offset", &sfirst);
  fprintf(out, "%" PRId64, a->source.offset);
  alerts_json_key(out, "batch_id", &sfirst);
  alerts_json_str(out, a->source.batch_id);
  putc('}', out);
  S("created_at", alerts_iso_ms(a->created_at, num, sizeof num));
  const alerts_state_t *st = state_of(f, a);
  S("state", st ? st->state : NULL);
  S("visit_due", st && st->has_due ? iso_date(st->visit_due, num, sizeof num) : NULL);
  alerts_json_key(out, "overdue_days", &first);
  if (st)
    fprintf(out, "%d", alerts_state_overdue_days(st, f->states->today));
  else
    fputs("null", out);
#undef S
  fputs("}\n", out);
}

/* ---- CSV --------------------------------------------------------------------- */

static const char *const CSV_COLUMNS[] = {
    "alert_id", "situation", "township_code", "village", "household_id", "household_type",
    "monitoring_category", "risk_eliminated", "person_id_number", "person_name",
    "relation_to_head", "risk", "risk_subtype", "severity", "rule_id", "reason", "department",
    "feed", "period", "amount_fen", "amount_yuan", "event_date", "facts", "source_topic",
    "source_partition", "source_offset", "source_batch_id", "created_at",
    /* the warning in the ledger as of the export (empty when not looked up) */
    "state", "visit_due", "overdue_days",
    /* left empty for the township to fill in after its home visits, and give
     * back to riskhub-verify (docs/verify.md) */
    "outcome", "not_included_reason", "visited_on", "recorded_by", "note", NULL};

void alerts_csv_cell(FILE *out, const char *s, int *first) {
  if (!*first) putc(',', out);
  *first = 0;
  rh_csv_write_field(out, s);
}

static void write_csv(FILE *out, const alerts_fmt_t *f, const rh_alert_t *a) {
  char b1[TEXT_MAX], idb[RH_ID_BUFSZ], num[64];
  int first = 1;
#define C(val) alerts_csv_cell(out, val, &first)
  C(a->alert_id);
  C(a->situation);
  C(a->township_code);
  C(alerts_shown(f, a->village, b1, sizeof b1));
  C(a->household_id);
  C(a->household_type);
  C(a->monitoring_category);
  C(a->risk_eliminated ? "true" : "false");
  C(alerts_shown_id(f, a->person_id_number, idb));
  C(alerts_shown(f, a->person_name, b1, sizeof b1));
  C(alerts_shown(f, a->relation_to_head, b1, sizeof b1));
  C(a->risk);
  C(a->risk_subtype);
  C(a->severity);
  C(a->rule_id);
  C(alerts_shown(f, a->reason, b1, sizeof b1));
  C(a->department);
  C(a->feed);
  C(a->period);
  if (a->has_amount) snprintf(num, sizeof num, "%" PRId64, a->amount_fen);
  C(a->has_amount ? num : NULL);
  C(a->has_amount ? alerts_yuan(a->amount_fen, false, num, sizeof num) : NULL);
  C(a->has_event_date ? iso_date(a->event_date, num, sizeof num) : NULL);
  /* facts: a JSON object text in one cell, through a memory stream */
  char *facts = NULL;
  size_t facts_len = 0;
  FILE *mem = open_memstream(&facts, &facts_len);
  if (mem) {
    json_facts(mem, f, a);
    fclose(mem);
  }
  C(facts ? facts : "{}");
  free(facts);
  C(a->source.topic);
  snprintf(num, sizeof num, "%" PRId32, a->source.partition);
  C(num);
  snprintf(num, sizeof num, "%" PRId64, a->source.offset);
  C(num);
  C(a->source.batch_id);
  C(alerts_iso_ms(a->created_at, num, sizeof num));
  const alerts_state_t *st = state_of(f, a);
  C(st ? st->state : NULL);
  C(st && st->has_due ? iso_date(st->visit_due, num, sizeof num) : NULL);
  if (st) snprintf(num, sizeof num, "%d", alerts_state_overdue_days(st, f->states->today));
  C(st ? num : NULL);
  for (int i = 0; i < 5; i++) C(NULL); /* outcome, not_included_reason, visited_on, recorded_by, note */
#undef C
  fputs("\r\n", out);
}

/* ---- table ------------------------------------------------------------------- */

const char *alerts_township_name(const alerts_fmt_t *f, const char *code) {
  const rh_config_township_t *t = f->cfg && code ? rh_config_township_find(f->cfg, code) : NULL;
  return t ? t->name : NULL;
}

static void write_feed_names(FILE *out, const alerts_fmt_t *f, const rh_alert_t *a) {
  const rh_config_department_t *d = f->cfg ? rh_config_department_find(f->cfg, a->department) : NULL;
  const rh_config_feed_t *fd = f->cfg ? rh_config_feed_find(f->cfg, a->department, a->feed) : NULL;
  fprintf(out, "%s / %s", d ? d->name : a->department, fd ? fd->name : a->feed);
}

/* The CSV header a department used for a fact, or the fact's name. */
static const char *fact_label(const alerts_fmt_t *f, const rh_alert_t *a, const char *name) {
  const rh_config_feed_t *fd = f->cfg ? rh_config_feed_find(f->cfg, a->department, a->feed) : NULL;
  for (size_t i = 0; fd && i < fd->fact_count; i++)
    if (strcmp(fd->facts[i].name, name) == 0) return fd->facts[i].header;
  return name;
}

/* 状态: the warning in the ledger (only when the states were looked up). */
static void write_state(FILE *out, const alerts_fmt_t *f, const rh_alert_t *a) {
  if (!f->states || !f->states->loaded || !a->household_id) return;
  const alerts_state_t *st = state_of(f, a);
  if (!st) {
    fputs("      状态: 台账中尚无此预警\n", out);
    return;
  }
  char day[16];
  fprintf(out, "      状态: %s", rh_verify_state_label(st->state));
  if (st->has_due && rh_verify_state_open(st->state)) {
    fprintf(out, " · 入户核实期限 %s", iso_date(st->visit_due, day, sizeof day));
    int late = alerts_state_overdue_days(st, f->states->today);
    if (late) fprintf(out, " · 已逾期 %d 天", late);
  }
  putc('\n', out);
}

static void write_warning(FILE *out, const alerts_fmt_t *f, const rh_alert_t *a) {
  char b1[TEXT_MAX], idb[RH_ID_BUFSZ], num[64];
  fprintf(out, "    - [%s] %s · %s", alerts_label_severity(a->severity),
          alerts_label_situation(a->situation), alerts_label_risk(a->risk));
  if (a->risk_subtype) fprintf(out, "(%s)", alerts_label_subtype(a->risk_subtype));
  fputs(" · ", out);
  write_feed_names(out, f, a);
  fprintf(out, " · %s\n", a->period ? a->period : "");
  fprintf(out, "      人员: %s", a->person_name ? alerts_shown(f, a->person_name, b1, sizeof b1) : "(无姓名)");
  if (a->relation_to_head) fprintf(out, " (%s)", alerts_label_relation(a->relation_to_head));
  fprintf(out, " %s\n", alerts_shown_id(f, a->person_id_number, idb));
  if (a->has_amount || a->has_event_date) {
    fputs("      ", out);
    if (a->has_amount) fprintf(out, "金额: %s 元", alerts_yuan(a->amount_fen, true, num, sizeof num));
    if (a->has_amount && a->has_event_date) fputs(" · ", out);
    if (a->has_event_date) fprintf(out, "日期: %s", iso_date(a->event_date, num, sizeof num));
    putc('\n', out);
  }
  if (a->fact_count) {
    fputs("      情况: ", out);
    for (size_t i = 0; i < a->fact_count; i++)
      fprintf(out, "%s%s: %s", i ? "; " : "", fact_label(f, a, a->facts[i].name),
              alerts_shown(f, a->facts[i].value, b1, sizeof b1));
    putc('\n', out);
  }
  if (a->reason) fprintf(out, "      原因: %s\n", alerts_shown(f, a->reason, b1, sizeof b1));
  fprintf(out, "      规则: %s · 预警编号: %.16s\n", a->rule_id ? a->rule_id : "",
          a->alert_id ? a->alert_id : "");
  write_state(out, f, a);
}

/* The head of the household of items[0..n): the registry's, else a person of
 * these alerts whose relation is head, else NULL. */
static const char *head_of(const alerts_fmt_t *f, const alerts_item_t *items, size_t n) {
  const char *h = alerts_heads_get(f->heads, items[0].a.household_id);
  for (size_t i = 0; !h && i < n; i++)
    if (items[i].a.relation_to_head && strcmp(items[i].a.relation_to_head, "head") == 0)
      h = items[i].a.person_name;
  return h;
}

static void write_household(FILE *out, const alerts_fmt_t *f, const alerts_item_t *items, size_t n,
                            size_t number) {
  const rh_alert_t *a = &items[0].a;
  char b1[TEXT_MAX], b2[TEXT_MAX];
  const char *head = head_of(f, items, n);
  fprintf(out, "[%zu] %s · 户号 %s · 户主 %s · %s", number,
          a->village ? alerts_shown(f, a->village, b1, sizeof b1) : "(村未知)", a->household_id,
          head ? alerts_shown(f, head, b2, sizeof b2) : "(未查到)",
          alerts_label_household_type(a->household_type));
  if (a->monitoring_category) fprintf(out, "(%s)", alerts_label_category(a->monitoring_category));
  if (a->risk_eliminated) fputs(" · 已消除风险", out);
  putc('\n', out);
  for (size_t i = 0; i < n; i++) write_warning(out, f, &items[i].a);
  putc('\n', out);
}

static void write_person(FILE *out, const alerts_fmt_t *f, const alerts_item_t *items, size_t n,
                         size_t number) {
  const rh_alert_t *a = &items[0].a;
  char b1[TEXT_MAX], idb[RH_ID_BUFSZ];
  fprintf(out, "[%zu] %s %s", number,
          a->person_name ? alerts_shown(f, a->person_name, b1, sizeof b1) : "(无姓名)",
          alerts_shown_id(f, a->person_id_number, idb));
  if (a->township_code || a->village) {
    const char *tn = alerts_township_name(f, a->township_code);
    fprintf(out, " · 部门所报: %s", tn ? tn : a->township_code ? a->township_code : "");
    if (a->village) fprintf(out, " %s", alerts_shown(f, a->village, b1, sizeof b1));
  }
  putc('\n', out);
  for (size_t i = 0; i < n; i++) write_warning(out, f, &items[i].a);
  putc('\n', out);
}

/* Number of groups (households or persons) in items[0..n). */
static size_t count_groups(const alerts_item_t *items, size_t n) {
  size_t g = 0;
  for (size_t i = 0; i < n; i++)
    if (i == 0 || !alerts_same_group(&items[i - 1], &items[i])) g++;
  return g;
}

static int section_key_equal(const alerts_item_t *x, const alerts_item_t *y) {
  const rh_alert_t *a = &x->a, *b = &y->a;
  if ((a->household_id != NULL) != (b->household_id != NULL)) return 0;
  if (!a->household_id) return 1; /* the unmatched section */
  return strcmp(a->township_code ? a->township_code : "", b->township_code ? b->township_code : "") == 0;
}

static void write_table(FILE *out, const alerts_fmt_t *f, const alerts_item_t *items, size_t n) {
  size_t households = 0, alerts = 0, unmatched = 0, townships = 0;
  for (size_t s = 0; s < n;) {
    size_t e = s + 1;
    while (e < n && section_key_equal(&items[s], &items[e])) e++;
    const rh_alert_t *a = &items[s].a;
    size_t groups = count_groups(items + s, e - s);
    if (a->household_id) {
      const char *tn = alerts_township_name(f, a->township_code);
      fprintf(out, "== %s (%s): %zu 户, %zu 条预警 ==\n\n", tn ? tn : "未知乡镇",
              a->township_code ? a->township_code : "-", groups, e - s);
      households += groups;
      alerts += e - s;
      townships++;
    } else {
      fprintf(out, "== 未匹配: 户籍库中没有的人员: %zu 人, %zu 条 ==\n\n", groups, e - s);
      unmatched += e - s;
    }
    size_t number = 0;
    for (size_t g = s; g < e;) {
      size_t ge = g + 1;
      while (ge < e && alerts_same_group(&items[g], &items[ge])) ge++;
      if (a->household_id)
        write_household(out, f, items + g, ge - g, ++number);
      else
        write_person(out, f, items + g, ge - g, ++number);
      g = ge;
    }
    s = e;
  }
  fprintf(out, "合计: %zu 个乡镇, %zu 户, %zu 条预警", townships, households, alerts);
  if (unmatched) fprintf(out, "; 未匹配 %zu 条", unmatched);
  fprintf(out, ". %s\n\n", f->unmasked ? "身份证号未遮蔽 (导出已登记)" : "身份证号已遮蔽");
}

/* ---- entry points --------------------------------------------------------------- */

int alerts_format_csv_begin(FILE *out, const alerts_fmt_t *f, const char *const *columns) {
  if (f->format == ALERTS_FMT_CSV) {
    if (f->bom) fputs("\xEF\xBB\xBF", out);
    int first = 1;
    for (size_t i = 0; columns[i]; i++) alerts_csv_cell(out, columns[i], &first);
    fputs("\r\n", out);
  }
  return ferror(out) ? -1 : 0;
}

int alerts_format_table_line(FILE *out, const alerts_fmt_t *f, const char *line) {
  if (f->format == ALERTS_FMT_TABLE) fprintf(out, "%s\n", line);
  return ferror(out) ? -1 : 0;
}

int alerts_format_begin(FILE *out, const alerts_fmt_t *f) {
  return alerts_format_csv_begin(out, f, CSV_COLUMNS);
}

int alerts_format_batch(FILE *out, const alerts_fmt_t *f, const alerts_item_t *items, size_t n) {
  if (!n) return ferror(out) ? -1 : 0;
  switch (f->format) {
  case ALERTS_FMT_TABLE: write_table(out, f, items, n); break;
  case ALERTS_FMT_JSONL:
    for (size_t i = 0; i < n; i++) write_json(out, f, &items[i].a);
    break;
  case ALERTS_FMT_CSV:
    for (size_t i = 0; i < n; i++) write_csv(out, f, &items[i].a);
    break;
  }
  return ferror(out) ? -1 : 0;
}

int alerts_format_nothing(FILE *out, const alerts_fmt_t *f) {
  return alerts_format_table_line(out, f, "没有新的预警.");
}
