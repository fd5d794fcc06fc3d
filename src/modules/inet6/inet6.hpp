// SPDX-License-Identifier: BSD-2-Clause
// The inet6 module: IPv6 input, forwarding and output (ip6_input.cpp),
// ICMPv6 and neighbor discovery with router advertisements, SLAAC and
// redirects (nd6.cpp), addresses and DAD (addr6.cpp), the RIB6/FIB6 and its
// route glue (route6.cpp), and its sysctl knobs. Its state lives here, not in
// the stack: the stack keeps one pointer to it (stack::impl::in6) because
// IPv6 input is called inline after Ethernet demux, never through a table.
//
// Locking notes: fields marked [rcu] are published for workers (fib6_,
// knobs6, advertising); everything else is the control plane's, under the
// stack's control lock. Per-lcore ICMPv6 error tokens live in lcore_ctx.
#pragma once

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "mpnet/l3/ip6.hpp"
#include "mpnet/route/fib6.hpp"
#include "mpnet/route/nexthop.hpp"
#include "mpnet/stack/module.hpp"
#include "mpnet/stack/stack.hpp"

namespace mpnet {

struct lcore_ctx;
struct l4_batch;
struct llentry;
class inet6;

/// DAD in progress for one IPv6 address.
struct dad6_state {
    ifindex_t ifindex;
    ip6_addr addr{};
    uint32_t probes_sent = 0;
    uint64_t timer = 0;
};

/// A default router learned from advertisements (ndp -r).
struct nd_defrouter {
    ip6_addr addr{};  // link-local, wire form
    ifindex_t ifindex = 0;
    uint32_t lifetime_s = 0;
    uint64_t expire_ns = 0;
};

/// A prefix learned from advertisements (ndp -p).
struct nd_prefix {
    prefix6 prefix{};
    ifindex_t ifindex = 0;
    bool onlink = false, autonomous = false;
    uint32_t vltime_s = 0, pltime_s = 0;
    uint64_t vexpire_ns = 0, pexpire_ns = 0;  // 0: infinite
    std::vector<ip6_addr> routers;
};

/// rtadvd state of one interface.
struct rtadv_state {
    rtadv_config cfg;
    uint64_t next_ns = 0;        // the next periodic RA
    uint64_t last_mcast_ns = 0;  // the last RA to all nodes
    uint64_t rs_due_ns = 0;      // an answer to solicitations is scheduled then (0: none)
    uint64_t rs_timer = 0;
    uint32_t rng = 1;
};

/// RFC 4861 10: a router's answer to solicitations waits up to
/// MAX_RA_DELAY_TIME, and multicast RAs are MIN_DELAY_BETWEEN_RAS apart.
inline constexpr uint32_t nd_max_ra_delay_ms = 500;
inline constexpr uint64_t nd_min_delay_between_ras_s = 3;

/// Coalesces FIB6 commits: RIB6 changes made while one is alive are staged
/// and published by one commit when the outermost ends, and nexthops are
/// released only after that.
class fib6_batch {
public:
    explicit fib6_batch(inet6& in6);
    ~fib6_batch();
    fib6_batch(const fib6_batch&) = delete;
    fib6_batch& operator=(const fib6_batch&) = delete;

private:
    inet6& in6_;
};

class inet6 {
public:
    explicit inet6(stack::impl& s);
    inet6(const inet6&) = delete;
    inet6& operator=(const inet6&) = delete;

    stack::impl& stk;  // the instance: interfaces, timers, pools, lcores, events

    // ---- hand-over kinds (registered at attach)
    uint16_t punt_icmp6 = 0;     // ICMPv6 for the control plane (IPv6 header at front, aux = ICMPv6 offset)
    uint16_t punt_resolve6 = 0;  // IPv6 packet waiting for a neighbor: ifindex = egress (nexthop re-resolved)

    // ---- knobs, read by workers [rcu] (relaxed: each is meaningful alone)
    struct knobs6_t {
        std::atomic<bool> forwarding, send_redirects;
        std::atomic<uint32_t> hlim, icmp_err_pps;
    } knobs6;
    bool fwd6() const noexcept { return knobs6.forwarding.load(std::memory_order_relaxed); }
    uint8_t hlim6() const noexcept { return static_cast<uint8_t>(knobs6.hlim.load(std::memory_order_relaxed)); }
    /// Interfaces with rtadvd running: they join ff02::2 (bit per ifindex, read by workers).
    std::array<std::atomic<bool>, limits::ifnet_max> advertising{};

    // ---- routing [ctl], and the FIB6 workers read
    rib6 rib6_;
    std::unique_ptr<fib6> fib6_;         // [rcu] follows rib6_; staged changes commit once per batch (fib6_batch)
    unsigned fib6_hold = 0;              // open fib6_batch scopes
    bool fib6_dirty = false;             // the RIB6 changed inside a batch
    uint64_t fib6_refused = 0;           // FIB6 commits refused for table memory
    std::vector<uint32_t> fib6_release;  // nexthop ids to release once the FIB6 no longer has them

    // ---- control-only state [ctl]
    std::map<std::pair<uint16_t, ip6_addr>, dad6_state> dads6;
    std::vector<nd_defrouter> defrouters;
    std::vector<nd_prefix> prefixes;
    std::map<ifindex_t, rtadv_state> rtadvs;
    uint64_t ra_in = 0;
    bool accept_rtadv = false;      // net.inet6.ip6.accept_rtadv
    bool accept_redirects6 = true;  // net.inet6.icmp6.rediraccept
    uint64_t nd6_sweep_timer = 0;

    // ---- data path (ip6_input.cpp); the control plane uses it with its own ctx
    void ip6_input(lcore_ctx& c, ifnet& ifp, mbuf** pkts, uint16_t n) noexcept;
    void ip6_local(lcore_ctx& c, ifnet& ifp, mbuf* m, bool mcast, l4_batch& b) noexcept;
    void ip6_forward(lcore_ctx& c, ifnet& in, mbuf* m, const nexthop* nh) noexcept;
    /// Sends an ICMPv6 error about `orig` (IPv6 header at front) to its source,
    /// rate-limited; `orig` stays the caller's.
    void icmp6_error(lcore_ctx& c, ifnet* in, mbuf* orig, uint8_t type, uint8_t code, uint32_t data) noexcept;
    bool icmp6_rate_ok(lcore_ctx& c) noexcept;
    /// Routes and sends an IPv6 packet (header at front); `zone` scopes a
    /// link-local destination (its ifindex), 0 otherwise.
    void ip6_route_output(lcore_ctx& c, mbuf* m, ifindex_t zone) noexcept;
    /// Sends to nexthop `nh` (wire form) on `ifp`: multicast mapping or ND.
    /// `cached`: nh's neighbor entry on ifp as a gateway nexthop caches it
    /// (null: looked up).
    void ip6_output(lcore_ctx& c, mbuf* m, ifnet& ifp, const ip6_addr& nh, llentry* cached = nullptr) noexcept;
    /// The multicast groups an interface has joined (all-nodes, solicited-node
    /// of each address, all-routers when forwarding or advertising).
    bool ip6_is_member(const ifnet& ifp, const ip6_addr& group) const noexcept;
    void nd6_redirect_send(lcore_ctx& c, ifnet& in, mbuf* orig, const ip6_addr& target) noexcept;
    // inet6's ICMPv6 input (the IP-protocol 58 registrant) and lifecycle hook
    void inet6_if_event(ifnet& ifp, if_event ev);
    void icmp6_local(lcore_ctx& c, ifnet& ifp, mbuf* m, uint32_t off, bool mcast) noexcept;

    // ---- ICMPv6 and ND on the control plane (nd6.cpp)
    void icmp6_input(ifnet& ifp, mbuf* m, uint32_t off);
    /// The ND message at `off`: at least `fixed` bytes, then options parsed
    /// into `o`. False when it dropped the packet (named reason).
    bool nd6_parse(mbuf* m, uint32_t off, uint32_t fixed, nd_options* o);
    void nd6_ns_input(ifnet& ifp, mbuf* m, uint32_t off);
    void nd6_na_input(ifnet& ifp, mbuf* m, uint32_t off);
    void nd6_rs_input(ifnet& ifp, mbuf* m, uint32_t off);
    void nd6_ra_input(ifnet& ifp, mbuf* m, uint32_t off);
    void nd6_redirect_input(ifnet& ifp, mbuf* m, uint32_t off);
    void nd6_resolve(ifnet& ifp, mbuf* m);  // punt_resolve6
    /// Sends an ICMPv6 message built by the control plane.
    void nd6_send(ifnet& ifp, const ip6_addr& src, const ip6_addr& dst, const void* msg, uint32_t len);
    void nd6_ns_send(ifnet& ifp, const ip6_addr& target, const ip6_addr* unicast_dst, const ether_addr* dst_mac,
                     bool dad);
    void nd6_na_send(ifnet& ifp, const ip6_addr& target, const ip6_addr& dst, const ether_addr& mac, uint32_t flags);
    void nd6_announce(ifnet& ifp);  // unsolicited NA for every address (link address change)
    /// NetBSD's neighborgcthresh: over the threshold, the oldest dynamic IPv6 entries go.
    void nd6_gc(ifnet& ifp);
    void nd6_learn(ifnet& ifp, const ip6_addr& a, const ether_addr& mac, bool router, bool is_new_stale);
    void nd6_sweep();  // 1 s: lifetimes, routers, prefixes, advertisements
    /// Routes, default routers, prefixes and their routers against their limits.
    void report_limits(std::vector<limit_info>& v) const;
    void rtadv_send(ifnet& ifp, const ip6_addr& dst);
    /// Stops rtadvd on `ifindex`, sending a final RA with lifetime 0 first
    /// when `final_ra` (RFC 4861 6.2.5).
    void rtadv_stop(ifindex_t ifindex, bool final_ra);
    void defrouter_remove(size_t i);
    void prefix_remove(size_t i);
    void defrouters_changed();

    // ---- addresses and DAD (addr6.cpp)
    void addrs6_publish(ifnet& ifp, std::vector<in6_ifaddr> v);
    status addr6_add_locked(ifnet& ifp, const ip6_addr& a, unsigned plen, const addr6_opts& o, uint8_t flags);
    void addr6_remove(ifnet& ifp, const ip6_addr& a);
    void dad6_start(ifnet& ifp, const ip6_addr& a);
    void dad6_timer(ifindex_t ifindex, ip6_addr a);
    void dad6_stop_all(ifindex_t ifindex);
    void dad6_conflict(ifnet& ifp, const ip6_addr& a);
    void set_addr6_flags(ifnet& ifp, const ip6_addr& a, uint8_t set, uint8_t clear);
    const in6_ifaddr* find_addr6(const ifnet& ifp, const ip6_addr& a) const;
    std::optional<ip6_addr> select_src6(const ifnet& ifp, const ip6_addr& dst) const;
    void if6_came_up(ifnet& ifp);

    // ---- routes (route6.cpp)
    nexthop nh_of6(const rtentry6& e) const;
    /// The RIB6 changed; `old_nh` (if not UINT32_MAX) is a nexthop id the
    /// FIB6 must stop returning before it is released. Outside a batch the
    /// FIB6 is rebuilt now; inside one, when the outermost batch ends.
    void fib6_changed(uint32_t old_nh);
    void fib6_commit();
    status rt6_install(rtentry6 e);
    void rt6_remove(const prefix6& p);
    status rt6_reprogram(rtentry6& e, const rtentry6& next);
    void routes6_rebuild();
    void route6_event(stack_event::kind_t k, const rtentry6& e);
    void event6(stack_event::kind_t k, ifindex_t ifindex, const ip6_addr& a);
    void rt6_redirect(ifnet& ifp, const ip6_addr& dst, const ip6_addr& target);
};

/// ND's operations for the neighbor module (nd6.cpp).
struct nd_domain;
nd_domain nd6_nd_domain();

}  // namespace mpnet
