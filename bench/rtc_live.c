/* rtc_live: live capture through ndisnpp's IRTC (rtc_*) on one interface, to a frames callback
 * that sums every byte of every frame (bench/frame_sum.h); the peers are bench/pcap_live.c and
 * tcpdump. Written against include/netmon.h only.
 *
 *   rtc_live [-b BUFFER_BYTES] [-t TABLE_LEN] [-u UPDATE_MS] [-C] IFACE
 *
 * -b NPP:Config:BufferSize: the kernel ring and the IRTC buffer (default 8388608)
 * -t NPP:Config:FrameTableLength (default 65536)   -u NPP:Config:UpdateInterval, ms (default 100)
 * -C NPP:Config:NoConversationStats TRUE (no per-frame conversation statistics)
 * Captures (promiscuous, whole frames) until SIGINT or SIGTERM, then calls rtc_stop (which
 * delivers every frame captured before it) and prints one line of key=value pairs:
 *   frames bytes sum order  what the callback received (frame_sum.h)
 *   seen               STATISTICS_EX.FramesSeen (frames the capture thread read)
 *   dropped            STATISTICS_EX.FramesDropped: read but lost because the callback still
 *                      held the other buffer (= the sum of UPDATE_EVENT.FramesDropped)
 *   kernel_received kernel_dropped  the socket's counters (pcap_stats ps_recv / ps_drop+ifdrop)
 *   calls cpu_user cpu_sys  frames callbacks, CPU seconds of the whole process
 * Exit status 0, 1 on a library error, 2 usage. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "netmon.h"
#include "rtc_setup.h"
#include "frame_sum.h"

static volatile sig_atomic_t stop_now = 0;
static void on_signal(int sig) {
    (void)sig;
    stop_now = 1;
}

typedef struct {
    FrameSum s;
    uint64_t dropped_events;
    uint64_t calls;
} Run;

static DWORD on_frames(UPDATE_EVENT e) {
    Run *r = (Run *)e.lpUserContext;
    LPFRAMETABLE t = e.lpFrameTable;
    DWORD k, i, len;
    r->calls++;
    r->dropped_events += e.FramesDropped;
    if (!t) return 0;
    len = t->FrameTableLength;
    /* FrameCount descriptors from StartIndex, wrapping at FrameTableLength (no division per frame) */
    for (k = 0, i = t->StartIndex; k < t->FrameCount; k++) {
        const FRAME_DESCRIPTOR *d = &t->Frames[i];
        frame_sum_add(&r->s, d->FramePointer, d->nBytesAvail);
        if (++i == len) i = 0;
    }
    return 0;
}

static int fail(const char *what, DWORD rc) {
    fprintf(stderr, "rtc_live: %s: %s (NMERR %u)\n", what, nmerr_text(rc), (unsigned)rc);
    return 1;
}

int main(int argc, char **argv) {
    RtcSizes sizes = RTC_SIZES_DEFAULT;
    int opt;
    static Run run = {FRAME_SUM_INIT, 0, 0};
    while ((opt = getopt(argc, argv, "b:t:u:C")) != -1) {
        if (rtc_sizes_option(&sizes, opt, optarg)) continue;
        goto usage;
    }
    if (argc - optind != 1) {
    usage:
        fprintf(stderr, "usage: rtc_live [-b BUFFER_BYTES] [-t TABLE_LEN] [-u UPDATE_MS] [-C] IFACE\n");
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    /* SIGINT and SIGTERM blocked before the library's threads exist (they inherit the mask), so
     * that only the main thread's sigsuspend takes them. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &old);
    HBLOB nic = NULL, cfg = NULL, err = NULL;
    HNPP npp = NULL;
    DWORD rc;
    const char *what;
    if ((rc = rtc_blobs(&sizes, TAG_NAME, argv[optind], &nic, &cfg, &what)) != NMERR_SUCCESS || (rc = CreateBlob(&err)) != NMERR_SUCCESS)
        return fail(what, rc);
    if ((rc = npp_create(nic, &npp)) != NMERR_SUCCESS) return fail("npp_create", rc);
    if ((rc = rtc_connect(npp, cfg, NULL, on_frames, &run, err)) != NMERR_SUCCESS) return fail("rtc_connect", rc);
    if ((rc = rtc_start(npp)) != NMERR_SUCCESS) return fail("rtc_start", rc);
    fprintf(stderr, "rtc_live: capturing on %s\n", argv[optind]);
    /* Sleep until the signal (no periodic wake-ups: pcap_live's main thread sleeps in pcap_loop). */
    while (!stop_now) sigsuspend(&old);
    sigprocmask(SIG_SETMASK, &old, NULL);
    if ((rc = rtc_stop(npp)) != NMERR_SUCCESS) return fail("rtc_stop", rc);
    STATISTICS_EX ex;
    memset(&ex, 0, sizeof ex);
    ex.StructSize = sizeof ex;
    if ((rc = rtc_get_statistics_ex(npp, &ex)) != NMERR_SUCCESS) return fail("rtc_get_statistics_ex", rc);
    if ((rc = rtc_disconnect(npp)) != NMERR_SUCCESS) return fail("rtc_disconnect", rc);
    npp_destroy(npp);
    DestroyBlob(nic);
    DestroyBlob(cfg);
    DestroyBlob(err);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("tool=rtc frames=%llu bytes=%llu sum=%llu order=%016llx seen=%llu dropped=%llu dropped_events=%llu "
           "kernel_received=%llu kernel_dropped=%llu calls=%llu cpu_user=%.3f cpu_sys=%.3f\n",
           (unsigned long long)run.s.frames, (unsigned long long)run.s.bytes, (unsigned long long)run.s.sum,
           (unsigned long long)run.s.order, (unsigned long long)ex.FramesSeen, (unsigned long long)ex.FramesDropped,
           (unsigned long long)run.dropped_events, (unsigned long long)ex.KernelFramesReceived,
           (unsigned long long)ex.KernelFramesDropped, (unsigned long long)run.calls,
           (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6, (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
    return 0;
}
