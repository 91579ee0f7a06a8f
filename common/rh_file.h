/*
 * rh_file: files that hold personal data (rejects, reports beside a list,
 * archives, exports): created with mode 0600 and never through a symbolic
 * link. A file that already exists is made 0600 as well: O_CREAT keeps an
 * existing file's mode, so a rejects file left 0644 by an older version, or an
 * export written over a world-readable file, would otherwise stay readable.
 *
 * Failure: -1 / NULL with errno (and errstr, "<path>: <reason>").
 */
#ifndef RH_FILE_H
#define RH_FILE_H

#include <stddef.h>
#include <stdio.h>

/* open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | flags, 0600) (flags:
 * O_TRUNC, O_EXCL, ...), then rh_file_private_fd. A file descriptor, or -1. */
int rh_file_open_private(const char *path, int flags);

/* The same as a stdio stream ("wb"). NULL with errstr. */
FILE *rh_file_create_private(const char *path, int flags, char *errstr, size_t errstr_size);

/* A regular file open on fd that others may read is made 0600 (anything else,
 * a pipe or a terminal, is left as it is). 0, or -1 with errno. */
int rh_file_private_fd(int fd);

/* Reading a secret (a Kafka credentials file, a department's signing key): the
 * whole of a regular file that only its owner may read (no bit of 077 in its
 * mode) into buf, at most size - 1 bytes, NUL-terminated; *len the bytes read.
 * follow: a symbolic link is followed (else O_NOFOLLOW: refused, errno ELOOP).
 * Returns RH_FILE_SECRET_OK or why not: *mode is the file's mode for
 * RH_FILE_SECRET_SHARED; errno says why for _OPEN and _READ. The caller words
 * the refusal for its reader, and clears buf (it may hold part of the secret
 * on any return). */
typedef enum {
  RH_FILE_SECRET_OK = 0,
  RH_FILE_SECRET_OPEN,        /* open or fstat failed (errno) */
  RH_FILE_SECRET_NOT_REGULAR, /* a folder, a device, a pipe ... */
  RH_FILE_SECRET_SHARED,      /* others may read or write it (*mode) */
  RH_FILE_SECRET_TOO_LONG,    /* size - 1 bytes or more */
  RH_FILE_SECRET_READ         /* read failed (errno) */
} rh_file_secret_t;
rh_file_secret_t rh_file_read_secret(const char *path, int follow, char *buf, size_t size,
                                     size_t *len, unsigned *mode);

/* The whole of a (regular, seekable) file, malloc'd and NUL-terminated (*len
 * without the NUL). 0, or -1 with err naming the path and why. */
int rh_file_read_all(const char *path, char **out, size_t *len, char *err, size_t errsz);

#endif
