/*
 * registry_row: one row of the household registry's CSV files (docs/data.md,
 * "The household registry") → a validated C struct, or every problem the row
 * has, reported as (line, column, reason) to a sink.
 *
 * Columns are found by header name (registry_map_header), in any order; extra
 * columns are ignored; a file without one of its columns is refused as a whole.
 * Values are trimmed (ASCII blanks and U+3000). What a row must satisfy:
 *
 * households.csv
 *   household_id        TTTTTTTTT-VVV-HHHH (digits), its township part equal to
 *                       township_code
 *   township_code       9 digits, one of the configuration's townships
 *   village             non-empty text (at most REGISTRY_MAX_TEXT bytes, no
 *                       control characters)
 *   household_type      poverty_alleviated | monitored | ordinary
 *   monitoring_category unstable | marginal | sudden_hardship for monitored
 *                       households; empty for the others
 *   identified_month    YYYY-MM; required for monitored households and when
 *                       risk_eliminated is true
 *   risk_eliminated     true | false
 *   eliminated_how      assisted | natural when risk_eliminated, else empty
 *   eliminated_month    YYYY-MM when risk_eliminated (not before
 *                       identified_month), else empty
 *   income_per_capita   yuan, at most 2 decimals, |value| < 10^10
 *   head_id_number      a valid ID number (GB 11643-1999)
 * members.csv
 *   household_id        as above (that the household exists is checked by the
 *                       import, across files)
 *   id_number           a valid ID number (uniqueness: the import)
 *   name                non-empty text, as village
 *   sex                 male | female, agreeing with the ID's sequence digit
 *   relation            head | spouse | child | parent | grandchild | sibling | other
 *   birth_date          a date (YYYY-MM-DD and the forms rh_parse_date takes),
 *                       equal to the ID's birth date
 *   health              healthy | chronic | major_illness | disabled
 *   disability_grade    1..4 for disabled, empty otherwise
 *   labour_ability      strong | weak | none
 *   schooling           none | primary | junior | senior | college | in_school
 *   migrant_months      integer 0..12
 *   medical_insurance   true | false
 * applications.csv
 *   period              YYYY-MM
 *   household_id        as above (existence and (period, household) uniqueness:
 *                       the import)
 *   applied_on          a date inside period
 * Every row must have as many fields as the header. Codes are exact (lower
 * case); true/false are case-insensitive.
 *
 * Reasons are for the clerk who made the file. They never contain a name, a
 * village or a full ID number: IDs appear masked (rh_id_mask), and a bad value
 * is quoted only when it is short printable ASCII (a mistyped code).
 *
 * registry_*_copy() format a valid row as one line of PostgreSQL's COPY text
 * format (tab-separated, \N for NULL, backslash escapes) in the column order
 * of REGISTRY_*_COLUMNS.
 *
 * Ownership: the parsed structs point into the CSV row they came from (name,
 * village): valid until the reader's next row. Nothing here allocates or logs;
 * all functions are thread-safe given distinct arguments.
 */
#ifndef REGISTRY_ROW_H
#define REGISTRY_ROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rh_config.h"
#include "rh_csv.h"
#include "rh_idnum.h"

#define REGISTRY_HHID_LEN 18 /* TTTTTTTTT-VVV-HHHH */
#define REGISTRY_HHID_BUFSZ 19
#define REGISTRY_MAX_TEXT 200u        /* bytes of a name or village */
#define REGISTRY_MAX_COLS 12
#define REGISTRY_COPY_LINE_MAX 2048u  /* a COPY line of any valid row fits */

typedef enum {
  REGISTRY_HOUSEHOLDS = 0,
  REGISTRY_MEMBERS,
  REGISTRY_APPLICATIONS,
  REGISTRY_FILE_COUNT
} registry_file_t;

/* "households.csv", "members.csv", "applications.csv"; the table names are
 * the same without ".csv" (registry_table_name). Static. */
const char *registry_file_name(registry_file_t f);
const char *registry_table_name(registry_file_t f);
/* The file's columns in order, comma-separated ("household_id,township_code,...")
 * — the CSV header riskhub-gen writes and the COPY column list. Static. */
const char *registry_columns(registry_file_t f);
/* Number of columns and the i-th column name. Static. */
size_t registry_column_count(registry_file_t f);
const char *registry_column(registry_file_t f, size_t i);

/* ---- code sets (index = the C enum value; names = the database values) ---- */

typedef enum { RH_HH_POVERTY_ALLEVIATED = 0, RH_HH_MONITORED, RH_HH_ORDINARY } registry_hh_type_t;
extern const char *const registry_hh_type_codes[3];
extern const char *const registry_category_codes[3]; /* unstable, marginal, sudden_hardship */
extern const char *const registry_elim_codes[2];     /* assisted, natural */
extern const char *const registry_relation_codes[7]; /* head first */
extern const char *const registry_health_codes[4];   /* disabled last */
extern const char *const registry_labour_codes[3];
extern const char *const registry_schooling_codes[6];
#define RH_REL_HEAD 0
#define RH_HEALTH_DISABLED 3

/* ---- header ---- */

typedef struct {
  registry_file_t file;
  int col[REGISTRY_MAX_COLS]; /* CSV field index of each of the file's columns */
  size_t nfields;           /* the header's field count */
} registry_map_t;

/* Find every column of `file` in the header. 0, or -1 with errstr naming the
 * missing column(s) and listing the header (header names are not personal). */
int registry_map_header(registry_map_t *m, registry_file_t file, const rh_csv_row_t *header,
                      char *errstr, size_t errstr_size);

/* ---- validation context and error sink ---- */

/* Called once for every problem: line (physical, header = 1), the column
 * concerned (static; NULL for the row as a whole) and the reason. */
typedef void (*registry_report_fn)(void *ud, registry_file_t file, unsigned long line,
                                 const char *column, const char *reason);

typedef struct {
  const rh_config_t *cfg; /* townships */
  int max_year;           /* latest birth year accepted (0: this year) */
  registry_report_fn report;
  void *report_ud;
} registry_ctx_t;

/* ---- rows ---- */

typedef struct {
  char household_id[REGISTRY_HHID_BUFSZ]; /* "" if the field itself is bad */
  char township_code[10];
  const char *village; /* into the row */
  size_t village_len;
  int type;             /* registry_hh_type_t */
  int category;         /* index into registry_category_codes, -1 none */
  int identified_month; /* year*12 + month-1, -1 none */
  bool eliminated;
  int how;              /* index into registry_elim_codes, -1 none */
  int eliminated_month; /* as identified_month */
  int64_t income_fen;
  char head_id[RH_ID_BUFSZ]; /* normalised; "" if the field itself is bad */
} registry_household_t;

typedef struct {
  char household_id[REGISTRY_HHID_BUFSZ]; /* "" if the field itself is bad */
  char id[RH_ID_BUFSZ];                 /* normalised; "" if the field itself is bad */
  const char *name; /* into the row */
  size_t name_len;
  bool male;
  int relation;  /* index into registry_relation_codes */
  int32_t birth; /* days since 1970-01-01 */
  int health;
  int grade;     /* 1..4, 0 none */
  int labour;
  int schooling;
  int migrant_months;
  bool insured;
} registry_member_t;

typedef struct {
  char period[8]; /* YYYY-MM */
  char household_id[REGISTRY_HHID_BUFSZ];
  int32_t applied_on; /* days since 1970-01-01 */
} registry_application_t;

/* Validate one data row. Returns the number of problems reported through
 * ctx->report (0: *out is valid). Even when the row has problems, the key
 * fields that are themselves valid are filled (household_id, id / head_id,
 * relation), so that cross-file checks go on without a cascade of errors. */
int registry_household_parse(const registry_ctx_t *ctx, const registry_map_t *m,
                           const rh_csv_row_t *row, registry_household_t *out);
int registry_member_parse(const registry_ctx_t *ctx, const registry_map_t *m, const rh_csv_row_t *row,
                        registry_member_t *out);
int registry_application_parse(const registry_ctx_t *ctx, const registry_map_t *m,
                             const rh_csv_row_t *row, registry_application_t *out);

/* A valid row as one COPY text line ending in '\n' into buf (at least
 * REGISTRY_COPY_LINE_MAX bytes). Returns its length. Cannot fail. */
size_t registry_household_copy(const registry_household_t *h, char *buf);
size_t registry_member_copy(const registry_member_t *mb, char *buf);
size_t registry_application_copy(const registry_application_t *a, char *buf);

/* COPY text escaping of s[0..len): backslash, tab, newline and carriage return
 * as \\, \t, \n, \r; other control characters (and DEL) as \ooo octal. out
 * must hold 4*len+1 bytes. Returns the length written (NUL-terminated). */
size_t registry_copy_escape(const char *s, size_t len, char *out);

/* "YYYY-MM" for a month index (year*12 + month-1) into out[8]. */
void registry_month_str(int month_index, char out[8]);

#endif
