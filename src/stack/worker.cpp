// SPDX-License-Identifier: BSD-2-Clause
// The data path's core: a worker's poll iteration, Ethernet input with the
// ethertype demux (IPv4 and IPv6 inline, to src/modules/inet4 and inet6),
// Ethernet output, the hand-over to the control plane, and the
// per-(lcore, interface) TX buffers.
#include <rte_cycles.h>

#include <algorithm>
#include <cstring>

#include "../modules/inet4/inet4.hpp"
#include "../modules/inet6/inet6.hpp"
#include "../modules/neigh/neigh.hpp"
#include "mpnet/core/checksum.hpp"
#include "mpnet/l2/ether.hpp"
#include "mpnet/l3/icmp.hpp"
#include "mpnet/l3/ip4.hpp"
#include "stack_impl.hpp"

namespace mpnet {

uint64_t stack::impl::lcore_now(lcore_ctx& c) noexcept {
    if (!tsc_clock) return clock->now_ns();
    // One clock_gettime per millisecond rather than per poll; in between the
    // TSC (constant and invariant where DPDK runs) scaled. Never backwards.
    const uint64_t t = rte_rdtsc();
    uint64_t ns;
    if (c.tsc_at != 0 && t - c.tsc_at < tsc_resync) {
        ns = c.ns_at + (((t - c.tsc_at) * tsc_mult) >> 32);
    } else {
        c.tsc_at = t;
        ns = c.ns_at = clock->now_ns();
    }
    return ns > c.now_ns ? ns : c.now_ns;
}

void stack::impl::rxq_rebuild(lcore_ctx& c, uint64_t gen) noexcept {
    // Read before the table, so a change made meanwhile brings us back.
    c.rxq_gen = gen;
    c.rxqs.clear();
    c.rx_ring_min = 0;
    const uint8_t me = static_cast<uint8_t>(c.idx);
    ifs.for_each_port([&](ifnet& ifp) {
        const uint16_t nq = ifp.rx_queues();
        for (uint16_t q = 0; q < nq; ++q) {
            if (ifp.rxq_owner(q) != me) continue;
            c.rxqs.push_back({&ifp, ifp.port(), q});  // reserved: rarely grows
            // A ring of unknown size counts as 512 descriptors.
            const uint32_t size = ifp.port()->rx_ring_size();
            const uint32_t ring = size ? size : 512;
            if (c.rx_ring_min == 0 || ring < c.rx_ring_min) c.rx_ring_min = ring;
        }
    });
}

void stack::impl::prefetch_ifs_all(lcore_ctx& c, const ifindex_t* idx, uint16_t n, size_t stride) noexcept {
    // Each run of one interface (a busy tunnel) once; a pass per level.
    ifindex_t u[pkt_batch::capacity];
    uint16_t k = 0;
    for (uint16_t i = 0; i < n && k < pkt_batch::capacity; ++i) {
        const ifindex_t x = *reinterpret_cast<const ifindex_t*>(reinterpret_cast<const char*>(idx) + size_t{i} * stride);
        if (k == 0 || x != u[k - 1]) {
            ifs.prefetch_slot(x);
            u[k++] = x;
        }
    }
    for (uint16_t i = 0; i < k; ++i)
        if (const ifnet* p = ifs.lookup(u[i])) p->prefetch();
    for (uint16_t i = 0; i < k; ++i)
        if (ifnet* p = ifs.lookup(u[i])) {
            __builtin_prefetch(&p->addrs());
            __builtin_prefetch(p->softc());
            __builtin_prefetch(&p->counters().slot(c.idx));
        }
}

void stack::impl::prefetch_egress_all(lcore_ctx& c, const uint32_t* nh, uint16_t n, uint32_t miss) noexcept {
    uint32_t u[pkt_batch::capacity];
    uint16_t k = 0;
    for (uint16_t i = 0; i < n && k < pkt_batch::capacity; ++i)
        if (nh[i] != miss && (k == 0 || nh[i] != u[k - 1])) {
            nhs.prefetch_slot(nh[i]);
            u[k++] = nh[i];
        }
    for (uint16_t i = 0; i < k; ++i) __builtin_prefetch(nhs.get(u[i]));
    ifindex_t ix[pkt_batch::capacity];
    uint16_t m = 0;
    for (uint16_t i = 0; i < k; ++i)
        if (const nexthop* x = nhs.get(u[i])) ix[m++] = x->ifindex;
    prefetch_ifs_all(c, ix, m, sizeof(ifindex_t));
}

void stack::impl::poll(lcore_ctx& c) noexcept {
    c.now_ns = lcore_now(c);
    lcore_ctx::bump(c.polls);
    uint64_t got = 0;
    mbuf* pkts[pkt_batch::capacity];
    // RX queue q is polled by the one lcore the queue map names (intrctl).
    if (const uint64_t gen = ifs.generation(); gen != c.rxq_gen) [[unlikely]]
        rxq_rebuild(c, gen);
    for (const rxq_ref& r : c.rxqs) {
        const uint16_t n = r.p->rx_burst(r.q, pkts, pkt_batch::capacity);
        if (n == 0) continue;
        ifnet& ifp = *r.ifp;
        got += n;
        ifp.count_rxq(r.q, n);
        uint64_t bytes = 0;
        for (uint16_t i = 0; i < n; ++i) bytes += pkt_len(pkts[i]);
        ifp.count(c.idx, if_counter::ipackets, n);
        ifp.count(c.idx, if_counter::ibytes, bytes);
        if (!ifp.is_up()) {
            for (uint16_t i = 0; i < n; ++i) drop(c, pkts[i], drop_reason::if_down);
            continue;
        }
        if_input(c, ifp, pkts, n);
        if (c.defer_n) [[unlikely]]
            defer_drain(c);  // a burst's tunnel packets at most: the queue never fills from one
    }
    // Poll sources: modules' work of their own (their work keeps the lcore awake).
    for (const poll_entry& ps : poll_sources) got += ps.fn(c, ps.arg);
    if (c.defer_n) [[unlikely]]
        defer_drain(c);  // what a poll source's packets handed back
    if (got)
        lcore_ctx::bump(c.rx_pkts, got);
    else
        lcore_ctx::bump(c.idle_polls);
    tx_flush(c);
    tx_kick(c);
}

void stack::impl::if_input(lcore_ctx& c, ifnet& ifp, mbuf** pkts, uint16_t n) noexcept {
    // A module's takeover first (a bridge member); then Ethernet inline, and
    // every other kind through its input operation.
    if (const if_hook_ops* h = ifp.hook()) [[unlikely]]
        return h->input(c, ifp, pkts, n, h->arg);
    if (auto in = ifp.kind_input())
        in(c, ifp, pkts, n, ifp.kind().arg);
    else
        ether_input(c, ifp, pkts, n);
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
    if (n4) in4->ip4_input(c, ifp, ip4, n4);
    if (n6) in6->ip6_input(c, ifp, ip6, n6);
    // One call per registrant with its frames of the burst, in arrival order.
    pkt_for_each_group(other, other_h, no, [&](uint8_t h, mbuf** grp, uint16_t ng) {
        ethertypes[h].fn(c, ifp, grp, ng, ethertypes[h].arg);
    });
}

void stack::impl::ip_input(lcore_ctx& c, ifnet& ifp, mbuf** pkts, uint16_t n) noexcept {
    mbuf* v4[pkt_batch::capacity];
    mbuf* v6[pkt_batch::capacity];
    uint16_t n4 = 0, n6 = 0;
    for (uint16_t i = 0; i < n; ++i) {
        const bool six = pkt_head_len(pkts[i]) > 0 && (pkt_data(pkts[i])[0] >> 4) == 6;
        (six ? v6[n6++] : v4[n4++]) = pkts[i];
    }
    if (n4) in4->ip4_input(c, ifp, v4, n4);
    if (n6) in6->ip6_input(c, ifp, v6, n6);
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
    if (const if_hook_ops* h = ifp.hook()) [[unlikely]]
        return h->output(c, ifp, m, h->arg);
    port_transmit(c, ifp, m);
}

void stack::impl::port_transmit(lcore_ctx& c, ifnet& ifp, mbuf* m) noexcept {
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
    if (r.guest_waiting) [[unlikely]]
        tx_guest_wait(c, ifp);
}

void stack::impl::tx_guest_wait(lcore_ctx& c, ifnet& ifp) noexcept {
    tx_layer* t = ifp.txl();
    const int w = t->guest_owner();
    if (w < 0 || static_cast<unsigned>(w) >= cfg.workers) return;
    if (!running.load(std::memory_order_acquire)) {
        // Stepped mode (or the workers stopped): the caller is the only
        // thread, so it may send on the worker's queue itself.
        tx_result r;
        t->kick_owned(static_cast<unsigned>(w), r);
        return tx_account(c, ifp, r);
    }
    // Pairs with the worker's store of `sleeping` and its look at tx_guest
    // before it sleeps: either it sees the flag, or we see it asleep.
    lcore_ctx& o = *lcores[static_cast<unsigned>(w)];
    o.tx_guest.store(true, std::memory_order_release);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (o.sleeping.load(std::memory_order_relaxed)) wake(static_cast<unsigned>(w));
}

void stack::impl::tx_kick(lcore_ctx& c, unsigned lane) noexcept {
    // The lane's own lcore also sends the control plane's frames waiting on
    // the guest rings of its queues; another lcore only drains shared queues.
    const bool own = lane == c.idx;
    const bool guest = own && c.tx_guest.load(std::memory_order_relaxed) &&
                       c.tx_guest.exchange(false, std::memory_order_acq_rel);
    if (!guest && shared_txqs.load(std::memory_order_relaxed) == 0) return;
    ifs.for_each_port([&](ifnet& ifp) {
        tx_layer* t = ifp.txl();
        if (!t || !(t->has_shared() || (guest && t->guest_owner() == static_cast<int>(lane)))) return;
        tx_result r;
        if (own)
            t->kick_owned(lane, r);
        else
            t->kick(lane, r);
        tx_account(c, ifp, r);
    });
}

uint32_t stack::impl::tx_pending(lcore_ctx& c) const noexcept {
    if (shared_txqs.load(std::memory_order_relaxed) == 0) return 0;
    uint32_t n = 0;
    ifs.for_each_port([&](ifnet& ifp) {
        if (const tx_layer* t = ifp.txl(); t && t->has_shared()) n += t->pending(c.idx);
    });
    return n;
}

void stack::impl::tx_enqueue(lcore_ctx& c, ifnet& ifp, mbuf* m) noexcept {
    const uint16_t i = ifp.port_slot();
    pkt_batch& b = c.tx[i];
    if (b.empty()) {
        c.tx_ifp[i] = &ifp;
        // Listed once per iteration: the list never outgrows its reserved
        // port_if_max entries, so it never allocates here.
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

void stack::impl::defer_push(lcore_ctx& c, mbuf* m, ifindex_t ifindex, lcore_ctx::defer_op op) noexcept {
    if (c.defer_n == limits::defer_max) [[unlikely]]
        return drop(c, m, drop_reason::defer_queue_full);
    c.defer_q[c.defer_n++] = {m, ifindex, op};
}

void stack::impl::defer_drain(lcore_ctx& c) noexcept {
    if (c.draining) return;
    c.draining = true;
    using op = lcore_ctx::defer_op;
    lcore_ctx::deferred q[limits::defer_max];
    mbuf* grp[pkt_batch::capacity];
    // One level at a time: what this level hands back is the next one's.
    for (unsigned depth = 1; c.defer_n; ++depth) {
        const uint16_t n = c.defer_n;
        std::copy_n(c.defer_q.begin(), n, q);
        c.defer_n = 0;
        if (depth > limits::tunnel_nest_max) {
            for (uint16_t i = 0; i < n; ++i) drop(c, q[i].m, drop_reason::tunnel_nest_limit);
            continue;
        }
        c.nest = static_cast<uint8_t>(depth);
        // Up to a batch at a time: outputs in arrival order, and inputs as
        // one burst per (operation, interface), in arrival order within it,
        // however the interfaces interleave (many tunnels, random traffic).
        for (uint16_t base = 0; base < n; base = static_cast<uint16_t>(base + pkt_batch::capacity)) {
            const uint16_t end = static_cast<uint16_t>(std::min<unsigned>(n, base + pkt_batch::capacity));
            uint32_t keys[pkt_batch::capacity];
            uint16_t ng = 0;
            for (uint16_t i = base; i < end; ++i) {
                mbuf* m = q[i].m;
                if (q[i].op != op::output) {
                    grp[ng] = m;
                    keys[ng++] = uint32_t(q[i].op) << 24 | q[i].ifindex;  // ifindex < 2^24
                } else if ((pkt_data(m)[0] >> 4) == 6) {
                    in6->ip6_route_output(c, m, 0);
                } else {
                    in4->ip4_route_output(c, m, ip4_addr(pkt_header<ip4_hdr>(m)->dst.get()));
                }
            }
            pkt_for_each_group(grp, keys, ng, [&](uint32_t key, mbuf** g, uint16_t k) {
                ifnet* ifp = ifs.lookup(key & 0xffffff);
                if (!ifp) {
                    for (uint16_t j = 0; j < k; ++j) drop(c, g[j], drop_reason::if_gone);
                } else if (static_cast<op>(key >> 24) == op::ip_input) {
                    ip_input(c, *ifp, g, k);
                } else {
                    if_input(c, *ifp, g, k);
                }
            });
        }
    }
    c.nest = 0;
    c.draining = false;
}

void stack::impl::tx_flush(lcore_ctx& c) noexcept {
    if (c.defer_n) [[unlikely]]
        defer_drain(c);
    for (uint16_t i : c.tx_dirty) {
        pkt_batch& b = c.tx[i];
        if (!b.empty()) tx_burst(c, *c.tx_ifp[i], b);
        c.tx_listed[i] = 0;
    }
    c.tx_dirty.clear();
}

void stack::impl::punt_to_control(lcore_ctx& c, mbuf* m, uint16_t kind, ifindex_t ifindex, uint32_t aux) noexcept {
    // Each kind and each interface may have only its share of the ring in
    // flight: a flood of ARP, or from one port, never crowds out the rest.
    // (The counts are a bound, not a ledger: racing workers may pass a share
    // by one each.)
    std::atomic<uint32_t>& k = punt_inflight_kind[kind % limits::punt_kinds_max];
    std::atomic<uint32_t>& f = punt_inflight_if[ifindex % limits::ifnet_max];
    if (k.load(std::memory_order_relaxed) >= limits::punt_per_kind_max)
        return drop(c, m, drop_reason::punt_kind_share);
    if (f.load(std::memory_order_relaxed) >= limits::punt_per_if_max) return drop(c, m, drop_reason::punt_if_share);
    meta(m) = pkt_meta{ifindex, kind, aux};
    k.fetch_add(1, std::memory_order_relaxed);
    f.fetch_add(1, std::memory_order_relaxed);
    if (!punt.enqueue(m)) {
        k.fetch_sub(1, std::memory_order_relaxed);
        f.fetch_sub(1, std::memory_order_relaxed);
        return drop(c, m, drop_reason::punt_ring_full);
    }
    wake_control();
}

bool stack::impl::notify(const module_notice& n) noexcept {
    if (!notices.enqueue(n)) return false;
    wake_control();
    return true;
}

}  // namespace mpnet
