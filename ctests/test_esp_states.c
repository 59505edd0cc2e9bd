/* The state machines of the four capture families (SDK b.2, b.3, c; header comments of esp_*,
 * stats_*, rtc_*, dc_*), on replay NICs: every cell of the table for every family (with the
 * statistics, conversation and special-frame calls where the family has them), every
 * cross-family answer, restart
 * after Stop, bad handles and pointers, Connect/Configure errors, the capture file (name, mode,
 * empty-file rule), the frame limit, the status callback, npp_destroy on a running capture.
 *
 * Every state is checked through QueryStatus (State) and GetControlState (IsRunnning/IsPaused,
 * or NMERR_NOT_CONNECTED when not connected). No check depends on timing: waits poll the
 * statistics or the control state until a condition holds, bounded by RU_DEADLINE_MS; a
 * watchdog (alarm) ends a hung run. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include "check.h"
#include "replay_util.h"

#define REPLAY_FRAMES 5

static char g_dir[512];        /* everything this test writes lives under it */
static char g_capdir[600];     /* NPP:Config:CaptureDirectory of g_cfg */
static char g_replay[600];     /* REPLAY_FRAMES frames */
static char g_replay0[600];    /* a pcap file with no frame */
static char g_junk[600];       /* not a capture file */
static char g_missing[600];    /* does not exist */
static char g_plainfile[600];  /* a regular file used as a capture directory */
static HBLOB g_nic;            /* replay NIC of g_replay */
static HBLOB g_cfg;            /* NPP:Config:CaptureDirectory = g_capdir */

/* ---- small check helpers with a context string --------------------------------------------- */

static void expect_rc(DWORD got, DWORD want, const char *what, const char *ctx) {
    check_count++;
    if (got != want) {
        check_failures++;
        fprintf(stderr, "[%s] %s returned %u (%s), expected %u (%s)\n", ctx, what, (unsigned)got, nmerr_text(got),
                (unsigned)want, nmerr_text(want));
    }
}

static void expect_eq(long long got, long long want, const char *what, const char *ctx) {
    check_count++;
    if (got != want) {
        check_failures++;
        fprintf(stderr, "[%s] %s is %lld, expected %lld\n", ctx, what, got, want);
    }
}

static HNPP new_npp(HBLOB nic) {
    HNPP h = NULL;
    CHECK_RC(npp_create(nic, &h), NMERR_SUCCESS);
    CHECK(h != NULL);
    return h;
}

/* A new directory g_dir/<name>, for tests that look at the files of one capture directory. */
static const char *subdir(const char *name, char *out, size_t room) {
    snprintf(out, room, "%s/%s", g_dir, name);
    CHECK(mkdir(out, 0700) == 0);
    return out;
}

/* ---- the two families behind one table ------------------------------------------------------ */

typedef struct Fam {
    const char *name;
    DWORD not_mine;
    DWORD (*connect)(HNPP, HBLOB, LPNETWORKCALLBACKPROC, LPVOID, HBLOB);
    DWORD (*disconnect)(HNPP);
    DWORD (*query)(HNPP, LPNETWORKSTATUS);
    DWORD (*configure)(HNPP, HBLOB, HBLOB);
    DWORD (*start)(HNPP);
    DWORD (*pause)(HNPP);
    DWORD (*resume)(HNPP);
    DWORD (*stop)(HNPP);
    DWORD (*control)(HNPP, BOOL *, BOOL *);
    DWORD (*read_stats)(HNPP);                  /* esp_get_statistics_ex / *_get_total_statistics */
    DWORD (*stats_ex)(HNPP, LPSTATISTICS_EX);
    DWORD (*conversations)(HNPP);               /* *_get_conversation_statistics (NULL: none) */
    DWORD (*insert)(HNPP);                      /* *_insert_special_frame (NULL: none) */
    int writes_file;                            /* esp and dc: a capture file per Start */
} Fam;

static char g_name[4096];        /* the last esp_start name */
static STATISTICS g_stats;       /* the last esp_pause/esp_stop/stats_get_total_statistics statistics */

static DWORD esp_start_w(HNPP h) { return esp_start(h, g_name, sizeof g_name); }
static DWORD esp_pause_w(HNPP h) { return esp_pause(h, &g_stats); }
static DWORD esp_stop_w(HNPP h) { return esp_stop(h, &g_stats); }
static DWORD esp_read_w(HNPP h) {
    STATISTICS_EX s;
    memset(&s, 0, sizeof s);
    s.StructSize = sizeof s;
    return esp_get_statistics_ex(h, &s);
}
static DWORD stats_read_w(HNPP h) { return stats_get_total_statistics(h, &g_stats, FALSE); }
static DWORD rtc_read_w(HNPP h) { return rtc_get_total_statistics(h, &g_stats, FALSE); }
static DWORD dc_read_w(HNPP h) { return dc_get_total_statistics(h, &g_stats, FALSE); }
static DWORD dc_start_w(HNPP h) { return dc_start(h, g_name, sizeof g_name); }
static DWORD dc_stop_w(HNPP h) { return dc_stop(h, &g_stats); }

static SESSIONSTATS g_sessions[MAX_SESSIONS];
static STATIONSTATS g_stations[MAX_STATIONS];
#define CONV_W(fam) \
    static DWORD fam##_conv_w(HNPP h) { \
        DWORD ns = 0, nt = 0; \
        return fam##_get_conversation_statistics(h, &ns, g_sessions, &nt, g_stations, FALSE); \
    } \
    static DWORD fam##_insert_w(HNPP h) { \
        BYTE data[4] = {1, 2, 3, 4}; \
        return fam##_insert_special_frame(h, 0x1234, 0, data, sizeof data); \
    }
CONV_W(stats)
CONV_W(rtc)
CONV_W(dc)

/* IRTC needs a callback: the frames callback here, which does nothing. */
static DWORD no_frames(UPDATE_EVENT e) {
    (void)e;
    return 0;
}
static DWORD rtc_connect_w(HNPP h, HBLOB b, LPNETWORKCALLBACKPROC cb, LPVOID ctx, HBLOB err) {
    return rtc_connect(h, b, cb, no_frames, ctx, err);
}

static const Fam ESP = {"esp", NMERR_NOT_ESP, esp_connect, esp_disconnect, esp_query_status, esp_configure,
                        esp_start_w, esp_pause_w, esp_resume, esp_stop_w, esp_get_control_state, esp_read_w,
                        esp_get_statistics_ex, NULL, NULL, 1};
static const Fam STATS = {"stats", NMERR_NOT_STATS_ONLY, stats_connect, stats_disconnect, stats_query_status,
                          stats_configure, stats_start, stats_pause, stats_resume, stats_stop,
                          stats_get_control_state, stats_read_w, stats_get_statistics_ex, stats_conv_w, stats_insert_w, 0};
static const Fam RTC = {"rtc", NMERR_NOT_REALTIME, rtc_connect_w, rtc_disconnect, rtc_query_status, rtc_configure,
                        rtc_start, rtc_pause, rtc_resume, rtc_stop, rtc_get_control_state, rtc_read_w,
                        rtc_get_statistics_ex, rtc_conv_w, rtc_insert_w, 0};
static const Fam DC = {"dc", NMERR_NOT_DELAYED, dc_connect, dc_disconnect, dc_query_status, dc_configure,
                       dc_start_w, dc_pause, dc_resume, dc_stop_w, dc_get_control_state, dc_read_w,
                       dc_get_statistics_ex, dc_conv_w, dc_insert_w, 1};
static const Fam *const FAMS[] = {&ESP, &STATS, &RTC, &DC};
#define NFAMS 4

/* States of SDK b.3; ST_S is C with cfg-pending (after Stop). */
enum { ST_N, ST_C, ST_R, ST_P, ST_S, NSTATES };
static const char *const STATE_NAMES[] = {"N", "C", "R", "P", "C+stopped"};

enum { OP_CONNECT, OP_CONFIGURE, OP_START, OP_PAUSE, OP_RESUME, OP_STOP, OP_DISCONNECT, OP_QUERY, OP_CONTROL,
       OP_READ_STATS, OP_CONVERSATIONS, OP_INSERT, NOPS };
static const char *const OP_NAMES[] = {"Connect", "Configure", "Start", "Pause", "Resume", "Stop", "Disconnect",
                                       "QueryStatus", "GetControlState", "ReadStatistics", "GetConversationStatistics",
                                       "InsertSpecialFrame"};

/* Whether family `f` has the operation (esp has no conversation or special-frame call). */
static int has_op(const Fam *f, int op) {
    return (op != OP_CONVERSATIONS || f->conversations) && (op != OP_INSERT || f->insert);
}

static NETWORKSTATUS g_status;
static BOOL g_running, g_paused;

static DWORD call_op(const Fam *f, int op, HNPP h) {
    switch (op) {
    case OP_CONNECT: return f->connect(h, g_cfg, NULL, NULL, NULL);
    case OP_CONFIGURE: return f->configure(h, g_cfg, NULL);
    case OP_START: return f->start(h);
    case OP_PAUSE: return f->pause(h);
    case OP_RESUME: return f->resume(h);
    case OP_STOP: return f->stop(h);
    case OP_DISCONNECT: return f->disconnect(h);
    case OP_QUERY:
        g_status.State = 0xDEAD;
        return f->query(h, &g_status);
    case OP_CONTROL:
        g_running = g_paused = 0x55;
        return f->control(h, &g_running, &g_paused);
    case OP_CONVERSATIONS: return f->conversations(h);
    case OP_INSERT: return f->insert(h);
    default: return f->read_stats(h);
    }
}

/* The table of SDK b.3 and c for the family `f` that connected the NPP: the code, and the state
 * after. */
static DWORD expected(const Fam *f, int op, int st, int *next) {
    int idle = st == ST_C || st == ST_S;
    *next = st;
    if (op == OP_CONNECT) {
        if (st == ST_N) { *next = ST_C; return NMERR_SUCCESS; }
        return NMERR_ALREADY_CONNECTED;
    }
    if (op == OP_QUERY) return NMERR_SUCCESS;
    if (st == ST_N) return NMERR_NOT_CONNECTED;
    switch (op) {
    case OP_CONFIGURE:
        if (idle) { *next = ST_C; return NMERR_SUCCESS; }
        return NMERR_CAPTURING;
    case OP_START:
        if (idle) { *next = ST_R; return NMERR_SUCCESS; }
        return st == ST_R ? NMERR_CAPTURING : NMERR_CAPTURE_PAUSED;
    case OP_PAUSE:
        if (st == ST_R) { *next = ST_P; return NMERR_SUCCESS; }
        return idle ? NMERR_NOT_CAPTURING : NMERR_CAPTURE_PAUSED;
    case OP_RESUME:
        if (st == ST_P) { *next = ST_R; return NMERR_SUCCESS; }
        return NMERR_CAPTURE_NOT_PAUSED;
    case OP_STOP:
        if (idle) return NMERR_NOT_CAPTURING;
        *next = ST_S;
        return NMERR_SUCCESS;
    case OP_DISCONNECT:
        if (idle) { *next = ST_N; return NMERR_SUCCESS; }
        return NMERR_CAPTURING;
    case OP_CONTROL: return NMERR_SUCCESS;
    case OP_INSERT:
        if (f == &STATS) return NMERR_NOT_SUPPORTED;
        return st == ST_R ? NMERR_SUCCESS : st == ST_P ? NMERR_CAPTURE_PAUSED : NMERR_NOT_CAPTURING;
    case OP_CONVERSATIONS: /* only while running */
        return st == ST_R ? NMERR_SUCCESS : st == ST_P ? NMERR_CAPTURE_PAUSED : NMERR_NOT_CAPTURING;
    default:
        /* IDelaydC's statistics: only while running (SDK c). The others: any time after the
         * first capture since Connect. */
        if (f == &DC) return st == ST_R ? NMERR_SUCCESS : st == ST_P ? NMERR_CAPTURE_PAUSED : NMERR_NOT_CAPTURING;
        return st == ST_C ? NMERR_NOT_CAPTURING : NMERR_SUCCESS;
    }
}

static DWORD state_code(int st) {
    return st == ST_R ? NETWORKSTATUS_STATE_CAPTURING : st == ST_P ? NETWORKSTATUS_STATE_PAUSED : NETWORKSTATUS_STATE_VOID;
}

/* Checks the observable state of an NPP that `f` connected (or that is not connected). */
static void check_state(const Fam *f, HNPP h, int st, const char *ctx) {
    NETWORKSTATUS ns;
    BOOL r = 0x55, p = 0x55;
    ns.State = ns.Flags = 0xDEAD;
    expect_rc(f->query(h, &ns), NMERR_SUCCESS, "QueryStatus", ctx);
    expect_eq(ns.State, state_code(st), "NETWORKSTATUS.State", ctx);
    expect_eq(ns.Flags, 0, "NETWORKSTATUS.Flags (no trigger)", ctx);
    if (st == ST_N) {
        expect_rc(f->control(h, &r, &p), NMERR_NOT_CONNECTED, "GetControlState", ctx);
        return;
    }
    expect_rc(f->control(h, &r, &p), NMERR_SUCCESS, "GetControlState", ctx);
    expect_eq(r, st == ST_R || st == ST_P, "IsRunnning", ctx);
    expect_eq(p, st == ST_P, "IsPaused", ctx);
}

/* Brings a new NPP to `st` through `f`. */
static void drive(const Fam *f, HNPP h, int st) {
    if (st == ST_N) return;
    CHECK_RC(f->connect(h, g_cfg, NULL, NULL, NULL), NMERR_SUCCESS);
    if (st == ST_C) return;
    CHECK_RC(f->start(h), NMERR_SUCCESS);
    if (st == ST_P) CHECK_RC(f->pause(h), NMERR_SUCCESS);
    if (st == ST_S) CHECK_RC(f->stop(h), NMERR_SUCCESS);
}

/* Every cell of b.3 and c for every family, with its statistics, conversation and special-frame
 * calls. */
static void every_cell(void) {
    int fi, st, op;
    for (fi = 0; fi < NFAMS; fi++) {
        const Fam *f = FAMS[fi];
        for (st = 0; st < NSTATES; st++) {
            for (op = 0; op < NOPS; op++) {
                char ctx[128];
                int next;
                DWORD want;
                HNPP h;
                if (!has_op(f, op)) continue;
                want = expected(f, op, st, &next);
                h = new_npp(g_nic);
                snprintf(ctx, sizeof ctx, "%s %s in %s", f->name, OP_NAMES[op], STATE_NAMES[st]);
                drive(f, h, st);
                check_state(f, h, st, ctx);
                expect_rc(call_op(f, op, h), want, OP_NAMES[op], ctx);
                if (op == OP_QUERY) expect_eq(g_status.State, state_code(st), "reported State", ctx);
                if (op == OP_CONTROL && st != ST_N) {
                    expect_eq(g_running, st == ST_R || st == ST_P, "reported IsRunnning", ctx);
                    expect_eq(g_paused, st == ST_P, "reported IsPaused", ctx);
                }
                if (op == OP_START && want == NMERR_SUCCESS && f->writes_file) {
                    check_count++;
                    if (strncmp(g_name, g_capdir, strlen(g_capdir)) != 0 || !ru_ends_with(g_name, ".cap")) {
                        check_failures++;
                        fprintf(stderr, "[%s] capture file name %s\n", ctx, g_name);
                    }
                }
                check_state(f, h, next, ctx);
                expect_rc(npp_destroy(h), NMERR_SUCCESS, "npp_destroy", ctx);
            }
        }
    }
}

/* An NPP connected by one family answers every call of the other with that family's "not mine"
 * code, except Connect (ALREADY_CONNECTED) and QueryStatus (reports the state); nothing changes. */
static void cross_family(void) {
    int fi, oi, st, op;
    for (fi = 0; fi < NFAMS; fi++) for (oi = 0; oi < NFAMS; oi++) {
        const Fam *owner = FAMS[fi], *other = FAMS[oi];
        if (oi == fi) continue;
        for (st = ST_C; st < NSTATES; st++) {
            for (op = 0; op < NOPS; op++) {
                char ctx[128];
                DWORD want = op == OP_CONNECT ? NMERR_ALREADY_CONNECTED : op == OP_QUERY ? NMERR_SUCCESS : other->not_mine;
                HNPP h;
                if (!has_op(other, op)) continue;
                h = new_npp(g_nic);
                snprintf(ctx, sizeof ctx, "%s %s on %s-connected NPP in %s", other->name, OP_NAMES[op], owner->name,
                         STATE_NAMES[st]);
                drive(owner, h, st);
                expect_rc(call_op(other, op, h), want, OP_NAMES[op], ctx);
                if (op == OP_QUERY) expect_eq(g_status.State, state_code(st), "reported State", ctx);
                check_state(owner, h, st, ctx);
                expect_rc(npp_destroy(h), NMERR_SUCCESS, "npp_destroy", ctx);
            }
        }
    }
    /* the ndisnpp statistics extensions of the other family, and the remaining pointer forms */
    {
        HNPP e = new_npp(g_nic), s = new_npp(g_nic);
        STATISTICS st1;
        STATISTICS_EX x;
        char name[256];
        memset(&x, 0, sizeof x);
        x.StructSize = sizeof x;
        CHECK_RC(esp_connect(e, g_cfg, NULL, NULL, NULL), NMERR_SUCCESS);
        CHECK_RC(stats_connect(s, g_cfg, NULL, NULL, NULL), NMERR_SUCCESS);
        CHECK_RC(stats_get_statistics_ex(e, &x), NMERR_NOT_STATS_ONLY);
        CHECK_RC(stats_get_total_statistics(e, &st1, TRUE), NMERR_NOT_STATS_ONLY);
        CHECK_RC(esp_get_statistics_ex(s, &x), NMERR_NOT_ESP);
        CHECK_RC(esp_start(s, name, sizeof name), NMERR_NOT_ESP);
        CHECK_RC(esp_pause(s, NULL), NMERR_NOT_ESP);
        CHECK_RC(esp_stop(s, NULL), NMERR_NOT_ESP);
        CHECK_RC(esp_connect(s, g_cfg, NULL, NULL, NULL), NMERR_ALREADY_CONNECTED);
        CHECK_RC(stats_connect(e, g_cfg, NULL, NULL, NULL), NMERR_ALREADY_CONNECTED);
        CHECK_RC(esp_disconnect(s), NMERR_NOT_ESP);
        CHECK_RC(stats_disconnect(e), NMERR_NOT_STATS_ONLY);
        /* after its own Disconnect, the other family may connect it */
        CHECK_RC(stats_disconnect(s), NMERR_SUCCESS);
        CHECK_RC(esp_connect(s, g_cfg, NULL, NULL, NULL), NMERR_SUCCESS);
        check_state(&ESP, s, ST_C, "esp after stats_disconnect");
        CHECK_RC(stats_get_control_state(s, &g_running, &g_paused), NMERR_NOT_STATS_ONLY);
        CHECK_RC(npp_destroy(e), NMERR_SUCCESS);
        CHECK_RC(npp_destroy(s), NMERR_SUCCESS);
    }
}

/* Disconnect (SDK b.2): SUCCESS when idle, CAPTURING running and paused, NOT_CONNECTED, NOT_ESP. */
static void disconnect_codes(void) {
    HNPP h = new_npp(g_nic), s = new_npp(g_nic);
    char name[512];
    CHECK_RC(esp_disconnect(h), NMERR_NOT_CONNECTED);
    CHECK_RC(stats_disconnect(h), NMERR_NOT_CONNECTED);
    CHECK_RC(esp_connect(h, g_cfg, NULL, NULL, NULL), NMERR_SUCCESS);
    CHECK_RC(esp_start(h, name, sizeof name), NMERR_SUCCESS);
    CHECK_RC(esp_disconnect(h), NMERR_CAPTURING);
    check_state(&ESP, h, ST_R, "Disconnect while running");
    CHECK_RC(esp_pause(h, NULL), NMERR_SUCCESS);
    CHECK_RC(esp_disconnect(h), NMERR_CAPTURING);
    check_state(&ESP, h, ST_P, "Disconnect while paused");
    CHECK_RC(esp_stop(h, NULL), NMERR_SUCCESS);
    CHECK_RC(esp_disconnect(h), NMERR_SUCCESS);
    check_state(&ESP, h, ST_N, "Disconnect when idle");
    CHECK_RC(esp_disconnect(h), NMERR_NOT_CONNECTED);
    CHECK_RC(stats_connect(s, g_cfg, NULL, NULL, NULL), NMERR_SUCCESS);
    CHECK_RC(esp_disconnect(s), NMERR_NOT_ESP);
    CHECK_RC(stats_start(s), NMERR_SUCCESS);
    CHECK_RC(esp_disconnect(s), NMERR_NOT_ESP);
    CHECK_RC(stats_disconnect(s), NMERR_CAPTURING);
    CHECK_RC(stats_pause(s), NMERR_SUCCESS);
    CHECK_RC(stats_disconnect(s), NMERR_CAPTURING);
    CHECK_RC(stats_stop(s), NMERR_SUCCESS);
    CHECK_RC(stats_disconnect(s), NMERR_SUCCESS);
    check_state(&STATS, s, ST_N, "stats Disconnect when idle");
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(s), NMERR_SUCCESS);
}

/* Start after Stop without Configure re-uses the configuration and makes a new file; Configure
 * after Stop succeeds; esp_stop's STATISTICS count the replay file's frames. */
static void restart_after_stop(void) {
    HNPP h = new_npp(g_nic);
    char first[4096], second[4096], third[4096];
    STATISTICS st;
    CHECK_RC(esp_connect(h, g_cfg, NULL, NULL, NULL), NMERR_SUCCESS);
    CHECK_RC(esp_start(h, first, sizeof first), NMERR_SUCCESS);
    CHECK_EQ(ru_wait_captured(esp_get_statistics_ex, h, REPLAY_FRAMES), REPLAY_FRAMES);
    memset(&st, 0xAB, sizeof st);
    CHECK_RC(esp_stop(h, &st), NMERR_SUCCESS);
    CHECK_EQ(st.TotalFramesCaptured, REPLAY_FRAMES);
    CHECK_EQ(st.TotalBytesCaptured, ru_bytes_of(REPLAY_FRAMES));
    CHECK_EQ(st.TotalFramesSeen, REPLAY_FRAMES);
    CHECK(ru_exists(first));
    /* Start again, no Configure */
    CHECK_RC(esp_start(h, second, sizeof second), NMERR_SUCCESS);
    check_state(&ESP, h, ST_R, "Start after Stop");
    CHECK(strcmp(first, second) != 0);
    CHECK(strncmp(second, g_capdir, strlen(g_capdir)) == 0);
    CHECK_EQ(ru_wait_captured(esp_get_statistics_ex, h, REPLAY_FRAMES), REPLAY_FRAMES);
    memset(&st, 0xAB, sizeof st);
    CHECK_RC(esp_stop(h, &st), NMERR_SUCCESS);
    CHECK_EQ(st.TotalFramesCaptured, REPLAY_FRAMES);
    CHECK(ru_exists(first));
    CHECK(ru_exists(second));
    /* Configure after Stop, then Start */
    CHECK_RC(esp_configure(h, g_cfg, NULL), NMERR_SUCCESS);
    check_state(&ESP, h, ST_C, "Configure after Stop");
    CHECK_RC(esp_start(h, third, sizeof third), NMERR_SUCCESS);
    CHECK(strcmp(third, first) != 0 && strcmp(third, second) != 0);
    CHECK_RC(esp_stop(h, NULL), NMERR_SUCCESS);
    CHECK_RC(esp_disconnect(h), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);

    /* the same for IStats */
    h = new_npp(g_nic);
    CHECK_RC(stats_connect(h, g_cfg, NULL, NULL, NULL), NMERR_SUCCESS);
    CHECK_RC(stats_start(h), NMERR_SUCCESS);
    CHECK_EQ(ru_wait_captured(stats_get_statistics_ex, h, REPLAY_FRAMES), REPLAY_FRAMES);
    CHECK_RC(stats_stop(h), NMERR_SUCCESS);
    CHECK_RC(stats_start(h), NMERR_SUCCESS);
    check_state(&STATS, h, ST_R, "stats Start after Stop");
    CHECK_EQ(ru_wait_captured(stats_get_statistics_ex, h, REPLAY_FRAMES), REPLAY_FRAMES);
    CHECK_RC(stats_stop(h), NMERR_SUCCESS);
    CHECK_RC(stats_configure(h, g_cfg, NULL), NMERR_SUCCESS);
    CHECK_RC(stats_start(h), NMERR_SUCCESS);
    CHECK_RC(stats_stop(h), NMERR_SUCCESS);
    CHECK_RC(stats_disconnect(h), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
}

/* stats_get_total_statistics and the *_get_statistics_ex extension. */
static void statistics_reads(void) {
    HNPP h = new_npp(g_nic);
    STATISTICS st;
    STATISTICS_EX x;
    unsigned char raw[sizeof(STATISTICS_EX)];
    CHECK_RC(stats_get_total_statistics(h, &st, FALSE), NMERR_NOT_CONNECTED);
    CHECK_RC(stats_connect(h, g_cfg, NULL, NULL, NULL), NMERR_SUCCESS);
    CHECK_RC(stats_get_total_statistics(h, &st, FALSE), NMERR_NOT_CAPTURING);
    CHECK_RC(stats_get_total_statistics(h, &st, TRUE), NMERR_NOT_CAPTURING);
    CHECK_RC(stats_start(h), NMERR_SUCCESS);
    CHECK_RC(stats_get_total_statistics(h, &st, FALSE), NMERR_SUCCESS);
    CHECK_EQ(ru_wait_captured(stats_get_statistics_ex, h, REPLAY_FRAMES), REPLAY_FRAMES);
    memset(&st, 0xAB, sizeof st);
    CHECK_RC(stats_get_total_statistics(h, &st, FALSE), NMERR_SUCCESS);
    CHECK_EQ(st.TotalFramesCaptured, REPLAY_FRAMES);
    CHECK_RC(stats_pause(h), NMERR_SUCCESS);
    memset(&st, 0xAB, sizeof st);
    CHECK_RC(stats_get_total_statistics(h, &st, FALSE), NMERR_SUCCESS);
    CHECK_EQ(st.TotalFramesCaptured, REPLAY_FRAMES);
    CHECK_RC(stats_stop(h), NMERR_SUCCESS);
    memset(&st, 0xAB, sizeof st);
    CHECK_RC(stats_get_total_statistics(h, &st, TRUE), NMERR_SUCCESS);
    CHECK_EQ(st.TotalFramesCaptured, REPLAY_FRAMES);
    CHECK_EQ(st.TotalBytesCaptured, ru_bytes_of(REPLAY_FRAMES));
    memset(&st, 0xAB, sizeof st);
    CHECK_RC(stats_get_total_statistics(h, &st, FALSE), NMERR_SUCCESS);
    CHECK_EQ(st.TotalFramesCaptured, 0); /* cleared by the previous read */
    /* a new Connect forgets the last capture */
    CHECK_RC(stats_disconnect(h), NMERR_SUCCESS);
    CHECK_RC(stats_connect(h, g_cfg, NULL, NULL, NULL), NMERR_SUCCESS);
    CHECK_RC(stats_get_total_statistics(h, &st, FALSE), NMERR_NOT_CAPTURING);
    CHECK_RC(stats_disconnect(h), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);

    /* esp_get_statistics_ex: NOT_CAPTURING before the first capture; a short StructSize limits
     * what is written; under 16 is refused */
    h = new_npp(g_nic);
    memset(&x, 0, sizeof x);
    x.StructSize = sizeof x;
    CHECK_RC(esp_get_statistics_ex(h, &x), NMERR_NOT_CONNECTED);
    CHECK_RC(esp_connect(h, g_cfg, NULL, NULL, NULL), NMERR_SUCCESS);
    CHECK_RC(esp_get_statistics_ex(h, &x), NMERR_NOT_CAPTURING);
    CHECK_RC(esp_start(h, g_name, sizeof g_name), NMERR_SUCCESS);
    CHECK_EQ(ru_wait_captured(esp_get_statistics_ex, h, REPLAY_FRAMES), REPLAY_FRAMES);
    CHECK_RC(esp_stop(h, NULL), NMERR_SUCCESS);
    memset(&x, 0, sizeof x);
    x.StructSize = sizeof x;
    CHECK_RC(esp_get_statistics_ex(h, &x), NMERR_SUCCESS);
    CHECK_EQ(x.StructSize, sizeof x);
    CHECK_EQ(x.FramesCaptured, REPLAY_FRAMES);
    CHECK_EQ(x.BytesCaptured, ru_bytes_of(REPLAY_FRAMES));
    CHECK_EQ(x.FramesSeen, REPLAY_FRAMES);
    memset(&x, 0x5A, sizeof x);
    x.StructSize = 24; /* StructSize, Reserved, TimeElapsed */
    CHECK_RC(esp_get_statistics_ex(h, &x), NMERR_SUCCESS);
    {
        size_t i;
        int untouched = 1;
        memcpy(raw, &x, sizeof raw);
        for (i = 24; i < sizeof raw; i++) untouched &= raw[i] == 0x5A;
        CHECK(untouched);
        CHECK_EQ(x.StructSize, 24);
    }
    memset(&x, 0, sizeof x);
    x.StructSize = 8;
    CHECK_RC(esp_get_statistics_ex(h, &x), NMERR_INVALID_PARAMETER);
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
}

/* NULL, destroyed and forged HNPPs on every function. */
static void bad_handles(void) {
    HNPP live = new_npp(g_nic), dead = new_npp(g_nic);
    HBLOB blob_as_npp = NULL;
    int local = 0;
    HNPP bad[6];
    size_t i;
    CHECK_RC(CreateBlob(&blob_as_npp), NMERR_SUCCESS);
    CHECK_RC(esp_connect(live, g_cfg, NULL, NULL, NULL), NMERR_SUCCESS);
    CHECK_RC(esp_connect(dead, g_cfg, NULL, NULL, NULL), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(dead), NMERR_SUCCESS);
    bad[0] = NULL;
    bad[1] = dead;
    bad[2] = (HNPP)(uintptr_t)0x12345678u;
    bad[3] = (HNPP)(uintptr_t)blob_as_npp;  /* a handle of another table */
    bad[4] = (HNPP)(void *)&local;          /* a real pointer */
    bad[5] = (HNPP)((uintptr_t)live ^ ((uintptr_t)1 << 23)); /* a near miss of a live handle */
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        HNPP h = bad[i];
        NETWORKSTATUS ns;
        BOOL r, p;
        STATISTICS st;
        STATISTICS_EX x;
        char name[256];
        char ctx[64];
        snprintf(ctx, sizeof ctx, "bad HNPP #%u", (unsigned)i);
        memset(&x, 0, sizeof x);
        x.StructSize = sizeof x;
        expect_rc(esp_connect(h, g_cfg, NULL, NULL, NULL), NMERR_INVALID_HNETWORK, "esp_connect", ctx);
        expect_rc(esp_disconnect(h), NMERR_INVALID_HNETWORK, "esp_disconnect", ctx);
        expect_rc(esp_query_status(h, &ns), NMERR_INVALID_HNETWORK, "esp_query_status", ctx);
        expect_rc(esp_configure(h, g_cfg, NULL), NMERR_INVALID_HNETWORK, "esp_configure", ctx);
        expect_rc(esp_start(h, name, sizeof name), NMERR_INVALID_HNETWORK, "esp_start", ctx);
        expect_rc(esp_pause(h, &st), NMERR_INVALID_HNETWORK, "esp_pause", ctx);
        expect_rc(esp_pause(h, NULL), NMERR_INVALID_HNETWORK, "esp_pause(NULL)", ctx);
        expect_rc(esp_resume(h), NMERR_INVALID_HNETWORK, "esp_resume", ctx);
        expect_rc(esp_stop(h, &st), NMERR_INVALID_HNETWORK, "esp_stop", ctx);
        expect_rc(esp_stop(h, NULL), NMERR_INVALID_HNETWORK, "esp_stop(NULL)", ctx);
        expect_rc(esp_get_control_state(h, &r, &p), NMERR_INVALID_HNETWORK, "esp_get_control_state", ctx);
        expect_rc(esp_get_statistics_ex(h, &x), NMERR_INVALID_HNETWORK, "esp_get_statistics_ex", ctx);
        expect_rc(stats_connect(h, g_cfg, NULL, NULL, NULL), NMERR_INVALID_HNETWORK, "stats_connect", ctx);
        expect_rc(stats_disconnect(h), NMERR_INVALID_HNETWORK, "stats_disconnect", ctx);
        expect_rc(stats_query_status(h, &ns), NMERR_INVALID_HNETWORK, "stats_query_status", ctx);
        expect_rc(stats_configure(h, g_cfg, NULL), NMERR_INVALID_HNETWORK, "stats_configure", ctx);
        expect_rc(stats_start(h), NMERR_INVALID_HNETWORK, "stats_start", ctx);
        expect_rc(stats_pause(h), NMERR_INVALID_HNETWORK, "stats_pause", ctx);
        expect_rc(stats_resume(h), NMERR_INVALID_HNETWORK, "stats_resume", ctx);
        expect_rc(stats_stop(h), NMERR_INVALID_HNETWORK, "stats_stop", ctx);
        expect_rc(stats_get_control_state(h, &r, &p), NMERR_INVALID_HNETWORK, "stats_get_control_state", ctx);
        expect_rc(stats_get_total_statistics(h, &st, FALSE), NMERR_INVALID_HNETWORK, "stats_get_total_statistics", ctx);
        expect_rc(stats_get_statistics_ex(h, &x), NMERR_INVALID_HNETWORK, "stats_get_statistics_ex", ctx);
        expect_rc(npp_destroy(h), NMERR_INVALID_HNETWORK, "npp_destroy", ctx);
    }
    /* none of that touched the live NPP or the BLOB */
    check_state(&ESP, live, ST_C, "live NPP after the bad-handle calls");
    CHECK_RC(SetStringInBlob(blob_as_npp, "App", "X", "Y", "z"), NMERR_SUCCESS);
    CHECK_RC(DestroyBlob(blob_as_npp), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(live), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(live), NMERR_INVALID_HNETWORK);
    /* npp_create's own arguments */
    {
        HNPP h = (HNPP)(uintptr_t)0x77;
        HBLOB empty = NULL, gone = NULL;
        CHECK_RC(CreateBlob(&empty), NMERR_SUCCESS);
        CHECK_RC(CreateBlob(&gone), NMERR_SUCCESS);
        CHECK_RC(DestroyBlob(gone), NMERR_SUCCESS);
        CHECK_RC(npp_create(g_nic, NULL), NMERR_INVALID_PARAMETER);
        CHECK_RC(npp_create(NULL, &h), NMERR_INVALID_BLOB);
        CHECK_RC(npp_create(gone, &h), NMERR_INVALID_BLOB);
        CHECK_RC(npp_create(empty, &h), NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
        CHECK(h == (HNPP)(uintptr_t)0x77);
        CHECK_RC(DestroyBlob(empty), NMERR_SUCCESS);
    }
}

/* NULL output pointers answer INVALID_PARAMETER and change nothing. */
static void null_pointers(void) {
    HNPP e = new_npp(g_nic), s = new_npp(g_nic);
    BOOL r, p;
    STATISTICS_EX x;
    /* not connected: QueryStatus still checks its pointer */
    CHECK_RC(esp_query_status(e, NULL), NMERR_INVALID_PARAMETER);
    CHECK_RC(stats_query_status(s, NULL), NMERR_INVALID_PARAMETER);
    /* a NULL pointer is reported before a bad handle (check order of src/ffi/esp.rs, SDK b.2) */
    CHECK_RC(esp_query_status(NULL, NULL), NMERR_INVALID_PARAMETER);
    CHECK_RC(esp_get_control_state(NULL, NULL, NULL), NMERR_INVALID_PARAMETER);
    CHECK_RC(esp_start(NULL, NULL, 0), NMERR_INVALID_PARAMETER);
    CHECK_RC(stats_get_total_statistics(NULL, NULL, FALSE), NMERR_INVALID_PARAMETER);

    CHECK_RC(esp_connect(e, g_cfg, NULL, NULL, NULL), NMERR_SUCCESS);
    CHECK_RC(stats_connect(s, g_cfg, NULL, NULL, NULL), NMERR_SUCCESS);
    CHECK_RC(esp_query_status(e, NULL), NMERR_INVALID_PARAMETER);
    CHECK_RC(esp_get_control_state(e, NULL, &p), NMERR_INVALID_PARAMETER);
    CHECK_RC(esp_get_control_state(e, &r, NULL), NMERR_INVALID_PARAMETER);
    CHECK_RC(esp_get_control_state(e, NULL, NULL), NMERR_INVALID_PARAMETER);
    CHECK_RC(esp_get_statistics_ex(e, NULL), NMERR_INVALID_PARAMETER);
    CHECK_RC(esp_start(e, NULL, 4096), NMERR_INVALID_PARAMETER);
    check_state(&ESP, e, ST_C, "esp_start(NULL name)");
    CHECK_RC(stats_query_status(s, NULL), NMERR_INVALID_PARAMETER);
    CHECK_RC(stats_get_control_state(s, NULL, &p), NMERR_INVALID_PARAMETER);
    CHECK_RC(stats_get_control_state(s, &r, NULL), NMERR_INVALID_PARAMETER);
    CHECK_RC(stats_get_total_statistics(s, NULL, FALSE), NMERR_INVALID_PARAMETER);
    CHECK_RC(stats_get_total_statistics(s, NULL, TRUE), NMERR_INVALID_PARAMETER);
    CHECK_RC(stats_get_statistics_ex(s, NULL), NMERR_INVALID_PARAMETER);
    CHECK_RC(stats_start(s), NMERR_SUCCESS);
    CHECK_RC(stats_get_total_statistics(s, NULL, FALSE), NMERR_INVALID_PARAMETER);
    memset(&x, 0, sizeof x);
    x.StructSize = 0;
    CHECK_RC(stats_get_statistics_ex(s, &x), NMERR_INVALID_PARAMETER);
    check_state(&STATS, s, ST_R, "stats after NULL pointers");
    CHECK_RC(npp_destroy(e), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(s), NMERR_SUCCESS);
}

/* NULL and destroyed BLOBs on Connect and Configure. A bad BLOB is reported before the state
 * (NOT_CONNECTED, CAPTURING): the check order src/ffi/esp.rs documents (SDK b.2 leaves the
 * order open, its recommendation would put the state first). */
static void bad_blobs(void) {
    const Fam *fams[] = {&ESP, &STATS};
    HBLOB gone = NULL;
    int fi;
    CHECK_RC(CreateBlob(&gone), NMERR_SUCCESS);
    CHECK_RC(DestroyBlob(gone), NMERR_SUCCESS);
    for (fi = 0; fi < 2; fi++) {
        const Fam *f = fams[fi];
        HNPP h = new_npp(g_nic);
        expect_rc(f->connect(h, NULL, NULL, NULL, NULL), NMERR_INVALID_BLOB, "Connect(NULL BLOB)", f->name);
        expect_rc(f->connect(h, gone, NULL, NULL, NULL), NMERR_INVALID_BLOB, "Connect(destroyed BLOB)", f->name);
        expect_rc(f->connect(h, g_cfg, NULL, NULL, gone), NMERR_INVALID_BLOB, "Connect(destroyed error BLOB)", f->name);
        check_state(f, h, ST_N, f->name);
        expect_rc(f->configure(h, NULL, NULL), NMERR_INVALID_BLOB, "Configure(NULL) not connected", f->name);
        expect_rc(f->connect(h, g_cfg, NULL, NULL, NULL), NMERR_SUCCESS, "Connect", f->name);
        expect_rc(f->configure(h, NULL, NULL), NMERR_INVALID_BLOB, "Configure(NULL BLOB)", f->name);
        expect_rc(f->configure(h, gone, NULL), NMERR_INVALID_BLOB, "Configure(destroyed BLOB)", f->name);
        expect_rc(f->configure(h, g_cfg, gone), NMERR_INVALID_BLOB, "Configure(destroyed error BLOB)", f->name);
        check_state(f, h, ST_C, f->name);
        expect_rc(f->start(h), NMERR_SUCCESS, "Start after the refused calls", f->name);
        expect_rc(f->configure(h, gone, NULL), NMERR_INVALID_BLOB, "Configure(destroyed BLOB) while running", f->name);
        expect_rc(f->stop(h), NMERR_SUCCESS, "Stop", f->name);
        expect_rc(npp_destroy(h), NMERR_SUCCESS, "npp_destroy", f->name);
    }
}

/* esp_start's name buffer, the capture file's name and mode, NULL statistics pointers. */
static void start_name_and_file(void) {
    char dir[700], name[4096], small[16];
    HBLOB cfg;
    HNPP h = new_npp(g_nic);
    STATISTICS st;
    struct stat sb;
    size_t len, i;
    int untouched = 1;
    subdir("names", dir, sizeof dir);
    cfg = ru_config(dir);
    CHECK_RC(esp_connect(h, cfg, NULL, NULL, NULL), NMERR_SUCCESS);
    memset(small, 'Z', sizeof small);
    CHECK_RC(esp_start(h, small, 5), NMERR_INVALID_PARAMETER);
    for (i = 0; i < sizeof small; i++) untouched &= small[i] == 'Z';
    CHECK(untouched);
    check_state(&ESP, h, ST_C, "after esp_start with a 5-byte buffer");
    CHECK_EQ(ru_count_files(dir), 0);
    CHECK_RC(esp_start(h, small, 0), NMERR_INVALID_PARAMETER);
    check_state(&ESP, h, ST_C, "after esp_start with a 0-byte buffer");

    memset(name, 'Z', sizeof name);
    CHECK_RC(esp_start(h, name, sizeof name), NMERR_SUCCESS);
    check_state(&ESP, h, ST_R, "after esp_start");
    /* every replayed frame written before the Pause below (a frame read while paused is not) */
    CHECK_EQ(ru_wait_captured(esp_get_statistics_ex, h, REPLAY_FRAMES), REPLAY_FRAMES);
    CHECK(memchr(name, 0, sizeof name) != NULL);
    name[sizeof name - 1] = 0;
    len = strlen(name);
    CHECK(strncmp(name, dir, strlen(dir)) == 0 && name[strlen(dir)] == '/');
    CHECK(strchr(name + strlen(dir) + 1, '/') == NULL);
    CHECK(ru_ends_with(name, ".cap"));
    CHECK(stat(name, &sb) == 0);
    CHECK(S_ISREG(sb.st_mode));
    CHECK_EQ(sb.st_mode & 07777, 0600);
    CHECK_EQ(ru_count_files(dir), 1);
    /* NULL statistics pointers are allowed */
    CHECK_RC(esp_pause(h, NULL), NMERR_SUCCESS);
    check_state(&ESP, h, ST_P, "after esp_pause(NULL)");
    CHECK_RC(esp_resume(h), NMERR_SUCCESS);
    CHECK_EQ(ru_wait_captured(esp_get_statistics_ex, h, REPLAY_FRAMES), REPLAY_FRAMES);
    CHECK_RC(esp_pause(h, &st), NMERR_SUCCESS);
    CHECK_EQ(st.TotalFramesCaptured, REPLAY_FRAMES);
    CHECK_RC(esp_resume(h), NMERR_SUCCESS);
    CHECK_RC(esp_stop(h, NULL), NMERR_SUCCESS);
    check_state(&ESP, h, ST_S, "after esp_stop(NULL)");
    CHECK(stat(name, &sb) == 0 && sb.st_size > 0);
    CHECK_EQ(sb.st_mode & 07777, 0600);

    /* the buffer boundary: the name needs len + 1 bytes (the names have one length) */
    {
        char exact[4096];
        memset(exact, 'Z', sizeof exact);
        CHECK_RC(esp_start(h, exact, len), NMERR_INVALID_PARAMETER);
        check_state(&ESP, h, ST_S, "after esp_start one byte short");
        CHECK_EQ(exact[0], 'Z');
        CHECK_RC(esp_start(h, exact, len + 1), NMERR_SUCCESS);
        CHECK_EQ(exact[len], 0);
        CHECK_EQ(strlen(exact), len);
        CHECK(strcmp(exact, name) != 0);
        CHECK_EQ(ru_wait_captured(esp_get_statistics_ex, h, REPLAY_FRAMES), REPLAY_FRAMES);
        memset(&st, 0, sizeof st);
        CHECK_RC(esp_stop(h, &st), NMERR_SUCCESS);
        CHECK_EQ(st.TotalFramesCaptured, REPLAY_FRAMES);
        CHECK(ru_exists(exact));
    }
    CHECK_EQ(ru_count_files(dir), 2);
    CHECK_RC(esp_disconnect(h), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
    CHECK_RC(DestroyBlob(cfg), NMERR_SUCCESS);
}

/* With NPP:Config:CaptureDirectory ending in '/', a buffer of exactly strlen(name) + 1 bytes
 * holds the name, so Start must accept it (header: INVALID_PARAMETER only "when the name would
 * not fit"). */
static void start_name_trailing_slash(void) {
    char dir[700], slashed[710], name[4096], exact[4096];
    HBLOB cfg;
    HNPP h = new_npp(g_nic);
    size_t len;
    subdir("slash", dir, sizeof dir);
    snprintf(slashed, sizeof slashed, "%s/", dir);
    cfg = ru_config(slashed);
    CHECK_RC(esp_connect(h, cfg, NULL, NULL, NULL), NMERR_SUCCESS);
    CHECK_RC(esp_start(h, name, sizeof name), NMERR_SUCCESS);
    CHECK_RC(esp_stop(h, NULL), NMERR_SUCCESS);
    len = strlen(name);
    CHECK(strncmp(name, slashed, strlen(slashed)) == 0);
    CHECK(ru_ends_with(name, ".cap"));
    CHECK_RC(esp_start(h, exact, len), NMERR_INVALID_PARAMETER);
    {
        DWORD rc;
        CHECK_RC(rc = esp_start(h, exact, len + 1), NMERR_SUCCESS);
        if (rc == NMERR_SUCCESS) {
            CHECK_EQ(strlen(exact), len);
            CHECK_RC(esp_stop(h, NULL), NMERR_SUCCESS);
        }
    }
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
    CHECK_RC(DestroyBlob(cfg), NMERR_SUCCESS);
}

/* Start cannot open its source or write its file format: it fails, nothing starts, no file is
 * left behind. */
static void start_source_errors(void) {
    char dir[700], gone[700], odd[700];
    HBLOB cfg, nic_gone, nic_odd;
    HNPP h;
    char name[4096];
    subdir("start-errors", dir, sizeof dir);
    cfg = ru_config(dir);
    snprintf(gone, sizeof gone, "%s/removed.pcap", g_dir);
    snprintf(odd, sizeof odd, "%s/linktype130.pcap", g_dir);
    CHECK(ru_write_pcap(gone, REPLAY_FRAMES) == 0);
    CHECK(ru_write_pcap_lt(odd, REPLAY_FRAMES, 130) == 0);
    nic_gone = ru_replay_nic(gone);
    nic_odd = ru_replay_nic(odd);

    /* the replay file disappears between Connect and Start */
    h = new_npp(nic_gone);
    CHECK_RC(esp_connect(h, cfg, NULL, NULL, NULL), NMERR_SUCCESS);
    CHECK(unlink(gone) == 0);
    CHECK_RC(esp_start(h, name, sizeof name), NMERR_FILE_NOT_FOUND);
    check_state(&ESP, h, ST_C, "esp_start without its replay file");
    CHECK_EQ(ru_count_files(dir), 0);
    CHECK_RC(esp_disconnect(h), NMERR_SUCCESS);
    CHECK_RC(stats_connect(h, cfg, NULL, NULL, NULL), NMERR_FILE_NOT_FOUND);
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
    CHECK(ru_write_pcap(gone, REPLAY_FRAMES) == 0);
    h = new_npp(nic_gone);
    CHECK_RC(stats_connect(h, cfg, NULL, NULL, NULL), NMERR_SUCCESS);
    CHECK(unlink(gone) == 0);
    CHECK_RC(stats_start(h), NMERR_FILE_NOT_FOUND);
    check_state(&STATS, h, ST_C, "stats_start without its replay file");
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);

    /* a link type the Network Monitor format cannot hold (pcap would) */
    h = new_npp(nic_odd);
    CHECK_RC(esp_connect(h, cfg, NULL, NULL, NULL), NMERR_SUCCESS);
    CHECK_RC(esp_start(h, name, sizeof name), NMERR_UNKNOWN_MACTYPE);
    check_state(&ESP, h, ST_C, "esp_start with LINKTYPE 130 into NETMON2");
    CHECK_EQ(ru_count_files(dir), 0);
    {
        HBLOB pcap = ru_blob1(CATEGORY_CONFIG, TAG_FILE_FORMAT, "pcap");
        CHECK_RC(esp_configure(h, pcap, NULL), NMERR_SUCCESS);
        CHECK_RC(esp_start(h, name, sizeof name), NMERR_SUCCESS);
        CHECK_EQ(ru_wait_captured(esp_get_statistics_ex, h, REPLAY_FRAMES), REPLAY_FRAMES);
        CHECK_RC(esp_stop(h, NULL), NMERR_SUCCESS);
        CHECK(ru_exists(name));
        CHECK_RC(DestroyBlob(pcap), NMERR_SUCCESS);
    }
    CHECK_RC(esp_disconnect(h), NMERR_SUCCESS);
    CHECK_RC(stats_connect(h, cfg, NULL, NULL, NULL), NMERR_SUCCESS);
    CHECK_RC(stats_start(h), NMERR_SUCCESS); /* no file, no format */
    CHECK_EQ(ru_wait_captured(stats_get_statistics_ex, h, REPLAY_FRAMES), REPLAY_FRAMES);
    CHECK_RC(stats_stop(h), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
    CHECK_RC(DestroyBlob(nic_gone), NMERR_SUCCESS);
    CHECK_RC(DestroyBlob(nic_odd), NMERR_SUCCESS);
    CHECK_RC(DestroyBlob(cfg), NMERR_SUCCESS);
}

/* Connect's errors: replay file missing or not a capture, an interface that does not exist,
 * a capture directory that is a regular file, a malformed configuration. */
static void connect_errors(void) {
    const Fam *fams[] = {&ESP, &STATS};
    int fi;
    for (fi = 0; fi < 2; fi++) {
        const Fam *f = fams[fi];
        HBLOB nic_missing = ru_replay_nic(g_missing), nic_junk = ru_replay_nic(g_junk);
        HBLOB nic_live = ru_blob1(CATEGORY_LOCATION, TAG_NAME, "no-such-nic0");
        HBLOB err = NULL, bad_cfg = ru_config(g_capdir);
        HNPP h;
        DWORD rc;
        CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);

        h = new_npp(nic_missing);
        expect_rc(f->connect(h, g_cfg, NULL, NULL, err), NMERR_FILE_NOT_FOUND, "Connect (missing replay file)", f->name);
        CHECK_STR(ru_get(err, CATEGORY_LOCATION, TAG_REPLAY_FILE), g_missing);
        check_state(f, h, ST_N, "after a refused Connect");
        CHECK_RC(npp_destroy(h), NMERR_SUCCESS);

        h = new_npp(nic_junk);
        expect_rc(f->connect(h, g_cfg, NULL, NULL, NULL), NMERR_INVALID_FILE_FORMAT, "Connect (junk replay file)", f->name);
        check_state(f, h, ST_N, "after a refused Connect");
        CHECK_RC(npp_destroy(h), NMERR_SUCCESS);

        CHECK_RC(DestroyBlob(err), NMERR_SUCCESS);
        CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
        h = new_npp(nic_live);
        rc = f->connect(h, g_cfg, NULL, NULL, err);
        check_count++;
        if (rc == NMERR_NETWORK_NOT_PRESENT) {
            CHECK_STR(ru_get(err, CATEGORY_LOCATION, TAG_NAME), "no-such-nic0");
        } else if (rc == NMERR_ACCESS_DENIED) {
            CHECK(ru_get(err, "Error", "Permission") != NULL);
        } else {
            check_failures++;
            fprintf(stderr, "%s Connect on no-such-nic0 returned %u (%s)\n", f->name, (unsigned)rc, nmerr_text(rc));
        }
        check_state(f, h, ST_N, "after a refused Connect");
        CHECK_RC(npp_destroy(h), NMERR_SUCCESS);

        /* a malformed configuration: Connect fails and the NPP stays unconnected */
        CHECK_RC(DestroyBlob(err), NMERR_SUCCESS);
        CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
        CHECK_RC(SetStringInBlob(bad_cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_BUFFER_SIZE, "lots"), NMERR_SUCCESS);
        h = new_npp(g_nic);
        expect_rc(f->connect(h, bad_cfg, NULL, NULL, err), NMERR_BLOB_CONVERSION_ERROR, "Connect (BufferSize=lots)", f->name);
        CHECK_STR(ru_get(err, CATEGORY_CONFIG, TAG_BUFFER_SIZE), "lots");
        check_state(f, h, ST_N, "after a refused Connect");
        CHECK_RC(npp_destroy(h), NMERR_SUCCESS);

        CHECK_RC(DestroyBlob(err), NMERR_SUCCESS);
        CHECK_RC(DestroyBlob(bad_cfg), NMERR_SUCCESS);
        CHECK_RC(DestroyBlob(nic_missing), NMERR_SUCCESS);
        CHECK_RC(DestroyBlob(nic_junk), NMERR_SUCCESS);
        CHECK_RC(DestroyBlob(nic_live), NMERR_SUCCESS);
    }
    /* a capture directory that is a regular file: esp_connect refuses; stats needs none */
    {
        HBLOB cfg = ru_config(g_plainfile), err = NULL;
        HNPP h = new_npp(g_nic);
        CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
        CHECK_RC(esp_connect(h, cfg, NULL, NULL, err), NMERR_NO_DEFAULT_CAPTURE_DIRECTORY);
        CHECK_STR(ru_get(err, CATEGORY_CONFIG, TAG_CAPTURE_DIRECTORY), g_plainfile);
        check_state(&ESP, h, ST_N, "after NO_DEFAULT_CAPTURE_DIRECTORY");
        CHECK_RC(stats_connect(h, cfg, NULL, NULL, NULL), NMERR_SUCCESS);
        CHECK_RC(stats_start(h), NMERR_SUCCESS);
        CHECK_RC(stats_stop(h), NMERR_SUCCESS);
        CHECK_RC(stats_disconnect(h), NMERR_SUCCESS);
        CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
        CHECK_RC(DestroyBlob(err), NMERR_SUCCESS);
        CHECK_RC(DestroyBlob(cfg), NMERR_SUCCESS);
    }
}

/* Configure's errors keep the previous configuration; unknown NPP tags go to the error BLOB. */
static void configure_errors(void) {
    const Fam *fams[] = {&ESP, &STATS};
    char other[700];
    int fi;
    subdir("other", other, sizeof other);
    for (fi = 0; fi < 2; fi++) {
        const Fam *f = fams[fi];
        HNPP h = new_npp(g_nic);
        HBLOB bad = ru_config(other), trig = NULL, unknown = NULL, err = NULL;
        TRIGGER t;
        CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
        CHECK_RC(SetStringInBlob(bad, OWNER_NPP, CATEGORY_CONFIG, TAG_BUFFER_SIZE, "lots"), NMERR_SUCCESS);
        expect_rc(f->connect(h, g_cfg, NULL, NULL, NULL), NMERR_SUCCESS, "Connect", f->name);
        /* BufferSize=lots: the whole BLOB (with its new capture directory) is refused */
        expect_rc(f->configure(h, bad, err), NMERR_BLOB_CONVERSION_ERROR, "Configure (BufferSize=lots)", f->name);
        CHECK_STR(ru_get(err, CATEGORY_CONFIG, TAG_BUFFER_SIZE), "lots");
        check_state(f, h, ST_C, "after a refused Configure");
        if (f == &ESP) {
            char name[4096];
            CHECK_RC(esp_start(h, name, sizeof name), NMERR_SUCCESS);
            CHECK(strncmp(name, g_capdir, strlen(g_capdir)) == 0); /* the old directory */
            CHECK_RC(esp_stop(h, NULL), NMERR_SUCCESS);
        } else {
            CHECK_RC(stats_start(h), NMERR_SUCCESS);
            CHECK_RC(stats_stop(h), NMERR_SUCCESS);
        }
        /* a corrupt trigger */
        CHECK_RC(DestroyBlob(err), NMERR_SUCCESS);
        CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
        trig = ru_blob1(CATEGORY_TRIGGER, TAG_TRIGGER, "SOON;STOP");
        CHECK_RC(GetNPPTriggerFromBlob(trig, &t, NULL), NMERR_ILLEGAL_TRIGGER);
        expect_rc(f->configure(h, trig, err), NMERR_ILLEGAL_TRIGGER, "Configure (corrupt trigger)", f->name);
        CHECK_STR(ru_get(err, CATEGORY_TRIGGER, TAG_TRIGGER), "SOON;STOP");
        check_state(f, h, ST_S, "after ILLEGAL_TRIGGER");
        /* an unknown NPP:Config tag is reported and ignored; other owners are ignored */
        CHECK_RC(DestroyBlob(err), NMERR_SUCCESS);
        CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
        unknown = ru_blob1(CATEGORY_CONFIG, "NoSuchTag", "42");
        CHECK_RC(SetStringInBlob(unknown, "App", "Stuff", "Thing", "x"), NMERR_SUCCESS);
        CHECK_RC(SetStringInBlob(unknown, OWNER_NPP, CATEGORY_CONFIG, TAG_CAPTURE_DIRECTORY, other), NMERR_SUCCESS);
        expect_rc(f->configure(h, unknown, err), NMERR_SUCCESS, "Configure (unknown tag)", f->name);
        CHECK_STR(ru_get(err, CATEGORY_CONFIG, "NoSuchTag"), "42");
        {
            const char *v = NULL;
            CHECK_RC(GetStringFromBlob(err, "App", "Stuff", "Thing", &v), NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
        }
        check_state(f, h, ST_C, "after Configure with an unknown tag");
        if (f == &ESP) {
            char name[4096];
            CHECK_RC(esp_start(h, name, sizeof name), NMERR_SUCCESS);
            CHECK(strncmp(name, other, strlen(other)) == 0); /* the new directory is in force */
            CHECK_RC(esp_stop(h, NULL), NMERR_SUCCESS);
        } else {
            CHECK_RC(stats_start(h), NMERR_SUCCESS);
            CHECK_RC(stats_stop(h), NMERR_SUCCESS);
        }
        /* a NULL error BLOB is fine */
        expect_rc(f->configure(h, bad, NULL), NMERR_BLOB_CONVERSION_ERROR, "Configure (no error BLOB)", f->name);
        expect_rc(f->disconnect(h), NMERR_SUCCESS, "Disconnect", f->name);
        CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
        CHECK_RC(DestroyBlob(err), NMERR_SUCCESS);
        CHECK_RC(DestroyBlob(bad), NMERR_SUCCESS);
        CHECK_RC(DestroyBlob(trig), NMERR_SUCCESS);
        CHECK_RC(DestroyBlob(unknown), NMERR_SUCCESS);
    }
}

/* A capture with no frame leaves no file unless DontDeleteEmptyCapture is TRUE. */
static void empty_capture(void) {
    HBLOB nic0 = ru_replay_nic(g_replay0), keep = NULL;
    HNPP h = new_npp(nic0);
    char name[4096];
    STATISTICS st;
    CHECK_RC(esp_connect(h, g_cfg, NULL, NULL, NULL), NMERR_SUCCESS);
    CHECK_RC(esp_start(h, name, sizeof name), NMERR_SUCCESS);
    CHECK(ru_exists(name)); /* open while the capture runs */
    memset(&st, 0xAB, sizeof st);
    CHECK_RC(esp_stop(h, &st), NMERR_SUCCESS);
    CHECK_EQ(st.TotalFramesCaptured, 0);
    CHECK(!ru_exists(name));
    CHECK_RC(CreateBlob(&keep), NMERR_SUCCESS);
    CHECK_RC(SetBoolInBlob(keep, OWNER_NPP, CATEGORY_CONFIG, TAG_DONT_DELETE_EMPTY_CAPTURE, TRUE), NMERR_SUCCESS);
    CHECK_RC(esp_configure(h, keep, NULL), NMERR_SUCCESS);
    CHECK_RC(esp_start(h, name, sizeof name), NMERR_SUCCESS);
    CHECK_RC(esp_pause(h, NULL), NMERR_SUCCESS);
    CHECK_RC(esp_stop(h, &st), NMERR_SUCCESS);
    CHECK_EQ(st.TotalFramesCaptured, 0);
    CHECK(ru_exists(name));
    /* FALSE again: deleted again */
    CHECK_RC(SetBoolInBlob(keep, OWNER_NPP, CATEGORY_CONFIG, TAG_DONT_DELETE_EMPTY_CAPTURE, FALSE), NMERR_SUCCESS);
    CHECK_RC(esp_configure(h, keep, NULL), NMERR_SUCCESS);
    CHECK_RC(esp_start(h, name, sizeof name), NMERR_SUCCESS);
    CHECK_RC(esp_stop(h, NULL), NMERR_SUCCESS);
    CHECK(!ru_exists(name));
    CHECK_RC(esp_disconnect(h), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
    CHECK_RC(DestroyBlob(keep), NMERR_SUCCESS);
    CHECK_RC(DestroyBlob(nic0), NMERR_SUCCESS);
}

/* ---- the status callback -------------------------------------------------------------------- */

#define MAX_EVENTS 64

typedef struct Rec {
    UPDATE_EVENT ev;
    int has_stats;
    STATISTICS stats;
    DWORD control_rc, query_rc;
    BOOL running, paused;
    DWORD state;
} Rec;

enum { ACT_NONE, ACT_DISCONNECT, ACT_DESTROY };

typedef struct CbCtx {
    pthread_mutex_t mu;
    const Fam *fam;
    HNPP h;
    int action;            /* what the callback does on the stop event */
    DWORD action_rc[3];    /* Stop, Disconnect (or npp_destroy), npp_destroy again */
    int n;
    int overflow;
    Rec rec[MAX_EVENTS];
} CbCtx;

static void ctx_init(CbCtx *c, const Fam *f, HNPP h) {
    memset(c, 0, sizeof *c);
    pthread_mutex_init(&c->mu, NULL);
    c->fam = f;
    c->h = h;
}

static DWORD status_callback(UPDATE_EVENT ev) {
    CbCtx *c = (CbCtx *)ev.lpUserContext;
    Rec r;
    NETWORKSTATUS ns;
    memset(&r, 0, sizeof r);
    r.ev = ev;
    if (ev.lpFinalStats) {
        r.has_stats = 1;
        r.stats = *ev.lpFinalStats;
    }
    /* calls back into the library on its own NPP: must not deadlock */
    r.control_rc = c->fam->control(c->h, &r.running, &r.paused);
    ns.State = 0xDEAD;
    r.query_rc = esp_query_status(c->h, &ns);
    r.state = ns.State;
    if (ev.Event == UPDATE_EVENT_NETWORK_STATUS && c->action == ACT_DISCONNECT) {
        c->action_rc[0] = c->fam->stop(c->h);
        c->action_rc[1] = c->fam->disconnect(c->h);
        c->action_rc[2] = c->fam->disconnect(c->h);
    } else if (ev.Event == UPDATE_EVENT_NETWORK_STATUS && c->action == ACT_DESTROY) {
        c->action_rc[0] = c->fam->stop(c->h);
        c->action_rc[1] = npp_destroy(c->h);
        c->action_rc[2] = npp_destroy(c->h);
    }
    pthread_mutex_lock(&c->mu);
    if (c->n < MAX_EVENTS) c->rec[c->n++] = r;
    else c->overflow = 1;
    pthread_mutex_unlock(&c->mu);
    return 0;
}

/* Waits (deadline) until the callback has recorded `n` stop events: callbacks run on their own
 * thread, so what a callback sees of the NPP is only defined before the test moves on. */
static void wait_stop_recorded(CbCtx *c, int n) {
    long long deadline = ru_now_ms() + RU_DEADLINE_MS;
    for (;;) {
        int i, stops = 0;
        pthread_mutex_lock(&c->mu);
        for (i = 0; i < c->n; i++) stops += c->rec[i].ev.Event == UPDATE_EVENT_NETWORK_STATUS;
        pthread_mutex_unlock(&c->mu);
        if (stops >= n || ru_now_ms() > deadline) return;
        ru_sleep_ms(2);
    }
}

static int count_stop_events(CbCtx *c, const char *ctx) {
    int i, stops = 0;
    for (i = 0; i < c->n; i++) {
        Rec *r = &c->rec[i];
        if (r->ev.Event != UPDATE_EVENT_NETWORK_STATUS) continue;
        stops++;
        expect_eq(r->ev.Action, UPDATE_ACTION_STOP_CAPTURE, "Action", ctx);
        expect_eq(r->ev.Status, NETWORKSTATUS_STATE_VOID, "Status", ctx);
        expect_eq((long long)r->ev.lpUserContext, (long long)(uintptr_t)c, "lpUserContext", ctx);
        expect_eq(r->has_stats, 1, "lpFinalStats != NULL", ctx);
        expect_eq(r->stats.TotalFramesCaptured, 2, "lpFinalStats->TotalFramesCaptured", ctx);
        expect_eq(r->stats.TotalBytesCaptured, ru_bytes_of(2), "lpFinalStats->TotalBytesCaptured", ctx);
        /* what the callback saw from inside */
        expect_rc(r->control_rc, NMERR_SUCCESS, "GetControlState in the callback", ctx);
        expect_eq(r->running, FALSE, "IsRunnning in the callback", ctx);
        expect_eq(r->paused, FALSE, "IsPaused in the callback", ctx);
        expect_rc(r->query_rc, NMERR_SUCCESS, "esp_query_status in the callback", ctx);
        expect_eq(r->state, NETWORKSTATUS_STATE_VOID, "State in the callback", ctx);
    }
    return stops;
}

/* Checks that the last event is the only UPDATE_EVENT_TERMINATE_THREAD. */
static void check_terminate_last(CbCtx *c, DWORD want_control_rc, const char *ctx) {
    int i, terms = 0;
    for (i = 0; i < c->n; i++) terms += c->rec[i].ev.Event == UPDATE_EVENT_TERMINATE_THREAD;
    expect_eq(terms, 1, "UPDATE_EVENT_TERMINATE_THREAD events", ctx);
    expect_eq(c->overflow, 0, "event overflow", ctx);
    if (c->n == 0) return;
    expect_eq(c->rec[c->n - 1].ev.Event, UPDATE_EVENT_TERMINATE_THREAD, "last Event", ctx);
    expect_eq(c->rec[c->n - 1].ev.Action, UPDATE_ACTION_TERMINATE_THREAD, "last Action", ctx);
    expect_eq((long long)c->rec[c->n - 1].ev.lpUserContext, (long long)(uintptr_t)c, "last lpUserContext", ctx);
    expect_rc(c->rec[c->n - 1].control_rc, want_control_rc, "GetControlState in the last callback", ctx);
}

/* NPP:Config:FrameLimit ends the capture by itself; the callback gets the final statistics. */
static void frame_limit_and_callback(void) {
    const Fam *fams[] = {&ESP, &STATS};
    int fi;
    for (fi = 0; fi < 2; fi++) {
        const Fam *f = fams[fi];
        HNPP h = new_npp(g_nic);
        HBLOB cfg = ru_config(g_capdir);
        CbCtx *c = (CbCtx *)malloc(sizeof *c);
        STATISTICS_EX x;
        STATISTICS st;
        char ctx[64];
        int round;
        snprintf(ctx, sizeof ctx, "%s frame limit", f->name);
        ctx_init(c, f, h);
        CHECK_RC(SetDwordInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_FRAME_LIMIT, 2), NMERR_SUCCESS);
        expect_rc(f->connect(h, cfg, status_callback, c, NULL), NMERR_SUCCESS, "Connect with a callback", ctx);
        for (round = 0; round < 2; round++) { /* the second Start re-uses the configuration */
            if (f == &ESP) {
                char name[4096];
                expect_rc(esp_start(h, name, sizeof name), NMERR_SUCCESS, "esp_start", ctx);
                expect_eq(tu_wait_stopped(f->control, h), 1, "capture ended by itself", ctx);
                wait_stop_recorded(c, round + 1);
                expect_rc(esp_stop(h, &st), NMERR_NOT_CAPTURING, "esp_stop after the end", ctx);
                CHECK(ru_exists(name)); /* 2 frames: kept */
            } else {
                expect_rc(stats_start(h), NMERR_SUCCESS, "stats_start", ctx);
                expect_eq(tu_wait_stopped(f->control, h), 1, "capture ended by itself", ctx);
                wait_stop_recorded(c, round + 1);
                expect_rc(stats_stop(h), NMERR_NOT_CAPTURING, "stats_stop after the end", ctx);
                memset(&st, 0xAB, sizeof st);
                expect_rc(stats_get_total_statistics(h, &st, FALSE), NMERR_SUCCESS, "stats_get_total_statistics", ctx);
                expect_eq(st.TotalFramesCaptured, 2, "TotalFramesCaptured", ctx);
            }
            check_state(f, h, ST_S, ctx);
            expect_rc(f->pause(h), NMERR_NOT_CAPTURING, "Pause after the end", ctx);
            expect_rc(f->resume(h), NMERR_CAPTURE_NOT_PAUSED, "Resume after the end", ctx);
            memset(&x, 0, sizeof x);
            x.StructSize = sizeof x;
            expect_rc(f->stats_ex(h, &x), NMERR_SUCCESS, "get_statistics_ex", ctx);
            expect_eq(x.FramesCaptured, 2, "FramesCaptured", ctx);
        }
        expect_rc(f->disconnect(h), NMERR_SUCCESS, "Disconnect", ctx);
        /* Disconnect has waited for the callback thread: every event is recorded */
        pthread_mutex_lock(&c->mu);
        expect_eq(count_stop_events(c, ctx), 2, "stop events", ctx);
        check_terminate_last(c, NMERR_NOT_CONNECTED, ctx);
        pthread_mutex_unlock(&c->mu);
        CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
        CHECK_RC(DestroyBlob(cfg), NMERR_SUCCESS);
        pthread_mutex_destroy(&c->mu);
        free(c);
    }
}

/* A refused Connect starts no callback thread: the callback is never called. */
static void refused_connect_no_callback(void) {
    HBLOB nic_missing = ru_replay_nic(g_missing), bad = ru_blob1(CATEGORY_CONFIG, TAG_BUFFER_SIZE, "lots");
    CbCtx *c = (CbCtx *)malloc(sizeof *c);
    HNPP h = new_npp(nic_missing), g = new_npp(g_nic);
    ctx_init(c, &ESP, h);
    CHECK_RC(esp_connect(h, g_cfg, status_callback, c, NULL), NMERR_FILE_NOT_FOUND);
    CHECK_RC(stats_connect(h, g_cfg, status_callback, c, NULL), NMERR_FILE_NOT_FOUND);
    CHECK_RC(esp_connect(g, bad, status_callback, c, NULL), NMERR_BLOB_CONVERSION_ERROR);
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(g), NMERR_SUCCESS);
    pthread_mutex_lock(&c->mu);
    CHECK_EQ(c->n, 0);
    pthread_mutex_unlock(&c->mu);
    pthread_mutex_destroy(&c->mu);
    free(c);
    CHECK_RC(DestroyBlob(nic_missing), NMERR_SUCCESS);
    CHECK_RC(DestroyBlob(bad), NMERR_SUCCESS);
}

/* npp_destroy stops a running or paused capture (and ends the callback thread). */
static void destroy_running(void) {
    char dir[700];
    HBLOB cfg;
    int round;
    subdir("destroy", dir, sizeof dir);
    cfg = ru_config(dir);
    for (round = 0; round < 4; round++) {
        const Fam *f = round % 2 ? &STATS : &ESP;
        HNPP h = new_npp(g_nic);
        CbCtx *c = (CbCtx *)malloc(sizeof *c);
        char name[4096];
        NETWORKSTATUS ns;
        ctx_init(c, f, h);
        CHECK_RC(f->connect(h, cfg, status_callback, c, NULL), NMERR_SUCCESS);
        if (f == &ESP) CHECK_RC(esp_start(h, name, sizeof name), NMERR_SUCCESS);
        else CHECK_RC(stats_start(h), NMERR_SUCCESS);
        CHECK_EQ(ru_wait_captured(f->stats_ex, h, REPLAY_FRAMES), REPLAY_FRAMES);
        if (round >= 2) CHECK_RC(f->pause(h), NMERR_SUCCESS);
        CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
        if (f == &ESP) CHECK(ru_exists(name)); /* finished, not deleted: it has frames */
        pthread_mutex_lock(&c->mu);
        expect_eq(count_stop_events(c, "destroy"), 0, "stop events", "destroy");
        check_terminate_last(c, NMERR_INVALID_HNETWORK, "destroy");
        pthread_mutex_unlock(&c->mu);
        CHECK_RC(npp_destroy(h), NMERR_INVALID_HNETWORK);
        CHECK_RC(esp_query_status(h, &ns), NMERR_INVALID_HNETWORK);
        pthread_mutex_destroy(&c->mu);
        free(c);
    }
    CHECK_EQ(ru_count_files(dir), 2);
    /* idle and unconnected NPPs */
    {
        HNPP a = new_npp(g_nic), b = new_npp(g_nic);
        CHECK_RC(esp_connect(a, cfg, NULL, NULL, NULL), NMERR_SUCCESS);
        CHECK_RC(npp_destroy(a), NMERR_SUCCESS);
        CHECK_RC(npp_destroy(b), NMERR_SUCCESS);
        CHECK_RC(npp_destroy(a), NMERR_INVALID_HNETWORK);
        CHECK_RC(npp_destroy(b), NMERR_INVALID_HNETWORK);
    }
    CHECK_RC(DestroyBlob(cfg), NMERR_SUCCESS);
}

/* Waits (bounded) until the callback recorded UPDATE_EVENT_TERMINATE_THREAD. */
static int wait_terminated(CbCtx *c) {
    long long deadline = ru_now_ms() + RU_DEADLINE_MS;
    for (;;) {
        int i, done = 0;
        pthread_mutex_lock(&c->mu);
        for (i = 0; i < c->n; i++) done |= c->rec[i].ev.Event == UPDATE_EVENT_TERMINATE_THREAD;
        pthread_mutex_unlock(&c->mu);
        if (done) return 1;
        if (ru_now_ms() > deadline) return 0;
        ru_sleep_ms(2);
    }
}

/* Waits (bounded) until the callback has recorded a stop event. 1 when it did. */
static int wait_stop_recorded_bounded(CbCtx *c) {
    long long deadline = ru_now_ms() + RU_DEADLINE_MS;
    for (;;) {
        int i, done = 0;
        pthread_mutex_lock(&c->mu);
        for (i = 0; i < c->n; i++) done |= c->rec[i].ev.Event == UPDATE_EVENT_NETWORK_STATUS && c->rec[i].ev.Action == UPDATE_ACTION_STOP_CAPTURE;
        pthread_mutex_unlock(&c->mu);
        if (done) return 1;
        if (ru_now_ms() > deadline) return 0;
        ru_sleep_ms(2);
    }
}

/* The callback may stop, disconnect or destroy its own NPP (header: it runs with no library lock
 * held). The contexts are static: the callback thread is not joined when it ends itself. */
static CbCtx g_reentry[4];

static void callback_reentry(void) {
    int i;
    for (i = 0; i < 4; i++) {
        const Fam *f = i % 2 ? &STATS : &ESP;
        int destroy = i >= 2;
        CbCtx *c = &g_reentry[i];
        HNPP h = new_npp(g_nic);
        HBLOB cfg = ru_config(g_capdir);
        char ctx[64];
        NETWORKSTATUS ns;
        snprintf(ctx, sizeof ctx, "%s callback %s", f->name, destroy ? "destroys" : "disconnects");
        ctx_init(c, f, h);
        c->action = destroy ? ACT_DESTROY : ACT_DISCONNECT;
        CHECK_RC(SetDwordInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_FRAME_LIMIT, 2), NMERR_SUCCESS);
        expect_rc(f->connect(h, cfg, status_callback, c, NULL), NMERR_SUCCESS, "Connect", ctx);
        expect_rc(f->start(h), NMERR_SUCCESS, "Start", ctx);
        if (destroy) {
            /* npp_destroy from inside the callback: that callback is the NPP's last one, not even
             * UPDATE_EVENT_TERMINATE_THREAD follows (netmon.h, "Callbacks"). */
            int n;
            expect_eq(wait_stop_recorded_bounded(c), 1, "the stop event recorded", ctx);
            ru_sleep_ms(300);
            pthread_mutex_lock(&c->mu);
            n = c->n;
            expect_eq(count_stop_events(c, ctx), 1, "stop events", ctx);
            expect_eq(n > 0 ? (int)c->rec[n - 1].ev.Event : -1, UPDATE_EVENT_NETWORK_STATUS, "the last callback is the stop event", ctx);
            expect_eq(n > 0 ? (int)c->rec[n - 1].ev.Action : -1, UPDATE_ACTION_STOP_CAPTURE, "its action", ctx);
        } else {
            expect_eq(wait_terminated(c), 1, "UPDATE_EVENT_TERMINATE_THREAD arrived", ctx);
            pthread_mutex_lock(&c->mu);
            expect_eq(count_stop_events(c, ctx), 1, "stop events", ctx);
            check_terminate_last(c, NMERR_NOT_CONNECTED, ctx);
        }
        expect_rc(c->action_rc[0], NMERR_NOT_CAPTURING, "Stop in the callback", ctx);
        expect_rc(c->action_rc[1], NMERR_SUCCESS, destroy ? "npp_destroy in the callback" : "Disconnect in the callback", ctx);
        expect_rc(c->action_rc[2], destroy ? NMERR_INVALID_HNETWORK : NMERR_NOT_CONNECTED, "the same again", ctx);
        pthread_mutex_unlock(&c->mu);
        if (destroy) {
            expect_rc(esp_query_status(h, &ns), NMERR_INVALID_HNETWORK, "QueryStatus after destroy", ctx);
            expect_rc(npp_destroy(h), NMERR_INVALID_HNETWORK, "npp_destroy again", ctx);
        } else {
            check_state(f, h, ST_N, ctx);
            /* it can be connected again */
            expect_rc(f->connect(h, g_cfg, NULL, NULL, NULL), NMERR_SUCCESS, "Connect again", ctx);
            expect_rc(npp_destroy(h), NMERR_SUCCESS, "npp_destroy", ctx);
        }
        CHECK_RC(DestroyBlob(cfg), NMERR_SUCCESS);
    }
}

/* The first four bytes of a file (0 when it cannot be read). */
static uint32_t file_magic(const char *path) {
    unsigned char b[4] = {0, 0, 0, 0};
    FILE *fp = fopen(path, "rb");
    if (fp) {
        if (fread(b, 1, 4, fp) != 4) memset(b, 0, 4);
        fclose(fp);
    }
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* NPP:Config:FileFormat, the capture directory's fallbacks and its creation. */
static void capture_dir_and_format(void) {
    /* The library's file name ends in the format's extension (issue 20): .cap, .pcap, .pcapng. */
    static const struct { const char *format; uint32_t magic[4]; const char *ext; } formats[] = {
        {NULL, {0x474D4255u, 0, 0, 0}, ".cap"},                                   /* "GMBU" */
        {"NETMON2", {0x474D4255u, 0, 0, 0}, ".cap"},
        {"pcap", {0xA1B2C3D4u, 0xD4C3B2A1u, 0xA1B23C4Du, 0x4D3CB2A1u}, ".pcap"},
        {"PcapNG", {0x0A0D0D0Au, 0, 0, 0}, ".pcapng"},
    };
    char dir[700], deep[800];
    size_t i;
    HNPP h = new_npp(g_nic);
    HBLOB err = NULL;
    subdir("formats", dir, sizeof dir);
    for (i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        HBLOB cfg = ru_config(dir);
        char name[4096];
        uint32_t m;
        if (formats[i].format) CHECK_RC(SetStringInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_FILE_FORMAT, formats[i].format), NMERR_SUCCESS);
        CHECK_RC(i == 0 ? esp_connect(h, cfg, NULL, NULL, NULL) : esp_configure(h, cfg, NULL), NMERR_SUCCESS);
        CHECK_RC(esp_start(h, name, sizeof name), NMERR_SUCCESS);
        CHECK_EQ(ru_wait_captured(esp_get_statistics_ex, h, REPLAY_FRAMES), REPLAY_FRAMES);
        CHECK_RC(esp_stop(h, NULL), NMERR_SUCCESS);
        if (!ru_ends_with(name, formats[i].ext)) fprintf(stderr, "FileFormat %s: file name %s does not end in %s\n", formats[i].format ? formats[i].format : "(default)", name, formats[i].ext);
        CHECK(ru_ends_with(name, formats[i].ext));
        m = file_magic(name);
        check_count++;
        if (m == 0 || (m != formats[i].magic[0] && m != formats[i].magic[1] && m != formats[i].magic[2] && m != formats[i].magic[3])) {
            check_failures++;
            fprintf(stderr, "FileFormat %s: file starts with 0x%08X\n", formats[i].format ? formats[i].format : "(default)", (unsigned)m);
        }
        CHECK_RC(DestroyBlob(cfg), NMERR_SUCCESS);
    }
    /* an unknown format is refused and reported */
    {
        HBLOB cfg = ru_blob1(CATEGORY_CONFIG, TAG_FILE_FORMAT, "cap");
        CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
        CHECK_RC(esp_configure(h, cfg, err), NMERR_BLOB_CONVERSION_ERROR);
        CHECK_STR(ru_get(err, CATEGORY_CONFIG, TAG_FILE_FORMAT), "cap");
        CHECK_RC(DestroyBlob(err), NMERR_SUCCESS);
        CHECK_RC(DestroyBlob(cfg), NMERR_SUCCESS);
    }
    CHECK_RC(esp_disconnect(h), NMERR_SUCCESS);

    /* a missing capture directory is created by Connect (its last component only: never a
     * missing parent); a relative path or one with '..' is a malformed entry */
    snprintf(deep, sizeof deep, "%s/made-by-connect", g_dir);
    {
        HBLOB cfg = ru_config(deep), err = NULL;
        char name[4096], missing_parent[700], dots[720];
        struct stat sb;
        const char *detail;
        static const char *const bad[] = {"relative/caps", "/tmp/../tmp/caps", "/tmp/./caps", ""};
        unsigned i;
        CHECK_RC(esp_connect(h, cfg, NULL, NULL, NULL), NMERR_SUCCESS);
        CHECK(stat(deep, &sb) == 0 && S_ISDIR(sb.st_mode));
        CHECK_EQ(sb.st_mode & 07777, 0700);
        /* replaced by a regular file after Connect: Start cannot make its file, nothing starts */
        CHECK(rmdir(deep) == 0);
        CHECK(ru_write_text(deep, "in the way\n") == 0);
        CHECK_RC(esp_start(h, name, sizeof name), NMERR_COULD_NOT_CREATE_DIRECTORY);
        check_state(&ESP, h, ST_C, "after COULD_NOT_CREATE_DIRECTORY");
        CHECK(unlink(deep) == 0);
        CHECK_RC(esp_start(h, name, sizeof name), NMERR_SUCCESS); /* made again */
        CHECK(strncmp(name, deep, strlen(deep)) == 0);
        CHECK_RC(esp_stop(h, NULL), NMERR_SUCCESS);
        CHECK_RC(esp_disconnect(h), NMERR_SUCCESS);
        CHECK_RC(DestroyBlob(cfg), NMERR_SUCCESS);
        /* a missing parent is not created: no capture directory, the reason in the error BLOB */
        snprintf(missing_parent, sizeof missing_parent, "%s/no-such-parent/caps", g_dir);
        cfg = ru_config(missing_parent);
        CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
        CHECK_RC(esp_connect(h, cfg, NULL, NULL, err), NMERR_NO_DEFAULT_CAPTURE_DIRECTORY);
        detail = ru_get(err, "Error", "Detail");
        CHECK(detail && strstr(detail, "no-such-parent"));
        snprintf(dots, sizeof dots, "%s/no-such-parent", g_dir);
        CHECK(stat(dots, &sb) != 0);
        CHECK_RC(DestroyBlob(err), NMERR_SUCCESS);
        CHECK_RC(DestroyBlob(cfg), NMERR_SUCCESS);
        /* relative, '.', '..', empty: NMERR_BLOB_CONVERSION_ERROR naming the entry */
        for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            cfg = ru_config(bad[i]);
            CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
            CHECK_RC(esp_connect(h, cfg, NULL, NULL, err), NMERR_BLOB_CONVERSION_ERROR);
            CHECK_STR(ru_get(err, CATEGORY_CONFIG, TAG_CAPTURE_DIRECTORY), bad[i]);
            CHECK_RC(DestroyBlob(err), NMERR_SUCCESS);
            CHECK_RC(DestroyBlob(cfg), NMERR_SUCCESS);
        }
    }

    /* no CaptureDirectory: $NETMON_CAPTURE_DIR, else $TMPDIR/netmon (no library thread runs here) */
    {
        HBLOB none = NULL;
        char env_dir[700], tmp_dir[700], name[4096], want[800];
        const char *old_tmp = getenv("TMPDIR"), *old_nm = getenv("NETMON_CAPTURE_DIR");
        char saved_tmp[1024] = "", saved_nm[1024] = "";
        if (old_tmp) snprintf(saved_tmp, sizeof saved_tmp, "%s", old_tmp);
        if (old_nm) snprintf(saved_nm, sizeof saved_nm, "%s", old_nm);
        subdir("env", env_dir, sizeof env_dir);
        subdir("tmp", tmp_dir, sizeof tmp_dir);
        CHECK_RC(CreateBlob(&none), NMERR_SUCCESS);
        setenv("NETMON_CAPTURE_DIR", env_dir, 1);
        CHECK_RC(esp_connect(h, none, NULL, NULL, NULL), NMERR_SUCCESS);
        CHECK_RC(esp_start(h, name, sizeof name), NMERR_SUCCESS);
        CHECK(strncmp(name, env_dir, strlen(env_dir)) == 0 && name[strlen(env_dir)] == '/');
        CHECK_RC(esp_stop(h, NULL), NMERR_SUCCESS);
        CHECK_RC(esp_disconnect(h), NMERR_SUCCESS);
        unsetenv("NETMON_CAPTURE_DIR");
        setenv("TMPDIR", tmp_dir, 1);
        snprintf(want, sizeof want, "%s/netmon/", tmp_dir);
        CHECK_RC(esp_connect(h, none, NULL, NULL, NULL), NMERR_SUCCESS);
        CHECK_RC(esp_start(h, name, sizeof name), NMERR_SUCCESS);
        CHECK(strncmp(name, want, strlen(want)) == 0);
        CHECK_RC(esp_stop(h, NULL), NMERR_SUCCESS);
        CHECK_RC(esp_disconnect(h), NMERR_SUCCESS);
        /* $TMPDIR/netmon planted by someone else: writable by all, or a symlink to a directory of
         * theirs. Refused: the per-user $TMPDIR/netmon-<uid> is used instead. */
        {
            char planted[800], theirs[800], own[800];
            int round;
            snprintf(planted, sizeof planted, "%s/netmon", tmp_dir);
            snprintf(theirs, sizeof theirs, "%s/theirs", tmp_dir);
            snprintf(own, sizeof own, "%s/netmon-%u/", tmp_dir, (unsigned)geteuid());
            CHECK(mkdir(theirs, 0777) == 0);
            for (round = 0; round < 2; round++) {
                if (round == 0) {
                    CHECK(chmod(planted, 0777) == 0);
                } else {
                    CHECK(ru_rm_tree(planted) == 0);
                    CHECK(symlink(theirs, planted) == 0);
                }
                CHECK_RC(esp_connect(h, none, NULL, NULL, NULL), NMERR_SUCCESS);
                CHECK_RC(esp_start(h, name, sizeof name), NMERR_SUCCESS);
                CHECK(strncmp(name, own, strlen(own)) == 0);
                CHECK_RC(esp_stop(h, NULL), NMERR_SUCCESS);
                CHECK_RC(esp_disconnect(h), NMERR_SUCCESS);
                CHECK_EQ(ru_count_files(theirs), 0);
            }
            /* the per-user one planted too (a symlink): no default directory, and the reason */
            {
                HBLOB err = NULL;
                const char *detail;
                own[strlen(own) - 1] = '\0';
                CHECK(ru_rm_tree(own) == 0);
                CHECK(symlink(theirs, own) == 0);
                CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
                CHECK_RC(esp_connect(h, none, NULL, NULL, err), NMERR_NO_DEFAULT_CAPTURE_DIRECTORY);
                detail = ru_get(err, "Error", "Detail");
                printf("   planted default directories: %s\n", detail ? detail : "(no detail)");
                CHECK(detail && strstr(detail, "refused"));
                CHECK_RC(DestroyBlob(err), NMERR_SUCCESS);
                CHECK(unlink(own) == 0 && unlink(planted) == 0);
            }
        }
        if (old_tmp) setenv("TMPDIR", saved_tmp, 1);
        else unsetenv("TMPDIR");
        if (old_nm) setenv("NETMON_CAPTURE_DIR", saved_nm, 1);
        CHECK_RC(DestroyBlob(none), NMERR_SUCCESS);
    }
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
}

static void on_alarm(int sig) {
    static const char msg[] = "test_esp_states: deadlock? (watchdog)\n";
    (void)sig;
    if (write(2, msg, sizeof msg - 1) < 0) _exit(1);
    _exit(1);
}

/* ---- setup ------------------------------------------------------------------------------------ */

static int setup(void) {
    if (ru_mkdtemp(g_dir, sizeof g_dir, "ndisnpp-esp-states") != 0) {
        perror("mkdtemp");
        return -1;
    }
    snprintf(g_capdir, sizeof g_capdir, "%s/cap", g_dir);
    snprintf(g_replay, sizeof g_replay, "%s/five.pcap", g_dir);
    snprintf(g_replay0, sizeof g_replay0, "%s/empty.pcap", g_dir);
    snprintf(g_junk, sizeof g_junk, "%s/junk.pcap", g_dir);
    snprintf(g_missing, sizeof g_missing, "%s/missing.pcap", g_dir);
    snprintf(g_plainfile, sizeof g_plainfile, "%s/plain-file", g_dir);
    if (mkdir(g_capdir, 0700) != 0 || ru_write_pcap(g_replay, REPLAY_FRAMES) != 0 || ru_write_pcap(g_replay0, 0) != 0 ||
        ru_write_text(g_junk, "this is not a capture file, just some text to read as one\n") != 0 ||
        ru_write_text(g_plainfile, "a file, not a directory\n") != 0) {
        perror("setup");
        return -1;
    }
    g_nic = ru_replay_nic(g_replay);
    g_cfg = ru_config(g_capdir);
    return g_nic && g_cfg ? 0 : -1;
}

int main(void) {
    signal(SIGALRM, on_alarm);
    alarm(240);
    if (setup() != 0) {
        fprintf(stderr, "test_esp_states: setup failed\n");
        return 1;
    }
    every_cell();
    cross_family();
    disconnect_codes();
    restart_after_stop();
    statistics_reads();
    bad_handles();
    null_pointers();
    bad_blobs();
    start_name_and_file();
    start_name_trailing_slash();
    start_source_errors();
    connect_errors();
    configure_errors();
    empty_capture();
    frame_limit_and_callback();
    destroy_running();
    refused_connect_no_callback();
    callback_reentry();
    capture_dir_and_format();
    CHECK_RC(DestroyBlob(g_nic), NMERR_SUCCESS);
    CHECK_RC(DestroyBlob(g_cfg), NMERR_SUCCESS);
    CHECK(ru_rm_tree(g_dir) == 0);
    return check_done("test_esp_states");
}
