/* riskhub-gen: write a synthetic county (registry, every feed's monthly list,
 * bad files) for tests, demos and benchmarks. See common/gen.h and
 * docs/data.md. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "rh_config.h"
#include "rh_exit.h"
#include "gen.h"
#include "rh_log.h"
#include "rh_paths.h"

#define MAX_FEEDS 64

static void usage(FILE *fp) {
  fprintf(fp,
          "usage: riskhub-gen --out DIR --period YYYY-MM [--config FILE] [--households N]\n"
          "                   [--seed S] [--rows-per-feed N] [--feed DEPT/FEED]...\n"
          "                   [--big-feed-rows N]\n"
          "Writes a synthetic county (nothing real) under DIR:\n"
          "  registry/{households,members,applications}.csv   the household registry\n"
          "  <period>/<department>.<feed>.<period>.csv         every configured feed's list\n"
          "  <period>/bench.<department>.<feed>.<period>.csv   with --big-feed-rows N\n"
          "  bad/*.csv, bad/fake.xlsx, bad/MANIFEST.txt        broken files, each described\n"
          "Defaults: 200000 households, seed 1, each feed's usual monthly row count. With\n"
          "--feed (repeatable) only those lists are written. Same arguments, same bytes.\n"
          "Exit 0 ok, 64 usage, 74 a file or directory could not be written, 78 configuration.\n");
}

/* Whole decimal number, no sign, no junk. */
static int parse_u64(const char *s, uint64_t *out) {
  if (!s || *s < '0' || *s > '9') return -1;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end) return -1;
  *out = v;
  return 0;
}

int main(int argc, char **argv) {
  static const struct option longopts[] = {
      {"config", required_argument, NULL, 'c'},     {"out", required_argument, NULL, 'o'},
      {"period", required_argument, NULL, 'p'},     {"households", required_argument, NULL, 'H'},
      {"seed", required_argument, NULL, 's'},       {"rows-per-feed", required_argument, NULL, 'r'},
      {"feed", required_argument, NULL, 'f'},       {"big-feed-rows", required_argument, NULL, 'b'},
      {"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0}};
  const char *config_path = rh_path_config();
  const char *feeds[MAX_FEEDS];
  gen_opts_t o;
  gen_opts_init(&o);
  rh_log_set_program("riskhub-gen");
  int ch;
  uint64_t v;
  while ((ch = getopt_long(argc, argv, "c:o:p:H:s:r:f:b:h", longopts, NULL)) != -1) {
    switch (ch) {
    case 'c': config_path = optarg; break;
    case 'o': o.out_dir = optarg; break;
    case 'p': o.period = optarg; break;
    case 'H':
    case 's':
    case 'r':
    case 'b':
      if (parse_u64(optarg, &v) || (ch == 'H' && (v == 0 || v > 100000000)) ||
          (ch == 'r' && v > 100000000) || (ch == 'b' && v > 1000000000)) {
        fprintf(stderr, "riskhub-gen: --%s: not a valid number: '%s'\n",
                ch == 'H' ? "households" : ch == 's' ? "seed" : ch == 'r' ? "rows-per-feed"
                                                                         : "big-feed-rows",
                optarg);
        return RH_EXIT_USAGE;
      }
      if (ch == 'H') o.households = (size_t)v;
      else if (ch == 's') o.seed = v;
      else if (ch == 'r') o.rows_per_feed = (long)v;
      else o.big_feed_rows = (size_t)v;
      break;
    case 'f':
      if (o.feed_count == MAX_FEEDS) {
        fprintf(stderr, "riskhub-gen: at most %d --feed options\n", MAX_FEEDS);
        return RH_EXIT_USAGE;
      }
      feeds[o.feed_count++] = optarg;
      break;
    case 'h': usage(stdout); return RH_EXIT_OK;
    default: usage(stderr); return RH_EXIT_USAGE;
    }
  }
  if (optind != argc || !o.out_dir || !o.period) {
    usage(stderr);
    return RH_EXIT_USAGE;
  }
  o.feeds = feeds;
  char err[1024];
  rh_config_t *cfg = rh_config_load(config_path, err, sizeof(err));
  if (!cfg) {
    fprintf(stderr, "riskhub-gen: %s\n", err);
    return RH_EXIT_CONFIG;
  }
  o.cfg = cfg;
  gen_summary_t s;
  int rc = gen_run(&o, &s, err, sizeof(err));
  if (rc != RH_EXIT_OK) {
    fprintf(stderr, "riskhub-gen: %s\n", err);
  } else {
    const struct {
      const char *name;
      const gen_group_t *g;
    } groups[] = {{"registry", &s.registry}, {"feeds", &s.feeds}, {"bench", &s.bench},
                  {"bad", &s.bad}};
    for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
      const gen_group_t *g = groups[i].g;
      if (g->files == 0) continue;
      printf("%-8s %4zu files %10" PRIu64 " rows %12" PRIu64 " bytes %7.2f s", groups[i].name,
             g->files, g->rows, g->bytes, g->seconds);
      if (g == &s.registry)
        printf("  (%zu households, %zu members, %zu applications)", s.households, s.members,
               s.applications);
      printf("\n");
    }
  }
  rh_config_destroy(cfg);
  return rc;
}
