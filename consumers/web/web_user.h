/*
 * web_user: `riskhub-web user ...`, the accounts of riskhub-web for the
 * county's administrator (docs/web.md, "Accounts"). A password is read from
 * standard input (its first line), never from the command line.
 */
#ifndef WEB_USER_H
#define WEB_USER_H

#include "rh_config.h"

/* argv from "add"/"password"/"disable"/"enable" on. The exit code: 0; 64
 * usage; 65 refused (a weak password, an unknown township, the account exists
 * or does not); 69 PostgreSQL away; 70 out of memory. */
int web_user_command(const rh_config_t *cfg, int argc, char **argv);

#endif
