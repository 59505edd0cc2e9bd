/* nmlist: lists the capture interfaces as Network Monitor NIC BLOBs.
 *
 *   nmlist [-f Owner:Category:Tag=Value]... [-q]
 *
 * Each -f adds an entry to the filter BLOB (only interfaces whose BLOB has an equivalent entry are
 * listed). -q prints only the interface names. Exit status: 0 listed, 1 none matched, 2 error.
 * Written against include/netmon.h only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "netmon.h"

static int add_filter(HBLOB filter, const char *spec) {
    char buf[1024];
    if (strlen(spec) >= sizeof buf) return -1;
    strcpy(buf, spec);
    char *c1 = strchr(buf, ':');
    char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    char *eq = c2 ? strchr(c2 + 1, '=') : NULL;
    if (!eq) return -1;
    *c1 = *c2 = *eq = '\0';
    return SetStringInBlob(filter, buf, c1 + 1, c2 + 1, eq + 1) == NMERR_SUCCESS ? 0 : -1;
}

static void print_blob(HBLOB blob) {
    const char *owner, *category, *tag, *value;
    DWORD key = 0;
    while (GetStringsFromBlob(blob, NULL, NULL, NULL, &owner, &category, &tag, &value, &key) == NMERR_SUCCESS)
        printf("  %s:%s:%s=%s\n", owner, category, tag, value);
}

int main(int argc, char **argv) {
    HBLOB filter = NULL;
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-q") == 0) {
            quiet = 1;
        } else if (strcmp(argv[i], "-f") == 0 && i + 1 < argc) {
            if (!filter && CreateBlob(&filter) != NMERR_SUCCESS) return 2;
            if (add_filter(filter, argv[++i]) != 0) {
                fprintf(stderr, "nmlist: bad filter entry '%s' (want Owner:Category:Tag=Value)\n", argv[i]);
                return 2;
            }
        } else {
            fprintf(stderr, "usage: nmlist [-f Owner:Category:Tag=Value]... [-q]\n");
            return 2;
        }
    }
    PBLOB_TABLE table = NULL;
    DWORD rc = GetNPPBlobTable(filter, &table);
    if (filter) DestroyBlob(filter);
    if (rc != NMERR_SUCCESS) {
        fprintf(stderr, "nmlist: GetNPPBlobTable: %s (%s)\n", nmerr_text(rc), nmerr_name(rc));
        return rc == NMERR_NO_MATCHING_NPPS || rc == NMERR_NO_NPPS ? 1 : 2;
    }
    for (DWORD i = 0; i < table->dwNumBlobs; i++) {
        const char *name = "?";
        if (GetStringFromBlob(table->hBlobs[i], OWNER_NPP, CATEGORY_LOCATION, TAG_NAME, &name) != NMERR_SUCCESS) name = "?";
        if (quiet) {
            printf("%s\n", name);
        } else {
            printf("NIC %u: %s\n", (unsigned)i, name);
            print_blob(table->hBlobs[i]);
        }
        DestroyBlob(table->hBlobs[i]);
    }
    FreeBlobTable(table);
    return 0;
}
