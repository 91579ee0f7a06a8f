/*
 * rh_avro_codec: single-object encoding and decoding with resolution.
 * See rh_avro_codec.h.
 */
#include "rh_avro_codec.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_avro_wire.h"
#include "rh_err.h"

static avro_schema_t deref(avro_schema_t s) {
  while (s && is_avro_link(s)) s = avro_schema_link_target(s);
  return s;
}

/* ------------------------------------------------------------------------- */
/* Buffer                                                                     */

void rh_avro_buf_init(rh_avro_buf_t *buf) {
  if (buf) memset(buf, 0, sizeof *buf);
}

void rh_avro_buf_clear(rh_avro_buf_t *buf) {
  if (buf) buf->len = 0;
}

void rh_avro_buf_free(rh_avro_buf_t *buf) {
  if (!buf) return;
  if (buf->writer) avro_writer_free(buf->writer);
  free(buf->data);
  memset(buf, 0, sizeof *buf);
}

int rh_avro_buf_reserve(rh_avro_buf_t *buf, size_t extra) {
  if (!buf || extra > SIZE_MAX - buf->len) return -1;
  size_t need = buf->len + extra;
  if (need <= buf->cap) return 0;
  size_t cap = buf->cap ? buf->cap : 256;
  while (cap < need) {
    if (cap > SIZE_MAX / 2) {
      cap = need;
      break;
    }
    cap *= 2;
  }
  unsigned char *p = realloc(buf->data, cap);
  if (!p) return -1;
  buf->data = p;
  buf->cap = cap;
  return 0;
}

/* ------------------------------------------------------------------------- */
/* Encoding                                                                   */

rh_avro_status_t rh_avro_encode(const rh_avro_schema_t *schema, avro_value_t *value,
                                rh_avro_buf_t *buf, char *errstr, size_t errstr_size) {
  if (!schema || !value || !value->iface || !buf) {
    rh_errf(errstr, errstr_size, "rh_avro_encode: NULL argument");
    return RH_AVRO_EINVAL;
  }
  avro_schema_t vs = avro_value_get_schema(value);
  if (vs != schema->schema && !(vs && avro_schema_equal(vs, schema->schema))) {
    rh_errf(errstr, errstr_size, "rh_avro_encode: the value is not of schema %s", schema->fullname);
    return RH_AVRO_EINVAL;
  }
  size_t body = 0;
  if (avro_value_sizeof(value, &body) != 0) {
    rh_errf(errstr, errstr_size, "%s: sizing the value: %s", schema->fullname, avro_strerror());
    return RH_AVRO_EAVRO;
  }
  if (body > (size_t)INT64_MAX - RH_AVRO_HEADER_LEN ||
      rh_avro_buf_reserve(buf, RH_AVRO_HEADER_LEN + body) != 0) {
    rh_errf(errstr, errstr_size, "%s: out of memory for %zu bytes", schema->fullname, body);
    return RH_AVRO_ENOMEM;
  }
  char *dst = (char *)rh_avro_wire_put_header(buf->data + buf->len, schema->fingerprint);
  if (!buf->writer) {
    buf->writer = avro_writer_memory(dst, (int64_t)body);
    if (!buf->writer) {
      rh_errf(errstr, errstr_size, "%s: avro_writer_memory: %s", schema->fullname, avro_strerror());
      return RH_AVRO_ENOMEM;
    }
  } else {
    avro_writer_memory_set_dest(buf->writer, dst, (int64_t)body);
  }
  if (avro_value_write(buf->writer, value) != 0) {
    rh_errf(errstr, errstr_size, "%s: writing the value: %s", schema->fullname, avro_strerror());
    return RH_AVRO_EAVRO;
  }
  int64_t wrote = avro_writer_tell(buf->writer);
  if (wrote != (int64_t)body) {
    rh_errf(errstr, errstr_size, "%s: Avro C wrote %" PRId64 " bytes, sized %zu", schema->fullname,
           wrote, body);
    return RH_AVRO_EAVRO;
  }
  buf->len += RH_AVRO_HEADER_LEN + body;
  return RH_AVRO_OK;
}

/* ------------------------------------------------------------------------- */
/* Resolution plans                                                           */

typedef enum {
  PK_ERROR,  /* cannot be resolved: errmsg */
  PK_NULL,
  PK_BOOLEAN,
  PK_INT,
  PK_LONG,
  PK_FLOAT,
  PK_DOUBLE,
  PK_BYTES,
  PK_STRING,
  PK_FIXED,
  PK_ENUM,
  PK_ARRAY,
  PK_MAP,
  PK_RECORD,
  PK_WUNION, /* the writer wrote a union */
  PK_RUNION  /* the writer did not, the reader has a union: pick a branch */
} pkind_t;

typedef struct plan plan_t;
struct plan {
  pkind_t kind;
  avro_type_t rtype; /* the reader's type for primitives (promotions) */
  size_t min_size;   /* least bytes the writer's datum takes */
  char *errmsg;
  /* records: memo key; is_rec marks record nodes (also when turned PK_ERROR) */
  int is_rec;
  avro_schema_t wsch, rsch;
  /* fixed */
  size_t fixed_size;
  /* enum */
  avro_schema_t wenum;
  size_t nsym;
  int *symmap;
  int rdefault;
  const char *renum_name;
  /* array items, map values, the reader branch's plan */
  plan_t *sub;
  int rbranch;
  /* record: per writer field a plan, the reader field index (-1 = skip), the
   * path for messages; per reader-only field the default */
  size_t nw;
  plan_t **wplans;
  int *wridx;
  char **wpaths;
  size_t nd;
  int *didx;
  const json_t **djson;
  avro_schema_t *dschema;
  /* writer union: per branch a plan and the reader branch (-1 = not a union) */
  size_t nb;
  plan_t **bplans;
  int *bridx;
  plan_t *next; /* every plan of a pair, for freeing */
};

typedef struct pair {
  const rh_avro_schema_t *writer, *reader;
  plan_t *root;
  plan_t *all;
  int oom;
  struct pair *next;
} pair_t;

struct rh_avro_decoder {
  const rh_avro_schemas_t *set;
  pair_t *pairs;
  char *scratch;
  size_t scratch_cap;
};

static void plan_free(plan_t *p) {
  free(p->errmsg);
  free(p->symmap);
  free(p->wplans);
  free(p->wridx);
  if (p->wpaths)
    for (size_t i = 0; i < p->nw; i++) free(p->wpaths[i]);
  free(p->wpaths);
  free(p->didx);
  free(p->djson);
  free(p->dschema);
  free(p->bplans);
  free(p->bridx);
  free(p);
}

static void pair_free(pair_t *pr) {
  plan_t *p = pr->all;
  while (p) {
    plan_t *n = p->next;
    plan_free(p);
    p = n;
  }
  free(pr);
}

/* Compilation context: out of memory is sticky and checked at the end. */
typedef struct {
  pair_t *pair;
  const rh_avro_schema_t *reader;
} cc_t;

static plan_t *plan_new(cc_t *cc, pkind_t kind) {
  plan_t *p = calloc(1, sizeof *p);
  if (!p) {
    cc->pair->oom = 1;
    return NULL;
  }
  p->kind = kind;
  p->next = cc->pair->all;
  cc->pair->all = p;
  return p;
}

static plan_t *plan_error(cc_t *cc, plan_t *p, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static plan_t *plan_error(cc_t *cc, plan_t *p, const char *path, const char *fmt, ...) {
  if (!p) p = plan_new(cc, PK_ERROR);
  if (!p) return NULL;
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  size_t n = strlen(path) + strlen(msg) + 16;
  free(p->errmsg);
  p->errmsg = malloc(n);
  if (!p->errmsg) {
    cc->pair->oom = 1;
  } else if (*path) {
    snprintf(p->errmsg, n, "at '%s': %s", path, msg);
  } else {
    snprintf(p->errmsg, n, "%s", msg);
  }
  p->kind = PK_ERROR;
  p->min_size = 0;
  return p;
}

static const char *type_label(avro_schema_t s) {
  switch (avro_typeof(s)) {
    case AVRO_STRING: return "string";
    case AVRO_BYTES: return "bytes";
    case AVRO_INT32: return "int";
    case AVRO_INT64: return "long";
    case AVRO_FLOAT: return "float";
    case AVRO_DOUBLE: return "double";
    case AVRO_BOOLEAN: return "boolean";
    case AVRO_NULL: return "null";
    case AVRO_RECORD: return "record";
    case AVRO_ENUM: return "enum";
    case AVRO_FIXED: return "fixed";
    case AVRO_MAP: return "map";
    case AVRO_ARRAY: return "array";
    case AVRO_UNION: return "union";
    case AVRO_LINK: return "link";
  }
  return "?";
}

static int is_primitive_type(avro_type_t t) {
  return t == AVRO_STRING || t == AVRO_BYTES || t == AVRO_INT32 || t == AVRO_INT64 ||
         t == AVRO_FLOAT || t == AVRO_DOUBLE || t == AVRO_BOOLEAN || t == AVRO_NULL;
}

static int promotes(avro_type_t w, avro_type_t r) {
  if (w == r) return 1;
  switch (w) {
    case AVRO_INT32: return r == AVRO_INT64 || r == AVRO_FLOAT || r == AVRO_DOUBLE;
    case AVRO_INT64: return r == AVRO_FLOAT || r == AVRO_DOUBLE;
    case AVRO_FLOAT: return r == AVRO_DOUBLE;
    case AVRO_STRING: return r == AVRO_BYTES;
    case AVRO_BYTES: return r == AVRO_STRING;
    default: return 0;
  }
}

/* Same type, and for named types the same unqualified name. */
static int same_kind(avro_schema_t w, avro_schema_t r) {
  if (avro_typeof(w) != avro_typeof(r)) return 0;
  if (is_avro_named_type(w)) return strcmp(avro_schema_name(w), avro_schema_name(r)) == 0;
  return 1;
}

/* The reader union branch for a (non-union) writer schema, or -1. */
static int pick_branch(avro_schema_t w, avro_schema_t runion) {
  size_t n = avro_schema_union_size(runion);
  for (size_t j = 0; j < n; j++)
    if (same_kind(w, deref(avro_schema_union_branch(runion, (int)j)))) return (int)j;
  if (!is_primitive_type(avro_typeof(w))) return -1;
  for (size_t j = 0; j < n; j++) {
    avro_schema_t b = deref(avro_schema_union_branch(runion, (int)j));
    if (is_primitive_type(avro_typeof(b)) && promotes(avro_typeof(w), avro_typeof(b))) return (int)j;
  }
  return -1;
}

static const char *branch_label(avro_schema_t s) {
  s = deref(s);
  return is_avro_named_type(s) ? avro_schema_name(s) : type_label(s);
}

/* The reader record's field for a writer field name: by name, then by the
 * reader field's aliases. -1 if none. */
static int reader_field(cc_t *cc, avro_schema_t r, const char *wname) {
  size_t n = avro_schema_record_size(r);
  for (size_t k = 0; k < n; k++)
    if (strcmp(avro_schema_record_field_name(r, (int)k), wname) == 0) return (int)k;
  const json_t *rj = rh_avro_schema_named_json(cc->reader, r);
  json_t *fields = rj ? json_object_get(rj, "fields") : NULL;
  for (size_t k = 0; k < json_array_size(fields); k++) {
    json_t *aliases = json_object_get(json_array_get(fields, k), "aliases");
    for (size_t a = 0; a < json_array_size(aliases); a++) {
      const char *al = json_string_value(json_array_get(aliases, a));
      if (al && strcmp(al, wname) == 0) return (int)k;
    }
  }
  return -1;
}

static char *path_join(const char *path, const char *name) {
  size_t n = strlen(path) + strlen(name) + 2;
  char *s = malloc(n);
  if (s) snprintf(s, n, "%s%s%s", path, *path ? "." : "", name);
  return s;
}

static plan_t *compile(cc_t *cc, avro_schema_t w, avro_schema_t r, const char *path);

static plan_t *compile_record(cc_t *cc, avro_schema_t w, avro_schema_t r, const char *path) {
  if (r && (!is_avro_record(r) || strcmp(avro_schema_name(w), avro_schema_name(r)) != 0))
    return plan_error(cc, NULL, path, "writer record %s cannot be read as reader %s %s",
                      avro_schema_name(w), type_label(r), branch_label(r));
  for (plan_t *q = cc->pair->all; q; q = q->next)
    if (q->is_rec && q->wsch == w && q->rsch == r) return q; /* recursion, or seen before */
  plan_t *p = plan_new(cc, PK_RECORD);
  if (!p) return NULL;
  p->is_rec = 1;
  p->wsch = w;
  p->rsch = r;
  size_t nw = avro_schema_record_size(w);
  size_t nr = r ? avro_schema_record_size(r) : 0;
  p->wplans = calloc(nw ? nw : 1, sizeof *p->wplans);
  p->wridx = calloc(nw ? nw : 1, sizeof *p->wridx);
  p->wpaths = calloc(nw ? nw : 1, sizeof *p->wpaths);
  p->didx = calloc(nr ? nr : 1, sizeof *p->didx);
  p->djson = calloc(nr ? nr : 1, sizeof *p->djson);
  p->dschema = calloc(nr ? nr : 1, sizeof *p->dschema);
  char *matched = calloc(nr ? nr : 1, 1);
  if (!p->wplans || !p->wridx || !p->wpaths || !p->didx || !p->djson || !p->dschema || !matched) {
    free(matched);
    cc->pair->oom = 1;
    return p;
  }
  p->nw = nw;
  for (size_t i = 0; i < nw; i++) {
    const char *fname = avro_schema_record_field_name(w, (int)i);
    int k = r ? reader_field(cc, r, fname) : -1;
    if (k >= 0 && matched[k]) k = -1; /* two writer fields for one reader field: first wins */
    if (k >= 0) matched[k] = 1;
    p->wridx[i] = k;
    p->wpaths[i] = path_join(path, fname);
    if (!p->wpaths[i]) {
      cc->pair->oom = 1;
      break;
    }
    p->wplans[i] = compile(cc, avro_schema_record_field_get_by_index(w, (int)i),
                           k >= 0 ? avro_schema_record_field_get_by_index(r, k) : NULL,
                           p->wpaths[i]);
    if (!p->wplans[i]) {
      cc->pair->oom = 1;
      break;
    }
    p->min_size += p->wplans[i]->min_size;
  }
  if (r && !cc->pair->oom) {
    const json_t *rj = rh_avro_schema_named_json(cc->reader, r);
    json_t *fields = rj ? json_object_get(rj, "fields") : NULL;
    for (size_t k = 0; k < nr; k++) {
      if (matched[k]) continue;
      const json_t *def = json_object_get(json_array_get(fields, k), "default");
      if (!def) {
        char *fp = path_join(path, avro_schema_record_field_name(r, (int)k));
        plan_error(cc, p, fp ? fp : path,
                   "reader field is not in the writer's schema and has no default");
        free(fp);
        break;
      }
      p->didx[p->nd] = (int)k;
      p->djson[p->nd] = def;
      p->dschema[p->nd] = avro_schema_record_field_get_by_index(r, (int)k);
      p->nd++;
    }
  }
  free(matched);
  return p;
}

static plan_t *compile_enum(cc_t *cc, avro_schema_t w, avro_schema_t r, const char *path) {
  if (r && (!is_avro_enum(r) || strcmp(avro_schema_name(w), avro_schema_name(r)) != 0))
    return plan_error(cc, NULL, path, "writer enum %s cannot be read as reader %s %s",
                      avro_schema_name(w), type_label(r), branch_label(r));
  plan_t *p = plan_new(cc, PK_ENUM);
  if (!p) return NULL;
  p->min_size = 1;
  p->wenum = w;
  p->nsym = (size_t)avro_schema_enum_number_of_symbols(w);
  p->rdefault = -1;
  if (!r) return p;
  p->renum_name = avro_schema_name(r);
  p->symmap = malloc((p->nsym ? p->nsym : 1) * sizeof *p->symmap);
  if (!p->symmap) {
    cc->pair->oom = 1;
    return p;
  }
  for (size_t i = 0; i < p->nsym; i++)
    p->symmap[i] = avro_schema_enum_get_by_name(r, avro_schema_enum_get(w, (int)i));
  const json_t *rj = rh_avro_schema_named_json(cc->reader, r);
  const char *def = rj ? json_string_value(json_object_get(rj, "default")) : NULL;
  if (def) p->rdefault = avro_schema_enum_get_by_name(r, def);
  return p;
}

static plan_t *compile(cc_t *cc, avro_schema_t w, avro_schema_t r, const char *path) {
  w = deref(w);
  r = deref(r);
  if (!w) return plan_error(cc, NULL, path, "writer schema missing (internal)");

  if (is_avro_union(w)) {
    plan_t *p = plan_new(cc, PK_WUNION);
    if (!p) return NULL;
    size_t nb = avro_schema_union_size(w);
    p->min_size = 1;
    p->bplans = calloc(nb ? nb : 1, sizeof *p->bplans);
    p->bridx = calloc(nb ? nb : 1, sizeof *p->bridx);
    if (!p->bplans || !p->bridx) {
      cc->pair->oom = 1;
      return p;
    }
    p->nb = nb;
    for (size_t i = 0; i < nb; i++) {
      avro_schema_t b = deref(avro_schema_union_branch(w, (int)i));
      p->bridx[i] = -1;
      if (!r) {
        p->bplans[i] = compile(cc, b, NULL, path);
      } else if (is_avro_union(r)) {
        int j = pick_branch(b, r);
        if (j < 0) {
          p->bplans[i] = plan_error(cc, NULL, path, "writer union branch %s has no match in the reader's union",
                                    branch_label(b));
        } else {
          p->bridx[i] = j;
          p->bplans[i] = compile(cc, b, avro_schema_union_branch(r, j), path);
        }
      } else {
        p->bplans[i] = compile(cc, b, r, path);
      }
      if (!p->bplans[i]) {
        cc->pair->oom = 1;
        return p;
      }
    }
    return p;
  }

  if (r && is_avro_union(r)) {
    int j = pick_branch(w, r);
    if (j < 0)
      return plan_error(cc, NULL, path, "writer %s has no match in the reader's union",
                        branch_label(w));
    plan_t *p = plan_new(cc, PK_RUNION);
    if (!p) return NULL;
    p->rbranch = j;
    p->sub = compile(cc, w, avro_schema_union_branch(r, j), path);
    if (!p->sub) {
      cc->pair->oom = 1;
      return p;
    }
    p->min_size = p->sub->min_size;
    return p;
  }

  avro_type_t wt = avro_typeof(w);
  if (is_primitive_type(wt)) {
    if (r && (!is_primitive_type(avro_typeof(r)) || !promotes(wt, avro_typeof(r))))
      return plan_error(cc, NULL, path, "writer %s cannot be read as reader %s", type_label(w),
                        branch_label(r));
    static const struct {
      avro_type_t t;
      pkind_t k;
      size_t min;
    } map[] = {{AVRO_NULL, PK_NULL, 0},     {AVRO_BOOLEAN, PK_BOOLEAN, 1},
               {AVRO_INT32, PK_INT, 1},     {AVRO_INT64, PK_LONG, 1},
               {AVRO_FLOAT, PK_FLOAT, 4},   {AVRO_DOUBLE, PK_DOUBLE, 8},
               {AVRO_BYTES, PK_BYTES, 1},   {AVRO_STRING, PK_STRING, 1}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
      if (map[i].t != wt) continue;
      plan_t *p = plan_new(cc, map[i].k);
      if (!p) return NULL;
      p->min_size = map[i].min;
      p->rtype = r ? avro_typeof(r) : wt;
      return p;
    }
  }
  switch (wt) {
    case AVRO_RECORD:
      return compile_record(cc, w, r, path);
    case AVRO_ENUM:
      return compile_enum(cc, w, r, path);
    case AVRO_FIXED: {
      if (r && (!is_avro_fixed(r) || strcmp(avro_schema_name(w), avro_schema_name(r)) != 0 ||
                avro_schema_fixed_size(w) != avro_schema_fixed_size(r)))
        return plan_error(cc, NULL, path, "writer fixed %s cannot be read as reader %s %s",
                          avro_schema_name(w), type_label(r), branch_label(r));
      plan_t *p = plan_new(cc, PK_FIXED);
      if (!p) return NULL;
      p->fixed_size = (size_t)avro_schema_fixed_size(w);
      p->min_size = p->fixed_size;
      return p;
    }
    case AVRO_ARRAY:
    case AVRO_MAP: {
      int is_array = wt == AVRO_ARRAY;
      if (r && avro_typeof(r) != wt)
        return plan_error(cc, NULL, path, "writer %s cannot be read as reader %s", type_label(w),
                          branch_label(r));
      plan_t *p = plan_new(cc, is_array ? PK_ARRAY : PK_MAP);
      if (!p) return NULL;
      p->min_size = 1;
      p->sub = compile(cc, is_array ? avro_schema_array_items(w) : avro_schema_map_values(w),
                       r ? (is_array ? avro_schema_array_items(r) : avro_schema_map_values(r)) : NULL,
                       path);
      if (!p->sub) cc->pair->oom = 1;
      return p;
    }
    default:
      break;
  }
  return plan_error(cc, NULL, path, "unsupported writer type %s", type_label(w));
}

static pair_t *pair_get(rh_avro_decoder_t *dec, const rh_avro_schema_t *writer,
                        const rh_avro_schema_t *reader) {
  for (pair_t *pr = dec->pairs; pr; pr = pr->next)
    if (pr->writer == writer && pr->reader == reader) return pr;
  pair_t *pr = calloc(1, sizeof *pr);
  if (!pr) return NULL;
  pr->writer = writer;
  pr->reader = reader;
  cc_t cc = {.pair = pr, .reader = reader};
  pr->root = compile(&cc, writer->schema, reader->schema, "");
  if (!pr->root || pr->oom) {
    pair_free(pr);
    return NULL;
  }
  pr->next = dec->pairs;
  dec->pairs = pr;
  return pr;
}

/* ------------------------------------------------------------------------- */
/* Decoder                                                                    */

rh_avro_decoder_t *rh_avro_decoder_new(const rh_avro_schemas_t *set) {
  if (!set) return NULL;
  rh_avro_decoder_t *dec = calloc(1, sizeof *dec);
  if (dec) dec->set = set;
  return dec;
}

void rh_avro_decoder_destroy(rh_avro_decoder_t *dec) {
  if (!dec) return;
  pair_t *pr = dec->pairs;
  while (pr) {
    pair_t *n = pr->next;
    pair_free(pr);
    pr = n;
  }
  free(dec->scratch);
  free(dec);
}

/* One decoding: the cursor (bytes, offsets and messages: rh_avro_wire) and
 * the decoder's state. */
typedef struct {
  rh_avro_wire_rd_t r;
  rh_avro_decoder_t *dec;
  const rh_avro_schema_t *reader;
  int depth;
  size_t empty_items;
} dctx_t;

/* A failure at the cursor: "<message> at byte N (field 'F')" (rh_avro_wire_fail). */
#define DFAIL(c, ...) rh_avro_wire_fail(&(c)->r, __VA_ARGS__)

static rh_avro_status_t davro(dctx_t *c, const char *what) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s", avro_strerror()); /* copy the global buffer at once */
  return DFAIL(c, RH_AVRO_EAVRO, "Avro C failed to set %s: %s", what, msg);
}

/* n bytes and a NUL in the decoder's scratch buffer (kept between calls). */
static char *scratch_copy(dctx_t *c, const unsigned char *s, size_t n) {
  rh_avro_decoder_t *d = c->dec;
  if (n + 1 > d->scratch_cap) {
    size_t cap = d->scratch_cap ? d->scratch_cap : 256;
    while (cap < n + 1) cap *= 2;
    char *p = realloc(d->scratch, cap);
    if (!p) return NULL;
    d->scratch = p;
    d->scratch_cap = cap;
  }
  memcpy(d->scratch, s, n);
  d->scratch[n] = '\0';
  return d->scratch;
}

static rh_avro_status_t dec_value(dctx_t *c, const plan_t *p, avro_value_t *dest);

/* Array and map blocks: count, [byte size if count < 0], items. */
static rh_avro_status_t dec_blocks(dctx_t *c, const plan_t *p, avro_value_t *dest) {
  int is_map = p->kind == PK_MAP;
  size_t item_min = p->sub->min_size + (is_map ? 1 : 0);
  for (;;) {
    int64_t count;
    rh_avro_status_t st = rh_avro_wire_read_block(&c->r, item_min, &count);
    if (st != RH_AVRO_OK || count == 0) return st;
    if (item_min == 0) {
      if ((uint64_t)count > RH_AVRO_MAX_EMPTY_ITEMS - c->empty_items)
        return DFAIL(c, RH_AVRO_ELIMIT, "more than %d items of an empty type",
                                 RH_AVRO_MAX_EMPTY_ITEMS);
      c->empty_items += (size_t)count;
    }
    for (int64_t i = 0; i < count; i++) {
      avro_value_t child, *cp = NULL;
      if (is_map) {
        size_t klen;
        const unsigned char *key;
        st = rh_avro_wire_read_map_key(&c->r, &key, &klen, dest != NULL);
        if (st != RH_AVRO_OK) return st;
        if (dest) {
          char *k = scratch_copy(c, key, klen);
          if (!k) return DFAIL(c, RH_AVRO_ENOMEM, "out of memory");
          if (avro_value_add(dest, k, &child, NULL, NULL) != 0) return davro(c, "a map entry");
          cp = &child;
        }
      } else if (dest) {
        if (avro_value_append(dest, &child, NULL) != 0) return davro(c, "an array item");
        cp = &child;
      }
      st = dec_value(c, p->sub, cp);
      if (st != RH_AVRO_OK) return st;
    }
  }
}

static rh_avro_status_t dec_record(dctx_t *c, const plan_t *p, avro_value_t *dest) {
  const char *saved = c->r.field;
  for (size_t i = 0; i < p->nw; i++) {
    c->r.field = p->wpaths[i];
    avro_value_t child, *cp = NULL;
    if (dest && p->wridx[i] >= 0) {
      if (avro_value_get_by_index(dest, (size_t)p->wridx[i], &child, NULL) != 0)
        return davro(c, "a record field");
      cp = &child;
    }
    rh_avro_status_t st = dec_value(c, p->wplans[i], cp);
    if (st != RH_AVRO_OK) return st;
  }
  c->r.field = saved;
  if (!dest) return RH_AVRO_OK;
  for (size_t k = 0; k < p->nd; k++) {
    avro_value_t child;
    if (avro_value_get_by_index(dest, (size_t)p->didx[k], &child, NULL) != 0)
      return davro(c, "a record field");
    char msg[300];
    rh_avro_status_t st =
        rh_avro_default_apply(c->reader, p->dschema[k], p->djson[k], &child, msg, sizeof msg);
    if (st != RH_AVRO_OK)
      return DFAIL(c, st, "reader default of field '%s': %s",
                   avro_schema_record_field_name(p->rsch, p->didx[k]), msg);
  }
  return RH_AVRO_OK;
}

static rh_avro_status_t store_real(dctx_t *c, avro_type_t rt, double v, avro_value_t *dest) {
  int rc = rt == AVRO_FLOAT ? avro_value_set_float(dest, (float)v) : avro_value_set_double(dest, v);
  return rc ? davro(c, "a number") : RH_AVRO_OK;
}

static rh_avro_status_t dec_value(dctx_t *c, const plan_t *p, avro_value_t *dest) {
  rh_avro_status_t st;
  switch (p->kind) {
    case PK_ERROR:
      return DFAIL(c, RH_AVRO_ERESOLVE, "cannot resolve: %s", p->errmsg ? p->errmsg : "?");
    case PK_NULL:
      if (dest && avro_value_set_null(dest) != 0) return davro(c, "null");
      return RH_AVRO_OK;
    case PK_BOOLEAN: {
      if ((st = rh_avro_wire_need(&c->r, 1, "boolean")) != RH_AVRO_OK) return st;
      unsigned b = *c->r.p;
      if (b > 1) return DFAIL(c, RH_AVRO_EDATA, "boolean byte %u is not 0 or 1", b);
      c->r.p++;
      if (dest && avro_value_set_boolean(dest, (int)b) != 0) return davro(c, "a boolean");
      return RH_AVRO_OK;
    }
    case PK_INT: {
      int32_t v;
      if ((st = rh_avro_wire_read_int(&c->r, &v)) != RH_AVRO_OK) return st;
      if (!dest) return RH_AVRO_OK;
      int rc;
      switch (p->rtype) {
        case AVRO_INT32: rc = avro_value_set_int(dest, v); break;
        case AVRO_INT64: rc = avro_value_set_long(dest, v); break;
        case AVRO_FLOAT: rc = avro_value_set_float(dest, (float)v); break;
        default: rc = avro_value_set_double(dest, (double)v); break;
      }
      return rc ? davro(c, "an int") : RH_AVRO_OK;
    }
    case PK_LONG: {
      int64_t v;
      if ((st = rh_avro_wire_read_long(&c->r, &v)) != RH_AVRO_OK) return st;
      if (!dest) return RH_AVRO_OK;
      int rc;
      switch (p->rtype) {
        case AVRO_INT64: rc = avro_value_set_long(dest, v); break;
        case AVRO_FLOAT: rc = avro_value_set_float(dest, (float)v); break;
        default: rc = avro_value_set_double(dest, (double)v); break;
      }
      return rc ? davro(c, "a long") : RH_AVRO_OK;
    }
    case PK_FLOAT: {
      if ((st = rh_avro_wire_need(&c->r, 4, "float")) != RH_AVRO_OK) return st;
      uint32_t u = (uint32_t)c->r.p[0] | (uint32_t)c->r.p[1] << 8 | (uint32_t)c->r.p[2] << 16 |
                   (uint32_t)c->r.p[3] << 24;
      c->r.p += 4;
      float f;
      memcpy(&f, &u, 4);
      if (!dest) return RH_AVRO_OK;
      return store_real(c, p->rtype, f, dest);
    }
    case PK_DOUBLE: {
      if ((st = rh_avro_wire_need(&c->r, 8, "double")) != RH_AVRO_OK) return st;
      uint64_t u = 0;
      for (int i = 0; i < 8; i++) u |= (uint64_t)c->r.p[i] << (8 * i);
      c->r.p += 8;
      double d;
      memcpy(&d, &u, 8);
      if (!dest) return RH_AVRO_OK;
      return store_real(c, AVRO_DOUBLE, d, dest);
    }
    case PK_BYTES:
    case PK_STRING: {
      size_t n;
      const unsigned char *s;
      st = rh_avro_wire_read_bytes(&c->r, &s, &n, p->kind == PK_STRING ? "string" : "bytes");
      if (st != RH_AVRO_OK || !dest) return st;
      if (p->rtype == AVRO_STRING) {
        if ((st = rh_avro_wire_check_utf8(&c->r, s, n)) != RH_AVRO_OK) return st;
        char *z = scratch_copy(c, s, n);
        if (!z) return DFAIL(c, RH_AVRO_ENOMEM, "out of memory");
        /* Avro C's string length includes the NUL. */
        return avro_value_set_string_len(dest, z, n + 1) ? davro(c, "a string") : RH_AVRO_OK;
      }
      return avro_value_set_bytes(dest, (void *)s, n) ? davro(c, "bytes") : RH_AVRO_OK;
    }
    case PK_FIXED: {
      if ((st = rh_avro_wire_need(&c->r, p->fixed_size, "fixed")) != RH_AVRO_OK) return st;
      const unsigned char *s = c->r.p;
      c->r.p += p->fixed_size;
      if (dest && avro_value_set_fixed(dest, (void *)s, p->fixed_size) != 0)
        return davro(c, "a fixed");
      return RH_AVRO_OK;
    }
    case PK_ENUM: {
      const unsigned char *at = c->r.p;
      int32_t idx;
      if ((st = rh_avro_wire_read_int(&c->r, &idx)) != RH_AVRO_OK) return st;
      if (idx < 0 || (size_t)idx >= p->nsym) {
        c->r.p = at;
        return DFAIL(c, RH_AVRO_EDATA, "enum index %" PRId32 " out of range (%zu symbols)", idx,
                     p->nsym);
      }
      if (!dest) return RH_AVRO_OK;
      int r = p->symmap ? p->symmap[idx] : idx;
      if (r < 0) r = p->rdefault;
      if (r < 0)
        return DFAIL(c, RH_AVRO_ERESOLVE,
                     "writer symbol %s is not in reader enum %s, which has no default",
                     avro_schema_enum_get(p->wenum, idx), p->renum_name ? p->renum_name : "?");
      return avro_value_set_enum(dest, r) ? davro(c, "an enum") : RH_AVRO_OK;
    }
    case PK_ARRAY:
    case PK_MAP:
    case PK_RECORD: {
      if (++c->depth > RH_AVRO_MAX_DEPTH) {
        c->depth--;
        return DFAIL(c, RH_AVRO_ELIMIT, "nested deeper than %d", RH_AVRO_MAX_DEPTH);
      }
      st = p->kind == PK_RECORD ? dec_record(c, p, dest) : dec_blocks(c, p, dest);
      c->depth--;
      return st;
    }
    case PK_WUNION: {
      int64_t idx;
      if ((st = rh_avro_wire_read_branch(&c->r, p->nb, &idx)) != RH_AVRO_OK) return st;
      if (dest && p->bridx[idx] >= 0) {
        avro_value_t branch;
        if (avro_value_set_branch(dest, p->bridx[idx], &branch) != 0) return davro(c, "a union");
        return dec_value(c, p->bplans[idx], &branch);
      }
      return dec_value(c, p->bplans[idx], dest);
    }
    case PK_RUNION: {
      if (!dest) return dec_value(c, p->sub, NULL);
      avro_value_t branch;
      if (avro_value_set_branch(dest, p->rbranch, &branch) != 0) return davro(c, "a union");
      return dec_value(c, p->sub, &branch);
    }
  }
  return DFAIL(c, RH_AVRO_ERESOLVE, "internal: unknown plan");
}

rh_avro_status_t rh_avro_decode(rh_avro_decoder_t *dec, const void *data, size_t len,
                                const rh_avro_schema_t *reader, avro_value_t *dest,
                                const rh_avro_schema_t **writer_out, char *errstr,
                                size_t errstr_size) {
  if (writer_out) *writer_out = NULL;
  if (!dec || (!data && len) || !dest || !dest->iface) {
    rh_errf(errstr, errstr_size, "rh_avro_decode: NULL argument");
    return RH_AVRO_EINVAL;
  }
  uint64_t fp;
  rh_avro_status_t st = rh_avro_wire_peek_fingerprint(data, len, &fp, errstr, errstr_size);
  if (st != RH_AVRO_OK) return st;
  const rh_avro_schema_t *writer = rh_avro_schemas_by_fingerprint(dec->set, fp);
  if (!writer) {
    char hex[RH_AVRO_FP_HEXSZ];
    rh_avro_fingerprint_hex(fp, hex);
    rh_errf(errstr, errstr_size, "unknown writer schema: fingerprint %s is not in the schema set",
           hex);
    return RH_AVRO_EUNKNOWN;
  }
  if (writer_out) *writer_out = writer;
  if (!reader) reader = writer;
  if (reader->set != dec->set) {
    rh_errf(errstr, errstr_size, "rh_avro_decode: reader %s is not of the decoder's schema set",
           reader->fullname);
    return RH_AVRO_EINVAL;
  }
  if (avro_value_get_schema(dest) != reader->schema) {
    rh_errf(errstr, errstr_size, "rh_avro_decode: dest is not a value of %s (%s)", reader->fullname,
           reader->fingerprint_hex);
    return RH_AVRO_EINVAL;
  }
  pair_t *pr = pair_get(dec, writer, reader);
  if (!pr) {
    rh_errf(errstr, errstr_size, "out of memory compiling %s -> %s", writer->fullname,
           reader->fullname);
    return RH_AVRO_ENOMEM;
  }
  if (avro_value_reset(dest) != 0) {
    rh_errf(errstr, errstr_size, "avro_value_reset: %s", avro_strerror());
    return RH_AVRO_EAVRO;
  }
  char msg[512];
  dctx_t c = {.r = {.base = data,
                    .p = (const unsigned char *)data + RH_AVRO_HEADER_LEN,
                    .end = (const unsigned char *)data + len,
                    .err = msg,
                    .errsz = sizeof msg},
              .dec = dec,
              .reader = reader};
  st = dec_value(&c, pr->root, dest);
  if (st == RH_AVRO_OK && c.r.p != c.r.end) {
    c.r.field = NULL;
    st = DFAIL(&c, RH_AVRO_ETRAILING, "%zu bytes after the end of the record",
               rh_avro_wire_left(&c.r));
  }
  if (st != RH_AVRO_OK) {
    if (reader == writer)
      rh_errf(errstr, errstr_size, "%s (writer %s %s)", msg, writer->fullname, writer->fingerprint_hex);
    else
      rh_errf(errstr, errstr_size, "%s (writer %s %s, reader %s %s)", msg, writer->fullname,
             writer->fingerprint_hex, reader->fullname, reader->fingerprint_hex);
  }
  return st;
}
