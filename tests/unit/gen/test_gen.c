/*
 * gen (riskhub-gen): a small synthetic county (300 households) written to a
 * temporary directory, twice: byte-identical; every person ID valid and
 * unique; every configured feed present with its headers, BOM and line ends;
 * signal rows mostly registry persons; check feeds find applicants; the bad
 * files have exactly the defects bad/MANIFEST.txt claims; errors name paths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <ftw.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rh_config.h"
#include "rh_csv.h"
#include "rh_exit.h"
#include "gen.h"
#include "gen_feeds.h"
#include "rh_idnum.h"
#include "rh_parse.h"
#include "rh_test.h"

#ifndef RH_SOURCE_DIR
#define RH_SOURCE_DIR "."
#endif

#define PERIOD "2026-10"
#define YEAR 2026
#define HOUSEHOLDS 300
#define BENCH_ROWS 500

typedef struct {
  rh_config_t *cfg;
  char dir_a[64], dir_b[64];
} fixture_t;

/* ---- helpers ---- */

static char *read_all(const char *path, size_t *len) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap + 1);
  size_t got;
  while ((got = fread(buf + n, 1, cap - n, fp)) > 0) {
    n += got;
    if (n == cap) buf = realloc(buf, (cap *= 2) + 1);
  }
  fclose(fp);
  buf[n] = '\0';
  if (len) *len = n;
  return buf;
}

static char *read_rel(const char *dir, const char *rel, size_t *len) {
  char path[1024];
  snprintf(path, sizeof(path), "%s/%s", dir, rel);
  char *b = read_all(path, len);
  if (!b) fail_msg("cannot read %s", path);
  return b;
}

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb, (void)flag, (void)ftw;
  return remove(p);
}

static void rm_rf(const char *dir) { nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS); }

static int run_gen(const rh_config_t *cfg, const char *dir, uint64_t seed,
                   const char *const *feeds, size_t nfeeds, char *err, size_t errsz) {
  gen_opts_t o;
  gen_opts_init(&o);
  o.cfg = cfg;
  o.out_dir = dir;
  o.period = PERIOD;
  o.households = HOUSEHOLDS;
  o.seed = seed;
  o.big_feed_rows = BENCH_ROWS;
  o.feeds = feeds;
  o.feed_count = nfeeds;
  return gen_run(&o, NULL, err, errsz);
}

/* Split one CSV line (RFC 4180 quoting, no line breaks inside fields) into
 * fields, unquoted, in place. Returns the number of fields. */
static size_t split_csv(char *line, char **f, size_t max) {
  size_t n = 0;
  char *p = line;
  for (;;) {
    char *out = p, *start = p;
    if (*p == '"') {
      p++;
      for (;;) {
        if (*p == '\0') break;
        if (*p == '"' && p[1] == '"') *out++ = '"', p += 2;
        else if (*p == '"') {
          p++;
          break;
        } else *out++ = *p++;
      }
      while (*p && *p != ',') p++;
    } else {
      while (*p && *p != ',') p++;
      out = p;
    }
    char sep = *p;
    *out = '\0';
    if (n < max) f[n++] = start;
    if (sep != ',') break;
    p++;
  }
  return n;
}

/* Line i (1-based) of a buffer (LF or CRLF), copied without its line end. */
static char *line_of(const char *buf, size_t line) {
  const char *p = buf;
  for (size_t i = 1; i < line && p; i++) {
    p = strchr(p, '\n');
    if (p) p++;
  }
  if (!p || !*p) return NULL;
  const char *e = strchr(p, '\n');
  size_t n = e ? (size_t)(e - p) : strlen(p);
  if (n && p[n - 1] == '\r') n--;
  return strndup(p, n);
}

static size_t count_lines(const char *buf) {
  size_t n = 0;
  for (const char *p = buf; *p; p++) n += *p == '\n';
  return n;
}

static bool valid_utf8(const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    size_t k = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : 9;
    if (k == 9 || i + k >= n) return false;
    for (size_t j = 1; j <= k; j++)
      if ((s[i + j] & 0xC0) != 0x80) return false;
    i += k + 1;
  }
  return true;
}

static char *iconv_to_utf8(const char *from, const char *in, size_t len, size_t *out_len) {
  iconv_t cd = iconv_open("UTF-8", from);
  assert_true(cd != (iconv_t)-1);
  size_t cap = len * 3 + 16;
  char *out = malloc(cap), *op = out, *ip = (char *)in;
  size_t il = len, ol = cap;
  size_t rc = iconv(cd, &ip, &il, &op, &ol);
  iconv_close(cd);
  if (rc == (size_t)-1) {
    free(out);
    return NULL;
  }
  *out_len = (size_t)(op - out);
  return out;
}

/* The list of line numbers after `key` in text: "lines 4,9,15", "line 6",
 * "lines 22-24". Returns the count. */
static size_t lines_after(const char *text, const char *key, int *out, size_t max) {
  const char *p = strstr(text, key);
  if (!p) return 0;
  p += strlen(key);
  while (*p == ' ') p++;
  if (strncmp(p, "lines ", 6) == 0) p += 6;
  else if (strncmp(p, "line ", 5) == 0) p += 5;
  size_t n = 0;
  for (;;) {
    char *e;
    long a = strtol(p, &e, 10);
    if (e == p) break;
    long b = a;
    if (*e == '-') b = strtol(e + 1, &e, 10);
    for (long v = a; v <= b && n < max; v++) out[n++] = (int)v;
    if (*e != ',') break;
    p = e + 1;
  }
  return n;
}

/* ---- setup ---- */

static int setup(void **state) {
  fixture_t *fx = calloc(1, sizeof(*fx));
  char cfg_path[1024], err[1024];
  rh_test_path(cfg_path, sizeof(cfg_path), "config/riskhub.yaml");
  unsetenv("RH_KAFKA_BOOTSTRAP");
  unsetenv("RH_PG_CONNINFO");
  fx->cfg = rh_config_load(cfg_path, err, sizeof(err));
  if (!fx->cfg) {
    fprintf(stderr, "%s\n", err);
    return -1;
  }
  snprintf(fx->dir_a, sizeof(fx->dir_a), "/tmp/rh-gen-a-XXXXXX");
  snprintf(fx->dir_b, sizeof(fx->dir_b), "/tmp/rh-gen-b-XXXXXX");
  if (!mkdtemp(fx->dir_a) || !mkdtemp(fx->dir_b)) return -1;
  if (run_gen(fx->cfg, fx->dir_a, 7, NULL, 0, err, sizeof(err)) != RH_EXIT_OK ||
      run_gen(fx->cfg, fx->dir_b, 7, NULL, 0, err, sizeof(err)) != RH_EXIT_OK) {
    fprintf(stderr, "%s\n", err);
    return -1;
  }
  *state = fx;
  return 0;
}

static int teardown(void **state) {
  fixture_t *fx = *state;
  rm_rf(fx->dir_a);
  rm_rf(fx->dir_b);
  rh_config_destroy(fx->cfg);
  free(fx);
  return 0;
}

/* Every file the run should have written, relative to the output dir. */
static size_t expected_files(const rh_config_t *cfg, char names[][256], size_t max) {
  static const char *const fixed[] = {
      "registry/households.csv", "registry/members.csv",  "registry/applications.csv",
      "bad/MANIFEST.txt",        "bad/gbk.csv",           "bad/bom.csv",
      "bad/broken-quotes.csv",   "bad/wrong-checksum.csv", "bad/excel-mangled.csv",
      "bad/ragged.csv",          "bad/wrong-header.csv",  "bad/blank-trailing.csv",
      "bad/bad-values.csv",      "bad/utf16.csv",         "bad/fake.xlsx"};
  size_t n = 0;
  for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]) && n < max; i++)
    snprintf(names[n++], 256, "%s", fixed[i]);
  for (size_t d = 0; d < cfg->department_count; d++)
    for (size_t i = 0; i < cfg->departments[d].feed_count && n < max; i++)
      snprintf(names[n++], 256, "%s/%s.%s.%s.csv", PERIOD, cfg->departments[d].code,
               cfg->departments[d].feeds[i].code, PERIOD);
  const rh_config_feed_t *bf = gen_bench_feed(cfg);
  snprintf(names[n++], 256, "%s/bench.%s.%s.%s.csv", PERIOD, bf->department->code, bf->code,
           PERIOD);
  return n;
}

static size_t count_dir(const char *dir) {
  size_t n = 0;
  DIR *d = opendir(dir);
  assert_non_null(d);
  struct dirent *e;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.') n++;
    else assert_true(strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0); /* no .part */
  closedir(d);
  return n;
}

/* ---- tests ---- */

static void test_deterministic(void **state) {
  fixture_t *fx = *state;
  static char names[128][256];
  size_t n = expected_files(fx->cfg, names, 128);
  for (size_t i = 0; i < n; i++) {
    size_t la, lb;
    char *a = read_rel(fx->dir_a, names[i], &la), *b = read_rel(fx->dir_b, names[i], &lb);
    if (la != lb || memcmp(a, b, la) != 0) fail_msg("%s differs between two runs", names[i]);
    assert_true(la > 0);
    free(a);
    free(b);
  }
  /* nothing else was written (no .part files left behind) */
  char d[512];
  size_t total = 0;
  const char *subs[] = {"registry", "bad", PERIOD};
  for (size_t i = 0; i < 3; i++) {
    snprintf(d, sizeof(d), "%s/%s", fx->dir_a, subs[i]);
    total += count_dir(d);
  }
  assert_int_equal(total, n);
  assert_int_equal(count_dir(fx->dir_a), 3);

  /* another seed: another county */
  char other[64] = "/tmp/rh-gen-c-XXXXXX", err[1024];
  assert_non_null(mkdtemp(other));
  assert_int_equal(run_gen(fx->cfg, other, 8, NULL, 0, err, sizeof(err)), RH_EXIT_OK);
  char *a = read_rel(fx->dir_a, "registry/members.csv", NULL);
  char *c = read_rel(other, "registry/members.csv", NULL);
  assert_true(strcmp(a, c) != 0);
  free(a);
  free(c);
  rm_rf(other);
}

/* The registry: IDs valid and unique, sex and birth date from the ID, the
 * household structure consistent, codes from the documented sets. */
static void test_registry(void **state) {
  fixture_t *fx = *state;
  char *hh = read_rel(fx->dir_a, "registry/households.csv", NULL);
  char *mm = read_rel(fx->dir_a, "registry/members.csv", NULL);
  char *ap = read_rel(fx->dir_a, "registry/applications.csv", NULL);
  char *f[32], *line;

  line = line_of(hh, 1);
  assert_string_equal(line, "household_id,township_code,village,household_type,"
                            "monitoring_category,identified_month,risk_eliminated,eliminated_how,"
                            "eliminated_month,income_per_capita,head_id_number");
  free(line);
  line = line_of(mm, 1);
  assert_string_equal(line, "household_id,id_number,name,sex,relation,birth_date,health,"
                            "disability_grade,labour_ability,schooling,migrant_months,"
                            "medical_insurance");
  free(line);
  line = line_of(ap, 1);
  assert_string_equal(line, "period,household_id,applied_on");
  free(line);
  assert_null(strchr(hh, '\r'));
  assert_false(hh[0] == '\xEF');

  size_t nh = count_lines(hh) - 1, nm = count_lines(mm) - 1;
  assert_int_equal(nh, HOUSEHOLDS);
  if (nm > HOUSEHOLDS * 6) fail_msg("%zu members", nm);
  nm %= HOUSEHOLDS * 6 + 1; /* (tells the compiler the bound) */
  assert_true(nm >= HOUSEHOLDS * 2.8 && nm <= HOUSEHOLDS * 3.7);

  /* members: IDs */
  char (*ids)[RH_ID_BUFSZ] = calloc(nm, RH_ID_BUFSZ);
  char (*hids)[32] = calloc(nm, 32);
  int *is_head = calloc(nm, sizeof(int));
  for (size_t i = 0; i < nm; i++) {
    line = line_of(mm, i + 2);
    assert_int_equal(split_csv(line, f, 32), 12);
    char out[RH_ID_BUFSZ];
    assert_int_equal(rh_id_validate(f[1], strlen(f[1]), YEAR, out), RH_ID_OK);
    assert_string_equal(out, f[1]);
    assert_string_equal(f[3], rh_id_is_male(out) ? "male" : "female");
    char bd[16];
    snprintf(bd, sizeof(bd), "%.4s-%.2s-%.2s", out + 6, out + 10, out + 12);
    assert_string_equal(f[5], bd);
    assert_true(strstr("|healthy|chronic|major_illness|disabled|", f[6]) != NULL);
    assert_true(strcmp(f[6], "disabled") == 0 ? (f[7][0] >= '1' && f[7][0] <= '4') : f[7][0] == 0);
    assert_true(strstr("|strong|weak|none|", f[8]) != NULL);
    assert_true(strstr("|none|primary|junior|senior|college|in_school|", f[9]) != NULL);
    int mig = atoi(f[10]);
    assert_true(mig >= 0 && mig <= 12);
    assert_true(strcmp(f[11], "true") == 0 || strcmp(f[11], "false") == 0);
    memcpy(ids[i], out, RH_ID_BUFSZ);
    snprintf(hids[i], 32, "%s", f[0]);
    is_head[i] = strcmp(f[4], "head") == 0;
    free(line);
  }
  for (size_t i = 0; i < nm; i++) /* unique (small county: quadratic is fine) */
    for (size_t j = i + 1; j < nm; j++)
      if (strcmp(ids[i], ids[j]) == 0) fail_msg("duplicate ID at members lines %zu and %zu", i + 2, j + 2);

  /* households: each has exactly one head, the one named; codes */
  size_t monitored = 0;
  for (size_t i = 0; i < nh; i++) {
    line = line_of(hh, i + 2);
    assert_int_equal(split_csv(line, f, 32), 11);
    assert_int_equal(strlen(f[0]), 18); /* 411024100-001-0001 */
    assert_true(f[0][9] == '-' && f[0][13] == '-');
    assert_memory_equal(f[0], f[1], 9);
    assert_non_null(rh_config_township_find(fx->cfg, f[1]));
    assert_true(strlen(f[2]) > 3);
    assert_true(strstr("|ordinary|poverty_alleviated|monitored|", f[3]) != NULL);
    if (strcmp(f[3], "monitored") == 0) {
      monitored++;
      assert_true(strstr("|unstable|marginal|sudden_hardship|", f[4]) != NULL);
      assert_int_equal(strlen(f[5]), 7);
    } else {
      assert_string_equal(f[4], "");
    }
    bool elim = strcmp(f[6], "true") == 0;
    assert_true(elim || strcmp(f[6], "false") == 0);
    if (elim) {
      assert_true(strcmp(f[7], "assisted") == 0 || strcmp(f[7], "natural") == 0);
      assert_true(strcmp(f[8], f[5]) >= 0);
    } else {
      assert_string_equal(f[7], "");
      assert_string_equal(f[8], "");
    }
    assert_non_null(strchr(f[9], '.'));
    assert_int_equal(strlen(strchr(f[9], '.')), 3);
    size_t members = 0, heads = 0;
    for (size_t k = 0; k < nm; k++) {
      if (strcmp(hids[k], f[0]) != 0) continue;
      members++;
      if (is_head[k]) {
        heads++;
        assert_string_equal(ids[k], f[10]);
      }
    }
    assert_true(members >= 1 && members <= 6);
    assert_int_equal(heads, 1);
    free(line);
  }
  assert_true(monitored >= 1);

  /* applications: ordinary households, dates in the period */
  size_t na = count_lines(ap) - 1;
  assert_true(na >= 1);
  for (size_t i = 0; i < na; i++) {
    line = line_of(ap, i + 2);
    assert_int_equal(split_csv(line, f, 32), 3);
    assert_string_equal(f[0], PERIOD);
    assert_memory_equal(f[2], PERIOD "-", 8);
    char key[64];
    snprintf(key, sizeof(key), "\n%s,", f[1]);
    char *h = strstr(hh, key);
    assert_non_null(h);
    char *hl = strndup(h + 1, (size_t)(strchr(h + 1, '\n') - h - 1));
    char *g[32];
    split_csv(hl, g, 32);
    assert_string_equal(g[3], "ordinary");
    free(hl);
    free(line);
  }
  free(ids);
  free(hids);
  free(is_head);
  free(hh);
  free(mm);
  free(ap);
}

/* Every feed: the file, the configured headers in order, BOM and line ends by
 * department, the default row count. */
/* A list has the rows asked for; an identity list (whole households,
 * docs/identity.md) goes on to the end of its last household: fewer than a
 * household more. */
static bool rows_as_asked(const rh_config_feed_t *feed, size_t rows) {
  size_t want = gen_feed_default_rows(feed, HOUSEHOLDS);
  if (feed->kind != RH_FEED_IDENTITY) return rows == want;
  return rows >= want && rows < want + 6; /* a household has at most 6 persons */
}

static void test_feed_files(void **state) {
  fixture_t *fx = *state;
  for (size_t d = 0; d < fx->cfg->department_count; d++) {
    const rh_config_department_t *dep = &fx->cfg->departments[d];
    bool bom, crlf;
    gen_feed_style(d, &bom, &crlf);
    for (size_t i = 0; i < dep->feed_count; i++) {
      const rh_config_feed_t *feed = &dep->feeds[i];
      char rel[256], want[2048] = "";
      snprintf(rel, sizeof(rel), "%s/%s.%s.%s.csv", PERIOD, dep->code, feed->code, PERIOD);
      size_t len;
      char *buf = read_rel(fx->dir_a, rel, &len);
      assert_int_equal(memcmp(buf, "\xEF\xBB\xBF", 3) == 0, bom);
      const char *body = bom ? buf + 3 : buf;
      for (int c = 0; c < RH_COL_COUNT; c++)
        if (feed->columns[c]) {
          if (*want) strcat(want, ",");
          strcat(want, feed->columns[c]);
        }
      for (size_t k = 0; k < feed->fact_count; k++) {
        strcat(want, ",");
        strcat(want, feed->facts[k].header);
      }
      char *hdr = line_of(body, 1);
      if (strcmp(hdr, want) != 0) fail_msg("%s: header '%s', want '%s'", rel, hdr, want);
      free(hdr);
      assert_int_equal(strstr(body, "\r\n") != NULL, crlf);
      assert_true(valid_utf8((const unsigned char *)buf, len));
      assert_true(rows_as_asked(feed, count_lines(body) - 1));
      free(buf);
    }
  }
  /* the defaults for the full county are a county department's usual counts */
  const rh_config_feed_t *hs = rh_config_feed_find(fx->cfg, "medical-insurance", "high-self-pay");
  const rh_config_feed_t *dr = rh_config_feed_find(fx->cfg, "education", "dropouts");
  assert_int_equal(gen_feed_default_rows(hs, GEN_DEFAULT_HOUSEHOLDS), 1500);
  assert_int_equal(gen_feed_default_rows(dr, GEN_DEFAULT_HOUSEHOLDS), 50);
  /* the benchmark file */
  const rh_config_feed_t *bf = gen_bench_feed(fx->cfg);
  char rel[256];
  snprintf(rel, sizeof(rel), "%s/bench.%s.%s.%s.csv", PERIOD, bf->department->code, bf->code, PERIOD);
  char *buf = read_rel(fx->dir_a, rel, NULL);
  assert_int_equal(count_lines(buf) - 1, BENCH_ROWS);
  free(buf);
}

/* Is id in members.csv? And in an applicant household? */
static bool in_registry(const char *members, const char *id) {
  char key[32];
  snprintf(key, sizeof(key), ",%s,", id);
  return strstr(members, key) != NULL;
}

static bool is_applicant(const char *members, const char *apps, const char *id) {
  char key[32];
  snprintf(key, sizeof(key), ",%s,", id);
  const char *p = strstr(members, key);
  if (!p) return false;
  while (p > members && p[-1] != '\n') p--;
  char hid[32];
  snprintf(hid, sizeof(hid), "%.*s", (int)(strchr(p, ',') - p), p);
  char akey[64];
  snprintf(akey, sizeof(akey), ",%s,", hid);
  return strstr(apps, akey) != NULL;
}

static void test_feed_rows(void **state) {
  fixture_t *fx = *state;
  char *members = read_rel(fx->dir_a, "registry/members.csv", NULL);
  char *apps = read_rel(fx->dir_a, "registry/applications.csv", NULL);
  size_t signal_rows = 0, signal_in = 0, check_applicant = 0, quoted = 0, identity_in = 0,
         identity_rows = 0;
  char *f[64];
  for (size_t d = 0; d < fx->cfg->department_count; d++) {
    const rh_config_department_t *dep = &fx->cfg->departments[d];
    for (size_t i = 0; i < dep->feed_count; i++) {
      const rh_config_feed_t *feed = &dep->feeds[i];
      size_t nh = 0;
      for (int c = 0; c < RH_COL_COUNT; c++) nh += feed->columns[c] != NULL;
      nh += feed->fact_count;
      int amount_ix = -1, date_ix = -1, town_ix = -1, k = 0;
      for (int c = 0; c < RH_COL_COUNT; c++) {
        if (!feed->columns[c]) continue;
        if (c == RH_COL_AMOUNT) amount_ix = k;
        if (c == RH_COL_EVENT_DATE) date_ix = k;
        if (c == RH_COL_TOWNSHIP) town_ix = k;
        k++;
      }
      char rel[256];
      snprintf(rel, sizeof(rel), "%s/%s.%s.%s.csv", PERIOD, dep->code, feed->code, PERIOD);
      char *buf = read_rel(fx->dir_a, rel, NULL);
      size_t rows = count_lines(buf) - 1;
      for (size_t r = 0; r < rows; r++) {
        char *line = line_of(buf, r + 2);
        quoted += strchr(line, '"') != NULL;
        assert_int_equal(split_csv(line, f, 64), nh);
        char id[RH_ID_BUFSZ];
        assert_int_equal(rh_id_validate(f[0], strlen(f[0]), YEAR, id), RH_ID_OK);
        for (int c = 0; c < RH_COL_COUNT; c++)
          if (feed->required[c]) {
            int ix = 0;
            for (int c2 = 0; c2 < c; c2++) ix += feed->columns[c2] != NULL;
            assert_true(f[ix][0] != '\0');
          }
        if (amount_ix >= 0 && f[amount_ix][0]) {
          int64_t fen;
          assert_int_equal(rh_parse_amount_fen(f[amount_ix], strlen(f[amount_ix]), &fen), 0);
          assert_true(fen > 0);
          assert_int_equal(strlen(strchr(f[amount_ix], '.')), 3);
        }
        if (date_ix >= 0 && f[date_ix][0]) {
          int32_t days;
          assert_memory_equal(f[date_ix], PERIOD "-", 8);
          assert_int_equal(rh_parse_date(f[date_ix], strlen(f[date_ix]), &days), 0);
        }
        if (town_ix >= 0 && f[town_ix][0]) assert_non_null(rh_config_township_find(fx->cfg, f[town_ix]));
        bool in = in_registry(members, id);
        if (feed->kind == RH_FEED_SIGNAL) signal_rows++, signal_in += in;
        if (feed->kind == RH_FEED_CHECK) check_applicant += is_applicant(members, apps, id);
        if (feed->kind == RH_FEED_IDENTITY) identity_rows++, identity_in += in;
        free(line);
      }
      free(buf);
    }
  }
  /* ≈95% of signal rows are registry persons, some are not (alerts.unmatched) */
  assert_true(signal_rows > 100);
  assert_true(signal_in * 100 >= signal_rows * 85);
  assert_true(signal_in < signal_rows);
  assert_true(check_applicant >= 3);
  assert_int_equal(identity_in, identity_rows);
  assert_true(quoted >= 1);
  free(members);
  free(apps);
}

/* The bad files have the defects MANIFEST.txt claims, where it claims them. */
static void test_bad_files(void **state) {
  fixture_t *fx = *state;
  const rh_config_feed_t *feed = gen_bad_feed(fx->cfg);
  char *man = read_rel(fx->dir_a, "bad/MANIFEST.txt", NULL);
  char *f[64], out[RH_ID_BUFSZ];
  int lines[32];
  size_t n, blen;
  char *bom = read_rel(fx->dir_a, "bad/bom.csv", &blen);
  assert_memory_equal(bom, "\xEF\xBB\xBF", 3);
  const char *good = bom + 3; /* the valid file the others derive from */
  size_t good_len = blen - 3, nfields;
  {
    char *h = line_of(good, 1);
    nfields = split_csv(h, f, 64);
    assert_string_equal(f[0], feed->columns[RH_COL_ID_NUMBER]);
    free(h);
  }
  assert_int_equal(count_lines(good), 21);
  for (size_t i = 2; i <= 21; i++) {
    char *l = line_of(good, i);
    assert_int_equal(split_csv(l, f, 64), nfields);
    assert_int_equal(rh_id_validate(f[0], strlen(f[0]), YEAR, out), RH_ID_OK);
    free(l);
  }

  /* gbk.csv: not UTF-8; iconv GBK -> UTF-8 gives the valid file */
  size_t len, ulen;
  char *gbk = read_rel(fx->dir_a, "bad/gbk.csv", &len);
  assert_non_null(strstr(man, "gbk.csv: "));
  assert_false(valid_utf8((unsigned char *)gbk, len));
  char *u = iconv_to_utf8("GBK", gbk, len, &ulen);
  assert_non_null(u);
  assert_int_equal(ulen, good_len);
  assert_memory_equal(u, good, good_len);
  free(u);
  free(gbk);

  /* utf16.csv: FF FE, then the valid file with CRLF */
  char *u16 = read_rel(fx->dir_a, "bad/utf16.csv", &len);
  assert_memory_equal(u16, "\xFF\xFE", 2);
  u = iconv_to_utf8("UTF-16LE", u16 + 2, len - 2, &ulen);
  assert_non_null(u);
  assert_int_equal(ulen, good_len + count_lines(good));
  assert_non_null(strstr(u, "\r\n"));
  free(u);
  free(u16);

  /* fake.xlsx */
  char *x = read_rel(fx->dir_a, "bad/fake.xlsx", &len);
  assert_memory_equal(x, "PK\x03\x04", 4);
  free(x);

  /* wrong-checksum.csv */
  char *wc = read_rel(fx->dir_a, "bad/wrong-checksum.csv", NULL);
  n = lines_after(man, "wrong-checksum.csv: ID number with a wrong check character (last "
                       "character);", lines, 32);
  assert_int_equal(n, 3);
  for (size_t i = 2; i <= 21; i++) {
    char *l = line_of(wc, i);
    split_csv(l, f, 64);
    bool claimed = false;
    for (size_t k = 0; k < n; k++) claimed |= lines[k] == (int)i;
    assert_int_equal(rh_id_validate(f[0], strlen(f[0]), YEAR, out),
                     claimed ? RH_ID_BAD_CHECKSUM : RH_ID_OK);
    free(l);
  }
  free(wc);

  /* excel-mangled.csv */
  char *em = read_rel(fx->dir_a, "bad/excel-mangled.csv", NULL);
  int sci[8], zero[8];
  size_t ns = lines_after(man, "scientific notation (like 4.11024E+17) at", sci, 8);
  size_t nz = lines_after(man, "last 3 digits zeroed (15 significant digits kept) at", zero, 8);
  assert_int_equal(ns, 2);
  assert_int_equal(nz, 3);
  for (size_t i = 2; i <= 21; i++) {
    char *l = line_of(em, i);
    split_csv(l, f, 64);
    rh_id_status_t want = RH_ID_OK;
    for (size_t k = 0; k < ns; k++)
      if (sci[k] == (int)i) want = RH_ID_EXCEL_SCIENTIFIC;
    for (size_t k = 0; k < nz; k++)
      if (zero[k] == (int)i) want = RH_ID_EXCEL_ZEROED;
    assert_int_equal(rh_id_validate(f[0], strlen(f[0]), YEAR, out), want);
    if (want == RH_ID_EXCEL_SCIENTIFIC) assert_non_null(strstr(f[0], "E+17"));
    free(l);
  }
  free(em);

  /* broken-quotes.csv: the claimed line opens a quote nothing closes */
  char *bq = read_rel(fx->dir_a, "bad/broken-quotes.csv", NULL);
  n = lines_after(man, "never closed (a strict parser reads on to the end of the file);", lines, 32);
  assert_int_equal(n, 1);
  size_t quotes = 0;
  for (char *p = bq; *p; p++) quotes += *p == '"';
  assert_int_equal(quotes, 1);
  char *l = line_of(bq, (size_t)lines[0]);
  assert_non_null(strstr(l, ",\""));
  free(l);
  l = line_of(bq, (size_t)lines[0] - 1);
  assert_null(strchr(l, '"'));
  free(l);
  free(bq);

  /* ragged.csv */
  char *rg = read_rel(fx->dir_a, "bad/ragged.csv", NULL);
  int few[8], many[8];
  size_t nf = lines_after(man, "too few at", few, 8), nmany = lines_after(man, "too many at", many, 8);
  assert_int_equal(nf, 2);
  assert_int_equal(nmany, 1);
  for (size_t i = 2; i <= 21; i++) {
    l = line_of(rg, i);
    size_t got = split_csv(l, f, 64);
    bool is_few = false, is_many = false;
    for (size_t k = 0; k < nf; k++) is_few |= few[k] == (int)i;
    for (size_t k = 0; k < nmany; k++) is_many |= many[k] == (int)i;
    if (is_few) assert_true(got < nfields);
    else if (is_many) assert_true(got > nfields);
    else assert_int_equal(got, nfields);
    free(l);
  }
  free(rg);

  /* wrong-header.csv: the ID header differs, nothing else */
  char *wh = read_rel(fx->dir_a, "bad/wrong-header.csv", NULL);
  assert_int_equal(lines_after(man, "is misspelt;", lines, 32), 1);
  assert_int_equal(lines[0], 1);
  l = line_of(wh, 1);
  split_csv(l, f, 64);
  assert_string_not_equal(f[0], feed->columns[RH_COL_ID_NUMBER]);
  assert_string_equal(f[1], feed->columns[1] ? feed->columns[1] : f[1]);
  free(l);
  assert_string_equal(strchr(wh, '\n'), strchr(good, '\n'));
  free(wh);

  /* blank-trailing.csv: the valid file and 3 empty lines */
  char *bt = read_rel(fx->dir_a, "bad/blank-trailing.csv", &len);
  n = lines_after(man, "blank lines after the last row;", lines, 32);
  assert_int_equal(n, 3);
  assert_int_equal(lines[0], 22);
  assert_int_equal(len, good_len + 3);
  assert_memory_equal(bt, good, good_len);
  assert_memory_equal(bt + good_len, "\n\n\n", 3);
  free(bt);

  /* bad-values.csv */
  char *bv = read_rel(fx->dir_a, "bad/bad-values.csv", NULL);
  int la[4], ld[4], lt[4];
  assert_int_equal(lines_after(man, "unparsable amount (约5000元) at", la, 4), 1);
  assert_int_equal(lines_after(man, "impossible date (2026-02-30) at", ld, 4), 1);
  char key[64];
  const char *tp = strstr(man, "unknown township (");
  assert_non_null(tp);
  snprintf(key, sizeof(key), "%.*s at", (int)(strchr(tp, ')') + 1 - tp), tp);
  assert_int_equal(lines_after(man, key, lt, 4), 1);
  int ai = 0, di = 0, ti = 0, k = 0;
  for (int c = 0; c < RH_COL_COUNT; c++) {
    if (!feed->columns[c]) continue;
    if (c == RH_COL_AMOUNT) ai = k;
    if (c == RH_COL_EVENT_DATE) di = k;
    if (c == RH_COL_TOWNSHIP) ti = k;
    k++;
  }
  l = line_of(bv, (size_t)la[0]);
  split_csv(l, f, 64);
  assert_string_equal(f[ai], "约5000元");
  int64_t fen;
  assert_int_equal(rh_parse_amount_fen(f[ai], strlen(f[ai]), &fen), -1);
  free(l);
  l = line_of(bv, (size_t)ld[0]);
  split_csv(l, f, 64);
  assert_string_equal(f[di], "2026-02-30");
  int32_t days;
  assert_int_equal(rh_parse_date(f[di], strlen(f[di]), &days), -1);
  free(l);
  l = line_of(bv, (size_t)lt[0]);
  split_csv(l, f, 64);
  assert_null(rh_config_township_find(fx->cfg, f[ti]));
  free(l);
  free(bv);

  /* every file in bad/ has its MANIFEST line */
  const char *files[] = {"gbk.csv", "bom.csv", "broken-quotes.csv", "wrong-checksum.csv",
                         "excel-mangled.csv", "ragged.csv", "wrong-header.csv",
                         "blank-trailing.csv", "bad-values.csv", "utf16.csv", "fake.xlsx"};
  for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
    snprintf(key, sizeof(key), "\n%s: ", files[i]);
    assert_non_null(strstr(man, key));
  }
  free(bom);
  free(man);
}

/* The project's CSV reader (rh_csv) reads every generated list cleanly and
 * trips over the bad files where MANIFEST.txt says. */
static size_t csv_rows(const char *path, size_t want_fields, rh_encoding_t *enc, char *err,
                       size_t errsz, int *rc) {
  rh_csv_reader_t *r = rh_csv_open(path, RH_ENC_AUTO, err, errsz);
  *rc = 0;
  if (!r) {
    *rc = -2;
    return 0;
  }
  if (enc) *enc = rh_csv_encoding(r);
  const rh_csv_row_t *row;
  size_t n = 0;
  int got;
  while ((got = rh_csv_next(r, &row, err, errsz)) == 1) {
    if (n > 0 && want_fields && row->nfields != want_fields)
      fail_msg("%s: line %lu has %zu fields, want %zu", path, row->line, row->nfields, want_fields);
    n++;
  }
  *rc = got;
  rh_csv_close(r);
  return n;
}

static void test_csv_reader_agrees(void **state) {
  fixture_t *fx = *state;
  char path[1024], err[1024];
  int rc;
  rh_encoding_t enc;
  for (size_t d = 0; d < fx->cfg->department_count; d++) {
    const rh_config_department_t *dep = &fx->cfg->departments[d];
    for (size_t i = 0; i < dep->feed_count; i++) {
      const rh_config_feed_t *feed = &dep->feeds[i];
      size_t nh = feed->fact_count;
      for (int c = 0; c < RH_COL_COUNT; c++) nh += feed->columns[c] != NULL;
      snprintf(path, sizeof(path), "%s/%s/%s.%s.%s.csv", fx->dir_a, PERIOD, dep->code,
               feed->code, PERIOD);
      size_t n = csv_rows(path, nh, &enc, err, sizeof(err), &rc);
      if (rc != 0) fail_msg("%s: %s", path, err);
      assert_int_equal(enc, RH_ENC_UTF8);
      assert_true(rows_as_asked(feed, n - 1));
    }
  }
  const rh_config_feed_t *feed = gen_bad_feed(fx->cfg);
  size_t nh = feed->fact_count;
  for (int c = 0; c < RH_COL_COUNT; c++) nh += feed->columns[c] != NULL;
  const char *valid[] = {"bom.csv", "gbk.csv", "blank-trailing.csv", "wrong-checksum.csv",
                         "excel-mangled.csv", "bad-values.csv", "wrong-header.csv"};
  for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
    snprintf(path, sizeof(path), "%s/bad/%s", fx->dir_a, valid[i]);
    size_t n = csv_rows(path, nh, &enc, err, sizeof(err), &rc);
    if (rc != 0) fail_msg("%s: %s", path, err);
    assert_int_equal(n, 21);
    assert_int_equal(enc, strcmp(valid[i], "gbk.csv") == 0 ? RH_ENC_GB18030 : RH_ENC_UTF8);
  }
  snprintf(path, sizeof(path), "%s/bad/broken-quotes.csv", fx->dir_a);
  size_t n = csv_rows(path, nh, NULL, err, sizeof(err), &rc);
  assert_int_equal(rc, -1);
  assert_int_equal(n, 5); /* lines 1-5 delivered */
  assert_non_null(strstr(err, "line 6"));
  snprintf(path, sizeof(path), "%s/bad/ragged.csv", fx->dir_a);
  n = csv_rows(path, 0, NULL, err, sizeof(err), &rc);
  assert_int_equal(rc, 0);
  assert_int_equal(n, 21);
  const char *refused[] = {"utf16.csv", "fake.xlsx"};
  for (size_t i = 0; i < 2; i++) {
    snprintf(path, sizeof(path), "%s/bad/%s", fx->dir_a, refused[i]);
    csv_rows(path, 0, NULL, err, sizeof(err), &rc);
    assert_int_equal(rc, -2);
  }
}

/* --feed writes just that list, identical to the full run's. */
static void test_single_feed(void **state) {
  fixture_t *fx = *state;
  char dir[64] = "/tmp/rh-gen-d-XXXXXX", err[1024];
  assert_non_null(mkdtemp(dir));
  const char *feeds[] = {"medical-insurance/high-self-pay"};
  assert_int_equal(run_gen(fx->cfg, dir, 7, feeds, 1, err, sizeof(err)), RH_EXIT_OK);
  const char *rel = PERIOD "/medical-insurance.high-self-pay." PERIOD ".csv";
  size_t la, lb;
  char *a = read_rel(fx->dir_a, rel, &la), *b = read_rel(dir, rel, &lb);
  assert_int_equal(la, lb);
  assert_memory_equal(a, b, la);
  free(a);
  free(b);
  char sub[128];
  snprintf(sub, sizeof(sub), "%s/%s", dir, PERIOD);
  assert_int_equal(count_dir(sub), 2); /* the feed and the bench file */
  assert_int_equal(count_dir(dir), 1); /* no registry, no bad */
  rm_rf(dir);
}

static void test_errors(void **state) {
  fixture_t *fx = *state;
  char err[1024], dir[128], path[256];
  gen_opts_t o;
  gen_opts_init(&o);
  o.cfg = fx->cfg;
  o.households = 20;
  snprintf(dir, sizeof(dir), "/tmp/rh-gen-e-XXXXXX");
  assert_non_null(mkdtemp(dir));

  o.out_dir = dir;
  o.period = "2026-13";
  assert_int_equal(gen_run(&o, NULL, err, sizeof(err)), RH_EXIT_USAGE);
  assert_non_null(strstr(err, "2026-13"));
  o.period = "202610";
  assert_int_equal(gen_run(&o, NULL, err, sizeof(err)), RH_EXIT_USAGE);

  o.period = PERIOD;
  const char *feeds[] = {"health/no-such-feed"};
  o.feeds = feeds;
  o.feed_count = 1;
  assert_int_equal(gen_run(&o, NULL, err, sizeof(err)), RH_EXIT_USAGE);
  assert_non_null(strstr(err, "health/no-such-feed"));
  o.feed_count = 0;

  o.households = 100000000;
  assert_int_equal(gen_run(&o, NULL, err, sizeof(err)), RH_EXIT_USAGE);
  o.households = 20;

  /* a file where a directory should be: I/O error naming the path (works as root too) */
  snprintf(path, sizeof(path), "%s/file", dir);
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  fclose(fp);
  snprintf(path, sizeof(path), "%s/file/out", dir);
  o.out_dir = path;
  assert_int_equal(gen_run(&o, NULL, err, sizeof(err)), RH_EXIT_IOERR);
  assert_non_null(strstr(err, "/file"));

  /* a registry dir that is a file */
  snprintf(path, sizeof(path), "%s/out2", dir);
  mkdir(path, 0777);
  snprintf(path, sizeof(path), "%s/out2/registry", dir);
  fp = fopen(path, "w");
  fclose(fp);
  snprintf(path, sizeof(path), "%s/out2", dir);
  o.out_dir = path;
  assert_int_equal(gen_run(&o, NULL, err, sizeof(err)), RH_EXIT_IOERR);
  assert_non_null(strstr(err, "out2/registry"));

  /* --rows-per-feed 0: headers only */
  snprintf(path, sizeof(path), "%s/out3", dir);
  o.out_dir = path;
  o.rows_per_feed = 0;
  gen_summary_t s;
  assert_int_equal(gen_run(&o, &s, err, sizeof(err)), RH_EXIT_OK);
  assert_int_equal(s.feeds.rows, 0);
  assert_true(s.feeds.files >= 20);
  assert_int_equal(s.registry.files, 3);
  assert_int_equal(s.households, 20);
  rm_rf(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_deterministic), cmocka_unit_test(test_registry),
      cmocka_unit_test(test_feed_files),    cmocka_unit_test(test_feed_rows),
      cmocka_unit_test(test_bad_files),     cmocka_unit_test(test_csv_reader_agrees),
      cmocka_unit_test(test_single_feed),
      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
