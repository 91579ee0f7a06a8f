/* gen: one month's list of a department feed, row by row. Who is on the
 * list (registry persons, applicants' members, outsiders), and plausible
 * values for every configured column and fact. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_feeds.h"
#include "gen_facts.h"

/* ---- who a department lists, how many, what amounts ---- */

typedef enum {
  SEL_ANY,
  SEL_HEAD,          /* household heads (户主) */
  SEL_SCHOOL_AGE,    /* 7..15 */
  SEL_MINOR,         /* 1..17 */
  SEL_WORKING,       /* 18..59 */
  SEL_WORKING_OLDER, /* 18..70 */
  SEL_ADULT,         /* 18.. */
  SEL_OLDER,         /* 40.. mostly */
  SEL_ELDERLY,       /* 60.. */
} sel_t;

typedef enum {
  AMT_DEFAULT,
  AMT_DIBAO,
  AMT_TEMP,
  AMT_WELFARE_JOB,
  AMT_SELF_PAY,
  AMT_INDUSTRY,
  AMT_DISASTER,
  AMT_FIRE,
  AMT_VEHICLE,
  AMT_HOUSE,
  AMT_CAPITAL,
  AMT_DEPOSIT,
} amount_t;

typedef struct {
  const char *ref;
  unsigned base_rows;      /* a month's list for 200,000 households */
  sel_t sel;
  unsigned vulnerable;     /* per mille drawn from poverty-alleviated/monitored households */
  amount_t amount;
} profile_t;

static const profile_t profiles[] = {
    {"civil-affairs/new-dibao", 300, SEL_ANY, 500, AMT_DIBAO},
    {"civil-affairs/new-tekun", 60, SEL_ELDERLY, 400, AMT_DEFAULT},
    {"civil-affairs/new-orphans", 20, SEL_MINOR, 300, AMT_DEFAULT},
    {"civil-affairs/temporary-assistance", 400, SEL_ANY, 400, AMT_TEMP},
    {"disabled-persons/severe-disability", 150, SEL_ANY, 300, AMT_DEFAULT},
    {"education/dropouts", 50, SEL_SCHOOL_AGE, 300, AMT_DEFAULT},
    {"human-resources/welfare-job-cancelled", 120, SEL_WORKING_OLDER, 900, AMT_WELFARE_JOB},
    {"human-resources/enterprise-pension", 3000, SEL_WORKING, 0, AMT_DEFAULT},
    {"medical-insurance/high-self-pay", 1500, SEL_OLDER, 300, AMT_SELF_PAY},
    {"housing/dilapidated-housing", 80, SEL_HEAD, 500, AMT_DEFAULT},
    {"health/major-disease", 600, SEL_OLDER, 200, AMT_DEFAULT},
    {"agriculture/industry-failure", 100, SEL_HEAD, 300, AMT_INDUSTRY},
    {"emergency/disaster-affected", 800, SEL_HEAD, 200, AMT_DISASTER},
    {"water/drinking-water", 100, SEL_HEAD, 200, AMT_DEFAULT},
    {"finance/public-servants", 2000, SEL_WORKING, 0, AMT_DEFAULT},
    {"tax/vehicles", 1200, SEL_ADULT, 0, AMT_VEHICLE},
    {"tax/real-estate", 1500, SEL_ADULT, 0, AMT_HOUSE},
    {"tax/businesses", 2500, SEL_WORKING, 0, AMT_DEFAULT},
    {"public-security/motor-vehicles", 4000, SEL_ADULT, 0, AMT_DEFAULT},
    {"public-security/traffic-accidents", 200, SEL_ANY, 100, AMT_DEFAULT},
    {"public-security/criminal-cases", 10, SEL_WORKING, 100, AMT_DEFAULT},
    {"public-security/forest-fire", 15, SEL_HEAD, 200, AMT_FIRE},
    {"public-security/identity", 5000, SEL_ANY, 0, AMT_DEFAULT},
    {"market-regulation/companies", 1500, SEL_WORKING, 0, AMT_CAPITAL},
    {"banks/large-deposits", 2000, SEL_ADULT, 0, AMT_DEPOSIT},
};
#define NPROFILES (sizeof(profiles) / sizeof(profiles[0]))

static const profile_t default_signal = {NULL, 200, SEL_ANY, 200, AMT_DEFAULT};
static const profile_t default_check = {NULL, 1000, SEL_ADULT, 0, AMT_DEFAULT};
static const profile_t default_identity = {NULL, 5000, SEL_ANY, 0, AMT_DEFAULT};

static const profile_t *profile_of(const rh_config_feed_t *f) {
  size_t dn = strlen(f->department->code);
  for (size_t i = 0; i < NPROFILES; i++) {
    const char *r = profiles[i].ref;
    if (strncmp(r, f->department->code, dn) == 0 && r[dn] == '/' && strcmp(r + dn + 1, f->code) == 0)
      return &profiles[i];
  }
  return f->kind == RH_FEED_SIGNAL  ? &default_signal
         : f->kind == RH_FEED_CHECK ? &default_check
                                    : &default_identity;
}

size_t gen_feed_default_rows(const rh_config_feed_t *f, size_t households) {
  uint64_t n = ((uint64_t)profile_of(f)->base_rows * households + GEN_DEFAULT_HOUSEHOLDS / 2) /
               GEN_DEFAULT_HOUSEHOLDS;
  return n < 10 ? 10 : (size_t)n;
}

/* ---- value tables ---- */

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define PICK(r, a) ((a)[rh_rng_below((r), (uint32_t)N(a))])

/* The 30 major diseases of the national special treatment list. */
static const char *const diseases_child[] = {"儿童先天性心脏病", "儿童白血病", "唇腭裂", "神经母细胞瘤",
                                             "儿童淋巴瘤", "儿童苯丙酮尿症", "尿道下裂",
                                             "地中海贫血", "血友病", "I型糖尿病"};
static const char *const diseases_adult[] = {
    "乳腺癌",   "宫颈癌",   "重性精神病", "终末期肾病", "耐多药肺结核", "艾滋病机会性感染",
    "肺癌",     "食道癌",   "胃癌",       "结肠癌",     "直肠癌",       "慢性粒细胞白血病",
    "急性心肌梗死", "脑梗死", "血友病",   "I型糖尿病",  "甲亢",         "肝癌",
    "尘肺病",   "骨肉瘤",   "血吸虫病",   "包虫病"};
static const char *const diagnoses_other[] = {"腰椎间盘突出症", "股骨颈骨折", "冠心病",
                                              "慢性阻塞性肺疾病", "帕金森病", "脑出血",
                                              "类风湿关节炎", "慢性肾功能不全"};
static const char *const hospitals[] = {
    "鄢陵县人民医院",   "鄢陵县中医院",     "许昌市中心医院",       "许昌市人民医院",
    "河南省人民医院",   "郑州大学第一附属医院", "河南省肿瘤医院",   "河南省胸科医院",
    "许昌市第二人民医院", "北京协和医院"};
static const char *const hospitals_child[] = {"河南省儿童医院(郑州儿童医院)", "鄢陵县妇幼保健院",
                                              "许昌市中心医院"};
static const char *const care_levels[] = {"具备生活自理能力", "部分丧失生活自理能力",
                                          "完全丧失生活自理能力"};
static const char *const assist_reasons[] = {
    "因病住院, 自付费用较高", "因灾房屋受损",     "因意外事故致伤", "因学支出较大",
    "突发生活困难",           "家中主要劳动力\"突发\"重病", "因病致贫", "火灾致房屋损毁"};
static const char *const job_reasons[] = {"外出务工", "超过岗位年龄上限", "本人申请退出",
                                          "考核不合格", "已消除返贫风险"};
static const char *const disability_types[] = {"视力", "听力", "言语", "肢体", "智力", "精神", "多重"};
static const char *const jobs[] = {"保洁员", "护林员", "护路员", "水管员", "治安巡逻员",
                                   "村级公益岗", "河道巡查员"};
static const char *const firm_names[] = {"花都", "金穗", "瑞祥", "恒达", "宏源", "绿源",
                                         "中原", "豫鑫", "鄢花", "远航", "德润", "新禾"};
static const char *const firm_trades[] = {"园林绿化", "食品", "建材", "物流", "机械制造",
                                          "纺织", "农业科技", "花卉苗木", "电子", "商贸"};
static const char *const gov_units[] = {
    "鄢陵县人民政府办公室", "鄢陵县财政局",     "鄢陵县教育体育局", "鄢陵县卫生健康委员会",
    "鄢陵县自然资源局",     "鄢陵县公安局",     "鄢陵县第一高级中学", "鄢陵县人民医院",
    "鄢陵县市场监督管理局", "鄢陵县农业农村局"};
static const char *const positions[] = {"科员", "一级科员", "副主任科员", "教师", "医师",
                                        "护士", "副科长", "科长", "工勤人员"};
static const char *const vehicle_tax[] = {"小型轿车", "小型普通客车", "轻型普通货车",
                                          "新能源小型轿车"};
static const char *const vehicle_police[] = {"小型普通客车", "小型轿车", "轻型普通货车",
                                             "普通二轮摩托车", "三轮汽车", "低速货车"};
static const char *const roads[] = {"花都大道", "人民路", "建设路", "迎宾大道", "金汇大道",
                                    "许扶路", "向阳路", "育才路"};
static const char *const estates[] = {"花都名苑", "建业森林半岛", "鄢陵一号院", "金色家园",
                                      "锦绣华城", "东方明珠小区"};
static const char *const shops[] = {"超市", "农资店", "花木经营部", "五金店", "餐馆",
                                    "理发店", "修车铺", "日用品商店"};
static const char *const roles[] = {"法定代表人", "股东", "监事", "执行董事", "经理"};
static const char *const products[] = {"定期存款", "大额存单", "理财产品", "国债", "基金"};
static const char *const banks[] = {"中国农业银行鄢陵县支行", "中国工商银行鄢陵支行",
                                    "中国邮政储蓄银行鄢陵县支行",
                                    "河南鄢陵农村商业银行股份有限公司", "中原银行许昌分行",
                                    "中国建设银行鄢陵支行"};
static const char *const industries[] = {"花木种植", "蔬菜种植", "生猪养殖", "肉牛养殖",
                                         "家禽养殖", "食用菌种植", "烟叶种植", "小麦玉米种植"};
static const char *const water_problems[] = {"水量不足", "水质不达标", "供水保证率低", "取水不方便",
                                             "管网老化, 经常停水"};
static const char *const orphan_categories[] = {"孤儿", "事实无人抚养儿童", "事实无人抚养儿童"};

/* DISASTER sub-types as the configuration's subtype column expects (codes),
 * weighted by how often each hits the county. */
static const struct {
  const char *code;
  unsigned weight;
} subtypes[] = {{"FLOOD", 35},     {"METEOROLOGICAL", 25}, {"DROUGHT", 15}, {"FIRE", 8},
                {"BIOLOGICAL", 7}, {"GEOLOGICAL", 3},      {"EARTHQUAKE", 2}, {"OTHER", 5}};

/* ---- facts ---- */

typedef enum {
  FK_GENERIC,
  FK_HOUSEHOLD_SIZE,
  FK_CARE_LEVEL,
  FK_ORPHAN_CATEGORY,
  FK_GUARDIAN,
  FK_REASON_ASSIST,
  FK_REASON_JOB,
  FK_DISABILITY_TYPE,
  FK_DISABILITY_GRADE,
  FK_CERT_NUMBER,
  FK_SCHOOL,
  FK_SCHOOL_GRADE,
  FK_JOB,
  FK_EMPLOYER_FIRM,
  FK_EMPLOYER_GOV,
  FK_PAYMENT_BASE,
  FK_TOTAL_COST,
  FK_DIAGNOSIS,
  FK_MAJOR_DISEASE,
  FK_HOSPITAL,
  FK_HOUSE_GRADE,
  FK_INDUSTRY,
  FK_DAMAGE,
  FK_WATER_PROBLEM,
  FK_POSITION,
  FK_VEHICLE_TAX,
  FK_VEHICLE_POLICE,
  FK_LOCATION,
  FK_FLOOR_AREA,
  FK_BUSINESS_NAME,
  FK_CREDIT_INDIVIDUAL,
  FK_CREDIT_FIRM,
  FK_PLATE,
  FK_INJURY,
  FK_CONSEQUENCE,
  FK_HOUSEHOLD_NUMBER,
  FK_RELATION_ZH,
  FK_SEX_ZH,
  FK_BIRTH_DATE,
  FK_REGISTERED_ADDRESS,
  FK_COMPANY_NAME,
  FK_ROLE,
  FK_PRODUCT,
  FK_INSTITUTION,
} fact_kind_t;

static fact_kind_t fact_kind(const rh_config_feed_t *f, const char *name) {
  const char *feed = f->code;
  static const struct {
    const char *name;
    fact_kind_t kind;
  } plain[] = {
      {"household_size", FK_HOUSEHOLD_SIZE}, {"care_level", FK_CARE_LEVEL},
      {"category", FK_ORPHAN_CATEGORY},      {"guardian_name", FK_GUARDIAN},
      {"disability_type", FK_DISABILITY_TYPE}, {"disability_grade", FK_DISABILITY_GRADE},
      {"certificate_number", FK_CERT_NUMBER}, {"school", FK_SCHOOL},
      {"job", FK_JOB},                       {"payment_base", FK_PAYMENT_BASE},
      {"total_cost", FK_TOTAL_COST},         {"hospital", FK_HOSPITAL},
      {"industry", FK_INDUSTRY},             {"damage", FK_DAMAGE},
      {"problem", FK_WATER_PROBLEM},         {"position", FK_POSITION},
      {"location", FK_LOCATION},             {"floor_area", FK_FLOOR_AREA},
      {"business_name", FK_BUSINESS_NAME},   {"plate", FK_PLATE},
      {"vehicle_plate", FK_PLATE},           {"injury", FK_INJURY},
      {"consequence", FK_CONSEQUENCE},       {"household_number", FK_HOUSEHOLD_NUMBER},
      {"relation_to_head", FK_RELATION_ZH},  {"sex", FK_SEX_ZH},
      {"birth_date", FK_BIRTH_DATE},         {"registered_address", FK_REGISTERED_ADDRESS},
      {"company_name", FK_COMPANY_NAME},     {"role", FK_ROLE},
      {"product_type", FK_PRODUCT},          {"institution", FK_INSTITUTION},
  };
  if (strcmp(name, "reason") == 0)
    return strcmp(feed, "welfare-job-cancelled") == 0 ? FK_REASON_JOB : FK_REASON_ASSIST;
  if (strcmp(name, "grade") == 0)
    return strcmp(feed, "dropouts") == 0 ? FK_SCHOOL_GRADE : FK_HOUSE_GRADE;
  if (strcmp(name, "employer") == 0)
    return strcmp(feed, "public-servants") == 0 ? FK_EMPLOYER_GOV : FK_EMPLOYER_FIRM;
  if (strcmp(name, "vehicle_type") == 0)
    return strcmp(f->department->code, "tax") == 0 ? FK_VEHICLE_TAX : FK_VEHICLE_POLICE;
  if (strcmp(name, "credit_code") == 0)
    return strcmp(feed, "businesses") == 0 ? FK_CREDIT_INDIVIDUAL : FK_CREDIT_FIRM;
  if (strcmp(name, "disease") == 0)
    return strcmp(feed, "high-self-pay") == 0 ? FK_DIAGNOSIS : FK_MAJOR_DISEASE;
  for (size_t i = 0; i < N(plain); i++)
    if (strcmp(name, plain[i].name) == 0) return plain[i].kind;
  return FK_GENERIC;
}

/* ---- the generator ---- */

/* The list whose first rows are one village's (gen_feedgen_new). */
#define CLUSTER_FEED "emergency/disaster-affected"
#define CLUSTER_MAX 60

struct gen_feedgen_s {
  const gen_registry_t *reg;
  const rh_config_feed_t *f;
  const profile_t *prof;
  int township_style; /* 0 names, 1 codes, 2 mixed */
  rh_rng_t rng;
  bool unique, plain;
  uint8_t *used;               /* per registry person, when unique */
  uint32_t *cand, *cand_vuln;  /* persons matching the profile (all / vulnerable households) */
  size_t ncand, ncand_vuln;
  uint32_t *app;               /* members of applicant households */
  size_t napp;
  uint32_t *cluster;           /* the disaster's village: its heads, the list's first rows */
  size_t ncluster, cluster_next;
  /* an identity list names whole households (a household register's page,
   * docs/identity.md): the members of the household begun still to come */
  uint32_t member_next, members_left;
  int cols[RH_COL_COUNT];
  size_t ncols;
  fact_kind_t *facts;
  const char *header[GEN_ROW_MAX_FIELDS];
  size_t nheader;
};

/* What a row is about. */
typedef struct {
  const gen_person_t *p; /* NULL: an outsider */
  const gen_household_t *h;
  long pidx;
  char id[RH_ID_BUFSZ];
  char name[16];
  int age;
  int township, village; /* -1: none */
  int64_t amount_fen;    /* -1: not drawn yet */
  int subtype, dis_type, dis_grade;
} rowctx_t;

static bool matches(const gen_registry_t *reg, const gen_person_t *p, sel_t sel) {
  int a = p->age;
  switch (sel) {
  case SEL_ANY: return true;
  case SEL_HEAD: return p->relation == REL_HEAD;
  case SEL_SCHOOL_AGE: return a >= 7 && a <= 15;
  case SEL_MINOR: return a <= 17;
  case SEL_WORKING: return a >= 18 && a <= 59;
  case SEL_WORKING_OLDER: return a >= 18 && a <= 70;
  case SEL_ADULT: return a >= 18;
  case SEL_OLDER: return a >= 40 || (a < 40 && (p->health == HEALTH_MAJOR || (size_t)(p - reg->p) % 7 == 0));
  case SEL_ELDERLY: return a >= 60;
  }
  return true;
}

static void sel_years(const gen_registry_t *reg, sel_t sel, int *lo, int *hi) {
  int y = reg->year, a_lo = 1, a_hi = 85;
  switch (sel) {
  case SEL_ANY: break;
  case SEL_HEAD: a_lo = 25, a_hi = 85; break;
  case SEL_SCHOOL_AGE: a_lo = 7, a_hi = 15; break;
  case SEL_MINOR: a_lo = 1, a_hi = 17; break;
  case SEL_WORKING: a_lo = 18, a_hi = 59; break;
  case SEL_WORKING_OLDER: a_lo = 18, a_hi = 70; break;
  case SEL_ADULT: a_lo = 18, a_hi = 80; break;
  case SEL_OLDER: a_lo = 40, a_hi = 85; break;
  case SEL_ELDERLY: a_lo = 60, a_hi = 90; break;
  }
  *lo = y - a_hi;
  *hi = y - a_lo;
}

gen_feedgen_t *gen_feedgen_new(const gen_registry_t *reg, const rh_config_feed_t *f,
                                     size_t department_index, uint64_t seed,
                                     const char *stream_name, bool unique_persons) {
  gen_feedgen_t *g = calloc(1, sizeof(*g));
  if (!g) return NULL;
  g->reg = reg;
  g->f = f;
  g->prof = profile_of(f);
  g->township_style = (int)(department_index % 3);
  g->unique = unique_persons;
  gen_rng_for(&g->rng, seed, stream_name);
  for (int c = 0; c < RH_COL_COUNT; c++)
    if (f->columns[c] && g->nheader < GEN_ROW_MAX_FIELDS) {
      g->cols[g->ncols++] = c;
      g->header[g->nheader++] = f->columns[c];
    }
  g->facts = calloc(f->fact_count ? f->fact_count : 1, sizeof(*g->facts));
  g->cand = malloc((reg->p_count ? reg->p_count : 1) * sizeof(uint32_t));
  g->cand_vuln = malloc((reg->p_count ? reg->p_count : 1) * sizeof(uint32_t));
  if (unique_persons) g->used = calloc(reg->p_count ? reg->p_count : 1, 1);
  if (!g->facts || !g->cand || !g->cand_vuln || (unique_persons && !g->used)) goto fail;
  for (size_t i = 0; i < f->fact_count && g->nheader < GEN_ROW_MAX_FIELDS; i++) {
    g->facts[i] = fact_kind(f, f->facts[i].name);
    g->header[g->nheader++] = f->facts[i].header;
  }
  size_t napp = 0;
  for (size_t i = 0; i < reg->p_count; i++) {
    const gen_person_t *p = &reg->p[i];
    const gen_household_t *h = &reg->hh[p->household];
    if (h->applied_day) napp++;
    if (!matches(reg, p, g->prof->sel)) continue;
    g->cand[g->ncand++] = (uint32_t)i;
    if (h->type != HH_ORDINARY) g->cand_vuln[g->ncand_vuln++] = (uint32_t)i;
  }
  /* A disaster that hits one village (docs/scale.md, "The demo"): the
   * disaster list of a generated month begins with half the heads of the
   * county's first village (at most 60), a risk of large-scale return to
   * poverty there; the rest of the list falls across the county as before. */
  if (unique_persons && g->prof->ref && strcmp(g->prof->ref, CLUSTER_FEED) == 0) {
    size_t heads = 0;
    for (size_t i = 0; i < g->ncand; i++) {
      const gen_household_t *h = &reg->hh[reg->p[g->cand[i]].household];
      heads += h->township == 0 && h->village == 0;
    }
    size_t want = (heads + 1) / 2 < CLUSTER_MAX ? (heads + 1) / 2 : CLUSTER_MAX;
    if (want && !(g->cluster = malloc(want * sizeof(uint32_t)))) goto fail;
    for (size_t i = 0; i < g->ncand && g->ncluster < want; i++) {
      const gen_household_t *h = &reg->hh[reg->p[g->cand[i]].household];
      if (h->township == 0 && h->village == 0) g->cluster[g->ncluster++] = g->cand[i];
    }
  }
  if (f->kind == RH_FEED_CHECK && napp > 0) {
    g->app = malloc(napp * sizeof(uint32_t));
    if (!g->app) goto fail;
    for (size_t i = 0; i < reg->p_count; i++)
      if (reg->hh[reg->p[i].household].applied_day) g->app[g->napp++] = (uint32_t)i;
  }
  return g;
fail:
  gen_feedgen_destroy(g);
  return NULL;
}

void gen_feedgen_destroy(gen_feedgen_t *g) {
  if (!g) return;
  free(g->used);
  free(g->cand);
  free(g->cand_vuln);
  free(g->app);
  free(g->cluster);
  free(g->facts);
  free(g);
}

size_t gen_feedgen_header(const gen_feedgen_t *g, const char **out, size_t max) {
  size_t n = g->nheader < max ? g->nheader : max;
  memcpy(out, g->header, n * sizeof(*out));
  return n;
}

rh_rng_t *gen_feedgen_rng(gen_feedgen_t *g) { return &g->rng; }
void gen_feedgen_set_plain(gen_feedgen_t *g, bool plain) { g->plain = plain; }

/* ---- the row buffer ---- */

const char *gen_row_field(const gen_row_t *row, size_t i) { return row->buf + row->off[i]; }

void gen_row_add_n(gen_row_t *row, const char *s, size_t n) {
  if (row->n >= GEN_ROW_MAX_FIELDS) return;
  if (row->used + n + 1 > GEN_ROW_BUF) n = GEN_ROW_BUF - row->used - 1; /* never in practice */
  row->off[row->n] = row->used;
  row->len[row->n] = n;
  memcpy(row->buf + row->used, s, n);
  row->buf[row->used + n] = '\0';
  row->used += n + 1;
  row->n++;
}

static void row_add(gen_row_t *row, const char *s) { gen_row_add_n(row, s, strlen(s)); }

static void row_addf(gen_row_t *row, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void row_addf(gen_row_t *row, const char *fmt, ...) {
  char tmp[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  if ((size_t)n >= sizeof(tmp)) n = sizeof(tmp) - 1;
  gen_row_add_n(row, tmp, (size_t)n);
}

static void row_add_money(gen_row_t *row, uint64_t fen) {
  char b[32];
  gen_row_add_n(row, b, gen_fmt_money(b, fen));
}

/* ---- values ---- */

static int64_t draw_amount(rh_rng_t *r, amount_t kind) {
  uint32_t x = rh_rng_below(r, 1000);
  switch (kind) {
  case AMT_DIBAO: return (int64_t)gen_between(r, 30, 180) * 1000; /* 300..1800 yuan, by 10 */
  case AMT_TEMP:
    if (x < 30) return 300000; /* exactly the threshold */
    if (x < 700) return (int64_t)gen_between(r, 5, 29) * 10000;
    return (int64_t)gen_between(r, 30, 100) * 10000;
  case AMT_WELFARE_JOB: {
    static const int64_t v[] = {30000, 40000, 50000, 60000, 80000};
    return v[rh_rng_below(r, N(v))];
  }
  case AMT_SELF_PAY: /* both thresholds (6,000 and 10,000) must matter */
    if (x < 10) return 600000;
    if (x < 20) return 1000000;
    if (x < 300) return gen_between(r, 200000, 599999);
    if (x < 550) return gen_between(r, 600000, 999999);
    return 1000000 + (int64_t)rh_rng_below(r, 2000000) + (int64_t)rh_rng_below(r, 3000001);
  case AMT_INDUSTRY:
    return x < 500 ? gen_between(r, 200000, 999999) : gen_between(r, 1000000, 5000000);
  case AMT_DISASTER:
    return x < 650 ? gen_between(r, 50000, 999999) : gen_between(r, 1000000, 8000000);
  case AMT_FIRE: return gen_between(r, 100000, 3000000);
  case AMT_VEHICLE: return (int64_t)gen_between(r, 4000, 30000) * 1000 + rh_rng_below(r, 100);
  case AMT_HOUSE: return (int64_t)gen_between(r, 3000, 12000) * 10000;
  case AMT_CAPITAL: return (int64_t)gen_between(r, 10, 500) * 1000000;
  case AMT_DEPOSIT: return (int64_t)gen_between(r, 20000, 300000) * 1000;
  case AMT_DEFAULT: break;
  }
  return gen_between(r, 100000, 2000000);
}

static const char *township_text(gen_feedgen_t *g, int t, char *buf, size_t n) {
  const rh_config_township_t *tw = &g->reg->cfg->townships[t];
  int style = g->township_style;
  if (style == 2) {
    uint32_t x = rh_rng_below(&g->rng, 4);
    style = x < 2 ? 0 : x == 2 ? 3 : 1;
  }
  if (style == 1) return tw->code;
  if (style == 3) { /* the name without its trailing 镇/乡 */
    size_t len = strlen(tw->name);
    if (len > 3 && (strcmp(tw->name + len - 3, "镇") == 0 || strcmp(tw->name + len - 3, "乡") == 0)) {
      snprintf(buf, n, "%.*s", (int)(len - 3), tw->name);
      return buf;
    }
  }
  return tw->name;
}

/* The township's name without 镇/乡, for school and address texts. */
static void township_short(const gen_registry_t *reg, int t, char *buf, size_t n) {
  const char *name = reg->cfg->townships[t].name;
  size_t len = strlen(name);
  if (len > 3 && (strcmp(name + len - 3, "镇") == 0 || strcmp(name + len - 3, "乡") == 0))
    len -= 3;
  snprintf(buf, n, "%.*s", (int)len, name);
}

static const char uscc_chars[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/* A well-formed unified social credit code (GB 32100-2015) with an
 * organisation code (GB 11714) inside, both check characters right. */
static void credit_code(rh_rng_t *r, const char *county, bool individual, char out[19]) {
  out[0] = '9';
  out[1] = individual ? '2' : '1';
  memcpy(out + 2, county, 6);
  out[8] = 'M';
  out[9] = 'A';
  for (int i = 10; i < 16; i++) out[i] = gen_chance(r, 800) ? (char)('0' + rh_rng_below(r, 10))
                                                                : uscc_chars[rh_rng_below(r, 31)];
  static const int ow[8] = {3, 7, 9, 10, 5, 8, 4, 2};
  int s = 0;
  for (int i = 0; i < 8; i++) {
    char c = out[8 + i];
    s += ow[i] * (c <= '9' ? c - '0' : c - 'A' + 10);
  }
  int c9 = 11 - s % 11;
  out[16] = c9 == 10 ? 'X' : c9 == 11 ? '0' : (char)('0' + c9);
  static const int w[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
  s = 0;
  for (int i = 0; i < 17; i++) s += w[i] * (int)(strchr(uscc_chars, out[i]) - uscc_chars);
  int c18 = 31 - s % 31;
  out[17] = uscc_chars[c18 == 31 ? 0 : c18];
  out[18] = '\0';
}

static void firm_name(rh_rng_t *r, char *buf, size_t n) {
  const char *place = gen_chance(r, 500) ? "鄢陵县" : gen_chance(r, 600) ? "许昌" : "河南";
  const char *nm = PICK(r, firm_names), *trade = PICK(r, firm_trades);
  uint32_t x = rh_rng_below(r, 100);
  if (x < 6) snprintf(buf, n, "%s\"%s\"%s有限公司", place, nm, trade); /* quotes inside */
  else if (x < 10) snprintf(buf, n, "%s%s%s有限公司, 鄢陵分公司", place, nm, trade);
  else snprintf(buf, n, "%s%s%s有限公司", place, nm, trade);
}

static void draw_disability(rh_rng_t *r, rowctx_t *c) {
  if (c->dis_type < 0) c->dis_type = (int)rh_rng_below(r, N(disability_types));
  if (c->dis_grade < 0) c->dis_grade = gen_chance(r, 400) ? 1 : 2;
}

static const char *const grade_names[] = {"一年级", "二年级", "三年级", "四年级", "五年级",
                                          "六年级", "七年级", "八年级", "九年级"};
static const char *const grade_zh[] = {"", "一级", "二级", "三级", "四级"};

static void add_fact(gen_feedgen_t *g, gen_row_t *row, rowctx_t *c, fact_kind_t k) {
  rh_rng_t *r = &g->rng;
  const gen_registry_t *reg = g->reg;
  char b[256], s[64];
  int t = c->township >= 0 ? c->township : 0;
  switch (k) {
  case FK_HOUSEHOLD_SIZE:
    row_addf(row, "%d", c->h ? c->h->size : gen_between(r, 1, 5));
    return;
  case FK_CARE_LEVEL: row_add(row, PICK(r, care_levels)); return;
  case FK_ORPHAN_CATEGORY: row_add(row, PICK(r, orphan_categories)); return;
  case FK_GUARDIAN: {
    /* the head (or the spouse, if the person is the head) of the same household */
    if (c->p && c->h->size > 1) {
      const gen_person_t *head = &reg->p[c->h->first];
      row_add(row, head != c->p ? head->name : reg->p[c->h->first + 1].name);
    } else {
      rh_synth_name(r, b, sizeof(b));
      row_add(row, b);
    }
    return;
  }
  case FK_REASON_ASSIST: row_add(row, PICK(r, assist_reasons)); return;
  case FK_REASON_JOB: row_add(row, PICK(r, job_reasons)); return;
  case FK_DISABILITY_TYPE:
    draw_disability(r, c);
    row_add(row, disability_types[c->dis_type]);
    return;
  case FK_DISABILITY_GRADE:
    draw_disability(r, c);
    row_add(row, grade_zh[c->dis_grade]);
    return;
  case FK_CERT_NUMBER: /* 残疾人证号: the ID number, the type digit, the grade digit */
    draw_disability(r, c);
    row_addf(row, "%s%d%d", c->id, c->dis_type + 1, c->dis_grade);
    return;
  case FK_SCHOOL:
    township_short(reg, t, s, sizeof(s));
    if (c->age <= 12) row_addf(row, "鄢陵县%s镇中心小学", s);
    else if (gen_chance(r, 700)) row_addf(row, "鄢陵县%s镇第一初级中学", s);
    else row_add(row, "鄢陵县实验学校(初中部)");
    return;
  case FK_SCHOOL_GRADE: {
    int gr = c->age - 6;
    row_add(row, grade_names[gr < 1 ? 0 : gr > 9 ? 8 : gr - 1]);
    return;
  }
  case FK_JOB: row_add(row, PICK(r, jobs)); return;
  case FK_EMPLOYER_FIRM: firm_name(r, b, sizeof(b)); row_add(row, b); return;
  case FK_EMPLOYER_GOV:
    if (gen_chance(r, 250)) {
      township_short(reg, (int)rh_rng_below(r, (uint32_t)reg->cfg->township_count), s, sizeof(s));
      row_addf(row, "鄢陵县%s镇人民政府", s);
    } else {
      row_add(row, PICK(r, gov_units));
    }
    return;
  case FK_PAYMENT_BASE: row_add_money(row, (uint64_t)gen_between(r, 357900, 800000)); return;
  case FK_TOTAL_COST: {
    if (c->amount_fen < 0) c->amount_fen = draw_amount(r, AMT_SELF_PAY);
    int share = gen_between(r, 15, 45); /* self-pay share of the total, per cent */
    row_add_money(row, (uint64_t)(c->amount_fen * 100 / share));
    return;
  }
  case FK_DIAGNOSIS:
    if (gen_chance(r, 250)) row_add(row, PICK(r, diagnoses_other));
    else row_add(row, c->age < 18 ? PICK(r, diseases_child) : PICK(r, diseases_adult));
    return;
  case FK_MAJOR_DISEASE:
    row_add(row, c->age < 18 ? PICK(r, diseases_child) : PICK(r, diseases_adult));
    return;
  case FK_HOSPITAL: row_add(row, c->age < 18 ? PICK(r, hospitals_child) : PICK(r, hospitals)); return;
  case FK_HOUSE_GRADE: row_add(row, gen_chance(r, 600) ? "C级" : "D级"); return;
  case FK_INDUSTRY: row_add(row, PICK(r, industries)); return;
  case FK_DAMAGE: {
    int st = c->subtype >= 0 ? c->subtype : 0;
    int n = gen_between(r, 1, 12);
    switch (st) {
    case 0: row_addf(row, "房屋进水, 农作物受淹%d亩", n); break;
    case 1:
      if (gen_chance(r, 500)) row_addf(row, "冰雹, 大棚损毁%d座", n);
      else row_addf(row, "大风, 花木倒伏%d亩", n);
      break;
    case 2: row_addf(row, "农作物受旱%d亩", n); break;
    case 3: row_addf(row, "房屋烧毁%d间", (n + 3) / 4); break;
    case 4: row_addf(row, "病虫害, 受灾%d亩", n); break;
    case 5: row_add(row, "地面塌陷, 房屋开裂"); break;
    case 6: row_add(row, "房屋墙体开裂"); break;
    default: row_add(row, "其他损失"); break;
    }
    return;
  }
  case FK_WATER_PROBLEM: row_add(row, PICK(r, water_problems)); return;
  case FK_POSITION: row_add(row, PICK(r, positions)); return;
  case FK_VEHICLE_TAX: row_add(row, PICK(r, vehicle_tax)); return;
  case FK_VEHICLE_POLICE: row_add(row, PICK(r, vehicle_police)); return;
  case FK_LOCATION:
    if (gen_chance(r, 200))
      row_addf(row, "许昌市魏都区%s%d号, %d号楼%d单元%d", PICK(r, roads), gen_between(r, 1, 300),
               gen_between(r, 1, 20), gen_between(r, 1, 4),
               gen_between(r, 1, 18) * 100 + gen_between(r, 1, 4));
    else
      row_addf(row, "鄢陵县%s%d号%s%d号楼%d单元%d", PICK(r, roads), gen_between(r, 1, 300),
               PICK(r, estates), gen_between(r, 1, 20), gen_between(r, 1, 4),
               gen_between(r, 1, 18) * 100 + gen_between(r, 1, 4));
    return;
  case FK_FLOOR_AREA: row_add_money(row, (uint64_t)gen_between(r, 6000, 18000)); return;
  case FK_BUSINESS_NAME:
    township_short(reg, t, s, sizeof(s));
    if (gen_chance(r, 60))
      row_addf(row, "鄢陵县%s\"%.3s记\"%s", s, c->name, PICK(r, shops));
    else
      row_addf(row, "鄢陵县%s%.3s记%s", s, c->name, PICK(r, shops));
    return;
  case FK_CREDIT_INDIVIDUAL:
  case FK_CREDIT_FIRM:
    credit_code(r, reg->cfg->county_code, k == FK_CREDIT_INDIVIDUAL, b);
    row_add(row, b);
    return;
  case FK_PLATE: {
    static const char letters[] = "ABCDEFGHJKLMNPQRSTUVWXYZ";
    const char *dot = gen_chance(r, 500) ? "·" : "";
    if (gen_chance(r, 100)) { /* new energy: 豫KD12345 */
      row_addf(row, "豫K%s%c%05u", dot, gen_chance(r, 500) ? 'D' : 'F', rh_rng_below(r, 100000));
    } else {
      char tail[5];
      for (int i = 0; i < 4; i++)
        tail[i] = gen_chance(r, 850) ? (char)('0' + rh_rng_below(r, 10))
                                        : letters[rh_rng_below(r, sizeof(letters) - 1)];
      row_addf(row, "豫K%s%c%.4s", dot, letters[rh_rng_below(r, sizeof(letters) - 1)], tail);
    }
    return;
  }
  case FK_INJURY: {
    uint32_t x = rh_rng_below(r, 100);
    row_add(row, x < 20 ? "轻微伤" : x < 60 ? "轻伤" : x < 95 ? "重伤" : "死亡");
    return;
  }
  case FK_CONSEQUENCE: {
    uint32_t x = rh_rng_below(r, 100);
    row_add(row, x < 40 ? "死亡" : x < 75 ? "重伤致残" : "重伤");
    return;
  }
  case FK_HOUSEHOLD_NUMBER:
    row_addf(row, "%09u", 100000001u + (c->p ? c->p->household : rh_rng_below(r, 800000000)));
    return;
  case FK_RELATION_ZH: {
    int male = rh_id_is_male(c->id);
    int rel = c->p ? c->p->relation : REL_HEAD;
    static const char *const m[] = {"户主", "夫", "子", "父亲", "孙子", "兄弟", "其他"};
    static const char *const f[] = {"户主", "妻", "女", "母亲", "孙女", "姐妹", "其他"};
    row_add(row, male ? m[rel] : f[rel]);
    return;
  }
  case FK_SEX_ZH: row_add(row, rh_id_is_male(c->id) ? "男" : "女"); return;
  case FK_BIRTH_DATE:
    row_addf(row, "%.4s-%.2s-%.2s", c->id + 6, c->id + 10, c->id + 12);
    return;
  case FK_REGISTERED_ADDRESS:
    if (c->township >= 0)
      row_addf(row, "河南省许昌市%s%s%s%d号", reg->cfg->county_name, reg->cfg->townships[t].name,
               c->village >= 0 ? gen_village_name(reg, (size_t)t, (size_t)c->village) : "",
               c->h ? c->h->number : gen_between(r, 1, 999));
    else
      row_add(row, "");
    return;
  case FK_COMPANY_NAME: firm_name(r, b, sizeof(b)); row_add(row, b); return;
  case FK_ROLE: row_add(row, PICK(r, roles)); return;
  case FK_PRODUCT: row_add(row, PICK(r, products)); return;
  case FK_INSTITUTION: row_add(row, PICK(r, banks)); return;
  case FK_GENERIC: break;
  }
  row_add(row, "其他");
}

/* Pick a registry person for the row. */
static long pick_person(gen_feedgen_t *g, bool applicant) {
  rh_rng_t *r = &g->rng;
  const uint32_t *list = g->cand;
  size_t n = g->ncand;
  if (applicant && g->napp) {
    list = g->app;
    n = g->napp;
  } else if (g->ncand_vuln && gen_chance(r, g->prof->vulnerable)) {
    list = g->cand_vuln;
    n = g->ncand_vuln;
  }
  if (n == 0) { /* nobody matches the profile: anyone */
    if (g->reg->p_count == 0) return -1;
    return (long)rh_rng_below(r, (uint32_t)g->reg->p_count);
  }
  uint32_t pick = list[rh_rng_below(r, (uint32_t)n)];
  for (int tries = 0; g->unique && g->used[pick] && tries < 16; tries++)
    pick = list[rh_rng_below(r, (uint32_t)n)];
  if (g->unique) g->used[pick] = 1;
  return (long)pick;
}

void gen_feedgen_row(gen_feedgen_t *g, gen_row_t *row, long *person_index) {
  const gen_registry_t *reg = g->reg;
  const rh_config_feed_t *f = g->f;
  rh_rng_t *r = &g->rng;
  rowctx_t c;
  memset(&c, 0, sizeof(c));
  c.amount_fen = -1;
  c.subtype = c.dis_type = c.dis_grade = -1;
  c.township = c.village = -1;
  row->n = 0;
  row->used = 0;

  /* who */
  bool outsider = false, applicant = false;
  uint32_t x = rh_rng_below(r, 1000);
  if (!g->plain) {
    if (f->kind == RH_FEED_CHECK) {
      applicant = x < 80;
      outsider = !applicant && x < 480;
    } else if (f->kind == RH_FEED_SIGNAL) {
      outsider = x < 50;
    }
  }
  long pi;
  if (!g->plain && g->cluster_next < g->ncluster) { /* the village the disaster hit */
    pi = g->cluster[g->cluster_next++];
    if (g->used) g->used[pi] = 1;
  } else if (g->members_left) { /* the rest of an identity list's household */
    pi = g->member_next++;
    g->members_left--;
    if (g->used) g->used[pi] = 1;
  } else {
    pi = outsider ? -1 : pick_person(g, applicant);
    if (pi >= 0 && f->kind == RH_FEED_IDENTITY && !g->plain) { /* its household, head first */
      const gen_household_t *h = &reg->hh[reg->p[pi].household];
      pi = h->first;
      g->member_next = h->first + 1;
      g->members_left = h->size > 0 ? h->size - 1u : 0;
      if (g->used)
        for (uint32_t k = 0; k < h->size; k++) g->used[h->first + k] = 1;
    }
  }
  if (pi >= 0) {
    c.p = &reg->p[pi];
    c.h = &reg->hh[c.p->household];
    c.pidx = pi;
    memcpy(c.id, c.p->id, RH_ID_BUFSZ);
    snprintf(c.name, sizeof(c.name), "%s", c.p->name);
    c.age = c.p->age;
    /* public security's list and the registry disagree about a name now and
     * then (3 in 1,000): what riskhub-identity finds (docs/identity.md) */
    if (f->kind == RH_FEED_IDENTITY && !g->plain && gen_chance(r, 3))
      snprintf(c.name, sizeof(c.name), "%.12s某", c.p->name);
    c.township = c.h->township;
    c.village = c.h->village;
  } else {
    int lo, hi;
    sel_years(reg, g->prof->sel, &lo, &hi);
    gen_outsider_id(reg, r, lo, hi, c.id);
    rh_synth_name(r, c.name, sizeof(c.name));
    int by = (c.id[6] - '0') * 1000 + (c.id[7] - '0') * 100 + (c.id[8] - '0') * 10 + (c.id[9] - '0');
    c.age = reg->year - by;
    c.pidx = -1;
    if (f->kind != RH_FEED_CHECK || gen_chance(r, 500)) {
      c.township = (int)rh_rng_below(r, (uint32_t)reg->cfg->township_count);
      c.village = (int)rh_rng_below(r, reg->village_count[c.township]);
    }
  }
  *person_index = pi;

  /* canonical columns */
  char b[64];
  for (size_t i = 0; i < g->ncols; i++) {
    int col = g->cols[i];
    bool may_be_empty = !g->plain && col != RH_COL_ID_NUMBER && !f->required[col];
    if (may_be_empty && gen_chance(r, 20)) {
      gen_row_add_n(row, "", 0);
      continue;
    }
    switch (col) {
    case RH_COL_ID_NUMBER: gen_row_add_n(row, c.id, RH_ID_LEN); break;
    case RH_COL_NAME: row_add(row, c.name); break;
    case RH_COL_TOWNSHIP:
      if (c.township >= 0) row_add(row, township_text(g, c.township, b, sizeof(b)));
      else gen_row_add_n(row, "", 0);
      break;
    case RH_COL_VILLAGE:
      if (c.village >= 0) row_add(row, gen_village_name(reg, (size_t)c.township, (size_t)c.village));
      else gen_row_add_n(row, "", 0);
      break;
    case RH_COL_EVENT_DATE:
      gen_row_add_n(row, b,
                gen_fmt_date(b, reg->year, reg->month,
                                gen_between(r, 1, gen_days_in_month(reg->year, reg->month))));
      break;
    case RH_COL_AMOUNT:
      c.amount_fen = draw_amount(r, g->prof->amount);
      row_add_money(row, (uint64_t)c.amount_fen);
      break;
    case RH_COL_SUBTYPE: {
      unsigned total = 0, pick;
      for (size_t k = 0; k < N(subtypes); k++) total += subtypes[k].weight;
      pick = rh_rng_below(r, total);
      size_t k = 0;
      while (pick >= subtypes[k].weight) pick -= subtypes[k++].weight;
      c.subtype = (int)k;
      row_add(row, subtypes[k].code);
      break;
    }
    }
  }
  /* facts */
  for (size_t i = 0; i < f->fact_count && row->n < GEN_ROW_MAX_FIELDS; i++) {
    if (!g->plain && gen_chance(r, 10)) {
      gen_row_add_n(row, "", 0);
      continue;
    }
    add_fact(g, row, &c, g->facts[i]);
  }
}

int gen_feed_write(const gen_registry_t *reg, const rh_config_feed_t *f,
                      size_t department_index, uint64_t seed, const char *period,
                      const char *path, size_t rows, bool bench, gen_group_t *grp, bool *oom,
                      char *errstr, size_t errstr_size) {
  *oom = false;
  char stream[512];
  snprintf(stream, sizeof(stream), "%s:%s/%s:%s", bench ? "bench" : "feed", f->department->code,
           f->code, period);
  gen_feedgen_t *g = gen_feedgen_new(reg, f, department_index, seed, stream, !bench);
  gen_row_t *row = malloc(sizeof(*row));
  if (!g || !row) {
    *oom = true;
    gen_set_err(errstr, errstr_size, "out of memory");
    gen_feedgen_destroy(g);
    free(row);
    return -1;
  }
  bool bom, crlf;
  gen_feed_style(department_index, &bom, &crlf);
  gen_out_t w;
  if (gen_out_open(&w, path, bom, crlf, errstr, errstr_size)) {
    gen_feedgen_destroy(g);
    free(row);
    return -1;
  }
  for (size_t i = 0; i < g->nheader; i++) gen_out_field(&w, g->header[i]);
  gen_out_end_row(&w, false);
  /* an identity list ends with a whole household */
  for (size_t i = 0; i < rows || g->members_left; i++) {
    long pi;
    gen_feedgen_row(g, row, &pi);
    for (size_t k = 0; k < row->n; k++) gen_out_field_n(&w, row->buf + row->off[k], row->len[k]);
    gen_out_end_row(&w, true);
  }
  uint64_t nrows = w.rows, bytes = w.bytes;
  gen_feedgen_destroy(g);
  free(row);
  if (gen_out_close(&w, errstr, errstr_size)) return -1;
  grp->files++;
  grp->rows += nrows;
  grp->bytes += bytes;
  return 0;
}
