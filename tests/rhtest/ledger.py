"""What riskhub-ledger must have written (docs/ledger.md), compared with what the
join's topics hold read_committed; the audit trigger that sees a row written twice
below ON CONFLICT DO NOTHING (tests/integration/test_ledger*.py)."""
from .kafka import end_offsets
from .pg import pg_rows, psql

__all__ = ["AUDIT_SQL", "ledger_topic_rows", "ledger_db_rows", "assert_ledger_rows",
           "ledger_offsets_at_end"]

# Every row the ledger proposes in a transaction that commits, noted by a BEFORE
# INSERT trigger: PostgreSQL fires those also for rows that ON CONFLICT then skips,
# and a transaction that does not commit takes its notes with it.
AUDIT_SQL = """
CREATE TABLE ledger_audit (kind text, id text);
CREATE FUNCTION ledger_audit_w() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO ledger_audit VALUES ('warning', NEW.alert_id); RETURN NEW; END $$;
CREATE FUNCTION ledger_audit_c() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO ledger_audit VALUES ('check', NEW.check_id); RETURN NEW; END $$;
CREATE TRIGGER ledger_audit_w BEFORE INSERT ON warnings FOR EACH ROW EXECUTE FUNCTION ledger_audit_w();
CREATE TRIGGER ledger_audit_c BEFORE INSERT ON check_results FOR EACH ROW EXECUTE FUNCTION ledger_audit_c();
"""


def ledger_topic_rows(ns):
    """What the join's topics hold read_committed: ({alert_id: warnings row},
    {check_id: check_results row}), township alerts only (alerts.unmatched gives no row)."""
    warnings, checks = {}, {}
    for topic, _key, a, _m in ns.read("alerts."):
        if topic == "alerts.unmatched":
            continue
        assert a["alert_id"] not in warnings, f"alert {a['alert_id'][:12]} twice on the topics"
        warnings[a["alert_id"]] = (a["household_id"], a["township_code"], a["period"], a["risk"],
                                   a["rule_id"], "PUSHED")
    for _topic, _key, c, _m in ns.read("checks."):
        assert c["check_id"] not in checks, f"check {c['check_id'][:12]} twice on the topics"
        src = c["source"]
        checks[c["check_id"]] = (c["period"], c["township_code"], c["household_id"],
                                 c["member_id_number"], c["department"], c["feed"],
                                 "t" if c["matched"] else "f", "t" if c["complete"] else "f",
                                 src["topic"] if src else "", str(src["offset"]) if src else "")
    return warnings, checks


def ledger_db_rows(ns):
    w = {r[0]: tuple(r[1:]) for r in pg_rows(
        ns.conninfo, "SELECT alert_id, household_id, township_code, period, risk, rule_id, state "
                     "FROM warnings")}
    c = {r[0]: tuple(r[1:]) for r in pg_rows(
        ns.conninfo, "SELECT check_id, period, township_code, household_id, member_id_number, "
                     "department, feed, matched, complete, coalesce(source_topic, ''), "
                     "coalesce(source_offset::text, '') FROM check_results")}
    return w, c


def assert_ledger_rows(ns):
    """The rows equal the topics (ids and columns), and every id was proposed once."""
    want_w, want_c = ledger_topic_rows(ns)
    got_w, got_c = ledger_db_rows(ns)
    for what, want, got in (("warnings", want_w, got_w), ("check_results", want_c, got_c)):
        missing, extra = want.keys() - got.keys(), got.keys() - want.keys()
        assert not missing and not extra, (f"{what}: {len(missing)} missing (e.g. "
                                           f"{[k[:12] for k in list(missing)[:5]]}), {len(extra)} "
                                           f"not on the topics")
        differ = [k[:12] for k in want if want[k] != got[k]]
        assert not differ, f"{what}: {len(differ)} rows differ from their record (e.g. {differ[:5]})"
    twice = pg_rows(ns.conninfo, "SELECT kind, left(id, 12), count(*) FROM ledger_audit "
                                        "GROUP BY 1, 2 HAVING count(*) > 1 LIMIT 5")
    n_twice = psql(ns.conninfo, "SELECT count(*) FROM (SELECT 1 FROM ledger_audit GROUP BY kind, id "
                                "HAVING count(*) > 1) t")
    assert n_twice == "0", f"{n_twice} rows written more than once (e.g. {twice})"
    return len(want_w), len(want_c)


def ledger_offsets_at_end(ns):
    """ledger_offsets against the topics' ends: {(topic, partition): (next, end)} where they
    differ by more than the one transaction marker after the last record."""
    pos = {(t, int(p)): int(n) for t, p, n in pg_rows(
        ns.conninfo, "SELECT topic, partition, next_offset FROM ledger_offsets")}
    bad = {}
    for family in ("alerts.", "checks."):
        for t in ns.topics(family):
            if t.endswith("alerts.unmatched"):
                continue
            for p, hi in end_offsets(t).items():
                n = pos.get((t, p), 0)
                if not (hi - 1 <= n <= hi) and hi > 0:
                    bad[(t, p)] = (n, hi)
    return bad
