// SPDX-License-Identifier: BSD-2-Clause
// The stack's ping API between instances, over a bus and over a net_ring
// point-to-point link (a real DPDK PMD on both ends).
#include <gtest/gtest.h>

#include "../support/world.hpp"
#include "mpnet/l2/ether.hpp"
#include "mpnet/l3/icmp.hpp"

namespace mpnet::testing {
namespace {

TEST(t_ping, counts_and_rtt_on_virtual_time) {
    world w;
    auto& bus = w.add_bus("bus");
    auto& a = w.add_host("a", bus, "shmif0", "198.18.0.1");
    auto& b = w.add_host("b", bus, "shmif0", "198.18.0.2");
    ping_opts o;
    o.count = 5;
    o.interval_ms = 100;
    auto id = a.ping_start(ip("198.18.0.2"), o);
    ASSERT_TRUE(id.has_value());
    ASSERT_TRUE(w.run_until([&] { return a.ping_get(*id)->done; }, 2000));
    auto r = *a.ping_get(*id);
    EXPECT_EQ(r.sent, 5);
    EXPECT_EQ(r.received, 5);
    EXPECT_EQ(r.duplicates, 0);
    // The wire has no delay: replies arrive in the tick they were sent in.
    EXPECT_EQ(r.rtt_max_ns, 0u);
    a.ping_release(*id);
    EXPECT_EQ(a.ping_get(*id).error(), errc::noent);
    EXPECT_GE(b.if_get("shmif0")->opackets, 5u);
}

TEST(t_ping, errors) {
    world w;
    auto& a = w.add_stack("a");
    ping_opts bad;
    bad.count = 0;
    EXPECT_EQ(a.ping_start(ip("198.18.0.2"), bad).error(), errc::inval);
    bad.count = 1;
    bad.payload_len = 9000;
    EXPECT_EQ(a.ping_start(ip("198.18.0.2"), bad).error(), errc::inval);
    // No route: the session ends with ENETUNREACH.
    auto id = a.ping_start(ip("198.18.0.2"));
    ASSERT_TRUE(id.has_value());
    w.run_for_ms(5);
    auto r = *a.ping_get(*id);
    EXPECT_TRUE(r.done);
    EXPECT_EQ(r.error, errc::netunreach);
    a.ping_release(*id);
    // The session table is bounded.
    ping_opts lo;
    lo.count = 100;
    std::vector<uint32_t> ids;
    for (size_t i = 0; i < limits::ping_sessions_max; ++i) {
        auto x = a.ping_start(ip("127.0.0.1"), lo);
        ASSERT_TRUE(x.has_value());
        ids.push_back(*x);
    }
    EXPECT_EQ(a.ping_start(ip("127.0.0.1"), lo).error(), errc::nospc);
    for (auto x : ids) a.ping_release(x);
}

TEST(t_ping, over_a_ring_pmd_link) {
    world w;
    auto& a = w.add_stack("a");
    auto& b = w.add_stack("b");
    auto link = drivers::ring_link("p2p", a.pool(), b.pool());
    ASSERT_TRUE(link.has_value());
    auto [pa, pb] = std::move(*link);
    ASSERT_TRUE(a.if_attach("ring0", std::move(pa)));
    ASSERT_TRUE(b.if_attach("ring0", std::move(pb)));
    ASSERT_TRUE(a.addr_add("ring0", ip("198.18.4.1"), 30));
    ASSERT_TRUE(b.addr_add("ring0", ip("198.18.4.2"), 30));
    ASSERT_TRUE(a.if_up("ring0"));
    ASSERT_TRUE(b.if_up("ring0"));
    w.run_for_ms(5);
    EXPECT_TRUE(w.ping(a, ip("198.18.4.2")));
    EXPECT_TRUE(w.ping(b, ip("198.18.4.1")));
    EXPECT_EQ(a.arp_get(ip("198.18.4.2"))[0].mac, b.if_get("ring0")->lladdr);
    EXPECT_NE(a.if_get("ring0")->port.find("net_ring"), std::string::npos);
}

}  // namespace
}  // namespace mpnet::testing

namespace mpnet::testing {
namespace {

TEST(t_ping, each_rx_queue_is_served_by_its_worker) {
    // A stack with two workers on a two-queue net_ring link; the far end is a
    // raw port that sends echo requests on a chosen queue. RX queue q belongs
    // to worker q % 2, and a worker answers on its own TX queue.
    world w;
    stack_config c;
    c.workers = 2;
    c.dad_count = 0;
    auto& b = w.add_stack("b", c);
    auto peer_pool = *pktpool_create("mqpeer", 255);
    auto link = drivers::ring_link("mq", peer_pool, b.pool(), 2);
    ASSERT_TRUE(link.has_value());
    auto peer = std::move(link->first);
    ASSERT_TRUE(b.if_attach("ring0", std::move(link->second)));
    ASSERT_TRUE(b.addr_add("ring0", ip("198.18.4.2"), 30));
    ASSERT_TRUE(b.if_up("ring0"));
    ASSERT_TRUE(b.arp_add(ip("198.18.4.1"), peer->mac()));
    const ether_addr bmac = b.if_get("ring0")->lladdr;
    w.run_for_ms(2);
    mbuf* drain[64];
    while (uint16_t n = peer->rx_burst(0, drain, 64))
        for (uint16_t i = 0; i < n; ++i) pkt_free(drain[i]);
    for (uint16_t q = 0; q < 2; ++q) {
        for (uint16_t seq = 0; seq < 5; ++seq) {
            mbuf* m = icmp_echo_build(peer_pool, ip("198.18.4.1"), ip("198.18.4.2"), 5, seq, 8, 64);
            ASSERT_TRUE(ether_encap(m, bmac, peer->mac(), ethertype_ip4));
            ASSERT_EQ(peer->tx_burst(q, &m, 1), 1);
        }
    }
    w.run_for_ms(2);
    auto lc = b.lcore_list();
    ASSERT_EQ(lc.size(), 3u);
    EXPECT_EQ(lc[0].rx_pkts, 5u);
    EXPECT_EQ(lc[1].rx_pkts, 5u);
    EXPECT_TRUE(lc[2].control);
    for (uint16_t q = 0; q < 2; ++q) {
        mbuf* got[16];
        uint16_t n = peer->rx_burst(q, got, 16);
        EXPECT_EQ(n, 5) << "replies on queue " << q;
        for (uint16_t i = 0; i < n; ++i) pkt_free(got[i]);
    }
    peer.reset();
    pktpool_free(peer_pool);
}

TEST(t_ping, what_the_port_refuses_is_a_counted_drop) {
    // The far end stops polling; a 2000-echo burst fills the 1023-slot ring
    // of the control plane's TX queue, and the rest are counted drops.
    world w;
    auto& a = w.add_stack("a");
    auto& b = w.add_stack("b");
    auto link = drivers::ring_link("full", a.pool(), b.pool(), 2);
    ASSERT_TRUE(link.has_value());
    ASSERT_TRUE(a.if_attach("ring0", std::move(link->first)));
    ASSERT_TRUE(b.if_attach("ring0", std::move(link->second)));
    ASSERT_TRUE(a.addr_add("ring0", ip("198.18.4.1"), 30));
    ASSERT_TRUE(b.addr_add("ring0", ip("198.18.4.2"), 30));
    ASSERT_TRUE(a.if_up("ring0"));
    ASSERT_TRUE(b.if_up("ring0"));
    ASSERT_TRUE(w.ping(a, ip("198.18.4.2")));
    const uint64_t out0 = a.if_get("ring0")->opackets;
    ping_opts o;
    o.count = 2000;
    o.interval_ms = 0;
    auto id = a.ping_start(ip("198.18.4.2"), o);
    ASSERT_TRUE(id.has_value());
    a.run_control();  // only a runs: nobody drains the wire
    EXPECT_EQ(a.if_get("ring0")->opackets - out0, 1023u);
    EXPECT_EQ(a.if_get("ring0")->oqdrops, 977u);
    EXPECT_EQ(a.drops(drop_reason::tx_ring_full), 977u);
    a.ping_release(*id);
}

TEST(t_ping, fresh_stack_answers_on_loopback) {
    // lo0 and its routes exist from construction: nothing else configured.
    world w;
    auto& a = w.add_stack("a");
    EXPECT_TRUE(w.ping(a, ip("127.0.0.1")));
    auto routes = a.route_list();
    ASSERT_EQ(routes.size(), 2u);
    EXPECT_EQ(rtf_letters(routes[0].r.flags), "UC");
    EXPECT_EQ(rtf_letters(routes[1].r.flags), "UHl");
}

}  // namespace
}  // namespace mpnet::testing
