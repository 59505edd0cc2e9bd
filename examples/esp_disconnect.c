/* IESP's Disconnect as Network Monitor 2 SDK code in C writes it: create the NPP object for a NIC,
 * Connect, Start a capture, see Disconnect refused while it runs (NMERR_CAPTURING), Stop,
 * Disconnect, Release. Only the NIC lookup is Linux's: a replay file given on the command line
 * (no privilege needed), else the first interface of GetNPPBlobTable (needs CAP_NET_RAW).
 *
 *   esp_disconnect [REPLAY.pcap]
 */
#include <netmon.h>
#include <stdio.h>

/* What a call answered against what the flow expects; 1 when they differ. */
static int report(const char *step, HRESULT hr, DWORD want) {
    printf("%-28s %s\n", step, nmerr_text((DWORD)hr));
    return (DWORD)hr != want;
}

int main(int argc, char **argv) {
    PBLOB_TABLE table = NULL;
    HBLOB hBlob = NULL;
    IESP *pESP = NULL;
    STATISTICS stats;
    char fileName[MAX_PATH];
    int bad = 0;

    if (argc > 1) { /* a replay NIC: NPP:Location:ReplayFile */
        if (CreateBlob(&hBlob) != NMERR_SUCCESS ||
            SetStringInBlob(hBlob, OWNER_NPP, CATEGORY_LOCATION, TAG_REPLAY_FILE, argv[1]) != NMERR_SUCCESS) return 2;
    } else {
        if (GetNPPBlobTable(NULL, &table) != NMERR_SUCCESS || table->dwNumBlobs == 0) {
            fprintf(stderr, "no capture interface\n");
            return 2;
        }
        hBlob = table->hBlobs[0];
    }

    bad |= report("CreateNPPInterface(IESP)", CreateNPPInterface(hBlob, &IID_IESP, (void **)&pESP), NMERR_SUCCESS);
    if (!pESP) return 2;
    bad |= report("Connect", pESP->lpVtbl->Connect(pESP, hBlob, NULL, NULL, NULL), NMERR_SUCCESS);
    bad |= report("Start", pESP->lpVtbl->Start(pESP, fileName), NMERR_SUCCESS);
    if (!bad) printf("  capturing into %s\n", fileName);
    bad |= report("Disconnect while capturing", pESP->lpVtbl->Disconnect(pESP), NMERR_CAPTURING);
    bad |= report("Stop", pESP->lpVtbl->Stop(pESP, &stats), NMERR_SUCCESS);
    if (!bad) printf("  %u frames captured\n", (unsigned)stats.TotalFramesCaptured);
    bad |= report("Disconnect", pESP->lpVtbl->Disconnect(pESP), NMERR_SUCCESS);
    printf("%-28s %u references left\n", "Release", (unsigned)pESP->lpVtbl->Release(pESP));

    if (table) {
        DWORD i;
        for (i = 0; i < table->dwNumBlobs; i++) DestroyBlob(table->hBlobs[i]);
        FreeBlobTable(table);
    } else {
        DestroyBlob(hBlob);
    }
    return bad;
}
