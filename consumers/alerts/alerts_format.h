/*
 * alerts_format: what riskhub-alerts writes (docs/alerts.md, "Output").
 *
 * - table: for a person (a township official): per township, per household
 *   (village, household number, head, household type), each warning with
 *   severity, situation, risk, department and feed by name, period, the
 *   person concerned, amount in yuan, date, the department's facts, reason;
 *   unmatched persons last. Labels in Chinese (the county's officials read
 *   it); codes translated where the domain fixes them, else shown as they are.
 * - jsonl: one JSON object a line per alert: every field of Alert.avsc in its
 *   order (null for an absent optional field), amounts as amount_fen (integer)
 *   and amount_yuan (string "12345.67"), event_date "YYYY-MM-DD", created_at
 *   "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC), facts an object, source an object.
 * - csv: RFC 4180 (CRLF, quotes doubled), UTF-8 with a byte order mark so that
 *   Excel opens it as UTF-8; a header row, then the same fields as jsonl
 *   (source flattened to source_topic ... source_batch_id; facts as a JSON
 *   object text; null as an empty cell).
 *
 * State (docs/alerts.md, "State and overdue"): every format ends each warning
 * with its state in the warnings ledger, its visit_due and the days it is
 * overdue (jsonl keys state, visit_due, overdue_days after created_at; csv
 * columns of the same names before the township's outcome columns; a line
 * 状态 in the table). Null / empty / no line when the states were not looked
 * up (states NULL or not loaded) or the ledger does not hold the warning.
 *
 * Masking (unless unmasked): person_id_number through rh_id_mask, and the
 * free-text fields (village, person_name, relation_to_head, reason, fact
 * values) through alerts_mask_text. Identifiers (alert ids, batch ids,
 * household numbers, topics) are never changed.
 *
 * Functions write to `out` and return 0, or -1 when a write failed (errno as
 * the stream left it; nothing is logged).
 */
#ifndef ALERTS_FORMAT_H
#define ALERTS_FORMAT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "alerts_heads.h"
#include "alerts_states.h"
#include "alerts_store.h"
#include "rh_config.h"
#include "rh_idnum.h"

typedef enum { ALERTS_FMT_TABLE = 0, ALERTS_FMT_JSONL, ALERTS_FMT_CSV } alerts_format_t;

typedef struct {
  alerts_format_t format;
  bool unmasked;               /* full ID numbers (the export was recorded) */
  bool bom;                    /* csv: start with the UTF-8 BOM */
  const rh_config_t *cfg;      /* names of townships, departments, feeds, facts; may be NULL */
  const alerts_heads_t *heads; /* table: heads from the registry; may be NULL */
  const alerts_states_t *states; /* the warnings' states in the ledger; may be NULL */
} alerts_fmt_t;

/* "table", "jsonl", "csv" -> 0 and *out; -1 otherwise. */
int alerts_format_parse(const char *s, alerts_format_t *out);
const char *alerts_format_name(alerts_format_t f);

/* Once, before the first batch: csv writes the BOM (if bom) and the header. */
int alerts_format_begin(FILE *out, const alerts_fmt_t *f);

/* One batch. The table expects items in alerts_store_sort order (it groups
 * consecutive items); jsonl and csv write them in the order given. */
int alerts_format_batch(FILE *out, const alerts_fmt_t *f, const alerts_item_t *items, size_t n);

/* The table's line for a run that found nothing new (jsonl and csv write
 * nothing). */
int alerts_format_nothing(FILE *out, const alerts_fmt_t *f);

/* The output of a stream written one entry a record (--scale, --identity;
 * alerts_stream.h): once before the first record (csv: the BOM and header),
 * one record (the kind's decoded record), the table's line for a run that
 * found nothing new. Each returns 0, or -1 when a write failed. */
typedef struct {
  int (*begin)(FILE *out, const alerts_fmt_t *f);
  int (*one)(FILE *out, const alerts_fmt_t *f, const void *rec);
  int (*nothing)(FILE *out, const alerts_fmt_t *f);
} alerts_record_format_t;

/* What each output's begin and nothing come to: csv writes the BOM (if
 * f->bom) and the header row of columns (NULL-terminated), the other formats
 * nothing; the table writes line and a newline, the other formats nothing. */
int alerts_format_csv_begin(FILE *out, const alerts_fmt_t *f, const char *const *columns);
int alerts_format_table_line(FILE *out, const alerts_fmt_t *f, const char *line);

/* fen -> "12345.67" / "-0.05" into buf (at least 24 bytes). Returns buf. With
 * grouping, thousands are separated by commas ("12,345.67"). */
char *alerts_yuan(int64_t fen, bool grouping, char *buf, size_t size);

/* UTC milliseconds -> "2026-10-12T08:15:30.123Z" (buf at least 32 bytes). */
char *alerts_iso_ms(int64_t ms, char *buf, size_t size);

/* What every output of riskhub-alerts writes with (the warnings', --scale's,
 * --identity's): a JSON string (NULL: null), escaped; a key and its colon,
 * with the comma before every key but the first (*first: 1 before the first,
 * then 0); a CSV cell (RFC 4180, NULL: empty) with its comma likewise. */
void alerts_json_str(FILE *out, const char *s);
void alerts_json_key(FILE *out, const char *key, int *first);
void alerts_csv_cell(FILE *out, const char *s, int *first);

/* As shown unless f->unmasked (alerts_mask.h): a free-text field (names,
 * values) with the ID-like runs in it masked into buf, an ID number through
 * rh_id_mask into idbuf. NULL stays NULL. */
const char *alerts_shown(const alerts_fmt_t *f, const char *s, char *buf, size_t size);
const char *alerts_shown_id(const alerts_fmt_t *f, const char *id, char idbuf[RH_ID_BUFSZ]);

/* The township's name in f->cfg, or NULL (no config, an unknown code). */
const char *alerts_township_name(const alerts_fmt_t *f, const char *code);

/* Chinese labels for the domain's codes (a static string), or the code
 * itself when it is not one of them (NULL -> ""). */
const char *alerts_label_situation(const char *code);
const char *alerts_label_household_type(const char *code);
const char *alerts_label_category(const char *code);
const char *alerts_label_severity(const char *code);
const char *alerts_label_relation(const char *code);
const char *alerts_label_risk(const char *code);
const char *alerts_label_subtype(const char *code);

#endif
