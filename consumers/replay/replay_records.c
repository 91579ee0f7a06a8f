/* replay_records: see replay_records.h. */
#include "replay_records.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_array.h"
#include "rh_hash.h"
#include "rh_manifest.h"

int replay_digests_add(replay_digests_t *s, size_t batch, int64_t row, const void *msg,
                       size_t len) {
  if (RH_ARRAY_RESERVE(s->d, s->n + 1, s->cap, 1024)) return -1;
  replay_digest_t *x = &s->d[s->n++];
  x->batch = (uint32_t)batch;
  x->row = row;
  SHA256(msg, len, x->sha);
  return 0;
}

void replay_digests_free(replay_digests_t *s) {
  free(s->d);
  memset(s, 0, sizeof *s);
}

static int by_batch_row(const void *pa, const void *pb) {
  const replay_digest_t *a = pa, *b = pb;
  if (a->batch != b->batch) return a->batch < b->batch ? -1 : 1;
  return a->row < b->row ? -1 : a->row > b->row;
}


static int note_altered(replay_report_t *rep, const replay_batch_t *bt, const char *got) {
  rep->batches_altered++;
  if (rep->naltered >= REPLAY_FORGED_KEPT) return 0;
  replay_forged_t *a = realloc(rep->altered, (rep->naltered + 1) * sizeof *a);
  if (!a) return -1;
  rep->altered = a;
  replay_forged_t *x = &a[rep->naltered++];
  memset(x, 0, sizeof *x);
  rh_manifest_safe_code(bt->department, x->department, sizeof x->department);
  rh_manifest_safe_code(bt->feed, x->feed, sizeof x->feed);
  x->partition = bt->m_partition;
  x->offset = bt->m_offset;
  snprintf(x->reason, sizeof x->reason,
           "batch %.12s: its %llu records hash to %.16s..., the department signed %.16s...",
           bt->batch_id, (unsigned long long)bt->records, got, bt->records_sha256);
  return 0;
}

int replay_digests_verify(const replay_digests_t *parts, size_t nparts, replay_batches_t *b,
                          replay_report_t *rep) {
  size_t total = 0;
  for (size_t i = 0; i < nparts; i++) total += parts[i].n;
  replay_digest_t *all = malloc((total ? total : 1) * sizeof *all);
  if (!all) return -1;
  size_t k = 0;
  for (size_t i = 0; i < nparts; i++) {
    if (parts[i].n) memcpy(all + k, parts[i].d, parts[i].n * sizeof *all);
    k += parts[i].n;
  }
  qsort(all, total, sizeof *all, by_batch_row);
  int rc = 0;
  size_t lo = 0;
  for (size_t bi = 0; bi < replay_batches_count(b) && rc == 0; bi++) {
    while (lo < total && all[lo].batch < bi) lo++;
    size_t hi = lo;
    while (hi < total && all[hi].batch == bi) hi++;
    const replay_batch_t *bt = replay_batches_at(b, bi);
    if (bt->records_sha256[0] && bt->records == (uint64_t)bt->rows_accepted &&
        hi - lo == bt->records) {
      rh_sha256_t *h = rh_sha256_new();
      char got[RH_SHA256_HEXSZ];
      if (!h) {
        rc = -1;
        break;
      }
      for (size_t i = lo; i < hi; i++) rh_sha256_update(h, all[i].sha, sizeof all[i].sha);
      rh_sha256_final(h, got);
      if (strcmp(got, bt->records_sha256) != 0) rc = note_altered(rep, bt, got);
    }
    lo = hi;
  }
  free(all);
  return rc;
}
