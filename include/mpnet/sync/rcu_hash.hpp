// SPDX-License-Identifier: BSD-2-Clause
// A lock-free hash for RCU readers: liburcu's cds_lfht (QSBR flavour) behind
// a typed interface, for tables workers look up by key while the control
// plane changes it: the neighbor tables (lltable), the bridge's FDB, and
// PPPoE sessions and the SAD to come. (The encapsulation table, looked up a
// burst at a time, is DPDK's rte_hash: tunnel/encap.hpp.)
//
// Locking notes:
// - Readers call lookup() inside their read section (a worker's poll
//   iteration, or any registered, online thread) without locks.
// - Writers (insert, remove, clear, for_each) are serialized by the owner
//   (the stack's control lock): one writer at a time.
// - A removed entry is unlinked at once and destroyed after a grace period
//   (call_rcu): a reader that found it may use it until its next quiescent
//   state. Entries are never moved.
// - Fields of an entry that writers change while it is published must be
//   atomics that readers load (e.g. llentry's resolution word).
// - The table has a named limit: insert refuses past max_entries (nospc).
// Lock order: the owner's lock -> nothing.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>

#include "mpnet/core/result.hpp"

namespace mpnet {

/// The untyped core (src/sync/rcu_hash.cpp): nodes are a liburcu hash node
/// followed by the payload, so liburcu's headers stay out of this one.
class rcu_hash_core {
public:
    using match_fn = bool (*)(const void* payload, const void* key) noexcept;
    using destroy_fn = void (*)(void* payload) noexcept;

    rcu_hash_core(size_t max_entries, match_fn match, destroy_fn destroy);
    ~rcu_hash_core();  // destroys every entry now: no reader may be left
    rcu_hash_core(const rcu_hash_core&) = delete;
    rcu_hash_core& operator=(const rcu_hash_core&) = delete;

    void* lookup(uint64_t hash, const void* key) const noexcept;
    /// Raw storage for a payload of `size` bytes (alignment up to 64).
    static void* alloc(size_t size);
    /// Frees storage from alloc() that was never published.
    static void free_unpublished(void* payload) noexcept;
    /// Publishes `payload` under `hash`; false when `key` is present (the
    /// caller frees it). The caller checked the limit.
    bool add_unique(uint64_t hash, const void* key, void* payload) noexcept;
    /// Unlinks and retires (destroy and free after a grace period). `gen`,
    /// when given, is incremented after the unlink and before the grace
    /// period starts: a reader's cache that holds entries under the
    /// generation it read before looking them up (netif/neigh_cache.hpp)
    /// never trusts a retired one past its next quiescent state.
    void remove(void* payload, std::atomic<uint64_t>* gen = nullptr) noexcept;
    void for_each(void (*fn)(void* payload, void* ctx), void* ctx);
    size_t size() const noexcept { return count_; }
    size_t max_entries() const noexcept { return max_; }

private:
    void* ht_;  // cds_lfht*
    match_fn match_;
    destroy_fn destroy_;
    size_t count_ = 0;  // writer-only
    size_t max_;
};

/// 64-bit hash of raw bytes (FNV-1a and a finalizer): cheap and well spread
/// for the sequential addresses network tables are full of.
inline uint64_t rcu_hash_bytes(const void* p, size_t n, uint64_t seed = 0) noexcept {
    uint64_t h = 1469598103934665603ULL ^ seed;
    const auto* b = static_cast<const unsigned char*>(p);
    for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

/// A 64-bit finalizer (MurmurHash3's fmix64): every input bit reaches every
/// output bit, for keys hashed a word at a time.
inline uint64_t rcu_hash_mix(uint64_t h) noexcept {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/// A table of V, each holding its own key: `KeyOf::get(const V&)` returns it
/// (by value or reference), `Hash::operator()(const Key&)` hashes it, and keys
/// compare with ==. V is built in place by insert() and never moves.
template <typename V, typename KeyOf, typename Hash>
class rcu_hash {
public:
    using key_type = std::remove_cvref_t<decltype(KeyOf::get(std::declval<const V&>()))>;

    explicit rcu_hash(size_t max_entries) : core_(max_entries, &match, &destroy) {}

    /// Reader, inside a read section: the entry for `k`, or nullptr.
    V* lookup(const key_type& k) const noexcept { return static_cast<V*>(core_.lookup(Hash{}(k), &k)); }

    /// Writer: builds V(args...) and publishes it. errc::exist if its key is
    /// present, errc::nospc at the limit, errc::nomem.
    template <typename... A>
    result<V*> insert(A&&... args) {
        if (core_.size() >= core_.max_entries()) return errc::nospc;
        void* mem = rcu_hash_core::alloc(sizeof(V));
        if (!mem) return errc::nomem;
        V* v;
        try {
            v = new (mem) V(std::forward<A>(args)...);
        } catch (...) {
            rcu_hash_core::free_unpublished(mem);
            return errc::nomem;
        }
        const key_type& k = KeyOf::get(*v);
        if (!core_.add_unique(Hash{}(k), &k, v)) {
            v->~V();
            rcu_hash_core::free_unpublished(mem);
            return errc::exist;
        }
        return v;
    }
    /// Writer: unlinks `v`; it is destroyed after a grace period. `gen`:
    /// as rcu_hash_core::remove.
    void remove(V* v, std::atomic<uint64_t>* gen = nullptr) noexcept { core_.remove(v, gen); }
    /// Writer: calls fn(V&) for every entry; fn may remove the one it is given.
    template <typename F>
    void for_each(F&& fn) {
        core_.for_each([](void* p, void* ctx) { (*static_cast<F*>(ctx))(*static_cast<V*>(p)); }, &fn);
    }
    size_t size() const noexcept { return core_.size(); }
    size_t max_entries() const noexcept { return core_.max_entries(); }

private:
    static bool match(const void* payload, const void* key) noexcept {
        return KeyOf::get(*static_cast<const V*>(payload)) == *static_cast<const key_type*>(key);
    }
    static void destroy(void* payload) noexcept { static_cast<V*>(payload)->~V(); }
    rcu_hash_core core_;
};

}  // namespace mpnet
