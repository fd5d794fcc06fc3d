// SPDX-License-Identifier: BSD-2-Clause
// gif(4), ported from NetBSD's tests/net/if_gif/t_gif.sh: two routers whose
// LANs are reachable from each other only through a gif tunnel over their
// WAN, in the four combinations of inner and outer family. create_destroy,
// basic (pings both ways, then none after deletetunnel and destroy), ioctl
// (a second gif with the same endpoints is refused until the first lets
// go), recursive (tunnels nested past net.inet.gif.max_nesting stop at
// gif0, "recursively called too many times"). Beyond NetBSD's cases: a
// tunnel routed through itself stops at the limit, changing the endpoints
// under traffic, the wire format of what gif sends, RFC 6040's ECN rules on
// decapsulation, packets for no tunnel, and the MTU check before
// encapsulation.
//
// Addresses: NetBSD's 192.168/10/172.16/fc00 plan mapped into 198.18.0.0/15
// and 2001:db8::/32.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "../support/world.hpp"
#include "mpnet/core/checksum.hpp"
#include "mpnet/core/wire.hpp"
#include "mpnet/l3/ip6.hpp"
#include "mpnet/ctl/commands.hpp"
#include "mpnet/modules/gif.hpp"

namespace mpnet::testing {
namespace {

struct plan {
    const char* lan;      // own LAN address (ping source)
    const char* lan_net;  // the peer's LAN prefix (routed through the tunnel)
    const char* peer_lan;
    const char* wan;
    const char* peer_wan;
    const char* tun;  // gif0's inner address and its peer
    const char* peer_tun;
    const char* dummy;  // the ioctl case's second pair
    const char* peer_dummy;
};

// Each family's addresses, seen from router 1 (router 2 swaps them).
struct family_plan {
    const char* lan1;
    const char* lan2;
    const char* net1;
    const char* net2;
    const char* wan1;
    const char* wan2;
    const char* tun1;
    const char* tun2;
    const char* dummy1;
    const char* dummy2;
    unsigned lan_len, wan_len, host_len;
};
const family_plan v4{"198.18.1.1",    "198.18.2.1",    "198.18.1.0/24", "198.18.2.0/24", "198.18.0.1",
                     "198.18.0.2",    "198.18.101.1",  "198.18.102.1",  "198.18.0.11",   "198.18.0.12",
                     24,              24,              32};
const family_plan v6{"2001:db8:1::1",   "2001:db8:2::1",   "2001:db8:1::/64", "2001:db8:2::/64", "2001:db8::1",
                     "2001:db8::2",     "2001:db8:3::1",   "2001:db8:4::1",   "2001:db8::11",    "2001:db8::12",
                     64,                64,                128};

std::string inet(bool six) { return six ? "inet6" : "inet"; }

struct gif_case {
    bool inner6, outer6;
};
std::string case_name(const ::testing::TestParamInfo<gif_case>& i) {
    return std::string(i.param.inner6 ? "ipv6" : "ipv4") + "over" + (i.param.outer6 ? "ipv6" : "ipv4");
}

// NetBSD's topology: LANs on one bus (different subnets, so nothing but the
// tunnel joins them), WANs on another.
struct topo {
    world w;
    drivers::bus& lan = w.add_bus("lan");
    drivers::bus& wan = w.add_bus("wan");
    stack& r1 = w.add_stack("r1", no_dad());
    stack& r2 = w.add_stack("r2", no_dad());
    ctl::command_set c1{r1}, c2{r2};
    bool inner6, outer6;
    const family_plan& in;
    const family_plan& out;

    explicit topo(gif_case gc) : inner6(gc.inner6), outer6(gc.outer6), in(gc.inner6 ? v6 : v4), out(gc.outer6 ? v6 : v4) {
        w.attach(r1, lan, "shmif0");
        w.attach(r1, wan, "shmif1");
        w.attach(r2, lan, "shmif0");
        w.attach(r2, wan, "shmif1");
        for (int r = 1; r <= 2; ++r) {
            ctl::command_set& c = cs(r);
            const bool one = r == 1;
            cmd(c, fmt::format("ifconfig shmif0 {} {}/{}", inet(inner6), one ? in.lan1 : in.lan2, in.lan_len));
            cmd(c, fmt::format("ifconfig shmif1 {} {}/{}", inet(outer6), one ? out.wan1 : out.wan2, out.wan_len));
            cmd(c, "ifconfig shmif0 up");
            cmd(c, "ifconfig shmif1 up");
        }
        w.run_for_ms(5);
    }
    ctl::command_set& cs(int r) { return r == 1 ? c1 : c2; }
    stack& st(int r) { return r == 1 ? r1 : r2; }
    static void cmd(ctl::command_set& c, const std::string& line) {
        const ctl::reply rep = c.execute(line);
        EXPECT_EQ(rep.status, 0) << line << ": " << rep.text;
    }
    // test_setup_tunnel: gif0 on both routers, and the peer's LAN through it.
    void setup_tunnel(const char* gif = "gif0") {
        for (int r = 1; r <= 2; ++r) {
            const bool one = r == 1;
            ctl::command_set& c = cs(r);
            cmd(c, fmt::format("ifconfig {} create", gif));
            cmd(c, fmt::format("ifconfig {} tunnel {} {}", gif, one ? out.wan1 : out.wan2, one ? out.wan2 : out.wan1));
            cmd(c, fmt::format("ifconfig {} {} {}/{} {}", gif, inet(inner6), one ? in.tun1 : in.tun2, in.host_len,
                       one ? in.tun2 : in.tun1));
            cmd(c, fmt::format("ifconfig {} up", gif));
            cmd(c, fmt::format("route add -{} {} {}", inet(inner6), one ? in.net2 : in.net1, one ? in.tun1 : in.tun2));
        }
        w.run_for_ms(5);
    }
    void teardown_tunnel(const char* gif = "gif0") {
        for (int r = 1; r <= 2; ++r) {
            cmd(cs(r), fmt::format("ifconfig {} deletetunnel", gif));
            cmd(cs(r), fmt::format("ifconfig {} destroy", gif));
        }
        w.run_for_ms(5);
    }
    // ping -c 1 -w 5 -I <own LAN> <peer LAN>, from router r.
    bool ping_lan(int r, uint32_t timeout_ms = 1000) {
        const bool one = r == 1;
        const char* src = one ? in.lan1 : in.lan2;
        const char* dst = one ? in.lan2 : in.lan1;
        if (inner6) return w.ping6(st(r), ip6(dst), "", timeout_ms, ip6(src));
        return w.ping(st(r), ip(dst), timeout_ms, ip(src));
    }
    bool ping_to(int r, const char* dst, uint32_t timeout_ms = 1000) {
        if (inner6) return w.ping6(st(r), ip6(dst), "", timeout_ms);
        return w.ping(st(r), ip(dst), timeout_ms);
    }
};

class t_gif : public ::testing::TestWithParam<gif_case> {};

TEST_P(t_gif, gif_create_destroy) {
    topo t(GetParam());
    for (int round = 0; round < 3; ++round) {
        topo::cmd(t.c1, "ifconfig gif0 create");
        const auto i = t.r1.if_get("gif0");
        ASSERT_TRUE(i.has_value());
        EXPECT_EQ(i->kind, "gif");
        EXPECT_EQ(i->mtu, 1280u);
        EXPECT_TRUE(i->flags & iff::pointopoint);
        topo::cmd(t.c1, "ifconfig gif0 up");
        // With an address of each family (NetBSD's test_create_destroy_common).
        topo::cmd(t.c1, "ifconfig gif0 inet 198.18.101.1/32 198.18.102.1");
        topo::cmd(t.c1, "ifconfig gif0 inet6 2001:db8:3::1/128 2001:db8:4::1");
        topo::cmd(t.c1, "ifconfig gif0 tunnel " + std::string(t.out.wan1) + " " + t.out.wan2);
        EXPECT_TRUE(t.r1.if_get("gif0")->flags & iff::running);
        topo::cmd(t.c1, "ifconfig gif0 destroy");
        EXPECT_FALSE(t.r1.if_get("gif0").has_value());
    }
    // Nothing of it is left: its routes and its tunnel.
    for (const auto& r : t.r1.route_list()) EXPECT_NE(r.ifname, "gif0") << r.r.dst.str();
    topo::cmd(t.c1, "ifconfig gif1 create");
    topo::cmd(t.c1, "ifconfig gif1 tunnel " + std::string(t.out.wan1) + " " + t.out.wan2);
}

TEST_P(t_gif, gif_basic) {
    topo t(GetParam());
    EXPECT_FALSE(t.ping_lan(1, 200));
    t.setup_tunnel();
    // route get <peer LAN> goes out of gif0 (test_setup_tunnel's check).
    const std::string get = t.c1.execute(std::string("route -n get -") + inet(t.inner6) + " " + t.in.lan2).text;
    EXPECT_NE(get.find("interface: gif0"), std::string::npos) << get;
    const std::string show = t.c1.execute("ifconfig gif0").text;
    EXPECT_NE(show.find("POINTOPOINT"), std::string::npos) << show;
    EXPECT_NE(show.find(std::string("tunnel ") + inet(t.outer6) + " " + t.out.wan1 + " --> " + t.out.wan2),
              std::string::npos)
        << show;
    EXPECT_NE(show.find(std::string(t.in.tun1) + "/" + std::to_string(t.in.host_len) + " -> " + t.in.tun2),
              std::string::npos)
        << show;
    EXPECT_TRUE(t.ping_lan(1));
    EXPECT_TRUE(t.ping_lan(2));
    // Both directions went through the tunnels, counted on them.
    EXPECT_GT(t.r1.if_get("gif0")->opackets, 0u);
    EXPECT_GT(t.r1.if_get("gif0")->ipackets, 0u);
    EXPECT_GT(t.r2.if_get("gif0")->ipackets, 0u);
    // The running configuration rebuilds the tunnel.
    const std::string cfg = t.c1.running_config();
    EXPECT_NE(cfg.find(std::string("ifconfig gif0 tunnel ") + t.out.wan1 + " " + t.out.wan2), std::string::npos)
        << cfg;
    EXPECT_NE(cfg.find(std::string(t.in.tun1) + "/" + std::to_string(t.in.host_len) + " " + t.in.tun2),
              std::string::npos)
        << cfg;
    t.teardown_tunnel();
    EXPECT_FALSE(t.ping_lan(1, 200));
    EXPECT_FALSE(t.ping_lan(2, 200));
}

TEST_P(t_gif, gif_ioctl) {
    topo t(GetParam());
    // The dummy WAN addresses gif1 uses.
    for (int r = 1; r <= 2; ++r)
        topo::cmd(t.cs(r), fmt::format("ifconfig shmif1 {} {}/{} alias", inet(t.outer6), r == 1 ? t.out.dummy1 : t.out.dummy2,
                                     t.out.wan_len));
    t.setup_tunnel();
    for (int r = 1; r <= 2; ++r) {
        const bool one = r == 1;
        topo::cmd(t.cs(r), "ifconfig gif1 create");
        topo::cmd(t.cs(r), fmt::format("ifconfig gif1 tunnel {} {}", one ? t.out.dummy1 : t.out.dummy2,
                                     one ? t.out.dummy2 : t.out.dummy1));
        topo::cmd(t.cs(r), "ifconfig gif1 up");
    }
    EXPECT_TRUE(t.ping_lan(1));
    EXPECT_TRUE(t.ping_lan(2));
    // gif0 onto gif1's pair: refused, and gif0 keeps its tunnel.
    const ctl::reply dup =
        t.c1.execute(fmt::format("ifconfig gif0 tunnel {} {}", t.out.dummy1, t.out.dummy2));
    EXPECT_NE(dup.status, 0);
    EXPECT_NE(dup.text.find("SIOCSLIFPHYADDR"), std::string::npos) << dup.text;
    EXPECT_EQ(gif::get(t.r1, "gif0")->tunnel.src_str(), t.out.wan1);
    EXPECT_TRUE(t.ping_lan(1));
    // Once gif1 lets go, the same request succeeds on both routers, and
    // the tunnel still carries the LANs' traffic over the new pair.
    for (int r = 1; r <= 2; ++r) {
        const bool one = r == 1;
        topo::cmd(t.cs(r), "ifconfig gif1 deletetunnel");
        topo::cmd(t.cs(r), "ifconfig gif1 destroy");
        topo::cmd(t.cs(r), fmt::format("ifconfig gif0 tunnel {} {}", one ? t.out.dummy1 : t.out.dummy2,
                                     one ? t.out.dummy2 : t.out.dummy1));
    }
    EXPECT_EQ(gif::get(t.r1, "gif0")->tunnel.src_str(), t.out.dummy1);
    EXPECT_TRUE(t.ping_lan(1));
    EXPECT_TRUE(t.ping_lan(2));
    t.teardown_tunnel();
    EXPECT_FALSE(t.ping_lan(1, 200));
}

TEST_P(t_gif, gif_recursive) {
    topo t(GetParam());
    t.setup_tunnel();
    EXPECT_TRUE(t.ping_lan(1));
    // gif1 over gif0's inner addresses, gif2 over gif1's: three levels.
    const bool s6 = t.inner6;
    const char* a1 = s6 ? "2001:db8:103::1" : "198.18.111.1";
    const char* b1 = s6 ? "2001:db8:104::1" : "198.18.112.1";
    const char* a2 = s6 ? "2001:db8:203::1" : "198.18.121.1";
    const char* b2 = s6 ? "2001:db8:204::1" : "198.18.122.1";
    const unsigned hl = t.in.host_len;
    topo::cmd(t.c1, "ifconfig gif1 create");
    topo::cmd(t.c1, fmt::format("ifconfig gif1 tunnel {} {}", t.in.tun1, t.in.tun2));
    topo::cmd(t.c1, fmt::format("ifconfig gif1 {} {}/{} {}", inet(s6), a1, hl, b1));
    topo::cmd(t.c1, "ifconfig gif1 up");
    topo::cmd(t.c1, "ifconfig gif2 create");
    topo::cmd(t.c1, fmt::format("ifconfig gif2 tunnel {} {}", a1, b1));
    topo::cmd(t.c1, fmt::format("ifconfig gif2 {} {}/{} {}", inet(s6), a2, hl, b2));
    topo::cmd(t.c1, "ifconfig gif2 up");
    t.w.run_for_ms(5);
    EXPECT_FALSE(t.ping_to(1, b2, 500));
    // Stopped at gif0, the third level, counted there and by name.
    EXPECT_GT(gif::get(t.r1, "gif0")->nesting_drops, 0u);
    EXPECT_EQ(gif::get(t.r1, "gif2")->nesting_drops, 0u);
    EXPECT_GT(drop_count(t.r1, "gif_nesting"), 0u);
    const std::string show = t.c1.execute("ifconfig gif0").text;
    EXPECT_NE(show.find("recursively called too many times"), std::string::npos) << show;
    // Two levels pass: gif1 alone over gif0 reaches nothing (r2 has no
    // gif1), but its packets leave r1's WAN, encapsulated twice.
    const uint64_t wan_out = t.r1.if_get("shmif1")->opackets;
    const uint64_t nest = drop_count(t.r1, "gif_nesting");
    EXPECT_FALSE(t.ping_to(1, b1, 200));
    EXPECT_GT(t.r1.if_get("shmif1")->opackets, wan_out);
    EXPECT_EQ(drop_count(t.r1, "gif_nesting"), nest);
    // With the limit raised to 3, the third level goes out too.
    topo::cmd(t.c1, "sysctl -w net.inet.gif.max_nesting=3");
    const uint64_t wan_out2 = t.r1.if_get("shmif1")->opackets;
    EXPECT_FALSE(t.ping_to(1, b2, 200));
    EXPECT_GT(t.r1.if_get("shmif1")->opackets, wan_out2);
    EXPECT_EQ(drop_count(t.r1, "gif_nesting"), nest);
    for (const char* g : {"gif1", "gif2", "gif0"}) topo::cmd(t.c1, fmt::format("ifconfig {} destroy", g));
}

INSTANTIATE_TEST_SUITE_P(all, t_gif,
                         ::testing::Values(gif_case{false, false}, gif_case{false, true}, gif_case{true, false},
                                           gif_case{true, true}),
                         case_name);

// ---- beyond NetBSD's cases ---------------------------------------------------------------

// A tunnel whose outer route leads back into itself: stopped by the nesting
// limit and counted, the packet never loops.
TEST(t_gif_more, a_tunnel_routed_through_itself_stops_at_the_nesting_limit) {
    topo t({false, false});
    topo::cmd(t.c1, "ifconfig gif0 create");
    topo::cmd(t.c1, "ifconfig gif0 tunnel 198.18.0.1 198.18.50.1");
    // Its peer address is the outer destination: the host route to it is gif0.
    topo::cmd(t.c1, "ifconfig gif0 inet 198.18.51.1/32 198.18.50.1");
    topo::cmd(t.c1, "ifconfig gif0 up");
    const uint64_t wan_out = t.r1.if_get("shmif1")->opackets;
    EXPECT_FALSE(t.w.ping(t.r1, ip("198.18.50.1"), 200));
    EXPECT_EQ(drop_count(t.r1, "gif_nesting"), 1u);
    EXPECT_EQ(gif::get(t.r1, "gif0")->nesting_drops, 1u);
    // Encapsulated twice (levels 0 and 1), dropped at the third: nothing left the WAN.
    EXPECT_EQ(t.r1.if_get("shmif1")->opackets, wan_out);
    EXPECT_EQ(t.r1.if_get("gif0")->opackets, 2u);
}

TEST(t_gif_more, bad_requests_change_nothing) {
    topo t({false, false});
    ctl::command_set& c = t.c1;
    topo::cmd(c, "ifconfig gif0 create");
    for (const char* bad : {"ifconfig gif0 tunnel 198.18.0.1", "ifconfig gif0 tunnel 198.18.0.1 2001:db8::2",
                            "ifconfig gif0 tunnel 0.0.0.0 198.18.0.2", "ifconfig gif0 tunnel 198.18.0.1 224.0.0.1",
                            "ifconfig gif0 tunnel 2001:db8::1 ff02::1", "ifconfig shmif0 tunnel 198.18.0.1 198.18.0.2",
                            "ifconfig gif9 tunnel 198.18.0.1 198.18.0.2", "ifconfig shmif0 deletetunnel",
                            "ifconfig shmif0 inet 198.18.7.1/32 198.18.7.2",
                            "ifconfig gif0 inet 198.18.7.1/32 198.18.7.1", "ifconfig gif0 tunnel a b"}) {
        const ctl::reply r = c.execute(bad);
        EXPECT_NE(r.status, 0) << bad;
        EXPECT_FALSE(r.text.empty()) << bad;
    }
    EXPECT_FALSE(gif::get(t.r1, "gif0")->configured);
    EXPECT_FALSE(t.r1.if_get("gif0")->flags & iff::running);
    EXPECT_TRUE(t.r1.if_get("shmif0")->addrs.size() == 1);
}

// ---- the wire: what gif sends, and what it makes of what it receives -------------------

// One router with its WAN on a bus where the test's own port listens and sends.
struct wire {
    world w;
    drivers::bus& wan = w.add_bus("wan");
    drivers::bus& lan = w.add_bus("lan");
    stack& r = w.add_stack("r", no_dad());
    stack& h = w.add_host("h", lan, "shmif0", "198.18.1.2", 24, no_dad());
    ctl::command_set c{r};
    std::unique_ptr<drivers::bus_port> peer;     // the tunnel's other end, by hand
    std::unique_ptr<drivers::bus_port> lanport;  // a LAN host, by hand
    using bus_port_ref = drivers::bus_port*;
    ether_addr r_mac;
    wire() {
        w.attach(r, wan, "shmif1");
        w.attach(r, lan, "shmif0");
        peer = std::move(*wan.attach());
        lanport = std::move(*lan.attach());
        for (const char* l :
             {"ifconfig shmif1 inet 198.18.0.1/24", "ifconfig shmif1 up", "ifconfig shmif0 inet 198.18.1.1/24",
              "ifconfig shmif0 up", "sysctl -w net.inet.ip.forwarding=1", "ifconfig gif0 create",
              "ifconfig gif0 tunnel 198.18.0.1 198.18.0.2", "ifconfig gif0 inet 198.18.101.1/32 198.18.102.1",
              "ifconfig gif0 up", "route add -inet 198.18.2.0/24 198.18.101.1",
              "arp -s 198.18.0.2 02:00:00:00:00:99"})
            topo::cmd(c, l);
        world::route(h, "198.18.2.0/24", "198.18.1.1");
        // h's address resolved for good: h counts only what r forwards to it.
        topo::cmd(c, "arp -s 198.18.1.2 " + h.if_get("shmif0")->lladdr.str());
        r_mac = r.if_get("shmif1")->lladdr;
        w.run_for_ms(5);
    }
    ~wire() {
        peer.reset();
        lanport.reset();
    }
    // The tunnel packets r sent on the WAN since the last call (IPv4 protocol 4).
    std::vector<std::vector<uint8_t>> drain() {
        std::vector<std::vector<uint8_t>> out;
        mbuf* m[32];
        for (uint16_t n; (n = peer->rx_burst(0, m, 32)) > 0;)
            for (uint16_t i = 0; i < n; ++i) {
                const uint8_t* p = pkt_data(m[i]);
                if (pkt_len(m[i]) >= 34 && p[12] == 0x08 && p[13] == 0x00 && p[23] == 4)
                    out.emplace_back(p, p + pkt_len(m[i]));
                pkt_free(m[i]);
            }
        return out;
    }
    static void put_ip(std::vector<uint8_t>& f, size_t off, uint8_t tos, uint16_t len, uint8_t proto, ip4_addr s,
                       ip4_addr d) {
        ip4_hdr h{};
        h.ver_ihl = 0x45;
        h.tos = tos;
        h.total_len.set(len);
        h.ttl = 64;
        h.proto = proto;
        h.src.set(s.v);
        h.dst.set(d.v);
        h.cksum = in_cksum(&h, 20);
        std::memcpy(f.data() + off, &h, 20);
    }
    static void put_udp(std::vector<uint8_t>& f, size_t off) {
        f[off] = 0x12;  // 0x1234 -> 9 (discard), length 8, no checksum
        f[off + 1] = 0x34;
        f[off + 3] = 9;
        f[off + 5] = 8;
    }
    void send(bus_port_ref p, const std::vector<uint8_t>& f) {
        mbuf* m = pkt_alloc(r.pool(), static_cast<uint16_t>(f.size()));
        ASSERT_NE(m, nullptr);
        std::memcpy(pkt_data(m), f.data(), f.size());
        ASSERT_EQ(p->tx_burst(0, &m, 1), 1);
        w.run_for_ms(2);
    }
    // A UDP packet from the LAN side for the far LAN (into the tunnel), inner tos `tos`.
    void send_lan(uint8_t tos) {
        std::vector<uint8_t> f(14 + 20 + 8);
        ether_hdr eh{r.if_get("shmif0")->lladdr, lanport->mac(), be16::of(ethertype_ip4)};
        std::memcpy(f.data(), &eh, 14);
        put_ip(f, 14, tos, 28, 17, ip("198.18.1.9"), ip("198.18.2.9"));
        put_udp(f, 34);
        send(lanport.get(), f);
    }
    // An IPv4-in-IPv4 packet from the peer: outer tos `otos`, inner tos `itos`.
    void send_ipip(uint8_t otos, uint8_t itos, ip4_addr outer_src = ip("198.18.0.2")) {
        std::vector<uint8_t> f(14 + 20 + 20 + 8);
        ether_hdr eh{r_mac, peer->mac(), be16::of(ethertype_ip4)};
        std::memcpy(f.data(), &eh, 14);
        put_ip(f, 14, otos, 48, 4, outer_src, ip("198.18.0.1"));
        put_ip(f, 34, itos, 28, 17, ip("198.18.2.7"), ip("198.18.1.2"));  // UDP to h, forwarded by r
        put_udp(f, 54);
        send(peer.get(), f);
    }
};

TEST(t_gif_wire, the_outer_header_copies_dscp_and_ecn_and_carries_the_inner_packet_unchanged) {
    wire t;
    t.drain();
    // h pings through r into the tunnel; what leaves r's WAN is IPv4 in IPv4.
    EXPECT_FALSE(t.w.ping(t.h, ip("198.18.2.1"), 50));
    auto frames = t.drain();
    ASSERT_EQ(frames.size(), 1u);
    const auto& f = frames.back();
    ASSERT_GE(f.size(), 14u + 20 + 20 + 8);
    const auto* o = reinterpret_cast<const ip4_hdr*>(f.data() + 14);
    EXPECT_EQ(o->proto, 4);
    EXPECT_EQ(o->ttl, 30);  // net.inet.gif.ttl
    EXPECT_EQ(ip4_addr(o->src.get()), ip("198.18.0.1"));
    EXPECT_EQ(ip4_addr(o->dst.get()), ip("198.18.0.2"));
    EXPECT_EQ(o->frag.get() & ip4_frag_df, 0);
    EXPECT_EQ(cksum_raw(o, 20), 0xffff);
    const auto* i = reinterpret_cast<const ip4_hdr*>(f.data() + 34);
    EXPECT_EQ(o->total_len.get(), 20 + i->total_len.get());
    EXPECT_EQ(f.size(), 14u + o->total_len.get());
    EXPECT_EQ(ip4_addr(i->src.get()), ip("198.18.1.2"));
    EXPECT_EQ(ip4_addr(i->dst.get()), ip("198.18.2.1"));
    EXPECT_EQ(i->ttl, 63);  // forwarded once by r
    EXPECT_EQ(cksum_raw(i, 20), 0xffff);
    EXPECT_EQ(f[54], icmp_echo_request);
    // DSCP and ECN of the inner packet are the outer one's (RFC 6040 normal
    // mode); the TTL knob applies at once.
    topo::cmd(t.c, "sysctl -w net.inet.gif.ttl=17");
    for (uint8_t tos : {uint8_t{0xb9}, uint8_t{0x2a}, uint8_t{0x03}}) {
        t.send_lan(tos);
        frames = t.drain();
        ASSERT_EQ(frames.size(), 1u) << int(tos);
        o = reinterpret_cast<const ip4_hdr*>(frames[0].data() + 14);
        i = reinterpret_cast<const ip4_hdr*>(frames[0].data() + 34);
        EXPECT_EQ(o->tos, tos);
        EXPECT_EQ(i->tos, tos);
        EXPECT_EQ(o->ttl, 17);
    }
}

// RFC 6040 decapsulation: the inner packet r forwards to h, by outer and inner ECN.
TEST(t_gif_wire, decapsulation_follows_rfc6040) {
    wire t;
    struct row {
        uint8_t outer, inner, want;  // want 0xff: dropped
    } rows[] = {
        {0, 0, 0},         // Not-ECT / Not-ECT
        {3, 0, 0xff},      // CE outer, Not-ECT inner: dropped
        {3, 2, 3},         // CE outer, ECT(0) inner: CE
        {3, 1, 3},         // CE outer, ECT(1) inner: CE
        {1, 2, 1},         // ECT(1) outer, ECT(0) inner: ECT(1)
        {2, 1, 1},         // ECT(0) outer, ECT(1) inner: unchanged
        {0, 3, 3},         // Not-ECT outer, CE inner: unchanged
    };
    for (const row& r : rows) {
        const uint64_t before = drop_count(t.r, "gif_ecn_drop");
        const uint64_t h_in = t.h.if_get("shmif0")->ipackets;
        const uint8_t dscp = 0xb8;  // EF, kept on the inner packet whatever the outer says
        t.send_ipip(static_cast<uint8_t>(0x20 | r.outer), static_cast<uint8_t>(dscp | r.inner));
        if (r.want == 0xff) {
            EXPECT_EQ(drop_count(t.r, "gif_ecn_drop"), before + 1) << int(r.outer) << "/" << int(r.inner);
            EXPECT_EQ(t.h.if_get("shmif0")->ipackets, h_in);
            continue;
        }
        EXPECT_EQ(drop_count(t.r, "gif_ecn_drop"), before);
        // h counted it, with a valid header (its checksum was checked on input: an
        // inner checksum r broke would be an ip4_bad_cksum drop on h).
        EXPECT_EQ(t.h.if_get("shmif0")->ipackets, h_in + 1) << int(r.outer) << "/" << int(r.inner);
        EXPECT_EQ(drop_count(t.h, "ip4_bad_cksum"), 0u);
    }
    EXPECT_GE(t.r.if_get("gif0")->ipackets, 6u);
}

TEST(t_gif_wire, a_packet_from_no_tunnel_is_a_named_drop) {
    wire t;
    t.send_ipip(0, 0, ip("198.18.0.77"));
    EXPECT_EQ(drop_count(t.r, "gif_no_tunnel"), 1u);
    EXPECT_EQ(t.r.if_get("gif0")->ipackets, 0u);
    // The tunnel down: the packet is the interface's, dropped as if_down.
    topo::cmd(t.c, "ifconfig gif0 down");
    t.send_ipip(0, 0);
    EXPECT_EQ(drop_count(t.r, "if_down"), 1u);
    topo::cmd(t.c, "ifconfig gif0 up");
    const uint64_t h_in = t.h.if_get("shmif0")->ipackets;
    t.send_ipip(0, 0);
    EXPECT_EQ(t.h.if_get("shmif0")->ipackets, h_in + 1);
}

// 100 000 tunnels configured, each an interface (indexes past 65535): random
// tunnel traffic is decapsulated by each packet's own tunnel and no other,
// traffic from addresses that are no tunnel's is gif_no_tunnel, and
// removing a tenth of the tunnels takes exactly their traffic away.
TEST(t_gif_scale, a_hundred_thousand_tunnels_each_take_their_own_packets) {
    wire t;
    constexpr unsigned n = 100000;  // gif0 (the fixture's) and gif1..gif99999
    const uint32_t base = ip("198.18.64.0").v;
    auto peer_of = [&](unsigned i) { return i == 0 ? ip("198.18.0.2") : ip4_addr(base + i); };
    for (unsigned i = 1; i < n; ++i) {
        const std::string g = fmt::format("gif{}", i);
        for (const std::string& l : {fmt::format("ifconfig {} create", g),
                                     fmt::format("ifconfig {} tunnel 198.18.0.1 {}", g, peer_of(i).str()),
                                     fmt::format("ifconfig {} up", g)}) {
            const ctl::reply rep = t.c.execute(l);
            ASSERT_EQ(rep.status, 0) << l << ": " << rep.text;
        }
    }
    EXPECT_GT(t.r.if_get(fmt::format("gif{}", n - 1))->index, 65535u);
    // A packet from peer_of(i) (outer source), to h behind r's LAN.
    auto frame = [&](ip4_addr outer_src) {
        std::vector<uint8_t> f(14 + 20 + 20 + 8);
        ether_hdr eh{t.r_mac, t.peer->mac(), be16::of(ethertype_ip4)};
        std::memcpy(f.data(), &eh, 14);
        wire::put_ip(f, 14, 0, 48, 4, outer_src, ip("198.18.0.1"));
        wire::put_ip(f, 34, 0, 28, 17, ip("198.18.2.7"), ip("198.18.1.2"));
        wire::put_udp(f, 54);
        return f;
    };
    std::mt19937 rng(20261203);
    std::vector<uint64_t> sent(n + n / 10);  // past n: addresses that are no tunnel's
    auto send_random = [&](unsigned bursts, unsigned among) {
        for (unsigned b = 0; b < bursts; ++b) {
            mbuf* m[32];
            for (unsigned k = 0; k < 32; ++k) {
                const unsigned i = static_cast<unsigned>(rng() % among);
                ++sent[i];
                const auto f = frame(peer_of(i));
                m[k] = pkt_alloc(t.r.pool(), static_cast<uint16_t>(f.size()));
                ASSERT_NE(m[k], nullptr);
                std::memcpy(pkt_data(m[k]), f.data(), f.size());
            }
            ASSERT_EQ(t.peer->tx_burst(0, m, 32), 32);
            t.w.round();
        }
        t.w.run_for_ms(2);
    };
    auto check = [&](const char* when, unsigned upto) {
        uint64_t tunnelled = 0, strays = 0, wrong = 0;
        for (unsigned i = 0; i < sent.size(); ++i) {
            if (i >= upto) {
                strays += sent[i];
                continue;
            }
            tunnelled += sent[i];
            // Every tunnel with traffic, and every 97th without, by its counter.
            if (sent[i] == 0 && i % 97) continue;
            const auto info = t.r.if_get(fmt::format("gif{}", i));
            if (!info || info->ipackets != sent[i]) ++wrong;
            EXPECT_TRUE(info && info->ipackets == sent[i]) << when << ": gif" << i;
            if (wrong > 10) break;
        }
        EXPECT_EQ(wrong, 0u) << when;
        EXPECT_EQ(drop_count(t.r, "gif_no_tunnel"), strays) << when;
        return tunnelled;
    };
    const uint64_t h0 = t.h.if_get("shmif0")->ipackets;
    send_random(250, n + n / 10);  // 8 000 packets, about 7 300 of them to tunnels
    const uint64_t tunnelled = check("all configured", n);
    EXPECT_GT(tunnelled, 7000u);
    EXPECT_EQ(t.h.if_get("shmif0")->ipackets, h0 + tunnelled);  // every inner packet forwarded

    // The top tenth destroyed: their peers are strays now, the rest unchanged.
    for (unsigned i = n - n / 10; i < n; ++i) {
        const ctl::reply rep = t.c.execute(fmt::format("ifconfig gif{} destroy", i));
        ASSERT_EQ(rep.status, 0) << rep.text;
    }
    std::fill(sent.begin(), sent.end(), 0);
    const uint64_t strays_before = drop_count(t.r, "gif_no_tunnel");
    std::vector<uint64_t> in_before(n - n / 10);
    for (unsigned i = 0; i < in_before.size(); ++i)
        if (i % 97 == 0) in_before[i] = t.r.if_get(fmt::format("gif{}", i))->ipackets;
    send_random(100, n + n / 10);
    uint64_t strays = 0, wrong = 0;
    for (unsigned i = n - n / 10; i < sent.size(); ++i) strays += sent[i];
    EXPECT_EQ(drop_count(t.r, "gif_no_tunnel"), strays_before + strays);
    for (unsigned i = 0; i < in_before.size(); i += 97)
        if (t.r.if_get(fmt::format("gif{}", i))->ipackets != in_before[i] + sent[i]) ++wrong;
    EXPECT_EQ(wrong, 0u);
}

// The stack's MTU check runs on the inner packet against the gif's MTU:
// DF set and too big is answered with frag-needed carrying the gif's MTU.
TEST(t_gif_wire, an_inner_packet_over_the_mtu_with_df_is_answered_with_frag_needed) {
    wire t;
    ping_opts o;
    o.count = 1;
    o.timeout_ms = 100;
    o.payload_len = 1400;
    o.df = true;
    const uint64_t before = drop_count(t.r, "ip4_frag_needed");
    auto id = t.h.ping_start(ip("198.18.2.1"), o);
    ASSERT_TRUE(id.has_value());
    t.w.run_for_ms(150);
    t.h.ping_release(*id);
    EXPECT_EQ(drop_count(t.r, "ip4_frag_needed"), before + 1);
    // Without DF it is fragmented to fit, then encapsulated piece by piece.
    t.drain();
    o.df = false;
    id = t.h.ping_start(ip("198.18.2.1"), o);
    ASSERT_TRUE(id.has_value());
    t.w.run_for_ms(150);
    t.h.ping_release(*id);
    auto frames = t.drain();
    ASSERT_EQ(frames.size(), 2u);
    for (const auto& f : frames) EXPECT_LE(f.size() - 14 - 20, 1280u);
}

// ---- ICMP errors about the outer packet reach the tunnel (NetBSD's encapsw ctlinput) ------

// An ICMP frag-needed from a router on the WAN about an outer packet of
// r's: `mtu` reported, quoting `quoted_len` bytes from 198.18.0.1 to `dst`.
std::vector<uint8_t> needfrag(const ether_addr& to, const ether_addr& from, uint16_t mtu, uint16_t quoted_len,
                              const char* dst) {
    std::vector<uint8_t> f(14 + 20 + 8 + 28);
    ether_hdr eh{to, from, be16::of(ethertype_ip4)};
    std::memcpy(f.data(), &eh, 14);
    wire::put_ip(f, 14, 0, 20 + 8 + 28, ipproto_icmp, ip("198.18.0.2"), ip("198.18.0.1"));
    wire::put_ip(f, 42, 0, quoted_len, 4, ip("198.18.0.1"), ip(dst));
    uint8_t* ic = f.data() + 34;
    ic[0] = icmp_unreach;
    ic[1] = icmp_unreach_needfrag;
    ic[6] = static_cast<uint8_t>(mtu >> 8);
    ic[7] = static_cast<uint8_t>(mtu);
    const uint16_t c = in_cksum(ic, 8 + 28);
    std::memcpy(ic + 2, &c, 2);
    return f;
}

TEST(t_gif_wire, frag_needed_about_an_outer_packet_lowers_the_gif_mtu_until_it_expires) {
    wire t;
    const ether_addr pm = t.peer->mac();
    auto send = [&](const std::vector<uint8_t>& f) {
        mbuf* m = pkt_alloc(t.r.pool(), static_cast<uint16_t>(f.size()));
        ASSERT_NE(m, nullptr);
        std::memcpy(pkt_data(m), f.data(), f.size());
        ASSERT_EQ(t.peer->tx_burst(0, &m, 1), 1);
        t.w.run_for_ms(2);
    };
    // Not ours to learn: another peer's tunnel, a quoted packet that fit, an MTU below the floor.
    send(needfrag(t.r_mac, pm, 1000, 1100, "198.18.0.9"));
    send(needfrag(t.r_mac, pm, 1000, 900, "198.18.0.2"));
    send(needfrag(t.r_mac, pm, 300, 1100, "198.18.0.2"));
    EXPECT_EQ(t.r.if_get("gif0")->mtu, 1280u);
    // A router on the path says 1000: the gif's MTU is 1000 less the outer header.
    send(needfrag(t.r_mac, pm, 1000, 1100, "198.18.0.2"));
    EXPECT_EQ(t.r.if_get("gif0")->mtu, 980u);
    // So an inner packet of 1000 bytes with DF is answered before it is encapsulated.
    ping_opts o;
    o.count = 1;
    o.timeout_ms = 100;
    o.payload_len = 1000 - 28;
    o.df = true;
    const uint64_t before = drop_count(t.r, "ip4_frag_needed");
    auto id = t.h.ping_start(ip("198.18.2.1"), o);
    ASSERT_TRUE(id.has_value());
    t.w.run_for_ms(150);
    EXPECT_EQ(t.h.ping_get(*id)->icmp_errors, 1u);
    t.h.ping_release(*id);
    EXPECT_EQ(drop_count(t.r, "ip4_frag_needed"), before + 1);
    // Ten minutes on, the learned value expires and the MTU is back.
    t.w.run_virtual_ms(601 * 1000);
    EXPECT_EQ(t.r.if_get("gif0")->mtu, 1280u);
    // An MTU the operator sets meanwhile is left alone by the expiry.
    send(needfrag(t.r_mac, pm, 1100, 1200, "198.18.0.2"));
    EXPECT_EQ(t.r.if_get("gif0")->mtu, 1080u);
    topo::cmd(t.c, "ifconfig gif0 mtu 1200");
    t.w.run_virtual_ms(601 * 1000);
    EXPECT_EQ(t.r.if_get("gif0")->mtu, 1200u);
}

// The same over an IPv6 underlay: a packet-too-big about an outer packet.
TEST(t_gif_more, packet_too_big_about_an_outer_ipv6_packet_lowers_the_gif_mtu) {
    topo t({false, true});
    t.setup_tunnel();
    EXPECT_TRUE(t.ping_lan(1));
    auto router = std::move(*t.wan.attach());
    const ether_addr r1_mac = t.r1.if_get("shmif1")->lladdr;
    std::vector<uint8_t> f(14 + 40 + 8 + 48);
    ether_hdr eh{r1_mac, router->mac(), be16::of(ethertype_ip6)};
    std::memcpy(f.data(), &eh, 14);
    auto put6 = [&](size_t off, uint16_t payload, uint8_t next, const char* src, const char* dst) {
        ip6_hdr h{};
        h.vtc_flow.set(uint32_t{6} << 28);
        h.payload_len.set(payload);
        h.next = next;
        h.hlim = 64;
        h.src = ip6(src);
        h.dst = ip6(dst);
        std::memcpy(f.data() + off, &h, 40);
    };
    put6(14, 8 + 48, ipproto_icmpv6, "2001:db8::99", "2001:db8::1");
    put6(62, 1400, 4, "2001:db8::1", "2001:db8::2");  // r1's outer packet, 1440 bytes
    uint8_t* ic = f.data() + 54;
    ic[0] = icmp6_packet_too_big;
    const uint32_t mtu = 1300;
    ic[4] = static_cast<uint8_t>(mtu >> 24);
    ic[5] = static_cast<uint8_t>(mtu >> 16);
    ic[6] = static_cast<uint8_t>(mtu >> 8);
    ic[7] = static_cast<uint8_t>(mtu);
    const uint16_t c = static_cast<uint16_t>(~ip6_pseudo_sum(ip6("2001:db8::99"), ip6("2001:db8::1"), ipproto_icmpv6, ic, 56));
    std::memcpy(ic + 2, &c, 2);
    mbuf* m = pkt_alloc(t.r1.pool(), static_cast<uint16_t>(f.size()));
    ASSERT_NE(m, nullptr);
    std::memcpy(pkt_data(m), f.data(), f.size());
    ASSERT_EQ(router->tx_burst(0, &m, 1), 1);
    t.w.run_for_ms(5);
    EXPECT_EQ(t.r1.if_get("gif0")->mtu, 1260u);
    EXPECT_EQ(t.r2.if_get("gif0")->mtu, 1280u);  // only the one it was about
    EXPECT_TRUE(t.ping_lan(1));
    router.reset();
}

// ---- two workers: the tunnel changes under traffic ------------------------------------------

// Worker 0 encapsulates (the LAN's queue), worker 1 decapsulates (the WAN's)
// while the control plane moves the tunnel between two peers, deletes it,
// destroys gif0 and makes it again. After each change no packet goes to the
// old peer and none from it is taken; nothing leaks.
TEST(t_gif_more, endpoints_change_under_traffic_on_two_workers) {
    stack_config c = no_dad();
    c.workers = 2;
    c.mbufs = 8191;
    drivers::bus wan("gw_wan"), lan("gw_lan");
    stack r(c);
    ctl::command_set cs(r);
    for (auto [b, name] : {std::pair{&wan, "shmif1"}, std::pair{&lan, "shmif0"}}) {
        auto p = b->attach();
        ASSERT_TRUE(p);
        ASSERT_TRUE(r.if_attach(name, std::move(*p)));
    }
    auto peer = std::move(*wan.attach());
    auto host = std::move(*lan.attach());
    ASSERT_TRUE(r.rxq_set_lcore("shmif0", 0, 0));
    ASSERT_TRUE(r.rxq_set_lcore("shmif1", 0, 1));
    auto setup = [&](const char* remote) {
        for (const std::string& l : std::vector<std::string>{
                 "ifconfig gif0 create", std::string("ifconfig gif0 tunnel 198.18.0.1 ") + remote,
                 "ifconfig gif0 inet 198.18.101.1/32 198.18.102.1", "ifconfig gif0 up",
                 "route add -inet 198.18.2.0/24 198.18.101.1"})
            topo::cmd(cs, l);
    };
    for (const std::string& l : std::vector<std::string>{
             "sysctl -w net.inet.ip.forwarding=1", "ifconfig shmif1 inet 198.18.0.1/24", "ifconfig shmif1 up",
             "ifconfig shmif0 inet 198.18.1.1/24", "ifconfig shmif0 up",
             "arp -s 198.18.0.2 " + peer->mac().str(), "arp -s 198.18.0.3 " + peer->mac().str(),
             "arp -s 198.18.1.2 " + host->mac().str()})
        topo::cmd(cs, l);
    setup("198.18.0.2");
    const ether_addr r_wan = r.if_get("shmif1")->lladdr, r_lan = r.if_get("shmif0")->lladdr;
    auto udp = [&](std::vector<uint8_t>& f, size_t off, ip4_addr src, ip4_addr dst) {
        wire::put_ip(f, off, 0, 28, 17, src, dst);
        wire::put_udp(f, off + 20);
    };
    auto send = [&](drivers::bus_port& p, const std::vector<uint8_t>& f) {
        mbuf* m = pkt_alloc(r.pool(), static_cast<uint16_t>(f.size()));
        ASSERT_NE(m, nullptr);
        std::memcpy(pkt_data(m), f.data(), f.size());
        ASSERT_EQ(p.tx_burst(0, &m, 1), 1);
    };
    const char* peers[2] = {"198.18.0.2", "198.18.0.3"};
    int current = 0;                // the peer gif0 has now; -1: no tunnel
    std::vector<int> current_at;    // per iteration: the peer while its packets were sent
    uint64_t encapsulated = 0, to_stale = 0, decapsulated = 0, from_stale_taken = 0;
    auto sport_of = [](const uint8_t* udp_hdr) { return uint16_t(udp_hdr[0] << 8 | udp_hdr[1]); };
    auto collect = [&] {
        mbuf* m[64];
        for (uint16_t n; (n = peer->rx_burst(0, m, 64)) > 0;)
            for (uint16_t i = 0; i < n; ++i) {
                const uint8_t* d = pkt_data(m[i]);
                if (pkt_len(m[i]) >= 14 + 20 + 28 && d[12] == 0x08 && d[13] == 0 && d[23] == 4) {
                    ++encapsulated;
                    const ip4_addr dst(uint32_t(d[30]) << 24 | uint32_t(d[31]) << 16 | uint32_t(d[32]) << 8 | d[33]);
                    const int when = current_at.at(sport_of(d + 54));
                    if (when < 0 || dst != ip(peers[when])) ++to_stale;
                }
                pkt_free(m[i]);
            }
        for (uint16_t n; (n = host->rx_burst(0, m, 64)) > 0;)
            for (uint16_t i = 0; i < n; ++i) {
                const uint8_t* d = pkt_data(m[i]);
                if (pkt_len(m[i]) >= 14 + 28 && d[12] == 0x08 && d[13] == 0 && d[23] == 17) {
                    ++decapsulated;
                    // The inner source's last byte tells the peer it came from.
                    const int from = (d[29] - 1) % 2;
                    if (from != current_at.at(sport_of(d + 34))) ++from_stale_taken;
                }
                pkt_free(m[i]);
            }
    };
    for (int it = 0; it < 400; ++it) {
        current_at.push_back(current);
        for (int k = 0; k < 8; ++k) {
            std::vector<uint8_t> f(14 + 28);
            ether_hdr eh{r_lan, host->mac(), be16::of(ethertype_ip4)};
            std::memcpy(f.data(), &eh, 14);
            udp(f, 14, ip("198.18.1.2"), ip4_addr(ip("198.18.2.0").v + 1 + k));
            f[34] = static_cast<uint8_t>(it >> 8);
            f[35] = static_cast<uint8_t>(it);
            send(*host, f);
            // From each peer in turn: only the current one's are decapsulated.
            std::vector<uint8_t> g(14 + 20 + 28);
            ether_hdr ew{r_wan, peer->mac(), be16::of(ethertype_ip4)};
            std::memcpy(g.data(), &ew, 14);
            wire::put_ip(g, 14, 0, 48, 4, ip(peers[k % 2]), ip("198.18.0.1"));
            udp(g, 34, ip4_addr(ip("198.18.2.0").v + 1 + k), ip("198.18.1.2"));
            g[54] = static_cast<uint8_t>(it >> 8);
            g[55] = static_cast<uint8_t>(it);
            send(*peer, g);
        }
        r.step();
        r.step();
        collect();
        switch (it % 50) {
            case 10:
                current = 1;
                topo::cmd(cs, "ifconfig gif0 tunnel 198.18.0.1 198.18.0.3");
                break;
            case 20:
                current = 0;
                topo::cmd(cs, "ifconfig gif0 tunnel 198.18.0.1 198.18.0.2");
                break;
            case 30:
                current = -1;
                topo::cmd(cs, "ifconfig gif0 deletetunnel");
                break;
            case 35:
                current = 1;
                topo::cmd(cs, "ifconfig gif0 tunnel 198.18.0.1 198.18.0.3");
                break;
            case 40:
                current = -1;
                topo::cmd(cs, "ifconfig gif0 destroy");
                break;
            case 45:
                current = 0;
                setup("198.18.0.2");
                break;
            default:
                break;
        }
    }
    for (int i = 0; i < 3; ++i) r.step();
    collect();
    EXPECT_EQ(to_stale, 0u);
    EXPECT_EQ(from_stale_taken, 0u);
    EXPECT_GT(encapsulated, 2000u);
    EXPECT_GT(decapsulated, 1000u);
    const auto lc = r.lcore_list();
    ASSERT_GE(lc.size(), 2u);
    EXPECT_GT(lc[0].rx_pkts, 0u);
    EXPECT_GT(lc[1].rx_pkts, 0u);
    EXPECT_GT(drop_count(r, "gif_no_tunnel"), 0u);
    topo::cmd(cs, "ifconfig gif0 destroy");
    peer.reset();
    host.reset();
    for (int i = 0; i < 3; ++i) r.step();
    EXPECT_EQ(pktpool_avail(r.pool()), c.mbufs) << "a packet leaked";
}

// ---- independent dissectors: tshark and scapy --------------------------------------------

// r with a gif over IPv4 (gif0) and one over IPv6 (gif1), each carrying both
// inner families: the four combinations.
struct dissect {
    world w;
    drivers::bus& wan = w.add_bus("wan");
    drivers::bus& lan = w.add_bus("lan");
    stack& r = w.add_stack("r", no_dad());
    ctl::command_set c{r};
    std::unique_ptr<drivers::bus_port> peer, host;
    dissect() {
        w.attach(r, wan, "shmif1");
        w.attach(r, lan, "shmif0");
        peer = std::move(*wan.attach());
        host = std::move(*lan.attach());
        for (const std::string& l : std::vector<std::string>{
                 "sysctl -w net.inet.ip.forwarding=1", "sysctl -w net.inet6.ip6.forwarding=1",
                 "ifconfig shmif1 inet 198.18.0.1/24", "ifconfig shmif1 inet6 2001:db8::1/64", "ifconfig shmif1 up",
                 "ifconfig shmif0 inet 198.18.1.1/24", "ifconfig shmif0 inet6 2001:db8:1::1/64", "ifconfig shmif0 up",
                 "ifconfig gif0 create", "ifconfig gif0 tunnel 198.18.0.1 198.18.0.2", "ifconfig gif0 up",
                 "ifconfig gif1 create", "ifconfig gif1 tunnel 2001:db8::1 2001:db8::2", "ifconfig gif1 up",
                 "route add -inet 198.18.2.0/24 -ifp gif0 -iface 198.18.0.2",
                 "route add -inet6 2001:db8:2::/64 -ifp gif0 -iface 2001:db8::2",
                 "route add -inet 198.18.3.0/24 -ifp gif1 -iface 198.18.0.2",
                 "route add -inet6 2001:db8:3::/64 -ifp gif1 -iface 2001:db8::2",
                 "arp -s 198.18.0.2 " + peer->mac().str(), "ndp -s 2001:db8::2 " + peer->mac().str(),
                 "arp -s 198.18.1.2 " + host->mac().str(), "ndp -s 2001:db8:1::2 " + host->mac().str()})
            topo::cmd(c, l);
        w.run_for_ms(5);
    }
    ~dissect() {
        peer.reset();
        host.reset();
    }
    void send(drivers::bus_port& p, const std::vector<uint8_t>& f) {
        mbuf* m = pkt_alloc(r.pool(), static_cast<uint16_t>(f.size()));
        ASSERT_NE(m, nullptr);
        std::memcpy(pkt_data(m), f.data(), f.size());
        ASSERT_EQ(p.tx_burst(0, &m, 1), 1);
        w.run_for_ms(2);
    }
    static std::vector<std::vector<uint8_t>> take(drivers::bus_port& p) {
        std::vector<std::vector<uint8_t>> out;
        mbuf* m[32];
        for (uint16_t n; (n = p.rx_burst(0, m, 32)) > 0;)
            for (uint16_t i = 0; i < n; ++i) {
                out.emplace_back(pkt_data(m[i]), pkt_data(m[i]) + pkt_len(m[i]));
                pkt_free(m[i]);
            }
        return out;
    }
};

TEST(t_gif_wire, tshark_and_scapy_read_what_gif_sends_and_gif_decapsulates_what_scapy_builds) {
    if (std::system("command -v tshark >/dev/null 2>&1") != 0) GTEST_SKIP() << "tshark not installed";
    if (std::system("/usr/bin/python3 -c 'import scapy.all' >/dev/null 2>&1") != 0) GTEST_SKIP() << "no scapy";
    dissect d;
    const std::string dir = "/tmp/mpnet-gif-wire-" + std::to_string(getpid());
    ASSERT_EQ(std::system(("mkdir -p " + dir).c_str()), 0);
    // scapy builds the frames on both sides: LAN packets for r to encapsulate,
    // and tunnel packets from the peer for r to decapsulate.
    const std::string r_lan = d.r.if_get("shmif0")->lladdr.str(), r_wan = d.r.if_get("shmif1")->lladdr.str();
    const std::string script = dir + "/build.py";
    {
        FILE* f = std::fopen(script.c_str(), "w");
        ASSERT_NE(f, nullptr);
        std::fprintf(f, R"(import sys
from scapy.all import Ether, IP, IPv6, UDP, raw
r_lan, r_wan, host, peer = sys.argv[1:5]
u = UDP(sport=4660, dport=9) / (b"mpnet-gif" * 3)
lan = [Ether(src=host, dst=r_lan) / IP(src="198.18.1.2", dst="198.18.2.9") / u,
       Ether(src=host, dst=r_lan) / IPv6(src="2001:db8:1::2", dst="2001:db8:2::9") / u,
       Ether(src=host, dst=r_lan) / IP(src="198.18.1.2", dst="198.18.3.9") / u,
       Ether(src=host, dst=r_lan) / IPv6(src="2001:db8:1::2", dst="2001:db8:3::9") / u]
wan = [Ether(src=peer, dst=r_wan) / IP(src="198.18.0.2", dst="198.18.0.1") / IP(src="198.18.2.9", dst="198.18.1.2") / u,
       Ether(src=peer, dst=r_wan) / IP(src="198.18.0.2", dst="198.18.0.1") / IPv6(src="2001:db8:2::9", dst="2001:db8:1::2") / u,
       Ether(src=peer, dst=r_wan) / IPv6(src="2001:db8::2", dst="2001:db8::1") / IP(src="198.18.3.9", dst="198.18.1.2") / u,
       Ether(src=peer, dst=r_wan) / IPv6(src="2001:db8::2", dst="2001:db8::1") / IPv6(src="2001:db8:3::9", dst="2001:db8:1::2") / u]
for p in lan: print("lan", raw(p).hex())
for p in wan: print("wan", raw(p).hex())
)");
        std::fclose(f);
    }
    const std::string built = shell_output("/usr/bin/python3 " + script + " " + r_lan + " " + r_wan + " " +
                                           d.host->mac().str() + " " + d.peer->mac().str() + " 2>&1");
    std::vector<std::vector<uint8_t>> lan_in, wan_in;
    {
        std::istringstream is(built);
        std::string side, hex;
        while (is >> side >> hex) (side == "lan" ? lan_in : wan_in).push_back(unhex(hex));
    }
    ASSERT_EQ(lan_in.size(), 4u) << built;
    ASSERT_EQ(wan_in.size(), 4u) << built;
    // Encapsulation: what r sends on the WAN, written as a capture.
    d.take(*d.peer);
    for (const auto& f : lan_in) d.send(*d.host, f);
    ASSERT_EQ(d.take(*d.peer).size(), 4u);
    const std::string wan_pcap = dir + "/wan.pcap";
    ASSERT_TRUE(d.wan.write_pcap(wan_pcap));  // before the peer sends anything
    const std::string ts = shell_output("tshark -n -r " + wan_pcap +
                                        " -T fields -E separator=@ -e frame.protocols -e ip.src -e ipv6.src "
                                        "-e udp.dstport 2>/dev/null");
    EXPECT_EQ(count_of(ts, "eth:ethertype:ip:ip:udp"), 1u) << ts;
    EXPECT_EQ(count_of(ts, "eth:ethertype:ip:ipv6:udp"), 1u) << ts;
    EXPECT_EQ(count_of(ts, "eth:ethertype:ipv6:ip:udp"), 1u) << ts;
    EXPECT_EQ(count_of(ts, "eth:ethertype:ipv6:ipv6:udp"), 1u) << ts;
    EXPECT_EQ(count_of(ts, "198.18.0.1,198.18.1.2"), 1u) << ts;  // outer and inner sources, IPv4 in IPv4
    EXPECT_EQ(count_of(ts, "2001:db8::1,2001:db8:1::2"), 1u) << ts;  // IPv6 in IPv6
    EXPECT_EQ(count_of(ts, "@9\n"), 4u) << ts;
    const std::string bad = shell_output("tshark -n -r " + wan_pcap + " -Y '_ws.malformed || _ws.expert.severity >= 8388608' 2>/dev/null");
    EXPECT_EQ(bad, "") << bad;
    const std::string sc = shell_output("/usr/bin/python3 -c \"from scapy.all import rdpcap\nfor p in rdpcap('" +
                                        wan_pcap + "'): print(p.summary())\" 2>&1");
    EXPECT_EQ(count_of(sc, "IP / IP / UDP"), 1u) << sc;
    EXPECT_EQ(count_of(sc, "IP / IPv6 / UDP"), 1u) << sc;
    EXPECT_EQ(count_of(sc, "IPv6 / IP / UDP"), 1u) << sc;
    EXPECT_EQ(count_of(sc, "IPv6 / IPv6 / UDP"), 1u) << sc;
    // Decapsulation: scapy's tunnel packets come out on the LAN as their
    // inner packets, forwarded (TTL and hop limit one less), bytes intact.
    d.take(*d.host);
    for (const auto& f : wan_in) d.send(*d.peer, f);
    const auto got = d.take(*d.host);
    ASSERT_EQ(got.size(), 4u);
    for (size_t i = 0; i < 4; ++i) {
        const bool outer6 = i >= 2;
        const size_t inner_at = 14 + (outer6 ? 40 : 20);
        const std::vector<uint8_t>& sent = wan_in[i];
        const std::vector<uint8_t>& g = got[i];
        ASSERT_EQ(g.size(), sent.size() - (inner_at - 14)) << i;
        std::vector<uint8_t> want(sent.begin() + static_cast<long>(inner_at), sent.end());
        std::vector<uint8_t> have(g.begin() + 14, g.end());
        const bool inner6 = (want[0] >> 4) == 6;
        EXPECT_EQ(have[inner6 ? 7 : 8] + 1, want[inner6 ? 7 : 8]) << i;  // TTL / hop limit
        if (inner6) {
            want[7] = have[7];
        } else {
            want[8] = have[8];
            want[10] = have[10];  // the checksum, updated with the TTL
            want[11] = have[11];
            EXPECT_EQ(cksum_raw(have.data(), 20), 0xffff) << i;
        }
        EXPECT_EQ(have, want) << i;
    }
    const std::string lan_pcap = dir + "/lan.pcap";
    ASSERT_TRUE(d.lan.write_pcap(lan_pcap));
    const std::string lt = shell_output("tshark -n -r " + lan_pcap + " -Y 'udp.dstport == 9' -T fields -e frame.protocols 2>&1");
    // Each family: two from scapy's host into the tunnels, two decapsulated out of them.
    EXPECT_EQ(count_of(lt, "eth:ethertype:ip:udp"), 4u) << lt;
    EXPECT_EQ(count_of(lt, "eth:ethertype:ipv6:udp"), 4u) << lt;
    std::system(("rm -rf " + dir).c_str());
}

}  // namespace
}  // namespace mpnet::testing
