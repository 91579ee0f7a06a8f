/*
 * push_publish: the month's pushes to outbound.<department>.<kind> as the
 * bureau push party (svc.push), transactional.id riskhub-push (a second run
 * fences the first). Each push is ONE Kafka transaction: its records, then its
 * manifest; a push is reported sent only after its commit.
 *
 * Not twice: after init_transactions (which fences and aborts an earlier run's
 * open transaction) the topics are read read_committed; a push whose content
 * is that of the LAST push of its (department, kind, period) there is not sent
 * again (push_job_chain); content that reverts to an earlier push is sent.
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
  char content[RH_SHA256_HEXSZ];  /* hex SHA-256 of the rows */
  char previous[RH_SHA256_HEXSZ]; /* the last push of (department, kind, period) on the topic */
  char push_id[RH_SHA256_HEXSZ];  /* chained on previous (push_job_chain) */
  push_state_t state;
} push_job_t;

/* The digest of a job's content (its rows loaded); push_id as if it were the
 * first push. 0, or -1 (out of memory). */
int push_job_id(push_job_t *j);

/* What the topic's last manifest of the job's (department, kind, period)
 * says: last its id, last_previous its previous id (NULL, NULL: none). If the
 * content chained on last_previous gives last, the content is the last push's:
 * PUSH_ALREADY (push_id = last). Else push_id chains on last (A, B, A: a new
 * push). */
void push_job_chain(push_job_t *j, const char *last, const char *last_previous);

/* Sends every job not on its topic yet. RH_EXIT_OK, or an exit code
 * (RH_EXIT_UNAVAILABLE, RH_EXIT_NOPERM, RH_EXIT_CONFIG, RH_EXIT_SOFTWARE) with
 * errstr; the jobs marked PUSH_SENT were committed either way. */
int push_publish(const rh_config_t *cfg, const rh_avro_schemas_t *schemas, push_job_t *jobs,
                 size_t n, int timeout_ms, char *errstr, size_t errstr_size);

#endif
