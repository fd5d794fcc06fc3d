// SPDX-License-Identifier: BSD-2-Clause
// The IPv6 FIB the data path reads: prefix -> nexthop id (scope-embedded
// keys), behind one class with two backends chosen by configuration:
// - poptrie (the default): mpnet's Poptrie (route/poptrie.hpp), updated
//   sub-trie by sub-trie and published through liburcu-qsbr;
// - dpdk: DPDK's rte_lpm6, the baseline. DPDK 22.11's rte_lpm6 has no RCU
//   reclamation (a delete may reuse a tbl8 a reader is walking), so this
//   backend builds a fresh rte_lpm6 from all routes at each commit and
//   publishes it whole through RCU: correct, and as slow to update as that is.
//
// Changes are staged (add/del) and published by commit(), so the stack can
// batch the routes one event changes. errc::nospc from commit() means the
// batch was rolled back.
//
// Locking notes:
// - One writer (the control plane, under the stack lock).
// - Readers (workers, and the control plane) call lookup() inside their RCU
//   read section; what they reach is never changed or freed under them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "mpnet/core/addr.hpp"
#include "mpnet/core/result.hpp"
#include "mpnet/route/fib4.hpp"

namespace mpnet {

struct fib6_config {
    fib_backend backend = fib_backend::poptrie;
    uint32_t max_routes = 1u << 20;
};

class fib6 {
public:
    static constexpr uint32_t miss = UINT32_MAX;

    static result<std::unique_ptr<fib6>> create(const std::string& name, const fib6_config& cfg);
    ~fib6();
    fib6(const fib6&) = delete;
    fib6& operator=(const fib6&) = delete;

    fib_backend backend() const noexcept;
    /// The largest nexthop id this backend stores (rte_lpm6: 21 bits; poptrie: 31).
    uint32_t nexthop_max() const noexcept;

    /// Writer: stages an add or change. errc::inval for a nexthop above
    /// nexthop_max(); errc::nospc at max_routes.
    status add(const prefix6& p, uint32_t nh);
    /// Writer: stages a withdrawal; errc::noent if absent.
    status del(const prefix6& p);
    /// Writer: publishes what is staged; errc::nospc: rolled back.
    status commit();
    /// Writer: drops what is staged.
    void abort();

    /// Reader: the nexthop id for `dst` (scope embedded), or miss.
    uint32_t lookup(const ip6_addr& dst) const noexcept;
    /// Reader: ids for n addresses.
    void lookup_bulk(const ip6_addr* dst, uint32_t* nh, unsigned n) const noexcept;

    size_t size() const noexcept;
    fib_stats stats() const noexcept;

    struct impl;

private:
    explicit fib6(std::unique_ptr<impl> p);
    std::unique_ptr<impl> p_;
};

}  // namespace mpnet
