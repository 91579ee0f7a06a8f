/* join_checkstate: see join_checkstate.h. */
#include "join_checkstate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool of_period(const join_checklist_t *l, const char *period) {
  return l->in_chain && strcmp(l->period, period) == 0;
}

void join_checkstate_at(const join_checklist_t *lists, size_t n, const void *const *feeds,
                        size_t nfeeds, const char *period, int64_t t, size_t *sel) {
  for (size_t k = 0; k < nfeeds; k++) {
    sel[k] = JOIN_CHECKSTATE_NONE;
    for (size_t i = 0; i < n; i++) {
      const join_checklist_t *l = &lists[i];
      if (l->feed != feeds[k] || !of_period(l, period) || l->finished_at > t) continue;
      if (sel[k] == JOIN_CHECKSTATE_NONE || l->order > lists[sel[k]].order) sel[k] = i;
    }
  }
}

bool join_checkstate_before(const join_checklist_t *lists, size_t n, const char *period,
                            int64_t t, int64_t *before) {
  bool found = false;
  for (size_t i = 0; i < n; i++) {
    const join_checklist_t *l = &lists[i];
    if (!of_period(l, period) || l->finished_at >= t) continue;
    if (!found || l->finished_at > *before) *before = l->finished_at;
    found = true;
  }
  return found;
}

bool join_checkstate_first(const join_checklist_t *lists, size_t n, size_t i) {
  for (size_t j = 0; j < n; j++)
    if (j != i && lists[j].feed == lists[i].feed && of_period(&lists[j], lists[i].period) &&
        lists[j].order < lists[i].order)
      return false;
  return true;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

size_t join_checkstate_origin(const join_checklist_t *lists, size_t n, size_t i) {
  for (;;) {
    size_t prev = JOIN_CHECKSTATE_NONE;
    for (size_t j = 0; j < n; j++)
      if (j != i && lists[j].feed == lists[i].feed && of_period(&lists[j], lists[i].period) &&
          lists[j].order < lists[i].order &&
          (prev == JOIN_CHECKSTATE_NONE || lists[j].order > lists[prev].order))
        prev = j;
    if (prev == JOIN_CHECKSTATE_NONE || strcmp(lists[prev].batch_id, lists[i].batch_id) != 0)
      return i;
    i = prev;
  }
}

int join_checkstate_id(const join_checklist_t *lists, size_t n, const size_t *sel, size_t nfeeds,
                       int64_t t, size_t k, const char *member, char out[RH_SHA256_HEXSZ]) {
  const join_checklist_t *l = &lists[sel[k]];
  /* a list that restates its feed's previous one (the same batch id: --republish)
   * makes no new state: the state's time is then that of the latest list of it
   * that is no restatement, and a restated list is the list it restates */
  int64_t raw = INT64_MIN, own = INT64_MIN;
  for (size_t j = 0; j < nfeeds; j++) {
    if (sel[j] == JOIN_CHECKSTATE_NONE) continue;
    int64_t f = lists[sel[j]].finished_at;
    int64_t o = lists[join_checkstate_origin(lists, n, sel[j])].finished_at;
    if (f > raw) raw = f;
    if (o > own) own = o;
  }
  int64_t te = raw == t ? own : t;
  size_t ok = join_checkstate_origin(lists, n, sel[k]);
  if (lists[ok].finished_at == te && join_checkstate_first(lists, n, ok)) {
    const char *parts[5] = {"riskhub-check-v1", l->period, member, l->dept, l->feedc};
    rh_sha256_parts(parts, 5, out);
    return 0;
  }
  const char **parts = calloc(6 + nfeeds, sizeof *parts);
  char **entries = calloc(nfeeds ? nfeeds : 1, sizeof *entries);
  size_t ne = 0;
  int rc = -1;
  if (!parts || !entries) goto out;
  for (size_t j = 0; j < nfeeds; j++) {
    if (sel[j] == JOIN_CHECKSTATE_NONE) continue;
    const join_checklist_t *e = &lists[sel[j]];
    size_t len = strlen(e->dept) + strlen(e->feedc) + strlen(e->batch_id) + 3;
    if (!(entries[ne] = malloc(len))) goto out;
    snprintf(entries[ne++], len, "%s/%s=%s", e->dept, e->feedc, e->batch_id);
  }
  qsort(entries, ne, sizeof *entries, cmp_str);
  parts[0] = "riskhub-check-v2";
  parts[1] = l->period;
  parts[2] = member;
  parts[3] = l->dept;
  parts[4] = l->feedc;
  parts[5] = l->batch_id;
  for (size_t j = 0; j < ne; j++) parts[6 + j] = entries[j];
  rh_sha256_parts(parts, 6 + ne, out);
  rc = 0;
out:
  for (size_t j = 0; entries && j < ne; j++) free(entries[j]);
  free(entries);
  free(parts);
  return rc;
}
