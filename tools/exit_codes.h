/* The exit status of the ndisnpp tools (nmcap, nmlist): one table, written once here, printed by
 * both tools' --help and repeated in man/nmcap.1 and man/nmlist.1 (ctests/tool_man.sh checks
 * that the pages and the help say the same). */
#ifndef NDISNPP_TOOLS_EXIT_CODES_H
#define NDISNPP_TOOLS_EXIT_CODES_H

enum {
    NM_EXIT_OK = 0,           /* done: what was asked for */
    NM_EXIT_FAILED = 1,       /* the work could not be done (capture, repair, listing) */
    NM_EXIT_USAGE = 2,        /* a bad option or value, options that cannot go together */
    NM_EXIT_ENDED = 3,        /* the capture ended by itself with an error */
    NM_EXIT_NO_PERMISSION = 4 /* no permission to capture (CAP_NET_RAW) */
};

/* The table as --help prints it (each line "  N  meaning"). */
#define NM_EXIT_TABLE                                                                                   \
    "  0  done: the capture ended as asked (-c, -d, Ctrl-C or SIGTERM), every file was repaired,\n"     \
    "     the interfaces were listed\n"                                                                 \
    "  1  failed: the capture could not start (no such interface or replay file, unusable\n"            \
    "     directory) or its file could not be moved to OUT; a file could not be repaired;\n"            \
    "     nmlist: no interface matched, or the list could not be read\n"                                \
    "  2  usage: an unknown option, a bad value (the message names the option), options that\n"         \
    "     cannot go together\n"                                                                         \
    "  3  the capture ended by itself with an error: write error or full disk, interface gone,\n"       \
    "     file size limit, a damaged replay file (the reason is printed)\n"                             \
    "  4  no permission to capture (CAP_NET_RAW)\n"

#endif
