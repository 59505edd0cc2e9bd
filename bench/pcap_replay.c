/* pcap_replay: the libpcap peer of bench/rtc_replay.c: pcap_open_offline + pcap_dispatch over the
 * whole file, the same per-frame work (bench/frame_sum.h: every byte summed).
 *
 *   pcap_replay FILE
 *
 * Prints one line of key=value pairs: frames, bytes, sum, order (the checksums), elapsed (seconds
 * from just before pcap_open_offline to the end of the last pcap_dispatch), fps, cpu_user,
 * cpu_sys. Exit status 0, or 1 on a libpcap error, 2 usage. */
#define _DEFAULT_SOURCE /* u_char and friends for pcap.h */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>
#include "frame_sum.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
    frame_sum_add((FrameSum *)user, bytes, h->caplen);
}

int main(int argc, char **argv) {
    char errbuf[PCAP_ERRBUF_SIZE];
    FrameSum s = FRAME_SUM_INIT;
    int n;
    if (argc != 2) {
        fprintf(stderr, "usage: pcap_replay FILE\n");
        return 2;
    }
    double t0 = now_s();
    pcap_t *p = pcap_open_offline(argv[1], errbuf);
    if (!p) {
        fprintf(stderr, "pcap_replay: %s\n", errbuf);
        return 1;
    }
    while ((n = pcap_dispatch(p, -1, on_packet, (u_char *)&s)) > 0) {
    }
    double t1 = now_s();
    if (n < 0) {
        fprintf(stderr, "pcap_replay: %s\n", pcap_geterr(p));
        return 1;
    }
    pcap_close(p);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double elapsed = t1 - t0;
    printf("tool=libpcap frames=%llu bytes=%llu sum=%llu order=%016llx elapsed=%.6f fps=%.0f cpu_user=%.3f cpu_sys=%.3f\n",
           (unsigned long long)s.frames, (unsigned long long)s.bytes, (unsigned long long)s.sum,
           (unsigned long long)s.order, elapsed, elapsed > 0 ? (double)s.frames / elapsed : 0.0,
           (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6, (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
    return 0;
}
