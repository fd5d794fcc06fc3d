// SPDX-License-Identifier: BSD-2-Clause
// mpnet's own IPv4 longest-prefix-match structure in the Poptrie family
// (Asai and Ohara, SIGCOMM 2015; written from the paper): a direct-pointing
// table for the top 18 bits, then 64-way nodes indexed by 6 key bits whose
// children are found by population count over two bitmaps, one for internal
// children and one marking where runs of equal leaves start (leaf
// compression).
//
// This first step builds the structure from a full set of routes and looks
// up single keys and batches; incremental updates of affected sub-tries,
// RCU publication and the stack's FIB seam are the FIB issue's next steps.
//
// Locking notes: an instance is immutable once built; any number of threads
// may look up concurrently. Building is single-threaded.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "mpnet/core/addr.hpp"
#include "mpnet/route/poptrie_node.hpp"

namespace mpnet {

class poptrie4 {
public:
    static constexpr uint32_t miss = UINT32_MAX;

    /// Builds from (prefix, nexthop) pairs; a later duplicate prefix wins.
    explicit poptrie4(const std::vector<std::pair<prefix4, uint32_t>>& routes);

    uint32_t lookup(uint32_t key) const noexcept {
        uint32_t e = direct_[key >> (32 - direct_bits)];
        if (!(e & internal_bit)) return e == leaf_none ? miss : e;
        const node* n = &nodes_[e & ~internal_bit];
        // 64-bit key with zero padding: levels at bits 18, 24 and 30 (the
        // last level's low 4 bits are past the address and always zero).
        const uint64_t k = uint64_t(key) << 32;
        unsigned shift = 64 - direct_bits - 6;
        for (;;) {
            const unsigned v = unsigned(k >> shift) & 63u;
            const uint64_t upto = v == 63 ? ~0ULL : ((2ULL << v) - 1);
            if (n->vector & (1ULL << v)) {
                n = &nodes_[n->base1 + uint32_t(__builtin_popcountll(n->vector & upto)) - 1];
                shift -= 6;
                continue;
            }
            const uint32_t l = leaves_[n->base0 + uint32_t(__builtin_popcountll(n->leafvec & upto)) - 1];
            return l == leaf_none ? miss : l;
        }
    }
    /// n lookups; the direct-table entries of the whole batch are prefetched first.
    void lookup_bulk(const uint32_t* keys, uint32_t* out, unsigned n) const noexcept;

    size_t memory_bytes() const noexcept {
        return direct_.size() * sizeof(uint32_t) + nodes_.size() * sizeof(node) + leaves_.size() * sizeof(uint32_t);
    }
    size_t nodes() const noexcept { return nodes_.size(); }
    size_t leaves() const noexcept { return leaves_.size(); }

private:
    static constexpr unsigned direct_bits = 18;  // 2^18 direct entries (1 MiB): a /24 is one node deep
    static constexpr uint32_t internal_bit = detail::poptrie_internal;
    static constexpr uint32_t leaf_none = detail::poptrie_none;
    using node = detail::poptrie_node;
    std::vector<uint32_t> direct_;  // 2^direct_bits entries: a leaf, or internal_bit | node index
    std::vector<node> nodes_;
    std::vector<uint32_t> leaves_;
};

}  // namespace mpnet
