/*
 * rh_log: the one log function of riskhub.
 *
 * - Level-checked before anything is formatted (the macro tests the level).
 * - printf-checked by the compiler.
 * - Thread-safe: each line is formatted into a private buffer and written with
 *   one locked write, so librdkafka's threads (routed here by rh_log_rdkafka_cb)
 *   never interleave with ours.
 * - Personal data: every line passes through rh_log_scrub() before it is
 *   written, which masks anything shaped like an 18-character resident ID number
 *   (first 6, last 4 kept) and hides the value of password=... / *.password=...
 *   This is a last line of defence; callers still mask IDs themselves.
 *
 * Nothing here allocates memory that the caller owns. None of it can fail.
 */
#ifndef RH_LOG_H
#define RH_LOG_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>

typedef enum {
  RH_LOG_ERROR = 0,
  RH_LOG_WARN = 1,
  RH_LOG_INFO = 2,
  RH_LOG_DEBUG = 3
} rh_log_level_t;

/* The current threshold. Atomic because librdkafka's threads log too (through
 * rh_log_rdkafka_cb) while main may change it: the macros read it with a
 * relaxed load (no ordering is needed, only a whole value), rh_log_set_level
 * stores it the same way. */
extern _Atomic int rh_log_threshold;

/* Set the program name printed in each line (pointer kept; pass a literal). */
void rh_log_set_program(const char *name);
void rh_log_set_level(rh_log_level_t level);
/* Parse "error", "warn", "info", "debug" (case-insensitive). 0 ok, -1 unknown. */
int rh_log_level_parse(const char *s, rh_log_level_t *out);
/* A program's --log-level option: parse arg and set the level. 0, or -1
 * after printing "<program>: --log-level: unknown level '<arg>'" to stderr
 * (the caller exits with RH_EXIT_USAGE). */
int rh_log_level_option(const char *program, const char *arg);

/* Where lines go (default stderr). Tests point it at a memory stream. */
void rh_log_set_stream(FILE *fp);

void rh_log_write(rh_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void rh_log_vwrite(rh_log_level_t level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#define rh_log(level, ...)                                                     \
  do {                                                                         \
    if ((int)(level) <= atomic_load_explicit(&rh_log_threshold,                \
                                             memory_order_relaxed))            \
      rh_log_write((level), __VA_ARGS__);                                      \
  } while (0)
#define rh_log_error(...) rh_log(RH_LOG_ERROR, __VA_ARGS__)
#define rh_log_warn(...) rh_log(RH_LOG_WARN, __VA_ARGS__)
#define rh_log_info(...) rh_log(RH_LOG_INFO, __VA_ARGS__)
#define rh_log_debug(...) rh_log(RH_LOG_DEBUG, __VA_ARGS__)

/* In place: mask ID-shaped runs and password values in buf (NUL-terminated).
 * Exposed for tests and for error strings that leave the process. */
void rh_log_scrub(char *buf);

/* librdkafka log_cb: set with rd_kafka_conf_set_log_cb(conf, rh_log_rdkafka_cb).
 * Declared with an opaque first argument so this header needs no rdkafka.h. */
struct rd_kafka_s;
void rh_log_rdkafka_cb(const struct rd_kafka_s *rk, int level, const char *fac,
                       const char *buf);

#endif
