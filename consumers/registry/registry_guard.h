/*
 * registry_guard: the import's shrink guard (docs/registry.md, "The shrink
 * guard"). A truncated export (half the file, one township missing) is valid
 * row by row and would delete everyone it leaves out; the guard measures, in
 * the import's transaction and before anything is changed, what the merge
 * would delete, and the import refuses when
 *   - more than max_delete_share of the households now in the database would
 *     be deleted (registry.max_delete_share, default 0.05), or
 *   - every household of a township, or of a village, would be deleted
 * — unless the operator says --allow-shrink. A database without households
 * (a first import) has nothing to lose: the guard never trips.
 *
 * A village is (township_code, village) as households.village names it; it
 * "loses everything" when each of its households is missing from the file
 * (renaming a village or moving a household deletes nothing and does not count).
 * Villages of a township that loses everything are not listed on their own.
 *
 * registry_guard_measure() reads the database (the staging tables
 * stage_households, stage_members, stage_applications of registry_import, in
 * the caller's transaction); the other functions are pure.
 *
 * Ownership: the caller owns the registry_guard_t; registry_guard_measure()
 * fills it (the places array and its village strings are the guard's) and
 * registry_guard_free() releases them, leaves it zeroed, and is safe on a
 * zeroed guard. Threads: one thread a guard; a PGconn is not shared.
 * Failure: registry_guard_measure() returns -1 with errstr filled (the
 * server's primary message and SQLSTATE, never a row); the others cannot fail
 * (messages are truncated to the buffer). No message holds an ID number or a
 * name: counts, township codes and names, village names only.
 */
#ifndef REGISTRY_GUARD_H
#define REGISTRY_GUARD_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rh_config.h"

typedef struct {
  char township[16]; /* 9-digit township code */
  char *village;     /* NULL: the whole township */
  uint64_t households;
} registry_guard_place_t;

typedef struct {
  uint64_t households_now; /* households in the database before the import */
  uint64_t households_deleted, members_deleted, applications_deleted;
  registry_guard_place_t *places; /* townships (village NULL) then villages; by code, name */
  size_t place_count, place_cap;
} registry_guard_t;

/* What registry_guard_judge() found: 0 (pass) or a combination of these. */
enum {
  REGISTRY_GUARD_SHARE = 1,  /* more than max_share of the households deleted */
  REGISTRY_GUARD_PLACES = 2  /* a township or a village loses every household */
};

/* Fill g (zeroed first) from the database: counts and the places that would
 * lose every household. 0, or -1 with errstr (g then holds what was read;
 * registry_guard_free it). */
int registry_guard_measure(PGconn *conn, registry_guard_t *g, char *errstr, size_t errstr_size);

/* 0 when the import may go ahead; else REGISTRY_GUARD_SHARE and/or
 * REGISTRY_GUARD_PLACES. households_now 0 is always 0. "More than": deleting
 * exactly max_share passes. */
int registry_guard_judge(const registry_guard_t *g, double max_share);

/* The deleted share of the households, 0..1 (0 when there were none). */
double registry_guard_share(const registry_guard_t *g);

/* "would delete 1000 of 2000 households (50.0 %, more than the 5.0 % allowed
 * by registry.max_delete_share), 3250 members and 4 applications" ("within the
 * 5.0 % allowed" when it is not more). */
void registry_guard_describe(const registry_guard_t *g, double max_share, char *buf, size_t size);

/* Place i: "every household of township 411024101 马栏镇 would be deleted (167
 * households)" or "every household of village 张庄村 of township 411024100
 * 安陵镇 would be deleted (9 households)"; the township's name from cfg when
 * cfg knows the code (cfg may be NULL). */
void registry_guard_place_line(const registry_guard_t *g, size_t i, const rh_config_t *cfg,
                               char *buf, size_t size);

void registry_guard_free(registry_guard_t *g);

#endif
