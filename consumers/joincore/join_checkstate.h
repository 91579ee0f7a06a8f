/*
 * join_checkstate: which check lists a period's comparisons are of, and the
 * ids of their results (docs/join.md, "Records"; issue 11).
 *
 * The check lists of a period are the believed, in-chain manifests of its
 * check feeds. At a time t (a list's finished_at) the state of the period is,
 * for each check feed, its current list: the last in its chain of those
 * finished at or before t (a later list of a feed and period corrects the
 * earlier). When a list finished at t is handled, the results of every list
 * of the state at t are issued: the list's own, and again those of the lists
 * that arrived before it, with complete/missing_departments as of t.
 *
 * A result's id (check_id, hex SHA-256 over NUL-terminated parts):
 *   - "riskhub-check-v1", period, member, department, feed: a list's first
 *     issue, when it is the first list of its feed and period and t is its
 *     own finished_at (the ids of before issue 11);
 *   - "riskhub-check-v2", period, member, department, feed, the batch id whose
 *     facts it gives, then "department/feed=batch id" of every list of the
 *     state, sorted (byte order): a re-issue or a correction.
 * A list with the batch id of the list before it in its chain (the same list
 * sent again, --republish) restates it and makes no new state: for the v1 rule
 * it is the list it restates (join_checkstate_origin), and t is the latest
 * finished_at of the state's lists as restated, so its results are those of
 * the state it restates, published already (duplicates).
 * A result supersedes the one of the same member and feed in the state at the
 * time before t (the greatest finished_at below t of the period's lists), if
 * that state had the feed. The ids are a function of the lists alone: a list
 * handled again (a restart, a rebalance, a re-run) gives the same ids.
 *
 * Pure functions over an array the caller owns.
 */
#ifndef JOIN_CHECKSTATE_H
#define JOIN_CHECKSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rh_hash.h"

#define JOIN_CHECKSTATE_NONE SIZE_MAX

typedef struct {
  const void *feed;          /* the check feed's identity (a rh_config_feed_t *) */
  const char *dept, *feedc;  /* its codes */
  const char *period;        /* YYYY-MM */
  const char *batch_id;
  int64_t finished_at;       /* signed, ms */
  size_t order;              /* its place in the feed's chain (greater: later) */
  bool in_chain;             /* believed and in its feed's chain */
} join_checklist_t;

/* The state of period at t: sel[k] is the index in lists of the current list
 * of feeds[k], or JOIN_CHECKSTATE_NONE. */
void join_checkstate_at(const join_checklist_t *lists, size_t n, const void *const *feeds,
                        size_t nfeeds, const char *period, int64_t t, size_t *sel);

/* The time before t: the greatest finished_at below t of period's lists in
 * their chains. false if none. */
bool join_checkstate_before(const join_checklist_t *lists, size_t n, const char *period,
                            int64_t t, int64_t *before);

/* Is lists[i] the first list of its feed and period (none in its chain before it)? */
bool join_checkstate_first(const join_checklist_t *lists, size_t n, size_t i);

/* The list lists[i] restates: the first of the run of lists of its feed and
 * period, in its chain, that ends with it and all have its batch id (a list
 * sent again with --republish); i itself if the list before it in its chain
 * has another batch id or there is none. */
size_t join_checkstate_origin(const join_checklist_t *lists, size_t n, size_t i);

/* The id of member's result for feeds[k] in the state sel at t (sel[k] not
 * NONE). 0, or -1 out of memory. */
int join_checkstate_id(const join_checklist_t *lists, size_t n, const size_t *sel, size_t nfeeds,
                       int64_t t, size_t k, const char *member, char out[RH_SHA256_HEXSZ]);

#endif
