// SPDX-License-Identifier: BSD-2-Clause
// vxlan(4) between two mpnet routers: an L3 segment over IPv4 and IPv6
// underlays (both inner families), two sites' LANs bridged over it, a VNI
// no vxlan has and a header without the I flag as named drops, the same
// tunnel and VNI refused twice, bad requests, and the wire read by tshark
// and scapy with scapy's frames decapsulated. Linux as the peer is
// tests/interop/test_vxlan_interop.sh.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "../support/l2_churn.hpp"
#include "../support/world.hpp"
#include "mpnet/core/checksum.hpp"
#include "mpnet/core/wire.hpp"
#include "mpnet/ctl/commands.hpp"
#include "mpnet/modules/vxlan.hpp"

namespace mpnet::testing {
namespace {

void cmd(ctl::command_set& c, const std::string& line) {
    const ctl::reply r = c.execute(line);
    EXPECT_EQ(r.status, 0) << line << ": " << r.text;
}

struct topo {
    world w;
    drivers::bus& wan = w.add_bus("wan");
    drivers::bus& lan1 = w.add_bus("lan1");
    drivers::bus& lan2 = w.add_bus("lan2");
    stack& r1 = w.add_stack("r1", no_dad());
    stack& r2 = w.add_stack("r2", no_dad());
    ctl::command_set c1{r1}, c2{r2};
    bool wan6;
    explicit topo(bool six) : wan6(six) {
        w.attach(r1, wan, "shmif1");
        w.attach(r2, wan, "shmif1");
        w.attach(r1, lan1, "shmif0");
        w.attach(r2, lan2, "shmif0");
        cmd(c1, six ? "ifconfig shmif1 inet6 2001:db8::1/64" : "ifconfig shmif1 inet 198.18.0.1/24");
        cmd(c2, six ? "ifconfig shmif1 inet6 2001:db8::2/64" : "ifconfig shmif1 inet 198.18.0.2/24");
        for (auto* c : {&c1, &c2}) {
            cmd(*c, "ifconfig shmif1 up");
            cmd(*c, "ifconfig shmif0 up");
        }
        w.run_for_ms(5);
    }
    const char* wan_addr(int r) const {
        if (wan6) return r == 1 ? "2001:db8::1" : "2001:db8::2";
        return r == 1 ? "198.18.0.1" : "198.18.0.2";
    }
    void segment(const char* ifn, uint32_t vni) {
        for (int r = 1; r <= 2; ++r) {
            ctl::command_set& c = r == 1 ? c1 : c2;
            cmd(c, fmt::format("ifconfig {} create", ifn));
            cmd(c, fmt::format("ifconfig {} vni {}", ifn, vni));
            cmd(c, fmt::format("ifconfig {} tunnel {} {}", ifn, wan_addr(r), wan_addr(3 - r)));
            cmd(c, fmt::format("ifconfig {} up", ifn));
        }
    }
};

class t_vxlan : public ::testing::TestWithParam<bool> {};

TEST_P(t_vxlan, an_l3_segment_carries_both_families) {
    topo t(GetParam());
    t.segment("vxlan0", 42);
    cmd(t.c1, "ifconfig vxlan0 inet 198.18.7.1/24");
    cmd(t.c2, "ifconfig vxlan0 inet 198.18.7.2/24");
    cmd(t.c1, "ifconfig vxlan0 inet6 2001:db8:7::1/64");
    cmd(t.c2, "ifconfig vxlan0 inet6 2001:db8:7::2/64");
    t.w.run_for_ms(5);
    const auto i = t.r1.if_get("vxlan0");
    ASSERT_TRUE(i.has_value());
    EXPECT_EQ(i->mtu, 1450u);
    EXPECT_TRUE(i->flags & iff::running);
    const std::string show = t.c1.execute("ifconfig vxlan0").text;
    EXPECT_NE(show.find("vni 42"), std::string::npos) << show;
    EXPECT_NE(show.find(fmt::format("--> {} port 4789", t.wan_addr(2))), std::string::npos) << show;
    EXPECT_TRUE(t.w.ping(t.r1, ip("198.18.7.2")));
    EXPECT_TRUE(t.w.ping6(t.r2, ip6("2001:db8:7::1")));
    EXPECT_GT(t.r2.if_get("vxlan0")->ipackets, 0u);
    const std::string cfg = t.c1.running_config();
    EXPECT_NE(cfg.find("ifconfig vxlan0 vni 42\n"), std::string::npos) << cfg;
    EXPECT_NE(cfg.find(fmt::format("ifconfig vxlan0 tunnel {} {}\n", t.wan_addr(1), t.wan_addr(2))),
              std::string::npos)
        << cfg;
    // Another VNI on r2's side: r1's frames are no segment's there.
    cmd(t.c2, "ifconfig vxlan0 vni 43");
    t.r1.arp_flush();
    EXPECT_FALSE(t.w.ping(t.r1, ip("198.18.7.2"), 300));
    EXPECT_GT(drop_count(t.r2, "vxlan_no_tunnel"), 0u);
    cmd(t.c2, "ifconfig vxlan0 vni 42");
    EXPECT_TRUE(t.w.ping(t.r1, ip("198.18.7.2")));
    cmd(t.c1, "ifconfig vxlan0 deletetunnel");
    EXPECT_FALSE(t.r1.if_get("vxlan0")->flags & iff::running);
    EXPECT_FALSE(t.w.ping(t.r1, ip("198.18.7.2"), 200));
}

TEST_P(t_vxlan, two_sites_share_a_segment_through_bridges) {
    topo t(GetParam());
    stack& h1 = t.w.add_host("h1", t.lan1, "shmif0", "198.18.8.1", 24, no_dad());
    stack& h2 = t.w.add_host("h2", t.lan2, "shmif0", "198.18.8.2", 24, no_dad());
    EXPECT_TRUE(h1.addr6_add("shmif0", ip6("2001:db8:8::1"), 64));
    EXPECT_TRUE(h2.addr6_add("shmif0", ip6("2001:db8:8::2"), 64));
    t.segment("vxlan1", 4242);
    for (auto* c : {&t.c1, &t.c2}) {
        cmd(*c, "ifconfig bridge0 create");
        cmd(*c, "ifconfig bridge0 up");
        cmd(*c, "brconfig bridge0 add shmif0");
        cmd(*c, "brconfig bridge0 add vxlan1");
    }
    t.w.run_for_ms(5);
    EXPECT_TRUE(t.w.ping(h1, ip("198.18.8.2")));
    EXPECT_TRUE(t.w.ping6(h2, ip6("2001:db8:8::1")));
    // The bridges learned the far host behind their vxlan member.
    const std::string br = t.c1.execute("brconfig bridge0").text;
    EXPECT_NE(br.find(h2.if_get("shmif0")->lladdr.str() + " vxlan1 "), std::string::npos) << br;
    cmd(t.c1, "ifconfig bridge0 destroy");
    h1.arp_flush();
    EXPECT_FALSE(t.w.ping(h1, ip("198.18.8.2"), 200));
}

INSTANTIATE_TEST_SUITE_P(underlay, t_vxlan, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& i) { return i.param ? "ipv6" : "ipv4"; });

TEST(t_vxlan_more, duplicates_and_bad_requests_change_nothing) {
    topo t(false);
    t.segment("vxlan0", 7);
    cmd(t.c1, "ifconfig vxlan1 create");
    cmd(t.c1, "ifconfig vxlan1 vni 7");
    const ctl::reply dup = t.c1.execute("ifconfig vxlan1 tunnel 198.18.0.1 198.18.0.2");
    EXPECT_NE(dup.status, 0);
    EXPECT_NE(dup.text.find("SIOCSLIFPHYADDR"), std::string::npos) << dup.text;
    EXPECT_FALSE(vxlan::get(t.r1, "vxlan1")->has_tunnel);
    cmd(t.c1, "ifconfig vxlan1 vni 8");
    cmd(t.c1, "ifconfig vxlan1 tunnel 198.18.0.1 198.18.0.2");  // another VNI: fine
    for (const char* bad : {"ifconfig vxlan1 vni 16777216", "ifconfig vxlan1 vni -1", "ifconfig vxlan1 vni",
                            "ifconfig vxlan1 tunnel 198.18.0.1 ff02::1", "ifconfig vxlan1 tunnel 198.18.0.1 0.0.0.0",
                            "ifconfig shmif0 vni 3", "ifconfig vxlan9 vni 3"}) {
        const ctl::reply r = t.c1.execute(bad);
        EXPECT_NE(r.status, 0) << bad;
        EXPECT_FALSE(r.text.empty()) << bad;
    }
    const auto i = vxlan::get(t.r1, "vxlan1");
    EXPECT_EQ(i->vni, 8u);
    EXPECT_EQ(i->tunnel.dst4, ip("198.18.0.2"));
}

// Two workers, vxlan0 moved between VNIs 100 and 200, its tunnel deleted,
// it destroyed and remade under traffic (tests/support/l2_churn.hpp): every
// frame leaves with the VNI of the moment it was sent, none of another VNI
// is taken, nothing leaks.
TEST(t_vxlan_more, vni_changes_under_traffic_on_two_workers) {
    l2_churn_kind k;
    k.ifname = "vxlan0";
    k.create = {"ifconfig vxlan0 create", "ifconfig vxlan0 vni 100", "ifconfig vxlan0 tunnel 198.18.0.1 198.18.0.2"};
    k.to[0] = "ifconfig vxlan0 vni 100";
    k.to[1] = "ifconfig vxlan0 vni 200";
    k.delete_tunnel = "ifconfig vxlan0 deletetunnel";
    k.restore = {"ifconfig vxlan0 tunnel 198.18.0.1 198.18.0.2", "ifconfig vxlan0 vni 200"};
    k.refused_drop = "vxlan_no_tunnel";
    k.wrap = [](int id, const std::vector<uint8_t>& frame, const ether_addr& to, const ether_addr& from) {
        std::vector<uint8_t> g = l2_churn_outer(ipproto_udp, 16, frame, to, from);
        uint8_t* u = g.data() + 34;
        u[0] = 0xc3;  // 50000 -> 4789
        u[1] = 0x50;
        u[2] = 0x12;
        u[3] = 0xb5;
        u[4] = static_cast<uint8_t>((16 + frame.size()) >> 8);
        u[5] = static_cast<uint8_t>(16 + frame.size());
        u[8] = 0x08;
        u[14] = id ? 200 : 100;
        return g;
    };
    k.sent_as = [](const uint8_t* d, uint32_t len, uint32_t* at) {
        if (len < 14 + 20 + 16 || d[23] != ipproto_udp || d[36] != 0x12 || d[37] != 0xb5) return -2;
        *at = 14 + 20 + 16;
        const int vni = d[46] << 16 | d[47] << 8 | d[48];
        return vni == 100 ? 0 : vni == 200 ? 1 : -3;
    };
    const l2_churn_counts n = run_l2_churn(k);
    EXPECT_EQ(n.stale_out, 0u);
    EXPECT_EQ(n.stale_in, 0u);
    EXPECT_GT(n.out, 1500u);
    EXPECT_GT(n.in, 800u);
    EXPECT_GT(n.refused, 0u);
    EXPECT_EQ(n.leaked, 0u) << "a packet leaked";
}

// One router; the test is the far VTEP (scapy builds its packets) and a LAN host.
TEST(t_vxlan_wire, tshark_and_scapy_read_what_vxlan_sends_and_vxlan_decapsulates_what_scapy_builds) {
    if (std::system("command -v tshark >/dev/null 2>&1") != 0) GTEST_SKIP() << "tshark not installed";
    if (std::system("/usr/bin/python3 -c 'import scapy.all' >/dev/null 2>&1") != 0) GTEST_SKIP() << "no scapy";
    const std::string dir = "/tmp/mpnet-vxlan-wire-" + std::to_string(getpid());
    ASSERT_EQ(std::system(("mkdir -p " + dir).c_str()), 0);
    for (bool six : {false, true}) {
        SCOPED_TRACE(six ? "ipv6 underlay" : "ipv4 underlay");
        world w;
        drivers::bus& wan = w.add_bus("wan");
        drivers::bus& lan = w.add_bus("lan");
        stack& r = w.add_stack("vtep", no_dad());
        ctl::command_set c{r};
        w.attach(r, wan, "shmif1");
        w.attach(r, lan, "shmif0");
        auto peer = std::move(*wan.attach());
        auto host = std::move(*lan.attach());
        for (const std::string& l : std::vector<std::string>{
                 six ? "ifconfig shmif1 inet6 2001:db8::1/64" : "ifconfig shmif1 inet 198.18.0.1/24",
                 "ifconfig shmif1 up", "ifconfig shmif0 up", "ifconfig vxlan0 create", "ifconfig vxlan0 vni 5000",
                 six ? "ifconfig vxlan0 tunnel 2001:db8::1 2001:db8::2" : "ifconfig vxlan0 tunnel 198.18.0.1 198.18.0.2",
                 "ifconfig vxlan0 up", "ifconfig bridge0 create", "ifconfig bridge0 up", "brconfig bridge0 add shmif0",
                 "brconfig bridge0 add vxlan0",
                 six ? "ndp -s 2001:db8::2 " + peer->mac().str() : "arp -s 198.18.0.2 " + peer->mac().str()})
            cmd(c, l);
        w.run_for_ms(5);
        const std::string script = dir + "/build.py";
        {
            FILE* f = std::fopen(script.c_str(), "w");
            ASSERT_NE(f, nullptr);
            std::fprintf(f, R"(import sys
from scapy.all import Ether, IP, IPv6, UDP, ICMP, VXLAN, raw, rdpcap
six, vtep, peer = int(sys.argv[2]), sys.argv[3], sys.argv[4]
if sys.argv[1] == "build":
    inner = Ether(src="02:00:00:00:0d:02", dst="02:00:00:00:0d:01") / IP(src="198.18.9.2", dst="198.18.9.1") / ICMP(id=9, seq=2) / (b"vxlan" * 6)
    outer = IPv6(src="2001:db8::2", dst="2001:db8::1") if six else IP(src="198.18.0.2", dst="198.18.0.1")
    print(raw(Ether(src=peer, dst=vtep) / outer / UDP(sport=51000, dport=4789) / VXLAN(vni=5000) / inner).hex())
    print(raw(Ether(src=peer, dst=vtep) / outer / UDP(sport=51000, dport=4789) / VXLAN(flags=0, vni=5000) / inner).hex())
else:
    for p in rdpcap(sys.argv[5]):
        if VXLAN in p:
            print("vni", p[VXLAN].vni, "flags", int(p[VXLAN].flags), "dport", p[UDP].dport, "inner", p[VXLAN].payload.summary())
)");
            std::fclose(f);
        }
        const std::string built = shell_output(fmt::format("/usr/bin/python3 {} build {} {} {} 2>&1", script, six ? 1 : 0,
                                                           r.if_get("shmif1")->lladdr.str(), peer->mac().str()));
        const auto nl = built.find('\n');
        ASSERT_NE(nl, std::string::npos) << built;
        const std::vector<uint8_t> good = unhex(built.substr(0, nl));
        const std::vector<uint8_t> no_i = unhex(built.substr(nl + 1, built.find('\n', nl + 1) - nl - 1));
        ASSERT_GT(good.size(), 100u) << built;
        const size_t inner_len = 14 + 20 + 8 + 30;
        const std::vector<uint8_t> inner(good.end() - static_cast<long>(inner_len), good.end());
        auto send = [&](drivers::bus_port& p, const std::vector<uint8_t>& f) {
            mbuf* m = pkt_alloc(r.pool(), static_cast<uint16_t>(f.size()));
            ASSERT_NE(m, nullptr);
            std::memcpy(pkt_data(m), f.data(), f.size());
            ASSERT_EQ(p.tx_burst(0, &m, 1), 1);
            w.run_for_ms(2);
        };
        auto drain = [](drivers::bus_port& p) {
            std::vector<std::vector<uint8_t>> out;
            mbuf* m[16];
            while (uint16_t n = p.rx_burst(0, m, 16))
                for (uint16_t i = 0; i < n; ++i) {
                    out.emplace_back(pkt_data(m[i]), pkt_data(m[i]) + pkt_len(m[i]));
                    pkt_free(m[i]);
                }
            return out;
        };
        // The LAN host's frame goes out in VXLAN.
        drain(*peer);
        send(*host, inner);
        ASSERT_EQ(drain(*peer).size(), 1u);
        const std::string pcap = dir + (six ? "/v6.pcap" : "/v4.pcap");
        ASSERT_TRUE(wan.write_pcap(pcap));
        const std::string ts = shell_output("tshark -n -r " + pcap + (six ? " -o udp.check_checksum:TRUE" : "") +
                                            " -Y vxlan -T fields -E separator=@ -e frame.protocols -e vxlan.vni "
                                            "-e vxlan.flag_i -e udp.srcport -e udp.checksum.status 2>/dev/null");
        EXPECT_EQ(count_of(ts, "\n"), 1u) << ts;
        EXPECT_NE(ts.find(":udp:vxlan:eth:ethertype:ip:icmp"), std::string::npos) << ts;
        EXPECT_NE(ts.find("@5000@"), std::string::npos) << ts;
        // Fields: protocols, VNI, the I flag, the UDP source port, the checksum's status.
        std::vector<std::string> f;
        for (size_t a = 0, b; a <= ts.size(); a = b + 1) {
            b = ts.find_first_of("@\n", a);
            if (b == std::string::npos) b = ts.size();
            f.push_back(ts.substr(a, b - a));
        }
        ASSERT_GE(f.size(), 5u) << ts;
        EXPECT_TRUE(f[2] == "1" || f[2] == "True") << ts;
        EXPECT_GE(std::stoi(f[3]), 49152) << ts;  // from the inner flow's hash (RFC 7348 5)
        if (six) {
            EXPECT_TRUE(f[4] == "1" || f[4] == "Good") << ts;  // tshark verified the UDP checksum
        }
        EXPECT_EQ(shell_output("tshark -n -r " + pcap + " -Y '_ws.malformed' 2>/dev/null"), "");
        const std::string sc = shell_output(fmt::format("/usr/bin/python3 {} read {} {} {} {} 2>&1", script, six ? 1 : 0,
                                                        r.if_get("shmif1")->lladdr.str(), peer->mac().str(), pcap));
        EXPECT_NE(sc.find("vni 5000 flags 8 dport 4789 inner Ether / IP / ICMP 198.18.9.2 > 198.18.9.1 echo-request"),
                  std::string::npos)
            << sc;
        // scapy's packet from the far VTEP: its inner frame on the LAN, intact;
        // one without the I flag is a named drop.
        drain(*host);
        send(*peer, good);
        const auto got = drain(*host);
        ASSERT_EQ(got.size(), 1u);
        EXPECT_EQ(got[0], inner);
        if (!six) {
            // Bytes after the UDP datagram inside the IP packet are not the frame's.
            std::vector<uint8_t> padded = good;
            padded.insert(padded.end(), 6, 0xee);
            const uint16_t tl = static_cast<uint16_t>((padded[16] << 8 | padded[17]) + 6);
            padded[16] = static_cast<uint8_t>(tl >> 8);
            padded[17] = static_cast<uint8_t>(tl);
            padded[24] = padded[25] = 0;
            const uint16_t ck = in_cksum(padded.data() + 14, 20);
            std::memcpy(padded.data() + 24, &ck, 2);
            send(*peer, padded);
            const auto got2 = drain(*host);
            ASSERT_EQ(got2.size(), 1u);
            EXPECT_EQ(got2[0], inner);
        }
        send(*peer, no_i);
        EXPECT_TRUE(drain(*host).empty());
        EXPECT_EQ(drop_count(r, "vxlan_bad_flags"), 1u);
        peer.reset();
        host.reset();
    }
    std::system(("rm -rf " + dir).c_str());
}

}  // namespace
}  // namespace mpnet::testing
