/*
 * status_render: the report as text — an aligned table for a terminal, CSV
 * for scripts and spreadsheets, Markdown for minutes and wikis.
 *
 *   table     title, then each grid: its title, the header, one line a row
 *             (columns aligned by display width: a CJK character takes two
 *             cells), the notes.
 *   csv       RFC 4180 (fields with a comma, quote or line break quoted,
 *             quotes doubled; lines end in \n, UTF-8 without BOM); each grid
 *             is one CSV table with a header row of snake_case keys; two
 *             grids are separated by one empty line. No title, no totals, no
 *             notes: every row is a record.
 *   markdown  "# title", then per grid "## title", a pipe table (| escaped)
 *             and the notes as a list.
 *
 * Each function writes to fp and returns 0, or -1 if a write failed (errno as
 * the stream left it). They cannot fail otherwise and allocate nothing the
 * caller owns.
 */
#ifndef STATUS_RENDER_H
#define STATUS_RENDER_H

#include <stddef.h>
#include <stdio.h>

#include "status_grid.h"

int status_render_table(FILE *fp, const char *title, status_grid_t *const *grids, size_t n);
int status_render_csv(FILE *fp, status_grid_t *const *grids, size_t n);
int status_render_markdown(FILE *fp, const char *title, status_grid_t *const *grids, size_t n);

/* Columns a UTF-8 string takes on a terminal: 2 for East Asian wide and
 * full-width characters (CJK, Hangul, full-width forms), 0 for combining
 * marks, 1 otherwise; an invalid byte counts 1. */
size_t status_display_width(const char *s);

/* One CSV field as RFC 4180 wants it (exposed for tests). */
int status_csv_field(FILE *fp, const char *s);

#endif
