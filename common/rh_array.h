/*
 * rh_array: a growing array, grown the one way every module grows its arrays
 * (capacity doubled, starting at a size that suits the caller).
 *
 *   if (RH_ARRAY_RESERVE(s->items, s->n + 1, s->cap, 64)) return -1;
 *   s->items[s->n++] = x;
 *
 * RH_ARRAY_RESERVE(ptr, need, cap, first): room for `need` elements in `ptr`
 * (an lvalue `T *`, NULL when empty) whose capacity is `cap` (an lvalue
 * `size_t`, in elements). When need > cap the capacity becomes `first` (if
 * cap is 0) doubled as often as it takes, ptr is reallocated and both are
 * updated. Evaluates ptr and cap more than once: no side effects in them.
 * Returns 0, or -1 when out of memory or when the size would overflow; then
 * ptr and cap are unchanged and the elements in ptr stay valid (the caller
 * still owns and frees ptr). Not thread-safe for one array, as realloc.
 */
#ifndef RH_ARRAY_H
#define RH_ARRAY_H

#include <stddef.h>

/* The function behind RH_ARRAY_RESERVE; ptrp is the address of the `T *`. */
int rh_array_reserve(void *ptrp, size_t *cap, size_t need, size_t elem_size, size_t first);

#define RH_ARRAY_RESERVE(ptr, need, cap, first)                                      \
  ((size_t)(need) <= (cap) ? 0                                                       \
                           : rh_array_reserve(&(ptr), &(cap), (size_t)(need), sizeof *(ptr), \
                                              (size_t)(first)))

#endif
