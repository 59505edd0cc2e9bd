/* IRTC (rtc_*) and IDelaydC (dc_*) beyond the state table (which test_esp_states walks for all four
 * families): frame delivery, FRAME_DESCRIPTOR fields, special frames, configuration errors.
 *
 *  a) Bad input: rtc_connect with both callbacks NULL -> NMERR_INVALID_PARAMETER (nothing
 *     connected); malformed or out-of-range UpdateInterval / UpdateFreq / FrameTableLength /
 *     BufferSize -> NMERR_BLOB_CONVERSION_ERROR naming the entry, previous configuration kept;
 *     dc_start with a short buffer -> NMERR_INVALID_PARAMETER, nothing started;
 *     stats_insert_special_frame -> NMERR_NOT_SUPPORTED; user data too long -> INVALID_PARAMETER.
 *  b) FRAME_DESCRIPTOR on crafted frames of each kind: IPv4 with options, IPv6, ARP, 802.2,
 *     SNAP carrying IPv4, IPX (802.3 raw and Ethernet II), a short frame; FrameSize clipping.
 *  c) Exactly-once, in-order delivery of a replayed file of 100,000 frames (each frame numbered in
 *     its bytes) through a small table (1000 entries), so that the buffer switches many times; an
 *     unpaced replay waits for the callback, so nothing is dropped;
 *     the events are FRAME_TABLE_FULL, then INTERVAL_ELAPSED at the end; statistics agree.
 *  d) Callbacks that call back: rtc_pause and rtc_resume, rtc_stop, and rtc_stop then
 *     rtc_disconnect from inside the frames callback: no deadlock, the NPP ends stopped (and
 *     disconnected), and no frame arrives twice.
 *  e) A slow callback (100 ms per delivery) on a replay at recorded pace (frames 20 us apart, as
 *     on a link; an unpaced replay waits for the callback instead): frames are dropped and counted
 *     (TotalFramesDropped = the sum of UPDATE_EVENT.FramesDropped; delivered + dropped = seen),
 *     and the process does not grow (VmRSS).
 *  f) Special frames: dc_insert_special_frame into a NETMON2, PCAP and PCAPNG file (tshark reads
 *     it in place, with the pcapng comment), rtc_insert_special_frame in the frame stream.
 *  g) IDelaydC: a new file per Start, statistics while running, CAPTURE_PAUSED while paused,
 *     NOT_CAPTURING when idle, dc_stop's STATISTICS.
 *  h) Live: IRTC on lo in a private network namespace (root): N UDP datagrams -> exactly N frames
 *     delivered with their payloads, LowProtocol IP, HighPort 17. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"
#include "replay_util.h"
#include "shell_util.h"

static char tmpdir[256];
static int have_tshark;

static void on_alarm(int sig) {
    static const char msg[] = "test_rtc_dc: HANG (a call or a delivery did not come)\n";
    (void)sig;
    if (write(2, msg, sizeof msg - 1) < 0) {}
    _exit(1);
}

/* ---- pcap writing ------------------------------------------------------------------------------ */

typedef struct {
    tu_pcap w;
    unsigned n;
    unsigned gap_us; /* frame n is recorded at 1700000000 s + n * gap_us */
} Pcap;

static int pcap_open(Pcap *p, const char *path, uint32_t linktype) {
    p->n = 0;
    p->gap_us = 1000;
    return tu_pcap_open(&p->w, path, linktype, 262144, 0);
}

static int pcap_add(Pcap *p, const uint8_t *data, unsigned len, unsigned wire) {
    uint64_t us = (uint64_t)p->n * p->gap_us;
    tu_pcap_frame(&p->w, 1700000000u + (uint32_t)(us / 1000000), (uint32_t)(us % 1000000), data, len, wire);
    p->n++;
    return p->w.bad ? -1 : 0;
}

static int pcap_close(Pcap *p) { return tu_pcap_close(&p->w); }

/* ---- helpers ----------------------------------------------------------------------------------- */

static HNPP replay_npp(const char *replay) {
    HBLOB nic = ru_replay_nic(replay);
    HNPP h = NULL;
    CHECK_RC(npp_create(nic, &h), NMERR_SUCCESS);
    DestroyBlob(nic);
    return h;
}

static HBLOB cfg_blob(void) {
    HBLOB b = NULL;
    CHECK_RC(CreateBlob(&b), NMERR_SUCCESS);
    return b;
}

static DWORD no_frames(UPDATE_EVENT e) {
    (void)e;
    return 0;
}

/* Polls until FramesSeen reaches `n` (deadline); the last FramesSeen. */
static long long wait_seen(HNPP h, unsigned long long n) {
    long long deadline = ru_now_ms() + RU_DEADLINE_MS;
    STATISTICS_EX x;
    for (;;) {
        memset(&x, 0, sizeof x);
        x.StructSize = sizeof x;
        if (rtc_get_statistics_ex(h, &x) != NMERR_SUCCESS) return -1;
        if (x.FramesSeen >= n || ru_now_ms() > deadline) return (long long)x.FramesSeen;
        ru_sleep_ms(5);
    }
}

/* Frames delivered, recorded by the frames callback. */
typedef struct {
    pthread_mutex_t mu;
    unsigned frames, calls, events[8], dropped_events;
    unsigned long long dropped;
    unsigned next;       /* the number the next frame should carry (c) */
    unsigned bad_order;  /* frames repeated or out of order */
    unsigned gaps;       /* frames missing (dropped, or not delivered while paused) */
    unsigned bad_table;  /* a table that breaks its own rules */
    FRAME_DESCRIPTOR last[16];
    uint8_t last_bytes[16][128];
    unsigned nlast;
    int action;          /* d): what the callback does on its first call */
    HNPP npp;
    DWORD action_rc[2];
    int acted;
    unsigned sleep_ms;   /* e): a slow callback */
    unsigned after_stop; /* deliveries that began after rtc_stop returned */
    volatile int stop_returned;
} Log;

static void log_init(Log *l) {
    memset(l, 0, sizeof *l);
    pthread_mutex_init(&l->mu, NULL);
}

/* Frame number i is carried big-endian in bytes 14..17 of the replayed frames (c). */
static unsigned frame_number(const uint8_t *f) { return (unsigned)f[14] << 24 | (unsigned)f[15] << 16 | (unsigned)f[16] << 8 | f[17]; }

enum { ACT_NONE, ACT_PAUSE_RESUME, ACT_STOP, ACT_STOP_DISCONNECT };

static DWORD on_frames(UPDATE_EVENT e) {
    Log *l = (Log *)e.lpUserContext;
    LPFRAMETABLE t = e.lpFrameTable;
    DWORD k;
    if (!l) return 0;
    if (l->stop_returned) __atomic_add_fetch(&l->after_stop, 1, __ATOMIC_SEQ_CST);
    pthread_mutex_lock(&l->mu);
    l->calls++;
    if (e.Event < 8) l->events[e.Event]++;
    if (e.Action != UPDATE_ACTION_RTC_BUFFER_SWITCH || !t || t->FrameCount > t->FrameTableLength || t->StartIndex >= t->FrameTableLength)
        l->bad_table++;
    l->dropped += e.FramesDropped;
    if (e.FramesDropped) l->dropped_events++;
    for (k = 0; t && k < t->FrameCount; k++) {
        FRAME_DESCRIPTOR *d = &t->Frames[(t->StartIndex + k) % t->FrameTableLength];
        if (d->nBytesAvail >= 18 && d->Etype == RU_ETHERTYPE) {
            unsigned n = frame_number(d->FramePointer);
            if (n < l->next) l->bad_order++;
            if (n > l->next) l->gaps++;
            l->next = n + 1;
        }
        if (l->nlast < 16) {
            l->last[l->nlast] = *d;
            memcpy(l->last_bytes[l->nlast], d->FramePointer, d->nBytesAvail < 128 ? d->nBytesAvail : 128);
            l->nlast++;
        }
        l->frames++;
    }
    pthread_mutex_unlock(&l->mu);
    if (l->sleep_ms) ru_sleep_ms(l->sleep_ms);
    if (l->action != ACT_NONE && !l->acted) {
        l->acted = 1;
        switch (l->action) {
        case ACT_PAUSE_RESUME:
            l->action_rc[0] = rtc_pause(l->npp);
            l->action_rc[1] = rtc_resume(l->npp);
            break;
        case ACT_STOP:
            l->action_rc[0] = rtc_stop(l->npp);
            break;
        case ACT_STOP_DISCONNECT:
            l->action_rc[0] = rtc_stop(l->npp);
            l->action_rc[1] = rtc_disconnect(l->npp);
            break;
        }
    }
    return 0;
}

/* A replay of `n` Ethernet frames of EtherType RU_ETHERTYPE, 60..123 bytes, numbered. */
static int write_numbered(const char *path, unsigned n, unsigned gap_us) {
    Pcap p;
    unsigned i;
    int bad;
    if (pcap_open(&p, path, 1) != 0) return -1;
    bad = 0;
    p.gap_us = gap_us;
    for (i = 0; i < n && !bad; i++) {
        uint8_t f[124];
        unsigned len = 60 + i % 64;
        memset(f, (int)i, sizeof f);
        memcpy(f, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x88\xb5", 14);
        f[14] = (uint8_t)(i >> 24);
        f[15] = (uint8_t)(i >> 16);
        f[16] = (uint8_t)(i >> 8);
        f[17] = (uint8_t)i;
        bad |= pcap_add(&p, f, len, len);
    }
    return bad | pcap_close(&p);
}

/* ---- a) bad input ------------------------------------------------------------------------------ */

static void bad_input(const char *replay) {
    HNPP h = replay_npp(replay);
    HBLOB cfg = cfg_blob(), err = NULL, bad;
    char name[8];
    BYTE big[2000];
    static const struct {
        const char *tag, *value;
    } malformed[] = {{TAG_UPDATE_INTERVAL, "0"},        {TAG_UPDATE_INTERVAL, "abc"},     {TAG_UPDATE_INTERVAL, "3600001"},
                     {TAG_UPDATE_FREQUENCY, "0"},       {TAG_FRAME_TABLE_LENGTH, "0"},    {TAG_FRAME_TABLE_LENGTH, "2000000"},
                     {TAG_FRAME_TABLE_LENGTH, "-1"},    {TAG_BUFFER_SIZE, "lots"}};
    unsigned i;
    printf("-- a) bad input\n");
    CHECK_RC(rtc_connect(h, cfg, NULL, NULL, NULL, NULL), NMERR_INVALID_PARAMETER);
    CHECK_RC(rtc_connect(NULL, cfg, NULL, NULL, NULL, NULL), NMERR_INVALID_PARAMETER);
    CHECK_RC(rtc_start(h), NMERR_NOT_CONNECTED); /* nothing was connected */
    CHECK_RC(rtc_connect(NULL, cfg, NULL, no_frames, NULL, NULL), NMERR_INVALID_HNETWORK);
    CHECK_RC(rtc_connect(h, cfg, NULL, no_frames, NULL, NULL), NMERR_SUCCESS);
    for (i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
        const char *named;
        bad = cfg_blob();
        CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
        CHECK_RC(SetStringInBlob(bad, OWNER_NPP, CATEGORY_CONFIG, malformed[i].tag, malformed[i].value), NMERR_SUCCESS);
        CHECK_RC(rtc_configure(h, bad, err), NMERR_BLOB_CONVERSION_ERROR);
        named = ru_get(err, CATEGORY_CONFIG, malformed[i].tag);
        check_count++;
        if (!named || strcmp(named, malformed[i].value) != 0) {
            check_failures++;
            fprintf(stderr, "%s=%s: the error BLOB names %s\n", malformed[i].tag, malformed[i].value, named ? named : "(nothing)");
        }
        DestroyBlob(bad);
        DestroyBlob(err);
    }
    /* The previous configuration is kept: the capture still starts and delivers. */
    CHECK_RC(rtc_start(h), NMERR_SUCCESS);
    CHECK_RC(rtc_insert_special_frame(h, 1, 0, big, sizeof big), NMERR_INVALID_PARAMETER);
    CHECK_RC(rtc_insert_special_frame(h, 1, 0, NULL, 4), NMERR_INVALID_PARAMETER);
    CHECK_RC(rtc_stop(h), NMERR_SUCCESS);
    CHECK_RC(rtc_disconnect(h), NMERR_SUCCESS);
    /* dc_start with a short buffer: nothing starts. */
    {
        char dir[512];
        HBLOB c = ru_config(strcat(strcpy(dir, tmpdir), "/dc-short"));
        BOOL r = TRUE, p = TRUE;
        CHECK_RC(dc_connect(h, c, NULL, NULL, NULL), NMERR_SUCCESS);
        CHECK_RC(dc_start(h, name, sizeof name), NMERR_INVALID_PARAMETER);
        CHECK_RC(dc_start(h, NULL, 4096), NMERR_INVALID_PARAMETER);
        CHECK_RC(dc_get_control_state(h, &r, &p), NMERR_SUCCESS);
        CHECK_EQ(r, FALSE);
        CHECK_EQ(ru_count_files(dir), 0);
        CHECK_RC(dc_disconnect(h), NMERR_SUCCESS);
        DestroyBlob(c);
    }
    /* IStats has nothing to insert into. */
    CHECK_RC(stats_connect(h, cfg, NULL, NULL, NULL), NMERR_SUCCESS);
    CHECK_RC(stats_insert_special_frame(h, 1, 0, NULL, 0), NMERR_NOT_SUPPORTED);
    CHECK_RC(stats_start(h), NMERR_SUCCESS);
    CHECK_RC(stats_insert_special_frame(h, 1, 0, NULL, 0), NMERR_NOT_SUPPORTED);
    CHECK_RC(rtc_insert_special_frame(h, 1, 0, NULL, 0), NMERR_NOT_REALTIME);
    CHECK_RC(dc_insert_special_frame(h, 1, 0, NULL, 0), NMERR_NOT_DELAYED);
    CHECK_RC(stats_stop(h), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
    CHECK_RC(rtc_stop(h), NMERR_INVALID_HNETWORK);
    DestroyBlob(cfg);
}

/* ---- b) FRAME_DESCRIPTOR ----------------------------------------------------------------------- */

static const uint8_t MACS[12] = {0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2};

typedef struct {
    const char *what;
    uint8_t f[128];
    unsigned len;
    WORD etype;
    BYTE sap, low;
    WORD low_off, high_port, high_off;
} Crafted;

static unsigned put(uint8_t *f, unsigned at, const uint8_t *b, unsigned n) {
    memcpy(f + at, b, n);
    return at + n;
}

static void craft(Crafted *c) {
    static const uint8_t ip4opt[] = {0x46, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 1, 1, 1, 0};
    static const uint8_t ip6[] = {0x60, 0, 0, 0, 0, 8, 17, 64, 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
                                  0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
    static const uint8_t ip4[] = {0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
    static const uint8_t ipx[] = {0xff, 0xff, 0, 30, 0, 4, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 0x04, 0x52,
                                  0, 0, 0, 2, 1, 2, 3, 4, 5, 7, 0x40, 0x00};
    unsigned at;
    memset(c->f, 0xEE, sizeof c->f);
    at = put(c->f, 0, MACS, 12);
    if (strcmp(c->what, "IPv4 with options") == 0) {
        at = put(c->f, at, (const uint8_t *)"\x08\x00", 2);
        at = put(c->f, at, ip4opt, sizeof ip4opt);
        c->len = at + 20; /* a TCP header's worth */
    } else if (strcmp(c->what, "IPv6") == 0) {
        at = put(c->f, at, (const uint8_t *)"\x86\xdd", 2);
        at = put(c->f, at, ip6, sizeof ip6);
        c->len = at + 8;
    } else if (strcmp(c->what, "ARP") == 0) {
        at = put(c->f, at, (const uint8_t *)"\x08\x06", 2);
        c->len = at + 28;
    } else if (strcmp(c->what, "802.2") == 0) {
        at = put(c->f, at, (const uint8_t *)"\x00\x26\x42\x42\x03", 5); /* length, DSAP/SSAP 0x42 (STP), UI */
        c->len = at + 35;
    } else if (strcmp(c->what, "SNAP carrying IPv4") == 0) {
        at = put(c->f, at, (const uint8_t *)"\x00\x24\xaa\xaa\x03\x00\x00\x00\x08\x00", 10);
        at = put(c->f, at, ip4, sizeof ip4);
        c->len = at + 8;
    } else if (strcmp(c->what, "IPX (802.3 raw)") == 0) {
        at = put(c->f, at, (const uint8_t *)"\x00\x1e", 2);
        at = put(c->f, at, ipx, sizeof ipx);
        c->len = at;
    } else if (strcmp(c->what, "IPX (Ethernet II)") == 0) {
        at = put(c->f, at, (const uint8_t *)"\x81\x37", 2);
        at = put(c->f, at, ipx, sizeof ipx);
        c->len = at + 4;
    } else { /* short: ends inside the IPv4 header */
        at = put(c->f, at, (const uint8_t *)"\x08\x00", 2);
        at = put(c->f, at, ip4, 10);
        c->len = at;
    }
}

static void descriptors(void) {
    Crafted cases[] = {
        {"IPv4 with options", {0}, 0, 0x0800, 0, LOW_PROTOCOL_IP, 14, 6, 14 + 24},
        {"IPv6", {0}, 0, 0x86DD, 0, LOW_PROTOCOL_IP6, 14, 17, 14 + 40},
        {"ARP", {0}, 0, 0x0806, 0, LOW_PROTOCOL_UNKNOWN, 0, 0, 0},
        {"802.2", {0}, 0, 0, 0x42, LOW_PROTOCOL_UNKNOWN, 0, 0, 0},
        {"SNAP carrying IPv4", {0}, 0, 0x0800, 0xAA, LOW_PROTOCOL_IP, 22, 17, 22 + 20}, /* Sap: the DSAP, 0xAA */
        {"IPX (802.3 raw)", {0}, 0, 0, 0xFF, LOW_PROTOCOL_IPX, 14, 0x5204, 0}, /* nothing after the IPX header */
        {"IPX (Ethernet II)", {0}, 0, 0x8137, 0, LOW_PROTOCOL_IPX, 14, 0x5204, 14 + 30},
        {"short IPv4", {0}, 0, 0x0800, 0, LOW_PROTOCOL_UNKNOWN, 0, 0, 0},
    };
    unsigned n = sizeof cases / sizeof cases[0], i;
    char path[512];
    Pcap p;
    Log log;
    HNPP h;
    HBLOB cfg = cfg_blob();
    printf("-- b) FRAME_DESCRIPTOR of crafted frames\n");
    snprintf(path, sizeof path, "%s/crafted.pcap", tmpdir);
    CHECK(pcap_open(&p, path, 1) == 0);
    for (i = 0; i < n; i++) {
        craft(&cases[i]);
        CHECK(pcap_add(&p, cases[i].f, cases[i].len, cases[i].len + 4) == 0);
    }
    CHECK(pcap_close(&p) == 0);
    log_init(&log);
    h = replay_npp(path);
    CHECK_RC(rtc_connect(h, cfg, NULL, on_frames, &log, NULL), NMERR_SUCCESS);
    CHECK_RC(rtc_start(h), NMERR_SUCCESS);
    CHECK_EQ(ru_wait_captured(rtc_get_statistics_ex, h, n), n);
    CHECK_RC(rtc_stop(h), NMERR_SUCCESS);
    CHECK_EQ(log.nlast, n);
    for (i = 0; i < n && i < log.nlast; i++) {
        const FRAME_DESCRIPTOR *d = &log.last[i];
        const Crafted *c = &cases[i];
        int ok = d->FrameLength == c->len + 4 && d->nBytesAvail == c->len && d->Etype == c->etype && d->Sap == c->sap &&
                 d->LowProtocol == c->low && d->LowProtocolOffset == c->low_off &&
                 (c->low == LOW_PROTOCOL_IPX ? d->HighPort.ByteSwappedIPXPort == c->high_port : d->HighPort.IPPort == c->high_port) &&
                 d->HighProtocolOffset == c->high_off && memcmp(log.last_bytes[i], c->f, c->len) == 0 &&
                 d->TimeStamp == (int64_t)1700000000 * 1000000 + (int64_t)i * 1000;
        check_count++;
        if (!ok) {
            check_failures++;
            fprintf(stderr, "%s: FrameLength %u nBytesAvail %u Etype %04x Sap %02x Low %u@%u HighPort %u High@%u TimeStamp %lld\n", c->what,
                    (unsigned)d->FrameLength, (unsigned)d->nBytesAvail, d->Etype, d->Sap, d->LowProtocol, d->LowProtocolOffset,
                    c->low == LOW_PROTOCOL_IPX ? d->HighPort.ByteSwappedIPXPort : d->HighPort.IPPort, d->HighProtocolOffset,
                    (long long)d->TimeStamp);
        }
    }
    /* FrameSize clips what is delivered, not the wire length. */
    {
        HBLOB clip = cfg_blob();
        CHECK_RC(SetDwordInBlob(clip, OWNER_NPP, CATEGORY_CONFIG, TAG_FRAME_SIZE, 20), NMERR_SUCCESS);
        CHECK_RC(rtc_configure(h, clip, NULL), NMERR_SUCCESS);
        pthread_mutex_lock(&log.mu);
        log.nlast = 0;
        pthread_mutex_unlock(&log.mu);
        CHECK_RC(rtc_start(h), NMERR_SUCCESS);
        CHECK_EQ(ru_wait_captured(rtc_get_statistics_ex, h, n), n);
        CHECK_RC(rtc_stop(h), NMERR_SUCCESS);
        CHECK_EQ(log.nlast, n);
        CHECK_EQ(log.last[0].nBytesAvail, 20);
        CHECK_EQ(log.last[0].FrameLength, cases[0].len + 4);
        CHECK_EQ(log.last[0].LowProtocol, LOW_PROTOCOL_UNKNOWN); /* its IPv4 header (14 + 24 bytes) is cut off */
        DestroyBlob(clip);
    }
    CHECK_RC(rtc_disconnect(h), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
    DestroyBlob(cfg);
}

/* ---- c) exactly once, in order ----------------------------------------------------------------- */

#define MANY 100000

static void in_order(const char *many) {
    Log log;
    HNPP h = replay_npp(many);
    HBLOB cfg = cfg_blob();
    STATISTICS st;
    printf("-- c) %u frames through a 1000-entry table\n", MANY);
    CHECK_RC(SetDwordInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_FRAME_TABLE_LENGTH, 1000), NMERR_SUCCESS);
    log_init(&log);
    CHECK_RC(rtc_connect(h, cfg, NULL, on_frames, &log, NULL), NMERR_SUCCESS);
    CHECK_RC(rtc_start(h), NMERR_SUCCESS);
    CHECK_EQ(wait_seen(h, MANY), MANY); /* every frame read: delivered, dropped, or seen while paused */
    CHECK_RC(rtc_stop(h), NMERR_SUCCESS);
    log.stop_returned = 1;
    CHECK_RC(rtc_get_total_statistics(h, &st, FALSE), NMERR_SUCCESS);
    printf("   %u frames in %u deliveries (table full %u, buffer full %u, interval %u), dropped %llu; captured %u dropped %u\n",
           log.frames, log.calls, log.events[UPDATE_EVENT_RTC_FRAME_TABLE_FULL], log.events[UPDATE_EVENT_RTC_BUFFER_FULL],
           log.events[UPDATE_EVENT_RTC_INTERVAL_ELAPSED], log.dropped, (unsigned)st.TotalFramesCaptured,
           (unsigned)st.TotalFramesDropped);
    /* An unpaced replay never overflows: the capture thread waits for the callback instead of
     * dropping, so every frame arrives exactly once, in order. */
    CHECK_EQ(log.bad_order, 0);
    CHECK_EQ(log.gaps, 0);
    CHECK_EQ(st.TotalFramesDropped, 0);
    CHECK_EQ(log.frames, MANY);
    CHECK_EQ(log.frames, st.TotalFramesCaptured);
    CHECK_EQ(log.dropped, st.TotalFramesDropped);
    CHECK_EQ(log.bad_table, 0);
    CHECK(log.events[UPDATE_EVENT_RTC_FRAME_TABLE_FULL] >= 1);
    CHECK_EQ(log.after_stop, 0);
    ru_sleep_ms(200);
    CHECK_EQ(log.after_stop, 0); /* no frames callback after rtc_stop returned */
    CHECK_RC(rtc_disconnect(h), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
    DestroyBlob(cfg);
}

/* ---- d) the callback calls back ---------------------------------------------------------------- */

static void callbacks_call_back(const char *many) {
    static const char *const names[] = {"", "rtc_pause + rtc_resume", "rtc_stop", "rtc_stop + rtc_disconnect"};
    int act;
    printf("-- d) calls from inside the frames callback\n");
    /* the waits below tell an error (here NMERR_INVALID_HNETWORK) from a stopped or disconnected capture */
    CHECK(!tu_wait_stopped(rtc_get_control_state, NULL));
    CHECK(!tu_wait_disconnected(rtc_get_control_state, NULL));
    for (act = ACT_PAUSE_RESUME; act <= ACT_STOP_DISCONNECT; act++) {
        Log log;
        HNPP h = replay_npp(many);
        HBLOB cfg = cfg_blob();
        BOOL r = TRUE, p = TRUE;
        DWORD rc;
        CHECK_RC(SetDwordInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_FRAME_TABLE_LENGTH, 500), NMERR_SUCCESS);
        log_init(&log);
        log.action = act;
        log.npp = h;
        CHECK_RC(rtc_connect(h, cfg, NULL, on_frames, &log, NULL), NMERR_SUCCESS);
        alarm(30);
        CHECK_RC(rtc_start(h), NMERR_SUCCESS);
        if (act == ACT_PAUSE_RESUME) {
            CHECK_EQ(wait_seen(h, MANY), MANY); /* frames that arrive while paused are seen, not delivered */
            CHECK_RC(rtc_stop(h), NMERR_SUCCESS);
        } else {
            /* the callback stops (and disconnects) the capture: wait for exactly that */
            if (act == ACT_STOP_DISCONNECT) CHECK(tu_wait_disconnected(rtc_get_control_state, h));
            else CHECK(tu_wait_stopped(rtc_get_control_state, h));
        }
        rc = rtc_get_control_state(h, &r, &p);
        if (act == ACT_STOP_DISCONNECT) {
            CHECK_RC(rc, NMERR_NOT_CONNECTED);
        } else {
            CHECK_RC(rc, NMERR_SUCCESS);
            CHECK_EQ(r, FALSE);
            /* waits for the frames still being delivered after a Stop from the callback */
            CHECK_RC(rtc_disconnect(h), NMERR_SUCCESS);
        }
        CHECK_RC(npp_destroy(h), NMERR_SUCCESS); /* likewise */
        alarm(0);
        pthread_mutex_lock(&log.mu);
        printf("   %s: returned %u, %u; %u frames in %u deliveries, %u gaps, out of order %u\n", names[act],
               (unsigned)log.action_rc[0], (unsigned)log.action_rc[1], log.frames, log.calls, log.gaps, log.bad_order);
        CHECK_EQ(log.acted, 1);
        CHECK_RC(log.action_rc[0], NMERR_SUCCESS);
        if (act != ACT_STOP) CHECK_RC(log.action_rc[1], NMERR_SUCCESS);
        CHECK_EQ(log.bad_table, 0);
        CHECK_EQ(log.bad_order, 0);
        pthread_mutex_unlock(&log.mu);
        DestroyBlob(cfg);
    }
}

/* ---- e) a slow callback ------------------------------------------------------------------------ */

static long rss_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) kb = strtol(line + 6, NULL, 10);
    if (f) fclose(f);
    return kb;
}

#define PACED 20000

/* A replay at recorded pace behaves as a link: frames come whether the callback is ready or not. */
static void slow_callback(const char *paced) {
    Log log;
    HNPP h = replay_npp(paced);
    HBLOB cfg = cfg_blob();
    STATISTICS st;
    long rss0, rss1;
    printf("-- e) a callback that takes 100 ms per delivery, %u frames 20 us apart at recorded pace\n", PACED);
    CHECK_RC(SetDwordInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_FRAME_TABLE_LENGTH, 1000), NMERR_SUCCESS);
    CHECK_RC(SetBoolInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_REPLAY_PACE, TRUE), NMERR_SUCCESS);
    log_init(&log);
    log.sleep_ms = 100;
    CHECK_RC(rtc_connect(h, cfg, NULL, on_frames, &log, NULL), NMERR_SUCCESS);
    rss0 = rss_kb();
    CHECK_RC(rtc_start(h), NMERR_SUCCESS);
    CHECK_EQ(wait_seen(h, PACED), PACED); /* every frame read: delivered, dropped, or seen while paused */
    rss1 = rss_kb();
    alarm(30);
    CHECK_RC(rtc_stop(h), NMERR_SUCCESS);
    alarm(0);
    CHECK_RC(rtc_get_total_statistics(h, &st, FALSE), NMERR_SUCCESS);
    printf("   seen %u, delivered %u (%u deliveries), dropped %u (events say %llu); VmRSS %ld -> %ld kB\n",
           (unsigned)st.TotalFramesSeen, log.frames, log.calls, (unsigned)st.TotalFramesDropped, log.dropped, rss0, rss1);
    CHECK(st.TotalFramesDropped > 0);
    CHECK_EQ(log.dropped, st.TotalFramesDropped);
    CHECK_EQ(log.frames, st.TotalFramesCaptured);
    CHECK_EQ(st.TotalFramesCaptured + st.TotalFramesDropped, PACED);
    CHECK_EQ(log.bad_order, 0);
    CHECK(rss1 - rss0 < 16 * 1024); /* two 1 MiB buffers and their tables, not the whole replay */
    CHECK_RC(rtc_disconnect(h), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
    DestroyBlob(cfg);
}

/* ---- f) special frames ------------------------------------------------------------------------- */

static void special_frames(const char *replay) {
    static const char *const formats[3] = {FILE_FORMAT_NETMON2_TXT, FILE_FORMAT_PCAP_TXT, FILE_FORMAT_PCAPNG_TXT};
    BYTE data[6] = {'h', 'e', 'l', 'l', 'o', '!'};
    int f;
    printf("-- f) special frames\n");
    for (f = 0; f < 3; f++) {
        char dir[512], name[1024], cmd[2048], *out;
        HBLOB cfg;
        HNPP h = replay_npp(replay);
        STATISTICS st;
        int status;
        snprintf(dir, sizeof dir, "%s/special-%s", tmpdir, formats[f]);
        cfg = ru_config(dir);
        CHECK_RC(SetStringInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_FILE_FORMAT, formats[f]), NMERR_SUCCESS);
        CHECK_RC(SetBoolInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_NO_STATS_FRAME, TRUE), NMERR_SUCCESS);
        CHECK_RC(dc_connect(h, cfg, NULL, NULL, NULL), NMERR_SUCCESS);
        CHECK_RC(dc_insert_special_frame(h, 0x4321, 7, data, sizeof data), NMERR_NOT_CAPTURING);
        CHECK_RC(dc_start(h, name, sizeof name), NMERR_SUCCESS);
        CHECK_EQ(ru_wait_captured(dc_get_statistics_ex, h, 5), 5);
        CHECK_RC(dc_insert_special_frame(h, 0x4321, 7, data, sizeof data), NMERR_SUCCESS);
        CHECK_EQ(ru_wait_captured(dc_get_statistics_ex, h, 6), 6);
        CHECK_RC(dc_pause(h), NMERR_SUCCESS);
        CHECK_RC(dc_insert_special_frame(h, 0x4321, 7, data, sizeof data), NMERR_CAPTURE_PAUSED);
        CHECK_RC(dc_stop(h, &st), NMERR_SUCCESS);
        CHECK_EQ(st.TotalFramesCaptured, 6);
        if (have_tshark) {
            /* The 6th frame: 802.3, LLC/SNAP 0x8419, "$MST", flags 7, type 0x4321, length 6, "hello!" */
            snprintf(cmd, sizeof cmd,
                     "TZ=UTC tshark -r '%s' -Y 'frame.number == 6' -T fields -e frame.len -e llc.type -e data.data -e frame.comment "
                     "2>/dev/null",
                     name);
            out = run_capture(cmd, &status);
            printf("   %s: frame 6: %s", formats[f], out ? out : "(nothing)\n");
            check_count++;
            if (!out || status != 0 || strncmp(out, "42\t0x8419\t", 10) != 0 ||
                !strstr(out, "244d53540700000021430000060068656c6c6f21") ||
                (f == 2 && !strstr(out, "Network Monitor special frame: type 17185"))) {
                check_failures++;
                fprintf(stderr, "%s: the special frame is not read back as written\n", formats[f]);
            }
            free(out);
        }
        CHECK_RC(dc_disconnect(h), NMERR_SUCCESS);
        CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
        DestroyBlob(cfg);
    }
    /* IRTC: in the frame stream, in place. */
    {
        Log log;
        HNPP h = replay_npp(replay);
        HBLOB cfg = cfg_blob();
        log_init(&log);
        CHECK_RC(rtc_connect(h, cfg, NULL, on_frames, &log, NULL), NMERR_SUCCESS);
        CHECK_RC(rtc_start(h), NMERR_SUCCESS);
        CHECK_EQ(ru_wait_captured(rtc_get_statistics_ex, h, 5), 5);
        CHECK_RC(rtc_insert_special_frame(h, 0x4321, 7, data, sizeof data), NMERR_SUCCESS);
        CHECK_EQ(ru_wait_captured(rtc_get_statistics_ex, h, 6), 6);
        CHECK_RC(rtc_stop(h), NMERR_SUCCESS);
        CHECK_EQ(log.nlast, 6);
        CHECK_EQ(log.last[5].nBytesAvail, 42);
        CHECK_EQ(log.last[5].Etype, 0x8419);
        CHECK(memcmp(log.last_bytes[5] + 22, "$MST\x07\x00\x00\x00\x21\x43\x00\x00\x06\x00hello!", 20) == 0);
        CHECK_RC(rtc_disconnect(h), NMERR_SUCCESS);
        CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
        DestroyBlob(cfg);
    }
}

/* ---- g) IDelaydC --------------------------------------------------------------------------------- */

static void delayed(const char *replay) {
    char dir[512], first[1024], second[1024];
    HBLOB cfg;
    HNPP h = replay_npp(replay);
    STATISTICS st;
    STATISTICS_EX x;
    printf("-- g) IDelaydC\n");
    snprintf(dir, sizeof dir, "%s/dc", tmpdir);
    cfg = ru_config(dir);
    CHECK_RC(dc_connect(h, cfg, NULL, NULL, NULL), NMERR_SUCCESS);
    CHECK_RC(dc_get_total_statistics(h, &st, FALSE), NMERR_NOT_CAPTURING);
    CHECK_RC(dc_start(h, first, sizeof first), NMERR_SUCCESS);
    CHECK_EQ(ru_wait_captured(dc_get_statistics_ex, h, 5), 5);
    CHECK_RC(dc_get_total_statistics(h, &st, FALSE), NMERR_SUCCESS);
    CHECK_EQ(st.TotalFramesCaptured, 5);
    CHECK_RC(dc_pause(h), NMERR_SUCCESS);
    CHECK_RC(dc_get_total_statistics(h, &st, FALSE), NMERR_CAPTURE_PAUSED);
    memset(&x, 0, sizeof x);
    x.StructSize = sizeof x;
    CHECK_RC(dc_get_statistics_ex(h, &x), NMERR_CAPTURE_PAUSED);
    CHECK_RC(dc_resume(h), NMERR_SUCCESS);
    memset(&st, 0, sizeof st);
    CHECK_RC(dc_stop(h, &st), NMERR_SUCCESS);
    CHECK_EQ(st.TotalFramesCaptured, 5);
    CHECK_RC(dc_get_total_statistics(h, &st, FALSE), NMERR_NOT_CAPTURING);
    CHECK_RC(dc_start(h, second, sizeof second), NMERR_SUCCESS);
    CHECK(strcmp(first, second) != 0);
    CHECK_RC(dc_stop(h, NULL), NMERR_SUCCESS);
    CHECK(ru_exists(first) && ru_exists(second));
    if (have_tshark) {
        char cmd[1200], *out;
        int status;
        snprintf(cmd, sizeof cmd, "TZ=UTC capinfos -M -c '%s' 2>/dev/null", first);
        out = run_capture(cmd, &status);
        CHECK(out && strstr(out, "Number of packets:   6")); /* 5 frames + the statistics frame */
        free(out);
    }
    CHECK_RC(dc_disconnect(h), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
    DestroyBlob(cfg);
}

/* ---- h) live on lo ------------------------------------------------------------------------------ */

static int bring_up_lo(void) {
    struct ifreq ifr;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ok;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    ifr.ifr_flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING;
    ok = fd >= 0 && ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
    if (fd >= 0) close(fd);
    return ok ? 0 : -1;
}

static int child_live_lo(void) {
    int failures_before = check_failures;
    Log log;
    HBLOB nic = NULL, cfg = cfg_blob();
    HNPP h = NULL;
    struct sockaddr_in to;
    socklen_t tolen = sizeof to;
    int rx, tx, i, ours = 0;
    unsigned k;
    if (unshare(CLONE_NEWNET) != 0 || bring_up_lo() != 0) return 2;
    rx = socket(AF_INET, SOCK_DGRAM, 0);
    tx = socket(AF_INET, SOCK_DGRAM, 0);
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(rx, (struct sockaddr *)&to, sizeof to) != 0 || getsockname(rx, (struct sockaddr *)&to, &tolen) != 0) return 2;
    CHECK_RC(CreateBlob(&nic), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(nic, OWNER_NPP, CATEGORY_LOCATION, TAG_NAME, "lo"), NMERR_SUCCESS);
    CHECK_RC(npp_create(nic, &h), NMERR_SUCCESS);
    log_init(&log);
    CHECK_RC(rtc_connect(h, cfg, NULL, on_frames, &log, NULL), NMERR_SUCCESS);
    CHECK_RC(rtc_start(h), NMERR_SUCCESS);
    for (i = 0; i < 12; i++) {
        char msg[32];
        snprintf(msg, sizeof msg, "rtc-live-%02d", i);
        CHECK(sendto(tx, msg, strlen(msg), 0, (struct sockaddr *)&to, sizeof to) == (ssize_t)strlen(msg));
    }
    CHECK_EQ(ru_wait_captured(rtc_get_statistics_ex, h, 12), 12);
    CHECK_RC(rtc_stop(h), NMERR_SUCCESS);
    /* exactly the 12 datagrams (the namespace's lo carries nothing else), each once */
    CHECK_EQ(log.frames, 12);
    for (k = 0; k < log.nlast && k < 12; k++) {
        const FRAME_DESCRIPTOR *d = &log.last[k];
        char want[32];
        snprintf(want, sizeof want, "rtc-live-%02u", k);
        if (d->LowProtocol == LOW_PROTOCOL_IP && d->HighPort.IPPort == 17 && d->HighProtocolOffset == 34 && d->nBytesAvail == 42 + 11 &&
            memcmp(log.last_bytes[k] + 42, want, 11) == 0)
            ours++;
    }
    CHECK_EQ(ours, 12);
    CHECK_RC(rtc_disconnect(h), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
    DestroyBlob(nic);
    DestroyBlob(cfg);
    close(rx);
    close(tx);
    return check_failures > failures_before ? 1 : 0;
}

static void live_lo(void) {
    pid_t pid;
    int status = 0;
    printf("-- h) IRTC live on lo (private network namespace)\n");
    if (geteuid() != 0) {
        SKIP_PART("h): needs root for a network namespace and CAP_NET_RAW");
        return;
    }
    pid = fork();
    if (pid == 0) _exit(child_live_lo());
    waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 2) {
        SKIP_PART("h): no private network namespace with lo up");
        return;
    }
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void) {
    char replay[512], many[512], paced[512];
    signal(SIGALRM, on_alarm);
    setvbuf(stdout, NULL, _IOLBF, 0);
    have_tshark = sh("command -v tshark >/dev/null 2>&1 && command -v capinfos >/dev/null 2>&1") == 0;
    if (!have_tshark) SKIP_PART("no tshark/capinfos: files are not read back");
    CHECK(ru_mkdtemp(tmpdir, sizeof tmpdir, "ndisnpp-rtc") == 0);
    snprintf(replay, sizeof replay, "%s/five.pcap", tmpdir);
    snprintf(many, sizeof many, "%s/many.pcap", tmpdir);
    snprintf(paced, sizeof paced, "%s/paced.pcap", tmpdir);
    CHECK(ru_write_pcap(replay, 5) == 0);
    CHECK(write_numbered(many, MANY, 1000) == 0);
    CHECK(write_numbered(paced, PACED, 20) == 0);
    bad_input(replay);
    descriptors();
    in_order(many);
    callbacks_call_back(many);
    slow_callback(paced);
    special_frames(replay);
    delayed(replay);
    live_lo();
    ru_rm_tree(tmpdir);
    return check_done("test_rtc_dc");
}
