/*
 * rh_config: the one YAML configuration file of riskhub (config/riskhub.yaml).
 *
 * The file describes the county and its townships, the Kafka and PostgreSQL
 * connections, every department feed (kind, risk, the CSV headers the department
 * exports), the deadlines, named thresholds and the alert rules. The format is
 * described in docs/configuration.md.
 *
 * The optional section registry holds the import guard's setting
 * (registry.max_delete_share, a number from 0 to 1, default 0.05); the optional
 * section topics the replication of the topics riskhub creates
 * (topics.replication_factor, default 1; topics.min_insync_replicas, default
 * the broker's).
 *
 * Loading parses the whole file into a tree with line numbers (libyaml's
 * document API), then validates it. The first problem found is reported as
 *
 *     <file>:<line>:<column>: <key.path>: <message>
 *     riskhub.yaml:42:13: departments[3].feeds[0].kind: unknown kind 'signel'
 *         (expected signal, check or identity)
 *
 * (lines and columns count from 1; a missing key is reported at the mapping
 * that should hold it). Errors that have no position read "<file>: <message>".
 * Error messages never contain the PostgreSQL connection string, nor a Kafka
 * property value other than the one librdkafka itself quotes when an
 * enumerated or numeric property is invalid (never free text such as
 * sasl.password); they pass through rh_log_scrub() (no whole ID number).
 *
 * Environment overrides, applied after the file has been validated, by both
 * rh_config_load() and rh_config_load_string():
 *   RH_KAFKA_BOOTSTRAP  replaces kafka."bootstrap.servers"
 *   RH_PG_CONNINFO      replaces postgres.conninfo
 *   RH_TOPIC_PREFIX     replaces topic_prefix (validated like it; an invalid
 *                       value fails the load with "<file>: RH_TOPIC_PREFIX: ...")
 *   RH_ARCHIVE_DIR      replaces archive.dir
 *   RH_KEYS_DIR         replaces signing.keys_dir
 *   RH_KAFKA_CA         replaces kafka."ssl.ca.location"
 *   RH_KAFKA_CREDENTIALS replaces kafka_credentials
 *   RH_TOPIC_REPLICATION_FACTOR, RH_TOPIC_MIN_INSYNC_REPLICAS
 *                       replace topics.replication_factor / min_insync_replicas
 *                       (validated like them, "<file>: RH_TOPIC_...: ...")
 * An unset or empty variable changes nothing. The *_from_env flags say which
 * were applied (so a program can log where its broker list came from).
 *
 * Topic namespace: the optional top-level key topic_prefix (or RH_TOPIC_PREFIX)
 * is put in front of every topic name riskhub uses, so that several isolated
 * sets of topics (integration tests, a staging hub) can share one broker. It
 * is "" (no prefix, the default) or matches ^[a-z0-9][a-z0-9-]*\.$ and has at
 * most RH_CONFIG_TOPIC_PREFIX_MAX characters, e.g. "test-1a2b.". The feed
 * topics (rh_config_feed_t.topic) include it; every other topic name is built
 * with rh_config_topic() (or from cfg->topic_prefix). Programs put it in front
 * of their transactional ids and consumer group ids too, so that producers of
 * different namespaces do not fence each other.
 *
 * Ownership: rh_config_load*() return a new configuration owned by the caller
 * and freed with rh_config_destroy() (NULL is fine). Every pointer reachable
 * from it (strings, arrays, the feed/department/rule pointers, whatever the
 * lookups return) belongs to the configuration and lives until it is
 * destroyed. The configuration is never modified after loading, so any number
 * of threads may read it without locking. Loading reads the environment with
 * getenv(): do not call setenv() in another thread meanwhile.
 */
#ifndef RH_CONFIG_H
#define RH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- enumerations ---- */

typedef enum {
  RH_FEED_SIGNAL = 0, /* raises a risk warning */
  RH_FEED_CHECK,      /* compared with the applicants to be monitored */
  RH_FEED_IDENTITY    /* public security's identity data */
} rh_feed_kind_t;

/* The canonical fields a CSV column can map to (FeedRecord's fields). */
typedef enum {
  RH_COL_ID_NUMBER = 0,
  RH_COL_NAME,
  RH_COL_TOWNSHIP,
  RH_COL_VILLAGE,
  RH_COL_EVENT_DATE,
  RH_COL_AMOUNT,  /* yuan, as the department writes it */
  RH_COL_SUBTYPE, /* per-row DISASTER sub-type */
  RH_COL_COUNT
} rh_feed_column_t;

typedef enum { RH_SEVERITY_LOW = 0, RH_SEVERITY_MEDIUM, RH_SEVERITY_HIGH } rh_severity_t;

typedef enum {
  RH_OP_EQ = 0,
  RH_OP_NE,
  RH_OP_GT,
  RH_OP_GTE,
  RH_OP_LT,
  RH_OP_LTE,
  RH_OP_IN
} rh_rule_op_t;

/* Names as written in the YAML ("signal", "id_number", "high", "gte"). Static
 * strings; "?" for a value out of range. These cannot fail. */
const char *rh_feed_kind_name(rh_feed_kind_t kind);
const char *rh_feed_column_name(rh_feed_column_t col);
const char *rh_severity_name(rh_severity_t severity);
const char *rh_rule_op_name(rh_rule_op_t op);

/* Is s one of the risk codes (ILLNESS, ..., OTHER) / one of the DISASTER
 * sub-types (FLOOD, ..., OTHER)? Exact, case-sensitive. NULL gives false. */
bool rh_config_risk_valid(const char *s);
bool rh_config_risk_subtype_valid(const char *s);

/* ---- the configuration ---- */

/* The longest topic prefix, in bytes (the dot included). */
#define RH_CONFIG_TOPIC_PREFIX_MAX 64

typedef struct {
  const char *key;
  const char *value;
} rh_config_kv_t;

typedef struct {
  const char *code; /* 9 digits, starting with the county code */
  const char *name; /* e.g. 安陵镇 */
} rh_config_township_t;

typedef struct {
  const char *name;   /* fact name, e.g. disease ([a-z][a-z0-9_]*) */
  const char *header; /* CSV header, e.g. 病种 */
} rh_config_fact_t;

typedef struct rh_config_department_s rh_config_department_t;
typedef struct rh_config_rule_s rh_config_rule_t;

typedef struct {
  const char *code; /* [a-z][a-z0-9-]*, unique within the department */
  const char *name; /* e.g. 新增农村低保对象 */
  rh_feed_kind_t kind;
  const char *risk;         /* risk code for signal feeds; NULL otherwise */
  const char *risk_subtype; /* only with risk DISASTER; else NULL */
  /* CSV header for each canonical field, NULL if the feed has no such column.
   * columns[RH_COL_ID_NUMBER] is never NULL. */
  const char *columns[RH_COL_COUNT];
  /* Fields that must be non-empty in every row; required[RH_COL_ID_NUMBER] is
   * always true, and a required field always has a column. */
  bool required[RH_COL_COUNT];
  const rh_config_fact_t *facts; /* in file order */
  size_t fact_count;
  const rh_config_department_t *department; /* the department it belongs to */
  const char *topic;                        /* "<topic prefix>feed.<dept>.<feed>" */
  const rh_config_rule_t *const *rules;     /* rules on this feed, file order */
  size_t rule_count;
} rh_config_feed_t;

struct rh_config_department_s {
  const char *code; /* [a-z][a-z0-9-]*, unique */
  const char *name; /* e.g. 民政局 */
  const rh_config_feed_t *feeds;
  size_t feed_count; /* at least 1 */
  /* The department's own topics beside its feeds, under the same
   * "feed.<dept>." prefix that its principal alone may write (docs/security.md):
   * "<topic prefix>feed.<dept>.manifests", its BatchManifests, and
   * "<topic prefix>feed.<dept>.rejects", its RejectedRows. */
  const char *manifests_topic;
  const char *rejects_topic;
};

typedef struct {
  const char *field;     /* id_number ... subtype, facts.<name>, household.<x> */
  rh_rule_op_t op;
  const char *value;     /* the literal as written; NULL for in and threshold */
  const char *const *values; /* for in: the list (value_count >= 1); else NULL */
  size_t value_count;
  bool is_numeric;       /* number is meaningful (a numeric literal or threshold) */
  double number;         /* the literal as a number, or the threshold's value */
  const char *threshold; /* threshold name if the condition names one, else NULL */
} rh_config_condition_t;

struct rh_config_rule_s {
  const char *id;          /* [a-z0-9][a-z0-9-]*, unique */
  const char *description; /* NULL if none */
  const rh_config_department_t *department;
  const rh_config_feed_t *feed; /* always a signal feed */
  rh_severity_t severity;
  const char *risk; /* the rule's risk, or the feed's if the rule names none */
  const rh_config_condition_t *conditions; /* all must hold; may be empty */
  size_t condition_count;
};

/* A reason a township may give for not including a household it verified
 * (verification.not_included_reasons; common/rh_verify). */
typedef struct {
  const char *code;  /* [a-z][a-z0-9_]*, what a Verification record carries */
  const char *label; /* what a township official reads and may type instead */
} rh_config_reason_t;

typedef struct {
  int delivery_day;           /* lists due by this day of the following month, 1..28 */
  int home_visit_days;        /* warning verified at the household within */
  int comparison_days;        /* eligibility comparison within */
  int procedure_working_days; /* whole inclusion procedure within (working days) */
} rh_config_deadlines_t;

typedef struct {
  const char *name;
  double value;
} rh_config_threshold_t;

/* The registry import's guard (riskhub-registry import, docs/registry.md). */
#define RH_CONFIG_MAX_DELETE_SHARE_DEFAULT 0.05

typedef struct {
  /* An import that would delete more than this share of the households in the
   * database (0..1; 0.05 = 5 %) is refused unless --allow-shrink is given.
   * registry.max_delete_share; RH_CONFIG_MAX_DELETE_SHARE_DEFAULT if absent. */
  double max_delete_share;
} rh_config_registry_t;

/* The replication of the topics riskhub creates (docs/configuration.md, "topics"). */
#define RH_CONFIG_REPLICATION_MAX 16

/* The classes of topics with a retention of their own (topics.retention.<class>;
 * rh_config_topic_class). The join's changelog of published ids is compacted,
 * never deleted by time, and is no class. */
typedef enum {
  RH_TOPIC_OTHER = -1, /* not riskhub's (another prefix), the changelog, selftest */
  RH_TOPIC_FEEDS = 0,  /* feed.<department>.<feed> */
  RH_TOPIC_MANIFESTS,  /* feed.<department>.manifests (and feed.manifests, before 2026-12) */
  RH_TOPIC_REJECTS,    /* feed.<department>.rejects (and feed.rejects, before 2026-12) */
  RH_TOPIC_ALERTS,     /* alerts.<township>, alerts.unmatched, riskhub.scale-risks */
  RH_TOPIC_CHECKS,     /* checks.<township>, identity.<township> */
  RH_TOPIC_DLQ,        /* riskhub.dlq */
  RH_TOPIC_VERIFICATIONS, /* verifications.<township>: the townships' home visits (issue 11) */
  RH_TOPIC_OUTBOUND,      /* outbound.<department>.<kind>: the bureau's pushes (riskhub-push) */
  RH_TOPIC_CLASS_COUNT
} rh_topic_class_t;

/* A year's audit and the month before it: 400 days. */
#define RH_CONFIG_RETENTION_MS_DEFAULT (400LL * 86400000LL)
/* A segment a month: with lists written once a month, retention deletes a month at a time. */
#define RH_CONFIG_SEGMENT_MS_DEFAULT (30LL * 86400000LL)

typedef struct {
  /* topics.replication_factor (1..RH_CONFIG_REPLICATION_MAX, default 1), or
   * RH_TOPIC_REPLICATION_FACTOR. */
  int replication_factor;
  /* topics.min_insync_replicas (1..replication_factor), or
   * RH_TOPIC_MIN_INSYNC_REPLICAS; 0 (the default): not set on the topic, the
   * broker's min.insync.replicas applies. */
  int min_insync_replicas;
  /* topics.retention.<class>: how long the broker keeps a record of the class
   * (retention.ms of the topics riskhub creates), in ms; -1 "forever";
   * RH_CONFIG_RETENTION_MS_DEFAULT where the file says nothing. */
  int64_t retention_ms[RH_TOPIC_CLASS_COUNT];
  /* topics.segment: segment.ms of the topics of a class; default
   * RH_CONFIG_SEGMENT_MS_DEFAULT (never longer than the class's retention). */
  int64_t segment_ms;
} rh_config_topics_t;

/* The monthly archive (riskhub-replay --archive-due, docs/operations.md
 * "The monthly archive"). */
#define RH_CONFIG_ARCHIVE_GRACE_MS_DEFAULT (5LL * 86400000LL)

typedef struct {
  /* archive.dir: the folder that holds one folder a month (YYYY-MM); NULL
   * when the file says nothing (no archive is made or read). RH_ARCHIVE_DIR
   * replaces it. */
  const char *dir;
  /* archive.grace: how long after a month's delivery deadline it is
   * archived (a duration, as topics.retention; default 5d). */
  int64_t grace_ms;
} rh_config_archive_t;

/* The departments' signed lists (docs/security.md, "Signed lists"). */
typedef struct {
  /* signing.keys_dir: the folder of the departments' keys: <code>.pub, their
   * public keys (one a line; two while a key is rotated), read by every program
   * that reads manifests; <code>.key, a department's private key (0600), read by
   * riskhub-produce on that department's machine. NULL when the file says
   * nothing. RH_KEYS_DIR replaces it. */
  const char *keys_dir;
  /* signing.required (default true): a manifest without a signature is
   * refused. false only while departments move to signed lists; a signature
   * that does not verify is refused either way. */
  bool required;
} rh_config_signing_t;

/* Scale risks (规模性返贫风险, docs/scale.md): the warnings of one place and
 * month counted together (riskhub-scale). */
typedef enum { RH_PLACE_VILLAGE = 0, RH_PLACE_TOWNSHIP } rh_place_level_t;

typedef struct {
  const char *id;            /* [a-z][a-z0-9-]*, unique among the scale rules */
  rh_place_level_t place;    /* scale_risks.rules[].place: village or township */
  const char *const *risks;  /* the risk codes counted (at least one, no repeat) */
  size_t risk_count;
  /* all_risks: true: every risk of the list must reach min_households and
   * min_share in the place on its own (a combination, e.g. a disaster with the
   * drinking water); false (the default): a household warned with any counts */
  bool all_risks;
  /* Thresholds, all that are set must hold (at least one is set):
   * min_households (0: not set): households warned at least;
   * min_share (0: not set): that many of the place's households (registry), 0..1;
   * min_rise (0: not set): that many times the place's baseline, the mean of the
   * baseline_months before (a baseline of 0 is always risen above). */
  int min_households;
  double min_share;
  double min_rise;
} rh_config_scale_rule_t;

#define RH_CONFIG_BASELINE_MONTHS_DEFAULT 3

typedef struct {
  int baseline_months; /* scale_risks.baseline_months, 1..24, default 3 */
  const rh_config_scale_rule_t *rules; /* file order; none when the section is absent */
  size_t rule_count;
} rh_config_scale_t;

typedef struct rh_config_arena_s rh_config_arena_t; /* private */

typedef struct {
  const char *source; /* the file name used in error messages */
  const char *county_code; /* 6 digits, e.g. 411024 */
  const char *county_name; /* e.g. 鄢陵县 */

  const rh_config_kv_t *kafka; /* librdkafka properties, file order */
  size_t kafka_count;
  const char *kafka_bootstrap;    /* == the value of bootstrap.servers (never NULL) */
  bool kafka_bootstrap_from_env;  /* RH_KAFKA_BOOTSTRAP was applied */
  /* RH_KAFKA_CA: the certificate authority the brokers' TLS certificates are
   * checked against; replaces kafka."ssl.ca.location" (NULL: the file's). */
  const char *kafka_ca;
  /* kafka_credentials (or RH_KAFKA_CREDENTIALS): the file with this program's
   * Kafka principal and password (common/rh_kafka_auth.h); NULL: none (a
   * broker without SASL). */
  const char *kafka_credentials;

  const char *pg_conninfo;        /* libpq connection string; sensitive */
  bool pg_conninfo_from_env;      /* RH_PG_CONNINFO was applied */

  /* Put in front of every topic name: "" (the default) or e.g. "test-1a2b.";
   * never NULL. From topic_prefix, or RH_TOPIC_PREFIX. */
  const char *topic_prefix;
  bool topic_prefix_from_env;     /* RH_TOPIC_PREFIX was applied */

  const rh_config_township_t *townships; /* file order, at least 1 */
  size_t township_count;
  const rh_config_department_t *departments; /* file order, at least 1 */
  size_t department_count;
  rh_config_deadlines_t deadlines;
  const rh_config_threshold_t *thresholds; /* file order */
  size_t threshold_count;
  const rh_config_rule_t *rules; /* file order */
  size_t rule_count;
  rh_config_registry_t registry; /* optional section; defaults filled in */
  rh_config_topics_t topics;     /* optional section; defaults filled in */
  rh_config_archive_t archive;   /* optional section; defaults filled in */
  rh_config_signing_t signing;   /* optional section; defaults filled in */
  /* verification.not_included_reasons, file order; the built-in list
   * (rh_config.c) when the section is absent. At least one. */
  const rh_config_reason_t *reasons;
  size_t reason_count;
  rh_config_scale_t scale; /* optional section scale_risks; defaults filled in */

  rh_config_arena_t *arena_; /* private: owns all of the above */
} rh_config_t;

/* Read, parse and validate the file at path, then apply the environment
 * overrides. Returns a new configuration, or NULL with errstr filled (file not
 * readable with strerror text, YAML syntax error, empty file, validation
 * error; see the top of this header). errstr may be NULL. */
rh_config_t *rh_config_load(const char *path, char *errstr, size_t errstr_size);

/* The same from memory (yaml need not be NUL-terminated); name_for_errors
 * stands for the file name in messages (NULL: "<string>"). */
rh_config_t *rh_config_load_string(const char *yaml, size_t len, const char *name_for_errors,
                                   char *errstr, size_t errstr_size);

/* Frees everything. NULL does nothing. */
void rh_config_destroy(rh_config_t *cfg);

/* "village" or "township"; "?" out of range. */
const char *rh_place_level_name(rh_place_level_t level);

/* ---- lookups (NULL/-1 if not found; linear, the lists are short) ---- */

const rh_config_department_t *rh_config_department_find(const rh_config_t *cfg,
                                                        const char *code);
/* By department code and feed code. */
const rh_config_feed_t *rh_config_feed_find(const rh_config_t *cfg, const char *department,
                                            const char *feed);
/* By "department/feed", as rules name feeds. */
const rh_config_feed_t *rh_config_feed_find_ref(const rh_config_t *cfg, const char *ref);
/* By topic name, "<topic prefix>feed.<department>.<feed>" (the prefix is part
 * of the name: without it, or with another, nothing is found). */
const rh_config_feed_t *rh_config_feed_find_topic(const rh_config_t *cfg, const char *topic);

/* The class of a topic named with prefix (the configuration's topic_prefix):
 * RH_TOPIC_OTHER for a name without it or of no class. "manifests" and
 * "rejects" are no feed's code (the configuration refuses them). */
rh_topic_class_t rh_config_topic_class(const char *prefix, const char *topic);

/* Every department's manifests (RH_TOPIC_MANIFESTS) or rejects topic, in the
 * configuration's order: fills names[0..cfg->department_count) with pointers
 * into cfg (size at least department_count). Returns the count. */
size_t rh_config_department_topics(const rh_config_t *cfg, rh_topic_class_t cls,
                                   const char **names);

/* The topic every department shared before 2026-12 for a class:
 * "<prefix>feed.manifests" (RH_TOPIC_MANIFESTS) or "<prefix>feed.rejects"
 * (RH_TOPIC_REJECTS), which nobody may write any more (riskhub-acl's plan) and
 * which the readers of whole months (riskhub-replay, riskhub-status --source
 * topics) still read, for the months published then. 0, or -1 (another class,
 * or it does not fit in size). */
int rh_config_legacy_topic(const rh_config_t *cfg, rh_topic_class_t cls, char *buf, size_t size);

/* "feeds", "manifests", ... (the YAML keys of topics.retention); NULL for OTHER. */
const char *rh_topic_class_name(rh_topic_class_t c);
/* By 9-digit code (411024100), full name (安陵镇), or the name without its
 * trailing 镇/乡 (安陵), as department lists often write it. */
const rh_config_township_t *rh_config_township_find(const rh_config_t *cfg,
                                                    const char *code_or_name);
const rh_config_rule_t *rh_config_rule_find(const rh_config_t *cfg, const char *id);
/* 0 and *out set, or -1 if there is no threshold of that name (*out untouched). */
int rh_config_threshold(const rh_config_t *cfg, const char *name, double *out);
/* The full name of a topic in this configuration's namespace: writes
 * cfg->topic_prefix followed by name ("alerts.411024100", "alerts.unmatched",
 * "riskhub.dlq", ...) to buf, NUL-terminated. Returns 0, or -1 if it does not
 * fit in size bytes (buf is then "" if size > 0) or name or buf is NULL. */
int rh_config_topic(const rh_config_t *cfg, const char *name, char *buf, size_t size);

/* The value of a Kafka property as configured (after overrides), or NULL. */
const char *rh_config_kafka_get(const rh_config_t *cfg, const char *key);

/* riskhub's transaction timeout when the config sets none: a transaction lives
 * at most a minute. */
#define RH_TXN_TIMEOUT_DEFAULT_MS 60000
/* The transactional producers' transaction.timeout.ms: the config's
 * kafka."transaction.timeout.ms" when it is a positive integer, else
 * RH_TXN_TIMEOUT_DEFAULT_MS. Who waits for a dead producer's transaction to be
 * aborted by the coordinator waits this plus the coordinator's scan. */
int64_t rh_config_txn_timeout_ms(const rh_config_t *cfg);

#endif
