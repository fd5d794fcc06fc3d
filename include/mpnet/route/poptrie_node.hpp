// SPDX-License-Identifier: BSD-2-Clause
// The Poptrie node and the direct-entry markers (see poptrie.hpp).
#pragma once

#include <cstdint>

namespace mpnet::detail {

struct poptrie_node {
    uint64_t vector = 0;   // bit v: child v is an internal node
    uint64_t leafvec = 0;  // bit v: a run of equal leaves starts at child v
    uint32_t base0 = 0;    // first leaf in leaves
    uint32_t base1 = 0;    // first child node in nodes
};

inline constexpr uint32_t poptrie_internal = 0x80000000u;  // direct entry: internal_bit | node index
inline constexpr uint32_t poptrie_none = 0x7fffffffu;      // leaf: no route (nexthops are < 2^31-1)

}  // namespace mpnet::detail
