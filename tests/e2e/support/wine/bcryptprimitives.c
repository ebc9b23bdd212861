/*
 * ProcessPrng for Wine 8 (Debian 12's), which lacks bcryptprimitives.dll: Rust's standard
 * library has drawn its random numbers from ProcessPrng since Rust 1.78, and Wine 9 added the
 * DLL. Built by the release tests with zig and put beside the windows_amd64 binary, which then
 * loads it as it would Windows' own. RtlGenRandom (advapi32's SystemFunction036) is what
 * Windows' ProcessPrng draws from too. Not part of any release.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
