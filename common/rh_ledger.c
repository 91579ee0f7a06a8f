/* rh_ledger: see rh_ledger.h. */
#include "rh_ledger.h"

#include <stdio.h>
#include <stdlib.h>

#include "rh_err.h"
#include "rh_pg.h"

int rh_ledger_months(PGconn *pg, char (**months)[8], size_t *n, char *errstr,
                     size_t errstr_size) {
  *months = NULL;
  *n = 0;
  PGresult *r = rh_pg_exec_params(
      pg, "SELECT DISTINCT period FROM list_manifests WHERE period ~ '^[0-9]{4}-[0-9]{2}$' "
          "ORDER BY 1",
      0, NULL, errstr, errstr_size);
  if (!r) return -1;
  size_t rows = (size_t)PQntuples(r);
  if (rows && !(*months = calloc(rows, sizeof **months))) {
    PQclear(r);
    rh_errf(errstr, errstr_size, "out of memory");
    return -1;
  }
  for (size_t i = 0; i < rows; i++) snprintf((*months)[i], 8, "%s", PQgetvalue(r, (int)i, 0));
  *n = rows;
  PQclear(r);
  return 0;
}
