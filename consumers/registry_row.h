/*
 * registry_row: one row of the household registry's CSV files (docs/data.md,
 * "The household registry") → a validated C struct, or every problem the row
 * has, reported as (line, column, reason) to a sink.
 *
 * Columns are found by header name (rh_reg_map_header), in any order; extra
 * columns are ignored; a file without one of its columns is refused as a whole.
 * Values are trimmed (ASCII blanks and U+3000). What a row must satisfy:
 *
 * households.csv
 *   household_id        TTTTTTTTT-VVV-HHHH (digits), its township part equal to
 *                       township_code
 *   township_code       9 digits, one of the configuration's townships
 *   village             non-empty text (at most RH_REG_MAX_TEXT bytes, no
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
 * rh_reg_*_copy() format a valid row as one line of PostgreSQL's COPY text
 * format (tab-separated, \N for NULL, backslash escapes) in the column order
 * of RH_REG_*_COLUMNS.
 *
 * Ownership: the parsed structs point into the CSV row they came from (name,
 * village): valid until the reader's next row. Nothing here allocates or logs;
 * all functions are thread-safe given distinct arguments.
 */
#ifndef RH_REGISTRY_ROW_H
#define RH_REGISTRY_ROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rh_config.h"
#include "rh_csv.h"
#include "rh_idnum.h"

#define RH_REG_HHID_LEN 18 /* TTTTTTTTT-VVV-HHHH */
#define RH_REG_HHID_BUFSZ 19
#define RH_REG_MAX_TEXT 200u        /* bytes of a name or village */
#define RH_REG_MAX_COLS 12
#define RH_REG_COPY_LINE_MAX 2048u  /* a COPY line of any valid row fits */

typedef enum {
  RH_REG_HOUSEHOLDS = 0,
  RH_REG_MEMBERS,
  RH_REG_APPLICATIONS,
  RH_REG_FILE_COUNT
} rh_reg_file_t;

/* "households.csv", "members.csv", "applications.csv"; the table names are
 * the same without ".csv" (rh_reg_table_name). Static. */
const char *rh_reg_file_name(rh_reg_file_t f);
const char *rh_reg_table_name(rh_reg_file_t f);
/* The file's columns in order, comma-separated ("household_id,township_code,...")
 * — the CSV header riskhub-gen writes and the COPY column list. Static. */
const char *rh_reg_columns(rh_reg_file_t f);
/* Number of columns and the i-th column name. Static. */
size_t rh_reg_column_count(rh_reg_file_t f);
const char *rh_reg_column(rh_reg_file_t f, size_t i);

/* ---- code sets (index = the C enum value; names = the database values) ---- */

typedef enum { RH_HH_POVERTY_ALLEVIATED = 0, RH_HH_MONITORED, RH_HH_ORDINARY } rh_reg_hh_type_t;
extern const char *const rh_reg_hh_type_codes[3];
extern const char *const rh_reg_category_codes[3]; /* unstable, marginal, sudden_hardship */
extern const char *const rh_reg_elim_codes[2];     /* assisted, natural */
extern const char *const rh_reg_relation_codes[7]; /* head first */
extern const char *const rh_reg_health_codes[4];   /* disabled last */
extern const char *const rh_reg_labour_codes[3];
extern const char *const rh_reg_schooling_codes[6];
#define RH_REL_HEAD 0
#define RH_HEALTH_DISABLED 3

/* ---- header ---- */

typedef struct {
  rh_reg_file_t file;
  int col[RH_REG_MAX_COLS]; /* CSV field index of each of the file's columns */
  size_t nfields;           /* the header's field count */
} rh_reg_map_t;

/* Find every column of `file` in the header. 0, or -1 with errstr naming the
 * missing column(s) and listing the header (header names are not personal). */
int rh_reg_map_header(rh_reg_map_t *m, rh_reg_file_t file, const rh_csv_row_t *header,
                      char *errstr, size_t errstr_size);

/* ---- validation context and error sink ---- */

/* Called once for every problem: line (physical, header = 1), the column
 * concerned (static; NULL for the row as a whole) and the reason. */
typedef void (*rh_reg_report_fn)(void *ud, rh_reg_file_t file, unsigned long line,
                                 const char *column, const char *reason);

typedef struct {
  const rh_config_t *cfg; /* townships */
  int max_year;           /* latest birth year accepted (0: this year) */
  rh_reg_report_fn report;
  void *report_ud;
} rh_reg_ctx_t;

/* ---- rows ---- */

typedef struct {
  char household_id[RH_REG_HHID_BUFSZ]; /* "" if the field itself is bad */
  char township_code[10];
  const char *village; /* into the row */
  size_t village_len;
  int type;             /* rh_reg_hh_type_t */
  int category;         /* index into rh_reg_category_codes, -1 none */
  int identified_month; /* year*12 + month-1, -1 none */
  bool eliminated;
  int how;              /* index into rh_reg_elim_codes, -1 none */
  int eliminated_month; /* as identified_month */
  int64_t income_fen;
  char head_id[RH_ID_BUFSZ]; /* normalised; "" if the field itself is bad */
} rh_reg_household_t;

typedef struct {
  char household_id[RH_REG_HHID_BUFSZ]; /* "" if the field itself is bad */
  char id[RH_ID_BUFSZ];                 /* normalised; "" if the field itself is bad */
  const char *name; /* into the row */
  size_t name_len;
  bool male;
  int relation;  /* index into rh_reg_relation_codes */
  int32_t birth; /* days since 1970-01-01 */
  int health;
  int grade;     /* 1..4, 0 none */
  int labour;
  int schooling;
  int migrant_months;
  bool insured;
} rh_reg_member_t;

typedef struct {
  char period[8]; /* YYYY-MM */
  char household_id[RH_REG_HHID_BUFSZ];
  int32_t applied_on; /* days since 1970-01-01 */
} rh_reg_application_t;

/* Validate one data row. Returns the number of problems reported through
 * ctx->report (0: *out is valid). Even when the row has problems, the key
 * fields that are themselves valid are filled (household_id, id / head_id,
 * relation), so that cross-file checks go on without a cascade of errors. */
int rh_reg_household_parse(const rh_reg_ctx_t *ctx, const rh_reg_map_t *m,
                           const rh_csv_row_t *row, rh_reg_household_t *out);
int rh_reg_member_parse(const rh_reg_ctx_t *ctx, const rh_reg_map_t *m, const rh_csv_row_t *row,
                        rh_reg_member_t *out);
int rh_reg_application_parse(const rh_reg_ctx_t *ctx, const rh_reg_map_t *m,
                             const rh_csv_row_t *row, rh_reg_application_t *out);

/* A valid row as one COPY text line ending in '\n' into buf (at least
 * RH_REG_COPY_LINE_MAX bytes). Returns its length. Cannot fail. */
size_t rh_reg_household_copy(const rh_reg_household_t *h, char *buf);
size_t rh_reg_member_copy(const rh_reg_member_t *mb, char *buf);
size_t rh_reg_application_copy(const rh_reg_application_t *a, char *buf);

/* COPY text escaping of s[0..len): backslash, tab, newline and carriage return
 * as \\, \t, \n, \r; other control characters (and DEL) as \ooo octal. out
 * must hold 4*len+1 bytes. Returns the length written (NUL-terminated). */
size_t rh_reg_copy_escape(const char *s, size_t len, char *out);

/* "YYYY-MM" for a month index (year*12 + month-1) into out[8]. */
void rh_reg_month_str(int month_index, char out[8]);

#endif
