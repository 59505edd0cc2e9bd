/* Helpers for the C tests that capture from replay NICs (NPP:Location:ReplayFile): a classic pcap
 * file of canned frames (written with test_util.h's tu_pcap), a private temporary directory, the
 * NIC and configuration BLOBs, a bounded wait. Include after check.h, with _GNU_SOURCE defined
 * before any system header. */
#ifndef NDISNPP_REPLAY_UTIL_H
#define NDISNPP_REPLAY_UTIL_H
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "netmon.h"
#include "test_util.h"

/* Frame i of a replay file is RU_FRAME_LEN(i) bytes long. */
#define RU_FRAME_LEN(i) (60u + (unsigned)(i))
#define RU_ETHERTYPE 0x88B5u

/* Bytes of the first n frames (what a whole-frame capture stores). */
static inline unsigned ru_bytes_of(unsigned n) {
    unsigned i, total = 0;
    for (i = 0; i < n; i++) total += RU_FRAME_LEN(i);
    return total;
}

/* Writes a classic pcap file (tu_pcap: host byte order, µs, snaplen 65535, the given LINKTYPE;
 * ru_write_pcap: 1) holding `nframes` Ethernet frames to 02:00:00:00:00:01 from
 * 02:00:00:00:00:02, EtherType 0x88B5, frame i filled with the byte i+1 and RU_FRAME_LEN(i) bytes
 * long, at 1700000000 + i s and i ms. 0 on success. */
static inline int ru_write_pcap_lt(const char *path, unsigned nframes, uint32_t linktype) {
    tu_pcap p;
    unsigned i;
    if (tu_pcap_open(&p, path, linktype, 65535, 0) != 0) return -1;
    for (i = 0; i < nframes; i++) {
        unsigned char frame[128];
        unsigned len = RU_FRAME_LEN(i);
        memset(frame, (int)(i + 1), sizeof frame);
        memcpy(frame, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
        frame[12] = (unsigned char)(RU_ETHERTYPE >> 8);
        frame[13] = (unsigned char)(RU_ETHERTYPE & 0xFF);
        tu_pcap_frame(&p, 1700000000u + i, 1000u * i, frame, len, len);
    }
    return tu_pcap_close(&p);
}

static inline int ru_write_pcap(const char *path, unsigned nframes) {
    return ru_write_pcap_lt(path, nframes, 1); /* LINKTYPE_ETHERNET */
}

/* Writes `text` into a new file. 0 on success. */
static inline int ru_write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    int bad;
    if (!f) return -1;
    bad = fputs(text, f) < 0;
    if (fclose(f) != 0) bad = 1;
    return bad ? -1 : 0;
}

/* A new private directory under $TMPDIR (or /tmp): `out` receives its path. 0 on success. */
static inline int ru_mkdtemp(char *out, size_t room, const char *prefix) {
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp) tmp = "/tmp";
    if ((size_t)snprintf(out, room, "%s/%s-XXXXXX", tmp, prefix) >= room) return -1;
    return mkdtemp(out) ? 0 : -1;
}

/* Removes a directory and everything in it (files and subdirectories). 0 on success. */
static inline int ru_rm_tree(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *e;
    int bad = 0;
    if (!d) return unlink(dir) == 0 ? 0 : -1;
    while ((e = readdir(d)) != NULL) {
        size_t room = strlen(dir) + 1 + strlen(e->d_name) + 1;
        char *path;
        struct stat st;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        path = (char *)malloc(room);
        if (!path) { bad = -1; continue; }
        snprintf(path, room, "%s/%s", dir, e->d_name);
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) bad |= ru_rm_tree(path);
        else if (unlink(path) != 0) bad = -1;
        free(path);
    }
    closedir(d);
    if (rmdir(dir) != 0) bad = -1;
    return bad;
}

/* Number of directory entries (other than . and ..) in `dir`; -1 when it cannot be read. */
static inline int ru_count_files(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    if (!d) return -1;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
    closedir(d);
    return n;
}

static inline int ru_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static inline int ru_ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* A new BLOB with NPP:<cat>:<tag> = value (NULL on failure). */
static inline HBLOB ru_blob1(const char *cat, const char *tag, const char *value) {
    HBLOB b = NULL;
    if (CreateBlob(&b) != NMERR_SUCCESS) return NULL;
    if (SetStringInBlob(b, OWNER_NPP, cat, tag, value) != NMERR_SUCCESS) {
        DestroyBlob(b);
        return NULL;
    }
    return b;
}

/* A replay NIC BLOB: NPP:Location:ReplayFile = path. */
static inline HBLOB ru_replay_nic(const char *replay_path) {
    return ru_blob1(CATEGORY_LOCATION, TAG_REPLAY_FILE, replay_path);
}

/* A Connect/Configure BLOB: NPP:Config:CaptureDirectory = dir. */
static inline HBLOB ru_config(const char *capture_dir) {
    return ru_blob1(CATEGORY_CONFIG, TAG_CAPTURE_DIRECTORY, capture_dir);
}

/* NPP:<cat>:<tag> of a BLOB, or NULL when absent. */
static inline const char *ru_get(HBLOB b, const char *cat, const char *tag) {
    const char *s = NULL;
    if (GetStringFromBlob(b, OWNER_NPP, cat, tag, &s) != NMERR_SUCCESS) return NULL;
    return s;
}

/* Monotonic milliseconds (tu_now_ms, under the name these tests know). */
static inline long long ru_now_ms(void) { return tu_now_ms(); }

static inline void ru_sleep_ms(long ms) { tu_sleep_ms(ms); }

/* The deadline of every bounded wait in these tests (ms). */
#define RU_DEADLINE_MS 10000

/* Polls `get` (an esp_get_statistics_ex / stats_get_statistics_ex) until FramesCaptured reaches
 * `want` or RU_DEADLINE_MS passes. Returns the last FramesCaptured seen (or -1 if no call
 * succeeded). */
static inline long long ru_wait_captured(DWORD (*get)(HNPP, LPSTATISTICS_EX), HNPP h, unsigned long long want) {
    long long deadline = ru_now_ms() + RU_DEADLINE_MS, last = -1;
    for (;;) {
        STATISTICS_EX s;
        memset(&s, 0, sizeof s);
        s.StructSize = sizeof s;
        if (get(h, &s) == NMERR_SUCCESS) {
            last = (long long)s.FramesCaptured;
            if (s.FramesCaptured >= want) return last;
        }
        if (ru_now_ms() > deadline) return last;
        ru_sleep_ms(2);
    }
}

#endif
