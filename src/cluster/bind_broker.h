// BindBroker: pmd's end of cluster mode. Instances of a cluster-mode app run with the preload
// library (cluster/preload/), whose bind() asks here first: the instance gets the socket pmd
// already holds for that app and address, or is told to bind it itself and hand it over, so
// N unchanged servers calling listen(PORT) share one socket, across reloads and restarts.
//
// The asker is whoever the kernel says is at the other end (SO_PEERCRED): its pid's cgroup
// names the instance and so the app (Manager resolves it), through any wrapper (npm → sh →
// node inherit the environment). A stranger's bind is answered "alone": nothing is shared
// with it. pmd never binds for an instance: the first bind is the instance's own, so the
// kernel applies its credentials, options (SO_REUSEADDR, IPV6_V6ONLY...), umask and
// directory permissions exactly as without pmd. A later instance only gets a socket it could
// have bound itself: a port below ip_unprivileged_port_start needs CAP_NET_BIND_SERVICE in the
// asker too (EACCES otherwise, as the kernel answers), unless `listen` pre-bound it.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "cluster/shared_socket_pool.h"
#include "event/event_loop.h"

namespace pmd {

class BindBroker {
public:
    // What pmd knows of an asking pid: its app's pool (null: not an instance of a cluster-mode
    // app) and the sockets `listen` bound for that app, which a bind to their address gets.
    struct Asker {
        std::shared_ptr<SharedSocketPool> pool;
        std::vector<int> prebound;
    };
    using Resolve = std::function<Asker(pid_t)>;
    using Listening = std::function<void(pid_t)>;

    // Binds a SOCK_SEQPACKET socket at path (replacing a stale one); throws Error on failure.
    BindBroker(EventLoop& loop, std::string path, Resolve resolve, Listening listening);
    ~BindBroker();
    BindBroker(const BindBroker&) = delete;
    BindBroker& operator=(const BindBroker&) = delete;

    const std::string& path() const { return path_; }

private:
    struct Connection;
    void on_accept();
    void on_readable(uint64_t id);
    void serve_ask(Connection& c);
    void close_connection(uint64_t id);
    // A claim ended (the socket was kept, or the binder failed or went away): the instances
    // waiting for that address ask again.
    void wake_waiters(const SharedSocketPool* pool, const std::string& key);

    EventLoop& loop_;
    std::string path_;
    UniqueFd fd_;
    EventSource source_;
    Resolve resolve_;
    Listening listening_;
    std::map<uint64_t, std::unique_ptr<Connection>> connections_;
    uint64_t next_id_ = 1;
};

// Whether pid has CAP_NET_BIND_SERVICE in its effective set (/proc/PID/status).
bool may_bind_privileged_port(pid_t pid);
// The lowest port a process without CAP_NET_BIND_SERVICE may bind (net.ipv4.ip_unprivileged_port_start).
uint16_t unprivileged_port_start();

}  // namespace pmd
