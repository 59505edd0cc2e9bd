/* The core BLOB API: handle misuse, strings and wide strings, duplicate/merge, enumeration,
 * removal, unknown categories/tags, files and marshalling (round trips and malformed input),
 * locking and threads. Typed values and the filter helpers are tested elsewhere. */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FORGED ((HBLOB)(uintptr_t)0x12345678)
/* Preset into out-variables: a failing call must leave them so. */
#define SENTINEL_PTR ((const char *)(uintptr_t)0x5A5A5A5A)
#define SENTINEL_W ((WCHAR *)(uintptr_t)0x5A5A5A5A)
#define SENTINEL_B ((BYTE *)(uintptr_t)0x5A5A5A5A)
#define SENTINEL_H ((HBLOB)(uintptr_t)0x5A5A5A5A)
#define SENTINEL_DW 0xA5A5A5A5u

static HBLOB new_blob(void) {
    HBLOB b = NULL;
    CHECK_RC(CreateBlob(&b), NMERR_SUCCESS);
    CHECK(b != NULL);
    return b;
}

#define SET(b, o, c, t, v) CHECK_RC(SetStringInBlob(b, o, c, t, v), NMERR_SUCCESS)
#define DESTROY(b) CHECK_RC(DestroyBlob(b), NMERR_SUCCESS)

/* Sets every "Owner:Category:Tag=Value;" entry of spec, in order. */
static void fill(HBLOB b, const char *spec) {
    char buf[2048], *save = NULL;
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *o = strtok_r(buf, ";", &save); o; o = strtok_r(NULL, ";", &save)) {
        char *c = strchr(o, ':'), *t = c ? strchr(c + 1, ':') : NULL, *v = t ? strchr(t + 1, '=') : NULL;
        CHECK(v != NULL);
        if (!v) continue;
        *c = *t = *v = '\0';
        SET(b, o, c + 1, t + 1, v + 1);
    }
}

/* Walks the BLOB (scoped by o/c/t), writing "O:C:T=V;" per entry into out; returns the number of
 * entries and stores the final call's result in *last_rc. */
static int walk_rc(HBLOB b, const char *o, const char *c, const char *t, char *out, size_t n, DWORD *last_rc) {
    DWORD key = 0, rc;
    int count = 0;
    size_t len = 0;
    if (out && n) out[0] = '\0';
    for (;;) {
        const char *ro = NULL, *rc_ = NULL, *rt = NULL, *rv = NULL;
        rc = GetStringsFromBlob(b, o, c, t, &ro, &rc_, &rt, &rv, &key);
        if (rc != NMERR_SUCCESS || ++count > 100000) break;
        if (out && len < n) len += (size_t)snprintf(out + len, n - len, "%s:%s:%s=%s;", ro, rc_, rt, rv);
    }
    if (last_rc) *last_rc = rc;
    return count;
}

/* A complete walk: ends with NMERR_BLOB_ENTRY_DOES_NOT_EXIST. */
static int walk(HBLOB b, const char *o, const char *c, const char *t, char *out, size_t n) {
    DWORD rc = 0;
    int count = walk_rc(b, o, c, t, out, n, &rc);
    CHECK_RC(rc, NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
    return count;
}

static int count_entries(HBLOB b) { return walk(b, NULL, NULL, NULL, NULL, 0); }

/* The walk (scoped by o/c/t) gives n entries that print as `text`. */
#define EXPECT_WALK(b, o, c, t, n, text) do { char ew_[2048]; \
    CHECK_EQ(walk(b, o, c, t, ew_, sizeof ew_), n); CHECK_STR(ew_, text); } while (0)
#define EXPECT_STR(b, o, c, t, want) do { const char *es_ = NULL; \
    CHECK_RC(GetStringFromBlob(b, o, c, t, &es_), NMERR_SUCCESS); CHECK_STR(es_, want); } while (0)

/* ------------------------------------------------------------------ handle and pointer misuse */

/* Every in-scope function on `bad` (not a live BLOB): NMERR_INVALID_BLOB, outputs untouched.
 * `good` is a live BLOB for the other handle argument. */
static void check_bad_handle(HBLOB bad, HBLOB good, const char *dir) {
    static const char *const known[] = {"Config", NULL};
    static const WCHAR w[] = {'h', 'i', 0};
    char path[512];
    const char *s = SENTINEL_PTR, *ro = SENTINEL_PTR, *rc = SENTINEL_PTR, *rt = SENTINEL_PTR, *rv = SENTINEL_PTR;
    WCHAR *ws = SENTINEL_W;
    HBLOB out = SENTINEL_H;
    DWORD size = SENTINEL_DW, key = 0;
    BYTE *bytes = SENTINEL_B;
    snprintf(path, sizeof path, "%s/bad.blob", dir);

    CHECK_RC(DestroyBlob(bad), NMERR_INVALID_BLOB);
    CHECK_RC(DuplicateBlob(bad, &out), NMERR_INVALID_BLOB);
    CHECK(out == SENTINEL_H);
    CHECK_RC(MergeBlob(bad, good), NMERR_INVALID_BLOB);
    CHECK_RC(MergeBlob(good, bad), NMERR_INVALID_BLOB);
    CHECK_RC(SetStringInBlob(bad, "O", "C", "T", "v"), NMERR_INVALID_BLOB);
    CHECK_RC(GetStringFromBlob(bad, "O", "C", "T", &s), NMERR_INVALID_BLOB);
    CHECK(s == SENTINEL_PTR);
    CHECK_RC(SetWStringInBlob(bad, "O", "C", "T", w), NMERR_INVALID_BLOB);
    CHECK_RC(GetWStringFromBlob(bad, "O", "C", "T", &ws), NMERR_INVALID_BLOB);
    CHECK(ws == SENTINEL_W);
    CHECK_RC(GetStringsFromBlob(bad, NULL, NULL, NULL, &ro, &rc, &rt, &rv, &key), NMERR_INVALID_BLOB);
    CHECK(ro == SENTINEL_PTR && rc == SENTINEL_PTR && rt == SENTINEL_PTR && rv == SENTINEL_PTR);
    CHECK_EQ(key, 0);
    key = 5;
    CHECK_RC(GetStringsFromBlob(bad, NULL, NULL, NULL, &ro, &rc, &rt, &rv, &key), NMERR_INVALID_BLOB);
    CHECK_EQ(key, 5);
    CHECK_RC(RemoveFromBlob(bad, "O", NULL, NULL), NMERR_INVALID_BLOB);
    CHECK_RC(LockBlob(bad), NMERR_INVALID_BLOB);
    CHECK_RC(UnlockBlob(bad), NMERR_INVALID_BLOB);
    CHECK_RC(FindUnknownBlobCategories(bad, "NPP", known, good), NMERR_INVALID_BLOB);
    CHECK_RC(FindUnknownBlobCategories(good, "NPP", known, bad), NMERR_INVALID_BLOB);
    CHECK_RC(FindUnknownBlobTags(bad, "NPP", "Config", known, good), NMERR_INVALID_BLOB);
    CHECK_RC(FindUnknownBlobTags(good, "NPP", "Config", known, bad), NMERR_INVALID_BLOB);
    CHECK_RC(WriteBlobToFile(bad, path), NMERR_INVALID_BLOB);
    CHECK(access(path, F_OK) != 0); /* nothing written */
    CHECK_RC(MarshalBlob(bad, &size, &bytes), NMERR_INVALID_BLOB);
    CHECK(size == SENTINEL_DW && bytes == SENTINEL_B);
}

/* NULL mandatory pointers: NMERR_INVALID_PARAMETER, outputs untouched, BLOBs unchanged. */
static void check_null_params(HBLOB live, HBLOB good) {
    static const WCHAR w[] = {'x', 0};
    static const char *const known[] = {NULL};
    const char *s = SENTINEL_PTR, *ro = SENTINEL_PTR, *rc = SENTINEL_PTR, *rt = SENTINEL_PTR, *rv = SENTINEL_PTR;
    WCHAR *ws = SENTINEL_W;
    DWORD key = 0, size = SENTINEL_DW;
    BYTE *bytes = SENTINEL_B, raw[] = "#NMBLOB 1\n";
    HBLOB out = SENTINEL_H;

    CHECK_RC(CreateBlob(NULL), NMERR_INVALID_PARAMETER);
    CHECK_RC(DuplicateBlob(live, NULL), NMERR_INVALID_PARAMETER);
    CHECK_RC(SetStringInBlob(live, NULL, "C", "T", "v"), NMERR_INVALID_PARAMETER);
    CHECK_RC(SetStringInBlob(live, "O", NULL, "T", "v"), NMERR_INVALID_PARAMETER);
    CHECK_RC(SetStringInBlob(live, "O", "C", NULL, "v"), NMERR_INVALID_PARAMETER);
    CHECK_RC(SetStringInBlob(live, "O", "C", "T", NULL), NMERR_INVALID_PARAMETER);
    CHECK_RC(SetStringInBlob(live, "NPP", "Extra", "T", NULL), NMERR_INVALID_PARAMETER);
    CHECK_RC(GetStringFromBlob(live, NULL, "Extra", "T", &s), NMERR_INVALID_PARAMETER);
    CHECK_RC(GetStringFromBlob(live, "NPP", NULL, "T", &s), NMERR_INVALID_PARAMETER);
    CHECK_RC(GetStringFromBlob(live, "NPP", "Extra", NULL, &s), NMERR_INVALID_PARAMETER);
    CHECK(s == SENTINEL_PTR);
    CHECK_RC(GetStringFromBlob(live, "NPP", "Extra", "T", NULL), NMERR_INVALID_PARAMETER);
    CHECK_RC(SetWStringInBlob(live, NULL, "C", "T", w), NMERR_INVALID_PARAMETER);
    CHECK_RC(SetWStringInBlob(live, "O", NULL, "T", w), NMERR_INVALID_PARAMETER);
    CHECK_RC(SetWStringInBlob(live, "O", "C", NULL, w), NMERR_INVALID_PARAMETER);
    CHECK_RC(SetWStringInBlob(live, "O", "C", "T", NULL), NMERR_INVALID_PARAMETER);
    CHECK_RC(SetWStringInBlob(NULL, "O", "C", "T", NULL), NMERR_INVALID_PARAMETER); /* pointers first */
    CHECK_RC(SetWStringInBlob(live, "NPP", "Extra", "W", w), NMERR_SUCCESS);
    CHECK_RC(GetWStringFromBlob(live, NULL, "Extra", "W", &ws), NMERR_INVALID_PARAMETER);
    CHECK_RC(GetWStringFromBlob(live, "NPP", NULL, "W", &ws), NMERR_INVALID_PARAMETER);
    CHECK_RC(GetWStringFromBlob(live, "NPP", "Extra", NULL, &ws), NMERR_INVALID_PARAMETER);
    CHECK(ws == SENTINEL_W);
    CHECK_RC(GetWStringFromBlob(live, "NPP", "Extra", "W", NULL), NMERR_INVALID_PARAMETER);
    CHECK_RC(GetStringsFromBlob(live, NULL, NULL, NULL, NULL, &rc, &rt, &rv, &key), NMERR_INVALID_PARAMETER);
    CHECK_RC(GetStringsFromBlob(live, NULL, NULL, NULL, &ro, NULL, &rt, &rv, &key), NMERR_INVALID_PARAMETER);
    CHECK_RC(GetStringsFromBlob(live, NULL, NULL, NULL, &ro, &rc, NULL, &rv, &key), NMERR_INVALID_PARAMETER);
    CHECK_RC(GetStringsFromBlob(live, NULL, NULL, NULL, &ro, &rc, &rt, NULL, &key), NMERR_INVALID_PARAMETER);
    CHECK_RC(GetStringsFromBlob(live, NULL, NULL, NULL, &ro, &rc, &rt, &rv, NULL), NMERR_INVALID_PARAMETER);
    CHECK(ro == SENTINEL_PTR && rc == SENTINEL_PTR && rt == SENTINEL_PTR && rv == SENTINEL_PTR);
    CHECK_EQ(key, 0);
    CHECK_RC(RemoveFromBlob(live, NULL, NULL, NULL), NMERR_INVALID_PARAMETER);
    CHECK_RC(RemoveFromBlob(live, NULL, "Extra", "T"), NMERR_INVALID_PARAMETER);
    CHECK_RC(FindUnknownBlobCategories(live, NULL, known, good), NMERR_INVALID_PARAMETER);
    CHECK_RC(FindUnknownBlobCategories(live, "NPP", NULL, good), NMERR_INVALID_PARAMETER);
    CHECK_RC(FindUnknownBlobTags(live, NULL, "Extra", known, good), NMERR_INVALID_PARAMETER);
    CHECK_RC(FindUnknownBlobTags(live, "NPP", NULL, known, good), NMERR_INVALID_PARAMETER);
    CHECK_RC(FindUnknownBlobTags(live, "NPP", "Extra", NULL, good), NMERR_INVALID_PARAMETER);
    CHECK_EQ(count_entries(good), 1); /* nothing copied by the failed calls */
    CHECK_RC(WriteBlobToFile(live, NULL), NMERR_INVALID_PARAMETER);
    CHECK_RC(ReadBlobFromFile(NULL, "/nonexistent/x.blob"), NMERR_INVALID_PARAMETER);
    CHECK_RC(ReadBlobFromFile(&out, NULL), NMERR_INVALID_PARAMETER);
    CHECK(out == SENTINEL_H);
    CHECK_RC(MarshalBlob(live, NULL, &bytes), NMERR_INVALID_PARAMETER);
    CHECK_RC(MarshalBlob(live, &size, NULL), NMERR_INVALID_PARAMETER);
    CHECK(size == SENTINEL_DW && bytes == SENTINEL_B);
    CHECK_RC(UnMarshalBlob(NULL, sizeof raw - 1, raw), NMERR_INVALID_PARAMETER);
    CHECK_RC(UnMarshalBlob(&out, 5, NULL), NMERR_INVALID_PARAMETER);
    CHECK(out == SENTINEL_H);
    /* the failed calls left `live` as it was */
    EXPECT_WALK(live, NULL, NULL, NULL, 2, "NPP:Extra:T=v;NPP:Extra:W=7800;");
}

static void handle_misuse(const char *dir) {
    /* Runs first in main, on a fresh handle table: `dead` takes slot 0 and is destroyed, `good`
     * reuses slot 0 (next generation), `live` takes slot 1, so `live + 1` names a slot never used
     * and `good + 1` names live's slot with good's generation. */
    HBLOB dead = new_blob(), good, live;
    DESTROY(dead);
    CHECK_RC(DestroyBlob(dead), NMERR_INVALID_BLOB);
    good = new_blob();
    live = new_blob();
    CHECK(good != dead && live != dead && (uintptr_t)good + 1 != (uintptr_t)live);
    SET(good, "NPP", "Extra", "T", "v");
    SET(live, "NPP", "Extra", "T", "v");

    check_bad_handle(NULL, good, dir);
    check_bad_handle(dead, good, dir);
    check_bad_handle(FORGED, good, dir);
    check_bad_handle((HBLOB)((uintptr_t)live + 1), good, dir);
    check_bad_handle((HBLOB)((uintptr_t)good + 1), live, dir); /* live's slot, good's generation */
    /* the valid handles still work, and the failed calls changed nothing */
    EXPECT_WALK(good, NULL, NULL, NULL, 1, "NPP:Extra:T=v;");
    EXPECT_WALK(live, NULL, NULL, NULL, 1, "NPP:Extra:T=v;");
    check_null_params(live, good);
    DESTROY(live); DESTROY(good);
}

/* ------------------------------------------------------------------ strings and wide strings */

static void strings(void) {
    HBLOB b = new_blob();
    const char *s = NULL, *keep = NULL, *untouched = SENTINEL_PTR;

    SET(b, "Owner", "Category", "Tag", "one");
    EXPECT_STR(b, "Owner", "Category", "Tag", "one");
    /* replace keeps one entry and the first-written case of the names */
    SET(b, "OWNER", "category", "tAG", "two");
    EXPECT_WALK(b, NULL, NULL, NULL, 1, "Owner:Category:Tag=two;");
    /* case-insensitive lookup */
    EXPECT_STR(b, "owner", "CATEGORY", "TaG", "two");
    /* an empty value */
    SET(b, "Owner", "Category", "Empty", "");
    EXPECT_STR(b, "Owner", "Category", "Empty", "");
    /* empty names are invalid and create nothing */
    CHECK_RC(SetStringInBlob(b, "", "Category", "Tag", "x"), NMERR_INVALID_PARAMETER);
    CHECK_RC(SetStringInBlob(b, "New", "", "Tag", "x"), NMERR_INVALID_PARAMETER);
    CHECK_RC(SetStringInBlob(b, "New", "Cat", "", "x"), NMERR_INVALID_PARAMETER);
    CHECK_RC(SetStringInBlob(b, "Owner", "Category", "", "x"), NMERR_INVALID_PARAMETER);
    EXPECT_WALK(b, NULL, NULL, NULL, 2, "Owner:Category:Tag=two;Owner:Category:Empty=;");
    /* missing owner, category, tag */
    CHECK_RC(GetStringFromBlob(b, "", "Category", "Tag", &untouched), NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
    CHECK_RC(GetStringFromBlob(b, "Nobody", "Category", "Tag", &untouched), NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
    CHECK_RC(GetStringFromBlob(b, "Owner", "Nothing", "Tag", &untouched), NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
    CHECK_RC(GetStringFromBlob(b, "Owner", "Category", "Nope", &untouched), NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
    CHECK(untouched == SENTINEL_PTR);

    /* the returned pointer stays valid and unchanged while other entries are added at every level */
    CHECK_RC(GetStringFromBlob(b, "Owner", "Category", "Tag", &keep), NMERR_SUCCESS);
    for (int i = 0; i < 300; i++) {
        char name[32];
        snprintf(name, sizeof name, "T%d", i);
        SET(b, "Owner", "Category", name, "filler value that is long enough");
        snprintf(name, sizeof name, "C%d", i);
        SET(b, "Owner", name, "T", "x");
        snprintf(name, sizeof name, "O%d", i % 50);
        SET(b, name, "C", "T", "y");
    }
    CHECK_STR(keep, "two");
    CHECK_RC(GetStringFromBlob(b, "Owner", "Category", "Tag", &s), NMERR_SUCCESS);
    CHECK(s == keep);
    CHECK_EQ(count_entries(b), 2 + 300 + 300 + 50);
    DESTROY(b);
}

static void wide_strings(void) {
    static const WCHAR text[] = {'A', 0x00E9, 0x20AC, 0xD83D, 0xDE00, 'z', 0};
    static const WCHAR empty[] = {0};
    static const char *const bad[] = {"hello", "zz00", "410", "41", "0000", "41000000", "4100 ", "0x4100"};
    HBLOB b = new_blob();
    const char *s = NULL;
    WCHAR *w = NULL, *untouched = SENTINEL_W;

    CHECK_RC(SetWStringInBlob(b, "App", "Wide", "Name", text), NMERR_SUCCESS);
    CHECK_RC(GetWStringFromBlob(b, "app", "WIDE", "name", &w), NMERR_SUCCESS);
    CHECK(w != NULL && memcmp(w, text, sizeof text) == 0); /* the 6 units and the NUL */
    /* stored as the hex of the UTF-16LE bytes */
    EXPECT_STR(b, "App", "Wide", "Name", "4100E900AC203DD800DE7A00");
    /* an empty wide string */
    CHECK_RC(SetWStringInBlob(b, "App", "Wide", "Empty", empty), NMERR_SUCCESS);
    EXPECT_STR(b, "App", "Wide", "Empty", "");
    w = NULL;
    CHECK_RC(GetWStringFromBlob(b, "App", "Wide", "Empty", &w), NMERR_SUCCESS);
    CHECK(w != NULL && w[0] == 0);
    /* a hex value written as a string reads back as a wide string (the decoded form follows) */
    SET(b, "App", "Wide", "Name", "48006900");
    w = NULL;
    CHECK_RC(GetWStringFromBlob(b, "App", "Wide", "Name", &w), NMERR_SUCCESS);
    CHECK(w != NULL && w[0] == 'H' && w[1] == 'i' && w[2] == 0);
    /* values that are not stored wide strings */
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        SET(b, "App", "Wide", "Bad", bad[i]);
        CHECK_RC(GetWStringFromBlob(b, "App", "Wide", "Bad", &untouched), NMERR_BLOB_CONVERSION_ERROR);
    }
    CHECK_RC(GetWStringFromBlob(b, "App", "Wide", "Missing", &untouched), NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
    CHECK_RC(GetWStringFromBlob(b, "App", "Nope", "Name", &untouched), NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
    CHECK_RC(GetWStringFromBlob(b, "Nope", "Wide", "Name", &untouched), NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
    CHECK(untouched == SENTINEL_W);
    CHECK_RC(SetWStringInBlob(b, "App", "", "X", text), NMERR_INVALID_PARAMETER);
    CHECK_RC(GetStringFromBlob(b, "App", "Wide", "X", &s), NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
    /* the decoded pointer stays valid while other entries are added */
    CHECK_RC(SetWStringInBlob(b, "App", "Wide", "Name", text), NMERR_SUCCESS);
    CHECK_RC(GetWStringFromBlob(b, "App", "Wide", "Name", &w), NMERR_SUCCESS);
    for (int i = 0; i < 100; i++) {
        char name[16];
        snprintf(name, sizeof name, "W%d", i);
        CHECK_RC(SetWStringInBlob(b, "App", "Wide", name, text), NMERR_SUCCESS);
    }
    CHECK(memcmp(w, text, sizeof text) == 0);
    DESTROY(b);
}

/* ------------------------------------------------------------------ duplicate and merge */

static void duplicate_merge(void) {
#define A3 "NPP:Config:A=1;NPP:Config:B=2;App:X:Y=z;"
#define A5 "NPP:Config:A=1;NPP:Config:B=from-src;NPP:Config:C=3;App:X:Y=z;Other:Cat:Tag=o;"
#define SRC "npp:CONFIG:b=from-src;npp:CONFIG:C=3;Other:Cat:Tag=o;"
    HBLOB a = new_blob(), src = new_blob(), copy = NULL, empty = new_blob(), ecopy = NULL;
    const char *s = NULL, *keep = NULL;
    fill(a, A3);

    /* DuplicateBlob: same entries in the same order, in a separate BLOB */
    CHECK_RC(DuplicateBlob(a, &copy), NMERR_SUCCESS);
    CHECK(copy != NULL && copy != a);
    EXPECT_WALK(copy, NULL, NULL, NULL, 3, A3);
    SET(copy, "NPP", "Config", "A", "changed");
    SET(copy, "New", "C", "T", "v");
    CHECK_RC(RemoveFromBlob(copy, "App", NULL, NULL), NMERR_SUCCESS);
    EXPECT_WALK(a, NULL, NULL, NULL, 3, A3);
    SET(a, "NPP", "Config", "B", "a-only");
    EXPECT_STR(copy, "NPP", "Config", "B", "2");
    SET(a, "NPP", "Config", "B", "2");
    DESTROY(copy);
    EXPECT_WALK(a, NULL, NULL, NULL, 3, A3); /* the original survives the copy */
    CHECK_RC(DuplicateBlob(empty, &ecopy), NMERR_SUCCESS);
    CHECK(ecopy != NULL && ecopy != empty);
    CHECK_EQ(count_entries(ecopy), 0);
    DESTROY(ecopy);

    /* MergeBlob: the source wins on common entries (matched case-insensitively), new entries
     * are added, the source is unchanged */
    fill(src, SRC);
    CHECK_RC(GetStringFromBlob(a, "App", "X", "Y", &keep), NMERR_SUCCESS);
    CHECK_RC(MergeBlob(a, src), NMERR_SUCCESS);
    EXPECT_WALK(a, NULL, NULL, NULL, 5, A5);
    EXPECT_WALK(src, NULL, NULL, NULL, 3, SRC);
    /* App:X:Y was not changed by the merge, so a pointer to it taken before stays valid. Compared
     * by address only: the storage must not have moved (reading it would be a use-after-free). */
    CHECK_RC(GetStringFromBlob(a, "App", "X", "Y", &s), NMERR_SUCCESS);
    CHECK(s == keep);
    /* merging an empty BLOB changes nothing; merging into an empty BLOB copies everything */
    CHECK_RC(MergeBlob(a, empty), NMERR_SUCCESS);
    EXPECT_WALK(a, NULL, NULL, NULL, 5, A5);
    CHECK_RC(MergeBlob(empty, src), NMERR_SUCCESS);
    EXPECT_WALK(empty, NULL, NULL, NULL, 3, SRC);
    /* merging a BLOB into itself works and changes nothing, also while the caller holds the lock */
    CHECK_RC(MergeBlob(a, a), NMERR_SUCCESS);
    EXPECT_WALK(a, NULL, NULL, NULL, 5, A5);
    CHECK_RC(LockBlob(a), NMERR_SUCCESS);
    CHECK_RC(MergeBlob(a, a), NMERR_SUCCESS);
    CHECK_RC(UnlockBlob(a), NMERR_SUCCESS);
    EXPECT_WALK(a, NULL, NULL, NULL, 5, A5);

    DESTROY(a); DESTROY(src); DESTROY(empty);
#undef A3
#undef A5
#undef SRC
}

/* ------------------------------------------------------------------ enumeration */

static void enumeration(void) {
#define ALL "Beta:Two:y=1;Beta:Two:x=5;Beta:One:x=3;Beta:One:y=7;Alpha:One:x=2;Alpha:One:y=4;Alpha:Two:y=6;Alpha:Two:x=8;"
#define NEXT(o, c, t) GetStringsFromBlob(b, o, c, t, &ro, &rc, &rt, &rv, &key)
#define UNTOUCHED (ro == SENTINEL_PTR && rc == SENTINEL_PTR && rt == SENTINEL_PTR && rv == SENTINEL_PTR)
#define EXPECT_ENTRY(text) do { char ee_[256]; \
    snprintf(ee_, sizeof ee_, "%s:%s:%s=%s", ro, rc, rt, rv); CHECK_STR(ee_, text); } while (0)
    static const DWORD garbage[] = {1, 2, 0x3FFF, 0x7FFFFFFF, 0x80000000, 0x80000001, 0x40000000, 0x40FFFFFF,
                                    0xBFFFFFFF, 0xC0000000, 0xC0000001, 0xFFFFFFFE, 0x12345678, 0x00FFC000};
    HBLOB b = new_blob(), e = new_blob();
    const char *ro, *rc, *rt, *rv;
    DWORD key, saved, next;
    /* inserted interleaved: the order is that of the first insertion of each owner, category, tag */
    fill(b, "Beta:Two:y=1;Alpha:One:x=2;Beta:One:x=3;Alpha:One:y=4;Beta:Two:x=5;Alpha:Two:y=6;Beta:One:y=7;Alpha:Two:x=8");
    EXPECT_WALK(b, NULL, NULL, NULL, 8, ALL);
    /* scoped walks: names matched case-insensitively, their case preserved in the results */
    EXPECT_WALK(b, "alpha", NULL, NULL, 4, "Alpha:One:x=2;Alpha:One:y=4;Alpha:Two:y=6;Alpha:Two:x=8;");
    EXPECT_WALK(b, "BETA", "one", NULL, 2, "Beta:One:x=3;Beta:One:y=7;");
    EXPECT_WALK(b, "Beta", "Two", NULL, 2, "Beta:Two:y=1;Beta:Two:x=5;");
    EXPECT_WALK(b, "Alpha", "One", "Y", 1, "Alpha:One:y=4;");
    /* owner+category+tag: exactly one entry, then the end, which sets the key to 0 */
    key = 0; CHECK_RC(NEXT("ALPHA", "two", "Y"), NMERR_SUCCESS);
    EXPECT_ENTRY("Alpha:Two:y=6");
    CHECK(key != 0);
    ro = rc = rt = rv = SENTINEL_PTR;
    CHECK_RC(NEXT("ALPHA", "two", "Y"), NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
    CHECK_EQ(key, 0);
    CHECK(UNTOUCHED);
    /* INITIAL_RESTART_KEY starts a walk like 0 */
    key = INITIAL_RESTART_KEY; CHECK_RC(NEXT(NULL, NULL, NULL), NMERR_SUCCESS);
    EXPECT_ENTRY("Beta:Two:y=1");
    CHECK(key != 0 && key != INITIAL_RESTART_KEY);
    key = INITIAL_RESTART_KEY; CHECK_RC(NEXT("Alpha", "Two", NULL), NMERR_SUCCESS);
    CHECK_STR(rv, "6");
    /* a saved key passed again returns the same entry and the same next key; the requested
     * names are ignored once a walk is under way */
    key = 0; CHECK_RC(NEXT(NULL, NULL, NULL), NMERR_SUCCESS);
    CHECK_RC(NEXT(NULL, NULL, NULL), NMERR_SUCCESS);
    CHECK_STR(rv, "5");
    saved = key;
    CHECK_RC(NEXT(NULL, NULL, NULL), NMERR_SUCCESS);
    CHECK_STR(rv, "3");
    next = key;
    key = saved; CHECK_RC(NEXT("Alpha", NULL, NULL), NMERR_SUCCESS);
    EXPECT_ENTRY("Beta:One:x=3");
    CHECK_EQ(key, next);
    /* a scoped walk's key stays in its scope */
    key = 0; CHECK_RC(NEXT("Beta", "One", NULL), NMERR_SUCCESS);
    saved = key;
    CHECK_RC(NEXT(NULL, NULL, NULL), NMERR_SUCCESS);
    CHECK_STR(rv, "7");
    key = saved; CHECK_RC(NEXT(NULL, NULL, NULL), NMERR_SUCCESS);
    CHECK_STR(rv, "7");
    CHECK_RC(NEXT(NULL, NULL, NULL), NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
    CHECK_EQ(key, 0);
    /* a category without an owner, a tag without a category: the key is left alone */
    ro = rc = rt = rv = SENTINEL_PTR; key = 0; CHECK_RC(NEXT(NULL, "One", NULL), NMERR_AMBIGUOUS_SPECIFIER);
    CHECK_RC(NEXT(NULL, "One", "x"), NMERR_AMBIGUOUS_SPECIFIER);
    CHECK_RC(NEXT(NULL, NULL, "x"), NMERR_AMBIGUOUS_SPECIFIER);
    CHECK_RC(NEXT("Alpha", NULL, "x"), NMERR_AMBIGUOUS_SPECIFIER);
    key = INITIAL_RESTART_KEY; CHECK_RC(NEXT("Alpha", NULL, "x"), NMERR_AMBIGUOUS_SPECIFIER);
    CHECK_EQ(key, INITIAL_RESTART_KEY);
    CHECK(UNTOUCHED);
    /* missing requested names: nothing, key 0 */
    key = 0; CHECK_RC(NEXT("Gamma", NULL, NULL), NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
    CHECK_EQ(key, 0);
    key = INITIAL_RESTART_KEY; CHECK_RC(NEXT("Alpha", "Three", NULL), NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
    CHECK_EQ(key, 0);
    key = INITIAL_RESTART_KEY; CHECK_RC(NEXT("Alpha", "One", "z"), NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
    CHECK_EQ(key, 0);
    CHECK(UNTOUCHED);
    /* garbage keys never crash: an entry of this BLOB, or the end with key 0 */
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
        DWORD r;
        key = garbage[i];
        ro = rc = rt = rv = NULL;
        r = NEXT(NULL, NULL, NULL);
        /* 0xC0000001 is the library's "past the key's reach" marker: NMERR_OUT_OF_RANGE */
        CHECK(r == NMERR_SUCCESS || r == NMERR_BLOB_ENTRY_DOES_NOT_EXIST || r == NMERR_OUT_OF_RANGE);
        if (r == NMERR_SUCCESS) CHECK(ro && rc && rt && rv && strstr(ALL, rv) != NULL);
        else if (r == NMERR_BLOB_ENTRY_DOES_NOT_EXIST) CHECK_EQ(key, 0);
        else CHECK_EQ(key, garbage[i]);
    }
    /* an empty BLOB: nothing, key 0 */
    key = INITIAL_RESTART_KEY;
    CHECK_RC(GetStringsFromBlob(e, NULL, NULL, NULL, &ro, &rc, &rt, &rv, &key), NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
    CHECK_EQ(key, 0);
    DESTROY(e);
    /* returned pointers stay valid while other entries are added */
    key = 0; CHECK_RC(NEXT("Alpha", "Two", "x"), NMERR_SUCCESS);
    for (int i = 0; i < 200; i++) {
        char name[16];
        snprintf(name, sizeof name, "N%d", i);
        SET(b, "Alpha", "Two", name, "v");
    }
    EXPECT_ENTRY("Alpha:Two:x=8");
    DESTROY(b);
#undef ALL
#undef NEXT
#undef UNTOUCHED
#undef EXPECT_ENTRY
}

/* "A walk past 64 owners, 1024 categories of an owner ... answers NMERR_OUT_OF_RANGE": the
 * entries of the first 64 owners (1024 categories) are still returned. */
static void enumeration_limits(void) {
    HBLOB b = new_blob(), c = new_blob();
    DWORD rc = 0;
    char name[32];
    for (int i = 0; i < 65; i++) {
        snprintf(name, sizeof name, "Owner%d", i);
        SET(b, name, "C", "T", "v");
    }
    CHECK_EQ(walk_rc(b, NULL, NULL, NULL, NULL, 0, &rc), 64);
    CHECK_RC(rc, NMERR_OUT_OF_RANGE);
    CHECK_RC(RemoveFromBlob(b, "Owner64", NULL, NULL), NMERR_SUCCESS);
    CHECK_EQ(walk(b, NULL, NULL, NULL, NULL, 0), 64);
    for (int i = 0; i < 1025; i++) {
        snprintf(name, sizeof name, "Cat%d", i);
        SET(c, "O", name, "T", "v");
    }
    CHECK_EQ(walk_rc(c, "O", NULL, NULL, NULL, 0, &rc), 1024);
    CHECK_RC(rc, NMERR_OUT_OF_RANGE);
    CHECK_RC(RemoveFromBlob(c, "O", "Cat1024", NULL), NMERR_SUCCESS);
    CHECK_EQ(walk(c, "O", NULL, NULL, NULL, 0), 1024);
    DESTROY(b); DESTROY(c);
}

/* ------------------------------------------------------------------ removal */

static void removal(void) {
    HBLOB b = new_blob();
    const char *s = SENTINEL_PTR;
    fill(b, "A:C1:T1=1;A:C1:T2=2;A:C2:T1=3;B:C1:T1=4;B:C2:T1=5;C:C1:T1=6");

    /* errors, each leaving the BLOB as it was */
    CHECK_RC(RemoveFromBlob(b, "A", NULL, "T1"), NMERR_AMBIGUOUS_SPECIFIER);
    CHECK_RC(RemoveFromBlob(b, "Nobody", NULL, "T1"), NMERR_AMBIGUOUS_SPECIFIER);
    CHECK_RC(RemoveFromBlob(b, "Nobody", NULL, NULL), NMERR_BLOB_OWNER_NOT_FOUND);
    CHECK_RC(RemoveFromBlob(b, "Nobody", "C1", NULL), NMERR_BLOB_OWNER_NOT_FOUND);
    CHECK_RC(RemoveFromBlob(b, "Nobody", "C1", "T1"), NMERR_BLOB_OWNER_NOT_FOUND);
    CHECK_RC(RemoveFromBlob(b, "", NULL, NULL), NMERR_BLOB_OWNER_NOT_FOUND);
    CHECK_RC(RemoveFromBlob(b, "A", "C9", NULL), NMERR_BLOB_CATEGORY_NOT_FOUND);
    CHECK_RC(RemoveFromBlob(b, "A", "C9", "T1"), NMERR_BLOB_CATEGORY_NOT_FOUND);
    CHECK_RC(RemoveFromBlob(b, "A", "C1", "T9"), NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
    EXPECT_WALK(b, NULL, NULL, NULL, 6, "A:C1:T1=1;A:C1:T2=2;A:C2:T1=3;B:C1:T1=4;B:C2:T1=5;C:C1:T1=6;");

    /* a tag (names case-insensitive); its category keeps the other tag */
    CHECK_RC(RemoveFromBlob(b, "a", "c1", "t1"), NMERR_SUCCESS);
    CHECK_RC(GetStringFromBlob(b, "A", "C1", "T1", &s), NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
    EXPECT_WALK(b, NULL, NULL, NULL, 5, "A:C1:T2=2;A:C2:T1=3;B:C1:T1=4;B:C2:T1=5;C:C1:T1=6;");
    CHECK_RC(RemoveFromBlob(b, "A", "C1", "T1"), NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
    /* the last tag of a category: the category goes with it */
    CHECK_RC(RemoveFromBlob(b, "A", "C1", "T2"), NMERR_SUCCESS);
    EXPECT_WALK(b, "A", NULL, NULL, 1, "A:C2:T1=3;");
    CHECK_RC(RemoveFromBlob(b, "A", "C1", NULL), NMERR_BLOB_CATEGORY_NOT_FOUND);
    CHECK_RC(RemoveFromBlob(b, "A", "C1", "T2"), NMERR_BLOB_CATEGORY_NOT_FOUND);
    /* the last tag of the last category: the owner goes too */
    CHECK_RC(RemoveFromBlob(b, "A", "C2", "T1"), NMERR_SUCCESS);
    CHECK_RC(RemoveFromBlob(b, "A", NULL, NULL), NMERR_BLOB_OWNER_NOT_FOUND);
    CHECK_EQ(walk(b, "A", NULL, NULL, NULL, 0), 0);
    EXPECT_WALK(b, NULL, NULL, NULL, 3, "B:C1:T1=4;B:C2:T1=5;C:C1:T1=6;");
    /* a category with all its tags; the owner keeps its other category */
    SET(b, "B", "C1", "T2", "7");
    CHECK_RC(RemoveFromBlob(b, "b", "C1", NULL), NMERR_SUCCESS);
    EXPECT_WALK(b, NULL, NULL, NULL, 2, "B:C2:T1=5;C:C1:T1=6;");
    /* the last category: the owner goes with it */
    CHECK_RC(RemoveFromBlob(b, "B", "C2", NULL), NMERR_SUCCESS);
    CHECK_RC(RemoveFromBlob(b, "B", NULL, NULL), NMERR_BLOB_OWNER_NOT_FOUND);
    EXPECT_WALK(b, NULL, NULL, NULL, 1, "C:C1:T1=6;");
    /* an owner with everything under it */
    fill(b, "C:C2:T=8;D:C:T=9");
    CHECK_RC(RemoveFromBlob(b, "c", NULL, NULL), NMERR_SUCCESS);
    EXPECT_WALK(b, NULL, NULL, NULL, 1, "D:C:T=9;");
    CHECK_RC(RemoveFromBlob(b, "D", NULL, NULL), NMERR_SUCCESS);
    CHECK_EQ(count_entries(b), 0);
    /* an entry added again after its removal comes last */
    fill(b, "X:C:T=1;Y:C:T=2");
    CHECK_RC(RemoveFromBlob(b, "X", "C", "T"), NMERR_SUCCESS);
    SET(b, "X", "C", "T", "3");
    EXPECT_WALK(b, NULL, NULL, NULL, 2, "Y:C:T=2;X:C:T=3;");
    DESTROY(b);
}

/* ------------------------------------------------------------------ unknown categories and tags */

static void find_unknown(void) {
#define ORIG "NPP:Config:BufferSize=32768;NPP:Config:Odd=o=1;NPP:Custom:A=a;NPP:Custom:B=b;" \
             "NPP:Location:Name=eth0;NPP:Extra:X=;App:Weird:W=w;"
    static const char *const known_cats[] = {"Config", "location", NULL};
    static const char *const all_cats[] = {"CONFIG", "Location", "Custom", "Extra", NULL};
    static const char *const known_tags[] = {"BufferSize", "name", NULL};
    static const char *const all_tags[] = {"buffersize", "Name", "Odd", NULL};
    static const char *const none[] = {NULL};
    HBLOB b = new_blob(), unk = new_blob(), self = NULL;
    fill(b, "NPP:Config:BufferSize=32768;NPP:Config:Odd=o=1;NPP:Custom:A=a;NPP:Location:Name=eth0;"
            "NPP:Custom:B=b;NPP:Extra:X=;App:Weird:W=w");
    EXPECT_WALK(b, NULL, NULL, NULL, 7, ORIG);

    /* categories: exactly the unknown ones are copied, with their values */
    CHECK_RC(FindUnknownBlobCategories(b, "npp", known_cats, unk), NMERR_UNKNOWN_CATEGORY);
    EXPECT_WALK(unk, NULL, NULL, NULL, 3, "NPP:Custom:A=a;NPP:Custom:B=b;NPP:Extra:X=;");
    EXPECT_WALK(b, NULL, NULL, NULL, 7, ORIG);
    DESTROY(unk); unk = new_blob();
    /* all known, or the owner absent: success, nothing copied */
    CHECK_RC(FindUnknownBlobCategories(b, "NPP", all_cats, unk), NMERR_SUCCESS);
    CHECK_RC(FindUnknownBlobCategories(b, "Nobody", none, unk), NMERR_SUCCESS);
    CHECK_EQ(count_entries(unk), 0);
    /* an empty table: every category of the owner is unknown; the target keeps its entries */
    SET(unk, "Keep", "Me", "T", "k");
    CHECK_RC(FindUnknownBlobCategories(b, "App", none, unk), NMERR_UNKNOWN_CATEGORY);
    EXPECT_WALK(unk, NULL, NULL, NULL, 2, "Keep:Me:T=k;App:Weird:W=w;");
    DESTROY(unk); unk = new_blob();

    /* tags */
    CHECK_RC(FindUnknownBlobTags(b, "NPP", "CONFIG", known_tags, unk), NMERR_UNKNOWN_TAG);
    EXPECT_WALK(unk, NULL, NULL, NULL, 1, "NPP:Config:Odd=o=1;");
    CHECK_RC(FindUnknownBlobTags(b, "NPP", "Location", known_tags, unk), NMERR_SUCCESS);
    CHECK_RC(FindUnknownBlobTags(b, "NPP", "Custom", known_tags, unk), NMERR_UNKNOWN_TAG);
    EXPECT_WALK(unk, NULL, NULL, NULL, 3, "NPP:Config:Odd=o=1;NPP:Custom:A=a;NPP:Custom:B=b;");
    DESTROY(unk); unk = new_blob();
    CHECK_RC(FindUnknownBlobTags(b, "NPP", "Config", all_tags, unk), NMERR_SUCCESS);
    CHECK_RC(FindUnknownBlobTags(b, "NPP", "Nothing", none, unk), NMERR_SUCCESS);
    CHECK_RC(FindUnknownBlobTags(b, "Nobody", "Config", none, unk), NMERR_SUCCESS);
    CHECK_EQ(count_entries(unk), 0);
    /* a copied entry replaces the target's value for the same entry */
    SET(unk, "NPP", "Config", "Odd", "old");
    CHECK_RC(FindUnknownBlobTags(b, "NPP", "Config", known_tags, unk), NMERR_UNKNOWN_TAG);
    EXPECT_WALK(unk, NULL, NULL, NULL, 1, "NPP:Config:Odd=o=1;");
    /* the target may be the BLOB itself */
    CHECK_RC(DuplicateBlob(b, &self), NMERR_SUCCESS);
    CHECK_RC(FindUnknownBlobTags(self, "NPP", "Config", known_tags, self), NMERR_UNKNOWN_TAG);
    CHECK_RC(FindUnknownBlobCategories(self, "NPP", known_cats, self), NMERR_UNKNOWN_CATEGORY);
    EXPECT_WALK(self, NULL, NULL, NULL, 7, ORIG);
    /* errors: NULL table, invalid target (also when nothing would be copied) */
    CHECK_RC(FindUnknownBlobCategories(b, "NPP", NULL, unk), NMERR_INVALID_PARAMETER);
    CHECK_RC(FindUnknownBlobTags(b, "NPP", "Config", NULL, unk), NMERR_INVALID_PARAMETER);
    CHECK_RC(FindUnknownBlobCategories(b, "NPP", known_cats, NULL), NMERR_INVALID_BLOB);
    CHECK_RC(FindUnknownBlobTags(b, "NPP", "Config", known_tags, NULL), NMERR_INVALID_BLOB);
    CHECK_RC(FindUnknownBlobCategories(b, "NPP", all_cats, FORGED), NMERR_INVALID_BLOB);
    CHECK_RC(FindUnknownBlobTags(b, "NPP", "Config", all_tags, FORGED), NMERR_INVALID_BLOB);
    DESTROY(self);
    CHECK_RC(FindUnknownBlobCategories(b, "NPP", known_cats, self), NMERR_INVALID_BLOB);
    CHECK_EQ(count_entries(unk), 1);
    DESTROY(unk); DESTROY(b);
#undef ORIG
}

/* ------------------------------------------------------------------ files and marshalling */

/* A (small) file in a malloc'd buffer (the caller frees); NULL when it cannot be read. */
static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *buf = f ? malloc(65536) : NULL;
    if (buf) *len = fread(buf, 1, 65536, f);
    if (f) fclose(f);
    return buf;
}

static int spill(const char *path, const char *bytes, size_t len) {
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(bytes, 1, len, f) == len;
    if (f && fclose(f) != 0) ok = 0;
    return ok;
}

/* The file at `path` holds exactly `len` bytes `want`. */
static int file_is(const char *path, const void *want, size_t len) {
    size_t flen = 0;
    char *file = slurp(path, &flen);
    int same = file && flen == len && memcmp(file, want, len) == 0;
    if (file && !same) fprintf(stderr, "%s holds:\n%.*s\n", path, (int)flen, file);
    free(file);
    return same;
}

/* The marshalled bytes of b are exactly `len` bytes `want`. */
static void check_marshal(HBLOB b, const void *want, size_t len) {
    DWORD size = 0;
    BYTE *bytes = NULL;
    CHECK_RC(MarshalBlob(b, &size, &bytes), NMERR_SUCCESS);
    CHECK_EQ(size, len);
    CHECK(bytes != NULL && size == len && memcmp(bytes, want, len) == 0);
}

/* Names and values with every escaped character, '#', and bytes 0x80-0xFF. */
static const char *const tricky[][4] = {
    {"NPP", "Config", "BufferSize", "32768"},
    {"A:b=c\\", "L\nR\r", "t#", "v=1:2\\\r\n#\xe9\xff"},
    {"own\xc3\xa9r\xff", "\x80\x81", "=:", ":=#\\n"},
    {"o", "c", "\r\n", ""},
    {"o", "c", "trail\\", "value\\"},
};
#define NTRICKY (int)(sizeof tricky / sizeof tricky[0])

static void round_trips(const char *dir) {
    static const char small[] = "#NMBLOB 1\n"
                                "NPP:Config:BufferSize=32768\n"
                                "A\\:b\\=c\\\\:L\\nR\\r:t#=v=1:2\\\\\\r\\n#\xe9\xff\n";
    HBLOB b = new_blob(), back = NULL, back2 = NULL, e = new_blob(), u = NULL;
    char path[512], path2[512], orig[2048], buf[2048];
    DWORD size = 0, size2 = 0;
    BYTE *bytes = NULL, *bytes2 = NULL, *copy;
    snprintf(path, sizeof path, "%s/small.blob", dir);
    snprintf(path2, sizeof path2, "%s/all.blob", dir);

    /* the exact text of a small BLOB, in the file and marshalled */
    for (int i = 0; i < 2; i++) SET(b, tricky[i][0], tricky[i][1], tricky[i][2], tricky[i][3]);
    CHECK_RC(WriteBlobToFile(b, path), NMERR_SUCCESS);
    CHECK(file_is(path, small, sizeof small - 1));
    check_marshal(b, small, sizeof small - 1);
    CHECK_RC(ReadBlobFromFile(&back, path), NMERR_SUCCESS);
    EXPECT_STR(back, tricky[1][0], tricky[1][1], tricky[1][2], tricky[1][3]);
    check_marshal(back, small, sizeof small - 1);
    DESTROY(back);

    /* every tricky entry survives the file */
    for (int i = 2; i < NTRICKY; i++) SET(b, tricky[i][0], tricky[i][1], tricky[i][2], tricky[i][3]);
    CHECK_EQ(walk(b, NULL, NULL, NULL, orig, sizeof orig), NTRICKY);
    CHECK_RC(WriteBlobToFile(b, path2), NMERR_SUCCESS);
    back = NULL;
    CHECK_RC(ReadBlobFromFile(&back, path2), NMERR_SUCCESS);
    CHECK(back != NULL);
    EXPECT_WALK(back, NULL, NULL, NULL, NTRICKY, orig);
    for (int i = 0; i < NTRICKY; i++) EXPECT_STR(back, tricky[i][0], tricky[i][1], tricky[i][2], tricky[i][3]);
    /* the marshalled bytes equal the file; Marshal -> UnMarshal -> Marshal is byte-identical */
    CHECK_RC(MarshalBlob(b, &size, &bytes), NMERR_SUCCESS);
    CHECK(bytes != NULL && file_is(path2, bytes, size));
    copy = malloc(size);
    CHECK(copy != NULL && bytes != NULL);
    if (!copy || !bytes) return;
    memcpy(copy, bytes, size);
    CHECK_RC(UnMarshalBlob(&back2, size, bytes), NMERR_SUCCESS);
    CHECK_RC(MarshalBlob(back2, &size2, &bytes2), NMERR_SUCCESS);
    CHECK(size2 == size && bytes2 && memcmp(bytes2, copy, size) == 0);
    CHECK(bytes2 != bytes); /* each BLOB owns its bytes */
    EXPECT_WALK(back2, NULL, NULL, NULL, NTRICKY, orig);
    check_marshal(back, copy, size);
    /* the marshalled bytes stay valid and unchanged until the next MarshalBlob on the BLOB */
    SET(b, "Later", "C", "T", "v");
    CHECK_RC(RemoveFromBlob(b, "NPP", NULL, NULL), NMERR_SUCCESS);
    CHECK(memcmp(bytes, copy, size) == 0);
    /* UnMarshalBlob does not keep the caller's buffer */
    CHECK_RC(UnMarshalBlob(&u, size, copy), NMERR_SUCCESS);
    memset(copy, 'x', size);
    EXPECT_WALK(u, NULL, NULL, NULL, NTRICKY, orig);
    DESTROY(u);
    free(copy);
    /* an owner name starting with '#' must not read back as a comment line */
    {
        HBLOB h = new_blob();
        const char *s = NULL;
        fill(h, "#hash:cat:tag=v;plain:cat:tag=w");
        CHECK_RC(MarshalBlob(h, &size, &bytes), NMERR_SUCCESS);
        CHECK_RC(UnMarshalBlob(&u, size, bytes), NMERR_SUCCESS);
        CHECK_EQ(count_entries(u), 2);
        CHECK_RC(GetStringFromBlob(u, "#hash", "cat", "tag", &s), NMERR_SUCCESS);
        DESTROY(u); DESTROY(h);
    }
    /* only Size bytes are read */
    snprintf(buf, sizeof buf, "#NMBLOB 1\nA:B:C=D\nE:F:G=H\n");
    CHECK_RC(UnMarshalBlob(&u, 18, (BYTE *)buf), NMERR_SUCCESS);
    EXPECT_WALK(u, NULL, NULL, NULL, 1, "A:B:C=D;");
    DESTROY(u);
    /* an empty BLOB is the header alone */
    CHECK_RC(WriteBlobToFile(e, path), NMERR_SUCCESS);
    CHECK(file_is(path, "#NMBLOB 1\n", 10));
    check_marshal(e, "#NMBLOB 1\n", 10);
    u = NULL;
    CHECK_RC(ReadBlobFromFile(&u, path), NMERR_SUCCESS);
    CHECK(u != NULL);
    CHECK_EQ(count_entries(u), 0);
    DESTROY(u);
    /* writing replaces an existing file entirely */
    CHECK_RC(WriteBlobToFile(b, path), NMERR_SUCCESS);
    CHECK_RC(WriteBlobToFile(e, path), NMERR_SUCCESS);
    CHECK(file_is(path, "#NMBLOB 1\n", 10));

    DESTROY(back); DESTROY(back2); DESTROY(b); DESTROY(e);
    unlink(path);
    unlink(path2);
}

/* UnMarshalBlob and ReadBlobFromFile on the same bytes both answer `want`, writing their output
 * only on success. Returns the unmarshalled BLOB on success (the caller destroys it). */
static HBLOB parse_both(const char *dir, const char *bytes, size_t len, DWORD want, int id) {
    char path[512];
    HBLOB u = SENTINEL_H, f = SENTINEL_H;
    BYTE *copy = malloc(len + 1);
    DWORD rc1, rc2;
    snprintf(path, sizeof path, "%s/in.blob", dir);
    if (!copy) return NULL;
    memcpy(copy, bytes, len);
    rc1 = UnMarshalBlob(&u, (DWORD)len, copy);
    free(copy);
    CHECK(spill(path, bytes, len));
    rc2 = ReadBlobFromFile(&f, path);
    unlink(path);
    if (rc1 != want || rc2 != want) fprintf(stderr, "(parse_both case %d)\n", id);
    CHECK_RC(rc1, want);
    CHECK_RC(rc2, want);
    if (rc2 == NMERR_SUCCESS) DESTROY(f);
    else CHECK(f == SENTINEL_H);
    if (rc1 != NMERR_SUCCESS) CHECK(u == SENTINEL_H);
    else if (want == NMERR_SUCCESS) return u;
    else DESTROY(u);
    return NULL;
}

#define PARSE(text, want) parse_both(dir, text, sizeof(text) - 1, want, __LINE__)

static void malformed(const char *dir) {
    static const struct { const char *text; size_t len; DWORD want; } bad[] = {
#define T(text, want) {text, sizeof(text) - 1, NMERR_##want}
        /* nothing; no or a bad header */
        T("", BLOB_CONVERSION_ERROR), T("NPP:Config:A=1\n", BLOB_CONVERSION_ERROR),
        T("\n#NMBLOB 1\nA:B:C=D\n", BLOB_CONVERSION_ERROR), T("#NMBLOB\n", BLOB_CONVERSION_ERROR),
        T("#NMBLOB x\n", BLOB_CONVERSION_ERROR), T("#NMBLOB 0\n", BLOB_CONVERSION_ERROR),
        T("#nmblob 1\nA:B:C=D\n", BLOB_CONVERSION_ERROR),
        /* a newer version */
        T("#NMBLOB 2\n", UPLEVEL_BLOB), T("#NMBLOB 2\nA:B:C=D\n", UPLEVEL_BLOB),
        T("#NMBLOB 99\nanything goes here\n", UPLEVEL_BLOB),
        /* bad escapes */
        T("#NMBLOB 1\nA:B:C=D\\q\n", BLOB_CONVERSION_ERROR), T("#NMBLOB 1\nA:B:C=D\\\n", BLOB_CONVERSION_ERROR),
        T("#NMBLOB 1\nA\\x:B:C=D\n", BLOB_CONVERSION_ERROR), T("#NMBLOB 1\nA:B:C\\t=D\n", BLOB_CONVERSION_ERROR),
        /* lines without their separators */
        T("#NMBLOB 1\nA:B:C\n", BLOB_CONVERSION_ERROR), T("#NMBLOB 1\nA:B=D\n", BLOB_CONVERSION_ERROR),
        T("#NMBLOB 1\nA=D\n", BLOB_CONVERSION_ERROR), T("#NMBLOB 1\njust text\n", BLOB_CONVERSION_ERROR),
        T("#NMBLOB 1\nA:B:C\\=D\n", BLOB_CONVERSION_ERROR),
        /* empty names */
        T("#NMBLOB 1\n:B:C=1\n", BLOB_CONVERSION_ERROR), T("#NMBLOB 1\nA::C=1\n", BLOB_CONVERSION_ERROR),
        T("#NMBLOB 1\nA:B:=1\n", BLOB_CONVERSION_ERROR),
        /* the same entry twice, also differing only in case */
        T("#NMBLOB 1\nA:B:C=1\nA:B:C=1\n", BLOB_ENTRY_ALREADY_EXISTS),
        T("#NMBLOB 1\nA:B:C=1\nX:Y:Z=0\na:b:c=2\n", BLOB_ENTRY_ALREADY_EXISTS),
        T("#NMBLOB 1\nOwn:Cat:Tag=1\nOWN:cat:tAG=1\n", BLOB_ENTRY_ALREADY_EXISTS),
        /* a last line without its newline; NUL bytes */
        T("#NMBLOB 1\nA:B:C=D", BLOB_STRING_INVALID), T("#NMBLOB 1", BLOB_STRING_INVALID),
        T("#NMBLOB 1\nA:B:C=D\0E\n", BLOB_STRING_INVALID), T("#NMBLOB 1\nA:B\0:C=D\n", BLOB_STRING_INVALID),
        T("#NMBLOB 1\n\0", BLOB_STRING_INVALID),
#undef T
    };
    char path[512], path2[512];
    HBLOB out = SENTINEL_H, b = new_blob(), ok;

    CHECK_RC(UnMarshalBlob(&out, 0, NULL), NMERR_BLOB_CONVERSION_ERROR);
    CHECK_RC(UnMarshalBlob(&out, 0, (BYTE *)path), NMERR_BLOB_CONVERSION_ERROR);
    CHECK(out == SENTINEL_H);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) parse_both(dir, bad[i].text, bad[i].len, bad[i].want, (int)i);
    /* comments and blank lines are ignored */
    ok = PARSE("#NMBLOB 1\n\n# a comment\nA:B:C=\n\n#X:Y:Z=hidden\nA:B:D=x=y:z\n#\n", NMERR_SUCCESS);
    CHECK(ok != NULL);
    if (ok) EXPECT_WALK(ok, NULL, NULL, NULL, 2, "A:B:C=;A:B:D=x=y:z;");
    if (ok) DESTROY(ok);
    ok = PARSE("#NMBLOB 1\n", NMERR_SUCCESS);
    CHECK(ok != NULL);
    if (ok) CHECK_EQ(count_entries(ok), 0);
    if (ok) DESTROY(ok);

    /* file errors */
    snprintf(path, sizeof path, "%s/missing.blob", dir);
    CHECK_RC(ReadBlobFromFile(&out, path), NMERR_FILE_NOT_FOUND);
    snprintf(path, sizeof path, "%s/nodir/x.blob", dir);
    CHECK_RC(ReadBlobFromFile(&out, path), NMERR_FILE_NOT_FOUND);
    CHECK_RC(WriteBlobToFile(b, path), NMERR_PATH_NOT_FOUND);
    CHECK(access(path, F_OK) != 0);
    CHECK_RC(ReadBlobFromFile(&out, dir), NMERR_FILE_READ_ERROR); /* a directory */
    CHECK(WriteBlobToFile(b, dir) != NMERR_SUCCESS);
    CHECK(out == SENTINEL_H);
    /* a regular file used as a directory */
    snprintf(path, sizeof path, "%s/plain", dir);
    CHECK(spill(path, "x", 1));
    snprintf(path2, sizeof path2, "%s/plain/x.blob", dir);
    CHECK_RC(WriteBlobToFile(b, path2), NMERR_PATH_NOT_FOUND);
    unlink(path);
    /* a write that fails */
    if (access("/dev/full", W_OK) == 0) CHECK_RC(WriteBlobToFile(b, "/dev/full"), NMERR_FILE_WRITE_ERROR);
    /* permissions (not checkable as root) */
    if (geteuid() != 0) {
        snprintf(path, sizeof path, "%s/ro", dir);
        CHECK(mkdir(path, 0500) == 0);
        snprintf(path2, sizeof path2, "%s/ro/x.blob", dir);
        CHECK_RC(WriteBlobToFile(b, path2), NMERR_ACCESS_DENIED);
        rmdir(path);
        snprintf(path, sizeof path, "%s/secret.blob", dir);
        CHECK(spill(path, "#NMBLOB 1\n", 10) && chmod(path, 0) == 0);
        CHECK_RC(ReadBlobFromFile(&out, path), NMERR_ACCESS_DENIED);
        CHECK(out == SENTINEL_H);
        unlink(path);
    }
    DESTROY(b);
}

/* ------------------------------------------------------------------ locking and threads */

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static pthread_mutex_t flag_mutex = PTHREAD_MUTEX_INITIALIZER;

/* One call made by another thread; `done` (under flag_mutex) once it returned. */
struct job {
    HBLOB b;
    int done;
    DWORD rc;
};

static int job_done(struct job *j) {
    int d;
    pthread_mutex_lock(&flag_mutex);
    d = j->done;
    pthread_mutex_unlock(&flag_mutex);
    return d;
}

static void *job_finish(struct job *j, DWORD rc) {
    pthread_mutex_lock(&flag_mutex);
    j->rc = rc;
    j->done = 1;
    pthread_mutex_unlock(&flag_mutex);
    return NULL;
}

static void *setter(void *arg) {
    return job_finish(arg, SetStringInBlob(((struct job *)arg)->b, "Thread", "C", "T", "from thread"));
}

static void *locker(void *arg) {
    struct job *j = arg;
    DWORD rc = LockBlob(j->b);
    if (rc == NMERR_SUCCESS) {
        rc = SetStringInBlob(j->b, "Locker", "C", "T", "x");
        if (UnlockBlob(j->b) != NMERR_SUCCESS) rc = NMERR_NOT_LOCKED;
    }
    return job_finish(j, rc);
}

static void *unlocker(void *arg) { return job_finish(arg, UnlockBlob(((struct job *)arg)->b)); }

/* The job has still not finished after another `ms` milliseconds. */
static int still_blocked(struct job *j, long ms) {
    sleep_ms(ms);
    return !job_done(j);
}

#define JOINED(t, j, want) do { CHECK(pthread_join(t, NULL) == 0); CHECK_RC((j).rc, want); } while (0)

static void start(pthread_t *t, void *(*fn)(void *), struct job *j, HBLOB b) {
    j->b = b;
    j->done = 0;
    j->rc = SENTINEL_DW;
    CHECK(pthread_create(t, NULL, fn, j) == 0);
}

static void locking(void) {
    HBLOB b = new_blob();
    pthread_t t, t2;
    struct job j, j2;
    const char *s = NULL;
    int ok = 1;

    CHECK_RC(UnlockBlob(b), NMERR_NOT_LOCKED);
    /* another thread's call waits while this thread holds the BLOB */
    CHECK_RC(LockBlob(b), NMERR_SUCCESS);
    start(&t, setter, &j, b);
    CHECK(still_blocked(&j, 100));
    /* the holder's own calls go through */
    SET(b, "Main", "C", "T", "m");
    CHECK_RC(GetStringFromBlob(b, "Thread", "C", "T", &s), NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
    CHECK_EQ(count_entries(b), 1);
    CHECK_RC(UnlockBlob(b), NMERR_SUCCESS);
    JOINED(t, j, NMERR_SUCCESS);
    EXPECT_STR(b, "Thread", "C", "T", "from thread");
    CHECK_RC(UnlockBlob(b), NMERR_NOT_LOCKED);

    /* nested locks need as many unlocks; another thread's LockBlob waits too */
    for (int i = 0; i < 3; i++) CHECK_RC(LockBlob(b), NMERR_SUCCESS);
    start(&t, locker, &j, b);
    CHECK(still_blocked(&j, 100));
    CHECK_RC(UnlockBlob(b), NMERR_SUCCESS);
    CHECK_RC(UnlockBlob(b), NMERR_SUCCESS);
    CHECK(still_blocked(&j, 100));
    /* UnlockBlob from a thread that does not hold the BLOB: NMERR_NOT_LOCKED, the lock stays */
    start(&t2, unlocker, &j2, b);
    JOINED(t2, j2, NMERR_NOT_LOCKED);
    CHECK(still_blocked(&j, 50));
    CHECK_RC(UnlockBlob(b), NMERR_SUCCESS);
    JOINED(t, j, NMERR_SUCCESS);
    CHECK_RC(GetStringFromBlob(b, "Locker", "C", "T", &s), NMERR_SUCCESS);
    CHECK_RC(UnlockBlob(b), NMERR_NOT_LOCKED);
    start(&t2, unlocker, &j2, b); /* nobody holds it */
    JOINED(t2, j2, NMERR_NOT_LOCKED);

    /* the nesting limit: 65536 */
    for (int i = 0; i < 65536; i++) ok &= LockBlob(b) == NMERR_SUCCESS;
    CHECK_RC(LockBlob(b), NMERR_LOCK_NESTING_TOO_DEEP);
    for (int i = 0; i < 65536; i++) ok &= UnlockBlob(b) == NMERR_SUCCESS;
    CHECK(ok);
    CHECK_RC(UnlockBlob(b), NMERR_NOT_LOCKED);

    /* the holder may destroy the BLOB while it is locked */
    CHECK_RC(LockBlob(b), NMERR_SUCCESS);
    CHECK_RC(LockBlob(b), NMERR_SUCCESS);
    DESTROY(b);
    CHECK_RC(UnlockBlob(b), NMERR_INVALID_BLOB);
    CHECK_RC(LockBlob(b), NMERR_INVALID_BLOB);
    CHECK_RC(SetStringInBlob(b, "A", "B", "C", "D"), NMERR_INVALID_BLOB);

    /* ... and a thread waiting for it then answers NMERR_INVALID_BLOB instead of waiting forever */
    b = new_blob();
    CHECK_RC(LockBlob(b), NMERR_SUCCESS);
    start(&t, setter, &j, b);
    CHECK(still_blocked(&j, 100));
    DESTROY(b);
    for (int i = 0; i < 200 && !job_done(&j); i++) sleep_ms(10);
    if (job_done(&j)) {
        JOINED(t, j, NMERR_INVALID_BLOB);
    } else {
        CHECK(!"a thread waiting for a locked BLOB is still blocked 2 s after the holder destroyed it");
        pthread_detach(t); /* stuck for good; the process ends without it */
    }
}

struct worker {
    HBLOB b;
    int id, failures;
};

static void *hammer(void *arg) {
    struct worker *w = arg;
    for (int i = 0; i < 1000; i++) {
        char tag[32], value[32];
        const char *got = NULL;
        snprintf(tag, sizeof tag, "T%d_%d", w->id, i);
        snprintf(value, sizeof value, "v%d.%d", w->id, i);
        if (SetStringInBlob(w->b, "Conc", "C", tag, value) != NMERR_SUCCESS) w->failures++;
        if (GetStringFromBlob(w->b, "Conc", "C", tag, &got) != NMERR_SUCCESS || !got || strcmp(got, value) != 0)
            w->failures++;
        if (i % 5 == 0) { /* a read-modify-write under LockBlob: no increment may be lost */
            char num[32];
            if (LockBlob(w->b) != NMERR_SUCCESS) { w->failures++; continue; }
            if (GetStringFromBlob(w->b, "Conc", "Counter", "N", &got) != NMERR_SUCCESS || !got) { w->failures++; got = "0"; }
            snprintf(num, sizeof num, "%lu", strtoul(got, NULL, 10) + 1);
            if (SetStringInBlob(w->b, "Conc", "Counter", "N", num) != NMERR_SUCCESS) w->failures++;
            if (UnlockBlob(w->b) != NMERR_SUCCESS) w->failures++;
        }
    }
    return NULL;
}

static void concurrency(void) {
    HBLOB b = new_blob();
    pthread_t t[4];
    struct worker w[4];
    SET(b, "Conc", "Counter", "N", "0");
    for (int i = 0; i < 4; i++) {
        w[i].b = b;
        w[i].id = i;
        w[i].failures = 0;
        CHECK(pthread_create(&t[i], NULL, hammer, &w[i]) == 0);
    }
    for (int i = 0; i < 4; i++) {
        CHECK(pthread_join(t[i], NULL) == 0);
        CHECK_EQ(w[i].failures, 0);
    }
    CHECK_EQ(walk(b, "Conc", "C", NULL, NULL, 0), 4000);
    CHECK_EQ(count_entries(b), 4001);
    EXPECT_STR(b, "Conc", "Counter", "N", "800");
    DESTROY(b);
}

int main(void) {
    char dir[] = "/tmp/test_blob.XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    handle_misuse(dir); /* first: it relies on a fresh handle table */
    strings();
    wide_strings();
    duplicate_merge();
    enumeration();
    enumeration_limits();
    removal();
    find_unknown();
    round_trips(dir);
    malformed(dir);
    locking();
    concurrency();
    CHECK(rmdir(dir) == 0); /* every file was removed */
    return check_done("test_blob");
}
