/* verify_run: see verify_run.h. */
#include "verify_run.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rh_clock.h"
#include "rh_csv.h"
#include "rh_err.h"
#include "rh_exit.h"
#include "rh_file.h"
#include "rh_i18n.h"
#include "rh_log.h"
#include "rh_period.h"
#include "verify_ledger.h"
#include "verify_publish.h"

/* The command line's options, in verify_input_t's order (for messages). */
static const char *const OPTIONS[] = {"", "--alert", "--outcome", "--reason", "--visited-on",
                                      "--by", "--note"};

/* Today in the county (UTC+08:00), whatever the host's time zone: a visit of
 * this morning in the county is not "in the future" on a host kept at UTC. */
static int32_t today(void) { return rh_period_local_days(rh_wall_ms(), RH_PERIOD_UTC_OFFSET_CN); }

static void say_refusals(const verify_run_opts_t *o, const verify_rows_t *rows) {
  for (size_t i = 0; i < rows->n; i++) {
    const verify_row_t *r = &rows->v[i];
    if (!r->why) continue;
    if (o->input)
      fprintf(stderr, "%s:%lu:%d: %s\n", o->input, r->line, r->column ? r->column : 1, r->why);
    else if (r->column > 0 && r->column < (int)(sizeof OPTIONS / sizeof *OPTIONS))
      fprintf(stderr, "riskhub-verify: %s: %s\n", OPTIONS[r->column], r->why);
    else
      fprintf(stderr, "riskhub-verify: %s\n", r->why);
  }
}

static void csv_cell(FILE *f, const char *s, bool last) {
  rh_csv_write_field(f, s);
  fputs(last ? "\r\n" : ",", f);
}

/* <dir>/<input's base name>.rejects.csv, 0600; with nothing refused, an
 * earlier run's file is removed (it would send the township back to rows
 * now accepted) and path left empty. 0, or -1 with errstr. */
static int write_rejects(const verify_run_opts_t *o, const verify_rows_t *rows, size_t refused,
                         char *path, size_t path_size, char *errstr, size_t errstr_size) {
  char *copy = strdup(o->input), *copy2 = strdup(o->input);
  if (!copy || !copy2) {
    free(copy);
    free(copy2);
    rh_errf(errstr, errstr_size, "out of memory");
    return -1;
  }
  snprintf(path, path_size, "%s/%s.rejects.csv", o->report_dir ? o->report_dir : dirname(copy),
           basename(copy2));
  free(copy);
  free(copy2);
  if (!refused) {
    if (unlink(path) && errno != ENOENT) {
      rh_errf(errstr, errstr_size, "%s: %s", path, strerror(errno));
      return -1;
    }
    path[0] = '\0';
    return 0;
  }
  FILE *f = rh_file_create_private(path, O_WRONLY | O_CREAT | O_TRUNC, errstr, errstr_size);
  if (!f) return -1;
  fputs("\xEF\xBB\xBFline,column,alert_id,reason\r\n", f); /* Excel reads UTF-8 with a BOM */
  for (size_t i = 0; i < rows->n; i++) {
    const verify_row_t *r = &rows->v[i];
    if (!r->why) continue;
    char line[24], col[16];
    snprintf(line, sizeof line, "%lu", r->line);
    snprintf(col, sizeof col, "%d", r->column);
    csv_cell(f, line, false);
    csv_cell(f, col, false);
    csv_cell(f, r->alert_id ? r->alert_id : "", false);
    csv_cell(f, r->why, true);
  }
  int bad = fflush(f) != 0 || ferror(f);
  if (fclose(f) || bad) {
    rh_errf(errstr, errstr_size, "%s: %s", path, strerror(errno));
    return -1;
  }
  return 0;
}

int verify_run(const verify_run_opts_t *o) {
  char err[1024];
  verify_rows_t rows = {0};
  int rc = RH_EXIT_OK;
  int32_t now = today();
  if (o->input) {
    int r = verify_rows_read_csv(&rows, o->cfg, o->input, o->encoding, o->by, now, err,
                                 sizeof err);
    if (r) {
      fprintf(stderr, "riskhub-verify: %s\n", err);
      verify_rows_free(&rows);
      return r == -1 ? RH_EXIT_REFUSED : RH_EXIT_SOFTWARE;
    }
  } else {
    verify_columns_t cols = {1, 2, 3, 4, 5, 6};
    rows.cols = cols;
    if (verify_rows_add(&rows, o->cfg, 0, &o->one, &cols, o->by, now)) {
      fprintf(stderr, "riskhub-verify: out of memory\n");
      verify_rows_free(&rows);
      return RH_EXIT_SOFTWARE;
    }
  }
  size_t filled = rows.n;
  if (filled > verify_rows_refused(&rows)) {
    int noperm = 0, r = verify_ledger_check(o->cfg, o->township, &rows, &noperm, err, sizeof err);
    if (r) {
      rh_log_scrub(err);
      fprintf(stderr, "riskhub-verify: %s: %s; nothing published\n",
              _("the ledger could not be read"), err);
      verify_rows_free(&rows);
      return r == -2 ? RH_EXIT_SOFTWARE : noperm ? RH_EXIT_NOPERM : RH_EXIT_UNAVAILABLE;
    }
  }
  size_t refused = verify_rows_refused(&rows), published = 0, already = 0;
  for (size_t i = 0; i < rows.n; i++) already += rows.v[i].already;
  say_refusals(o, &rows);
  if (filled > refused + already) {
    verify_publish_opts_t po = {.cfg = o->cfg, .schemas = o->schemas, .township = o->township,
                                .source = o->input ? o->input : "command line",
                                .timeout_ms = o->timeout_ms};
    if ((rc = verify_publish(&po, &rows, &published, err, sizeof err)) != RH_EXIT_OK) {
      rh_log_scrub(err);
      fprintf(stderr, "riskhub-verify: %s: %s\n", _("nothing published"), err);
      verify_rows_free(&rows);
      return rc;
    }
  }
  char rejects[4096] = "";
  if (o->input && write_rejects(o, &rows, refused, rejects, sizeof rejects, err, sizeof err)) {
    fprintf(stderr, "riskhub-verify: %s\n", err);
    rc = RH_EXIT_IOERR;
  }
  printf(_("riskhub-verify: township %s: %zu steps published, %zu recorded before, %zu "
           "refused, %zu rows left blank%s%s\n"),
         o->township, published, already, refused, rows.blank, *rejects ? "; " : "", rejects);
  if (rc == RH_EXIT_OK && refused) rc = o->input ? RH_EXIT_ROWS_REJECTED : RH_EXIT_REFUSED;
  verify_rows_free(&rows);
  return rc;
}
