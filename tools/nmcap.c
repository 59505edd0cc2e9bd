/* nmcap: capture frames into a Network Monitor 2, pcap or pcapng file through ndisnpp (IESP), or
 * print one line per frame as it arrives (-R: IRTC, like tcpdump without -w).
 *
 *   nmcap [-i IFACE | -r FILE] [-w OUT] [-F netmon2|pcap|pcapng] [-c COUNT] [-d SECONDS]
 *         [-s SNAPLEN] [-B SIZE] [-C SIZE] [-W FILES] [-G SECONDS] [-p] [-q] [-S] [-R]
 *         [EXPRESSION]
 *   nmcap --repair FILE...
 *   nmcap -h | --help | --version
 *
 * Every option, its default and the exit status: `nmcap --help` (help_text below) and
 * man/nmcap.1, which ctests/tool_man.sh keeps in step. The exit status table is
 * tools/exit_codes.h, shared with nmlist.
 *
 * main is split into parse_options (the command line, checked before anything starts: a bad
 * value, an unknown option or two options that cannot go together exit 2 with a message naming
 * the option), build_nic_blob (the NIC BLOB and its configuration), start_capture, wait_for_end
 * and stop_capture (running), and report_end (the file name, the statistics, the status).
 * -w OUT: the capture is written into OUT's directory, which must be one no other user controls
 * (owned by this user or root, not writable by group or others unless sticky: else exit 1 with
 * the reason), then moved to OUT with ndisnpp_move_capture: an OUT of this user is replaced
 * (never written through a symlink), one of another user is not (exit 1, the capture stays under
 * the library's name, printed).
 * Written against include/netmon.h only (and libc: getifaddrs for the default interface). */
#define _GNU_SOURCE /* getopt_long, getifaddrs */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <libgen.h>
#include <limits.h>
#include "netmon.h"
#include "nmcap_remote.h"
#include "exit_codes.h"

static volatile sig_atomic_t interrupted = 0;
static void on_signal(int sig) { (void)sig; interrupted = 1; }

enum {
    EXIT_OK = NM_EXIT_OK,
    EXIT_FAILED = NM_EXIT_FAILED,
    EXIT_USAGE = NM_EXIT_USAGE,
    EXIT_ENDED = NM_EXIT_ENDED,
    EXIT_NO_PERMISSION = NM_EXIT_NO_PERMISSION
};

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

/* Rotation: the name of each file on stdout, in order. The main thread prints the first (from
 * esp_start) and then sets first_printed; the callback prints the others (NDISNPP_FILE_STARTED),
 * waiting for the first if a new file came before main printed it. */
static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t first_done = PTHREAD_COND_INITIALIZER;
static int first_printed;

static void print_first_name(const char *name) {
    pthread_mutex_lock(&print_lock);
    printf("%s\n", name);
    fflush(stdout);
    first_printed = 1;
    pthread_cond_broadcast(&first_done);
    pthread_mutex_unlock(&print_lock);
}

static DWORD on_status(UPDATE_EVENT ev) {
    if (ev.Event == UPDATE_EVENT_NETWORK_STATUS && ev.Action == UPDATE_ACTION_NOTIFY && ev.Value == NDISNPP_FILE_STARTED) {
        pthread_mutex_lock(&print_lock);
        while (!first_printed) pthread_cond_wait(&first_done, &print_lock);
        if (ev.lpReserved) printf("%s\n", (const char *)ev.lpReserved);
        fflush(stdout);
        pthread_mutex_unlock(&print_lock);
    } else if (ev.Event == UPDATE_EVENT_TERMINATE_THREAD) {
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

#define USAGE_LINES                                                                                  \
    "usage: nmcap [-i IFACE | -r FILE|-] [-w OUT|-] [-F netmon2|pcap|pcapng] [-c COUNT] [-d SECONDS]\n" \
    "             [-s SNAPLEN] [-B SIZE] [-C SIZE] [-W FILES] [-G SECONDS] [-p] [-q] [-S] [-R]\n"     \
    "             [EXPRESSION]\n"                                                                    \
    "       nmcap --repair FILE...\n"                                                                \
    "       nmcap -h | --help | --version\n"

/* --help: every option (one line each starting with "  -", as ctests/tool_man.sh reads them),
 * its default, and the exit status. */
static void help(void) {
    printf(USAGE_LINES
           "\n"
           "Captures frames into a Network Monitor 2, pcap or pcapng file through the ndisnpp library\n"
           "(IESP), or prints one line per frame as it arrives (-R, IRTC). See nmcap(1).\n"
           "\n"
           "Options:\n"
           "  -i IFACE     capture on IFACE (nmlist lists them); ssh://[user@]host[:port]/IFACE\n"
           "               captures IFACE of another host over ssh (ndisnpp's nmcap installed there;\n"
           "               nmlist --remote lists its interfaces). Default: the first interface in the\n"
           "               library's list (nmlist's order) that is up and not a loopback, as tcpdump\n"
           "               picks it; lo when there is none. nmcap names the interface it picked.\n"
           "  -r FILE      replay the frames of a pcap or pcapng FILE instead (no privilege needed),\n"
           "               to its end; - replays standard input (a pipe: pcap or pcapng); not with -i\n"
           "  -w OUT       write the capture to OUT, a file name (not a directory). Default: the\n"
           "               library's name nm-<16 hex digits>.cap/.pcap/.pcapng in its capture\n"
           "               directory ($NETMON_CAPTURE_DIR, else $TMPDIR/netmon), printed at the end.\n"
           "               - writes to standard output (pcap, or pcapng with -F pcapng; not netmon2,\n"
           "               which seeks), the summary then on stderr; not with -R\n"
           "  -F FORMAT    file format: netmon2 (default), pcap or pcapng (any case); not with -R\n"
           "  -c COUNT     stop after COUNT frames, a whole number from 1 to 4294967295. Default: no\n"
           "               frame limit\n"
           "  -d SECONDS   stop after SECONDS, a number from 0 to 2147483647 (fractions allowed:\n"
           "               0.5); 0 = until Ctrl-C or SIGTERM. Default: 10, or 0 when -c or -r is\n"
           "               given (a replay ends at the end of its input)\n"
           "  -s SNAPLEN   bytes stored per frame, 0 to 262144; 0 = the whole frame. Default: 0\n"
           "  -B SIZE      kernel buffer size in bytes, 0 to 1073741824 (1 GiB), with an optional\n"
           "               K, M or G suffix (times 1024, 1024^2, 1024^3); 0 = libpcap's 2 MiB.\n"
           "               Default: 0\n"
           "  -p           do not put the interface into promiscuous mode. Default: promiscuous\n"
           "  -q           no progress line. Default: a progress line when stderr is a terminal\n"
           "  -S           no Network Monitor statistics frame at the end of a netmon2 file.\n"
           "               Default: the frame is written (netmon2 only); not with -R\n"
           "  -R           real time: no file; print each frame on stdout as it arrives,\n"
           "               \"HH:MM:SS.uuuuuu len N <protocol>\" (UTC), the statistics on stderr at\n"
           "               the end; not with -w, -F or -S\n"
           "  -C SIZE      rotation: a new file before the frame that would take the current one past\n"
           "               SIZE: millions of bytes, or a number with a k, m or g suffix (KiB, MiB,\n"
           "               GiB); 4096 bytes to 1 TiB. Files: OUT's name (-w) without its extension +\n"
           "               _<00001...>_<start time UTC>.<ext>, each printed as it starts. Default: one file\n"
           "  -G SECONDS   rotation: a new file once the current one is SECONDS old, 1 to 31622400.\n"
           "               Default: one file\n"
           "  -W FILES     keep only the newest FILES files (1 to 100000), deleting the oldest; needs\n"
           "               -C or -G (unlike tcpdump's -G -W, it never stops the capture). Default: all\n"
           "  -h, --help   print this help and exit (status 0)\n"
           "  --version    print the version of the ndisnpp library and exit (status 0)\n"
           "  --repair FILE...\n"
           "               repair damaged capture files (cut off by a crash, a damaged record),\n"
           "               keeping every readable frame; prints per file what was kept\n"
           "\n"
           "EXPRESSION (after the options): a pcap-filter(7) expression, as tcpdump takes it (the\n"
           "arguments joined with spaces): only the frames that pass it are captured\n"
           "(NPP:Config:BpfFilter); one libpcap cannot compile is a usage error. Default: none\n"
           "\n"
           "Exit status (the same table for nmcap and nmlist):\n" NM_EXIT_TABLE);
}

/* A usage error: the reason (printf-style, may be NULL), the usage lines, a pointer to --help. */
static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...) {
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "nmcap: ");
        vfprintf(stderr, fmt, ap);
        fprintf(stderr, "\n");
        va_end(ap);
    }
    fprintf(stderr, USAGE_LINES "Try 'nmcap --help' for every option.\n");
    return EXIT_USAGE;
}

/* Strict numbers: decimal digits only (no sign, space, base prefix), within [min, max]; with
 * `suffixes`, one optional K, M or G (1024-based). 0, or -1 after saying which option is wrong,
 * why, and what it takes (`what`). */
static int parse_count(char opt, const char *arg, unsigned long long min, unsigned long long max, int suffixes,
                       const char *what, unsigned long long *out) {
    const char *p = arg;
    unsigned long long v = 0, mult = 1;
    if (*p < '0' || *p > '9') goto not_number;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (~0ULL - (unsigned)(*p - '0')) / 10) goto out_of_range;
        v = v * 10 + (unsigned)(*p - '0');
    }
    if (*p && suffixes && !p[1]) {
        switch (*p) {
        case 'k': case 'K': mult = 1ULL << 10; break;
        case 'm': case 'M': mult = 1ULL << 20; break;
        case 'g': case 'G': mult = 1ULL << 30; break;
        default: goto not_number;
        }
        p++;
        if (v > ~0ULL / mult) goto out_of_range;
        v *= mult;
    }
    if (*p) goto not_number;
    if (v < min || v > max) goto out_of_range;
    *out = v;
    return 0;
not_number:
    usage_error("-%c %s: not a whole number; expected %s", opt, arg, what);
    return -1;
out_of_range:
    usage_error("-%c %s: out of range; expected %s", opt, arg, what);
    return -1;
}

/* -d: digits with at most one '.', from 0 to 2147483647 seconds. */
static int parse_seconds(char opt, const char *arg, double *out) {
    const char *what = "a number of seconds from 0 to 2147483647 (0 = until Ctrl-C)";
    int digits = 0, dots = 0;
    const char *p;
    for (p = arg; *p; p++) {
        if (*p >= '0' && *p <= '9') digits++;
        else if (*p == '.' && !dots) dots++;
        else break;
    }
    if (*p || !digits) {
        usage_error("-%c %s: not a number; expected %s", opt, arg, what);
        return -1;
    }
    double v = strtod(arg, NULL);
    if (!(v >= 0 && v <= 2147483647.0)) {
        usage_error("-%c %s: out of range; expected %s", opt, arg, what);
        return -1;
    }
    *out = v;
    return 0;
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
    const char *iface;   /* -i, else the default interface (default_interface) */
    int iface_picked;    /* no -i or -r: 1 = nmcap picked an interface up, 2 = none: lo */
    const char *replay;  /* -r */
    const char *out;     /* -w */
    const char *format;  /* -F, NPP:Config:FileFormat */
    int format_given;    /* -F was given */
    int to_stdout;       /* -w -: the capture goes to standard output */
    unsigned long count, snaplen, bufsize;  /* -c, -s, -B; 0 = not given */
    double duration;     /* -d; 0 = until Ctrl-C */
    int promisc, quiet, no_stats_frame, realtime;  /* !-p, -q, -S, -R */
    char **expr_args;    /* the pcap-filter expression: the arguments after the options */
    int n_expr_args;
    unsigned long long rotate_bytes;  /* -C in bytes; 0 = not given */
    unsigned long rotate_seconds, rotate_files;  /* -G, -W; 0 = not given */
};

/* The arguments argv[from..argc-1] joined with spaces, as tcpdump joins its expression (NULL
 * when there are none, or out of memory). */
static char *join_args(int argc, char **argv, int from) {
    size_t len = 1;
    char *s;
    int i;
    if (from >= argc) return NULL;
    for (i = from; i < argc; i++) len += strlen(argv[i]) + 1;
    if (!(s = malloc(len))) return NULL;
    s[0] = '\0';
    for (i = from; i < argc; i++) {
        if (i > from) strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

/* Parses `s` as a decimal number of digits only (no sign, no space) up to `max`. 0 on success. */
static int parse_decimal(const char *s, unsigned long long max, unsigned long long *v) {
    unsigned long long n = 0;
    if (!*s) return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return -1;
        if (n > (max - (unsigned long long)(*s - '0')) / 10) return -1;
        n = n * 10 + (unsigned long long)(*s - '0');
    }
    *v = n;
    return 0;
}

/* -C as tcpdump reads it: millions of bytes, or with a k/K, m/M or g/G suffix KiB, MiB or GiB;
 * the result in bytes, within the library's bounds. 0 on success. */
static int parse_rotate_size(const char *s, unsigned long long *bytes) {
    char digits[32];
    size_t len = strlen(s);
    unsigned long long unit = 1000000ULL, n;
    if (len == 0 || len >= sizeof digits) return -1;
    memcpy(digits, s, len + 1);
    switch (digits[len - 1]) {
    case 'k': case 'K': unit = 1024ULL; digits[--len] = '\0'; break;
    case 'm': case 'M': unit = 1048576ULL; digits[--len] = '\0'; break;
    case 'g': case 'G': unit = 1073741824ULL; digits[--len] = '\0'; break;
    default: break;
    }
    if (parse_decimal(digits, NDISNPP_ROTATE_BYTES_MAX / unit, &n) != 0) return -1;
    n *= unit;
    if (n < NDISNPP_ROTATE_BYTES_MIN || n > NDISNPP_ROTATE_BYTES_MAX) return -1;
    *bytes = n;
    return 0;
}

/* The default interface, as tcpdump picks it: the first interface in the library's list
 * (GetNPPBlobTable, which keeps libpcap's pcap_findalldevs order) that the kernel reports up
 * (IFF_UP) and not a loopback (IFF_LOOPBACK); pseudo-devices (any, nflog, ...) are not kernel
 * interfaces and are skipped. "lo" when there is none. The name is copied into `buf`. */
static const char *default_interface(char *buf, size_t size, int *found_one) {
    PBLOB_TABLE table = NULL;
    struct ifaddrs *ifs = NULL;
    snprintf(buf, size, "lo");
    if (getifaddrs(&ifs) != 0) ifs = NULL;
    if (GetNPPBlobTable(NULL, &table) != NMERR_SUCCESS) table = NULL;
    int found = 0;
    for (DWORD i = 0; table && i < table->dwNumBlobs; i++) {
        const char *name = NULL;
        if (!found && GetStringFromBlob(table->hBlobs[i], OWNER_NPP, CATEGORY_LOCATION, TAG_NAME, &name) == NMERR_SUCCESS) {
            for (struct ifaddrs *a = ifs; a; a = a->ifa_next) {
                if (strcmp(a->ifa_name, name) == 0 && (a->ifa_flags & IFF_UP) && !(a->ifa_flags & IFF_LOOPBACK)) {
                    snprintf(buf, size, "%s", name);
                    found = 1;
                    break;
                }
            }
        }
        DestroyBlob(table->hBlobs[i]);
    }
    if (table) FreeBlobTable(table);
    if (ifs) freeifaddrs(ifs);
    *found_one = found;
    return buf;
}

/* Parses the capture options into `o`, with their defaults, and checks them before anything
 * starts. EXIT_OK; EXIT_USAGE after saying what is wrong (the option named); or -1 when --help or
 * --version was answered (exit 0). */
static int parse_options(int argc, char **argv, struct options *o) {
    static const struct option longs[] = {{"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0}};
    static char picked[IF_NAMESIZE + 64];
    unsigned long long v;
    int opt, format_given = 0;
    o->iface = NULL;
    o->iface_picked = 0;
    o->replay = NULL;
    o->out = NULL;
    o->format = "NETMON2";
    o->format_given = o->to_stdout = 0;
    o->count = o->snaplen = o->bufsize = 0;
    o->duration = -1;
    o->promisc = 1;
    o->quiet = o->no_stats_frame = o->realtime = 0;
    o->rotate_bytes = 0;
    o->expr_args = NULL;
    o->n_expr_args = 0;
    o->rotate_seconds = o->rotate_files = 0;
    opterr = 0; /* the messages below name the option */
    while ((opt = getopt_long(argc, argv, "+:i:r:w:F:c:d:s:B:C:W:G:pqSRh", longs, NULL)) != -1) {
        unsigned long long n;
        switch (opt) {
        case 'i': o->iface = optarg; break;
        case 'r': o->replay = optarg; break;
        case 'w': o->out = optarg; break;
        case 'F':
            if (strcasecmp(optarg, "netmon2") && strcasecmp(optarg, "pcap") && strcasecmp(optarg, "pcapng"))
                return usage_error("-F %s: unknown file format; expected netmon2, pcap or pcapng", optarg);
            o->format = optarg;
            format_given = 1;
            o->format_given = 1;
            break;
        case 'c':
            if (parse_count('c', optarg, 1, 4294967295ULL, 0, "a number of frames from 1 to 4294967295", &v)) return EXIT_USAGE;
            o->count = (unsigned long)v;
            break;
        case 'd':
            if (parse_seconds('d', optarg, &o->duration)) return EXIT_USAGE;
            break;
        case 's':
            if (parse_count('s', optarg, 0, 262144, 0, "a number of bytes from 0 to 262144 (0 = the whole frame)", &v)) return EXIT_USAGE;
            o->snaplen = (unsigned long)v;
            break;
        case 'B':
            if (parse_count('B', optarg, 0, NDISNPP_MAX_BUFFER_SIZE, 1,
                            "a number of bytes from 0 to 1073741824, with an optional K, M or G suffix", &v))
                return EXIT_USAGE;
            o->bufsize = (unsigned long)v;
            break;
        case 'p': o->promisc = 0; break;
        case 'q': o->quiet = 1; break;
        case 'S': o->no_stats_frame = 1; break;
        case 'R': o->realtime = 1; break;
        case 'C':
            if (parse_rotate_size(optarg, &o->rotate_bytes) != 0)
                return usage_error("-C %s: a file size of %llu bytes to 1 TiB is needed: millions of bytes, or a number with a k, m or g suffix (KiB, MiB, GiB)",
                                   optarg, (unsigned long long)NDISNPP_ROTATE_BYTES_MIN);
            break;
        case 'G':
            if (parse_decimal(optarg, NDISNPP_ROTATE_SECONDS_MAX, &n) != 0 || n == 0)
                return usage_error("-G %s: a number of seconds from 1 to %u is needed", optarg, (unsigned)NDISNPP_ROTATE_SECONDS_MAX);
            o->rotate_seconds = (unsigned long)n;
            break;
        case 'W':
            if (parse_decimal(optarg, NDISNPP_ROTATE_FILES_MAX, &n) != 0 || n == 0)
                return usage_error("-W %s: a number of files from 1 to %u is needed", optarg, (unsigned)NDISNPP_ROTATE_FILES_MAX);
            o->rotate_files = (unsigned long)n;
            break;
        case 'h': help(); return -1;
        case 'V': printf("nmcap (ndisnpp) %s\n", ndisnpp_version()); return -1;
        case ':': return usage_error("%s takes a value", argv[optind - 1]);
        default:
            if (optopt) return usage_error("-%c: unknown option", optopt);
            return usage_error("%s: unknown option", argv[optind - 1]);
        }
    }
    /* The rest is the pcap-filter expression (compiled, and judged, by the library at Connect). */
    o->expr_args = argv + optind;
    o->n_expr_args = argc - optind;
    if (o->iface && o->replay) return usage_error("-i and -r cannot go together: capture on an interface or replay a file");
    if (o->realtime && o->out) return usage_error("-R and -w cannot go together: -R prints the frames instead of writing a file");
    if (o->realtime && format_given) return usage_error("-R and -F cannot go together: -R writes no file");
    if (o->realtime && o->no_stats_frame) return usage_error("-R and -S cannot go together: -R writes no file");
    if (o->rotate_files && !o->rotate_bytes && !o->rotate_seconds)
        return usage_error("-W needs -C or -G (the files to keep are made by size or by time)");
    if (o->realtime && (o->rotate_bytes || o->rotate_seconds)) return usage_error("-R writes no file: -C, -G and -W cannot go with it");
    if (o->out && strcmp(o->out, "-") == 0) {
        /* A stream cannot be sought back into: pcap (the default here) or pcapng only. */
        o->to_stdout = 1;
        if (!o->format_given) o->format = "PCAP";
        if (strcasecmp(o->format, "NETMON2") == 0)
            return usage_error("-w - -F netmon2: a Network Monitor 2 file cannot be written to a stream (the format "
                               "seeks back to complete its header and frame table at the end); use -F pcap or -F pcapng");
        if (o->rotate_bytes || o->rotate_seconds) return usage_error("-w - cannot go with -C or -G: a stream is one file");
    }
    if (o->out && !o->to_stdout) {
        struct stat st;
        size_t n = strlen(o->out);
        if (n == 0) return usage_error("-w: the file name is empty");
        if ((stat(o->out, &st) == 0 && S_ISDIR(st.st_mode)) || o->out[n - 1] == '/')
            return usage_error("-w %s: a directory; -w takes a file name (such as %s%scapture.cap)", o->out, o->out,
                               o->out[n - 1] == '/' ? "" : "/");
    }
    if (!o->iface && !o->replay) {
        int found = 0;
        o->iface = default_interface(picked, sizeof picked, &found);
        o->iface_picked = found ? 1 : 2;
    }
    /* A replay ends at the end of its input (NPP:Config:ReplayEndAtEof): no default duration. */
    if (o->duration < 0) o->duration = (o->count || o->replay) ? 0 : 10;
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

static int rotating(const struct options *o) { return o->rotate_bytes || o->rotate_seconds; }

/* Creates the NIC BLOB, with the configuration, and the error BLOB: the first call that fails ends
 * nmcap. EXIT_OK, or EXIT_FAILED after saying why. */
static int build_nic_blob(const struct options *o, struct capture *c) {
    DWORD rc = CreateBlob(&c->nic);
    if (rc == NMERR_SUCCESS) rc = CreateBlob(&c->err);
    if (rc == NMERR_SUCCESS && o->replay) rc = SetStringInBlob(c->nic, OWNER_NPP, CATEGORY_LOCATION, TAG_REPLAY_FILE, o->replay);
    if (rc == NMERR_SUCCESS && !o->replay) {
        /* -i ssh://[user@]host[:port]/IFACE: interface IFACE of that host, a remote NIC. */
        const char *slash = strncmp(o->iface, "ssh://", 6) == 0 ? strchr(o->iface + 6, '/') : NULL;
        if (slash) {
            char dest[512];
            snprintf(dest, sizeof dest, "%.*s", (int)(slash - o->iface), o->iface);
            rc = SetStringInBlob(c->nic, OWNER_NPP, CATEGORY_REMOTE, TAG_REMOTECOMPUTER, dest);
            if (rc == NMERR_SUCCESS) rc = SetStringInBlob(c->nic, OWNER_NPP, CATEGORY_LOCATION, TAG_NAME, slash + 1);
        } else {
            rc = SetStringInBlob(c->nic, OWNER_NPP, CATEGORY_LOCATION, TAG_NAME, o->iface);
        }
    }
    if (rc == NMERR_SUCCESS) rc = SetStringInBlob(c->nic, OWNER_NPP, CATEGORY_CONFIG, TAG_FILE_FORMAT, o->format);
    if (rc == NMERR_SUCCESS && o->count) rc = SetDwordInBlob(c->nic, OWNER_NPP, CATEGORY_CONFIG, TAG_FRAME_LIMIT, (DWORD)o->count);
    if (rc == NMERR_SUCCESS && o->snaplen) rc = SetDwordInBlob(c->nic, OWNER_NPP, CATEGORY_CONFIG, TAG_FRAME_SIZE, (DWORD)o->snaplen);
    if (rc == NMERR_SUCCESS && o->bufsize) rc = SetDwordInBlob(c->nic, OWNER_NPP, CATEGORY_CONFIG, TAG_BUFFER_SIZE, (DWORD)o->bufsize);
    if (rc == NMERR_SUCCESS) rc = SetBoolInBlob(c->nic, OWNER_NPP, CATEGORY_CONFIG, TAG_LOCAL_ONLY, !o->promisc);
    if (rc == NMERR_SUCCESS) rc = SetBoolInBlob(c->nic, OWNER_NPP, CATEGORY_CONFIG, TAG_DONT_DELETE_EMPTY_CAPTURE, TRUE);
    if (rc == NMERR_SUCCESS) rc = SetBoolInBlob(c->nic, OWNER_NPP, CATEGORY_CONFIG, TAG_NO_STATS_FRAME, o->no_stats_frame);
    if (rc == NMERR_SUCCESS && o->n_expr_args > 0) {
        char *expr = join_args(o->n_expr_args, o->expr_args, 0);
        rc = expr ? SetStringInBlob(c->nic, OWNER_NPP, CATEGORY_CONFIG, TAG_BPF_FILTER, expr) : NMERR_OUT_OF_MEMORY;
        free(expr);
    }
    if (rc == NMERR_SUCCESS && o->rotate_bytes) {
        char v[32];
        snprintf(v, sizeof v, "%llu", o->rotate_bytes);
        rc = SetStringInBlob(c->nic, OWNER_NPP, CATEGORY_CONFIG, TAG_ROTATE_BYTES, v);
    }
    if (rc == NMERR_SUCCESS && o->rotate_seconds) rc = SetDwordInBlob(c->nic, OWNER_NPP, CATEGORY_CONFIG, TAG_ROTATE_SECONDS, (DWORD)o->rotate_seconds);
    if (rc == NMERR_SUCCESS && o->rotate_files) rc = SetDwordInBlob(c->nic, OWNER_NPP, CATEGORY_CONFIG, TAG_ROTATE_FILES, (DWORD)o->rotate_files);
    if (rc == NMERR_SUCCESS && o->out && rotating(o)) {
        /* The files are named from OUT: its name without a capture file extension. */
        char name[4096];
        snprintf(name, sizeof name, "%s", o->out);
        char *base = basename(name), *dot = strrchr(base, '.');
        if (dot && (strcmp(dot, ".cap") == 0 || strcmp(dot, ".pcap") == 0 || strcmp(dot, ".pcapng") == 0)) *dot = '\0';
        rc = SetStringInBlob(c->nic, OWNER_NPP, CATEGORY_CONFIG, TAG_ROTATE_BASE_NAME, base);
    }
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
            fprintf(stderr, "nmcap: -w %s: its directory %s: %s\n", o->out, outdir, strerror(errno));
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
    const char *bad_expr = NULL, *why = NULL;
    if (rc == NMERR_BLOB_CONVERSION_ERROR &&
        GetStringFromBlob(c->err, OWNER_NPP, CATEGORY_CONFIG, TAG_BPF_FILTER, &bad_expr) == NMERR_SUCCESS) {
        /* The expression does not compile: libpcap's words (NPP:Error:Detail), as tcpdump says them. */
        if (GetStringFromBlob(c->err, OWNER_NPP, "Error", "Detail", &why) != NMERR_SUCCESS) why = nmerr_text(rc);
        fprintf(stderr, "nmcap: invalid filter expression \"%s\": %s\n", bad_expr, why);
        return EXIT_USAGE;
    }
    if (rc == NMERR_ACCESS_DENIED) {
        fprintf(stderr, "nmcap: cannot capture on %s: this process lacks CAP_NET_RAW "
                        "(run it as root, or grant it: setcap cap_net_raw,cap_net_admin+ep nmcap)\n", o->iface);
        print_error_blob(c->err);
        return EXIT_NO_PERMISSION;
    }
    const char *refused_format = NULL;
    if (rc != NMERR_SUCCESS &&
        GetStringFromBlob(c->err, OWNER_NPP, CATEGORY_CONFIG, TAG_FILE_FORMAT, &refused_format) == NMERR_SUCCESS) {
        /* The configuration was refused, not the interface or the replay file. */
        fprintf(stderr, "nmcap: the library refused the file format '%s': %s (%s)\n", refused_format, nmerr_text(rc), nmerr_name(rc));
        print_error_blob(c->err);
        return EXIT_FAILED;
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
    if (rotating(o)) print_first_name(c->name);
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
    if (rotating(o)) {
        /* Every file's name was printed as it started; OUT only named them. */
    } else if (o->out) {
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
    if (!rotating(o)) printf("%s\n", c->name);
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
    /* The remote side of a remote NIC (protocol 1, tools/nmcap_remote.c). */
    if (argc >= 2 && (!strcmp(argv[1], "--stream") || !strcmp(argv[1], "--probe") || !strcmp(argv[1], "--list")))
        return nmcap_remote_main(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "--repair") == 0) {
        if (argc == 2) return usage_error("--repair: no FILE given");
        return repair_files(argc - 2, argv + 2);
    }
    if ((status = parse_options(argc, argv, &o)) != EXIT_OK) return status < 0 ? EXIT_OK : status;
    if (o.iface_picked)
        fprintf(stderr, "nmcap: capturing on %s (no -i: %s)\n", o.iface,
                o.iface_picked == 1 ? "the first interface up that is not a loopback" : "no interface up but the loopback");
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
