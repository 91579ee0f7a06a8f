#include "produce_feedrow.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "rh_i18n.h"
#include "rh_array.h"
#include "rh_parse.h"

const char *produce_feedrow_kind(rh_feed_kind_t kind) {
  switch (kind) {
  case RH_FEED_SIGNAL: return "SIGNAL";
  case RH_FEED_CHECK: return "CHECK";
  case RH_FEED_IDENTITY: return "IDENTITY";
  }
  return "?";
}

static void append(char *dst, size_t size, const char *s) {
  size_t n = strlen(dst);
  if (n + 1 < size) snprintf(dst + n, size - n, "%s%s", n ? ", " : "", s);
}

/* A header row has names; a row with a run of 15 or more digits (an ID
 * number) is data: a file whose header row is missing. */
static bool looks_like_data(const rh_csv_row_t *row) {
  for (size_t i = 0; i < row->nfields; i++) {
    size_t run = 0;
    for (size_t k = 0; k < row->fields[i].len; k++) {
      char ch = row->fields[i].str[k];
      run = ch >= '0' && ch <= '9' ? run + 1 : 0;
      if (run >= 15) return true;
    }
  }
  return false;
}

/* A column riskhub reads that the header names twice: which one holds the
 * value is not clear (issue 12, intake defect c: the first was used
 * silently). -1 with errstr (columns counted from 1), else 0. */
static int twice(const rh_csv_row_t *header, const char *name, int first, const char *what,
                 char *errstr, size_t errstr_size) {
  int again = rh_csv_find_column_from(header, name, (size_t)first + 1);
  if (again < 0) return 0;
  snprintf(errstr, errstr_size,
           _("column %d: the header names '%s' (%s) twice, in columns %d and %d: which one holds "
           "the values is not clear; remove or rename one and send the file again"),
           again + 1, name, what, first + 1, again + 1);
  return -1;
}

int produce_feedrow_map_header(produce_feedrow_map_t *m, const rh_config_t *cfg,
                          const rh_config_feed_t *feed, const rh_csv_row_t *header,
                          char *errstr, size_t errstr_size) {
  size_t nfields = header->nfields;
  memset(m, 0, sizeof(*m));
  m->cfg = cfg;
  m->feed = feed;
  m->nfields = nfields;
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  m->max_year = tm.tm_year + 1900;
  for (int c = 0; c < RH_COL_COUNT; c++) {
    m->col[c] = -1;
    if (!feed->columns[c]) continue;
    m->col[c] = rh_csv_find_column(header, feed->columns[c]);
    if (m->col[c] >= 0) {
      if (twice(header, feed->columns[c], m->col[c], rh_feed_column_name((rh_feed_column_t)c),
                errstr, errstr_size))
        return -1;
      continue;
    }
    if (feed->required[c]) {
      if (looks_like_data(header)) {
        /* never echo it: it holds a person (issue 12: name and village were
         * printed in the error) */
        snprintf(errstr, errstr_size,
                 _("the first line holds an ID number: it is a row of data, not the header; the "
                 "header row (%s, ...) is missing"),
                 feed->columns[c]);
        return -1;
      }
      char have[512] = "";
      for (size_t i = 0; i < nfields; i++) append(have, sizeof(have), header->fields[i].str);
      snprintf(errstr, errstr_size,
               _("header has no column '%s' (%s), which feed %s/%s requires; the header has: %s"),
               feed->columns[c], rh_feed_column_name((rh_feed_column_t)c),
               feed->department->code, feed->code, have);
      return -1;
    }
    append(m->missing, sizeof(m->missing), feed->columns[c]);
  }
  if (feed->fact_count) {
    m->fact_col = calloc(feed->fact_count, sizeof(int));
    if (!m->fact_col) {
      snprintf(errstr, errstr_size, _("out of memory"));
      return -1;
    }
  }
  for (size_t f = 0; f < feed->fact_count; f++) {
    m->fact_col[f] = rh_csv_find_column(header, feed->facts[f].header);
    if (m->fact_col[f] < 0) append(m->missing, sizeof(m->missing), feed->facts[f].header);
    else if (twice(header, feed->facts[f].header, m->fact_col[f], feed->facts[f].name, errstr,
                   errstr_size))
      return -1;
  }
  return 0;
}

void produce_feedrow_map_free(produce_feedrow_map_t *m) {
  if (!m) return;
  free(m->fact_col);
  m->fact_col = NULL;
}

void produce_feedrow_init(produce_feedrow_t *r) { memset(r, 0, sizeof(*r)); }

void produce_feedrow_free(produce_feedrow_t *r) {
  if (!r) return;
  free(r->facts);
  free(r->buf);
  memset(r, 0, sizeof(*r));
}

/* Copy s[0..len) into the row's buffer, NUL-terminated. Offsets, not pointers,
 * are kept while filling (the buffer may move); see fix_pointers. */
static long keep(produce_feedrow_t *r, const char *s, size_t len) {
  if (RH_ARRAY_RESERVE(r->buf, r->buf_len + len + 1, r->buf_cap, 1024)) return -1;
  long off = (long)r->buf_len;
  memcpy(r->buf + r->buf_len, s, len);
  r->buf[r->buf_len + len] = '\0';
  r->buf_len += len + 1;
  return off;
}

static const struct { const char *text; const char *code; } subtypes[] = {
    {"洪涝", "FLOOD"},          {"洪水", "FLOOD"},          {"水灾", "FLOOD"},
    {"洪涝灾害", "FLOOD"},      {"干旱", "DROUGHT"},        {"旱灾", "DROUGHT"},
    {"地震", "EARTHQUAKE"},     {"地震灾害", "EARTHQUAKE"}, {"地质灾害", "GEOLOGICAL"},
    {"地质", "GEOLOGICAL"},     {"生物灾害", "BIOLOGICAL"}, {"生物", "BIOLOGICAL"},
    {"病虫害", "BIOLOGICAL"},   {"气象灾害", "METEOROLOGICAL"}, {"气象", "METEOROLOGICAL"},
    {"冰雹", "METEOROLOGICAL"}, {"风灾", "METEOROLOGICAL"}, {"火灾", "FIRE"},
    {"森林火灾", "FIRE"},       {"其他", "OTHER"},          {"其它", "OTHER"}};

static const char *subtype_code(const char *s, size_t len) {
  for (size_t i = 0; i < sizeof(subtypes) / sizeof(subtypes[0]); i++)
    if (strlen(subtypes[i].text) == len && memcmp(subtypes[i].text, s, len) == 0)
      return subtypes[i].code;
  char up[32];
  if (len >= sizeof(up)) return NULL;
  for (size_t i = 0; i < len; i++) up[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
  up[len] = '\0';
  for (size_t i = 0; i < sizeof(subtypes) / sizeof(subtypes[0]); i++)
    if (strcmp(subtypes[i].code, up) == 0) return subtypes[i].code;
  return NULL;
}

__attribute__((format(printf, 4, 5))) static int reject(produce_feedrow_reject_t *rej,
                                                         const char *code, const char *column,
                                                         const char *fmt, ...) {
  va_list ap;
  rej->reason_code = code;
  rej->column = column;
  va_start(ap, fmt);
  vsnprintf(rej->reason, sizeof(rej->reason), fmt, ap);
  va_end(ap);
  return 1;
}

static int cell_too_long(produce_feedrow_reject_t *rej, const char *column, size_t len) {
  return reject(rej, "CELL_TOO_LONG", column,
                _("'%s' holds %zu bytes; a value of a list is at most %d"), column,
                len, PRODUCE_CELL_MAX);
}

void produce_feedrow_map_period(produce_feedrow_map_t *m, int year, int month) {
  m->period_first = rh_days_from_date(year, month, 1);
  m->period_last = (month == 12 ? rh_days_from_date(year + 1, 1, 1)
                                : rh_days_from_date(year, month + 1, 1)) - 1;
  m->period_set = true;
}

int produce_feedrow_parse(const produce_feedrow_map_t *m, const rh_csv_row_t *row, produce_feedrow_t *out,
                     produce_feedrow_reject_t *rej) {
  const rh_csv_field_t *fields = row->fields;
  size_t nfields = row->nfields;
  long line = (long)row->line;
  const rh_config_feed_t *feed = m->feed;
  const char *value[RH_COL_COUNT] = {0};
  size_t vlen[RH_COL_COUNT] = {0};
  memset(rej, 0, sizeof(*rej));
  out->buf_len = 0;
  out->before_period = false;
  out->id[0] = '\0';

  for (int c = 0; c < RH_COL_COUNT; c++) {
    if (m->col[c] < 0 || (size_t)m->col[c] >= nfields) continue;
    rh_trim(fields[m->col[c]].str, fields[m->col[c]].len, &value[c], &vlen[c]);
  }
  /* the ID first, so that every later rejection can carry its masked form */
  const char *idcol = feed->columns[RH_COL_ID_NUMBER];
  if (value[RH_COL_ID_NUMBER] && vlen[RH_COL_ID_NUMBER] == RH_ID_LEN) {
    char raw[RH_ID_BUFSZ];
    memcpy(raw, value[RH_COL_ID_NUMBER], RH_ID_LEN);
    raw[RH_ID_LEN] = '\0';
    rh_id_mask(raw, rej->id_masked);
  }
  if (nfields != m->nfields) {
    return reject(rej, "RAGGED_ROW", NULL,
                  _("row has %zu fields where the header has %zu (a missing or extra comma, or "
                    "an unquoted comma in a value)"),
                  nfields, m->nfields);
  }
  /* a cell far beyond any value of a list (a pasted document, a 1 MB cell)
   * would make a record the broker refuses, failing the whole file (defect
   * b): the row is refused instead */
  for (int c = 0; c < RH_COL_COUNT; c++)
    if (vlen[c] > PRODUCE_CELL_MAX)
      return cell_too_long(rej, feed->columns[c], vlen[c]);
  for (size_t f = 0; f < feed->fact_count; f++) {
    int fc = m->fact_col ? m->fact_col[f] : -1;
    if (fc >= 0 && (size_t)fc < nfields && fields[fc].len > PRODUCE_CELL_MAX)
      return cell_too_long(rej, feed->facts[f].header, fields[fc].len);
  }
  for (int c = 0; c < RH_COL_COUNT; c++) {
    if (feed->required[c] && vlen[c] == 0)
      return reject(rej, "MISSING_FIELD", feed->columns[c], _("required value '%s' is empty"),
                    feed->columns[c]);
  }
  rh_id_status_t st = rh_id_validate(value[RH_COL_ID_NUMBER], vlen[RH_COL_ID_NUMBER],
                                     m->max_year, out->id);
  if (st != RH_ID_OK) {
    static const char *const codes[] = {
        [RH_ID_EMPTY] = "ID_EMPTY",           [RH_ID_EXCEL_SCIENTIFIC] = "ID_EXCEL_SCIENTIFIC",
        [RH_ID_EXCEL_ZEROED] = "ID_EXCEL_ZEROED", [RH_ID_BAD_LENGTH] = "ID_BAD_LENGTH",
        [RH_ID_BAD_CHAR] = "ID_BAD_CHAR",     [RH_ID_BAD_ADDRESS] = "ID_BAD_ADDRESS",
        [RH_ID_BAD_DATE] = "ID_BAD_DATE",     [RH_ID_BAD_CHECKSUM] = "ID_BAD_CHECKSUM"};
    return reject(rej, codes[st], idcol, "%s", _(rh_id_status_str(st)));
  }
  rh_id_mask(out->id, rej->id_masked);

  rh_feedrecord_t *rec = &out->rec;
  memset(rec, 0, sizeof(*rec));
  rec->id_number = out->id;
  rec->department = feed->department->code;
  rec->feed = feed->code;
  rec->kind = produce_feedrow_kind(feed->kind);
  rec->risk = feed->risk;
  rec->risk_subtype = feed->risk_subtype;
  rec->row_number = line;

  const char *township = NULL;
  if (vlen[RH_COL_TOWNSHIP]) {
    char t[128];
    size_t n = vlen[RH_COL_TOWNSHIP] < sizeof(t) - 1 ? vlen[RH_COL_TOWNSHIP] : sizeof(t) - 1;
    memcpy(t, value[RH_COL_TOWNSHIP], n);
    t[n] = '\0';
    const rh_config_township_t *tw = rh_config_township_find(m->cfg, t);
    if (!tw)
      return reject(rej, "UNKNOWN_TOWNSHIP", feed->columns[RH_COL_TOWNSHIP],
                    _("township '%s' is not one of the county's townships (code or name)"), t);
    township = tw->code;
  }
  rec->township_code = township;
  if (vlen[RH_COL_EVENT_DATE]) {
    if (rh_parse_date(value[RH_COL_EVENT_DATE], vlen[RH_COL_EVENT_DATE], &rec->event_date))
      return reject(rej, "BAD_DATE", feed->columns[RH_COL_EVENT_DATE],
                    _("'%s' is not a date (write YYYY-MM-DD)"), feed->columns[RH_COL_EVENT_DATE]);
    rec->has_event_date = true;
    if (m->period_set && rec->event_date > m->period_last) {
      int y, mo, d, py, pm, pd;
      rh_date_from_days(rec->event_date, &y, &mo, &d);
      rh_date_from_days(m->period_last, &py, &pm, &pd);
      return reject(rej, "DATE_AFTER_PERIOD", feed->columns[RH_COL_EVENT_DATE],
                    _("'%s' %04d-%02d-%02d is after %04d-%02d, the month the list covers"),
                    feed->columns[RH_COL_EVENT_DATE], y, mo, d, py, pm);
    }
    out->before_period = m->period_set && rec->event_date < m->period_first;
  }
  if (vlen[RH_COL_AMOUNT]) {
    if (rh_parse_amount_fen(value[RH_COL_AMOUNT], vlen[RH_COL_AMOUNT], &rec->amount_fen))
      return reject(rej, "BAD_AMOUNT", feed->columns[RH_COL_AMOUNT],
                    _("'%s' is not an amount in yuan (e.g. 12345.67)"), feed->columns[RH_COL_AMOUNT]);
    /* every amount a list carries (benefits, aid, costs, losses, prices,
     * capital, deposits) is zero or more: a sign is a mistake (defect e) */
    if (rec->amount_fen < 0)
      return reject(rej, "NEGATIVE_AMOUNT", feed->columns[RH_COL_AMOUNT],
                    _("'%s' is negative; an amount in a list is zero or more"),
                    feed->columns[RH_COL_AMOUNT]);
    rec->has_amount = true;
  }
  if (vlen[RH_COL_SUBTYPE]) {
    const char *code = subtype_code(value[RH_COL_SUBTYPE], vlen[RH_COL_SUBTYPE]);
    if (!code)
      return reject(rej, "BAD_SUBTYPE", feed->columns[RH_COL_SUBTYPE],
                    _("'%s' is not a known disaster type (洪涝, 干旱, 地震, 地质灾害, 生物灾害, "
                    "气象灾害, 火灾, 其他)"), feed->columns[RH_COL_SUBTYPE]);
    rec->risk_subtype = code;
  }

  /* strings that need copies: name, village, facts (offsets first) */
  long name_off = -1, village_off = -1;
  if (vlen[RH_COL_NAME] && (name_off = keep(out, value[RH_COL_NAME], vlen[RH_COL_NAME])) < 0)
    return -1;
  if (vlen[RH_COL_VILLAGE] &&
      (village_off = keep(out, value[RH_COL_VILLAGE], vlen[RH_COL_VILLAGE])) < 0)
    return -1;
  if (feed->fact_count > out->facts_cap) {
    rh_fact_t *f = realloc(out->facts, feed->fact_count * sizeof(*f));
    if (!f) return -1;
    out->facts = f;
    out->facts_cap = feed->fact_count;
  }
  long fact_off[64];
  size_t nf = 0;
  for (size_t f = 0; f < feed->fact_count && f < 64; f++) {
    if (m->fact_col[f] < 0) continue;
    const char *s;
    size_t len;
    rh_trim(fields[m->fact_col[f]].str, fields[m->fact_col[f]].len, &s, &len);
    if (len == 0) continue;
    if ((fact_off[nf] = keep(out, s, len)) < 0) return -1;
    out->facts[nf].name = feed->facts[f].name;
    nf++;
  }
  rec->name = name_off >= 0 ? out->buf + name_off : NULL;
  rec->village = village_off >= 0 ? out->buf + village_off : NULL;
  for (size_t i = 0; i < nf; i++) out->facts[i].value = out->buf + fact_off[i];
  rec->facts = out->facts;
  rec->fact_count = nf;
  return 0;
}
