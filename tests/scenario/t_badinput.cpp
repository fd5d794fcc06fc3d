// SPDX-License-Identifier: BSD-2-Clause
// Hostile and malformed frames: each ends as exactly one named, counted drop;
// a seeded mutation fuzz of valid frames never crashes the stack or leaks a
// buffer.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

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

    void send(const std::vector<uint8_t>& frame) {
        mbuf* m = pkt_alloc(s.pool(), static_cast<uint16_t>(frame.size()));
        ASSERT_NE(m, nullptr);
        std::memcpy(pkt_data(m), frame.data(), frame.size());
        ASSERT_EQ(inj->tx_burst(0, &m, 1), 1);
        w.tick();
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

}  // namespace
}  // namespace mpnet::testing
