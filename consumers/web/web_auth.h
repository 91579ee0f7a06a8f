/*
 * web_auth: riskhub-web's accounts and sessions (docs/web.md, "Signing in").
 *
 * - Passwords are kept as libsodium's crypto_pwhash_str (Argon2id, the
 *   "interactive" limits: 64 MiB and about a tenth of a second a try), at most
 *   two hashed at once (the memory is the point of the function, and no more
 *   than that may be asked of the server by strangers).
 * - Failed sign-ins are counted on the account, each attempt before its
 *   password is checked (parallel guesses get no more tries than serial
 *   ones): from the third in a row the account answers nothing, right or
 *   wrong, for 5 * 2^(n-3) s (at most 15 min), and every refusal is answered
 *   one second late. An unknown user name costs the same time, is counted
 *   the same way (in memory) and gets the same answers.
 * - A session is 32 random bytes, the cookie's value in hexadecimal; the
 *   database keeps only its SHA-256, for 8 hours.
 */
#ifndef WEB_AUTH_H
#define WEB_AUTH_H

#include <libpq-fe.h>
#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>

#include "web_db.h"

#define WEB_SESSION_HOURS 8
#define WEB_TOKEN_HEX 64 /* characters of a session token */

typedef struct {
  char username[65];
  char township[10]; /* "" for the bureau */
  char display[257]; /* 64 characters of UTF-8 at most */
} web_user_t;

/* sodium_init and the hash an unknown user name is checked against. 0 or -1. */
int web_auth_init(void);

/* The password's Argon2id string; 0, or -1 (out of memory). */
int web_password_hash(const char *password, char out[crypto_pwhash_STRBYTES]);
/* NULL if password is good enough, else why not (for a person: in Chinese). */
const char *web_password_weak(const char *password);

/* The wait, in seconds, before an account with failed failures in a row,
 * the last since_s seconds ago, may try again (0: now). Pure. */
int web_signin_wait_s(int failed, double since_s);

typedef enum {
  WEB_SIGNIN_OK,        /* *u and token filled */
  WEB_SIGNIN_BAD,       /* wrong name or password, or the account is disabled */
  WEB_SIGNIN_THROTTLED, /* *retry_s: try again then */
  WEB_SIGNIN_ERROR      /* the database: err */
} web_signin_t;

/* Signing in: a connection of db only to claim the attempt (the failures
 * counted up first) and to make the session, none while the password is
 * checked or a refusal waits. */
web_signin_t web_signin(web_db_t *db, const char *username, const char *password, web_user_t *u,
                        char token[WEB_TOKEN_HEX + 1], int *retry_s, char *err, size_t errsz);

/* The session of a cookie's token: 1 with *u, 0 none (unknown, expired, the
 * account disabled), -1 with err. */
int web_session_find(PGconn *c, const char *token, web_user_t *u, char *err, size_t errsz);
/* Forget the session (signing out). 0 or -1 with err. */
int web_session_end(PGconn *c, const char *token, char *err, size_t errsz);

#endif
