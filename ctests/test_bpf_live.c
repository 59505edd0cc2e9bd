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

static const unsigned PORTS[3] = {53, 4000, 4001};
static const char TAGS[3] = {'d', 'a', 'b'};

static char tmpdir[256];
static pid_t main_pid;
static char ns_a[64], ns_b[64];
static int have_ns_a, have_ns_b;

struct live_case {
    const char *what;
    const char *tag; /* the directory name */
    const char *expr;
    int netmon;
    int libpcap; /* NDISNPP_LIVE_SOURCE=libpcap */
    int want_port; /* index into PORTS of the datagrams kept */
    int ready_fd;
};

/* ---- helpers ----------------------------------------------------------------------------------- */

static pid_t spawn(int (*fn)(void *), void *arg) {
    pid_t pid;
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid == 0) {
        check_failures = 0;
        check_count = 0;
        alarm(0);
        exit(fn(arg));
    }
    return pid;
}

/* Waits for a child at most `seconds`, then kills it: its exit status, 100 + signal when killed. */
static int reap(pid_t pid, int seconds) {
    int status = 0;
    double deadline = mono_s() + seconds;
    if (pid <= 0) return -1;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) break;
        if (r < 0 && errno != EINTR) return -1;
        if (mono_s() > deadline) {
            fprintf(stderr, "  child %ld still running after %d s: killed\n", (long)pid, seconds);
            kill(pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
            return 200;
        }
        nap_ms(20);
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 100 + WTERMSIG(status);
    return -1;
}

static int child_verdict(const char *what) {
    printf("  %s: %d checks, %d failed\n", what, check_count, check_failures);
    return check_failures ? 1 : 0;
}

static STATISTICS_EX stats_ex(HNPP npp) {
    STATISTICS_EX ex;
    memset(&ex, 0, sizeof ex);
    ex.StructSize = sizeof ex;
    if (esp_get_statistics_ex(npp, &ex) != NMERR_SUCCESS) memset(&ex, 0, sizeof ex);
    return ex;
}

/* Polls until FramesCaptured (captured = 1) or FramesSeen (0) reaches `n`; 1 when it did. */
static int wait_counter(HNPP npp, int captured, uint64_t n) {
    double deadline = mono_s() + DEADLINE_S;
    for (;;) {
        STATISTICS_EX ex = stats_ex(npp);
        uint64_t v = captured ? ex.FramesCaptured : ex.FramesSeen;
        if (v >= n) return 1;
        if (mono_s() > deadline) {
            fprintf(stderr, "  %s stayed at %llu (wanted %llu)\n", captured ? "FramesCaptured" : "FramesSeen", (unsigned long long)v,
                    (unsigned long long)n);
            return 0;
        }
        nap_ms(5);
    }
}

/* ---- the Netmon filter ------------------------------------------------------------------------- */

/* A UDP datagram to port 4000 or 4001: one group, two ORed IP-PORT patterns at the destination port. */
static void set_netmon_filter(HBLOB b) {
    EXPRESSION e;
    int k;
    memset(&e, 0, sizeof e);
    e.nAndExps = 1;
    e.AndExp[0].nPatternMatches = 2;
    for (k = 0; k < 2; k++) {
        PATTERNMATCH *p = &e.AndExp[0].PatternMatch[k];
        p->Flags = PATTERN_MATCH_FLAGS_PORT_SPECIFIED;
        p->OffsetBasis = OFFSET_BASIS_RELATIVE_TO_IP;
        p->Port.IPPort = 17;
        p->Offset = 2;
        p->Length = 2;
        p->PatternToMatch[0] = 0x0F;
        p->PatternToMatch[1] = (BYTE)(0xA0 + k);
    }
    CHECK_RC(SetNPPPatternFilterInBlob(b, &e, NULL), NMERR_SUCCESS);
}

/* ---- children ---------------------------------------------------------------------------------- */

static int udp_socket_bound(unsigned port) {
    struct sockaddr_in me;
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), big = 1 << 20;
    if (s < 0) return -1;
    memset(&me, 0, sizeof me);
    me.sin_family = AF_INET;
    me.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, ADDR_B, &me.sin_addr);
    setsockopt(s, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    if (bind(s, (struct sockaddr *)&me, sizeof me) != 0) {
        close(s);
        return -1;
    }
    return s;
}

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
    if (c->netmon) set_netmon_filter(cfg);
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
    ex = stats_ex(npp);
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

/* ---- namespaces --------------------------------------------------------------------------------- */

static void cleanup(void) {
    if (getpid() != main_pid) return; /* children leave the namespaces to the parent */
    if (have_ns_a) sh("ip netns del %s", ns_a);
    if (have_ns_b) sh("ip netns del %s", ns_b);
    have_ns_a = have_ns_b = 0;
}

static void on_signal(int sig) {
    cleanup();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Creates the two namespaces and the link; 0 when ready, 77 when namespaces cannot be made, 1
 * on another failure. */
static int setup(void) {
    const char *ns[2] = {ns_a, ns_b};
    if (sh("ip netns add %s", ns_a) != 0) return 77;
    have_ns_a = 1;
    if (sh("ip netns add %s", ns_b) != 0) return 77;
    have_ns_b = 1;
    for (int k = 0; k < 2; k++) /* no IPv6 at all: no ND, MLD or router solicitations (best effort) */
        sh("ip netns exec %s sh -c 'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 > "
           "/proc/sys/net/ipv6/conf/default/disable_ipv6' 2>/dev/null",
           ns[k]);
    if (sh("ip -n %s link add " VETH_A " address " MAC_A " type veth peer name " VETH_B " address " MAC_B " netns %s", ns_a,
           ns_b) != 0)
        return 1;
    if (sh("ip -n %s link set " VETH_A " addrgenmode none && ip -n %s addr add " ADDR_A "/24 dev " VETH_A
           " && ip -n %s link set " VETH_A " up",
           ns_a, ns_a, ns_a) != 0)
        return 1;
    if (sh("ip -n %s link set " VETH_B " addrgenmode none && ip -n %s addr add " ADDR_B "/24 dev " VETH_B
           " && ip -n %s link set " VETH_B " up",
           ns_b, ns_b, ns_b) != 0)
        return 1;
    if (sh("ip -n %s neigh add " ADDR_B " lladdr " MAC_B " dev " VETH_A " nud permanent", ns_a) != 0) return 1;
    if (sh("ip -n %s neigh add " ADDR_A " lladdr " MAC_A " dev " VETH_B " nud permanent", ns_b) != 0) return 1;
    return 0;
}

static void run_case(struct live_case *c) {
    int p[2], rc_cap, rc_send = -1;
    char ch = 0;
    pid_t cap;
    printf("-- %s\n", c->what);
    if (pipe(p) != 0) {
        CHECK(!"pipe");
        return;
    }
    c->ready_fd = p[1];
    cap = spawn(child_capture, c);
    close(p[1]);
    if (read(p[0], &ch, 1) == 1 && ch == 's') {
        rc_send = reap(spawn(child_send, c), CHILD_DEADLINE_S);
        CHECK_EQ(rc_send, 0);
    } else {
        printf("  the capturing child did not start\n");
    }
    close(p[0]);
    rc_cap = reap(cap, CHILD_DEADLINE_S);
    printf("  capturing child: exit %d, sender: exit %d\n", rc_cap, rc_send);
    CHECK_EQ(rc_cap, 0);
}

int main(void) {
    struct live_case cases[] = {
        {"1) \"udp dst port 53\" in the kernel", "alone", "udp dst port 53", 0, 0, 0, -1},
        {"2) \"udp dst port 53 or udp dst port 4000\" and the Netmon filter (4000, 4001): the intersection", "both",
         "udp dst port 53 or udp dst port 4000", 1, 0, 1, -1},
        {"3) as 2, through libpcap (NDISNPP_LIVE_SOURCE=libpcap)", "libpcap", "udp dst port 53 or udp dst port 4000", 1, 1, 1, -1},
    };
    int rc;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (geteuid() != 0) {
        printf("test_bpf_live: SKIP: needs root (network namespaces, CAP_NET_RAW)\n");
        return 77;
    }
    if (system("command -v ip >/dev/null 2>&1") != 0) {
        printf("test_bpf_live: SKIP: no `ip` command (iproute2)\n");
        return 77;
    }
    main_pid = getpid();
    snprintf(ns_a, sizeof ns_a, "ndisnpp-ba-%ld", (long)main_pid);
    snprintf(ns_b, sizeof ns_b, "ndisnpp-bb-%ld", (long)main_pid);
    atexit(cleanup);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
    signal(SIGALRM, on_signal);
    alarm(270); /* below CTest's 300 s: the namespaces still go */
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ndisnpp-bpf-live-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    rc = setup();
    if (rc != 0) {
        cleanup();
        rmdir(tmpdir);
        if (rc == 77) {
            printf("test_bpf_live: SKIP: cannot create network namespaces\n");
            return 77;
        }
        fprintf(stderr, "test_bpf_live: setting up the veth pair failed\n");
        return 1;
    }
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(&cases[i]);
    cleanup();
    if (check_failures == 0) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    } else {
        printf("files kept in %s\n", tmpdir);
    }
    return check_done("test_bpf_live");
}
