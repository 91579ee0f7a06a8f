"""/metrics and /healthz of a running service (--metrics 127.0.0.1:0, docs/metrics.md):
the port it chose, a GET, and the page's samples."""
import re
import urllib.error
import urllib.request

from .env import wait_for

__all__ = ["metrics_port", "http_get", "metric_samples", "metric_family"]

_LINE = re.compile(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.e+-]+|NaN|[+-]Inf)')


def metrics_port(proc, log=None):
    """The port a service started with --metrics 127.0.0.1:0 says it serves on: proc a
    rhtest.Join, or a Popen whose log log() returns."""
    text = log or (lambda: proc.stderr)
    join = proc if log is None else None

    def said():
        m = re.search(r"metrics on http://127\.0\.0\.1:(\d+)/metrics", text())
        assert m or join or proc.poll() is None, f"exited ({proc.returncode}):\n{text()[-2000:]}"
        return m
    return int(wait_for(said, 30, "the metrics address", join=join, interval=0.1).group(1))


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy


def http_get(port, path):
    """(status, body, content type) of GET http://127.0.0.1:port/path."""
    try:
        with _DIRECT.open(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
            return r.status, r.read().decode(), r.headers.get("Content-Type")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), e.headers.get("Content-Type")


def metric_samples(page):
    """{(name, labels): value} of a page; every line must be a comment or a sample."""
    out = {}
    for line in page.splitlines():
        if not line or line.startswith("# HELP ") or line.startswith("# TYPE "):
            continue
        m = _LINE.fullmatch(line)
        assert m, f"not Prometheus' text format: {line!r}"
        key = (m[1], m[2] or "")
        assert key not in out, f"one series twice on the page: {line!r}"
        out[key] = float(m[3])
    return out


def metric_family(samples, name):
    """{labels: value} of one family of metric_samples()."""
    return {labels: v for (n, labels), v in samples.items() if n == name}
