/*
 * rh_avro_schema: Parsing Canonical Form, CRC-64-AVRO, schema sets.
 * See rh_avro_schema.h.
 */
#include "rh_avro_schema.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rh_array.h"
#include "rh_err.h"
#include "rh_log.h"
#include "rh_sbuf.h"

#define RH_AVRO_WALK_MAX_DEPTH 200
#define RH_AVRO_MAX_SCHEMA_FILE (16u * 1024u * 1024u)


const char *rh_avro_status_str(rh_avro_status_t st) {
  switch (st) {
    case RH_AVRO_OK: return "ok";
    case RH_AVRO_EINVAL: return "invalid argument";
    case RH_AVRO_ENOMEM: return "out of memory";
    case RH_AVRO_EIO: return "cannot read schema";
    case RH_AVRO_ESCHEMA: return "invalid schema";
    case RH_AVRO_EDUPLICATE: return "duplicate schema";
    case RH_AVRO_EAVRO: return "Avro C error";
    case RH_AVRO_EMAGIC: return "not single-object encoded";
    case RH_AVRO_EUNKNOWN: return "unknown writer schema";
    case RH_AVRO_ETRUNCATED: return "truncated message";
    case RH_AVRO_ETRAILING: return "trailing bytes after message";
    case RH_AVRO_EVARINT: return "corrupt varint";
    case RH_AVRO_ELENGTH: return "impossible length or count";
    case RH_AVRO_EDATA: return "invalid data";
    case RH_AVRO_ELIMIT: return "limit exceeded";
    case RH_AVRO_ERESOLVE: return "schemas do not resolve";
  }
  return "unknown status";
}

/* ------------------------------------------------------------------------- */
/* CRC-64-AVRO                                                                */

static uint64_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void) {
  for (unsigned i = 0; i < 256; i++) {
    uint64_t fp = i;
    for (int j = 0; j < 8; j++) fp = (fp >> 1) ^ (RH_AVRO_CRC64_EMPTY & (0 - (fp & 1)));
    crc_table[i] = fp;
  }
}

uint64_t rh_avro_crc64(const void *data, size_t len) {
  pthread_once(&crc_once, crc_init);
  const unsigned char *p = data;
  uint64_t fp = RH_AVRO_CRC64_EMPTY;
  for (size_t i = 0; i < len; i++) fp = (fp >> 8) ^ crc_table[(fp ^ p[i]) & 0xff];
  return fp;
}

void rh_avro_fingerprint_hex(uint64_t fp, char out[RH_AVRO_FP_HEXSZ]) {
  snprintf(out, RH_AVRO_FP_HEXSZ, "%016" PRIx64, fp);
}

/* ------------------------------------------------------------------------- */
/* Small growable string                                                      */

typedef rh_sbuf_t sbuf_t;

static void sb_putn(sbuf_t *b, const char *s, size_t n) { rh_sbuf_put(b, s, n); }
static void sb_puts(sbuf_t *b, const char *s) { rh_sbuf_puts(b, s); }
/* A JSON string literal. Names and symbols are validated ([A-Za-z0-9_.]), so
 * nothing needs escaping in a valid schema; escape '"', '\\' and control
 * characters anyway so that the output is always valid JSON. Non-ASCII UTF-8 is
 * written as is ([STRINGS]). */
static void sb_putstr(sbuf_t *b, const char *s) {
  sb_putn(b, "\"", 1);
  for (const char *p = s; *p; p++) {
    unsigned char c = (unsigned char)*p;
    if (c == '"' || c == '\\') {
      char e[2] = {'\\', (char)c};
      sb_putn(b, e, 2);
    } else if (c < 0x20) {
      char e[8];
      snprintf(e, sizeof e, "\\u%04x", c);
      sb_puts(b, e);
    } else {
      sb_putn(b, p, 1);
    }
  }
  sb_putn(b, "\"", 1);
}

/* ------------------------------------------------------------------------- */
/* Named types of one schema                                                  */

typedef struct {
  char *fullname;
  const char *name; /* unqualified, points into fullname */
  json_t *json;     /* the defining object (borrowed from the root) */
  avro_schema_t avro; /* Avro C's node for it (NULL in PCF-only mode) */
} named_t;

typedef struct {
  named_t *v;
  size_t n, cap;
} named_tab_t;

static void named_tab_free(named_tab_t *t) {
  for (size_t i = 0; i < t->n; i++) free(t->v[i].fullname);
  free(t->v);
  t->v = NULL;
  t->n = t->cap = 0;
}

static named_t *named_find(const named_tab_t *t, const char *fullname) {
  for (size_t i = 0; i < t->n; i++)
    if (strcmp(t->v[i].fullname, fullname) == 0) return &t->v[i];
  return NULL;
}

/* A JSON string's value, or NULL if it is not a string or holds a NUL (parsed
 * with JSON_ALLOW_NUL so that bytes defaults may contain \u0000; names,
 * symbols and types may not). */
static const char *jstr(const json_t *j) {
  const char *s = json_string_value(j);
  return s && strlen(s) == json_string_length(j) ? s : NULL;
}

static avro_schema_t deref(avro_schema_t s) {
  while (s && is_avro_link(s)) s = avro_schema_link_target(s);
  return s;
}

static const named_t *named_by_avro(const named_tab_t *t, avro_schema_t s) {
  s = deref(s);
  if (!s) return NULL;
  for (size_t i = 0; i < t->n; i++)
    if (t->v[i].avro == s) return &t->v[i];
  return NULL;
}

struct rh_avro_schema_priv {
  json_t *root;
  named_tab_t named;
  char *fullname;
  char *path;
  char *pcf;
};

/* ------------------------------------------------------------------------- */
/* Names                                                                      */

static const char *const PRIMITIVES[] = {"null", "boolean", "int", "long",
                                         "float", "double", "bytes", "string"};
static const avro_type_t PRIMITIVE_TYPES[] = {AVRO_NULL,  AVRO_BOOLEAN, AVRO_INT32,
                                              AVRO_INT64, AVRO_FLOAT,   AVRO_DOUBLE,
                                              AVRO_BYTES, AVRO_STRING};

static int primitive_index(const char *s) {
  for (int i = 0; i < 8; i++)
    if (strcmp(s, PRIMITIVES[i]) == 0) return i;
  return -1;
}

/* [A-Za-z_][A-Za-z0-9_]* */
static int valid_simple_name(const char *s, size_t n) {
  if (n == 0) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    int alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    int digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return 0;
  }
  return 1;
}

/* Dot-separated simple names; "" is valid when allow_empty (the null namespace). */
static int valid_dotted(const char *s, int allow_empty) {
  if (*s == '\0') return allow_empty;
  const char *p = s;
  for (;;) {
    const char *dot = strchr(p, '.');
    size_t n = dot ? (size_t)(dot - p) : strlen(p);
    if (!valid_simple_name(p, n)) return 0;
    if (!dot) return 1;
    p = dot + 1;
  }
}

static char *join_name(const char *ns, const char *name) {
  size_t a = ns ? strlen(ns) : 0, b = strlen(name);
  char *s = malloc(a + b + 2);
  if (!s) return NULL;
  if (a) {
    memcpy(s, ns, a);
    s[a] = '.';
    memcpy(s + a + 1, name, b + 1);
  } else {
    memcpy(s, name, b + 1);
  }
  return s;
}

/* ------------------------------------------------------------------------- */
/* The walk: validates a schema's JSON, writes its PCF, and (when Avro C's parse
 * is given) pairs every named definition with Avro C's node.                 */

typedef struct {
  sbuf_t out;
  named_tab_t *tab;
  char *err;
  size_t errsz;
  int depth;
  const char *in_type;  /* full name of the enclosing named type, for messages */
  const char *in_field; /* the field being walked, for messages */
} walk_t;

static rh_avro_status_t walk_fail(walk_t *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static rh_avro_status_t walk_fail(walk_t *w, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (w->in_type && w->in_field)
    rh_errf(w->err, w->errsz, "%s, field '%s': %s", w->in_type, w->in_field, msg);
  else if (w->in_type)
    rh_errf(w->err, w->errsz, "%s: %s", w->in_type, msg);
  else
    rh_errf(w->err, w->errsz, "%s", msg);
  return RH_AVRO_ESCHEMA;
}

static rh_avro_status_t walk_mismatch(walk_t *w, const char *what) {
  return walk_fail(w, "Avro C parsed this %s differently (internal inconsistency)", what);
}

static rh_avro_status_t walk(walk_t *w, json_t *j, const char *ns, avro_schema_t av);

/* A reference to a named type: dotted = full name; otherwise the enclosing
 * namespace first, then the null namespace (as Java does). */
static const named_t *resolve_ref(walk_t *w, const char *ref, const char *ns) {
  if (strchr(ref, '.') || !ns || !*ns) return named_find(w->tab, ref);
  char *full = join_name(ns, ref);
  if (!full) return NULL;
  const named_t *n = named_find(w->tab, full);
  free(full);
  return n ? n : named_find(w->tab, ref);
}

static rh_avro_status_t walk_ref(walk_t *w, const char *ref, const char *ns,
                                 avro_schema_t av) {
  int pi = primitive_index(ref);
  if (pi >= 0) {
    if (av && avro_typeof(av) != PRIMITIVE_TYPES[pi]) return walk_mismatch(w, ref);
    sb_putstr(&w->out, ref);
    return RH_AVRO_OK;
  }
  if (!valid_dotted(ref, 0)) return walk_fail(w, "'%s' is not a type name", ref);
  const named_t *n = resolve_ref(w, ref, ns);
  if (!n) return walk_fail(w, "unknown type '%s' (not defined before this point)", ref);
  if (av) {
    avro_schema_t t = deref(av);
    if (t != n->avro && !(t && is_avro_named_type(t) && strcmp(avro_schema_name(t), n->name) == 0))
      return walk_mismatch(w, "reference");
  }
  sb_putstr(&w->out, n->fullname);
  return RH_AVRO_OK;
}

/* The key that must be unique among a union's branches: the type name for
 * unnamed types, the full name for named ones. */
static char *union_branch_key(walk_t *w, json_t *j, const char *ns) {
  const char *t = NULL;
  if (json_is_string(j)) {
    t = jstr(j);
  } else if (json_is_object(j)) {
    t = jstr(json_object_get(j, "type"));
    if (t && (strcmp(t, "record") == 0 || strcmp(t, "enum") == 0 || strcmp(t, "fixed") == 0)) {
      const char *name = jstr(json_object_get(j, "name"));
      if (!name) return NULL;
      if (strchr(name, '.')) return strdup(name);
      json_t *jns = json_object_get(j, "namespace");
      return join_name(json_is_string(jns) ? jstr(jns) : ns, name);
    }
  }
  if (!t) return NULL;
  if (primitive_index(t) >= 0 || strcmp(t, "array") == 0 || strcmp(t, "map") == 0)
    return strdup(t);
  const named_t *n = resolve_ref(w, t, ns);
  return n ? strdup(n->fullname) : strdup(t);
}

static rh_avro_status_t walk_union(walk_t *w, json_t *j, const char *ns, avro_schema_t av) {
  size_t n = json_array_size(j);
  if (av && (!is_avro_union(av) || avro_schema_union_size(av) != n))
    return walk_mismatch(w, "union");
  char **keys = calloc(n ? n : 1, sizeof *keys);
  if (!keys) return RH_AVRO_ENOMEM;
  rh_avro_status_t st = RH_AVRO_OK;
  sb_putn(&w->out, "[", 1);
  for (size_t i = 0; i < n; i++) {
    json_t *b = json_array_get(j, i);
    if (json_is_array(b)) {
      st = walk_fail(w, "a union may not directly contain a union");
      goto cleanup;
    }
    if (i) sb_putn(&w->out, ",", 1);
    st = walk(w, b, ns, av ? avro_schema_union_branch(av, (int)i) : NULL);
    if (st != RH_AVRO_OK) goto cleanup;
    keys[i] = union_branch_key(w, b, ns);
    if (!keys[i]) {
      st = RH_AVRO_ENOMEM;
      goto cleanup;
    }
    for (size_t k = 0; k < i; k++) {
      if (strcmp(keys[k], keys[i]) == 0) {
        st = walk_fail(w, "union has two branches of type %s", keys[i]);
        goto cleanup;
      }
    }
  }
  sb_putn(&w->out, "]", 1);
cleanup:
  for (size_t i = 0; i < n; i++) free(keys[i]);
  free(keys);
  return st;
}

/* Full name and the namespace its children inherit. */
static rh_avro_status_t named_fullname(walk_t *w, json_t *j, const char *ns, char **full_out) {
  *full_out = NULL;
  json_t *jname = json_object_get(j, "name");
  if (!json_is_string(jname)) return walk_fail(w, "a named type needs a string \"name\"");
  const char *name = jstr(jname);
  if (!name) return walk_fail(w, "a name may not contain NUL");
  char *full;
  if (strchr(name, '.')) {
    full = strdup(name);
  } else {
    json_t *jns = json_object_get(j, "namespace");
    if (jns && !json_is_string(jns) && !json_is_null(jns))
      return walk_fail(w, "\"namespace\" of '%s' is not a string", name);
    const char *use = json_is_string(jns) ? jstr(jns) : ns;
    if (json_is_string(jns) && !use) return walk_fail(w, "a namespace may not contain NUL");
    if (use && !valid_dotted(use, 1))
      return walk_fail(w, "'%s' is not a valid namespace", use);
    full = join_name(use, name);
  }
  if (!full) return RH_AVRO_ENOMEM;
  if (!valid_dotted(full, 0)) {
    rh_avro_status_t st = walk_fail(w, "'%s' is not a valid name", full);
    free(full);
    return st;
  }
  const char *dot = strrchr(full, '.');
  if (primitive_index(dot ? dot + 1 : full) >= 0) {
    rh_avro_status_t st = walk_fail(w, "a named type may not be called '%s'", full);
    free(full);
    return st;
  }
  if (named_find(w->tab, full)) {
    rh_avro_status_t st = walk_fail(w, "type '%s' is defined twice", full);
    free(full);
    return st;
  }
  *full_out = full;
  return RH_AVRO_OK;
}

static rh_avro_status_t named_register(walk_t *w, char *full, json_t *j, avro_schema_t av) {
  if (RH_ARRAY_RESERVE(w->tab->v, w->tab->n + 1, w->tab->cap, 8)) {
    free(full);
    return RH_AVRO_ENOMEM;
  }
  named_t *n = &w->tab->v[w->tab->n++];
  n->fullname = full;
  const char *dot = strrchr(full, '.');
  n->name = dot ? dot + 1 : full;
  n->json = j;
  n->avro = av;
  return RH_AVRO_OK;
}

/* The namespace children of a named type inherit: its full name minus the last
 * component (a malloc'd string, "" for the null namespace). */
static char *namespace_of(const char *full) {
  const char *dot = strrchr(full, '.');
  size_t n = dot ? (size_t)(dot - full) : 0;
  char *s = malloc(n + 1);
  if (!s) return NULL;
  memcpy(s, full, n);
  s[n] = '\0';
  return s;
}

static rh_avro_status_t walk_record(walk_t *w, json_t *j, const char *ns, avro_schema_t av) {
  if (av && !is_avro_record(av)) return walk_mismatch(w, "record");
  char *full = NULL, *childns = NULL;
  rh_avro_status_t st = named_fullname(w, j, ns, &full);
  if (st != RH_AVRO_OK) return st;
  st = named_register(w, full, j, av); /* before the fields: they may refer to it */
  if (st != RH_AVRO_OK) return st;
  childns = namespace_of(full);
  if (!childns) return RH_AVRO_ENOMEM;

  const char *saved_type = w->in_type, *saved_field = w->in_field;
  w->in_type = full;
  w->in_field = NULL;
  json_t *fields = json_object_get(j, "fields");
  if (!json_is_array(fields)) {
    st = walk_fail(w, "a record needs a \"fields\" array");
    goto cleanup;
  }
  size_t nf = json_array_size(fields);
  if (av && avro_schema_record_size(av) != nf) {
    st = walk_mismatch(w, "record");
    goto cleanup;
  }
  sb_puts(&w->out, "{\"name\":");
  sb_putstr(&w->out, full);
  sb_puts(&w->out, ",\"type\":\"record\",\"fields\":[");
  for (size_t i = 0; i < nf; i++) {
    json_t *f = json_array_get(fields, i);
    w->in_field = NULL;
    if (!json_is_object(f)) {
      st = walk_fail(w, "field %zu is not an object", i);
      goto cleanup;
    }
    const char *fname = jstr(json_object_get(f, "name"));
    if (!fname || !valid_simple_name(fname, strlen(fname))) {
      st = walk_fail(w, "field %zu has no valid \"name\"", i);
      goto cleanup;
    }
    w->in_field = fname;
    for (size_t k = 0; k < i; k++) {
      if (strcmp(jstr(json_object_get(json_array_get(fields, k), "name")), fname) == 0) {
        st = walk_fail(w, "field name used twice");
        goto cleanup;
      }
    }
    json_t *ft = json_object_get(f, "type");
    if (!ft) {
      st = walk_fail(w, "field has no \"type\"");
      goto cleanup;
    }
    if (av && strcmp(avro_schema_record_field_name(av, (int)i), fname) != 0) {
      st = walk_mismatch(w, "field");
      goto cleanup;
    }
    if (i) sb_putn(&w->out, ",", 1);
    sb_puts(&w->out, "{\"name\":");
    sb_putstr(&w->out, fname);
    sb_puts(&w->out, ",\"type\":");
    st = walk(w, ft, childns, av ? avro_schema_record_field_get_by_index(av, (int)i) : NULL);
    if (st != RH_AVRO_OK) goto cleanup;
    sb_putn(&w->out, "}", 1);
  }
  sb_puts(&w->out, "]}");
cleanup:
  w->in_type = saved_type;
  w->in_field = saved_field;
  free(childns);
  return st;
}

static rh_avro_status_t walk_enum(walk_t *w, json_t *j, const char *ns, avro_schema_t av) {
  if (av && !is_avro_enum(av)) return walk_mismatch(w, "enum");
  char *full = NULL;
  rh_avro_status_t st = named_fullname(w, j, ns, &full);
  if (st != RH_AVRO_OK) return st;
  st = named_register(w, full, j, av);
  if (st != RH_AVRO_OK) return st;
  json_t *syms = json_object_get(j, "symbols");
  if (!json_is_array(syms)) return walk_fail(w, "enum %s needs a \"symbols\" array", full);
  size_t n = json_array_size(syms);
  if (av && (size_t)avro_schema_enum_number_of_symbols(av) != n)
    return walk_mismatch(w, "enum");
  sb_puts(&w->out, "{\"name\":");
  sb_putstr(&w->out, full);
  sb_puts(&w->out, ",\"type\":\"enum\",\"symbols\":[");
  for (size_t i = 0; i < n; i++) {
    const char *s = jstr(json_array_get(syms, i));
    if (!s || !valid_simple_name(s, strlen(s)))
      return walk_fail(w, "enum %s: symbol %zu is not a valid name", full, i);
    for (size_t k = 0; k < i; k++)
      if (strcmp(jstr(json_array_get(syms, k)), s) == 0)
        return walk_fail(w, "enum %s: symbol %s twice", full, s);
    if (i) sb_putn(&w->out, ",", 1);
    sb_putstr(&w->out, s);
  }
  sb_puts(&w->out, "]}");
  json_t *def = json_object_get(j, "default");
  if (def) {
    const char *d = jstr(def);
    int found = 0;
    for (size_t i = 0; d && i < n; i++)
      if (strcmp(jstr(json_array_get(syms, i)), d) == 0) found = 1;
    if (!found) return walk_fail(w, "enum %s: \"default\" is not one of its symbols", full);
  }
  return RH_AVRO_OK;
}

static rh_avro_status_t walk_fixed(walk_t *w, json_t *j, const char *ns, avro_schema_t av) {
  if (av && !is_avro_fixed(av)) return walk_mismatch(w, "fixed");
  char *full = NULL;
  rh_avro_status_t st = named_fullname(w, j, ns, &full);
  if (st != RH_AVRO_OK) return st;
  st = named_register(w, full, j, av);
  if (st != RH_AVRO_OK) return st;
  json_t *size = json_object_get(j, "size");
  if (!json_is_integer(size) || json_integer_value(size) < 0 ||
      json_integer_value(size) > INT32_MAX)
    return walk_fail(w, "fixed %s needs a non-negative integer \"size\"", full);
  if (av && avro_schema_fixed_size(av) != (int64_t)json_integer_value(size))
    return walk_mismatch(w, "fixed");
  char num[32];
  snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(size));
  sb_puts(&w->out, "{\"name\":");
  sb_putstr(&w->out, full);
  sb_puts(&w->out, ",\"type\":\"fixed\",\"size\":");
  sb_puts(&w->out, num);
  sb_putn(&w->out, "}", 1);
  return RH_AVRO_OK;
}

static rh_avro_status_t walk_object(walk_t *w, json_t *j, const char *ns, avro_schema_t av) {
  json_t *jt = json_object_get(j, "type");
  if (!json_is_string(jt)) return walk_fail(w, "a schema object needs a string \"type\"");
  const char *t = jstr(jt);
  if (!t) return walk_fail(w, "a type name may not contain NUL");
  if (strcmp(t, "record") == 0) return walk_record(w, j, ns, av);
  if (strcmp(t, "enum") == 0) return walk_enum(w, j, ns, av);
  if (strcmp(t, "fixed") == 0) return walk_fixed(w, j, ns, av);
  if (strcmp(t, "array") == 0 || strcmp(t, "map") == 0) {
    int is_array = t[0] == 'a';
    const char *key = is_array ? "items" : "values";
    json_t *sub = json_object_get(j, key);
    if (!sub) return walk_fail(w, "%s needs \"%s\"", t, key);
    if (av && !(is_array ? is_avro_array(av) : is_avro_map(av))) return walk_mismatch(w, t);
    sb_puts(&w->out, is_array ? "{\"type\":\"array\",\"items\":" : "{\"type\":\"map\",\"values\":");
    rh_avro_status_t st =
        walk(w, sub, ns,
             av ? (is_array ? avro_schema_array_items(av) : avro_schema_map_values(av)) : NULL);
    if (st != RH_AVRO_OK) return st;
    sb_putn(&w->out, "}", 1);
    return RH_AVRO_OK;
  }
  if (strcmp(t, "error") == 0) return walk_fail(w, "type \"error\" is only for protocols");
  /* A primitive with attributes ({"type":"long","logicalType":...}) is the
   * primitive ([PRIMITIVES], [STRIP]); {"type":"Name"} is a reference. */
  return walk_ref(w, t, ns, av);
}

static rh_avro_status_t walk(walk_t *w, json_t *j, const char *ns, avro_schema_t av) {
  if (++w->depth > RH_AVRO_WALK_MAX_DEPTH) {
    w->depth--;
    return walk_fail(w, "schema nested deeper than %d", RH_AVRO_WALK_MAX_DEPTH);
  }
  rh_avro_status_t st;
  if (json_is_string(j) && !jstr(j))
    st = walk_fail(w, "a type name may not contain NUL");
  else if (json_is_string(j))
    st = walk_ref(w, jstr(j), ns, av);
  else if (json_is_array(j))
    st = walk_union(w, j, ns, av);
  else if (json_is_object(j))
    st = walk_object(w, j, ns, av);
  else
    st = walk_fail(w, "a schema must be a string, an object or an array");
  w->depth--;
  if (st == RH_AVRO_OK && w->out.oom) st = RH_AVRO_ENOMEM;
  if (st == RH_AVRO_ENOMEM) rh_errf(w->err, w->errsz, "out of memory");
  return st;
}

static json_t *parse_json(const char *text, size_t len, const char *origin, char *errstr,
                          size_t errstr_size) {
  json_error_t jerr;
  json_t *root = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
  if (!root)
    rh_errf(errstr, errstr_size, "%s:%d:%d: invalid JSON: %s", origin ? origin : "<schema>",
           jerr.line, jerr.column, jerr.text);
  return root;
}

rh_avro_status_t rh_avro_canonical_form(const char *json, size_t len, char **pcf_out,
                                        uint64_t *fp_out, char *errstr, size_t errstr_size) {
  if (pcf_out) *pcf_out = NULL;
  if (!json || !pcf_out) {
    rh_errf(errstr, errstr_size, "rh_avro_canonical_form: NULL argument");
    return RH_AVRO_EINVAL;
  }
  json_t *root = parse_json(json, len, NULL, errstr, errstr_size);
  if (!root) return RH_AVRO_ESCHEMA;
  named_tab_t tab = {0};
  walk_t w = {.tab = &tab, .err = errstr, .errsz = errstr_size};
  rh_avro_status_t st = walk(&w, root, "", NULL);
  if (st == RH_AVRO_OK) {
    *pcf_out = w.out.p;
    w.out.p = NULL;
    if (fp_out) *fp_out = rh_avro_crc64(*pcf_out, w.out.len);
  }
  free(w.out.p);
  named_tab_free(&tab);
  json_decref(root);
  return st;
}

/* ------------------------------------------------------------------------- */
/* Defaults                                                                   */

/* Next code point of a UTF-8 string (jansson guarantees valid UTF-8). */
static uint32_t utf8_next(const unsigned char **pp, const unsigned char *end) {
  const unsigned char *p = *pp;
  uint32_t c = *p++;
  int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
  if (extra) c &= (0x3Fu >> extra);
  while (extra-- > 0 && p < end) c = (c << 6) | (*p++ & 0x3F);
  *pp = p;
  return c;
}

/* The bytes of a bytes/fixed default: code points 0-255. *out is malloc'd. */
static int default_bytes(const json_t *def, unsigned char **out, size_t *n) {
  const unsigned char *p = (const unsigned char *)json_string_value(def);
  size_t len = json_string_length(def);
  const unsigned char *end = p + len;
  unsigned char *buf = malloc(len ? len : 1);
  if (!buf) return -2;
  size_t k = 0;
  while (p < end) {
    uint32_t c = utf8_next(&p, end);
    if (c > 255) {
      free(buf);
      return -1;
    }
    buf[k++] = (unsigned char)c;
  }
  *out = buf;
  *n = k;
  return 0;
}

static int default_real(const json_t *def, double *out) {
  if (json_is_number(def)) {
    *out = json_number_value(def);
    return 0;
  }
  const char *s = json_string_value(def);
  if (!s) return -1;
  if (strcmp(s, "NaN") == 0) *out = NAN;
  else if (strcmp(s, "Infinity") == 0) *out = INFINITY;
  else if (strcmp(s, "-Infinity") == 0) *out = -INFINITY;
  else return -1;
  return 0;
}

#define DEF_MAX_DEPTH 64

static rh_avro_status_t def_apply(const named_tab_t *tab, avro_schema_t type, const json_t *def,
                                  avro_value_t *dest, int depth, char *err, size_t errsz);

static rh_avro_status_t def_bad(char *err, size_t errsz, avro_schema_t type, const char *why) {
  rh_errf(err, errsz, "default does not fit type %s%s%s", avro_schema_type_name(type),
         why ? ": " : "", why ? why : "");
  return RH_AVRO_ESCHEMA;
}

static rh_avro_status_t def_avro_fail(char *err, size_t errsz, const char *what) {
  rh_errf(err, errsz, "setting default (%s): %s", what, avro_strerror());
  return RH_AVRO_EAVRO;
}

static rh_avro_status_t def_record(const named_tab_t *tab, avro_schema_t type, const json_t *def,
                                   avro_value_t *dest, int depth, char *err, size_t errsz) {
  if (!json_is_object(def)) return def_bad(err, errsz, type, "expected a JSON object");
  const named_t *nt = named_by_avro(tab, type);
  json_t *jfields = nt ? json_object_get(nt->json, "fields") : NULL;
  size_t nf = avro_schema_record_size(type);
  /* Every key must be a field. */
  const char *key;
  json_t *val;
  json_object_foreach((json_t *)def, key, val) {
    if (avro_schema_record_field_get_index(type, key) < 0) {
      rh_errf(err, errsz, "default of record %s has a key '%s' that is not a field",
             avro_schema_name(type), key);
      return RH_AVRO_ESCHEMA;
    }
  }
  for (size_t i = 0; i < nf; i++) {
    const char *fname = avro_schema_record_field_name(type, (int)i);
    const json_t *fv = json_object_get(def, fname);
    if (!fv && jfields) fv = json_object_get(json_array_get(jfields, i), "default");
    if (!fv) {
      rh_errf(err, errsz, "default of record %s has no value for field '%s' (and the field has no default)",
             avro_schema_name(type), fname);
      return RH_AVRO_ESCHEMA;
    }
    avro_value_t child, *cp = NULL;
    if (dest) {
      if (avro_value_get_by_index(dest, i, &child, NULL)) return def_avro_fail(err, errsz, fname);
      cp = &child;
    }
    rh_avro_status_t st = def_apply(tab, avro_schema_record_field_get_by_index(type, (int)i), fv,
                                    cp, depth + 1, err, errsz);
    if (st != RH_AVRO_OK) return st;
  }
  return RH_AVRO_OK;
}

static rh_avro_status_t def_apply(const named_tab_t *tab, avro_schema_t type, const json_t *def,
                                  avro_value_t *dest, int depth, char *err, size_t errsz) {
  type = deref(type);
  if (!type || !def) {
    rh_errf(err, errsz, "default: no type or no value");
    return RH_AVRO_ESCHEMA;
  }
  if (depth > DEF_MAX_DEPTH) {
    rh_errf(err, errsz, "default nested deeper than %d", DEF_MAX_DEPTH);
    return RH_AVRO_ESCHEMA;
  }
  switch (avro_typeof(type)) {
    case AVRO_NULL:
      if (!json_is_null(def)) return def_bad(err, errsz, type, "expected null");
      if (dest && avro_value_set_null(dest)) return def_avro_fail(err, errsz, "null");
      return RH_AVRO_OK;
    case AVRO_BOOLEAN:
      if (!json_is_boolean(def)) return def_bad(err, errsz, type, "expected true or false");
      if (dest && avro_value_set_boolean(dest, json_is_true(def)))
        return def_avro_fail(err, errsz, "boolean");
      return RH_AVRO_OK;
    case AVRO_INT32: {
      if (!json_is_integer(def)) return def_bad(err, errsz, type, "expected an integer");
      json_int_t v = json_integer_value(def);
      if (v < INT32_MIN || v > INT32_MAX) return def_bad(err, errsz, type, "out of range");
      if (dest && avro_value_set_int(dest, (int32_t)v)) return def_avro_fail(err, errsz, "int");
      return RH_AVRO_OK;
    }
    case AVRO_INT64:
      if (!json_is_integer(def)) return def_bad(err, errsz, type, "expected an integer");
      if (dest && avro_value_set_long(dest, (int64_t)json_integer_value(def)))
        return def_avro_fail(err, errsz, "long");
      return RH_AVRO_OK;
    case AVRO_FLOAT:
    case AVRO_DOUBLE: {
      double d;
      if (default_real(def, &d) != 0) return def_bad(err, errsz, type, "expected a number");
      int rc = 0;
      if (dest)
        rc = avro_typeof(type) == AVRO_FLOAT ? avro_value_set_float(dest, (float)d)
                                             : avro_value_set_double(dest, d);
      if (rc) return def_avro_fail(err, errsz, "number");
      return RH_AVRO_OK;
    }
    case AVRO_STRING:
      if (!json_is_string(def)) return def_bad(err, errsz, type, "expected a string");
      if (dest && avro_value_set_string_len(dest, json_string_value(def),
                                            json_string_length(def) + 1))
        return def_avro_fail(err, errsz, "string");
      return RH_AVRO_OK;
    case AVRO_BYTES:
    case AVRO_FIXED: {
      if (!json_is_string(def)) return def_bad(err, errsz, type, "expected a string");
      unsigned char *b = NULL;
      size_t n = 0;
      int rc = default_bytes(def, &b, &n);
      if (rc == -2) {
        rh_errf(err, errsz, "out of memory");
        return RH_AVRO_ENOMEM;
      }
      if (rc != 0) return def_bad(err, errsz, type, "a code point above 255");
      rh_avro_status_t st = RH_AVRO_OK;
      if (avro_typeof(type) == AVRO_FIXED && (int64_t)n != avro_schema_fixed_size(type)) {
        st = def_bad(err, errsz, type, "wrong length");
      } else if (dest) {
        int r = avro_typeof(type) == AVRO_FIXED ? avro_value_set_fixed(dest, b, n)
                                                : avro_value_set_bytes(dest, b, n);
        if (r) st = def_avro_fail(err, errsz, "bytes");
      }
      free(b);
      return st;
    }
    case AVRO_ENUM: {
      const char *s = jstr(def);
      if (!s) return def_bad(err, errsz, type, "expected a symbol");
      int idx = avro_schema_enum_get_by_name(type, s);
      if (idx < 0) return def_bad(err, errsz, type, "not a symbol of the enum");
      if (dest && avro_value_set_enum(dest, idx)) return def_avro_fail(err, errsz, "enum");
      return RH_AVRO_OK;
    }
    case AVRO_ARRAY: {
      if (!json_is_array(def)) return def_bad(err, errsz, type, "expected a JSON array");
      avro_schema_t items = avro_schema_array_items(type);
      for (size_t i = 0; i < json_array_size(def); i++) {
        avro_value_t child, *cp = NULL;
        if (dest) {
          if (avro_value_append(dest, &child, NULL)) return def_avro_fail(err, errsz, "array");
          cp = &child;
        }
        rh_avro_status_t st = def_apply(tab, items, json_array_get(def, i), cp, depth + 1, err, errsz);
        if (st != RH_AVRO_OK) return st;
      }
      return RH_AVRO_OK;
    }
    case AVRO_MAP: {
      if (!json_is_object(def)) return def_bad(err, errsz, type, "expected a JSON object");
      avro_schema_t values = avro_schema_map_values(type);
      const char *key;
      json_t *val;
      json_object_foreach((json_t *)def, key, val) {
        avro_value_t child, *cp = NULL;
        if (dest) {
          if (avro_value_add(dest, key, &child, NULL, NULL)) return def_avro_fail(err, errsz, "map");
          cp = &child;
        }
        rh_avro_status_t st = def_apply(tab, values, val, cp, depth + 1, err, errsz);
        if (st != RH_AVRO_OK) return st;
      }
      return RH_AVRO_OK;
    }
    case AVRO_RECORD:
      return def_record(tab, type, def, dest, depth, err, errsz);
    case AVRO_UNION: {
      /* The first branch the value fits (the spec before 1.12 allowed only the
       * first branch; 1.12 allows any, first match wins). */
      size_t nb = avro_schema_union_size(type);
      char scratch[8];
      for (size_t i = 0; i < nb; i++) {
        avro_schema_t b = avro_schema_union_branch(type, (int)i);
        if (def_apply(tab, b, def, NULL, depth + 1, scratch, sizeof scratch) != RH_AVRO_OK)
          continue;
        if (!dest) return RH_AVRO_OK;
        avro_value_t branch;
        if (avro_value_set_branch(dest, (int)i, &branch)) return def_avro_fail(err, errsz, "union");
        return def_apply(tab, b, def, &branch, depth + 1, err, errsz);
      }
      return def_bad(err, errsz, type, "fits no branch of the union");
    }
    case AVRO_LINK:
      break;
  }
  rh_errf(err, errsz, "default: unsupported type");
  return RH_AVRO_ESCHEMA;
}

rh_avro_status_t rh_avro_default_apply(const rh_avro_schema_t *entry, avro_schema_t type,
                                       const json_t *def, avro_value_t *dest, char *errstr,
                                       size_t errstr_size) {
  if (!entry || !type || !def) {
    rh_errf(errstr, errstr_size, "rh_avro_default_apply: NULL argument");
    return RH_AVRO_EINVAL;
  }
  return def_apply(&entry->priv->named, type, def, dest, 0, errstr, errstr_size);
}

const json_t *rh_avro_schema_named_json(const rh_avro_schema_t *entry, avro_schema_t named) {
  if (!entry || !named) return NULL;
  const named_t *n = named_by_avro(&entry->priv->named, named);
  return n ? n->json : NULL;
}

/* Every field default of every record, checked against its type. */
static rh_avro_status_t check_defaults(const named_tab_t *tab, char *errstr, size_t errstr_size) {
  for (size_t i = 0; i < tab->n; i++) {
    const named_t *n = &tab->v[i];
    if (!is_avro_record(n->avro)) continue;
    json_t *fields = json_object_get(n->json, "fields");
    for (size_t k = 0; k < json_array_size(fields); k++) {
      json_t *f = json_array_get(fields, k);
      json_t *def = json_object_get(f, "default");
      if (!def) continue;
      char msg[400];
      rh_avro_status_t st = def_apply(tab, avro_schema_record_field_get_by_index(n->avro, (int)k),
                                      def, NULL, 0, msg, sizeof msg);
      if (st != RH_AVRO_OK) {
        rh_errf(errstr, errstr_size, "%s, field '%s': %s", n->fullname,
               json_string_value(json_object_get(f, "name")), msg);
        return st;
      }
    }
  }
  return RH_AVRO_OK;
}

/* ------------------------------------------------------------------------- */
/* Sets                                                                       */

struct rh_avro_schemas {
  rh_avro_schema_t **v; /* load order */
  size_t n, cap;
};

rh_avro_schemas_t *rh_avro_schemas_new(void) { return calloc(1, sizeof(rh_avro_schemas_t)); }

static void entry_free(rh_avro_schema_t *e) {
  if (!e) return;
  if (e->iface) avro_value_iface_decref(e->iface);
  if (e->schema) avro_schema_decref(e->schema);
  if (e->priv) {
    named_tab_free(&e->priv->named);
    if (e->priv->root) json_decref(e->priv->root);
    free(e->priv->fullname);
    free(e->priv->path);
    free(e->priv->pcf);
    free(e->priv);
  }
  free(e);
}

void rh_avro_schemas_destroy(rh_avro_schemas_t *set) {
  if (!set) return;
  for (size_t i = 0; i < set->n; i++) entry_free(set->v[i]);
  free(set->v);
  free(set);
}

size_t rh_avro_schemas_count(const rh_avro_schemas_t *set) { return set ? set->n : 0; }

const rh_avro_schema_t *rh_avro_schemas_at(const rh_avro_schemas_t *set, size_t i) {
  return set && i < set->n ? set->v[i] : NULL;
}

const rh_avro_schema_t *rh_avro_schemas_get(const rh_avro_schemas_t *set, const char *fullname) {
  if (!set || !fullname) return NULL;
  for (size_t i = 0; i < set->n; i++)
    if (set->v[i]->is_current && strcmp(set->v[i]->fullname, fullname) == 0) return set->v[i];
  return NULL;
}

const rh_avro_schema_t *rh_avro_schemas_by_fingerprint(const rh_avro_schemas_t *set, uint64_t fp) {
  if (!set) return NULL;
  for (size_t i = 0; i < set->n; i++)
    if (set->v[i]->fingerprint == fp) return set->v[i];
  return NULL;
}

rh_avro_status_t rh_avro_schema_value_new(const rh_avro_schema_t *entry, avro_value_t *out,
                                          char *errstr, size_t errstr_size) {
  if (!entry || !out) {
    rh_errf(errstr, errstr_size, "rh_avro_schema_value_new: NULL argument");
    return RH_AVRO_EINVAL;
  }
  if (avro_generic_value_new(entry->iface, out) != 0) {
    rh_errf(errstr, errstr_size, "%s: avro_generic_value_new: %s", entry->fullname, avro_strerror());
    out->iface = NULL;
    out->self = NULL;
    return RH_AVRO_EAVRO;
  }
  return RH_AVRO_OK;
}

/* What Avro C is given: the schema with only the keys that shape data (and
 * logical types), re-serialised. Avro C's own JSON parsing refuses \u0000
 * anywhere (e.g. in a bytes default it never uses), and it needs neither docs
 * nor defaults. NULL when out of memory. */
static json_t *avro_c_view(const json_t *j) {
  static const char *const KEEP[] = {"type",  "name",        "namespace", "fields",
                                     "symbols", "items",     "values",    "size",
                                     "logicalType", "precision", "scale"};
  if (json_is_object(j)) {
    json_t *o = json_object();
    if (!o) return NULL;
    for (size_t i = 0; i < sizeof KEEP / sizeof KEEP[0]; i++) {
      json_t *v = json_object_get(j, KEEP[i]);
      if (!v) continue;
      json_t *c = avro_c_view(v);
      if (!c || json_object_set_new(o, KEEP[i], c) != 0) {
        json_decref(o);
        return NULL;
      }
    }
    return o;
  }
  if (json_is_array(j)) {
    json_t *a = json_array();
    if (!a) return NULL;
    for (size_t i = 0; i < json_array_size(j); i++) {
      json_t *c = avro_c_view(json_array_get(j, i));
      if (!c || json_array_append_new(a, c) != 0) {
        json_decref(a);
        return NULL;
      }
    }
    return a;
  }
  return json_deep_copy(j);
}

/* Build an entry from JSON text: validate + PCF, Avro C parse, pair the two,
 * check defaults, make the value class. */
static rh_avro_status_t entry_build(const char *json, size_t len, const char *origin,
                                    rh_avro_schema_t **out, char *errstr, size_t errstr_size) {
  *out = NULL;
  char msg[512] = "";
  rh_avro_status_t st = RH_AVRO_OK;
  rh_avro_schema_t *e = calloc(1, sizeof *e);
  if (!e || !(e->priv = calloc(1, sizeof *e->priv))) {
    free(e);
    rh_errf(errstr, errstr_size, "%s: out of memory", origin);
    return RH_AVRO_ENOMEM;
  }
  e->priv->root = parse_json(json, len, origin, errstr, errstr_size);
  if (!e->priv->root) {
    st = RH_AVRO_ESCHEMA;
    goto cleanup;
  }
  json_t *root = e->priv->root;
  const char *t = json_is_object(root) ? json_string_value(json_object_get(root, "type")) : NULL;
  if (!t || (strcmp(t, "record") != 0 && strcmp(t, "enum") != 0 && strcmp(t, "fixed") != 0)) {
    rh_errf(errstr, errstr_size, "%s: the top level must be a named type (record, enum or fixed)",
           origin);
    st = RH_AVRO_ESCHEMA;
    goto cleanup;
  }

  /* 1. Our own validation and PCF, without Avro C. */
  named_tab_t tab = {0};
  walk_t w = {.tab = &tab, .err = msg, .errsz = sizeof msg};
  st = walk(&w, root, "", NULL);
  named_tab_free(&tab);
  if (st != RH_AVRO_OK) {
    free(w.out.p);
    rh_errf(errstr, errstr_size, "%s: %s", origin, msg);
    goto cleanup;
  }
  e->priv->pcf = w.out.p;
  e->pcf = e->priv->pcf;
  e->pcf_len = w.out.len;
  e->fingerprint = rh_avro_crc64(e->pcf, e->pcf_len);
  rh_avro_fingerprint_hex(e->fingerprint, e->fingerprint_hex);

  /* 2. Avro C's parse, of the structural view. */
  json_t *view = avro_c_view(root);
  char *view_text = view ? json_dumps(view, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
  json_decref(view);
  if (!view_text) {
    rh_errf(errstr, errstr_size, "%s: out of memory", origin);
    st = RH_AVRO_ENOMEM;
    goto cleanup;
  }
  int rc = avro_schema_from_json_length(view_text, strlen(view_text), &e->schema);
  free(view_text);
  if (rc != 0) {
    e->schema = NULL;
    rh_errf(errstr, errstr_size, "%s: Avro C: %s", origin, avro_strerror());
    st = RH_AVRO_EAVRO;
    goto cleanup;
  }

  /* 3. Pair our named types with Avro C's nodes (the walk again, now with
   *    Avro C's schema: it must agree node for node). */
  walk_t w2 = {.tab = &e->priv->named, .err = msg, .errsz = sizeof msg};
  st = walk(&w2, root, "", e->schema);
  if (st == RH_AVRO_OK && (w2.out.len != e->pcf_len || memcmp(w2.out.p, e->pcf, e->pcf_len) != 0)) {
    snprintf(msg, sizeof msg, "second walk gave another PCF (internal error)");
    st = RH_AVRO_ESCHEMA;
  }
  free(w2.out.p);
  if (st != RH_AVRO_OK) {
    rh_errf(errstr, errstr_size, "%s: %s", origin, msg);
    goto cleanup;
  }
  e->priv->fullname = strdup(e->priv->named.v[0].fullname);
  e->priv->path = strdup(origin);
  if (!e->priv->fullname || !e->priv->path) {
    rh_errf(errstr, errstr_size, "%s: out of memory", origin);
    st = RH_AVRO_ENOMEM;
    goto cleanup;
  }
  e->fullname = e->priv->fullname;
  e->path = e->priv->path;

  /* 4. Defaults. */
  st = check_defaults(&e->priv->named, msg, sizeof msg);
  if (st != RH_AVRO_OK) {
    rh_errf(errstr, errstr_size, "%s: %s", origin, msg);
    goto cleanup;
  }

  /* 5. The value class, made once. */
  e->iface = avro_generic_class_from_schema(e->schema);
  if (!e->iface) {
    rh_errf(errstr, errstr_size, "%s: avro_generic_class_from_schema: %s", origin, avro_strerror());
    st = RH_AVRO_EAVRO;
    goto cleanup;
  }
  *out = e;
  e = NULL;
cleanup:
  entry_free(e);
  return st;
}

rh_avro_status_t rh_avro_schemas_add_json(rh_avro_schemas_t *set, const char *json, size_t len,
                                          const char *origin, int is_current,
                                          const rh_avro_schema_t **out, char *errstr,
                                          size_t errstr_size) {
  if (out) *out = NULL;
  if (!set || !json) {
    rh_errf(errstr, errstr_size, "rh_avro_schemas_add_json: NULL argument");
    return RH_AVRO_EINVAL;
  }
  if (!origin) origin = "<schema>";
  rh_avro_schema_t *e = NULL;
  rh_avro_status_t st = entry_build(json, len, origin, &e, errstr, errstr_size);
  if (st != RH_AVRO_OK) return st;
  e->is_current = is_current ? 1 : 0;
  e->set = set;

  for (size_t i = 0; i < set->n; i++) {
    rh_avro_schema_t *o = set->v[i];
    if (o->fingerprint != e->fingerprint) continue;
    if (o->pcf_len != e->pcf_len || memcmp(o->pcf, e->pcf, e->pcf_len) != 0) {
      rh_errf(errstr, errstr_size, "%s: fingerprint %s collides with %s (a different schema)",
             origin, e->fingerprint_hex, o->path);
      entry_free(e);
      return RH_AVRO_EDUPLICATE;
    }
    if (!e->is_current) {
      rh_log_debug("avro: %s is the same schema as %s (fingerprint %s); skipped", origin, o->path,
                   o->fingerprint_hex);
      if (out) *out = o;
      entry_free(e);
      return RH_AVRO_OK;
    }
    if (o->is_current) {
      rh_errf(errstr, errstr_size, "%s: the same schema as %s is already current", origin, o->path);
      entry_free(e);
      return RH_AVRO_EDUPLICATE;
    }
    /* history → current: the existing entry is promoted below. */
    const rh_avro_schema_t *cur = rh_avro_schemas_get(set, o->fullname);
    if (cur) {
      rh_errf(errstr, errstr_size, "%s: %s already has a current version (%s)", origin,
             o->fullname, cur->path);
      entry_free(e);
      return RH_AVRO_EDUPLICATE;
    }
    o->is_current = 1;
    if (out) *out = o;
    entry_free(e);
    return RH_AVRO_OK;
  }
  if (e->is_current) {
    const rh_avro_schema_t *cur = rh_avro_schemas_get(set, e->fullname);
    if (cur) {
      rh_errf(errstr, errstr_size, "%s: %s already has a current version (%s)", origin,
             e->fullname, cur->path);
      entry_free(e);
      return RH_AVRO_EDUPLICATE;
    }
  }
  if (set->n == set->cap) {
    size_t cap = set->cap ? set->cap * 2 : 8;
    rh_avro_schema_t **v = realloc(set->v, cap * sizeof *v);
    if (!v) {
      entry_free(e);
      rh_errf(errstr, errstr_size, "%s: out of memory", origin);
      return RH_AVRO_ENOMEM;
    }
    set->v = v;
    set->cap = cap;
  }
  set->v[set->n++] = e;
  if (out) *out = e;
  return RH_AVRO_OK;
}

static rh_avro_status_t read_file(const char *path, char **text, size_t *len, char *errstr,
                                  size_t errstr_size) {
  *text = NULL;
  *len = 0;
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    rh_errf(errstr, errstr_size, "%s: %s", path, strerror(errno));
    return RH_AVRO_EIO;
  }
  rh_avro_status_t st = RH_AVRO_OK;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  if (!buf) {
    st = RH_AVRO_ENOMEM;
    rh_errf(errstr, errstr_size, "%s: out of memory", path);
    goto cleanup;
  }
  for (;;) {
    if (n == cap) {
      if (cap >= RH_AVRO_MAX_SCHEMA_FILE) {
        rh_errf(errstr, errstr_size, "%s: larger than %u bytes", path, RH_AVRO_MAX_SCHEMA_FILE);
        st = RH_AVRO_EIO;
        goto cleanup;
      }
      char *b = realloc(buf, cap * 2);
      if (!b) {
        st = RH_AVRO_ENOMEM;
        rh_errf(errstr, errstr_size, "%s: out of memory", path);
        goto cleanup;
      }
      buf = b;
      cap *= 2;
    }
    size_t got = fread(buf + n, 1, cap - n, fp);
    n += got;
    if (got == 0) break;
  }
  if (ferror(fp)) {
    rh_errf(errstr, errstr_size, "%s: read error", path);
    st = RH_AVRO_EIO;
    goto cleanup;
  }
  *text = buf;
  *len = n;
  buf = NULL;
cleanup:
  free(buf);
  fclose(fp);
  return st;
}

rh_avro_status_t rh_avro_schemas_add_file(rh_avro_schemas_t *set, const char *path, int is_current,
                                          const rh_avro_schema_t **out, char *errstr,
                                          size_t errstr_size) {
  if (out) *out = NULL;
  if (!set || !path) {
    rh_errf(errstr, errstr_size, "rh_avro_schemas_add_file: NULL argument");
    return RH_AVRO_EINVAL;
  }
  char *text = NULL;
  size_t len = 0;
  rh_avro_status_t st = read_file(path, &text, &len, errstr, errstr_size);
  if (st != RH_AVRO_OK) return st;
  st = rh_avro_schemas_add_json(set, text, len, path, is_current, out, errstr, errstr_size);
  free(text);
  return st;
}

static int avsc_filter(const struct dirent *d) {
  size_t n = strlen(d->d_name);
  return d->d_name[0] != '.' && n > 5 && strcmp(d->d_name + n - 5, ".avsc") == 0;
}

/* Every *.avsc of one directory, in name order. missing_ok: a directory that
 * does not exist is empty. */
static rh_avro_status_t load_one_dir(rh_avro_schemas_t *set, const char *dir, int is_current,
                                     int missing_ok, char *errstr, size_t errstr_size) {
  struct dirent **list = NULL;
  int n = scandir(dir, &list, avsc_filter, alphasort);
  if (n < 0) {
    if (missing_ok && errno == ENOENT) return RH_AVRO_OK;
    rh_errf(errstr, errstr_size, "%s: %s", dir, strerror(errno));
    return RH_AVRO_EIO;
  }
  rh_avro_status_t st = RH_AVRO_OK;
  for (int i = 0; i < n; i++) {
    if (st == RH_AVRO_OK) {
      size_t len = strlen(dir) + strlen(list[i]->d_name) + 2;
      char *path = malloc(len);
      if (!path) {
        rh_errf(errstr, errstr_size, "out of memory");
        st = RH_AVRO_ENOMEM;
      } else {
        snprintf(path, len, "%s/%s", dir, list[i]->d_name);
        struct stat sb;
        if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
          st = rh_avro_schemas_add_file(set, path, is_current, NULL, errstr, errstr_size);
        free(path);
      }
    }
    free(list[i]);
  }
  free(list);
  return st;
}

rh_avro_status_t rh_avro_schemas_load_dir(rh_avro_schemas_t *set, const char *dir, char *errstr,
                                          size_t errstr_size) {
  if (!set || !dir) {
    rh_errf(errstr, errstr_size, "rh_avro_schemas_load_dir: NULL argument");
    return RH_AVRO_EINVAL;
  }
  rh_avro_status_t st = load_one_dir(set, dir, 1, 0, errstr, errstr_size);
  if (st != RH_AVRO_OK) return st;
  size_t len = strlen(dir) + sizeof "/history";
  char *hist = malloc(len);
  if (!hist) {
    rh_errf(errstr, errstr_size, "out of memory");
    return RH_AVRO_ENOMEM;
  }
  snprintf(hist, len, "%s/history", dir);
  st = load_one_dir(set, hist, 0, 1, errstr, errstr_size);
  free(hist);
  return st;
}
