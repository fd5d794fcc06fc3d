// SPDX-License-Identifier: BSD-2-Clause
// Hostile IPv6 and neighbor-discovery input: each malformed frame is exactly
// one named, counted drop; RA floods and neighbor-cache exhaustion stay
// within their limits; a seeded mutation fuzz never crashes or leaks.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <random>

#include "../support/world.hpp"
#include "mpnet/core/wire.hpp"
#include "mpnet/l3/ip6.hpp"

namespace mpnet::testing {
namespace {

using bytes = std::vector<uint8_t>;

struct target6 {
    world w;
    drivers::bus& bus;
    stack& s;
    std::unique_ptr<drivers::bus_port> inj;
    ether_addr s_mac;
    ether_addr inj_mac;

    explicit target6(stack_config c = {}) : bus(w.add_bus("bus")), s(mk(c)) {
        inj = std::move(*bus.attach());
        s_mac = s.if_get("shmif0")->lladdr;
        inj_mac = inj->mac();
        w.run_for_ms(5);
    }
    stack& mk(stack_config c) {
        c.dad6_count = 0;
        auto& x = w.add_stack("victim", c);
        w.attach(x, bus, "shmif0");
        EXPECT_TRUE(x.addr6_add("shmif0", ip6("2001:db8::1"), 64));
        EXPECT_TRUE(x.if_up("shmif0"));
        return x;
    }
    ~target6() { inj.reset(); }
    void send(const bytes& frame, bool tick = true) {
        mbuf* m = pkt_alloc(s.pool(), static_cast<uint16_t>(frame.size()));
        ASSERT_NE(m, nullptr);
        std::memcpy(pkt_data(m), frame.data(), frame.size());
        ASSERT_EQ(inj->tx_burst(0, &m, 1), 1);
        if (tick) w.tick();
    }
};

bytes eth6(const ether_addr& dst, const ether_addr& src, const bytes& payload) {
    bytes f(14 + payload.size());
    ether_hdr h{dst, src, be16::of(ethertype_ip6)};
    std::memcpy(f.data(), &h, 14);
    if (!payload.empty()) std::memcpy(f.data() + 14, payload.data(), payload.size());
    return f;
}

// An IPv6 packet carrying `l4` (ICMPv6 checksum filled in when next is 58).
bytes ip6pkt(const ip6_addr& src, const ip6_addr& dst, uint8_t hlim, bytes l4, uint8_t next = ipproto_icmpv6) {
    if (next == ipproto_icmpv6 && l4.size() >= 4) {
        l4[2] = l4[3] = 0;
        const uint16_t ck =
            static_cast<uint16_t>(~ip6_pseudo_sum(src, dst, ipproto_icmpv6, l4.data(), uint32_t(l4.size())));
        std::memcpy(l4.data() + 2, &ck, 2);
    }
    ip6_hdr h{};
    h.vtc_flow.set(6u << 28);
    h.payload_len.set(static_cast<uint16_t>(l4.size()));
    h.next = next;
    h.hlim = hlim;
    h.src = src;
    h.dst = dst;
    bytes v(sizeof h + l4.size());
    std::memcpy(v.data(), &h, sizeof h);
    if (!l4.empty()) std::memcpy(v.data() + sizeof h, l4.data(), l4.size());
    return v;
}

bytes icmp6(uint8_t type, uint8_t code, uint32_t data, const bytes& body = {}) {
    bytes v(8 + body.size());
    v[0] = type;
    v[1] = code;
    v[4] = uint8_t(data >> 24);
    v[5] = uint8_t(data >> 16);
    v[6] = uint8_t(data >> 8);
    v[7] = uint8_t(data);
    if (!body.empty()) std::memcpy(v.data() + 8, body.data(), body.size());
    return v;
}

bytes ns_body(const ip6_addr& target, const bytes& opts = {}) {
    bytes b(16 + opts.size());
    std::memcpy(b.data(), target.b.data(), 16);
    if (!opts.empty()) std::memcpy(b.data() + 16, opts.data(), opts.size());
    return b;
}

bytes lla_opt(uint8_t type, const ether_addr& m) { return {type, 1, m.b[0], m.b[1], m.b[2], m.b[3], m.b[4], m.b[5]}; }

// A whole RA message: hop limit 64, router lifetime, zero reachable and
// retransmission times, then the options.
bytes ra_msg(uint16_t lifetime, const bytes& opts) {
    bytes b(8 + opts.size());
    if (!opts.empty()) std::memcpy(b.data() + 8, opts.data(), opts.size());
    return icmp6(nd_router_advert, 0, (64u << 24) | lifetime, b);
}

bytes pi_opt(const ip6_addr& p, uint8_t plen, uint32_t vl, uint32_t pl) {
    bytes o(32);
    o[0] = nd_opt_prefix_info;
    o[1] = 4;
    o[2] = plen;
    o[3] = nd_opt_pi_onlink | nd_opt_pi_auto;
    for (int i = 0; i < 4; ++i) {
        o[4 + i] = uint8_t(vl >> (24 - 8 * i));
        o[8 + i] = uint8_t(pl >> (24 - 8 * i));
    }
    std::memcpy(o.data() + 16, p.b.data(), 16);
    return o;
}

struct bad6 {
    const char* what;
    drop_reason expect;
    std::function<bytes(const target6&)> frame;
};

TEST(t_badinput6, each_malformed_packet_is_one_named_drop) {
    const ip6_addr me = ip6("2001:db8::1"), peer = ip6("2001:db8::77"), peer_ll = ip6("fe80::77");
    const ip6_addr snm = me.solicited_node();
    auto to_me = [&](const target6& t, const bytes& ip) { return eth6(t.s_mac, t.inj_mac, ip); };
    auto to_group = [&](const target6& t, const ip6_addr& g, const bytes& ip) {
        return eth6(g.multicast_mac(), t.inj_mac, ip);
    };
    std::vector<bad6> cases = {
        {"IPv6 runt", drop_reason::ip6_too_short, [&](const target6& t) { return to_me(t, bytes(20, 0x60)); }},
        {"version 4 in an IPv6 frame", drop_reason::ip6_bad_version,
         [&](const target6& t) {
             auto p = ip6pkt(peer, me, 64, icmp6(icmp6_echo_request, 0, 1));
             p[0] = 0x40;
             return to_me(t, p);
         }},
        {"payload length past the frame", drop_reason::ip6_bad_len,
         [&](const target6& t) {
             auto p = ip6pkt(peer, me, 64, icmp6(icmp6_echo_request, 0, 1));
             p[5] = 200;
             return to_me(t, p);
         }},
        {"multicast source", drop_reason::ip6_bad_src,
         [&](const target6& t) { return to_me(t, ip6pkt(ip6("ff02::1"), me, 64, icmp6(icmp6_echo_request, 0, 1))); }},
        {"destination ::", drop_reason::ip6_martian_dst,
         [&](const target6& t) { return to_me(t, ip6pkt(peer, ip6("::"), 64, icmp6(icmp6_echo_request, 0, 1))); }},
        {"destination ::1 from the wire", drop_reason::ip6_martian_dst,
         [&](const target6& t) { return to_me(t, ip6pkt(peer, ip6("::1"), 64, icmp6(icmp6_echo_request, 0, 1))); }},
        {"group not joined", drop_reason::ip6_not_member,
         [&](const target6& t) {
             const ip6_addr g = ip6("ff02::1:ff99:9999");
             return to_group(t, g,
                             ip6pkt(peer, g, 255, icmp6(nd_neighbor_solicit, 0, 0, ns_body(ip6("2001:db8::99:9999")))));
         }},
        {"not ours, forwarding off", drop_reason::ip6_not_local,
         [&](const target6& t) {
             return to_me(t, ip6pkt(peer, ip6("2001:db8:5::5"), 64, icmp6(icmp6_echo_request, 0, 1)));
         }},
        {"ICMPv6 bad checksum", drop_reason::icmp6_bad_cksum,
         [&](const target6& t) {
             auto p = ip6pkt(peer, me, 64, icmp6(icmp6_echo_request, 0, 1));
             p[40 + 2] ^= 0x55;
             return to_me(t, p);
         }},
        {"ICMPv6 truncated", drop_reason::icmp6_too_short,
         [&](const target6& t) {
             return to_me(t, ip6pkt(peer, me, 64, bytes{128, 0, 0, 0}, ipproto_icmpv6));
         }},
        {"ICMPv6 type 200", drop_reason::icmp6_unhandled_type,
         [&](const target6& t) { return to_me(t, ip6pkt(peer, me, 64, icmp6(200, 0, 0))); }},
        {"MLD report", drop_reason::mld_ignored,
         [&](const target6& t) { return to_me(t, ip6pkt(peer_ll, me, 1, icmp6(icmp6_mld_report, 0, 0, bytes(16)))); }},
        {"UDP (no handler)", drop_reason::ip6_no_proto,
         [&](const target6& t) { return to_me(t, ip6pkt(peer, me, 64, bytes(16), ipproto_udp)); }},
        {"fragment", drop_reason::ip6_fragment,
         [&](const target6& t) {
             bytes fh = {ipproto_icmpv6, 0, 0, 1, 0, 0, 0, 7};  // offset 0, M set
             auto body = icmp6(icmp6_echo_request, 0, 1);
             fh.insert(fh.end(), body.begin(), body.end());
             return to_me(t, ip6pkt(peer, me, 64, fh, ipproto_fragment));
         }},
        {"extension header chain past the packet", drop_reason::ip6_no_proto,
         [&](const target6& t) {
             return to_me(t, ip6pkt(peer, me, 64, bytes{ipproto_icmpv6, 9, 0, 0, 0, 0, 0, 0}, ipproto_dstopts));
         }},
        {"NS hop limit 64", drop_reason::nd_bad_hlim,
         [&](const target6& t) {
             return to_group(
                 t, snm, ip6pkt(peer, snm, 64, icmp6(nd_neighbor_solicit, 0, 0, ns_body(me, lla_opt(1, t.inj_mac)))));
         }},
        {"NA hop limit 254", drop_reason::nd_bad_hlim,
         [&](const target6& t) {
             return to_me(t, ip6pkt(peer, me, 254, icmp6(nd_neighbor_advert, 0, nd_na_solicited, ns_body(peer))));
         }},
        {"RA hop limit 1", drop_reason::nd_bad_hlim,
         [&](const target6& t) {
             return to_group(t, ip6_addr::all_nodes(), ip6pkt(peer_ll, ip6_addr::all_nodes(), 1, ra_msg(1800, {})));
         }},
        {"NS code 1", drop_reason::nd_bad_code,
         [&](const target6& t) {
             return to_group(t, snm, ip6pkt(peer, snm, 255, icmp6(nd_neighbor_solicit, 1, 0, ns_body(me))));
         }},
        {"ND option of length 0", drop_reason::nd_bad_option,
         [&](const target6& t) {
             return to_group(
                 t, snm,
                 ip6pkt(peer, snm, 255, icmp6(nd_neighbor_solicit, 0, 0, ns_body(me, bytes{1, 0, 0, 0, 0, 0, 0, 0}))));
         }},
        {"ND option running past the message", drop_reason::nd_bad_option,
         [&](const target6& t) {
             return to_group(
                 t, snm,
                 ip6pkt(peer, snm, 255, icmp6(nd_neighbor_solicit, 0, 0, ns_body(me, bytes{1, 3, 0, 0, 0, 0, 0, 0}))));
         }},
        {"ND option header cut short", drop_reason::nd_bad_option,
         [&](const target6& t) {
             return to_group(t, snm, ip6pkt(peer, snm, 255, icmp6(nd_neighbor_solicit, 0, 0, ns_body(me, bytes{1}))));
         }},
        {"truncated prefix option", drop_reason::nd_bad_option,
         [&](const target6& t) {
             return to_group(
                 t, ip6_addr::all_nodes(),
                 ip6pkt(peer_ll, ip6_addr::all_nodes(), 255, ra_msg(1800, bytes{3, 1, 64, 0xc0, 0, 0, 0, 0})));
         }},
        {"NS for a multicast target", drop_reason::nd_bad_msg,
         [&](const target6& t) {
             return to_me(t, ip6pkt(peer, me, 255, icmp6(nd_neighbor_solicit, 0, 0, ns_body(ip6("ff02::1")))));
         }},
        {"DAD NS with a source link-layer option", drop_reason::nd_bad_msg,
         [&](const target6& t) {
             return to_group(
                 t, snm,
                 ip6pkt(ip6("::"), snm, 255, icmp6(nd_neighbor_solicit, 0, 0, ns_body(me, lla_opt(1, t.inj_mac)))));
         }},
        {"NS for someone else", drop_reason::nd_not_for_us,
         [&](const target6& t) {
             return to_me(t, ip6pkt(peer, me, 255, icmp6(nd_neighbor_solicit, 0, 0, ns_body(ip6("2001:db8::99")))));
         }},
        {"NS truncated before the target", drop_reason::icmp6_too_short,
         [&](const target6& t) { return to_me(t, ip6pkt(peer, me, 255, icmp6(nd_neighbor_solicit, 0, 0, bytes(8)))); }},
        {"NA claiming our address", drop_reason::nd_dup_addr,
         [&](const target6& t) {
             return to_group(t, ip6_addr::all_nodes(),
                             ip6pkt(peer, ip6_addr::all_nodes(), 255,
                                    icmp6(nd_neighbor_advert, 0, nd_na_override, ns_body(me, lla_opt(2, t.inj_mac)))));
         }},
        {"NA solicited to a group", drop_reason::nd_bad_msg,
         [&](const target6& t) {
             return to_group(t, ip6_addr::all_nodes(),
                             ip6pkt(peer, ip6_addr::all_nodes(), 255,
                                    icmp6(nd_neighbor_advert, 0, nd_na_solicited, ns_body(peer))));
         }},
        {"RA from a global source", drop_reason::nd_bad_msg,
         [&](const target6& t) {
             return to_group(t, ip6_addr::all_nodes(), ip6pkt(peer, ip6_addr::all_nodes(), 255, ra_msg(1800, {})));
         }},
        {"RA with accept_rtadv off", drop_reason::nd_ra_ignored,
         [&](const target6& t) {
             return to_group(t, ip6_addr::all_nodes(), ip6pkt(peer_ll, ip6_addr::all_nodes(), 255, ra_msg(1800, {})));
         }},
        {"redirect to a host that did not ask", drop_reason::icmp_redirect_ignored,
         [&](const target6& t) {
             bytes b(32);
             std::memcpy(b.data(), peer_ll.b.data(), 16);
             std::memcpy(b.data() + 16, ip6("2001:db8:7::7").b.data(), 16);
             return to_me(t, ip6pkt(peer_ll, me, 255, icmp6(nd_redirect, 0, 0, b)));
         }},
    };
    target6 t;
    for (const auto& c : cases) {
        SCOPED_TRACE(c.what);
        std::vector<uint64_t> before(drop_reason_count);
        for (size_t i = 0; i < drop_reason_count; ++i) before[i] = t.s.drops(static_cast<drop_reason>(i));
        t.send(c.frame(t));
        for (size_t i = 0; i < drop_reason_count; ++i) {
            const auto r = static_cast<drop_reason>(i);
            EXPECT_EQ(t.s.drops(r), before[i] + (r == c.expect ? 1 : 0)) << drop_reason_name(r);
        }
    }
    t.inj.reset();
    t.w.run_for_ms(10);
    t.s.ndp_flush();
    EXPECT_EQ(pktpool_avail(t.s.pool()), t.s.config().mbufs);
}

TEST(t_badinput6, unknown_next_header_gets_parameter_problem) {
    target6 t;
    const ip6_addr me = ip6("2001:db8::1"), peer = ip6("2001:db8::77");
    ASSERT_TRUE(t.s.ndp_add(peer, t.inj_mac));  // so the error leaves without resolution
    t.bus.take_summaries();
    t.send(eth6(t.s_mac, t.inj_mac, ip6pkt(peer, me, 64, bytes(16), 253)));  // experimental protocol 253
    t.send(eth6(t.s_mac, t.inj_mac, ip6pkt(peer, me, 64, bytes(16), ipproto_udp)));
    // Behind a destination options header: the pointer names that header's byte.
    t.send(eth6(t.s_mac, t.inj_mac, ip6pkt(peer, me, 64, bytes{253, 0, 1, 4, 0, 0, 0, 0}, ipproto_dstopts)));
    t.w.run_for_ms(2);
    auto b = t.bus.take_summaries();
    EXPECT_EQ(count_matching(b, "2001:db8::1 > 2001:db8::77: ICMP6, parameter problem, code 1, pointer 6,"), 1u);
    EXPECT_EQ(count_matching(b, "2001:db8::1 > 2001:db8::77: ICMP6, destination unreachable, code 4"), 1u);
    EXPECT_EQ(count_matching(b, "ICMP6, parameter problem, code 1, pointer 40,"), 1u);
    EXPECT_EQ(t.s.drops(drop_reason::ip6_no_proto), 3u);
}

TEST(t_badinput6, ra_flood_is_bounded) {
    stack_config c;
    c.accept_rtadv = true;
    target6 t(c);
    // 40 routers, each advertising 20 prefixes.
    for (int r = 0; r < 40; ++r) {
        bytes opts;
        for (int p = 0; p < 20; ++p) {
            ip6_addr pf = ip6("2001:db8:100::");
            pf.b[4] = uint8_t(r);
            pf.b[5] = uint8_t(p);
            auto o = pi_opt(pf, 64, 3600, 1800);
            opts.insert(opts.end(), o.begin(), o.end());
        }
        ip6_addr src = ip6("fe80::1:0");
        src.b[15] = uint8_t(r + 1);
        t.send(eth6(ip6_addr::all_nodes().multicast_mac(), t.inj_mac,
                    ip6pkt(src, ip6_addr::all_nodes(), 255, ra_msg(1800, opts))),
               false);
        if (r % 8 == 7) t.w.tick();
    }
    t.w.run_for_ms(20);
    EXPECT_EQ(t.s.ndp_prefixes().size(), 16u);  // maxifprefixes
    EXPECT_EQ(t.s.ndp_routers().size(), size_t(limits::defrouters_max));
    EXPECT_GE(t.s.drops(drop_reason::nd_prefix_limit), 40u * 20 - 16);
    EXPECT_GE(t.s.drops(drop_reason::nd_router_limit), 40u - limits::defrouters_max);
    EXPECT_LE(addrs6(t.s, "shmif0").size(), 16u + 2);  // SLAAC addresses + ours + link-local
    // Still answering.
    auto& peer = t.w.add_host6("peer", t.bus, "shmif0", "2001:db8::2");
    EXPECT_TRUE(t.w.ping6(peer, ip6("2001:db8::1")));
}

// 3,000 routers advertise one prefix: the prefix lists only routers on the
// default-router list (KAME's pfxrtr), so it holds at most defrouters_max.
TEST(t_badinput6, routers_per_prefix_are_bounded_by_the_router_list) {
    stack_config c;
    c.accept_rtadv = true;
    target6 t(c);
    const auto opts = pi_opt(ip6("2001:db8:100::"), 64, 3600, 1800);
    for (uint32_t r = 0; r < 3000; ++r) {
        ip6_addr src = ip6("fe80::1:0");
        src.b[14] = uint8_t(r >> 8);
        src.b[15] = uint8_t(r + 1);
        // Every fourth one says it is not a default router (lifetime 0).
        const uint16_t life = r % 4 == 3 ? 0 : 1800;
        t.send(eth6(ip6_addr::all_nodes().multicast_mac(), t.inj_mac,
                    ip6pkt(src, ip6_addr::all_nodes(), 255, ra_msg(life, opts))),
               false);
        if (r % 16 == 15) t.w.tick();
    }
    t.w.run_for_ms(20);
    const auto routers = t.s.ndp_routers();
    const auto prefixes = t.s.ndp_prefixes();
    ASSERT_EQ(prefixes.size(), 1u);
    EXPECT_EQ(routers.size(), size_t(limits::defrouters_max));
    EXPECT_EQ(prefixes[0].routers.size(), routers.size());
    for (const auto& a : prefixes[0].routers) {
        bool listed = false;
        for (const auto& r : routers) listed = listed || r.addr == a;
        EXPECT_TRUE(listed) << a.str();
    }
}

// 500 router solicitations over 10 s: RFC 4861 6.2.6 answers after a random
// delay and never sends multicast RAs closer than MIN_DELAY_BETWEEN_RAS (3 s).
TEST(t_badinput6, solicitations_are_answered_at_the_rfc_rate) {
    target6 t;
    rtadv_config rc;  // rtadvd's defaults: periodic RAs 198..600 s apart
    rc.enabled = true;
    ASSERT_TRUE(t.s.rtadv_set("shmif0", rc));
    t.w.run_for_ms(1500);  // the RA at start and the first periodic one
    auto count_ras = [&] {
        unsigned n = 0;
        mbuf* got[32];
        while (uint16_t k = t.inj->rx_burst(0, got, 32)) {
            for (uint16_t i = 0; i < k; ++i) {
                const uint8_t* d = pkt_data(got[i]);
                if (pkt_len(got[i]) >= 14 + 40 + 8 && d[12] == 0x86 && d[13] == 0xdd && d[14 + 6] == ipproto_icmpv6 &&
                    d[14 + 40] == nd_router_advert)
                    ++n;
                pkt_free(got[i]);
            }
        }
        return n;
    };
    count_ras();  // what went before the flood
    const ip6_addr src = ip6("fe80::99");
    const bytes rs = eth6(ip6_addr::all_routers().multicast_mac(), t.inj_mac,
                          ip6pkt(src, ip6_addr::all_routers(), 255,
                                 icmp6(nd_router_solicit, 0, 0, lla_opt(nd_opt_source_lla, t.inj_mac))));
    unsigned ras = 0;
    for (int i = 0; i < 500; ++i) {
        t.send(rs, false);
        t.w.run_for_ms(20);
        ras += count_ras();
    }
    t.w.run_for_ms(1000);
    ras += count_ras();
    // 11 s of solicitations: at most one multicast RA per 3 s, and at least
    // one answer (the solicitations were not ignored).
    EXPECT_GE(ras, 1u);
    EXPECT_LE(ras, 11u / 3 + 1);
}

TEST(t_badinput6, neighbor_cache_exhaustion_is_bounded) {
    stack_config c;
    c.neigh_max = 64;
    c.neighborgcthresh = 48;
    target6 t(c);
    const ip6_addr me = ip6("2001:db8::1");
    for (uint32_t i = 0; i < 1000; ++i) {
        ip6_addr src = ip6("2001:db8::1:0");
        src.b[14] = uint8_t(i >> 8);
        src.b[15] = uint8_t(i);
        t.send(eth6(t.s_mac, t.inj_mac,
                    ip6pkt(src, me, 255, icmp6(nd_neighbor_solicit, 0, 0, ns_body(me, lla_opt(1, t.inj_mac))))),
               false);
        if (i % 16 == 15) t.w.tick();
    }
    t.w.run_for_ms(10);
    EXPECT_LE(t.s.ndp_list().size(), 48u);
    auto& peer = t.w.add_host6("peer", t.bus, "shmif0", "2001:db8::2");
    EXPECT_TRUE(t.w.ping6(peer, me));
}

TEST(t_badinput6, mutation_fuzz_never_crashes_or_leaks) {
    stack_config c;
    c.accept_rtadv = true;
    c.ip6_forwarding = false;
    target6 t(c);
    std::mt19937 rng(20261124);
    const ip6_addr me = ip6("2001:db8::1"), snm = me.solicited_node();
    std::vector<bytes> seeds = {
        eth6(t.s_mac, t.inj_mac, ip6pkt(ip6("2001:db8::50"), me, 64, icmp6(icmp6_echo_request, 0, 7, bytes(16)))),
        eth6(snm.multicast_mac(), t.inj_mac,
             ip6pkt(ip6("2001:db8::51"), snm, 255,
                    icmp6(nd_neighbor_solicit, 0, 0, ns_body(me, lla_opt(1, t.inj_mac))))),
        eth6(ip6_addr::all_nodes().multicast_mac(), t.inj_mac,
             ip6pkt(ip6("fe80::9"), ip6_addr::all_nodes(), 255,
                    ra_msg(1800, pi_opt(ip6("2001:db8:9::"), 64, 600, 300)))),
    };
    uint64_t sent = 0;
    for (int i = 0; i < 20000; ++i) {
        auto f = seeds[rng() % seeds.size()];
        const int flips = 1 + int(rng() % 6);
        for (int k = 0; k < flips; ++k) f[14 + rng() % (f.size() - 14)] = static_cast<uint8_t>(rng());
        if (rng() % 4 == 0) f.resize(14 + rng() % (f.size() - 14));
        if (rng() % 8 == 0) f.resize(f.size() + rng() % 64, static_cast<uint8_t>(rng()));
        t.send(f, false);
        ++sent;
        if (i % 32 == 31) t.w.tick();
    }
    t.w.run_for_ms(10);
    uint64_t dropped = 0;
    for (size_t i = 0; i < drop_reason_count; ++i) dropped += t.s.drops(static_cast<drop_reason>(i));
    EXPECT_GT(dropped, sent / 2);
    auto& peer = t.w.add_host6("peer", t.bus, "shmif0", "2001:db8::2");
    EXPECT_TRUE(t.w.ping6(peer, me));
    t.inj.reset();
    t.w.run_for_ms(4000);
    t.s.ndp_flush();
    t.s.arp_flush();
    EXPECT_EQ(pktpool_avail(t.s.pool()), t.s.config().mbufs);
}

}  // namespace
}  // namespace mpnet::testing
