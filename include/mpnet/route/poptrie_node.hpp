// SPDX-License-Identifier: BSD-2-Clause
// What poptrie4 and poptrie6 share: the 64-way node, the leaf and internal
// markers, and the builder that turns a route set into a direct table, nodes
// and leaves (keys left-aligned in 128 bits, so one builder serves both widths).
//
// Locking notes: construction only (single-threaded); the results are immutable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mpnet::detail {

struct poptrie_node {
    uint64_t vector = 0;   // bit v: child v is an internal node
    uint64_t leafvec = 0;  // bit v: a run of equal leaves starts at child v
    uint32_t base0 = 0;    // first leaf in leaves
    uint32_t base1 = 0;    // first child node in nodes
};

inline constexpr uint32_t poptrie_internal = 0x80000000u;  // direct entry: internal_bit | node index
inline constexpr uint32_t poptrie_none = 0x7fffffffu;      // leaf: no route (nexthops are < 2^31-1)

struct poptrie_route {
    unsigned __int128 key;  // the prefix, left-aligned (bit 127 is the first bit)
    unsigned len;
    uint32_t nh;
};

struct poptrie_tables {
    std::vector<uint32_t> direct;  // 2^direct_bits entries
    std::vector<poptrie_node> nodes;
    std::vector<uint32_t> leaves;
};

/// Builds the tables for keys of `key_bits` bits with a `direct_bits` direct
/// table and 6-bit levels below it (the last level zero-padded past the key).
/// A later duplicate prefix wins.
poptrie_tables poptrie_build(const std::vector<poptrie_route>& routes, unsigned key_bits, unsigned direct_bits);

}  // namespace mpnet::detail
