/*
 * alerts_scale_format: what riskhub-alerts --scale writes (docs/alerts.md,
 * "Scale risks"): one entry a version of a scale risk (rh_scale.h), in the
 * order read from the county topic riskhub.scale-risks.
 *
 * - table: one line for a person:
 *     2026-10 [RAISED 新发] v1 village-flood 安陵镇 (411024100) 东庄村: 预警 7 户 / 共 40 户,
 *     基线 0.3, 始于 2026-11-03 09:30 UTC+08:00
 *   (a township-level rule: 全乡镇 for the village; since in the county's time).
 * - jsonl: one JSON object a line: every field of ScaleRisk.avsc in its order,
 *   township_name after township_code (null when the configuration does not
 *   know the township), since and created_at "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC),
 *   baseline a number, risks, household_ids and alert_ids arrays.
 * - csv: RFC 4180 (CRLF), UTF-8 with a byte order mark unless bom is false; a
 *   header row, then the jsonl fields, arrays joined by a space.
 * No field holds personal data: household ids are codes; the village passes
 * through the same masking of ID-like runs as the warnings' free text.
 *
 * Functions write to out and return 0, or -1 when a write failed.
 */
#ifndef ALERTS_SCALE_FORMAT_H
#define ALERTS_SCALE_FORMAT_H

#include <stdio.h>

#include "alerts_format.h"
#include "rh_scale.h"

/* The three below for alerts_stream (one taking a rh_scale_record_t). */
extern const alerts_record_format_t ALERTS_SCALE_FORMAT;

/* Once, before the first version: csv writes the BOM (if f->bom) and the header. */
int alerts_scale_format_begin(FILE *out, const alerts_fmt_t *f);

/* One version. */
int alerts_scale_format_one(FILE *out, const alerts_fmt_t *f, const rh_scale_record_t *r);

/* The table's line for a run that found nothing new (jsonl and csv write nothing). */
int alerts_scale_format_nothing(FILE *out, const alerts_fmt_t *f);

/* UTC ms -> the county's local "YYYY-MM-DD HH:MM" (UTC+08:00; buf at least 17 bytes). */
char *alerts_scale_local(int64_t ms, char *buf, size_t size);

#endif
