/* health_judge: see health_judge.h. */
#include "health_judge.h"

#include <string.h>

static bool starts(const char *s, const char *head) { return strncmp(s, head, strlen(head)) == 0; }

bool health_judge_hub_topic(const char *prefix, const char *topic) {
  if (!starts(topic, prefix)) return false;
  const char *rest = topic + strlen(prefix);
  return starts(rest, "feed.") || starts(rest, "alerts.") || starts(rest, "checks.") ||
         starts(rest, "verifications.") || starts(rest, "outbound.") ||
         starts(rest, "riskhub.") || starts(rest, "riskhub-");
}

bool health_judge_hub_group(const char *prefix, const char *group) {
  return starts(group, prefix) && starts(group + strlen(prefix), "riskhub");
}

/* A segment of [a-z0-9-]+ from s up to stop ('.' or '\0'); its end or NULL. */
static const char *segment(const char *s, char stop) {
  const char *p = s;
  while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-') p++;
  return p > s && *p == stop ? p : NULL;
}

bool health_judge_join_input(const char *prefix, const char *topic) {
  if (!starts(topic, prefix)) return false;
  const char *rest = topic + strlen(prefix);
  if (!starts(rest, "feed.")) return false;
  const char *dot = segment(rest + 5, '.');
  /* feed.<dept>.<feed>, feed.<dept>.manifests and feed.<dept>.rejects (which
   * the join reads past): what its subscription matches */
  return dot && segment(dot + 1, '\0');
}

health_txn_t health_judge_txn(int64_t lso0, int64_t hw0, int64_t lso1, int64_t hw1,
                              int64_t age_ms, int64_t window_ms, int64_t limit_ms) {
  if (lso0 < 0 || hw0 < 0 || lso1 < 0 || hw1 < 0 || lso1 >= hw1) return HEALTH_TXN_NONE;
  /* below for the whole window at one value: else transactions are closing */
  bool stuck = lso0 == lso1 && lso0 < hw0;
  if (!stuck) return HEALTH_TXN_OPEN;
  int64_t age = age_ms >= 0 ? age_ms : window_ms;
  if (age < window_ms) age = window_ms; /* a clock behind the producer's */
  return age > limit_ms ? HEALTH_TXN_HANGING : HEALTH_TXN_OPEN;
}

int64_t health_judge_lag(int64_t committed, int64_t low, int64_t lso) {
  if (lso < 0) return -1;
  int64_t from = committed >= 0 ? committed : low;
  if (low >= 0 && from < low) from = low;
  if (from < 0) from = 0;
  return lso > from ? lso - from : 0;
}

int64_t health_judge_lag_read(int64_t start, int64_t lso, int64_t first) {
  if (lso < 0) return -1;
  if (start < 0) start = 0;
  if (first >= lso) return 0;
  if (first > start) start = first;
  return lso > start ? lso - start : 0;
}

const char *health_judge_txn_name(health_txn_t t) {
  switch (t) {
  case HEALTH_TXN_OPEN: return "open";
  case HEALTH_TXN_HANGING: return "hanging";
  default: return "ok";
  }
}

bool health_judge_retention_short(int64_t want_ms, int64_t have_ms) {
  if (have_ms <= -1) return false; /* forever (-1), or not known */
  return want_ms == -1 || have_ms < want_ms;
}

bool health_judge_archive_overdue(int64_t due_ms, int64_t now_ms) {
  return now_ms >= due_ms + HEALTH_ARCHIVE_SLACK_MS;
}
