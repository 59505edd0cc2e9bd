/* NIC discovery and the NPP table (SDK e.1, e.2; header comments of GetNPPBlobTable,
 * GetNPPBlobFromUI, SelectNPPBlobFromTable, FilterNPPBlob, AllocBlobTable, FreeBlobTable,
 * npp_create, npp_destroy).
 *
 * The live part creates a veth pair inside a private network namespace (root and `ip` only) and
 * runs the discovery inside it in a forked child; it never sends traffic anywhere. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

#define MISSING_IF "ndisnpp-missing0"
#define SENTINEL_TABLE ((PBLOB_TABLE)(uintptr_t)0x5A5A5A50)
#define SENTINEL_BLOB ((HBLOB)(uintptr_t)0x5A5A5A58)
#define SENTINEL_NPP ((HNPP)(uintptr_t)0x5A5A5A60)

/* ---- helpers -------------------------------------------------------------------------------- */

/* NPP:Location:Name of a BLOB, or NULL. */
static const char *nic_name(HBLOB b) {
    const char *s = NULL;
    if (GetStringFromBlob(b, OWNER_NPP, CATEGORY_LOCATION, TAG_NAME, &s) != NMERR_SUCCESS) return NULL;
    return s;
}

static const char *or_none(const char *s) { return s ? s : "(none)"; }

static const char *blob_str(HBLOB b, const char *cat, const char *tag) {
    const char *s = NULL;
    if (GetStringFromBlob(b, OWNER_NPP, cat, tag, &s) != NMERR_SUCCESS) return NULL;
    return s;
}

/* The table entry named `name`, or NULL. */
static HBLOB find_nic(PBLOB_TABLE t, const char *name) {
    DWORD i;
    for (i = 0; t && i < t->dwNumBlobs; i++) {
        const char *n = nic_name(t->hBlobs[i]);
        if (n && strcmp(n, name) == 0) return t->hBlobs[i];
    }
    return NULL;
}

/* Destroys every BLOB of a library table, then the table. */
static void destroy_table(PBLOB_TABLE t) {
    DWORD i;
    if (!t) return;
    for (i = 0; i < t->dwNumBlobs; i++) CHECK_RC(DestroyBlob(t->hBlobs[i]), NMERR_SUCCESS);
    CHECK_RC(FreeBlobTable(t), NMERR_SUCCESS);
}

/* A new BLOB with one NPP entry. */
static HBLOB filter1(const char *cat, const char *tag, const char *value) {
    HBLOB f = NULL;
    CHECK_RC(CreateBlob(&f), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(f, OWNER_NPP, cat, tag, value), NMERR_SUCCESS);
    return f;
}

/* Reads /sys/class/net/<ifname>/<attr> as one line (without the newline); 0 on success. */
static int sysfs_read(const char *ifname, const char *attr, char *buf, size_t len) {
    char path[512];
    FILE *f;
    snprintf(path, sizeof path, "/sys/class/net/%s/%s", ifname, attr);
    f = fopen(path, "r");
    if (!f) return -1;
    if (!fgets(buf, (int)len, f)) {
        fclose(f);
        return -1;
    }
    fclose(f);
    buf[strcspn(buf, "\n")] = '\0';
    return 0;
}

static long sysfs_long(const char *ifname, const char *attr) {
    char buf[64];
    if (sysfs_read(ifname, attr, buf, sizeof buf) != 0) return -1;
    return strtol(buf, NULL, 10);
}

/* "aa:bb:cc:dd:ee:ff" -> "AABBCCDDEEFF" (the BLOB form). */
static void colon_mac_to_blob(const char *in, char out[13]) {
    size_t o = 0;
    for (; *in && o < 12; in++) {
        if (*in == ':') continue;
        out[o++] = (char)((*in >= 'a' && *in <= 'f') ? *in - 'a' + 'A' : *in);
    }
    out[o] = '\0';
}

/* Same entries, same order (compares the marshalled text forms). */
static int same_content(HBLOB a, HBLOB b) {
    DWORD na = 0, nb = 0;
    BYTE *pa = NULL, *pb = NULL;
    if (MarshalBlob(a, &na, &pa) != NMERR_SUCCESS || MarshalBlob(b, &nb, &pb) != NMERR_SUCCESS) return 0;
    return na == nb && memcmp(pa, pb, na) == 0;
}

/* ---- GetNPPBlobTable without a filter ------------------------------------------------------- */

/* The NETWORKINFO facts of one Ethernet-like interface against sysfs (SDK e.2). */
static void check_sysfs_facts(HBLOB b, const char *ifname) {
    char type[32], addr[64], want_mac[13];
    long mtu = sysfs_long(ifname, "mtu");
    long speed = sysfs_long(ifname, "speed");
    DWORD v = 0;
    if (sysfs_read(ifname, "type", type, sizeof type) != 0) return;
    if (strcmp(type, "1") != 0 && strcmp(type, "772") != 0) return; /* not captured as Ethernet */
    printf("  %s: type %s mtu %ld speed %ld\n", ifname, type, mtu, speed);
    CHECK_STR(blob_str(b, CATEGORY_NETWORKINFO, TAG_MACTYPE), PROTOCOL_STRING_ETHERNET_TXT);
    CHECK_RC(GetNPPMacTypeAsNumber(b, &v), NMERR_SUCCESS);
    CHECK_EQ(v, MAC_TYPE_ETHERNET);
    CHECK_RC(GetDwordFromBlob(b, OWNER_NPP, CATEGORY_NETWORKINFO, TAG_MAXFRAMESIZE, &v), NMERR_SUCCESS);
    CHECK_EQ(v, mtu + 14);
    CHECK_RC(GetDwordFromBlob(b, OWNER_NPP, CATEGORY_NETWORKINFO, TAG_LINKSPEED, &v), NMERR_SUCCESS);
    CHECK_EQ(v, speed > 0 ? speed : 0);
    if (sysfs_read(ifname, "address", addr, sizeof addr) == 0) {
        colon_mac_to_blob(addr, want_mac);
        CHECK_STR(blob_str(b, CATEGORY_NETWORKINFO, TAG_CURRENTADDRESS), want_mac);
    }
}

static void test_table(void) {
    PBLOB_TABLE t = NULL, t2 = NULL;
    HBLOB lo;
    DWORD i, j, v = 0;
    BOOL flag = FALSE;
    BYTE mac[6] = {1, 1, 1, 1, 1, 1};
    static const BYTE zero6[6];
    long mtu = sysfs_long("lo", "mtu");
    NETWORKINFO ni;
    char host[256] = {0}, want_node[32] = {0};
    DIR *d;
    struct dirent *e;

    printf("-- GetNPPBlobTable(NULL)\n");
    CHECK_RC(GetNPPBlobTable(NULL, &t), NMERR_SUCCESS);
    CHECK(t != NULL);
    if (!t) return;
    CHECK(t->dwNumBlobs >= 1);
    for (i = 0; i < t->dwNumBlobs; i++) {
        const char *n = nic_name(t->hBlobs[i]);
        printf("  [%u] %s\n", (unsigned)i, n ? n : "(no name)");
        CHECK(t->hBlobs[i] != NULL);
        CHECK(n != NULL && n[0] != '\0');
        for (j = 0; j < i; j++) CHECK(t->hBlobs[j] != t->hBlobs[i]);
        /* Every NIC BLOB names its class and offers IESP. */
        CHECK_STR(blob_str(t->hBlobs[i], CATEGORY_LOCATION, TAG_CLASSID), NDISNPP_CLASSID_TXT);
        flag = FALSE;
        CHECK_RC(GetBoolFromBlob(t->hBlobs[i], OWNER_NPP, CATEGORY_CONFIG, TAG_INTERFACE_EXPERT_STATS, &flag), NMERR_SUCCESS);
        CHECK_EQ(flag, TRUE);
        /* ... and every family that works: IStats, IRTC, IDelaydC (SDK code picks NICs so) */
        {
            static const char *const families[] = {TAG_INTERFACE_STATS, TAG_INTERFACE_REALTIME_CAPTURE, TAG_INTERFACE_DELAYED_CAPTURE};
            size_t k;
            for (k = 0; k < 3; k++) {
                flag = FALSE;
                CHECK_RC(GetBoolFromBlob(t->hBlobs[i], OWNER_NPP, CATEGORY_CONFIG, families[k], &flag), NMERR_SUCCESS);
                CHECK_EQ(flag, TRUE);
            }
        }
        /* The comment is the whole description (the `any` NIC's is longer than NETWORKINFO's 31
         * bytes), as the friendly name. */
        {
            const char *friendly = blob_str(t->hBlobs[i], CATEGORY_LOCATION, TAG_FRIENDLYNAME);
            const char *comment = blob_str(t->hBlobs[i], CATEGORY_NETWORKINFO, TAG_COMMENT);
            CHECK_STR(comment, friendly ? friendly : "(no friendly name)");
            if (strcmp(n ? n : "", "any") == 0) {
                printf("  any: Comment \"%s\"\n", comment ? comment : "(none)");
                CHECK(comment != NULL && strlen(comment) > 31);
            }
        }
    }

    /* lo. */
    lo = find_nic(t, "lo");
    CHECK(lo != NULL);
    CHECK(mtu > 0);
    if (lo) {
        CLSID clsid;
        CHECK_STR(nic_name(lo), "lo");
        CHECK_STR(blob_str(lo, CATEGORY_NETWORKINFO, TAG_MACTYPE), PROTOCOL_STRING_ETHERNET_TXT);
        v = 12345;
        CHECK_RC(GetNPPMacTypeAsNumber(lo, &v), NMERR_SUCCESS);
        CHECK_EQ(v, MAC_TYPE_ETHERNET);
        v = 0;
        CHECK_RC(GetDwordFromBlob(lo, OWNER_NPP, CATEGORY_NETWORKINFO, TAG_MAXFRAMESIZE, &v), NMERR_SUCCESS);
        CHECK_EQ(v, mtu + 14);
        CHECK_RC(GetMacAddressFromBlob(lo, OWNER_NPP, CATEGORY_NETWORKINFO, TAG_CURRENTADDRESS, mac), NMERR_SUCCESS);
        CHECK(memcmp(mac, zero6, 6) == 0);
        CHECK_STR(blob_str(lo, CATEGORY_NETWORKINFO, TAG_CURRENTADDRESS), "000000000000");
        CHECK(blob_str(lo, CATEGORY_LOCATION, TAG_MACADDRESS) != NULL);
        flag = FALSE;
        CHECK_RC(GetBoolFromBlob(lo, OWNER_NPP, CATEGORY_CONFIG, TAG_INTERFACE_EXPERT_STATS, &flag), NMERR_SUCCESS);
        CHECK_EQ(flag, TRUE);
        CHECK_STR(blob_str(lo, CATEGORY_LOCATION, TAG_CLASSID), NDISNPP_CLASSID_TXT);
        CHECK_RC(GetClassIDFromBlob(lo, OWNER_NPP, CATEGORY_LOCATION, TAG_CLASSID, &clsid), NMERR_SUCCESS);
        CHECK_EQ(clsid.Data1, 0x8C3B7A52u);
        CHECK_EQ(clsid.Data2, 0x1D64);
        CHECK_EQ(clsid.Data3, 0x4E0F);
        CHECK_EQ(clsid.Data4[0], 0xA9);
        CHECK_EQ(clsid.Data4[7], 0x47);

        /* NETWORKINFO from the BLOB agrees with the tags (SDK e.2 / e.3). */
        memset(&ni, 0xEE, sizeof ni);
        CHECK_RC(GetNetworkInfoFromBlob(lo, &ni), NMERR_SUCCESS);
        CHECK_EQ(ni.MacType, MAC_TYPE_ETHERNET);
        CHECK_EQ(ni.MaxFrameSize, mtu + 14);
        CHECK(memcmp(ni.CurrentAddr, zero6, 6) == 0);
        CHECK(memcmp(ni.PermanentAddr, zero6, 6) == 0);
        CHECK(memcmp(ni.Reserved, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 14) == 0);
        CHECK_EQ(ni.LinkSpeed, 0); /* lo has no speed */
        CHECK_EQ(ni.Flags, 0);
        CHECK_EQ(ni.TimestampScaleFactor, 1000);
        CHECK_EQ(ni.PModeSupported, TRUE);
        CHECK(gethostname(host, sizeof host - 1) == 0);
        memcpy(want_node, host, strnlen(host, sizeof want_node - 1)); /* NUL-padded, at most 31 */
        CHECK(memcmp(ni.NodeName, want_node, 32) == 0);
        CHECK_EQ(ni.NodeName[31], 0);
        printf("  lo: NodeName \"%.31s\" (host \"%s\"), MaxFrameSize %u (mtu %ld), Comment \"%.31s\"\n",
               (const char *)ni.NodeName, host, (unsigned)ni.MaxFrameSize, mtu, (const char *)ni.Comment);
        CHECK(ni.Comment[0] != 0);
        CHECK_EQ(ni.Comment[31], 0);
    }

    /* Every kernel interface has a BLOB; the Ethernet-like ones agree with sysfs. */
    d = opendir("/sys/class/net");
    CHECK(d != NULL);
    while (d && (e = readdir(d)) != NULL) {
        HBLOB b;
        if (e->d_name[0] == '.') continue;
        b = find_nic(t, e->d_name);
        printf("  /sys/class/net/%s -> %s\n", e->d_name, b ? "BLOB" : "no BLOB");
        CHECK(b != NULL);
        if (b) check_sysfs_facts(b, e->d_name);
    }
    if (d) closedir(d);

    /* A second call hands out new BLOBs. */
    CHECK_RC(GetNPPBlobTable(NULL, &t2), NMERR_SUCCESS);
    if (t2) {
        HBLOB lo2 = find_nic(t2, "lo");
        CHECK(lo2 != NULL && lo2 != lo);
        if (lo2 && lo) CHECK(same_content(lo, lo2));
        destroy_table(t2);
    }
    /* Destroying one table's BLOBs leaves the other's alone. */
    if (lo) CHECK_STR(nic_name(lo), "lo");

    destroy_table(t);
    CHECK_RC(FreeBlobTable(t), NMERR_INVALID_PARAMETER); /* already freed */

    /* NULL out pointer. */
    CHECK_RC(GetNPPBlobTable(NULL, NULL), NMERR_INVALID_PARAMETER);
}

/* ---- filters -------------------------------------------------------------------------------- */

static void test_filters(void) {
    PBLOB_TABLE all = NULL, t = NULL;
    HBLOB f_lo, f_mac, f_missing, f_specials, f_specials_lo, f_empty, f_iesp, f_absent, f_dead, lo = NULL;
    DWORD i, v;

    printf("-- filters\n");
    CHECK_RC(GetNPPBlobTable(NULL, &all), NMERR_SUCCESS);
    if (all) lo = find_nic(all, "lo");
    CHECK(lo != NULL);

    f_lo = filter1(CATEGORY_LOCATION, TAG_NAME, "lo");
    f_mac = filter1(CATEGORY_NETWORKINFO, TAG_MACTYPE, "ethernet");
    f_missing = filter1(CATEGORY_LOCATION, TAG_NAME, MISSING_IF);
    f_specials = filter1(CATEGORY_FINDER, TAG_GET_SPECIAL_BLOBS, "TRUE");
    f_specials_lo = filter1(CATEGORY_FINDER, TAG_GET_SPECIAL_BLOBS, "TRUE");
    CHECK_RC(SetStringInBlob(f_specials_lo, OWNER_NPP, CATEGORY_LOCATION, TAG_NAME, "lo"), NMERR_SUCCESS);
    f_iesp = filter1(CATEGORY_CONFIG, TAG_INTERFACE_EXPERT_STATS, "yes"); /* BOOL compares by value */
    f_absent = filter1("NoSuchCategory", "NoSuchTag", "1");
    CHECK_RC(CreateBlob(&f_empty), NMERR_SUCCESS);
    f_dead = filter1(CATEGORY_LOCATION, TAG_NAME, "lo");
    CHECK_RC(DestroyBlob(f_dead), NMERR_SUCCESS);

    /* Name = lo: exactly lo. */
    t = NULL;
    CHECK_RC(GetNPPBlobTable(f_lo, &t), NMERR_SUCCESS);
    if (t) {
        CHECK_EQ(t->dwNumBlobs, 1);
        CHECK_STR(nic_name(t->hBlobs[0]), "lo");
        destroy_table(t);
    }

    /* MacType = ethernet (case-insensitive): lo stays, everything kept is Ethernet. */
    t = NULL;
    CHECK_RC(GetNPPBlobTable(f_mac, &t), NMERR_SUCCESS);
    if (t) {
        CHECK(find_nic(t, "lo") != NULL);
        for (i = 0; i < t->dwNumBlobs; i++) {
            v = 0;
            CHECK_RC(GetNPPMacTypeAsNumber(t->hBlobs[i], &v), NMERR_SUCCESS);
            CHECK_EQ(v, MAC_TYPE_ETHERNET);
        }
        destroy_table(t);
    }

    /* A BOOL criterion compares by value ("yes" == "TRUE"). */
    t = NULL;
    CHECK_RC(GetNPPBlobTable(f_iesp, &t), NMERR_SUCCESS);
    if (t) {
        CHECK(find_nic(t, "lo") != NULL);
        destroy_table(t);
    }

    /* A missing interface: NMERR_NO_MATCHING_NPPS, out pointer unchanged. */
    t = SENTINEL_TABLE;
    CHECK_RC(GetNPPBlobTable(f_missing, &t), NMERR_NO_MATCHING_NPPS);
    CHECK(t == SENTINEL_TABLE);
    /* A criterion no NIC BLOB has. */
    t = SENTINEL_TABLE;
    CHECK_RC(GetNPPBlobTable(f_absent, &t), NMERR_NO_MATCHING_NPPS);
    CHECK(t == SENTINEL_TABLE);

    /* NPP:Finder:Specials is an instruction, not a criterion. */
    t = NULL;
    CHECK_RC(GetNPPBlobTable(f_specials, &t), NMERR_SUCCESS);
    if (t && all) {
        CHECK_EQ(t->dwNumBlobs, all->dwNumBlobs);
        CHECK(find_nic(t, "lo") != NULL);
        destroy_table(t);
    }
    t = NULL;
    CHECK_RC(GetNPPBlobTable(f_specials_lo, &t), NMERR_SUCCESS);
    if (t) {
        CHECK_EQ(t->dwNumBlobs, 1);
        CHECK_STR(nic_name(t->hBlobs[0]), "lo");
        destroy_table(t);
    }
    /* An empty filter passes everything. */
    t = NULL;
    CHECK_RC(GetNPPBlobTable(f_empty, &t), NMERR_SUCCESS);
    if (t && all) {
        CHECK_EQ(t->dwNumBlobs, all->dwNumBlobs);
        destroy_table(t);
    }

    /* Invalid filter handle, NULL out pointer. */
    t = SENTINEL_TABLE;
    CHECK_RC(GetNPPBlobTable(f_dead, &t), NMERR_INVALID_BLOB);
    CHECK(t == SENTINEL_TABLE);
    CHECK_RC(GetNPPBlobTable((HBLOB)(uintptr_t)0x1234, &t), NMERR_INVALID_BLOB);
    CHECK(t == SENTINEL_TABLE);
    CHECK_RC(GetNPPBlobTable(f_lo, NULL), NMERR_INVALID_PARAMETER);

    /* FilterNPPBlob. */
    if (lo) {
        CHECK_EQ(FilterNPPBlob(lo, f_lo), TRUE);
        CHECK_EQ(FilterNPPBlob(lo, f_mac), TRUE);
        CHECK_EQ(FilterNPPBlob(lo, f_iesp), TRUE);
        CHECK_EQ(FilterNPPBlob(lo, f_specials), TRUE);
        CHECK_EQ(FilterNPPBlob(lo, f_specials_lo), TRUE);
        CHECK_EQ(FilterNPPBlob(lo, f_empty), TRUE);
        CHECK_EQ(FilterNPPBlob(lo, f_missing), FALSE);
        CHECK_EQ(FilterNPPBlob(lo, f_absent), FALSE);
        /* Invalid handles. */
        CHECK_EQ(FilterNPPBlob(lo, f_dead), FALSE);
        CHECK_EQ(FilterNPPBlob(lo, NULL), FALSE);
        CHECK_EQ(FilterNPPBlob(f_dead, f_empty), FALSE);
        CHECK_EQ(FilterNPPBlob(NULL, f_empty), FALSE);
        CHECK_EQ(FilterNPPBlob((HBLOB)(uintptr_t)0x1234, f_empty), FALSE);
        CHECK_EQ(FilterNPPBlob(NULL, NULL), FALSE);
    }
    /* A hand-made candidate: text compares case-insensitively, DWORDs by value. */
    {
        HBLOB cand = filter1(CATEGORY_LOCATION, TAG_NAME, "eth7");
        HBLOB f_frame = filter1(CATEGORY_NETWORKINFO, TAG_MAXFRAMESIZE, "0x5EA"); /* 1514 */
        HBLOB f_frame_bad = filter1(CATEGORY_NETWORKINFO, TAG_MAXFRAMESIZE, "1515");
        CHECK_RC(SetStringInBlob(cand, OWNER_NPP, CATEGORY_NETWORKINFO, TAG_MACTYPE, "ETHERNET"), NMERR_SUCCESS);
        CHECK_RC(SetDwordInBlob(cand, OWNER_NPP, CATEGORY_NETWORKINFO, TAG_MAXFRAMESIZE, 1514), NMERR_SUCCESS);
        CHECK_EQ(FilterNPPBlob(cand, f_mac), TRUE);
        CHECK_EQ(FilterNPPBlob(cand, f_frame), TRUE);
        CHECK_EQ(FilterNPPBlob(cand, f_frame_bad), FALSE);
        CHECK_EQ(FilterNPPBlob(cand, f_lo), FALSE);
        CHECK_RC(DestroyBlob(cand), NMERR_SUCCESS);
        CHECK_RC(DestroyBlob(f_frame), NMERR_SUCCESS);
        CHECK_RC(DestroyBlob(f_frame_bad), NMERR_SUCCESS);
    }

    CHECK_RC(DestroyBlob(f_lo), NMERR_SUCCESS);
    CHECK_RC(DestroyBlob(f_mac), NMERR_SUCCESS);
    CHECK_RC(DestroyBlob(f_missing), NMERR_SUCCESS);
    CHECK_RC(DestroyBlob(f_specials), NMERR_SUCCESS);
    CHECK_RC(DestroyBlob(f_specials_lo), NMERR_SUCCESS);
    CHECK_RC(DestroyBlob(f_iesp), NMERR_SUCCESS);
    CHECK_RC(DestroyBlob(f_absent), NMERR_SUCCESS);
    CHECK_RC(DestroyBlob(f_empty), NMERR_SUCCESS);
    destroy_table(all);
}

/* ---- GetNPPBlobFromUI ------------------------------------------------------------------------ */

static void test_from_ui(void) {
    PBLOB_TABLE all = NULL;
    HBLOB b = NULL, f_lo, f_missing, f_dead;
    const char *first = NULL;

    printf("-- GetNPPBlobFromUI\n");
    unsetenv("NETMON_NPP_NAME");
    CHECK_RC(GetNPPBlobTable(NULL, &all), NMERR_SUCCESS);
    if (all && all->dwNumBlobs > 0) first = nic_name(all->hBlobs[0]);
    CHECK(first != NULL);

    /* No name: the first interface. */
    CHECK_RC(GetNPPBlobFromUI(NULL, NULL, &b), NMERR_SUCCESS);
    CHECK(b != NULL);
    if (b) {
        if (first) CHECK_STR(nic_name(b), first);
        if (all) CHECK(b != all->hBlobs[0]);
        CHECK_RC(DestroyBlob(b), NMERR_SUCCESS);
    }
    /* hwnd is ignored. */
    b = NULL;
    CHECK_RC(GetNPPBlobFromUI((HWND)(uintptr_t)0x1, NULL, &b), NMERR_SUCCESS);
    if (b) CHECK_RC(DestroyBlob(b), NMERR_SUCCESS);

    /* NETMON_NPP_NAME=lo. */
    setenv("NETMON_NPP_NAME", "lo", 1);
    b = NULL;
    CHECK_RC(GetNPPBlobFromUI(NULL, NULL, &b), NMERR_SUCCESS);
    if (b) {
        CHECK_STR(nic_name(b), "lo");
        CHECK_RC(DestroyBlob(b), NMERR_SUCCESS);
    }
    /* A name that does not exist. */
    setenv("NETMON_NPP_NAME", MISSING_IF, 1);
    b = SENTINEL_BLOB;
    CHECK_RC(GetNPPBlobFromUI(NULL, NULL, &b), NMERR_NO_NPP_SELECTED);
    CHECK(b == SENTINEL_BLOB);
    unsetenv("NETMON_NPP_NAME");

    /* With filters. */
    f_lo = filter1(CATEGORY_LOCATION, TAG_NAME, "lo");
    f_missing = filter1(CATEGORY_LOCATION, TAG_NAME, MISSING_IF);
    f_dead = filter1(CATEGORY_LOCATION, TAG_NAME, "lo");
    CHECK_RC(DestroyBlob(f_dead), NMERR_SUCCESS);
    b = NULL;
    CHECK_RC(GetNPPBlobFromUI(NULL, f_lo, &b), NMERR_SUCCESS);
    if (b) {
        CHECK_STR(nic_name(b), "lo");
        CHECK_RC(DestroyBlob(b), NMERR_SUCCESS);
    }
    b = SENTINEL_BLOB;
    CHECK_RC(GetNPPBlobFromUI(NULL, f_missing, &b), NMERR_NO_NPP_SELECTED);
    CHECK(b == SENTINEL_BLOB);
    CHECK_RC(GetNPPBlobFromUI(NULL, f_dead, &b), NMERR_INVALID_BLOB);
    CHECK(b == SENTINEL_BLOB);
    CHECK_RC(GetNPPBlobFromUI(NULL, NULL, NULL), NMERR_INVALID_PARAMETER);

    CHECK_RC(DestroyBlob(f_lo), NMERR_SUCCESS);
    CHECK_RC(DestroyBlob(f_missing), NMERR_SUCCESS);
    destroy_table(all);
}

/* ---- SelectNPPBlobFromTable, AllocBlobTable ---------------------------------------------------- */

static void test_select(void) {
    static const char *names[3] = {"ndisnpp-a", "ndisnpp-b", "lo"};
    PBLOB_TABLE t, t0, t2, nic_table = NULL;
    HBLOB b = NULL, dead = NULL;
    DWORD i;

    printf("-- SelectNPPBlobFromTable\n");
    unsetenv("NETMON_NPP_NAME");
    t = AllocBlobTable(3);
    CHECK(t != NULL);
    if (!t) return;
    CHECK_EQ(t->dwNumBlobs, 3);
    for (i = 0; i < 3; i++) CHECK(t->hBlobs[i] == NULL); /* zeroed */
    /* A table of NULL handles has no live BLOB in it. */
    b = SENTINEL_BLOB;
    CHECK_RC(SelectNPPBlobFromTable(NULL, t, &b), NMERR_INVALID_BLOB);
    CHECK(b == SENTINEL_BLOB);
    for (i = 0; i < 3; i++) {
        CHECK_RC(CreateBlob(&t->hBlobs[i]), NMERR_SUCCESS);
        CHECK_RC(SetStringInBlob(t->hBlobs[i], OWNER_NPP, CATEGORY_LOCATION, TAG_NAME, names[i]), NMERR_SUCCESS);
        CHECK_RC(SetDwordInBlob(t->hBlobs[i], OWNER_NPP, CATEGORY_NETWORKINFO, TAG_MAXFRAMESIZE, 1000 + i), NMERR_SUCCESS);
    }

    /* No name: the first; a new BLOB with the same content. */
    b = NULL;
    CHECK_RC(SelectNPPBlobFromTable(NULL, t, &b), NMERR_SUCCESS);
    CHECK(b != NULL && b != t->hBlobs[0]);
    if (b) {
        CHECK_STR(nic_name(b), "ndisnpp-a");
        CHECK(same_content(b, t->hBlobs[0]));
        /* The copy is independent of the table entry. */
        CHECK_RC(SetStringInBlob(b, OWNER_NPP, CATEGORY_LOCATION, TAG_FRIENDLYNAME, "copy"), NMERR_SUCCESS);
        CHECK(blob_str(t->hBlobs[0], CATEGORY_LOCATION, TAG_FRIENDLYNAME) == NULL);
        CHECK_RC(DestroyBlob(b), NMERR_SUCCESS);
    }
    /* The table is unchanged and its entries still live. */
    CHECK_EQ(t->dwNumBlobs, 3);
    CHECK_STR(nic_name(t->hBlobs[0]), "ndisnpp-a");
    CHECK_STR(nic_name(t->hBlobs[1]), "ndisnpp-b");
    CHECK_STR(nic_name(t->hBlobs[2]), "lo");

    /* By NETMON_NPP_NAME. */
    setenv("NETMON_NPP_NAME", "lo", 1);
    b = NULL;
    CHECK_RC(SelectNPPBlobFromTable(NULL, t, &b), NMERR_SUCCESS);
    if (b) {
        CHECK(b != t->hBlobs[2]);
        CHECK_STR(nic_name(b), "lo");
        CHECK(same_content(b, t->hBlobs[2]));
        CHECK_RC(DestroyBlob(b), NMERR_SUCCESS);
    }
    setenv("NETMON_NPP_NAME", "ndisnpp-b", 1);
    b = NULL;
    CHECK_RC(SelectNPPBlobFromTable((HWND)(uintptr_t)0x1, t, &b), NMERR_SUCCESS);
    if (b) {
        CHECK_STR(nic_name(b), "ndisnpp-b");
        CHECK_RC(DestroyBlob(b), NMERR_SUCCESS);
    }
    CHECK_STR(nic_name(t->hBlobs[1]), "ndisnpp-b");
    setenv("NETMON_NPP_NAME", MISSING_IF, 1);
    b = SENTINEL_BLOB;
    CHECK_RC(SelectNPPBlobFromTable(NULL, t, &b), NMERR_NO_NPP_SELECTED);
    CHECK(b == SENTINEL_BLOB);
    unsetenv("NETMON_NPP_NAME");

    /* Empty table. */
    t0 = AllocBlobTable(0);
    CHECK(t0 != NULL);
    if (t0) {
        CHECK_EQ(t0->dwNumBlobs, 0);
        b = SENTINEL_BLOB;
        CHECK_RC(SelectNPPBlobFromTable(NULL, t0, &b), NMERR_NO_NPP_SELECTED);
        CHECK(b == SENTINEL_BLOB);
        CHECK_RC(FreeBlobTable(t0), NMERR_SUCCESS);
    }

    /* A table with a destroyed handle. */
    t2 = AllocBlobTable(2);
    CHECK(t2 != NULL);
    if (t2) {
        CHECK_RC(CreateBlob(&dead), NMERR_SUCCESS);
        CHECK_RC(SetStringInBlob(dead, OWNER_NPP, CATEGORY_LOCATION, TAG_NAME, "dead"), NMERR_SUCCESS);
        CHECK_RC(DestroyBlob(dead), NMERR_SUCCESS);
        t2->hBlobs[0] = t->hBlobs[0];
        t2->hBlobs[1] = dead;
        b = SENTINEL_BLOB;
        CHECK_RC(SelectNPPBlobFromTable(NULL, t2, &b), NMERR_INVALID_BLOB);
        CHECK(b == SENTINEL_BLOB);
        t2->hBlobs[0] = dead;
        t2->hBlobs[1] = t->hBlobs[0];
        CHECK_RC(SelectNPPBlobFromTable(NULL, t2, &b), NMERR_INVALID_BLOB);
        CHECK(b == SENTINEL_BLOB);
        CHECK_RC(FreeBlobTable(t2), NMERR_SUCCESS);
    }

    /* NULL table, NULL out pointer. */
    b = SENTINEL_BLOB;
    CHECK_RC(SelectNPPBlobFromTable(NULL, NULL, &b), NMERR_INVALID_PARAMETER);
    CHECK(b == SENTINEL_BLOB);
    CHECK_RC(SelectNPPBlobFromTable(NULL, t, NULL), NMERR_INVALID_PARAMETER);

    destroy_table(t);

    /* A table from GetNPPBlobTable works too. */
    CHECK_RC(GetNPPBlobTable(NULL, &nic_table), NMERR_SUCCESS);
    if (nic_table) {
        setenv("NETMON_NPP_NAME", "lo", 1);
        b = NULL;
        CHECK_RC(SelectNPPBlobFromTable(NULL, nic_table, &b), NMERR_SUCCESS);
        if (b) {
            CHECK_STR(nic_name(b), "lo");
            CHECK(same_content(b, find_nic(nic_table, "lo")));
            CHECK_RC(DestroyBlob(b), NMERR_SUCCESS);
        }
        unsetenv("NETMON_NPP_NAME");
        destroy_table(nic_table);
    }
}

/* ---- FreeBlobTable ---------------------------------------------------------------------------- */

static void test_free_table(void) {
    BLOB_TABLE on_stack;
    PBLOB_TABLE heap, t;

    printf("-- FreeBlobTable\n");
    memset(&on_stack, 0, sizeof on_stack);
    CHECK_RC(FreeBlobTable(NULL), NMERR_INVALID_PARAMETER);
    CHECK_RC(FreeBlobTable(&on_stack), NMERR_INVALID_PARAMETER);
    heap = (PBLOB_TABLE)calloc(1, BLOB_TABLE_SIZE(2));
    CHECK(heap != NULL);
    if (heap) {
        heap->dwNumBlobs = 2;
        CHECK_RC(FreeBlobTable(heap), NMERR_INVALID_PARAMETER);
        free(heap); /* still ours: the library did not free it */
    }
    t = AllocBlobTable(4);
    CHECK(t != NULL);
    if (t) {
        /* A pointer inside a library table is not a table. */
        CHECK_RC(FreeBlobTable((PBLOB_TABLE)(void *)&t->hBlobs[1]), NMERR_INVALID_PARAMETER);
        CHECK_RC(FreeBlobTable(t), NMERR_SUCCESS);
        CHECK_RC(FreeBlobTable(t), NMERR_INVALID_PARAMETER); /* double free */
    }
}

/* ---- npp_create / npp_destroy ----------------------------------------------------------------- */

static void test_npp(void) {
    PBLOB_TABLE t = NULL;
    HBLOB lo = NULL, empty = NULL, other = NULL, replay = NULL, dead = NULL, dup = NULL;
    HNPP h = NULL, h2 = NULL;

    printf("-- npp_create / npp_destroy\n");
    CHECK_RC(GetNPPBlobTable(NULL, &t), NMERR_SUCCESS);
    if (t) lo = find_nic(t, "lo");
    CHECK(lo != NULL);

    if (lo) {
        CHECK_RC(npp_create(lo, &h), NMERR_SUCCESS);
        CHECK(h != NULL);
        CHECK_RC(npp_create(lo, &h2), NMERR_SUCCESS);
        CHECK(h2 != NULL && h2 != h);
        CHECK_RC(npp_destroy(h), NMERR_SUCCESS);
        CHECK_RC(npp_destroy(h), NMERR_INVALID_HNETWORK);
        CHECK_RC(npp_destroy(h2), NMERR_SUCCESS);
        CHECK_RC(npp_destroy(h2), NMERR_INVALID_HNETWORK);
        /* The BLOB is still the caller's. */
        CHECK_STR(nic_name(lo), "lo");

        /* The NPP keeps its own copy: destroying the NIC BLOB afterwards does not matter. */
        CHECK_RC(DuplicateBlob(lo, &dup), NMERR_SUCCESS);
        h = NULL;
        CHECK_RC(npp_create(dup, &h), NMERR_SUCCESS);
        CHECK(h != NULL);
        CHECK_RC(DestroyBlob(dup), NMERR_SUCCESS);
        CHECK_RC(npp_destroy(h), NMERR_SUCCESS);

        /* NULL out pointer. */
        CHECK_RC(npp_create(lo, NULL), NMERR_INVALID_PARAMETER);
    }

    /* A BLOB naming no interface. */
    CHECK_RC(CreateBlob(&empty), NMERR_SUCCESS);
    h = SENTINEL_NPP;
    CHECK_RC(npp_create(empty, &h), NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
    CHECK(h == SENTINEL_NPP);
    other = filter1(CATEGORY_NETWORKINFO, TAG_NAME, "lo"); /* the wrong category */
    CHECK_RC(SetStringInBlob(other, OWNER_NPP, CATEGORY_LOCATION, TAG_FRIENDLYNAME, "lo"), NMERR_SUCCESS);
    CHECK_RC(npp_create(other, &h), NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
    CHECK(h == SENTINEL_NPP);

    /* A BLOB with only a replay file. */
    replay = filter1(CATEGORY_LOCATION, TAG_REPLAY_FILE, "/nonexistent/ndisnpp-test-replay.cap");
    h = NULL;
    CHECK_RC(npp_create(replay, &h), NMERR_SUCCESS);
    CHECK(h != NULL);
    if (h) CHECK_RC(npp_destroy(h), NMERR_SUCCESS);

    /* NULL and destroyed BLOBs. */
    h = SENTINEL_NPP;
    CHECK_RC(npp_create(NULL, &h), NMERR_INVALID_BLOB);
    CHECK(h == SENTINEL_NPP);
    dead = filter1(CATEGORY_LOCATION, TAG_NAME, "lo");
    CHECK_RC(DestroyBlob(dead), NMERR_SUCCESS);
    CHECK_RC(npp_create(dead, &h), NMERR_INVALID_BLOB);
    CHECK(h == SENTINEL_NPP);
    CHECK_RC(npp_create((HBLOB)(uintptr_t)0x1234, &h), NMERR_INVALID_BLOB);
    CHECK(h == SENTINEL_NPP);

    /* npp_destroy of NULL, forged and other-table handles. */
    CHECK_RC(npp_destroy(NULL), NMERR_INVALID_HNETWORK);
    CHECK_RC(npp_destroy((HNPP)(uintptr_t)0xDEADBEEF), NMERR_INVALID_HNETWORK);
    CHECK_RC(npp_destroy((HNPP)(uintptr_t)1), NMERR_INVALID_HNETWORK);
    CHECK_RC(npp_destroy(SENTINEL_NPP), NMERR_INVALID_HNETWORK);
    CHECK_RC(npp_destroy((HNPP)(uintptr_t)replay), NMERR_INVALID_HNETWORK); /* a BLOB handle */
    /* ...and the BLOB is untouched by that. */
    CHECK(blob_str(replay, CATEGORY_LOCATION, TAG_REPLAY_FILE) != NULL);

    CHECK_RC(DestroyBlob(empty), NMERR_SUCCESS);
    CHECK_RC(DestroyBlob(other), NMERR_SUCCESS);
    CHECK_RC(DestroyBlob(replay), NMERR_SUCCESS);
    destroy_table(t);
}

/* ---- live: a veth pair in a private network namespace ------------------------------------------ */

#define VETH0 "nppveth0"
#define VETH1 "nppveth1"
#define VETH_DOWN "nppveth2" /* a second pair, never brought up (peer nppveth3) */
#define VETH_MAC "02:4e:44:49:53:01"
#define VETH_MAC_BLOB "024E44495301"
#define VETH_MTU 1400
#define NS_LO_MTU 9000 /* the namespace's lo (stays down) */

static int run(const char *fmt, const char *ns) {
    char cmd[512];
    int rc;
    snprintf(cmd, sizeof cmd, fmt, ns, ns, ns, ns);
    printf("  $ %s\n", cmd);
    fflush(stdout);
    rc = system(cmd);
    return rc == -1 ? -1 : (WIFEXITED(rc) ? WEXITSTATUS(rc) : -1);
}

/* In the forked child, inside the namespace: the discovery must describe the veth. With
 * `remount_sys` the child also gets a private mount namespace with a /sys of the new network
 * namespace (what `ip netns exec` does); without it, only the network namespace changes (what
 * setns(2) or `nsenter --net` give a program). */
static int child_in_namespace(const char *ns, int remount_sys) {
    char path[256];
    int fd;
    PBLOB_TABLE t = NULL;
    HBLOB v0, v1, v2, lo;
    NETWORKINFO ni;
    DWORD v = 0;

    check_failures = 0; /* this process's own verdict, not the parent's so far */
    snprintf(path, sizeof path, "/run/netns/%s", ns);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "child: open %s: %s\n", path, strerror(errno));
        return 2;
    }
    if (setns(fd, CLONE_NEWNET) != 0) {
        fprintf(stderr, "child: setns: %s\n", strerror(errno));
        close(fd);
        return 2;
    }
    close(fd);
    if (remount_sys) {
        if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
            umount2("/sys", MNT_DETACH) != 0 || mount("sysfs", "/sys", "sysfs", 0, NULL) != 0) {
            fprintf(stderr, "child: remounting /sys: %s\n", strerror(errno));
            return 2;
        }
    }

    CHECK_RC(GetNPPBlobTable(NULL, &t), NMERR_SUCCESS);
    if (!t) return 1;
    {
        DWORD i;
        for (i = 0; i < t->dwNumBlobs; i++) {
            const char *n = nic_name(t->hBlobs[i]);
            printf("  child: [%u] %s CurrentAddress=%s MaxFrameSize=%s MacType=%s\n", (unsigned)i, or_none(n),
                   or_none(blob_str(t->hBlobs[i], CATEGORY_NETWORKINFO, TAG_CURRENTADDRESS)),
                   or_none(blob_str(t->hBlobs[i], CATEGORY_NETWORKINFO, TAG_MAXFRAMESIZE)),
                   or_none(blob_str(t->hBlobs[i], CATEGORY_NETWORKINFO, TAG_MACTYPE)));
        }
    }
    v0 = find_nic(t, VETH0);
    v1 = find_nic(t, VETH1);
    CHECK(v0 != NULL);
    CHECK(v1 != NULL);
    if (v0) {
        BYTE mac[6] = {0};
        static const BYTE want[6] = {0x02, 0x4E, 0x44, 0x49, 0x53, 0x01};
        CHECK_STR(blob_str(v0, CATEGORY_NETWORKINFO, TAG_CURRENTADDRESS), VETH_MAC_BLOB);
        CHECK_RC(GetMacAddressFromBlob(v0, OWNER_NPP, CATEGORY_NETWORKINFO, TAG_CURRENTADDRESS, mac), NMERR_SUCCESS);
        CHECK(memcmp(mac, want, 6) == 0);
        CHECK_RC(GetDwordFromBlob(v0, OWNER_NPP, CATEGORY_NETWORKINFO, TAG_MAXFRAMESIZE, &v), NMERR_SUCCESS);
        CHECK_EQ(v, VETH_MTU + 14);
        CHECK(blob_str(v0, CATEGORY_LOCATION, TAG_MACADDRESS) != NULL);
        v = 0;
        CHECK_RC(GetNPPMacTypeAsNumber(v0, &v), NMERR_SUCCESS);
        CHECK_EQ(v, MAC_TYPE_ETHERNET);
        memset(&ni, 0, sizeof ni);
        CHECK_RC(GetNetworkInfoFromBlob(v0, &ni), NMERR_SUCCESS);
        CHECK(memcmp(ni.CurrentAddr, want, 6) == 0);
        CHECK(memcmp(ni.PermanentAddr, want, 6) == 0); /* veth has no burned-in address */
        CHECK_EQ(ni.MaxFrameSize, VETH_MTU + 14);
        CHECK_EQ(ni.PModeSupported, TRUE);
        CHECK_EQ(ni.Flags, 0);
        CHECK_STR(nic_name(v0), VETH0);
    }
    if (v1) {
        CHECK_RC(GetDwordFromBlob(v1, OWNER_NPP, CATEGORY_NETWORKINFO, TAG_MAXFRAMESIZE, &v), NMERR_SUCCESS);
        CHECK_EQ(v, VETH_MTU + 14);
    }
    /* Link speed: veth's nominal speed while up; none (0) for the pair left down, as sysfs. */
    if (v0) {
        v = 0;
        CHECK_RC(GetDwordFromBlob(v0, OWNER_NPP, CATEGORY_NETWORKINFO, TAG_LINKSPEED, &v), NMERR_SUCCESS);
        CHECK(v > 0);
    }
    v2 = find_nic(t, VETH_DOWN);
    CHECK(v2 != NULL);
    if (v2) {
        v = 1;
        CHECK_RC(GetDwordFromBlob(v2, OWNER_NPP, CATEGORY_NETWORKINFO, TAG_LINKSPEED, &v), NMERR_SUCCESS);
        CHECK_EQ(v, 0);
    }
    /* The namespace's own lo (its MTU set apart from the host's lo). */
    lo = find_nic(t, "lo");
    CHECK(lo != NULL);
    if (lo) {
        v = 0;
        CHECK_RC(GetDwordFromBlob(lo, OWNER_NPP, CATEGORY_NETWORKINFO, TAG_MAXFRAMESIZE, &v), NMERR_SUCCESS);
        CHECK_EQ(v, NS_LO_MTU + 14);
    }
    destroy_table(t);
    return check_failures ? 1 : 0;
}

/* Runs child_in_namespace in a forked child; its exit status (0 = every check passed). */
static int in_child(const char *ns, int remount_sys) {
    pid_t pid;
    int status = 0;
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) exit(child_in_namespace(ns, remount_sys));
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
    return WEXITSTATUS(status);
}

static void test_live_veth(void) {
    char ns[64];
    int rc, rc_sys;

    printf("-- live: veth pair in a network namespace\n");
    if (geteuid() != 0) {
        printf("  skipped: not running as root\n");
        return;
    }
    if (system("command -v ip >/dev/null 2>&1") != 0) {
        printf("  skipped: no `ip` command\n");
        return;
    }
    snprintf(ns, sizeof ns, "ndisnpp-nic-%ld", (long)getpid());
    if (run("ip netns add %s", ns) != 0) {
        printf("  skipped: cannot create a network namespace\n");
        return;
    }
    if (run("ip -n %s link add " VETH0 " address " VETH_MAC " mtu 1400 type veth peer name " VETH1 " mtu 1400",
            ns) != 0) {
        printf("  skipped: cannot create a veth pair (no veth support?)\n");
        run("ip netns del %s", ns);
        return;
    }
    CHECK_EQ(run("ip -n %s link set lo mtu 9000", ns), 0);
    /* No IPv6 link-local address, so bringing the links up sends nothing (not even DAD). */
    run("ip -n %s link set " VETH0 " addrgenmode none; ip -n %s link set " VETH1 " addrgenmode none", ns);
    CHECK_EQ(run("ip -n %s link set " VETH0 " up && ip -n %s link set " VETH1 " up", ns), 0);
    CHECK_EQ(run("ip -n %s link add " VETH_DOWN " type veth peer name nppveth3", ns), 0);

    /* The case the API must handle: the caller only switched its network namespace. */
    printf("  child: setns(CLONE_NEWNET) only\n");
    rc = in_child(ns, 0);
    printf("  child exit status %d\n", rc);
    CHECK_EQ(rc, 0);
    /* Diagnosis: the same checks with a /sys that belongs to the namespace. */
    printf("  child: setns(CLONE_NEWNET) and a private /sys of the namespace (as `ip netns exec`)\n");
    rc_sys = in_child(ns, 1);
    printf("  child exit status %d\n", rc_sys);
    if (rc_sys == 2)
        printf("  (could not give the child its own /sys: no diagnosis)\n");
    else
        CHECK_EQ(rc_sys, 0);
    if (rc != 0 && rc_sys == 0)
        printf("  => the interface facts come from the /sys of the mount namespace, not from the caller's "
               "network namespace\n");
    CHECK_EQ(run("ip netns del %s", ns), 0);
}

int main(void) {
    unsetenv("NETMON_NPP_NAME");
    test_table();
    test_filters();
    test_from_ui();
    test_select();
    test_free_table();
    test_npp();
    test_live_veth();
    return check_done("test_nic");
}
