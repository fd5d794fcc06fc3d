// SPDX-License-Identifier: BSD-2-Clause
// Nexthops: shared, immutable (interface, gateway, kind) objects that FIB
// entries point at by index.
//
// Locking notes:
// - The table is an array of atomic pointers indexed by nexthop id. Readers
//   (workers) load a slot with acquire inside their read section; a slot is
//   never null once its id has been handed out.
// - Writers (the control plane, under the stack lock) acquire/release ids.
//   When the last route drops an id, the id is quarantined for a grace period
//   (an RCU callback returns it to the free list), so a reader that looked an
//   id up in the FIB just before the route went away still finds the nexthop
//   that route had: the packet leaves by a route that existed while it was in
//   flight. A reused slot's previous object is retired through RCU.
// - The returned-id list is shared with liburcu's call_rcu thread and guarded
//   by its own small mutex (never held with anything else).
// - The neighbor cache: a gateway nexthop points at the neighbor entry
//   (llentry) of its gateway on its interface, so a worker reads the MAC and
//   state from it (one acquire load of the entry's resolution word) instead of
//   a hash lookup per packet. Only the control plane writes the pointer:
//   binder() when the nexthop is created, bind() when the entry is created
//   or removed (before its removal's grace period, so a worker that still
//   loaded the old pointer is one the free waits for). A MAC or state change
//   needs nothing: the entry's word is read on every packet. A released
//   nexthop leaves the gateway index; a worker can reach it only in a read
//   section that began before the release, which any later entry removal's
//   grace period also waits for.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <tuple>
#include <vector>

#include "mpnet/core/addr.hpp"
#include "mpnet/core/limits.hpp"
#include "mpnet/core/result.hpp"
#include "mpnet/netif/lltable.hpp"

namespace mpnet {

namespace nhf {
inline constexpr uint8_t gateway = 0x01;    // send to `gateway`, else to the packet's destination
inline constexpr uint8_t local = 0x02;      // an address of ours: deliver
inline constexpr uint8_t reject = 0x04;     // ICMP unreachable
inline constexpr uint8_t blackhole = 0x08;  // drop silently
inline constexpr uint8_t host = 0x10;       // from a host route (picks the reject errno)
inline constexpr uint8_t pmtu = 0x20;       // `mtu` was learned by path MTU discovery
}  // namespace nhf

/// The nexthop's cached neighbor entry (see the locking notes). Copies start
/// empty: the cache belongs to the one published object.
struct nh_neigh_cache {
    std::atomic<llentry*> p{nullptr};
    nh_neigh_cache() = default;
    nh_neigh_cache(const nh_neigh_cache&) noexcept {}
    nh_neigh_cache& operator=(const nh_neigh_cache&) noexcept { return *this; }
    /// Reader, inside its read section.
    llentry* get() const noexcept { return p.load(std::memory_order_acquire); }
};

/// A gateway as the neighbor tables know it: the interface, and the
/// address's key in that interface's lltable.
struct nh_gw_key {
    ifindex_t ifindex = 0;
    llkey key;
    friend bool operator<(const nh_gw_key& x, const nh_gw_key& y) noexcept {
        return std::tie(x.ifindex, x.key.family, x.key.a) < std::tie(y.ifindex, y.key.family, y.key.a);
    }
};

struct nexthop {
    uint32_t id = 0;
    ifindex_t ifindex = 0;      // egress (lo0 for local)
    ifindex_t src_ifindex = 0;  // the interface whose address sources local traffic
    ip4_addr gateway;
    ip6_addr gateway6{};  // IPv6 nexthops: the gateway, wire form (scope is ifindex)
    uint8_t flags = 0;  // nhf
    uint32_t mtu = 0;   // path MTU (0: the interface's)

    mutable nh_neigh_cache neigh;  // gateway nexthops: the gateway's neighbor entry, when there is one

    auto key() const { return std::make_tuple(ifindex, src_ifindex, gateway.v, gateway6, flags, mtu); }
    /// The gateway's key in the neighbor tables; none without a gateway.
    std::optional<nh_gw_key> gw_key() const noexcept;
};

class nexthop_table {
public:
    explicit nexthop_table(uint32_t max_ids);
    ~nexthop_table();
    nexthop_table(const nexthop_table&) = delete;
    nexthop_table& operator=(const nexthop_table&) = delete;

    /// Reader: the nexthop for an id the FIB returned (never null for such an id).
    const nexthop* get(uint32_t id) const noexcept {
        return id < max_ ? slots_[id].load(std::memory_order_acquire) : nullptr;
    }
    /// Reader: a hint that `id` is about to be got.
    void prefetch_slot(uint32_t id) const noexcept {
        if (id < max_) __builtin_prefetch(&slots_[id]);
    }
    /// Writer: an id for `nh` (shared with equal nexthops), reference taken.
    /// errc::nospc when every id is in use or quarantined.
    result<uint32_t> acquire(const nexthop& nh);
    /// Writer: drops a reference taken by acquire().
    void release(uint32_t id);
    uint32_t in_use() const noexcept { return static_cast<uint32_t>(refs_.size()); }
    uint32_t max_ids() const noexcept { return max_; }

    /// Writer: what a new gateway nexthop's cache starts with (the neighbor
    /// entry of its gateway, if one exists).
    using binder_fn = llentry* (*)(void* arg, const nh_gw_key& k);
    void set_binder(binder_fn fn, void* arg) noexcept {
        binder_ = fn;
        binder_arg_ = arg;
    }
    /// Writer: the neighbor entry for `k` was created (e) or is being removed
    /// (nullptr): every live nexthop through that gateway now caches e.
    void bind(const nh_gw_key& k, llentry* e) noexcept;
    /// Writer: calls fn(const nexthop&, uint32_t refs) for every live nexthop.
    template <typename F>
    void for_each(F&& fn) const {
        for (const auto& [id, n] : refs_) fn(*slots_[id].load(std::memory_order_relaxed), n);
    }

private:
    void reclaim_returned();

    uint32_t max_;
    std::unique_ptr<std::atomic<const nexthop*>[]> slots_;
    std::map<decltype(nexthop{}.key()), uint32_t> by_key_;  // writer only
    std::map<uint32_t, uint32_t> refs_;                     // id -> references (writer only)
    std::multimap<nh_gw_key, uint32_t> by_gw_;              // gateway -> live ids (writer only)
    binder_fn binder_ = nullptr;
    void* binder_arg_ = nullptr;
    std::vector<uint32_t> free_;                            // writer only
    uint32_t next_ = 0;                                     // writer only
    struct returned_list {
        std::mutex mu;
        std::vector<uint32_t> ids;
    };
    std::shared_ptr<returned_list> returned_;  // shared with pending RCU callbacks
};

}  // namespace mpnet
