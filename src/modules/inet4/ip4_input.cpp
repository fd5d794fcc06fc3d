// SPDX-License-Identifier: BSD-2-Clause
// IPv4 on the data path: input with one bulk FIB lookup per burst, local
// delivery (ICMP echo), forwarding (TTL, reject/blackhole, redirects, MTU and
// fragmentation), rate-limited ICMP errors, IPv4 output with neighbor lookup,
// and ARP frames handed to the control plane. The control plane reuses the
// output half with its own context.
#include <cstring>

#include "../../stack/stack_impl.hpp"
#include "../neigh/neigh.hpp"
#include "inet4.hpp"
#include "mpnet/core/checksum.hpp"
#include "mpnet/l2/arp.hpp"
#include "mpnet/l2/ether.hpp"
#include "mpnet/l3/icmp.hpp"
#include "mpnet/l3/ip4.hpp"

namespace mpnet {

void inet4::arp_frames(lcore_ctx& c, ifnet& ifp, mbuf** pkts, uint16_t n) noexcept {
    const uint32_t flags = ifp.flags();
    for (uint16_t i = 0; i < n; ++i) {
        mbuf* m = pkts[i];
        drop_reason why{};
        if (flags & iff::noarp) {
            stk.drop(c, m, drop_reason::arp_disabled);
        } else if (!(ifp.caps() & ifcap::lladdr)) {
            stk.drop(c, m, drop_reason::ether_unknown_type);
        } else if (!arp_validate(m, &why)) {
            stk.drop(c, m, why);
        } else {
            stk.punt_to_control(c, m, punt_arp, ifp.index(), 0);
        }
    }
}

namespace {

// The destination is a broadcast for the receiving interface: limited
// broadcast, or the subnet broadcast of one of its addresses.
bool is_bcast_for(const ifnet& ifp, ip4_addr dst) noexcept {
    if (dst.is_broadcast()) return true;
    for (const auto& a : ifp.addrs().v4)
        if (a.plen < 31 && dst == a.bcast) return true;
    return false;
}

}  // namespace

void inet4::ip4_input(lcore_ctx& c, ifnet& ifp, mbuf** pkts, uint16_t n) noexcept {
    mbuf* ok[pkt_batch::capacity];
    uint32_t dst[pkt_batch::capacity];
    uint32_t nh[pkt_batch::capacity];
    uint16_t k = 0;
    const bool from_lo = (ifp.flags() & iff::loopback) != 0;
    for (uint16_t i = 0; i < n; ++i) {
        drop_reason why{};
        ip4_hdr* h = ip4_validate(pkts[i], &why, from_lo);
        if (!h) {
            stk.drop(c, pkts[i], why);
            continue;
        }
        const ip4_addr d(h->dst.get());
        // RFC 1122 3.2.1.3: 0.0.0.0 is never a destination, and 127/8 never
        // arrives from a wire.
        if (d.is_any() || (d.is_loopback() && !from_lo)) {
            stk.drop(c, pkts[i], drop_reason::ip4_martian_dst);
            continue;
        }
        ok[k] = pkts[i];
        dst[k++] = d.v;
    }
    if (k == 0) return;
    fib->lookup_bulk(dst, nh, k);
    stk.prefetch_egress(c, nh, k, fib4::miss);
    l4_batch local;  // for burst handlers (tunnels): delivered after the loop
    for (uint16_t i = 0; i < k; ++i) {
        mbuf* m = ok[i];
        const ip4_addr d(dst[i]);
        const nexthop* x = nh[i] == fib4::miss ? nullptr : stk.nhs.get(nh[i]);
        if (x && (x->flags & nhf::local)) {
            ip4_local(c, ifp, m, false, local);
        } else if (d.is_multicast() || is_bcast_for(ifp, d)) {
            ip4_local(c, ifp, m, true, local);
        } else if (!fwd()) {
            stk.drop(c, m, drop_reason::ip4_not_local);
        } else {
            ip4_forward(c, ifp, m, x);
        }
    }
    local.flush(c, ifp);
}

void inet4::ip4_local(lcore_ctx& c, ifnet& ifp, mbuf* m, bool bcast, l4_batch& b) noexcept {
    auto* h = pkt_header<ip4_hdr>(m);
    if (ip4_is_fragment(*h)) return stk.drop(c, m, drop_reason::ip4_fragment);
    if (stk.policy_in(c, ifp, m, 4)) return;
    // The IP-protocol table (ICMP is inet4's registrant), UDP by port.
    l4_info li;
    li.family = 4;
    li.proto = h->proto;
    li.group = bcast;
    li.off = h->hlen_bytes();
    if (li.proto == ipproto_udp && !stk.udp4_ports.empty() && stk.udp_deliver(c, ifp, m, li, b)) return;
    const l4_entry& e = stk.ip4_protos[li.proto];
    if (e.fn) return e.fn(c, ifp, m, li, e.arg);
    if (e.burst) return b.add(m, li, &e);
    if (stk.ip_default.fn && stk.ip_default.fn(c, ifp, m, li, stk.ip_default.arg)) return;
    stk.drop(c, m, drop_reason::ip4_no_proto);
}

void inet4::icmp_input(lcore_ctx& c, ifnet& ifp, mbuf* m, bool bcast) noexcept {
    drop_reason why{};
    auto* h = pkt_header<ip4_hdr>(m);
    icmp_hdr* ic = icmp_validate(m, h, &why);
    if (!ic) return stk.drop(c, m, why);
    const ip4_addr dst(h->dst.get());
    switch (ic->type) {
        case icmp_echo_request: {
            ip4_addr src = dst;
            if (bcast) {
                // net.inet.icmp.bmcastecho: off by default, as in NetBSD.
                if (!knobs.bmcast_echo.load(std::memory_order_relaxed) || dst.is_multicast())
                    return stk.drop(c, m, drop_reason::ip4_bcast_echo);
                auto a = select_src(ifp, ip4_addr(h->src.get()));
                if (!a) return stk.drop(c, m, drop_reason::ip4_no_src);
                src = *a;
            }
            icmp_echo_reflect(h, ic, src, static_cast<uint8_t>(knobs.ttl.load(std::memory_order_relaxed)));
            return ip4_route_output(c, m, ip4_addr(h->dst.get()));
        }
        case icmp_echo_reply:
            if (bcast) return stk.drop(c, m, drop_reason::icmp_no_session);
            return stk.punt_to_control(c, m, punt_echo_reply, ifp.index(), 0);
        case icmp_redirect:
            if (bcast) return stk.drop(c, m, drop_reason::icmp_redirect_ignored);
            return stk.punt_to_control(c, m, punt_redirect, ifp.index(), 0);
        case icmp_unreach:
        case icmp_time_exceeded:
            if (bcast) return stk.drop(c, m, drop_reason::icmp_unhandled_type);
            return stk.punt_to_control(c, m, punt_icmp_err, ifp.index(), 0);
        default:
            return stk.drop(c, m, drop_reason::icmp_unhandled_type);
    }
}

void inet4::ip4_forward(lcore_ctx& c, ifnet& in, mbuf* m, const nexthop* nh) noexcept {
    if (stk.policy_in(c, in, m, 4)) return;
    auto* h = pkt_header<ip4_hdr>(m);
    const ip4_addr src(h->src.get()), dst(h->dst.get());
    if (src.is_any()) return stk.drop(c, m, drop_reason::ip4_bad_src);
    if (!nh) {
        icmp_error(c, &in, m, icmp_unreach, icmp_unreach_net, 0);
        return stk.drop(c, m, drop_reason::ip4_no_route);
    }
    if (h->ttl <= 1) {
        icmp_error(c, &in, m, icmp_time_exceeded, 0, 0);
        return stk.drop(c, m, drop_reason::ip4_ttl_exceeded);
    }
    if (nh->flags & nhf::blackhole) return stk.drop(c, m, drop_reason::ip4_blackhole);
    if (nh->flags & nhf::reject) {
        icmp_error(c, &in, m, icmp_unreach, (nh->flags & nhf::host) ? icmp_unreach_host : icmp_unreach_net, 0);
        return stk.drop(c, m, drop_reason::ip4_reject);
    }
    ifnet* out = stk.ifs.lookup(nh->ifindex);
    if (!out) return stk.drop(c, m, drop_reason::if_gone);
    if (!out->is_running()) return stk.drop(c, m, drop_reason::if_down);
    if (out->flags() & iff::loopback) return stk.drop(c, m, drop_reason::ip4_not_local);
    const ip4_addr next = (nh->flags & nhf::gateway) ? nh->gateway : dst;
    // A directed broadcast to a subnet of the egress interface.
    if (!(nh->flags & nhf::gateway) && is_bcast_for(*out, dst)) {
        if (!knobs.directed_broadcast.load(std::memory_order_relaxed))
            return stk.drop(c, m, drop_reason::ip4_bcast_forward);
        ip4_dec_ttl(h);
        return stk.ether_output(c, *out, m, ether_addr::broadcast());
    }
    // RFC 1812 5.2.7.2: leaving by the interface it came in on, toward a
    // neighbor of the sender's own subnet: tell the sender (and forward).
    if (out == &in && knobs.send_redirects.load(std::memory_order_relaxed)) {
        for (const auto& a : in.addrs().v4) {
            if (a.is_usable() && a.prefix().contains(src) && a.prefix().contains(next)) {
                icmp_error(c, &in, m, icmp_redirect, icmp_redirect_host, next.v);
                break;
            }
        }
    }
    ip4_dec_ttl(h);
    // A path MTU learned from ICMP is about our own traffic; it limits
    // forwarded packets only when net.inet.ip.mtudisc_forward asks for it
    // (Linux's default is the same). An operator's route -mtu always applies.
    const bool learned = (nh->flags & nhf::pmtu) && !knobs.mtudisc_forward.load(std::memory_order_relaxed);
    // A gateway nexthop carries its gateway's neighbor entry: no lookup.
    ip4_output_mtu(c, &in, m, *out, next, learned ? 0 : nh->mtu, (nh->flags & nhf::gateway) ? nh->neigh.get() : nullptr);
}

void inet4::ip4_output_mtu(lcore_ctx& c, ifnet* in, mbuf* m, ifnet& ifp, ip4_addr next, uint32_t path_mtu,
                           llentry* cached) noexcept {
    if (stk.policy_out(c, in, m, 4)) return;
    uint32_t mtu = ifp.mtu();
    if (path_mtu && path_mtu < mtu) mtu = path_mtu;
    auto* h = pkt_header<ip4_hdr>(m);
    if (h->total_len.get() <= mtu) [[likely]]
        return ip4_output(c, m, ifp, next, cached);
    if (h->frag.get() & ip4_frag_df) {
        icmp_error(c, in, m, icmp_unreach, icmp_unreach_needfrag, mtu);
        return stk.drop(c, m, drop_reason::ip4_frag_needed);
    }
    mbuf* frags[limits::frags_max];
    const int n = ip4_fragment(m, static_cast<uint16_t>(mtu), stk.pool, stk.ipool, frags, limits::frags_max);
    if (n < 0) return stk.drop(c, m, drop_reason::ip4_frag_failed);
    pkt_free(m);  // the fragments hold their own references to its data
    for (int i = 0; i < n; ++i) ip4_output(c, frags[i], ifp, next, cached);
}

bool inet4::icmp_rate_ok(lcore_ctx& c) noexcept {
    return stk.take_token(c, c.icmp_tokens, c.icmp_refill_ns, knobs.icmp_err_pps.load(std::memory_order_relaxed));
}

void inet4::icmp_error(lcore_ctx& c, ifnet* in, mbuf* orig, uint8_t type, uint8_t code, uint32_t extra) noexcept {
    const auto* h = pkt_header<ip4_hdr>(orig);
    const ip4_addr src(h->src.get()), dst(h->dst.get());
    // RFC 1812 4.3.2.7: never about an ICMP error, a non-initial fragment, a
    // broadcast or multicast, or a source that cannot be answered.
    if ((h->frag.get() & ip4_frag_offset_mask) != 0) return;
    if (dst.is_broadcast() || dst.is_multicast() || src.is_any() || src.is_broadcast() || src.is_multicast() ||
        src.is_loopback())
        return;
    if (h->proto == ipproto_icmp && pkt_head_len(orig) >= h->hlen_bytes() + 1u &&
        icmp_is_error(pkt_data(orig)[h->hlen_bytes()]))
        return;
    if (!icmp_rate_ok(c)) return stk.count_drop(c, drop_reason::icmp_ratelimited);
    // Source: an address of the interface the packet came in on.
    std::optional<ip4_addr> from;
    if (in) from = select_src(*in, src);
    if (!from) return stk.count_drop(c, drop_reason::ip4_no_src);
    mbuf* e = icmp_error_build(stk.pool, h, pkt_head_len(orig), *from, type, code, extra,
                               static_cast<uint8_t>(knobs.ttl.load(std::memory_order_relaxed)));
    if (!e) return stk.count_drop(c, drop_reason::nobufs);
    ip4_route_output(c, e, src);
}

void inet4::ip4_route_output(lcore_ctx& c, mbuf* m, ip4_addr dst) noexcept {
    const uint32_t id = fib->lookup(dst);
    const nexthop* nh = id == fib4::miss ? nullptr : stk.nhs.get(id);
    if (!nh) return stk.drop(c, m, drop_reason::ip4_no_route);
    if (nh->flags & nhf::blackhole) return stk.drop(c, m, drop_reason::ip4_blackhole);
    if (nh->flags & nhf::reject) return stk.drop(c, m, drop_reason::ip4_reject);
    ifnet* ifp = stk.ifs.lookup(nh->ifindex);
    if (!ifp) return stk.drop(c, m, drop_reason::if_gone);
    if (!ifp->is_running()) return stk.drop(c, m, drop_reason::if_down);
    if (ifp->flags() & iff::loopback) return stk.tx_enqueue(c, *ifp, m);  // lo takes packets whole
    const bool gw = (nh->flags & nhf::gateway) != 0;
    ip4_output_mtu(c, nullptr, m, *ifp, gw ? nh->gateway : dst, nh->mtu, gw ? nh->neigh.get() : nullptr);
}

void inet4::ip4_output(lcore_ctx& c, mbuf* m, ifnet& ifp, ip4_addr nh, llentry* cached) noexcept {
    if (auto out = ifp.kind_output()) [[unlikely]] {
        l3_next x;
        x.v4 = nh;
        return out(c, ifp, m, x, ifp.kind().arg);
    }
    // A gateway's entry comes with its nexthop; an on-link destination's
    // from the lcore's own neighbor cache (netif/neigh_cache.hpp).
    if (llentry* e = cached ? cached : c.ncache.lookup4(ifp.lltable(), nh)) {
        // The word, not an unpacked ll_resolution: assembling that struct on
        // the stack and reading it back whole stalled store forwarding.
        const uint64_t w = e->la.load(std::memory_order_acquire);
        if (ll_resolution::valid_in(w)) {
            if (ll_resolution::state_in(w) == ll_state::stale) stk.note_stale_use(ifp, *e);
            return stk.ether_output(c, ifp, m, ll_resolution::mac_in(w));
        }
    }
    if (c.is_control) return stk.nd->hold(ifp, llkey::v4(nh), m);
    stk.punt_to_control(c, m, punt_resolve, ifp.index(), nh.v);
}

}  // namespace mpnet
