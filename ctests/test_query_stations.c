/* QueryStations (esp_query_stations / stats_query_stations; SDK b.2, f.4, f.14; header comment
 * of esp_query_stations). Root only (exit 77 otherwise, or without `ip`).
 *
 * Two network namespaces ndisnpp-qa-<pid> / ndisnpp-qb-<pid> joined by a veth pair (fixed MACs,
 * no IP addresses, no IPv6 link-local addresses). Every library call runs in a forked child; the
 * parent only sets up and removes the namespaces (also on failure, on a signal and on the
 * watchdog alarm).
 *   A (in qa) captures on its end and is driven through a pipe:
 *     phase 1: Start with AnswerStationQueries left at its default (TRUE); A itself finds its
 *              own capture exactly once;
 *     phase 2: Stop, Configure AnswerStationQueries FALSE, Start;
 *     phase 3: Stop, Configure AnswerStationQueries TRUE, stay stopped;
 *     phase 4: Start and Pause (a paused capture is still a started capture).
 *   B (in qb, a fresh child per phase) queries with QueryTimeout 500:
 *     phase 1: exactly one station with Flags CAPTURING, version 2.1, AdapterAddress = A's MAC,
 *              MachineName / WMachineName = the host name, UserName / WUserName = the user, the
 *              rest zero; the same through stats_query_stations and before Connect (NIC BLOB);
 *              capacity 1 and 0; NULL table; bad handles; a replay NPP; a missing interface;
 *     phase 2 and 3: no station;  phase 4: one station again.
 * Only two frames per query cross the veth (a broadcast request and a unicast answer), and only
 * inside the namespaces. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"
#include "netns_util.h"
#include "shell_util.h"
#include "child_util.h"

#define VETH_A "nppqa0"
#define VETH_B "nppqb0"
#define MAC_A "02:4e:44:51:41:01"
#define MAC_B "02:4e:44:51:42:01"
static const BYTE MAC_A_BYTES[6] = {0x02, 0x4E, 0x44, 0x51, 0x41, 0x01};
#define QUERY_MS 500
#define CAPACITY 4

static pid_t main_pid;
static char ns_a[64], ns_b[64], capdir[256];
static int have_ns_a, have_ns_b, have_capdir;

/* ---- helpers ---------------------------------------------------------------------------------- */

static HBLOB nic_blob(const char *ifname) {
    HBLOB b = NULL;
    CHECK_RC(CreateBlob(&b), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(b, OWNER_NPP, CATEGORY_LOCATION, TAG_NAME, ifname), NMERR_SUCCESS);
    return b;
}

/* A query table with room for n entries, filled with 0xEE. */
static LPQUERYTABLE new_table(DWORD n) {
    size_t size = 4 + sizeof(STATIONQUERY) * (n ? n : 1);
    LPQUERYTABLE t = (LPQUERYTABLE)malloc(size);
    if (t) {
        memset(t, 0xEE, size);
        t->nStationQueries = n;
    }
    return t;
}

static int all_bytes(const void *p, size_t n, int v) {
    const BYTE *b = (const BYTE *)p;
    size_t i;
    for (i = 0; i < n; i++)
        if (b[i] != (BYTE)v) return 0;
    return 1;
}

/* The fixed-size forms the library puts on the wire: at most n-1 bytes/units, NUL-padded
 * (names here are ASCII). */
static void fixed_name(const char *s, BYTE *out, size_t n) {
    memset(out, 0, n);
    memcpy(out, s, strnlen(s, n - 1));
}

static void fixed_wide(const char *s, WCHAR *out, size_t n) {
    size_t i;
    memset(out, 0, n * sizeof(WCHAR));
    for (i = 0; i + 1 < n && s[i]; i++) out[i] = (WCHAR)(unsigned char)s[i];
}

/* One entry is A's answer: every field. */
static void check_station_a(const STATIONQUERY *sq) {
    char host[256] = {0};
    struct passwd *pw = getpwuid(geteuid());
    BYTE want_m[MACHINE_NAME_LENGTH], want_u[USER_NAME_LENGTH];
    WCHAR want_wm[MACHINE_NAME_LENGTH], want_wu[USER_NAME_LENGTH];
    STATIONQUERY copy;

    memcpy(&copy, sq, sizeof copy); /* packed: read through an aligned copy */
    CHECK(gethostname(host, sizeof host - 1) == 0);
    CHECK(pw != NULL);
    if (!pw) return;
    CHECK_STR(pw->pw_name, "root");
    fixed_name(host, want_m, sizeof want_m);
    fixed_name(pw->pw_name, want_u, sizeof want_u);
    fixed_wide(host, want_wm, MACHINE_NAME_LENGTH);
    fixed_wide(pw->pw_name, want_wu, USER_NAME_LENGTH);
    printf("    station: Flags 0x%x version %u.%u machine \"%.16s\" user \"%.32s\" adapter "
           "%02x:%02x:%02x:%02x:%02x:%02x\n",
           (unsigned)copy.Flags, (unsigned)copy.BCDVerMajor, (unsigned)copy.BCDVerMinor,
           (const char *)copy.MachineName, (const char *)copy.UserName, copy.AdapterAddress[0],
           copy.AdapterAddress[1], copy.AdapterAddress[2], copy.AdapterAddress[3], copy.AdapterAddress[4],
           copy.AdapterAddress[5]);
    CHECK_EQ(copy.Flags, STATIONQUERY_FLAGS_CAPTURING);
    CHECK_EQ(copy.BCDVerMajor, STATIONQUERY_VERSION_MAJOR);
    CHECK_EQ(copy.BCDVerMinor, STATIONQUERY_VERSION_MINOR);
    CHECK_EQ(copy.BCDVerMajor, 2);
    CHECK_EQ(copy.BCDVerMinor, 1);
    CHECK_EQ(copy.LicenseNumber, 0);
    CHECK(memcmp(copy.AdapterAddress, MAC_A_BYTES, 6) == 0);
    CHECK(memcmp(copy.MachineName, want_m, sizeof want_m) == 0);
    CHECK(memcmp(copy.UserName, want_u, sizeof want_u) == 0);
    CHECK(memcmp(copy.WMachineName, want_wm, sizeof want_wm) == 0);
    CHECK(memcmp(copy.WUserName, want_wu, sizeof want_wu) == 0);
    CHECK(all_bytes(copy.Reserved, sizeof copy.Reserved, 0));
}

/* A query of capacity `cap` through `fn`; returns the count (or -1 on an error code) and leaves
 * the table in *out (caller frees). `secs` gets the time it took. */
static long query(DWORD (*fn)(HNPP, LPQUERYTABLE), HNPP npp, DWORD cap, LPQUERYTABLE *out, double *secs) {
    LPQUERYTABLE t = new_table(cap);
    double t0 = mono_s();
    DWORD rc;
    CHECK(t != NULL);
    if (!t) return -1;
    rc = fn(npp, t);
    if (secs) *secs = mono_s() - t0;
    CHECK_RC(rc, NMERR_SUCCESS);
    *out = t;
    return rc == NMERR_SUCCESS ? (long)t->nStationQueries : -1;
}

/* ---- A: the capturing station ----------------------------------------------------------------- */

struct a_job {
    int cmd_fd;    /* parent -> A: one byte per phase */
    int status_fd; /* A -> parent: 'r' when the phase is set up, 'x' on failure */
};

static HBLOB answer_blob(BOOL answer) {
    HBLOB b = NULL;
    CHECK_RC(CreateBlob(&b), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(b, OWNER_NPP, CATEGORY_CONFIG, TAG_CAPTURE_DIRECTORY, capdir), NMERR_SUCCESS);
    CHECK_RC(SetBoolInBlob(b, OWNER_NPP, CATEGORY_CONFIG, TAG_ANSWER_STATION_QUERIES, answer), NMERR_SUCCESS);
    return b;
}

static int child_a(struct a_job *job) {
    HBLOB nic = NULL, cfg = NULL, off = NULL, on = NULL;
    HNPP npp = NULL;
    char name[1024], c;
    BOOL running = FALSE, paused = FALSE;
    int fail = 0;

    check_failures = 0;
    check_count = 0;
    if (enter_netns(ns_a) != 0) {
        (void)!write(job->status_fd, "x", 1);
        return 2;
    }
    nic = nic_blob(VETH_A);
    CHECK_RC(CreateBlob(&cfg), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_CAPTURE_DIRECTORY, capdir), NMERR_SUCCESS);
    CHECK_RC(SetDwordInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_QUERY_TIMEOUT, 200), NMERR_SUCCESS);
    off = answer_blob(FALSE);
    on = answer_blob(TRUE);

    /* Phase 1: capture, answering by default. */
    CHECK_RC(npp_create(nic, &npp), NMERR_SUCCESS);
    CHECK_RC(esp_connect(npp, cfg, NULL, NULL, NULL), NMERR_SUCCESS);
    name[0] = '\0';
    CHECK_RC(esp_start(npp, name, sizeof name), NMERR_SUCCESS);
    printf("  A: capturing on " VETH_A " into %s\n", name);
    {
        /* A lists its own capture once (no frame needed; its responder ignores its own query). */
        LPQUERYTABLE t = NULL;
        long n = query(esp_query_stations, npp, CAPACITY, &t, NULL);
        printf("  A: own query found %ld\n", n);
        CHECK_EQ(n, 1);
        if (n == 1) check_station_a(&t->StationQuery[0]);
        free(t);
    }
    fail = check_failures;
    (void)!write(job->status_fd, fail ? "x" : "r", 1);

    while (read(job->cmd_fd, &c, 1) == 1) {
        if (c == '2') {
            /* Phase 2: answering turned off. */
            CHECK_RC(esp_stop(npp, NULL), NMERR_SUCCESS);
            CHECK_RC(esp_configure(npp, off, NULL), NMERR_SUCCESS);
            CHECK_RC(esp_start(npp, name, sizeof name), NMERR_SUCCESS);
            {
                LPQUERYTABLE t = NULL;
                CHECK_EQ(query(esp_query_stations, npp, CAPACITY, &t, NULL), 0); /* not even itself */
                free(t);
            }
        } else if (c == '3') {
            /* Phase 3: answering on again, but not capturing. */
            CHECK_RC(esp_stop(npp, NULL), NMERR_SUCCESS);
            CHECK_RC(esp_configure(npp, on, NULL), NMERR_SUCCESS);
        } else if (c == '4') {
            /* Phase 4: capturing again, paused. */
            CHECK_RC(esp_start(npp, name, sizeof name), NMERR_SUCCESS);
            CHECK_RC(esp_pause(npp, NULL), NMERR_SUCCESS);
        } else {
            break;
        }
        CHECK_RC(esp_get_control_state(npp, &running, &paused), NMERR_SUCCESS);
        printf("  A: phase %c set up (running %d, paused %d)\n", c, (int)running, (int)paused);
        (void)!write(job->status_fd, check_failures > fail ? "x" : "r", 1);
        fail = check_failures;
    }
    /* 'q' or EOF (the parent went away): clean up. */
    if (esp_get_control_state(npp, &running, &paused) == NMERR_SUCCESS && running) CHECK_RC(esp_stop(npp, NULL), NMERR_SUCCESS);
    CHECK_RC(esp_disconnect(npp), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(npp), NMERR_SUCCESS);
    DestroyBlob(nic);
    DestroyBlob(cfg);
    DestroyBlob(off);
    DestroyBlob(on);
    printf("  A: %d checks, %d failed\n", check_count, check_failures);
    return check_failures ? 1 : 0;
}

/* ---- B: the querying station ------------------------------------------------------------------ */

/* Phase 1: everything about the answer and the argument handling. */
static void b_phase1(void) {
    HBLOB nic = nic_blob(VETH_B), cfg = NULL, replay = NULL, missing = NULL;
    HNPP npp = NULL, stats_npp = NULL, replay_npp = NULL, missing_npp = NULL, dead = NULL;
    LPQUERYTABLE t = NULL;
    double secs = 0;
    long n;

    CHECK_RC(CreateBlob(&cfg), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_CAPTURE_DIRECTORY, capdir), NMERR_SUCCESS);
    CHECK_RC(SetDwordInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_QUERY_TIMEOUT, QUERY_MS), NMERR_SUCCESS);
    CHECK_RC(npp_create(nic, &npp), NMERR_SUCCESS);

    /* Not connected: the NIC BLOB names the interface; the default wait (1000 ms). */
    printf("  B: before Connect (esp_query_stations, default QueryTimeout)\n");
    n = query(esp_query_stations, npp, CAPACITY, &t, &secs);
    printf("    found %ld in %.3f s\n", n, secs);
    CHECK_EQ(n, 1);
    if (n == 1) check_station_a(&t->StationQuery[0]);
    CHECK(secs >= 0.9 && secs < 10.0);
    free(t);
    /* The other family's function works on the same, unconnected, NPP. */
    n = query(stats_query_stations, npp, CAPACITY, &t, NULL);
    CHECK_EQ(n, 1);
    free(t);

    /* Connected through IESP, QueryTimeout 500. */
    printf("  B: esp_connect, QueryTimeout %d\n", QUERY_MS);
    CHECK_RC(esp_connect(npp, cfg, NULL, NULL, NULL), NMERR_SUCCESS);
    n = query(esp_query_stations, npp, CAPACITY, &t, &secs);
    printf("    found %ld in %.3f s\n", n, secs);
    CHECK_EQ(n, 1);
    if (n == 1) {
        check_station_a(&t->StationQuery[0]);
        /* Entries past the count are untouched. */
        CHECK(all_bytes(&t->StationQuery[1], sizeof(STATIONQUERY) * (CAPACITY - 1), 0xEE));
    }
    CHECK(secs >= 0.45 && secs < 5.0); /* waited for more answers, bounded */
    free(t);
    /* QueryStations answers in every state, whichever family connected the NPP. */
    n = query(stats_query_stations, npp, CAPACITY, &t, NULL);
    CHECK_EQ(n, 1);
    free(t);
    /* Capacity 1: one entry, and no need to wait for more. */
    n = query(esp_query_stations, npp, 1, &t, &secs);
    printf("    capacity 1: found %ld in %.3f s\n", n, secs);
    CHECK_EQ(n, 1);
    if (n == 1) check_station_a(&t->StationQuery[0]);
    free(t);
    /* Capacity 0: nothing, success, table untouched beyond the count. */
    t = new_table(0);
    if (t) {
        CHECK_RC(esp_query_stations(npp, t), NMERR_SUCCESS);
        CHECK_EQ(t->nStationQueries, 0);
        CHECK(all_bytes(&t->StationQuery[0], sizeof(STATIONQUERY), 0xEE));
        CHECK_RC(stats_query_stations(npp, t), NMERR_SUCCESS);
        CHECK_EQ(t->nStationQueries, 0);
        free(t);
    }
    /* NULL table. */
    CHECK_RC(esp_query_stations(npp, NULL), NMERR_INVALID_PARAMETER);
    CHECK_RC(stats_query_stations(npp, NULL), NMERR_INVALID_PARAMETER);
    CHECK_RC(esp_disconnect(npp), NMERR_SUCCESS);

    /* Connected through IStats. */
    CHECK_RC(npp_create(nic, &stats_npp), NMERR_SUCCESS);
    CHECK_RC(stats_connect(stats_npp, cfg, NULL, NULL, NULL), NMERR_SUCCESS);
    n = query(stats_query_stations, stats_npp, CAPACITY, &t, NULL);
    CHECK_EQ(n, 1);
    free(t);
    n = query(esp_query_stations, stats_npp, CAPACITY, &t, NULL);
    CHECK_EQ(n, 1);
    free(t);
    CHECK_RC(stats_disconnect(stats_npp), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(stats_npp), NMERR_SUCCESS);

    /* Bad handles: NULL, forged, destroyed, a BLOB handle. */
    t = new_table(CAPACITY);
    if (t) {
        CHECK_RC(esp_query_stations(NULL, t), NMERR_INVALID_HNETWORK);
        CHECK_RC(stats_query_stations(NULL, t), NMERR_INVALID_HNETWORK);
        CHECK_RC(esp_query_stations((HNPP)(uintptr_t)0xDEADBEEF, t), NMERR_INVALID_HNETWORK);
        CHECK_RC(npp_create(nic, &dead), NMERR_SUCCESS);
        CHECK_RC(npp_destroy(dead), NMERR_SUCCESS);
        CHECK_RC(esp_query_stations(dead, t), NMERR_INVALID_HNETWORK);
        CHECK_RC(stats_query_stations(dead, t), NMERR_INVALID_HNETWORK);
        CHECK_RC(esp_query_stations((HNPP)(uintptr_t)nic, t), NMERR_INVALID_HNETWORK);
        /* The table was not touched. */
        CHECK_EQ(t->nStationQueries, CAPACITY);
        CHECK(all_bytes(&t->StationQuery[0], sizeof(STATIONQUERY) * CAPACITY, 0xEE));
        free(t);
    }
    /* NULL table wins over a bad handle (arguments first). */
    CHECK_RC(esp_query_stations(NULL, NULL), NMERR_INVALID_PARAMETER);

    /* A replay NIC: no interface, no station, success at once. */
    CHECK_RC(CreateBlob(&replay), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(replay, OWNER_NPP, CATEGORY_LOCATION, TAG_REPLAY_FILE, "/nonexistent/ndisnpp-qs.cap"), NMERR_SUCCESS);
    CHECK_RC(npp_create(replay, &replay_npp), NMERR_SUCCESS);
    n = query(esp_query_stations, replay_npp, CAPACITY, &t, &secs);
    CHECK_EQ(n, 0);
    CHECK(secs < 0.4);
    if (t) CHECK(all_bytes(&t->StationQuery[0], sizeof(STATIONQUERY) * CAPACITY, 0xEE));
    free(t);
    CHECK_RC(npp_destroy(replay_npp), NMERR_SUCCESS);

    /* An interface that does not exist (here). */
    missing = nic_blob("ndisnpp-none0");
    CHECK_RC(npp_create(missing, &missing_npp), NMERR_SUCCESS);
    t = new_table(CAPACITY);
    if (t) {
        CHECK_RC(esp_query_stations(missing_npp, t), NMERR_NETWORK_NOT_PRESENT);
        CHECK_EQ(t->nStationQueries, CAPACITY);
        free(t);
    }
    CHECK_RC(npp_destroy(missing_npp), NMERR_SUCCESS);

    CHECK_RC(npp_destroy(npp), NMERR_SUCCESS);
    DestroyBlob(nic);
    DestroyBlob(cfg);
    DestroyBlob(replay);
    DestroyBlob(missing);
}

/* Phases 2-4: the number of stations found, connected (QueryTimeout 500). */
static void b_count(long want) {
    HBLOB nic = nic_blob(VETH_B), cfg = NULL;
    HNPP npp = NULL;
    LPQUERYTABLE t = NULL;
    double secs = 0;
    long n;
    CHECK_RC(CreateBlob(&cfg), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_CAPTURE_DIRECTORY, capdir), NMERR_SUCCESS);
    CHECK_RC(SetDwordInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_QUERY_TIMEOUT, QUERY_MS), NMERR_SUCCESS);
    CHECK_RC(npp_create(nic, &npp), NMERR_SUCCESS);
    CHECK_RC(esp_connect(npp, cfg, NULL, NULL, NULL), NMERR_SUCCESS);
    n = query(esp_query_stations, npp, CAPACITY, &t, &secs);
    printf("  B: found %ld in %.3f s (want %ld)\n", n, secs, want);
    CHECK_EQ(n, want);
    if (n == 1) check_station_a(&t->StationQuery[0]);
    if (n == 0 && t) CHECK(all_bytes(&t->StationQuery[0], sizeof(STATIONQUERY) * CAPACITY, 0xEE));
    CHECK(secs < 5.0);
    free(t);
    CHECK_RC(esp_disconnect(npp), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(npp), NMERR_SUCCESS);
    DestroyBlob(nic);
    DestroyBlob(cfg);
}

/* One B phase, in a forked child in qb (`arg`: the phase); the child's verdict. */
static int b_child(void *arg) {
    int phase = *(int *)arg;
    if (enter_netns(ns_b) != 0) return 2;
    if (phase == 1)
        b_phase1();
    else
        b_count(phase == 4 ? 1 : 0);
    printf("  B phase %d: %d checks, %d failed\n", phase, check_count, check_failures);
    return check_failures ? 1 : 0;
}

/* Runs one B phase in a forked child; its exit status. */
static int run_b(int phase) {
    return child_reap(child_spawn(b_child, &phase), 120);
}

/* ---- main ------------------------------------------------------------------------------------- */

static void cleanup(void) {
    if (getpid() != main_pid) return; /* children leave this to the parent */
    if (have_ns_a) sh("ip netns del %s", ns_a);
    if (have_ns_b) sh("ip netns del %s", ns_b);
    if (have_capdir) sh("rm -rf '%s'", capdir);
    have_ns_a = have_ns_b = have_capdir = 0;
}

static void on_signal(int sig) {
    cleanup();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Tells A to go to `phase` and waits for it; 0 when A is ready. */
static int a_phase(int cmd_fd, int status_fd, char phase) {
    char c = 0;
    if (write(cmd_fd, &phase, 1) != 1) return -1;
    if (read(status_fd, &c, 1) != 1) return -1;
    return c == 'r' ? 0 : -1;
}

int main(void) {
    int to_a[2], from_a[2], rc;
    pid_t a;
    char c = 0;
    struct a_job job;

    setvbuf(stdout, NULL, _IOLBF, 0);
    main_pid = getpid();
    if (geteuid() != 0) {
        printf("test_query_stations: skipped (needs root: network namespaces and CAP_NET_RAW)\n");
        return 77;
    }
    if (system("command -v ip >/dev/null 2>&1") != 0) {
        printf("test_query_stations: skipped (no `ip` command)\n");
        return 77;
    }
    atexit(cleanup);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGALRM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    alarm(240); /* watchdog below CTest's TIMEOUT: the namespaces still go away */

    snprintf(capdir, sizeof capdir, "/tmp/ndisnpp-qs-XXXXXX");
    if (!mkdtemp(capdir)) {
        perror("mkdtemp");
        return 1;
    }
    have_capdir = 1;
    snprintf(ns_a, sizeof ns_a, "ndisnpp-qa-%ld", (long)main_pid);
    snprintf(ns_b, sizeof ns_b, "ndisnpp-qb-%ld", (long)main_pid);
    if (sh("ip netns add %s", ns_a) != 0) {
        printf("test_query_stations: skipped (cannot create a network namespace)\n");
        return 77;
    }
    have_ns_a = 1;
    if (sh("ip netns add %s", ns_b) != 0) {
        printf("test_query_stations: skipped (cannot create a network namespace)\n");
        return 77;
    }
    have_ns_b = 1;
    if (sh("ip -n %s link add " VETH_A " address " MAC_A " type veth peer name " VETH_B " address " MAC_B " netns %s",
           ns_a, ns_b) != 0) {
        printf("test_query_stations: skipped (cannot create a veth pair)\n");
        return 77;
    }
    /* No IPv6 link-local addresses: bringing the links up sends nothing (no DAD/ND/MLD). */
    CHECK_EQ(sh("ip -n %s link set " VETH_A " addrgenmode none && ip -n %s link set " VETH_A " up", ns_a, ns_a), 0);
    CHECK_EQ(sh("ip -n %s link set " VETH_B " addrgenmode none && ip -n %s link set " VETH_B " up", ns_b, ns_b), 0);

    if (pipe(to_a) != 0 || pipe(from_a) != 0) {
        perror("pipe");
        return 1;
    }
    fflush(stdout);
    fflush(stderr);
    a = fork();
    if (a < 0) {
        perror("fork");
        return 1;
    }
    if (a == 0) {
        close(to_a[1]);
        close(from_a[0]);
        job.cmd_fd = to_a[0];
        job.status_fd = from_a[1];
        exit(child_a(&job));
    }
    close(to_a[0]);
    close(from_a[1]);

    printf("-- phase 1: A captures (AnswerStationQueries default)\n");
    if (read(from_a[0], &c, 1) == 1 && c == 'r') {
        CHECK_EQ(run_b(1), 0);
        printf("-- phase 2: A captures with AnswerStationQueries FALSE\n");
        if (a_phase(to_a[1], from_a[0], '2') == 0) {
            CHECK_EQ(run_b(2), 0);
        } else {
            CHECK(!"A phase 2");
        }
        printf("-- phase 3: A connected, not capturing\n");
        if (a_phase(to_a[1], from_a[0], '3') == 0) {
            CHECK_EQ(run_b(3), 0);
        } else {
            CHECK(!"A phase 3");
        }
        printf("-- phase 4: A captures again (paused)\n");
        if (a_phase(to_a[1], from_a[0], '4') == 0) {
            CHECK_EQ(run_b(4), 0);
        } else {
            CHECK(!"A phase 4");
        }
    } else {
        CHECK(!"A did not start its capture");
    }
    (void)!write(to_a[1], "q", 1);
    close(to_a[1]);
    close(from_a[0]);
    while (waitpid(a, &rc, 0) < 0 && errno == EINTR) {
    }
    printf("  A: exit %d\n", WIFEXITED(rc) ? WEXITSTATUS(rc) : 100 + WTERMSIG(rc));
    CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);

    cleanup();
    return check_done("test_query_stations");
}
