/* The COM-style objects in C++ (README, "Porting Network Monitor 2 code"): the seed's four Disconnect codes through
 * pESP->Disconnect(), and the layout test: every slot of every interface called through the C++
 * class (virtual call) and through the C Vtbl struct that the object's vptr points to, on the same
 * object, with answers that show each call reached the slot it names. */
#include "check.h"
#include "replay_util.h"
#include "com_util.h"

/* The C view of a C++ interface pointer: its vptr read as the C Vtbl struct. */
template <class V, class I> static const V *c_vtbl(I *p) {
    const V *vt;
    memcpy(&vt, static_cast<const void *>(p), sizeof vt);
    return vt;
}

template <class I> static I *create(REFIID iid) {
    void *p = nullptr;
    CHECK_RC(CreateNPPInterface(cu_nic, iid, &p), NMERR_SUCCESS);
    CHECK(p != nullptr);
    return static_cast<I *>(p);
}

static LPVOID as_lpvoid(LPNETWORKCALLBACKPROC cb) { return reinterpret_cast<LPVOID>(cb); }

/* IUnknown's three slots both ways, on an object holding `count` references. */
template <class I, class V> static void unknown_slots(I *p, REFIID iid, ULONG count) {
    const V *vt = c_vtbl<V>(p);
    void *a = nullptr, *b = nullptr;
    CHECK_EQ(p->AddRef(), count + 1);
    CHECK_EQ(vt->AddRef(p), count + 2);
    CHECK_EQ(p->Release(), count + 1);
    CHECK_EQ(vt->Release(p), count);
    CHECK_RC(p->QueryInterface(iid, &a), NMERR_SUCCESS);
    CHECK_RC(vt->QueryInterface(p, iid, &b), NMERR_SUCCESS);
    CHECK(a == static_cast<void *>(p) && b == a);
    CHECK_RC(p->QueryInterface(IID_IUnknown, &a), NMERR_SUCCESS);
    CHECK_RC(vt->QueryInterface(p, IID_IUnknown, &b), NMERR_SUCCESS);
    CHECK(a == b);
    CHECK_EQ(vt->Release(p), count + 3);
    CHECK_EQ(p->Release(), count + 2);
    CHECK_EQ(vt->Release(p), count + 1);
    CHECK_EQ(p->Release(), count);
}

/* QueryStatus and GetControlState both ways while a capture runs. */
template <class I, class V> static void capturing_state(I *p) {
    const V *vt = c_vtbl<V>(p);
    NETWORKSTATUS a, b;
    BOOL ra = 7, pa = 7, rb = 7, pb = 7;
    CHECK_RC(p->QueryStatus(&a), NMERR_SUCCESS);
    CHECK_RC(vt->QueryStatus(p, &b), NMERR_SUCCESS);
    CHECK(a.State == NETWORKSTATUS_STATE_CAPTURING && b.State == a.State);
    CHECK_RC(p->GetControlState(&ra, &pa), NMERR_SUCCESS);
    CHECK_RC(vt->GetControlState(p, &rb, &pb), NMERR_SUCCESS);
    CHECK(ra == TRUE && rb == TRUE && pa == FALSE && pb == FALSE);
}

/* The slots IRTC, IDelaydC and IStats share, while a capture of all CU_FRAMES frames runs:
 * QueryStatus, GetControlState, GetTotalStatistics, GetConversationStatistics,
 * InsertSpecialFrame (answering insert_rc), Pause, Resume. */
template <class I, class V> static void capturing_slots(I *p, DWORD insert_rc) {
    const V *vt = c_vtbl<V>(p);
    STATISTICS sa, sb;
    BOOL ra = 7, pa = 7;
    static SESSIONSTATS sessions[MAX_SESSIONS];
    static STATIONSTATS stations[MAX_STATIONS];
    DWORD nsa = 0, nta = 0, nsb = 0, ntb = 0;
    BYTE note[] = "note";
    long long deadline = ru_now_ms() + RU_DEADLINE_MS;
    do {
        CHECK_RC(p->GetTotalStatistics(&sa, FALSE), NMERR_SUCCESS);
        ru_sleep_ms(2);
    } while (sa.TotalFramesCaptured < CU_FRAMES && ru_now_ms() < deadline);
    CHECK_RC(vt->GetTotalStatistics(p, &sb, FALSE), NMERR_SUCCESS);
    CHECK_EQ(sa.TotalFramesCaptured, CU_FRAMES);
    CHECK_EQ(sb.TotalFramesCaptured, CU_FRAMES);
    capturing_state<I, V>(p);
    CHECK_RC(p->GetConversationStatistics(&nsa, sessions, &nta, stations, FALSE), NMERR_SUCCESS);
    CHECK_RC(vt->GetConversationStatistics(p, &nsb, sessions, &ntb, stations, FALSE), NMERR_SUCCESS);
    CHECK(nta == 2 && ntb == 2 && nsa == nsb);
    CHECK_RC(p->InsertSpecialFrame(1, 0, note, sizeof note), insert_rc);
    CHECK_RC(vt->InsertSpecialFrame(p, 1, 0, note, sizeof note), insert_rc);
    CHECK_RC(vt->Pause(p), NMERR_SUCCESS);
    CHECK_RC(p->Pause(), NMERR_CAPTURE_PAUSED);
    CHECK_RC(p->GetControlState(&ra, &pa), NMERR_SUCCESS);
    CHECK(pa == TRUE);
    CHECK_RC(p->Resume(), NMERR_SUCCESS);
    CHECK_RC(vt->Resume(p), NMERR_CAPTURE_NOT_PAUSED);
}

/* QueryStations, Disconnect and the last Release both ways, once the capture stopped. */
template <class I, class V> static void closing_slots(I *p) {
    const V *vt = c_vtbl<V>(p);
    QUERYTABLE qt;
    qt.nStationQueries = 0;
    CHECK_RC(p->QueryStations(&qt), NMERR_SUCCESS);
    CHECK_RC(vt->QueryStations(p, &qt), NMERR_SUCCESS);
    CHECK_RC(vt->Disconnect(p), NMERR_SUCCESS);
    CHECK_RC(p->Disconnect(), NMERR_NOT_CONNECTED);
    CHECK_EQ(vt->AddRef(p), 2);
    CHECK_EQ(p->Release(), 1);
    CHECK_EQ(vt->Release(p), 0);
}

/* IUnknown's slots, then Connect and Configure both ways, for the interfaces whose Connect takes
 * one callback (IESP, IDelaydC, IStats). */
template <class I, class V> static void connect_both(I *p, REFIID iid) {
    const V *vt = c_vtbl<V>(p);
    unknown_slots<I, V>(p, iid, 1);
    CHECK_RC(p->Connect(cu_cfg, as_lpvoid(cu_status_cb), nullptr, nullptr), NMERR_SUCCESS);
    CHECK_RC(vt->Connect(p, cu_cfg, nullptr, nullptr, nullptr), NMERR_ALREADY_CONNECTED);
    CHECK_RC(vt->Configure(p, cu_cfg, nullptr), NMERR_SUCCESS);
    CHECK_RC(p->Configure(cu_cfg, nullptr), NMERR_SUCCESS);
}

/* Start(char *) both ways, for the interfaces that capture into a file (IESP, IDelaydC). */
template <class I, class V> static void start_file_both(I *p) {
    const V *vt = c_vtbl<V>(p);
    char name[MAX_PATH], other[MAX_PATH];
    CHECK_RC(vt->Start(p, name), NMERR_SUCCESS);
    CHECK(cu_name_ok(name));
    CHECK_RC(p->Start(other), NMERR_CAPTURING);
}

static void esp_both(void) {
    IESP *p = create<IESP>(IID_IESP);
    if (!p) return;
    const IESPVtbl *vt = c_vtbl<IESPVtbl>(p);
    STATISTICS st;
    /* the vtables carry the Itanium prefix: offset to top 0 (each view is a whole object) */
    CHECK(dynamic_cast<void *>(p) == static_cast<void *>(p));
    connect_both<IESP, IESPVtbl>(p, IID_IESP);
    start_file_both<IESP, IESPVtbl>(p);
    capturing_state<IESP, IESPVtbl>(p);
    CHECK_RC(p->Pause(&st), NMERR_SUCCESS);
    CHECK_RC(vt->Pause(p, &st), NMERR_CAPTURE_PAUSED);
    CHECK_RC(vt->Resume(p), NMERR_SUCCESS);
    CHECK_RC(p->Resume(), NMERR_CAPTURE_NOT_PAUSED);
    CHECK_RC(p->Stop(&st), NMERR_SUCCESS);
    CHECK_RC(vt->Stop(p, &st), NMERR_NOT_CAPTURING);
    closing_slots<IESP, IESPVtbl>(p);
}

static void rtc_both(void) {
    IRTC *p = create<IRTC>(IID_IRTC);
    if (!p) return;
    const IRTCVtbl *vt = c_vtbl<IRTCVtbl>(p);
    __atomic_store_n(&cu_frames_seen, 0u, __ATOMIC_SEQ_CST);
    unknown_slots<IRTC, IRTCVtbl>(p, IID_IRTC, 1);
    CHECK_RC(p->Connect(cu_cfg, as_lpvoid(cu_status_cb), as_lpvoid(cu_frames_cb), nullptr, nullptr), NMERR_SUCCESS);
    CHECK_RC(vt->Connect(p, cu_cfg, as_lpvoid(cu_status_cb), nullptr, nullptr, nullptr), NMERR_ALREADY_CONNECTED);
    CHECK_RC(vt->Configure(p, cu_cfg, nullptr), NMERR_SUCCESS);
    CHECK_RC(p->Configure(cu_cfg, nullptr), NMERR_SUCCESS);
    CHECK_RC(p->Start(), NMERR_SUCCESS);
    CHECK_RC(vt->Start(p), NMERR_CAPTURING);
    CHECK_EQ(cu_wait_count(&cu_frames_seen, CU_FRAMES), CU_FRAMES);
    capturing_slots<IRTC, IRTCVtbl>(p, NMERR_SUCCESS);
    CHECK_RC(vt->Stop(p), NMERR_SUCCESS);
    CHECK_RC(p->Stop(), NMERR_NOT_CAPTURING);
    CHECK_EQ(cu_load(&cu_frames_seen), CU_FRAMES + 2); /* and both special frames */
    closing_slots<IRTC, IRTCVtbl>(p);
}

static void dc_both(void) {
    IDelaydC *p = create<IDelaydC>(IID_IDelaydC);
    if (!p) return;
    const IDelaydCVtbl *vt = c_vtbl<IDelaydCVtbl>(p);
    STATISTICS st;
    connect_both<IDelaydC, IDelaydCVtbl>(p, IID_IDelaydC);
    start_file_both<IDelaydC, IDelaydCVtbl>(p);
    capturing_slots<IDelaydC, IDelaydCVtbl>(p, NMERR_SUCCESS);
    CHECK_RC(vt->Stop(p, &st), NMERR_SUCCESS);
    CHECK_EQ(st.TotalFramesCaptured, CU_FRAMES + 2);
    CHECK_RC(p->Stop(&st), NMERR_NOT_CAPTURING);
    closing_slots<IDelaydC, IDelaydCVtbl>(p);
}

static void stats_both(void) {
    IStats *p = create<IStats>(IID_IStats);
    if (!p) return;
    const IStatsVtbl *vt = c_vtbl<IStatsVtbl>(p);
    connect_both<IStats, IStatsVtbl>(p, IID_IStats);
    CHECK_RC(vt->Start(p), NMERR_SUCCESS);
    CHECK_RC(p->Start(), NMERR_CAPTURING);
    capturing_slots<IStats, IStatsVtbl>(p, NMERR_NOT_SUPPORTED);
    CHECK_RC(p->Stop(), NMERR_SUCCESS);
    CHECK_RC(vt->Stop(p), NMERR_NOT_CAPTURING);
    closing_slots<IStats, IStatsVtbl>(p);
}

/* The seed's four Disconnect codes, written as SDK C++ code writes them. */
static void disconnect_codes(void) {
    IESP *pESP = create<IESP>(IID_IESP);
    if (!pESP) return;
    IStats *pStats = nullptr;
    char name[MAX_PATH];
    CHECK_RC(pESP->Disconnect(), NMERR_NOT_CONNECTED);
    CHECK_RC(pESP->Connect(cu_cfg, nullptr, nullptr, nullptr), NMERR_SUCCESS);
    CHECK_RC(pESP->Start(name), NMERR_SUCCESS);
    CHECK_RC(pESP->Disconnect(), NMERR_CAPTURING);
    CHECK_RC(pESP->Pause(nullptr), NMERR_SUCCESS);
    CHECK_RC(pESP->Disconnect(), NMERR_CAPTURING);
    CHECK_RC(pESP->Stop(nullptr), NMERR_SUCCESS);
    CHECK_RC(pESP->Disconnect(), NMERR_SUCCESS);
    CHECK_RC(pESP->QueryInterface(IID_IStats, reinterpret_cast<void **>(&pStats)), NMERR_SUCCESS);
    CHECK_RC(pStats->Connect(cu_cfg, nullptr, nullptr, nullptr), NMERR_SUCCESS);
    CHECK_RC(pESP->Disconnect(), NMERR_NOT_ESP);
    CHECK_RC(pStats->Disconnect(), NMERR_SUCCESS);
    CHECK_EQ(pStats->Release(), 1);
    CHECK_EQ(pESP->Release(), 0);
}

int main() {
    if (cu_setup("com-cpp") != 0) {
        fprintf(stderr, "setup failed\n");
        return 1;
    }
    CHECK_EQ(sizeof(IESP), sizeof(void *));
    esp_both();
    rtc_both();
    dc_both();
    stats_both();
    disconnect_codes();
    cu_teardown();
    return check_done("test_com_cpp");
}
