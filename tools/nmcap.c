/* nmcap: capture frames into a Network Monitor 2, pcap or pcapng file through ndisnpp (IESP), or
 * print one line per frame as it arrives (-R: IRTC, like tcpdump without -w).
 *
 *   nmcap [-i IFACE | -r REPLAY.pcap] [-w OUT] [-F netmon2|pcap|pcapng] [-c COUNT] [-d SECONDS]
 *         [-s SNAPLEN] [-B BUFFER_BYTES] [-p] [-q] [-S] [-R]
 *
 * nmcap --repair FILE... repairs damaged capture files (cut off by a crash, a damaged record):
 * every readable record is kept; prints per file "sound: N frames" or "repaired: N frames kept,
 * ..., B bytes dropped" (ndisnpp_repair_capture_ex); exit 2 when one cannot be repaired (it is
 * then left as it is).
 * -R  real time: no file; each frame on stdout as "HH:MM:SS.uuuuuu len N <protocol summary>" (UTC)
 *     from the library's frames callback, the statistics on stderr at the end
 * -i  interface to capture on (default: lo); -r replays a pcap/pcapng file instead (no privilege);
 *     -r - replays standard input (a pipe: pcap or pcapng, unpaced). A replay ends at the end of
 *     its input, with every frame written (NPP:Config:ReplayEndAtEof); -d and -c still apply.
 * -w -  writes the capture to standard output (NPP:Config:CaptureFileDescriptor), as pcap unless
 *     -F pcapng is given (-F netmon2 is refused: that format seeks back to complete its header);
 *     the file name and statistics then go to standard error. A reader that goes away ends the
 *     capture: "capture ended: File write failed" and exit 3.
 * -w  output file (default: the library's name in its capture directory, printed at the end).
 *     The capture is written into OUT's directory, which must be one no other user controls
 *     (owned by this user or root, not writable by group or others unless sticky: else exit 2
 *     with the reason), then moved to OUT with ndisnpp_move_capture: an OUT of this user is
 *     replaced (never written through a symlink), one of another user is not (exit 2, the capture
 *     stays under the library's name, printed)
 * -F  file format (default netmon2)          -c  stop after COUNT frames
 * -d  stop after SECONDS (default 10 unless -c or -r is given; 0 = until Ctrl-C)
 * -s  bytes stored per frame (0 = whole frame) -B  kernel buffer size in bytes
 * -p  do not put the interface in promiscuous mode
 * -q  no progress line (it is shown only when stderr is a terminal anyway)
 * -S  no Network Monitor statistics frame at the end of a netmon2 file
 *
 * Exit status:
 *   0  captured until the end asked for: COUNT frames (-c), SECONDS (-d), or Ctrl-C / SIGTERM
 *   1  usage
 *   2  failure: the capture could not start (no such interface or replay file, unusable
 *      directory...), or its file could not be moved to OUT
 *   3  the capture ended by itself for another reason, or its file could not be finished: a write
 *      error or full disk (NMERR_FILE_WRITE_ERROR), the interface went away
 *      (NMERR_NETWORK_NOT_PRESENT), the file size limit (NMERR_OUT_OF_RANGE); nmcap prints
 *      "nmcap: capture ended: <reason> (<NMERR name>)" on stderr, and the file name and
 *      statistics of what was written on stdout as usual
 *   4  no permission to capture (CAP_NET_RAW)
 * Written against include/netmon.h only. */
#define _POSIX_C_SOURCE 200809L
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <libgen.h>
#include <limits.h>
#include "netmon.h"

static volatile sig_atomic_t interrupted = 0;
static void on_signal(int sig) { (void)sig; interrupted = 1; }

enum { EXIT_OK = 0, EXIT_USAGE = 1, EXIT_FAILED = 2, EXIT_ENDED = 3, EXIT_NO_PERMISSION = 4 };

/* The status callback runs on the library's callback thread. When the capture stops by itself
 * (frame limit, lost interface, full disk, file limit) it records why (the event's Value, an
 * NMERR) and the final statistics, and wakes the main loop through a pipe, so that nmcap does not
 * wait out the rest of its 50 ms poll; the main thread reports. UPDATE_EVENT_TERMINATE_THREAD, the
 * last event (on Disconnect), says nothing more will be recorded. The flags are published with
 * release stores after the data they guard, and read with acquire loads. */
static int wake_pipe[2] = {-1, -1};
static DWORD end_value;           /* written before end_seen is set */
static STATISTICS end_stats;      /* valid when end_has_stats */
static int end_has_stats;
static int end_seen;              /* a stop event arrived */
static int callback_done;         /* UPDATE_EVENT_TERMINATE_THREAD arrived */

static void wake_main(void) {
    if (wake_pipe[1] >= 0) {
        char b = 1;
        ssize_t n = write(wake_pipe[1], &b, 1);
        (void)n; /* a full pipe already wakes the loop */
    }
}

static DWORD on_status(UPDATE_EVENT ev) {
    if (ev.Event == UPDATE_EVENT_TERMINATE_THREAD) {
        __atomic_store_n(&callback_done, 1, __ATOMIC_RELEASE);
        wake_main();
    } else if (ev.Event == UPDATE_EVENT_NETWORK_STATUS && ev.Action == UPDATE_ACTION_STOP_CAPTURE &&
               !__atomic_load_n(&end_seen, __ATOMIC_ACQUIRE)) {
        end_value = ev.Value;
        if (ev.lpFinalStats) {
            end_stats = *ev.lpFinalStats;
            end_has_stats = 1;
        }
        __atomic_store_n(&end_seen, 1, __ATOMIC_RELEASE);
        wake_main();
    } else if (ev.Event == UPDATE_EVENT_NETWORK_STATUS && ev.Action == UPDATE_ACTION_NOTIFY) {
        /* The link went down or came back: the capture goes on. */
        if (ev.Value == NDISNPP_LINK_DOWN) fprintf(stderr, "nmcap: link down (capturing on)\n");
        if (ev.Value == NDISNPP_LINK_UP) fprintf(stderr, "nmcap: link up\n");
    }
    return NMERR_SUCCESS;
}

/* -R output. The frames callback must never block the capture's end (the library's Stop waits for
 * it): a standard output that nobody reads (a full pipe) would hold it for ever. So the lines go
 * to a non-blocking descriptor (a second open of the pipe, FIFO or terminal behind stdout, whose
 * flags are its own; a regular file never blocks), and a write that would block waits in 100 ms
 * polls, giving up once SIGINT/SIGTERM arrived: what was not printed then is counted. */
static int out_fd = 1;
static int out_given_up = 0;
static unsigned long long lines_not_printed = 0;

static void open_output(void) {
    struct stat st;
    if (fstat(1, &st) != 0 || !(S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))) return;
    int fd = open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd >= 0) out_fd = fd;
}

/* Writes all of buf, or returns -1 when nmcap is being interrupted (or stdout is gone). */
static int out_write(const char *buf, size_t len) {
    while (len > 0 && !out_given_up) {
        ssize_t n = write(out_fd, buf, len);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && !interrupted) {
            struct pollfd p = {out_fd, POLLOUT, 0};
            poll(&p, 1, 100);
        } else {
            out_given_up = 1;
        }
    }
    return len == 0 ? 0 : -1;
}

/* -R: one line per frame, from the frames callback (on the library's delivery thread). */
static unsigned long long frames_printed = 0;
static DWORD on_frames(UPDATE_EVENT ev) {
    LPFRAMETABLE t = ev.lpFrameTable;
    DWORD k;
    char buf[1 << 16];
    size_t used = 0, lines = 0;
    if (!t) return 0;
    for (k = 0; k < t->FrameCount; k++) {
        const FRAME_DESCRIPTOR *d = &t->Frames[(t->StartIndex + k) % t->FrameTableLength];
        time_t sec = (time_t)(d->TimeStamp / 1000000);
        struct tm tm;
        char proto[64];
        gmtime_r(&sec, &tm);
        switch (d->LowProtocol) {
        case LOW_PROTOCOL_IP:
            snprintf(proto, sizeof proto, "IPv4 proto %u%s", d->HighPort.IPPort,
                     d->HighPort.IPPort == 6 ? " (TCP)" : d->HighPort.IPPort == 17 ? " (UDP)" : d->HighPort.IPPort == 1 ? " (ICMP)" : "");
            break;
        case LOW_PROTOCOL_IP6:
            snprintf(proto, sizeof proto, "IPv6 next %u%s", d->HighPort.IPPort,
                     d->HighPort.IPPort == 6 ? " (TCP)" : d->HighPort.IPPort == 17 ? " (UDP)" : d->HighPort.IPPort == 58 ? " (ICMPv6)" : "");
            break;
        case LOW_PROTOCOL_IPX: snprintf(proto, sizeof proto, "IPX"); break;
        default:
            if (d->Etype) snprintf(proto, sizeof proto, "Etype 0x%04x", d->Etype);
            else if (d->Sap) snprintf(proto, sizeof proto, "802.2 DSAP 0x%02x", d->Sap);
            else snprintf(proto, sizeof proto, "unknown");
        }
        if (sizeof buf - used < 256) {
            if (out_write(buf, used) == 0) frames_printed += lines;
            else lines_not_printed += lines;
            used = lines = 0;
        }
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%02d:%02d:%02d.%06lld len %u%s %s\n", tm.tm_hour, tm.tm_min,
                                 tm.tm_sec, (long long)(d->TimeStamp % 1000000), (unsigned)d->FrameLength,
                                 d->nBytesAvail < d->FrameLength ? " (clipped)" : "", proto);
        lines++;
    }
    if (ev.FramesDropped)
        used += (size_t)snprintf(buf + used, sizeof buf - used, "-- %u frames dropped (this terminal or pipe was too slow)\n",
                                 (unsigned)ev.FramesDropped);
    if (out_write(buf, used) == 0) frames_printed += lines;
    else lines_not_printed += lines;
    return 0;
}

static void usage(void) {
    fprintf(stderr, "usage: nmcap [-i IFACE | -r FILE|-] [-w OUT|-] [-F netmon2|pcap|pcapng] [-c COUNT] [-d SECONDS]\n"
                    "             [-s SNAPLEN] [-B BUFFER_BYTES] [-p] [-q] [-S] [-R]\n"
                    "-r FILE: replay FILE (- = standard input) to its end; -w -: pcap (or -F pcapng) to standard output\n"
                    "-R: print each frame as it arrives (time, length, protocol) instead of writing a file\n"
                    "       nmcap --repair FILE...   repair damaged capture files, keeping every readable frame (exit 2 if one fails)\n"
                    "exit status: 0 captured until -c, -d or Ctrl-C; 1 usage; 2 failure (the capture could\n"
                    "               not start, or the file could not be moved to OUT);\n"
                    "             3 the capture ended by itself otherwise (write error or full disk, interface\n"
                    "               gone, file size limit) or its file could not be finished: the reason is printed;\n"
                    "             4 no permission to capture (CAP_NET_RAW)\n");
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

/* nmcap --repair FILE...: repairs damaged capture files (ndisnpp_repair_capture_ex) and prints
 * per file what was kept and dropped, or why it was left as it is. */
static int repair_files(int n, char **files) {
    int status = EXIT_OK, i;
    for (i = 0; i < n; i++) {
        NDISNPP_REPAIR_RESULT r;
        memset(&r, 0, sizeof r);
        r.StructSize = sizeof r;
        DWORD rc = ndisnpp_repair_capture_ex(files[i], &r);
        if (rc == NMERR_SUCCESS) {
            printf("%s: %s\n", files[i], r.Detail);
        } else {
            fprintf(stderr, "nmcap: %s: %s (%s)\n", files[i], r.Detail[0] ? r.Detail : nmerr_text(rc), nmerr_name(rc));
            status = EXIT_FAILED;
        }
    }
    return status;
}

/* The command line of a capture (everything but --repair). */
struct options {
    const char *iface;   /* -i (lo when neither -i nor -r is given) */
    const char *replay;  /* -r */
    const char *out;     /* -w */
    const char *format;  /* -F, NPP:Config:FileFormat */
    int format_given;    /* -F was given */
    int to_stdout;       /* -w -: the capture goes to standard output */
    unsigned long count, snaplen, bufsize;  /* -c, -s, -B; 0 = not given */
    double duration;     /* -d; 0 = until Ctrl-C */
    int promisc, quiet, no_stats_frame, realtime;  /* !-p, -q, -S, -R */
};

/* Parses the capture options into `o`, with their defaults. EXIT_OK, or EXIT_USAGE after printing
 * the usage. */
static int parse_options(int argc, char **argv, struct options *o) {
    int opt;
    o->iface = NULL;
    o->replay = NULL;
    o->out = NULL;
    o->format = "NETMON2";
    o->format_given = o->to_stdout = 0;
    o->count = o->snaplen = o->bufsize = 0;
    o->duration = -1;
    o->promisc = 1;
    o->quiet = o->no_stats_frame = o->realtime = 0;
    while ((opt = getopt(argc, argv, "i:r:w:F:c:d:s:B:pqSRh")) != -1) {
        switch (opt) {
        case 'i': o->iface = optarg; break;
        case 'r': o->replay = optarg; break;
        case 'w': o->out = optarg; break;
        case 'F': o->format = optarg; o->format_given = 1; break;
        case 'c': o->count = strtoul(optarg, NULL, 10); break;
        case 'd': o->duration = atof(optarg); break;
        case 's': o->snaplen = strtoul(optarg, NULL, 10); break;
        case 'B': o->bufsize = strtoul(optarg, NULL, 10); break;
        case 'p': o->promisc = 0; break;
        case 'q': o->quiet = 1; break;
        case 'S': o->no_stats_frame = 1; break;
        case 'R': o->realtime = 1; break;
        default: usage(); return EXIT_USAGE;
        }
    }
    if (optind != argc || (o->iface && o->replay) || (o->realtime && o->out)) { usage(); return EXIT_USAGE; }
    if (!o->iface && !o->replay) o->iface = "lo";
    /* A replay ends at the end of its input (NPP:Config:ReplayEndAtEof): no default duration. */
    if (o->duration < 0) o->duration = (o->count || o->replay) ? 0 : 10;
    if (o->out && strcmp(o->out, "-") == 0) {
        /* A stream cannot be sought back into: pcap (the default here) or pcapng only. */
        o->to_stdout = 1;
        if (!o->format_given) o->format = "PCAP";
        if (strcasecmp(o->format, "NETMON2") == 0) {
            fprintf(stderr, "nmcap: -w - -F netmon2: a Network Monitor 2 file cannot be written to a stream (the format "
                            "seeks back to complete its header and frame table at the end); use -F pcap or -F pcapng\n");
            return EXIT_USAGE;
        }
    }
    return EXIT_OK;
}

/* One capture: what main creates (and capture_destroy releases), and the calls that differ between
 * the file (IESP) and the real-time (IRTC) family. */
struct capture {
    HBLOB nic, err;  /* the NIC BLOB with the configuration; Connect's error BLOB */
    HNPP npp;
    char name[4096];  /* the file esp_start names (then OUT, once moved there) */
    char outpath[PATH_MAX + 256];  /* -w: OUT's name in its resolved directory */
    DWORD (*control)(HNPP, BOOL *, BOOL *);
    DWORD (*stats_ex)(HNPP, LPSTATISTICS_EX);
    DWORD (*disconnect)(HNPP);
};

/* How the capture ended, for the report. */
struct ending {
    int progress;         /* a progress line was shown (stderr is a terminal, no -q) */
    int ended_by_itself;  /* it ended before -d, Ctrl-C or SIGTERM */
    int end_known;        /* the status callback recorded a stop event (end_value) */
    DWORD stop_rc;        /* what <family>_stop answered */
    STATISTICS_EX ex;     /* the final statistics */
};

/* Creates the NIC BLOB, with the configuration, and the error BLOB: the first call that fails ends
 * nmcap. EXIT_OK, or EXIT_FAILED after saying why. */
static int build_nic_blob(const struct options *o, struct capture *c) {
    DWORD rc = CreateBlob(&c->nic);
    if (rc == NMERR_SUCCESS) rc = CreateBlob(&c->err);
    if (rc == NMERR_SUCCESS)
        rc = o->replay ? SetStringInBlob(c->nic, OWNER_NPP, CATEGORY_LOCATION, TAG_REPLAY_FILE, o->replay)
                       : SetStringInBlob(c->nic, OWNER_NPP, CATEGORY_LOCATION, TAG_NAME, o->iface);
    if (rc == NMERR_SUCCESS) rc = SetStringInBlob(c->nic, OWNER_NPP, CATEGORY_CONFIG, TAG_FILE_FORMAT, o->format);
    if (rc == NMERR_SUCCESS && o->count) rc = SetDwordInBlob(c->nic, OWNER_NPP, CATEGORY_CONFIG, TAG_FRAME_LIMIT, (DWORD)o->count);
    if (rc == NMERR_SUCCESS && o->snaplen) rc = SetDwordInBlob(c->nic, OWNER_NPP, CATEGORY_CONFIG, TAG_FRAME_SIZE, (DWORD)o->snaplen);
    if (rc == NMERR_SUCCESS && o->bufsize) rc = SetDwordInBlob(c->nic, OWNER_NPP, CATEGORY_CONFIG, TAG_BUFFER_SIZE, (DWORD)o->bufsize);
    if (rc == NMERR_SUCCESS) rc = SetBoolInBlob(c->nic, OWNER_NPP, CATEGORY_CONFIG, TAG_LOCAL_ONLY, !o->promisc);
    if (rc == NMERR_SUCCESS) rc = SetBoolInBlob(c->nic, OWNER_NPP, CATEGORY_CONFIG, TAG_DONT_DELETE_EMPTY_CAPTURE, TRUE);
    if (rc == NMERR_SUCCESS) rc = SetBoolInBlob(c->nic, OWNER_NPP, CATEGORY_CONFIG, TAG_NO_STATS_FRAME, o->no_stats_frame);
    if (rc == NMERR_SUCCESS && o->replay) rc = SetBoolInBlob(c->nic, OWNER_NPP, CATEGORY_CONFIG, TAG_REPLAY_END_AT_EOF, TRUE);
    if (rc == NMERR_SUCCESS && o->to_stdout)
        rc = SetStringInBlob(c->nic, OWNER_NPP, CATEGORY_CONFIG, TAG_CAPTURE_FILE_DESCRIPTOR, "1");
    else if (rc == NMERR_SUCCESS && o->out) {
        /* Write into the output's directory, so the final rename stays on one filesystem (the
         * library takes absolute capture directories only). */
        char outdir[4096], absdir[PATH_MAX], base[4096];
        snprintf(outdir, sizeof outdir, "%s", o->out);
        snprintf(base, sizeof base, "%s", o->out);
        if (!realpath(dirname(outdir), absdir)) {
            fprintf(stderr, "nmcap: %s: %s\n", o->out, strerror(errno));
            return EXIT_FAILED;
        }
        /* The file goes to OUT's name in that same (resolved, checked) directory at the end. */
        snprintf(c->outpath, sizeof c->outpath, "%s/%s", strcmp(absdir, "/") ? absdir : "", basename(base));
        rc = SetStringInBlob(c->nic, OWNER_NPP, CATEGORY_CONFIG, TAG_CAPTURE_DIRECTORY, absdir);
    }
    if (rc != NMERR_SUCCESS) {
        fprintf(stderr, "nmcap: cannot build the NIC BLOB: %s (%s)\n", nmerr_text(rc), nmerr_name(rc));
        return EXIT_FAILED;
    }
    return EXIT_OK;
}

/* Creates the NPP, connects it and starts the capture. EXIT_OK once it runs, else EXIT_FAILED or
 * EXIT_NO_PERMISSION after saying why. */
static int start_capture(const struct options *o, struct capture *c) {
    DWORD rc;
    if ((rc = npp_create(c->nic, &c->npp)) != NMERR_SUCCESS) {
        fprintf(stderr, "nmcap: npp_create: %s (%s)\n", nmerr_text(rc), nmerr_name(rc));
        return EXIT_FAILED;
    }
    if (pipe(wake_pipe) != 0) {
        wake_pipe[0] = wake_pipe[1] = -1;
    } else {
        for (int i = 0; i < 2; i++) {
            fcntl(wake_pipe[i], F_SETFD, FD_CLOEXEC);
            fcntl(wake_pipe[i], F_SETFL, O_NONBLOCK);
        }
    }
    c->control = o->realtime ? rtc_get_control_state : esp_get_control_state;
    c->stats_ex = o->realtime ? rtc_get_statistics_ex : esp_get_statistics_ex;
    c->disconnect = o->realtime ? rtc_disconnect : esp_disconnect;
    if (o->realtime) open_output();
    rc = o->realtime ? rtc_connect(c->npp, c->nic, on_status, on_frames, NULL, c->err) : esp_connect(c->npp, c->nic, on_status, NULL, c->err);
    const char *refused_dir = NULL;
    if (rc == NMERR_ACCESS_DENIED &&
        GetStringFromBlob(c->err, OWNER_NPP, CATEGORY_CONFIG, TAG_CAPTURE_DIRECTORY, &refused_dir) == NMERR_SUCCESS) {
        /* OUT's directory is one another user controls: the library says why (NPP:Error:Detail). */
        fprintf(stderr, "nmcap: cannot write into %s: %s (%s)\n", refused_dir, nmerr_text(rc), nmerr_name(rc));
        print_error_blob(c->err);
        return EXIT_FAILED;
    }
    if (rc == NMERR_ACCESS_DENIED) {
        fprintf(stderr, "nmcap: cannot capture on %s: this process lacks CAP_NET_RAW "
                        "(run it as root, or grant it: setcap cap_net_raw,cap_net_admin+ep nmcap)\n", o->iface);
        print_error_blob(c->err);
        return EXIT_NO_PERMISSION;
    }
    if (rc != NMERR_SUCCESS) {
        fprintf(stderr, "nmcap: cannot open %s: %s (%s)\n",
                o->replay ? (strcmp(o->replay, "-") ? o->replay : "standard input") : o->iface, nmerr_text(rc), nmerr_name(rc));
        print_error_blob(c->err);
        return EXIT_FAILED;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    c->name[0] = '\0';
    if ((rc = o->realtime ? rtc_start(c->npp) : esp_start(c->npp, c->name, sizeof c->name)) != NMERR_SUCCESS) {
        char detail[1024] = "";
        if (npp_get_error_detail(c->npp, detail, sizeof detail) != NMERR_SUCCESS) detail[0] = '\0';
        fprintf(stderr, "nmcap: %s: %s (%s)%s%s\n", o->realtime ? "rtc_start" : "esp_start", nmerr_text(rc), nmerr_name(rc),
                detail[0] ? ": " : "", detail);
        return EXIT_FAILED; /* npp_destroy disconnects */
    }
    return EXIT_OK;
}

/* Waits until the capture ends by itself, -d's SECONDS pass, or Ctrl-C / SIGTERM, showing the
 * progress line if asked. */
static void wait_for_end(const struct options *o, const struct capture *c, struct ending *e) {
    e->progress = !o->quiet && isatty(2);
    double t0 = now_s(), last = 0;
    e->ended_by_itself = 0;
    STATISTICS_EX ex;
    for (;;) {
        BOOL running = FALSE, paused = FALSE;
        struct pollfd wake = {wake_pipe[0], POLLIN, 0};
        if (__atomic_load_n(&end_seen, __ATOMIC_ACQUIRE) ||
            c->control(c->npp, &running, &paused) != NMERR_SUCCESS || !running) {
            e->ended_by_itself = 1;
            break;
        }
        if (interrupted || (o->duration > 0 && now_s() - t0 >= o->duration)) break;
        if (e->progress && now_s() - last >= 0.25) {
            memset(&ex, 0, sizeof ex);
            ex.StructSize = sizeof ex;
            if (c->stats_ex(c->npp, &ex) == NMERR_SUCCESS)
                fprintf(stderr, "\r%llu frames  %llu bytes  %llu dropped  %.1f s   ",
                        (unsigned long long)ex.FramesCaptured, (unsigned long long)ex.BytesCaptured,
                        (unsigned long long)(ex.KernelFramesDropped + ex.FramesDropped), now_s() - t0);
            last = now_s();
        }
        poll(&wake, 1, 50); /* the callback, a signal (EINTR) or 50 ms */
    }
}

/* Stops and disconnects the capture, waits for the status callback's last event, and gathers the
 * final statistics into `e`. */
static void stop_capture(const struct options *o, const struct capture *c, struct ending *e) {
    DWORD rc;
    /* After a capture that ended by itself Stop answers NMERR_NOT_CAPTURING (the callback got the
     * statistics); NMERR_FILE_WRITE_ERROR means the file could not be finished (statistics filled). */
    STATISTICS st;
    e->stop_rc = o->realtime ? rtc_stop(c->npp) : esp_stop(c->npp, &st);
    if (o->realtime && e->stop_rc == NMERR_SUCCESS && rtc_get_total_statistics(c->npp, &st, FALSE) != NMERR_SUCCESS) memset(&st, 0, sizeof st);
    int have_stop_stats = e->stop_rc == NMERR_SUCCESS || e->stop_rc == NMERR_FILE_WRITE_ERROR;
    if (e->stop_rc == NMERR_NOT_CAPTURING) e->ended_by_itself = 1;
    memset(&e->ex, 0, sizeof e->ex);
    e->ex.StructSize = sizeof e->ex;
    int have_ex = c->stats_ex(c->npp, &e->ex) == NMERR_SUCCESS;
    if ((rc = c->disconnect(c->npp)) != NMERR_SUCCESS)
        fprintf(stderr, "nmcap: disconnect: %s (%s)\n", nmerr_text(rc), nmerr_name(rc));
    /* Disconnect ends the callback thread with UPDATE_EVENT_TERMINATE_THREAD after the events
     * queued before it: once that arrived, the stop event (if any) has been recorded. */
    for (double t = now_s(); !__atomic_load_n(&callback_done, __ATOMIC_ACQUIRE) && now_s() - t < 2;) {
        struct pollfd wake = {wake_pipe[0], POLLIN, 0};
        char drain[64];
        if (poll(&wake, 1, 20) > 0) {
            ssize_t n = read(wake_pipe[0], drain, sizeof drain);
            (void)n;
        }
    }
    e->end_known = __atomic_load_n(&end_seen, __ATOMIC_ACQUIRE);
    if (!have_ex) {
        /* The 32-bit statistics: from Stop, else from the stop event. */
        const STATISTICS *s = have_stop_stats ? &st : e->end_known && end_has_stats ? &end_stats : NULL;
        if (s) {
            e->ex.TimeElapsed = s->TimeElapsed;
            e->ex.FramesCaptured = s->TotalFramesCaptured;
            e->ex.BytesCaptured = s->TotalBytesCaptured;
            e->ex.FramesSeen = s->TotalFramesSeen;
            e->ex.FramesDropped = s->TotalFramesDropped;
            e->ex.KernelFramesDropped = s->MacFramesDropped_NoBuffers;
        }
    }
}

/* Says how the capture ended, moves the file to OUT (-w), prints the file name and the
 * statistics (-R: the statistics on stderr). The exit status. */
static int report_end(const struct options *o, struct capture *c, const struct ending *e) {
    DWORD rc;
    int status;
    const STATISTICS_EX *ex = &e->ex;
    if (e->progress) fprintf(stderr, "\n");
    status = EXIT_OK;
    char detail[1024] = "";
    if (npp_get_error_detail(c->npp, detail, sizeof detail) != NMERR_SUCCESS) detail[0] = '\0';
    if (e->end_known && end_value != NMERR_SUCCESS) {
        /* Full disk, interface gone, file size limit, a cut replay: say why (in the library's
         * words too), with the statistics below. */
        fprintf(stderr, "nmcap: capture ended: %s (%s)\n", nmerr_text(end_value), nmerr_name(end_value));
        if (detail[0]) fprintf(stderr, "nmcap: %s\n", detail);
        status = EXIT_ENDED;
    } else if (e->stop_rc == NMERR_FILE_WRITE_ERROR) {
        fprintf(stderr, "nmcap: capture ended: %s (%s) while finishing the file\n",
                nmerr_text(e->stop_rc), nmerr_name(e->stop_rc));
        status = EXIT_ENDED;
    } else if (e->stop_rc != NMERR_SUCCESS && e->stop_rc != NMERR_NOT_CAPTURING) {
        fprintf(stderr, "nmcap: stop: %s (%s)\n", nmerr_text(e->stop_rc), nmerr_name(e->stop_rc));
        status = EXIT_FAILED;
    } else if (e->ended_by_itself && !e->end_known && !(o->count && ex->FramesCaptured >= o->count)) {
        fprintf(stderr, "nmcap: capture ended by itself; the library gave no reason\n");
        status = EXIT_ENDED;
    }
    if (o->realtime) {
        if (lines_not_printed)
            fprintf(stderr, "nmcap: %llu frames not printed: standard output was not read when the capture was interrupted\n",
                    lines_not_printed);
        fprintf(stderr, "%llu frames printed; frames delivered %llu, seen %llu, dropped %llu (kernel %llu), %.3f s\n",
                frames_printed, (unsigned long long)ex->FramesCaptured, (unsigned long long)ex->FramesSeen,
                (unsigned long long)ex->FramesDropped, (unsigned long long)ex->KernelFramesDropped, (double)ex->TimeElapsed / 1e6);
        return status;
    }
    if (o->to_stdout) {
        /* Standard output carries the capture: the summary goes to standard error. */
        fprintf(stderr, "(standard output)\n");
        fprintf(stderr, "frames captured %llu, bytes %llu, seen %llu, dropped %llu (kernel %llu), %.3f s\n",
                (unsigned long long)ex->FramesCaptured, (unsigned long long)ex->BytesCaptured,
                (unsigned long long)ex->FramesSeen, (unsigned long long)ex->FramesDropped,
                (unsigned long long)ex->KernelFramesDropped, (double)ex->TimeElapsed / 1e6);
        return status;
    }
    if (o->out) {
        /* Checked again and moved without following or blindly replacing what another user put
         * there; on failure the capture stays under its name. */
        HBLOB why = NULL;
        const char *detail = NULL;
        if (CreateBlob(&why) != NMERR_SUCCESS) why = NULL;
        if ((rc = ndisnpp_move_capture(c->name, c->outpath, why)) != NMERR_SUCCESS) {
            if (!why || GetStringFromBlob(why, OWNER_NPP, "Error", "Detail", &detail) != NMERR_SUCCESS) detail = nmerr_text(rc);
            fprintf(stderr, "nmcap: cannot move %s to %s: %s (%s); the capture is in %s\n", c->name, o->out, detail, nmerr_name(rc), c->name);
            if (why) DestroyBlob(why);
            return EXIT_FAILED;
        }
        if (why) DestroyBlob(why);
        snprintf(c->name, sizeof c->name, "%s", o->out);
    }
    printf("%s\n", c->name);
    printf("frames captured %llu, bytes %llu, seen %llu, dropped %llu (kernel %llu), %.3f s\n",
           (unsigned long long)ex->FramesCaptured, (unsigned long long)ex->BytesCaptured,
           (unsigned long long)ex->FramesSeen, (unsigned long long)ex->FramesDropped,
           (unsigned long long)ex->KernelFramesDropped, (double)ex->TimeElapsed / 1e6);
    return status;
}

/* Destroys the NPP (which stops and disconnects as needed) and the BLOBs. */
static void capture_destroy(struct capture *c) {
    DWORD rc;
    /* Nothing is left to lose here, but a failure still says something is wrong. */
    if (c->npp && (rc = npp_destroy(c->npp)) != NMERR_SUCCESS)
        fprintf(stderr, "nmcap: npp_destroy: %s (%s)\n", nmerr_text(rc), nmerr_name(rc));
    if (c->nic && (rc = DestroyBlob(c->nic)) != NMERR_SUCCESS)
        fprintf(stderr, "nmcap: DestroyBlob: %s (%s)\n", nmerr_text(rc), nmerr_name(rc));
    if (c->err && (rc = DestroyBlob(c->err)) != NMERR_SUCCESS)
        fprintf(stderr, "nmcap: DestroyBlob: %s (%s)\n", nmerr_text(rc), nmerr_name(rc));
}

int main(int argc, char **argv) {
    struct options o;
    struct capture c;
    struct ending e;
    int status;
    if (argc >= 2 && strcmp(argv[1], "--repair") == 0) {
        if (argc == 2) { usage(); return EXIT_USAGE; }
        return repair_files(argc - 2, argv + 2);
    }
    if ((status = parse_options(argc, argv, &o)) != EXIT_OK) return status;
    memset(&c, 0, sizeof c);
    status = build_nic_blob(&o, &c);
    if (status == EXIT_OK) status = start_capture(&o, &c);
    if (status == EXIT_OK) {
        memset(&e, 0, sizeof e);
        wait_for_end(&o, &c, &e);
        stop_capture(&o, &c, &e);
        status = report_end(&o, &c, &e);
    }
    capture_destroy(&c);
    return status;
}
