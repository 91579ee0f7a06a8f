/* libFuzzer: the value parsers of a department's row, on any bytes: the ID
 * number validator (normalised output is 18 characters with a right check
 * character, masking keeps no more than it should), amounts in fen, dates,
 * periods. */
#include <stdint.h>
#include <string.h>

#include "rh_idnum.h"
#include "rh_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *s = (const char *)data;
  char id[RH_ID_BUFSZ];
  if (rh_id_validate(s, size, 0, id) == RH_ID_OK) {
    if (strlen(id) != 18 || rh_id_check_char(id) != id[17]) __builtin_trap();
    char masked[RH_ID_BUFSZ];
    rh_id_mask(id, masked);
    if (strcmp(masked, id) == 0) __builtin_trap(); /* a mask must hide something */
  } else if (id[0]) {
    __builtin_trap(); /* out is empty unless OK */
  }
  int64_t fen;
  if (rh_parse_amount_fen(s, size, &fen) == 0 && fen == INT64_MIN) __builtin_trap();
  int32_t days;
  if (rh_parse_date(s, size, &days) == 0) {
    int y, m, d;
    rh_date_from_days(days, &y, &m, &d);
    if (m < 1 || m > 12 || d < 1 || d > 31 || rh_days_from_date(y, m, d) != days) __builtin_trap();
  }
  char buf[64];
  if (size < sizeof buf) {
    memcpy(buf, data, size);
    buf[size] = '\0';
    int y, m;
    if (rh_parse_period(buf, &y, &m) == 0 && (m < 1 || m > 12)) __builtin_trap();
  }
  return 0;
}
