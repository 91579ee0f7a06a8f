/* web_user: see web_user.h. */
#include "web_user.h"

#include <stdio.h>
#include <string.h>

#include "rh_exit.h"
#include "rh_log.h"
#include "rh_pg.h"
#include "web_auth.h"

#define PROGRAM "riskhub-web"

static int read_password(char *buf, size_t size) {
  if (!fgets(buf, (int)size, stdin)) {
    fprintf(stderr, PROGRAM ": the password is read from standard input (one line); none came\n");
    return RH_EXIT_USAGE;
  }
  buf[strcspn(buf, "\r\n")] = '\0';
  const char *weak = web_password_weak(buf);
  if (weak) {
    fprintf(stderr, PROGRAM ": %s\n", weak);
    return RH_EXIT_REFUSED;
  }
  return RH_EXIT_OK;
}

static int usage(void) {
  fprintf(stderr,
          "usage: riskhub-web user add NAME (--township CODE | --bureau) [--display TEXT]\n"
          "       riskhub-web user password NAME\n"
          "       riskhub-web user disable NAME | enable NAME\n"
          "(add and password read the password from standard input)\n");
  return RH_EXIT_USAGE;
}

int web_user_command(const rh_config_t *cfg, int argc, char **argv) {
  if (argc < 2) return usage();
  const char *verb = argv[0], *name = argv[1], *township = NULL, *display = "";
  bool bureau = false;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--township") == 0 && i + 1 < argc) township = argv[++i];
    else if (strcmp(argv[i], "--display") == 0 && i + 1 < argc) display = argv[++i];
    else if (strcmp(argv[i], "--bureau") == 0) bureau = true;
    else return usage();
  }
  bool add = strcmp(verb, "add") == 0, pw = strcmp(verb, "password") == 0;
  bool disable = strcmp(verb, "disable") == 0, enable = strcmp(verb, "enable") == 0;
  if (!add && !pw && !disable && !enable) return usage();
  if (add ? (!township == !bureau) : (township || bureau || display[0])) return usage();
  if (township) {
    const rh_config_township_t *t = rh_config_township_find(cfg, township);
    if (!t) {
      fprintf(stderr, PROGRAM ": %s: no township %s (townships in %s)\n", verb, township,
              cfg->source);
      return RH_EXIT_REFUSED;
    }
    township = t->code; /* a name given: its code */
  }
  size_t chars = 0;
  for (const char *q = display; *q; q++) chars += ((unsigned char)*q & 0xC0) != 0x80;
  if (chars > 64) {
    fprintf(stderr, PROGRAM ": --display: at most 64 characters\n");
    return RH_EXIT_REFUSED;
  }
  char password[300], hash[crypto_pwhash_STRBYTES], err[512];
  int rc;
  if (add || pw) {
    if ((rc = read_password(password, sizeof password))) return rc;
    if (sodium_init() < 0 || web_password_hash(password, hash)) {
      sodium_memzero(password, sizeof password);
      fprintf(stderr, PROGRAM ": out of memory hashing the password\n");
      return RH_EXIT_SOFTWARE;
    }
    sodium_memzero(password, sizeof password);
  }
  PGconn *c = rh_pg_connect_as(cfg->pg_conninfo, RH_PG_ROLE_WEB, 10000, err, sizeof err);
  if (!c) {
    rh_log_scrub(err);
    fprintf(stderr, PROGRAM ": %s\n", err);
    return RH_EXIT_UNAVAILABLE;
  }
  PGresult *r;
  if (add) {
    const char *p[] = {name, bureau ? NULL : township, display, hash};
    r = rh_pg_exec_params(c,
                          "INSERT INTO web_accounts (username, township_code, display_name, "
                          "password_hash) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                          4, p, err, sizeof err);
  } else if (pw) {
    const char *p[] = {name, hash};
    /* a stolen session does not outlive the password it was opened with */
    r = rh_pg_exec_params(c,
                          "WITH a AS (UPDATE web_accounts SET password_hash = $2, "
                          "failed_signins = 0 WHERE username = $1 RETURNING username), "
                          "s AS (DELETE FROM web_sessions WHERE username IN "
                          "(SELECT username FROM a)) SELECT count(*) FROM a",
                          2, p, err, sizeof err);
  } else {
    const char *p[] = {name, disable ? "t" : "f"};
    r = rh_pg_exec_params(c,
                          "WITH a AS (UPDATE web_accounts SET disabled = $2::boolean "
                          "WHERE username = $1 RETURNING username), "
                          "s AS (DELETE FROM web_sessions WHERE $2::boolean "
                          "AND username IN (SELECT username FROM a)) SELECT count(*) FROM a",
                          2, p, err, sizeof err);
  }
  if (!r) {
    bool shape = strstr(err, "web_accounts_username_check") != NULL;
    fprintf(stderr, PROGRAM ": %s\n",
            shape ? "a user name is 2 to 64 of a-z, 0-9, '.', '_' and '-', starting with a "
                    "letter or a digit"
                  : err);
    PQfinish(c);
    return shape ? RH_EXIT_REFUSED : RH_EXIT_UNAVAILABLE;
  }
  bool done = PQresultStatus(r) == PGRES_TUPLES_OK ? PQgetvalue(r, 0, 0)[0] != '0'
                                                    : strcmp(PQcmdTuples(r), "1") == 0;
  PQclear(r);
  PQfinish(c);
  if (!done) {
    fprintf(stderr, PROGRAM ": %s: %s %s\n", verb, add ? "an account exists already:" : "no account",
            name);
    return RH_EXIT_REFUSED;
  }
  printf("riskhub-web: %s %s\n",
         add ? "account made:" : pw ? "password changed (signed out):" : disable ? "disabled (signed out):" : "enabled:",
         name);
  return RH_EXIT_OK;
}
