/* nmlist: lists the capture interfaces as Network Monitor NIC BLOBs.
 *
 *   nmlist [--remote DEST] [-f Owner:Category:Tag=Value]... [-q | -M]
 *   nmlist -h | --help | --version
 *
 * Each -f adds an entry to the filter BLOB (only interfaces whose BLOB has an equivalent entry are
 * listed). -q prints only the interface names, -M every BLOB as MarshalBlob text (what a remote
 * NIC's discovery reads: each record starts "#NMBLOB 1"). --remote DEST lists the interfaces of
 * another host over ssh (GetNPPBlobTable with NPP:Remote:RemoteComputer = DEST; ndisnpp's nmcap
 * must be installed there). Every option: `nmlist --help` and man/nmlist.1
 * (ctests/tool_man.sh keeps them in step). Exit status: tools/exit_codes.h, the table shared with
 * nmcap: 0 listed, 1 none matched or the list could not be read, 2 usage.
 * Written against include/netmon.h only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "netmon.h"
#include "exit_codes.h"

#define USAGE_LINES                                    \
    "usage: nmlist [--remote DEST] [-f Owner:Category:Tag=Value]... [-q | -M]\n" \
    "       nmlist -h | --help | --version\n"

/* --help: every option (one line each starting with "  -", as ctests/tool_man.sh reads them),
 * its default, and the exit status. */
static void help(void) {
    printf(USAGE_LINES
           "\n"
           "Lists the capture interfaces the ndisnpp library finds, in its order (libpcap's), each\n"
           "as its Network Monitor NIC BLOB (Owner:Category:Tag=Value lines). See nmlist(1).\n"
           "\n"
           "Options:\n"
           "  -f Owner:Category:Tag=Value\n"
           "               list only the interfaces whose BLOB holds an equivalent entry (the\n"
           "               filter BLOB of GetNPPBlobTable); repeat for more entries (all must\n"
           "               match). Default: every interface\n"
           "  -q           print only the interface names, one a line. Default: each name and its\n"
           "               BLOB\n"
           "  -M           print each BLOB as MarshalBlob text, each record starting \"#NMBLOB 1\"\n"
           "               (what a remote NIC's discovery reads). Default: the readable listing\n"
           "  --remote DEST\n"
           "               list the interfaces of the host DEST (host, user@host, an ssh alias or\n"
           "               ssh://[user@]host[:port]) over ssh, as remote NIC BLOBs; ndisnpp's nmcap\n"
           "               must be installed there. Default: this host's interfaces\n"
           "  -h, --help   print this help and exit (status 0)\n"
           "  --version    print the version of the ndisnpp library and exit (status 0)\n"
           "\n"
           "Exit status (the same table for nmcap and nmlist; nmlist uses 0, 1 and 2):\n" NM_EXIT_TABLE);
}

static int usage_error(const char *what, const char *arg) {
    fprintf(stderr, "nmlist: %s%s\n" USAGE_LINES "Try 'nmlist --help' for every option.\n", arg, what);
    return NM_EXIT_USAGE;
}

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
    int quiet = 0, marshalled = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-q") == 0) {
            quiet = 1;
        } else if (strcmp(argv[i], "-M") == 0) {
            marshalled = 1;
        } else if (strcmp(argv[i], "--remote") == 0) {
            if (i + 1 >= argc) {
                if (filter) DestroyBlob(filter);
                return usage_error(" takes a value (host, user@host or ssh://[user@]host[:port])", "--remote");
            }
            if (!filter && CreateBlob(&filter) != NMERR_SUCCESS) {
                fprintf(stderr, "nmlist: cannot create the filter BLOB\n");
                return NM_EXIT_FAILED;
            }
            if (SetStringInBlob(filter, OWNER_NPP, CATEGORY_REMOTE, TAG_REMOTECOMPUTER, argv[++i]) != NMERR_SUCCESS) {
                DestroyBlob(filter);
                return NM_EXIT_FAILED;
            }
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            help();
            if (filter) DestroyBlob(filter);
            return NM_EXIT_OK;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("nmlist (ndisnpp) %s\n", ndisnpp_version());
            if (filter) DestroyBlob(filter);
            return NM_EXIT_OK;
        } else if (strcmp(argv[i], "-f") == 0) {
            if (i + 1 >= argc) {
                if (filter) DestroyBlob(filter);
                return usage_error(" takes a value (Owner:Category:Tag=Value)", "-f");
            }
            if (!filter && CreateBlob(&filter) != NMERR_SUCCESS) {
                fprintf(stderr, "nmlist: cannot create the filter BLOB\n");
                return NM_EXIT_FAILED;
            }
            if (add_filter(filter, argv[++i]) != 0) {
                fprintf(stderr, "nmlist: -f %s: bad filter entry; expected Owner:Category:Tag=Value\n", argv[i]);
                DestroyBlob(filter);
                return NM_EXIT_USAGE;
            }
        } else {
            if (filter) DestroyBlob(filter);
            return usage_error(argv[i][0] == '-' ? ": unknown option" : ": unexpected argument", argv[i]);
        }
    }
    if (quiet && marshalled) {
        if (filter) DestroyBlob(filter);
        return usage_error(": -q and -M cannot go together", "-M");
    }
    PBLOB_TABLE table = NULL;
    DWORD rc = GetNPPBlobTable(filter, &table);
    if (filter) DestroyBlob(filter);
    if (rc != NMERR_SUCCESS) {
        fprintf(stderr, "nmlist: GetNPPBlobTable: %s (%s)\n", nmerr_text(rc), nmerr_name(rc));
        return NM_EXIT_FAILED;
    }
    for (DWORD i = 0; i < table->dwNumBlobs; i++) {
        const char *name = "?";
        if (GetStringFromBlob(table->hBlobs[i], OWNER_NPP, CATEGORY_LOCATION, TAG_NAME, &name) != NMERR_SUCCESS) name = "?";
        if (marshalled) {
            DWORD size = 0;
            BYTE *bytes = NULL;
            if (MarshalBlob(table->hBlobs[i], &size, &bytes) == NMERR_SUCCESS) fwrite(bytes, 1, size, stdout);
        } else if (quiet) {
            printf("%s\n", name);
        } else {
            printf("NIC %u: %s\n", (unsigned)i, name);
            print_blob(table->hBlobs[i]);
        }
        DestroyBlob(table->hBlobs[i]);
    }
    FreeBlobTable(table);
    return NM_EXIT_OK;
}
