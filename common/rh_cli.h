/*
 * rh_cli: what every program's main() does the same way — whole-number
 * options with a clear error naming the option, the common options
 * --config FILE, --log-level LEVEL and --help, loading the configuration with
 * its message and exit code, and SIGINT/SIGTERM as a stop request.
 *
 * Two layers:
 * - rh_cli_parse_*: pure; no allocation; thread-safe; 0 ok, -1 with errstr
 *   ("--wait-s: expected a whole number from 0 to 86400"), output untouched
 *   then. For option parsers below main (alerts_opts.c) and for tests.
 * - rh_cli_t and the functions taking it: for main() only. They print
 *   "<program>: <message>" (and the usage text where a usage error calls for
 *   it) to stderr and hand main the exit code (common/rh_exit.h) to return;
 *   none of them exits.
 *
 * Ownership: a rh_cli_t points at strings it does not own (the program name
 * and usage function given to rh_cli_init, the --config argument in argv, or
 * rh_path_config()'s static string). The configuration from rh_cli_config is
 * the caller's (rh_config_destroy).
 *
 * Threads: rh_cli_init, rh_cli_option and rh_cli_log_level change process
 * state (the log's program name and level); call them from main's thread
 * before other threads start (the level itself is atomic, see rh_log.h). rh_cli_catch_stop installs signal handlers
 * for the whole process; the flag it returns may be read from any thread.
 */
#ifndef RH_CLI_H
#define RH_CLI_H

#include <getopt.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rh_avro_schema.h"
#include "rh_config.h"

/* A whole number in decimal: an optional '-' (only when lo < 0), then digits;
 * nothing before or after (no blanks, no '+', no "12ms", no "1e3"), and
 * within [lo, hi]. Anything else, an empty or NULL arg and overflow
 * included, is -1 with "<option>: expected a whole number from <lo> to <hi>". */
int rh_cli_parse_long(const char *option, const char *arg, long lo, long hi, long *out,
                      char *errstr, size_t errstr_size);
int rh_cli_parse_int(const char *option, const char *arg, int lo, int hi, int *out, char *errstr,
                     size_t errstr_size);
/* The same for unsigned values up to UINT64_MAX (no '-' at all). */
int rh_cli_parse_u64(const char *option, const char *arg, uint64_t lo, uint64_t hi,
                     uint64_t *out, char *errstr, size_t errstr_size);

/* The long options every program has, for its struct option table:
 * --config FILE ('c', so "c:" in the short options gives -c too), --log-level
 * LEVEL (RH_CLI_LOG_LEVEL, no short option) and --help ('h'). */
#define RH_CLI_LOG_LEVEL 0x1000
#define RH_CLI_LONGOPTS                                                                     \
  {"config", required_argument, NULL, 'c'},                                                 \
      {"log-level", required_argument, NULL, RH_CLI_LOG_LEVEL}, {"help", no_argument, NULL, 'h'}

/* rh_cli_option's answer when parsing goes on. */
#define RH_CLI_CONTINUE (-1)

typedef struct {
  const char *program;       /* "riskhub-join": the start of every message */
  void (*usage)(FILE *fp);   /* prints the program's usage text */
  const char *config_path;   /* --config, else rh_path_config() */
} rh_cli_t;

/* Name the program (also for rh_log) and take the default configuration path
 * (rh_path_config(): RH_CONFIG, else next to the installed program; see
 * rh_paths.h). Cannot fail. */
void rh_cli_init(rh_cli_t *cli, const char *program, void (*usage)(FILE *fp));

/* What getopt_long returned that the program's own switch does not handle:
 * 'c' sets config_path; RH_CLI_LOG_LEVEL sets the log level; both give
 * RH_CLI_CONTINUE. 'h' prints the usage to stdout and gives RH_EXIT_OK. An
 * unknown --log-level level prints "<program>: --log-level: unknown level
 * '<arg>'" and gives RH_EXIT_USAGE; anything else (getopt's '?' or ':')
 * prints the usage to stderr and gives RH_EXIT_USAGE. Typical use:
 *     default: if ((rc = rh_cli_option(&cli, ch, optarg)) != RH_CLI_CONTINUE) return rc; */
int rh_cli_option(rh_cli_t *cli, int ch, const char *arg);

/* Print the usage to stderr; gives RH_EXIT_USAGE (return rh_cli_usage_error(&cli);). */
int rh_cli_usage_error(const rh_cli_t *cli);

/* rh_cli_parse_int/_long/_u64, printing "<program>: <message>" on error:
 * 0 ok, -1 (the caller returns RH_EXIT_USAGE). */
int rh_cli_int(const rh_cli_t *cli, const char *option, const char *arg, int lo, int hi, int *out);
int rh_cli_long(const rh_cli_t *cli, const char *option, const char *arg, long lo, long hi,
                long *out);
int rh_cli_u64(const rh_cli_t *cli, const char *option, const char *arg, uint64_t lo,
               uint64_t hi, uint64_t *out);

/* Set the log level from a --log-level argument that a parser below main
 * kept (alerts_opts.c); NULL leaves it. RH_EXIT_OK, or RH_EXIT_USAGE after
 * "<program>: --log-level: unknown level '<arg>'". */
int rh_cli_log_level(const rh_cli_t *cli, const char *arg);

/* Load cli->config_path (rh_config_load). RH_EXIT_OK with *cfg set, or
 * RH_EXIT_CONFIG with *cfg NULL after "<program>: <the loader's message>". */
int rh_cli_config(const rh_cli_t *cli, rh_config_t **cfg);

/* Load the schemas of dir (rh_avro_schemas_load_dir). RH_EXIT_OK with *out
 * set (the caller destroys it), or RH_EXIT_CONFIG with *out NULL after
 * "<program>: schemas: <why>". */
int rh_cli_schemas(const rh_cli_t *cli, const char *dir, rh_avro_schemas_t **out);

/* Route SIGINT and SIGTERM to a handler that only sets a flag, and return
 * that flag (0 until a signal came, then 1). One flag for the process;
 * calling again re-installs the handlers and returns the same flag. Cannot
 * fail (sigaction fails only for invalid signals). */
volatile sig_atomic_t *rh_cli_catch_stop(void);

#endif
