#include "acl_broker.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh_err.h"

/* One admin request's result event, or NULL with errstr. */
static rd_kafka_event_t *wait_result(rd_kafka_queue_t *q, int timeout_ms, const char *what,
                                     char *errstr, size_t errstr_size) {
  rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_ms + 5000);
  if (!ev) {
    rh_errf(errstr, errstr_size, "%s: the brokers did not answer within %d s", what,
            timeout_ms / 1000);
    return NULL;
  }
  if (rd_kafka_event_error(ev)) {
    rh_errf(errstr, errstr_size, "%s: %s", what, rd_kafka_event_error_string(ev));
    rd_kafka_event_destroy(ev);
    return NULL;
  }
  return ev;
}

/* A refused request's words: the brokers' own text for a missing permission
 * is a dump of the request. */
static void result_error(const char *what, const rd_kafka_error_t *err, char *errstr,
                         size_t errstr_size) {
  rd_kafka_resp_err_t code = rd_kafka_error_code(err);
  if (code == RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED)
    rh_errf(errstr, errstr_size,
            "%s: refused by the brokers: cluster authorization failed (ACLs are the admin "
            "principal's to manage: run with the admin's credentials file, RH_KAFKA_CREDENTIALS)",
            what);
  else
    rh_errf(errstr, errstr_size, "%s: %s: %.200s", what, rd_kafka_err2name(code),
            rd_kafka_error_string(err));
}

static rd_kafka_AdminOptions_t *options(rd_kafka_t *rk, rd_kafka_admin_op_t op, int timeout_ms) {
  rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, op);
  char ignore[64];
  if (o) rd_kafka_AdminOptions_set_request_timeout(o, timeout_ms, ignore, sizeof ignore);
  return o;
}

static void from_binding(const rd_kafka_AclBinding_t *b, acl_entry_t *e) {
  memset(e, 0, sizeof *e);
  e->type = rd_kafka_AclBinding_restype(b);
  e->pattern = rd_kafka_AclBinding_resource_pattern_type(b);
  snprintf(e->name, sizeof e->name, "%s", rd_kafka_AclBinding_name(b));
  snprintf(e->principal, sizeof e->principal, "%s", rd_kafka_AclBinding_principal(b));
  snprintf(e->host, sizeof e->host, "%s", rd_kafka_AclBinding_host(b));
  e->op = rd_kafka_AclBinding_operation(b);
  e->permission = rd_kafka_AclBinding_permission_type(b);
}

/* The bindings of one resource type (a filter of ANY would bring transactional
 * ids too, which librdkafka 2.0.2 cannot parse: "DescribeAclsResponse returned
 * unknown resource type 5", and the whole answer read as empty). */
static int list_type(rd_kafka_t *rk, rd_kafka_ResourceType_t type, int timeout_ms,
                     acl_list_t *out, char *errstr, size_t errstr_size) {
  char why[256];
  rd_kafka_AclBindingFilter_t *f = rd_kafka_AclBindingFilter_new(
      type, NULL, RD_KAFKA_RESOURCE_PATTERN_ANY, NULL, NULL, RD_KAFKA_ACL_OPERATION_ANY,
      RD_KAFKA_ACL_PERMISSION_TYPE_ANY, why, sizeof why);
  if (!f) {
    rh_errf(errstr, errstr_size, "DescribeAcls: %s", why);
    return -1;
  }
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
  rd_kafka_AdminOptions_t *o = options(rk, RD_KAFKA_ADMIN_OP_DESCRIBEACLS, timeout_ms);
  rd_kafka_DescribeAcls(rk, f, o, q);
  rd_kafka_event_t *ev = wait_result(q, timeout_ms, "reading the brokers' ACLs", errstr,
                                     errstr_size);
  int rc = ev ? 0 : -1;
  if (ev) {
    size_t n = 0;
    const rd_kafka_AclBinding_t **acls =
        rd_kafka_DescribeAcls_result_acls(rd_kafka_event_DescribeAcls_result(ev), &n);
    for (size_t i = 0; i < n && rc == 0; i++) {
      acl_entry_t e;
      from_binding(acls[i], &e);
      if (acl_list_add(out, &e)) {
        rh_errf(errstr, errstr_size, "out of memory for the brokers' ACLs");
        rc = -1;
      }
    }
    rd_kafka_event_destroy(ev);
  }
  if (o) rd_kafka_AdminOptions_destroy(o);
  rd_kafka_queue_destroy(q);
  rd_kafka_AclBinding_destroy(f);
  return rc;
}

int acl_broker_list(rd_kafka_t *rk, int timeout_ms, acl_list_t *out, char *errstr,
                    size_t errstr_size) {
  out->n = 0;
  static const rd_kafka_ResourceType_t types[] = {
      RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_GROUP, RD_KAFKA_RESOURCE_BROKER};
  for (size_t i = 0; i < sizeof types / sizeof *types; i++)
    if (list_type(rk, types[i], timeout_ms, out, errstr, errstr_size)) return -1;
  acl_list_sort(out);
  return 0;
}

/* One CreateAcls (create) or DeleteAcls of the k bindings (filters, for a
 * delete: librdkafka's filter is a binding), each binding's own error
 * reported. 0, or -1 with errstr. */
static int admin_call(rd_kafka_t *rk, int timeout_ms, bool create, rd_kafka_AclBinding_t **b,
                      size_t k, char *errstr, size_t errstr_size) {
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
  rd_kafka_AdminOptions_t *o =
      options(rk, create ? RD_KAFKA_ADMIN_OP_CREATEACLS : RD_KAFKA_ADMIN_OP_DELETEACLS, timeout_ms);
  if (create)
    rd_kafka_CreateAcls(rk, b, k, o, q);
  else
    rd_kafka_DeleteAcls(rk, b, k, o, q);
  rd_kafka_event_t *ev = wait_result(q, timeout_ms, create ? "making ACLs" : "removing ACLs",
                                     errstr, errstr_size);
  int rc = ev ? 0 : -1;
  size_t m = 0;
  if (ev && create) {
    const rd_kafka_acl_result_t **res =
        rd_kafka_CreateAcls_result_acls(rd_kafka_event_CreateAcls_result(ev), &m);
    for (size_t i = 0; i < m && rc == 0; i++)
      if (rd_kafka_acl_result_error(res[i])) {
        result_error("making an ACL", rd_kafka_acl_result_error(res[i]), errstr, errstr_size);
        rc = -1;
      }
  } else if (ev) {
    const rd_kafka_DeleteAcls_result_response_t **res =
        rd_kafka_DeleteAcls_result_responses(rd_kafka_event_DeleteAcls_result(ev), &m);
    for (size_t i = 0; i < m && rc == 0; i++)
      if (rd_kafka_DeleteAcls_result_response_error(res[i])) {
        result_error("removing an ACL", rd_kafka_DeleteAcls_result_response_error(res[i]), errstr,
                     errstr_size);
        rc = -1;
      }
  }
  if (ev) rd_kafka_event_destroy(ev);
  if (o) rd_kafka_AdminOptions_destroy(o);
  rd_kafka_queue_destroy(q);
  return rc;
}

int acl_broker_create(rd_kafka_t *rk, int timeout_ms, const acl_entry_t *v, size_t n,
                      char *errstr, size_t errstr_size) {
  rd_kafka_AclBinding_t **b = calloc(n ? n : 1, sizeof *b);
  if (!b) {
    rh_errf(errstr, errstr_size, "out of memory");
    return -1;
  }
  size_t k = 0;
  int rc = 0;
  char why[256], line[640];
  for (size_t i = 0; i < n && rc == 0; i++) {
    if (!acl_entry_makeable(&v[i])) continue;
    b[k] = rd_kafka_AclBinding_new(v[i].type, v[i].name, v[i].pattern, v[i].principal, v[i].host,
                                   v[i].op, v[i].permission, why, sizeof why);
    if (!b[k]) {
      acl_entry_format(&v[i], line, sizeof line);
      rh_errf(errstr, errstr_size, "%s: %s", line, why);
      rc = -1;
    } else {
      k++;
    }
  }
  if (rc == 0 && k) rc = admin_call(rk, timeout_ms, true, b, k, errstr, errstr_size);
  for (size_t i = 0; i < k; i++) rd_kafka_AclBinding_destroy(b[i]);
  free(b);
  return rc;
}

int acl_broker_delete(rd_kafka_t *rk, int timeout_ms, const acl_entry_t *v, size_t n,
                      char *errstr, size_t errstr_size) {
  if (!n) return 0;
  rd_kafka_AclBindingFilter_t **f = calloc(n, sizeof *f);
  if (!f) {
    rh_errf(errstr, errstr_size, "out of memory");
    return -1;
  }
  int rc = 0;
  char why[256];
  for (size_t i = 0; i < n && rc == 0; i++) {
    /* a binding librdkafka cannot name (TRANSACTIONAL_ID): any type, the rest exact */
    rd_kafka_ResourceType_t t = acl_entry_makeable(&v[i]) ? v[i].type : RD_KAFKA_RESOURCE_ANY;
    f[i] = rd_kafka_AclBindingFilter_new(t, v[i].name, v[i].pattern, v[i].principal, v[i].host,
                                         v[i].op, v[i].permission, why, sizeof why);
    if (!f[i]) {
      rh_errf(errstr, errstr_size, "DeleteAcls: %s", why);
      rc = -1;
    }
  }
  if (rc == 0) rc = admin_call(rk, timeout_ms, false, f, n, errstr, errstr_size);
  for (size_t i = 0; i < n; i++)
    if (f[i]) rd_kafka_AclBinding_destroy(f[i]);
  free(f);
  return rc;
}

int acl_broker_probe(rd_kafka_t *rk, int timeout_ms, char *errstr, size_t errstr_size) {
  acl_entry_t none = {.type = RD_KAFKA_RESOURCE_TOPIC,
                      .pattern = RD_KAFKA_RESOURCE_PATTERN_LITERAL,
                      .name = "riskhub-acl.probe.no-such-topic",
                      .principal = "User:riskhub-acl.probe.nobody",
                      .host = "*",
                      .op = RD_KAFKA_ACL_OPERATION_READ,
                      .permission = RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW};
  return acl_broker_delete(rk, timeout_ms, &none, 1, errstr, errstr_size);
}
