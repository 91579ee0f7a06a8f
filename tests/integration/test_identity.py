"""Public security's identity list against the registry (issue 15; docs/identity.md),
through the real broker and PostgreSQL: the department publishes its month's list
(riskhub-produce, signed), riskhub-identity compares it with the registry and sends
each discrepancy to the topic of the township that keeps the record. The list is
written here from the registry, whole households, with one discrepancy of each kind
planted (a person filed with another household among them); what must be found is
computed here from the plants, apart from the C code.
A registry corrected closes its discrepancy; a second run sends nothing.

PYTEST_DONT_REWRITE: assertion messages are only the ones written here (no full ID
numbers)."""
import collections
import csv
import datetime
import io
import json
import re

import pytest

import rhtest
from rhtest import PERIOD, mask, psql, scrub

IDENTITY = rhtest.BIN / "riskhub-identity"
CST = datetime.timezone(datetime.timedelta(hours=8))  # the county's time
MONTH = dict(households=1500, rows_per_feed=10, seed=20267)
DEPT, FEED = "public-security", "identity"
WORDS = {("head", "male"): "户主", ("head", "female"): "户主", ("spouse", "male"): "夫",
         ("spouse", "female"): "妻", ("child", "male"): "子", ("child", "female"): "女",
         ("parent", "male"): "父亲", ("parent", "female"): "母亲", ("grandchild", "male"): "孙子",
         ("grandchild", "female"): "孙女", ("sibling", "male"): "兄弟", ("sibling", "female"): "姐妹",
         ("other", "male"): "其他", ("other", "female"): "其他"}

if not IDENTITY.exists():
    pytest.skip("riskhub-identity is not built", allow_module_level=True)


@pytest.fixture
def ns(namespace, month):
    return namespace(month / "registry")


def identity(ns):
    r = ns.run("riskhub-identity", "--config", rhtest.CONFIG, "--period", PERIOD, timeout=180)
    rhtest.assert_no_full_id(r.stdout, r.stderr)
    assert r.returncode == 0, f"riskhub-identity: exit {r.returncode}: {scrub(r.stderr)}"
    return r


def row(reg, m, hhno):
    """The list's row of registry member m, as public security would write it."""
    idn = m["id_number"]
    h = reg.households[m["household_id"]]
    return {"id_number": idn, "name": m["name"], "township": h["township_code"],
            "village": h["village"], "facts.household_number": hhno,
            "facts.relation_to_head": WORDS[(m["relation"], m["sex"])],
            "facts.sex": "男" if m["sex"] == "male" else "女",
            "facts.birth_date": f"{idn[6:10]}-{idn[10:12]}-{idn[12:14]}",
            "facts.registered_address": f"河南省许昌市鄢陵县{h['village']}"}


def plant(reg):
    """(rows, expected): the list of 12 whole households, one discrepancy of each kind
    planted in its own household, and {(kind, person): township} that must be found."""
    by_hh = collections.defaultdict(list)
    for m in reg.members.values():
        by_hh[m["household_id"]].append(m)
    big = sorted(h for h, ms in by_hh.items() if len(ms) >= 3)
    towns = sorted({reg.households[h]["township_code"] for h in big})
    # households of two townships, so that discrepancies reach two topics
    picked = [h for h in big if reg.households[h]["township_code"] == towns[0]][:6] + \
             [h for h in big if reg.households[h]["township_code"] == towns[1]][:6]
    assert len(picked) == 12, "the registry has too few households of 3 or more"
    rows, want = [], {}
    for i, hid in enumerate(picked):
        ms = sorted(by_hh[hid], key=lambda m: (m["relation"] != "head", m["id_number"]))
        rows.append([row(reg, m, f"{i + 1:09d}") for m in ms])
    town_of = lambda i: reg.households[picked[i]]["township_code"]  # noqa: E731
    other_town = towns[1] if town_of(1) == towns[0] else towns[0]
    villages = sorted({h["village"] for h in reg.households.values()
                       if h["township_code"] == town_of(2)} - {reg.households[picked[2]]["village"]})
    # 0: a name; 1: another township; 2: another village; 3: a relation; 4: a birth date
    # and a sex; 5: a member missing from the list; 6: a stranger in the household's
    # 户号 (the registry lacks them); 7 and 8: a member of 8 filed under 7's 户号;
    # a stranger of no household at all
    rows[0][1]["name"] += "某"
    want[("NAME_DIFFERS", rows[0][1]["id_number"])] = town_of(0)
    rows[1][1]["township"] = other_town
    want[("OTHER_TOWNSHIP", rows[1][1]["id_number"])] = town_of(1)
    rows[2][1]["village"] = villages[0]
    want[("OTHER_VILLAGE", rows[2][1]["id_number"])] = town_of(2)
    rows[3][1]["facts.relation_to_head"] = "其他" if rows[3][1]["facts.relation_to_head"] != "其他" else "户主"
    want[("RELATION_DIFFERS", rows[3][1]["id_number"])] = town_of(3)
    d = datetime.date.fromisoformat(rows[4][1]["facts.birth_date"]) + datetime.timedelta(days=1)
    rows[4][1]["facts.birth_date"] = d.isoformat()
    want[("BIRTH_DATE_CONTRADICTS_ID", rows[4][1]["id_number"])] = town_of(4)
    rows[4][2]["facts.sex"] = "女" if rows[4][2]["facts.sex"] == "男" else "男"
    want[("SEX_CONTRADICTS_ID", rows[4][2]["id_number"])] = town_of(4)
    gone = rows[5].pop()
    want[("MEMBER_MISSING_FROM_LIST", gone["id_number"])] = town_of(5)
    newborn = rhtest.make_id(rows[6][0]["id_number"][:6], "20260901", 991)
    assert newborn not in reg.members
    rows[6].append(dict(rows[6][-1], id_number=newborn, name="新生儿",
                        **{"facts.relation_to_head": "孙子", "facts.sex": "男",
                           "facts.birth_date": "2026-09-01"}))
    want[("MEMBER_MISSING_FROM_REGISTRY", newborn)] = town_of(6)
    assert len(rows[7]) >= 3  # most of the 户号 stays household 7's
    moved = rows[8][-1]
    moved["facts.household_number"] = rows[7][0]["facts.household_number"]
    want[("OTHER_HOUSEHOLD", moved["id_number"])] = town_of(8)
    stranger = rhtest.make_id("411024", "19800101", 993)
    assert stranger not in reg.members
    rows.append([{"id_number": stranger, "name": "外来人", "township": other_town,
                  "village": "", "facts.household_number": "", "facts.relation_to_head": "户主",
                  "facts.sex": "男", "facts.birth_date": "1980-01-01",
                  "facts.registered_address": ""}])
    want[("NOT_IN_REGISTRY", stranger)] = other_town
    fixes = {"relation": (rows[3][1]["id_number"], rows[3][1]["facts.relation_to_head"]),
             "newborn": dict(rows[6][-1], household_id=picked[6]), "gone": gone["id_number"]}
    return [r for hh in rows for r in hh], want, rows[0][1], fixes


def discrepancies(ns):
    """[(topic without prefix, key, record)] of every identity.* topic."""
    return [(t, k, rec) for t, k, rec, _ in ns.read("identity.")]


def test_each_kind_reaches_its_township_and_closes_when_corrected(ns, cfg, reg, tmp_path):
    rows, want, renamed, fixes = plant(reg)
    path = rhtest.write_feed_csv(cfg, DEPT, FEED, tmp_path / f"{DEPT}.{FEED}.{PERIOD}.csv", rows)
    ns.produce(DEPT, FEED, path)
    r1 = identity(ns)
    got = discrepancies(ns)
    found = {(rec["kind"], rec["person_id_number"]): (t, rec) for t, _, rec in got}
    assert len(got) == len(found), f"{len(got)} records for {len(found)} discrepancies"
    missing = sorted(f"{k} {mask(p)}" for k, p in set(want) - set(found))
    extra = sorted(f"{k} {mask(p)}" for k, p in set(found) - set(want))
    assert not missing and not extra, f"missing {missing}, unexpected {extra}"
    for key, town in want.items():
        topic, rec = found[key]
        assert topic == f"identity.{town}", f"{key[0]}: on {topic}, not identity.{town}"
        assert (rec["status"], rec["version"], rec["period"]) == ("OPEN", 1, PERIOD), key[0]
        assert rec["township_code"] == town and rec["department"] == DEPT and rec["feed"] == FEED
    name = found[("NAME_DIFFERS", renamed["id_number"])][1]
    assert name["list_value"] == renamed["name"] and name["registry_value"] == renamed["name"][:-1]
    assert name["household_id"] == reg.members[renamed["id_number"]]["household_id"]
    assert f"{len(want)} discrepancies open: {len(want)} opened, 0 updated, 0 closed" in r1.stdout, \
        scrub(r1.stdout)

    # again: every discrepancy is on its topic already
    r2 = identity(ns)
    assert len(discrepancies(ns)) == len(want)
    assert f"{len(want)} discrepancies open: 0 opened, 0 updated, 0 closed, {len(want)} on" in r2.stdout

    # the township corrects the name in the registry: that one closes, nothing else moves
    psql(ns.conninfo, f"UPDATE members SET name = '{renamed['name']}' "
                      f"WHERE id_number = '{renamed['id_number']}'")
    r3 = identity(ns)
    got = discrepancies(ns)
    assert len(got) == len(want) + 1, f"{len(got)} records after the correction: {scrub(r3.stdout)}"
    topic, key, last = got[-1] if got[-1][2]["status"] == "CLOSED" else next(
        g for g in got if g[2]["status"] == "CLOSED")
    assert (last["kind"], last["person_id_number"], last["version"]) == \
        ("NAME_DIFFERS", renamed["id_number"], 2)
    assert last["since"] == name["since"] and topic == f"identity.{want[('NAME_DIFFERS', renamed['id_number'])]}"
    assert key == last["discrepancy_id"] == name["discrepancy_id"]
    assert f"{len(want) - 1} discrepancies open: 0 opened, 0 updated, 1 closed" in r3.stdout, scrub(r3.stdout)

    # three more corrections of the registry (信息采集录入): the relation as the list says,
    # the newborn entered, the member who left removed; each closes its own
    idn, word = fixes["relation"]
    assert word == "其他", "the relation planted is 其他"
    nb = fixes["newborn"]
    psql(ns.conninfo, f"UPDATE members SET relation = 'other' WHERE id_number = '{idn}'; "
                      "INSERT INTO members (household_id, id_number, name, sex, relation, birth_date, "
                      "health, labour_ability, schooling, migrant_months, medical_insurance) VALUES "
                      f"('{nb['household_id']}', '{nb['id_number']}', '{nb['name']}', 'male', 'grandchild', "
                      "'2026-09-01', 'healthy', 'none', 'none', 0, true); "
                      f"DELETE FROM members WHERE id_number = '{fixes['gone']}'")
    r4 = identity(ns)
    closed = {(rec["kind"], rec["person_id_number"]) for _, _, rec in discrepancies(ns)
              if rec["status"] == "CLOSED"}
    assert closed == {("NAME_DIFFERS", renamed["id_number"]), ("RELATION_DIFFERS", idn),
                      ("MEMBER_MISSING_FROM_REGISTRY", nb["id_number"]),
                      ("MEMBER_MISSING_FROM_LIST", fixes["gone"])}, sorted(k for k, _ in closed)
    assert f"{len(want) - 4} discrepancies open: 0 opened, 0 updated, 3 closed" in r4.stdout, scrub(r4.stdout)


def test_no_list_yet_is_nothing_to_do(ns):
    r = identity(ns)
    assert f"{PERIOD}: no list of {DEPT}/{FEED} for the month yet" in r.stdout, scrub(r.stdout)
    assert ns.topics("identity.") == []


# ---- the discrepancies in riskhub-status and riskhub-alerts --identity --------------------

def kind_labels():
    """{code: 中文} of docs/identity.md's table of kinds, in its order: what the township reads."""
    text = (rhtest.SRC / "docs" / "identity.md").read_text(encoding="utf-8")
    section = text.split("## What each kind means for the township", 1)[1].split("\n## ", 1)[0]
    return dict(re.findall(r"^\| `([A-Z_]+)` \| ([^|]+?) \|", section, re.M))


def run_ok(ns, *args):
    r = ns.run(*args, timeout=120)
    rhtest.assert_no_full_id(r.stdout, r.stderr)
    assert "Sanitizer" not in r.stderr and "runtime error" not in r.stderr, r.stderr[-3000:]
    return r


def status_identity(ns, *args):
    """{township code: {column: value}} of riskhub-status --table identity --format csv."""
    r = run_ok(ns, "riskhub-status", "--config", rhtest.CONFIG, "--period", PERIOD,
               "--table", "identity", "--format", "csv", *args)
    assert r.returncode in (0, 1), f"riskhub-status: exit {r.returncode}: {scrub(r.stderr)}"
    rows = list(csv.DictReader(io.StringIO(r.stdout, newline="")))
    return {x["township"] or "total": x for x in rows}, r.stdout


def status_want(cfg, labels, open_):
    """The CSV rows of the open discrepancies {(kind, person): township}: every township
    of the configuration, its count of each kind, then unmatched, all counts as text."""
    want = {}
    for code in [t["code"] for t in cfg["townships"]] + ["unmatched"]:
        n = collections.Counter(k for (k, _), town in open_.items() if town == code)
        want[code] = {**{k: str(n[k]) for k in labels}, "open": str(sum(n.values()))}
    return want


def since_local(v):
    ms = v if isinstance(v, int) else int(v.timestamp() * 1000)
    return datetime.datetime.fromtimestamp(ms // 1000, CST).strftime("%Y-%m-%d %H:%M")


def test_status_counts_and_a_township_reads_its_own_masked(ns, cfg, reg, tmp_path):
    """riskhub-status counts the open discrepancies per township and kind (counts only:
    no ID number, no name of the planted persons), as of before and after a name is
    corrected in the registry; riskhub-alerts --identity shows one township its own
    versions, the ID numbers masked, names shown, in the topic's order."""
    labels = kind_labels()
    assert len(labels) == 10, f"docs/identity.md's kinds: {sorted(labels)}"
    rows, want, renamed, _ = plant(reg)
    path = rhtest.write_feed_csv(cfg, DEPT, FEED, tmp_path / f"{DEPT}.{FEED}.{PERIOD}.csv", rows)
    ns.produce(DEPT, FEED, path)
    identity(ns)
    first = discrepancies(ns)
    assert len(first) == len(want)

    expected = status_want(cfg, labels, want)
    persons = {p for _, p in want}
    names = {r["name"] for r in rows if r["id_number"] in persons} | \
        {reg.members[p]["name"] for p in persons if p in reg.members}
    for source in ("topics", "ledger"):
        got, text = status_identity(ns, "--source", source)
        for code, row in expected.items():
            assert {k: got[code][k] for k in row} == row, f"--source {source}, {code}: {got[code]} != {row}"
            assert got[code]["closed"] == "0" and got[code]["period"] == PERIOD
        assert "total" not in got, "CSV leaves the total row out"
        assert sum(int(x["open"]) for x in got.values()) == len(want), got
        assert not [n for n in names if n in text], f"--source {source}: a name in the report"
    as_of = datetime.datetime.fromtimestamp(
        max(rec["created_at"].timestamp() for _, _, rec in first) + 1, datetime.timezone.utc)

    # the name corrected: NAME_DIFFERS closes; as of before, still open
    town = want[("NAME_DIFFERS", renamed["id_number"])]
    psql(ns.conninfo, f"UPDATE members SET name = '{renamed['name']}' "
                      f"WHERE id_number = '{renamed['id_number']}'")
    identity(ns)
    got, _ = status_identity(ns, "--source", "topics")
    still = {k: t for k, t in want.items() if k != ("NAME_DIFFERS", renamed["id_number"])}
    for code, row in status_want(cfg, labels, still).items():
        assert {k: got[code][k] for k in row} == row, f"{code}: {got[code]} != {row}"
        assert got[code]["closed"] == ("1" if code == town else "0"), (code, got[code]["closed"])
    got, _ = status_identity(ns, "--as-of", as_of.strftime("%Y-%m-%dT%H:%M:%SZ"))
    for code, row in expected.items():
        assert {k: got[code][k] for k in row} == row, f"as of {as_of}, {code}: {got[code]}"

    # the table and Markdown for people, the workbook's sheet: the same counts
    r = run_ok(ns, "riskhub-status", "--config", rhtest.CONFIG, "--period", PERIOD,
               "--table", "identity", "--format", "markdown")
    assert all(labels[k] in r.stdout for k in labels), r.stdout[:2000]
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("|")]
    assert len(lines) == 2 + len(cfg["townships"]) + 2, r.stdout
    out = tmp_path / "identity.xlsx"
    r = run_ok(ns, "riskhub-status", "--config", rhtest.CONFIG, "--period", PERIOD,
               "--format", "xlsx", "--out", out)
    assert f" identity_open={len(still)}" in r.stdout, r.stdout
    assert "身份差异 Identity" in rhtest.read_xlsx(out)

    # riskhub-alerts --identity: the township's own topic, every version in its order
    names_of = {t["code"]: t["name"] for t in cfg["townships"]}
    mine = [rec for t, _, rec in discrepancies(ns) if t == f"identity.{town}"]
    assert [r["status"] for r in mine].count("CLOSED") == 1 and len(mine) >= 2
    r = run_ok(ns, "riskhub-alerts", "--config", rhtest.CONFIG, "--identity", "--township", town,
               "--period", PERIOD, "--format", "jsonl")
    assert r.returncode == 0, f"riskhub-alerts --identity: exit {r.returncode}: {scrub(r.stderr)}"
    got = [json.loads(ln) for ln in r.stdout.splitlines()]
    assert len(got) == len(mine), f"{len(got)} lines for {len(mine)} versions"
    for g, rec in zip(got, mine):
        for k in ("discrepancy_id", "status", "version", "kind", "period", "township_code",
                  "household_id", "registry_value", "list_value", "department", "feed",
                  "batch_id", "content"):
            assert g[k] == rec[k], f"{rec['kind']} {k}: {g[k]!r} != {rec[k]!r}"
        assert g["person_id_number"] == mask(rec["person_id_number"]), rec["kind"]
        assert g["kind_label"] == labels[rec["kind"]] and g["township_name"] == names_of[town]
    opened = sum(1 for x in mine if x["status"] == "OPEN")
    assert f"identity versions={len(mine)} open={opened} updated=0 closed=1" in r.stderr, scrub(r.stderr)

    group = f"{ns.prefix}riskhub-alerts.{town}.identity.test"
    r = run_ok(ns, "riskhub-alerts", "--config", rhtest.CONFIG, "--identity", "--township", town,
               "--group", group)
    assert r.returncode == 0, scrub(r.stderr)
    status_zh = {"OPEN": "待纠正", "UPDATED": "有变化", "CLOSED": "已纠正"}
    want_lines = [f"{x['period']} [{x['status']} {status_zh[x['status']]}] v{x['version']} "
                  f"{names_of[town]} ({town}) {labels[x['kind']]} {x['kind']} "
                  f"{mask(x['person_id_number'])} 户 {x['household_id'] or '—'}: "
                  f"系统 {x['registry_value'] or '—'} / 公安 {x['list_value'] or '—'}, "
                  f"始于 {since_local(x['since'])} UTC+08:00" for x in mine]
    assert r.stdout.splitlines() == want_lines, scrub(r.stdout)
    closed = next(ln for ln in r.stdout.splitlines() if "[CLOSED 已纠正]" in ln)
    assert f"系统 {renamed['name'][:-1]} / 公安 {renamed['name']}" in closed, scrub(closed)
    r = run_ok(ns, "riskhub-alerts", "--config", rhtest.CONFIG, "--identity", "--township", town,
               "--group", group)
    assert r.returncode == 0 and r.stdout == "没有新的身份信息差异.\n", (r.stdout, scrub(r.stderr))
    r = run_ok(ns, "riskhub-alerts", "--config", rhtest.CONFIG, "--identity", "--township", town,
               "--unmasked")
    assert r.returncode == 64 and not r.stdout, scrub(r.stderr)
