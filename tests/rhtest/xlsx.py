"""A workbook read with the standard library only (openpyxl is not in scripts/deps.sh's
Python set): riskhub-status's and riskhub-web's .xlsx."""
import re
import xml.etree.ElementTree as ET
import zipfile

__all__ = ["read_xlsx"]

XL = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
XR = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def col_index(ref):
    letters = re.match(r"[A-Z]+", ref).group(0)
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return int(ref[len(letters):]) - 1, n - 1


def read_xlsx(path):
    """{sheet name: {(row, col): (value, number format, bold, filled)}} of the workbook at
    path (a file name or a file-like object)."""
    z = zipfile.ZipFile(path)
    assert z.testzip() is None, "a corrupt member in the workbook"
    wb = ET.fromstring(z.read("xl/workbook.xml"))
    rels = {r.get("Id"): r.get("Target") for r in ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))}
    shared = []
    if "xl/sharedStrings.xml" in z.namelist():
        for si in ET.fromstring(z.read("xl/sharedStrings.xml")).iter(f"{XL}si"):
            shared.append("".join(t.text or "" for t in si.iter(f"{XL}t")))
    st = ET.fromstring(z.read("xl/styles.xml"))
    numfmts = {int(n.get("numFmtId")): n.get("formatCode") for n in st.iter(f"{XL}numFmt")}
    numfmts.setdefault(0, "General")
    fonts = [f.find(f"{XL}b") is not None for f in st.find(f"{XL}fonts")]
    fills = [f for f in st.find(f"{XL}fills")]
    xfs = []
    for xf in st.find(f"{XL}cellXfs"):
        fid = int(xf.get("numFmtId", 0))
        xfs.append((numfmts.get(fid, f"builtin {fid}"), fonts[int(xf.get("fontId", 0))],
                    int(xf.get("fillId", 0)) >= 2 and len(fills) > 2))
    out = {}
    for s in wb.iter(f"{XL}sheet"):
        target = rels[s.get(f"{XR}id")]
        ws = ET.fromstring(z.read("xl/" + target.lstrip("/").removeprefix("xl/")))
        cells = {}
        for c in ws.iter(f"{XL}c"):
            v = c.find(f"{XL}v")
            if v is None:
                continue
            t = c.get("t")
            val = shared[int(v.text)] if t == "s" else (v.text if t in ("str", "inlineStr") else float(v.text))
            cells[col_index(c.get("r"))] = (val,) + xfs[int(c.get("s", 0))]
        out[s.get("name")] = cells
    return out
