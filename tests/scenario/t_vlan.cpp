// SPDX-License-Identifier: BSD-2-Clause
// vlan(4), the first interface kind written against the module seams alone:
// two stacks ping across each of two vlans and not between them, tshark reads
// the tags, bad tags are named drops, and destroying a vlan or its parent
// under traffic leaks no packet buffer.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <unistd.h>

#include "../support/world.hpp"
#include "mpnet/core/checksum.hpp"
#include "mpnet/l3/ip4.hpp"
#include "mpnet/modules/vlan.hpp"

namespace mpnet::testing {
namespace {

// One host's vlans: vlan10 (VID 10) and vlan20 (VID 20) on `parent`.
void add_vlans(stack& s, const char* parent, const char* a10, const char* a20) {
    ASSERT_TRUE(s.if_create("vlan10").has_value());
    ASSERT_TRUE(s.if_create("vlan20").has_value());
    ASSERT_TRUE(vlan::set(s, "vlan10", 10, parent));
    ASSERT_TRUE(vlan::set(s, "vlan20", 20, parent));
    ASSERT_TRUE(s.addr_add("vlan10", ip(a10), 24));
    ASSERT_TRUE(s.addr_add("vlan20", ip(a20), 24));
    ASSERT_TRUE(s.if_up("vlan10"));
    ASSERT_TRUE(s.if_up("vlan20"));
}

// vlan10 (VID 10) on shmif0 with `addr`/24, up.
void vlan_up(stack& s, const char* addr) {
    ASSERT_TRUE(s.if_create("vlan10").has_value());
    ASSERT_TRUE(vlan::set(s, "vlan10", 10, "shmif0"));
    ASSERT_TRUE(s.addr_add("vlan10", ip(addr), 24));
    ASSERT_TRUE(s.if_up("vlan10"));
}

stack_config quiet() {
    stack_config c;
    c.dad_count = 0;
    c.dad6_count = 0;
    return c;
}

TEST(t_vlan, ping_across_each_vlan_and_not_between_over_a_ring_pmd) {
    world w;
    auto& a = w.add_stack("a", quiet());
    auto& b = w.add_stack("b", quiet());
    auto link = drivers::ring_link("vlanlink", a.pool(), b.pool(), 1);
    ASSERT_TRUE(link.has_value());
    auto [pa, pb] = std::move(*link);
    ASSERT_TRUE(a.if_attach("mp0", std::move(pa)));
    ASSERT_TRUE(b.if_attach("mp0", std::move(pb)));
    ASSERT_TRUE(a.addr_add("mp0", ip("198.18.50.1"), 24));
    ASSERT_TRUE(b.addr_add("mp0", ip("198.18.50.2"), 24));
    ASSERT_TRUE(a.if_up("mp0"));
    ASSERT_TRUE(b.if_up("mp0"));
    add_vlans(a, "mp0", "198.18.10.1", "198.18.20.1");
    // b's vlan 20 holds an address of vlan 10's subnet: reachable only if
    // frames leaked from one vlan to the other.
    add_vlans(b, "mp0", "198.18.10.2", "198.18.10.3");
    w.run_for_ms(5);
    EXPECT_TRUE(w.ping(a, ip("198.18.10.2")));
    EXPECT_TRUE(w.ping(b, ip("198.18.10.1")));
    EXPECT_TRUE(w.ping(a, ip("198.18.50.2")));  // untagged stays on the parent
    EXPECT_FALSE(w.ping(a, ip("198.18.10.3"), 300));
    // Each neighbor is on the interface it was learned on.
    auto e = a.arp_get(ip("198.18.10.2"));
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].ifname, "vlan10");
    EXPECT_EQ(e[0].mac, b.if_get("mp0")->lladdr);
    EXPECT_EQ(a.arp_get(ip("198.18.50.2"))[0].ifname, "mp0");
    // A vlan has its parent's address, its own counters, and a show line.
    auto v = a.if_get("vlan10");
    ASSERT_TRUE(v);
    EXPECT_EQ(v->kind, "vlan");
    EXPECT_EQ(v->lladdr, a.if_get("mp0")->lladdr);
    EXPECT_GE(v->ipackets, 2u);
    EXPECT_GE(v->opackets, 2u);
    ASSERT_EQ(v->kind_lines.size(), 1u);
    EXPECT_EQ(v->kind_lines[0], "vlan: 10 parent: mp0");
    ASSERT_EQ(v->config_lines.size(), 1u);
    EXPECT_EQ(v->config_lines[0], "ifconfig vlan10 vlan 10 vlanif mp0");
    // The vlan 20 pair, with its own subnet on a's side, also works.
    ASSERT_TRUE(b.addr_add("vlan20", ip("198.18.20.2"), 24));
    w.run_for_ms(2);
    EXPECT_TRUE(w.ping(a, ip("198.18.20.2")));
    // IPv6 link-local addresses come from the parent's MAC; ping6 across a vlan.
    EXPECT_TRUE(w.ping6(a, ip6_addr::link_local(b.if_get("mp0")->lladdr), "vlan20"));
}

TEST(t_vlan, configuration_rules_and_mtu) {
    world w;
    auto& bus = w.add_bus("vbus");
    auto& s = w.add_stack("s", quiet());
    auto& port = w.attach(s, bus, "shmif0");
    w.attach(s, bus, "shmif1");
    ASSERT_TRUE(s.if_create("vlan0").has_value());
    ASSERT_TRUE(s.if_create("vlan1").has_value());
    EXPECT_EQ(vlan::get(s, "vlan0")->vid, 0);
    EXPECT_EQ(s.if_get("vlan0")->kind_lines[0], "vlan: none");
    EXPECT_EQ(vlan::set(s, "vlan0", 0, "shmif0").error(), errc::inval);
    EXPECT_EQ(vlan::set(s, "vlan0", 4095, "shmif0").error(), errc::inval);
    EXPECT_EQ(vlan::set(s, "vlan0", 10, "lo0").error(), errc::inval);
    EXPECT_EQ(vlan::set(s, "shmif1", 10, "shmif0").error(), errc::inval);
    EXPECT_EQ(vlan::set(s, "vlan0", 10, "nosuch0").error(), errc::noent);
    // A parent without VLAN-MTU support gives 4 bytes less.
    ASSERT_TRUE(vlan::set(s, "vlan0", 10, "shmif0"));
    EXPECT_EQ(s.if_get("vlan0")->mtu, 1496u);
    EXPECT_EQ(vlan::set(s, "vlan0", 11, "shmif0").error(), errc::busy);
    EXPECT_EQ(vlan::set(s, "vlan1", 10, "shmif0").error(), errc::exist);
    EXPECT_EQ(vlan::set(s, "vlan1", 10, "vlan0").error(), errc::inval);  // no vlan on a vlan
    ASSERT_TRUE(vlan::set(s, "vlan1", 10, "shmif1"));                     // the same VID on another parent
    // -vlanif, then a parent that carries 4 bytes more keeps its MTU.
    ASSERT_TRUE(vlan::unset(s, "vlan0"));
    EXPECT_EQ(vlan::get(s, "vlan0")->parent, "");
    port.set_max_mtu(9000);
    ASSERT_TRUE(vlan::set(s, "vlan0", 10, "shmif0"));
    EXPECT_EQ(s.if_get("vlan0")->mtu, 1500u);
    EXPECT_EQ(vlan::get(s, "vlan0")->parent, "shmif0");
    // Up while the parent is down: not RUNNING until the parent runs.
    ASSERT_TRUE(s.if_up("vlan0"));
    EXPECT_FALSE(s.if_get("vlan0")->flags & iff::running);
    ASSERT_TRUE(s.if_up("shmif0"));
    EXPECT_TRUE(s.if_get("vlan0")->flags & iff::running);
    ASSERT_TRUE(s.if_down("shmif0"));
    EXPECT_FALSE(s.if_get("vlan0")->flags & iff::running);
    // The parent's carrier reaches the vlan through the control plane.
    ASSERT_TRUE(s.if_up("shmif0"));
    port.set_carrier(false);
    w.run_for_ms(2);
    EXPECT_FALSE(s.if_get("vlan0")->flags & iff::running);
    port.set_carrier(true);
    w.run_for_ms(2);
    EXPECT_TRUE(s.if_get("vlan0")->flags & iff::running);
}

// Raw frames onto a bus from a port no stack owns.
struct raw_sender {
    drivers::bus& bus;
    std::unique_ptr<drivers::bus_port> port;
    rte_mempool* pool;
    explicit raw_sender(drivers::bus& b) : bus(b), port(std::move(*b.attach())), pool(*pktpool_create("vraw", 511)) {}
    ~raw_sender() {
        port.reset();
        pktpool_free(pool);
    }
    raw_sender(const raw_sender&) = delete;
    raw_sender& operator=(const raw_sender&) = delete;
    void send(const std::vector<uint8_t>& bytes) {
        mbuf* m = pkt_alloc(pool, static_cast<uint16_t>(bytes.size()));
        ASSERT_NE(m, nullptr);
        std::memcpy(pkt_data(m), bytes.data(), bytes.size());
        ASSERT_EQ(port->tx_burst(0, &m, 1), 1);
    }
    // An ICMP echo request to `dst` from `src`, behind `tags` 802.1Q tags (TCI values).
    std::vector<uint8_t> echo(const ether_addr& to, std::vector<uint16_t> tags, const char* dst,
                              const char* src = "198.18.10.99") {
        mbuf* m = pkt_alloc(pool, 16);
        std::memset(pkt_data(m), 0, 16);
        pkt_data(m)[0] = 8;  // echo request
        uint16_t sum = in_cksum(pkt_data(m), 16);
        std::memcpy(pkt_data(m) + 2, &sum, 2);
        EXPECT_TRUE(ip4_encap(m, ip(src), ip(dst), ipproto_icmp, 64, 1));
        std::vector<uint8_t> f(to.b.begin(), to.b.end());
        const ether_addr from = port->mac();
        f.insert(f.end(), from.b.begin(), from.b.end());
        for (uint16_t tci : tags) {
            f.insert(f.end(), {0x81, 0x00, static_cast<uint8_t>(tci >> 8), static_cast<uint8_t>(tci)});
        }
        f.insert(f.end(), {0x08, 0x00});
        f.insert(f.end(), pkt_data(m), pkt_data(m) + pkt_len(m));
        pkt_free(m);
        return f;
    }
};

TEST(t_vlan, bad_tags_are_named_drops) {
    world w;
    auto& bus = w.add_bus("vbad");
    auto& b = w.add_host("b", bus, "shmif0", "198.18.50.2", 24, quiet());
    auto& c = w.add_host("c", bus, "shmif0", "198.18.50.3", 24, quiet());  // no vlans at all
    add_vlans(b, "shmif0", "198.18.10.2", "198.18.20.2");
    raw_sender r(bus);
    const ether_addr bmac = b.if_get("shmif0")->lladdr;
    w.run_for_ms(2);
    b.drops_clear();
    c.drops_clear();
    auto drops = [](stack& s, const char* name) {
        for (const auto& [n, v] : s.drop_list())
            if (n == name) return v;
        return uint64_t(~0ull);
    };
    // A good one first: answered on vlan10.
    r.send(r.echo(bmac, {10}, "198.18.10.2"));
    w.run_for_ms(2);
    EXPECT_GE(b.if_get("vlan10")->opackets, 1u);  // its ARP request for .99, tagged (c drops that broadcast)
    c.drops_clear();
    // An unknown VID.
    r.send(r.echo(bmac, {30}, "198.18.10.2"));
    // The reserved VID 4095, and a priority tag around another tag.
    r.send(r.echo(bmac, {0x0fff}, "198.18.10.2"));
    r.send(r.echo(bmac, {0x2000, 10}, "198.18.10.2"));
    // A truncated tag: the frame ends two bytes into it.
    std::vector<uint8_t> trunc(bmac.b.begin(), bmac.b.end());
    const ether_addr rm = r.port->mac();
    trunc.insert(trunc.end(), rm.b.begin(), rm.b.end());
    trunc.insert(trunc.end(), {0x81, 0x00, 0x00});
    r.send(trunc);
    // A tagged frame to c, whose port has no vlans.
    r.send(r.echo(c.if_get("shmif0")->lladdr, {10}, "198.18.50.3"));
    w.run_for_ms(3);
    EXPECT_EQ(drops(b, "vlan_unknown_vid"), 1u);
    EXPECT_EQ(drops(b, "vlan_bad_vid"), 2u);
    EXPECT_EQ(drops(b, "vlan_too_short"), 1u);
    EXPECT_EQ(c.drops(drop_reason::ether_vlan_unsupported), 1u);
    // A priority-tagged frame (VID 0, priority 5) is the parent's own: answered untagged.
    ASSERT_TRUE(b.arp_add(ip("198.18.50.99"), r.port->mac()));
    bus.take_summaries();
    r.send(r.echo(bmac, {0xa000}, "198.18.50.2", "198.18.50.99"));
    w.run_for_ms(3);
    const auto sent = bus.take_summaries();
    EXPECT_EQ(count_matching(sent, "ethertype IPv4 (0x0800), length 50: 198.18.50.2 > 198.18.50.99: ICMP echo reply"), 1u);
}

TEST(t_vlan, tshark_reads_the_tags) {
    if (std::system("command -v tshark >/dev/null 2>&1") != 0) GTEST_SKIP() << "tshark not installed";
    world w;
    auto& bus = w.add_bus("vtag");
    auto& a = w.add_host("a", bus, "shmif0", "198.18.50.1", 24, quiet());
    auto& b = w.add_host("b", bus, "shmif0", "198.18.50.2", 24, quiet());
    add_vlans(a, "shmif0", "198.18.10.1", "198.18.20.1");
    add_vlans(b, "shmif0", "198.18.10.2", "198.18.20.2");
    w.run_for_ms(2);
    ASSERT_TRUE(w.ping(a, ip("198.18.10.2")));
    ASSERT_TRUE(w.ping(a, ip("198.18.20.2")));
    ASSERT_TRUE(w.ping(a, ip("198.18.50.2")));
    char path[] = "/tmp/mpnet-vlan-XXXXXX";
    const int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    ASSERT_TRUE(bus.write_pcap(path));
    const std::string f = shell_output(std::string("tshark -n -r ") + path +
                              " -Y icmp -T fields -e vlan.id -e ip.src -e ip.dst -e icmp.type 2>/dev/null");
    std::remove(path);
    // Echo request and reply on each vlan, each carrying its tag; the
    // parent's own ping untagged.
    EXPECT_NE(f.find("10\t198.18.10.1\t198.18.10.2\t8\n"), std::string::npos) << f;
    EXPECT_NE(f.find("10\t198.18.10.2\t198.18.10.1\t0\n"), std::string::npos) << f;
    EXPECT_NE(f.find("20\t198.18.20.1\t198.18.20.2\t8\n"), std::string::npos) << f;
    EXPECT_NE(f.find("20\t198.18.20.2\t198.18.20.1\t0\n"), std::string::npos) << f;
    EXPECT_NE(f.find("\t198.18.50.1\t198.18.50.2\t8\n"), std::string::npos) << f;
    EXPECT_EQ(f.find("10\t198.18.50"), std::string::npos) << f;
}

// A ping flood on vlan10 while b destroys and recreates the vlan, then its
// parent (which takes the vlan with it): every packet buffer comes back.
TEST(t_vlan, destroy_under_traffic_stepped) {
    world w;
    auto& bus = w.add_bus("vdes");
    auto& a = w.add_host("a", bus, "shmif0", "198.18.50.1", 24, quiet());
    auto& b = w.add_host("b", bus, "shmif0", "198.18.50.2", 24, quiet());
    vlan_up(a, "198.18.10.1");
    vlan_up(b, "198.18.10.2");
    w.run_for_ms(5);
    uint16_t received = 0;
    for (int round = 0; round < 10; ++round) {
        auto id = a.ping_start(ip("198.18.10.2"), flood(200, 10));
        ASSERT_TRUE(id.has_value());
        w.run_for_ms(1);
        a.step();
        b.poll_worker(0);  // b's worker has answered or handed over; its control has not run
        if (round % 2 == 0) {
            ASSERT_TRUE(b.if_destroy("vlan10"));
        } else {
            ASSERT_TRUE(b.if_destroy("shmif0"));  // the vlan goes with its parent
            EXPECT_FALSE(b.if_get("vlan10").has_value());
            w.attach(b, bus, "shmif0");
            ASSERT_TRUE(b.addr_add("shmif0", ip("198.18.50.2"), 24));
            ASSERT_TRUE(b.if_up("shmif0"));
        }
        w.run_for_ms(20);
        received = static_cast<uint16_t>(received + a.ping_get(*id)->received);
        a.ping_release(*id);
        vlan_up(b, "198.18.10.2");
        w.run_for_ms(5);
    }
    EXPECT_GT(received, 0u);
    // Long enough for any INCOMPLETE entry to give up and free its hold queue.
    w.run_virtual_ms(10000);
    EXPECT_EQ(pktpool_avail(a.pool()), a.config().mbufs);
    EXPECT_EQ(pktpool_avail(b.pool()), b.config().mbufs);
}

// The same with worker and control threads (adaptive polling, real clock):
// under ASan, the use-after-free check for the vlan's table and interface.
TEST(t_vlan, destroy_under_traffic_threads) {
    drivers::bus bus("vthr");
    stack_config c = quiet();
    c.idle_polls_before_sleep = 16;
    auto a = std::make_unique<stack>(c);
    auto b = std::make_unique<stack>(c);
    auto attach = [&](stack& s, const char* addr) { attach_up(bus, s, "shmif0", addr); };
    attach(*a, "198.18.50.1");
    attach(*b, "198.18.50.2");
    vlan_up(*a, "198.18.10.1");
    vlan_up(*b, "198.18.10.2");
    ASSERT_TRUE(a->start());
    ASSERT_TRUE(b->start());
    const ping_opts o = flood(3000, 100);
    unsigned received = 0;
    for (int round = 0; round < 4; ++round) {
        auto id = a->ping_start(ip("198.18.10.2"), o);
        ASSERT_TRUE(id.has_value());
        sleep_offline_ms(40);
        if (round % 2 == 0) {
            ASSERT_TRUE(b->if_destroy("vlan10"));
        } else {
            ASSERT_TRUE(b->if_destroy("shmif0"));
            attach(*b, "198.18.50.2");
        }
        vlan_up(*b, "198.18.10.2");
        sleep_offline_ms(40);
        received += a->ping_get(*id)->received;
        a->ping_release(*id);
    }
    a->stop();
    b->stop();
    EXPECT_GT(received, 0u);
    a.reset();
    b.reset();
}

}  // namespace
}  // namespace mpnet::testing
