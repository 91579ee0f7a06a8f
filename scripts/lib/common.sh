# shellcheck shell=bash
# Shared helpers for scripts/*.sh. Sourced, never run.
#
# Sets RH_REPO_ROOT and RH_STATE_DIR (default $RH_REPO_ROOT/.local, git-ignored;
# override with the environment variable RH_STATE_DIR).

RH_REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
RH_STATE_DIR=${RH_STATE_DIR:-$RH_REPO_ROOT/.local}
case $RH_STATE_DIR in
    /*) ;;
    *) RH_STATE_DIR=$PWD/$RH_STATE_DIR ;;
esac
RH_PROG=${RH_PROG:-$(basename "$0")}

say() { printf '%s\n' "$*"; }
warn() { printf '%s: %s\n' "$RH_PROG" "$*" >&2; }
die() {
    printf '%s: error: %s\n' "$RH_PROG" "$*" >&2
    exit 1
}

# Milliseconds since the epoch, and a human "1.234s" since a given start.
now_ms() { date +%s%3N; }
since() {
    local ms=$(($(now_ms) - $1))
    printf '%d.%03ds' $((ms / 1000)) $((ms % 1000))
}

# need_port NAME VALUE: VALUE must be a TCP port number.
need_port() {
    if ! [[ $2 =~ ^[0-9]+$ ]] || (($2 < 1 || $2 > 65535)); then
        die "$1=$2 is not a port number"
    fi
}

# need_cmd CMD HINT: die with HINT unless CMD is on PATH.
need_cmd() {
    command -v "$1" >/dev/null 2>&1 || die "'$1' not found; $2"
}

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
    # shellcheck disable=SC2016 # $1 belongs to the inner shell
    timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null
}

# pid_alive PID: the process exists (and is not a zombie).
pid_alive() {
    [[ -n ${1:-} && -d /proc/$1 ]] || return 1
    local state
    state=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 1
    [[ -n $state && $state != Z ]]
}

# pid_cmdline_has PID STRING: the process's command line contains STRING.
pid_cmdline_has() {
    local cmdline
    cmdline=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 1
    [[ $cmdline == *"$2"* ]]
}
