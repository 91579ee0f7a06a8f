#include "rh_synth.h"

#include <stdio.h>
#include <string.h>

void rh_rng_seed(rh_rng_t *r, uint64_t seed) { r->s = seed ^ 0x9e3779b97f4a7c15ULL; }

/* splitmix64 */
uint64_t rh_rng_next(rh_rng_t *r) {
  uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint32_t rh_rng_below(rh_rng_t *r, uint32_t n) { return (uint32_t)(rh_rng_next(r) % n); }

static int days_in(int y, int m) {
  static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : dm[m - 1];
}

void rh_synth_id(rh_rng_t *r, const char *address6, int year_lo, int year_hi, int sex,
                 char out[RH_ID_BUFSZ]) {
  int y = year_lo + (int)rh_rng_below(r, (uint32_t)(year_hi - year_lo + 1));
  int m = 1 + (int)rh_rng_below(r, 12);
  int d = 1 + (int)rh_rng_below(r, (uint32_t)days_in(y, m));
  int seq = (int)rh_rng_below(r, 500) * 2; /* even */
  if (sex == 1 || (sex < 0 && rh_rng_below(r, 2))) seq += 1;
  char buf[64]; /* room for any int, so the compiler sees no truncation */
  snprintf(buf, sizeof(buf), "%.6s%04d%02d%02d%03d", address6, y, m, d, seq);
  memcpy(out, buf, 17);
  out[17] = rh_id_check_char(out);
  out[18] = '\0';
}

static const char *const surnames[] = {"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周",
                                       "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭",
                                       "马", "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯",
                                       "于", "董", "萧", "程", "曹", "袁", "邓", "许", "傅"};
static const char *const given[] = {"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军",
                                    "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀",
                                    "霞", "平", "刚", "桂", "英", "华", "玉", "兰", "春",
                                    "建", "国", "志", "红", "文", "德", "福", "海", "燕"};

void rh_synth_name(rh_rng_t *r, char *out, size_t out_size) {
  const size_t ns = sizeof(surnames) / sizeof(surnames[0]);
  const size_t ng = sizeof(given) / sizeof(given[0]);
  const char *a = surnames[rh_rng_below(r, (uint32_t)ns)];
  const char *b = given[rh_rng_below(r, (uint32_t)ng)];
  if (rh_rng_below(r, 3) == 0)
    snprintf(out, out_size, "%s%s", a, b);
  else
    snprintf(out, out_size, "%s%s%s", a, b, given[rh_rng_below(r, (uint32_t)ng)]);
}
