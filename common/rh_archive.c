/* rh_archive: see rh_archive.h. */
#include "rh_archive.h"

#include <avro.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include "rh_file.h"
#include "rh_array.h"
#include "rh_avro_codec.h"
#include "rh_avro_wire.h"
#include "rh_err.h"
#include "rh_hash.h"
#include "rh_parse.h"
#include "rh_period.h"

#define FORMAT "riskhub-replay-archive/2"
#define FORMAT_1 "riskhub-replay-archive/1" /* before rejects.avro: still read */
#define BLOCK_SIZE (1u << 20)
#define INFO_FILE "archive.json"
#define SUMS_FILE "SHA256SUMS"

static const struct {
  const char *file, *type, *wrapper, *doc;
} STREAMS[RH_ARCHIVE_STREAMS] = {
    {"manifests.avro", "riskhub.BatchManifest", "ArchivedManifest",
     "A BatchManifest of its department's feed.<department>.manifests, as published"},
    {"feed-records.avro", "riskhub.FeedRecord", "ArchivedFeedRecord",
     "A FeedRecord of a feed topic, as published"},
    {"alerts.avro", "riskhub.Alert", "ArchivedAlert",
     "An Alert of an alerts topic, as published"},
    {"check-results.avro", "riskhub.CheckResult", "ArchivedCheckResult",
     "A CheckResult of a checks topic, as published"},
    {"rejects.avro", "riskhub.RejectedRow", "ArchivedRejectedRow",
     "A RejectedRow of its department's feed.<department>.rejects (a row of a batch that failed validation), as published"},
};

const char *rh_archive_file(rh_archive_stream_t s) {
  return s < RH_ARCHIVE_STREAMS ? STREAMS[s].file : "?";
}

int rh_archive_month_dir(const rh_config_t *cfg, const char *period, char *out, size_t size) {
  if (!cfg->archive.dir || !period) return -1;
  return snprintf(out, size, "%s/%s", cfg->archive.dir, period) >= (int)size ? -1 : 0;
}

int rh_archive_month_due(const rh_config_t *cfg, const char *period, char *dir, size_t size,
                         int64_t *due_ms) {
  int y, m;
  if (rh_parse_period(period, &y, &m) || rh_archive_month_dir(cfg, period, dir, size)) return -1;
  *due_ms = rh_period_deadline_ms(y, m, cfg->deadlines.delivery_day, RH_PERIOD_UTC_OFFSET_CN) +
            cfg->archive.grace_ms;
  return 0;
}

bool rh_archive_complete(const char *dir) {
  char sums[4200];
  if (snprintf(sums, sizeof sums, "%s/%s", dir, SUMS_FILE) >= (int)sizeof sums) return false;
  return access(sums, F_OK) == 0;
}

int rh_archive_open_month(const rh_config_t *cfg, const char *period, char *dir, size_t size,
                          rh_archive_info_t *info, int *refused, char *errstr,
                          size_t errstr_size) {
  *refused = 0;
  if (rh_archive_month_dir(cfg, period, dir, size) || !rh_archive_complete(dir)) return 0;
  if (rh_archive_open(dir, info, refused, errstr, errstr_size)) return -1;
  return strcmp(info->topic_prefix, cfg->topic_prefix) == 0 && !info->department[0] &&
                 !info->feed[0]
             ? 1
             : 0;
}

/* ---- bytes ---- */

typedef struct {
  unsigned char *p;
  size_t len, cap;
} buf_t;

static int buf_room(buf_t *b, size_t more) {
  if (b->len + more <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < b->len + more) cap *= 2;
  unsigned char *p = realloc(b->p, cap);
  if (!p) return -1;
  b->p = p;
  b->cap = cap;
  return 0;
}

/* An Avro long, and bytes or a string (rh_avro_wire), appended to b. */
static int put_long(buf_t *b, int64_t v) {
  if (buf_room(b, RH_AVRO_WIRE_LONG_MAX)) return -1;
  b->len = (size_t)(rh_avro_wire_put_long(b->p + b->len, v) - b->p);
  return 0;
}

static int put_bytes(buf_t *b, const void *s, size_t n) {
  if (n > SIZE_MAX - RH_AVRO_WIRE_LONG_MAX || buf_room(b, RH_AVRO_WIRE_LONG_MAX + n)) return -1;
  b->len = (size_t)(rh_avro_wire_put_bytes(b->p + b->len, s, n) - b->p);
  return 0;
}

/* ---- schemas ---- */

static char *read_text(const char *path, size_t *len) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return NULL;
  char *s = NULL;
  size_t n = 0, cap = 0;
  for (;;) {
    if (RH_ARRAY_RESERVE(s, n + 4096 + 1, cap, 16384)) {
      free(s);
      fclose(fp);
      return NULL;
    }
    size_t got = fread(s + n, 1, cap - n - 1, fp);
    n += got;
    if (got == 0) break;
  }
  bool bad = ferror(fp);
  fclose(fp);
  if (bad) {
    free(s);
    return NULL;
  }
  s[n] = '\0';
  *len = n;
  return s;
}

/* The wrapper schema around the type's .avsc text. */
#define WRAPPER_FMT                                                                            \
  "{\"type\": \"record\", \"name\": \"%s\", \"namespace\": \"riskhub.archive\",\n"          \
  " \"doc\": \"%s, with where it was: written by riskhub-replay --archive\",\n"               \
  " \"fields\": [\n"                                                                            \
  "  {\"name\": \"topic\", \"type\": \"string\"},\n"                                           \
  "  {\"name\": \"partition\", \"type\": \"int\"},\n"                                          \
  "  {\"name\": \"offset\", \"type\": \"long\"},\n"                                            \
  "  {\"name\": \"timestamp\", \"type\": \"long\", \"doc\": \"ms since 1970, -1 unknown\"},\n"  \
  "  {\"name\": \"key\", \"type\": [\"null\", \"bytes\"], \"default\": null},\n"               \
  "  {\"name\": \"record\", \"type\": %s}\n"                                                   \
  " ]}"

static avro_schema_t wrapper_schema(const rh_avro_schema_t *type, rh_archive_stream_t s,
                                    char *errstr, size_t errstr_size) {
  size_t n;
  char *avsc = read_text(type->path, &n);
  if (!avsc) {
    rh_errf(errstr, errstr_size, "%s: %s", type->path, strerror(errno ? errno : EIO));
    return NULL;
  }
  size_t size = sizeof WRAPPER_FMT + n + 256;
  char *json = malloc(size);
  avro_schema_t schema = NULL;
  if (!json) {
    rh_errf(errstr, errstr_size, "out of memory");
  } else {
    snprintf(json, size, WRAPPER_FMT, STREAMS[s].wrapper, STREAMS[s].doc, avsc);
    if (avro_schema_from_json_length(json, strlen(json), &schema)) {
      rh_errf(errstr, errstr_size, "the archive schema of %s: %s", type->fullname,
              avro_strerror());
      schema = NULL;
    }
  }
  free(json);
  free(avsc);
  return schema;
}

static int join_path(char *out, size_t size, const char *dir, const char *name) {
  return snprintf(out, size, "%s/%s", dir, name) >= (int)size ? -1 : 0;
}

/* A new file (must not exist), mode 0600. */
static FILE *create_private(const char *path, char *errstr, size_t errstr_size) {
  return rh_file_create_private(path, O_EXCL, errstr, errstr_size);
}

/* ---- writing ---- */

struct rh_archive_writer {
  char *dir;
  const rh_avro_schemas_t *schemas;
  rh_avro_decoder_t *dec;
  struct {
    const rh_avro_schema_t *type;
    avro_schema_t wrapper;
    avro_file_writer_t fw;
    avro_value_t scratch; /* for re-encoding an older writer's record */
    uint64_t count;
  } s[RH_ARCHIVE_STREAMS];
  buf_t datum;
  avro_writer_t mem;
};

static void writer_free(rh_archive_writer_t *w) {
  for (int i = 0; i < RH_ARCHIVE_STREAMS; i++) {
    if (w->s[i].fw) avro_file_writer_close(w->s[i].fw);
    if (w->s[i].wrapper) avro_schema_decref(w->s[i].wrapper);
    if (w->s[i].scratch.iface) avro_value_decref(&w->s[i].scratch);
  }
  if (w->mem) avro_writer_free(w->mem);
  rh_avro_decoder_destroy(w->dec);
  free(w->datum.p);
  free(w->dir);
  free(w);
}

void rh_archive_abandon(rh_archive_writer_t *w) {
  if (w) writer_free(w);
}

static int dir_usable(const char *dir, char *errstr, size_t errstr_size) {
  if (mkdir(dir, 0700) == 0) return 0;
  if (errno != EEXIST) {
    rh_errf(errstr, errstr_size, "%s: %s", dir, strerror(errno));
    return -1;
  }
  DIR *d = opendir(dir);
  if (!d) {
    rh_errf(errstr, errstr_size, "%s: %s", dir, strerror(errno));
    return -1;
  }
  struct dirent *e;
  bool empty = true;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) empty = false;
  closedir(d);
  if (!empty) {
    rh_errf(errstr, errstr_size, "%s: not empty (an archive is never written over)", dir);
    return -1;
  }
  chmod(dir, 0700);
  return 0;
}

rh_archive_writer_t *rh_archive_create(const char *dir, const rh_avro_schemas_t *schemas,
                                               char *errstr, size_t errstr_size) {
  rh_archive_writer_t *w = calloc(1, sizeof *w);
  size_t dl = strlen(dir) + 1;
  if (!w || !(w->dir = malloc(dl)) || !(w->dec = rh_avro_decoder_new(schemas))) {
    rh_errf(errstr, errstr_size, "out of memory");
    if (w) writer_free(w);
    return NULL;
  }
  memcpy(w->dir, dir, dl);
  w->schemas = schemas;
  if (dir_usable(dir, errstr, errstr_size)) {
    writer_free(w);
    return NULL;
  }
  for (int i = 0; i < RH_ARCHIVE_STREAMS; i++) {
    char path[4096];
    w->s[i].type = rh_avro_schemas_get(schemas, STREAMS[i].type);
    if (!w->s[i].type) {
      rh_errf(errstr, errstr_size, "the schemas lack %s", STREAMS[i].type);
      goto fail;
    }
    if (!(w->s[i].wrapper = wrapper_schema(w->s[i].type, (rh_archive_stream_t)i, errstr,
                                           errstr_size)))
      goto fail;
    if (rh_avro_schema_value_new(w->s[i].type, &w->s[i].scratch, errstr, errstr_size)) goto fail;
    if (join_path(path, sizeof path, dir, STREAMS[i].file)) {
      rh_errf(errstr, errstr_size, "%s: path too long", dir);
      goto fail;
    }
    FILE *fp = create_private(path, errstr, errstr_size);
    if (!fp) goto fail;
    if (avro_file_writer_create_with_codec_fp(fp, path, 1, w->s[i].wrapper, &w->s[i].fw, "null",
                                              BLOCK_SIZE)) {
      /* Avro C owns fp now (should_close): not closed here twice */
      rh_errf(errstr, errstr_size, "%s: %s", path, avro_strerror());
      w->s[i].fw = NULL;
      goto fail;
    }
  }
  return w;
fail:
  writer_free(w);
  return NULL;
}

int rh_archive_add(rh_archive_writer_t *w, rh_archive_stream_t s, const rh_msg_t *m,
                       char *errstr, size_t errstr_size) {
  const rh_avro_schema_t *type = w->s[s].type;
  uint64_t fp;
  char why[256];
  buf_t *b = &w->datum;
  b->len = 0;
  if (put_bytes(b, m->topic, strlen(m->topic)) || put_long(b, m->partition) ||
      put_long(b, m->offset) || put_long(b, m->timestamp) ||
      (m->key ? put_long(b, 1) || put_bytes(b, m->key, m->key_len) : put_long(b, 0)))
    goto oom;
  if (rh_avro_wire_peek_fingerprint(m->value, m->value_len, &fp, why, sizeof why) == RH_AVRO_OK &&
      fp == type->fingerprint) {
    size_t body = m->value_len - RH_AVRO_HEADER_LEN;
    if (buf_room(b, body)) goto oom;
    memcpy(b->p + b->len, (const unsigned char *)m->value + RH_AVRO_HEADER_LEN, body);
    b->len += body;
  } else {
    /* written with an older schema: as the current one reads it */
    size_t body = 0;
    if (rh_avro_decode(w->dec, m->value, m->value_len, type, &w->s[s].scratch, NULL, why,
                       sizeof why) != RH_AVRO_OK) {
      rh_errf(errstr, errstr_size, "%s [%d] offset %lld: not a %s (%s): not archived", m->topic,
              (int)m->partition, (long long)m->offset, type->fullname, why);
      return -1;
    }
    if (avro_value_sizeof(&w->s[s].scratch, &body) || buf_room(b, body)) goto oom;
    if (!w->mem) w->mem = avro_writer_memory((const char *)b->p + b->len, (int64_t)body);
    else avro_writer_memory_set_dest(w->mem, (const char *)b->p + b->len, (int64_t)body);
    if (!w->mem || avro_value_write(w->mem, &w->s[s].scratch)) goto oom;
    b->len += body;
  }
  if (b->len > BLOCK_SIZE / 2) {
    rh_errf(errstr, errstr_size, "%s [%d] offset %lld: a message of %zu bytes is too large to "
            "archive", m->topic, (int)m->partition, (long long)m->offset, b->len);
    return -1;
  }
  if (avro_file_writer_append_encoded(w->s[s].fw, b->p, (int64_t)b->len)) {
    rh_errf(errstr, errstr_size, "%s/%s: %s", w->dir, STREAMS[s].file, avro_strerror());
    return -1;
  }
  w->s[s].count++;
  return 0;
oom:
  rh_errf(errstr, errstr_size, "out of memory writing the archive");
  return -1;
}

static int write_info(const char *path, const rh_archive_info_t *info, char *errstr,
                      size_t errstr_size) {
  json_t *o = json_object(), *c = json_object();
  json_object_set_new(o, "format", json_string(FORMAT));
  json_object_set_new(o, "period", json_string(info->period));
  json_object_set_new(o, "department", info->department[0] ? json_string(info->department)
                                                           : json_null());
  json_object_set_new(o, "feed", info->feed[0] ? json_string(info->feed) : json_null());
  json_object_set_new(o, "topic_prefix", json_string(info->topic_prefix));
  json_object_set_new(o, "created_at", json_integer(info->created_at));
  for (int i = 0; i < RH_ARCHIVE_STREAMS; i++)
    json_object_set_new(c, STREAMS[i].file, json_integer((json_int_t)info->counts[i]));
  json_object_set_new(o, "counts", c);
  FILE *fp = create_private(path, errstr, errstr_size);
  int rc = -1;
  if (fp) {
    rc = json_dumpf(o, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0 && fputc('\n', fp) != EOF
             ? 0
             : -1;
    if (fclose(fp) != 0) rc = -1;
    if (rc) rh_errf(errstr, errstr_size, "%s: %s", path, strerror(errno ? errno : EIO));
  }
  json_decref(o);
  return rc;
}

int rh_archive_close(rh_archive_writer_t *w, const rh_archive_info_t *info_in,
                         char *errstr, size_t errstr_size) {
  rh_archive_info_t info = *info_in;
  char path[4096], hex[RH_SHA256_HEXSZ];
  int rc = -1;
  for (int i = 0; i < RH_ARCHIVE_STREAMS; i++) {
    info.counts[i] = w->s[i].count;
    int e = avro_file_writer_close(w->s[i].fw);
    w->s[i].fw = NULL;
    if (e) {
      rh_errf(errstr, errstr_size, "%s/%s: %s", w->dir, STREAMS[i].file, avro_strerror());
      goto out;
    }
  }
  if (join_path(path, sizeof path, w->dir, INFO_FILE) ||
      write_info(path, &info, errstr, errstr_size))
    goto out;
  if (join_path(path, sizeof path, w->dir, SUMS_FILE)) goto out;
  FILE *sums = create_private(path, errstr, errstr_size);
  if (!sums) goto out;
  const char *names[RH_ARCHIVE_STREAMS + 1] = {INFO_FILE};
  for (int i = 0; i < RH_ARCHIVE_STREAMS; i++) names[i + 1] = STREAMS[i].file;
  for (int i = 0; i <= RH_ARCHIVE_STREAMS; i++) {
    char fpath[4096];
    join_path(fpath, sizeof fpath, w->dir, names[i]);
    if (rh_sha256_file(fpath, hex, errstr, errstr_size)) {
      fclose(sums);
      goto out;
    }
    fprintf(sums, "%s  %s\n", hex, names[i]);
  }
  if (fclose(sums) != 0) {
    rh_errf(errstr, errstr_size, "%s: %s", path, strerror(errno));
    goto out;
  }
  rc = 0;
out:
  writer_free(w);
  return rc;
}

/* ---- reading ---- */

int rh_archive_open(const char *dir, rh_archive_info_t *info, int *refused, char *errstr,
                        size_t errstr_size) {
  char path[4096], line[4096 + 80], hex[RH_SHA256_HEXSZ];
  bool listed[RH_ARCHIVE_STREAMS + 1] = {false};
  const char *names[RH_ARCHIVE_STREAMS + 1] = {INFO_FILE};
  for (int i = 0; i < RH_ARCHIVE_STREAMS; i++) names[i + 1] = STREAMS[i].file;
  memset(info, 0, sizeof *info);
  *refused = 0;
  if (join_path(path, sizeof path, dir, SUMS_FILE)) {
    rh_errf(errstr, errstr_size, "%s: path too long", dir);
    return -1;
  }
  FILE *sums = fopen(path, "r");
  if (!sums) {
    rh_errf(errstr, errstr_size, "%s: %s (not an archive of riskhub-replay?)", path,
            strerror(errno));
    return -1;
  }
  int lineno = 0, rc = -1;
  while (fgets(line, sizeof line, sums)) {
    lineno++;
    size_t n = strcspn(line, "\r\n");
    line[n] = '\0';
    if (!n) continue;
    /* "<64 hex>  <name>" or "<64 hex> *<name>" */
    if (n < 67 || line[64] != ' ' || (line[65] != ' ' && line[65] != '*')) {
      rh_errf(errstr, errstr_size, "%s:%d: not a line of sha256sum", path, lineno);
      *refused = 1;
      goto out;
    }
    const char *name = line + 66;
    int k = -1;
    for (int i = 0; i <= RH_ARCHIVE_STREAMS; i++)
      if (strcmp(name, names[i]) == 0) k = i;
    if (k < 0) continue; /* another file: not ours to check */
    char fpath[4096];
    if (join_path(fpath, sizeof fpath, dir, name) ||
        rh_sha256_file(fpath, hex, errstr, errstr_size))
      goto out;
    if (strncasecmp(hex, line, 64) != 0) {
      rh_errf(errstr, errstr_size, "%s: its SHA-256 is not the one %s lists: the archive was "
              "changed or damaged", fpath, SUMS_FILE);
      *refused = 1;
      goto out;
    }
    listed[k] = true;
  }
  /* rejects.avro: required from format 2 on (checked with archive.json) */
  for (int i = 0; i <= RH_ARCHIVE_STREAMS; i++)
    if (!listed[i] && i != RH_ARCHIVE_REJECTS + 1) {
      rh_errf(errstr, errstr_size, "%s: %s is not listed", path, names[i]);
      *refused = 1;
      goto out;
    }
  /* archive.json */
  json_error_t je;
  join_path(path, sizeof path, dir, INFO_FILE);
  json_t *o = json_load_file(path, 0, &je);
  if (!o) {
    rh_errf(errstr, errstr_size, "%s:%d: %s", path, je.line, je.text);
    *refused = 1;
    goto out;
  }
  const char *fmt = json_string_value(json_object_get(o, "format"));
  const char *period = json_string_value(json_object_get(o, "period"));
  const char *dept = json_string_value(json_object_get(o, "department"));
  const char *feed = json_string_value(json_object_get(o, "feed"));
  const char *prefix = json_string_value(json_object_get(o, "topic_prefix"));
  info->format = !fmt ? 0 : strcmp(fmt, FORMAT) == 0 ? 2 : strcmp(fmt, FORMAT_1) == 0 ? 1 : 0;
  if (!info->format || !period || strlen(period) != 7 || !prefix) {
    rh_errf(errstr, errstr_size, "%s: not a %s description", path, FORMAT);
    *refused = 1;
    json_decref(o);
    goto out;
  }
  if (info->format >= 2 && !listed[RH_ARCHIVE_REJECTS + 1]) {
    rh_errf(errstr, errstr_size, "%s/%s: %s is not listed", dir, SUMS_FILE,
            STREAMS[RH_ARCHIVE_REJECTS].file);
    *refused = 1;
    json_decref(o);
    goto out;
  }
  snprintf(info->period, sizeof info->period, "%s", period);
  snprintf(info->department, sizeof info->department, "%s", dept ? dept : "");
  snprintf(info->feed, sizeof info->feed, "%s", feed ? feed : "");
  snprintf(info->topic_prefix, sizeof info->topic_prefix, "%s", prefix);
  info->created_at = json_integer_value(json_object_get(o, "created_at"));
  json_t *c = json_object_get(o, "counts");
  for (int i = 0; i < RH_ARCHIVE_STREAMS; i++)
    info->counts[i] = (uint64_t)json_integer_value(json_object_get(c, STREAMS[i].file));
  json_decref(o);
  rc = 0;
out:
  fclose(sums);
  return rc;
}

/* The fingerprint of the record schema inside a wrapper, via its PCF. */
static const rh_avro_schema_t *inner_schema(avro_schema_t wrapper,
                                            const rh_avro_schemas_t *schemas, char *errstr,
                                            size_t errstr_size) {
  avro_schema_t inner = avro_schema_record_field_get(wrapper, "record");
  if (!inner) {
    rh_errf(errstr, errstr_size, "no field \"record\"");
    return NULL;
  }
  size_t cap = 1 << 16;
  char *json = NULL;
  for (;;) {
    char *j = realloc(json, cap);
    if (!j) {
      free(json);
      rh_errf(errstr, errstr_size, "out of memory");
      return NULL;
    }
    json = j;
    avro_writer_t mw = avro_writer_memory(json, (int64_t)cap - 1);
    int e = avro_schema_to_json(inner, mw);
    int64_t n = avro_writer_tell(mw);
    avro_writer_free(mw);
    if (!e) {
      json[n] = '\0';
      break;
    }
    if (cap > (1 << 24)) {
      free(json);
      rh_errf(errstr, errstr_size, "the record schema: %s", avro_strerror());
      return NULL;
    }
    cap *= 2;
  }
  char *pcf = NULL;
  uint64_t fp = 0;
  rh_avro_status_t st = rh_avro_canonical_form(json, strlen(json), &pcf, &fp, errstr, errstr_size);
  free(json);
  free(pcf);
  if (st != RH_AVRO_OK) return NULL;
  const rh_avro_schema_t *s = rh_avro_schemas_by_fingerprint(schemas, fp);
  if (!s) {
    char hex[RH_AVRO_FP_HEXSZ];
    rh_avro_fingerprint_hex(fp, hex);
    rh_errf(errstr, errstr_size, "its records were written with a schema this replay does not "
            "know (fingerprint %s)", hex);
  }
  return s;
}

/* ---- reading fast: the archive's own files, without Avro C's values ----
 *
 * A container file written by rh_archive_add (codec null) is read
 * straight from its bytes: the header (magic, metadata, sync marker), then
 * each block (count, size, datums, sync); each datum's wrapper fields are
 * read and its record skipped by its schema to find where it ends. The
 * record's bytes are the message's body as they are: no value is built.
 * Anything else (another codec, another layout) goes through Avro C. */

typedef struct {
  const unsigned char *p;
  size_t len, i;
} cur_t;

static int cur_long(cur_t *c, int64_t *out) {
  const unsigned char *p = c->p + c->i;
  if (rh_avro_wire_get_long(&p, c->p + c->len, out) != RH_AVRO_OK) return -1;
  c->i = (size_t)(p - c->p);
  return 0;
}

static int cur_skip(cur_t *c, int64_t n) {
  if (n < 0 || (uint64_t)n > c->len - c->i) return -1;
  c->i += (size_t)n;
  return 0;
}

static int cur_bytes(cur_t *c, const unsigned char **s, size_t *n) {
  const unsigned char *p = c->p + c->i;
  if (rh_avro_wire_get_bytes(&p, c->p + c->len, s, n) != RH_AVRO_OK) return -1;
  c->i = (size_t)(p - c->p);
  return 0;
}

/* Skip one value of schema sc. 0, or -1 if the bytes do not fit it. */
static int skip_value(avro_schema_t sc, cur_t *c, int depth) {
  int64_t n;
  if (depth > RH_AVRO_MAX_DEPTH) return -1;
  switch (avro_typeof(sc)) {
  case AVRO_NULL: return 0;
  case AVRO_BOOLEAN: return cur_skip(c, 1);
  case AVRO_INT32:
  case AVRO_INT64:
  case AVRO_ENUM: return cur_long(c, &n);
  case AVRO_FLOAT: return cur_skip(c, 4);
  case AVRO_DOUBLE: return cur_skip(c, 8);
  case AVRO_STRING:
  case AVRO_BYTES: return cur_long(c, &n) || cur_skip(c, n);
  case AVRO_FIXED: return cur_skip(c, avro_schema_fixed_size(sc));
  case AVRO_RECORD: {
    size_t fields = avro_schema_record_size(sc);
    for (size_t f = 0; f < fields; f++)
      if (skip_value(avro_schema_record_field_get_by_index(sc, (int)f), c, depth + 1)) return -1;
    return 0;
  }
  case AVRO_UNION: {
    if (cur_long(c, &n) || n < 0 || (size_t)n >= avro_schema_union_size(sc)) return -1;
    return skip_value(avro_schema_union_branch(sc, (int)n), c, depth + 1);
  }
  case AVRO_ARRAY:
  case AVRO_MAP: {
    bool map = avro_typeof(sc) == AVRO_MAP;
    avro_schema_t item = map ? avro_schema_map_values(sc) : avro_schema_array_items(sc);
    for (;;) {
      int64_t count, size;
      if (cur_long(c, &count)) return -1;
      if (count == 0) return 0;
      if (count < 0) { /* with the block's size: skip it whole */
        if (cur_long(c, &size) || cur_skip(c, size)) return -1;
        continue;
      }
      if ((uint64_t)count > c->len - c->i) return -1; /* every item takes a byte at least... */
      for (int64_t k = 0; k < count; k++)
        if ((map && (cur_long(c, &n) || cur_skip(c, n))) || skip_value(item, c, depth + 1))
          return -1;
    }
  }
  case AVRO_LINK: return skip_value(avro_schema_link_target(sc), c, depth + 1);
  default: return -1;
  }
}

/* 1 read, 0 not a file of this layout (read it with Avro C), -1 error. */
static int fast_read(const char *path, rh_archive_stream_t s, const rh_avro_schemas_t *schemas,
                     rh_msg_fn *fn, void *arg, uint64_t *count, const char *fn_err,
                     char *errstr, size_t errstr_size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    rh_errf(errstr, errstr_size, "%s: %s", path, strerror(errno));
    if (fd >= 0) close(fd);
    return -1;
  }
  size_t flen = (size_t)st.st_size;
  unsigned char *file = flen ? mmap(NULL, flen, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
  close(fd);
  if (flen && file == MAP_FAILED) {
    rh_errf(errstr, errstr_size, "%s: %s", path, strerror(errno));
    return -1;
  }
  if (flen) madvise(file, flen, MADV_SEQUENTIAL);
  cur_t c = {file, flen, 0};
  const unsigned char *sync = NULL, *schema_json = NULL, *v, *codec = NULL;
  size_t schema_len = 0, n, codec_len = 0;
  bool null_codec = true;
  avro_schema_t ws = NULL;
  char topic[512], why[256];
  buf_t msg = {0};
  int rc;
  rc = -1; /* from here a damaged header is an error, not a reason to try Avro C */
  if (flen < 4 || memcmp(file, "Obj\x01", 4) != 0) {
    rh_errf(errstr, errstr_size, "%s: not an Avro object container file", path);
    goto out;
  }
  c.i = 4;
  for (;;) { /* the metadata map */
    int64_t items;
    if (cur_long(&c, &items)) goto damaged;
    if (items == 0) break;
    if (items < 0) {
      int64_t size;
      items = -items;
      if (cur_long(&c, &size)) goto damaged;
    }
    for (int64_t k = 0; k < items; k++) {
      const unsigned char *key;
      size_t kl;
      if (cur_bytes(&c, &key, &kl) || cur_bytes(&c, &v, &n)) goto damaged;
      if (kl == 11 && memcmp(key, "avro.schema", 11) == 0) {
        schema_json = v;
        schema_len = n;
      } else if (kl == 10 && memcmp(key, "avro.codec", 10) == 0) {
        null_codec = n == 4 && memcmp(v, "null", 4) == 0;
        codec = v;
        codec_len = n;
      }
    }
  }
  if (!schema_json || flen - c.i < 16) goto damaged;
  if (!null_codec) { /* compressed: Avro C reads it, if it is a codec Avro C knows */
    static const char *const known[] = {"deflate", "snappy", "lzma"};
    for (size_t k = 0; k < 3; k++)
      if (codec_len == strlen(known[k]) && memcmp(codec, known[k], codec_len) == 0) rc = 0;
    if (rc) rh_errf(errstr, errstr_size, "%s: an unknown codec", path);
    goto out;
  }
  sync = file + c.i;
  c.i += 16;
  if (avro_schema_from_json_length((const char *)schema_json, schema_len, &ws)) {
    ws = NULL;
    goto damaged;
  }
  static const char *const names[] = {"topic", "partition", "offset", "timestamp", "key",
                                      "record"};
  bool layout = avro_typeof(ws) == AVRO_RECORD && avro_schema_record_size(ws) == 6;
  for (int k = 0; layout && k < 6; k++)
    layout = strcmp(avro_schema_record_field_name(ws, k), names[k]) == 0;
  if (!layout) {
    rh_errf(errstr, errstr_size, "%s: its records are not archived messages", path);
    goto out;
  }
  avro_schema_t rec_schema = avro_schema_record_field_get_by_index(ws, 5);
  const rh_avro_schema_t *inner = inner_schema(ws, schemas, why, sizeof why);
  if (!inner) {
    rh_errf(errstr, errstr_size, "%s: %s", path, why);
    rc = -1;
    goto out;
  }
  if (strcmp(inner->fullname, STREAMS[s].type) != 0) {
    rh_errf(errstr, errstr_size, "%s: holds %s, not %s", path, inner->fullname, STREAMS[s].type);
    rc = -1;
    goto out;
  }
  uint64_t done = 0;
  while (c.i < c.len) {
    int64_t items, size;
    if (cur_long(&c, &items) || cur_long(&c, &size) || items < 0 || size < 0 ||
        (uint64_t)size > c.len - c.i || c.len - c.i - (size_t)size < 16 ||
        memcmp(c.p + c.i + size, sync, 16) != 0) {
      rh_errf(errstr, errstr_size, "%s: a block of the file is damaged (after record %llu)",
              path, (unsigned long long)done);
      rc = -1;
      goto out;
    }
    cur_t b = {c.p + c.i, (size_t)size, 0};
    for (int64_t k = 0; k < items; k++) {
      const unsigned char *t, *key = NULL;
      size_t tl, kl = 0;
      int64_t partition, offset, ts, branch;
      if (cur_bytes(&b, &t, &tl) || tl >= sizeof topic || cur_long(&b, &partition) ||
          cur_long(&b, &offset) || cur_long(&b, &ts) || cur_long(&b, &branch) ||
          (branch != 0 && branch != 1) || (branch == 1 && cur_bytes(&b, &key, &kl))) {
        rh_errf(errstr, errstr_size, "%s: record %llu is not an archived message", path,
                (unsigned long long)done + 1);
        rc = -1;
        goto out;
      }
      size_t start = b.i;
      if (skip_value(rec_schema, &b, 0)) {
        rh_errf(errstr, errstr_size, "%s: record %llu: its %s is damaged", path,
                (unsigned long long)done + 1, inner->fullname);
        rc = -1;
        goto out;
      }
      size_t body = b.i - start;
      msg.len = 0;
      if (buf_room(&msg, RH_AVRO_HEADER_LEN + body)) {
        rh_errf(errstr, errstr_size, "out of memory");
        rc = -1;
        goto out;
      }
      rh_avro_wire_put_header(msg.p, inner->fingerprint);
      memcpy(msg.p + RH_AVRO_HEADER_LEN, b.p + start, body);
      memcpy(topic, t, tl);
      topic[tl] = '\0';
      rh_msg_t m = {topic, (int32_t)partition, offset, ts, branch == 1 ? key : NULL, kl,
                        msg.p, RH_AVRO_HEADER_LEN + body};
      done++;
      if (fn(arg, &m)) {
        if (fn_err) rh_errf(errstr, errstr_size, "%s", fn_err);
        rc = -1;
        goto out;
      }
    }
    if (b.i != b.len) {
      rh_errf(errstr, errstr_size, "%s: a block holds more than its %lld records", path,
              (long long)items);
      rc = -1;
      goto out;
    }
    c.i += (size_t)size + 16;
  }
  rc = 1;
  if (count) *count = done;
  goto out;
damaged:
  rh_errf(errstr, errstr_size, "%s: the file's header is damaged", path);
out:
  if (rc == 0 && count) *count = 0;
  free(msg.p);
  if (ws) avro_schema_decref(ws);
  if (flen) munmap(file, flen);
  return rc;
}

int rh_archive_read(const char *dir, rh_archive_stream_t s, const rh_avro_schemas_t *schemas,
                        rh_msg_fn *fn, void *arg, uint64_t *count, const char *fn_err,
                        char *errstr, size_t errstr_size) {
  char path[4096], why[512];
  avro_file_reader_t r = NULL;
  avro_schema_t ws = NULL;
  avro_value_iface_t *iface = NULL;
  avro_value_t v = {NULL, NULL};
  buf_t msg = {0};
  avro_writer_t mem = NULL;
  uint64_t n = 0;
  int rc = -1;
  if (count) *count = 0;
  if (join_path(path, sizeof path, dir, STREAMS[s].file)) {
    rh_errf(errstr, errstr_size, "%s: path too long", dir);
    return -1;
  }
  int fr = fast_read(path, s, schemas, fn, arg, count, fn_err, errstr, errstr_size);
  if (fr != 0) return fr > 0 ? 0 : -1;
  if (avro_file_reader(path, &r)) {
    rh_errf(errstr, errstr_size, "%s: %s", path, avro_strerror());
    return -1;
  }
  /* a new reference (Avro C increfs it) */
  ws = avro_file_reader_get_writer_schema(r);
  const rh_avro_schema_t *inner = inner_schema(ws, schemas, why, sizeof why);
  if (!inner) {
    rh_errf(errstr, errstr_size, "%s: %s", path, why);
    goto out;
  }
  if (strcmp(inner->fullname, STREAMS[s].type) != 0) {
    rh_errf(errstr, errstr_size, "%s: holds %s, not %s", path, inner->fullname, STREAMS[s].type);
    goto out;
  }
  if (!(iface = avro_generic_class_from_schema(ws)) || avro_generic_value_new(iface, &v)) {
    rh_errf(errstr, errstr_size, "%s: %s", path, avro_strerror());
    goto out;
  }
  for (;;) {
    avro_value_reset(&v);
    int e = avro_file_reader_read_value(r, &v);
    if (e == EOF) break;
    if (e) {
      rh_errf(errstr, errstr_size, "%s: record %llu: %s", path, (unsigned long long)n + 1,
              avro_strerror());
      goto out;
    }
    avro_value_t f, rec, b;
    const char *topic = NULL;
    size_t tlen;
    int32_t partition = 0;
    int64_t offset = 0, ts = -1;
    const void *key = NULL;
    size_t key_len = 0, body = 0;
    int disc = 0;
    if (avro_value_get_by_index(&v, 0, &f, NULL) || avro_value_get_string(&f, &topic, &tlen) ||
        avro_value_get_by_index(&v, 1, &f, NULL) || avro_value_get_int(&f, &partition) ||
        avro_value_get_by_index(&v, 2, &f, NULL) || avro_value_get_long(&f, &offset) ||
        avro_value_get_by_index(&v, 3, &f, NULL) || avro_value_get_long(&f, &ts) ||
        avro_value_get_by_index(&v, 4, &f, NULL) || avro_value_get_discriminant(&f, &disc) ||
        (disc == 1 && (avro_value_get_current_branch(&f, &b) ||
                       avro_value_get_bytes(&b, &key, &key_len))) ||
        avro_value_get_by_index(&v, 5, &rec, NULL) || avro_value_sizeof(&rec, &body)) {
      rh_errf(errstr, errstr_size, "%s: record %llu is not an archived message", path,
              (unsigned long long)n + 1);
      goto out;
    }
    msg.len = 0;
    if (buf_room(&msg, RH_AVRO_HEADER_LEN + body)) {
      rh_errf(errstr, errstr_size, "out of memory");
      goto out;
    }
    rh_avro_wire_put_header(msg.p, inner->fingerprint);
    char *dst = (char *)msg.p + RH_AVRO_HEADER_LEN;
    if (!mem) mem = avro_writer_memory(dst, (int64_t)body);
    else avro_writer_memory_set_dest(mem, dst, (int64_t)body);
    if (!mem || avro_value_write(mem, &rec)) {
      rh_errf(errstr, errstr_size, "%s: record %llu: %s", path, (unsigned long long)n + 1,
              avro_strerror());
      goto out;
    }
    rh_msg_t m = {topic, partition, offset, ts, disc == 1 ? key : NULL, key_len, msg.p,
                      RH_AVRO_HEADER_LEN + body};
    n++;
    if (fn(arg, &m)) {
      if (fn_err) rh_errf(errstr, errstr_size, "%s", fn_err);
      goto out;
    }
  }
  rc = 0;
out:
  if (count) *count = n;
  if (mem) avro_writer_free(mem);
  free(msg.p);
  if (v.iface) avro_value_decref(&v);
  if (iface) avro_value_iface_decref(iface);
  if (ws) avro_schema_decref(ws);
  if (r) avro_file_reader_close(r);
  return rc;
}
