/*
 * health_archive: riskhub-health's look at the monthly archive
 * (docs/operations.md, "The monthly archive"), when archive.dir is set: every
 * month of the ledger (list_manifests, in PostgreSQL) whose deadline,
 * archive.grace and a night for the timer (HEALTH_ARCHIVE_SLACK_MS) have
 * passed must have its archive (archive.dir/YYYY-MM/SHA256SUMS). An overdue
 * month is a failed nightly run: after the topics' retention the broker
 * deletes what only the archive would keep.
 *
 * Reads only: one query, file names. Failure: -1 for memory only; PostgreSQL
 * away or without the ledger's tables leaves s->archive_error set (the
 * report says the archive is not known).
 */
#ifndef HEALTH_ARCHIVE_H
#define HEALTH_ARCHIVE_H

#include <stdint.h>

#include "health_probe.h"
#include "rh_config.h"

int health_probe_archive(const rh_config_t *cfg, int64_t now_ms, int wait_ms, health_state_t *s);

#endif
