/* Shared by the C tests that run library calls in forked children: a child that starts with its
 * own check counts, and a parent that waits for it at most a deadline (a child that hangs is
 * killed and reported, instead of holding the test until CTest's timeout). Include check.h and
 * shell_util.h first. */
#ifndef NDISNPP_CHILD_UTIL_H
#define NDISNPP_CHILD_UTIL_H
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* Forks; the child runs fn(arg), with its own check counts and no inherited alarm, and exits with
 * its value. The child's pid (-1 when fork failed). */
static inline pid_t child_spawn(int (*fn)(void *), void *arg) {
    pid_t pid;
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid == 0) {
        check_failures = 0;
        check_count = 0;
        alarm(0);
        exit(fn(arg));
    }
    return pid;
}

/* Waits for a child at most `seconds`, then kills it: its exit status, 100 + the signal when a
 * signal ended it, 200 when it was killed at the deadline, -1 when there is no such child. */
static inline int child_reap(pid_t pid, int seconds) {
    int status = 0;
    double deadline = mono_s() + seconds;
    if (pid <= 0) return -1;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) break;
        if (r < 0 && errno != EINTR) return -1;
        if (mono_s() > deadline) {
            fprintf(stderr, "  child %ld still running after %d s: killed\n", (long)pid, seconds);
            kill(pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
            return 200;
        }
        nap_ms(20);
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 100 + WTERMSIG(status);
    return -1;
}
#endif
