// SPDX-License-Identifier: BSD-2-Clause
// Port of NetBSD tests/net/net/t_ipaddress.sh ipaddr_same_address, and the
// address API's negative space.
#include <gtest/gtest.h>

#include "../support/world.hpp"

namespace mpnet::testing {
namespace {

const route_info* find_route(const std::vector<route_info>& v, const prefix4& p) {
    for (const auto& r : v)
        if (r.r.dst == p) return &r;
    return nullptr;
}

void check_routes(stack& s, bool present) {
    auto v = s.route_list();
    const route_info* host = find_route(v, *prefix4::parse("198.18.0.1/32"));
    const route_info* net = find_route(v, *prefix4::parse("198.18.0.0/24"));
    if (!present) {
        EXPECT_EQ(host, nullptr);
        EXPECT_EQ(net, nullptr);
        return;
    }
    ASSERT_NE(host, nullptr);
    ASSERT_NE(net, nullptr);
    EXPECT_EQ(rtf_letters(host->r.flags), "UHl");
    EXPECT_EQ(host->ifname, "lo0");
    EXPECT_EQ(rtf_letters(net->r.flags), "UC");
    EXPECT_EQ(net->ifname, "shmif0");
}

TEST(t_ipaddress, same_address) {
    world w;
    auto& bus = w.add_bus("bus");
    auto& s = w.add_host("s", bus, "shmif0", "198.18.0.1");
    w.run_for_ms(100);
    check_routes(s, true);
    ASSERT_TRUE(s.addr_del("shmif0", ip("198.18.0.1")));
    check_routes(s, false);
    // Re-adding the same address recreates both routes (after DAD on the UP interface).
    ASSERT_TRUE(s.addr_add("shmif0", ip("198.18.0.1"), 24));
    w.run_for_ms(5000);
    check_routes(s, true);
    ASSERT_TRUE(s.addr_del("shmif0", ip("198.18.0.1")));
    check_routes(s, false);
}

TEST(t_ipaddress, bad_requests_change_nothing) {
    world w;
    auto& bus = w.add_bus("bus");
    auto& s = w.add_stack("s");
    w.attach(s, bus, "shmif0");
    ASSERT_TRUE(s.addr_add("shmif0", ip("198.18.0.1"), 24));
    const auto before = s.route_list().size();
    EXPECT_EQ(s.addr_add("shmif0", ip("198.18.0.1"), 24).error(), errc::exist);
    EXPECT_EQ(s.addr_add("shmif0", ip("198.18.0.7"), 33).error(), errc::inval);
    EXPECT_EQ(s.addr_add("shmif0", ip("0.0.0.0"), 24).error(), errc::inval);
    EXPECT_EQ(s.addr_add("shmif0", ip("224.0.0.1"), 24).error(), errc::inval);
    EXPECT_EQ(s.addr_add("shmif0", ip("127.0.0.2"), 8).error(), errc::inval);
    EXPECT_EQ(s.addr_add("nosuch0", ip("198.18.0.7"), 24).error(), errc::noent);
    EXPECT_EQ(s.addr_del("shmif0", ip("198.18.0.99")).error(), errc::addrnotavail);
    EXPECT_EQ(s.route_list().size(), before);
    EXPECT_EQ(s.if_get("shmif0")->addrs.size(), 1u);
}

TEST(t_ipaddress, addresses_per_interface_are_bounded) {
    world w;
    auto& bus = w.add_bus("bus");
    auto& s = w.add_stack("s");
    w.attach(s, bus, "shmif0");
    for (size_t i = 0; i < limits::addr_per_if_max; ++i)
        ASSERT_TRUE(s.addr_add("shmif0", ip4_addr(ip("198.18.2.0").v + uint32_t(i) + 1), 24));
    EXPECT_EQ(s.addr_add("shmif0", ip("198.18.3.1"), 24).error(), errc::nospc);
}

TEST(t_ipaddress, ping_own_address_goes_through_lo0) {
    world w;
    auto& bus = w.add_bus("bus");
    auto& s = w.add_host("s", bus, "shmif0", "198.18.0.1");
    w.run_for_ms(10);
    bus.take_summaries();
    EXPECT_TRUE(w.ping(s, ip("198.18.0.1")));
    EXPECT_TRUE(w.ping(s, ip("127.0.0.1")));
    EXPECT_EQ(bus.take_summaries().size(), 0u);  // nothing went on the wire
    EXPECT_GE(s.if_get("lo0")->ipackets, 4u);
}

}  // namespace
}  // namespace mpnet::testing
