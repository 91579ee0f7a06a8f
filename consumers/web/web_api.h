/*
 * web_api: what riskhub-web's pages read and write (docs/web.md, "The
 * API"), each a function of a database connection and the signed-in user.
 * A township's user reads and writes its own township's warnings only: the
 * township comes from the session, never from the request. The bureau (a
 * user without a township) reads every township's, and records no visit.
 * Bodies are malloc'd, the caller frees them; errors say what for a person.
 */
#ifndef WEB_API_H
#define WEB_API_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stddef.h>

#include "rh_config.h"
#include "web_auth.h"
#include "web_publish.h"

/* The warnings of township (9 digits) as JSON: {"township", "name",
 * "warnings": [{alert_id, household_id, village, period, risk, rule_id,
 * state, note, visit_due, comparison_due, raised_at, overdue}]}, newest month
 * first. NULL with err. */
char *web_api_warnings(PGconn *c, const rh_config_t *cfg, const char *township, size_t *len,
                       char *err, size_t errsz);
/* The same rows as CSV for a spreadsheet (UTF-8 with a byte-order mark, so
 * that Excel reads the Chinese headers; a cell that a spreadsheet would take
 * for a formula starts with '). */
char *web_api_warnings_csv(PGconn *c, const char *township, size_t *len, char *err,
                           size_t errsz);
/* The same rows as an xlsx workbook (one sheet, named for the township;
 * every cell a string, overdue rows shaded). */
char *web_api_warnings_xlsx(PGconn *c, const rh_config_t *cfg, const char *township,
                            size_t *len, char *err, size_t errsz);
/* The bureau's view: per township its warnings by state and overdue, and
 * each feed's list of period (YYYY-MM): on time, late or missing against the
 * 10th of the next month (not due: missing before then); and the twelve months up to period, each its
 * warnings and those verified (the chart). */
char *web_api_summary(PGconn *c, const rh_config_t *cfg, const char *period, size_t *len,
                      char *err, size_t errsz);

/* Record a home visit's outcome from a JSON body {"alert_id", "outcome":
 * DISMISSED | ALREADY_MONITORED | PROPOSED, "reason" (DISMISSED: a configured
 * not_included reason, code or label), "note", "visited_on": "YYYY-MM-DD"}
 * for u's township: checked against the warning as the ledger holds it
 * (common/rh_verify's rules), then published through pub as a Verification
 * record (NOT_INCLUDED, ALREADY_MONITORED, PROPOSED), who the user, source
 * "riskhub-web"; the ledger moves the warning. Nothing here writes the
 * warnings. The HTTP status: 200 once committed on the brokers, 400 (msg
 * says what is wrong with the body), 403 (the bureau), 404 (no such warning
 * of u's township: another township's looks the same), 409 (the step may not
 * follow the warning's state), 503 (the database, the brokers, or the
 * township's credentials; msg, in Chinese). */
unsigned web_api_outcome(PGconn *c, const rh_config_t *cfg, web_publish_t *pub,
                         const web_user_t *u, const char *body, size_t len, char *msg,
                         size_t msgsz);

/* The configured not_included reasons [{code, label}] for the page's dialog. */
json_t *web_api_reasons(const rh_config_t *cfg);

#endif
