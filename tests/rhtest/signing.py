"""Signed lists, computed here and not by riskhub's C code (docs/security.md,
"Signed lists"): a BatchManifest's signed text, its Ed25519 signature made by the
openssl command with a department's key of KEYS_DIR, and its link hash."""
import base64
import hashlib
import subprocess
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from .env import KEYS_DIR

__all__ = ["manifest_text", "public_key_id", "sign_manifest", "manifest_link"]

_STRS1 = ("batch_id", "department", "feed", "kind", "period", "topic", "source_name",
          "source_sha256", "schema_fingerprint")
_LONGS1 = ("rows_total", "rows_accepted", "rows_rejected")
_LONGS2 = ("started_at", "finished_at")
_STRS2 = ("producer", "records_sha256", "prev_manifest_sha256", "key_id")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _ms(v):
    if isinstance(v, datetime):
        return (v - _EPOCH) // (datetime(1970, 1, 1, 0, 0, 0, 1000, tzinfo=timezone.utc) - _EPOCH)
    return int(v)


def manifest_text(m):
    """The bytes a department signs (common/rh_manifest.h)."""
    out = [b"riskhub BatchManifest 1\n"]

    def s(name):
        v = m.get(name, "").encode()
        out.append(name.encode() + b":" + str(len(v)).encode() + b":" + v + b"\n")
    for f in _STRS1:
        s(f)
    for f in _LONGS1:
        out.append(f"{f}={_ms(m[f])}\n".encode())
    parts = m.get("partitions", [])
    out.append(f"partitions={len(parts)}\n".encode())
    for p in parts:
        out.append(f"{p['partition']}/{p['first_offset']}/{p['last_offset']}/{p['count']}\n".encode())
    for f in _LONGS2:
        out.append(f"{f}={_ms(m[f])}\n".encode())
    for f in _STRS2:
        s(f)
    return b"".join(out)


def _raw_public(department, keys_dir):
    lines = [x.strip() for x in (Path(keys_dir) / f"{department}.pub").read_text().splitlines()]
    return base64.b64decode([x for x in lines if x and not x.startswith("#")][-1])


def public_key_id(department, keys_dir=KEYS_DIR):
    """The id of the department's newest public key."""
    return hashlib.sha256(_raw_public(department, keys_dir)).hexdigest()[:16]


def sign_manifest(m, department=None, keys_dir=KEYS_DIR, key_file=None):
    """A copy of manifest dict m signed with department's key (default: m's own
    department; key_file: another private key, whose id is then taken from it)."""
    m = dict(m)
    department = department or m["department"]
    key_file = Path(key_file) if key_file else Path(keys_dir) / f"{department}.key"
    if key_file == Path(keys_dir) / f"{department}.key":
        m["key_id"] = public_key_id(department, keys_dir)
    else:
        der = subprocess.run(["openssl", "pkey", "-in", str(key_file), "-pubout", "-outform", "DER"],
                             capture_output=True, check=True).stdout
        m["key_id"] = hashlib.sha256(der[-32:]).hexdigest()[:16]
    with tempfile.NamedTemporaryFile() as f:
        f.write(manifest_text(m))
        f.flush()
        sig = subprocess.run(["openssl", "pkeyutl", "-sign", "-rawin", "-inkey", str(key_file),
                              "-in", f.name], capture_output=True, check=True).stdout
    assert len(sig) == 64
    m["signature"] = sig.hex()
    return m


def manifest_link(m):
    """The link hash the next manifest of the feed names as prev_manifest_sha256."""
    return hashlib.sha256(manifest_text(m) + b"\0" + m.get("signature", "").encode()).hexdigest()
