/* rh_sign: see rh_sign.h. */
#include "rh_sign.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_err.h"
#include "rh_file.h"
#include "rh_hash.h"

#define KEY_FILE_MAX 16384
#define SIG_LEN 64

struct rh_sign_key {
  EVP_PKEY *pkey;
  rh_sign_pub_t pub;
};

/* SubjectPublicKeyInfo of an Ed25519 key: these 12 bytes, then the 32 raw ones. */
static const unsigned char SPKI_PREFIX[12] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                              0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

static void key_id(rh_sign_pub_t *pub) {
  char hex[RH_SHA256_HEXSZ];
  rh_sha256_t *h = rh_sha256_new();
  if (!h) {
    snprintf(pub->id, sizeof pub->id, "%s", "????????????????");
    return;
  }
  rh_sha256_update(h, pub->raw, sizeof pub->raw);
  rh_sha256_final(h, hex);
  snprintf(pub->id, sizeof pub->id, "%.16s", hex);
}

/* The whole of a private key file, refused unless it is a regular file only its
 * owner can read (not through a symbolic link). *buf malloc'd. */
static int read_private(const char *path, char **buf, size_t *len, char *errstr,
                        size_t errstr_size) {
  char *b = malloc(KEY_FILE_MAX + 1);
  unsigned mode = 0;
  if (!b) {
    rh_errf(errstr, errstr_size, "%s: out of memory", path);
    return -1;
  }
  rh_file_secret_t r = rh_file_read_secret(path, 0, b, KEY_FILE_MAX + 1, len, &mode);
  if (r == RH_FILE_SECRET_OK && *len > 0) {
    *buf = b;
    return 0;
  }
  int e = errno;
  if (r == RH_FILE_SECRET_OPEN)
    rh_errf(errstr, errstr_size, "%s: %s%s", path, strerror(e),
            e == ELOOP ? " (a symbolic link: give the key file itself)" : "");
  else if (r == RH_FILE_SECRET_NOT_REGULAR)
    rh_errf(errstr, errstr_size, "%s: not a regular file", path);
  else if (r == RH_FILE_SECRET_SHARED)
    rh_errf(errstr, errstr_size,
            "%s: a signing key others can read (mode %04o): chmod 600 it, and make a new key "
            "if anyone else may have read it",
            path, mode);
  else if (r == RH_FILE_SECRET_READ)
    rh_errf(errstr, errstr_size, "%s: read failed: %s", path, strerror(e));
  else if (r == RH_FILE_SECRET_TOO_LONG)
    rh_errf(errstr, errstr_size, "%s: not a key file (over %d bytes)", path, KEY_FILE_MAX);
  else
    rh_errf(errstr, errstr_size, "%s: not a key file (0 bytes)", path);
  OPENSSL_cleanse(b, KEY_FILE_MAX + 1);
  free(b);
  return -1;
}

rh_sign_key_t *rh_sign_key_load(const char *path, char *errstr, size_t errstr_size) {
  char *text = NULL;
  size_t len = 0;
  if (read_private(path, &text, &len, errstr, errstr_size)) return NULL;
  BIO *bio = BIO_new_mem_buf(text, (int)len);
  EVP_PKEY *pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
  BIO_free(bio);
  OPENSSL_cleanse(text, len);
  free(text);
  rh_sign_key_t *k = NULL;
  size_t n = RH_SIGN_PUB_LEN;
  if (!pkey || EVP_PKEY_id(pkey) != EVP_PKEY_ED25519) {
    rh_errf(errstr, errstr_size, "%s: not an Ed25519 private key in PEM (make one with scripts/keys.sh)",
            path);
  } else if (!(k = calloc(1, sizeof *k))) {
    rh_errf(errstr, errstr_size, "out of memory");
  } else if (EVP_PKEY_get_raw_public_key(pkey, k->pub.raw, &n) != 1 || n != RH_SIGN_PUB_LEN) {
    rh_errf(errstr, errstr_size, "%s: the key's public half cannot be read", path);
    free(k);
    k = NULL;
  } else {
    k->pkey = pkey;
    key_id(&k->pub);
    return k;
  }
  EVP_PKEY_free(pkey);
  return NULL;
}

void rh_sign_key_free(rh_sign_key_t *key) {
  if (!key) return;
  EVP_PKEY_free(key->pkey);
  free(key);
}

const rh_sign_pub_t *rh_sign_key_pub(const rh_sign_key_t *key) { return &key->pub; }

int rh_sign(const rh_sign_key_t *key, const void *msg, size_t len, char sig[RH_SIGN_SIG_HEXSZ],
            char *errstr, size_t errstr_size) {
  unsigned char raw[SIG_LEN];
  size_t n = sizeof raw;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  int ok = ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, key->pkey) == 1 &&
           EVP_DigestSign(ctx, raw, &n, msg, len) == 1 && n == SIG_LEN;
  EVP_MD_CTX_free(ctx);
  if (!ok) {
    rh_errf(errstr, errstr_size, "signing failed (OpenSSL)");
    return -1;
  }
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < SIG_LEN; i++) {
    sig[2 * i] = hex[raw[i] >> 4];
    sig[2 * i + 1] = hex[raw[i] & 15];
  }
  sig[2 * SIG_LEN] = '\0';
  return 0;
}

int rh_sign_pub_parse(const char *text, rh_sign_pub_t *out, char *errstr, size_t errstr_size) {
  while (*text == ' ' || *text == '\t') text++;
  size_t len = strlen(text);
  while (len && strchr(" \t\r\n", text[len - 1])) len--;
  unsigned char buf[64];
  if (len != 44 && len != 60) {
    rh_errf(errstr, errstr_size,
            "not an Ed25519 public key (expected 44 or 60 base64 characters, got %zu)", len);
    return -1;
  }
  for (size_t i = 0; i < len; i++) {
    char c = text[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
          c == '/' || (c == '=' && i >= len - 2))) {
      rh_errf(errstr, errstr_size, "not an Ed25519 public key (a character that is not base64 at %zu)",
              i + 1);
      return -1;
    }
  }
  int n = EVP_DecodeBlock(buf, (const unsigned char *)text, (int)len);
  int pad = (text[len - 1] == '=') + (text[len - 2] == '=');
  n -= pad;
  if (n == RH_SIGN_PUB_LEN) {
    memcpy(out->raw, buf, RH_SIGN_PUB_LEN);
  } else if (n == (int)sizeof SPKI_PREFIX + RH_SIGN_PUB_LEN &&
             memcmp(buf, SPKI_PREFIX, sizeof SPKI_PREFIX) == 0) {
    memcpy(out->raw, buf + sizeof SPKI_PREFIX, RH_SIGN_PUB_LEN);
  } else {
    rh_errf(errstr, errstr_size, "not an Ed25519 public key");
    return -1;
  }
  key_id(out);
  return 0;
}

void rh_sign_pub_text(const rh_sign_pub_t *pub, char out[45]) {
  EVP_EncodeBlock((unsigned char *)out, pub->raw, RH_SIGN_PUB_LEN);
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool rh_sign_verify(const rh_sign_pub_t *pub, const void *msg, size_t len, const char *sig) {
  unsigned char raw[SIG_LEN];
  if (!sig || strlen(sig) != 2 * SIG_LEN) return false;
  for (size_t i = 0; i < SIG_LEN; i++) {
    int hi = hexval(sig[2 * i]), lo = hexval(sig[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    raw[i] = (unsigned char)(hi << 4 | lo);
  }
  EVP_PKEY *pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub->raw, RH_SIGN_PUB_LEN);
  EVP_MD_CTX *ctx = pkey ? EVP_MD_CTX_new() : NULL;
  bool ok = ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) == 1 &&
            EVP_DigestVerify(ctx, raw, SIG_LEN, msg, len) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  return ok;
}
