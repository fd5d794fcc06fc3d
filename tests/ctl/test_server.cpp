// SPDX-License-Identifier: BSD-2-Clause
// The control socket: replies larger than the socket buffer arrive whole, a
// client that never reads its reply is cut off after the reply timeout while
// the others are served, and the memory it held is given back.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <nlohmann/json.hpp>
#include <thread>

#include "../support/world.hpp"
#include "mpnet/ctl/server.hpp"

namespace mpnet::testing {
namespace {

struct served {
    world w;
    drivers::bus& bus = w.add_bus("bus");
    stack& s = w.add_host("s", bus, "shmif0", "198.18.0.1");
    ctl::command_set cs{s};
    ctl::server srv;
    std::string path = "/tmp/mpnet-test-server." + std::to_string(::getpid()) + ".sock";
    std::atomic<bool> stop{false};
    std::thread th;

    explicit served(ctl::server_config c) : srv(cs, c) {
        // 3,000 routes: `netstat -rn --json` is far larger than a socket buffer.
        for (unsigned i = 0; i < 3000; ++i) {
            route_spec r;
            r.dst = prefix4::of(ip4_addr(ip("198.19.0.0").v + (i << 4)), 28);
            r.gateway = ip("198.18.0.2");
            EXPECT_TRUE(s.route_add(r));
        }
        EXPECT_TRUE(srv.open(path));
        th = std::thread([this] {
            rcu_thread reg;
            srv.run(stop);
        });
    }
    ~served() {
        stop.store(true, std::memory_order_release);
        th.join();
    }
    ctl::reply ask(const std::string& line) {
        rcu_offline off;  // the test thread waits on the socket
        auto r = ctl::request(path, line, 60000);
        EXPECT_TRUE(r.has_value()) << line;
        return r ? *r : ctl::reply{-1, {}};
    }
};

std::vector<std::string> split_lines(const std::string& t) {
    std::vector<std::string> v;
    size_t at = 0;
    while (at < t.size()) {
        const size_t nl = t.find('\n', at);
        v.push_back(t.substr(at, nl == std::string::npos ? std::string::npos : nl - at));
        if (nl == std::string::npos) break;
        at = nl + 1;
    }
    return v;
}

// A raw client: connects and sends one framed request, then reads only when told.
int raw_request(const std::string& path, const std::string& line) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    const uint32_t n = htonl(static_cast<uint32_t>(line.size()));
    EXPECT_EQ(::send(fd, &n, 4, MSG_NOSIGNAL), 4);
    EXPECT_EQ(::send(fd, line.data(), line.size(), MSG_NOSIGNAL), ssize_t(line.size()));
    return fd;
}

TEST(ctl_server, large_replies_arrive_whole) {
    served t({});
    auto r = t.ask("netstat -rn --json");
    ASSERT_EQ(r.status, 0) << r.text.substr(0, 200);
    auto j = nlohmann::json::parse(r.text);
    size_t routes = 0;
    for (const auto& e : j) routes += e.contains("destination") ? 1 : 0;
    EXPECT_GE(routes, 3000u);
    EXPECT_GT(r.text.size(), size_t(256) << 10);
    auto text = t.ask("netstat -rn");
    EXPECT_EQ(text.status, 0);
    EXPECT_GE(count_matching(split_lines(text.text), "198.19."), 3000u);
}

TEST(ctl_server, a_client_that_never_reads_is_cut_off_and_others_are_served) {
    ctl::server_config c;
    c.reply_timeout_ms = 1500;
    served t(c);
    const int slow = raw_request(t.path, "netstat -rn --json");
    // Meanwhile every other client is answered.
    for (int i = 0; i < 5; ++i) {
        auto r = t.ask("show errors");
        EXPECT_EQ(r.status, 0);
    }
    EXPECT_EQ(t.srv.stalled(), 0u);
    // The slow one took nothing: after the timeout it is closed, and the
    // memory of its reply is given back.
    bool closed = false;
    for (int i = 0; i < 100 && !closed; ++i) {
        sleep_offline_ms(100);
        closed = t.srv.stalled() == 1;
    }
    EXPECT_TRUE(closed);
    EXPECT_EQ(t.srv.pending_bytes(), 0u);
    // Reading now ends in end-of-file after at most what the socket buffered.
    char buf[65536];
    size_t got = 0;
    ssize_t r;
    while ((r = ::recv(slow, buf, sizeof buf, 0)) > 0) got += size_t(r);
    EXPECT_EQ(r, 0);
    EXPECT_LT(got, size_t(4) << 20);
    ::close(slow);
    EXPECT_EQ(t.ask("show errors").status, 0);
}

// Reads one reply frame from a raw client (blocking, bounded).
std::optional<nlohmann::json> read_reply(int fd, int timeout_ms) {
    std::string in;
    char buf[4096];
    while (true) {
        if (in.size() >= 4) {
            uint32_t n;
            std::memcpy(&n, in.data(), 4);
            n = ntohl(n);
            if (in.size() >= 4 + size_t(n)) return nlohmann::json::parse(in.substr(4, n));
        }
        pollfd p{fd, POLLIN, 0};
        int r;
        {
            rcu_offline off;
            r = ::poll(&p, 1, timeout_ms);
        }
        if (r <= 0) return std::nullopt;
        const ssize_t k = ::recv(fd, buf, sizeof buf, 0);
        if (k <= 0) return std::nullopt;
        in.append(buf, size_t(k));
    }
}

// A long ping runs while other clients are served; its reply comes when it ends.
TEST(ctl_server, a_long_command_does_not_hold_up_other_clients) {
    served t({});
    const int pinger = raw_request(t.path, "ping -c 5 -i 1 198.18.0.99");
    for (int i = 0; i < 3; ++i) EXPECT_EQ(t.ask("show errors").status, 0);
    // Served before the ping (five seconds at least) could have ended.
    pollfd p{pinger, POLLIN, 0};
    EXPECT_EQ(::poll(&p, 1, 0), 0);
    auto j = read_reply(pinger, 30000);
    ASSERT_TRUE(j.has_value());
    EXPECT_EQ((*j)["status"], 2);  // nothing came back: ping(8)'s status 2
    EXPECT_NE((*j)["output"].get<std::string>().find("packets transmitted"), std::string::npos) << *j;
    ::close(pinger);
    // A client that goes away mid-ping cancels it: its session (the
    // stack's second) is released.
    const int gone = raw_request(t.path, "ping -c 100 -i 1 198.18.0.99");
    bool started = false;
    for (int i = 0; i < 100 && !started; ++i) {
        started = t.s.ping_get(2).has_value();
        if (!started) sleep_offline_ms(20);
    }
    ASSERT_TRUE(started);
    ::close(gone);
    bool released = false;
    for (int i = 0; i < 100 && !released; ++i) {
        released = !t.s.ping_get(2).has_value();
        if (!released) sleep_offline_ms(20);
    }
    EXPECT_TRUE(released);
}

TEST(ctl_server, a_reply_over_the_limit_is_an_error_not_a_lost_connection) {
    ctl::server_config c;
    c.reply_max = 64 << 10;
    served t(c);
    auto r = t.ask("netstat -rn --json");
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.text.find("exceeds the limit of 65536 bytes"), std::string::npos) << r.text;
    EXPECT_EQ(t.ask("show errors").status, 0);
}

}  // namespace
}  // namespace mpnet::testing
