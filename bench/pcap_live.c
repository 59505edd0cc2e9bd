/* pcap_live: the libpcap peer of bench/rtc_live.c: pcap_create on IFACE (promiscuous, snaplen
 * 262144, kernel buffer BUFFER_BYTES, read timeout 100 ms, not immediate: as tcpdump, with the
 * timeout of IRTC's default update interval), pcap_loop with the same per-frame work
 * (bench/frame_sum.h: every byte summed) until SIGINT or SIGTERM (pcap_breakloop).
 *
 *   pcap_live [-b BUFFER_BYTES] IFACE        (default 8388608)
 *
 * Prints one line of key=value pairs: frames bytes sum order (frame_sum.h), kernel_received
 * (ps_recv), kernel_dropped (ps_drop + ps_ifdrop), cpu_user, cpu_sys. Exit status 0, 1 on a
 * libpcap error, 2 usage. */
#define _DEFAULT_SOURCE /* u_char and friends for pcap.h */
#include <pcap/pcap.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "frame_sum.h"

static pcap_t *cap;

static void on_signal(int sig) {
    (void)sig;
    pcap_breakloop(cap);
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
    frame_sum_add((FrameSum *)user, bytes, h->caplen);
}

int main(int argc, char **argv) {
    char errbuf[PCAP_ERRBUF_SIZE];
    FrameSum s = FRAME_SUM_INIT;
    unsigned long bufsize = 8388608;
    int opt, rc;
    while ((opt = getopt(argc, argv, "b:")) != -1) {
        if (opt != 'b') goto usage;
        bufsize = strtoul(optarg, NULL, 10);
    }
    if (argc - optind != 1) {
    usage:
        fprintf(stderr, "usage: pcap_live [-b BUFFER_BYTES] IFACE\n");
        return 2;
    }
    cap = pcap_create(argv[optind], errbuf);
    if (!cap) {
        fprintf(stderr, "pcap_live: %s\n", errbuf);
        return 1;
    }
    pcap_set_snaplen(cap, 262144);
    pcap_set_promisc(cap, 1);
    pcap_set_timeout(cap, 100);
    pcap_set_buffer_size(cap, (int)bufsize);
    if ((rc = pcap_activate(cap)) < 0) {
        fprintf(stderr, "pcap_live: pcap_activate: %s\n", pcap_geterr(cap));
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    fprintf(stderr, "pcap_live: capturing on %s\n", argv[optind]);
    rc = pcap_loop(cap, -1, on_packet, (u_char *)&s);
    if (rc == PCAP_ERROR) {
        fprintf(stderr, "pcap_live: pcap_loop: %s\n", pcap_geterr(cap));
        return 1;
    }
    struct pcap_stat st;
    memset(&st, 0, sizeof st);
    if (pcap_stats(cap, &st) != 0) fprintf(stderr, "pcap_live: pcap_stats: %s\n", pcap_geterr(cap));
    pcap_close(cap);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("tool=libpcap frames=%llu bytes=%llu sum=%llu order=%016llx kernel_received=%u kernel_dropped=%u "
           "cpu_user=%.3f cpu_sys=%.3f\n",
           (unsigned long long)s.frames, (unsigned long long)s.bytes, (unsigned long long)s.sum,
           (unsigned long long)s.order, st.ps_recv, st.ps_drop + st.ps_ifdrop,
           (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6, (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
    return 0;
}
