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
// Locking notes: one thread runs poll() over the listening socket and the
// clients and executes commands one at a time through the command_set; it
// is RCU-registered and sleeps offline.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "mpnet/core/result.hpp"
#include "mpnet/ctl/commands.hpp"

namespace mpnet::ctl {

inline constexpr size_t request_max = 4096;
inline constexpr size_t clients_max = 16;
inline constexpr int request_timeout_ms = 5000;

class server {
public:
    explicit server(command_set& cs) : cs_(cs) {}
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

private:
    struct client {
        int fd = -1;
        std::string buf;
        std::chrono::steady_clock::time_point since;
    };
    void accept_one();
    bool service(client& c);  // false: close it
    void send_reply(int fd, int status, const std::string& out);

    command_set& cs_;
    int lfd_ = -1;
    std::string path_;
    std::vector<client> clients_;
    uint64_t requests_ = 0, rejected_ = 0;
};

/// Client side: sends one command line and returns {status, output};
/// errc::io / errc::timedout when the daemon cannot be reached.
result<reply> request(const std::string& path, const std::string& line, int timeout_ms = 120000);

}  // namespace mpnet::ctl
