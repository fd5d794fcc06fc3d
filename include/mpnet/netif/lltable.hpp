// SPDX-License-Identifier: BSD-2-Clause
// Per-interface neighbor table (NetBSD's lltable/llentry), shared by ARP and NDP.
// Neighbor entries are not routes.
//
// Locking notes:
// - The table is an rcu_hash (liburcu's lock-free hash, QSBR flavour). Readers
//   (workers) call lookup() inside their read section without locks. Every
//   writer call (create, remove, clear, destroy) runs on the control plane
//   under the stack's control lock, so there is one writer at a time.
// - An entry's resolution (MAC, state, flags) is one 64-bit word (`la`): the
//   control plane stores it with release, readers load it with acquire, so a
//   reader sees a MAC and state that belong together.
// - A worker that uses an entry may set `used` (relaxed); the control plane
//   reads and clears it. Everything else in llentry (timers, hold queue, probe
//   counts) is control-only state.
// - A removed entry is freed after a grace period (call_rcu); its hold queue is
//   emptied by the control plane before removal.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <utility>

#include "mpnet/core/addr.hpp"
#include "mpnet/core/limits.hpp"
#include "mpnet/core/packet.hpp"
#include "mpnet/core/result.hpp"
#include "mpnet/sync/rcu_hash.hpp"

namespace mpnet {

/// Neighbor states (RFC 4861 section 7.3.2; NetBSD uses them for ARP too).
enum class ll_state : uint8_t {
    nostate = 0,  // static and proxy entries: no reachability tracking
    incomplete,   // resolution in progress; no MAC yet
    reachable,    // confirmed recently
    stale,        // MAC known, confirmation old: usable, verify on next use
    delay,        // used while stale: wait for upper-layer confirmation
    probe,        // unicast probes in flight
};

/// NetBSD arp(8)/ndp(8) letter for a state: N I R S D P.
char ll_state_letter(ll_state s) noexcept;

namespace llflag {
inline constexpr uint8_t valid = 0x01;    // MAC present
inline constexpr uint8_t static_ = 0x02;  // permanent (arp -s without temp): never expires or changes
inline constexpr uint8_t pub = 0x04;      // published: answer requests for it (proxy only)
inline constexpr uint8_t router = 0x08;   // NDP: neighbor is a router
inline constexpr uint8_t temp = 0x10;     // added by command with `temp`: dynamic lifetime
}  // namespace llflag

/// Address key for both families: IPv4 in the first four bytes.
struct llkey {
    uint8_t family = 4;  // 4 or 6
    std::array<uint8_t, 16> a{};

    static llkey v4(ip4_addr x) noexcept {
        llkey k;
        k.a[0] = uint8_t(x.v >> 24);
        k.a[1] = uint8_t(x.v >> 16);
        k.a[2] = uint8_t(x.v >> 8);
        k.a[3] = uint8_t(x.v);
        return k;
    }
    static llkey v6(const ip6_addr& x) noexcept {
        llkey k;
        k.family = 6;
        k.a = x.b;
        return k;
    }
    ip4_addr ip4() const noexcept {
        return ip4_addr((uint32_t(a[0]) << 24) | (uint32_t(a[1]) << 16) | (uint32_t(a[2]) << 8) | a[3]);
    }
    friend bool operator==(const llkey&, const llkey&) = default;
};

/// The 64-bit resolution word: MAC in bits 0..47, state 48..55, flags 56..63.
struct ll_resolution {
    ether_addr mac{};
    ll_state state = ll_state::nostate;
    uint8_t flags = 0;

    uint64_t pack() const noexcept { return mac.to_u64() | (uint64_t(state) << 48) | (uint64_t(flags) << 56); }
    // Single fields of a packed word, for the forwarding path.
    static bool valid_in(uint64_t w) noexcept { return (w >> 56) & llflag::valid; }
    static ll_state state_in(uint64_t w) noexcept { return static_cast<ll_state>((w >> 48) & 0xff); }
    static ether_addr mac_in(uint64_t w) noexcept { return ether_addr::from_u64(w & 0xffffffffffffULL); }
    static ll_resolution unpack(uint64_t w) noexcept {
        return {ether_addr::from_u64(w & 0xffffffffffffULL), static_cast<ll_state>((w >> 48) & 0xff),
                static_cast<uint8_t>(w >> 56)};
    }
};

struct llentry {
    const llkey key;
    std::atomic<uint64_t> la{0};  // ll_resolution::pack()
    /// Set by a worker that transmitted through a stale entry (NetBSD: the
    /// STALE -> DELAY trigger); cleared by the control plane.
    std::atomic<bool> used{false};

    // Control-only state below.
    uint64_t expire_ns = 0;  // when the current state's timer fires (0: never)
    uint64_t timer_id = 0;   // the control plane's timer for this entry
    uint8_t asked = 0;       // solicitations sent in this state
    uint16_t hold_n = 0;     // packets held while unresolved
    uint16_t hold_head = 0;
    std::array<mbuf*, limits::neigh_hold_max> hold{};

    explicit llentry(const llkey& k) : key(k) {}
    ll_resolution resolution() const noexcept { return ll_resolution::unpack(la.load(std::memory_order_acquire)); }
    /// Control plane: publishes a new resolution.
    void set_resolution(const ll_resolution& r) noexcept { la.store(r.pack(), std::memory_order_release); }
};

struct llkey_of {
    static const llkey& get(const llentry& e) noexcept { return e.key; }
};
/// The key a word at a time (the byte-at-a-time FNV chain cost the IPv4
/// forwarding path about 60 cycles a packet).
struct llkey_hash {
    static uint64_t of_words(uint64_t w0, uint64_t w1, uint8_t family) noexcept {
        return rcu_hash_mix(w0 ^ (w1 * 0x9e3779b97f4a7c15ULL) ^ (uint64_t(family) << 56));
    }
    /// The 16 address bytes `a` of a key of `family` (the IPv6 address itself).
    static uint64_t of_bytes(const uint8_t* a, uint8_t family) noexcept {
        uint64_t w0, w1;
        std::memcpy(&w0, a, 8);
        std::memcpy(&w1, a + 8, 8);
        return of_words(w0, w1, family);
    }
    uint64_t operator()(const llkey& k) const noexcept { return of_bytes(k.a.data(), k.family); }
};

/// Bumped by every removal from any lltable (after the unlink, before the
/// grace period) and by every table's destruction: a per-lcore neighbor
/// cache trusts an entry only under the generation it cached it in.
/// On a line of its own: workers read it per packet, removals write it.
struct alignas(64) ll_generation {
    std::atomic<uint64_t> v{1};
};
extern ll_generation lltable_generation;

class lltable {
public:
    /// `max_entries` bounds the table (neigh_per_if_max by default).
    explicit lltable(size_t max_entries = limits::neigh_per_if_max) : ht_(max_entries) {}
    ~lltable();
    lltable(const lltable&) = delete;
    lltable& operator=(const lltable&) = delete;

    /// Reader (worker or control) inside a read section. nullptr if absent.
    llentry* lookup(const llkey& k) const noexcept { return ht_.lookup(k); }

    /// Control plane: inserts a new entry in state nostate with no MAC.
    /// errc::exist if present, errc::nospc if the table is at max_entries.
    result<llentry*> create(const llkey& k) { return ht_.insert(k); }
    /// Control plane: unlinks the entry and frees it after a grace period. The
    /// caller has emptied its hold queue and cancelled its timer.
    void remove(llentry* e);

    /// Control plane: calls fn(llentry&) for every entry (read section held by
    /// the caller: the control plane thread is registered and online); fn may
    /// remove the entry it is given.
    template <typename F>
    void for_each(F&& fn) {
        ht_.for_each(std::forward<F>(fn));
    }

    size_t size() const noexcept { return ht_.size(); }
    size_t max_entries() const noexcept { return ht_.max_entries(); }

private:
    rcu_hash<llentry, llkey_of, llkey_hash> ht_;
};

}  // namespace mpnet
