/*
 * join_identity: public security's identity list compared with the registry
 * (issue 15, "Public security verifies identities and families";
 * docs/identity.md). The comparison only: nothing here publishes, reads
 * Kafka or PostgreSQL; the join wires it in later (docs/identity.md, "Not
 * wired yet").
 *
 * Two levels:
 *   - one person: join_identity_compare() takes one identity FeedRecord and
 *     the registry map and gives that person's discrepancies (name, township,
 *     village, relation to the head; birth date and sex against the person's
 *     own ID number; not in the registry at all);
 *   - one household: the list's ID numbers and household numbers (户号) go
 *     into a join_identity_list_t; join_identity_household() then gives, for
 *     a registry household the list covers (names at least one member of),
 *     the registry members the list lacks and the list persons the registry
 *     lacks in the same police household.
 *
 * Every discrepancy has a stable id (join_identity_id: SHA-256 over a version
 * tag, the ID number, the kind's code and the period) so that the join can
 * publish it once and close it when it no longer appears.
 *
 * Ownership: a discrepancy is a plain struct with its own copies of every
 * text (no pointer into the map or the record), so it outlives a registry
 * catch-up. A join_identity_list_t is the caller's (_new / _destroy; NULL
 * does nothing) and copies what it is given.
 *
 * Personal data: a discrepancy holds the full ID number (the record's key
 * and its id need it) and names; nothing here prints, logs or formats them,
 * and errstr texts carry masked IDs only (rh_id_mask).
 *
 * Threads: the functions only read the map and the list; any number may run
 * at once while nobody changes either. Failure: -1 with errstr (an ID number
 * that is not one) or out of memory, as each function says.
 */
#ifndef JOIN_IDENTITY_H
#define JOIN_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include "rh_config.h"
#include "rh_feedrecord.h"
#include "rh_hash.h"
#include "rh_idnum.h"
#include "rh_regmap.h"

/* The facts an identity feed carries (config/riskhub.yaml,
 * public-security/identity: 户号, 与户主关系, 性别, 出生日期). */
#define JOIN_IDENTITY_FACT_HOUSEHOLD_NUMBER "household_number"
#define JOIN_IDENTITY_FACT_RELATION "relation_to_head"
#define JOIN_IDENTITY_FACT_SEX "sex"
#define JOIN_IDENTITY_FACT_BIRTH_DATE "birth_date"

typedef enum {
  JOIN_IDENTITY_NOT_IN_REGISTRY = 0,       /* the ID is not in the registry */
  JOIN_IDENTITY_NAME_DIFFERS,              /* 姓名不一致 */
  JOIN_IDENTITY_OTHER_TOWNSHIP,            /* the list's township is not the household's */
  JOIN_IDENTITY_OTHER_VILLAGE,             /* same township, another village */
  JOIN_IDENTITY_RELATION_DIFFERS,          /* 与户主关系不一致 */
  JOIN_IDENTITY_BIRTH_DATE_CONTRADICTS_ID, /* birth_date fact vs the ID's digits 7-14 */
  JOIN_IDENTITY_SEX_CONTRADICTS_ID,        /* sex fact vs the parity of the ID's 17th digit */
  JOIN_IDENTITY_MEMBER_MISSING_FROM_LIST,  /* a registry member of a covered household */
  JOIN_IDENTITY_MEMBER_MISSING_FROM_REGISTRY, /* a list person in the covered household's 户号 */
  JOIN_IDENTITY_OTHER_HOUSEHOLD, /* the list files a person with another registry household */
  JOIN_IDENTITY_KIND_COUNT
} join_identity_kind_t;

/* At most this many discrepancies one record gives (NOT_IN_REGISTRY with
 * the two ID kinds, or name, township or village, relation and the two). */
#define JOIN_IDENTITY_PERSON_MAX 6
/* Room for one value; a longer one is cut at a character boundary (a name
 * of 31 Chinese characters still fits). */
#define JOIN_IDENTITY_VALUE_BUFSZ 96
/* The longest household number (户号) the list index takes, in bytes. */
#define JOIN_IDENTITY_HHNO_MAX 32

typedef struct {
  join_identity_kind_t kind;
  char id_number[RH_ID_BUFSZ];  /* the person's, normalised; never print it */
  /* The registry household concerned ("" if none: NOT_IN_REGISTRY). */
  char household_id[RH_REGMAP_HHID_BUFSZ];
  /* The township that keeps the record and corrects it: the registry
   * household's; for NOT_IN_REGISTRY the list's township resolved to its
   * code, "" when the list gives none the configuration knows. */
  char township_code[16];
  /* What the registry says and what the list says, "" where there is none
   * (kinds below). For the two *_CONTRADICTS_ID kinds the registry side is
   * what the ID number itself says (YYYY-MM-DD; 男 / 女). Relations: the
   * registry's code (head, spouse, ...) and the list's word as written. */
  char registry_value[JOIN_IDENTITY_VALUE_BUFSZ];
  char list_value[JOIN_IDENTITY_VALUE_BUFSZ];
} join_identity_discrepancy_t;

/* What was compared, and what could not be read. Functions add to it (+=),
 * so one struct can sum a whole list; zero it first. */
typedef struct {
  uint64_t records;                       /* persons compared */
  uint64_t found[JOIN_IDENTITY_KIND_COUNT];
  /* A value the comparison cannot read is no discrepancy, only counted. */
  uint64_t relation_unreadable, sex_unreadable, birth_date_unreadable, township_unreadable;
  uint64_t households_compared;           /* covered households */
  /* Covered households whose police household could not be told
   * (docs/identity.md, "Households"): missing-from-registry not judged. */
  uint64_t households_ambiguous, households_without_number;
} join_identity_counts_t;

/* The kind's code ("NAME_DIFFERS", ...): static, never translated; "?" for a
 * value outside the enum. _parse: 0 and *out, or -1 if unknown. */
const char *join_identity_kind_str(join_identity_kind_t k);
int join_identity_kind_parse(const char *s, join_identity_kind_t *out);

/* hex SHA-256 over "riskhub-identity-v1", the ID number, the kind's code and
 * the period (YYYY-MM), each followed by a NUL (rh_sha256_parts): the same
 * person, kind and month give the same id whatever the values, so a list
 * published again, or the same discrepancy found by a second run after a
 * registry change, is one discrepancy. Cannot fail. */
void join_identity_id(const char *id_number, join_identity_kind_t kind, const char *period,
                      char out[RH_SHA256_HEXSZ]);

/* The registry's relation for a word of the list (户主, 夫, 妻, 子, 女, 父亲,
 * 母亲, 孙子, 孙女, 兄弟, 姐妹, 其他, a few more in docs/identity.md, or the
 * registry's own codes: head, spouse, ...); surrounding blanks ignored.
 * 0 and *out, or -1 for a word it does not know. */
int join_identity_relation_parse(const char *word, rh_regmap_relation_t *out);

/* One identity record against the registry: its discrepancies into out
 * (JOIN_IDENTITY_PERSON_MAX of them at most, in the order of the enum).
 * Returns how many (0: none), or -1 with errstr (masked) when r->id_number
 * is not a valid ID number (the producer lets none through: a record that
 * has one did not come from it). cfg resolves the township (code, name or
 * short name: rh_config_township_find); counts may be NULL. Empty optional
 * fields are not compared (docs/identity.md, "Rules"). */
int join_identity_compare(const rh_config_t *cfg, const rh_regmap_t *map, const rh_feedrecord_t *r,
                          join_identity_discrepancy_t out[JOIN_IDENTITY_PERSON_MAX],
                          join_identity_counts_t *counts, char *errstr, size_t errstr_size);

/* ---- households ----------------------------------------------------------- */

/* The persons one list names: ID numbers and their household numbers. */
typedef struct join_identity_list join_identity_list_t;

/* An empty list index; NULL out of memory. */
join_identity_list_t *join_identity_list_new(void);
void join_identity_list_destroy(join_identity_list_t *l);

/* Add a person the list names. household_number: the 户号 as written (blanks
 * trimmed; NULL or "" none; longer than JOIN_IDENTITY_HHNO_MAX: taken as
 * none). 0 added, 1 the ID was there already (the first row stands), -1 not
 * an ID number's shape or out of memory (the index is as before). */
int join_identity_list_add(join_identity_list_t *l, const char *id_number,
                           const char *household_number);
size_t join_identity_list_count(const join_identity_list_t *l);

/* One discrepancy found: 0 to go on, non-zero to stop. */
typedef int(join_identity_fn)(void *arg, const join_identity_discrepancy_t *d);

/* One registry household h against the list. Covered (the list names at
 * least one member of h) or not: if not, nothing is compared and 0 is
 * returned. Else fn is called for
 *   - every member of h the list does not name (MEMBER_MISSING_FROM_LIST),
 *   - every list person the registry does not have whose 户号 is the one
 *     that h's listed members share, when that 户号 belongs to h alone among
 *     the registry persons the list names (MEMBER_MISSING_FROM_REGISTRY;
 *     otherwise counted ambiguous or without a number and not judged).
 * Missing members first (head first), then the strangers (the list's last
 * row first). Such a stranger is also NOT_IN_REGISTRY for
 * join_identity_compare: that one says "nobody knows this person", this one
 * "and the police put them in h" (docs/identity.md).
 * Returns the number of discrepancies, or -1 if fn stopped the walk. */
int join_identity_household(const join_identity_list_t *l, const rh_regmap_t *map,
                            const rh_regmap_household_t *h, join_identity_fn *fn, void *arg,
                            join_identity_counts_t *counts);

/* Persons the list files in another household than the registry does
 * (OTHER_HOUSEHOLD): for every 户号 of the list under which more than half of
 * the registry persons it files belong to one registry household H, each other
 * registry person filed there (whose registry household is not H). The
 * discrepancy is the person's own record: their registry household and
 * township; registry value their household id, list value H's household id.
 * A 户号 without such a majority is not judged (which of two households is
 * the police's?). Returns the number found, or -1 if fn stopped the walk. */
int join_identity_list_moved(const join_identity_list_t *l, const rh_regmap_t *map,
                             join_identity_fn *fn, void *arg, join_identity_counts_t *counts);

/* join_identity_household for every registry household the list covers,
 * each once (in the order the list first names one of its members).
 * Returns the number of discrepancies, or -1 (fn stopped it, or out of
 * memory: errstr). */
int join_identity_list_households(const join_identity_list_t *l, const rh_regmap_t *map,
                                  join_identity_fn *fn, void *arg, join_identity_counts_t *counts,
                                  char *errstr, size_t errstr_size);

#endif
