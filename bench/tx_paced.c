/* tx_paced: sends N raw Ethernet frames of SIZE bytes at RATE frames/s on IFACE, for the live
 * benchmarks when a paced rate is asked for (trafgen's own rate limit does not hold above about
 * 100,000 frames/s here). The frames are the ones bench/veth-pair.sh's trafgen_cfg describes:
 * DST_MAC, SRC_MAC, EtherType 0x88B5 (local experimental), then bytes 0xA5.
 *
 *   tx_paced IFACE DST_MAC SRC_MAC N SIZE RATE
 *
 * Frames go out in sendmmsg batches of up to 64 on an AF_PACKET socket that bypasses the qdisc;
 * after each batch the sender sleeps until the time the frames sent so far are due, so the rate
 * holds over any stretch longer than a batch. Exit status 0, 1 on a socket error, 2 usage. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define BATCH 64
#define MAX_SIZE 9000

static int parse_mac(const char *s, unsigned char out[6]) {
    unsigned v[6];
    if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) return 0;
    for (int i = 0; i < 6; i++) {
        if (v[i] > 255) return 0;
        out[i] = (unsigned char)v[i];
    }
    return 1;
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    static unsigned char frame[MAX_SIZE];
    unsigned char dst[6], src[6];
    if (argc != 7 || !parse_mac(argv[2], dst) || !parse_mac(argv[3], src)) goto usage;
    long n = atol(argv[4]), size = atol(argv[5]);
    double rate = atof(argv[6]);
    if (n < 0 || size < 14 || size > MAX_SIZE || !(rate > 0)) goto usage;
    unsigned ifindex = if_nametoindex(argv[1]);
    if (!ifindex) {
        fprintf(stderr, "tx_paced: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        perror("tx_paced: socket");
        return 1;
    }
    int one = 1;
    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
    struct sockaddr_ll to;
    memset(&to, 0, sizeof to);
    to.sll_family = AF_PACKET;
    to.sll_ifindex = (int)ifindex;
    to.sll_halen = 6;
    memcpy(to.sll_addr, dst, 6);
    memset(frame, 0xA5, (size_t)size);
    memcpy(frame, dst, 6);
    memcpy(frame + 6, src, 6);
    frame[12] = 0x88;
    frame[13] = 0xB5;
    struct iovec iov = {frame, (size_t)size};
    struct mmsghdr msgs[BATCH];
    memset(msgs, 0, sizeof msgs);
    for (int i = 0; i < BATCH; i++) {
        msgs[i].msg_hdr.msg_name = &to;
        msgs[i].msg_hdr.msg_namelen = sizeof to;
        msgs[i].msg_hdr.msg_iov = &iov;
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    double t0 = now_s();
    long sent = 0;
    while (sent < n) {
        unsigned k = (unsigned)(n - sent < BATCH ? n - sent : BATCH);
        int r = sendmmsg(fd, msgs, k, 0);
        if (r < 0) {
            if (errno == EINTR || errno == ENOBUFS || errno == EAGAIN) continue;
            perror("tx_paced: sendmmsg");
            return 1;
        }
        sent += r;
        double due = t0 + (double)sent / rate, wait = due - now_s();
        if (wait > 0) {
            struct timespec d = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};
            nanosleep(&d, NULL);
        }
    }
    return 0;
usage:
    fprintf(stderr, "usage: tx_paced IFACE DST_MAC SRC_MAC N SIZE(14-%d) RATE\n", MAX_SIZE);
    return 2;
}
