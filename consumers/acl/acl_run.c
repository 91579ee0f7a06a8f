#include "acl_run.h"

#include <string.h>
#include <unistd.h>

#include "acl_broker.h"
#include "acl_plan.h"
#include "rh_clock.h"
#include "rh_exit.h"
#include "rh_kafka.h"
#include "rh_log.h"

static const char *tool_op(rd_kafka_AclOperation_t op) {
  switch (op) {
  case RD_KAFKA_ACL_OPERATION_WRITE: return "Write";
  case RD_KAFKA_ACL_OPERATION_DESCRIBE: return "Describe";
  case RD_KAFKA_ACL_OPERATION_READ: return "Read";
  default: return rd_kafka_AclOperation_name(op);
  }
}

/* Kafka's own tool's words for the bindings librdkafka cannot make: one line a
 * principal and resource, its operations together (the plan is sorted so). */
static void kafka_acls_lines(FILE *fp, const acl_list_t *plan) {
  for (size_t i = 0; i < plan->n;) {
    const acl_entry_t *e = &plan->v[i];
    if (acl_entry_makeable(e)) {
      i++;
      continue;
    }
    fprintf(fp, "  kafka-acls --add --allow-principal %s", e->principal);
    size_t j = i;
    for (; j < plan->n && !acl_entry_makeable(&plan->v[j]) &&
           strcmp(plan->v[j].principal, e->principal) == 0 &&
           strcmp(plan->v[j].name, e->name) == 0 && plan->v[j].pattern == e->pattern;
         j++)
      fprintf(fp, " --operation %s", tool_op(plan->v[j].op));
    fprintf(fp, " --transactional-id %s --resource-pattern-type %s\n", e->name,
            e->pattern == RD_KAFKA_RESOURCE_PATTERN_PREFIXED ? "prefixed" : "literal");
    i = j;
  }
}

static int exit_for(const char *err) {
  return strstr(err, "authorization failed")
             ? RH_EXIT_NOPERM
             : RH_EXIT_UNAVAILABLE;
}

/* After a change: until the brokers' own view (DescribeAcls, answered from a
 * broker's authorizer, which applies the controller's records a moment later:
 * seconds on a loaded machine) holds every binding of present and none of
 * absent (those librdkafka can read), up to timeout_ms. 0 in force, 1 not yet,
 * -1 with err. */
static int in_force(rd_kafka_t *rk, int timeout_ms, const acl_list_t *present,
                    const acl_list_t *absent, char *err, size_t errsz) {
  int64_t deadline = rh_mono_ms() + timeout_ms;
  for (;;) {
    acl_list_t now = {0};
    if (acl_broker_list(rk, timeout_ms, &now, err, errsz)) {
      acl_list_free(&now);
      return -1;
    }
    bool done = true;
    for (size_t i = 0; present && i < present->n && done; i++)
      done = !acl_entry_makeable(&present->v[i]) || acl_list_has(&now, &present->v[i]);
    for (size_t i = 0; absent && i < absent->n && done; i++)
      done = !acl_entry_makeable(&absent->v[i]) || !acl_list_has(&now, &absent->v[i]);
    acl_list_free(&now);
    if (done) return 0;
    if (rh_mono_ms() >= deadline) return 1;
    usleep(200 * 1000);
  }
}

/* in_force's verdict into an exit code, said in the log when not 0. */
static int settled(rd_kafka_t *rk, int timeout_ms, const acl_list_t *present,
                   const acl_list_t *absent) {
  char err[512];
  int r = in_force(rk, timeout_ms, present, absent, err, sizeof err);
  if (r < 0) {
    rh_log_error("%s", err);
    return exit_for(err);
  }
  if (r > 0) {
    rh_log_error("the change was made, but the brokers do not show it yet after %d s: run "
                 "riskhub-acl check in a moment",
                 timeout_ms / 1000);
    return RH_EXIT_UNAVAILABLE;
  }
  return RH_EXIT_OK;
}

/* The namespace's bindings on the brokers (ours) that the plan lacks, and the
 * plan's that the brokers lack. */
static int diff(const rh_config_t *cfg, const acl_list_t *plan, const acl_list_t *broker,
                acl_list_t *missing, acl_list_t *extra) {
  for (size_t i = 0; i < plan->n; i++)
    if (acl_entry_makeable(&plan->v[i]) && !acl_list_has(broker, &plan->v[i]) &&
        acl_list_add(missing, &plan->v[i]))
      return -1;
  for (size_t i = 0; i < broker->n; i++)
    if (acl_entry_ours(cfg, &broker->v[i]) && !acl_list_has(plan, &broker->v[i]) &&
        acl_list_add(extra, &broker->v[i]))
      return -1;
  return 0;
}

static void print_list(FILE *fp, const char *label, const acl_list_t *l) {
  char line[640];
  for (size_t i = 0; i < l->n; i++) {
    acl_entry_format(&l->v[i], line, sizeof line);
    fprintf(fp, "  %-8s %s\n", label, line);
  }
}

int acl_run(const acl_opts_t *o) {
  char err[512];
  acl_list_t plan = {0}, broker = {0}, missing = {0}, extra = {0};
  int rc = RH_EXIT_OK;
  rd_kafka_t *rk = NULL;
  if (acl_plan_build(o->cfg, &plan, err, sizeof err)) {
    rh_log_error("%s", err);
    rc = RH_EXIT_CONFIG;
    goto done;
  }
  if (o->command == ACL_PLAN) {
    print_list(o->out, "allow", &plan);
    fprintf(o->out, "%zu bindings: %zu departments, %zu townships, %d services (namespace '%s')\n",
            plan.n, o->cfg->department_count, o->cfg->township_count, ACL_SERVICES,
            o->cfg->topic_prefix);
    goto done;
  }
  /* a producer handle: no group, so no group coordinator's connection torn
   * down mid-handshake at the end ("SASL authentication error ... DOWN") */
  rd_kafka_conf_t *conf = rh_kafka_conf_from_config(o->cfg, err, sizeof err);
  if (!conf || !(rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err))) {
    if (conf) rd_kafka_conf_destroy(conf);
    rh_log_error("%s", err);
    rc = RH_EXIT_CONFIG;
    goto done;
  }
  if (acl_broker_probe(rk, o->timeout_ms, err, sizeof err) ||
      acl_broker_list(rk, o->timeout_ms, &broker, err, sizeof err)) {
    rh_log_error("%s", err);
    rc = exit_for(err);
    goto done;
  }
  if (o->command == ACL_REVOKE) {
    for (size_t i = 0; i < broker.n; i++)
      if (acl_entry_ours(o->cfg, &broker.v[i]) && acl_list_add(&extra, &broker.v[i])) goto oom;
    /* the plan's transactional ids, unseen but removable by an exact filter */
    size_t seen = extra.n;
    for (size_t i = 0; i < plan.n; i++)
      if (!acl_entry_makeable(&plan.v[i]) && acl_list_add(&extra, &plan.v[i])) goto oom;
    if (acl_broker_delete(rk, o->timeout_ms, extra.v, extra.n, err, sizeof err)) {
      rh_log_error("%s", err);
      rc = exit_for(err);
      goto done;
    }
    fprintf(o->out,
            "%zu bindings of namespace '%s' removed, and the plan's %zu transactional-id "
            "bindings if they were there\n",
            seen, o->cfg->topic_prefix, extra.n - seen);
    rc = settled(rk, o->timeout_ms, NULL, &extra);
    goto done;
  }
  if (diff(o->cfg, &plan, &broker, &missing, &extra)) goto oom;
  if (o->command == ACL_CHECK) {
    print_list(o->out, "missing", &missing);
    print_list(o->out, "extra", &extra);
    size_t unseen = 0;
    for (size_t i = 0; i < plan.n; i++) unseen += !acl_entry_makeable(&plan.v[i]);
    fprintf(o->out, "%s: %zu missing, %zu extra (%zu planned, namespace '%s')\n",
            missing.n || extra.n ? "the brokers' ACLs differ from the plan"
                                 : "the brokers' ACLs are the plan",
            missing.n, extra.n, plan.n - unseen, o->cfg->topic_prefix);
    fprintf(o->out,
            "not compared: the plan's %zu transactional-id bindings, which this librdkafka (%s) "
            "cannot read; see them with scripts/kafka.sh acls --list --transactional-id NAME\n",
            unseen, rd_kafka_version_str());
    rc = missing.n || extra.n ? RH_EXIT_UNHEALTHY : RH_EXIT_OK;
    goto done;
  }
  /* apply */
  size_t unseen = 0;
  for (size_t i = 0; i < plan.n; i++) unseen += !acl_entry_makeable(&plan.v[i]);
  if (acl_broker_create(rk, o->timeout_ms, missing.v, missing.n, err, sizeof err)) {
    rh_log_error("%s", err);
    rc = exit_for(err);
    goto done;
  }
  size_t pruned = 0;
  if (o->prune) {
    if (acl_broker_delete(rk, o->timeout_ms, extra.v, extra.n, err, sizeof err)) {
      rh_log_error("%s", err);
      rc = exit_for(err);
      goto done;
    }
    pruned = extra.n;
  }
  fprintf(o->out, "%zu bindings made, %zu there already, %zu removed%s (namespace '%s')\n",
          missing.n, plan.n - unseen - missing.n, pruned,
          o->prune || !extra.n ? "" : "; bindings not in the plan kept (--prune removes them)",
          o->cfg->topic_prefix);
  if (unseen) {
    fprintf(o->out,
            "%zu transactional-id bindings, which this librdkafka (%s) can neither make nor "
            "read: make them once with Kafka's kafka-acls (scripts/kafka.sh acls ...):\n",
            unseen, rd_kafka_version_str());
    kafka_acls_lines(o->out, &plan);
  }
  /* returns once the rights are in force (and the pruned ones gone) */
  rc = settled(rk, o->timeout_ms, &missing, o->prune ? &extra : NULL);
  goto done;
oom:
  rh_log_error("out of memory");
  rc = RH_EXIT_SOFTWARE;
done:
  if (rk) rd_kafka_destroy(rk);
  acl_list_free(&plan);
  acl_list_free(&broker);
  acl_list_free(&missing);
  acl_list_free(&extra);
  return rc;
}
