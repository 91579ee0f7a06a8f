/* join_lso: see join_lso.h and docs/join.md, "The LSO check". */
#include "join_lso.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_array.h"
#include "rh_kafka.h"

void join_lso_init(join_lso_t *l) { memset(l, 0, sizeof *l); }

void join_lso_free(join_lso_t *l) {
  free(l->parts);
  free(l->txn);
  memset(l, 0, sizeof *l);
}

/* Find or add topic/partition in an array; NULL out of memory. */
static join_lso_part_t *slot(join_lso_part_t **a, size_t *n, size_t *cap, const char *topic,
                             int32_t partition) {
  for (size_t i = 0; i < *n; i++)
    if ((*a)[i].partition == partition && strcmp((*a)[i].topic, topic) == 0) return &(*a)[i];
  if (RH_ARRAY_RESERVE(*a, *n + 1, *cap, 16)) return NULL;
  join_lso_part_t *p = &(*a)[(*n)++];
  memset(p, 0, sizeof *p);
  snprintf(p->topic, sizeof p->topic, "%s", topic);
  p->partition = partition;
  p->end = -1;
  p->lso = -1;
  p->below_since = -1;
  p->verdict = JOIN_LSO_WAITING;
  return p;
}

int join_lso_stage(join_lso_t *l, const char *topic, int32_t partition, int64_t offset) {
  join_lso_part_t *p = slot(&l->txn, &l->ntxn, &l->txn_cap, topic, partition);
  if (!p) return -1;
  if (offset + 1 > p->end) p->end = offset + 1;
  return 0;
}

int join_lso_target(join_lso_t *l, const char *topic, int32_t partition, int64_t end) {
  join_lso_part_t *p = slot(&l->parts, &l->n, &l->cap, topic, partition);
  if (!p) return -1;
  if (end > p->end) {
    p->end = end;
    p->verdict = JOIN_LSO_WAITING;
  }
  return 0;
}

int join_lso_end_txn(join_lso_t *l) {
  int rc = 0;
  for (size_t i = 0; i < l->ntxn; i++)
    if (join_lso_target(l, l->txn[i].topic, l->txn[i].partition, l->txn[i].end)) rc = -1;
  l->ntxn = 0;
  return rc;
}

join_lso_verdict_t join_lso_judge(int64_t end, int64_t lso, int64_t *below_since,
                                  int64_t now_ms, int64_t window_ms) {
  if (lso < 0) {
    *below_since = -1; /* only time the broker answers counts */
    return JOIN_LSO_UNKNOWN;
  }
  if (lso >= end) {
    *below_since = -1;
    return JOIN_LSO_OK;
  }
  if (*below_since < 0) *below_since = now_ms;
  return now_ms - *below_since >= window_ms ? JOIN_LSO_HANGING : JOIN_LSO_WAITING;
}

join_lso_verdict_t join_lso_answer(join_lso_t *l, size_t i, int64_t lso, int64_t now_ms,
                                   int64_t window_ms) {
  join_lso_part_t *p = &l->parts[i];
  /* An LSO that moved since the last answer is not pinned by one transaction:
   * the window starts again. Only an LSO that stays put below the target for
   * the whole window is a hanging transaction; without this, a target raised
   * by a later commit inherited the clock of the earlier one, and a slow commit
   * (a loaded cluster, ~2 s) was judged hanging at once. */
  if (lso >= 0 && p->lso >= 0 && lso > p->lso) p->below_since = -1;
  if (lso >= 0) p->lso = lso;
  p->verdict = join_lso_judge(p->end, lso, &p->below_since, now_ms, window_ms);
  return p->verdict;
}

void join_lso_sweep(join_lso_t *l) {
  size_t k = 0;
  for (size_t i = 0; i < l->n; i++)
    if (l->parts[i].verdict != JOIN_LSO_OK) l->parts[k++] = l->parts[i];
  l->n = k;
}

void join_lso_query(join_lso_t *l, rd_kafka_t *rk, int timeout_ms, int64_t now_ms,
                    int64_t window_ms, join_lso_summary_t *sum) {
  memset(sum, 0, sizeof *sum);
  bool away = false; /* after one query without an answer, none is asked */
  for (size_t i = 0; i < l->n; i++) {
    int64_t hi = -1;
    if (away || rh_kafka_watermarks(rk, l->parts[i].topic, l->parts[i].partition, NULL,
                                                 &hi, timeout_ms) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      hi = -1;
      away = true;
    }
    join_lso_answer(l, i, hi, now_ms, window_ms);
  }
  join_lso_sweep(l);
  for (size_t i = 0; i < l->n; i++) {
    sum->pending++;
    if (l->parts[i].verdict == JOIN_LSO_HANGING) sum->hanging++;
    if (l->parts[i].verdict == JOIN_LSO_UNKNOWN) sum->unknown++;
  }
}
