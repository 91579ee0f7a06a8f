/* rh_file: see rh_file.h. */
#include "rh_file.h"

#include <errno.h>
#include <fcntl.h>
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
