#include "rh_avro_value.h"

#include <stdio.h>
#include <string.h>

int rh_avro_field_index(avro_schema_t rec, const char *name) {
  if (!is_avro_record(rec)) return -1;
  return avro_schema_record_field_get_index(rec, name);
}

int rh_avro_field_indexes(avro_schema_t rec, const char *const *names, int *idx, size_t n,
                          char *errstr, size_t errstr_size) {
  for (size_t i = 0; i < n; i++) {
    idx[i] = rh_avro_field_index(rec, names[i]);
    if (idx[i] < 0) {
      snprintf(errstr, errstr_size, "schema %s has no field '%s'",
               is_avro_record(rec) ? avro_schema_name(rec) : "(not a record)", names[i]);
      return -1;
    }
  }
  return 0;
}

/* The field at idx; for a union, the branch for null (0) or the value (1). */
static int field_for(avro_value_t *rec, int idx, bool null, avro_value_t *out) {
  avro_value_t f;
  if (idx < 0 || avro_value_get_by_index(rec, (size_t)idx, &f, NULL)) return -1;
  if (avro_value_get_type(&f) != AVRO_UNION) {
    if (null) return -1;
    *out = f;
    return 0;
  }
  return avro_value_set_branch(&f, null ? 0 : 1, out) ? -1 : 0;
}

int rh_avro_set_str_len(avro_value_t *rec, int idx, const char *s, size_t len) {
  avro_value_t f;
  if (field_for(rec, idx, s == NULL, &f)) return -1;
  if (!s) return avro_value_set_null(&f) ? -1 : 0;
  /* the length passed to Avro C counts the NUL; s need not be terminated */
  char small[256];
  if (len < sizeof(small)) {
    memcpy(small, s, len);
    small[len] = '\0';
    return avro_value_set_string_len(&f, small, len + 1) ? -1 : 0;
  }
  char *copy = avro_malloc(len + 1);
  if (!copy) return -1;
  memcpy(copy, s, len);
  copy[len] = '\0';
  int rc = avro_value_set_string_len(&f, copy, len + 1) ? -1 : 0;
  avro_free(copy, len + 1);
  return rc;
}

int rh_avro_set_str(avro_value_t *rec, int idx, const char *s) {
  return rh_avro_set_str_len(rec, idx, s, s ? strlen(s) : 0);
}

int rh_avro_set_long(avro_value_t *rec, int idx, int64_t v) {
  avro_value_t f;
  if (field_for(rec, idx, false, &f)) return -1;
  return avro_value_set_long(&f, v) ? -1 : 0;
}

int rh_avro_set_opt_long(avro_value_t *rec, int idx, bool present, int64_t v) {
  avro_value_t f;
  if (field_for(rec, idx, !present, &f)) return -1;
  return (present ? avro_value_set_long(&f, v) : avro_value_set_null(&f)) ? -1 : 0;
}

int rh_avro_set_int(avro_value_t *rec, int idx, int32_t v) {
  avro_value_t f;
  if (field_for(rec, idx, false, &f)) return -1;
  return avro_value_set_int(&f, v) ? -1 : 0;
}

int rh_avro_set_opt_int(avro_value_t *rec, int idx, bool present, int32_t v) {
  avro_value_t f;
  if (field_for(rec, idx, !present, &f)) return -1;
  return (present ? avro_value_set_int(&f, v) : avro_value_set_null(&f)) ? -1 : 0;
}

int rh_avro_set_bool(avro_value_t *rec, int idx, bool v) {
  avro_value_t f;
  if (field_for(rec, idx, false, &f)) return -1;
  return avro_value_set_boolean(&f, v ? 1 : 0) ? -1 : 0;
}

int rh_avro_set_str_map(avro_value_t *rec, int idx, const char *const *keys,
                        const char *const *values, size_t n) {
  avro_value_t map, elem;
  if (field_for(rec, idx, false, &map) || avro_value_get_type(&map) != AVRO_MAP) return -1;
  if (avro_value_reset(&map)) return -1;
  for (size_t i = 0; i < n; i++) {
    if (avro_value_add(&map, keys[i], &elem, NULL, NULL) || avro_value_set_string(&elem, values[i]))
      return -1;
  }
  return 0;
}

int rh_avro_field(avro_value_t *rec, int idx, avro_value_t *out) {
  return field_for(rec, idx, false, out);
}

/* The field for reading: for a union, the current branch, or null. */
static int read_field(avro_value_t *rec, int idx, bool *is_null, avro_value_t *out) {
  avro_value_t f;
  *is_null = false;
  if (idx < 0 || avro_value_get_by_index(rec, (size_t)idx, &f, NULL)) return -1;
  if (avro_value_get_type(&f) == AVRO_UNION) {
    if (avro_value_get_current_branch(&f, out)) return -1;
  } else {
    *out = f;
  }
  *is_null = avro_value_get_type(out) == AVRO_NULL;
  return 0;
}

int rh_avro_get_str(avro_value_t *rec, int idx, const char **s, size_t *len) {
  avro_value_t f;
  bool is_null;
  size_t size = 0;
  *s = NULL;
  if (len) *len = 0;
  if (read_field(rec, idx, &is_null, &f)) return -1;
  if (is_null) return 0;
  if (avro_value_get_string(&f, s, &size)) return -1;
  if (len) *len = size ? size - 1 : 0;
  return 0;
}

int rh_avro_get_long(avro_value_t *rec, int idx, bool *present, int64_t *v) {
  avro_value_t f;
  bool is_null;
  *v = 0;
  if (read_field(rec, idx, &is_null, &f)) return -1;
  if (present) *present = !is_null;
  if (is_null) return present ? 0 : -1;
  return avro_value_get_long(&f, v) ? -1 : 0;
}

int rh_avro_get_int(avro_value_t *rec, int idx, bool *present, int32_t *v) {
  avro_value_t f;
  bool is_null;
  *v = 0;
  if (read_field(rec, idx, &is_null, &f)) return -1;
  if (present) *present = !is_null;
  if (is_null) return present ? 0 : -1;
  return avro_value_get_int(&f, v) ? -1 : 0;
}

int rh_avro_get_bool(avro_value_t *rec, int idx, bool *v) {
  avro_value_t f;
  bool is_null;
  int b = 0;
  if (read_field(rec, idx, &is_null, &f) || is_null) return -1;
  if (avro_value_get_boolean(&f, &b)) return -1;
  *v = b != 0;
  return 0;
}
