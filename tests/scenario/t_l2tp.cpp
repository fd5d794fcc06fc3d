// SPDX-License-Identifier: BSD-2-Clause
// l2tp(4), ported from NetBSD's tests/net/if_l2tp/t_l2tp.sh: two LACs whose
// LAN ports are bridged with an L2TPv3 pseudowire over their WAN, so two
// clients in one subnet on two separate segments reach each other; the four
// combinations of LAN and WAN family; create_destroy; teardown makes the
// pings fail. Beyond NetBSD's cases: over UDP as well as IP, cookies of 4
// and 8 bytes (a wrong one is a named drop), a session no pseudowire has,
// the same tunnel and session on two interfaces refused, an l2tp interface
// with an address of its own, bad requests, and the wire read by tshark and
// scapy (with and without cookies, IP and UDP) and scapy's frames
// decapsulated.
//
// Addresses: NetBSD's 10.0.0.x/fc00:: WAN and 192.168.1.x/fc00:1:: LAN
// mapped into 198.18.0.0/15 and 2001:db8::/32.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>

#include "../support/l2_churn.hpp"
#include "../support/world.hpp"
#include "mpnet/core/wire.hpp"
#include "mpnet/ctl/commands.hpp"
#include "mpnet/modules/bridge.hpp"
#include "mpnet/modules/l2tp.hpp"

namespace mpnet::testing {
namespace {

void cmd(ctl::command_set& c, const std::string& line) {
    const ctl::reply r = c.execute(line);
    EXPECT_EQ(r.status, 0) << line << ": " << r.text;
}

std::string inet(bool six) { return six ? "inet6" : "inet"; }

struct l2tp_case {
    bool lan6, wan6;
    bool udp = false;
};
std::string case_name(const ::testing::TestParamInfo<l2tp_case>& i) {
    return std::string(i.param.lan6 ? "ipv6" : "ipv4") + "over" + (i.param.wan6 ? "ipv6" : "ipv4") +
           (i.param.udp ? "_udp" : "");
}

struct topo {
    world w;
    drivers::bus& wan = w.add_bus("wan");
    drivers::bus& lan1 = w.add_bus("lan1");
    drivers::bus& lan2 = w.add_bus("lan2");
    stack& lac1 = w.add_stack("lac1", no_dad());
    stack& lac2 = w.add_stack("lac2", no_dad());
    stack& client1 = w.add_stack("client1", no_dad());
    stack& client2 = w.add_stack("client2", no_dad());
    ctl::command_set c1{lac1}, c2{lac2}, cc1{client1}, cc2{client2};
    l2tp_case p;

    explicit topo(l2tp_case pc) : p(pc) {
        w.attach(lac1, wan, "shmif1");
        w.attach(lac2, wan, "shmif1");
        w.attach(lac1, lan1, "shmif0");
        w.attach(lac2, lan2, "shmif0");
        w.attach(client1, lan1, "shmif0");
        w.attach(client2, lan2, "shmif0");
        cmd(c1, p.wan6 ? "ifconfig shmif1 inet6 2001:db8::1/64" : "ifconfig shmif1 inet 198.18.0.1/24");
        cmd(c2, p.wan6 ? "ifconfig shmif1 inet6 2001:db8::2/64" : "ifconfig shmif1 inet 198.18.0.2/24");
        cmd(cc1, p.lan6 ? "ifconfig shmif0 inet6 2001:db8:1::1/64" : "ifconfig shmif0 inet 198.18.1.1/24");
        cmd(cc2, p.lan6 ? "ifconfig shmif0 inet6 2001:db8:1::2/64" : "ifconfig shmif0 inet 198.18.1.2/24");
        for (auto* c : {&c1, &c2}) {
            cmd(*c, "ifconfig shmif0 up");
            cmd(*c, "ifconfig shmif1 up");
        }
        for (auto* c : {&cc1, &cc2}) cmd(*c, "ifconfig shmif0 up");
        w.run_for_ms(5);
    }
    const char* wan_addr(int lac) const {
        if (p.wan6) return lac == 1 ? "2001:db8::1" : "2001:db8::2";
        return lac == 1 ? "198.18.0.1" : "198.18.0.2";
    }
    // NetBSD's setup: l2tp0 with the tunnel and session, bridged with the LAN port.
    void setup(const char* extra1 = nullptr, const char* extra2 = nullptr) {
        for (int lac = 1; lac <= 2; ++lac) {
            ctl::command_set& c = lac == 1 ? c1 : c2;
            cmd(c, "ifconfig l2tp0 create");
            if (p.udp) cmd(c, "ifconfig l2tp0 encap udp");
            cmd(c, fmt::format("ifconfig l2tp0 tunnel {} {}", wan_addr(lac), wan_addr(3 - lac)));
            cmd(c, lac == 1 ? "ifconfig l2tp0 session 1234 4321" : "ifconfig l2tp0 session 4321 1234");
            if (const char* x = lac == 1 ? extra1 : extra2) cmd(c, x);
            cmd(c, "ifconfig l2tp0 up");
            cmd(c, "ifconfig bridge0 create");
            cmd(c, "ifconfig bridge0 up");
            cmd(c, "brconfig bridge0 add shmif0");
            cmd(c, "brconfig bridge0 add l2tp0");
        }
        w.run_for_ms(5);
    }
    void teardown() {
        for (auto* c : {&c1, &c2}) {
            cmd(*c, "ifconfig bridge0 destroy");
            cmd(*c, "ifconfig l2tp0 deletetunnel");
            cmd(*c, "ifconfig l2tp0 destroy");
        }
        client1.arp_flush();
        client2.arp_flush();
        client1.ndp_flush();
        client2.ndp_flush();
        w.run_for_ms(5);
    }
    bool ping(int from, uint32_t timeout_ms = 1000) {
        stack& s = from == 1 ? client1 : client2;
        if (p.lan6) return w.ping6(s, ip6(from == 1 ? "2001:db8:1::2" : "2001:db8:1::1"), "", timeout_ms);
        return w.ping(s, ip(from == 1 ? "198.18.1.2" : "198.18.1.1"), timeout_ms);
    }
};

class t_l2tp : public ::testing::TestWithParam<l2tp_case> {};

TEST_P(t_l2tp, l2tp_basic) {
    topo t(GetParam());
    // Pre-checks: the LACs reach each other over the WAN; the clients do not.
    if (t.p.wan6)
        EXPECT_TRUE(t.w.ping6(t.lac1, ip6("2001:db8::2")));
    else
        EXPECT_TRUE(t.w.ping(t.lac1, ip("198.18.0.2")));
    EXPECT_FALSE(t.ping(1, 200));
    t.setup();
    const std::string show = t.c1.execute("ifconfig l2tp0").text;
    EXPECT_NE(show.find(fmt::format("tunnel {} {} --> {}", inet(t.p.wan6), t.wan_addr(1), t.wan_addr(2))),
              std::string::npos)
        << show;
    EXPECT_NE(show.find("session 1234 4321"), std::string::npos) << show;
    EXPECT_NE(show.find("RUNNING"), std::string::npos) << show;
    EXPECT_TRUE(t.ping(1));
    EXPECT_TRUE(t.ping(2));
    EXPECT_GT(t.lac1.if_get("l2tp0")->opackets, 0u);
    EXPECT_GT(t.lac2.if_get("l2tp0")->ipackets, 0u);
    // The running configuration rebuilds the pseudowire.
    const std::string cfg = t.c1.running_config();
    EXPECT_NE(cfg.find(fmt::format("ifconfig l2tp0 tunnel {} {}", t.wan_addr(1), t.wan_addr(2))), std::string::npos)
        << cfg;
    EXPECT_NE(cfg.find("ifconfig l2tp0 session 1234 4321"), std::string::npos) << cfg;
    EXPECT_EQ(cfg.find("encap udp") != std::string::npos, t.p.udp) << cfg;
    t.teardown();
    EXPECT_FALSE(t.ping(1, 200));
    EXPECT_FALSE(t.ping(2, 200));
}

TEST_P(t_l2tp, l2tp_cookies) {
    topo t(GetParam());
    // 4 bytes one way, 8 the other: each side sends what the other expects.
    t.setup("ifconfig l2tp0 cookie 4 305419896 8 1311768467463790320",
            "ifconfig l2tp0 cookie 8 1311768467463790320 4 305419896");
    EXPECT_TRUE(t.ping(1));
    EXPECT_TRUE(t.ping(2));
    EXPECT_NE(t.c1.execute("ifconfig l2tp0").text.find("cookie 4 305419896 8 1311768467463790320"),
              std::string::npos);
    // A wrong cookie on lac2's side: lac1's frames are refused by name.
    cmd(t.c2, "ifconfig l2tp0 cookie 8 1311768467463790321 4 305419896");
    t.client1.arp_flush();
    t.client1.ndp_flush();
    EXPECT_FALSE(t.ping(1, 300));
    EXPECT_GT(drop_count(t.lac2, "l2tp_bad_cookie"), 0u);
    // No cookies on either side: working again.
    cmd(t.c1, "ifconfig l2tp0 deletecookie");
    cmd(t.c2, "ifconfig l2tp0 deletecookie");
    EXPECT_TRUE(t.ping(1));
}

TEST_P(t_l2tp, l2tp_create_destroy) {
    topo t(GetParam());
    for (int round = 0; round < 3; ++round) {
        cmd(t.c1, "ifconfig l2tp0 create");
        const auto i = t.lac1.if_get("l2tp0");
        ASSERT_TRUE(i.has_value());
        EXPECT_EQ(i->kind, "l2tp");
        EXPECT_FALSE(i->lladdr.is_zero());
        cmd(t.c1, "ifconfig l2tp0 up");
        EXPECT_FALSE(t.lac1.if_get("l2tp0")->flags & iff::running);  // no tunnel, no session
        cmd(t.c1, fmt::format("ifconfig l2tp0 tunnel {} {}", t.wan_addr(1), t.wan_addr(2)));
        cmd(t.c1, "ifconfig l2tp0 session 1 2");
        EXPECT_TRUE(t.lac1.if_get("l2tp0")->flags & iff::running);
        cmd(t.c1, "ifconfig l2tp0 deletesession");
        EXPECT_FALSE(t.lac1.if_get("l2tp0")->flags & iff::running);
        cmd(t.c1, "ifconfig l2tp0 session 1 2");
        cmd(t.c1, "ifconfig l2tp0 destroy");
        EXPECT_FALSE(t.lac1.if_get("l2tp0").has_value());
    }
    // The session went with it: another interface may take it.
    cmd(t.c1, "ifconfig l2tp1 create");
    cmd(t.c1, fmt::format("ifconfig l2tp1 tunnel {} {}", t.wan_addr(1), t.wan_addr(2)));
    cmd(t.c1, "ifconfig l2tp1 session 1 2");
}

INSTANTIATE_TEST_SUITE_P(all, t_l2tp,
                         ::testing::Values(l2tp_case{false, false}, l2tp_case{false, true}, l2tp_case{true, false},
                                           l2tp_case{true, true}, l2tp_case{false, false, true},
                                           l2tp_case{true, true, true}),
                         case_name);

TEST(t_l2tp_more, a_session_no_pseudowire_has_and_a_duplicate_are_refused) {
    topo t({false, false});
    t.setup();
    EXPECT_TRUE(t.ping(1));
    // lac2 expects 4321 from 198.18.0.1; lac1 now sends 4322.
    cmd(t.c1, "ifconfig l2tp0 session 1234 4322");
    t.client1.arp_flush();
    EXPECT_FALSE(t.ping(1, 300));
    EXPECT_GT(drop_count(t.lac2, "l2tp_no_session"), 0u);
    cmd(t.c1, "ifconfig l2tp0 session 1234 4321");
    EXPECT_TRUE(t.ping(1));
    // The same tunnel and local session on a second interface: refused, and
    // the first keeps working.
    cmd(t.c1, "ifconfig l2tp1 create");
    cmd(t.c1, "ifconfig l2tp1 tunnel 198.18.0.1 198.18.0.2");
    const ctl::reply dup = t.c1.execute("ifconfig l2tp1 session 1234 9");
    EXPECT_NE(dup.status, 0);
    EXPECT_NE(dup.text.find("SIOCSLIFPHYADDR"), std::string::npos) << dup.text;
    EXPECT_EQ(l2tp::get(t.lac1, "l2tp1")->cfg.local_session, 0u);
    EXPECT_TRUE(t.ping(1));
    // Another local session on the same tunnel is fine.
    cmd(t.c1, "ifconfig l2tp1 session 1235 9");
}

TEST(t_l2tp_more, an_l2tp_interface_with_addresses_of_its_own) {
    topo t({false, false});
    for (int lac = 1; lac <= 2; ++lac) {
        ctl::command_set& c = lac == 1 ? t.c1 : t.c2;
        cmd(c, "ifconfig l2tp0 create");
        cmd(c, fmt::format("ifconfig l2tp0 tunnel {} {}", t.wan_addr(lac), t.wan_addr(3 - lac)));
        cmd(c, lac == 1 ? "ifconfig l2tp0 session 10 20" : "ifconfig l2tp0 session 20 10");
        cmd(c, lac == 1 ? "ifconfig l2tp0 inet 198.18.50.1/24" : "ifconfig l2tp0 inet 198.18.50.2/24");
        cmd(c, lac == 1 ? "ifconfig l2tp0 inet6 2001:db8:50::1/64" : "ifconfig l2tp0 inet6 2001:db8:50::2/64");
        cmd(c, "ifconfig l2tp0 up");
    }
    // Its link address is its own to set (NetBSD's `ifconfig l2tp0 link
    // MAC active`); a vlan's, which follows its parent's, is not.
    const ether_addr mac{{0x02, 0, 0, 0, 0x50, 0x02}};
    cmd(t.c2, "ifconfig l2tp0 link 02:00:00:00:50:02 active");
    EXPECT_EQ(t.lac2.if_get("l2tp0")->lladdr, mac);
    cmd(t.c2, "ifconfig vlan5 create");
    cmd(t.c2, "ifconfig vlan5 vlan 5 vlanif shmif0");
    EXPECT_NE(t.c2.execute("ifconfig vlan5 link 02:00:00:00:50:05 active").status, 0);
    EXPECT_EQ(t.lac2.if_get("vlan5")->lladdr, t.lac2.if_get("shmif0")->lladdr);
    t.w.run_for_ms(5);
    // ARP and ND run over the pseudowire like over any Ethernet.
    EXPECT_TRUE(t.w.ping(t.lac1, ip("198.18.50.2")));
    EXPECT_TRUE(t.w.ping6(t.lac2, ip6("2001:db8:50::1")));
    auto e = t.lac1.arp_get(ip("198.18.50.2"));
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].mac, mac);
}

TEST(t_l2tp_more, bad_requests_change_nothing) {
    topo t({false, false});
    cmd(t.c1, "ifconfig l2tp0 create");
    for (const char* bad :
         {"ifconfig l2tp0 session 0 5", "ifconfig l2tp0 session 5", "ifconfig l2tp0 session 5 x",
          "ifconfig l2tp0 session 5 4294967296", "ifconfig l2tp0 cookie 3 1 4 1", "ifconfig l2tp0 cookie 4 4294967296 0 0",
          "ifconfig l2tp0 cookie 4 1 4", "ifconfig l2tp0 encap gre", "ifconfig l2tp0 tunnel 198.18.0.1 2001:db8::2",
          "ifconfig l2tp0 tunnel 198.18.0.1 255.255.255.255", "ifconfig shmif0 session 1 2",
          "ifconfig shmif0 encap udp", "ifconfig l2tp9 session 1 2"}) {
        const ctl::reply r = t.c1.execute(bad);
        EXPECT_NE(r.status, 0) << bad;
        EXPECT_FALSE(r.text.empty()) << bad;
    }
    const auto i = l2tp::get(t.lac1, "l2tp0");
    ASSERT_TRUE(i.has_value());
    EXPECT_FALSE(i->cfg.has_tunnel);
    EXPECT_EQ(i->cfg.local_session, 0u);
    EXPECT_EQ(i->cfg.local_cookie.len, 0u);
    EXPECT_FALSE(i->cfg.udp);
}

// Two workers, l2tp0 moved between local sessions 1234 and 1235 (its
// remote following), its tunnel deleted, it destroyed and remade under
// traffic (tests/support/l2_churn.hpp): every frame leaves with the session
// of the moment it was sent, none for another session is taken, nothing leaks.
TEST(t_l2tp_more, session_changes_under_traffic_on_two_workers) {
    l2_churn_kind k;
    k.ifname = "l2tp0";
    k.create = {"ifconfig l2tp0 create", "ifconfig l2tp0 tunnel 198.18.0.1 198.18.0.2",
                "ifconfig l2tp0 session 1234 4321"};
    k.to[0] = "ifconfig l2tp0 session 1234 4321";
    k.to[1] = "ifconfig l2tp0 session 1235 4322";
    k.delete_tunnel = "ifconfig l2tp0 deletetunnel";
    k.restore = {"ifconfig l2tp0 tunnel 198.18.0.1 198.18.0.2", "ifconfig l2tp0 session 1235 4322"};
    k.refused_drop = "l2tp_no_session";
    k.wrap = [](int id, const std::vector<uint8_t>& frame, const ether_addr& to, const ether_addr& from) {
        std::vector<uint8_t> g = l2_churn_outer(l2tp::ipproto_l2tp, 4, frame, to, from);
        const uint32_t sid = id ? 1235 : 1234;
        g[36] = static_cast<uint8_t>(sid >> 8);
        g[37] = static_cast<uint8_t>(sid);
        return g;
    };
    k.sent_as = [](const uint8_t* d, uint32_t len, uint32_t* at) {
        if (len < 14 + 20 + 4 || d[12] != 0x08 || d[13] != 0 || d[23] != l2tp::ipproto_l2tp) return -2;
        *at = 14 + 20 + 4;
        const uint32_t sid = uint32_t(d[34]) << 24 | uint32_t(d[35]) << 16 | uint32_t(d[36]) << 8 | d[37];
        return sid == 4321 ? 0 : sid == 4322 ? 1 : -3;
    };
    const l2_churn_counts n = run_l2_churn(k);
    EXPECT_EQ(n.stale_out, 0u);
    EXPECT_EQ(n.stale_in, 0u);
    EXPECT_GT(n.out, 1500u);
    EXPECT_GT(n.in, 800u);
    EXPECT_GT(n.refused, 0u);
    EXPECT_EQ(n.leaked, 0u) << "a packet leaked";
}

// ---- the wire: tshark and scapy -------------------------------------------------------------

// One LAC; the test is the LAN host and the far LAC. For each of four
// pseudowire shapes (IP without cookie, IP with an 8-byte cookie, UDP
// without, UDP with a 4-byte cookie over IPv6), a frame from the LAN goes out
// encapsulated, tshark and scapy read it, and scapy's frame from the far LAC
// comes out on the LAN intact.
struct wire_case {
    const char* name;
    bool udp, wan6;
    unsigned cookie_len;  // 0, 4 or 8: the same value both ways here
};

TEST(t_l2tp_wire, tshark_and_scapy_read_what_l2tp_sends_and_l2tp_decapsulates_what_scapy_builds) {
    if (std::system("command -v tshark >/dev/null 2>&1") != 0) GTEST_SKIP() << "tshark not installed";
    if (std::system("/usr/bin/python3 -c 'import scapy.all' >/dev/null 2>&1") != 0) GTEST_SKIP() << "no scapy";
    const wire_case cases[] = {{"ip", false, false, 0}, {"ip_cookie8", false, false, 8}, {"udp", true, false, 0},
                               {"udp6_cookie4", true, true, 4}};
    const std::string dir = "/tmp/mpnet-l2tp-wire-" + std::to_string(getpid());
    ASSERT_EQ(std::system(("mkdir -p " + dir).c_str()), 0);
    const std::string script = dir + "/build.py";
    {
        FILE* f = std::fopen(script.c_str(), "w");
        ASSERT_NE(f, nullptr);
        // scapy has no L2TPv3 data layer: the session header is raw bytes
        // (RFC 3931 4.1.1.2 over IP; 4.1.2.1's 4-byte header first over UDP).
        std::fprintf(f, R"(import sys, struct
from scapy.all import Ether, IP, IPv6, UDP, ICMP, Raw, raw, rdpcap
mode = sys.argv[1]
if mode == "build":
    udp, wan6, clen, lac_mac, peer_mac = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
    inner = Ether(src="02:00:00:00:0c:02", dst="02:00:00:00:0c:01") / IP(src="198.18.1.2", dst="198.18.1.1") / ICMP(id=7, seq=1) / (b"l2tp" * 8)
    hdr = struct.pack("!I", 1234) + (0x0123456789abcdef).to_bytes(8, "big")[8 - clen:]
    if udp:
        hdr = struct.pack("!HH", 3, 0) + hdr
    outer = IPv6(src="2001:db8::2", dst="2001:db8::1", nh=17 if udp else 115) if wan6 else IP(src="198.18.0.2", dst="198.18.0.1", proto=17 if udp else 115)
    pkt = Ether(src=peer_mac, dst=lac_mac) / outer
    pkt = pkt / UDP(sport=1701, dport=1701) / Raw(hdr + raw(inner)) if udp else pkt / Raw(hdr + raw(inner))
    print(raw(pkt).hex())
else:
    for p in rdpcap(sys.argv[2]):
        if (IP in p and p[IP].proto in (17, 115)) or (IPv6 in p and p[IPv6].nh in (17, 115)):
            body = bytes(p[UDP].payload)[4:] if UDP in p else bytes(p[Raw].load)
            sid = struct.unpack("!I", body[:4])[0]
            clen = int(sys.argv[3])
            inner = Ether(body[4 + clen:])
            print("sid", sid, "cookie", body[4:4 + clen].hex() or "-", "inner", inner.summary())
)");
        std::fclose(f);
    }
    for (const wire_case& wc : cases) {
        SCOPED_TRACE(wc.name);
        world w;
        drivers::bus& wan = w.add_bus("wan");
        drivers::bus& lan = w.add_bus("lan");
        stack& r = w.add_stack("lac", no_dad());
        ctl::command_set c{r};
        w.attach(r, wan, "shmif1");
        w.attach(r, lan, "shmif0");
        auto peer = std::move(*wan.attach());
        auto host = std::move(*lan.attach());
        const std::string cookie =
            wc.cookie_len == 0 ? "" : fmt::format("ifconfig l2tp0 cookie {0} {1} {0} {1}", wc.cookie_len,
                                                  wc.cookie_len == 8 ? 0x0123456789abcdefULL : 0x89abcdefULL);
        for (const std::string& l : std::vector<std::string>{
                 wc.wan6 ? "ifconfig shmif1 inet6 2001:db8::1/64" : "ifconfig shmif1 inet 198.18.0.1/24",
                 "ifconfig shmif1 up", "ifconfig shmif0 up", "ifconfig l2tp0 create",
                 wc.udp ? "ifconfig l2tp0 encap udp" : "",
                 wc.wan6 ? "ifconfig l2tp0 tunnel 2001:db8::1 2001:db8::2"
                         : "ifconfig l2tp0 tunnel 198.18.0.1 198.18.0.2",
                 "ifconfig l2tp0 session 1234 4321", cookie, "ifconfig l2tp0 up", "ifconfig bridge0 create",
                 "ifconfig bridge0 up", "brconfig bridge0 add shmif0", "brconfig bridge0 add l2tp0",
                 wc.wan6 ? "ndp -s 2001:db8::2 " + peer->mac().str() : "arp -s 198.18.0.2 " + peer->mac().str()})
            if (!l.empty()) cmd(c, l);
        w.run_for_ms(5);
        // A frame from the LAN host: out of the pseudowire.
        {
            mbuf* m[64];
            while (uint16_t n = peer->rx_burst(0, m, 64))
                for (uint16_t i = 0; i < n; ++i) pkt_free(m[i]);
        }
        // scapy builds the far LAC's packet; its inner frame is what the LAN host sends.
        const std::string built_in = shell_output(
            fmt::format("/usr/bin/python3 {} build {} {} {} {} {} 2>&1", script, wc.udp ? 1 : 0, wc.wan6 ? 1 : 0,
                        wc.cookie_len, r.if_get("shmif1")->lladdr.str(), peer->mac().str()));
        std::vector<uint8_t> from_peer = unhex(built_in.substr(0, built_in.find('\n')));
        ASSERT_GT(from_peer.size(), 60u) << built_in;
        // The LAN frame: the inner Ethernet frame of scapy's packet, sent by the host.
        const size_t inner_at = from_peer.size() - (14 + 20 + 8 + 32);
        std::vector<uint8_t> inner(from_peer.begin() + static_cast<long>(inner_at), from_peer.end());
        auto send = [&](drivers::bus_port& p, const std::vector<uint8_t>& f) {
            mbuf* m = pkt_alloc(r.pool(), static_cast<uint16_t>(f.size()));
            ASSERT_NE(m, nullptr);
            std::memcpy(pkt_data(m), f.data(), f.size());
            ASSERT_EQ(p.tx_burst(0, &m, 1), 1);
            w.run_for_ms(2);
        };
        send(*host, inner);
        const std::string pcap = dir + "/" + wc.name + ".pcap";
        ASSERT_TRUE(wan.write_pcap(pcap));
        const std::string tshark_opts =
            fmt::format("-o 'l2tp.cookie_size:{}' -o l2tp.l2_specific:None -d l2tp.pw_type==0,eth",
                        wc.cookie_len == 0 ? "None" : fmt::format("{} Byte Cookie", wc.cookie_len));
        const std::string ts = shell_output("tshark -n -r " + pcap + " " + tshark_opts +
                                            " -Y 'l2tp' -T fields -E separator=@ -e frame.protocols "
                                            "-e l2tp.sid -e ip.src -e icmp.type 2>/dev/null");
        EXPECT_EQ(count_of(ts, "\n"), 1u) << ts;
        EXPECT_NE(ts.find(":l2tp:ethertype:ip:icmp"), std::string::npos) << ts;
        EXPECT_NE(ts.find("@0x000010e1@"), std::string::npos) << ts;  // session 4321
        EXPECT_NE(ts.find("198.18.1.2"), std::string::npos) << ts;  // the inner source
        EXPECT_EQ(shell_output("tshark -n -r " + pcap + " " + tshark_opts + " -Y '_ws.malformed' 2>/dev/null"), "");
        if (wc.udp && wc.wan6) {
            // Over IPv6 the UDP checksum is mandatory: tshark verifies it.
            const std::string ck = shell_output("tshark -n -r " + pcap + " " + tshark_opts +
                                                " -o udp.check_checksum:TRUE -Y 'udp.checksum.status == \"Good\"' "
                                                "-T fields -e udp.checksum 2>/dev/null");
            EXPECT_EQ(count_of(ck, "\n"), 1u) << ck;
        }
        const std::string sc = shell_output(fmt::format("/usr/bin/python3 {} read {} {} 2>&1", script, pcap, wc.cookie_len));
        const std::string want_cookie = wc.cookie_len == 8 ? "0123456789abcdef" : wc.cookie_len == 4 ? "89abcdef" : "-";
        EXPECT_NE(sc.find("sid 4321 cookie " + want_cookie + " inner Ether / IP / ICMP 198.18.1.2 > 198.18.1.1 echo-request"),
                  std::string::npos)
            << sc;
        // scapy's frame from the far LAC: its inner frame out on the LAN, intact.
        {
            mbuf* m[64];
            while (uint16_t n = host->rx_burst(0, m, 64))
                for (uint16_t i = 0; i < n; ++i) pkt_free(m[i]);
        }
        send(*peer, from_peer);
        mbuf* got[8];
        const uint16_t n = host->rx_burst(0, got, 8);
        ASSERT_EQ(n, 1u);
        EXPECT_EQ(std::vector<uint8_t>(pkt_data(got[0]), pkt_data(got[0]) + pkt_len(got[0])), inner);
        pkt_free(got[0]);
        EXPECT_EQ(r.if_get("l2tp0")->ipackets, 1u);
        peer.reset();
        host.reset();
    }
    std::system(("rm -rf " + dir).c_str());
}

}  // namespace
}  // namespace mpnet::testing
