/* Capture filters (SDK h.3, README "Capture filter") and pattern triggers (SDK h.4), on replay NICs: no
 * privilege needed.
 *
 * A crafted pcap of 40 Ethernet frames whose classification is known frame by frame (IPv4
 * TCP/UDP/ICMP between several addresses and ports, IPv4 with IP options, IPv6 UDP/TCP, ARP, IPX
 * in Ethernet II, in 802.2 (DSAP 0xE0) and in SNAP, 802.2 LLC with DSAP 0x10 (U and I format),
 * 0x42, 0xF0, SNAP carrying IPv4, a VLAN-tagged frame, broadcast and multicast destinations, and
 * short frames that end inside the MAC, IPv4 or LLC header). For every filter an NPP captures
 * the whole replay into a PCAP file (esp_*), and the test checks EXACTLY which frames the file
 * holds (bytes, stored and wire length, timestamp against the source list) and the counters
 * (seen 40, filtered = captured = kept, bytes). The expected kept sets are written by hand as
 * index lists next to each filter, with the reason.
 *   Etype/SAP: the documented IPX example, INCLUDE_ALL_ETYPES with an exception, INCLUDE_ALL_SAPS
 *   with an exception, Etypes only (no Saps entry), no filter.
 *   Addresses: MAC source, IPv4 destination, IPv6 source, IPX destination, v1 ADDRESSTABLE,
 *   include + exclude (exclude wins), MATCH_BOTH, ANY_GROUP and DST_GROUP_ADDR destinations, a
 *   pair selecting no side (include: all; exclude: none).
 *   Patterns: FRAME, NOT FRAME (short frames pass), NOT IP (no IPv4: fail), IP, IP PORT (UDP and
 *   TCP, with IP options), IP6 PORT, IPX, IPX PORT, EFFECTIVE (after Ethernet II, 802.2, SNAP),
 *   and spec question 2: AND(OR(a, b), OR(c, d)) on frames where AND-of-ORs, OR-of-ANDs and OR of
 *   all four differ.
 *   Clipping (FrameSize 64) alone and with all parts; the IStats family with a filter.
 *
 * Triggers use a second replay: 20 IPv4 UDP frames of exactly 100 bytes, frames 2 and 9 carry
 * the marker "TRIG" at the start of the UDP payload, odd frames go to port 2000, even ones to
 * 1000. Pattern triggers with STOP / PAUSE / NOTIFY, the two combined types with BufferSize 1000,
 * triggers behind a filter (only filtered frames are stored, so only they count), and
 * TRIGGER_PENDING (before firing on a paced replay, after firing, never firing). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "check.h"
#include "test_util.h"

#define NF 40
#define BASE_SEC 1700000000u

typedef struct {
    uint8_t b[256];
    unsigned len;
} frame_t;

static frame_t F[NF];

static const uint8_t M1[6] = {0x02, 0, 0, 0, 0, 0x01}, M2[6] = {0x02, 0, 0, 0, 0, 0x02}, M3[6] = {0x02, 0, 0, 0, 0, 0x03};
static const uint8_t BC[6] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
static const uint8_t MC4[6] = {0x01, 0x00, 0x5E, 0x00, 0x00, 0xFB}, MC6[6] = {0x33, 0x33, 0, 0, 0, 0x01};
static const uint8_t STP[6] = {0x01, 0x80, 0xC2, 0, 0, 0};
static const uint8_t IP_A[4] = {192, 0, 2, 1}, IP_B[4] = {192, 0, 2, 2}, IP_C[4] = {192, 0, 2, 3};
static const uint8_t IP_D[4] = {198, 51, 100, 7}, IP_NETBC[4] = {192, 0, 2, 255}, IP_ALLBC[4] = {255, 255, 255, 255};
static const uint8_t IP_MDNS[4] = {224, 0, 0, 251};
static const uint8_t IP6_1[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t IP6_2[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
static const uint8_t IP6_3[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3};
static const uint8_t IP6_MC[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

/* ---- frame construction ----------------------------------------------------------------------- */

static void be16(uint8_t *p, unsigned v) {
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Printable filler (0x20..0x7E): never FF FF, never an address or a marker by accident. */
static void fill(uint8_t *p, unsigned n, int seed) {
    for (unsigned k = 0; k < n; k++) p[k] = (uint8_t)(0x20 + (unsigned)(seed * 31 + (int)k * 7) % 0x5F);
}

static unsigned eth(uint8_t *p, const uint8_t *dst, const uint8_t *src, unsigned type) {
    memcpy(p, dst, 6);
    memcpy(p + 6, src, 6);
    be16(p + 12, type);
    return 14;
}

/* Transport header + payload at p: 6 TCP (20 bytes), 17 UDP (8), 1 ICMP echo (8). */
static unsigned l4(uint8_t *p, unsigned proto, unsigned sp, unsigned dp, unsigned plen, int seed) {
    unsigned h = proto == 6 ? 20 : 8;
    memset(p, 0, h);
    if (proto == 1) {
        p[0] = 8; /* echo request */
        be16(p + 4, 0x1234);
        be16(p + 6, (unsigned)seed);
    } else {
        be16(p, sp);
        be16(p + 2, dp);
        if (proto == 17) {
            be16(p + 4, 8 + plen);
        } else {
            be16(p + 4, 0x0102);
            be16(p + 6, 0x0304);
            p[12] = 0x50;
            p[13] = 0x18;
            be16(p + 14, 0xFFFF);
        }
    }
    fill(p + h, plen, seed);
    return h + plen;
}

/* IPv4 header (IHL 5 + optw words of options: NOP NOP NOP EOL) + transport; total length. */
static unsigned ip4(uint8_t *p, unsigned proto, const uint8_t *src, const uint8_t *dst, unsigned sp, unsigned dp,
                    unsigned plen, unsigned optw, int seed) {
    unsigned hl = 20 + 4 * optw, tot, sum = 0, k;
    memset(p, 0, hl);
    p[0] = (uint8_t)(0x40 | (5 + optw));
    p[8] = 64;
    p[9] = (uint8_t)proto;
    memcpy(p + 12, src, 4);
    memcpy(p + 16, dst, 4);
    for (k = 0; k < optw * 4; k++) p[20 + k] = (k % 4 == 3) ? 0 : 1;
    tot = hl + l4(p + hl, proto, sp, dp, plen, seed);
    be16(p + 2, tot);
    be16(p + 4, (unsigned)seed);
    for (k = 0; k < hl; k += 2) sum += (unsigned)(p[k] << 8 | p[k + 1]);
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    be16(p + 10, ~sum & 0xFFFF);
    return tot;
}

static unsigned ip6(uint8_t *p, unsigned nh, const uint8_t *src, const uint8_t *dst, unsigned sp, unsigned dp, unsigned plen, int seed) {
    unsigned n;
    memset(p, 0, 40);
    p[0] = 0x60;
    p[6] = (uint8_t)nh;
    p[7] = 64;
    memcpy(p + 8, src, 16);
    memcpy(p + 24, dst, 16);
    n = l4(p + 40, nh, sp, dp, plen, seed);
    be16(p + 4, n);
    return 40 + n;
}

/* IPX header (30 bytes: checksum FFFF, length, tc, type 4, dst net/node/socket, src ...) + data. */
static unsigned ipx(uint8_t *p, const uint8_t *dnode, unsigned dsock, unsigned plen, int seed) {
    memset(p, 0, 30);
    be16(p, 0xFFFF);
    be16(p + 2, 30 + plen);
    p[5] = 4;
    p[9] = 1; /* dst net 00000001 */
    memcpy(p + 10, dnode, 6);
    be16(p + 16, dsock);
    p[21] = 1; /* src net */
    memcpy(p + 22, M1, 6);
    be16(p + 28, 0x4000);
    fill(p + 30, plen, seed);
    return 30 + plen;
}

static unsigned arp(uint8_t *p, unsigned op, const uint8_t *sha, const uint8_t *spa, const uint8_t *tha, const uint8_t *tpa) {
    be16(p, 1);
    be16(p + 2, 0x0800);
    p[4] = 6;
    p[5] = 4;
    be16(p + 6, op);
    memcpy(p + 8, sha, 6);
    memcpy(p + 14, spa, 4);
    memcpy(p + 18, tha, 6);
    memcpy(p + 24, tpa, 4);
    return 28;
}

static void pad60(frame_t *f) {
    if (f->len < 60) {
        memset(f->b + f->len, 0, 60 - f->len);
        f->len = 60;
    }
}

/* 802.3 + LLC header (DSAP, SSAP, 1- or 2-byte control); the caller appends the data and calls
 * llc_end. */
static unsigned llc(frame_t *f, const uint8_t *dst, const uint8_t *src, unsigned dsap, int iformat) {
    unsigned o = eth(f->b, dst, src, 0);
    f->b[o++] = (uint8_t)dsap;
    f->b[o++] = (uint8_t)dsap;
    f->b[o++] = iformat ? 0x00 : 0x03;
    if (iformat) f->b[o++] = 0x00;
    return o;
}

static void llc_end(frame_t *f, unsigned len) {
    f->len = len;
    be16(f->b + 12, len - 14); /* 802.3 length: LLC + data, without padding */
    pad60(f);
}

static unsigned snap(frame_t *f, const uint8_t *dst, const uint8_t *src, unsigned etype) {
    unsigned o = llc(f, dst, src, 0xAA, 0);
    f->b[o++] = 0;
    f->b[o++] = 0;
    f->b[o++] = 0;
    be16(f->b + o, etype);
    return o + 2;
}

static void v4(int i, const uint8_t *dmac, const uint8_t *smac, unsigned proto, const uint8_t *sip, const uint8_t *dip,
               unsigned sp, unsigned dp, unsigned plen) {
    unsigned o = eth(F[i].b, dmac, smac, 0x0800);
    F[i].len = o + ip4(F[i].b + o, proto, sip, dip, sp, dp, plen, 0, i);
    pad60(&F[i]);
}

static void build_corpus(void) {
    unsigned o;
    memset(F, 0, sizeof F);
    v4(0, M2, M1, 6, IP_A, IP_B, 1025, 80, 20);          /* TCP A:1025 -> B:80            74 */
    v4(1, M2, M1, 17, IP_A, IP_B, 1026, 53, 30);         /* UDP A:1026 -> B:53            72 */
    v4(2, M1, M2, 17, IP_B, IP_A, 53, 1026, 50);         /* UDP B:53 -> A:1026            92 */
    v4(3, M3, M1, 6, IP_A, IP_C, 1027, 443, 10);         /* TCP A -> C:443                64 */
    v4(4, M2, M3, 17, IP_C, IP_B, 5000, 5001, 18);       /* UDP C -> B:5001               60 */
    v4(5, M2, M1, 17, IP_A, IP_D, 6000, 53, 40);         /* UDP A -> D:53 (routed)        82 */
    v4(6, M2, M1, 1, IP_A, IP_B, 0, 0, 32);              /* ICMP echo A -> B              74 */
    o = eth(F[7].b, M2, M1, 0x86DD);                     /* IPv6 UDP ::1:1000 -> ::2:53   74 */
    F[7].len = o + ip6(F[7].b + o, 17, IP6_1, IP6_2, 1000, 53, 12, 7);
    o = eth(F[8].b, M1, M2, 0x86DD);                     /* IPv6 UDP ::2:53 -> ::1:1000   82 */
    F[8].len = o + ip6(F[8].b + o, 17, IP6_2, IP6_1, 53, 1000, 20, 8);
    o = eth(F[9].b, BC, M1, 0x0806);                     /* ARP request, broadcast        60 */
    F[9].len = o + arp(F[9].b + o, 1, M1, IP_A, (const uint8_t *)"\0\0\0\0\0\0", IP_B);
    pad60(&F[9]);
    o = eth(F[10].b, M1, M2, 0x0806);                    /* ARP reply                     60 */
    F[10].len = o + arp(F[10].b + o, 2, M2, IP_B, M1, IP_A);
    pad60(&F[10]);
    o = eth(F[11].b, BC, M3, 0x8137);                    /* IPX Ethernet II, broadcast    60 */
    F[11].len = o + ipx(F[11].b + o, BC, 0x0452, 10, 11);
    pad60(&F[11]);
    o = eth(F[12].b, M2, M1, 0x8137);                    /* IPX Ethernet II               78 */
    F[12].len = o + ipx(F[12].b + o, M2, 0x0451, 34, 12);
    o = llc(&F[13], M2, M1, 0xE0, 0);                    /* 802.2 DSAP E0 + IPX           60 */
    llc_end(&F[13], o + ipx(F[13].b + o, M2, 0x0451, 10, 13));
    o = llc(&F[14], M2, M1, 0x10, 0);                    /* 802.2 DSAP 10                 60 */
    fill(F[14].b + o, 43, 14);
    llc_end(&F[14], o + 43);
    o = llc(&F[15], STP, M3, 0x42, 0);                   /* 802.2 DSAP 42 (BPDU), mcast   60 */
    memset(F[15].b + o, 0, 35);
    llc_end(&F[15], o + 35);
    o = llc(&F[16], M2, M1, 0xF0, 0);                    /* 802.2 DSAP F0                 67 */
    fill(F[16].b + o, 50, 16);
    llc_end(&F[16], o + 50);
    o = snap(&F[17], M2, M1, 0x0800);                    /* SNAP IPv4 UDP A -> B:7101     60 */
    llc_end(&F[17], o + ip4(F[17].b + o, 17, IP_A, IP_B, 7100, 7101, 10, 0, 17));
    o = snap(&F[18], M2, M1, 0x8137);                    /* SNAP IPX                      64 */
    llc_end(&F[18], o + ipx(F[18].b + o, M2, 0x0451, 12, 18));
    o = eth(F[19].b, M2, M1, 0x8100);                    /* VLAN 100, IPv4 UDP A -> B     76 */
    be16(F[19].b + o, 100);
    be16(F[19].b + o + 2, 0x0800);
    F[19].len = o + 4 + ip4(F[19].b + o + 4, 17, IP_A, IP_B, 7000, 7001, 30, 0, 19);
    v4(20, BC, M2, 17, IP_B, IP_ALLBC, 68, 67, 60);      /* UDP broadcast                102 */
    v4(21, MC4, M3, 17, IP_C, IP_MDNS, 5353, 5353, 40);  /* UDP multicast                 82 */
    o = eth(F[22].b, MC6, M2, 0x86DD);                   /* IPv6 UDP multicast            92 */
    F[22].len = o + ip6(F[22].b + o, 17, IP6_2, IP6_MC, 547, 546, 30, 22);
    o = eth(F[23].b, M2, M1, 0x88B5);                    /* local experimental EtherType  60 */
    fill(F[23].b + o, 46, 23);
    F[23].len = o + 46;
    memcpy(F[24].b, "\xFF\xFF\xFF\xFF\xFF\xFF\x02\x00\x00\x00", 10); /* 10 bytes: no MAC header */
    F[24].len = 10;
    eth(F[25].b, M2, M1, 0x0800);                        /* 13 bytes: ends in the type    13 */
    F[25].len = 13;
    o = eth(F[26].b, M2, M1, 0x0800);                    /* IPv4 cut after 8 bytes        22 */
    ip4(F[26].b + o, 17, IP_A, IP_B, 1, 2, 10, 0, 26);
    F[26].len = o + 8;
    eth(F[27].b, M2, M1, 0x0001);                        /* 802.3, cut after the DSAP 10  15 */
    F[27].b[14] = 0x10;
    F[27].len = 15;
    v4(28, M2, M1, 6, IP_A, IP_B, 1028, 53, 0);          /* TCP A -> B:53                 60 */
    v4(29, M1, M2, 6, IP_B, IP_A, 53, 1028, 100);        /* TCP B:53 -> A                154 */
    v4(30, M2, M3, 17, IP_C, IP_B, 1234, 53, 25);        /* UDP C -> B:53                 67 */
    v4(31, M3, M2, 17, IP_B, IP_C, 53, 1234, 80);        /* UDP B:53 -> C                122 */
    o = eth(F[32].b, M2, M1, 0x0800);                    /* IPv4 + options, UDP A -> B:53 66 */
    F[32].len = o + ip4(F[32].b + o, 17, IP_A, IP_B, 1111, 53, 20, 1, 32);
    v4(33, M1, M3, 17, IP_C, IP_A, 53, 9999, 33);        /* UDP C:53 -> A                 75 */
    o = llc(&F[34], M2, M1, 0x10, 1);                    /* 802.2 DSAP 10, I-format       68 */
    fill(F[34].b + o, 50, 34);
    llc_end(&F[34], o + 50);
    o = llc(&F[35], M2, M1, 0xE0, 0);                    /* 802.2 DSAP E0 + IPX           67 */
    llc_end(&F[35], o + ipx(F[35].b + o, M2, 0x0451, 20, 35));
    v4(36, M2, M1, 17, IP_A, IP_B, 53, 53, 44);          /* UDP A:53 -> B:53              86 */
    o = eth(F[37].b, M2, M1, 0x86DD);                    /* IPv6 TCP ::1 -> ::3:80        80 */
    F[37].len = o + ip6(F[37].b + o, 6, IP6_1, IP6_3, 2000, 80, 6, 37);
    v4(38, M2, M3, 17, IP_C, IP_D, 4444, 53, 18);        /* UDP C -> D:53 (routed)        60 */
    v4(39, BC, M1, 17, IP_A, IP_NETBC, 137, 137, 50);    /* UDP to the net broadcast      92 */
}

/* ---- pcap files ------------------------------------------------------------------------------- */

/* A µs pcap (host order, LINKTYPE_ETHERNET); frame i at BASE_SEC + i s, i ms. */
static int write_pcap(const char *path, const frame_t *fr, int n) {
    tu_pcap p;
    if (tu_pcap_open(&p, path, 1, 65535, 0) != 0) return -1;
    for (int i = 0; i < n; i++) tu_pcap_frame(&p, BASE_SEC + (uint32_t)i, (uint32_t)i * 1000u, fr[i].b, fr[i].len, fr[i].len);
    return tu_pcap_close(&p);
}

typedef struct {
    uint32_t sec, frac, incl, orig;
    uint8_t data[256];
} rec_t;

/* Reads a classic pcap written by the library (little-endian, ns or µs magic). Record count, -1
 * when the file cannot be read or is malformed. */
static int read_pcap(const char *path, rec_t *r, int max, uint32_t *linktype) {
    FILE *f = fopen(path, "rb");
    uint32_t gh[6];
    int n = 0;
    if (!f) return -1;
    if (fread(gh, 4, 6, f) != 6 || (gh[0] != 0xA1B2C3D4u && gh[0] != 0xA1B23C4Du)) {
        fclose(f);
        return -1;
    }
    if (linktype) *linktype = gh[5];
    for (;;) {
        uint32_t rh[4];
        if (fread(rh, 4, 4, f) != 4) break;
        if (rh[2] > sizeof r[0].data || n >= max) {
            fclose(f);
            return -1;
        }
        r[n].sec = rh[0];
        r[n].frac = rh[1];
        r[n].incl = rh[2];
        r[n].orig = rh[3];
        if (fread(r[n].data, 1, rh[2], f) != rh[2]) {
            fclose(f);
            return -1;
        }
        n++;
    }
    fclose(f);
    return n;
}

/* ---- NPP helpers ------------------------------------------------------------------------------ */

static char tmpdir[256];

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap(void) {
    struct timespec ts = {0, 2 * 1000 * 1000};
    nanosleep(&ts, NULL);
}

/* Polls until FramesSeen reaches `want` (10 s deadline); the last value. */
static unsigned long long wait_seen(DWORD (*get)(HNPP, LPSTATISTICS_EX), HNPP h, unsigned long long want) {
    STATISTICS_EX ex;
    long long deadline = now_ms() + 10000;
    for (;;) {
        memset(&ex, 0, sizeof ex);
        ex.StructSize = sizeof ex;
        if (get(h, &ex) == NMERR_SUCCESS && ex.FramesSeen >= want) return ex.FramesSeen;
        if (now_ms() > deadline) return ex.FramesSeen;
        nap();
    }
}

/* A BLOB naming the replay file, the capture directory, PCAP output, keep empty files. */
static HBLOB replay_blob(const char *pcap) {
    HBLOB b = NULL;
    CHECK_RC(CreateBlob(&b), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(b, OWNER_NPP, CATEGORY_LOCATION, TAG_REPLAY_FILE, pcap), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(b, OWNER_NPP, CATEGORY_CONFIG, TAG_CAPTURE_DIRECTORY, tmpdir), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(b, OWNER_NPP, CATEGORY_CONFIG, TAG_FILE_FORMAT, FILE_FORMAT_PCAP_TXT), NMERR_SUCCESS);
    CHECK_RC(SetBoolInBlob(b, OWNER_NPP, CATEGORY_CONFIG, TAG_DONT_DELETE_EMPTY_CAPTURE, TRUE), NMERR_SUCCESS);
    return b;
}

static PATTERNMATCH pat(DWORD flags, BYTE basis, BYTE port, WORD offset, const void *bytes, WORD len) {
    PATTERNMATCH p;
    memset(&p, 0, sizeof p);
    p.Flags = flags;
    p.OffsetBasis = basis;
    p.Port.IPPort = port;
    p.Offset = offset;
    p.Length = len;
    memcpy(p.PatternToMatch, bytes, len);
    return p;
}

/* An EXPRESSION of one group with one pattern. */
static EXPRESSION expr1(PATTERNMATCH p) {
    EXPRESSION e;
    memset(&e, 0, sizeof e);
    e.nAndExps = 1;
    e.AndExp[0].nPatternMatches = 1;
    e.AndExp[0].PatternMatch[0] = p;
    return e;
}

static ADDRESS2 addr(DWORD type, const void *bytes, size_t n) {
    ADDRESS2 a;
    memset(&a, 0, sizeof a);
    a.Type = type;
    if (bytes) memcpy(a.IP6Address, bytes, n);
    return a;
}

static void add_pair(ADDRESSTABLE2 *t, WORD flags, ADDRESS2 dst, ADDRESS2 src) {
    ADDRESSPAIR2 *p = &t->AddressPair[t->nAddressPairs++];
    memset(p, 0, sizeof *p);
    p->AddressFlags = flags;
    p->DstAddress = dst;
    p->SrcAddress = src;
}

static char corpus_path[512], trig_path[512];

#define LIST(...) (const int[]){__VA_ARGS__}, (int)(sizeof((int[]){__VA_ARGS__}) / sizeof(int))

static void print_list(const char *label, const int *v, int n) {
    fprintf(stderr, "    %s (%d):", label, n);
    for (int i = 0; i < n; i++) fprintf(stderr, " %d", v[i]);
    fprintf(stderr, "\n");
}

/* Checks a capture file against the source frames `src`: it holds exactly the frames `kept` (in
 * order), each clipped to `clip` (0 = whole), with its wire length and timestamp. */
static void check_file(const char *what, const char *path, const frame_t *src, int nsrc, const int *kept, int nkept, unsigned clip) {
    static rec_t rec[NF + 8];
    uint32_t lt = 0;
    int n = read_pcap(path, rec, NF + 8, &lt), bad = 0, got[NF + 8];
    CHECK(n >= 0);
    if (n < 0) return;
    CHECK_EQ(lt, 1);
    for (int j = 0; j < n; j++) {
        long idx = (long)rec[j].sec - (long)BASE_SEC;
        got[j] = (idx >= 0 && idx < nsrc) ? (int)idx : -1;
    }
    for (int j = 0; j < n && j < nkept; j++) {
        int i = kept[j];
        unsigned want = (clip && src[i].len > clip) ? clip : src[i].len;
        if (got[j] != i || rec[j].incl != want || rec[j].orig != src[i].len || memcmp(rec[j].data, src[i].b, want) != 0) {
            if (bad++ < 5)
                fprintf(stderr, "  %s: record %d is source frame %d (stored %u, wire %u), expected frame %d (stored %u, wire %u)%s\n",
                        what, j, got[j], rec[j].incl, rec[j].orig, i, want, src[i].len,
                        got[j] == i && rec[j].incl == want ? ": bytes differ" : "");
        }
    }
    CHECK_EQ(n, nkept);
    CHECK_EQ(bad, 0);
    if (n != nkept || bad) {
        fprintf(stderr, "  %s: the file's frames differ from the expected ones\n", what);
        print_list("expected", kept, nkept);
        print_list("in file ", got, n);
    }
}

/* Captures the corpus through `cfg` (replay NIC + filter parts; destroyed here) and checks the kept
 * frames and every counter. */
static void run_filter(const char *what, HBLOB cfg, unsigned clip, const int *kept, int nkept) {
    HBLOB err = NULL;
    HNPP h = NULL;
    STATISTICS st;
    STATISTICS_EX ex;
    char name[1024];
    unsigned long long bytes_seen = 0, bytes_kept = 0, bytes_stored = 0;
    int i;
    printf("-- %s\n", what);
    for (i = 0; i < NF; i++) bytes_seen += F[i].len;
    for (i = 0; i < nkept; i++) {
        bytes_kept += F[kept[i]].len;
        bytes_stored += (clip && F[kept[i]].len > clip) ? clip : F[kept[i]].len;
    }
    CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
    CHECK_RC(npp_create(cfg, &h), NMERR_SUCCESS);
    CHECK_RC(esp_connect(h, cfg, NULL, NULL, err), NMERR_SUCCESS);
    name[0] = '\0';
    CHECK_RC(esp_start(h, name, sizeof name), NMERR_SUCCESS);
    CHECK_EQ(wait_seen(esp_get_statistics_ex, h, NF), NF);
    memset(&st, 0xEE, sizeof st);
    CHECK_RC(esp_stop(h, &st), NMERR_SUCCESS);
    CHECK_EQ(st.TotalFramesSeen, NF);
    CHECK_EQ(st.TotalBytesSeen, bytes_seen);
    CHECK_EQ(st.TotalFramesFiltered, nkept);
    CHECK_EQ(st.TotalFramesCaptured, nkept);
    CHECK_EQ(st.TotalBytesCaptured, bytes_stored);
    CHECK_EQ(st.TotalFramesDropped, 0);
    ex = tu_stats_ex(h); /* the finished capture's totals */
    CHECK_EQ(ex.FramesSeen, NF);
    CHECK_EQ(ex.BytesSeen, bytes_seen);
    CHECK_EQ(ex.FramesFiltered, nkept);
    CHECK_EQ(ex.BytesFiltered, bytes_kept);
    CHECK_EQ(ex.FramesCaptured, nkept);
    CHECK_EQ(ex.BytesCaptured, bytes_stored);
    CHECK_EQ(ex.FramesDropped, 0);
    if (name[0]) check_file(what, name, F, NF, kept, nkept, clip);
    CHECK_RC(esp_disconnect(h), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
    if (name[0]) unlink(name);
    DestroyBlob(cfg);
    DestroyBlob(err);
}

/* ---- h.3.1 Etype / SAP -------------------------------------------------------------------------- */

static void etype_sap_filters(void) {
    HBLOB b;
    {
        /* The documented IPX-only example: SAPs {0x10, 0xE0}, Etypes {0x8137}, flags 0. IPX in
         * Ethernet II (11, 12), SNAP carrying 0x8137 (18), 802.2 with DSAP 0x10 (14; 34 with an
         * I-format control field) or 0xE0 (13, 35). Not 27 (DSAP 0x10, but the frame ends inside
         * the LLC header: no type), not the short frames 24-26, not SNAP-IPv4 (17), not 15/16. */
        BYTE saps[2] = {0x10, 0xE0};
        WORD etypes[1] = {0x8137};
        b = replay_blob(corpus_path);
        CHECK_RC(SetNPPEtypeSapFilter(b, 2, 1, saps, etypes, 0, NULL), NMERR_SUCCESS);
        run_filter("Etype/SAP: IPX example", b, 0, LIST(11, 12, 13, 14, 18, 34, 35));
    }
    {
        /* INCLUDE_ALL_ETYPES with the exception {0x0806}; the SAP list stays an (empty) accept
         * list, so no 802.2 frame passes: every Etype-bearing frame except ARP (9, 10) — Ethernet
         * II, SNAP (17, 18), VLAN judged by the inner 0x0800 (19), the cut IPv4 (26, its Etype is
         * whole) — and no LLC frame (13-16, 34, 35), no frame without a type (24, 25, 27). */
        WORD etypes[1] = {0x0806};
        b = replay_blob(corpus_path);
        CHECK_RC(SetNPPEtypeSapFilter(b, 0, 1, NULL, etypes, CAPTUREFILTER_FLAGS_INCLUDE_ALL_ETYPES, NULL), NMERR_SUCCESS);
        run_filter("Etype/SAP: INCLUDE_ALL_ETYPES except ARP", b, 0,
                   LIST(0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 17, 18, 19, 20, 21, 22, 23, 26, 28, 29, 30, 31, 32, 33, 36, 37, 38, 39));
    }
    {
        /* INCLUDE_ALL_SAPS with the exception {0x42}; Etypes an empty accept list: the 802.2
         * frames other than the BPDU (15): 13, 14, 16, 34, 35. SNAP frames are judged by their
         * Etype, so 17 and 18 fail. */
        BYTE saps[1] = {0x42};
        b = replay_blob(corpus_path);
        CHECK_RC(SetNPPEtypeSapFilter(b, 1, 0, saps, NULL, CAPTUREFILTER_FLAGS_INCLUDE_ALL_SAPS, NULL), NMERR_SUCCESS);
        run_filter("Etype/SAP: INCLUDE_ALL_SAPS except 0x42", b, 0, LIST(13, 14, 16, 34, 35));
    }
    {
        /* Etypes {0x0800, 0x86DD} only, no Saps entry (the part is present, SAPs all pass): IPv4
         * and IPv6 in Ethernet II, SNAP (17) and VLAN (19), the cut IPv4 (26), and every 802.2
         * frame (13-16, 34, 35). Not ARP, IPX (11, 12, 18), 0x88B5 (23), 24, 25, 27. */
        WORD etypes[2] = {0x0800, 0x86DD};
        b = replay_blob(corpus_path);
        CHECK_RC(SetNPPEtypeSapFilter(b, 0, 2, NULL, etypes, 0, NULL), NMERR_SUCCESS);
        CHECK_RC(RemoveFromBlob(b, OWNER_NPP, CATEGORY_CONFIG, TAG_SAPS), NMERR_SUCCESS);
        run_filter("Etype/SAP: Etypes only (no Saps entry)", b, 0,
                   LIST(0, 1, 2, 3, 4, 5, 6, 7, 8, 13, 14, 15, 16, 17, 19, 20, 21, 22, 26, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39));
    }
    {
        /* No filter part at all: every frame is kept (the reference for the counters). */
        b = replay_blob(corpus_path);
        run_filter("no filter", b, 0,
                   LIST(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
                        30, 31, 32, 33, 34, 35, 36, 37, 38, 39));
    }
}

/* ---- h.3.2 addresses ---------------------------------------------------------------------------- */

static void address_filters(void) {
    ADDRESSTABLE2 t;
    HBLOB b;

    /* MATCH_SRC, source MAC M3: 4, 11, 15, 21, 30, 33, 38 (3 goes *to* M3: no reverse match). */
    memset(&t, 0, sizeof t);
    add_pair(&t, ADDRESS_FLAGS_MATCH_SRC, addr(ADDRESS_TYPE_ETHERNET, NULL, 0), addr(ADDRESS_TYPE_ETHERNET, M3, 6));
    b = replay_blob(corpus_path);
    CHECK_RC(SetNPPAddress2FilterInBlob(b, &t), NMERR_SUCCESS);
    run_filter("address: MAC source include", b, 0, LIST(4, 11, 15, 21, 30, 33, 38));

    /* MATCH_DST, IPv4 destination 192.0.2.2, wherever the IPv4 header is: Ethernet II (0, 1, 4,
     * 6, 28, 30, 32, 36), SNAP (17), VLAN (19). Not the cut 26 (no room for the address). */
    memset(&t, 0, sizeof t);
    add_pair(&t, ADDRESS_FLAGS_MATCH_DST, addr(ADDRESS_TYPE_IP, IP_B, 4), addr(ADDRESS_TYPE_IP, NULL, 0));
    b = replay_blob(corpus_path);
    CHECK_RC(SetNPPAddress2FilterInBlob(b, &t), NMERR_SUCCESS);
    run_filter("address: IPv4 destination include", b, 0, LIST(0, 1, 4, 6, 17, 19, 28, 30, 32, 36));

    /* MATCH_SRC, IPv6 source 2001:db8::1: 7, 37. */
    memset(&t, 0, sizeof t);
    add_pair(&t, ADDRESS_FLAGS_MATCH_SRC, addr(ADDRESS_TYPE_IP6, NULL, 0), addr(ADDRESS_TYPE_IP6, IP6_1, 16));
    b = replay_blob(corpus_path);
    CHECK_RC(SetNPPAddress2FilterInBlob(b, &t), NMERR_SUCCESS);
    run_filter("address: IPv6 source include", b, 0, LIST(7, 37));

    /* Include source 192.0.2.1, exclude destination 192.0.2.2: the exclusion wins. Source A:
     * 0, 1, 3, 5, 6, 17, 19, 28, 32, 36, 39; of those, to B: 0, 1, 6, 17, 19, 28, 32, 36. */
    memset(&t, 0, sizeof t);
    add_pair(&t, ADDRESS_FLAGS_MATCH_SRC, addr(ADDRESS_TYPE_IP, NULL, 0), addr(ADDRESS_TYPE_IP, IP_A, 4));
    add_pair(&t, ADDRESS_FLAGS_MATCH_DST | ADDRESS_FLAGS_EXCLUDE, addr(ADDRESS_TYPE_IP, IP_B, 4), addr(ADDRESS_TYPE_IP, NULL, 0));
    b = replay_blob(corpus_path);
    CHECK_RC(SetNPPAddress2FilterInBlob(b, &t), NMERR_SUCCESS);
    run_filter("address: include + exclude (exclude wins)", b, 0, LIST(3, 5, 39));

    /* MATCH_BOTH, M3 -> M2 only (not M2 -> M3, not M3 -> others): 4, 30, 38. */
    memset(&t, 0, sizeof t);
    add_pair(&t, ADDRESS_FLAGS_MATCH_BOTH, addr(ADDRESS_TYPE_ETHERNET, M2, 6), addr(ADDRESS_TYPE_ETHERNET, M3, 6));
    b = replay_blob(corpus_path);
    CHECK_RC(SetNPPAddress2FilterInBlob(b, &t), NMERR_SUCCESS);
    run_filter("address: MATCH_BOTH", b, 0, LIST(4, 30, 38));

    /* Destination ANY_GROUP: broadcast (9, 11, 20, 39) and multicast (15, 21, 22). Not 24 (it
     * starts with FF but has no MAC header). */
    memset(&t, 0, sizeof t);
    add_pair(&t, ADDRESS_FLAGS_MATCH_DST, addr(ADDRESS_TYPE_ANY_GROUP, NULL, 0), addr(ADDRESS_TYPE_ANY, NULL, 0));
    b = replay_blob(corpus_path);
    CHECK_RC(SetNPPAddress2FilterInBlob(b, &t), NMERR_SUCCESS);
    run_filter("address: destination ANY_GROUP", b, 0, LIST(9, 11, 15, 20, 21, 22, 39));

    /* MATCH_DST, IPX network 00000001 node M2 (the 10 bytes at 6 of the IPX header), whatever
     * carries IPX: Ethernet II (12), 802.2 DSAP E0 (13, 35), SNAP (18). Not 11 (to the broadcast
     * node). */
    memset(&t, 0, sizeof t);
    {
        uint8_t ipx_addr[10] = {0, 0, 0, 1, 0x02, 0, 0, 0, 0, 0x02};
        add_pair(&t, ADDRESS_FLAGS_MATCH_DST, addr(ADDRESS_TYPE_IPX, ipx_addr, 10), addr(ADDRESS_TYPE_IPX, NULL, 0));
    }
    b = replay_blob(corpus_path);
    CHECK_RC(SetNPPAddress2FilterInBlob(b, &t), NMERR_SUCCESS);
    run_filter("address: IPX destination include", b, 0, LIST(12, 13, 18, 35));

    /* The documented pre-IPv6 form (ADDRESSTABLE, SetNPPAddressFilterInBlob): IPv4 source
     * 192.0.2.3: 4, 21, 30, 33, 38. */
    {
        ADDRESSTABLE t1;
        memset(&t1, 0, sizeof t1);
        t1.nAddressPairs = 1;
        t1.nNonMacAddressPairs = 1;
        t1.AddressPair[0].AddressFlags = ADDRESS_FLAGS_MATCH_SRC;
        t1.AddressPair[0].DstAddress.Type = ADDRESS_TYPE_IP;
        t1.AddressPair[0].SrcAddress.Type = ADDRESS_TYPE_IP;
        memcpy(t1.AddressPair[0].SrcAddress.IPAddress, IP_C, 4);
        b = replay_blob(corpus_path);
        CHECK_RC(SetNPPAddressFilterInBlob(b, &t1), NMERR_SUCCESS);
        run_filter("address (v1 ADDRESSTABLE): IPv4 source include", b, 0, LIST(4, 21, 30, 33, 38));
    }

    /* A pair that selects no side matches every frame (SDK h.3.2 [REC]): as an INCLUDE pair it
     * keeps all 40; as an EXCLUDE pair it drops all (an empty file, kept by
     * DontDeleteEmptyCapture). */
    memset(&t, 0, sizeof t);
    add_pair(&t, 0, addr(ADDRESS_TYPE_ETHERNET, M1, 6), addr(ADDRESS_TYPE_ETHERNET, M2, 6));
    b = replay_blob(corpus_path);
    CHECK_RC(SetNPPAddress2FilterInBlob(b, &t), NMERR_SUCCESS);
    run_filter("address: INCLUDE pair selecting no side", b, 0,
               LIST(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
                    30, 31, 32, 33, 34, 35, 36, 37, 38, 39));
    memset(&t, 0, sizeof t);
    add_pair(&t, ADDRESS_FLAGS_EXCLUDE, addr(ADDRESS_TYPE_ETHERNET, M1, 6), addr(ADDRESS_TYPE_ETHERNET, M2, 6));
    b = replay_blob(corpus_path);
    CHECK_RC(SetNPPAddress2FilterInBlob(b, &t), NMERR_SUCCESS);
    run_filter("address: EXCLUDE pair selecting no side", b, 0, NULL, 0);

    /* The same through DST_GROUP_ADDR (the group bit of the destination decides). */
    memset(&t, 0, sizeof t);
    add_pair(&t, ADDRESS_FLAGS_MATCH_DST | ADDRESS_FLAGS_DST_GROUP_ADDR, addr(ADDRESS_TYPE_ETHERNET, BC, 6),
             addr(ADDRESS_TYPE_ETHERNET, NULL, 0));
    b = replay_blob(corpus_path);
    CHECK_RC(SetNPPAddress2FilterInBlob(b, &t), NMERR_SUCCESS);
    run_filter("address: DST_GROUP_ADDR", b, 0, LIST(9, 11, 15, 20, 21, 22, 39));
}

/* ---- h.3.3 patterns ----------------------------------------------------------------------------- */

/* Bytes 12-13 = 08 00: the Ethernet II IPv4 frames (not VLAN 19, not SNAP 17); 25 is too short. */
#define ETYPE_IP_FRAMES 0, 1, 2, 3, 4, 5, 6, 20, 21, 26, 28, 29, 30, 31, 32, 33, 36, 38, 39

static void pattern_filters(void) {
    EXPRESSION e;
    HBLOB b;

    e = expr1(pat(0, OFFSET_BASIS_RELATIVE_TO_FRAME, 0, 12, "\x08\x00", 2));
    b = replay_blob(corpus_path);
    CHECK_RC(SetNPPPatternFilterInBlob(b, &e, NULL), NMERR_SUCCESS);
    run_filter("pattern: FRAME 12 = 08 00", b, 0, LIST(ETYPE_IP_FRAMES));

    /* NOT of the same: every other frame, the short ones included (too short = different). */
    e = expr1(pat(PATTERN_MATCH_FLAGS_NOT, OFFSET_BASIS_RELATIVE_TO_FRAME, 0, 12, "\x08\x00", 2));
    b = replay_blob(corpus_path);
    CHECK_RC(SetNPPPatternFilterInBlob(b, &e, NULL), NMERR_SUCCESS);
    run_filter("pattern: NOT FRAME 12 = 08 00", b, 0, LIST(7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 22, 23, 24, 25, 27, 34, 35, 37));

    /* NOT IP 9 = 17: IPv4 frames that are not UDP (TCP 0, 3, 28, 29; ICMP 6) and the cut 26 (its
     * IPv4 header is there but too short for offset 9: "different", so NOT passes). Frames without
     * IPv4 fail although NOT is set (missing basis: always fail, SDK h.3.3 / i.20). */
    e = expr1(pat(PATTERN_MATCH_FLAGS_NOT, OFFSET_BASIS_RELATIVE_TO_IP, 0, 9, "\x11", 1));
    b = replay_blob(corpus_path);
    CHECK_RC(SetNPPPatternFilterInBlob(b, &e, NULL), NMERR_SUCCESS);
    run_filter("pattern: NOT IP 9 = 17", b, 0, LIST(0, 3, 6, 26, 28, 29));

    /* IP basis, protocol byte (offset 9) = 17: UDP over IPv4 wherever the IPv4 header starts —
     * Ethernet II, SNAP (17), VLAN (19), with options (32). Not the cut 26. */
    e = expr1(pat(0, OFFSET_BASIS_RELATIVE_TO_IP, 0, 9, "\x11", 1));
    b = replay_blob(corpus_path);
    CHECK_RC(SetNPPPatternFilterInBlob(b, &e, NULL), NMERR_SUCCESS);
    run_filter("pattern: IP 9 = 17 (UDP)", b, 0, LIST(1, 2, 4, 5, 17, 19, 20, 21, 30, 31, 32, 33, 36, 38, 39));

    /* IP + PORT_SPECIFIED 17, offset 2 from the end of the IPv4 header = UDP destination port 53:
     * 1, 5, 30, 36, 38, and 32 whose header has 4 bytes of options (IHL 6). Not the TCP 28 to port
     * 53, not the replies from port 53 (2, 31, 33), not IPv6 (7). */
    e = expr1(pat(PATTERN_MATCH_FLAGS_PORT_SPECIFIED, OFFSET_BASIS_RELATIVE_TO_IP, 17, 2, "\x00\x35", 2));
    b = replay_blob(corpus_path);
    CHECK_RC(SetNPPPatternFilterInBlob(b, &e, NULL), NMERR_SUCCESS);
    run_filter("pattern: IP PORT 17, offset 2 = 53 (UDP to port 53)", b, 0, LIST(1, 5, 30, 32, 36, 38));

    /* IP6 + PORT_SPECIFIED 17 (NextHeader), offset 2 = 53: only 7. */
    e = expr1(pat(PATTERN_MATCH_FLAGS_PORT_SPECIFIED, OFFSET_BASIS_RELATIVE_TO_IP6, 17, 2, "\x00\x35", 2));
    b = replay_blob(corpus_path);
    CHECK_RC(SetNPPPatternFilterInBlob(b, &e, NULL), NMERR_SUCCESS);
    run_filter("pattern: IP6 PORT 17, offset 2 = 53", b, 0, LIST(7));

    /* IP + PORT_SPECIFIED 6 (TCP), offset 2 = 53: only the TCP 28 (not the UDP ones). */
    e = expr1(pat(PATTERN_MATCH_FLAGS_PORT_SPECIFIED, OFFSET_BASIS_RELATIVE_TO_IP, 6, 2, "\x00\x35", 2));
    b = replay_blob(corpus_path);
    CHECK_RC(SetNPPPatternFilterInBlob(b, &e, NULL), NMERR_SUCCESS);
    run_filter("pattern: IP PORT 6, offset 2 = 53 (TCP to port 53)", b, 0, LIST(28));

    /* IPX basis, offset 16 = 04 52 (destination socket 0x0452): only 11. */
    e = expr1(pat(0, OFFSET_BASIS_RELATIVE_TO_IPX, 0, 16, "\x04\x52", 2));
    b = replay_blob(corpus_path);
    CHECK_RC(SetNPPPatternFilterInBlob(b, &e, NULL), NMERR_SUCCESS);
    run_filter("pattern: IPX 16 = 04 52", b, 0, LIST(11));

    /* IPX + PORT_SPECIFIED: socket 0x0451 (ByteSwappedIPXPort holds it in network order), offset
     * 0 from the end of the IPX header = the first two data bytes of frame 35 (802.2 + IPX, data
     * at 17 + 30). The other 0x0451 frames (12, 13, 18) have other data there; 11 has socket
     * 0x0452. */
    {
        PATTERNMATCH p = pat(PATTERN_MATCH_FLAGS_PORT_SPECIFIED, OFFSET_BASIS_RELATIVE_TO_IPX, 0, 0, F[35].b + 47, 2);
        const uint8_t sock[2] = {0x04, 0x51};
        memcpy(&p.Port, sock, 2);
        e = expr1(p);
        b = replay_blob(corpus_path);
        CHECK_RC(SetNPPPatternFilterInBlob(b, &e, NULL), NMERR_SUCCESS);
        run_filter("pattern: IPX PORT 0x0451, offset 0 = frame 35's data", b, 0, LIST(35));
    }

    /* EFFECTIVE_PROTOCOL basis, offset 0 = FF FF (the IPX checksum): IPX after Ethernet II (11,
     * 12), after 802.2 DSAP E0 with its 3-byte header (13, 35), after SNAP (18). */
    e = expr1(pat(0, OFFSET_BASIS_RELATIVE_TO_EFFECTIVE_PROTOCOL, 0, 0, "\xFF\xFF", 2));
    b = replay_blob(corpus_path);
    CHECK_RC(SetNPPPatternFilterInBlob(b, &e, NULL), NMERR_SUCCESS);
    run_filter("pattern: EFFECTIVE 0 = FF FF (IPX)", b, 0, LIST(11, 12, 13, 18, 35));

    /* Spec question 2: AND of OR groups. (src 192.0.2.1 OR src 192.0.2.3) AND (dst 192.0.2.2 OR
     * UDP). Group 1 holds for 0, 1, 3, 5, 6, 17, 19, 28, 32, 36, 39 (A) and 4, 21, 30, 33, 38 (C);
     * of these only 3 (TCP A -> C) fails group 2. Frames passing group 2 only (2, 20, 31: UDP
     * from B) must fail. OR of ANDs would give dst B AND UDP = 1, 4, 17, 19, 30, 32, 36; OR of all
     * four would add 2, 3, 20, 31. */
    memset(&e, 0, sizeof e);
    e.nAndExps = 2;
    e.AndExp[0].nPatternMatches = 2;
    e.AndExp[0].PatternMatch[0] = pat(0, OFFSET_BASIS_RELATIVE_TO_IP, 0, 12, IP_A, 4);
    e.AndExp[0].PatternMatch[1] = pat(0, OFFSET_BASIS_RELATIVE_TO_IP, 0, 12, IP_C, 4);
    e.AndExp[1].nPatternMatches = 2;
    e.AndExp[1].PatternMatch[0] = pat(0, OFFSET_BASIS_RELATIVE_TO_IP, 0, 16, IP_B, 4);
    e.AndExp[1].PatternMatch[1] = pat(0, OFFSET_BASIS_RELATIVE_TO_IP, 0, 9, "\x11", 1);
    b = replay_blob(corpus_path);
    CHECK_RC(SetNPPPatternFilterInBlob(b, &e, NULL), NMERR_SUCCESS);
    run_filter("pattern: AND(OR(src A, src C), OR(dst B, UDP))", b, 0, LIST(0, 1, 4, 5, 6, 17, 19, 21, 28, 30, 32, 33, 36, 38, 39));
}

/* ---- h.3.4 clipping and all parts together ------------------------------------------------------ */

static void clipping_and_combined(void) {
    HBLOB b;
    ADDRESSTABLE2 t;
    EXPRESSION e;
    BYTE saps[1] = {0xE0};
    WORD etypes[1] = {0x0800};

    /* FrameSize 64 alone: all frames, at most 64 bytes stored, wire length kept. */
    b = replay_blob(corpus_path);
    CHECK_RC(SetDwordInBlob(b, OWNER_NPP, CATEGORY_CONFIG, TAG_FRAME_SIZE, 64), NMERR_SUCCESS);
    run_filter("clipping: FrameSize 64", b, 64,
               LIST(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
                    31, 32, 33, 34, 35, 36, 37, 38, 39));

    /* Everything at once: Etypes {0x0800} + SAPs {0xE0} (IPv4 in Ethernet II / SNAP / VLAN, and
     * 802.2 IPX 13, 35); addresses: include source MAC M1, exclude group destinations (39);
     * pattern IP 9 = 17 (13, 35 have no IPv4: fail; TCP 0, 3, 28 and ICMP 6 fail; 26 is cut);
     * clipped to 64. Kept: 1, 5, 17, 19, 32, 36. */
    b = replay_blob(corpus_path);
    CHECK_RC(SetNPPEtypeSapFilter(b, 1, 1, saps, etypes, 0, NULL), NMERR_SUCCESS);
    memset(&t, 0, sizeof t);
    add_pair(&t, ADDRESS_FLAGS_MATCH_SRC, addr(ADDRESS_TYPE_ETHERNET, NULL, 0), addr(ADDRESS_TYPE_ETHERNET, M1, 6));
    add_pair(&t, ADDRESS_FLAGS_MATCH_DST | ADDRESS_FLAGS_EXCLUDE, addr(ADDRESS_TYPE_ANY_GROUP, NULL, 0), addr(ADDRESS_TYPE_ANY, NULL, 0));
    CHECK_RC(SetNPPAddress2FilterInBlob(b, &t), NMERR_SUCCESS);
    e = expr1(pat(0, OFFSET_BASIS_RELATIVE_TO_IP, 0, 9, "\x11", 1));
    CHECK_RC(SetNPPPatternFilterInBlob(b, &e, NULL), NMERR_SUCCESS);
    CHECK_RC(SetDwordInBlob(b, OWNER_NPP, CATEGORY_CONFIG, TAG_FRAME_SIZE, 64), NMERR_SUCCESS);
    run_filter("all parts + clipping", b, 64, LIST(1, 5, 17, 19, 32, 36));

    /* The IStats family applies the same filter (counters only): the IPX example keeps 7. */
    {
        BYTE s2[2] = {0x10, 0xE0};
        WORD e2[1] = {0x8137};
        HNPP h = NULL;
        STATISTICS st;
        printf("-- IStats: IPX example\n");
        b = replay_blob(corpus_path);
        CHECK_RC(SetNPPEtypeSapFilter(b, 2, 1, s2, e2, 0, NULL), NMERR_SUCCESS);
        CHECK_RC(npp_create(b, &h), NMERR_SUCCESS);
        CHECK_RC(stats_connect(h, b, NULL, NULL, NULL), NMERR_SUCCESS);
        CHECK_RC(stats_start(h), NMERR_SUCCESS);
        CHECK_EQ(wait_seen(stats_get_statistics_ex, h, NF), NF);
        /* Seen is counted before the filter: wait until the last frame went through it too. */
        {
            long long deadline = now_ms() + 10000;
            do {
                memset(&st, 0, sizeof st);
                if (stats_get_total_statistics(h, &st, FALSE) == NMERR_SUCCESS && st.TotalFramesFiltered >= 7) break;
                nap();
            } while (now_ms() < deadline);
        }
        CHECK_RC(stats_get_total_statistics(h, &st, FALSE), NMERR_SUCCESS);
        CHECK_EQ(st.TotalFramesSeen, NF);
        CHECK_EQ(st.TotalFramesFiltered, 7);
        CHECK_RC(stats_stop(h), NMERR_SUCCESS);
        CHECK_RC(stats_disconnect(h), NMERR_SUCCESS);
        CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
        DestroyBlob(b);
    }
}

/* ---- h.4 pattern triggers ----------------------------------------------------------------------- */

#define NT 20
#define TLEN 100
#define BUFSZ 1000
static frame_t T[NT];

/* 20 IPv4 UDP frames M1 -> M2, A -> B, 100 bytes each; odd ones to port 2000, even ones to 1000;
 * the UDP payload (frame offset 42) starts with "TRIG" in frames 2 and 9, "norm" elsewhere. */
static void build_trigger_corpus(void) {
    memset(T, 0, sizeof T);
    for (int i = 0; i < NT; i++) {
        unsigned o = eth(T[i].b, M2, M1, 0x0800);
        T[i].len = o + ip4(T[i].b + o, 17, IP_A, IP_B, 3000 + (unsigned)i, (i % 2) ? 2000 : 1000, TLEN - 42, 0, 100 + i);
        memcpy(T[i].b + 42, (i == 2 || i == 9) ? "TRIG" : "norm", 4);
    }
}

static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static UPDATE_EVENT events[16];
static STATISTICS event_stats[16];
static int event_has_stats[16];
static int nevents;

static DWORD record(UPDATE_EVENT e) {
    pthread_mutex_lock(&ev_lock);
    if (nevents < 16) {
        events[nevents] = e;
        event_has_stats[nevents] = e.lpFinalStats != NULL;
        if (e.lpFinalStats) event_stats[nevents] = *e.lpFinalStats;
        nevents++;
    }
    pthread_mutex_unlock(&ev_lock);
    return 0;
}

static int event_count(void) {
    pthread_mutex_lock(&ev_lock);
    int n = nevents;
    pthread_mutex_unlock(&ev_lock);
    return n;
}

static void events_reset(void) {
    pthread_mutex_lock(&ev_lock);
    nevents = 0;
    memset(events, 0, sizeof events);
    pthread_mutex_unlock(&ev_lock);
}

/* Waits (10 s) for the first event; 1 when it came. */
static int wait_event(void) {
    long long deadline = now_ms() + 10000;
    while (event_count() < 1 && now_ms() < deadline) nap();
    return event_count() >= 1;
}

static TRIGGER trig(BYTE type, BYTE action, DWORD flags, PATTERNMATCH p, DWORD level) {
    TRIGGER t;
    memset(&t, 0, sizeof t);
    t.TriggerActive = TRUE;
    t.TriggerType = type;
    t.TriggerAction = action;
    t.TriggerFlags = flags;
    t.TriggerPatternMatch = p;
    t.TriggerBufferSize = level;
    return t;
}

static PATTERNMATCH marker(void) { return pat(0, OFFSET_BASIS_RELATIVE_TO_FRAME, 0, 42, "TRIG", 4); }

/* Starts a capture of the trigger corpus with trigger `t` (and the filter already in `b`, which is
 * destroyed here). Checks the event `event`/`action`, the final statistics of a STOP, the stored
 * frames `kept` and the totals after Stop (`seen_after`: FramesSeen at the end). */
static void run_trigger(const char *what, HBLOB b, TRIGGER t, WORD event, const int *kept, int nkept, int seen_at_fire,
                        int filtered_at_fire) {
    HBLOB err = NULL;
    HNPP h = NULL;
    NETWORKSTATUS ns;
    STATISTICS st;
    STATISTICS_EX ex;
    char name[1024];
    BOOL r = 7, p = 7;
    printf("-- trigger: %s\n", what);
    CHECK_RC(SetNPPTriggerInBlob(b, &t, NULL), NMERR_SUCCESS);
    CHECK_RC(SetDwordInBlob(b, OWNER_NPP, CATEGORY_CONFIG, TAG_BUFFER_SIZE, BUFSZ), NMERR_SUCCESS);
    CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
    events_reset();
    CHECK_RC(npp_create(b, &h), NMERR_SUCCESS);
    CHECK_RC(esp_connect(h, b, record, (LPVOID)(uintptr_t)0x7E57, err), NMERR_SUCCESS);
    CHECK_RC(esp_query_status(h, &ns), NMERR_SUCCESS);
    CHECK_EQ(ns.Flags, 0);
    name[0] = '\0';
    CHECK_RC(esp_start(h, name, sizeof name), NMERR_SUCCESS);
    CHECK(wait_event());
    if (event_count() >= 1) {
        CHECK_EQ(events[0].Event, event);
        CHECK_EQ(events[0].lpUserContext, 0x7E57);
    }
    if (t.TriggerAction == TRIGGER_ACTION_STOP) {
        if (event_count() >= 1) {
            CHECK_EQ(events[0].Action, UPDATE_ACTION_STOP_CAPTURE);
            CHECK_EQ(events[0].Status, NETWORKSTATUS_STATE_VOID);
            CHECK_EQ(event_has_stats[0], 1);
            /* README "Triggers": the firing frame is stored, last, and counted */
            CHECK_EQ(event_stats[0].TotalFramesCaptured, nkept);
            CHECK_EQ(event_stats[0].TotalFramesFiltered, filtered_at_fire);
            CHECK_EQ(event_stats[0].TotalFramesSeen, seen_at_fire);
        }
        CHECK(tu_wait_stopped(esp_get_control_state, h));
        CHECK_RC(esp_stop(h, &st), NMERR_NOT_CAPTURING);
        CHECK_RC(esp_query_status(h, &ns), NMERR_SUCCESS);
        CHECK_EQ(ns.State, NETWORKSTATUS_STATE_VOID);
        CHECK_EQ(ns.Flags, 0);
        ex = tu_stats_ex(h);
        CHECK_EQ(ex.FramesCaptured, nkept);
        CHECK_EQ(ex.FramesSeen, seen_at_fire);
    } else if (t.TriggerAction == TRIGGER_ACTION_PAUSE) {
        if (event_count() >= 1) {
            CHECK_EQ(events[0].Action, UPDATE_ACTION_PAUSE_CAPTURE);
            CHECK_EQ(events[0].Status, NETWORKSTATUS_STATE_PAUSED);
        }
        CHECK_EQ(wait_seen(esp_get_statistics_ex, h, NT), NT); /* the rest is read while paused */
        CHECK_RC(esp_query_status(h, &ns), NMERR_SUCCESS);
        CHECK_EQ(ns.State, NETWORKSTATUS_STATE_PAUSED);
        CHECK_EQ(ns.Flags, 0);
        CHECK_RC(esp_get_control_state(h, &r, &p), NMERR_SUCCESS);
        CHECK(r == TRUE && p == TRUE);
        CHECK_RC(esp_stop(h, &st), NMERR_SUCCESS);
        CHECK_EQ(st.TotalFramesSeen, NT);
        CHECK_EQ(st.TotalFramesFiltered, filtered_at_fire); /* frames read while paused are only seen */
        CHECK_EQ(st.TotalFramesCaptured, nkept);
    } else {
        if (event_count() >= 1) {
            CHECK_EQ(events[0].Action, UPDATE_ACTION_NOTIFY);
            CHECK_EQ(events[0].Status, NETWORKSTATUS_STATE_CAPTURING);
        }
        CHECK_EQ(wait_seen(esp_get_statistics_ex, h, NT), NT);
        CHECK_RC(esp_query_status(h, &ns), NMERR_SUCCESS);
        CHECK_EQ(ns.State, NETWORKSTATUS_STATE_CAPTURING);
        CHECK_EQ(ns.Flags, 0); /* fired: no longer pending, still capturing */
        CHECK_RC(esp_stop(h, &st), NMERR_SUCCESS);
        CHECK_EQ(st.TotalFramesSeen, NT);
        CHECK_EQ(st.TotalFramesCaptured, nkept);
    }
    CHECK_EQ(event_count(), 1); /* at most once */
    if (name[0]) check_file(what, name, T, NT, kept, nkept, 0);
    CHECK_RC(esp_disconnect(h), NMERR_SUCCESS);
    CHECK(event_count() >= 2 && events[event_count() - 1].Event == UPDATE_EVENT_TERMINATE_THREAD);
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
    if (name[0]) unlink(name);
    DestroyBlob(b);
    DestroyBlob(err);
}

/* A filter keeping the odd frames (UDP destination port 2000). */
static void odd_filter(HBLOB b) {
    EXPRESSION e = expr1(pat(PATTERN_MATCH_FLAGS_PORT_SPECIFIED, OFFSET_BASIS_RELATIVE_TO_IP, 17, 2, "\x07\xD0", 2));
    CHECK_RC(SetNPPPatternFilterInBlob(b, &e, NULL), NMERR_SUCCESS);
}

static void triggers(void) {
    HBLOB b;

    /* PATTERN_MATCH, STOP: the first match is frame 2: the file holds 0, 1, 2. */
    run_trigger("PATTERN_MATCH STOP", replay_blob(trig_path),
                trig(TRIGGER_TYPE_PATTERN_MATCH, TRIGGER_ACTION_STOP, TRIGGER_FLAGS_FRAME_RELATIVE, marker(), 0),
                UPDATE_EVENT_TRIGGER_PATTERN_MATCH, LIST(0, 1, 2), 3, 3);
    /* PAUSE: paused after frame 2; frames 3-19 are seen only. */
    run_trigger("PATTERN_MATCH PAUSE", replay_blob(trig_path),
                trig(TRIGGER_TYPE_PATTERN_MATCH, TRIGGER_ACTION_PAUSE, TRIGGER_FLAGS_FRAME_RELATIVE, marker(), 0),
                UPDATE_EVENT_TRIGGER_PATTERN_MATCH, LIST(0, 1, 2), 3, 3);
    /* NOTIFY, DATA_RELATIVE: FRAME offset 28 counted from the effective protocol (the IPv4 header:
     * 20 + 8 = the UDP payload) matches frame 2 too; the capture goes on: all 20 stored. */
    run_trigger("PATTERN_MATCH NOTIFY (DATA_RELATIVE)", replay_blob(trig_path),
                trig(TRIGGER_TYPE_PATTERN_MATCH, TRIGGER_ACTION_NOTIFY, TRIGGER_FLAGS_DATA_RELATIVE,
                     pat(0, OFFSET_BASIS_RELATIVE_TO_FRAME, 0, 28, "TRIG", 4), 0),
                UPDATE_EVENT_TRIGGER_PATTERN_MATCH, LIST(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19), NT, NT);
    /* PATTERN_MATCH_THEN_BUFFER_CONTENT, 25 % of 1000 = 250 stored bytes counted from the
     * match: the pattern matches frame 2 (300 bytes stored), then frames 3, 4, 5 add 300 >= 250
     * (3, 4 only 200): fires at frame 5. */
    run_trigger("PATTERN_MATCH_THEN_BUFFER_CONTENT 25 % STOP", replay_blob(trig_path),
                trig(TRIGGER_TYPE_PATTERN_MATCH_THEN_BUFFER_CONTENT, TRIGGER_ACTION_STOP, TRIGGER_FLAGS_FRAME_RELATIVE, marker(),
                     TRIGGER_BUFFER_FULL_25_PERCENT),
                UPDATE_EVENT_TRIGGER_PATTERN_BUFFER, LIST(0, 1, 2, 3, 4, 5), 6, 6);
    /* BUFFER_CONTENT_THEN_PATTERN_MATCH, 50 % = 500 bytes: reached with frame 4; the match in
     * frame 2 came before and does not count; the next match is frame 9. */
    run_trigger("BUFFER_CONTENT_THEN_PATTERN_MATCH 50 % STOP", replay_blob(trig_path),
                trig(TRIGGER_TYPE_BUFFER_CONTENT_THEN_PATTERN_MATCH, TRIGGER_ACTION_STOP, TRIGGER_FLAGS_FRAME_RELATIVE, marker(),
                     TRIGGER_BUFFER_FULL_50_PERCENT),
                UPDATE_EVENT_TRIGGER_BUFFER_PATTERN, LIST(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), 10, 10);
    /* Behind a filter keeping the odd frames: frame 2's marker is filtered out (never stored),
     * the trigger fires on frame 9; the file holds 1, 3, 5, 7, 9. */
    b = replay_blob(trig_path);
    odd_filter(b);
    run_trigger("PATTERN_MATCH STOP behind a filter", b,
                trig(TRIGGER_TYPE_PATTERN_MATCH, TRIGGER_ACTION_STOP, TRIGGER_FLAGS_FRAME_RELATIVE, marker(), 0),
                UPDATE_EVENT_TRIGGER_PATTERN_MATCH, LIST(1, 3, 5, 7, 9), 10, 5);
    /* BUFFER_CONTENT 25 % (250 bytes) behind the filter: only stored frames count: the third
     * stored frame (5) reaches it (without the filter it would be frame 2). */
    b = replay_blob(trig_path);
    odd_filter(b);
    run_trigger("BUFFER_CONTENT 25 % STOP behind a filter", b,
                trig(TRIGGER_TYPE_BUFFER_CONTENT, TRIGGER_ACTION_STOP, TRIGGER_FLAGS_FRAME_RELATIVE, marker(),
                     TRIGGER_BUFFER_FULL_25_PERCENT),
                UPDATE_EVENT_TRIGGER_BUFFER_CONTENT, LIST(1, 3, 5), 6, 3);
    /* PATTERN_MATCH_THEN_BUFFER_CONTENT behind the filter, PAUSE: the match is frame 9 (stored
     * 5th); 25 % = 250 bytes more = 3 more stored frames (11, 13, 15): paused after 15. */
    b = replay_blob(trig_path);
    odd_filter(b);
    run_trigger("PATTERN_MATCH_THEN_BUFFER_CONTENT PAUSE behind a filter", b,
                trig(TRIGGER_TYPE_PATTERN_MATCH_THEN_BUFFER_CONTENT, TRIGGER_ACTION_PAUSE, TRIGGER_FLAGS_FRAME_RELATIVE, marker(),
                     TRIGGER_BUFFER_FULL_25_PERCENT),
                UPDATE_EVENT_TRIGGER_PATTERN_BUFFER, LIST(1, 3, 5, 7, 9, 11, 13, 15), 16, 8);

    /* TRIGGER_PENDING until it fires: a paced replay (ReplayPace TRUE) of frame 0 and, 1 s later,
     * the marker frame 2; NOTIFY. Once frame 0 was seen, the status is read and then the counters:
     * if the marker was still unseen after the status was read, the trigger cannot have fired
     * before it, so the flag must be set (no timing is asserted: when the marker was already
     * seen, that check is skipped). After the event the flag is clear while the capture goes on. */
    {
        frame_t two[2];
        char paced[600], name[1024];
        HNPP h = NULL;
        NETWORKSTATUS ns;
        STATISTICS st;
        STATISTICS_EX ex;
        TRIGGER t = trig(TRIGGER_TYPE_PATTERN_MATCH, TRIGGER_ACTION_NOTIFY, TRIGGER_FLAGS_FRAME_RELATIVE, marker(), 0);
        printf("-- trigger: TRIGGER_PENDING before and after it fires (paced replay)\n");
        two[0] = T[0];
        two[1] = T[2];
        snprintf(paced, sizeof paced, "%s/paced.pcap", tmpdir);
        CHECK(write_pcap(paced, two, 2) == 0);
        b = replay_blob(paced);
        CHECK_RC(SetBoolInBlob(b, OWNER_NPP, CATEGORY_CONFIG, TAG_REPLAY_PACE, TRUE), NMERR_SUCCESS);
        CHECK_RC(SetNPPTriggerInBlob(b, &t, NULL), NMERR_SUCCESS);
        events_reset();
        CHECK_RC(npp_create(b, &h), NMERR_SUCCESS);
        CHECK_RC(esp_connect(h, b, record, NULL, NULL), NMERR_SUCCESS);
        name[0] = '\0';
        CHECK_RC(esp_start(h, name, sizeof name), NMERR_SUCCESS);
        CHECK_EQ(wait_seen(esp_get_statistics_ex, h, 1), 1);
        CHECK_RC(esp_query_status(h, &ns), NMERR_SUCCESS);
        ex = tu_stats_ex(h);
        if (ex.FramesSeen == 1) {
            CHECK_EQ(ns.State, NETWORKSTATUS_STATE_CAPTURING);
            CHECK_EQ(ns.Flags, NETWORKSTATUS_FLAGS_TRIGGER_PENDING);
            CHECK_EQ(event_count(), 0);
        } else {
            printf("   (the marker frame was read before the status: the pending state was not observed)\n");
        }
        CHECK(wait_event());
        if (event_count() >= 1) {
            CHECK_EQ(events[0].Event, UPDATE_EVENT_TRIGGER_PATTERN_MATCH);
            CHECK_EQ(events[0].Action, UPDATE_ACTION_NOTIFY);
        }
        CHECK_RC(esp_query_status(h, &ns), NMERR_SUCCESS);
        CHECK_EQ(ns.State, NETWORKSTATUS_STATE_CAPTURING);
        CHECK_EQ(ns.Flags, 0);
        CHECK_EQ(wait_seen(esp_get_statistics_ex, h, 2), 2);
        CHECK_RC(esp_stop(h, &st), NMERR_SUCCESS);
        CHECK_EQ(st.TotalFramesCaptured, 2);
        CHECK_RC(esp_disconnect(h), NMERR_SUCCESS);
        CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
        if (name[0]) unlink(name);
        unlink(paced);
        DestroyBlob(b);
    }

    /* A pattern that never matches: TRIGGER_PENDING stays set while the capture runs (after every
     * frame was read), and is cleared by Stop; no event but TERMINATE_THREAD. */
    {
        HNPP h = NULL;
        NETWORKSTATUS ns;
        STATISTICS st;
        char name[1024];
        TRIGGER t = trig(TRIGGER_TYPE_PATTERN_MATCH, TRIGGER_ACTION_STOP, TRIGGER_FLAGS_FRAME_RELATIVE,
                         pat(0, OFFSET_BASIS_RELATIVE_TO_FRAME, 0, 42, "NOPE", 4), 0);
        printf("-- trigger: pending until it fires\n");
        b = replay_blob(trig_path);
        CHECK_RC(SetNPPTriggerInBlob(b, &t, NULL), NMERR_SUCCESS);
        events_reset();
        CHECK_RC(npp_create(b, &h), NMERR_SUCCESS);
        CHECK_RC(esp_connect(h, b, record, NULL, NULL), NMERR_SUCCESS);
        CHECK_RC(esp_query_status(h, &ns), NMERR_SUCCESS);
        CHECK_EQ(ns.Flags, 0);
        name[0] = '\0';
        CHECK_RC(esp_start(h, name, sizeof name), NMERR_SUCCESS);
        CHECK_EQ(wait_seen(esp_get_statistics_ex, h, NT), NT);
        CHECK_RC(esp_query_status(h, &ns), NMERR_SUCCESS);
        CHECK_EQ(ns.State, NETWORKSTATUS_STATE_CAPTURING);
        CHECK_EQ(ns.Flags, NETWORKSTATUS_FLAGS_TRIGGER_PENDING);
        CHECK_RC(esp_stop(h, &st), NMERR_SUCCESS);
        CHECK_EQ(st.TotalFramesCaptured, NT);
        CHECK_RC(esp_query_status(h, &ns), NMERR_SUCCESS);
        CHECK_EQ(ns.Flags, 0);
        CHECK_EQ(event_count(), 0);
        CHECK_RC(esp_disconnect(h), NMERR_SUCCESS);
        CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
        if (name[0]) unlink(name);
        DestroyBlob(b);
    }
}

int main(void) {
    const char *tmp = getenv("TMPDIR");
    setvbuf(stdout, NULL, _IOLBF, 0);
    snprintf(tmpdir, sizeof tmpdir, "%s/ndisnpp-filters-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 2;
    }
    snprintf(corpus_path, sizeof corpus_path, "%s/corpus.pcap", tmpdir);
    snprintf(trig_path, sizeof trig_path, "%s/trigger.pcap", tmpdir);
    build_corpus();
    build_trigger_corpus();
    CHECK(write_pcap(corpus_path, F, NF) == 0);
    CHECK(write_pcap(trig_path, T, NT) == 0);
    for (int i = 0; i < NT; i++) CHECK_EQ(T[i].len, TLEN);

    etype_sap_filters();
    address_filters();
    pattern_filters();
    clipping_and_combined();
    triggers();

    unlink(corpus_path);
    unlink(trig_path);
    if (rmdir(tmpdir) != 0) fprintf(stderr, "could not remove %s (files left behind)\n", tmpdir);
    return check_done("test_filters");
}
