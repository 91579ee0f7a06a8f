"""Risks of large-scale return to poverty (issue 15; docs/scale.md), through the real
broker and PostgreSQL: a department's disaster lists go through the join and the
ledger; riskhub-scale counts the month's live warnings per village against the
test's scale rules and sends each place that crosses to the county topic
riskhub.scale-risks. Expected values are computed here, apart from the C code: the
alerts from the lists, the registry and config/riskhub.yaml (rhtest.Expect), their
households grouped by the registry's village, the thresholds applied as docs/scale.md
says.

PYTEST_DONT_REWRITE: assertion messages are only the ones written here."""
import collections
import csv
import io
import json
import math
import re
import subprocess
from datetime import datetime, timedelta, timezone

import pytest

import rhtest
from rhtest import PERIOD, expect, lineage, run_join, run_ledger, scrub

SCALE = rhtest.BIN / "riskhub-scale"
STATUS = rhtest.BIN / "riskhub-status"
ALERTS = rhtest.BIN / "riskhub-alerts"
CST = timezone(timedelta(hours=8))  # the county's time (riskhub-status --utc-offset default)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MONTH = dict(households=6000, rows_per_feed=10, seed=20266)
DEPT, FEED = "emergency", "disaster-affected"
WATER = ("water", "drinking-water")
MIN_HOUSEHOLDS, MIN_SHARE = 5, 0.3
RULES = f"""scale_risks:
  baseline_months: 3
  rules:
    - id: village-flood
      place: village
      risks: [DISASTER]
      min_households: {MIN_HOUSEHOLDS}
      min_share: {MIN_SHARE}
    - id: village-flood-and-water
      place: village
      risks: [DISASTER, DRINKING_WATER]
      all_risks: true
      min_households: 2
"""

if not SCALE.exists():
    pytest.skip("riskhub-scale is not built", allow_module_level=True)


@pytest.fixture
def ns(namespace, month):
    return namespace(month / "registry")


def scale_config(tmp_path):
    """The shipped configuration with the test's scale rules instead of its own."""
    text = rhtest.CONFIG.read_text()
    text = re.sub(r"^scale_risks:\n(?:(?:[ #].*)?\n)*", RULES + "\n", text, count=1, flags=re.M)
    assert RULES in text
    path = tmp_path / "riskhub-scale.yaml"
    path.write_text(text)
    return path


def scale(ns, config):
    r = ns.run("riskhub-scale", "--config", config, "--period", PERIOD, timeout=120)
    rhtest.assert_no_full_id(r.stdout, r.stderr)
    assert r.returncode == 0, f"riskhub-scale: exit {r.returncode}: {scrub(r.stderr)}"
    return r


def villages(reg):
    """{(township, village): [household ids]} of the registry, and each household's head."""
    places, head = collections.defaultdict(list), {}
    for h in reg.households.values():
        places[(h["township_code"], h["village"])].append(h["household_id"])
        head[h["household_id"]] = h["head_id_number"]
    return places, head


def disaster_rows(reg, head, households, day="2026-10-12"):
    rows = []
    for hid in households:
        r = rhtest.registry_row_values(reg, head[hid])
        rows.append(dict(r, event_date=day, amount="5000", subtype="FLOOD",
                         **{"facts.damage": "房屋进水"}))
    return rows


def water_rows(reg, head, households):
    return [dict(rhtest.registry_row_values(reg, head[h]), event_date="2026-10-20",
                 **{"facts.problem": "水质不达标"}) for h in households]


def model(rules, reg, ns, cfg, files):
    """{(rule, township, village): (household ids, alert ids)} that cross, from the
    expected alerts of the lists (the join's model) grouped by the registry's village."""
    alerts = expect(rules, reg, lineage(ns, cfg, files)).township_alerts().values()
    by_place = collections.defaultdict(lambda: collections.defaultdict(set))
    aids = collections.defaultdict(set)
    for a in alerts:
        h = reg.households[a["household_id"]]
        place = (h["township_code"], h["village"])
        by_place[place][a["risk"]].add(a["household_id"])
        aids[place].add(a["alert_id"])
    places, _ = villages(reg)
    out = {}
    for place, risks in by_place.items():
        size = len(places[place])
        flood = risks.get("DISASTER", set())
        # village-flood: any of [DISASTER]; both thresholds
        if len(flood) >= MIN_HOUSEHOLDS and len(flood) >= MIN_SHARE * size - 1e-9:
            ids = {a for a in aids[place] if alerts_risk(alerts, a) == "DISASTER"}
            out[("village-flood",) + place] = (sorted(flood), sorted(ids))
        # village-flood-and-water: each risk at least 2 households on its own
        water = risks.get("DRINKING_WATER", set())
        if len(flood) >= 2 and len(water) >= 2:
            out[("village-flood-and-water",) + place] = (sorted(flood | water), sorted(aids[place]))
    return out


def alerts_risk(alerts, alert_id):
    return next(a["risk"] for a in alerts if a["alert_id"] == alert_id)


def scale_records(ns):
    return [(key, rec) for _, key, rec, _ in ns.read("riskhub.scale-risks")]


def test_a_village_crosses_once_and_grows_without_a_second_record(ns, cfg, rules, reg, tmp_path):
    places, head = villages(reg)
    by_size = sorted(places.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    need = lambda n: max(MIN_HOUSEHOLDS, math.ceil(MIN_SHARE * n - 1e-9))  # noqa: E731
    # F crosses exactly at its share (a large village) and C, as large, lacks one
    # household of it (though it has the count); A crosses exactly at the count (a
    # village where the share asks fewer) and B lacks one household of it; D has two
    # floods and two water problems (the combination), E two floods and one water
    # problem (not)
    # (a village of 10k households: the share asks for exactly 3k)
    f_place, f_hh = next((p, h) for p, h in by_size if len(h) % 10 == 0 and need(len(h)) > MIN_HOUSEHOLDS)
    c_place, c_hh = next((p, h) for p, h in by_size if p != f_place)
    assert need(len(c_hh)) - 1 >= MIN_HOUSEHOLDS, "the largest village is too small for C"
    small = [(p, h) for p, h in by_size if need(len(h)) == MIN_HOUSEHOLDS and len(h) >= MIN_HOUSEHOLDS + 2]
    (a_place, a_hh), (b_place, b_hh) = small[0], small[1]
    d_place, d_hh = by_size[-1]
    e_place, e_hh = by_size[-2]
    assert len(d_hh) >= 2 and len(e_hh) >= 2
    first = (f_hh[:need(len(f_hh))] + c_hh[:need(len(c_hh)) - 1] + a_hh[:MIN_HOUSEHOLDS]
             + b_hh[:MIN_HOUSEHOLDS - 1] + d_hh[:2] + e_hh[:2])
    lists = tmp_path / "lists"
    lists.mkdir()
    f1 = rhtest.write_feed_csv(cfg, DEPT, FEED, lists / f"{DEPT}.{FEED}.{PERIOD}.csv",
                               disaster_rows(reg, head, first))
    w1 = rhtest.write_feed_csv(cfg, *WATER, lists / f"{WATER[0]}.{WATER[1]}.{PERIOD}.csv",
                               water_rows(reg, head, d_hh[:2] + e_hh[:1]))
    ns.produce(DEPT, FEED, f1)
    ns.produce(*WATER, w1)
    run_join(ns, tmp_path)
    run_ledger(ns)
    config = scale_config(tmp_path)
    r1 = scale(ns, config)

    want = model(rules, reg, ns, cfg, [(DEPT, FEED, f1), (*WATER, w1)])
    assert set(want) == {("village-flood",) + a_place, ("village-flood",) + f_place,
                         ("village-flood-and-water",) + d_place}, \
        f"the model: {sorted(k[0] + ' ' + k[2] for k in want)}"
    got = scale_records(ns)
    assert len(got) == 3, f"{len(got)} scale records after the first run: {scrub(r1.stdout)}"
    for key, rec in got:
        k = (rec["rule_id"], rec["township_code"], rec["village"])
        assert k in want, f"an unexpected scale risk {k[0]} in {k[2]}"
        hh, aids = want[k]
        assert (rec["status"], rec["version"]) == ("RAISED", 1), (rec["status"], rec["version"])
        assert rec["household_ids"] == hh and rec["alert_ids"] == aids, f"{k[0]}: households differ"
        assert rec["households"] == len(hh)
        assert rec["place_households"] == len(places[(k[1], k[2])])
        assert rec["place_level"] == "village" and rec["period"] == PERIOD
        assert key == rec["scale_risk_id"] and re.fullmatch(r"[0-9a-f]{32}", key)
        assert rec["baseline"] == 0.0
    assert "3 raised, 0 updated, 0 cleared, 0 on the topic already" in r1.stdout, scrub(r1.stdout)

    # the flood spreads in A: a second list of the month (another file) names two more
    # households; one new version of A's key, nothing new for the others
    more = a_hh[MIN_HOUSEHOLDS:MIN_HOUSEHOLDS + 2]
    assert len(more) == 2
    f2 = rhtest.write_feed_csv(cfg, DEPT, FEED, lists / f"{DEPT}.{FEED}.{PERIOD}.more.csv",
                               disaster_rows(reg, head, more, day="2026-10-15"))
    ns.produce(DEPT, FEED, f2)
    run_join(ns, tmp_path)
    run_ledger(ns)
    r2 = scale(ns, config)
    want = model(rules, reg, ns, cfg, [(DEPT, FEED, f1), (DEPT, FEED, f2), (*WATER, w1)])
    got = scale_records(ns)
    assert len(got) == 4, f"{len(got)} scale records after the list grew: {scrub(r2.stdout)}"
    v1 = next(rec for _, rec in got if rec["rule_id"] == "village-flood" and rec["village"] == a_place[1]
              and rec["township_code"] == a_place[0])
    key, v2 = got[-1]
    assert (v2["rule_id"], v2["status"], v2["version"]) == ("village-flood", "UPDATED", 2)
    assert key == v1["scale_risk_id"] and v2["since"] == v1["since"]
    hh, aids = want[("village-flood",) + a_place]
    assert v2["household_ids"] == hh and v2["alert_ids"] == aids and len(hh) == len(v1["household_ids"]) + 2
    assert "0 raised, 1 updated, 0 cleared, 2 on the topic already" in r2.stdout, scrub(r2.stdout)

    # run again: every version is on the topic already
    r3 = scale(ns, config)
    assert len(scale_records(ns)) == 4
    assert "0 raised, 0 updated, 0 cleared, 3 on the topic already" in r3.stdout, scrub(r3.stdout)

    # the department corrects its first list (the same file): A's households were not
    # flooded after all. The join withdraws their warnings, the ledger leaves them
    # WITHDRAWN; A keeps the second list's 2 households, under the count: CLEARED
    (tmp_path / "corrected").mkdir()
    fixed = rhtest.write_feed_csv(cfg, DEPT, FEED, tmp_path / "corrected" / f1.name,
                                  disaster_rows(reg, head, [h for h in first if h not in a_hh]))
    assert fixed.name == f1.name
    ns.produce(DEPT, FEED, fixed)
    run_join(ns, tmp_path)
    run_ledger(ns)
    r4 = scale(ns, config)
    got = scale_records(ns)
    assert len(got) == 5, f"{len(got)} scale records after the correction: {scrub(r4.stdout)}"
    key, v3 = got[-1]
    assert (key, v3["status"], v3["version"], v3["since"]) == (v1["scale_risk_id"], "CLEARED", 3, v1["since"])
    assert v3["household_ids"] == [] and (v3["township_code"], v3["village"]) == a_place
    assert "0 raised, 0 updated, 1 cleared, 2 on the topic already" in r4.stdout, scrub(r4.stdout)


def test_runs_at_once_send_each_version_once(ns, cfg, rules, reg, tmp_path):
    """Four runs started together (a timer and an operator, a restart): the ones
    fenced by a later one send nothing (their transaction aborted); each key has
    version 1 once, however they interleave; a run never prints "sent" for a version
    that is not on the topic."""
    places, head = villages(reg)
    small = [h for _, h in sorted(places.items()) if len(h) >= MIN_HOUSEHOLDS and
             MIN_HOUSEHOLDS >= MIN_SHARE * len(h) - 1e-9][:3]
    assert len(small) == 3
    path = rhtest.write_feed_csv(cfg, DEPT, FEED, tmp_path / f"{DEPT}.{FEED}.{PERIOD}.csv",
                                 disaster_rows(reg, head, [x for h in small for x in h[:MIN_HOUSEHOLDS]]))
    ns.produce(DEPT, FEED, path)
    run_join(ns, tmp_path)
    run_ledger(ns)
    config = scale_config(tmp_path)
    procs = [ns.popen("riskhub-scale", "--config", config, "--period", PERIOD, stdout=subprocess.PIPE,
                      stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outs = [p.communicate(timeout=120) for p in procs]
    codes = [p.returncode for p in procs]
    for out, err in outs:
        rhtest.assert_no_full_id(out, err)
    assert set(codes) <= {0, 69} and 0 in codes, f"exit codes {codes}: {[scrub(e) for _, e in outs]}"
    got = scale_records(ns)
    versions = collections.Counter((rec["scale_risk_id"], rec["version"]) for _, rec in got)
    assert len(versions) == 3 and set(versions.values()) == {1}, f"versions on the topic: {sorted(versions.values())}"
    assert all(rec["status"] == "RAISED" for _, rec in got)
    said = sum(out.count(" sent\n") for out, _ in outs)
    assert said == 3, f"{said} versions said sent by the runs, 3 on the topic"
    # and a run after them all finds each on the topic
    assert "0 raised, 0 updated, 0 cleared, 3 on the topic already" in scale(ns, config).stdout

# ---- the scale risks in riskhub-status and riskhub-alerts --scale ---------------------------

def utc_ms(v):
    """A timestamp-millis field as fastavro gives it (a datetime) in UTC milliseconds."""
    return v if isinstance(v, int) else (v - EPOCH) // timedelta(milliseconds=1)


def last_versions(recs):
    """{scale_risk_id: the record of its highest version} of the topic's records."""
    last = {}
    for _, rec in recs:
        k = rec["scale_risk_id"]
        if k not in last or rec["version"] >= last[k]["version"]:
            last[k] = rec
    return last


def run_bin(ns, program, *args):
    r = subprocess.run([str(program), *map(str, args)], capture_output=True, text=True,
                       timeout=120, env=ns.env())
    rhtest.assert_no_full_id(r.stdout, r.stderr)
    assert "Sanitizer" not in r.stderr and "runtime error" not in r.stderr, r.stderr[-3000:]
    return r


def status_scale_rows(ns, *args):
    """The scale risks' CSV table of riskhub-status --table scale (the only table)."""
    r = run_bin(ns, STATUS, "--period", PERIOD, "--table", "scale", "--format", "csv", *args)
    assert r.returncode in (0, 1), f"riskhub-status: exit {r.returncode}: {scrub(r.stderr)}"
    assert "\n\n" not in r.stdout, f"more than the scale risks' table:\n{r.stdout[:500]}"
    return list(csv.DictReader(io.StringIO(r.stdout, newline="")))


def status_want(cfg, last):
    """riskhub-status's CSV rows of the records: the last version of each key not cleared."""
    names = {t["code"]: t["name"] for t in cfg["townships"]}
    return sorted(({
        "period": rec["period"], "rule": rec["rule_id"], "township": rec["township_code"],
        "township_name": names[rec["township_code"]], "place_level": rec["place_level"],
        "village": rec["village"], "households": str(rec["households"]),
        "place_households": str(rec["place_households"]), "baseline": f"{rec['baseline']:.1f}",
        "status": rec["status"], "version": str(rec["version"]),
        "since": datetime.fromtimestamp(utc_ms(rec["since"]) // 1000, CST).isoformat(),
        "scale_risk_id": rec["scale_risk_id"]} for rec in last.values() if rec["status"] != "CLEARED"),
        key=lambda x: x["scale_risk_id"])


def test_status_and_alerts_show_the_scale_risks(ns, cfg, rules, reg, tmp_path):
    """Two villages cross village-flood (riskhub-scale, as the test above), then one of
    them grows (its key's version 2, UPDATED). riskhub-status lists the last version of
    each key of the month, in every format and from either source; with an as-of before
    the growth, the first version. riskhub-alerts --scale prints every version, in the
    topic's order, as a window and in a group that then has nothing new."""
    places, head = villages(reg)
    by_size = sorted(places.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    need = lambda n: max(MIN_HOUSEHOLDS, math.ceil(MIN_SHARE * n - 1e-9))  # noqa: E731
    small = [(p, h) for p, h in by_size if need(len(h)) == MIN_HOUSEHOLDS and len(h) >= MIN_HOUSEHOLDS + 2]
    (a_place, a_hh), (g_place, g_hh) = small[0], small[1]
    lists = tmp_path / "lists"
    lists.mkdir()
    f1 = rhtest.write_feed_csv(cfg, DEPT, FEED, lists / f"{DEPT}.{FEED}.{PERIOD}.csv",
                               disaster_rows(reg, head, a_hh[:MIN_HOUSEHOLDS] + g_hh[:MIN_HOUSEHOLDS]))
    ns.produce(DEPT, FEED, f1)
    run_join(ns, tmp_path)
    run_ledger(ns)
    config = scale_config(tmp_path)
    scale(ns, config)
    first = scale_records(ns)
    want = model(rules, reg, ns, cfg, [(DEPT, FEED, f1)])
    assert set(want) == {("village-flood",) + a_place, ("village-flood",) + g_place}, \
        f"the model: {sorted(k[0] + ' ' + k[2] for k in want)}"
    assert [(r["status"], r["version"]) for _, r in first] == [("RAISED", 1)] * 2, \
        [(r["status"], r["version"]) for _, r in first]
    # an as-of after the first versions were sent and before the second list exists
    as_of = datetime.fromtimestamp(max(utc_ms(r["created_at"]) for _, r in first) // 1000 + 1,
                                   timezone.utc)

    # A grows by two households: a second list of the month
    f2 = rhtest.write_feed_csv(cfg, DEPT, FEED, lists / f"{DEPT}.{FEED}.{PERIOD}.more.csv",
                               disaster_rows(reg, head, a_hh[MIN_HOUSEHOLDS:MIN_HOUSEHOLDS + 2],
                                             day="2026-10-15"))
    ns.produce(DEPT, FEED, f2)
    run_join(ns, tmp_path)
    run_ledger(ns)
    scale(ns, config)
    recs = scale_records(ns)
    assert len(recs) == 3, f"{len(recs)} scale records"
    last = last_versions(recs)
    want = model(rules, reg, ns, cfg, [(DEPT, FEED, f1), (DEPT, FEED, f2)])
    assert {(r["rule_id"], r["township_code"], r["village"]): r["households"] for r in last.values()} \
        == {k: len(hh) for k, (hh, _) in want.items()}, "the topic's last versions differ from the model"
    a_last = next(r for r in last.values() if r["village"] == a_place[1] and r["township_code"] == a_place[0])
    assert (a_last["status"], a_last["version"], a_last["households"]) == ("UPDATED", 2, MIN_HOUSEHOLDS + 2)
    assert utc_ms(as_of) < utc_ms(a_last["created_at"]), "the as-of is not before the second version"

    # riskhub-status: CSV from the ledger (the default) and from the topics, the same rows
    expected = status_want(cfg, last)
    for source in ("ledger", "topics"):
        got = sorted(status_scale_rows(ns, "--source", source), key=lambda x: x["scale_risk_id"])
        assert got == expected, f"--source {source}:\n{got}\n!=\n{expected}"
    # as of before the growth: A's first version
    got = status_scale_rows(ns, "--as-of", as_of.strftime("%Y-%m-%dT%H:%M:%SZ"))
    want_then = status_want(cfg, last_versions(first))
    assert sorted(got, key=lambda x: x["scale_risk_id"]) == want_then, f"as of {as_of}: {got}"
    assert {x["version"] for x in got} == {"1"} and {x["households"] for x in got} == {str(MIN_HOUSEHOLDS)}

    # the table and Markdown for people, the workbook's sheet
    r = run_bin(ns, STATUS, "--period", PERIOD)
    assert r.returncode in (0, 1), scrub(r.stderr)
    section = r.stdout[r.stdout.index("规模性返贫风险 Scale risks"):]
    section = section[:section.index("\n\n")] if "\n\n" in section else section
    for x in expected:
        line = next((ln for ln in section.splitlines() if x["village"] in ln), None)
        assert line, f"no line for {x['village']} in:\n{section}"
        label = {"RAISED": "raised (新发)", "UPDATED": "updated (有变化)"}[x["status"]]
        since = x["since"][:16].replace("T", " ")
        cells = line.split()
        for want_cell in (x["rule"], x["township_name"], x["households"], x["place_households"],
                          x["baseline"], x["version"]):
            assert want_cell in cells, f"{want_cell!r} not in {line!r}"
        assert label in line and since in line, line
        assert x["scale_risk_id"] not in line
    assert "2 scale risks of %s open" % PERIOD in section, section
    r = run_bin(ns, STATUS, "--period", PERIOD, "--table", "scale", "--format", "markdown")
    rows = [ln for ln in r.stdout.splitlines() if ln.startswith("|")]
    assert len(rows) == 2 + len(expected), r.stdout
    out = tmp_path / "scale.xlsx"
    r = run_bin(ns, STATUS, "--period", PERIOD, "--format", "xlsx", "--out", out)
    assert r.returncode in (0, 1) and f" scale_risks={len(expected)}" in r.stdout, r.stdout
    sheet = rhtest.read_xlsx(out)["规模风险 Scale risks"]
    header = {v[0]: c for (row, c), v in sheet.items() if row == 2}
    got = sorted((sheet[(row, header["村 village"])][0], int(sheet[(row, header["预警户数 households"])][0]),
                  int(sheet[(row, header["版本 version"])][0])) for row in range(3, 3 + len(expected)))
    assert got == sorted((x["village"], int(x["households"]), int(x["version"])) for x in expected), got

    # riskhub-alerts --scale: every version, in the topic's order
    names = {t["code"]: t["name"] for t in cfg["townships"]}
    r = run_bin(ns, ALERTS, "--scale", "--period", PERIOD, "--format", "jsonl")
    assert r.returncode == 0, f"riskhub-alerts --scale: exit {r.returncode}: {scrub(r.stderr)}"
    lines = [json.loads(ln) for ln in r.stdout.splitlines()]
    assert len(lines) == len(recs), r.stdout
    for got, (key, rec) in zip(lines, recs):
        for k in ("scale_risk_id", "rule_id", "period", "place_level", "township_code", "village",
                  "status", "version", "households", "place_households", "baseline",
                  "household_ids", "alert_ids", "risks", "content"):
            assert got[k] == rec[k], f"{k}: {got[k]!r} != {rec[k]!r}"
        assert got["township_name"] == names[rec["township_code"]]
        for k in ("since", "created_at"):
            assert got[k] == datetime.fromtimestamp(utc_ms(rec[k]) / 1000, timezone.utc) \
                .strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc_ms(rec[k]) % 1000:03d}Z", (k, got[k])
    assert "scale versions=3 raised=2 updated=1 cleared=0" in r.stderr, scrub(r.stderr)

    group = f"{ns.prefix}riskhub-alerts.scale.test"
    r = run_bin(ns, ALERTS, "--scale", "--group", group)
    assert r.returncode == 0, scrub(r.stderr)
    lines = r.stdout.splitlines()
    assert len(lines) == len(recs), r.stdout
    for line, (_, rec) in zip(lines, recs):
        since = datetime.fromtimestamp(utc_ms(rec["since"]) // 1000, CST).strftime("%Y-%m-%d %H:%M")
        want_line = (f"{rec['period']} [{rec['status']} "
                     f"{ {'RAISED': '新发', 'UPDATED': '有变化'}[rec['status']] }] v{rec['version']} "
                     f"{rec['rule_id']} {names[rec['township_code']]} ({rec['township_code']}) "
                     f"{rec['village']}: 预警 {rec['households']} 户 / 共 {rec['place_households']} 户, "
                     f"基线 {rec['baseline']:.1f}, 始于 {since} UTC+08:00")
        assert line == want_line, f"{line!r} != {want_line!r}"
    r = run_bin(ns, ALERTS, "--scale", "--group", group)
    assert r.returncode == 0 and r.stdout == "没有新的规模性返贫风险.\n", (r.stdout, scrub(r.stderr))
