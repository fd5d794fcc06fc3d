// SPDX-License-Identifier: BSD-2-Clause
// Port of NetBSD tests/net/arp/t_dad.sh (IPv4 duplicate address detection).
#include <gtest/gtest.h>

#include "../support/world.hpp"

namespace mpnet::testing {
namespace {

uint8_t addr_flags(stack& s, const char* ifname, ip4_addr a) {
    auto i = s.if_get(ifname);
    for (const auto& x : i->addrs)
        if (x.addr == a) return x.flags;
    ADD_FAILURE() << "no address " << a.str();
    return 0xff;
}

TEST(t_dad, basic) {
    world w;
    auto& bus1 = w.add_bus("bus1");
    auto& s = w.add_host("local", bus1, "shmif0", "198.18.0.1");
    // The address assigned before up is not tentative and gets no probe.
    EXPECT_EQ(addr_flags(s, "shmif0", ip("198.18.0.1")) & in_iff::tentative, 0);
    // An alias added on the running interface starts tentative.
    ASSERT_TRUE(s.addr_add("shmif0", ip("198.18.0.2"), 24));
    EXPECT_TRUE(addr_flags(s, "shmif0", ip("198.18.0.2")) & in_iff::tentative);
    w.run_for_ms(2000);
    auto b = bus1.take_summaries();
    EXPECT_GE(count_matching(b, "Request who-has 198.18.0.2 tell 0.0.0.0"), 1u);
    EXPECT_EQ(count_matching(b, "Request who-has 198.18.0.1 tell 0.0.0.0"), 0u);
    // While tentative it is not usable: no local route yet.
    for (const auto& r : s.route_list()) EXPECT_NE(r.r.dst, prefix4::of(ip("198.18.0.2"), 32));
    // ifconfig -w 10
    ASSERT_TRUE(w.run_until([&] { return !(addr_flags(s, "shmif0", ip("198.18.0.2")) & in_iff::tentative); }, 10000));
    w.run_for_ms(1000);
    b = bus1.take_summaries();
    EXPECT_EQ(count_matching(b, "Request who-has 198.18.0.2 tell 198.18.0.2"), 1u);
    // dad_count probes in all (net.inet.ip.dad_count = 3).
    // Adding another alias on the fly: probe, then announcement, then usable.
    ASSERT_TRUE(s.addr_add("shmif0", ip("198.18.0.3"), 24));
    w.run_for_ms(500);
    EXPECT_EQ(count_matching(bus1.take_summaries(), "Request who-has 198.18.0.3 tell 0.0.0.0"), 1u);
    ASSERT_TRUE(w.run_until([&] { return !(addr_flags(s, "shmif0", ip("198.18.0.3")) & in_iff::tentative); }, 10000));
    w.run_for_ms(100);
    EXPECT_EQ(count_matching(bus1.take_summaries(), "Request who-has 198.18.0.3 tell 198.18.0.3"), 1u);
}

TEST(t_dad, probe_count_follows_dad_count) {
    for (uint32_t n : {1u, 3u, 5u}) {
        stack_config c;
        c.dad_count = n;
        world w;
        auto& bus1 = w.add_bus("bus1");
        auto& s = w.add_stack("local", c);
        w.attach(s, bus1, "shmif0");
        ASSERT_TRUE(s.if_up("shmif0"));
        ASSERT_TRUE(s.addr_add("shmif0", ip("198.18.0.9"), 24));
        w.run_for_ms((n + 2) * 1000);
        EXPECT_EQ(count_matching(bus1.take_summaries(), "Request who-has 198.18.0.9 tell 0.0.0.0"), n) << n;
        EXPECT_EQ(addr_flags(s, "shmif0", ip("198.18.0.9")), 0);
    }
}

TEST(t_dad, duplicated) {
    world w;
    auto& bus1 = w.add_bus("bus1");
    auto& local = w.add_host("local", bus1, "shmif0", "198.18.1.1");
    w.add_host("peer", bus1, "shmif0", "198.18.1.2");
    w.run_for_ms(100);
    EXPECT_EQ(addr_flags(local, "shmif0", ip("198.18.1.1")) & in_iff::duplicated, 0);
    // LOCAL adds PEER's address: PEER defends it, LOCAL marks it duplicated.
    ASSERT_TRUE(local.addr_add("shmif0", ip("198.18.1.2"), 24));
    w.run_for_ms(1000);
    EXPECT_TRUE(addr_flags(local, "shmif0", ip("198.18.1.2")) & in_iff::duplicated);
    EXPECT_FALSE(addr_flags(local, "shmif0", ip("198.18.1.2")) & in_iff::tentative);
    // A unique alias is not duplicated.
    ASSERT_TRUE(local.addr_add("shmif0", ip("198.18.1.11"), 24));
    w.run_for_ms(5000);
    EXPECT_EQ(addr_flags(local, "shmif0", ip("198.18.1.11")), 0);
    // A duplicated address is never used: no local route, PEER still answers for it.
    for (const auto& r : local.route_list()) EXPECT_NE(r.r.dst, prefix4::of(ip("198.18.1.2"), 32));
    ASSERT_TRUE(w.ping(local, ip("198.18.1.2")));
    bool saw = false;
    for (const auto& e : local.take_events())
        saw |= e.kind == stack_event::addr_duplicated && e.addr == ip("198.18.1.2");
    EXPECT_TRUE(saw);
    EXPECT_GE(local.drops(drop_reason::arp_dup_addr), 1u);
}

TEST(t_dad, concurrent_probes_leave_one_owner) {
    // Two hosts probe for the same address; the one that sees the other's
    // probe while tentative backs off (RFC 5227 2.1.1): exactly one owns it.
    world w;
    auto& bus1 = w.add_bus("bus1");
    auto& a = w.add_stack("a");
    auto& b = w.add_stack("b");
    w.attach(a, bus1, "shmif0");
    w.attach(b, bus1, "shmif0");
    ASSERT_TRUE(a.if_up("shmif0"));
    ASSERT_TRUE(b.if_up("shmif0"));
    w.run_for_ms(10);
    ASSERT_TRUE(a.addr_add("shmif0", ip("198.18.1.50"), 24));
    ASSERT_TRUE(b.addr_add("shmif0", ip("198.18.1.50"), 24));
    w.run_for_ms(5000);
    const uint8_t fa = addr_flags(a, "shmif0", ip("198.18.1.50"));
    const uint8_t fb = addr_flags(b, "shmif0", ip("198.18.1.50"));
    EXPECT_TRUE((fa == 0 && fb == in_iff::duplicated) || (fb == 0 && fa == in_iff::duplicated))
        << int(fa) << " " << int(fb);
}

}  // namespace
}  // namespace mpnet::testing
