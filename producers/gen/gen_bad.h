/*
 * gen_bad: the deliberately broken files of <out>/bad/ (gen_bad.c), each a
 * defect a department's file can have, listed in bad/MANIFEST.txt.
 */
#ifndef GEN_BAD_H
#define GEN_BAD_H

#include <stddef.h>
#include <stdint.h>

#include "gen_out.h"
#include "gen_registry.h"

/* Returns an RH_EXIT_* code. */
int gen_bad_write(const gen_registry_t *reg, uint64_t seed, const char *period,
                     const char *dir, gen_group_t *g, char *errstr, size_t errstr_size);

#endif
