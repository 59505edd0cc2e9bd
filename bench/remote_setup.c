/* remote_setup: how long a remote NIC's Connect and Start take (esp_connect, esp_start), and
 * Stop (esp_stop) then Disconnect, over ssh to DEST, interface IFACE there, ROUNDS times.
 *
 *   remote_setup DEST IFACE PROGRAM CAPTURE_DIR ROUNDS
 *
 * Prints one line per round: "connect=S start=S stop=S" (seconds). Against include/netmon.h only.
 * Exit status 0, 1 on a library error. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "netmon.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: remote_setup DEST IFACE PROGRAM CAPTURE_DIR ROUNDS\n");
        return 2;
    }
    for (int r = 0; r < atoi(argv[5]); r++) {
        HBLOB nic = NULL, cfg = NULL;
        HNPP h = NULL;
        char name[512];
        STATISTICS st;
        DWORD rc = CreateBlob(&nic);
        if (rc == NMERR_SUCCESS) rc = CreateBlob(&cfg);
        if (rc == NMERR_SUCCESS) rc = SetStringInBlob(nic, OWNER_NPP, CATEGORY_REMOTE, TAG_REMOTECOMPUTER, argv[1]);
        if (rc == NMERR_SUCCESS) rc = SetStringInBlob(nic, OWNER_NPP, CATEGORY_LOCATION, TAG_NAME, argv[2]);
        if (rc == NMERR_SUCCESS) rc = SetStringInBlob(nic, OWNER_NPP, CATEGORY_REMOTE, TAG_REMOTE_PROGRAM, argv[3]);
        if (rc == NMERR_SUCCESS) rc = SetStringInBlob(cfg, OWNER_NPP, CATEGORY_CONFIG, TAG_CAPTURE_DIRECTORY, argv[4]);
        if (rc == NMERR_SUCCESS) rc = npp_create(nic, &h);
        double t0 = now();
        if (rc == NMERR_SUCCESS) rc = esp_connect(h, cfg, NULL, NULL, NULL);
        double t1 = now();
        if (rc == NMERR_SUCCESS) rc = esp_start(h, name, sizeof name);
        double t2 = now();
        if (rc == NMERR_SUCCESS) rc = esp_stop(h, &st);
        double t3 = now();
        if (rc != NMERR_SUCCESS) {
            fprintf(stderr, "remote_setup: %s (%s)\n", nmerr_text(rc), nmerr_name(rc));
            return 1;
        }
        printf("connect=%.4f start=%.4f stop=%.4f\n", t1 - t0, t2 - t1, t3 - t2);
        remove(name);
        (void)esp_disconnect(h);
        (void)npp_destroy(h);
        DestroyBlob(nic);
        DestroyBlob(cfg);
    }
    return 0;
}
