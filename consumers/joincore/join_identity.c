/* join_identity: the identity list against the registry (join_identity.h,
 * docs/identity.md). */
#include "join_identity.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_discrepancy.h"
#include "rh_map.h"
#include "rh_parse.h"

/* the codes and their order are rh_discrepancy's (the records' kinds) */
_Static_assert((int)JOIN_IDENTITY_KIND_COUNT == (int)RH_DISC_KIND_COUNT,
               "join_identity's kinds are rh_discrepancy's");

const char *join_identity_kind_str(join_identity_kind_t k) {
  const char *code = rh_disc_kind_code((size_t)k);
  return code ? code : "?";
}

int join_identity_kind_parse(const char *s, join_identity_kind_t *out) {
  int k = rh_disc_kind_index(s);
  if (k < 0) return -1;
  *out = (join_identity_kind_t)k;
  return 0;
}

/* The kind's code, not its number, goes into the hash: reordering the enum
 * must not change an id a township already holds. */
void join_identity_id(const char *id_number, join_identity_kind_t kind, const char *period,
                      char out[RH_SHA256_HEXSZ]) {
  const char *parts[4] = {"riskhub-identity-v1", id_number ? id_number : "",
                          join_identity_kind_str(kind), period ? period : ""};
  rh_sha256_parts(parts, 4, out);
}

/* ---- relations ------------------------------------------------------------ */

/* The words of the 与户主关系 column as household registers write them
 * (the generator's twelve, and the collective and elder forms a clerk
 * types). Words that name a relation the registry's seven do not hold
 * exactly (儿媳, 女婿, 外孙, 侄子, ...) are left out on purpose: mapping them
 * to "other" would call a registry that says "child" for a daughter-in-law
 * wrong, or right, by guesswork; they count as unreadable instead. */
static const struct {
  const char *word;
  rh_regmap_relation_t rel;
} relation_words[] = {
    {"户主", RH_REGMAP_REL_HEAD},        {"本人", RH_REGMAP_REL_HEAD},
    {"配偶", RH_REGMAP_REL_SPOUSE},      {"夫", RH_REGMAP_REL_SPOUSE},
    {"妻", RH_REGMAP_REL_SPOUSE},        {"丈夫", RH_REGMAP_REL_SPOUSE},
    {"妻子", RH_REGMAP_REL_SPOUSE},      {"子女", RH_REGMAP_REL_CHILD},
    {"子", RH_REGMAP_REL_CHILD},         {"女", RH_REGMAP_REL_CHILD},
    {"儿子", RH_REGMAP_REL_CHILD},       {"女儿", RH_REGMAP_REL_CHILD},
    {"长子", RH_REGMAP_REL_CHILD},       {"次子", RH_REGMAP_REL_CHILD},
    {"长女", RH_REGMAP_REL_CHILD},       {"次女", RH_REGMAP_REL_CHILD},
    {"父母", RH_REGMAP_REL_PARENT},      {"父亲", RH_REGMAP_REL_PARENT},
    {"母亲", RH_REGMAP_REL_PARENT},      {"孙子女", RH_REGMAP_REL_GRANDCHILD},
    {"孙子", RH_REGMAP_REL_GRANDCHILD},  {"孙女", RH_REGMAP_REL_GRANDCHILD},
    {"兄弟姐妹", RH_REGMAP_REL_SIBLING}, {"兄弟", RH_REGMAP_REL_SIBLING},
    {"姐妹", RH_REGMAP_REL_SIBLING},     {"兄", RH_REGMAP_REL_SIBLING},
    {"弟", RH_REGMAP_REL_SIBLING},       {"姐", RH_REGMAP_REL_SIBLING},
    {"妹", RH_REGMAP_REL_SIBLING},       {"其他", RH_REGMAP_REL_OTHER},
};

/* Trimmed (rh_trim: ASCII blanks and U+3000) view of s; NULL is empty. */
static const char *trimmed(const char *s, size_t *len) {
  const char *t = "";
  *len = 0;
  if (s) rh_trim(s, strlen(s), &t, len);
  return t;
}

static bool same(const char *a, size_t alen, const char *b) {
  return strlen(b) == alen && memcmp(a, b, alen) == 0;
}

int join_identity_relation_parse(const char *word, rh_regmap_relation_t *out) {
  size_t n;
  const char *w = trimmed(word, &n);
  for (size_t i = 0; i < sizeof relation_words / sizeof relation_words[0]; i++)
    if (same(w, n, relation_words[i].word)) {
      *out = relation_words[i].rel;
      return 0;
    }
  char code[16];
  if (n == 0 || n >= sizeof code) return -1;
  memcpy(code, w, n);
  code[n] = '\0';
  return rh_regmap_relation_parse(code, out);
}

/* ---- one person ----------------------------------------------------------- */

/* Copy src[0..n) into a value buffer, cut at a UTF-8 character boundary if
 * it is too long (never half a character in a record). */
static void put_value(char dst[JOIN_IDENTITY_VALUE_BUFSZ], const char *src, size_t n) {
  if (n >= JOIN_IDENTITY_VALUE_BUFSZ) {
    n = JOIN_IDENTITY_VALUE_BUFSZ - 1;
    while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80) n--;
  }
  memcpy(dst, src, n);
  dst[n] = '\0';
}

static void put_str(char dst[JOIN_IDENTITY_VALUE_BUFSZ], const char *src) {
  put_value(dst, src ? src : "", src ? strlen(src) : 0);
}

static const char *fact(const rh_feedrecord_t *r, const char *name) {
  for (size_t i = 0; i < r->fact_count; i++)
    if (r->facts[i].name && strcmp(r->facts[i].name, name) == 0) return r->facts[i].value;
  return NULL;
}

/* What one comparison needs as it goes. */
typedef struct {
  const rh_feedrecord_t *r;
  const char *id; /* normalised */
  const rh_regmap_person_t *p;
  join_identity_discrepancy_t *out;
  int n;
  join_identity_counts_t *counts;
  char township[16]; /* the record's township code, when the list names one */
} cmp_t;

static join_identity_discrepancy_t *add(cmp_t *c, join_identity_kind_t kind) {
  join_identity_discrepancy_t *d = &c->out[c->n++];
  memset(d, 0, sizeof *d);
  d->kind = kind;
  memcpy(d->id_number, c->id, RH_ID_BUFSZ);
  if (c->p) {
    snprintf(d->household_id, sizeof d->household_id, "%s", c->p->household->household_id);
    snprintf(d->township_code, sizeof d->township_code, "%s", c->p->household->township_code);
  } else {
    snprintf(d->township_code, sizeof d->township_code, "%s", c->township);
  }
  if (c->counts) c->counts->found[kind]++;
  return d;
}

static void cmp_name(cmp_t *c) {
  size_t ln, rn;
  const char *l = trimmed(c->r->name, &ln), *g = trimmed(c->p->name, &rn);
  if (ln == 0 || (ln == rn && memcmp(l, g, ln) == 0)) return;
  join_identity_discrepancy_t *d = add(c, JOIN_IDENTITY_NAME_DIFFERS);
  put_value(d->registry_value, g, rn);
  put_value(d->list_value, l, ln);
}

/* "王庄" for "王庄村": the short form a list may write, as townships have
 * theirs (rh_config_township_find). Only the one suffix 村 is dropped. */
static bool same_village(const char *a, size_t an, const char *b, size_t bn) {
  static const char cun[] = "村";
  const size_t cl = sizeof cun - 1;
  if (an == bn) return memcmp(a, b, an) == 0;
  if (an > bn) { /* a the shorter */
    const char *t = a;
    size_t tn = an;
    a = b, an = bn;
    b = t, bn = tn;
  }
  return an > 0 && bn == an + cl && memcmp(a, b, an) == 0 && memcmp(b + an, cun, cl) == 0;
}

/* Township first: a village is only the same village inside the same
 * township, so another township is one discrepancy, not two. */
static void cmp_place(cmp_t *c) {
  const rh_regmap_household_t *h = c->p->household;
  if (c->township[0] && strcmp(c->township, h->township_code) != 0) {
    join_identity_discrepancy_t *d = add(c, JOIN_IDENTITY_OTHER_TOWNSHIP);
    put_str(d->registry_value, h->township_code);
    put_str(d->list_value, c->township);
    return;
  }
  size_t ln, rn;
  const char *l = trimmed(c->r->village, &ln), *g = trimmed(h->village, &rn);
  if (ln == 0 || same_village(l, ln, g, rn)) return;
  join_identity_discrepancy_t *d = add(c, JOIN_IDENTITY_OTHER_VILLAGE);
  put_value(d->registry_value, g, rn);
  put_value(d->list_value, l, ln);
}

static void cmp_relation(cmp_t *c) {
  size_t n;
  const char *w = trimmed(fact(c->r, JOIN_IDENTITY_FACT_RELATION), &n);
  rh_regmap_relation_t rel;
  if (n == 0) return;
  if (join_identity_relation_parse(w, &rel) != 0) {
    if (c->counts) c->counts->relation_unreadable++;
    return;
  }
  if (rel == c->p->relation) return;
  join_identity_discrepancy_t *d = add(c, JOIN_IDENTITY_RELATION_DIFFERS);
  put_str(d->registry_value, rh_regmap_relation_str(c->p->relation));
  put_value(d->list_value, w, n);
}

/* Compared as dates, not as text: 1980/1/5 and 19800105 are the ID's
 * 1980-01-05 (rh_parse_date takes what Excel writes). */
static void cmp_birth(cmp_t *c) {
  size_t n;
  const char *t = trimmed(fact(c->r, JOIN_IDENTITY_FACT_BIRTH_DATE), &n);
  int32_t days;
  int y, m, dd;
  if (n == 0) return;
  if (rh_parse_date(t, n, &days) != 0) {
    if (c->counts) c->counts->birth_date_unreadable++;
    return;
  }
  rh_id_birth_date(c->id, &y, &m, &dd);
  if (days == rh_days_from_date(y, m, dd)) return;
  join_identity_discrepancy_t *d = add(c, JOIN_IDENTITY_BIRTH_DATE_CONTRADICTS_ID);
  snprintf(d->registry_value, sizeof d->registry_value, "%04d-%02d-%02d", y, m, dd);
  put_value(d->list_value, t, n);
}

static void cmp_sex(cmp_t *c) {
  size_t n;
  const char *t = trimmed(fact(c->r, JOIN_IDENTITY_FACT_SEX), &n);
  int male;
  if (n == 0) return;
  if (same(t, n, "男") || same(t, n, "男性") || same(t, n, "male")) male = 1;
  else if (same(t, n, "女") || same(t, n, "女性") || same(t, n, "female")) male = 0;
  else {
    if (c->counts) c->counts->sex_unreadable++;
    return;
  }
  int id_male = rh_id_is_male(c->id) ? 1 : 0;
  if (male == id_male) return;
  join_identity_discrepancy_t *d = add(c, JOIN_IDENTITY_SEX_CONTRADICTS_ID);
  put_str(d->registry_value, id_male ? "男" : "女");
  put_value(d->list_value, t, n);
}

/* The list's township as a code: what the producer resolved (a code), or a
 * name or short name from another writer. Unknown text is counted and not
 * compared. */
static void resolve_township(const rh_config_t *cfg, cmp_t *c) {
  size_t n;
  const char *t = trimmed(c->r->township_code, &n);
  char buf[128];
  c->township[0] = '\0';
  if (n == 0) return;
  if (n >= sizeof buf) n = sizeof buf - 1;
  memcpy(buf, t, n);
  buf[n] = '\0';
  const rh_config_township_t *tw = cfg ? rh_config_township_find(cfg, buf) : NULL;
  if (tw) snprintf(c->township, sizeof c->township, "%s", tw->code);
  else if (c->counts) c->counts->township_unreadable++;
}

int join_identity_compare(const rh_config_t *cfg, const rh_regmap_t *map, const rh_feedrecord_t *r,
                          join_identity_discrepancy_t out[JOIN_IDENTITY_PERSON_MAX],
                          join_identity_counts_t *counts, char *errstr, size_t errstr_size) {
  char id[RH_ID_BUFSZ], masked[RH_ID_BUFSZ];
  int year = 0, month;
  /* The period bounds the birth year, not today's clock: the same record
   * gives the same answer in a replay years later. */
  if (!r->period || rh_parse_period(r->period, &year, &month) != 0) year = 0;
  const char *in = r->id_number ? r->id_number : "";
  rh_id_status_t st = rh_id_validate(in, strlen(in), year, id);
  if (st != RH_ID_OK) {
    rh_id_mask(in, masked);
    snprintf(errstr, errstr_size, "identity record %s: %s", masked, rh_id_status_str(st));
    return -1;
  }
  cmp_t c = {.r = r, .id = id, .p = rh_regmap_find(map, id), .out = out, .counts = counts};
  if (counts) counts->records++;
  resolve_township(cfg, &c);
  if (!c.p) {
    join_identity_discrepancy_t *d = add(&c, JOIN_IDENTITY_NOT_IN_REGISTRY);
    size_t n;
    const char *name = trimmed(r->name, &n);
    put_value(d->list_value, name, n);
  } else {
    cmp_name(&c);
    cmp_place(&c);
    cmp_relation(&c);
  }
  cmp_birth(&c);
  cmp_sex(&c);
  return c.n;
}
