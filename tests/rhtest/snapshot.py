"""The default namespace's state, and the check that a test run left it as it was.

    python3 -m rhtest.snapshot record FILE   # before the tests (CTest: namespace_snapshot)
    python3 -m rhtest.snapshot check FILE    # after them (CTest: namespace_check): exit 1 and
                                             # a list of what changed, 0 if nothing did
    python3 -m rhtest.snapshot show          # the state now, as JSON

(with tests/ on PYTHONPATH). What is recorded, leaving out everything of a test
(rhtest.namespace: topics, groups and transactional ids starting with "rhtest-",
scratch databases riskhub_test_* / riskhub_bench_*) and Kafka's internal topics (__*):

  - every topic: its partitions and each partition's high watermark;
  - every consumer group: its committed offsets;
  - the databases of the cluster (their names);
  - the default database (RH_PG_CONNINFO's, `riskhub`): its schema (relations with
    their columns, constraints, indexes, triggers, functions, view definitions), every
    table's row count and an order-independent checksum of its rows (the sum of each
    row's md5 as a 64-bit number), every sequence's value.

take(prefix=..., dbname=...) records another namespace instead (the topics and groups
that start with `prefix`, names shown without it): the proof of the check
(tests/integration/test_namespace_check.py) runs it on a throwaway namespace.
"""
import argparse
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from confluent_kafka import ConsumerGroupTopicPartitions
from confluent_kafka.admin import (AclBindingFilter, AclOperation, AclPermissionType, ResourcePatternType,
                                   ResourceType)

from .env import BASE_CONNINFO, BOOTSTRAP
from .kafka import admin, consumer, high_watermark
from .namespace import TEST_FAMILY
from .pg import SCRATCH_DB, conninfo_of

SEP = "\x1f"


def is_test_topic(name):
    return name.startswith(TEST_FAMILY)


def is_test_group(name):
    return name.startswith(TEST_FAMILY)


def _mine(name, prefix, is_test):
    """The name without the prefix if it belongs to the namespace, else None."""
    if prefix:
        return name[len(prefix):] if name.startswith(prefix) else None
    return None if is_test(name) or name.startswith("__") else name


# ---- Kafka ------------------------------------------------------------------------------

def kafka_state(prefix=""):
    md = admin().list_topics(timeout=15)
    topics = {}
    c = consumer()
    try:
        for name, t in sorted(md.topics.items()):
            short = _mine(name, prefix, is_test_topic)
            if short is None or t.error is not None:
                continue
            parts = sorted(t.partitions)
            topics[short] = {"partitions": len(parts), "high": [high_watermark(c, name, p) for p in parts]}
    finally:
        c.close()
    groups = {}
    for g in sorted(x.group_id for x in admin().list_consumer_groups().result(30).valid):
        short = _mine(g, prefix, is_test_group)
        if short is None:
            continue
        fut = admin().list_consumer_group_offsets([ConsumerGroupTopicPartitions(g)], request_timeout=30)
        res = list(fut.values())[0].result(30)
        groups[short] = {f"{tp.topic[len(prefix):]}[{tp.partition}]": tp.offset
                         for tp in sorted(res.topic_partitions or [], key=lambda x: (x.topic, x.partition))}
    return topics, groups


def security_state(prefix=""):
    """The namespace's ACLs (a line each) and SCRAM principals (riskhub-acl: a
    test's principals and bindings carry its prefix)."""
    f = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None, None, AclOperation.ANY,
                         AclPermissionType.ANY)
    acls = []
    for b in admin().describe_acls(f).result(30):
        who = b.principal.split(":", 1)[-1]
        if _mine(b.name, prefix, is_test_topic) is None and _mine(who, prefix, is_test_topic) is None:
            continue
        acls.append(f"{b.permission_type.name} {b.principal} {b.operation.name} {b.restype.name} "
                    f"{b.resource_pattern_type.name} {b.name} host {b.host}")
    users = sorted(u for u in admin().describe_user_scram_credentials().result(30)
                   if _mine(u, prefix, is_test_topic) is not None)
    return sorted(acls), users


# ---- PostgreSQL -------------------------------------------------------------------------

USER_NS = ("n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' "
           "AND n.nspname NOT LIKE 'pg_temp%'")
SCHEMA_SQL = f"""
SELECT 'relation ' || n.nspname || '.' || c.relname,
       c.relkind::text || ': ' || coalesce((
         SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
                || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), ''), ', ' ORDER BY a.attnum)
         FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '')
       || CASE WHEN c.relkind IN ('v', 'm') THEN ' view ' || md5(pg_get_viewdef(c.oid)) ELSE '' END
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {USER_NS} AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
UNION ALL
SELECT 'constraint ' || n.nspname || '.' || cl.relname || '.' || co.conname, pg_get_constraintdef(co.oid)
FROM pg_constraint co JOIN pg_class cl ON cl.oid = co.conrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
WHERE {USER_NS}
UNION ALL
SELECT 'index ' || schemaname || '.' || indexname, indexdef FROM pg_indexes
WHERE {USER_NS.replace('n.nspname', 'schemaname')}
UNION ALL
SELECT 'trigger ' || n.nspname || '.' || c.relname || '.' || t.tgname, pg_get_triggerdef(t.oid)
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT t.tgisinternal AND {USER_NS}
UNION ALL
SELECT 'function ' || p.oid::regprocedure::text, md5(pg_get_functiondef(p.oid))
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE p.prokind IN ('f', 'p') AND {USER_NS}
"""
TABLES_SQL = f"""
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {USER_NS} AND c.relkind = 'r' ORDER BY 1, 2
"""


def _query(conninfo, sql):
    """[[field, ...]] of a query (fields separated by \\x1f, so '|' may occur)."""
    r = subprocess.run(["psql", "-X", "-A", "-t", "-q", "-F", SEP, "-v", "ON_ERROR_STOP=1", "-d", conninfo],
                       input=sql, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError(f"psql {conninfo}: {r.stderr.strip()}")
    return [line.split(SEP) for line in r.stdout.splitlines() if line]


def _ident(s):
    return '"' + s.replace('"', '""') + '"'


def database_state(dbname=None):
    """The schema, row counts and checksums, sequences of one database (default: BASE_CONNINFO's)."""
    conninfo = conninfo_of(dbname) if dbname else BASE_CONNINFO
    schema = {k: v for k, v in _query(conninfo, SCHEMA_SQL)}
    tables = _query(conninfo, TABLES_SQL)
    rows = {}
    if tables:
        parts = [f"SELECT '{s}.{t}', count(*)::text || ' rows, checksum ' || "
                 f"coalesce(sum(('x' || substr(md5(x::text), 1, 16))::bit(64)::bigint::numeric), 0)::text "
                 f"FROM {_ident(s)}.{_ident(t)} x" for s, t in tables]
        rows = {k: v for k, v in _query(conninfo, "\nUNION ALL\n".join(parts))}
    seqs = {k: v for k, v in _query(
        conninfo, "SELECT schemaname || '.' || sequencename, coalesce(last_value::text, 'unused') FROM pg_sequences")}
    name = _query(conninfo, "SELECT current_database()")[0][0]
    return {"name": name, "schema": schema, "tables": rows, "sequences": seqs}


def databases():
    return sorted(d for (d,) in _query(BASE_CONNINFO, "SELECT datname FROM pg_database")
                  if not SCRATCH_DB.fullmatch(d))


# ---- the snapshot and the comparison ----------------------------------------------------

def take(prefix="", dbname=None):
    """The state of a namespace: the default one (prefix "", database of BASE_CONNINFO),
    or the topics and groups of `prefix` and the database `dbname`."""
    topics, groups = kafka_state(prefix)
    acls, users = security_state(prefix)
    snap = {"namespace": prefix or "(default)", "bootstrap": BOOTSTRAP, "topics": topics, "groups": groups,
            "acls": acls, "principals": users, "database": database_state(dbname)}
    if not prefix:
        snap["databases"] = databases()
    return snap


def _dict_diff(what, before, after, describe):
    out = []
    for k in sorted(set(before) | set(after)):
        if k not in after:
            out.append(f"{what} {k}: gone (was {describe(before[k])})")
        elif k not in before:
            out.append(f"{what} {k}: appeared ({describe(after[k])})")
        elif before[k] != after[k]:
            out.append(("", k, before[k], after[k]))
    return out


def compare(before, after):
    """[one line a difference] between two snapshots ([] when they are the same)."""
    out = []

    def topic_desc(t):
        return f"{t['partitions']} partitions, {sum(t['high'])} records"
    for d in _dict_diff("topic", before["topics"], after["topics"], topic_desc):
        if isinstance(d, str):
            out.append(d)
            continue
        _, name, b, a = d
        if b["partitions"] != a["partitions"]:
            out.append(f"topic {name}: partitions {b['partitions']} -> {a['partitions']}")
        for p, (hb, ha) in enumerate(zip(b["high"], a["high"])):
            if hb != ha:
                out.append(f"topic {name}: partition {p}: high watermark {hb} -> {ha} ({ha - hb:+d})")

    def group_desc(g):
        return f"{len(g)} committed offsets" if g else "no committed offsets"
    for d in _dict_diff("consumer group", before["groups"], after["groups"], group_desc):
        if isinstance(d, str):
            out.append(d)
            continue
        _, name, b, a = d
        for tp in sorted(set(b) | set(a)):
            if b.get(tp) != a.get(tp):
                out.append(f"consumer group {name}: {tp}: committed offset {b.get(tp, 'none')} -> "
                           f"{a.get(tp, 'none')}")

    for what in ("acls", "principals"):
        b, a = set(before.get(what, [])), set(after.get(what, []))
        out += [f"{what[:-1]} {x}: gone" for x in sorted(b - a)]
        out += [f"{what[:-1]} {x}: appeared" for x in sorted(a - b)]

    for name in sorted(set(before.get("databases", [])) ^ set(after.get("databases", []))):
        out.append(f"database {name}: {'gone' if name in before.get('databases', []) else 'appeared'}")

    db_b, db_a = before["database"], after["database"]
    db = f"database {db_a['name']}"
    for what in ("schema", "tables", "sequences"):
        b, a = db_b[what], db_a[what]
        for k in sorted(set(b) | set(a)):
            label = k if what == "schema" else f"{what[:-1]} {k}"
            if k not in a:
                out.append(f"{db}: {label}: gone")
            elif k not in b:
                out.append(f"{db}: {label}: appeared ({a[k][:120]})")
            elif b[k] != a[k]:
                out.append(f"{db}: {label}: {b[k][:120]} -> {a[k][:120]}")
    return out


def leftovers():
    """What test namespaces left on the services (informational: RH_KEEP_NAMESPACE=1
    keeps them on purpose, a killed test could not clean up)."""
    topics = [t for t in admin().list_topics(timeout=15).topics if is_test_topic(t)]
    prefixes = Counter(t.split(".", 1)[0] + "." for t in topics)
    dbs = [d for (d,) in _query(BASE_CONNINFO, "SELECT datname FROM pg_database") if SCRATCH_DB.fullmatch(d)]
    return topics, prefixes, dbs


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m rhtest.snapshot", description=__doc__.split("\n\n")[0])
    ap.add_argument("action", choices=("record", "check", "show"))
    ap.add_argument("file", nargs="?", type=Path)
    ap.add_argument("--prefix", default="", help="a namespace other than the default one")
    ap.add_argument("--dbname", default=None, help="its database")
    args = ap.parse_args(argv)
    if args.action != "show" and args.file is None:
        ap.error(f"{args.action} needs a FILE")
    try:
        now = take(args.prefix, args.dbname)
    except Exception as e:  # noqa: BLE001 - the services away, psql missing
        print(f"namespace snapshot: cannot read the services: {e} "
              f"(scripts/services.sh start; eval \"$(scripts/services.sh env --export)\")", file=sys.stderr)
        return 2
    if args.action == "show":
        json.dump(now, sys.stdout, indent=1, ensure_ascii=False, sort_keys=True)
        print()
        return 0
    what = (f"{len(now['topics'])} topics ({sum(sum(t['high']) for t in now['topics'].values())} records), "
            f"{len(now['groups'])} consumer groups, database {now['database']['name']} "
            f"({len(now['database']['tables'])} tables)")
    if args.action == "record":
        args.file.parent.mkdir(parents=True, exist_ok=True)
        args.file.write_text(json.dumps(now, ensure_ascii=False, sort_keys=True, indent=1))
        print(f"namespace snapshot of {now['namespace']} recorded in {args.file}: {what}")
        return 0
    if not args.file.exists():
        print(f"namespace check: no snapshot {args.file} (the namespace_snapshot test did not run)",
              file=sys.stderr)
        return 2
    before = json.loads(args.file.read_text())
    diff = compare(before, now)
    if not args.prefix:
        topics, prefixes, dbs = leftovers()
        if topics or dbs:
            print(f"left by tests (not a failure; RH_KEEP_NAMESPACE=1 keeps them): {len(topics)} topics "
                  f"of {len(prefixes)} test prefixes ({', '.join(sorted(prefixes)[:5])}"
                  f"{', ...' if len(prefixes) > 5 else ''}), {len(dbs)} scratch databases")
    if diff:
        print(f"namespace check FAILED: the {now['namespace']} namespace changed during the tests "
              f"({len(diff)} differences):", file=sys.stderr)
        for line in diff[:200]:
            print(f"  {line}", file=sys.stderr)
        if len(diff) > 200:
            print(f"  ... and {len(diff) - 200} more", file=sys.stderr)
        return 1
    print(f"namespace check passed: the {now['namespace']} namespace is as it was: {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
