// SPDX-License-Identifier: BSD-2-Clause
// Port of NetBSD tests/net/ndp/t_ndp.sh (neighbor discovery cache) and
// tests/net/ndp/t_dad.sh (IPv6 duplicate address detection). NetBSD's
// fc00::/64 becomes 2001:db8::/64.
#include <gtest/gtest.h>

#include "../support/world.hpp"

namespace mpnet::testing {
namespace {

struct two_hosts {
    world w;
    drivers::bus& bus1;
    stack& src;
    stack& dst;
    two_hosts(stack_config c = {})
        : bus1(w.add_bus("bus1")),
          src(w.add_host6("src", bus1, "shmif0", "2001:db8::1", 64, c)),
          dst(w.add_host6("dst", bus1, "shmif0", "2001:db8::2", 64, c)) {
        // setup_src_server: no entries yet.
        EXPECT_TRUE(src.ndp_get(ip6("2001:db8::1")).empty());
        EXPECT_TRUE(src.ndp_get(ip6("2001:db8::2")).empty());
    }
    std::optional<neigh_info> entry(stack& s, const char* a) {
        auto v = s.ndp_get(ip6(a));
        if (v.empty()) return std::nullopt;
        return v[0];
    }
    size_t dynamic_entries(stack& s) {
        size_t n = 0;
        for (const auto& e : s.ndp_list())
            if (!(e.flags & llflag::static_) && !e.addr6.is_link_local()) ++n;
        return n;
    }
};

TEST(t_ndp, cache_expiration) {
    stack_config c;
    c.nd_reachable_ms = 1000;
    two_hosts t(c);
    ASSERT_TRUE(t.w.ping6(t.src, ip6("2001:db8::2")));
    EXPECT_FALSE(t.entry(t.src, "2001:db8::1"));  // no entry for ourselves
    auto e = t.entry(t.src, "2001:db8::2");
    ASSERT_TRUE(e);
    EXPECT_FALSE(e->flags & llflag::static_);
    EXPECT_EQ(e->state, ll_state::reachable);
    // Sleep the remaining time + 1 s: expired, but it remains (STALE) until
    // the GC sweeps it a day later.
    t.w.run_for_ms(uint64_t(e->expire_s) * 1000 + 1000);
    e = t.entry(t.src, "2001:db8::2");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->state, ll_state::stale);
    EXPECT_GT(e->expire_s, 86000);  // ONEDAYISH
    EXPECT_LE(e->expire_s, 86400);
}

TEST(t_ndp, commands) {
    two_hosts t;
    auto& s = t.src;
    // ndp -s: permanent
    ASSERT_TRUE(s.ndp_add(ip6("2001:db8::10"), mac("b2:a0:20:00:00:10")));
    auto e = t.entry(s, "2001:db8::10");
    ASSERT_TRUE(e);
    EXPECT_TRUE(e->flags & llflag::static_);
    EXPECT_EQ(e->expire_s, -1);
    // ndp -d
    ASSERT_TRUE(s.ndp_del(ip6("2001:db8::10")));
    EXPECT_FALSE(t.entry(s, "2001:db8::10"));
    EXPECT_EQ(s.ndp_del(ip6("2001:db8::10")).error(), errc::noent);
    // A dynamic entry from a ping, and two statics.
    ASSERT_TRUE(t.w.ping6(s, ip6("2001:db8::2")));
    ASSERT_TRUE(s.ndp_add(ip6("2001:db8::11"), mac("b2:a0:20:00:00:11")));
    ASSERT_TRUE(s.ndp_add(ip6("2001:db8::12"), mac("b2:a0:20:00:00:12")));
    EXPECT_FALSE(t.entry(s, "2001:db8::2")->flags & llflag::static_);
    EXPECT_TRUE(t.entry(s, "2001:db8::11")->flags & llflag::static_);
    EXPECT_EQ(s.ndp_list().size(), 3u);  // dst and the two statics
    // "Ensure no packet upsets the src server", then ndp -c: statics survive.
    ASSERT_TRUE(t.dst.if_down("shmif0"));
    s.ndp_flush();
    EXPECT_FALSE(t.entry(s, "2001:db8::2"));
    EXPECT_TRUE(t.entry(s, "2001:db8::11"));
    EXPECT_TRUE(t.entry(s, "2001:db8::12"));
    // ndp -s ... temp: not permanent, expires.
    ASSERT_TRUE(s.ndp_add(ip6("2001:db8::10"), mac("b2:a0:20:00:00:10"), arp_opt::temp));
    e = t.entry(s, "2001:db8::10");
    ASSERT_TRUE(e);
    EXPECT_FALSE(e->flags & llflag::static_);
    EXPECT_GT(e->expire_s, 0);
    // Bad input changes nothing.
    EXPECT_EQ(s.ndp_add(ip6("ff02::1"), mac("b2:a0:20:00:00:13")).error(), errc::inval);
    EXPECT_EQ(s.ndp_add(ip6("2001:db8::13"), mac("ff:ff:ff:ff:ff:ff")).error(), errc::inval);
    EXPECT_EQ(s.ndp_add(ip6("2001:db9::13"), mac("b2:a0:20:00:00:13")).error(), errc::netunreach);
    EXPECT_EQ(s.ndp_add(ip6("fe80::13"), mac("b2:a0:20:00:00:13")).error(), errc::inval);  // needs a zone
}

TEST(t_ndp, cache_overwriting) {
    two_hosts t;
    auto& s = t.src;
    ASSERT_TRUE(s.ndp_add(ip6("2001:db8::1:1"), mac("b2:a0:20:00:00:ff")));
    // A permanent entry cannot be overwritten.
    EXPECT_EQ(s.ndp_add(ip6("2001:db8::1:1"), mac("b2:a0:20:00:00:fe")).error(), errc::exist);
    EXPECT_EQ(t.entry(s, "2001:db8::1:1")->mac, mac("b2:a0:20:00:00:ff"));
    // A dynamic one can, and becomes permanent.
    ASSERT_TRUE(t.w.ping6(s, ip6("2001:db8::2")));
    ASSERT_TRUE(s.ndp_add(ip6("2001:db8::2"), mac("b2:a0:20:00:00:00")));
    auto e = t.entry(s, "2001:db8::2");
    EXPECT_TRUE(e->flags & llflag::static_);
    EXPECT_EQ(e->mac, mac("b2:a0:20:00:00:00"));
}

TEST(t_ndp, neighborgcthresh) {
    two_hosts t;
    for (int i = 0; i < 10; ++i) {
        const std::string a = "2001:db8::2" + std::to_string(i);
        ASSERT_TRUE(t.dst.addr6_add("shmif0", ip6(a.c_str()), 64));
    }
    auto ping_range = [&](int from, int to) {
        for (int i = from; i < to; ++i) {
            const std::string a = "2001:db8::2" + std::to_string(i);
            EXPECT_TRUE(t.w.ping6(t.src, ip6(a.c_str()))) << a;
        }
    };
    ping_range(0, 3);
    EXPECT_EQ(t.dynamic_entries(t.src), 3u);
    ping_range(3, 6);
    EXPECT_EQ(t.dynamic_entries(t.src), 6u);
    ASSERT_TRUE(t.src.sysctl_set("net.inet6.ip6.neighborgcthresh", 5));
    ping_range(6, 10);
    EXPECT_LE(t.dynamic_entries(t.src), 5u) << "Neighbor caches are not GC-ed";
}

TEST(t_ndp, link_activation) {
    two_hosts t;
    t.w.run_for_ms(100);
    t.bus1.take_summaries();
    ASSERT_TRUE(t.src.if_link_add("shmif0", mac("b2:a1:00:00:00:01"), false));
    t.w.run_for_ms(1000);
    EXPECT_EQ(count_matching(t.bus1.take_summaries(), "b2:a1:00:00:00:01 > 33:33:00:00:00:01"), 0u);
    ASSERT_TRUE(t.src.if_link_add("shmif0", mac("b2:a1:00:00:00:02"), true));
    t.w.run_for_ms(1000);
    auto b = t.bus1.take_summaries();
    EXPECT_GE(count_matching(b, "b2:a1:00:00:00:02 > 33:33:00:00:00:01, ethertype IPv6 (0x86dd), length 86: "), 1u);
    EXPECT_GE(count_matching(b, " > ff02::1: ICMP6, neighbor advertisement, tgt is 2001:db8::1"), 1u);
    // The peer follows the new address (override flag).
    auto e = t.entry(t.dst, "2001:db8::1");
    if (e) {
        EXPECT_EQ(e->mac, mac("b2:a1:00:00:00:02"));
    }
}

TEST(t_ndp, purge_on_route_change_delete_and_ifdown) {
    {
        two_hosts t;
        t.w.attach(t.src, t.bus1, "shmif1");
        ASSERT_TRUE(t.src.addr6_add("shmif1", ip6("2001:db8::3"), 64));
        ASSERT_TRUE(t.src.if_up("shmif1"));
        ASSERT_TRUE(t.w.ping6(t.src, ip6("2001:db8::2")));
        ASSERT_EQ(t.src.ndp_get(ip6("2001:db8::2"), "shmif0").size(), 1u);
        route6_spec sp;
        sp.dst = *prefix6::parse("2001:db8::/64");
        sp.ifp = "shmif1";
        ASSERT_TRUE(t.src.route6_change(sp));
        EXPECT_TRUE(t.src.ndp_get(ip6("2001:db8::2"), "shmif0").empty());
    }
    {
        two_hosts t;
        ASSERT_TRUE(t.w.ping6(t.src, ip6("2001:db8::2")));
        ASSERT_TRUE(t.src.route6_delete(*prefix6::parse("2001:db8::/64")));
        EXPECT_TRUE(t.src.ndp_get(ip6("2001:db8::2")).empty());
    }
    {
        two_hosts t;
        ASSERT_TRUE(t.w.ping6(t.src, ip6("2001:db8::2")));
        ASSERT_TRUE(t.src.if_down("shmif0"));
        EXPECT_TRUE(t.src.ndp_get(ip6("2001:db8::2")).empty());
    }
}

TEST(t_ndp, nud_probe_and_failure) {
    // STALE -> DELAY -> PROBE (unicast NS) -> REACHABLE; and removal when
    // the neighbor stops answering.
    stack_config c;
    c.nd_reachable_ms = 1000;
    c.nd_delay_ms = 1000;
    two_hosts t(c);
    ASSERT_TRUE(t.w.ping6(t.src, ip6("2001:db8::2")));
    // (The peer's own NUD of us may pass through DELAY/PROBE first.)
    ASSERT_TRUE(t.w.run_until([&] { return t.entry(t.src, "2001:db8::2")->state == ll_state::stale; }, 10000));
    t.bus1.take_summaries();
    ASSERT_TRUE(t.w.ping6(t.src, ip6("2001:db8::2")));
    EXPECT_EQ(t.entry(t.src, "2001:db8::2")->state, ll_state::delay);
    t.w.run_for_ms(1200);
    auto b = t.bus1.take_summaries();
    // The probe is unicast to the cached MAC (not the solicited-node group).
    EXPECT_GE(count_matching(b, "> 2001:db8::2: ICMP6, neighbor solicitation, who has 2001:db8::2"), 1u);
    EXPECT_EQ(t.entry(t.src, "2001:db8::2")->state, ll_state::reachable);
    // The peer goes away: after the probes, the entry goes.
    ASSERT_TRUE(t.dst.if_down("shmif0"));
    t.w.run_for_ms(1500);
    ASSERT_TRUE(t.w.ping6(t.src, ip6("2001:db8::2")) == false);
    EXPECT_TRUE(t.w.run_until([&] { return !t.entry(t.src, "2001:db8::2"); }, 10000));
}

// ---- ndp/t_dad -----------------------------------------------------------------------

uint8_t flags6(stack& s, const char* ifname, const ip6_addr& a) {
    const auto info = s.if_get(ifname);
    if (info)
        for (const auto& x : info->addrs6)
            if (x.addr == a) return x.flags;
    ADD_FAILURE() << "no address " << a.str();
    return 0xff;
}

TEST(t_dad6, basic) {
    world w;
    auto& bus1 = w.add_bus("bus1");
    auto& s = w.add_stack("local");
    w.attach(s, bus1, "shmif0");
    ASSERT_TRUE(s.addr6_add("shmif0", ip6("2001:db8::1"), 64));
    ASSERT_TRUE(s.addr6_add("shmif0", ip6("2001:db8::2"), 64));
    ASSERT_TRUE(s.if_up("shmif0"));
    // mpnet checks every address configured before up (RFC 4862 5.4; NetBSD
    // skips its "primary" one).
    EXPECT_TRUE(flags6(s, "shmif0", ip6("2001:db8::2")) & in6_iff::tentative);
    w.run_for_ms(2000);
    auto b = bus1.take_summaries();
    EXPECT_EQ(count_matching(b, ":: > ff02::1:ff00:2: ICMP6, neighbor solicitation, who has 2001:db8::2, length 24"),
              1u);
    EXPECT_EQ(count_matching(b, "33:33:ff:00:00:02, ethertype IPv6 (0x86dd), length 78"), 1u);
    // The link-local address got its own DAD.
    EXPECT_EQ(count_matching(b, ":: > ff02::1:ff"), 3u);
    // "IPv6 DAD doesn't announce": no NA.
    EXPECT_EQ(count_matching(b, "neighbor advertisement"), 0u);
    ASSERT_TRUE(w.run_until([&] { return !(flags6(s, "shmif0", ip6("2001:db8::2")) & in6_iff::tentative); }, 10000));
    // While tentative the address was not usable: now it has its local route.
    bool local = false;
    for (const auto& r : s.route6_list())
        if (r.r.dst == *prefix6::parse("2001:db8::2/128")) local = r.r.flags & rtf::local;
    EXPECT_TRUE(local);
    // An address added on the fly.
    ASSERT_TRUE(s.addr6_add("shmif0", ip6("2001:db8::3"), 64));
    w.run_for_ms(500);
    EXPECT_EQ(count_matching(bus1.take_summaries(), "who has 2001:db8::3"), 1u);
    ASSERT_TRUE(w.run_until([&] { return flags6(s, "shmif0", ip6("2001:db8::3")) == 0; }, 10000));
}

TEST(t_dad6, duplicated) {
    world w;
    auto& bus1 = w.add_bus("bus1");
    stack_config c;
    auto& local = w.add_stack("local", c);
    w.attach(local, bus1, "shmif0");
    ASSERT_TRUE(local.addr6_add("shmif0", ip6("2001:db8::1"), 64));
    ASSERT_TRUE(local.if_up("shmif0"));
    auto& peer = w.add_host6("peer", bus1, "shmif0", "2001:db8::2");
    (void)peer;
    w.run_for_ms(2000);
    EXPECT_FALSE(flags6(local, "shmif0", ip6("2001:db8::1")) & in6_iff::duplicated);
    ASSERT_TRUE(local.addr6_add("shmif0", ip6("2001:db8::2"), 64));
    w.run_for_ms(1000);
    EXPECT_TRUE(flags6(local, "shmif0", ip6("2001:db8::2")) & in6_iff::duplicated);
    ASSERT_TRUE(local.addr6_add("shmif0", ip6("2001:db8::11"), 64));
    w.run_for_ms(2000);
    EXPECT_EQ(flags6(local, "shmif0", ip6("2001:db8::11")), 0);
    // A duplicated address is never a source.
    auto r = w.ping6_full(local, ip6("2001:db8::2"), "", 1000, ip6("2001:db8::2"));
    EXPECT_EQ(r.error, errc::addrnotavail);
    bool dup_event = false;
    for (const auto& e : local.take_events())
        if (e.kind == stack_event::addr_duplicated && e.family == 6 && e.addr6 == ip6("2001:db8::2")) dup_event = true;
    EXPECT_TRUE(dup_event);
}

TEST(t_dad6, dad_count) {
    world w;
    auto& bus1 = w.add_bus("bus1");
    auto& s = w.add_stack("local");
    EXPECT_EQ(*s.sysctl_get("net.inet6.ip6.dad_count"), 1);
    w.attach(s, bus1, "shmif0");
    ASSERT_TRUE(s.if_up("shmif0"));
    w.run_for_ms(2000);
    bus1.take_summaries();
    ASSERT_TRUE(s.sysctl_set("net.inet6.ip6.dad_count", 1));
    ASSERT_TRUE(s.addr6_add("shmif0", ip6("2001:db8::1"), 64));
    w.run_for_ms(4000);
    EXPECT_EQ(count_matching(bus1.take_summaries(), "who has 2001:db8::1,"), 1u);
    ASSERT_TRUE(s.sysctl_set("net.inet6.ip6.dad_count", 8));
    ASSERT_TRUE(s.addr6_add("shmif0", ip6("2001:db8::2"), 64));
    w.run_for_ms(11000);
    EXPECT_EQ(count_matching(bus1.take_summaries(), "who has 2001:db8::2,"), 8u);
    EXPECT_EQ(flags6(s, "shmif0", ip6("2001:db8::2")), 0);
    EXPECT_EQ(s.sysctl_set("net.inet6.ip6.dad_count", 17).error(), errc::inval);
}

}  // namespace
}  // namespace mpnet::testing
