/* The per-frame work of the IRTC benchmark programs (bench/rtc_replay.c, bench/pcap_replay.c,
 * bench/rtc_live.c, bench/pcap_live.c): every byte of every frame is read and summed, so that the
 * frames are really touched, and two checksums let the script compare what the programs saw:
 *   sum   the sum of all bytes of all frames (order-independent),
 *   order an FNV-style hash over (frame length, frame byte sum) in delivery order.
 * The same inline code is compiled into every program with the same flags. */
#ifndef NDISNPP_BENCH_FRAME_SUM_H
#define NDISNPP_BENCH_FRAME_SUM_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t frames;
    uint64_t bytes;
    uint64_t sum;
    uint64_t order;
} FrameSum;

#define FRAME_SUM_INIT {0, 0, 0, 0xcbf29ce484222325ull}

static inline void frame_sum_add(FrameSum *s, const uint8_t *p, size_t n) {
    uint64_t t = 0;
    size_t i;
    for (i = 0; i < n; i++) t += p[i];
    s->frames++;
    s->bytes += n;
    s->sum += t;
    s->order = (s->order ^ (t + ((uint64_t)n << 32))) * 0x100000001b3ull;
}

#endif
