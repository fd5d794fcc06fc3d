// SPDX-License-Identifier: BSD-2-Clause
// rte_ring creation for msg_ring.
#include "mpnet/core/ring.hpp"

#include <atomic>
#include <string>

#include <fmt/format.h>

namespace mpnet::detail {

rte_ring* ring_create(std::string_view name, unsigned esize, unsigned count) noexcept {
    // rte_ring names are process-global: suffix a sequence number so that
    // several stack instances can use the same logical name.
    static std::atomic<unsigned> seq{0};
    std::string n = fmt::format("{}.{}", name.substr(0, 20), seq.fetch_add(1));
    return rte_ring_create_elem(n.c_str(), esize, count, SOCKET_ID_ANY, RING_F_SC_DEQ | RING_F_EXACT_SZ);
}

void ring_free(rte_ring* r) noexcept {
    if (r) rte_ring_free(r);
}

}  // namespace mpnet::detail
