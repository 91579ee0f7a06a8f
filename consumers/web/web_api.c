/* web_api: see web_api.h. */
#include "web_api.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>
#include <xlsxwriter.h>

#include "rh_file.h"
#include "rh_pg.h"
#include "rh_sbuf.h"

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
      "SELECT period, count(*), count(*) FILTER (WHERE state NOT IN ('PUSHED', 'RECEIVED', "
      "'VERIFYING', 'UNREACHABLE')) FROM warnings WHERE period <= $1 AND period > "
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

static bool date_shape(const char *s) {
  static const char pat[] = "dddd-dd-dd";
  if (strlen(s) != sizeof pat - 1) return false;
  for (size_t i = 0; pat[i]; i++)
    if (pat[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != pat[i]) return false;
  return true;
}

unsigned web_api_outcome(PGconn *c, const web_user_t *u, const char *body, size_t len,
                         char *msg, size_t msgsz) {
  if (!u->township[0]) {
    snprintf(msg, msgsz, "县乡村振兴局账号不能登记入户核实结果");
    return 403;
  }
  json_error_t je;
  json_t *j = json_loadb(body, len, 0, &je);
  const char *id = NULL, *outcome = NULL, *note = "", *visited = NULL;
  if (!j || json_unpack_ex(j, &je, 0, "{s:s, s:s, s?:s, s:s}", "alert_id", &id, "outcome",
                           &outcome, "note", &note, "visited_on", &visited)) {
    snprintf(msg, msgsz, "请求格式不正确: %s (第 %d 行第 %d 列)", je.text, je.line, je.column);
    json_decref(j);
    return 400;
  }
  unsigned code = 400;
  if (strcmp(outcome, "DISMISSED") && strcmp(outcome, "ALREADY_MONITORED") &&
      strcmp(outcome, "PROPOSED")) {
    snprintf(msg, msgsz, "核实结果只能是 DISMISSED、ALREADY_MONITORED 或 PROPOSED");
  } else if (!date_shape(visited)) {
    snprintf(msg, msgsz, "入户日期应为 YYYY-MM-DD");
  } else if (strlen(note) > 500) {
    snprintf(msg, msgsz, "核实说明最多 500 个字节");
  } else if (strcmp(outcome, "DISMISSED") == 0 && !note[strspn(note, " \t\r\n")]) {
    snprintf(msg, msgsz, "排除预警须写明理由");
  } else {
    char err[512];
    const char *p[] = {id, u->township, outcome, note, visited, u->username};
    /* one statement: the warning moves only if it is this township's and still
     * open, and the visit is kept with it, or neither */
    PGresult *r = rh_pg_exec_params(
        c,
        "WITH w AS (SELECT alert_id, state FROM warnings WHERE alert_id = $1 "
        "  AND township_code = $2 FOR UPDATE), "
        "moved AS (UPDATE warnings SET state = $3, "
        "  dismiss_reason = CASE WHEN $3 = 'DISMISSED' THEN $4 END "
        "  WHERE alert_id = (SELECT alert_id FROM w) "
        "  AND state IN ('PUSHED', 'RECEIVED', 'VERIFYING', 'UNREACHABLE') RETURNING alert_id), "
        "kept AS (INSERT INTO web_visits (alert_id, username, outcome, note, visited_on) "
        "  SELECT alert_id, $6, $3, $4, $5::date FROM moved RETURNING visit_id) "
        "SELECT (SELECT count(*) FROM w), (SELECT count(*) FROM kept)",
        6, p, err, sizeof err);
    if (!r) {
      bool bad_date = strstr(err, "22008") || strstr(err, "date/time");
      snprintf(msg, msgsz, "%s", bad_date ? "入户日期不存在" : "数据库暂时不可用，请稍后再试");
      code = bad_date ? 400 : 503;
    } else if (PQgetvalue(r, 0, 0)[0] == '0') {
      snprintf(msg, msgsz, "没有这条预警");
      code = 404;
    } else if (PQgetvalue(r, 0, 1)[0] == '0') {
      snprintf(msg, msgsz, "这条预警已有核实结果");
      code = 409;
    } else {
      snprintf(msg, msgsz, "已登记");
      code = 200;
    }
    PQclear(r);
  }
  json_decref(j);
  return code;
}
