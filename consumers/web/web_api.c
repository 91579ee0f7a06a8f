/* web_api: see web_api.h. */
#include "web_api.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>
#include <xlsxwriter.h>

#include "rh_clock.h"
#include "rh_file.h"
#include "rh_log.h"
#include "rh_period.h"
#include "rh_pg.h"
#include "rh_sbuf.h"
#include "rh_verify.h"

#define WARNINGS_SQL                                                                       \
  "SELECT alert_id, household_id, substr(household_id, 1, 13) AS village, period, risk, "  \
  "rule_id, state, coalesce(dismiss_reason, ''), coalesce(visit_due::text, ''), "          \
  "coalesce(comparison_due::text, ''), "                                                   \
  "to_char(coalesce(raised_at, created_at) AT TIME ZONE 'Asia/Shanghai', "                 \
  "'YYYY-MM-DD HH24:MI'), "                                                                \
  "(visit_due < (now() AT TIME ZONE 'Asia/Shanghai')::date "                               \
  " AND state IN ('PUSHED', 'RECEIVED', 'VERIFYING', 'UNREACHABLE')) "                 \
  "FROM warnings WHERE township_code = $1 "                                                \
  "ORDER BY period DESC, household_id, alert_id LIMIT 20000"

static const char *const FIELDS[] = {"alert_id", "household_id", "village", "period",
                                     "risk", "rule_id", "state", "note", "visit_due",
                                     "comparison_due", "raised_at"};
#define NFIELDS (sizeof FIELDS / sizeof FIELDS[0])

static char *dump(json_t *j, size_t *len, char *err, size_t errsz) {
  char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
  json_decref(j);
  if (!s) {
    snprintf(err, errsz, "out of memory");
    return NULL;
  }
  *len = strlen(s);
  return s;
}

/* The township's name in the configuration, "" if it has none. */
static const char *township_name(const rh_config_t *cfg, const char *code) {
  const rh_config_township_t *t = rh_config_township_find(cfg, code);
  return t ? t->name : "";
}

char *web_api_warnings(PGconn *c, const rh_config_t *cfg, const char *township, size_t *len,
                       char *err, size_t errsz) {
  const char *p[] = {township};
  PGresult *r = rh_pg_exec_params(c, WARNINGS_SQL, 1, p, err, errsz);
  if (!r) return NULL;
  json_t *list = json_array();
  for (int i = 0; list && i < PQntuples(r); i++) {
    json_t *w = json_object();
    for (size_t f = 0; w && f < NFIELDS; f++)
      json_object_set_new(w, FIELDS[f], json_string(PQgetvalue(r, i, (int)f)));
    if (w) json_object_set_new(w, "overdue", json_boolean(PQgetvalue(r, i, NFIELDS)[0] == 't'));
    json_array_append_new(list, w);
  }
  PQclear(r);
  return dump(json_pack("{s:s, s:s, s:o}", "township", township, "name",
                        township_name(cfg, township), "warnings", list),
              len, err, errsz);
}

/* One CSV cell: quoted when it must be; a leading = + - @ (a formula to a
 * spreadsheet) behind a '. */
static void csv_cell(rh_sbuf_t *b, const char *v, bool last) {
  bool formula = strchr("=+-@\t\r", v[0]) && v[0];
  bool quote = formula || strpbrk(v, ",\"\r\n");
  if (quote) rh_sbuf_put(b, "\"", 1);
  if (formula) rh_sbuf_put(b, "'", 1);
  for (const char *q = v; *q; q++) {
    if (*q == '"') rh_sbuf_put(b, "\"", 1);
    rh_sbuf_put(b, q, 1);
  }
  if (quote) rh_sbuf_put(b, "\"", 1);
  rh_sbuf_puts(b, last ? "\r\n" : ",");
}

static const char *const HEAD[] = {"预警编号", "户编号", "村", "月份", "风险", "规则",
                                   "状态", "核实说明", "入户核实期限", "比对期限",
                                   "预警时间", "是否超期"};

char *web_api_warnings_csv(PGconn *c, const char *township, size_t *len, char *err,
                           size_t errsz) {
  const char *p[] = {township};
  PGresult *r = rh_pg_exec_params(c, WARNINGS_SQL, 1, p, err, errsz);
  if (!r) return NULL;
  rh_sbuf_t b = RH_SBUF_INIT;
  rh_sbuf_puts(&b, "\xEF\xBB\xBF");
  for (size_t f = 0; f <= NFIELDS; f++) csv_cell(&b, HEAD[f], f == NFIELDS);
  for (int i = 0; i < PQntuples(r); i++) {
    for (size_t f = 0; f < NFIELDS; f++) csv_cell(&b, PQgetvalue(r, i, (int)f), false);
    csv_cell(&b, PQgetvalue(r, i, NFIELDS)[0] == 't' ? "是" : "否", true);
  }
  PQclear(r);
  if (b.oom) {
    rh_sbuf_free(&b);
    snprintf(err, errsz, "out of memory");
    return NULL;
  }
  *len = b.len;
  return b.p;
}

char *web_api_warnings_xlsx(PGconn *c, const rh_config_t *cfg, const char *township,
                            size_t *len, char *err, size_t errsz) {
  const char *p[] = {township};
  PGresult *r = rh_pg_exec_params(c, WARNINGS_SQL, 1, p, err, errsz);
  if (!r) return NULL;
  /* libxlsxwriter 1.1.4 writes files only: one of this process's own, 0600,
   * gone once read */
  const char *tmp = getenv("TMPDIR");
  char path[512];
  int w = snprintf(path, sizeof path, "%s/riskhub-web-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  int fd = w > 0 && (size_t)w < sizeof path ? mkstemp(path) : -1;
  if (fd < 0) {
    PQclear(r);
    snprintf(err, errsz, "cannot make a temporary file for the spreadsheet");
    return NULL;
  }
  close(fd);
  lxw_workbook *wb = workbook_new(path);
  /* the sheet named for the township, or its code where Excel would refuse the name */
  const char *sheet = township_name(cfg, township);
  if (!*sheet || strlen(sheet) > 31 || strpbrk(sheet, "[]:*?/\\")) sheet = township;
  lxw_worksheet *ws = wb ? workbook_add_worksheet(wb, sheet) : NULL;
  char *out = NULL;
  if (ws) {
    lxw_format *head = workbook_add_format(wb);
    format_set_bold(head);
    format_set_bg_color(head, 0xD9E1F2);
    lxw_format *late = workbook_add_format(wb);
    format_set_bg_color(late, 0xFDE8E8);
    for (size_t f = 0; f <= NFIELDS; f++) worksheet_write_string(ws, 0, (lxw_col_t)f, HEAD[f], head);
    for (int i = 0; i < PQntuples(r); i++) {
      bool overdue = PQgetvalue(r, i, NFIELDS)[0] == 't';
      for (size_t f = 0; f < NFIELDS; f++) /* strings: a spreadsheet evaluates nothing */
        worksheet_write_string(ws, (lxw_row_t)(i + 1), (lxw_col_t)f, PQgetvalue(r, i, (int)f),
                               overdue ? late : NULL);
      worksheet_write_string(ws, (lxw_row_t)(i + 1), NFIELDS, overdue ? "是" : "否",
                             overdue ? late : NULL);
    }
    worksheet_set_column(ws, 0, 1, 22, NULL);
    worksheet_set_column(ws, 2, NFIELDS, 14, NULL);
    worksheet_freeze_panes(ws, 1, 0);
  }
  lxw_error e = wb ? workbook_close(wb) : LXW_ERROR_MEMORY_MALLOC_FAILED;
  char rerr[512] = "";
  if (ws && e == LXW_NO_ERROR && rh_file_read_all(path, &out, len, rerr, sizeof rerr)) out = NULL;
  unlink(path);
  PQclear(r);
  if (!out) snprintf(err, errsz, "%s", e ? lxw_strerror(e) : rerr[0] ? rerr : "cannot be written");
  return out;
}

char *web_api_summary(PGconn *c, const rh_config_t *cfg, const char *period, size_t *len,
                      char *err, size_t errsz) {
  const char *p[] = {period};
  PGresult *r = rh_pg_exec_params(
      c,
      "SELECT township_code, state, count(*), count(*) FILTER (WHERE visit_due < "
      "(now() AT TIME ZONE 'Asia/Shanghai')::date AND state IN ('PUSHED', 'RECEIVED', "
      "'VERIFYING', 'UNREACHABLE')) FROM warnings WHERE period = $1 GROUP BY 1, 2",
      1, p, err, errsz);
  if (!r) return NULL;
  json_t *towns = json_array();
  for (size_t t = 0; t < cfg->township_count; t++) {
    const char *code = cfg->townships[t].code;
    json_t *states = json_object();
    json_int_t total = 0, overdue = 0;
    for (int i = 0; i < PQntuples(r); i++) {
      if (strcmp(PQgetvalue(r, i, 0), code) != 0) continue;
      json_int_t n = atoll(PQgetvalue(r, i, 2));
      json_object_set_new(states, PQgetvalue(r, i, 1), json_integer(n));
      total += n;
      overdue += atoll(PQgetvalue(r, i, 3));
    }
    json_array_append_new(towns, json_pack("{s:s, s:s, s:I, s:I, s:o}", "township", code,
                                           "name", cfg->townships[t].name, "warnings", total,
                                           "overdue", overdue, "states", states));
  }
  PQclear(r);
  /* the lists: due on the 10th of the month after the period (domain.md) */
  r = rh_pg_exec_params(
      c,
      "WITH due AS (SELECT (to_date($1, 'YYYY-MM') + interval '1 month 10 days')::timestamp "
      "AT TIME ZONE 'Asia/Shanghai' AS at) "
      "SELECT department, feed, to_char(max(finished_at) AT TIME ZONE 'Asia/Shanghai', "
      "'YYYY-MM-DD HH24:MI'), max(finished_at) < (SELECT at FROM due), sum(rows_accepted), "
      "now() < (SELECT at FROM due) FROM (SELECT NULL) one "
      "LEFT JOIN list_manifests ON period = $1 GROUP BY 1, 2",
      1, p, err, errsz);
  if (!r) {
    json_decref(towns);
    return NULL;
  }
  /* every row says whether the lists are still to come (the 10th not past);
   * with no list at all, one row of NULLs says it */
  int n = PQntuples(r);
  bool not_due = n > 0 && PQgetvalue(r, 0, 5)[0] == 't';
  json_t *lists = json_array();
  for (size_t d = 0; d < cfg->department_count; d++) {
    const rh_config_department_t *dep = &cfg->departments[d];
    for (size_t f = 0; f < dep->feed_count; f++) {
      const char *state = not_due ? "not_due" : "missing", *at = "";
      json_int_t rows = 0;
      for (int i = 0; i < n; i++) {
        if (PQgetisnull(r, i, 0) || strcmp(PQgetvalue(r, i, 0), dep->code) ||
            strcmp(PQgetvalue(r, i, 1), dep->feeds[f].code))
          continue;
        at = PQgetvalue(r, i, 2);
        state = PQgetvalue(r, i, 3)[0] == 't' ? "on_time" : "late";
        rows = atoll(PQgetvalue(r, i, 4));
      }
      json_array_append_new(lists, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "department",
                                             dep->name, "feed", dep->feeds[f].name, "state",
                                             state, "at", at, "code", dep->feeds[f].code,
                                             "rows", rows));
    }
  }
  PQclear(r);
  /* the chart: the twelve months up to period */
  r = rh_pg_exec_params(
      c,
      /* verified: an outcome given (neither open nor withdrawn by its department) */
      "SELECT period, count(*), count(*) FILTER (WHERE state NOT IN ('PUSHED', 'RECEIVED', "
      "'VERIFYING', 'UNREACHABLE', 'WITHDRAWN')) FROM warnings WHERE period <= $1 AND period > "
      "to_char(to_date($1, "
      "'YYYY-MM') - interval '12 months', 'YYYY-MM') GROUP BY 1 ORDER BY 1",
      1, p, err, errsz);
  if (!r) {
    json_decref(towns);
    json_decref(lists);
    return NULL;
  }
  json_t *months = json_array();
  for (int i = 0; i < PQntuples(r); i++)
    json_array_append_new(months, json_pack("{s:s, s:I, s:I}", "period", PQgetvalue(r, i, 0),
                                            "warnings", (json_int_t)atoll(PQgetvalue(r, i, 1)),
                                            "verified", (json_int_t)atoll(PQgetvalue(r, i, 2))));
  PQclear(r);
  return dump(json_pack("{s:s, s:o, s:o, s:o}", "period", period, "townships", towns, "lists",
                        lists, "months", months),
              len, err, errsz);
}

/* Days since 1970-01-01 of y-m-d (proleptic Gregorian). */
static int32_t civil_days(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  int era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return (int32_t)(era * 146097 + (int)doe - 719468);
}

/* "YYYY-MM-DD" of a day that exists into *days; 1 malformed, 2 no such day. */
static int visit_date(const char *s, int32_t *days) {
  static const char pat[] = "dddd-dd-dd";
  if (strlen(s) != sizeof pat - 1) return 1;
  for (size_t i = 0; pat[i]; i++)
    if (pat[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != pat[i]) return 1;
  int y = atoi(s);
  unsigned m = (unsigned)atoi(s + 5), d = (unsigned)atoi(s + 8);
  static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1900 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1]) return 2;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (m == 2 && d == 29 && !leap) return 2;
  *days = civil_days(y, m, d);
  return 0;
}

/* The page's three outcomes as the Verification outcomes the ledger applies
 * (common/rh_verify.h): 排除预警 is NOT_INCLUDED with a configured reason. */
static int page_outcome(const char *o) {
  if (strcmp(o, "DISMISSED") == 0) return RH_VERIFY_NOT_INCLUDED;
  if (strcmp(o, "ALREADY_MONITORED") == 0) return RH_VERIFY_ALREADY_MONITORED;
  if (strcmp(o, "PROPOSED") == 0) return RH_VERIFY_PROPOSED;
  return -1;
}

json_t *web_api_reasons(const rh_config_t *cfg) {
  json_t *a = json_array();
  for (size_t i = 0; a && i < cfg->reason_count; i++)
    json_array_append_new(a, json_pack("{s:s, s:s}", "code", cfg->reasons[i].code, "label",
                                       cfg->reasons[i].label));
  return a;
}

unsigned web_api_outcome(PGconn *c, const rh_config_t *cfg, web_publish_t *pub,
                         const web_user_t *u, const char *body, size_t len, char *msg,
                         size_t msgsz) {
  if (!u->township[0]) {
    snprintf(msg, msgsz, "县乡村振兴局账号不能登记入户核实结果");
    return 403;
  }
  json_error_t je;
  json_t *j = json_loadb(body, len, 0, &je);
  const char *id = NULL, *outcome = NULL, *note = "", *visited = NULL, *reason_text = NULL;
  if (!j || json_unpack_ex(j, &je, 0, "{s:s, s:s, s?:s, s:s, s?:s}", "alert_id", &id, "outcome",
                           &outcome, "note", &note, "visited_on", &visited, "reason",
                           &reason_text)) {
    snprintf(msg, msgsz, "请求格式不正确: %s (第 %d 行第 %d 列)", je.text, je.line, je.column);
    json_decref(j);
    return 400;
  }
  unsigned code = 400;
  int o = page_outcome(outcome);
  int32_t days = 0;
  int date = visit_date(visited, &days);
  const rh_config_reason_t *reason =
      reason_text && *reason_text ? rh_verify_reason_find(cfg, reason_text) : NULL;
  int32_t today = rh_period_local_days(rh_wall_ms(), RH_PERIOD_UTC_OFFSET_CN);
  if (o < 0) {
    snprintf(msg, msgsz, "核实结果只能是 DISMISSED、ALREADY_MONITORED 或 PROPOSED");
  } else if (date == 1) {
    snprintf(msg, msgsz, "入户日期应为 YYYY-MM-DD");
  } else if (date == 2) {
    snprintf(msg, msgsz, "入户日期不存在");
  } else if (days > today) {
    snprintf(msg, msgsz, "入户日期不能晚于今天");
  } else if (strlen(note) > 500) {
    snprintf(msg, msgsz, "核实说明最多 500 个字节");
  } else if (rh_verify_holds_id_number(note)) {
    snprintf(msg, msgsz, "核实说明中不能写身份证号");
  } else if (o == RH_VERIFY_NOT_INCLUDED && !reason) {
    snprintf(msg, msgsz, reason_text && *reason_text ? "排除理由不在配置的理由中"
                                                     : "排除预警须选择理由");
  } else if (o != RH_VERIFY_NOT_INCLUDED && reason_text && *reason_text) {
    snprintf(msg, msgsz, "只有排除预警需要理由");
  } else {
    char err[1024];
    const char *p[] = {id, u->township};
    /* the warning as the ledger holds it: this township's, and may it take the
     * step now? (the ledger checks again when it applies it: of two outcomes
     * published at once, it applies the first and keeps the second refused) */
    PGresult *r = rh_pg_exec_params(c,
                                    "SELECT state, household_id FROM warnings WHERE alert_id = $1 "
                                    "AND township_code = $2",
                                    2, p, err, sizeof err);
    const char *why;
    if (!r) {
      snprintf(msg, msgsz, "数据库暂时不可用，请稍后再试");
      code = 503;
    } else if (PQntuples(r) == 0) {
      snprintf(msg, msgsz, "没有这条预警");
      code = 404;
    } else if ((why = rh_verify_refusal(PQgetvalue(r, 0, 0), (rh_verify_outcome_t)o))) {
      snprintf(msg, msgsz, "%s", strcmp(PQgetvalue(r, 0, 0), "PROPOSED") == 0
                                     ? "这户已拟纳入监测，只能等待纳入或不纳入的决定"
                                     : "这条预警已有核实结果");
      code = 409;
    } else {
      char vid[RH_SHA256_HEXSZ];
      rh_verify_id(id, (rh_verify_outcome_t)o, reason ? reason->code : NULL, visited,
                   u->username, vid);
      rh_verification_t v = {.verification_id = vid, .alert_id = id,
                             .township_code = u->township, .household_id = PQgetvalue(r, 0, 1),
                             .outcome = rh_verify_outcome_code((rh_verify_outcome_t)o),
                             .reason = reason ? reason->code : NULL,
                             .note = note[strspn(note, " \t\r\n")] ? note : NULL,
                             .has_visited_on = true, .visited_on = days,
                             .recorded_by = u->username, .recorded_at = rh_wall_ms(),
                             .source = "riskhub-web"};
      web_publish_result_t pr = web_publish_step(pub, &v, err, sizeof err);
      if (pr == WEB_PUBLISH_OK) {
        rh_log_info("outcome %s of warning %s published to verifications.%s by %s", v.outcome,
                    id, u->township, u->username);
        snprintf(msg, msgsz, "已提交");
        code = 200;
      } else if (pr == WEB_PUBLISH_CREDENTIALS) {
        rh_log_error("township %s: an outcome is refused: its party's credentials: %s "
                     "(docs/web.md, \"Credentials\")",
                     u->township, err);
        snprintf(msg, msgsz, "本乡镇的发布凭据缺失，暂时不能登记核实结果，请联系县里的系统管理员");
        code = 503;
      } else {
        rh_log_warn("township %s: an outcome is not published: %s", u->township, err);
        snprintf(msg, msgsz, "暂时连不上数据交换平台，核实结果没有登记，请稍后再试");
        code = 503;
      }
    }
    if (r) PQclear(r);
  }
  json_decref(j);
  return code;
}
