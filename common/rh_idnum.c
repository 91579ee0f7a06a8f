#include "rh_idnum.h"

#include "rh_i18n.h"

#include <ctype.h>
#include <string.h>
#include <time.h>

static const int weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
static const char check_chars[] = "10X98765432";

char rh_id_check_char(const char *first17) {
  int sum = 0;
  for (int i = 0; i < 17; i++) {
    if (!isdigit((unsigned char)first17[i])) return '\0';
    sum += (first17[i] - '0') * weights[i];
  }
  return check_chars[sum % 11];
}

static int is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int y, int m) {
  static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

static int digits_value(const char *s, int n) {
  int v = 0;
  for (int i = 0; i < n; i++) v = v * 10 + (s[i] - '0');
  return v;
}

/* "4.11024E+17", "4.11024e17", "411024E12": Excel's rendering of a big number. */
static int looks_scientific(const char *s, size_t n) {
  size_t i = 0, digits = 0;
  int dot = 0;
  while (i < n && (isdigit((unsigned char)s[i]) || (s[i] == '.' && !dot))) {
    if (s[i] == '.') dot = 1; else digits++;
    i++;
  }
  if (digits == 0 || i >= n || (s[i] != 'E' && s[i] != 'e')) return 0;
  i++;
  if (i < n && s[i] == '+') i++;
  size_t exp_start = i;
  while (i < n && isdigit((unsigned char)s[i])) i++;
  return i == n && i > exp_start;
}

rh_id_status_t rh_id_validate(const char *in, size_t len, int max_year, char out[RH_ID_BUFSZ]) {
  out[0] = '\0';
  /* trim ASCII blanks; a leading apostrophe is Excel's text marker */
  while (len > 0 && (isspace((unsigned char)*in))) in++, len--;
  while (len > 0 && isspace((unsigned char)in[len - 1])) len--;
  if (len > 0 && *in == '\'') in++, len--;
  if (len == 0) return RH_ID_EMPTY;
  if (looks_scientific(in, len)) return RH_ID_EXCEL_SCIENTIFIC;
  if (len != RH_ID_LEN) {
    for (size_t i = 0; i < len; i++)
      if (!isdigit((unsigned char)in[i]) && !(i == len - 1 && (in[i] == 'x' || in[i] == 'X')))
        return RH_ID_BAD_CHAR;
    return RH_ID_BAD_LENGTH;
  }
  char id[RH_ID_BUFSZ];
  for (size_t i = 0; i < RH_ID_LEN; i++) {
    char c = in[i];
    if (i == RH_ID_LEN - 1 && (c == 'x' || c == 'X')) c = 'X';
    else if (!isdigit((unsigned char)c)) return RH_ID_BAD_CHAR;
    id[i] = c;
  }
  id[RH_ID_LEN] = '\0';

  char expect = rh_id_check_char(id);
  if (expect != id[17] && memcmp(id + 15, "000", 3) == 0) return RH_ID_EXCEL_ZEROED;

  int province = digits_value(id, 2);
  if (province < 11 || province > 91) return RH_ID_BAD_ADDRESS;

  if (max_year <= 0) {
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    max_year = tm.tm_year + 1900;
  }
  int y = digits_value(id + 6, 4), m = digits_value(id + 10, 2), d = digits_value(id + 12, 2);
  if (y < 1900 || y > max_year || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
    return RH_ID_BAD_DATE;

  if (expect != id[17]) return RH_ID_BAD_CHECKSUM;
  memcpy(out, id, RH_ID_BUFSZ);
  return RH_ID_OK;
}

const char *rh_id_status_str(rh_id_status_t st) {
  switch (st) {
  case RH_ID_OK: return N_("valid");
  case RH_ID_EMPTY: return N_("ID number is empty");
  case RH_ID_EXCEL_SCIENTIFIC:
    return N_("ID number was turned into a number by Excel (scientific notation such as 4.11024E+17); "
           "format the column as text and export again");
  case RH_ID_EXCEL_ZEROED:
    return N_("ID number ends in 000 and fails its check: Excel kept only 15 digits; "
           "format the column as text and export again");
  case RH_ID_BAD_LENGTH: return N_("ID number must have 18 characters");
  case RH_ID_BAD_CHAR: return N_("ID number has a character other than digits and a final X");
  case RH_ID_BAD_ADDRESS: return N_("ID number's address code is not a province code (11-91)");
  case RH_ID_BAD_DATE: return N_("ID number's birth date is not a real date");
  case RH_ID_BAD_CHECKSUM: return N_("ID number's check character is wrong");
  }
  return N_("unknown ID number status");
}

void rh_id_mask(const char *id, char out[RH_ID_BUFSZ]) {
  size_t n = id ? strlen(id) : 0;
  if (n > RH_ID_LEN) n = RH_ID_LEN;
  if (n == RH_ID_LEN) {
    memcpy(out, id, 6);
    memset(out + 6, '*', 8);
    memcpy(out + 14, id + 14, 4);
  } else {
    for (size_t i = 0; i < n; i++) out[i] = i < 2 ? id[i] : '*';
  }
  out[n] = '\0';
}

void rh_id_birth_date(const char id[RH_ID_BUFSZ], int *year, int *month, int *day) {
  *year = digits_value(id + 6, 4);
  *month = digits_value(id + 10, 2);
  *day = digits_value(id + 12, 2);
}

int rh_id_is_male(const char id[RH_ID_BUFSZ]) { return (id[16] - '0') % 2 == 1; }
