// SPDX-License-Identifier: BSD-2-Clause
// The packet handle over rte_mbuf, per-packet metadata, and fixed-capacity batches.
//
// This and drivers/ are the only places that include DPDK headers; the rest of
// mpnet speaks rte_mbuf* through these helpers.
//
// Locking notes: a packet is owned by exactly one lcore at a time (the one that
// holds the pointer); hand-over between lcores goes through rte_ring, whose
// enqueue/dequeue are the release/acquire points. The metadata dynfield offset
// is registered once per process before any stack exists and read-only after.
#pragma once

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mpnet/core/addr.hpp"
#include "mpnet/core/limits.hpp"
#include "mpnet/core/result.hpp"

namespace mpnet {

using mbuf = rte_mbuf;

/// What the pipeline records about a packet beyond its bytes.
struct pkt_meta {
    ifindex_t ifindex;    // ingress interface (RX) or egress interface (hand-over)
    uint16_t punt_kind;  // why the packet was handed to the control plane
    uint32_t aux;        // punt-specific: e.g. the IPv4 nexthop to resolve (host order)
};
static_assert(sizeof(pkt_meta) <= 16);

/// Registers the metadata dynfield. Called once after EAL init (drivers/eal does
/// it); later calls are no-ops. Returns errc::nospc when DPDK has no room left.
status pkt_meta_register() noexcept;

namespace detail {
extern int pkt_meta_offset;
}

inline pkt_meta& meta(mbuf* m) noexcept { return *RTE_MBUF_DYNFIELD(m, detail::pkt_meta_offset, pkt_meta*); }

inline uint8_t* pkt_data(mbuf* m) noexcept { return rte_pktmbuf_mtod(m, uint8_t*); }
inline const uint8_t* pkt_data(const mbuf* m) noexcept { return rte_pktmbuf_mtod(m, const uint8_t*); }
/// Bytes in the first (contiguous) segment: what headers can be read from.
inline uint32_t pkt_head_len(const mbuf* m) noexcept { return m->data_len; }
inline uint32_t pkt_len(const mbuf* m) noexcept { return m->pkt_len; }

/// Header of type T at byte `off`, or nullptr when the first segment is too short.
template <typename T>
inline T* pkt_header(mbuf* m, size_t off = 0) noexcept {
    if (off + sizeof(T) > m->data_len) return nullptr;
    return reinterpret_cast<T*>(pkt_data(m) + off);
}

/// Strips `n` bytes from the front; false (packet unchanged) if too short.
inline bool pkt_adj(mbuf* m, uint16_t n) noexcept { return rte_pktmbuf_adj(m, n) != nullptr; }
/// Makes room for `n` bytes at the front; nullptr if no headroom.
inline uint8_t* pkt_prepend(mbuf* m, uint16_t n) noexcept {
    return reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, n));
}
/// Trims the packet to `len` bytes (drops Ethernet padding). len <= pkt_len.
bool pkt_trim_to(mbuf* m, uint32_t len) noexcept;
/// Appends `n` bytes to a single-segment packet; nullptr if no tailroom.
inline uint8_t* pkt_append(mbuf* m, uint16_t n) noexcept {
    return reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, n));
}
inline void pkt_free(mbuf* m) noexcept { rte_pktmbuf_free(m); }
/// A flow hash of an Ethernet frame: the NIC's RSS hash when it gave one,
/// otherwise a hash of the IPv4/IPv6 addresses, protocol and ports (0 for
/// anything else). Packets of one flow always hash alike.
uint32_t pkt_flow_hash(const mbuf* m) noexcept;

/// A fixed-capacity batch of packets: the unit every pipeline stage takes.
struct pkt_batch {
    static constexpr size_t capacity = limits::batch_max;
    mbuf* pkts[capacity];
    uint16_t n = 0;

    bool full() const noexcept { return n == capacity; }
    bool empty() const noexcept { return n == 0; }
    /// Caller checks full() first: pushing into a full batch is a programmer error.
    void push(mbuf* m) noexcept { pkts[n++] = m; }
    void clear() noexcept { n = 0; }
    void free_all() noexcept {
        for (uint16_t i = 0; i < n; ++i) pkt_free(pkts[i]);
        n = 0;
    }
};

/// Splits a burst of at most pkt_batch::capacity packets by `keys[i]` and
/// calls fn(key, pkts, n) once per distinct key, first-seen key first, each
/// group in arrival order. `pkts` and `keys` are reordered on the way.
template <typename K, typename F>
void pkt_for_each_group(mbuf** pkts, K* keys, uint16_t n, F&& fn) {
    while (n) {
        const K k = keys[0];
        mbuf* group[pkt_batch::capacity];
        uint16_t ng = 0, rest = 0;
        for (uint16_t i = 0; i < n; ++i) {
            if (keys[i] == k) {
                group[ng++] = pkts[i];
            } else {
                pkts[rest] = pkts[i];
                keys[rest++] = keys[i];
            }
        }
        n = rest;
        fn(k, group, ng);
    }
}

/// A packet buffer pool (rte_pktmbuf_pool). `count` mbufs of `data_room` bytes.
/// Thread context: control plane; the name must be unique in the process.
result<rte_mempool*> pktpool_create(std::string_view name, uint32_t count,
                                    uint16_t data_room = RTE_MBUF_DEFAULT_BUF_SIZE) noexcept;
void pktpool_free(rte_mempool* mp) noexcept;
/// mbufs still available in the pool (for leak checks in tests).
unsigned pktpool_avail(const rte_mempool* mp) noexcept;

/// Allocates a packet from `mp` with `len` bytes of data after `headroom`.
/// nullptr when the pool is empty.
mbuf* pkt_alloc(rte_mempool* mp, uint16_t len) noexcept;

}  // namespace mpnet

namespace mpnet {
/// Gives the calling non-EAL thread a DPDK lcore id (mempool caches, per-lcore
/// data) for its lifetime; pair with lcore_unregister_thread(). Best effort:
/// when EAL has no free lcore slot the thread runs without one.
void lcore_register_thread() noexcept;
void lcore_unregister_thread() noexcept;
}  // namespace mpnet
