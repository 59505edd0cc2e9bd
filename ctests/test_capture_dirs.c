/* Capture directories that another local user controls (README "Security: the capture
 * directory"), on replay NICs:
 *   a. an explicit capture directory (NPP:Config:CaptureDirectory, $NETMON_CAPTURE_DIR) writable
 *      by group or others without the sticky bit, or owned by a user other than the caller and
 *      root, is refused by esp_connect / dc_connect with NMERR_ACCESS_DENIED, the directory and
 *      the reason in the error BLOB, and by esp_start when it became so after Connect; a sticky
 *      world-writable directory owned by root (like /tmp) is used;
 *   b. ndisnpp_move_capture: its codes, the same directory rule, an existing destination of the
 *      caller replaced (a symlink replaced, never written through), one of another user not;
 *   c. the swap race: in a sticky world-writable directory a child process running as user
 *      nobody keeps planting symlinks to its own file under the destination names and over the
 *      capture files, while this process captures 100 times and moves each capture to its
 *      destination. Every capture either lands as a regular file of root with the captured
 *      bytes, or is refused (NMERR_ACCESS_DENIED, "belongs to uid 65534") and stays where it
 *      was; the child's file is never written, no output is ever redirected.
 * Parts that change owners (chown to nobody, setuid in the child) need root; without it they
 * are skipped (exit 77). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>
#include "check.h"
#include "replay_util.h"

#define NOBODY 65534
#define FRAMES 5
#define ROUNDS 100

static char g_dir[512];
static char g_replay[600];
static HBLOB g_nic;

static void path_in(char *out, size_t room, const char *dir, const char *name) {
    snprintf(out, room, "%s/%s", dir, name);
}

static void make_dir(const char *path, mode_t mode, uid_t owner) {
    CHECK(mkdir(path, 0700) == 0);
    CHECK(chmod(path, mode) == 0); /* mkdir's mode passes through the umask, chmod's does not */
    if (owner != (uid_t)-1) CHECK(chown(path, owner, owner) == 0);
}

/* Connect with CaptureDirectory = dir (or none: $NETMON_CAPTURE_DIR) must be refused with
 * NMERR_ACCESS_DENIED, the reason in NPP:Error:Detail containing `why`. */
static void expect_refused(DWORD (*connect)(HNPP, HBLOB, LPNETWORKCALLBACKPROC, LPVOID, HBLOB), const char *dir,
                           const char *why) {
    HNPP h = NULL;
    HBLOB cfg = NULL, err = NULL;
    const char *detail;
    CHECK_RC(npp_create(g_nic, &h), NMERR_SUCCESS);
    if (dir) cfg = ru_config(dir);
    else CHECK_RC(CreateBlob(&cfg), NMERR_SUCCESS);
    CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
    CHECK_RC(connect(h, cfg, NULL, NULL, err), NMERR_ACCESS_DENIED);
    if (dir) CHECK_STR(ru_get(err, CATEGORY_CONFIG, TAG_CAPTURE_DIRECTORY), dir);
    detail = ru_get(err, "Error", "Detail");
    CHECK(detail && strstr(detail, why) && strstr(detail, "refused"));
    printf("   refused %s: %s\n", dir ? dir : "$NETMON_CAPTURE_DIR", detail ? detail : "(no detail)");
    CHECK_RC(DestroyBlob(err), NMERR_SUCCESS);
    CHECK_RC(DestroyBlob(cfg), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
}

/* One capture of FRAMES frames into `dir` with an NPP connected to it; `name` receives its path. */
static int capture_once(HNPP h, char *name, size_t room) {
    DWORD rc = esp_start(h, name, room);
    CHECK_RC(rc, NMERR_SUCCESS);
    if (rc != NMERR_SUCCESS) return -1;
    CHECK_EQ(ru_wait_captured(esp_get_statistics_ex, h, FRAMES), FRAMES);
    CHECK_RC(esp_stop(h, NULL), NMERR_SUCCESS);
    return 0;
}

static void part_a_explicit_directories(int root) {
    char open_dir[700], group_dir[700], sticky_dir[700], own_dir[700], name[4096];
    struct stat st;
    HNPP h = NULL;
    HBLOB cfg;
    printf("a. explicit capture directories\n");
    path_in(open_dir, sizeof open_dir, g_dir, "open-0777");
    path_in(group_dir, sizeof group_dir, g_dir, "group-0770");
    path_in(sticky_dir, sizeof sticky_dir, g_dir, "sticky-1777");
    path_in(own_dir, sizeof own_dir, g_dir, "own-0700");
    make_dir(open_dir, 0777, (uid_t)-1);
    make_dir(group_dir, 0770, (uid_t)-1);
    make_dir(sticky_dir, 01777, (uid_t)-1);
    make_dir(own_dir, 0700, (uid_t)-1);
    expect_refused(esp_connect, open_dir, "without the sticky bit");
    expect_refused(esp_connect, group_dir, "without the sticky bit");
    expect_refused(dc_connect, open_dir, "without the sticky bit");
    CHECK_EQ(ru_count_files(open_dir), 0);
    /* $NETMON_CAPTURE_DIR is held to the same rule */
    setenv("NETMON_CAPTURE_DIR", open_dir, 1);
    expect_refused(esp_connect, NULL, "without the sticky bit");
    unsetenv("NETMON_CAPTURE_DIR");
    if (root) {
        char nobody_dir[700], nobody_sticky[700];
        path_in(nobody_dir, sizeof nobody_dir, g_dir, "nobody-0700");
        path_in(nobody_sticky, sizeof nobody_sticky, g_dir, "nobody-1777");
        make_dir(nobody_dir, 0700, NOBODY);
        make_dir(nobody_sticky, 01777, NOBODY);
        expect_refused(esp_connect, nobody_dir, "owned by uid 65534");
        expect_refused(esp_connect, nobody_sticky, "owned by uid 65534");
        CHECK_EQ(ru_count_files(nobody_dir), 0);
    } else {
        SKIP_PART("directories owned by another user (chown needs root)");
    }
    /* sticky and world-writable, owned by this user (or root): used, the file private */
    CHECK_RC(npp_create(g_nic, &h), NMERR_SUCCESS);
    cfg = ru_config(sticky_dir);
    CHECK_RC(esp_connect(h, cfg, NULL, NULL, NULL), NMERR_SUCCESS);
    if (capture_once(h, name, sizeof name) == 0) {
        CHECK(strncmp(name, sticky_dir, strlen(sticky_dir)) == 0);
        CHECK(lstat(name, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0600);
    }
    CHECK_RC(esp_disconnect(h), NMERR_SUCCESS);
    CHECK_RC(DestroyBlob(cfg), NMERR_SUCCESS);
    /* a directory that became world-writable after Connect: Start refuses it, nothing starts */
    cfg = ru_config(own_dir);
    CHECK_RC(esp_connect(h, cfg, NULL, NULL, NULL), NMERR_SUCCESS);
    CHECK(chmod(own_dir, 0777) == 0);
    CHECK_RC(esp_start(h, name, sizeof name), NMERR_ACCESS_DENIED);
    CHECK_EQ(ru_count_files(own_dir), 0);
    CHECK(chmod(own_dir, 0700) == 0);
    if (capture_once(h, name, sizeof name) == 0) CHECK(strncmp(name, own_dir, strlen(own_dir)) == 0);
    CHECK_RC(esp_disconnect(h), NMERR_SUCCESS);
    CHECK_RC(DestroyBlob(cfg), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
}

static int write_file(const char *path, const char *text) {
    return ru_write_text(path, text);
}

static long file_size(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void part_b_move(int root) {
    char dir[700], src[800], out[800], open_dir[700], target[800], link[800], sticky[700];
    HBLOB err = NULL;
    struct stat st;
    printf("b. ndisnpp_move_capture\n");
    path_in(dir, sizeof dir, g_dir, "move");
    make_dir(dir, 0700, (uid_t)-1);
    path_in(src, sizeof src, dir, "nm-1.cap");
    path_in(out, sizeof out, dir, "out.cap");
    CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
    CHECK_RC(ndisnpp_move_capture(NULL, out, NULL), NMERR_INVALID_PARAMETER);
    CHECK_RC(ndisnpp_move_capture(src, NULL, NULL), NMERR_INVALID_PARAMETER);
    CHECK_RC(ndisnpp_move_capture(src, out, err), NMERR_FILE_NOT_FOUND);
    CHECK(write_file(src, "first") == 0);
    CHECK_RC(ndisnpp_move_capture(src, "/nonexistent-ndisnpp-dir/out.cap", NULL), NMERR_PATH_NOT_FOUND);
    {
        char slash[800];
        snprintf(slash, sizeof slash, "%s/", dir);
        CHECK_RC(ndisnpp_move_capture(src, slash, NULL), NMERR_INVALID_PARAMETER);
        CHECK_RC(ndisnpp_move_capture(src, g_dir, NULL), NMERR_FILE_WRITE_ERROR); /* a directory of ours */
    }
    CHECK_RC(ndisnpp_move_capture(src, out, err), NMERR_SUCCESS);
    CHECK(!ru_exists(src) && file_size(out) == 5);
    /* an existing file of this user: replaced */
    CHECK(write_file(src, "second!") == 0);
    CHECK_RC(ndisnpp_move_capture(src, out, err), NMERR_SUCCESS);
    CHECK_EQ(file_size(out), 7);
    /* a symlink of this user: the link is replaced, its target not written */
    path_in(target, sizeof target, dir, "target");
    path_in(link, sizeof link, dir, "link.cap");
    CHECK(write_file(target, "keep") == 0 && symlink(target, link) == 0);
    CHECK(write_file(src, "third") == 0);
    CHECK_RC(ndisnpp_move_capture(src, link, err), NMERR_SUCCESS);
    CHECK(lstat(link, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 5);
    CHECK_EQ(file_size(target), 4);
    /* a destination directory writable by others without the sticky bit: refused, the capture
     * stays where it was */
    path_in(open_dir, sizeof open_dir, g_dir, "move-open");
    make_dir(open_dir, 0777, (uid_t)-1);
    CHECK(write_file(src, "fourth") == 0);
    {
        char dst[800];
        const char *detail;
        path_in(dst, sizeof dst, open_dir, "out.cap");
        CHECK_RC(DestroyBlob(err), NMERR_SUCCESS);
        CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
        CHECK_RC(ndisnpp_move_capture(src, dst, err), NMERR_ACCESS_DENIED);
        detail = ru_get(err, "Error", "Detail");
        CHECK(detail && strstr(detail, "without the sticky bit"));
        printf("   move into %s: %s\n", open_dir, detail ? detail : "(no detail)");
        CHECK(ru_exists(src) && !ru_exists(dst));
    }
    if (root) {
        /* a name planted by another user in a sticky directory: not replaced */
        char planted[800];
        const char *detail;
        path_in(sticky, sizeof sticky, g_dir, "move-sticky");
        make_dir(sticky, 01777, (uid_t)-1);
        path_in(planted, sizeof planted, sticky, "out.cap");
        CHECK(symlink(target, planted) == 0 && lchown(planted, NOBODY, NOBODY) == 0);
        CHECK_RC(DestroyBlob(err), NMERR_SUCCESS);
        CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
        CHECK_RC(ndisnpp_move_capture(src, planted, err), NMERR_ACCESS_DENIED);
        detail = ru_get(err, "Error", "Detail");
        CHECK(detail && strstr(detail, "belongs to uid 65534"));
        CHECK(lstat(planted, &st) == 0 && S_ISLNK(st.st_mode) && st.st_uid == NOBODY);
        CHECK_EQ(file_size(target), 4);
        CHECK(ru_exists(src));
        /* a source that is not a file of this user */
        CHECK(chown(src, NOBODY, NOBODY) == 0);
        CHECK_RC(ndisnpp_move_capture(src, out, NULL), NMERR_ACCESS_DENIED);
    } else {
        SKIP_PART("names planted by another user (chown needs root)");
    }
    CHECK_RC(DestroyBlob(err), NMERR_SUCCESS);
}

/* ---- c. the swap race ------------------------------------------------------------------------ */

struct shared {
    volatile int round; /* the destination the parent works on */
    volatile int stop;
    volatile long planted;
};

/* The other user: keeps planting symlinks to its own file under the next destination names, and
 * tries to replace or remove the capture files and the outputs already made. */
static void attacker(const char *dir, const char *theirs, struct shared *sh) {
    char tmp[800], name[1200];
    if (setgroups(0, NULL) != 0 || setgid(NOBODY) != 0 || setuid(NOBODY) != 0) _exit(3);
    snprintf(tmp, sizeof tmp, "%s/.their-link", dir);
    while (!sh->stop) {
        int r = sh->round, k;
        DIR *d;
        struct dirent *e;
        for (k = r; k < r + 2; k++) {
            snprintf(name, sizeof name, "%s/out-%d.cap", dir, k);
            unlink(tmp);
            if (symlink(theirs, tmp) == 0 && rename(tmp, name) == 0) sh->planted++;
            if (k == r && (sh->planted & 1)) unlink(name); /* sometimes take it back: the name flips */
        }
        d = opendir(dir);
        if (!d) continue;
        while ((e = readdir(d)) != NULL) {
            if (strncmp(e->d_name, "nm-", 3) != 0 && strncmp(e->d_name, "out-", 4) != 0) continue;
            snprintf(name, sizeof name, "%s/%s", dir, e->d_name);
            unlink(tmp);
            /* fails on an entry of root (sticky); succeeds only on a name already moved away */
            if (symlink(theirs, tmp) == 0) (void)rename(tmp, name);
        }
        closedir(d);
    }
    _exit(0);
}

static void part_c_race(void) {
    char dir[700], theirs[800], name[4096], out[800];
    struct shared *sh;
    pid_t child;
    HNPP h = NULL;
    HBLOB cfg, err = NULL;
    int i, moved = 0, refused = 0, redirected = 0, other = 0, status = 0;
    struct stat st;
    printf("c. the swap race in a sticky world-writable directory (%d captures)\n", ROUNDS);
    path_in(dir, sizeof dir, g_dir, "race");
    make_dir(dir, 01777, (uid_t)-1);
    path_in(theirs, sizeof theirs, dir, "their-file");
    CHECK(write_file(theirs, "theirs") == 0 && chown(theirs, NOBODY, NOBODY) == 0);
    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(sh != MAP_FAILED);
    if (sh == MAP_FAILED) return;
    memset((void *)sh, 0, sizeof *sh);
    fflush(NULL);
    child = fork();
    if (child == 0) attacker(dir, theirs, sh);
    CHECK(child > 0);
    CHECK_RC(npp_create(g_nic, &h), NMERR_SUCCESS);
    cfg = ru_config(dir);
    CHECK_RC(esp_connect(h, cfg, NULL, NULL, NULL), NMERR_SUCCESS);
    for (i = 0; i < ROUNDS; i++) {
        long size;
        DWORD rc;
        sh->round = i;
        if (capture_once(h, name, sizeof name) != 0) break;
        size = file_size(name);
        CHECK(size > 0 && lstat(name, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid());
        snprintf(out, sizeof out, "%s/out-%d.cap", dir, i);
        CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
        rc = ndisnpp_move_capture(name, out, err);
        if (rc == NMERR_SUCCESS) {
            moved++;
            /* ours: a regular file of root with the captured bytes, not their link */
            if (lstat(out, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || st.st_size != size) redirected++;
        } else if (rc == NMERR_ACCESS_DENIED) {
            const char *detail = ru_get(err, "Error", "Detail");
            refused++;
            CHECK(detail && strstr(detail, "belongs to uid 65534"));
            CHECK(lstat(name, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == size); /* kept */
            unlink(name);
        } else {
            other++;
            fprintf(stderr, "round %d: ndisnpp_move_capture answered %u (%s): %s\n", i, (unsigned)rc, nmerr_text(rc),
                    ru_get(err, "Error", "Detail") ? ru_get(err, "Error", "Detail") : "");
        }
        CHECK_RC(DestroyBlob(err), NMERR_SUCCESS);
    }
    sh->stop = 1;
    CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* every output made is still ours: the other user could not replace it afterwards */
    for (i = 0; i < ROUNDS; i++) {
        snprintf(out, sizeof out, "%s/out-%d.cap", dir, i);
        if (lstat(out, &st) == 0 && st.st_uid != NOBODY && (!S_ISREG(st.st_mode) || st.st_size <= 0)) redirected++;
    }
    CHECK_EQ(file_size(theirs), 6);
    printf("   %d moved, %d refused (a name of uid 65534 was there), %d redirected, %d other; the other user "
           "planted %ld links\n",
           moved, refused, redirected, other, sh->planted);
    CHECK_EQ(moved + refused, ROUNDS);
    CHECK_EQ(redirected, 0);
    CHECK(sh->planted > 0); /* the race did run */
    CHECK_RC(esp_disconnect(h), NMERR_SUCCESS);
    CHECK_RC(DestroyBlob(cfg), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
    munmap((void *)sh, sizeof *sh);
}

int main(void) {
    int root = geteuid() == 0;
    alarm(240);
    if (ru_mkdtemp(g_dir, sizeof g_dir, "ndisnpp-dirs") != 0) {
        perror("mkdtemp");
        return 1;
    }
    CHECK(chmod(g_dir, 0711) == 0); /* the other user (part c) must reach the race directory */
    path_in(g_replay, sizeof g_replay, g_dir, "replay.pcap");
    CHECK(ru_write_pcap(g_replay, FRAMES) == 0);
    g_nic = ru_replay_nic(g_replay);
    CHECK(g_nic != NULL);
    unsetenv("NETMON_CAPTURE_DIR");
    part_a_explicit_directories(root);
    part_b_move(root);
    if (root) part_c_race();
    else SKIP_PART("the swap race (a child running as another user needs root)");
    CHECK_RC(DestroyBlob(g_nic), NMERR_SUCCESS);
    ru_rm_tree(g_dir);
    return check_done("test_capture_dirs");
}
