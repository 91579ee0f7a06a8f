/* web_auth: see web_auth.h. */
#include "web_auth.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rh_clock.h"
#include "rh_pg.h"

#define STR_(x) #x
#define STR(x) STR_(x)
#define SESSION_HOURS STR(WEB_SESSION_HOURS)

static char dummy_hash[crypto_pwhash_STRBYTES];
static unsigned char unknown_key[crypto_shorthash_KEYBYTES]; /* unknown names' slots */
static sem_t hashing; /* at most two Argon2id computations at once */

int web_auth_init(void) {
  if (sodium_init() < 0 || sem_init(&hashing, 0, 2)) return -1;
  crypto_shorthash_keygen(unknown_key);
  return web_password_hash("an unknown user name costs as much as a known one", dummy_hash);
}

int web_password_hash(const char *password, char out[crypto_pwhash_STRBYTES]) {
  return crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                           crypto_pwhash_MEMLIMIT_INTERACTIVE) ? -1 : 0;
}

const char *web_password_weak(const char *password) {
  size_t n = strlen(password);
  if (n < 10) return "密码至少 10 个字符";
  if (n > 256) return "密码最多 256 个字符";
  bool digit = false, other = false;
  for (const char *p = password; *p; p++) {
    if (*p >= '0' && *p <= '9') digit = true;
    else other = true;
  }
  if (!digit || !other) return "密码须同时含有数字和其他字符";
  return NULL;
}

int web_signin_wait_s(int failed, double since_s) {
  if (failed < 3) return 0;
  int shift = failed - 3 > 10 ? 10 : failed - 3;
  double wait = 5.0 * (double)(1 << shift);
  if (wait > 900) wait = 900;
  double left = wait - since_s;
  return left > 0 ? (int)ceil(left) : 0;
}

static bool verify(const char *hash, const char *password) {
  while (sem_wait(&hashing) != 0) /* a signal (SIGTERM) came: wait again */
    ;
  bool ok = crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
  sem_post(&hashing);
  return ok;
}

static void token_hash(const char *token, unsigned char out[crypto_hash_sha256_BYTES]) {
  crypto_hash_sha256(out, (const unsigned char *)token, strlen(token));
}

/* "\\x<hex>": bytea in text form */
static void bytea_text(const unsigned char *b, size_t n, char *out) {
  out[0] = '\\';
  out[1] = 'x';
  sodium_bin2hex(out + 2, n * 2 + 1, b, n);
}

static bool token_shape(const char *token) {
  if (!token || strlen(token) != WEB_TOKEN_HEX) return false;
  for (const char *p = token; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return false;
  return true;
}

/* The token's SHA-256 as a bytea parameter: 0, or -1 if it is no token at all. */
static int token_param(const char *token, char out[2 + 2 * crypto_hash_sha256_BYTES + 1]) {
  if (!token_shape(token)) return -1;
  unsigned char h[crypto_hash_sha256_BYTES];
  token_hash(token, h);
  bytea_text(h, sizeof h, out);
  return 0;
}

static void fill_user(PGresult *r, int row, web_user_t *u) {
  snprintf(u->username, sizeof u->username, "%s", PQgetvalue(r, row, 0));
  snprintf(u->township, sizeof u->township, "%s", PQgetvalue(r, row, 1));
  snprintf(u->display, sizeof u->display, "%s", PQgetvalue(r, row, 2));
}

/* Unknown user names: their failures counted here, so that the wait after
 * three of them looks as for an account (no name is told apart by being
 * slowed down or not). A slot a name's keyed hash; a clash starts over. */
#define UNKNOWN_SLOTS 1024
static struct {
  uint64_t key;
  int failed;
  int64_t last_ms;
} unknown[UNKNOWN_SLOTS];
static pthread_mutex_t unknown_mu = PTHREAD_MUTEX_INITIALIZER;

/* Claim an attempt for an unknown name: 0 (counted), or the wait in s. */
static int unknown_claim(const char *username) {
  unsigned char h[crypto_shorthash_BYTES];
  crypto_shorthash(h, (const unsigned char *)username, strlen(username), unknown_key);
  uint64_t key;
  memcpy(&key, h, sizeof key);
  int64_t now = rh_mono_ms();
  pthread_mutex_lock(&unknown_mu);
  size_t i = (size_t)(key % UNKNOWN_SLOTS);
  if (unknown[i].key != key) {
    unknown[i].key = key;
    unknown[i].failed = 0;
  }
  int wait = web_signin_wait_s(unknown[i].failed, (double)(now - unknown[i].last_ms) / 1000.0);
  if (!wait) {
    unknown[i].failed++;
    unknown[i].last_ms = now;
  }
  pthread_mutex_unlock(&unknown_mu);
  return wait;
}

/* Claim an attempt for username before its password is checked: the
 * account's failures counted up first (an attempt made at the same time
 * sees it), so that parallel guesses get no more tries than serial ones.
 * 1 with *hash etc. filled, 0 unknown name, -1 the database (err). */
typedef struct {
  char hash[crypto_pwhash_STRBYTES];
  bool disabled;
  int wait;
} claim_t;

static int claim(web_db_t *db, const char *username, web_user_t *u, claim_t *cl, char *err,
                 size_t errsz) {
  PGconn *c = web_db_take(db, 3000, err, errsz);
  if (!c) return -1;
  int rc = -1;
  const char *p1[] = {username};
  for (int round = 0; round < 5; round++) {
    PGresult *r = rh_pg_exec_params(
        c,
        "SELECT username, coalesce(township_code, ''), display_name, password_hash, "
        "failed_signins, coalesce(extract(epoch FROM now() - last_failed_at), 1e9), disabled "
        "FROM web_accounts WHERE username = $1",
        1, p1, err, errsz);
    if (!r) break;
    if (PQntuples(r) == 0) {
      PQclear(r);
      rc = 0;
      break;
    }
    fill_user(r, 0, u);
    snprintf(cl->hash, sizeof cl->hash, "%s", PQgetvalue(r, 0, 3));
    cl->disabled = PQgetvalue(r, 0, 6)[0] == 't';
    char failed[16];
    snprintf(failed, sizeof failed, "%s", PQgetvalue(r, 0, 4));
    cl->wait = web_signin_wait_s(atoi(failed), atof(PQgetvalue(r, 0, 5)));
    PQclear(r);
    if (cl->wait) {
      rc = 1;
      break;
    }
    const char *p2[] = {username, failed};
    r = rh_pg_exec_params(c,
                          "UPDATE web_accounts SET failed_signins = failed_signins + 1, "
                          "last_failed_at = now() WHERE username = $1 AND failed_signins = $2",
                          2, p2, err, errsz);
    if (!r) break;
    bool mine = strcmp(PQcmdTuples(r), "1") == 0;
    PQclear(r);
    if (mine) {
      rc = 1;
      break;
    }
    /* another attempt came first: look again */
  }
  if (rc < 0 && !err[0]) snprintf(err, errsz, "too many sign-ins at once for one account");
  web_db_give(db, c);
  return rc;
}

web_signin_t web_signin(web_db_t *db, const char *username, const char *password, web_user_t *u,
                        char token[WEB_TOKEN_HEX + 1], int *retry_s, char *err, size_t errsz) {
  *retry_s = 0;
  err[0] = '\0';
  claim_t cl = {.wait = 0};
  int found = claim(db, username, u, &cl, err, errsz);
  if (found < 0) return WEB_SIGNIN_ERROR;
  int wait = found ? cl.wait : unknown_claim(username);
  if (wait) { /* no password is checked: the same answer known or not */
    *retry_s = wait;
    sleep(1);
    return WEB_SIGNIN_THROTTLED;
  }
  /* no connection is held while the password is checked, nor while a
   * refusal waits its second */
  bool ok = verify(found ? cl.hash : dummy_hash, password) && found && !cl.disabled;
  sodium_memzero(cl.hash, sizeof cl.hash);
  if (!ok) {
    sleep(1);
    return WEB_SIGNIN_BAD; /* counted by the claim */
  }
  PGconn *c = web_db_take(db, 3000, err, errsz);
  if (!c) return WEB_SIGNIN_ERROR;
  PGresult *r;
  unsigned char raw[32], h[crypto_hash_sha256_BYTES];
  randombytes_buf(raw, sizeof raw);
  sodium_bin2hex(token, WEB_TOKEN_HEX + 1, raw, sizeof raw);
  token_hash(token, h);
  char hb[2 + 2 * sizeof h + 1];
  bytea_text(h, sizeof h, hb);
  const char *p2[] = {username, hb};
  r = rh_pg_exec_params(
      c,
      "WITH reset AS (UPDATE web_accounts SET failed_signins = 0 WHERE username = $1), "
      "old AS (DELETE FROM web_sessions WHERE expires_at < now()) "
      "INSERT INTO web_sessions (token_hash, username, expires_at) "
      "VALUES ($2::bytea, $1, now() + make_interval(hours => " SESSION_HOURS "))",
      2, p2, err, errsz);
  sodium_memzero(raw, sizeof raw);
  web_db_give(db, c);
  if (!r) return WEB_SIGNIN_ERROR;
  PQclear(r);
  return WEB_SIGNIN_OK;
}

int web_session_find(PGconn *c, const char *token, web_user_t *u, char *err, size_t errsz) {
  char hb[2 + 2 * crypto_hash_sha256_BYTES + 1];
  if (token_param(token, hb)) return 0;
  const char *p[] = {hb};
  PGresult *r = rh_pg_exec_params(
      c,
      "SELECT a.username, coalesce(a.township_code, ''), a.display_name FROM web_sessions s "
      "JOIN web_accounts a USING (username) "
      "WHERE s.token_hash = $1::bytea AND s.expires_at > now() AND NOT a.disabled",
      1, p, err, errsz);
  if (!r) return -1;
  int found = PQntuples(r) == 1;
  if (found) fill_user(r, 0, u);
  PQclear(r);
  return found;
}

int web_session_end(PGconn *c, const char *token, char *err, size_t errsz) {
  char hb[2 + 2 * crypto_hash_sha256_BYTES + 1];
  if (token_param(token, hb)) return 0;
  const char *p[] = {hb};
  PGresult *r = rh_pg_exec_params(c, "DELETE FROM web_sessions WHERE token_hash = $1::bytea", 1,
                                  p, err, errsz);
  if (!r) return -1;
  PQclear(r);
  return 0;
}
