/*
 * web_publish: the outcomes officials record on the page, published as
 * Verification records to verifications.<township> (docs/web.md, "Recording
 * a visit") as that township's own party, as riskhub-verify publishes them:
 * one Kafka transaction a step, success said only after the commit (then the
 * step is visible to read_committed readers: the ledger, which alone moves
 * the warning).
 *
 * The web serves several townships: it acts as each through the township's
 * credentials file (kafka_credentials or RH_KAFKA_CREDENTIALS with
 * {principal}: <folder>/<prefix>town.<code>), with a transactional id of its
 * own, riskhub-web.<code>, so that it never fences a riskhub-verify run of the
 * same township. A township's producer is made when its first outcome comes,
 * kept while it works, and made again after any failure (the new one fences
 * and aborts what the old one left open). One step of a township at a time
 * (its lock); townships do not wait for each other.
 */
#ifndef WEB_PUBLISH_H
#define WEB_PUBLISH_H

#include <stddef.h>

#include "rh_avro_schema.h"
#include "rh_config.h"
#include "rh_verification.h"

typedef struct web_publish web_publish_t;

typedef enum {
  WEB_PUBLISH_OK = 0,
  WEB_PUBLISH_CREDENTIALS, /* the township's credentials file missing or unreadable */
  WEB_PUBLISH_UNAVAILABLE, /* the brokers away, or they refused the township's party */
  WEB_PUBLISH_FAILED,      /* the record could not be made (out of memory) */
} web_publish_result_t;

/* cfg and schemas (holding riskhub.Verification) outlive it. NULL: out of memory. */
web_publish_t *web_publish_new(const rh_config_t *cfg, const rh_avro_schemas_t *schemas,
                               int timeout_ms);
void web_publish_free(web_publish_t *w);

/* Publish v (keyed by its household id) to verifications.<v->township_code>
 * in one transaction. err says why not, for the log (no name, no ID number:
 * a Verification holds none). */
web_publish_result_t web_publish_step(web_publish_t *w, const rh_verification_t *v, char *err,
                                      size_t errsz);

#endif
