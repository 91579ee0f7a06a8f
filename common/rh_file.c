/* rh_file: see rh_file.h. */
#include "rh_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rh_err.h"

int rh_file_private_fd(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return -1;
  if (S_ISREG(st.st_mode) && (st.st_mode & 077) && fchmod(fd, 0600) != 0) return -1;
  return 0;
}

rh_file_secret_t rh_file_read_secret(const char *path, int follow, char *buf, size_t size,
                                     size_t *len, unsigned *mode) {
  *len = 0;
  if (size) buf[0] = '\0';
  /* O_NONBLOCK: a FIFO put in the file's place does not hang the open */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (follow ? 0 : O_NOFOLLOW));
  if (fd < 0) return RH_FILE_SECRET_OPEN;
  struct stat st;
  rh_file_secret_t rc = RH_FILE_SECRET_OK;
  if (fstat(fd, &st) != 0) {
    rc = RH_FILE_SECRET_OPEN;
  } else if (!S_ISREG(st.st_mode)) {
    rc = RH_FILE_SECRET_NOT_REGULAR;
  } else if (st.st_mode & 077) {
    *mode = (unsigned)(st.st_mode & 07777);
    rc = RH_FILE_SECRET_SHARED;
  }
  while (rc == RH_FILE_SECRET_OK) {
    if (*len + 1 >= size) {
      rc = RH_FILE_SECRET_TOO_LONG;
      break;
    }
    ssize_t n = read(fd, buf + *len, size - 1 - *len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) rc = RH_FILE_SECRET_READ;
    if (n <= 0) break;
    *len += (size_t)n;
  }
  int saved = errno;
  close(fd);
  errno = saved;
  if (size) buf[*len < size ? *len : size - 1] = '\0';
  return rc;
}

int rh_file_open_private(const char *path, int flags) {
  int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | flags, 0600);
  if (fd < 0) return -1;
  if (rh_file_private_fd(fd) != 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

FILE *rh_file_create_private(const char *path, int flags, char *errstr, size_t errstr_size) {
  int fd = rh_file_open_private(path, flags);
  FILE *fp = fd >= 0 ? fdopen(fd, "wb") : NULL;
  if (!fp) {
    int e = errno;
    rh_errf(errstr, errstr_size, "%s: %s", path, strerror(e));
    if (fd >= 0) close(fd);
    errno = e;
  }
  return fp;
}

int rh_file_read_all(const char *path, char **out, size_t *len, char *err, size_t errsz) {
  FILE *f = fopen(path, "rb");
  char *b = NULL;
  long n = -1;
  if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
      (b = malloc((size_t)n + 1)) && fread(b, 1, (size_t)n, f) == (size_t)n) {
    fclose(f);
    b[n] = '\0';
    *out = b;
    *len = (size_t)n;
    return 0;
  }
  snprintf(err, errsz, "%.400s: %s", path, f ? "cannot be read" : strerror(errno));
  if (f) fclose(f);
  free(b);
  return -1;
}
