"""What riskhub-join must publish, computed here in Python from the generated CSV
files (department lists and the registry) and config/riskhub.yaml: rule selection,
situations, alert and check ids; the join process and the comparisons shared by
the tests of the join, the alerts, the replay and the status."""
import collections
import copy
import decimal
import hashlib
import re
import signal
import subprocess
from pathlib import Path

from .env import BIN, IDLE_MS, PERIOD
from .feeds import batch_id, expected_records, read_dicts
from .kafka import read_topics
from .pg import warnings_rows
from .privacy import assert_no_full_id, mask, scrub

__all__ = ["SEVERITY", "sha_parts", "alert_id", "check_id", "fen", "Registry", "rule_household",
           "situation", "Rules", "expected_alert", "Expect", "expected_checks", "withdrawal_id",
           "merge_id", "MERGED_REASON", "expected_withdrawals", "check_id_v2", "CheckLists",
           "check_lists", "ALERT_FIELDS", "describe", "diff_alert", "diff_check", "Join",
           "run_join", "lineage", "expect", "show", "assert_alerts", "assert_warnings",
           "SUMMARY_KEYS", "assert_summary", "alert_count", "join_binary", "run_ledger",
           "ledger_binary"]

SEVERITY = {"low": 0, "medium": 1, "high": 2}
SUMMARY = re.compile(r"^riskhub-join: (records=\S+(?: [a-z_]+=\S+)*)\s*$", re.M)
SUMMARIES = {p: re.compile(rf"^riskhub-{p}: (records=\S+(?: [a-z_]+=\S+)*)\s*$", re.M)
             for p in ("join", "ledger")}


# ---- ids --------------------------------------------------------------------------

def sha_parts(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode() + b"\0")
    return h.hexdigest()


def alert_id(id_number, dept, feed, period, rule_id):
    return sha_parts("riskhub-alert-v1", id_number, dept, feed, period, rule_id)


def merge_id(merged_alert_id):
    """A merge's id (docs/join.md, "One warning per person")."""
    return sha_parts("riskhub-merge-v1", merged_alert_id)


MERGED_REASON = ("merged: one warning per person, feed and month; the warning merged_into "
                 "names stands for it")


def check_id(period, member_id, dept, feed):
    """A check list's first issue (the first list of its feed and period, at its arrival)."""
    return sha_parts("riskhub-check-v1", period, member_id, dept, feed)


def check_id_v2(period, member_id, dept, feed, batch, arrived):
    """A re-issue or a correction: batch, the list whose facts it gives; arrived,
    {(dept, feed): batch id} of the check lists of the period arrived then."""
    return sha_parts("riskhub-check-v2", period, member_id, dept, feed, batch,
                     *sorted(f"{d}/{f}={b}" for (d, f), b in arrived.items()))


def fen(text):
    """Yuan with up to 2 decimals (text or number) -> fen, exactly."""
    return int((decimal.Decimal(str(text).replace(",", "")) * 100).to_integral_exact())


# ---- the registry (from its CSV files) ------------------------------------------

class Registry:
    """households / members / applications as riskhub-registry imports them."""

    def __init__(self, folder):
        folder = Path(folder)
        self.households = {h["household_id"]: h for h in read_dicts(folder / "households.csv")}
        self.members = {m["id_number"]: m for m in read_dicts(folder / "members.csv")}
        self.applications = read_dicts(folder / "applications.csv")

    def copy(self):
        return copy.deepcopy(self)

    def household_of(self, id_number):
        m = self.members.get(id_number)
        return self.households[m["household_id"]] if m else None

    def members_of(self, household_id):
        """In members.csv order (the head first)."""
        return [m for m in self.members.values() if m["household_id"] == household_id]

    def applicants(self, period):
        return [a["household_id"] for a in self.applications if a["period"] == period]


def rule_household(h):
    """What a rule may ask about a household (rh_rule_household_t)."""
    if h is None:
        return None
    return {"type": h["household_type"], "category": h["monitoring_category"] or None,
            "risk_eliminated": h["risk_eliminated"] == "true",
            "income_fen": fen(h["income_per_capita"]) if h["income_per_capita"] else None}


def situation(h):
    hh = rule_household(h)
    if hh is None:
        return "UNMATCHED"
    if hh["risk_eliminated"]:
        return "RISK_MAY_HAVE_RETURNED"
    return "MAY_NEED_MONITORING" if hh["type"] == "ordinary" else "AT_NEW_RISK"


# ---- the rules (from the YAML) --------------------------------------------------

class Rules:
    def __init__(self, cfg):
        self.cfg = cfg
        self.thresholds = cfg.get("thresholds") or {}
        self.by_feed = {}
        for r in cfg.get("rules") or []:
            self.by_feed.setdefault(r["feed"], []).append(r)  # file order
        self.feeds = {}
        for d in cfg["departments"]:
            for f in d["feeds"]:
                self.feeds[(d["code"], f["code"])] = f

    def signal_feeds(self):
        return [k for k, f in self.feeds.items() if f["kind"] == "signal"]

    def check_feeds(self):
        """(dept, feed) of every check feed, in config order."""
        return [k for k, f in self.feeds.items() if f["kind"] == "check"]

    def _cond_number(self, cond):
        """The condition's number in fen, or None if it has none."""
        if "threshold" in cond:
            return fen(self.thresholds[cond["threshold"]])
        v = cond.get("value")
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return fen(v)
        if isinstance(v, str):
            try:
                return fen(v)
            except decimal.InvalidOperation:
                return None
        return None

    @staticmethod
    def _text(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        return None if v is None else str(v)

    @staticmethod
    def _value(field, rec, hh):
        """(is_number, value) of a condition's field, value None if absent."""
        if field == "amount":
            return True, rec.get("amount_fen")
        if field == "household.income_per_capita":
            return True, hh["income_fen"] if hh else None
        if field == "event_date":
            d = rec.get("event_date")
            return False, d.isoformat() if d else None
        if field.startswith("facts."):
            return False, (rec.get("facts") or {}).get(field[6:])
        if field.startswith("household."):
            if hh is None:
                return False, None
            f = field[10:]
            if f == "risk_eliminated":
                return False, "true" if hh["risk_eliminated"] else "false"
            return False, {"type": hh["type"], "category": hh["category"]}.get(f)
        key = {"id_number": "id_number", "name": "name", "township": "township_code",
               "village": "village", "subtype": "risk_subtype"}.get(field)
        return False, rec.get(key) if key else None

    def holds(self, cond, rec, hh):
        is_num, v = self._value(cond["field"], rec, hh)
        if v is None:
            return False
        op = cond["op"]
        if op == "in":
            values = cond.get("value")
            values = values if isinstance(values, list) else [values]
            for x in values:
                if is_num:
                    try:
                        if fen(x) == v:
                            return True
                    except decimal.InvalidOperation:
                        pass
                elif self._text(x) == v:
                    return True
            return False
        if is_num:
            want = self._cond_number(cond)
            if want is None:
                return False
            cmp = (v > want) - (v < want)
        else:
            want = self._text(cond.get("value")) if "value" in cond else None
            if want is None and "threshold" in cond:
                want = self._text(self.thresholds[cond["threshold"]])
            if want is None:
                return False
            cmp = (v > want) - (v < want)  # code point order = UTF-8 byte order
        return {"eq": cmp == 0, "ne": cmp != 0, "gt": cmp > 0, "gte": cmp >= 0,
                "lt": cmp < 0, "lte": cmp <= 0}[op]

    def select(self, dept, feed, rec, household):
        """The rule a record raises (most severe; ties: first in the file), or None."""
        hh = rule_household(household)
        best = None
        for rule in self.by_feed.get(f"{dept}/{feed}", []):
            if best is not None and SEVERITY[rule["severity"]] <= SEVERITY[best["severity"]]:
                continue
            if all(self.holds(c, rec, hh) for c in rule.get("when") or []):
                best = rule
        return best

    def outranks(self, dept, feed, rule_a, rule_b):
        """Rule id rule_a ranks above rule_b: more severe, or as severe and earlier in
        the file (what select prefers within one row)."""
        rules = self.by_feed.get(f"{dept}/{feed}", [])
        ia = next(i for i, r in enumerate(rules) if r["id"] == rule_a)
        ib = next(i for i, r in enumerate(rules) if r["id"] == rule_b)
        sa, sb = SEVERITY[rules[ia]["severity"]], SEVERITY[rules[ib]["severity"]]
        return sa > sb or (sa == sb and ia < ib)

    def risk(self, rule, dept, feed):
        return rule.get("risk") or self.feeds[(dept, feed)].get("risk")


# ---- expected output ----------------------------------------------------------------

def expected_alert(rules, reg, rec, period, source):
    """(outcome, alert or None) for one signal FeedRecord (dict as expected_records
    gives it), outcome 'alert', 'unmatched' or 'no_rule'. created_at is not compared;
    reason only for UNMATCHED."""
    dept, feed, idn = rec["department"], rec["feed"], rec["id_number"]
    common = {"person_id_number": idn, "risk_subtype": rec.get("risk_subtype"),
              "department": dept, "feed": feed, "period": period,
              "amount_fen": rec.get("amount_fen"), "event_date": rec.get("event_date"),
              "facts": dict(rec.get("facts") or {}), "source": dict(source)}
    m = reg.members.get(idn)
    if m is None:
        a = dict(common, alert_id=alert_id(idn, dept, feed, period, "unmatched"),
                 situation="UNMATCHED", household_id=None, household_type=None,
                 monitoring_category=None, risk_eliminated=False, person_name=rec.get("name"),
                 relation_to_head=None, risk=rules.feeds[(dept, feed)].get("risk"),
                 severity="low", rule_id="unmatched", reason="not in the household registry")
        a["_topic"], a["_key"] = "alerts.unmatched", idn
        # Alert.avsc: "Null for UNMATCHED unless the department named one": the
        # department's township and village, exactly (issue 11)
        a["township_code"], a["village"] = rec.get("township_code"), rec.get("village")
        return "unmatched", a
    h = reg.households[m["household_id"]]
    rule = rules.select(dept, feed, rec, h)
    if rule is None:
        return "no_rule", None
    a = dict(common, alert_id=alert_id(idn, dept, feed, period, rule["id"]),
             situation=situation(h), township_code=h["township_code"], village=h["village"],
             household_id=h["household_id"], household_type=h["household_type"],
             monitoring_category=h["monitoring_category"] or None,
             risk_eliminated=h["risk_eliminated"] == "true", person_name=m["name"],
             relation_to_head=m["relation"], risk=rules.risk(rule, dept, feed),
             severity=rule["severity"], rule_id=rule["id"])
    a["_topic"], a["_key"] = f"alerts.{h['township_code']}", h["household_id"]
    return "alert", a


class Expect:
    """Expected alerts, accumulated in the order the join would consume records of
    one partition (offset order): the first record of an alert id wins, later ones
    are duplicates. One warning per person, feed and month (docs/join.md): a row
    whose person has a live alert of a better ranked rule is merged into it (a merge
    record, no alert); a row ranked above the live one is raised and the live one
    merged into it (its warning WITHDRAWN in the ledger)."""

    def __init__(self, rules, period=PERIOD):
        self.rules, self.period = rules, period
        self.alerts = {}      # alert_id -> expected alert
        self.merges = {}      # merge id -> expected merge record (docs/join.md)
        self.merged = set()   # ids of alerts merged into a later, better ranked one
        self.claimed = set()  # alert ids published or merged
        self.live = {}        # (id number, department, feed) -> the alert that stands
        self.counts = {"alerts": 0, "unmatched": 0, "no_rule": 0,
                       "duplicates": 0, "records": 0, "merged": 0}
        self.outcomes = []    # one dict a signal record: outcome, rule_id, situation, ...

    def add(self, reg, rec, source):
        self.counts["records"] += 1
        if rec["kind"] != "SIGNAL":
            return None
        outcome, a = expected_alert(self.rules, reg, rec, self.period, source)
        h = reg.household_of(rec["id_number"])
        self.outcomes.append({"outcome": outcome, "rule_id": a["rule_id"] if a else None,
                              "situation": a["situation"] if a else None,
                              "household_type": h["household_type"] if h else None,
                              "department": rec["department"], "feed": rec["feed"],
                              "id_number": rec["id_number"]})
        if outcome == "no_rule":
            self.counts["no_rule"] += 1
            return None
        if a["alert_id"] in self.claimed:
            self.counts["duplicates"] += 1
            return None
        self.claimed.add(a["alert_id"])
        if outcome == "unmatched":
            self.alerts[a["alert_id"]] = a
            self.counts["unmatched"] += 1
            return a
        key = (rec["id_number"], rec["department"], rec["feed"])
        cur = self.live.get(key)
        dept, feed = rec["department"], rec["feed"]
        if cur is not None and self.rules.outranks(dept, feed, cur["rule_id"], a["rule_id"]):
            self._merge(a, cur["alert_id"])  # the row's own facts
            return None
        self.alerts[a["alert_id"]] = a
        self.counts["alerts"] += 1
        if cur is not None:
            # the live alert merged: the rule only (its facts are on its record)
            self._merge(dict(a, rule_id=cur["rule_id"], risk=cur["risk"],
                             severity=cur["severity"], risk_subtype=None, amount_fen=None,
                             event_date=None, facts={}, alert_id=cur["alert_id"]),
                        a["alert_id"])
            self.merged.add(cur["alert_id"])
        self.live[key] = a
        return a

    def _merge(self, m, into):
        mid = merge_id(m["alert_id"])
        self.merges[mid] = dict(m, alert_id=mid, withdraws=m["alert_id"], merged_into=into,
                                situation="WITHDRAWN", reason=MERGED_REASON)
        self.counts["merged"] += 1

    def township_alerts(self):
        return {k: a for k, a in self.alerts.items() if a["situation"] != "UNMATCHED"}

    def unmatched_alerts(self):
        return {k: a for k, a in self.alerts.items() if a["situation"] == "UNMATCHED"}

    def warnings(self):
        """Rows expected in PostgreSQL's warnings table."""
        return sorted((a["alert_id"], a["household_id"], a["township_code"], a["period"], a["risk"],
                       a["rule_id"], "WITHDRAWN" if a["alert_id"] in self.merged else "PUSHED")
                      for a in self.township_alerts().values())


def withdrawal_id(withdrawn_alert_id, batch_id):
    """The id of the withdrawal of an alert by a corrected list (docs/join.md, "Corrections")."""
    return sha_parts("riskhub-withdraw-v1", withdrawn_alert_id, batch_id)


def expected_withdrawals(rules, reg, old_items, new_items, new_batch_id, period=PERIOD):
    """{withdrawal id: expected withdrawal} when the list of new_items (its batch
    new_batch_id) corrects the list of old_items (both [(source, record)] as lineage
    gives them; the same department, feed, period and file name): one a alert the old
    list supports and the new one does not, to the alert's topic and key, situation
    WITHDRAWN, withdraws = the alert's id, its other fields the alert's (source and
    reason not compared here)."""
    def supported(items):
        out = {}
        for src, rec in items:
            if rec["kind"] != "SIGNAL":
                continue
            _, a = expected_alert(rules, reg, rec, period, src)
            if a is not None:
                out.setdefault(a["alert_id"], a)
        return out

    new = supported(new_items)
    out = {}
    for aid, a in supported(old_items).items():
        if aid in new:
            continue
        w = dict(a, alert_id=withdrawal_id(aid, new_batch_id), withdraws=aid, situation="WITHDRAWN")
        for k in ("source", "reason", "amount_fen", "event_date", "facts"):
            w.pop(k, None)
        out[w["alert_id"]] = w
    return out


def expected_checks(rules, reg, dept, feed, period, batch_records, done_feeds):
    """CheckResults for one check feed's manifest: {check_id: result}. batch_records:
    {id_number: (record, source)} of that batch; done_feeds: (dept, feed) of the check
    feeds whose manifest for the period has been consumed, this one included."""
    missing = [f"{d}/{f}" for d, f in rules.check_feeds() if (d, f) not in done_feeds]
    out = {}
    for hid in reg.applicants(period):
        h = reg.households[hid]
        for m in reg.members_of(hid):
            hit = batch_records.get(m["id_number"])
            r = {"check_id": check_id(period, m["id_number"], dept, feed), "period": period,
                 "township_code": h["township_code"], "village": h["village"],
                 "household_id": hid, "member_id_number": m["id_number"],
                 "member_name": m["name"], "relation_to_head": m["relation"],
                 "department": dept, "feed": feed, "matched": hit is not None,
                 "facts": dict(hit[0]["facts"]) if hit else {},
                 "source": dict(hit[1]) if hit else None,
                 "complete": not missing, "missing_departments": missing}
            r["_topic"], r["_key"] = f"checks.{h['township_code']}", hid
            out[r["check_id"]] = r
    return out


class CheckLists:
    """The check lists of a period and every CheckResult riskhub-join must issue for
    them (docs/join.md, "Records"; issue 11), from the lists as published: add()
    each believed list of the chain, a feed's lists in the order it published them.

    The state at a time t: each check feed's last list finished at or before t.
    Each list's arrival (its finished_at) issues the results of every list of the
    state then, complete/missing_departments as of then; a result supersedes its
    member's and feed's result of the state at the time before (the greatest
    finished_at below t), if that state had the feed."""

    def __init__(self, rules, reg, period=PERIOD):
        self.rules, self.reg, self.period = rules, reg, period
        self.lists = []

    def add(self, dept, feed, batch, finished_at, records):
        """records: {id_number: (record, source)} of the list's batch."""
        if any(x["batch"] == batch for x in self.lists):
            # the same list again: a copy of its signed manifest (not in the chain),
            # or sent again with --republish, which restates the state it was
            # current in (its results' ids are those of that state: duplicates)
            return
        self.lists.append({"key": (dept, feed), "batch": batch, "finished_at": finished_at,
                           "records": records})

    def times(self):
        return sorted({x["finished_at"] for x in self.lists})

    def state(self, t):
        st = {}
        for key in self.rules.check_feeds():
            cur = [x for x in self.lists if x["key"] == key and x["finished_at"] <= t]
            if cur:
                st[key] = cur[-1]
        return st

    def _id(self, key, st, t, member):
        x = st[key]
        first = next(y for y in self.lists if y["key"] == key)
        if x is first and x["finished_at"] == t:
            return check_id(self.period, member, *key)
        return check_id_v2(self.period, member, *key, x["batch"],
                           {k: y["batch"] for k, y in st.items()})

    def results_at(self, t):
        """{check_id: result} issued when a list finished at t arrived."""
        st = self.state(t)
        before = [x for x in self.times() if x < t]
        pt = before[-1] if before else None
        pst = self.state(pt) if before else {}
        out = {}
        for key, x in st.items():
            rs = expected_checks(self.rules, self.reg, *key, self.period, x["records"], set(st))
            for r in rs.values():
                m = r["member_id_number"]
                r["check_id"] = self._id(key, st, t, m)
                r["supersedes"] = self._id(key, pst, pt, m) if key in pst else None
                out[r["check_id"]] = r
        return out

    def results(self):
        """Every result of every arrival so far."""
        out = {}
        for t in self.times():
            out.update(self.results_at(t))
        return out

    def skipped(self):
        """The results riskhub-join finds published already (its summary's duplicates):
        k lists finished in one millisecond issue the same state's results k times."""
        n = sum(len(self.reg.members_of(h)) for h in self.reg.applicants(self.period))
        times = collections.Counter(x["finished_at"] for x in self.lists)
        return sum((k - 1) * n * len(self.state(t)) for t, k in times.items())

    def current(self):
        """The results no other supersedes: one a member and check feed."""
        res = self.results()
        replaced = {r["supersedes"] for r in res.values()}
        return {k: r for k, r in res.items() if k not in replaced}


def check_lists(ns, cfg, rules, reg, files, period=PERIOD):
    """CheckLists of the check feeds' files among files (dept, feed, path), published
    in that order: batches, lineage and finished_at read back from the broker."""
    lists = CheckLists(rules, reg, period)
    manifests = ns.manifests_by_batch()
    for dept, feed, path in files:
        if (dept, feed) not in rules.check_feeds():
            continue
        bid = batch_id(dept, feed, period, path)
        published = ns.feed_records(dept, feed, batch=bid)
        recs = expected_records(cfg, dept, feed, path)
        batch = {recs[row]["id_number"]: (recs[row], src) for (_, row), (_, src) in published.items()}
        lists.add(dept, feed, bid, min(m["finished_at"] for m in manifests[bid]), batch)
    return lists


ALERT_FIELDS = ("alert_id", "situation", "household_id", "household_type", "monitoring_category",
                "risk_eliminated", "person_id_number", "person_name", "relation_to_head", "risk",
                "risk_subtype", "severity", "rule_id", "department", "feed", "period",
                "amount_fen", "event_date", "facts", "source")


def describe(a):
    return (f"alert {a.get('alert_id', '?')[:12]} ({a.get('department')}/{a.get('feed')}, "
            f"person {mask(a.get('person_id_number'))}, rule {a.get('rule_id')})")


def diff_alert(exp, got):
    """[field: got != expected] (names and facts not shown, IDs masked)."""
    out = []
    for k in ALERT_FIELDS:
        if got.get(k) != exp[k]:
            if k in ("person_name", "facts"):
                out.append(f"{k} differs")
            else:
                out.append(f"{k}: {scrub(got.get(k))!r} != expected {scrub(exp[k])!r}")
    for k in ("township_code", "village"):
        if got.get(k) != exp[k]:
            out.append(f"{k}: {got.get(k)!r} != expected {exp[k]!r}")
    if exp["situation"] == "UNMATCHED" and got.get("reason") != exp["reason"]:
        out.append(f"reason: {scrub(got.get('reason'))!r} != {exp['reason']!r}")
    return out


def diff_check(exp, got):
    out = []
    for k, v in exp.items():
        if k.startswith("_"):
            continue
        if got.get(k) != v:
            if k in ("member_name", "facts"):
                out.append(f"{k} differs")
            else:
                out.append(f"{k}: {scrub(got.get(k))!r} != expected {scrub(v)!r}")
    return out


# ---- the join process ----------------------------------------------------------------

class Join:
    """A running riskhub-join (or, program="ledger", riskhub-ledger: the same
    service shape, options, exits and summary line)."""

    def __init__(self, ns, cmd, log_dir, program="join", env=None):
        self.program = program
        log_dir = Path(log_dir)
        log_dir.mkdir(parents=True, exist_ok=True)
        n = len(list(log_dir.glob(f"{program}-*.out")))
        self.out_path = log_dir / f"{program}-{n}.out"
        self.err_path = log_dir / f"{program}-{n}.err"
        self.out_fp = open(self.out_path, "w")
        self.err_fp = open(self.err_path, "w")
        self.proc = subprocess.Popen(cmd, stdout=self.out_fp, stderr=self.err_fp, env=ns.env(**(env or {})))

    @property
    def stdout(self):
        return self.out_path.read_text()

    @property
    def stderr(self):
        return self.err_path.read_text()

    def running(self):
        return self.proc.poll() is None

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"riskhub-{self.program} still running after {timeout} s; "
                                 f"log tail:\n{self.tail()}")
        finally:
            self._close_files()

    def terminate(self, timeout=30):
        if self.running():
            self.proc.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def kill(self):
        if self.running():
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(30)
        self._close_files()

    def _close_files(self):
        for fp in (self.out_fp, self.err_fp):
            if not fp.closed:
                fp.close()

    def tail(self, n=30):
        lines = (self.stderr.splitlines() + self.stdout.splitlines())[-n:]
        return scrub("\n".join(lines))

    def summary(self):
        """{key: number} of the one summary line on stdout (key=value, ints and floats)."""
        found = SUMMARIES[self.program].findall(self.stdout)
        assert len(found) == 1, f"expected one summary line on stdout, got:\n{scrub(self.stdout)}"
        out = {}
        for kv in found[0].split():
            k, v = kv.split("=", 1)
            out[k] = int(v) if v.isdigit() else float(v)
        return out

    def check_output(self):
        assert_no_full_id(self.stdout, self.stderr)


# ---- running and comparing (shared by test_join*.py) ----------------------------------

def run_join(ns, tmp_path, *args, timeout=120):
    """riskhub-join with --idle-exit-ms until it exits; exit 0 asserted."""
    j = ns.join("--idle-exit-ms", IDLE_MS, *args, log_dir=tmp_path / "logs")
    rc = j.wait(timeout)
    assert rc == 0, f"riskhub-join exit {rc}:\n{j.tail()}"
    j.check_output()
    return j


def lineage(ns, cfg, files):
    """[(source, csv record)] of published files, in (topic, partition, offset) order:
    the order in which the join meets the records of one partition. The record is
    what the CSV says (expected_records), the source where the broker put it."""
    items = []
    by_feed = collections.defaultdict(list)
    for dept, feed, path in files:
        by_feed[(dept, feed)].append(path)
    all_published = ns.feed_records_of(list(by_feed))
    for (dept, feed), paths in by_feed.items():
        published = all_published[(dept, feed)]
        for path in paths:
            bid = batch_id(dept, feed, PERIOD, path)
            want = expected_records(cfg, dept, feed, path)
            rows = {row for b, row in published if b == bid}
            assert rows == set(want), f"{path.name}: the published rows differ from the file"
            items += [(published[(bid, row)][1], rec) for row, rec in want.items()]
    items.sort(key=lambda x: (x[0]["topic"], x[0]["partition"], x[0]["offset"]))
    return items


def expect(rules, reg, items, exp=None):
    exp = exp or Expect(rules)
    for source, rec in items:
        exp.add(reg, rec, source)
    return exp


def show(keys, n=5):
    return ", ".join(f"{aid[:12]} key {mask(k)} {t}" for aid, k, t in list(keys)[:n])


def assert_alerts(ns, exp, t0_ms=None, t1_ms=None):
    """The alerts topics hold exactly the expected alerts, once each, field by field
    (created_at within [t0_ms, t1_ms] if given)."""
    got = ns.read("alerts.")
    have = collections.Counter((rec["alert_id"], key, topic) for topic, key, rec, _ in got)
    every = dict(exp.alerts, **exp.merges)
    want = collections.Counter((a["alert_id"], a["_key"], a["_topic"]) for a in every.values())
    missing, extra = want - have, have - want
    dups = [k for k, n in have.items() if n > 1]
    assert not missing and not extra, (
        f"alerts differ: {sum(missing.values())} missing (e.g. {show(missing)}), "
        f"{sum(extra.values())} unexpected (e.g. {show(extra)}), {len(dups)} duplicated")
    problems = []
    for topic, key, rec, _ in got:
        e = every[rec["alert_id"]]
        d = diff_alert(e, rec)
        for k in ("withdraws", "merged_into"):
            if rec.get(k) != e.get(k):
                d.append(f"{k}: {str(rec.get(k))[:12]} != expected {str(e.get(k))[:12]}")
        ca = rec["created_at"]
        ca = int(ca.timestamp() * 1000) if hasattr(ca, "timestamp") else ca
        if t0_ms is not None and not (t0_ms - 1000 <= ca <= t1_ms + 1000):
            d.append(f"created_at {ca} outside the run [{t0_ms}, {t1_ms}]")
        if d:
            problems.append(f"{describe(e)}: " + "; ".join(d))
    assert not problems, f"{len(problems)} alerts differ:\n" + "\n".join(problems[:15])
    return got


def run_ledger(ns, *args, log_dir=None, timeout=180, env=None):
    """riskhub-ledger with --idle-exit-ms until it exits (env: more variables); exit 0
    asserted."""
    import tempfile
    log_dir = log_dir or tempfile.mkdtemp(prefix="rhtest-ledger-")
    led = ns.ledger("--idle-exit-ms", IDLE_MS, *args, log_dir=log_dir, env=env)
    rc = led.wait(timeout)
    assert rc == 0, f"riskhub-ledger exit {rc}:\n{led.tail()}"
    led.check_output()
    return led


def assert_warnings(ns, exp, ledger=True):
    """PostgreSQL's warnings rows are exactly the expected ones, once each. The rows
    are riskhub-ledger's (docs/ledger.md): ledger=True runs it first until it is idle
    with nothing left."""
    if ledger:
        run_ledger(ns)
    got, want = warnings_rows(ns.conninfo), exp.warnings()
    g, w = set(got), set(want)
    assert len(got) == len(g)
    assert g == w, (f"warnings: {len(w - g)} missing (e.g. {[r[0][:12] for r in list(w - g)[:5]]}), "
                    f"{len(g - w)} unexpected (e.g. {[r[0][:12] + ' ' + r[5] for r in list(g - w)[:5]]})")


SUMMARY_KEYS = ("records", "alerts", "unmatched", "no_rule", "duplicates", "dlq", "checks")


def assert_summary(j, **want):
    """The summary line's counters: the contract's keys must be there; further keys
    (check_records, identity, manifests, ...) are compared when the line has them."""
    s = j.summary()
    for k in SUMMARY_KEYS:
        assert k in s, f"summary has no {k}: {s}"
    diff = {k: (s.get(k), v) for k, v in want.items()
            if (k in SUMMARY_KEYS or k in s) and s.get(k) != v}
    assert not diff, f"summary (got, expected): {diff}; line: {s}"
    return s


def alert_count(ns, timeout=60):
    """Committed messages on every alerts topic of the namespace (not decoded). Right
    after an instance is killed its transaction holds the partitions' ends back until
    the coordinator aborts it: transaction.timeout.ms plus the coordinator's check every
    10 s (transaction.abort.timed.out.transaction.cleanup.interval.ms) and the markers,
    25 s and more for the tests' 15 s; 30 s was too short once on a loaded cluster."""
    n = [0]

    def count(m):
        n[0] += 1
        return False
    read_topics(ns.topics("alerts."), timeout=timeout, keep=count)
    return n[0]


def join_binary():
    return BIN / "riskhub-join"


def ledger_binary():
    return BIN / "riskhub-ledger"
