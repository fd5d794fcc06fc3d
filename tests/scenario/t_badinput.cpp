// SPDX-License-Identifier: BSD-2-Clause
// Hostile and malformed frames: each ends as exactly one named, counted drop;
// a seeded mutation fuzz of valid frames never crashes the stack or leaks a
// buffer.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "../support/scale.hpp"
#include "../support/world.hpp"
#include "mpnet/core/checksum.hpp"
#include "mpnet/core/wire.hpp"

namespace mpnet::testing {
namespace {

struct target {
    world w;
    drivers::bus& bus;
    stack& s;
    std::unique_ptr<drivers::bus_port> inj;  // an attacker's NIC on the same segment
    ether_addr s_mac;
    ether_addr inj_mac;

    target() : bus(w.add_bus("bus")), s(w.add_stack("victim")) {
        w.attach(s, bus, "shmif0");
        EXPECT_TRUE(s.addr_add("shmif0", ip("198.18.0.1"), 24));
        EXPECT_TRUE(s.if_up("shmif0"));
        inj = std::move(*bus.attach());
        s_mac = s.if_get("shmif0")->lladdr;
        inj_mac = inj->mac();
        w.run_for_ms(5);
    }
    ~target() { inj.reset(); }

    void send(const std::vector<uint8_t>& frame, bool tick = true) {
        mbuf* m = pkt_alloc(s.pool(), static_cast<uint16_t>(frame.size()));
        ASSERT_NE(m, nullptr);
        std::memcpy(pkt_data(m), frame.data(), frame.size());
        ASSERT_EQ(inj->tx_burst(0, &m, 1), 1);
        if (tick) w.tick();
    }
};

std::vector<uint8_t> eth(const ether_addr& dst, const ether_addr& src, uint16_t type, std::vector<uint8_t> payload) {
    std::vector<uint8_t> f(14 + payload.size());
    ether_hdr h{dst, src, be16::of(type)};
    std::memcpy(f.data(), &h, 14);
    if (!payload.empty()) std::memcpy(f.data() + 14, payload.data(), payload.size());
    return f;
}

std::vector<uint8_t> arp_payload(uint16_t op, const ether_addr& sha, ip4_addr spa, ip4_addr tpa) {
    arp_ether_ip4 a{};
    a.hrd.set(arp_hrd_ether);
    a.pro.set(ethertype_ip4);
    a.hln = 6;
    a.pln = 4;
    a.op.set(op);
    a.sha = sha;
    a.spa.set(spa.v);
    a.tha = ether_addr{};
    a.tpa.set(tpa.v);
    std::vector<uint8_t> v(sizeof a);
    std::memcpy(v.data(), &a, sizeof a);
    return v;
}

std::vector<uint8_t> icmp_echo(ip4_addr src, ip4_addr dst, uint8_t ttl = 64) {
    std::vector<uint8_t> v(20 + 8 + 16);
    ip4_hdr h{};
    h.ver_ihl = 0x45;
    h.total_len.set(static_cast<uint16_t>(v.size()));
    h.ttl = ttl;
    h.proto = ipproto_icmp;
    h.src.set(src.v);
    h.dst.set(dst.v);
    h.cksum = in_cksum(&h, 20);
    std::memcpy(v.data(), &h, 20);
    icmp_hdr ic{};
    ic.type = icmp_echo_request;
    ic.id.set(7);
    ic.seq.set(1);
    std::memcpy(v.data() + 20, &ic, 8);
    uint16_t ck = in_cksum(v.data() + 20, v.size() - 20);
    std::memcpy(v.data() + 22, &ck, 2);
    return v;
}

void fix_ip_cksum(std::vector<uint8_t>& ipv) {
    ipv[10] = ipv[11] = 0;
    uint16_t ck = in_cksum(ipv.data(), (ipv[0] & 0xf) * 4u);
    std::memcpy(ipv.data() + 10, &ck, 2);
}

struct bad_case {
    const char* what;
    drop_reason expect;
    std::function<std::vector<uint8_t>(const target&)> frame;
};

TEST(t_badinput, each_malformed_frame_is_one_named_drop) {
    const ip4_addr me = ip("198.18.0.1"), peer = ip("198.18.0.77");
    std::vector<bad_case> cases = {
        {"runt frame", drop_reason::ether_too_short, [](const target&) { return std::vector<uint8_t>(10, 0xff); }},
        {"unicast to another MAC", drop_reason::ether_not_for_us,
         [&](const target& t) { return eth(mac("02:00:00:00:00:99"), t.inj_mac, ethertype_ip4, icmp_echo(peer, me)); }},
        {"unknown ethertype", drop_reason::ether_unknown_type,
         [&](const target& t) { return eth(t.s_mac, t.inj_mac, 0x88b5, std::vector<uint8_t>(46)); }},
        {"VLAN tag", drop_reason::ether_vlan_unsupported,
         [&](const target& t) { return eth(t.s_mac, t.inj_mac, ethertype_vlan, std::vector<uint8_t>(46)); }},
        {"truncated ARP", drop_reason::arp_too_short,
         [&](const target& t) {
             return eth(ether_addr::broadcast(), t.inj_mac, ethertype_arp, std::vector<uint8_t>(20));
         }},
        {"ARP hardware type 6", drop_reason::arp_bad_format,
         [&](const target& t) {
             auto p = arp_payload(arp_op_request, t.inj_mac, peer, me);
             p[1] = 6;
             return eth(ether_addr::broadcast(), t.inj_mac, ethertype_arp, p);
         }},
        {"ARP plen 16", drop_reason::arp_bad_format,
         [&](const target& t) {
             auto p = arp_payload(arp_op_request, t.inj_mac, peer, me);
             p[5] = 16;
             return eth(ether_addr::broadcast(), t.inj_mac, ethertype_arp, p);
         }},
        {"ARP opcode 9", drop_reason::arp_bad_op,
         [&](const target& t) {
             return eth(ether_addr::broadcast(), t.inj_mac, ethertype_arp, arp_payload(9, t.inj_mac, peer, me));
         }},
        {"ARP multicast sender MAC", drop_reason::arp_bad_sha,
         [&](const target& t) {
             return eth(ether_addr::broadcast(), t.inj_mac, ethertype_arp,
                        arp_payload(arp_op_request, mac("01:00:5e:00:00:01"), peer, me));
         }},
        {"ARP broadcast sender address", drop_reason::arp_bad_spa,
         [&](const target& t) {
             return eth(ether_addr::broadcast(), t.inj_mac, ethertype_arp,
                        arp_payload(arp_op_request, t.inj_mac, ip4_addr::broadcast(), me));
         }},
        {"IPv4 shorter than its header", drop_reason::ip4_too_short,
         [&](const target& t) { return eth(t.s_mac, t.inj_mac, ethertype_ip4, std::vector<uint8_t>(12, 0x45)); }},
        {"IP version 6 in an IPv4 frame", drop_reason::ip4_bad_version,
         [&](const target& t) {
             auto p = icmp_echo(peer, me);
             p[0] = 0x65;
             return eth(t.s_mac, t.inj_mac, ethertype_ip4, p);
         }},
        {"IHL 4", drop_reason::ip4_bad_hlen,
         [&](const target& t) {
             auto p = icmp_echo(peer, me);
             p[0] = 0x44;
             return eth(t.s_mac, t.inj_mac, ethertype_ip4, p);
         }},
        {"total length beyond the frame", drop_reason::ip4_bad_len,
         [&](const target& t) {
             auto p = icmp_echo(peer, me);
             p[2] = 0x05;
             fix_ip_cksum(p);
             return eth(t.s_mac, t.inj_mac, ethertype_ip4, p);
         }},
        {"total length below the header", drop_reason::ip4_bad_len,
         [&](const target& t) {
             auto p = icmp_echo(peer, me);
             p[2] = 0;
             p[3] = 10;
             fix_ip_cksum(p);
             return eth(t.s_mac, t.inj_mac, ethertype_ip4, p);
         }},
        {"bad header checksum", drop_reason::ip4_bad_cksum,
         [&](const target& t) {
             auto p = icmp_echo(peer, me);
             p[10] ^= 0x5a;
             return eth(t.s_mac, t.inj_mac, ethertype_ip4, p);
         }},
        {"TTL 0", drop_reason::ip4_ttl_zero,
         [&](const target& t) { return eth(t.s_mac, t.inj_mac, ethertype_ip4, icmp_echo(peer, me, 0)); }},
        {"multicast source", drop_reason::ip4_bad_src,
         [&](const target& t) { return eth(t.s_mac, t.inj_mac, ethertype_ip4, icmp_echo(ip("224.0.0.5"), me)); }},
        {"fragment", drop_reason::ip4_fragment,
         [&](const target& t) {
             auto p = icmp_echo(peer, me);
             p[6] = 0x20;  // MF
             fix_ip_cksum(p);
             return eth(t.s_mac, t.inj_mac, ethertype_ip4, p);
         }},
        {"to 127.0.0.1 from the wire", drop_reason::ip4_martian_dst,
         [&](const target& t) { return eth(t.s_mac, t.inj_mac, ethertype_ip4, icmp_echo(peer, ip("127.0.0.1"))); }},
        {"to 0.0.0.0", drop_reason::ip4_martian_dst,
         [&](const target& t) { return eth(t.s_mac, t.inj_mac, ethertype_ip4, icmp_echo(peer, ip("0.0.0.0"))); }},
        {"not for us", drop_reason::ip4_not_local,
         [&](const target& t) { return eth(t.s_mac, t.inj_mac, ethertype_ip4, icmp_echo(peer, ip("198.18.5.5"))); }},
        {"UDP with no listener", drop_reason::ip4_no_proto,
         [&](const target& t) {
             auto p = icmp_echo(peer, me);
             p[9] = ipproto_udp;
             fix_ip_cksum(p);
             return eth(t.s_mac, t.inj_mac, ethertype_ip4, p);
         }},
        {"ICMP shorter than 8 bytes", drop_reason::icmp_too_short,
         [&](const target& t) {
             auto p = icmp_echo(peer, me);
             p.resize(24);
             p[2] = 0;
             p[3] = 24;
             fix_ip_cksum(p);
             return eth(t.s_mac, t.inj_mac, ethertype_ip4, p);
         }},
        {"ICMP bad checksum", drop_reason::icmp_bad_cksum,
         [&](const target& t) {
             auto p = icmp_echo(peer, me);
             p[30] ^= 1;
             return eth(t.s_mac, t.inj_mac, ethertype_ip4, p);
         }},
        {"broadcast echo", drop_reason::ip4_bcast_echo,
         [&](const target& t) {
             return eth(ether_addr::broadcast(), t.inj_mac, ethertype_ip4, icmp_echo(peer, ip("198.18.0.255")));
         }},
        {"unsolicited echo reply", drop_reason::icmp_no_session,
         [&](const target& t) {
             auto p = icmp_echo(peer, me);
             p[20] = icmp_echo_reply;
             p[22] = p[23] = 0;
             uint16_t ck = in_cksum(p.data() + 20, p.size() - 20);
             std::memcpy(p.data() + 22, &ck, 2);
             return eth(t.s_mac, t.inj_mac, ethertype_ip4, p);
         }},
    };
    target t;
    for (const auto& c : cases) {
        SCOPED_TRACE(c.what);
        std::vector<uint64_t> before(drop_reason_count);
        for (size_t i = 0; i < drop_reason_count; ++i) before[i] = t.s.drops(static_cast<drop_reason>(i));
        t.send(c.frame(t));
        for (size_t i = 0; i < drop_reason_count; ++i) {
            const auto r = static_cast<drop_reason>(i);
            const uint64_t want = before[i] + (r == c.expect ? 1 : 0);
            EXPECT_EQ(t.s.drops(r), want) << drop_reason_name(r);
        }
    }
    // Still healthy, and every buffer is back in the pool.
    auto inj = std::move(t.inj);
    inj.reset();
    t.w.run_for_ms(10);
    EXPECT_EQ(pktpool_avail(t.s.pool()), t.s.config().mbufs);
}

TEST(t_badinput, mutation_fuzz_never_crashes_or_leaks) {
    target t;
    std::mt19937 rng(20261124);
    const ip4_addr me = ip("198.18.0.1");
    std::vector<std::vector<uint8_t>> seeds = {
        eth(t.s_mac, t.inj_mac, ethertype_ip4, icmp_echo(ip("198.18.0.50"), me)),
        eth(ether_addr::broadcast(), t.inj_mac, ethertype_arp,
            arp_payload(arp_op_request, t.inj_mac, ip("198.18.0.50"), me)),
        eth(t.s_mac, t.inj_mac, ethertype_arp, arp_payload(arp_op_reply, t.inj_mac, ip("198.18.0.51"), me)),
    };
    uint64_t sent = 0;
    for (int i = 0; i < 20000; ++i) {
        auto f = seeds[rng() % seeds.size()];
        const int flips = 1 + int(rng() % 6);
        for (int k = 0; k < flips; ++k) f[rng() % f.size()] = static_cast<uint8_t>(rng());
        if (rng() % 4 == 0) f.resize(rng() % f.size());
        if (rng() % 8 == 0) f.resize(f.size() + rng() % 64, static_cast<uint8_t>(rng()));
        if (f.empty()) continue;
        mbuf* m = pkt_alloc(t.s.pool(), static_cast<uint16_t>(f.size()));
        ASSERT_NE(m, nullptr);
        std::memcpy(pkt_data(m), f.data(), f.size());
        ASSERT_EQ(t.inj->tx_burst(0, &m, 1), 1);
        ++sent;
        if (i % 32 == 31) t.w.tick();
    }
    t.w.run_for_ms(10);
    uint64_t dropped = 0;
    for (size_t i = 0; i < drop_reason_count; ++i) dropped += t.s.drops(static_cast<drop_reason>(i));
    EXPECT_GT(dropped, sent / 2);  // most mutants are malformed, and counted
    // The stack still works.
    auto peer_port = t.bus.attach();
    ASSERT_TRUE(peer_port.has_value());
    auto& peer = t.w.add_stack("peer");
    ASSERT_TRUE(peer.if_attach("shmif0", std::move(*peer_port)));
    ASSERT_TRUE(peer.addr_add("shmif0", ip("198.18.0.2"), 24));
    ASSERT_TRUE(peer.if_up("shmif0"));
    EXPECT_TRUE(t.w.ping(peer, me));
    t.inj.reset();
    t.w.run_for_ms(4000);  // let INCOMPLETE entries created by mutants give up
    t.s.arp_flush();
    EXPECT_EQ(pktpool_avail(t.s.pool()), t.s.config().mbufs);
}

TEST(t_badinput, neighbor_table_exhaustion_is_bounded) {
    stack_config c;
    c.neigh_max = 64;
    world w;
    auto& bus = w.add_bus("bus");
    auto& s = w.add_stack("victim", c);
    w.attach(s, bus, "shmif0");
    ASSERT_TRUE(s.addr_add("shmif0", ip("198.18.0.1"), 16));
    ASSERT_TRUE(s.if_up("shmif0"));
    auto inj = std::move(*bus.attach());
    const ether_addr me = s.if_get("shmif0")->lladdr;
    // 1000 different senders ask for our address: each would create an entry.
    for (uint32_t i = 0; i < 1000; ++i) {
        auto f = eth(me, inj->mac(), ethertype_arp,
                     arp_payload(arp_op_request, inj->mac(), ip4_addr(ip("198.18.1.0").v + i), ip("198.18.0.1")));
        mbuf* m = pkt_alloc(s.pool(), static_cast<uint16_t>(f.size()));
        std::memcpy(pkt_data(m), f.data(), f.size());
        ASSERT_EQ(inj->tx_burst(0, &m, 1), 1);
        if (i % 16 == 15) w.tick();
    }
    w.run_for_ms(10);
    EXPECT_LE(s.arp_list().size(), 64u);
    // Entries learned from requests are STALE and get evicted for newer ones,
    // so the table stays full but the stack keeps answering.
    EXPECT_EQ(s.arp_list().size(), 64u);
    inj.reset();
}

// A scan of a connected subnet through the router: a packet for each of
// 3,000 addresses nobody answers. Each would be held while its neighbor is
// resolved; all hold lists together stay within neigh_hold_total and the
// scanned port's within half of it, so the pool every port receives into
// never runs dry, forwarding between two other hosts carries on through the
// scan, and a host on another port that the router has not resolved yet
// still gets resolved (its first packet finds room to be held).
TEST(t_badinput, a_subnet_scan_cannot_empty_the_pool) {
    world w;
    auto& lan = w.add_bus("lan");
    auto& far = w.add_bus("far");
    auto& dark = w.add_bus("dark");
    stack_config c;
    c.forwarding = true;
    auto& r = w.add_host("router", lan, "shmif0", "198.18.0.1", 24, c);
    w.attach(r, far, "shmif1");
    ASSERT_TRUE(r.addr_add("shmif1", ip("198.18.2.1"), 24));
    ASSERT_TRUE(r.if_up("shmif1"));
    w.attach(r, dark, "shmif2");
    ASSERT_TRUE(r.addr_add("shmif2", ip("198.19.0.1"), 16));
    ASSERT_TRUE(r.if_up("shmif2"));
    auto& a = w.add_host("a", lan, "shmif0", "198.18.0.2");
    auto& b = w.add_host("b", far, "shmif0", "198.18.2.2");
    auto& b2 = w.add_host("b2", far, "shmif0", "198.18.2.3");
    route_spec d;
    d.dst = *prefix4::parse("0.0.0.0/0");
    d.gateway = ip("198.18.0.1");
    ASSERT_TRUE(a.route_add(d));
    d.gateway = ip("198.18.2.1");
    ASSERT_TRUE(b.route_add(d));
    ASSERT_TRUE(b2.route_add(d));
    ASSERT_TRUE(w.ping(a, ip("198.18.2.2")));
    const uint32_t limit = r.config().neigh_hold_total;
    ASSERT_EQ(limit, r.config().mbufs / 8);
    auto inj = std::move(*lan.attach());
    const ether_addr rmac = r.if_get("shmif0")->lladdr;
    auto held = [&](const std::string& name = "held packets, all neighbors") {
        for (const auto& l : r.limits_list())
            if (l.name == name) return l.used;
        ADD_FAILURE() << "no limit named " << name;
        return uint64_t(0);
    };
    uint64_t most = 0, most_dark = 0;
    for (uint32_t i = 0; i < 3000; ++i) {
        auto f = eth(rmac, inj->mac(), ethertype_ip4, icmp_echo(ip("198.18.0.66"), ip4_addr(ip("198.19.1.0").v + i)));
        mbuf* m = pkt_alloc(r.pool(), static_cast<uint16_t>(f.size()));
        ASSERT_NE(m, nullptr) << "the pool ran dry after " << i << " scan packets";
        std::memcpy(pkt_data(m), f.data(), f.size());
        ASSERT_EQ(inj->tx_burst(0, &m, 1), 1);
        if (i % 32 == 31) {
            w.tick();
            most = std::max(most, held());
            most_dark = std::max(most_dark, held("held packets shmif2"));
        }
        if (i == 1500) {
            EXPECT_TRUE(w.ping(a, ip("198.18.2.2"))) << "forwarding stalled during the scan";
            EXPECT_TRUE(w.ping(a, ip("198.18.2.3"))) << "no room to resolve a new neighbor on another port";
        }
    }
    w.run_for_ms(10);
    most = std::max(most, held());
    EXPECT_LE(most, limit);
    EXPECT_LE(most_dark, limit / 2);
    EXPECT_GE(most_dark, limit / 2) << "the scan was meant to reach its port's share";
    EXPECT_GT(r.drops(drop_reason::neigh_hold_limit), 0u);
    EXPECT_GT(pktpool_avail(r.pool()), r.config().mbufs / 2);
    EXPECT_TRUE(w.ping(a, ip("198.18.2.2")));
    // Resolution gives up; every held buffer returns to the pool.
    w.run_for_ms(4000);
    EXPECT_EQ(held(), 0u);
    inj.reset();
}

// A sender on none of the interface's subnets asks for our address: it is
// answered but never learned (NetBSD and FreeBSD refuse such entries).
TEST(t_badinput, arp_from_off_subnet_senders_is_not_learned) {
    target t;
    const ip4_addr me = ip("198.18.0.1");
    for (const char* who : {"198.19.77.77", "0.16.108.33", "198.18.1.5"}) {
        t.send(eth(ether_addr::broadcast(), t.inj_mac, ethertype_arp,
                   arp_payload(arp_op_request, t.inj_mac, ip(who), me)));
        EXPECT_TRUE(t.s.arp_get(ip(who)).empty()) << who;
    }
    EXPECT_EQ(t.s.drops(drop_reason::arp_off_subnet), 3u);
    // The requests were answered all the same.
    unsigned replies = 0;
    mbuf* got[32];
    while (uint16_t k = t.inj->rx_burst(0, got, 32)) {
        for (uint16_t i = 0; i < k; ++i) {
            const uint8_t* d = pkt_data(got[i]);
            if (d[12] == 0x08 && d[13] == 0x06 && d[14 + 7] == arp_op_reply) ++replies;
            pkt_free(got[i]);
        }
    }
    EXPECT_EQ(replies, 3u);
    // An on-subnet sender is learned as before.
    t.send(eth(ether_addr::broadcast(), t.inj_mac, ethertype_arp,
               arp_payload(arp_op_request, t.inj_mac, ip("198.18.0.9"), me)));
    EXPECT_EQ(t.s.arp_get(ip("198.18.0.9")).size(), 1u);
}

// ICMP "fragmentation needed" from `from` to `to`, quoting the header of a
// `inner_len`-byte packet inner_src -> inner_dst.
std::vector<uint8_t> needfrag(ip4_addr from, ip4_addr to, uint16_t mtu, ip4_addr inner_src, ip4_addr inner_dst,
                              uint16_t inner_len) {
    std::vector<uint8_t> v(20 + 8 + 20 + 8);
    ip4_hdr in{};
    in.ver_ihl = 0x45;
    in.total_len.set(inner_len);
    in.ttl = 63;
    in.proto = ipproto_udp;
    in.src.set(inner_src.v);
    in.dst.set(inner_dst.v);
    in.cksum = in_cksum(&in, 20);
    std::memcpy(v.data() + 28, &in, 20);
    icmp_hdr ic{};
    ic.type = icmp_unreach;
    ic.code = icmp_unreach_needfrag;
    ic.seq.set(mtu);
    std::memcpy(v.data() + 20, &ic, 8);
    uint16_t ck = in_cksum(v.data() + 20, v.size() - 20);
    std::memcpy(v.data() + 22, &ck, 2);
    ip4_hdr h{};
    h.ver_ihl = 0x45;
    h.total_len.set(static_cast<uint16_t>(v.size()));
    h.ttl = 64;
    h.proto = ipproto_icmp;
    h.src.set(from.v);
    h.dst.set(to.v);
    h.cksum = in_cksum(&h, 20);
    std::memcpy(v.data(), &h, 20);
    return v;
}

// A router R between host A (bus) and host B (bus2), and an attacker on A's
// segment who sends R spoofed path-MTU messages.
struct pmtu_topology : target {
    drivers::bus& bus2;
    stack& a;
    stack& b;
    pmtu_topology()
        : bus2(w.add_bus("bus2")),
          a(w.add_host("a", bus, "shmif0", "198.18.0.2")),
          b(w.add_host("b", bus2, "shmif0", "198.18.1.2")) {
        w.attach(s, bus2, "shmif1");
        EXPECT_TRUE(s.addr_add("shmif1", ip("198.18.1.1"), 24));
        EXPECT_TRUE(s.if_up("shmif1"));
        EXPECT_TRUE(s.sysctl_set("net.inet.ip.forwarding", 1));
        world::route(a, "198.18.1.0/24", "198.18.0.1");
        world::route(b, "198.18.0.0/24", "198.18.1.1");
        w.run_for_ms(10);
    }
    void spoof(uint16_t mtu, ip4_addr inner_src, ip4_addr inner_dst, uint16_t inner_len = 1000) {
        send(eth(s_mac, inj_mac, ethertype_ip4,
                 needfrag(ip("198.18.0.66"), ip("198.18.0.1"), mtu, inner_src, inner_dst, inner_len)));
    }
    bool ping_big(bool df) {
        ping_opts o;
        o.payload_len = 1000;
        o.df = df;
        o.timeout_ms = 500;
        auto id = a.ping_start(ip("198.18.1.2"), o);
        w.run_until([&] { return a.ping_get(*id)->done; }, 2000);
        return a.ping_get(*id)->received == 1;
    }
    std::optional<route_info> host_route(const char* dst) {
        for (const auto& r : s.route_list())
            if (r.r.dst == *prefix4::parse(dst)) return r;
        return std::nullopt;
    }
};

TEST(t_badinput, spoofed_path_mtu_messages_leave_forwarding_alone) {
    pmtu_topology t;
    ASSERT_TRUE(t.ping_big(true));
    // An MTU of 68 is below limits::pmtu_min: ignored, no route.
    t.spoof(68, ip("198.18.1.1"), ip("198.18.1.2"));
    EXPECT_EQ(t.s.drops(drop_reason::icmp_pmtu_too_small), 1u);
    EXPECT_FALSE(t.host_route("198.18.1.2/32").has_value());
    // Quoting a packet R never sent (A's), or one no larger than the MTU: ignored.
    t.spoof(600, ip("198.18.0.2"), ip("198.18.1.2"));
    t.spoof(600, ip("198.18.1.1"), ip("198.18.1.2"), 600);
    EXPECT_EQ(t.s.drops(drop_reason::icmp_pmtu_not_ours), 2u);
    EXPECT_FALSE(t.host_route("198.18.1.2/32").has_value());
    // A plausible one is learned for R's own traffic (a UGHD route, mtu 600)...
    t.spoof(600, ip("198.18.1.1"), ip("198.18.1.2"));
    auto r = t.host_route("198.18.1.2/32");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->r.mtu, 600u);
    EXPECT_EQ(rtf_letters(r->r.flags), "UGHD");
    // ...but other hosts' 1000-byte packets pass whole, DF or not.
    const uint64_t frag_needed = t.s.drops(drop_reason::ip4_frag_needed);
    EXPECT_TRUE(t.ping_big(true));
    EXPECT_TRUE(t.ping_big(false));
    EXPECT_EQ(t.s.drops(drop_reason::ip4_frag_needed), frag_needed);
    EXPECT_EQ(t.b.drops(drop_reason::ip4_fragment), 0u);
    // net.inet.ip.mtudisc_forward=1 applies it to forwarded traffic too.
    ASSERT_TRUE(t.s.sysctl_set("net.inet.ip.mtudisc_forward", 1));
    EXPECT_FALSE(t.ping_big(true));
    EXPECT_GT(t.s.drops(drop_reason::ip4_frag_needed), frag_needed);
}

TEST(t_badinput, path_mtu_routes_are_bounded) {
    pmtu_topology t;
    world::route(t.s, "198.19.0.0/16", "198.18.1.2");
    const size_t base = t.s.route_list().size();
    // 50,000 needfrags (5,000 under ASan), each for another destination behind B.
    for (uint32_t i = 0; i < scaled(50000, 10); ++i) {
        const ip4_addr dst(ip("198.19.0.0").v + (i % 65536));
        t.send(eth(t.s_mac, t.inj_mac, ethertype_ip4,
                   needfrag(ip("198.18.0.66"), ip("198.18.0.1"), 1200, ip("198.18.1.1"), dst, 1400)),
               false);
        if (i % 32 == 31) t.w.tick();
    }
    t.w.run_for_ms(20);
    size_t learned = 0;
    for (const auto& r : t.s.route_list())
        if ((r.r.flags & rtf::dynamic) && r.r.mtu == 1200) ++learned;
    EXPECT_EQ(learned, limits::pmtu_routes_max);
    EXPECT_EQ(t.s.route_list().size(), base + limits::pmtu_routes_max);
    // They expire (mtudisctimeout, 600 s) and the table returns to its size.
    t.w.run_virtual_ms(601 * 1000);
    EXPECT_EQ(t.s.route_list().size(), base);
    EXPECT_TRUE(t.ping_big(true));
}

// A flood of one hand-over kind (ARP) takes at most its share of the ring;
// what comes after it of another kind still reaches the control plane.
TEST(t_badinput, one_hand_over_kind_takes_at_most_its_share) {
    target t;
    const ip4_addr me = ip("198.18.0.1");
    const auto req = eth(ether_addr::broadcast(), t.inj_mac, ethertype_arp,
                         arp_payload(arp_op_request, t.inj_mac, ip("198.18.0.9"), me));
    // Only the worker runs: ARP requests pile up in the hand-over ring.
    for (int i = 0; i < 3000; ++i) {
        t.send(req, false);
        if (i % 16 == 15) t.s.poll_worker(0);
    }
    while (t.s.poll_worker(0)) {
    }
    auto used = [&](const std::string& name) -> int64_t {
        for (const auto& l : t.s.limits_list())
            if (l.name == name) return int64_t(l.used);
        return -1;
    };
    EXPECT_EQ(used("hand-over inet4/arp"), int64_t(limits::punt_per_kind_max));
    EXPECT_EQ(t.s.drops(drop_reason::punt_kind_share), 3000u - limits::punt_per_kind_max);
    // Another kind is not crowded out: an IPv4 packet for an unresolved
    // neighbor is handed over (inet4/resolve) all the same.
    t.send(eth(t.s_mac, t.inj_mac, ethertype_ip4, icmp_echo(ip("198.18.0.77"), me)), false);
    t.s.poll_worker(0);
    EXPECT_EQ(used("hand-over inet4/resolve"), 1);
    // The control plane drains it all; the shares are free again.
    t.w.run_for_ms(10);
    EXPECT_EQ(used("hand-over inet4/arp"), 0);
    EXPECT_EQ(used("hand-over inet4/resolve"), 0);
    EXPECT_EQ(used("hand-over ring"), 0);
}

}  // namespace
}  // namespace mpnet::testing
