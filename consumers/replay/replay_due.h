/*
 * replay_due: the monthly archive (issue 14; docs/operations.md, "The
 * monthly archive"): `riskhub-replay --archive-due`, run by a timer
 * (docker/riskhub-archive.timer) or by hand.
 *
 * The months are those of the ledger's list_manifests (every month a list
 * arrived for). A month is due once its delivery deadline
 * (deadlines.delivery_day of the following month, UTC+08:00) and
 * archive.grace have passed (as of now, or --as-of). A due month that
 * archive.dir does not hold yet is archived:
 *
 *   1. replayed from the broker into archive.dir/.P.partial (replay_run with
 *      --archive: manifests, records, alerts, check results as Avro object
 *      container files, archive.json, SHA256SUMS); the replay's report, as
 *      JSON, into archive.dir/P.replay.json: what the month looked like
 *      when it was archived;
 *   2. refused if the broker no longer had every record its manifests name
 *      (a retention shorter than deadline + grace): nothing is kept;
 *   3. verified: replayed again from the partial archive (checksums, every
 *      record decoded, through the join's code) — the same batches, records,
 *      published alerts and check results, and differences as from the
 *      broker, or nothing is kept;
 *   4. every file and the folder fsync'd, renamed to archive.dir/P, the
 *      parent fsync'd. A crash leaves at most a .P.partial, which the next
 *      run removes and makes again.
 *
 * A month archived already is never written again (an archive is evidence).
 * One line a month on out; the exit code is the first failure's: 69 Kafka
 * or PostgreSQL away, 65 a month that cannot be archived or verified, 74 a
 * file, 78 no archive.dir or a database without the ledger's tables.
 */
#ifndef REPLAY_DUE_H
#define REPLAY_DUE_H

#include <stdint.h>
#include <stdio.h>

#include "rh_config.h"

typedef struct {
  const rh_config_t *cfg;
  const char *schemas_dir;
  int64_t as_of_ms; /* UTC ms: what is due then */
  int threads;      /* as replay_opts_t */
  FILE *out;        /* a line a month, and a summary */
} replay_due_opts_t;

int replay_due_run(const replay_due_opts_t *o);

#endif
