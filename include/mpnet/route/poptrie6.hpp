// SPDX-License-Identifier: BSD-2-Clause
// mpnet's IPv6 longest-prefix-match structure in the Poptrie family (Asai and
// Ohara, SIGCOMM 2015; written from the paper, as poptrie4): a 16-bit
// direct-pointing table, then 64-way nodes indexed by 6 key bits whose
// children are found by population count over an internal-child bitmap and a
// leaf-run bitmap (leaf compression). 128-bit keys are walked as one
// unsigned __int128; the last level (bits 124..127) is zero-padded.
//
// This step builds from a full route set and looks up single keys and
// batches; incremental updates and RCU publication follow poptrie4's.
//
// Locking notes: immutable once built; any number of concurrent readers.
#pragma once

#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "mpnet/core/addr.hpp"
#include "mpnet/route/poptrie_node.hpp"

namespace mpnet {

class poptrie6 {
public:
    static constexpr uint32_t miss = UINT32_MAX;

    /// Builds from (prefix, nexthop) pairs; a later duplicate prefix wins.
    explicit poptrie6(const std::vector<std::pair<prefix6, uint32_t>>& routes);

    static unsigned __int128 key_of(const ip6_addr& a) noexcept {
        unsigned __int128 k = 0;
        for (auto x : a.b) k = (k << 8) | x;
        return k;
    }

    uint32_t lookup(const ip6_addr& a) const noexcept { return lookup(key_of(a)); }
    uint32_t lookup(unsigned __int128 k) const noexcept {
        uint32_t e = direct_[unsigned(k >> (128 - direct_bits))];
        if (!(e & internal_bit)) return e == leaf_none ? miss : e;
        const node* n = &nodes_[e & ~internal_bit];
        unsigned depth = direct_bits;
        for (;;) {
            const unsigned v = depth + 6 <= 128 ? unsigned(k >> (122 - depth)) & 63u
                                                : unsigned(k << (depth + 6 - 128)) & 63u;
            const uint64_t upto = v == 63 ? ~0ULL : ((2ULL << v) - 1);
            if (n->vector & (1ULL << v)) {
                n = &nodes_[n->base1 + uint32_t(__builtin_popcountll(n->vector & upto)) - 1];
                depth += 6;
                continue;
            }
            const uint32_t l = leaves_[n->base0 + uint32_t(__builtin_popcountll(n->leafvec & upto)) - 1];
            return l == leaf_none ? miss : l;
        }
    }
    /// n lookups; the direct-table entries of the whole batch are prefetched first.
    void lookup_bulk(const ip6_addr* keys, uint32_t* out, unsigned n) const noexcept;

    size_t memory_bytes() const noexcept {
        return direct_.size() * sizeof(uint32_t) + nodes_.size() * sizeof(node) + leaves_.size() * sizeof(uint32_t);
    }
    size_t nodes() const noexcept { return nodes_.size(); }
    size_t leaves() const noexcept { return leaves_.size(); }

private:
    static constexpr unsigned direct_bits = 16;
    static constexpr uint32_t internal_bit = detail::poptrie_internal;
    static constexpr uint32_t leaf_none = detail::poptrie_none;
    using node = detail::poptrie_node;
    std::vector<uint32_t> direct_;
    std::vector<node> nodes_;
    std::vector<uint32_t> leaves_;
};

}  // namespace mpnet
