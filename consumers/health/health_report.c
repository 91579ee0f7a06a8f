/* health_report: see health_report.h. */
#include "health_report.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#define RUNBOOK "docs/operations.md, \"A hanging transaction\""

static void utc(int64_t ms, char *buf, size_t size) {
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  if (ms < 0 || !gmtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
    snprintf(buf, size, "-");
}

static void age_text(int64_t ms, char *buf, size_t size) {
  if (ms < 0) snprintf(buf, size, "?");
  else if (ms < 120000) snprintf(buf, size, "%" PRId64 " s", ms / 1000);
  else if (ms < 7200000) snprintf(buf, size, "%" PRId64 " min", ms / 60000);
  else snprintf(buf, size, "%" PRId64 " h", ms / 3600000);
}

/* The find-hanging command for each broker leading a hanging partition
 * (once a broker: it looks only at the partitions its --broker-id leads),
 * one a call of fn. */
static void find_hanging_cmds(const health_state_t *s, void (*fn)(void *, const char *),
                              void *arg) {
  char line[256];
  for (size_t i = 0; i < s->n; i++) {
    const health_part_t *p = &s->parts[i];
    if (p->txn != HEALTH_TXN_HANGING) continue;
    bool seen = false;
    for (size_t j = 0; j < i && !seen; j++)
      seen = s->parts[j].txn == HEALTH_TXN_HANGING && s->parts[j].leader == p->leader;
    if (seen) continue;
    if (p->leader >= 0)
      snprintf(line, sizeof line, "scripts/kafka.sh transactions find-hanging --broker-id %d "
               "--max-transaction-timeout 0", (int)p->leader);
    else
      snprintf(line, sizeof line, "scripts/kafka.sh transactions find-hanging --broker-id "
               "<leader> --max-transaction-timeout 0");
    fn(arg, line);
  }
}

/* A retention for people: "400d", "36h", "forever", "?" (unknown). */
static void dur_text(int64_t ms, char *buf, size_t size) {
  if (ms == -1) snprintf(buf, size, "forever");
  else if (ms < -1) snprintf(buf, size, "?");
  else if (ms && ms % 86400000 == 0) snprintf(buf, size, "%" PRId64 "d", ms / 86400000);
  else if (ms && ms % 3600000 == 0) snprintf(buf, size, "%" PRId64 "h", ms / 3600000);
  else if (ms && ms % 60000 == 0) snprintf(buf, size, "%" PRId64 "min", ms / 60000);
  else if (ms && ms % 1000 == 0) snprintf(buf, size, "%" PRId64 "s", ms / 1000);
  else snprintf(buf, size, "%" PRId64 "ms", ms);
}

/* The kafka-configs command that gives a short topic what the configuration asks. */
static void retention_cmds(const health_state_t *s, void (*fn)(void *, const char *), void *arg) {
  char line[512];
  for (size_t i = 0; i < s->nrets; i++) {
    const health_retention_t *r = &s->rets[i];
    if (!r->short_) continue;
    snprintf(line, sizeof line,
             "scripts/kafka.sh configs --alter --entity-type topics --entity-name %s "
             "--add-config retention.ms=%" PRId64, r->topic, r->want_ms);
    fn(arg, line);
  }
}

static void print_cmd(void *fp, const char *line) { fprintf(fp, "  %s\n", line); }

static void json_cmd(void *arr, const char *line) { json_array_append_new(arr, json_string(line)); }

static size_t topics_of(const health_state_t *s) {
  size_t n = 0;
  for (size_t i = 0; i < s->n; i++) n += i == 0 || strcmp(s->parts[i].topic, s->parts[i - 1].topic);
  return n;
}

bool health_summary_unhealthy(const health_summary_t *sum) {
  return sum->hanging || sum->lag_over || sum->retention_short || sum->archive_overdue;
}

/* The command that archives the overdue months. */
static void archive_cmds(const health_state_t *s, const health_summary_t *sum,
                         void (*fn)(void *, const char *), void *arg) {
  if (!s->archive_noverdue) return;
  char line[4400];
  snprintf(line, sizeof line, "riskhub-replay%s%s --archive-due", sum->config_path ? " --config " : "",
           sum->config_path ? sum->config_path : "");
  fn(arg, line);
}

static void archive_table(FILE *fp, const health_state_t *s) {
  if (!s->archive_dir) return;
  fprintf(fp, "\nMonthly archive: %s\n", s->archive_dir);
  if (*s->archive_error) {
    fprintf(fp, "  not known: %s\n", s->archive_error);
    return;
  }
  fprintf(fp, "  %zu months in the ledger, %zu archived\n", s->archive_months, s->archive_done);
  if (!s->archive_noverdue) {
    fprintf(fp, "  every month past its deadline, archive.grace and a night is archived\n");
    return;
  }
  fprintf(fp, "  OVERDUE (past the deadline, archive.grace and a night, no archive):");
  for (size_t i = 0; i < s->archive_noverdue; i++) fprintf(fp, " %s", s->archive_overdue[i]);
  fprintf(fp, "\n");
}

int health_report_table(FILE *fp, const health_state_t *s, const health_summary_t *sum) {
  char now[32], age[32];
  utc(sum->now_wall_ms, now, sizeof now);
  fprintf(fp, "riskhub-health: namespace \"%s\" at %s\n\n", sum->prefix, now);
  fprintf(fp,
          "Transactions: %zu partitions of %zu topics; last stable offset (LSO) against high "
          "watermark (HW),\nsampled twice %" PRId64 " s apart; hanging = open longer than %" PRId64
          " s (transaction timeout + %d s)\n",
          s->n, topics_of(s), sum->window_ms / 1000, sum->limit_ms / 1000,
          HEALTH_ABORT_GRACE_MS / 1000);
  int tw = 5, gw = 5; /* column widths: the longest name shown */
  for (size_t i = 0; i < s->n; i++)
    if (s->parts[i].txn != HEALTH_TXN_NONE && (int)strlen(s->parts[i].topic) > tw)
      tw = (int)strlen(s->parts[i].topic);
  for (size_t i = 0; i < s->nlags; i++) {
    int t = *s->lags[i].topic ? (int)strlen(s->lags[i].topic) : 21, g = (int)strlen(s->lags[i].group);
    if (t > tw) tw = t;
    if (g > gw) gw = g;
  }
  if (!sum->open && !sum->hanging) {
    fprintf(fp, "  every partition: LSO = HW, no transaction open\n");
  } else {
    fprintf(fp, "  %-*s %5s %12s %12s %8s %-20s %9s %s\n", tw, "TOPIC", "PART", "LSO", "HW",
            "BEHIND", "OPEN SINCE", "OPEN FOR", "STATE");
    for (size_t i = 0; i < s->n; i++) {
      const health_part_t *p = &s->parts[i];
      if (p->txn == HEALTH_TXN_NONE) continue;
      char since[32];
      utc(p->txn_ts_ms, since, sizeof since);
      age_text(p->age_ms, age, sizeof age);
      fprintf(fp, "  %-*s %5d %12" PRId64 " %12" PRId64 " %8" PRId64 " %-20s %9s %s\n", tw, p->topic,
              (int)p->partition, p->lso, p->hw, p->hw - p->lso, since, age,
              p->txn == HEALTH_TXN_HANGING ? "HANGING" : "open");
    }
    fprintf(fp, "  %zu open, %zu hanging\n", sum->open, sum->hanging);
  }
  fprintf(fp, "\nConsumer lag: %zu riskhub groups; lag = LSO - committed offset, summed per topic\n",
          s->groups);
  if (s->nlags) {
    fprintf(fp, "  %-*s %-*s %5s %9s %12s\n", gw, "GROUP", tw, "TOPIC", "PARTS", "COMMITTED", "LAG");
    for (size_t i = 0; i < s->nlags; i++) {
      const health_lag_t *l = &s->lags[i];
      if (!*l->topic) {
        fprintf(fp, "  %-*s %-*s %5s %9s %12s\n", gw, l->group, tw, "(no offset committed)", "-", "-",
                "-");
        continue;
      }
      bool over = sum->max_lag >= 0 && l->lag > sum->max_lag;
      fprintf(fp, "  %-*s %-*s %5d %9d %12" PRId64 "%s\n", gw, l->group, tw, l->topic, l->partitions,
              l->committed, l->lag, over ? "  > --max-lag" : "");
    }
  }
  size_t unknown = 0;
  int rw = 5;
  for (size_t i = 0; i < s->nrets; i++) {
    unknown += s->rets[i].have_ms < -1;
    if ((s->rets[i].short_ || s->rets[i].have_ms < -1) && (int)strlen(s->rets[i].topic) > rw)
      rw = (int)strlen(s->rets[i].topic);
  }
  fprintf(fp, "\nRetention: %zu topics of riskhub's classes; retention.ms against the "
              "configuration's topics.retention\n", s->nrets);
  if (!sum->retention_short && !unknown) {
    fprintf(fp, "  every topic keeps its records as long as the configuration asks, or longer\n");
  } else {
    fprintf(fp, "  %-*s %-9s %9s %9s\n", rw, "TOPIC", "CLASS", "KEEPS", "ASKED");
    for (size_t i = 0; i < s->nrets; i++) {
      const health_retention_t *r = &s->rets[i];
      if (!r->short_ && r->have_ms >= -1) continue;
      char have[32], want[32];
      dur_text(r->have_ms, have, sizeof have);
      dur_text(r->want_ms, want, sizeof want);
      fprintf(fp, "  %-*s %-9s %9s %9s  %s\n", rw, r->topic, rh_topic_class_name(r->cls), have,
              want, r->short_ ? "SHORTER" : "not known");
    }
    fprintf(fp, "  %zu shorter than asked, %zu not known\n", sum->retention_short, unknown);
  }
  if (sum->retention_short) {
    fprintf(fp, "\nRetention: what to do (docs/operations.md, \"Retention\"):\n");
    retention_cmds(s, print_cmd, fp);
  }
  archive_table(fp, s);
  if (sum->archive_overdue) {
    fprintf(fp, "\nMonthly archive: what to do (docs/operations.md, \"The monthly archive\"; the "
                "journal of riskhub-archive.service says why the night's run failed):\n");
    archive_cmds(s, sum, print_cmd, fp);
  }
  if (sum->hanging) {
    fprintf(fp, "\nHanging transactions: what to do (%s):\n", RUNBOOK);
    find_hanging_cmds(s, print_cmd, fp);
    for (size_t i = 0; i < s->n; i++) {
      const health_part_t *p = &s->parts[i];
      if (p->txn == HEALTH_TXN_HANGING)
        fprintf(fp, "  scripts/kafka.sh transactions abort --topic %s --partition %d "
                    "--start-offset %" PRId64 "\n", p->topic, (int)p->partition, p->lso);
    }
  }
  fprintf(fp, "\n");
  if (!health_summary_unhealthy(sum)) {
    fprintf(fp, "healthy\n");
  } else {
    fprintf(fp, "UNHEALTHY:");
    if (sum->hanging) fprintf(fp, " %zu hanging transaction partition(s);", sum->hanging);
    if (sum->lag_over)
      fprintf(fp, " %zu group/topic lag(s) above --max-lag %" PRId64 ";", sum->lag_over,
              sum->max_lag);
    if (sum->retention_short)
      fprintf(fp, " %zu topic(s) keeping records shorter than the configuration asks;",
              sum->retention_short);
    if (sum->archive_overdue)
      fprintf(fp, " %zu month(s) past due without their archive;", sum->archive_overdue);
    fprintf(fp, "\n");
  }
  return ferror(fp) ? -1 : 0;
}

static json_t *offset_or_null(int64_t v) { return v >= 0 ? json_integer(v) : json_null(); }

int health_report_json(FILE *fp, const health_state_t *s, const health_summary_t *sum) {
  json_t *root = json_object(), *parts = json_array(), *groups = json_array(),
         *cmds = json_array(), *rets = json_array();
  if (!root || !parts || !groups || !cmds || !rets) goto oom;
  json_object_set_new(root, "prefix", json_string(sum->prefix));
  json_object_set_new(root, "at_ms", json_integer(sum->now_wall_ms));
  json_object_set_new(root, "window_ms", json_integer(sum->window_ms));
  json_object_set_new(root, "hanging_after_ms", json_integer(sum->limit_ms));
  json_object_set_new(root, "max_lag", sum->max_lag >= 0 ? json_integer(sum->max_lag) : json_null());
  for (size_t i = 0; i < s->n; i++) {
    const health_part_t *p = &s->parts[i];
    json_t *o = json_object();
    if (!o || json_array_append_new(parts, o)) goto oom;
    json_object_set_new(o, "topic", json_string(p->topic));
    json_object_set_new(o, "partition", json_integer(p->partition));
    json_object_set_new(o, "leader", json_integer(p->leader));
    json_object_set_new(o, "low", offset_or_null(p->low));
    json_object_set_new(o, "lso", offset_or_null(p->lso));
    json_object_set_new(o, "hw", offset_or_null(p->hw));
    json_object_set_new(o, "lso_first", offset_or_null(p->lso0));
    json_object_set_new(o, "hw_first", offset_or_null(p->hw0));
    json_object_set_new(o, "state", json_string(health_judge_txn_name(p->txn)));
    json_object_set_new(o, "open_since_ms", offset_or_null(p->txn_ts_ms));
    json_object_set_new(o, "open_for_ms", offset_or_null(p->age_ms));
  }
  for (size_t i = 0; i < s->nlags; i++) {
    const health_lag_t *l = &s->lags[i];
    json_t *o = json_object();
    if (!o || json_array_append_new(groups, o)) goto oom;
    json_object_set_new(o, "group", json_string(l->group));
    json_object_set_new(o, "topic", *l->topic ? json_string(l->topic) : json_null());
    json_object_set_new(o, "partitions", json_integer(l->partitions));
    json_object_set_new(o, "committed_partitions", json_integer(l->committed));
    json_object_set_new(o, "lag", json_integer(l->lag));
  }
  for (size_t i = 0; i < s->nrets; i++) {
    const health_retention_t *r = &s->rets[i];
    json_t *o = json_object();
    if (!o || json_array_append_new(rets, o)) goto oom;
    json_object_set_new(o, "topic", json_string(r->topic));
    json_object_set_new(o, "class", json_string(rh_topic_class_name(r->cls)));
    json_object_set_new(o, "retention_ms", r->have_ms >= -1 ? json_integer(r->have_ms) : json_null());
    json_object_set_new(o, "asked_ms", json_integer(r->want_ms));
    json_object_set_new(o, "shorter", json_boolean(r->short_));
  }
  char line[700];
  find_hanging_cmds(s, json_cmd, cmds);
  for (size_t i = 0; i < s->n; i++) {
    const health_part_t *p = &s->parts[i];
    if (p->txn != HEALTH_TXN_HANGING) continue;
    snprintf(line, sizeof line,
             "scripts/kafka.sh transactions abort --topic %s --partition %d --start-offset %" PRId64,
             p->topic, (int)p->partition, p->lso);
    json_array_append_new(cmds, json_string(line));
  }
  retention_cmds(s, json_cmd, cmds);
  archive_cmds(s, sum, json_cmd, cmds);
  if (s->archive_dir) {
    json_t *a = json_object(), *over = json_array();
    if (!a || !over) {
      json_decref(a);
      json_decref(over);
      goto oom;
    }
    for (size_t i = 0; i < s->archive_noverdue; i++)
      json_array_append_new(over, json_string(s->archive_overdue[i]));
    json_object_set_new(a, "dir", json_string(s->archive_dir));
    json_object_set_new(a, "months", json_integer((json_int_t)s->archive_months));
    json_object_set_new(a, "archived", json_integer((json_int_t)s->archive_done));
    json_object_set_new(a, "overdue", over);
    json_object_set_new(a, "error", *s->archive_error ? json_string(s->archive_error) : json_null());
    json_object_set_new(root, "archive", a);
  }
  json_object_set_new(root, "partitions", parts);
  json_object_set_new(root, "groups", groups);
  json_object_set_new(root, "retention", rets);
  json_object_set_new(root, "commands", cmds);
  parts = groups = cmds = rets = NULL;
  json_object_set_new(root, "open", json_integer((json_int_t)sum->open));
  json_object_set_new(root, "hanging", json_integer((json_int_t)sum->hanging));
  json_object_set_new(root, "lag_over", json_integer((json_int_t)sum->lag_over));
  json_object_set_new(root, "retention_short", json_integer((json_int_t)sum->retention_short));
  json_object_set_new(root, "archive_overdue", json_integer((json_int_t)sum->archive_overdue));
  json_object_set_new(root, "healthy", json_boolean(!health_summary_unhealthy(sum)));
  int rc = json_dumpf(root, fp, JSON_INDENT(2)) || fputc('\n', fp) == EOF ? -1 : 0;
  json_decref(root);
  return rc;
oom:
  json_decref(root);
  json_decref(parts);
  json_decref(groups);
  json_decref(cmds);
  json_decref(rets);
  return -1;
}
