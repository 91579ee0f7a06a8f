/*
 * rh_paths: where a program finds the files it needs at run time when the
 * command line does not say. Returned strings are static or from the
 * environment; never NULL; nothing to free.
 */
#ifndef RH_PATHS_H
#define RH_PATHS_H

/* RH_SCHEMAS_DIR, else <source tree>/schemas. */
const char *rh_path_schemas(void);
/* RH_CONFIG, else <source tree>/config/riskhub.yaml. */
const char *rh_path_config(void);
/* RH_MIGRATIONS_DIR, else <source tree>/consumers/registry/migrations (the registry's
 * SQL migrations, see docs/registry.md). */
const char *rh_path_migrations(void);

#endif
