/*
 * receive_run: riskhub-receive's run, a department's side of the pushes
 * (docs/outbound.md): reads outbound.<department>.applicants (when the
 * department has a check feed) and outbound.<department>.new-monitoring-objects
 * read_committed as the department's party, in its consumer group
 * riskhub-receive.<department> (partitions assigned, offsets committed by
 * hand), and writes each push as one file (receive_file) when its manifest
 * arrives and the records read match its count; then, and only then, commits
 * the offset after the manifest. Without watch it stops at the end of the
 * topics; with watch it runs until SIGTERM/SIGINT.
 *
 * Exit codes: 0 done; 65 a push whose records do not match its manifest, or
 * a message that is no push's (no file, no commit: the push is read again
 * next time); 69 the broker away or a commit failed (the file is there; the
 * next run finds it and does not write it again); 74 the folder could not be
 * written; 75 another receiver of the department holds the folder's lock
 * (receive_lock; nothing done); 77 the department's party refused; 78 configuration.
 */
#ifndef RECEIVE_RUN_H
#define RECEIVE_RUN_H

#include <stdbool.h>

#include "receive_file.h"
#include "rh_avro_schema.h"
#include "rh_config.h"

typedef struct {
  const rh_config_t *cfg;
  const rh_avro_schemas_t *schemas;
  const char *department;
  const char *dir;
  receive_encoding_t enc;
  bool watch;
  int timeout_ms; /* without watch: how long to wait for the broker */
} receive_run_opts_t;

int receive_run(const receive_run_opts_t *o);

#endif
