#!/usr/bin/env bash
# Install what riskhub needs to build and test, on Debian 12: the C toolchain
# and libraries, PostgreSQL 15, kcat, Java and Maven (for the Kafka broker's
# jars), Python's avro + fastavro (interop tests), and headless Chromium with
# its driver, selenium and CJK fonts (riskhub-web's browser test). Installs only what is
# missing; when everything is present it asks no network and takes about a
# second. Safe to re-run.
#
# usage: scripts/deps.sh
#
# Runs apt-get as root (through sudo when not root). Python packages go to the
# `python3` found on PATH (a pyenv or venv interpreter if that is what PATH has).
set -euo pipefail

RH_PROG=deps.sh
# shellcheck source=scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

APT_PACKAGES=(
    build-essential cmake ninja-build pkg-config
    librdkafka-dev libavro-dev libpq-dev libyaml-dev libcmocka-dev libcsv-dev
    libjansson-dev libssl-dev libxlsxwriter-dev libmicrohttpd-dev libsodium-dev
    kcat time strace openssl gettext
    docker-compose
    clang-14 libclang-rt-14-dev
    postgresql postgresql-contrib
    chromium chromium-driver fonts-noto-cjk
)
# pip package names, and the modules they provide (same order)
PY_MODULES=(avro fastavro confluent-kafka PyYAML pytest selenium==4.51.0)
PY_IMPORTS=(avro fastavro confluent_kafka yaml pytest selenium)
PY_IMPORT="import $(IFS=,; echo "${PY_IMPORTS[*]}")"
did=0

SUDO=()
if ((EUID != 0)); then
    need_cmd sudo "run scripts/deps.sh as root"
    SUDO=(sudo)
fi

# java works and is at least 11 (Kafka 3.9's broker needs 11+; 17 is what we use).
java_ok() {
    command -v java >/dev/null 2>&1 || return 1
    local v
    v=$(java -version 2>&1 | awk -F'"' '/version/ {print $2; exit}') || return 1
    v=${v#1.}
    v=${v%%[.+-]*}
    [[ $v =~ ^[0-9]+$ ]] && ((v >= 11))
}

wanted=("${APT_PACKAGES[@]}")
java_ok || wanted+=(openjdk-17-jre-headless)
mvn -v >/dev/null 2>&1 || wanted+=(maven)
if ! command -v python3 >/dev/null 2>&1; then
    wanted+=(python3 python3-pip)
elif ! python3 -m pip --version >/dev/null 2>&1; then
    # Debian's pip only helps Debian's python3.
    [[ $(command -v python3) == /usr/bin/python3 ]] && wanted+=(python3-pip)
fi

# What of that is not installed: dpkg-query prints "ii" for installed packages
# and nothing (plus an error on stderr) for unknown ones.
declare -A have=()
while read -r pkg status; do
    [[ $status == ii ]] && have[$pkg]=1
done < <(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${wanted[@]}" 2>/dev/null || true)
missing=()
for pkg in "${wanted[@]}"; do
    [[ -n ${have[$pkg]:-} ]] || missing+=("$pkg")
done

if ((${#missing[@]})); then
    t0=$(now_ms)
    say "deps: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get update -qq
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}"
    say "deps: Debian packages installed in $(since "$t0")"
    did=1
fi

need_cmd python3 "install python3"
if ! python3 -m pip --version >/dev/null 2>&1; then
    say "deps: bootstrapping pip for $(command -v python3)"
    python3 -m ensurepip --upgrade >/dev/null
fi

if ! python3 -c "$PY_IMPORT" >/dev/null 2>&1; then
    t0=$(now_ms)
    say "deps: installing Python packages for $(command -v python3): ${PY_MODULES[*]}"
    pip_flags=(--quiet --disable-pip-version-check)
    # Debian's own python3 is "externally managed" (PEP 668): pip refuses
    # without this flag. A CI machine's throwaway system is fine with it.
    if python3 - <<'EOF'; then
import os, sys, sysconfig
sys.exit(0 if os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")) else 1)
EOF
        pip_flags+=(--break-system-packages)
    fi
    # Not root, not in a virtualenv, site-packages not ours: per-user install.
    if ((EUID != 0)) && python3 - <<'EOF'; then
import os, sys, sysconfig
sys.exit(0 if sys.prefix == sys.base_prefix and not os.access(sysconfig.get_path("purelib"), os.W_OK) else 1)
EOF
        pip_flags+=(--user)
    fi
    python3 -m pip install "${pip_flags[@]}" "${PY_MODULES[@]}"
    python3 -c "$PY_IMPORT" || die "installed ${PY_MODULES[*]} but python3 cannot import them"
    say "deps: Python packages installed in $(since "$t0")"
    did=1
fi

if ((did == 0)); then
    say "deps: all present"
fi
