"""What riskhub-ledger must have written (docs/ledger.md), compared with what the
join's topics hold read_committed; the audit trigger that sees a row written twice
below ON CONFLICT DO NOTHING (tests/integration/test_ledger*.py)."""
import collections

from .kafka import end_offsets
from .pg import pg_rows, psql

__all__ = ["AUDIT_SQL", "ledger_topic_rows", "ledger_db_rows", "assert_ledger_rows",
           "ledger_offsets_at_end"]

# Every row the ledger proposes in a transaction that commits, noted by a BEFORE
# INSERT trigger: PostgreSQL fires those also for rows that ON CONFLICT then skips,
# and a transaction that does not commit takes its notes with it. The functions run
# as the schema's owner (SECURITY DEFINER): the ledger's role may not write
# ledger_audit itself.
AUDIT_SQL = """
CREATE TABLE ledger_audit (kind text, id text);
CREATE FUNCTION ledger_audit_w() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN INSERT INTO ledger_audit VALUES ('warning', NEW.alert_id); RETURN NEW; END $$;
CREATE FUNCTION ledger_audit_c() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN INSERT INTO ledger_audit VALUES ('check', NEW.check_id); RETURN NEW; END $$;
CREATE TRIGGER ledger_audit_w BEFORE INSERT ON warnings FOR EACH ROW EXECUTE FUNCTION ledger_audit_w();
CREATE TRIGGER ledger_audit_c BEFORE INSERT ON check_results FOR EACH ROW EXECUTE FUNCTION ledger_audit_c();
CREATE FUNCTION ledger_audit_u() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN INSERT INTO ledger_audit VALUES ('unmatched', NEW.alert_id); RETURN NEW; END $$;
CREATE FUNCTION ledger_audit_m() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN INSERT INTO ledger_audit VALUES ('manifest', NEW.topic || ':' || NEW.partition || ':' || NEW."offset");
RETURN NEW; END $$;
CREATE TRIGGER ledger_audit_u BEFORE INSERT ON unmatched_alerts FOR EACH ROW EXECUTE FUNCTION ledger_audit_u();
CREATE TRIGGER ledger_audit_m BEFORE INSERT ON list_manifests FOR EACH ROW EXECUTE FUNCTION ledger_audit_m();
"""


def _ms(t):
    return int(t.timestamp() * 1000) if hasattr(t, "timestamp") else int(t)


def ledger_topic_rows(ns):
    """What the topics hold read_committed: ({alert_id: warnings row}, {check_id:
    check_results row}, {alert_id: unmatched_alerts row}, {"topic:partition:offset":
    list_manifests row})."""
    warnings, checks, unmatched, manifests = {}, {}, {}, {}
    for topic, _key, a, _m in ns.read("alerts."):
        if topic == "alerts.unmatched":
            assert a["alert_id"] not in unmatched, f"alert {a['alert_id'][:12]} twice on the topics"
            unmatched[a["alert_id"]] = (a["period"], a["risk"], _ms(a["created_at"]))
            continue
        assert a["alert_id"] not in warnings, f"alert {a['alert_id'][:12]} twice on the topics"
        warnings[a["alert_id"]] = (a["household_id"], a["township_code"], a["period"], a["risk"],
                                   a["rule_id"], "PUSHED", _ms(a["created_at"]))
    for _topic, _key, c, _m in ns.read("checks."):
        assert c["check_id"] not in checks, f"check {c['check_id'][:12]} twice on the topics"
        src = c["source"]
        checks[c["check_id"]] = (c["period"], c["township_code"], c["household_id"],
                                 c["member_id_number"], c["department"], c["feed"],
                                 "t" if c["matched"] else "f", "t" if c["complete"] else "f",
                                 src["topic"] if src else "", str(src["offset"]) if src else "",
                                 c.get("supersedes") or "")
    # superseded_by: the result that names it (issue 11; one, in the tests' data)
    by = collections.defaultdict(list)
    for cid, row in checks.items():
        if row[-1]:
            by[row[-1]].append(cid)
    assert all(len(v) == 1 for v in by.values()), "a check result replaced twice"
    checks = {cid: row + (by[cid][0] if cid in by else "",) for cid, row in checks.items()}
    for _topic, _key, b, m in ns.read("feed.manifests"):
        manifests[f"{m.topic()}:{m.partition()}:{m.offset()}"] = (
            b["batch_id"], b["department"], b["feed"], b["kind"], b["period"], b["source_name"],
            b["source_sha256"], b["rows_total"], b["rows_accepted"], b["rows_rejected"],
            _ms(b["started_at"]), _ms(b["finished_at"]), b["producer"])
    return warnings, checks, unmatched, manifests


def ledger_db_rows(ns):
    def ints(row, *cols):
        return tuple(int(v) if i in cols else v for i, v in enumerate(row))
    w = {r[0]: ints(r[1:], 6) for r in pg_rows(
        ns.conninfo, "SELECT alert_id, household_id, township_code, period, risk, rule_id, state, "
                     "(extract(epoch FROM raised_at) * 1000)::bigint FROM warnings")}
    u = {r[0]: ints(r[1:], 2) for r in pg_rows(
        ns.conninfo, "SELECT alert_id, period, risk, (extract(epoch FROM raised_at) * 1000)::bigint "
                     "FROM unmatched_alerts")}
    m = {r[0]: ints(r[1:], 7, 8, 9, 10, 11) for r in pg_rows(
        ns.conninfo, "SELECT topic || ':' || partition || ':' || \"offset\", batch_id, department, "
                     "feed, kind, period, source_name, source_sha256, rows_total, rows_accepted, "
                     "rows_rejected, (extract(epoch FROM started_at) * 1000)::bigint, "
                     "(extract(epoch FROM finished_at) * 1000)::bigint, producer FROM list_manifests")}
    c = {r[0]: tuple(r[1:]) for r in pg_rows(
        ns.conninfo, "SELECT check_id, period, township_code, household_id, member_id_number, "
                     "department, feed, matched, complete, coalesce(source_topic, ''), "
                     "coalesce(source_offset::text, ''), coalesce(supersedes, ''), "
                     "coalesce(superseded_by, '') FROM check_results")}
    current = pg_rows(ns.conninfo, "SELECT check_id FROM check_results_current")
    assert {r[0] for r in current} == {k for k, r in c.items() if not r[-1]}, \
        "check_results_current is not the rows no other replaces"
    return w, c, u, m


def assert_ledger_rows(ns):
    """The rows equal the topics (ids and columns), and every id was proposed once."""
    want = ledger_topic_rows(ns)
    got = ledger_db_rows(ns)
    tables = ("warnings", "check_results", "unmatched_alerts", "list_manifests")
    for what, want_t, got_t in zip(tables, want, got):
        missing, extra = want_t.keys() - got_t.keys(), got_t.keys() - want_t.keys()
        assert not missing and not extra, (f"{what}: {len(missing)} missing (e.g. "
                                           f"{[k[:12] for k in list(missing)[:5]]}), {len(extra)} "
                                           f"not on the topics")
        differ = [k[:12] for k in want_t if want_t[k] != got_t[k]]
        assert not differ, f"{what}: {len(differ)} rows differ from their record (e.g. {differ[:5]})"
    twice = pg_rows(ns.conninfo, "SELECT kind, left(id, 12), count(*) FROM ledger_audit "
                                        "GROUP BY 1, 2 HAVING count(*) > 1 LIMIT 5")
    n_twice = psql(ns.conninfo, "SELECT count(*) FROM (SELECT 1 FROM ledger_audit GROUP BY kind, id "
                                "HAVING count(*) > 1) t")
    assert n_twice == "0", f"{n_twice} rows written more than once (e.g. {twice})"
    return tuple(len(t) for t in want)


def ledger_offsets_at_end(ns):
    """ledger_offsets against the topics' ends: {(topic, partition): (next, end)} where they
    differ by more than the one transaction marker after the last record."""
    pos = {(t, int(p)): int(n) for t, p, n in pg_rows(
        ns.conninfo, "SELECT topic, partition, next_offset FROM ledger_offsets")}
    bad = {}
    for family in ("alerts.", "checks.", "feed.manifests"):
        for t in ns.topics_of(family) if family == "feed.manifests" else ns.topics(family):
            for p, hi in end_offsets(t).items():
                n = pos.get((t, p), 0)
                if not (hi - 1 <= n <= hi) and hi > 0:
                    bad[(t, p)] = (n, hi)
    return bad
