// SPDX-License-Identifier: BSD-2-Clause
// The inet4 module: IPv4 input, forwarding and output with ICMP
// (ip4_input.cpp), ARP (arp.cpp), addresses and DAD (addr.cpp), the
// RIB/FIB and its route glue, redirects and path MTU (route.cpp), and its
// sysctl knobs (inet4.cpp). Its state lives here, not in the stack: the stack
// keeps one pointer to it (stack::impl::in4) because IPv4 input is called
// inline after Ethernet demux, never through a table.
//
// Locking notes: fields marked [rcu] are published for workers (fib, knobs);
// everything else is the control plane's, under the stack's control lock.
// Per-lcore ICMP error tokens live in lcore_ctx.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "mpnet/l2/arp.hpp"
#include "mpnet/route/fib4.hpp"
#include "mpnet/route/nexthop.hpp"
#include "mpnet/route/rib4.hpp"
#include "mpnet/stack/module.hpp"
#include "mpnet/stack/stack.hpp"

namespace mpnet {

struct lcore_ctx;
struct l4_batch;

/// DAD in progress for one address.
struct dad_state {
    ifindex_t ifindex;
    ip4_addr addr;
    uint32_t probes_sent = 0;
    uint64_t timer = 0;
};

class inet4 {
public:
    explicit inet4(stack::impl& s);
    inet4(const inet4&) = delete;
    inet4& operator=(const inet4&) = delete;

    stack::impl& stk;  // the instance: interfaces, timers, pools, lcores, events

    // ---- hand-over kinds (registered at attach)
    uint16_t punt_arp = 0;         // ARP frame (Ethernet header stripped), ifindex = ingress
    uint16_t punt_resolve = 0;     // IPv4 packet waiting for a neighbor: ifindex = egress, aux = nexthop
    uint16_t punt_echo_reply = 0;  // ICMP echo reply for a local ping session (IPv4 header at front)
    uint16_t punt_redirect = 0;    // ICMP redirect received on a host (IPv4 header at front)
    uint16_t punt_icmp_err = 0;    // ICMP error about our own traffic: path MTU, ping errors

    // ---- published state [rcu]
    std::unique_ptr<fib4> fib;  // prefix -> nexthop id; workers are its readers
    // ---- run-time knobs, read by workers (relaxed: each is meaningful alone)
    struct knobs_t {
        std::atomic<bool> forwarding, directed_broadcast, send_redirects, accept_redirects, bmcast_echo, mtudisc,
            mtudisc_forward;
        std::atomic<uint32_t> ttl, icmp_err_pps;
    } knobs;
    bool fwd() const noexcept { return knobs.forwarding.load(std::memory_order_relaxed); }

    // ---- control-only routing state [ctl]
    rib4 rib;
    // ---- control-only state [ctl]
    std::map<std::pair<ifindex_t, uint32_t>, dad_state> dads;  // (ifindex, addr)
    /// Host routes path MTU discovery created (destination -> expiry), at most
    /// limits::pmtu_routes_max: the soonest to expire gives way to a new one.
    std::unordered_map<uint32_t, uint64_t> pmtu_routes;
    // ---- data path (ip4_input.cpp); the control plane uses it with its own ctx
    /// IPv4 input for a burst from one interface: validation, one bulk FIB
    /// lookup, then local delivery, broadcast handling or forwarding.
    void ip4_input(lcore_ctx& c, ifnet& ifp, mbuf** pkts, uint16_t n) noexcept;
    void ip4_local(lcore_ctx& c, ifnet& ifp, mbuf* m, bool bcast, l4_batch& b) noexcept;
    void ip4_forward(lcore_ctx& c, ifnet& in, mbuf* m, const nexthop* nh) noexcept;
    /// Sends an ICMP error about `orig` (IPv4 header at front) back to its
    /// source, rate-limited; `orig` stays the caller's.
    void icmp_error(lcore_ctx& c, ifnet* in, mbuf* orig, uint8_t type, uint8_t code, uint32_t extra) noexcept;
    bool icmp_rate_ok(lcore_ctx& c) noexcept;
    /// MTU check, fragmentation, then neighbor output.
    void ip4_output_mtu(lcore_ctx& c, ifnet* in, mbuf* m, ifnet& ifp, ip4_addr nh, uint32_t path_mtu,
                        llentry* cached = nullptr) noexcept;
    /// Routes and sends an IPv4 packet (header at front, no L2) from `c`.
    void ip4_route_output(lcore_ctx& c, mbuf* m, ip4_addr dst) noexcept;
    /// Sends an IPv4 packet to nexthop `nh` on `ifp`, resolving the neighbor.
    /// `cached`: nh's neighbor entry on ifp as a gateway nexthop caches it
    /// (null: looked up).
    void ip4_output(lcore_ctx& c, mbuf* m, ifnet& ifp, ip4_addr nh, llentry* cached = nullptr) noexcept;
    // inet4's ICMP input (the IP-protocol 1 registrant)
    void icmp_input(lcore_ctx& c, ifnet& ifp, mbuf* m, bool bcast) noexcept;
    void arp_frames(lcore_ctx& c, ifnet& ifp, mbuf** pkts, uint16_t n) noexcept;
    // ---- ARP (arp.cpp)
    void arp_input(ifnet& ifp, mbuf* m);
    void arp_send(ifnet& ifp, const ether_addr& eth_dst, const arp_fields& f);
    void arp_announce(ifnet& ifp, ip4_addr a);  // GARP: who-has a tell a

    // ---- routes (route.cpp)
    nexthop nh_of(const rtentry& e) const;
    status rt_install(rtentry e);
    void rt_remove(const prefix4& p);
    status rt_reprogram(rtentry& e, const rtentry& next);
    void rt_expire(prefix4 p, uint64_t expected);
    void redirect_input(ifnet& ifp, mbuf* m);
    /// ICMP unreachable / time exceeded about our own traffic: told to ping
    /// sessions, and needfrag to path MTU discovery (mtu_input).
    void icmp_err_input(mbuf* m);
    void mtu_input(mbuf* m);

    // ---- addresses and DAD (addr.cpp)
    void addrs_publish(ifnet& ifp, std::vector<in_ifaddr> v);
    /// Brings connected (UC) and local (UHl) routes in line with the
    /// addresses, and drops gateway routes whose gateway became unreachable.
    void routes_rebuild();
    void dad_start(ifnet& ifp, ip4_addr a);
    void dad_timer(ifindex_t ifindex, ip4_addr a);
    void dad_stop(ifindex_t ifindex, ip4_addr a);
    void dad_stop_all(ifindex_t ifindex);
    void dad_conflict(ifnet& ifp, ip4_addr a);
    void set_addr_flags(ifnet& ifp, ip4_addr a, uint8_t set, uint8_t clear);
    /// The lifecycle hook: addresses, DAD, GARP, route glue.
    void inet4_if_event(ifnet& ifp, if_event ev);
    std::optional<ip4_addr> select_src(const ifnet& ifp, ip4_addr dst) const;
    void route_event(stack_event::kind_t k, const rtentry& e);
};

/// ARP's operations for the neighbor module (arp.cpp).
struct nd_domain;
nd_domain arp_nd_domain();

}  // namespace mpnet
