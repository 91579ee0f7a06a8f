/* gen: the synthetic household registry (households, members, applicants)
 * and its three CSV files. See docs/data.md for the columns and codes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_registry.h"
#include "gen_facts.h"

const char *const gen_relation_codes[] = {"head",       "spouse",  "child", "parent",
                                             "grandchild", "sibling", "other"};
const char *const gen_relation_zh[] = {"户主", "配偶", "子女", "父母", "孙子女", "兄弟姐妹", "其他"};
const char *const gen_health_codes[] = {"healthy", "chronic", "major_illness", "disabled"};
const char *const gen_labour_codes[] = {"strong", "weak", "none"};
const char *const gen_schooling_codes[] = {"none",   "primary", "junior",
                                              "senior", "college", "in_school"};
const char *const gen_household_type_codes[] = {"ordinary", "poverty_alleviated", "monitored"};
const char *const gen_category_codes[] = {"", "unstable", "marginal", "sudden_hardship"};
const char *const gen_elim_codes[] = {"", "assisted", "natural"};

/* Village names: <prefix><suffix>村, some with a direction in front
 * (东王庄村). Independent of the seed, so a county keeps its villages. */
static const char *const village_prefix[] = {
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙",
    "胡", "朱", "高", "林", "何", "郭", "马", "罗", "梁", "宋", "郑", "谢",
    "韩", "唐", "冯", "于", "董", "曹", "袁", "邓", "许", "彭", "苏", "蒋"};
static const char *const village_suffix[] = {"庄", "营", "寨", "楼", "岗", "集", "湾",
                                             "屯", "店", "桥", "洼", "寺", "园", "坡"};
static const char *const village_dir[] = {"东", "西", "南", "北", "前", "后", "大", "小"};
#define NPREFIX (sizeof(village_prefix) / sizeof(village_prefix[0]))
#define NSUFFIX (sizeof(village_suffix) / sizeof(village_suffix[0]))

/* Address codes of other counties (spouses married in, people who moved). */
static const char *const other_counties[] = {
    "411002", "411003", "411023", "411025", "411081", "411082", "410102", "410105",
    "410122", "411102", "411103", "411122", "412702", "412721", "410221", "411621",
    "340321", "320321"};
#define NOTHER (sizeof(other_counties) / sizeof(other_counties[0]))

static uint64_t id_hash(const char *id) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (int i = 0; i < RH_ID_LEN; i++) {
    h ^= (unsigned char)id[i];
    h *= 0x100000001b3ULL;
  }
  return h ^ (h >> 29);
}

long gen_registry_find(const gen_registry_t *reg, const char *id) {
  if (!reg->set) return -1;
  size_t i = (size_t)id_hash(id) & reg->set_mask;
  for (;;) {
    uint32_t v = reg->set[i];
    if (v == 0) return -1;
    if (memcmp(reg->p[v - 1].id, id, RH_ID_LEN) == 0) return (long)v - 1;
    i = (i + 1) & reg->set_mask;
  }
}

static void set_insert(gen_registry_t *reg, uint32_t person) {
  size_t i = (size_t)id_hash(reg->p[person].id) & reg->set_mask;
  while (reg->set[i]) i = (i + 1) & reg->set_mask;
  reg->set[i] = person + 1;
}

size_t gen_household_id(const gen_registry_t *reg, const gen_household_t *h, char *out) {
  const char *tc = reg->cfg->townships[h->township].code;
  size_t n = strlen(tc);
  memcpy(out, tc, n);
  int v = h->village + 1, k = h->number;
  char *p = out + n;
  *p++ = '-';
  *p++ = (char)('0' + v / 100 % 10);
  *p++ = (char)('0' + v / 10 % 10);
  *p++ = (char)('0' + v % 10);
  *p++ = '-';
  *p++ = (char)('0' + k / 1000 % 10);
  *p++ = (char)('0' + k / 100 % 10);
  *p++ = (char)('0' + k / 10 % 10);
  *p++ = (char)('0' + k % 10);
  *p = '\0';
  return (size_t)(p - out);
}

const char *gen_village_name(const gen_registry_t *reg, size_t township, size_t village) {
  return reg->villages[township * GEN_MAX_VILLAGES + village].name;
}

void gen_outsider_id(const gen_registry_t *reg, rh_rng_t *r, int year_lo, int year_hi,
                        char out[RH_ID_BUFSZ]) {
  const char *county = reg->cfg->county_code;
  do {
    const char *addr = gen_chance(r, 500) ? county : other_counties[rh_rng_below(r, NOTHER)];
    rh_synth_id(r, addr, year_lo, year_hi, -1, out);
  } while (gen_registry_find(reg, out) >= 0);
}

/* ---- building ---- */

typedef struct {
  gen_registry_t *reg;
  rh_rng_t *r;
  bool oom;
} build_t;

static gen_person_t *new_person(build_t *b) {
  gen_registry_t *reg = b->reg;
  if (reg->p_count == reg->p_cap) {
    size_t cap = reg->p_cap ? reg->p_cap * 3 / 2 + 16 : 1024;
    gen_person_t *np = realloc(reg->p, cap * sizeof(*np));
    if (!np) {
      b->oom = true;
      return NULL;
    }
    reg->p = np;
    reg->p_cap = cap;
  }
  gen_person_t *p = &reg->p[reg->p_count++];
  memset(p, 0, sizeof(*p));
  return p;
}

/* name = surname (first character of `family`, or a new one) + given name. */
static void make_name(rh_rng_t *r, const char *family, char out[13]) {
  char tmp[16];
  rh_synth_name(r, tmp, sizeof(tmp));
  size_t n = strnlen(tmp, 12);
  memcpy(out, tmp, n);
  out[n] = '\0';
  if (family && family[0] && n >= 3) memcpy(out, family, 3); /* every surname is one 3-byte character */
}

static void make_id(build_t *b, gen_person_t *p, int age, int male, int other_permille) {
  gen_registry_t *reg = b->reg;
  int by = reg->year - age;
  do {
    const char *addr = gen_chance(b->r, (uint32_t)other_permille)
                           ? other_counties[rh_rng_below(b->r, NOTHER)]
                           : reg->cfg->county_code;
    rh_synth_id(b->r, addr, by, by, male, p->id);
  } while (gen_registry_find(reg, p->id) >= 0);
  p->age = (uint8_t)age;
  set_insert(reg, (uint32_t)(p - reg->p));
}

/* health, disability, labour, schooling, migrant work, insurance by age. */
static void make_attributes(rh_rng_t *r, gen_person_t *p, bool vulnerable) {
  int age = p->age;
  uint32_t x = rh_rng_below(r, 1000);
  /* cumulative per mille: chronic, major, disabled (the rest healthy) */
  uint32_t c, m, d;
  if (age < 16) c = 20, m = 10, d = 10;
  else if (age < 60) c = 90, m = 25, d = 35;
  else c = 330, m = 50, d = 70;
  if (vulnerable) c += 40, m += 40, d += 30;
  if (x < m) p->health = HEALTH_MAJOR;
  else if (x < m + d) p->health = HEALTH_DISABLED;
  else if (x < m + d + c) p->health = HEALTH_CHRONIC;
  else p->health = HEALTH_HEALTHY;
  if (p->health == HEALTH_DISABLED) {
    uint32_t g = rh_rng_below(r, 100);
    p->disability_grade = g < 15 ? 1 : g < 40 ? 2 : g < 70 ? 3 : 4;
  }

  x = rh_rng_below(r, 1000);
  if (age < 6) p->schooling = SCHOOL_NONE;
  else if (age < 16) p->schooling = x < 985 ? SCHOOL_IN : age < 13 ? SCHOOL_PRIMARY : SCHOOL_JUNIOR;
  else if (age < 19)
    p->schooling = x < 700 ? SCHOOL_IN : x < 950 ? SCHOOL_JUNIOR : SCHOOL_PRIMARY;
  else if (age < 23)
    p->schooling = x < 350 ? SCHOOL_IN : x < 600 ? SCHOOL_SENIOR : x < 950 ? SCHOOL_JUNIOR
                                                                          : SCHOOL_PRIMARY;
  else if (age < 46)
    p->schooling = x < 30 ? SCHOOL_NONE : x < 180 ? SCHOOL_PRIMARY : x < 630 ? SCHOOL_JUNIOR
                   : x < 880 ? SCHOOL_SENIOR : SCHOOL_COLLEGE;
  else if (age < 66)
    p->schooling = x < 100 ? SCHOOL_NONE : x < 450 ? SCHOOL_PRIMARY : x < 850 ? SCHOOL_JUNIOR
                   : x < 970 ? SCHOOL_SENIOR : SCHOOL_COLLEGE;
  else
    p->schooling = x < 450 ? SCHOOL_NONE : x < 850 ? SCHOOL_PRIMARY : x < 980 ? SCHOOL_JUNIOR
                                                                             : SCHOOL_SENIOR;

  x = rh_rng_below(r, 1000);
  if (age < 16 || age >= 75 || p->schooling == SCHOOL_IN) p->labour = LABOUR_NONE;
  else if (p->health == HEALTH_MAJOR || (p->health == HEALTH_DISABLED && p->disability_grade <= 2))
    p->labour = x < 600 ? LABOUR_NONE : LABOUR_WEAK;
  else if (p->health == HEALTH_DISABLED) p->labour = LABOUR_WEAK;
  else if (age >= 60) p->labour = x < 700 ? LABOUR_WEAK : LABOUR_NONE;
  else if (p->health == HEALTH_CHRONIC) p->labour = x < 600 ? LABOUR_WEAK : LABOUR_STRONG;
  else p->labour = x < 950 ? LABOUR_STRONG : LABOUR_WEAK;

  x = rh_rng_below(r, 1000);
  if (p->labour == LABOUR_STRONG && age >= 18 && age <= 55)
    p->migrant_months = x < 450 ? (uint8_t)gen_between(r, 6, 12)
                        : x < 550 ? (uint8_t)gen_between(r, 1, 5) : 0;
  else if (p->labour == LABOUR_WEAK && age < 60)
    p->migrant_months = x < 100 ? (uint8_t)gen_between(r, 1, 6) : 0;
  p->insured = !gen_chance(r, 15);
}

static int clamp(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

static void make_members(build_t *b, gen_household_t *h, uint32_t hidx) {
  rh_rng_t *r = b->r;
  bool vulnerable = h->type != HH_ORDINARY;
  int head_age = 25 + gen_between(r, 0, 20) + gen_between(r, 0, 20) + gen_between(r, 0, 20);
  int head_male = gen_chance(r, 850);
  gen_person_t *head = new_person(b);
  if (!head) return;
  h->first = (uint32_t)(head - b->reg->p);
  head->household = hidx;
  head->relation = REL_HEAD;
  make_name(r, NULL, head->name);
  make_id(b, head, head_age, head_male, 40);
  make_attributes(r, head, vulnerable);
  char head_surname[4], family[4];
  memcpy(head_surname, head->name, 3);
  head_surname[3] = '\0';
  memcpy(family, head_surname, 4);

  int left = h->size - 1, parents = 0, parent_male = -1;
  if (left > 0 && gen_chance(r, head_age < 30 ? 700 : 880)) {
    gen_person_t *s = new_person(b);
    if (!s) return;
    s->household = hidx;
    s->relation = REL_SPOUSE;
    int age = head_male ? head_age - gen_between(r, 0, 5) : head_age + gen_between(r, 0, 5);
    make_name(r, NULL, s->name);
    make_id(b, s, clamp(age, 20, 95), !head_male, 250);
    make_attributes(r, s, vulnerable);
    if (!head_male) memcpy(family, s->name, 3);
    left--;
  }
  while (left-- > 0) {
    gen_person_t *m = new_person(b);
    if (!m) return;
    m->household = hidx;
    int age, male = (int)rh_rng_below(r, 2), other = 40;
    const char *surname = family;
    uint32_t x = rh_rng_below(r, 1000);
    if (head_age < 55 && parents < 2 && x < 200) {
      m->relation = REL_PARENT;
      age = clamp(head_age + gen_between(r, 22, 32), 45, 95);
      if (parent_male >= 0) male = !parent_male;
      parent_male = male;
      parents++;
      surname = male ? head_surname : NULL;
      other = 100;
    } else if (head_age >= 55 && x < 450) {
      m->relation = REL_GRANDCHILD;
      age = gen_between(r, 1, clamp(head_age - 42, 1, 20));
    } else if (x > 985) {
      m->relation = REL_OTHER;
      age = gen_between(r, 5, 80);
      surname = NULL;
    } else if (x > 955) {
      m->relation = REL_SIBLING;
      age = clamp(head_age + gen_between(r, -10, 10), 16, 95);
      surname = head_surname;
    } else {
      m->relation = REL_CHILD;
      age = head_age - gen_between(r, 22, 35);
      if (age < 1) age = gen_between(r, 1, 3);
    }
    make_name(r, surname, m->name);
    make_id(b, m, age, male, other);
    make_attributes(r, m, vulnerable);
  }
}

/* Months since 2000-01 of the period. */
static int period_index(int year, int month) { return (year - 2000) * 12 + month - 1; }

static void make_household(build_t *b, gen_household_t *h, uint32_t hidx) {
  rh_rng_t *r = b->r;
  gen_registry_t *reg = b->reg;
  static const uint32_t size_cum[6] = {110, 340, 560, 810, 940, 1000}; /* mean 3.24 */
  uint32_t x = rh_rng_below(r, 1000);
  int size = 1;
  while (x >= size_cum[size - 1]) size++;
  h->size = (uint8_t)size;

  x = rh_rng_below(r, 1000);
  h->type = x < 150 ? HH_ALLEVIATED : x < 180 ? HH_MONITORED : HH_ORDINARY;
  h->category = CAT_NONE;
  h->identified = h->eliminated = -1;
  h->eliminated_how = ELIM_NONE;
  int pidx = period_index(reg->year, reg->month);
  int lo = 252; /* 2021-01, when monitoring became the standing mechanism */
  if (lo > pidx - 1) lo = pidx - 24 > 0 ? pidx - 24 : 0;
  int hi = pidx - 1 >= lo ? pidx - 1 : lo;
  bool identified = false;
  if (h->type == HH_MONITORED) {
    x = rh_rng_below(r, 1000);
    h->category = x < 400 ? CAT_UNSTABLE : x < 800 ? CAT_MARGINAL : CAT_SUDDEN;
    identified = true;
  } else if (h->type == HH_ALLEVIATED) {
    identified = gen_chance(r, 80); /* was monitored once; risk since eliminated */
  }
  if (identified) {
    h->identified = (int16_t)gen_between(r, lo, hi);
    if (h->type == HH_ALLEVIATED || gen_chance(r, 400)) {
      int elo = h->identified + 3 <= hi ? h->identified + 3 : hi;
      if (elo < h->identified) elo = h->identified;
      h->eliminated = (int16_t)gen_between(r, elo, hi < elo ? elo : hi);
      h->eliminated_how = gen_chance(r, 800) ? ELIM_ASSISTED : ELIM_NATURAL;
    }
  }
  uint32_t base, spread;
  if (h->type == HH_MONITORED) base = 450000, spread = 450000;
  else if (h->type == HH_ALLEVIATED) base = 750000, spread = 600000;
  else base = 700000, spread = 1500000;
  h->income_fen = base + rh_rng_below(r, spread) + rh_rng_below(r, spread);
  h->applied_day = 0;
  if (h->type == HH_ORDINARY && gen_chance(r, 5))
    h->applied_day = (uint8_t)gen_between(r, 1, gen_days_in_month(reg->year, reg->month));
  make_members(b, h, hidx);
}

int gen_registry_build(gen_registry_t *reg, const rh_config_t *cfg, size_t households,
                          uint64_t seed, int year, int month, bool *oom, char *errstr,
                          size_t errstr_size) {
  memset(reg, 0, sizeof(*reg));
  *oom = false;
  reg->cfg = cfg;
  reg->year = year;
  reg->month = month;
  size_t T = cfg->township_count, V = 0;
  uint32_t *weights = NULL;
  size_t *counts = NULL;
  rh_rng_t r;
  build_t b = {.reg = reg, .r = &r, .oom = false};

  reg->villages = calloc(T * GEN_MAX_VILLAGES, sizeof(*reg->villages));
  reg->village_count = calloc(T, 1);
  if (!reg->villages || !reg->village_count) goto oom;
  for (size_t t = 0; t < T; t++) {
    size_t n = 18 + (t * 5) % 7; /* 18..24 villages */
    reg->village_count[t] = (uint8_t)n;
    for (size_t j = 0; j < n; j++) {
      gen_village_t *v = &reg->villages[t * GEN_MAX_VILLAGES + j];
      const char *pre = village_prefix[(t * 7 + j) % NPREFIX];
      const char *suf = village_suffix[(t * 5 + j * 3) % NSUFFIX];
      if ((t + j) % 6 == 5)
        snprintf(v->name, sizeof(v->name), "%s%s%s村", village_dir[(t + j) % 8], pre, suf);
      else
        snprintf(v->name, sizeof(v->name), "%s%s村", pre, suf);
    }
    V += n;
  }
  if (households > V * GEN_MAX_HOUSEHOLDS_PER_VILLAGE) {
    gen_set_err(errstr, errstr_size,
            "%zu households do not fit: %zu villages of at most %d households each", households,
            V, GEN_MAX_HOUSEHOLDS_PER_VILLAGE);
    gen_registry_free(reg);
    return -1;
  }

  /* Households per village: random weights, floors, then the remainder one by
   * one from the first village. */
  gen_rng_for(&r, seed, "registry");
  weights = malloc(V * sizeof(*weights));
  counts = calloc(V, sizeof(*counts));
  if (!weights || !counts) goto oom;
  uint64_t W = 0;
  for (size_t v = 0; v < V; v++) W += weights[v] = 50 + rh_rng_below(&r, 101);
  size_t assigned = 0;
  for (size_t v = 0; v < V; v++) {
    uint64_t c = (uint64_t)households * weights[v] / W;
    if (c > GEN_MAX_HOUSEHOLDS_PER_VILLAGE) c = GEN_MAX_HOUSEHOLDS_PER_VILLAGE;
    counts[v] = (size_t)c;
    assigned += (size_t)c;
  }
  for (size_t v = 0; assigned < households; v = (v + 1) % V)
    if (counts[v] < GEN_MAX_HOUSEHOLDS_PER_VILLAGE) counts[v]++, assigned++;

  reg->hh = calloc(households, sizeof(*reg->hh));
  size_t slots = 1;
  while (slots < households * 6 * 3 / 2) slots <<= 1; /* load <= 2/3 even if all have 6 */
  reg->set = calloc(slots, sizeof(*reg->set));
  reg->set_mask = slots - 1;
  reg->p_cap = households * 13 / 4 + 1024;
  reg->p = malloc(reg->p_cap * sizeof(*reg->p));
  if (!reg->hh || !reg->set || !reg->p) goto oom;

  size_t hidx = 0, vi = 0, apps = 0;
  for (size_t t = 0; t < T; t++)
    for (size_t j = 0; j < reg->village_count[t]; j++, vi++)
      for (size_t k = 1; k <= counts[vi]; k++) {
        gen_household_t *h = &reg->hh[hidx];
        h->township = (uint16_t)t;
        h->village = (uint8_t)j;
        h->number = (uint16_t)k;
        make_household(&b, h, (uint32_t)hidx);
        if (b.oom) goto oom;
        if (h->applied_day) apps++;
        hidx++;
      }
  reg->hh_count = hidx;

  /* At least one applicant, so that comparisons have something to find. */
  if (apps == 0) {
    gen_household_t *h = &reg->hh[0];
    for (size_t i = 0; i < reg->hh_count; i++)
      if (reg->hh[i].type == HH_ORDINARY) {
        h = &reg->hh[i];
        break;
      }
    h->applied_day = (uint8_t)gen_between(&r, 1, gen_days_in_month(year, month));
    apps = 1;
  }
  reg->applicants = malloc(apps * sizeof(*reg->applicants));
  if (!reg->applicants) goto oom;
  for (size_t i = 0; i < reg->hh_count; i++)
    if (reg->hh[i].applied_day) reg->applicants[reg->applicant_count++] = (uint32_t)i;

  free(weights);
  free(counts);
  return 0;

oom:
  *oom = true;
  gen_set_err(errstr, errstr_size, "out of memory building a registry of %zu households", households);
  free(weights);
  free(counts);
  gen_registry_free(reg);
  return -1;
}

void gen_registry_free(gen_registry_t *reg) {
  if (!reg) return;
  free(reg->hh);
  free(reg->p);
  free(reg->set);
  free(reg->villages);
  free(reg->village_count);
  free(reg->applicants);
  memset(reg, 0, sizeof(*reg));
}

/* ---- writing ---- */

static size_t fmt_month(char *out, int idx) {
  int y = 2000 + idx / 12, m = idx % 12 + 1;
  char tmp[16];
  gen_fmt_date(tmp, y, m, 1);
  memcpy(out, tmp, 7);
  out[7] = '\0';
  return 7;
}

static int open_csv(gen_out_t *w, const char *dir, const char *name, char *errstr,
                    size_t errstr_size) {
  char path[4096];
  if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path)) {
    gen_set_err(errstr, errstr_size, "%s/%s: path too long", dir, name);
    return -1;
  }
  return gen_out_open(w, path, false, false, errstr, errstr_size);
}

static int close_csv(gen_out_t *w, gen_group_t *g, char *errstr, size_t errstr_size) {
  uint64_t rows = w->rows, bytes = w->bytes;
  if (gen_out_close(w, errstr, errstr_size)) return -1;
  g->files++;
  g->rows += rows;
  g->bytes += bytes;
  return 0;
}

int gen_registry_write(const gen_registry_t *reg, const char *dir, const char *period,
                          gen_group_t *g, char *errstr, size_t errstr_size) {
  gen_out_t w;
  char hid[32], buf[64];

  /* households.csv */
  if (open_csv(&w, dir, "households.csv", errstr, errstr_size)) return -1;
  gen_out_str(&w, "household_id,township_code,village,household_type,monitoring_category,"
                     "identified_month,risk_eliminated,eliminated_how,eliminated_month,"
                     "income_per_capita,head_id_number\n");
  for (size_t i = 0; i < reg->hh_count; i++) {
    const gen_household_t *h = &reg->hh[i];
    gen_out_field_raw(&w, hid, gen_household_id(reg, h, hid));
    gen_out_field(&w, reg->cfg->townships[h->township].code);
    gen_out_field(&w, gen_village_name(reg, h->township, h->village));
    gen_out_field_raw(&w, gen_household_type_codes[h->type],
                         strlen(gen_household_type_codes[h->type]));
    gen_out_field_raw(&w, gen_category_codes[h->category],
                         strlen(gen_category_codes[h->category]));
    gen_out_field_raw(&w, buf, h->identified >= 0 ? fmt_month(buf, h->identified) : 0);
    gen_out_field_raw(&w, h->eliminated >= 0 ? "true" : "false", h->eliminated >= 0 ? 4 : 5);
    gen_out_field_raw(&w, gen_elim_codes[h->eliminated_how],
                         strlen(gen_elim_codes[h->eliminated_how]));
    gen_out_field_raw(&w, buf, h->eliminated >= 0 ? fmt_month(buf, h->eliminated) : 0);
    gen_out_field_money(&w, h->income_fen);
    gen_out_field_raw(&w, reg->p[h->first].id, RH_ID_LEN);
    gen_out_end_row(&w, true);
  }
  if (close_csv(&w, g, errstr, errstr_size)) return -1;

  /* members.csv */
  if (open_csv(&w, dir, "members.csv", errstr, errstr_size)) return -1;
  gen_out_str(&w, "household_id,id_number,name,sex,relation,birth_date,health,"
                     "disability_grade,labour_ability,schooling,migrant_months,"
                     "medical_insurance\n");
  size_t hid_len = 0;
  uint32_t hid_of = UINT32_MAX;
  for (size_t i = 0; i < reg->p_count; i++) {
    const gen_person_t *p = &reg->p[i];
    if (p->household != hid_of) {
      hid_of = p->household;
      hid_len = gen_household_id(reg, &reg->hh[hid_of], hid);
    }
    gen_out_field_raw(&w, hid, hid_len);
    gen_out_field_raw(&w, p->id, RH_ID_LEN);
    gen_out_field(&w, p->name);
    bool male = rh_id_is_male(p->id);
    gen_out_field_raw(&w, male ? "male" : "female", male ? 4 : 6);
    gen_out_field(&w, gen_relation_codes[p->relation]);
    /* birth date from the ID: YYYYMMDD at offset 6 */
    memcpy(buf, p->id + 6, 4);
    buf[4] = '-';
    memcpy(buf + 5, p->id + 10, 2);
    buf[7] = '-';
    memcpy(buf + 8, p->id + 12, 2);
    gen_out_field_raw(&w, buf, 10);
    gen_out_field(&w, gen_health_codes[p->health]);
    if (p->disability_grade) gen_out_field_uint(&w, p->disability_grade);
    else gen_out_field_raw(&w, "", 0);
    gen_out_field(&w, gen_labour_codes[p->labour]);
    gen_out_field(&w, gen_schooling_codes[p->schooling]);
    gen_out_field_uint(&w, p->migrant_months);
    gen_out_field_raw(&w, p->insured ? "true" : "false", p->insured ? 4 : 5);
    gen_out_end_row(&w, true);
  }
  if (close_csv(&w, g, errstr, errstr_size)) return -1;

  /* applications.csv */
  if (open_csv(&w, dir, "applications.csv", errstr, errstr_size)) return -1;
  gen_out_str(&w, "period,household_id,applied_on\n");
  for (size_t i = 0; i < reg->applicant_count; i++) {
    const gen_household_t *h = &reg->hh[reg->applicants[i]];
    gen_out_field_raw(&w, period, strlen(period));
    gen_out_field_raw(&w, hid, gen_household_id(reg, h, hid));
    gen_out_field_date(&w, reg->year, reg->month, h->applied_day);
    gen_out_end_row(&w, true);
  }
  return close_csv(&w, g, errstr, errstr_size);
}
