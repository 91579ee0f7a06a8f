/* riskhub-gen: write a synthetic county (registry, every feed's monthly list,
 * bad files) for tests, demos and benchmarks. See gen.h and
 * docs/data.md. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdint.h>

#include "gen.h"
#include "rh_cli.h"
#include "rh_config.h"
#include "rh_exit.h"

#define MAX_FEEDS 64

static void usage(FILE *fp) {
  fprintf(fp,
          "usage: riskhub-gen --out DIR --period YYYY-MM [--config FILE] [--households N]\n"
          "                   [--seed S] [--rows-per-feed N] [--feed DEPT/FEED]...\n"
          "                   [--big-feed-rows N] [--log-level LEVEL]\n"
          "Writes a synthetic county (nothing real) under DIR:\n"
          "  registry/{households,members,applications}.csv   the household registry\n"
          "  <period>/<department>.<feed>.<period>.csv         every configured feed's list\n"
          "  <period>/bench.<department>.<feed>.<period>.csv   with --big-feed-rows N\n"
          "  bad/*.csv, bad/fake.xlsx, bad/MANIFEST.txt        broken files, each described\n"
          "Defaults: 200000 households, seed 1, each feed's usual monthly row count. With\n"
          "--feed (repeatable) only those lists are written. Same arguments, same bytes.\n"
          "Exit 0 ok, 64 usage, 74 a file or directory could not be written, 78 configuration.\n");
}

/* The summary on stdout: a line a group of files written. */
static void print_summary(const gen_summary_t *s) {
  const struct {
    const char *name;
    const gen_group_t *g;
  } groups[] = {{"registry", &s->registry}, {"feeds", &s->feeds}, {"bench", &s->bench},
                {"bad", &s->bad}};
  for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
    const gen_group_t *g = groups[i].g;
    if (g->files == 0) continue;
    printf("%-8s %4zu files %10" PRIu64 " rows %12" PRIu64 " bytes %7.2f s", groups[i].name,
           g->files, g->rows, g->bytes, g->seconds);
    if (g == &s->registry)
      printf("  (%zu households, %zu members, %zu applications)", s->households, s->members,
             s->applications);
    printf("\n");
  }
}

int main(int argc, char **argv) {
  static const struct option longopts[] = {
      {"out", required_argument, NULL, 'o'},           {"period", required_argument, NULL, 'p'},
      {"households", required_argument, NULL, 'H'},    {"seed", required_argument, NULL, 's'},
      {"rows-per-feed", required_argument, NULL, 'r'}, {"feed", required_argument, NULL, 'f'},
      {"big-feed-rows", required_argument, NULL, 'b'}, RH_CLI_LONGOPTS,
      {NULL, 0, NULL, 0}};
  rh_cli_t cli;
  rh_cli_init(&cli, "riskhub-gen", usage);
  const char *feeds[MAX_FEEDS];
  gen_opts_t o;
  gen_opts_init(&o);
  int ch, rc;
  uint64_t v;
  while ((ch = getopt_long(argc, argv, "c:o:p:H:s:r:f:b:h", longopts, NULL)) != -1) {
    switch (ch) {
    case 'o': o.out_dir = optarg; break;
    case 'p': o.period = optarg; break;
    case 'H':
      if (rh_cli_u64(&cli, "--households", optarg, 1, 100000000, &v)) return RH_EXIT_USAGE;
      o.households = (size_t)v;
      break;
    case 's':
      if (rh_cli_u64(&cli, "--seed", optarg, 0, UINT64_MAX, &o.seed)) return RH_EXIT_USAGE;
      break;
    case 'r':
      if (rh_cli_u64(&cli, "--rows-per-feed", optarg, 0, 100000000, &v)) return RH_EXIT_USAGE;
      o.rows_per_feed = (long)v;
      break;
    case 'b':
      if (rh_cli_u64(&cli, "--big-feed-rows", optarg, 0, 1000000000, &v)) return RH_EXIT_USAGE;
      o.big_feed_rows = (size_t)v;
      break;
    case 'f':
      if (o.feed_count == MAX_FEEDS) {
        fprintf(stderr, "riskhub-gen: at most %d --feed options\n", MAX_FEEDS);
        return RH_EXIT_USAGE;
      }
      feeds[o.feed_count++] = optarg;
      break;
    default:
      if ((rc = rh_cli_option(&cli, ch, optarg)) != RH_CLI_CONTINUE) return rc;
    }
  }
  if (optind != argc || !o.out_dir || !o.period) return rh_cli_usage_error(&cli);
  o.feeds = feeds;
  rh_config_t *cfg;
  if ((rc = rh_cli_config(&cli, &cfg))) return rc;
  o.cfg = cfg;
  gen_summary_t s;
  char err[1024];
  rc = gen_run(&o, &s, err, sizeof(err));
  if (rc == RH_EXIT_OK) print_summary(&s);
  else fprintf(stderr, "riskhub-gen: %s\n", err);
  rh_config_destroy(cfg);
  return rc;
}
