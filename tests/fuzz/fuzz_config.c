/* libFuzzer: the configuration loader (libyaml's document, then validation)
 * on any text: an error has a message, a configuration loads whole. */
#include <stdint.h>
#include <stdlib.h>

#include "rh_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[1024] = "";
  rh_config_t *cfg = rh_config_load_string((const char *)data, size, "fuzz.yaml", err, sizeof err);
  if (!cfg && !err[0]) __builtin_trap();
  if (cfg && (!cfg->department_count || !cfg->township_count)) __builtin_trap();
  rh_config_destroy(cfg);
  return 0;
}
