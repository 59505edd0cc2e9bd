/* Concurrency stress of the NPP functions: 16 threads call the control and status functions of
 * all four families (esp_*, stats_*, rtc_*, dc_*, the *_get_statistics_ex extensions, npp_destroy
 * on dead handles) in random order on 64 NPPs over replay NICs, while thread 0 also destroys and
 * re-creates NPPs. Every answer must be one of the codes the header and SDK b.3 allow for that
 * function in some state (the union over all states, plus NMERR_INVALID_HNETWORK for a handle
 * destroyed meanwhile). A deadlock watchdog thread fails the test when no call has returned for
 * STALL_S seconds (and an alarm bounds the whole run). At the end everything is stopped,
 * disconnected and destroyed, and every handle ever made must answer NMERR_INVALID_HNETWORK.
 *
 * Each thread runs for NDISNPP_STRESS_SECONDS (default 30) seconds; fixed seeds. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include "check.h"
#include "replay_util.h"

#define NSLOTS 64
#define NTHREADS 16
#define DEFAULT_RUN_S 30
#define STALL_S 20
#define MAX_DEAD 4096
#define REPLAY_FRAMES 5
#define END 0xFFFFFFFFu

static char g_dir[512], g_capdir[600], g_replay[600], g_replay0[600];
static HBLOB g_nic, g_nic0;                    /* 5 frames, 0 frames */
static HBLOB g_cfg[4];                         /* plain, frame limit, keep-empty + pcap, malformed */
#define CFG_BAD 3
static HBLOB g_err;                            /* a shared error BLOB */
static char g_setup_name[4096];

static uintptr_t g_slot[NSLOTS];               /* the live handles (atomic loads and stores) */
static pthread_mutex_t g_dead_mu = PTHREAD_MUTEX_INITIALIZER;
static uintptr_t g_dead[MAX_DEAD];             /* handles thread 0 destroyed */
static int g_ndead;

static long g_violations;                      /* atomic */
static long g_calls;                           /* atomic */
static long g_cb_connects;                     /* successful Connects with a callback (atomic) */
static long g_cb_terminates;                   /* UPDATE_EVENT_TERMINATE_THREAD received (atomic) */
static long g_cb_stops;                        /* UPDATE_EVENT_NETWORK_STATUS received (atomic) */
static long g_frames;                          /* frames the IRTC frames callback received (atomic) */
static long g_successes[64];                   /* per op (atomic): proves the ops really ran */
static long long g_run_ms;

static HNPP slot_get(int i) { return (HNPP)__atomic_load_n(&g_slot[i], __ATOMIC_ACQUIRE); }
static void slot_set(int i, HNPP h) { __atomic_store_n(&g_slot[i], (uintptr_t)h, __ATOMIC_RELEASE); }

static void violation(const char *what, DWORD rc, const char *detail) {
    long n = __atomic_fetch_add(&g_violations, 1, __ATOMIC_RELAXED);
    if (n < 10)
        fprintf(stderr, "violation: %s returned %u (%s)%s%s\n", what, (unsigned)rc, nmerr_text(rc), detail ? ": " : "",
                detail ? detail : "");
}

static int in(DWORD rc, const DWORD *legal) {
    for (; *legal != END; legal++)
        if (*legal == rc) return 1;
    return 0;
}

/* ---- the legal answers of each function (union over N/C/R/P, other family, dead handle) --- */

#define H NMERR_INVALID_HNETWORK
static const DWORD L_CONNECT[] = {NMERR_SUCCESS, NMERR_ALREADY_CONNECTED, H, END};
static const DWORD L_CONNECT_BAD[] = {NMERR_BLOB_CONVERSION_ERROR, NMERR_ALREADY_CONNECTED, H, END};
static const DWORD L_QUERY[] = {NMERR_SUCCESS, H, END};
static const DWORD L_ESP_DISCONNECT[] = {NMERR_SUCCESS, NMERR_CAPTURING, NMERR_NOT_CONNECTED, NMERR_NOT_ESP, H, END};
static const DWORD L_ESP_CONFIGURE[] = {NMERR_SUCCESS, NMERR_NOT_CONNECTED, NMERR_NOT_ESP, NMERR_CAPTURING, H, END};
static const DWORD L_ESP_CONFIGURE_BAD[] = {NMERR_BLOB_CONVERSION_ERROR, NMERR_NOT_CONNECTED, NMERR_NOT_ESP, NMERR_CAPTURING, H, END};
static const DWORD L_ESP_START[] = {NMERR_SUCCESS, NMERR_NOT_CONNECTED, NMERR_NOT_ESP, NMERR_CAPTURING, NMERR_CAPTURE_PAUSED, H, END};
static const DWORD L_ESP_START_SMALL[] = {NMERR_INVALID_PARAMETER, NMERR_NOT_CONNECTED, NMERR_NOT_ESP, NMERR_CAPTURING,
                                          NMERR_CAPTURE_PAUSED, H, END};
static const DWORD L_ESP_PAUSE[] = {NMERR_SUCCESS, NMERR_NOT_CONNECTED, NMERR_NOT_ESP, NMERR_NOT_CAPTURING, NMERR_CAPTURE_PAUSED, H, END};
static const DWORD L_ESP_RESUME[] = {NMERR_SUCCESS, NMERR_NOT_CONNECTED, NMERR_NOT_ESP, NMERR_CAPTURE_NOT_PAUSED, H, END};
static const DWORD L_ESP_STOP[] = {NMERR_SUCCESS, NMERR_NOT_CONNECTED, NMERR_NOT_ESP, NMERR_NOT_CAPTURING, H, END};
static const DWORD L_ESP_CONTROL[] = {NMERR_SUCCESS, NMERR_NOT_CONNECTED, NMERR_NOT_ESP, H, END};
static const DWORD L_ESP_STATS_EX[] = {NMERR_SUCCESS, NMERR_NOT_CONNECTED, NMERR_NOT_ESP, NMERR_NOT_CAPTURING, H, END};
static const DWORD L_ST_DISCONNECT[] = {NMERR_SUCCESS, NMERR_CAPTURING, NMERR_NOT_CONNECTED, NMERR_NOT_STATS_ONLY, H, END};
static const DWORD L_ST_CONFIGURE[] = {NMERR_SUCCESS, NMERR_NOT_CONNECTED, NMERR_NOT_STATS_ONLY, NMERR_CAPTURING, H, END};
static const DWORD L_ST_CONFIGURE_BAD[] = {NMERR_BLOB_CONVERSION_ERROR, NMERR_NOT_CONNECTED, NMERR_NOT_STATS_ONLY, NMERR_CAPTURING, H, END};
static const DWORD L_ST_START[] = {NMERR_SUCCESS, NMERR_NOT_CONNECTED, NMERR_NOT_STATS_ONLY, NMERR_CAPTURING, NMERR_CAPTURE_PAUSED, H, END};
static const DWORD L_ST_PAUSE[] = {NMERR_SUCCESS, NMERR_NOT_CONNECTED, NMERR_NOT_STATS_ONLY, NMERR_NOT_CAPTURING, NMERR_CAPTURE_PAUSED, H, END};
static const DWORD L_ST_RESUME[] = {NMERR_SUCCESS, NMERR_NOT_CONNECTED, NMERR_NOT_STATS_ONLY, NMERR_CAPTURE_NOT_PAUSED, H, END};
static const DWORD L_ST_STOP[] = {NMERR_SUCCESS, NMERR_NOT_CONNECTED, NMERR_NOT_STATS_ONLY, NMERR_NOT_CAPTURING, H, END};
static const DWORD L_ST_CONTROL[] = {NMERR_SUCCESS, NMERR_NOT_CONNECTED, NMERR_NOT_STATS_ONLY, H, END};
static const DWORD L_ST_STATS[] = {NMERR_SUCCESS, NMERR_NOT_CONNECTED, NMERR_NOT_STATS_ONLY, NMERR_NOT_CAPTURING, H, END};
static const DWORD L_RT_DISCONNECT[] = {NMERR_SUCCESS, NMERR_CAPTURING, NMERR_NOT_CONNECTED, NMERR_NOT_REALTIME, H, END};
static const DWORD L_RT_CONFIGURE[] = {NMERR_SUCCESS, NMERR_NOT_CONNECTED, NMERR_NOT_REALTIME, NMERR_CAPTURING, H, END};
static const DWORD L_RT_CONFIGURE_BAD[] = {NMERR_BLOB_CONVERSION_ERROR, NMERR_NOT_CONNECTED, NMERR_NOT_REALTIME, NMERR_CAPTURING, H, END};
static const DWORD L_RT_START[] = {NMERR_SUCCESS, NMERR_NOT_CONNECTED, NMERR_NOT_REALTIME, NMERR_CAPTURING, NMERR_CAPTURE_PAUSED, H, END};
static const DWORD L_RT_PAUSE[] = {NMERR_SUCCESS, NMERR_NOT_CONNECTED, NMERR_NOT_REALTIME, NMERR_NOT_CAPTURING, NMERR_CAPTURE_PAUSED, H, END};
static const DWORD L_RT_RESUME[] = {NMERR_SUCCESS, NMERR_NOT_CONNECTED, NMERR_NOT_REALTIME, NMERR_CAPTURE_NOT_PAUSED, H, END};
static const DWORD L_RT_STOP[] = {NMERR_SUCCESS, NMERR_NOT_CONNECTED, NMERR_NOT_REALTIME, NMERR_NOT_CAPTURING, H, END};
static const DWORD L_RT_STATS[] = {NMERR_SUCCESS, NMERR_NOT_CONNECTED, NMERR_NOT_REALTIME, NMERR_NOT_CAPTURING, H, END};
static const DWORD L_DC_DISCONNECT[] = {NMERR_SUCCESS, NMERR_CAPTURING, NMERR_NOT_CONNECTED, NMERR_NOT_DELAYED, H, END};
static const DWORD L_DC_CONFIGURE[] = {NMERR_SUCCESS, NMERR_NOT_CONNECTED, NMERR_NOT_DELAYED, NMERR_CAPTURING, H, END};
static const DWORD L_DC_CONFIGURE_BAD[] = {NMERR_BLOB_CONVERSION_ERROR, NMERR_NOT_CONNECTED, NMERR_NOT_DELAYED, NMERR_CAPTURING, H, END};
static const DWORD L_DC_START[] = {NMERR_SUCCESS, NMERR_NOT_CONNECTED, NMERR_NOT_DELAYED, NMERR_CAPTURING, NMERR_CAPTURE_PAUSED, H, END};
static const DWORD L_DC_PAUSE[] = {NMERR_SUCCESS, NMERR_NOT_CONNECTED, NMERR_NOT_DELAYED, NMERR_NOT_CAPTURING, NMERR_CAPTURE_PAUSED, H, END};
static const DWORD L_DC_RESUME[] = {NMERR_SUCCESS, NMERR_NOT_CONNECTED, NMERR_NOT_DELAYED, NMERR_CAPTURE_NOT_PAUSED, H, END};
static const DWORD L_DC_STOP[] = {NMERR_SUCCESS, NMERR_NOT_CONNECTED, NMERR_NOT_DELAYED, NMERR_NOT_CAPTURING, H, END};
static const DWORD L_DC_STATS[] = {NMERR_SUCCESS, NMERR_NOT_CONNECTED, NMERR_NOT_DELAYED, NMERR_NOT_CAPTURING, NMERR_CAPTURE_PAUSED, H, END};
static const DWORD L_DEAD[] = {H, END};
#undef H

enum {
    OP_ESP_CONNECT, OP_ESP_DISCONNECT, OP_ESP_QUERY, OP_ESP_CONFIGURE, OP_ESP_START, OP_ESP_PAUSE, OP_ESP_RESUME,
    OP_ESP_STOP, OP_ESP_CONTROL, OP_ESP_STATS_EX,
    OP_ST_CONNECT, OP_ST_DISCONNECT, OP_ST_QUERY, OP_ST_CONFIGURE, OP_ST_START, OP_ST_PAUSE, OP_ST_RESUME,
    OP_ST_STOP, OP_ST_CONTROL, OP_ST_TOTALS, OP_ST_STATS_EX,
    OP_RT_CONNECT, OP_RT_DISCONNECT, OP_RT_CONFIGURE, OP_RT_START, OP_RT_PAUSE, OP_RT_RESUME, OP_RT_STOP, OP_RT_TOTALS,
    OP_DC_CONNECT, OP_DC_DISCONNECT, OP_DC_CONFIGURE, OP_DC_START, OP_DC_PAUSE, OP_DC_RESUME, OP_DC_STOP, OP_DC_STATS_EX,
    OP_DESTROY_DEAD, NOPS
};
static const char *const OP_NAMES[NOPS] = {
    "esp_connect", "esp_disconnect", "esp_query_status", "esp_configure", "esp_start", "esp_pause", "esp_resume",
    "esp_stop", "esp_get_control_state", "esp_get_statistics_ex",
    "stats_connect", "stats_disconnect", "stats_query_status", "stats_configure", "stats_start", "stats_pause",
    "stats_resume", "stats_stop", "stats_get_control_state", "stats_get_total_statistics", "stats_get_statistics_ex",
    "rtc_connect", "rtc_disconnect", "rtc_configure", "rtc_start", "rtc_pause", "rtc_resume", "rtc_stop",
    "rtc_get_total_statistics",
    "dc_connect", "dc_disconnect", "dc_configure", "dc_start", "dc_pause", "dc_resume", "dc_stop", "dc_get_statistics_ex",
    "npp_destroy(dead)"};

/* ---- the status callback: its context is the NPP handle itself ------------------------------ */

static DWORD stress_callback(UPDATE_EVENT ev) {
    HNPP h = (HNPP)ev.lpUserContext;
    NETWORKSTATUS ns;
    DWORD rc;
    ns.State = 0xDEAD;
    rc = esp_query_status(h, &ns); /* back into the library from its thread */
    if (rc != NMERR_SUCCESS && rc != NMERR_INVALID_HNETWORK) violation("esp_query_status in the callback", rc, NULL);
    if (rc == NMERR_SUCCESS && ns.State != NETWORKSTATUS_STATE_VOID && ns.State != NETWORKSTATUS_STATE_CAPTURING &&
        ns.State != NETWORKSTATUS_STATE_PAUSED)
        violation("esp_query_status in the callback", rc, "bad State");
    if (ev.Event == UPDATE_EVENT_TERMINATE_THREAD) {
        __atomic_fetch_add(&g_cb_terminates, 1, __ATOMIC_RELAXED);
    } else if (ev.Event == UPDATE_EVENT_NETWORK_STATUS) {
        __atomic_fetch_add(&g_cb_stops, 1, __ATOMIC_RELAXED);
        if (ev.Action != UPDATE_ACTION_STOP_CAPTURE) violation("callback", ev.Action, "NETWORK_STATUS with an unexpected Action");
        if (!ev.lpFinalStats) violation("callback", 0, "stop event without lpFinalStats");
        else if (ev.lpFinalStats->TotalFramesCaptured > REPLAY_FRAMES)
            violation("callback", ev.lpFinalStats->TotalFramesCaptured, "more frames than the replay file holds");
    } else {
        violation("callback", ev.Event, "unexpected Event");
    }
    return 0;
}

/* The IRTC frames callback: a table within its bounds, no more frames than the replay holds. */
static DWORD stress_frames(UPDATE_EVENT ev) {
    LPFRAMETABLE t = ev.lpFrameTable;
    if (!t) {
        violation("frames callback", ev.Event, "no frame table");
        return 0;
    }
    if (t->FrameCount > t->FrameTableLength || t->FrameCount > REPLAY_FRAMES)
        violation("frames callback", t->FrameCount, "more frames than the table or the replay holds");
    __atomic_fetch_add(&g_frames, (long)t->FrameCount, __ATOMIC_RELAXED);
    return 0;
}

/* ---- one call ------------------------------------------------------------------------------- */

static void check_stats_ex(const char *what, const STATISTICS_EX *x) {
    if (x->FramesCaptured > REPLAY_FRAMES || x->FramesSeen > REPLAY_FRAMES) violation(what, 0, "more frames than the replay file holds");
}

static void one_call(int op, HNPP h, unsigned *seed) {
    unsigned r = (unsigned)rand_r(seed);
    int c = (int)(r % 4);
    HBLOB cfg = g_cfg[c];
    HBLOB err = (r >> 4) % 2 ? g_err : NULL;
    int with_cb = (r >> 5) % 2;
    DWORD rc;
    const DWORD *legal;
    NETWORKSTATUS ns;
    BOOL run = 7, pau = 7;
    STATISTICS st;
    STATISTICS_EX x;
    char name[4096];
    memset(&x, 0, sizeof x);
    x.StructSize = sizeof x;
    switch (op) {
    case OP_ESP_CONNECT:
    case OP_ST_CONNECT:
        rc = (op == OP_ESP_CONNECT ? esp_connect : stats_connect)(h, cfg, with_cb ? stress_callback : NULL,
                                                                 with_cb ? (LPVOID)h : NULL, err);
        legal = c == CFG_BAD ? L_CONNECT_BAD : L_CONNECT;
        if (rc == NMERR_SUCCESS && with_cb) __atomic_fetch_add(&g_cb_connects, 1, __ATOMIC_RELAXED);
        break;
    case OP_ESP_DISCONNECT: rc = esp_disconnect(h); legal = L_ESP_DISCONNECT; break;
    case OP_ST_DISCONNECT: rc = stats_disconnect(h); legal = L_ST_DISCONNECT; break;
    case OP_ESP_QUERY:
    case OP_ST_QUERY:
        ns.State = 0xDEAD;
        rc = (op == OP_ESP_QUERY ? esp_query_status : stats_query_status)(h, &ns);
        legal = L_QUERY;
        if (rc == NMERR_SUCCESS && ns.State != NETWORKSTATUS_STATE_VOID && ns.State != NETWORKSTATUS_STATE_CAPTURING &&
            ns.State != NETWORKSTATUS_STATE_PAUSED)
            violation(OP_NAMES[op], rc, "bad State");
        break;
    case OP_ESP_CONFIGURE: rc = esp_configure(h, cfg, err); legal = c == CFG_BAD ? L_ESP_CONFIGURE_BAD : L_ESP_CONFIGURE; break;
    case OP_ST_CONFIGURE: rc = stats_configure(h, cfg, err); legal = c == CFG_BAD ? L_ST_CONFIGURE_BAD : L_ST_CONFIGURE; break;
    case OP_ESP_START:
        if ((r >> 6) % 8 == 0) {
            rc = esp_start(h, name, 5);
            legal = L_ESP_START_SMALL;
        } else {
            rc = esp_start(h, name, sizeof name);
            legal = L_ESP_START;
            if (rc == NMERR_SUCCESS && (strncmp(name, g_capdir, strlen(g_capdir)) != 0 || !(ru_ends_with(name, ".cap") || ru_ends_with(name, ".pcap") || ru_ends_with(name, ".pcapng"))))
                violation("esp_start", rc, "file name outside the capture directory");
        }
        break;
    case OP_ESP_PAUSE: rc = esp_pause(h, (r >> 6) % 2 ? &st : NULL); legal = L_ESP_PAUSE; break;
    case OP_ESP_RESUME: rc = esp_resume(h); legal = L_ESP_RESUME; break;
    case OP_ESP_STOP:
        memset(&st, 0, sizeof st);
        rc = esp_stop(h, (r >> 6) % 2 ? &st : NULL);
        legal = L_ESP_STOP;
        if (rc == NMERR_SUCCESS && st.TotalFramesCaptured > REPLAY_FRAMES) violation("esp_stop", rc, "too many frames");
        break;
    case OP_ESP_CONTROL:
    case OP_ST_CONTROL:
        rc = (op == OP_ESP_CONTROL ? esp_get_control_state : stats_get_control_state)(h, &run, &pau);
        legal = op == OP_ESP_CONTROL ? L_ESP_CONTROL : L_ST_CONTROL;
        if (rc == NMERR_SUCCESS && ((run != TRUE && run != FALSE) || (pau != TRUE && pau != FALSE) || (pau && !run)))
            violation(OP_NAMES[op], rc, "inconsistent IsRunnning/IsPaused");
        break;
    case OP_ESP_STATS_EX:
        rc = esp_get_statistics_ex(h, &x);
        legal = L_ESP_STATS_EX;
        if (rc == NMERR_SUCCESS) check_stats_ex(OP_NAMES[op], &x);
        break;
    case OP_ST_START: rc = stats_start(h); legal = L_ST_START; break;
    case OP_ST_PAUSE: rc = stats_pause(h); legal = L_ST_PAUSE; break;
    case OP_ST_RESUME: rc = stats_resume(h); legal = L_ST_RESUME; break;
    case OP_ST_STOP: rc = stats_stop(h); legal = L_ST_STOP; break;
    case OP_ST_TOTALS:
        memset(&st, 0, sizeof st);
        rc = stats_get_total_statistics(h, &st, (r >> 6) % 4 == 0);
        legal = L_ST_STATS;
        if (rc == NMERR_SUCCESS && st.TotalFramesCaptured > REPLAY_FRAMES) violation(OP_NAMES[op], rc, "too many frames");
        break;
    case OP_ST_STATS_EX:
        rc = stats_get_statistics_ex(h, &x);
        legal = L_ST_STATS;
        if (rc == NMERR_SUCCESS) check_stats_ex(OP_NAMES[op], &x);
        break;
    case OP_RT_CONNECT:
        rc = rtc_connect(h, cfg, with_cb ? stress_callback : NULL, stress_frames, (LPVOID)h, err);
        legal = c == CFG_BAD ? L_CONNECT_BAD : L_CONNECT;
        if (rc == NMERR_SUCCESS && with_cb) __atomic_fetch_add(&g_cb_connects, 1, __ATOMIC_RELAXED);
        break;
    case OP_DC_CONNECT:
        rc = dc_connect(h, cfg, with_cb ? stress_callback : NULL, with_cb ? (LPVOID)h : NULL, err);
        legal = c == CFG_BAD ? L_CONNECT_BAD : L_CONNECT;
        if (rc == NMERR_SUCCESS && with_cb) __atomic_fetch_add(&g_cb_connects, 1, __ATOMIC_RELAXED);
        break;
    case OP_RT_DISCONNECT: rc = rtc_disconnect(h); legal = L_RT_DISCONNECT; break;
    case OP_DC_DISCONNECT: rc = dc_disconnect(h); legal = L_DC_DISCONNECT; break;
    case OP_RT_CONFIGURE: rc = rtc_configure(h, cfg, err); legal = c == CFG_BAD ? L_RT_CONFIGURE_BAD : L_RT_CONFIGURE; break;
    case OP_DC_CONFIGURE: rc = dc_configure(h, cfg, err); legal = c == CFG_BAD ? L_DC_CONFIGURE_BAD : L_DC_CONFIGURE; break;
    case OP_RT_START: rc = rtc_start(h); legal = L_RT_START; break;
    case OP_DC_START:
        rc = dc_start(h, name, sizeof name);
        legal = L_DC_START;
        if (rc == NMERR_SUCCESS && (strncmp(name, g_capdir, strlen(g_capdir)) != 0 || !(ru_ends_with(name, ".cap") || ru_ends_with(name, ".pcap") || ru_ends_with(name, ".pcapng"))))
            violation("dc_start", rc, "file name outside the capture directory");
        break;
    case OP_RT_PAUSE: rc = rtc_pause(h); legal = L_RT_PAUSE; break;
    case OP_DC_PAUSE: rc = dc_pause(h); legal = L_DC_PAUSE; break;
    case OP_RT_RESUME: rc = rtc_resume(h); legal = L_RT_RESUME; break;
    case OP_DC_RESUME: rc = dc_resume(h); legal = L_DC_RESUME; break;
    case OP_RT_STOP: rc = rtc_stop(h); legal = L_RT_STOP; break;
    case OP_DC_STOP:
        memset(&st, 0, sizeof st);
        rc = dc_stop(h, (r >> 6) % 2 ? &st : NULL);
        legal = L_DC_STOP;
        if (rc == NMERR_SUCCESS && st.TotalFramesCaptured > REPLAY_FRAMES) violation("dc_stop", rc, "too many frames");
        break;
    case OP_RT_TOTALS:
        memset(&st, 0, sizeof st);
        rc = rtc_get_total_statistics(h, &st, (r >> 6) % 4 == 0);
        legal = L_RT_STATS;
        if (rc == NMERR_SUCCESS && st.TotalFramesCaptured > REPLAY_FRAMES) violation(OP_NAMES[op], rc, "too many frames");
        break;
    case OP_DC_STATS_EX:
        rc = dc_get_statistics_ex(h, &x);
        legal = L_DC_STATS;
        if (rc == NMERR_SUCCESS) check_stats_ex(OP_NAMES[op], &x);
        break;
    default: { /* npp_destroy on a handle thread 0 destroyed */
        uintptr_t dead = 0;
        pthread_mutex_lock(&g_dead_mu);
        if (g_ndead > 0) dead = g_dead[r % (unsigned)g_ndead];
        pthread_mutex_unlock(&g_dead_mu);
        if (!dead) return;
        rc = npp_destroy((HNPP)dead);
        legal = L_DEAD;
        if (rc == NMERR_INVALID_HNETWORK) {
            DWORD q = esp_query_status((HNPP)dead, &ns);
            if (q != NMERR_INVALID_HNETWORK) violation("esp_query_status(dead handle)", q, NULL);
        }
        break;
    }
    }
    __atomic_fetch_add(&g_calls, 1, __ATOMIC_RELAXED);
    if (rc == NMERR_SUCCESS) __atomic_fetch_add(&g_successes[op], 1, __ATOMIC_RELAXED);
    if (!in(rc, legal)) violation(OP_NAMES[op], rc, c == CFG_BAD ? "with the malformed configuration" : NULL);
}

/* Thread 0's extra move: destroy the NPP of a slot (whatever its state) and put a new one there. */
static void recreate(unsigned *seed) {
    int i = (int)((unsigned)rand_r(seed) % NSLOTS);
    HNPP old = slot_get(i), fresh = NULL;
    DWORD rc = npp_destroy(old);
    if (rc != NMERR_SUCCESS) violation("npp_destroy (thread 0)", rc, NULL);
    pthread_mutex_lock(&g_dead_mu);
    if (g_ndead < MAX_DEAD) g_dead[g_ndead++] = (uintptr_t)old;
    pthread_mutex_unlock(&g_dead_mu);
    rc = npp_create(i % 8 == 7 ? g_nic0 : g_nic, &fresh);
    if (rc != NMERR_SUCCESS || !fresh) {
        violation("npp_create (thread 0)", rc, NULL);
        return;
    }
    slot_set(i, fresh);
}

static void *worker(void *arg) {
    int id = (int)(intptr_t)arg;
    unsigned seed = 0x5eed0000u + 7919u * (unsigned)id;
    long long deadline = ru_now_ms() + g_run_ms;
    while (ru_now_ms() < deadline) {
        unsigned r = (unsigned)rand_r(&seed);
        if (id == 0 && r % 50 == 0) {
            recreate(&seed);
            continue;
        }
        one_call((int)((r >> 8) % NOPS), slot_get((int)((r >> 16) % NSLOTS)), &seed);
    }
    return NULL;
}

/* The deadlock watchdog: fails the test when g_calls has not moved for STALL_S seconds while the
 * workers run (every call is bounded; a stall means a call that never returns). */
static volatile int g_workers_done;
static void *watchdog(void *unused) {
    long last = -1;
    long long last_change = ru_now_ms();
    (void)unused;
    while (!__atomic_load_n(&g_workers_done, __ATOMIC_ACQUIRE)) {
        long now = __atomic_load_n(&g_calls, __ATOMIC_RELAXED);
        if (now != last) {
            last = now;
            last_change = ru_now_ms();
        } else if (ru_now_ms() - last_change > STALL_S * 1000LL) {
            fprintf(stderr, "deadlock? test_stress: no call returned for %d s (%ld calls so far)\n", STALL_S, now);
            _exit(1);
        }
        ru_sleep_ms(100);
    }
    return NULL;
}

static void on_alarm(int sig) {
    static const char msg[] = "deadlock? test_stress watchdog fired\n";
    (void)sig;
    if (write(2, msg, sizeof msg - 1) < 0) _exit(1);
    _exit(1);
}

static int setup(void) {
    int i;
    if (ru_mkdtemp(g_dir, sizeof g_dir, "ndisnpp-stress") != 0) return -1;
    snprintf(g_capdir, sizeof g_capdir, "%s/cap", g_dir);
    snprintf(g_replay, sizeof g_replay, "%s/five.pcap", g_dir);
    snprintf(g_replay0, sizeof g_replay0, "%s/empty.pcap", g_dir);
    if (ru_write_pcap(g_replay, REPLAY_FRAMES) != 0 || ru_write_pcap(g_replay0, 0) != 0) return -1;
    g_nic = ru_replay_nic(g_replay);
    g_nic0 = ru_replay_nic(g_replay0);
    for (i = 0; i < 4; i++) g_cfg[i] = ru_config(g_capdir);
    if (!g_nic || !g_nic0 || !g_cfg[0] || !g_cfg[1] || !g_cfg[2] || !g_cfg[3]) return -1;
    CHECK_RC(SetDwordInBlob(g_cfg[1], OWNER_NPP, CATEGORY_CONFIG, TAG_FRAME_LIMIT, 3), NMERR_SUCCESS);
    CHECK_RC(SetBoolInBlob(g_cfg[2], OWNER_NPP, CATEGORY_CONFIG, TAG_DONT_DELETE_EMPTY_CAPTURE, TRUE), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(g_cfg[2], OWNER_NPP, CATEGORY_CONFIG, TAG_FILE_FORMAT, "pcap"), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(g_cfg[CFG_BAD], OWNER_NPP, CATEGORY_CONFIG, TAG_BUFFER_SIZE, "lots"), NMERR_SUCCESS);
    CHECK_RC(CreateBlob(&g_err), NMERR_SUCCESS);
    /* 24 connected by esp_connect (every other one with a callback), 12 by stats_connect, 12 by
     * rtc_connect, 8 by dc_connect, 8 not */
    for (i = 0; i < NSLOTS; i++) {
        HNPP h = NULL;
        CHECK_RC(npp_create(i % 8 == 7 ? g_nic0 : g_nic, &h), NMERR_SUCCESS);
        slot_set(i, h);
        LPNETWORKCALLBACKPROC cb = i % 2 ? stress_callback : NULL;
        LPVOID ctx = i % 2 ? (LPVOID)h : NULL;
        if (i < 24) {
            CHECK_RC(esp_connect(h, g_cfg[i % 3], cb, ctx, NULL), NMERR_SUCCESS);
            if (i % 4 == 0) CHECK_RC(esp_start(h, g_setup_name, 4096), NMERR_SUCCESS);
        } else if (i < 36) {
            CHECK_RC(stats_connect(h, g_cfg[i % 3], cb, ctx, NULL), NMERR_SUCCESS);
            if (i % 4 == 0) CHECK_RC(stats_start(h), NMERR_SUCCESS);
        } else if (i < 48) {
            CHECK_RC(rtc_connect(h, g_cfg[i % 3], cb, stress_frames, (LPVOID)h, NULL), NMERR_SUCCESS);
            if (i % 4 == 0) CHECK_RC(rtc_start(h), NMERR_SUCCESS);
        } else if (i < 56) {
            CHECK_RC(dc_connect(h, g_cfg[i % 3], cb, ctx, NULL), NMERR_SUCCESS);
            if (i % 4 == 0) CHECK_RC(dc_start(h, g_setup_name, 4096), NMERR_SUCCESS);
        }
        if (i < 56 && cb) g_cb_connects++;
    }
    return 0;
}

int main(void) {
    pthread_t t[NTHREADS], dog;
    int i;
    long ops_that_succeeded = 0;
    const char *secs = getenv("NDISNPP_STRESS_SECONDS");
    g_run_ms = 1000LL * (secs && atoi(secs) > 0 ? atoi(secs) : DEFAULT_RUN_S);
    signal(SIGALRM, on_alarm);
    alarm((unsigned)(g_run_ms / 1000) + 120);
    printf("test_stress: %d threads, %d NPPs, %lld s\n", NTHREADS, NSLOTS, g_run_ms / 1000);
    if (setup() != 0) {
        fprintf(stderr, "test_stress: setup failed\n");
        return 1;
    }
    CHECK(pthread_create(&dog, NULL, watchdog, NULL) == 0);
    for (i = 0; i < NTHREADS; i++) CHECK(pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i) == 0);
    for (i = 0; i < NTHREADS; i++) pthread_join(t[i], NULL);
    __atomic_store_n(&g_workers_done, 1, __ATOMIC_RELEASE);
    pthread_join(dog, NULL);

    /* stop, disconnect and destroy everything */
    for (i = 0; i < NSLOTS; i++) {
        HNPP h = slot_get(i);
        NETWORKSTATUS ns;
        BOOL r, p;
        DWORD rc;
        rc = esp_stop(h, NULL);
        CHECK(in(rc, L_ESP_STOP) && rc != NMERR_INVALID_HNETWORK);
        rc = stats_stop(h);
        CHECK(in(rc, L_ST_STOP) && rc != NMERR_INVALID_HNETWORK);
        rc = rtc_stop(h);
        CHECK(in(rc, L_RT_STOP) && rc != NMERR_INVALID_HNETWORK);
        rc = dc_stop(h, NULL);
        CHECK(in(rc, L_DC_STOP) && rc != NMERR_INVALID_HNETWORK);
        rc = esp_disconnect(h);
        CHECK(rc == NMERR_SUCCESS || rc == NMERR_NOT_CONNECTED || rc == NMERR_NOT_ESP);
        rc = stats_disconnect(h);
        CHECK(rc == NMERR_SUCCESS || rc == NMERR_NOT_CONNECTED || rc == NMERR_NOT_STATS_ONLY);
        rc = rtc_disconnect(h);
        CHECK(rc == NMERR_SUCCESS || rc == NMERR_NOT_CONNECTED || rc == NMERR_NOT_REALTIME);
        rc = dc_disconnect(h);
        CHECK(rc == NMERR_SUCCESS || rc == NMERR_NOT_CONNECTED);
        CHECK_RC(esp_get_control_state(h, &r, &p), NMERR_NOT_CONNECTED);
        CHECK_RC(esp_query_status(h, &ns), NMERR_SUCCESS);
        CHECK_EQ(ns.State, NETWORKSTATUS_STATE_VOID);
        CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
        CHECK_RC(npp_destroy(h), NMERR_INVALID_HNETWORK);
        CHECK_RC(esp_query_status(h, &ns), NMERR_INVALID_HNETWORK);
        CHECK_RC(stats_query_status(h, &ns), NMERR_INVALID_HNETWORK);
    }
    /* no NPP is left: every handle ever made is dead */
    for (i = 0; i < g_ndead; i++) {
        NETWORKSTATUS ns;
        CHECK_RC(npp_destroy((HNPP)g_dead[i]), NMERR_INVALID_HNETWORK);
        CHECK_RC(esp_query_status((HNPP)g_dead[i], &ns), NMERR_INVALID_HNETWORK);
    }
    /* every callback thread got its UPDATE_EVENT_TERMINATE_THREAD (Disconnect/npp_destroy wait for it) */
    CHECK_EQ(__atomic_load_n(&g_cb_terminates, __ATOMIC_RELAXED), __atomic_load_n(&g_cb_connects, __ATOMIC_RELAXED));
    CHECK_EQ(__atomic_load_n(&g_violations, __ATOMIC_RELAXED), 0);
    for (i = 0; i < NOPS; i++) ops_that_succeeded += g_successes[i] > 0 || i == OP_DESTROY_DEAD;
    printf("test_stress: %ld calls, %d NPPs re-created, %ld callback connections, %ld self-ended captures, %ld IRTC frames, "
           "%ld violations\n",
           g_calls, g_ndead, g_cb_connects, g_cb_stops, g_frames, g_violations);
    for (i = 0; i < NOPS; i++)
        if (g_successes[i] == 0 && i != OP_DESTROY_DEAD) fprintf(stderr, "note: %s never succeeded\n", OP_NAMES[i]);
    CHECK_EQ(ops_that_succeeded, NOPS);

    for (i = 0; i < 4; i++) CHECK_RC(DestroyBlob(g_cfg[i]), NMERR_SUCCESS);
    CHECK_RC(DestroyBlob(g_err), NMERR_SUCCESS);
    CHECK_RC(DestroyBlob(g_nic), NMERR_SUCCESS);
    CHECK_RC(DestroyBlob(g_nic0), NMERR_SUCCESS);
    CHECK(ru_rm_tree(g_dir) == 0);
    alarm(0);
    return check_done("test_stress");
}
