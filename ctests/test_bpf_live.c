/* pcap-filter expressions (NPP:Config:BpfFilter) on a live interface: the expression is in the
 * kernel program, alone or ANDed with the Netmon filter, and keeps exactly the expected frames;
 * the libpcap source (NDISNPP_LIVE_SOURCE=libpcap) keeps the same. Root only (exit 77 otherwise,
 * or without `ip`).
 *
 * Two network namespaces ndisnpp-ba-<pid> / ndisnpp-bb-<pid> joined by a veth pair (192.0.2.1 /
 * 192.0.2.2 of TEST-NET-1, IPv6 off, static neighbour entries: nothing else on the link). In b,
 * UDP sockets listen on ports 53, 4000 and 4001 (so b answers nothing). For each case a child in
 * b captures on the veth end nppbb0 (PCAP) while a child in a sends N datagrams to each port,
 * interleaved (payloads "d-<nnn>|", "a-<nnn>|", "b-<nnn>|"):
 *  1) "udp dst port" (before the capture): Connect answers NMERR_BLOB_CONVERSION_ERROR, the entry
 *     and libpcap's "syntax error" in the error BLOB; then "udp dst port 53": exactly the N to port 53, each once; the others never reach user space
 *     (KernelFramesReceived = FramesSeen = N), and TotalFramesFiltered = TotalFramesCaptured = N.
 *  2) "udp dst port 53 or udp dst port 4000" with a Netmon filter that keeps ports 4000 and 4001
 *     (one group of two IP-PORT patterns): the intersection, the N to port 4000; both in the
 *     kernel program (FramesSeen = N).
 *  3) as 2 with NDISNPP_LIVE_SOURCE=libpcap (libpcap's pcap_setfilter): the same N, each once.
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
#include "bpf_util.h"

#define VETH_A "nppba0"
#define VETH_B "nppbb0"
#define MAC_A "02:4e:42:0a:00:01"
#define MAC_B "02:4e:42:0b:00:01"
#define ADDR_A "192.0.2.1"
#define ADDR_B "192.0.2.2"
#define N 50
#define DEADLINE_S 30.0
#define CHILD_DEADLINE_S 120
#include "veth_pair_util.h"

static const unsigned PORTS[3] = {53, 4000, 4001};
static const char TAGS[3] = {'d', 'a', 'b'};

struct live_case {
    const char *what;
    const char *tag; /* the directory name */
    const char *expr;
    int netmon;
    int libpcap; /* NDISNPP_LIVE_SOURCE=libpcap */
    int want_port; /* index into PORTS of the datagrams kept */
    int ready_fd;
};

/* ---- children ---------------------------------------------------------------------------------- */

static int child_capture(void *arg) {
    struct live_case *c = arg;
    HBLOB nic = NULL, cfg = NULL, err = NULL;
    HNPP npp = NULL;
    STATISTICS st;
    STATISTICS_EX ex;
    char dir[512], name[1024];
    int rx[3], got[3] = {0, 0, 0}, i, p;
    bu_tally t;
    double deadline;

    if (enter_netns(ns_b) != 0) {
        (void)!write(c->ready_fd, "x", 1);
        return 2;
    }
    if (c->libpcap) setenv("NDISNPP_LIVE_SOURCE", "libpcap", 1);
    for (i = 0; i < 3; i++) {
        rx[i] = udp_socket_bound(PORTS[i]);
        if (rx[i] < 0) {
            printf("  receiver %u: %s\n", PORTS[i], strerror(errno));
            (void)!write(c->ready_fd, "x", 1);
            return 2;
        }
    }
    snprintf(dir, sizeof dir, "%s/%s", tmpdir, c->tag);
    CHECK_RC(CreateBlob(&nic), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(nic, OWNER_NPP, CATEGORY_LOCATION, TAG_NAME, VETH_B), NMERR_SUCCESS);
    CHECK_RC(CreateBlob(&cfg), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_CAPTURE_DIRECTORY, dir), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_FILE_FORMAT, FILE_FORMAT_PCAP_TXT), NMERR_SUCCESS);
    CHECK_RC(SetBoolInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_DONT_DELETE_EMPTY_CAPTURE, TRUE), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_BPF_FILTER, c->expr), NMERR_SUCCESS);
    if (c->netmon) bu_set_netmon_filter(cfg);
    CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
    if (c->want_port == 0) {
        /* First an expression that does not compile: refused at Connect with libpcap's words. */
        HBLOB bad = NULL;
        const char *v = NULL, *d = NULL;
        CHECK_RC(CreateBlob(&bad), NMERR_SUCCESS);
        CHECK_RC(SetStringInBlob(bad, OWNER_NPP, CATEGORY_CONFIG, TAG_BPF_FILTER, "udp dst port"), NMERR_SUCCESS);
        CHECK_RC(npp_create(nic, &npp), NMERR_SUCCESS);
        CHECK_RC(esp_connect(npp, bad, NULL, NULL, err), NMERR_BLOB_CONVERSION_ERROR);
        CHECK_RC(GetStringFromBlob(err, OWNER_NPP, CATEGORY_CONFIG, TAG_BPF_FILTER, &v), NMERR_SUCCESS);
        CHECK_STR(v, "udp dst port");
        CHECK_RC(GetStringFromBlob(err, OWNER_NPP, "Error", "Detail", &d), NMERR_SUCCESS);
        CHECK(d && strstr(d, "syntax error"));
        printf("    a bad expression at Connect: NPP:Error:Detail=%s\n", d ? d : "(none)");
        CHECK_RC(npp_destroy(npp), NMERR_SUCCESS);
        DestroyBlob(bad);
        DestroyBlob(err);
        CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
    }
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
    while ((got[0] < N || got[1] < N || got[2] < N) && mono_s() < deadline) {
        char buf[256];
        int any = 0;
        for (i = 0; i < 3; i++)
            if (recv(rx[i], buf, sizeof buf, MSG_DONTWAIT) > 0) {
                got[i]++;
                any = 1;
            }
        if (!any) nap_ms(5);
    }
    for (i = 0; i < 3; i++) CHECK_EQ(got[i], N);
    CHECK(wait_counter(npp, 1, N));
    CHECK(wait_counter(npp, 0, N));
    nap_ms(200); /* a frame too many would show by now */
    memset(&st, 0xEE, sizeof st);
    CHECK_RC(esp_stop(npp, &st), NMERR_SUCCESS);
    ex = tu_stats_ex(npp);
    printf("    %s: seen %u filtered %u captured %u dropped %u; ex: FramesSeen %llu KernelFramesReceived %llu "
           "KernelFramesDropped %llu\n",
           c->what, (unsigned)st.TotalFramesSeen, (unsigned)st.TotalFramesFiltered, (unsigned)st.TotalFramesCaptured,
           (unsigned)st.TotalFramesDropped, (unsigned long long)ex.FramesSeen, (unsigned long long)ex.KernelFramesReceived,
           (unsigned long long)ex.KernelFramesDropped);
    CHECK_EQ(st.TotalFramesFiltered, N);
    CHECK_EQ(st.TotalFramesCaptured, N);
    CHECK_EQ(st.TotalFramesDropped, 0);
    /* In the kernel: the 2N others never reached user space. */
    CHECK_EQ(ex.KernelFramesReceived, N);
    CHECK_EQ(ex.FramesSeen, N);
    CHECK_EQ(st.TotalFramesSeen, N);
    CHECK_RC(esp_disconnect(npp), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(npp), NMERR_SUCCESS);
    t = bu_read(name, PORTS, 3);
    bu_print(c->what, &t);
    CHECK(t.readable);
    CHECK_EQ(t.linktype, 1);
    CHECK_EQ(t.records, N);
    CHECK_EQ(t.other, 0);
    for (p = 0; p < 3; p++) CHECK_EQ(t.per_port[p], p == c->want_port ? N : 0);
    CHECK(bu_each_once(&t, c->want_port, N));
    if (check_failures == 0) unlink(name); /* else kept for a look */
    DestroyBlob(nic);
    DestroyBlob(cfg);
    DestroyBlob(err);
    for (i = 0; i < 3; i++) close(rx[i]);
    return child_verdict(c->what);
}

static int child_send(void *arg) {
    struct sockaddr_in to[3];
    char msg[64];
    int tx, i, k, failed = 0;
    (void)arg;
    if (enter_netns(ns_a) != 0) return 2;
    tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (tx < 0) return 2;
    for (k = 0; k < 3; k++) {
        memset(&to[k], 0, sizeof to[k]);
        to[k].sin_family = AF_INET;
        to[k].sin_port = htons((uint16_t)PORTS[k]);
        inet_pton(AF_INET, ADDR_B, &to[k].sin_addr);
    }
    for (i = 0; i < N; i++)
        for (k = 0; k < 3; k++) {
            int len = snprintf(msg, sizeof msg, "%c-%03d|bpf-live", TAGS[k], i);
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
        {"1) \"udp dst port 53\" in the kernel", "alone", "udp dst port 53", 0, 0, 0, -1},
        {"2) \"udp dst port 53 or udp dst port 4000\" and the Netmon filter (4000, 4001): the intersection", "both",
         "udp dst port 53 or udp dst port 4000", 1, 0, 1, -1},
        {"3) as 2, through libpcap (NDISNPP_LIVE_SOURCE=libpcap)", "libpcap", "udp dst port 53 or udp dst port 4000", 1, 1, 1, -1},
    };
    int rc = veth_pair_start("test_bpf_live", "b", "bpf-live");
    if (rc >= 0) return rc;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(&cases[i]);
    return veth_pair_finish("test_bpf_live");
}
