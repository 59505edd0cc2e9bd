/* Shared by the pcap-filter expression tests (NPP:Config:BpfFilter): test_bpf_replay.c and
 * test_bpf_live.c. The traffic is UDP datagrams whose payload starts "<tag>-<nnn>|" (tag one
 * letter, nnn the datagram's number); a capture file (PCAP) is read back and tallied per UDP
 * destination port, each datagram number counted, so a test can say that exactly the expected
 * datagrams were stored, each once. */
#ifndef NDISNPP_BPF_UTIL_H
#define NDISNPP_BPF_UTIL_H
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "netmon.h"
#include "check.h"

#define BU_MAX_N 256
#define BU_PORTS 4

/* What a capture file holds: per port (of `ports`), how many datagrams and how often each
 * number; `other`: records that are not such a datagram to one of the ports. */
typedef struct {
    unsigned ports[BU_PORTS];
    int nports;
    int per_port[BU_PORTS];
    int times[BU_PORTS][BU_MAX_N];
    int other;
    int records;
    uint32_t linktype;
    int readable;
} bu_tally;

/* Reads a classic pcap file of Ethernet (1) or raw IP (101) frames. */
static inline bu_tally bu_read(const char *path, const unsigned *ports, int nports) {
    bu_tally t;
    FILE *f = fopen(path, "rb");
    uint32_t gh[6], rh[4];
    uint8_t buf[70000];
    memset(&t, 0, sizeof t);
    memcpy(t.ports, ports, sizeof *ports * (size_t)nports);
    t.nports = nports;
    if (!f) return t;
    if (fread(gh, 4, 6, f) != 6 || (gh[0] != 0xA1B2C3D4u && gh[0] != 0xA1B23C4Du)) {
        fclose(f);
        return t;
    }
    t.linktype = gh[5];
    t.readable = 1;
    while (fread(rh, 4, 4, f) == 4) {
        unsigned ip = t.linktype == 1 ? 14 : 0, len = rh[2], udp, dport, k;
        int p;
        const uint8_t *pl;
        t.records++;
        if (len > sizeof buf || fread(buf, 1, len, f) != len) {
            t.readable = 0;
            break;
        }
        if (len < ip + 20 + 8 + 6 || (ip && (buf[12] != 0x08 || buf[13] != 0x00)) || (buf[ip] >> 4) != 4 || buf[ip + 9] != 17) {
            t.other++;
            continue;
        }
        udp = ip + (buf[ip] & 0xFu) * 4u;
        if (len < udp + 8 + 6) {
            t.other++;
            continue;
        }
        dport = (unsigned)buf[udp + 2] << 8 | buf[udp + 3];
        pl = buf + udp + 8;
        for (p = 0; p < nports && ports[p] != dport; p++) {
        }
        if (p == nports || pl[1] != '-' || pl[5] != '|' || sscanf((const char *)pl + 2, "%3u", &k) != 1 || k >= BU_MAX_N) {
            t.other++;
            continue;
        }
        t.per_port[p]++;
        t.times[p][k]++;
    }
    fclose(f);
    return t;
}

/* Datagrams 0..n-1 to port index p each stored exactly once (and no other number): 1 when so. */
static inline int bu_each_once(const bu_tally *t, int p, int n) {
    int k, bad = 0;
    for (k = 0; k < BU_MAX_N; k++)
        if (t->times[p][k] != (k < n ? 1 : 0) && bad++ < 3) fprintf(stderr, "  port %u datagram %d stored %d times\n", t->ports[p], k, t->times[p][k]);
    return bad == 0;
}

/* Prints a tally. */
static inline void bu_print(const char *what, const bu_tally *t) {
    int p;
    printf("    %s: %d records:", what, t->records);
    for (p = 0; p < t->nports; p++) printf(" port %u: %d,", t->ports[p], t->per_port[p]);
    printf(" other %d\n", t->other);
}
/* The Netmon filter: a UDP datagram to port 4000 or 4001 (one group: two ORed IP-PORT patterns
 * at the UDP destination port). */
static inline void bu_set_netmon_filter(HBLOB b) {
    EXPRESSION e;
    int k;
    memset(&e, 0, sizeof e);
    e.nAndExps = 1;
    e.AndExp[0].nPatternMatches = 2;
    for (k = 0; k < 2; k++) {
        PATTERNMATCH *p = &e.AndExp[0].PatternMatch[k];
        p->Flags = PATTERN_MATCH_FLAGS_PORT_SPECIFIED;
        p->OffsetBasis = OFFSET_BASIS_RELATIVE_TO_IP;
        p->Port.IPPort = 17;
        p->Offset = 2;
        p->Length = 2;
        p->PatternToMatch[0] = 0x0F;
        p->PatternToMatch[1] = (BYTE)(0xA0 + k);
    }
    CHECK_RC(SetNPPPatternFilterInBlob(b, &e, NULL), NMERR_SUCCESS);
}

#endif
