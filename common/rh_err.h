/*
 * rh_err: fill a caller's error buffer (the errstr/errstr_size convention of
 * every riskhub module boundary). NULL or a zero size is allowed and ignored.
 * Cannot fail; truncates to the buffer.
 */
#ifndef RH_ERR_H
#define RH_ERR_H

#include <stddef.h>

void rh_errf(char *errstr, size_t errstr_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
