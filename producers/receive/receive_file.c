/* receive_file: see receive_file.h. */
#include "receive_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rh_csv.h"
#include "rh_err.h"
#include "rh_file.h"

static const char *const HEADER[RH_OUTBOUND_KIND_COUNT] = {
    "户编号,身份证号,姓名", "户编号,身份证号,姓名,乡镇代码,乡镇,村"};

/* Writes UTF-8 text s in the file's encoding. */
static int put(receive_file_t *rf, const char *s, size_t len, char *errstr, size_t errstr_size) {
  if (rf->enc == RECEIVE_UTF8) {
    if (fwrite(s, 1, len, rf->f) != len) goto io;
    return 0;
  }
  char out[4096];
  char *in = (char *)s;
  size_t left = len;
  iconv(rf->cd, NULL, NULL, NULL, NULL);
  while (left) {
    char *o = out;
    size_t room = sizeof out;
    size_t r = iconv(rf->cd, &in, &left, &o, &room);
    int err = errno; /* before fwrite can change it */
    if (fwrite(out, 1, (size_t)(o - out), rf->f) != (size_t)(o - out)) goto io;
    if (r == (size_t)-1 && err != E2BIG) {
      /* GB18030 holds every Unicode character: only text that is not UTF-8 */
      rh_errf(errstr, errstr_size, "push %.16s: text that is not UTF-8 (%s)", rf->push_id,
              strerror(err));
      return -1;
    }
  }
  return 0;
io:
  rh_errf(errstr, errstr_size, "%s: %s", rf->part, strerror(errno));
  return -1;
}

static int sync_dir(const char *dir, char *errstr, size_t errstr_size) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || fsync(fd)) {
    rh_errf(errstr, errstr_size, "%s: %s", dir, strerror(errno));
    if (fd >= 0) close(fd);
    return -1;
  }
  close(fd);
  return 0;
}

static void journal_path(const char *dir, const char *department, char *buf, size_t size) {
  snprintf(buf, size, "%s/.riskhub-receive.%s.journal", dir, department);
}

bool receive_journal_has(const char *dir, const char *department, const char *push_id) {
  char path[4096], line[128];
  journal_path(dir, department, path, sizeof path);
  FILE *f = fopen(path, "re");
  if (!f) return false;
  bool found = false;
  while (!found && fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = '\0';
    found = strcmp(line, push_id) == 0;
  }
  fclose(f);
  return found;
}

static int journal_add(const receive_file_t *rf, char *errstr, size_t errstr_size) {
  char path[4096];
  journal_path(rf->dir, rf->department, path, sizeof path);
  struct stat st;
  bool created = stat(path, &st) != 0;
  int fd = rh_file_open_private(path, O_APPEND);
  if (fd < 0) goto io;
  /* a line a crash left without its newline: ended first, so the id is a
   * line of its own (receive_journal_has compares whole lines) */
  char line[RH_SHA256_HEXSZ + 2], last = '\n';
  int rfd = created ? -1 : open(path, O_RDONLY | O_CLOEXEC);
  if (rfd >= 0) {
    off_t end = lseek(rfd, 0, SEEK_END);
    if (end > 0 && pread(rfd, &last, 1, end - 1) != 1) last = '\n';
    close(rfd);
  }
  int n = snprintf(line, sizeof line, "%s%s\n", last == '\n' ? "" : "\n", rf->push_id);
  if (write(fd, line, (size_t)n) != n || fsync(fd)) {
    close(fd);
    goto io;
  }
  close(fd);
  /* a journal just made: its name made durable too */
  if (created) return sync_dir(rf->dir, errstr, errstr_size);
  return 0;
io:
  rh_errf(errstr, errstr_size, "%s: %s", path, strerror(errno));
  return -1;
}

int receive_file_begin(receive_file_t *rf, const rh_config_t *cfg, const char *dir,
                       const char *department, rh_outbound_kind_t kind, receive_encoding_t enc,
                       const char *push_id, char *errstr, size_t errstr_size) {
  memset(rf, 0, sizeof *rf);
  rf->cfg = cfg;
  rf->dir = dir;
  rf->department = department;
  rf->kind = kind;
  rf->enc = enc;
  rf->cd = (iconv_t)-1;
  snprintf(rf->push_id, sizeof rf->push_id, "%s", push_id);
  if ((size_t)snprintf(rf->part, sizeof rf->part, "%s/.%s.%s.%.16s.part", dir, department,
                       rh_outbound_kind_name(kind), push_id) >= sizeof rf->part) {
    rh_errf(errstr, errstr_size, "--dir: too long");
    return -1;
  }
  /* "gbk" is written as GB18030: the same bytes for every character GBK has,
   * and a 4-byte code for the few it has not (a rare character of a name),
   * where GBK would fail the push (docs/outbound.md) */
  if (enc == RECEIVE_GBK && (rf->cd = iconv_open("GB18030", "UTF-8")) == (iconv_t)-1) {
    rh_errf(errstr, errstr_size, "iconv UTF-8 -> GB18030: %s", strerror(errno));
    return -1;
  }
  if (!(rf->f = rh_file_create_private(rf->part, O_TRUNC, errstr, errstr_size))) {
    receive_file_discard(rf);
    return -1;
  }
  if (enc == RECEIVE_UTF8 && fputs("\xEF\xBB\xBF", rf->f) == EOF) {
    rh_errf(errstr, errstr_size, "%s: %s", rf->part, strerror(errno));
    receive_file_discard(rf);
    return -1;
  }
  const char *h = HEADER[kind];
  if (put(rf, h, strlen(h), errstr, errstr_size) || put(rf, "\r\n", 2, errstr, errstr_size)) {
    receive_file_discard(rf);
    return -1;
  }
  return 0;
}

int receive_file_row(receive_file_t *rf, const rh_outbound_record_t *r, char *errstr,
                     size_t errstr_size) {
  char *line = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&line, &len);
  if (!m) {
    rh_errf(errstr, errstr_size, "out of memory");
    return -1;
  }
  rh_csv_write_field(m, r->household_id);
  fputc(',', m);
  rh_csv_write_field(m, r->id_number);
  fputc(',', m);
  rh_csv_write_field(m, r->name);
  if (rf->kind == RH_OUTBOUND_NEW_OBJECTS) {
    const char *code = r->township_code ? r->township_code : "";
    const rh_config_township_t *t = *code ? rh_config_township_find(rf->cfg, code) : NULL;
    fputc(',', m);
    rh_csv_write_field(m, code);
    fputc(',', m);
    rh_csv_write_field(m, t ? t->name : "");
    fputc(',', m);
    rh_csv_write_field(m, r->village ? r->village : "");
  }
  fputs("\r\n", m);
  if (fclose(m)) {
    free(line);
    rh_errf(errstr, errstr_size, "out of memory");
    return -1;
  }
  int rc = put(rf, line, len, errstr, errstr_size);
  free(line);
  if (rc == 0) rf->rows++;
  return rc;
}

int receive_file_finish(receive_file_t *rf, const char *period, bool *written, char *errstr,
                        size_t errstr_size) {
  *written = false;
  if ((size_t)snprintf(rf->final, sizeof rf->final, "%s/%s.%s.%s.%.16s.csv", rf->dir,
                       rf->department, rh_outbound_kind_name(rf->kind), period, rf->push_id) >=
      sizeof rf->final) {
    rh_errf(errstr, errstr_size, "--dir: too long");
    return -1;
  }
  struct stat st;
  if (receive_journal_has(rf->dir, rf->department, rf->push_id) || stat(rf->final, &st) == 0) {
    /* written by a run that died before its commit: not a second time; the
     * journal is made whole for the next */
    char final[sizeof rf->final];
    memcpy(final, rf->final, sizeof final);
    bool journaled = receive_journal_has(rf->dir, rf->department, rf->push_id);
    receive_file_discard(rf);
    memcpy(rf->final, final, sizeof final);
    return journaled ? 0 : journal_add(rf, errstr, errstr_size);
  }
  int bad = fflush(rf->f) != 0 || ferror(rf->f) || fsync(fileno(rf->f)) != 0;
  int err = errno;
  if (fclose(rf->f)) bad = 1, err = errno;
  rf->f = NULL;
  if (bad) {
    rh_errf(errstr, errstr_size, "%s: %s", rf->part, strerror(err));
    receive_file_discard(rf);
    return -1;
  }
  if (rename(rf->part, rf->final)) {
    rh_errf(errstr, errstr_size, "%s: %s", rf->final, strerror(errno));
    receive_file_discard(rf);
    return -1;
  }
  if (sync_dir(rf->dir, errstr, errstr_size) || journal_add(rf, errstr, errstr_size)) return -1;
  if (rf->cd != (iconv_t)-1) iconv_close(rf->cd);
  rf->cd = (iconv_t)-1;
  *written = true;
  return 0;
}

void receive_file_discard(receive_file_t *rf) {
  if (rf->f) fclose(rf->f);
  rf->f = NULL;
  if (rf->part[0]) unlink(rf->part);
  if (rf->cd != (iconv_t)-1) iconv_close(rf->cd);
  rf->cd = (iconv_t)-1;
}

int receive_lock(const char *dir, const char *department, char *errstr, size_t errstr_size) {
  char path[4096];
  if ((size_t)snprintf(path, sizeof path, "%s/.riskhub-receive.%s.lock", dir, department) >=
      sizeof path) {
    rh_errf(errstr, errstr_size, "--dir: too long");
    return -1;
  }
  int fd = rh_file_open_private(path, 0);
  if (fd < 0) {
    rh_errf(errstr, errstr_size, "%s: %s", path, strerror(errno));
    return -1;
  }
  if (flock(fd, LOCK_EX | LOCK_NB)) {
    int err = errno;
    close(fd);
    if (err == EWOULDBLOCK) return -2;
    rh_errf(errstr, errstr_size, "%s: %s", path, strerror(err));
    return -1;
  }
  return fd;
}

void receive_file_sweep(const char *dir, const char *department) {
  DIR *d = opendir(dir);
  if (!d) return;
  char prefix[300];
  snprintf(prefix, sizeof prefix, ".%s.", department);
  size_t pl = strlen(prefix);
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t l = strlen(e->d_name);
    if (strncmp(e->d_name, prefix, pl) == 0 && l > 5 && strcmp(e->d_name + l - 5, ".part") == 0)
      unlinkat(dirfd(d), e->d_name, 0);
  }
  closedir(d);
}
