/*
 * status_grid: the report's tables (lists by department and feed,
 * warnings by township, the scale risks, and the verification at the
 * household by township and by department) as typed grids, built once from a finished
 * status_report_t and rendered by every output format (status_render.h for
 * table, CSV and Markdown; status_xlsx.h for the workbook), so that all
 * formats hold the same figures.
 *
 * Cells are typed: text, a whole number, an instant (UTC ms, shown in local
 * time) or a day (days since 1970-01-01). Each column says which formats show
 * it (codes for scripts in CSV, names for people in the others) and has a CSV
 * key (snake_case) and a title for people. Rows flagged STATUS_ROW_TOTAL are
 * for people only (not in CSV). Notes are lines for people under the table.
 *
 * Ownership: a grid owns everything in it (status_grid_destroy; NULL does
 * nothing). Builders return NULL only when out of memory.
 */
#ifndef STATUS_GRID_H
#define STATUS_GRID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status_identity.h"
#include "status_report.h"
#include "status_scale.h"
#include "status_verify.h"

typedef enum {
  STATUS_CELL_EMPTY = 0,
  STATUS_CELL_TEXT,
  STATUS_CELL_INT,
  STATUS_CELL_TIME, /* value: UTC ms */
  STATUS_CELL_DAY   /* value: days since 1970-01-01 (a local date) */
} status_cell_kind_t;

/* A hint for formats with colours (xlsx): how good the news in a cell is. */
typedef enum { STATUS_TONE_NONE = 0, STATUS_TONE_GOOD, STATUS_TONE_WARN, STATUS_TONE_BAD } status_tone_t;

typedef struct {
  status_cell_kind_t kind;
  char *text;    /* TEXT: owned */
  int64_t value; /* INT, TIME, DAY */
  status_tone_t tone;
} status_cell_t;

enum {
  STATUS_SHOW_TEXT = 1, /* table and Markdown */
  STATUS_SHOW_CSV = 2,
  STATUS_SHOW_XLSX = 4,
  STATUS_SHOW_PEOPLE = STATUS_SHOW_TEXT | STATUS_SHOW_XLSX,
  STATUS_SHOW_ALL = 7
};

enum { STATUS_ROW_TOTAL = 1 };

typedef struct {
  char *key;     /* CSV header */
  char *title;   /* people's header */
  unsigned show; /* STATUS_SHOW_* bits */
  bool numeric;  /* right-aligned */
  int width;     /* xlsx column width hint (characters), 0: default */
} status_col_t;

typedef struct {
  char *title;  /* section title, e.g. "名单报送 Lists by department" */
  char *sheet;  /* xlsx sheet name (at most 31 characters, none of []:*?/\) */
  status_col_t *cols;
  size_t ncols;
  status_cell_t *cells; /* nrows * ncols, row-major */
  unsigned *row_flags;  /* STATUS_ROW_* per row */
  size_t nrows, cap;
  char **notes;
  size_t nnotes;
  int utc_offset_min; /* for TIME cells */
} status_grid_t;

/* The report's title line, e.g. "鄢陵县 (411024) 2026-10 名单报送与预警 lists and
 * warnings — lists due by 2026-11-10 (end of day, UTC+08:00) — as of
 * 2026-11-29 17:11 UTC+08:00". Truncated to size. */
void status_report_title(const status_report_t *r, char *buf, size_t size);

/* The two grids of a finished report (month layout for one month, the three
 * months side by side for a quarter). */
status_grid_t *status_grid_lists(const status_report_t *r);
status_grid_t *status_grid_townships(const status_report_t *r);
/* The verification tables (status_verify.h): per township, per department;
 * one layout for a month and a quarter (the figures over the range). */
status_grid_t *status_grid_verify_townships(const status_report_t *r, const status_verify_t *v);
status_grid_t *status_grid_verify_departments(const status_report_t *r,
                                              const status_verify_t *v);
/* The scale risks of the report's month(s) not cleared (status_scale.h; one
 * layout for a month and a quarter, the period shown to people for a quarter
 * only): s finished, or not read (s->read false: no rows, a note says why). */
status_grid_t *status_grid_scale(const status_report_t *r, const status_scale_t *s);
/* The identity discrepancies open per township (rows in the configuration's
 * order, a total of the townships, then unmatched) and kind (a column a kind,
 * the CSV key its code), open and corrected; counts only. One layout for a
 * month and a quarter (the figures over the range; period "2026-Q4"). s
 * finished, or not read (s->read false: no rows, a note says why). */
status_grid_t *status_grid_identity(const status_report_t *r, const status_identity_t *s);
void status_grid_destroy(status_grid_t *g);

/* The cell at row, col. */
const status_cell_t *status_grid_cell(const status_grid_t *g, size_t row, size_t col);

/* A cell as text for people (TIME: local "YYYY-MM-DD HH:MM"; DAY:
 * "YYYY-MM-DD"; INT: decimal; EMPTY: "") or for CSV (TIME: ISO 8601 with the
 * offset, "2026-11-05T10:12:33+08:00"; otherwise the same). Returns buf. */
const char *status_cell_text(const status_grid_t *g, const status_cell_t *c, bool for_csv,
                             char *buf, size_t size);

#endif
