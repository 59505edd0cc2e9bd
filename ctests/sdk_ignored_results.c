/* SDK-style code that ignores results, as Network Monitor 2 samples do (README "Porting Network
 * Monitor 2 code"): it builds with -Wall -Wextra -Werror once NDISNPP_WARN_UNUSED_RESULT is defined
 * empty (CTest: sdk_ignored_results), and fails to without (sdk_ignored_results_warns, WILL_FAIL). */
#include <stdio.h>
#include "netmon.h"

int main(void) {
    HBLOB nic = NULL;
    HNPP npp = NULL;
    CreateBlob(&nic);
    SetStringInBlob(nic, OWNER_NPP, CATEGORY_LOCATION, TAG_REPLAY_FILE, "/nonexistent.pcap");
    npp_create(nic, &npp);
    esp_connect(npp, nic, NULL, NULL, NULL);
    npp_destroy(npp);
    DestroyBlob(nic);
    printf("built and ran with the results ignored\n");
    return 0;
}
