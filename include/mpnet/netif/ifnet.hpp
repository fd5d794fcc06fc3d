// SPDX-License-Identifier: BSD-2-Clause
// Network interfaces (NetBSD's ifnet): index, name, flags, MTU, link address,
// addresses per family, per-lcore counters, and the interface's own lltable.
//
// Locking notes:
// - An ifnet is created and destroyed by the control plane under the stack's
//   control lock. It is reachable by workers only through ifnet_table, an
//   array of atomic pointers indexed by ifindex (publish = release store),
//   and, for one with a port, its list of port slots (the same publication).
//   The table's name map, free-index hint and counts are the control
//   plane's alone.
// - flags, mtu and lladdr are atomics written by the control plane and read by
//   workers with acquire loads; each is meaningful on its own.
// - The address list is an immutable in_ifaddr_set published with rcu_ptr;
//   a change builds a new set and retires the old.
// - Counters are per-lcore slots (see core/counters.hpp).
// - RX queue q is polled only by the lcore in rxq_owner(q) (atomic, written by
//   the control plane; a move sets "unowned", waits a grace period, then
//   names the new owner). Per-queue RX counters have one writer at a time.
// - TX goes through the interface's tx_layer (netif/txq.hpp), or the kind's
//   transmit for an interface without a port.
// - The kind (and the copies of its data-path operations) is fixed at
//   construction and immutable; the kind's softc is set before the interface
//   is published, and what it holds follows the kind's own Locking notes.
// - Destroy: unpublish from ifnet_table, psref drain (grace period + wait for
//   passive references), then free. A worker's TX buffer never outlives a
//   poll iteration, so it never holds an ifnet across a quiescent state.
// Lock order: stack control lock -> nothing (netif takes no locks itself).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mpnet/core/addr.hpp"
#include "mpnet/core/counters.hpp"
#include "mpnet/core/limits.hpp"
#include "mpnet/core/packet.hpp"
#include "mpnet/core/result.hpp"
#include "mpnet/netif/lltable.hpp"
#include "mpnet/netif/port.hpp"
#include "mpnet/netif/txq.hpp"
#include "mpnet/sync/psref.hpp"
#include "mpnet/sync/rcu.hpp"

namespace mpnet {

/// Interface flags: NetBSD's IFF_* values.
namespace iff {
inline constexpr uint32_t up = 0x1;
inline constexpr uint32_t broadcast = 0x2;
inline constexpr uint32_t loopback = 0x8;
inline constexpr uint32_t pointopoint = 0x10;  // a link with one peer (gif): addresses may name it
inline constexpr uint32_t running = 0x40;
inline constexpr uint32_t noarp = 0x80;
inline constexpr uint32_t promisc = 0x100;
inline constexpr uint32_t simplex = 0x800;
inline constexpr uint32_t multicast = 0x8000;
}  // namespace iff

/// The `<UP,BROADCAST,RUNNING,...>` words of ifconfig for a flags value.
std::string iff_words(uint32_t flags);

/// IPv4 address flags: NetBSD's IN_IFF_*.
namespace in_iff {
inline constexpr uint8_t tentative = 0x01;   // DAD in progress: not usable yet
inline constexpr uint8_t duplicated = 0x02;  // DAD found a conflict: never used
inline constexpr uint8_t detached = 0x04;    // link down: re-check when it comes up
}  // namespace in_iff

struct in_ifaddr {
    ip4_addr addr;
    uint8_t plen = 0;
    uint8_t flags = 0;  // in_iff
    ip4_addr bcast;
    ip4_addr dst;  // point-to-point interfaces: the peer's address (0.0.0.0: none)

    prefix4 prefix() const noexcept { return prefix4::of(addr, plen); }
    bool is_usable() const noexcept {
        return (flags & (in_iff::tentative | in_iff::duplicated | in_iff::detached)) == 0;
    }
};

/// IPv6 address flags: NetBSD's IN6_IFF_*.
namespace in6_iff {
inline constexpr uint8_t tentative = 0x01;   // DAD in progress: not usable yet
inline constexpr uint8_t duplicated = 0x02;  // DAD found a conflict: never used
inline constexpr uint8_t detached = 0x04;    // link down: re-check when it comes up
inline constexpr uint8_t deprecated = 0x08;  // preferred lifetime over: not chosen as a source
inline constexpr uint8_t autoconf = 0x10;    // made by SLAAC from an advertised prefix
}  // namespace in6_iff

struct in6_ifaddr {
    ip6_addr addr{};  // on the wire form (no embedded scope)
    uint8_t plen = 64;
    uint8_t flags = 0;         // in6_iff
    uint32_t pltime_s = 0;     // as configured (0xffffffff: infinite)
    uint32_t vltime_s = 0;     // as configured (0xffffffff: infinite)
    uint64_t preferred_ns = 0;  // deprecated from this time (0: never)
    uint64_t expire_ns = 0;     // removed at this time (0: never)
    ip6_addr dst{};             // point-to-point interfaces: the peer's address (:: none)

    prefix6 prefix() const noexcept { return prefix6::of(addr, plen); }
    bool is_usable() const noexcept {
        return (flags & (in6_iff::tentative | in6_iff::duplicated | in6_iff::detached)) == 0;
    }
};

/// Immutable snapshot of an interface's addresses.
struct in_ifaddr_set {
    std::vector<in_ifaddr> v4;
    std::vector<in6_ifaddr> v6;
};

class dp_ctx;
class module_ctl;
struct l3_next;
class ifnet;

/// What layer 3 and the neighbor modules may assume of an interface of a
/// kind; they ask these, never which kind an interface is.
namespace ifcap {
inline constexpr uint32_t lladdr = 0x1;  // an Ethernet link address: ARP, ND, DAD, `ifconfig link`
// With no port: the link address is the interface's own (an L2 tunnel's),
// not one it follows (a vlan's parent's), so `ifconfig IF link MAC active`
// may set it. An interface with a port sets its port's.
inline constexpr uint32_t own_lladdr = 0x2;
}  // namespace ifcap

/// A module's takeover of an interface (a bridge's members, NetBSD's
/// if_bridge hooks): while set, frames received on the interface go to
/// `input` instead of its kind's input, and finished frames the interface's
/// own layer 3 sends go to `output` instead of its port. The module owns the
/// hook for the stack's lifetime; it calls port_transmit() to reach the port.
struct if_hook_ops {
    void (*input)(dp_ctx& c, ifnet& ifp, mbuf** pkts, uint16_t n, void* arg) noexcept = nullptr;
    void (*output)(dp_ctx& c, ifnet& ifp, mbuf* m, void* arg) noexcept = nullptr;
    void* arg = nullptr;
};

/// A kind's per-interface state (NetBSD's softc), owned by the interface.
class if_softc {
public:
    virtual ~if_softc() = default;
};

/// An interface kind (NetBSD's if_clone plus if_output/if_transmit/_if_input):
/// a name prefix, capabilities, and operations. The data-path operations are
/// called once per burst (input) or per packet (output, transmit) through
/// these pointers; a null input/output/transmit is the Ethernet case, done
/// inline by the stack. Kinds are registered by modules (mpnet/stack/module.hpp)
/// and immutable once registered. `arg` is passed to every operation.
struct if_kind {
    std::string_view name;    // "ether", "lo", "vlan": what ifconfig -v and show report
    std::string_view prefix;  // interfaces `ifconfig PREFIXn create` makes ("vlan")
    uint32_t caps = 0;        // ifcap
    // ---- data path (any lcore; never block, never allocate)
    /// Frames received on the interface's RX queues or handed to it by a
    /// parent; the callee owns every packet. Null: Ethernet input.
    void (*input)(dp_ctx& c, ifnet& ifp, mbuf** pkts, uint16_t n, void* arg) noexcept = nullptr;
    /// A packet from layer 3 (network header at front) for nexthop `nh`,
    /// after the MTU check. Null: neighbor resolution on the interface's own
    /// lltable, then an Ethernet header (ether_output).
    void (*output)(dp_ctx& c, ifnet& ifp, mbuf* m, const l3_next& nh, void* arg) noexcept = nullptr;
    /// A finished link-layer frame. Null: the interface's port, through the
    /// lcore's TX buffer (if_transmit).
    void (*transmit)(dp_ctx& c, ifnet& ifp, mbuf* m, void* arg) noexcept = nullptr;
    // ---- control plane (the stack's control lock is held)
    /// `ifconfig NAME create` of a kind that runs on a port of its own (tap's
    /// host interface): opens it (module_ctl::port_open) before the
    /// interface is made; null refuses the create (errc::nodev). Null op: no port.
    std::unique_ptr<port> (*open_port)(module_ctl& ctl, std::string_view ifname, void* arg) = nullptr;
    /// `ifconfig NAME create`: fills in the new interface (flags, MTU, link
    /// address, softc) before it is published. Null: not creatable by name.
    status (*create)(module_ctl& ctl, ifnet& ifp, void* arg) = nullptr;
    /// The interface is going (after the modules' detach hooks, before it is
    /// unpublished): let go of what the kind holds for it.
    void (*destroy)(module_ctl& ctl, ifnet& ifp, void* arg) = nullptr;
    /// Link state for a kind that has one (polled by the control plane).
    /// Null: no link state; the interface runs whenever it is up.
    bool (*link_up)(module_ctl& ctl, const ifnet& ifp, void* arg) = nullptr;
    /// Lines ifconfig prints for the interface ("vlan: 10 parent interface: mp0").
    void (*show)(module_ctl& ctl, const ifnet& ifp, std::vector<std::string>& lines, void* arg) = nullptr;
    /// Commands that recreate the kind's configuration of the interface, after
    /// `ifconfig NAME create` (the stack writes addresses and flags itself).
    void (*running_config)(module_ctl& ctl, const ifnet& ifp, std::vector<std::string>& lines, void* arg) = nullptr;
    void* arg = nullptr;
    /// The stack's two kinds of its own: Ethernet on a port, and lo.
    static const if_kind ether;
    static const if_kind loopback;
};

/// Per-interface counters, one slot per lcore.
enum class if_counter : uint8_t { ipackets, ibytes, opackets, obytes, iqdrops, oqdrops, imcasts, count_ };
using if_counters = percpu_counters<static_cast<size_t>(if_counter::count_)>;

class ifnet {
public:
    /// Control plane. `p` is null for an interface with no port of its own. `lcore_slots` is the number of
    /// counter slots (workers + control plane).
    ifnet(ifindex_t index, std::string name, const if_kind& kind, std::unique_ptr<port> p, size_t lcore_slots,
          size_t neigh_max);
    ~ifnet();
    ifnet(const ifnet&) = delete;
    ifnet& operator=(const ifnet&) = delete;

    ifindex_t index() const noexcept { return index_; }
    /// A hint that the data path is about to read this interface (the
    /// lines of its flags and MTU, its address set, softc and counters
    /// pointers).
    void prefetch() const noexcept {
        __builtin_prefetch(&flags_);
        __builtin_prefetch(&addrs_);
        __builtin_prefetch(&softc_);
        __builtin_prefetch(&ctr_);
    }
    /// For an interface with a port: its slot among the stack's port
    /// interfaces (0..limits::port_if_max-1), set when it is published;
    /// per-lcore TX buffers are indexed by it. Interfaces with no port of
    /// their own (tunnels, VLANs, bridges) have none and never reach them.
    uint16_t port_slot() const noexcept { return port_slot_; }
    void set_port_slot(uint16_t s) noexcept { port_slot_ = s; }
    const std::string& name() const noexcept { return name_; }
    /// The interface's kind: only the kind's own module looks inside.
    const if_kind& kind() const noexcept { return *kind_; }
    uint32_t caps() const noexcept { return kind_->caps; }
    /// The kind's data-path operations (null: Ethernet, inline), copied here
    /// so that the fast path tests them without reaching the kind.
    auto kind_input() const noexcept { return k_input_; }
    auto kind_output() const noexcept { return k_output_; }
    auto kind_transmit() const noexcept { return k_transmit_; }
    /// A module's takeover (if_hook_ops), or null. Workers load it once per
    /// burst (input) or frame (output); the control plane sets and clears it.
    const if_hook_ops* hook() const noexcept { return hook_.load(std::memory_order_acquire); }
    void set_hook(const if_hook_ops* h) noexcept { hook_.store(h, std::memory_order_release); }
    /// The kind's per-interface state (null for ether and lo).
    if_softc* softc() const noexcept { return softc_.get(); }
    void set_softc(std::unique_ptr<if_softc> s) noexcept { softc_ = std::move(s); }
    class port* port() const noexcept {
        return port_.get();
    }

    uint32_t flags() const noexcept { return flags_.load(std::memory_order_acquire); }
    bool is_up() const noexcept { return (flags() & iff::up) != 0; }
    bool is_running() const noexcept { return (flags() & (iff::up | iff::running)) == (iff::up | iff::running); }
    void set_flags(uint32_t f) noexcept { flags_.store(f, std::memory_order_release); }

    uint32_t mtu() const noexcept { return mtu_.load(std::memory_order_acquire); }
    void set_mtu(uint32_t m) noexcept { mtu_.store(m, std::memory_order_release); }

    /// IPv6 link MTU learned from router advertisements (0: none; ndp -i's linkmtu).
    uint32_t linkmtu6() const noexcept { return linkmtu6_.load(std::memory_order_acquire); }
    void set_linkmtu6(uint32_t m) noexcept { linkmtu6_.store(m, std::memory_order_release); }
    /// The MTU IPv6 uses: the advertised link MTU when it is smaller.
    uint32_t mtu6() const noexcept {
        const uint32_t l = linkmtu6(), m = mtu();
        return (l && l < m) ? l : m;
    }

    ether_addr lladdr() const noexcept { return ether_addr::from_u64(lladdr_.load(std::memory_order_acquire)); }
    void set_lladdr(const ether_addr& a) noexcept { lladdr_.store(a.to_u64(), std::memory_order_release); }

    /// Reader: the current address set (never null).
    const in_ifaddr_set& addrs() const noexcept { return *addrs_.read(); }
    /// Control plane: publishes a new set and retires the old one.
    void publish_addrs(in_ifaddr_set next) { addrs_.replace(new in_ifaddr_set(std::move(next))); }

    class lltable& lltable() noexcept {
        return llt_;
    }
    if_counters& counters() noexcept { return ctr_; }
    uint64_t counter(if_counter c) const noexcept { return ctr_.sum(static_cast<size_t>(c)); }
    void count(size_t lcore, if_counter c, uint64_t n = 1) noexcept { ctr_.slot(lcore).add(static_cast<size_t>(c), n); }
    psref_target& psref() noexcept { return psref_; }

    // ---- RX queue map (intrctl) and per-queue counters
    static constexpr uint8_t rxq_unowned = 0xff;
    uint16_t rx_queues() const noexcept { return port_ ? port_->rx_queues() : 0; }
    uint8_t rxq_owner(uint16_t q) const noexcept { return rxq_owner_[q].load(std::memory_order_acquire); }
    void set_rxq_owner(uint16_t q, uint8_t lcore) noexcept { rxq_owner_[q].store(lcore, std::memory_order_release); }
    struct rxq_stat {
        std::atomic<uint64_t> packets{0}, bursts{0};
    };
    /// Owner only (one writer at a time): a burst of n packets on queue q.
    void count_rxq(uint16_t q, uint32_t n) noexcept {
        rxq_stat& st = rxq_stats_[q];
        st.packets.store(st.packets.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
        st.bursts.store(st.bursts.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }
    const rxq_stat& rxq_stats(uint16_t q) const noexcept { return rxq_stats_[q]; }
    /// The TX queue layer: set for every interface that has a port (lo0 too).
    tx_layer* txl() noexcept { return txl_.get(); }
    const tx_layer* txl() const noexcept { return txl_.get(); }

    /// Control-only: link addresses configured but not active (ifconfig link X).
    std::vector<ether_addr>& inactive_lladdrs() noexcept { return inactive_ll_; }

private:
    const ifindex_t index_;
    uint16_t port_slot_ = 0;
    const std::string name_;
    const if_kind* const kind_;
    decltype(if_kind::input) const k_input_;
    decltype(if_kind::output) const k_output_;
    decltype(if_kind::transmit) const k_transmit_;
    std::atomic<const if_hook_ops*> hook_{nullptr};
    std::unique_ptr<if_softc> softc_;
    std::unique_ptr<class port> port_;
    std::atomic<uint32_t> flags_{0};
    std::atomic<uint32_t> mtu_{1500};
    std::atomic<uint64_t> lladdr_{0};
    std::atomic<uint32_t> linkmtu6_{0};
    rcu_ptr<in_ifaddr_set> addrs_;
    mpnet::lltable llt_;
    if_counters ctr_;
    psref_target psref_;
    std::vector<ether_addr> inactive_ll_;
    std::array<std::atomic<uint8_t>, limits::rxq_max> rxq_owner_{};
    std::unique_ptr<rxq_stat[]> rxq_stats_;
    std::unique_ptr<tx_layer> txl_;
};

/// Interfaces by index (1..ifnet_max-1; 0 is never used, as in the BSDs).
/// Readers look up lock-free; the control plane inserts and removes, one
/// caller at a time (the stack's control lock).
///
/// Tunnels are interfaces, so the index space is wide (limits::ifnet_max);
/// what workers walk on every poll is the short list of interfaces with a
/// port (for_each_port, limits::port_if_max), never the whole table, and
/// the control plane's walks stop at the highest index in use.
class ifnet_table {
public:
    ifnet_table();
    ~ifnet_table();
    ifnet_table(const ifnet_table&) = delete;
    ifnet_table& operator=(const ifnet_table&) = delete;

    /// Reader: a hint that `index` is about to be looked up.
    void prefetch_slot(ifindex_t index) const noexcept {
        if (index < limits::ifnet_max) __builtin_prefetch(&slots_[index]);
    }
    /// Reader: the interface at `index`, or nullptr.
    ifnet* lookup(ifindex_t index) const noexcept {
        return index < limits::ifnet_max ? slots_[index].load(std::memory_order_acquire) : nullptr;
    }
    /// Control plane: the lowest free index, or 0 if the table is full.
    ifindex_t free_index() const noexcept;
    /// Control plane: publishes `ifp` at its index (release store). An
    /// interface with a port also takes a port slot: errc::nospc (nothing
    /// published) when all limits::port_if_max are taken.
    status publish(ifnet* ifp);
    /// Control plane: unpublishes the index; the caller drains and frees.
    ifnet* unpublish(ifindex_t index) noexcept;
    /// Control plane: by name, or nullptr.
    ifnet* find(std::string_view name) const noexcept;
    /// Control plane: interfaces in index order.
    template <typename F>
    void for_each(F&& fn) const {
        const size_t hi = hi_.load(std::memory_order_acquire);
        for (size_t i = 1; i < hi; ++i)
            if (ifnet* p = slots_[i].load(std::memory_order_acquire)) fn(*p);
    }
    /// Any thread: the interfaces with a port of their own, in slot order.
    template <typename F>
    void for_each_port(F&& fn) const {
        const size_t hi = ports_hi_.load(std::memory_order_acquire);
        for (size_t i = 0; i < hi; ++i)
            if (ifnet* p = ports_[i].load(std::memory_order_acquire)) fn(*p);
    }
    /// Any thread: the number of interfaces (a worker reads it as a hint).
    size_t size() const noexcept { return n_.load(std::memory_order_relaxed); }
    /// One past the highest index in use.
    ifindex_t end() const noexcept { return static_cast<ifindex_t>(hi_.load(std::memory_order_acquire)); }
    /// Control plane: every port slot is taken (publish would refuse one more).
    bool ports_full() const noexcept;
    /// Bumped by every publish and unpublish of an interface with a port,
    /// and by the control plane when an RX queue changes owner (changed()):
    /// a worker keeps its own list of the queues it polls and rebuilds it
    /// when this moves. The bump comes before the grace period that ends the
    /// old state's use (an unpublished interface's drain, a queue move's
    /// synchronize), so a worker that still holds the old list is one the
    /// grace period waits for.
    uint64_t generation() const noexcept { return gen_.load(std::memory_order_acquire); }
    void changed() noexcept { gen_.fetch_add(1, std::memory_order_acq_rel); }

private:
    size_t free_port_slot() const noexcept;  // ports_.size(): none
    std::unique_ptr<std::atomic<ifnet*>[]> slots_;  // limits::ifnet_max
    std::atomic<size_t> hi_{1};                     // one past the highest index in use
    mutable size_t free_hint_ = 1;                  // no free index below it
    std::atomic<size_t> n_{0};  // one writer (the control plane)
    std::array<std::atomic<ifnet*>, limits::port_if_max> ports_{};
    std::atomic<size_t> ports_hi_{0};
    struct name_hash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_map<std::string, ifnet*, name_hash, std::equal_to<>> by_name_;
    std::atomic<uint64_t> gen_{1};
};

}  // namespace mpnet
