#!/usr/bin/env bash
# The departments' signing keys (Ed25519, openssl): docs/security.md, "Signed lists".
#
# usage: scripts/keys.sh make [--config FILE] [--dir DIR] [DEPARTMENT...]
#        scripts/keys.sh rotate DEPARTMENT [--dir DIR]
#        scripts/keys.sh env [--export]
#
#   make    a key pair for every department of the configuration (default
#           config/riskhub.yaml) or for the ones named, unless it has one:
#           DIR/<code>.key, the private key (PEM, 0600: it stays on the
#           department's machine) and DIR/<code>.pub, its public key (base64
#           of the 32 raw bytes), which every program that reads manifests
#           needs (signing.keys_dir, or RH_KEYS_DIR)
#   rotate  a new key for DEPARTMENT: its public key is added to <code>.pub
#           (the old one stays there, so that the lists it signed still
#           verify), the old private key is kept as <code>.key.<date>
#   env     RH_KEYS_DIR=DIR, for eval "$(scripts/keys.sh env --export)"
#
# DIR: --dir, else RH_KEYS_DIR, else $RH_STATE_DIR/keys (the local services'
# state, as scripts/services.sh uses; the folder is 0700).
set -euo pipefail

RH_PROG=keys.sh
# shellcheck source=scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
    sed -n '3,5p' "$0" | sed 's/^# //' >&2
    exit 2
}

cmd=${1:-}
[[ -n $cmd ]] || usage
shift
config=$RH_REPO_ROOT/config/riskhub.yaml
dir=${RH_KEYS_DIR:-$RH_STATE_DIR/keys}
export_prefix=
names=()
while (($#)); do
    case $1 in
        --config) config=$2; shift 2 ;;
        --dir) dir=$2; shift 2 ;;
        --export) export_prefix='export '; shift ;;
        -*) usage ;;
        *) names+=("$1"); shift ;;
    esac
done
case $dir in /*) ;; *) dir=$PWD/$dir ;; esac

# A new key pair: $1.key (0600) and the base64 of its raw public key on stdout.
new_key() {
    (umask 077 && openssl genpkey -algorithm ed25519 -out "$1.key.tmp" 2>/dev/null) ||
        die "openssl genpkey failed for $1"
    openssl pkey -in "$1.key.tmp" -pubout -outform DER 2>/dev/null | tail -c 32 | base64
}

departments() {
    python3 - "$config" <<'EOF'
import sys, yaml
with open(sys.argv[1], encoding="utf-8") as f:
    for d in yaml.safe_load(f)["departments"]:
        print(d["code"])
EOF
}

case $cmd in
    make)
        ((${#names[@]})) || mapfile -t names < <(departments)
        mkdir -p "$dir"
        chmod 700 "$dir"
        made=0
        for d in "${names[@]}"; do
            [[ $d =~ ^[a-z][a-z0-9-]*$ ]] || die "'$d' is not a department code"
            [[ -f $dir/$d.key ]] && continue
            pub=$(new_key "$dir/$d")
            printf '# %s, made %s\n%s\n' "$d" "$(date -u +%FT%TZ)" "$pub" >"$dir/$d.pub.tmp"
            mv "$dir/$d.key.tmp" "$dir/$d.key"
            mv "$dir/$d.pub.tmp" "$dir/$d.pub"
            made=$((made + 1))
        done
        say "keys: $made new key pair(s) in $dir (${#names[@]} department(s))"
        ;;
    rotate)
        ((${#names[@]} == 1)) || usage
        d=${names[0]}
        [[ -f $dir/$d.key ]] || die "$dir/$d.key: no key to rotate (scripts/keys.sh make $d)"
        pub=$(new_key "$dir/$d")
        stamp=$(date -u +%Y%m%dT%H%M%SZ)
        printf '# %s, made %s (rotation)\n%s\n' "$d" "$(date -u +%FT%TZ)" "$pub" >>"$dir/$d.pub"
        mv "$dir/$d.key" "$dir/$d.key.$stamp"
        mv "$dir/$d.key.tmp" "$dir/$d.key"
        say "keys: $d has a new key; the old one is $dir/$d.key.$stamp (remove it once no list is published with it)"
        ;;
    env)
        say "${export_prefix}RH_KEYS_DIR='$dir'"
        ;;
    *) usage ;;
esac
