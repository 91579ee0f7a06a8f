/* replay_month: see replay_month.h. */
#include "replay_month.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rh_exit.h"
#include "rh_log.h"

int replay_month_archive_dir(const rh_config_t *cfg, const char *period, char *out, size_t size) {
  if (!cfg->archive.dir || !period) return -1;
  return snprintf(out, size, "%s/%s", cfg->archive.dir, period) >= (int)size ? -1 : 0;
}

int replay_month_archived(const char *dir) {
  char sums[4200];
  snprintf(sums, sizeof sums, "%s/SHA256SUMS", dir);
  return access(sums, F_OK) == 0;
}

int replay_month(const replay_opts_t *o) {
  char dir[4096];
  if (o->archive_dir || o->from_archive_dir ||
      replay_month_archive_dir(o->cfg, o->period, dir, sizeof dir) || !replay_month_archived(dir))
    return replay_run(o);

  /* the broker first, its report held back */
  char *text = NULL;
  size_t len = 0;
  FILE *held = open_memstream(&text, &len);
  if (!held) {
    rh_log_error("out of memory");
    return RH_EXIT_SOFTWARE;
  }
  replay_result_t res = {0};
  replay_opts_t b = *o;
  b.out = held;
  b.result = &res;
  int rc = replay_run(&b);
  fclose(held);
  char why[256] = "";
  if (rc == RH_EXIT_UNAVAILABLE)
    snprintf(why, sizeof why, "Kafka or PostgreSQL did not answer");
  else if (res.reported && res.records_not_found > 0)
    snprintf(why, sizeof why, "%" PRIu64 " of the %" PRIu64 " records its manifests name are gone",
             res.records_not_found, res.records_expected);
  else if (res.reported && res.batches == 0)
    snprintf(why, sizeof why, "no list of the month is left on it");
  if (!*why) {
    if (o->result) *o->result = res;
    if (len && fwrite(text, 1, len, o->out) != len) rc = RH_EXIT_IOERR;
    free(text);
    return rc;
  }
  free(text);
  rh_log_warn("the broker no longer has %s (%s): replaying from the monthly archive %s",
              o->period, why, dir);
  char note[300];
  snprintf(note, sizeof note, "(the broker no longer has the month: %s)", why);
  replay_opts_t a = *o;
  a.from_archive_dir = dir;
  a.source_note = note;
  return replay_run(&a);
}
