/*
 * replay_month: where `riskhub-replay --period P` reads the month from
 * (issue 14, docs/replay.md "The monthly archive").
 *
 * From the broker, as before — unless the broker no longer holds the month
 * (its retention deleted records the manifests promise, or manifests the
 * ledger's list_manifests knows) and the monthly archive has it
 * (archive.dir/P: this namespace's, the whole month, its SHA256SUMS
 * holding; made by --archive-due): then from the archive, and the report's
 * source says so ("archive DIR (the broker no longer has the month: ...)").
 * The broker's report is kept back until that is decided, so one report is
 * printed. Without a usable archive, a month whose manifests the broker lost
 * is a difference (70), never a clean report of fewer lists.
 *
 * With --archive or --from-archive it is replay_run.
 */
#ifndef REPLAY_MONTH_H
#define REPLAY_MONTH_H

#include "replay_run.h"

/* An exit code, as replay_run's. */
int replay_month(const replay_opts_t *o);

#endif
