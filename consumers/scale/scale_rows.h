/*
 * scale_rows: what riskhub-scale reads from PostgreSQL, as riskhub_scale
 * (migration 018): the live warnings of a month and of its baseline months,
 * placed where the registry places their households, and the registry's
 * households per village. One REPEATABLE READ snapshot for both.
 */
#ifndef SCALE_ROWS_H
#define SCALE_ROWS_H

#include <libpq-fe.h>
#include <stddef.h>

#include "rh_config.h"
#include "scale_judge.h"

typedef struct {
  PGresult *wres, *pres;
  scale_warning_t *warnings;
  size_t n;
  scale_place_t *places;
  size_t np;
} scale_rows_t;

/* The warnings (not WITHDRAWN) of the months from period - baseline_months to
 * period whose risk is one of a scale rule's. 0, or -1 with errstr (the
 * database's words). */
int scale_rows_load(PGconn *conn, const rh_config_t *cfg, const char *period, scale_rows_t *out,
                    char *errstr, size_t errstr_size);
void scale_rows_free(scale_rows_t *r);

#endif
