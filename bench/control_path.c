/* Control-path benchmark (issue 5, item 3). An ESP capture runs on a replay NIC
 * (NPP:Location:ReplayFile, NPP:Config:ReplayPace FALSE: as fast as possible, Network Monitor 2
 * output); while it runs, LOAD_THREADS threads call esp_query_status and esp_get_control_state
 * alternately in a tight loop, timing every call with clock_gettime(CLOCK_MONOTONIC) into a
 * 10 ns-bucket histogram. Each round is run WITHOUT the load and WITH it, on the same input and
 * the same window; the window ends after SECONDS or when the replay has delivered every frame,
 * whichever comes first (the capture is then no longer at full rate).
 *
 * Usage: control_path REPLAY.pcap FRAMES [SECONDS=3] [LOAD_THREADS=2] [ROUNDS=2] [CAPTURE_DIR]
 * FRAMES is the number of frames in REPLAY.pcap (capinfos -c -M).
 *
 * Live mode: control_path live:IFACE FRAMES ... captures on IFACE instead, and the environment
 * variable SENDER holds a shell command that offers FRAMES frames to IFACE (bench/run-control.sh
 * runs trafgen across a veth pair). SENDER starts once the capture and the load threads run; the
 * window ends when it exits; the statistics are read 300 ms later (frames still in the ring). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "netmon.h"

#define BUCKET_NS 10
#define NBUCKETS 100000 /* 10 ns .. 1 ms; slower calls go to the overflow count (max kept) */

typedef struct {
    uint64_t hist[NBUCKETS];
    uint64_t overflow, n, max_ns, errors, bad_state;
} histo;

typedef struct {
    HNPP npp;
    histo h[2]; /* 0: esp_query_status, 1: esp_get_control_state */
} worker;

static atomic_int go, stop_flag;

static inline uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void record(histo *h, uint64_t ns) {
    uint64_t b = ns / BUCKET_NS;
    if (b < NBUCKETS) h->hist[b]++;
    else h->overflow++;
    if (ns > h->max_ns) h->max_ns = ns;
    h->n++;
}

static void *load_thread(void *arg) {
    worker *w = arg;
    while (!atomic_load_explicit(&go, memory_order_acquire)) {
    }
    while (!atomic_load_explicit(&stop_flag, memory_order_relaxed)) {
        for (int k = 0; k < 64; k++) { /* check the stop flag every 128 calls */
            NETWORKSTATUS ns;
            BOOL running = FALSE, paused = FALSE;
            uint64_t t0 = now_ns();
            DWORD rc = esp_query_status(w->npp, &ns);
            uint64_t t1 = now_ns();
            record(&w->h[0], t1 - t0);
            if (rc != NMERR_SUCCESS) w->h[0].errors++;
            else if (ns.State != NETWORKSTATUS_STATE_CAPTURING) w->h[0].bad_state++;
            t0 = now_ns();
            rc = esp_get_control_state(w->npp, &running, &paused);
            t1 = now_ns();
            record(&w->h[1], t1 - t0);
            if (rc != NMERR_SUCCESS) w->h[1].errors++;
            else if (!running || paused) w->h[1].bad_state++;
        }
    }
    return NULL;
}

static void merge(histo *dst, const histo *src) {
    for (int i = 0; i < NBUCKETS; i++) dst->hist[i] += src->hist[i];
    dst->overflow += src->overflow;
    dst->n += src->n;
    dst->errors += src->errors;
    dst->bad_state += src->bad_state;
    if (src->max_ns > dst->max_ns) dst->max_ns = src->max_ns;
}

/* The q-quantile in µs (upper edge of the bucket); overflow -> the max. */
static double quantile_us(const histo *h, double q) {
    uint64_t want = (uint64_t)(q * (double)h->n), seen = 0;
    if (want >= h->n) want = h->n - 1;
    for (int i = 0; i < NBUCKETS; i++) {
        seen += h->hist[i];
        if (seen > want) return (double)(i + 1) * BUCKET_NS / 1000.0;
    }
    return (double)h->max_ns / 1000.0;
}

typedef struct {
    double window_s;
    int replay_done;
    STATISTICS_EX ex;
    uint64_t calls;
    histo all, fn[2];
} result;

static int one_run(const char *replay, unsigned long long frames, double seconds, int nthreads,
                   const char *capdir, result *res) {
    HBLOB nic = NULL, err = NULL;
    HNPP npp = NULL;
    DWORD rc;
    char name[4096];
    int ok = -1;
    memset(res, 0, sizeof *res);
    const char *live = strncmp(replay, "live:", 5) == 0 ? replay + 5 : NULL;
    if (CreateBlob(&nic) != NMERR_SUCCESS || CreateBlob(&err) != NMERR_SUCCESS) {
        fprintf(stderr, "control_path: CreateBlob failed\n");
        return -1;
    }
    if (live)
        SetStringInBlob(nic, OWNER_NPP, CATEGORY_LOCATION, TAG_NAME, live);
    else
        SetStringInBlob(nic, OWNER_NPP, CATEGORY_LOCATION, TAG_REPLAY_FILE, replay);
    SetStringInBlob(nic, OWNER_NPP, CATEGORY_CONFIG, TAG_FILE_FORMAT, FILE_FORMAT_NETMON2_TXT);
    SetBoolInBlob(nic, OWNER_NPP, CATEGORY_CONFIG, TAG_REPLAY_PACE, FALSE);
    SetBoolInBlob(nic, OWNER_NPP, CATEGORY_CONFIG, TAG_NO_STATS_FRAME, TRUE);
    SetStringInBlob(nic, OWNER_NPP, CATEGORY_CONFIG, TAG_CAPTURE_DIRECTORY, capdir);
    if ((rc = npp_create(nic, &npp)) != NMERR_SUCCESS) {
        fprintf(stderr, "npp_create: NMERR %u\n", (unsigned)rc);
        goto out;
    }
    if ((rc = esp_connect(npp, nic, NULL, NULL, err)) != NMERR_SUCCESS) {
        fprintf(stderr, "esp_connect: NMERR %u\n", (unsigned)rc);
        goto out;
    }
    worker *w = calloc((size_t)(nthreads ? nthreads : 1), sizeof *w);
    pthread_t *tids = calloc((size_t)(nthreads ? nthreads : 1), sizeof *tids);
    atomic_store(&go, 0);
    atomic_store(&stop_flag, 0);
    for (int i = 0; i < nthreads; i++) {
        w[i].npp = npp;
        pthread_create(&tids[i], NULL, load_thread, &w[i]);
    }
    if ((rc = esp_start(npp, name, sizeof name)) != NMERR_SUCCESS) {
        fprintf(stderr, "esp_start: NMERR %u\n", (unsigned)rc);
        atomic_store(&stop_flag, 1);
        atomic_store(&go, 1);
        for (int i = 0; i < nthreads; i++) pthread_join(tids[i], NULL);
        esp_disconnect(npp);
        goto out;
    }
    uint64_t t0 = now_ns(), t_end;
    atomic_store_explicit(&go, 1, memory_order_release);
    if (live) {
        /* The window: while SENDER runs. */
        int status = -1;
        pid_t pid = fork();
        if (pid == 0) {
            execl("/bin/sh", "sh", "-c", getenv("SENDER") ? getenv("SENDER") : "false", (char *)NULL);
            _exit(127);
        }
        if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            fprintf(stderr, "control_path: the SENDER command failed (status %d)\n", status);
        t_end = now_ns();
        res->replay_done = 1;
        atomic_store(&stop_flag, 1);
        struct timespec settle = {0, 300 * 1000 * 1000};
        nanosleep(&settle, NULL);
    }
    /* The window: SECONDS, or until the replay delivered every frame (polled every 10 ms). */
    while (!live) {
        struct timespec nap = {0, 10 * 1000 * 1000};
        nanosleep(&nap, NULL);
        STATISTICS_EX s;
        memset(&s, 0, sizeof s);
        s.StructSize = sizeof s;
        t_end = now_ns();
        if (esp_get_statistics_ex(npp, &s) == NMERR_SUCCESS && s.FramesSeen >= frames) {
            res->replay_done = 1;
            break;
        }
        if ((double)(t_end - t0) / 1e9 >= seconds) break;
    }
    atomic_store(&stop_flag, 1);
    res->ex.StructSize = sizeof res->ex;
    if (esp_get_statistics_ex(npp, &res->ex) != NMERR_SUCCESS) memset(&res->ex, 0, sizeof res->ex);
    res->window_s = (double)(t_end - t0) / 1e9;
    for (int i = 0; i < nthreads; i++) {
        pthread_join(tids[i], NULL);
        merge(&res->fn[0], &w[i].h[0]);
        merge(&res->fn[1], &w[i].h[1]);
    }
    merge(&res->all, &res->fn[0]);
    merge(&res->all, &res->fn[1]);
    res->calls = res->all.n;
    free(w);
    free(tids);
    STATISTICS st;
    esp_stop(npp, &st);
    esp_disconnect(npp);
    unlink(name);
    ok = 0;
out:
    if (npp) npp_destroy(npp);
    DestroyBlob(nic);
    DestroyBlob(err);
    return ok;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s REPLAY.pcap|live:IFACE FRAMES [SECONDS=3] [LOAD_THREADS=2] [ROUNDS=2] [CAPTURE_DIR]\n", argv[0]);
        return 2;
    }
    const char *replay = argv[1];
    unsigned long long frames = strtoull(argv[2], NULL, 10);
    double seconds = argc > 3 ? atof(argv[3]) : 3.0;
    int nthreads = argc > 4 ? atoi(argv[4]) : 2;
    int rounds = argc > 5 ? atoi(argv[5]) : 2;
    const char *capdir = argc > 6 ? argv[6] : "/tmp";
    static result r;
    printf("# library %s; source %s (%llu frames); window %.1f s; %d load threads; %d rounds\n",
           ndisnpp_version(), replay, frames, seconds, nthreads, rounds);
    printf("%-5s %-4s %8s %5s %12s %10s %8s %8s %12s %9s %9s %9s %9s %9s %9s %6s\n", "round", "load",
           "window_s", "done", "captured", "frames/s", "dropped", "kdropped", "calls/s", "p50_us",
           "p99_us", "p99.9_us", "max_us", "qs_p99", "gcs_p99", "errs");
    for (int round = 1; round <= rounds; round++) {
        for (int load = 0; load <= 1; load++) {
            if (one_run(replay, frames, seconds, load ? nthreads : 0, capdir, &r) != 0) return 1;
            double fps = (double)r.ex.FramesCaptured / r.window_s;
            if (load)
                printf("%-5d %-4s %8.3f %5s %12llu %10.0f %8llu %8llu %12.0f %9.3f %9.3f %9.3f %9.1f %9.3f %9.3f %6llu\n",
                       round, "with", r.window_s, r.replay_done ? "yes" : "no",
                       (unsigned long long)r.ex.FramesCaptured, fps, (unsigned long long)r.ex.FramesDropped,
                       (unsigned long long)r.ex.KernelFramesDropped, (double)r.calls / r.window_s,
                       quantile_us(&r.all, 0.50), quantile_us(&r.all, 0.99), quantile_us(&r.all, 0.999),
                       (double)r.all.max_ns / 1000.0, quantile_us(&r.fn[0], 0.99), quantile_us(&r.fn[1], 0.99),
                       (unsigned long long)(r.all.errors + r.all.bad_state));
            else
                printf("%-5d %-4s %8.3f %5s %12llu %10.0f %8llu %8llu %12s %9s %9s %9s %9s %9s %9s %6s\n",
                       round, "none", r.window_s, r.replay_done ? "yes" : "no",
                       (unsigned long long)r.ex.FramesCaptured, fps, (unsigned long long)r.ex.FramesDropped,
                       (unsigned long long)r.ex.KernelFramesDropped, "-", "-", "-", "-", "-", "-", "-", "-");
            fflush(stdout);
        }
    }
    return 0;
}
