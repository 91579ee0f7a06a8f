/*
 * join_withdraw: corrections (docs/join.md, "Corrections"; issue 11).
 *
 * A department publishes a corrected signal list for a month: a believed
 * manifest, in its feed's chain, of a (department, feed, period) whose feed
 * had an earlier believed, in-chain list of the same period and the same
 * source file name (BatchManifest.source_name; not "-", standard input) before
 * it: the file of the month delivered again. Lists of other file names add up
 * as before (a month delivered in parts). Then
 * the alerts the superseded list supported and the corrected one does not are
 * withdrawn: one withdrawal each, an Alert record with situation WITHDRAWN and
 * `withdraws` naming the alert, to the topic and key the alert went to
 * (alerts.<township> / household id, or alerts.unmatched / ID number). The
 * corrected list's new alerts are raised by join_transform as its records are
 * consumed, as any list's.
 *
 * Which alerts a list supports is recomputed from its records (read back by
 * its manifest's offset ranges) with join_transform_alert against the
 * registry of the moment: the rule an old record gives may differ from the one
 * it gave when consumed if the registry changed in between (docs/join.md,
 * "Limits").
 *
 * A withdrawal's id: SHA-256 over "riskhub-withdraw-v1", the withdrawn alert
 * id and the corrected list's batch id; claimed in the published-id set like a
 * check id (the manifest's input: the changelog's check partition, which every
 * instance reads before a manifest), in the manifest's transaction. A list
 * published again (a copy goes to the DLQ; the same records under a new batch
 * id find nothing to withdraw against the list before) adds nothing.
 *
 * The diff (join_withdraw_diff_*) is Kafka-free for the unit tests; the
 * manifest entry point reads the batches with join_checks_read_batch.
 *
 * Ownership: the caller's (new/destroy). One thread.
 */
#ifndef JOIN_WITHDRAW_H
#define JOIN_WITHDRAW_H

#include <stddef.h>
#include <stdint.h>

#include "join_checks.h"
#include "join_transform.h"
#include "rh_chain.h"

/* The withdrawal id of withdrawn_alert_id by the list batch_id, into out. */
void join_withdraw_id(const char *withdrawn_alert_id, const char *batch_id,
                      char out[RH_SHA256_HEXSZ]);

/* ---- the diff of two lists of one feed and period ---- */

typedef struct join_withdraw_diff join_withdraw_diff_t;

/* The corrected list is batch_id; its manifest (the withdrawals' source) at
 * where. NULL out of memory. Strings copied. */
join_withdraw_diff_t *join_withdraw_diff_new(const rh_config_feed_t *feed, const char *batch_id,
                                             const rh_lineage_t *where);
void join_withdraw_diff_destroy(join_withdraw_diff_t *d);
/* A record of the corrected list: the alert it supports (if any) is kept.
 * 0, or -1 out of memory. */
int join_withdraw_diff_new_record(join_withdraw_diff_t *d, join_transform_t *t,
                                  const rh_feedrecord_t *r);
/* A record of the superseded list (after every record of the corrected one):
 * an alert it supports that the corrected list does not is withdrawn (once,
 * if its withdrawal id was not published: t->counts.duplicates otherwise):
 * sent to sink, t->counts.withdrawn counted. 0, or -1 with errstr. */
int join_withdraw_diff_old_record(join_withdraw_diff_t *d, join_transform_t *t,
                                  const rh_feedrecord_t *r, const join_sink_t *sink,
                                  int64_t now_ms, char *errstr, size_t errstr_size);

/* ---- the believed signal lists of the chain ---- */

typedef struct join_withdraw join_withdraw_t;

join_withdraw_t *join_withdraw_new(void);
void join_withdraw_destroy(join_withdraw_t *w);
/* Forget the lists noted (the chain is read again). */
void join_withdraw_clear(join_withdraw_t *w);
/* A believed signal list read with the chain: its period, batch id and
 * ranges. The tag to give its chain link (> 0), or 0 out of memory. */
size_t join_withdraw_note(join_withdraw_t *w, const char *period, const char *source_name,
                          const char *batch_id, const join_range_t *ranges, size_t n);

/* The manifest at in (feed's, believed and in the chain, its ranges given) has
 * been accepted. If it corrects an earlier list of its period (the last
 * in-chain list of the feed, period and source file name before it in the
 * chain), the withdrawals,
 * reading both batches back through c. 0 (also: no earlier list, or the
 * manifest not in chain: riskhub-replay's, which has no chain), or -1 with
 * errstr (abort the transaction). */
int join_withdraw_manifest(join_withdraw_t *w, join_checks_t *c, join_transform_t *t,
                           const rh_chain_t *chain, const rh_config_feed_t *feed,
                           const join_input_t *in, const char *period,
                           const char *source_name, const char *batch_id,
                           const join_range_t *ranges, size_t nranges, const join_sink_t *sink,
                           int64_t now_ms, char *errstr, size_t errstr_size);

#endif
