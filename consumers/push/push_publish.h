/*
 * push_publish: the month's pushes to outbound.<department>.<kind> as the
 * bureau push party (svc.push), transactional.id riskhub-push (a second run
 * fences the first). Each push is ONE Kafka transaction: its records, then its
 * manifest; a push is reported sent only after its commit.
 *
 * Not twice: after init_transactions (which fences and aborts an earlier run's
 * open transaction) the topics are read read_committed; a push whose id a
 * manifest there names already is not sent again.
 */
#ifndef PUSH_PUBLISH_H
#define PUSH_PUBLISH_H

#include <stddef.h>

#include "push_plan.h"
#include "push_rows.h"
#include "rh_avro_schema.h"
#include "rh_config.h"

typedef enum { PUSH_PENDING = 0, PUSH_SENT, PUSH_ALREADY } push_state_t;

typedef struct {
  push_item_t item;
  const char *period;
  push_rows_t rows;
  char push_id[RH_SHA256_HEXSZ];
  push_state_t state;
} push_job_t;

/* The push id of a job (its rows loaded). 0, or -1 (out of memory). */
int push_job_id(push_job_t *j);

/* Sends every job not on its topic yet. RH_EXIT_OK, or an exit code
 * (RH_EXIT_UNAVAILABLE, RH_EXIT_NOPERM, RH_EXIT_CONFIG, RH_EXIT_SOFTWARE) with
 * errstr; the jobs marked PUSH_SENT were committed either way. */
int push_publish(const rh_config_t *cfg, const rh_avro_schemas_t *schemas, push_job_t *jobs,
                 size_t n, int timeout_ms, char *errstr, size_t errstr_size);

#endif
