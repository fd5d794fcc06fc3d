// SPDX-License-Identifier: BSD-2-Clause
// The IPv4 RIB container.
#include "mpnet/route/rib4.hpp"

namespace mpnet {

rtentry* rib4::find(const prefix4& p) noexcept {
    auto it = m_.find(key(p));
    return it == m_.end() ? nullptr : &it->second;
}

rtentry* rib4::match(ip4_addr a, uint32_t skip) noexcept {
    // 33 exact lookups, longest first: the control path's longest match.
    for (int len = 32; len >= 0; --len) {
        auto it = m_.find(key(prefix4::of(a, static_cast<unsigned>(len))));
        if (it != m_.end() && !(it->second.flags & skip)) return &it->second;
    }
    return nullptr;
}

rtentry& rib4::insert(const rtentry& e) { return m_.emplace(key(e.dst), e).first->second; }

void rib4::erase(const prefix4& p) { m_.erase(key(p)); }

}  // namespace mpnet
