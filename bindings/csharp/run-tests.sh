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
. "$root/scripts/lib/common.sh"
build="$here/build"
started=$SECONDS

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
apt_install mono-runtime mono-mcs nunit-console libnunit-framework2.6.3-cil \
    libmono-system-runtime-serialization4.0-cil libmono-system-web-extensions4.0-cil
nunit_framework="$(find_nunit_framework)" || die "nunit.framework.dll (NUnit 2.6) not found after installing"
for assembly in System.Runtime.Serialization System.Web.Extensions; do
    have_assembly "$assembly" || die "$assembly.dll (Mono 4.5 profile) not found after installing"
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
[ -f "$native" ] || die "missing $native"
[ -x "$cli" ] || die "missing $cli"

case "$(uname -m)" in
    x86_64 | amd64) rid=linux-x64 ;;
    aarch64 | arm64) rid=linux-arm64 ;;
    i?86) rid=linux-x86 ;;
    armv7* | armhf) rid=linux-arm ;;
    *) die "unknown machine $(uname -m)" ;;
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
trap sandbox_stop EXIT
trap 'sandbox_stop; exit 130' INT TERM
# No rate limits: ordinary tests are not slowed; a test of a limit sets it itself. The tests
# read the sandbox's line from build/sandbox.json.
sandbox_start "$cli" "$build" "$build/config.json"
echo "sandbox at $BASE_URL"

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
sandbox_stop

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
