/* Live captures through IESP (esp_*), checked with Wireshark's tools (tshark, capinfos; TZ=UTC).
 * Root only (exit 77 otherwise, or without tshark/capinfos). Traffic goes only to 127.0.0.1 on a
 * lo, or between the two ends of veth pairs inside network namespaces this test creates and
 * deletes itself. Every library call runs in a forked child; the parent only sets up and removes
 * namespaces, so they go away even when a child fails or crashes.
 *
 *  a) lo, in a private network namespace of a child (unshare(CLONE_NEWNET): its own lo, up, and
 *     nothing else on it, so the counts are exact and no other program's loopback traffic can
 *     interfere; the namespace disappears with the child). For each format (NETMON2, PCAP,
 *     PCAPNG): Start, 20 UDP datagrams to a socket on 127.0.0.1, wait until captured, Pause, 10
 *     datagrams, wait until FramesSeen grew by 10, Resume, 20 datagrams, wait, Stop. The file
 *     (tshark) holds every non-paused payload exactly once and no paused one, frame.len =
 *     14+20+8+payload, its frame count = STATISTICS.TotalFramesCaptured (= capinfos -c), every
 *     timestamp lies between the wall clock before Start and after Stop.
 *  b) veth between two named namespaces ndisnpp-a-<pid> / ndisnpp-b-<pid> (192.0.2.0/24, static
 *     neighbour entries, no IPv6 addresses: no ARP or ND). A child in b captures on b's end and
 *     signals the parent through a pipe; a child in a sends 50 datagrams to b's address. The
 *     capturing child waits until its socket received them and the capture counted them, Stops,
 *     checks the file (50 payloads exactly once, lengths) and the kernel counters
 *     (MacFramesReceived, KernelFramesReceived >= 50). All three formats; in the PCAPNG run the
 *     child stops as soon as its socket has every datagram (they passed the capture point, so
 *     the kernel holds them and esp_stop's drain must keep them). Then IRTC the same way: every
 *     datagram delivered to the frames callback exactly once, with its descriptor, rtc_stop
 *     right after the socket had them all.
 *  Every esp_stop runs under a watchdog: a Stop that has not returned after 20 s on the now quiet
 *  interface is a failure (the header: Stop drains what the kernel holds, a control call never
 *  waits for traffic); the watchdog then sends a datagram on that interface so the run goes on.
 *  c) a link flap, then the interface deleted mid-capture (namespace ndisnpp-c-<pid>, veth vc0/vc1,
 *     frames injected on vc1 with a packet socket). `ip link set vc0 down` then `up`: the status
 *     callback gets one UPDATE_EVENT_NETWORK_STATUS / UPDATE_ACTION_NOTIFY with Value
 *     NDISNPP_LINK_DOWN and one with NDISNPP_LINK_UP (Status CAPTURING), QueryStatus still says
 *     CAPTURING, STATISTICS_EX.LinkOutages is 1, and the frames injected after the flap are
 *     captured. Then `ip link del vc0`: the capture ends by itself (esp_get_control_state: not
 *     running), the callback receives UPDATE_EVENT_NETWORK_STATUS / UPDATE_ACTION_STOP_CAPTURE
 *     with the final statistics, esp_stop answers NMERR_NOT_CAPTURING, and the file (written with
 *     DontDeleteEmptyCapture TRUE) is readable and holds the frames. All three formats.
 *  d) a full disk: the capture directory on a 2 MiB tmpfs (mounted in a private mount namespace
 *     of a child, unmounted at the end), a replay of ~5 MB: the capture ends by itself with the
 *     callback event (Value NMERR_FILE_WRITE_ERROR), and the file holds the frames that fit:
 *     count > 0, = capinfos -c, = TotalFramesCaptured, TotalBytesCaptured = their bytes, and the
 *     lengths are the replay's first frames. All three formats.
 * No check asserts a duration: waits poll a counter or state with a generous deadline. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"
#include "test_util.h"
#include "netns_util.h"
#include "shell_util.h"
#include "child_util.h"

#define DEADLINE_S 60.0
/* The longest a forked child may run (its waits are at most DEADLINE_S each). */
#define CHILD_DEADLINE_S 180
#define MAX_FRAMES 8192
#define UDP_HDRS (14 + 20 + 8)

static const char *const FORMATS[3] = {FILE_FORMAT_NETMON2_TXT, FILE_FORMAT_PCAP_TXT, FILE_FORMAT_PCAPNG_TXT};

static char tmpdir[256];
static pid_t main_pid;
static char ns_a[64], ns_b[64], ns_c[64];
static int have_ns_a, have_ns_b, have_ns_c;

/* ---- small helpers ---------------------------------------------------------------------------- */

static int64_t wall_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* One frame as tshark reports it; `payload` is the decoded payload field (text, NUL-ended). */
struct frame_info {
    long number, len;
    int64_t time_ns;
    char payload[1600];
    int payload_len;
};

/* tshark's frame.number, frame.len, frame.time_epoch and `payload_field` (udp.payload or
 * data.data, hex) for every frame of `path`. Returns the frame count, -1 when tshark failed. */
static int read_frames(const char *path, const char *payload_field, struct frame_info *fr, int max) {
    char cmd[1024], *out, *line;
    int status, n = 0;
    snprintf(cmd, sizeof cmd,
             "TZ=UTC tshark -r '%s' -T fields -E separator=/t -e frame.number -e frame.len -e frame.time_epoch -e %s 2>/dev/null",
             path, payload_field);
    out = run_capture(cmd, &status);
    if (!out || status != 0) {
        fprintf(stderr, "  tshark could not read %s (exit %d)\n", path, status);
        free(out);
        return -1;
    }
    line = out;
    while (*line) {
        char *eol = strchr(line, '\n'), *f[4], *p;
        int k = 0;
        if (eol) *eol = '\0';
        f[0] = line;
        for (p = line; *p && k < 3; p++)
            if (*p == '\t') {
                *p = '\0';
                f[++k] = p + 1;
            }
        if (k != 3) {
            fprintf(stderr, "  unexpected tshark line in %s: %s\n", path, line);
            free(out);
            return -1;
        }
        if (n < max) {
            struct frame_info *r = &fr[n];
            const char *h = f[3];
            memset(r, 0, sizeof *r);
            r->number = strtol(f[0], NULL, 10);
            r->len = strtol(f[1], NULL, 10);
            int64_t sec, nsec;
            r->time_ns = parse_epoch(f[2], &sec, &nsec) == 0 ? sec * 1000000000LL + nsec : -1;
            /* Hex, with or without ':' separators; only the first value (',' separates more). */
            while (*h && *h != ',' && r->payload_len < (int)sizeof r->payload - 1) {
                if (*h == ':') {
                    h++;
                    continue;
                }
                if (hexval(h[0]) < 0 || hexval(h[1]) < 0) break;
                r->payload[r->payload_len++] = (char)(hexval(h[0]) * 16 + hexval(h[1]));
                h += 2;
            }
            r->payload[r->payload_len] = '\0';
        }
        n++;
        line = eol ? eol + 1 : line + strlen(line);
    }
    free(out);
    return n;
}

/* `capinfos -M -c` frame count, -1 when it failed. */
static long capinfos_count(const char *path) {
    char cmd[1024], *out, *p;
    int status;
    long n = -1;
    snprintf(cmd, sizeof cmd, "TZ=UTC capinfos -M -c '%s' 2>/dev/null", path);
    out = run_capture(cmd, &status);
    if (out && status == 0 && (p = strstr(out, "Number of packets:")) != NULL) n = strtol(p + 18, NULL, 10);
    free(out);
    return n;
}

/* ---- the status callback ------------------------------------------------------------------------ */

struct cb_log {
    pthread_mutex_t mu;
    int events, stops, terminates, after_terminate, wrong_context;
    int link_downs, link_ups, link_bad; /* NOTIFY events with NDISNPP_LINK_DOWN / _UP; others wrong */
    UPDATE_EVENT stop_event;
    STATISTICS final_stats;
    int have_final;
};

static DWORD on_status(UPDATE_EVENT e) {
    struct cb_log *l = (struct cb_log *)e.lpUserContext;
    if (!l) return 0;
    pthread_mutex_lock(&l->mu);
    l->events++;
    if (l->terminates) l->after_terminate++;
    if (e.Event == UPDATE_EVENT_TERMINATE_THREAD) {
        l->terminates++;
    } else if (e.Event == UPDATE_EVENT_NETWORK_STATUS && e.Action == UPDATE_ACTION_STOP_CAPTURE) {
        l->stops++;
        l->stop_event = e;
        if (e.lpFinalStats) {
            l->final_stats = *e.lpFinalStats;
            l->have_final = 1;
        }
    } else if (e.Event == UPDATE_EVENT_NETWORK_STATUS && e.Action == UPDATE_ACTION_NOTIFY) {
        /* A link event: the capture goes on (Status CAPTURING), no final statistics. */
        if (e.Status != NETWORKSTATUS_STATE_CAPTURING || e.lpFinalStats) l->link_bad++;
        if (e.Value == NDISNPP_LINK_DOWN) {
            if (l->link_downs != l->link_ups) l->link_bad++; /* two downs in a row */
            l->link_downs++;
        } else if (e.Value == NDISNPP_LINK_UP) {
            if (l->link_ups + 1 != l->link_downs) l->link_bad++; /* up without a down */
            l->link_ups++;
        } else {
            l->link_bad++;
        }
    }
    pthread_mutex_unlock(&l->mu);
    return 0;
}

static void cb_reset(struct cb_log *l) {
    pthread_mutex_lock(&l->mu);
    l->events = l->stops = l->terminates = l->after_terminate = l->wrong_context = 0;
    l->link_downs = l->link_ups = l->link_bad = 0;
    l->have_final = 0;
    memset(&l->stop_event, 0, sizeof l->stop_event);
    memset(&l->final_stats, 0, sizeof l->final_stats);
    pthread_mutex_unlock(&l->mu);
}

/* Waits (deadline) until the callback saw `downs` link-down and `ups` link-up events; 1 when it did. */
static int wait_link_events(struct cb_log *l, int downs, int ups) {
    double deadline = mono_s() + DEADLINE_S;
    for (;;) {
        int ok;
        pthread_mutex_lock(&l->mu);
        ok = l->link_downs >= downs && l->link_ups >= ups;
        pthread_mutex_unlock(&l->mu);
        if (ok) return 1;
        if (mono_s() > deadline) return 0;
        nap_ms(10);
    }
}

/* Waits (deadline) until the callback saw `n` stop events; returns how many it saw. */
static int wait_stops(struct cb_log *l, int n) {
    double deadline = mono_s() + DEADLINE_S;
    int got;
    for (;;) {
        pthread_mutex_lock(&l->mu);
        got = l->stops;
        pthread_mutex_unlock(&l->mu);
        if (got >= n || mono_s() > deadline) return got;
        nap_ms(10);
    }
}

/* ---- polling the capture ----------------------------------------------------------------------- */

static STATISTICS_EX stats_ex(HNPP npp, DWORD *rc) {
    STATISTICS_EX ex;
    memset(&ex, 0, sizeof ex);
    ex.StructSize = sizeof ex;
    *rc = esp_get_statistics_ex(npp, &ex);
    return ex;
}

/* Polls until FramesCaptured (captured = 1) or FramesSeen (0) reaches `n`; 1 when it did. */
static int wait_counter(HNPP npp, int captured, uint64_t n, const char *what) {
    double deadline = mono_s() + DEADLINE_S;
    DWORD rc;
    STATISTICS_EX ex;
    for (;;) {
        ex = stats_ex(npp, &rc);
        if (rc == NMERR_SUCCESS && (captured ? ex.FramesCaptured : ex.FramesSeen) >= n) return 1;
        if (mono_s() > deadline) {
            fprintf(stderr, "  %s: %s stayed at %llu (wanted %llu; rc %u)\n", what, captured ? "FramesCaptured" : "FramesSeen",
                    (unsigned long long)(captured ? ex.FramesCaptured : ex.FramesSeen), (unsigned long long)n, (unsigned)rc);
            return 0;
        }
        nap_ms(5);
    }
}

/* A watchdog for a control call that must not wait for traffic (esp_stop: "drains what the
 * kernel already holds"). When the call has not returned after GUARD_S, the watchdog records a
 * failure and then "nudges" (sends a frame on the captured interface, once a second) so that the
 * call can return and the rest of the test still runs. */
#define GUARD_S 20
struct guard {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done, fired;
    void (*nudge)(void *);
    void *arg;
    pthread_t thread;
};

static void *guard_main(void *p) {
    struct guard *g = p;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += GUARD_S;
    pthread_mutex_lock(&g->mu);
    while (!g->done && pthread_cond_timedwait(&g->cv, &g->mu, &until) != ETIMEDOUT) {
    }
    while (!g->done) {
        g->fired++;
        pthread_mutex_unlock(&g->mu);
        if (g->fired == 1) fprintf(stderr, "  the call has not returned after %d s on a quiet interface; nudging it with traffic\n", GUARD_S);
        if (g->nudge) g->nudge(g->arg);
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        pthread_mutex_lock(&g->mu);
        while (!g->done && pthread_cond_timedwait(&g->cv, &g->mu, &until) != ETIMEDOUT) {
        }
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

static void guard_begin(struct guard *g, void (*nudge)(void *), void *arg) {
    memset(g, 0, sizeof *g);
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
    g->nudge = nudge;
    g->arg = arg;
    if (pthread_create(&g->thread, NULL, guard_main, g) != 0) g->done = -1;
}

/* Ends the watchdog; 1 when the call returned in time. */
static int guard_end(struct guard *g) {
    int fired;
    if (g->done == -1) return 1;
    pthread_mutex_lock(&g->mu);
    g->done = 1;
    pthread_cond_signal(&g->cv);
    pthread_mutex_unlock(&g->mu);
    pthread_join(g->thread, NULL);
    fired = g->fired;
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->cv);
    return fired == 0;
}

/* esp_stop under the watchdog: a Stop must return with no further traffic on the interface. */
static DWORD guarded_stop(HNPP npp, LPSTATISTICS st, void (*nudge)(void *), void *arg) {
    struct guard g;
    DWORD rc;
    int in_time;
    guard_begin(&g, nudge, arg);
    rc = esp_stop(npp, st);
    in_time = guard_end(&g);
    if (!in_time) fprintf(stderr, "  esp_stop returned only after traffic arrived (it waited for a frame)\n");
    CHECK(in_time);
    return rc;
}

/* A configuration BLOB: capture directory and format (plus DontDeleteEmptyCapture when asked). */
static HBLOB config_blob(const char *dir, const char *fmt, int keep_empty) {
    HBLOB b = NULL;
    CHECK_RC(CreateBlob(&b), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(b, OWNER_NPP, CATEGORY_CONFIG, TAG_CAPTURE_DIRECTORY, dir), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(b, OWNER_NPP, CATEGORY_CONFIG, TAG_FILE_FORMAT, fmt), NMERR_SUCCESS);
    /* exact frame counts: no statistics frame (test_stats_frame.c covers it) */
    CHECK_RC(SetBoolInBlob(b, OWNER_NPP, CATEGORY_CONFIG, TAG_NO_STATS_FRAME, TRUE), NMERR_SUCCESS);
    if (keep_empty) CHECK_RC(SetBoolInBlob(b, OWNER_NPP, CATEGORY_CONFIG, TAG_DONT_DELETE_EMPTY_CAPTURE, TRUE), NMERR_SUCCESS);
    return b;
}

static HBLOB nic_blob(const char *ifname) {
    HBLOB b = NULL;
    CHECK_RC(CreateBlob(&b), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(b, OWNER_NPP, CATEGORY_LOCATION, TAG_NAME, ifname), NMERR_SUCCESS);
    return b;
}

/* The child's verdict: 0 all checks passed, 1 some failed. */
static int child_verdict(const char *what) {
    printf("  %s: %d checks, %d failed\n", what, check_count, check_failures);
    return check_failures ? 1 : 0;
}

/* Checks a file of UDP captures: each of the `n` payloads `prefix<i>` exactly once with
 * frame.len = 42 + payload; no payload starting with `forbidden` (NULL = none); frame count =
 * `captured` = capinfos; every time within [t0, t1]. */
static void check_udp_file(const char *path, const char *prefix, int n, const char *forbidden, DWORD captured,
                           int64_t t0, int64_t t1) {
    struct frame_info *fr = calloc(MAX_FRAMES, sizeof *fr);
    int *seen = calloc((size_t)n, sizeof *seen);
    int count, i, bad_len = 0, bad_time = 0, forbidden_hits = 0, foreign = 0;
    size_t plen = strlen(prefix);
    if (!fr || !seen) {
        CHECK(!"out of memory");
        free(fr);
        free(seen);
        return;
    }
    count = read_frames(path, "udp.payload", fr, MAX_FRAMES);
    CHECK(count >= 0);
    CHECK_EQ(count, captured);
    CHECK_EQ(capinfos_count(path), count);
    for (i = 0; i < count && i < MAX_FRAMES; i++) {
        const struct frame_info *r = &fr[i];
        /* Frame times: µs on the wire side; the bounds are widened to whole µs. */
        if (r->time_ns < t0 / 1000 * 1000 || r->time_ns > (t1 + 999) / 1000 * 1000) {
            if (bad_time++ < 3)
                fprintf(stderr, "  frame %ld: time %lld not within [%lld, %lld]\n", r->number, (long long)r->time_ns,
                        (long long)t0, (long long)t1);
        }
        if (forbidden && strncmp(r->payload, forbidden, strlen(forbidden)) == 0) {
            if (forbidden_hits++ < 5) fprintf(stderr, "  frame %ld holds a paused payload: %s\n", r->number, r->payload);
            continue;
        }
        if (r->payload_len > (int)plen && strncmp(r->payload, prefix, plen) == 0) {
            char *end;
            long k = strtol(r->payload + plen, &end, 10);
            if (*end != '\0' || k < 0 || k >= n) {
                fprintf(stderr, "  frame %ld: unexpected payload %s\n", r->number, r->payload);
                foreign++;
                continue;
            }
            seen[k]++;
            if (r->len != UDP_HDRS + r->payload_len) {
                if (bad_len++ < 3)
                    fprintf(stderr, "  frame %ld: frame.len %ld for a %d-byte payload\n", r->number, r->len, r->payload_len);
            }
        } else {
            foreign++;
        }
    }
    CHECK_EQ(bad_time, 0);
    CHECK_EQ(bad_len, 0);
    CHECK_EQ(forbidden_hits, 0);
    for (i = 0; i < n; i++) {
        if (seen[i] != 1) fprintf(stderr, "  payload %s%d appears %d times\n", prefix, i, seen[i]);
        CHECK_EQ(seen[i], 1);
    }
    printf("    %s: %d frames (%d not ours), times within Start..Stop\n", path, count, foreign);
    free(fr);
    free(seen);
}

static int udp_send(int s, const struct sockaddr_in *to, const char *fmt, ...) {
    char buf[256];
    va_list ap;
    int len;
    va_start(ap, fmt);
    len = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return sendto(s, buf, (size_t)len, 0, (const struct sockaddr *)to, sizeof *to) == len ? 0 : -1;
}

/* ---- a) lo ------------------------------------------------------------------------------------ */

static int bring_up(const char *ifname) {
    struct ifreq ifr;
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = -1;
    if (s < 0) return -1;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
    if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
        ifr.ifr_flags |= IFF_UP;
        rc = ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    close(s);
    return rc;
}

struct udp_target {
    int s;
    struct sockaddr_in to;
};

/* Watchdog nudge: one datagram to the target. */
static void nudge_udp(void *arg) {
    struct udp_target *t = arg;
    int s = t->s >= 0 ? t->s : socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return;
    (void)!sendto(s, "ndisnpp-nudge", 13, 0, (const struct sockaddr *)&t->to, sizeof t->to);
    if (t->s < 0) close(s);
}

static int child_lo(void *unused) {
    PBLOB_TABLE t = NULL;
    HBLOB filter = NULL, err = NULL;
    HNPP npp = NULL;
    struct cb_log log;
    struct sockaddr_in to;
    socklen_t tolen = sizeof to;
    int rx, tx, f, i;
    (void)unused;

    if (unshare(CLONE_NEWNET) != 0 || bring_up("lo") != 0) {
        printf("  cannot make a private network namespace with lo up: %s\n", strerror(errno));
        return 2;
    }
    memset(&log, 0, sizeof log);
    pthread_mutex_init(&log.mu, NULL);

    /* A receiver, so the datagrams are delivered (no ICMP port unreachable comes back). */
    rx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (rx < 0 || tx < 0 || bind(rx, (struct sockaddr *)&to, sizeof to) != 0 ||
        getsockname(rx, (struct sockaddr *)&to, &tolen) != 0) {
        printf("  sockets: %s\n", strerror(errno));
        return 2;
    }
    {
        int big = 4 << 20;
        setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    }
    printf("  receiver on 127.0.0.1:%u\n", (unsigned)ntohs(to.sin_port));

    /* The NIC BLOB from the discovery, filtered by name. */
    CHECK_RC(CreateBlob(&filter), NMERR_SUCCESS);
    CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(filter, OWNER_NPP, CATEGORY_LOCATION, TAG_NAME, "lo"), NMERR_SUCCESS);
    CHECK_RC(GetNPPBlobTable(filter, &t), NMERR_SUCCESS);
    if (!t || t->dwNumBlobs != 1) return 1;
    CHECK_RC(npp_create(t->hBlobs[0], &npp), NMERR_SUCCESS);
    if (!npp) return 1;

    for (f = 0; f < 3; f++) {
        char dir[512], name[1024], prefix[128], paused_prefix[128];
        HBLOB cfg;
        STATISTICS pst, st;
        STATISTICS_EX ex;
        NETWORKSTATUS ns;
        BOOL running = FALSE, paused = FALSE;
        DWORD rc;
        uint64_t seen0;
        int64_t t0, t1;
        struct udp_target nudge;

        printf("  -- lo, %s\n", FORMATS[f]);
        snprintf(dir, sizeof dir, "%s/lo-%s", tmpdir, FORMATS[f]);
        snprintf(prefix, sizeof prefix, "ndisnpp-live-%ld-%s-", (long)getpid(), FORMATS[f]);
        snprintf(paused_prefix, sizeof paused_prefix, "ndisnpp-live-%ld-%s-paused-", (long)getpid(), FORMATS[f]);
        cfg = config_blob(dir, FORMATS[f], 0);
        if (f == 0)
            CHECK_RC(esp_connect(npp, cfg, on_status, &log, err), NMERR_SUCCESS);
        else
            CHECK_RC(esp_configure(npp, cfg, err), NMERR_SUCCESS); /* a new format for the next Start */
        DestroyBlob(cfg);

        t0 = wall_ns();
        name[0] = '\0';
        CHECK_RC(esp_start(npp, name, sizeof name), NMERR_SUCCESS);
        if (!name[0]) break;
        CHECK_RC(esp_query_status(npp, &ns), NMERR_SUCCESS);
        CHECK_EQ(ns.State, NETWORKSTATUS_STATE_CAPTURING);
        for (i = 0; i < 20; i++) CHECK(udp_send(tx, &to, "%s%d", prefix, i) == 0);
        CHECK(wait_counter(npp, 1, 20, "before Pause"));

        memset(&pst, 0, sizeof pst);
        CHECK_RC(esp_pause(npp, &pst), NMERR_SUCCESS);
        CHECK_EQ(pst.TotalFramesCaptured, 20);
        CHECK_RC(esp_get_control_state(npp, &running, &paused), NMERR_SUCCESS);
        CHECK_EQ(running, TRUE);
        CHECK_EQ(paused, TRUE);
        CHECK_RC(esp_query_status(npp, &ns), NMERR_SUCCESS);
        CHECK_EQ(ns.State, NETWORKSTATUS_STATE_PAUSED);
        CHECK_RC(esp_pause(npp, NULL), NMERR_CAPTURE_PAUSED);
        ex = stats_ex(npp, &rc);
        CHECK_RC(rc, NMERR_SUCCESS);
        seen0 = ex.FramesSeen;
        for (i = 0; i < 10; i++) CHECK(udp_send(tx, &to, "%s%d", paused_prefix, i) == 0);
        CHECK(wait_counter(npp, 0, seen0 + 10, "while paused"));
        ex = stats_ex(npp, &rc);
        CHECK_EQ(ex.FramesCaptured, 20); /* nothing written while paused */

        CHECK_RC(esp_resume(npp), NMERR_SUCCESS);
        CHECK_RC(esp_resume(npp), NMERR_CAPTURE_NOT_PAUSED);
        CHECK_RC(esp_get_control_state(npp, &running, &paused), NMERR_SUCCESS);
        CHECK_EQ(running, TRUE);
        CHECK_EQ(paused, FALSE);
        for (i = 20; i < 40; i++) CHECK(udp_send(tx, &to, "%s%d", prefix, i) == 0);
        CHECK(wait_counter(npp, 1, 40, "after Resume"));

        memset(&st, 0xEE, sizeof st);
        nudge.s = tx;
        nudge.to = to;
        CHECK_RC(guarded_stop(npp, &st, nudge_udp, &nudge), NMERR_SUCCESS);
        t1 = wall_ns();
        CHECK_RC(esp_stop(npp, NULL), NMERR_NOT_CAPTURING);
        CHECK_RC(esp_get_control_state(npp, &running, &paused), NMERR_SUCCESS);
        CHECK_EQ(running, FALSE);
        printf("    stats: captured %u seen %u filtered %u dropped %u MacFramesReceived %u\n",
               (unsigned)st.TotalFramesCaptured, (unsigned)st.TotalFramesSeen, (unsigned)st.TotalFramesFiltered,
               (unsigned)st.TotalFramesDropped, (unsigned)st.MacFramesReceived);
        /* The namespace's lo carries nothing but these 50 datagrams. */
        CHECK_EQ(st.TotalFramesCaptured, 40);
        CHECK_EQ(st.TotalFramesSeen, 50);
        CHECK_EQ(st.TotalFramesFiltered, 40);
        CHECK_EQ(st.TotalFramesDropped, 0);
        CHECK(st.MacFramesReceived >= 50);
        check_udp_file(name, prefix, 40, paused_prefix, st.TotalFramesCaptured, t0, t1);
        /* Drain the receiver. */
        {
            char buf[256];
            while (recv(rx, buf, sizeof buf, MSG_DONTWAIT) > 0) {
            }
        }
    }
    CHECK_RC(esp_disconnect(npp), NMERR_SUCCESS);
    pthread_mutex_lock(&log.mu);
    CHECK_EQ(log.terminates, 1);
    CHECK_EQ(log.stops, 0); /* every capture was stopped by the caller */
    CHECK_EQ(log.after_terminate, 0);
    pthread_mutex_unlock(&log.mu);
    CHECK_RC(npp_destroy(npp), NMERR_SUCCESS);
    for (i = 0; i < (int)t->dwNumBlobs; i++) DestroyBlob(t->hBlobs[i]);
    FreeBlobTable(t);
    DestroyBlob(filter);
    DestroyBlob(err);
    close(rx);
    close(tx);
    pthread_mutex_destroy(&log.mu);
    return child_verdict("lo");
}

/* ---- b) veth between two namespaces ----------------------------------------------------------- */

#define VETH_A "nppva"
#define VETH_B "nppvb"
#define MAC_A "02:4e:44:0a:00:01"
#define MAC_B "02:4e:44:0b:00:01"
#define ADDR_A "192.0.2.1"
#define ADDR_B "192.0.2.2"
#define VETH_PORT 47123
#define VETH_N 50

struct veth_job {
    const char *fmt;
    int drain; /* Stop as soon as the socket has every datagram, without waiting for the counter */
    int ready_fd; /* capturing child writes one byte after Start (or 'x' on failure) */
};

/* A UDP socket bound to b's address and VETH_PORT (the datagrams are delivered: no ICMP comes
 * back), or -1. */
static int veth_receiver(void) {
    struct sockaddr_in me;
    int rx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    memset(&me, 0, sizeof me);
    me.sin_family = AF_INET;
    me.sin_port = htons(VETH_PORT);
    inet_pton(AF_INET, ADDR_B, &me.sin_addr);
    if (rx < 0 || bind(rx, (struct sockaddr *)&me, sizeof me) != 0) {
        printf("  receiver: %s\n", strerror(errno));
        if (rx >= 0) close(rx);
        return -1;
    }
    return rx;
}

/* Receives up to `n` datagrams on `rx` (deadline); how many came. */
static int receive_all(int rx, int n) {
    double deadline = mono_s() + DEADLINE_S;
    int got = 0;
    while (got < n && mono_s() < deadline) {
        char buf[256];
        if (recv(rx, buf, sizeof buf, MSG_DONTWAIT) > 0)
            got++;
        else
            nap_ms(5);
    }
    return got;
}

static int child_veth_capture(void *arg) {
    struct veth_job *job = arg;
    HBLOB nic, cfg, err = NULL;
    HNPP npp = NULL;
    STATISTICS st;
    STATISTICS_EX ex;
    DWORD rc;
    char dir[512], name[1024], prefix[128];
    struct udp_target nudge;
    int rx;
    int64_t t0, t1;

    if (enter_netns(ns_b) != 0) {
        (void)!write(job->ready_fd, "x", 1);
        return 2;
    }
    snprintf(dir, sizeof dir, "%s/veth-%s", tmpdir, job->fmt);
    snprintf(prefix, sizeof prefix, "ndisnpp-veth-%ld-%s-", (long)main_pid, job->fmt);
    if ((rx = veth_receiver()) < 0) {
        (void)!write(job->ready_fd, "x", 1);
        return 2;
    }
    nic = nic_blob(VETH_B);
    cfg = config_blob(dir, job->fmt, 0);
    CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
    CHECK_RC(npp_create(nic, &npp), NMERR_SUCCESS);
    CHECK_RC(esp_connect(npp, cfg, NULL, NULL, err), NMERR_SUCCESS);
    t0 = wall_ns();
    name[0] = '\0';
    CHECK_RC(esp_start(npp, name, sizeof name), NMERR_SUCCESS);
    if (!name[0]) {
        (void)!write(job->ready_fd, "x", 1);
        return 1;
    }
    (void)!write(job->ready_fd, "s", 1);
    close(job->ready_fd);

    /* Every datagram reached the socket (so it passed the capture point), and was counted. */
    CHECK_EQ(receive_all(rx, VETH_N), VETH_N);
    /* A datagram that reached the socket went past the capture point: the kernel holds it, and
     * Stop "drains what the kernel already holds". The drain run stops right away. */
    if (!job->drain) CHECK(wait_counter(npp, 1, VETH_N, "veth"));
    memset(&st, 0xEE, sizeof st);
    nudge.s = -1; /* from b's end towards a (a fresh socket in the watchdog thread) */
    memset(&nudge.to, 0, sizeof nudge.to);
    nudge.to.sin_family = AF_INET;
    nudge.to.sin_port = htons(VETH_PORT);
    inet_pton(AF_INET, ADDR_A, &nudge.to.sin_addr);
    CHECK_RC(guarded_stop(npp, &st, nudge_udp, &nudge), NMERR_SUCCESS);
    t1 = wall_ns();
    ex = stats_ex(npp, &rc);
    CHECK_RC(rc, NMERR_SUCCESS);
    printf("    stats: captured %u seen %u MacFramesReceived %u; ex: KernelFramesReceived %llu KernelFramesDropped %llu\n",
           (unsigned)st.TotalFramesCaptured, (unsigned)st.TotalFramesSeen, (unsigned)st.MacFramesReceived,
           (unsigned long long)ex.KernelFramesReceived, (unsigned long long)ex.KernelFramesDropped);
    CHECK(st.MacFramesReceived >= VETH_N);
    CHECK(ex.KernelFramesReceived >= VETH_N);
    CHECK_EQ(ex.FramesCaptured, st.TotalFramesCaptured);
    CHECK_EQ(st.TotalFramesDropped, 0);
    CHECK_RC(esp_disconnect(npp), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(npp), NMERR_SUCCESS);
    check_udp_file(name, prefix, VETH_N, NULL, st.TotalFramesCaptured, t0, t1);
    DestroyBlob(nic);
    DestroyBlob(cfg);
    DestroyBlob(err);
    close(rx);
    return child_verdict("veth capture");
}

/* IRTC on b's end: every datagram delivered to the frames callback exactly once, with its
 * descriptor (IPv4 at 14, UDP, the header above IP at 34). */
struct rtc_seen {
    pthread_mutex_t mu;
    int count[VETH_N];
    int others, bad_desc;
    const char *prefix;
};

static DWORD veth_frames(UPDATE_EVENT e) {
    struct rtc_seen *r = (struct rtc_seen *)e.lpUserContext;
    LPFRAMETABLE t = e.lpFrameTable;
    DWORD k;
    size_t plen = strlen(r->prefix);
    pthread_mutex_lock(&r->mu);
    for (k = 0; t && k < t->FrameCount; k++) {
        const FRAME_DESCRIPTOR *d = &t->Frames[(t->StartIndex + k) % t->FrameTableLength];
        const char *payload = (const char *)d->FramePointer + UDP_HDRS;
        if (d->nBytesAvail > UDP_HDRS + plen && memcmp(payload, r->prefix, plen) == 0) {
            int i = atoi(payload + plen);
            if (i >= 0 && i < VETH_N) r->count[i]++;
            if (d->LowProtocol != LOW_PROTOCOL_IP || d->LowProtocolOffset != 14 || d->HighPort.IPPort != 17 || d->HighProtocolOffset != 34)
                r->bad_desc++;
        } else {
            r->others++;
        }
    }
    pthread_mutex_unlock(&r->mu);
    return 0;
}

static int child_veth_rtc(void *arg) {
    struct veth_job *job = arg;
    struct rtc_seen seen;
    HBLOB nic, cfg = NULL;
    HNPP npp = NULL;
    int rx, i, once = 0;
    char prefix[128];
    if (enter_netns(ns_b) != 0) {
        (void)!write(job->ready_fd, "x", 1);
        return 2;
    }
    snprintf(prefix, sizeof prefix, "ndisnpp-veth-%ld-%s-", (long)main_pid, job->fmt);
    memset(&seen, 0, sizeof seen);
    pthread_mutex_init(&seen.mu, NULL);
    seen.prefix = prefix;
    if ((rx = veth_receiver()) < 0) {
        (void)!write(job->ready_fd, "x", 1);
        return 2;
    }
    nic = nic_blob(VETH_B);
    CHECK_RC(CreateBlob(&cfg), NMERR_SUCCESS);
    CHECK_RC(npp_create(nic, &npp), NMERR_SUCCESS);
    CHECK_RC(rtc_connect(npp, cfg, NULL, veth_frames, &seen, NULL), NMERR_SUCCESS);
    CHECK_RC(rtc_start(npp), NMERR_SUCCESS);
    (void)!write(job->ready_fd, "s", 1);
    close(job->ready_fd);
    CHECK_EQ(receive_all(rx, VETH_N), VETH_N);
    /* Stop right away: the datagrams passed the capture point, so Stop delivers them all. */
    CHECK_RC(rtc_stop(npp), NMERR_SUCCESS);
    pthread_mutex_lock(&seen.mu);
    for (i = 0; i < VETH_N; i++) once += seen.count[i] == 1;
    printf("    IRTC: %d of %d datagrams delivered exactly once, %d other frames, %d bad descriptors\n", once, VETH_N, seen.others,
           seen.bad_desc);
    CHECK_EQ(once, VETH_N);
    CHECK_EQ(seen.others, 0);
    CHECK_EQ(seen.bad_desc, 0);
    pthread_mutex_unlock(&seen.mu);
    CHECK_RC(rtc_disconnect(npp), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(npp), NMERR_SUCCESS);
    DestroyBlob(nic);
    DestroyBlob(cfg);
    close(rx);
    return child_verdict("veth IRTC");
}

static int child_veth_send(void *arg) {
    struct veth_job *job = arg;
    struct sockaddr_in to;
    int tx, i, failed = 0;
    if (enter_netns(ns_a) != 0) return 2;
    tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_port = htons(VETH_PORT);
    inet_pton(AF_INET, ADDR_B, &to.sin_addr);
    for (i = 0; i < VETH_N; i++)
        if (udp_send(tx, &to, "ndisnpp-veth-%ld-%s-%d", (long)main_pid, job->fmt, i) != 0) failed++;
    close(tx);
    if (failed) printf("  sender: %d sends failed: %s\n", failed, strerror(errno));
    return failed ? 1 : 0;
}

static void test_veth(void) {
    int f;
    printf("-- b) veth between namespaces %s and %s\n", ns_a, ns_b);
    if (sh("ip netns add %s", ns_a) != 0) {
        SKIP_PART("b): cannot create a network namespace");
        return;
    }
    have_ns_a = 1;
    if (sh("ip netns add %s", ns_b) != 0) {
        SKIP_PART("b): cannot create a network namespace");
        return;
    }
    have_ns_b = 1;
    if (sh("ip -n %s link add " VETH_A " address " MAC_A " type veth peer name " VETH_B " address " MAC_B " netns %s",
           ns_a, ns_b) != 0) {
        SKIP_PART("b): cannot create a veth pair");
        return;
    }
    /* No IPv6 link-local addresses (no DAD/ND/MLD), static neighbours (no ARP). */
    CHECK_EQ(sh("ip -n %s link set " VETH_A " addrgenmode none && ip -n %s addr add " ADDR_A "/24 dev " VETH_A
                " && ip -n %s link set " VETH_A " up && ip -n %s link set lo up",
                ns_a, ns_a, ns_a, ns_a), 0);
    CHECK_EQ(sh("ip -n %s link set " VETH_B " addrgenmode none && ip -n %s addr add " ADDR_B "/24 dev " VETH_B
                " && ip -n %s link set " VETH_B " up && ip -n %s link set lo up",
                ns_b, ns_b, ns_b, ns_b), 0);
    CHECK_EQ(sh("ip -n %s neigh add " ADDR_B " lladdr " MAC_B " dev " VETH_A " nud permanent", ns_a), 0);
    CHECK_EQ(sh("ip -n %s neigh add " ADDR_A " lladdr " MAC_A " dev " VETH_B " nud permanent", ns_b), 0);

    for (f = 0; f < 4; f++) {
        struct veth_job job;
        int p[2], rc_cap, rc_send = -1;
        char c = 0;
        pid_t cap;
        printf("  -- veth, %s\n", f < 3 ? FORMATS[f] : "IRTC");
        if (pipe(p) != 0) {
            CHECK(!"pipe");
            return;
        }
        job.fmt = f < 3 ? FORMATS[f] : "RTC";
        job.drain = f == 2;
        if (job.drain) printf("     (Stop right after the receiver got every datagram: the drain must keep them)\n");
        job.ready_fd = p[1];
        cap = child_spawn(f < 3 ? child_veth_capture : child_veth_rtc, &job);
        close(p[1]);
        if (read(p[0], &c, 1) == 1 && c == 's') {
            pid_t snd = child_spawn(child_veth_send, &job);
            rc_send = child_reap(snd, CHILD_DEADLINE_S);
            CHECK_EQ(rc_send, 0);
        } else {
            printf("  capturing child did not start\n");
        }
        close(p[0]);
        rc_cap = child_reap(cap, CHILD_DEADLINE_S);
        printf("  capturing child: exit %d, sender: exit %d\n", rc_cap, rc_send);
        CHECK_EQ(rc_cap, 0);
    }
}

/* ---- c) the interface deleted mid-capture ----------------------------------------------------- */

#define VETH_C0 "nppvc0"
#define VETH_C1 "nppvc1"
#define MAC_C0 "02:4e:44:0c:00:00"
#define DEL_N 5

/* Frames `from`..`to`-1 from the peer end vc1 (EtherType 0x88B5, to vc0's address), each
 * carrying `prefix` and its number. */
static void inject(const char *prefix, int from, int to_n) {
    struct sockaddr_ll to;
    int s = raw_sender(VETH_C1, &to), i;
    CHECK(s >= 0);
    for (i = from; i < to_n && s >= 0; i++) {
        uint8_t frame[200];
        static const uint8_t hdr[14] = {0x02, 0x4E, 0x44, 0x0C, 0x00, 0x00, 0x02, 0x4E, 0x44, 0x0C, 0x00, 0x01, 0x88, 0xB5};
        memset(frame, 0, sizeof frame);
        memcpy(frame, hdr, 14);
        snprintf((char *)frame + 14, sizeof frame - 14, "%s%d", prefix, i);
        CHECK(sendto(s, frame, 60, 0, (struct sockaddr *)&to, sizeof to) == 60);
    }
    if (s >= 0) close(s);
}

static int child_deleted(void *unused) {
    struct cb_log log;
    int f;
    (void)unused;
    if (enter_netns(ns_c) != 0) return 2;
    memset(&log, 0, sizeof log);
    pthread_mutex_init(&log.mu, NULL);
    for (f = 0; f < 3; f++) {
        HBLOB nic, cfg, err = NULL;
        HNPP npp = NULL;
        STATISTICS_EX ex;
        NETWORKSTATUS ns;
        DWORD rc;
        char dir[512], name[1024], prefix[128];
        int i, count, ours = 0;
        struct frame_info *fr;

        printf("  -- link flap, then the interface deleted, %s\n", FORMATS[f]);
        cb_reset(&log);
        if (sh("ip link add " VETH_C0 " address " MAC_C0 " type veth peer name " VETH_C1 " && ip link set " VETH_C0
               " addrgenmode none && ip link set " VETH_C1 " addrgenmode none && ip link set " VETH_C0
               " up && ip link set " VETH_C1 " up") != 0) {
            CHECK(!"veth pair");
            break;
        }
        snprintf(dir, sizeof dir, "%s/deleted-%s", tmpdir, FORMATS[f]);
        snprintf(prefix, sizeof prefix, "ndisnpp-del-%ld-%s-", (long)main_pid, FORMATS[f]);
        nic = nic_blob(VETH_C0);
        cfg = config_blob(dir, FORMATS[f], 1);
        CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
        CHECK_RC(npp_create(nic, &npp), NMERR_SUCCESS);
        CHECK_RC(esp_connect(npp, cfg, on_status, &log, err), NMERR_SUCCESS);
        name[0] = '\0';
        CHECK_RC(esp_start(npp, name, sizeof name), NMERR_SUCCESS);

        inject(prefix, 0, DEL_N);
        CHECK(wait_counter(npp, 1, DEL_N, "before the flap"));

        /* The link flaps: reported down and up, counted once; the capture goes on and captures
         * what arrives once the link is back. */
        CHECK_EQ(sh("ip link set " VETH_C0 " down"), 0);
        CHECK(wait_link_events(&log, 1, 0));
        CHECK_RC(esp_query_status(npp, &ns), NMERR_SUCCESS);
        CHECK_EQ(ns.State, NETWORKSTATUS_STATE_CAPTURING);
        CHECK_EQ(sh("ip link set " VETH_C0 " up"), 0);
        CHECK(wait_link_events(&log, 1, 1));
        inject(prefix, DEL_N, 2 * DEL_N);
        CHECK(wait_counter(npp, 1, 2 * DEL_N, "after the flap"));
        ex = stats_ex(npp, &rc);
        CHECK_RC(rc, NMERR_SUCCESS);
        CHECK_EQ(ex.LinkOutages, 1);
        pthread_mutex_lock(&log.mu);
        printf("    link flap: %d down, %d up events (%d wrong), LinkOutages %llu, %llu frames captured\n", log.link_downs,
               log.link_ups, log.link_bad, (unsigned long long)ex.LinkOutages, (unsigned long long)ex.FramesCaptured);
        CHECK_EQ(log.link_downs, 1);
        CHECK_EQ(log.link_ups, 1);
        CHECK_EQ(log.link_bad, 0);
        CHECK_EQ(log.stops, 0);
        pthread_mutex_unlock(&log.mu);

        CHECK_EQ(sh("ip link del " VETH_C0), 0);
        CHECK(tu_wait_stopped(esp_get_control_state, npp));
        CHECK_EQ(wait_stops(&log, 1), 1);
        pthread_mutex_lock(&log.mu);
        printf("    callback: Event %u Action %u Status %u Value %u (%s), final stats %s, captured %u\n",
               (unsigned)log.stop_event.Event, (unsigned)log.stop_event.Action, (unsigned)log.stop_event.Status,
               (unsigned)log.stop_event.Value, nmerr_text(log.stop_event.Value), log.have_final ? "yes" : "no",
               (unsigned)log.final_stats.TotalFramesCaptured);
        CHECK_EQ(log.stops, 1);
        CHECK_EQ(log.stop_event.Event, UPDATE_EVENT_NETWORK_STATUS);
        CHECK_EQ(log.stop_event.Action, UPDATE_ACTION_STOP_CAPTURE);
        CHECK_EQ(log.stop_event.Status, NETWORKSTATUS_STATE_VOID);
        CHECK(log.stop_event.lpUserContext == (uintptr_t)&log);
        CHECK_EQ(log.have_final, 1);
        CHECK(log.final_stats.TotalFramesCaptured >= DEL_N);
        pthread_mutex_unlock(&log.mu);

        CHECK_RC(esp_stop(npp, NULL), NMERR_NOT_CAPTURING);
        CHECK_RC(esp_query_status(npp, &ns), NMERR_SUCCESS);
        CHECK_EQ(ns.State, NETWORKSTATUS_STATE_VOID);
        ex = stats_ex(npp, &rc);
        CHECK_RC(rc, NMERR_SUCCESS); /* the finished capture's totals */
        CHECK_EQ(ex.FramesCaptured, log.final_stats.TotalFramesCaptured);
        CHECK_RC(esp_disconnect(npp), NMERR_SUCCESS);
        pthread_mutex_lock(&log.mu);
        CHECK_EQ(log.terminates, 1);
        pthread_mutex_unlock(&log.mu);
        CHECK_RC(npp_destroy(npp), NMERR_SUCCESS);

        /* The file written before holds the frames. */
        fr = calloc(MAX_FRAMES, sizeof *fr);
        count = fr ? read_frames(name, "data.data", fr, MAX_FRAMES) : -1;
        CHECK_EQ(count, log.final_stats.TotalFramesCaptured);
        CHECK_EQ(capinfos_count(name), count);
        for (i = 0; fr && i < count && i < MAX_FRAMES; i++) {
            if (strncmp(fr[i].payload, prefix, strlen(prefix)) == 0) {
                ours++;
                CHECK_EQ(fr[i].len, 60);
            }
        }
        CHECK_EQ(ours, 2 * DEL_N);
        printf("    %s: %d frames, %d of ours\n", name, count, ours);
        free(fr);
        DestroyBlob(nic);
        DestroyBlob(cfg);
        DestroyBlob(err);
    }
    pthread_mutex_destroy(&log.mu);
    return child_verdict("deleted interface");
}

static void test_deleted(void) {
    int rc;
    printf("-- c) link flap, then the interface deleted mid-capture (namespace %s)\n", ns_c);
    if (sh("ip netns add %s", ns_c) != 0) {
        SKIP_PART("c): cannot create a network namespace");
        return;
    }
    have_ns_c = 1;
    rc = child_reap(child_spawn(child_deleted, NULL), CHILD_DEADLINE_S);
    printf("  child: exit %d\n", rc);
    CHECK_EQ(rc, 0);
}

/* ---- d) full disk ------------------------------------------------------------------------------ */

#define FULL_N 4000

static uint32_t full_len(int i) { return 1000 + (uint32_t)(i * 37 % 515); }

/* A µs pcap of FULL_N Ethernet frames of 1000..1514 bytes (about 5 MB: more than the 2 MiB
 * tmpfs plus the writers' 1 MiB buffer, so a write fails while the capture runs). */
static int write_big_pcap(const char *path) {
    uint8_t buf[1514];
    int i;
    tu_pcap p;
    if (tu_pcap_open(&p, path, 1, 65535, 0) != 0) return -1;
    for (i = 0; i < FULL_N; i++) {
        uint32_t len = full_len(i), j;
        memset(buf, 0, 14);
        buf[0] = 0x02;
        buf[6] = 0x02;
        buf[11] = (uint8_t)i;
        buf[12] = 0x88;
        buf[13] = 0xB5;
        for (j = 14; j < len; j++) buf[j] = (uint8_t)(i + j);
        tu_pcap_frame(&p, 1700000000u + (uint32_t)i, (uint32_t)(i * 1000), buf, len, len);
    }
    return tu_pcap_close(&p);
}

static int child_full(void *unused) {
    char mnt[512], src[512];
    struct cb_log log;
    int f;
    (void)unused;
    snprintf(mnt, sizeof mnt, "%s/small", tmpdir);
    snprintf(src, sizeof src, "%s/big.pcap", tmpdir);
    if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
        printf("  private mount namespace: %s\n", strerror(errno));
        return 2;
    }
    if (mkdir(mnt, 0700) != 0 || mount("tmpfs", mnt, "tmpfs", 0, "size=2m") != 0) {
        printf("  tmpfs on %s: %s\n", mnt, strerror(errno));
        return 2;
    }
    memset(&log, 0, sizeof log);
    pthread_mutex_init(&log.mu, NULL);
    for (f = 0; f < 3; f++) {
        HBLOB nic = NULL, cfg, err = NULL;
        HNPP npp = NULL;
        STATISTICS_EX ex;
        DWORD rc;
        char name[1024];
        struct frame_info *fr;
        int count, i, bad = 0;

        printf("  -- full disk, %s\n", FORMATS[f]);
        cb_reset(&log);
        CHECK_RC(CreateBlob(&nic), NMERR_SUCCESS);
        CHECK_RC(SetStringInBlob(nic, OWNER_NPP, CATEGORY_LOCATION, TAG_REPLAY_FILE, src), NMERR_SUCCESS);
        cfg = config_blob(mnt, FORMATS[f], 0);
        CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
        CHECK_RC(npp_create(nic, &npp), NMERR_SUCCESS);
        CHECK_RC(esp_connect(npp, cfg, on_status, &log, err), NMERR_SUCCESS);
        name[0] = '\0';
        CHECK_RC(esp_start(npp, name, sizeof name), NMERR_SUCCESS);
        CHECK(tu_wait_stopped(esp_get_control_state, npp));
        CHECK_EQ(wait_stops(&log, 1), 1);
        CHECK_RC(esp_stop(npp, NULL), NMERR_NOT_CAPTURING);
        ex = stats_ex(npp, &rc);
        CHECK_RC(rc, NMERR_SUCCESS);
        pthread_mutex_lock(&log.mu);
        printf("    callback: Event %u Action %u Value %u (%s); final captured %u dropped %u filtered %u\n",
               (unsigned)log.stop_event.Event, (unsigned)log.stop_event.Action, (unsigned)log.stop_event.Value,
               nmerr_text(log.stop_event.Value), (unsigned)log.final_stats.TotalFramesCaptured,
               (unsigned)log.final_stats.TotalFramesDropped, (unsigned)log.final_stats.TotalFramesFiltered);
        printf("    ex: captured %llu dropped %llu filtered %llu seen %llu\n", (unsigned long long)ex.FramesCaptured,
               (unsigned long long)ex.FramesDropped, (unsigned long long)ex.FramesFiltered, (unsigned long long)ex.FramesSeen);
        CHECK_EQ(log.stop_event.Event, UPDATE_EVENT_NETWORK_STATUS);
        CHECK_EQ(log.stop_event.Action, UPDATE_ACTION_STOP_CAPTURE);
        CHECK_RC(log.stop_event.Value, NMERR_FILE_WRITE_ERROR);
        CHECK_EQ(log.have_final, 1);
        CHECK(log.final_stats.TotalFramesDropped >= 1);
        CHECK(ex.FramesCaptured < FULL_N);
        CHECK_EQ(ex.FramesCaptured + ex.FramesDropped, ex.FramesFiltered);
        pthread_mutex_unlock(&log.mu);
        CHECK_RC(esp_disconnect(npp), NMERR_SUCCESS);
        CHECK_RC(npp_destroy(npp), NMERR_SUCCESS);

        /* The file holds the frames that fit, and says so consistently. */
        fr = calloc(MAX_FRAMES, sizeof *fr);
        count = fr ? read_frames(name, "data.data", fr, MAX_FRAMES) : -1;
        printf("    %s: tshark reads %d frames, capinfos %ld\n", name, count, capinfos_count(name));
        CHECK(count > 0);
        CHECK_EQ(capinfos_count(name), count);
        CHECK_EQ(count, log.final_stats.TotalFramesCaptured);
        CHECK_EQ(count, ex.FramesCaptured);
        {
            /* The bytes counted are the bytes of the frames the file holds (not of those lost). */
            unsigned long long bytes = 0;
            for (i = 0; i < count; i++) bytes += full_len(i);
            printf("    bytes: file %llu, TotalBytesCaptured %u, BytesCaptured %llu\n", bytes,
                   (unsigned)log.final_stats.TotalBytesCaptured, (unsigned long long)ex.BytesCaptured);
            CHECK_EQ(log.final_stats.TotalBytesCaptured, bytes);
            CHECK_EQ(ex.BytesCaptured, bytes);
        }
        for (i = 0; fr && i < count && i < MAX_FRAMES; i++)
            if (fr[i].len != (long)full_len(i) && bad++ < 3)
                fprintf(stderr, "    frame %d: len %ld, replay had %u\n", i + 1, fr[i].len, full_len(i));
        CHECK_EQ(bad, 0);
        free(fr);
        if (name[0]) unlink(name);
        DestroyBlob(nic);
        DestroyBlob(cfg);
        DestroyBlob(err);
    }
    pthread_mutex_destroy(&log.mu);
    if (umount(mnt) != 0) {
        printf("  umount %s: %s\n", mnt, strerror(errno));
        CHECK(!"umount");
    }
    return child_verdict("full disk");
}

static void test_full_disk(void) {
    char src[512];
    int rc;
    printf("-- d) full disk (2 MiB tmpfs)\n");
    snprintf(src, sizeof src, "%s/big.pcap", tmpdir);
    CHECK(write_big_pcap(src) == 0);
    rc = child_reap(child_spawn(child_full, NULL), CHILD_DEADLINE_S);
    printf("  child: exit %d\n", rc);
    if (rc == 2) {
        SKIP_PART("d): cannot mount a tmpfs in a private mount namespace");
        return;
    }
    CHECK_EQ(rc, 0);
}

/* ---- main -------------------------------------------------------------------------------------- */

static void cleanup(void) {
    if (getpid() != main_pid) return; /* children leave the namespaces to the parent */
    if (have_ns_a) sh("ip netns del %s", ns_a);
    if (have_ns_b) sh("ip netns del %s", ns_b);
    if (have_ns_c) sh("ip netns del %s", ns_c);
    have_ns_a = have_ns_b = have_ns_c = 0;
}

static void on_signal(int sig) {
    cleanup();
    signal(sig, SIG_DFL);
    raise(sig);
}

int main(void) {
    int rc, have_ip;
    setvbuf(stdout, NULL, _IOLBF, 0);
    setenv("TZ", "UTC", 1);
    tzset();
    if (system("command -v tshark >/dev/null 2>&1 && command -v capinfos >/dev/null 2>&1") != 0) {
        printf("test_capture_live: SKIP: tshark/capinfos not installed (apt-get install tshark)\n");
        return 77;
    }
    if (geteuid() != 0) {
        printf("test_capture_live: SKIP: live capture needs root (CAP_NET_RAW, CAP_SYS_ADMIN for namespaces)\n");
        return 77;
    }
    main_pid = getpid();
    snprintf(ns_a, sizeof ns_a, "ndisnpp-a-%ld", (long)main_pid);
    snprintf(ns_b, sizeof ns_b, "ndisnpp-b-%ld", (long)main_pid);
    snprintf(ns_c, sizeof ns_c, "ndisnpp-c-%ld", (long)main_pid);
    atexit(cleanup);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGALRM, on_signal);
    /* The whole test within CTest's limit (300 s), so that a child hung past its own deadline
     * still leaves no namespace behind (on_signal cleans up). */
    alarm(280);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ndisnpp-live-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    printf("work directory %s\n", tmpdir);
    have_ip = system("command -v ip >/dev/null 2>&1") == 0;

    printf("-- a) lo (a private network namespace's lo)\n");
    rc = child_reap(child_spawn(child_lo, NULL), CHILD_DEADLINE_S);
    printf("  child: exit %d\n", rc);
    if (rc == 2)
        SKIP_PART("a): no private network namespace");
    else
        CHECK_EQ(rc, 0);

    if (have_ip) {
        test_veth();
        cleanup();
        test_deleted();
        cleanup();
    } else {
        SKIP_PART("b), c): no `ip` command (iproute2)");
    }
    test_full_disk();

    tu_remove_unless_failed(tmpdir);
    return check_done("test_capture_live");
}
