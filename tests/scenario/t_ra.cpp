// SPDX-License-Identifier: BSD-2-Clause
// Port of NetBSD tests/net/ndp/t_ra.sh: router advertisements from mpnet's
// rtadvd side, learned by a host with accept_rtadv: default router list,
// prefix list, SLAAC addresses, link MTU, maxifprefixes, expiry, ndp -P/-R.
#include <gtest/gtest.h>

#include <algorithm>

#include "../support/world.hpp"

namespace mpnet::testing {
namespace {

stack_config router_cfg() {
    stack_config c;
    c.ip6_forwarding = true;  // sysctl -w net.inet6.ip6.forwarding=1
    c.dad6_count = 0;
    return c;
}

rtadv_config rtadvd_conf(uint32_t rltime = 1800) {
    // shmif0:\ :mtu#1300:maxinterval#4:mininterval#3:
    rtadv_config c;
    c.enabled = true;
    c.mtu = 1300;
    c.max_interval_s = 4;
    c.min_interval_s = 3;
    c.router_lifetime_s = rltime;
    return c;
}

struct ra_world {
    world w;
    drivers::bus& bus1;
    stack& cli;
    ra_world() : bus1(w.add_bus("bus1")), cli(add_client()) {}
    stack& add_client() {
        stack_config c;
        c.dad6_count = 0;
        auto& s = w.add_host6("cli", bus1, "shmif0", "2001:db8:2::2", 64, c);
        return s;
    }
    stack& add_router(const char* name, const char* addr) {
        auto& r = w.add_host6(name, bus1, "shmif0", addr, 64, router_cfg());
        return r;
    }
    ip6_addr ll_of(stack& s) {
        for (const auto& a : addrs6(s, "shmif0"))
            if (a.addr.is_link_local()) return a.addr;
        ADD_FAILURE() << "no link-local";
        return {};
    }
    // await_RA: until the client's RA input counter moves.
    void await_ra() {
        const uint64_t before = cli.ra_received();
        EXPECT_TRUE(w.run_until([&] { return cli.ra_received() > before; }, 10000));
        w.run_for_ms(10);
    }
    bool has_router(const ip6_addr& r) {
        for (const auto& d : cli.ndp_routers())
            if (d.addr == r && d.ifname == "shmif0") return true;
        return false;
    }
    const nd_prefix_info* prefix(const char* p, std::vector<nd_prefix_info>& store) {
        store = cli.ndp_prefixes();
        for (const auto& x : store)
            if (x.prefix == *prefix6::parse(p)) return &x;
        return nullptr;
    }
    std::optional<ifaddr6_info> autoconf_in(const char* p) {
        for (const auto& a : addrs6(cli, "shmif0"))
            if (prefix6::parse(p)->contains(a.addr)) return a;
        return std::nullopt;
    }
    /// The common start: the client accepts RAs, r1 (2001:db8:1::1) runs
    /// rtadvd with `conf`, and the client has learned it (check_entries).
    stack& r1_advertising(const rtadv_config& conf) {
        EXPECT_TRUE(cli.sysctl_set("net.inet6.ip6.accept_rtadv", 1));
        auto& r1 = add_router("r1", "2001:db8:1::1");
        EXPECT_TRUE(r1.rtadv_set("shmif0", conf));
        await_ra();
        check_entries(r1, "2001:db8:1::/64");
        return r1;
    }
    // check_entries CLI SRV PREFIX
    void check_entries(stack& srv, const char* pfx) {
        const ip6_addr rll = ll_of(srv);
        EXPECT_TRUE(has_router(rll));
        std::vector<nd_prefix_info> store;
        const nd_prefix_info* p = prefix(pfx, store);
        ASSERT_NE(p, nullptr) << pfx;
        EXPECT_TRUE(std::find(p->routers.begin(), p->routers.end(), rll) != p->routers.end());
        EXPECT_EQ(cli.ndp_ifinfo("shmif0")->linkmtu, 1300u);
        auto e = cli.ndp_get(rll, "shmif0");
        ASSERT_EQ(e.size(), 1u);
        EXPECT_EQ(e[0].state, ll_state::stale);
        EXPECT_TRUE(e[0].flags & llflag::router);
        EXPECT_GT(e[0].expire_s, 86000);  // ONEDAYISH
        auto a = autoconf_in(pfx);
        ASSERT_TRUE(a) << pfx;
        EXPECT_TRUE(a->flags & in6_iff::autoconf);
        // SLAAC: the prefix and our modified EUI-64.
        ip6_addr want = prefix6::parse(pfx)->addr;
        want.set_eui64(cli.if_get("shmif0")->lladdr);
        EXPECT_EQ(a->addr, want);
    }
};

TEST(t_ra, basic) {
    ra_world t;
    auto& r1 = t.add_router("r1", "2001:db8:1::1");
    EXPECT_EQ(*t.cli.sysctl_get("net.inet6.ip6.accept_rtadv"), 0);
    ASSERT_TRUE(r1.rtadv_set("shmif0", rtadvd_conf()));
    t.await_ra();
    // Ignored while accept_rtadv is off.
    EXPECT_TRUE(t.cli.ndp_routers().empty());
    EXPECT_TRUE(t.cli.ndp_prefixes().empty());
    EXPECT_EQ(t.cli.ndp_ifinfo("shmif0")->linkmtu, 0u);
    EXPECT_FALSE(t.autoconf_in("2001:db8:1::/64"));
    EXPECT_GE(t.cli.drops(drop_reason::nd_ra_ignored), 1u);
    ASSERT_TRUE(t.cli.sysctl_set("net.inet6.ip6.accept_rtadv", 1));
    ASSERT_TRUE(r1.rtadv_set("shmif0", rtadvd_conf()));  // restart rtadvd
    t.await_ra();
    t.check_entries(r1, "2001:db8:1::/64");
    // A default route through the router's link-local address, and the
    // client reaches the router's global address with its SLAAC address.
    auto rt = t.cli.route6_get(ip6("2001:db8:99::1"));
    ASSERT_TRUE(rt);
    EXPECT_EQ(rt->r.gateway.without_scope(), t.ll_of(r1));
    EXPECT_EQ(rtf_letters(rt->r.flags), "UG");
    t.w.run_for_ms(1000);  // the SLAAC address passes DAD (dad_count 0 here: at once)
    auto r = t.w.ping6_full(t.cli, ip6("2001:db8:1::1"));
    EXPECT_EQ(r.received, 1);
    // The router (forwarding on) ignores advertisements itself.
    EXPECT_TRUE(r1.ndp_routers().empty());
}

TEST(t_ra, flush_prefix_entries) {
    ra_world t;
    auto& r1 = t.r1_advertising(rtadvd_conf());
    // rtadvd killed: NetBSD's test stops it without a final RA (mpnet's
    // `rtadvd IF stop` sends one: final_ra_on_stop); the router goes quiet.
    ASSERT_TRUE(r1.if_down("shmif0"));
    t.w.run_for_ms(100);
    t.cli.ndp_flush_prefixes();  // ndp -P
    EXPECT_TRUE(t.has_router(t.ll_of(r1)));
    EXPECT_TRUE(t.cli.ndp_prefixes().empty());
    EXPECT_EQ(t.cli.ndp_ifinfo("shmif0")->linkmtu, 1300u);
    EXPECT_EQ(t.cli.ndp_get(t.ll_of(r1), "shmif0").size(), 1u);
    EXPECT_FALSE(t.autoconf_in("2001:db8:1::/64"));  // the autoconf address went with its prefix
}

TEST(t_ra, flush_defrouter_entries) {
    ra_world t;
    auto& r1 = t.r1_advertising(rtadvd_conf());
    ASSERT_TRUE(r1.rtadv_set("shmif0", rtadv_config{}));
    t.cli.ndp_flush_routers();  // ndp -R
    EXPECT_TRUE(t.cli.ndp_routers().empty());
    std::vector<nd_prefix_info> store;
    const auto* p = t.prefix("2001:db8:1::/64", store);
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(p->routers.empty());  // "No advertising router"
    EXPECT_EQ(t.cli.ndp_ifinfo("shmif0")->linkmtu, 1300u);
    EXPECT_TRUE(t.autoconf_in("2001:db8:1::/64"));          // the address stays
    EXPECT_FALSE(t.cli.route6_get(ip6("2001:db8:99::1")));  // no default route any more
}

TEST(t_ra, delete_address) {
    ra_world t;
    ASSERT_TRUE(t.cli.sysctl_set("net.inet6.ip6.accept_rtadv", 1));
    auto& r1 = t.add_router("r1", "2001:db8:1::1");
    ASSERT_TRUE(r1.rtadv_set("shmif0", rtadvd_conf()));
    t.await_ra();
    auto a = t.autoconf_in("2001:db8:1::/64");
    ASSERT_TRUE(a);
    EXPECT_TRUE(t.cli.addr6_del("shmif0", a->addr));
    EXPECT_FALSE(t.autoconf_in("2001:db8:1::/64"));
}

TEST(t_ra, multiple_routers) {
    ra_world t;
    ASSERT_TRUE(t.cli.sysctl_set("net.inet6.ip6.accept_rtadv", 1));
    auto& r1 = t.add_router("r1", "2001:db8:1::1");
    auto& r3 = t.add_router("r3", "2001:db8:3::1");
    ASSERT_TRUE(r1.rtadv_set("shmif0", rtadvd_conf()));
    ASSERT_TRUE(r3.rtadv_set("shmif0", rtadvd_conf()));
    t.await_ra();
    t.w.run_for_ms(5000);
    t.check_entries(r1, "2001:db8:1::/64");
    t.check_entries(r3, "2001:db8:3::/64");
    EXPECT_EQ(t.cli.ndp_prefixes().size(), 2u);
    EXPECT_EQ(t.cli.ndp_routers().size(), 2u);
}

TEST(t_ra, multiple_routers_single_prefix) {
    ra_world t;
    ASSERT_TRUE(t.cli.sysctl_set("net.inet6.ip6.accept_rtadv", 1));
    auto& r1 = t.add_router("r1", "2001:db8:1::1");
    auto& r12 = t.add_router("r12", "2001:db8:1::2");
    ASSERT_TRUE(r1.rtadv_set("shmif0", rtadvd_conf()));
    ASSERT_TRUE(r12.rtadv_set("shmif0", rtadvd_conf()));
    t.await_ra();
    t.w.run_for_ms(5000);
    t.check_entries(r1, "2001:db8:1::/64");
    t.check_entries(r12, "2001:db8:1::/64");
    auto p = t.cli.ndp_prefixes();
    ASSERT_EQ(p.size(), 1u);  // one prefix, advertised by two routers
    EXPECT_EQ(p[0].routers.size(), 2u);
}

TEST(t_ra, multiple_routers_maxifprefixes) {
    ra_world t;
    ASSERT_TRUE(t.cli.sysctl_set("net.inet6.ip6.accept_rtadv", 1));
    EXPECT_EQ(*t.cli.sysctl_get("net.inet6.ip6.maxifprefixes"), 16);
    ASSERT_TRUE(t.cli.sysctl_set("net.inet6.ip6.maxifprefixes", 2));
    auto& r1 = t.add_router("r1", "2001:db8:1::1");
    auto& r3 = t.add_router("r3", "2001:db8:3::1");
    ASSERT_TRUE(r1.rtadv_set("shmif0", rtadvd_conf()));
    ASSERT_TRUE(r3.rtadv_set("shmif0", rtadvd_conf()));
    t.w.run_for_ms(5000);
    EXPECT_EQ(t.cli.ndp_prefixes().size(), 2u);
    auto& r4 = t.add_router("r4", "2001:db8:4::1");
    ASSERT_TRUE(r4.rtadv_set("shmif0", rtadvd_conf()));
    t.w.run_for_ms(5000);
    EXPECT_EQ(t.cli.ndp_prefixes().size(), 2u);
    EXPECT_GE(t.cli.drops(drop_reason::nd_prefix_limit), 1u);
    EXPECT_FALSE(t.autoconf_in("2001:db8:4::/64"));
}

TEST(t_ra, defrouter_expiration) {
    ra_world t;
    auto& r1 = t.r1_advertising(rtadvd_conf(5));  // rltime#5
    ASSERT_TRUE(r1.if_down("shmif0"));  // rtadvd killed: no final RA, the lifetime runs out
    t.w.run_for_ms((5 + 2) * 1000);
    EXPECT_FALSE(t.has_router(t.ll_of(r1)));
    std::vector<nd_prefix_info> store;
    const auto* p = t.prefix("2001:db8:1::/64", store);
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(p->routers.empty());
    EXPECT_EQ(t.cli.ndp_ifinfo("shmif0")->linkmtu, 1300u);
    EXPECT_TRUE(t.autoconf_in("2001:db8:1::/64"));
}

TEST(t_ra, prefix_expiration) {
    ra_world t;
    ASSERT_TRUE(t.cli.sysctl_set("net.inet6.ip6.accept_rtadv", 1));
    auto& r1 = t.add_router("r1", "2001:db8:1::1");
    rtadv_config c = rtadvd_conf();
    rtadv_prefix p;
    p.prefix = *prefix6::parse("2001:db8:1::/64");
    p.vltime_s = 5;  // addr="fc00:1::":vltime#5
    p.pltime_s = 5;
    c.prefixes.push_back(p);
    ASSERT_TRUE(r1.rtadv_set("shmif0", c));
    t.await_ra();
    t.check_entries(r1, "2001:db8:1::/64");
    ASSERT_TRUE(r1.if_down("shmif0"));  // rtadvd killed: no final RA
    t.w.run_for_ms((5 + 2) * 1000);
    EXPECT_TRUE(t.has_router(t.ll_of(r1)));
    EXPECT_TRUE(t.cli.ndp_prefixes().empty());
    EXPECT_EQ(t.cli.ndp_get(t.ll_of(r1), "shmif0").size(), 1u);
    EXPECT_FALSE(t.autoconf_in("2001:db8:1::/64"));
}

// RFC 4861 6.2.5: `rtadvd IF stop` sends a final RA with router lifetime 0,
// and hosts drop the router at once instead of when its lifetime runs out.
TEST(t_ra, final_ra_on_stop) {
    ra_world t;
    auto& r1 = t.r1_advertising(rtadvd_conf());
    const uint64_t before = t.cli.ra_received();
    ASSERT_TRUE(r1.rtadv_set("shmif0", rtadv_config{}));
    t.w.run_for_ms(50);
    EXPECT_EQ(t.cli.ra_received(), before + 1);
    EXPECT_FALSE(t.has_router(t.ll_of(r1)));
    EXPECT_FALSE(r1.rtadv_get("shmif0")->enabled);
    // The prefix stays until its own lifetime ends (RFC 4861 6.3.4).
    std::vector<nd_prefix_info> store;
    EXPECT_NE(t.prefix("2001:db8:1::/64", store), nullptr);
    EXPECT_TRUE(t.autoconf_in("2001:db8:1::/64"));
}

TEST(t_ra, router_solicitation_is_answered_and_bad_config_refused) {
    ra_world t;
    auto& r1 = t.add_router("r1", "2001:db8:1::1");
    rtadv_config bad = rtadvd_conf();
    bad.min_interval_s = 4;  // more than 0.75 * maxinterval
    EXPECT_EQ(r1.rtadv_set("shmif0", bad).error(), errc::inval);
    bad = rtadvd_conf();
    bad.mtu = 1000;  // below the IPv6 minimum
    EXPECT_EQ(r1.rtadv_set("shmif0", bad).error(), errc::inval);
    bad = rtadvd_conf();
    bad.prefixes.push_back({*prefix6::parse("2001:db8:5::/64"), 10, 20, true, true});  // pltime > vltime
    EXPECT_EQ(r1.rtadv_set("shmif0", bad).error(), errc::inval);
    EXPECT_FALSE(r1.rtadv_get("shmif0")->enabled);  // nothing changed
    ASSERT_TRUE(r1.rtadv_set("shmif0", rtadvd_conf()));
    EXPECT_TRUE(r1.rtadv_get("shmif0")->enabled);
}

}  // namespace
}  // namespace mpnet::testing
