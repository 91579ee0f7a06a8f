"""riskhub-produce against the real broker: every feed of a generated month,
the bad files, and the same file twice (sent once, unless --republish), each test in a namespace of its own. Expected values are computed here, in
Python, from the files and the YAML, not taken from riskhub."""
import csv
import random
import re
import shutil
import subprocess

from datetime import datetime, timedelta, timezone

import pytest

import rhtest
from rhtest import PERIOD, decode, header



@pytest.fixture
def ns(namespace):
    """A topic prefix of the test's own (riskhub-produce needs no database)."""
    return namespace(database=False)


@pytest.fixture(scope="module")
def data(generate):
    return generate(households=1500, seed=random.randrange(1, 2**31))


def produce(ns, dept, feed, period, path, *extra, **kw):
    """riskhub-produce in the namespace, its exit code not asserted."""
    return ns.produce(dept, feed, path, *extra, period=period, check=False, **kw)


def test_every_feed_published_and_read_back(ns, data, cfg):
    files = rhtest.feed_files(data / PERIOD)
    all_feeds = {(d["code"], f["code"]) for d in cfg["departments"] for f in d["feeds"]}
    assert {(d, f) for d, f, _ in files} == all_feeds, "the generator wrote one file a feed"
    for dept, feed, path in files:
        r = produce(ns, dept, feed, PERIOD, path)
        assert r.returncode == 0, f"{path.name}: exit {r.returncode}: {r.stderr}"
        assert "0 rejected" in r.stdout
        rhtest.assert_no_full_id(r.stdout, r.stderr)

    manifests = ns.manifests_by_batch()
    for dept, feed, path in files:
        bid = rhtest.batch_id(dept, feed, PERIOD, path)
        assert bid in manifests, f"{path.name}: no manifest for batch {bid[:12]}"
        man = manifests[bid][-1]
        expected = rhtest.expected_records(cfg, dept, feed, path)
        assert man["topic"] == ns.topic(f"feed.{dept}.{feed}")
        assert (man["department"], man["feed"], man["period"]) == (dept, feed, PERIOD)
        assert man["rows_total"] == man["rows_accepted"] == len(expected)
        assert man["rows_rejected"] == 0
        assert sum(p["count"] for p in man["partitions"]) == len(expected)

        got = {}
        for m in rhtest.read_ranges(man["topic"], man["partitions"]):
            if header(m, "batch_id") != bid:
                continue  # another batch interleaved in the range
            name, rec = decode(m.value())
            assert name == "FeedRecord"
            assert m.key().decode() == rec["id_number"]
            assert header(m, "period") == PERIOD and header(m, "row") == str(rec["row_number"])
            assert rec["batch_id"] == bid and rec["period"] == PERIOD
            assert rec["row_number"] not in got, "a row published twice"
            got[rec["row_number"]] = rec
        assert set(got) == set(expected), f"{path.name}: rows differ"
        for line, exp in expected.items():
            rec = got[line]
            for k, v in exp.items():
                assert rec[k] == v, f"{path.name} line {line}: {k}: {rec[k]!r} != {v!r}"


def rejects_of(path):
    """The rejects CSV's rows; it starts with a UTF-8 BOM (Excel on Chinese Windows)."""
    assert path.read_bytes().startswith(b"\xef\xbb\xbfrow,column,reason_code,"), path
    with open(path, newline="", encoding="utf-8-sig") as fp:
        return [(int(r["row"]), r["reason_code"], r["column"], r["id_masked"]) for r in csv.DictReader(fp)]


BAD = {
    # file: (exit code, {line: reason code}) — from the generator's bad/MANIFEST.txt
    "wrong-checksum.csv": (1, {4: "ID_BAD_CHECKSUM", 9: "ID_BAD_CHECKSUM", 15: "ID_BAD_CHECKSUM"}),
    "excel-mangled.csv": (1, {3: "ID_EXCEL_SCIENTIFIC", 5: "ID_EXCEL_SCIENTIFIC", 7: "ID_EXCEL_ZEROED",
                              8: "ID_EXCEL_ZEROED", 10: "ID_EXCEL_ZEROED"}),
    "ragged.csv": (1, {5: "RAGGED_ROW", 8: "RAGGED_ROW", 12: "RAGGED_ROW"}),
    "bad-values.csv": (1, {3: "BAD_AMOUNT", 6: "BAD_DATE", 9: "UNKNOWN_TOWNSHIP"}),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_rows_are_rejected_with_reason_and_line(ns, data, tmp_path, name):
    src = data / "bad" / name
    path = tmp_path / name
    shutil.copy(src, path)
    code, want = BAD[name]
    r = produce(ns, "medical-insurance", "high-self-pay", PERIOD, path)
    assert r.returncode == code, r.stderr
    rhtest.assert_no_full_id(r.stdout, r.stderr)
    rejects_csv = tmp_path / f"{name}.rejects.csv"
    assert rejects_csv.exists()
    rows = rejects_of(rejects_csv)
    assert {line: reason for line, reason, _, _ in rows} == want
    rhtest.assert_no_full_id(rejects_csv.read_text())

    bid = rhtest.batch_id("medical-insurance", "high-self-pay", PERIOD, path)
    man = ns.manifests_by_batch()[bid][-1]
    assert man["rows_rejected"] == len(want)
    assert man["rows_accepted"] == man["rows_total"] - len(want) == 20 - len(want)
    published = [decode(m.value())[1] for m in
                 ns.read_topic("feed.rejects", keep=lambda m: m.key().decode() == bid)]
    assert sorted((p["row_number"], p["reason_code"]) for p in published) == sorted(want.items())
    for p in published:
        assert p["reason"] and p["source_name"] == name
        rhtest.assert_no_full_id(p["reason"], p["id_masked"] or "")


CJK = re.compile("[\u4e00-\u9fff]")
# Chinese a clerk reads for each reason code (po/zh_CN.po), written out here
ZH_REASON = {"ID_BAD_CHECKSUM": "身份证号校验位有误", "ID_EXCEL_SCIENTIFIC": "科学计数法",
             "ID_EXCEL_ZEROED": "末三位被 Excel 改成了 000", "RAGGED_ROW": "列数不符",
             "BAD_AMOUNT": "金额格式有误", "BAD_DATE": "日期格式有误", "UNKNOWN_TOWNSHIP": "不在本县"}


def test_a_clerk_reads_chinese_by_locale(ns, data, tmp_path):
    """Issue 12, defect g: what a clerk reads — the summary, each reject reason, the
    rejects CSV's header, a refusal — in Chinese when the locale is Chinese
    (LC_ALL=zh_CN.UTF-8, gettext: po/zh_CN.po), in English otherwise; reason codes,
    exit codes and what is published do not change with the language."""
    for name in ("wrong-checksum.csv", "excel-mangled.csv", "ragged.csv", "bad-values.csv"):
        code, want = BAD[name]
        for lang, out in (("zh_CN.UTF-8", tmp_path / "zh"), ("C.UTF-8", tmp_path / "en")):
            out.mkdir(exist_ok=True)
            path = out / name
            shutil.copy(data / "bad" / name, path)
            r = produce(ns, "medical-insurance", "high-self-pay", PERIOD, path, "--republish",
                        env={"LC_ALL": lang})
            assert r.returncode == code, r.stderr
            raw = (out / f"{name}.rejects.csv").read_bytes()
            assert raw.startswith(b"\xef\xbb\xbf"), "no BOM: Excel on Chinese Windows garbles it"
            with open(out / f"{name}.rejects.csv", newline="", encoding="utf-8-sig") as fp:
                rows = list(csv.reader(fp))
            if lang.startswith("zh"):
                assert rows[0] == ["行号", "列", "原因代码", "原因", "身份证号(已遮蔽)"]
                assert "共 20 行" in r.stdout and f"退回 {len(want)} 行" in r.stdout, r.stdout
            else:
                assert rows[0] == ["row", "column", "reason_code", "reason", "id_masked"]
                assert f"{len(want)} rejected" in r.stdout, r.stdout
            assert {int(x[0]): x[2] for x in rows[1:]} == want
            for x in rows[1:]:
                if lang.startswith("zh"):
                    assert ZH_REASON[x[2]] in x[3], x
                else:
                    # English words; Chinese only inside the quoted column names
                    assert not CJK.search(re.sub(r"'[^']*'", "", x[3])), x
            rhtest.assert_no_full_id(raw.decode("utf-8"), r.stdout, r.stderr)
    # a refusal before anything is read
    r = produce(ns, "medical-insurance", "no-such-feed", PERIOD, path, env={"LC_ALL": "zh_CN.UTF-8"})
    assert r.returncode == 65 and "未知的名单 'medical-insurance/no-such-feed'" in r.stderr, r.stderr
    r = produce(ns, "medical-insurance", "no-such-feed", PERIOD, path)
    assert r.returncode == 65 and "unknown feed 'medical-insurance/no-such-feed'" in r.stderr, r.stderr


def test_dates_after_the_month_refused_before_it_kept(ns, data, cfg, tmp_path):
    """Defect d: a date after the month the list covers is refused (DATE_AFTER_PERIOD, with
    its line); one before it is published, and the summary says how many to check."""
    dept, feed = "medical-insurance", "high-self-pay"
    src = data / PERIOD / f"{dept}.{feed}.{PERIOD}.csv"
    raw = src.read_bytes()
    enc = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "gb18030"
    rows = list(csv.reader(raw.decode(enc).splitlines()))
    col = rows[0].index(rhtest.feed_config(cfg, dept, feed)["columns"]["event_date"])
    rows[1][col] = "2026-11-02"      # line 2: after October
    rows[3][col] = "2026/9/15"       # line 4: before it, kept
    path = tmp_path / src.name
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)
    r = produce(ns, dept, feed, PERIOD, path)
    assert r.returncode == 1, r.stderr
    assert "1 row(s) dated before 2026-10, kept: check them" in r.stdout, r.stdout
    got = {line: reason for line, reason, _, _ in rejects_of(tmp_path / f"{src.name}.rejects.csv")}
    assert got == {2: "DATE_AFTER_PERIOD"}, got
    man = ns.manifests_by_batch()[rhtest.batch_id(dept, feed, PERIOD, path)][-1]
    assert (man["rows_rejected"], man["rows_accepted"]) == (1, len(rows) - 2)


REFUSED = {
    "broken-quotes.csv": "line 6",
    "wrong-header.csv": "身份证号",
    "utf16.csv": "UTF-16",
    "fake.xlsx": "Excel workbook",
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_unreadable_files_are_refused_and_nothing_published(ns, data, name):
    path = data / "bad" / name
    r = produce(ns, "medical-insurance", "high-self-pay", PERIOD, path)
    assert r.returncode == 65, (r.returncode, r.stderr)
    assert REFUSED[name] in r.stderr
    assert name in r.stderr  # says which file
    rhtest.assert_no_full_id(r.stdout, r.stderr)
    bid = rhtest.batch_id("medical-insurance", "high-self-pay", PERIOD, path)
    assert bid not in ns.manifests_by_batch()
    visible = ns.read_topic("feed.medical-insurance.high-self-pay",
                                keep=lambda m: header(m, "batch_id") == bid)
    assert visible == [], "records of a refused file are visible"


@pytest.mark.parametrize("name,encoding", [("gbk.csv", "gb18030"), ("bom.csv", "utf-8-sig"),
                                           ("blank-trailing.csv", "utf-8-sig")])
def test_encodings_and_blank_lines(ns, data, cfg, name, encoding):
    path = data / "bad" / name
    r = produce(ns, "medical-insurance", "high-self-pay", PERIOD, path)
    assert r.returncode == 0, r.stderr
    bid = rhtest.batch_id("medical-insurance", "high-self-pay", PERIOD, path)
    man = ns.manifests_by_batch()[bid][-1]
    expected = rhtest.expected_records(cfg, "medical-insurance", "high-self-pay", path, encoding)
    assert man["rows_accepted"] == len(expected) == 20
    got = {decode(m.value())[1]["row_number"]: decode(m.value())[1]
           for m in rhtest.read_ranges(man["topic"], man["partitions"]) if header(m, "batch_id") == bid}
    assert {k: v["name"] for k, v in got.items()} == {k: v["name"] for k, v in expected.items()}


def test_refused_before_publishing(ns, data, tmp_path):
    path = data / "bad" / "bom.csv"
    r = produce(ns, "no-such-dept", "x", PERIOD, path)
    assert r.returncode == 65 and "unknown department 'no-such-dept/x'" in r.stderr
    r = produce(ns, "medical-insurance", "no-such-feed", PERIOD, path)
    assert r.returncode == 65 and "unknown feed" in r.stderr
    r = produce(ns, "medical-insurance", "high-self-pay", "2026-13", path)
    assert r.returncode == 65 and "2026-13" in r.stderr
    # a month that has not begun in the county (UTC+08:00): refused, nothing sent
    now = datetime.now(timezone(timedelta(hours=8)))
    future = f"{now.year + (now.month == 12)}-{now.month % 12 + 1:02d}"
    good = data / f"medical-insurance.high-self-pay.{PERIOD}.csv"
    before = ns.end_offsets("feed.manifests")
    r = produce(ns, "medical-insurance", "high-self-pay", future, good if good.exists() else path)
    assert r.returncode == 65 and f"period {future} has not begun" in r.stderr, r.stderr
    assert ns.end_offsets("feed.manifests") == before
    r = produce(ns, "medical-insurance", "high-self-pay", PERIOD, tmp_path / "missing.csv")
    assert r.returncode == 74 and "missing.csv" in r.stderr
    bad_cfg = tmp_path / "broken.yaml"
    bad_cfg.write_text("county: {code: \"411024\"\nkafka: [\n")
    r = produce(ns, "medical-insurance", "high-self-pay", PERIOD, path, config=bad_cfg)
    assert r.returncode == 78 and "broken.yaml:" in r.stderr


ALREADY = 3  # common/rh_exit.h RH_EXIT_ALREADY_DONE: already published, nothing sent


def highs(ns, *topics):
    """{topic: {partition: high watermark}} of the namespace's topics, now."""
    return {t: ns.end_offsets(t) for t in topics}


def assert_told_when(out, man):
    """The already-published line names the batch's first publication as the manifest has it."""
    when = man["finished_at"].astimezone().strftime("%Y-%m-%d %H:%M:%S %z")
    assert "already published, nothing sent" in out, out
    assert f"batch {man['batch_id'][:12]}" in out, out
    assert f"published {when} from {man['source_name']}" in out, out
    assert (f"{man['rows_total']} rows, {man['rows_accepted']} accepted, "
            f"{man['rows_rejected']} rejected") in out, out
    for p in man["partitions"]:
        assert f"partition {p['partition']} offsets {p['first_offset']}-{p['last_offset']}" in out, out
    assert "--republish" in out


def test_same_file_twice_sent_once_unless_republish(ns, data, tmp_path):
    dept, feed = "health", "major-disease"
    src = data / PERIOD / f"{dept}.{feed}.{PERIOD}.csv"
    bid = rhtest.batch_id(dept, feed, PERIOD, src)
    topics = (f"feed.{dept}.{feed}", f"feed.{dept}.manifests", f"feed.{dept}.rejects")
    r = produce(ns, dept, feed, PERIOD, src)
    assert r.returncode == 0 and f"batch {bid[:12]}" in r.stdout, r.stderr
    (first,) = ns.manifests_by_batch()[bid]
    before = highs(ns, *topics)
    assert sum(before[topics[0]].values()) >= first["rows_accepted"] > 0

    # again: nothing sent, the clerk told when and where it went, a code of its own
    r = produce(ns, dept, feed, PERIOD, src)
    assert r.returncode == ALREADY, f"exit {r.returncode}: {r.stdout}{r.stderr}"
    assert_told_when(r.stdout, first)
    rhtest.assert_no_full_id(r.stdout, r.stderr)
    # standard input: the same bytes, the same batch, also not sent
    with open(src, "rb") as fp:
        r = ns.run("riskhub-produce", "--config", rhtest.CONFIG, "-d", dept, "-f", feed,
                   "-p", PERIOD, "--no-progress", "--report-dir", tmp_path, "-", stdin=fp)
    assert r.returncode == ALREADY, f"exit {r.returncode}: {r.stdout}{r.stderr}"
    assert_told_when(r.stdout, first)
    assert highs(ns, *topics) == before, "a batch already published was sent again"
    assert len(ns.manifests_by_batch()[bid]) == 1

    # --republish sends it again, as before: a second manifest, the records once more
    r = produce(ns, dept, feed, PERIOD, src, "--republish")
    assert r.returncode == 0 and f"batch {bid[:12]}" in r.stdout, r.stderr
    assert "already published" not in r.stdout
    mans = ns.manifests_by_batch()[bid]
    assert len(mans) == 2 and len({m["source_sha256"] for m in mans}) == 1
    after = highs(ns, *topics)
    assert sum(after[topics[0]].values()) - sum(before[topics[0]].values()) >= first["rows_accepted"]
    assert sum(after[topics[1]].values()) > sum(before[topics[1]].values())
    # and a third time without: nothing sent, both publications counted, the first reported
    r = produce(ns, dept, feed, PERIOD, src)
    assert r.returncode == ALREADY, f"exit {r.returncode}: {r.stdout}{r.stderr}"
    assert_told_when(r.stdout, first)
    assert "published 2 times in all" in r.stdout, r.stdout
    assert highs(ns, *topics) == after


def test_already_published_with_rejects_says_so_and_writes_no_rejects(ns, data, tmp_path):
    """A list published with rejected rows (exit 1): again, exit 3 (not 1), the counts of
    the first publication, no rejects file written again; the same bytes for another
    month are another batch."""
    src = tmp_path / "in" / "list.csv"
    src.parent.mkdir()
    shutil.copy(data / "bad" / "wrong-checksum.csv", src)
    out = tmp_path / "reports"
    out.mkdir()
    rejects = out / "list.csv.rejects.csv"
    r = produce(ns, "medical-insurance", "high-self-pay", PERIOD, src, "--report-dir", out)
    assert r.returncode == 1 and rejects.exists(), r.stderr
    rejects.unlink()
    r = produce(ns, "medical-insurance", "high-self-pay", "2026-09", src, "--report-dir", out)
    assert r.returncode == 1 and "already published" not in r.stdout, r.stdout + r.stderr
    rejects.unlink()
    bid = rhtest.batch_id("medical-insurance", "high-self-pay", PERIOD, src)
    (man,) = ns.manifests_by_batch()[bid]
    assert man["rows_rejected"] == 3
    r = produce(ns, "medical-insurance", "high-self-pay", PERIOD, src, "--report-dir", out)
    assert r.returncode == ALREADY, f"exit {r.returncode}: {r.stdout}{r.stderr}"
    assert_told_when(r.stdout, man)
    assert not list(out.iterdir()), "a report written for a list not sent"


def test_watch_same_file_twice_goes_to_done_as_already_published(ns, data, tmp_path):
    dept, feed = "health", "major-disease"
    name = f"{dept}.{feed}.{PERIOD}.csv"
    drop = tmp_path / "drop"
    drop.mkdir()
    topics = (f"feed.{dept}.{feed}", f"feed.{dept}.manifests", f"feed.{dept}.rejects")

    def watch_once():
        shutil.copy(data / PERIOD / name, drop / name)
        r = ns.run("riskhub-produce", "--config", rhtest.CONFIG, "--watch", drop, "--once",
                   "--settle-ms", 0)
        assert r.returncode == 0, r.stderr
        assert not (drop / name).exists() and (drop / "done" / name).exists(), r.stderr
        assert not any((drop / "failed").iterdir()), r.stderr
        return (drop / "done" / f"{name}.summary.txt").read_text(), r

    summary, _ = watch_once()
    assert "0 rejected" in summary and "already published" not in summary, summary
    bid = rhtest.batch_id(dept, feed, PERIOD, drop / "done" / name)
    (man,) = ns.manifests_by_batch()[bid]
    before = highs(ns, *topics)
    summary, r = watch_once()
    assert_told_when(summary, man)
    assert "already published" in r.stderr, r.stderr  # the watcher's log says it too
    assert highs(ns, *topics) == before, "the watcher sent a published file again"


def test_file_changed_while_published_is_not(ns, generate, tmp_path):
    """A list still being written when riskhub-produce reads it (two bursts, no rename:
    issue 12) is not published half: the file grew after it was hashed, the batch is
    aborted (69, "changed while it was read"), nothing is visible, no manifest; the
    whole file published again afterwards is one batch."""
    big = generate(households=500, rows_per_feed=5, seed=20399, big_feed_rows=100000)
    src = big / PERIOD / f"bench.health.major-disease.{PERIOD}.csv"
    path = tmp_path / src.name
    lines = src.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    path.write_text("".join(lines[:-100]), encoding="utf-8")
    before = ns.end_offsets("feed.manifests")
    proc = subprocess.Popen([str(rhtest.BIN / "riskhub-produce"), "--config", str(rhtest.CONFIG),
                             "-d", "health", "-f", "major-disease", "-p", PERIOD, "--no-progress",
                             str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=ns.env())
    try:
        assert rhtest.wait_for_glob(tmp_path, f"{path.name}.rejects.csv.tmp*", 60)
        with open(path, "a", encoding="utf-8") as fp:  # the second burst
            fp.write("".join(lines[-100:]))
        out, err = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 69 and "changed while it was read" in err, (proc.returncode, err)
    assert ns.end_offsets("feed.manifests") == before, "a manifest of the half file"
    r = produce(ns, "health", "major-disease", PERIOD, path)
    assert r.returncode == 0, r.stderr
    (man,) = [m for _, _, m, _ in ns.read("feed.manifests")]
    assert man["rows_total"] == len(lines) - 1 and man["batch_id"] == rhtest.batch_id(
        "health", "major-disease", PERIOD, path)


def test_two_files_of_one_feed_at_once(ns, generate, tmp_path):
    """Two clerks publish two different lists of one feed at the same time: both are
    published whole (issue 12: one transactional id a feed made the second fence the
    first mid-file; now it is one a batch)."""
    big = generate(households=500, rows_per_feed=5, seed=20399, big_feed_rows=100000)
    src = big / PERIOD / f"bench.health.major-disease.{PERIOD}.csv"
    lines = src.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("".join(lines[:60000]), encoding="utf-8")
    b.write_text("".join(lines[:1] + lines[40000:]), encoding="utf-8")
    procs = [subprocess.Popen([str(rhtest.BIN / "riskhub-produce"), "--config", str(rhtest.CONFIG),
                               "-d", "health", "-f", "major-disease", "-p", PERIOD, "--no-progress",
                               str(p)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=ns.env()) for p in (a, b)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [rhtest.scrub(e) for _, e in outs]
    mans = ns.manifests_by_batch()
    for p, rows in ((a, 59999), (b, len(lines) - 40000)):
        bid = rhtest.batch_id("health", "major-disease", PERIOD, p)
        assert len(mans[bid]) == 1 and mans[bid][0]["rows_total"] == rows, (p.name, mans.get(bid))
