// SPDX-License-Identifier: BSD-2-Clause
// Poptrie-family IPv4 LPM: construction (shared builder), bulk lookup.
#include "mpnet/route/poptrie4.hpp"

namespace mpnet {

poptrie4::poptrie4(const std::vector<std::pair<prefix4, uint32_t>>& routes) {
    std::vector<detail::poptrie_route> r;
    r.reserve(routes.size());
    for (const auto& [p, nh] : routes) r.push_back({(unsigned __int128)p.addr.v << 96, p.len, nh});
    auto t = detail::poptrie_build(r, 32, direct_bits);
    direct_ = std::move(t.direct);
    nodes_ = std::move(t.nodes);
    leaves_ = std::move(t.leaves);
}

void poptrie4::lookup_bulk(const uint32_t* keys, uint32_t* out, unsigned n) const noexcept {
    for (unsigned i = 0; i < n; ++i) __builtin_prefetch(&direct_[keys[i] >> (32 - direct_bits)]);
    for (unsigned i = 0; i < n; ++i) out[i] = lookup(keys[i]);
}

}  // namespace mpnet
