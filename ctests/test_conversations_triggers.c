/* Conversation statistics (stats_get_conversation_statistics) and buffer-content triggers, on
 * replay NICs with crafted pcap files whose expected results are known frame by frame. */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include "test_util.h"
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static const uint8_t MAC_A[6] = {2, 0, 0, 0, 0, 0xA}, MAC_B[6] = {2, 0, 0, 0, 0, 0xB}, MAC_C[6] = {2, 0, 0, 0, 0, 0xC};
static const uint8_t BCAST[6] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, MCAST[6] = {0x01, 0x00, 0x5E, 0, 0, 1};

typedef struct { const uint8_t *dst, *src; unsigned len; } spec_t;

/* A classic pcap of Ethernet frames (EtherType 0x88B5), timestamps 1 ms apart. */
static int write_pcap(const char *path, const spec_t *f, unsigned n) {
    tu_pcap p;
    if (tu_pcap_open(&p, path, 1, 65535, 0) != 0) return -1;
    for (unsigned i = 0; i < n; i++) {
        uint8_t buf[1600] = {0};
        memcpy(buf, f[i].dst, 6);
        memcpy(buf + 6, f[i].src, 6);
        buf[12] = 0x88; buf[13] = 0xB5;
        for (unsigned k = 14; k < f[i].len; k++) buf[k] = (uint8_t)(i + k);
        tu_pcap_frame(&p, 1700000000u, i * 1000u, buf, f[i].len, f[i].len);
    }
    return tu_pcap_close(&p);
}

static HBLOB nic_for(const char *pcap, const char *dir) {
    HBLOB b = NULL;
    CHECK_RC(CreateBlob(&b), NMERR_SUCCESS);
    SetStringInBlob(b, OWNER_NPP, CATEGORY_LOCATION, TAG_REPLAY_FILE, pcap);
    SetStringInBlob(b, OWNER_NPP, CATEGORY_CONFIG, TAG_CAPTURE_DIRECTORY, dir);
    SetStringInBlob(b, OWNER_NPP, CATEGORY_CONFIG, TAG_FILE_FORMAT, "PCAP");
    return b;
}

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap(void) {
    struct timespec ts = {0, 2 * 1000 * 1000};
    nanosleep(&ts, NULL);
}

/* Polls until FramesSeen reaches `want` (10 s deadline). */
static unsigned long long wait_seen(DWORD (*get)(HNPP, LPSTATISTICS_EX), HNPP h, unsigned long long want) {
    STATISTICS_EX ex;
    long long deadline = now_ms() + 10000;
    do {
        memset(&ex, 0, sizeof ex);
        ex.StructSize = sizeof ex;
        if (get(h, &ex) == NMERR_SUCCESS && ex.FramesSeen >= want) break;
        nap();
    } while (now_ms() < deadline);
    return ex.FramesSeen;
}

static int find_station(const STATIONSTATS *st, DWORD n, const uint8_t *mac) {
    for (DWORD i = 0; i < n; i++)
        if (memcmp(st[i].StationAddress, mac, 6) == 0) return (int)i;
    return -1;
}

static void conversations(const char *dir) {
    static const spec_t frames[] = {
        {MAC_B, MAC_A, 100}, {MAC_B, MAC_A, 100}, {MAC_B, MAC_A, 100}, {MAC_A, MAC_B, 60},
        {MAC_C, MAC_A, 200}, {MAC_C, MAC_A, 200}, {BCAST, MAC_C, 64}, {MCAST, MAC_B, 80},
    };
    char pcap[512];
    snprintf(pcap, sizeof pcap, "%s/conv.pcap", dir);
    CHECK(write_pcap(pcap, frames, 8) == 0);
    HBLOB nic = nic_for(pcap, dir);
    HNPP h = NULL;
    STATIONSTATS st[MAX_STATIONS];
    SESSIONSTATS se[MAX_SESSIONS];
    DWORD ns = 77, nt = 77;
    CHECK_RC(npp_create(nic, &h), NMERR_SUCCESS);
    CHECK_RC(stats_get_conversation_statistics(h, &ns, se, &nt, st, FALSE), NMERR_NOT_CONNECTED);
    CHECK_RC(stats_connect(h, nic, NULL, NULL, NULL), NMERR_SUCCESS);
    CHECK_RC(stats_get_conversation_statistics(h, &ns, se, &nt, st, FALSE), NMERR_NOT_CAPTURING);
    CHECK_RC(esp_connect(h, nic, NULL, NULL, NULL), NMERR_ALREADY_CONNECTED);
    CHECK_RC(stats_start(h), NMERR_SUCCESS);
    CHECK_EQ(wait_seen(stats_get_statistics_ex, h, 8), 8);
    CHECK_RC(stats_get_conversation_statistics(h, NULL, se, &nt, st, FALSE), NMERR_INVALID_PARAMETER);
    CHECK_RC(stats_get_conversation_statistics(h, &ns, NULL, &nt, st, FALSE), NMERR_INVALID_PARAMETER);
    CHECK_RC(stats_get_conversation_statistics(h, &ns, se, &nt, st, FALSE), NMERR_SUCCESS);
    CHECK_EQ(nt, 3);
    CHECK_EQ(ns, 3);
    int a = find_station(st, nt, MAC_A), b = find_station(st, nt, MAC_B), c = find_station(st, nt, MAC_C);
    CHECK(a >= 0 && b >= 0 && c >= 0);
    if (a >= 0 && b >= 0 && c >= 0) {
        CHECK_EQ(st[a].TotalDirectedPacketsSent, 5);
        CHECK_EQ(st[a].TotalBytesSent, 700);
        CHECK_EQ(st[a].TotalPacketsReceived, 1);
        CHECK_EQ(st[a].TotalBytesReceived, 60);
        CHECK_EQ(st[b].TotalPacketsReceived, 3);
        CHECK_EQ(st[b].TotalBytesReceived, 300);
        CHECK_EQ(st[b].TotalDirectedPacketsSent, 1);
        CHECK_EQ(st[b].TotalMulticastPacketsSent, 1);
        CHECK_EQ(st[c].TotalBroadcastPacketsSent, 1);
        CHECK_EQ(st[c].TotalPacketsReceived, 2);
        CHECK_EQ(st[c].TotalBytesReceived, 400);
        CHECK_EQ(st[c].SessionPartnerList, 0xFFFFFFFFu);
        /* A's sessions: A->B with 3 packets, then A->C with 2 */
        DWORD k = st[a].SessionPartnerList;
        CHECK(k < ns);
        if (k < ns) {
            CHECK_EQ(se[k].StationOwner, (DWORD)a);
            CHECK_EQ(se[k].StationPartner, (DWORD)b);
            CHECK_EQ(se[k].TotalPacketsSent, 3);
            DWORD k2 = se[k].NextSession;
            CHECK(k2 < ns);
            if (k2 < ns) {
                CHECK_EQ(se[k2].StationPartner, (DWORD)c);
                CHECK_EQ(se[k2].TotalPacketsSent, 2);
                CHECK_EQ(se[k2].NextSession, 0xFFFFFFFFu);
            }
        }
        /* the station chain visits all three and ends */
        DWORD seen = 0, i = 0;
        for (; i != 0xFFFFFFFFu && seen < 10; i = st[i].NextStationStats) seen++;
        CHECK_EQ(seen, 3);
    }
    /* clearing read: the next read is empty */
    CHECK_RC(stats_get_conversation_statistics(h, &ns, se, &nt, st, TRUE), NMERR_SUCCESS);
    CHECK_RC(stats_get_conversation_statistics(h, &ns, se, &nt, st, FALSE), NMERR_SUCCESS);
    CHECK_EQ(nt, 0);
    CHECK_EQ(ns, 0);
    CHECK_RC(stats_pause(h), NMERR_SUCCESS);
    CHECK_RC(stats_get_conversation_statistics(h, &ns, se, &nt, st, FALSE), NMERR_CAPTURE_PAUSED);
    CHECK_RC(stats_stop(h), NMERR_SUCCESS);
    CHECK_RC(stats_get_conversation_statistics(h, &ns, se, &nt, st, FALSE), NMERR_NOT_CAPTURING);
    /* NoConversationStats */
    {
        HBLOB cfg = NULL;
        CHECK_RC(CreateBlob(&cfg), NMERR_SUCCESS);
        SetBoolInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_NO_CONVERSATION_STATS, TRUE);
        CHECK_RC(stats_configure(h, cfg, NULL), NMERR_SUCCESS);
        CHECK_RC(stats_start(h), NMERR_SUCCESS);
        CHECK_RC(stats_get_conversation_statistics(h, &ns, se, &nt, st, FALSE), NMERR_NO_CONVERSATION_STATS);
        CHECK_RC(stats_stop(h), NMERR_SUCCESS);
        DestroyBlob(cfg);
    }
    CHECK_RC(stats_disconnect(h), NMERR_SUCCESS);
    /* ESP-connected NPP: NOT_STATS_ONLY */
    CHECK_RC(esp_connect(h, nic, NULL, NULL, NULL), NMERR_SUCCESS);
    CHECK_RC(stats_get_conversation_statistics(h, &ns, se, &nt, st, FALSE), NMERR_NOT_STATS_ONLY);
    CHECK_RC(esp_disconnect(h), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
    CHECK_RC(stats_get_conversation_statistics(h, &ns, se, &nt, st, FALSE), NMERR_INVALID_HNETWORK);
    DestroyBlob(nic);
    unlink(pcap);
}

/* ---- triggers -------------------------------------------------------------------------------- */

static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static UPDATE_EVENT events[16];
static STATISTICS event_stats[16];
static int nevents;

static DWORD record(UPDATE_EVENT e) {
    pthread_mutex_lock(&ev_lock);
    if (nevents < 16) {
        events[nevents] = e;
        if (e.lpFinalStats) event_stats[nevents] = *e.lpFinalStats;
        nevents++;
    }
    pthread_mutex_unlock(&ev_lock);
    return 0;
}

static int event_count(void) {
    pthread_mutex_lock(&ev_lock);
    int n = nevents;
    pthread_mutex_unlock(&ev_lock);
    return n;
}

/* Counts the records of a classic pcap file (-1 when unreadable). */
static long pcap_records(const char *path) {
    FILE *f = fopen(path, "rb");
    uint32_t rh[4];
    long n = 0;
    if (!f) return -1;
    fseek(f, 24, SEEK_SET);
    while (fread(rh, 4, 4, f) == 4) {
        if (fseek(f, (long)rh[2], SEEK_CUR) != 0) break;
        n++;
    }
    fclose(f);
    return n;
}

/* 20 frames of 100 bytes; BufferSize 1000; a BUFFER_CONTENT trigger at `level` with `action`. */
static void buffer_trigger(const char *dir, DWORD level, BYTE action) {
    spec_t frames[20];
    char pcap[512], name[4096];
    for (int i = 0; i < 20; i++) frames[i] = (spec_t){MAC_B, MAC_A, 100};
    snprintf(pcap, sizeof pcap, "%s/trig.pcap", dir);
    CHECK(write_pcap(pcap, frames, 20) == 0);
    HBLOB nic = nic_for(pcap, dir), err = NULL;
    HNPP h = NULL;
    TRIGGER t;
    NETWORKSTATUS ns;
    STATISTICS st;
    memset(&t, 0, sizeof t);
    t.TriggerActive = TRUE;
    t.TriggerType = TRIGGER_TYPE_BUFFER_CONTENT;
    t.TriggerAction = action;
    t.TriggerBufferSize = level;
    CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
    CHECK_RC(SetNPPTriggerInBlob(nic, &t, NULL), NMERR_SUCCESS);
    CHECK_RC(SetDwordInBlob(nic, OWNER_NPP, CATEGORY_CONFIG, TAG_BUFFER_SIZE, 1000), NMERR_SUCCESS);
    pthread_mutex_lock(&ev_lock);
    nevents = 0;
    pthread_mutex_unlock(&ev_lock);
    CHECK_RC(npp_create(nic, &h), NMERR_SUCCESS);
    CHECK_RC(esp_connect(h, nic, record, (LPVOID)(uintptr_t)0x5EED, err), NMERR_SUCCESS);
    CHECK_RC(esp_start(h, name, sizeof name), NMERR_SUCCESS);
    unsigned want = (250 * (level + 1) + 99) / 100; /* 100-byte frames to reach the level of 1000 */
    long long deadline = now_ms() + 10000;
    while (event_count() < 1 && now_ms() < deadline) nap();
    CHECK_EQ(event_count(), 1);
    CHECK_EQ(events[0].Event, UPDATE_EVENT_TRIGGER_BUFFER_CONTENT);
    CHECK_EQ(events[0].lpUserContext, 0x5EED);
    CHECK_EQ(event_stats[0].TotalFramesCaptured, want);
    CHECK_RC(esp_query_status(h, &ns), NMERR_SUCCESS);
    CHECK_EQ(ns.Flags, 0); /* fired: no longer pending */
    if (action == TRIGGER_ACTION_STOP) {
        CHECK_EQ(events[0].Action, UPDATE_ACTION_STOP_CAPTURE);
        CHECK_EQ(events[0].Status, NETWORKSTATUS_STATE_VOID);
        BOOL r = 7, p = 7;
        deadline = now_ms() + 10000;
        do { if (esp_get_control_state(h, &r, &p) == NMERR_SUCCESS && !r) break; nap(); } while (now_ms() < deadline);
        CHECK_EQ(r, FALSE);
        CHECK_RC(esp_stop(h, &st), NMERR_NOT_CAPTURING);
        CHECK_EQ(pcap_records(name), want); /* the frames up to the trigger, the firing one last */
    } else if (action == TRIGGER_ACTION_PAUSE) {
        CHECK_EQ(events[0].Action, UPDATE_ACTION_PAUSE_CAPTURE);
        CHECK_EQ(events[0].Status, NETWORKSTATUS_STATE_PAUSED);
        CHECK_RC(esp_query_status(h, &ns), NMERR_SUCCESS);
        CHECK_EQ(ns.State, NETWORKSTATUS_STATE_PAUSED);
        BOOL r = 7, p = 7;
        CHECK_RC(esp_get_control_state(h, &r, &p), NMERR_SUCCESS);
        CHECK(r == TRUE && p == TRUE);
        CHECK_RC(esp_pause(h, NULL), NMERR_CAPTURE_PAUSED);
        CHECK_RC(esp_resume(h), NMERR_SUCCESS);
        CHECK_RC(esp_stop(h, &st), NMERR_SUCCESS);
        CHECK_EQ(st.TotalFramesCaptured, want); /* the rest was read while paused */
        CHECK_EQ(st.TotalFramesSeen, 20);
        CHECK_EQ(pcap_records(name), want);
    } else {
        CHECK_EQ(events[0].Action, UPDATE_ACTION_NOTIFY);
        CHECK_EQ(events[0].Status, NETWORKSTATUS_STATE_CAPTURING);
        STATISTICS_EX ex;
        deadline = now_ms() + 10000;
        do { memset(&ex, 0, sizeof ex); ex.StructSize = sizeof ex; if (esp_get_statistics_ex(h, &ex) == NMERR_SUCCESS && ex.FramesCaptured >= 20) break; nap(); } while (now_ms() < deadline);
        CHECK_RC(esp_stop(h, &st), NMERR_SUCCESS);
        CHECK_EQ(st.TotalFramesCaptured, 20); /* NOTIFY changes nothing */
        CHECK_EQ(pcap_records(name), 20);
    }
    CHECK_RC(esp_disconnect(h), NMERR_SUCCESS);
    /* the last event is TERMINATE_THREAD */
    CHECK(event_count() >= 2 && events[event_count() - 1].Event == UPDATE_EVENT_TERMINATE_THREAD);
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
    unlink(name);
    unlink(pcap);
    DestroyBlob(nic);
    DestroyBlob(err);
}

/* An armed trigger that cannot fire: TRIGGER_PENDING while capturing, cleared by Stop. */
static void trigger_pending(const char *dir) {
    spec_t frames[3] = {{MAC_B, MAC_A, 60}, {MAC_B, MAC_A, 60}, {MAC_B, MAC_A, 60}};
    char pcap[512], name[4096];
    snprintf(pcap, sizeof pcap, "%s/pend.pcap", dir);
    CHECK(write_pcap(pcap, frames, 3) == 0);
    HBLOB nic = nic_for(pcap, dir);
    HNPP h = NULL;
    TRIGGER t;
    NETWORKSTATUS ns;
    memset(&t, 0, sizeof t);
    t.TriggerActive = TRUE;
    t.TriggerType = TRIGGER_TYPE_BUFFER_CONTENT;
    t.TriggerAction = TRIGGER_ACTION_STOP;
    t.TriggerBufferSize = TRIGGER_BUFFER_FULL_100_PERCENT;
    SetNPPTriggerInBlob(nic, &t, NULL);
    CHECK_RC(npp_create(nic, &h), NMERR_SUCCESS);
    CHECK_RC(esp_connect(h, nic, NULL, NULL, NULL), NMERR_SUCCESS);
    CHECK_RC(esp_query_status(h, &ns), NMERR_SUCCESS);
    CHECK_EQ(ns.Flags, 0);
    CHECK_RC(esp_start(h, name, sizeof name), NMERR_SUCCESS);
    CHECK_RC(esp_query_status(h, &ns), NMERR_SUCCESS);
    CHECK_EQ(ns.Flags, NETWORKSTATUS_FLAGS_TRIGGER_PENDING);
    CHECK_RC(esp_stop(h, NULL), NMERR_SUCCESS);
    CHECK_RC(esp_query_status(h, &ns), NMERR_SUCCESS);
    CHECK_EQ(ns.Flags, 0);
    CHECK_RC(esp_disconnect(h), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
    unlink(name);
    unlink(pcap);
    DestroyBlob(nic);
}

int main(void) {
    char dir[] = "/tmp/ndisnpp-convtrig-XXXXXX";
    if (!mkdtemp(dir)) return 2;
    conversations(dir);
    for (DWORD level = 0; level < 4; level++) buffer_trigger(dir, level, TRIGGER_ACTION_STOP);
    buffer_trigger(dir, TRIGGER_BUFFER_FULL_50_PERCENT, TRIGGER_ACTION_PAUSE);
    buffer_trigger(dir, TRIGGER_BUFFER_FULL_25_PERCENT, TRIGGER_ACTION_NOTIFY);
    trigger_pending(dir);
    rmdir(dir);
    return check_done("test_conversations_triggers");
}
