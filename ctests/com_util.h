/* Shared by the COM-style object tests (test_com.c, test_com_cpp.cpp): a replay NIC of CU_FRAMES
 * frames, a private capture directory, a Connect BLOB, and callbacks that count what they get.
 * Include after check.h and replay_util.h. */
#ifndef NDISNPP_COM_UTIL_H
#define NDISNPP_COM_UTIL_H

#define CU_FRAMES 20u

static char cu_dir[256], cu_replay[320], cu_capdir[320];
static HBLOB cu_nic, cu_cfg;
static unsigned cu_frames_seen, cu_terminations;

/* Status callback: counts UPDATE_EVENT_TERMINATE_THREAD (the end of a connection). */
static inline DWORD cu_status_cb(UPDATE_EVENT ev) {
    if (ev.Event == UPDATE_EVENT_TERMINATE_THREAD) __atomic_add_fetch(&cu_terminations, 1u, __ATOMIC_SEQ_CST);
    return 0;
}

/* IRTC frames callback: counts the frames handed over. */
static inline DWORD cu_frames_cb(UPDATE_EVENT ev) {
    if (ev.lpFrameTable) __atomic_add_fetch(&cu_frames_seen, ev.lpFrameTable->FrameCount, __ATOMIC_SEQ_CST);
    return 0;
}

static inline unsigned cu_load(const unsigned *counter) { return __atomic_load_n(counter, __ATOMIC_SEQ_CST); }

/* Waits (bounded) until *counter reaches want; returns the last value. */
static inline unsigned cu_wait_count(const unsigned *counter, unsigned want) {
    long long deadline = ru_now_ms() + RU_DEADLINE_MS;
    while (cu_load(counter) < want && ru_now_ms() < deadline) ru_sleep_ms(2);
    return cu_load(counter);
}

/* The replay file, the capture directory and the Connect BLOB (captures into cu_capdir, keeps
 * empty captures, delivers IRTC frames every 10 ms). 0 on success. */
static inline int cu_setup(const char *prefix) {
    if (ru_mkdtemp(cu_dir, sizeof cu_dir, prefix) != 0) return -1;
    snprintf(cu_replay, sizeof cu_replay, "%s/replay.pcap", cu_dir);
    snprintf(cu_capdir, sizeof cu_capdir, "%s/captures", cu_dir);
    if (ru_write_pcap(cu_replay, CU_FRAMES) != 0) return -1;
    cu_nic = ru_replay_nic(cu_replay);
    cu_cfg = ru_config(cu_capdir);
    if (!cu_nic || !cu_cfg) return -1;
    if (SetStringInBlob(cu_cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_DONT_DELETE_EMPTY_CAPTURE, "TRUE") != NMERR_SUCCESS) return -1;
    if (SetStringInBlob(cu_cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_UPDATE_INTERVAL, "10") != NMERR_SUCCESS) return -1;
    return 0;
}

static inline void cu_teardown(void) {
    DestroyBlob(cu_nic);
    DestroyBlob(cu_cfg);
    ru_rm_tree(cu_dir);
}

/* A capture file name that Start wrote: in the capture directory, and the file exists. */
static inline int cu_name_ok(const char *name) {
    return strncmp(name, cu_capdir, strlen(cu_capdir)) == 0 && ru_exists(name);
}

/* A Connect BLOB whose capture directory makes every capture file name longer than MAX_PATH. */
static inline HBLOB cu_long_dir_cfg(void) {
    char dir[MAX_PATH + 64];
    size_t n = (size_t)snprintf(dir, sizeof dir, "%s/", cu_dir);
    while (n < MAX_PATH - 8) dir[n++] = 'd';
    dir[n] = 0;
    return ru_config(dir);
}
#endif
