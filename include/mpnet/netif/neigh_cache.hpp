// SPDX-License-Identifier: BSD-2-Clause
// A worker's own cache of the neighbor entries it sent to last, for
// destinations on a connected subnet (a gateway nexthop carries its entry
// already: route/nexthop.hpp). Direct mapped, keyed by (table, address); a
// hit is one line of the cache, the generation word and the entry itself,
// instead of a cds_lfht lookup.
//
// Locking notes: one cache per lcore, touched by that lcore only, inside its
// read section. An entry is trusted only while lltable_generation is the
// value read before the lookup that found it. Every removal bumps the
// generation after the unlink and before the grace period starts (and a
// table's destruction bumps it before freeing its entries), so:
// - a reader that sees the old generation is in a read section that began
//   before the grace period, and the entry lives until its next quiescent
//   state, exactly as if it had looked it up;
// - a reader that sees the new one misses and looks the entry up (gone).
// A MAC or state change is not a removal: it is the entry's own atomic word,
// read on every use.
#pragma once

#include <array>
#include <cstdint>

#include "mpnet/netif/lltable.hpp"

namespace mpnet {

class neigh_cache {
public:
    static constexpr unsigned slots = 256;  // 6 KiB per lcore

    /// The entry for IPv4 `a` in `t`, or nullptr (absent: not cached).
    llentry* lookup4(const lltable& t, ip4_addr a) noexcept {
        return find(
            t, llkey_hash::of_words(__builtin_bswap32(a.v), 0, 4),
            [a](const llkey& k) { return k.family == 4 && k.ip4() == a; }, [a] { return llkey::v4(a); });
    }
    /// The entry for IPv6 `a` in `t`, or nullptr.
    llentry* lookup6(const lltable& t, const ip6_addr& a) noexcept {
        return find(
            t, llkey_hash::of_bytes(a.b.data(), 6), [&a](const llkey& k) { return k.family == 6 && k.a == a.b; },
            [&a] { return llkey::v6(a); });
    }
    /// Tests only: trust cached entries whatever the generation (a sabotaged
    /// invalidation, which the neighbor tests must catch).
    void test_ignore_generation(bool on) noexcept { ignore_generation_ = on; }

private:
    struct slot {
        const lltable* t = nullptr;
        uint64_t gen = 0;
        llentry* e = nullptr;
    };
    // The generation is read before the slot and before the lookup whose
    // answer the slot keeps (the order the locking notes rely on). `match`
    // tells the wanted key; `key` builds it for the table's lookup (a miss
    // only: built keys cost a store-forwarding stall on the hit path).
    template <typename Match, typename MakeKey>
    llentry* find(const lltable& t, uint64_t h, Match match, MakeKey key) noexcept {
        const uint64_t g = lltable_generation.v.load(std::memory_order_acquire);
        slot& s = slot_of(t, h);
        if (s.t == &t && (s.gen == g || ignore_generation_) && match(s.e->key)) [[likely]]
            return s.e;
        llentry* e = t.lookup(key());
        if (e) s = {&t, g, e};
        return e;
    }
    slot& slot_of(const lltable& t, uint64_t h) noexcept {
        const uint64_t x = h ^ (reinterpret_cast<uintptr_t>(&t) >> 6) * 0x9e3779b97f4a7c15ULL;
        return slots_[x >> 56];
    }
    std::array<slot, slots> slots_{};
    bool ignore_generation_ = false;
};

}  // namespace mpnet
