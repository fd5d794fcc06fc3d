// SPDX-License-Identifier: BSD-2-Clause
// A stack instance: interfaces, neighbor tables, addresses, routes, workers and
// the control plane. No globals beyond DPDK's EAL: several instances may live
// in one process (scenario tests wire three on one bus).
//
// Locking notes:
// - Every public method except step()/poll_worker() and the const counter
//   getters takes the instance's control lock: one writer at a time, and the
//   control plane's timers and slow-path work run under it too.
// - Workers never take the lock. They read interfaces, addresses, routes and
//   neighbor entries through RCU and hand slow-path packets to the control
//   plane through bounded rings (see docs/locking.md).
// - Calling threads must be RCU-registered (mpnet::rcu_thread) while they use
//   a stack, because control operations read RCU-published state.
// Lock order: stack control lock -> (nothing). Two stacks' locks are never held
// together.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mpnet/core/addr.hpp"
#include "mpnet/core/clock.hpp"
#include "mpnet/core/counters.hpp"
#include "mpnet/core/packet.hpp"
#include "mpnet/core/result.hpp"
#include "mpnet/netif/ifnet.hpp"
#include "mpnet/netif/port.hpp"
#include "mpnet/route/fib4.hpp"
#include "mpnet/route/rib4.hpp"
#include "mpnet/route/rib6.hpp"
#include "mpnet/route/rtflags.hpp"

namespace mpnet {

struct module;
class module_ctl;

/// How a worker lcore waits when it has no traffic (NAPI-like polling).
enum class lcore_mode : uint8_t {
    poll,       // always poll: lowest latency, one CPU at 100 %
    adaptive,   // poll while busy; after an idle spell nap RCU-offline, backing off
    interrupt,  // poll while busy; after an idle spell arm RX interrupts and sleep
                // until one fires (queues without interrupts: adaptive naps)
};
const char* lcore_mode_name(lcore_mode m) noexcept;
std::optional<lcore_mode> lcore_mode_parse(std::string_view s) noexcept;

/// Tunables. Names follow NetBSD's sysctls where one exists.
struct stack_config {
    std::string name = "mpnet";
    unsigned workers = 1;              // worker lcores (1..limits::lcore_max)
    uint32_t mbufs = 4095;             // packet buffers in this instance's pool
    uint32_t nd_reachable_ms = 30000;  // net.inet.arp.nd_reachable: REACHABLE lifetime
    uint32_t nd_retrans_ms = 1000;     // retransmission interval of solicitations
    uint32_t nd_delay_ms = 5000;       // DELAY before the first unicast probe
    uint32_t nd_mmaxtries = 3;         // broadcast requests while INCOMPLETE
    uint32_t nd_umaxtries = 3;         // unicast probes in PROBE
    uint32_t nd_gc_s = 86400;          // STALE entries are garbage-collected after this
    uint32_t arp_temp_keep_s = 1200;   // lifetime of `arp -s ... temp` entries
    uint32_t neigh_hold_max = 16;      // packets held per unresolved neighbor (<= limits::neigh_hold_max)
    uint32_t neigh_max = static_cast<uint32_t>(limits::neigh_per_if_max);  // entries per interface
    uint32_t neigh_hold_total = 0;     // packets held for all unresolved neighbors together (0: mbufs / 8)
    uint32_t dad_count = 3;                  // net.inet.ip.dad_count: probes per address (0: no DAD)
    uint32_t dad_retrans_ms = 1000;          // interval between DAD probes
    uint8_t ip_ttl = 64;                     // net.inet.ip.ttl
    bool forwarding = false;                 // net.inet.ip.forwarding
    bool directed_broadcast = false;         // net.inet.ip.directed-broadcast
    bool send_redirects = true;              // net.inet.ip.redirect
    bool accept_redirects = true;            // net.inet.icmp.rediraccept (never while forwarding)
    uint32_t redirect_timeout_s = 600;       // net.inet.icmp.redirtimeout: life of UGHD routes
    bool bmcast_echo = false;                // net.inet.icmp.bmcastecho: answer broadcast pings
    uint32_t icmp_err_pps = 100;             // net.inet.icmp.errppslimit: ICMP errors/s per stack
    bool mtudisc = true;                     // net.inet.ip.mtudisc: learn path MTUs
    uint32_t mtudisc_timeout_s = 600;        // net.inet.ip.mtudisctimeout
    bool mtudisc_forward = false;            // net.inet.ip.mtudisc_forward: learned path MTUs limit forwarded traffic too
    fib_backend fib_backend4 = fib_backend::poptrie;  // IPv4 FIB: mpnet's Poptrie or DPDK's rte_lpm
    fib_backend fib_backend6 = fib_backend::poptrie;  // IPv6 FIB: mpnet's Poptrie or DPDK's rte_lpm6
    uint32_t fib_max_routes = 1u << 21;      // IPv4 FIB routes (a full table is ~1M)
    uint32_t fib6_max_routes = 1u << 20;     // IPv6 FIB routes
    uint32_t fib_tbl8_groups = 1u << 12;     // rte_lpm only: second-level groups
    uint32_t nexthop_max = 1u << 17;         // distinct nexthops (a route through each of limits::ifnet_max tunnels)
    uint32_t idle_polls_before_sleep = 256;  // thread mode: empty polls before a worker naps
    uint32_t idle_sleep_us = 20;             // adaptive: the first nap (RCU-offline); doubles while idle
    uint32_t idle_sleep_max_us = 1000;       // adaptive: the longest nap where a queue has no RX interrupt (the worst wake-up latency)
    uint32_t intr_wait_max_ms = 1000;        // interrupt (and adaptive with RX interrupts armed): the longest wait without one
    lcore_mode worker_mode = lcore_mode::adaptive;  // every worker's initial mode
    // IPv6 (net.inet6.*)
    bool ip6_forwarding = false;          // net.inet6.ip6.forwarding
    uint8_t ip6_hlim = 64;                // net.inet6.ip6.hlim
    uint32_t dad6_count = 1;              // net.inet6.ip6.dad_count
    bool accept_rtadv = false;            // net.inet6.ip6.accept_rtadv (NetBSD's default: off)
    bool auto_linklocal = true;           // net.inet6.ip6.auto_linklocal
    uint32_t maxifprefixes = 16;          // net.inet6.ip6.maxifprefixes: advertised prefixes per interface
    uint32_t neighborgcthresh = 2048;     // net.inet6.ip6.neighborgcthresh: dynamic ND entries per interface
    bool send_redirects6 = true;          // net.inet6.ip6.redirect
    bool accept_redirects6 = true;        // net.inet6.icmp6.rediraccept (never while forwarding)
    uint32_t redirect_timeout6_s = 600;   // net.inet6.icmp6.redirtimeout
    uint32_t icmp6_err_pps = 100;         // net.inet6.icmp6.errppslimit
    /// Tests only: a neighbor entry's removal leaves the nexthops that cache
    /// it pointing at it: the broken invalidation the neighbor-cache tests
    /// must catch. Never set otherwise (the cached pointer would dangle).
    bool test_sabotage_neigh_unbind = false;
    /// Tests only: the lcores' neighbor caches trust an entry after its
    /// removal (netif/neigh_cache.hpp): the same kind of sabotage.
    bool test_sabotage_neigh_cache = false;
    /// Modules attached after the built-in ones (mpnet/stack/module.hpp), in
    /// order; each must outlive the stack.
    std::vector<const module*> modules;
    /// Opens a port by DPDK devargs for an interface kind that needs one
    /// (tap(4)'s host interface: "net_tap_mpnet0,iface=tap0"), with RX buffers
    /// from `pool` and `tx_queues` TX queues; null when it cannot. Called on
    /// the control plane with the control lock held. The embedding program
    /// supplies it (mpnetd: drivers::ethdev_opener; tests: an in-process link);
    /// unset, such kinds cannot be created (errc::nodev).
    std::function<std::unique_ptr<port>(std::string_view devargs, rte_mempool* pool, uint16_t tx_queues)> port_open;
};

/// `ifconfig inet6 ... pltime N vltime N`. Unset means infinite; a valid
/// lifetime without a preferred one, or preferred > valid, is refused.
struct addr6_opts {
    std::optional<uint32_t> pltime_s;
    std::optional<uint32_t> vltime_s;
    /// A point-to-point interface's peer (`ifconfig gif0 inet6 A B`): a host
    /// route to it on the interface instead of the prefix route.
    std::optional<ip6_addr> dst;
};

struct ifaddr6_info {
    ip6_addr addr{};
    uint8_t plen = 0;
    uint8_t flags = 0;        // in6_iff
    int64_t pltime_s = -1;    // seconds left; -1: infinite
    int64_t vltime_s = -1;    // seconds left; -1: infinite
    bool lifetimes_set = false;  // configured (ifconfig -L shows them only then)
    ip6_addr dst{};              // point-to-point peer (:: none)
};

/// ndp -r: a default router.
struct defrouter_info {
    ip6_addr addr{};  // link-local
    std::string ifname;
    uint32_t lifetime_s = 0;
    int64_t expire_s = 0;
};

/// ndp -p: a prefix learned from advertisements.
struct nd_prefix_info {
    prefix6 prefix{};
    std::string ifname;
    bool onlink = false, autonomous = false;
    uint32_t vltime_s = 0, pltime_s = 0;
    int64_t vexpire_s = -1, pexpire_s = -1;
    std::vector<ip6_addr> routers;  // advertising routers (link-local)
};

/// ndp -i IF.
struct nd6_ifinfo {
    uint32_t linkmtu = 0;
    uint32_t maxmtu = 0;
    uint32_t basereachable_ms = 0;
    uint32_t retrans_ms = 0;
    uint8_t curhlim = 0;
    bool accept_rtadv = false;
    bool auto_linklocal = false;
};

/// rtadvd's per-interface configuration.
struct rtadv_prefix {
    prefix6 prefix{};
    uint32_t vltime_s = 2592000;  // rtadvd's defaults
    uint32_t pltime_s = 604800;
    bool onlink = true;
    bool autonomous = true;
};
struct rtadv_config {
    bool enabled = false;
    uint32_t max_interval_s = 600;      // maxinterval (4..1800)
    uint32_t min_interval_s = 198;      // mininterval (3..0.75*max)
    uint32_t router_lifetime_s = 1800;  // rltime (0 or max..9000)
    uint32_t mtu = 0;                   // MTU option (0: none)
    uint32_t reachable_ms = 0;
    uint32_t retrans_ms = 0;
    uint8_t cur_hlim = 64;
    bool managed = false, other = false;
    /// Empty: the interface's own global prefixes, with rtadvd's lifetimes.
    std::vector<rtadv_prefix> prefixes;
};

struct ifaddr_info {
    ip4_addr addr;
    uint8_t plen = 0;
    uint8_t flags = 0;  // in_iff
    ip4_addr bcast;
    ip4_addr dst;  // point-to-point peer (0.0.0.0: none)
};

struct if_info {
    ifindex_t index = 0;
    std::string name;
    uint32_t flags = 0;
    uint32_t mtu = 0;
    ether_addr lladdr{};
    bool link_up = false;
    std::vector<ifaddr_info> addrs;
    std::vector<ifaddr6_info> addrs6;
    std::vector<ether_addr> inactive_lladdrs;
    std::string kind;                     // the interface kind's name ("ether", "lo", "vlan")
    std::vector<std::string> kind_lines;  // what the kind shows of it (ifconfig)
    std::vector<std::string> config_lines;  // commands recreating the kind's configuration
    bool created = false;                 // made by `ifconfig NAME create` (save writes that line)
    uint64_t ipackets = 0, ibytes = 0, opackets = 0, obytes = 0, iqdrops = 0, oqdrops = 0;
    std::string port;
    bool has_device_stats = false;  // the port keeps counters of its own (port::device_stats)
    port_stats device;
};

struct neigh_info {
    uint8_t family = 4;
    ip4_addr addr;
    ip6_addr addr6{};  // family 6
    ether_addr mac{};
    bool has_mac = false;
    ll_state state = ll_state::nostate;
    uint8_t flags = 0;  // llflag
    std::string ifname;
    int64_t expire_s = -1;  // seconds left in the current state; -1: never
};

/// `arp -s` options.
namespace arp_opt {
inline constexpr unsigned temp = 1;  // expires (not permanent)
inline constexpr unsigned pub = 2;   // published: answer requests for it (proxy)
}  // namespace arp_opt

struct route_info {
    rtentry r;
    std::string ifname;
};

/// route add / change arguments (route(8)'s words in the comments).
struct route_spec {
    prefix4 dst;                      // /32 is a host route
    std::optional<ip4_addr> gateway;  // GATEWAY argument
    std::string ifp;                  // -ifp IF (or the interface of -iface/-link)
    std::optional<ip4_addr> ifa;      // -ifa ADDR: source for local traffic
    bool iface = false;               // -iface: the gateway is directly reachable (no G)
    bool connected = false;           // -connected
    bool reject = false;              // -reject
    bool blackhole = false;           // -blackhole
    bool proxy = false;               // -proxy (announce)
    bool noreject = false;            // change: -noreject
    bool noblackhole = false;         // change: -noblackhole
};

/// route get's answer.
struct route_get_info {
    ip4_addr route_to;
    rtentry r;
    std::string ifname;
};

struct ping_opts {
    uint16_t count = 1;
    uint32_t interval_ms = 1000;
    uint32_t timeout_ms = 1000;  // wait after the last request (ping -w style)
    uint16_t payload_len = 56;
    std::optional<uint8_t> ttl;  // ping -T / ping6 -h; unset: net.inet.ip.ttl / net.inet6.ip6.hlim
    bool df = false;  // ping -D: set don't-fragment
    std::optional<ip4_addr> src;
    std::optional<ip6_addr> src6;  // ping6 -S
    std::string src6_zone;         // ping6 -S ADDR%IF
};

struct ping_result {
    uint16_t sent = 0;
    uint16_t received = 0;
    uint16_t duplicates = 0;
    bool done = false;
    errc error = errc::ok;  // a send error (no route, no source), if any
    uint64_t rtt_min_ns = 0, rtt_max_ns = 0, rtt_sum_ns = 0;
    uint16_t icmp_errors = 0;  // ICMP errors about our requests (ping -v shows them)
    uint8_t last_error_type = 0, last_error_code = 0;
    ip4_addr last_error_from;
    ip6_addr last_error_from6{};
};

/// route add -inet6 arguments. Zones (%ifname) scope link-local addresses.
struct route6_spec {
    prefix6 dst{};
    std::string dst_zone;
    std::optional<ip6_addr> gateway;
    std::string gateway_zone;
    std::string ifp;
    std::optional<ip6_addr> ifa;
    bool iface = false, reject = false, blackhole = false, proxy = false, connected = false;
    bool noreject = false, noblackhole = false;
};

struct route6_info {
    rtentry6 r;
    std::string ifname;
};

struct route6_get_info {
    ip6_addr route_to{};
    rtentry6 r;
    std::string ifname;
};

/// A worker's (or the control plane's) counters and state.
struct lcore_info {
    unsigned idx = 0;
    bool control = false;
    uint64_t polls = 0, idle_polls = 0, rx_pkts = 0;
    uint64_t tx_pkts = 0, drops = 0;
    uint64_t sleeps = 0;        // naps and interrupt waits
    uint64_t intr_sleeps = 0;   // waits with RX interrupts armed
    uint64_t intr_wakeups = 0;  // waits ended by an RX interrupt
    uint64_t sleep_ns = 0;      // time spent asleep (offline)
    // Busy polls that started >= 100 us, 1 ms, 10 ms after the one before
    // (no sleep between), and the longest: a worker kept from its rings.
    uint64_t gaps[3] = {};
    uint64_t gap_max_ns = 0;
    lcore_mode mode = lcore_mode::adaptive;
    bool sleeping = false;
    bool nointr = false;  // intrctl nointr: takes no RX queues
    std::vector<std::string> rxqs;  // "ifname:q" it polls
};

/// One RX queue and its lcore (intrctl list).
struct rxq_info {
    std::string ifname;
    uint16_t queue = 0;
    int lcore = -1;  // -1: between owners (a move in progress)
    uint64_t packets = 0, bursts = 0;
    bool intr = false;  // the PMD has an RX interrupt for it
    std::string device;  // port description and driver class
};

/// A sysctl knob as `sysctl -a` lists it.
struct knob_info {
    std::string name, help;
    int64_t value = 0, min = 0, max = 0;
};

/// A named limit and what it holds now (`show limits`): every table, queue
/// and list that hostile traffic could grow.
struct limit_info {
    std::string name;   // "neighbors shmif0", "path-MTU routes", ...
    uint64_t max = 0;   // the limit
    uint64_t used = 0;  // in use now (for per-item limits: the largest item)
};

/// The FIBs as `show fib` reports them.
/// One nexthop (`show nexthops`): what routes share, and the neighbor entry
/// its gateway resolves through, cached on it for the workers.
struct nexthop_info {
    uint32_t id = 0;
    std::string ifname;
    std::string gateway;  // empty: none (connected, local, reject, blackhole)
    uint8_t flags = 0;    // nhf
    uint32_t mtu = 0;
    uint32_t refs = 0;     // routes using it
    bool neigh_cached = false;
    std::string lladdr;    // the cached entry's MAC when it has one
};

struct fib_info {
    fib_backend backend4 = fib_backend::poptrie, backend6 = fib_backend::poptrie;
    fib_stats v4, v6;
    uint64_t v6_refused = 0;  // FIB6 commits refused for table memory (the RIB kept the routes)
};

/// One TX queue of an interface and the lcores that send on it.
struct txq_entry {
    std::string ifname;
    std::string regime;  // per-lcore, per-worker, shared, spread
    txq_info q;
};

/// An event the control plane records for observers (tests, later the routing socket).
/// Like the routing socket's messages: route, address, neighbor and
/// interface changes, in order, so clients can follow the tables.
/// Event kinds and their monitor names, from one list (the enum and the
/// names cannot disagree).
#define MPNET_STACK_EVENTS(X)                                                   \
    X(rtm_add, "RTM_ADD")               /* route added (dst, gateway, flags) */ \
    X(rtm_delete, "RTM_DELETE")         /* route deleted */                     \
    X(rtm_change, "RTM_CHANGE")         /* route changed */                     \
    X(rtm_miss, "RTM_MISS")             /* no route for local traffic (addr) */ \
    X(rtm_redirect, "RTM_REDIRECT")     /* a redirect made or changed a route */ \
    X(rtm_newaddr, "RTM_NEWADDR")       /* address added (addr) */              \
    X(rtm_deladdr, "RTM_DELADDR")       /* address deleted */                   \
    X(addr_duplicated, "DAD_DUPLICATED")                                        \
    X(addr_ready, "DAD_READY")                                                  \
    X(neigh_resolve_failed, "NEIGH_FAILED")                                     \
    X(link_up, "LINK_UP")                                                       \
    X(link_down, "LINK_DOWN")

struct stack_event {
    enum kind_t : uint8_t {
#define MPNET_EVENT_ENUM(e, n) e,
        MPNET_STACK_EVENTS(MPNET_EVENT_ENUM)
#undef MPNET_EVENT_ENUM
        kind_count_
    } kind = link_up;
    ifindex_t ifindex = 0;
    ip4_addr addr;
    prefix4 dst;
    ip4_addr gateway;
    uint32_t flags = 0;
    uint64_t at_ns = 0;
    uint8_t family = 4;  // 6: the *6 fields below hold the addresses
    ip6_addr addr6{};
    prefix6 dst6{};
    ip6_addr gateway6{};
};

/// The monitor name of an event kind ("RTM_ADD"); "UNKNOWN" out of range.
const char* stack_event_name(stack_event::kind_t k) noexcept;

class stack {
public:
    /// Creates an instance with lo0 (127.0.0.1/8). `clk` may be null (the
    /// monotonic clock); tests pass a manual_clock and keep it alive longer
    /// than the stack. Thread context: any RCU-registered thread, after EAL init.
    /// Throws std::runtime_error when its pool or rings cannot be created
    /// (process edge: start-up).
    explicit stack(stack_config cfg = {}, const clock_source* clk = nullptr);
    ~stack();
    stack(const stack&) = delete;
    stack& operator=(const stack&) = delete;

    const stack_config& config() const noexcept;
    uint64_t now_ns() const noexcept;
    /// The instance's packet pool (drivers set up RX queues from it).
    rte_mempool* pool() const noexcept;
    /// Worker lcores + 1 (the control plane's slot and TX queue index).
    unsigned lcore_slots() const noexcept;

    // Interfaces ------------------------------------------------------------
    /// Attaches an Ethernet interface on `p`. errc::exist (name taken),
    /// errc::inval (bad name), errc::nospc (no free index).
    result<ifindex_t> if_attach(std::string_view name, std::unique_ptr<port> p);
    /// ifconfig NAME create: an interface of the kind registered for NAME's
    /// prefix (NAME is prefix + unit number). errc::exist, errc::inval (no
    /// such kind, or not creatable), errc::nospc, or the kind's own error.
    result<ifindex_t> if_create(std::string_view name);
    /// Destroys an interface, UP or not, with addresses, under traffic.
    /// errc::noent; errc::perm for lo0.
    status if_destroy(std::string_view name);
    status if_up(std::string_view name);
    status if_down(std::string_view name);
    /// errc::inval outside [mtu_min, mtu_max].
    status if_set_mtu(std::string_view name, uint32_t mtu);
    /// ifconfig [-]arp.
    status if_set_arp(std::string_view name, bool on);
    status if_set_promisc(std::string_view name, bool on);
    /// ifconfig link MAC [active]: adds a link address; `active` makes it the
    /// interface's address and announces every address from it (GARP).
    status if_link_add(std::string_view name, const ether_addr& mac, bool active);
    /// Deletes an inactive link address; errc::busy for the active one.
    status if_link_del(std::string_view name, const ether_addr& mac);
    result<if_info> if_get(std::string_view name) const;
    std::vector<if_info> if_list() const;
    /// ifconfig -z: returns the counters and clears them.
    result<if_info> if_get_and_clear(std::string_view name);

    // Addresses -------------------------------------------------------------
    /// Adds addr/plen. On a running interface with dad_count > 0 it starts
    /// tentative and goes through DAD, else it is announced (GARP). errc::exist
    /// (already on this interface), errc::inval (bad address or length),
    /// errc::nospc (addr_per_if_max). `dst`, on a point-to-point interface
    /// only (`ifconfig gif0 inet A B`): the peer, reached by a host route on
    /// the interface instead of the prefix route (errc::inval elsewhere).
    status addr_add(std::string_view ifname, ip4_addr addr, unsigned plen, std::optional<ip4_addr> dst = {});
    /// errc::addrnotavail if the interface has no such address.
    status addr_del(std::string_view ifname, ip4_addr addr);

    // ARP (arp(8)) --------------------------------------------------------
    /// arp -s: a permanent entry unless arp_opt::temp; arp_opt::pub publishes
    /// it. The interface is the one whose subnet holds `addr` unless `ifname`
    /// is given. errc::exist when a permanent entry is there (NetBSD's rule;
    /// dynamic and temp entries are overwritten); errc::netunreach when no
    /// interface's subnet holds `addr`.
    status arp_add(ip4_addr addr, const ether_addr& mac, unsigned opts = 0, std::string_view ifname = {});
    /// arp -d: removes the entry on every interface. errc::noent if none.
    status arp_del(ip4_addr addr);
    /// arp -d -a: removes every entry.
    void arp_flush();
    std::vector<neigh_info> arp_list() const;
    /// arp -n: the entries for `addr` (one per interface that has one).
    std::vector<neigh_info> arp_get(ip4_addr addr) const;

    // Routes (route(8)) ----------------------------------------------------------
    /// route add. errc::exist (File exists), errc::netunreach (gateway not
    /// reachable through a non-gateway route), errc::noent (no such -ifp),
    /// errc::addrnotavail (-ifa not ours), errc::inval, errc::nospc (FIB or
    /// nexthop table full). A failed add changes nothing.
    status route_add(const route_spec& s);
    /// route delete. errc::srch (not in table).
    status route_delete(const prefix4& dst);
    /// route change: gateway, -ifp, -ifa, -[no]reject, -[no]blackhole; the
    /// route becomes static. errc::srch when absent; other errors as add.
    status route_change(const route_spec& s);
    /// route get: the route a packet to `dst` would take. errc::srch if none.
    result<route_get_info> route_get(ip4_addr dst) const;
    /// route flush: removes every gateway route.
    void route_flush();

    // Knobs (sysctl -w) -------------------------------------------------------------
    /// Sets a NetBSD-named knob at run time: net.inet.ip.forwarding,
    /// net.inet.ip.redirect, net.inet.ip.directed-broadcast, net.inet.ip.ttl,
    /// net.inet.ip.dad_count, net.inet.ip.mtudisc, net.inet.icmp.rediraccept,
    /// net.inet.icmp.redirtimeout, net.inet.icmp.bmcastecho,
    /// net.inet.icmp.errppslimit, net.inet.arp.nd_reachable (ms).
    /// errc::noent for an unknown name, errc::inval for a value out of range.
    status sysctl_set(std::string_view name, int64_t value);
    result<int64_t> sysctl_get(std::string_view name) const;
    /// sysctl -a: every knob the modules registered, by name.
    std::vector<knob_info> sysctl_list() const;
    /// Every named limit with its current use (`show limits`).
    std::vector<limit_info> limits_list() const;
    /// The modules' stack-wide configuration as commands (module_registrar::config), in attach order.
    std::vector<std::string> module_config() const;
    std::vector<route_info> route_list() const;

    // IPv6 addresses -------------------------------------------------------------
    /// ifconfig IF inet6 ADDR/PLEN [pltime N] [vltime N]. Link-local
    /// addresses must be fe80::/64-scoped to the interface; errc::exist,
    /// errc::inval (bad address, length or lifetimes), errc::nospc.
    status addr6_add(std::string_view ifname, const ip6_addr& addr, unsigned plen, const addr6_opts& o = {});
    /// errc::addrnotavail when the interface has no such address.
    status addr6_del(std::string_view ifname, const ip6_addr& addr);

    // NDP (ndp(8)) -----------------------------------------------------------------
    /// ndp -s: permanent unless arp_opt::temp; arp_opt::pub answers for it
    /// (proxy). The interface holds `addr`'s prefix unless `ifname` is given
    /// (required for link-local). Same overwrite rules as arp_add.
    status ndp_add(const ip6_addr& addr, const ether_addr& mac, unsigned opts = 0, std::string_view ifname = {});
    /// ndp -d: errc::noent if none. An empty ifname means every interface.
    status ndp_del(const ip6_addr& addr, std::string_view ifname = {});
    /// ndp -c: removes every dynamic entry; static ones survive.
    void ndp_flush();
    std::vector<neigh_info> ndp_list() const;
    std::vector<neigh_info> ndp_get(const ip6_addr& addr, std::string_view ifname = {}) const;
    std::vector<defrouter_info> ndp_routers() const;   // ndp -r
    std::vector<nd_prefix_info> ndp_prefixes() const;  // ndp -p
    void ndp_flush_prefixes();                         // ndp -P (autoconf addresses go too)
    void ndp_flush_routers();                          // ndp -R
    result<nd6_ifinfo> ndp_ifinfo(std::string_view ifname) const;  // ndp -i
    /// Router advertisements received by this stack (netstat -p icmp6's counter).
    uint64_t ra_received() const;

    /// rtadvd: starts, changes or stops (enabled = false) advertising on an
    /// interface. errc::noent, errc::inval (intervals, lifetimes, prefixes).
    status rtadv_set(std::string_view ifname, const rtadv_config& c);
    result<rtadv_config> rtadv_get(std::string_view ifname) const;

    // IPv6 routes ----------------------------------------------------------------------
    status route6_add(const route6_spec& s);
    status route6_delete(const prefix6& dst, std::string_view zone = {});
    status route6_change(const route6_spec& s);
    result<route6_get_info> route6_get(const ip6_addr& dst, std::string_view zone = {}) const;
    void route6_flush();
    /// Route changes made until the matching routes_batch_end() reach the
    /// IPv6 FIB as one commit (a configuration file, a full table); lookups
    /// see the table as it was until then. IPv4 routes are visible as each
    /// is added. Batches nest.
    void routes_batch_begin();
    void routes_batch_end();
    std::vector<route6_info> route6_list() const;

    // Ping --------------------------------------------------------------------
    /// ping6 DST[%zone]: as ping_start. The hop limit is opts.ttl.
    result<uint32_t> ping6_start(const ip6_addr& dst, std::string_view zone, const ping_opts& opts = {});
    /// Starts an echo session. errc::nospc (ping_sessions_max), errc::inval.
    result<uint32_t> ping_start(ip4_addr dst, const ping_opts& opts = {});
    /// The session's progress; errc::noent for an unknown id.
    result<ping_result> ping_get(uint32_t id) const;
    void ping_release(uint32_t id);

    // Counters and events -----------------------------------------------------
    uint64_t drops(drop_reason r) const noexcept;
    void drops_clear() noexcept;
    /// Every drop reason, built-in then the modules', with its count.
    std::vector<std::pair<std::string, uint64_t>> drop_list() const;
    /// A drop reason's name, the modules' included; "unknown" otherwise.
    std::string drop_name(drop_reason r) const;

    // Modules -------------------------------------------------------------------
    /// Runs `fn` on the control plane's state under the control lock (a
    /// module's own API: configuring its interfaces and tables).
    status ctl_call(const std::function<status(module_ctl&)>& fn);
    /// Events recorded since the last call (bounded: the oldest are dropped).
    std::vector<stack_event> take_events();

    // Running -----------------------------------------------------------------
    /// Stepped mode: polls every worker once, then runs the control plane once.
    /// The caller is the only thread driving the instance. True when it did
    /// something: received packets, handled hand-overs or notices, or ran timers.
    bool step();
    /// Stepped mode: one poll iteration of worker `w`; true if it received packets.
    bool poll_worker(unsigned w);
    /// Stepped mode: drains the hand-over rings and runs due timers; true if
    /// there was something to do.
    bool run_control();
    /// The control plane's next timer deadline (UINT64_MAX: none); virtual-time
    /// drivers jump the clock to it when nothing moves.
    uint64_t next_deadline_ns() const;
    /// Thread mode: starts the workers and the control thread.
    /// errc::busy if already running.
    status start();
    /// Thread mode: stops and joins every thread. No-op if not running.
    void stop();
    bool is_running() const noexcept;
    /// Per-lcore counters and state: workers first, then the control plane.
    std::vector<lcore_info> lcore_list() const;

    // ---- queues and lcores (intrctl)
    /// Every RX queue of every port with its owning lcore.
    std::vector<rxq_info> rxq_list() const;
    /// Every TX queue with the lcores that use it.
    std::vector<txq_entry> txq_list() const;
    /// The FIBs' backends, sizes and update counters.
    fib_info fib_get() const;
    /// Every nexthop in use, by id.
    std::vector<nexthop_info> nexthop_list() const;
    /// intrctl affinity: moves RX queue q of `ifname` to worker `lcore`. The
    /// old owner lets go, a grace period passes (its packets are sent), then
    /// the new owner polls: no packet of a flow is lost or overtaken. errc::noent
    /// (no interface), errc::inval (no such queue or worker).
    status rxq_set_lcore(std::string_view ifname, uint16_t q, unsigned lcore);
    /// intrctl nointr / intr: a nointr worker polls no RX queue; its queues
    /// move to the others. errc::busy when it is the last worker taking queues.
    status lcore_set_nointr(unsigned lcore, bool nointr);
    /// Per-worker polling mode; errc::inval for the control plane or no such worker.
    status lcore_set_mode(unsigned lcore, lcore_mode m);

    struct impl;

private:
    std::unique_ptr<impl> p_;
};

}  // namespace mpnet
