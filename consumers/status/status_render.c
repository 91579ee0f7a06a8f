/* status_render: see status_render.h. */
#include "status_render.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CELL_MAX 1024
#define GAP "  "

/* decode one UTF-8 sequence at s: code point, or -1 for an invalid byte */
static long utf8_next(const unsigned char **p) {
  const unsigned char *s = *p;
  long cp;
  int n;
  if (s[0] < 0x80) {
    *p = s + 1;
    return s[0];
  } else if ((s[0] & 0xe0) == 0xc0) {
    cp = s[0] & 0x1f;
    n = 1;
  } else if ((s[0] & 0xf0) == 0xe0) {
    cp = s[0] & 0x0f;
    n = 2;
  } else if ((s[0] & 0xf8) == 0xf0) {
    cp = s[0] & 0x07;
    n = 3;
  } else {
    *p = s + 1;
    return -1;
  }
  for (int i = 1; i <= n; i++) {
    if ((s[i] & 0xc0) != 0x80) {
      *p = s + 1;
      return -1;
    }
    cp = cp << 6 | (s[i] & 0x3f);
  }
  *p = s + n + 1;
  return cp;
}

static int cp_width(long cp) {
  if (cp < 0) return 1;
  if ((cp >= 0x0300 && cp <= 0x036f) || (cp >= 0x200b && cp <= 0x200f) ||
      (cp >= 0xfe00 && cp <= 0xfe0f))
    return 0;
  if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0x303e) ||
      (cp >= 0x3041 && cp <= 0x33ff) || (cp >= 0x3400 && cp <= 0x4dbf) ||
      (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xa000 && cp <= 0xa4cf) ||
      (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
      (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
      (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x20000 && cp <= 0x3fffd))
    return 2;
  return 1;
}

size_t status_display_width(const char *s) {
  size_t w = 0;
  const unsigned char *p = (const unsigned char *)s;
  while (p && *p) w += (size_t)cp_width(utf8_next(&p));
  return w;
}

static bool shows(const status_col_t *c, unsigned what) { return (c->show & what) != 0; }

static int pad(FILE *fp, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (fputc(' ', fp) == EOF) return -1;
  return 0;
}

/* a cell for people, line breaks turned into blanks */
static const char *people_text(const status_grid_t *g, size_t r, size_t c, char *buf) {
  status_cell_text(g, status_grid_cell(g, r, c), false, buf, CELL_MAX);
  for (char *p = buf; *p; p++)
    if (*p == '\n' || *p == '\r' || *p == '\t') *p = ' ';
  return buf;
}

static int table_grid(FILE *fp, const status_grid_t *g) {
  size_t *w = calloc(g->ncols ? g->ncols : 1, sizeof *w);
  char buf[CELL_MAX];
  if (!w) return -1;
  for (size_t c = 0; c < g->ncols; c++) {
    if (!shows(&g->cols[c], STATUS_SHOW_TEXT)) continue;
    w[c] = status_display_width(g->cols[c].title);
    for (size_t r = 0; r < g->nrows; r++) {
      size_t x = status_display_width(people_text(g, r, c, buf));
      if (x > w[c]) w[c] = x;
    }
  }
  int rc = 0;
  if (fprintf(fp, "%s\n", g->title) < 0) rc = -1;
  for (size_t r = 0; r <= g->nrows && rc == 0; r++) { /* r == 0: the header */
    bool first = true;
    /* trailing blanks are not written: pad only before a following cell */
    size_t pending = 0;
    for (size_t c = 0; c < g->ncols && rc == 0; c++) {
      if (!shows(&g->cols[c], STATUS_SHOW_TEXT)) continue;
      const char *s = r == 0 ? g->cols[c].title : people_text(g, r - 1, c, buf);
      size_t sw = status_display_width(s);
      size_t fill = w[c] > sw ? w[c] - sw : 0;
      bool right = g->cols[c].numeric && r > 0;
      if (!first) pending += strlen(GAP);
      if (right) pending += fill;
      if (*s) {
        if (pad(fp, pending) || fputs(s, fp) == EOF) rc = -1;
        pending = 0;
      }
      if (!right) pending += fill;
      first = false;
    }
    if (fputc('\n', fp) == EOF) rc = -1;
    if (r == 0 && rc == 0) { /* a rule under the header */
      first = true;
      for (size_t c = 0; c < g->ncols && rc == 0; c++) {
        if (!shows(&g->cols[c], STATUS_SHOW_TEXT)) continue;
        if (!first && fputs(GAP, fp) == EOF) rc = -1;
        for (size_t i = 0; i < w[c] && rc == 0; i++)
          if (fputc('-', fp) == EOF) rc = -1;
        first = false;
      }
      if (fputc('\n', fp) == EOF) rc = -1;
    }
  }
  for (size_t i = 0; i < g->nnotes && rc == 0; i++)
    if (fprintf(fp, "%s\n", g->notes[i]) < 0) rc = -1;
  free(w);
  return rc;
}

int status_render_table(FILE *fp, const char *title, status_grid_t *const *grids, size_t n) {
  if (fprintf(fp, "%s\n", title) < 0) return -1;
  for (size_t i = 0; i < n; i++)
    if (fputc('\n', fp) == EOF || table_grid(fp, grids[i])) return -1;
  return fflush(fp) == EOF ? -1 : 0;
}

int status_csv_field(FILE *fp, const char *s) {
  bool quote = s[0] == ' ' || (s[0] && s[strlen(s) - 1] == ' ') || strpbrk(s, ",\"\r\n") != NULL;
  if (!quote) return fputs(s, fp) == EOF ? -1 : 0;
  if (fputc('"', fp) == EOF) return -1;
  for (const char *p = s; *p; p++) {
    if (*p == '"' && fputc('"', fp) == EOF) return -1;
    if (fputc(*p, fp) == EOF) return -1;
  }
  return fputc('"', fp) == EOF ? -1 : 0;
}

static int csv_grid(FILE *fp, const status_grid_t *g) {
  char buf[CELL_MAX];
  for (size_t r = 0; r <= g->nrows; r++) {
    if (r > 0 && (g->row_flags[r - 1] & STATUS_ROW_TOTAL)) continue;
    bool first = true;
    for (size_t c = 0; c < g->ncols; c++) {
      if (!shows(&g->cols[c], STATUS_SHOW_CSV)) continue;
      if (!first && fputc(',', fp) == EOF) return -1;
      const char *s = r == 0 ? g->cols[c].key
                             : status_cell_text(g, status_grid_cell(g, r - 1, c), true, buf,
                                                sizeof buf);
      if (status_csv_field(fp, s)) return -1;
      first = false;
    }
    if (fputc('\n', fp) == EOF) return -1;
  }
  return 0;
}

int status_render_csv(FILE *fp, status_grid_t *const *grids, size_t n) {
  for (size_t i = 0; i < n; i++)
    if ((i > 0 && fputc('\n', fp) == EOF) || csv_grid(fp, grids[i])) return -1;
  return fflush(fp) == EOF ? -1 : 0;
}

static int md_text(FILE *fp, const char *s) {
  for (const char *p = s; *p; p++) {
    int ch = (unsigned char)*p;
    if (ch == '\n' || ch == '\r') ch = ' ';
    if ((ch == '|' || ch == '\\') && fputc('\\', fp) == EOF) return -1;
    if (fputc(ch, fp) == EOF) return -1;
  }
  return 0;
}

static int md_grid(FILE *fp, const status_grid_t *g) {
  char buf[CELL_MAX];
  if (fputs("## ", fp) == EOF || md_text(fp, g->title) || fputs("\n\n", fp) == EOF) return -1;
  for (size_t r = 0; r <= g->nrows; r++) {
    for (size_t c = 0; c < g->ncols; c++) {
      if (!shows(&g->cols[c], STATUS_SHOW_TEXT)) continue;
      const char *s = r == 0 ? g->cols[c].title : people_text(g, r - 1, c, buf);
      if (fputs("| ", fp) == EOF || md_text(fp, s) || fputc(' ', fp) == EOF) return -1;
    }
    if (fputs("|\n", fp) == EOF) return -1;
    if (r == 0) {
      for (size_t c = 0; c < g->ncols; c++)
        if (shows(&g->cols[c], STATUS_SHOW_TEXT) &&
            fputs(g->cols[c].numeric ? "|---:" : "|---", fp) == EOF)
          return -1;
      if (fputs("|\n", fp) == EOF) return -1;
    }
  }
  if (g->nnotes && fputc('\n', fp) == EOF) return -1;
  for (size_t i = 0; i < g->nnotes; i++)
    if (fputs("- ", fp) == EOF || md_text(fp, g->notes[i]) || fputc('\n', fp) == EOF) return -1;
  return 0;
}

int status_render_markdown(FILE *fp, const char *title, status_grid_t *const *grids, size_t n) {
  if (fputs("# ", fp) == EOF || md_text(fp, title) || fputc('\n', fp) == EOF) return -1;
  for (size_t i = 0; i < n; i++)
    if (fputc('\n', fp) == EOF || md_grid(fp, grids[i])) return -1;
  return fflush(fp) == EOF ? -1 : 0;
}
