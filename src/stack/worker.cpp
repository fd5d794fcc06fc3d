// SPDX-License-Identifier: BSD-2-Clause
// The data path: a worker's poll iteration, Ethernet and IPv4 input with one
// bulk FIB lookup per burst, local delivery (ICMP echo), forwarding (TTL,
// reject/blackhole, redirects, MTU and fragmentation), rate-limited ICMP
// errors, IPv4 output with neighbor lookup, and per-(lcore, interface) TX
// buffers. The control plane reuses the output half with its own context.
#include <cstring>

#include "../modules/inet6/inet6.hpp"
#include "../modules/neigh/neigh.hpp"
#include "mpnet/core/checksum.hpp"
#include "mpnet/l2/ether.hpp"
#include "mpnet/l3/icmp.hpp"
#include "mpnet/l3/ip4.hpp"
#include "stack_impl.hpp"

namespace mpnet {

void stack::impl::poll(lcore_ctx& c) noexcept {
    c.now_ns = clock->now_ns();
    lcore_ctx::bump(c.polls);
    uint64_t got = 0;
    mbuf* pkts[pkt_batch::capacity];
    const uint8_t me = static_cast<uint8_t>(c.idx);
    ifs.for_each([&](ifnet& ifp) {
        // RX queue q is polled by the one lcore the queue map names (intrctl).
        const uint16_t nq = ifp.rx_queues();
        for (uint16_t q = 0; q < nq; ++q) {
            if (ifp.rxq_owner(q) != me) continue;
            uint16_t n = ifp.port()->rx_burst(q, pkts, pkt_batch::capacity);
            if (n == 0) continue;
            got += n;
            ifp.count_rxq(q, n);
            uint64_t bytes = 0;
            for (uint16_t i = 0; i < n; ++i) bytes += pkt_len(pkts[i]);
            ifp.count(c.idx, if_counter::ipackets, n);
            ifp.count(c.idx, if_counter::ibytes, bytes);
            if (!ifp.is_up()) {
                for (uint16_t i = 0; i < n; ++i) drop(c, pkts[i], drop_reason::if_down);
                continue;
            }
            // Ethernet inline; every other kind through its input operation.
            if (auto in = ifp.kind_input())
                in(c, ifp, pkts, n, ifp.kind().arg);
            else
                ether_input(c, ifp, pkts, n);
        }
    });
    // Poll sources: modules' work of their own (their work keeps the lcore awake).
    for (const poll_entry& ps : poll_sources) got += ps.fn(c, ps.arg);
    if (got)
        lcore_ctx::bump(c.rx_pkts, got);
    else
        lcore_ctx::bump(c.idle_polls);
    tx_flush(c);
    tx_kick(c);
}

void stack::impl::ether_input(lcore_ctx& c, ifnet& ifp, mbuf** pkts, uint16_t n) noexcept {
    const ether_addr own = ifp.lladdr();
    const uint32_t flags = ifp.flags();
    mbuf* ip4[pkt_batch::capacity];
    mbuf* ip6[pkt_batch::capacity];
    mbuf* other[pkt_batch::capacity];
    uint8_t other_h[pkt_batch::capacity];  // index into ethertypes
    uint16_t n4 = 0, n6 = 0, no = 0;
    for (uint16_t i = 0; i < n; ++i) {
        mbuf* m = pkts[i];
        bool group = false;
        drop_reason why{};
        const int type = ether_accept(m, own, flags, &group, &why);
        if (type < 0) {
            drop(c, m, why);
            continue;
        }
        if (group) ifp.count(c.idx, if_counter::imcasts);
        if (type == ethertype_ip4) {
            ip4[n4++] = m;
            continue;
        }
        if (type == ethertype_ip6) {
            ip6[n6++] = m;
            continue;
        }
        // The ethertype table: a handful of registrants (ARP, 802.1Q, ...).
        size_t h = 0;
        while (h < ethertypes.size() && ethertypes[h].type != type) ++h;
        if (h == ethertypes.size()) {
            drop(c, m, ether_unclaimed_drop(type));
            continue;
        }
        other[no] = m;
        other_h[no++] = static_cast<uint8_t>(h);
    }
    if (n4) ip4_input(c, ifp, ip4, n4);
    if (n6) in6->ip6_input(c, ifp, ip6, n6);
    // One call per registrant with its frames of the burst, in arrival order.
    pkt_for_each_group(other, other_h, no, [&](uint8_t h, mbuf** grp, uint16_t ng) {
        ethertypes[h].fn(c, ifp, grp, ng, ethertypes[h].arg);
    });
}

void stack::impl::arp_frames(lcore_ctx& c, ifnet& ifp, mbuf** pkts, uint16_t n) noexcept {
    const uint32_t flags = ifp.flags();
    for (uint16_t i = 0; i < n; ++i) {
        mbuf* m = pkts[i];
        drop_reason why{};
        if (flags & iff::noarp) {
            drop(c, m, drop_reason::arp_disabled);
        } else if (!(ifp.caps() & ifcap::lladdr)) {
            drop(c, m, drop_reason::ether_unknown_type);
        } else if (!arp_validate(m, &why)) {
            drop(c, m, why);
        } else {
            punt_to_control(c, m, ids.arp, ifp.index(), 0);
        }
    }
}

void stack::impl::ip_input(lcore_ctx& c, ifnet& ifp, mbuf** pkts, uint16_t n) noexcept {
    mbuf* v4[pkt_batch::capacity];
    mbuf* v6[pkt_batch::capacity];
    uint16_t n4 = 0, n6 = 0;
    for (uint16_t i = 0; i < n; ++i) {
        const bool six = pkt_head_len(pkts[i]) > 0 && (pkt_data(pkts[i])[0] >> 4) == 6;
        (six ? v6[n6++] : v4[n4++]) = pkts[i];
    }
    if (n4) ip4_input(c, ifp, v4, n4);
    if (n6) in6->ip6_input(c, ifp, v6, n6);
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

void stack::impl::ip4_input(lcore_ctx& c, ifnet& ifp, mbuf** pkts, uint16_t n) noexcept {
    mbuf* ok[pkt_batch::capacity];
    uint32_t dst[pkt_batch::capacity];
    uint32_t nh[pkt_batch::capacity];
    uint16_t k = 0;
    const bool from_lo = (ifp.flags() & iff::loopback) != 0;
    for (uint16_t i = 0; i < n; ++i) {
        drop_reason why{};
        ip4_hdr* h = ip4_validate(pkts[i], &why, from_lo);
        if (!h) {
            drop(c, pkts[i], why);
            continue;
        }
        const ip4_addr d(h->dst.get());
        // RFC 1122 3.2.1.3: 0.0.0.0 is never a destination, and 127/8 never
        // arrives from a wire.
        if (d.is_any() || (d.is_loopback() && !from_lo)) {
            drop(c, pkts[i], drop_reason::ip4_martian_dst);
            continue;
        }
        ok[k] = pkts[i];
        dst[k++] = d.v;
    }
    if (k == 0) return;
    fib->lookup_bulk(dst, nh, k);
    for (uint16_t i = 0; i < k; ++i) {
        mbuf* m = ok[i];
        const ip4_addr d(dst[i]);
        const nexthop* x = nh[i] == fib4::miss ? nullptr : nhs.get(nh[i]);
        if (x && (x->flags & nhf::local)) {
            ip4_local(c, ifp, m, false);
        } else if (d.is_multicast() || is_bcast_for(ifp, d)) {
            ip4_local(c, ifp, m, true);
        } else if (!fwd()) {
            drop(c, m, drop_reason::ip4_not_local);
        } else {
            ip4_forward(c, ifp, m, x);
        }
    }
}

void stack::impl::ip4_local(lcore_ctx& c, ifnet& ifp, mbuf* m, bool bcast) noexcept {
    auto* h = pkt_header<ip4_hdr>(m);
    if (ip4_is_fragment(*h)) return drop(c, m, drop_reason::ip4_fragment);
    // The IP-protocol table (ICMP is inet4's registrant), UDP by port.
    l4_info li;
    li.family = 4;
    li.proto = h->proto;
    li.group = bcast;
    li.off = h->hlen_bytes();
    if (li.proto == ipproto_udp && !udp4_ports.empty() && udp_deliver(c, ifp, m, li)) return;
    const l4_entry& e = ip4_protos[li.proto];
    if (!e.fn) return drop(c, m, drop_reason::ip4_no_proto);
    e.fn(c, ifp, m, li, e.arg);
}

void stack::impl::icmp_input(lcore_ctx& c, ifnet& ifp, mbuf* m, bool bcast) noexcept {
    drop_reason why{};
    auto* h = pkt_header<ip4_hdr>(m);
    icmp_hdr* ic = icmp_validate(m, h, &why);
    if (!ic) return drop(c, m, why);
    const ip4_addr dst(h->dst.get());
    switch (ic->type) {
        case icmp_echo_request: {
            ip4_addr src = dst;
            if (bcast) {
                // net.inet.icmp.bmcastecho: off by default, as in NetBSD.
                if (!knobs.bmcast_echo.load(std::memory_order_relaxed) || dst.is_multicast())
                    return drop(c, m, drop_reason::ip4_bcast_echo);
                auto a = select_src(ifp, ip4_addr(h->src.get()));
                if (!a) return drop(c, m, drop_reason::ip4_no_src);
                src = *a;
            }
            icmp_echo_reflect(h, ic, src, static_cast<uint8_t>(knobs.ttl.load(std::memory_order_relaxed)));
            return ip4_route_output(c, m, ip4_addr(h->dst.get()));
        }
        case icmp_echo_reply:
            if (bcast) return drop(c, m, drop_reason::icmp_no_session);
            return punt_to_control(c, m, ids.echo_reply, ifp.index(), 0);
        case icmp_redirect:
            if (bcast) return drop(c, m, drop_reason::icmp_redirect_ignored);
            return punt_to_control(c, m, ids.redirect, ifp.index(), 0);
        case icmp_unreach:
        case icmp_time_exceeded:
            if (bcast) return drop(c, m, drop_reason::icmp_unhandled_type);
            return punt_to_control(c, m, ids.icmp_err, ifp.index(), 0);
        default:
            return drop(c, m, drop_reason::icmp_unhandled_type);
    }
}

void stack::impl::ip4_forward(lcore_ctx& c, ifnet& in, mbuf* m, const nexthop* nh) noexcept {
    auto* h = pkt_header<ip4_hdr>(m);
    const ip4_addr src(h->src.get()), dst(h->dst.get());
    if (src.is_any()) return drop(c, m, drop_reason::ip4_bad_src);
    if (!nh) {
        icmp_error(c, &in, m, icmp_unreach, icmp_unreach_net, 0);
        return drop(c, m, drop_reason::ip4_no_route);
    }
    if (h->ttl <= 1) {
        icmp_error(c, &in, m, icmp_time_exceeded, 0, 0);
        return drop(c, m, drop_reason::ip4_ttl_exceeded);
    }
    if (nh->flags & nhf::blackhole) return drop(c, m, drop_reason::ip4_blackhole);
    if (nh->flags & nhf::reject) {
        icmp_error(c, &in, m, icmp_unreach, (nh->flags & nhf::host) ? icmp_unreach_host : icmp_unreach_net, 0);
        return drop(c, m, drop_reason::ip4_reject);
    }
    ifnet* out = ifs.lookup(nh->ifindex);
    if (!out) return drop(c, m, drop_reason::if_gone);
    if (!out->is_running()) return drop(c, m, drop_reason::if_down);
    if (out->flags() & iff::loopback) return drop(c, m, drop_reason::ip4_not_local);
    const ip4_addr next = (nh->flags & nhf::gateway) ? nh->gateway : dst;
    // A directed broadcast to a subnet of the egress interface.
    if (!(nh->flags & nhf::gateway) && is_bcast_for(*out, dst)) {
        if (!knobs.directed_broadcast.load(std::memory_order_relaxed))
            return drop(c, m, drop_reason::ip4_bcast_forward);
        ip4_dec_ttl(h);
        return ether_output(c, *out, m, ether_addr::broadcast());
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
    ip4_output_mtu(c, &in, m, *out, next, nh->mtu);
}

void stack::impl::ip4_output_mtu(lcore_ctx& c, ifnet* in, mbuf* m, ifnet& ifp, ip4_addr next,
                                 uint32_t path_mtu) noexcept {
    uint32_t mtu = ifp.mtu();
    if (path_mtu && path_mtu < mtu) mtu = path_mtu;
    auto* h = pkt_header<ip4_hdr>(m);
    if (h->total_len.get() <= mtu) return ip4_output(c, m, ifp, next);
    if (h->frag.get() & ip4_frag_df) {
        icmp_error(c, in, m, icmp_unreach, icmp_unreach_needfrag, mtu);
        return drop(c, m, drop_reason::ip4_frag_needed);
    }
    mbuf* frags[limits::frags_max];
    const int n = ip4_fragment(m, static_cast<uint16_t>(mtu), pool, ipool, frags, limits::frags_max);
    if (n < 0) return drop(c, m, drop_reason::ip4_frag_failed);
    pkt_free(m);  // the fragments hold their own references to its data
    for (int i = 0; i < n; ++i) ip4_output(c, frags[i], ifp, next);
}

bool stack::impl::take_token(lcore_ctx& c, double& tokens, uint64_t& refill_ns, uint32_t pps) noexcept {
    // Token bucket per lcore: the stack-wide limit split evenly, refilled
    // continuously, one second of burst at most.
    const double rate = double(pps) / double(cfg.workers + 1);
    const uint64_t now = c.now_ns ? c.now_ns : clock->now_ns();
    if (refill_ns == 0) {
        refill_ns = now;
        tokens = rate;
    }
    tokens = std::min(rate, tokens + rate * double(now - refill_ns) / double(ns_per_s));
    refill_ns = now;
    if (tokens < 1.0) return false;
    tokens -= 1.0;
    return true;
}

bool stack::impl::icmp_rate_ok(lcore_ctx& c) noexcept {
    return take_token(c, c.icmp_tokens, c.icmp_refill_ns, knobs.icmp_err_pps.load(std::memory_order_relaxed));
}

void stack::impl::icmp_error(lcore_ctx& c, ifnet* in, mbuf* orig, uint8_t type, uint8_t code, uint32_t extra) noexcept {
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
    if (!icmp_rate_ok(c)) return count_drop(c, drop_reason::icmp_ratelimited);
    // Source: an address of the interface the packet came in on.
    std::optional<ip4_addr> from;
    if (in) from = select_src(*in, src);
    if (!from) return count_drop(c, drop_reason::ip4_no_src);
    mbuf* e = icmp_error_build(pool, h, pkt_head_len(orig), *from, type, code, extra,
                               static_cast<uint8_t>(knobs.ttl.load(std::memory_order_relaxed)));
    if (!e) return count_drop(c, drop_reason::nobufs);
    ip4_route_output(c, e, src);
}

void stack::impl::ip4_route_output(lcore_ctx& c, mbuf* m, ip4_addr dst) noexcept {
    const uint32_t id = fib->lookup(dst);
    const nexthop* nh = id == fib4::miss ? nullptr : nhs.get(id);
    if (!nh) return drop(c, m, drop_reason::ip4_no_route);
    if (nh->flags & nhf::blackhole) return drop(c, m, drop_reason::ip4_blackhole);
    if (nh->flags & nhf::reject) return drop(c, m, drop_reason::ip4_reject);
    ifnet* ifp = ifs.lookup(nh->ifindex);
    if (!ifp) return drop(c, m, drop_reason::if_gone);
    if (!ifp->is_running()) return drop(c, m, drop_reason::if_down);
    if (ifp->flags() & iff::loopback) return tx_enqueue(c, *ifp, m);  // lo takes packets whole
    ip4_output_mtu(c, nullptr, m, *ifp, (nh->flags & nhf::gateway) ? nh->gateway : dst, nh->mtu);
}

void stack::impl::ip4_output(lcore_ctx& c, mbuf* m, ifnet& ifp, ip4_addr nh) noexcept {
    if (auto out = ifp.kind_output()) [[unlikely]] {
        l3_next x;
        x.v4 = nh;
        return out(c, ifp, m, x, ifp.kind().arg);
    }
    if (llentry* e = ifp.lltable().lookup(llkey::v4(nh))) {
        const ll_resolution r = e->resolution();
        if (r.flags & llflag::valid) {
            if (r.state == ll_state::stale) note_stale_use(ifp, *e);
            return ether_output(c, ifp, m, r.mac);
        }
    }
    if (c.is_control) return nd->hold(ifp, llkey::v4(nh), m);
    punt_to_control(c, m, ids.resolve, ifp.index(), nh.v);
}

void stack::impl::note_stale_use(ifnet& ifp, llentry& e) noexcept {
    // First use of a STALE entry (either family): one notice to the control
    // plane (STALE -> DELAY); the flag stays set until it has read it.
    if (e.used.load(std::memory_order_relaxed) || e.used.exchange(true, std::memory_order_relaxed)) return;
    module_notice n;
    n.id = ids.stale_used;
    n.ifindex = ifp.index();
    n.data[0] = e.key.family;
    std::memcpy(n.data + 1, e.key.a.data(), e.key.a.size());
    if (!notices.enqueue(n)) e.used.store(false, std::memory_order_relaxed);
}

void stack::impl::ether_output(lcore_ctx& c, ifnet& ifp, mbuf* m, const ether_addr& dst, uint16_t type) noexcept {
    if (!ether_encap(m, dst, ifp.lladdr(), type)) return drop(c, m, drop_reason::nobufs);
    if_transmit(c, ifp, m);
}

void stack::impl::if_transmit(lcore_ctx& c, ifnet& ifp, mbuf* m) noexcept {
    if (auto tx = ifp.kind_transmit()) [[unlikely]]
        return tx(c, ifp, m, ifp.kind().arg);
    if (!ifp.txl()) return drop(c, m, drop_reason::if_down);  // no port and no transmit of its own
    tx_enqueue(c, ifp, m);
}

void stack::impl::tx_account(lcore_ctx& c, ifnet& ifp, const tx_result& r) noexcept {
    if (r.sent) {
        ifp.count(c.idx, if_counter::opackets, r.sent);
        ifp.count(c.idx, if_counter::obytes, r.bytes);
        lcore_ctx::bump(c.tx_pkts, r.sent);
    }
    if (r.refused || r.softq_full) {
        ifp.count(c.idx, if_counter::oqdrops, r.refused + r.softq_full);
        count_drop(c, drop_reason::tx_ring_full, r.refused);
        count_drop(c, drop_reason::tx_softq_full, r.softq_full);
    }
}

void stack::impl::tx_burst(lcore_ctx& c, ifnet& ifp, pkt_batch& b) noexcept {
    // if_transmit: the TX queue layer picks c's queue (own, shared through a
    // soft queue, or spread by flow) and frees what it could not send.
    tx_result r;
    ifp.txl()->transmit(c.idx, b.pkts, b.n, r);
    tx_account(c, ifp, r);
    b.clear();
}

void stack::impl::tx_kick(lcore_ctx& c, unsigned lane) noexcept {
    if (shared_txqs.load(std::memory_order_relaxed) == 0) return;
    ifs.for_each([&](ifnet& ifp) {
        tx_layer* t = ifp.txl();
        if (!t || !t->has_shared()) return;
        tx_result r;
        t->kick(lane, r);
        tx_account(c, ifp, r);
    });
}

uint32_t stack::impl::tx_pending(lcore_ctx& c) const noexcept {
    if (shared_txqs.load(std::memory_order_relaxed) == 0) return 0;
    uint32_t n = 0;
    ifs.for_each([&](ifnet& ifp) {
        if (const tx_layer* t = ifp.txl(); t && t->has_shared()) n += t->pending(c.idx);
    });
    return n;
}

void stack::impl::tx_enqueue(lcore_ctx& c, ifnet& ifp, mbuf* m) noexcept {
    const uint16_t i = ifp.index();
    pkt_batch& b = c.tx[i];
    if (b.empty()) {
        c.tx_ifp[i] = &ifp;
        // Listed once per iteration: the list never outgrows its reserved
        // ifnet_max entries, so it never allocates here.
        if (!c.tx_listed[i]) {
            c.tx_listed[i] = 1;
            c.tx_dirty.push_back(i);
        }
    }
    b.push(m);
    // A full buffer goes now; it stays on the dirty list, empty, and is
    // skipped (or refilled) before the end of the iteration.
    if (b.full()) tx_burst(c, ifp, b);
}

void stack::impl::tx_flush(lcore_ctx& c) noexcept {
    for (uint16_t i : c.tx_dirty) {
        pkt_batch& b = c.tx[i];
        if (!b.empty()) tx_burst(c, *c.tx_ifp[i], b);
        c.tx_listed[i] = 0;
    }
    c.tx_dirty.clear();
}

void stack::impl::punt_to_control(lcore_ctx& c, mbuf* m, uint16_t kind, uint16_t ifindex, uint32_t aux) noexcept {
    meta(m) = pkt_meta{ifindex, kind, aux};
    if (!punt.enqueue(m)) return drop(c, m, drop_reason::punt_ring_full);
    wake_control();
}

bool stack::impl::notify(const module_notice& n) noexcept {
    if (!notices.enqueue(n)) return false;
    wake_control();
    return true;
}

}  // namespace mpnet
