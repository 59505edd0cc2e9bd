/* The COM-style objects in C (README, "Porting Network Monitor 2 code"): CreateNPPInterface, every vtable slot of IESP,
 * IRTC, IDelaydC and IStats (through the COBJMACROS macros, which call This->lpVtbl->Method),
 * QueryInterface, reference counts across 16 threads, the last Release, calls through a
 * released object, and the four Disconnect codes through pESP->lpVtbl->Disconnect(pESP). */
#define _GNU_SOURCE
#define COBJMACROS
#include "check.h"
#include "replay_util.h"
#include "com_util.h"
#include <pthread.h>

/* An object through `iid` (NULL on failure). */
static void *create(REFIID iid) {
    void *p = NULL;
    CHECK_RC(CreateNPPInterface(cu_nic, iid, &p), NMERR_SUCCESS);
    CHECK(p != NULL);
    return p;
}

static void *qi(IUnknown *unk, REFIID iid) {
    void *p = NULL;
    CHECK_RC(IUnknown_QueryInterface(unk, iid, &p), NMERR_SUCCESS);
    CHECK(p != NULL);
    return p;
}

static const IID BOGUS = {0x12345678, 0x9ABC, 0xDEF0, {1, 2, 3, 4, 5, 6, 7, 8}};

static void iids_and_layout(void) {
    const IID esp = {0xE99A04AA, 0xAB95, 0x11D0, {0xBE, 0x96, 0x00, 0xA0, 0xC9, 0x49, 0x89, 0xDE}};
    const IID rtc = {0x4811EA40, 0xB582, 0x11CE, {0xB5, 0xAF, 0x00, 0xAA, 0x00, 0x6C, 0xB3, 0x7D}};
    const IID dc = {0xBFF9C030, 0xB58F, 0x11CE, {0xB5, 0xB0, 0x00, 0xAA, 0x00, 0x6C, 0xB3, 0x7D}};
    const IID st = {0x944AD530, 0xB09D, 0x11CE, {0xB5, 0x9C, 0x00, 0xAA, 0x00, 0x6C, 0xB3, 0x7D}};
    const IID unk = {0, 0, 0, {0xC0, 0, 0, 0, 0, 0, 0, 0x46}};
    CHECK(IsEqualIID(&IID_IESP, &esp));
    CHECK(IsEqualIID(&IID_IRTC, &rtc));
    CHECK(IsEqualIID(&IID_IDelaydC, &dc));
    CHECK(IsEqualIID(&IID_IStats, &st));
    CHECK(IsEqualIID(&IID_IUnknown, &unk));
    CHECK(!IsEqualIID(&IID_IESP, &IID_IRTC));
    CHECK_EQ(sizeof(IID), 16);
    CHECK_EQ((DWORD)E_NOINTERFACE, 0x80004002u);
    /* an interface is its vtable pointer; the vtables hold 3 + the interface's methods */
    CHECK_EQ(sizeof(IESP), sizeof(void *));
    CHECK_EQ(sizeof(IUnknownVtbl), 3 * sizeof(void *));
    CHECK_EQ(sizeof(IESPVtbl), 13 * sizeof(void *));
    CHECK_EQ(sizeof(IRTCVtbl), 16 * sizeof(void *));
    CHECK_EQ(sizeof(IDelaydCVtbl), 16 * sizeof(void *));
    CHECK_EQ(sizeof(IStatsVtbl), 16 * sizeof(void *));
}

static void create_codes(void) {
    const IID *const known[] = {&IID_IESP, &IID_IRTC, &IID_IDelaydC, &IID_IStats, &IID_IUnknown};
    void *p = &p;
    HNPP h = NULL;
    HBLOB empty = NULL;
    DWORD want;
    size_t i;
    /* NULL ppvObject: nothing written, nothing created */
    CHECK_RC(CreateNPPInterface(cu_nic, &IID_IESP, NULL), NMERR_INVALID_PARAMETER);
    CHECK_RC(CreateNPPInterface(cu_nic, NULL, &p), NMERR_INVALID_PARAMETER);
    CHECK(p == NULL);
    p = &p;
    CHECK_EQ(CreateNPPInterface(cu_nic, &BOGUS, &p), E_NOINTERFACE);
    CHECK(p == NULL);
    /* a bad BLOB answers what npp_create answers */
    want = npp_create(NULL, &h);
    CHECK_RC(want, NMERR_INVALID_BLOB);
    p = &p;
    CHECK_RC(CreateNPPInterface(NULL, &IID_IESP, &p), want);
    CHECK(p == NULL);
    CHECK_RC(CreateBlob(&empty), NMERR_SUCCESS);
    want = npp_create(empty, &h);
    CHECK(want != NMERR_SUCCESS);
    p = &p;
    CHECK_RC(CreateNPPInterface(empty, &IID_IRTC, &p), want);
    CHECK(p == NULL);
    DestroyBlob(empty);
    for (i = 0; i < sizeof known / sizeof known[0]; i++) {
        IUnknown *u = (IUnknown *)create(known[i]);
        if (!u) continue;
        CHECK_EQ(IUnknown_AddRef(u), 2);
        CHECK_EQ(IUnknown_Release(u), 1);
        CHECK_EQ(IUnknown_Release(u), 0);
    }
}

static void query_interface(void) {
    IESP *esp = (IESP *)create(&IID_IESP);
    IUnknown *unk, *again;
    IRTC *rtc;
    IDelaydC *dc;
    IStats *st;
    void *p;
    if (!esp) return;
    unk = (IUnknown *)qi((IUnknown *)esp, &IID_IUnknown);
    CHECK((void *)unk == (void *)esp); /* IESP's view is the object's identity */
    CHECK(qi((IUnknown *)esp, &IID_IESP) == (void *)esp);
    rtc = (IRTC *)qi((IUnknown *)esp, &IID_IRTC);
    dc = (IDelaydC *)qi((IUnknown *)rtc, &IID_IDelaydC);
    st = (IStats *)qi((IUnknown *)dc, &IID_IStats);
    CHECK((void *)rtc != (void *)esp && (void *)dc != (void *)rtc && (void *)st != (void *)dc);
    CHECK(qi((IUnknown *)st, &IID_IRTC) == (void *)rtc);
    CHECK(qi((IUnknown *)rtc, &IID_IRTC) == (void *)rtc);
    again = (IUnknown *)qi((IUnknown *)st, &IID_IUnknown);
    CHECK(again == unk);
    /* every QueryInterface above added a reference: 1 + 8 */
    CHECK_EQ(IESP_AddRef(esp), 10);
    CHECK_EQ(IRTC_Release(rtc), 9);
    /* unknown, NULL */
    p = &p;
    CHECK_EQ(IESP_QueryInterface(esp, &BOGUS, &p), E_NOINTERFACE);
    CHECK(p == NULL);
    CHECK_RC(IRTC_QueryInterface(rtc, &IID_IESP, NULL), NMERR_INVALID_PARAMETER);
    p = &p;
    CHECK_RC(IStats_QueryInterface(st, NULL, &p), NMERR_INVALID_PARAMETER);
    CHECK(p == NULL);
    p = &p;
    CHECK_RC(IDelaydC_QueryInterface(dc, &IID_IStats, &p), NMERR_SUCCESS);
    CHECK(p == (void *)st);
    /* 10 references: any view releases any */
    CHECK_EQ(IDelaydC_Release(dc), 9);
    CHECK_EQ(IStats_Release(st), 8);
    CHECK_EQ(IStats_AddRef(st), 9);
    CHECK_EQ(IDelaydC_AddRef(dc), 10);
    while (IUnknown_Release(unk) > 1) {
    }
    CHECK_EQ(IESP_Release(esp), 0);
}

static void esp_slots(void) {
    IESP *p = (IESP *)create(&IID_IESP);
    HBLOB long_cfg = cu_long_dir_cfg();
    NETWORKSTATUS ns;
    STATISTICS stats;
    QUERYTABLE qt;
    BOOL running = 7, paused = 7;
    char name[MAX_PATH];
    if (!p) return;
    memset(&stats, 0xFF, sizeof stats);
    /* Start's name would not fit in MAX_PATH bytes: nothing starts */
    CHECK_RC(IESP_Connect(p, long_cfg, (LPVOID)cu_status_cb, (LPVOID)&stats, NULL), NMERR_SUCCESS);
    CHECK_RC(IESP_Start(p, name), NMERR_INVALID_PARAMETER);
    CHECK_RC(IESP_QueryStatus(p, &ns), NMERR_SUCCESS);
    CHECK_EQ(ns.State, NETWORKSTATUS_STATE_VOID);
    CHECK_RC(IESP_Configure(p, cu_cfg, NULL), NMERR_SUCCESS);
    CHECK_RC(IESP_Start(p, name), NMERR_SUCCESS);
    CHECK(cu_name_ok(name));
    CHECK_RC(IESP_QueryStatus(p, &ns), NMERR_SUCCESS);
    CHECK_EQ(ns.State, NETWORKSTATUS_STATE_CAPTURING);
    CHECK_RC(IESP_GetControlState(p, &running, &paused), NMERR_SUCCESS);
    CHECK(running == TRUE && paused == FALSE);
    CHECK_RC(IESP_Pause(p, &stats), NMERR_SUCCESS);
    CHECK(stats.TotalFramesCaptured <= CU_FRAMES);
    CHECK_RC(IESP_GetControlState(p, &running, &paused), NMERR_SUCCESS);
    CHECK(running == TRUE && paused == TRUE);
    CHECK_RC(IESP_Resume(p), NMERR_SUCCESS);
    CHECK_RC(IESP_Stop(p, &stats), NMERR_SUCCESS);
    CHECK(stats.TotalFramesCaptured <= CU_FRAMES);
    CHECK_RC(IESP_Stop(p, NULL), NMERR_NOT_CAPTURING);
    CHECK(ru_exists(name));
    qt.nStationQueries = 0;
    CHECK_RC(IESP_QueryStations(p, &qt), NMERR_SUCCESS);
    CHECK_EQ(qt.nStationQueries, 0);
    CHECK_RC(IESP_Disconnect(p), NMERR_SUCCESS);
    CHECK_EQ(IESP_AddRef(p), 2);
    CHECK_EQ(IESP_Release(p), 1);
    CHECK_EQ(IESP_Release(p), 0);
    DestroyBlob(long_cfg);
}

/* The slots IRTC, IDelaydC and IStats share, through interface I's COBJMACROS macros:
 * capturing_I while a capture of the CU_FRAMES replay frames runs (it waits for all of them):
 * GetTotalStatistics, GetConversationStatistics, InsertSpecialFrame (answering insert_rc),
 * QueryStatus, Pause, GetTotalStatistics while paused (paused_totals_rc), GetControlState, Resume;
 * closing_I once the capture stopped: QueryStations, Disconnect, AddRef, Release. */
#define SHARED_SLOTS(I)                                                                                        \
    static void capturing_##I(I *p, DWORD insert_rc, DWORD paused_totals_rc) {                               \
        static SESSIONSTATS sessions[MAX_SESSIONS];                                                          \
        static STATIONSTATS stations[MAX_STATIONS];                                                          \
        DWORD nsessions = 0, nstations = 0;                                                                  \
        NETWORKSTATUS ns;                                                                                    \
        STATISTICS stats;                                                                                    \
        BOOL running = 7, paused = 7;                                                                        \
        BYTE note[] = "note";                                                                                \
        long long deadline = ru_now_ms() + RU_DEADLINE_MS;                                                   \
        do {                                                                                                 \
            CHECK_RC(I##_GetTotalStatistics(p, &stats, FALSE), NMERR_SUCCESS);                               \
            ru_sleep_ms(2);                                                                                  \
        } while (stats.TotalFramesCaptured < CU_FRAMES && ru_now_ms() < deadline);                           \
        CHECK_EQ(stats.TotalFramesCaptured, CU_FRAMES);                                                      \
        CHECK_RC(I##_GetConversationStatistics(p, &nsessions, sessions, &nstations, stations, FALSE), NMERR_SUCCESS); \
        CHECK_EQ(nstations, 2);                                                                              \
        CHECK_EQ(nsessions, 1);                                                                              \
        CHECK_RC(I##_InsertSpecialFrame(p, 1, 0, note, sizeof note), insert_rc);                             \
        CHECK_RC(I##_QueryStatus(p, &ns), NMERR_SUCCESS);                                                    \
        CHECK_EQ(ns.State, NETWORKSTATUS_STATE_CAPTURING);                                                   \
        CHECK_RC(I##_Pause(p), NMERR_SUCCESS);                                                               \
        CHECK_RC(I##_GetTotalStatistics(p, &stats, FALSE), paused_totals_rc);                                \
        CHECK_RC(I##_GetControlState(p, &running, &paused), NMERR_SUCCESS);                                  \
        CHECK(running == TRUE && paused == TRUE);                                                            \
        CHECK_RC(I##_Resume(p), NMERR_SUCCESS);                                                              \
    }                                                                                                        \
    static void closing_##I(I *p) {                                                                          \
        QUERYTABLE qt;                                                                                       \
        qt.nStationQueries = 0;                                                                              \
        CHECK_RC(I##_QueryStations(p, &qt), NMERR_SUCCESS);                                                  \
        CHECK_EQ(qt.nStationQueries, 0);                                                                     \
        CHECK_RC(I##_Disconnect(p), NMERR_SUCCESS);                                                          \
        CHECK_EQ(I##_AddRef(p), 2);                                                                          \
        CHECK_EQ(I##_Release(p), 1);                                                                         \
        CHECK_EQ(I##_Release(p), 0);                                                                         \
    }
SHARED_SLOTS(IRTC)
SHARED_SLOTS(IDelaydC)
SHARED_SLOTS(IStats)

static void rtc_slots(void) {
    IRTC *p = (IRTC *)create(&IID_IRTC);
    if (!p) return;
    __atomic_store_n(&cu_frames_seen, 0u, __ATOMIC_SEQ_CST);
    CHECK_RC(IRTC_Connect(p, cu_cfg, NULL, NULL, NULL, NULL), NMERR_INVALID_PARAMETER); /* no callback at all */
    CHECK_RC(IRTC_Connect(p, cu_cfg, (LPVOID)cu_status_cb, (LPVOID)cu_frames_cb, NULL, NULL), NMERR_SUCCESS);
    CHECK_RC(IRTC_Configure(p, cu_cfg, NULL), NMERR_SUCCESS);
    CHECK_RC(IRTC_Start(p), NMERR_SUCCESS);
    CHECK_EQ(cu_wait_count(&cu_frames_seen, CU_FRAMES), CU_FRAMES); /* the LPVOID is the frames callback */
    capturing_IRTC(p, NMERR_SUCCESS, NMERR_SUCCESS); /* IRTC: totals also while paused */
    CHECK_RC(IRTC_Stop(p), NMERR_SUCCESS);
    CHECK_EQ(cu_load(&cu_frames_seen), CU_FRAMES + 1); /* the special frame too */
    closing_IRTC(p);
}

static void dc_slots(void) {
    IDelaydC *p = (IDelaydC *)create(&IID_IDelaydC);
    HBLOB long_cfg = cu_long_dir_cfg();
    STATISTICS stats;
    BOOL running = 7, paused = 7;
    char name[MAX_PATH];
    if (!p) return;
    CHECK_RC(IDelaydC_Connect(p, long_cfg, (LPVOID)cu_status_cb, NULL, NULL), NMERR_SUCCESS);
    CHECK_RC(IDelaydC_Start(p, name), NMERR_INVALID_PARAMETER); /* the name would not fit */
    CHECK_RC(IDelaydC_GetControlState(p, &running, &paused), NMERR_SUCCESS);
    CHECK(running == FALSE && paused == FALSE);
    CHECK_RC(IDelaydC_Configure(p, cu_cfg, NULL), NMERR_SUCCESS);
    CHECK_RC(IDelaydC_Start(p, name), NMERR_SUCCESS);
    CHECK(cu_name_ok(name));
    capturing_IDelaydC(p, NMERR_SUCCESS, NMERR_CAPTURE_PAUSED); /* IDelaydC: no totals while paused */
    CHECK_RC(IDelaydC_Stop(p, &stats), NMERR_SUCCESS);
    CHECK_EQ(stats.TotalFramesCaptured, CU_FRAMES + 1);
    closing_IDelaydC(p);
    DestroyBlob(long_cfg);
}

static void stats_slots(void) {
    IStats *p = (IStats *)create(&IID_IStats);
    if (!p) return;
    CHECK_RC(IStats_Connect(p, cu_cfg, (LPVOID)cu_status_cb, NULL, NULL), NMERR_SUCCESS);
    CHECK_RC(IStats_Configure(p, cu_cfg, NULL), NMERR_SUCCESS);
    CHECK_RC(IStats_Start(p), NMERR_SUCCESS);
    capturing_IStats(p, NMERR_NOT_SUPPORTED, NMERR_SUCCESS); /* IStats: no frames to insert into */
    CHECK_RC(IStats_Stop(p), NMERR_SUCCESS);
    CHECK_RC(IStats_Stop(p), NMERR_NOT_CAPTURING);
    closing_IStats(p);
}

/* The seed's four Disconnect codes, written as SDK C code writes them. */
static void disconnect_codes(void) {
    IESP *pESP = (IESP *)create(&IID_IESP);
    IStats *pStats;
    char name[MAX_PATH];
    if (!pESP) return;
    CHECK_RC(pESP->lpVtbl->Disconnect(pESP), NMERR_NOT_CONNECTED);
    CHECK_RC(pESP->lpVtbl->Connect(pESP, cu_cfg, NULL, NULL, NULL), NMERR_SUCCESS);
    CHECK_RC(pESP->lpVtbl->Start(pESP, name), NMERR_SUCCESS);
    CHECK_RC(pESP->lpVtbl->Disconnect(pESP), NMERR_CAPTURING);
    CHECK_RC(pESP->lpVtbl->Pause(pESP, NULL), NMERR_SUCCESS);
    CHECK_RC(pESP->lpVtbl->Disconnect(pESP), NMERR_CAPTURING);
    CHECK_RC(pESP->lpVtbl->Stop(pESP, NULL), NMERR_SUCCESS);
    CHECK_RC(pESP->lpVtbl->Disconnect(pESP), NMERR_SUCCESS);
    CHECK_RC(pESP->lpVtbl->Disconnect(pESP), NMERR_NOT_CONNECTED);
    /* connected through IStats: IESP's methods answer NMERR_NOT_ESP, and the other way round */
    pStats = (IStats *)qi((IUnknown *)pESP, &IID_IStats);
    CHECK_RC(pStats->lpVtbl->Connect(pStats, cu_cfg, NULL, NULL, NULL), NMERR_SUCCESS);
    CHECK_RC(pESP->lpVtbl->Disconnect(pESP), NMERR_NOT_ESP);
    CHECK_RC(pESP->lpVtbl->Start(pESP, name), NMERR_NOT_ESP);
    CHECK_RC(pStats->lpVtbl->Disconnect(pStats), NMERR_SUCCESS);
    CHECK_RC(pESP->lpVtbl->Connect(pESP, cu_cfg, NULL, NULL, NULL), NMERR_SUCCESS);
    CHECK_RC(pStats->lpVtbl->Start(pStats), NMERR_NOT_STATS_ONLY);
    {
        IRTC *pRTC = (IRTC *)qi((IUnknown *)pESP, &IID_IRTC);
        IDelaydC *pDC = (IDelaydC *)qi((IUnknown *)pESP, &IID_IDelaydC);
        STATISTICS s;
        CHECK_RC(pRTC->lpVtbl->Start(pRTC), NMERR_NOT_REALTIME);
        CHECK_RC(pDC->lpVtbl->GetTotalStatistics(pDC, &s, FALSE), NMERR_NOT_DELAYED);
        CHECK_EQ(pRTC->lpVtbl->Release(pRTC), 3);
        CHECK_EQ(pDC->lpVtbl->Release(pDC), 2);
        CHECK_EQ(pStats->lpVtbl->Release(pStats), 1);
    }
    CHECK_EQ(pESP->lpVtbl->Release(pESP), 0);
}

/* The last Release stops, disconnects and destroys the NPP; the object then answers
 * NMERR_INVALID_HNETWORK, and counts stay at 0. */
static void last_release(void) {
    IESP *p = (IESP *)create(&IID_IESP);
    void *q = &q;
    NETWORKSTATUS ns;
    char name[MAX_PATH];
    unsigned terminations = cu_load(&cu_terminations);
    if (!p) return;
    CHECK_RC(IESP_Connect(p, cu_cfg, (LPVOID)cu_status_cb, NULL, NULL), NMERR_SUCCESS);
    CHECK_RC(IESP_Start(p, name), NMERR_SUCCESS);
    CHECK_EQ(IESP_Release(p), 0);
    CHECK_EQ(cu_load(&cu_terminations), terminations + 1);
    CHECK(ru_exists(name));
    /* after the last Release (the caller's bug, but no crash, and no double free) */
    CHECK_RC(IESP_Disconnect(p), NMERR_INVALID_HNETWORK);
    CHECK_RC(IESP_QueryStatus(p, &ns), NMERR_INVALID_HNETWORK);
    CHECK_RC(IESP_Stop(p, NULL), NMERR_INVALID_HNETWORK);
    CHECK_EQ(IESP_Release(p), 0);
    CHECK_EQ(IESP_AddRef(p), 0);
    CHECK_RC(IESP_QueryInterface(p, &IID_IRTC, &q), NMERR_INVALID_HNETWORK);
    CHECK(q == NULL);
}

#define THREADS 16
#define ROUNDS 2000

static void *refs_thread(void *arg) {
    IUnknown *unk = (IUnknown *)arg;
    int i;
    for (i = 0; i < ROUNDS; i++) {
        void *v = NULL;
        if (IUnknown_AddRef(unk) < 2) return arg;
        if (IUnknown_QueryInterface(unk, (i & 1) ? &IID_IRTC : &IID_IStats, &v) != NMERR_SUCCESS) return arg;
        if (IUnknown_Release((IUnknown *)v) < 2) return arg;
        if (IUnknown_Release(unk) < 1) return arg;
    }
    return NULL;
}

typedef struct {
    IUnknown *unk;
    ULONG result;
} ReleaseJob;

static void *release_job(void *arg) {
    ReleaseJob *job = (ReleaseJob *)arg;
    job->result = IUnknown_Release(job->unk);
    return NULL;
}

static void threads(void) {
    IUnknown *unk = (IUnknown *)create(&IID_IUnknown);
    pthread_t t[THREADS];
    ReleaseJob jobs[THREADS];
    int i, zeros = 0;
    unsigned terminations;
    if (!unk) return;
    CHECK_RC(IESP_Connect((IESP *)unk, cu_cfg, (LPVOID)cu_status_cb, NULL, NULL), NMERR_SUCCESS);
    for (i = 0; i < THREADS; i++) CHECK_EQ(pthread_create(&t[i], NULL, refs_thread, unk), 0);
    for (i = 0; i < THREADS; i++) {
        void *failed = &failed;
        CHECK_EQ(pthread_join(t[i], &failed), 0);
        CHECK(failed == NULL);
    }
    CHECK_EQ(IUnknown_AddRef(unk), 2);
    CHECK_EQ(IUnknown_Release(unk), 1);
    /* 16 references released at once: exactly one Release is the last, and destroys once */
    for (i = 1; i < THREADS; i++) IUnknown_AddRef(unk);
    terminations = cu_load(&cu_terminations);
    for (i = 0; i < THREADS; i++) {
        jobs[i].unk = unk;
        jobs[i].result = 99;
        CHECK_EQ(pthread_create(&t[i], NULL, release_job, &jobs[i]), 0);
    }
    for (i = 0; i < THREADS; i++) {
        CHECK_EQ(pthread_join(t[i], NULL), 0);
        zeros += jobs[i].result == 0;
        CHECK(jobs[i].result < THREADS);
    }
    CHECK_EQ(zeros, 1);
    CHECK_EQ(cu_load(&cu_terminations), terminations + 1);
    CHECK_EQ(IUnknown_Release(unk), 0);
}

int main(void) {
    if (cu_setup("com") != 0) {
        fprintf(stderr, "setup failed\n");
        return 1;
    }
    iids_and_layout();
    create_codes();
    query_interface();
    esp_slots();
    rtc_slots();
    dc_slots();
    stats_slots();
    disconnect_codes();
    last_release();
    threads();
    cu_teardown();
    return check_done("test_com");
}
