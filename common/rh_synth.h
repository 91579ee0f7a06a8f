/*
 * rh_synth: synthetic people for tests, demos and benchmarks. Nothing here is
 * real: ID numbers are well-formed (valid address prefix, real birth date,
 * correct check character) but generated from a seed; names are drawn from
 * common surname and given-name characters.
 *
 * Deterministic: the same seed gives the same sequence on every machine.
 * No allocation; no failure.
 */
#ifndef RH_SYNTH_H
#define RH_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "rh_idnum.h"

typedef struct {
  uint64_t s;
} rh_rng_t;

void rh_rng_seed(rh_rng_t *r, uint64_t seed);
uint64_t rh_rng_next(rh_rng_t *r);
/* Uniform in [0, n); n > 0. */
uint32_t rh_rng_below(rh_rng_t *r, uint32_t n);

/* A valid ID number with the given 6-digit address code and birth year range
 * [year_lo, year_hi]; sex 1 = male, 0 = female, -1 = either. */
void rh_synth_id(rh_rng_t *r, const char *address6, int year_lo, int year_hi, int sex,
                 char out[RH_ID_BUFSZ]);

/* A Chinese name of 2 or 3 characters, UTF-8, NUL-terminated (out >= 16 bytes). */
void rh_synth_name(rh_rng_t *r, char *out, size_t out_size);

#endif
