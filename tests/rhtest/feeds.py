"""Department files: what riskhub-produce must publish from them (computed here from
the file and the YAML), batch ids, generated months, files of our own, ID numbers."""
import csv
import decimal
import hashlib
import io
from datetime import date
from pathlib import Path

from .config import feed_config, township_code
from .env import CONFIG, PERIOD, run

__all__ = ["SUBTYPES", "CANONICAL", "read_csv_rows", "read_dicts", "expected_records", "batch_id",
           "generate", "feed_files", "write_feed_csv", "registry_row_values", "id_check_char", "make_id"]

SUBTYPES = {"洪涝": "FLOOD", "洪水": "FLOOD", "水灾": "FLOOD", "洪涝灾害": "FLOOD", "干旱": "DROUGHT",
            "旱灾": "DROUGHT", "地震": "EARTHQUAKE", "地震灾害": "EARTHQUAKE", "地质灾害": "GEOLOGICAL",
            "地质": "GEOLOGICAL", "生物灾害": "BIOLOGICAL", "生物": "BIOLOGICAL", "病虫害": "BIOLOGICAL",
            "气象灾害": "METEOROLOGICAL", "气象": "METEOROLOGICAL", "冰雹": "METEOROLOGICAL",
            "风灾": "METEOROLOGICAL", "火灾": "FIRE", "森林火灾": "FIRE", "其他": "OTHER", "其它": "OTHER"}
CANONICAL = ("id_number", "name", "township", "village", "event_date", "amount", "subtype")


def read_csv_rows(path, encoding="utf-8-sig"):
    """[(line where the row starts, row)] with blank lines skipped, header first."""
    text = Path(path).read_bytes().decode(encoding)
    reader = csv.reader(io.StringIO(text, newline=""))
    rows, line = [], 1
    for row in reader:
        if row and any(c.strip() for c in row):
            rows.append((line, row))
        line = reader.line_num + 1
    return rows


def read_dicts(path):
    with open(path, newline="", encoding="utf-8-sig") as fp:
        return list(csv.DictReader(fp))


def expected_records(cfg, dept, feed, path, encoding="utf-8-sig"):
    """{row_number: dict of the FeedRecord fields riskhub should publish}."""
    fc = feed_config(cfg, dept, feed)
    rows = read_csv_rows(path, encoding)
    header = [h.strip().lstrip("\ufeff") for h in rows[0][1]]
    col = {k: header.index(v) for k, v in fc["columns"].items() if v in header}
    facts = {k: header.index(v) for k, v in (fc.get("facts") or {}).items() if v in header}
    out = {}
    for line, row in rows[1:]:
        val = {k: row[i].strip() for k, i in col.items()}
        rec = {
            "id_number": val["id_number"].upper(),
            "name": val.get("name") or None,
            "department": dept, "feed": feed, "kind": fc["kind"].upper(),
            "township_code": township_code(cfg, val["township"]) if val.get("township") else None,
            "village": val.get("village") or None,
            "event_date": date.fromisoformat(val["event_date"]) if val.get("event_date") else None,
            "amount_fen": int(decimal.Decimal(val["amount"].replace(",", "")) * 100) if val.get("amount") else None,
            "risk": fc.get("risk"),
            "risk_subtype": SUBTYPES.get(val["subtype"], val["subtype"]) if val.get("subtype") else fc.get("risk_subtype"),
            "facts": {k: row[i].strip() for k, i in facts.items() if row[i].strip()},
            "row_number": line,
        }
        out[line] = rec
    return out


def batch_id(dept, feed, period, path):
    sha = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    h = hashlib.sha256()
    for part in ("riskhub-batch-v1", dept, feed, period, sha):
        h.update(part.encode() + b"\0")
    return h.hexdigest()


def generate(out, period=PERIOD, **options):
    """riskhub-gen into `out` (registry/, <period>/, bad/); options as its flags
    (households=3000, rows_per_feed=40, seed=1, big_feed_rows=..., feed="health/major-disease").
    Returns out."""
    args = []
    for k, v in options.items():
        args += [f"--{k.replace('_', '-')}", v]
    r = run("riskhub-gen", "--config", CONFIG, "--out", out, "--period", period, *args, timeout=900)
    assert r.returncode == 0, f"riskhub-gen: exit {r.returncode}: {r.stderr}"
    return Path(out)


def feed_files(folder, period=PERIOD):
    """[(dept, feed, path)] of a generated month, bench files left out."""
    files = sorted(Path(folder).glob(f"*.*.{period}.csv"))
    return [(f.name.split(".")[0], f.name.split(".")[1], f) for f in files
            if not f.name.startswith("bench.")]


def write_feed_csv(cfg, dept, feed, path, rows):
    """A department list of our own: rows are dicts of canonical names and facts
    (facts as 'facts.<name>' keys); header as the config names the columns."""
    fc = feed_config(cfg, dept, feed)
    cols = [(k, fc["columns"][k]) for k in CANONICAL if k in fc["columns"]]
    cols += [(f"facts.{k}", v) for k, v in (fc.get("facts") or {}).items()]
    with open(path, "w", newline="", encoding="utf-8") as fp:
        w = csv.writer(fp, lineterminator="\n")
        w.writerow([h for _, h in cols])
        for r in rows:
            w.writerow([r.get(k, "") for k, _ in cols])
    return Path(path)


def registry_row_values(reg, id_number):
    """Canonical values for a registry person: name, township, village."""
    m = reg.members[id_number]
    h = reg.households[m["household_id"]]
    return {"id_number": id_number, "name": m["name"], "township": h["township_code"],
            "village": h["village"]}


def id_check_char(first17):
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(c) * k for c, k in zip(first17, w)) % 11]


def make_id(address, birth, seq):
    """A valid ID number: 6-digit address, YYYYMMDD, 3-digit sequence (odd = male)."""
    first = f"{address}{birth}{seq:03d}"
    return first + id_check_char(first)
