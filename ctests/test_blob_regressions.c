/* Regressions found by fuzzing and review, and the v1 (pre-IPv6) address filter helpers. */
#include "check.h"
#include <stdint.h>

/* The error BLOB may be the BLOB itself: a malformed entry is reported into it, no deadlock. */
static void error_blob_is_the_blob(void) {
    static const char *const bad[][2] = {
        {TAG_SAPS, "bogus"}, {TAG_ETYPES, "EXCLUDE ALL EXCEPT 0x10000"}, {TAG_LOCAL_ONLY, "maybe"},
        {TAG_FILTER_FLAGS, "0xZZ"}, {TAG_PATTERN_DESIGNATOR, "AND(OR(FRAME 1 G))"},
        {TAG_ADDRESS_PAIR, "INCLUDE,0x1,IP,300.1.1.1,0x0,ANY,,0x0"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        HBLOB b = NULL;
        const char *v = NULL;
        WORD ns = 7, ne = 7; LPBYTE st = NULL; LPWORD et = NULL; DWORD ff = 7;
        EXPRESSION ex; ADDRESSTABLE2 at;
        CHECK_RC(CreateBlob(&b), NMERR_SUCCESS);
        CHECK_RC(SetStringInBlob(b, OWNER_NPP, CATEGORY_CONFIG, bad[i][0], bad[i][1]), NMERR_SUCCESS);
        CHECK_RC(GetNPPEtypeSapFilter(b, &ns, &ne, &st, &et, &ff, b),
                 i < 4 ? NMERR_BLOB_CONVERSION_ERROR : NMERR_SUCCESS);
        CHECK_RC(GetNPPPatternFilterFromBlob(b, &ex, b), i == 4 ? NMERR_BLOB_CONVERSION_ERROR : NMERR_SUCCESS);
        CHECK_RC(GetNPPAddress2FilterFromBlob(b, &at, b), i == 5 ? NMERR_BLOB_CONVERSION_ERROR : NMERR_SUCCESS);
        CHECK_RC(GetStringFromBlob(b, OWNER_NPP, CATEGORY_CONFIG, bad[i][0], &v), NMERR_SUCCESS);
        CHECK_STR(v, bad[i][1]);
        CHECK_RC(DestroyBlob(b), NMERR_SUCCESS);
    }
    {
        HBLOB b = NULL;
        TRIGGER t;
        CHECK_RC(CreateBlob(&b), NMERR_SUCCESS);
        CHECK_RC(SetStringInBlob(b, OWNER_NPP, CATEGORY_TRIGGER, TAG_TRIGGER, "SOON;STOP"), NMERR_SUCCESS);
        CHECK_RC(GetNPPTriggerFromBlob(b, &t, b), NMERR_ILLEGAL_TRIGGER);
        CHECK_RC(DestroyBlob(b), NMERR_SUCCESS);
    }
}

/* Multi-byte characters where a keyword is expected answer a conversion error, not a caught
 * panic (NMERR_INTERNAL_EXCEPTION), and the entry lands in the error BLOB. */
static void non_ascii_values(void) {
    static const char *const values[] = {"AND\xc3\xa9)", "AND(OR\xc3\xa9())", "AND\xd5 0x", "\xff\xfe"};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        HBLOB b = NULL, err = NULL;
        EXPRESSION ex;
        const char *v = NULL;
        CHECK_RC(CreateBlob(&b), NMERR_SUCCESS);
        CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
        CHECK_RC(SetStringInBlob(b, OWNER_NPP, CATEGORY_CONFIG, TAG_PATTERN_DESIGNATOR, values[i]), NMERR_SUCCESS);
        CHECK_RC(GetNPPPatternFilterFromBlob(b, &ex, err), NMERR_BLOB_CONVERSION_ERROR);
        CHECK_RC(GetStringFromBlob(err, OWNER_NPP, CATEGORY_CONFIG, TAG_PATTERN_DESIGNATOR, &v), NMERR_SUCCESS);
        CHECK(v != NULL && strlen(v) > 0);
        CHECK_RC(SetStringInBlob(b, OWNER_NPP, CATEGORY_CONFIG, TAG_SAPS, values[i]), NMERR_SUCCESS);
        {
            WORD ns, ne; LPBYTE st; LPWORD et; DWORD ff;
            CHECK_RC(GetNPPEtypeSapFilter(b, &ns, &ne, &st, &et, &ff, err), NMERR_BLOB_CONVERSION_ERROR);
        }
        CHECK_RC(DestroyBlob(err), NMERR_SUCCESS);
        CHECK_RC(DestroyBlob(b), NMERR_SUCCESS);
    }
}

/* SetNPPAddressFilterInBlob / GetNPPAddressFilterFromBlob (v1 ADDRESSTABLE). */
static void v1_address_filter(void) {
    HBLOB b = NULL, err = NULL;
    ADDRESSTABLE in, out, untouched;
    ADDRESSTABLE2 v2;
    const char *v = NULL;
    memset(&in, 0, sizeof in);
    in.nAddressPairs = 2;
    in.nNonMacAddressPairs = 1;
    in.AddressPair[0].AddressFlags = ADDRESS_FLAGS_MATCH_BOTH | ADDRESS_FLAGS_EXCLUDE;
    in.AddressPair[0].DstAddress.Type = ADDRESS_TYPE_IP;
    memcpy(in.AddressPair[0].DstAddress.IPAddress, "\x0a\x00\x00\x01", 4);
    in.AddressPair[0].SrcAddress.Type = ADDRESS_TYPE_ANY;
    in.AddressPair[1].AddressFlags = ADDRESS_FLAGS_MATCH_SRC;
    in.AddressPair[1].DstAddress.Type = ADDRESS_TYPE_ANY_GROUP;
    in.AddressPair[1].SrcAddress.Type = ADDRESS_TYPE_ETHERNET;
    memcpy(in.AddressPair[1].SrcAddress.MACAddress, "\x02\x00\x00\x00\x00\x01", 6);
    CHECK_RC(CreateBlob(&b), NMERR_SUCCESS);
    CHECK_RC(CreateBlob(&err), NMERR_SUCCESS);
    CHECK_RC(SetNPPAddressFilterInBlob(b, &in), NMERR_SUCCESS);
    memset(&out, 0xAB, sizeof out);
    memset(&out, 0, sizeof out);
    CHECK_RC(GetNPPAddressFilterFromBlob(b, &out, err), NMERR_SUCCESS);
    CHECK(memcmp(&in, &out, sizeof in) == 0);
    /* the same entry read as v2 */
    CHECK_RC(GetNPPAddress2FilterFromBlob(b, &v2, NULL), NMERR_SUCCESS);
    CHECK_EQ(v2.nAddressPairs, 2);
    CHECK_EQ(v2.AddressPair[0].DstAddress.IPAddress[0], 10);
    CHECK_EQ(v2.AddressPair[1].SrcAddress.MACAddress[5], 1);
    /* an IPv6 pair cannot be read as v1 */
    v2.AddressPair[0].DstAddress.Type = ADDRESS_TYPE_IP6;
    CHECK_RC(SetNPPAddress2FilterInBlob(b, &v2), NMERR_SUCCESS);
    memset(&untouched, 0x5A, sizeof untouched);
    memcpy(&out, &untouched, sizeof out);
    CHECK_RC(GetNPPAddressFilterFromBlob(b, &out, err), NMERR_BLOB_CONVERSION_ERROR);
    CHECK(memcmp(&out, &untouched, sizeof out) == 0);
    CHECK_RC(GetStringFromBlob(err, OWNER_NPP, CATEGORY_CONFIG, TAG_ADDRESS_PAIR, &v), NMERR_SUCCESS);
    /* bad arguments */
    in.nAddressPairs = 9;
    CHECK_RC(SetNPPAddressFilterInBlob(b, &in), NMERR_OUT_OF_RANGE);
    CHECK_RC(SetNPPAddressFilterInBlob(b, NULL), NMERR_INVALID_PARAMETER);
    CHECK_RC(GetNPPAddressFilterFromBlob(b, NULL, NULL), NMERR_INVALID_PARAMETER);
    CHECK_RC(DestroyBlob(b), NMERR_SUCCESS);
    in.nAddressPairs = 1;
    CHECK_RC(SetNPPAddressFilterInBlob(b, &in), NMERR_INVALID_BLOB);
    CHECK_RC(GetNPPAddressFilterFromBlob(b, &out, NULL), NMERR_INVALID_BLOB);
    CHECK_RC(GetNPPAddressFilterFromBlob((HBLOB)(uintptr_t)0x12345678, &out, NULL), NMERR_INVALID_BLOB);
    CHECK_RC(DestroyBlob(err), NMERR_SUCCESS);
}

int main(void) {
    error_blob_is_the_blob();
    non_ascii_values();
    v1_address_filter();
    return check_done("test_blob_regressions");
}
