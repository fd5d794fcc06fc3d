// SPDX-License-Identifier: BSD-2-Clause
// The IPv6 FIB the data path reads: prefix -> nexthop id. An immutable
// poptrie6 snapshot that the control plane rebuilds from the RIB (once per
// batch of changes) and publishes whole; the FIB issue makes the rebuild incremental (only the
// affected sub-tries).
//
// Locking notes:
// - Readers (workers, and the control plane) call lookup() inside their RCU
//   read section; a snapshot is immutable once published.
// - One writer (the control plane, under the stack lock) calls assign(): it
//   builds a new snapshot, publishes it with a release store and retires the
//   old one after a grace period (rcu_ptr). A packet in flight sees either
//   the whole old table or the whole new one.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "mpnet/core/addr.hpp"
#include "mpnet/sync/rcu.hpp"

namespace mpnet {

class fib6 {
public:
    static constexpr uint32_t miss = UINT32_MAX;

    fib6();
    ~fib6();
    fib6(const fib6&) = delete;
    fib6& operator=(const fib6&) = delete;

    /// Writer: replaces the whole table with `routes` (scope-embedded keys).
    void assign(const std::vector<std::pair<prefix6, uint32_t>>& routes);

    /// Reader: the nexthop id for `dst` (scope embedded), or miss.
    uint32_t lookup(const ip6_addr& dst) const noexcept;
    /// Reader: ids for n addresses; one snapshot for the whole batch.
    void lookup_bulk(const ip6_addr* dst, uint32_t* nh, unsigned n) const noexcept;

    size_t size() const noexcept;

private:
    struct table;
    rcu_ptr<table> cur_;
};

}  // namespace mpnet
