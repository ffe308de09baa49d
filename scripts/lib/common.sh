# shellcheck shell=bash
# What the scripts share (Debian 12): sourced by scripts/test-all, dist, test-native,
# test-dist, bench and bindings/*/run-tests.sh, each from the repository's root or with its
# path. Works with `set -e` and without it (bindings/pascal/run-tests.sh counts failures).
#
# Every script installs what it uses itself, through these, and relies on no earlier stage or
# session: apt_install is a no-op for packages dpkg already has, and runs apt-get update once.
#
#   step WHAT               "==> WHAT"; step_times collects each step's wall time (test-all)
#   stage WHAT, end_stage   a framed header, then "--> WHAT: ok (Ns)" and a line in summary;
#   skip_stage WHAT WHY     stages_passed and stages_skipped count them (STAGE_WIDTH: 52)
#   note, die, have         die runs on_die (when a script defines it) before exiting
#   apt_install PKG...      SUDO when not root
#   ensure_localhost        the name localhost resolves (Chromium's driver needs it)
#   rust_target, rust_component
#   python_venv DIR PYTHON  a venv (python3-venv installed when missing)
#   list_pythons, pytest_pin    the interpreters the Python tests run on; pytest's pin for each
#   header_functions        the functions include/jdy_member.h declares, sorted
#   sandbox_start, sandbox_control, sandbox_reset, sandbox_stop   `jdy-member sandbox`

# --- messages and timing ------------------------------------------------------------------------

step_name=""
step_began=$SECONDS
step_times=()
steps=0
step() {
    step_done
    steps=$((steps + 1))
    step_name=$*
    printf '\n==> %s\n' "$*"
}
step_done() {
    [ -z "$step_name" ] || step_times+=("$(printf '%5ss  %s' $((SECONDS - step_began)) "$step_name")")
    step_began=$SECONDS
}

script_start=$(date +%s)
stage_start=$script_start
stage_name=""
summary=()
stages_passed=0
stages_skipped=0
STAGE_WIDTH=52
stage() {
    end_stage
    stage_name=$1
    stage_start=$(date +%s)
    printf '\n==================================================================\n'
    printf '==> %s\n' "$stage_name"
    printf '==================================================================\n'
}
end_stage() {
    if [ -n "$stage_name" ]; then
        local took=$(($(date +%s) - stage_start))
        printf -- '--> %s: ok (%ss)\n' "$stage_name" "$took"
        summary+=("$(printf "%-${STAGE_WIDTH}s ok %5ss" "$stage_name" "$took")")
        stages_passed=$((stages_passed + 1))
        stage_name=""
    fi
}
skip_stage() { # WHAT WHY
    end_stage
    printf '\n==> %s: SKIPPED (%s)\n' "$1" "$2"
    summary+=("$(printf "%-${STAGE_WIDTH}s SKIPPED (%s)" "$1" "$2")")
    stages_skipped=$((stages_skipped + 1))
}
# Seconds since the script started.
elapsed() { echo $(($(date +%s) - script_start)); }

note() { printf '    %s\n' "$*"; }
die() {
    printf '\nFAILED%s: %s\n' "${stage_name:+ in stage \"$stage_name\"}" "$*" >&2
    if declare -F on_die >/dev/null; then on_die >&2; fi
    exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }

# --- installing -----------------------------------------------------------------------------------

SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
apt_updated=""
# apt_install PKG...: installs those dpkg does not have (PKG may be arch-qualified: wine32:i386).
# apt's output goes to a log shown only when it fails; then this returns non-zero.
apt_install() {
    local missing=() p log
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    [ -z "$SUDO" ] || have sudo ||
        die "apt packages (${missing[*]}) need installing and this is not root (and there is no sudo)"
    note "installing: ${missing[*]}"
    log=$(mktemp)
    if { [ -n "$apt_updated" ] || $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq; } >"$log" 2>&1 &&
        apt_updated=1 &&
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
            --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
        rm -f "$log"
        return 0
    fi
    cat "$log" >&2
    rm -f "$log"
    printf 'apt-get could not install: %s\n' "${missing[*]}" >&2
    return 1
}

# ensure_localhost: chromedriver reaches the browser it starts at "localhost". Every installed
# Debian has it in /etc/hosts; a minimal root made by debootstrap has no /etc/hosts at all.
# Then the two loopback lines of a Debian install are added, and said so.
ensure_localhost() {
    getent hosts localhost >/dev/null && return 0
    [ -z "$SUDO" ] || have sudo ||
        die "the name localhost does not resolve and this is not root: add '127.0.0.1 localhost' to /etc/hosts"
    note "the name localhost does not resolve (no /etc/hosts entry): adding Debian's loopback lines to /etc/hosts"
    printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' | $SUDO tee -a /etc/hosts >/dev/null
    getent hosts localhost >/dev/null ||
        die "localhost still does not resolve after adding it to /etc/hosts (check /etc/nsswitch.conf)"
}

need_rust() { have cargo && have rustup || die "Rust (cargo and rustup) is needed: https://rustup.rs"; }
rust_target() {
    rustup target list --installed | grep -qx "$1" || rustup target add "$1"
}
# rust_component NAME: rustup lists some bare (rust-src), others with the host (clippy-x86_64-...).
rust_component() {
    local host
    host=$(rustc -vV | sed -n 's/^host: //p')
    rustup component list --installed | grep -Eqx "$1(-$host)?" || rustup component add "$1"
}

# --- Python ---------------------------------------------------------------------------------------

# python_venv DIR [PYTHON]: a fresh venv at DIR (Debian's python3 makes none without python3-venv).
python_venv() {
    local dir=$1 python=${2:-python3}
    "$python" -m venv "$dir" >/dev/null 2>&1 && return 0
    rm -rf "$dir"
    if [ "$(readlink -f "$(command -v "$python")")" = "$(readlink -f "$(command -v python3)")" ]; then
        apt_install python3-venv || return 1
    fi
    "$python" -m venv "$dir" || { echo "no venv from $python (Debian: apt-get install python3-venv)" >&2; return 1; }
}

# list_pythons: "major.minor.micro executable" for each usable interpreter (3.6 or newer), oldest
# first, one per executable: every ${PYENV_ROOT:-~/.pyenv}/versions/*/bin/python3 plus python3
# on PATH, or exactly those in $JDY_PYTHONS.
list_pythons() {
    local candidates=() found
    if [ -n "${JDY_PYTHONS:-}" ]; then
        read -r -a candidates <<<"$JDY_PYTHONS"
    else
        for found in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/*/bin/python3; do
            [ -x "$found" ] && candidates+=("$found")
        done
        if have python3; then candidates+=("$(command -v python3)"); fi
    fi
    for found in "${candidates[@]}"; do
        "$found" -c 'import os, sys
if sys.version_info >= (3, 6):
    print("%d.%d.%d" % sys.version_info[:3], os.path.realpath(sys.executable))' 2>/dev/null || true
    done | sort -u -k2,2 | sort -V -k1,1
}
pytest_pin() { # MAJOR.MINOR: the newest pytest that runs there
    case "$1" in
        3.6) echo "pytest==7.0.1" ;;
        3.7) echo "pytest==7.4.4" ;;
        3.8) echo "pytest==8.3.5" ;;
        *) echo "pytest==8.4.2" ;;
    esac
}

# --- the library's contract ------------------------------------------------------------------------

# The functions the header declares (declarations start at column 0; doc comments do not).
header_functions() {
    grep -oE '^[A-Za-z].*\bjdy_[a-z_]+\(' "${1:-include/jdy_member.h}" |
        grep -oE 'jdy_[a-z_]+\($' | tr -d '(' | sort -u
}

# --- the sandbox gateway (python3 for its controls: curl may be missing) -------------------------

sandbox_pid=""
BASE_URL=""
# sandbox_start CLI DIR CONFIG: `CLI sandbox` on a free loopback port without its rate limits
# (a test of a limit sets it itself); its line goes to DIR/sandbox.json, its stderr to
# DIR/sandbox.log, and CONFIG gets its client configuration with no token cache file and no
# request budget (each run fetches and counts its own token; nothing is paced), compact JSON as
# the sandbox prints it (the Pascal tests edit it as text). Sets BASE_URL.
sandbox_start() {
    local cli=$1 dir=$2 config=$3
    "$cli" sandbox --port 0 --behaviour '{"account_budget":null,"token_limit":null}' \
        >"$dir/sandbox.json" 2>"$dir/sandbox.log" &
    sandbox_pid=$!
    for _ in $(seq 1 100); do
        sandbox_printed "$dir/sandbox.json" && break
        kill -0 "$sandbox_pid" 2>/dev/null || die "the sandbox exited: $(cat "$dir/sandbox.log")"
        sleep 0.1
    done
    sandbox_printed "$dir/sandbox.json" || die "the sandbox printed nothing in 10 s"
    BASE_URL=$(python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["base_url"])' \
        <"$dir/sandbox.json") || die "the sandbox's line has no base_url: $(head -c 300 "$dir/sandbox.json")"
    python3 -c 'import json,sys
c = json.loads(sys.stdin.readline())["config"]; c.update(token_cache_path=None, request_budget=None)
print(json.dumps(c, separators=(",", ":"), ensure_ascii=False))' <"$dir/sandbox.json" >"$config" ||
        die "the sandbox's line has no config object"
}
sandbox_printed() { grep -q '"base_url"' "$1" 2>/dev/null && [ "$(wc -l <"$1")" -ge 1 ]; }
sandbox_control() { # METHOD PATH: prints the JSON answer
    python3 - "$BASE_URL" "$1" "$2" <<'EOF'
import sys, urllib.request
base, method, path = sys.argv[1:]
request = urllib.request.Request(base + path, method=method, data=b"" if method == "POST" else None)
with urllib.request.urlopen(request, timeout=10) as answer:
    sys.stdout.write(answer.read().decode("utf-8"))
EOF
}
sandbox_reset() { sandbox_control POST /__sandbox/reset >/dev/null || die "POST /__sandbox/reset failed"; }
sandbox_stop() {
    if [ -n "$sandbox_pid" ]; then
        kill "$sandbox_pid" 2>/dev/null || true
        wait "$sandbox_pid" 2>/dev/null || true
    fi
    sandbox_pid=""
}
