/* push_plan: see push_plan.h. */
#include "push_plan.h"

#include <string.h>

#include "rh_err.h"
#include "rh_parse.h"

int push_plan_build(const rh_config_t *cfg, const char *department, push_plan_t *out,
                    char *errstr, size_t errstr_size) {
  out->n = 0;
  bool found = department == NULL;
  for (size_t i = 0; i < cfg->department_count; i++) {
    const rh_config_department_t *d = &cfg->departments[i];
    if (department && strcmp(department, d->code) != 0) continue;
    found = true;
    for (int k = 0; k < RH_OUTBOUND_KIND_COUNT; k++) {
      if (!rh_outbound_receives(d, (rh_outbound_kind_t)k)) continue;
      if (out->n == sizeof out->v / sizeof *out->v) {
        rh_errf(errstr, errstr_size, "more than %zu pushes", sizeof out->v / sizeof *out->v);
        return -1;
      }
      out->v[out->n++] = (push_item_t){d, (rh_outbound_kind_t)k};
    }
  }
  if (!found) {
    rh_errf(errstr, errstr_size, "%s is not a department of the configuration", department);
    return -1;
  }
  return 0;
}

int push_period_valid(const char *p) {
  int y, m;
  return rh_parse_period(p, &y, &m) == 0;
}
