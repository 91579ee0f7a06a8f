/*
 * rh_idnum: Chinese resident ID numbers (GB 11643-1999).
 *
 * 18 characters: 6-digit address code, 8-digit birth date YYYYMMDD (a real date,
 * not in the future of the reference year), 3-digit sequence (odd = male), and a
 * check character over the first 17 digits (weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8
 * 4 2, r = sum mod 11, check = "10X98765432"[r]).
 *
 * Input as departments really send it: surrounding blanks and a leading
 * apostrophe (Excel's "text" marker) are ignored, a lower-case x is normalised
 * to X. Numbers that Excel mangled (scientific notation such as 4.11024E+17, or
 * an 18-digit number whose last digits were zeroed because Excel keeps 15
 * significant digits) are recognised and reported as such.
 *
 * All functions are pure, thread-safe, allocate nothing and cannot fail beyond
 * the status they return. No function here prints or logs the number.
 */
#ifndef RH_IDNUM_H
#define RH_IDNUM_H

#include <stddef.h>

#define RH_ID_LEN 18
#define RH_ID_BUFSZ 19 /* 18 characters and a NUL */

typedef enum {
  RH_ID_OK = 0,
  RH_ID_EMPTY,           /* nothing but blanks */
  RH_ID_EXCEL_SCIENTIFIC,/* e.g. 4.11024E+17: the cell was a number in Excel */
  RH_ID_EXCEL_ZEROED,    /* 18 digits ending in 000 that fail the check: Excel cut precision */
  RH_ID_BAD_LENGTH,      /* not 18 characters */
  RH_ID_BAD_CHAR,        /* a character other than digits (and X last) */
  RH_ID_BAD_ADDRESS,     /* address code does not start with a province code 11..91 */
  RH_ID_BAD_DATE,        /* birth date is not a real date, or before 1900, or in the future */
  RH_ID_BAD_CHECKSUM     /* check character does not match */
} rh_id_status_t;

/* Validate `in` (len bytes; not necessarily NUL-terminated). On RH_ID_OK the
 * normalised 18-character ID is written to out (RH_ID_BUFSZ bytes). On any other
 * status out holds an empty string. `max_year` bounds the birth year (pass 0 for
 * the current year). */
rh_id_status_t rh_id_validate(const char *in, size_t len, int max_year,
                              char out[RH_ID_BUFSZ]);

/* A short English text for a status, e.g. "wrong check character". Static. */
const char *rh_id_status_str(rh_id_status_t st);

/* The check character for 17 digits; '\0' if any is not a digit. */
char rh_id_check_char(const char *first17);

/* Mask for display: first 6 and last 4 kept, 8 stars between
 * ("411024********0016"). Input that is not 18 characters is masked whole
 * except its first 2 characters, so an invalid ID never shows whole either.
 * out must hold RH_ID_BUFSZ bytes; input longer than 18 gives 18 characters. */
void rh_id_mask(const char *id, char out[RH_ID_BUFSZ]);

/* From a VALID normalised ID: birth date and sex. */
void rh_id_birth_date(const char id[RH_ID_BUFSZ], int *year, int *month, int *day);
int rh_id_is_male(const char id[RH_ID_BUFSZ]);

#endif
