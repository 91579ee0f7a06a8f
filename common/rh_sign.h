/*
 * rh_sign: Ed25519 keys and signatures (OpenSSL EVP), for the departments'
 * signed lists (rh_manifest, docs/security.md "Signed lists").
 *
 * A department's private key is a PEM file (PKCS#8, as `openssl genpkey
 * -algorithm ed25519` writes it; scripts/keys.sh makes them) that only its
 * owner may read: rh_sign_key_load refuses a symbolic link, anything but a
 * regular file, and a file whose group or others have any permission.
 *
 * A public key is written as the base64 of its 32 raw bytes (44 characters),
 * or of its SubjectPublicKeyInfo DER (`openssl pkey -pubout -outform DER |
 * base64`, 60 characters). Its id is the first 16 hex digits of the SHA-256 of
 * the raw bytes: a manifest names the key it was signed with, so a department
 * can have a new key and an old one at once while it rotates.
 *
 * A signature is 64 bytes, written as 128 lower-case hex digits.
 *
 * Failure: -1 with errstr (the path and the reason; never key material).
 * Threads: keys are read-only after loading; any thread may use them.
 */
#ifndef RH_SIGN_H
#define RH_SIGN_H

#include <stdbool.h>
#include <stddef.h>

#define RH_SIGN_PUB_LEN 32
#define RH_SIGN_KEY_ID_HEXSZ 17 /* 16 hex digits and a NUL */
#define RH_SIGN_SIG_HEXSZ 129   /* 128 hex digits and a NUL */

typedef struct {
  unsigned char raw[RH_SIGN_PUB_LEN];
  char id[RH_SIGN_KEY_ID_HEXSZ];
} rh_sign_pub_t;

typedef struct rh_sign_key rh_sign_key_t;

/* The private key of path (see above). NULL with errstr. */
rh_sign_key_t *rh_sign_key_load(const char *path, char *errstr, size_t errstr_size);
void rh_sign_key_free(rh_sign_key_t *key);
/* The key's public half. */
const rh_sign_pub_t *rh_sign_key_pub(const rh_sign_key_t *key);

/* Signs msg; sig gets the hex signature. 0, or -1 with errstr. */
int rh_sign(const rh_sign_key_t *key, const void *msg, size_t len, char sig[RH_SIGN_SIG_HEXSZ],
            char *errstr, size_t errstr_size);

/* A public key from its base64 text (surrounding blanks ignored). 0, or -1
 * with errstr. */
int rh_sign_pub_parse(const char *text, rh_sign_pub_t *out, char *errstr, size_t errstr_size);
/* The base64 of the raw key (45 bytes with the NUL). */
void rh_sign_pub_text(const rh_sign_pub_t *pub, char out[45]);

/* true if sig (hex) is pub's signature of msg. A malformed sig is false. */
bool rh_sign_verify(const rh_sign_pub_t *pub, const void *msg, size_t len, const char *sig);

#endif
