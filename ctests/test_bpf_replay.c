/* pcap-filter expressions (NPP:Config:BpfFilter) on a replay NIC: the frames libpcap's compiled
 * program keeps, exactly, alone and together with a Netmon filter (the intersection); counted
 * as the Netmon filter counts them (a frame that fails is seen, not filtered); an expression that
 * does not compile (or not for the file's link type) answers NMERR_BLOB_CONVERSION_ERROR at
 * Connect and Configure with the entry and libpcap's message in the error BLOB, and Configure
 * keeps the previous expression; so does one that needs a live socket's packet metadata
 * (`inbound`), which a file does not carry. No privilege needed.
 *
 * The replay file: N rounds of four frames, UDP 10.0.0.1 -> 10.0.0.2 to ports 53, 4000, 4001
 * (payload "d-<nnn>|...", "a-...", "b-...") and an ARP request; every fourth datagram to port 53
 * is stored cut short (60 of its 300 bytes on the wire), to check that `len` (greater/less) is the
 * wire length, as in the kernel. A second file holds the same datagrams as raw IP (LINKTYPE 101). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "replay_util.h"
#include "bpf_util.h"

#define N 40
#define FRAMES (4 * N)
#define LONG_WIRE 300u

static const unsigned PORTS[3] = {53, 4000, 4001};

/* An Ethernet (or raw, eth = 0) IPv4/UDP datagram to `port` with payload "<tag>-<nnn>|" padded to
 * 32 bytes; returns its length. */
static unsigned udp_frame(uint8_t *f, int eth, unsigned port, char tag, unsigned n) {
    unsigned at = 0, ip, total = 20 + 8 + 32;
    if (eth) {
        memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00", 14);
        at = 14;
    }
    ip = at;
    memset(f + ip, 0, total);
    f[ip] = 0x45;
    f[ip + 2] = (uint8_t)(total >> 8);
    f[ip + 3] = (uint8_t)total;
    f[ip + 8] = 64;
    f[ip + 9] = 17;
    memcpy(f + ip + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
    f[ip + 20] = 0x30;
    f[ip + 21] = 0x39;
    f[ip + 22] = (uint8_t)(port >> 8);
    f[ip + 23] = (uint8_t)port;
    f[ip + 25] = 8 + 32;
    snprintf((char *)f + ip + 28, 32, "%c-%03u|", tag, n);
    memset(f + ip + 28 + 6, '.', 32 - 6);
    return ip + total;
}

static int write_file(const char *path, int eth) {
    tu_pcap p;
    unsigned i;
    if (tu_pcap_open(&p, path, eth ? 1 : 101, 65535, 0) != 0) return -1;
    for (i = 0; i < N; i++) {
        uint8_t f[128];
        unsigned len = udp_frame(f, eth, 53, 'd', i);
        /* every fourth one stored cut short, longer on the wire */
        if (i % 4 == 0) tu_pcap_frame(&p, 1700000000u + i, 0, f, len, LONG_WIRE);
        else tu_pcap_frame(&p, 1700000000u + i, 0, f, len, len);
        len = udp_frame(f, eth, 4000, 'a', i);
        tu_pcap_frame(&p, 1700000000u + i, 1, f, len, len);
        len = udp_frame(f, eth, 4001, 'b', i);
        tu_pcap_frame(&p, 1700000000u + i, 2, f, len, len);
        if (eth) { /* ARP who-has 10.0.0.2 */
            memset(f, 0, 60);
            memcpy(f, "\xff\xff\xff\xff\xff\xff\x02\x00\x00\x00\x00\x01\x08\x06\x00\x01\x08\x00\x06\x04\x00\x01", 22);
            tu_pcap_frame(&p, 1700000000u + i, 3, f, 60, 60);
        } else { /* a fourth datagram, to port 9 */
            len = udp_frame(f, eth, 9, 'z', i);
            tu_pcap_frame(&p, 1700000000u + i, 3, f, len, len);
        }
    }
    return tu_pcap_close(&p);
}

static char dir[512];

/* Until the replay has read its whole file (FramesSeen = `frames`). */
static void wait_seen(HNPP npp, unsigned frames) {
    long long deadline = ru_now_ms() + RU_DEADLINE_MS;
    while (tu_stats_ex(npp).FramesSeen < frames && ru_now_ms() < deadline) ru_sleep_ms(2);
    CHECK_EQ(tu_stats_ex(npp).FramesSeen, frames);
}

/* One capture of `replay` (connected already to `npp`): the file's tally and the statistics. */
static bu_tally capture(HNPP npp, STATISTICS *st) {
    char name[1024] = "";
    bu_tally t;
    CHECK_RC(esp_start(npp, name, sizeof name), NMERR_SUCCESS);
    wait_seen(npp, FRAMES);
    memset(st, 0xEE, sizeof *st);
    CHECK_RC(esp_stop(npp, st), NMERR_SUCCESS);
    t = bu_read(name, PORTS, 3);
    CHECK(t.readable);
    unlink(name);
    return t;
}

/* Connects an ESP NPP to `replay` with `expr` (NULL: none) and the Netmon filter when `netmon`. */
static HNPP connect_with(const char *replay, const char *expr, int netmon, DWORD want, HBLOB err) {
    HBLOB nic = ru_replay_nic(replay), cfg = ru_config(dir);
    HNPP npp = NULL;
    CHECK(nic && cfg);
    CHECK_RC(SetStringInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_FILE_FORMAT, FILE_FORMAT_PCAP_TXT), NMERR_SUCCESS);
    CHECK_RC(SetBoolInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_DONT_DELETE_EMPTY_CAPTURE, TRUE), NMERR_SUCCESS);
    if (expr) CHECK_RC(SetStringInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_BPF_FILTER, expr), NMERR_SUCCESS);
    if (netmon) bu_set_netmon_filter(cfg);
    CHECK_RC(npp_create(nic, &npp), NMERR_SUCCESS);
    CHECK_RC(esp_connect(npp, cfg, NULL, NULL, err), want);
    DestroyBlob(nic);
    DestroyBlob(cfg);
    return npp;
}

static void done(HNPP npp) {
    CHECK_RC(esp_disconnect(npp), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(npp), NMERR_SUCCESS);
}

/* One case: `expr` (and the Netmon filter) keep exactly `want[p]` datagrams of port p (all of the
 * numbers 0..want-1 when want is N, else checked by count: `greater`) and `other` other frames,
 * and the statistics say FRAMES seen, the kept ones filtered and captured. */
static void keeps(const char *what, const char *replay, const char *expr, int netmon, const int want[3], int other) {
    STATISTICS st;
    bu_tally t;
    int kept = want[0] + want[1] + want[2] + other, p;
    HNPP npp;
    printf("-- %s: \"%s\"%s\n", what, expr ? expr : "(none)", netmon ? " and the Netmon filter (ports 4000, 4001)" : "");
    npp = connect_with(replay, expr, netmon, NMERR_SUCCESS, NULL);
    t = capture(npp, &st);
    bu_print(what, &t);
    printf("    seen %u filtered %u captured %u dropped %u\n", (unsigned)st.TotalFramesSeen, (unsigned)st.TotalFramesFiltered,
           (unsigned)st.TotalFramesCaptured, (unsigned)st.TotalFramesDropped);
    CHECK_EQ(t.records, kept);
    CHECK_EQ(t.other, other);
    for (p = 0; p < 3; p++) {
        CHECK_EQ(t.per_port[p], want[p]);
        if (want[p] == N) CHECK(bu_each_once(&t, p, N));
    }
    CHECK_EQ(st.TotalFramesSeen, FRAMES);
    CHECK_EQ(st.TotalFramesFiltered, kept);
    CHECK_EQ(st.TotalFramesCaptured, kept);
    CHECK_EQ(st.TotalFramesDropped, 0);
    done(npp);
}

/* The error BLOB names the entry and carries libpcap's message (`words`). */
static void check_error_blob(HBLOB err, const char *expr, const char *words) {
    const char *v = ru_get(err, CATEGORY_CONFIG, TAG_BPF_FILTER), *d = ru_get(err, "Error", "Detail");
    printf("    error BLOB: NPP:Config:BpfFilter=%s, NPP:Error:Detail=%s\n", v ? v : "(none)", d ? d : "(none)");
    CHECK_STR(v, expr);
    CHECK(d && strstr(d, words) != NULL);
}

int main(void) {
    char eth[600], raw[600];
    const int only53[3] = {N, 0, 0}, only4000[3] = {0, N, 0}, all[3] = {N, N, N}, long53[3] = {N / 4, 0, 0};
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (ru_mkdtemp(dir, sizeof dir, "ndisnpp-bpf-replay") != 0) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(eth, sizeof eth, "%s/eth.pcap", dir);
    snprintf(raw, sizeof raw, "%s/raw.pcap", dir);
    CHECK(write_file(eth, 1) == 0);
    CHECK(write_file(raw, 0) == 0);

    keeps("1) the expression alone", eth, "udp dst port 53", 0, only53, 0);
    /* Neither alone keeps this: the expression keeps 53 and 4000, the Netmon filter 4000 and 4001. */
    keeps("2) with a Netmon filter: the intersection", eth, "udp dst port 53 or udp dst port 4000", 1, only4000, 0);
    keeps("3) `greater` judges the wire length", eth, "udp dst port 53 and greater 200", 0, long53, 0);
    keeps("4) blanks: no expression", eth, "  ", 0, all, N); /* and the N ARP frames */
    keeps("5) raw IP (LINKTYPE 101): compiled for the file's link type", raw, "udp dst port 53", 0, only53, 0);

    printf("-- 6) an expression that does not compile\n");
    {
        HBLOB err = NULL;
        HNPP npp;
        char name[1024];
        CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
        npp = connect_with(eth, "udp port", 0, NMERR_BLOB_CONVERSION_ERROR, err);
        check_error_blob(err, "udp port", "syntax error");
        CHECK_RC(esp_start(npp, name, sizeof name), NMERR_NOT_CONNECTED);
        CHECK_RC(npp_destroy(npp), NMERR_SUCCESS);
        DestroyBlob(err);
    }
    printf("-- 7) one that compiles, but not for the file's link type (raw IP has no MAC addresses)\n");
    {
        HBLOB err = NULL;
        HNPP npp;
        CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
        npp = connect_with(raw, "ether src 02:00:00:00:00:01", 0, NMERR_BLOB_CONVERSION_ERROR, err);
        check_error_blob(err, "ether src 02:00:00:00:00:01", "");
        CHECK_RC(npp_destroy(npp), NMERR_SUCCESS);
        DestroyBlob(err);
        /* The same expression is fine on Ethernet. */
        CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
        npp = connect_with(eth, "ether src 02:00:00:00:00:01", 0, NMERR_SUCCESS, err);
        CHECK(ru_get(err, CATEGORY_CONFIG, TAG_BPF_FILTER) == NULL);
        done(npp);
        DestroyBlob(err);
    }
    printf("-- 7b) one that needs a live socket's packet metadata (direction): refused, not a silent nothing\n");
    {
        HBLOB err = NULL;
        HNPP npp;
        CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
        npp = connect_with(eth, "inbound and udp", 0, NMERR_BLOB_CONVERSION_ERROR, err);
        check_error_blob(err, "inbound and udp", "a replay file does not carry");
        CHECK_RC(npp_destroy(npp), NMERR_SUCCESS);
        DestroyBlob(err);
    }
    printf("-- 8) Configure: a bad expression is refused and the previous one stays; a good one replaces it\n");
    {
        HBLOB err = NULL, bad = ru_blob1(CATEGORY_CONFIG, TAG_BPF_FILTER, "udp and ("), good = ru_blob1(CATEGORY_CONFIG, TAG_BPF_FILTER, "udp dst port 4001");
        HNPP npp;
        STATISTICS st;
        bu_tally t;
        CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
        npp = connect_with(eth, "udp dst port 53", 0, NMERR_SUCCESS, NULL);
        CHECK_RC(esp_configure(npp, bad, err), NMERR_BLOB_CONVERSION_ERROR);
        check_error_blob(err, "udp and (", "syntax error");
        t = capture(npp, &st);
        bu_print("after the refused Configure", &t);
        CHECK_EQ(t.records, N);
        CHECK_EQ(t.per_port[0], N);
        CHECK_EQ(st.TotalFramesCaptured, N);
        CHECK_RC(esp_configure(npp, good, NULL), NMERR_SUCCESS);
        t = capture(npp, &st);
        bu_print("after Configure \"udp dst port 4001\"", &t);
        CHECK_EQ(t.records, N);
        CHECK_EQ(t.per_port[2], N);
        CHECK(bu_each_once(&t, 2, N));
        CHECK_EQ(st.TotalFramesFiltered, N);
        done(npp);
        DestroyBlob(err);
        DestroyBlob(bad);
        DestroyBlob(good);
    }
    if (check_failures == 0) ru_rm_tree(dir);
    else printf("files kept in %s\n", dir);
    return check_done("test_bpf_replay");
}
