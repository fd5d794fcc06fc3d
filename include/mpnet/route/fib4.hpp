// SPDX-License-Identifier: BSD-2-Clause
// The IPv4 FIB the data path reads: prefix -> nexthop id, single and bulk
// lookup, behind one class with two backends chosen by configuration:
// - poptrie (the default): mpnet's Poptrie (route/poptrie.hpp), updated in
//   place sub-trie by sub-trie and published through liburcu-qsbr;
// - dpdk: DPDK's rte_lpm (DIR-24-8) with its RCU QSBR defer queue, the
//   baseline it is measured against.
//
// Locking notes:
// - One writer (the control plane, under the stack lock) calls add/del and
//   commit; nothing a reader sees ever needs a lock.
// - Readers are the stack's workers. For poptrie they are liburcu readers
//   already (rcu_quiescent once per poll iteration, offline while asleep).
//   For rte_lpm they are also reader slots 0..W-1 of the FIB's DPDK QSBR
//   variable: a worker reports quiescent() after each poll iteration and
//   goes offline() while it sleeps; freed tbl8 groups are reused only after
//   every online reader reported. Both calls are no-ops for poptrie.
// - The control plane reads the FIB too, under the stack lock.
// - DPDK's headers stay in fib4.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mpnet/core/addr.hpp"
#include "mpnet/core/result.hpp"

namespace mpnet {

enum class fib_backend : uint8_t { poptrie, dpdk };
const char* fib_backend_name(fib_backend b) noexcept;
std::optional<fib_backend> fib_backend_parse(std::string_view s) noexcept;

struct fib4_config {
    fib_backend backend = fib_backend::poptrie;
    uint32_t max_routes = 1u << 21;   // routes (rte_lpm: its rules)
    uint32_t tbl8_groups = 1u << 12;  // rte_lpm only: 256-entry second-level groups
    unsigned readers = 1;             // rte_lpm only: worker slots
};

struct fib_stats {
    size_t routes = 0;
    size_t memory_bytes = 0;  // what the lookup structure occupies now
    uint64_t commits = 0, rebuilt = 0, rollbacks = 0;  // poptrie only
};

struct poptrie_stats;
/// A Poptrie's counters as the FIB reports them (both families).
fib_stats fib_stats_of(const poptrie_stats& t) noexcept;

class fib4 {
public:
    static constexpr uint32_t miss = UINT32_MAX;

    /// errc::nomem when the tables cannot be allocated; errc::inval for a bad config.
    static result<std::unique_ptr<fib4>> create(const std::string& name, const fib4_config& cfg);
    ~fib4();
    fib4(const fib4&) = delete;
    fib4& operator=(const fib4&) = delete;

    fib_backend backend() const noexcept;
    /// The largest nexthop id this backend stores (rte_lpm: 24 bits; poptrie: 31).
    uint32_t nexthop_max() const noexcept;

    /// Writer: adds or replaces, visible to readers when this returns.
    /// errc::nospc when routes or table memory are exhausted (nothing changed),
    /// errc::inval for a nexthop above nexthop_max().
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

    fib_stats stats() const noexcept;

    struct impl;

private:
    explicit fib4(std::unique_ptr<impl> p);
    std::unique_ptr<impl> p_;
};

}  // namespace mpnet
