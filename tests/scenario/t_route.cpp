// SPDX-License-Identifier: BSD-2-Clause
// Ports of NetBSD tests/net/route/t_flags.sh, t_route.sh and t_change.sh.
#include <gtest/gtest.h>

#include "../support/world.hpp"
#include "mpnet/stack/show.hpp"

namespace mpnet::testing {
namespace {

prefix4 P(const char* s) { return *prefix4::parse(s); }

route_spec R(const char* dst, const char* gw = nullptr) {
    route_spec s;
    s.dst = P(dst);
    if (gw) s.gateway = ip(gw);
    return s;
}

std::string flags_of(stack& s, const char* dst) {
    for (const auto& r : s.route_list())
        if (r.r.dst == P(dst)) return rtf_letters(r.r.flags);
    return "(none)";
}

std::string gateway_of(stack& s, const char* dst) {
    for (const auto& r : s.route_list())
        if (r.r.dst == P(dst)) return r.r.gateway.str();
    return "(none)";
}

// LOCAL 198.18.0.2/24 and PEER 198.18.0.1/24 on bus1 (t_flags' topology).
struct flags_topology {
    world w;
    drivers::bus& bus1;
    stack& local;
    stack& peer;
    flags_topology()
        : bus1(w.add_bus("bus1")),
          local(w.add_host("local", bus1, "shmif0", "198.18.0.2")),
          peer(w.add_host("peer", bus1, "shmif0", "198.18.0.1")) {
        w.run_for_ms(10);
    }
};

TEST(t_flags, lo_and_connected) {
    flags_topology t;
    EXPECT_EQ(flags_of(t.local, "127.0.0.1/32"), "UHl");
    EXPECT_EQ(flags_of(t.local, "198.18.0.2/32"), "UHl");
    EXPECT_EQ(flags_of(t.local, "198.18.0.0/24"), "UC");
}

TEST(t_flags, default_gateway_and_static) {
    flags_topology t;
    ASSERT_TRUE(t.local.route_add(R("0.0.0.0/0", "198.18.0.1")));
    EXPECT_EQ(flags_of(t.local, "0.0.0.0/0"), "UGS");
    ASSERT_TRUE(t.local.route_add(R("198.18.1.1/32", "198.18.0.1")));
    EXPECT_EQ(flags_of(t.local, "198.18.1.1/32"), "UGHS");
    ASSERT_TRUE(t.local.route_add(R("198.18.2.0/24", "198.18.0.1")));
    EXPECT_EQ(flags_of(t.local, "198.18.2.0/24"), "UGS");
    const std::string table = format_routes(t.local.route_list());
    EXPECT_NE(table.find("198.18.2/24 "), std::string::npos) << table;
    EXPECT_NE(table.find("198.18.0/24 "), std::string::npos) << table;  // netstat's 10.0.0/24 form
    EXPECT_NE(table.find("127/8 "), std::string::npos) << table;
    EXPECT_NE(format_routes(t.local.route_list()).find("default"), std::string::npos);
    // File exists; a failed add changes nothing.
    EXPECT_EQ(t.local.route_add(R("198.18.2.0/24", "198.18.0.1")).error(), errc::exist);
    EXPECT_EQ(t.local.route_list().size(), 7u);
}

TEST(t_flags, blackhole) {
    flags_topology t;
    ASSERT_TRUE(t.w.ping(t.local, ip("198.18.0.1")));
    ASSERT_TRUE(t.local.route_delete(P("198.18.0.0/24")));
    route_spec b = R("198.18.0.0/24", "127.0.0.1");  // "Gateway must be lo0"
    b.blackhole = true;
    ASSERT_TRUE(t.local.route_add(b));
    EXPECT_EQ(flags_of(t.local, "198.18.0.0/24"), "UGBS");
    EXPECT_FALSE(t.w.ping(t.local, ip("198.18.0.1")));  // 100.0% packet loss
    EXPECT_EQ(flags_of(t.local, "198.18.0.1/32"), "(none)");
}

TEST(t_flags, reject) {
    flags_topology t;
    ASSERT_TRUE(t.local.route_delete(P("198.18.0.0/24")));
    // 1. via a gateway on shmif0: No route to host.
    route_spec r1 = R("198.18.0.0/24", "198.18.0.1");
    r1.ifp = "shmif0";  // the connected route is gone: pin the interface
    r1.reject = true;
    ASSERT_TRUE(t.local.route_add(r1));
    EXPECT_EQ(flags_of(t.local, "198.18.0.0/24"), "UGRS");
    auto id = t.local.ping_start(ip("198.18.0.1"));
    t.w.run_for_ms(5);
    EXPECT_EQ(t.local.ping_get(*id)->error, errc::hostunreach);
    EXPECT_EQ(errc_message(errc::hostunreach), "No route to host");
    EXPECT_TRUE(t.local.arp_get(ip("198.18.0.1")).empty());
    ASSERT_TRUE(t.local.route_delete(P("198.18.0.0/24")));
    // 2. via lo0: Network is unreachable.
    route_spec r2 = R("198.18.0.0/24", "127.0.0.1");
    r2.reject = true;
    ASSERT_TRUE(t.local.route_add(r2));
    EXPECT_EQ(flags_of(t.local, "198.18.0.0/24"), "UGRS");
    id = t.local.ping_start(ip("198.18.0.1"));
    t.w.run_for_ms(5);
    EXPECT_EQ(t.local.ping_get(*id)->error, errc::netunreach);
    ASSERT_TRUE(t.local.route_delete(P("198.18.0.0/24")));
    // 3. host route, -iface via lo0: No route to host.
    route_spec r3 = R("198.18.0.1/32", "127.0.0.1");
    r3.iface = true;
    r3.reject = true;
    ASSERT_TRUE(t.local.route_add(r3));
    EXPECT_EQ(flags_of(t.local, "198.18.0.1/32"), "UHRS");
    id = t.local.ping_start(ip("198.18.0.1"));
    t.w.run_for_ms(5);
    EXPECT_EQ(t.local.ping_get(*id)->error, errc::hostunreach);
}

TEST(t_flags, announce) {
    flags_topology t;
    route_spec p = R("198.18.5.0/24", "198.18.0.1");
    p.proxy = true;
    ASSERT_TRUE(t.local.route_add(p));
    EXPECT_EQ(flags_of(t.local, "198.18.5.0/24"), "UGSp");
}

TEST(t_route, command_add) {
    world w;
    auto& bus = w.add_bus("bus");
    auto& s = w.add_host("s", bus, "shmif0", "198.18.0.1");
    // Accepted: gateways on the subnet, an interface route, a gateway reached
    // through a non-gateway route.
    EXPECT_TRUE(s.route_add(R("198.18.1.0/24", "198.18.0.2")));
    EXPECT_TRUE(s.route_add(R("198.18.2.1/32", "198.18.0.3")));
    route_spec ifr = R("198.18.3.0/24");
    ifr.connected = true;
    ifr.ifp = "shmif0";
    EXPECT_TRUE(s.route_add(ifr));
    EXPECT_TRUE(s.route_add(R("198.18.4.0/24", "198.18.3.1")));
    // Rejected: unreachable, or reachable only through a gateway route.
    auto e1 = s.route_add(R("198.18.1.0/26", "198.18.5.1"));
    EXPECT_EQ(e1.error(), errc::netunreach);
    EXPECT_NE(errc_message(e1.error()).find("unreachable"), std::string_view::npos);
    EXPECT_EQ(s.route_add(R("198.18.6.0/24", "198.18.1.1")).error(), errc::netunreach);
    EXPECT_EQ(s.route_add(R("198.18.7.0/24", "198.18.0.9")).error(), errc::ok);
    route_spec bad = R("198.18.8.0/24", "198.18.0.9");
    bad.ifp = "nosuch0";
    EXPECT_EQ(s.route_add(bad).error(), errc::noent);
    bad.ifp.clear();
    bad.ifa = ip("198.19.0.1");
    EXPECT_EQ(s.route_add(bad).error(), errc::addrnotavail);
    EXPECT_EQ(s.route_delete(P("198.18.9.0/24")).error(), errc::srch);
}

TEST(t_route, non_subnet_gateway) {
    world w;
    auto& bus1 = w.add_bus("bus1");
    auto& gw = w.add_host("gw", bus1, "shmif0", "198.18.168.1");
    auto& client = w.add_host("client", bus1, "shmif0", "198.18.10.1", 32);
    w.run_for_ms(10);
    // gw reaches 198.18.10.1 through an interface route on shmif0.
    route_spec back = R("198.18.10.1/32");
    back.ifp = "shmif0";
    ASSERT_TRUE(gw.route_add(back));
    auto id = client.ping_start(ip("198.18.168.1"));
    w.run_for_ms(5);
    EXPECT_EQ(client.ping_get(*id)->error, errc::netunreach);  // no route at all
    route_spec link = R("198.18.168.1/32");
    link.ifp = "shmif0";
    ASSERT_TRUE(client.route_add(link));
    route_spec dflt = R("0.0.0.0/0", "198.18.168.1");
    dflt.ifa = ip("198.18.10.1");
    ASSERT_TRUE(client.route_add(dflt));
    EXPECT_TRUE(w.ping(client, ip("198.18.168.1")));
}

// SRC 198.18.1.2 / FWD 198.18.1.1+198.18.2.1 / DST 198.18.2.2 with forwarding.
TEST(t_route, command_get) {
    world w;
    auto& bus1 = w.add_bus("bus1");
    auto& bus2 = w.add_bus("bus2");
    auto& src = w.add_host("src", bus1, "shmif0", "198.18.1.2");
    auto& fwd = w.add_host("fwd", bus1, "shmif0", "198.18.1.1");
    w.add_host("dst", bus2, "shmif0", "198.18.2.2");
    w.attach(fwd, bus2, "shmif1");
    ASSERT_TRUE(fwd.addr_add("shmif1", ip("198.18.2.1"), 24));
    ASSERT_TRUE(fwd.if_up("shmif1"));
    ASSERT_TRUE(fwd.sysctl_set("net.inet.ip.forwarding", 1));
    ASSERT_TRUE(src.route_add(R("0.0.0.0/0", "198.18.1.1")));
    w.run_for_ms(10);
    auto text = [&](const char* a) { return format_route_get(*src.route_get(ip(a))); };
    EXPECT_EQ(text("198.18.1.2"),
              "   route to: 198.18.1.2\n"
              "destination: 198.18.1.2\n"
              " local addr: 198.18.1.2\n"
              "  interface: lo0\n"
              "      flags: 0x40045<UP,HOST,DONE,LOCAL>\n"
              " recvpipe  sendpipe  ssthresh  rtt,msec    rttvar  hopcount      mtu     expire\n"
              "        0         0         0         0         0         0         0         0\n");
    const std::string neighbour = text("198.18.1.1");
    EXPECT_EQ(neighbour,
              "   route to: 198.18.1.1\n"
              "destination: 198.18.1.0\n"
              "       mask: 255.255.255.0\n"
              " local addr: 198.18.1.2\n"
              "  interface: shmif0\n"
              "      flags: 0x141<UP,DONE,CONNECTED>\n"
              " recvpipe  sendpipe  ssthresh  rtt,msec    rttvar  hopcount      mtu     expire\n"
              "        0         0         0         0         0         0         0         0\n");
    EXPECT_EQ(text("198.18.2.2"),
              "   route to: 198.18.2.2\n"
              "destination: default\n"
              "       mask: default\n"
              "    gateway: 198.18.1.1\n"
              " local addr: 198.18.1.2\n"
              "  interface: shmif0\n"
              "      flags: 0x843<UP,GATEWAY,DONE,STATIC>\n"
              " recvpipe  sendpipe  ssthresh  rtt,msec    rttvar  hopcount      mtu     expire\n"
              "        0         0         0         0         0         0         0         0\n");
    // Neighbor with a cache: no different from without one.
    ASSERT_TRUE(w.ping(src, ip("198.18.1.1")));
    ASSERT_EQ(src.arp_get(ip("198.18.1.1")).size(), 1u);
    EXPECT_EQ(text("198.18.1.1"), neighbour);
    EXPECT_EQ(src.route_get(ip("203.0.113.1"))->r.dst.len, 0);
    ASSERT_TRUE(src.route_delete(P("0.0.0.0/0")));
    EXPECT_EQ(src.route_get(ip("203.0.113.1")).error(), errc::srch);
}

TEST(t_route, flush_keeps_interface_routes) {
    flags_topology t;
    ASSERT_TRUE(t.local.route_add(R("0.0.0.0/0", "198.18.0.1")));
    ASSERT_TRUE(t.local.route_add(R("198.18.9.0/24", "198.18.0.1")));
    t.local.route_flush();
    EXPECT_EQ(flags_of(t.local, "127.0.0.1/32"), "UHl");
    EXPECT_EQ(flags_of(t.local, "198.18.0.0/24"), "UC");
    EXPECT_EQ(flags_of(t.local, "0.0.0.0/0"), "(none)");
    EXPECT_EQ(flags_of(t.local, "198.18.9.0/24"), "(none)");
}

TEST(t_route, deleting_an_address_removes_its_routes) {
    flags_topology t;
    ASSERT_TRUE(t.local.route_add(R("198.18.9.0/24", "198.18.0.1")));
    ASSERT_TRUE(t.local.addr_del("shmif0", ip("198.18.0.2")));
    EXPECT_EQ(flags_of(t.local, "198.18.0.0/24"), "(none)");
    EXPECT_EQ(flags_of(t.local, "198.18.0.2/32"), "(none)");
    EXPECT_EQ(flags_of(t.local, "198.18.9.0/24"), "(none)");  // its gateway became unreachable
    bool saw_delete = false;
    for (const auto& e : t.local.take_events())
        saw_delete |= e.kind == stack_event::rtm_delete && e.dst == P("198.18.9.0/24");
    EXPECT_TRUE(saw_delete);
}

TEST(t_route, purge_on_route_delete_and_change) {
    flags_topology t;
    ASSERT_TRUE(t.w.ping(t.local, ip("198.18.0.1")));
    ASSERT_EQ(t.local.arp_get(ip("198.18.0.1")).size(), 1u);
    ASSERT_TRUE(t.local.route_delete(P("198.18.0.0/24")));
    EXPECT_TRUE(t.local.arp_get(ip("198.18.0.1")).empty());  // arp_purge_on_route_delete
    // arp_purge_on_route_change: a second interface on the same bus.
    world w;
    auto& bus1 = w.add_bus("bus1");
    auto& src = w.add_host("src", bus1, "shmif0", "198.18.1.1");
    w.add_host("dst", bus1, "shmif0", "198.18.1.2");
    w.attach(src, bus1, "shmif1");
    ASSERT_TRUE(src.addr_add("shmif1", ip("198.18.1.5"), 24));
    ASSERT_TRUE(src.if_up("shmif1"));
    ASSERT_TRUE(w.ping(src, ip("198.18.1.2")));
    ASSERT_EQ(src.arp_get(ip("198.18.1.2")).size(), 1u);
    route_spec ch;
    ch.dst = P("198.18.1.0/24");
    ch.ifp = "shmif1";
    ASSERT_TRUE(src.route_change(ch));
    EXPECT_TRUE(src.arp_get(ip("198.18.1.2")).empty());
}

TEST(t_change, reject2blackhole) {
    flags_topology t;
    route_spec r = R("198.19.197.32/32", "127.0.0.1");
    r.reject = true;
    ASSERT_TRUE(t.local.route_add(r));
    EXPECT_EQ(flags_of(t.local, "198.19.197.32/32"), "UGHRS");
    route_spec c = R("198.19.197.32/32", "127.0.0.1");
    c.blackhole = true;
    c.noreject = true;
    ASSERT_TRUE(t.local.route_change(c));
    EXPECT_EQ(flags_of(t.local, "198.19.197.32/32"), "UGHBS");
}

TEST(t_change, gateway_ifa_ifp) {
    world w;
    auto& bus = w.add_bus("bus");
    auto& s = w.add_host("s", bus, "shmif0", "198.18.0.10");
    ASSERT_TRUE(s.addr_add("shmif0", ip("198.18.0.11"), 24));
    w.run_for_ms(5000);
    ASSERT_TRUE(s.route_add(R("198.18.168.0/24", "198.18.0.1")));
    auto g = *s.route_get(ip("198.18.168.1"));
    EXPECT_EQ(g.r.gateway, ip("198.18.0.1"));
    EXPECT_EQ(g.r.ifa, ip("198.18.0.10"));
    EXPECT_EQ(rtf_words(g.r.flags), "0x843<UP,GATEWAY,DONE,STATIC>");
    // route change ... gateway
    ASSERT_TRUE(s.route_change(R("198.18.168.0/24", "198.18.0.254")));
    EXPECT_EQ(gateway_of(s, "198.18.168.0/24"), "198.18.0.254");
    // -ifa
    route_spec a = R("198.18.168.0/24", "198.18.0.1");
    a.ifa = ip("198.18.0.11");
    ASSERT_TRUE(s.route_change(a));
    g = *s.route_get(ip("198.18.168.1"));
    EXPECT_EQ(g.r.ifa, ip("198.18.0.11"));
    EXPECT_EQ(g.r.gateway, ip("198.18.0.1"));
    // -ifp on a second interface on the same bus
    w.attach(s, bus, "shmif1");
    ASSERT_TRUE(s.addr_add("shmif1", ip("198.18.0.12"), 24));
    ASSERT_TRUE(s.if_up("shmif1"));
    w.run_for_ms(5000);
    route_spec p = R("198.18.168.0/24", "198.18.0.1");
    p.ifp = "shmif1";
    ASSERT_TRUE(s.route_change(p));
    g = *s.route_get(ip("198.18.168.1"));
    EXPECT_EQ(g.ifname, "shmif1");
    EXPECT_EQ(g.r.ifa, ip("198.18.0.12"));
    // -ifa and -ifp without a gateway: the gateway stays.
    route_spec pa;
    pa.dst = P("198.18.168.0/24");
    pa.ifp = "shmif1";
    pa.ifa = ip("198.18.0.10");
    ASSERT_TRUE(s.route_change(pa));
    g = *s.route_get(ip("198.18.168.1"));
    EXPECT_EQ(g.r.gateway, ip("198.18.0.1"));
    EXPECT_EQ(g.ifname, "shmif1");
    EXPECT_EQ(g.r.ifa, ip("198.18.0.10"));
    EXPECT_EQ(s.route_change(R("198.18.169.0/24", "198.18.0.1")).error(), errc::srch);
}

TEST(t_change, flags) {
    flags_topology t;
    EXPECT_EQ(flags_of(t.local, "198.18.0.0/24"), "UC");
    route_spec c;
    c.dst = P("198.18.0.0/24");
    c.reject = true;
    ASSERT_TRUE(t.local.route_change(c));
    EXPECT_EQ(flags_of(t.local, "198.18.0.0/24"), "URCS");
    c.reject = false;
    c.noreject = true;
    ASSERT_TRUE(t.local.route_change(c));
    EXPECT_EQ(flags_of(t.local, "198.18.0.0/24"), "UCS");
    ASSERT_TRUE(t.local.route_add(R("0.0.0.0/0", "198.18.0.1")));
    route_spec d;
    d.dst = P("0.0.0.0/0");
    d.reject = true;
    ASSERT_TRUE(t.local.route_change(d));
    EXPECT_EQ(flags_of(t.local, "0.0.0.0/0"), "UGRS");
    d.reject = false;
    d.noreject = true;
    ASSERT_TRUE(t.local.route_change(d));
    EXPECT_EQ(flags_of(t.local, "0.0.0.0/0"), "UGS");
    // -reject and -blackhole together are refused and change nothing.
    d.noreject = false;
    d.reject = d.blackhole = true;
    EXPECT_EQ(t.local.route_change(d).error(), errc::inval);
    EXPECT_EQ(flags_of(t.local, "0.0.0.0/0"), "UGS");
}

}  // namespace
}  // namespace mpnet::testing
