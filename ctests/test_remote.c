/* The remote NIC (NPP:Remote:RemoteComputer) through the flat API, against a private OpenSSH
 * server on 127.0.0.1 (scripts/test-sshd.sh; the system's sshd untouched) and a stand-in remote
 * capture program (NPP:Remote:Program): a shell script that answers `--probe` and, for
 * `--stream`, reports ready and streams a pcapng file, as protocol 1 of nmcap does.
 *   a. IESP: npp_create (no I/O), IsRemoteNPP, esp_connect (the probe), esp_start, every frame
 *      of the stream in the capture file (tshark), esp_stop; the remote program's arguments
 *   b. IRTC: the frames callback gets every frame, byte for byte
 *   c. errors: a bad destination (npp_create), a program that is not there, a port where nothing
 *      listens, a server that never answers (timeout), a name that does not resolve (ssh in a
 *      namespace without network), an unknown host key, a remote program without permission,
 *      one that is not ndisnpp's nmcap, `HostKeyCheck=no`: each its NMERR and the error BLOB
 *   d. the connection lost mid-capture (the server's session killed): UPDATE_EVENT_REMOTE_FAILURE
 *      then the end with NMERR_LOST_CONNECTION, the frames that came in the file
 *   d2. a network gone silent (the server side stopped): Stop returns, the file readable
 *   e. QueryStations on a remote NIC: NMERR_NOT_SUPPORTED
 *   f. no remote program left after Stop, Disconnect and destroy
 *   g. the real nmcap as the remote program: a remote capture of a veth end equals a local capture
 *      of the same frames (tshark: every field; times within 1 ms, each socket reads its clock)
 *   h. the application SIGKILLed mid-capture: the remote program and the ssh master end, nothing
 *      is left
 *   j. the COM-style IESP object on a remote NIC BLOB
 *   k. with the real nmcap, for IESP and IDelaydC in each file format, and IRTC's descriptors: a
 *      remote capture equals a local capture of the same frames
 *   i. 20 NPPs capturing from one host at once, each every frame, over 3 ssh connections (private
 *      ControlMasters of 8 NPPs at most), none left after
 * Needs root, openssh-server and editcap/tshark (exit 77 without them, unless they should be
 * there: run by CTest in CI, where the install step adds them). */
#define _GNU_SOURCE
#define COBJMACROS
#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "netmon.h"
#include "replay_util.h"
#include "shell_util.h"

#define N 40

static char g_dir[256];
static char g_fake[320];
static char g_hang[320];

static const char *ROOT_DIR = NDISNPP_SOURCE_DIR;

/* A remote NIC BLOB: NPP:Remote:RemoteComputer = dest, NPP:Location:Name = eth7, Program. */
static HBLOB remote_nic(const char *dest, const char *program) {
    HBLOB b = ru_blob1(CATEGORY_LOCATION, TAG_NAME, "eth7");
    if (!b) return NULL;
    if (SetStringInBlob(b, OWNER_NPP, CATEGORY_REMOTE, TAG_REMOTECOMPUTER, dest) != NMERR_SUCCESS) return NULL;
    if (program && SetStringInBlob(b, OWNER_NPP, CATEGORY_REMOTE, TAG_REMOTE_PROGRAM, program) != NMERR_SUCCESS) return NULL;
    return b;
}

/* Processes other than this one whose command line holds `needle` (and `also`, unless NULL). */
static int processes_with2(const char *needle, const char *also) {
    DIR *d = opendir("/proc");
    struct dirent *e;
    int n = 0;
    if (!d) return -1;
    while ((e = readdir(d))) {
        char path[300], buf[4096];
        FILE *f;
        size_t got, i;
        if (e->d_name[0] < '0' || e->d_name[0] > '9' || atoi(e->d_name) == getpid()) continue;
        snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
        if (!(f = fopen(path, "rb"))) continue;
        got = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        for (i = 0; i < got; i++)
            if (!buf[i]) buf[i] = ' ';
        buf[got] = 0;
        if (strstr(buf, needle) && (!also || strstr(buf, also))) n++;
    }
    closedir(d);
    return n;
}

static int processes_with(const char *needle) { return processes_with2(needle, NULL); }

/* ssh ControlMasters whose socket name holds `needle`. */
static int masters_with(const char *needle) { return processes_with2(needle, "ControlMaster=yes"); }

static int wait_no_process(const char *needle) {
    long long deadline = tu_now_ms() + 30000;
    while (processes_with(needle) != 0) {
        if (tu_now_ms() > deadline) return 0;
        tu_sleep_ms(20);
    }
    return 1;
}

static int count_lines(const char *path) {
    FILE *f = fopen(path, "r");
    int n = 0, c;
    if (!f) return -1;
    while ((c = fgetc(f)) != EOF)
        if (c == '\n') n++;
    fclose(f);
    return n;
}

/* ---- d. status events ---------------------------------------------------------------------- */
static volatile int g_remote_failure, g_lost_end, g_order_ok;
static DWORD on_status(UPDATE_EVENT e) {
    if (e.Event == UPDATE_EVENT_REMOTE_FAILURE && e.Value == NMERR_LOST_CONNECTION) g_remote_failure = 1;
    if (e.Event == UPDATE_EVENT_NETWORK_STATUS && e.Action == UPDATE_ACTION_STOP_CAPTURE && e.Value == NMERR_LOST_CONNECTION) {
        g_order_ok = g_remote_failure;
        g_lost_end = 1;
    }
    return 0;
}

/* ---- b. frames ------------------------------------------------------------------------------ */
static unsigned g_frames, g_bad;
static DWORD on_frames(UPDATE_EVENT e) {
    LPFRAMETABLE t = e.lpFrameTable;
    DWORD k, i;
    if (!t) return 0;
    for (k = 0, i = t->StartIndex; k < t->FrameCount; k++, i = (i + 1) % t->FrameTableLength) {
        const FRAME_DESCRIPTOR *d = &t->Frames[i];
        unsigned n = g_frames++;
        if (d->nBytesAvail != RU_FRAME_LEN(n) || d->FramePointer[20] != (unsigned char)(n + 1)) g_bad++;
    }
    return 0;
}

/* ---- k. a local and a remote capture of the same frames, for each family and format --------- */
typedef struct {
    DWORD (*connect)(HNPP, HBLOB, LPNETWORKCALLBACKPROC, LPVOID, HBLOB);
    DWORD (*start)(HNPP, char *, size_t);
    DWORD (*stop)(HNPP, LPSTATISTICS);
    DWORD (*stats)(HNPP, LPSTATISTICS_EX);
    const char *name;
} file_family;

/* The N frames of part g/k into the veth end `peer` of namespace `ns`. */
static int send_frames(const char *ns, const char *peer) {
    return sh("ip netns exec %s python3 -c \"import socket\ns=socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\n"
              "s.bind(('%s', 0))\nfor i in range(%d): s.send(b'\\xff'*6 + b'\\x02\\0\\0\\0\\0\\2' + b'\\x88\\xb5' + bytes([i])*(46+i))\"",
              ns, peer, N);
}

/* tshark's view of a file's frames (every field but the time), malloc'd. */
static char *tshark_fields(const char *path) {
    char cmd[1200];
    int status;
    snprintf(cmd, sizeof cmd, "TZ=UTC tshark -r '%.1000s' -Y eth.type==0x88b5 -T fields -e frame.len -e frame.cap_len -e eth.src -e eth.type -e data.data 2>/dev/null", path);
    return run_capture(cmd, &status);
}

static void compare_files(const file_family *fam, const char *format, HBLOB lnic, HBLOB rnic, HBLOB capcfg, const char *ns, const char *peer) {
    HNPP hl = NULL, hr = NULL;
    char ln[512], rn[512], *a, *b;
    STATISTICS st;
    printf("  k: %s, %s: a local and a remote capture of the same frames\n", fam->name, format);
    CHECK_RC(SetStringInBlob(capcfg, OWNER_NPP, CATEGORY_CONFIG, TAG_FILE_FORMAT, format), NMERR_SUCCESS);
    CHECK_RC(npp_create(lnic, &hl), NMERR_SUCCESS);
    CHECK_RC(npp_create(rnic, &hr), NMERR_SUCCESS);
    CHECK_RC(fam->connect(hl, capcfg, NULL, NULL, NULL), NMERR_SUCCESS);
    CHECK_RC(fam->connect(hr, capcfg, NULL, NULL, NULL), NMERR_SUCCESS);
    CHECK_RC(fam->start(hl, ln, sizeof ln), NMERR_SUCCESS);
    CHECK_RC(fam->start(hr, rn, sizeof rn), NMERR_SUCCESS);
    CHECK_EQ(send_frames(ns, peer), 0);
    CHECK_EQ(ru_wait_captured(fam->stats, hl, N), N);
    CHECK_EQ(ru_wait_captured(fam->stats, hr, N), N);
    CHECK_RC(fam->stop(hl, &st), NMERR_SUCCESS);
    CHECK_RC(fam->stop(hr, &st), NMERR_SUCCESS);
    a = tshark_fields(ln);
    b = tshark_fields(rn);
    CHECK(a && b && strlen(a) > 0 && strcmp(a, b) == 0);
    free(a);
    free(b);
    CHECK_RC(npp_destroy(hl), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(hr), NMERR_SUCCESS);
}

/* IRTC: the FRAME_DESCRIPTORs (time aside) and bytes a callback gets, as text lines. */
typedef struct {
    char text[N * 320];
    size_t len;
    unsigned frames;
} descs;

static DWORD on_descs(UPDATE_EVENT e) {
    descs *d = (descs *)e.lpUserContext;
    LPFRAMETABLE t = e.lpFrameTable;
    DWORD k, i;
    if (!t) return 0;
    for (k = 0, i = t->StartIndex; k < t->FrameCount; k++, i = (i + 1) % t->FrameTableLength) {
        const FRAME_DESCRIPTOR *f = &t->Frames[i];
        unsigned sum = 0, j;
        if (f->nBytesAvail < 14 || f->FramePointer[12] != 0x88 || f->FramePointer[13] != 0xb5) continue;
        for (j = 0; j < f->nBytesAvail; j++) sum = sum * 31 + f->FramePointer[j];
        if (d->len + 200 < sizeof d->text)
            d->len += (size_t)snprintf(d->text + d->len, sizeof d->text - d->len, "%u %u %u %u %u %u %u %u\n", (unsigned)f->FrameLength,
                                       (unsigned)f->nBytesAvail, (unsigned)f->Etype, (unsigned)f->Sap, (unsigned)f->LowProtocol,
                                       (unsigned)f->LowProtocolOffset, (unsigned)f->HighProtocolOffset, sum);
        d->frames++;
    }
    return 0;
}

static descs g_dl, g_dr;

static void compare_rtc(HBLOB lnic, HBLOB rnic, HBLOB capcfg, const char *ns, const char *peer) {
    HNPP hl = NULL, hr = NULL;
    long long deadline;
    printf("  k: IRTC: the descriptors of a local and a remote capture of the same frames\n");
    memset(&g_dl, 0, sizeof g_dl);
    memset(&g_dr, 0, sizeof g_dr);
    CHECK_RC(npp_create(lnic, &hl), NMERR_SUCCESS);
    CHECK_RC(npp_create(rnic, &hr), NMERR_SUCCESS);
    CHECK_RC(rtc_connect(hl, capcfg, NULL, on_descs, &g_dl, NULL), NMERR_SUCCESS);
    CHECK_RC(rtc_connect(hr, capcfg, NULL, on_descs, &g_dr, NULL), NMERR_SUCCESS);
    CHECK_RC(rtc_start(hl), NMERR_SUCCESS);
    CHECK_RC(rtc_start(hr), NMERR_SUCCESS);
    CHECK_EQ(send_frames(ns, peer), 0);
    deadline = tu_now_ms() + 30000;
    for (;;) {
        STATISTICS_EX a, b;
        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        a.StructSize = b.StructSize = sizeof a;
        if (rtc_get_statistics_ex(hl, &a) == NMERR_SUCCESS && rtc_get_statistics_ex(hr, &b) == NMERR_SUCCESS &&
            a.FramesCaptured >= N && b.FramesCaptured >= N)
            break;
        if (tu_now_ms() > deadline) break;
        tu_sleep_ms(10);
    }
    CHECK_RC(rtc_stop(hl), NMERR_SUCCESS);
    CHECK_RC(rtc_stop(hr), NMERR_SUCCESS);
    CHECK_EQ(g_dl.frames, N);
    CHECK_EQ(g_dr.frames, N);
    CHECK(g_dl.len > 0 && g_dl.len == g_dr.len && memcmp(g_dl.text, g_dr.text, g_dl.len) == 0);
    CHECK_RC(npp_destroy(hl), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(hr), NMERR_SUCCESS);
}

int main(void) {
    char cmd[1024], pcap[300], stream[300], capdir[300], name[512], args[300];
    HBLOB nic, cfg, err;
    HNPP h;
    STATISTICS st;
    int status = 0;
    char *out;

    if (geteuid() != 0) {
        printf("SKIPPED: needs root (the private sshd logs root in)\n");
        return 77;
    }
    snprintf(g_dir, sizeof g_dir, "/tmp/ndisnpp-test-remote-%d", (int)getpid());
    snprintf(cmd, sizeof cmd, "bash %s/scripts/test-sshd.sh start %s", ROOT_DIR, g_dir);
    out = run_capture(cmd, &status);
    free(out);
    if (status == 77) {
        printf("SKIPPED: openssh-server is not installed\n");
        return 77;
    }
    CHECK_EQ(status, 0);
    if (status != 0) return check_done("test_remote");
    snprintf(cmd, sizeof cmd, "%s/ssh_config", g_dir);
    setenv("NDISNPP_SSH_CONFIG", cmd, 1);

    /* The stream: N frames as pcapng (editcap from the classic file). */
    snprintf(pcap, sizeof pcap, "%s/in.pcap", g_dir);
    snprintf(stream, sizeof stream, "%s/stream.pcapng", g_dir);
    CHECK_EQ(ru_write_pcap(pcap, N), 0);
    CHECK_EQ(sh("editcap -F pcapng %s %s", pcap, stream), 0);
    snprintf(args, sizeof args, "%s/args.log", g_dir);
    snprintf(g_fake, sizeof g_fake, "%s/fake-nmcap", g_dir);
    snprintf(g_hang, sizeof g_hang, "%s/hang-nmcap", g_dir);
    {
        char script[2048];
        snprintf(script, sizeof script,
                 "#!/bin/sh\n"
                 "printf '%%s\\n' \"$*\" >> %s\n"
                 "case \"$1\" in\n"
                 "--probe) echo '@nmcap 1 ok test' >&2; exit 0 ;;\n"
                 "--stream) echo '@nmcap 1 ready' >&2; cat %s; cat >/dev/null; echo '@nmcap 1 end NMERR_SUCCESS' >&2; exit 0 ;;\n"
                 "--list) printf '#NMBLOB 1\\nNPP:Location:Name=eth7\\nNPP:Location:ReplayFile=/etc/shadow\\n"
                 "NPP:Remote:RemoteComputer=elsewhere\\nNPP:NetworkInfo:Flags=1\\n#NMBLOB 1\\nNPP:Location:Name=eth8\\n'; exit 0 ;;\n"
                 "esac\n"
                 "exit 2\n",
                 args, stream);
        CHECK_EQ(ru_write_text(g_fake, script), 0);
        /* The same, but it never reports an end (for the loss); it ends with its input. */
        snprintf(script, sizeof script,
                 "#!/bin/sh\n"
                 "case \"$1\" in\n"
                 "--probe) echo '@nmcap 1 ok test' >&2; exit 0 ;;\n"
                 "--stream) echo '@nmcap 1 ready' >&2; cat %s; cat >/dev/null ;;\n"
                 "esac\n"
                 "exit 2\n",
                 stream);
        CHECK_EQ(ru_write_text(g_hang, script), 0);
        CHECK_EQ(sh("chmod 755 %s %s", g_fake, g_hang), 0);
    }
    snprintf(capdir, sizeof capdir, "%s/captures", g_dir);
    CHECK_EQ(sh("mkdir -m 700 %s", capdir), 0);

    /* a. IESP. */
    nic = remote_nic("capturehost", g_fake);
    CHECK(nic != NULL);
    CHECK(IsRemoteNPP(nic));
    CHECK_RC(npp_create(nic, &h), NMERR_SUCCESS);
    CHECK_EQ(count_lines(args), -1); /* npp_create ran nothing */
    cfg = ru_config(capdir);
    /* pcapng, so that the file holds exactly the frames captured (no statistics frame). */
    CHECK_RC(SetStringInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_FILE_FORMAT, "PCAPNG"), NMERR_SUCCESS);
    CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
    CHECK_RC(esp_connect(h, cfg, NULL, NULL, err), NMERR_SUCCESS);
    CHECK_EQ(count_lines(args), 1); /* the probe */
    CHECK_RC(esp_start(h, name, sizeof name), NMERR_SUCCESS);
    CHECK_EQ(ru_wait_captured(esp_get_statistics_ex, h, N), N);
    CHECK_RC(esp_stop(h, &st), NMERR_SUCCESS);
    CHECK_EQ(st.TotalFramesCaptured, N);
    CHECK_RC(esp_disconnect(h), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
    CHECK(wait_no_process(g_fake));
    {
        char *lines;
        snprintf(cmd, sizeof cmd, "TZ=UTC capinfos -c -M %s | sed -n 's/^Number of packets: *//p'", name);
        lines = run_capture(cmd, &status);
        CHECK(lines && atoi(lines) == N);
        free(lines);
        snprintf(cmd, sizeof cmd, "TZ=UTC tshark -r %s -T fields -e frame.len | tr '\\n' ' '", name);
        lines = run_capture(cmd, &status);
        CHECK(lines && strncmp(lines, "60 61 62 63 ", 12) == 0);
        free(lines);
        snprintf(cmd, sizeof cmd, "cat %s", args);
        lines = run_capture(cmd, &status);
        printf("  remote program's arguments:\n%s", lines ? lines : "");
        CHECK(lines && strstr(lines, "--probe -i eth7"));
        CHECK(lines && strstr(lines, "--stream -i eth7 --exclude-ssh"));
        free(lines);
    }
    DestroyBlob(nic);

    /* a2. discovery: GetNPPBlobTable with NPP:Remote:RemoteComputer lists the remote program's
     *     NICs (only the entries that describe an interface kept); without it, no remote call. */
    {
        PBLOB_TABLE table = NULL;
        HBLOB filter = remote_nic("capturehost", g_fake);
        int before = count_lines(args);
        const char *v;
        DWORD flags = 0;
        /* remote_nic puts NPP:Location:Name=eth7 into it: it then also filters on that name. */
        CHECK_RC(RemoveFromBlob(filter, OWNER_NPP, CATEGORY_LOCATION, TAG_NAME), NMERR_SUCCESS);
        CHECK_RC(GetNPPBlobTable(filter, &table), NMERR_SUCCESS);
        CHECK_EQ(count_lines(args), before + 1);
        CHECK(table && table->dwNumBlobs == 2);
        if (table && table->dwNumBlobs == 2) {
            HBLOB b = table->hBlobs[0];
            CHECK_STR(ru_get(b, CATEGORY_LOCATION, TAG_NAME), "eth7");
            CHECK(ru_get(b, CATEGORY_LOCATION, TAG_REPLAY_FILE) == NULL);
            CHECK_STR(ru_get(b, CATEGORY_REMOTE, TAG_REMOTECOMPUTER), "capturehost");
            CHECK_STR(ru_get(b, CATEGORY_REMOTE, TAG_REMOTE_PROGRAM), g_fake);
            CHECK(IsRemoteNPP(b));
            v = ru_get(b, CATEGORY_NETWORKINFO, TAG_FLAGS);
            if (v) flags = (DWORD)strtoul(v, NULL, 0);
            CHECK_EQ(flags, 1 | NETWORKINFO_FLAGS_REMOTE_CARD);
            /* The discovered BLOB is a working remote NIC. */
            CHECK_RC(npp_create(b, &h), NMERR_SUCCESS);
            CHECK_RC(esp_connect(h, cfg, NULL, NULL, NULL), NMERR_SUCCESS);
            CHECK_RC(esp_disconnect(h), NMERR_SUCCESS);
            CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
            CHECK_STR(ru_get(table->hBlobs[1], CATEGORY_LOCATION, TAG_NAME), "eth8");
        }
        if (table) {
            DWORD i;
            for (i = 0; i < table->dwNumBlobs; i++) DestroyBlob(table->hBlobs[i]);
            FreeBlobTable(table);
        }
        before = count_lines(args);
        table = NULL;
        CHECK(GetNPPBlobTable(NULL, &table) == NMERR_SUCCESS || table == NULL);
        if (table) {
            DWORD i;
            for (i = 0; i < table->dwNumBlobs; i++) DestroyBlob(table->hBlobs[i]);
            FreeBlobTable(table);
        }
        CHECK_EQ(count_lines(args), before);
        DestroyBlob(filter);
    }

    /* b. IRTC. */
    nic = remote_nic("capturehost", g_fake);
    CHECK_RC(npp_create(nic, &h), NMERR_SUCCESS);
    CHECK_RC(rtc_connect(h, cfg, NULL, on_frames, NULL, err), NMERR_SUCCESS);
    CHECK_RC(rtc_start(h), NMERR_SUCCESS);
    {
        long long deadline = tu_now_ms() + 30000;
        STATISTICS_EX sx;
        for (;;) {
            memset(&sx, 0, sizeof sx);
            sx.StructSize = sizeof sx;
            if (rtc_get_statistics_ex(h, &sx) == NMERR_SUCCESS && sx.FramesSeen >= N) break;
            if (tu_now_ms() > deadline) break;
            tu_sleep_ms(5);
        }
    }
    CHECK_RC(rtc_stop(h), NMERR_SUCCESS);
    CHECK_EQ(g_frames, N);
    CHECK_EQ(g_bad, 0);
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
    DestroyBlob(nic);

    /* c. errors. */
    {
        HBLOB bad = remote_nic("-oProxyCommand=touch /tmp/pwned-ndisnpp", g_fake);
        CHECK_RC(npp_create(bad, &h), NMERR_INVALID_REMOTE_COMPUTERNAME);
        DestroyBlob(bad);
        bad = remote_nic("capturehost", g_fake);
        SetStringInBlob(bad, OWNER_NPP, CATEGORY_REMOTE, TAG_REMOTE_HOST_KEY_CHECK, "no");
        CHECK_RC(npp_create(bad, &h), NMERR_BLOB_CONVERSION_ERROR);
        DestroyBlob(bad);

        bad = remote_nic("capturehost", "/no/such/nmcap");
        CHECK_RC(npp_create(bad, &h), NMERR_SUCCESS);
        CHECK_RC(DestroyBlob(err), NMERR_SUCCESS);
        CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
        CHECK_RC(esp_connect(h, cfg, NULL, NULL, err), NMERR_REMOTE_NOT_A_SERVER);
        CHECK(ru_get(err, "Error", "Detail") && strstr(ru_get(err, "Error", "Detail"), "/no/such/nmcap"));
        CHECK_STR(ru_get(err, CATEGORY_REMOTE, TAG_REMOTECOMPUTER), "capturehost");
        CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
        DestroyBlob(bad);

        /* A program that is not ndisnpp's nmcap (it answers nothing it should). */
        bad = remote_nic("capturehost", "/bin/true");
        CHECK_RC(npp_create(bad, &h), NMERR_SUCCESS);
        CHECK_RC(esp_connect(h, cfg, NULL, NULL, NULL), NMERR_REMOTE_VERSION_OUTOFSYNC);
        CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
        DestroyBlob(bad);

        bad = remote_nic("ssh://root@127.0.0.1:1", g_fake);
        CHECK_RC(npp_create(bad, &h), NMERR_SUCCESS);
        CHECK_RC(esp_connect(h, cfg, NULL, NULL, NULL), NMERR_NETWORK_ERROR);
        CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
        DestroyBlob(bad);

        /* A server that accepts and never answers: ConnectTimeout (1 s) passes. */
        {
            int lsock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            struct sockaddr_in a;
            socklen_t alen = sizeof a;
            char dest[64];
            memset(&a, 0, sizeof a);
            a.sin_family = AF_INET;
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            CHECK(bind(lsock, (struct sockaddr *)&a, sizeof a) == 0 && listen(lsock, 4) == 0 &&
                  getsockname(lsock, (struct sockaddr *)&a, &alen) == 0);
            snprintf(dest, sizeof dest, "ssh://root@127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
            bad = remote_nic(dest, g_fake);
            SetStringInBlob(bad, OWNER_NPP, CATEGORY_REMOTE, TAG_REMOTE_CONNECT_TIMEOUT, "1");
            CHECK_RC(npp_create(bad, &h), NMERR_SUCCESS);
            CHECK_RC(esp_connect(h, cfg, NULL, NULL, NULL), NMERR_TIMEOUT);
            CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
            DestroyBlob(bad);
            close(lsock);
        }

        /* A name that does not resolve: ssh run in a network namespace of its own with no
         * network (NDISNPP_SSH, a wrapper), so the lookup fails without a packet leaving. */
        {
            char wrapper[320], text[512];
            snprintf(wrapper, sizeof wrapper, "%s/ssh-no-network", g_dir);
            snprintf(text, sizeof text, "#!/bin/sh\nexec unshare -n ssh \"$@\"\n");
            CHECK_EQ(ru_write_text(wrapper, text), 0);
            CHECK_EQ(sh("chmod 755 %s", wrapper), 0);
            setenv("NDISNPP_SSH", wrapper, 1);
            bad = remote_nic("no-such-host.invalid", g_fake);
            CHECK_RC(npp_create(bad, &h), NMERR_SUCCESS);
            CHECK_RC(DestroyBlob(err), NMERR_SUCCESS);
            CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
            CHECK_RC(esp_connect(h, cfg, NULL, NULL, err), NMERR_INVALID_REMOTE_COMPUTERNAME);
            CHECK(ru_get(err, "Error", "Detail") && strstr(ru_get(err, "Error", "Detail"), "no-such-host.invalid"));
            CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
            DestroyBlob(bad);
            unsetenv("NDISNPP_SSH");
        }

        /* The remote program may not capture (it exits 4 and says so, as nmcap does). */
        {
            char noperm[320];
            snprintf(noperm, sizeof noperm, "%s/noperm-nmcap", g_dir);
            CHECK_EQ(ru_write_text(noperm, "#!/bin/sh\necho 'nmcap: eth7: no permission to capture (CAP_NET_RAW)' >&2\n"
                                           "echo '@nmcap 1 end NMERR_ACCESS_DENIED' >&2\nexit 4\n"), 0);
            CHECK_EQ(sh("chmod 755 %s", noperm), 0);
            bad = remote_nic("capturehost", noperm);
            CHECK_RC(npp_create(bad, &h), NMERR_SUCCESS);
            CHECK_RC(DestroyBlob(err), NMERR_SUCCESS);
            CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
            CHECK_RC(esp_connect(h, cfg, NULL, NULL, err), NMERR_ACCESS_DENIED);
            CHECK(ru_get(err, "Error", "Permission") && strstr(ru_get(err, "Error", "Permission"), "CAP_NET_RAW"));
            CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
            DestroyBlob(bad);
        }

        /* An unknown host key: the pinned known_hosts left out of a copy of the configuration. */
        snprintf(cmd, sizeof cmd, "sed 's|UserKnownHostsFile .*|UserKnownHostsFile /dev/null|' %s/ssh_config > %s/ssh_config_unknown", g_dir, g_dir);
        CHECK_EQ(sh("%s", cmd), 0);
        snprintf(cmd, sizeof cmd, "%s/ssh_config_unknown", g_dir);
        setenv("NDISNPP_SSH_CONFIG", cmd, 1);
        bad = remote_nic("capturehost", g_fake);
        SetStringInBlob(bad, OWNER_NPP, CATEGORY_REMOTE, TAG_REMOTE_HOST_KEY_CHECK, "yes");
        CHECK_RC(npp_create(bad, &h), NMERR_SUCCESS);
        CHECK_RC(DestroyBlob(err), NMERR_SUCCESS);
        CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
        CHECK_RC(esp_connect(h, cfg, NULL, NULL, err), NMERR_ACCESS_DENIED);
        CHECK(ru_get(err, "Error", "Permission") && strstr(ru_get(err, "Error", "Permission"), "Host key verification failed"));
        CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
        DestroyBlob(bad);
        snprintf(cmd, sizeof cmd, "%s/ssh_config", g_dir);
        setenv("NDISNPP_SSH_CONFIG", cmd, 1);
        CHECK(!ru_exists("/tmp/pwned-ndisnpp"));
    }

    /* d. the connection lost mid-capture. */
    nic = remote_nic("capturehost", g_hang);
    CHECK_RC(npp_create(nic, &h), NMERR_SUCCESS);
    CHECK_RC(esp_connect(h, cfg, on_status, NULL, NULL), NMERR_SUCCESS);
    CHECK_RC(esp_start(h, name, sizeof name), NMERR_SUCCESS);
    CHECK_EQ(ru_wait_captured(esp_get_statistics_ex, h, N), N);
    /* The server's session process of the capture: kill it (as a network loss would end it). */
    snprintf(cmd, sizeof cmd,
             "for p in $(pgrep -f '^/bin/sh %s'); do s=$p; while [ \"$(ps -o ppid= -p $s | tr -d ' ')\" != \"$(cat %s/sshd.pid)\" ]; do "
             "s=$(ps -o ppid= -p $s | tr -d ' '); [ \"$s\" -gt 1 ] || break; done; kill -9 $s; done",
             g_hang, g_dir);
    CHECK_EQ(sh("%s", cmd), 0);
    CHECK(tu_wait_stopped(esp_get_control_state, h));
    {
        long long deadline = tu_now_ms() + 30000;
        while (!g_lost_end && tu_now_ms() < deadline) tu_sleep_ms(5);
    }
    CHECK(g_remote_failure);
    CHECK(g_lost_end);
    CHECK(g_order_ok);
    CHECK_RC(esp_stop(h, &st), NMERR_NOT_CAPTURING);
    {
        char detail[512];
        CHECK_RC(npp_get_error_detail(h, detail, sizeof detail), NMERR_SUCCESS);
        printf("  after the loss: %s\n", detail);
        CHECK(strstr(detail, "lost the remote capture") != NULL);
    }
    {
        char *lines;
        snprintf(cmd, sizeof cmd, "TZ=UTC capinfos -c -M %s | sed -n 's/^Number of packets: *//p'", name);
        lines = run_capture(cmd, &status);
        CHECK(lines && atoi(lines) == N);
        free(lines);
    }
    /* e. QueryStations. */
    {
        QUERYTABLE *q = calloc(1, sizeof(QUERYTABLE) + 3 * sizeof(STATIONQUERY));
        q->nStationQueries = 4;
        CHECK_RC(esp_query_stations(h, q), NMERR_NOT_SUPPORTED);
        free(q);
    }
    CHECK_RC(esp_disconnect(h), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
    DestroyBlob(nic);
    CHECK(wait_no_process(g_hang));

    /* d2. a network gone silent (every process of the server's side of the connection stopped):
     *     Stop still returns, with the frames that came in the file; then destroy returns. */
    nic = remote_nic("capturehost", g_hang);
    CHECK_RC(npp_create(nic, &h), NMERR_SUCCESS);
    CHECK_RC(esp_connect(h, cfg, NULL, NULL, NULL), NMERR_SUCCESS);
    CHECK_RC(esp_start(h, name, sizeof name), NMERR_SUCCESS);
    CHECK_EQ(ru_wait_captured(esp_get_statistics_ex, h, N), N);
    {
        char silent[2048];
        snprintf(silent, sizeof silent,
                 "for p in $(pgrep -f '^/bin/sh %s'); do s=$p; while [ \"$s\" -gt 1 ] && [ \"$s\" != \"$(cat %s/sshd.pid)\" ]; do "
                 "echo $s; s=$(ps -o ppid= -p $s | tr -d ' '); done; done > %s/silent.pids; kill -STOP $(cat %s/silent.pids)",
                 g_hang, g_dir, g_dir, g_dir);
        CHECK_EQ(system(silent), 0);
    }
    CHECK_RC(esp_stop(h, &st), NMERR_SUCCESS);
    CHECK_EQ(st.TotalFramesCaptured, N);
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
    DestroyBlob(nic);
    {
        char *lines;
        snprintf(cmd, sizeof cmd, "TZ=UTC capinfos -c -M %s | sed -n 's/^Number of packets: *//p'", name);
        lines = run_capture(cmd, &status);
        CHECK(lines && atoi(lines) == N);
        free(lines);
    }
    snprintf(cmd, sizeof cmd, "kill -9 $(cat %s/silent.pids); kill -CONT $(cat %s/silent.pids) 2>/dev/null; true", g_dir, g_dir);
    sh("%s", cmd);
    /* f. nothing left. */
    CHECK(wait_no_process(g_hang));
    CHECK(wait_no_process(g_fake));

    /* h. the application killed (SIGKILL) mid-capture: its ssh sees the end of its input, the
     *    remote program ends, and nothing of it is left. */
    {
        int ready[2];
        pid_t child;
        CHECK_EQ(pipe(ready), 0);
        child = fork();
        if (child == 0) {
            HNPP hc = NULL;
            HBLOB cn = remote_nic("capturehost", g_fake);
            char nm[512];
            if (npp_create(cn, &hc) == NMERR_SUCCESS && esp_connect(hc, cfg, NULL, NULL, NULL) == NMERR_SUCCESS &&
                esp_start(hc, nm, sizeof nm) == NMERR_SUCCESS) {
                ssize_t w = write(ready[1], "1", 1);
                (void)w;
                for (;;) pause();
            }
            _exit(1);
        }
        {
            char b = 0;
            ssize_t r = read(ready[0], &b, 1);
            CHECK(r == 1 && b == '1');
        }
        CHECK(processes_with(g_fake) > 0);
        {
            /* The child's ssh ControlMaster (its socket is named after the child's pid). */
            char master[64];
            snprintf(master, sizeof master, "/m-%d-", (int)child);
            CHECK_EQ(masters_with(master), 1);
            kill(child, SIGKILL);
            waitpid(child, NULL, 0);
            CHECK(wait_no_process(g_fake));
            CHECK(wait_no_process(master));
        }
        close(ready[0]);
        close(ready[1]);
    }

    /* i. 20 NPPs capturing from one host at once, each every frame. */
    {
        enum { K = 20 };
        HNPP hs[K];
        HBLOB ns = remote_nic("capturehost", g_fake);
        char nm[512];
        int i, all = 1;
        for (i = 0; i < K; i++) {
            hs[i] = NULL;
            CHECK_RC(npp_create(ns, &hs[i]), NMERR_SUCCESS);
            CHECK_RC(esp_connect(hs[i], cfg, NULL, NULL, NULL), NMERR_SUCCESS);
            CHECK_RC(esp_start(hs[i], nm, sizeof nm), NMERR_SUCCESS);
        }
        for (i = 0; i < K; i++) all &= ru_wait_captured(esp_get_statistics_ex, hs[i], N) == N;
        CHECK(all);
        {
            /* One ssh connection per 8 NPPs (private ControlMasters): 3 for 20. */
            char master[64];
            snprintf(master, sizeof master, "/m-%d-", (int)getpid());
            CHECK_EQ(masters_with(master), 3);
        }
        for (i = 0; i < K; i++) {
            CHECK_RC(esp_stop(hs[i], &st), NMERR_SUCCESS);
            all &= st.TotalFramesCaptured == N;
            CHECK_RC(npp_destroy(hs[i]), NMERR_SUCCESS);
        }
        CHECK(all);
        DestroyBlob(ns);
        CHECK(wait_no_process(g_fake));
        {
            char master[64];
            snprintf(master, sizeof master, "/m-%d-", (int)getpid());
            CHECK(wait_no_process(master));
        }
    }

    /* j. The COM-style objects on a remote NIC BLOB: IESP through CreateNPPInterface. */
    {
        HBLOB cn = remote_nic("capturehost", g_fake);
        IESP *p = NULL;
        char nm[MAX_PATH];
        STATISTICS cs;
        CHECK_RC(CreateNPPInterface(cn, &IID_IESP, (void **)&p), NMERR_SUCCESS);
        if (p) {
            CHECK_RC(IESP_Connect(p, cfg, NULL, NULL, NULL), NMERR_SUCCESS);
            CHECK_RC(IESP_Start(p, nm), NMERR_SUCCESS);
            {
                long long deadline = tu_now_ms() + 30000;
                BOOL running = FALSE, paused = FALSE;
                NETWORKSTATUS ns;
                CHECK_RC(IESP_GetControlState(p, &running, &paused), NMERR_SUCCESS);
                CHECK(running && !paused);
                CHECK_RC(IESP_QueryStatus(p, &ns), NMERR_SUCCESS);
                CHECK_EQ(ns.State, NETWORKSTATUS_STATE_CAPTURING);
                memset(&cs, 0, sizeof cs);
                while (tu_now_ms() < deadline) {
                    CHECK_RC(IESP_Pause(p, &cs), NMERR_SUCCESS);
                    CHECK_RC(IESP_Resume(p), NMERR_SUCCESS);
                    if (cs.TotalFramesCaptured >= N) break;
                    tu_sleep_ms(20);
                }
            }
            CHECK_RC(IESP_Stop(p, &cs), NMERR_SUCCESS);
            CHECK_EQ(cs.TotalFramesCaptured, N);
            CHECK_RC(IESP_Disconnect(p), NMERR_SUCCESS);
            IESP_Release(p);
        }
        DestroyBlob(cn);
        CHECK(wait_no_process(g_fake));
    }

    /* g. the real nmcap on the "remote" host (this one, through sshd): a remote capture of a veth
     *    end equals a local capture of the same frames, frame for frame (tshark). */
#ifdef NDISNPP_NMCAP
    {
        char ns[64], veth[32], peer[32], local_name[512], remote_name[512];
        HNPP hl = NULL, hr = NULL;
        HBLOB lnic, rnic;
        int ok;
        snprintf(ns, sizeof ns, "ndisnpp-rm-%d", (int)getpid());
        snprintf(veth, sizeof veth, "npprm%d", (int)getpid() % 100000);
        snprintf(peer, sizeof peer, "npprp%d", (int)getpid() % 100000);
        ok = sh("ip netns add %s", ns) == 0 &&
             sh("ip link add %s type veth peer name %s netns %s", veth, peer, ns) == 0 &&
             sh("sysctl -qw net.ipv6.conf.%s.disable_ipv6=1", veth) == 0 &&
             sh("ip netns exec %s sysctl -qw net.ipv6.conf.all.disable_ipv6=1", ns) == 0 &&
             sh("ip link set %s up && ip -n %s link set %s up", veth, ns, peer) == 0;
        CHECK(ok);
        lnic = ru_blob1(CATEGORY_LOCATION, TAG_NAME, veth);
        rnic = ru_blob1(CATEGORY_LOCATION, TAG_NAME, veth);
        SetStringInBlob(rnic, OWNER_NPP, CATEGORY_REMOTE, TAG_REMOTECOMPUTER, "capturehost");
        SetStringInBlob(rnic, OWNER_NPP, CATEGORY_REMOTE, TAG_REMOTE_PROGRAM, NDISNPP_NMCAP);
        CHECK_RC(npp_create(lnic, &hl), NMERR_SUCCESS);
        CHECK_RC(npp_create(rnic, &hr), NMERR_SUCCESS);
        CHECK_RC(esp_connect(hl, cfg, NULL, NULL, NULL), NMERR_SUCCESS);
        CHECK_RC(esp_connect(hr, cfg, NULL, NULL, NULL), NMERR_SUCCESS);
        CHECK_RC(esp_start(hl, local_name, sizeof local_name), NMERR_SUCCESS);
        CHECK_RC(esp_start(hr, remote_name, sizeof remote_name), NMERR_SUCCESS);
        /* N frames of EtherType 0x88B5 into the veth, from its peer in the namespace. */
        CHECK_EQ(sh("ip netns exec %s python3 -c \"import socket\ns=socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\n"
                    "s.bind(('%s', 0))\nfor i in range(%d): s.send(b'\\xff'*6 + b'\\x02\\0\\0\\0\\0\\2' + b'\\x88\\xb5' + bytes([i])*(46+i))\"",
                    ns, peer, N), 0);
        CHECK_EQ(ru_wait_captured(esp_get_statistics_ex, hl, N), N);
        CHECK_EQ(ru_wait_captured(esp_get_statistics_ex, hr, N), N);
        /* The remote kernel's counters arrive every second (pcapng statistics blocks): the veth
         * end received exactly the N frames there, none dropped. */
        {
            long long deadline = tu_now_ms() + 30000;
            STATISTICS_EX sx;
            do {
                tu_sleep_ms(50);
                memset(&sx, 0, sizeof sx);
                sx.StructSize = sizeof sx;
                CHECK_RC(esp_get_statistics_ex(hr, &sx), NMERR_SUCCESS);
            } while (sx.KernelFramesReceived < N && tu_now_ms() < deadline);
            CHECK_EQ(sx.KernelFramesReceived, N);
            CHECK_EQ(sx.KernelFramesDropped, 0);
        }
        CHECK_RC(esp_stop(hl, &st), NMERR_SUCCESS);
        CHECK_EQ(st.TotalFramesCaptured, N);
        CHECK_RC(esp_stop(hr, &st), NMERR_SUCCESS);
        CHECK_EQ(st.TotalFramesCaptured, N);
        CHECK_EQ(st.MacFramesReceived, N);
        CHECK_EQ(st.MacFramesDropped_NoBuffers, 0);
        {
            char *a, *b;
            /* Every field equal; the times too, within a millisecond: each capture socket reads
             * the clock for itself when the kernel copies the frame to it. */
            const char *fields = "-T fields -e frame.len -e frame.cap_len -e eth.src -e eth.type -e data.data";
            snprintf(cmd, sizeof cmd, "TZ=UTC tshark -r %s %s", local_name, fields);
            a = run_capture(cmd, &status);
            snprintf(cmd, sizeof cmd, "TZ=UTC tshark -r %s %s", remote_name, fields);
            b = run_capture(cmd, &status);
            CHECK(a && b && strlen(a) > 0 && strcmp(a, b) == 0);
            if (a && b && strcmp(a, b) != 0) printf("  local:\n%s  remote:\n%s", a, b);
            free(a);
            free(b);
            {
                char script[400];
                FILE *f;
                snprintf(script, sizeof script, "%s/times.sh", g_dir);
                if ((f = fopen(script, "w"))) {
                    fprintf(f,
                            "paste <(TZ=UTC tshark -r %s -T fields -e frame.time_epoch) <(TZ=UTC tshark -r %s -T fields -e frame.time_epoch) | "
                            "awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > m) m = d; n++ } END { print n, (m < 0.001) }'\n",
                            local_name, remote_name);
                    fclose(f);
                }
                snprintf(cmd, sizeof cmd, "bash %s", script);
            }
            a = run_capture(cmd, &status);
            printf("  frames, times within 1 ms: %s", a ? a : "(none)\n");
            CHECK(a && atoi(a) == N && strstr(a, " 1"));
            free(a);
        }
        CHECK_RC(npp_destroy(hl), NMERR_SUCCESS);
        CHECK_RC(npp_destroy(hr), NMERR_SUCCESS);
        /* k. every file family and format, and IRTC's descriptors. */
        {
            static const file_family esp = {esp_connect, esp_start, esp_stop, esp_get_statistics_ex, "IESP"};
            static const file_family dc = {dc_connect, dc_start, dc_stop, dc_get_statistics_ex, "IDelaydC"};
            HBLOB capcfg = ru_config(capdir);
            compare_files(&esp, "NETMON2", lnic, rnic, capcfg, ns, peer);
            compare_files(&esp, "PCAP", lnic, rnic, capcfg, ns, peer);
            compare_files(&dc, "PCAPNG", lnic, rnic, capcfg, ns, peer);
            compare_files(&dc, "NETMON2", lnic, rnic, capcfg, ns, peer);
            compare_rtc(lnic, rnic, capcfg, ns, peer);
            DestroyBlob(capcfg);
        }
        DestroyBlob(lnic);
        DestroyBlob(rnic);
        CHECK(wait_no_process(veth));
        /* The real nmcap's refusals: an interface that is not there. */
        {
            HBLOB bad = ru_blob1(CATEGORY_LOCATION, TAG_NAME, "nosuch0");
            HBLOB e2 = NULL;
            SetStringInBlob(bad, OWNER_NPP, CATEGORY_REMOTE, TAG_REMOTECOMPUTER, "capturehost");
            SetStringInBlob(bad, OWNER_NPP, CATEGORY_REMOTE, TAG_REMOTE_PROGRAM, NDISNPP_NMCAP);
            CHECK_RC(CreateBlob(&e2), NMERR_SUCCESS);
            CHECK_RC(npp_create(bad, &hl), NMERR_SUCCESS);
            CHECK_RC(esp_connect(hl, cfg, NULL, NULL, e2), NMERR_NETWORK_NOT_PRESENT);
            CHECK(ru_get(e2, "Error", "Detail") && strstr(ru_get(e2, "Error", "Detail"), "nosuch0"));
            CHECK_RC(npp_destroy(hl), NMERR_SUCCESS);
            DestroyBlob(bad);
            DestroyBlob(e2);
        }
        sh("ip link del %s", veth);
        sh("ip netns del %s", ns);
    }
#else
    SKIP_PART("g: nmcap is not built (NDISNPP_BUILD_TOOLS off)");
#endif

    DestroyBlob(cfg);
    DestroyBlob(err);
    snprintf(cmd, sizeof cmd, "bash %s/scripts/test-sshd.sh stop %s", ROOT_DIR, g_dir);
    CHECK_EQ(sh("%s", cmd), 0);
    return check_done("test_remote");
}
