/* Capture filters on a live interface: the kernel (BPF) path and the user-space path must keep the
 * same frames (README, "Capture filter": kernel filtering). Root only (exit 77 otherwise, or without `ip`).
 *
 * Two network namespaces ndisnpp-fa-<pid> / ndisnpp-fb-<pid> joined by a veth pair (192.0.2.1 /
 * 192.0.2.2 of TEST-NET-1, IPv6 off, static neighbour entries: no ARP, no ND, nothing else on the
 * link). In b, two UDP sockets listen on ports 4000 and 4001 (so b answers nothing: no ICMP port
 * unreachable). For each case a child in b captures with the filter
 *     address pair: INCLUDE, MATCH_DST, IP 192.0.2.2
 *     pattern:      IP basis, PORT_SPECIFIED 17 (UDP), offset 2 = 0x0FA0 (destination port 4000)
 * while a child in a sends 50 matching datagrams (port 4000) and 50 that fail the filter (port
 * 4001), interleaved. Every case must store exactly the 50 matching datagrams, each once, and
 * count TotalFramesFiltered = TotalFramesCaptured = 50.
 *
 *  1) on the veth end nppfb0 (Ethernet): libpcap can express the filter, so it runs in the kernel:
 *     the 50 failing frames never reach user space: KernelFramesReceived = FramesSeen = 50.
 *  2) the same filter on the "any" device of namespace b (Linux cooked capture, LINKTYPE 113, with
 *     LocalOnly TRUE since "any" has no promiscuous mode): the library does not translate filters
 *     for cooked captures (src/filter/bpf.rs), so all 100 frames reach user space and are counted
 *     as seen: KernelFramesReceived = FramesSeen = 100, and the user-space filter keeps the same 50.
 *  3) on nppfb0 again with a filter of 16 patterns (4 groups of 4, 16-byte IP-PORT patterns) that
 *     keeps the same frames: whether it fits the kernel's 4096 BPF instructions depends on
 *     libpcap's optimizer, so either path is accepted, but the two counts must tell the same story
 *     (FramesSeen = KernelFramesReceived = 50 or 100) and the kept frames must be the same 50.
 *  4) on nppfb0 with FrameSize 64 and the filter AND(OR(FRAME 36 = 0F A0), OR(FRAME 82 =
 *     "MARK")) (no address pair; a program the kernel accepts): the datagrams are 102 bytes, the
 *     matching ones hold "MARK" at UDP payload offset 40 = frame offset 82, the others "XXXX".
 *     Spec h.3.4 clips the frames *that passed the filter*, so the filter judges the whole frame:
 *     50 stored, each 64 bytes with its wire length 102; in the kernel (50 seen).
 * Payloads are "m-<nnn>|<prefix>" (matching) and "n-<nnn>|<prefix>" (the others).
 *
 * Every library call runs in a forked child (setns into b); the parent only creates and deletes
 * the namespaces (on every path: atexit, signals, a global alarm, children killed at a deadline). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"
#include "netns_util.h"
#include "shell_util.h"

#define VETH_A "nppfa0"
#define VETH_B "nppfb0"
#define MAC_A "02:4e:46:0a:00:01"
#define MAC_B "02:4e:46:0b:00:01"
#define ADDR_A "192.0.2.1"
#define ADDR_B "192.0.2.2"
#define PORT_MATCH 4000
#define PORT_OTHER 4001
#define N 50
#define DEADLINE_S 30.0
#define CHILD_DEADLINE_S 120
#include "veth_pair_util.h"


enum path { KERNEL, USER_SPACE, EITHER };

struct live_case {
    const char *what;
    const char *tag; /* in the payloads and the directory name */
    const char *ifname;
    int big_filter;
    int clip; /* FrameSize CLIP and a pattern beyond it */
    enum path path;
    int ready_fd;
};

#define CLIP 64
#define CLIP_PAYLOAD 60 /* "m-<nnn>|<prefix>" padded, the marker at 40 */
#define MARK_AT 40

/* ---- the filter --------------------------------------------------------------------------------- */

static PATTERNMATCH ip_port_pattern(DWORD flags, WORD offset, const void *bytes, WORD len) {
    PATTERNMATCH p;
    memset(&p, 0, sizeof p);
    p.Flags = flags | PATTERN_MATCH_FLAGS_PORT_SPECIFIED;
    p.OffsetBasis = OFFSET_BASIS_RELATIVE_TO_IP;
    p.Port.IPPort = 17;
    p.Offset = offset;
    p.Length = len;
    memcpy(p.PatternToMatch, bytes, len);
    return p;
}

/* 16 bytes no datagram of this test holds (its payloads are ASCII). */
static const uint8_t JUNK[16] = {0x5A, 0x17, 0xC3, 0xE9, 0x0B, 0x6D, 0x24, 0xF1, 0x8E, 0x3C, 0x7A, 0x5B, 0x9D, 0x0F, 0x6E, 0x21};

/* The filter into `b`: destination 192.0.2.2 and UDP destination port 4000 (`clip`: port 4000 and
 * the marker past the clip length, by FRAME patterns, no address). The big variant adds
 * patterns that change nothing for this traffic: group 1 ORs three that never match; groups 2-4
 * each OR four NOT patterns that every UDP datagram passes (junk bytes, or beyond its end). */
static void set_filter(HBLOB b, int big, int clip) {
    ADDRESSTABLE2 t;
    EXPRESSION e;
    memset(&t, 0, sizeof t);
    t.nAddressPairs = clip ? 0 : 1;
    t.AddressPair[0].AddressFlags = ADDRESS_FLAGS_MATCH_DST;
    t.AddressPair[0].DstAddress.Type = ADDRESS_TYPE_IP;
    inet_pton(AF_INET, ADDR_B, t.AddressPair[0].DstAddress.IPAddress);
    t.AddressPair[0].SrcAddress.Type = ADDRESS_TYPE_IP;
    if (t.nAddressPairs) CHECK_RC(SetNPPAddress2FilterInBlob(b, &t), NMERR_SUCCESS);
    memset(&e, 0, sizeof e);
    e.nAndExps = 1;
    e.AndExp[0].nPatternMatches = 1;
    e.AndExp[0].PatternMatch[0] = ip_port_pattern(0, 2, "\x0F\xA0", 2);
    if (clip) {
        /* Frame-based patterns only (a program the kernel accepts, see case 1): the UDP
         * destination port (14 + 20 + 2) and the marker (14 + 20 + 8 + 40 = 82). */
        PATTERNMATCH port, mark;
        memset(&port, 0, sizeof port);
        port.OffsetBasis = OFFSET_BASIS_RELATIVE_TO_FRAME;
        port.Offset = 36;
        port.Length = 2;
        memcpy(port.PatternToMatch, "\x0F\xA0", 2);
        mark = port;
        mark.Offset = 42 + MARK_AT;
        mark.Length = 4;
        memcpy(mark.PatternToMatch, "MARK", 4);
        e.nAndExps = 2;
        e.AndExp[0].PatternMatch[0] = port;
        e.AndExp[1].nPatternMatches = 1;
        e.AndExp[1].PatternMatch[0] = mark;
    }
    if (big) {
        e.nAndExps = 4;
        e.AndExp[0].nPatternMatches = 4;
        for (int k = 1; k < 4; k++) e.AndExp[0].PatternMatch[k] = ip_port_pattern(0, (WORD)(39 + k), JUNK, 16);
        for (int g = 1; g < 4; g++) {
            e.AndExp[g].nPatternMatches = 4;
            for (int k = 0; k < 4; k++)
                e.AndExp[g].PatternMatch[k] = ip_port_pattern(PATTERN_MATCH_FLAGS_NOT, (WORD)(g * 10 + k), JUNK, 16);
        }
    }
    CHECK_RC(SetNPPPatternFilterInBlob(b, &e, NULL), NMERR_SUCCESS);
}

/* ---- the capture file --------------------------------------------------------------------------- */

/* Checks the PCAP file: exactly the N datagrams "m-<nnn>|<prefix>" to port 4000, each once, and
 * nothing else; with `clip`, each stored as CLIP bytes of 42 + CLIP_PAYLOAD. */
static void check_file(const char *path, const char *prefix, uint32_t want_linktype, int clip) {
    FILE *f = fopen(path, "rb");
    uint32_t gh[6], rh[4];
    uint8_t buf[4096];
    int seen[N], count = 0, foreign = 0, other_port = 0, bad_len = 0, i;
    size_t plen = strlen(prefix);
    memset(seen, 0, sizeof seen);
    CHECK(f != NULL);
    if (!f) return;
    CHECK(fread(gh, 4, 6, f) == 6 && (gh[0] == 0xA1B2C3D4u || gh[0] == 0xA1B23C4Du));
    CHECK_EQ(gh[5], want_linktype);
    while (fread(rh, 4, 4, f) == 4) {
        unsigned ip, ihl, udp, len = rh[2], dport, k;
        const char *pl;
        size_t paylen;
        count++;
        if (len > sizeof buf || fread(buf, 1, len, f) != len) {
            CHECK(!"truncated or oversized record");
            break;
        }
        if (clip && (len != CLIP || rh[3] != 42 + CLIP_PAYLOAD)) {
            if (bad_len++ < 3) fprintf(stderr, "  record %d: stored %u, wire %u (want %d, %d)\n", count, len, rh[3], CLIP, 42 + CLIP_PAYLOAD);
        }
        /* Ethernet: type at 12, IPv4 at 14; cooked (SLL): protocol at 14, IPv4 at 16. */
        ip = gh[5] == 113 ? 16 : 14;
        if (len < ip + 20 || buf[ip - 2] != 0x08 || buf[ip - 1] != 0x00 || buf[ip + 9] != 17) {
            foreign++;
            continue;
        }
        ihl = (buf[ip] & 0xF) * 4u;
        udp = ip + ihl;
        if (len < udp + 8 + 6) {
            foreign++;
            continue;
        }
        dport = (unsigned)buf[udp + 2] << 8 | buf[udp + 3];
        pl = (const char *)buf + udp + 8;
        paylen = len - udp - 8;
        if (dport != PORT_MATCH) {
            if (other_port++ < 3) fprintf(stderr, "  record %d: a datagram to port %u was stored\n", count, dport);
            continue;
        }
        /* "m-nnn|" then the prefix (when it was not clipped away) */
        if (pl[0] != 'm' || pl[1] != '-' || pl[5] != '|' || sscanf(pl + 2, "%3u", &k) != 1 || k >= N ||
            (!clip && (paylen < 6 + plen || memcmp(pl + 6, prefix, plen) != 0))) {
            foreign++;
            continue;
        }
        seen[k]++;
    }
    fclose(f);
    printf("    %s: %d records (%d to port %d, %d foreign)\n", path, count, other_port, PORT_OTHER, foreign);
    CHECK_EQ(count, N);
    CHECK_EQ(other_port, 0);
    CHECK_EQ(foreign, 0);
    CHECK_EQ(bad_len, 0);
    {
        int not_once = 0;
        for (i = 0; i < N; i++)
            if (seen[i] != 1 && not_once++ < 3) fprintf(stderr, "  datagram %d stored %d times\n", i, seen[i]);
        if (not_once) fprintf(stderr, "  %d of the %d matching datagrams not stored exactly once\n", not_once, N);
        CHECK_EQ(not_once, 0);
    }
}

/* ---- children ---------------------------------------------------------------------------------- */

static void prefix_of(const struct live_case *c, char *out, size_t room) {
    snprintf(out, room, "ndisnpp-fl-%ld-%s", (long)main_pid, c->tag);
}

static int child_capture(void *arg) {
    struct live_case *c = arg;
    HBLOB nic = NULL, cfg = NULL, err = NULL;
    HNPP npp = NULL;
    STATISTICS st;
    STATISTICS_EX ex;
    char dir[512], name[1024], prefix[128];
    int rx[2], got[2] = {0, 0}, i;
    uint64_t want_seen = c->path == USER_SPACE ? 2 * N : N;
    double deadline;

    if (enter_netns(ns_b) != 0) {
        (void)!write(c->ready_fd, "x", 1);
        return 2;
    }
    rx[0] = udp_socket_bound(PORT_MATCH);
    rx[1] = udp_socket_bound(PORT_OTHER);
    if (rx[0] < 0 || rx[1] < 0) {
        printf("  receivers: %s\n", strerror(errno));
        (void)!write(c->ready_fd, "x", 1);
        return 2;
    }
    prefix_of(c, prefix, sizeof prefix);
    snprintf(dir, sizeof dir, "%s/%s", tmpdir, c->tag);
    CHECK_RC(CreateBlob(&nic), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(nic, OWNER_NPP, CATEGORY_LOCATION, TAG_NAME, c->ifname), NMERR_SUCCESS);
    CHECK_RC(CreateBlob(&cfg), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_CAPTURE_DIRECTORY, dir), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_FILE_FORMAT, FILE_FORMAT_PCAP_TXT), NMERR_SUCCESS);
    CHECK_RC(SetBoolInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_DONT_DELETE_EMPTY_CAPTURE, TRUE), NMERR_SUCCESS);
    /* The "any" device cannot be promiscuous (libpcap refuses with a warning). */
    if (c->ifname[0] == 'a') CHECK_RC(SetBoolInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_LOCAL_ONLY, TRUE), NMERR_SUCCESS);
    if (c->clip) CHECK_RC(SetDwordInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_FRAME_SIZE, CLIP), NMERR_SUCCESS);
    set_filter(cfg, c->big_filter, c->clip);
    CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
    CHECK_RC(npp_create(nic, &npp), NMERR_SUCCESS);
    CHECK_RC(esp_connect(npp, cfg, NULL, NULL, err), NMERR_SUCCESS);
    name[0] = '\0';
    CHECK_RC(esp_start(npp, name, sizeof name), NMERR_SUCCESS);
    if (!name[0]) {
        (void)!write(c->ready_fd, "x", 1);
        return 1;
    }
    (void)!write(c->ready_fd, "s", 1);
    close(c->ready_fd);

    /* Every datagram reached its socket, so it went past the capture point. */
    deadline = mono_s() + DEADLINE_S;
    while ((got[0] < N || got[1] < N) && mono_s() < deadline) {
        char buf[256];
        int any = 0;
        for (i = 0; i < 2; i++)
            if (recv(rx[i], buf, sizeof buf, MSG_DONTWAIT) > 0) {
                got[i]++;
                any = 1;
            }
        if (!any) nap_ms(5);
    }
    CHECK_EQ(got[0], N);
    CHECK_EQ(got[1], N);
    CHECK(wait_counter(npp, 1, N));
    if (c->path != EITHER) CHECK(wait_counter(npp, 0, want_seen));
    memset(&st, 0xEE, sizeof st);
    CHECK_RC(esp_stop(npp, &st), NMERR_SUCCESS);
    ex = tu_stats_ex(npp); /* the finished capture's totals, kernel counters polled at the end */
    printf("    %s: seen %u filtered %u captured %u dropped %u MacFramesReceived %u; ex: FramesSeen %llu "
           "KernelFramesReceived %llu KernelFramesDropped %llu\n",
           c->what, (unsigned)st.TotalFramesSeen, (unsigned)st.TotalFramesFiltered, (unsigned)st.TotalFramesCaptured,
           (unsigned)st.TotalFramesDropped, (unsigned)st.MacFramesReceived, (unsigned long long)ex.FramesSeen,
           (unsigned long long)ex.KernelFramesReceived, (unsigned long long)ex.KernelFramesDropped);
    CHECK_EQ(st.TotalFramesFiltered, N);
    CHECK_EQ(st.TotalFramesCaptured, N);
    CHECK_EQ(st.TotalFramesDropped, 0);
    CHECK_EQ(ex.FramesFiltered, N);
    CHECK_EQ(ex.FramesCaptured, N);
    CHECK_EQ(ex.KernelFramesDropped, 0);
    switch (c->path) {
    case KERNEL:
        /* The kernel program discarded the 50 others before user space. */
        CHECK(ex.KernelFramesReceived < 2 * N);
        CHECK_EQ(ex.KernelFramesReceived, N);
        CHECK_EQ(ex.FramesSeen, N);
        CHECK_EQ(st.TotalFramesSeen, N);
        CHECK_EQ(st.MacFramesReceived, N);
        break;
    case USER_SPACE:
        CHECK_EQ(ex.KernelFramesReceived, 2 * N);
        CHECK_EQ(ex.FramesSeen, 2 * N);
        CHECK_EQ(st.TotalFramesSeen, 2 * N);
        break;
    case EITHER:
        printf("    the filter ran %s\n", ex.KernelFramesReceived == N && ex.FramesSeen == N         ? "in the kernel"
                                       : ex.KernelFramesReceived == 2 * N && ex.FramesSeen == 2 * N ? "in user space"
                                                                                                    : "(the counts disagree)");
        CHECK(ex.FramesSeen == N || ex.FramesSeen == 2 * N);
        CHECK_EQ(ex.KernelFramesReceived, ex.FramesSeen);
        CHECK_EQ(st.TotalFramesSeen, ex.FramesSeen);
        break;
    }
    CHECK_RC(esp_disconnect(npp), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(npp), NMERR_SUCCESS);
    check_file(name, prefix, c->ifname[0] == 'a' ? 113u : 1u, c->clip);
    if (check_failures == 0) unlink(name); /* else kept for a look */
    DestroyBlob(nic);
    DestroyBlob(cfg);
    DestroyBlob(err);
    close(rx[0]);
    close(rx[1]);
    return child_verdict(c->what);
}

static int child_send(void *arg) {
    struct live_case *c = arg;
    struct sockaddr_in to[2];
    char prefix[128], msg[256];
    int tx, i, k, failed = 0;
    if (enter_netns(ns_a) != 0) return 2;
    prefix_of(c, prefix, sizeof prefix);
    tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (tx < 0) return 2;
    for (k = 0; k < 2; k++) {
        memset(&to[k], 0, sizeof to[k]);
        to[k].sin_family = AF_INET;
        to[k].sin_port = htons(k == 0 ? PORT_MATCH : PORT_OTHER);
        inet_pton(AF_INET, ADDR_B, &to[k].sin_addr);
    }
    for (i = 0; i < N; i++)
        for (k = 0; k < 2; k++) {
            int len = snprintf(msg, sizeof msg, "%c-%03d|%s", k == 0 ? 'm' : 'n', i, prefix);
            if (c->clip) { /* padded, the marker at MARK_AT, CLIP_PAYLOAD bytes in all */
                while (len < CLIP_PAYLOAD) msg[len++] = '.';
                memcpy(msg + MARK_AT, k == 0 ? "MARK" : "XXXX", 4);
            }
            if (sendto(tx, msg, (size_t)len, 0, (struct sockaddr *)&to[k], sizeof to[k]) != len) failed++;
        }
    close(tx);
    if (failed) printf("  sender: %d sends failed: %s\n", failed, strerror(errno));
    return failed ? 1 : 0;
}

static void run_case(struct live_case *c) {
    run_live_case(c->what, &c->ready_fd, child_capture, child_send, c);
}

int main(void) {
    struct live_case cases[] = {
        {"1) veth, filter in the kernel", "veth", VETH_B, 0, 0, KERNEL, -1},
        {"2) \"any\" (cooked capture), filter in user space", "any", "any", 0, 0, USER_SPACE, -1},
        {"3) veth, a 16-pattern filter (kernel or user space, same frames)", "big", VETH_B, 1, 0, EITHER, -1},
        {"4) veth, FrameSize 64 and a pattern past byte 64", "clip", VETH_B, 0, 1, KERNEL, -1},
    };
    int rc = veth_pair_start("test_filter_live", "f", "filter-live");
    if (rc >= 0) return rc;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(&cases[i]);
    return veth_pair_finish("test_filter_live");
}
