/*
 * replay_cause: does a difference come from the registry having changed
 * since the month was joined? (docs/replay.md, "Registry changes").
 *
 * The replay joins with the registry as it is NOW; the live join used the
 * registry as it was then. registry_changes (migration 002, docs/registry.md)
 * logs every inserted, updated or deleted household and member row with its
 * time. A difference is "registry changed since" when a row it involves —
 * the person's (members, by ID number) or a household's (households, by
 * household number: the one published and the one the replay found) —
 * changed after its reference time: the published message's created_at for
 * changed and extra ones, the batch's finished_at (when the list was
 * complete on the broker) for missing ones. Otherwise "unexplained".
 *
 * Limits (documented): changed_at is the writing transaction's start time
 * (now()); a change log pruned past the month explains nothing; the
 * applications table is not logged, so a changed list of applicants shows
 * as unexplained.
 */
#ifndef REPLAY_CAUSE_H
#define REPLAY_CAUSE_H

#include <libpq-fe.h>
#include <stddef.h>

#include "replay_report.h"

/* Sets cause and registry_changed_at of every difference of rep with one
 * query. 0, or -1 with errstr (PostgreSQL; see rh_pg_connection_lost). */
int replay_cause_explain(replay_report_t *rep, PGconn *pg, char *errstr, size_t errstr_size);

/* An array literal ("{"a","b"}") of n strings for a text[] parameter, every
 * element quoted. malloc'd; NULL out of memory. Exposed for tests. */
char *replay_cause_array(const char *const *items, size_t n);

#endif
