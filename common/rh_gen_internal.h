/*
 * rh_gen internals, shared by rh_gen.c (driver, output), rh_gen_registry.c,
 * rh_gen_feeds.c and rh_gen_bad.c. Not for use outside rh_gen*.c.
 */
#ifndef RH_GEN_INTERNAL_H
#define RH_GEN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rh_config.h"
#include "rh_gen.h"
#include "rh_idnum.h"
#include "rh_synth.h"

/* snprintf into errstr (NULL or size 0: nothing). */
void rh_gen_set_err(char *errstr, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- buffered CSV output ---- */

#define RH_GEN_OUT_CAP (1u << 20)

typedef struct {
  FILE *fp;        /* NULL: memory mode (the buffer grows; nothing written) */
  char *buf;
  size_t len, cap;
  uint64_t bytes;  /* everything written or buffered */
  uint64_t rows;   /* data rows ended with rh_gen_out_end_row(w, true) */
  int col;         /* fields so far in the current row */
  bool crlf;
  int err;         /* errno of the first failure, 0 if none */
  char path[4096]; /* final path */
  char tmp[4096];  /* "<dir>/.<name>.part" while writing */
} rh_gen_out_t;

/* Open path for writing (through the .part file), or memory mode if path is
 * NULL. Writes a UTF-8 BOM first if bom. 0 ok; -1 with errstr naming the path. */
int rh_gen_out_open(rh_gen_out_t *w, const char *path, bool bom, bool crlf, char *errstr,
                    size_t errstr_size);
/* Flush, close and rename into place (file mode); frees the buffer. In memory
 * mode use rh_gen_out_take() instead. 0 ok; -1 with errstr naming the path
 * (the .part file is removed). */
int rh_gen_out_close(rh_gen_out_t *w, char *errstr, size_t errstr_size);
/* Abandon: close, remove the .part file, free. */
void rh_gen_out_abort(rh_gen_out_t *w);
/* Memory mode: hand over the buffer (caller frees) and its length. */
char *rh_gen_out_take(rh_gen_out_t *w, size_t *len);

void rh_gen_out_mem(rh_gen_out_t *w, const void *p, size_t n);
void rh_gen_out_str(rh_gen_out_t *w, const char *s);
/* A field: a comma first unless it is the row's first; quoted (RFC 4180) if it
 * holds a comma, quote, CR or LF. */
void rh_gen_out_field(rh_gen_out_t *w, const char *s);
void rh_gen_out_field_n(rh_gen_out_t *w, const char *s, size_t n);
/* A field known to need no quoting (digits, codes). */
void rh_gen_out_field_raw(rh_gen_out_t *w, const char *s, size_t n);
void rh_gen_out_field_uint(rh_gen_out_t *w, uint64_t v);
/* fen as yuan with 2 decimals: 1234567 -> 12345.67 */
void rh_gen_out_field_money(rh_gen_out_t *w, uint64_t fen);
void rh_gen_out_field_date(rh_gen_out_t *w, int y, int m, int d);
/* Line end (CRLF or LF); counts a data row if data_row. */
void rh_gen_out_end_row(rh_gen_out_t *w, bool data_row);

/* Small formatting helpers (into a buffer, return the length). */
size_t rh_gen_fmt_uint(char *out, uint64_t v);
size_t rh_gen_fmt_money(char *out, uint64_t fen);
size_t rh_gen_fmt_date(char *out, int y, int m, int d);

/* Write a whole file (through .part and rename). 0 ok, -1 with errstr. */
int rh_gen_write_file(const char *path, const void *data, size_t len, char *errstr,
                      size_t errstr_size);

/* ---- randomness ---- */

/* A stream for a named purpose: seed mixed with FNV-1a of the name. */
void rh_gen_rng_for(rh_rng_t *r, uint64_t seed, const char *name);
/* true with probability permille / 1000 */
static inline bool rh_gen_chance(rh_rng_t *r, uint32_t permille) {
  return rh_rng_below(r, 1000) < permille;
}
/* Uniform integer in [lo, hi]. */
static inline int rh_gen_between(rh_rng_t *r, int lo, int hi) {
  return lo + (int)rh_rng_below(r, (uint32_t)(hi - lo + 1));
}
int rh_gen_days_in_month(int y, int m);

/* ---- the registry ---- */

enum { REL_HEAD, REL_SPOUSE, REL_CHILD, REL_PARENT, REL_GRANDCHILD, REL_SIBLING, REL_OTHER };
enum { HEALTH_HEALTHY, HEALTH_CHRONIC, HEALTH_MAJOR, HEALTH_DISABLED };
enum { LABOUR_STRONG, LABOUR_WEAK, LABOUR_NONE };
enum { SCHOOL_NONE, SCHOOL_PRIMARY, SCHOOL_JUNIOR, SCHOOL_SENIOR, SCHOOL_COLLEGE, SCHOOL_IN };
enum { HH_ORDINARY, HH_ALLEVIATED, HH_MONITORED };
enum { CAT_NONE, CAT_UNSTABLE, CAT_MARGINAL, CAT_SUDDEN };
enum { ELIM_NONE, ELIM_ASSISTED, ELIM_NATURAL };

extern const char *const rh_gen_relation_codes[];
extern const char *const rh_gen_relation_zh[]; /* 户主, 配偶, ... (sex-neutral) */
extern const char *const rh_gen_health_codes[];
extern const char *const rh_gen_labour_codes[];
extern const char *const rh_gen_schooling_codes[];
extern const char *const rh_gen_household_type_codes[];
extern const char *const rh_gen_category_codes[];
extern const char *const rh_gen_elim_codes[];

typedef struct {
  char id[RH_ID_BUFSZ];
  char name[13];
  uint32_t household;
  uint8_t relation, health, disability_grade, labour, schooling, migrant_months, insured, age;
} rh_gen_person_t;

typedef struct {
  uint32_t first;      /* index of the head in persons; members follow */
  uint32_t income_fen; /* per capita, a year */
  uint16_t township;   /* index into cfg->townships */
  uint16_t number;     /* 1..9999 within the village */
  uint8_t village;     /* 0-based; printed 1-based */
  uint8_t size;
  uint8_t type, category, eliminated_how;
  uint8_t applied_day; /* 0: did not apply this period */
  int16_t identified;  /* months since 2000-01 (0 = 2000-01), -1 none */
  int16_t eliminated;  /* same, -1 none */
} rh_gen_household_t;

typedef struct {
  char name[28];
} rh_gen_village_t;

typedef struct {
  const rh_config_t *cfg;
  int year, month; /* the period */
  rh_gen_household_t *hh;
  size_t hh_count;
  rh_gen_person_t *p;
  size_t p_count, p_cap;
  uint32_t *set; /* open addressing: person index + 1, 0 empty */
  size_t set_mask;
  rh_gen_village_t *villages; /* township_count * RH_GEN_MAX_VILLAGES */
  uint8_t *village_count;     /* per township */
  uint32_t *applicants;       /* household indexes, ascending */
  size_t applicant_count;
} rh_gen_registry_t;

/* Build the registry in memory. 0 ok; -1 (usage: too many households; or out
 * of memory, *oom set) with errstr. */
int rh_gen_registry_build(rh_gen_registry_t *reg, const rh_config_t *cfg, size_t households,
                          uint64_t seed, int year, int month, bool *oom, char *errstr,
                          size_t errstr_size);
void rh_gen_registry_free(rh_gen_registry_t *reg);
/* Is this 18-character ID a registry person? Index or -1. */
long rh_gen_registry_find(const rh_gen_registry_t *reg, const char *id);
/* household_id: "411024100-007-0123" into out (>= 24 bytes); returns length. */
size_t rh_gen_household_id(const rh_gen_registry_t *reg, const rh_gen_household_t *h, char *out);
const char *rh_gen_village_name(const rh_gen_registry_t *reg, size_t township, size_t village);
/* Write the three registry files under dir. 0 ok, -1 with errstr. */
int rh_gen_registry_write(const rh_gen_registry_t *reg, const char *dir, const char *period,
                          rh_gen_group_t *g, char *errstr, size_t errstr_size);

/* A valid ID not in the registry, born in [year_lo, year_hi]. */
void rh_gen_outsider_id(const rh_gen_registry_t *reg, rh_rng_t *r, int year_lo, int year_hi,
                        char out[RH_ID_BUFSZ]);

/* ---- feed rows ---- */

#define RH_GEN_ROW_MAX_FIELDS 64
#define RH_GEN_ROW_BUF 8192

/* One row of a feed, as field strings in header order. */
typedef struct {
  size_t n;
  size_t off[RH_GEN_ROW_MAX_FIELDS];
  size_t len[RH_GEN_ROW_MAX_FIELDS];
  size_t used;
  char buf[RH_GEN_ROW_BUF];
} rh_gen_row_t;

const char *rh_gen_row_field(const rh_gen_row_t *row, size_t i); /* NUL-terminated */
/* Append a field (truncated if the row buffer is full; ignored past the maximum). */
void rh_gen_row_add_n(rh_gen_row_t *row, const char *s, size_t n);

typedef struct rh_gen_feedgen_s rh_gen_feedgen_t;

/* A row generator for one feed (the header, the person selection, the value
 * generators of its columns and facts). NULL if out of memory. */
rh_gen_feedgen_t *rh_gen_feedgen_new(const rh_gen_registry_t *reg, const rh_config_feed_t *f,
                                     size_t department_index, uint64_t seed,
                                     const char *stream_name, bool unique_persons);
void rh_gen_feedgen_destroy(rh_gen_feedgen_t *g);
/* Header fields in order: canonical columns (id_number, name, township,
 * village, event_date, amount, subtype: those the feed has), then facts. */
size_t rh_gen_feedgen_header(const rh_gen_feedgen_t *g, const char **out, size_t max);
/* The next row; person_index gets the registry person (-1 for an outsider). */
void rh_gen_feedgen_row(rh_gen_feedgen_t *g, rh_gen_row_t *row, long *person_index);
/* The generator's random stream (for the bad files' own choices). */
rh_rng_t *rh_gen_feedgen_rng(rh_gen_feedgen_t *g);
/* Force the next rows to come from the registry (no outsiders, no empty
 * optional fields): for the bad files, whose defects are placed by hand. */
void rh_gen_feedgen_set_plain(rh_gen_feedgen_t *g, bool plain);

/* Write one feed file. 0 ok, -1 with errstr (*oom set if out of memory). */
int rh_gen_feed_write(const rh_gen_registry_t *reg, const rh_config_feed_t *f,
                      size_t department_index, uint64_t seed, const char *period,
                      const char *path, size_t rows, bool bench, rh_gen_group_t *g, bool *oom,
                      char *errstr, size_t errstr_size);

/* ---- bad files ---- */

/* Returns an RH_EXIT_* code. */
int rh_gen_bad_write(const rh_gen_registry_t *reg, uint64_t seed, const char *period,
                     const char *dir, rh_gen_group_t *g, char *errstr, size_t errstr_size);

#endif
