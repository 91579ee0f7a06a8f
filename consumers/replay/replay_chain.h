/*
 * replay_chain: riskhub-replay --verify-chain (docs/replay.md, "A feed's
 * chain"; docs/security.md, "Signed lists").
 *
 * Each manifest a department signs names the link hash of the feed's previous
 * manifest (prev_manifest_sha256; rh_manifest_link), so that a list cannot be
 * taken out of a feed's history, nor an old one slipped in, unseen. This reads
 * every manifest of the departments' manifests topics, keeps those of the
 * selected feeds, and walks
 * each feed's chain as the broker appended the lists (rh_chain):
 *
 *   - a manifest its department did not sign (rh_manifest_check) is no link:
 *     it is listed as forged;
 *   - a signed manifest must name a manifest of the same feed before it (or
 *     nothing, if it is the feed's first), and must not be a
 *     copy of one before it (rh_chain); otherwise the chain is broken there:
 *     the first such manifest is named (its batch, where it is, when it
 *     finished, why), the others counted;
 *   - two lists published at once may name the same previous one (a fork):
 *     counted, not broken.
 *
 * Exit: 0 every chain intact and nothing forged; 70 a broken chain or a forged
 * manifest; 69 the broker away; 78 keys or schemas.
 *
 * Ownership: the chain set owns its entries. One thread.
 */
#ifndef REPLAY_CHAIN_H
#define REPLAY_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rh_avro_schema.h"
#include "rh_config.h"
#include "rh_hash.h"

typedef struct replay_chain replay_chain_t;

/* dept / feed: filters (NULL: all). NULL with errstr (schemas, keys, memory). */
replay_chain_t *replay_chain_new(const rh_config_t *cfg, const rh_avro_schemas_t *schemas,
                                 const char *dept, const char *feed, char *errstr,
                                 size_t errstr_size);
void replay_chain_free(replay_chain_t *c);

/* One message of the manifests topic carrier, appended at appended_at (its
 * timestamp, ms; -1 unknown). 0, or -1 out of memory. Undecodable ones and
 * manifests of other feeds are skipped. */
int replay_chain_add(replay_chain_t *c, const char *carrier, const void *value, size_t len,
                     int32_t partition, int64_t offset, int64_t appended_at);

/* Walk every chain; write the report (json: one JSON document, else lines for
 * people). Returns the number of findings (broken chains + forged manifests). */
size_t replay_chain_report(replay_chain_t *c, FILE *out, bool json);

/* The whole of --verify-chain against the broker; an exit code (above). */
int replay_chain_run(const rh_config_t *cfg, const char *schemas_dir, const char *dept,
                     const char *feed, bool json, FILE *out);

#endif
