// SPDX-License-Identifier: BSD-2-Clause
// The IPv6 data path: input with one bulk FIB6 lookup per burst, multicast
// membership, local delivery (ICMPv6 echo on the worker; ND, errors and echo
// replies to the control plane), forwarding (hop limit, scope, reject and
// blackhole, packet too big, redirects), rate-limited ICMPv6 errors, and
// output with neighbor lookup and multicast mapping.
#include <cstring>

#include "../../stack/stack_impl.hpp"
#include "../neigh/neigh.hpp"
#include "inet6.hpp"
#include "mpnet/l3/ip6.hpp"

namespace mpnet {

bool inet6::ip6_is_member(const ifnet& ifp, const ip6_addr& g) const noexcept {
    if (g == ip6_addr::all_nodes()) return true;
    if (g == ip6_addr::all_routers()) return fwd6() || advertising[ifp.index()].load(std::memory_order_relaxed);
    // Solicited-node groups of every address, tentative ones included (DAD).
    if (g.b[1] == 0x02 && g.b[11] == 0x01 && g.b[12] == 0xff) {
        for (const auto& a : ifp.addrs().v6)
            if (a.addr.solicited_node() == g) return true;
        return false;
    }
    return false;
}

void inet6::ip6_input(lcore_ctx& c, ifnet& ifp, mbuf** pkts, uint16_t n) noexcept {
    mbuf* ok[pkt_batch::capacity];
    ip6_addr key[pkt_batch::capacity];
    uint32_t nh[pkt_batch::capacity];
    uint16_t k = 0;
    const bool from_lo = (ifp.flags() & iff::loopback) != 0;
    l4_batch local;  // for burst handlers (tunnels): delivered at the end
    for (uint16_t i = 0; i < n; ++i) {
        mbuf* m = pkts[i];
        drop_reason why{};
        ip6_hdr* h = ip6_validate(m, &why, from_lo);
        if (!h) {
            stk.drop(c, m, why);
            continue;
        }
        if (h->dst.is_multicast()) {
            // Link-scope groups we joined; nothing else is routed (no multicast routing).
            if (!ip6_is_member(ifp, h->dst)) {
                stk.drop(c, m, drop_reason::ip6_not_member);
                continue;
            }
            ip6_local(c, ifp, m, true, local);
            continue;
        }
        ok[k] = m;
        key[k++] = h->dst.with_scope(ifp.index());
    }
    if (k > 0) {
        fib6_->lookup_bulk(key, nh, k);
        stk.prefetch_egress(c, nh, k, fib6::miss);
    }
    for (uint16_t i = 0; i < k; ++i) {
        mbuf* m = ok[i];
        const nexthop* x = nh[i] == fib6::miss ? nullptr : stk.nhs.get(nh[i]);
        if (x && (x->flags & nhf::local)) {
            ip6_local(c, ifp, m, false, local);
        } else if (!fwd6()) {
            stk.drop(c, m, drop_reason::ip6_not_local);
        } else {
            ip6_forward(c, ifp, m, x);
        }
    }
    local.flush(c, ifp);
}

void inet6::ip6_local(lcore_ctx& c, ifnet& ifp, mbuf* m, bool mcast, l4_batch& b) noexcept {
    uint8_t proto = 0;
    uint32_t off = 0, field = 0;
    bool frag = false;
    if (!ip6_upper(m, &proto, &off, &frag, &field)) return stk.drop(c, m, drop_reason::ip6_no_proto);
    if (frag) return stk.drop(c, m, drop_reason::ip6_fragment);
    if (stk.policy_in(c, ifp, m, 6)) return;
    // The next-header table (ICMPv6 is inet6's registrant), UDP by port.
    l4_info li;
    li.family = 6;
    li.proto = proto;
    li.group = mcast;
    li.off = off;
    if (proto == ipproto_udp && !stk.udp6_ports.empty() && stk.udp_deliver(c, ifp, m, li, b)) return;
    const l4_entry& e = stk.ip6_protos[proto];
    if (e.fn) return e.fn(c, ifp, m, li, e.arg);
    if (e.burst) return b.add(m, li, &e);
    if (stk.ip_default.fn && stk.ip_default.fn(c, ifp, m, li, stk.ip_default.arg)) return;
    // RFC 4443 3.1/3.4: UDP to no listener is "port unreachable"; an
    // unknown next header is a parameter problem pointing at it. TCP
    // and "no next header" get nothing (no sockets yet).
    if (!mcast && proto == ipproto_udp) {
        icmp6_error(c, &ifp, m, icmp6_dst_unreach, icmp6_unreach_port, 0);
    } else if (!mcast && proto != ipproto_tcp && proto != ipproto_none) {
        icmp6_error(c, &ifp, m, icmp6_param_prob, icmp6_paramprob_nextheader, field);
    }
    return stk.drop(c, m, drop_reason::ip6_no_proto);
}

void inet6::icmp6_local(lcore_ctx& c, ifnet& ifp, mbuf* m, uint32_t off, bool mcast) noexcept {
    auto* h = pkt_header<ip6_hdr>(m);
    drop_reason why{};
    icmp6_hdr* ic = icmp6_validate(m, h, off, &why);
    if (!ic) return stk.drop(c, m, why);
    switch (ic->type) {
        case icmp6_echo_request: {
            ip6_addr src = h->dst;
            if (mcast) {
                auto a = select_src6(ifp, h->src);
                if (!a) return stk.drop(c, m, drop_reason::ip6_no_src);
                src = *a;
            }
            icmp6_echo_reflect(h, ic, off, src, hlim6());
            return ip6_route_output(c, m, ifp.index());
        }
        case icmp6_echo_reply:
        case icmp6_dst_unreach:
        case icmp6_packet_too_big:
        case icmp6_time_exceeded:
        case icmp6_param_prob:
            return stk.punt_to_control(c, m, punt_icmp6, ifp.index(), off);
        case nd_router_solicit:
        case nd_router_advert:
        case nd_neighbor_solicit:
        case nd_neighbor_advert:
        case nd_redirect:
            // RFC 4861: hop limit 255 proves the sender is on-link; code 0.
            if (h->hlim != 255) return stk.drop(c, m, drop_reason::nd_bad_hlim);
            if (ic->code != 0) return stk.drop(c, m, drop_reason::nd_bad_code);
            return stk.punt_to_control(c, m, punt_icmp6, ifp.index(), off);
        case icmp6_mld_query:
        case icmp6_mld_report:
        case icmp6_mld_done:
        case icmp6_mld2_report:
            return stk.drop(c, m, drop_reason::mld_ignored);
        default:
            return stk.drop(c, m, drop_reason::icmp6_unhandled_type);
    }
}

void inet6::ip6_forward(lcore_ctx& c, ifnet& in, mbuf* m, const nexthop* nh) noexcept {
    if (stk.policy_in(c, in, m, 6)) return;
    auto* h = pkt_header<ip6_hdr>(m);
    // Link-local destinations never leave their link (RFC 4291 2.5.6), and
    // the unspecified source is never forwarded.
    if (h->dst.is_link_local() || h->src.is_any()) return stk.drop(c, m, drop_reason::ip6_beyond_scope);
    if (!nh) {
        icmp6_error(c, &in, m, icmp6_dst_unreach, icmp6_unreach_noroute, 0);
        return stk.drop(c, m, drop_reason::ip6_no_route);
    }
    if (h->hlim <= 1) {
        icmp6_error(c, &in, m, icmp6_time_exceeded, 0, 0);
        return stk.drop(c, m, drop_reason::ip6_hlim_exceeded);
    }
    if (nh->flags & nhf::blackhole) return stk.drop(c, m, drop_reason::ip6_blackhole);
    if (nh->flags & nhf::reject) {
        icmp6_error(c, &in, m, icmp6_dst_unreach, (nh->flags & nhf::host) ? icmp6_unreach_addr : icmp6_unreach_noroute,
                    0);
        return stk.drop(c, m, drop_reason::ip6_reject);
    }
    ifnet* out = stk.ifs.lookup(nh->ifindex);
    if (!out) return stk.drop(c, m, drop_reason::if_gone);
    if (!out->is_running()) return stk.drop(c, m, drop_reason::if_down);
    if (out->flags() & iff::loopback) return stk.drop(c, m, drop_reason::ip6_not_local);
    if (h->src.is_link_local() && out != &in) {
        icmp6_error(c, &in, m, icmp6_dst_unreach, icmp6_unreach_beyondscope, 0);
        return stk.drop(c, m, drop_reason::ip6_beyond_scope);
    }
    // The output policy sees the hop limit as it leaves (as IPv4's does).
    if (stk.ip_policy.out_on.load(std::memory_order_relaxed)) [[unlikely]] {
        --h->hlim;
        if (stk.policy_out(c, &in, m, 6)) return;
        ++h->hlim;
    }
    uint32_t mtu = out->mtu6();
    if (nh->mtu && nh->mtu < mtu) mtu = nh->mtu;
    if (pkt_len(m) > mtu) {
        icmp6_error(c, &in, m, icmp6_packet_too_big, 0, mtu);
        return stk.drop(c, m, drop_reason::ip6_too_big);
    }
    const ip6_addr next = (nh->flags & nhf::gateway) ? nh->gateway6 : h->dst;
    // RFC 4861 8.2: leaving by the link it came in on, from a neighbor on
    // that link: tell it the better first hop (and forward).
    if (out == &in && knobs6.send_redirects.load(std::memory_order_relaxed)) {
        bool neighbor = h->src.is_link_local();
        for (const auto& a : in.addrs().v6)
            if (!neighbor && a.is_usable() && a.prefix().contains(h->src)) neighbor = true;
        if (neighbor && ((nh->flags & nhf::gateway) == 0 || next.is_link_local())) nd6_redirect_send(c, in, m, next);
    }
    --h->hlim;
    ip6_output(c, m, *out, next, (nh->flags & nhf::gateway) ? nh->neigh.get() : nullptr);
}

bool inet6::icmp6_rate_ok(lcore_ctx& c) noexcept {
    return stk.take_token(c, c.icmp6_tokens, c.icmp6_refill_ns, knobs6.icmp_err_pps.load(std::memory_order_relaxed));
}

void inet6::icmp6_error(lcore_ctx& c, ifnet* in, mbuf* orig, uint8_t type, uint8_t code, uint32_t data) noexcept {
    const auto* h = pkt_header<ip6_hdr>(orig);
    // RFC 4443 2.4 (e): never about an error, a multicast destination (except
    // packet too big), or a source that cannot be answered.
    if (h->src.is_any() || h->src.is_multicast()) return;
    if (h->dst.is_multicast() && type != icmp6_packet_too_big) return;
    uint8_t proto = 0;
    uint32_t off = 0;
    bool frag = false;
    if (ip6_upper(orig, &proto, &off, &frag) && proto == ipproto_icmpv6 && pkt_head_len(orig) > off &&
        (icmp6_is_error(pkt_data(orig)[off]) || pkt_data(orig)[off] == nd_redirect))
        return;
    if (!icmp6_rate_ok(c)) return stk.count_drop(c, drop_reason::icmp_ratelimited);
    // Source: an address of the receiving interface, of the right scope.
    std::optional<ip6_addr> from;
    if (in) from = select_src6(*in, h->src);
    if (!from) return stk.count_drop(c, drop_reason::ip6_no_src);
    mbuf* e = icmp6_error_build(stk.pool, h, pkt_head_len(orig), *from, type, code, data, hlim6());
    if (!e) return stk.count_drop(c, drop_reason::nobufs);
    ip6_route_output(c, e, in ? in->index() : 0);
}

void inet6::nd6_redirect_send(lcore_ctx& c, ifnet& in, mbuf* orig, const ip6_addr& target) noexcept {
    const auto* h = pkt_header<ip6_hdr>(orig);
    if (!icmp6_rate_ok(c)) return stk.count_drop(c, drop_reason::icmp_ratelimited);
    // Sent from our link-local address (RFC 4861 8.2).
    std::optional<ip6_addr> from;
    for (const auto& a : in.addrs().v6)
        if (a.is_usable() && a.addr.is_link_local()) from = a.addr;
    if (!from) return;
    uint8_t buf[ip6_min_mtu - sizeof(ip6_hdr)];
    nd_redirect_msg r{};
    r.h.type = nd_redirect;
    r.target = target;
    r.dst = h->dst;
    uint32_t len = sizeof r;
    std::memcpy(buf, &r, sizeof r);
    if (llentry* e = in.lltable().lookup(llkey::v6(target))) {
        const ll_resolution lr = e->resolution();
        if (lr.flags & llflag::valid) {
            nd_opt_lla o{nd_opt_target_lla, 1, lr.mac};
            std::memcpy(buf + len, &o, sizeof o);
            len += sizeof o;
        }
    }
    // Redirected header: as much of the packet as fits, in 8-byte units.
    uint32_t quote = std::min<uint32_t>(pkt_head_len(orig), uint32_t(sizeof buf) - len - sizeof(nd_opt_rh));
    quote &= ~7u;
    nd_opt_rh rh{nd_opt_redirected_hdr, static_cast<uint8_t>((sizeof(nd_opt_rh) + quote) / 8), {}};
    std::memcpy(buf + len, &rh, sizeof rh);
    std::memcpy(buf + len + sizeof rh, pkt_data(orig), quote);
    len += uint32_t(sizeof rh) + quote;
    mbuf* m = icmp6_build(stk.pool, *from, h->src, 255, buf, len);
    if (!m) return stk.count_drop(c, drop_reason::nobufs);
    ip6_output(c, m, in, h->src);
}

void inet6::ip6_route_output(lcore_ctx& c, mbuf* m, ifindex_t zone) noexcept {
    auto* h = pkt_header<ip6_hdr>(m);
    if (h->dst.is_multicast()) {
        ifnet* ifp = stk.ifs.lookup(zone);
        if (!ifp) return stk.drop(c, m, drop_reason::ip6_no_route);
        return ip6_output(c, m, *ifp, h->dst);
    }
    const uint32_t id = fib6_->lookup(h->dst.with_scope(zone));
    const nexthop* nh = id == fib6::miss ? nullptr : stk.nhs.get(id);
    if (!nh) return stk.drop(c, m, drop_reason::ip6_no_route);
    if (nh->flags & nhf::blackhole) return stk.drop(c, m, drop_reason::ip6_blackhole);
    if (nh->flags & nhf::reject) return stk.drop(c, m, drop_reason::ip6_reject);
    ifnet* ifp = stk.ifs.lookup(nh->ifindex);
    if (!ifp) return stk.drop(c, m, drop_reason::if_gone);
    if (!ifp->is_running()) return stk.drop(c, m, drop_reason::if_down);
    if (ifp->flags() & iff::loopback) return stk.tx_enqueue(c, *ifp, m);  // lo takes packets whole
    // A link-local source never leaves by another link.
    if (h->src.is_link_local() && zone && ifp->index() != zone) return stk.drop(c, m, drop_reason::ip6_beyond_scope);
    if (stk.policy_out(c, nullptr, m, 6)) return;
    uint32_t mtu = ifp->mtu6();
    if (nh->mtu && nh->mtu < mtu) mtu = nh->mtu;
    if (pkt_len(m) > mtu) return stk.drop(c, m, drop_reason::ip6_too_big);  // no fragmentation of our own yet
    const bool gw = (nh->flags & nhf::gateway) != 0;
    ip6_output(c, m, *ifp, gw ? nh->gateway6 : h->dst, gw ? nh->neigh.get() : nullptr);
}

void inet6::ip6_output(lcore_ctx& c, mbuf* m, ifnet& ifp, const ip6_addr& nh, llentry* cached) noexcept {
    if (auto out = ifp.kind_output()) [[unlikely]] {
        l3_next x;
        x.family = 6;
        x.v6 = nh;
        return out(c, ifp, m, x, ifp.kind().arg);
    }
    if (nh.is_multicast()) return stk.ether_output(c, ifp, m, nh.multicast_mac(), ethertype_ip6);
    // A gateway's entry comes with its nexthop; an on-link destination's
    // from the lcore's own neighbor cache (netif/neigh_cache.hpp).
    if (llentry* e = cached ? cached : c.ncache.lookup6(ifp.lltable(), nh)) {
        const uint64_t w = e->la.load(std::memory_order_acquire);  // as ip4_output
        if (ll_resolution::valid_in(w)) {
            if (ll_resolution::state_in(w) == ll_state::stale) stk.note_stale_use(ifp, *e);
            return stk.ether_output(c, ifp, m, ll_resolution::mac_in(w), ethertype_ip6);
        }
    }
    if (c.is_control) return stk.nd->hold(ifp, llkey::v6(nh), m);
    stk.punt_to_control(c, m, punt_resolve6, ifp.index(), 0);
}

}  // namespace mpnet
