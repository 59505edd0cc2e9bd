/* The library's own reader of the kernel's packet ring (src/capture/ring.rs), through IESP, on a
 * veth pair in a private network namespace (ndisnpp-r-<pid>, veth nppr0/nppr1; removed at the end).
 * Needs root and `ip`; skipped (77) otherwise.
 *
 *  a) VLAN tags: frames sent on nppr1 with a packet socket (an 802.1Q tag, an 802.1ad tag, a tag
 *     with TCI 0, and an untagged frame) are captured on nppr0 into a pcap file. The kernel takes
 *     a received frame's tag out of the frame (into the ring's packet header); the file must hold
 *     the exact bytes sent, tag included, as libpcap delivers them. Run twice: on the ring (the
 *     default) and on libpcap (NDISNPP_LIVE_SOURCE=libpcap), so both paths are held to the same
 *     bytes.
 *  b) A snap length (FrameSize 30) cuts the tagged frames after the tag is put back: the first 30
 *     bytes of what was sent, with the whole length on the wire.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netmon.h"
#include "check.h"
#include "netns_util.h"
#include "shell_util.h"

#define V0 "nppr0"
#define V1 "nppr1"
#define NFRAMES 4
#define MAX_LEN 200

static char ns[64];
static char tmpdir[256];

/* The frames sent: to V0's address (02:4e:44:0d:00:00), EtherType 0x88B5 after the tags. */
static uint8_t sent[NFRAMES][MAX_LEN];
static size_t sent_len[NFRAMES];

static void make_frames(void) {
    static const uint16_t tpid[NFRAMES] = {0x8100, 0x88A8, 0x8100, 0};
    static const uint16_t tci[NFRAMES] = {0x2005, 0x0064, 0x0000, 0};
    int i, k;
    for (i = 0; i < NFRAMES; i++) {
        uint8_t *f = sent[i];
        size_t n = 0;
        static const uint8_t macs[12] = {0x02, 0x4E, 0x44, 0x0D, 0x00, 0x00, 0x02, 0x4E, 0x44, 0x0D, 0x00, 0x01};
        memcpy(f, macs, 12);
        n = 12;
        if (tpid[i]) {
            f[n++] = (uint8_t)(tpid[i] >> 8);
            f[n++] = (uint8_t)tpid[i];
            f[n++] = (uint8_t)(tci[i] >> 8);
            f[n++] = (uint8_t)tci[i];
        }
        f[n++] = 0x88;
        f[n++] = 0xB5;
        for (k = 0; k < 80; k++) f[n++] = (uint8_t)(k ^ (i * 37));
        sent_len[i] = n;
    }
}

static void inject(void) {
    struct sockaddr_ll to;
    int s = raw_sender(V1, &to), i;
    CHECK(s >= 0);
    for (i = 0; i < NFRAMES && s >= 0; i++) CHECK(sendto(s, sent[i], sent_len[i], 0, (struct sockaddr *)&to, sizeof to) == (ssize_t)sent_len[i]);
    if (s >= 0) close(s);
}

static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

/* Compares the records of the classic pcap file `path` with the frames sent (cut to `snaplen`,
 * 0 = whole); 1 when every record matches, in order, and there are exactly NFRAMES. */
static int file_matches(const char *path, unsigned snaplen, const char *what) {
    FILE *f = fopen(path, "rb");
    uint8_t hdr[24], rec[16], data[65536];
    int i = 0, ok = 1;
    if (!f || fread(hdr, 1, 24, f) != 24) {
        printf("  %s: cannot read %s\n", what, path);
        if (f) fclose(f);
        return 0;
    }
    while (fread(rec, 1, 16, f) == 16) {
        uint32_t incl = le32(rec + 8), orig = le32(rec + 12);
        size_t want = sent_len[i < NFRAMES ? i : 0];
        size_t keep = snaplen && snaplen < want ? snaplen : want;
        if (incl > sizeof data || fread(data, 1, incl, f) != incl) {
            ok = 0;
            break;
        }
        if (i >= NFRAMES) {
            printf("  %s: record %d: more records than frames sent\n", what, i);
            ok = 0;
        } else if (incl != keep || orig != want || memcmp(data, sent[i], keep) != 0) {
            printf("  %s: record %d: %u/%u bytes, want %zu/%zu%s\n", what, i, incl, orig, keep, want,
                   incl == keep && memcmp(data, sent[i], keep) != 0 ? ", bytes differ" : "");
            ok = 0;
        }
        i++;
    }
    fclose(f);
    if (i != NFRAMES) {
        printf("  %s: %d records, want %d\n", what, i, NFRAMES);
        ok = 0;
    }
    return ok;
}

/* One capture on V0 in `ns`, pcap format, with snap length `snaplen` (0: none); the file's name
 * into `name`. */
static void capture(unsigned snaplen, char *name, size_t name_len) {
    HBLOB nic = NULL, cfg = NULL, err = NULL;
    HNPP npp = NULL;
    STATISTICS st;
    double deadline;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/cap", tmpdir);
    CHECK_RC(CreateBlob(&nic), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(nic, OWNER_NPP, CATEGORY_LOCATION, TAG_NAME, V0), NMERR_SUCCESS);
    CHECK_RC(CreateBlob(&cfg), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_CAPTURE_DIRECTORY, dir), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_FILE_FORMAT, FILE_FORMAT_PCAP_TXT), NMERR_SUCCESS);
    CHECK_RC(SetBoolInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_NO_STATS_FRAME, TRUE), NMERR_SUCCESS);
    if (snaplen) CHECK_RC(SetDwordInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_FRAME_SIZE, snaplen), NMERR_SUCCESS);
    CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
    CHECK_RC(npp_create(nic, &npp), NMERR_SUCCESS);
    CHECK_RC(esp_connect(npp, cfg, NULL, NULL, err), NMERR_SUCCESS);
    name[0] = '\0';
    CHECK_RC(esp_start(npp, name, name_len), NMERR_SUCCESS);
    inject();
    deadline = mono_s() + 20;
    for (;;) {
        STATISTICS_EX ex;
        memset(&ex, 0, sizeof ex);
        ex.StructSize = sizeof ex;
        if (esp_get_statistics_ex(npp, &ex) == NMERR_SUCCESS && ex.FramesCaptured >= NFRAMES) break;
        if (mono_s() > deadline) {
            CHECK(!"the frames were captured in time");
            break;
        }
        nap_ms(10);
    }
    CHECK_RC(esp_stop(npp, &st), NMERR_SUCCESS);
    CHECK_EQ(st.TotalFramesCaptured, NFRAMES);
    CHECK_RC(esp_disconnect(npp), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(npp), NMERR_SUCCESS);
    DestroyBlob(nic);
    DestroyBlob(cfg);
    DestroyBlob(err);
}

static int child(void) {
    static const char *const sources[2] = {"ring", "libpcap"};
    int s, snap;
    if (enter_netns(ns) != 0) return 2;
    for (snap = 0; snap < 2; snap++) {
        for (s = 0; s < 2; s++) {
            char name[1024], what[64];
            unsigned snaplen = snap ? 30 : 0;
            int before = check_failures;
            if (s == 1)
                setenv("NDISNPP_LIVE_SOURCE", "libpcap", 1);
            else
                unsetenv("NDISNPP_LIVE_SOURCE");
            snprintf(what, sizeof what, "%s, snap length %u", sources[s], snaplen);
            capture(snaplen, name, sizeof name);
            CHECK(file_matches(name, snaplen, what));
            printf("  %s: %s\n", what, check_failures > before ? "FAILED" : "the bytes sent, tags in place");
        }
    }
    return check_failures ? 1 : 0;
}

static void cleanup(void) {
    if (ns[0]) {
        if (sh("ip netns del %s 2>/dev/null", ns) != 0) fprintf(stderr, "could not remove namespace %s\n", ns);
        ns[0] = '\0';
    }
}

int main(void) {
    pid_t pid;
    int status = 0;
    char cmd[600];
    if (geteuid() != 0 || system("command -v ip >/dev/null 2>&1") != 0) {
        printf("SKIPPED: needs root and ip\n");
        return 77;
    }
    snprintf(ns, sizeof ns, "ndisnpp-r-%ld", (long)getpid());
    atexit(cleanup);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ndisnpp-ring-XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    make_frames();
    if (sh("ip netns add %s", ns) != 0 ||
        sh("ip -n %s link add " V0 " address 02:4e:44:0d:00:00 type veth peer name " V1 " && ip -n %s link set " V0
           " addrgenmode none && ip -n %s link set " V1 " addrgenmode none && ip -n %s link set " V0 " up && ip -n %s link set " V1
           " up && ip -n %s link set lo up",
           ns, ns, ns, ns, ns, ns) != 0) {
        CHECK(!"namespace and veth pair");
        return check_done("test_ring_live");
    }
    printf("-- a), b) VLAN tags and snap length on %s in %s\n", V0, ns);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        int rc = child();
        fflush(stdout);
        _exit(rc); /* not exit(): the parent's atexit cleanup is the parent's */
    }
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    cleanup();
    if (check_failures == 0) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    }
    return check_done("test_ring_live");
}
