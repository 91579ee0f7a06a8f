"""config/riskhub.yaml as the tests read it."""
import re
import uuid
from pathlib import Path

import yaml

from .env import CONFIG

__all__ = ["load_config", "feed_config", "township_code", "config_with"]


def load_config(path=CONFIG):
    return yaml.safe_load(Path(path).read_text())


def feed_config(cfg, dept, feed):
    for d in cfg["departments"]:
        if d["code"] == dept:
            for f in d["feeds"]:
                if f["code"] == feed:
                    return f
    raise KeyError(f"{dept}/{feed}")


def township_code(cfg, text):
    for t in cfg["townships"]:
        name = t["name"]
        if text in (t["code"], name) or (name[-1] in "镇乡" and text == name[:-1]):
            return t["code"]
    return None


def config_with(tmp_path, **kafka_overrides):
    """A copy of the shipped config with some Kafka properties changed."""
    cfg_text = CONFIG.read_text()
    for key, value in kafka_overrides.items():
        key = key.replace("_", ".")
        pattern = re.compile(rf"^  {re.escape(key)}: .*$", re.M)
        if pattern.search(cfg_text):
            cfg_text = pattern.sub(f"  {key}: {value}", cfg_text)
        else:
            cfg_text = cfg_text.replace("kafka:\n", f"kafka:\n  {key}: {value}\n", 1)
    path = Path(tmp_path) / f"riskhub-{uuid.uuid4().hex[:8]}.yaml"
    path.write_text(cfg_text)
    return path
