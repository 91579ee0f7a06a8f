/*
 * gen_feeds: a department's monthly list (gen_feeds.c): a row generator per
 * feed (header, who is on the list, the values of its columns and facts) and
 * the file written from it. A gen_feedgen_t is one thread's.
 */
#ifndef GEN_FEEDS_H
#define GEN_FEEDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gen_out.h"
#include "gen_registry.h"
#include "rh_config.h"

/* Rows a feed gets by default: its usual monthly count for a county of
 * GEN_DEFAULT_HOUSEHOLDS households, scaled to `households`, at least 10. */
size_t gen_feed_default_rows(const rh_config_feed_t *f, size_t households);

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

#endif
