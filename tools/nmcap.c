/* nmcap: capture frames into a Network Monitor 2, pcap or pcapng file through ndisnpp (IESP).
 *
 *   nmcap [-i IFACE | -r REPLAY.pcap] [-w OUT] [-F netmon2|pcap|pcapng] [-c COUNT] [-d SECONDS]
 *         [-s SNAPLEN] [-B BUFFER_BYTES] [-p] [-q] [-S]
 *
 * -i  interface to capture on (default: lo); -r replays a pcap/pcapng file instead (no privilege)
 * -w  output file (default: the library's name in its capture directory, printed at the end)
 * -F  file format (default netmon2)          -c  stop after COUNT frames
 * -d  stop after SECONDS (default 10 unless -c is given; 0 = until Ctrl-C)
 * -s  bytes stored per frame (0 = whole frame) -B  kernel buffer size in bytes
 * -p  do not put the interface in promiscuous mode
 * -q  no progress line (it is shown only when stderr is a terminal anyway)
 * -S  no Network Monitor statistics frame at the end of a netmon2 file
 *
 * Exit status: 0 captured, 1 usage, 2 failure, 4 no permission to capture (CAP_NET_RAW).
 * Written against include/netmon.h only. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libgen.h>
#include "netmon.h"

static volatile sig_atomic_t interrupted = 0;
static void on_signal(int sig) { (void)sig; interrupted = 1; }

/* The status callback (on the library's callback thread): when the capture stops by itself
 * (frame limit, trigger, lost interface, full disk) it wakes the main loop through a pipe, so that
 * nmcap does not wait out the rest of its 50 ms poll. */
static int wake_pipe[2] = {-1, -1};
static DWORD on_status(UPDATE_EVENT ev) {
    if (ev.Action == UPDATE_ACTION_STOP_CAPTURE && wake_pipe[1] >= 0) {
        char b = 1;
        ssize_t n = write(wake_pipe[1], &b, 1);
        (void)n; /* a full pipe already wakes the loop */
    }
    return NMERR_SUCCESS;
}

static void usage(void) {
    fprintf(stderr, "usage: nmcap [-i IFACE | -r FILE] [-w OUT] [-F netmon2|pcap|pcapng] [-c COUNT] [-d SECONDS]\n"
                    "             [-s SNAPLEN] [-B BUFFER_BYTES] [-p] [-q] [-S]\n");
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Prints the error BLOB's entries, one per line. */
static void print_error_blob(HBLOB err) {
    const char *o, *c, *t, *v;
    DWORD key = 0;
    while (GetStringsFromBlob(err, NULL, NULL, NULL, &o, &c, &t, &v, &key) == NMERR_SUCCESS)
        fprintf(stderr, "  %s:%s:%s=%s\n", o, c, t, v);
}

/* Copies src to dst (when rename() cannot cross filesystems). */
static int copy_file(const char *src, const char *dst) {
    FILE *in = fopen(src, "rb"), *out = in ? fopen(dst, "wb") : NULL;
    char buf[1 << 16];
    size_t n;
    int ok = in && out;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0)
        ok = fwrite(buf, 1, n, out) == n;
    if (in) fclose(in);
    if (out && fclose(out) != 0) ok = 0;
    return ok ? 0 : -1;
}

int main(int argc, char **argv) {
    const char *iface = NULL, *replay = NULL, *out = NULL, *format = "NETMON2";
    unsigned long count = 0, snaplen = 0, bufsize = 0;
    double duration = -1;
    int promisc = 1, quiet = 0, no_stats_frame = 0, opt;
    while ((opt = getopt(argc, argv, "i:r:w:F:c:d:s:B:pqSh")) != -1) {
        switch (opt) {
        case 'i': iface = optarg; break;
        case 'r': replay = optarg; break;
        case 'w': out = optarg; break;
        case 'F': format = optarg; break;
        case 'c': count = strtoul(optarg, NULL, 10); break;
        case 'd': duration = atof(optarg); break;
        case 's': snaplen = strtoul(optarg, NULL, 10); break;
        case 'B': bufsize = strtoul(optarg, NULL, 10); break;
        case 'p': promisc = 0; break;
        case 'q': quiet = 1; break;
        case 'S': no_stats_frame = 1; break;
        default: usage(); return 1;
        }
    }
    if (optind != argc || (iface && replay)) { usage(); return 1; }
    if (!iface && !replay) iface = "lo";
    if (duration < 0) duration = count ? 0 : 10;

    HBLOB nic = NULL, err = NULL;
    HNPP npp = NULL;
    DWORD rc;
    int status = 2;
    char name[4096];
    char outdir[4096];
    CreateBlob(&nic);
    CreateBlob(&err);
    if (replay) {
        SetStringInBlob(nic, OWNER_NPP, CATEGORY_LOCATION, TAG_REPLAY_FILE, replay);
    } else {
        SetStringInBlob(nic, OWNER_NPP, CATEGORY_LOCATION, TAG_NAME, iface);
    }
    SetStringInBlob(nic, OWNER_NPP, CATEGORY_CONFIG, TAG_FILE_FORMAT, format);
    if (count) SetDwordInBlob(nic, OWNER_NPP, CATEGORY_CONFIG, TAG_FRAME_LIMIT, (DWORD)count);
    if (snaplen) SetDwordInBlob(nic, OWNER_NPP, CATEGORY_CONFIG, TAG_FRAME_SIZE, (DWORD)snaplen);
    if (bufsize) SetDwordInBlob(nic, OWNER_NPP, CATEGORY_CONFIG, TAG_BUFFER_SIZE, (DWORD)bufsize);
    SetBoolInBlob(nic, OWNER_NPP, CATEGORY_CONFIG, TAG_LOCAL_ONLY, !promisc);
    SetBoolInBlob(nic, OWNER_NPP, CATEGORY_CONFIG, TAG_DONT_DELETE_EMPTY_CAPTURE, TRUE);
    SetBoolInBlob(nic, OWNER_NPP, CATEGORY_CONFIG, TAG_NO_STATS_FRAME, no_stats_frame);
    if (out) {
        /* Write into the output's directory, so the final rename stays on one filesystem. */
        snprintf(outdir, sizeof outdir, "%s", out);
        SetStringInBlob(nic, OWNER_NPP, CATEGORY_CONFIG, TAG_CAPTURE_DIRECTORY, dirname(outdir));
    }

    if ((rc = npp_create(nic, &npp)) != NMERR_SUCCESS) {
        fprintf(stderr, "nmcap: npp_create: %s (NMERR %u)\n", nmerr_text(rc), (unsigned)rc);
        goto done;
    }
    if (pipe(wake_pipe) != 0) {
        wake_pipe[0] = wake_pipe[1] = -1;
    } else {
        for (int i = 0; i < 2; i++) {
            fcntl(wake_pipe[i], F_SETFD, FD_CLOEXEC);
            fcntl(wake_pipe[i], F_SETFL, O_NONBLOCK);
        }
    }
    rc = esp_connect(npp, nic, wake_pipe[1] >= 0 ? on_status : NULL, NULL, err);
    if (rc == NMERR_ACCESS_DENIED) {
        fprintf(stderr, "nmcap: cannot capture on %s: this process lacks CAP_NET_RAW "
                        "(run it as root, or grant it: setcap cap_net_raw,cap_net_admin+ep nmcap)\n", iface);
        print_error_blob(err);
        status = 4;
        goto done;
    }
    if (rc != NMERR_SUCCESS) {
        fprintf(stderr, "nmcap: cannot open %s: %s (NMERR %u)\n", replay ? replay : iface, nmerr_text(rc), (unsigned)rc);
        print_error_blob(err);
        goto done;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if ((rc = esp_start(npp, name, sizeof name)) != NMERR_SUCCESS) {
        fprintf(stderr, "nmcap: esp_start: %s (NMERR %u)\n", nmerr_text(rc), (unsigned)rc);
        esp_disconnect(npp);
        goto done;
    }
    int progress = !quiet && isatty(2);
    double t0 = now_s(), last = 0;
    STATISTICS_EX ex;
    for (;;) {
        BOOL running = FALSE, paused = FALSE;
        struct pollfd wake = {wake_pipe[0], POLLIN, 0};
        if (esp_get_control_state(npp, &running, &paused) != NMERR_SUCCESS || !running) break; /* ended by itself */
        if (interrupted || (duration > 0 && now_s() - t0 >= duration)) break;
        if (progress && now_s() - last >= 0.25) {
            memset(&ex, 0, sizeof ex);
            ex.StructSize = sizeof ex;
            if (esp_get_statistics_ex(npp, &ex) == NMERR_SUCCESS)
                fprintf(stderr, "\r%llu frames  %llu bytes  %llu dropped  %.1f s   ",
                        (unsigned long long)ex.FramesCaptured, (unsigned long long)ex.BytesCaptured,
                        (unsigned long long)(ex.KernelFramesDropped + ex.FramesDropped), now_s() - t0);
            last = now_s();
        }
        poll(&wake, 1, 50); /* the callback, a signal (EINTR) or 50 ms */
    }
    STATISTICS st;
    rc = esp_stop(npp, &st);
    if (rc != NMERR_SUCCESS && rc != NMERR_NOT_CAPTURING)
        fprintf(stderr, "nmcap: esp_stop: %s (NMERR %u)\n", nmerr_text(rc), (unsigned)rc);
    memset(&ex, 0, sizeof ex);
    ex.StructSize = sizeof ex;
    esp_get_statistics_ex(npp, &ex);
    esp_disconnect(npp);
    if (progress) fprintf(stderr, "\n");
    if (out) {
        if (rename(name, out) != 0 && (errno != EXDEV || copy_file(name, out) != 0 || unlink(name) != 0)) {
            fprintf(stderr, "nmcap: cannot move %s to %s: %s\n", name, out, strerror(errno));
            goto done;
        }
        snprintf(name, sizeof name, "%s", out);
    }
    printf("%s\n", name);
    printf("frames captured %llu, bytes %llu, seen %llu, dropped %llu (kernel %llu), %.3f s\n",
           (unsigned long long)ex.FramesCaptured, (unsigned long long)ex.BytesCaptured,
           (unsigned long long)ex.FramesSeen, (unsigned long long)ex.FramesDropped,
           (unsigned long long)ex.KernelFramesDropped, (double)ex.TimeElapsed / 1e6);
    status = 0;
done:
    if (npp) npp_destroy(npp);
    DestroyBlob(nic);
    DestroyBlob(err);
    return status;
}
