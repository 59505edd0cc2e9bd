/* Replay exactness: a pcap file replayed through IESP (esp_* on a NIC BLOB that names the file in
 * NPP:Location:ReplayFile) comes out frame for frame in each of the three file formats, as
 * Wireshark's own tools read it (tshark, capinfos; TZ=UTC for writer and reader, as
 * the Network Monitor 2 file format asks).
 *
 * Three sources, all written here: a classic microsecond pcap and two nanosecond pcaps (the second
 * with times from 2038 to 2106, out of order: Y2038_FRAMES), each with 8
 * Ethernet frames (EtherType 0x88B5, 60..1514 bytes, distinct payload bytes, one frame already
 * clipped in the source: stored 300 or 200 of 1514 bytes) and timestamps with sub-second parts.
 * Each source is replayed into NETMON2, PCAP and PCAPNG, once whole and once with
 * NPP:Config:FrameSize = 100. Per output file:
 *   - the STATISTICS from esp_stop (frames/bytes seen, captured, dropped);
 *   - `tshark -T fields -e frame.number -e frame.len -e frame.cap_len -e frame.time_epoch` equals
 *     the same for the source, with two documented transformations:
 *       * clipping: cap_len = min(source cap_len, 100), frame.len unchanged;
 *       * time: PCAP and PCAPNG (nanosecond files) keep the source's time to the nanosecond.
 *         NETMON2 (version 2.0 files) stores microsecond offsets from a millisecond base, rounded
 *         to nearest (capture-file.md §8.2): its time must equal the source time rounded half-up
 *         to the microsecond. For the microsecond source that is the exact time, so every format
 *         must reproduce it exactly.
 *   - the bytes (`tshark -x` hex dump parsed back into bytes) equal the frames written here
 *     (their first min(cap_len, 100) bytes when clipping);
 *   - `capinfos -c` says 8, and `capinfos -t` names the expected format.
 * No privilege is needed (replay). Skips (77) without tshark/capinfos. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"
#include "test_util.h"
#include "shell_util.h"

#define NFRAMES 8
#define CLIP 100
#define MAXLEN 1514
#define DEADLINE_S 60.0

/* One source frame: time (fraction in µs or ns, per file), length on the wire, stored length. */
struct src_frame {
    int64_t sec;
    uint32_t frac;
    uint32_t len;
    uint32_t caplen;
};

/* Microsecond source: sub-second parts, an equal time, a frame clipped in the source. */
static const struct src_frame US_FRAMES[NFRAMES] = {
    {1700000000, 123456, 60, 60},
    {1700000000, 123999, 61, 61},
    {1700000000, 999999, 100, 100},
    {1700000001, 0, 101, 101},
    {1700000001, 0, 128, 128},
    {1700000002, 500000, 1514, 300},
    {1700000060, 1, 1000, 1000},
    {1700003600, 654321, 1514, 1514},
};

/* Nanosecond source: the NETMON2 rounding cases (half up, just below half, carry into the next
 * second), a first frame with a sub-millisecond part (the NETMON2 base is truncated to ms). */
static const struct src_frame NS_FRAMES[NFRAMES] = {
    {1700000000, 123456789, 60, 60},
    {1700000000, 123456500, 99, 99},
    {1700000000, 123457499, 100, 100},
    {1700000000, 999999999, 101, 101},
    {1700000001, 1, 255, 255},
    {1700000002, 500000000, 1514, 200},
    {1700000003, 999999500, 777, 777},
    {1700000100, 42, 1514, 1514},
};

/* Nanosecond source beyond 2038, out of order: the format's seconds are unsigned 32-bit (to
 * 2106), so 2^31 and later must not come back as 1901; frames earlier than the one before keep
 * their own time in PCAP and PCAPNG. NETMON2 stores unsigned offsets from the first frame's time
 * (truncated to the millisecond): a frame earlier than the first is written at that time. */
static const struct src_frame Y2038_FRAMES[NFRAMES] = {
    {3000000000, 123456789, 60, 60},    /* 2065, the first frame */
    {3000000000, 500, 99, 99},          /* earlier than the first, same second */
    {2147483647, 999999999, 100, 100},  /* the last second of signed 32-bit time */
    {2147483648, 0, 101, 101},          /* the first second after it (2038-01-19 03:14:08) */
    {3000000001, 1, 255, 255},
    {4294967295, 999999000, 1514, 200}, /* the last second of the format (2106) */
    {4000000000, 0, 777, 777},          /* back again */
    {3500000000, 42, 1514, 1514},
};

/* One frame as tshark reports it. */
struct rec {
    long number, len, caplen;
    int64_t sec;
    int64_t nsec;
};

static char tmpdir[256];

/* ---- helpers -------------------------------------------------------------------------------- */

/* The whole frame i of source `file_id` (its first `caplen` bytes are stored). */
static void make_frame(int file_id, int i, uint8_t *buf, uint32_t len) {
    static const uint8_t hdr[14] = {0x02, 0x4E, 0x44, 0x00, 0x00, 0x01, 0x02, 0x4E, 0x44, 0x00, 0x00, 0x02, 0x88, 0xB5};
    uint32_t j;
    memcpy(buf, hdr, 14);
    buf[11] = (uint8_t)(0x10 * file_id + i); /* source MAC names the frame too */
    for (j = 14; j < len; j++) buf[j] = (uint8_t)(file_id * 101 + i * 31 + j * 7 + 3);
}

/* Writes a classic pcap (host byte order, µs or ns magic), LINKTYPE_ETHERNET. 0 on success. */
static int write_pcap(const char *path, int file_id, const struct src_frame *fr, int nano) {
    uint8_t buf[MAXLEN];
    int i;
    tu_pcap p;
    if (tu_pcap_open(&p, path, 1, 65535, nano) != 0) return -1;
    for (i = 0; i < NFRAMES; i++) {
        make_frame(file_id, i, buf, fr[i].len);
        tu_pcap_frame(&p, (uint32_t)fr[i].sec, fr[i].frac, buf, fr[i].caplen, fr[i].len);
    }
    return tu_pcap_close(&p);
}

/* tshark's frame.number/len/cap_len/time_epoch for every frame of `path`; the count, or -1. */
static int read_records(const char *path, struct rec *recs, int max) {
    char cmd[1024], *out, *line, *save = NULL;
    int status, n = 0;
    snprintf(cmd, sizeof cmd,
             "TZ=UTC tshark -r '%s' -T fields -e frame.number -e frame.len -e frame.cap_len -e frame.time_epoch 2>/dev/null",
             path);
    out = run_capture(cmd, &status);
    if (!out || status != 0) {
        fprintf(stderr, "  tshark could not read %s (exit %d)\n", path, status);
        free(out);
        return -1;
    }
    for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char epoch[64] = {0};
        struct rec r;
        if (sscanf(line, "%ld\t%ld\t%ld\t%63s", &r.number, &r.len, &r.caplen, epoch) != 4 ||
            parse_epoch(epoch, &r.sec, &r.nsec) != 0) {
            fprintf(stderr, "  unexpected tshark line: %s\n", line);
            free(out);
            return -1;
        }
        if (n < max) recs[n] = r;
        n++;
    }
    free(out);
    return n;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Every frame's bytes from `tshark -x` (offset, 2 spaces, 16 "xx " columns, ASCII). Frames are
 * separated by blank lines. Returns the number of frames, or -1. */
static int read_bytes(const char *path, uint8_t (*frames)[MAXLEN], int *lens, int max) {
    char cmd[1024], *out, *p;
    int status, n = -1;
    snprintf(cmd, sizeof cmd, "TZ=UTC tshark -r '%s' -x 2>/dev/null", path);
    out = run_capture(cmd, &status);
    if (!out || status != 0) {
        fprintf(stderr, "  tshark -x could not read %s (exit %d)\n", path, status);
        free(out);
        return -1;
    }
    p = out;
    {
        int in_frame = 0;
        while (*p) {
            char *eol = strchr(p, '\n');
            size_t linelen = eol ? (size_t)(eol - p) : strlen(p);
            if (linelen == 0) {
                in_frame = 0;
            } else if (linelen >= 6 && hexval(p[0]) >= 0 && hexval(p[1]) >= 0 && hexval(p[2]) >= 0 &&
                       hexval(p[3]) >= 0 && p[4] == ' ' && p[5] == ' ') {
                unsigned long off = strtoul(p, NULL, 16);
                int k;
                if (!in_frame) {
                    n++;
                    in_frame = 1;
                    if (n < max) lens[n] = 0;
                }
                for (k = 0; k < 16; k++) {
                    size_t col = 6 + 3 * (size_t)k;
                    int hi, lo;
                    if (col + 1 >= linelen) break;
                    hi = hexval(p[col]);
                    lo = hexval(p[col + 1]);
                    if (hi < 0 || lo < 0) break;
                    if (n < max && off + (unsigned long)k < MAXLEN) {
                        frames[n][off + (unsigned long)k] = (uint8_t)(hi * 16 + lo);
                        if ((int)(off + (unsigned long)k + 1) > lens[n]) lens[n] = (int)(off + (unsigned long)k + 1);
                    }
                }
            } else {
                fprintf(stderr, "  unexpected tshark -x line in %s: %.*s\n", path, (int)linelen, p);
            }
            p = eol ? eol + 1 : p + linelen;
        }
    }
    free(out);
    return n + 1;
}

/* The value of capinfos's `label` line (`capinfos -M -<opt>`, e.g. opt 'c', label
 * "Number of packets"), or "" when absent. */
static void capinfos(const char *path, char opt, const char *label, char *val, size_t room) {
    char cmd[1024], *out, *line;
    int status;
    val[0] = '\0';
    snprintf(cmd, sizeof cmd, "TZ=UTC capinfos -M -%c '%s' 2>/dev/null", opt, path);
    out = run_capture(cmd, &status);
    if (!out) return;
    for (line = out; status == 0 && line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, label, strlen(label)) == 0 && line[strlen(label)] == ':') {
            char *v = line + strlen(label) + 1;
            while (*v == ' ') v++;
            snprintf(val, room, "%s", v);
            val[strcspn(val, "\n")] = '\0';
            break;
        }
    }
    free(out);
}

/* ---- the replay ----------------------------------------------------------------------------- */

/* Replays `src` into `fmt` (FrameSize `clip`, 0 = whole frames); the file name goes to `name`.
 * 0 when a file was written. */
static int replay(const char *src, const char *fmt, DWORD clip, const struct src_frame *fr, char *name, size_t room) {
    HBLOB nic = NULL, cfg = NULL, err = NULL;
    HNPP npp = NULL;
    STATISTICS st;
    STATISTICS_EX ex;
    char outdir[512];
    double deadline;
    uint64_t want_bytes = 0, want_seen_bytes = 0;
    int i, ok = 0;
    struct stat sb;

    for (i = 0; i < NFRAMES; i++) {
        want_bytes += (clip && fr[i].caplen > clip) ? clip : fr[i].caplen;
        want_seen_bytes += fr[i].len;
    }
    snprintf(outdir, sizeof outdir, "%s/out", tmpdir);
    CHECK_RC(CreateBlob(&nic), NMERR_SUCCESS);
    CHECK_RC(CreateBlob(&cfg), NMERR_SUCCESS);
    CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(nic, OWNER_NPP, CATEGORY_LOCATION, TAG_REPLAY_FILE, src), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_CAPTURE_DIRECTORY, outdir), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_FILE_FORMAT, fmt), NMERR_SUCCESS);
    /* frame-by-frame comparison with the source: no statistics frame (test_stats_frame.c covers it) */
    CHECK_RC(SetBoolInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_NO_STATS_FRAME, TRUE), NMERR_SUCCESS);
    if (clip) CHECK_RC(SetDwordInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_FRAME_SIZE, clip), NMERR_SUCCESS);
    CHECK_RC(npp_create(nic, &npp), NMERR_SUCCESS);
    if (!npp) goto out;
    CHECK_RC(esp_connect(npp, cfg, NULL, NULL, err), NMERR_SUCCESS);
    name[0] = '\0';
    CHECK_RC(esp_start(npp, name, room), NMERR_SUCCESS);
    if (name[0] == '\0') goto out;

    /* Wait until every frame is captured (the replay source stays quiet afterwards). */
    deadline = mono_s() + DEADLINE_S;
    for (;;) {
        memset(&ex, 0, sizeof ex);
        ex.StructSize = sizeof ex;
        if (esp_get_statistics_ex(npp, &ex) == NMERR_SUCCESS && ex.FramesCaptured >= NFRAMES) break;
        if (mono_s() > deadline) {
            fprintf(stderr, "  %s: only %llu of %d frames captured before the deadline\n", fmt,
                    (unsigned long long)ex.FramesCaptured, NFRAMES);
            CHECK(ex.FramesCaptured >= NFRAMES);
            break;
        }
        nap_ms(10);
    }
    memset(&st, 0xEE, sizeof st);
    CHECK_RC(esp_stop(npp, &st), NMERR_SUCCESS);
    CHECK_EQ(st.TotalFramesCaptured, NFRAMES);
    CHECK_EQ(st.TotalFramesSeen, NFRAMES);
    CHECK_EQ(st.TotalFramesFiltered, NFRAMES);
    CHECK_EQ(st.TotalFramesDropped, 0);
    CHECK_EQ(st.TotalBytesCaptured, want_bytes);
    CHECK_EQ(st.TotalBytesSeen, want_seen_bytes);
    CHECK(st.TimeElapsed >= 0);
    memset(&ex, 0, sizeof ex);
    ex.StructSize = sizeof ex;
    CHECK_RC(esp_get_statistics_ex(npp, &ex), NMERR_SUCCESS);
    CHECK_EQ(ex.FramesCaptured, NFRAMES);
    CHECK_EQ(ex.BytesCaptured, want_bytes);
    CHECK_EQ(ex.BytesSeen, want_seen_bytes);
    CHECK_EQ(ex.KernelFramesReceived, 0); /* a replay has no kernel */
    CHECK_RC(esp_disconnect(npp), NMERR_SUCCESS);

    /* The file is where Start said, mode 0600. */
    CHECK(strncmp(name, outdir, strlen(outdir)) == 0);
    CHECK(stat(name, &sb) == 0);
    if (stat(name, &sb) == 0) {
        CHECK_EQ(sb.st_mode & 0777, 0600);
        ok = 1;
    }
out:
    if (npp) CHECK_RC(npp_destroy(npp), NMERR_SUCCESS);
    DestroyBlob(nic);
    DestroyBlob(cfg);
    DestroyBlob(err);
    return ok ? 0 : -1;
}

/* The source as tshark reads it must be what was written (checks this test's own writer). */
static void check_source(const char *src, int file_id, const struct src_frame *fr, int nano, struct rec *recs) {
    int i, n = read_records(src, recs, NFRAMES);
    static uint8_t bytes[NFRAMES][MAXLEN];
    int lens[NFRAMES];
    uint8_t want[MAXLEN];
    CHECK_EQ(n, NFRAMES);
    for (i = 0; i < n && i < NFRAMES; i++) {
        CHECK_EQ(recs[i].number, i + 1);
        CHECK_EQ(recs[i].len, fr[i].len);
        CHECK_EQ(recs[i].caplen, fr[i].caplen);
        CHECK_EQ(recs[i].sec, fr[i].sec);
        CHECK_EQ(recs[i].nsec, nano ? (int64_t)fr[i].frac : (int64_t)fr[i].frac * 1000);
    }
    n = read_bytes(src, bytes, lens, NFRAMES);
    CHECK_EQ(n, NFRAMES);
    for (i = 0; i < n && i < NFRAMES; i++) {
        make_frame(file_id, i, want, fr[i].len);
        CHECK_EQ(lens[i], fr[i].caplen);
        CHECK(memcmp(bytes[i], want, fr[i].caplen) == 0);
    }
}

/* The output file against the source's tshark view. */
static void check_output(const char *out, const char *fmt, DWORD clip, int file_id, const struct src_frame *fr,
                         int nano_src, const struct rec *src) {
    struct rec recs[NFRAMES + 4];
    static uint8_t bytes[NFRAMES + 4][MAXLEN];
    int lens[NFRAMES + 4];
    uint8_t want[MAXLEN];
    char val[256];
    int i, n, netmon = strcmp(fmt, FILE_FORMAT_NETMON2_TXT) == 0;
    /* NETMON2's base: the first frame's time truncated to the millisecond. */
    int64_t base = (src[0].sec * 1000000000LL + src[0].nsec) / 1000000 * 1000000;

    n = read_records(out, recs, NFRAMES + 4);
    CHECK_EQ(n, NFRAMES);
    for (i = 0; i < n && i < NFRAMES; i++) {
        long want_cap = (clip && src[i].caplen > (long)clip) ? (long)clip : src[i].caplen;
        int64_t total = src[i].sec * 1000000000LL + src[i].nsec, want_total = total;
        if (netmon) want_total = (total + 500) / 1000 * 1000; /* µs, rounded half up */
        if (netmon && want_total < base) want_total = base;   /* before the first frame */
        CHECK_EQ(recs[i].number, src[i].number);
        CHECK_EQ(recs[i].len, src[i].len);
        CHECK_EQ(recs[i].caplen, want_cap);
        CHECK_EQ(recs[i].sec * 1000000000LL + recs[i].nsec, want_total);
        if (recs[i].sec * 1000000000LL + recs[i].nsec != want_total)
            fprintf(stderr, "  %s frame %d: time %lld.%09lld, source %lld.%09lld\n", fmt, i + 1, (long long)recs[i].sec,
                    (long long)recs[i].nsec, (long long)src[i].sec, (long long)src[i].nsec);
        if (!nano_src) CHECK_EQ(recs[i].sec * 1000000000LL + recs[i].nsec, total); /* µs source: exact */
    }

    n = read_bytes(out, bytes, lens, NFRAMES + 4);
    CHECK_EQ(n, NFRAMES);
    for (i = 0; i < n && i < NFRAMES; i++) {
        uint32_t stored = (clip && fr[i].caplen > clip) ? clip : fr[i].caplen;
        make_frame(file_id, i, want, fr[i].len);
        CHECK_EQ(lens[i], stored);
        CHECK(memcmp(bytes[i], want, stored) == 0);
    }

    capinfos(out, 'c', "Number of packets", val, sizeof val);
    CHECK_STR(val, "8");
    capinfos(out, 't', "File type", val, sizeof val);
    printf("    capinfos: file type \"%s\"\n", val);
    if (netmon)
        CHECK_STR(val, "netmon2");
    else if (strcmp(fmt, FILE_FORMAT_PCAPNG_TXT) == 0)
        CHECK_STR(val, "pcapng");
    else
        CHECK_STR(val, "nsecpcap"); /* nanosecond pcap, whatever the source's resolution */
    if (clip && strcmp(fmt, FILE_FORMAT_PCAP_TXT) == 0) {
        /* The pcap header carries the snap length. */
        capinfos(out, 'l', "Packet size limit", val, sizeof val);
        CHECK_STR(val, "file hdr: 100 bytes");
    }
}

int main(void) {
    static const char *const formats[3] = {FILE_FORMAT_NETMON2_TXT, FILE_FORMAT_PCAP_TXT, FILE_FORMAT_PCAPNG_TXT};
    struct {
        const char *file;
        const struct src_frame *frames;
        int nano;
    } sources[3] = {{"src-us.pcap", US_FRAMES, 0}, {"src-ns.pcap", NS_FRAMES, 1}, {"src-2038.pcap", Y2038_FRAMES, 1}};
    int s, f, c;

    setvbuf(stdout, NULL, _IOLBF, 0);
    setenv("TZ", "UTC", 1);
    tzset();
    if (system("command -v tshark >/dev/null 2>&1 && command -v capinfos >/dev/null 2>&1") != 0) {
        printf("test_replay_exact: SKIP: tshark/capinfos not installed (apt-get install tshark)\n");
        return 77;
    }
    snprintf(tmpdir, sizeof tmpdir, "%s/ndisnpp-replay-XXXXXX", getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir)) {
        fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    printf("work directory %s\n", tmpdir);

    for (s = 0; s < 3; s++) {
        char src[512];
        struct rec src_recs[NFRAMES];
        memset(src_recs, 0, sizeof src_recs);
        snprintf(src, sizeof src, "%s/%s", tmpdir, sources[s].file);
        printf("-- source %s (%s timestamps)\n", sources[s].file, sources[s].nano ? "ns" : "µs");
        CHECK(write_pcap(src, s, sources[s].frames, sources[s].nano) == 0);
        check_source(src, s, sources[s].frames, sources[s].nano, src_recs);
        for (f = 0; f < 3; f++) {
            for (c = 0; c < 2; c++) {
                char name[1024];
                DWORD clip = c ? CLIP : 0;
                printf("  -> %s%s\n", formats[f], clip ? ", FrameSize 100" : "");
                if (replay(src, formats[f], clip, sources[s].frames, name, sizeof name) != 0) {
                    CHECK(!"replay wrote no file");
                    continue;
                }
                printf("    %s\n", name);
                check_output(name, formats[f], clip, s, sources[s].frames, sources[s].nano, src_recs);
            }
        }
    }

    tu_remove_unless_failed(tmpdir);
    return check_done("test_replay_exact");
}
