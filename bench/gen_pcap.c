/* Benchmark input generator: writes a classic pcap (magic 0xA1B2C3D4, v2.4, µs timestamps,
 * LINKTYPE_ETHERNET) of at least TARGET_BYTES bytes of Ethernet frames with mixed sizes
 * 64..1514 (deterministic pseudo-random), IPv4/UDP-looking headers, 1 µs apart; with the third
 * argument "small", every frame is 64 bytes (the case where per-frame costs dominate).
 * Usage: gen_pcap OUT.pcap TARGET_BYTES [small]   -> prints "<frames> <bytes>" on stdout. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t next_rand(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

int main(int argc, char **argv) {
    if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "small") != 0)) {
        fprintf(stderr, "usage: %s OUT.pcap TARGET_BYTES [small]\n", argv[0]);
        return 2;
    }
    int small = argc == 4;
    unsigned long long target = strtoull(argv[2], NULL, 10);
    FILE *f = fopen(argv[1], "wb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    static char iobuf[1 << 22];
    setvbuf(f, iobuf, _IOFBF, sizeof iobuf);
    uint32_t gh[6] = {0xA1B2C3D4u, 2u | (4u << 16), 0, 0, 65535, 1};
    fwrite(gh, 4, 6, f);
    unsigned long long bytes = 24, frames = 0;
    unsigned char frame[1514];
    for (unsigned i = 0; i < sizeof frame; i++) frame[i] = (unsigned char)(i * 7 + 3);
    memcpy(frame, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00", 14);
    uint32_t sec = 1700000000u, usec = 0;
    while (bytes < target) {
        /* Mix: 1/3 small (64..127), 1/3 full (1514), 1/3 uniform 64..1514. */
        uint32_t r = next_rand(), len;
        switch (small ? 0 : r % 3) {
        case 0: len = small ? 64 : 64 + (r >> 8) % 64; break;
        case 1: len = 1514; break;
        default: len = 64 + (r >> 8) % (1514 - 64 + 1); break;
        }
        frame[14] = 0x45;
        frame[16] = (unsigned char)((len - 14) >> 8);
        frame[17] = (unsigned char)(len - 14);
        frame[23] = 17; /* UDP */
        memcpy(frame + 42, &frames, sizeof frames); /* make payloads differ */
        uint32_t rh[4] = {sec, usec, len, len};
        if (fwrite(rh, 4, 4, f) != 4 || fwrite(frame, len, 1, f) != 1) {
            perror("write");
            return 1;
        }
        bytes += 16 + len;
        frames++;
        if (++usec == 1000000) {
            usec = 0;
            sec++;
        }
    }
    if (fclose(f) != 0) {
        perror("close");
        return 1;
    }
    printf("%llu %llu\n", frames, bytes);
    return 0;
}
