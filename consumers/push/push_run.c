/* push_run: see push_run.h. */
#include "push_run.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "push_plan.h"
#include "push_publish.h"
#include "rh_exit.h"
#include "rh_log.h"
#include "rh_pg.h"

int push_run(const push_run_opts_t *o) {
  char err[1024];
  push_plan_t plan;
  if (push_plan_build(o->cfg, o->department, &plan, err, sizeof err)) {
    fprintf(stderr, "riskhub-push: --department: %s\n", err);
    return RH_EXIT_USAGE;
  }
  push_job_t jobs[sizeof plan.v / sizeof *plan.v];
  memset(jobs, 0, sizeof jobs);
  int rc = RH_EXIT_OK;
  PGconn *conn = rh_pg_connect_as(o->cfg->pg_conninfo, RH_PG_ROLE_PUSH, 0, err, sizeof err);
  if (!conn) {
    rh_log_scrub(err);
    fprintf(stderr, "riskhub-push: PostgreSQL: %s; nothing pushed\n", err);
    /* a password refused (rh_pg_connect_as names where it is looked for) is
     * the party refused: 77, as documented, not the server away (69) */
    return strstr(err, "its password is looked for") ? RH_EXIT_NOPERM : RH_EXIT_UNAVAILABLE;
  }
  /* one snapshot for the whole run: every department gets the same month (a
   * late application committed during the run goes to none of them, not to
   * some), and each kind is read once */
  push_rows_t rows[RH_OUTBOUND_KIND_COUNT];
  bool loaded[RH_OUTBOUND_KIND_COUNT] = {false};
  memset(rows, 0, sizeof rows);
  if (rh_pg_exec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err, sizeof err)) {
    rh_log_scrub(err);
    fprintf(stderr, "riskhub-push: PostgreSQL: %s; nothing pushed\n", err);
    rc = RH_EXIT_UNAVAILABLE;
    goto out;
  }
  for (size_t i = 0; i < plan.n; i++) {
    rh_outbound_kind_t k = plan.v[i].kind;
    jobs[i].item = plan.v[i];
    jobs[i].period = o->period;
    if (!loaded[k]) {
      if (push_rows_load(conn, k, o->period, &rows[k], err, sizeof err)) {
        rh_log_scrub(err);
        fprintf(stderr, "riskhub-push: PostgreSQL: %s; nothing pushed\n", err);
        rc = strstr(err, "permission denied") ? RH_EXIT_NOPERM : RH_EXIT_UNAVAILABLE;
        goto out;
      }
      loaded[k] = true;
    }
    jobs[i].rows = rows[k]; /* shared: freed once, below */
    if (push_job_id(&jobs[i])) {
      fprintf(stderr, "riskhub-push: out of memory; nothing pushed\n");
      rc = RH_EXIT_SOFTWARE;
      goto out;
    }
  }
  PQfinish(conn);
  conn = NULL;
  rc = push_publish(o->cfg, o->schemas, jobs, plan.n, o->timeout_ms, err, sizeof err);
  for (size_t i = 0; i < plan.n; i++) {
    const push_job_t *j = &jobs[i];
    if (j->state == PUSH_PENDING) continue;
    printf("riskhub-push: %s %s %s: %zu persons, %zu households, push %.16s %s\n",
           j->item.department->code, rh_outbound_kind_name(j->item.kind), o->period, j->rows.n,
           j->rows.households, j->push_id,
           j->state == PUSH_SENT ? "sent" : "on the topic already");
  }
  if (rc != RH_EXIT_OK) {
    rh_log_scrub(err);
    fprintf(stderr, "riskhub-push: %s; the pushes not listed above were not sent\n", err);
  }
out:
  if (conn) PQfinish(conn); /* the read-only transaction ends with it */
  for (int k = 0; k < RH_OUTBOUND_KIND_COUNT; k++) push_rows_free(&rows[k]);
  return rc;
}
