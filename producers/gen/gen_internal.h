/*
 * gen internals, shared by gen.c (driver, output), gen_registry.c,
 * gen_feeds.c and gen_bad.c. Not for use outside gen*.c.
 */
#ifndef GEN_INTERNAL_H
#define GEN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rh_config.h"
#include "gen.h"
#include "rh_idnum.h"
#include "rh_synth.h"

/* snprintf into errstr (NULL or size 0: nothing). */
void gen_set_err(char *errstr, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- buffered CSV output ---- */

#define GEN_OUT_CAP (1u << 20)

typedef struct {
  FILE *fp;        /* NULL: memory mode (the buffer grows; nothing written) */
  char *buf;
  size_t len, cap;
  uint64_t bytes;  /* everything written or buffered */
  uint64_t rows;   /* data rows ended with gen_out_end_row(w, true) */
  int col;         /* fields so far in the current row */
  bool crlf;
  int err;         /* errno of the first failure, 0 if none */
  char path[4096]; /* final path */
  char tmp[4096];  /* "<dir>/.<name>.part" while writing */
} gen_out_t;

/* Open path for writing (through the .part file), or memory mode if path is
 * NULL. Writes a UTF-8 BOM first if bom. 0 ok; -1 with errstr naming the path. */
int gen_out_open(gen_out_t *w, const char *path, bool bom, bool crlf, char *errstr,
                    size_t errstr_size);
/* Flush, close and rename into place (file mode); frees the buffer. In memory
 * mode use gen_out_take() instead. 0 ok; -1 with errstr naming the path
 * (the .part file is removed). */
int gen_out_close(gen_out_t *w, char *errstr, size_t errstr_size);
/* Abandon: close, remove the .part file, free. */
void gen_out_abort(gen_out_t *w);
/* Memory mode: hand over the buffer (caller frees) and its length. */
char *gen_out_take(gen_out_t *w, size_t *len);

void gen_out_mem(gen_out_t *w, const void *p, size_t n);
void gen_out_str(gen_out_t *w, const char *s);
/* A field: a comma first unless it is the row's first; quoted (RFC 4180) if it
 * holds a comma, quote, CR or LF. */
void gen_out_field(gen_out_t *w, const char *s);
void gen_out_field_n(gen_out_t *w, const char *s, size_t n);
/* A field known to need no quoting (digits, codes). */
void gen_out_field_raw(gen_out_t *w, const char *s, size_t n);
void gen_out_field_uint(gen_out_t *w, uint64_t v);
/* fen as yuan with 2 decimals: 1234567 -> 12345.67 */
void gen_out_field_money(gen_out_t *w, uint64_t fen);
void gen_out_field_date(gen_out_t *w, int y, int m, int d);
/* Line end (CRLF or LF); counts a data row if data_row. */
void gen_out_end_row(gen_out_t *w, bool data_row);

/* Small formatting helpers (into a buffer, return the length). */
size_t gen_fmt_uint(char *out, uint64_t v);
size_t gen_fmt_money(char *out, uint64_t fen);
size_t gen_fmt_date(char *out, int y, int m, int d);

/* Write a whole file (through .part and rename). 0 ok, -1 with errstr. */
int gen_write_file(const char *path, const void *data, size_t len, char *errstr,
                      size_t errstr_size);

/* ---- randomness ---- */

/* A stream for a named purpose: seed mixed with FNV-1a of the name. */
void gen_rng_for(rh_rng_t *r, uint64_t seed, const char *name);
/* true with probability permille / 1000 */
static inline bool gen_chance(rh_rng_t *r, uint32_t permille) {
  return rh_rng_below(r, 1000) < permille;
}
/* Uniform integer in [lo, hi]. */
static inline int gen_between(rh_rng_t *r, int lo, int hi) {
  return lo + (int)rh_rng_below(r, (uint32_t)(hi - lo + 1));
}
int gen_days_in_month(int y, int m);

/* ---- the registry ---- */

enum { REL_HEAD, REL_SPOUSE, REL_CHILD, REL_PARENT, REL_GRANDCHILD, REL_SIBLING, REL_OTHER };
enum { HEALTH_HEALTHY, HEALTH_CHRONIC, HEALTH_MAJOR, HEALTH_DISABLED };
enum { LABOUR_STRONG, LABOUR_WEAK, LABOUR_NONE };
enum { SCHOOL_NONE, SCHOOL_PRIMARY, SCHOOL_JUNIOR, SCHOOL_SENIOR, SCHOOL_COLLEGE, SCHOOL_IN };
enum { HH_ORDINARY, HH_ALLEVIATED, HH_MONITORED };
enum { CAT_NONE, CAT_UNSTABLE, CAT_MARGINAL, CAT_SUDDEN };
enum { ELIM_NONE, ELIM_ASSISTED, ELIM_NATURAL };

extern const char *const gen_relation_codes[];
extern const char *const gen_relation_zh[]; /* 户主, 配偶, ... (sex-neutral) */
extern const char *const gen_health_codes[];
extern const char *const gen_labour_codes[];
extern const char *const gen_schooling_codes[];
extern const char *const gen_household_type_codes[];
extern const char *const gen_category_codes[];
extern const char *const gen_elim_codes[];

typedef struct {
  char id[RH_ID_BUFSZ];
  char name[13];
  uint32_t household;
  uint8_t relation, health, disability_grade, labour, schooling, migrant_months, insured, age;
} gen_person_t;

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
} gen_household_t;

typedef struct {
  char name[28];
} gen_village_t;

typedef struct {
  const rh_config_t *cfg;
  int year, month; /* the period */
  gen_household_t *hh;
  size_t hh_count;
  gen_person_t *p;
  size_t p_count, p_cap;
  uint32_t *set; /* open addressing: person index + 1, 0 empty */
  size_t set_mask;
  gen_village_t *villages; /* township_count * GEN_MAX_VILLAGES */
  uint8_t *village_count;     /* per township */
  uint32_t *applicants;       /* household indexes, ascending */
  size_t applicant_count;
} gen_registry_t;

/* Build the registry in memory. 0 ok; -1 (usage: too many households; or out
 * of memory, *oom set) with errstr. */
int gen_registry_build(gen_registry_t *reg, const rh_config_t *cfg, size_t households,
                          uint64_t seed, int year, int month, bool *oom, char *errstr,
                          size_t errstr_size);
void gen_registry_free(gen_registry_t *reg);
/* Is this 18-character ID a registry person? Index or -1. */
long gen_registry_find(const gen_registry_t *reg, const char *id);
/* household_id: "411024100-007-0123" into out (>= 24 bytes); returns length. */
size_t gen_household_id(const gen_registry_t *reg, const gen_household_t *h, char *out);
const char *gen_village_name(const gen_registry_t *reg, size_t township, size_t village);
/* Write the three registry files under dir. 0 ok, -1 with errstr. */
int gen_registry_write(const gen_registry_t *reg, const char *dir, const char *period,
                          gen_group_t *g, char *errstr, size_t errstr_size);

/* A valid ID not in the registry, born in [year_lo, year_hi]. */
void gen_outsider_id(const gen_registry_t *reg, rh_rng_t *r, int year_lo, int year_hi,
                        char out[RH_ID_BUFSZ]);

/* ---- feed rows ---- */

#define GEN_ROW_MAX_FIELDS 64
#define GEN_ROW_BUF 8192

/* One row of a feed, as field strings in header order. */
typedef struct {
  size_t n;
  size_t off[GEN_ROW_MAX_FIELDS];
  size_t len[GEN_ROW_MAX_FIELDS];
  size_t used;
  char buf[GEN_ROW_BUF];
} gen_row_t;

const char *gen_row_field(const gen_row_t *row, size_t i); /* NUL-terminated */
/* Append a field (truncated if the row buffer is full; ignored past the maximum). */
void gen_row_add_n(gen_row_t *row, const char *s, size_t n);

typedef struct gen_feedgen_s gen_feedgen_t;

/* A row generator for one feed (the header, the person selection, the value
 * generators of its columns and facts). NULL if out of memory. */
gen_feedgen_t *gen_feedgen_new(const gen_registry_t *reg, const rh_config_feed_t *f,
                                     size_t department_index, uint64_t seed,
                                     const char *stream_name, bool unique_persons);
void gen_feedgen_destroy(gen_feedgen_t *g);
/* Header fields in order: canonical columns (id_number, name, township,
 * village, event_date, amount, subtype: those the feed has), then facts. */
size_t gen_feedgen_header(const gen_feedgen_t *g, const char **out, size_t max);
/* The next row; person_index gets the registry person (-1 for an outsider). */
void gen_feedgen_row(gen_feedgen_t *g, gen_row_t *row, long *person_index);
/* The generator's random stream (for the bad files' own choices). */
rh_rng_t *gen_feedgen_rng(gen_feedgen_t *g);
/* Force the next rows to come from the registry (no outsiders, no empty
 * optional fields): for the bad files, whose defects are placed by hand. */
void gen_feedgen_set_plain(gen_feedgen_t *g, bool plain);

/* Write one feed file. 0 ok, -1 with errstr (*oom set if out of memory). */
int gen_feed_write(const gen_registry_t *reg, const rh_config_feed_t *f,
                      size_t department_index, uint64_t seed, const char *period,
                      const char *path, size_t rows, bool bench, gen_group_t *g, bool *oom,
                      char *errstr, size_t errstr_size);

/* ---- bad files ---- */

/* Returns an RH_EXIT_* code. */
int gen_bad_write(const gen_registry_t *reg, uint64_t seed, const char *period,
                     const char *dir, gen_group_t *g, char *errstr, size_t errstr_size);

#endif
