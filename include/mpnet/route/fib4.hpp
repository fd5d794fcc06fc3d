// SPDX-License-Identifier: BSD-2-Clause
// The IPv4 FIB the data path reads: prefix -> nexthop id, single and bulk
// lookup. The baseline is DPDK's rte_lpm (DIR-24-8) with its RCU QSBR
// support; the FIB issue brings mpnet's own trie behind the same class.
//
// Locking notes:
// - One writer (the control plane, under the stack lock) calls add/del;
//   rte_lpm updates entries with atomic stores so lookups never lock.
// - Readers are the stack's workers, registered as reader slots 0..W-1 of the
//   FIB's DPDK QSBR variable. A worker reports quiescent() after each poll
//   iteration and goes offline() while it sleeps. Freed tbl8 groups are
//   reclaimed only after every online reader reported (defer-queue mode), so
//   a reader never walks a group that was reused under it.
// - The control plane reads the FIB too, but only under the stack lock, when
//   no write can run.
// - DPDK's headers stay in fib4.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "mpnet/core/addr.hpp"
#include "mpnet/core/result.hpp"

namespace mpnet {

struct fib4_config {
    uint32_t max_routes = 1u << 16;   // rte_lpm rules
    uint32_t tbl8_groups = 1u << 12;  // 256-entry second-level groups
    unsigned readers = 1;             // worker slots
};

class fib4 {
public:
    static constexpr uint32_t miss = UINT32_MAX;
    static constexpr uint32_t nexthop_max = (1u << 24) - 1;  // rte_lpm's 24-bit next hop

    /// errc::nomem when DPDK cannot allocate the tables; errc::inval for a bad config.
    static result<std::unique_ptr<fib4>> create(const std::string& name, const fib4_config& cfg);
    ~fib4();
    fib4(const fib4&) = delete;
    fib4& operator=(const fib4&) = delete;

    /// Writer: adds or replaces. errc::nospc when rules or tbl8 groups are exhausted.
    status add(const prefix4& p, uint32_t nh);
    /// Writer: errc::noent if absent.
    status del(const prefix4& p);

    /// Reader: the nexthop id for `dst`, or miss.
    uint32_t lookup(ip4_addr dst) const noexcept;
    /// Reader: ids for n host-order addresses (miss where none).
    void lookup_bulk(const uint32_t* dst, uint32_t* nh, unsigned n) const noexcept;

    void quiescent(unsigned reader) noexcept;
    void offline(unsigned reader) noexcept;
    void online(unsigned reader) noexcept;

    struct impl;

private:
    explicit fib4(std::unique_ptr<impl> p);
    std::unique_ptr<impl> p_;
};

}  // namespace mpnet
