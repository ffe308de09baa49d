#!/usr/bin/env bash
# Tests of the Delphi / Free Pascal unit (bindings/pascal/jdy_member.pas) with Free Pascal on
# Linux, against the sandbox gateway over HTTP on loopback.
#
# Installs Free Pascal (Debian: fp-compiler and fp-units-rtl, 3.2.2), locales (the zh_CN
# source and GBK charmap localedef needs) and valgrind when missing, builds the library and
# the jdy-member CLI with cargo, compiles the unit, the example and the tests with
# `fpc -Mdelphi` in three string configurations, starts `jdy-member sandbox`, and runs:
#   ansi     -Mdelphi: string = AnsiString, FPC's code-page conversions (Lazarus' setting),
#            under a UTF-8 locale and under a GBK locale (code page 936, as a Chinese Windows)
#   delphi7  -Mdelphi -dJDY_FORCE_VIA_WIDE: the unit's Delphi 7 conversion code (ANSI ->
#            WideString -> UTF-8 and back, no implicit conversion), under GBK and UTF-8
#   unicode  -Mdelphiunicode: string = UnicodeString, as Delphi 2009 and later
# The GBK locale is compiled into build/locale with localedef; nothing system-wide changes.
# Outputs go to bindings/pascal/build/. The last line is `pascal: N passed, M failed`; the
# script exits non-zero on any failure and stops the sandbox in every case. One more run of
# the tests under valgrind fails on any "definitely lost" block (an envelope or client not freed).
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
. "$root/scripts/lib/common.sh"
build="$here/build"
started=$SECONDS

passed=0
failed=0

pass() {
    passed=$((passed + 1))
    printf 'ok - %s\n' "$*"
}
fail() {
    failed=$((failed + 1))
    printf 'not ok - %s\n' "$*"
}
check() { # check NAME COMMAND...: passes when the command succeeds
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name"; fi
}

finish() {
    local status=$?
    sandbox_stop
    if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
        fail "the script stopped early (exit $status; see the messages above)"
    fi
    printf '\n(%d s)\npascal: %d passed, %d failed\n' "$((SECONDS - started))" "$passed" "$failed"
    if [ "$failed" -ne 0 ]; then exit 1; fi
    exit 0
}
trap finish EXIT
trap 'exit 130' INT TERM

step "tools (Free Pascal, a GBK locale)"
# locales: the zh_CN source and the GBK charmap for localedef (libc-bin: localedef, iconv).
apt_install fp-compiler fp-units-rtl libc-bin locales valgrind ||
    die "apt-get could not install Free Pascal, locales or valgrind (install Free Pascal 3.x by hand, then run this again)"
fpc -iV >/dev/null 2>&1 || die "fpc does not run"
echo "Free Pascal $(fpc -iV) for $(fpc -iTP)-$(fpc -iTO)"
rm -rf "$build"
mkdir -p "$build/locale"
gbk_locale=""
if localedef -i zh_CN -f GBK "$build/locale/zh_CN.GBK" >"$build/localedef.log" 2>&1 ||
    [ -f "$build/locale/zh_CN.GBK/LC_CTYPE" ]; then
    gbk_locale=zh_CN.GBK
    echo "GBK locale: $build/locale/zh_CN.GBK"
else
    cat "$build/localedef.log"
    fail "a GBK locale could be compiled with localedef (the GBK runs cannot happen)"
fi

step "native library and sandbox CLI (cargo)"
cd "$root" || die "no $root"
cargo build --release --lib || die "cargo build --release --lib failed"
cargo build -p jdy-member-cli || die "cargo build -p jdy-member-cli failed"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
case "$target_dir" in /*) ;; *) target_dir="$root/$target_dir" ;; esac
native_dir="$target_dir/release"
cli="$target_dir/debug/jdy-member"
[ -f "$native_dir/libjdy_member.so" ] || die "missing $native_dir/libjdy_member.so"
[ -x "$cli" ] || die "missing $cli"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)
[ -n "$version" ] || die "no version in $root/Cargo.toml"

step "compile (fpc -Mdelphi: the unit alone, the example, the tests)"
# fpc_build NAME OUTDIR SOURCE OPTIONS...: compiles SOURCE into OUTDIR/NAME, warnings shown.
fpc_build() {
    local name=$1 out=$2 source=$3 log
    shift 3
    mkdir -p "$out"
    log="$out/$name.log"
    if fpc "$@" -vewn -FU"$out" -Fu"$here" -Fl"$native_dir" -o"$out/$name" "$source" >"$log" 2>&1; then
        grep -E '(Warning|Note):' "$log" || true
        return 0
    fi
    grep -E '(Error|Fatal|Warning|Note):' "$log" >&2 || cat "$log" >&2
    return 1
}
# The unit alone, warnings counted: it must compile clean in every configuration.
unit_clean() { # unit_clean OUTDIR OPTIONS...
    local out=$1 log
    shift
    mkdir -p "$out"
    log="$out/unit.log"
    fpc "$@" -vewnh -FU"$out" "$here/jdy_member.pas" >"$log" 2>&1 || {
        grep -E '(Error|Fatal):' "$log" >&2 || cat "$log" >&2
        return 1
    }
    if grep -E '(Warning|Note|Hint):' "$log" | grep -v 'config file'; then return 1; fi
    return 0
}
declare -A mode_options=(
    [ansi]="-Mdelphi"
    [delphi7]="-Mdelphi -dJDY_FORCE_VIA_WIDE"
    [unicode]="-Mdelphiunicode"
)
for config in ansi delphi7 unicode; do
    read -r -a options <<<"${mode_options[$config]}"
    check "$config (${mode_options[$config]}): jdy_member.pas compiles without warnings, notes or hints" \
        unit_clean "$build/unit-$config" "${options[@]}"
    check "$config: examples/save_member.dpr compiles" \
        fpc_build save_member "$build/$config" "$here/examples/save_member.dpr" "${options[@]}"
    check "$config: tests/test_jdy_member.dpr compiles" \
        fpc_build test_jdy_member "$build/$config" "$here/tests/test_jdy_member.dpr" "${options[@]}"
done
check "-Mobjfpc and -dJDY_NO_FPU_MASK: jdy_member.pas compiles without warnings" \
    unit_clean "$build/unit-objfpc" -Mobjfpc -dJDY_NO_FPU_MASK
# The library name override: only the renamed file is on the link path.
mkdir -p "$build/renamed"
cp "$native_dir/libjdy_member.so" "$build/renamed/libjdy_member_renamed.so"
printf "  JdyMemberLibrary = 'libjdy_member_renamed.so';\n" >"$build/renamed/jdy_member_libname.inc"
renamed_links() {
    mkdir -p "$build/renamed/out"
    fpc -Mdelphi -dJDY_MEMBER_LIBNAME_INC -Fi"$build/renamed" -Fu"$here" -FU"$build/renamed/out" \
        -Fl"$build/renamed" -o"$build/renamed/out/save_member" "$here/examples/save_member.dpr" \
        >"$build/renamed/fpc.log" 2>&1 || { cat "$build/renamed/fpc.log" >&2; return 1; }
}
check "-dJDY_MEMBER_LIBNAME_INC links against the library named in jdy_member_libname.inc" renamed_links

step "sandbox gateway"
mkdir -p "$build/run"
# The configuration with no token file and no request pacing (fake credentials; not printed).
sandbox_start "$cli" "$build/run" "$build/run/config.json"
base_url=$BASE_URL
echo "sandbox at $base_url (configuration in build/run/config.json)"

step "example: save_member against the sandbox"
# check_example NAME OUTPUT_FILE (UTF-8): what the README says the example prints.
check_example() {
    local name=$1 out=$2
    check "$name: prints the saved member 会员A with its mobile decrypted" \
        grep -q '^saved: {.*"mobile":"13333333333".*"name":"会员A"' "$out"
    check "$name: reads it back with GetMember" \
        grep -q '^read back: {.*"name":"会员A"' "$out"
    check "$name: prints the refusal of the duplicate (kind api, errcode 1000000004)" \
        grep -qx 'refused: kind api, errcode 1000000004' "$out"
    check "$name: prints Kingdee's Chinese description intact" \
        grep -qx '  description: 组合值与其他表单重复：手机号 13333333333 已存在' "$out"
}
run_example() { # run_example CONFIG LOCALE OUTPUT
    sandbox_reset
    LD_LIBRARY_PATH="$native_dir" LOCPATH="$build/locale" LC_ALL="$2" \
        timeout 120 "$build/$1/save_member" "$build/run/config.json" >"$3" 2>&1
}
is_gbk_output() {
    LC_ALL=C grep -q $'\xbb\xe1\xd4\xb1A' "$1" && ! LC_ALL=C grep -q $'\xe4\xbc\x9a' "$1"
}
for config in ansi unicode; do
    out="$build/run/example-$config.txt"
    if run_example "$config" C.UTF-8 "$out"; then pass "$config: the example exits 0"; else fail "$config: the example exits 0"; fi
    sed 's/^/    /' "$out"
    check_example "$config" "$out"
done
if [ -n "$gbk_locale" ]; then
    for config in ansi delphi7; do
        out="$build/run/example-$config-gbk.txt"
        if run_example "$config" "$gbk_locale" "$out"; then
            pass "$config under GBK: the example exits 0"
        else
            fail "$config under GBK: the example exits 0"
        fi
        check "$config under GBK: the output is GBK (会员A as BB E1 D4 B1 41), not UTF-8" \
            is_gbk_output "$out"
        iconv -f GBK -t UTF-8 "$out" >"$out.utf8" || fail "$config under GBK: the output converts from GBK"
        sed 's/^/    (from GBK) /' "$out.utf8"
        check_example "$config under GBK" "$out.utf8"
    done
fi

step "tests: test_jdy_member against the sandbox"
# run_tests CONFIG LOCALE: runs the test program, counting its ok / not ok lines.
run_tests() {
    local config=$1 locale=$2 out status ok notok
    out="$build/run/tests-$config-$locale.txt"
    status=0
    LD_LIBRARY_PATH="$native_dir" LOCPATH="$build/locale" LC_ALL="$locale" \
        timeout 600 "$build/$config/test_jdy_member" "$build/run/config.json" "$base_url" "$version" \
        >"$out" 2>&1 || status=$?
    grep -v '^ok - ' "$out" | sed 's/^/    /'
    ok=$(grep -c '^ok - ' "$out")
    notok=$(grep -c '^not ok - ' "$out")
    passed=$((passed + ok))
    failed=$((failed + notok))
    echo "    $config under $locale: $ok passed, $notok failed (exit $status)"
    if [ "$status" -ne 0 ] && [ "$notok" -eq 0 ]; then
        fail "$config under $locale: test_jdy_member exited $status without a failed check"
    fi
    if ! grep -q '^test_jdy_member: [0-9]* passed' "$out"; then
        fail "$config under $locale: test_jdy_member ran to its summary line"
    fi
    if [ "$ok" -lt 170 ]; then
        fail "$config under $locale: at least 170 checks ran (only $ok passed)"
    fi
}
run_tests ansi C.UTF-8
run_tests unicode C.UTF-8
if [ -n "$gbk_locale" ]; then
    run_tests ansi "$gbk_locale"
    run_tests delphi7 "$gbk_locale"
    run_tests delphi7 C.UTF-8
fi

step "tests under valgrind: every envelope and client freed, also when EJdyError is raised"
# A returned string the unit did not free is unreachable once copied: "definitely lost".
vg_out="$build/run/tests-valgrind.txt"
vg_status=0
LD_LIBRARY_PATH="$native_dir" LC_ALL=C.UTF-8 JDY_TEST_UNDER_VALGRIND=1 timeout 900 \
    valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=9 \
    --log-file="$build/run/valgrind.log" \
    "$build/ansi/test_jdy_member" "$build/run/config.json" "$base_url" "$version" \
    >"$vg_out" 2>&1 || vg_status=$?
tail -n 1 "$vg_out" | sed 's/^/    /'
check "under valgrind the tests pass (exit $vg_status)" test "$vg_status" -eq 0
no_definite_leak() { ! grep -q 'definitely lost' "$build/run/valgrind.log"; }
check "valgrind finds no definitely lost block (no envelope, no client leaked)" no_definite_leak
grep -B1 -A12 'definitely lost' "$build/run/valgrind.log" | head -n 40 | sed 's/^/    /'

# The last run left its members in the store: every one exactly once (saves_by_mobile).
stats=$(sandbox_control GET /__sandbox/stats) || die "GET /__sandbox/stats failed"
check "the sandbox's stats: 13333333333 saved exactly once in the last run" \
    grep -q '"13333333333":1[,}]' <<<"$stats"
none_twice() { ! grep -o '"saves_by_mobile":{[^}]*}' <<<"$stats" | grep -Eq ':([2-9]|[1-9][0-9]+)[,}]'; }
check "the sandbox's stats: no mobile saved twice" none_twice
sandbox_stop
