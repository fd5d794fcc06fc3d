// SPDX-License-Identifier: BSD-2-Clause
// Poptrie-family IPv6 LPM: construction (shared builder), bulk lookup.
#include "mpnet/route/poptrie6.hpp"

namespace mpnet {

poptrie6::poptrie6(const std::vector<std::pair<prefix6, uint32_t>>& routes) {
    std::vector<detail::poptrie_route> r;
    r.reserve(routes.size());
    for (const auto& [p, nh] : routes) r.push_back({key_of(p.addr), p.len, nh});
    auto t = detail::poptrie_build(r, 128, direct_bits);
    direct_ = std::move(t.direct);
    nodes_ = std::move(t.nodes);
    leaves_ = std::move(t.leaves);
}

void poptrie6::lookup_bulk(const ip6_addr* keys, uint32_t* out, unsigned n) const noexcept {
    for (unsigned i = 0; i < n; ++i) __builtin_prefetch(&direct_[(unsigned(keys[i].b[0]) << 8) | keys[i].b[1]]);
    for (unsigned i = 0; i < n; ++i) out[i] = lookup(keys[i]);
}

}  // namespace mpnet
