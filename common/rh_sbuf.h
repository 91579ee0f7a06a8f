/*
 * rh_sbuf: a small growable string, always NUL-terminated, that remembers
 * running out of memory instead of failing each call: append freely, check
 * oom once at the end (the schemas' canonical form, the manifests' signed
 * text).
 *
 *   rh_sbuf_t b = RH_SBUF_INIT;
 *   rh_sbuf_puts(&b, "x="); rh_sbuf_printf(&b, "%d", 1);
 *   if (b.oom) ...; use b.p (b.len bytes); free(b.p) (or rh_sbuf_free)
 */
#ifndef RH_SBUF_H
#define RH_SBUF_H

#include <stddef.h>

typedef struct {
  char *p;    /* NULL until something is appended; then NUL-terminated */
  size_t len; /* bytes, without the NUL */
  size_t cap;
  int oom;    /* an append failed: the contents are incomplete */
} rh_sbuf_t;

#define RH_SBUF_INIT {NULL, 0, 0, 0}

void rh_sbuf_put(rh_sbuf_t *b, const void *data, size_t n);
void rh_sbuf_puts(rh_sbuf_t *b, const char *s);
/* Formatted; a result longer than 255 bytes sets oom. */
void rh_sbuf_printf(rh_sbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rh_sbuf_free(rh_sbuf_t *b);

#endif
