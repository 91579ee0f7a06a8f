/*
 * rh_paths: where a program finds the files it needs at run time when the
 * command line does not say (--schemas, --config, --migrations win over all
 * of this). In this order:
 *
 *   1. the environment, when set and not empty: RH_SCHEMAS_DIR, RH_CONFIG,
 *      RH_MIGRATIONS_DIR, RH_LOCALE_DIR, RH_WEB_DIR;
 *   2. the installed layout around the running program: with the executable
 *      at <prefix>/bin/riskhub-<name> (/proc/self/exe, symbolic links
 *      resolved; the bin and share names are CMake's GNUInstallDirs ones),
 *        schemas     <prefix>/share/riskhub/schemas
 *        migrations  <prefix>/share/riskhub/migrations
 *        web         <prefix>/share/riskhub/web (riskhub-web's page)
 *        locale      <prefix>/share/locale (the messages' translations)
 *        config      <sysconfdir>/riskhub/riskhub.yaml, where sysconfdir is
 *                    /etc for the prefixes / and /usr, /etc/opt/<name> for
 *                    /opt/<name>, else <prefix>/etc (GNUInstallDirs' rule, so
 *                    a Debian-style /usr install reads /etc/riskhub/riskhub.yaml);
 *      if /proc/self/exe cannot be read the prefix is taken to be /usr.
 *
 * Nothing of the source or build tree is compiled in. The build tree mirrors
 * the installed layout (CMake links build/share/riskhub/{schemas,migrations}
 * and build/etc/riskhub/riskhub.yaml to the source tree's files), so programs
 * in build/bin/ find them the same way.
 *
 * Returned strings are static (computed once, thread-safe) or from the
 * environment; never NULL; nothing to free. The path may name a file that
 * does not exist: whoever opens it reports that with the path.
 */
#ifndef RH_PATHS_H
#define RH_PATHS_H

#include <stddef.h>

/* RH_SCHEMAS_DIR, else <prefix>/share/riskhub/schemas. */
const char *rh_path_schemas(void);
/* RH_CONFIG, else <sysconfdir>/riskhub/riskhub.yaml. */
const char *rh_path_config(void);
/* RH_MIGRATIONS_DIR, else <prefix>/share/riskhub/migrations (the registry's
 * SQL migrations, see docs/registry.md). */
const char *rh_path_migrations(void);
/* RH_WEB_DIR, else <prefix>/share/riskhub/web: riskhub-web's static page
 * (consumers/web/static/). */
const char *rh_path_web(void);
/* RH_LOCALE_DIR, else <prefix>/share/locale (the messages' catalogues,
 * <dir>/<lang>/LC_MESSAGES/riskhub.mo; rh_i18n.h). */
const char *rh_path_locale(void);
/* The installation prefix of the running program (see above). */
const char *rh_path_prefix(void);

/* The configuration file that belongs to an installation prefix (the rule
 * above; prefix without a trailing '/', "/" for the root). 0, or -1 if it
 * does not fit in size bytes. Pure; exposed for tests. */
int rh_path_config_for_prefix(const char *prefix, char *buf, size_t size);

#endif
