// SPDX-License-Identifier: BSD-2-Clause
// Forwarding torture: a router stack with two worker threads forwards a
// generator's traffic while the test thread adds, changes and deletes routes
// and neighbor entries continuously. Every packet that comes out must leave
// by a route that existed for its destination at some time while it was in
// flight: each prefix only ever uses one of its own two gateways, whose MAC
// encodes the prefix, so a stale or reused nexthop shows up as a packet at
// the wrong place. One packet in eight goes to a gateway itself, an on-link
// host: its entry comes from the worker's neighbor cache while the same
// entries are deleted and added back. Run under ASan this is also the
// use-after-free check, for the nexthops' cached entries and the caches'.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <thread>

#include "../support/world.hpp"
#include "mpnet/l2/ether.hpp"
#include "mpnet/l3/ip4.hpp"

namespace mpnet::testing {
namespace {

constexpr unsigned prefixes = 64;

ether_addr gw_mac(unsigned side, unsigned i) {
    return ether_addr{{0x02, 0x6d, 0x70, 0xee, uint8_t(side), uint8_t(i + 1)}};
}
ip4_addr gw_ip(unsigned side, unsigned i) { return ip4_addr::of(198, 18, side == 0 ? 10 : 20, uint8_t(i + 1)); }
prefix4 pfx(unsigned i) { return prefix4::of(ip4_addr::of(198, 19, uint8_t(i), 0), 24); }

// Runs once per FIB backend: mpnet's Poptrie (the default) and DPDK's rte_lpm.
struct t_torture : ::testing::TestWithParam<fib_backend> {};
INSTANTIATE_TEST_SUITE_P(fib, t_torture, ::testing::Values(fib_backend::poptrie, fib_backend::dpdk),
                         [](const auto& i) { return std::string(fib_backend_name(i.param)); });

TEST_P(t_torture, forwarding_during_route_and_neighbor_churn) {
    stack_config c = threaded_router("router");
    c.fib_backend4 = GetParam();
    auto router = std::make_unique<stack>(c);
    stack& r = *router;
    rte_mempool* gen_pool = *pktpool_create("tort.gen", 16383);
    rte_mempool* sink_pool = *pktpool_create("tort.sink", 1023);
    auto in = *drivers::ring_link("tin", gen_pool, r.pool(), 3);
    auto o1 = *drivers::ring_link("to1", r.pool(), sink_pool, 3);
    auto o2 = *drivers::ring_link("to2", r.pool(), sink_pool, 3);
    auto gen = std::move(in.first);
    std::unique_ptr<drivers::ethdev_port> sink[2] = {std::move(o1.second), std::move(o2.second)};
    ASSERT_TRUE(r.if_attach("in0", std::move(in.second)));
    ASSERT_TRUE(r.if_attach("out1", std::move(o1.first)));
    ASSERT_TRUE(r.if_attach("out2", std::move(o2.first)));
    ASSERT_TRUE(r.addr_add("in0", ip("198.18.1.254"), 24));
    ASSERT_TRUE(r.addr_add("out1", ip("198.18.10.254"), 24));
    ASSERT_TRUE(r.addr_add("out2", ip("198.18.20.254"), 24));
    for (const char* n : {"in0", "out1", "out2"}) ASSERT_TRUE(r.if_up(n));
    ASSERT_TRUE(r.arp_add(ip("198.18.1.1"), gen->mac()));
    for (unsigned side = 0; side < 2; ++side)
        for (unsigned i = 0; i < prefixes; ++i) ASSERT_TRUE(r.arp_add(gw_ip(side, i), gw_mac(side, i)));
    const ether_addr r_in = r.if_get("in0")->lladdr;
    ASSERT_TRUE(r.start());

    std::atomic<bool> stop{false}, gen_done{false};
    std::atomic<uint64_t> sent{0}, received{0}, violations{0}, onlink{0};
    // Generator: echo-sized packets to random hosts of random prefixes, on
    // both RX queues so both workers forward.
    std::thread g([&] {
        std::mt19937 rng(1);
        mbuf* back[32];
        for (uint32_t n = 0; n < 180000 && !stop.load(); ++n) {
            const unsigned i = rng() % prefixes;
            mbuf* m = pkt_alloc(gen_pool, 32);
            if (!m) {
                std::this_thread::yield();
                continue;
            }
            std::memset(pkt_data(m), 0, 32);
            const uint32_t r8 = rng();
            const ip4_addr dst = (r8 & 7) == 0 ? gw_ip((r8 >> 3) & 1, i) : ip4_addr(pfx(i).addr.v | (1 + rng() % 250));
            ip4_encap(m, ip("198.18.1.1"), dst, ipproto_udp, 64, static_cast<uint16_t>(n));
            ether_encap(m, r_in, gen->mac(), ethertype_ip4);
            if (gen->tx_burst(static_cast<uint16_t>(n & 1), &m, 1) == 1)
                ++sent;
            else
                pkt_free(m);
            for (uint16_t q = 0; q < 3; ++q)  // ICMP errors coming back
                while (uint16_t k = gen->rx_burst(q, back, 32))
                    for (uint16_t j = 0; j < k; ++j) pkt_free(back[j]);
            if ((n & 255) == 0) std::this_thread::yield();
        }
        gen_done = true;
    });
    // Sinks: check every packet against the prefix its MAC claims.
    std::thread s([&] {
        sink_loop({sink[0].get(), sink[1].get()}, 3, stop, [&](unsigned side, mbuf* m) {
            auto* eh = pkt_header<ether_hdr>(m);
            if (eh->type.get() != ethertype_ip4) {  // ARP resolving a gateway, IPv6 ND
                pkt_free(m);
                return;
            }
            auto* ih = pkt_header<ip4_hdr>(m, sizeof(ether_hdr));
            const unsigned claimed = eh->dst.b[5] - 1u;
            const uint32_t d = ih->dst.get();
            if ((d >> 16) == 0xc612) {  // 198.18/16: an on-link host, the gateway's own MAC
                if (ip4_addr(d) != gw_ip(side, claimed) || eh->dst != gw_mac(side, claimed) || ih->ttl != 63)
                    ++violations;
                ++onlink;
            } else {
                const unsigned prefix_of_dst = (d >> 8) & 0xff;
                if (eh->dst != gw_mac(side, claimed) || prefix_of_dst != claimed || ih->ttl != 63) ++violations;
            }
            ++received;
            pkt_free(m);
        });
    });
    // Churn: add / change side / delete routes, and flap neighbor entries.
    std::mt19937 rng(2);
    int side_of[prefixes];
    std::fill(std::begin(side_of), std::end(side_of), -1);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    unsigned changes = 0;
    // A failed change is recorded and ends the churn: an ASSERT here would
    // return with the generator and sink threads still joinable, and the
    // process would terminate instead of failing the test.
    std::string churn_failure;
    // Churn for as long as traffic flows (and at least 1000 changes).
    while ((!gen_done.load() || changes < 1000) && std::chrono::steady_clock::now() < deadline) {
        const unsigned i = rng() % prefixes;
        const unsigned op = rng() % 8;
        if (op < 5) {
            const unsigned side = side_of[i] < 0 ? rng() % 2 : 1 - unsigned(side_of[i]);
            route_spec sp;
            sp.dst = pfx(i);
            sp.gateway = gw_ip(side, i);
            if (auto st = side_of[i] < 0 ? r.route_add(sp) : r.route_change(sp); !st) {
                churn_failure = "route add/change " + pfx(i).str() + ": " + std::string(errc_message(st.error()));
                break;
            }
            side_of[i] = int(side);
        } else if (op < 7) {
            if (side_of[i] >= 0) {
                if (auto st = r.route_delete(pfx(i)); !st) {
                    churn_failure = "route delete " + pfx(i).str() + ": " + std::string(errc_message(st.error()));
                    break;
                }
            }
            side_of[i] = -1;
        } else {
            // Neighbor churn: the entry goes and comes back (packets meanwhile
            // are held or dropped, never misdelivered).
            const unsigned side = rng() % 2;
            (void)r.arp_del(gw_ip(side, i));
            if (auto st = r.arp_add(gw_ip(side, i), gw_mac(side, i)); !st) {
                churn_failure = "arp -s " + gw_ip(side, i).str() + ": " + std::string(errc_message(st.error()));
                break;
            }
        }
        ++changes;
        if ((changes & 31) == 0) {
            rcu_offline off;
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    }
    if (!churn_failure.empty()) stop = true;  // the generator stops early too
    {
        rcu_offline off;
        g.join();
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        stop = true;
        s.join();
    }
    r.stop();
    EXPECT_EQ(churn_failure, "");
    EXPECT_EQ(violations.load(), 0u);
    EXPECT_GT(received.load(), 0u);
    EXPECT_GT(onlink.load(), 0u);
    EXPECT_GE(changes, 1000u);
    // Most packets found a route: routes exist about 5/7 of the time.
    EXPECT_GT(received.load(), sent.load() / 4);
    std::printf("torture: sent %lu, forwarded %lu, route/neighbor changes %u\n", (unsigned long)sent.load(),
                (unsigned long)received.load(), changes);
    RecordProperty("sent", std::to_string(sent.load()));
    RecordProperty("received", std::to_string(received.load()));
    RecordProperty("route_changes", std::to_string(changes));
    sink[0].reset();
    sink[1].reset();
    gen.reset();
    pktpool_free(sink_pool);
    router.reset();  // before the generator's pool: it may still hold its packets
    pktpool_free(gen_pool);
}

}  // namespace
}  // namespace mpnet::testing
