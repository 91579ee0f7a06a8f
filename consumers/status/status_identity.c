/* status_identity: see status_identity.h. */
#include "status_identity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_array.h"

void status_identity_free(status_identity_t *s) {
  if (!s) return;
  free(s->v);
  free(s->counts);
  s->v = NULL;
  s->counts = NULL;
  s->n = s->cap = s->nrows = 0;
}

static size_t row_of(const rh_config_t *cfg, const char *code) {
  for (size_t i = 0; code && i < cfg->township_count; i++)
    if (strcmp(cfg->townships[i].code, code) == 0) return i;
  return cfg->township_count;
}

int status_identity_add(status_identity_t *s, const status_report_t *r,
                        const rh_discrepancy_t *rec) {
  if (status_report_month(r, rec->period) < 0) return 0;
  if (rec->created_at > r->as_of_ms) {
    s->after_as_of++;
    return 0;
  }
  s->versions++;
  status_identity_item_t *it = NULL;
  for (size_t i = 0; i < s->n && !it; i++) /* a month's keys are a few hundred */
    if (strcmp(s->v[i].id, rec->discrepancy_id) == 0) it = &s->v[i];
  if (it && it->version > rec->version) return 0; /* an older version after a newer one */
  if (!it) {
    if (RH_ARRAY_RESERVE(s->v, s->n + 1, s->cap, 64)) return -1;
    it = &s->v[s->n++];
    snprintf(it->id, sizeof it->id, "%s", rec->discrepancy_id);
  }
  it->version = rec->version;
  it->status = rec->status;
  it->kind = rh_disc_kind_index(rec->kind);
  it->row = row_of(r->cfg, rec->township_code);
  return 0;
}

int status_identity_finish(status_identity_t *s, const rh_config_t *cfg) {
  free(s->counts);
  s->nrows = cfg->township_count + 1;
  if (!(s->counts = calloc(s->nrows * STATUS_IDENTITY_NCOUNT, sizeof *s->counts))) return -1;
  for (size_t i = 0; i < s->n; i++) {
    const status_identity_item_t *it = &s->v[i];
    uint64_t *c = &s->counts[(it->row < s->nrows ? it->row : s->nrows - 1) *
                             STATUS_IDENTITY_NCOUNT];
    if (it->status == RH_DISC_CLOSED) {
      c[STATUS_IDENTITY_CLOSED]++;
      continue;
    }
    c[STATUS_IDENTITY_OPEN]++;
    if (it->kind >= 0) c[it->kind]++;
  }
  return 0;
}

uint64_t status_identity_count(const status_identity_t *s, size_t row, size_t c) {
  if (!s->counts || row >= s->nrows || c >= STATUS_IDENTITY_NCOUNT) return 0;
  return s->counts[row * STATUS_IDENTITY_NCOUNT + c];
}

uint64_t status_identity_open(const status_identity_t *s) {
  uint64_t n = 0;
  for (size_t row = 0; row < s->nrows; row++) n += status_identity_count(s, row, STATUS_IDENTITY_OPEN);
  return n;
}
