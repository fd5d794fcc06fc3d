// SPDX-License-Identifier: BSD-2-Clause
// Ports of NetBSD tests/net/icmp/t_icmp_redirect.sh, the redirect part of
// route/t_flags.sh (UGHD, UGHMS), and net/t_mtudisc.sh (basic).
#include <gtest/gtest.h>

#include "../support/world.hpp"
#include "mpnet/core/wire.hpp"

namespace mpnet::testing {
namespace {

prefix4 P(const char* s) { return *prefix4::parse(s); }

// A copy: the listing it came from is a temporary.
std::optional<route_info> find(const std::vector<route_info>& v, const char* dst) {
    for (const auto& r : v)
        if (r.r.dst == P(dst)) return r;
    return std::nullopt;
}

// LOCAL 198.18.0.2, PEER 198.18.0.1, GW 198.18.0.254 on bus1; GW also has
// 198.18.2.1 and 198.18.2.2 on bus2. LOCAL's default goes to PEER, which
// relays to GW and redirects LOCAL there.
struct redirect_topology {
    world w;
    drivers::bus& bus1;
    drivers::bus& bus2;
    stack& local;
    stack& peer;
    stack& gw;
    redirect_topology()
        : bus1(w.add_bus("bus1")),
          bus2(w.add_bus("bus2")),
          local(w.add_host("local", bus1, "shmif0", "198.18.0.2")),
          peer(w.add_host("peer", bus1, "shmif0", "198.18.0.1")),
          gw(w.add_host("gw", bus1, "shmif0", "198.18.0.254")) {
        w.attach(gw, bus2, "shmif1");
        EXPECT_TRUE(gw.addr_add("shmif1", ip("198.18.2.1"), 24));
        EXPECT_TRUE(gw.addr_add("shmif1", ip("198.18.2.2"), 24));
        EXPECT_TRUE(gw.if_up("shmif1"));
        EXPECT_TRUE(peer.sysctl_set("net.inet.ip.forwarding", 1));
        EXPECT_TRUE(local.sysctl_set("net.inet.icmp.redirtimeout", 5));
        route_spec pr;
        pr.dst = P("198.18.2.0/24");
        pr.gateway = ip("198.18.0.254");
        EXPECT_TRUE(peer.route_add(pr));
        route_spec d;
        d.dst = P("0.0.0.0/0");
        d.gateway = ip("198.18.0.1");
        EXPECT_TRUE(local.route_add(d));
        EXPECT_EQ(rtf_letters(find(peer.route_list(), "198.18.2.0/24")->r.flags), "UGS");
        EXPECT_EQ(rtf_letters(find(local.route_list(), "0.0.0.0/0")->r.flags), "UGS");
        w.run_for_ms(10);
    }
};

TEST(t_icmp_redirect, redirect_timeout) {
    redirect_topology t;
    ASSERT_TRUE(t.w.ping(t.local, ip("198.18.2.1")));
    auto routes = t.local.route_list();
    auto r = find(routes, "198.18.2.1/32");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(rtf_letters(r->r.flags), "UGHD");
    EXPECT_EQ(r->r.gateway, ip("198.18.0.254"));
    // The next packet goes straight to GW: PEER (on the same hub, so it
    // still hears the frames) neither relays nor redirects any more.
    const uint64_t peer_out = t.peer.if_get("shmif0")->opackets;
    ASSERT_TRUE(t.w.ping(t.local, ip("198.18.2.1")));
    EXPECT_EQ(t.peer.if_get("shmif0")->opackets, peer_out);
    t.w.run_for_ms(7000);  // redirtimeout (5 s) + 2
    EXPECT_EQ(find(t.local.route_list(), "198.18.2.1/32"), std::nullopt);
}

TEST(t_icmp_redirect, redirect_switch) {
    redirect_topology t;
    ASSERT_TRUE(t.peer.sysctl_set("net.inet.ip.redirect", 0));
    ASSERT_TRUE(t.w.ping(t.local, ip("198.18.2.1")));
    EXPECT_EQ(find(t.local.route_list(), "198.18.2.1/32"), std::nullopt);
    ASSERT_TRUE(t.peer.sysctl_set("net.inet.ip.redirect", 1));
    ASSERT_TRUE(t.w.ping(t.local, ip("198.18.2.1")));
    auto r = find(t.local.route_list(), "198.18.2.1/32");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(rtf_letters(r->r.flags), "UGHD");
    EXPECT_EQ(r->r.gateway, ip("198.18.0.254"));
    ASSERT_TRUE(t.local.route_delete(P("198.18.2.1/32")));
    ASSERT_TRUE(t.peer.sysctl_set("net.inet.ip.redirect", 0));
    ASSERT_TRUE(t.w.ping(t.local, ip("198.18.2.1")));
    EXPECT_EQ(find(t.local.route_list(), "198.18.2.1/32"), std::nullopt);
}

TEST(t_icmp_redirect, modified_flag) {
    // t_flags' "Testing Modified flag": a static host route changed by a redirect.
    redirect_topology t;
    route_spec s;
    s.dst = P("198.18.2.2/32");
    s.gateway = ip("198.18.0.1");
    ASSERT_TRUE(t.local.route_add(s));
    EXPECT_EQ(rtf_letters(find(t.local.route_list(), "198.18.2.2/32")->r.flags), "UGHS");
    ASSERT_TRUE(t.w.ping(t.local, ip("198.18.2.2")));
    auto r = find(t.local.route_list(), "198.18.2.2/32");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(rtf_letters(r->r.flags), "UGHMS");
    EXPECT_EQ(r->r.gateway, ip("198.18.0.254"));
}

TEST(t_icmp_redirect, bogus_redirects_are_ignored) {
    redirect_topology t;
    ASSERT_TRUE(t.local.sysctl_set("net.inet.icmp.rediraccept", 0));
    ASSERT_TRUE(t.w.ping(t.local, ip("198.18.2.1")));
    EXPECT_EQ(find(t.local.route_list(), "198.18.2.1/32"), std::nullopt);
    EXPECT_GE(t.local.drops(drop_reason::icmp_redirect_ignored), 1u);
    // A router never accepts redirects.
    ASSERT_TRUE(t.local.sysctl_set("net.inet.icmp.rediraccept", 1));
    ASSERT_TRUE(t.local.sysctl_set("net.inet.ip.forwarding", 1));
    ASSERT_TRUE(t.w.ping(t.local, ip("198.18.2.1")));
    EXPECT_EQ(find(t.local.route_list(), "198.18.2.1/32"), std::nullopt);
}

// LOCAL 198.18.0.2 -- GATEWAY 198.18.0.1 | 198.18.1.1 (mtu 1280) -- REMOTE 198.18.1.2.
struct mtu_topology {
    world w;
    drivers::bus& bus1;
    drivers::bus& bus2;
    stack& local;
    stack& gateway;
    stack& remote;
    mtu_topology()
        : bus1(w.add_bus("bus1")),
          bus2(w.add_bus("bus2")),
          local(w.add_host("local", bus1, "shmif0", "198.18.0.2")),
          gateway(w.add_host("gateway", bus1, "shmif0", "198.18.0.1")),
          remote(w.add_host("remote", bus2, "shmif0", "198.18.1.2")) {
        w.attach(gateway, bus2, "shmif1");
        EXPECT_TRUE(gateway.addr_add("shmif1", ip("198.18.1.1"), 24));
        EXPECT_TRUE(gateway.if_up("shmif1"));
        EXPECT_TRUE(gateway.if_set_mtu("shmif1", 1280));
        EXPECT_TRUE(gateway.sysctl_set("net.inet.ip.forwarding", 1));
        route_spec a;
        a.dst = P("198.18.0.2/32");
        a.gateway = ip("198.18.1.1");
        EXPECT_TRUE(remote.route_add(a));
        route_spec b;
        b.dst = P("198.18.1.2/32");
        b.gateway = ip("198.18.0.1");
        EXPECT_TRUE(local.route_add(b));
        w.run_for_ms(10);
    }
};

TEST(t_mtudisc, basic) {
    mtu_topology t;
    EXPECT_EQ(*t.remote.sysctl_get("net.inet.ip.mtudisc"), 1);
    ping_opts o;
    o.payload_len = 1400;  // 1428 bytes of IPv4: more than the 1280 link
    o.df = true;
    // mtudisc off: the frag-needed is not recorded.
    ASSERT_TRUE(t.local.sysctl_set("net.inet.ip.mtudisc", 0));
    auto id = t.local.ping_start(ip("198.18.1.2"), o);
    t.w.run_until([&] { return t.local.ping_get(*id)->done; }, 2000);
    EXPECT_EQ(t.local.ping_get(*id)->received, 0);
    EXPECT_EQ(t.local.ping_get(*id)->last_error_code, icmp_unreach_needfrag);
    EXPECT_EQ(t.gateway.drops(drop_reason::ip4_frag_needed), 1u);
    EXPECT_EQ(find(t.local.route_list(), "198.18.1.2/32")->r.mtu, 0u);
    // mtudisc on: the path MTU lands on the host route (netstat's Mtu column).
    ASSERT_TRUE(t.local.sysctl_set("net.inet.ip.mtudisc", 1));
    id = t.local.ping_start(ip("198.18.1.2"), o);
    t.w.run_until([&] { return t.local.ping_get(*id)->done; }, 2000);
    auto r = find(t.local.route_list(), "198.18.1.2/32");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(rtf_letters(r->r.flags), "UGHS");
    EXPECT_EQ(r->r.mtu, 1280u);
    // Without DF the gateway fragments; the remote gets fragments (and, with
    // no reassembly yet, counts them as drops).
    o.df = false;
    const uint64_t frag0 = t.remote.drops(drop_reason::ip4_fragment);
    ASSERT_TRUE(t.local.route_delete(P("198.18.1.2/32")));
    route_spec b;
    b.dst = P("198.18.1.2/32");
    b.gateway = ip("198.18.0.1");
    ASSERT_TRUE(t.local.route_add(b));  // back to no path MTU: the gateway fragments
    id = t.local.ping_start(ip("198.18.1.2"), o);
    t.w.run_until([&] { return t.local.ping_get(*id)->done; }, 2000);
    EXPECT_EQ(t.remote.drops(drop_reason::ip4_fragment) - frag0, 2u);
    EXPECT_EQ(t.gateway.drops(drop_reason::ip4_frag_failed), 0u);
}

TEST(t_mtudisc, path_mtu_expires) {
    mtu_topology t;
    ASSERT_TRUE(t.local.sysctl_set("net.inet.ip.mtudisc", 1));
    ping_opts o;
    o.payload_len = 1400;
    o.df = true;
    auto id = t.local.ping_start(ip("198.18.1.2"), o);
    t.w.run_until([&] { return t.local.ping_get(*id)->done; }, 2000);
    EXPECT_EQ(find(t.local.route_list(), "198.18.1.2/32")->r.mtu, 1280u);
    t.w.run_virtual_ms(601 * 1000);  // mtudisctimeout (600 s)
    EXPECT_EQ(find(t.local.route_list(), "198.18.1.2/32")->r.mtu, 0u);
    EXPECT_EQ(rtf_letters(find(t.local.route_list(), "198.18.1.2/32")->r.flags), "UGHS");
}

}  // namespace
}  // namespace mpnet::testing
