/* The remote NIC from C++ through the COM-style objects: IRTC and IStats created with
 * CreateNPPInterface on a remote NIC BLOB (NPP:Remote:RemoteComputer), against a private sshd on
 * 127.0.0.1 (scripts/test-sshd.sh) and a stand-in remote program that streams a pcapng file as
 * ndisnpp's nmcap does (protocol 1). IRTC: every frame reaches the frames callback, byte for byte;
 * IStats: the statistics count them. Needs root and openssh-server (exit 77 without them). */
#include <unistd.h>
#include <string>
#include "check.h"
#include "replay_util.h"
#include "shell_util.h"

static const int N = 30;
static unsigned g_frames, g_bad;

static DWORD on_frames(UPDATE_EVENT e) {
    LPFRAMETABLE t = e.lpFrameTable;
    if (!t) return 0;
    for (DWORD k = 0, i = t->StartIndex; k < t->FrameCount; k++, i = (i + 1) % t->FrameTableLength) {
        const FRAME_DESCRIPTOR &d = t->Frames[i];
        unsigned n = g_frames++;
        if (d.nBytesAvail != RU_FRAME_LEN(n) || d.FramePointer[20] != static_cast<unsigned char>(n + 1)) g_bad++;
    }
    return 0;
}

static HBLOB remote_nic(const std::string &program) {
    HBLOB b = ru_blob1(CATEGORY_LOCATION, TAG_NAME, "eth7");
    SetStringInBlob(b, OWNER_NPP, CATEGORY_REMOTE, TAG_REMOTECOMPUTER, "capturehost");
    SetStringInBlob(b, OWNER_NPP, CATEGORY_REMOTE, TAG_REMOTE_PROGRAM, program.c_str());
    return b;
}

int main() {
    if (geteuid() != 0) {
        printf("SKIPPED: needs root (the private sshd logs root in)\n");
        return 77;
    }
    const std::string dir = "/tmp/ndisnpp-test-remote-cpp-" + std::to_string(getpid());
    int status = 0;
    char *out = run_capture(("bash " NDISNPP_SOURCE_DIR "/scripts/test-sshd.sh start " + dir).c_str(), &status);
    free(out);
    if (status == 77) {
        printf("SKIPPED: openssh-server is not installed\n");
        return 77;
    }
    CHECK_EQ(status, 0);
    if (status != 0) return check_done("test_remote_cpp");
    setenv("NDISNPP_SSH_CONFIG", (dir + "/ssh_config").c_str(), 1);
    const std::string pcap = dir + "/in.pcap", stream = dir + "/stream.pcapng", prog = dir + "/fake-nmcap";
    CHECK_EQ(ru_write_pcap(pcap.c_str(), N), 0);
    CHECK_EQ(sh("editcap -F pcapng %s %s", pcap.c_str(), stream.c_str()), 0);
    const std::string script = "#!/bin/sh\ncase \"$1\" in\n"
                               "--probe) echo '@nmcap 1 ok test' >&2 ;;\n"
                               "--stream) echo '@nmcap 1 ready' >&2; cat " + stream +
                               "; cat >/dev/null; echo '@nmcap 1 end NMERR_SUCCESS' >&2 ;;\n"
                               "*) exit 2 ;;\nesac\n";
    CHECK_EQ(ru_write_text(prog.c_str(), script.c_str()), 0);
    CHECK_EQ(sh("chmod 755 %s", prog.c_str()), 0);
    HBLOB nic = remote_nic(prog);

    /* IRTC through its C++ interface. */
    void *pv = nullptr;
    CHECK_RC(CreateNPPInterface(nic, IID_IRTC, &pv), NMERR_SUCCESS);
    IRTC *rtc = static_cast<IRTC *>(pv);
    if (rtc) {
        CHECK_RC(rtc->Connect(nic, nullptr, reinterpret_cast<LPVOID>(on_frames), nullptr, nullptr), NMERR_SUCCESS);
        CHECK_RC(rtc->Start(), NMERR_SUCCESS);
        long long deadline = tu_now_ms() + 30000;
        STATISTICS st;
        do {
            tu_sleep_ms(20);
            memset(&st, 0, sizeof st);
            CHECK_RC(rtc->GetTotalStatistics(&st, FALSE), NMERR_SUCCESS);
        } while (st.TotalFramesCaptured < static_cast<DWORD>(N) && tu_now_ms() < deadline);
        CHECK_RC(rtc->Stop(), NMERR_SUCCESS);
        CHECK_EQ(g_frames, N);
        CHECK_EQ(g_bad, 0);
        CHECK_RC(rtc->Disconnect(), NMERR_SUCCESS);
        CHECK_EQ(rtc->Release(), 0);
    }

    /* IStats: the statistics of the remote frames. */
    pv = nullptr;
    CHECK_RC(CreateNPPInterface(nic, IID_IStats, &pv), NMERR_SUCCESS);
    IStats *stats = static_cast<IStats *>(pv);
    if (stats) {
        CHECK_RC(stats->Connect(nic, nullptr, nullptr, nullptr), NMERR_SUCCESS);
        CHECK_RC(stats->Start(), NMERR_SUCCESS);
        long long deadline = tu_now_ms() + 30000;
        STATISTICS st;
        do {
            tu_sleep_ms(20);
            memset(&st, 0, sizeof st);
            CHECK_RC(stats->GetTotalStatistics(&st, FALSE), NMERR_SUCCESS);
        } while (st.TotalFramesSeen < static_cast<DWORD>(N) && tu_now_ms() < deadline);
        CHECK_EQ(st.TotalFramesSeen, N);
        CHECK_EQ(st.TotalBytesSeen, ru_bytes_of(N));
        CHECK_RC(stats->Stop(), NMERR_SUCCESS);
        CHECK_RC(stats->Disconnect(), NMERR_SUCCESS);
        CHECK_EQ(stats->Release(), 0);
    }
    DestroyBlob(nic);
    sh("bash %s/scripts/test-sshd.sh stop %s", NDISNPP_SOURCE_DIR, dir.c_str());
    return check_done("test_remote_cpp");
}
