#include "rh_log.h"

#include <ctype.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>
#include <time.h>

_Atomic int rh_log_threshold = RH_LOG_INFO;

static const char *log_program = "riskhub";
static FILE *log_stream;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

void rh_log_set_program(const char *name) { log_program = name ? name : "riskhub"; }

void rh_log_set_level(rh_log_level_t level) {
  atomic_store_explicit(&rh_log_threshold, (int)level, memory_order_relaxed);
}

int rh_log_level_parse(const char *s, rh_log_level_t *out) {
  static const struct { const char *name; rh_log_level_t level; } names[] = {
      {"error", RH_LOG_ERROR}, {"warn", RH_LOG_WARN}, {"warning", RH_LOG_WARN},
      {"info", RH_LOG_INFO},   {"debug", RH_LOG_DEBUG}};
  for (size_t i = 0; s && i < sizeof(names) / sizeof(names[0]); i++) {
    if (strcasecmp(s, names[i].name) == 0) {
      *out = names[i].level;
      return 0;
    }
  }
  return -1;
}

void rh_log_set_stream(FILE *fp) {
  pthread_mutex_lock(&log_lock);
  log_stream = fp;
  pthread_mutex_unlock(&log_lock);
}


/* Mask runs of exactly 18 ID characters (17 digits + digit/X) and runs of 15
 * digits (old 15-digit IDs): keep first 6 and last 4 (last 3 for 15). Longer
 * digit runs (offsets, byte counts) are left alone; they are not IDs. */
static void scrub_ids(char *buf) {
  size_t n = strlen(buf);
  size_t i = 0;
  while (i < n) {
    if (!isdigit((unsigned char)buf[i]) || (i > 0 && isalnum((unsigned char)buf[i - 1]))) {
      i++;
      continue;
    }
    size_t j = i;
    while (j < n && isdigit((unsigned char)buf[j])) j++;
    size_t digits = j - i;
    size_t end = j;
    if (digits == 17 && j < n && (buf[j] == 'X' || buf[j] == 'x')) end = j + 1;
    size_t len = end - i;
    int followed_by_alnum = end < n && isalnum((unsigned char)buf[end]);
    if (!followed_by_alnum && (len == 18 || (len == 15 && digits == 15))) {
      size_t keep_tail = len == 18 ? 4 : 3;
      for (size_t k = i + 6; k < end - keep_tail; k++) buf[k] = '*';
    }
    i = end;
  }
}

/* Replace the value after "password=" or "password:" (any prefix such as
 * sasl.password, PGPASSWORD) with "***". The value ends at white space, a
 * quote, a comma or a semicolon. */
static void scrub_passwords(char *buf) {
  char *p = buf;
  while ((p = strcasestr(p, "password")) != NULL) {
    char *q = p + 8;
    while (*q == ' ') q++;
    if (*q != '=' && *q != ':') {
      p += 8;
      continue;
    }
    q++;
    while (*q == ' ' || *q == '\'' || *q == '"') q++;
    char *end = q;
    while (*end && !isspace((unsigned char)*end) && *end != '\'' && *end != '"' &&
           *end != ',' && *end != ';')
      end++;
    if (end > q) {
      memmove(q + 3, end, strlen(end) + 1);
      memcpy(q, "***", 3);
      end = q + 3;
    }
    p = end;
  }
}

void rh_log_scrub(char *buf) {
  if (!buf) return;
  scrub_ids(buf);
  scrub_passwords(buf);
}

void rh_log_vwrite(rh_log_level_t level, const char *fmt, va_list ap) {
  char msg[2048];
  char line[2300];
  struct timespec ts;
  struct tm tm;
  int lvl = (int)level;

  if (lvl < 0) lvl = 0;
  if (lvl > RH_LOG_DEBUG) lvl = RH_LOG_DEBUG;
  vsnprintf(msg, sizeof(msg), fmt, ap);
  rh_log_scrub(msg);
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  int n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: %s\n",
                   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                   tm.tm_sec, ts.tv_nsec / 1000000, log_program, level_names[lvl], msg);
  if (n < 0) return;
  if ((size_t)n >= sizeof(line)) {
    n = (int)sizeof(line) - 1;
    line[n - 1] = '\n';
  }
  pthread_mutex_lock(&log_lock);
  FILE *fp = log_stream ? log_stream : stderr;
  fwrite(line, 1, (size_t)n, fp);
  fflush(fp);
  pthread_mutex_unlock(&log_lock);
}

void rh_log_write(rh_log_level_t level, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  rh_log_vwrite(level, fmt, ap);
  va_end(ap);
}

void rh_log_rdkafka_cb(const struct rd_kafka_s *rk, int level, const char *fac,
                       const char *buf) {
  /* syslog levels: 0-3 error, 4 warning, 5-6 info, 7 debug */
  rh_log_level_t l = level <= 3 ? RH_LOG_ERROR : level == 4 ? RH_LOG_WARN
                   : level <= 6 ? RH_LOG_INFO : RH_LOG_DEBUG;
  (void)rk;
  /* One kafka: section serves producers and consumers alike; librdkafka warns
   * about the other role's properties. That is expected, not news. */
  if (strcmp(fac, "CONFWARN") == 0 && strstr(buf, "will be ignored by this")) l = RH_LOG_DEBUG;
  /* A connection that went down with its SASL handshake still queued (a
   * coordinator connection closed, a handle destroyed) is reported as an
   * "authentication error" whose cause is the transport: not a refused
   * password (that one is error_cb's __AUTHENTICATION, with the credentials
   * file named), and the transport is reported on its own. */
  if (strcmp(fac, "FAIL") == 0 && strstr(buf, "SaslAuthenticateRequest failed: Local: Broker "
                                               "transport failure"))
    l = RH_LOG_DEBUG;
  rh_log(l, "librdkafka %s: %s", fac, buf);
}

int rh_log_level_option(const char *program, const char *arg) {
  rh_log_level_t lvl;
  if (rh_log_level_parse(arg, &lvl)) {
    fprintf(stderr, "%s: --log-level: unknown level '%s'\n", program, arg);
    return -1;
  }
  rh_log_set_level(lvl);
  return 0;
}
