/* alerts_opts: see alerts_opts.h. */
#include "alerts_opts.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rh_cli.h"
#include "rh_discrepancy.h"
#include "rh_err.h"
#include "rh_parse.h"
#include "rh_scale.h"

void alerts_usage(FILE *fp) {
  fprintf(fp,
      "usage: riskhub-alerts (--township CODE|NAME ... | --all) [--unmatched] [--identity]\n"
      "                      | --scale\n"
      "                      [--group NAME | --from DATE | --period YYYY-MM] [--follow]\n"
      "                      [--format table|jsonl|csv] [--output FILE] [--no-bom]\n"
      "                      [--unmasked [--operator NAME]] [--no-registry]\n"
      "                      [--overdue | --overdue-on DATE]\n"
      "                      [--config FILE] [--schemas DIR] [--wait-s S] [--log-level LEVEL]\n"
      "The warnings of a township (topic alerts.<code>), read_committed (docs/alerts.md).\n"
      "  --township T     a township by code (411024100), name (安陵镇) or short name (安陵);\n"
      "                   repeatable\n"
      "  --all            every township of the config (the county office)\n"
      "  --unmatched      persons not in the registry (alerts.unmatched), for the county office\n"
      "  --scale          the county's scale risks (riskhub.scale-risks, docs/scale.md) instead of\n"
      "                   warnings: one line a version (RAISED, UPDATED, CLEARED); the audit\n"
      "                   party's; with --group/--from/--period/--follow/--format/--output\n"
      "  --identity       the townships' identity discrepancies (identity.<code>, docs/identity.md)\n"
      "                   instead of warnings: one line a version (OPEN, UPDATED, CLOSED), the\n"
      "                   ID number always masked; with the options of --scale\n"
      "  --group NAME     the dashboard's consumer group: a run shows what the group has not\n"
      "                   seen and commits after writing it (default\n"
      "                   <prefix>riskhub-alerts.<townships>.<user>)\n"
      "  --from DATE      a window: alerts created on or after DATE (local midnight), no group\n"
      "  --period P       a window: alerts of the lists of month P, no group\n"
      "  --follow         keep waiting for new alerts (group mode; stop with Ctrl-C)\n"
      "  --format F       table (default, for people), jsonl or csv (UTF-8 with BOM)\n"
      "  --output FILE    write there instead of stdout\n"
      "  --unmasked       full ID numbers; the export is recorded in PostgreSQL first\n"
      "  --operator NAME  who is exporting, recorded with the OS user\n"
      "  --overdue        only the warnings the ledger holds open past their home-visit day\n"
      "                   (a window: the townships' topics from the beginning, no group)\n"
      "  --overdue-on D   the same as of day D (a meeting ahead: what will be overdue by then)\n"
      "  --no-registry    look nothing up in PostgreSQL: no household heads in the table, no\n"
      "                   state of the warnings (state, visit_due, overdue_days left empty)\n"
      "  --wait-s S       give up when Kafka or PostgreSQL is away this long (default 30)\n"
      "Exit: 0 done; 64 usage or unknown township; 65 records that are not Alerts were\n"
      "skipped; 69 Kafka or PostgreSQL away (nothing unmasked written without its record);\n"
      "70 internal; 74 output not written; 78 configuration, schemas, database not migrated.\n");
}

int alerts_args_parse(int argc, char **argv, alerts_args_t *a, char *errstr, size_t errstr_size) {
  enum {
    O_TOWNSHIP = 256, O_ALL, O_UNMATCHED, O_GROUP, O_FROM, O_PERIOD, O_FOLLOW, O_FORMAT, O_OUTPUT,
    O_NOBOM, O_UNMASKED, O_OPERATOR, O_NOREG, O_SCHEMAS, O_WAIT, O_LOG, O_OVERDUE, O_OVERDUE_ON,
    O_SCALE, O_IDENTITY
  };
  static const struct option longopts[] = {
      {"township", required_argument, NULL, O_TOWNSHIP}, {"all", no_argument, NULL, O_ALL},
      {"unmatched", no_argument, NULL, O_UNMATCHED},     {"group", required_argument, NULL, O_GROUP},
      {"from", required_argument, NULL, O_FROM},         {"period", required_argument, NULL, O_PERIOD},
      {"follow", no_argument, NULL, O_FOLLOW},           {"format", required_argument, NULL, O_FORMAT},
      {"output", required_argument, NULL, O_OUTPUT},     {"no-bom", no_argument, NULL, O_NOBOM},
      {"unmasked", no_argument, NULL, O_UNMASKED},       {"operator", required_argument, NULL, O_OPERATOR},
      {"no-registry", no_argument, NULL, O_NOREG},       {"config", required_argument, NULL, 'c'},
      {"schemas", required_argument, NULL, O_SCHEMAS},   {"wait-s", required_argument, NULL, O_WAIT},
      {"log-level", required_argument, NULL, O_LOG},     {"help", no_argument, NULL, 'h'},
      {"overdue", no_argument, NULL, O_OVERDUE},
      {"overdue-on", required_argument, NULL, O_OVERDUE_ON},
      {"scale", no_argument, NULL, O_SCALE},
      {"identity", no_argument, NULL, O_IDENTITY},
      {NULL, 0, NULL, 0}};
  memset(a, 0, sizeof *a);
  a->format = ALERTS_FMT_TABLE;
  a->wait_s = 30;
  optind = 0; /* GNU: start over (unit tests parse several command lines) */
  opterr = 0;
  int ch;
  while ((ch = getopt_long(argc, argv, ":c:h", longopts, NULL)) != -1) {
    switch (ch) {
    case O_TOWNSHIP:
      if (a->township_count == ALERTS_MAX_TOWNSHIPS) {
        rh_errf(errstr, errstr_size, "--township: at most %d", ALERTS_MAX_TOWNSHIPS);
        return -1;
      }
      a->townships[a->township_count++] = optarg;
      break;
    case O_ALL: a->all = true; break;
    case O_UNMATCHED: a->unmatched = true; break;
    case O_GROUP:
      if (!*optarg) {
        rh_errf(errstr, errstr_size, "--group: empty name");
        return -1;
      }
      a->group = optarg;
      break;
    case O_FROM: a->from = optarg; break;
    case O_PERIOD: a->period = optarg; break;
    case O_FOLLOW: a->follow = true; break;
    case O_FORMAT:
      if (alerts_format_parse(optarg, &a->format)) {
        rh_errf(errstr, errstr_size, "--format: '%.32s' is not table, jsonl or csv", optarg);
        return -1;
      }
      break;
    case O_OUTPUT: a->output = optarg; break;
    case O_NOBOM: a->no_bom = true; break;
    case O_UNMASKED: a->unmasked = true; break;
    case O_OPERATOR:
      if (!*optarg) {
        rh_errf(errstr, errstr_size, "--operator: empty name");
        return -1;
      }
      a->operator_name = optarg;
      break;
    case O_NOREG: a->no_registry = true; break;
    case O_SCALE: a->scale = true; break;
    case O_IDENTITY: a->identity = true; break;
    case O_OVERDUE: a->overdue = true; break;
    case O_OVERDUE_ON:
      a->overdue = true;
      a->overdue_on = optarg;
      break;
    case 'c': a->config_path = optarg; break;
    case O_SCHEMAS: a->schemas_dir = optarg; break;
    case O_WAIT:
      if (rh_cli_parse_int("--wait-s", optarg, 1, 86400, &a->wait_s, errstr, errstr_size))
        return -1;
      break;
    case O_LOG: a->log_level = optarg; break;
    case 'h': a->help = true; return 0;
    case ':':
      rh_errf(errstr, errstr_size, "%s: needs a value", argv[optind - 1]);
      return -1;
    default:
      rh_errf(errstr, errstr_size, "unknown option '%.64s'", argv[optind - 1]);
      return -1;
    }
  }
  if (optind != argc) {
    rh_errf(errstr, errstr_size, "unexpected argument '%.64s'", argv[optind]);
    return -1;
  }
  if (a->scale) {
    const char *with = a->township_count || a->all || a->unmatched
                           ? "--township, --all or --unmatched (it reads the county's scale "
                             "risks, not warnings)"
                       : a->overdue ? "--overdue (a scale risk has no home visit)"
                       : a->unmasked || a->operator_name
                           ? "--unmasked or --operator (a scale risk holds no ID number)"
                       : a->no_registry ? "--no-registry (it looks nothing up anyway)"
                                        : NULL;
    if (with) {
      rh_errf(errstr, errstr_size, "--scale cannot be used with %s", with);
      return -1;
    }
  }
  if (a->identity) {
    const char *with = a->scale ? "--scale (one or the other)"
                       : a->overdue ? "--overdue (a discrepancy has no home visit)"
                       : a->unmasked || a->operator_name
                           ? "--unmasked or --operator (the discrepancies' ID numbers are always "
                             "masked)"
                       : a->no_registry ? "--no-registry (it looks nothing up anyway)"
                                        : NULL;
    if (with) {
      rh_errf(errstr, errstr_size, "--identity cannot be used with %s", with);
      return -1;
    }
  }
  if (!a->township_count && !a->all && !a->unmatched && !a->scale) {
    rh_errf(errstr, errstr_size,
            "say whose alerts: --township CODE|NAME (repeatable), --all, or --unmatched (or "
            "--scale for the scale risks)");
    return -1;
  }
  if (a->all && a->township_count) {
    rh_errf(errstr, errstr_size, "--all already means every township: leave out --township");
    return -1;
  }
  int32_t days;
  if (a->from && rh_parse_date(a->from, strlen(a->from), &days)) {
    rh_errf(errstr, errstr_size, "--from: '%.32s' is not a date (YYYY-MM-DD)", a->from);
    return -1;
  }
  int y, m;
  if (a->period && rh_parse_period(a->period, &y, &m)) {
    rh_errf(errstr, errstr_size, "--period: '%.32s' is not a month YYYY-MM", a->period);
    return -1;
  }
  if ((a->from || a->period) && a->follow) {
    rh_errf(errstr, errstr_size,
            "--follow waits for new alerts as a dashboard; a window (--from, --period) reads "
            "to the end and exits: use one or the other");
    return -1;
  }
  if ((a->from || a->period) && a->group) {
    rh_errf(errstr, errstr_size,
            "--group reads what the group has not seen; a window (--from, --period) reads "
            "without a group: use one or the other");
    return -1;
  }
  if (a->overdue_on && rh_parse_date(a->overdue_on, strlen(a->overdue_on), &days)) {
    rh_errf(errstr, errstr_size, "--overdue-on: '%.32s' is not a date (YYYY-MM-DD)", a->overdue_on);
    return -1;
  }
  if (a->overdue) {
    const char *with = a->unmatched ? "--unmatched (persons not in the registry have no home "
                                      "visit to be late for)"
                       : a->follow ? "--follow (the overdue list is read once, as of today)"
                       : a->group  ? "--group (the overdue list is read from the beginning, "
                                     "without a group)"
                       : a->no_registry ? "--no-registry (the overdue warnings come from the "
                                          "ledger in PostgreSQL)"
                                        : NULL;
    if (with) {
      rh_errf(errstr, errstr_size, "--overdue cannot be used with %s", with);
      return -1;
    }
    if (!a->township_count && !a->all) {
      rh_errf(errstr, errstr_size, "--overdue: say whose warnings: --township CODE|NAME or --all");
      return -1;
    }
  }
  if (a->operator_name && !a->unmasked) {
    rh_errf(errstr, errstr_size, "--operator names who exports unmasked data: use it with "
                                 "--unmasked");
    return -1;
  }
  if (a->no_bom && a->format != ALERTS_FMT_CSV) {
    rh_errf(errstr, errstr_size, "--no-bom is for --format csv");
    return -1;
  }
  return 0;
}

void alerts_plan_free(alerts_plan_t *p) {
  if (!p) return;
  for (size_t i = 0; i < p->topic_count; i++) free(p->topics[i]);
  p->topic_count = 0;
}

static int add_topic(const rh_config_t *cfg, alerts_plan_t *p, const char *name, char *errstr,
                     size_t errstr_size) {
  char buf[512];
  if (rh_config_topic(cfg, name, buf, sizeof buf) || !(p->topics[p->topic_count] = strdup(buf))) {
    rh_errf(errstr, errstr_size, "topic name for %s: too long or out of memory", name);
    return -1;
  }
  p->topic_count++;
  return 0;
}

int alerts_plan_make(const rh_config_t *cfg, const alerts_args_t *a, const char *user,
                     alerts_plan_t *p, char *errstr, size_t errstr_size) {
  memset(p, 0, sizeof *p);
  p->from_ms = -1;
  p->unmatched = a->unmatched;
  p->scale = a->scale;
  p->identity = a->identity;
  bool want[ALERTS_MAX_TOWNSHIPS] = {false};
  if (cfg->township_count > ALERTS_MAX_TOWNSHIPS) {
    rh_errf(errstr, errstr_size, "%s: more than %d townships", cfg->source, ALERTS_MAX_TOWNSHIPS);
    return -1;
  }
  for (size_t i = 0; i < a->township_count; i++) {
    const rh_config_township_t *t = rh_config_township_find(cfg, a->townships[i]);
    if (!t) {
      char known[2048];
      size_t k = 0;
      known[0] = '\0';
      for (size_t j = 0; j < cfg->township_count && k < sizeof known - 64; j++)
        k += (size_t)snprintf(known + k, sizeof known - k, "%s%s %s", j ? ", " : "",
                              cfg->townships[j].code, cfg->townships[j].name);
      rh_errf(errstr, errstr_size, "--township '%.64s': no such township in %s (known: %s)",
              a->townships[i], cfg->source, known);
      return -1;
    }
    want[t - cfg->townships] = true;
  }
  for (size_t j = 0; j < cfg->township_count; j++)
    if (a->all || want[j]) p->townships[p->township_count++] = &cfg->townships[j];
  const char *kind = p->identity ? RH_DISCREPANCY_TOPIC_PREFIX : "alerts.";
  for (size_t j = 0; j < p->township_count; j++) {
    char name[64];
    snprintf(name, sizeof name, "%s%s", kind, p->townships[j]->code);
    if (add_topic(cfg, p, name, errstr, errstr_size)) goto fail;
  }
  if (p->unmatched) {
    char name[64];
    snprintf(name, sizeof name, "%sunmatched", kind);
    if (add_topic(cfg, p, name, errstr, errstr_size)) goto fail;
  }
  if (p->scale && add_topic(cfg, p, RH_SCALE_TOPIC, errstr, errstr_size)) goto fail;

  p->window = a->from || a->period || a->overdue;
  if (a->period) snprintf(p->period, sizeof p->period, "%s", a->period);
  if (a->from) {
    int32_t days;
    int y, m, d;
    rh_parse_date(a->from, strlen(a->from), &days); /* checked by alerts_args_parse */
    rh_date_from_days(days, &y, &m, &d);
    snprintf(p->from_date, sizeof p->from_date, "%04d-%02d-%02d", y, m, d);
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    tm.tm_isdst = -1;
    time_t t = mktime(&tm); /* local midnight */
    p->from_ms = (int64_t)t * 1000;
  }
  /* librdkafka asks the group's coordinator even for a window (nothing is
   * committed): one township's party may use its own groups only
   * (riskhub-alerts.<code>.*, docs/security.md), the bureau's any */
  if (p->township_count == 1 && !p->unmatched)
    snprintf(p->window_group, sizeof p->window_group, "%sriskhub-alerts.%s.window",
             cfg->topic_prefix, p->townships[0]->code);
  else
    snprintf(p->window_group, sizeof p->window_group, "%sriskhub-alerts.window",
             cfg->topic_prefix);
  if (!p->window) {
    if (a->group) {
      if ((size_t)snprintf(p->group, sizeof p->group, "%s", a->group) >= sizeof p->group) {
        rh_errf(errstr, errstr_size, "--group: longer than %zu bytes", sizeof p->group - 1);
        goto fail;
      }
    } else {
      char what[1024];
      size_t k = 0;
      what[0] = '\0';
      if (a->all)
        k = (size_t)snprintf(what, sizeof what, "all");
      else if (a->scale)
        k = (size_t)snprintf(what, sizeof what, "scale");
      else
        for (size_t j = 0; j < p->township_count && k < sizeof what - 16; j++)
          k += (size_t)snprintf(what + k, sizeof what - k, "%s%s", j ? "+" : "",
                                p->townships[j]->code);
      if (p->unmatched && k < sizeof what - 16)
        k += (size_t)snprintf(what + k, sizeof what - k, "%sunmatched", k ? "+" : "");
      if (p->identity && k < sizeof what - 16) snprintf(what + k, sizeof what - k, ".identity");
      if ((size_t)snprintf(p->group, sizeof p->group, "%sriskhub-alerts.%s.%s", cfg->topic_prefix,
                           what, user && *user ? user : "unknown") >= sizeof p->group) {
        rh_errf(errstr, errstr_size, "the default group name is too long: give one with --group");
        goto fail;
      }
    }
  }
  return 0;
fail:
  alerts_plan_free(p);
  return -1;
}
