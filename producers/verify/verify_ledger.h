/*
 * verify_ledger: the rows checked against the ledger (docs/verify.md): the
 * warning exists and is this township's (the view township_warnings shows a
 * township's role its own warnings only, migration 010), and the step may
 * follow the warning's state — the state the ledger holds, moved by the rows
 * before it in the file (rh_verify). A row that repeats an earlier one is
 * refused; one whose very step the ledger holds already (township_steps: the
 * township gives its file again with more rows filled in) is marked already
 * and not sent again. Each accepted row gets its warning's household id (the
 * record's key).
 *
 * The ledger applies the published steps again, and alone decides: a step
 * accepted here and refused there (another run was faster) is kept refused
 * in warning_steps.
 */
#ifndef VERIFY_LEDGER_H
#define VERIFY_LEDGER_H

#include "rh_config.h"
#include "verify_rows.h"

/* Connect as the township's role and check every row not refused yet. 0,
 * -1 with errstr (PostgreSQL away or refusing: nothing can be checked;
 * *noperm says the database refused the role, not that it is away), or -2
 * out of memory. A step the ledger refused when it was given before is
 * refused again with the ledger's reason. */
int verify_ledger_check(const rh_config_t *cfg, const char *township, verify_rows_t *rows,
                        int *noperm, char *errstr, size_t errstr_size);

#endif
