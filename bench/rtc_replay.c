/* rtc_replay: replays a pcap file through ndisnpp's IRTC (rtc_*) to a frames callback that sums
 * every byte of every frame (bench/frame_sum.h); the peer is bench/pcap_replay.c. Written against
 * include/netmon.h only.
 *
 *   rtc_replay [-b BUFFER_BYTES] [-t TABLE_LEN] [-u UPDATE_MS] [-C] [-v] FILE FRAMES
 *
 * -b NPP:Config:BufferSize (default 8388608)   -t NPP:Config:FrameTableLength (default 65536)
 * -u NPP:Config:UpdateInterval in ms (default 100)   -C NPP:Config:NoConversationStats TRUE
 * -v one line per frames callback on stderr (event, frames, FramesDropped, time since start)
 * FRAMES is the number of frames in FILE: the program starts the capture on a replay NIC
 * (NPP:Location:ReplayFile = FILE), waits until rtc_get_statistics_ex shows FramesSeen == FRAMES
 * (the replay NIC goes quiet at the end of the file), calls rtc_stop (which delivers what is
 * left) and prints one line of key=value pairs:
 *   frames     frames delivered to the callback
 *   dropped    STATISTICS_EX.FramesDropped; dropped_events: the sum of UPDATE_EVENT.FramesDropped
 *   sum order  the checksums (frame_sum.h)
 *   elapsed    seconds from just before rtc_start to the end of the last frames callback
 *   fps        frames / elapsed
 *   steady_frames, steady_elapsed, steady_fps: the same up to the end of the last callback that a
 *              full table or buffer caused (the last, partial batch waits for the update interval
 *              or for Stop, and that wait is in `elapsed`)
 *   seen_elapsed  seconds from rtc_start until the program saw FramesSeen == FRAMES
 *   start_call stop_call  seconds rtc_start and rtc_stop took to return
 *   first_delivery  seconds from rtc_start to the end of the first frames callback
 *   pipeline_fps  frames/s between the end of the first callback and the end of the last one a
 *              full table or buffer caused (the rate once both library threads are under way)
 *   calls      frames callbacks   cpu_user cpu_sys  CPU seconds of the whole process
 * Exit status 0 when FRAMES frames were seen, 1 otherwise (or on a library error), 2 usage. */
#define _POSIX_C_SOURCE 200809L
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

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct {
    FrameSum s;
    uint64_t dropped_events; /* sum of UPDATE_EVENT.FramesDropped */
    uint64_t calls;
    double t_last;           /* end of the last callback that delivered a frame */
    double t_full;           /* end of the last callback caused by a full table or buffer */
    uint64_t frames_full;    /* frames delivered up to and with that callback */
    double t_first;          /* end of the first callback that delivered a frame */
    uint64_t frames_first;   /* frames delivered by it */
    double t0;               /* just before rtc_start */
    int trace;               /* -v: one line per callback on stderr */
} Run;

static DWORD on_frames(UPDATE_EVENT e) {
    Run *r = (Run *)e.lpUserContext;
    LPFRAMETABLE t = e.lpFrameTable;
    DWORD k, i, len;
    r->calls++;
    r->dropped_events += e.FramesDropped;
    if (!t || t->FrameCount == 0) return 0;
    len = t->FrameTableLength;
    /* FrameCount descriptors from StartIndex, wrapping at FrameTableLength (no division per frame) */
    for (k = 0, i = t->StartIndex; k < t->FrameCount; k++) {
        const FRAME_DESCRIPTOR *d = &t->Frames[i];
        frame_sum_add(&r->s, d->FramePointer, d->nBytesAvail);
        if (++i == len) i = 0;
    }
    r->t_last = now_s();
    if (r->frames_first == 0) {
        r->t_first = r->t_last;
        r->frames_first = r->s.frames;
    }
    if (r->trace)
        fprintf(stderr, "call %llu event %u frames %u dropped %u t_end %.6f\n", (unsigned long long)r->calls,
                (unsigned)e.Event, (unsigned)t->FrameCount, (unsigned)e.FramesDropped, r->t_last - r->t0);
    if (e.Event == UPDATE_EVENT_RTC_FRAME_TABLE_FULL || e.Event == UPDATE_EVENT_RTC_BUFFER_FULL) {
        r->t_full = r->t_last;
        r->frames_full = r->s.frames;
    }
    return 0;
}

static int fail(const char *what, DWORD rc) {
    fprintf(stderr, "rtc_replay: %s: %s (NMERR %u)\n", what, nmerr_text(rc), (unsigned)rc);
    return 1;
}

int main(int argc, char **argv) {
    RtcSizes sizes = RTC_SIZES_DEFAULT;
    int opt;
    static Run run = {FRAME_SUM_INIT, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    while ((opt = getopt(argc, argv, "b:t:u:Cv")) != -1) {
        if (rtc_sizes_option(&sizes, opt, optarg)) continue;
        if (opt == 'v') {
            run.trace = 1;
            continue;
        }
        goto usage;
    }
    if (argc - optind != 2) {
    usage:
        fprintf(stderr, "usage: rtc_replay [-b BUFFER_BYTES] [-t TABLE_LEN] [-u UPDATE_MS] [-C] [-v] FILE FRAMES\n");
        return 2;
    }
    const char *file = argv[optind];
    unsigned long long want = strtoull(argv[optind + 1], NULL, 10);

    HBLOB nic = NULL, cfg = NULL, err = NULL;
    HNPP npp = NULL;
    DWORD rc;
    const char *what;
    if ((rc = rtc_blobs(&sizes, TAG_REPLAY_FILE, file, &nic, &cfg, &what)) != NMERR_SUCCESS || (rc = CreateBlob(&err)) != NMERR_SUCCESS)
        return fail(what, rc);
    if ((rc = npp_create(nic, &npp)) != NMERR_SUCCESS) return fail("npp_create", rc);

    if ((rc = rtc_connect(npp, cfg, NULL, on_frames, &run, err)) != NMERR_SUCCESS) return fail("rtc_connect", rc);

    double t0 = now_s(), t_seen = 0;
    run.t0 = t0;
    if ((rc = rtc_start(npp)) != NMERR_SUCCESS) return fail("rtc_start", rc);
    double t_started = now_s();
    STATISTICS_EX ex;
    int seen_all = 0;
    for (;;) {
        memset(&ex, 0, sizeof ex);
        ex.StructSize = sizeof ex;
        if ((rc = rtc_get_statistics_ex(npp, &ex)) != NMERR_SUCCESS) return fail("rtc_get_statistics_ex", rc);
        if (ex.FramesSeen >= want) {
            t_seen = now_s();
            seen_all = ex.FramesSeen == want;
            break;
        }
        if (now_s() - t0 > 300) {
            fprintf(stderr, "rtc_replay: FramesSeen %llu of %llu after 300 s\n", (unsigned long long)ex.FramesSeen, want);
            break;
        }
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    double t_stop = now_s();
    if ((rc = rtc_stop(npp)) != NMERR_SUCCESS) return fail("rtc_stop", rc);
    double stop_call = now_s() - t_stop;
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
    double elapsed = run.t_last - t0, steady = run.t_full - t0;
    double pipeline = run.t_full > run.t_first ? (double)(run.frames_full - run.frames_first) / (run.t_full - run.t_first) : 0.0;
    printf("tool=rtc frames=%llu bytes=%llu dropped=%llu dropped_events=%llu seen=%llu sum=%llu order=%016llx "
           "elapsed=%.6f fps=%.0f steady_frames=%llu steady_elapsed=%.6f steady_fps=%.0f seen_elapsed=%.6f start_call=%.6f stop_call=%.6f first_delivery=%.6f pipeline_fps=%.0f calls=%llu "
           "cpu_user=%.3f cpu_sys=%.3f\n",
           (unsigned long long)run.s.frames, (unsigned long long)run.s.bytes, (unsigned long long)ex.FramesDropped,
           (unsigned long long)run.dropped_events, (unsigned long long)ex.FramesSeen, (unsigned long long)run.s.sum,
           (unsigned long long)run.s.order, elapsed, elapsed > 0 ? (double)run.s.frames / elapsed : 0.0,
           (unsigned long long)run.frames_full, steady > 0 ? steady : 0.0,
           steady > 0 ? (double)run.frames_full / steady : 0.0, t_seen > 0 ? t_seen - t0 : 0.0, t_started - t0, stop_call,
           run.t_first - t0, pipeline,
           (unsigned long long)run.calls, (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
    return seen_all ? 0 : 1;
}
