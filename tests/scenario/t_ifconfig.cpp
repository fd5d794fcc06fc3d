// SPDX-License-Identifier: BSD-2-Clause
// Port of NetBSD tests/net/if/t_ifconfig.sh ifconfig_create_destroy, plus
// destroying interfaces under traffic, in stepped and in thread mode.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "../support/world.hpp"

namespace mpnet::testing {
namespace {

TEST(t_ifconfig, create_destroy) {
    world w;
    auto& bus = w.add_bus("shmbus");
    auto& s = w.add_stack("s");
    // create/destroy
    w.attach(s, bus, "shmif0");
    ASSERT_TRUE(s.if_destroy("shmif0"));
    EXPECT_EQ(s.if_get("shmif0").error(), errc::noent);
    // create/up/down/destroy
    w.attach(s, bus, "shmif0");
    ASSERT_TRUE(s.if_up("shmif0"));
    ASSERT_TRUE(s.if_down("shmif0"));
    ASSERT_TRUE(s.if_destroy("shmif0"));
    // create/up/destroy: destroy while UP
    w.attach(s, bus, "shmif0");
    ASSERT_TRUE(s.if_up("shmif0"));
    w.run_for_ms(5);
    ASSERT_TRUE(s.if_destroy("shmif0"));
    // create + address + up + destroy: routes go with it
    w.attach(s, bus, "shmif0");
    ASSERT_TRUE(s.addr_add("shmif0", ip("198.18.0.1"), 24));
    ASSERT_TRUE(s.if_up("shmif0"));
    w.run_for_ms(5);
    EXPECT_EQ(s.route_list().size(), 4u);  // lo0's two + shmif0's two
    ASSERT_TRUE(s.if_destroy("shmif0"));
    EXPECT_EQ(s.route_list().size(), 2u);
    // Errors change nothing.
    EXPECT_EQ(s.if_destroy("shmif0").error(), errc::noent);
    EXPECT_EQ(s.if_destroy("lo0").error(), errc::perm);
    w.attach(s, bus, "shmif0");
    auto dup = bus.attach();
    ASSERT_TRUE(dup.has_value());
    EXPECT_EQ(s.if_attach("shmif0", std::move(*dup)).error(), errc::exist);
    auto bad = bus.attach();
    EXPECT_EQ(s.if_attach("0bad name", std::move(*bad)).error(), errc::inval);
    EXPECT_EQ(s.if_list().size(), 2u);
}

TEST(t_ifconfig, parameters) {
    world w;
    auto& bus = w.add_bus("shmbus");
    auto& r1 = w.add_host("r1", bus, "shmif0", "198.18.0.1");
    auto& r2 = w.add_host("r2", bus, "shmif0", "198.18.0.2");
    w.run_for_ms(10);
    // down: ping fails; up: ping works.
    ASSERT_TRUE(r1.if_down("shmif0"));
    EXPECT_FALSE(w.ping(r1, ip("198.18.0.2")));
    ASSERT_TRUE(r1.if_up("shmif0"));
    EXPECT_TRUE(w.ping(r1, ip("198.18.0.2")));
    // -arp: ARP is neither sent nor answered, and no entry is created; the
    // IPv6 neighbor cache is not ARP's and keeps its entries.
    ASSERT_TRUE(r1.arp_del(ip("198.18.0.2")));
    ASSERT_TRUE(r1.ndp_add(ip6("2001:db8::2"), mac("b2:a0:20:00:00:02"), 0, "shmif0"));
    ASSERT_TRUE(r1.if_set_arp("shmif0", false));
    EXPECT_EQ(r1.ndp_get(ip6("2001:db8::2"), "shmif0").size(), 1u);
    EXPECT_FALSE(w.ping(r2, ip("198.18.0.1")));
    EXPECT_GE(r1.drops(drop_reason::arp_disabled), 1u);
    EXPECT_TRUE(r1.arp_get(ip("198.18.0.2")).empty());
    ASSERT_TRUE(r1.if_set_arp("shmif0", true));
    EXPECT_TRUE(w.ping(r2, ip("198.18.0.1")));
    // MTU limits.
    EXPECT_EQ(r1.if_set_mtu("shmif0", 20).error(), errc::inval);
    EXPECT_EQ(r1.if_set_mtu("shmif0", 100000).error(), errc::inval);
    ASSERT_TRUE(r1.if_set_mtu("shmif0", 1400));
    EXPECT_EQ(r1.if_get("shmif0")->mtu, 1400u);
    // Statistics: -z shows and clears.
    auto z = r1.if_get_and_clear("shmif0");
    EXPECT_GT(z->ipackets, 0u);
    EXPECT_EQ(r1.if_get("shmif0")->ipackets, 0u);
    EXPECT_EQ(iff_words(r1.if_get("shmif0")->flags), "<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST>");
}

// Destroying interfaces in the middle of a flood, stepping deterministically:
// packets in bus rings, TX buffers and the hand-over ring for the destroyed
// interface end as counted drops; no buffer is lost.
TEST(t_ifconfig, destroy_under_traffic_stepped) {
    world w;
    auto& bus = w.add_bus("bus");
    auto& a = w.add_host("a", bus, "shmif0", "198.18.0.1");
    auto& b = w.add_host("b", bus, "shmif0", "198.18.0.2");
    w.run_for_ms(10);
    for (int round = 0; round < 20; ++round) {
        ping_opts o;
        o.count = 200;
        o.interval_ms = 0;
        o.timeout_ms = 10;
        auto id = a.ping_start(ip("198.18.0.2"), o);
        ASSERT_TRUE(id.has_value());
        a.step();
        b.poll_worker(0);  // b's worker has punted/replied; its control has not run
        ASSERT_TRUE(b.if_destroy("shmif0"));
        w.run_for_ms(20);
        a.ping_release(*id);
        w.attach(b, bus, "shmif0");
        ASSERT_TRUE(b.addr_add("shmif0", ip("198.18.0.2"), 24));
        ASSERT_TRUE(b.if_up("shmif0"));
        w.run_for_ms(5);
    }
    // Long enough for any INCOMPLETE entry to give up and free its hold queue.
    w.run_for_ms(5000);
    EXPECT_EQ(pktpool_avail(a.pool()), a.config().mbufs);
    EXPECT_EQ(pktpool_avail(b.pool()), b.config().mbufs);
}

// The same in thread mode: two stacks with their own worker and control
// threads (adaptive polling, real clock) while the test thread destroys and
// recreates interfaces. Run under ASan, this is the use-after-free check.
TEST(t_ifconfig, destroy_under_traffic_threads) {
    drivers::bus bus("bus");
    stack_config c;
    c.dad_count = 0;
    c.idle_polls_before_sleep = 16;
    auto a = std::make_unique<stack>(c);
    auto b = std::make_unique<stack>(c);
    auto attach = [&](stack& s, const char* addr) { attach_up(bus, s, "shmif0", addr); };
    attach(*a, "198.18.0.1");
    attach(*b, "198.18.0.2");
    ASSERT_TRUE(a->start());
    ASSERT_TRUE(b->start());
    EXPECT_EQ(a->start().error(), errc::busy);
    const ping_opts o = flood(5000, 100);
    uint16_t received = 0;
    for (int round = 0; round < 5; ++round) {
        auto id = a->ping_start(ip("198.18.0.2"), o);
        ASSERT_TRUE(id.has_value());
        sleep_offline_ms(50);
        ASSERT_TRUE(b->if_destroy("shmif0"));
        attach(*b, "198.18.0.2");
        sleep_offline_ms(50);
        received = static_cast<uint16_t>(received + a->ping_get(*id)->received);
        a->ping_release(*id);
        ASSERT_TRUE(a->if_destroy("shmif0"));
        attach(*a, "198.18.0.1");
    }
    a->stop();
    b->stop();
    EXPECT_FALSE(a->is_running());
    // Traffic did flow between the destructions.
    EXPECT_GT(received, 0u);
    a.reset();
    b.reset();
}

}  // namespace
}  // namespace mpnet::testing
