// SPDX-License-Identifier: BSD-2-Clause
// The control socket: a Unix stream socket only root can open, framed
// requests and replies, bounded in size, clients and time.
//
// Frames: 4-byte big-endian length, then the bytes. A request is one command
// line (at most request_max bytes); a reply is a JSON object
// {"status": N, "output": "..."}. Garbage, oversized or half-sent requests
// get an error reply (where a reply can be framed) and the connection is
// closed; the daemon keeps forwarding.
//
// Replies of any size up to reply_max are delivered whole: each client has
// one output buffer, written as its socket drains, and while it holds a
// reply the client's next requests wait unread (memory per client: one
// reply). A client that takes nothing of its reply for reply_timeout_ms is
// cut off; the others are served meanwhile. A long command (ping) runs while
// other clients are served: its reply is queued when it ends.
//
// Locking notes: one thread runs poll() over the listening socket and the
// clients and executes commands one at a time through the command_set; it
// is RCU-registered and sleeps offline.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mpnet/core/result.hpp"
#include "mpnet/ctl/commands.hpp"

namespace mpnet::ctl {

inline constexpr size_t request_max = 4096;
inline constexpr size_t clients_max = 16;
inline constexpr int request_timeout_ms = 5000;
inline constexpr size_t reply_max = size_t(512) << 20;  // bytes of one reply (a full table as JSON fits)
inline constexpr int reply_timeout_ms = 10000;          // a client reading nothing this long is cut off

struct server_config {
    int request_timeout_ms = ctl::request_timeout_ms;
    int reply_timeout_ms = ctl::reply_timeout_ms;
    size_t reply_max = ctl::reply_max;
};

class server {
public:
    explicit server(command_set& cs, server_config cfg = {}) : cs_(cs), cfg_(cfg) {}
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    /// Binds `path` with mode 0600. errc::addrinuse when another daemon
    /// answers there; a stale socket file is replaced.
    status open(const std::string& path);
    /// Serves until `stop` becomes true (checked at least every 200 ms).
    void run(const std::atomic<bool>& stop);
    uint64_t requests() const noexcept { return requests_; }
    uint64_t rejected() const noexcept { return rejected_; }
    /// Clients cut off for not reading their replies.
    uint64_t stalled() const noexcept { return stalled_.load(std::memory_order_relaxed); }
    /// Bytes of replies waiting in the clients' output buffers now.
    size_t pending_bytes() const noexcept { return pending_.load(std::memory_order_relaxed); }

private:
    struct client {
        int fd = -1;
        std::string buf;  // request bytes received
        std::chrono::steady_clock::time_point since;
        std::function<std::optional<reply>()> later;  // a long command still running (ping)
        std::string out;                              // the framed reply being written
        size_t out_off = 0;
        std::chrono::steady_clock::time_point out_since;  // last progress writing it
    };
    void accept_one();
    bool service(client& c);  // false: close it
    /// Polls c's running command; queues its reply when it ends.
    bool finish_long(client& c);
    /// Writes what the socket takes of c's reply; false on a socket error.
    bool flush(client& c);
    /// Queues a reply on c (whole, or an error when larger than reply_max).
    void queue_reply(client& c, int status, const std::string& out);
    /// Best effort, for a connection about to be closed.
    void send_reply(int fd, int status, const std::string& out);

    command_set& cs_;
    server_config cfg_;
    int lfd_ = -1;
    std::string path_;
    std::vector<client> clients_;
    uint64_t requests_ = 0, rejected_ = 0;
    // Read by other threads (tests, a status page): relaxed atomics.
    std::atomic<uint64_t> stalled_{0};
    std::atomic<size_t> pending_{0};
};

/// Client side: sends one command line and returns {status, output};
/// errc::io / errc::timedout when the daemon cannot be reached.
result<reply> request(const std::string& path, const std::string& line, int timeout_ms = 120000);

}  // namespace mpnet::ctl
