/* The typed-value and capture-configuration BLOB functions: DWORD/BOOL/MAC/CLSID values,
 * NETWORKINFO, GetNPPMacTypeAsNumber, IsRemoteNPP, and the pattern, address (v2), trigger and
 * Etype/SAP filters. For each: success, the stored text, each documented error code, handle
 * misuse, NULL arguments, and "outputs are written only on success". */
#define _POSIX_C_SOURCE 200112L
#include "check.h"
#include <stdint.h>
#include <unistd.h>
#include <ctype.h>
#include <stdlib.h>
#include <stddef.h>

#define FORGED ((HBLOB)(uintptr_t)0x12345678)
#define NB(a) (sizeof(a) / sizeof((a)[0]))

static HBLOB new_blob(void) {
    HBLOB b = NULL;
    CHECK_RC(CreateBlob(&b), NMERR_SUCCESS);
    return b;
}

/* A handle that was valid once. */
static HBLOB dead_blob(void) {
    HBLOB b = new_blob();
    CHECK_RC(DestroyBlob(b), NMERR_SUCCESS);
    return b;
}

/* The stored text of NPP:<category>:<tag>, or NULL when there is none. */
static const char *stored(HBLOB b, const char *category, const char *tag) {
    const char *v = NULL;
    if (GetStringFromBlob(b, OWNER_NPP, category, tag, &v) != NMERR_SUCCESS)
        return NULL;
    return v;
}

/* Whole-structure comparison, padding included: the library writes structures over zeroed bytes,
 * so a Get into a memset-0 structure must be byte-identical to the memset-0 original. (`clear` is
 * kept for the call sites; it is not applied.) On a difference, the differing bytes are named. */
static int padded_equal(const char *what, const void *a, const void *b, size_t size, void (*clear)(void *)) {
    (void)clear;
    if (memcmp(a, b, size) == 0)
        return 1;
    fprintf(stderr, "  %s differs at bytes", what);
    for (size_t i = 0; i < size; i++)
        if (((const unsigned char *)a)[i] != ((const unsigned char *)b)[i])
            fprintf(stderr, " %zu", i);
    fprintf(stderr, "\n");
    return 0;
}

#define CLEAR_GAP(p, T, after, next) \
    memset((char *)(p) + offsetof(T, after) + sizeof(((T *)0)->after), 0, \
           offsetof(T, next) - offsetof(T, after) - sizeof(((T *)0)->after))

static void clear_pattern_pad(PATTERNMATCH *p) { CLEAR_GAP(p, PATTERNMATCH, OffsetBasis, Port); }
static void clear_expression_pad(void *v) {
    EXPRESSION *e = v;
    for (int g = 0; g < 4; g++)
        for (int k = 0; k < 4; k++)
            clear_pattern_pad(&e->AndExp[g].PatternMatch[k]);
}
static void clear_trigger_pad(void *v) {
    TRIGGER *t = v;
    CLEAR_GAP(t, TRIGGER, TriggerAction, TriggerFlags);
    clear_pattern_pad(&t->TriggerPatternMatch);
}
static void clear_netinfo_pad(void *v) { CLEAR_GAP((NETWORKINFO *)v, NETWORKINFO, Reserved, LinkSpeed); }
#define SAME_EXPRESSION(a, b) padded_equal("EXPRESSION", (a), (b), sizeof(EXPRESSION), clear_expression_pad)
#define SAME_TRIGGER(a, b) padded_equal("TRIGGER", (a), (b), sizeof(TRIGGER), clear_trigger_pad)
#define SAME_NETINFO(a, b) padded_equal("NETWORKINFO", (a), (b), sizeof(NETWORKINFO), clear_netinfo_pad)

/* ------------------------------------------------------------------------------------------- */
/* DWORD, BOOL, MAC address, CLSID                                                              */

#define CAT "TestCat"
#define TAG "TestTag"

typedef DWORD (*typed_get)(HBLOB, const char *, const char *, const char *, void *);
static DWORD get_dword(HBLOB b, const char *o, const char *c, const char *t, void *p) { return GetDwordFromBlob(b, o, c, t, p); }
static DWORD get_bool(HBLOB b, const char *o, const char *c, const char *t, void *p) { return GetBoolFromBlob(b, o, c, t, p); }
static DWORD get_mac(HBLOB b, const char *o, const char *c, const char *t, void *p) { return GetMacAddressFromBlob(b, o, c, t, p); }
static DWORD get_clsid(HBLOB b, const char *o, const char *c, const char *t, void *p) { return GetClassIDFromBlob(b, o, c, t, p); }

/* Each of `texts`, stored at NPP:CAT:TAG, reads as the `size` bytes at `want`. */
static void reads_as(typed_get get, size_t size, const char *const *texts, size_t n, const void *want) {
    HBLOB b = new_blob();
    BYTE out[16];
    for (size_t i = 0; i < n; i++) {
        memset(out, 0xA5, sizeof out);
        CHECK_RC(SetStringInBlob(b, OWNER_NPP, CAT, TAG, texts[i]), NMERR_SUCCESS);
        CHECK_RC(get(b, OWNER_NPP, CAT, TAG, out), NMERR_SUCCESS);
        if (memcmp(out, want, size) != 0)
            fprintf(stderr, "  (\"%s\" read wrong)\n", texts[i]);
        CHECK(memcmp(out, want, size) == 0);
    }
    CHECK_RC(DestroyBlob(b), NMERR_SUCCESS);
}

/* Rejected texts, missing entries, NULL arguments and bad handles: the error code, and the
 * caller's bytes untouched. */
static void read_errors(typed_get get, const char *const *rejects, size_t n) {
    HBLOB b = new_blob(), bad[3] = {NULL, dead_blob(), FORGED};
    BYTE out[16], sentinel[16];
    memset(sentinel, 0xA5, sizeof sentinel);
    memcpy(out, sentinel, sizeof out);
    for (size_t i = 0; i < n; i++) {
        CHECK_RC(SetStringInBlob(b, OWNER_NPP, CAT, TAG, rejects[i]), NMERR_SUCCESS);
        CHECK_RC(get(b, OWNER_NPP, CAT, TAG, out), NMERR_BLOB_CONVERSION_ERROR);
        if (memcmp(out, sentinel, sizeof out) != 0)
            fprintf(stderr, "  (\"%s\" was accepted)\n", rejects[i]);
        CHECK(memcmp(out, sentinel, sizeof out) == 0);
        memcpy(out, sentinel, sizeof out);
    }
    CHECK_RC(get(b, OWNER_NPP, CAT, "Nope", out), NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
    CHECK_RC(get(b, OWNER_NPP, "Nope", TAG, out), NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
    CHECK_RC(get(b, "Nope", CAT, TAG, out), NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
    CHECK_RC(get(b, NULL, CAT, TAG, out), NMERR_INVALID_PARAMETER);
    CHECK_RC(get(b, OWNER_NPP, NULL, TAG, out), NMERR_INVALID_PARAMETER);
    CHECK_RC(get(b, OWNER_NPP, CAT, NULL, out), NMERR_INVALID_PARAMETER);
    CHECK_RC(get(b, OWNER_NPP, CAT, TAG, NULL), NMERR_INVALID_PARAMETER);
    for (size_t i = 0; i < NB(bad); i++)
        CHECK_RC(get(bad[i], OWNER_NPP, CAT, TAG, out), NMERR_INVALID_BLOB);
    CHECK(memcmp(out, sentinel, sizeof out) == 0);
    CHECK_RC(DestroyBlob(b), NMERR_SUCCESS);
}

static void typed_values(void) {
    HBLOB b = new_blob(), bad[3] = {NULL, dead_blob(), FORGED};
    static const struct { DWORD v; const char *text; } dwords[] = {{4294967295u, "4294967295"}, {0, "0"}, {0x1234, "4660"}};
    static const BOOL bools[] = {1, 0, 42, -1, (BOOL)0x80000000, 0x100};
    static const BYTE mac[6] = {0x00, 0x1b, 0x2c, 0xff, 0x10, 0x01}, mac_ff[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    static const CLSID clsid = {0x8C3B7A52, 0x1D64, 0x4E0F, {0xA9, 0xB2, 0x6F, 0x1C, 0x0D, 0x3E, 0x5A, 0x47}};
    static const CLSID clsid2 = {0x00000001, 0x0002, 0x0003, {0, 4, 0, 0, 0, 0, 0, 0x0a}};
    static const char *const dword_16[] = {"0x10", "16", " 16 ", "0X10", "0x00000010", "0x0000000010"};
    static const char *const dword_bad[] = {"4294967296", "-1", "abc", "", "0x", "0x100000000", "12abc", "1.5", "0x+10"};
    static const char *const bool_true[] = {"TRUE", "yes", "1", "True", "YeS", " true "};
    static const char *const bool_false[] = {"false", "NO", "0", "False", "nO", " FALSE "};
    static const char *const bool_bad[] = {"maybe", "", "2", "T", "TRUEX", "on", "01"};
    static const char *const mac_good[] = {"00-1b-2c-ff-10-01", "00:1B:2C:FF:10:01", "001b2cFF1001", " 001B2CFF1001 "};
    static const char *const mac_bad[] = {"123", "", "001B2CFF10", "001B2CFF100102", "G01B2CFF1001", "001B2CFF100"};
    static const char *const clsid_good[] = {"8c3b7a52-1d64-4e0f-a9b2-6f1c0d3e5a47", NDISNPP_CLASSID_TXT,
                                             "{8c3b7a52-1D64-4e0F-a9b2-6F1C0D3E5A47}", " {8C3B7A52-1D64-4E0F-A9B2-6F1C0D3E5A47} "};
    static const char *const clsid_bad[] = {
        "{bad}", "", "{8C3B7A52-1D64-4E0F-A9B2-6F1C0D3E5A4}", "{8C3B7A52-1D64-4E0F-A9B26F1C0D3E5A47}",
        "8C3B7A52-1D64-4E0F-A9B2-6F1C0D3E5A47}", "{8C3B7A52-1D64-4E0F-A9B2-6F1C0D3E5A47",
        "{8C3B7A5G-1D64-4E0F-A9B2-6F1C0D3E5A47}", "{8C3B7A52-1D64-4E0F-A9B2-6F1C0D3E5A47-00}",
        "{8C3B7A52_1D64-4E0F-A9B2-6F1C0D3E5A47}", "{+C3B7A52-1D64-4E0F-A9B2-6F1C0D3E5A47}",
        "{8C3B7A52-+D64-4E0F-A9B2-6F1C0D3E5A47}"};
    DWORD d;
    BOOL v;
    BYTE m[6];
    CLSID c;

    /* stored text of each setter, and its getter reads it back */
    for (size_t i = 0; i < NB(dwords); i++) {
        CHECK_RC(SetDwordInBlob(b, OWNER_NPP, CAT, TAG, dwords[i].v), NMERR_SUCCESS);
        CHECK_STR(stored(b, CAT, TAG), dwords[i].text);
        CHECK_RC(GetDwordFromBlob(b, OWNER_NPP, CAT, TAG, &d), NMERR_SUCCESS);
        CHECK_EQ(d, dwords[i].v);
    }
    for (size_t i = 0; i < NB(bools); i++) {
        CHECK_RC(SetBoolInBlob(b, OWNER_NPP, CAT, TAG, bools[i]), NMERR_SUCCESS);
        CHECK_STR(stored(b, CAT, TAG), bools[i] ? "TRUE" : "FALSE");
        CHECK_RC(GetBoolFromBlob(b, OWNER_NPP, CAT, TAG, &v), NMERR_SUCCESS);
        CHECK_EQ(v, bools[i] ? 1 : 0);
    }
    CHECK_RC(SetMacAddressInBlob(b, OWNER_NPP, CAT, TAG, mac), NMERR_SUCCESS);
    CHECK_STR(stored(b, CAT, TAG), "001B2CFF1001");
    CHECK_RC(GetMacAddressFromBlob(b, OWNER_NPP, CAT, TAG, m), NMERR_SUCCESS);
    CHECK(memcmp(m, mac, 6) == 0);
    CHECK_RC(SetMacAddressInBlob(b, OWNER_NPP, CAT, TAG, mac_ff), NMERR_SUCCESS);
    CHECK_STR(stored(b, CAT, TAG), "FFFFFFFFFFFF");
    CHECK_RC(SetClassIDInBlob(b, OWNER_NPP, CAT, TAG, &clsid), NMERR_SUCCESS);
    CHECK_STR(stored(b, CAT, TAG), NDISNPP_CLASSID_TXT);
    CHECK_RC(GetClassIDFromBlob(b, OWNER_NPP, CAT, TAG, &c), NMERR_SUCCESS);
    CHECK(memcmp(&c, &clsid, sizeof c) == 0);
    CHECK_RC(SetClassIDInBlob(b, OWNER_NPP, CAT, TAG, &clsid2), NMERR_SUCCESS);
    CHECK_STR(stored(b, CAT, TAG), "{00000001-0002-0003-0004-00000000000A}");
    CHECK_RC(GetClassIDFromBlob(b, OWNER_NPP, CAT, TAG, &c), NMERR_SUCCESS);
    CHECK(memcmp(&c, &clsid2, sizeof c) == 0);
    /* accepted input forms */
    d = 16;
    reads_as(get_dword, sizeof d, dword_16, NB(dword_16), &d);
    v = TRUE;
    reads_as(get_bool, sizeof v, bool_true, NB(bool_true), &v);
    v = FALSE;
    reads_as(get_bool, sizeof v, bool_false, NB(bool_false), &v);
    reads_as(get_mac, 6, mac_good, NB(mac_good), mac);
    reads_as(get_clsid, sizeof(CLSID), clsid_good, NB(clsid_good), &clsid);
    /* rejected forms, missing entries, NULL arguments, bad handles */
    read_errors(get_dword, dword_bad, NB(dword_bad));
    read_errors(get_bool, bool_bad, NB(bool_bad));
    read_errors(get_mac, mac_bad, NB(mac_bad));
    read_errors(get_clsid, clsid_bad, NB(clsid_bad));
    /* setters: NULL arguments and bad handles */
    CHECK_RC(SetDwordInBlob(b, NULL, CAT, TAG, 1), NMERR_INVALID_PARAMETER);
    CHECK_RC(SetDwordInBlob(b, OWNER_NPP, NULL, TAG, 1), NMERR_INVALID_PARAMETER);
    CHECK_RC(SetDwordInBlob(b, OWNER_NPP, CAT, NULL, 1), NMERR_INVALID_PARAMETER);
    CHECK_RC(SetBoolInBlob(b, OWNER_NPP, NULL, TAG, 1), NMERR_INVALID_PARAMETER);
    CHECK_RC(SetMacAddressInBlob(b, OWNER_NPP, CAT, NULL, mac), NMERR_INVALID_PARAMETER);
    CHECK_RC(SetMacAddressInBlob(b, OWNER_NPP, CAT, TAG, NULL), NMERR_INVALID_PARAMETER);
    CHECK_RC(SetClassIDInBlob(b, NULL, CAT, TAG, &clsid), NMERR_INVALID_PARAMETER);
    CHECK_RC(SetClassIDInBlob(b, OWNER_NPP, CAT, TAG, NULL), NMERR_INVALID_PARAMETER);
    CHECK_STR(stored(b, CAT, TAG), "{00000001-0002-0003-0004-00000000000A}"); /* untouched */
    for (size_t i = 0; i < NB(bad); i++) {
        CHECK_RC(SetDwordInBlob(bad[i], OWNER_NPP, CAT, TAG, 1), NMERR_INVALID_BLOB);
        CHECK_RC(SetBoolInBlob(bad[i], OWNER_NPP, CAT, TAG, 1), NMERR_INVALID_BLOB);
        CHECK_RC(SetMacAddressInBlob(bad[i], OWNER_NPP, CAT, TAG, mac), NMERR_INVALID_BLOB);
        CHECK_RC(SetClassIDInBlob(bad[i], OWNER_NPP, CAT, TAG, &clsid), NMERR_INVALID_BLOB);
    }
    CHECK_RC(DestroyBlob(b), NMERR_SUCCESS);
}

/* ------------------------------------------------------------------------------------------- */
/* NETWORKINFO, GetNPPMacTypeAsNumber, IsRemoteNPP                                              */

static void fill_network_info(NETWORKINFO *ni) {
    static const BYTE perm[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55}, cur[6] = {0x0a, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
    memset(ni, 0, sizeof *ni);
    memcpy(ni->PermanentAddr, perm, 6);
    memcpy(ni->CurrentAddr, cur, 6);
    ni->LinkSpeed = 10000;
    ni->MacType = MAC_TYPE_ETHERNET;
    ni->MaxFrameSize = 1514;
    ni->Flags = NETWORKINFO_FLAGS_RAS | NETWORKINFO_FLAGS_PMODE_NOT_SUPPORTED;
    ni->TimestampScaleFactor = 1000;
    memcpy(ni->NodeName, "node-01.example", 16);
    ni->PModeSupported = TRUE;
    memcpy(ni->Comment, "Intel(R) Ethernet eth0", 23);
}

static void network_info(void) {
    HBLOB b = new_blob(), bad[3] = {NULL, dead_blob(), FORGED};
    NETWORKINFO in, out, sentinel;
    const char *v;
    static const char *const long_comment = "0123456789abcdefghijklmnopqrstuvwxyzABCD"; /* 40 chars */

    memset(&sentinel, 0xA5, sizeof sentinel);
    fill_network_info(&in);
    CHECK_RC(SetNetworkInfoInBlob(b, &in), NMERR_SUCCESS);
    memset(&out, 0, sizeof out);
    CHECK_RC(GetNetworkInfoFromBlob(b, &out), NMERR_SUCCESS);
    CHECK(SAME_NETINFO(&in, &out));
    out = sentinel; /* every field is written: Reserved zeroed, texts NUL-padded */
    CHECK_RC(GetNetworkInfoFromBlob(b, &out), NMERR_SUCCESS);
    CHECK(SAME_NETINFO(&in, &out));
    /* tag mapping */
    CHECK_STR(stored(b, CATEGORY_NETWORKINFO, TAG_MACTYPE), "ETHERNET");
    CHECK_STR(stored(b, CATEGORY_NETWORKINFO, TAG_CURRENTADDRESS), "0ABBCCDDEEFF");
    CHECK_STR(stored(b, CATEGORY_NETWORKINFO, TAG_LINKSPEED), "10000");
    CHECK_STR(stored(b, CATEGORY_NETWORKINFO, TAG_MAXFRAMESIZE), "1514");
    CHECK_STR(stored(b, CATEGORY_NETWORKINFO, TAG_FLAGS), "33");
    CHECK_STR(stored(b, CATEGORY_NETWORKINFO, TAG_TIMESTAMPSCALEFACTOR), "1000");
    CHECK_STR(stored(b, CATEGORY_NETWORKINFO, TAG_NODENAME), "node-01.example");
    CHECK_STR(stored(b, CATEGORY_NETWORKINFO, TAG_PROMISCUOUS_MODE), "TRUE");
    CHECK_STR(stored(b, CATEGORY_NETWORKINFO, TAG_COMMENT), "Intel(R) Ethernet eth0");
    CHECK_STR(stored(b, CATEGORY_LOCATION, TAG_MACADDRESS), "021122334455");
    CHECK(stored(b, CATEGORY_NETWORKINFO, TAG_MACADDRESS) == NULL);
    /* other values: PMode FALSE, another MAC type, a 32-byte text without NUL */
    in.PModeSupported = FALSE;
    in.MacType = MAC_TYPE_TOKENRING;
    memset(in.Comment, 'c', 32);
    CHECK_RC(SetNetworkInfoInBlob(b, &in), NMERR_SUCCESS);
    CHECK_STR(stored(b, CATEGORY_NETWORKINFO, TAG_PROMISCUOUS_MODE), "FALSE");
    CHECK_STR(stored(b, CATEGORY_NETWORKINFO, TAG_MACTYPE), "TOKENRING");
    v = stored(b, CATEGORY_NETWORKINFO, TAG_COMMENT);
    CHECK(v != NULL && strlen(v) == 32);
    out = sentinel;
    CHECK_RC(GetNetworkInfoFromBlob(b, &out), NMERR_SUCCESS);
    CHECK_EQ(out.PModeSupported, FALSE);
    CHECK_EQ(out.MacType, MAC_TYPE_TOKENRING);
    CHECK(memcmp(out.Comment, in.Comment, 31) == 0 && out.Comment[31] == 0);
    /* a 40-character Comment is cut to 31 + NUL */
    CHECK_RC(SetStringInBlob(b, OWNER_NPP, CATEGORY_NETWORKINFO, TAG_COMMENT, long_comment), NMERR_SUCCESS);
    out = sentinel;
    CHECK_RC(GetNetworkInfoFromBlob(b, &out), NMERR_SUCCESS);
    CHECK(memcmp(out.Comment, long_comment, 31) == 0);
    CHECK_EQ(out.Comment[31], 0);
    /* absent tags leave their field zero */
    {
        HBLOB one = new_blob();
        CHECK_RC(SetStringInBlob(one, OWNER_NPP, CATEGORY_NETWORKINFO, TAG_LINKSPEED, "0x64"), NMERR_SUCCESS);
        out = sentinel;
        CHECK_RC(GetNetworkInfoFromBlob(one, &out), NMERR_SUCCESS);
        CHECK_EQ(out.LinkSpeed, 100);
        memset(&in, 0, sizeof in);
        in.LinkSpeed = 100;
        CHECK(SAME_NETINFO(&in, &out));
        CHECK_RC(DestroyBlob(one), NMERR_SUCCESS);
    }
    /* no NPP:NetworkInfo entry at all (NPP:Location alone is not enough) */
    {
        HBLOB e = new_blob();
        out = sentinel;
        CHECK_RC(GetNetworkInfoFromBlob(e, &out), NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
        CHECK_RC(SetStringInBlob(e, OWNER_NPP, CATEGORY_LOCATION, TAG_MACADDRESS, "021122334455"), NMERR_SUCCESS);
        CHECK_RC(GetNetworkInfoFromBlob(e, &out), NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
        CHECK(memcmp(&out, &sentinel, sizeof out) == 0);
        CHECK_RC(DestroyBlob(e), NMERR_SUCCESS);
    }
    /* malformed values */
    {
        static const char *const malformed[][3] = {
            {CATEGORY_NETWORKINFO, TAG_LINKSPEED, "fast"}, {CATEGORY_NETWORKINFO, TAG_MAXFRAMESIZE, "-1"},
            {CATEGORY_NETWORKINFO, TAG_FLAGS, "0xZZ"}, {CATEGORY_NETWORKINFO, TAG_TIMESTAMPSCALEFACTOR, "1e3"},
            {CATEGORY_NETWORKINFO, TAG_CURRENTADDRESS, "0ABBCC"}, {CATEGORY_NETWORKINFO, TAG_PROMISCUOUS_MODE, "maybe"},
            {CATEGORY_LOCATION, TAG_MACADDRESS, "not a mac"}};
        for (size_t i = 0; i < NB(malformed); i++) {
            HBLOB m = NULL;
            CHECK_RC(DuplicateBlob(b, &m), NMERR_SUCCESS);
            CHECK_RC(SetStringInBlob(m, OWNER_NPP, malformed[i][0], malformed[i][1], malformed[i][2]), NMERR_SUCCESS);
            out = sentinel;
            CHECK_RC(GetNetworkInfoFromBlob(m, &out), NMERR_BLOB_CONVERSION_ERROR);
            CHECK(memcmp(&out, &sentinel, sizeof out) == 0);
            CHECK_RC(DestroyBlob(m), NMERR_SUCCESS);
        }
    }
    /* arguments and handles */
    fill_network_info(&in);
    CHECK_RC(SetNetworkInfoInBlob(b, NULL), NMERR_INVALID_PARAMETER);
    CHECK_RC(GetNetworkInfoFromBlob(b, NULL), NMERR_INVALID_PARAMETER);
    for (size_t i = 0; i < NB(bad); i++) {
        out = sentinel;
        CHECK_RC(SetNetworkInfoInBlob(bad[i], &in), NMERR_INVALID_BLOB);
        CHECK_RC(GetNetworkInfoFromBlob(bad[i], &out), NMERR_INVALID_BLOB);
        CHECK(memcmp(&out, &sentinel, sizeof out) == 0);
    }
    CHECK_RC(DestroyBlob(b), NMERR_SUCCESS);
}

static void mac_type_number(void) {
    HBLOB b = new_blob(), bad[3] = {NULL, dead_blob(), FORGED};
    DWORD t;
    static const struct { const char *text; DWORD want; } names[] = {
        {"ETHERNET", MAC_TYPE_ETHERNET}, {"TOKENRING", MAC_TYPE_TOKENRING}, {"FDDI", MAC_TYPE_FDDI},
        {"ATM", MAC_TYPE_ATM}, {"IP/1394", MAC_TYPE_1394}, {"ethernet", MAC_TYPE_ETHERNET},
        {"TokenRing", MAC_TYPE_TOKENRING}, {"fddi", MAC_TYPE_FDDI}, {"Atm", MAC_TYPE_ATM}, {"ip/1394", MAC_TYPE_1394},
        {"UNKNOWN", MAC_TYPE_UNKNOWN}, {"banana", MAC_TYPE_UNKNOWN}, {"", MAC_TYPE_UNKNOWN}, {"ETHERNET2", MAC_TYPE_UNKNOWN}};

    t = 0xDEADBEEF;
    CHECK_RC(GetNPPMacTypeAsNumber(b, &t), NMERR_SUCCESS); /* no tag at all */
    CHECK_EQ(t, MAC_TYPE_UNKNOWN);
    for (size_t i = 0; i < NB(names); i++) {
        t = 0xDEADBEEF;
        CHECK_RC(SetStringInBlob(b, OWNER_NPP, CATEGORY_NETWORKINFO, TAG_MACTYPE, names[i].text), NMERR_SUCCESS);
        CHECK_RC(GetNPPMacTypeAsNumber(b, &t), NMERR_SUCCESS);
        CHECK_EQ(t, names[i].want);
    }
    /* the name SetNetworkInfoInBlob writes reads back as its number */
    for (DWORD mt = MAC_TYPE_UNKNOWN; mt <= MAC_TYPE_1394; mt++) {
        NETWORKINFO ni;
        fill_network_info(&ni);
        ni.MacType = mt;
        CHECK_RC(SetNetworkInfoInBlob(b, &ni), NMERR_SUCCESS);
        t = 0xDEADBEEF;
        CHECK_RC(GetNPPMacTypeAsNumber(b, &t), NMERR_SUCCESS);
        CHECK_EQ(t, mt);
    }
    CHECK_STR(stored(b, CATEGORY_NETWORKINFO, TAG_MACTYPE), "IP/1394");
    CHECK_RC(GetNPPMacTypeAsNumber(b, NULL), NMERR_INVALID_PARAMETER);
    for (size_t i = 0; i < NB(bad); i++) {
        t = 0xDEADBEEF;
        CHECK_RC(GetNPPMacTypeAsNumber(bad[i], &t), NMERR_INVALID_BLOB);
        CHECK_EQ(t, 0xDEADBEEF);
    }
    CHECK_RC(DestroyBlob(b), NMERR_SUCCESS);
}

static void is_remote(void) {
    HBLOB b = new_blob();
    char host[256], upper[256];
    size_t i;

    memset(host, 0, sizeof host);
    CHECK(gethostname(host, sizeof host - 1) == 0);
    for (i = 0; host[i]; i++)
        upper[i] = (char)toupper((unsigned char)host[i]);
    upper[i] = 0;
    CHECK_EQ(IsRemoteNPP(b), FALSE); /* empty BLOB */
    CHECK_RC(SetStringInBlob(b, OWNER_NPP, CATEGORY_NETWORKINFO, TAG_NODENAME, "elsewhere"), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(b, OWNER_NPP, CATEGORY_REMOTE, TAG_REMOTECLASSID, NDISNPP_CLASSID_TXT), NMERR_SUCCESS);
    CHECK_EQ(IsRemoteNPP(b), FALSE); /* a Remote category without RemoteComputer */
    CHECK_RC(SetStringInBlob(b, OWNER_NPP, CATEGORY_REMOTE, TAG_REMOTECOMPUTER, host), NMERR_SUCCESS);
    CHECK_EQ(IsRemoteNPP(b), FALSE);
    CHECK_RC(SetStringInBlob(b, OWNER_NPP, CATEGORY_REMOTE, TAG_REMOTECOMPUTER, upper), NMERR_SUCCESS);
    CHECK_EQ(IsRemoteNPP(b), FALSE);
    CHECK_RC(SetStringInBlob(b, OWNER_NPP, CATEGORY_REMOTE, TAG_REMOTECOMPUTER, "no-such-host-7f3a9c"), NMERR_SUCCESS);
    CHECK_EQ(IsRemoteNPP(b), TRUE);
    strcat(host, "x"); /* a longer name that starts with ours */
    CHECK_RC(SetStringInBlob(b, OWNER_NPP, CATEGORY_REMOTE, TAG_REMOTECOMPUTER, host), NMERR_SUCCESS);
    CHECK_EQ(IsRemoteNPP(b), TRUE);
    CHECK_RC(RemoveFromBlob(b, OWNER_NPP, CATEGORY_REMOTE, TAG_REMOTECOMPUTER), NMERR_SUCCESS);
    CHECK_EQ(IsRemoteNPP(b), FALSE);
    CHECK_RC(SetStringInBlob(b, OWNER_NPP, CATEGORY_REMOTE, TAG_REMOTECOMPUTER, "no-such-host-7f3a9c"), NMERR_SUCCESS);
    CHECK_RC(DestroyBlob(b), NMERR_SUCCESS);
    CHECK_EQ(IsRemoteNPP(b), FALSE); /* destroyed while naming a remote NPP */
    CHECK_EQ(IsRemoteNPP(NULL), FALSE);
    CHECK_EQ(IsRemoteNPP(FORGED), FALSE);
}

/* ------------------------------------------------------------------------------------------- */
/* Pattern filter (NPP:Config:PatternMatch)                                                     */

static void set_pattern(PATTERNMATCH *p, DWORD flags, BYTE basis, WORD port, WORD offset, const char *bytes, WORD len) {
    memset(p, 0, sizeof *p);
    p->Flags = flags;
    p->OffsetBasis = basis;
    if (flags & PATTERN_MATCH_FLAGS_PORT_SPECIFIED)
        p->Port.ByteSwappedIPXPort = port;
    p->Offset = offset;
    p->Length = len;
    memcpy(p->PatternToMatch, bytes, len);
}

/* The documented example: AND(OR(FRAME 12 0800,NOT IP 9 11),OR(IP PORT 0x35 0 -)). */
static void example_expression(EXPRESSION *e) {
    memset(e, 0, sizeof *e);
    e->nAndExps = 2;
    e->AndExp[0].nPatternMatches = 2;
    set_pattern(&e->AndExp[0].PatternMatch[0], 0, OFFSET_BASIS_RELATIVE_TO_FRAME, 0, 12, "\x08\x00", 2);
    set_pattern(&e->AndExp[0].PatternMatch[1], PATTERN_MATCH_FLAGS_NOT, OFFSET_BASIS_RELATIVE_TO_IP, 0, 9, "\x11", 1);
    e->AndExp[1].nPatternMatches = 1;
    memset(&e->AndExp[1].PatternMatch[0], 0, sizeof(PATTERNMATCH));
    e->AndExp[1].PatternMatch[0].Flags = PATTERN_MATCH_FLAGS_PORT_SPECIFIED;
    e->AndExp[1].PatternMatch[0].OffsetBasis = OFFSET_BASIS_RELATIVE_TO_IP;
    e->AndExp[1].PatternMatch[0].Port.IPPort = 0x35;
}

static const char example_expression_text[] = "AND(OR(FRAME 12 0800,NOT IP 9 11),OR(IP PORT 0x35 0 -))";

static void pattern_filter(void) {
    HBLOB b = new_blob(), err = new_blob(), bad[3] = {NULL, dead_blob(), FORGED};
    EXPRESSION in, out, sentinel, zero;
    const char *v;
    static const char sixteen[] = "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff";

    memset(&sentinel, 0xA5, sizeof sentinel);
    memset(&zero, 0, sizeof zero);
    /* no filter set */
    out = sentinel;
    CHECK_RC(GetNPPPatternFilterFromBlob(b, &out, err), NMERR_SUCCESS);
    CHECK_EQ(out.nAndExps, 0);
    CHECK(SAME_EXPRESSION(&out, &zero));
    /* the documented example */
    example_expression(&in);
    CHECK_RC(SetNPPPatternFilterInBlob(b, &in, err), NMERR_SUCCESS);
    CHECK_STR(stored(b, CATEGORY_CONFIG, TAG_PATTERN_DESIGNATOR), example_expression_text);
    memset(&out, 0, sizeof out);
    CHECK_RC(GetNPPPatternFilterFromBlob(b, &out, err), NMERR_SUCCESS);
    CHECK(SAME_EXPRESSION(&in, &out));
    /* 2 groups x 2 patterns, NOT, PORT, Length 0 and 16 */
    memset(&in, 0, sizeof in);
    in.nAndExps = 2;
    in.AndExp[0].nPatternMatches = 2;
    set_pattern(&in.AndExp[0].PatternMatch[0], 0, OFFSET_BASIS_RELATIVE_TO_FRAME, 0, 0, sixteen, 16);
    set_pattern(&in.AndExp[0].PatternMatch[1], PATTERN_MATCH_FLAGS_NOT, OFFSET_BASIS_RELATIVE_TO_EFFECTIVE_PROTOCOL, 0, 65535, "", 0);
    in.AndExp[1].nPatternMatches = 2;
    set_pattern(&in.AndExp[1].PatternMatch[0], PATTERN_MATCH_FLAGS_PORT_SPECIFIED, OFFSET_BASIS_RELATIVE_TO_IPX, 0x5104, 2, "\xfe", 1);
    set_pattern(&in.AndExp[1].PatternMatch[1], PATTERN_MATCH_FLAGS_NOT | PATTERN_MATCH_FLAGS_PORT_SPECIFIED,
                OFFSET_BASIS_RELATIVE_TO_IP6, 6, 40, "\x01\x02\x03", 3);
    CHECK_RC(SetNPPPatternFilterInBlob(b, &in, NULL), NMERR_SUCCESS);
    CHECK_STR(stored(b, CATEGORY_CONFIG, TAG_PATTERN_DESIGNATOR),
              "AND(OR(FRAME 0 00112233445566778899AABBCCDDEEFF,NOT EFFECTIVE 65535 -),"
              "OR(IPX PORT 0x5104 2 FE,NOT IP6 PORT 0x6 40 010203))");
    out = sentinel;
    CHECK_RC(GetNPPPatternFilterFromBlob(b, &out, NULL), NMERR_SUCCESS);
    CHECK(SAME_EXPRESSION(&in, &out));
    /* 4 x 4, every basis, with and without NOT / PORT */
    memset(&in, 0, sizeof in);
    in.nAndExps = 4;
    for (int g = 0; g < 4; g++) {
        in.AndExp[g].nPatternMatches = 4;
        for (int k = 0; k < 4; k++) {
            int n = g * 4 + k;
            DWORD flags = (n & 1 ? PATTERN_MATCH_FLAGS_NOT : 0) | (n & 2 ? PATTERN_MATCH_FLAGS_PORT_SPECIFIED : 0);
            set_pattern(&in.AndExp[g].PatternMatch[k], flags, (BYTE)(n % 5), (WORD)(n * 257), (WORD)(n * 3), sixteen + n, (WORD)(16 - n));
        }
    }
    CHECK_RC(SetNPPPatternFilterInBlob(b, &in, err), NMERR_SUCCESS);
    out = sentinel;
    CHECK_RC(GetNPPPatternFilterFromBlob(b, &out, err), NMERR_SUCCESS);
    CHECK(SAME_EXPRESSION(&in, &out));
    /* groups and patterns past the counts are not looked at */
    in.nAndExps = 1;
    in.AndExp[0].nPatternMatches = 1;
    in.AndExp[0].PatternMatch[1].Length = 99;
    in.AndExp[2].nPatternMatches = 99;
    CHECK_RC(SetNPPPatternFilterInBlob(b, &in, err), NMERR_SUCCESS);
    CHECK_STR(stored(b, CATEGORY_CONFIG, TAG_PATTERN_DESIGNATOR), "AND(OR(FRAME 0 00112233445566778899AABBCCDDEEFF))");
    CHECK_RC(GetStringFromBlob(err, OWNER_NPP, CATEGORY_CONFIG, TAG_PATTERN_DESIGNATOR, &v), NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
    /* an empty expression */
    memset(&in, 0, sizeof in);
    CHECK_RC(SetNPPPatternFilterInBlob(b, &in, err), NMERR_SUCCESS);
    CHECK_STR(stored(b, CATEGORY_CONFIG, TAG_PATTERN_DESIGNATOR), "AND()");
    out = sentinel;
    CHECK_RC(GetNPPPatternFilterFromBlob(b, &out, err), NMERR_SUCCESS);
    CHECK(SAME_EXPRESSION(&out, &zero));
    /* out of range: the stored filter stays, the tag goes to the error BLOB */
    for (int i = 0; i < 8; i++) {
        HBLOB e = new_blob();
        example_expression(&in);
        CHECK_RC(SetNPPPatternFilterInBlob(b, &in, NULL), NMERR_SUCCESS);
        switch (i) {
        case 0: in.nAndExps = 5; break;
        case 1: in.AndExp[1].nPatternMatches = 5; break;
        case 2: in.AndExp[0].PatternMatch[0].Length = 17; break;
        case 3: in.AndExp[0].PatternMatch[1].OffsetBasis = 9; break;
        case 4: in.AndExp[1].PatternMatch[0].OffsetBasis = 5; break;
        case 5: in.AndExp[0].PatternMatch[0].Flags |= PATTERN_MATCH_FLAGS_RESERVED_1; break;
        case 6: in.AndExp[0].PatternMatch[1].Flags = 0x4; break;
        default: in.AndExp[1].PatternMatch[0].Flags = 0x80000000u; break;
        }
        CHECK_RC(SetNPPPatternFilterInBlob(b, &in, e), NMERR_OUT_OF_RANGE);
        CHECK(stored(e, CATEGORY_CONFIG, TAG_PATTERN_DESIGNATOR) != NULL);
        CHECK_STR(stored(b, CATEGORY_CONFIG, TAG_PATTERN_DESIGNATOR), example_expression_text);
        CHECK_RC(SetNPPPatternFilterInBlob(b, &in, NULL), NMERR_OUT_OF_RANGE);
        CHECK_RC(DestroyBlob(e), NMERR_SUCCESS);
    }
    /* hand-written text: keywords in any case, decimal port */
    CHECK_RC(SetStringInBlob(b, OWNER_NPP, CATEGORY_CONFIG, TAG_PATTERN_DESIGNATOR, " and(or(not ip port 53 9 11)) "), NMERR_SUCCESS);
    out = sentinel;
    CHECK_RC(GetNPPPatternFilterFromBlob(b, &out, err), NMERR_SUCCESS);
    memset(&in, 0, sizeof in);
    in.nAndExps = 1;
    in.AndExp[0].nPatternMatches = 1;
    set_pattern(&in.AndExp[0].PatternMatch[0], PATTERN_MATCH_FLAGS_NOT | PATTERN_MATCH_FLAGS_PORT_SPECIFIED,
                OFFSET_BASIS_RELATIVE_TO_IP, 53, 9, "\x11", 1);
    CHECK(SAME_EXPRESSION(&in, &out));
    /* malformed text: conversion error, the stored value copied to the error BLOB */
    {
        static const char *const malformed[] = {
            "AND(OR(FRAME 1 G))", "AND(OR(FRAME 1 00)", "OR(FRAME 1 00)", "AND(OR(),OR(),OR(),OR(),OR())",
            "AND(OR(FRAME 0 00,FRAME 0 00,FRAME 0 00,FRAME 0 00,FRAME 0 00))", "AND(OR(FRAME 0 00112233445566778899AABBCCDDEEFF00))",
            "AND(OR(IP7 0 00))", "AND(OR(FRAME 65536 00))", "AND(OR(IP PORT 0x10000 0 00))", "AND(OR(FRAME 0 0))",
            "AND(OR(FRAME 0))", "AND(OR(FRAME 0 00 11))", "", "garbage"};
        for (size_t i = 0; i < NB(malformed); i++) {
            HBLOB e = new_blob();
            CHECK_RC(SetStringInBlob(b, OWNER_NPP, CATEGORY_CONFIG, TAG_PATTERN_DESIGNATOR, malformed[i]), NMERR_SUCCESS);
            out = sentinel;
            CHECK_RC(GetNPPPatternFilterFromBlob(b, &out, e), NMERR_BLOB_CONVERSION_ERROR);
            CHECK(memcmp(&out, &sentinel, sizeof out) == 0);
            CHECK_STR(stored(e, CATEGORY_CONFIG, TAG_PATTERN_DESIGNATOR), malformed[i]);
            CHECK_RC(GetNPPPatternFilterFromBlob(b, &out, NULL), NMERR_BLOB_CONVERSION_ERROR);
            CHECK_RC(DestroyBlob(e), NMERR_SUCCESS);
        }
    }
    /* arguments and handles */
    example_expression(&in);
    CHECK_RC(SetNPPPatternFilterInBlob(b, NULL, err), NMERR_INVALID_PARAMETER);
    CHECK_RC(GetNPPPatternFilterFromBlob(b, NULL, err), NMERR_INVALID_PARAMETER);
    for (size_t i = 0; i < NB(bad); i++) {
        out = sentinel;
        CHECK_RC(SetNPPPatternFilterInBlob(bad[i], &in, err), NMERR_INVALID_BLOB);
        CHECK_RC(GetNPPPatternFilterFromBlob(bad[i], &out, err), NMERR_INVALID_BLOB);
        CHECK(memcmp(&out, &sentinel, sizeof out) == 0);
        if (bad[i] == NULL)
            continue;
        /* a non-NULL error BLOB that is not a live BLOB */
        CHECK_RC(SetNPPPatternFilterInBlob(b, &in, bad[i]), NMERR_INVALID_BLOB);
        CHECK_RC(GetNPPPatternFilterFromBlob(b, &out, bad[i]), NMERR_INVALID_BLOB);
        CHECK(memcmp(&out, &sentinel, sizeof out) == 0);
    }
    CHECK_STR(stored(b, CATEGORY_CONFIG, TAG_PATTERN_DESIGNATOR), "garbage"); /* no failed Set stored anything */
    CHECK_RC(DestroyBlob(err), NMERR_SUCCESS);
    CHECK_RC(DestroyBlob(b), NMERR_SUCCESS);
}

/* ------------------------------------------------------------------------------------------- */
/* Trigger (NPP:Trigger:Trigger)                                                                */

static void make_trigger(TRIGGER *t, BYTE type, BYTE action, DWORD level, DWORD flags, const char *cmd) {
    memset(t, 0, sizeof *t);
    t->TriggerActive = TRUE;
    t->TriggerType = type;
    t->TriggerAction = action;
    t->TriggerFlags = flags;
    set_pattern(&t->TriggerPatternMatch, 0, OFFSET_BASIS_RELATIVE_TO_FRAME, 0, 6, "\xff\xff\xff\xff\xff\xff", 6);
    t->TriggerBufferSize = level;
    strcpy(t->TriggerCommandLine, cmd);
}

static void trigger(void) {
    HBLOB b = new_blob(), err = new_blob(), bad[3] = {NULL, dead_blob(), FORGED};
    TRIGGER in, out, sentinel, zero;
    char want[600];
    const char *v;
    static const char *const types[] = {"PATTERN MATCH", "BUFFER CONTENT", "PATTERN MATCH THEN BUFFER CONTENT",
                                        "BUFFER CONTENT THEN PATTERN MATCH"};
    static const struct { BYTE code; const char *name; } actions[] = {
        {TRIGGER_ACTION_NOTIFY, "NOTIFY"}, {TRIGGER_ACTION_STOP, "STOP"}, {TRIGGER_ACTION_PAUSE, "PAUSE"}};
    static const char *const levels[] = {"25 PERCENT", "50 PERCENT", "75 PERCENT", "100 PERCENT"};
    static const char cmd[] = "cmd /c echo fired; logger -t nm 'a b' ;; ";

    memset(&sentinel, 0xA5, sizeof sentinel);
    memset(&zero, 0, sizeof zero);
    /* nothing set: "an all-zero TRIGGER", every field and (as the header promises) every byte */
    out = sentinel;
    CHECK_RC(GetNPPTriggerFromBlob(b, &out, err), NMERR_SUCCESS);
    CHECK(SAME_TRIGGER(&out, &zero));
    CHECK(memcmp(&out, &zero, sizeof out) == 0);
    /* every type x action x level, both flags */
    for (BYTE ty = TRIGGER_TYPE_PATTERN_MATCH; ty <= TRIGGER_TYPE_BUFFER_CONTENT_THEN_PATTERN_MATCH; ty++)
        for (size_t a = 0; a < NB(actions); a++)
            for (DWORD lv = TRIGGER_BUFFER_FULL_25_PERCENT; lv <= TRIGGER_BUFFER_FULL_100_PERCENT; lv++) {
                DWORD fl = (ty + a + lv) & 1 ? TRIGGER_FLAGS_DATA_RELATIVE : TRIGGER_FLAGS_FRAME_RELATIVE;
                make_trigger(&in, ty, actions[a].code, lv, fl, cmd);
                CHECK_RC(SetNPPTriggerInBlob(b, &in, err), NMERR_SUCCESS);
                snprintf(want, sizeof want, "%s;%s;%s;FRAME 6 FFFFFFFFFFFF;0x%X;%s", types[ty - 1], actions[a].name,
                         levels[lv], (unsigned)fl, cmd);
                CHECK_STR(stored(b, CATEGORY_TRIGGER, TAG_TRIGGER), want);
                out = sentinel;
                CHECK_RC(GetNPPTriggerFromBlob(b, &out, err), NMERR_SUCCESS);
                CHECK(SAME_TRIGGER(&in, &out));
            }
    CHECK_RC(GetStringFromBlob(err, OWNER_NPP, CATEGORY_TRIGGER, TAG_TRIGGER, &v), NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
    /* a NOT/PORT pattern, an empty and a 259-character command line */
    make_trigger(&in, TRIGGER_TYPE_PATTERN_MATCH, TRIGGER_ACTION_PAUSE, TRIGGER_BUFFER_FULL_50_PERCENT, TRIGGER_FLAGS_DATA_RELATIVE, "");
    set_pattern(&in.TriggerPatternMatch, PATTERN_MATCH_FLAGS_NOT | PATTERN_MATCH_FLAGS_PORT_SPECIFIED, OFFSET_BASIS_RELATIVE_TO_IP, 0x35, 0, "", 0);
    CHECK_RC(SetNPPTriggerInBlob(b, &in, NULL), NMERR_SUCCESS);
    CHECK_STR(stored(b, CATEGORY_TRIGGER, TAG_TRIGGER), "PATTERN MATCH;PAUSE;50 PERCENT;NOT IP PORT 0x35 0 -;0x1;");
    out = sentinel;
    CHECK_RC(GetNPPTriggerFromBlob(b, &out, NULL), NMERR_SUCCESS);
    CHECK(SAME_TRIGGER(&in, &out));
    memset(in.TriggerCommandLine, 'x', MAX_PATH - 1);
    in.TriggerCommandLine[MAX_PATH - 1] = 0;
    CHECK_RC(SetNPPTriggerInBlob(b, &in, err), NMERR_SUCCESS);
    out = sentinel;
    CHECK_RC(GetNPPTriggerFromBlob(b, &out, err), NMERR_SUCCESS);
    CHECK(SAME_TRIGGER(&in, &out));
    /* any non-zero TriggerActive is active; it reads back TRUE */
    make_trigger(&in, TRIGGER_TYPE_BUFFER_CONTENT, TRIGGER_ACTION_STOP, TRIGGER_BUFFER_FULL_100_PERCENT, 0, "x");
    in.TriggerActive = 7;
    CHECK_RC(SetNPPTriggerInBlob(b, &in, err), NMERR_SUCCESS);
    CHECK_STR(stored(b, CATEGORY_TRIGGER, TAG_TRIGGER), "BUFFER CONTENT;STOP;100 PERCENT;FRAME 6 FFFFFFFFFFFF;0x0;x");
    CHECK_RC(GetNPPTriggerFromBlob(b, &out, err), NMERR_SUCCESS);
    CHECK_EQ(out.TriggerActive, TRUE);
    /* an inactive trigger removes the tag (its other fields are not looked at) */
    memset(&in, 0x7F, sizeof in);
    in.TriggerActive = FALSE;
    CHECK_RC(SetNPPTriggerInBlob(b, &in, err), NMERR_SUCCESS);
    CHECK_RC(GetStringFromBlob(b, OWNER_NPP, CATEGORY_TRIGGER, TAG_TRIGGER, &v), NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
    memset(&out, 0, sizeof out);
    CHECK_RC(GetNPPTriggerFromBlob(b, &out, err), NMERR_SUCCESS);
    CHECK(SAME_TRIGGER(&out, &zero));
    CHECK(memcmp(&out, &zero, sizeof out) == 0);
    CHECK_RC(SetNPPTriggerInBlob(b, &in, err), NMERR_SUCCESS); /* nothing to remove: still fine */
    /* illegal triggers: the tag goes to the error BLOB, the stored trigger stays */
    for (int i = 0; i < 11; i++) {
        HBLOB e = new_blob();
        make_trigger(&in, TRIGGER_TYPE_PATTERN_MATCH, TRIGGER_ACTION_STOP, TRIGGER_BUFFER_FULL_25_PERCENT, 0, "ok");
        CHECK_RC(SetNPPTriggerInBlob(b, &in, NULL), NMERR_SUCCESS);
        switch (i) {
        case 0: in.TriggerType = 0; break; case 1: in.TriggerType = 5; break;
        case 2: in.TriggerAction = 1; break; case 3: in.TriggerAction = 4; break;
        case 4: in.TriggerBufferSize = 4; break; case 5: in.TriggerFlags = 2; break;
        case 6: memset(in.TriggerCommandLine, 'y', MAX_PATH); break;
        case 7: in.TriggerPatternMatch.Length = 17; break;
        case 8: in.TriggerPatternMatch.OffsetBasis = 9; break;
        case 9: in.TriggerPatternMatch.Flags = PATTERN_MATCH_FLAGS_RESERVED_1; break;
        default: in.TriggerType = 0xFF; break;
        }
        CHECK_RC(SetNPPTriggerInBlob(b, &in, e), NMERR_ILLEGAL_TRIGGER);
        CHECK(stored(e, CATEGORY_TRIGGER, TAG_TRIGGER) != NULL);
        CHECK_STR(stored(b, CATEGORY_TRIGGER, TAG_TRIGGER), "PATTERN MATCH;STOP;25 PERCENT;FRAME 6 FFFFFFFFFFFF;0x0;ok");
        CHECK_RC(SetNPPTriggerInBlob(b, &in, NULL), NMERR_ILLEGAL_TRIGGER);
        CHECK_RC(DestroyBlob(e), NMERR_SUCCESS);
    }
    /* hand-written text in other case is read */
    CHECK_RC(SetStringInBlob(b, OWNER_NPP, CATEGORY_TRIGGER, TAG_TRIGGER, "buffer content;pause;75 percent;ip 0 -;1;run"), NMERR_SUCCESS);
    out = sentinel;
    CHECK_RC(GetNPPTriggerFromBlob(b, &out, err), NMERR_SUCCESS);
    make_trigger(&in, TRIGGER_TYPE_BUFFER_CONTENT, TRIGGER_ACTION_PAUSE, TRIGGER_BUFFER_FULL_75_PERCENT, 1, "run");
    set_pattern(&in.TriggerPatternMatch, 0, OFFSET_BASIS_RELATIVE_TO_IP, 0, 0, "", 0);
    CHECK(SAME_TRIGGER(&in, &out));
    /* malformed stored text */
    {
        static char long_cmd[400];
        static const char *const malformed[] = {
            "SOON;STOP;25 PERCENT;FRAME 0 -;0x0;", "PATTERN MATCH;STOP;25 PERCENT;FRAME 0 -;0x0",
            "PATTERN MATCH;HALT;25 PERCENT;FRAME 0 -;0x0;", "PATTERN MATCH;STOP;30 PERCENT;FRAME 0 -;0x0;",
            "PATTERN MATCH;STOP;25 PERCENT;FRAME 0 G;0x0;", "PATTERN MATCH;STOP;25 PERCENT;FRAME 0 -;0x2;",
            "PATTERN MATCH;STOP;25 PERCENT;FRAME 0 -;0xZZ;", "PATTERN MATCH;STOP;25 PERCENT;;0x0;", "", long_cmd};
        memset(long_cmd, 0, sizeof long_cmd);
        strcpy(long_cmd, "PATTERN MATCH;STOP;25 PERCENT;FRAME 0 -;0x0;");
        memset(long_cmd + strlen(long_cmd), 'z', MAX_PATH); /* a 260-character command line */
        for (size_t i = 0; i < NB(malformed); i++) {
            HBLOB e = new_blob();
            CHECK_RC(SetStringInBlob(b, OWNER_NPP, CATEGORY_TRIGGER, TAG_TRIGGER, malformed[i]), NMERR_SUCCESS);
            out = sentinel;
            CHECK_RC(GetNPPTriggerFromBlob(b, &out, e), NMERR_ILLEGAL_TRIGGER);
            CHECK(memcmp(&out, &sentinel, sizeof out) == 0);
            CHECK_STR(stored(e, CATEGORY_TRIGGER, TAG_TRIGGER), malformed[i]);
            CHECK_RC(GetNPPTriggerFromBlob(b, &out, NULL), NMERR_ILLEGAL_TRIGGER);
            CHECK_RC(DestroyBlob(e), NMERR_SUCCESS);
        }
    }
    /* arguments and handles */
    make_trigger(&in, TRIGGER_TYPE_PATTERN_MATCH, TRIGGER_ACTION_STOP, 0, 0, "");
    CHECK_RC(SetNPPTriggerInBlob(b, NULL, err), NMERR_INVALID_PARAMETER);
    CHECK_RC(GetNPPTriggerFromBlob(b, NULL, err), NMERR_INVALID_PARAMETER);
    for (size_t i = 0; i < NB(bad); i++) {
        out = sentinel;
        CHECK_RC(SetNPPTriggerInBlob(bad[i], &in, err), NMERR_INVALID_BLOB);
        CHECK_RC(GetNPPTriggerFromBlob(bad[i], &out, err), NMERR_INVALID_BLOB);
        CHECK(memcmp(&out, &sentinel, sizeof out) == 0);
        if (bad[i] == NULL)
            continue;
        CHECK_RC(SetNPPTriggerInBlob(b, &in, bad[i]), NMERR_INVALID_BLOB);
        in.TriggerActive = FALSE;
        CHECK_RC(SetNPPTriggerInBlob(b, &in, bad[i]), NMERR_INVALID_BLOB);
        in.TriggerActive = TRUE;
        CHECK_RC(GetNPPTriggerFromBlob(b, &out, bad[i]), NMERR_INVALID_BLOB);
        CHECK(memcmp(&out, &sentinel, sizeof out) == 0);
    }
    CHECK(stored(b, CATEGORY_TRIGGER, TAG_TRIGGER) != NULL); /* the inactive Sets above removed nothing */
    CHECK_RC(DestroyBlob(err), NMERR_SUCCESS);
    CHECK_RC(DestroyBlob(b), NMERR_SUCCESS);
}

/* ------------------------------------------------------------------------------------------- */
/* Address filter, v2 (NPP:Config:AddressPair)                                                  */

static void set_address(ADDRESS2 *a, DWORD type, const char *bytes, size_t len, WORD flags) {
    memset(a, 0, sizeof *a);
    a->Type = type;
    memcpy(a->IP6Address, bytes, len);
    a->Flags = flags;
}

static void set_pair(ADDRESSTABLE2 *t, int i, WORD flags) {
    memset(&t->AddressPair[i], 0, sizeof t->AddressPair[i]);
    t->AddressPair[i].AddressFlags = flags;
}

/* Eight pairs (the maximum) of every kind; five of them are not MAC-only. */
static void full_address_table(ADDRESSTABLE2 *t) {
    static const char ip6_full[] = "\x20\x01\x0d\xb8\x85\xa3\x00\x01\x00\x02\x8a\x2e\x03\x70\x73\x34";
    static const char ip6_lo[] = "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01";
    static const char any16[] = "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10";
    memset(t, 0, sizeof *t);
    t->nAddressPairs = 8;
    t->nNonMacAddressPairs = 0; /* wrong on purpose: Get recomputes it */
    set_pair(t, 0, ADDRESS_FLAGS_MATCH_BOTH | ADDRESS_FLAGS_EXCLUDE);
    set_address(&t->AddressPair[0].DstAddress, ADDRESS_TYPE_IP, "\x0a\x00\x00\x01", 4, 0);
    set_address(&t->AddressPair[0].SrcAddress, ADDRESS_TYPE_ANY, "", 0, 0);
    set_pair(t, 1, ADDRESS_FLAGS_MATCH_SRC);
    set_address(&t->AddressPair[1].DstAddress, ADDRESS_TYPE_IP6, ip6_lo, 16, 0);
    set_address(&t->AddressPair[1].SrcAddress, ADDRESS_TYPE_ETHERNET, "\x00\x01\x02\x03\x04\x05", 6, ADDRESSTYPE_FLAGS_NORMALIZE);
    set_pair(t, 2, ADDRESS_FLAGS_MATCH_DST | ADDRESS_FLAGS_DST_GROUP_ADDR);
    set_address(&t->AddressPair[2].DstAddress, ADDRESS_TYPE_IP6, ip6_full, 16, 0);
    set_address(&t->AddressPair[2].SrcAddress, ADDRESS_TYPE_IP6, "\xfe\x80\0\0\0\0\0\0\0\0\0\0\0\0\0\x01", 16, 0);
    set_pair(t, 3, ADDRESS_FLAGS_MATCH_BOTH);
    set_address(&t->AddressPair[3].DstAddress, ADDRESS_TYPE_IPX, "\x00\x00\x00\x2a\x02\x00\x00\x00\x00\x01", 10, 0);
    set_address(&t->AddressPair[3].SrcAddress, ADDRESS_TYPE_IPX, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 10, 0);
    set_pair(t, 4, ADDRESS_FLAGS_MATCH_DST | ADDRESS_FLAGS_EXCLUDE);
    set_address(&t->AddressPair[4].DstAddress, ADDRESS_TYPE_ANY_GROUP, "", 0, 0);
    set_address(&t->AddressPair[4].SrcAddress, ADDRESS_TYPE_ANY, any16, 16, 0);
    set_pair(t, 5, ADDRESS_FLAGS_MATCH_BOTH);
    set_address(&t->AddressPair[5].DstAddress, ADDRESS_TYPE_ETHERNET, "\xff\xff\xff\xff\xff\xff", 6, 0);
    set_address(&t->AddressPair[5].SrcAddress, ADDRESS_TYPE_ETHERNET, "\x02\x00\x5e\x10\x00\x01", 6, ADDRESSTYPE_FLAGS_BIT_REVERSE);
    set_pair(t, 6, ADDRESS_FLAGS_MATCH_SRC | ADDRESS_FLAGS_EXCLUDE);
    set_address(&t->AddressPair[6].DstAddress, ADDRESS_TYPE_TOKENRING, "\xc0\x00\x00\x00\x00\x01", 6, 0);
    set_address(&t->AddressPair[6].SrcAddress, ADDRESS_TYPE_FDDI, "\x08\x00\x2b\x01\x02\x03", 6, 0);
    set_pair(t, 7, ADDRESS_FLAGS_MATCH_BOTH | ADDRESS_FLAGS_EXCLUDE);
    set_address(&t->AddressPair[7].DstAddress, ADDRESS_TYPE_IP, "\xc0\xa8\x01\xff", 4, ADDRESSTYPE_FLAGS_NORMALIZE);
    set_address(&t->AddressPair[7].SrcAddress, ADDRESS_TYPE_IP, "\0\0\0\0", 4, 0xFFFF);
}

static void address_filter(void) {
    HBLOB b = new_blob(), err = new_blob(), bad[3] = {NULL, dead_blob(), FORGED};
    ADDRESSTABLE2 in, out, sentinel, zero;
    const char *v;

    memset(&sentinel, 0xA5, sizeof sentinel);
    memset(&zero, 0, sizeof zero);
    /* no filter */
    out = sentinel;
    CHECK_RC(GetNPPAddress2FilterFromBlob(b, &out, err), NMERR_SUCCESS);
    CHECK_EQ(out.nAddressPairs, 0);
    CHECK(memcmp(&out, &zero, sizeof out) == 0);
    /* the documented one-pair table */
    full_address_table(&in);
    in.nAddressPairs = 1;
    CHECK_RC(SetNPPAddress2FilterInBlob(b, &in), NMERR_SUCCESS);
    CHECK_STR(stored(b, CATEGORY_CONFIG, TAG_ADDRESS_PAIR), "EXCLUDE,0x3,IP,10.0.0.1,0x0,ANY,,0x0");
    out = sentinel;
    CHECK_RC(GetNPPAddress2FilterFromBlob(b, &out, err), NMERR_SUCCESS);
    CHECK_EQ(out.nNonMacAddressPairs, 1);
    memset(&in.AddressPair[1], 0, sizeof in.AddressPair - sizeof in.AddressPair[0]);
    in.nNonMacAddressPairs = 1;
    CHECK(memcmp(&in, &out, sizeof in) == 0);
    /* all eight pairs */
    full_address_table(&in);
    CHECK_RC(SetNPPAddress2FilterInBlob(b, &in), NMERR_SUCCESS);
    CHECK_STR(stored(b, CATEGORY_CONFIG, TAG_ADDRESS_PAIR),
              "EXCLUDE,0x3,IP,10.0.0.1,0x0,ANY,,0x0;"
              "INCLUDE,0x2,IP6,::1,0x0,ETHERNET,000102030405,0x1;"
              "INCLUDE,0x9,IP6,2001:db8:85a3:1:2:8a2e:370:7334,0x0,IP6,fe80::1,0x0;"
              "INCLUDE,0x3,IPX,0000002A020000000001,0x0,IPX,FFFFFFFFFFFFFFFFFFFF,0x0;"
              "EXCLUDE,0x1,ANY GROUP,,0x0,ANY,0102030405060708090A0B0C0D0E0F10,0x0;"
              "INCLUDE,0x3,ETHERNET,FFFFFFFFFFFF,0x0,ETHERNET,02005E100001,0x2;"
              "EXCLUDE,0x2,TOKENRING,C00000000001,0x0,FDDI,08002B010203,0x0;"
              "EXCLUDE,0x3,IP,192.168.1.255,0x1,IP,0.0.0.0,0xFFFF");
    out = sentinel;
    CHECK_RC(GetNPPAddress2FilterFromBlob(b, &out, NULL), NMERR_SUCCESS);
    CHECK_EQ(out.nAddressPairs, 8);
    CHECK_EQ(out.nNonMacAddressPairs, 5);
    in.nNonMacAddressPairs = 5;
    CHECK(memcmp(&in, &out, sizeof in) == 0);
    /* an over-estimated count is recomputed too */
    full_address_table(&in);
    in.nAddressPairs = 2;
    in.nNonMacAddressPairs = 7;
    CHECK_RC(SetNPPAddress2FilterInBlob(b, &in), NMERR_SUCCESS);
    CHECK_RC(GetNPPAddress2FilterFromBlob(b, &out, err), NMERR_SUCCESS);
    CHECK_EQ(out.nAddressPairs, 2);
    CHECK_EQ(out.nNonMacAddressPairs, 2);
    /* an empty table */
    memset(&in, 0, sizeof in);
    CHECK_RC(SetNPPAddress2FilterInBlob(b, &in), NMERR_SUCCESS);
    CHECK_STR(stored(b, CATEGORY_CONFIG, TAG_ADDRESS_PAIR), "");
    out = sentinel;
    CHECK_RC(GetNPPAddress2FilterFromBlob(b, &out, err), NMERR_SUCCESS);
    CHECK(memcmp(&out, &zero, sizeof out) == 0);
    /* out of range: more than 8 pairs, unknown types; the stored table stays */
    for (int i = 0; i < 5; i++) {
        full_address_table(&in);
        in.nAddressPairs = 1;
        CHECK_RC(SetNPPAddress2FilterInBlob(b, &in), NMERR_SUCCESS);
        switch (i) {
        case 0: in.nAddressPairs = 9; break;
        case 1: in.nAddressPairs = 0xFFFFFFFFu; break;
        case 2: in.AddressPair[0].DstAddress.Type = 99; break;
        case 3: in.AddressPair[0].SrcAddress.Type = ADDRESS_TYPE_IP6 + 1; break;
        default: in.nAddressPairs = 8; in.AddressPair[7].SrcAddress.Type = 99; break;
        }
        CHECK_RC(SetNPPAddress2FilterInBlob(b, &in), NMERR_OUT_OF_RANGE);
        CHECK_STR(stored(b, CATEGORY_CONFIG, TAG_ADDRESS_PAIR), "EXCLUDE,0x3,IP,10.0.0.1,0x0,ANY,,0x0");
    }
    /* hand-written text: any case, decimal flags, an IP address in hex */
    CHECK_RC(SetStringInBlob(b, OWNER_NPP, CATEGORY_CONFIG, TAG_ADDRESS_PAIR, "exclude,3,ip,0A000001,0,any,,0"), NMERR_SUCCESS);
    out = sentinel;
    CHECK_RC(GetNPPAddress2FilterFromBlob(b, &out, err), NMERR_SUCCESS);
    full_address_table(&in);
    in.nAddressPairs = 1;
    in.nNonMacAddressPairs = 1;
    memset(&in.AddressPair[1], 0, sizeof in.AddressPair - sizeof in.AddressPair[0]);
    CHECK(memcmp(&in, &out, sizeof in) == 0);
    /* malformed text */
    {
        static const char *const malformed[] = {
            "INCLUDE,0x3,IP,10.0.0,0x0,ANY,,0x0", "MAYBE,0x3,IP,10.0.0.1,0x0,ANY,,0x0", "INCLUDE,0x3,IPZ,10.0.0.1,0x0,ANY,,0x0",
            "INCLUDE,0x3,IP,300.1.1.1,0x0,ANY,,0x0", "INCLUDE,0x3,IP,10.0.0.1,0x0,ANY,", "INCLUDE,0x4,IP,10.0.0.1,0x0,ANY,,0x0",
            "INCLUDE,0x10000,IP,10.0.0.1,0x0,ANY,,0x0", "INCLUDE,0x3,ETHERNET,0001020304,0x0,ANY,,0x0",
            "INCLUDE,0x3,IP6,::g,0x0,ANY,,0x0", "INCLUDE,0x3,IP,10.0.0.1,0x10000,ANY,,0x0", "INCLUDE,0x3,IP,10.0.0.1,0x0,ANY,010203,0x0",
            "INCLUDE,0x3,IP,10.0.0.1,0x0,ANY,,0x0;", "garbage",
            "INCLUDE,1,ANY,,0,ANY,,0;INCLUDE,1,ANY,,0,ANY,,0;INCLUDE,1,ANY,,0,ANY,,0;INCLUDE,1,ANY,,0,ANY,,0;"
            "INCLUDE,1,ANY,,0,ANY,,0;INCLUDE,1,ANY,,0,ANY,,0;INCLUDE,1,ANY,,0,ANY,,0;INCLUDE,1,ANY,,0,ANY,,0;INCLUDE,1,ANY,,0,ANY,,0"};
        for (size_t i = 0; i < NB(malformed); i++) {
            HBLOB e = new_blob();
            CHECK_RC(SetStringInBlob(b, OWNER_NPP, CATEGORY_CONFIG, TAG_ADDRESS_PAIR, malformed[i]), NMERR_SUCCESS);
            out = sentinel;
            CHECK_RC(GetNPPAddress2FilterFromBlob(b, &out, e), NMERR_BLOB_CONVERSION_ERROR);
            CHECK(memcmp(&out, &sentinel, sizeof out) == 0);
            CHECK_STR(stored(e, CATEGORY_CONFIG, TAG_ADDRESS_PAIR), malformed[i]);
            CHECK_RC(GetNPPAddress2FilterFromBlob(b, &out, NULL), NMERR_BLOB_CONVERSION_ERROR);
            CHECK_RC(DestroyBlob(e), NMERR_SUCCESS);
        }
    }
    CHECK_RC(GetStringFromBlob(err, OWNER_NPP, CATEGORY_CONFIG, TAG_ADDRESS_PAIR, &v), NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
    /* arguments and handles */
    full_address_table(&in);
    CHECK_RC(SetNPPAddress2FilterInBlob(b, NULL), NMERR_INVALID_PARAMETER);
    CHECK_RC(GetNPPAddress2FilterFromBlob(b, NULL, err), NMERR_INVALID_PARAMETER);
    for (size_t i = 0; i < NB(bad); i++) {
        out = sentinel;
        CHECK_RC(SetNPPAddress2FilterInBlob(bad[i], &in), NMERR_INVALID_BLOB);
        CHECK_RC(GetNPPAddress2FilterFromBlob(bad[i], &out, err), NMERR_INVALID_BLOB);
        CHECK(memcmp(&out, &sentinel, sizeof out) == 0);
        if (bad[i] == NULL)
            continue;
        CHECK_RC(SetNPPAddress2FilterInBlob(b, &in), NMERR_SUCCESS);
        CHECK_RC(GetNPPAddress2FilterFromBlob(b, &out, bad[i]), NMERR_INVALID_BLOB);
        CHECK(memcmp(&out, &sentinel, sizeof out) == 0);
    }
    CHECK_RC(DestroyBlob(err), NMERR_SUCCESS);
    CHECK_RC(DestroyBlob(b), NMERR_SUCCESS);
}

/* ------------------------------------------------------------------------------------------- */
/* Etype/SAP filter (NPP:Config:Saps, Etypes, LocalOnly, FilterFlags)                           */

struct etsap {
    WORD ns, ne;
    LPBYTE st;
    LPWORD et;
    DWORD ff;
};

static void etsap_sentinel(struct etsap *o) {
    o->ns = o->ne = 0xA5A5;
    o->st = (LPBYTE)(uintptr_t)0xA5A5A5A5;
    o->et = (LPWORD)(uintptr_t)0xA5A5A5A5;
    o->ff = 0xA5A5A5A5;
}

static int etsap_is_sentinel(const struct etsap *o) {
    return o->ns == 0xA5A5 && o->ne == 0xA5A5 && o->st == (LPBYTE)(uintptr_t)0xA5A5A5A5 &&
           o->et == (LPWORD)(uintptr_t)0xA5A5A5A5 && o->ff == 0xA5A5A5A5;
}

static DWORD get_etsap(HBLOB b, struct etsap *o, HBLOB err) {
    etsap_sentinel(o);
    return GetNPPEtypeSapFilter(b, &o->ns, &o->ne, &o->st, &o->et, &o->ff, err);
}

static void etype_sap_filter(void) {
    HBLOB b = new_blob(), err = new_blob(), bad[3] = {NULL, dead_blob(), FORGED};
    BYTE saps[2] = {0x10, 0xE0}, all_saps[256];
    WORD etypes[1] = {0x8137}, more_etypes[3] = {0x0800, 0x0001, 0xFFFF};
    struct etsap o;
    const char *v;

    /* nothing set: include all, no tables */
    CHECK_RC(get_etsap(b, &o, err), NMERR_SUCCESS);
    CHECK(o.ns == 0 && o.ne == 0 && o.st == NULL && o.et == NULL);
    CHECK_EQ(o.ff, CAPTUREFILTER_FLAGS_INCLUDE_ALL);
    /* the documented IPX example */
    CHECK_RC(SetNPPEtypeSapFilter(b, 2, 1, saps, etypes, 0, NULL), NMERR_SUCCESS);
    CHECK_STR(stored(b, CATEGORY_CONFIG, TAG_SAPS), "EXCLUDE ALL EXCEPT 0x10 0xE0");
    CHECK_STR(stored(b, CATEGORY_CONFIG, TAG_ETYPES), "EXCLUDE ALL EXCEPT 0x8137");
    CHECK_STR(stored(b, CATEGORY_CONFIG, TAG_LOCAL_ONLY), "FALSE");
    CHECK(stored(b, CATEGORY_CONFIG, TAG_FILTER_FLAGS) == NULL);
    CHECK_RC(get_etsap(b, &o, err), NMERR_SUCCESS);
    CHECK(o.ns == 2 && o.st != NULL && o.st[0] == 0x10 && o.st[1] == 0xE0);
    CHECK(o.ne == 1 && o.et != NULL && o.et[0] == 0x8137);
    CHECK_EQ(o.ff, 0);
    /* INCLUDE_ALL flags choose the list mode of each part */
    CHECK_RC(SetNPPEtypeSapFilter(b, 2, 1, saps, etypes, CAPTUREFILTER_FLAGS_INCLUDE_ALL_SAPS, err), NMERR_SUCCESS);
    CHECK_STR(stored(b, CATEGORY_CONFIG, TAG_SAPS), "INCLUDE ALL EXCEPT 0x10 0xE0");
    CHECK_STR(stored(b, CATEGORY_CONFIG, TAG_ETYPES), "EXCLUDE ALL EXCEPT 0x8137");
    CHECK_RC(get_etsap(b, &o, err), NMERR_SUCCESS);
    CHECK_EQ(o.ff, CAPTUREFILTER_FLAGS_INCLUDE_ALL_SAPS);
    CHECK(o.ns == 2 && o.ne == 1 && o.st[1] == 0xE0 && o.et[0] == 0x8137);
    CHECK_RC(SetNPPEtypeSapFilter(b, 0, 3, NULL, more_etypes, CAPTUREFILTER_FLAGS_INCLUDE_ALL_ETYPES, err), NMERR_SUCCESS);
    CHECK_STR(stored(b, CATEGORY_CONFIG, TAG_SAPS), "EXCLUDE ALL EXCEPT");
    CHECK_STR(stored(b, CATEGORY_CONFIG, TAG_ETYPES), "INCLUDE ALL EXCEPT 0x0800 0x0001 0xFFFF");
    CHECK_RC(get_etsap(b, &o, err), NMERR_SUCCESS);
    CHECK_EQ(o.ff, CAPTUREFILTER_FLAGS_INCLUDE_ALL_ETYPES);
    CHECK(o.ns == 0 && o.st == NULL && o.ne == 3 && o.et != NULL && memcmp(o.et, more_etypes, sizeof more_etypes) == 0);
    CHECK_RC(SetNPPEtypeSapFilter(b, 2, 1, saps, etypes, CAPTUREFILTER_FLAGS_INCLUDE_ALL, err), NMERR_SUCCESS);
    CHECK_STR(stored(b, CATEGORY_CONFIG, TAG_SAPS), "INCLUDE ALL EXCEPT 0x10 0xE0");
    CHECK_STR(stored(b, CATEGORY_CONFIG, TAG_ETYPES), "INCLUDE ALL EXCEPT 0x8137");
    CHECK_RC(get_etsap(b, &o, err), NMERR_SUCCESS);
    CHECK_EQ(o.ff, CAPTUREFILTER_FLAGS_INCLUDE_ALL);
    /* LOCAL_ONLY goes to its own tag and back */
    CHECK_RC(SetNPPEtypeSapFilter(b, 2, 1, saps, etypes, CAPTUREFILTER_FLAGS_LOCAL_ONLY, err), NMERR_SUCCESS);
    CHECK_STR(stored(b, CATEGORY_CONFIG, TAG_LOCAL_ONLY), "TRUE");
    CHECK(stored(b, CATEGORY_CONFIG, TAG_FILTER_FLAGS) == NULL);
    CHECK_RC(get_etsap(b, &o, err), NMERR_SUCCESS);
    CHECK_EQ(o.ff, CAPTUREFILTER_FLAGS_LOCAL_ONLY);
    /* the other bits go to FilterFlags; a later Set without them removes it */
    CHECK_RC(SetNPPEtypeSapFilter(b, 2, 1, saps, etypes, CAPTUREFILTER_FLAGS_DISCARD_COMMENTS | CAPTUREFILTER_FLAGS_KEEP_RAW, err), NMERR_SUCCESS);
    CHECK_STR(stored(b, CATEGORY_CONFIG, TAG_LOCAL_ONLY), "FALSE");
    CHECK_STR(stored(b, CATEGORY_CONFIG, TAG_FILTER_FLAGS), "0x30");
    CHECK_RC(get_etsap(b, &o, err), NMERR_SUCCESS);
    CHECK_EQ(o.ff, CAPTUREFILTER_FLAGS_DISCARD_COMMENTS | CAPTUREFILTER_FLAGS_KEEP_RAW);
    CHECK_RC(SetNPPEtypeSapFilter(b, 2, 1, saps, etypes, 0x3F, err), NMERR_SUCCESS);
    CHECK_RC(get_etsap(b, &o, err), NMERR_SUCCESS);
    CHECK_EQ(o.ff, 0x3F);
    CHECK_RC(SetNPPEtypeSapFilter(b, 2, 1, saps, etypes, 0, err), NMERR_SUCCESS);
    CHECK_RC(GetStringFromBlob(b, OWNER_NPP, CATEGORY_CONFIG, TAG_FILTER_FLAGS, &v), NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
    CHECK_RC(get_etsap(b, &o, err), NMERR_SUCCESS);
    CHECK_EQ(o.ff, 0);
    /* bad arguments: nothing stored */
    CHECK_RC(SetNPPEtypeSapFilter(b, 2, 1, saps, etypes, 0x40, err), NMERR_INVALID_PARAMETER);
    CHECK_RC(SetNPPEtypeSapFilter(b, 2, 1, saps, etypes, 0x80000000u, err), NMERR_INVALID_PARAMETER);
    CHECK_RC(SetNPPEtypeSapFilter(b, 2, 1, NULL, etypes, 0, err), NMERR_INVALID_PARAMETER);
    CHECK_RC(SetNPPEtypeSapFilter(b, 2, 1, saps, NULL, 0, err), NMERR_INVALID_PARAMETER);
    CHECK_STR(stored(b, CATEGORY_CONFIG, TAG_SAPS), "EXCLUDE ALL EXCEPT 0x10 0xE0");
    CHECK_STR(stored(b, CATEGORY_CONFIG, TAG_ETYPES), "EXCLUDE ALL EXCEPT 0x8137");
    /* empty tables come back NULL; a zero count ignores the pointer */
    CHECK_RC(SetNPPEtypeSapFilter(b, 0, 0, saps, etypes, 0, err), NMERR_SUCCESS);
    CHECK_STR(stored(b, CATEGORY_CONFIG, TAG_SAPS), "EXCLUDE ALL EXCEPT");
    CHECK_RC(get_etsap(b, &o, err), NMERR_SUCCESS);
    CHECK(o.ns == 0 && o.ne == 0 && o.st == NULL && o.et == NULL && o.ff == 0);
    CHECK_RC(SetNPPEtypeSapFilter(b, 0, 0, NULL, NULL, CAPTUREFILTER_FLAGS_INCLUDE_ALL, err), NMERR_SUCCESS);
    CHECK_RC(get_etsap(b, &o, err), NMERR_SUCCESS);
    CHECK(o.ns == 0 && o.ne == 0 && o.st == NULL && o.et == NULL && o.ff == CAPTUREFILTER_FLAGS_INCLUDE_ALL);
    /* every SAP value */
    for (int i = 0; i < 256; i++)
        all_saps[i] = (BYTE)(255 - i);
    CHECK_RC(SetNPPEtypeSapFilter(b, 256, 1, all_saps, etypes, 0, err), NMERR_SUCCESS);
    CHECK_RC(get_etsap(b, &o, err), NMERR_SUCCESS);
    CHECK(o.ns == 256 && o.st != NULL && memcmp(o.st, all_saps, 256) == 0);
    /* hand-stored decimal and lower-case hex */
    CHECK_RC(SetStringInBlob(b, OWNER_NPP, CATEGORY_CONFIG, TAG_SAPS, "EXCLUDE ALL EXCEPT 16 0xe0"), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(b, OWNER_NPP, CATEGORY_CONFIG, TAG_ETYPES, "include all except 33079"), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(b, OWNER_NPP, CATEGORY_CONFIG, TAG_LOCAL_ONLY, "yes"), NMERR_SUCCESS);
    CHECK_RC(get_etsap(b, &o, err), NMERR_SUCCESS);
    CHECK(o.ns == 2 && o.st != NULL && o.st[0] == 0x10 && o.st[1] == 0xE0);
    CHECK(o.ne == 1 && o.et != NULL && o.et[0] == 0x8137);
    CHECK_EQ(o.ff, CAPTUREFILTER_FLAGS_INCLUDE_ALL_ETYPES | CAPTUREFILTER_FLAGS_LOCAL_ONLY);
    /* malformed parts: conversion error, the entry in the error BLOB, no output written */
    {
        static const char *const malformed[][2] = {
            {TAG_SAPS, "bogus"}, {TAG_SAPS, "EXCLUDE ALL EXCEPT 0x100"}, {TAG_SAPS, "EXCLUDE ALL EXCEPT 0x10 zz"},
            {TAG_SAPS, "EXCLUDE ALL EXCEPTX"}, {TAG_ETYPES, "EXCLUDE ALL EXCEPT 0x10000"}, {TAG_ETYPES, "ALL 1"},
            {TAG_LOCAL_ONLY, "maybe"}, {TAG_FILTER_FLAGS, "0xZZ"}};
        for (size_t i = 0; i < NB(malformed); i++) {
            HBLOB m = NULL, e = new_blob();
            CHECK_RC(DuplicateBlob(b, &m), NMERR_SUCCESS);
            CHECK_RC(SetStringInBlob(m, OWNER_NPP, CATEGORY_CONFIG, malformed[i][0], malformed[i][1]), NMERR_SUCCESS);
            CHECK_RC(get_etsap(m, &o, e), NMERR_BLOB_CONVERSION_ERROR);
            CHECK(etsap_is_sentinel(&o));
            CHECK_STR(stored(e, CATEGORY_CONFIG, malformed[i][0]), malformed[i][1]);
            CHECK_RC(get_etsap(m, &o, NULL), NMERR_BLOB_CONVERSION_ERROR);
            CHECK(etsap_is_sentinel(&o));
            CHECK_RC(DestroyBlob(e), NMERR_SUCCESS);
            CHECK_RC(DestroyBlob(m), NMERR_SUCCESS);
        }
    }
    /* arguments and handles */
    CHECK_RC(GetNPPEtypeSapFilter(b, NULL, &o.ne, &o.st, &o.et, &o.ff, err), NMERR_INVALID_PARAMETER);
    CHECK_RC(GetNPPEtypeSapFilter(b, &o.ns, NULL, &o.st, &o.et, &o.ff, err), NMERR_INVALID_PARAMETER);
    CHECK_RC(GetNPPEtypeSapFilter(b, &o.ns, &o.ne, NULL, &o.et, &o.ff, err), NMERR_INVALID_PARAMETER);
    CHECK_RC(GetNPPEtypeSapFilter(b, &o.ns, &o.ne, &o.st, NULL, &o.ff, err), NMERR_INVALID_PARAMETER);
    CHECK_RC(GetNPPEtypeSapFilter(b, &o.ns, &o.ne, &o.st, &o.et, NULL, err), NMERR_INVALID_PARAMETER);
    for (size_t i = 0; i < NB(bad); i++) {
        CHECK_RC(SetNPPEtypeSapFilter(bad[i], 2, 1, saps, etypes, 0, err), NMERR_INVALID_BLOB);
        CHECK_RC(get_etsap(bad[i], &o, err), NMERR_INVALID_BLOB);
        CHECK(etsap_is_sentinel(&o));
        if (bad[i] == NULL)
            continue;
        CHECK_RC(SetNPPEtypeSapFilter(b, 2, 1, saps, etypes, CAPTUREFILTER_FLAGS_LOCAL_ONLY, bad[i]), NMERR_INVALID_BLOB);
        CHECK_RC(get_etsap(b, &o, bad[i]), NMERR_INVALID_BLOB);
        CHECK(etsap_is_sentinel(&o));
    }
    CHECK_STR(stored(b, CATEGORY_CONFIG, TAG_LOCAL_ONLY), "yes"); /* no failed Set stored anything */
    CHECK_RC(GetStringFromBlob(err, OWNER_NPP, CATEGORY_CONFIG, TAG_SAPS, &v), NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
    CHECK_RC(DestroyBlob(err), NMERR_SUCCESS);
    CHECK_RC(DestroyBlob(b), NMERR_SUCCESS);
}

int main(void) {
    typed_values();
    network_info();
    mac_type_number();
    is_remote();
    pattern_filter();
    trigger();
    address_filter();
    etype_sap_filter();
    return check_done("test_blob_config");
}
