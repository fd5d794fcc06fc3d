// SPDX-License-Identifier: BSD-2-Clause
// bridge(4)'s spanning tree (802.1D) on virtual time: two bridges joined by
// two segments (a loop) elect the root by priority, block one port, carry a
// ping between hosts on the two segments without a storm, fail over when
// the forwarding link goes, follow a priority change, and treat BPDUs on
// ports without STP and malformed ones as named drops.
#include <gtest/gtest.h>

#include "../support/world.hpp"
#include "mpnet/modules/bridge.hpp"

namespace mpnet::testing {
namespace {

stack_config quiet() { return no_dad(); }
uint64_t drops(stack& s, const char* name) { return drop_count(s, name); }

const bridge::port_info& port(const bridge::info& b, const char* name) {
    for (const auto& p : b.ports)
        if (p.ifname == name) return p;
    static bridge::port_info none;
    return none;
}

// A and B bridge bus X (their shmif0) and bus Y (their shmif1): a loop.
// h1 is on X, h2 on Y; short 802.1D times (hello 1, fwddelay 4, maxage 6).
struct loop {
    world w;
    drivers::bus& x = w.add_bus("stpx");
    drivers::bus& y = w.add_bus("stpy");
    stack& a = w.add_stack("a", quiet());
    stack& b = w.add_stack("b", quiet());
    drivers::bus_port& a0 = w.attach(a, x, "shmif0");
    drivers::bus_port& a1 = w.attach(a, y, "shmif1");
    drivers::bus_port& b0 = w.attach(b, x, "shmif0");
    drivers::bus_port& b1 = w.attach(b, y, "shmif1");
    stack& h1 = w.add_host("h1", x, "shmif0", "198.18.7.11", 24, quiet());
    stack& h2 = w.add_host("h2", y, "shmif0", "198.18.7.12", 24, quiet());
    explicit loop(bool stp = true) {
        for (stack* s : {&a, &b}) {
            EXPECT_TRUE(s->if_up("shmif0"));
            EXPECT_TRUE(s->if_up("shmif1"));
            EXPECT_TRUE(s->if_create("bridge0").has_value());
            EXPECT_TRUE(bridge::set_times(*s, "bridge0", 1, 4, 6));
            EXPECT_TRUE(s->if_up("bridge0"));
            EXPECT_TRUE(bridge::add(*s, "bridge0", "shmif0"));
            EXPECT_TRUE(bridge::add(*s, "bridge0", "shmif1"));
            if (!stp) continue;
            EXPECT_TRUE(bridge::set_port_flag(*s, "bridge0", "shmif0", bridge::portf::stp, true));
            EXPECT_TRUE(bridge::set_port_flag(*s, "bridge0", "shmif1", bridge::portf::stp, true));
        }
        EXPECT_TRUE(bridge::set_priority(a, "bridge0", 4096));  // a is the root
    }
    bridge::info ia() { return *bridge::get(a, "bridge0"); }
    bridge::info ib() { return *bridge::get(b, "bridge0"); }
};

TEST(t_bridge_stp, a_loop_elects_the_root_and_blocks_one_port) {
    loop t;
    // Before the forward delay has passed twice nothing forwards.
    t.w.run_virtual_ms(1000);
    EXPECT_EQ(port(t.ia(), "shmif0").state, "listening");
    EXPECT_FALSE(t.w.ping(t.h1, ip("198.18.7.12"), 200));
    t.w.run_virtual_ms(9000);
    const auto a = t.ia(), b = t.ib();
    EXPECT_EQ(a.stp.root_id, a.stp.bridge_id);
    EXPECT_EQ(b.stp.root_id, a.stp.bridge_id);
    EXPECT_EQ(bridge::bridge_id_str(a.stp.bridge_id).substr(0, 5), "1000.");
    EXPECT_EQ(a.stp.root_port, "");
    EXPECT_EQ(b.stp.root_port, "shmif0");  // the root's lower port ID wins the tie
    EXPECT_EQ(b.stp.root_cost, bridge::stp_path_cost_default);
    EXPECT_EQ(port(a, "shmif0").state, "forwarding");
    EXPECT_EQ(port(a, "shmif0").role, "designated");
    EXPECT_EQ(port(a, "shmif1").state, "forwarding");
    EXPECT_EQ(port(b, "shmif0").state, "forwarding");
    EXPECT_EQ(port(b, "shmif0").role, "root");
    EXPECT_EQ(port(b, "shmif1").state, "blocking");
    EXPECT_EQ(port(b, "shmif1").role, "alternate");
    EXPECT_GT(port(b, "shmif0").rx_bpdus, 5u);
    EXPECT_GT(port(a, "shmif1").tx_bpdus, 5u);
    // Hosts on the two segments reach each other, and the loop carries no
    // storm: a handful of frames per ping, not thousands.
    const uint64_t before = t.x.frames_sent() + t.y.frames_sent();
    EXPECT_TRUE(t.w.ping(t.h1, ip("198.18.7.12")));
    EXPECT_TRUE(t.w.ping(t.h2, ip("198.18.7.11")));
    t.w.run_virtual_ms(100);
    EXPECT_LT(t.x.frames_sent() + t.y.frames_sent() - before, 60u);
    EXPECT_GT(drops(t.b, "bridge_port_not_forwarding"), 0u);  // what reached b's blocked port
}

TEST(t_bridge_stp, the_blocked_port_takes_over_when_the_forwarding_link_goes) {
    loop t;
    t.w.run_virtual_ms(10000);
    ASSERT_EQ(port(t.ib(), "shmif1").state, "blocking");
    // a's port on X loses its link: a stops sending there, b's information
    // on X ages out (max age), and b's port on Y becomes its root port.
    t.a0.set_carrier(false);
    t.w.run_virtual_ms(20000);
    const auto a = t.ia(), b = t.ib();
    EXPECT_EQ(port(a, "shmif0").state, "disabled");
    EXPECT_EQ(b.stp.root_id, a.stp.bridge_id);
    EXPECT_EQ(b.stp.root_port, "shmif1");
    EXPECT_EQ(port(b, "shmif1").state, "forwarding");
    EXPECT_EQ(port(b, "shmif0").state, "forwarding");  // now designated for X
    EXPECT_EQ(port(b, "shmif0").role, "designated");
    t.h1.arp_flush();
    EXPECT_TRUE(t.w.ping(t.h1, ip("198.18.7.12")));
    // The link comes back: a is designated on X again and b blocks one port.
    t.a0.set_carrier(true);
    t.w.run_virtual_ms(20000);
    EXPECT_EQ(t.ib().stp.root_port, "shmif0");
    EXPECT_EQ(port(t.ib(), "shmif1").state, "blocking");
    t.h1.arp_flush();
    EXPECT_TRUE(t.w.ping(t.h1, ip("198.18.7.12")));
}

TEST(t_bridge_stp, a_priority_change_moves_the_root) {
    loop t;
    t.w.run_virtual_ms(10000);
    ASSERT_TRUE(bridge::set_priority(t.b, "bridge0", 0));
    t.w.run_virtual_ms(20000);
    const auto a = t.ia(), b = t.ib();
    EXPECT_EQ(b.stp.root_id, b.stp.bridge_id);
    EXPECT_EQ(a.stp.root_id, b.stp.bridge_id);
    EXPECT_EQ(port(b, "shmif0").state, "forwarding");
    EXPECT_EQ(port(b, "shmif1").state, "forwarding");
    // a now has one root port and one blocked one.
    EXPECT_EQ(a.stp.root_port, "shmif0");
    EXPECT_EQ(port(a, "shmif1").state, "blocking");
    t.h1.arp_flush();
    EXPECT_TRUE(t.w.ping(t.h1, ip("198.18.7.12")));
}

TEST(t_bridge_stp, stp_off_again_forwards_at_once_and_bpdus_are_never_forwarded) {
    loop t(false);
    // No STP anywhere: b's port on Y is forwarding; but a BPDU that a's
    // ports receive is dropped, not flooded.
    t.w.run_virtual_ms(500);
    EXPECT_EQ(port(t.ia(), "shmif0").state, "forwarding");
    // One port of a with STP (b has none): a's BPDUs reach b's ports, which
    // drop them as reserved, and are never forwarded onto the other segment.
    ASSERT_TRUE(bridge::set_port_flag(t.a, "bridge0", "shmif0", bridge::portf::stp, true));
    t.y.take_summaries();
    t.w.run_virtual_ms(3000);
    EXPECT_GT(drops(t.b, "bridge_reserved_group"), 0u);
    size_t bpdus_on_y = 0;
    for (const auto& f : t.y.take_capture())
        bpdus_on_y += f.bytes.size() >= 6 && f.bytes[0] == 0x01 && f.bytes[1] == 0x80 && f.bytes[2] == 0xc2;
    EXPECT_EQ(bpdus_on_y, 0u);
    ASSERT_TRUE(bridge::set_port_flag(t.a, "bridge0", "shmif0", bridge::portf::stp, false));
    EXPECT_EQ(port(t.ia(), "shmif0").state, "forwarding");
    EXPECT_EQ(port(t.ia(), "shmif0").role, "");
}

TEST(t_bridge_stp, malformed_bpdus_are_named_drops) {
    world w;
    auto& x = w.add_bus("stpbad");
    auto& s = w.add_stack("s", quiet());
    w.attach(s, x, "shmif0");
    ASSERT_TRUE(s.if_up("shmif0"));
    ASSERT_TRUE(s.if_create("bridge0").has_value());
    ASSERT_TRUE(s.if_up("bridge0"));
    ASSERT_TRUE(bridge::add(s, "bridge0", "shmif0"));
    ASSERT_TRUE(bridge::set_port_flag(s, "bridge0", "shmif0", bridge::portf::stp, true));
    auto inj = std::move(*x.attach());
    rte_mempool* pool = *pktpool_create("stpbad", 255);
    auto send = [&](std::vector<uint8_t> f) {
        f.resize(std::max<size_t>(f.size(), 60));
        mbuf* m = pkt_alloc(pool, static_cast<uint16_t>(f.size()));
        std::memcpy(pkt_data(m), f.data(), f.size());
        ASSERT_EQ(inj->tx_burst(0, &m, 1), 1);
    };
    const std::vector<uint8_t> head = {0x01, 0x80, 0xc2, 0, 0, 0, 0x02, 0, 0, 0, 0, 0x99};
    auto frame = [&](uint16_t len, std::vector<uint8_t> llc_and_body) {
        std::vector<uint8_t> f = head;
        f.push_back(uint8_t(len >> 8));
        f.push_back(uint8_t(len));
        f.insert(f.end(), llc_and_body.begin(), llc_and_body.end());
        return f;
    };
    w.run_virtual_ms(100);
    s.drops_clear();
    send(frame(38, {0xaa, 0xaa, 0x03, 0, 0, 0, 0}));                      // not LLC 42 42 03 (SNAP)
    send(frame(38, {0x42, 0x42, 0x03, 0, 1, 0, 0}));                      // protocol id 1
    send(frame(7, {0x42, 0x42, 0x03, 0, 0, 0, 0x00}));                    // a config BPDU 4 bytes long
    send(frame(38, {0x42, 0x42, 0x03, 0, 0, 2, 0x02}));                   // RSTP (type 2): not spoken
    std::vector<uint8_t> old = {0x42, 0x42, 0x03, 0, 0, 0, 0x00, 0};
    old.resize(3 + 35);
    old[3 + 28] = 20;  // message age 20 s ...
    old[3 + 30] = 20;  // ... of a max age of 20 s: expired
    old[3 + 32] = 2;
    send(frame(38, old));
    w.run_virtual_ms(10);
    EXPECT_EQ(drops(s, "bridge_bad_bpdu"), 5u);
    // A TCN on a port this bridge is designated for is taken (no drop).
    send(frame(7, {0x42, 0x42, 0x03, 0, 0, 0, 0x80}));
    w.run_virtual_ms(10);
    EXPECT_EQ(drops(s, "bridge_bad_bpdu"), 5u);
    EXPECT_TRUE(bridge::get(s, "bridge0")->stp.topology_change);
    inj.reset();
    pktpool_free(pool);
}

TEST(t_bridge_stp, brconfig_times_are_checked) {
    loop t;
    EXPECT_EQ(bridge::set_times(t.a, "bridge0", 2, 4, 20).error(), errc::inval);  // 2*(4-1) < 20
    EXPECT_EQ(bridge::set_times(t.a, "bridge0", 0, 15, 20).error(), errc::inval);
    EXPECT_EQ(bridge::set_port_priority(t.a, "bridge0", "shmif0", 256).error(), errc::inval);
    EXPECT_EQ(bridge::set_port_path_cost(t.a, "bridge0", "shmif0", 0).error(), errc::inval);
    EXPECT_EQ(t.ia().stp.hello_s, 1);
    // A higher path cost on b's root port moves its root port to the other link.
    t.w.run_virtual_ms(10000);
    ASSERT_EQ(t.ib().stp.root_port, "shmif0");
    ASSERT_TRUE(bridge::set_port_path_cost(t.b, "bridge0", "shmif0", 200));
    t.w.run_virtual_ms(20000);
    EXPECT_EQ(t.ib().stp.root_port, "shmif1");
    EXPECT_EQ(port(t.ib(), "shmif0").state, "blocking");
    EXPECT_EQ(port(t.ib(), "shmif0").path_cost, 200u);
}

}  // namespace
}  // namespace mpnet::testing
