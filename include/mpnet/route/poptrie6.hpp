// SPDX-License-Identifier: BSD-2-Clause
// The IPv6 Poptrie (see poptrie.hpp): 16-bit direct table, then 64-way nodes
// (6 bits a level, the last level zero-padded); keys are 128-bit integers.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "mpnet/core/addr.hpp"
#include "mpnet/route/poptrie.hpp"

namespace mpnet {

using poptrie6 = poptrie<unsigned __int128, 128, 16>;

inline unsigned __int128 poptrie_key(const ip6_addr& a) noexcept {
    unsigned __int128 k = 0;
    for (auto x : a.b) k = (k << 8) | x;
    return k;
}

/// A table of (prefix, nexthop) pairs in one commit (a later duplicate wins).
inline result<std::unique_ptr<poptrie6>> poptrie6_build(const std::vector<std::pair<prefix6, uint32_t>>& routes,
                                                        const poptrie_config& cfg = {}) {
    return poptrie_build<poptrie6>(routes, cfg);
}

}  // namespace mpnet
