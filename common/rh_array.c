/* rh_array: see rh_array.h. */
#include "rh_array.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int rh_array_reserve(void *ptrp, size_t *cap, size_t need, size_t elem_size, size_t first) {
  if (need <= *cap) return 0;
  size_t n = *cap ? *cap : (first ? first : 1);
  while (n < need) {
    if (n > SIZE_MAX / 2) return -1;
    n *= 2;
  }
  if (elem_size && n > SIZE_MAX / elem_size) return -1;
  void *p;
  memcpy(&p, ptrp, sizeof p); /* ptrp is a T **: read it without type punning */
  void *np = realloc(p, n * elem_size);
  if (!np) return -1;
  memcpy(ptrp, &np, sizeof np);
  *cap = n;
  return 0;
}
