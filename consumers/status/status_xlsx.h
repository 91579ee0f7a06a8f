/*
 * status_xlsx: the report as an Excel workbook (libxlsxwriter), the form the
 * meeting papers take: one sheet a grid (名单报送 Lists, 乡镇预警 Townships),
 * each with the report's title in its first row, the grid's title, a bold
 * shaded header row (frozen), the rows (dates and times as real Excel dates
 * in local time, "yyyy-mm-dd hh:mm" / "yyyy-mm-dd"; numbers as numbers; the
 * states coloured), bold total rows, and the notes below.
 *
 * The file is written to "<path>.tmp-<pid>" and renamed over path once
 * complete, so a reader never sees half a workbook.
 *
 * 0, or -1 with errstr naming the file and libxlsxwriter's reason.
 */
#ifndef STATUS_XLSX_H
#define STATUS_XLSX_H

#include <stddef.h>

#include "status_grid.h"

int status_xlsx_write(const char *path, const char *title, status_grid_t *const *grids, size_t n,
                      char *errstr, size_t errstr_size);

#endif
