#include "rh_hash.h"

#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rh_sha256_s {
  EVP_MD_CTX *ctx;
};

rh_sha256_t *rh_sha256_new(void) {
  rh_sha256_t *h = malloc(sizeof(*h));
  if (!h) return NULL;
  h->ctx = EVP_MD_CTX_new();
  if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
    EVP_MD_CTX_free(h->ctx);
    free(h);
    return NULL;
  }
  return h;
}

void rh_sha256_update(rh_sha256_t *h, const void *data, size_t len) {
  EVP_DigestUpdate(h->ctx, data, len);
}

/* Lower-case hex of n bytes and a NUL (the join hashes every alert: no printf). */
static void to_hex(const unsigned char *md, unsigned n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (unsigned i = 0; i < n; i++) {
    out[2 * i] = digits[md[i] >> 4];
    out[2 * i + 1] = digits[md[i] & 15];
  }
  out[2 * n] = '\0';
}

void rh_sha256_final(rh_sha256_t *h, char out[RH_SHA256_HEXSZ]) {
  unsigned char md[32];
  unsigned int n = 0;
  out[0] = '\0';
  if (!h) return;
  EVP_DigestFinal_ex(h->ctx, md, &n);
  to_hex(md, n < 32 ? n : 32, out);
  EVP_MD_CTX_free(h->ctx);
  free(h);
}

/* The digest fetched once; a context per thread, reused, freed when the
 * thread ends (a pthread key's destructor: replay joins in threads). */
static EVP_MD *sha256_md;
static pthread_key_t ctx_key;
static void free_ctx(void *ctx) { EVP_MD_CTX_free(ctx); }
static void fetch_sha256(void) {
  sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
  if (pthread_key_create(&ctx_key, free_ctx) != 0) abort();
}

void rh_sha256_parts(const char *const *parts, size_t n, char out[RH_SHA256_HEXSZ]) {
  /* short inputs (ids: a few hundred bytes): one-shot digest of the parts
   * joined with their NULs, no context allocated */
  char buf[1024];
  size_t len = 0;
  bool fits = true;
  for (size_t i = 0; i < n && fits; i++) {
    size_t l = strlen(parts[i]) + 1;
    if (len + l > sizeof buf) fits = false;
    else memcpy(buf + len, parts[i], l), len += l;
  }
  if (fits) {
    /* the digest fetched once, a context per thread reused: OpenSSL 3's
     * lookup and context set-up were a third of the cost of an alert id */
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, fetch_sha256);
    EVP_MD_CTX *ctx = pthread_getspecific(ctx_key);
    if (!ctx && (!(ctx = EVP_MD_CTX_new()) || pthread_setspecific(ctx_key, ctx) != 0)) abort();
    unsigned char md[32];
    unsigned int mdn = 0;
    if (!sha256_md || EVP_DigestInit_ex(ctx, sha256_md, NULL) != 1 ||
        EVP_DigestUpdate(ctx, buf, len) != 1 || EVP_DigestFinal_ex(ctx, md, &mdn) != 1)
      abort();
    to_hex(md, mdn < 32 ? mdn : 32, out);
    return;
  }
  rh_sha256_t *h = rh_sha256_new();
  if (!h) abort(); /* out of memory for 100 bytes: nothing sensible is left */
  for (size_t i = 0; i < n; i++) rh_sha256_update(h, parts[i], strlen(parts[i]) + 1);
  rh_sha256_final(h, out);
}

int rh_sha256_file(const char *path, char out[RH_SHA256_HEXSZ], char *errstr,
                   size_t errstr_size) {
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
    return -1;
  }
  rh_sha256_t *h = rh_sha256_new();
  static __thread unsigned char buf[1 << 16];
  size_t n;
  while (h && (n = fread(buf, 1, sizeof(buf), fp)) > 0) rh_sha256_update(h, buf, n);
  int failed = ferror(fp) || !h;
  int err = errno;
  fclose(fp);
  if (failed) {
    rh_sha256_final(h, out);
    snprintf(errstr, errstr_size, "%s: %s", path, h ? strerror(err) : "out of memory");
    return -1;
  }
  rh_sha256_final(h, out);
  return 0;
}

void rh_batch_id(const char *department, const char *feed, const char *period,
                 const char *source_sha256_hex, char out[RH_SHA256_HEXSZ]) {
  const char *parts[5] = {"riskhub-batch-v1", department, feed, period, source_sha256_hex};
  rh_sha256_parts(parts, 5, out);
}

int rh_hex_key64(const char *hex, uint64_t *key) {
  uint64_t k = 0;
  *key = 0;
  for (int i = 0; i < 16; i++) {
    char c = hex ? hex[i] : '\0';
    int v = c >= '0' && c <= '9' ? c - '0'
          : c >= 'a' && c <= 'f' ? c - 'a' + 10
          : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                 : -1;
    if (v < 0) return -1;
    k = (k << 4) | (uint64_t)v;
  }
  *key = k;
  return 0;
}
