/* status_xlsx: see status_xlsx.h. */
#include "status_xlsx.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "rh_err.h"
#include "status_time.h"

#define FIRST_DATA_ROW 3 /* 0 title, 1 grid title, 2 header */

typedef struct {
  lxw_format *title, *section, *header, *header_num, *text, *num, *time, *day, *note;
  lxw_format *total_text, *total_num;
  lxw_format *tone[4]; /* text cells by status_tone_t */
} formats_t;

static lxw_format *fmt(lxw_workbook *wb, bool bold, bool border) {
  lxw_format *f = workbook_add_format(wb);
  if (bold) format_set_bold(f);
  if (border) format_set_border(f, LXW_BORDER_THIN);
  return f;
}

static void make_formats(lxw_workbook *wb, formats_t *F) {
  F->title = fmt(wb, true, false);
  format_set_font_size(F->title, 14);
  F->section = fmt(wb, true, false);
  format_set_font_size(F->section, 12);
  F->header = fmt(wb, true, true);
  format_set_bg_color(F->header, 0xD9E1F2);
  format_set_text_wrap(F->header);
  format_set_align(F->header, LXW_ALIGN_VERTICAL_CENTER);
  F->header_num = fmt(wb, true, true);
  format_set_bg_color(F->header_num, 0xD9E1F2);
  format_set_text_wrap(F->header_num);
  format_set_align(F->header_num, LXW_ALIGN_RIGHT);
  format_set_align(F->header_num, LXW_ALIGN_VERTICAL_CENTER);
  F->text = fmt(wb, false, true);
  F->num = fmt(wb, false, true);
  format_set_num_format(F->num, "0");
  F->time = fmt(wb, false, true);
  format_set_num_format(F->time, "yyyy-mm-dd hh:mm");
  F->day = fmt(wb, false, true);
  format_set_num_format(F->day, "yyyy-mm-dd");
  F->note = fmt(wb, false, false);
  format_set_italic(F->note);
  F->total_text = fmt(wb, true, true);
  format_set_bg_color(F->total_text, 0xF2F2F2);
  F->total_num = fmt(wb, true, true);
  format_set_bg_color(F->total_num, 0xF2F2F2);
  format_set_num_format(F->total_num, "0");
  F->tone[STATUS_TONE_NONE] = F->text;
  F->tone[STATUS_TONE_GOOD] = fmt(wb, false, true);
  format_set_bg_color(F->tone[STATUS_TONE_GOOD], 0xC6EFCE);
  F->tone[STATUS_TONE_WARN] = fmt(wb, false, true);
  format_set_bg_color(F->tone[STATUS_TONE_WARN], 0xFFEB9C);
  F->tone[STATUS_TONE_BAD] = fmt(wb, true, true);
  format_set_bg_color(F->tone[STATUS_TONE_BAD], 0xFFC7CE);
}

/* first error of a sheet's writes */
static lxw_error keep(lxw_error *first, lxw_error e) {
  if (e && !*first) *first = e;
  return e;
}

static lxw_error sheet(lxw_workbook *wb, const formats_t *F, const char *title,
                       const status_grid_t *g) {
  lxw_error err = LXW_NO_ERROR;
  lxw_worksheet *ws = workbook_add_worksheet(wb, g->sheet);
  if (!ws) return LXW_ERROR_MEMORY_MALLOC_FAILED; /* or a bad/duplicate name */
  lxw_col_t x = 0;
  for (size_t c = 0; c < g->ncols; c++) {
    const status_col_t *col = &g->cols[c];
    if (!(col->show & STATUS_SHOW_XLSX)) continue;
    keep(&err, worksheet_set_column(ws, x, x, col->width ? col->width : 12, NULL));
    x++;
  }
  keep(&err, worksheet_write_string(ws, 0, 0, title, F->title));
  keep(&err, worksheet_write_string(ws, 1, 0, g->title, F->section));
  keep(&err, worksheet_set_row(ws, 2, 30, NULL));
  x = 0;
  for (size_t c = 0; c < g->ncols; c++) {
    const status_col_t *col = &g->cols[c];
    if (!(col->show & STATUS_SHOW_XLSX)) continue;
    keep(&err, worksheet_write_string(ws, 2, x++, col->title,
                                      col->numeric ? F->header_num : F->header));
  }
  for (size_t r = 0; r < g->nrows; r++) {
    bool total = (g->row_flags[r] & STATUS_ROW_TOTAL) != 0;
    lxw_row_t xr = (lxw_row_t)(FIRST_DATA_ROW + r);
    x = 0;
    for (size_t c = 0; c < g->ncols; c++) {
      if (!(g->cols[c].show & STATUS_SHOW_XLSX)) continue;
      const status_cell_t *cell = status_grid_cell(g, r, c);
      lxw_format *tf = total ? F->total_text : F->tone[cell->tone & 3];
      switch (cell->kind) {
      case STATUS_CELL_TEXT: keep(&err, worksheet_write_string(ws, xr, x, cell->text, tf)); break;
      case STATUS_CELL_INT:
        keep(&err, worksheet_write_number(ws, xr, x, (double)cell->value,
                                          total ? F->total_num : F->num));
        break;
      case STATUS_CELL_TIME:
        keep(&err, worksheet_write_number(ws, xr, x,
                                          status_excel_serial(cell->value, g->utc_offset_min),
                                          F->time));
        break;
      case STATUS_CELL_DAY:
        keep(&err, worksheet_write_number(
                       ws, xr, x, status_excel_serial(cell->value * STATUS_DAY_MS, 0), F->day));
        break;
      default: keep(&err, worksheet_write_blank(ws, xr, x, total ? F->total_text : F->text));
      }
      x++;
    }
  }
  lxw_row_t nr = (lxw_row_t)(FIRST_DATA_ROW + g->nrows + 1);
  for (size_t i = 0; i < g->nnotes; i++)
    keep(&err, worksheet_write_string(ws, nr + (lxw_row_t)i, 0, g->notes[i], F->note));
  worksheet_freeze_panes(ws, FIRST_DATA_ROW, 0);
  return err;
}

int status_xlsx_write(const char *path, const char *title, status_grid_t *const *grids, size_t n,
                      char *errstr, size_t errstr_size) {
  char tmp[4096];
  if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid()) >= sizeof tmp) {
    rh_errf(errstr, errstr_size, "%s: name too long", path);
    return -1;
  }
  lxw_workbook *wb = workbook_new(tmp);
  if (!wb) {
    rh_errf(errstr, errstr_size, "%s: cannot start a workbook (out of memory)", path);
    return -1;
  }
  lxw_doc_properties props = {.title = (char *)title, .author = (char *)"riskhub-status",
                              .comments = (char *)"riskhub-status (docs/status.md)"};
  workbook_set_properties(wb, &props);
  formats_t F;
  make_formats(wb, &F);
  lxw_error err = LXW_NO_ERROR;
  for (size_t i = 0; i < n && !err; i++) err = sheet(wb, &F, title, grids[i]);
  lxw_error cerr = workbook_close(wb); /* frees wb and writes the file */
  if (err || cerr) {
    unlink(tmp);
    rh_errf(errstr, errstr_size, "%s: writing the workbook: %s", path,
            lxw_strerror(err ? err : cerr));
    return -1;
  }
  if (rename(tmp, path)) {
    int e = errno;
    unlink(tmp);
    rh_errf(errstr, errstr_size, "%s: %s", path, strerror(e));
    return -1;
  }
  return 0;
}
