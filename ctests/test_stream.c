/* Streams (README "Streams"): the capture written to a descriptor the caller gives
 * (NPP:Config:CaptureFileDescriptor: a pipe here), a replay of standard input
 * (NPP:Location:ReplayFile = "-", pcap and pcapng arriving through a pipe), and a replay that ends
 * by itself at the end of its input (NPP:Config:ReplayEndAtEof).
 *
 * The input is a pcap file in exactly the form the library writes (nanosecond magic, snap length
 * 262144, Ethernet), so a capture of it written as pcap must be the same bytes:
 *   - file replay -> pipe (pcap): the same bytes; the end event says NMERR_SUCCESS with every frame;
 *   - file replay -> pipe (pcapng), that pcapng -> standard input -> pipe (pcap): the same bytes;
 *   - pcap -> standard input in 1000-byte pieces -> a file in the capture directory: the same bytes;
 *   - frames reach a pipe reader within a second while the input stays open; Stop on an input
 *     that stays silent returns within a second;
 *   - refused: a descriptor that is not a number, closed, read-only, or with the Network Monitor 2
 *     format (NMERR_NOT_SUPPORTED), each named in the error BLOB with the reason; a descriptor
 *     closed between Connect and Start;
 *   - a reader that is gone (EPIPE) at Start or during the capture: NMERR_FILE_WRITE_ERROR with
 *     "went away" in npp_get_error_detail, the process alive (SIGPIPE has its default action
 *     here), no SIGPIPE left pending, Stop prompt; a reader that stays but never reads: Stop
 *     still returns (NMERR_FILE_WRITE_ERROR, "stopped reading"), the caller's descriptor unchanged;
 *   - standard input closed or not a capture: refused with the reason. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "replay_util.h"

#define NFRAMES 3000u

/* ---- the input ------------------------------------------------------------------------------ */
static unsigned char *input;
static size_t input_len;

static void put32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }

/* NFRAMES Ethernet frames of 60..1553 bytes, in a pcap as the library writes it. */
static void make_input(void) {
    size_t cap = 24 + (size_t)NFRAMES * (16 + 1600), at = 24, k;
    unsigned i;
    input = (unsigned char *)malloc(cap);
    put32(input, 0xA1B23C4Du);
    input[4] = 2; input[5] = 0; input[6] = 4; input[7] = 0;
    memset(input + 8, 0, 8);
    put32(input + 16, 262144);
    put32(input + 20, 1);
    for (i = 0; i < NFRAMES; i++) {
        uint32_t len = 60 + (i * 37) % 1494;
        put32(input + at, 1700000000u + i / 100);
        put32(input + at + 4, (i * 7919u) % 1000000000u);
        put32(input + at + 8, len);
        put32(input + at + 12, len + (i % 3 == 0 ? 4 : 0));
        at += 16;
        memcpy(input + at, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x88\xb5", 14);
        for (k = 14; k < len; k++) input[at + k] = (unsigned char)(k * 31 + i);
        at += len;
    }
    input_len = at;
}

/* ---- threads at the other end of pipes -------------------------------------------------------- */
/* Reads fd until EOF (or `limit` bytes, then closes it early), for at most 20 s. */
typedef struct {
    int fd;
    size_t limit;
    unsigned char *data;
    size_t len, cap;
    long long first_ms; /* when the bytes reached `watch` */
    size_t watch;
    pthread_t t;
} reader_t;

static void *reader_main(void *arg) {
    reader_t *r = (reader_t *)arg;
    long long t0 = tu_now_ms();
    for (;;) {
        struct pollfd p = {r->fd, POLLIN, 0};
        if (tu_now_ms() - t0 > 20000) break;
        if (poll(&p, 1, 100) <= 0) continue;
        if (r->len + 65536 > r->cap) {
            r->cap = r->cap * 2 + 65536;
            r->data = (unsigned char *)realloc(r->data, r->cap);
        }
        ssize_t n = read(r->fd, r->data + r->len, r->limit ? r->limit - r->len : 65536);
        if (n <= 0) break;
        r->len += (size_t)n;
        if (r->watch && !r->first_ms && r->len >= r->watch) __atomic_store_n(&r->first_ms, tu_now_ms(), __ATOMIC_RELEASE);
        if (r->limit && r->len >= r->limit) break;
    }
    close(r->fd);
    return NULL;
}

static void reader_start(reader_t *r, int fd, size_t limit) {
    memset(r, 0, sizeof *r);
    r->fd = fd;
    r->limit = limit;
    pthread_create(&r->t, NULL, reader_main, r);
}

/* Writes data to fd in pieces, then closes it (unless `keep_open`). */
typedef struct {
    int fd;
    const unsigned char *data;
    size_t len, piece;
    int keep_open;
    pthread_t t;
} feeder_t;

static void *feeder_main(void *arg) {
    feeder_t *f = (feeder_t *)arg;
    size_t at = 0;
    long long t0 = tu_now_ms();
    /* Non-blocking, for at most 20 s: a library that never reads must fail the test, not hang it. */
    fcntl(f->fd, F_SETFL, fcntl(f->fd, F_GETFL) | O_NONBLOCK);
    while (at < f->len && tu_now_ms() - t0 < 20000) {
        size_t n = f->len - at < f->piece ? f->len - at : f->piece;
        struct pollfd p = {f->fd, POLLOUT, 0};
        ssize_t w;
        if (poll(&p, 1, 100) <= 0) continue;
        w = write(f->fd, f->data + at, n);
        if (w < 0 && errno == EAGAIN) continue;
        if (w <= 0) break;
        at += (size_t)w;
    }
    if (!f->keep_open) close(f->fd);
    return NULL;
}

static void feeder_start(feeder_t *f, int fd, const unsigned char *data, size_t len, size_t piece, int keep_open) {
    f->fd = fd;
    f->data = data;
    f->len = len;
    f->piece = piece;
    f->keep_open = keep_open;
    pthread_create(&f->t, NULL, feeder_main, f);
}

/* Makes a pipe its read end standard input; returns the write end. */
static int stdin_pipe(void) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) return -1;
    dup2(p[0], 0);
    close(p[0]);
    return p[1];
}

/* ---- the status callback ---------------------------------------------------------------------- */
static int end_seen;
static DWORD end_value;
static DWORD end_frames;

static DWORD on_status(UPDATE_EVENT ev) {
    if (ev.Event == UPDATE_EVENT_NETWORK_STATUS && ev.Action == UPDATE_ACTION_STOP_CAPTURE) {
        end_value = ev.Value;
        end_frames = ev.lpFinalStats ? ev.lpFinalStats->TotalFramesCaptured : 0;
        __atomic_store_n(&end_seen, 1, __ATOMIC_RELEASE);
    }
    return 0;
}

static int wait_end(long ms) {
    long long t0 = tu_now_ms();
    while (!__atomic_load_n(&end_seen, __ATOMIC_ACQUIRE) && tu_now_ms() - t0 < ms) tu_sleep_ms(5);
    return __atomic_load_n(&end_seen, __ATOMIC_ACQUIRE);
}

static HBLOB new_blob(void) {
    HBLOB b = NULL;
    if (CreateBlob(&b) != NMERR_SUCCESS) return NULL;
    return b;
}

/* A configuration BLOB: format, descriptor (NULL: none), capture directory (NULL: none), ReplayEndAtEof. */
static HBLOB config(const char *format, const char *fd, const char *dir, int end_at_eof) {
    HBLOB b = new_blob();
    if (format) SetStringInBlob(b, OWNER_NPP, CATEGORY_CONFIG, TAG_FILE_FORMAT, format);
    if (fd) SetStringInBlob(b, OWNER_NPP, CATEGORY_CONFIG, TAG_CAPTURE_FILE_DESCRIPTOR, fd);
    if (dir) SetStringInBlob(b, OWNER_NPP, CATEGORY_CONFIG, TAG_CAPTURE_DIRECTORY, dir);
    if (end_at_eof) SetBoolInBlob(b, OWNER_NPP, CATEGORY_CONFIG, TAG_REPLAY_END_AT_EOF, TRUE);
    return b;
}

static char input_path[4200];
static char dir[4096];

/* One capture of `replay` (a path or "-") with `cfg`, to its end (ReplayEndAtEof); the end event's
 * value is checked against `want_end`. Returns the NPP (connected, not capturing). */
static HNPP capture_to_end(const char *replay, HBLOB cfg, DWORD want_end, unsigned want_frames) {
    HBLOB nic = ru_replay_nic(replay), err = NULL;
    HNPP h = NULL;
    char name[256] = "x";
    err = new_blob();
    end_seen = 0;
    CHECK_RC(npp_create(nic, &h), NMERR_SUCCESS);
    CHECK_RC(esp_connect(h, cfg, on_status, NULL, err), NMERR_SUCCESS);
    CHECK_RC(esp_start(h, name, sizeof name), NMERR_SUCCESS);
    CHECK(wait_end(10000));
    CHECK_EQ(end_value, want_end);
    if (want_end == NMERR_SUCCESS) CHECK_EQ(end_frames, want_frames);
    long long t0 = tu_now_ms();
    STATISTICS st;
    CHECK_RC(esp_stop(h, &st), NMERR_NOT_CAPTURING);
    CHECK(tu_now_ms() - t0 < 1000);
    DestroyBlob(nic);
    DestroyBlob(err);
    return h;
}

static void same_bytes(const char *what, const unsigned char *got, size_t got_len) {
    check_count++;
    if (got_len != input_len || memcmp(got, input, input_len) != 0) {
        check_failures++;
        size_t k = 0;
        while (k < got_len && k < input_len && got[k] == input[k]) k++;
        fprintf(stderr, "%s: %zu bytes, expected %zu; first difference at %zu\n", what, got_len, input_len, k);
    }
}

static char *error_detail(HNPP h) {
    static char d[1024];
    d[0] = '\0';
    npp_get_error_detail(h, d, sizeof d);
    return d;
}

static int sigpipe_pending(void) {
    sigset_t s;
    sigemptyset(&s);
    sigpending(&s);
    return sigismember(&s, SIGPIPE) == 1;
}

/* A descriptor entry that must be refused at Connect with `want`, the entry and a reason
 * containing `why` in the error BLOB. */
static void refused(const char *format, const char *fd, DWORD want, const char *why) {
    HBLOB nic = ru_replay_nic(input_path), err = NULL, cfg = config(format, fd, NULL, 0);
    HNPP h = NULL;
    const char *v;
    err = new_blob();
    CHECK_RC(npp_create(nic, &h), NMERR_SUCCESS);
    CHECK_RC(esp_connect(h, cfg, on_status, NULL, err), want);
    v = ru_get(err, CATEGORY_CONFIG, TAG_CAPTURE_FILE_DESCRIPTOR);
    CHECK(v && strcmp(v, fd) == 0);
    if (why) {
        v = ru_get(err, "Error", "Detail");
        CHECK(v && strstr(v, why));
        if (!v || !strstr(v, why)) fprintf(stderr, "  descriptor '%s': detail '%s', expected '%s'\n", fd, v ? v : "(none)", why);
    }
    npp_destroy(h);
    DestroyBlob(nic);
    DestroyBlob(err);
    DestroyBlob(cfg);
}

int main(void) {
    char fdtext[32];
    int p[2];
    reader_t r;
    feeder_t f;
    HNPP h;
    HBLOB cfg;

    make_input();
    if (ru_mkdtemp(dir, sizeof dir, "ndisnpp-stream") != 0) { fprintf(stderr, "mkdtemp\n"); return 1; }
    snprintf(input_path, sizeof input_path, "%s/in.pcap", dir);
    {
        FILE *out = fopen(input_path, "wb");
        fwrite(input, input_len, 1, out);
        fclose(out);
    }

    /* 1. file replay -> pipe, pcap: the same bytes, every frame, the end by itself. */
    pipe2(p, O_CLOEXEC);
    reader_start(&r, p[0], 0);
    snprintf(fdtext, sizeof fdtext, "%d", p[1]);
    cfg = config("PCAP", fdtext, NULL, 1);
    h = capture_to_end(input_path, cfg, NMERR_SUCCESS, NFRAMES);
    close(p[1]); /* the library's duplicate is closed already: the reader sees the end */
    pthread_join(r.t, NULL);
    same_bytes("pcap to a pipe", r.data, r.len);
    npp_destroy(h);
    DestroyBlob(cfg);
    free(r.data);

    /* 2. file replay -> pipe as pcapng; that pcapng through standard input -> pipe as pcap. */
    pipe2(p, O_CLOEXEC);
    reader_start(&r, p[0], 0);
    snprintf(fdtext, sizeof fdtext, "%d", p[1]);
    cfg = config("PCAPNG", fdtext, NULL, 1);
    h = capture_to_end(input_path, cfg, NMERR_SUCCESS, NFRAMES);
    close(p[1]);
    pthread_join(r.t, NULL);
    npp_destroy(h);
    DestroyBlob(cfg);
    CHECK(r.len > 4 && memcmp(r.data, "\x0a\x0d\x0d\x0a", 4) == 0);
    {
        reader_t r2;
        unsigned char *ng = r.data;
        feeder_start(&f, stdin_pipe(), ng, r.len, 4093, 0);
        pipe2(p, O_CLOEXEC);
        reader_start(&r2, p[0], 0);
        snprintf(fdtext, sizeof fdtext, "%d", p[1]);
        cfg = config("PCAP", fdtext, NULL, 1);
        h = capture_to_end("-", cfg, NMERR_SUCCESS, NFRAMES);
        close(p[1]);
        pthread_join(r2.t, NULL);
        pthread_join(f.t, NULL);
        same_bytes("pcapng through standard input, written as pcap", r2.data, r2.len);
        npp_destroy(h);
        DestroyBlob(cfg);
        free(r2.data);
        free(ng);
    }

    /* 3. pcap through standard input in 1000-byte pieces -> a file in the capture directory. */
    {
        char name[4096] = "";
        HBLOB nic = ru_replay_nic("-"), err = NULL;
        err = new_blob();
        feeder_start(&f, stdin_pipe(), input, input_len, 1000, 0);
        cfg = config("PCAP", NULL, dir, 1);
        end_seen = 0;
        CHECK_RC(npp_create(nic, &h), NMERR_SUCCESS);
        CHECK_RC(esp_connect(h, cfg, on_status, NULL, err), NMERR_SUCCESS);
        CHECK_RC(esp_start(h, name, sizeof name), NMERR_SUCCESS);
        CHECK(wait_end(10000));
        CHECK_EQ(end_value, NMERR_SUCCESS);
        CHECK_EQ(end_frames, NFRAMES);
        CHECK_RC(esp_stop(h, NULL), NMERR_NOT_CAPTURING);
        pthread_join(f.t, NULL);
        {
            FILE *in = fopen(name, "rb");
            unsigned char *got = (unsigned char *)malloc(input_len + 16);
            size_t n = in ? fread(got, 1, input_len + 16, in) : 0;
            if (in) fclose(in);
            same_bytes("standard input to a file", got, n);
            free(got);
            unlink(name);
        }
        npp_destroy(h);
        DestroyBlob(cfg);
        DestroyBlob(nic);
        DestroyBlob(err);
    }

    /* 4. Frames reach the pipe reader within a second while the input stays open (no end of
     * input, no ReplayEndAtEof); Stop on the silent input returns within a second. */
    {
        size_t three = 24, k;
        char name[64];
        HBLOB nic = ru_replay_nic("-"), err = NULL;
        err = new_blob();
        for (k = 0; k < 3; k++) {
            uint32_t caplen;
            memcpy(&caplen, input + three + 8, 4);
            three += 16 + caplen;
        }
        int in_w = stdin_pipe();
        feeder_start(&f, in_w, input, three, 65536, 1);
        pipe2(p, O_CLOEXEC);
        reader_start(&r, p[0], 0);
        r.watch = three;
        snprintf(fdtext, sizeof fdtext, "%d", p[1]);
        cfg = config("PCAP", fdtext, NULL, 0);
        CHECK_RC(npp_create(nic, &h), NMERR_SUCCESS);
        CHECK_RC(esp_connect(h, cfg, on_status, NULL, err), NMERR_SUCCESS);
        long long t0 = tu_now_ms();
        CHECK_RC(esp_start(h, name, sizeof name), NMERR_SUCCESS);
        CHECK_STR(name, ""); /* no file name: the capture goes to the descriptor */
        while (!__atomic_load_n(&r.first_ms, __ATOMIC_ACQUIRE) && tu_now_ms() - t0 < 5000) tu_sleep_ms(5);
        long long seen = __atomic_load_n(&r.first_ms, __ATOMIC_ACQUIRE);
        CHECK(seen && seen - t0 < 1000);
        printf("3 frames reached the pipe reader %lld ms after esp_start\n", seen ? seen - t0 : -1);
        tu_sleep_ms(300);
        STATISTICS st;
        t0 = tu_now_ms();
        CHECK_RC(esp_stop(h, &st), NMERR_SUCCESS);
        CHECK(tu_now_ms() - t0 < 1000);
        printf("esp_stop on a silent standard input took %lld ms\n", tu_now_ms() - t0);
        CHECK_EQ(st.TotalFramesCaptured, 3);
        pthread_join(f.t, NULL);
        close(in_w);
        close(p[1]);
        pthread_join(r.t, NULL);
        CHECK_EQ(r.len, three);
        CHECK(r.len == three && memcmp(r.data, input, three) == 0);
        free(r.data);
        npp_destroy(h);
        DestroyBlob(cfg);
        DestroyBlob(nic);
        DestroyBlob(err);
    }

    /* 5. Refused descriptors. */
    {
        HBLOB nic = ru_replay_nic(input_path), err = NULL;
        const char *bad[] = {"abc", "", "-1", "1x", "+1", "99999999999"};
        size_t k;
        err = new_blob();
        CHECK_RC(npp_create(nic, &h), NMERR_SUCCESS);
        for (k = 0; k < sizeof bad / sizeof bad[0]; k++) {
            cfg = config("PCAP", bad[k], NULL, 0);
            CHECK_RC(esp_connect(h, cfg, on_status, NULL, err), NMERR_BLOB_CONVERSION_ERROR);
            const char *v = ru_get(err, CATEGORY_CONFIG, TAG_CAPTURE_FILE_DESCRIPTOR);
            CHECK(v && strcmp(v, bad[k]) == 0);
            DestroyBlob(cfg);
        }
        npp_destroy(h);
        DestroyBlob(nic);
        DestroyBlob(err);
    }
    pipe2(p, O_CLOEXEC);
    close(p[0]);
    close(p[1]);
    snprintf(fdtext, sizeof fdtext, "%d", p[1]);
    refused("PCAP", fdtext, NMERR_INVALID_PARAMETER, "Bad file descriptor");
    pipe2(p, O_CLOEXEC);
    snprintf(fdtext, sizeof fdtext, "%d", p[0]);
    refused("PCAPNG", fdtext, NMERR_INVALID_PARAMETER, "not open for writing");
    snprintf(fdtext, sizeof fdtext, "%d", p[1]);
    refused(NULL, fdtext, NMERR_NOT_SUPPORTED, "Network Monitor 2");
    refused("NETMON2", fdtext, NMERR_NOT_SUPPORTED, "seeks");
    {
        /* Closed between Connect and Start: Start refuses and says why. */
        HBLOB nic = ru_replay_nic(input_path), err = NULL;
        char name[64];
        err = new_blob();
        cfg = config("PCAP", fdtext, NULL, 0);
        CHECK_RC(npp_create(nic, &h), NMERR_SUCCESS);
        CHECK_RC(esp_connect(h, cfg, on_status, NULL, err), NMERR_SUCCESS);
        close(p[1]);
        CHECK_RC(esp_start(h, name, sizeof name), NMERR_INVALID_PARAMETER);
        CHECK(strstr(error_detail(h), "Bad file descriptor") != NULL);
        /* 6a. A reader gone before Start: the header cannot be written. */
        pipe2(p, O_CLOEXEC);
        close(p[0]);
        snprintf(fdtext, sizeof fdtext, "%d", p[1]);
        DestroyBlob(cfg);
        cfg = config("PCAP", fdtext, NULL, 0);
        CHECK_RC(esp_configure(h, cfg, err), NMERR_SUCCESS);
        CHECK_RC(esp_start(h, name, sizeof name), NMERR_FILE_WRITE_ERROR);
        CHECK(strstr(error_detail(h), "went away") != NULL);
        printf("a reader gone before Start: %s\n", error_detail(h));
        CHECK(!sigpipe_pending());
        close(p[1]);
        npp_destroy(h);
        DestroyBlob(cfg);
        DestroyBlob(nic);
        DestroyBlob(err);
    }

    /* 6b. A reader that goes away during the capture (after 100 bytes). */
    pipe2(p, O_CLOEXEC);
    reader_start(&r, p[0], 100);
    snprintf(fdtext, sizeof fdtext, "%d", p[1]);
    cfg = config("PCAP", fdtext, NULL, 1);
    h = capture_to_end(input_path, cfg, NMERR_FILE_WRITE_ERROR, 0);
    CHECK(strstr(error_detail(h), "went away") != NULL);
    printf("a reader gone during the capture: %s\n", error_detail(h));
    CHECK(!sigpipe_pending());
    pthread_join(r.t, NULL);
    CHECK_EQ(r.len, 100);
    close(p[1]);
    free(r.data);
    npp_destroy(h);
    DestroyBlob(cfg);

    /* 6c. A reader that stays but never reads: the pipe fills, the capture waits for room;
     *     Stop still returns (STREAM_GIVE_UP after it) with NMERR_FILE_WRITE_ERROR and says why,
     *     and the caller's descriptor keeps its flags (blocking). */
    {
        HBLOB nic = ru_replay_nic(input_path), err = new_blob();
        char name[64];
        STATISTICS st;
        int flags_before, flags_after;
        pipe2(p, O_CLOEXEC);
        flags_before = fcntl(p[1], F_GETFL);
        snprintf(fdtext, sizeof fdtext, "%d", p[1]);
        cfg = config("PCAP", fdtext, NULL, 0);
        CHECK_RC(npp_create(nic, &h), NMERR_SUCCESS);
        CHECK_RC(esp_connect(h, cfg, on_status, NULL, err), NMERR_SUCCESS);
        CHECK_RC(esp_start(h, name, sizeof name), NMERR_SUCCESS);
        /* The input (over 200 KB) does not fit the pipe (64 KiB): the capture is waiting now. */
        tu_sleep_ms(300);
        CHECK_RC(esp_stop(h, &st), NMERR_FILE_WRITE_ERROR);
        printf("a reader that never reads, after Stop: %s\n", error_detail(h));
        CHECK(strstr(error_detail(h), "stopped reading") != NULL);
        flags_after = fcntl(p[1], F_GETFL);
        CHECK_EQ(flags_after & O_NONBLOCK, flags_before & O_NONBLOCK);
        CHECK(!sigpipe_pending());
        close(p[0]);
        close(p[1]);
        npp_destroy(h);
        DestroyBlob(cfg);
        DestroyBlob(nic);
        DestroyBlob(err);
    }

    /* 7. Standard input that is not a capture, and closed standard input. */
    {
        HBLOB nic = ru_replay_nic("-"), err = NULL;
        char name[64];
        static const unsigned char junk[] = "this is not a capture file at all";
        err = new_blob();
        cfg = config("PCAP", NULL, dir, 1);
        feeder_start(&f, stdin_pipe(), junk, sizeof junk, 100, 0);
        CHECK_RC(npp_create(nic, &h), NMERR_SUCCESS);
        CHECK_RC(esp_connect(h, cfg, on_status, NULL, err), NMERR_SUCCESS);
        CHECK_RC(esp_start(h, name, sizeof name), NMERR_INVALID_FILE_FORMAT);
        CHECK(strstr(error_detail(h), "not a pcap or pcapng capture") != NULL);
        pthread_join(f.t, NULL);
        esp_disconnect(h);
        close(0);
        CHECK_RC(esp_connect(h, cfg, on_status, NULL, err), NMERR_FILE_NOT_FOUND);
        npp_destroy(h);
        DestroyBlob(cfg);
        DestroyBlob(nic);
        DestroyBlob(err);
    }

    ru_rm_tree(dir);
    free(input);
    return check_done("test_stream");
}
