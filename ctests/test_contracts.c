/* The contracts of netmon.h's "Callbacks" and "Descriptors and memory" sections, under misuse:
 *
 *  a) npp_destroy from inside the NPP's own frames callback answers NMERR_SUCCESS, and once that
 *     callback has returned no callback of the NPP (frames or status) runs again.
 *  b) The callback's rtc_stop races the main thread's rtc_stop (a replay of 200,000 frames,
 *     FrameTableLength 50, the callback stops on its 2nd..21st call), 200 runs: whatever the main
 *     thread's rtc_stop answers, when it returns no frames callback is running or runs later.
 *  c) Two NPPs whose frames callbacks stop each other while the main thread stops both: no
 *     deadlock (a watchdog fails the test), and no callback after the main thread's stops.
 *  d) A callback that takes 300 ms: rtc_stop, rtc_disconnect and npp_destroy from another thread
 *     wait for it (nothing runs after they return).
 *  e) No capture descriptor in child programs: a program exec'd during a live capture (lo, root)
 *     and during a replay through libpcap (pcapng) holds no descriptor that the capture opened.
 *  f) Bounds: BufferSize above NDISNPP_MAX_BUFFER_SIZE and malformed QueryTimeout are refused
 *     with NMERR_BLOB_CONVERSION_ERROR, the entry in the error BLOB; an IRTC capture with the
 *     largest BufferSize does not commit its two buffers at Start (VmRSS).
 *  g) npp_get_error_detail: a SunATM replay refused for Network Monitor 2 names link type 123; a
 *     replay cut inside a record says it is cut short after how many whole records. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"
#include "replay_util.h"

static char tmpdir[256];
static char replay_big[512];   /* 200,000 frames */
static char replay_small[512]; /* 10 frames */

static void on_alarm(int sig) {
    static const char msg[] = "test_contracts: HANG (deadlock: a call did not return)\n";
    (void)sig;
    if (write(2, msg, sizeof msg - 1) < 0) {}
    _exit(1);
}

/* A classic pcap file of n 64-byte Ethernet frames (EtherType 0x88B5). */
static int write_replay(const char *path, unsigned n) {
    tu_pcap p;
    unsigned i;
    unsigned char frame[64];
    if (tu_pcap_open(&p, path, 1, 65535, 0) != 0) return -1;
    memset(frame, 0xAB, sizeof frame);
    memcpy(frame, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x88\xB5", 14);
    for (i = 0; i < n; i++) {
        memcpy(frame + 14, &i, sizeof i);
        tu_pcap_frame(&p, 1700000000u + i / 1000, (i % 1000) * 1000u, frame, sizeof frame, sizeof frame);
    }
    return tu_pcap_close(&p);
}

static HBLOB rtc_cfg(unsigned table_len) {
    HBLOB b = NULL;
    if (CreateBlob(&b) != NMERR_SUCCESS) return NULL;
    if (SetDwordInBlob(b, OWNER_NPP, CATEGORY_CONFIG, TAG_FRAME_TABLE_LENGTH, table_len) != NMERR_SUCCESS) return NULL;
    return b;
}

/* ---- per-NPP callback bookkeeping -------------------------------------------------------------- */

typedef struct Ctx {
    HNPP h;
    int calls;        /* frames callbacks begun */
    int in_cb;        /* frames callbacks running now */
    int act_at;       /* on this call: the action */
    int action;       /* 0 none, 1 npp_destroy own, 2 rtc_stop own, 3 rtc_stop other, 4 sleep,
                         5 rtc_stop own then sleep */
    int acted;        /* the action's call has returned */
    HNPP other;
    DWORD act_rc;
    int ended;        /* set once the ending call has returned (from the callback or the main thread) */
    int late;         /* callbacks (frames or status) that began after `ended` */
    int status_calls;
} Ctx;

static int ld(int *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
static void st(int *p, int v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }
static int inc(int *p) { return __atomic_add_fetch(p, 1, __ATOMIC_SEQ_CST); }
static void dec(int *p) { __atomic_sub_fetch(p, 1, __ATOMIC_SEQ_CST); }

static DWORD frames_cb(UPDATE_EVENT ev) {
    Ctx *c = (Ctx *)ev.lpUserContext;
    int n;
    if (ld(&c->ended)) inc(&c->late);
    inc(&c->in_cb);
    n = inc(&c->calls);
    if (n == c->act_at) {
        switch (c->action) {
        case 1:
            c->act_rc = npp_destroy(c->h);
            st(&c->ended, 1); /* from here: only this callback may still run */
            break;
        case 2: c->act_rc = rtc_stop(c->h); break;
        case 3: c->act_rc = rtc_stop(c->other); break;
        case 4: ru_sleep_ms(300); break;
        case 5:
            c->act_rc = rtc_stop(c->h);
            st(&c->acted, 1);
            ru_sleep_ms(300);
            break;
        default: break;
        }
    }
    dec(&c->in_cb);
    return 0;
}

static DWORD status_cb(UPDATE_EVENT ev) {
    Ctx *c = (Ctx *)ev.lpUserContext;
    if (ld(&c->ended)) inc(&c->late);
    inc(&c->status_calls);
    return 0;
}

static HNPP new_rtc(Ctx *c, const char *replay, unsigned table_len, int with_status) {
    HBLOB nic = ru_replay_nic(replay), cfg = rtc_cfg(table_len);
    HNPP h = NULL;
    CHECK_RC(npp_create(nic, &h), NMERR_SUCCESS);
    c->h = h;
    CHECK_RC(rtc_connect(h, cfg, with_status ? status_cb : NULL, frames_cb, c, NULL), NMERR_SUCCESS);
    DestroyBlob(nic);
    DestroyBlob(cfg);
    return h;
}

/* Waits (bounded) until `*p` reaches `want`. */
static int wait_at_least(int *p, int want) {
    long long deadline = ru_now_ms() + RU_DEADLINE_MS;
    while (ld(p) < want) {
        if (ru_now_ms() > deadline) return 0;
        ru_sleep_ms(1);
    }
    return 1;
}

/* ---- a --------------------------------------------------------------------------------------- */

static void destroy_from_frames_callback(void) {
    int round, late = 0, bad_rc = 0;
    for (round = 0; round < 20; round++) {
        static Ctx c;
        memset(&c, 0, sizeof c);
        c.action = 1;
        c.act_at = 1 + round;
        new_rtc(&c, replay_big, 50, 1);
        CHECK_RC(rtc_start(c.h), NMERR_SUCCESS);
        CHECK(wait_at_least(&c.ended, 1));
        ru_sleep_ms(200);
        late += ld(&c.late);
        bad_rc += c.act_rc != NMERR_SUCCESS;
        CHECK_RC(npp_destroy(c.h), NMERR_INVALID_HNETWORK);
    }
    printf("a) npp_destroy in the frames callback, 20 rounds: %d callbacks after it returned, %d bad answers\n", late, bad_rc);
    CHECK_EQ(late, 0);
    CHECK_EQ(bad_rc, 0);
}

/* ---- b --------------------------------------------------------------------------------------- */

static void stop_races_stop(void) {
    int run, late = 0, running = 0, not_capturing = 0, success = 0;
    for (run = 0; run < 200; run++) {
        static Ctx c;
        DWORD rc;
        memset(&c, 0, sizeof c);
        c.action = 2;
        c.act_at = 2 + run % 20;
        new_rtc(&c, replay_big, 50, 0);
        CHECK_RC(rtc_start(c.h), NMERR_SUCCESS);
        /* stop as the callback stops: right when it has begun its stopping call */
        CHECK(wait_at_least(&c.calls, c.act_at - (run % 3)));
        rc = rtc_stop(c.h);
        st(&c.ended, 1);
        running += ld(&c.in_cb);
        if (rc == NMERR_NOT_CAPTURING) not_capturing++;
        else if (rc == NMERR_SUCCESS) success++;
        else CHECK_RC(rc, NMERR_SUCCESS);
        ru_sleep_ms(5);
        late += ld(&c.late);
        CHECK_RC(rtc_disconnect(c.h), NMERR_SUCCESS);
        CHECK_RC(npp_destroy(c.h), NMERR_SUCCESS);
    }
    printf("b) rtc_stop in the callback vs rtc_stop: 200 runs (%d SUCCESS, %d NOT_CAPTURING): %d callbacks running at return, %d after\n",
           success, not_capturing, running, late);
    CHECK_EQ(running, 0);
    CHECK_EQ(late, 0);
}

/* ---- c --------------------------------------------------------------------------------------- */

static void callbacks_stop_each_other(void) {
    int round, late = 0;
    for (round = 0; round < 50; round++) {
        static Ctx a, b;
        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        a.action = b.action = 3;
        a.act_at = b.act_at = 2 + round % 3;
        new_rtc(&a, replay_big, 50, 1);
        new_rtc(&b, replay_big, 50, 1);
        a.other = b.h;
        b.other = a.h;
        CHECK_RC(rtc_start(a.h), NMERR_SUCCESS);
        CHECK_RC(rtc_start(b.h), NMERR_SUCCESS);
        CHECK(wait_at_least(&a.calls, 1 + round % 2));
        (void)rtc_stop(a.h);
        st(&a.ended, 1);
        (void)rtc_stop(b.h);
        st(&b.ended, 1);
        ru_sleep_ms(5);
        late += ld(&a.late) + ld(&b.late) + ld(&a.in_cb) + ld(&b.in_cb);
        CHECK_RC(npp_destroy(a.h), NMERR_SUCCESS);
        CHECK_RC(npp_destroy(b.h), NMERR_SUCCESS);
    }
    printf("c) two NPPs whose callbacks stop each other, main stops both: 50 rounds, no deadlock, %d callbacks after the stops\n", late);
    CHECK_EQ(late, 0);
}

/* ---- d --------------------------------------------------------------------------------------- */

static void ends_wait_for_a_slow_callback(void) {
    int which;
    static const char *names[] = {"rtc_stop", "rtc_disconnect (after a stop from the callback)", "npp_destroy"};
    for (which = 0; which < 3; which++) {
        static Ctx c;
        long long t0;
        DWORD rc;
        memset(&c, 0, sizeof c);
        c.act_at = 2;
        /* 1: the callback stops its own NPP and then sleeps: Disconnect waits for it and for what
         * that stop still delivers */
        c.action = which == 1 ? 5 : 4;
        new_rtc(&c, replay_big, 50, 1);
        CHECK_RC(rtc_start(c.h), NMERR_SUCCESS);
        CHECK(wait_at_least(which == 1 ? &c.acted : &c.calls, which == 1 ? 1 : 2));
        t0 = ru_now_ms();
        rc = which == 0 ? rtc_stop(c.h) : which == 1 ? rtc_disconnect(c.h) : npp_destroy(c.h);
        st(&c.ended, 1);
        printf("d) %s during a callback: %s after %lld ms, %d callbacks running at return\n", names[which], nmerr_text(rc), ru_now_ms() - t0, ld(&c.in_cb));
        CHECK_EQ(ld(&c.in_cb), 0);
        ru_sleep_ms(20);
        CHECK_EQ(ld(&c.late), 0);
        CHECK_RC(rc, NMERR_SUCCESS);
        if (which == 1) CHECK_RC(c.act_rc, NMERR_SUCCESS);
        if (which != 2) CHECK_RC(npp_destroy(c.h), NMERR_SUCCESS);
    }
}

/* ---- e --------------------------------------------------------------------------------------- */

/* The descriptors (>= 3) a freshly exec'd program holds, as "fd -> target" lines: the child
 * runs this very program with --list-fds. */
static void child_fds(char *out, size_t room) {
    int p[2];
    pid_t pid;
    size_t n = 0;
    out[0] = 0;
    if (pipe2(p, O_CLOEXEC) != 0) return;
    pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        execl("/proc/self/exe", "test_contracts", "--list-fds", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    for (;;) {
        ssize_t r = read(p[0], out + n, room - 1 - n);
        if (r <= 0) break;
        n += (size_t)r;
        if (n + 1 >= room) break;
    }
    out[n] = 0;
    close(p[0]);
    waitpid(pid, NULL, 0);
}

static int list_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    if (!d) return 1;
    while ((e = readdir(d))) {
        char path[300], target[512];
        ssize_t n;
        int fd = atoi(e->d_name);
        if (e->d_name[0] == '.' || fd < 3 || fd == dirfd(d)) continue;
        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        n = readlink(path, target, sizeof target - 1);
        target[n > 0 ? n : 0] = 0;
        printf("%d -> %s\n", fd, target);
    }
    closedir(d);
    return 0;
}

/* What `during` lists that `before` does not (by target). */
static int new_fds(const char *before, const char *during, char *out, size_t room) {
    const char *line = during;
    int count = 0;
    out[0] = 0;
    while (*line) {
        const char *end = strchr(line, '\n'), *arrow = strstr(line, " -> ");
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (arrow && arrow < line + len) {
            char target[600];
            size_t tl = len - (size_t)(arrow + 4 - line);
            if (tl >= sizeof target) tl = sizeof target - 1;
            memcpy(target, arrow + 4, tl);
            target[tl] = 0;
            if (!strstr(before, target)) {
                count++;
                strncat(out, target, room - strlen(out) - 2);
                strncat(out, " ", room - strlen(out) - 1);
            }
        }
        line += len + (end ? 1 : 0);
    }
    return count;
}

static void write_pcapng(const char *path) {
    /* SHB, IDB (Ethernet), 3 EPBs of 64 bytes */
    FILE *f = fopen(path, "wb");
    uint32_t shb[7] = {0x0A0D0D0A, 28, 0x1A2B3C4D, 0x00000001, 0xFFFFFFFF, 0xFFFFFFFF, 28};
    uint32_t idb[5] = {1, 20, 1, 65535, 20};
    unsigned i;
    unsigned char frame[64];
    memset(frame, 0xCD, sizeof frame);
    memcpy(frame, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x88\xB5", 14);
    if (!f) return;
    fwrite(shb, sizeof shb, 1, f);
    fwrite(idb, sizeof idb, 1, f);
    for (i = 0; i < 3; i++) {
        uint32_t epb[7] = {6, 32 + 64, 0, 0, i, 64, 64};
        uint32_t tail = 32 + 64;
        fwrite(epb, sizeof epb, 1, f);
        fwrite(frame, sizeof frame, 1, f);
        fwrite(&tail, 4, 1, f);
    }
    fclose(f);
}

static void no_descriptor_in_children(void) {
    static char before[8192], during[8192], extra[4096];
    char pcapng[512], capdir[512], name[1024];
    HBLOB nic, cfg;
    HNPP h = NULL;
    int n;
    child_fds(before, sizeof before);
    /* replay through libpcap (pcapng), IESP writing a file */
    snprintf(pcapng, sizeof pcapng, "%s/three.pcapng", tmpdir);
    snprintf(capdir, sizeof capdir, "%s/cap", tmpdir);
    write_pcapng(pcapng);
    nic = ru_replay_nic(pcapng);
    cfg = ru_config(capdir);
    CHECK_RC(npp_create(nic, &h), NMERR_SUCCESS);
    CHECK_RC(esp_connect(h, cfg, NULL, NULL, NULL), NMERR_SUCCESS);
    CHECK_RC(esp_start(h, name, sizeof name), NMERR_SUCCESS);
    child_fds(during, sizeof during);
    n = new_fds(before, during, extra, sizeof extra);
    printf("e) a program exec'd during a pcapng replay into a file holds %d of its descriptors %s\n", n, extra);
    CHECK_EQ(n, 0);
    CHECK_RC(esp_stop(h, NULL), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
    DestroyBlob(nic);
    /* live on lo: IESP and IRTC */
    if (geteuid() != 0) {
        SKIP_PART("e) live capture on lo needs root");
        DestroyBlob(cfg);
        return;
    }
    nic = ru_blob1(CATEGORY_LOCATION, TAG_NAME, "lo");
    {
        int fam;
        for (fam = 0; fam < 2; fam++) {
            static Ctx c;
            memset(&c, 0, sizeof c);
            CHECK_RC(npp_create(nic, &h), NMERR_SUCCESS);
            if (fam == 0) {
                CHECK_RC(esp_connect(h, cfg, NULL, NULL, NULL), NMERR_SUCCESS);
                CHECK_RC(esp_start(h, name, sizeof name), NMERR_SUCCESS);
            } else {
                c.h = h;
                CHECK_RC(rtc_connect(h, cfg, NULL, frames_cb, &c, NULL), NMERR_SUCCESS);
                CHECK_RC(rtc_start(h), NMERR_SUCCESS);
            }
            child_fds(during, sizeof during);
            n = new_fds(before, during, extra, sizeof extra);
            printf("e) a program exec'd during a live %s capture on lo holds %d of its descriptors %s\n", fam ? "IRTC" : "IESP", n, extra);
            CHECK_EQ(n, 0);
            CHECK(strstr(during, "socket:") == NULL || strstr(before, "socket:") != NULL);
            CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
        }
    }
    DestroyBlob(nic);
    DestroyBlob(cfg);
}

/* ---- f --------------------------------------------------------------------------------------- */

static long vm_rss_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1) break;
    fclose(f);
    return kb;
}

static void bounds(void) {
    static const struct { const char *tag, *value; } bad[] = {
        {TAG_BUFFER_SIZE, "4294967295"}, {TAG_BUFFER_SIZE, "1073741825"},
        {TAG_QUERY_TIMEOUT, "abc"}, {TAG_QUERY_TIMEOUT, "-1"}, {TAG_QUERY_TIMEOUT, ""}, {TAG_QUERY_TIMEOUT, "10001"},
    };
    size_t i;
    HBLOB nic = ru_replay_nic(replay_small);
    char max[32];
    static Ctx c;
    long rss0, rss1;
    HNPP h = NULL;
    HBLOB cfg;
    CHECK_EQ(NDISNPP_MAX_BUFFER_SIZE, 1073741824);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        HBLOB b = ru_blob1(CATEGORY_CONFIG, bad[i].tag, bad[i].value), err = NULL, empty = NULL;
        CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
        CHECK_RC(npp_create(nic, &h), NMERR_SUCCESS);
        CHECK_RC(rtc_connect(h, b, NULL, frames_cb, &c, err), NMERR_BLOB_CONVERSION_ERROR);
        CHECK_STR(ru_get(err, CATEGORY_CONFIG, bad[i].tag), bad[i].value);
        CHECK_RC(CreateBlob(&empty), NMERR_SUCCESS);
        CHECK_RC(SetStringInBlob(empty, OWNER_NPP, CATEGORY_CONFIG, TAG_CAPTURE_DIRECTORY, tmpdir), NMERR_SUCCESS);
        CHECK_RC(esp_connect(h, empty, NULL, NULL, NULL), NMERR_SUCCESS);
        CHECK_RC(esp_configure(h, b, NULL), NMERR_BLOB_CONVERSION_ERROR);
        CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
        DestroyBlob(empty);
        DestroyBlob(b);
        DestroyBlob(err);
    }
    /* the largest BufferSize: accepted, and not committed at Start */
    snprintf(max, sizeof max, "%u", (unsigned)NDISNPP_MAX_BUFFER_SIZE);
    cfg = ru_blob1(CATEGORY_CONFIG, TAG_BUFFER_SIZE, max);
    memset(&c, 0, sizeof c);
    CHECK_RC(npp_create(nic, &h), NMERR_SUCCESS);
    c.h = h;
    CHECK_RC(rtc_connect(h, cfg, NULL, frames_cb, &c, NULL), NMERR_SUCCESS);
    rss0 = vm_rss_kb();
    CHECK_RC(rtc_start(h), NMERR_SUCCESS);
    CHECK(wait_at_least(&c.calls, 1));
    rss1 = vm_rss_kb();
    printf("f) IRTC with BufferSize %s: VmRSS %ld kB before Start, %ld kB after the first delivery (+%ld kB)\n", max, rss0, rss1, rss1 - rss0);
    CHECK(rss1 - rss0 < 64 * 1024);
    CHECK_RC(rtc_stop(h), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
    DestroyBlob(cfg);
    DestroyBlob(nic);
}

/* ---- g --------------------------------------------------------------------------------------- */

/* npp_get_error_detail: the words behind an NMERR (item 8: a link type a format cannot hold; a
 * replay cut short). */
static void error_detail(void) {
    char sunatm[512], cut[512], detail[512], tiny[8];
    HBLOB nic, cfg;
    HNPP h = NULL;
    long size;
    FILE *f;
    snprintf(sunatm, sizeof sunatm, "%s/sunatm.pcap", tmpdir);
    CHECK(ru_write_pcap_lt(sunatm, 3, 123) == 0);
    nic = ru_replay_nic(sunatm);
    cfg = ru_config(tmpdir);
    CHECK_RC(npp_create(nic, &h), NMERR_SUCCESS);
    CHECK_RC(npp_get_error_detail(h, NULL, 10), NMERR_INVALID_PARAMETER);
    CHECK_RC(npp_get_error_detail(h, detail, 0), NMERR_INVALID_PARAMETER);
    CHECK_RC(npp_get_error_detail(NULL, detail, sizeof detail), NMERR_INVALID_HNETWORK);
    CHECK_RC(npp_get_error_detail(h, detail, sizeof detail), NMERR_SUCCESS);
    CHECK_STR(detail, "");
    CHECK_RC(esp_connect(h, cfg, NULL, NULL, NULL), NMERR_SUCCESS);
    {
        char name[1024];
        CHECK_RC(esp_start(h, name, sizeof name), NMERR_UNKNOWN_MACTYPE);
    }
    CHECK_RC(npp_get_error_detail(h, detail, sizeof detail), NMERR_SUCCESS);
    printf("g) esp_start of a SunATM replay into Network Monitor 2: \"%s\"\n", detail);
    CHECK(strstr(detail, "123") != NULL);
    CHECK_RC(npp_get_error_detail(h, tiny, sizeof tiny), NMERR_SUCCESS);
    CHECK_EQ(strlen(tiny), sizeof tiny - 1);
    CHECK(strncmp(tiny, detail, sizeof tiny - 1) == 0);
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
    DestroyBlob(nic);
    /* a replay cut inside its 10th record */
    snprintf(cut, sizeof cut, "%s/cut.pcap", tmpdir);
    CHECK(write_replay(cut, 10) == 0);
    f = fopen(cut, "r+b");
    CHECK(f != NULL);
    if (f) {
        fseek(f, 0, SEEK_END);
        size = ftell(f);
        fclose(f);
        CHECK(truncate(cut, size - 20) == 0);
    }
    nic = ru_replay_nic(cut);
    CHECK_RC(npp_create(nic, &h), NMERR_SUCCESS);
    CHECK_RC(esp_connect(h, cfg, NULL, NULL, NULL), NMERR_SUCCESS);
    {
        char name[1024];
        BOOL running = TRUE, paused = TRUE;
        long long deadline = ru_now_ms() + RU_DEADLINE_MS;
        CHECK_RC(esp_start(h, name, sizeof name), NMERR_SUCCESS);
        while (esp_get_control_state(h, &running, &paused) == NMERR_SUCCESS && running && ru_now_ms() < deadline) ru_sleep_ms(2);
        CHECK_EQ(running, FALSE);
    }
    CHECK_RC(npp_get_error_detail(h, detail, sizeof detail), NMERR_SUCCESS);
    printf("g) a replay cut inside its 10th record: \"%s\"\n", detail);
    CHECK(strstr(detail, "cut short after 9 whole records") != NULL);
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
    DestroyBlob(nic);
    DestroyBlob(cfg);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--list-fds") == 0) return list_fds();
    signal(SIGALRM, on_alarm);
    alarm(280);
    if (ru_mkdtemp(tmpdir, sizeof tmpdir, "ndisnpp-contracts") != 0) {
        fprintf(stderr, "no temporary directory\n");
        return 1;
    }
    snprintf(replay_big, sizeof replay_big, "%s/big.pcap", tmpdir);
    snprintf(replay_small, sizeof replay_small, "%s/small.pcap", tmpdir);
    CHECK(write_replay(replay_big, 200000) == 0);
    CHECK(write_replay(replay_small, 10) == 0);
    destroy_from_frames_callback();
    stop_races_stop();
    callbacks_stop_each_other();
    ends_wait_for_a_slow_callback();
    no_descriptor_in_children();
    bounds();
    error_detail();
    ru_rm_tree(tmpdir);
    return check_done("test_contracts");
}
