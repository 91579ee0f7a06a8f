/* rh_manifest: see rh_manifest.h. */
#include "rh_manifest.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_err.h"
#include "rh_sbuf.h"

#define TEXT_HEAD "riskhub BatchManifest 1\n"
#define KEYS_PER_DEPT 16 /* a key and the ones rotated out, whose lists must still verify */
#define PUB_FILE_MAX 4096

typedef struct {
  rh_sign_pub_t keys[KEYS_PER_DEPT];
  size_t n;
} dept_keys_t;

struct rh_manifest_keys {
  const rh_config_t *cfg;
  dept_keys_t *depts; /* cfg->departments' order */
};

/* ---- keys ------------------------------------------------------------------ */

static int load_pub_file(const char *path, dept_keys_t *dk, char *errstr, size_t errstr_size) {
  FILE *f = fopen(path, "re");
  if (!f) {
    if (errno == ENOENT) return 0;
    rh_errf(errstr, errstr_size, "%s: %s", path, strerror(errno));
    return -1;
  }
  char line[256];
  int lineno = 0, rc = 0;
  while (rc == 0 && fgets(line, sizeof line, f)) {
    lineno++;
    const char *p = line + strspn(line, " \t");
    if (*p == '#' || *p == '\n' || *p == '\r' || !*p) continue;
    char why[160];
    if (dk->n == KEYS_PER_DEPT) {
      rh_errf(errstr, errstr_size, "%s:%d: more than %d keys", path, lineno, KEYS_PER_DEPT);
      rc = -1;
    } else if (rh_sign_pub_parse(p, &dk->keys[dk->n], why, sizeof why)) {
      rh_errf(errstr, errstr_size, "%s:%d: %s", path, lineno, why);
      rc = -1;
    } else {
      dk->n++;
    }
  }
  fclose(f);
  return rc;
}

rh_manifest_keys_t *rh_manifest_keys_load(const rh_config_t *cfg, char *errstr,
                                          size_t errstr_size) {
  rh_manifest_keys_t *k = calloc(1, sizeof *k);
  if (!k || !(k->depts = calloc(cfg->department_count ? cfg->department_count : 1,
                                sizeof *k->depts))) {
    free(k);
    rh_errf(errstr, errstr_size, "out of memory");
    return NULL;
  }
  k->cfg = cfg;
  for (size_t d = 0; cfg->signing.keys_dir && d < cfg->department_count; d++) {
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s.pub", cfg->signing.keys_dir,
                     cfg->departments[d].code);
    if (n < 0 || (size_t)n >= sizeof path) {
      rh_errf(errstr, errstr_size, "signing.keys_dir: path too long");
      rh_manifest_keys_free(k);
      return NULL;
    }
    if (load_pub_file(path, &k->depts[d], errstr, errstr_size)) {
      rh_manifest_keys_free(k);
      return NULL;
    }
  }
  return k;
}

void rh_manifest_keys_free(rh_manifest_keys_t *keys) {
  if (!keys) return;
  free(keys->depts);
  free(keys);
}

static const dept_keys_t *dept_keys(const rh_manifest_keys_t *keys, const char *department) {
  for (size_t d = 0; d < keys->cfg->department_count; d++)
    if (strcmp(keys->cfg->departments[d].code, department) == 0) return &keys->depts[d];
  return NULL;
}

size_t rh_manifest_keys_count(const rh_manifest_keys_t *keys, const char *department) {
  const dept_keys_t *dk = dept_keys(keys, department);
  return dk ? dk->n : 0;
}

/* ---- the signed text --------------------------------------------------------- */

static int get_str(avro_value_t *m, const char *name, const char **s, size_t *len) {
  avro_value_t f;
  size_t size = 0;
  if (avro_value_get_by_name(m, name, &f, NULL) || avro_value_get_string(&f, s, &size) || !*s)
    return -1;
  *len = size ? size - 1 : 0; /* Avro C counts the NUL */
  return 0;
}

static int get_long(avro_value_t *m, const char *name, int64_t *v) {
  avro_value_t f;
  return avro_value_get_by_name(m, name, &f, NULL) || avro_value_get_long(&f, v) ? -1 : 0;
}

static int text_str(rh_sbuf_t *b, avro_value_t *m, const char *name) {
  const char *s;
  size_t len;
  if (get_str(m, name, &s, &len)) return -1;
  rh_sbuf_printf(b, "%s:%zu:", name, len);
  rh_sbuf_put(b, s, len);
  rh_sbuf_put(b, "\n", 1);
  return 0;
}

static int text_long(rh_sbuf_t *b, avro_value_t *m, const char *name) {
  int64_t v;
  if (get_long(m, name, &v)) return -1;
  rh_sbuf_printf(b, "%s=%" PRId64 "\n", name, v);
  return 0;
}

static int text_partitions(rh_sbuf_t *b, avro_value_t *m) {
  avro_value_t parts;
  size_t np = 0;
  if (avro_value_get_by_name(m, "partitions", &parts, NULL) || avro_value_get_size(&parts, &np))
    return -1;
  rh_sbuf_printf(b, "partitions=%zu\n", np);
  for (size_t i = 0; i < np; i++) {
    avro_value_t pr, f;
    int32_t p;
    int64_t first, last, count;
    if (avro_value_get_by_index(&parts, i, &pr, NULL) ||
        avro_value_get_by_name(&pr, "partition", &f, NULL) || avro_value_get_int(&f, &p) ||
        get_long(&pr, "first_offset", &first) || get_long(&pr, "last_offset", &last) ||
        get_long(&pr, "count", &count))
      return -1;
    rh_sbuf_printf(b, "%" PRId32 "/%" PRId64 "/%" PRId64 "/%" PRId64 "\n", p, first, last, count);
  }
  return 0;
}

int rh_manifest_text(avro_value_t *m, char **out, size_t *len) {
  static const char *const strs1[] = {"batch_id", "department",    "feed",
                                      "kind",     "period",        "topic",
                                      "source_name", "source_sha256", "schema_fingerprint"};
  static const char *const longs1[] = {"rows_total", "rows_accepted", "rows_rejected"};
  static const char *const longs2[] = {"started_at", "finished_at"};
  static const char *const strs2[] = {"producer", "records_sha256", "prev_manifest_sha256",
                                      "key_id"};
  rh_sbuf_t b = RH_SBUF_INIT;
  int rc = 0;
  rh_sbuf_put(&b, TEXT_HEAD, strlen(TEXT_HEAD));
  for (size_t i = 0; rc == 0 && i < sizeof strs1 / sizeof *strs1; i++) rc = text_str(&b, m, strs1[i]);
  for (size_t i = 0; rc == 0 && i < sizeof longs1 / sizeof *longs1; i++)
    rc = text_long(&b, m, longs1[i]);
  if (rc == 0) rc = text_partitions(&b, m);
  for (size_t i = 0; rc == 0 && i < sizeof longs2 / sizeof *longs2; i++)
    rc = text_long(&b, m, longs2[i]);
  for (size_t i = 0; rc == 0 && i < sizeof strs2 / sizeof *strs2; i++) rc = text_str(&b, m, strs2[i]);
  if (rc || b.oom) {
    free(b.p);
    return -1;
  }
  *out = b.p;
  *len = b.len;
  return 0;
}

/* ---- checking, signing, linking ---------------------------------------------- */

const char *rh_manifest_safe_code(const char *s, char *out, size_t size) {
  size_t i = 0;
  for (; s[i] && i + 1 < size; i++)
    out[i] = ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
              s[i] == '.')
                 ? s[i]
                 : '?';
  if (size) out[i] = '\0';
  return out;
}

#define safe_code(s, out) rh_manifest_safe_code((s), (out), sizeof(out))

/* The topic every department shared before 2026-12 (rh_config_legacy_topic):
 * a month archived then carries its manifests under that name. */
static bool legacy_carrier(const rh_config_t *cfg, const char *carrier) {
  char legacy[RH_CONFIG_TOPIC_PREFIX_MAX + 32];
  return rh_config_legacy_topic(cfg, RH_TOPIC_MANIFESTS, legacy, sizeof legacy) == 0 &&
         strcmp(carrier, legacy) == 0;
}

int rh_manifest_check(const rh_manifest_keys_t *keys, avro_value_t *m, const char *carrier,
                      char *why, size_t why_size) {
  const char *dept, *feed, *topic, *key_id, *sig;
  size_t n;
  if (get_str(m, "department", &dept, &n) || get_str(m, "feed", &feed, &n) ||
      get_str(m, "topic", &topic, &n) || get_str(m, "key_id", &key_id, &n) ||
      get_str(m, "signature", &sig, &n)) {
    rh_errf(why, why_size, "a field is missing (缺少字段)");
    return 1;
  }
  const rh_config_feed_t *f = rh_config_feed_find(keys->cfg, dept, feed);
  char c1[65], c2[65];
  if (!f) {
    rh_errf(why, why_size, "%s/%s is not a feed of the configuration (配置中无此数据项)",
            safe_code(dept, c1), safe_code(feed, c2));
    return 1;
  }
  if (strcmp(f->topic, topic) != 0) {
    rh_errf(why, why_size, "names topic %s, not %s (主题与数据项不符)", safe_code(topic, c1),
            f->topic);
    return 1;
  }
  if (carrier && strcmp(carrier, f->department->manifests_topic) != 0 &&
      !legacy_carrier(keys->cfg, carrier)) {
    rh_errf(why, why_size, "a manifest of %s found on %s, not on %s (清单不在本部门的主题上)",
            dept, carrier, f->department->manifests_topic);
    return 1;
  }
  if (!*sig) {
    if (!keys->cfg->signing.required) return 0;
    rh_errf(why, why_size, "not signed, and signing.required is on (清单未签名)");
    return 1;
  }
  const dept_keys_t *dk = dept_keys(keys, dept);
  const rh_sign_pub_t *pub = NULL;
  for (size_t i = 0; dk && i < dk->n && !pub; i++)
    if (strcmp(dk->keys[i].id, key_id) == 0) pub = &dk->keys[i];
  if (!pub) {
    rh_errf(why, why_size,
            "signed with key %.16s, which is not one of %s's keys in %s/%s.pub (签名密钥未登记)",
            safe_code(key_id, c1), dept, keys->cfg->signing.keys_dir ? keys->cfg->signing.keys_dir : "(no signing.keys_dir)",
            dept);
    return 1;
  }
  char *text;
  size_t len;
  if (rh_manifest_text(m, &text, &len)) {
    rh_errf(why, why_size, "out of memory");
    return -1;
  }
  bool ok = rh_sign_verify(pub, text, len, sig);
  free(text);
  if (!ok) {
    rh_errf(why, why_size,
            "the signature does not verify with %s's key %s: forged or altered (签名无效，清单被伪造或篡改)",
            dept, pub->id);
    return 1;
  }
  return 0;
}

bool rh_manifest_signed_by(avro_value_t *m, const rh_sign_pub_t *pub) {
  const char *key_id, *sig;
  size_t n;
  char *text;
  size_t len;
  if (get_str(m, "key_id", &key_id, &n) || get_str(m, "signature", &sig, &n) ||
      strcmp(key_id, pub->id) != 0 || rh_manifest_text(m, &text, &len))
    return false;
  bool ok = rh_sign_verify(pub, text, len, sig);
  free(text);
  return ok;
}

static int set_str(avro_value_t *m, const char *name, const char *s, char *errstr,
                   size_t errstr_size) {
  avro_value_t f;
  if (avro_value_get_by_name(m, name, &f, NULL) || avro_value_set_string(&f, s)) {
    rh_errf(errstr, errstr_size, "the manifest has no field %s", name);
    return -1;
  }
  return 0;
}

int rh_manifest_sign(const rh_sign_key_t *key, avro_value_t *m, char *errstr, size_t errstr_size) {
  char sig[RH_SIGN_SIG_HEXSZ];
  char *text;
  size_t len;
  if (set_str(m, "key_id", rh_sign_key_pub(key)->id, errstr, errstr_size)) return -1;
  if (rh_manifest_text(m, &text, &len)) {
    rh_errf(errstr, errstr_size, "the manifest lacks a field, or out of memory");
    return -1;
  }
  int rc = rh_sign(key, text, len, sig, errstr, errstr_size);
  free(text);
  return rc ? -1 : set_str(m, "signature", sig, errstr, errstr_size);
}

int rh_manifest_link(avro_value_t *m, char out[RH_SHA256_HEXSZ]) {
  char *text;
  size_t len, n;
  const char *sig;
  if (get_str(m, "signature", &sig, &n) || rh_manifest_text(m, &text, &len)) return -1;
  rh_sha256_t *h = rh_sha256_new();
  if (!h) {
    free(text);
    return -1;
  }
  rh_sha256_update(h, text, len);
  rh_sha256_update(h, "", 1);
  rh_sha256_update(h, sig, n);
  rh_sha256_final(h, out);
  free(text);
  return 0;
}

int rh_manifest_records_begin(rh_manifest_records_t *r) {
  r->h = rh_sha256_new();
  return r->h ? 0 : -1;
}

void rh_manifest_records_add(rh_manifest_records_t *r, const void *msg, size_t len) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(msg, len, d);
  rh_sha256_update(r->h, d, sizeof d);
}

void rh_manifest_records_end(rh_manifest_records_t *r, char out[RH_SHA256_HEXSZ]) {
  rh_sha256_final(r->h, out);
  r->h = NULL;
}
