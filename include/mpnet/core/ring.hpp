// SPDX-License-Identifier: BSD-2-Clause
// Bounded hand-over rings between lcores (DPDK rte_ring): packets, and small
// fixed-size messages.
//
// Locking notes: multi-producer (any worker) / single-consumer (the control
// plane). Enqueue is the release and dequeue the acquire that hand ownership
// of a packet from one lcore to another. A full ring refuses: the producer
// counts the drop; nothing ever blocks.
#pragma once

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <cstdint>
#include <string_view>
#include <type_traits>

#include "mpnet/core/packet.hpp"
#include "mpnet/core/result.hpp"

namespace mpnet {

namespace detail {
rte_ring* ring_create(std::string_view name, unsigned esize, unsigned count) noexcept;
void ring_free(rte_ring* r) noexcept;
}  // namespace detail

/// A ring of fixed-size messages of type T (trivially copyable, size a
/// multiple of 4 bytes as rte_ring_elem requires).
// sizeof(T) with T = mbuf* is the element size of a pointer ring, on purpose.
// NOLINTBEGIN(bugprone-sizeof-expression)
template <typename T>
class msg_ring {
    static_assert(std::is_trivially_copyable_v<T> && sizeof(T) % 4 == 0);

public:
    msg_ring() = default;
    msg_ring(const msg_ring&) = delete;
    msg_ring& operator=(const msg_ring&) = delete;
    ~msg_ring() { detail::ring_free(r_); }

    /// Control plane: `count` is rounded up to a power of two by DPDK's
    /// RING_F_EXACT_SZ, so the usable capacity is exactly `count`.
    status init(std::string_view name, unsigned count) noexcept {
        r_ = detail::ring_create(name, sizeof(T), count);
        return r_ ? status{} : status{errc::nomem};
    }
    /// Any producer. Returns how many were enqueued (the caller drops the rest).
    unsigned enqueue(const T* objs, unsigned n) noexcept {
        return rte_ring_mp_enqueue_burst_elem(r_, objs, sizeof(T), n, nullptr);
    }
    bool enqueue(const T& obj) noexcept { return enqueue(&obj, 1) == 1; }
    /// The only producer (a single-producer ring: no producer ever waits for
    /// another one that was preempted between reserving and publishing).
    unsigned enqueue_sp(const T* objs, unsigned n) noexcept {
        return rte_ring_sp_enqueue_burst_elem(r_, objs, sizeof(T), n, nullptr);
    }
    /// The single consumer.
    unsigned dequeue(T* objs, unsigned n) noexcept {
        return rte_ring_sc_dequeue_burst_elem(r_, objs, sizeof(T), n, nullptr);
    }
    unsigned count() const noexcept { return rte_ring_count(r_); }
    unsigned capacity() const noexcept { return rte_ring_get_capacity(r_); }

private:
    rte_ring* r_ = nullptr;
};

// NOLINTEND(bugprone-sizeof-expression)

/// A ring of packets.
using pkt_ring = msg_ring<mbuf*>;
static_assert(sizeof(mbuf*) % 4 == 0);

}  // namespace mpnet
