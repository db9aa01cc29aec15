/* pmd-cluster-preload.so: cluster mode for servers that bind their own port. pmd puts it in
 * LD_PRELOAD of cluster-mode instances (exec_mode = "cluster"); its bind() asks pmd's bind
 * broker (cluster/bind_broker.h) for the app's shared socket and dup()s it over the app's
 * socket, so the app's listen() and accept() work on the one socket every instance shares.
 * listen() tells pmd the instance listens (a readiness source). Anything pmd does not answer
 * falls back to the plain call: a process outside pmd, or a pmd that is gone, behaves as
 * without the library. C, no allocation, no global state but the resolved symbols: it runs
 * inside any program, in any thread, after any fork.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "cluster/bind_protocol.h"

#define EXPORT __attribute__((visibility("default")))

typedef int (*bind_fn)(int, const struct sockaddr*, socklen_t);
typedef int (*listen_fn)(int, int);

/* The libc function this library stands in front of, resolved once (racing threads resolve
 * the same pointer). */
static void* next_symbol(void** slot, const char* name) {
    void* f = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (!f) {
        f = dlsym(RTLD_NEXT, name);
        __atomic_store_n(slot, f, __ATOMIC_RELEASE);
    }
    return f;
}

static bind_fn real_bind(void) {
    static void* fn;
    return (bind_fn)next_symbol(&fn, "bind");
}

static listen_fn real_listen(void) {
    static void* fn;
    return (listen_fn)next_symbol(&fn, "listen");
}

/* A connection to the broker, or -1 (no pmd: the caller does the plain call). */
static int connect_broker(void) {
    const char* path = getenv(PMD_CLUSTER_SOCKET_ENV);
    if (!path || !*path) return -1;
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    size_t len = strlen(path);
    if (len >= sizeof addr.sun_path) return -1;
    memcpy(addr.sun_path, path, len);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    /* Bounded: an instance waits for another one's bind at most this long, never forever. */
    struct timeval timeout = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    if (connect(fd, (struct sockaddr*)&addr, sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Room for the one fd a message may carry. */
union fd_control {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
};

/* A message of one buffer, with `control` (zeroed) for an fd, or none. */
static struct msghdr one_message(struct iovec* iov, union fd_control* control) {
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = iov;
    msg.msg_iovlen = 1;
    if (control) {
        memset(control, 0, sizeof *control);
        msg.msg_control = control->buf;
        msg.msg_controllen = sizeof control->buf;
    }
    return msg;
}

static int send_request(int broker, uint32_t op, const struct sockaddr* address, socklen_t length, int pass_fd) {
    struct pmd_bind_request request;
    memset(&request, 0, sizeof request);
    request.op = op;
    if (address) {
        request.address_length = length;
        memcpy(&request.address, address, length);
    }
    struct iovec iov = {&request, sizeof request};
    union fd_control control;
    struct msghdr msg = one_message(&iov, pass_fd >= 0 ? &control : NULL);
    if (pass_fd >= 0) {
        struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &pass_fd, sizeof pass_fd);
    }
    ssize_t n;
    do n = sendmsg(broker, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n == (ssize_t)sizeof request ? 0 : -1;
}

/* The reply, with the fd it carries in *fd (or -1); -1 if none came. */
static int receive_reply(int broker, struct pmd_bind_reply* reply, int* fd) {
    *fd = -1;
    struct iovec iov = {reply, sizeof *reply};
    union fd_control control;
    struct msghdr msg = one_message(&iov, &control);
    ssize_t n;
    do n = recvmsg(broker, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    struct cmsghdr* c = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
    if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
        memcpy(fd, CMSG_DATA(c), sizeof *fd);
    if (n != (ssize_t)sizeof *reply) {
        if (*fd >= 0) close(*fd);
        *fd = -1;
        return -1;
    }
    return 0;
}

/* Only stream sockets of the address's own family on a TCP/unix address are shared. */
static int shareable(int fd, const struct sockaddr* address, socklen_t length) {
    if (!address || length < sizeof(sa_family_t) || length > sizeof(struct sockaddr_storage)) return 0;
    int family = address->sa_family;
    if (family != AF_INET && family != AF_INET6 && family != AF_UNIX) return 0;
    int domain = 0, type = 0;
    socklen_t len = sizeof domain;
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 || domain != family) return 0;
    len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) return 0;
    return 1;
}

/* The shared socket takes the place of the app's: same fd number, the app's close-on-exec
 * and non-blocking choices (the open file is shared, so its status flags are every
 * instance's; the instances of one app run the same program and choose the same). */
static int take_over(int fd, int shared) {
    int fd_flags = fcntl(fd, F_GETFD);
    int fl_flags = fcntl(fd, F_GETFL);
    if (fd_flags < 0 || fl_flags < 0 || dup3(shared, fd, (fd_flags & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0) return -1;
    int now = fcntl(fd, F_GETFL);
    if (now >= 0 && (now & O_NONBLOCK) != (fl_flags & O_NONBLOCK))
        fcntl(fd, F_SETFL, (now & ~O_NONBLOCK) | (fl_flags & O_NONBLOCK));
    return 0;
}

EXPORT int bind(int fd, const struct sockaddr* address, socklen_t length) {
    bind_fn plain = real_bind();
    if (!plain) {
        errno = ENOSYS;
        return -1;
    }
    if (!shareable(fd, address, length)) return plain(fd, address, length);
    int saved_errno = errno;
    int broker = connect_broker();
    if (broker < 0) {
        errno = saved_errno;
        return plain(fd, address, length);
    }
    struct pmd_bind_reply reply;
    int shared = -1;
    int rc;
    if (send_request(broker, PMD_BIND_ASK, address, length, -1) != 0 || receive_reply(broker, &reply, &shared) != 0) {
        close(broker);
        errno = saved_errno;
        return plain(fd, address, length);
    }
    switch (reply.answer) {
        case PMD_BIND_TAKE:
            rc = shared >= 0 ? take_over(fd, shared) : -1;
            if (shared >= 0) close(shared);
            close(broker);
            if (rc != 0) return plain(fd, address, length);
            errno = saved_errno;
            return 0;
        case PMD_BIND_REFUSED:
            close(broker);
            errno = reply.error > 0 ? reply.error : EACCES;
            return -1;
        case PMD_BIND_YOURSELF:
            rc = plain(fd, address, length);
            if (rc == 0) {
                /* Kept or not, the bind has succeeded; the answer only says whether pmd kept it. */
                int ignored = -1;
                if (send_request(broker, PMD_BIND_OFFER, address, length, fd) == 0) receive_reply(broker, &reply, &ignored);
                if (ignored >= 0) close(ignored);
                close(broker);
                errno = saved_errno;
                return 0;
            }
            saved_errno = errno;
            close(broker); /* pmd lets the next instance try */
            errno = saved_errno;
            return -1;
        default:
            if (shared >= 0) close(shared);
            close(broker);
            errno = saved_errno;
            return plain(fd, address, length);
    }
}

EXPORT int listen(int fd, int backlog) {
    listen_fn plain = real_listen();
    if (!plain) {
        errno = ENOSYS;
        return -1;
    }
    int rc = plain(fd, backlog);
    if (rc != 0) return rc;
    int saved_errno = errno;
    int domain = 0;
    socklen_t len = sizeof domain;
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 &&
        (domain == AF_INET || domain == AF_INET6 || domain == AF_UNIX)) {
        int broker = connect_broker();
        if (broker >= 0) {
            send_request(broker, PMD_BIND_LISTENING, NULL, 0, -1);
            close(broker);
        }
    }
    errno = saved_errno;
    return 0;
}
