// SPDX-License-Identifier: BSD-2-Clause
// The data path: a worker's poll iteration, Ethernet and IPv4 input, ICMP echo,
// IPv4 output with neighbor lookup, and per-(lcore, interface) TX buffers.
// The control plane reuses the output half with its own lcore context.
#include <cstring>

#include "mpnet/core/checksum.hpp"
#include "mpnet/l2/ether.hpp"
#include "mpnet/l3/icmp.hpp"
#include "mpnet/l3/ip4.hpp"
#include "stack_impl.hpp"

namespace mpnet {

void stack::impl::poll(lcore_ctx& c) noexcept {
    c.now_ns = clock->now_ns();
    lcore_ctx::bump(c.polls);
    const unsigned workers = cfg.workers;
    uint64_t got = 0;
    mbuf* pkts[pkt_batch::capacity];
    ifs.for_each([&](ifnet& ifp) {
        port* p = ifp.port();
        if (!p) return;
        // RX queue q is polled by worker q % workers: each queue has exactly one
        // poller. lo0 has one queue, polled by worker 0.
        for (uint16_t q = static_cast<uint16_t>(c.idx); q < p->rx_queues(); q = static_cast<uint16_t>(q + workers)) {
            uint16_t n = p->rx_burst(q, pkts, pkt_batch::capacity);
            if (n == 0) continue;
            got += n;
            uint64_t bytes = 0;
            for (uint16_t i = 0; i < n; ++i) bytes += pkt_len(pkts[i]);
            ifp.count(c.idx, if_counter::ipackets, n);
            ifp.count(c.idx, if_counter::ibytes, bytes);
            if (!ifp.is_up()) {
                for (uint16_t i = 0; i < n; ++i) drop(c, pkts[i], drop_reason::if_down);
                continue;
            }
            if (ifp.kind() == if_kind::loopback) {
                for (uint16_t i = 0; i < n; ++i) ip4_input(c, ifp, pkts[i]);
            } else {
                ether_input(c, ifp, pkts, n);
            }
        }
    });
    if (got)
        lcore_ctx::bump(c.rx_pkts, got);
    else
        lcore_ctx::bump(c.idle_polls);
    tx_flush(c);
}

void stack::impl::ether_input(lcore_ctx& c, ifnet& ifp, mbuf** pkts, uint16_t n) noexcept {
    const ether_addr own = ifp.lladdr();
    const uint32_t flags = ifp.flags();
    for (uint16_t i = 0; i < n; ++i) {
        mbuf* m = pkts[i];
        bool group = false;
        drop_reason why{};
        switch (ether_classify(m, own, flags, &group, &why)) {
            case ether_next::drop:
                drop(c, m, why);
                break;
            case ether_next::ip4:
                if (group) ifp.count(c.idx, if_counter::imcasts);
                ip4_input(c, ifp, m);
                break;
            case ether_next::arp:
                if (flags & iff::noarp) {
                    drop(c, m, drop_reason::arp_disabled);
                } else if (!arp_validate(m, &why)) {
                    drop(c, m, why);
                } else {
                    punt_to_control(c, m, punt_arp, ifp.index(), 0);
                }
                break;
            case ether_next::ip6:
                // IPv6 arrives with its issue; until then it is an unknown type.
                drop(c, m, drop_reason::ether_unknown_type);
                break;
        }
    }
}

void stack::impl::ip4_input(lcore_ctx& c, ifnet& ifp, mbuf* m) noexcept {
    drop_reason why{};
    ip4_hdr* h = ip4_validate(m, &why, ifp.kind() == if_kind::loopback);
    if (!h) return drop(c, m, why);
    const ip4_addr dst(h->dst.get());
    const route4_table* rt = rt4.read();
    const route4* r = rt->lookup(dst);
    const bool local = r && (r->flags & rtf::local) && r->dst.len == 32;
    bool bcast = dst.is_broadcast() || dst.is_multicast();
    if (!local && !bcast) {
        for (const auto& a : ifp.addrs().v4)
            if (a.plen < 31 && dst == a.bcast) bcast = true;
    }
    if (!local && !bcast) return drop(c, m, drop_reason::ip4_not_local);
    (void)ifp;
    if (ip4_is_fragment(*h)) return drop(c, m, drop_reason::ip4_fragment);
    if (h->proto != ipproto_icmp) return drop(c, m, drop_reason::ip4_no_proto);
    icmp_hdr* ic = icmp_validate(m, h, &why);
    if (!ic) return drop(c, m, why);
    switch (ic->type) {
        case icmp_echo_request:
            // NetBSD's net.inet.icmp.bmcastecho=0: no replies to broadcast pings.
            if (bcast) return drop(c, m, drop_reason::ip4_bcast_echo);
            icmp_echo_reflect(h, ic, dst, cfg.ip_ttl);
            return ip4_route_output(c, m, ip4_addr(h->dst.get()));
        case icmp_echo_reply:
            if (bcast) return drop(c, m, drop_reason::icmp_no_session);
            return punt_to_control(c, m, punt_echo_reply, ifp.index(), 0);
        default:
            return drop(c, m, drop_reason::icmp_unhandled_type);
    }
}

void stack::impl::ip4_route_output(lcore_ctx& c, mbuf* m, ip4_addr dst) noexcept {
    const route4* r = rt4.read()->lookup(dst);
    if (!r || (r->flags & (rtf::reject | rtf::blackhole))) return drop(c, m, drop_reason::ip4_no_route);
    ifnet* ifp = ifs.lookup(r->ifindex);
    if (!ifp) return drop(c, m, drop_reason::if_gone);
    if (!ifp->is_running()) return drop(c, m, drop_reason::if_down);
    if (ifp->kind() == if_kind::loopback) return tx_enqueue(c, *ifp, m);
    ip4_output(c, m, *ifp, (r->flags & rtf::gateway) ? r->gateway : dst);
}

void stack::impl::ip4_output(lcore_ctx& c, mbuf* m, ifnet& ifp, ip4_addr nh) noexcept {
    if (llentry* e = ifp.lltable().lookup(llkey::v4(nh))) {
        const ll_resolution r = e->resolution();
        if (r.flags & llflag::valid) {
            if (r.state == ll_state::stale && !e->used.load(std::memory_order_relaxed) &&
                !e->used.exchange(true, std::memory_order_relaxed)) {
                // First use of a stale entry: tell the control plane (STALE -> DELAY).
                neigh_notice n{ifp.index(), 1, 4, {}};
                std::memcpy(n.addr, e->key.a.data(), 4);
                if (!notices.enqueue(n)) e->used.store(false, std::memory_order_relaxed);
            }
            return ether_output(c, ifp, m, r.mac);
        }
    }
    if (c.is_control) return nd_hold(ifp, nh, m);
    punt_to_control(c, m, punt_resolve, ifp.index(), nh.v);
}

void stack::impl::ether_output(lcore_ctx& c, ifnet& ifp, mbuf* m, const ether_addr& dst) noexcept {
    if (!ether_encap(m, dst, ifp.lladdr(), ethertype_ip4)) return drop(c, m, drop_reason::nobufs);
    tx_enqueue(c, ifp, m);
}

void stack::impl::tx_burst(lcore_ctx& c, ifnet& ifp, pkt_batch& b) noexcept {
    port* p = ifp.port();
    // Workers own TX queues 0..W-1 and the control plane owns W; a port with
    // fewer queues shares by index modulo its count (the TX-queue layer of the
    // multi-queue issue makes that sharing lock-free for every PMD).
    const uint16_t q = static_cast<uint16_t>(c.idx % p->tx_queues());
    // Lengths are read before the burst: once sent, a packet belongs to the
    // port (a software peer may already have freed it).
    uint32_t len[pkt_batch::capacity];
    for (uint16_t k = 0; k < b.n; ++k) len[k] = pkt_len(b.pkts[k]);
    const uint16_t sent = p->tx_burst(q, b.pkts, b.n);
    uint64_t bytes = 0;
    for (uint16_t k = 0; k < sent; ++k) bytes += len[k];
    ifp.count(c.idx, if_counter::opackets, sent);
    ifp.count(c.idx, if_counter::obytes, bytes);
    if (sent < b.n) {
        ifp.count(c.idx, if_counter::oqdrops, b.n - sent);
        for (uint16_t k = sent; k < b.n; ++k) drop(c, b.pkts[k], drop_reason::tx_ring_full);
    }
    b.clear();
}

void stack::impl::tx_enqueue(lcore_ctx& c, ifnet& ifp, mbuf* m) noexcept {
    const uint16_t i = ifp.index();
    pkt_batch& b = c.tx[i];
    if (b.empty()) {
        c.tx_ifp[i] = &ifp;
        c.tx_dirty.push_back(i);
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
    }
    c.tx_dirty.clear();
}

void stack::impl::punt_to_control(lcore_ctx& c, mbuf* m, uint16_t kind, uint16_t ifindex, uint32_t aux) noexcept {
    meta(m) = pkt_meta{ifindex, kind, aux};
    if (!punt.enqueue(m)) drop(c, m, drop_reason::punt_ring_full);
}

}  // namespace mpnet
