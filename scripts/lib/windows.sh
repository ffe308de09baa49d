# shellcheck shell=bash
# The Windows side the scripts share: the one check of a Windows DLL or of jdy-member.exe
# (scripts/dist on every build, scripts/test-native and test-exe on the builds they test,
# scripts/test-dist on those in the packages) and Wine. Sourced after scripts/lib/common.sh
# (note, die, apt_install, header_functions).
#
#   check_windows_binary PLATFORM FILE [IMPORT_LIBRARY]   a DLL exports exactly the functions
#       of both headers (jdy_member.h: cdecl; jdy_member_stdcall.h: stdcall), every one
#       undecorated, a program (.exe) nothing; either imports nothing Windows 7 lacks; the
#       import library names them plainly
#   windows_program_imports PLATFORM EXE       the DLLs a program imports, each on Windows 7
#   windows_import_table PLATFORM FILE TABLE DUMP   "DLL function" per line of FILE's imports
#   windows7_refusals TABLE [ALSO_ALLOWED]     what in TABLE Windows 7 lacks, one per line
#   find_wine64, find_wine32, wine_setup, wine_setup_32, wine_stop

# --- Windows 7: what a DLL must not import --------------------------------------------------------
#
# DLLs that Windows 7 SP1 does not have, or that are not part of Windows at all. API sets
# (api-ms-win-*, ext-ms-win-*) are resolved by the loader only from Windows 8 on (a few exist
# on 7 as real files, but Rust's std imports WaitOnAddress through one of the 8+ ones).
FORBIDDEN_DLLS='^(api-ms-win-.*|ext-ms-win-.*|bcryptprimitives|ucrtbase|vcruntime.*|msvcp.*|msvcr1[0-9]+|concrt.*|combase|wintypes|mincore.*|kernel\.appcore|windows\.storage|icu|icuuc|icuin|synchronization|lib.*)\.dll$'
# Functions that Windows 7 lacks (first Windows version in brackets). The first group is what
# Rust's std uses on the default windows-gnu targets (library/std/src/sys/pal/windows/c.rs and
# the rest of sys/): the win7 targets call these through GetProcAddress with a fallback, or
# not at all, so they must not be in the import table. The rest are other Windows 8+ APIs a
# dependency might pull in.
FORBIDDEN_FUNCTIONS=(
    ProcessPrng                      # [10] bcryptprimitives: std's random numbers
    WaitOnAddress                    # [8]  std's futex (api-ms-win-core-synch-l1-2-0)
    WakeByAddressSingle              # [8]
    WakeByAddressAll                 # [8]
    GetSystemTimePreciseAsFileTime   # [8]  SystemTime::now
    SetThreadDescription             # [10 1607] thread names
    GetThreadDescription             # [10 1607]
    GetTempPath2W GetTempPath2A      # [11/10 21H2] env::temp_dir
    GetHostNameW                     # [8]  ws2_32: hostname
    GetSystemCpuSetInformation       # [10]
    GetProcessDefaultCpuSets SetProcessDefaultCpuSets SetThreadSelectedCpuSets # [10]
    CreateFile2                      # [8]
    GetOverlappedResultEx            # [8]
    GetCurrentThreadStackLimits      # [8]
    PrefetchVirtualMemory            # [8]
    DiscardVirtualMemory OfferVirtualMemory ReclaimVirtualMemory # [8.1]
    VirtualAlloc2 MapViewOfFile3 CreateFileMappingFromApp MapViewOfFileFromApp # [8/10]
    GetProcessMitigationPolicy SetProcessMitigationPolicy # [8]
    GetProcessInformation SetProcessInformation GetThreadInformation SetThreadInformation # [8]
    GetFirmwareType                  # [8]
    QueryInterruptTime QueryInterruptTimePrecise QueryUnbiasedInterruptTimePrecise # [10]
    InitializeSynchronizationBarrier EnterSynchronizationBarrier DeleteSynchronizationBarrier # [8]
    GetAddrInfoExCancel GetAddrInfoExOverlappedResult # [8]
    CompareObjectHandles             # [10]
    GetCurrentPackageId GetCurrentPackageFullName GetPackageFamilyName # [8]
    RoInitialize RoUninitialize WindowsCreateString # [8] WinRT (combase)
    RtlWaitOnAddress RtlWakeAddressSingle RtlWakeAddressAll # [8] ntdll
    SetDefaultDllDirectories AddDllDirectory RemoveDllDirectory # [8; on 7 only with KB2533623]
)
# DLLs known to be part of Windows 7 SP1. An import of anything else fails the check until
# someone has confirmed it exists there and added it.
WIN7_DLLS='advapi32|bcrypt|kernel32|msvcrt|ntdll|userenv|ws2_32|shell32|ole32|oleaut32|crypt32|secur32|user32|iphlpapi|dnsapi|ncrypt|shlwapi|rpcrt4|psapi|dbghelp|version|winhttp|wininet|mswsock|powrprof'
# Names that the win7 std looks up at run time with GetProcAddress (not imports; each has a
# fallback or is optional): reported, not refused.
RUNTIME_LOOKUPS='^(SetThreadDescription|GetThreadDescription|GetSystemTimePreciseAsFileTime|GetTempPath2W|WaitOnAddress|WakeByAddressSingle|NtCreateKeyedEvent|NtReleaseKeyedEvent|NtWaitForKeyedEvent|ProcessPrng|SystemFunction036)$'

# The MinGW tools for PLATFORM (win-x64, win-x86): mingw_tool PLATFORM objdump.
mingw_tool() {
    case $1 in win-x64) echo "x86_64-w64-mingw32-$2" ;; *) echo "i686-w64-mingw32-$2" ;; esac
}
windows_check_tools() {
    apt_install binutils binutils-mingw-w64-x86-64 binutils-mingw-w64-i686 ||
        die "the MinGW binutils (objdump, nm) could not be installed"
}

# windows_import_table PLATFORM FILE TABLE DUMP: FILE's import table, "DLL function" per
# line, into TABLE; objdump -p's whole report into DUMP.
windows_import_table() {
    local file=$2 table=$3 dump=$4
    "$(mingw_tool "$1" objdump)" -p "$file" >"$dump" || die "objdump could not read $file"
    awk '/DLL Name:/ {dll = $3; next}
         /^\t[0-9a-f]+[ \t]+[0-9]+[ \t]+[A-Za-z_]/ && dll != "" {print dll, $NF}
         /^$/ {if (dll != "") dll = ""}' "$dump" >"$table"
    [ -n "$(awk '/DLL Name:/' "$dump")" ] ||
        die "no import table found in $(basename "$file") (objdump output changed?)"
    [ -s "$table" ] || die "no imported function names read from $(basename "$file")"
}

# windows7_refusals TABLE [ALSO_ALLOWED]: one line per DLL or function of the import table
# that Windows 7 SP1 lacks (nothing when it is clean). ALSO_ALLOWED: more DLL names (a
# regex alternative without .dll, e.g. jdy_member for a program using the DLL).
windows7_refusals() {
    local table=$1 allowed="^(${WIN7_DLLS}${2:+|$2})\.dll\$" dllname fn
    for dllname in $(awk '{print $1}' "$table" | sort -fu); do
        echo "$dllname" | grep -Eiq "$FORBIDDEN_DLLS" && echo "$dllname (not on Windows 7 or not part of Windows)"
        echo "$dllname" | grep -Eiq "$allowed" || echo "$dllname (not known to be on Windows 7 SP1: check, then add it to WIN7_DLLS)"
    done
    for fn in "${FORBIDDEN_FUNCTIONS[@]}"; do
        awk -v f="$fn" '$2 == f {print $1 "!" $2 " (needs Windows 8 or later)"; exit}' "$table"
    done
}

# The functions the DLLs export: the cdecl ones of include/jdy_member.h and the stdcall ones
# of include/jdy_member_stdcall.h (the Linux libraries export only the first).
windows_exports() {
    { header_functions include/jdy_member.h; header_functions include/jdy_member_stdcall.h; } | sort -u
}

# check_windows_binary PLATFORM FILE [IMPORT_LIBRARY]: the one check of what we ship for
# Windows, a DLL or a program. A DLL (jdy_member.dll) exports exactly the functions of both
# headers, each under its plain name (a stdcall export can go missing or come out as name@N
# on 32-bit Windows: Rust issue 50176; VB6 and the E language cannot declare a name with @);
# a program (jdy-member.exe) exports nothing. Either imports nothing Windows 7 SP1 lacks and
# no DLL that is not part of Windows (a MinGW or MSVC runtime): started on a bare Windows 7,
# nothing else to install. The MinGW import library, when given, names every function
# plainly (_name on x86, never _name@N). Writes FILE's import table to FILE.imports.txt
# (objdump's report to FILE.objdump.txt).
check_windows_binary() {
    local platform=$1 file=$2 implib=${3:-} name expected actual bad dllname lookups prefix names \
        cdecl stdcall
    name=$(basename "$file")
    [ -f "$file" ] || die "$file was not built"
    windows_check_tools
    windows_import_table "$platform" "$file" "$file.imports.txt" "$file.objdump.txt"
    actual=$(awk '/\[Ordinal\/Name Pointer\] Table/ {on = 1; next} on && NF == 0 {on = 0} on {print $NF}' \
        "$file.objdump.txt" | sort)
    case $name in
        *.dll)
            cdecl=$(header_functions include/jdy_member.h)
            stdcall=$(header_functions include/jdy_member_stdcall.h)
            [ -n "$cdecl" ] || die "no function declarations found in include/jdy_member.h"
            [ -n "$stdcall" ] || die "no function declarations found in include/jdy_member_stdcall.h"
            expected=$(windows_exports)
            bad=$(echo "$actual" | grep -E '@|^_' || true)
            [ -z "$bad" ] || die "$platform: $name exports decorated names: $(echo "$bad" | tr '\n' ' ')"
            if [ "$actual" != "$expected" ]; then
                note "missing from the exports: $(comm -13 <(echo "$actual") <(echo "$expected") | tr '\n' ' ')"
                note "exported but in no header: $(comm -23 <(echo "$actual") <(echo "$expected") | tr '\n' ' ')"
                die "$platform: $name does not export exactly the headers' functions"
            fi
            # (Equal to the headers' names also means undecorated: no _name, no stdcall name@N.)
            note "exports: the $(echo "$cdecl" | wc -l) cdecl functions of jdy_member.h and the $(echo "$stdcall" | wc -l) stdcall ones of jdy_member_stdcall.h, all undecorated"
            ;;
        *.exe)
            [ -z "$actual" ] || die "$platform: $name exports functions (a program exports nothing): $(echo "$actual" | head -n 5 | tr '\n' ' ')"
            note "exports: nothing (a program)"
            ;;
        *) die "check_windows_binary: $name is neither a .dll nor an .exe" ;;
    esac
    bad=$(windows7_refusals "$file.imports.txt")
    note "imports ($(wc -l <"$file.imports.txt") functions):"
    for dllname in $(awk '{print $1}' "$file.imports.txt" | sort -fu); do
        note "    $dllname: $(awk -v d="$dllname" '$1 == d {n++} END {print n + 0}' "$file.imports.txt") functions"
    done
    if [ -n "$bad" ]; then
        echo "$bad" | sed 's/^/        /' >&2
        die "$platform: $name imports what Windows 7 does not have (above); the full table is in $file.imports.txt"
    fi
    note "no import needs Windows 8 or later (${#FORBIDDEN_FUNCTIONS[@]} forbidden names checked)"
    lookups=$(strings -a "$file" | grep -E "$RUNTIME_LOOKUPS" | sort -u | tr '\n' ' ' || true)
    [ -z "$lookups" ] || note "looked up at run time, with a fallback: $lookups"
    if [ -n "$implib" ]; then
        case $platform in win-x86) prefix=__imp__ ;; *) prefix=__imp_ ;; esac
        names=$("$(mingw_tool "$platform" nm)" "$implib" |
            awk -v p="^${prefix}jdy_" '$2 == "I" && $3 ~ p {print $3}' | sort)
        [ "$(echo "$names" | sed "s/^$prefix//")" = "$expected" ] ||
            die "$platform: the import library does not name the functions plainly: $names"
        note "import library: every function under its plain name (${prefix}jdy_version, ... ; no @N)"
    fi
}

# windows_program_imports PLATFORM EXE: the DLLs a program imports, one per line; one that
# Windows 7 lacks, or one that is not part of Windows (a MinGW runtime DLL), fails it
# (jdy_member.dll aside). Call it as `dlls=$(windows_program_imports ...) || exit 1`.
windows_program_imports() {
    local exe=$2 bad
    windows_check_tools >&2
    windows_import_table "$1" "$exe" "$exe.imports.txt" "$exe.objdump.txt"
    bad=$(windows7_refusals "$exe.imports.txt" jdy_member)
    [ -z "$bad" ] ||
        die "$(basename "$exe") imports what Windows 7 lacks or what is not part of Windows: $(echo "$bad" | tr '\n' ' ')"
    awk '{print $1}' "$exe.imports.txt" | sort -fu
}

# --- Wine -----------------------------------------------------------------------------------------

wine_prefix=""
wineserver_bin=""
# find_wine64: sets WINE64 and wineserver_bin (Debian: wine64, which the caller installs).
find_wine64() {
    WINE64=$(command -v wine64 || echo /usr/lib/wine/wine64)
    wineserver_bin=$(command -v wineserver || echo /usr/lib/wine/wineserver)
    [ -x "$WINE64" ] || die "wine64 is not installed ($WINE64)"
}

# wine_setup: a throwaway prefix, booted once, that reports Windows 7 (GetVersionEx 6.1), the
# oldest Windows the DLLs are for.
wine_setup() {
    if [ -z "$wine_prefix" ]; then
        wine_prefix=$(mktemp -d "${TMPDIR:-/tmp}/jdy-wine.XXXXXX")
        export WINEPREFIX=$wine_prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
        note "wineboot --init in $wine_prefix (first boot takes a while)"
        timeout 600 "$WINE64" wineboot --init >/dev/null 2>&1 || die "wineboot --init failed or timed out"
        timeout 60 "$WINE64" reg add 'HKCU\Software\Wine' /v Version /t REG_SZ /d win7 /f >/dev/null 2>&1 ||
            die "could not set the Wine prefix to Windows 7"
        timeout 120 "$wineserver_bin" -w || true
        note "Wine $("$WINE64" --version 2>/dev/null | sed 's/^wine-//'), reporting: $(timeout 60 "$WINE64" cmd /c ver 2>/dev/null | tr -d '\r' | grep -v '^$' | head -n 1)"
    fi
}
# wine_setup_32: the prefix, made again when it was made before 32-bit Wine was installed.
wine_setup_32() {
    if [ -n "$wine_prefix" ] && [ ! -f "$wine_prefix/drive_c/windows/syswow64/kernel32.dll" ]; then
        note "the Wine prefix was made without 32-bit support: making a new one"
        wine_stop
    fi
    wine_setup
}
wine_stop() {
    if [ -n "$wine_prefix" ]; then
        if [ -n "$wineserver_bin" ]; then
            WINEPREFIX=$wine_prefix "$wineserver_bin" -k 2>/dev/null || true
        fi
        rm -rf "$wine_prefix"
    fi
    wine_prefix=""
}

# find_wine32: sets WINE32 to 32-bit Wine's loader, or leaves it empty with the reason in
# NO_WINE32. wine32:i386 is installed when missing (adding the i386 dpkg architecture) unless
# JDY_WINE32=0. Where the apt sources have no i386 packages, dpkg is left as it was (so later
# apt runs are not broken by an i386 index) and only the 32-bit run is skipped, said so in
# the summary; JDY_WINE32=1 makes that a failure instead.
find_wine32() {
    WINE32=""
    NO_WINE32="JDY_WINE32=0 was set"
    if [ -x /usr/lib/wine/wine ]; then
        WINE32=/usr/lib/wine/wine
        return 0
    fi
    [ "${JDY_WINE32:-1}" = 1 ] || return 0
    note "installing wine32 (adds the i386 architecture to dpkg; JDY_WINE32=0 skips this)"
    local added_i386=""
    if ! dpkg --print-foreign-architectures | grep -qx i386; then
        $SUDO dpkg --add-architecture i386
        added_i386=1
    fi
    apt_updated=""
    if apt_install wine32:i386 && [ -x /usr/lib/wine/wine ]; then
        WINE32=/usr/lib/wine/wine
        return 0
    fi
    if [ -n "$added_i386" ] && ! dpkg -l | awk '$1 == "ii" {print $2}' | grep -q ':i386$'; then
        $SUDO dpkg --remove-architecture i386 || true
        $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq || true
    fi
    [ "${JDY_WINE32:-}" != 1 ] || die "wine32:i386 could not be installed (see apt's messages above)"
    NO_WINE32="wine32:i386 could not be installed from this machine's apt sources"
}

# --- the stdcall functions under a Chinese code page ------------------------------------------------

# run_stdcall_test NAME LOG LOADER EXE: tests/c/test_stdcall.c built for Windows, run under Wine
# with a Chinese locale (the system code page is then 936, GBK; the program checks GetACP)
# against the sandbox (JDY_TEST_CONFIG holds its configuration), after a reset; its last line
# must be "N passed, 0 failed", and the sandbox must hold what it saved as the right UTF-8,
# each member saved once, nothing turned into "?".
run_stdcall_test() {
    local name=$1 log=$2 loader=$3 exe=$4 status=0
    sandbox_reset
    (cd "$(dirname "$exe")" && LC_ALL=zh_CN.UTF-8 LANG=zh_CN.UTF-8 timeout 300 "$loader" "$(basename "$exe")") |
        tee "$log" || status=$?
    [ "$status" -eq 0 ] || die "$name exited with status $status"
    tail -n 1 "$log" | tr -d '\r' | grep -Eq '^[0-9]+ passed, 0 failed$' ||
        die "$name did not end with \"N passed, 0 failed\""
    grep -q 'code page 936' "$log" || die "$name did not run with code page 936"
    sandbox_control GET /__sandbox/members >"$log.members.json"
    sandbox_control GET /__sandbox/stats >"$log.stats.json"
    python3 - "$log.members.json" "$log.stats.json" <<'PYTHON' || die "$name: the sandbox does not hold what was sent (above)"
import json, sys
members = json.load(open(sys.argv[1], encoding="utf-8"))
stats = json.load(open(sys.argv[2], encoding="utf-8"))
# What tests/c/test_stdcall.c sends, as the sandbox must store it (UTF-8 JSON): GBK through
# _a, UTF-16 through _w, JSON escapes through _a.
expected = {
    "13333333333": "会员A", "13900008801": "𠮷野家", "13900008802": "𠮷A", "13900008803": "한국",
    "13900008811": "张三", "13900008812": "张三", "13900008813": "张三", "13900008814": "张三",
    "13900008815": "한국", "13900008831": "张三", "13900008832": "𠮷野家",
    "13900008841": "张三", "13900008842": "𠮷野家",
}
stored = {m["mobile"]: m for m in members}
wrong = {k: (v, stored.get(k, {}).get("name", "(missing)")) for k, v in expected.items()
         if stored.get(k, {}).get("name") != v}
if wrong:
    sys.exit("stored names differ (sent, stored): %s" % wrong)
if stored["13333333333"].get("remark") != "备注":
    sys.exit("the seed's remark is stored as %r" % stored["13333333333"].get("remark"))
replaced = [m["mobile"] for m in members if "?" in json.dumps(m, ensure_ascii=False) or "\ufffd" in m.get("name", "")]
if replaced:
    sys.exit("members stored with ? or U+FFFD: %s" % replaced)
unexpected = sorted(set(stored) - set(expected))
if unexpected:
    sys.exit("members stored that a refused call sent: %s" % unexpected)
twice = {m: n for m, n in stats["saves_by_mobile"].items() if n != 1}
if twice:
    sys.exit("saved more than once: %s" % twice)
print("    sandbox: %d members stored as sent (GBK, UTF-16 and \\u escapes in, UTF-8 stored), "
      "each saved once, none with '?'" % len(expected))
PYTHON
    grep -a 'stack pointer was the same' "$log" | tr -d '\r' | sed 's/^/    /'
}
