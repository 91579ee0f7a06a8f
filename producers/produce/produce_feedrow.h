/*
 * produce_feedrow: one CSV row of a department's list → a validated FeedRecord, or a
 * rejection that says what is wrong and where (column, reason; a masked ID).
 *
 * produce_feedrow_map_header() matches the feed's configured CSV headers (config
 * columns and facts) against the file's header row once; a file without a
 * configured required column, or without its ID column, is refused as a whole.
 * produce_feedrow_parse() then validates one row at a time:
 *   - field count equal to the header's (RAGGED_ROW)
 *   - required fields non-empty (MISSING_FIELD)
 *   - the ID number: GB 11643-1999, Excel-mangled forms named (ID_*)
 *   - township known to the config by code or name (UNKNOWN_TOWNSHIP)
 *   - date and amount parse (BAD_DATE, BAD_AMOUNT)
 *   - disaster sub-type known, in Chinese or as a code (BAD_SUBTYPE)
 * Values are trimmed (ASCII blanks and U+3000).
 *
 * Ownership: the map owns its arrays (produce_feedrow_map_free). The row struct owns
 * the normalised strings that out->rec points to; they stay valid until the
 * next produce_feedrow_parse on the same row struct or produce_feedrow_free. The caller
 * fills rec's batch fields (batch_id, period, produced_at) itself.
 * Nothing here logs; reasons never contain a full ID number or a name.
 */
#ifndef PRODUCE_FEEDROW_H
#define PRODUCE_FEEDROW_H

#include <stdbool.h>
#include <stddef.h>

#include "rh_config.h"
#include "rh_csv.h"
#include "rh_feedrecord.h"
#include "rh_idnum.h"

typedef struct {
  const rh_config_t *cfg;
  const rh_config_feed_t *feed;
  int col[RH_COL_COUNT]; /* CSV column index for each canonical field, or -1 */
  int *fact_col;         /* for each of feed->facts, the CSV column, or -1 */
  size_t nfields;        /* the header's field count */
  int max_year;          /* upper bound for birth years (the current year) */
  /* the month the list covers (produce_feedrow_map_period), as days since
   * 1970-01-01 (rh_parse_date): its first and last day; period_set false: none */
  bool period_set;
  int32_t period_first, period_last;
  char missing[512];     /* optional configured headers the file lacks ("" if none) */
} produce_feedrow_map_t;

/* 0, or -1 with errstr (e.g. "header has no column 身份证号 (id_number); the
 * header has: 序号, 姓名, ..."). */
int produce_feedrow_map_header(produce_feedrow_map_t *m, const rh_config_t *cfg,
                          const rh_config_feed_t *feed, const rh_csv_row_t *header,
                          char *errstr, size_t errstr_size);
void produce_feedrow_map_free(produce_feedrow_map_t *m);

/* The month the list covers: an event date after its last day is refused
 * (DATE_AFTER_PERIOD); one before its first day is kept and said
 * (produce_feedrow_t.before_period) (defect d). */
void produce_feedrow_map_period(produce_feedrow_map_t *m, int year, int month);

/* The longest value a cell riskhub reads may hold, in bytes (CELL_TOO_LONG
 * beyond it): far above any name, village or fact, far below the broker's
 * message.max.bytes (1 MB). */
#define PRODUCE_CELL_MAX 4096

typedef struct {
  const char *reason_code; /* static, e.g. "ID_BAD_CHECKSUM" */
  const char *column;      /* the CSV header concerned (from the config), or NULL */
  char reason[512];        /* words a clerk can act on (English, then Chinese); no ID, no name */
  char id_masked[RH_ID_BUFSZ]; /* "" if the row has no ID */
} produce_feedrow_reject_t;

typedef struct {
  rh_feedrecord_t rec;
  char id[RH_ID_BUFSZ];
  rh_fact_t *facts;
  size_t facts_cap;
  char *buf; /* normalised strings */
  size_t buf_cap, buf_len;
  bool before_period; /* accepted, but its event date is before the list's month */
} produce_feedrow_t;

void produce_feedrow_init(produce_feedrow_t *r);
void produce_feedrow_free(produce_feedrow_t *r);

/* 0: out->rec is valid (department, feed, kind, risk, row_number set; batch
 * fields left to the caller). 1: rejected, rej filled. -1: out of memory. */
int produce_feedrow_parse(const produce_feedrow_map_t *m, const rh_csv_row_t *row, produce_feedrow_t *out,
                     produce_feedrow_reject_t *rej);

/* The FeedRecord.kind string of a feed kind: SIGNAL, CHECK, IDENTITY. */
const char *produce_feedrow_kind(rh_feed_kind_t kind);

#endif
