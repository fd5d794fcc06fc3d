// SPDX-License-Identifier: BSD-2-Clause
// Scenario-test world: stack instances on virtual time, wired by buses (NetBSD's
// shmif) or ring links, stepped deterministically from the test thread.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "mpnet/ctl/commands.hpp"
#include "mpnet/drivers/ethdev_port.hpp"
#include "mpnet/drivers/softlink.hpp"
#include "mpnet/stack/stack.hpp"
#include "mpnet/sync/rcu.hpp"

namespace mpnet::testing {

inline ip4_addr ip(const char* s) { return *ip4_addr::parse(s); }
inline ether_addr mac(const char* s) { return *ether_addr::parse(s); }
inline ip6_addr ip6(const char* s) { return *ip6_addr::parse(s); }

class world {
public:
    static constexpr uint64_t tick_ns = ns_per_ms;

    world() = default;
    ~world() {
        // Stacks (and the bus ports they own) go before the buses.
        stacks_.clear();
        buses_.clear();
    }

    stack& add_stack(std::string name, stack_config cfg = {}) {
        cfg.name = std::move(name);
        stacks_.push_back(std::make_unique<stack>(cfg, &clk_));
        return *stacks_.back();
    }
    drivers::bus& add_bus(std::string name) {
        buses_.push_back(std::make_unique<drivers::bus>(std::move(name)));
        return *buses_.back();
    }
    /// Attaches a new interface `ifname` of `s` to bus `b`; returns its port.
    drivers::bus_port& attach(stack& s, drivers::bus& b, const char* ifname) {
        auto p = b.attach();
        EXPECT_TRUE(p.has_value());
        drivers::bus_port* raw = p->get();
        auto r = s.if_attach(ifname, std::move(*p));
        EXPECT_TRUE(r.has_value()) << ifname;
        return *raw;
    }

    /// A host on bus `b`: a stack with `ifname` attached, `addr`/`plen` on it,
    /// and the interface up (the NetBSD tests' setup_*_server).
    stack& add_host(std::string name, drivers::bus& b, const char* ifname, const char* addr, unsigned plen = 24,
                    stack_config cfg = {}) {
        stack& s = add_stack(std::move(name), std::move(cfg));
        attach(s, b, ifname);
        EXPECT_TRUE(s.addr_add(ifname, *ip4_addr::parse(addr), plen));
        EXPECT_TRUE(s.if_up(ifname));
        return s;
    }

    /// One round: every stack steps twice (the second pass lets packets sent
    /// in the first reach their receivers: a wire with no delay). True when
    /// some stack did something.
    bool round() {
        bool busy = false;
        for (auto& s : stacks_) busy |= s->step();
        for (auto& s : stacks_) busy |= s->step();
        ++rounds_;
        return busy;
    }
    /// One round; then virtual time moves one tick.
    void tick() {
        round();
        clk_.advance(tick_ns);
    }
    /// Runs `ms` of virtual time the fast way: one-tick rounds while packets
    /// move, and while nothing moves the clock jumps to the next timer
    /// deadline of any stack. Timers fire at their deadlines, as with tick();
    /// 20 minutes of aging cost a few thousand rounds, not 1.2 million.
    void run_virtual_ms(uint64_t ms) {
        const uint64_t end = clk_.now_ns() + ms * ns_per_ms;
        while (clk_.now_ns() < end) {
            const uint64_t now = clk_.now_ns();
            if (round()) {
                clk_.advance(std::min(tick_ns, end - now));
                continue;
            }
            uint64_t next = UINT64_MAX;
            for (auto& s : stacks_) next = std::min(next, s->next_deadline_ns());
            clk_.advance(std::min(std::max(next, now + 1), end) - now);
        }
        round();  // what is due at `end` runs, as tick() would have
    }
    /// Rounds run so far (a measure of work that does not depend on the machine).
    uint64_t rounds() const { return rounds_; }
    void run_for_ms(uint64_t ms) {
        for (uint64_t i = 0; i < ms; ++i) tick();
    }
    /// Ticks until pred() holds or `max_ms` of virtual time passed.
    bool run_until(const std::function<bool()>& pred, uint64_t max_ms) {
        for (uint64_t i = 0; i < max_ms; ++i) {
            if (pred()) return true;
            tick();
        }
        return pred();
    }
    /// route add DST GATEWAY on `s` (a test's topology set-up).
    static void route(stack& s, const char* dst, const char* gateway) {
        route_spec r;
        r.dst = *prefix4::parse(dst);
        r.gateway = ip(gateway);
        EXPECT_TRUE(s.route_add(r)) << dst << " via " << gateway;
    }
    /// ping -c 1 -w timeout: true if the echo came back.
    bool ping(stack& from, ip4_addr dst, uint32_t timeout_ms = 1000, std::optional<ip4_addr> src = {}) {
        ping_opts o;
        o.count = 1;
        o.timeout_ms = timeout_ms;
        o.src = src;
        auto id = from.ping_start(dst, o);
        EXPECT_TRUE(id.has_value());
        if (!id) return false;
        run_until([&] { return from.ping_get(*id)->done; }, timeout_ms + 10);
        auto r = from.ping_get(*id);
        from.ping_release(*id);
        return r && r->received == 1;
    }
    /// ping6 -c 1 [-S src] [-h hlim] dst[%zone]; the whole result.
    ping_result ping6_full(stack& from, const ip6_addr& dst, const char* zone = "", uint32_t timeout_ms = 1000,
                           std::optional<ip6_addr> src = {}, const char* src_zone = "", uint8_t hlim = 64) {
        ping_opts o;
        o.count = 1;
        o.timeout_ms = timeout_ms;
        o.src6 = src;
        o.src6_zone = src_zone;
        o.ttl = hlim;
        auto id = from.ping6_start(dst, zone, o);
        EXPECT_TRUE(id.has_value());
        if (!id) return {};
        run_until([&] { return from.ping_get(*id)->done; }, timeout_ms + 10);
        auto r = from.ping_get(*id);
        from.ping_release(*id);
        return r ? *r : ping_result{};
    }
    bool ping6(stack& from, const ip6_addr& dst, const char* zone = "", uint32_t timeout_ms = 1000,
               std::optional<ip6_addr> src = {}, const char* src_zone = "") {
        return ping6_full(from, dst, zone, timeout_ms, src, src_zone).received == 1;
    }
    /// An IPv6 host: `ifname` on bus `b` with `addr`/`plen`, up, DAD off
    /// (net.inet6.ip6.dad_count=0, as most NetBSD multi-node tests set it).
    stack& add_host6(std::string name, drivers::bus& b, const char* ifname, const char* addr, unsigned plen = 64,
                     stack_config cfg = {}) {
        cfg.dad6_count = 0;
        stack& s = add_stack(std::move(name), std::move(cfg));
        attach(s, b, ifname);
        EXPECT_TRUE(s.addr6_add(ifname, *ip6_addr::parse(addr), plen));
        EXPECT_TRUE(s.if_up(ifname));
        return s;
    }
    manual_clock& clock() { return clk_; }

private:
    manual_clock clk_;
    uint64_t rounds_ = 0;
    std::vector<std::unique_ptr<drivers::bus>> buses_;
    std::vector<std::unique_ptr<stack>> stacks_;
};

/// An interface's IPv6 addresses (a copy: safe in a range-for).
inline std::vector<ifaddr6_info> addrs6(const stack& s, const char* ifname) {
    auto i = s.if_get(ifname);
    return i ? i->addrs6 : std::vector<ifaddr6_info>{};
}

/// Thread-mode set-up: a new port of `b` attached to `s` as `ifname`, with
/// `addr`/24, up (the stepped world's add_host, for stacks that run threads).
inline void attach_up(drivers::bus& b, stack& s, const char* ifname, const char* addr) {
    auto p = b.attach();
    ASSERT_TRUE(p.has_value());
    ASSERT_TRUE(s.if_attach(ifname, std::move(*p)));
    ASSERT_TRUE(s.addr_add(ifname, ip(addr), 24));
    ASSERT_TRUE(s.if_up(ifname));
}

/// Thread mode: the test thread sleeps RCU-offline (workers run meanwhile).
inline void sleep_offline_ms(unsigned ms) {
    rcu_offline off;
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

/// A sink thread's loop: reads queues 0..queues-1 of every port in `ports`
/// and hands each packet to `fn(side, m)` (which frees it), until `stop`
/// is set and a round finds nothing; naps 50 us when a round finds nothing.
template <typename F>
void sink_loop(const std::vector<drivers::ethdev_port*>& ports, uint16_t queues, const std::atomic<bool>& stop, F&& fn) {
    mbuf* pk[32];
    for (;;) {
        uint32_t got = 0;
        for (size_t side = 0; side < ports.size(); ++side)
            for (uint16_t q = 0; q < queues; ++q) {
                const uint16_t k = ports[side]->rx_burst(q, pk, 32);
                got += k;
                for (uint16_t j = 0; j < k; ++j) fn(static_cast<unsigned>(side), pk[j]);
            }
        if (got == 0) {
            if (stop.load()) break;
            std::this_thread::sleep_for(std::chrono::microseconds(50));
        }
    }
}

/// A ping flood: `count` requests back to back, `timeout_ms` for the last answer.
inline ping_opts flood(uint16_t count, uint32_t timeout_ms) {
    ping_opts o;
    o.count = count;
    o.interval_ms = 0;
    o.timeout_ms = timeout_ms;
    return o;
}

/// What a shell command writes to its standard output.
inline std::string shell_output(const std::string& cmd) {
    std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
    std::string out;
    char buf[512];
    while (p && fgets(buf, sizeof buf, p.get())) out += buf;
    return out;
}

/// How many times `what` occurs in `text` (lines of a dissector's output).
inline size_t count_of(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t pos = 0; (pos = text.find(what, pos)) != std::string::npos; pos += what.size()) ++n;
    return n;
}

/// Bytes from hex digits (a frame scapy printed).
inline std::vector<uint8_t> unhex(const std::string& h) {
    std::vector<uint8_t> v;
    for (size_t i = 0; i + 1 < h.size(); i += 2)
        v.push_back(static_cast<uint8_t>(std::stoi(h.substr(i, 2), nullptr, 16)));
    return v;
}

/// A stack configuration without DAD (net.inet.ip.dad_count=0 and
/// net.inet6.ip6.dad_count=0), as most NetBSD multi-node tests set it.
inline stack_config no_dad() {
    stack_config c;
    c.dad_count = 0;
    c.dad6_count = 0;
    return c;
}

/// A forwarding stack with two worker threads (thread mode, started by the
/// test), no DAD, a pool for a generator's floods, and workers that nap
/// soon when idle (the torture tests' router).
inline stack_config threaded_router(const char* name) {
    stack_config c = no_dad();
    c.name = name;
    c.workers = 2;
    c.forwarding = true;
    c.mbufs = 8191;
    c.idle_polls_before_sleep = 64;
    return c;
}

/// Runs a command line on `s` (the daemon's language); the test fails,
/// with the command and its answer, when it is refused.
inline void must(stack& s, const std::string& line) {
    ctl::command_set c{s};
    const ctl::reply r = c.execute(line);
    EXPECT_EQ(r.status, 0) << line << ": " << r.text;
}

/// `show errors`: the count of the drop reason named `name` (built-in or a
/// module's), or ~0 when there is no such reason.
inline uint64_t drop_count(const stack& s, const std::string& name) {
    for (const auto& [n, v] : s.drop_list())
        if (n == name) return v;
    return ~0ull;
}

/// Lines of `lines` that contain `needle`.
inline size_t count_matching(const std::vector<std::string>& lines, const std::string& needle) {
    size_t n = 0;
    for (const auto& l : lines)
        if (l.find(needle) != std::string::npos) ++n;
    return n;
}

}  // namespace mpnet::testing
