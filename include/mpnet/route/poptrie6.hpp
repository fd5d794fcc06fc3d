// SPDX-License-Identifier: BSD-2-Clause
// The IPv6 Poptrie (see poptrie.hpp): 18-bit direct table, then 64-way nodes
// (6 bits a level, the last level zero-padded); keys are 128-bit integers.
#pragma once

#include <endian.h>

#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "mpnet/core/addr.hpp"
#include "mpnet/route/poptrie.hpp"

namespace mpnet {

// 18 direct bits rather than 16: the table's many /48s then end in the
// fifth node level instead of the sixth (nodes at 18, 24, .., 42), for a
// 1 MiB direct table.
using poptrie6 = poptrie<unsigned __int128, 128, 18>;

/// The address as a 128-bit integer, first byte most significant.
inline unsigned __int128 poptrie_key(const ip6_addr& a) noexcept {
    uint64_t hi, lo;
    std::memcpy(&hi, a.b.data(), 8);
    std::memcpy(&lo, a.b.data() + 8, 8);
    return (static_cast<unsigned __int128>(be64toh(hi)) << 64) | be64toh(lo);
}

/// A table of (prefix, nexthop) pairs in one commit (a later duplicate wins).
inline result<std::unique_ptr<poptrie6>> poptrie6_build(const std::vector<std::pair<prefix6, uint32_t>>& routes,
                                                        const poptrie_config& cfg = {}) {
    return poptrie_build<poptrie6>(routes, cfg);
}

}  // namespace mpnet
