/* Control calls that must not wait, and write failures that must be reported (issue 9, items
 * 5-8 and 10). Replay NICs only; the full-disk and crash parts need root (a tmpfs in a private
 * mount namespace; they are skipped, and say so, without it). Every wait has a deadline; a call
 * that hangs trips the watchdog, which names it and fails the test.
 *
 *  a) A FIFO as NPP:Location:ReplayFile: esp_connect answers NMERR_INVALID_FILE_FORMAT at once
 *     (no writer, and a writer that stays open) with the reason in the error BLOB; a regular file
 *     replaced by a FIFO between Connect and Start: esp_start answers the same, nothing started.
 *  b) Recorded pace with a 60 s gap between two frames: after the first frame is captured, Stop
 *     returns within 1 s (and so does npp_destroy of a second NPP in the same gap).
 *  c) A replay file whose last record is cut short: the capture ends by itself with Value
 *     NMERR_INVALID_FILE_FORMAT; the frames before it are in the file.
 *  d) While thread A holds LockBlob(errorBlob), thread B's esp_connect(..., errorBlob) has an
 *     entry to report and waits for that BLOB: A's calls on the same NPP (query status, control
 *     state, statistics, another Connect) still answer; then A unlocks and B finishes.
 *  e) A status call during a Stop that waits (IRTC: the last frames go to a callback that takes
 *     300 ms) answers while Stop runs, long before it returns.
 *  f) Stop whose final write fails (frames still buffered, a 64 KiB tmpfs): esp_stop answers
 *     NMERR_FILE_WRITE_ERROR, fills the STATISTICS (TotalFramesCaptured/TotalBytesCaptured = the
 *     frames the file holds), the status callback receives the stop event with that Value, and
 *     the file reads with exactly those frames (pcap, pcapng).
 *  g) Frames reach the disk while the link is quiet: a child captures 2000 replayed frames and is
 *     killed with SIGKILL 1.5 s after the last one arrived; the pcap and pcapng files hold all of
 *     them (capinfos), the Network Monitor 2 file holds every record; ndisnpp_repair_capture then
 *     makes each readable with all 2000 (capinfos), and leaves a sound file as it is.
 *  h) A replay file (2 MB, recorded pace) cut 7 bytes into record 15001 while it is replayed: the
 *     capture ends by itself with Value NMERR_INVALID_FILE_FORMAT and exactly the 15000 whole
 *     records before the cut are captured (statistics and file).
 *  i) ndisnpp_repair_capture's codes: NULL path, missing file, not a capture file. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"
#include "replay_util.h"
#include "shell_util.h"

static char tmpdir[256];
static int have_tshark;

/* ---- watchdog ---------------------------------------------------------------------------------- */

static const char *volatile watch_what = "";
static void on_alarm(int sig) {
    static const char msg[] = "test_control_faults: HANG: a call did not return: ";
    (void)sig;
    if (write(2, msg, sizeof msg - 1) < 0) {}
    if (write(2, watch_what, strlen(watch_what)) < 0) {}
    if (write(2, "\n", 1) < 0) {}
    _exit(1);
}
static void watch(const char *what, unsigned seconds) {
    watch_what = what;
    alarm(seconds);
}
static void unwatch(void) { alarm(0); }

/* ---- helpers ----------------------------------------------------------------------------------- */

static long capinfos_count(const char *path) {
    char cmd[1024], *out, *p;
    int status;
    long n = -1;
    if ((size_t)snprintf(cmd, sizeof cmd, "TZ=UTC capinfos -M -c '%s' 2>/dev/null", path) >= sizeof cmd) return -1;
    out = run_capture(cmd, &status);
    if (out && status == 0 && (p = strstr(out, "Number of packets:")) != NULL) n = strtol(p + 18, NULL, 10);
    free(out);
    return n;
}

/* A classic pcap with `n` frames of RU_FRAME_LEN-like sizes, frame i at `t0 + gaps`: frame 0 at
 * second 0, frame i > 0 at `gap_us` * i, except that frame `far` (if >= 0) is 60 s later. */
static int write_paced_pcap(const char *path, unsigned n, uint32_t gap_us, int far) {
    tu_pcap p;
    unsigned i;
    if (tu_pcap_open(&p, path, 1, 65535, 0) != 0) return -1;
    for (i = 0; i < n; i++) {
        unsigned char frame[128];
        unsigned len = RU_FRAME_LEN(i % 60);
        uint64_t us = (uint64_t)gap_us * i + ((far >= 0 && (int)i >= far) ? 60000000ull : 0);
        memset(frame, (int)(i + 1), sizeof frame);
        memcpy(frame, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x88\xb5", 14);
        tu_pcap_frame(&p, 1700000000u + (uint32_t)(us / 1000000), (uint32_t)(us % 1000000), frame, len, len);
    }
    return tu_pcap_close(&p);
}

struct cb_log {
    pthread_mutex_t mu;
    int stops;
    DWORD value;
    STATISTICS final_stats;
    int have_final;
};

static DWORD on_status(UPDATE_EVENT e) {
    struct cb_log *l = (struct cb_log *)e.lpUserContext;
    if (!l || e.Event != UPDATE_EVENT_NETWORK_STATUS || e.Action != UPDATE_ACTION_STOP_CAPTURE) return 0;
    pthread_mutex_lock(&l->mu);
    l->stops++;
    l->value = e.Value;
    if (e.lpFinalStats) {
        l->final_stats = *e.lpFinalStats;
        l->have_final = 1;
    }
    pthread_mutex_unlock(&l->mu);
    return 0;
}

static int wait_stop_event(struct cb_log *l) {
    long long deadline = ru_now_ms() + RU_DEADLINE_MS;
    int got;
    for (;;) {
        pthread_mutex_lock(&l->mu);
        got = l->stops;
        pthread_mutex_unlock(&l->mu);
        if (got > 0 || ru_now_ms() > deadline) return got;
        ru_sleep_ms(5);
    }
}

/* Connects a new NPP to a replay of `replay` with capture directory `dir` and `format`. */
static HNPP replay_npp(const char *replay, const char *dir, const char *format, int pace, struct cb_log *log) {
    HBLOB nic = ru_replay_nic(replay), cfg = ru_config(dir), err = NULL;
    HNPP npp = NULL;
    CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
    if (format) CHECK_RC(SetStringInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_FILE_FORMAT, format), NMERR_SUCCESS);
    if (pace) CHECK_RC(SetBoolInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_REPLAY_PACE, TRUE), NMERR_SUCCESS);
    CHECK_RC(npp_create(nic, &npp), NMERR_SUCCESS);
    CHECK_RC(esp_connect(npp, cfg, log ? on_status : NULL, log, err), NMERR_SUCCESS);
    DestroyBlob(nic);
    DestroyBlob(cfg);
    DestroyBlob(err);
    return npp;
}

/* ---- a) FIFOs ---------------------------------------------------------------------------------- */

static void *fifo_writer(void *p) {
    const char *path = p;
    int fd = open(path, O_WRONLY);
    if (fd >= 0) {
        ru_sleep_ms(1500); /* stays open and idle */
        close(fd);
    }
    return NULL;
}

static void test_fifo(void) {
    char fifo[512], file[512], dir[512];
    HBLOB nic, err = NULL, empty = NULL;
    HNPP npp = NULL;
    const char *detail;
    pthread_t t;
    char name[1024];
    printf("-- a) a FIFO as the replay file\n");
    snprintf(fifo, sizeof fifo, "%s/fifo.pcap", tmpdir);
    snprintf(file, sizeof file, "%s/regular.pcap", tmpdir);
    snprintf(dir, sizeof dir, "%s/caps-fifo", tmpdir);
    CHECK(mkfifo(fifo, 0600) == 0);
    CHECK(ru_write_pcap(file, 5) == 0);

    nic = ru_replay_nic(fifo);
    CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
    CHECK_RC(CreateBlob(&empty), NMERR_SUCCESS);
    CHECK_RC(npp_create(nic, &npp), NMERR_SUCCESS);
    watch("esp_connect on a FIFO with no writer", 10);
    CHECK_RC(esp_connect(npp, empty, NULL, NULL, err), NMERR_INVALID_FILE_FORMAT);
    unwatch();
    detail = ru_get(err, "Error", "Detail");
    printf("   error BLOB: %s\n", detail ? detail : "(none)");
    CHECK(detail && strstr(detail, "FIFO"));
    /* A writer that stays open and idle. */
    CHECK(pthread_create(&t, NULL, fifo_writer, fifo) == 0);
    ru_sleep_ms(100);
    watch("esp_connect on a FIFO with an idle writer", 10);
    CHECK_RC(esp_connect(npp, empty, NULL, NULL, NULL), NMERR_INVALID_FILE_FORMAT);
    unwatch();
    {
        /* The writer may still wait in open(): let it through. */
        int fd = open(fifo, O_RDONLY | O_NONBLOCK);
        pthread_join(t, NULL);
        if (fd >= 0) close(fd);
    }
    CHECK_RC(npp_destroy(npp), NMERR_SUCCESS);
    DestroyBlob(nic);
    DestroyBlob(err);
    DestroyBlob(empty);

    /* A regular file at Connect, a FIFO by Start. */
    npp = replay_npp(file, dir, NULL, 0, NULL);
    CHECK(rename(fifo, file) == 0);
    watch("esp_start on a FIFO", 10);
    CHECK_RC(esp_start(npp, name, sizeof name), NMERR_INVALID_FILE_FORMAT);
    unwatch();
    {
        BOOL running = TRUE, paused = TRUE;
        CHECK_RC(esp_get_control_state(npp, &running, &paused), NMERR_SUCCESS);
        CHECK_EQ(running, FALSE);
    }
    CHECK_EQ(ru_count_files(dir), 0);
    CHECK_RC(npp_destroy(npp), NMERR_SUCCESS);
    unlink(file);
}

/* ---- b) a long gap at recorded pace ------------------------------------------------------------ */

static void test_paced_gap(void) {
    char src[512], dir[512], name[1024];
    HNPP npp, other;
    STATISTICS st;
    long long t0, stop_ms, destroy_ms;
    printf("-- b) recorded pace, 60 s between two frames\n");
    snprintf(src, sizeof src, "%s/gap.pcap", tmpdir);
    snprintf(dir, sizeof dir, "%s/caps-gap", tmpdir);
    CHECK(write_paced_pcap(src, 2, 0, 1) == 0);
    npp = replay_npp(src, dir, FILE_FORMAT_PCAP_TXT, 1, NULL);
    other = replay_npp(src, dir, FILE_FORMAT_PCAP_TXT, 1, NULL);
    CHECK_RC(esp_start(npp, name, sizeof name), NMERR_SUCCESS);
    CHECK_RC(esp_start(other, name, sizeof name), NMERR_SUCCESS);
    CHECK_EQ(ru_wait_captured(esp_get_statistics_ex, npp, 1), 1);
    CHECK_EQ(ru_wait_captured(esp_get_statistics_ex, other, 1), 1);
    ru_sleep_ms(200); /* well into the gap */
    watch("esp_stop in a 60 s gap of a paced replay", 30);
    t0 = ru_now_ms();
    CHECK_RC(esp_stop(npp, &st), NMERR_SUCCESS);
    stop_ms = ru_now_ms() - t0;
    t0 = ru_now_ms();
    CHECK_RC(npp_destroy(other), NMERR_SUCCESS);
    destroy_ms = ru_now_ms() - t0;
    unwatch();
    printf("   esp_stop returned after %lld ms, npp_destroy after %lld ms; captured %u\n", stop_ms, destroy_ms,
           (unsigned)st.TotalFramesCaptured);
    CHECK(stop_ms < 1000);
    CHECK(destroy_ms < 1000);
    CHECK_EQ(st.TotalFramesCaptured, 1);
    CHECK_RC(esp_disconnect(npp), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(npp), NMERR_SUCCESS);
}

/* ---- c) a damaged record ----------------------------------------------------------------------- */

static void test_corrupt_record(void) {
    char src[512], dir[512], name[1024];
    struct cb_log log;
    HNPP npp;
    struct stat sb;
    printf("-- c) a replay file cut inside its last record\n");
    snprintf(src, sizeof src, "%s/cut.pcap", tmpdir);
    snprintf(dir, sizeof dir, "%s/caps-cut", tmpdir);
    CHECK(ru_write_pcap(src, 10) == 0);
    CHECK(stat(src, &sb) == 0);
    CHECK(truncate(src, sb.st_size - 5) == 0);
    memset(&log, 0, sizeof log);
    pthread_mutex_init(&log.mu, NULL);
    npp = replay_npp(src, dir, FILE_FORMAT_PCAP_TXT, 0, &log);
    CHECK_RC(esp_start(npp, name, sizeof name), NMERR_SUCCESS);
    CHECK_EQ(wait_stop_event(&log), 1);
    pthread_mutex_lock(&log.mu);
    printf("   stop event Value %u (%s), captured %u\n", (unsigned)log.value, nmerr_text(log.value),
           (unsigned)log.final_stats.TotalFramesCaptured);
    CHECK_RC(log.value, NMERR_INVALID_FILE_FORMAT);
    CHECK_EQ(log.final_stats.TotalFramesCaptured, 9);
    pthread_mutex_unlock(&log.mu);
    CHECK_RC(esp_stop(npp, NULL), NMERR_NOT_CAPTURING);
    if (have_tshark) CHECK_EQ(capinfos_count(name), 9);
    CHECK_RC(esp_disconnect(npp), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(npp), NMERR_SUCCESS);
    pthread_mutex_destroy(&log.mu);
}

/* ---- h) a replay file cut short while it is replayed ------------------------------------------- */

#define CUT_N 20000u  /* about 2 MB: more than the reader's first 1 MiB read */
#define CUT_KEEP 15000u /* whole records left by the cut (it falls 7 bytes into the next one) */

static void test_truncated_during_replay(void) {
    char src[512], dir[512], name[1024];
    struct cb_log log;
    HNPP npp;
    off_t cut = 24;
    unsigned i;
    printf("-- h) a replay file cut short while it is replayed (recorded pace)\n");
    snprintf(src, sizeof src, "%s/shrinks.pcap", tmpdir);
    snprintf(dir, sizeof dir, "%s/caps-shrinks", tmpdir);
    CHECK(write_paced_pcap(src, CUT_N, 100, -1) == 0); /* 100 µs apart: 2 s in all */
    for (i = 0; i < CUT_KEEP; i++) cut += 16 + RU_FRAME_LEN(i % 60);
    memset(&log, 0, sizeof log);
    pthread_mutex_init(&log.mu, NULL);
    npp = replay_npp(src, dir, FILE_FORMAT_PCAPNG_TXT, 1, &log);
    CHECK_RC(esp_start(npp, name, sizeof name), NMERR_SUCCESS);
    /* Under way (a progress wait: the exact count is checked at the end), far from the cut. */
    CHECK(ru_wait_captured(esp_get_statistics_ex, npp, 1) < (long long)CUT_KEEP / 2);
    CHECK(truncate(src, cut + 7) == 0);
    watch("the end of a replay whose file was cut short", 30);
    CHECK_EQ(wait_stop_event(&log), 1);
    unwatch();
    pthread_mutex_lock(&log.mu);
    printf("   stop event Value %u (%s), captured %u of the %u whole records left\n", (unsigned)log.value, nmerr_text(log.value),
           (unsigned)log.final_stats.TotalFramesCaptured, CUT_KEEP);
    CHECK_RC(log.value, NMERR_INVALID_FILE_FORMAT);
    CHECK_EQ(log.final_stats.TotalFramesCaptured, CUT_KEEP);
    pthread_mutex_unlock(&log.mu);
    CHECK_RC(esp_stop(npp, NULL), NMERR_NOT_CAPTURING);
    if (have_tshark) CHECK_EQ(capinfos_count(name), (long)CUT_KEEP);
    CHECK_RC(esp_disconnect(npp), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(npp), NMERR_SUCCESS);
    pthread_mutex_destroy(&log.mu);
}

/* ---- d) the caller holds the error BLOB --------------------------------------------------------- */

struct connect_job {
    HNPP npp;
    HBLOB cfg, err;
    DWORD rc;
    volatile int done;
};

static void *connect_thread(void *p) {
    struct connect_job *j = p;
    j->rc = esp_connect(j->npp, j->cfg, NULL, NULL, j->err);
    j->done = 1;
    return NULL;
}

static void test_locked_error_blob(void) {
    char src[512], dir[512];
    struct connect_job job;
    HBLOB nic;
    pthread_t t;
    NETWORKSTATUS ns;
    BOOL running, paused;
    DWORD rc;
    printf("-- d) another thread holds the error BLOB while Connect reports into it\n");
    snprintf(src, sizeof src, "%s/small.pcap", tmpdir);
    snprintf(dir, sizeof dir, "%s/caps-lock", tmpdir);
    CHECK(ru_write_pcap(src, 3) == 0);
    memset(&job, 0, sizeof job);
    nic = ru_replay_nic(src);
    job.cfg = ru_config(dir);
    /* An unknown NPP entry: Connect copies it into the error BLOB (and succeeds). */
    CHECK_RC(SetStringInBlob(job.cfg, OWNER_NPP, CATEGORY_CONFIG, "NoSuchSetting", "1"), NMERR_SUCCESS);
    CHECK_RC(CreateBlob(&job.err), NMERR_SUCCESS);
    CHECK_RC(npp_create(nic, &job.npp), NMERR_SUCCESS);
    CHECK_RC(LockBlob(job.err), NMERR_SUCCESS);
    CHECK(pthread_create(&t, NULL, connect_thread, &job) == 0);
    ru_sleep_ms(300); /* B is waiting for the error BLOB by now */
    CHECK_EQ(job.done, 0);
    watch("calls on an NPP whose Connect waits for the caller's locked error BLOB", 10);
    CHECK_RC(esp_query_status(job.npp, &ns), NMERR_SUCCESS);
    rc = esp_get_control_state(job.npp, &running, &paused);
    CHECK(rc == NMERR_SUCCESS || rc == NMERR_NOT_CONNECTED);
    (void)tu_stats_ex_rc(job.npp, &rc);
    CHECK(rc == NMERR_NOT_CAPTURING || rc == NMERR_NOT_CONNECTED);
    rc = esp_connect(job.npp, job.cfg, NULL, NULL, NULL);
    CHECK(rc == NMERR_ALREADY_CONNECTED);
    unwatch();
    CHECK_RC(UnlockBlob(job.err), NMERR_SUCCESS);
    watch("the Connect after its error BLOB was unlocked", 10);
    pthread_join(t, NULL);
    unwatch();
    CHECK_RC(job.rc, NMERR_SUCCESS);
    CHECK(ru_get(job.err, CATEGORY_CONFIG, "NoSuchSetting") != NULL);
    CHECK_RC(esp_disconnect(job.npp), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(job.npp), NMERR_SUCCESS);
    DestroyBlob(nic);
    DestroyBlob(job.cfg);
    DestroyBlob(job.err);
}

/* ---- e) status during a draining Stop ----------------------------------------------------------- */

struct poller {
    HNPP npp;
    volatile int stop_running, quit;
    long long worst_us;
    int answered_during_stop, failed;
};

static long long now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void *poll_status(void *p) {
    struct poller *q = p;
    while (!q->quit) {
        NETWORKSTATUS ns;
        int during = q->stop_running;
        long long t0 = now_us(), dt;
        if (esp_query_status(q->npp, &ns) != NMERR_SUCCESS) q->failed++;
        dt = now_us() - t0;
        if (during && q->stop_running) {
            q->answered_during_stop++;
            if (dt > q->worst_us) q->worst_us = dt;
        }
        ru_sleep_ms(1);
    }
    return NULL;
}

/* The frames callback of (e): slow, so that Stop, which delivers every frame before it returns,
 * takes as long. */
static volatile int slow_calls;
static DWORD slow_frames(UPDATE_EVENT e) {
    (void)e;
    slow_calls++;
    ru_sleep_ms(300);
    return 0;
}

static void test_status_during_stop(void) {
    char src[512];
    struct poller q;
    pthread_t t;
    HBLOB nic, cfg = NULL;
    long long t0, stop_ms;
    printf("-- e) status calls while Stop waits (IRTC: the last frames reach a slow callback first)\n");
    snprintf(src, sizeof src, "%s/steady.pcap", tmpdir);
    CHECK(write_paced_pcap(src, 200, 1000, -1) == 0);
    memset(&q, 0, sizeof q);
    nic = ru_replay_nic(src);
    CHECK_RC(CreateBlob(&cfg), NMERR_SUCCESS);
    CHECK_RC(npp_create(nic, &q.npp), NMERR_SUCCESS);
    CHECK_RC(rtc_connect(q.npp, cfg, NULL, slow_frames, NULL, NULL), NMERR_SUCCESS);
    CHECK_RC(rtc_start(q.npp), NMERR_SUCCESS);
    CHECK(ru_wait_captured(rtc_get_statistics_ex, q.npp, 200) == 200);
    CHECK(pthread_create(&t, NULL, poll_status, &q) == 0);
    ru_sleep_ms(20);
    watch("rtc_stop with a slow frames callback", 30);
    q.stop_running = 1;
    t0 = ru_now_ms();
    CHECK_RC(rtc_stop(q.npp), NMERR_SUCCESS);
    stop_ms = ru_now_ms() - t0;
    q.stop_running = 0;
    q.quit = 1;
    pthread_join(t, NULL);
    unwatch();
    printf("   Stop took %lld ms (%d deliveries); %d status calls answered meanwhile, the slowest in %lld us\n", stop_ms,
           slow_calls, q.answered_during_stop, q.worst_us);
    CHECK(stop_ms >= 100); /* it waited for the callback */
    CHECK(q.answered_during_stop > 0);
    CHECK_EQ(q.failed, 0);
    CHECK(q.worst_us < 10000);
    CHECK_RC(rtc_disconnect(q.npp), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(q.npp), NMERR_SUCCESS);
    DestroyBlob(nic);
    DestroyBlob(cfg);
}

/* ---- f) the final write fails ------------------------------------------------------------------ */

static void test_stop_write_error(const char *mnt) {
    static const char *const formats[2] = {FILE_FORMAT_PCAP_TXT, FILE_FORMAT_PCAPNG_TXT};
    char src[512];
    int f;
    printf("-- f) Stop whose last write fails (64 KiB tmpfs)\n");
    snprintf(src, sizeof src, "%s/stopfail.pcap", tmpdir);
    /* 60 s of ~90-byte frames 200 us apart at recorded pace: ~45 KB a second, written only when
     * 1 MiB is buffered, the link is quiet for 50 ms, or every 500 ms. */
    CHECK(write_paced_pcap(src, 300000, 200, -1) == 0);
    for (f = 0; f < 2; f++) {
        struct cb_log log;
        HNPP npp;
        STATISTICS st;
        char name[1024];
        long n;
        DWORD rc;
        memset(&log, 0, sizeof log);
        pthread_mutex_init(&log.mu, NULL);
        npp = replay_npp(src, mnt, formats[f], 1, &log);
        CHECK_RC(esp_start(npp, name, sizeof name), NMERR_SUCCESS);
        /* Fill the disk behind the capture's back, leaving room for the file's header only. */
        CHECK(sh("dd if=/dev/zero of='%s/filler' bs=1k count=56 2>/dev/null; true", mnt) == 0);
        CHECK(ru_wait_captured(esp_get_statistics_ex, npp, 400) >= 400);
        memset(&st, 0xEE, sizeof st);
        rc = esp_stop(npp, &st);
        printf("   %s: esp_stop -> %u (%s); captured %u frames, %u bytes\n", formats[f], (unsigned)rc, nmerr_text(rc),
               (unsigned)st.TotalFramesCaptured, (unsigned)st.TotalBytesCaptured);
        if (rc == NMERR_NOT_CAPTURING) {
            /* The time-based flush came first: the capture ended by itself (machine too slow for
             * this part). Its event still says why. */
            printf("   (the capture ended by itself before Stop)\n");
            CHECK_EQ(wait_stop_event(&log), 1);
            CHECK_RC(log.value, NMERR_FILE_WRITE_ERROR);
        } else {
            CHECK_RC(rc, NMERR_FILE_WRITE_ERROR);
            CHECK_EQ(wait_stop_event(&log), 1);
            pthread_mutex_lock(&log.mu);
            CHECK_RC(log.value, NMERR_FILE_WRITE_ERROR);
            CHECK_EQ(log.have_final, 1);
            CHECK_EQ(log.final_stats.TotalFramesCaptured, st.TotalFramesCaptured);
            pthread_mutex_unlock(&log.mu);
            CHECK(st.TotalFramesCaptured < 400); /* frames were lost */
            {
                /* The counts are those of the frames in the file. */
                unsigned i, bytes = 0;
                for (i = 0; i < st.TotalFramesCaptured; i++) bytes += RU_FRAME_LEN(i % 60);
                CHECK_EQ(st.TotalBytesCaptured, bytes);
            }
            n = have_tshark ? capinfos_count(name) : -2;
            printf("   capinfos: %ld frames\n", n);
            if (have_tshark) CHECK_EQ(n, st.TotalFramesCaptured);
        }
        CHECK_RC(esp_disconnect(npp), NMERR_SUCCESS);
        CHECK_RC(npp_destroy(npp), NMERR_SUCCESS);
        pthread_mutex_destroy(&log.mu);
        sh("rm -f '%s'/filler '%s'/nm-*", mnt, mnt);
    }
}

/* ---- g) killed while quiet --------------------------------------------------------------------- */

static void test_killed_while_quiet(const char *dir) {
    static const char *const formats[3] = {FILE_FORMAT_NETMON2_TXT, FILE_FORMAT_PCAP_TXT, FILE_FORMAT_PCAPNG_TXT};
    char src[512];
    int f;
    printf("-- g) SIGKILL 1.5 s after the last frame\n");
    snprintf(src, sizeof src, "%s/kill.pcap", tmpdir);
    CHECK(write_paced_pcap(src, 2000, 1000, -1) == 0);
    for (f = 0; f < 3; f++) {
        int fds[2];
        pid_t pid;
        char name[1024];
        ssize_t got;
        CHECK(pipe(fds) == 0);
        pid = fork();
        if (pid == 0) {
            HNPP npp;
            char n[1024];
            close(fds[0]);
            npp = replay_npp(src, dir, formats[f], 0, NULL);
            if (esp_start(npp, n, sizeof n) != NMERR_SUCCESS) _exit(3);
            if (ru_wait_captured(esp_get_statistics_ex, npp, 2000) != 2000) _exit(4);
            if (write(fds[1], n, strlen(n) + 1) < 0) _exit(5);
            for (;;) pause();
        }
        close(fds[1]);
        memset(name, 0, sizeof name);
        got = read(fds[0], name, sizeof name - 1);
        close(fds[0]);
        CHECK(got > 0);
        ru_sleep_ms(1500);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        if (got <= 0) continue;
        if (strcmp(formats[f], FILE_FORMAT_NETMON2_TXT) == 0) {
            /* Its frame table is written at Stop: every record must be on disk, 128-byte header
             * + 2000 x (16-byte record header + frame). */
            struct stat sb;
            long long want = 128 + 2000LL * 16;
            unsigned i;
            for (i = 0; i < 2000; i++) want += RU_FRAME_LEN(i % 60);
            CHECK(stat(name, &sb) == 0);
            printf("   %s: %lld bytes on disk, %lld expected\n", formats[f], (long long)sb.st_size, want);
            CHECK_EQ(sb.st_size, want);
        }
        {
            /* ndisnpp_repair_capture makes it readable in place (pcap, pcapng: nothing to cut). */
            DWORD frames = 0;
            CHECK_RC(ndisnpp_repair_capture(name, &frames), NMERR_SUCCESS);
            CHECK_EQ(frames, 2000);
            if (have_tshark) {
                long n = capinfos_count(name);
                char cmd[1200], *out;
                int status;
                printf("   %s: after repair capinfos reads %ld frames of 2000\n", formats[f], n);
                CHECK_EQ(n, 2000);
                /* and dates them as captured (Network Monitor 2: the header's time, written with
                 * the first frame, is the base of every record's offset) */
                snprintf(cmd, sizeof cmd, "TZ=UTC tshark -r '%s' -T fields -e frame.time_epoch 2>/dev/null | sed -n '1p;2000p'", name);
                out = run_capture(cmd, &status);
                printf("   %s: first and last frame at %s", formats[f], out ? out : "?\n");
                CHECK(out && strncmp(out, "1700000000.000000000\n1700000001.999000000", 41) == 0);
                free(out);
            }
            CHECK_RC(ndisnpp_repair_capture(name, &frames), NMERR_SUCCESS); /* sound now: left as it is */
            CHECK_EQ(frames, 2000);
        }
        unlink(name);
    }
}

/* ndisnpp_repair_capture's codes. */
static void repair_codes(void) {
    char path[512];
    DWORD frames = 77;
    printf("-- i) ndisnpp_repair_capture: codes\n");
    CHECK_RC(ndisnpp_repair_capture(NULL, &frames), NMERR_INVALID_PARAMETER);
    snprintf(path, sizeof path, "%s/no-such-file.cap", tmpdir);
    CHECK_RC(ndisnpp_repair_capture(path, &frames), NMERR_FILE_NOT_FOUND);
    snprintf(path, sizeof path, "%s/not-a-capture.txt", tmpdir);
    CHECK(ru_write_text(path, "this is not a capture file\n") == 0);
    CHECK_RC(ndisnpp_repair_capture(path, &frames), NMERR_INVALID_FILE_FORMAT);
    CHECK_EQ(frames, 77); /* outputs only on success */
    snprintf(path, sizeof path, "%s/sound.pcap", tmpdir);
    CHECK(ru_write_pcap(path, 7) == 0);
    CHECK_RC(ndisnpp_repair_capture(path, NULL), NMERR_SUCCESS);
    CHECK_RC(ndisnpp_repair_capture(path, &frames), NMERR_SUCCESS);
    CHECK_EQ(frames, 7);
}

int main(void) {
    int root = geteuid() == 0;
    signal(SIGALRM, on_alarm);
    setvbuf(stdout, NULL, _IOLBF, 0);
    have_tshark = sh("command -v capinfos >/dev/null 2>&1") == 0;
    if (!have_tshark) SKIP_PART("no capinfos: file contents are not read back");
    CHECK(ru_mkdtemp(tmpdir, sizeof tmpdir, "ndisnpp-faults") == 0);

    test_fifo();
    test_paced_gap();
    test_corrupt_record();
    test_truncated_during_replay();
    test_locked_error_blob();
    test_status_during_stop();
    repair_codes();
    {
        char dir[512];
        snprintf(dir, sizeof dir, "%s/caps-kill", tmpdir);
        test_killed_while_quiet(dir);
    }
    if (!root) {
        SKIP_PART("f): mounting a tmpfs needs root");
    } else if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
        SKIP_PART("f): no private mount namespace: %s", strerror(errno));
    } else {
        char mnt[512];
        snprintf(mnt, sizeof mnt, "%s/small", tmpdir);
        CHECK(mkdir(mnt, 0700) == 0);
        if (mount("tmpfs", mnt, "tmpfs", 0, "size=64k") != 0) {
            SKIP_PART("f): tmpfs: %s", strerror(errno));
        } else {
            test_stop_write_error(mnt);
            CHECK(umount(mnt) == 0);
        }
    }
    ru_rm_tree(tmpdir);
    return check_done("test_control_faults");
}
