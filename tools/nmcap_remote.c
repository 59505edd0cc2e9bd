/* nmcap's remote side (protocol 1): what a remote NIC of the ndisnpp library runs over ssh on the
 * host whose interface it captures (see man/nmcap.1, REMOTE PROTOCOL; the library's side is
 * src/capture/source/remote.rs). Not meant to be typed by hand; every option has a fixed form.
 *
 *   nmcap --stream (-i IFACE | --interface-hex HEX) [-s SNAPLEN] [-B BYTES] [-p] [--exclude-ssh]
 *                  [--bpf EXPR | --bpf-hex HEX]
 *   nmcap --probe  (-i IFACE | --interface-hex HEX)
 *   nmcap --list
 *
 * --stream captures (the library's IRTC family, deliveries at most 50 ms apart) and writes pcapng
 * to standard output: a section header, one interface (Ethernet, microsecond times), an enhanced
 * packet block per frame, an interface statistics block (isb_ifrecv, isb_ifdrop: the kernel's
 * and this program's drops) every second and at the end; written out at least every 50 ms.
 * Standard error carries one report per line: "@nmcap 1 ready" once it captures,
 * "@nmcap 1 link down|up", "@nmcap 1 end NMERR_NAME" when it ends. Standard input is the
 * library's heartbeat: it ends the capture (cleanly: "end NMERR_SUCCESS") at the end of its input,
 * on SIGTERM, SIGHUP or SIGINT, and when no byte came for 30 s (a silently dead connection:
 * "end NMERR_TIMEOUT"); also when standard output stays blocked for 30 s. With --exclude-ssh the
 * ssh session it runs in ($SSH_CONNECTION) is left out of the capture.
 * --probe checks that the interface can be captured ("@nmcap 1 ok VERSION"), --list prints every
 * NIC BLOB (MarshalBlob text, each starting "#NMBLOB 1"), as nmlist -M does.
 * Exit status: tools/exit_codes.h (4: no permission to capture). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "exit_codes.h"
#include "netmon.h"
#include "nmcap_remote.h"

/* Bytes of pcapng waiting for standard output at most; frames beyond it are dropped (counted). */
#define PENDING_MAX (32u << 20)
#define SILENCE_S 30

static volatile sig_atomic_t g_stop;
static void on_stop_signal(int sig) { (void)sig; g_stop = 1; }

/* ---- pcapng, in host byte order (the section header says which) ------------------------------ */
typedef struct {
    pthread_mutex_t lock;
    unsigned char *buf;
    size_t off, len, cap; /* bytes [off, len) wait for standard output */
    uint64_t dropped; /* frames not written: no room */
    int link_report;  /* NDISNPP_LINK_DOWN/UP to report, 0 none */
    DWORD end_value;  /* the capture ended by itself: its NMERR, with ended set */
    int ended;
} Out;
static Out g_out = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0, 0, 0, 0, 0, 0};

static int out_room(Out *o, size_t n) {
    if (o->off > 0 && o->len + n > o->cap) {
        /* What was written goes: one move per refill, not one per write. */
        memmove(o->buf, o->buf + o->off, o->len - o->off);
        o->len -= o->off;
        o->off = 0;
    }
    if (o->len + n <= o->cap) return 1;
    if (o->len + n > PENDING_MAX) return 0;
    size_t cap = o->cap ? o->cap : 65536;
    while (cap < o->len + n) cap *= 2;
    unsigned char *b = realloc(o->buf, cap);
    if (!b) return 0;
    o->buf = b;
    o->cap = cap;
    return 1;
}
static void put(Out *o, const void *p, size_t n) { memcpy(o->buf + o->len, p, n); o->len += n; }
static void put32(Out *o, uint32_t v) { put(o, &v, 4); }
static void put16(Out *o, uint16_t v) { put(o, &v, 2); }
static void pad4(Out *o, size_t n) { static const unsigned char z[4]; put(o, z, (4 - n % 4) % 4); }

static void header_blocks(Out *o) {
    char app[64];
    snprintf(app, sizeof app, "nmcap (ndisnpp) %s", ndisnpp_version());
    size_t alen = strlen(app), opt = 4 + alen + (4 - alen % 4) % 4 + 4;
    uint32_t shb_len = (uint32_t)(28 + opt), idb_len = 16 + 8 + 4 + 4;
    out_room(o, shb_len + idb_len);
    put32(o, 0x0A0D0D0A); put32(o, shb_len); put32(o, 0x1A2B3C4D); put16(o, 1); put16(o, 0);
    put32(o, 0xFFFFFFFF); put32(o, 0xFFFFFFFF);
    put16(o, 4); put16(o, (uint16_t)alen); put(o, app, alen); pad4(o, alen); put32(o, 0);
    put32(o, shb_len);
    /* IDB: Ethernet, snaplen 0, if_tsresol 6 (microseconds: FRAME_DESCRIPTOR's TimeStamp). */
    put32(o, 1); put32(o, idb_len); put16(o, 1); put16(o, 0); put32(o, 0);
    put16(o, 9); put16(o, 1); { unsigned char r[4] = {6, 0, 0, 0}; put(o, r, 4); }
    put32(o, 0);
    put32(o, idb_len);
}

static void stats_block(Out *o, uint64_t recv, uint64_t drop) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    uint64_t us = (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u;
    uint32_t len = 20 + (4 + 8) * 2 + 4 + 4;
    if (!out_room(o, len)) return;
    put32(o, 5); put32(o, len); put32(o, 0); put32(o, (uint32_t)(us >> 32)); put32(o, (uint32_t)us);
    put16(o, 4); put16(o, 8); put(o, &recv, 8);
    put16(o, 5); put16(o, 8); put(o, &drop, 8);
    put32(o, 0);
    put32(o, len);
}

/* ---- callbacks (library threads) -------------------------------------------------------------- */
static DWORD on_frames(UPDATE_EVENT e) {
    LPFRAMETABLE t = e.lpFrameTable;
    DWORD k, i;
    if (!t) return 0;
    pthread_mutex_lock(&g_out.lock);
    for (k = 0, i = t->StartIndex; k < t->FrameCount; k++, i = (i + 1) % t->FrameTableLength) {
        const FRAME_DESCRIPTOR *d = &t->Frames[i];
        uint32_t cap = d->nBytesAvail, len = 32 + cap + (4 - cap % 4) % 4;
        uint64_t us = (uint64_t)d->TimeStamp;
        if (!out_room(&g_out, len)) {
            g_out.dropped++;
            continue;
        }
        put32(&g_out, 6); put32(&g_out, len); put32(&g_out, 0);
        put32(&g_out, (uint32_t)(us >> 32)); put32(&g_out, (uint32_t)us);
        put32(&g_out, cap); put32(&g_out, d->FrameLength);
        put(&g_out, d->FramePointer, cap); pad4(&g_out, cap);
        put32(&g_out, len);
    }
    g_out.dropped += e.FramesDropped;
    pthread_mutex_unlock(&g_out.lock);
    return 0;
}

static DWORD on_status(UPDATE_EVENT e) {
    pthread_mutex_lock(&g_out.lock);
    if (e.Event == UPDATE_EVENT_NETWORK_STATUS && e.Action == UPDATE_ACTION_NOTIFY &&
        (e.Value == NDISNPP_LINK_DOWN || e.Value == NDISNPP_LINK_UP))
        g_out.link_report = (int)e.Value;
    else if (e.Action == UPDATE_ACTION_STOP_CAPTURE && !g_out.ended) {
        g_out.ended = 1;
        g_out.end_value = e.Value;
    }
    pthread_mutex_unlock(&g_out.lock);
    return 0;
}

/* ---- helpers ----------------------------------------------------------------------------------- */
static void report(const char *fmt, const char *arg) {
    fprintf(stderr, "@nmcap 1 ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    fflush(stderr);
}

/* A request that failed with `rc` on interface `iface`: the reason for a person (with the NPP's
 * detail when there is one) and the protocol's "end" line. */
static void report_failure(HNPP h, const char *iface, DWORD rc) {
    char detail[512] = "";
    if (h) (void)npp_get_error_detail(h, detail, sizeof detail);
    fprintf(stderr, "nmcap: %s: %s (%s)%s%s\n", iface, nmerr_text(rc), nmerr_name(rc), *detail ? ": " : "", detail);
    report("end %s", nmerr_name(rc));
}

static int exit_for(DWORD rc) {
    return rc == NMERR_ACCESS_DENIED ? NM_EXIT_NO_PERMISSION : NM_EXIT_FAILED;
}

/* Decodes hex `s` into a new NUL-terminated string (NULL when it is not hex of whole bytes or
 * holds a NUL byte). */
static char *unhex(const char *s) {
    size_t n = strlen(s), i;
    char *out;
    if (n % 2) return NULL;
    if (!(out = malloc(n / 2 + 1))) return NULL;
    for (i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1 || v == 0) { free(out); return NULL; }
        out[i] = (char)v;
    }
    out[n / 2] = 0;
    return out;
}

/* The expression that leaves out this ssh session (from $SSH_CONNECTION: "client cport server
 * sport"), or NULL when it is not set or not as ssh writes it. */
static char *own_session_expression(void) {
    const char *c = getenv("SSH_CONNECTION");
    char ca[64], sa[64], *out;
    unsigned cp, sp;
    size_t i;
    if (!c || sscanf(c, "%63s %u %63s %u", ca, &cp, sa, &sp) != 4 || cp > 65535 || sp > 65535) return NULL;
    for (i = 0; ca[i]; i++)
        if (!strchr("0123456789abcdefABCDEF:.", ca[i])) return NULL;
    for (i = 0; sa[i]; i++)
        if (!strchr("0123456789abcdefABCDEF:.", sa[i])) return NULL;
    if (asprintf(&out, "not (tcp and ((src host %s and src port %u and dst host %s and dst port %u) or "
                       "(src host %s and src port %u and dst host %s and dst port %u)))",
                 ca, cp, sa, sp, sa, sp, ca, cp) < 0)
        return NULL;
    return out;
}

struct request {
    char *iface;
    unsigned long snaplen, bufsize;
    int promisc, exclude_ssh;
    char *bpf;
};

/* Parses the protocol's options after --stream / --probe (argv[2..]). 0, or -1 (usage). */
static int parse_request(int argc, char **argv, struct request *r) {
    int i;
    memset(r, 0, sizeof *r);
    r->promisc = 1;
    for (i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end;
        if (!strcmp(a, "-p")) r->promisc = 0;
        else if (!strcmp(a, "--exclude-ssh")) r->exclude_ssh = 1;
        else if (v && !strcmp(a, "-i")) { r->iface = strdup(v); i++; }
        else if (v && !strcmp(a, "--interface-hex")) { if (!(r->iface = unhex(v))) return -1; i++; }
        else if (v && !strcmp(a, "--bpf")) { r->bpf = strdup(v); i++; }
        else if (v && !strcmp(a, "--bpf-hex")) { if (!(r->bpf = unhex(v))) return -1; i++; }
        else if (v && (!strcmp(a, "-s") || !strcmp(a, "-B"))) {
            unsigned long n = strtoul(v, &end, 10);
            if (*end || !*v || v[0] == '-') return -1;
            if (a[1] == 's') r->snaplen = n; else r->bufsize = n;
            i++;
        } else return -1;
    }
    return r->iface ? 0 : -1;
}

/* The NIC BLOB of the request, with its configuration. */
static DWORD request_blob(const struct request *r, HBLOB *out) {
    HBLOB b = NULL;
    DWORD rc = CreateBlob(&b);
    char *expr = NULL, *own = r->exclude_ssh ? own_session_expression() : NULL;
    if (rc == NMERR_SUCCESS) rc = SetStringInBlob(b, OWNER_NPP, CATEGORY_LOCATION, TAG_NAME, r->iface);
    if (rc == NMERR_SUCCESS && r->snaplen) rc = SetDwordInBlob(b, OWNER_NPP, CATEGORY_CONFIG, TAG_FRAME_SIZE, (DWORD)r->snaplen);
    if (rc == NMERR_SUCCESS && r->bufsize) rc = SetDwordInBlob(b, OWNER_NPP, CATEGORY_CONFIG, TAG_BUFFER_SIZE, (DWORD)r->bufsize);
    if (rc == NMERR_SUCCESS) rc = SetBoolInBlob(b, OWNER_NPP, CATEGORY_CONFIG, TAG_LOCAL_ONLY, !r->promisc);
    if (rc == NMERR_SUCCESS) rc = SetDwordInBlob(b, OWNER_NPP, CATEGORY_CONFIG, TAG_UPDATE_INTERVAL, 50);
    if (rc == NMERR_SUCCESS && (r->bpf || own)) {
        if (r->bpf && own) { if (asprintf(&expr, "(%s) and %s", r->bpf, own) < 0) expr = NULL; }
        else expr = strdup(r->bpf ? r->bpf : own);
        rc = expr ? SetStringInBlob(b, OWNER_NPP, CATEGORY_CONFIG, TAG_BPF_FILTER, expr) : NMERR_OUT_OF_MEMORY;
    }
    free(expr);
    free(own);
    if (rc != NMERR_SUCCESS && b) DestroyBlob(b);
    *out = rc == NMERR_SUCCESS ? b : NULL;
    return rc;
}

/* Writes what is pending to standard output (non-blocking); -1 when it is closed. */
static int drain(int fd) {
    pthread_mutex_lock(&g_out.lock);
    while (g_out.off < g_out.len) {
        ssize_t n = write(fd, g_out.buf + g_out.off, g_out.len - g_out.off);
        if (n < 0) {
            int e = errno;
            pthread_mutex_unlock(&g_out.lock);
            return (e == EAGAIN || e == EINTR) ? 0 : -1;
        }
        g_out.off += (size_t)n;
    }
    g_out.off = g_out.len = 0;
    pthread_mutex_unlock(&g_out.lock);
    return 0;
}

static void final_stats(HNPP h) {
    STATISTICS_EX s;
    memset(&s, 0, sizeof s);
    s.StructSize = sizeof s;
    if (rtc_get_statistics_ex(h, &s) == NMERR_SUCCESS) {
        pthread_mutex_lock(&g_out.lock);
        stats_block(&g_out, s.KernelFramesReceived, s.KernelFramesDropped + g_out.dropped);
        pthread_mutex_unlock(&g_out.lock);
    }
}

static int stream(int argc, char **argv) {
    struct request r;
    HBLOB nic = NULL;
    HNPP h = NULL;
    DWORD rc, end = NMERR_SUCCESS;
    int status = NM_EXIT_OK;
    struct sigaction sa;
    time_t last_input, last_stats, blocked_since = 0;
    if (parse_request(argc, argv, &r) != 0) {
        fprintf(stderr, "nmcap: --stream: bad request (protocol 1)\n");
        return NM_EXIT_USAGE;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    fcntl(1, F_SETFL, fcntl(1, F_GETFL) | O_NONBLOCK);
    rc = request_blob(&r, &nic);
    if (rc == NMERR_SUCCESS) rc = npp_create(nic, &h);
    if (rc == NMERR_SUCCESS) rc = rtc_connect(h, nic, on_status, on_frames, NULL, NULL);
    pthread_mutex_lock(&g_out.lock);
    header_blocks(&g_out);
    pthread_mutex_unlock(&g_out.lock);
    if (rc == NMERR_SUCCESS) rc = rtc_start(h);
    if (rc != NMERR_SUCCESS) {
        report_failure(h, r.iface, rc);
        if (h) (void)npp_destroy(h);
        if (nic) DestroyBlob(nic);
        return exit_for(rc);
    }
    report("ready%s", "");
    last_input = last_stats = time(NULL);
    while (!g_stop) {
        struct pollfd p[2] = {{0, POLLIN, 0}, {1, 0, 0}};
        int link = 0, ended = 0;
        pthread_mutex_lock(&g_out.lock);
        if (g_out.len > g_out.off) p[1].events = POLLOUT;
        link = g_out.link_report;
        g_out.link_report = 0;
        ended = g_out.ended;
        end = g_out.end_value;
        pthread_mutex_unlock(&g_out.lock);
        if (link) report("link %s", link == NDISNPP_LINK_DOWN ? "down" : "up");
        if (ended) {
            status = NM_EXIT_ENDED;
            break;
        }
        poll(p, 2, 50);
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            char b[256];
            ssize_t n = read(0, b, sizeof b);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) break; /* the library stopped us */
            last_input = time(NULL);
        }
        if (drain(1) != 0) {
            end = NMERR_LOST_CONNECTION;
            status = NM_EXIT_ENDED;
            break;
        }
        if (time(NULL) - last_stats >= 1) {
            last_stats = time(NULL);
            final_stats(h);
        }
        pthread_mutex_lock(&g_out.lock);
        int waiting = g_out.len > g_out.off;
        pthread_mutex_unlock(&g_out.lock);
        if (!waiting) blocked_since = 0;
        else if (!blocked_since) blocked_since = time(NULL);
        if ((blocked_since && time(NULL) - blocked_since >= SILENCE_S) || time(NULL) - last_input >= SILENCE_S) {
            end = NMERR_TIMEOUT;
            status = NM_EXIT_ENDED;
            break;
        }
    }
    (void)rtc_stop(h); /* delivers what was captured (into the pending output) */
    final_stats(h);
    {
        time_t until = time(NULL) + 2;
        while (time(NULL) <= until) {
            struct pollfd p = {1, POLLOUT, 0};
            pthread_mutex_lock(&g_out.lock);
            int left = g_out.len > g_out.off;
            pthread_mutex_unlock(&g_out.lock);
            if (!left || drain(1) != 0) break;
            poll(&p, 1, 50);
        }
    }
    report("end %s", nmerr_name(end));
    (void)rtc_disconnect(h);
    (void)npp_destroy(h);
    DestroyBlob(nic);
    free(r.iface);
    free(r.bpf);
    return status;
}

static int probe(int argc, char **argv) {
    struct request r;
    HBLOB nic = NULL;
    HNPP h = NULL;
    DWORD rc;
    if (parse_request(argc, argv, &r) != 0) {
        fprintf(stderr, "nmcap: --probe: bad request (protocol 1)\n");
        return NM_EXIT_USAGE;
    }
    rc = request_blob(&r, &nic);
    if (rc == NMERR_SUCCESS) rc = npp_create(nic, &h);
    if (rc == NMERR_SUCCESS) rc = rtc_connect(h, nic, NULL, on_frames, NULL, NULL);
    if (rc == NMERR_SUCCESS) {
        (void)rtc_disconnect(h);
        fprintf(stderr, "@nmcap 1 ok %s\n", ndisnpp_version());
    } else {
        report_failure(h, r.iface, rc);
    }
    if (h) (void)npp_destroy(h);
    if (nic) DestroyBlob(nic);
    free(r.iface);
    free(r.bpf);
    return rc == NMERR_SUCCESS ? NM_EXIT_OK : exit_for(rc);
}

int nmcap_print_blobs(FILE *out) {
    PBLOB_TABLE t = NULL;
    DWORD rc = GetNPPBlobTable(NULL, &t), i;
    if (rc != NMERR_SUCCESS) {
        fprintf(stderr, "nmcap: cannot list the interfaces: %s (%s)\n", nmerr_text(rc), nmerr_name(rc));
        return NM_EXIT_FAILED;
    }
    for (i = 0; i < t->dwNumBlobs; i++) {
        DWORD size = 0;
        BYTE *bytes = NULL;
        if (MarshalBlob(t->hBlobs[i], &size, &bytes) == NMERR_SUCCESS) fwrite(bytes, 1, size, out);
        DestroyBlob(t->hBlobs[i]);
    }
    FreeBlobTable(t);
    return fflush(out) == 0 ? NM_EXIT_OK : NM_EXIT_FAILED;
}

int nmcap_remote_main(int argc, char **argv) {
    if (!strcmp(argv[1], "--stream")) return stream(argc, argv);
    if (!strcmp(argv[1], "--probe")) return probe(argc, argv);
    if (argc == 2) return nmcap_print_blobs(stdout);
    fprintf(stderr, "nmcap: --list takes nothing more\n");
    return NM_EXIT_USAGE;
}
