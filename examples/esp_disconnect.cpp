// IESP's Disconnect as Network Monitor 2 SDK code in C++ writes it: pESP->Connect(...),
// pESP->Start(...), pESP->Disconnect() refused while capturing (NMERR_CAPTURING), Stop,
// Disconnect, Release. Only the NIC lookup is Linux's: a replay file given on the command line
// (no privilege needed), else the first interface of GetNPPBlobTable (needs CAP_NET_RAW).
//
//   esp_disconnect_cpp [REPLAY.pcap]
#include <netmon.h>
#include <cstdio>

// What a call answered against what the flow expects; true when they differ.
static bool report(const char *step, HRESULT hr, DWORD want) {
    std::printf("%-28s %s\n", step, nmerr_text(static_cast<DWORD>(hr)));
    return static_cast<DWORD>(hr) != want;
}

int main(int argc, char **argv) {
    PBLOB_TABLE table = nullptr;
    HBLOB hBlob = nullptr;
    if (argc > 1) {  // a replay NIC: NPP:Location:ReplayFile
        if (CreateBlob(&hBlob) != NMERR_SUCCESS ||
            SetStringInBlob(hBlob, OWNER_NPP, CATEGORY_LOCATION, TAG_REPLAY_FILE, argv[1]) != NMERR_SUCCESS) return 2;
    } else {
        if (GetNPPBlobTable(nullptr, &table) != NMERR_SUCCESS || table->dwNumBlobs == 0) {
            std::fprintf(stderr, "no capture interface\n");
            return 2;
        }
        hBlob = table->hBlobs[0];
    }

    IESP *pESP = nullptr;
    bool bad = report("CreateNPPInterface(IESP)", CreateNPPInterface(hBlob, IID_IESP, reinterpret_cast<void **>(&pESP)), NMERR_SUCCESS);
    if (!pESP) return 2;
    char fileName[MAX_PATH];
    STATISTICS stats;
    bad |= report("Connect", pESP->Connect(hBlob, nullptr, nullptr, nullptr), NMERR_SUCCESS);
    bad |= report("Start", pESP->Start(fileName), NMERR_SUCCESS);
    if (!bad) std::printf("  capturing into %s\n", fileName);
    bad |= report("Disconnect while capturing", pESP->Disconnect(), NMERR_CAPTURING);
    bad |= report("Stop", pESP->Stop(&stats), NMERR_SUCCESS);
    if (!bad) std::printf("  %u frames captured\n", static_cast<unsigned>(stats.TotalFramesCaptured));
    bad |= report("Disconnect", pESP->Disconnect(), NMERR_SUCCESS);
    std::printf("%-28s %u references left\n", "Release", static_cast<unsigned>(pESP->Release()));

    if (table) {
        for (DWORD i = 0; i < table->dwNumBlobs; i++) DestroyBlob(table->hBlobs[i]);
        FreeBlobTable(table);
    } else {
        DestroyBlob(hBlob);
    }
    return bad ? 1 : 0;
}
