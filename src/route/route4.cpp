// SPDX-License-Identifier: BSD-2-Clause
// Host-mode IPv4 route table: linear longest-prefix match over a table sorted
// by prefix length. Bounded by limits::route4_max; the FIB issue replaces it.
#include "mpnet/route/route4.hpp"

#include <algorithm>

namespace mpnet {

std::string rtf_letters(uint32_t f) {
    static constexpr std::pair<uint32_t, char> letters[] = {
        {rtf::up, 'U'},        {rtf::gateway, 'G'},  {rtf::host, 'H'},    {rtf::reject, 'R'},
        {rtf::dynamic, 'D'},   {rtf::modified, 'M'}, {rtf::static_, 'S'}, {rtf::blackhole, 'B'},
        {rtf::connected, 'C'}, {rtf::local, 'l'},    {rtf::llinfo, 'L'},
    };
    std::string s;
    for (auto& [bit, c] : letters)
        if (f & bit) s += c;
    return s;
}

route4_table::route4_table(std::vector<route4> routes) : routes_(std::move(routes)) {
    std::stable_sort(routes_.begin(), routes_.end(),
                     [](const route4& a, const route4& b) { return a.dst.len > b.dst.len; });
}

const route4* route4_table::lookup(ip4_addr dst) const noexcept {
    for (const auto& r : routes_)
        if (r.dst.contains(dst)) return &r;
    return nullptr;
}

}  // namespace mpnet
