// SPDX-License-Identifier: BSD-2-Clause
// The IPv4 RIB: every route with its NetBSD flags, in prefix order; the
// control plane's truth from which the FIB is programmed.
//
// Locking notes: control plane only (the stack lock).
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "mpnet/core/addr.hpp"
#include "mpnet/core/limits.hpp"

namespace mpnet {

struct rtentry {
    prefix4 dst;
    ip4_addr gateway;          // with rtf::gateway
    ifindex_t ifindex = 0;      // egress interface (lo0 for local routes)
    ifindex_t src_ifindex = 0;  // the interface whose address is `ifa`
    ip4_addr ifa;              // source for locally originated packets (route get's local addr)
    uint32_t flags = 0;        // rtf
    uint32_t nh = 0;           // nexthop id the FIB points at
    uint32_t mtu = 0;          // path MTU (0: the interface's)
    uint64_t expire_ns = 0;    // dynamic (redirect) routes: when they go
    uint64_t timer = 0;        // the control plane's expiry timer
    bool ifp_pinned = false;   // -ifp given: the interface stays even if the gateway is off-subnet
    bool mtu_learned = false;  // `mtu` came from path MTU discovery (applies to our own traffic only)
};

class rib4 {
public:
    rtentry* find(const prefix4& p) noexcept;
    /// Longest match, skipping routes with any of `skip`'s flags.
    rtentry* match(ip4_addr a, uint32_t skip = 0) noexcept;
    rtentry& insert(const rtentry& e);  // the caller checked find() first
    void erase(const prefix4& p);
    size_t size() const noexcept { return m_.size(); }
    template <typename F>
    void for_each(F&& fn) {
        for (auto& [k, e] : m_) fn(e);
    }

private:
    static uint64_t key(const prefix4& p) noexcept { return (uint64_t(p.addr.v) << 8) | p.len; }
    std::map<uint64_t, rtentry> m_;
};

}  // namespace mpnet
