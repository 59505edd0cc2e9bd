/* Shared by the C tests that run code inside network namespaces they create (`ip netns add`). */
#ifndef NDISNPP_NETNS_UTIL_H
#define NDISNPP_NETNS_UTIL_H
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <sched.h>
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Moves the calling thread into the network namespace /run/netns/<ns>; 0 on success. */
static int enter_netns(const char *ns) {
    char path[256];
    int fd;
    snprintf(path, sizeof path, "/run/netns/%s", ns);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "open %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (setns(fd, CLONE_NEWNET) != 0) {
        fprintf(stderr, "setns %s: %s\n", ns, strerror(errno));
        close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

/* A raw packet socket (close-on-exec) and the address that sends through interface `ifname`
 * (of the calling thread's namespace); -1 when the socket cannot be made. */
static inline int raw_sender(const char *ifname, struct sockaddr_ll *to) {
    int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    memset(to, 0, sizeof *to);
    to->sll_family = AF_PACKET;
    to->sll_ifindex = (int)if_nametoindex(ifname);
    to->sll_halen = 6;
    return s;
}
#endif
