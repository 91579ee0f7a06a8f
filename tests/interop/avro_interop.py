#!/usr/bin/env python3
"""Avro interop test: riskhub's C Avro layer against Python's fastavro and avro.

1. Parsing Canonical Form and CRC-64-AVRO fingerprint of every .avsc under
   tests/data/avro/ and schemas/ (and schemas/history/): C must equal fastavro
   (which follows the spec and Java). python-avro is compared too, but its
   known deviations are reported as notes, not failures (see KNOWN below).
2. C writes single-object records with known values; Python checks the header
   and fingerprint and decodes them with fastavro and python-avro (writer
   schema), and with fastavro resolving v1/v2 to the current v2 (compared with
   C's own resolution).
3. Python writes single-object records (fastavro and python-avro); C decodes
   them with the current reader (applying defaults) and with the writer's own
   schema; Python compares with fastavro's resolution. Bad framing and unknown
   fingerprints must give C's clean errors.

Exit status 0 when everything agrees; 1 with a list of failures otherwise.
"""
import argparse
import glob
import io
import json
import math
import os
import struct
import subprocess
import sys

try:
    import fastavro
    import fastavro.schema
except ImportError:
    sys.exit("interop_avro: the Python module 'fastavro' is missing: "
             "run `python3 -m pip install avro fastavro` (scripts/deps.sh does this)")
try:
    import avro
    import avro.io
    import avro.schema
except ImportError:
    sys.exit("interop_avro: the Python module 'avro' is missing: "
             "run `python3 -m pip install avro fastavro` (scripts/deps.sh does this)")

KNOWN = ("python-avro 1.12 keeps primitives with a logicalType as {\"type\":...} instead of the "
         "bare name, treats \"namespace\": \"\" as inherit, and repeats some named types in full; "
         "Java and fastavro follow the spec")

failures = []
notes = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def strip_logical(x):
    """The schema without logicalType: both Python libraries would otherwise
    turn longs into datetimes."""
    if isinstance(x, dict):
        return {k: strip_logical(v) for k, v in x.items() if k != "logicalType"}
    if isinstance(x, list):
        return [strip_logical(v) for v in x]
    return x


def fingerprint(schema_obj):
    pcf = fastavro.schema.to_parsing_canonical_form(schema_obj)
    return int.from_bytes(bytes.fromhex(fastavro.schema.fingerprint(pcf, "CRC-64-AVRO")), "little")


def norm(v):
    """A Python value as rh_avro_interop renders it."""
    if isinstance(v, (bytes, bytearray)):
        return {"$bytes": bytes(v).hex()}
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return v
    if isinstance(v, dict):
        return {k: norm(x) for k, x in v.items()}
    if isinstance(v, list):
        return [norm(x) for x in v]
    return v


def named_types(s, out=None):
    """Every named type a schema defines, by name and by full name."""
    out = {} if out is None else out
    if isinstance(s, list):
        for b in s:
            named_types(b, out)
    elif isinstance(s, dict):
        if s.get("type") in ("record", "enum", "fixed"):
            out[s["name"]] = s
            if s.get("namespace"):
                out[s["namespace"] + "." + s["name"]] = s
        for f in s.get("fields", []):
            named_types(f["type"], out)
        for k in ("items", "values"):
            if k in s:
                named_types(s[k], out)
    return out


def f32(x):
    try:
        return struct.unpack("<f", struct.pack("<f", x))[0]
    except (OverflowError, struct.error):
        return x


def float32_fields(v, s, names):
    """Round values of "float" schemas to float32: fastavro leaves a long or int
    promoted to float as a full double (16777217 stays 16777217.0); a float
    reader field holds a float32 (16777216.0), as in Java and in C."""
    if isinstance(s, str):
        if s == "float" and isinstance(v, float):
            return f32(v)
        return float32_fields(v, names[s], names) if s in names else v
    if isinstance(s, list):
        if isinstance(v, float) and "float" in s and "double" not in s:
            return f32(v)
        if isinstance(v, dict):
            for b in s:
                b = names.get(b, b) if isinstance(b, str) else b
                if isinstance(b, dict) and b.get("type") == "record" and set(v) == {f["name"] for f in b["fields"]}:
                    return float32_fields(v, b, names)
        return v
    t = s.get("type")
    if t == "record" and isinstance(v, dict):
        return {f["name"]: float32_fields(v[f["name"]], f["type"], names) if f["name"] in v else None
                for f in s["fields"] if f["name"] in v}
    if t == "array" and isinstance(v, list):
        return [float32_fields(x, s["items"], names) for x in v]
    if t == "map" and isinstance(v, dict):
        return {k: float32_fields(x, s["values"], names) for k, x in v.items()}
    if t == "float" and isinstance(v, float):
        return f32(v)
    return v


def diff(exp, act, path="$"):
    """Differences between an expected (normalised Python) and C's value."""
    if isinstance(act, dict) and set(act) == {"$bytes"} and isinstance(exp, str):
        # fastavro returns bytes/fixed *defaults* as str (code points 0-255)
        try:
            if exp.encode("latin-1").hex() == act["$bytes"]:
                return []
        except UnicodeEncodeError:
            pass
        return ["%s: expected %r, C has %r" % (path, exp, act)]
    if isinstance(exp, dict) and isinstance(act, dict):
        out = []
        for k in sorted(set(exp) | set(act)):
            if k not in act:
                out.append("%s.%s: missing in C" % (path, k))
            elif k not in exp:
                out.append("%s.%s: only in C" % (path, k))
            else:
                out += diff(exp[k], act[k], path + "." + k)
        return out
    if isinstance(exp, list) and isinstance(act, list):
        if len(exp) != len(act):
            return ["%s: %d items expected, C has %d" % (path, len(exp), len(act))]
        out = []
        for i, (e, a) in enumerate(zip(exp, act)):
            out += diff(e, a, "%s[%d]" % (path, i))
        return out
    if type(exp) is bool or type(act) is bool:
        return [] if exp is act else ["%s: expected %r, C has %r" % (path, exp, act)]
    if exp == act:
        return []
    return ["%s: expected %r, C has %r" % (path, exp, act)]


def run_tool(tool, args, stdin=None):
    p = subprocess.run([tool] + args, input=stdin, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        fail("rh_avro_interop %s exited %d: %s" % (args[0], p.returncode, p.stderr.strip()[-2000:]))
    elif p.stderr.strip():
        notes.append("rh_avro_interop %s stderr: %s" % (args[0], p.stderr.strip()[-500:]))
    return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]


def schema_files(src):
    files = sorted(glob.glob(os.path.join(src, "tests/data/avro/**/*.avsc"), recursive=True))
    for d in ("schemas", "schemas/history"):
        files += sorted(glob.glob(os.path.join(src, d, "*.avsc")))
    return files


# ---- 1. PCF and fingerprints --------------------------------------------------

def check_pcf(tool, src):
    files = schema_files(src)
    if not files:
        fail("no .avsc files found under %s" % src)
        return
    out = run_tool(tool, ["pcf"] + files)
    if len(out) != len(files):
        fail("pcf: %d files, %d answers" % (len(files), len(out)))
        return
    agree_avro = 0
    for f, c in zip(files, out):
        rel = os.path.relpath(f, src)
        text = open(f, encoding="utf-8").read()
        obj = json.loads(text)
        try:
            py_pcf = fastavro.schema.to_parsing_canonical_form(obj)
            py_fp = fingerprint(obj)
        except Exception as e:  # noqa: BLE001
            fail("%s: fastavro cannot read it: %r" % (rel, e))
            continue
        if "error" in c:
            fail("%s: C refused it: %s" % (rel, c["error"]))
            continue
        if c["pcf"] != py_pcf:
            fail("%s: PCF differs\n  C:        %s\n  fastavro: %s" % (rel, c["pcf"], py_pcf))
        if c["fp"] != "%016x" % py_fp:
            fail("%s: fingerprint C %s, fastavro %016x" % (rel, c["fp"], py_fp))
        # the CRC alone, on C's own PCF
        crc = int.from_bytes(bytes.fromhex(fastavro.schema.fingerprint(c["pcf"], "CRC-64-AVRO")), "little")
        if c["fp"] != "%016x" % crc:
            fail("%s: CRC-64-AVRO of C's PCF: C %s, fastavro %016x" % (rel, c["fp"], crc))
        if c.get("load") != "ok":
            fail("%s: the C schema set refused it: %s" % (rel, c.get("load")))
        try:
            a = avro.schema.parse(text)
            a_pcf = a.canonical_form
            a_fp = int.from_bytes(a.fingerprint("CRC-64-AVRO"), "little")
            if a_pcf == c["pcf"] and a_fp == crc:
                agree_avro += 1
            else:
                notes.append("%s: python-avro %s gives another PCF/fingerprint (%016x)"
                             % (rel, avro.__version__, a_fp))
        except Exception as e:  # noqa: BLE001
            notes.append("%s: python-avro cannot parse it: %s" % (rel, str(e).splitlines()[0][:120]))
        print("pcf %-50s %s" % (rel, c["fp"]))
    print("PCF: %d files checked against fastavro, python-avro agrees on %d (%s)"
          % (len(files), agree_avro, KNOWN))


# ---- fixtures -------------------------------------------------------------------

class Fixture:
    def __init__(self, src):
        d = os.path.join(src, "tests/data/avro/set")
        self.dir = d
        self.v1 = json.load(open(os.path.join(d, "history/TestRecord.v1.avsc"), encoding="utf-8"))
        self.v2 = json.load(open(os.path.join(d, "TestRecord.avsc"), encoding="utf-8"))
        self.ping = json.load(open(os.path.join(d, "Ping.avsc"), encoding="utf-8"))
        self.fp = {k: fingerprint(getattr(self, k)) for k in ("v1", "v2", "ping")}
        self.fast = {k: fastavro.parse_schema(strip_logical(getattr(self, k))) for k in ("v1", "v2", "ping")}
        self.py = {k: avro.schema.parse(json.dumps(strip_logical(getattr(self, k)))) for k in ("v1", "v2", "ping")}

    def frame(self, key, body):
        return b"\xc3\x01" + self.fp[key].to_bytes(8, "little") + body


def fast_read(fx, body, writer, reader=None):
    bio = io.BytesIO(body)
    rec = fastavro.schemaless_reader(bio, fx.fast[writer], fx.fast[reader] if reader else None)
    if bio.tell() != len(body):
        raise ValueError("fastavro consumed %d of %d bytes" % (bio.tell(), len(body)))
    rs = getattr(fx, reader or writer)
    return float32_fields(rec, rs, named_types(rs))


def pyavro_read(fx, body, writer):
    bio = io.BytesIO(body)
    rec = avro.io.DatumReader(fx.py[writer]).read(avro.io.BinaryDecoder(bio))
    if bio.tell() != len(body):
        raise ValueError("python-avro consumed %d of %d bytes" % (bio.tell(), len(body)))
    return rec


# ---- 2. C writes, Python reads --------------------------------------------------

def check_c_to_python(tool, fx):
    out = run_tool(tool, ["write", fx.dir])
    names = [o["name"] for o in out]
    if names != ["v1-A", "v1-B", "v2-A", "v2-B", "ping"]:
        fail("write: unexpected records %r" % names)
        return
    for o in out:
        key = {"v1": "v1", "v2": "v2", "pi": "ping"}[o["name"][:2]]
        msg = bytes.fromhex(o["hex"])
        if msg[:2] != b"\xc3\x01":
            fail("%s: magic %s" % (o["name"], msg[:2].hex()))
            continue
        fp = int.from_bytes(msg[2:10], "little")
        if fp != fx.fp[key] or o["writer_fp"] != "%016x" % fx.fp[key]:
            fail("%s: fingerprint in header %016x, C says %s, fastavro %016x"
                 % (o["name"], fp, o["writer_fp"], fx.fp[key]))
        body = msg[10:]
        try:
            d = diff(norm(fast_read(fx, body, key)), o["value"])
            for x in d:
                fail("%s (fastavro): %s" % (o["name"], x))
        except Exception as e:  # noqa: BLE001
            fail("%s: fastavro cannot decode C's record: %r" % (o["name"], e))
        try:
            d = diff(norm(pyavro_read(fx, body, key)), o["value"])
            for x in d:
                fail("%s (python-avro): %s" % (o["name"], x))
        except Exception as e:  # noqa: BLE001
            fail("%s: python-avro cannot decode C's record: %r" % (o["name"], e))
        if "as_current" in o:
            try:
                d = diff(norm(fast_read(fx, body, key, "v2")), o["as_current"])
                for x in d:
                    fail("%s resolved to v2 (fastavro vs C): %s" % (o["name"], x))
            except Exception as e:  # noqa: BLE001
                fail("%s: fastavro cannot resolve C's record to v2: %r" % (o["name"], e))
        print("C->Python %-5s %3d bytes ok" % (o["name"], len(msg)))
    # Known values, stated here independently of C's rendering.
    a = fast_read(fx, bytes.fromhex(out[0]["hex"])[10:], "v1")
    spot = {"id": "id-A", "count": -5, "amount": -9007199254740993, "ratio": 3.141592653589793,
            "small": 1.5, "flag": True, "name_cn": "张三 李四", "blob": b"\x00\x01\xfe\xff",
            "maybe": "也许 maybe", "color": "PURPLE", "tags": ["a", "标签"],
            "attrs": {"max": 2**63 - 1, "min": -2**63, "键": -1},
            "choice": {"a": 4, "b": "ch"}, "hash": b"\xde\xad\xbe\xef", "when": 1700000000123,
            "chain": {"value": 1, "next": {"value": -2, "next": None}}, "promo_lf": 16777217,
            "dropped": {"k": [1.0]}}
    for k, v in spot.items():
        if a[k] != v:
            fail("v1-A known value %s: Python reads %r, expected %r" % (k, a[k], v))
    b = fast_read(fx, bytes.fromhex(out[1]["hex"])[10:], "v1")
    for k, v in {"name_cn": "😀 emoji, ñ, ü, Ω, 一二三", "amount": 2**63 - 1, "count": -2**31,
                 "ratio": -1.7976931348623157e308, "maybe": None, "choice": -1, "blob": b""}.items():
        if b[k] != v:
            fail("v1-B known value %s: Python reads %r, expected %r" % (k, b[k], v))


# ---- 3. Python writes, C reads --------------------------------------------------

def python_records():
    inner = lambda a, b: {"a": a, "b": b}  # noqa: E731
    p1 = {"id": "py-1", "count": 2**31 - 1, "amount": -2**63, "ratio": -0.1, "small": -3.25,
          "flag": False, "name_cn": "王五 赵六 — ‘引号’", "blob": bytes(range(256)),
          "maybe": "可能", "color": "PURPLE", "tags": ["x", "", "中文标签"],
          "attrs": {"负": -123456789012345, "zero": 0}, "inner": inner(-1, "内部"),
          "inners": [inner(i, "n%d" % i) for i in range(5)], "choice": "选择",
          "hash": b"\x00\x00\x00\x01", "when": -1,
          "chain": {"value": 10, "next": {"value": 20, "next": {"value": 30, "next": None}}},
          "promo_il": -2**31, "promo_id": 2**31 - 1, "promo_lf": -(2**53 + 1), "promo_fd": 3.4e38,
          "promo_sb": "bytes ü", "promo_bs": "valid ✓".encode(), "to_union": -1,
          "old_name": "旧名字", "dropped": {"a": [1.5, -2.5], "b": []}}
    p2 = dict(p1, id="py-2", maybe=None, choice=None, color="BLUE", tags=[], attrs={}, inners=[],
              chain={"value": 0, "next": None}, ratio=1e-300, blob=b"", dropped={})
    p3 = {"id": "py-3", "count": 0, "amount": 1, "ratio": float("nan"), "small": float("inf"),
          "flag": True, "name_cn": "当前版本", "blob": b"\xff", "maybe": "m", "color": "YELLOW",
          "tags": ["t"], "attrs": {"k": 1}, "inner": {"a": 1, "b": "b", "c": 5, "d": -5},
          "inners": [], "choice": {"a": 9, "b": "nine", "c": None, "d": 0}, "hash": b"abcd",
          "when": 0, "chain": {"value": -1, "next": None}, "promo_il": 2**40, "promo_id": -1e-10,
          "promo_lf": 1.25, "promo_fd": -1.0, "promo_sb": b"\x00\x80", "promo_bs": "s",
          "to_union": None, "new_name": "新", "s_def": "", "i_def": 0, "l_def": -1,
          "d_def": float("-inf"), "f_def": 0.0, "b_def": False, "n_def": "not null",
          "e_def": "LOW", "a_def": [1, 2, 3], "a2_def": [], "m_def": {"a": "b"}, "m2_def": {},
          "r_def": {"x": 0.0, "y": 0.0, "label": "原点"}, "u_def": None, "bytes_def": b"",
          "fixed_def": b"\x00\x00"}
    p4 = {"seq": 2**62, "note": None}
    return [("v1", p1, "fastavro"), ("v1", p2, "python-avro"), ("v2", p3, "fastavro"),
            ("ping", p4, "python-avro")]


def encode(fx, key, rec, lib):
    bio = io.BytesIO()
    if lib == "fastavro":
        fastavro.schemaless_writer(bio, fx.fast[key], rec)
    else:
        avro.io.DatumWriter(fx.py[key]).write(rec, avro.io.BinaryEncoder(bio))
    return bio.getvalue()


def check_python_to_c(tool, fx):
    reader_name = {"v1": "riskhub.test.TestRecord", "v2": "riskhub.test.TestRecord",
                   "ping": "riskhub.test.Ping"}
    cases = []  # (label, message, reader or None, expected value or None, expected status)
    for key, rec, lib in python_records():
        body = encode(fx, key, rec, lib)
        msg = fx.frame(key, body)
        cases.append(("%s/%s current" % (key, lib), msg, reader_name[key],
                      norm(fast_read(fx, body, key, "v2" if key != "ping" else None)), "ok"))
        cases.append(("%s/%s own" % (key, lib), msg, None, norm(fast_read(fx, body, key)), "ok"))
    good = cases[0][1]
    unknown_fp = 0x0123456789ABCDEF
    cases.append(("unknown fingerprint", b"\xc3\x01" + unknown_fp.to_bytes(8, "little") + good[10:],
                  "riskhub.test.TestRecord", None, "unknown writer schema"))
    cases.append(("confluent framing", b"\x00\x00\x00\x00\x07" + good[10:], "riskhub.test.TestRecord",
                  None, "not single-object encoded"))
    cases.append(("truncated", good[:-3], "riskhub.test.TestRecord", None, "truncated message"))
    cases.append(("trailing", good + b"\x00", None, None, "trailing bytes after message"))
    stdin = "".join(json.dumps({"hex": m.hex(), "reader": r}) + "\n" for _, m, r, _, _ in cases)
    out = run_tool(tool, ["read", fx.dir], stdin)
    if len(out) != len(cases):
        fail("read: %d inputs, %d answers" % (len(cases), len(out)))
        return
    for (label, msg, reader, exp, status), o in zip(cases, out):
        if o["status"] != {"ok": "ok"}.get(status, status):
            fail("%s: C status %r (%s), expected %r" % (label, o["status"], o.get("error"), status))
            continue
        if status == "ok":
            for x in diff(exp, o["value"]):
                fail("Python->C %s: %s" % (label, x))
            if o.get("writer_fp") != "%016x" % int.from_bytes(msg[2:10], "little"):
                fail("%s: C reports writer %s" % (label, o.get("writer_fp")))
        elif label == "unknown fingerprint" and "%016x" % unknown_fp not in o.get("error", ""):
            fail("unknown fingerprint: C's message does not show it in hex: %s" % o.get("error"))
        print("Python->C %-26s %s" % (label, o["status"]))
    # Defaults as the spec says, stated independently of fastavro.
    v = out[0].get("value", {})
    want = {"new_name": "旧名字", "color": "RED", "s_def": "默认值 ü", "i_def": -7,
            "l_def": -1234567890123, "d_def": 2.5, "f_def": 0.25, "b_def": True, "n_def": None,
            "e_def": "MID", "a_def": [], "a2_def": ["x", "中"], "m_def": {}, "m2_def": {"k": 1, "键": -2},
            "r_def": {"x": 1.5, "y": -2.0, "label": None}, "u_def": "first branch",
            "bytes_def": {"$bytes": "ff0041"}, "fixed_def": {"$bytes": "0102"},
            "promo_sb": {"$bytes": "627974657320c3bc"}, "promo_bs": "valid ✓", "to_union": -1,
            "promo_lf": float(-(2**53)), "inner": {"a": -1, "b": "内部", "c": None, "d": 42}}
    for k, w in want.items():
        if v.get(k) != w:
            fail("v1 read as v2: %s is %r in C, the spec says %r" % (k, v.get(k), w))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tool", required=True)
    ap.add_argument("--source-dir", required=True)
    args = ap.parse_args()
    print("fastavro %s, python-avro %s, Python %s" % (fastavro.__version__, avro.__version__,
                                                      sys.version.split()[0]))
    fx = Fixture(args.source_dir)
    check_pcf(args.tool, args.source_dir)
    check_c_to_python(args.tool, fx)
    check_python_to_c(args.tool, fx)
    for n in notes:
        print("note: " + n)
    if failures:
        print("\n%d interop failure(s)" % len(failures))
        return 1
    print("\ninterop ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
