/*
 * rh_test_keys: departments' signing keys for unit tests (signed lists,
 * common/rh_manifest.h), made with OpenSSL in a temporary folder that
 * RH_KEYS_DIR points at, so that a configuration loaded afterwards finds their
 * public keys. Removed when the test program exits.
 *
 *   rh_test_keys_make((const char *[]){"health", "tax", NULL});  before rh_config_load
 *   rh_test_keys_sign(&manifest_value, "health");                 sets key_id, signature
 */
#ifndef RH_TEST_KEYS_H
#define RH_TEST_KEYS_H

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rh_manifest.h"
#include "rh_sign.h"

static char rh_test_keys_dir_[64];

static void rh_test_keys_cleanup_(void) {
  if (!rh_test_keys_dir_[0]) return;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", rh_test_keys_dir_);
  if (system(cmd) != 0) fprintf(stderr, "rh_test_keys: could not remove %s\n", rh_test_keys_dir_);
}

static inline const char *rh_test_keys_dir(void) {
  if (!rh_test_keys_dir_[0]) {
    snprintf(rh_test_keys_dir_, sizeof rh_test_keys_dir_, "/tmp/rh-test-keys-XXXXXX");
    if (!mkdtemp(rh_test_keys_dir_)) abort();
    atexit(rh_test_keys_cleanup_);
    setenv("RH_KEYS_DIR", rh_test_keys_dir_, 1);
  }
  return rh_test_keys_dir_;
}

/* A key pair for each department (NULL-terminated list) that has none yet. */
static inline void rh_test_keys_make(const char *const *departments) {
  const char *dir = rh_test_keys_dir();
  for (; *departments; departments++) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s.key", dir, *departments);
    if (access(path, F_OK) == 0) continue;
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!k || !f || !PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL)) abort();
    fclose(f);
    rh_sign_pub_t pub;
    size_t n = sizeof pub.raw;
    char text[45];
    if (EVP_PKEY_get_raw_public_key(k, pub.raw, &n) != 1) abort();
    rh_sign_pub_text(&pub, text);
    snprintf(path, sizeof path, "%s/%s.pub", dir, *departments);
    f = fopen(path, "w");
    if (!f) abort();
    fprintf(f, "# %s (a unit test's)\n%s\n", *departments, text);
    fclose(f);
    EVP_PKEY_free(k);
  }
}

/* Signs manifest value v with department's key (made if it has none). */
static inline void rh_test_keys_sign(avro_value_t *v, const char *department) {
  char path[256], err[512];
  rh_test_keys_make((const char *const[]){department, NULL});
  snprintf(path, sizeof path, "%s/%s.key", rh_test_keys_dir(), department);
  rh_sign_key_t *k = rh_sign_key_load(path, err, sizeof err);
  if (!k || rh_manifest_sign(k, v, err, sizeof err)) {
    fprintf(stderr, "rh_test_keys_sign: %s\n", err);
    abort();
  }
  rh_sign_key_free(k);
}

#endif
