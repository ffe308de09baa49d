/*
 * A stand-in for Windows' bcryptprimitives.dll, for running the Windows builds under Wine 8
 * (Debian 12) only. Never ship it: every Windows 10 and later has the real one.
 *
 * Rust's standard library (1.78 and later) takes its random numbers from ProcessPrng in
 * bcryptprimitives.dll, which Windows 10 has and Wine gained only after 8.0; without it the
 * loader refuses jdy_member.dll. This one exports ProcessPrng and answers from RtlGenRandom
 * (advapi32's SystemFunction036), which Wine 8 implements. scripts/test-native builds it and
 * puts it beside the test programs.
 */
#include <windows.h>
#include <ntsecapi.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000u ? 0x10000000u : (ULONG)length;
        if (!RtlGenRandom(data, chunk)) {
            /* ProcessPrng never fails on Windows; the caller does not check. */
            ExitProcess(0xC000000Du);
        }
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
