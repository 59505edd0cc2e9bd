/* Shared by bench/rtc_replay.c and bench/rtc_live.c: the IRTC sizes from the command line and the
 * NIC and configuration BLOBs they make. Written against include/netmon.h only. */
#ifndef NDISNPP_BENCH_RTC_SETUP_H
#define NDISNPP_BENCH_RTC_SETUP_H
#include <stdlib.h>
#include "netmon.h"

typedef struct {
    unsigned long bufsize, table, update; /* NPP:Config:BufferSize, FrameTableLength, UpdateInterval */
    int no_conv;                          /* NPP:Config:NoConversationStats */
} RtcSizes;

#define RTC_SIZES_DEFAULT {8388608, 65536, 100, 0}

/* One getopt option of the shared set (-b BYTES, -t LEN, -u MS, -C); 1 when `opt` was one. */
static int rtc_sizes_option(RtcSizes *s, int opt, const char *arg) {
    switch (opt) {
    case 'b': s->bufsize = strtoul(arg, NULL, 10); return 1;
    case 't': s->table = strtoul(arg, NULL, 10); return 1;
    case 'u': s->update = strtoul(arg, NULL, 10); return 1;
    case 'C': s->no_conv = 1; return 1;
    default: return 0;
    }
}

/* The NIC BLOB (NPP:Location:<tag> = where) and the configuration BLOB of `s`; *what names the
 * call that failed. */
static DWORD rtc_blobs(const RtcSizes *s, const char *tag, const char *where, HBLOB *nic, HBLOB *cfg, const char **what) {
    DWORD rc;
    *what = "CreateBlob";
    if ((rc = CreateBlob(nic)) != NMERR_SUCCESS || (rc = CreateBlob(cfg)) != NMERR_SUCCESS) return rc;
    *what = "SetInBlob";
    if ((rc = SetStringInBlob(*nic, OWNER_NPP, CATEGORY_LOCATION, tag, where)) != NMERR_SUCCESS ||
        (rc = SetDwordInBlob(*cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_BUFFER_SIZE, (DWORD)s->bufsize)) != NMERR_SUCCESS ||
        (rc = SetDwordInBlob(*cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_FRAME_TABLE_LENGTH, (DWORD)s->table)) != NMERR_SUCCESS ||
        (rc = SetDwordInBlob(*cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_UPDATE_INTERVAL, (DWORD)s->update)) != NMERR_SUCCESS ||
        (rc = SetBoolInBlob(*cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_NO_CONVERSATION_STATS, s->no_conv)) != NMERR_SUCCESS)
        return rc;
    return NMERR_SUCCESS;
}
#endif
