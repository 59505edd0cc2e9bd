/* Helpers every C test may share: monotonic time, the bounded waits on a capture's control state
 * (one function per meaning: stopped, disconnected), and the one writer of classic pcap files.
 * Include after check.h; needs POSIX 2008 (_POSIX_C_SOURCE 200809L or _GNU_SOURCE). */
#ifndef NDISNPP_TEST_UTIL_H
#define NDISNPP_TEST_UTIL_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "netmon.h"

/* A capture's STATISTICS_EX, and the call's code in *rc. */
static inline STATISTICS_EX tu_stats_ex_rc(HNPP npp, DWORD *rc) {
    STATISTICS_EX ex;
    memset(&ex, 0, sizeof ex);
    ex.StructSize = sizeof ex;
    *rc = esp_get_statistics_ex(npp, &ex);
    return ex;
}

/* A capture's STATISTICS_EX; all zero when the call fails. */
static inline STATISTICS_EX tu_stats_ex(HNPP npp) {
    DWORD rc;
    STATISTICS_EX ex = tu_stats_ex_rc(npp, &rc);
    if (rc != NMERR_SUCCESS) memset(&ex, 0, sizeof ex);
    return ex;
}

/* The end of a test that wrote into `dir`: removed when every check passed, kept (and said so)
 * for a look otherwise. */
static inline void tu_remove_unless_failed(const char *dir) {
    if (check_failures == 0) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    } else {
        printf("files kept in %s\n", dir);
    }
}

/* Monotonic milliseconds. */
static inline long long tu_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void tu_sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* ---- waits on the control state ------------------------------------------------------------ */

/* How long tu_wait_stopped and tu_wait_disconnected wait (ms): a bound that only a failing run
 * reaches, long enough for a live capture on a loaded machine. */
#define TU_WAIT_MS 60000

/* A <family>_get_control_state function: esp_, stats_, rtc_ or dc_get_control_state. */
typedef DWORD (*tu_control_fn)(HNPP, BOOL *, BOOL *);

/* Polls `control` until the capture has stopped (ended by itself, or stopped by a callback): the
 * call answers NMERR_SUCCESS with neither running nor paused. 1 when it did. 0 when TU_WAIT_MS
 * passed, or at once when the call answers anything but NMERR_SUCCESS: an error is an error, not
 * a stopped capture (use tu_wait_disconnected when the NPP is meant to disconnect). Says why on
 * stderr when it answers 0. */
static inline int tu_wait_stopped(tu_control_fn control, HNPP h) {
    long long deadline = tu_now_ms() + TU_WAIT_MS;
    for (;;) {
        BOOL running = TRUE, paused = TRUE;
        DWORD rc = control(h, &running, &paused);
        if (rc != NMERR_SUCCESS) {
            fprintf(stderr, "  waiting for the capture to stop: get_control_state answered %u (%s)\n", (unsigned)rc, nmerr_name(rc));
            return 0;
        }
        if (!running && !paused) return 1;
        if (tu_now_ms() > deadline) {
            fprintf(stderr, "  capture still %s after %d ms\n", paused ? "paused" : "running", TU_WAIT_MS);
            return 0;
        }
        tu_sleep_ms(2);
    }
}

/* Polls `control` until the NPP is no longer connected (the call answers NMERR_NOT_CONNECTED), as
 * after a <family>_disconnect from one of its callbacks. 1 when it did. 0 when TU_WAIT_MS passed
 * (still connected), or at once on any other error. Says why on stderr when it answers 0. */
static inline int tu_wait_disconnected(tu_control_fn control, HNPP h) {
    long long deadline = tu_now_ms() + TU_WAIT_MS;
    for (;;) {
        BOOL running = TRUE, paused = TRUE;
        DWORD rc = control(h, &running, &paused);
        if (rc == NMERR_NOT_CONNECTED) return 1;
        if (rc != NMERR_SUCCESS) {
            fprintf(stderr, "  waiting for the NPP to disconnect: get_control_state answered %u (%s)\n", (unsigned)rc, nmerr_name(rc));
            return 0;
        }
        if (tu_now_ms() > deadline) {
            fprintf(stderr, "  NPP still connected after %d ms\n", TU_WAIT_MS);
            return 0;
        }
        tu_sleep_ms(2);
    }
}

/* ---- classic pcap files -------------------------------------------------------------------- */

/* A classic pcap file being written: tu_pcap_open, tu_pcap_frame for each record, tu_pcap_close.
 * Host byte order (the magic tells readers which), version 2.4, thiszone and sigfigs 0; record
 * times in microseconds, or nanoseconds when opened with `nano`. A failed write is remembered. */
typedef struct {
    FILE *f;
    int bad;
} tu_pcap;

static inline void tu_pcap_put(tu_pcap *p, const void *data, size_t len) {
    if (len && fwrite(data, len, 1, p->f) != 1) p->bad = 1;
}

static inline void tu_pcap_put32(tu_pcap *p, uint32_t v) { tu_pcap_put(p, &v, 4); }

/* Creates `path` and writes the file header. 0 on success. */
static inline int tu_pcap_open(tu_pcap *p, const char *path, uint32_t linktype, uint32_t snaplen, int nano) {
    uint16_t version[2] = {2, 4};
    p->bad = 0;
    p->f = fopen(path, "wb");
    if (!p->f) return -1;
    tu_pcap_put32(p, nano ? 0xA1B23C4Du : 0xA1B2C3D4u);
    tu_pcap_put(p, version, sizeof version);
    tu_pcap_put32(p, 0); /* thiszone */
    tu_pcap_put32(p, 0); /* sigfigs */
    tu_pcap_put32(p, snaplen);
    tu_pcap_put32(p, linktype);
    return p->bad ? -1 : 0;
}

/* One record: `caplen` bytes of `data` stored of a frame `wire` bytes long, at `sec` s and `frac`
 * µs (ns). */
static inline void tu_pcap_frame(tu_pcap *p, uint32_t sec, uint32_t frac, const void *data, uint32_t caplen, uint32_t wire) {
    tu_pcap_put32(p, sec);
    tu_pcap_put32(p, frac);
    tu_pcap_put32(p, caplen);
    tu_pcap_put32(p, wire);
    tu_pcap_put(p, data, caplen);
}

/* Closes the file. 0 when every write and the close succeeded. */
static inline int tu_pcap_close(tu_pcap *p) {
    if (fclose(p->f) != 0) p->bad = 1;
    p->f = NULL;
    return p->bad ? -1 : 0;
}

#endif
