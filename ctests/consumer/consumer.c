/* A program outside the tree: built against an installed ndisnpp, it uses the BLOB API and
 * NIC discovery and prints what it found. */
#include <netmon.h>
#include <stdio.h>
#include <string.h>

int main(void) {
    HBLOB blob = NULL;
    const char *value = NULL;
    PBLOB_TABLE table = NULL;
    if (CreateBlob(&blob) != NMERR_SUCCESS) return 1;
    if (SetDwordInBlob(blob, OWNER_NPP, CATEGORY_CONFIG, TAG_BUFFER_SIZE, 32768) != NMERR_SUCCESS) return 1;
    if (GetStringFromBlob(blob, OWNER_NPP, CATEGORY_CONFIG, TAG_BUFFER_SIZE, &value) != NMERR_SUCCESS) return 1;
    if (strcmp(value, "32768") != 0) return 1;
    DestroyBlob(blob);
    if (GetNPPBlobTable(NULL, &table) != NMERR_SUCCESS || table->dwNumBlobs == 0) return 1;
    for (DWORD i = 0; i < table->dwNumBlobs; i++) DestroyBlob(table->hBlobs[i]);
    FreeBlobTable(table);
    printf("consumer ok: ndisnpp %s, %s\n", ndisnpp_version(), nmerr_text(NMERR_NOT_ESP));
    return 0;
}
