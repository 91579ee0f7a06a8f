/* libFuzzer: the department file reader (rh_csv: encoding detection, GB18030
 * to UTF-8, RFC 4180 quoting, the limits) on any bytes, detected and forced.
 * Every row's fields must be NUL-terminated UTF-8 of the length said. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "rh_csv.h"
#include "rh_utf8.h"

static void read_all(const uint8_t *data, size_t size, rh_encoding_t enc) {
  char err[512];
  FILE *fp = fmemopen((void *)data, size, "rb");
  if (!fp) return;
  rh_csv_reader_t *r = rh_csv_open_fp(fp, enc, err, sizeof err);
  if (r) {
    const rh_csv_row_t *row;
    while (rh_csv_next(r, &row, err, sizeof err) > 0)
      for (size_t i = 0; i < row->nfields; i++)
        if (strlen(row->fields[i].str) != row->fields[i].len ||
            !rh_utf8_valid((const unsigned char *)row->fields[i].str, row->fields[i].len))
          __builtin_trap();
    rh_csv_close(r);
  }
  fclose(fp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  read_all(data, size, RH_ENC_AUTO);
  read_all(data, size, RH_ENC_GB18030);
  return 0;
}
