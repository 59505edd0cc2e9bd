/* A tiny test harness for the C tests: CHECK_* report file:line and keep going; the program
 * exits non-zero when any check failed. */
#ifndef NDISNPP_CHECK_H
#define NDISNPP_CHECK_H
#include <stdio.h>
#include <string.h>
#include "netmon.h"

static int check_failures = 0;
static int check_count = 0;
static int check_skipped = 0;

/* A part of the test that could not run (a missing tool or privilege): said on stdout, and the
 * program then ends with 77, which CTest reports as "Skipped" (SKIP_RETURN_CODE), never as
 * passed. */
#define SKIP_PART(...) do { check_skipped++; printf("SKIPPED: "); printf(__VA_ARGS__); printf("\n"); } while (0)

#define CHECK(cond) do { check_count++; if (!(cond)) { check_failures++; \
    fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } } while (0)

/* An NMERR-returning call must answer `want`. */
#define CHECK_RC(call, want) do { DWORD check_rc_ = (DWORD)(call); DWORD check_want_ = (DWORD)(want); \
    check_count++; if (check_rc_ != check_want_) { check_failures++; \
    fprintf(stderr, "%s:%d: %s returned %u (%s), expected %u (%s)\n", __FILE__, __LINE__, #call, \
            (unsigned)check_rc_, nmerr_text(check_rc_), (unsigned)check_want_, nmerr_text(check_want_)); } } while (0)

#define CHECK_STR(got, want) do { const char *check_g_ = (got); const char *check_w_ = (want); \
    check_count++; if (!check_g_ || strcmp(check_g_, check_w_) != 0) { check_failures++; \
    fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #got, \
            check_g_ ? check_g_ : "(null)", check_w_); } } while (0)

#define CHECK_EQ(got, want) do { long long check_g_ = (long long)(got); long long check_w_ = (long long)(want); \
    check_count++; if (check_g_ != check_w_) { check_failures++; \
    fprintf(stderr, "%s:%d: %s is %lld, expected %lld\n", __FILE__, __LINE__, #got, check_g_, check_w_); } } while (0)

/* Ends main(): prints a summary, returns the exit code: 1 when a check failed, else 77 when a
 * part was skipped, else 0. */
static int check_done(const char *name) {
    printf("%s: %d checks, %d failed, %d parts skipped\n", name, check_count, check_failures, check_skipped);
    return check_failures ? 1 : check_skipped ? 77 : 0;
}
#endif
