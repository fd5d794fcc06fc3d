// SPDX-License-Identifier: BSD-2-Clause
// The neighbor module: one state machine (RFC 4861's states, which NetBSD
// uses for ARP too) over the per-interface lltables, with the per-family
// operations a family module registers (NetBSD's nd_domain): how to
// solicit, how to send a packet that was held, what to report when
// resolution fails, and how to make room before an entry is created.
//
// Locking notes: everything here runs on the control plane under the control
// lock. Workers only read resolutions (lltable, RCU) and hand packets with no
// usable entry to the owning family's "resolve" hand-over, which ends in hold().
#pragma once

#include <array>
#include <functional>
#include <unordered_map>
#include <vector>

#include "mpnet/core/addr.hpp"
#include "mpnet/l3/ip6.hpp"
#include "mpnet/netif/lltable.hpp"
#include "mpnet/route/nexthop.hpp"
#include "mpnet/stack/stack.hpp"

namespace mpnet {

struct lcore_ctx;

/// The per-family operations of the neighbor state machine.
struct nd_domain {
    uint8_t family = 0;      // 4 or 6: llkey::family
    uint16_t ethertype = 0;  // of the packets held for an entry
    /// Sends a solicitation for `e`: to its known link address when
    /// `unicast` (PROBE), else broadcast or multicast.
    void (*solicit)(stack::impl& s, ifnet& ifp, llentry& e, bool unicast) = nullptr;
    /// Sends a packet whose neighbor became valid while it was on its way.
    void (*output)(stack::impl& s, lcore_ctx& c, mbuf* m, ifnet& ifp, const llkey& nh) = nullptr;
    /// Resolution gave up: reports it (an event).
    void (*failed)(stack::impl& s, ifindex_t ifindex, const llkey& k) = nullptr;
    /// Before an entry is created: makes room by the family's rule (NetBSD's
    /// neighborgcthresh for IPv6). Null: the table's limit alone applies.
    void (*gc)(stack::impl& s, ifnet& ifp) = nullptr;
    /// May `ifp` resolve for this family now (ARP's -arp)? Null: yes.
    bool (*resolves)(const ifnet& ifp) = nullptr;
};

class neigh {
public:
    explicit neigh(stack::impl& s) : s_(s) {}
    neigh(const neigh&) = delete;
    neigh& operator=(const neigh&) = delete;

    /// Registers a family's operations (at construction, before any interface).
    void add_domain(const nd_domain& d);
    const nd_domain& domain(uint8_t family) const noexcept { return domains_[family == 6 ? 1 : 0]; }

    /// Moves `e` to state `st` with link address `mac` and flags: starts the
    /// state's timer, solicits for INCOMPLETE and PROBE, and sends what was
    /// held once the entry is valid.
    void set_state(ifnet& ifp, llentry& e, ll_state st, ether_addr mac, uint8_t flags);
    /// Holds `m` (network header at front) for neighbor `nh` on `ifp`,
    /// creating an INCOMPLETE entry; the hold list is bounded
    /// (stack_config::neigh_hold_max): the oldest packet gives way. All
    /// hold lists together are bounded too (stack_config::neigh_hold_total),
    /// and one interface's to half of that: past either a packet for a new
    /// hold list is dropped (neigh_hold_limit).
    void hold(ifnet& ifp, const llkey& nh, mbuf* m);
    /// Packets held for all unresolved neighbors now, and on one interface.
    uint32_t held() const noexcept { return held_; }
    uint32_t held(ifindex_t ifindex) const noexcept { return held_if_[ifindex % limits::ifnet_max]; }
    /// What one interface's hold lists may hold together: half the total.
    uint32_t if_hold_share() const noexcept;
    /// Creates an entry; a full table evicts a dynamic entry not known to be in use.
    result<llentry*> create(ifnet& ifp, const llkey& k);
    /// The nexthop table's binder: the entry of a new nexthop's gateway.
    static llentry* nexthop_binder(void* stack_impl, const nh_gw_key& k);
    void remove(ifnet& ifp, llentry& e);
    /// arp -d / ndp -d: removes `k` from every interface (or only `ifname`);
    /// false when no interface had it.
    bool remove_key(const llkey& k, std::string_view ifname = {});
    /// Removes the entries of `family` (0: both) that `within` accepts (null:
    /// all); static ones stay when `keep_static`.
    void purge(ifnet& ifp, bool keep_static, uint8_t family = 0,
               const std::function<bool(const llkey&)>& within = nullptr);
    void purge(ifnet& ifp, bool keep_static, const prefix4& within);
    void purge(ifnet& ifp, bool keep_static, const prefix6& within);
    /// arp -s / ndp -s: NetBSD's overwrite rules (a permanent entry stays:
    /// errc::exist), permanent unless arp_opt::temp, published with arp_opt::pub.
    status static_set(ifnet& ifp, const llkey& k, const ether_addr& mac, unsigned opts);
    /// static_set on `ifname`, or with no name on the first interface with a
    /// link address that has a prefix holding `k` (errc::netunreach: none).
    status static_add(const llkey& k, const ether_addr& mac, unsigned opts, std::string_view ifname);
    /// A worker used a STALE entry (notice stale_used): it moves to DELAY.
    void stale_used(ifnet& ifp, const llkey& k);
    neigh_info info(const ifnet& ifp, const llentry& e) const;
    /// Every entry of `family` on every interface, by address, then interface name.
    std::vector<neigh_info> list(uint8_t family) const;
    /// The interface is going away: its eviction list goes with it.
    void forget(const ifnet& ifp) { evict_.erase(ifp.index()); }

private:
    void timer(ifindex_t ifindex, llkey key);
    void flush_hold(ifnet& ifp, llentry& e);
    void drop_hold(ifnet& ifp, llentry& e, drop_reason r);
    /// Counts `n` packets more (or fewer) held on interface `ix`.
    void count_held(ifindex_t ix, int32_t n) noexcept {
        held_ += n;
        held_if_[ix] += n;
    }

    result<llentry*> create_entry(ifnet& ifp, const llkey& k);
    stack::impl& s_;
    std::array<nd_domain, 2> domains_{};
    // Every entry's hold_n summed, and per interface index (count_held()).
    uint32_t held_ = 0;
    std::array<uint32_t, limits::ifnet_max> held_if_{};
    // A full table's next victims (create()), per interface index.
    struct evict_list {
        std::vector<llkey> keys;  // ranked, most evictable first
        size_t next = 0;
        uint64_t nothing_at = 0;  // changes_ when a scan found nothing to evict
    };
    // Only interfaces whose table has been full have one (forget() drops it).
    std::unordered_map<ifindex_t, evict_list> evict_;
    uint64_t changes_ = 1;  // entries set or removed, ever
};

}  // namespace mpnet
