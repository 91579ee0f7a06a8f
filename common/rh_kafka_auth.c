#include "rh_kafka_auth.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "rh_file.h"


const char *rh_kafka_auth_forbidden_key(const char *key) {
  if (strcmp(key, "sasl.username") == 0)
    return "a principal's name does not belong in the shared configuration: every program "
           "has its own, in the credentials file named by kafka_credentials "
           "(or RH_KAFKA_CREDENTIALS)";
  if (strstr(key, "password") || strstr(key, "secret"))
    return "a password does not belong in the shared configuration: put it in the "
           "credentials file named by kafka_credentials (or RH_KAFKA_CREDENTIALS), mode 0600";
  return NULL;
}

/* The whole file into buf (NUL-terminated). 0, or -1 with errstr. */
static int read_private(const char *path, char *buf, size_t bufsz, char *errstr,
                        size_t errstr_size) {
  size_t len = 0;
  unsigned mode = 0;
  switch (rh_file_read_secret(path, 1, buf, bufsz, &len, &mode)) {
  case RH_FILE_SECRET_OK:
    break;
  case RH_FILE_SECRET_OPEN:
  case RH_FILE_SECRET_READ:
    snprintf(errstr, errstr_size, "kafka credentials %s: %s", path, strerror(errno));
    return -1;
  case RH_FILE_SECRET_NOT_REGULAR:
    snprintf(errstr, errstr_size, "kafka credentials %s: not a regular file", path);
    return -1;
  case RH_FILE_SECRET_SHARED:
    snprintf(errstr, errstr_size,
             "kafka credentials %s: others may read it (mode %04o): refused; "
             "make it the owner's only (chmod 600) and change the password "
             "(docs/security.md, \"Rotating Kafka's credentials\")",
             path, mode);
    return -1;
  case RH_FILE_SECRET_TOO_LONG:
    snprintf(errstr, errstr_size, "kafka credentials %s: longer than %zu bytes", path, bufsz - 1);
    return -1;
  }
  if (memchr(buf, '\0', len)) {
    snprintf(errstr, errstr_size, "kafka credentials %s: not a text file", path);
    return -1;
  }
  return 0;
}

static bool has_control(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7f) return true;
  return false;
}

int rh_kafka_credentials_parse(rd_kafka_conf_t *conf, char *text, const char *path,
                               char *errstr, size_t errstr_size) {
  bool have_user = false, have_password = false;
  int rc = 0;
  unsigned line = 0;
  for (char *p = text, *next; p && *p && rc == 0; p = next) {
    line++;
    char *nl = strchr(p, '\n');
    next = nl ? nl + 1 : NULL;
    if (nl) *nl = '\0';
    size_t n = strlen(p);
    if (n && p[n - 1] == '\r') p[--n] = '\0';
    while (*p == ' ' || *p == '\t') p++;
    if (*p == '\0' || *p == '#') continue;
    char *eq = strchr(p, '=');
    if (!eq) {
      snprintf(errstr, errstr_size, "kafka credentials %s:%u: expected key=value", path, line);
      rc = -1;
      break;
    }
    *eq = '\0';
    const char *key = p, *value = eq + 1;
    bool *seen = strcmp(key, "sasl.username") == 0   ? &have_user
                 : strcmp(key, "sasl.password") == 0 ? &have_password
                                                     : NULL;
    if (!seen) {
      /* the key is not echoed: a line of a password pasted in the wrong
       * place would otherwise go to a log */
      snprintf(errstr, errstr_size,
               "kafka credentials %s:%u: only sasl.username and sasl.password belong here",
               path, line);
      rc = -1;
    } else if (*seen) {
      snprintf(errstr, errstr_size, "kafka credentials %s:%u: %s given twice", path, line, key);
      rc = -1;
    } else if (!*value) {
      snprintf(errstr, errstr_size, "kafka credentials %s:%u: %s is empty", path, line, key);
      rc = -1;
    } else if (has_control(value)) {
      snprintf(errstr, errstr_size, "kafka credentials %s:%u: %s holds a control character",
               path, line, key);
      rc = -1;
    } else if (value[0] == ' ' || value[strlen(value) - 1] == ' ') {
      /* librdkafka would take the blanks away, or keep them: either way a
       * password edited by hand is not the one the brokers know */
      snprintf(errstr, errstr_size,
               "kafka credentials %s:%u: %s begins or ends with a blank", path, line, key);
      rc = -1;
    } else {
      char why[256];
      *seen = true;
      if (rd_kafka_conf_set(conf, key, value, why, sizeof why) != RD_KAFKA_CONF_OK) {
        snprintf(errstr, errstr_size, "kafka credentials %s:%u: %s refused by librdkafka",
                 path, line, key);
        rc = -1;
      }
    }
  }
  if (rc == 0 && (!have_user || !have_password)) {
    snprintf(errstr, errstr_size, "kafka credentials %s: %s missing", path,
             have_user ? "sasl.password" : "sasl.username");
    rc = -1;
  }
  return rc;
}

int rh_kafka_credentials_apply(rd_kafka_conf_t *conf, const char *path, char *errstr,
                               size_t errstr_size) {
  char buf[RH_KAFKA_CREDENTIALS_MAX];
  if (read_private(path, buf, sizeof buf, errstr, errstr_size)) return -1;
  int rc = rh_kafka_credentials_parse(conf, buf, path, errstr, errstr_size);
  /* the password's bytes leave the stack */
  explicit_bzero(buf, sizeof buf);
  return rc;
}
