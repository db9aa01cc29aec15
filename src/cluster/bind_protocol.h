/* The messages between pmd's bind broker (cluster/bind_broker.h) and the preload library that
 * runs inside cluster-mode instances (cluster/preload/). Plain C: the library is C, so no
 * exception or C++ runtime ever enters an app's process. One SOCK_SEQPACKET connection per
 * question; a message is one struct.
 *
 *   ASK {address}          -> TAKE + fd        the shared socket; dup it over yours
 *                          -> BIND_YOURSELF    nobody holds it yet: bind, then OFFER it
 *                          -> ALONE            not shared (not an instance of a cluster app)
 *                          -> REFUSED {errno}  fail the bind with this errno
 *   OFFER {address} + fd   -> KEPT             pmd keeps it for the other instances
 *   LISTENING              (no answer)         this instance called listen(): it is ready
 */
#ifndef PMD_CLUSTER_BIND_PROTOCOL_H
#define PMD_CLUSTER_BIND_PROTOCOL_H

#include <stdint.h>
#include <sys/socket.h>

/* The broker's socket path, set only in the environment of cluster-mode instances. */
#define PMD_CLUSTER_SOCKET_ENV "PMD_CLUSTER_SOCKET"

enum pmd_bind_op { PMD_BIND_ASK = 1, PMD_BIND_OFFER = 2, PMD_BIND_LISTENING = 3 };
enum pmd_bind_answer { PMD_BIND_TAKE = 1, PMD_BIND_YOURSELF = 2, PMD_BIND_ALONE = 3, PMD_BIND_REFUSED = 4, PMD_BIND_KEPT = 5 };

struct pmd_bind_request {
    uint32_t op;
    uint32_t address_length;
    struct sockaddr_storage address;
};

struct pmd_bind_reply {
    uint32_t answer;
    int32_t error; /* REFUSED: the errno bind() fails with */
};

#endif
