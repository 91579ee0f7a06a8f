#include "rh_paths.h"

#include <stdlib.h>

#ifndef RH_SOURCE_DIR
#define RH_SOURCE_DIR "."
#endif

static const char *env_or(const char *name, const char *fallback) {
  const char *v = getenv(name);
  return v && *v ? v : fallback;
}

const char *rh_path_schemas(void) { return env_or("RH_SCHEMAS_DIR", RH_SOURCE_DIR "/schemas"); }

const char *rh_path_config(void) { return env_or("RH_CONFIG", RH_SOURCE_DIR "/config/riskhub.yaml"); }

const char *rh_path_migrations(void) {
  return env_or("RH_MIGRATIONS_DIR", RH_SOURCE_DIR "/consumers/registry/migrations");
}
