"""The deployment files of docker/, checked as far as this machine can without a
container engine (docker/README.md says what was and was not run):

  Dockerfile     the build stage installs scripts/deps.sh's build packages; the
                 runtime stage no compiler and no -dev package, and the Debian
                 package of every shared library the built programs load
  secrets.sh     makes every file compose.yaml names, secret ones 0600 (the CA's
                 certificate 0644), and a second run changes nothing
  compose.yaml   `docker-compose config` accepts it; each riskhub service runs a
                 program of the build, as its own Kafka principal and PostgreSQL role
                 with only its own secrets (the operator's credentials in the setup
                 service alone, a department's signing key in its publisher alone);
                 every RH_* variable is one the programs read
  kafka-entrypoint.sh  bash -n; its broker's security settings are those of
                 scripts/lib/kafka_security.sh (the project's own brokers)
  *.service      systemd-analyze verify, but for the programs not being installed
                 in /usr/bin here

usage: check_deploy.py SOURCE_DIR BIN_DIR"""
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

SRC = Path(sys.argv[1]).resolve()
BIN = Path(sys.argv[2]).resolve()
DOCKER = SRC / "docker"
failures = []


def fail(msg):
    failures.append(msg)
    print(f"FAIL: {msg}")


def stage_packages(dockerfile):
    """{stage name: set of apt packages installed in it}."""
    stages, name = {}, None
    for line in re.sub(r"\\\n", " ", dockerfile.read_text()).splitlines():
        m = re.match(r"FROM\s+\S+\s+AS\s+(\S+)", line, re.I)
        if m:
            name = m.group(1)
            stages[name] = set()
        m = re.search(r"apt-get install((?:\s+[-\w.+]+)+)", line)
        if m and name:
            stages[name] |= {w for w in m.group(1).split() if not w.startswith("-")}
    return stages


def needed_libraries():
    libs = set()
    for prog in sorted(BIN.glob("riskhub-*")):
        out = subprocess.run(["readelf", "-d", prog], capture_output=True, text=True).stdout
        libs |= set(re.findall(r"\(NEEDED\).*\[(.+?)\]", out))
    return libs


def library_paths():
    """{soname: [path]} of the 64-bit libraries the dynamic linker knows (ldconfig -p)."""
    paths = {}
    for line in subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout.splitlines():
        if " => " in line and "x86-64" in line:
            paths.setdefault(line.split()[0], []).append(line.split(" => ")[1])
    return paths


def package_of(paths):
    """The Debian package owning one of the paths (as given, or with /usr merged in)."""
    for p in paths:
        for q in (p, os.path.realpath(p)):
            r = subprocess.run(["dpkg", "-S", q], capture_output=True, text=True)
            if r.returncode == 0:
                return r.stdout.split(":")[0]
    return None


def check_dockerfile():
    stages = stage_packages(DOCKER / "Dockerfile")
    if set(stages) != {"build", "runtime"}:
        fail(f"Dockerfile: stages {sorted(stages)}, not build and runtime")
        return
    deps = (SRC / "scripts" / "deps.sh").read_text()
    listed = re.search(r"APT_PACKAGES=\((.*?)\)", deps, re.S).group(1).split()
    build_part = {p for p in listed if p.endswith("-dev") and "clang" not in p} | \
        {"build-essential", "cmake", "ninja-build", "pkg-config", "gettext"}
    if build_part - stages["build"]:
        fail(f"Dockerfile: the build stage lacks {sorted(build_part - stages['build'])} "
             f"(scripts/deps.sh builds with them)")
    bad = {p for p in stages["runtime"] if p.endswith("-dev") or p in ("build-essential", "gcc", "cmake")}
    if bad:
        fail(f"Dockerfile: the runtime stage installs build packages {sorted(bad)}")
    libs = needed_libraries()
    if not libs:
        fail(f"no riskhub-* program in {BIN}")
    if any(re.match(r"lib(asan|ubsan|tsan|lsan)\.", lib) for lib in libs):
        # the image is a release build; the ASan pass's programs load more
        print("Dockerfile: a sanitizer build; its shared libraries are not the image's "
              "(the release pass checks them)")
        return
    known = library_paths()
    for lib in sorted(libs):
        pkg = package_of(known.get(lib, []))
        if pkg is None:
            fail(f"{lib}: no Debian package found for it")
        elif pkg != "libc6" and pkg not in stages["runtime"]:
            fail(f"Dockerfile: the runtime stage lacks {pkg} ({lib}, loaded by the programs)")
    print(f"Dockerfile: {len(libs)} shared libraries, each in the runtime stage or libc6")


def make_secrets(tree):
    env = dict(os.environ, RH_SECRETS_DIR=str(tree / "docker" / "secrets"))
    r = subprocess.run(["bash", str(DOCKER / "secrets.sh")], capture_output=True, text=True, env=env)
    if r.returncode != 0:
        fail(f"secrets.sh: exit {r.returncode}: {r.stderr[-2000:]}")
    return r


def snapshot(folder):
    return {str(p.relative_to(folder)): (p.read_bytes(), stat.S_IMODE(p.stat().st_mode))
            for p in sorted(folder.rglob("*")) if p.is_file()}


def program_env_names():
    names = set()
    for d in ("common", "consumers", "producers"):
        for f in (SRC / d).rglob("*.c"):
            names |= set(re.findall(r'getenv\("(RH_[A-Z_]+)"\)', f.read_text(errors="replace")))
    return names


def check_compose(tree):
    compose = DOCKER / "compose.yaml"
    doc = yaml.safe_load(compose.read_text())
    dc = shutil.which("docker-compose")
    if not dc:
        fail("docker-compose is not installed (scripts/deps.sh installs Debian's)")
    else:
        r = subprocess.run([dc, "-f", str(tree / "docker" / "compose.yaml"), "config", "-q"],
                           capture_output=True, text=True, cwd=tree)
        if r.returncode != 0:
            fail(f"docker-compose config: exit {r.returncode}: {r.stderr[-2000:]}")
        else:
            print("compose.yaml: docker-compose config accepts it")
    secrets = doc["secrets"]
    for name, s in secrets.items():
        if not (tree / "docker" / s["file"]).is_file():
            fail(f"compose.yaml: secret {name}: {s['file']} is not made by secrets.sh")
    known_env = program_env_names()
    services = doc["services"]
    principal_of = {"riskhub-join": "svc.join", "riskhub-ledger": "svc.ledger",
                    "riskhub-health": "svc.status", "riskhub-setup": "admin"}
    for name, svc in services.items():
        for v in svc.get("volumes", []):
            src = v.split(":")[0]
            if src.startswith("./") or src.startswith("../"):
                if not (tree / "docker" / src).exists():
                    fail(f"compose.yaml: {name} mounts {src}, which does not exist")
        if not svc.get("image", "").startswith("${RISKHUB_IMAGE"):
            continue
        cmd = svc["command"]
        progs = re.findall(r"riskhub-[a-z]+", " ".join(cmd))
        for p in progs:
            if not (BIN / p).exists():
                fail(f"compose.yaml: {name} runs {p}, which the build does not make")
        env = svc.get("environment", {})
        for k in env:
            if k.startswith("RH_") and k not in known_env:
                fail(f"compose.yaml: {name} sets {k}, which no program reads")
        mine = set(svc.get("secrets", []))
        cred = env.get("RH_KAFKA_CREDENTIALS", "")
        sec = cred.rsplit("/", 1)[-1]
        if name == "riskhub-web":  # PostgreSQL only (docs/web.md): no Kafka identity at all
            if cred or any(m.startswith("kafka-") for m in mine):
                fail(f"compose.yaml: {name} has Kafka credentials it does not use")
        elif sec not in mine:
            fail(f"compose.yaml: {name}: RH_KAFKA_CREDENTIALS {cred} is not one of its secrets")
        else:
            who = (tree / "docker" / secrets[sec]["file"]).read_text()
            want = principal_of.get(name) or "dept." + name.removeprefix("riskhub-produce-")
            if f"sasl.username={want}\n" not in who:
                fail(f"compose.yaml: {name} signs in to Kafka as another principal than {want}")
        if "kafka-admin" in mine and name != "riskhub-setup":
            fail(f"compose.yaml: {name} has the operator's Kafka credentials")
        pg = env.get("PGPASSFILE")
        if pg and pg.rsplit("/", 1)[-1] not in mine:
            fail(f"compose.yaml: {name}: PGPASSFILE {pg} is not one of its secrets")
        if name in ("riskhub-join", "riskhub-ledger", "riskhub-web") or name.startswith(
                "riskhub-produce-"):
            # --metrics ADDR in the command, and the health check asks its /healthz
            listen = cmd[cmd.index("--metrics") + 1] if "--metrics" in cmd else None
            test = " ".join(svc.get("healthcheck", {}).get("test", []))
            port = listen.rsplit(":", 1)[-1] if listen else None
            if not listen:
                fail(f"compose.yaml: {name} serves no /metrics (--metrics)")
            elif f"/dev/tcp/127.0.0.1/{port}" not in test or "GET /healthz" not in test:
                fail(f"compose.yaml: {name}: the health check does not ask /healthz on port {port}")
        for k in (v for v in svc.get("volumes", []) if ".key:" in v):
            code = Path(k.split(":")[0]).stem
            if name != f"riskhub-produce-{code}":
                fail(f"compose.yaml: {name} mounts the signing key of {code}")
    print(f"compose.yaml: {len(services)} services, {len(secrets)} secrets checked")


def properties(text):
    return dict(re.findall(r"^([a-z][\w.-]*)=(.*)$", text, re.M))


def check_broker():
    r = subprocess.run(["bash", "-n", str(DOCKER / "kafka-entrypoint.sh")], capture_output=True, text=True)
    if r.returncode:
        fail(f"kafka-entrypoint.sh: {r.stderr}")
    ours = properties((DOCKER / "kafka-entrypoint.sh").read_text())
    project = properties((SRC / "scripts" / "lib" / "kafka_security.sh").read_text())
    # not the addresses, the files' places, the passwords' sources nor the super users
    # (the project's brokers have a riskhub super user for its tests; compose has none)
    same = [k for k in project if not k.startswith(("listeners", "advertised.listeners",
                                                    "ssl.keystore.location", "ssl.truststore.location",
                                                    "listener.name.sasl_ssl.plain", "super.users",
                                                    "sasl.jaas.config"))]
    for k in same:
        if ours.get(k) != project[k]:
            fail(f"kafka-entrypoint.sh: {k}={ours.get(k)}, the project's brokers {k}={project[k]}")
    if "User:riskhub;" in ours.get("super.users", "") or ours.get("super.users", "").endswith("User:riskhub"):
        fail("kafka-entrypoint.sh: the riskhub principal is a super user")
    print(f"kafka-entrypoint.sh: {len(same)} security settings as scripts/lib/kafka_security.sh")


def check_dashboard():
    """Every family the Grafana dashboard asks for is one a program serves (a string
    of the C sources), and every program's family is shown or named in docs/metrics.md."""
    dash = json.loads((DOCKER / "grafana-riskhub.json").read_text())

    def panels(ps):  # rows hold panels of their own
        for p in ps:
            yield p
            yield from panels(p.get("panels", []))
    exprs = [t.get("expr", "") for p in panels(dash["panels"]) for t in p.get("targets", [])]
    served = set()
    for c in list(SRC.glob("common/*.c")) + list(SRC.glob("consumers/*/*.c")) + list(SRC.glob("producers/*/*.c")):
        served |= set(re.findall(r'"(riskhub_[a-z0-9_]+)"', c.read_text()))
    asked = {n for e in exprs for n in re.findall(r"\b(riskhub_[a-z0-9_]+)\b", e)}
    for n in sorted(asked - served):
        fail(f"grafana-riskhub.json asks for {n}, which no program serves")
    doc = (SRC / "docs" / "metrics.md").read_text()
    for n in sorted(served):
        if not re.search(rf"\b{n}\b", doc):
            fail(f"docs/metrics.md does not describe {n}")
    print(f"grafana-riskhub.json: {len(dash['panels'])} panels, {len(asked)} families, all served")


def check_units():
    sa = shutil.which("systemd-analyze")
    units = sorted(DOCKER.glob("*.service"))
    if not sa:
        print("units: systemd-analyze is not on this machine: not verified")
        return
    r = subprocess.run([sa, "verify", *map(str, units)], capture_output=True, text=True)
    other = [line for line in (r.stdout + r.stderr).splitlines()
             if line.strip() and not re.search(r"Command /usr/bin/riskhub-[a-z]+ is not executable", line)]
    if other:
        fail("systemd-analyze verify:\n" + "\n".join(other))
    print(f"units: {len(units)} verified by systemd-analyze (the programs are not in /usr/bin here)")


def main():
    check_dockerfile()
    with tempfile.TemporaryDirectory() as t:
        tree = Path(t)
        (tree / "docker").mkdir()
        (tree / "config").mkdir()
        for f in ("compose.yaml", "kafka-entrypoint.sh"):
            shutil.copy(DOCKER / f, tree / "docker" / f)
        shutil.copy(SRC / "config" / "riskhub.yaml", tree / "config" / "riskhub.yaml")
        make_secrets(tree)
        folder = tree / "docker" / "secrets"
        first = snapshot(folder)
        for rel, (_, mode) in first.items():
            want = 0o644 if rel.endswith((".pem", ".pub")) and not rel.endswith("broker.pem") else 0o600
            if rel.endswith("ca.srl"):
                continue
            if mode != want:
                fail(f"secrets.sh: {rel} has mode {mode:o}, not {want:o}")
        make_secrets(tree)
        if snapshot(folder) != first:
            fail("secrets.sh: a second run changed the secrets")
        print(f"secrets.sh: {len(first)} files; a second run changed none")
        check_compose(tree)
    check_broker()
    check_units()
    check_dashboard()
    if failures:
        print(f"{len(failures)} failures")
        return 1
    print("deploy: all checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
