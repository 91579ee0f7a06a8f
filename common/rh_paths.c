/* rh_paths: see rh_paths.h. */
#include "rh_paths.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Relative to the prefix, from CMake's GNUInstallDirs (never absolute paths
 * of the source or build tree). */
#ifndef RH_INSTALL_BIN_TO_PREFIX
#define RH_INSTALL_BIN_TO_PREFIX ".."
#endif
#ifndef RH_INSTALL_DATADIR
#define RH_INSTALL_DATADIR "share"
#endif
#ifndef RH_INSTALL_SYSCONFDIR
#define RH_INSTALL_SYSCONFDIR "etc"
#endif

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char prefix[PATH_MAX];
static char schemas[PATH_MAX + 64];
static char webdir[PATH_MAX + 64];
static char migrations[PATH_MAX + 64];
static char localedir[PATH_MAX + 64];
static char config[PATH_MAX + 64];

static const char *env_or(const char *name, const char *fallback) {
  const char *v = getenv(name);
  return v && *v ? v : fallback;
}

/* <dir of /proc/self/exe>/<bin to prefix>, resolved; "/usr" if it cannot be.
 * The root prefix is kept as "" so that prefix + "/share/..." reads well. */
static void find_prefix(void) {
  char exe[PATH_MAX], up[PATH_MAX + 64];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  const char *slash = NULL;
  if (n > 0) {
    exe[n] = '\0';
    slash = strrchr(exe, '/');
  }
  if (slash && (size_t)snprintf(up, sizeof up, "%.*s/%s", (int)(slash - exe), exe,
                                RH_INSTALL_BIN_TO_PREFIX) < sizeof up &&
      realpath(up, prefix)) {
    if (strcmp(prefix, "/") == 0) prefix[0] = '\0';
    return;
  }
  snprintf(prefix, sizeof prefix, "/usr");
}

static void compute(void) {
  find_prefix();
  snprintf(schemas, sizeof schemas, "%s/" RH_INSTALL_DATADIR "/riskhub/schemas", prefix);
  snprintf(webdir, sizeof webdir, "%s/" RH_INSTALL_DATADIR "/riskhub/web", prefix);
  snprintf(migrations, sizeof migrations, "%s/" RH_INSTALL_DATADIR "/riskhub/migrations", prefix);
  snprintf(localedir, sizeof localedir, "%s/" RH_INSTALL_LOCALEDIR, prefix);
  if (rh_path_config_for_prefix(prefix[0] ? prefix : "/", config, sizeof config))
    snprintf(config, sizeof config, "/etc/riskhub/riskhub.yaml");
}

int rh_path_config_for_prefix(const char *pfx, char *buf, size_t size) {
  int n;
  if (strcmp(pfx, "/") == 0 || strcmp(pfx, "/usr") == 0)
    n = snprintf(buf, size, "/etc/riskhub/riskhub.yaml");
  else if (strncmp(pfx, "/opt/", 5) == 0 && pfx[5] && !strchr(pfx + 5, '/'))
    n = snprintf(buf, size, "/etc%s/riskhub/riskhub.yaml", pfx);
  else
    n = snprintf(buf, size, "%s/" RH_INSTALL_SYSCONFDIR "/riskhub/riskhub.yaml", pfx);
  return n < 0 || (size_t)n >= size ? -1 : 0;
}

const char *rh_path_locale(void) {
  pthread_once(&once, compute);
  return env_or("RH_LOCALE_DIR", localedir);
}

const char *rh_path_prefix(void) {
  pthread_once(&once, compute);
  return prefix[0] ? prefix : "/";
}

const char *rh_path_schemas(void) {
  pthread_once(&once, compute);
  return env_or("RH_SCHEMAS_DIR", schemas);
}

const char *rh_path_config(void) {
  pthread_once(&once, compute);
  return env_or("RH_CONFIG", config);
}

const char *rh_path_migrations(void) {
  pthread_once(&once, compute);
  return env_or("RH_MIGRATIONS_DIR", migrations);
}

const char *rh_path_web(void) {
  pthread_once(&once, compute);
  return env_or("RH_WEB_DIR", webdir);
}
