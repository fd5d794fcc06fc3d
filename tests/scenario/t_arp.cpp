// SPDX-License-Identifier: BSD-2-Clause
// Port of NetBSD tests/net/arp/t_arp.sh to mpnet: two stacks on one bus, on
// virtual time. Addresses move from 10.0.1.0/24 to 198.18.1.0/24 (RFC 2544's
// range); assertions follow the NetBSD cases (see ../shared/reference).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "../support/world.hpp"

namespace mpnet::testing {
namespace {

// The NetBSD topology: SRC 198.18.1.1/24 and DST 198.18.1.2/24 on bus1.
struct arp_topology {
    world w;
    drivers::bus& bus1;
    stack& src;
    stack& dst;
    drivers::bus_port& src_port;
    drivers::bus_port& dst_port;

    explicit arp_topology(stack_config src_cfg = {}, stack_config dst_cfg = {})
        : bus1(w.add_bus("bus1")),
          src(w.add_stack("src", src_cfg)),
          dst(w.add_stack("dst", dst_cfg)),
          src_port(w.attach(src, bus1, "shmif0")),
          dst_port(w.attach(dst, bus1, "shmif0")) {
        EXPECT_TRUE(src.addr_add("shmif0", ip("198.18.1.1"), 24));
        EXPECT_TRUE(dst.addr_add("shmif0", ip("198.18.1.2"), 24));
        EXPECT_TRUE(src.if_up("shmif0"));
        EXPECT_TRUE(dst.if_up("shmif0"));
        w.run_for_ms(100);
        // setup_src_server: no ARP entries at first, not even our own address.
        EXPECT_TRUE(src.arp_get(ip("198.18.1.1")).empty());
        EXPECT_TRUE(src.arp_get(ip("198.18.1.2")).empty());
        bus1.take_summaries();
    }
    ether_addr src_mac() { return src_port.mac(); }
    ether_addr dst_mac() { return dst_port.mac(); }
};

std::string who_has(const char* t, const char* s) {
    return std::string("ethertype ARP (0x0806), length 42: Request who-has ") + t + " tell " + s + ", length 28";
}

TEST(t_arp, cache_expiration) {
    stack_config c;
    c.nd_reachable_ms = 7000;  // sysctl net.inet.arp.nd_reachable=7000
    arp_topology t(c);
    // DST gets a permanent entry for SRC "to avoid sending an NS packet disturbing the test".
    ASSERT_TRUE(t.dst.arp_add(ip("198.18.1.1"), t.src_mac()));
    ASSERT_TRUE(t.w.ping(t.src, ip("198.18.1.2")));
    EXPECT_TRUE(t.src.arp_get(ip("198.18.1.1")).empty());
    auto e = t.src.arp_get(ip("198.18.1.2"));
    ASSERT_EQ(e.size(), 1u);
    EXPECT_FALSE(e[0].flags & llflag::static_);
    EXPECT_EQ(e[0].state, ll_state::reachable);
    ASSERT_GT(e[0].expire_s, 0);
    EXPECT_LE(e[0].expire_s, 7);
    t.w.run_for_ms(uint64_t(e[0].expire_s + 1) * 1000);
    // Expired but remains until GC sweeps it (1 day): ONEDAYISH.
    e = t.src.arp_get(ip("198.18.1.2"));
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].state, ll_state::stale);
    EXPECT_GE(e[0].expire_s, 23 * 3600 + 50 * 60);
    EXPECT_LE(e[0].expire_s, 24 * 3600 + 60);
    // Neighbor unreachability detection: using the STALE entry moves it to
    // DELAY; after nd_delay (5 s) a unicast probe confirms it (REACHABLE).
    t.bus1.take_summaries();
    ASSERT_TRUE(t.w.ping(t.src, ip("198.18.1.2")));
    e = t.src.arp_get(ip("198.18.1.2"));
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(ll_state_letter(e[0].state), 'D');
    t.w.run_for_ms(5100);
    auto b = t.bus1.take_summaries();
    EXPECT_EQ(
        count_matching(b, t.src_mac().str() + " > " + t.dst_mac().str() + ", " + who_has("198.18.1.2", "198.18.1.1")),
        1u);
    EXPECT_EQ(count_matching(b, "ff:ff:ff:ff:ff:ff, " + who_has("198.18.1.2", "198.18.1.1")), 0u);
    e = t.src.arp_get(ip("198.18.1.2"));
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(ll_state_letter(e[0].state), 'R');
}

// 25 minutes of ARP aging on virtual time that jumps from timer to timer:
// REACHABLE to STALE after nd_reachable, a STALE entry collected after
// nd_gc_s, a `temp` static entry REACHABLE for arp_temp_keep_s (NetBSD's 20
// minutes) and STALE after, and nothing sent once the neighbors are quiet.
TEST(t_arp, aging_over_25_virtual_minutes) {
    stack_config c;
    c.nd_gc_s = 20 * 60;
    arp_topology t(c);
    ASSERT_TRUE(t.w.ping(t.src, ip("198.18.1.2")));
    ASSERT_TRUE(t.src.arp_add(ip("198.18.1.77"), mac("02:00:00:00:00:77"), arp_opt::temp));
    auto state_of = [&](const char* a) -> char {
        auto e = t.src.arp_get(ip(a));
        return e.empty() ? '-' : ll_state_letter(e[0].state);
    };
    EXPECT_EQ(state_of("198.18.1.2"), 'R');
    t.bus1.take_summaries();
    const uint64_t t0 = t.src.now_ns(), rounds0 = t.w.rounds();
    const auto wall0 = std::chrono::steady_clock::now();
    t.w.run_virtual_ms(60 * 1000);
    EXPECT_EQ(state_of("198.18.1.2"), 'S');
    t.bus1.take_summaries();  // dst's unicast probe of its entry for src (NUD) and the reply
    t.w.run_virtual_ms(18 * 60 * 1000);  // 19 minutes in: both still there
    EXPECT_EQ(state_of("198.18.1.2"), 'S');
    EXPECT_NE(state_of("198.18.1.77"), '-');
    EXPECT_EQ(state_of("198.18.1.77"), 'R');
    t.w.run_virtual_ms(6 * 60 * 1000);  // 25 minutes in: the dynamic entry is gone, temp's 20 minutes are over
    EXPECT_EQ(state_of("198.18.1.2"), '-');
    EXPECT_EQ(state_of("198.18.1.77"), 'S');
    const double wall_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - wall0).count();
    EXPECT_EQ(t.src.now_ns() - t0, 25 * 60 * ns_per_s);
    const auto sent = t.bus1.take_summaries();
    EXPECT_TRUE(sent.empty()) << sent.size() << " frames, the first: " << sent.front();  // aging sent nothing
    // The work does not grow with the virtual time: a round per timer, not per millisecond.
    const uint64_t rounds = t.w.rounds() - rounds0;
    EXPECT_LT(rounds, 10000u);
    std::printf("25 virtual minutes: %llu rounds, %.1f ms of wall time\n", static_cast<unsigned long long>(rounds),
                wall_ms);
}

TEST(t_arp, probe_failure_deletes_the_entry) {
    arp_topology t;
    ASSERT_TRUE(t.w.ping(t.src, ip("198.18.1.2")));
    t.w.run_for_ms(31000);  // REACHABLE (30 s) -> STALE
    ASSERT_EQ(ll_state_letter(t.src.arp_get(ip("198.18.1.2"))[0].state), 'S');
    t.dst_port.set_carrier(false);  // the neighbor goes away
    EXPECT_FALSE(t.w.ping(t.src, ip("198.18.1.2"), 100));
    EXPECT_EQ(ll_state_letter(t.src.arp_get(ip("198.18.1.2"))[0].state), 'D');
    t.w.run_for_ms(5000 + 3 * 1000 + 100);  // DELAY, then nd_umaxtries unicast probes
    EXPECT_TRUE(t.src.arp_get(ip("198.18.1.2")).empty());
    auto b = t.bus1.take_summaries();
    EXPECT_EQ(
        count_matching(b, t.src_mac().str() + " > " + t.dst_mac().str() + ", " + who_has("198.18.1.2", "198.18.1.1")),
        3u);
}

TEST(t_arp, command) {
    stack_config c;
    c.nd_reachable_ms = 5000;
    arp_topology t(c);
    // arp -s: permanent. Neighbor entries are not routes (mpnet's design; the
    // NetBSD case also checked an UHLS route, which mpnet deliberately has not).
    ASSERT_TRUE(t.src.arp_add(ip("198.18.1.10"), mac("b2:a0:20:00:00:10")));
    auto e = t.src.arp_get(ip("198.18.1.10"));
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].mac, mac("b2:a0:20:00:00:10"));
    EXPECT_TRUE(e[0].flags & llflag::static_);
    EXPECT_EQ(e[0].ifname, "shmif0");
    for (const auto& r : t.src.route_list()) EXPECT_NE(r.r.dst, prefix4::of(ip("198.18.1.10"), 32));
    // arp -d
    ASSERT_TRUE(t.src.arp_del(ip("198.18.1.10")));
    EXPECT_TRUE(t.src.arp_get(ip("198.18.1.10")).empty());
    EXPECT_EQ(t.src.arp_del(ip("198.18.1.10")).error(), errc::noent);
    // arp -f with five lines
    for (int i = 11; i <= 15; ++i) {
        std::string a = "198.18.1." + std::to_string(i);
        std::string m = "b2:a0:20:00:00:" + std::to_string(i);
        ASSERT_TRUE(t.src.arp_add(ip(a.c_str()), mac(m.c_str())));
    }
    auto all = t.src.arp_list();
    ASSERT_EQ(all.size(), 5u);
    for (const auto& n : all) EXPECT_TRUE(n.flags & llflag::static_);
    // arp -d -a
    t.src.arp_flush();
    EXPECT_TRUE(t.src.arp_list().empty());
    // arp -s ... temp: present, not permanent
    ASSERT_TRUE(t.src.arp_add(ip("198.18.1.10"), mac("b2:a0:20:00:00:10"), arp_opt::temp));
    e = t.src.arp_get(ip("198.18.1.10"));
    ASSERT_EQ(e.size(), 1u);
    EXPECT_FALSE(e[0].flags & llflag::static_);
    EXPECT_TRUE(e[0].flags & llflag::temp);
    // Bad input changes nothing.
    EXPECT_EQ(t.src.arp_add(ip("198.18.1.20"), mac("01:00:5e:00:00:01")).error(), errc::inval);
    EXPECT_EQ(t.src.arp_add(ip("198.19.99.99"), mac("b2:a0:20:00:00:10")).error(), errc::netunreach);
    EXPECT_EQ(t.src.arp_list().size(), 1u);
}

TEST(t_arp, cache_overwriting) {
    arp_topology t;
    ASSERT_TRUE(t.src.arp_add(ip("198.18.1.2"), mac("b2:a0:20:00:00:ff")));
    // A permanent entry cannot be overwritten: File exists.
    auto s = t.src.arp_add(ip("198.18.1.2"), mac("b2:a0:20:00:00:fe"));
    EXPECT_EQ(s.error(), errc::exist);
    EXPECT_EQ(errc_message(s.error()), "File exists");
    EXPECT_EQ(t.src.arp_get(ip("198.18.1.2"))[0].mac, mac("b2:a0:20:00:00:ff"));
    ASSERT_TRUE(t.src.arp_del(ip("198.18.1.2")));
    // A dynamic entry can be overwritten.
    ASSERT_TRUE(t.w.ping(t.src, ip("198.18.1.2")));
    ASSERT_EQ(t.src.arp_get(ip("198.18.1.2"))[0].mac, t.dst_mac());
    ASSERT_TRUE(t.src.arp_add(ip("198.18.1.2"), mac("b2:a0:20:00:00:00")));
    auto e = t.src.arp_get(ip("198.18.1.2"));
    EXPECT_EQ(e[0].mac, mac("b2:a0:20:00:00:00"));
    EXPECT_TRUE(e[0].flags & llflag::static_);
    // A temp entry can be overwritten.
    ASSERT_TRUE(t.src.arp_add(ip("198.18.1.10"), mac("b2:a0:20:00:00:10"), arp_opt::temp));
    EXPECT_FALSE(t.src.arp_get(ip("198.18.1.10"))[0].flags & llflag::static_);
    ASSERT_TRUE(t.src.arp_add(ip("198.18.1.10"), mac("b2:a0:20:00:00:ff")));
    EXPECT_EQ(t.src.arp_get(ip("198.18.1.10"))[0].mac, mac("b2:a0:20:00:00:ff"));
}

TEST(t_arp, cache_creation) {
    arp_topology t;
    // ARP cache entries are not created for DAD/GARP packets.
    EXPECT_TRUE(t.src.arp_list().empty());
    EXPECT_TRUE(t.dst.arp_list().empty());
    ASSERT_TRUE(t.w.ping(t.src, ip("198.18.1.2")));
    auto s = t.src.arp_get(ip("198.18.1.2"));
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].mac, t.dst_mac());
    EXPECT_EQ(ll_state_letter(s[0].state), 'R');
    // The entry was first created stale; sending the ARP reply made it delay.
    auto d = t.dst.arp_get(ip("198.18.1.1"));
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].mac, t.src_mac());
    EXPECT_EQ(ll_state_letter(d[0].state), 'D');
    auto bus = t.bus1.take_summaries();
    EXPECT_EQ(count_matching(bus, who_has("198.18.1.2", "198.18.1.1")), 1u);
    EXPECT_EQ(count_matching(bus, who_has("198.18.1.1", "198.18.1.2")), 0u);
}

TEST(t_arp, cache_creation_nodad) {
    stack_config c;
    c.dad_count = 0;
    arp_topology t(c, c);
    EXPECT_TRUE(t.src.arp_list().empty());
    EXPECT_TRUE(t.dst.arp_list().empty());
    ASSERT_TRUE(t.w.ping(t.src, ip("198.18.1.2")));
    EXPECT_EQ(t.src.arp_get(ip("198.18.1.2")).size(), 1u);
    EXPECT_EQ(t.dst.arp_get(ip("198.18.1.1")).size(), 1u);
}

TEST(t_arp, static_entry_as_sender) {
    arp_topology t;
    ASSERT_TRUE(t.dst.arp_add(ip("198.18.1.1"), t.src_mac()));
    EXPECT_TRUE(t.w.ping(t.src, ip("198.18.1.2")));
    EXPECT_TRUE(t.dst.arp_get(ip("198.18.1.1"))[0].flags & llflag::static_);
}

void garp_common(bool dad) {
    stack_config c;
    if (!dad) c.dad_count = 0;
    world w;
    auto& bus1 = w.add_bus("bus1");
    auto& s = w.add_stack("src", c);
    w.attach(s, bus1, "shmif0");
    // 1. Address assigned while the interface is down, then up: GARP, no DAD.
    ASSERT_TRUE(s.addr_add("shmif0", ip("198.18.0.1"), 24));
    ASSERT_TRUE(s.if_up("shmif0"));
    w.run_for_ms(1000);
    auto b = bus1.take_summaries();
    EXPECT_EQ(count_matching(b, who_has("198.18.0.1", "198.18.0.1")), 1u);
    EXPECT_EQ(count_matching(b, who_has("198.18.0.1", "0.0.0.0")), 0u);
    // 2. Down; alias added; (mpnet announces on up, not on add while down).
    ASSERT_TRUE(s.if_down("shmif0"));
    ASSERT_TRUE(s.addr_add("shmif0", ip("198.18.0.2"), 24));
    w.run_for_ms(1000);
    EXPECT_EQ(count_matching(bus1.take_summaries(), "ARP"), 0u);
    ASSERT_TRUE(s.if_up("shmif0"));
    w.run_for_ms(1000);
    b = bus1.take_summaries();
    EXPECT_EQ(count_matching(b, who_has("198.18.0.2", "198.18.0.2")), 1u);
    // 3. Addresses added on the UP interface.
    ASSERT_TRUE(s.addr_del("shmif0", ip("198.18.0.1")));
    ASSERT_TRUE(s.addr_del("shmif0", ip("198.18.0.2")));
    ASSERT_TRUE(s.addr_add("shmif0", ip("198.18.0.3"), 24));
    ASSERT_TRUE(s.addr_add("shmif0", ip("198.18.0.4"), 24));
    w.run_for_ms(1000);
    b = bus1.take_summaries();
    const size_t garps = dad ? 0u : 1u;  // with DAD: probes first, GARP after
    EXPECT_EQ(count_matching(b, who_has("198.18.0.3", "198.18.0.3")), garps);
    EXPECT_EQ(count_matching(b, who_has("198.18.0.4", "198.18.0.4")), garps);
    EXPECT_EQ(count_matching(b, who_has("198.18.0.3", "0.0.0.0")) > 0, dad);
    // With DAD the addresses are announced once the probes found no conflict.
    w.run_for_ms(5000);
    b = bus1.take_summaries();
    EXPECT_EQ(count_matching(b, who_has("198.18.0.3", "198.18.0.3")), dad ? 1u : 0u);
    EXPECT_EQ(count_matching(b, who_has("198.18.0.4", "198.18.0.4")), dad ? 1u : 0u);
    // Step 4 (link flap) is link_flap_common below.
}

TEST(t_arp, garp) { garp_common(true); }
TEST(t_arp, garp_without_dad) { garp_common(false); }

void link_flap_common(bool dad) {
    stack_config c;
    if (!dad) c.dad_count = 0;
    world w;
    auto& bus1 = w.add_bus("bus1");
    auto& s = w.add_stack("src", c);
    auto& port = w.attach(s, bus1, "shmif0");
    ASSERT_TRUE(s.if_up("shmif0"));
    ASSERT_TRUE(s.addr_add("shmif0", ip("198.18.0.3"), 24));
    ASSERT_TRUE(s.addr_add("shmif0", ip("198.18.0.4"), 24));
    w.run_for_ms(6000);
    bus1.take_summaries();
    port.set_carrier(false);  // ifconfig shmif0 media none
    w.run_for_ms(100);
    EXPECT_EQ(s.if_get("shmif0")->flags & iff::running, 0u);
    port.set_carrier(true);  // ifconfig shmif0 media auto
    w.run_for_ms(1000);
    auto b = bus1.take_summaries();
    EXPECT_EQ(count_matching(b, who_has("198.18.0.3", "198.18.0.3")), dad ? 0u : 1u);
    EXPECT_EQ(count_matching(b, who_has("198.18.0.4", "198.18.0.4")), dad ? 0u : 1u);
    EXPECT_EQ(count_matching(b, who_has("198.18.0.3", "0.0.0.0")) > 0, dad);
    EXPECT_EQ(count_matching(b, who_has("198.18.0.4", "0.0.0.0")) > 0, dad);
}

TEST(t_arp, garp_link_flap) { link_flap_common(true); }
TEST(t_arp, garp_link_flap_without_dad) { link_flap_common(false); }

TEST(t_arp, link_activation) {
    arp_topology t;
    ASSERT_TRUE(t.src.if_link_add("shmif0", mac("b2:a1:00:00:00:01"), false));
    t.w.run_for_ms(1000);
    EXPECT_EQ(count_matching(t.bus1.take_summaries(), who_has("198.18.1.1", "198.18.1.1")), 0u);
    ASSERT_TRUE(t.src.if_link_add("shmif0", mac("b2:a1:00:00:00:02"), true));
    t.w.run_for_ms(1000);
    auto b = t.bus1.take_summaries();
    EXPECT_EQ(count_matching(b, "b2:a1:00:00:00:02 > ff:ff:ff:ff:ff:ff, " + who_has("198.18.1.1", "198.18.1.1")), 1u);
    EXPECT_EQ(t.src.if_get("shmif0")->lladdr, mac("b2:a1:00:00:00:02"));
    // The active link address cannot be deleted; an inactive one can.
    EXPECT_EQ(t.src.if_link_del("shmif0", mac("b2:a1:00:00:00:02")).error(), errc::busy);
    EXPECT_TRUE(t.src.if_link_del("shmif0", mac("b2:a1:00:00:00:01")));
    // Traffic uses the new address.
    ASSERT_TRUE(t.w.ping(t.dst, ip("198.18.1.1")));
    EXPECT_EQ(t.dst.arp_get(ip("198.18.1.1"))[0].mac, mac("b2:a1:00:00:00:02"));
}

TEST(t_arp, proxy_arp_pub) {
    arp_topology t;
    // Test#2 of NetBSD's case: DST publishes 198.18.1.4 with its own MAC
    // before any endpoint exists; the reply is on the bus all the same.
    EXPECT_FALSE(t.w.ping(t.src, ip("198.18.1.4")));
    EXPECT_EQ(count_matching(t.bus1.take_summaries(), "Reply 198.18.1.4 is-at"), 0u);
    // The failed resolution left an INCOMPLETE entry (NetBSD: arp -d before retrying).
    auto inc = t.src.arp_get(ip("198.18.1.4"));
    ASSERT_EQ(inc.size(), 1u);
    EXPECT_FALSE(inc[0].has_mac);
    EXPECT_EQ(inc[0].state, ll_state::incomplete);
    ASSERT_TRUE(t.src.arp_del(ip("198.18.1.4")));
    ASSERT_TRUE(t.dst.arp_add(ip("198.18.1.4"), t.dst_mac(), arp_opt::pub));
    auto e = t.dst.arp_get(ip("198.18.1.4"));
    ASSERT_EQ(e.size(), 1u);
    EXPECT_TRUE(e[0].flags & llflag::pub);
    EXPECT_FALSE(t.w.ping(t.src, ip("198.18.1.4")));  // DST does not forward yet
    auto b = t.bus1.take_summaries();
    EXPECT_EQ(count_matching(b, "Reply 198.18.1.4 is-at " + t.dst_mac().str()), 1u);
    auto s = t.src.arp_get(ip("198.18.1.4"));
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].mac, t.dst_mac());
}

TEST(t_arp, purge_on_ifdown) {
    arp_topology t;
    ASSERT_TRUE(t.w.ping(t.src, ip("198.18.1.2")));
    auto e = t.src.arp_get(ip("198.18.1.2"));
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].ifname, "shmif0");
    ASSERT_TRUE(t.src.if_down("shmif0"));
    EXPECT_TRUE(t.src.arp_get(ip("198.18.1.2")).empty());
}

TEST(t_arp, purge_on_address_delete) {
    arp_topology t;
    ASSERT_TRUE(t.w.ping(t.src, ip("198.18.1.2")));
    ASSERT_TRUE(t.src.addr_del("shmif0", ip("198.18.1.1")));
    EXPECT_TRUE(t.src.arp_get(ip("198.18.1.2")).empty());
}

TEST(t_arp, unresolvable_neighbor_gives_up_and_drops_held_packets) {
    arp_topology t;
    const uint64_t failed0 = t.src.drops(drop_reason::neigh_resolve_failed);
    EXPECT_FALSE(t.w.ping(t.src, ip("198.18.1.99"), 5000));
    t.w.run_for_ms(1000);
    auto b = t.bus1.take_summaries();
    // INCOMPLETE: nd_mmaxtries (3) broadcast requests, then the entry goes.
    EXPECT_EQ(count_matching(b, who_has("198.18.1.99", "198.18.1.1")), 3u);
    EXPECT_TRUE(t.src.arp_get(ip("198.18.1.99")).empty());
    EXPECT_EQ(t.src.drops(drop_reason::neigh_resolve_failed), failed0 + 1);
    bool saw_event = false;
    for (const auto& ev : t.src.take_events())
        saw_event |= ev.kind == stack_event::neigh_resolve_failed && ev.addr == ip("198.18.1.99");
    EXPECT_TRUE(saw_event);
}

TEST(t_arp, hold_queue_is_bounded) {
    stack_config c;
    c.neigh_hold_max = 4;
    arp_topology t(c);
    ping_opts o;
    o.count = 10;
    o.interval_ms = 1;
    o.timeout_ms = 100;
    auto id = t.src.ping_start(ip("198.18.1.99"), o);
    ASSERT_TRUE(id.has_value());
    t.w.run_for_ms(50);
    // 10 packets for a neighbor that never answers, 4 held: 6 overflowed.
    EXPECT_EQ(t.src.drops(drop_reason::neigh_hold_overflow), 6u);
    t.w.run_for_ms(5000);
    EXPECT_EQ(t.src.drops(drop_reason::neigh_resolve_failed), 4u);
    EXPECT_EQ(t.src.ping_get(*id)->received, 0);
}

TEST(t_arp, held_packets_are_sent_once_resolved) {
    arp_topology t;
    ping_opts o;
    o.count = 3;
    o.interval_ms = 0;
    o.timeout_ms = 1000;
    auto id = t.src.ping_start(ip("198.18.1.2"), o);
    ASSERT_TRUE(id.has_value());
    t.w.run_until([&] { return t.src.ping_get(*id)->done; }, 2000);
    EXPECT_EQ(t.src.ping_get(*id)->received, 3);
}

TEST(t_arp, three_hosts_on_one_segment) {
    // Three stacks on one shmif-like bus: each learns only the neighbors it
    // talks to, a request for one host is seen (and ignored) by the third,
    // and proxy ARP on one answers the other two.
    world w;
    auto& bus = w.add_bus("bus3");
    auto& a = w.add_host("a", bus, "shmif0", "198.18.1.1");
    auto& b = w.add_host("b", bus, "shmif0", "198.18.1.2");
    auto& c = w.add_host("c", bus, "shmif0", "198.18.1.3");
    w.run_for_ms(10);
    ASSERT_TRUE(w.ping(a, ip("198.18.1.2")));
    EXPECT_EQ(a.arp_list().size(), 1u);
    EXPECT_EQ(b.arp_list().size(), 1u);
    EXPECT_TRUE(c.arp_list().empty());  // heard the broadcast, not its business
    EXPECT_GE(c.drops(drop_reason::arp_not_for_us), 1u);
    ASSERT_TRUE(w.ping(c, ip("198.18.1.1")));
    ASSERT_TRUE(w.ping(c, ip("198.18.1.2")));
    EXPECT_EQ(c.arp_list().size(), 2u);
    EXPECT_EQ(a.arp_list().size(), 2u);
    // b publishes 198.18.1.77: a and c both resolve it to b's MAC.
    const ether_addr bmac = b.if_get("shmif0")->lladdr;
    ASSERT_TRUE(b.arp_add(ip("198.18.1.77"), bmac, arp_opt::pub));
    EXPECT_FALSE(w.ping(a, ip("198.18.1.77"), 200));
    EXPECT_FALSE(w.ping(c, ip("198.18.1.77"), 200));
    EXPECT_EQ(a.arp_get(ip("198.18.1.77"))[0].mac, bmac);
    EXPECT_EQ(c.arp_get(ip("198.18.1.77"))[0].mac, bmac);
    // The echo requests reached b, which does not own the address (no forwarding yet).
    EXPECT_GE(b.drops(drop_reason::ip4_not_local), 2u);
}

}  // namespace
}  // namespace mpnet::testing
