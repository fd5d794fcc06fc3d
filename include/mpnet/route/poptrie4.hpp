// SPDX-License-Identifier: BSD-2-Clause
// The IPv4 Poptrie (see poptrie.hpp): 18-bit direct table (1 MiB), so a /24
// is one node deep; keys are host-order addresses.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "mpnet/core/addr.hpp"
#include "mpnet/route/poptrie.hpp"

namespace mpnet {

using poptrie4 = poptrie<uint32_t, 32, 18>;

inline uint32_t poptrie_key(ip4_addr a) noexcept { return a.v; }

/// A table of (prefix, nexthop) pairs in one commit (a later duplicate wins).
inline result<std::unique_ptr<poptrie4>> poptrie4_build(const std::vector<std::pair<prefix4, uint32_t>>& routes,
                                                        const poptrie_config& cfg = {}) {
    return poptrie_build<poptrie4>(routes, cfg);
}

}  // namespace mpnet
