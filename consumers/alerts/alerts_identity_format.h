/*
 * alerts_identity_format: what riskhub-alerts --identity writes (docs/alerts.md,
 * "Identity discrepancies"): one entry a version of a discrepancy between
 * public security's identity list and the registry (rh_discrepancy.h), in the
 * order read from the townships' topics identity.<code>.
 *
 * - table: one line for a person:
 *     2026-10 [OPEN 待纠正] v1 安陵镇 (411024100) 姓名不一致 NAME_DIFFERS 411024********0016
 *     户 411024100-001-0007: 系统 张三 / 公安 张三某, 始于 2026-11-03 09:30 UTC+08:00
 *   (one line; a value that is empty: —; no household: 户 —; since in the
 *   county's time).
 * - jsonl: one JSON object a line: every field of Discrepancy.avsc in its
 *   order, kind_label after kind and township_name after township_code (null
 *   when unknown), since and created_at "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC).
 * - csv: RFC 4180 (CRLF), UTF-8 with a byte order mark unless bom is false; a
 *   header row, then the jsonl fields.
 *
 * Masking, whatever f->unmasked says: person_id_number through rh_id_mask;
 * the registry's and the list's values (names among them: shown, as the
 * warnings show names) with every ID-like run masked (alerts_mask.h).
 * Identifiers (discrepancy id, household id, batch id) are not changed.
 *
 * Functions write to out and return 0, or -1 when a write failed.
 */
#ifndef ALERTS_IDENTITY_FORMAT_H
#define ALERTS_IDENTITY_FORMAT_H

#include <stdio.h>

#include "alerts_format.h"
#include "rh_discrepancy.h"

/* The three below for alerts_stream (one taking a rh_discrepancy_t). */
extern const alerts_record_format_t ALERTS_IDENTITY_FORMAT;

/* Once, before the first version: csv writes the BOM (if f->bom) and the header. */
int alerts_identity_format_begin(FILE *out, const alerts_fmt_t *f);

/* One version. */
int alerts_identity_format_one(FILE *out, const alerts_fmt_t *f, const rh_discrepancy_t *d);

/* The table's line for a run that found nothing new (jsonl and csv write nothing). */
int alerts_identity_format_nothing(FILE *out, const alerts_fmt_t *f);

/* "待纠正", "有变化", "已纠正"; "?" out of range. */
const char *alerts_identity_status_label(rh_disc_status_t s);

#endif
