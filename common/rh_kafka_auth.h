/*
 * rh_kafka_auth: a program's Kafka identity, kept out of the shared YAML
 * (docs/security.md, "Kafka").
 *
 * The configuration's kafka: section says how to reach the brokers
 * (security.protocol SASL_SSL, sasl.mechanisms SCRAM-SHA-512, ssl.ca.location);
 * it never holds a password. A program's principal and password are in a
 * credentials file named by the configuration (kafka_credentials) or by
 * RH_KAFKA_CREDENTIALS, in librdkafka's own property syntax:
 *
 *     # comments and blank lines are fine
 *     sasl.username=riskhub
 *     sasl.password=...
 *
 * Nothing else may be in it. The file must be a regular file that no one but
 * its owner may read (mode 0600 or stricter): anything else is refused before
 * a password is read, naming the file and the mode, so a credentials file left
 * readable by the county's other users is found at once, not after a breach.
 * Error messages name the file and the line, never a value.
 */
#ifndef RH_KAFKA_AUTH_H
#define RH_KAFKA_AUTH_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

/* The longest credentials file read (a few lines). */
#define RH_KAFKA_CREDENTIALS_MAX 4096

/* Reads the credentials file at path and sets sasl.username and sasl.password
 * on conf. 0, or -1 with errstr ("kafka credentials <path>[:<line>]: <why>"). */
int rh_kafka_credentials_apply(rd_kafka_conf_t *conf, const char *path, char *errstr,
                               size_t errstr_size);

/* The text of a credentials file (NUL-terminated; changed in place) onto conf;
 * path names it in errors. 0, or -1 with errstr. */
int rh_kafka_credentials_parse(rd_kafka_conf_t *conf, char *text, const char *path,
                               char *errstr, size_t errstr_size);

/* A property of the kafka: section that must not be in the shared file (a
 * password, a secret, a principal's name): the reason, else NULL. */
const char *rh_kafka_auth_forbidden_key(const char *key);

#endif
