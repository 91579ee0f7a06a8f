/* rh_end: see rh_end.h and docs/join.md, "Exits". */
#include "rh_end.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_array.h"
#include "rh_clock.h"
#include "rh_err.h"
#include "rh_log.h"
#include "rh_kafka.h"

void rh_end_init(rh_end_t *e) { memset(e, 0, sizeof *e); }

void rh_end_free(rh_end_t *e) {
  free(e->parts);
  memset(e, 0, sizeof *e);
}

int rh_end_assign(rh_end_t *e, const rd_kafka_topic_partition_list_t *parts) {
  e->n = 0;
  e->known = false;
  if (parts->cnt > 0 && RH_ARRAY_RESERVE(e->parts, (size_t)parts->cnt, e->cap, 64)) return -1;
  for (int i = 0; i < parts->cnt; i++) {
    rh_end_part_t *p = &e->parts[e->n++];
    snprintf(p->topic, sizeof p->topic, "%s", parts->elems[i].topic);
    p->partition = parts->elems[i].partition;
    p->eof = -1;
  }
  e->known = true;
  return 0;
}

void rh_end_revoke(rh_end_t *e) {
  e->n = 0;
  e->known = false;
}

void rh_end_note(rh_end_t *e, const rd_kafka_message_t *m) {
  if (!m || !m->rkt || (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)) return;
  const char *topic = rd_kafka_topic_name(m->rkt);
  for (size_t i = 0; i < e->n; i++)
    if (e->parts[i].partition == m->partition && strcmp(e->parts[i].topic, topic) == 0) {
      e->parts[i].eof = m->err ? m->offset : -1;
      return;
    }
}

void rh_end_forget(rh_end_t *e) {
  for (size_t i = 0; i < e->n; i++) e->parts[i].eof = -1;
}

void rh_end_forget_partition(rh_end_t *e, const char *topic, int32_t partition) {
  for (size_t i = 0; i < e->n; i++)
    if (e->parts[i].partition == partition && strcmp(e->parts[i].topic, topic) == 0)
      e->parts[i].eof = -1;
}

int64_t rh_end_remaining_of(int64_t eof, int64_t committed, int64_t low, int64_t lso) {
  if (lso < 0) return -1;
  int64_t at = eof >= 0 ? eof : committed >= 0 ? committed : low;
  if (at < 0) return -1;
  return lso > at ? lso - at : 0;
}

rh_end_state_t rh_end_check(const rh_end_t *e, rd_kafka_t *rk, int timeout_ms,
                                char *errstr, size_t errstr_size) {
  if (!e->known) {
    rh_errf(errstr, errstr_size, "no partition assignment yet");
    return RH_END_UNKNOWN;
  }
  if (e->n == 0) {
    rh_errf(errstr, errstr_size, "no partition assigned to this instance");
    return RH_END_NONE;
  }
  rh_end_state_t st = RH_END_AT_END;
  for (size_t i = 0; i < e->n; i++) {
    int64_t hi, t0 = rh_mono_ms();
    rd_kafka_resp_err_t err = rh_kafka_watermarks(
        rk, e->parts[i].topic, e->parts[i].partition, NULL, &hi, timeout_ms);
    if (err) {
      rh_errf(errstr, errstr_size, "the broker did not answer for %s [%d]: %s",
              e->parts[i].topic, (int)e->parts[i].partition, rd_kafka_err2str(err));
      return RH_END_UNKNOWN;
    }
    /* a late answer says where the input stands now, not that the broker
     * said so all along: the time it was away is no idle time */
    int64_t took = rh_mono_ms() - t0;
    if (took > timeout_ms) {
      rh_errf(errstr, errstr_size,
              "the broker took %" PRId64 " ms to answer for %s [%d] (limit %d ms)", took,
              e->parts[i].topic, (int)e->parts[i].partition, timeout_ms);
      return RH_END_UNKNOWN;
    }
    if (st == RH_END_AT_END && (e->parts[i].eof < 0 || e->parts[i].eof < hi)) {
      rh_errf(errstr, errstr_size, "%s [%d] not at its end (LSO %" PRId64 ")",
              e->parts[i].topic, (int)e->parts[i].partition, hi);
      st = RH_END_BEHIND;
    }
  }
  return st;
}

/* Log and count what remains given where the consumer stands (pos[i] for
 * parts[i], -1 none; pos NULL: the positions could not be had, why says why). */
static rh_end_state_t report(const rh_end_t *e, const int64_t *pos, const char *why,
                             rd_kafka_t *probe, int timeout_ms, uint64_t *total) {
  rh_end_state_t st = RH_END_AT_END;
  int64_t *left = calloc(e->n, sizeof *left);
  if (!pos || !left) {
    rh_log_warn("records remaining: could not ask the broker (%s)", left ? why : "out of memory");
    st = RH_END_UNKNOWN;
  }
  for (size_t i = 0; st != RH_END_UNKNOWN && i < e->n; i++) {
    int64_t lo = -1, hi = -1;
    rd_kafka_resp_err_t err = rh_kafka_watermarks(
        probe, e->parts[i].topic, e->parts[i].partition, &lo, &hi, timeout_ms);
    left[i] = err ? -1 : rh_end_remaining_of(e->parts[i].eof, pos[i], lo, hi);
    if (left[i] < 0) {
      rh_log_warn("records remaining: could not ask the broker (%s [%d]: %s)", e->parts[i].topic,
                  (int)e->parts[i].partition, err ? rd_kafka_err2str(err) : "no offsets");
      st = RH_END_UNKNOWN;
    } else if (left[i] > 0) {
      st = RH_END_BEHIND;
    }
  }
  /* one line a topic with records left, in assignment order */
  for (size_t i = 0; st == RH_END_BEHIND && i < e->n; i++) {
    bool seen = false;
    for (size_t k = 0; k < i && !seen; k++) seen = strcmp(e->parts[k].topic, e->parts[i].topic) == 0;
    if (seen) continue;
    uint64_t sum = 0;
    for (size_t k = i; k < e->n; k++)
      if (strcmp(e->parts[k].topic, e->parts[i].topic) == 0) sum += (uint64_t)left[k];
    if (sum) rh_log_warn("records remaining: %s %" PRIu64, e->parts[i].topic, sum);
    *total += sum;
  }
  if (st == RH_END_AT_END) rh_log_info("records remaining: none");
  if (st == RH_END_UNKNOWN) *total = 0;
  free(left);
  return st;
}

/* the state without a partition to ask about; -1: there are partitions */
static int trivial(const rh_end_t *e, uint64_t *total) {
  *total = 0;
  if (!e->known) {
    rh_log_warn("records remaining: not known (no partition assignment)");
    return RH_END_UNKNOWN;
  }
  if (e->n == 0) {
    rh_log_info("records remaining: none assigned to this instance");
    return RH_END_AT_END;
  }
  return -1;
}

rh_end_state_t rh_end_report(const rh_end_t *e, rd_kafka_t *consumer, rd_kafka_t *probe,
                             int timeout_ms, uint64_t *total) {
  int t = trivial(e, total);
  if (t >= 0) return (rh_end_state_t)t;
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)e->n);
  for (size_t i = 0; i < e->n; i++)
    rd_kafka_topic_partition_list_add(l, e->parts[i].topic, e->parts[i].partition);
  rd_kafka_resp_err_t err = rd_kafka_committed(consumer, l, timeout_ms);
  int64_t *pos = err ? NULL : calloc(e->n, sizeof *pos);
  for (size_t i = 0; pos && i < e->n; i++) pos[i] = l->elems[i].offset;
  char why[256];
  snprintf(why, sizeof why, "the group's offsets: %s", err ? rd_kafka_err2str(err) : "out of memory");
  rh_end_state_t st = report(e, pos, why, probe, timeout_ms, total);
  free(pos);
  rd_kafka_topic_partition_list_destroy(l);
  return st;
}

rh_end_state_t rh_end_report_at(const rh_end_t *e, rh_end_at_fn *at, void *arg, rd_kafka_t *probe,
                                int timeout_ms, uint64_t *total) {
  int t = trivial(e, total);
  if (t >= 0) return (rh_end_state_t)t;
  int64_t *pos = calloc(e->n, sizeof *pos);
  for (size_t i = 0; pos && i < e->n; i++) pos[i] = at(arg, e->parts[i].topic, e->parts[i].partition);
  rh_end_state_t st = report(e, pos, "out of memory", probe, timeout_ms, total);
  free(pos);
  return st;
}
