// SPDX-License-Identifier: BSD-2-Clause
// The IPv6 RIB: every IPv6 route with its NetBSD flags. Link-local
// destinations and gateways carry their interface index embedded in bytes
// 2..3 (KAME's scope embedding), so fe80::/64 on two interfaces are two routes.
//
// Locking notes: control plane only (the stack lock).
#pragma once

#include <cstdint>
#include <map>

#include "mpnet/core/addr.hpp"
#include "mpnet/core/limits.hpp"

namespace mpnet {

struct rtentry6 {
    prefix6 dst{};               // scope embedded for link-local
    ip6_addr gateway{};          // with rtf::gateway; scope embedded for link-local
    ifindex_t ifindex = 0;      // egress interface (lo0 for local routes)
    ifindex_t src_ifindex = 0;  // the interface whose address is `ifa`
    ip6_addr ifa{};              // source for locally originated packets
    uint32_t flags = 0;        // rtf
    uint32_t nh = 0;           // nexthop id the FIB points at
    uint32_t mtu = 0;          // path MTU (0: the interface's)
    uint64_t expire_ns = 0;    // dynamic (redirect) routes: when they go
    uint64_t timer = 0;        // the control plane's expiry timer
    bool ifp_pinned = false;   // -ifp given
    bool from_ra = false;      // a default route installed from the default router list
};

class rib6 {
public:
    rtentry6* find(const prefix6& p) noexcept {
        auto it = m_.find(p);
        return it == m_.end() ? nullptr : &it->second;
    }
    /// Longest match (scope-embedded key), skipping routes with any of `skip`'s flags.
    rtentry6* match(const ip6_addr& a, uint32_t skip = 0) noexcept {
        for (int len = 128; len >= 0; --len) {
            auto it = m_.find(prefix6::of(a, unsigned(len)));
            if (it != m_.end() && !(it->second.flags & skip)) return &it->second;
        }
        return nullptr;
    }
    rtentry6& insert(const rtentry6& e) { return m_.emplace(e.dst, e).first->second; }
    void erase(const prefix6& p) { m_.erase(p); }
    size_t size() const noexcept { return m_.size(); }
    template <typename F>
    void for_each(F&& fn) {
        for (auto& [k, e] : m_) fn(e);
    }

private:
    std::map<prefix6, rtentry6> m_;
};

}  // namespace mpnet
