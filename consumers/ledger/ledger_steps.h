/*
 * ledger_steps: the townships' steps at the household, read from
 * verifications.<township> (docs/verify.md), kept and applied in the ledger's
 * PostgreSQL transaction (ledger_batch_write):
 *
 *   INSERT warning_steps ... ON CONFLICT (verification_id) DO NOTHING
 *     RETURNING the steps new to the ledger;
 *   SELECT their warnings FOR UPDATE;
 *   apply each new step in the order it was read (rh_verify: may the
 *     warning, in the state the steps before left it, take this outcome?
 *     is it the township's own?), and record on each step the state it found
 *     and, when not applied, why;
 *   UPDATE warnings to the state the steps leave.
 *
 * A step sent twice is kept and applied once (its id); a step that cannot be
 * applied is kept, refused, and changes nothing. The topic names the township
 * (only its party may write it); a record naming another is refused.
 *
 * Ownership: the caller's (new/destroy); cfg and schemas are borrowed. One
 * thread.
 */
#ifndef LEDGER_STEPS_H
#define LEDGER_STEPS_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "rh_avro_codec.h"
#include "rh_config.h"

typedef struct ledger_steps ledger_steps_t;

ledger_steps_t *ledger_steps_new(const rh_config_t *cfg, const rh_avro_schemas_t *schemas,
                                 char *errstr, size_t errstr_size);
void ledger_steps_destroy(ledger_steps_t *s);

/* One record of topic (verifications.<township>) at partition/offset. 0
 * added, 1 skipped (undecodable: why says why), -1 out of memory. */
int ledger_steps_add(ledger_steps_t *s, rh_avro_decoder_t *dec, const char *topic,
                     int32_t partition, int64_t offset, const void *value, size_t len, char *why,
                     size_t why_size);
size_t ledger_steps_rows(const ledger_steps_t *s);
void ledger_steps_clear(ledger_steps_t *s);

/* Inside the caller's transaction. *inserted: steps new to the ledger;
 * *refused: of those, the ones not applied. 0, or -1 with errstr. */
int ledger_steps_write(ledger_steps_t *s, PGconn *pg, uint64_t *inserted, uint64_t *refused,
                       char *errstr, size_t errstr_size);

/* Steps read before their warning (kept refused "the warning is not in the
 * ledger": the ledger rebuilt from the topics reads a township's verifications
 * partition before the alerts partition of the warning, docs/ledger.md): the
 * warnings of alert_ids (a text[] literal: the batch's, just stored) take them
 * now, in the order they were read, as if read after them (each step's refused
 * and state_before set again). Inside the caller's transaction, after the
 * warnings. *applied: how many were applied. 0, or -1 with errstr. */
int ledger_steps_apply_held(PGconn *pg, const char *alert_ids, uint64_t *applied, char *errstr,
                            size_t errstr_size);

#endif
