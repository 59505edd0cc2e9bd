/* The Network Monitor statistics frame: unless NPP:Config:NoStatsFrame is TRUE, Stop appends the
 * ESTATFRAME ("$MST", STATS_FRAME_TYPE) to a Network Monitor 2 file, after the captured frames and
 * not counted among them; pcap/pcapng files and empty captures get none; tshark reads the file. */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include "replay_util.h"
#include <stdint.h>
#include <stdlib.h>

static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

/* Reads a Network Monitor 2 file: frame count, and the last frame's stored bytes into `last`. */
static long netmon_frames(const char *path, uint8_t *last, uint32_t *last_len) {
    FILE *f = fopen(path, "rb");
    static uint8_t buf[1 << 20];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f) fclose(f);
    if (n < 128 || memcmp(buf, "GMBU", 4) != 0) return -1;
    uint32_t tab = le32(buf + 0x18), tlen = le32(buf + 0x1C);
    long count = (long)(tlen / 4);
    if (count > 0 && tab + tlen <= n) {
        uint32_t rec = le32(buf + tab + 4 * (count - 1));
        *last_len = le32(buf + rec + 12);
        if (rec + 16 + *last_len <= n) memcpy(last, buf + rec + 16, *last_len < 2048 ? *last_len : 2048);
    }
    return count;
}

static long capinfos_count(const char *path) {
    char cmd[1024], line[256];
    long count = -1;
    snprintf(cmd, sizeof cmd, "TZ=UTC capinfos -c -M '%s' 2>/dev/null", path);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    while (fgets(line, sizeof line, p))
        if (strstr(line, "Number of packets:")) count = strtol(strchr(line, ':') + 1, NULL, 10);
    pclose(p);
    return count;
}

/* Captures the replay file through esp_* with `cfg` merged in; returns the file name in `name`. */
static void capture(const char *replay, const char *dir, HBLOB cfg, unsigned want, char *name, size_t room, STATISTICS *st) {
    HBLOB nic = ru_replay_nic(replay), conf = ru_config(dir);
    HNPP h = NULL;
    CHECK_RC(MergeBlob(conf, cfg), NMERR_SUCCESS);
    CHECK_RC(npp_create(nic, &h), NMERR_SUCCESS);
    CHECK_RC(esp_connect(h, conf, NULL, NULL, NULL), NMERR_SUCCESS);
    CHECK_RC(esp_start(h, name, room), NMERR_SUCCESS);
    CHECK_EQ(ru_wait_captured(esp_get_statistics_ex, h, want), want);
    CHECK_RC(esp_stop(h, st), NMERR_SUCCESS);
    CHECK_RC(esp_disconnect(h), NMERR_SUCCESS);
    CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
    DestroyBlob(nic);
    DestroyBlob(conf);
}

int main(void) {
    char dir[512], replay[600], empty[600], name[4096];
    static uint8_t last[2048];
    uint32_t last_len = 0;
    STATISTICS st;
    int have_tshark = system("command -v capinfos >/dev/null 2>&1") == 0;
    if (ru_mkdtemp(dir, sizeof dir, "ndisnpp-statsframe") != 0) return 2;
    snprintf(replay, sizeof replay, "%s/five.pcap", dir);
    snprintf(empty, sizeof empty, "%s/none.pcap", dir);
    CHECK(ru_write_pcap(replay, 5) == 0);
    CHECK(ru_write_pcap(empty, 0) == 0);

    /* default: 5 frames + the statistics frame */
    HBLOB cfg = ru_blob1(CATEGORY_CONFIG, TAG_FILE_FORMAT, "NETMON2");
    capture(replay, dir, cfg, 5, name, sizeof name, &st);
    CHECK_EQ(st.TotalFramesCaptured, 5); /* the statistics frame is not a captured frame */
    CHECK_EQ(netmon_frames(name, last, &last_len), 6);
    CHECK_EQ(last_len, 128);
    CHECK(memcmp(last + 22, "$MST", 4) == 0);
    CHECK_EQ(le32(last + 30), STATS_FRAME_TYPE);
    CHECK_EQ(last[34] | last[35] << 8, 92);
    CHECK_EQ(le32(last + 36), STATISTICS_VERSION_2_0);
    CHECK_EQ(le32(last + 48), st.TotalFramesCaptured);  /* STATISTICS.TotalFramesCaptured */
    CHECK_EQ(le32(last + 52), st.TotalBytesCaptured);
    CHECK_EQ(le32(last + 72), st.TotalFramesSeen);
    CHECK(last[14] == 0xAA && last[15] == 0xAA && last[16] == 0x03 && last[20] == 0x84 && last[21] == 0x19);
    if (have_tshark) CHECK_EQ(capinfos_count(name), 6);
    remove(name);

    /* NoStatsFrame TRUE: only the captured frames */
    CHECK_RC(SetBoolInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_NO_STATS_FRAME, TRUE), NMERR_SUCCESS);
    capture(replay, dir, cfg, 5, name, sizeof name, &st);
    CHECK_EQ(netmon_frames(name, last, &last_len), 5);
    CHECK(memcmp(last + 22, "$MST", 4) != 0);
    if (have_tshark) CHECK_EQ(capinfos_count(name), 5);
    remove(name);
    DestroyBlob(cfg);

    /* pcap and pcapng: no statistics frame */
    static const char *const other[] = {"PCAP", "PCAPNG"};
    for (int i = 0; i < 2; i++) {
        cfg = ru_blob1(CATEGORY_CONFIG, TAG_FILE_FORMAT, other[i]);
        capture(replay, dir, cfg, 5, name, sizeof name, &st);
        if (have_tshark) CHECK_EQ(capinfos_count(name), 5);
        remove(name);
        DestroyBlob(cfg);
    }

    /* an empty capture kept on request has no statistics frame either */
    cfg = ru_blob1(CATEGORY_CONFIG, TAG_DONT_DELETE_EMPTY_CAPTURE, "TRUE");
    capture(empty, dir, cfg, 0, name, sizeof name, &st);
    CHECK_EQ(st.TotalFramesCaptured, 0);
    CHECK_EQ(netmon_frames(name, last, &last_len), 0);
    remove(name);
    DestroyBlob(cfg);

    ru_rm_tree(dir);
    return check_done("test_stats_frame");
}
