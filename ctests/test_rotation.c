/* Rotation (README, "Rotation"): a capture written to a series of files, NPP:Config:RotateBytes /
 * RotateSeconds / RotateFiles / RotateBaseName, from a replay NIC (exact frames, no privilege).
 *
 *   - by size, for NETMON2, PCAP and PCAPNG: 300 frames of 60..459 bytes, RotateBytes 8192. The
 *     files are exactly those the rule gives (a new file before the frame that would take the
 *     completed file past 8192 bytes, computed here from each format's layout: at least 5), each
 *     at most 8192 bytes, named <base>_<00001...>_<YYYYMMDDTHHMMSSZ>.<cap|pcap|pcapng> in order;
 *     esp_start names the first, one NDISNPP_FILE_STARTED event names each of the others, in
 *     order; each file is read by capinfos and tshark (TZ=UTC), and the frames of all files, in
 *     file order, are the replayed input's frames in order (time, length, bytes), each once;
 *     each NETMON2 file ends with its own statistics frame whose TotalFramesCaptured is its own
 *     frame count; esp_stop's STATISTICS count all 300.
 *   - RotateFiles 3 (PCAP, RotateBaseName "ring"): exactly the 3 newest files are left, holding
 *     exactly the input's last frames; esp_stop still counts all 300.
 *   - by time: a paced replay of 16 frames 200 ms apart, RotateSeconds 1, NETMON2: at least 2
 *     files (the frames span 3 s; only file counts and frame identity are checked, no time), each
 *     complete before Stop once the link has been quiet for more than a second, every frame once.
 *   - bad values are refused by Connect and Configure with NMERR_BLOB_CONVERSION_ERROR and the
 *     entry in the error BLOB.
 * Skips (77) without tshark/capinfos. */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"
#include "replay_util.h"
#include "shell_util.h"

#define NFRAMES 300
#define LIMIT 8192
#define MAXFILES 128

static unsigned frame_len(unsigned i) { return 60u + (i * 37u) % 400u; }

/* The input: frame i is frame_len(i) bytes, EtherType 0x88B5, its index in bytes 14..17 (big
 * endian), then the byte i; at 1700000000 + i/10 s and (i%10)*100000 + i us (paced: i*200 ms). */
static int write_input(const char *path, unsigned n, int paced) {
    tu_pcap p;
    unsigned i;
    if (tu_pcap_open(&p, path, 1, 65535, 0) != 0) return -1;
    for (i = 0; i < n; i++) {
        unsigned char f[512];
        unsigned len = frame_len(i);
        memset(f, (int)(i & 0xFF), sizeof f);
        memcpy(f, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x88\xb5", 14);
        f[14] = (unsigned char)(i >> 24);
        f[15] = (unsigned char)(i >> 16);
        f[16] = (unsigned char)(i >> 8);
        f[17] = (unsigned char)i;
        if (paced) tu_pcap_frame(&p, 1700000000u + i / 5, (i % 5) * 200000u, f, len, len);
        else tu_pcap_frame(&p, 1700000000u + i / 10, (i % 10) * 100000u + i, f, len, len);
    }
    return tu_pcap_close(&p);
}

/* The status callback: the names of NDISNPP_FILE_STARTED events, in order. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char started[MAXFILES][1024];
static int n_started;

static DWORD on_status(UPDATE_EVENT ev) {
    if (ev.Event == UPDATE_EVENT_NETWORK_STATUS && ev.Action == UPDATE_ACTION_NOTIFY && ev.Value == NDISNPP_FILE_STARTED) {
        pthread_mutex_lock(&lock);
        if (n_started < MAXFILES) snprintf(started[n_started], sizeof started[0], "%s", ev.lpReserved ? (const char *)ev.lpReserved : "(null)");
        n_started++;
        pthread_mutex_unlock(&lock);
    }
    return 0;
}

/* The files of `dir`, sorted by name. */
static char files[MAXFILES][512];
static int list_files(const char *dir) {
    struct dirent **list;
    int n = scandir(dir, &list, NULL, alphasort), k = 0, i;
    for (i = 0; i < n; i++) {
        if (list[i]->d_name[0] != '.' && k < MAXFILES) snprintf(files[k++], sizeof files[0], "%s", list[i]->d_name);
        free(list[i]);
    }
    free(list);
    return n < 0 ? -1 : k;
}

/* What the rule gives: the number of frames in each file (returns the number of files), for the
 * completed size of each format with frames 0..n-1 (Ethernet, no trailer). */
static int expected_split(const char *format, unsigned n, unsigned long long limit, unsigned *per_file) {
    int files_n = 1;
    unsigned long long pos;
    unsigned frames = 0, i;
    int nm = strcmp(format, "NETMON2") == 0, ng = strcmp(format, "PCAPNG") == 0;
    unsigned long long header = nm ? 128 : ng ? 60 : 24;
    pos = header;
    per_file[0] = 0;
    for (i = 0; i < n; i++) {
        unsigned len = frame_len(i);
        unsigned long long rec = nm ? 16 + len : ng ? 28 + len + (4 - len % 4) % 4 + 4 : 16 + len;
        unsigned long long size = nm ? pos + 4ull * frames + rec + 4 + (16 + 128 + 4) : pos + rec;
        if (frames > 0 && size > limit) {
            files_n++;
            pos = header;
            frames = 0;
            per_file[files_n - 1] = 0;
        }
        pos += rec;
        frames++;
        per_file[files_n - 1]++;
    }
    return files_n;
}

/* The data frames of a file as tshark reads them: "time<TAB>len<TAB>hex" lines (malloc'd), and
 * their count; NULL when tshark failed. */
static char *frames_of(const char *path, int *count) {
    char cmd[1200];
    int status;
    char *out, *p;
    snprintf(cmd, sizeof cmd,
             "TZ=UTC tshark -r '%.1000s' -Y 'eth.type == 0x88b5' -T fields -E separator=/t -e frame.time_epoch -e frame.len -e data.data 2>/dev/null",
             path);
    out = run_capture(cmd, &status);
    if (!out || status != 0) {
        free(out);
        return NULL;
    }
    *count = 0;
    for (p = out; *p; p++) *count += *p == '\n';
    return out;
}

/* `capinfos -M -c` frame count, -1 when it failed. */
static long capinfos_count(const char *path) {
    char cmd[1200];
    int status;
    char *out;
    long n = -1;
    snprintf(cmd, sizeof cmd, "TZ=UTC capinfos -M -c '%.1000s' 2>/dev/null", path);
    out = run_capture(cmd, &status);
    if (out && status == 0) {
        char *p = strstr(out, "Number of packets:");
        if (p) n = strtol(p + strlen("Number of packets:"), NULL, 10);
    }
    free(out);
    return n;
}

/* A NETMON2 file's statistics frames: how many, and the TotalFramesCaptured of the last. */
static int stats_frame_captured(const char *path, long *captured) {
    char cmd[1200];
    int status, n = 0;
    char *out, *line;
    snprintf(cmd, sizeof cmd, "TZ=UTC tshark -r '%.1000s' -Y 'llc' -T fields -e data.data 2>/dev/null", path);
    out = run_capture(cmd, &status);
    if (!out || status != 0) {
        free(out);
        return -1;
    }
    /* data.data starts after the LLC/SNAP header: "$MST", flags, type, length (14 bytes), then
     * StatsVersion (4), TimeElapsed (8), TotalFramesCaptured (4, little-endian). */
    for (line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        unsigned b[4];
        n++;
        if (strlen(line) >= 2 * 30 && sscanf(line + 2 * 26, "%2x%2x%2x%2x", &b[0], &b[1], &b[2], &b[3]) == 4)
            *captured = (long)(b[0] | b[1] << 8 | b[2] << 16 | (unsigned long)b[3] << 24);
    }
    free(out);
    return n;
}

/* Whether `name` is <base>_<seq, 5 digits>_<YYYYMMDDTHHMMSSZ>.<ext> with the given base (NULL:
 * nm-<16 hex>), sequence number and extension. */
static int name_ok(const char *name, const char *base, int seq, const char *ext) {
    char want[64];
    size_t bl;
    int i;
    if (base) {
        bl = strlen(base);
        if (strncmp(name, base, bl) != 0) return 0;
    } else {
        if (strncmp(name, "nm-", 3) != 0) return 0;
        for (i = 3; i < 19; i++)
            if (!strchr("0123456789abcdef", name[i])) return 0;
        bl = 19;
    }
    snprintf(want, sizeof want, "_%05d_", seq);
    if (strncmp(name + bl, want, 7) != 0) return 0;
    name += bl + 7;
    for (i = 0; i < 16; i++) {
        char c = name[i];
        if (i == 8 ? c != 'T' : i == 15 ? c != 'Z' : !(c >= '0' && c <= '9')) return 0;
    }
    return name[16] == '.' && strcmp(name + 17, ext) == 0;
}

static const char *ext_of(const char *format) {
    return strcmp(format, "NETMON2") == 0 ? "cap" : strcmp(format, "PCAP") == 0 ? "pcap" : "pcapng";
}

/* Runs one capture of `input` into `dir` with the configuration entries (tag, value pairs,
 * NULL-ended); `first` receives esp_start's name. The STATISTICS of esp_stop. `quiet_ms`: how
 * long to wait once every frame is captured, and then `before_stop` runs (may be NULL). */
static STATISTICS run_capture_with(const char *input, const char *dir, const char *const *entries, unsigned nframes, char *first,
                                   size_t room, long quiet_ms, void (*before_stop)(const char *dir)) {
    STATISTICS st;
    HBLOB nic = ru_replay_nic(input), cfg = ru_config(dir), err = NULL;
    HNPP h = NULL;
    int i;
    memset(&st, 0, sizeof st);
    n_started = 0;
    CHECK(nic && cfg);
    for (i = 0; entries[i]; i += 2) CHECK_RC(SetStringInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, entries[i], entries[i + 1]), NMERR_SUCCESS);
    CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
    CHECK_RC(npp_create(nic, &h), NMERR_SUCCESS);
    CHECK_RC(esp_connect(h, cfg, on_status, NULL, err), NMERR_SUCCESS);
    CHECK_RC(esp_start(h, first, room), NMERR_SUCCESS);
    CHECK_EQ(ru_wait_captured(esp_get_statistics_ex, h, nframes), nframes);
    if (quiet_ms) ru_sleep_ms(quiet_ms);
    if (before_stop) before_stop(dir);
    CHECK_RC(esp_stop(h, &st), NMERR_SUCCESS);
    CHECK_RC(esp_disconnect(h), NMERR_SUCCESS); /* the callback thread has ended: n_started is final */
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
    DestroyBlob(nic);
    DestroyBlob(cfg);
    DestroyBlob(err);
    return st;
}

static const char *basename_of(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* The frames of files[from..to) of `dir`, concatenated (malloc'd); their count in *count, each
 * file's in per_file (NULL: not kept). NETMON2: each file also checked for its statistics frame. */
static char *frames_of_files(const char *dir, int from, int to, int netmon2, int *count, unsigned *per_file) {
    size_t len = 0;
    char *all = calloc(1, 1);
    int k;
    *count = 0;
    for (k = from; k < to && all; k++) {
        char path[2048];
        int n = 0;
        char *fr;
        snprintf(path, sizeof path, "%.1000s/%.1000s", dir, files[k]);
        fr = frames_of(path, &n);
        CHECK(fr != NULL);
        if (!fr) continue;
        CHECK_EQ(capinfos_count(path), n + (netmon2 ? 1 : 0));
        if (netmon2) {
            long captured = -1;
            CHECK_EQ(stats_frame_captured(path, &captured), 1);
            CHECK_EQ(captured, n);
        }
        if (per_file) per_file[k - from] = (unsigned)n;
        *count += n;
        all = realloc(all, len + strlen(fr) + 1);
        if (all) {
            memcpy(all + len, fr, strlen(fr) + 1);
            len += strlen(fr);
        }
        free(fr);
    }
    return all;
}

/* The input's frames from frame `skip` on, as frames_of gives them. */
static char *input_frames_from(const char *all, int skip) {
    const char *p = all;
    while (skip-- > 0 && p) {
        p = strchr(p, '\n');
        if (p) p++;
    }
    return strdup(p ? p : "");
}

static void by_size(const char *tmp, const char *input, const char *format) {
    char dir[1024], first[1024], limit[32];
    unsigned want_split[MAXFILES], got_split[MAXFILES];
    int want_files, n, k, count = 0, in_count = 0;
    const char *entries[] = {TAG_FILE_FORMAT, format, TAG_ROTATE_BYTES, limit, NULL};
    char *got, *in;
    STATISTICS st;
    printf("by size, %s\n", format);
    snprintf(limit, sizeof limit, "%d", LIMIT);
    snprintf(dir, sizeof dir, "%s/size-%s", tmp, format);
    st = run_capture_with(input, dir, entries, NFRAMES, first, sizeof first, 0, NULL);
    CHECK_EQ(st.TotalFramesCaptured, NFRAMES);
    want_files = expected_split(format, NFRAMES, LIMIT, want_split);
    n = list_files(dir);
    printf("  %d files (the rule gives %d), %d NDISNPP_FILE_STARTED events\n", n, want_files, n_started);
    CHECK(want_files >= 5);
    CHECK_EQ(n, want_files);
    CHECK_EQ(n_started, n - 1);
    if (n < 1) return;
    CHECK_STR(basename_of(first), files[0]);
    for (k = 0; k < n; k++) {
        char path[2048];
        struct stat sb;
        CHECK(name_ok(files[k], NULL, k + 1, ext_of(format)));
        CHECK(strncmp(files[k], files[0], 19) == 0); /* one base for the series */
        if (k > 0 && k - 1 < n_started) CHECK_STR(basename_of(started[k - 1]), files[k]);
        snprintf(path, sizeof path, "%.1000s/%.1000s", dir, files[k]);
        CHECK(stat(path, &sb) == 0 && sb.st_size <= LIMIT);
        if (k == 0 || k == n - 1) printf("  %s: %lld bytes\n", files[k], (long long)sb.st_size);
    }
    got = frames_of_files(dir, 0, n, strcmp(format, "NETMON2") == 0, &count, got_split);
    in = frames_of(input, &in_count);
    CHECK_EQ(in_count, NFRAMES);
    CHECK_EQ(count, NFRAMES);
    CHECK(got && in && strcmp(got, in) == 0);
    for (k = 0; k < n && k < want_files; k++) CHECK_EQ(got_split[k], want_split[k]);
    free(got);
    free(in);
    ru_rm_tree(dir);
}

static void keep_three(const char *tmp, const char *input) {
    char dir[1024], first[1024], limit[32];
    unsigned want_split[MAXFILES];
    int want_files, n, k, count = 0, in_count = 0;
    unsigned last3 = 0;
    const char *entries[] = {TAG_FILE_FORMAT, "PCAP", TAG_ROTATE_BYTES, limit, TAG_ROTATE_FILES, "3", TAG_ROTATE_BASE_NAME, "ring", NULL};
    char *got, *in_all, *in;
    STATISTICS st;
    printf("RotateFiles 3, PCAP\n");
    snprintf(limit, sizeof limit, "%d", LIMIT);
    snprintf(dir, sizeof dir, "%s/keep", tmp);
    st = run_capture_with(input, dir, entries, NFRAMES, first, sizeof first, 0, NULL);
    CHECK_EQ(st.TotalFramesCaptured, NFRAMES);
    want_files = expected_split("PCAP", NFRAMES, LIMIT, want_split);
    n = list_files(dir);
    printf("  %d files left of %d made\n", n, n_started + 1);
    CHECK_EQ(n, 3);
    CHECK_EQ(n_started + 1, want_files);
    CHECK(strstr(first, "/ring_00001_") != NULL);
    CHECK(!ru_exists(first)); /* the oldest, deleted */
    for (k = 0; k < n; k++) CHECK(name_ok(files[k], "ring", want_files - 2 + k, "pcap"));
    for (k = want_files - 3; k < want_files; k++) last3 += want_split[k];
    got = frames_of_files(dir, 0, n, 0, &count, NULL);
    in_all = frames_of(input, &in_count);
    in = in_all ? input_frames_from(in_all, NFRAMES - (int)last3) : NULL;
    CHECK_EQ(count, last3);
    CHECK(got && in && strcmp(got, in) == 0);
    free(got);
    free(in);
    free(in_all);
    ru_rm_tree(dir);
}

/* Before Stop, once the link has been quiet for more than RotateSeconds: every file is complete. */
static int complete_before_stop;
static void check_complete(const char *dir) {
    int n = list_files(dir), k;
    complete_before_stop = 1;
    for (k = 0; k < n; k++) {
        char path[2048];
        snprintf(path, sizeof path, "%.1000s/%.1000s", dir, files[k]);
        if (capinfos_count(path) < 2) complete_before_stop = 0; /* a frame and the statistics frame */
    }
}

static void by_time(const char *tmp) {
    char dir[1024], first[1024], input[1024];
    int n, k, count = 0, in_count = 0;
    const char *entries[] = {TAG_FILE_FORMAT, "NETMON2", TAG_ROTATE_SECONDS, "1", TAG_REPLAY_PACE, "TRUE", NULL};
    char *got, *in;
    STATISTICS st;
    printf("by time (paced replay, 16 frames 200 ms apart, RotateSeconds 1), NETMON2\n");
    snprintf(input, sizeof input, "%s/paced.pcap", tmp);
    CHECK(write_input(input, 16, 1) == 0);
    snprintf(dir, sizeof dir, "%s/time", tmp);
    st = run_capture_with(input, dir, entries, 16, first, sizeof first, 1500, check_complete);
    CHECK_EQ(st.TotalFramesCaptured, 16);
    n = list_files(dir);
    printf("  %d files, %d NDISNPP_FILE_STARTED events\n", n, n_started);
    CHECK(n >= 2 && n <= 16);
    CHECK_EQ(n_started, n - 1);
    CHECK(complete_before_stop);
    for (k = 0; k < n; k++) CHECK(name_ok(files[k], NULL, k + 1, "cap"));
    got = frames_of_files(dir, 0, n, 1, &count, NULL);
    in = frames_of(input, &in_count);
    CHECK_EQ(count, 16);
    CHECK(got && in && strcmp(got, in) == 0);
    free(got);
    free(in);
    ru_rm_tree(dir);
}

/* Connect and Configure refuse each bad entry: NMERR_BLOB_CONVERSION_ERROR, the entry in the
 * error BLOB; the capture configured before stays. */
static void bad_values(const char *tmp, const char *input) {
    static const char *const bad[][4] = {
        {TAG_ROTATE_BYTES, "4095", NULL, NULL},
        {TAG_ROTATE_BYTES, "1099511627777", NULL, NULL},
        {TAG_ROTATE_BYTES, "8k", NULL, NULL},
        {TAG_ROTATE_SECONDS, "31622401", NULL, NULL},
        {TAG_ROTATE_SECONDS, "-1", NULL, NULL},
        {TAG_ROTATE_FILES, "100001", TAG_ROTATE_SECONDS, "1"},
        {TAG_ROTATE_FILES, "3", NULL, NULL}, /* without a limit */
        {TAG_ROTATE_BASE_NAME, "a/b", TAG_ROTATE_SECONDS, "1"},
        {TAG_ROTATE_BASE_NAME, ".x", TAG_ROTATE_SECONDS, "1"},
        {TAG_ROTATE_BASE_NAME, "x", NULL, NULL}, /* without a limit */
    };
    char dir[1024];
    size_t i;
    printf("bad values\n");
    snprintf(dir, sizeof dir, "%s/bad", tmp);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int configure;
        for (configure = 0; configure < 2; configure++) {
            HBLOB nic = ru_replay_nic(input), cfg = ru_config(dir), err = NULL;
            HNPP h = NULL;
            CHECK(nic && cfg);
            CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
            CHECK_RC(npp_create(nic, &h), NMERR_SUCCESS);
            if (bad[i][2]) CHECK_RC(SetStringInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, bad[i][2], bad[i][3]), NMERR_SUCCESS);
            if (configure) {
                CHECK_RC(esp_connect(h, cfg, NULL, NULL, err), NMERR_SUCCESS);
                CHECK_RC(SetStringInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, bad[i][0], bad[i][1]), NMERR_SUCCESS);
                CHECK_RC(esp_configure(h, cfg, err), NMERR_BLOB_CONVERSION_ERROR);
            } else {
                CHECK_RC(SetStringInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, bad[i][0], bad[i][1]), NMERR_SUCCESS);
                CHECK_RC(esp_connect(h, cfg, NULL, NULL, err), NMERR_BLOB_CONVERSION_ERROR);
            }
            CHECK_STR(ru_get(err, CATEGORY_CONFIG, bad[i][0]), bad[i][1]);
            CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
            DestroyBlob(nic);
            DestroyBlob(cfg);
            DestroyBlob(err);
        }
    }
    ru_rm_tree(dir);
}

int main(void) {
    char tmp[512], input[1024];
    if (system("command -v tshark >/dev/null 2>&1 && command -v capinfos >/dev/null 2>&1") != 0) {
        SKIP_PART("tshark and capinfos are needed");
        return check_done("test_rotation");
    }
    CHECK(ru_mkdtemp(tmp, sizeof tmp, "ndisnpp-rotation") == 0);
    snprintf(input, sizeof input, "%s/input.pcap", tmp);
    CHECK(write_input(input, NFRAMES, 0) == 0);
    by_size(tmp, input, "NETMON2");
    by_size(tmp, input, "PCAP");
    by_size(tmp, input, "PCAPNG");
    keep_three(tmp, input);
    by_time(tmp);
    bad_values(tmp, input);
    ru_rm_tree(tmp);
    return check_done("test_rotation");
}
