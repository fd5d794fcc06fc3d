// SPDX-License-Identifier: BSD-2-Clause
// Port of NetBSD tests/net/net/t_forwarding.sh (ipforwarding_v4, misc) and
// forwarding under hostile traffic.
#include <gtest/gtest.h>

#include "../support/world.hpp"
#include "mpnet/core/checksum.hpp"
#include "mpnet/core/wire.hpp"
#include "mpnet/l2/ether.hpp"

namespace mpnet::testing {
namespace {

// SRC 198.18.1.2 (bus1, default via .1.1) -- FWD .1.1 | .2.1 -- DST 198.18.2.2 (bus2).
struct fwd_topology {
    world w;
    drivers::bus& bus1;
    drivers::bus& bus2;
    stack& src;
    stack& fwd;
    stack& dst;

    explicit fwd_topology(bool forwarding = true)
        : bus1(w.add_bus("bus1")),
          bus2(w.add_bus("bus2")),
          src(w.add_host("src", bus1, "shmif0", "198.18.1.2")),
          fwd(w.add_host("fwd", bus1, "shmif0", "198.18.1.1")),
          dst(w.add_host("dst", bus2, "shmif0", "198.18.2.2")) {
        w.attach(fwd, bus2, "shmif1");
        EXPECT_TRUE(fwd.addr_add("shmif1", ip("198.18.2.1"), 24));
        EXPECT_TRUE(fwd.if_up("shmif1"));
        route_spec d;
        d.dst = *prefix4::parse("0.0.0.0/0");
        d.gateway = ip("198.18.1.1");
        EXPECT_TRUE(src.route_add(d));
        d.gateway = ip("198.18.2.1");
        EXPECT_TRUE(dst.route_add(d));
        EXPECT_TRUE(fwd.sysctl_set("net.inet.ip.forwarding", forwarding ? 1 : 0));
        w.run_for_ms(10);
    }
};

ping_result ping_with(world& w, stack& s, ip4_addr dst, ping_opts o) {
    auto id = s.ping_start(dst, o);
    EXPECT_TRUE(id.has_value());
    w.run_until([&] { return s.ping_get(*id)->done; }, o.timeout_ms + uint64_t(o.count) * o.interval_ms + 100);
    auto r = *s.ping_get(*id);
    s.ping_release(*id);
    return r;
}

TEST(t_forwarding, ipforwarding_v4) {
    fwd_topology t;
    EXPECT_EQ(*t.fwd.sysctl_get("net.inet.ip.forwarding"), 1);
    EXPECT_TRUE(t.w.ping(t.src, ip("198.18.1.1")));
    EXPECT_TRUE(t.w.ping(t.src, ip("198.18.2.2")));
    EXPECT_TRUE(t.w.ping(t.dst, ip("198.18.2.1")));
    EXPECT_TRUE(t.w.ping(t.dst, ip("198.18.1.2")));
    ASSERT_TRUE(t.fwd.sysctl_set("net.inet.ip.forwarding", 0));
    EXPECT_EQ(*t.fwd.sysctl_get("net.inet.ip.forwarding"), 0);
    EXPECT_FALSE(t.w.ping(t.src, ip("198.18.2.2")));
    EXPECT_FALSE(t.w.ping(t.dst, ip("198.18.1.2")));
    EXPECT_GE(t.fwd.drops(drop_reason::ip4_not_local), 2u);
}

TEST(t_forwarding, ipforwarding_misc_ttl) {
    fwd_topology t;
    ping_opts o;
    o.ttl = 1;
    EXPECT_EQ(ping_with(t.w, t.src, ip("198.18.1.1"), o).received, 1);
    auto r = ping_with(t.w, t.src, ip("198.18.2.2"), o);
    EXPECT_EQ(r.received, 0);
    // ping -v: "Time To Live exceeded" from the forwarder.
    EXPECT_EQ(r.icmp_errors, 1);
    EXPECT_EQ(r.last_error_type, icmp_time_exceeded);
    EXPECT_EQ(r.last_error_from, ip("198.18.1.1"));
    EXPECT_EQ(t.fwd.drops(drop_reason::ip4_ttl_exceeded), 1u);
    o.ttl = 2;
    EXPECT_EQ(ping_with(t.w, t.src, ip("198.18.2.2"), o).received, 1);
}

TEST(t_forwarding, ipforwarding_misc_directed_broadcast) {
    fwd_topology t;
    ASSERT_TRUE(t.dst.sysctl_set("net.inet.icmp.bmcastecho", 1));
    ASSERT_TRUE(t.fwd.sysctl_set("net.inet.ip.directed-broadcast", 1));
    EXPECT_TRUE(t.w.ping(t.src, ip("198.18.2.255")));
    ASSERT_TRUE(t.fwd.sysctl_set("net.inet.ip.directed-broadcast", 0));
    EXPECT_FALSE(t.w.ping(t.src, ip("198.18.2.255")));
    EXPECT_GE(t.fwd.drops(drop_reason::ip4_bcast_forward), 1u);
}

TEST(t_forwarding, ipforwarding_misc_ip_ttl) {
    // net.inet.ip.ttl on the source: 1 cannot cross the forwarder, 2 can.
    fwd_topology t;
    ping_opts o;  // no TTL of its own (no -T): the stack's net.inet.ip.ttl
    ASSERT_TRUE(t.src.sysctl_set("net.inet.ip.ttl", 1));
    EXPECT_EQ(ping_with(t.w, t.src, ip("198.18.2.2"), o).received, 0);
    EXPECT_EQ(t.fwd.drops(drop_reason::ip4_ttl_exceeded), 1u);
    ASSERT_TRUE(t.src.sysctl_set("net.inet.ip.ttl", 2));
    EXPECT_EQ(ping_with(t.w, t.src, ip("198.18.2.2"), o).received, 1);
    // The knob is what replies and errors carry too. The destination's
    // replies with TTL 1 die at the forwarder.
    ASSERT_TRUE(t.dst.sysctl_set("net.inet.ip.ttl", 1));
    EXPECT_EQ(ping_with(t.w, t.src, ip("198.18.2.2"), o).received, 0);
    EXPECT_EQ(t.fwd.drops(drop_reason::ip4_ttl_exceeded), 2u);
    ASSERT_TRUE(t.dst.sysctl_set("net.inet.ip.ttl", 2));
    EXPECT_EQ(ping_with(t.w, t.src, ip("198.18.2.2"), o).received, 1);
    // ping's own TTL (-T) is the request's, whatever the knob says.
    o.ttl = 1;
    EXPECT_EQ(ping_with(t.w, t.src, ip("198.18.2.2"), o).received, 0);
    EXPECT_EQ(t.fwd.drops(drop_reason::ip4_ttl_exceeded), 3u);
    EXPECT_EQ(t.src.sysctl_set("net.inet.ip.ttl", 0).error(), errc::inval);
    EXPECT_EQ(t.src.sysctl_set("net.inet.ip.nosuch", 1).error(), errc::noent);
}

TEST(t_forwarding, no_route_and_reject_send_unreachable) {
    fwd_topology t;
    ping_opts o;
    auto r = ping_with(t.w, t.src, ip("198.19.7.7"), o);  // FWD has no route
    EXPECT_EQ(r.received, 0);
    EXPECT_EQ(r.last_error_type, icmp_unreach);
    EXPECT_EQ(r.last_error_code, icmp_unreach_net);
    EXPECT_EQ(t.fwd.drops(drop_reason::ip4_no_route), 1u);
    route_spec rj;
    rj.dst = *prefix4::parse("198.19.7.7/32");
    rj.gateway = ip("127.0.0.1");
    rj.reject = true;
    ASSERT_TRUE(t.fwd.route_add(rj));
    r = ping_with(t.w, t.src, ip("198.19.7.7"), o);
    EXPECT_EQ(r.last_error_code, icmp_unreach_host);
    EXPECT_EQ(t.fwd.drops(drop_reason::ip4_reject), 1u);
    route_spec bh = rj;
    bh.dst = *prefix4::parse("198.19.8.0/24");
    bh.reject = false;
    bh.blackhole = true;
    ASSERT_TRUE(t.fwd.route_add(bh));
    r = ping_with(t.w, t.src, ip("198.19.8.1"), o);
    EXPECT_EQ(r.icmp_errors, 0);  // silently
    EXPECT_EQ(t.fwd.drops(drop_reason::ip4_blackhole), 1u);
}

TEST(t_forwarding, icmp_errors_are_rate_limited) {
    stack_config c;
    c.icmp_err_pps = 10;
    world w;
    auto& bus1 = w.add_bus("bus1");
    auto& src = w.add_host("src", bus1, "shmif0", "198.18.1.2");
    auto& fwd = w.add_host("fwd", bus1, "shmif0", "198.18.1.1", 24, c);
    ASSERT_TRUE(fwd.sysctl_set("net.inet.ip.forwarding", 1));
    route_spec d;
    d.dst = *prefix4::parse("0.0.0.0/0");
    d.gateway = ip("198.18.1.1");
    ASSERT_TRUE(src.route_add(d));
    ping_opts o;
    o.count = 100;
    o.interval_ms = 1;
    o.timeout_ms = 50;
    auto r = ping_with(w, src, ip("198.19.7.7"), o);
    // 10 per second for the whole stack, split over its lcores; within
    // ~150 ms of virtual time no more than the one-second bucket.
    EXPECT_GE(r.icmp_errors, 1);
    EXPECT_LE(r.icmp_errors, 10);
    EXPECT_EQ(fwd.drops(drop_reason::ip4_no_route), 100u);
    EXPECT_EQ(fwd.drops(drop_reason::icmp_ratelimited), 100u - r.icmp_errors);
}

TEST(t_forwarding, hostile_traffic_through_a_router) {
    fwd_topology t;
    // A flood toward an unresolvable neighbor behind the router: the hold
    // queue stays at its limit and the rest are counted.
    ASSERT_TRUE(t.w.ping(t.src, ip("198.18.1.1")));  // the source knows its gateway
    ping_opts o;
    o.count = 200;
    o.interval_ms = 0;
    o.timeout_ms = 10;
    auto r = ping_with(t.w, t.src, ip("198.18.2.99"), o);
    EXPECT_EQ(r.received, 0);
    EXPECT_EQ(t.fwd.drops(drop_reason::neigh_hold_overflow), 200u - t.fwd.config().neigh_hold_max);
    t.w.run_for_ms(4000);
    EXPECT_EQ(t.fwd.drops(drop_reason::neigh_resolve_failed), t.fwd.config().neigh_hold_max);
    EXPECT_TRUE(t.fwd.arp_get(ip("198.18.2.99")).empty());
    // To the router's own network and broadcast addresses: not forwarded.
    EXPECT_FALSE(t.w.ping(t.src, ip("198.18.2.0")));
    EXPECT_FALSE(t.w.ping(t.src, ip("198.18.2.255")));
    EXPECT_GE(t.fwd.drops(drop_reason::ip4_bcast_forward), 1u);
}

}  // namespace
}  // namespace mpnet::testing

namespace mpnet::testing {
namespace {

TEST(t_forwarding, options_and_fragments_are_forwarded) {
    fwd_topology t;
    ASSERT_TRUE(t.w.ping(t.dst, ip("198.18.2.1")));  // DST knows its gateway
    auto inj = std::move(*t.bus1.attach());
    const ether_addr fwd_mac = t.fwd.if_get("shmif0")->lladdr;
    ASSERT_TRUE(t.fwd.arp_add(ip("198.18.1.77"), inj->mac()));
    auto send = [&](bool options, bool fragment) {
        const uint16_t hl = options ? 24 : 20;
        mbuf* m = pkt_alloc(t.src.pool(), static_cast<uint16_t>(hl + 8 + 16));
        uint8_t* p = pkt_data(m);
        std::memset(p, 0, hl + 24);
        auto* h = reinterpret_cast<ip4_hdr*>(p);
        h->ver_ihl = static_cast<uint8_t>(0x40 | (hl / 4));
        h->total_len.set(static_cast<uint16_t>(hl + 24));
        h->ttl = 64;
        h->proto = ipproto_icmp;
        h->src.set(ip("198.18.1.77").v);
        h->dst.set(ip("198.18.2.2").v);
        if (options) p[20] = 1, p[21] = 1, p[22] = 1, p[23] = 0;  // NOPs and end of list
        if (fragment) h->frag.set(ip4_frag_mf);
        h->cksum = in_cksum(h, hl);
        auto* ic = reinterpret_cast<icmp_hdr*>(p + hl);
        ic->type = icmp_echo_request;
        ic->id.set(3);
        ic->cksum = in_cksum(ic, 24);
        ASSERT_TRUE(ether_encap(m, fwd_mac, inj->mac(), ethertype_ip4));
        ASSERT_EQ(inj->tx_burst(0, &m, 1), 1);
        t.w.run_for_ms(2);
    };
    const uint64_t out0 = t.dst.if_get("shmif0")->opackets;
    send(true, false);  // IHL 6: forwarded, and DST answers it
    EXPECT_EQ(t.dst.if_get("shmif0")->opackets, out0 + 1);
    const uint64_t frag0 = t.dst.drops(drop_reason::ip4_fragment);
    send(false, true);  // a fragment: forwarded as is (DST has no reassembly yet)
    EXPECT_EQ(t.dst.drops(drop_reason::ip4_fragment), frag0 + 1);
    inj.reset();
}

TEST(t_forwarding, routing_events_follow_the_tables) {
    fwd_topology t;
    t.src.take_events();
    route_spec s;
    s.dst = *prefix4::parse("198.19.0.0/16");
    s.gateway = ip("198.18.1.1");
    ASSERT_TRUE(t.src.route_add(s));
    s.reject = true;
    ASSERT_TRUE(t.src.route_change(s));
    ASSERT_TRUE(t.src.route_delete(s.dst));
    ASSERT_TRUE(t.src.route_delete(*prefix4::parse("0.0.0.0/0")));
    auto id = t.src.ping_start(ip("203.0.113.9"));
    ASSERT_TRUE(id.has_value());
    t.w.run_for_ms(2);
    std::vector<stack_event::kind_t> kinds;
    for (const auto& e : t.src.take_events()) kinds.push_back(e.kind);
    const std::vector<stack_event::kind_t> want = {stack_event::rtm_add, stack_event::rtm_change,
                                                   stack_event::rtm_delete, stack_event::rtm_delete,
                                                   stack_event::rtm_miss};
    EXPECT_EQ(kinds, want);
}

}  // namespace
}  // namespace mpnet::testing
