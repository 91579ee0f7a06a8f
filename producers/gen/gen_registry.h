/*
 * gen_registry: the synthetic registry in memory (gen_registry.c): villages,
 * households and their members, who applied to be monitored; written as the
 * registry's three CSV files. The registry is read-only once built and may be
 * shared by threads; gen_registry_free releases it.
 */
#ifndef GEN_REGISTRY_H
#define GEN_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gen_out.h"
#include "rh_config.h"
#include "rh_idnum.h"
#include "rh_synth.h"

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

#endif
