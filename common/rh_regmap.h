/*
 * rh_regmap: the household registry in memory, for the join service
 * (docs/join.md, "State"; docs/registry.md).
 *
 * What it holds, from the tables of consumers/registry/migrations/001_registry.sql:
 *   household: household_id, township_code, village, household type,
 *              monitoring category, risk eliminated (and the month), income
 *              per capita in fen, the head's ID number, its members;
 *   person:    ID number, household, name, relation to the head.
 * Nothing else (no birth date, health, ...): the join needs no more.
 *
 * Files: rh_regmap.c the map itself; rh_regmap_load.c the load and the
 * catch-up from PostgreSQL (with rh_copy for the COPY text rows);
 * rh_regmap_internal.h what the two share. What rh_rules asks about a
 * household is built by the join (join_transform_rule_household).
 *
 * Loading: rh_regmap_load() reads both tables with COPY (SELECT ...) TO STDOUT
 * (text format), households first, then members, in ONE REPEATABLE READ
 * transaction that also reads max(registry_changes.change_id): the map is one
 * consistent snapshot and knows exactly which change it contains last (its
 * watermark). 649,000 persons and 200,000 households load in 0.5-1.3 s on
 * a shared 2-core VM, about as fast as psql COPYs the same rows to
 * /dev/null (scripts/bench_regmap.sh).
 *
 * Live changes: rh_regmap_catch_up() reads the registry_changes rows after
 * the watermark, re-reads the current rows of the households and members
 * they name (in one REPEATABLE READ snapshot), and only when everything was
 * read applies it all at once and advances the watermark to the last change
 * of that snapshot. A row that is gone is deleted from the map, a row that is
 * there is inserted or updated (a person moving to another household, a
 * household's type or risk_eliminated changing, a new head, ...). The
 * ordering contract of registry_changes (migration 002: change ids become
 * visible in order) makes "everything after the watermark" exact. Very many
 * changes at once (more than the reload threshold, default
 * RH_REGMAP_RELOAD_CHANGES: a re-import), a change log that went backwards
 * (a restored database), a log pruned past the watermark (its oldest row
 * above watermark + 1) or a log that does not agree with the tables make
 * catch_up reload the whole map instead (same result, reported in the
 * catch-up figures). Typical use in the join's loop, between transactions:
 *
 *     rh_regmap_listen(conn, ...);              // before loading: no change missed
 *     map = rh_regmap_load(conn, ...);
 *     for (;;) {
 *       ... one consume-transform-produce transaction, rh_regmap_find() ...
 *       if (rh_regmap_poll_notify(conn) != 0 || every few seconds)
 *         if (rh_regmap_catch_up(map, conn, &cu, err, sizeof err) != 0 &&
 *             rh_pg_connection_lost(conn)) { reconnect, listen again, retry later }
 *     }
 *
 * Memory: persons and households live in chunked slabs (no allocation per
 * entry), found through open-addressing hash tables (rh_map_t: linear probing,
 * 16-byte slots, at most 3/4 full) keyed by the packed ID number (17 digits and
 * the check character in one uint64) and the packed household number; names are
 * copied into a string arena, townships and villages interned once. The
 * full county (649,000 persons, 200,000 households) takes 66 MiB; lookups
 * run at 4.5-8 million a second on one core, present or absent. A full
 * reload holds the old and the new map for a moment, and blocks the caller
 * as long as a load; a catch-up of 11,000 changes takes ~0.3 s, of one
 * change ~2 ms, of none ~1 ms.
 *
 * Thread-safety: none inside. Lookups (find, household, members, head,
 * each_household, stats) only read, so any number of threads may look up at
 * once while nobody changes the map. rh_regmap_catch_up(), rh_regmap_put_*(),
 * rh_regmap_delete_*() need the map to themselves: the join calls catch_up
 * from its own loop between transactions (single-threaded).
 *
 * Ownership and lifetime: rh_regmap_new/load return a map the caller frees
 * with rh_regmap_destroy (NULL does nothing). Every pointer a lookup returns
 * (persons, households, names, township codes, villages) belongs to the map
 * and stays valid until the next change to the map (catch_up, put, delete)
 * or destroy: look up again after a catch-up. The map never keeps the
 * PGconn. load and catch_up need it idle (a connection inside the caller's
 * transaction is refused and left as it is) and leave it idle, or broken.
 *
 * Failure: functions at the module boundary return 0 or -1 and fill errstr
 * (never a name, never a full ID number: IDs are masked with rh_id_mask).
 * On -1 from load nothing is returned; on -1 from catch_up the map is exactly
 * as before (a batch is applied only after it was read completely and every
 * allocation it needs was made). If the database went away,
 * rh_pg_connection_lost(conn) is true afterwards: reconnect and call again.
 * Logging: one info line a load and a catch-up that applied something, with
 * counts only; a warning when catch_up reloads, saying why.
 */
#ifndef RH_REGMAP_H
#define RH_REGMAP_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rh_idnum.h"

/* "411024100-007-0123": 9-digit township, 3-digit village, 4-digit household */
#define RH_REGMAP_HHID_LEN 18
#define RH_REGMAP_HHID_BUFSZ 19
/* Above this many pending changes catch_up reloads the whole map. */
#define RH_REGMAP_RELOAD_CHANGES 50000
/* The channel registry_changes' triggers NOTIFY. */
#define RH_REGMAP_CHANNEL "riskhub_registry"

typedef enum {
  RH_REGMAP_HH_POVERTY_ALLEVIATED = 0, /* poverty_alleviated 脱贫户 */
  RH_REGMAP_HH_MONITORED,              /* monitored 监测户 */
  RH_REGMAP_HH_ORDINARY                /* ordinary 一般农户 */
} rh_regmap_hhtype_t;

typedef enum {
  RH_REGMAP_CAT_NONE = 0,        /* not a monitored household */
  RH_REGMAP_CAT_UNSTABLE,        /* unstable 脱贫不稳定户 */
  RH_REGMAP_CAT_MARGINAL,        /* marginal 边缘易致贫户 */
  RH_REGMAP_CAT_SUDDEN_HARDSHIP  /* sudden_hardship 突发严重困难户 */
} rh_regmap_category_t;

typedef enum {
  RH_REGMAP_REL_HEAD = 0,
  RH_REGMAP_REL_SPOUSE,
  RH_REGMAP_REL_CHILD,
  RH_REGMAP_REL_PARENT,
  RH_REGMAP_REL_GRANDCHILD,
  RH_REGMAP_REL_SIBLING,
  RH_REGMAP_REL_OTHER
} rh_regmap_relation_t;

/* A household. Read-only for callers; fields marked internal are the map's. */
typedef struct rh_regmap_household {
  char household_id[RH_REGMAP_HHID_BUFSZ];
  bool risk_eliminated;
  rh_regmap_hhtype_t type;
  rh_regmap_category_t category; /* RH_REGMAP_CAT_NONE unless monitored */
  int32_t eliminated_month;      /* YYYYMM (202403), 0 when not eliminated */
  const char *township_code;     /* 9 digits */
  const char *village;
  int64_t income_per_capita_fen;
  uint32_t member_count;
  /* internal */
  uint32_t first_member;
  uint64_t key, head_key;
} rh_regmap_household_t;

/* A person. Read-only for callers; fields marked internal are the map's. */
typedef struct rh_regmap_person {
  const rh_regmap_household_t *household;
  const char *name; /* UTF-8 */
  rh_regmap_relation_t relation;
  /* internal */
  uint32_t next_member;
  uint64_t key;
} rh_regmap_person_t;

typedef struct rh_regmap rh_regmap_t;

/* ---- building and loading ------------------------------------------------ */

/* An empty map (watermark 0). NULL only if out of memory. */
rh_regmap_t *rh_regmap_new(void);

/* Load the registry through conn (idle, connected to a migrated database):
 * a new map, or NULL with errstr ("loading the registry: ..."). Logs one info
 * line (counts, seconds). conn is left idle, or broken if the server went away
 * (rh_pg_connection_lost). */
rh_regmap_t *rh_regmap_load(PGconn *conn, char *errstr, size_t errstr_size);

void rh_regmap_destroy(rh_regmap_t *m);

/* ---- lookups (read only; pointers valid until the map changes) ---------- */

/* The person with this ID number (18 characters, NUL-terminated; a lower-case
 * x is taken as X), or NULL: not in the registry, or not shaped like an ID. */
const rh_regmap_person_t *rh_regmap_find(const rh_regmap_t *m, const char *id18);
/* The same by packed key (rh_regmap_pack_id). */
const rh_regmap_person_t *rh_regmap_find_key(const rh_regmap_t *m, uint64_t key);

/* The household with this number, or NULL. */
const rh_regmap_household_t *rh_regmap_household(const rh_regmap_t *m, const char *household_id);

/* Members of h: the head first, then the others in the order they came.
 *   for (p = rh_regmap_first_member(m, h); p; p = rh_regmap_next_member(m, p)) */
const rh_regmap_person_t *rh_regmap_first_member(const rh_regmap_t *m,
                                                 const rh_regmap_household_t *h);
const rh_regmap_person_t *rh_regmap_next_member(const rh_regmap_t *m,
                                                const rh_regmap_person_t *p);

/* The head (households.head_id_number) if it is a member of h, else NULL. */
const rh_regmap_person_t *rh_regmap_head(const rh_regmap_t *m, const rh_regmap_household_t *h);

/* p's ID number, 18 characters and a NUL. */
void rh_regmap_person_id(const rh_regmap_person_t *p, char out[RH_ID_BUFSZ]);

/* Call fn for every household (in no particular order) until it returns
 * non-zero; returns that value, or 0. fn must not change the map. */
int rh_regmap_each_household(const rh_regmap_t *m,
                             int (*fn)(const rh_regmap_household_t *h, void *arg), void *arg);

typedef struct {
  size_t households, persons;
  int64_t watermark;      /* last registry_changes.change_id contained */
  size_t bytes;           /* memory the map holds (slabs, tables, arena) */
  size_t garbage_bytes;   /* arena bytes of names replaced or deleted */
} rh_regmap_stats_t;

void rh_regmap_stats(const rh_regmap_t *m, rh_regmap_stats_t *out);
int64_t rh_regmap_watermark(const rh_regmap_t *m);

/* ---- live changes --------------------------------------------------------- */

typedef struct {
  uint64_t changes;        /* registry_changes rows read (0: nothing new) */
  int64_t watermark;       /* after the call */
  uint32_t households_inserted, households_updated, households_unchanged,
      households_deleted;
  uint32_t persons_inserted, persons_updated, persons_unchanged, persons_deleted;
  bool reloaded;           /* the whole map was reloaded (counts above stay 0) */
  double seconds;
} rh_regmap_catchup_t;

/* Apply the registry changes after the watermark (see the top of this file).
 * conn must be idle (not inside a transaction). 0 with *out filled (out may
 * be NULL), or -1 with errstr and the map unchanged. "updated" counts rows
 * whose data the map holds changed; "unchanged" rows changed only in columns
 * the map does not keep (health, ...). */
int rh_regmap_catch_up(rh_regmap_t *m, PGconn *conn, rh_regmap_catchup_t *out, char *errstr,
                       size_t errstr_size);

/* More pending changes than this make catch_up reload (0: the default). */
void rh_regmap_set_reload_threshold(rh_regmap_t *m, size_t changes);

/* LISTEN riskhub_registry on conn. 0, or -1 with errstr. A connection made
 * anew must listen again. */
int rh_regmap_listen(PGconn *conn, char *errstr, size_t errstr_size);

/* Without blocking: read what the server sent and drain the notifications.
 * 1 if riskhub_registry was notified since the last call, 0 if not, -1 if the
 * connection is broken. For a select/poll loop, wait on PQsocket(conn). */
int rh_regmap_poll_notify(PGconn *conn);

/* ---- changing the map by hand (catch_up's building blocks; tests) --------
 * Each is one complete change; -1 with errstr leaves the map as it was. */

typedef struct {
  const char *household_id, *township_code, *village;
  rh_regmap_hhtype_t type;
  rh_regmap_category_t category;
  bool risk_eliminated;
  int32_t eliminated_month;
  int64_t income_per_capita_fen;
  const char *head_id_number;
} rh_regmap_household_row_t;

/* Insert or update a household (its members stay). */
int rh_regmap_put_household(rh_regmap_t *m, const rh_regmap_household_row_t *row, char *errstr,
                            size_t errstr_size);
/* Insert or update a person; its household must be in the map. A changed
 * household moves the person. */
int rh_regmap_put_person(rh_regmap_t *m, const char *id_number, const char *household_id,
                         const char *name, rh_regmap_relation_t relation, char *errstr,
                         size_t errstr_size);
/* 1 deleted, 0 not there. */
int rh_regmap_delete_person(rh_regmap_t *m, const char *id_number);
/* 1 deleted, 0 not there, -1 (errstr) while it still has members. */
int rh_regmap_delete_household(rh_regmap_t *m, const char *household_id, char *errstr,
                               size_t errstr_size);

/* ---- codes ---------------------------------------------------------------
 * The database's codes (migration 001). _str: static strings ("?" for a value
 * outside the enum; NULL for RH_REGMAP_CAT_NONE). _parse: 0, or -1 if unknown. */
const char *rh_regmap_hhtype_str(rh_regmap_hhtype_t t);
const char *rh_regmap_category_str(rh_regmap_category_t c);
const char *rh_regmap_relation_str(rh_regmap_relation_t r);
int rh_regmap_hhtype_parse(const char *s, rh_regmap_hhtype_t *out);
int rh_regmap_category_parse(const char *s, rh_regmap_category_t *out); /* NULL/"" → NONE */
int rh_regmap_relation_parse(const char *s, rh_regmap_relation_t *out);

/* ---- building blocks, pure (exposed for tests) --------------------------- */

/* An ID number (17 digits and a digit or X/x, exactly len 18) → a key
 * (digits * 11 + check + 1; never 0). 0 if not of that shape. The check
 * character is not verified: the map holds what the registry holds. */
uint64_t rh_regmap_pack_id(const char *id, size_t len);
void rh_regmap_unpack_id(uint64_t key, char out[RH_ID_BUFSZ]);
/* "TTTTTTTTT-VVV-HHHH" → its 16 digits + 1; 0 if not of that shape. */
uint64_t rh_regmap_pack_household_id(const char *s, size_t len);
void rh_regmap_unpack_household_id(uint64_t key, char out[RH_REGMAP_HHID_BUFSZ]);

#endif
