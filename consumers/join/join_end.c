/* join_end: see join_end.h and docs/join.md, "Exits". */
#include "join_end.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_array.h"
#include "rh_err.h"
#include "rh_log.h"

void join_end_init(join_end_t *e) { memset(e, 0, sizeof *e); }

void join_end_free(join_end_t *e) {
  free(e->parts);
  memset(e, 0, sizeof *e);
}

int join_end_assign(join_end_t *e, const rd_kafka_topic_partition_list_t *parts) {
  e->n = 0;
  e->known = false;
  if (parts->cnt > 0 && RH_ARRAY_RESERVE(e->parts, (size_t)parts->cnt, e->cap, 64)) return -1;
  for (int i = 0; i < parts->cnt; i++) {
    join_end_part_t *p = &e->parts[e->n++];
    snprintf(p->topic, sizeof p->topic, "%s", parts->elems[i].topic);
    p->partition = parts->elems[i].partition;
    p->eof = -1;
  }
  e->known = true;
  return 0;
}

void join_end_revoke(join_end_t *e) {
  e->n = 0;
  e->known = false;
}

void join_end_note(join_end_t *e, const rd_kafka_message_t *m) {
  if (!m || !m->rkt || (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)) return;
  const char *topic = rd_kafka_topic_name(m->rkt);
  for (size_t i = 0; i < e->n; i++)
    if (e->parts[i].partition == m->partition && strcmp(e->parts[i].topic, topic) == 0) {
      e->parts[i].eof = m->err ? m->offset : -1;
      return;
    }
}

void join_end_forget(join_end_t *e) {
  for (size_t i = 0; i < e->n; i++) e->parts[i].eof = -1;
}

int64_t join_end_remaining_of(int64_t eof, int64_t committed, int64_t low, int64_t lso) {
  if (lso < 0) return -1;
  int64_t at = eof >= 0 ? eof : committed >= 0 ? committed : low;
  if (at < 0) return -1;
  return lso > at ? lso - at : 0;
}

join_end_state_t join_end_check(const join_end_t *e, rd_kafka_t *rk, int timeout_ms,
                                char *errstr, size_t errstr_size) {
  if (!e->known) {
    rh_errf(errstr, errstr_size, "no partition assignment yet");
    return JOIN_END_UNKNOWN;
  }
  if (e->n == 0) {
    rh_errf(errstr, errstr_size, "no partition assigned to this instance");
    return JOIN_END_NONE;
  }
  join_end_state_t st = JOIN_END_AT_END;
  for (size_t i = 0; i < e->n; i++) {
    int64_t lo, hi;
    rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
        rk, e->parts[i].topic, e->parts[i].partition, &lo, &hi, timeout_ms);
    if (err) {
      rh_errf(errstr, errstr_size, "the broker did not answer for %s [%d]: %s",
              e->parts[i].topic, (int)e->parts[i].partition, rd_kafka_err2str(err));
      return JOIN_END_UNKNOWN;
    }
    if (st == JOIN_END_AT_END && (e->parts[i].eof < 0 || e->parts[i].eof < hi)) {
      rh_errf(errstr, errstr_size, "%s [%d] not at its end (LSO %" PRId64 ")",
              e->parts[i].topic, (int)e->parts[i].partition, hi);
      st = JOIN_END_BEHIND;
    }
  }
  return st;
}

join_end_state_t join_end_report(const join_end_t *e, rd_kafka_t *consumer, rd_kafka_t *probe,
                                 int timeout_ms, uint64_t *total) {
  *total = 0;
  if (!e->known) {
    rh_log_warn("records remaining: not known (no partition assignment)");
    return JOIN_END_UNKNOWN;
  }
  if (e->n == 0) {
    rh_log_info("records remaining: none assigned to this instance");
    return JOIN_END_AT_END;
  }
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)e->n);
  for (size_t i = 0; i < e->n; i++)
    rd_kafka_topic_partition_list_add(l, e->parts[i].topic, e->parts[i].partition);
  rd_kafka_resp_err_t err = rd_kafka_committed(consumer, l, timeout_ms);
  join_end_state_t st = JOIN_END_AT_END;
  int64_t *left = calloc(e->n, sizeof *left);
  if (err || !left) {
    rh_log_warn("records remaining: could not ask the broker (the group's offsets: %s)",
                left ? rd_kafka_err2str(err) : "out of memory");
    st = JOIN_END_UNKNOWN;
  }
  for (size_t i = 0; st != JOIN_END_UNKNOWN && i < e->n; i++) {
    int64_t lo = -1, hi = -1;
    err = rd_kafka_query_watermark_offsets(probe, e->parts[i].topic, e->parts[i].partition,
                                           &lo, &hi, timeout_ms);
    left[i] = err ? -1 : join_end_remaining_of(e->parts[i].eof, l->elems[i].offset, lo, hi);
    if (left[i] < 0) {
      rh_log_warn("records remaining: could not ask the broker (%s [%d]: %s)", e->parts[i].topic,
                  (int)e->parts[i].partition, err ? rd_kafka_err2str(err) : "no offsets");
      st = JOIN_END_UNKNOWN;
    } else if (left[i] > 0) {
      st = JOIN_END_BEHIND;
    }
  }
  /* one line a topic with records left, in assignment order */
  for (size_t i = 0; st == JOIN_END_BEHIND && i < e->n; i++) {
    bool seen = false;
    for (size_t k = 0; k < i && !seen; k++) seen = strcmp(e->parts[k].topic, e->parts[i].topic) == 0;
    if (seen) continue;
    uint64_t sum = 0;
    for (size_t k = i; k < e->n; k++)
      if (strcmp(e->parts[k].topic, e->parts[i].topic) == 0) sum += (uint64_t)left[k];
    if (sum) rh_log_warn("records remaining: %s %" PRIu64, e->parts[i].topic, sum);
    *total += sum;
  }
  if (st == JOIN_END_AT_END) rh_log_info("records remaining: none");
  if (st == JOIN_END_UNKNOWN) *total = 0;
  free(left);
  rd_kafka_topic_partition_list_destroy(l);
  return st;
}
