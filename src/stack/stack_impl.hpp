// SPDX-License-Identifier: BSD-2-Clause
// The stack's internal state, shared by its translation units.
//
// Locking notes: see include/mpnet/stack/stack.hpp. Fields marked [ctl] are
// touched only under `ctl`; [rcu] are published for workers; [lcore] belong to
// one lcore context.
#pragma once

#include <array>
#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "mpnet/core/poll_gap.hpp"
#include "mpnet/core/ring.hpp"
#include "mpnet/core/rx_rate.hpp"
#include "mpnet/l2/arp.hpp"
#include "mpnet/l3/ip6.hpp"
#include "mpnet/netif/neigh_cache.hpp"
#include "mpnet/route/fib4.hpp"
#include "mpnet/route/fib6.hpp"
#include "mpnet/route/nexthop.hpp"
#include "mpnet/route/rib4.hpp"
#include "mpnet/stack/module.hpp"
#include "mpnet/stack/stack.hpp"
#include "timer.hpp"

namespace mpnet {

class neigh;
class inet4;
class inet6;
class pinger;
struct nd_domain;

/// The notice id of the neighbor module, given by its registration
/// (module_registrar::notice); workers raise it (note_stale_use).
struct builtin_ids {
    uint16_t stale_used = 0;  // a STALE neighbor entry was used (data: family, address)
};

/// The demux tables and registries modules fill at construction (immutable after).
struct l4_entry {
    l4_fn fn = nullptr;           // a packet at a time, or
    l4_burst_fn burst = nullptr;  // the burst's packets together (l4_batch)
    void* arg = nullptr;
};
/// The packets of one input burst bound for burst handlers: gathered while
/// the burst is handled, delivered at its end (flush), one call per handler
/// with its packets in arrival order.
struct l4_batch {
    mbuf* pkts[pkt_batch::capacity];
    // Left unbuilt (l4_info's member initializers would write 512 bytes per
    // IPv4 or IPv6 input call, on the forwarding path that never uses them).
    union {
        l4_info li[pkt_batch::capacity];
    };
    const l4_entry* e[pkt_batch::capacity];
    uint16_t n = 0;

    l4_batch() noexcept {}
    /// At most one per packet of the burst: never full.
    void add(mbuf* m, const l4_info& i, const l4_entry* x) noexcept {
        pkts[n] = m;
        li[n] = i;
        e[n++] = x;
    }
    void flush(dp_ctx& c, ifnet& ifp) noexcept {
        if (n) flush_slow(c, ifp);
    }

private:
    void flush_slow(dp_ctx& c, ifnet& ifp) noexcept;
};
struct ethertype_entry {
    uint16_t type = 0;
    frame_fn fn = nullptr;
    void* arg = nullptr;
};
struct punt_entry {
    std::string module, kind;
    punt_fn fn = nullptr;
    void* arg = nullptr;
};
struct notice_entry {
    std::string module, kind;
    notice_fn fn = nullptr;
    void* arg = nullptr;
};
struct poll_entry {
    poll_fn fn = nullptr;
    void* arg = nullptr;
    bool on_control = false;
};
struct hook_entry {
    if_hook_fn fn = nullptr;
    void* arg = nullptr;
};

struct ctlinput_entry {
    uint8_t family = 4, proto = 0;
    ctlinput_fn fn = nullptr;
    void* arg = nullptr;
};

struct limits_entry {
    limits_fn fn = nullptr;
    void* arg = nullptr;
};

struct config_entry {
    config_fn fn = nullptr;
    void* arg = nullptr;
};

/// One RX queue an lcore polls.
struct rxq_ref {
    ifnet* ifp;
    port* p;
    uint16_t q;
};

/// One lcore's context: a worker, or the control plane (the last slot).
struct lcore_ctx final : dp_ctx {
    explicit lcore_ctx(stack::impl& s) : st(&s) {}
    stack::impl* st;
    unsigned idx = 0;
    bool is_control = false;
    uint64_t now_ns = 0;
    // The queues this lcore polls, as of ifs.generation() == rxq_gen (its
    // own copy: rebuilt, rarely, when the interfaces or the queue map change).
    std::vector<rxq_ref> rxqs;
    uint64_t rxq_gen = 0;
    // The time: a TSC reading extrapolated from the clock, which is read
    // again every tsc_resync_ns (the stack's own clock only).
    uint64_t tsc_at = 0, ns_at = 0;
    // Adaptive polling: the receive rate (windows and peak; core/rx_rate.hpp)
    // and the smallest RX ring among c's queues.
    rx_rate rate;
    uint32_t rx_ring_min = 0;
    poll_gaps gaps;  // time away from the rings while busy (show lcores)
    neigh_cache ncache;  // on-link destinations' neighbor entries
    std::vector<pkt_batch> tx;       // per port slot (ifnet::port_slot)
    std::vector<ifnet*> tx_ifp;      // per port slot, valid within one iteration
    std::vector<uint16_t> tx_dirty;  // reserved for every port slot: never grows on the data path
    std::vector<uint8_t> tx_listed;  // per port slot: on tx_dirty this iteration
    // Packets tunnels handed back (dp_ctx::defer_*), run by defer_drain.
    enum class defer_op : uint8_t { ip_input, if_input, output };
    struct deferred {
        mbuf* m;
        ifindex_t ifindex;
        defer_op op;
    };
    std::array<deferred, limits::defer_max> defer_q;
    uint16_t defer_n = 0;
    uint8_t nest = 0;       // the nesting level of what is being handled now
    bool draining = false;  // defer_drain is running (it picks up what is added meanwhile)
    // ICMP error rate limit: a token bucket per lcore (no shared state).
    double icmp_tokens = 0;
    uint64_t icmp_refill_ns = 0;
    double icmp6_tokens = 0;
    uint64_t icmp6_refill_ns = 0;
    // Written by the owning lcore only (relaxed load+store), read by anyone.
    std::atomic<uint64_t> polls{0}, idle_polls{0}, rx_pkts{0}, tx_pkts{0};
    std::atomic<uint64_t> sleeps{0}, intr_sleeps{0}, intr_wakeups{0}, sleep_ns{0};
    std::atomic<bool> sleeping{false};
    // Written by the control plane, read by the lcore.
    std::atomic<lcore_mode> mode{lcore_mode::adaptive};
    // Set by the control plane when its frames wait on the guest ring of a
    // TX queue this worker owns; the worker clears it and sends them.
    std::atomic<bool> tx_guest{false};
    std::atomic<bool> nointr{false};
    // Thread mode: the worker's epoll set and the eventfd that wakes it.
    int ep_fd = -1;
    int wake_fd = -1;
    static void bump(std::atomic<uint64_t>& c, uint64_t n = 1) noexcept {
        c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
};

/// The nexthop kind of a route's flags (both families; gateways filled in by the caller).
nexthop nh_base(ifindex_t ifindex, ifindex_t src_ifindex, uint32_t mtu, uint32_t rtflags);

/// The control lock, with a count of those blocked on it: the control loop
/// lets them in between its batches (a mutex alone is not fair, and a loop
/// that unlocks and locks again at once would keep a flood's work ahead of
/// every command).
struct ctl_lock {
    std::mutex m;
    std::atomic<uint32_t> waiting{0};
};

/// Takes the control lock. Blocking on it happens RCU-offline: the holder may
/// be waiting for a grace period (destroying an interface), and a waiter that
/// stayed online would hold that grace period up forever.
class ctl_guard {
public:
    explicit ctl_guard(ctl_lock& l) : l_(l) {
        if (!l_.m.try_lock()) {
            l_.waiting.fetch_add(1, std::memory_order_relaxed);
            {
                rcu_offline off;
                l_.m.lock();
            }
            l_.waiting.fetch_sub(1, std::memory_order_relaxed);
        }
    }
    ~ctl_guard() { l_.m.unlock(); }
    ctl_guard(const ctl_guard&) = delete;
    ctl_guard& operator=(const ctl_guard&) = delete;

private:
    ctl_lock& l_;
};

struct stack::impl {
    impl(stack_config c, const clock_source* clk);
    ~impl();

    // ---- configuration and environment
    stack_config cfg;
    monotonic_clock own_clock;
    const clock_source* clock;
    mutable ctl_lock ctl;  // the control lock
    rte_mempool* pool = nullptr;
    rte_mempool* ipool = nullptr;  // indirect mbufs for fragmentation

    // ---- published state [rcu]
    ifnet_table ifs;
    nexthop_table nhs;  // nexthop id -> nexthop
    uint16_t lo0 = 0;

    // ---- modules: kinds, demux tables, hand-over and notice kinds, poll
    // sources, lifecycle hooks, drop names (filled at construction)
    std::deque<if_kind> kinds;
    std::vector<ethertype_entry> ethertypes;
    std::array<l4_entry, 256> ip4_protos{}, ip6_protos{};
    std::unordered_map<uint16_t, l4_entry> udp4_ports, udp6_ports;
    struct {
        l4_default_fn fn = nullptr;
        void* arg = nullptr;
    } ip_default;  // what no protocol handler or UDP port took (tap's exception path)
    std::vector<punt_entry> punt_kinds;
    std::vector<notice_entry> notice_kinds;
    std::vector<poll_entry> poll_sources;
    struct {
        ip_policy_fn out = nullptr, in = nullptr;
        void* arg = nullptr;
        std::atomic<bool> out_on{false}, in_on{false};
    } ip_policy;  // IPsec's policy points (module_registrar::ip_policy)
    /// The output policy point: true when the hook took `m`.
    bool policy_out(lcore_ctx& c, const ifnet* in, mbuf* m, uint8_t family) noexcept {
        return ip_policy.out_on.load(std::memory_order_relaxed) && ip_policy.out(c, in, m, family, ip_policy.arg);
    }
    bool policy_in(lcore_ctx& c, const ifnet& in, mbuf* m, uint8_t family) noexcept {
        return ip_policy.in_on.load(std::memory_order_relaxed) && ip_policy.in(c, &in, m, family, ip_policy.arg);
    }
    std::vector<hook_entry> if_hooks;
    std::vector<ctlinput_entry> ctlinputs;
    /// An ICMP error about one of our packets: the modules registered for its protocol hear it.
    void ctlinput_run(const icmp_notice& n);
    std::vector<limits_entry> limit_reporters;
    std::vector<config_entry> config_writers;
    std::vector<std::string> module_drops;  // names of drop reasons drop_reason_count + i
    std::map<std::string, knob, std::less<>> knobs_by_name;
    std::vector<std::pair<std::string_view, std::shared_ptr<void>>> module_states;  // (module, state)
    builtin_ids ids;
    std::unique_ptr<neigh> nd;     // the neighbor module (src/modules/neigh), attached first
    std::unique_ptr<inet4> in4;    // IPv4 (src/modules/inet4): its input stays inline after Ethernet
    std::unique_ptr<pinger> ping;  // the echo sessions of ping(8) (src/modules/ping)
    std::unique_ptr<inet6> in6;    // IPv6 (src/modules/inet6): its input stays inline after Ethernet
    void attach_modules();
    const if_kind* kind_for(std::string_view ifname) const noexcept;
    /// Runs every lifecycle hook for `ev` on `ifp`.
    void if_hooks_run(ifnet& ifp, if_event ev);

    // ---- hand-over: one ring, and what each kind and each interface has in
    // flight on it (a flood of one kind, or from one port, takes at most its share)
    pkt_ring punt;
    std::array<std::atomic<uint32_t>, limits::punt_kinds_max> punt_inflight_kind{};
    std::array<std::atomic<uint32_t>, limits::ifnet_max> punt_inflight_if{};
    msg_ring<module_notice> notices;

    // ---- counters
    drop_counters drops;

    // ---- lcores
    std::vector<std::unique_ptr<lcore_ctx>> lcores;  // workers, then control
    lcore_ctx& ctl_ctx() { return *lcores.back(); }

    // ---- control-only state [ctl]
    timer_queue timers;
    uint16_t icmp_id_base = 0;  // ICMP echo ids are unique per instance
    std::deque<stack_event> events;
    static constexpr size_t events_max = 1024;

    // ---- thread mode: the control plane sleeps until its next timer (at most
    // 10 ms) or until a worker hands it something (eventfd, written only
    // while it sleeps)
    int ctl_wake_fd = -1;
    std::atomic<bool> ctl_sleeping{false};
    void wake_control() noexcept;

    // ---- TX: interfaces whose TX layer has a shared queue (kicked each poll)
    std::atomic<unsigned> shared_txqs{0};

    // ---- thread mode
    std::atomic<bool> running{false};
    // [ctl] The stack is being destroyed: its interfaces go one by one, and
    // the routes and FIBs go with the stack, so nothing is rebuilt after
    // each (100 000 tunnels with a route each would cost n squared).
    bool tearing_down = false;
    std::atomic<bool> stopping{false};
    std::vector<std::thread> threads;

    // ---- helpers (stack.cpp)
    ifnet* find_if(std::string_view name) const noexcept { return ifs.find(name); }
    void drop(lcore_ctx& c, mbuf* m, drop_reason r) noexcept {
        drops.slot(c.idx).add(static_cast<size_t>(r));
        pkt_free(m);
    }
    void count_drop(lcore_ctx& c, drop_reason r, uint64_t n = 1) noexcept {
        drops.slot(c.idx).add(static_cast<size_t>(r), n);
    }
    void push_event(stack_event ev);  // bounded: the oldest goes first
    void event(stack_event::kind_t k, ifindex_t ifindex, ip4_addr a);
    void destroy_ifnet(ifnet* ifp);

    // ---- data path (worker.cpp); used by the control plane with its own ctx
    /// Past this many interfaces a burst's interfaces are prefetched
    /// together before they are used (tunnels by the thousand, each
    /// packet's interface a cache miss of its own). Below it their state
    /// mostly stays in cache and the passes only cost: about 10 ns a
    /// packet where the burst's interfaces were cached anyway
    /// (docs/benchmarks/tunnels.md).
    static constexpr size_t prefetch_ifs_min = 4096;
    /// The interfaces at `n` indexes `stride` bytes apart: their table
    /// slots, the interfaces, then their address sets, softcs and this
    /// lcore's counters, a pass each so that a burst's misses overlap.
    void prefetch_ifs(lcore_ctx& c, const ifindex_t* idx, uint16_t n, size_t stride) noexcept {
        if (ifs.size() > prefetch_ifs_min) [[unlikely]]
            prefetch_ifs_all(c, idx, n, stride);
    }
    /// The same for where a burst's FIB results lead: the nexthops, then
    /// their interfaces (`miss`: the FIB's no-route id).
    void prefetch_egress(lcore_ctx& c, const uint32_t* nh, uint16_t n, uint32_t miss) noexcept {
        if (ifs.size() > prefetch_ifs_min) [[unlikely]]
            prefetch_egress_all(c, nh, n, miss);
    }
    void prefetch_ifs_all(lcore_ctx& c, const ifindex_t* idx, uint16_t n, size_t stride) noexcept;
    void prefetch_egress_all(lcore_ctx& c, const uint32_t* nh, uint16_t n, uint32_t miss) noexcept;
    void poll(lcore_ctx& c) noexcept;
    /// c's list of the RX queues it owns, from the interface table.
    void rxq_rebuild(lcore_ctx& c, uint64_t gen) noexcept;
    /// The time for c's poll: the TSC scaled (the stack's own monotonic
    /// clock), or the clock itself (an injected one, as tests use).
    uint64_t lcore_now(lcore_ctx& c) noexcept;
    bool tsc_clock = false;
    uint64_t tsc_mult = 0;  // ns per TSC cycle, 32.32 fixed point
    uint64_t tsc_resync = 0;  // cycles between clock reads
    /// Frames as received on `ifp`: a module's takeover, the kind's input, or Ethernet.
    void if_input(lcore_ctx& c, ifnet& ifp, mbuf** pkts, uint16_t n) noexcept;
    void ether_input(lcore_ctx& c, ifnet& ifp, mbuf** pkts, uint16_t n) noexcept;
    /// One token from a per-lcore bucket refilled at `pps` split over the lcores.
    bool take_token(lcore_ctx& c, double& tokens, uint64_t& refill_ns, uint32_t pps) noexcept;
    /// Prepends an IPv4 Ethernet header to `dst` and queues the frame.
    void ether_output(lcore_ctx& c, ifnet& ifp, mbuf* m, const ether_addr& dst, uint16_t type = ethertype_ip4) noexcept;
    /// A finished frame out of `ifp`: a module's takeover (a bridge member's
    /// output), else as port_transmit.
    void if_transmit(lcore_ctx& c, ifnet& ifp, mbuf* m) noexcept;
    /// if_transmit without a module's takeover: the kind's transmit or the port.
    void port_transmit(lcore_ctx& c, ifnet& ifp, mbuf* m) noexcept;
    /// Bare IPv4/IPv6 packets received on `ifp`, split by version.
    void ip_input(lcore_ctx& c, ifnet& ifp, mbuf** pkts, uint16_t n) noexcept;
    /// Local delivery of UDP to a registered port; false when no port is
    /// registered for it (the caller's default applies).
    bool udp_deliver(lcore_ctx& c, ifnet& ifp, mbuf* m, l4_info& li, l4_batch& b) noexcept;

    /// Queues a finished frame for `ifp` on c's TX buffer.
    void tx_enqueue(lcore_ctx& c, ifnet& ifp, mbuf* m) noexcept;
    /// Hands a TX buffer to the port on c's queue; counts what went and what
    /// the port refused (freed as tx_ring_full).
    void tx_burst(lcore_ctx& c, ifnet& ifp, pkt_batch& b) noexcept;
    void tx_flush(lcore_ctx& c) noexcept;
    /// Queues a packet a tunnel handed back (dp_ctx::defer_*).
    void defer_push(lcore_ctx& c, mbuf* m, ifindex_t ifindex, lcore_ctx::defer_op op) noexcept;
    /// Runs what tunnels handed back, level by level, until nothing is left.
    void defer_drain(lcore_ctx& c) noexcept;
    /// Counts one transmit's outcome on c and ifp (sent, refused, soft queue full).
    void tx_account(lcore_ctx& c, ifnet& ifp, const tx_result& r) noexcept;
    /// Drains the shared TX queues lcore `lane` uses, counting on c (the
    /// end of c's poll iteration: lane = c.idx; a queue move: the old owner's).
    void tx_kick(lcore_ctx& c, unsigned lane) noexcept;
    void tx_kick(lcore_ctx& c) noexcept { tx_kick(c, c.idx); }
    /// The control plane's frames wait on ifp's guest ring: its owner is told
    /// (and woken), or, no worker running, they go now.
    void tx_guest_wait(lcore_ctx& c, ifnet& ifp) noexcept;
    /// Packets waiting in soft queues c uses: an lcore never sleeps on them.
    uint32_t tx_pending(lcore_ctx& c) const noexcept;

    // ---- lcores (lcore.cpp): NAPI-like loop, queue map
    void worker_loop(unsigned w);
    void control_loop();
    /// Arms the RX interrupts of every queue c owns and waits for one, a
    /// wake-up or `timeout_ns` (interrupt mode: intr_wait_max_ms; adaptive:
    /// the nap). False when some queue has none (the caller naps instead).
    bool intr_wait(lcore_ctx& c, unsigned w, lcore_mode m, uint64_t timeout_ns);
    void nap(lcore_ctx& c, unsigned w, uint64_t ns);
    void wake(unsigned w) noexcept;
    void wake_all() noexcept;
    /// Initial owners of a new interface's RX queues: workers not in nointr, round robin.
    void rxq_assign(ifnet& ifp);
    status rxq_move(ifnet& ifp, uint16_t q, unsigned to);
    void punt_to_control(lcore_ctx& c, mbuf* m, uint16_t kind, ifindex_t ifindex, uint32_t aux) noexcept;
    bool notify(const module_notice& n) noexcept;
    /// A worker sent through a STALE neighbor entry of either family: the
    /// first such use notifies the control plane (stale_used).
    void note_stale_use(ifnet& ifp, llentry& e) noexcept;

    // ---- control plane (stack.cpp / stack_arp.cpp / stack_addr.cpp / stack_ping.cpp)
    /// Caller holds ctl. Returns the work it did (hand-overs, notices, timers).
    uint64_t control_run();
    /// Hand-over work done by the last control_run (stepped mode reports it).
    unsigned handle_punt(mbuf* m);
    void handle_notice(const module_notice& n);
    /// Counts work for step()'s answer.
    uint64_t ctl_work = 0;
    void poll_link_state();

    void if_link_changed(ifnet& ifp, bool up);
    void if_came_up(ifnet& ifp);
};

}  // namespace mpnet
