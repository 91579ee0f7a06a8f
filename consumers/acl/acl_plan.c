#include "acl_plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_err.h"
#include "rh_outbound.h"

int acl_list_add(acl_list_t *l, const acl_entry_t *e) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 64;
    acl_entry_t *v = realloc(l->v, cap * sizeof *v);
    if (!v) return -1;
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n++] = *e;
  return 0;
}

int acl_entry_cmp(const void *pa, const void *pb) {
  const acl_entry_t *a = pa, *b = pb;
  int c;
  if ((c = strcmp(a->principal, b->principal))) return c;
  if (a->type != b->type) return a->type < b->type ? -1 : 1;
  if ((c = strcmp(a->name, b->name))) return c;
  if (a->pattern != b->pattern) return a->pattern < b->pattern ? -1 : 1;
  if (a->op != b->op) return a->op < b->op ? -1 : 1;
  if (a->permission != b->permission) return a->permission < b->permission ? -1 : 1;
  return strcmp(a->host, b->host);
}

void acl_list_sort(acl_list_t *l) {
  if (!l->n) return;
  qsort(l->v, l->n, sizeof *l->v, acl_entry_cmp);
  size_t w = 1;
  for (size_t r = 1; r < l->n; r++)
    if (acl_entry_cmp(&l->v[w - 1], &l->v[r])) l->v[w++] = l->v[r];
  l->n = w;
}

bool acl_list_has(const acl_list_t *l, const acl_entry_t *e) {
  return l->n && bsearch(e, l->v, l->n, sizeof *l->v, acl_entry_cmp) != NULL;
}

void acl_list_free(acl_list_t *l) {
  free(l->v);
  memset(l, 0, sizeof *l);
}

/* ---- building the plan ---- */

typedef struct {
  const rh_config_t *cfg;
  acl_list_t *out;
  char principal[ACL_PRINCIPAL_MAX];
  int rc;
  char *errstr;
  size_t errstr_size;
} builder_t;

static void who(builder_t *b, const char *kind, const char *code) {
  if ((size_t)snprintf(b->principal, sizeof b->principal, "User:%s%s%s", b->cfg->topic_prefix,
                       kind, code) >= sizeof b->principal && b->rc == 0) {
    rh_errf(b->errstr, b->errstr_size, "principal User:%s%s%s: longer than %d bytes",
            b->cfg->topic_prefix, kind, code, ACL_PRINCIPAL_MAX - 1);
    b->rc = -1;
  }
}

/* Allow the current principal ops (a list ending in 0) on <prefix>name. */
static void allow(builder_t *b, rd_kafka_ResourceType_t type, rd_kafka_ResourcePatternType_t pat,
                  const char *name, const rd_kafka_AclOperation_t *ops) {
  if (b->rc) return;
  acl_entry_t e = {.type = type, .pattern = pat, .op = 0,
                   .permission = RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW};
  if ((size_t)snprintf(e.name, sizeof e.name, "%s%s", b->cfg->topic_prefix, name) >=
      sizeof e.name) {
    rh_errf(b->errstr, b->errstr_size, "resource name %s%s: longer than %d bytes",
            b->cfg->topic_prefix, name, ACL_NAME_MAX - 1);
    b->rc = -1;
    return;
  }
  memcpy(e.principal, b->principal, sizeof e.principal);
  strcpy(e.host, "*");
  for (; *ops; ops++) {
    e.op = *ops;
    if (acl_list_add(b->out, &e)) {
      rh_errf(b->errstr, b->errstr_size, "out of memory for the plan");
      b->rc = -1;
      return;
    }
  }
}

#define TOPIC RD_KAFKA_RESOURCE_TOPIC
#define GROUP RD_KAFKA_RESOURCE_GROUP
#define TXN ACL_RESOURCE_TRANSACTIONAL_ID
#define LIT RD_KAFKA_RESOURCE_PATTERN_LITERAL
#define PRE RD_KAFKA_RESOURCE_PATTERN_PREFIXED
#define OPS(...) ((const rd_kafka_AclOperation_t[]){__VA_ARGS__, 0})
#define READ RD_KAFKA_ACL_OPERATION_READ
#define WRITE RD_KAFKA_ACL_OPERATION_WRITE
#define CREATE RD_KAFKA_ACL_OPERATION_CREATE
#define DESCRIBE RD_KAFKA_ACL_OPERATION_DESCRIBE
#define DESCRIBE_CONFIGS RD_KAFKA_ACL_OPERATION_DESCRIBE_CONFIGS

static void department(builder_t *b, const rh_config_department_t *d) {
  char name[ACL_NAME_MAX];
  const char *code = d->code;
  who(b, "dept.", code);
  snprintf(name, sizeof name, "feed.%s.", code);
  allow(b, TOPIC, PRE, name, OPS(WRITE, DESCRIBE, CREATE));
  snprintf(name, sizeof name, "feed.%s.manifests", code);
  allow(b, TOPIC, LIT, name, OPS(READ));
  snprintf(name, sizeof name, "riskhub-produce.%s.", code);
  allow(b, TXN, PRE, name, OPS(WRITE, DESCRIBE));
  /* riskhub-receive: its own pushes only (literal names: outbound.health is
   * not a prefix of another department's topics), in its own group */
  for (int k = 0; k < RH_OUTBOUND_KIND_COUNT; k++) {
    if (!rh_outbound_receives(d, (rh_outbound_kind_t)k)) continue;
    snprintf(name, sizeof name, "outbound.%s.%s", code, rh_outbound_kind_name((rh_outbound_kind_t)k));
    allow(b, TOPIC, LIT, name, OPS(READ, DESCRIBE));
  }
  snprintf(name, sizeof name, "riskhub-receive.%s", code);
  allow(b, GROUP, LIT, name, OPS(READ, DESCRIBE));
}

static void township(builder_t *b, const char *code) {
  char name[ACL_NAME_MAX];
  who(b, "town.", code);
  snprintf(name, sizeof name, "alerts.%s", code);
  allow(b, TOPIC, LIT, name, OPS(READ, DESCRIBE));
  snprintf(name, sizeof name, "checks.%s", code);
  allow(b, TOPIC, LIT, name, OPS(READ, DESCRIBE));
  /* its identity discrepancies: the records it corrects (docs/identity.md) */
  snprintf(name, sizeof name, "identity.%s", code);
  allow(b, TOPIC, LIT, name, OPS(READ, DESCRIBE));
  snprintf(name, sizeof name, "riskhub-alerts.%s.", code);
  allow(b, GROUP, PRE, name, OPS(READ, DESCRIBE));
  /* riskhub-verify: its steps at the household, in one transaction; it makes
   * the topic the first time (docs/verify.md) */
  snprintf(name, sizeof name, "verifications.%s", code);
  allow(b, TOPIC, LIT, name, OPS(WRITE, DESCRIBE, CREATE));
  snprintf(name, sizeof name, "riskhub-verify.%s", code);
  allow(b, TXN, LIT, name, OPS(WRITE, DESCRIBE));
  /* riskhub-web publishes the outcomes its officials record on the page as
   * the township, under a transactional id of its own: it never fences a
   * riskhub-verify run of the same township, nor one the web (docs/web.md) */
  snprintf(name, sizeof name, "riskhub-web.%s", code);
  allow(b, TXN, LIT, name, OPS(WRITE, DESCRIBE));
}

/* Every department's manifests topic (not its lists): the ledger's and the
 * status report's view of the lists that arrived. */
static void manifests(builder_t *b, const rd_kafka_AclOperation_t *ops) {
  char name[ACL_NAME_MAX];
  for (size_t i = 0; i < b->cfg->department_count; i++) {
    snprintf(name, sizeof name, "feed.%s.manifests", b->cfg->departments[i].code);
    allow(b, TOPIC, LIT, name, ops);
  }
}

static void services(builder_t *b) {
  who(b, "svc.", "join");
  /* create: the join makes its input topics that do not exist yet, so that its
   * subscription sees every feed from the start (join_loop.c) */
  allow(b, TOPIC, PRE, "feed.", OPS(READ, DESCRIBE, CREATE));
  /* read: its outputs, read back when its changelog of published ids is
   * rebuilt, and their last stable offsets checked at start */
  allow(b, TOPIC, PRE, "alerts.", OPS(WRITE, DESCRIBE, CREATE, READ));
  allow(b, TOPIC, PRE, "checks.", OPS(WRITE, DESCRIBE, CREATE, READ));
  allow(b, TOPIC, LIT, "riskhub.dlq", OPS(WRITE, DESCRIBE, CREATE, READ));
  allow(b, TOPIC, LIT, "riskhub-join.published", OPS(READ, WRITE, DESCRIBE, CREATE));
  allow(b, GROUP, PRE, "riskhub-join", OPS(READ, DESCRIBE)); /* riskhub-join, .reader */
  allow(b, TXN, PRE, "riskhub-join.", OPS(WRITE, DESCRIBE));

  who(b, "svc.", "ledger");
  allow(b, TOPIC, PRE, "alerts.", OPS(READ, DESCRIBE));
  allow(b, TOPIC, PRE, "checks.", OPS(READ, DESCRIBE));
  /* create: the ledger makes the townships' verifications topics that do not
   * exist yet, so that its subscription sees each from the start (as the join
   * makes its inputs) */
  allow(b, TOPIC, PRE, "verifications.", OPS(READ, DESCRIBE, CREATE));
  manifests(b, OPS(READ, DESCRIBE));
  allow(b, GROUP, LIT, "riskhub-ledger", OPS(READ, DESCRIBE));

  /* riskhub-push: writes (and makes) the outbound topics, reads them back for
   * the pushes there already (docs/outbound.md) */
  who(b, "svc.", "push");
  allow(b, TOPIC, PRE, "outbound.", OPS(WRITE, DESCRIBE, CREATE, READ));
  allow(b, TXN, LIT, "riskhub-push", OPS(WRITE, DESCRIBE));

  /* riskhub-scale: writes (and makes) the county topic of scale risks, reads it
   * back for the versions there already (docs/scale.md) */
  who(b, "svc.", "scale");
  allow(b, TOPIC, LIT, "riskhub.scale-risks", OPS(WRITE, DESCRIBE, CREATE, READ));
  allow(b, TXN, LIT, "riskhub-scale", OPS(WRITE, DESCRIBE));

  /* riskhub-identity: reads the identity lists and their departments'
   * manifests (not another list), writes (and makes) the townships' identity
   * topics, reads them back (docs/identity.md) */
  who(b, "svc.", "identity");
  char name[ACL_NAME_MAX];
  for (size_t d = 0; d < b->cfg->department_count; d++) {
    const rh_config_department_t *dep = &b->cfg->departments[d];
    bool any = false;
    for (size_t i = 0; i < dep->feed_count; i++) {
      if (dep->feeds[i].kind != RH_FEED_IDENTITY) continue;
      any = true;
      snprintf(name, sizeof name, "feed.%s.%s", dep->code, dep->feeds[i].code);
      allow(b, TOPIC, LIT, name, OPS(READ, DESCRIBE));
    }
    if (!any) continue;
    snprintf(name, sizeof name, "feed.%s.manifests", dep->code);
    allow(b, TOPIC, LIT, name, OPS(READ, DESCRIBE));
  }
  allow(b, TOPIC, PRE, "identity.", OPS(WRITE, DESCRIBE, CREATE, READ));
  allow(b, TXN, LIT, "riskhub-identity", OPS(WRITE, DESCRIBE));

  who(b, "svc.", "audit");
  allow(b, TOPIC, PRE, "feed.", OPS(READ, DESCRIBE));
  allow(b, TOPIC, PRE, "identity.", OPS(READ, DESCRIBE));
  allow(b, TOPIC, LIT, "riskhub.scale-risks", OPS(READ, DESCRIBE)); /* riskhub-alerts --scale */
  allow(b, TOPIC, PRE, "alerts.", OPS(READ, DESCRIBE));
  allow(b, TOPIC, PRE, "checks.", OPS(READ, DESCRIBE));
  allow(b, TOPIC, LIT, "riskhub.dlq", OPS(READ, DESCRIBE));
  allow(b, TOPIC, PRE, "verifications.", OPS(READ, DESCRIBE));
  allow(b, TOPIC, PRE, "outbound.", OPS(READ, DESCRIBE));
  allow(b, GROUP, LIT, "riskhub-replay", OPS(READ, DESCRIBE));
  allow(b, GROUP, PRE, "riskhub-alerts.", OPS(READ, DESCRIBE)); /* riskhub-alerts --all */

  who(b, "svc.", "status");
  /* read: riskhub-status --source topics counts the warnings on the topics
   * and the lists on the manifests topics; riskhub-health reads one record
   * where a group's committed offset or an open transaction stands, to tell
   * records from commit markers (a false lag after every transaction
   * otherwise) and to date the transaction: Kafka gives no offsets-only right */
  allow(b, TOPIC, PRE, "feed.", OPS(DESCRIBE, DESCRIBE_CONFIGS, READ));
  allow(b, TOPIC, PRE, "alerts.", OPS(DESCRIBE, DESCRIBE_CONFIGS, READ));
  allow(b, TOPIC, PRE, "checks.", OPS(DESCRIBE, DESCRIBE_CONFIGS, READ));
  allow(b, TOPIC, PRE, "verifications.", OPS(DESCRIBE, DESCRIBE_CONFIGS, READ));
  allow(b, TOPIC, PRE, "identity.", OPS(DESCRIBE, DESCRIBE_CONFIGS, READ));
  /* riskhub-health: the pushes' transactions, retention and receivers' lag */
  allow(b, TOPIC, PRE, "outbound.", OPS(DESCRIBE, DESCRIBE_CONFIGS, READ));
  allow(b, TOPIC, PRE, "riskhub", OPS(DESCRIBE, DESCRIBE_CONFIGS, READ));
  allow(b, GROUP, PRE, "riskhub", OPS(DESCRIBE));
  allow(b, TXN, PRE, "riskhub", OPS(DESCRIBE));
  /* riskhub-selftest: the plumbing check */
  allow(b, TOPIC, LIT, "riskhub.selftest", OPS(READ, WRITE, CREATE, DESCRIBE));
  allow(b, GROUP, LIT, "riskhub-selftest", OPS(READ, DESCRIBE));
}

int acl_plan_build(const rh_config_t *cfg, acl_list_t *out, char *errstr, size_t errstr_size) {
  out->n = 0;
  builder_t b = {.cfg = cfg, .out = out, .errstr = errstr, .errstr_size = errstr_size};
  for (size_t i = 0; i < cfg->department_count; i++) department(&b, &cfg->departments[i]);
  for (size_t i = 0; i < cfg->township_count; i++) township(&b, cfg->townships[i].code);
  services(&b);
  if (b.rc == 0) acl_list_sort(out);
  return b.rc;
}

/* ---- whose binding ---- */

static bool starts(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool acl_entry_ours(const rh_config_t *cfg, const acl_entry_t *e) {
  static const char *const roots[] = {"feed.",     "alerts.",  "checks.", "verifications.",
                                      "outbound.", "identity.", "riskhub.", "riskhub-"};
  static const char *const kinds[] = {"dept.", "town.", "svc."};
  const char *p = cfg->topic_prefix;
  if (starts(e->name, p))
    for (size_t i = 0; i < sizeof roots / sizeof *roots; i++)
      if (starts(e->name + strlen(p), roots[i])) return true;
  /* the whole root "riskhub" (svc.status's prefixed bindings) */
  if (starts(e->name, p) && strcmp(e->name + strlen(p), "riskhub") == 0) return true;
  if (starts(e->principal, "User:") && starts(e->principal + 5, p))
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
      if (starts(e->principal + 5 + strlen(p), kinds[i])) return true;
  return false;
}

bool acl_entry_makeable(const acl_entry_t *e) {
  return e->type == RD_KAFKA_RESOURCE_TOPIC || e->type == RD_KAFKA_RESOURCE_GROUP ||
         e->type == RD_KAFKA_RESOURCE_BROKER;
}

static const char *type_name(rd_kafka_ResourceType_t t) {
  switch ((int)t) {
  case RD_KAFKA_RESOURCE_TOPIC: return "TOPIC";
  case RD_KAFKA_RESOURCE_GROUP: return "GROUP";
  case RD_KAFKA_RESOURCE_BROKER: return "CLUSTER";
  case 5: return "TRANSACTIONAL_ID";
  default: return "UNKNOWN";
  }
}

void acl_entry_format(const acl_entry_t *e, char *buf, size_t size) {
  int n = snprintf(buf, size, "%s %s %s %s %s %s",
                   rd_kafka_AclPermissionType_name(e->permission), e->principal,
                   rd_kafka_AclOperation_name(e->op), type_name(e->type),
                   rd_kafka_ResourcePatternType_name(e->pattern), e->name);
  if (strcmp(e->host, "*") != 0 && n >= 0 && (size_t)n < size)
    snprintf(buf + n, size - (size_t)n, " host %s", e->host);
}
