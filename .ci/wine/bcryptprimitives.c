/* A stand-in for Windows' bcryptprimitives.dll, for running the test
 * binaries under Wine 8 (Debian 12's), which lacks it. Rust's standard
 * library (1.78 and later) takes its random bytes from ProcessPrng there;
 * this one gets them from RtlGenRandom (advapi32's SystemFunction036),
 * which Wine has. Only for the CI's Wine runs: a real Windows has the DLL.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
