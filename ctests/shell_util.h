/* Shared by the C tests that time things and run shell commands (ip, tshark, capinfos ...). */
#ifndef NDISNPP_SHELL_UTIL_H
#define NDISNPP_SHELL_UTIL_H
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

/* CLOCK_MONOTONIC in seconds. */
static inline double mono_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void nap_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* system() of a formatted command (printed first); its exit status, -1 when it did not exit. */
static inline int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int sh(const char *fmt, ...) {
    char cmd[1024];
    va_list ap;
    int rc;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    printf("  $ %s\n", cmd);
    fflush(stdout);
    rc = system(cmd);
    return (rc != -1 && WIFEXITED(rc)) ? WEXITSTATUS(rc) : -1;
}

/* Runs a shell command; returns its stdout (malloc'd, NUL-terminated) and its exit status (-1
 * when it did not exit). */
static inline char *run_capture(const char *cmd, int *status) {
    FILE *p = popen(cmd, "r");
    size_t n = 0, cap = 65536;
    char *out = (char *)malloc(cap);
    int st;
    if (!p || !out) {
        if (p) pclose(p);
        free(out);
        *status = -1;
        return NULL;
    }
    for (;;) {
        size_t got;
        if (cap - n < 4096) {
            char *bigger = (char *)realloc(out, cap * 2);
            if (!bigger) break;
            out = bigger;
            cap *= 2;
        }
        got = fread(out + n, 1, cap - n - 1, p);
        if (got == 0) break;
        n += got;
    }
    out[n] = '\0';
    st = pclose(p);
    *status = (st != -1 && WIFEXITED(st)) ? WEXITSTATUS(st) : -1;
    return out;
}

/* "1700000000.123456789" -> seconds and nanoseconds (any number of fraction digits up to 9). */
static inline int parse_epoch(const char *s, int64_t *sec, int64_t *nsec) {
    char *end;
    int digits = 0;
    long long whole = strtoll(s, &end, 10);
    int64_t frac = 0;
    if (end == s) return -1;
    if (*end == '.') {
        end++;
        while (isdigit((unsigned char)*end)) {
            if (digits < 9) {
                frac = frac * 10 + (*end - '0');
                digits++;
            }
            end++;
        }
    }
    while (digits < 9) {
        frac *= 10;
        digits++;
    }
    *sec = whole;
    *nsec = frac;
    return 0;
}
#endif
