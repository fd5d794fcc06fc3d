// SPDX-License-Identifier: BSD-2-Clause
// The TX queue layer: if_transmit(ifp, batch) from any lcore, never a shared
// interface send queue. Lcore i (workers 0..W-1, the control plane W) maps to
// the port's TX queues by one of three regimes, fixed when the interface is
// attached:
// - queues == lcores: lcore i owns queue i and sends lock-free;
// - queues <  lcores: lcore i uses queue i % Q. A queue used by one lcore is
//   still lock-free; a queue several lcores share has a bounded soft queue
//   made of one single-producer ring per sharing lcore: a sender enqueues its
//   batch on its own ring, then drains all the queue's rings into the port
//   only if it wins the queue's try-lock (NetBSD wm's pcq + tryenter), so no
//   lcore ever spins on TX. One ring per sender rather than one
//   multi-producer ring: an MP rte_ring makes a producer wait for an earlier
//   one to publish, and on an oversubscribed CPU that earlier one may be
//   preempted for a whole time slice;
// - queues >  lcores: lcore i owns queues i, i+L, i+2L, ... and spreads flows
//   over them by flow hash (RSS hash when the NIC gave one), so a flow keeps
//   its queue and its order.
// A port whose tx_burst is safe from several threads at once (port::tx_mt_safe)
// is called directly in every regime. Whatever the port or the soft queue
// refuses is freed and reported to the caller, who counts it.
//
// Locking notes:
// - The map is immutable after construction; the layer lives as long as its
//   ifnet (destroyed after the ifnet's drain, so no sender is inside).
// - A shared queue's try-lock is an atomic flag: its holder is the only
//   thread calling tx_burst on that queue and the only consumer of its soft
//   queue's rings (each ring has one producer, its lcore). After releasing it the holder looks at the soft queue again, so a
//   batch enqueued by a sender that lost the try-lock is never stranded.
// - Counters are relaxed atomics (several lcores add to a shared queue's).
// Lock order: a queue's try-lock is a leaf; it is never waited for.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mpnet/core/packet.hpp"
#include "mpnet/core/result.hpp"
#include "mpnet/core/ring.hpp"
#include "mpnet/netif/port.hpp"

namespace mpnet {

/// What one transmit (or drain) did. Packets counted in `sent` belong to the
/// port; `refused` were freed because the port's queue was full,
/// `softq_full` because the shared queue's soft queue was.
struct tx_result {
    uint32_t sent = 0;
    uint64_t bytes = 0;
    uint32_t refused = 0;
    uint32_t softq_full = 0;
};

enum class tx_regime : uint8_t { per_lcore, shared, spread };
const char* tx_regime_name(tx_regime r) noexcept;

/// One TX queue as `intrctl`/`show` report it.
struct txq_info {
    uint16_t queue = 0;
    std::vector<unsigned> lcores;  // lcore indexes that send on it
    bool shared = false;           // through a soft queue and try-lock
    uint64_t packets = 0, refused = 0, softq_drops = 0, contended = 0, drains = 0;
    uint32_t softq_len = 0;
};

class tx_layer {
public:
    /// Control plane. `lcores` senders (workers + the control plane) on the
    /// port's queues; `softq_size` bounds each sender's ring of a shared
    /// queue's soft queue.
    static result<std::unique_ptr<tx_layer>> create(port* p, unsigned lcores, unsigned softq_size);
    tx_layer(const tx_layer&) = delete;
    tx_layer& operator=(const tx_layer&) = delete;
    ~tx_layer();

    /// Any lcore: sends `n` packets (ownership passes in every case).
    void transmit(unsigned lcore, mbuf** pkts, uint16_t n, tx_result& r) noexcept;
    /// Any lcore, end of a poll iteration: drains the shared queues `lcore`
    /// uses when they hold packets and their try-lock is free.
    void kick(unsigned lcore, tx_result& r) noexcept;
    /// Packets waiting in soft queues `lcore` uses.
    uint32_t pending(unsigned lcore) const noexcept;
    bool has_shared() const noexcept { return any_shared_; }

    tx_regime regime() const noexcept { return regime_; }
    uint16_t queues() const noexcept { return static_cast<uint16_t>(q_.size()); }
    std::vector<txq_info> info() const;

private:
    struct alignas(64) txq {
        uint16_t id = 0;
        std::atomic<bool> busy{false};  // the try-lock (shared queues only)
        std::vector<std::unique_ptr<pkt_ring>> softq;  // shared queues: one SP ring per user
        std::vector<unsigned> users;
        bool shared() const noexcept { return !softq.empty(); }
        uint32_t queued() const noexcept;
        std::atomic<uint64_t> packets{0}, refused{0}, softq_drops{0}, contended{0}, drains{0};
    };
    struct lane {  // one lcore's queues: first, first + stride, ...
        uint16_t first = 0, count = 1, stride = 1;
        uint16_t slot = 0;  // its ring in a shared queue (count == 1 there)
    };
    tx_layer() = default;
    void send_direct(txq& q, mbuf** pkts, uint16_t n, tx_result& r) noexcept;
    void send_shared(txq& q, uint16_t slot, mbuf** pkts, uint16_t n, tx_result& r) noexcept;
    void drain(txq& q, tx_result& r) noexcept;

    port* p_ = nullptr;
    bool mt_safe_ = false;
    bool any_shared_ = false;
    tx_regime regime_ = tx_regime::per_lcore;
    std::vector<std::unique_ptr<txq>> q_;
    std::vector<lane> lanes_;  // per lcore
};

}  // namespace mpnet
