// SPDX-License-Identifier: BSD-2-Clause
// The neighbor cache on gateway nexthops (route/nexthop.hpp): a worker takes
// the gateway's MAC from the entry its nexthop points at, never from a
// lookup. Each change must take effect on the next packet the worker forwards
// (stepped mode: one poll is past a grace period): a MAC change, the entry's
// deletion (no packet to the old MAC; an ARP request instead), its return, a
// route change to another gateway, the interface going down and up again. A
// sabotaged invalidation (the removal leaves the nexthop pointing at the
// entry) is caught by the same observation. IPv6 likewise through ndp -s.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "../support/world.hpp"
#include "mpnet/l2/ether.hpp"
#include "mpnet/l3/ip4.hpp"
#include "mpnet/l3/ip6.hpp"

namespace mpnet::testing {
namespace {

struct seen_frame {
    ether_addr dst;
    uint16_t type;
};

struct rig {
    std::unique_ptr<stack> r;
    std::unique_ptr<drivers::ethdev_port> gen, sink;
    rte_mempool* gen_pool = nullptr;
    ether_addr r_in{};

    explicit rig(bool sabotage, bool sabotage_cache = false) {
        static int seq = 0;
        stack_config c;
        c.name = "nhc";
        c.workers = 1;
        c.dad_count = 0;
        c.dad6_count = 0;
        c.forwarding = true;
        c.ip6_forwarding = true;
        c.send_redirects = false;
        c.mbufs = 4095;
        c.test_sabotage_neigh_unbind = sabotage;
        c.test_sabotage_neigh_cache = sabotage_cache;
        r = std::make_unique<stack>(c);
        const std::string tag = std::to_string(seq++);
        gen_pool = *pktpool_create("nhc.gen" + tag, 2047);
        auto in = *drivers::ring_link("nhci" + tag, gen_pool, r->pool(), 2);
        auto out = *drivers::ring_link("nhco" + tag, r->pool(), gen_pool, 2);
        gen = std::move(in.first);
        sink = std::move(out.second);
        EXPECT_TRUE(r->if_attach("in0", std::move(in.second)));
        EXPECT_TRUE(r->if_attach("out0", std::move(out.first)));
        EXPECT_TRUE(r->addr_add("in0", ip("198.18.1.254"), 24));
        EXPECT_TRUE(r->addr_add("out0", ip("198.18.10.254"), 24));
        EXPECT_TRUE(r->addr6_add("in0", ip6("2001:db8:1::fe"), 64));
        EXPECT_TRUE(r->addr6_add("out0", ip6("2001:db8:10::fe"), 64));
        EXPECT_TRUE(r->if_up("in0"));
        EXPECT_TRUE(r->if_up("out0"));
        r_in = r->if_get("in0")->lladdr;
        drain();
    }
    ~rig() {
        drain();
        gen.reset();
        sink.reset();
        r.reset();
        pktpool_free(gen_pool);
    }

    std::vector<seen_frame> drain() {
        std::vector<seen_frame> v;
        mbuf* pk[32];
        for (uint16_t q = 0; q < 2; ++q) {
            while (uint16_t k = sink->rx_burst(q, pk, 32))
                for (uint16_t j = 0; j < k; ++j) {
                    const auto* eh = pkt_header<ether_hdr>(pk[j]);
                    v.push_back({eh->dst, eh->type.get()});
                    pkt_free(pk[j]);
                }
            while (uint16_t k = gen->rx_burst(q, pk, 32))  // ICMP errors back to the sender
                for (uint16_t j = 0; j < k; ++j) pkt_free(pk[j]);
        }
        return v;
    }

    // `n` packets to 198.19.0.x (IPv4) or 2001:db8:99::x (IPv6), or all to
    // the on-link host `to` when given, one step of the router, and what left
    // out0.
    std::vector<seen_frame> forward(unsigned n, bool v6 = false, const char* to = nullptr) {
        for (unsigned i = 0; i < n; ++i) {
            mbuf* m = pkt_alloc(gen_pool, 32);
            EXPECT_NE(m, nullptr);
            std::memset(pkt_data(m), 0, 32);
            if (v6) {
                ip6_addr d = ip6("2001:db8:99::");
                d.b[15] = uint8_t(i + 1);
                if (to) d = ip6(to);
                ip6_encap(m, ip6("2001:db8:1::1"), d, ipproto_udp, 64);
                ether_encap(m, r_in, gen->mac(), ethertype_ip6);
            } else {
                ip4_encap(m, ip("198.18.1.1"), to ? ip(to) : ip4_addr(ip("198.19.0.0").v | (i + 1)), ipproto_udp,
                          64, static_cast<uint16_t>(i));
                ether_encap(m, r_in, gen->mac(), ethertype_ip4);
            }
            if (gen->tx_burst(0, &m, 1) != 1) pkt_free(m);
        }
        r->step();
        return drain();
    }

    const nexthop_info* nh_via(const std::string& gw) {
        nhs = r->nexthop_list();
        for (const auto& n : nhs)
            if (n.gateway == gw) return &n;
        return nullptr;
    }
    std::vector<nexthop_info> nhs;
};

size_t count(const std::vector<seen_frame>& v, const ether_addr& dst, uint16_t type) {
    size_t n = 0;
    for (const auto& f : v) n += f.dst == dst && f.type == type;
    return n;
}

const ether_addr m1 = mac("02:6e:68:00:00:01"), m2 = mac("02:6e:68:00:00:02"), m3 = mac("02:6e:68:00:00:03"),
                 m4 = mac("02:6e:68:00:00:04");

TEST(t_nhcache, neighbor_changes_reach_the_next_forwarded_packet) {
    rig t(false);
    stack& r = *t.r;
    ASSERT_TRUE(r.arp_add(ip("198.18.10.1"), m1, arp_opt::temp));
    ASSERT_TRUE(r.arp_add(ip("198.18.10.2"), m4, arp_opt::temp));
    route_spec sp;
    sp.dst = *prefix4::parse("198.19.0.0/24");
    sp.gateway = ip("198.18.10.1");
    ASSERT_TRUE(r.route_add(sp));
    // The nexthop was created with its gateway's entry already there: cached.
    const nexthop_info* nh = t.nh_via("198.18.10.1");
    ASSERT_NE(nh, nullptr);
    EXPECT_TRUE(nh->neigh_cached);
    EXPECT_EQ(nh->lladdr, m1.str());
    auto out = t.forward(8);
    EXPECT_EQ(count(out, m1, ethertype_ip4), 8u);

    // A MAC change (the same entry, a new address): the next packet has it.
    ASSERT_TRUE(r.arp_add(ip("198.18.10.1"), m2, arp_opt::temp));
    out = t.forward(8);
    EXPECT_EQ(count(out, m2, ethertype_ip4), 8u);
    EXPECT_EQ(count(out, m1, ethertype_ip4), 0u);

    // Deleted: the nexthop lets go of it at once; nothing leaves for the old
    // MAC, the packets wait on resolution (an ARP request goes out).
    ASSERT_TRUE(r.arp_del(ip("198.18.10.1")));
    nh = t.nh_via("198.18.10.1");
    ASSERT_NE(nh, nullptr);
    EXPECT_FALSE(nh->neigh_cached) << "the deleted entry is still cached on the nexthop";
    out = t.forward(4);
    for (int i = 0; i < 4; ++i) {
        auto more = t.forward(0);
        out.insert(out.end(), more.begin(), more.end());
    }
    EXPECT_EQ(count(out, m2, ethertype_ip4), 0u);
    EXPECT_EQ(count(out, m1, ethertype_ip4), 0u);
    EXPECT_GE(count(out, ether_addr::broadcast(), ethertype_arp), 1u) << "ARP asks for the gateway";

    // Back (a new entry): bound again, and what was held goes to it.
    ASSERT_TRUE(r.arp_add(ip("198.18.10.1"), m3, arp_opt::temp));
    nh = t.nh_via("198.18.10.1");
    ASSERT_NE(nh, nullptr);
    EXPECT_TRUE(nh->neigh_cached);
    EXPECT_EQ(nh->lladdr, m3.str());
    out = t.forward(8);
    EXPECT_EQ(count(out, m3, ethertype_ip4), 8u + 4u) << "8 new and the 4 held";

    // A route change to another gateway: its own nexthop, its own entry.
    sp.gateway = ip("198.18.10.2");
    ASSERT_TRUE(r.route_change(sp));
    nh = t.nh_via("198.18.10.2");
    ASSERT_NE(nh, nullptr);
    EXPECT_TRUE(nh->neigh_cached);
    out = t.forward(8);
    EXPECT_EQ(count(out, m4, ethertype_ip4), 8u);
    EXPECT_EQ(count(out, m3, ethertype_ip4), 0u);

    // The interface down: nothing leaves, and no nexthop keeps an entry the
    // down purged; up again with the neighbor learned again: forwarding
    // resumes through the live entry.
    ASSERT_TRUE(r.if_down("out0"));
    out = t.forward(8);
    EXPECT_EQ(out.size(), 0u);
    for (const auto& n : r.nexthop_list()) {
        if (n.neigh_cached) {
            EXPECT_FALSE(n.lladdr.empty()) << n.gateway;
        }
    }
    ASSERT_TRUE(r.if_up("out0"));
    t.drain();  // what the interface announces on coming up
    ASSERT_TRUE(r.arp_add(ip("198.18.10.2"), m4, arp_opt::temp));
    if (!r.route_get(ip("198.19.0.1"))) {
        ASSERT_TRUE(r.route_add(sp));
    }
    for (const auto& n : r.nexthop_list()) {
        if (n.neigh_cached) {
            EXPECT_FALSE(n.lladdr.empty()) << n.gateway;
        }
    }
    out = t.forward(8);
    EXPECT_EQ(count(out, m4, ethertype_ip4), 8u);
    EXPECT_EQ(r.drops(drop_reason::if_gone), 0u);
}

TEST(t_nhcache, ipv6_neighbor_changes_reach_the_next_forwarded_packet) {
    rig t(false);
    stack& r = *t.r;
    ASSERT_TRUE(r.ndp_add(ip6("2001:db8:10::1"), m1, arp_opt::temp, "out0"));
    route6_spec sp;
    sp.dst = *prefix6::parse("2001:db8:99::/64");
    sp.gateway = ip6("2001:db8:10::1");
    ASSERT_TRUE(r.route6_add(sp));
    const nexthop_info* nh = t.nh_via("2001:db8:10::1");
    ASSERT_NE(nh, nullptr);
    EXPECT_TRUE(nh->neigh_cached);
    auto out = t.forward(8, true);
    EXPECT_EQ(count(out, m1, ethertype_ip6), 8u);
    ASSERT_TRUE(r.ndp_add(ip6("2001:db8:10::1"), m2, arp_opt::temp, "out0"));
    out = t.forward(8, true);
    EXPECT_EQ(count(out, m2, ethertype_ip6), 8u);
    EXPECT_EQ(count(out, m1, ethertype_ip6), 0u);
    ASSERT_TRUE(r.ndp_del(ip6("2001:db8:10::1"), "out0"));
    nh = t.nh_via("2001:db8:10::1");
    ASSERT_NE(nh, nullptr);
    EXPECT_FALSE(nh->neigh_cached);
    out = t.forward(4, true);
    EXPECT_EQ(count(out, m2, ethertype_ip6), 0u);
    ASSERT_TRUE(r.ndp_add(ip6("2001:db8:10::1"), m3, arp_opt::temp, "out0"));
    out = t.forward(8, true);
    EXPECT_EQ(count(out, m3, ethertype_ip6), 8u + 4u) << "8 new and the 4 held";
}

TEST(t_nhcache, a_sabotaged_invalidation_is_caught) {
    // The removal leaves the nexthop pointing at the entry: both checks the
    // test above makes right after arp -d see it. One step of forwarding is
    // still memory-safe: the unlinked entry is freed only after a grace
    // period, and this thread (the only reader) passes no quiescent state
    // before the worker's poll has read it; after that nothing may touch it.
    rig t(true);
    stack& r = *t.r;
    ASSERT_TRUE(r.arp_add(ip("198.18.10.1"), m1, arp_opt::temp));
    route_spec sp;
    sp.dst = *prefix4::parse("198.19.0.0/24");
    sp.gateway = ip("198.18.10.1");
    ASSERT_TRUE(r.route_add(sp));
    EXPECT_EQ(count(t.forward(4), m1, ethertype_ip4), 4u);
    ASSERT_TRUE(r.arp_del(ip("198.18.10.1")));
    const nexthop_info* nh = t.nh_via("198.18.10.1");
    ASSERT_NE(nh, nullptr);
    EXPECT_TRUE(nh->neigh_cached) << "the sabotage did not take: the test above could not fail";
    EXPECT_EQ(count(t.forward(4), m1, ethertype_ip4), 4u) << "packets left for the deleted neighbor's MAC";
    ASSERT_TRUE(r.route_delete(sp.dst));
}

// The same changes for a destination on out0's own subnet: no nexthop
// carries its entry, the worker's neighbor cache (netif/neigh_cache.hpp)
// does, and each change must reach the next packet all the same.
TEST(t_nhcache, onlink_neighbor_changes_reach_the_next_forwarded_packet) {
    rig t(false);
    stack& r = *t.r;
    const char* h = "198.18.10.5";
    ASSERT_TRUE(r.arp_add(ip(h), m1, arp_opt::temp));
    auto out = t.forward(8, false, h);
    EXPECT_EQ(count(out, m1, ethertype_ip4), 8u);
    out = t.forward(8, false, h);  // now from the cache
    EXPECT_EQ(count(out, m1, ethertype_ip4), 8u);
    // A MAC change: the entry's own word, read on every use.
    ASSERT_TRUE(r.arp_add(ip(h), m2, arp_opt::temp));
    out = t.forward(8, false, h);
    EXPECT_EQ(count(out, m2, ethertype_ip4), 8u);
    EXPECT_EQ(count(out, m1, ethertype_ip4), 0u);
    // Deleted: nothing to the old MAC; ARP asks, the packets wait.
    ASSERT_TRUE(r.arp_del(ip(h)));
    out = t.forward(4, false, h);
    for (int i = 0; i < 4; ++i) {
        auto more = t.forward(0);
        out.insert(out.end(), more.begin(), more.end());
    }
    EXPECT_EQ(count(out, m2, ethertype_ip4), 0u) << "a packet left for the deleted neighbor's MAC";
    EXPECT_GE(count(out, ether_addr::broadcast(), ethertype_arp), 1u) << "ARP asks for the host";
    // Back (a new entry): what was held goes to it, and so does what follows.
    ASSERT_TRUE(r.arp_add(ip(h), m3, arp_opt::temp));
    out = t.forward(8, false, h);
    EXPECT_EQ(count(out, m3, ethertype_ip4), 8u + 4u) << "8 new and the 4 held";
    // The interface down purges its table: nothing leaves; up and learned
    // again, forwarding goes to the new entry.
    ASSERT_TRUE(r.if_down("out0"));
    EXPECT_EQ(t.forward(8, false, h).size(), 0u);
    ASSERT_TRUE(r.if_up("out0"));
    t.drain();
    ASSERT_TRUE(r.arp_add(ip(h), m4, arp_opt::temp));
    out = t.forward(8, false, h);
    EXPECT_EQ(count(out, m4, ethertype_ip4), 8u);
    EXPECT_EQ(count(out, m3, ethertype_ip4), 0u);

    // IPv6 through ndp -s, the same way.
    const char* h6 = "2001:db8:10::5";
    ASSERT_TRUE(r.ndp_add(ip6(h6), m1, arp_opt::temp, "out0"));
    EXPECT_EQ(count(t.forward(8, true, h6), m1, ethertype_ip6), 8u);
    ASSERT_TRUE(r.ndp_add(ip6(h6), m2, arp_opt::temp, "out0"));
    out = t.forward(8, true, h6);
    EXPECT_EQ(count(out, m2, ethertype_ip6), 8u);
    EXPECT_EQ(count(out, m1, ethertype_ip6), 0u);
    ASSERT_TRUE(r.ndp_del(ip6(h6), "out0"));
    out = t.forward(4, true, h6);
    EXPECT_EQ(count(out, m2, ethertype_ip6), 0u);
    ASSERT_TRUE(r.ndp_add(ip6(h6), m3, arp_opt::temp, "out0"));
    EXPECT_EQ(count(t.forward(8, true, h6), m3, ethertype_ip6), 8u + 4u);
}

TEST(t_nhcache, a_sabotaged_neighbor_cache_is_caught) {
    // The lcores' caches ignore the removal: the check right after arp -d
    // above sees packets leave for the deleted entry's MAC. As in the
    // nexthop sabotage, the one step after the removal is memory-safe (the
    // entry is freed only after the poll that read it); nothing is sent to
    // that host afterwards.
    rig t(false, true);
    stack& r = *t.r;
    const char* h = "198.18.10.5";
    ASSERT_TRUE(r.arp_add(ip(h), m1, arp_opt::temp));
    EXPECT_EQ(count(t.forward(4, false, h), m1, ethertype_ip4), 4u);
    ASSERT_TRUE(r.arp_del(ip(h)));
    EXPECT_EQ(count(t.forward(4, false, h), m1, ethertype_ip4), 4u)
        << "the sabotage did not take: the check above could not fail";
}

}  // namespace
}  // namespace mpnet::testing
