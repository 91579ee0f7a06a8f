/*
 * alerts_mask: what riskhub-alerts shows of ID numbers unless --unmasked.
 *
 * - The person's ID number: rh_id_mask (first 6 and last 4 kept,
 *   411024********0016).
 * - Free text a department or the registry wrote (facts, reason, village,
 *   names): ID numbers also hide inside text, e.g. a disability certificate
 *   number is the holder's ID number and two more digits, a guardian's ID in
 *   a remark. Every run of ID characters ([0-9Xx]) holding at least 15 digits
 *   (old 15-digit IDs, 18-character IDs, and anything longer that contains
 *   one: certificate and bank account numbers) keeps its first 6 and last 4
 *   characters and has the rest replaced by '*'. Shorter runs (amounts,
 *   dates, phone numbers, household numbers with their dashes) stay.
 *
 * Pure functions, thread-safe, no allocation; they cannot fail.
 */
#ifndef ALERTS_MASK_H
#define ALERTS_MASK_H

#include <stdbool.h>
#include <stddef.h>

/* Does s contain a run that alerts_mask_text would mask? NULL: false. */
bool alerts_mask_needed(const char *s);

/* Mask s into out (out_size bytes; output is as long as the input, truncated
 * to fit and always NUL-terminated when out_size > 0). Returns out. s NULL
 * gives "". out may not overlap s. */
char *alerts_mask_text(const char *s, char *out, size_t out_size);

#endif
