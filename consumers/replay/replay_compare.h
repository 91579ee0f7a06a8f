/*
 * replay_compare: the published alerts and check results against the
 * replay's (docs/replay.md, "Comparing").
 *
 * Every message of the output topics (alerts.*, checks.*) is offered once.
 * Messages of other months, and of other departments / feeds than the
 * filters ask for, are skipped. The others are matched by id with the
 * store: equal (created_at never counts; complete and missing_departments
 * of a check result depend on the order the lists arrived and do not count
 * either), changed (the fields that differ are listed), extra (no such id
 * expected, or a second message with an id), and at the end every expected
 * output that was never published is missing. Each difference carries its
 * lineage; replay_cause.h says why it may differ.
 *
 * Fast path: a published alert that is byte for byte the replay's except
 * for created_at (replay_wire.h) is equal without being decoded.
 *
 * Ownership: borrows everything given to _new. Not thread-safe.
 */
#ifndef REPLAY_COMPARE_H
#define REPLAY_COMPARE_H

#include <stdbool.h>
#include <stddef.h>

#include "replay_batches.h"
#include "replay_expect.h"
#include "rh_msg.h"
#include "replay_report.h"
#include "replay_store.h"

typedef struct replay_compare replay_compare_t;

/* The expected outputs are expect's stores (read after its records). */
replay_compare_t *replay_compare_new(const rh_config_t *cfg, const rh_avro_schemas_t *schemas,
                                     replay_report_t *rep, replay_batches_t *batches,
                                     replay_expect_t *expect,
                                     const char *period, const char *dept, const char *feed,
                                     char *errstr, size_t errstr_size);
void replay_compare_destroy(replay_compare_t *c);

/* One message of an output topic. *relevant (may be NULL): it is an output
 * of the month that passes the filters (an archive keeps it). 0, or -1 with
 * errstr (out of memory). */
int replay_compare_published(replay_compare_t *c, const rh_msg_t *m, bool *relevant,
                             char *errstr, size_t errstr_size);

/* The expected outputs never seen: missing. Call once, after the last
 * published message. 0, or -1 with errstr. */
int replay_compare_finish(replay_compare_t *c, char *errstr, size_t errstr_size);

#endif
