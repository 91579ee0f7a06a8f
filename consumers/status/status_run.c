/* status_run: see status_run.h. */
#include "status_run.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rh_avro_schema.h"
#include "rh_exit.h"
#include "rh_kafka_read.h"
#include "rh_log.h"
#include "status_grid.h"
#include "status_identity.h"
#include "status_identity_read.h"
#include "status_ledger.h"
#include "status_read.h"
#include "status_render.h"
#include "status_report.h"
#include "status_scale.h"
#include "status_scale_read.h"
#include "status_time.h"
#include "status_verify.h"
#include "status_xlsx.h"

int status_format_parse(const char *s, status_format_t *out) {
  if (!s) return -1;
  if (strcmp(s, "table") == 0) *out = STATUS_FMT_TABLE;
  else if (strcmp(s, "csv") == 0) *out = STATUS_FMT_CSV;
  else if (strcmp(s, "markdown") == 0 || strcmp(s, "md") == 0) *out = STATUS_FMT_MARKDOWN;
  else if (strcmp(s, "xlsx") == 0) *out = STATUS_FMT_XLSX;
  else return -1;
  return 0;
}

static int render(FILE *fp, const status_opts_t *o, const char *title, status_grid_t *const *g,
                  size_t n) {
  switch (o->format) {
  case STATUS_FMT_CSV: return status_render_csv(fp, g, n);
  case STATUS_FMT_MARKDOWN: return status_render_markdown(fp, title, g, n);
  default: return status_render_table(fp, title, g, n);
  }
}

/* text formats to a file: written beside it, renamed when complete */
static int write_text_file(const status_opts_t *o, const char *title, status_grid_t *const *g,
                           size_t n) {
  char tmp[4096];
  if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp-%ld", o->out, (long)getpid()) >= sizeof tmp) {
    rh_log_error("%s: name too long", o->out);
    return -1;
  }
  FILE *fp = fopen(tmp, "w");
  if (!fp) {
    rh_log_error("%s: %s", tmp, strerror(errno));
    return -1;
  }
  int rc = render(fp, o, title, g, n);
  int e = errno;
  if (fclose(fp) && !rc) {
    rc = -1;
    e = errno;
  }
  if (!rc && rename(tmp, o->out)) {
    rc = -1;
    e = errno;
  }
  if (rc) {
    unlink(tmp);
    rh_log_error("%s: writing the report: %s", o->out, strerror(e));
  }
  return rc;
}

static void summary(FILE *fp, const status_report_t *r, const status_verify_t *v,
                    const status_scale_t *sc, const status_identity_t *id, const char *title_what,
                    status_source_t source) {
  const uint32_t *c = r->state_counts[r->nmonths];
  uint64_t w = 0, h = 0;
  for (size_t t = 0; t + 1 < r->nrows; t++) {
    w += status_report_tally(r, t, r->nmonths)->warnings;
    h += status_report_tally(r, t, r->nmonths)->households;
  }
  char verified[64] = "";
  if (v) /* the verification table's: with it only */
    snprintf(verified, sizeof verified, " verified=%" PRIu64 " overdue=%" PRIu64,
             v->total.verified, v->total.overdue);
  char scale[64] = "";
  if (sc && sc->read) /* the scale table's: with it only, when the topic was read */
    snprintf(scale, sizeof scale, " scale_risks=%zu", status_scale_open(sc));
  char identity[64] = "";
  if (id && id->read) /* the identity table's: with it only, when the topics were read */
    snprintf(identity, sizeof identity, " identity_open=%" PRIu64, status_identity_open(id));
  fprintf(fp,
          "riskhub-status: %s: on_time=%u late=%u missing=%u pending=%u warnings=%" PRIu64
          " households=%" PRIu64 " unmatched=%" PRIu64 "%s source=%s%s%s\n",
          title_what, c[STATUS_ON_TIME], c[STATUS_LATE], c[STATUS_MISSING], c[STATUS_PENDING],
          w, h, status_report_tally(r, STATUS_UNMATCHED(r), r->nmonths)->warnings, verified,
          source == STATUS_SOURCE_TOPICS ? "topics" : "ledger", scale, identity);
  fflush(fp);
}

static int read_topics(const status_opts_t *o, const rh_avro_schemas_t *schemas,
                       status_report_t *r) {
  char err[1024];
  status_read_stats_t st;
  if (status_read(o->cfg, schemas, r, &st, err, sizeof err)) {
    rh_log_error("Kafka: %s", err);
    return strstr(err, "out of memory") ? RH_EXIT_SOFTWARE : RH_EXIT_UNAVAILABLE;
  }
  rh_log_debug("read %" PRIu64 " manifests, %" PRIu64 " alerts, %" PRIu64
               " check results in %.2f s",
               st.manifests, st.alerts, st.checks, st.seconds);
  if (st.undecodable)
    rh_log_warn("%" PRIu64 " messages could not be decoded and were skipped", st.undecodable);
  if (st.refused)
    rh_log_warn("%" PRIu64 " manifests were not counted: not signed by their department, forged, "
                "altered or not on its own topic (清单签名无效或不在本部门主题，未计入)",
                st.refused);
  snprintf(r->source, sizeof r->source,
           "from the broker's topics (only what retention has kept) 据消息队列");
  return RH_EXIT_OK;
}

static int read_ledger(const status_opts_t *o, status_report_t *r, status_verify_t *v) {
  char err[1024], consumer[512], when[STATUS_LOCAL_SZ], off[8];
  snprintf(consumer, sizeof consumer, "%sriskhub-ledger", o->cfg->topic_prefix);
  status_ledger_stats_t st;
  switch (status_ledger_read(o->cfg, consumer, r, v, &st, err, sizeof err)) {
  case STATUS_LEDGER_OK: break;
  case STATUS_LEDGER_UNAVAILABLE:
    rh_log_error("PostgreSQL: %s", err);
    return RH_EXIT_UNAVAILABLE;
  case STATUS_LEDGER_SCHEMA:
    rh_log_error("PostgreSQL: %s (has `riskhub-registry migrate` been run on this database?)",
                 err);
    return RH_EXIT_CONFIG;
  default:
    rh_log_error("PostgreSQL: %s", err);
    return RH_EXIT_SOFTWARE;
  }
  rh_log_debug("read %" PRIu64 " manifests and the counts from the ledger in %.2f s",
               st.manifests, st.seconds);
  status_offset_format(r->utc_offset_min, off);
  if (!st.last_write_ms) {
    rh_log_warn("the ledger (%s) has written nothing in this database: is riskhub-ledger "
                "running? Every figure is 0.",
                consumer);
    snprintf(r->source, sizeof r->source, "from the ledger, which has written nothing 据台账");
  } else {
    status_format_local(st.last_write_ms, r->utc_offset_min, when);
    snprintf(r->source, sizeof r->source, "from the ledger, last written %s UTC%s 据台账", when,
             off);
  }
  return RH_EXIT_OK;
}

static int read_source(const status_opts_t *o, const rh_avro_schemas_t *schemas,
                       status_report_t *r, status_verify_t *v) {
  return o->source == STATUS_SOURCE_TOPICS ? read_topics(o, schemas, r) : read_ledger(o, r, v);
}

/* The tables read from their topics whatever the source (the scale risks,
 * the identity discrepancies): before the read, with the ledger and no
 * --broker-wait, a short wait for a broker that cannot be reached. */
static void topic_table_wait(const status_opts_t *o) {
  if (o->source == STATUS_SOURCE_LEDGER && !o->broker_wait_set)
    rh_kafka_read_set_metadata_wait(STATUS_SCALE_LEDGER_WAIT_MS);
}

/* Such a table's topics could not be read (err): out of memory is 70; with
 * the topics it is exit 69 as for the others; with the ledger a broker that
 * cannot be reached leaves the table out with a note (why; the ledger's report
 * needs no broker). what: "the scale risks"; where_zh: the rest of the warning. */
static int topic_table_failed(const status_opts_t *o, char *err, const char *what,
                              const char *where_zh, char *why, size_t why_size) {
  rh_log_scrub(err);
  if (strstr(err, "out of memory")) {
    rh_log_error("%s", err);
    return RH_EXIT_SOFTWARE;
  }
  if (o->source == STATUS_SOURCE_TOPICS) {
    rh_log_error("Kafka: %s", err);
    return RH_EXIT_UNAVAILABLE;
  }
  rh_log_warn("%s are left out: Kafka: %s (%s)", what, err, where_zh);
  snprintf(why, why_size, "%.200s", err);
  return RH_EXIT_OK;
}

static int read_scale(const status_opts_t *o, const rh_avro_schemas_t *schemas,
                      const status_report_t *r, status_scale_t *s) {
  char err[1024];
  topic_table_wait(o);
  if (status_scale_read(o->cfg, schemas, r, s, err, sizeof err)) {
    status_scale_free(s);
    s->read = false;
    return topic_table_failed(o, err, "the scale risks",
                              "they are on the county topic only; 规模性返贫风险未能读取", s->why,
                              sizeof s->why);
  }
  status_scale_finish(s, o->cfg);
  rh_log_debug("read %" PRIu64 " scale risk versions of the period(s): %zu scale risks, %zu open",
               s->versions, s->n, status_scale_open(s));
  if (s->undecodable)
    rh_log_warn("%" PRIu64 " messages of the scale risks' topic could not be decoded and were "
                "skipped",
                s->undecodable);
  return RH_EXIT_OK;
}

static int read_identity(const status_opts_t *o, const rh_avro_schemas_t *schemas,
                         const status_report_t *r, status_identity_t *s) {
  char err[1024];
  topic_table_wait(o);
  if (status_identity_read(o->cfg, schemas, r, s, err, sizeof err)) {
    status_identity_free(s);
    s->read = false;
    return topic_table_failed(o, err, "the identity discrepancies",
                              "they are on the townships' identity topics only; 身份信息差异未能读取",
                              s->why, sizeof s->why);
  }
  if (status_identity_finish(s, o->cfg)) {
    rh_log_error("out of memory");
    return RH_EXIT_SOFTWARE;
  }
  rh_log_debug("read %" PRIu64 " identity discrepancy versions of the period(s): %zu "
               "discrepancies, %" PRIu64 " open",
               s->versions, s->n, status_identity_open(s));
  if (s->undecodable)
    rh_log_warn("%" PRIu64 " messages of the identity topics could not be decoded and were "
                "skipped",
                s->undecodable);
  return RH_EXIT_OK;
}

/* g[*n] = a new grid, or say out of memory; 0 or -1 */
static int add_grid(status_grid_t **g, size_t *n, status_grid_t *made) {
  if (!made) {
    rh_log_error("out of memory");
    return -1;
  }
  g[(*n)++] = made;
  return 0;
}

int status_run(const status_opts_t *o) {
  char err[1024], title[1024], what[32];
  int rc = RH_EXIT_SOFTWARE;
  rh_avro_schemas_t *schemas = NULL;
  status_report_t *r = NULL;
  status_verify_t *v = NULL;
  status_scale_t scale = {0};
  status_identity_t identity = {0};
  status_grid_t *grids[6] = {NULL, NULL, NULL, NULL, NULL, NULL};
  size_t ngrids = 0;
  unsigned tables = o->tables;

  if (!(schemas = rh_avro_schemas_new()) ||
      rh_avro_schemas_load_dir(schemas, o->schemas_dir, err, sizeof err)) {
    rh_log_error("schemas: %s", schemas ? err : "out of memory");
    rc = RH_EXIT_CONFIG;
    goto out;
  }
  if (!(r = status_report_new(o->cfg, o->first_year, o->first_month, o->nmonths, o->quarter,
                              o->as_of_ms, o->utc_offset_min, err, sizeof err))) {
    rh_log_error("%s", err);
    goto out;
  }
  if (tables & STATUS_TABLE_VERIFICATION) {
    if (o->source == STATUS_SOURCE_TOPICS) { /* --table all: main refuses it alone */
      rh_log_warn("the verification tables are left out: the warnings' states are in the ledger "
                  "only, not on the topics (核实情况仅据台账; --source ledger)");
      tables &= ~(unsigned)STATUS_TABLE_VERIFICATION;
    } else if (!(v = status_verify_new(o->cfg, o->as_of_ms, o->as_of_now, o->utc_offset_min))) {
      rh_log_error("out of memory");
      goto out;
    }
  }
  if ((rc = read_source(o, schemas, r, v)) != RH_EXIT_OK) goto out;
  rc = RH_EXIT_SOFTWARE;
  if (status_report_finish(r)) {
    rh_log_error("out of memory");
    goto out;
  }
  if ((tables & STATUS_TABLE_SCALE) && (rc = read_scale(o, schemas, r, &scale)) != RH_EXIT_OK)
    goto out;
  if ((tables & STATUS_TABLE_IDENTITY) &&
      (rc = read_identity(o, schemas, r, &identity)) != RH_EXIT_OK)
    goto out;
  rc = RH_EXIT_SOFTWARE;
  if (v) {
    status_verify_lists(v, r);
    if (v->other_townships)
      rh_log_warn("%" PRIu64 " warnings of the period(s) name a township that is not in the "
                  "configuration; not in the verification table",
                  v->other_townships);
  }
  if (r->manifests_other_feeds)
    rh_log_warn("%" PRIu64 " manifests of the period(s) name a feed that is not in the "
                "configuration; not counted",
                r->manifests_other_feeds);
  if ((tables & STATUS_TABLE_LISTS) && add_grid(grids, &ngrids, status_grid_lists(r))) goto out;
  if ((tables & STATUS_TABLE_TOWNSHIPS) && add_grid(grids, &ngrids, status_grid_townships(r)))
    goto out;
  if ((tables & STATUS_TABLE_SCALE) && add_grid(grids, &ngrids, status_grid_scale(r, &scale)))
    goto out;
  if ((tables & STATUS_TABLE_IDENTITY) &&
      add_grid(grids, &ngrids, status_grid_identity(r, &identity)))
    goto out;
  if (v && (add_grid(grids, &ngrids, status_grid_verify_townships(r, v)) ||
            add_grid(grids, &ngrids, status_grid_verify_departments(r, v))))
    goto out;
  status_report_title(r, title, sizeof title);
  if (r->nmonths == 1)
    snprintf(what, sizeof what, "%s", r->period[0]);
  else
    snprintf(what, sizeof what, "%04d-Q%d", r->year[0], r->quarter);

  int wrc;
  if (o->format == STATUS_FMT_XLSX) {
    wrc = status_xlsx_write(o->out, title, grids, ngrids, err, sizeof err);
    if (wrc) rh_log_error("%s", err);
  } else if (o->out) {
    wrc = write_text_file(o, title, grids, ngrids);
  } else {
    wrc = render(stdout, o, title, grids, ngrids);
    if (wrc) rh_log_error("standard output: %s", strerror(errno));
  }
  if (wrc) {
    rc = RH_EXIT_IOERR;
    goto out;
  }
  if (o->out)
    summary(stdout, r, v, (tables & STATUS_TABLE_SCALE) ? &scale : NULL,
            (tables & STATUS_TABLE_IDENTITY) ? &identity : NULL, what, o->source);
  rc = status_report_all_on_time(r) ? RH_EXIT_OK : RH_EXIT_ROWS_REJECTED;
out:
  for (size_t i = 0; i < ngrids; i++) status_grid_destroy(grids[i]);
  status_report_destroy(r);
  status_verify_destroy(v);
  status_scale_free(&scale);
  status_identity_free(&identity);
  rh_avro_schemas_destroy(schemas);
  return rc;
}
