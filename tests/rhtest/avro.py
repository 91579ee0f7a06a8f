"""Single-object Avro (C3 01, little-endian CRC-64-AVRO fingerprint, body) with
fastavro and the schemas of schemas/ (and schemas/history/)."""
import functools
import io

import fastavro
import fastavro.schema
import yaml

from .env import SRC

__all__ = ["SCHEMAS", "load_schema", "decode", "encode"]


def load_schema(path):
    """(fingerprint bytes, parsed schema) of an .avsc file."""
    obj = yaml.safe_load(path.read_text())
    pcf = fastavro.schema.to_parsing_canonical_form(obj)
    fp = bytes.fromhex(fastavro.schema.fingerprint(pcf, "CRC-64-AVRO"))  # little-endian bytes
    return fp, fastavro.parse_schema(obj)


def _load_schemas():
    by_fp = {}
    for path in sorted((SRC / "schemas").glob("*.avsc")) + sorted((SRC / "schemas").glob("history/*.avsc")):
        fp, schema = load_schema(path)
        by_fp[fp] = (path.stem, schema)
    return by_fp


SCHEMAS = _load_schemas()


def decode(value):
    """(record type name, dict) of a single-object encoded message."""
    assert value[:2] == b"\xc3\x01", "not single-object encoded"
    name, schema = SCHEMAS[bytes(value[2:10])]
    buf = io.BytesIO(value[10:])
    rec = fastavro.schemaless_reader(buf, schema)
    assert buf.read() == b"", "trailing bytes after the Avro body"
    return name, rec


@functools.lru_cache(maxsize=None)
def _current(schema_name):
    return load_schema(SRC / "schemas" / f"{schema_name}.avsc")


def encode(schema_name, rec):
    """Single-object encoding with the current schema schemas/<name>.avsc."""
    fp, schema = _current(schema_name)
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, schema, rec)
    return b"\xc3\x01" + fp + buf.getvalue()
