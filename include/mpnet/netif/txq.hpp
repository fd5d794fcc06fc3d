// SPDX-License-Identifier: BSD-2-Clause
// The TX queue layer: if_transmit(ifp, batch) from any lcore, never a shared
// interface send queue. Lcore i (workers 0..W-1, the control plane W) maps to
// the port's TX queues by one of four regimes, fixed when the interface is
// attached:
// - queues == lcores: lcore i owns queue i and sends lock-free (per-lcore);
// - queues == workers: worker i owns queue i and sends lock-free; the control
//   plane is a guest of queue W % Q (per-worker, below);
// - queues <  workers: worker i uses queue i % Q. A queue used by one worker
//   is still lock-free; a queue several workers share has a bounded soft
//   queue made of one single-producer ring per sharing worker: a sender
//   enqueues its batch on its own ring, then drains all the queue's rings
//   into the port only if it wins the queue's try-lock (NetBSD wm's pcq +
//   tryenter), so no lcore ever spins on TX. One ring per sender rather than
//   one multi-producer ring: an MP rte_ring makes a producer wait for an
//   earlier one to publish, and on an oversubscribed CPU that earlier one may
//   be preempted for a whole time slice (shared);
// - queues >  lcores: lcore i owns queues i, i+L, i+2L, ... and spreads flows
//   over them by flow hash (RSS hash when the NIC gave one), so a flow keeps
//   its queue and its order (spread).
// The control plane as a guest: whenever there are fewer queues than lcores,
// the control plane owns no queue and is no user of one. Its frames (ARP, ND,
// ICMP: a trickle) go onto a single-producer guest ring of queue W % Q, which
// the queue's worker drains into the port itself, between its own bursts
// (kick_owned), or, on a queue several workers share, whoever holds the
// try-lock. So one control-plane frame never turns a one-worker port into a
// shared queue with a soft queue and a try-lock on every burst. The caller
// (the stack) wakes the owner when a guest frame waits (guest_owner).
// A port whose tx_burst is safe from several threads at once (port::tx_mt_safe)
// is called directly in every regime and has no guest. Whatever the port or
// a soft queue refuses is freed and reported to the caller, who counts it.
//
// Locking notes:
// - The map is immutable after construction; the layer lives as long as its
//   ifnet (destroyed after the ifnet's drain, so no sender is inside).
// - A shared queue's try-lock is an atomic flag: its holder is the only
//   thread calling tx_burst on that queue and the only consumer of its soft
//   queue's rings (each ring has one producer, its lcore). After releasing
//   it the holder looks at the soft queue again, so a batch enqueued by a
//   sender that lost the try-lock is never stranded.
// - An unshared queue's only tx_burst caller is its worker; the guest ring's
//   consumer is that worker (kick_owned), its producer the control plane.
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
/// `softq_full` because the shared queue's soft queue (or the guest ring) was.
/// `guest_waiting`: the control plane's frames wait on an unshared queue's
/// guest ring for its worker (guest_owner) to send them.
struct tx_result {
    uint32_t sent = 0;
    uint64_t bytes = 0;
    uint32_t refused = 0;
    uint32_t softq_full = 0;
    uint32_t guest_waiting = 0;
};

enum class tx_regime : uint8_t { per_lcore, per_worker, shared, spread };
const char* tx_regime_name(tx_regime r) noexcept;

/// One TX queue as `intrctl`/`show` report it.
struct txq_info {
    uint16_t queue = 0;
    std::vector<unsigned> lcores;  // lcore indexes that send on it (workers, or the control plane's own)
    bool shared = false;           // through a soft queue and try-lock
    bool guest = false;            // the control plane's frames go through its guest ring
    uint64_t packets = 0, refused = 0, softq_drops = 0, contended = 0, drains = 0;
    uint32_t softq_len = 0;
};

class tx_layer {
public:
    /// Control plane. `lcores` senders (workers + the control plane, the
    /// last) on the port's queues; `softq_size` bounds each sender's ring of
    /// a shared queue's soft queue, and the guest ring.
    static result<std::unique_ptr<tx_layer>> create(port* p, unsigned lcores, unsigned softq_size);
    tx_layer(const tx_layer&) = delete;
    tx_layer& operator=(const tx_layer&) = delete;
    ~tx_layer();

    /// Any lcore: sends `n` packets (ownership passes in every case).
    void transmit(unsigned lcore, mbuf** pkts, uint16_t n, tx_result& r) noexcept;
    /// Any lcore: drains the shared queues `lcore` uses when they hold
    /// packets and their try-lock is free (another lcore may call it for
    /// `lcore`, as a queue move does).
    void kick(unsigned lcore, tx_result& r) noexcept;
    /// Lcore `lcore` itself (or the only thread, the lcores stopped), end of
    /// a poll iteration: kick, and send what waits on the guest ring of an
    /// unshared queue it owns.
    void kick_owned(unsigned lcore, tx_result& r) noexcept;
    /// Packets waiting in soft queues (and guest rings) `lcore` uses.
    uint32_t pending(unsigned lcore) const noexcept;
    bool has_shared() const noexcept { return any_shared_; }
    bool has_guest() const noexcept { return guest_ != nullptr; }
    /// The worker that sends the guest ring's frames (an unshared guest
    /// queue's owner); -1 when none has to (no guest, or a shared queue, whose
    /// try-lock holder drains it).
    int guest_owner() const noexcept { return guest_owner_; }

    tx_regime regime() const noexcept { return regime_; }
    uint16_t queues() const noexcept { return static_cast<uint16_t>(q_.size()); }
    std::vector<txq_info> info() const;

private:
    struct alignas(64) txq {
        uint16_t id = 0;
        std::atomic<bool> busy{false};  // the try-lock (shared queues only)
        std::vector<std::unique_ptr<pkt_ring>> softq;  // shared queues: one SP ring per user
        std::unique_ptr<pkt_ring> guest;                // the control plane's ring (its guest queue only)
        std::vector<unsigned> users;
        bool shared() const noexcept { return !softq.empty(); }
        uint32_t queued() const noexcept;
        std::atomic<uint64_t> packets{0}, refused{0}, softq_drops{0}, contended{0}, drains{0};
    };
    struct lane {  // one lcore's queues: first, first + stride, ...
        uint16_t first = 0, count = 1, stride = 1;
        uint16_t slot = 0;   // its ring in a shared queue (count == 1 there)
        bool guest = false;  // the control plane as a guest of queue `first`
    };
    tx_layer() = default;
    void send_direct(txq& q, mbuf** pkts, uint16_t n, tx_result& r) noexcept;
    void send_shared(txq& q, uint16_t slot, mbuf** pkts, uint16_t n, tx_result& r) noexcept;
    void send_guest(txq& q, mbuf** pkts, uint16_t n, tx_result& r) noexcept;
    void drain(txq& q, tx_result& r) noexcept;
    /// Try-lock holder of a shared queue: drains until nothing waits, a few rounds at most.
    void drain_contended(txq& q, tx_result& r) noexcept;

    port* p_ = nullptr;
    bool mt_safe_ = false;
    bool any_shared_ = false;
    txq* guest_ = nullptr;  // the queue the control plane is a guest of
    int guest_owner_ = -1;
    tx_regime regime_ = tx_regime::per_lcore;
    std::vector<std::unique_ptr<txq>> q_;
    std::vector<lane> lanes_;  // per lcore
};

}  // namespace mpnet
