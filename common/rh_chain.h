/*
 * rh_chain: where a signed manifest stands in its feed's chain
 * (docs/security.md, "The chain and the records").
 *
 * Each manifest a department signs names the link hash of the feed's previous
 * manifest (prev_manifest_sha256; rh_manifest_link), so that a list cannot be
 * taken out of a feed's history, nor an old one slipped in, unseen. A chain
 * holds the manifests of the manifests topics (one link each, with the feed,
 * where it was read and when) and judges each against those of its feed before
 * it: as the broker appended them (the record's timestamp: LogAppendTime on
 * the manifests topics, so that neither a writer's timestamp nor a department
 * host's clock running behind reorders them), then in the order the lists
 * finished (finished_at, signed by the department), then where they are.
 *
 *   - RH_CHAIN_FIRST: names nothing, and no signed list of the feed came before;
 *   - RH_CHAIN_LINKED: names a signed list of the feed before it;
 *   - RH_CHAIN_FORK: as LINKED, but another list named the same one (two lists
 *     published at once), or names nothing while every list before it did
 *     too (two first lists published at once): accepted;
 *   - RH_CHAIN_COPY: a list of the feed before it has the same link hash: the
 *     same signed list written again (a replay);
 *   - RH_CHAIN_RESTART: names nothing, but signed lists of the feed came before
 *     it: the chain starts again here;
 *   - RH_CHAIN_UNKNOWN: names a list that is not among the feed's signed ones
 *     before it (taken out, or this one slipped in);
 *   - RH_CHAIN_MISSING: names a list, but none of the feed's came before it,
 *     or one before it named the same missing list (deleted by retention, or
 *     removed);
 *   - RH_CHAIN_UNSIGNED: not believed (rh_manifest_check refused it): no link.
 *
 * The first three are in the chain (rh_chain_in_chain). A copy is never a
 * link for the lists after it, nor a fork.
 *
 * Ownership: the chain owns its entries (the feed pointers are borrowed). One
 * thread.
 */
#ifndef RH_CHAIN_H
#define RH_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rh_hash.h"

typedef enum {
  RH_CHAIN_FIRST,
  RH_CHAIN_LINKED,
  RH_CHAIN_FORK,
  RH_CHAIN_COPY,
  RH_CHAIN_RESTART,
  RH_CHAIN_UNKNOWN,
  RH_CHAIN_MISSING,
  RH_CHAIN_UNSIGNED,
} rh_chain_verdict_t;

typedef struct {
  const void *feed;             /* the feed's identity (a rh_config_feed_t *) */
  char topic[256];              /* where it was read */
  int32_t partition;
  int64_t offset;
  int64_t finished_at;          /* signed, ms */
  int64_t appended_at;          /* the record's timestamp, ms (-1 unknown) */
  bool believed;                /* rh_manifest_check accepted it */
  char link[RH_SHA256_HEXSZ];   /* believed: its link hash */
  char prev[RH_SHA256_HEXSZ];   /* prev_manifest_sha256 ("" none) */
  size_t tag;                   /* the caller's */
} rh_chain_link_t;

typedef struct rh_chain rh_chain_t;

rh_chain_t *rh_chain_new(void);
void rh_chain_free(rh_chain_t *c);
/* Forget every entry. */
void rh_chain_clear(rh_chain_t *c);
/* Add a copy of l. 0, or -1 out of memory. Judge after rh_chain_sort. */
int rh_chain_add(rh_chain_t *c, const rh_chain_link_t *l);
size_t rh_chain_len(const rh_chain_t *c);
const rh_chain_link_t *rh_chain_at(const rh_chain_t *c, size_t i);

/* Sorts the entries by feed (pointer order), then as above, and judges each. */
void rh_chain_sort(rh_chain_t *c);
/* Entry i's verdict (after rh_chain_sort); for COPY, *original (if not NULL)
 * is the index of the list it copies. */
rh_chain_verdict_t rh_chain_verdict(const rh_chain_t *c, size_t i, size_t *original);
/* The index of the entry read at topic [partition] offset, or SIZE_MAX. */
size_t rh_chain_find(const rh_chain_t *c, const char *topic, int32_t partition, int64_t offset);

bool rh_chain_in_chain(rh_chain_verdict_t v);
/* A line an operator reads (English, then Chinese) for a verdict not in the
 * chain; "" for one in it. */
const char *rh_chain_explain(rh_chain_verdict_t v);

#endif
