// SPDX-License-Identifier: BSD-2-Clause
// mpnet-demo: the in-process demo (the README's first command falls back to
// it where network namespaces are refused). Three stack instances in one
// process, each with its own worker and control threads (adaptive polling),
// wired by a net_ring point-to-point link and a shared bus; they resolve each other with ARP, detect a
// duplicate address, ping, and print their tables BSD-style.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "mpnet/drivers/eal.hpp"
#include "mpnet/drivers/softlink.hpp"
#include "mpnet/stack/show.hpp"
#include "mpnet/stack/stack.hpp"

using namespace mpnet;

namespace {

void sleep_ms(unsigned ms) {
    rcu_offline off;
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

template <typename T>
T must(result<T> r, const char* what) {
    if (!r) {
        fmt::print(stderr, "mpnet-demo: {}: {}\n", what, errc_message(r.error()));
        std::exit(1);
    }
    return std::move(*r);
}

void must(status s, const char* what) {
    if (!s) {
        fmt::print(stderr, "mpnet-demo: {}: {}\n", what, errc_message(s.error()));
        std::exit(1);
    }
}

bool ping(stack& from, const char* from_name, ip4_addr dst, uint16_t count) {
    ping_opts o;
    o.count = count;
    o.interval_ms = 100;
    o.timeout_ms = 1000;
    uint32_t id = must(from.ping_start(dst, o), "ping");
    ping_result r;
    for (int i = 0; i < 100; ++i) {
        r = *from.ping_get(id);
        if (r.done) break;
        sleep_ms(50);
    }
    from.ping_release(id);
    fmt::print("{} $ ping -c {} {}\n", from_name, count, dst.str());
    if (r.error != errc::ok) {
        fmt::print("  ping: {}\n", errc_message(r.error));
        return false;
    }
    double avg = r.received ? double(r.rtt_sum_ns) / r.received / 1000.0 : 0.0;
    fmt::print("  {} packets transmitted, {} packets received, {:.1f}% packet loss\n", r.sent, r.received,
               r.sent ? 100.0 * (r.sent - r.received) / r.sent : 0.0);
    if (r.received)
        fmt::print("  round-trip min/avg/max = {:.1f}/{:.1f}/{:.1f} us\n", r.rtt_min_ns / 1000.0, avg,
                   r.rtt_max_ns / 1000.0);
    return r.received == r.sent;
}

void show(stack& s, const char* name) {
    fmt::print("\n===== {} =====\n", name);
    for (const auto& i : s.if_list()) fmt::print("{}", format_ifconfig(i));
    fmt::print("\n{} $ arp -an\n", name);
    for (const auto& n : s.arp_list()) fmt::print("{}\n", format_arp(n));
    fmt::print("\n{} $ netstat -rn -f inet\n{}", name, format_routes(s.route_list()));
    fmt::print("\n{} $ show errors\n{}", name, format_drops(s));
}

}  // namespace

int main() {
    drivers::eal_options eo;
    eo.program = "mpnet-demo";
    if (!drivers::eal_init(eo)) return 1;
    bool ok = true;
    {
        rcu_thread reg;
        stack_config cfg;
        cfg.dad_count = 2;
        cfg.name = "alpha";
        stack alpha(cfg);
        cfg.name = "bravo";
        stack bravo(cfg);
        cfg.name = "charlie";
        stack charlie(cfg);
        drivers::bus seg("seg0");

        fmt::print("mpnet demo: three stack instances in one process\n");
        fmt::print("  alpha ring0 <-- net_ring PMD link --> ring0 bravo\n");
        fmt::print("  alpha seg0, bravo seg0, charlie seg0 on a shared bus (NetBSD's shmif)\n\n");
        auto link = must(drivers::ring_link("demo", alpha.pool(), bravo.pool()), "ring link");
        must(alpha.if_attach("ring0", std::move(link.first)), "attach alpha ring0");
        must(bravo.if_attach("ring0", std::move(link.second)), "attach bravo ring0");
        must(alpha.if_attach("seg0", must(seg.attach(), "bus")), "attach alpha seg0");
        must(bravo.if_attach("seg0", must(seg.attach(), "bus")), "attach bravo seg0");
        must(charlie.if_attach("seg0", must(seg.attach(), "bus")), "attach charlie seg0");

        must(alpha.addr_add("ring0", *ip4_addr::parse("198.18.0.1"), 24), "alpha ring0 address");
        must(bravo.addr_add("ring0", *ip4_addr::parse("198.18.0.2"), 24), "bravo ring0 address");
        must(alpha.addr_add("seg0", *ip4_addr::parse("198.18.1.1"), 24), "alpha seg0 address");
        must(bravo.addr_add("seg0", *ip4_addr::parse("198.18.1.2"), 24), "bravo seg0 address");
        for (stack* s : {&alpha, &bravo}) {
            must(s->if_up("ring0"), "up");
            must(s->if_up("seg0"), "up");
            must(s->start(), "start");
        }
        must(charlie.if_up("seg0"), "up");
        must(charlie.start(), "start");
        sleep_ms(100);

        ok &= ping(alpha, "alpha", *ip4_addr::parse("198.18.0.2"), 5);
        ok &= ping(bravo, "bravo", *ip4_addr::parse("198.18.1.1"), 3);
        ok &= ping(alpha, "alpha", *ip4_addr::parse("198.18.0.1"), 1);

        fmt::print("\ncharlie $ ifconfig seg0 inet 198.18.1.2/24   (bravo's address: DAD must catch it)\n");
        must(charlie.addr_add("seg0", *ip4_addr::parse("198.18.1.2"), 24), "charlie address");
        fmt::print("charlie $ ifconfig seg0 inet 198.18.1.3/24 alias\n");
        must(charlie.addr_add("seg0", *ip4_addr::parse("198.18.1.3"), 24), "charlie alias");
        sleep_ms(3500);  // dad_count (2) probes one second apart, then the verdict
        auto ci = *charlie.if_get("seg0");
        for (const auto& a : ci.addrs)
            fmt::print("  {} {}\n", a.addr.str(),
                       (a.flags & in_iff::duplicated)  ? "duplicated"
                       : (a.flags & in_iff::tentative) ? "tentative"
                                                       : "ok");
        ok &= ping(charlie, "charlie", *ip4_addr::parse("198.18.1.2"), 2);

        alpha.stop();
        bravo.stop();
        charlie.stop();
        show(alpha, "alpha");
        show(bravo, "bravo");
        show(charlie, "charlie");
        fmt::print("\nbus seg0: last frames (tcpdump -e -n style)\n");
        auto frames = seg.take_summaries();
        size_t from = frames.size() > 12 ? frames.size() - 12 : 0;
        for (size_t k = from; k < frames.size(); ++k) fmt::print("  {}\n", frames[k]);
    }
    rcu_barrier();
    drivers::eal_cleanup();
    fmt::print("\nmpnet demo: {}\n", ok ? "all pings answered, duplicate detected" : "FAILED");
    return ok ? 0 : 1;
}
