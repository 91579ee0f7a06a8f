/* libFuzzer: a Kafka credentials file's text (common/rh_kafka_auth.h): any bytes
 * give a clear refusal or both properties set, and a refusal never carries a
 * password's bytes. */
#include <librdkafka/rdkafka.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rh_kafka_auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size >= RH_KAFKA_CREDENTIALS_MAX || memchr(data, 0, size)) return 0;
  char text[RH_KAFKA_CREDENTIALS_MAX], copy[RH_KAFKA_CREDENTIALS_MAX], err[512] = "";
  memcpy(text, data, size);
  text[size] = '\0';
  memcpy(copy, text, size + 1);
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  int rc = rh_kafka_credentials_parse(conf, text, "fuzz", err, sizeof err);
  if (rc != 0 && !err[0]) __builtin_trap();
  if (rc == 0) {
    char v[RH_KAFKA_CREDENTIALS_MAX];
    size_t n = sizeof v;
    if (rd_kafka_conf_get(conf, "sasl.password", v, &n) != RD_KAFKA_CONF_OK || !v[0])
      __builtin_trap();
  } else {
    /* every password line's value, whole, is absent from the message (unless
     * the message's own words hold it: "sasl.password" has ".password") */
    static const char words[] =
        "kafka credentials fuzz:0123456789 only sasl.username and sasl.password belong here; "
        "expected key=value given twice is empty refused by librdkafka missing";
    for (char *line = copy; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
      char *p = line + strspn(line, " \t");
      if (strncmp(p, "sasl.password=", 14) != 0) continue;
      char *v = p + 14;
      size_t len = strcspn(v, "\r\n");
      if (len >= 8) {
        char pw[RH_KAFKA_CREDENTIALS_MAX];
        memcpy(pw, v, len);
        pw[len] = '\0';
        if (strstr(err, pw) && !strstr(words, pw)) __builtin_trap();
      }
    }
  }
  rd_kafka_conf_destroy(conf);
  return 0;
}
