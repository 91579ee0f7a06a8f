/* alerts_audit: see alerts_audit.h. */
#include "alerts_audit.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_err.h"
#include "rh_pg.h"

typedef struct {
  const char *topic;
  int32_t partition;
  int64_t first, last;
  size_t count;
} range_t;

static int cmp_range(const void *a, const void *b) {
  const range_t *x = a, *y = b;
  int r = strcmp(x->topic, y->topic);
  if (r) return r;
  return (x->partition > y->partition) - (x->partition < y->partition);
}

char *alerts_audit_ranges_json(const alerts_item_t *items, size_t n) {
  range_t *rs = calloc(n ? n : 1, sizeof *rs);
  if (!rs) return NULL;
  size_t nr = 0;
  for (size_t i = 0; i < n; i++) {
    const alerts_item_t *it = &items[i];
    const char *topic = it->topic ? it->topic : "";
    size_t k = 0;
    while (k < nr && !(rs[k].partition == it->partition && strcmp(rs[k].topic, topic) == 0)) k++;
    if (k == nr) rs[nr++] = (range_t){topic, it->partition, it->offset, it->offset, 0};
    if (it->offset < rs[k].first) rs[k].first = it->offset;
    if (it->offset > rs[k].last) rs[k].last = it->offset;
    rs[k].count++;
  }
  qsort(rs, nr, sizeof *rs, cmp_range);
  char *out = NULL;
  size_t len = 0;
  FILE *fp = open_memstream(&out, &len);
  if (!fp) {
    free(rs);
    return NULL;
  }
  putc('[', fp);
  for (size_t k = 0; k < nr; k++)
    /* topic names are [a-zA-Z0-9._-] (Kafka's rule): nothing to escape */
    fprintf(fp, "%s{\"topic\":\"%s\",\"partition\":%" PRId32 ",\"first\":%" PRId64
                ",\"last\":%" PRId64 ",\"count\":%zu}",
            k ? "," : "", rs[k].topic, rs[k].partition, rs[k].first, rs[k].last, rs[k].count);
  putc(']', fp);
  int bad = ferror(fp);
  fclose(fp);
  free(rs);
  if (bad) {
    free(out);
    return NULL;
  }
  return out;
}

static alerts_audit_status_t status_of(PGconn *conn, const char *why, char *errstr,
                                       size_t errstr_size, const char *what) {
  if (rh_pg_connection_lost(conn)) {
    rh_errf(errstr, errstr_size, "%s: PostgreSQL away: %s", what, why);
    return ALERTS_AUDIT_AWAY;
  }
  if (strstr(why, "42P01")) {
    rh_errf(errstr, errstr_size,
            "%s: the database has no table unmasked_exports (migration 004): run "
            "riskhub-registry migrate",
            what);
    return ALERTS_AUDIT_NOT_MIGRATED;
  }
  rh_errf(errstr, errstr_size, "%s: %s", what, why);
  return ALERTS_AUDIT_FAILED;
}

alerts_audit_status_t alerts_audit_check(PGconn *conn, char *errstr, size_t errstr_size) {
  char why[512];
  PGresult *res = rh_pg_exec_params(conn, "SELECT to_regclass('unmasked_exports') IS NOT NULL",
                                    0, NULL, why, sizeof why);
  if (!res) return status_of(conn, why, errstr, errstr_size, "checking the export record table");
  int ok = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
  PQclear(res);
  if (!ok) {
    rh_errf(errstr, errstr_size,
            "the database has no table unmasked_exports (migration 004): run riskhub-registry "
            "migrate");
    return ALERTS_AUDIT_NOT_MIGRATED;
  }
  return ALERTS_AUDIT_OK;
}

static const char *SQL_INSERT =
    "INSERT INTO unmasked_exports (run_id, os_user, operator, hostname, program, townships, "
    "unmatched, consumer_group, from_date, period, format, destination, record_count, ranges) "
    "VALUES ($1, $2, $3, $4, 'riskhub-alerts', $5::text[], $6::boolean, $7, $8::date, $9, $10, "
    "$11, $12::integer, $13::jsonb) RETURNING export_id";

alerts_audit_status_t alerts_audit_record(PGconn *conn, const alerts_audit_info_t *info,
                                          const alerts_item_t *items, size_t n,
                                          long long *export_id, char *errstr,
                                          size_t errstr_size) {
  alerts_audit_status_t st = ALERTS_AUDIT_FAILED;
  char count[32], why[512];
  char *ranges = alerts_audit_ranges_json(items, n);
  /* township codes are 9 digits: no quoting needed in the array literal */
  size_t tlen = 3;
  for (size_t i = 0; i < info->township_count; i++) tlen += strlen(info->townships[i]) + 1;
  char *towns = malloc(tlen);
  if (!ranges || !towns) {
    rh_errf(errstr, errstr_size, "recording the unmasked export: out of memory");
    goto out;
  }
  char *p = towns;
  *p++ = '{';
  for (size_t i = 0; i < info->township_count; i++) {
    if (i) *p++ = ',';
    size_t l = strlen(info->townships[i]);
    memcpy(p, info->townships[i], l);
    p += l;
  }
  *p++ = '}';
  *p = '\0';
  snprintf(count, sizeof count, "%zu", n);
  const char *params[13] = {info->run_id,   info->os_user,     info->operator_name,
                            info->hostname, towns,             info->unmatched ? "true" : "false",
                            info->group,    info->from_date,   info->period,
                            info->format,   info->destination, count,
                            ranges};
  for (int attempt = 0; attempt < 2; attempt++) {
    PGresult *res = rh_pg_exec_params(conn, SQL_INSERT, 13, params, why, sizeof why);
    if (res) {
      if (export_id) *export_id = PQntuples(res) == 1 ? atoll(PQgetvalue(res, 0, 0)) : -1;
      PQclear(res);
      st = ALERTS_AUDIT_OK;
      break;
    }
    st = status_of(conn, why, errstr, errstr_size, "recording the unmasked export");
    if (st != ALERTS_AUDIT_AWAY || attempt) break;
    PQreset(conn); /* one reconnect: a server restarted between batches */
    if (PQstatus(conn) != CONNECTION_OK) break;
  }
out:
  free(ranges);
  free(towns);
  return st;
}
