// SPDX-License-Identifier: BSD-2-Clause
// The IPv4 route table the data path reads, in host mode: connected (UC) and
// local (UHl) routes derived from interface addresses, plus static routes.
// This is the seam the RIB/FIB issue replaces with a RIB and a bulk FIB; the
// reader API (route4_table::lookup) stays.
//
// Locking notes: a route4_table is immutable once published. The control
// plane rebuilds a new table on every change (bounded by route4_max) and
// publishes it through an rcu_ptr; readers look up inside their read section.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mpnet/core/addr.hpp"
#include "mpnet/core/limits.hpp"

namespace mpnet {

/// Route flags with NetBSD's netstat letters.
namespace rtf {
inline constexpr uint32_t up = 1u << 0;         // U
inline constexpr uint32_t gateway = 1u << 1;    // G
inline constexpr uint32_t host = 1u << 2;       // H
inline constexpr uint32_t reject = 1u << 3;     // R
inline constexpr uint32_t dynamic = 1u << 4;    // D
inline constexpr uint32_t modified = 1u << 5;   // M
inline constexpr uint32_t static_ = 1u << 6;    // S
inline constexpr uint32_t blackhole = 1u << 7;  // B
inline constexpr uint32_t connected = 1u << 8;  // C
inline constexpr uint32_t local = 1u << 9;      // l
inline constexpr uint32_t llinfo = 1u << 10;    // L
inline constexpr uint32_t done = 1u << 11;      // (route get word DONE)
}  // namespace rtf

/// netstat -rn letters for flags ("UGS", "UHl", "UC").
std::string rtf_letters(uint32_t flags);

struct route4 {
    prefix4 dst;
    ip4_addr gateway;          // any() for on-link routes
    uint16_t ifindex = 0;      // egress interface (lo0's index for local routes)
    uint16_t src_ifindex = 0;  // for local routes: the interface that owns the address
    uint32_t flags = 0;
};

class route4_table {
public:
    route4_table() = default;
    /// Control plane: builds a table from routes (longest prefix first).
    explicit route4_table(std::vector<route4> routes);

    /// Reader: the longest-prefix match for `dst`, or nullptr.
    const route4* lookup(ip4_addr dst) const noexcept;
    const std::vector<route4>& routes() const noexcept { return routes_; }

private:
    std::vector<route4> routes_;  // sorted by prefix length, longest first
};

}  // namespace mpnet
