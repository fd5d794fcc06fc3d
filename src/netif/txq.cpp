// SPDX-License-Identifier: BSD-2-Clause
// The TX queue layer (see txq.hpp).
#include "mpnet/netif/txq.hpp"

#include <algorithm>

#include "mpnet/core/limits.hpp"

namespace mpnet {

const char* tx_regime_name(tx_regime r) noexcept {
    switch (r) {
        case tx_regime::per_lcore:
            return "per-lcore";
        case tx_regime::per_worker:
            return "per-worker";
        case tx_regime::shared:
            return "shared";
        case tx_regime::spread:
            return "spread";
    }
    return "?";
}

result<std::unique_ptr<tx_layer>> tx_layer::create(port* p, unsigned lcores, unsigned softq_size) {
    const unsigned nq = p->tx_queues();
    if (nq == 0 || lcores == 0 || lcores > limits::lcore_max + 1) return errc::inval;
    std::unique_ptr<tx_layer> t(new tx_layer());
    t->p_ = p;
    t->mt_safe_ = p->tx_mt_safe();
    // Fewer queues than lcores: the control plane (the last lcore) becomes a
    // guest and the queues are the workers' alone.
    const unsigned workers = lcores - 1;
    const bool guest = !t->mt_safe_ && workers > 0 && nq < lcores;
    const unsigned senders = guest ? workers : lcores;
    if (nq > lcores)
        t->regime_ = tx_regime::spread;
    else if (nq == lcores)
        t->regime_ = tx_regime::per_lcore;
    else
        t->regime_ = guest && nq == workers ? tx_regime::per_worker : tx_regime::shared;
    for (unsigned q = 0; q < nq; ++q) {
        t->q_.push_back(std::make_unique<txq>());
        t->q_.back()->id = static_cast<uint16_t>(q);
    }
    t->lanes_.resize(lcores);
    for (unsigned i = 0; i < senders; ++i) {
        lane& l = t->lanes_[i];
        if (nq <= senders) {
            l.first = static_cast<uint16_t>(i % nq);
            l.count = 1;
        } else {
            l.first = static_cast<uint16_t>(i);
            l.stride = static_cast<uint16_t>(senders);
            l.count = static_cast<uint16_t>((nq - i + senders - 1) / senders);
        }
        for (uint16_t k = 0; k < l.count; ++k) {
            auto& users = t->q_[l.first + k * l.stride]->users;
            l.slot = static_cast<uint16_t>(users.size());
            users.push_back(i);
        }
    }
    for (auto& q : t->q_) {
        if (q->users.size() <= 1 || t->mt_safe_) continue;
        for (size_t u = 0; u < q->users.size(); ++u) {
            q->softq.push_back(std::make_unique<pkt_ring>());
            if (!q->softq.back()->init("txsq", softq_size)) return errc::nomem;
        }
        t->any_shared_ = true;
    }
    if (guest) {
        lane& l = t->lanes_[workers];
        l.first = static_cast<uint16_t>(workers % nq);
        l.count = 1;
        l.guest = true;
        txq& q = *t->q_[l.first];
        q.guest = std::make_unique<pkt_ring>();
        if (!q.guest->init("txgq", softq_size)) return errc::nomem;
        t->guest_ = &q;
        t->guest_owner_ = q.shared() ? -1 : static_cast<int>(q.users.front());
    }
    return t;
}

tx_layer::~tx_layer() {
    mbuf* m[32];
    auto empty = [&](pkt_ring& ring) {
        while (unsigned n = ring.dequeue(m, 32))
            for (unsigned i = 0; i < n; ++i) pkt_free(m[i]);
    };
    for (auto& q : q_) {
        for (auto& ring : q->softq) empty(*ring);
        if (q->guest) empty(*q->guest);
    }
}

uint32_t tx_layer::txq::queued() const noexcept {
    uint32_t n = guest ? guest->count() : 0;
    for (const auto& ring : softq) n += ring->count();
    return n;
}

void tx_layer::send_direct(txq& q, mbuf** pkts, uint16_t n, tx_result& r) noexcept {
    // Lengths first: once sent, a packet belongs to the port (a software peer
    // may already have freed it).
    uint32_t len[pkt_batch::capacity];
    uint16_t done = 0;
    while (done < n) {
        const uint16_t k = static_cast<uint16_t>(std::min<size_t>(n - done, pkt_batch::capacity));
        for (uint16_t i = 0; i < k; ++i) len[i] = pkt_len(pkts[done + i]);
        const uint16_t sent = p_->tx_burst(q.id, pkts + done, k);
        for (uint16_t i = 0; i < sent; ++i) r.bytes += len[i];
        r.sent += sent;
        q.packets.fetch_add(sent, std::memory_order_relaxed);
        if (sent < k) {
            r.refused += k - sent;
            q.refused.fetch_add(k - sent, std::memory_order_relaxed);
            for (uint16_t i = sent; i < k; ++i) pkt_free(pkts[done + i]);
        }
        done = static_cast<uint16_t>(done + k);
    }
}

void tx_layer::drain(txq& q, tx_result& r) noexcept {
    // The queue's only sender now: a shared queue's try-lock holder, or an
    // unshared queue's worker. Each ring (a sharing worker's, the guest's) is
    // bounded by what it holds now (a sender that keeps adding is served by
    // the next pass of the caller's loop); the rings are taken in turn a
    // batch at a time, so one busy sender does not hold the others back.
    mbuf* m[pkt_batch::capacity];
    pkt_ring* rings[limits::lcore_max + 2];  // users <= workers, and the guest
    uint32_t budget[limits::lcore_max + 2];
    size_t nr = 0;
    for (auto& ring : q.softq) rings[nr++] = ring.get();
    if (q.guest) rings[nr++] = q.guest.get();
    bool more = false;
    for (size_t u = 0; u < nr; ++u) more |= (budget[u] = rings[u]->count()) != 0;
    while (more) {
        more = false;
        for (size_t u = 0; u < nr; ++u) {
            if (budget[u] == 0) continue;
            const unsigned n = rings[u]->dequeue(m, std::min<uint32_t>(budget[u], pkt_batch::capacity));
            budget[u] = n == 0 ? 0 : budget[u] - std::min<uint32_t>(budget[u], n);
            more |= budget[u] != 0;
            if (n) send_direct(q, m, static_cast<uint16_t>(n), r);
        }
    }
    q.drains.fetch_add(1, std::memory_order_relaxed);
}

void tx_layer::drain_contended(txq& q, tx_result& r) noexcept {
    // Drain while we win the try-lock and packets wait. Releasing and looking
    // again closes the window in which a sender enqueued after our last
    // dequeue and lost the try-lock to us. A few rounds at most: a holder that
    // keeps losing the race to new senders leaves the rest to them.
    for (int round = 0; round < 4; ++round) {
        std::atomic_thread_fence(std::memory_order_seq_cst);
        if (q.queued() == 0) return;
        if (q.busy.exchange(true, std::memory_order_acquire)) {
            q.contended.fetch_add(1, std::memory_order_relaxed);
            return;  // the holder looks again after it lets go
        }
        drain(q, r);
        q.busy.store(false, std::memory_order_release);
    }
}

void tx_layer::send_shared(txq& q, uint16_t slot, mbuf** pkts, uint16_t n, tx_result& r) noexcept {
    const unsigned in = q.softq[slot]->enqueue_sp(pkts, n);
    if (in < n) {
        r.softq_full += n - in;
        q.softq_drops.fetch_add(n - in, std::memory_order_relaxed);
        for (unsigned i = in; i < n; ++i) pkt_free(pkts[i]);
    }
    drain_contended(q, r);
}

void tx_layer::send_guest(txq& q, mbuf** pkts, uint16_t n, tx_result& r) noexcept {
    const unsigned in = q.guest->enqueue_sp(pkts, n);
    if (in < n) {
        r.softq_full += n - in;
        q.softq_drops.fetch_add(n - in, std::memory_order_relaxed);
        for (unsigned i = in; i < n; ++i) pkt_free(pkts[i]);
    }
    // A shared queue: like any sharer, through the try-lock. An unshared
    // one: its worker sends them (the caller makes sure it looks).
    if (q.shared())
        drain_contended(q, r);
    else
        r.guest_waiting += q.guest->count();
}

void tx_layer::transmit(unsigned lcore, mbuf** pkts, uint16_t n, tx_result& r) noexcept {
    if (n == 0) return;
    const lane& l = lanes_[lcore];
    if (l.count == 1) {
        txq& q = *q_[l.first];
        if (l.guest) [[unlikely]]
            return send_guest(q, pkts, n, r);
        return q.shared() ? send_shared(q, l.slot, pkts, n, r) : send_direct(q, pkts, n, r);
    }
    // Spread: group the batch by flow hash over this lcore's queues, keeping
    // each flow's packets in order within its group.
    mbuf* group[pkt_batch::capacity];
    uint16_t which[pkt_batch::capacity];
    uint16_t done = 0;
    while (done < n) {
        const uint16_t k = static_cast<uint16_t>(std::min<size_t>(n - done, pkt_batch::capacity));
        for (uint16_t i = 0; i < k; ++i) which[i] = static_cast<uint16_t>(pkt_flow_hash(pkts[done + i]) % l.count);
        for (uint16_t g = 0; g < l.count; ++g) {
            uint16_t gn = 0;
            for (uint16_t i = 0; i < k; ++i)
                if (which[i] == g) group[gn++] = pkts[done + i];
            if (gn) send_direct(*q_[l.first + g * l.stride], group, gn, r);
        }
        done = static_cast<uint16_t>(done + k);
    }
}

void tx_layer::kick(unsigned lcore, tx_result& r) noexcept {
    const lane& l = lanes_[lcore];
    for (uint16_t k = 0; k < l.count; ++k) {
        txq& q = *q_[l.first + k * l.stride];
        if (!q.shared() || q.queued() == 0) continue;
        if (q.busy.exchange(true, std::memory_order_acquire)) continue;
        drain(q, r);
        q.busy.store(false, std::memory_order_release);
    }
}

void tx_layer::kick_owned(unsigned lcore, tx_result& r) noexcept {
    kick(lcore, r);
    // guest_owner_: the one worker whose unshared queue hosts the guest ring.
    if (guest_owner_ == static_cast<int>(lcore) && guest_->guest->count()) drain(*guest_, r);
}

uint32_t tx_layer::pending(unsigned lcore) const noexcept {
    const lane& l = lanes_[lcore];
    uint32_t n = 0;
    for (uint16_t k = 0; k < l.count; ++k) {
        const txq& q = *q_[l.first + k * l.stride];
        n += q.queued();
    }
    return n;
}

std::vector<txq_info> tx_layer::info() const {
    std::vector<txq_info> v;
    for (const auto& q : q_) {
        txq_info i;
        i.queue = q->id;
        i.lcores = q->users;
        i.shared = q->shared();
        i.guest = q->guest != nullptr;
        i.packets = q->packets.load(std::memory_order_relaxed);
        i.refused = q->refused.load(std::memory_order_relaxed);
        i.softq_drops = q->softq_drops.load(std::memory_order_relaxed);
        i.contended = q->contended.load(std::memory_order_relaxed);
        i.drains = q->drains.load(std::memory_order_relaxed);
        i.softq_len = q->queued();
        v.push_back(std::move(i));
    }
    return v;
}

}  // namespace mpnet
