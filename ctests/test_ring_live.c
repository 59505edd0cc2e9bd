/* The library's own reader of the kernel's packet ring (src/capture/ring.rs), through IESP, on a
 * veth pair in a private network namespace (ndisnpp-r-<pid>, veth nppr0/nppr1; removed at the end).
 * Needs root and `ip`; skipped (77) otherwise.
 *
 *  a) VLAN tags: frames sent on nppr1 with a packet socket (an 802.1Q tag, an 802.1ad tag, a tag
 *     with TCI 0, and an untagged frame) are captured on nppr0 into a pcap file. The kernel takes
 *     a received frame's tag out of the frame (into the ring's packet header); the file must hold
 *     the exact bytes sent, tag included, as libpcap delivers them. Run twice: on the ring (the
 *     default) and on libpcap (NDISNPP_LIVE_SOURCE=libpcap), so both paths are held to the same
 *     bytes.
 *  b) A snap length (FrameSize 30) cuts the tagged frames after the tag is put back: the first 30
 *     bytes of what was sent, with the whole length on the wire.
 *
 * IRTC, where the frames callback reads the frames in the ring's own blocks (lent to the delivery
 * thread, given back after the callback; src/capture/ring.rs). Every frame sent carries its
 * sequence number, and its length and every byte follow from it, so a frame whose block went
 * back to the kernel too early (and was refilled) is caught:
 *  c) 4,000 frames of 60-1,514 bytes, every 7th VLAN-tagged, sent at once: the callback gets each
 *     exactly once, in order, with its bytes and its descriptor (FrameLength, nBytesAvail,
 *     Etype). On the ring and on libpcap.
 *  d) A slow callback (25 ms per delivery) while 20,000 frames are sent, on a 2 MiB ring: what
 *     is delivered is intact and in order, and delivered + the frames reported dropped to the
 *     callback + the kernel's drops = 20,000 exactly.
 *  e) Stop while the callback holds frames (it sleeps 300 ms in its first delivery while frames
 *     keep coming): rtc_stop returns after the callback, no callback runs after it, and the
 *     frames the callback read after its sleep were intact.
 *  f) The interface is deleted while the callback holds frames: the capture ends, the frames
 *     held were intact, nothing crashes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netmon.h"
#include "check.h"
#include "netns_util.h"
#include "shell_util.h"
#include "test_util.h"

#define V0 "nppr0"
#define V1 "nppr1"
#define NFRAMES 4
#define MAX_LEN 200

static char ns[64];
static char tmpdir[256];

/* The frames sent: to V0's address (02:4e:44:0d:00:00), EtherType 0x88B5 after the tags. */
static uint8_t sent[NFRAMES][MAX_LEN];
static size_t sent_len[NFRAMES];

static void make_frames(void) {
    static const uint16_t tpid[NFRAMES] = {0x8100, 0x88A8, 0x8100, 0};
    static const uint16_t tci[NFRAMES] = {0x2005, 0x0064, 0x0000, 0};
    int i, k;
    for (i = 0; i < NFRAMES; i++) {
        uint8_t *f = sent[i];
        size_t n = 0;
        static const uint8_t macs[12] = {0x02, 0x4E, 0x44, 0x0D, 0x00, 0x00, 0x02, 0x4E, 0x44, 0x0D, 0x00, 0x01};
        memcpy(f, macs, 12);
        n = 12;
        if (tpid[i]) {
            f[n++] = (uint8_t)(tpid[i] >> 8);
            f[n++] = (uint8_t)tpid[i];
            f[n++] = (uint8_t)(tci[i] >> 8);
            f[n++] = (uint8_t)tci[i];
        }
        f[n++] = 0x88;
        f[n++] = 0xB5;
        for (k = 0; k < 80; k++) f[n++] = (uint8_t)(k ^ (i * 37));
        sent_len[i] = n;
    }
}

static void inject(void) {
    struct sockaddr_ll to;
    int s = raw_sender(V1, &to), i;
    CHECK(s >= 0);
    for (i = 0; i < NFRAMES && s >= 0; i++) CHECK(sendto(s, sent[i], sent_len[i], 0, (struct sockaddr *)&to, sizeof to) == (ssize_t)sent_len[i]);
    if (s >= 0) close(s);
}

static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

/* Compares the records of the classic pcap file `path` with the frames sent (cut to `snaplen`,
 * 0 = whole); 1 when every record matches, in order, and there are exactly NFRAMES. */
static int file_matches(const char *path, unsigned snaplen, const char *what) {
    FILE *f = fopen(path, "rb");
    uint8_t hdr[24], rec[16], data[65536];
    int i = 0, ok = 1;
    if (!f || fread(hdr, 1, 24, f) != 24) {
        printf("  %s: cannot read %s\n", what, path);
        if (f) fclose(f);
        return 0;
    }
    while (fread(rec, 1, 16, f) == 16) {
        uint32_t incl = le32(rec + 8), orig = le32(rec + 12);
        size_t want = sent_len[i < NFRAMES ? i : 0];
        size_t keep = snaplen && snaplen < want ? snaplen : want;
        if (incl > sizeof data || fread(data, 1, incl, f) != incl) {
            ok = 0;
            break;
        }
        if (i >= NFRAMES) {
            printf("  %s: record %d: more records than frames sent\n", what, i);
            ok = 0;
        } else if (incl != keep || orig != want || memcmp(data, sent[i], keep) != 0) {
            printf("  %s: record %d: %u/%u bytes, want %zu/%zu%s\n", what, i, incl, orig, keep, want,
                   incl == keep && memcmp(data, sent[i], keep) != 0 ? ", bytes differ" : "");
            ok = 0;
        }
        i++;
    }
    fclose(f);
    if (i != NFRAMES) {
        printf("  %s: %d records, want %d\n", what, i, NFRAMES);
        ok = 0;
    }
    return ok;
}

/* One capture on V0 in `ns`, pcap format, with snap length `snaplen` (0: none); the file's name
 * into `name`. */
static void capture(unsigned snaplen, char *name, size_t name_len) {
    HBLOB nic = NULL, cfg = NULL, err = NULL;
    HNPP npp = NULL;
    STATISTICS st;
    double deadline;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/cap", tmpdir);
    CHECK_RC(CreateBlob(&nic), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(nic, OWNER_NPP, CATEGORY_LOCATION, TAG_NAME, V0), NMERR_SUCCESS);
    CHECK_RC(CreateBlob(&cfg), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_CAPTURE_DIRECTORY, dir), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_FILE_FORMAT, FILE_FORMAT_PCAP_TXT), NMERR_SUCCESS);
    CHECK_RC(SetBoolInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_NO_STATS_FRAME, TRUE), NMERR_SUCCESS);
    if (snaplen) CHECK_RC(SetDwordInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_FRAME_SIZE, snaplen), NMERR_SUCCESS);
    CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
    CHECK_RC(npp_create(nic, &npp), NMERR_SUCCESS);
    CHECK_RC(esp_connect(npp, cfg, NULL, NULL, err), NMERR_SUCCESS);
    name[0] = '\0';
    CHECK_RC(esp_start(npp, name, name_len), NMERR_SUCCESS);
    inject();
    deadline = mono_s() + 20;
    for (;;) {
        STATISTICS_EX ex;
        memset(&ex, 0, sizeof ex);
        ex.StructSize = sizeof ex;
        if (esp_get_statistics_ex(npp, &ex) == NMERR_SUCCESS && ex.FramesCaptured >= NFRAMES) break;
        if (mono_s() > deadline) {
            CHECK(!"the frames were captured in time");
            break;
        }
        nap_ms(10);
    }
    CHECK_RC(esp_stop(npp, &st), NMERR_SUCCESS);
    CHECK_EQ(st.TotalFramesCaptured, NFRAMES);
    CHECK_RC(esp_disconnect(npp), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(npp), NMERR_SUCCESS);
    DestroyBlob(nic);
    DestroyBlob(cfg);
    DestroyBlob(err);
}

/* ---- c) to f): IRTC on the ring ---------------------------------------------------------------- */

#define SEQ_MAX 20000
static const uint8_t seq_macs[12] = {0x02, 0x4E, 0x44, 0x0D, 0x00, 0x00, 0x02, 0x4E, 0x44, 0x0D, 0x00, 0x01};

/* Frame `seq`: its length on the wire (60-1514) and whether it is tagged. */
static size_t seq_len(uint32_t seq) { return 60 + (size_t)((seq * 37u) % 1455u); }
static int seq_tagged(uint32_t seq) { return seq % 7 == 3; }

static size_t seq_frame(uint32_t seq, uint8_t *f) {
    size_t len = seq_len(seq), n = 12, i;
    memcpy(f, seq_macs, 12);
    if (seq_tagged(seq)) {
        f[n++] = 0x81;
        f[n++] = 0x00;
        f[n++] = 0x00;
        f[n++] = (uint8_t)(seq % 100 + 1);
    }
    f[n++] = 0x88;
    f[n++] = 0xB5;
    f[n++] = (uint8_t)(seq >> 24);
    f[n++] = (uint8_t)(seq >> 16);
    f[n++] = (uint8_t)(seq >> 8);
    f[n++] = (uint8_t)seq;
    for (i = n; i < len; i++) f[i] = (uint8_t)(seq * 7u + i);
    return len;
}

/* Sends frames [from, to) on V1; the count sent. */
static uint32_t send_seq(uint32_t from, uint32_t to) {
    struct sockaddr_ll addr;
    uint8_t f[1600];
    uint32_t seq, n = 0;
    int s = raw_sender(V1, &addr);
    if (s < 0) return 0;
    for (seq = from; seq < to; seq++) {
        size_t len = seq_frame(seq, f);
        if (sendto(s, f, len, 0, (struct sockaddr *)&addr, sizeof addr) == (ssize_t)len) n++;
    }
    close(s);
    return n;
}

typedef struct {
    pthread_mutex_t mu;
    long sleep_ms;        /* sleep this long in each delivery (first_sleep_ms in the first) */
    long first_sleep_ms;
    uint64_t delivered, bad, other, out_of_order, dropped_reported, calls, calls_after_stop;
    int64_t last_seq;
    int stopped;          /* set by the test once rtc_stop returned */
    int in_first;         /* the first delivery is sleeping */
} rtc_log;

/* 1 when `f` (of `avail` bytes, `wire` on the wire) is frame `seq` whole and intact. */
static int frame_intact(const uint8_t *f, uint32_t avail, uint32_t wire, uint32_t *seq_out) {
    uint8_t want[1600];
    size_t at = 12, len;
    uint32_t seq;
    if (avail < 20) return 0;
    if (f[12] == 0x81 && f[13] == 0x00) at = 16;
    if (f[at] != 0x88 || f[at + 1] != 0xB5) return 0;
    seq = (uint32_t)f[at + 2] << 24 | (uint32_t)f[at + 3] << 16 | (uint32_t)f[at + 4] << 8 | f[at + 5];
    if (seq >= SEQ_MAX) return 0;
    len = seq_frame(seq, want);
    *seq_out = seq;
    return avail == len && wire == len && memcmp(f, want, len) == 0;
}

static DWORD on_seq_frames(UPDATE_EVENT ev) {
    rtc_log *log = (rtc_log *)ev.lpUserContext;
    LPFRAMETABLE t = ev.lpFrameTable;
    DWORD k;
    long nap;
    int first;
    pthread_mutex_lock(&log->mu);
    first = log->calls == 0;
    log->calls++;
    if (log->stopped) log->calls_after_stop++;
    log->dropped_reported += ev.FramesDropped;
    log->in_first = first;
    nap = first && log->first_sleep_ms ? log->first_sleep_ms : log->sleep_ms;
    pthread_mutex_unlock(&log->mu);
    /* Sleep first, read after: frames whose block went back to the kernel meanwhile would have
     * been overwritten by the frames that keep coming. */
    if (nap) nap_ms(nap);
    pthread_mutex_lock(&log->mu);
    for (k = 0; t && k < t->FrameCount; k++) {
        const FRAME_DESCRIPTOR *d = &t->Frames[(t->StartIndex + k) % t->FrameTableLength];
        uint32_t seq = 0;
        if (d->nBytesAvail >= 14 && !(d->FramePointer[12] == 0x88 || d->FramePointer[12] == 0x81)) {
            log->other++;
            continue;
        }
        if (!frame_intact(d->FramePointer, d->nBytesAvail, d->FrameLength, &seq) || d->Etype != 0x88B5) {
            log->bad++;
            continue;
        }
        if ((int64_t)seq <= log->last_seq) log->out_of_order++;
        log->last_seq = seq;
        log->delivered++;
    }
    log->in_first = 0;
    pthread_mutex_unlock(&log->mu);
    return NMERR_SUCCESS;
}

typedef struct {
    HNPP npp;
    HBLOB nic, cfg;
    rtc_log log;
} rtc_run;

static int rtc_begin(rtc_run *r, DWORD buffer_size, long sleep_ms, long first_sleep_ms) {
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->log.mu, NULL);
    r->log.last_seq = -1;
    r->log.sleep_ms = sleep_ms;
    r->log.first_sleep_ms = first_sleep_ms;
    CHECK_RC(CreateBlob(&r->nic), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(r->nic, OWNER_NPP, CATEGORY_LOCATION, TAG_NAME, V0), NMERR_SUCCESS);
    CHECK_RC(CreateBlob(&r->cfg), NMERR_SUCCESS);
    CHECK_RC(SetDwordInBlob(r->cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_BUFFER_SIZE, buffer_size), NMERR_SUCCESS);
    CHECK_RC(SetDwordInBlob(r->cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_UPDATE_INTERVAL, 50), NMERR_SUCCESS);
    CHECK_RC(npp_create(r->nic, &r->npp), NMERR_SUCCESS);
    CHECK_RC(rtc_connect(r->npp, r->cfg, NULL, on_seq_frames, &r->log, NULL), NMERR_SUCCESS);
    return rtc_start(r->npp) == NMERR_SUCCESS;
}

static void rtc_end(rtc_run *r) {
    rtc_disconnect(r->npp);
    CHECK_RC(npp_destroy(r->npp), NMERR_SUCCESS);
    DestroyBlob(r->nic);
    DestroyBlob(r->cfg);
    pthread_mutex_destroy(&r->log.mu);
}

/* Waits until `n` frames were seen by the capture (or 20 s). */
static void wait_seen(HNPP npp, uint64_t n) {
    double deadline = mono_s() + 20;
    for (;;) {
        STATISTICS_EX ex;
        memset(&ex, 0, sizeof ex);
        ex.StructSize = sizeof ex;
        if (rtc_get_statistics_ex(npp, &ex) != NMERR_SUCCESS || ex.FramesSeen + ex.KernelFramesDropped >= n || mono_s() > deadline) return;
        nap_ms(10);
    }
}

static void part_c(const char *source) {
    rtc_run r;
    uint32_t n;
    if (!rtc_begin(&r, 8u << 20, 0, 0)) {
        CHECK(!"rtc_start");
        return;
    }
    n = send_seq(0, 4000);
    CHECK_EQ(n, 4000);
    wait_seen(r.npp, n);
    CHECK_RC(rtc_stop(r.npp), NMERR_SUCCESS);
    CHECK_EQ(r.log.delivered, 4000);
    CHECK_EQ(r.log.bad, 0);
    CHECK_EQ(r.log.other, 0);
    CHECK_EQ(r.log.out_of_order, 0);
    CHECK_EQ(r.log.last_seq, 3999);
    CHECK_EQ(r.log.dropped_reported, 0);
    printf("  c) %s: %llu of 4000 frames delivered once, in order, intact (%llu deliveries)\n", source, (unsigned long long)r.log.delivered,
           (unsigned long long)r.log.calls);
    rtc_end(&r);
}

static void part_d(void) {
    rtc_run r;
    STATISTICS_EX ex;
    uint32_t n;
    if (!rtc_begin(&r, 2u << 20, 25, 0)) {
        CHECK(!"rtc_start");
        return;
    }
    n = send_seq(0, SEQ_MAX);
    CHECK_EQ(n, SEQ_MAX);
    wait_seen(r.npp, n);
    nap_ms(200);
    CHECK_RC(rtc_stop(r.npp), NMERR_SUCCESS);
    memset(&ex, 0, sizeof ex);
    ex.StructSize = sizeof ex;
    CHECK_RC(rtc_get_statistics_ex(r.npp, &ex), NMERR_SUCCESS);
    CHECK_EQ(r.log.bad, 0);
    CHECK_EQ(r.log.other, 0);
    CHECK_EQ(r.log.out_of_order, 0);
    CHECK_EQ(r.log.delivered + r.log.dropped_reported + ex.KernelFramesDropped, SEQ_MAX);
    CHECK_EQ(r.log.dropped_reported, ex.FramesDropped);
    printf("  d) slow callback: %llu delivered intact, %llu reported dropped to the callback, %llu dropped by the kernel (of %u)\n",
           (unsigned long long)r.log.delivered, (unsigned long long)r.log.dropped_reported, (unsigned long long)ex.KernelFramesDropped, SEQ_MAX);
    rtc_end(&r);
}

typedef struct {
    volatile int stop;
    uint32_t sent;
} sender_arg;

static void *keep_sending(void *p) {
    sender_arg *a = (sender_arg *)p;
    uint32_t seq = 0;
    while (!a->stop && seq + 200 <= SEQ_MAX) {
        a->sent += send_seq(seq, seq + 200);
        seq += 200;
        nap_ms(2);
    }
    return NULL;
}

/* The callback's first delivery sleeps while frames keep coming; `during` runs then. */
static void held_by_callback(const char *what, int delete_interface) {
    rtc_run r;
    pthread_t tx;
    sender_arg a = {0, 0};
    uint64_t calls;
    int in_first = 0;
    double deadline;
    if (!rtc_begin(&r, 2u << 20, 0, 300)) {
        CHECK(!"rtc_start");
        return;
    }
    pthread_create(&tx, NULL, keep_sending, &a);
    deadline = mono_s() + 10;
    while (!in_first && mono_s() < deadline) {
        nap_ms(5);
        pthread_mutex_lock(&r.log.mu);
        in_first = r.log.in_first;
        pthread_mutex_unlock(&r.log.mu);
    }
    CHECK(in_first);
    if (delete_interface) {
        nap_ms(50);
        a.stop = 1;
        pthread_join(tx, NULL);
        CHECK(sh("ip -n %s link del " V0, ns) == 0);
        nap_ms(600);
        rtc_stop(r.npp); /* ended by itself already: what it answers is test_capture_live's */
    } else {
        CHECK_RC(rtc_stop(r.npp), NMERR_SUCCESS);
        a.stop = 1;
        pthread_join(tx, NULL);
    }
    pthread_mutex_lock(&r.log.mu);
    r.log.stopped = 1;
    CHECK(!r.log.in_first);
    calls = r.log.calls;
    pthread_mutex_unlock(&r.log.mu);
    nap_ms(150);
    CHECK_EQ(r.log.calls, calls);
    CHECK_EQ(r.log.calls_after_stop, 0);
    CHECK_EQ(r.log.bad, 0);
    CHECK_EQ(r.log.out_of_order, 0);
    CHECK(r.log.delivered > 0);
    printf("  %s: %llu frames delivered intact (of %u sent), %llu deliveries, none after rtc_stop\n", what, (unsigned long long)r.log.delivered, a.sent,
           (unsigned long long)r.log.calls);
    rtc_end(&r);
}

static int child(void) {
    static const char *const sources[2] = {"ring", "libpcap"};
    int s, snap;
    if (enter_netns(ns) != 0) return 2;
    for (snap = 0; snap < 2; snap++) {
        for (s = 0; s < 2; s++) {
            char name[1024], what[64];
            unsigned snaplen = snap ? 30 : 0;
            int before = check_failures;
            if (s == 1)
                setenv("NDISNPP_LIVE_SOURCE", "libpcap", 1);
            else
                unsetenv("NDISNPP_LIVE_SOURCE");
            snprintf(what, sizeof what, "%s, snap length %u", sources[s], snaplen);
            capture(snaplen, name, sizeof name);
            CHECK(file_matches(name, snaplen, what));
            printf("  %s: %s\n", what, check_failures > before ? "FAILED" : "the bytes sent, tags in place");
        }
    }
    printf("-- c) to f) IRTC, frames read in the ring's blocks\n");
    setenv("NDISNPP_LIVE_SOURCE", "libpcap", 1);
    part_c("libpcap");
    unsetenv("NDISNPP_LIVE_SOURCE");
    part_c("ring");
    part_d();
    held_by_callback("e) rtc_stop while the callback holds frames", 0);
    held_by_callback("f) the interface deleted while the callback holds frames", 1);
    return check_failures ? 1 : 0;
}

static void cleanup(void) {
    if (ns[0]) {
        if (sh("ip netns del %s 2>/dev/null", ns) != 0) fprintf(stderr, "could not remove namespace %s\n", ns);
        ns[0] = '\0';
    }
}

int main(void) {
    pid_t pid;
    int status = 0;
    if (geteuid() != 0 || system("command -v ip >/dev/null 2>&1") != 0) {
        printf("SKIPPED: needs root and ip\n");
        return 77;
    }
    snprintf(ns, sizeof ns, "ndisnpp-r-%ld", (long)getpid());
    atexit(cleanup);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ndisnpp-ring-XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    make_frames();
    if (sh("ip netns add %s", ns) != 0 ||
        sh("ip -n %s link add " V0 " address 02:4e:44:0d:00:00 type veth peer name " V1 " && ip -n %s link set " V0
           " addrgenmode none && ip -n %s link set " V1 " addrgenmode none && ip -n %s link set " V0 " up && ip -n %s link set " V1
           " up && ip -n %s link set lo up",
           ns, ns, ns, ns, ns, ns) != 0) {
        CHECK(!"namespace and veth pair");
        return check_done("test_ring_live");
    }
    printf("-- a), b) VLAN tags and snap length on %s in %s\n", V0, ns);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        int rc = child();
        fflush(stdout);
        _exit(rc); /* not exit(): the parent's atexit cleanup is the parent's */
    }
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    cleanup();
    tu_remove_unless_failed(tmpdir);
    return check_done("test_ring_live");
}
