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

#endif
