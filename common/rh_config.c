/*
 * rh_config: load and validate config/riskhub.yaml.
 *
 * Two steps. libyaml's document API parses the text into a tree whose nodes
 * carry their line and column. Then one small function a section walks the
 * tree, checks it, and copies what it needs into an arena owned by the
 * configuration (so rh_config_destroy frees everything at once).
 *
 * Every mapping is first checked by check_map() against a table of the keys it
 * may hold (type, duplicate keys, unknown keys, required keys); the section
 * functions then read values with a few typed readers (want_string, want_int,
 * want_number, want_enum). The first problem found stops the load.
 */
#include "rh_config.h"

#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "rh_kafka_auth.h"
#include "rh_log.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define PATH_LEN 256               /* longest key path in an error message */
#define ARENA_BLOCK 16384          /* bytes an arena block */
#define MAX_FILE_BYTES (16u << 20) /* a configuration larger than this is a mistake */

/* ------------------------------------------------------------------ names */

static const char *const kind_names[] = {"signal", "check", "identity"};
static const char *const column_names[] = {"id_number",  "name",   "township", "village",
                                           "event_date", "amount", "subtype"};
static const char *const severity_names[] = {"low", "medium", "high"};
static const char *const op_names[] = {"eq", "ne", "gt", "gte", "lt", "lte", "in"};
static const char *const risk_codes[] = {
    "ILLNESS", "DISABILITY", "EDUCATION",      "DISASTER",   "ACCIDENT", "INDUSTRY_FAILURE",
    "EMPLOYMENT", "HOUSING", "DRINKING_WATER", "LOW_INCOME", "LABOR_SHORTAGE", "OTHER"};
static const char *const disaster_subtypes[] = {"FLOOD",      "DROUGHT",    "EARTHQUAKE",
                                                "GEOLOGICAL", "BIOLOGICAL", "METEOROLOGICAL",
                                                "FIRE",       "OTHER"};
static const char *const household_types[] = {"poverty_alleviated", "monitored", "ordinary"};
static const char *const monitoring_categories[] = {"unstable", "marginal", "sudden_hardship"};
static const char *const booleans[] = {"true", "false"};

_Static_assert(COUNT(column_names) == RH_COL_COUNT, "column names");

static const char *name_of(const char *const *names, size_t count, int i) {
  return i >= 0 && (size_t)i < count ? names[i] : "?";
}

const char *rh_feed_kind_name(rh_feed_kind_t k) {
  return name_of(kind_names, COUNT(kind_names), (int)k);
}
const char *rh_feed_column_name(rh_feed_column_t c) {
  return name_of(column_names, COUNT(column_names), (int)c);
}
const char *rh_severity_name(rh_severity_t s) {
  return name_of(severity_names, COUNT(severity_names), (int)s);
}
const char *rh_rule_op_name(rh_rule_op_t op) {
  return name_of(op_names, COUNT(op_names), (int)op);
}

static int index_of(const char *const *names, size_t count, const char *s) {
  for (size_t i = 0; s && i < count; i++)
    if (strcmp(names[i], s) == 0) return (int)i;
  return -1;
}

bool rh_config_risk_valid(const char *s) { return index_of(risk_codes, COUNT(risk_codes), s) >= 0; }
bool rh_config_risk_subtype_valid(const char *s) {
  return index_of(disaster_subtypes, COUNT(disaster_subtypes), s) >= 0;
}

/* "a, b or c" into buf. */
static const char *join_names(char *buf, size_t size, const char *const *names, size_t count) {
  size_t off = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < count && off < size; i++) {
    const char *sep = i == 0 ? "" : (i + 1 == count ? " or " : ", ");
    int n = snprintf(buf + off, size - off, "%s%s", sep, names[i]);
    if (n < 0) break;
    off += (size_t)n;
  }
  return buf;
}

/* ------------------------------------------------------------------ arena */

typedef struct arena_block_s {
  struct arena_block_s *next;
  size_t used, cap;
  max_align_t data[]; /* cap bytes */
} arena_block_t;

struct rh_config_arena_s {
  arena_block_t *head;
};

/* Zeroed memory that lives as long as the arena; NULL when out of memory. */
static void *arena_alloc(rh_config_arena_t *a, size_t n) {
  const size_t align = _Alignof(max_align_t);
  if (n > SIZE_MAX - align) return NULL;
  n = n == 0 ? align : (n + align - 1) / align * align;
  arena_block_t *b = a->head;
  if (!b || b->cap - b->used < n) {
    size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
    b = malloc(sizeof *b + cap);
    if (!b) return NULL;
    b->cap = cap;
    b->used = 0;
    b->next = a->head;
    a->head = b;
  }
  void *p = (unsigned char *)b->data + b->used;
  b->used += n;
  memset(p, 0, n);
  return p;
}

static void arena_free(rh_config_arena_t *a) {
  if (!a) return;
  for (arena_block_t *b = a->head, *next; b; b = next) {
    next = b->next;
    free(b);
  }
  free(a);
}

/* ------------------------------------------------------------------ context */

typedef struct {
  const char *file;
  yaml_document_t *doc;
  rh_config_t *cfg;
  rh_config_kv_t *kafka;             /* cfg->kafka, writable (env overrides) */
  rh_config_department_t *depts;     /* cfg->departments, writable */
  char *err;
  size_t errsz;
} cx_t;

/* Fill the error "file:line:col: path: message" (no position if mark is NULL,
 * no "path: " if path is empty). Returns -1 for `return cx_fail(...)`. */
__attribute__((format(printf, 4, 0))) static int cx_vfail(cx_t *cx, const yaml_mark_t *mark,
                                                          const char *path, const char *fmt,
                                                          va_list ap) {
  char msg[768];
  vsnprintf(msg, sizeof msg, fmt, ap);
  if (!cx->err || cx->errsz == 0) return -1;
  const char *sep = path && *path ? ": " : "";
  if (!path) path = "";
  if (mark)
    snprintf(cx->err, cx->errsz, "%s:%zu:%zu: %s%s%s", cx->file, mark->line + 1,
             mark->column + 1, path, sep, msg);
  else
    snprintf(cx->err, cx->errsz, "%s: %s%s%s", cx->file, path, sep, msg);
  return -1;
}

/* The error at a node (NULL: no position). */
__attribute__((format(printf, 4, 5))) static int cx_fail(cx_t *cx, const yaml_node_t *at,
                                                         const char *path, const char *fmt,
                                                         ...) {
  va_list ap;
  va_start(ap, fmt);
  cx_vfail(cx, at ? &at->start_mark : NULL, path, fmt, ap);
  va_end(ap);
  return -1;
}

__attribute__((format(printf, 3, 4))) static int cx_fail_mark(cx_t *cx, const yaml_mark_t *mark,
                                                              const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  cx_vfail(cx, mark, NULL, fmt, ap);
  va_end(ap);
  return -1;
}

static void *cx_calloc(cx_t *cx, size_t count, size_t size) {
  void *p = NULL;
  if (size == 0 || count <= SIZE_MAX / size) p = arena_alloc(cx->cfg->arena_, count * size);
  if (!p) cx_fail(cx, NULL, NULL, "out of memory");
  return p;
}

static const char *cx_strdup(cx_t *cx, const char *s) {
  size_t n = strlen(s) + 1;
  char *p = cx_calloc(cx, n, 1);
  if (p) memcpy(p, s, n);
  return p;
}

/* Key paths: "departments[3].feeds[0].kind". */
static const char *path_truncated(char *buf, int n) {
  if (n < 0 || n >= PATH_LEN) memcpy(buf + PATH_LEN - 4, "...", 4);
  return buf;
}
static const char *path_key(char *buf, const char *parent, const char *key) {
  return path_truncated(buf, snprintf(buf, PATH_LEN, "%s%s%s", parent, *parent ? "." : "", key));
}
static const char *path_index(char *buf, const char *parent, size_t i) {
  return path_truncated(buf, snprintf(buf, PATH_LEN, "%s[%zu]", parent, i));
}

/* ------------------------------------------------------------------ tree */

static yaml_node_t *node_at(cx_t *cx, int index) {
  return yaml_document_get_node(cx->doc, index);
}

static const char *scalar_text(const yaml_node_t *n) { return (const char *)n->data.scalar.value; }

/* A plain ~, null or nothing: YAML's null. */
static bool is_null(const yaml_node_t *n) {
  if (n->type != YAML_SCALAR_NODE) return false;
  if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return false;
  const char *s = scalar_text(n);
  return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
         !strcmp(s, "NULL");
}

static const char *node_kind(const yaml_node_t *n) {
  switch (n->type) {
    case YAML_MAPPING_NODE: return "a mapping";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_SCALAR_NODE: return is_null(n) ? "an empty value" : "a scalar";
    default: return "nothing";
  }
}

static size_t seq_len(const yaml_node_t *n) {
  return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}
static yaml_node_t *seq_item(cx_t *cx, const yaml_node_t *n, size_t i) {
  return node_at(cx, n->data.sequence.items.start[i]);
}
static size_t map_len(const yaml_node_t *n) {
  return (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
}
static yaml_node_t *map_key(cx_t *cx, const yaml_node_t *n, size_t i) {
  return node_at(cx, n->data.mapping.pairs.start[i].key);
}
static yaml_node_t *map_value(cx_t *cx, const yaml_node_t *n, size_t i) {
  return node_at(cx, n->data.mapping.pairs.start[i].value);
}

/* The value of key in mapping n, or NULL. Keys were checked to be scalars. */
static yaml_node_t *map_get(cx_t *cx, const yaml_node_t *n, const char *key) {
  for (size_t i = 0; i < map_len(n); i++) {
    yaml_node_t *k = map_key(cx, n, i);
    if (k->type == YAML_SCALAR_NODE && strcmp(scalar_text(k), key) == 0)
      return map_value(cx, n, i);
  }
  return NULL;
}

/* ------------------------------------------------------------------ shapes */

typedef struct {
  const char *key;
  bool required;
} keyspec_t;

static int want_map(cx_t *cx, const yaml_node_t *n, const char *path) {
  if (n->type == YAML_MAPPING_NODE) return 0;
  return cx_fail(cx, n, path, "expected a mapping, found %s", node_kind(n));
}

/* A list; min_items 1 means it must not be empty. */
static int want_seq(cx_t *cx, const yaml_node_t *n, const char *path, size_t min_items) {
  if (n->type != YAML_SEQUENCE_NODE)
    return cx_fail(cx, n, path, "expected a list, found %s", node_kind(n));
  if (seq_len(n) < min_items) return cx_fail(cx, n, path, "must not be empty");
  return 0;
}

/*
 * n must be a mapping whose keys are non-empty scalars, each once. With a spec
 * (terminated by {NULL}), every key must be in it and every required key
 * present; a missing key is reported at the mapping itself.
 */
static int check_map(cx_t *cx, const yaml_node_t *n, const char *path, const keyspec_t *spec) {
  char p[PATH_LEN];
  if (want_map(cx, n, path)) return -1;
  for (size_t i = 0; i < map_len(n); i++) {
    const yaml_node_t *k = map_key(cx, n, i);
    if (k->type != YAML_SCALAR_NODE || is_null(k))
      return cx_fail(cx, k, path, "expected a plain key, found %s", node_kind(k));
    const char *key = scalar_text(k);
    for (size_t j = 0; j < i; j++) {
      const yaml_node_t *other = map_key(cx, n, j);
      if (other->type == YAML_SCALAR_NODE && strcmp(scalar_text(other), key) == 0)
        return cx_fail(cx, k, path_key(p, path, key), "duplicate key (first at line %zu)",
                       other->start_mark.line + 1);
    }
    if (!spec) continue;
    const keyspec_t *s = spec;
    while (s->key && strcmp(s->key, key) != 0) s++;
    if (!s->key) {
      const char *names[24];
      size_t count = 0;
      for (s = spec; s->key && count < COUNT(names); s++) names[count++] = s->key;
      char list[512];
      return cx_fail(cx, k, path_key(p, path, key), "unknown key '%.64s' (expected %s)", key,
                     join_names(list, sizeof list, names, count));
    }
  }
  for (const keyspec_t *s = spec; s && s->key; s++)
    if (s->required && !map_get(cx, n, s->key))
      return cx_fail(cx, n, path_key(p, path, s->key), "required key missing");
  return 0;
}

/* A non-empty scalar, copied into the configuration. */
static int want_string(cx_t *cx, const yaml_node_t *n, const char *path, const char **out) {
  if (n->type != YAML_SCALAR_NODE)
    return cx_fail(cx, n, path, "expected a string, found %s", node_kind(n));
  if (is_null(n) || !*scalar_text(n)) return cx_fail(cx, n, path, "must not be empty");
  return (*out = cx_strdup(cx, scalar_text(n))) ? 0 : -1;
}

/* want_string on map[key] (path is the map's); absent: *out = NULL, 0. */
static int get_string(cx_t *cx, const yaml_node_t *map, const char *path, const char *key,
                      const char **out) {
  char p[PATH_LEN];
  const yaml_node_t *v = map_get(cx, map, key);
  *out = NULL;
  return v ? want_string(cx, v, path_key(p, path, key), out) : 0;
}

/* A decimal number: [+-]digits[.digits][(e|E)[+-]digits]; finite. */
static bool parse_number(const char *s, double *out) {
  const char *q = s;
  if (*q == '+' || *q == '-') q++;
  size_t digits = strspn(q, "0123456789");
  q += digits;
  if (*q == '.') {
    size_t frac = strspn(q + 1, "0123456789");
    digits += frac;
    q += 1 + frac;
  }
  if (digits == 0) return false;
  if (*q == 'e' || *q == 'E') {
    q++;
    if (*q == '+' || *q == '-') q++;
    size_t exp = strspn(q, "0123456789");
    if (exp == 0) return false;
    q += exp;
  }
  if (*q) return false;
  errno = 0;
  double v = strtod(s, NULL);
  if (errno == ERANGE || !isfinite(v)) return false;
  *out = v;
  return true;
}

static int want_number(cx_t *cx, const yaml_node_t *n, const char *path, double *out) {
  if (n->type != YAML_SCALAR_NODE)
    return cx_fail(cx, n, path, "expected a number, found %s", node_kind(n));
  if (!parse_number(scalar_text(n), out))
    return cx_fail(cx, n, path, "'%.64s' is not a number", scalar_text(n));
  return 0;
}

static int want_int(cx_t *cx, const yaml_node_t *n, const char *path, int min, int max,
                    int *out) {
  double v;
  if (want_number(cx, n, path, &v)) return -1;
  if (v != floor(v) || v < min || v > max)
    return cx_fail(cx, n, path, "must be a whole number from %d to %d, found %.64s", min, max,
                   scalar_text(n));
  *out = (int)v;
  return 0;
}

/* One of names; what names the thing in the message ("unknown kind 'x'"). */
static int want_enum(cx_t *cx, const yaml_node_t *n, const char *path, const char *what,
                     const char *const *names, size_t count, int *out) {
  const char *s;
  if (want_string(cx, n, path, &s)) return -1;
  int i = index_of(names, count, s);
  if (i < 0) {
    char list[512];
    return cx_fail(cx, n, path, "unknown %s '%.64s' (expected %s)", what, s,
                   join_names(list, sizeof list, names, count));
  }
  *out = i;
  return 0;
}

/* Identifiers: first a lower-case letter, then lower-case letters, digits and
 * the characters of extra. */
static bool is_ident(const char *s, const char *extra) {
  if (!(*s >= 'a' && *s <= 'z')) return false;
  for (s++; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || strchr(extra, *s)))
      return false;
  return true;
}

static bool all_digits(const char *s, size_t len) {
  return strlen(s) == len && strspn(s, "0123456789") == len;
}

/* A code used in topic names and rule references: [a-z][a-z0-9-]*. */
static int want_code(cx_t *cx, const yaml_node_t *map, const char *path, const char **out) {
  char p[PATH_LEN];
  if (get_string(cx, map, path, "code", out)) return -1;
  if (!is_ident(*out, "-"))
    return cx_fail(cx, map_get(cx, map, "code"), path_key(p, path, "code"),
                   "'%.64s' is not a valid code (lower-case letters, digits and '-', "
                   "starting with a letter)",
                   *out);
  return 0;
}

/* A rule's id (map[id]): [a-z][a-z0-9-]*. */
static int want_rule_id(cx_t *cx, const yaml_node_t *map, const char *path, const char **out) {
  char p[PATH_LEN];
  if (get_string(cx, map, path, "id", out)) return -1;
  if (!is_ident(*out, "-"))
    return cx_fail(cx, map_get(cx, map, "id"), path_key(p, path, "id"),
                   "'%.64s' is not a valid rule id (lower-case letters, digits and '-', "
                   "starting with a letter)",
                   *out);
  return 0;
}

/* If an earlier item of seq has the same scalar under key, its line (else 0). */
static size_t earlier_line(cx_t *cx, const yaml_node_t *seq, size_t i, const char *key,
                           const char *value) {
  for (size_t j = 0; j < i; j++) {
    const yaml_node_t *v = map_get(cx, seq_item(cx, seq, j), key);
    if (v && v->type == YAML_SCALAR_NODE && strcmp(scalar_text(v), value) == 0)
      return v->start_mark.line + 1;
  }
  return 0;
}

static int check_unique(cx_t *cx, const yaml_node_t *seq, size_t i, const char *path,
                        const char *key, const char *what) {
  char p[PATH_LEN];
  const yaml_node_t *v = map_get(cx, seq_item(cx, seq, i), key);
  size_t line = earlier_line(cx, seq, i, key, scalar_text(v));
  if (line)
    return cx_fail(cx, v, path_key(p, path, key), "duplicate %s '%.64s' (first at line %zu)",
                   what, scalar_text(v), line);
  return 0;
}

/* ------------------------------------------------------------------ county */

static int parse_county(cx_t *cx, const yaml_node_t *n) {
  static const keyspec_t keys[] = {{"code", true}, {"name", true}, {NULL, false}};
  rh_config_t *cfg = cx->cfg;
  if (check_map(cx, n, "county", keys) || get_string(cx, n, "county", "code", &cfg->county_code) ||
      get_string(cx, n, "county", "name", &cfg->county_name))
    return -1;
  if (!all_digits(cfg->county_code, 6))
    return cx_fail(cx, map_get(cx, n, "code"), "county.code",
                   "'%.64s' is not a 6-digit division code (e.g. 411024)", cfg->county_code);
  return 0;
}

/* ------------------------------------------------------------------ kafka */

/* Every key goes to librdkafka as it is (as kcat's try_conf_set does); each is
 * tried on a scratch configuration now so that a misspelt property is reported
 * with its line rather than when a program starts. */
static int parse_kafka(cx_t *cx, const yaml_node_t *n) {
  char p[PATH_LEN], rderr[512];
  if (check_map(cx, n, "kafka", NULL)) return -1;
  size_t count = map_len(n);
  rh_config_kv_t *kv = count ? cx_calloc(cx, count, sizeof *kv) : NULL;
  if (count && !kv) return -1;
  cx->kafka = kv;
  cx->cfg->kafka = kv;
  cx->cfg->kafka_count = count;

  rd_kafka_conf_t *scratch = rd_kafka_conf_new();
  int rc = 0;
  for (size_t i = 0; i < count && rc == 0; i++) {
    const yaml_node_t *v = map_value(cx, n, i);
    const char *key = scalar_text(map_key(cx, n, i));
    path_key(p, "kafka", key);
    if (v->type != YAML_SCALAR_NODE) {
      rc = cx_fail(cx, v, p, "expected a single value (string, number or boolean), found %s",
                   node_kind(v));
    } else if (want_string(cx, v, p, &kv[i].value) || !(kv[i].key = cx_strdup(cx, key))) {
      rc = -1;
    } else if (rh_kafka_auth_forbidden_key(key)) {
      /* "kafka: <key> refused": a path ending in "password:" would have the
       * log's scrubber mask the message's first word */
      rc = cx_fail(cx, map_key(cx, n, i), "kafka", "%.64s refused: %s", key,
                   rh_kafka_auth_forbidden_key(key));
    } else if (strcmp(key, "plugin.library.paths") != 0 && /* would load the plugin */
               rd_kafka_conf_set(scratch, key, kv[i].value, rderr, sizeof rderr) !=
                   RD_KAFKA_CONF_OK) {
      /* librdkafka names the property and, for enum/number properties, the
       * bad value; never for free-text ones such as sasl.password. */
      rc = cx_fail(cx, v, p, "librdkafka: %s", rderr);
    } else if (strcmp(key, "bootstrap.servers") == 0) {
      cx->cfg->kafka_bootstrap = kv[i].value;
    }
  }
  rd_kafka_conf_destroy(scratch);
  if (rc == 0 && !cx->cfg->kafka_bootstrap)
    rc = cx_fail(cx, n, "kafka.bootstrap.servers", "required key missing");
  return rc;
}

/* ------------------------------------------------------------------ postgres */

static int parse_postgres(cx_t *cx, const yaml_node_t *n) {
  static const keyspec_t keys[] = {{"conninfo", true}, {NULL, false}};
  if (check_map(cx, n, "postgres", keys)) return -1;
  return get_string(cx, n, "postgres", "conninfo", &cx->cfg->pg_conninfo);
}

/* ------------------------------------------------------------------ townships */

static int parse_townships(cx_t *cx, const yaml_node_t *n) {
  static const keyspec_t keys[] = {{"code", true}, {"name", true}, {NULL, false}};
  char p[PATH_LEN], pk[PATH_LEN];
  rh_config_t *cfg = cx->cfg;
  if (want_seq(cx, n, "townships", 1)) return -1;
  size_t count = seq_len(n);
  rh_config_township_t *t = cx_calloc(cx, count, sizeof *t);
  if (!t) return -1;
  cfg->townships = t;
  cfg->township_count = count;
  for (size_t i = 0; i < count; i++) {
    const yaml_node_t *item = seq_item(cx, n, i);
    path_index(p, "townships", i);
    if (check_map(cx, item, p, keys) || get_string(cx, item, p, "code", &t[i].code) ||
        get_string(cx, item, p, "name", &t[i].name))
      return -1;
    const yaml_node_t *code = map_get(cx, item, "code");
    if (!all_digits(t[i].code, 9))
      return cx_fail(cx, code, path_key(pk, p, "code"),
                     "township code '%.64s' must have 9 digits", t[i].code);
    if (strncmp(t[i].code, cfg->county_code, 6) != 0)
      return cx_fail(cx, code, path_key(pk, p, "code"),
                     "township code '%s' does not start with the county code %s", t[i].code,
                     cfg->county_code);
    if (check_unique(cx, n, i, p, "code", "township code") ||
        check_unique(cx, n, i, p, "name", "township name"))
      return -1;
  }
  return 0;
}

/* ------------------------------------------------------------------ feeds */

static int parse_columns(cx_t *cx, const yaml_node_t *n, const char *path, rh_config_feed_t *f) {
  char p[PATH_LEN], list[256];
  if (check_map(cx, n, path, NULL)) return -1;
  for (size_t i = 0; i < map_len(n); i++) {
    const yaml_node_t *k = map_key(cx, n, i);
    const char *field = scalar_text(k);
    int c = index_of(column_names, COUNT(column_names), field);
    path_key(p, path, field);
    if (c < 0)
      return cx_fail(cx, k, p,
                     "unknown column field '%.64s' (expected %s; other columns go under facts)",
                     field, join_names(list, sizeof list, column_names, COUNT(column_names)));
    if (want_string(cx, map_value(cx, n, i), p, &f->columns[c])) return -1;
    if (c == RH_COL_SUBTYPE && !(f->risk && strcmp(f->risk, "DISASTER") == 0))
      return cx_fail(cx, k, p, "a subtype column is only allowed with risk DISASTER");
  }
  if (!f->columns[RH_COL_ID_NUMBER])
    return cx_fail(cx, n, path_key(p, path, "id_number"), "required key missing");
  return 0;
}

static int parse_facts(cx_t *cx, const yaml_node_t *n, const char *path, rh_config_feed_t *f) {
  char p[PATH_LEN];
  if (check_map(cx, n, path, NULL)) return -1;
  size_t count = map_len(n);
  rh_config_fact_t *facts = count ? cx_calloc(cx, count, sizeof *facts) : NULL;
  if (count && !facts) return -1;
  for (size_t i = 0; i < count; i++) {
    const yaml_node_t *k = map_key(cx, n, i);
    const char *name = scalar_text(k);
    path_key(p, path, name);
    if (!is_ident(name, "_"))
      return cx_fail(cx, k, p,
                     "'%.64s' is not a valid fact name (lower-case letters, digits and '_', "
                     "starting with a letter)",
                     name);
    if (index_of(column_names, COUNT(column_names), name) >= 0)
      return cx_fail(cx, k, p, "'%s' is a canonical field: map it under columns", name);
    if (want_string(cx, map_value(cx, n, i), p, &facts[i].header) ||
        !(facts[i].name = cx_strdup(cx, name)))
      return -1;
  }
  f->facts = facts;
  f->fact_count = count;
  return 0;
}

static int parse_required(cx_t *cx, const yaml_node_t *n, const char *path, rh_config_feed_t *f) {
  char p[PATH_LEN], list[256];
  if (want_seq(cx, n, path, 0)) return -1;
  for (size_t i = 0; i < seq_len(n); i++) {
    const yaml_node_t *item = seq_item(cx, n, i);
    const char *field;
    path_index(p, path, i);
    if (want_string(cx, item, p, &field)) return -1;
    int c = index_of(column_names, COUNT(column_names), field);
    if (c < 0)
      return cx_fail(cx, item, p, "unknown field '%.64s' (expected %s)", field,
                     join_names(list, sizeof list, column_names, COUNT(column_names)));
    if (!f->columns[c])
      return cx_fail(cx, item, p, "required field '%s' has no column (add columns.%s)", field,
                     field);
    f->required[c] = true;
  }
  return 0;
}

static int parse_feed(cx_t *cx, const yaml_node_t *n, const char *path,
                      rh_config_department_t *d, rh_config_feed_t *f) {
  static const keyspec_t keys[] = {
      {"code", true},     {"name", true},     {"kind", true},  {"risk", false},
      {"risk_subtype", false}, {"columns", true}, {"facts", false}, {"required", false},
      {NULL, false}};
  char p[PATH_LEN];
  int kind;
  if (check_map(cx, n, path, keys) || want_code(cx, n, path, &f->code) ||
      get_string(cx, n, path, "name", &f->name) ||
      want_enum(cx, map_get(cx, n, "kind"), path_key(p, path, "kind"), "kind", kind_names,
                COUNT(kind_names), &kind))
    return -1;
  f->kind = (rh_feed_kind_t)kind;
  f->department = d;
  if (strcmp(f->code, "manifests") == 0 || strcmp(f->code, "rejects") == 0)
    return cx_fail(cx, map_get(cx, n, "code"), path_key(p, path, "code"),
                   "'%s' is reserved: feed.<department>.%s is the department's own %s topic",
                   f->code, f->code, f->code);

  const yaml_node_t *risk = map_get(cx, n, "risk"), *sub = map_get(cx, n, "risk_subtype");
  path_key(p, path, "risk");
  if (f->kind == RH_FEED_SIGNAL && !risk)
    return cx_fail(cx, n, p, "required key missing (signal feeds need a risk)");
  if (f->kind != RH_FEED_SIGNAL && risk)
    return cx_fail(cx, risk, p, "only signal feeds have a risk (this is a %s feed)",
                   kind_names[kind]);
  int i;
  if (risk) {
    if (want_enum(cx, risk, p, "risk", risk_codes, COUNT(risk_codes), &i)) return -1;
    f->risk = risk_codes[i];
  }
  if (sub) {
    path_key(p, path, "risk_subtype");
    if (!f->risk || strcmp(f->risk, "DISASTER") != 0)
      return cx_fail(cx, sub, p, "risk_subtype is only allowed with risk DISASTER");
    if (want_enum(cx, sub, p, "risk sub-type", disaster_subtypes, COUNT(disaster_subtypes), &i))
      return -1;
    f->risk_subtype = disaster_subtypes[i];
  }

  const yaml_node_t *facts = map_get(cx, n, "facts"), *req = map_get(cx, n, "required");
  if (parse_columns(cx, map_get(cx, n, "columns"), path_key(p, path, "columns"), f) ||
      (facts && parse_facts(cx, facts, path_key(p, path, "facts"), f)) ||
      (req && parse_required(cx, req, path_key(p, path, "required"), f)))
    return -1;
  f->required[RH_COL_ID_NUMBER] = true;
  /* f->topic is set by build_topics(), once the topic prefix is known. */
  return 0;
}

static int parse_departments(cx_t *cx, const yaml_node_t *n) {
  static const keyspec_t keys[] = {
      {"code", true}, {"name", true}, {"feeds", true}, {NULL, false}};
  char p[PATH_LEN], pf[PATH_LEN], pi[PATH_LEN];
  if (want_seq(cx, n, "departments", 1)) return -1;
  size_t count = seq_len(n);
  rh_config_department_t *d = cx_calloc(cx, count, sizeof *d);
  if (!d) return -1;
  cx->depts = d;
  cx->cfg->departments = d;
  cx->cfg->department_count = count;
  for (size_t i = 0; i < count; i++) {
    const yaml_node_t *item = seq_item(cx, n, i);
    path_index(p, "departments", i);
    if (check_map(cx, item, p, keys) || want_code(cx, item, p, &d[i].code) ||
        check_unique(cx, n, i, p, "code", "department code") ||
        get_string(cx, item, p, "name", &d[i].name))
      return -1;
    const yaml_node_t *feeds = map_get(cx, item, "feeds");
    path_key(pf, p, "feeds");
    if (want_seq(cx, feeds, pf, 1)) return -1;
    size_t nfeeds = seq_len(feeds);
    rh_config_feed_t *f = cx_calloc(cx, nfeeds, sizeof *f);
    if (!f) return -1;
    d[i].feeds = f;
    d[i].feed_count = nfeeds;
    for (size_t j = 0; j < nfeeds; j++) {
      path_index(pi, pf, j);
      if (parse_feed(cx, seq_item(cx, feeds, j), pi, &d[i], &f[j]) ||
          check_unique(cx, feeds, j, pi, "code", "feed code"))
        return -1;
    }
  }
  return 0;
}

/* ------------------------------------------------------------------ deadlines, thresholds */

static int parse_deadlines(cx_t *cx, const yaml_node_t *n) {
  static const struct {
    const char *key;
    int min, max;
    size_t offset;
  } fields[] = {
      {"delivery_day", 1, 28, offsetof(rh_config_deadlines_t, delivery_day)},
      {"home_visit_days", 1, 366, offsetof(rh_config_deadlines_t, home_visit_days)},
      {"comparison_days", 1, 366, offsetof(rh_config_deadlines_t, comparison_days)},
      {"procedure_working_days", 1, 366, offsetof(rh_config_deadlines_t, procedure_working_days)},
  };
  static const keyspec_t keys[] = {{"delivery_day", true},
                                   {"home_visit_days", true},
                                   {"comparison_days", true},
                                   {"procedure_working_days", true},
                                   {NULL, false}};
  char p[PATH_LEN];
  if (check_map(cx, n, "deadlines", keys)) return -1;
  for (size_t i = 0; i < COUNT(fields); i++) {
    int *out = (int *)((char *)&cx->cfg->deadlines + fields[i].offset);
    if (want_int(cx, map_get(cx, n, fields[i].key), path_key(p, "deadlines", fields[i].key),
                 fields[i].min, fields[i].max, out))
      return -1;
  }
  return 0;
}

static int parse_thresholds(cx_t *cx, const yaml_node_t *n) {
  char p[PATH_LEN];
  if (check_map(cx, n, "thresholds", NULL)) return -1;
  size_t count = map_len(n);
  rh_config_threshold_t *t = count ? cx_calloc(cx, count, sizeof *t) : NULL;
  if (count && !t) return -1;
  for (size_t i = 0; i < count; i++) {
    const yaml_node_t *k = map_key(cx, n, i);
    path_key(p, "thresholds", scalar_text(k));
    if (!is_ident(scalar_text(k), "_"))
      return cx_fail(cx, k, p,
                     "'%.64s' is not a valid threshold name (lower-case letters, digits and "
                     "'_', starting with a letter)",
                     scalar_text(k));
    if (want_number(cx, map_value(cx, n, i), p, &t[i].value) ||
        !(t[i].name = cx_strdup(cx, scalar_text(k))))
      return -1;
  }
  cx->cfg->thresholds = t;
  cx->cfg->threshold_count = count;
  return 0;
}

/* The reasons for not including a household when the configuration names
 * none (verification.not_included_reasons). */
static const rh_config_reason_t default_reasons[] = {
    {"income_above_line", "收入高于监测范围"},
    {"risk_resolved", "风险已消除"},
    {"list_wrong", "部门信息有误"},
    {"moved_away", "已迁出或不在本地"},
    {"other", "其他"},
};

/* verification: {not_included_reasons: [{code, label}, ...]} (docs/verify.md). */
static int parse_verification(cx_t *cx, const yaml_node_t *n) {
  static const keyspec_t keys[] = {{"not_included_reasons", true}, {NULL, false}};
  static const keyspec_t rkeys[] = {{"code", true}, {"label", true}, {NULL, false}};
  char p[PATH_LEN], pk[PATH_LEN];
  if (check_map(cx, n, "verification", keys)) return -1;
  const yaml_node_t *list = map_get(cx, n, "not_included_reasons");
  if (want_seq(cx, list, "verification.not_included_reasons", 1)) return -1;
  size_t count = seq_len(list);
  rh_config_reason_t *r = cx_calloc(cx, count, sizeof *r);
  if (!r) return -1;
  for (size_t i = 0; i < count; i++) {
    const yaml_node_t *item = seq_item(cx, list, i);
    path_index(p, "verification.not_included_reasons", i);
    if (check_map(cx, item, p, rkeys) || get_string(cx, item, p, "code", &r[i].code) ||
        get_string(cx, item, p, "label", &r[i].label))
      return -1;
    if (!is_ident(r[i].code, "_"))
      return cx_fail(cx, map_get(cx, item, "code"), path_key(pk, p, "code"),
                     "'%.64s' is not a valid reason code (lower-case letters, digits and '_', "
                     "starting with a letter)",
                     r[i].code);
    if (!*r[i].label)
      return cx_fail(cx, map_get(cx, item, "label"), path_key(pk, p, "label"),
                     "a reason needs a label the township official reads");
    if (check_unique(cx, list, i, p, "code", "reason code") ||
        check_unique(cx, list, i, p, "label", "reason label"))
      return -1;
  }
  cx->cfg->reasons = r;
  cx->cfg->reason_count = count;
  return 0;
}

/* registry: {max_delete_share: 0.05} — the import guard (docs/registry.md). */
static int parse_registry(cx_t *cx, const yaml_node_t *n) {
  static const keyspec_t keys[] = {{"max_delete_share", false}, {NULL, false}};
  if (check_map(cx, n, "registry", keys)) return -1;
  const yaml_node_t *v = map_get(cx, n, "max_delete_share");
  if (!v) return 0;
  double share;
  if (want_number(cx, v, "registry.max_delete_share", &share)) return -1;
  if (share < 0 || share > 1)
    return cx_fail(cx, v, "registry.max_delete_share",
                   "must be a share from 0 to 1 (0.05 = 5 %%), found %.64s", scalar_text(v));
  cx->cfg->registry.max_delete_share = share;
  return 0;
}

static const char *const topic_class_names[RH_TOPIC_CLASS_COUNT] = {
    "feeds", "manifests", "rejects", "alerts", "checks", "dlq", "verifications", "outbound"};

const char *rh_topic_class_name(rh_topic_class_t c) {
  return c >= 0 && c < RH_TOPIC_CLASS_COUNT ? topic_class_names[c] : NULL;
}

size_t rh_config_department_topics(const rh_config_t *cfg, rh_topic_class_t cls,
                                   const char **names) {
  size_t n = 0;
  for (size_t i = 0; i < cfg->department_count; i++) {
    const rh_config_department_t *d = &cfg->departments[i];
    const char *t = cls == RH_TOPIC_MANIFESTS ? d->manifests_topic
                    : cls == RH_TOPIC_REJECTS ? d->rejects_topic
                                              : NULL;
    if (t) names[n++] = t;
  }
  return n;
}

int rh_config_legacy_topic(const rh_config_t *cfg, rh_topic_class_t cls, char *buf, size_t size) {
  if (cls != RH_TOPIC_MANIFESTS && cls != RH_TOPIC_REJECTS) {
    if (buf && size) buf[0] = '\0';
    return -1;
  }
  return rh_config_topic(cfg, cls == RH_TOPIC_MANIFESTS ? "feed.manifests" : "feed.rejects", buf,
                         size);
}

rh_topic_class_t rh_config_topic_class(const char *prefix, const char *topic) {
  size_t pl = prefix ? strlen(prefix) : 0;
  if (!topic || strncmp(topic, prefix ? prefix : "", pl) != 0) return RH_TOPIC_OTHER;
  const char *t = topic + pl;
  /* the topics every department shared before 2026-12 */
  if (strcmp(t, "feed.manifests") == 0) return RH_TOPIC_MANIFESTS;
  if (strcmp(t, "feed.rejects") == 0) return RH_TOPIC_REJECTS;
  if (strncmp(t, "feed.", 5) == 0 && t[5]) {
    const char *dot = strchr(t + 5, '.');
    if (dot && strcmp(dot, ".manifests") == 0) return RH_TOPIC_MANIFESTS;
    if (dot && strcmp(dot, ".rejects") == 0) return RH_TOPIC_REJECTS;
    return RH_TOPIC_FEEDS;
  }
  if (strncmp(t, "alerts.", 7) == 0 && t[7]) return RH_TOPIC_ALERTS;
  if (strncmp(t, "checks.", 7) == 0 && t[7]) return RH_TOPIC_CHECKS;
  /* the townships' identity discrepancies (riskhub-identity, docs/identity.md):
   * comparisons too, kept as the check results are */
  if (strncmp(t, "identity.", 9) == 0 && t[9]) return RH_TOPIC_CHECKS;
  if (strcmp(t, "riskhub.dlq") == 0) return RH_TOPIC_DLQ;
  /* the county's scale risks (riskhub-scale, docs/scale.md): warnings too */
  if (strcmp(t, "riskhub.scale-risks") == 0) return RH_TOPIC_ALERTS;
  if (strncmp(t, "verifications.", 14) == 0 && t[14]) return RH_TOPIC_VERIFICATIONS;
  if (strncmp(t, "outbound.", 9) == 0 && t[9]) return RH_TOPIC_OUTBOUND;
  return RH_TOPIC_OTHER;
}

/* A duration: a whole number and a unit (ms, s, min, h, d: "400d", "90s"), from
 * 1 s to 100 years; "forever" (-1) where allowed. */
static int want_duration_ms(cx_t *cx, const yaml_node_t *n, const char *path, bool forever_ok,
                            int64_t *out) {
  static const struct {
    const char *unit;
    int64_t ms;
  } units[] = {{"ms", 1}, {"s", 1000}, {"min", 60000}, {"h", 3600000}, {"d", 86400000}};
  const char *s;
  if (want_string(cx, n, path, &s)) return -1;
  if (forever_ok && strcmp(s, "forever") == 0) {
    *out = -1;
    return 0;
  }
  int64_t v = 0;
  const char *p = s;
  while (*p >= '0' && *p <= '9' && v < 1000000000) v = v * 10 + (*p++ - '0');
  for (size_t i = 0; p != s && i < sizeof units / sizeof units[0]; i++) {
    if (strcmp(p, units[i].unit) != 0) continue;
    int64_t ms = v * units[i].ms;
    if (ms < 1000 || ms > 36500LL * 86400000LL)
      return cx_fail(cx, n, path, "must be from 1s to 36500d, found %.64s", s);
    *out = ms;
    return 0;
  }
  return cx_fail(cx, n, path,
                 "expected a duration: a whole number and ms, s, min, h or d (\"400d\")%s, "
                 "found '%.64s'",
                 forever_ok ? ", or forever" : "", s);
}

/* topics: {replication_factor: 3, min_insync_replicas: 2, retention: {alerts: 400d,
 * ...}, segment: 30d} — the topics riskhub creates (docs/configuration.md).
 * min_insync_replicas is checked against the replication factor after the
 * environment overrides (check_topics). */
static int parse_topics(cx_t *cx, const yaml_node_t *n) {
  static const keyspec_t keys[] = {{"replication_factor", false},
                                   {"min_insync_replicas", false},
                                   {"retention", false},
                                   {"segment", false},
                                   {NULL, false}};
  static const keyspec_t class_keys[] = {{"feeds", false},  {"manifests", false},
                                         {"rejects", false}, {"alerts", false},
                                         {"checks", false}, {"dlq", false},
                                         {"verifications", false}, {"outbound", false},
                                         {NULL, false}};
  char p[PATH_LEN];
  if (check_map(cx, n, "topics", keys)) return -1;
  const yaml_node_t *ret = map_get(cx, n, "retention");
  if (ret) {
    if (check_map(cx, ret, "topics.retention", class_keys)) return -1;
    for (int c = 0; c < RH_TOPIC_CLASS_COUNT; c++) {
      const yaml_node_t *v = map_get(cx, ret, topic_class_names[c]);
      if (v && want_duration_ms(cx, v, path_key(p, "topics.retention", topic_class_names[c]),
                                true, &cx->cfg->topics.retention_ms[c]))
        return -1;
    }
  }
  const yaml_node_t *seg = map_get(cx, n, "segment");
  if (seg && want_duration_ms(cx, seg, "topics.segment", false, &cx->cfg->topics.segment_ms))
    return -1;
  const yaml_node_t *rf = map_get(cx, n, "replication_factor");
  const yaml_node_t *isr = map_get(cx, n, "min_insync_replicas");
  if (rf && want_int(cx, rf, "topics.replication_factor", 1, RH_CONFIG_REPLICATION_MAX,
                     &cx->cfg->topics.replication_factor))
    return -1;
  if (isr && want_int(cx, isr, "topics.min_insync_replicas", 1, RH_CONFIG_REPLICATION_MAX,
                      &cx->cfg->topics.min_insync_replicas))
    return -1;
  if (isr && cx->cfg->topics.min_insync_replicas > cx->cfg->topics.replication_factor)
    return cx_fail(cx, isr, "topics.min_insync_replicas",
                   "must not exceed topics.replication_factor (%d), found %d",
                   cx->cfg->topics.replication_factor, cx->cfg->topics.min_insync_replicas);
  return 0;
}

/* ------------------------------------------------------------------ rules */

/* The department whose code is the first n bytes of s ("tax" of "tax/vehicles"). */
static const rh_config_department_t *department_find_n(const rh_config_t *cfg, const char *s,
                                                       size_t n) {
  for (size_t i = 0; i < cfg->department_count; i++)
    if (strlen(cfg->departments[i].code) == n && strncmp(cfg->departments[i].code, s, n) == 0)
      return &cfg->departments[i];
  return NULL;
}

/* What a condition's field is, for checking its op and values. */
typedef enum { FT_TEXT, FT_NUMBER, FT_DATE, FT_ENUM, FT_TOWNSHIP, FT_ANY } field_type_t;

typedef struct {
  const char *name;
  field_type_t type;
  const char *const *values; /* FT_ENUM */
  size_t value_count;
} field_spec_t;

static const field_spec_t column_fields[RH_COL_COUNT] = {
    {"id_number", FT_TEXT, NULL, 0},
    {"name", FT_TEXT, NULL, 0},
    {"township", FT_TOWNSHIP, NULL, 0},
    {"village", FT_TEXT, NULL, 0},
    {"event_date", FT_DATE, NULL, 0},
    {"amount", FT_NUMBER, NULL, 0},
    {"subtype", FT_ENUM, disaster_subtypes, COUNT(disaster_subtypes)},
};

/* Registry fields of the person's household, known to the join service. */
static const field_spec_t household_fields[] = {
    {"household.type", FT_ENUM, household_types, COUNT(household_types)},
    {"household.category", FT_ENUM, monitoring_categories, COUNT(monitoring_categories)},
    {"household.income_per_capita", FT_NUMBER, NULL, 0},
    {"household.risk_eliminated", FT_ENUM, booleans, COUNT(booleans)},
};

static const field_spec_t any_fact = {"facts.*", FT_ANY, NULL, 0};

static int resolve_field(cx_t *cx, const yaml_node_t *n, const char *path,
                         const rh_config_feed_t *f, const char *field, const field_spec_t **out) {
  int c = index_of(column_names, COUNT(column_names), field);
  if (c >= 0) {
    if (!f->columns[c])
      return cx_fail(cx, n, path, "feed %s/%s has no column for '%s'", f->department->code,
                     f->code, field);
    *out = &column_fields[c];
    return 0;
  }
  if (strncmp(field, "facts.", 6) == 0) {
    for (size_t i = 0; i < f->fact_count; i++)
      if (strcmp(f->facts[i].name, field + 6) == 0) {
        *out = &any_fact;
        return 0;
      }
    return cx_fail(cx, n, path, "feed %s/%s has no fact '%.64s'", f->department->code, f->code,
                   field + 6);
  }
  for (size_t i = 0; i < COUNT(household_fields); i++)
    if (strcmp(household_fields[i].name, field) == 0) {
      *out = &household_fields[i];
      return 0;
    }
  const char *names[COUNT(household_fields)];
  for (size_t i = 0; i < COUNT(household_fields); i++) names[i] = household_fields[i].name;
  char list[256];
  return cx_fail(cx, n, path,
                 "unknown field '%.64s' (expected a column field such as amount, facts.<name> "
                 "or %s)",
                 field, join_names(list, sizeof list, names, COUNT(names)));
}

/* A literal compared with a field of this type. */
static int check_literal(cx_t *cx, const yaml_node_t *n, const char *path,
                         const field_spec_t *fs, const char *value) {
  char list[256];
  double d;
  switch (fs->type) {
    case FT_ENUM:
      if (index_of(fs->values, fs->value_count, value) < 0)
        return cx_fail(cx, n, path, "'%.64s' is not a value of %s (expected %s)", value,
                       fs->name, join_names(list, sizeof list, fs->values, fs->value_count));
      return 0;
    case FT_TOWNSHIP:
      if (!rh_config_township_find(cx->cfg, value))
        return cx_fail(cx, n, path, "unknown township '%.64s'", value);
      return 0;
    case FT_NUMBER:
      if (!parse_number(value, &d))
        return cx_fail(cx, n, path, "'%.64s' is not a number (%s is numeric)", value, fs->name);
      return 0;
    default:
      return 0;
  }
}

static int parse_condition(cx_t *cx, const yaml_node_t *n, const char *path,
                           const rh_config_feed_t *f, rh_config_condition_t *c) {
  static const keyspec_t keys[] = {{"field", true},     {"op", true}, {"value", false},
                                   {"threshold", false}, {NULL, false}};
  char p[PATH_LEN], pv[PATH_LEN];
  const field_spec_t *fs;
  int op;
  if (check_map(cx, n, path, keys) || get_string(cx, n, path, "field", &c->field) ||
      resolve_field(cx, map_get(cx, n, "field"), path_key(p, path, "field"), f, c->field, &fs) ||
      want_enum(cx, map_get(cx, n, "op"), path_key(p, path, "op"), "op", op_names,
                COUNT(op_names), &op))
    return -1;
  c->op = (rh_rule_op_t)op;
  const yaml_node_t *value = map_get(cx, n, "value"), *threshold = map_get(cx, n, "threshold");
  path_key(pv, path, "value");
  if (value && threshold)
    return cx_fail(cx, threshold, path_key(p, path, "threshold"),
                   "give either value or threshold, not both");
  if (!value && !threshold)
    return cx_fail(cx, n, pv, "required key missing (or give threshold)");

  if (c->op == RH_OP_IN) {
    if (threshold)
      return cx_fail(cx, threshold, path_key(p, path, "threshold"),
                     "op 'in' takes a list value, not a threshold");
    if (want_seq(cx, value, pv, 1)) return -1;
    size_t count = seq_len(value);
    const char **values = cx_calloc(cx, count, sizeof *values);
    if (!values) return -1;
    for (size_t i = 0; i < count; i++) {
      const yaml_node_t *item = seq_item(cx, value, i);
      path_index(p, pv, i);
      if (want_string(cx, item, p, &values[i]) || check_literal(cx, item, p, fs, values[i]))
        return -1;
    }
    c->values = values;
    c->value_count = count;
    return 0;
  }

  if (threshold) {
    path_key(p, path, "threshold");
    if (want_string(cx, threshold, p, &c->threshold)) return -1;
    if (rh_config_threshold(cx->cfg, c->threshold, &c->number) != 0)
      return cx_fail(cx, threshold, p, "unknown threshold '%.64s'", c->threshold);
    c->is_numeric = true;
  } else {
    if (value->type != YAML_SCALAR_NODE)
      return cx_fail(cx, value, pv, "expected a single value, found %s%s", node_kind(value),
                     value->type == YAML_SEQUENCE_NODE ? " (only op 'in' takes a list)" : "");
    if (want_string(cx, value, pv, &c->value) || check_literal(cx, value, pv, fs, c->value))
      return -1;
    c->is_numeric = parse_number(c->value, &c->number);
  }
  bool ordering = c->op == RH_OP_GT || c->op == RH_OP_GTE || c->op == RH_OP_LT ||
                  c->op == RH_OP_LTE;
  if ((ordering || threshold) && fs->type != FT_NUMBER && fs->type != FT_ANY)
    return cx_fail(cx, map_get(cx, n, "op"), path_key(p, path, "op"),
                   "op '%s'%s needs a numeric field; %s is not numeric", op_names[op],
                   threshold ? " with a threshold" : "", c->field);
  if (ordering && !c->is_numeric)
    return cx_fail(cx, value, pv, "op '%s' compares numbers; '%.64s' is not a number",
                   op_names[op], c->value);
  return 0;
}

static int parse_rule(cx_t *cx, const yaml_node_t *n, const char *path, rh_config_rule_t *r) {
  static const keyspec_t keys[] = {{"id", true},   {"description", false}, {"feed", true},
                                   {"severity", true}, {"risk", false},    {"when", false},
                                   {NULL, false}};
  char p[PATH_LEN], pc[PATH_LEN];
  const char *ref;
  int i;
  if (check_map(cx, n, path, keys) || want_rule_id(cx, n, path, &r->id)) return -1;
  if (get_string(cx, n, path, "description", &r->description) ||
      get_string(cx, n, path, "feed", &ref))
    return -1;

  const yaml_node_t *feed = map_get(cx, n, "feed");
  path_key(p, path, "feed");
  const char *slash = strchr(ref, '/');
  if (!slash)
    return cx_fail(cx, feed, p, "'%.64s' is not department/feed", ref);
  const rh_config_department_t *d = department_find_n(cx->cfg, ref, (size_t)(slash - ref));
  if (!d)
    return cx_fail(cx, feed, p, "unknown feed '%.64s': no department '%.*s'", ref,
                   (int)(slash - ref > 64 ? 64 : slash - ref), ref);
  r->department = d;
  r->feed = rh_config_feed_find(cx->cfg, d->code, slash + 1);
  if (!r->feed)
    return cx_fail(cx, feed, p, "unknown feed '%.64s': department %s has no feed '%.64s'", ref,
                   d->code, slash + 1);
  if (r->feed->kind != RH_FEED_SIGNAL)
    return cx_fail(cx, feed, p, "feed %s is a %s feed; rules apply to signal feeds", ref,
                   kind_names[r->feed->kind]);

  if (want_enum(cx, map_get(cx, n, "severity"), path_key(p, path, "severity"), "severity",
                severity_names, COUNT(severity_names), &i))
    return -1;
  r->severity = (rh_severity_t)i;
  r->risk = r->feed->risk;
  const yaml_node_t *risk = map_get(cx, n, "risk");
  if (risk) {
    if (want_enum(cx, risk, path_key(p, path, "risk"), "risk", risk_codes, COUNT(risk_codes), &i))
      return -1;
    r->risk = risk_codes[i];
  }

  const yaml_node_t *when = map_get(cx, n, "when");
  if (!when) return 0;
  path_key(p, path, "when");
  if (want_seq(cx, when, p, 0)) return -1;
  size_t count = seq_len(when);
  rh_config_condition_t *c = count ? cx_calloc(cx, count, sizeof *c) : NULL;
  if (count && !c) return -1;
  r->conditions = c;
  r->condition_count = count;
  for (size_t k = 0; k < count; k++)
    if (parse_condition(cx, seq_item(cx, when, k), path_index(pc, p, k), r->feed, &c[k]))
      return -1;
  return 0;
}

/* Give each feed the list of its rules. */
static int link_rules(cx_t *cx) {
  const rh_config_t *cfg = cx->cfg;
  for (size_t d = 0; d < cfg->department_count; d++)
    for (size_t i = 0; i < cx->depts[d].feed_count; i++) {
      /* The feeds were allocated writable by parse_departments. */
      rh_config_feed_t *f = (rh_config_feed_t *)&cx->depts[d].feeds[i];
      size_t count = 0;
      for (size_t r = 0; r < cfg->rule_count; r++) count += cfg->rules[r].feed == f;
      if (!count) continue;
      const rh_config_rule_t **rules = cx_calloc(cx, count, sizeof *rules);
      if (!rules) return -1;
      f->rules = rules;
      for (size_t r = 0; r < cfg->rule_count; r++)
        if (cfg->rules[r].feed == f) rules[f->rule_count++] = &cfg->rules[r];
    }
  return 0;
}

static int parse_rules(cx_t *cx, const yaml_node_t *n) {
  char p[PATH_LEN];
  if (want_seq(cx, n, "rules", 0)) return -1;
  size_t count = seq_len(n);
  rh_config_rule_t *r = count ? cx_calloc(cx, count, sizeof *r) : NULL;
  if (count && !r) return -1;
  cx->cfg->rules = r;
  cx->cfg->rule_count = count;
  for (size_t i = 0; i < count; i++) {
    path_index(p, "rules", i);
    if (parse_rule(cx, seq_item(cx, n, i), p, &r[i]) ||
        check_unique(cx, n, i, p, "id", "rule id"))
      return -1;
  }
  return 0;
}

/* ------------------------------------------------------------------ topic prefix */

#define STR_(x) #x
#define STR(x) STR_(x)
/* How a valid prefix looks, for error messages. */
#define TOPIC_PREFIX_RULE                                                                   \
  "lower-case letters, digits and '-', starting with a letter or digit, ending with '.', " \
  "at most " STR(RH_CONFIG_TOPIC_PREFIX_MAX) " characters, e.g. test-1a2b."

/* "" or ^[a-z0-9][a-z0-9-]*\.$, at most RH_CONFIG_TOPIC_PREFIX_MAX bytes. */
static bool topic_prefix_valid(const char *s) {
  size_t n = strlen(s);
  if (n == 0) return true;
  if (n < 2 || n > RH_CONFIG_TOPIC_PREFIX_MAX || s[n - 1] != '.') return false;
  if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9'))) return false;
  for (size_t i = 1; i + 1 < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
      return false;
  return true;
}

/* topic_prefix: a string (empty or null: no prefix). */
static int parse_topic_prefix(cx_t *cx, const yaml_node_t *n) {
  if (n->type != YAML_SCALAR_NODE)
    return cx_fail(cx, n, "topic_prefix", "expected a string, found %s", node_kind(n));
  const char *s = is_null(n) ? "" : scalar_text(n);
  if (!topic_prefix_valid(s))
    return cx_fail(cx, n, "topic_prefix",
                   "'%.64s' is not a valid topic prefix (" TOPIC_PREFIX_RULE ")", s);
  return (cx->cfg->topic_prefix = cx_strdup(cx, s)) ? 0 : -1;
}

/* "<prefix>feed.<department>.<name>" into a new string of cx; NULL out of memory. */
static char *dept_topic(cx_t *cx, const char *dept, const char *name) {
  const char *prefix = cx->cfg->topic_prefix;
  size_t len = strlen(prefix) + strlen("feed.") + strlen(dept) + 1 + strlen(name) + 1;
  char *topic = cx_calloc(cx, len, 1);
  if (topic) snprintf(topic, len, "%sfeed.%s.%s", prefix, dept, name);
  return topic;
}

/* The feed topics, "<prefix>feed.<department>.<feed>", and each department's
 * manifests and rejects topics; after apply_env(). */
static int build_topics(cx_t *cx) {
  for (size_t d = 0; d < cx->cfg->department_count; d++) {
    if (!(cx->depts[d].manifests_topic = dept_topic(cx, cx->depts[d].code, "manifests")) ||
        !(cx->depts[d].rejects_topic = dept_topic(cx, cx->depts[d].code, "rejects")))
      return -1;
    for (size_t i = 0; i < cx->depts[d].feed_count; i++) {
      /* The feeds were allocated writable by parse_departments. */
      rh_config_feed_t *f = (rh_config_feed_t *)&cx->depts[d].feeds[i];
      if (!(f->topic = dept_topic(cx, cx->depts[d].code, f->code))) return -1;
    }
  }
  return 0;
}

/* ------------------------------------------------------------------ document */

/* archive: {dir: /var/lib/riskhub/archive, grace: 5d} (docs/configuration.md). */
static int parse_archive(cx_t *cx, const yaml_node_t *n) {
  static const keyspec_t keys[] = {{"dir", false}, {"grace", false}, {NULL, false}};
  if (check_map(cx, n, "archive", keys)) return -1;
  if (get_string(cx, n, "archive", "dir", &cx->cfg->archive.dir)) return -1;
  const yaml_node_t *g = map_get(cx, n, "grace");
  return g ? want_duration_ms(cx, g, "archive.grace", false, &cx->cfg->archive.grace_ms) : 0;
}

/* signing: {keys_dir: /etc/riskhub/keys, required: true} (docs/security.md). */
static int parse_signing(cx_t *cx, const yaml_node_t *n) {
  static const keyspec_t keys[] = {{"keys_dir", false}, {"required", false}, {NULL, false}};
  static const char *const bools[] = {"false", "true"};
  if (check_map(cx, n, "signing", keys)) return -1;
  if (get_string(cx, n, "signing", "keys_dir", &cx->cfg->signing.keys_dir)) return -1;
  const yaml_node_t *r = map_get(cx, n, "required");
  int req = 1;
  if (r && want_enum(cx, r, "signing.required", "value", bools, 2, &req)) return -1;
  cx->cfg->signing.required = req == 1;
  return 0;
}

/* ------------------------------------------------------------------ scale risks */

static const char *const place_names[] = {"village", "township"};

const char *rh_place_level_name(rh_place_level_t level) {
  return name_of(place_names, COUNT(place_names), (int)level);
}

static int parse_scale_rule(cx_t *cx, const yaml_node_t *n, const char *path,
                            rh_config_scale_rule_t *r) {
  static const keyspec_t keys[] = {{"id", true},         {"place", true},
                                   {"risks", true},      {"all_risks", false},
                                   {"min_households", false}, {"min_share", false},
                                   {"min_rise", false},  {NULL, false}};
  static const char *const bools[] = {"false", "true"};
  char p[PATH_LEN], pi[PATH_LEN];
  int i;
  if (check_map(cx, n, path, keys) || want_rule_id(cx, n, path, &r->id)) return -1;
  if (want_enum(cx, map_get(cx, n, "place"), path_key(p, path, "place"), "place", place_names,
                COUNT(place_names), &i))
    return -1;
  r->place = (rh_place_level_t)i;
  const yaml_node_t *risks = map_get(cx, n, "risks");
  path_key(p, path, "risks");
  if (want_seq(cx, risks, p, 1)) return -1;
  size_t count = seq_len(risks);
  const char **v = cx_calloc(cx, count, sizeof *v);
  if (!v) return -1;
  for (size_t k = 0; k < count; k++) {
    const yaml_node_t *item = seq_item(cx, risks, k);
    path_index(pi, p, k);
    if (want_enum(cx, item, pi, "risk", risk_codes, COUNT(risk_codes), &i)) return -1;
    for (size_t j = 0; j < k; j++)
      if (v[j] == risk_codes[i])
        return cx_fail(cx, item, pi, "risk %s is listed twice", risk_codes[i]);
    v[k] = risk_codes[i];
  }
  r->risks = v;
  r->risk_count = count;
  const yaml_node_t *all = map_get(cx, n, "all_risks");
  int a = 0;
  if (all && want_enum(cx, all, path_key(p, path, "all_risks"), "value", bools, 2, &a)) return -1;
  r->all_risks = a == 1;
  if (r->all_risks && count < 2)
    return cx_fail(cx, all, path_key(p, path, "all_risks"),
                   "a combination needs at least two risks in risks");
  const yaml_node_t *mh = map_get(cx, n, "min_households");
  const yaml_node_t *ms = map_get(cx, n, "min_share");
  const yaml_node_t *mr = map_get(cx, n, "min_rise");
  if (!mh && !ms && !mr)
    return cx_fail(cx, n, path,
                   "a scale rule needs a threshold: min_households, min_share or min_rise");
  if (mh && want_int(cx, mh, path_key(p, path, "min_households"), 1, 1000000,
                     &r->min_households))
    return -1;
  if (ms) {
    if (want_number(cx, ms, path_key(p, path, "min_share"), &r->min_share)) return -1;
    if (r->min_share <= 0 || r->min_share > 1)
      return cx_fail(cx, ms, p, "must be a share above 0 and at most 1 (0.2 = 20 %%), found %.64s",
                     scalar_text(ms));
  }
  if (mr) {
    if (want_number(cx, mr, path_key(p, path, "min_rise"), &r->min_rise)) return -1;
    if (r->min_rise <= 1 || r->min_rise > 1000)
      return cx_fail(cx, mr, p,
                     "must be a factor above 1 (2 = twice the baseline) and at most 1000, "
                     "found %.64s",
                     scalar_text(mr));
  }
  return 0;
}

/* scale_risks: {baseline_months: 3, rules: [...]} (docs/scale.md). */
static int parse_scale(cx_t *cx, const yaml_node_t *n) {
  static const keyspec_t keys[] = {{"baseline_months", false}, {"rules", true}, {NULL, false}};
  char p[PATH_LEN];
  if (check_map(cx, n, "scale_risks", keys)) return -1;
  const yaml_node_t *b = map_get(cx, n, "baseline_months");
  if (b && want_int(cx, b, "scale_risks.baseline_months", 1, 24, &cx->cfg->scale.baseline_months))
    return -1;
  const yaml_node_t *list = map_get(cx, n, "rules");
  if (want_seq(cx, list, "scale_risks.rules", 0)) return -1;
  size_t count = seq_len(list);
  rh_config_scale_rule_t *r = count ? cx_calloc(cx, count, sizeof *r) : NULL;
  if (count && !r) return -1;
  for (size_t i = 0; i < count; i++) {
    path_index(p, "scale_risks.rules", i);
    if (parse_scale_rule(cx, seq_item(cx, list, i), p, &r[i]) ||
        check_unique(cx, list, i, p, "id", "scale rule id"))
      return -1;
  }
  cx->cfg->scale.rules = r;
  cx->cfg->scale.rule_count = count;
  return 0;
}

static int parse_root(cx_t *cx, const yaml_node_t *root) {
  static const keyspec_t keys[] = {
      {"county", true},    {"kafka", true},      {"postgres", true}, {"townships", true},
      {"departments", true}, {"deadlines", true}, {"thresholds", false}, {"rules", false},
      {"topic_prefix", false}, {"registry", false}, {"topics", false}, {"archive", false},
      {"signing", false}, {"kafka_credentials", false}, {"verification", false},
      {"scale_risks", false}, {NULL, false}};
  if (check_map(cx, root, "", keys)) return -1;
  const yaml_node_t *thresholds = map_get(cx, root, "thresholds");
  const yaml_node_t *rules = map_get(cx, root, "rules");
  const yaml_node_t *prefix = map_get(cx, root, "topic_prefix");
  const yaml_node_t *registry = map_get(cx, root, "registry");
  const yaml_node_t *topics = map_get(cx, root, "topics");
  const yaml_node_t *archive = map_get(cx, root, "archive");
  const yaml_node_t *signing = map_get(cx, root, "signing");
  const yaml_node_t *verification = map_get(cx, root, "verification");
  const yaml_node_t *scale = map_get(cx, root, "scale_risks");
  cx->cfg->topic_prefix = "";
  cx->cfg->scale.baseline_months = RH_CONFIG_BASELINE_MONTHS_DEFAULT;
  cx->cfg->signing.required = true;
  cx->cfg->archive.grace_ms = RH_CONFIG_ARCHIVE_GRACE_MS_DEFAULT;
  cx->cfg->registry.max_delete_share = RH_CONFIG_MAX_DELETE_SHARE_DEFAULT;
  cx->cfg->topics.replication_factor = 1;
  cx->cfg->topics.min_insync_replicas = 0;
  for (int c = 0; c < RH_TOPIC_CLASS_COUNT; c++)
    cx->cfg->topics.retention_ms[c] = RH_CONFIG_RETENTION_MS_DEFAULT;
  cx->cfg->topics.segment_ms = RH_CONFIG_SEGMENT_MS_DEFAULT;
  cx->cfg->reasons = default_reasons;
  cx->cfg->reason_count = COUNT(default_reasons);
  if (prefix && parse_topic_prefix(cx, prefix)) return -1;
  if (get_string(cx, root, "", "kafka_credentials", &cx->cfg->kafka_credentials)) return -1;
  /* Order matters: townships need the county code, rules need departments,
   * feeds and thresholds. */
  if (parse_county(cx, map_get(cx, root, "county")) ||
      parse_kafka(cx, map_get(cx, root, "kafka")) ||
      parse_postgres(cx, map_get(cx, root, "postgres")) ||
      parse_townships(cx, map_get(cx, root, "townships")) ||
      parse_departments(cx, map_get(cx, root, "departments")) ||
      parse_deadlines(cx, map_get(cx, root, "deadlines")) ||
      (thresholds && parse_thresholds(cx, thresholds)) || (rules && parse_rules(cx, rules)) ||
      (registry && parse_registry(cx, registry)) || (topics && parse_topics(cx, topics)) ||
      (archive && parse_archive(cx, archive)) || (signing && parse_signing(cx, signing)) ||
      (verification && parse_verification(cx, verification)) ||
      (scale && parse_scale(cx, scale)))
    return -1;
  return link_rules(cx);
}

/* libyaml's reader errors (bad UTF-8, control characters) carry a byte offset
 * only: turn it into a line and column (columns count characters). */
static yaml_mark_t mark_of_offset(const char *text, size_t len, size_t offset) {
  yaml_mark_t m = {.index = offset, .line = 0, .column = 0};
  for (size_t i = 0; i < offset && i < len; i++) {
    if (text[i] == '\n') {
      m.line++;
      m.column = 0;
    } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
      m.column++;
    }
  }
  return m;
}

static void yaml_error(cx_t *cx, const yaml_parser_t *parser, const char *text, size_t len) {
  const char *problem = parser->problem ? parser->problem : "unknown error";
  if (parser->error == YAML_MEMORY_ERROR) {
    cx_fail(cx, NULL, NULL, "out of memory while parsing YAML");
  } else if (parser->error == YAML_READER_ERROR) {
    yaml_mark_t m = mark_of_offset(text, len, parser->problem_offset);
    cx_fail_mark(cx, &m, "not valid YAML text: %s", problem);
  } else {
    char context[160] = "";
    if (parser->context)
      snprintf(context, sizeof context, " (%s at line %zu)", parser->context,
               parser->context_mark.line + 1);
    cx_fail_mark(cx, &parser->problem_mark, "YAML syntax error: %s%s", problem, context);
  }
}

/* A replication count from the environment variable name: a whole number
 * 1..RH_CONFIG_REPLICATION_MAX into *out; unset or empty: *out untouched. */
static int env_replication(cx_t *cx, const char *name, int *out) {
  const char *v = getenv(name);
  if (!v || !*v) return 0;
  char *end;
  errno = 0;
  long n = strtol(v, &end, 10);
  if (errno || *end || end == v || n < 1 || n > RH_CONFIG_REPLICATION_MAX)
    return cx_fail(cx, NULL, name, "'%.32s' is not a whole number from 1 to %d", v,
                   RH_CONFIG_REPLICATION_MAX);
  *out = (int)n;
  return 0;
}

/* Environment overrides (see the header). */
static int apply_env(cx_t *cx) {
  rh_config_t *cfg = cx->cfg;
  const char *v = getenv("RH_KAFKA_BOOTSTRAP");
  if (v && *v) {
    for (size_t i = 0; i < cfg->kafka_count; i++)
      if (strcmp(cx->kafka[i].key, "bootstrap.servers") == 0) {
        if (!(cx->kafka[i].value = cx_strdup(cx, v))) return -1;
        cfg->kafka_bootstrap = cx->kafka[i].value;
      }
    cfg->kafka_bootstrap_from_env = true;
  }
  v = getenv("RH_PG_CONNINFO");
  if (v && *v) {
    if (!(cfg->pg_conninfo = cx_strdup(cx, v))) return -1;
    cfg->pg_conninfo_from_env = true;
  }
  v = getenv("RH_TOPIC_PREFIX");
  if (v && *v) {
    if (!topic_prefix_valid(v))
      return cx_fail(cx, NULL, "RH_TOPIC_PREFIX",
                     "'%.64s' is not a valid topic prefix (" TOPIC_PREFIX_RULE ")", v);
    if (!(cfg->topic_prefix = cx_strdup(cx, v))) return -1;
    cfg->topic_prefix_from_env = true;
  }
  v = getenv("RH_ARCHIVE_DIR");
  if (v && *v && !(cfg->archive.dir = cx_strdup(cx, v))) return -1;
  v = getenv("RH_KEYS_DIR");
  if (v && *v && !(cfg->signing.keys_dir = cx_strdup(cx, v))) return -1;
  v = getenv("RH_KAFKA_CA");
  if (v && *v && !(cfg->kafka_ca = cx_strdup(cx, v))) return -1;
  v = getenv("RH_KAFKA_CREDENTIALS");
  if (v && *v && !(cfg->kafka_credentials = cx_strdup(cx, v))) return -1;
  if (env_replication(cx, "RH_TOPIC_REPLICATION_FACTOR", &cfg->topics.replication_factor) ||
      env_replication(cx, "RH_TOPIC_MIN_INSYNC_REPLICAS", &cfg->topics.min_insync_replicas))
    return -1;
  if (cfg->topics.min_insync_replicas > cfg->topics.replication_factor)
    return cx_fail(cx, NULL, "topics",
                   "min_insync_replicas %d exceeds replication_factor %d (after "
                   "RH_TOPIC_REPLICATION_FACTOR / RH_TOPIC_MIN_INSYNC_REPLICAS)",
                   cfg->topics.min_insync_replicas, cfg->topics.replication_factor);
  return 0;
}

/* libyaml's scanner looks at every open flow collection for each token: a
 * file of 100,000 nested '[' took minutes (issue 12, intake defect f). A
 * configuration needs a few levels; deeper flow nesting is refused before
 * libyaml sees it, in one pass that skips quoted scalars and comments. 0, or
 * -1 (cx_fail_mark at the bracket that went too deep). */
#define RH_CONFIG_MAX_FLOW_DEPTH 64

static int check_flow_depth(cx_t *cx, const char *text, size_t len) {
  int depth = 0;
  char quote = 0;
  bool comment = false;
  for (size_t i = 0; i < len; i++) {
    char c = text[i];
    if (c == '\n') comment = false;
    if (comment) continue;
    if (quote) {
      if (quote == '"' && c == '\\' && i + 1 < len) i++;
      else if (c == quote && quote == '\'' && i + 1 < len && text[i + 1] == '\'') i++;
      else if (c == quote) quote = 0;
      continue;
    }
    if (c == '#' && (i == 0 || text[i - 1] == ' ' || text[i - 1] == '\t' || text[i - 1] == '\n'))
      comment = true;
    else if (c == '"' || c == '\'')
      quote = c;
    else if (c == '[' || c == '{') {
      if (++depth > RH_CONFIG_MAX_FLOW_DEPTH) {
        yaml_mark_t m = mark_of_offset(text, len, i);
        return cx_fail_mark(cx, &m,
                            "'%c' nests deeper than %d levels of [ ] and { }: not a riskhub "
                            "configuration (嵌套过深)",
                            c, RH_CONFIG_MAX_FLOW_DEPTH);
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      depth--;
    }
  }
  return 0;
}

rh_config_t *rh_config_load_string(const char *yaml, size_t len, const char *name_for_errors,
                                   char *errstr, size_t errstr_size) {
  cx_t cx = {.file = name_for_errors ? name_for_errors : "<string>",
             .err = errstr,
             .errsz = errstr_size};
  yaml_parser_t parser;
  yaml_document_t doc, extra;
  bool parser_ok = false, doc_ok = false, ok = false;
  if (errstr && errstr_size) errstr[0] = '\0';

  rh_config_t *cfg = calloc(1, sizeof *cfg);
  if (cfg) cfg->arena_ = calloc(1, sizeof *cfg->arena_);
  cx.cfg = cfg;
  if (!cfg || !cfg->arena_) {
    cx_fail(&cx, NULL, NULL, "out of memory");
    goto cleanup;
  }
  if (!(cfg->source = cx_strdup(&cx, cx.file))) goto cleanup;
  cx.file = cfg->source;

  if (check_flow_depth(&cx, yaml, len)) goto cleanup;
  if (!yaml_parser_initialize(&parser)) {
    cx_fail(&cx, NULL, NULL, "out of memory");
    goto cleanup;
  }
  parser_ok = true;
  yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
  if (!yaml_parser_load(&parser, &doc)) { /* libyaml frees doc on error */
    yaml_error(&cx, &parser, yaml, len);
    goto cleanup;
  }
  doc_ok = true;
  cx.doc = &doc;
  const yaml_node_t *root = yaml_document_get_root_node(&doc);
  if (!root) {
    cx_fail(&cx, NULL, NULL, "empty configuration (no YAML document)");
    goto cleanup;
  }
  if (!yaml_parser_load(&parser, &extra)) {
    yaml_error(&cx, &parser, yaml, len);
    goto cleanup;
  }
  bool more = yaml_document_get_root_node(&extra) != NULL;
  yaml_mark_t extra_mark = extra.start_mark;
  yaml_document_delete(&extra);
  if (more) {
    cx_fail_mark(&cx, &extra_mark, "a second YAML document starts here; put everything in one");
    goto cleanup;
  }
  if (parse_root(&cx, root) || apply_env(&cx) || build_topics(&cx)) goto cleanup;
  ok = true;

cleanup:
  if (doc_ok) yaml_document_delete(&doc);
  if (parser_ok) yaml_parser_delete(&parser);
  if (!ok) {
    rh_config_destroy(cfg);
    cfg = NULL;
    if (errstr && errstr_size) rh_log_scrub(errstr); /* never a whole ID number */
  }
  return cfg;
}

rh_config_t *rh_config_load(const char *path, char *errstr, size_t errstr_size) {
  rh_config_t *cfg = NULL;
  char *buf = NULL;
  size_t len = 0;
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    if (errstr && errstr_size) snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
    return NULL;
  }
  if (!(buf = malloc(MAX_FILE_BYTES + 1))) {
    if (errstr && errstr_size) snprintf(errstr, errstr_size, "%s: out of memory", path);
    goto cleanup;
  }
  len = fread(buf, 1, MAX_FILE_BYTES + 1, fp);
  if (ferror(fp)) {
    if (errstr && errstr_size) snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
    goto cleanup;
  }
  if (len > MAX_FILE_BYTES) {
    if (errstr && errstr_size)
      snprintf(errstr, errstr_size, "%s: larger than %u bytes; not a configuration file", path,
               MAX_FILE_BYTES);
    goto cleanup;
  }
  cfg = rh_config_load_string(buf, len, path, errstr, errstr_size);

cleanup:
  free(buf);
  fclose(fp);
  return cfg;
}

void rh_config_destroy(rh_config_t *cfg) {
  if (!cfg) return;
  arena_free(cfg->arena_);
  free(cfg);
}

/* ------------------------------------------------------------------ lookups */

const rh_config_department_t *rh_config_department_find(const rh_config_t *cfg,
                                                        const char *code) {
  for (size_t i = 0; code && i < cfg->department_count; i++)
    if (strcmp(cfg->departments[i].code, code) == 0) return &cfg->departments[i];
  return NULL;
}

const rh_config_feed_t *rh_config_feed_find(const rh_config_t *cfg, const char *department,
                                            const char *feed) {
  const rh_config_department_t *d = rh_config_department_find(cfg, department);
  for (size_t i = 0; d && feed && i < d->feed_count; i++)
    if (strcmp(d->feeds[i].code, feed) == 0) return &d->feeds[i];
  return NULL;
}

const rh_config_feed_t *rh_config_feed_find_ref(const rh_config_t *cfg, const char *ref) {
  const char *slash = ref ? strchr(ref, '/') : NULL;
  const rh_config_department_t *d =
      slash ? department_find_n(cfg, ref, (size_t)(slash - ref)) : NULL;
  return d ? rh_config_feed_find(cfg, d->code, slash + 1) : NULL;
}

const rh_config_feed_t *rh_config_feed_find_topic(const rh_config_t *cfg, const char *topic) {
  for (size_t i = 0; topic && i < cfg->department_count; i++)
    for (size_t j = 0; j < cfg->departments[i].feed_count; j++)
      if (strcmp(cfg->departments[i].feeds[j].topic, topic) == 0)
        return &cfg->departments[i].feeds[j];
  return NULL;
}

/* name is q followed by 镇 or 乡 (3 bytes each in UTF-8). */
static bool is_short_name(const char *name, const char *q) {
  size_t n = strlen(name), m = strlen(q);
  return m > 0 && n == m + 3 && strncmp(name, q, m) == 0 &&
         (strcmp(name + m, "镇") == 0 || strcmp(name + m, "乡") == 0);
}

const rh_config_township_t *rh_config_township_find(const rh_config_t *cfg,
                                                    const char *code_or_name) {
  if (!code_or_name || !*code_or_name) return NULL;
  for (size_t i = 0; i < cfg->township_count; i++) {
    const rh_config_township_t *t = &cfg->townships[i];
    if (strcmp(t->code, code_or_name) == 0 || strcmp(t->name, code_or_name) == 0) return t;
  }
  for (size_t i = 0; i < cfg->township_count; i++)
    if (is_short_name(cfg->townships[i].name, code_or_name)) return &cfg->townships[i];
  return NULL;
}

const rh_config_rule_t *rh_config_rule_find(const rh_config_t *cfg, const char *id) {
  for (size_t i = 0; id && i < cfg->rule_count; i++)
    if (strcmp(cfg->rules[i].id, id) == 0) return &cfg->rules[i];
  return NULL;
}

int rh_config_threshold(const rh_config_t *cfg, const char *name, double *out) {
  for (size_t i = 0; name && i < cfg->threshold_count; i++)
    if (strcmp(cfg->thresholds[i].name, name) == 0) {
      *out = cfg->thresholds[i].value;
      return 0;
    }
  return -1;
}

int rh_config_topic(const rh_config_t *cfg, const char *name, char *buf, size_t size) {
  if (!name || !buf || size == 0) return -1;
  int n = snprintf(buf, size, "%s%s", cfg->topic_prefix, name);
  if (n < 0 || (size_t)n >= size) {
    buf[0] = '\0';
    return -1;
  }
  return 0;
}

const char *rh_config_kafka_get(const rh_config_t *cfg, const char *key) {
  for (size_t i = 0; key && i < cfg->kafka_count; i++)
    if (strcmp(cfg->kafka[i].key, key) == 0) return cfg->kafka[i].value;
  return NULL;
}

int64_t rh_config_txn_timeout_ms(const rh_config_t *cfg) {
  const char *v = rh_config_kafka_get(cfg, "transaction.timeout.ms");
  if (v) {
    char *end;
    errno = 0;
    long long ms = strtoll(v, &end, 10);
    if (!errno && *v && !*end && ms > 0) return ms;
  }
  return RH_TXN_TIMEOUT_DEFAULT_MS;
}
