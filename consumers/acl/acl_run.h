/* riskhub-acl's commands (docs/security.md, "Kafka: the parties' rights"). */
#ifndef ACL_RUN_H
#define ACL_RUN_H

#include <stdbool.h>
#include <stdio.h>

#include "rh_config.h"

typedef enum { ACL_PLAN, ACL_APPLY, ACL_CHECK, ACL_REVOKE } acl_command_t;

typedef struct {
  const rh_config_t *cfg;
  acl_command_t command;
  bool prune;     /* apply: remove the bindings of the namespace not in the plan */
  int timeout_ms; /* each request to the brokers */
  FILE *out;      /* the report (stdout) */
} acl_opts_t;

/* Runs the command; its exit code (common/rh_exit.h): 0 done (check: the
 * brokers hold exactly the plan, transactional ids aside: acl_broker.h), 2
 * check found a difference, 69 brokers away, 77 refused (not the admin
 * principal), 78 configuration. */
int acl_run(const acl_opts_t *o);

#endif
