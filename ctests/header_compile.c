/* Compiles netmon.h with -Wall -Wextra -Werror -pedantic and uses SDK-style spellings: the
 * nameless unions, the Windows types, the string constants, the callback type and the COM-style
 * objects (as C, as C with COBJMACROS, as C++). */
#include "netmon.h"
#include <stdio.h>

static DWORD callback(UPDATE_EVENT ev) { return (DWORD)ev.Event + (DWORD)(ev.lpFinalStats != NULL); }

#ifdef __cplusplus
#define IID_REF(iid) (iid)
#else
#define IID_REF(iid) (&(iid))
#endif

static HRESULT disconnect(IESP *pESP) {
#if defined(__cplusplus)
    return pESP->Disconnect();
#elif defined(COBJMACROS)
    return IESP_Disconnect(pESP);
#else
    return pESP->lpVtbl->Disconnect(pESP);
#endif
}

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
    {
        void *obj = &obj;
        ok &= CreateNPPInterface(NULL, IID_REF(IID_IESP), &obj) == (HRESULT)NMERR_INVALID_BLOB;
        ok &= obj == NULL && IsEqualIID(IID_REF(IID_IESP), IID_REF(IID_IESP)) && !IsEqualIID(IID_REF(IID_IRTC), IID_REF(IID_IESP));
        if (obj) ok &= disconnect((IESP *)obj) == NMERR_SUCCESS;
    }
    printf("header compiles; %s\n", ok ? "calls ok" : "calls FAILED");
    return ok ? 0 : 1;
}
