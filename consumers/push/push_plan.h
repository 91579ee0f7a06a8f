/*
 * push_plan: which pushes a run makes (pure: the configuration alone), and the
 * month's argument. Applicants go to the departments with a check feed, new
 * monitoring objects to every department (rh_outbound_receives); --department
 * narrows the plan to one. No allocation beyond the plan's array; one thread.
 */
#ifndef PUSH_PLAN_H
#define PUSH_PLAN_H

#include <stddef.h>

#include "rh_config.h"
#include "rh_outbound.h"

typedef struct {
  const rh_config_department_t *department;
  rh_outbound_kind_t kind;
} push_item_t;

typedef struct {
  push_item_t v[2 * 64];
  size_t n;
} push_plan_t;

/* The plan of cfg for department (NULL: every one). 0; -1 with errstr when
 * department is not one of cfg's or the plan does not fit. */
int push_plan_build(const rh_config_t *cfg, const char *department, push_plan_t *out,
                    char *errstr, size_t errstr_size);

/* A month "YYYY-MM" (2000-01 .. 2099-12). */
int push_period_valid(const char *period);

#endif
