/* Compiles netmon.h with -Wall -Wextra -Werror -pedantic and uses SDK-style spellings: the
 * nameless unions, the Windows types, the string constants and the callback type. */
#include "netmon.h"
#include <cstdio>

static DWORD callback(UPDATE_EVENT ev) { return (DWORD)ev.Event + (DWORD)(ev.lpFinalStats != NULL); }

int main(void) {
    ADDRESSPAIR2 pair;
    LPNETWORKCALLBACKPROC cb = callback;
    UPDATE_EVENT ev;
    HBLOB blob = NULL;
    BOOL ok = TRUE;
    pair.SrcAddress.IPAddress[0] = 10;
    pair.DstAddress.MACAddress[5] = 1;
    pair.DstAddress.IPXAddress.Subnet[0] = 2;
    ev.Event = UPDATE_EVENT_NETWORK_STATUS;
    ev.lpFinalStats = NULL;
    ev.Reserved = 0;
    if (CreateBlob(&blob) != NMERR_SUCCESS) return 1;
    ok &= SetStringInBlob(blob, OWNER_NPP, CATEGORY_CONFIG, TAG_BUFFER_SIZE, "32768") == NMERR_SUCCESS;
    ok &= DestroyBlob(blob) == NMERR_SUCCESS;
    ok &= cb(ev) == UPDATE_EVENT_NETWORK_STATUS;
    ok &= pair.SrcAddress.IPAddress[0] == 10;
    printf("header compiles; %s\n", ok ? "calls ok" : "calls FAILED");
    return ok ? 0 : 1;
}
