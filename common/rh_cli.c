/* rh_cli: see rh_cli.h. */
#include "rh_cli.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "rh_err.h"
#include "rh_exit.h"
#include "rh_log.h"
#include "rh_paths.h"

/* Digits only, at least one: strtol/strtoull would take blanks and a sign. */
static int all_digits(const char *s) {
  if (!*s) return 0;
  for (; *s; s++)
    if (*s < '0' || *s > '9') return 0;
  return 1;
}

int rh_cli_parse_long(const char *option, const char *arg, long lo, long hi, long *out,
                      char *errstr, size_t errstr_size) {
  const char *digits = arg && arg[0] == '-' && lo < 0 ? arg + 1 : arg;
  if (digits && all_digits(digits)) {
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (errno == 0 && *end == '\0' && v >= lo && v <= hi) {
      *out = v;
      return 0;
    }
  }
  rh_errf(errstr, errstr_size, "%s: expected a whole number from %ld to %ld", option, lo, hi);
  return -1;
}

int rh_cli_parse_int(const char *option, const char *arg, int lo, int hi, int *out, char *errstr,
                     size_t errstr_size) {
  long v;
  if (rh_cli_parse_long(option, arg, lo, hi, &v, errstr, errstr_size)) return -1;
  *out = (int)v;
  return 0;
}

int rh_cli_parse_u64(const char *option, const char *arg, uint64_t lo, uint64_t hi,
                     uint64_t *out, char *errstr, size_t errstr_size) {
  if (arg && all_digits(arg)) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (errno == 0 && *end == '\0' && v >= lo && v <= hi) {
      *out = (uint64_t)v;
      return 0;
    }
  }
  rh_errf(errstr, errstr_size, "%s: expected a whole number from %" PRIu64 " to %" PRIu64,
          option, lo, hi);
  return -1;
}

void rh_cli_init(rh_cli_t *cli, const char *program, void (*usage)(FILE *fp)) {
  cli->program = program;
  cli->usage = usage;
  cli->config_path = rh_path_config();
  rh_log_set_program(program);
}

int rh_cli_usage_error(const rh_cli_t *cli) {
  if (cli->usage) cli->usage(stderr);
  return RH_EXIT_USAGE;
}

int rh_cli_log_level(const rh_cli_t *cli, const char *arg) {
  if (!arg) return RH_EXIT_OK;
  return rh_log_level_option(cli->program, arg) ? RH_EXIT_USAGE : RH_EXIT_OK;
}

int rh_cli_option(rh_cli_t *cli, int ch, const char *arg) {
  switch (ch) {
  case 'c': cli->config_path = arg; return RH_CLI_CONTINUE;
  case RH_CLI_LOG_LEVEL:
    return rh_cli_log_level(cli, arg) == RH_EXIT_OK ? RH_CLI_CONTINUE : RH_EXIT_USAGE;
  case 'h':
    if (cli->usage) cli->usage(stdout);
    return RH_EXIT_OK;
  default: return rh_cli_usage_error(cli);
  }
}

static int report(const rh_cli_t *cli, int rc, const char *err) {
  if (rc) fprintf(stderr, "%s: %s\n", cli->program, err);
  return rc;
}

int rh_cli_int(const rh_cli_t *cli, const char *option, const char *arg, int lo, int hi, int *out) {
  char err[256];
  return report(cli, rh_cli_parse_int(option, arg, lo, hi, out, err, sizeof err), err);
}

int rh_cli_long(const rh_cli_t *cli, const char *option, const char *arg, long lo, long hi,
                long *out) {
  char err[256];
  return report(cli, rh_cli_parse_long(option, arg, lo, hi, out, err, sizeof err), err);
}

int rh_cli_u64(const rh_cli_t *cli, const char *option, const char *arg, uint64_t lo,
               uint64_t hi, uint64_t *out) {
  char err[256];
  return report(cli, rh_cli_parse_u64(option, arg, lo, hi, out, err, sizeof err), err);
}

int rh_cli_config(const rh_cli_t *cli, rh_config_t **cfg) {
  char err[4096];
  *cfg = rh_config_load(cli->config_path, err, sizeof err);
  if (*cfg) return RH_EXIT_OK;
  fprintf(stderr, "%s: %s\n", cli->program, err);
  return RH_EXIT_CONFIG;
}

int rh_cli_schemas(const rh_cli_t *cli, const char *dir, rh_avro_schemas_t **out) {
  char err[1024];
  *out = rh_avro_schemas_new();
  if (*out && rh_avro_schemas_load_dir(*out, dir, err, sizeof err) == 0) return RH_EXIT_OK;
  fprintf(stderr, "%s: schemas: %s\n", cli->program, *out ? err : "out of memory");
  rh_avro_schemas_destroy(*out);
  *out = NULL;
  return RH_EXIT_CONFIG;
}

static volatile sig_atomic_t stop_flag;

static void on_stop_signal(int sig) {
  (void)sig;
  stop_flag = 1;
}

volatile sig_atomic_t *rh_cli_catch_stop(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  return &stop_flag;
}
