// SPDX-License-Identifier: BSD-2-Clause
// Ports of NetBSD's IPv6 address, lifetime, route flag, forwarding and
// redirect tests: net/t_ipv6address, net/t_ipv6_lifetime,
// net/t_ipaddress (same_address6, auto_linklocal), route/t_flags6,
// net/t_forwarding (ipforwarding_v6 / basic6), icmp/t_icmp6_redirect.
#include <gtest/gtest.h>

#include "../support/world.hpp"
#include "mpnet/core/wire.hpp"

namespace mpnet::testing {
namespace {

ip6_addr ll_of(const stack& s, const char* ifname) {
    for (const auto& a : addrs6(s, ifname))
        if (a.addr.is_link_local()) return a.addr;
    ADD_FAILURE() << "no link-local on " << ifname;
    return {};
}

std::optional<route6_info> find_route(stack& s, const char* p, ifindex_t scope = 0) {
    const prefix6 want = prefix6::of(prefix6::parse(p)->addr.with_scope(scope), prefix6::parse(p)->len);
    for (const auto& r : s.route6_list())
        if (r.r.dst == want) return r;
    return std::nullopt;
}

std::string flags_of(stack& s, const char* p, ifindex_t scope = 0) {
    auto r = find_route(s, p, scope);
    return r ? rtf_letters(r->r.flags) : "(none)";
}

// ---- net/t_ipaddress ------------------------------------------------------------

TEST(t_ipaddress6, same_address6) {
    world w;
    auto& bus = w.add_bus("bus");
    stack_config c;
    c.dad6_count = 0;
    auto& s = w.add_stack("s", c);
    w.attach(s, bus, "shmif0");
    ASSERT_TRUE(s.if_up("shmif0"));
    for (int round = 0; round < 2; ++round) {
        ASSERT_TRUE(s.addr6_add("shmif0", ip6("2001:db8::1"), 64));
        auto host = find_route(s, "2001:db8::1/128");
        ASSERT_TRUE(host);
        EXPECT_EQ(rtf_letters(host->r.flags), "UHl");
        EXPECT_EQ(host->ifname, "lo0");
        auto net = find_route(s, "2001:db8::/64");
        ASSERT_TRUE(net);
        EXPECT_EQ(rtf_letters(net->r.flags), "UC");
        EXPECT_EQ(net->ifname, "shmif0");
        ASSERT_TRUE(s.addr6_del("shmif0", ip6("2001:db8::1")));
        EXPECT_FALSE(find_route(s, "2001:db8::1/128"));
        EXPECT_FALSE(find_route(s, "2001:db8::/64"));
    }
    EXPECT_EQ(s.addr6_del("shmif0", ip6("2001:db8::1")).error(), errc::addrnotavail);
    EXPECT_EQ(s.addr6_add("shmif0", ip6("ff02::1"), 64).error(), errc::inval);
    EXPECT_EQ(s.addr6_add("shmif0", ip6("::"), 64).error(), errc::inval);
    EXPECT_EQ(s.addr6_add("shmif0", ip6("2001:db8::1"), 129).error(), errc::inval);
}

TEST(t_ipaddress6, auto_linklocal) {
    world w;
    auto& bus = w.add_bus("bus");
    auto& s = w.add_stack("s");
    EXPECT_EQ(*s.sysctl_get("net.inet6.ip6.auto_linklocal"), 1);
    w.attach(s, bus, "shmif0");
    ASSERT_TRUE(s.if_up("shmif0"));
    const ip6_addr ll = ll_of(s, "shmif0");
    EXPECT_EQ(ll, ip6_addr::link_local(s.if_get("shmif0")->lladdr));
    ASSERT_TRUE(s.sysctl_set("net.inet6.ip6.auto_linklocal", 0));
    w.attach(s, bus, "shmif1");
    ASSERT_TRUE(s.if_up("shmif1"));
    for (const auto& a : addrs6(s, "shmif1")) EXPECT_FALSE(a.addr.is_link_local());
}

// ---- net/t_ipv6address ---------------------------------------------------------------

struct ll_world {
    world w;
    drivers::bus &bus1, &bus2, &bus_src, &bus_dst;
    stack &src, &fwd, &dst;
    ll_world()
        : bus1(w.add_bus("bus1")),
          bus2(w.add_bus("bus2")),
          bus_src(w.add_bus("bus_src")),
          bus_dst(w.add_bus("bus_dst")),
          src(mk("src", bus1, bus_src)),
          fwd(mk("fwd", bus1, bus2)),
          dst(mk("dst", bus2, bus_dst)) {
        EXPECT_TRUE(fwd.sysctl_set("net.inet6.ip6.forwarding", 1));
        w.run_for_ms(100);
    }
    stack& mk(const char* name, drivers::bus& a, drivers::bus& b) {
        stack_config c;
        c.dad6_count = 0;
        auto& s = w.add_stack(name, c);
        w.attach(s, a, "shmif0");
        w.attach(s, b, "shmif1");
        EXPECT_TRUE(s.if_up("shmif0"));
        EXPECT_TRUE(s.if_up("shmif1"));
        return s;
    }
    void clear() {
        for (auto* b : {&bus1, &bus2, &bus_src, &bus_dst}) b->take_summaries();
    }
};

TEST(t_ipv6address, linklocal) {
    ll_world t;
    const ip6_addr fwd0 = ll_of(t.fwd, "shmif0"), fwd1 = ll_of(t.fwd, "shmif1");
    const ip6_addr src0 = ll_of(t.src, "shmif0"), src1 = ll_of(t.src, "shmif1");
    const ip6_addr dst0 = ll_of(t.dst, "shmif0");
    t.clear();
    // Without a zone: No route to host. With %shmif0: answered, on bus1 only.
    EXPECT_EQ(t.w.ping6_full(t.src, fwd0).error, errc::hostunreach);
    EXPECT_TRUE(t.w.ping6(t.src, fwd0, "shmif0"));
    EXPECT_GE(count_matching(t.bus1.take_summaries(), "ICMP6, echo request"), 1u);
    EXPECT_EQ(count_matching(t.bus_src.take_summaries(), "ICMP6, echo"), 0u);
    // A link-local source of another link is refused and never seen on bus1.
    EXPECT_FALSE(t.w.ping6(t.src, fwd0, "shmif0", 1000, src1, "shmif1"));
    EXPECT_EQ(count_matching(t.bus1.take_summaries(), src1.str() + " > "), 0u);
    // A default route through FWD's link-local address.
    ASSERT_TRUE(t.fwd.addr6_add("shmif0", ip6("2001:db8:3::1"), 64));
    route6_spec d;
    d.dst = prefix6{};
    d.gateway = fwd0;
    d.gateway_zone = "shmif0";
    ASSERT_TRUE(t.src.route6_add(d));
    EXPECT_TRUE(t.w.ping6(t.src, ip6("2001:db8:3::1"), "", 1000, src0, "shmif0"));
    EXPECT_TRUE(t.w.ping6(t.fwd, src0, "shmif0"));
    EXPECT_FALSE(t.w.ping6(t.fwd, src1, "shmif0"));  // 100.0% packet loss
    // Forwarding with link-local next hops (setup_route).
    route6_spec dd;
    dd.dst = prefix6{};
    dd.gateway = fwd1;
    dd.gateway_zone = "shmif0";
    ASSERT_TRUE(t.dst.route6_add(dd));
    route6_spec r1;
    r1.dst = *prefix6::parse("2001:db8:1::/64");
    r1.gateway = src0;
    r1.gateway_zone = "shmif0";
    ASSERT_TRUE(t.fwd.route6_add(r1));
    route6_spec r2;
    r2.dst = *prefix6::parse("2001:db8:2::/64");
    r2.gateway = dst0;
    r2.gateway_zone = "shmif1";
    ASSERT_TRUE(t.fwd.route6_add(r2));
    ASSERT_TRUE(t.src.addr6_add("shmif1", ip6("2001:db8:1::1"), 64));
    ASSERT_TRUE(t.dst.addr6_add("shmif1", ip6("2001:db8:2::1"), 64));
    t.clear();
    EXPECT_TRUE(t.w.ping6(t.src, ip6("2001:db8:2::1"), "", 1000, ip6("2001:db8:1::1")));
    // A link-local source never crosses the router.
    t.clear();
    EXPECT_FALSE(t.w.ping6(t.src, ip6("2001:db8:2::1"), "", 1000, src0, "shmif0"));
    EXPECT_EQ(count_matching(t.bus2.take_summaries(), src0.str()), 0u);
    EXPECT_GE(t.fwd.drops(drop_reason::ip6_beyond_scope), 1u);
    // To DST's link-local (of bus2) from a global source: the request is
    // routed onto bus2 by DST's... no: FWD has no route to it. It reaches
    // bus2 only if sent there; NetBSD's case shows it leaving, and failing.
    EXPECT_FALSE(t.w.ping6(t.src, dst0, "shmif0", 1000, ip6("2001:db8:1::1")));
}

TEST(t_ipv6address, linklocal_ops) {
    ll_world t;
    const ip6_addr fwd0 = ll_of(t.fwd, "shmif0");
    ASSERT_TRUE(t.w.ping6(t.src, fwd0, "shmif0"));
    auto r = t.src.route6_get(fwd0, "shmif0");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->route_to, fwd0);
    EXPECT_EQ(r->ifname, "shmif0");
    EXPECT_EQ(t.src.route6_get(fwd0).error(), errc::srch);  // not in table
    EXPECT_EQ(t.src.ndp_get(fwd0, "shmif0").size(), 1u);
    EXPECT_TRUE(t.src.ndp_get(fwd0, "shmif1").empty());
}

// ---- net/t_ipv6_lifetime -----------------------------------------------------------------

TEST(t_ipv6_lifetime, basic) {
    world w;
    auto& bus = w.add_bus("bus");
    stack_config c;
    c.dad6_count = 0;
    auto& s = w.add_stack("s", c);
    w.attach(s, bus, "shmif0");
    ASSERT_TRUE(s.if_up("shmif0"));
    auto get = [&](const char* a) -> std::optional<ifaddr6_info> {
        for (const auto& x : addrs6(s, "shmif0"))
            if (x.addr == ip6(a)) return x;
        return std::nullopt;
    };
    constexpr uint32_t time = 5, bonus = 2;
    // No lifetimes: none shown.
    ASSERT_TRUE(s.addr6_add("shmif0", ip6("2001:db8::1"), 64));
    EXPECT_FALSE(get("2001:db8::1")->lifetimes_set);
    ASSERT_TRUE(s.addr6_del("shmif0", ip6("2001:db8::1")));
    // pltime only: vltime infinite; deprecated after pltime, still there.
    addr6_opts o;
    o.pltime_s = time;
    ASSERT_TRUE(s.addr6_add("shmif0", ip6("2001:db8::1"), 64, o));
    EXPECT_TRUE(get("2001:db8::1")->lifetimes_set);
    EXPECT_EQ(get("2001:db8::1")->vltime_s, -1);
    w.run_for_ms((time + bonus) * 1000);
    ASSERT_TRUE(get("2001:db8::1"));
    EXPECT_TRUE(get("2001:db8::1")->flags & in6_iff::deprecated);
    ASSERT_TRUE(s.addr6_del("shmif0", ip6("2001:db8::1")));
    // vltime only: Invalid argument.
    addr6_opts v;
    v.vltime_s = time;
    EXPECT_EQ(s.addr6_add("shmif0", ip6("2001:db8::1"), 64, v).error(), errc::inval);
    EXPECT_FALSE(get("2001:db8::1"));
    // pltime = vltime: gone after it.
    addr6_opts pv;
    pv.pltime_s = time;
    pv.vltime_s = time;
    ASSERT_TRUE(s.addr6_add("shmif0", ip6("2001:db8::1"), 64, pv));
    w.run_for_ms((time + bonus) * 1000);
    EXPECT_FALSE(get("2001:db8::1"));
    EXPECT_FALSE(find_route(s, "2001:db8::1/128"));
    // pltime > vltime: Invalid argument.
    addr6_opts bad;
    bad.pltime_s = time * 2;
    bad.vltime_s = time;
    EXPECT_EQ(s.addr6_add("shmif0", ip6("2001:db8::1"), 64, bad).error(), errc::inval);
    // pltime < vltime: deprecated, then gone.
    addr6_opts two;
    two.pltime_s = time;
    two.vltime_s = time * 2;
    ASSERT_TRUE(s.addr6_add("shmif0", ip6("2001:db8::1"), 64, two));
    w.run_for_ms((time + bonus) * 1000);
    ASSERT_TRUE(get("2001:db8::1"));
    EXPECT_TRUE(get("2001:db8::1")->flags & in6_iff::deprecated);
    w.run_for_ms((time + bonus) * 1000);
    EXPECT_FALSE(get("2001:db8::1"));
}

TEST(t_ipv6_lifetime, deprecated_is_not_preferred_as_source) {
    world w;
    auto& bus = w.add_bus("bus");
    auto& a = w.add_host6("a", bus, "shmif0", "2001:db8::1");
    auto& b = w.add_host6("b", bus, "shmif0", "2001:db8::2");
    addr6_opts o;
    o.pltime_s = 0;  // deprecated from the start
    o.vltime_s = 3600;
    ASSERT_TRUE(a.addr6_del("shmif0", ip6("2001:db8::1")));
    ASSERT_TRUE(a.addr6_add("shmif0", ip6("2001:db8::1"), 64, o));
    ASSERT_TRUE(a.addr6_add("shmif0", ip6("2001:db8::9"), 64));
    bus.take_summaries();
    ASSERT_TRUE(w.ping6(a, ip6("2001:db8::2")));
    auto sum = bus.take_summaries();
    EXPECT_GE(count_matching(sum, "2001:db8::9 > 2001:db8::2: ICMP6, echo request"), 1u);
    EXPECT_EQ(count_matching(sum, "2001:db8::1 > 2001:db8::2: ICMP6, echo request"), 0u);
    (void)b;
}

// ---- route/t_flags6 ----------------------------------------------------------------------

struct flags6_world {
    world w;
    drivers::bus& bus1;
    stack& local;
    stack& peer;
    flags6_world()
        : bus1(w.add_bus("bus1")),
          local(w.add_host6("local", bus1, "shmif0", "2001:db8::2")),
          peer(w.add_host6("peer", bus1, "shmif0", "2001:db8::1")) {}
};

TEST(t_flags6, lo6_connected6_default_static) {
    flags6_world t;
    EXPECT_EQ(flags_of(t.local, "fe80::1/128", 1), "UHl");
    EXPECT_EQ(flags_of(t.local, "::1/128"), "UHl");
    EXPECT_EQ(flags_of(t.local, "2001:db8::2/128"), "UHl");
    EXPECT_EQ(flags_of(t.local, "2001:db8::/64"), "UC");
    route6_spec d;
    d.dst = prefix6{};
    d.gateway = ip6("2001:db8::1");
    ASSERT_TRUE(t.local.route6_add(d));
    EXPECT_EQ(flags_of(t.local, "::/0"), "UGS");
    route6_spec h;
    h.dst = *prefix6::parse("2001:db8::1:1/128");
    h.gateway = ip6("2001:db8::1");
    ASSERT_TRUE(t.local.route6_add(h));
    EXPECT_EQ(flags_of(t.local, "2001:db8::1:1/128"), "UGHS");
    route6_spec n;
    n.dst = *prefix6::parse("2001:d00::/24");
    n.gateway = ip6("2001:db8::1");
    ASSERT_TRUE(t.local.route6_add(n));
    EXPECT_EQ(flags_of(t.local, "2001:d00::/24"), "UGS");
    EXPECT_EQ(t.local.route6_add(n).error(), errc::exist);
    route6_spec unreachable;
    unreachable.dst = *prefix6::parse("2001:db9::/32");
    unreachable.gateway = ip6("2001:db9::1");
    EXPECT_EQ(t.local.route6_add(unreachable).error(), errc::netunreach);
}

TEST(t_flags6, blackhole6) {
    flags6_world t;
    ASSERT_TRUE(t.w.ping6(t.local, ip6("2001:db8::1")));
    ASSERT_TRUE(t.local.route6_delete(*prefix6::parse("2001:db8::/64")));
    route6_spec b;
    b.dst = *prefix6::parse("2001:db8::/64");
    b.gateway = ip6("::1");
    b.blackhole = true;
    ASSERT_TRUE(t.local.route6_add(b));
    EXPECT_EQ(flags_of(t.local, "2001:db8::/64"), "UGBS");
    EXPECT_FALSE(t.w.ping6(t.local, ip6("2001:db8::1")));  // 100.0% packet loss
    EXPECT_TRUE(t.local.ndp_get(ip6("2001:db8::1")).empty());
}

TEST(t_flags6, reject6_and_announce6) {
    flags6_world t;
    ASSERT_TRUE(t.local.route6_delete(*prefix6::parse("2001:db8::/64")));
    route6_spec r;
    r.dst = *prefix6::parse("2001:db8::/64");
    r.gateway = ip6("2001:db8::1");
    r.ifp = "shmif0";
    r.reject = true;
    ASSERT_TRUE(t.local.route6_add(r));
    EXPECT_EQ(flags_of(t.local, "2001:db8::/64"), "UGRS");
    EXPECT_EQ(t.w.ping6_full(t.local, ip6("2001:db8::1")).error, errc::hostunreach);  // No route to host
    ASSERT_TRUE(t.local.route6_delete(*prefix6::parse("2001:db8::/64")));
    r.gateway = ip6("::1");
    r.ifp.clear();
    ASSERT_TRUE(t.local.route6_add(r));
    EXPECT_EQ(flags_of(t.local, "2001:db8::/64"), "UGRS");
    EXPECT_EQ(t.w.ping6_full(t.local, ip6("2001:db8::1")).error, errc::netunreach);  // Network is unreachable
    ASSERT_TRUE(t.local.route6_delete(*prefix6::parse("2001:db8::/64")));
    route6_spec h;
    h.dst = *prefix6::parse("2001:db8::/128");
    h.gateway = ip6("::1");
    h.iface = true;
    h.reject = true;
    ASSERT_TRUE(t.local.route6_add(h));
    EXPECT_EQ(flags_of(t.local, "2001:db8::/128"), "UHRS");
    EXPECT_EQ(t.w.ping6_full(t.local, ip6("2001:db8::")).error, errc::hostunreach);
    route6_spec p;
    p.dst = *prefix6::parse("2001:db8:5::/64");
    p.gateway = ip6("::1");
    p.proxy = true;
    ASSERT_TRUE(t.local.route6_add(p));
    EXPECT_EQ(flags_of(t.local, "2001:db8:5::/64"), "UGSp");
}

// ---- net/t_forwarding (ipforwarding_v6) -------------------------------------------------

TEST(t_forwarding6, basic6_and_hoplimit) {
    world w;
    auto& bus1 = w.add_bus("bus1");
    auto& bus2 = w.add_bus("bus2");
    auto& src = w.add_host6("src", bus1, "shmif0", "2001:db8:0:1::2");
    auto& dst = w.add_host6("dst", bus2, "shmif0", "2001:db8:0:2::2");
    stack_config c;
    c.dad6_count = 0;
    auto& fwd = w.add_stack("fwd", c);
    w.attach(fwd, bus1, "shmif0");
    w.attach(fwd, bus2, "shmif1");
    ASSERT_TRUE(fwd.addr6_add("shmif0", ip6("2001:db8:0:1::1"), 64));
    ASSERT_TRUE(fwd.addr6_add("shmif1", ip6("2001:db8:0:2::1"), 64));
    ASSERT_TRUE(fwd.if_up("shmif0"));
    ASSERT_TRUE(fwd.if_up("shmif1"));
    route6_spec d;
    d.dst = prefix6{};
    d.gateway = ip6("2001:db8:0:1::1");
    ASSERT_TRUE(src.route6_add(d));
    d.gateway = ip6("2001:db8:0:2::1");
    ASSERT_TRUE(dst.route6_add(d));
    // test_setup: own addresses.
    EXPECT_TRUE(w.ping6(src, ip6("2001:db8:0:1::2")));
    EXPECT_TRUE(w.ping6(fwd, ip6("2001:db8:0:2::1")));
    ASSERT_TRUE(fwd.sysctl_set("net.inet6.ip6.forwarding", 1));
    EXPECT_EQ(*fwd.sysctl_get("net.inet6.ip6.forwarding"), 1);
    EXPECT_TRUE(w.ping6(src, ip6("2001:db8:0:1::1")));
    EXPECT_TRUE(w.ping6(src, ip6("2001:db8:0:2::2")));
    EXPECT_TRUE(w.ping6(dst, ip6("2001:db8:0:2::1")));
    EXPECT_TRUE(w.ping6(dst, ip6("2001:db8:0:1::2")));
    // test_hoplimit
    EXPECT_EQ(w.ping6_full(src, ip6("2001:db8:0:1::1"), "", 1000, {}, "", 1).received, 1);
    auto r = w.ping6_full(src, ip6("2001:db8:0:2::2"), "", 1000, {}, "", 1);
    EXPECT_EQ(r.received, 0);
    EXPECT_EQ(r.icmp_errors, 1);
    EXPECT_EQ(r.last_error_type, icmp6_time_exceeded);  // "Time to live exceeded"
    EXPECT_EQ(r.last_error_from6, ip6("2001:db8:0:1::1"));
    EXPECT_EQ(w.ping6_full(src, ip6("2001:db8:0:2::2"), "", 1000, {}, "", 2).received, 1);
    // Packet too big: the egress link is smaller than the packet.
    ASSERT_TRUE(fwd.if_set_mtu("shmif1", 1280));
    ping_opts big;
    big.payload_len = 1400;
    big.timeout_ms = 1000;
    auto id = src.ping6_start(ip6("2001:db8:0:2::2"), "", big);
    ASSERT_TRUE(id);
    w.run_until([&] { return src.ping_get(*id)->done; }, 1100);
    EXPECT_EQ(src.ping_get(*id)->last_error_type, icmp6_packet_too_big);
    src.ping_release(*id);
    EXPECT_GE(fwd.drops(drop_reason::ip6_too_big), 1u);
    // forwarding=0: fails.
    ASSERT_TRUE(fwd.sysctl_set("net.inet6.ip6.forwarding", 0));
    EXPECT_FALSE(w.ping6(src, ip6("2001:db8:0:2::2")));
    EXPECT_FALSE(w.ping6(dst, ip6("2001:db8:0:1::2")));
    EXPECT_GE(fwd.drops(drop_reason::ip6_not_local), 1u);
}

// ---- icmp/t_icmp6_redirect -------------------------------------------------------------

TEST(t_icmp6_redirect, basic) {
    world w;
    auto& bus1 = w.add_bus("bus1");
    auto& bus2 = w.add_bus("bus2");
    stack_config c;
    c.dad6_count = 0;
    // GW1: the real gateway between bus1 and bus2.
    auto& gw1 = w.add_stack("gw1", c);
    w.attach(gw1, bus1, "shmif0");
    w.attach(gw1, bus2, "shmif1");
    ASSERT_TRUE(gw1.addr6_add("shmif0", ip6("2001:db8:1::1"), 64));
    ASSERT_TRUE(gw1.addr6_add("shmif1", ip6("2001:db8:2::1"), 64));
    ASSERT_TRUE(gw1.if_up("shmif0"));
    ASSERT_TRUE(gw1.if_up("shmif1"));
    ASSERT_TRUE(gw1.sysctl_set("net.inet6.ip6.forwarding", 1));
    auto& peer = w.add_host6("peer", bus2, "shmif0", "2001:db8:2::2");
    route6_spec d;
    d.dst = prefix6{};
    d.gateway = ll_of(gw1, "shmif1");
    d.gateway_zone = "shmif0";
    ASSERT_TRUE(peer.route6_add(d));
    // GW2: the fake gateway on bus1, routing bus2's prefix through GW1.
    auto& gw2 = w.add_host6("gw2", bus1, "shmif0", "2001:db8:1::3", 64, c);
    route6_spec g;
    g.dst = *prefix6::parse("2001:db8:2::/64");
    g.gateway = ll_of(gw1, "shmif0");
    g.gateway_zone = "shmif0";
    ASSERT_TRUE(gw2.route6_add(g));
    ASSERT_TRUE(gw2.sysctl_set("net.inet6.ip6.forwarding", 1));
    // LOCAL: default route via GW2.
    auto& local = w.add_host6("local", bus1, "shmif0", "2001:db8:1::2");
    route6_spec l;
    l.dst = prefix6{};
    l.gateway = ll_of(gw2, "shmif0");
    l.gateway_zone = "shmif0";
    ASSERT_TRUE(local.route6_add(l));
    ASSERT_TRUE(local.sysctl_set("net.inet6.icmp6.redirtimeout", 5));
    w.run_for_ms(100);
    bus1.take_summaries();
    EXPECT_TRUE(w.ping6(local, ip6("2001:db8:2::2")));
    auto sums = bus1.take_summaries();
    // Sourced from LOCAL's global address (RFC 6724 picks by destination).
    EXPECT_GE(count_matching(sums, "2001:db8:1::2 > 2001:db8:2::2: ICMP6, echo request"), 1u);
    EXPECT_GE(count_matching(sums, "ICMP6, redirect, 2001:db8:2::2 to " + ll_of(gw1, "shmif0").str()),
              1u);
    auto r = local.route6_get(ip6("2001:db8:2::2"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->r.gateway.without_scope(), ll_of(gw1, "shmif0"));
    EXPECT_EQ(rtf_letters(r->r.flags), "UGHD");
    w.run_for_ms((5 + 2) * 1000);
    r = local.route6_get(ip6("2001:db8:2::2"));
    ASSERT_TRUE(r);
    EXPECT_NE(r->r.gateway.without_scope(), ll_of(gw1, "shmif0"));
}

}  // namespace
}  // namespace mpnet::testing
