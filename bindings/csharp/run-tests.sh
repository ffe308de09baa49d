#!/usr/bin/env bash
# Tests of the C# wrapper (Jdy.Member) on Mono with NUnit 2.6, against the sandbox gateway.
#
# Installs what is missing (Debian 12: mono-runtime, mono-mcs, nunit-console, the NUnit
# framework, System.Runtime.Serialization for the wrapper, System.Web.Extensions for the tests),
# builds the native library and the jdy-member CLI (package jdy-member-cli) with cargo, compiles
# the wrapper and the tests with mcs, starts `jdy-member sandbox --port 0` without its rate
# limits (a test of a limit sets it itself), runs nunit-console, and stops the sandbox.
# Exits non-zero on any failure. Outputs go to bindings/csharp/build/ (TestResult.xml there).
#
# The native library is placed only under build/runtimes/<rid>/native/ and LD_LIBRARY_PATH is
# not set: the tests load it through the wrapper's own preload, as a deployed till would.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$here/build"
started=$SECONDS

step() { printf '\n==> %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }

# apt's output goes to a log that is shown only when it fails.
apt_updated=""
apt_install() {
    local log
    log="$(mktemp)"
    if { [ -n "$apt_updated" ] || apt-get -o DPkg::Lock::Timeout=600 update -qq; } >"$log" 2>&1 &&
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
            --no-install-recommends "$@" >>"$log" 2>&1; then
        apt_updated=1
        rm -f "$log"
    else
        cat "$log" >&2
        rm -f "$log"
        echo "apt-get could not install: $*" >&2
        exit 1
    fi
}

find_nunit_framework() {
    local candidate
    for candidate in /usr/lib/cli/nunit.framework-2.6*/nunit.framework.dll \
                     /usr/lib/mono/gac/nunit.framework/2.6*/nunit.framework.dll; do
        if [ -f "$candidate" ]; then
            printf '%s\n' "$candidate"
            return 0
        fi
    done
    return 1
}

# A framework assembly of Mono's 4.5 profile (installed by its own Debian package).
have_assembly() { [ -f "/usr/lib/mono/4.5/$1.dll" ]; }

step "tools (mono, mcs, nunit-console)"
missing=()
have mono || missing+=(mono-runtime)
have mcs || missing+=(mono-mcs)
have nunit-console || missing+=(nunit-console)
find_nunit_framework >/dev/null || missing+=(libnunit-framework2.6.3-cil)
have_assembly System.Runtime.Serialization || missing+=(libmono-system-runtime-serialization4.0-cil)
have_assembly System.Web.Extensions || missing+=(libmono-system-web-extensions4.0-cil)
if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing: ${missing[*]}"
    apt_install "${missing[@]}"
fi
nunit_framework="$(find_nunit_framework)" || { echo "nunit.framework.dll (NUnit 2.6) not found after installing" >&2; exit 1; }
for assembly in System.Runtime.Serialization System.Web.Extensions; do
    have_assembly "$assembly" || { echo "$assembly.dll (Mono 4.5 profile) not found after installing" >&2; exit 1; }
done
mono --version | head -n 1
mcs --version

step "native library and sandbox CLI (cargo)"
cd "$root"
cargo build --release --lib
cargo build -p jdy-member-cli --bin jdy-member
target_dir="${CARGO_TARGET_DIR:-$root/target}"
case "$target_dir" in /*) ;; *) target_dir="$root/$target_dir" ;; esac
native="$target_dir/release/libjdy_member.so"
cli="$target_dir/debug/jdy-member"
[ -f "$native" ] || { echo "missing $native" >&2; exit 1; }
[ -x "$cli" ] || { echo "missing $cli" >&2; exit 1; }

case "$(uname -m)" in
    x86_64 | amd64) rid=linux-x64 ;;
    aarch64 | arm64) rid=linux-arm64 ;;
    i?86) rid=linux-x86 ;;
    armv7* | armhf) rid=linux-arm ;;
    *) echo "unknown machine $(uname -m)" >&2; exit 1 ;;
esac

step "compile the wrapper and the tests (mcs, C# 7)"
rm -rf "$build"
mkdir -p "$build/probe" "$build/runtimes/$rid/native"
cp "$native" "$build/runtimes/$rid/native/libjdy_member.so"
# Warnings are errors for the wrapper itself.
mcs -nologo -langversion:7 -target:library -debug -warn:4 -warnaserror+ -r:System.Runtime.Serialization.dll \
    -out:"$build/Jdy.Member.dll" -doc:"$build/Jdy.Member.xml" "$here"/src/*.cs
test_sources=()
for f in "$here"/tests/*.cs; do
    [ "$(basename "$f")" = LoaderProbe.cs ] || test_sources+=("$f")
done
cp "$nunit_framework" "$build/"
mcs -nologo -langversion:7 -target:library -debug \
    -r:"$build/Jdy.Member.dll" -r:"$build/nunit.framework.dll" -r:System.dll -r:System.Web.Extensions.dll \
    -out:"$build/Jdy.Member.Tests.dll" "${test_sources[@]}"
mcs -nologo -langversion:7 -target:exe -debug -r:"$build/Jdy.Member.dll" \
    -out:"$build/probe/LoaderProbe.exe" "$here/tests/LoaderProbe.cs"
cp "$build/Jdy.Member.dll" "$build/probe/"
mcs -nologo -langversion:7 -target:exe -debug -r:"$build/Jdy.Member.dll" \
    -out:"$build/SaveMemberExample.exe" "$here/examples/SaveMemberExample.cs"

step "sandbox gateway"
sandbox_pid=""
stop_sandbox() {
    if [ -n "$sandbox_pid" ] && kill -0 "$sandbox_pid" 2>/dev/null; then
        kill "$sandbox_pid" 2>/dev/null || true
        wait "$sandbox_pid" 2>/dev/null || true
    fi
    sandbox_pid=""
}
trap stop_sandbox EXIT
trap 'stop_sandbox; exit 130' INT TERM
# No rate limits: ordinary tests are not slowed; a test of a limit sets it itself.
"$cli" sandbox --port 0 --behaviour '{"account_budget":null,"token_limit":null}' >"$build/sandbox.json" 2>"$build/sandbox.log" &
sandbox_pid=$!
for _ in $(seq 1 100); do
    if grep -q '"base_url"' "$build/sandbox.json" 2>/dev/null && [ "$(wc -l <"$build/sandbox.json")" -ge 1 ]; then
        break
    fi
    kill -0 "$sandbox_pid" 2>/dev/null || { echo "the sandbox exited:" >&2; cat "$build/sandbox.log" >&2; exit 1; }
    sleep 0.1
done
grep -q '"base_url"' "$build/sandbox.json" || { echo "the sandbox printed no configuration in 10 s" >&2; exit 1; }
head -n 1 "$build/sandbox.json" | grep -o '^{"base_url":"[^"]*"' | cut -c2-

step "NUnit (nunit-console on Mono)"
cd "$build"
status=0
env -u JDY_MEMBER_LIB -u LD_LIBRARY_PATH \
    JDY_SANDBOX_FILE="$build/sandbox.json" \
    JDY_TEST_NATIVE_LIB="$native" \
    JDY_TEST_PROBE_EXE="$build/probe/LoaderProbe.exe" \
    JDY_TEST_EXAMPLE_EXE="$build/SaveMemberExample.exe" \
    timeout 1200 nunit-console -nologo -noshadow -labels \
        -xml="$build/TestResult.xml" "$build/Jdy.Member.Tests.dll" >"$build/nunit.log" 2>&1 || status=$?
stop_sandbox

# NUnit's own summary, failures and errors (the per-test labels stay in build/nunit.log).
grep -v '^\*\*\*\*\* ' "$build/nunit.log" | sed -n '/^Tests run:/,$p'
if [ ! -f "$build/TestResult.xml" ]; then
    cat "$build/nunit.log"
    echo "nunit-console wrote no TestResult.xml (exit $status)" >&2
    exit 1
fi
attr() { sed -n "s/.*<test-results[^>]* $1=\"\([0-9]*\)\".*/\1/p" "$build/TestResult.xml" | head -n 1; }
total=$(attr total); errors=$(attr errors); failures=$(attr failures); inconclusive=$(attr inconclusive)
failed=$((errors + failures))
passed=$((total - failed - inconclusive))
echo
echo "C# wrapper tests took $((SECONDS - started)) s in all"
echo "csharp: $passed passed, $failed failed"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$total" -eq 0 ]; then
    [ "$total" -eq 0 ] && echo "no test ran" >&2
    exit 1
fi
