/* rh_verify: see rh_verify.h. */
#include "rh_verify.h"

#include "rh_i18n.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

static const struct {
  const char *code, *label, *state;
} outcomes[RH_VERIFY_OUTCOME_COUNT] = {
    [RH_VERIFY_VERIFYING] = {"VERIFYING", "核实中", "VERIFYING"},
    [RH_VERIFY_INCLUDED] = {"INCLUDED", "纳入监测", "INCLUDED"},
    [RH_VERIFY_NOT_INCLUDED] = {"NOT_INCLUDED", "不纳入", "DISMISSED"},
    [RH_VERIFY_ALREADY_MONITORED] = {"ALREADY_MONITORED", "已是监测对象", "ALREADY_MONITORED"},
    [RH_VERIFY_UNREACHABLE] = {"UNREACHABLE", "无法联系", "UNREACHABLE"},
    [RH_VERIFY_PROPOSED] = {"PROPOSED", "拟纳入监测", "PROPOSED"},
};

/* Is text (blanks around it ignored) equal to want? */
static bool same(const char *text, const char *want, bool any_case) {
  while (*text == ' ' || *text == '\t') text++;
  size_t n = strlen(text);
  while (n && (text[n - 1] == ' ' || text[n - 1] == '\t' || text[n - 1] == '\r')) n--;
  if (n != strlen(want)) return false;
  return any_case ? strncasecmp(text, want, n) == 0 : strncmp(text, want, n) == 0;
}

int rh_verify_outcome_parse(const char *text) {
  if (!text) return -1;
  for (int o = 0; o < RH_VERIFY_OUTCOME_COUNT; o++)
    if (same(text, outcomes[o].code, true) || same(text, outcomes[o].label, false)) return o;
  return -1;
}

const char *rh_verify_outcome_code(rh_verify_outcome_t o) { return outcomes[o].code; }
const char *rh_verify_outcome_label(rh_verify_outcome_t o) { return outcomes[o].label; }
const char *rh_verify_state_after(rh_verify_outcome_t o) { return outcomes[o].state; }

const char *rh_verify_outcomes_text(void) {
  return "VERIFYING (核实中), INCLUDED (纳入监测), NOT_INCLUDED (不纳入), ALREADY_MONITORED "
         "(已是监测对象), UNREACHABLE (无法联系), PROPOSED (拟纳入监测)";
}

bool rh_verify_state_open(const char *state) {
  return state && (strcmp(state, "PUSHED") == 0 || strcmp(state, "RECEIVED") == 0 ||
                   strcmp(state, "VERIFYING") == 0 || strcmp(state, "UNREACHABLE") == 0);
}

const char *rh_verify_state_label(const char *state) {
  static const char *const labels[][2] = {
      {"PUSHED", "待核实"},          {"RECEIVED", "已接收"},     {"VERIFYING", "核实中"},
      {"UNREACHABLE", "无法联系"},   {"DISMISSED", "不纳入"},    {"ALREADY_MONITORED", "已是监测对象"},
      {"PROPOSED", "拟纳入监测"},    {"INCLUDED", "已纳入监测"},   {"ASSISTING", "帮扶中"},
      {"RISK_ELIMINATED", "风险已消除"}, {"WITHDRAWN", "已撤回"}};
  if (!state) return "";
  for (size_t i = 0; i < sizeof labels / sizeof *labels; i++)
    if (strcmp(labels[i][0], state) == 0) return labels[i][1];
  return state;
}

const char *rh_verify_refusal(const char *state, rh_verify_outcome_t o) {
  if (!state) return N_("the warning is not in the ledger");
  if (strcmp(state, "VERIFYING") == 0 && o == RH_VERIFY_VERIFYING)
    return N_("the warning is being verified already");
  if (rh_verify_state_open(state)) return NULL;
  if (strcmp(state, "WITHDRAWN") == 0)
    return N_("the warning was withdrawn: its department's corrected list no longer supports "
              "it, or it was merged into the person's warning of the month, which is the one "
              "to verify");
  if (strcmp(state, "PROPOSED") == 0)
    return o == RH_VERIFY_INCLUDED || o == RH_VERIFY_NOT_INCLUDED
               ? NULL
               : N_("the household is proposed for monitoring: only INCLUDED or NOT_INCLUDED "
                    "may follow");
  return N_("the warning has its outcome already");
}

bool rh_verify_holds_id_number(const char *s) {
  size_t run = 0;
  for (; s && *s; s++) {
    run = (*s >= '0' && *s <= '9') || ((*s == 'X' || *s == 'x') && run >= 14) ? run + 1 : 0;
    if (run >= 15) return true;
  }
  return false;
}

const rh_config_reason_t *rh_verify_reason_find(const rh_config_t *cfg, const char *text) {
  if (!text) return NULL;
  for (size_t i = 0; i < cfg->reason_count; i++)
    if (same(text, cfg->reasons[i].code, false) || same(text, cfg->reasons[i].label, false))
      return &cfg->reasons[i];
  return NULL;
}

void rh_verify_id(const char *alert_id, rh_verify_outcome_t o, const char *reason,
                  const char *visited_on, const char *recorded_by, char out[RH_SHA256_HEXSZ]) {
  const char *parts[6] = {"riskhub-verification-v1", alert_id, outcomes[o].code,
                          reason ? reason : "", visited_on ? visited_on : "",
                          recorded_by ? recorded_by : ""};
  rh_sha256_parts(parts, 6, out);
}
