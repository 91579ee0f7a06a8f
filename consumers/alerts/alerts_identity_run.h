/*
 * alerts_identity_run: riskhub-alerts --identity (docs/alerts.md, "Identity
 * discrepancies"): the townships' topics <prefix>identity.<code> (and, with
 * --unmatched, identity.unmatched) read as --scale reads its topic
 * (alerts_stream.h: read_committed; a group that commits after writing, or a
 * window --from / --period; --follow), each Discrepancy version decoded
 * (rh_discrepancy.h) and written as it comes (alerts_identity_format: the ID
 * number always masked), in each topic's order (one partition a township: a
 * key's versions in order there; a key moved to another township has its
 * CLOSED on the old topic and its OPEN on the new). --output is created 0600
 * (it holds names). Nothing is looked up in PostgreSQL.
 *
 * Prints one summary line on stderr:
 *   riskhub-alerts: identity versions=N open=N updated=N closed=N skipped=N batches=N
 * Exit codes: alerts_stream.h (78: schemas without riskhub.Discrepancy).
 */
#ifndef ALERTS_IDENTITY_RUN_H
#define ALERTS_IDENTITY_RUN_H

#include "alerts_run.h"

int alerts_identity_run(const alerts_run_opts_t *o);

#endif
