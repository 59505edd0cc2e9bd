/* nmcap's remote side (tools/nmcap_remote.c): --stream, --probe and --list, protocol 1. */
#ifndef NDISNPP_NMCAP_REMOTE_H
#define NDISNPP_NMCAP_REMOTE_H
#include <stdio.h>

/* argv[1] is --stream, --probe or --list: runs it; returns the exit status. */
int nmcap_remote_main(int argc, char **argv);

/* Every NIC BLOB as MarshalBlob text (each starting "#NMBLOB 1") on `out`; the exit status. */
int nmcap_print_blobs(FILE *out);

#endif
