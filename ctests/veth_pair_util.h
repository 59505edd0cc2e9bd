/* Shared by the C tests that capture on a veth pair between two network namespaces they create
 * (test_filter_live.c, test_bpf_live.c): the namespaces and the link (IPv6 off, static neighbour
 * entries, so nothing else is on it), removed on every path (atexit, signals, a global alarm);
 * children forked for every library call and reaped at a deadline; the counters they wait for.
 *
 * Define before including it: VETH_A, VETH_B, MAC_A, MAC_B, ADDR_A, ADDR_B (the two ends, in
 * ns_a and ns_b), DEADLINE_S (a counter's wait) and CHILD_DEADLINE_S (a child's); include
 * check.h, shell_util.h and netns_util.h first. */
#ifndef NDISNPP_VETH_PAIR_UTIL_H
#define NDISNPP_VETH_PAIR_UTIL_H
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "test_util.h"
#include "child_util.h"

static char tmpdir[256];
static pid_t main_pid;
static char ns_a[64], ns_b[64];
static int have_ns_a, have_ns_b;

/* ---- helpers ----------------------------------------------------------------------------------- */

static int child_verdict(const char *what) {
    printf("  %s: %d checks, %d failed\n", what, check_count, check_failures);
    return check_failures ? 1 : 0;
}

/* Polls until FramesCaptured (captured = 1) or FramesSeen (0) reaches `n`; 1 when it did. */
static int wait_counter(HNPP npp, int captured, uint64_t n) {
    double deadline = mono_s() + DEADLINE_S;
    for (;;) {
        STATISTICS_EX ex = tu_stats_ex(npp);
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

/* Runs one case: the capturing child (which writes 's' to `*ready_fd` once it captures), then the
 * sending child; both must exit 0. */
static void run_live_case(const char *what, int *ready_fd, int (*capture)(void *), int (*send)(void *), void *c) {
    int p[2], rc_cap, rc_send = -1;
    char ch = 0;
    pid_t cap;
    printf("-- %s\n", what);
    if (pipe(p) != 0) {
        CHECK(!"pipe");
        return;
    }
    *ready_fd = p[1];
    cap = child_spawn(capture, c);
    close(p[1]);
    if (read(p[0], &ch, 1) == 1 && ch == 's') {
        rc_send = child_reap(child_spawn(send, c), CHILD_DEADLINE_S);
        CHECK_EQ(rc_send, 0);
    } else {
        printf("  the capturing child did not start\n");
    }
    close(p[0]);
    rc_cap = child_reap(cap, CHILD_DEADLINE_S);
    printf("  capturing child: exit %d, sender: exit %d\n", rc_cap, rc_send);
    CHECK_EQ(rc_cap, 0);
}

/* The start of main: root and `ip` (else 77), the namespace names ndisnpp-<tag>a-<pid> and
 * ndisnpp-<tag>b-<pid>, the clean-up on every path, a temporary directory
 * /tmp/ndisnpp-<tmp_tag>-XXXXXX and the veth pair. -1 when ready, else the exit code (77: skipped). */
static int veth_pair_start(const char *test, const char *tag, const char *tmp_tag) {
    int rc;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (geteuid() != 0) {
        printf("%s: SKIP: needs root (network namespaces, CAP_NET_RAW)\n", test);
        return 77;
    }
    if (system("command -v ip >/dev/null 2>&1") != 0) {
        printf("%s: SKIP: no `ip` command (iproute2)\n", test);
        return 77;
    }
    main_pid = getpid();
    snprintf(ns_a, sizeof ns_a, "ndisnpp-%sa-%ld", tag, (long)main_pid);
    snprintf(ns_b, sizeof ns_b, "ndisnpp-%sb-%ld", tag, (long)main_pid);
    atexit(cleanup);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
    signal(SIGALRM, on_signal);
    alarm(270); /* below CTest's 300 s: the namespaces still go */
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ndisnpp-%s-XXXXXX", tmp_tag);
    if (!mkdtemp(tmpdir)) {
        fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    rc = setup();
    if (rc != 0) {
        cleanup();
        rmdir(tmpdir);
        if (rc == 77) {
            printf("%s: SKIP: cannot create network namespaces\n", test);
            return 77;
        }
        fprintf(stderr, "%s: setting up the veth pair failed\n", test);
        return 1;
    }
    return -1;
}

/* The end of main: the namespaces removed, the temporary directory too unless a check failed. */
static int veth_pair_finish(const char *test) {
    cleanup();
    tu_remove_unless_failed(tmpdir);
    return check_done(test);
}
#endif
