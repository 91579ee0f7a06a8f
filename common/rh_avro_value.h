/*
 * rh_avro_value: field access on Avro C generic record values, by index.
 *
 * Look a field's index up once (rh_avro_field_index, at start-up), then read and
 * write it per record by index. Optional fields follow riskhub's convention
 * ["null", T] (null first, default null): the setters pick the branch, the
 * getters report null. The setters copy what they are given.
 *
 * All functions return 0 on success and -1 if the field is missing or has
 * another type than the call expects (a programming error or a schema that
 * does not match the code); none allocates memory the caller owns. Strings
 * returned by getters are borrowed from the value and valid until it is reset
 * or changed.
 */
#ifndef RH_AVRO_VALUE_H
#define RH_AVRO_VALUE_H

#include <avro.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Index of field `name` in record schema `rec`, or -1. */
int rh_avro_field_index(avro_schema_t rec, const char *name);

/* Index of each of n names into idx[]; -1 with errstr naming the first missing
 * field otherwise. */
int rh_avro_field_indexes(avro_schema_t rec, const char *const *names, int *idx, size_t n,
                          char *errstr, size_t errstr_size);

/* Setters. s may be NULL only for ["null", ...] fields. */
int rh_avro_set_str(avro_value_t *rec, int idx, const char *s);
int rh_avro_set_str_len(avro_value_t *rec, int idx, const char *s, size_t len);
int rh_avro_set_long(avro_value_t *rec, int idx, int64_t v);
int rh_avro_set_opt_long(avro_value_t *rec, int idx, bool present, int64_t v);
int rh_avro_set_int(avro_value_t *rec, int idx, int32_t v);
int rh_avro_set_opt_int(avro_value_t *rec, int idx, bool present, int32_t v);
int rh_avro_set_bool(avro_value_t *rec, int idx, bool v);
/* A map<string> field: n pairs added (the map is cleared first). */
int rh_avro_set_str_map(avro_value_t *rec, int idx, const char *const *keys,
                        const char *const *values, size_t n);
/* The field itself (for arrays and nested records); a union field gives its
 * non-null branch, selected. */
int rh_avro_field(avro_value_t *rec, int idx, avro_value_t *out);

/* Getters. *s = NULL for a null optional field. */
int rh_avro_get_str(avro_value_t *rec, int idx, const char **s, size_t *len);
/* *present = false for null (then *v is 0). present may be NULL for a plain long. */
int rh_avro_get_long(avro_value_t *rec, int idx, bool *present, int64_t *v);
int rh_avro_get_int(avro_value_t *rec, int idx, bool *present, int32_t *v);
int rh_avro_get_bool(avro_value_t *rec, int idx, bool *v);

#endif
