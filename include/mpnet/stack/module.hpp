// SPDX-License-Identifier: BSD-2-Clause
// The seams a module plugs into: interface kinds, the ethertype, IP-protocol
// and UDP-port demux tables, hand-over to the control plane and notices,
// poll sources, interface lifecycle hooks, sysctl knobs, drop reasons of its
// own, and the commands and ifconfig verbs it brings to the command language.
//
// A module is one `attach` function. A stack calls the attach function of
// every built-in module (src/modules/builtin.cpp, the one list) and then of
// each module in stack_config::modules, in its constructor, before any
// interface exists and before any worker runs. What a module registers is
// immutable after that: the data path reads the tables with no lock and no
// atomic.
//
// Locking notes:
// - Data-path handlers (kind input/output/transmit, ethertype, IP-protocol
//   and UDP handlers, poll sources) run on a worker or on the control plane,
//   inside the lcore's read section: they may read RCU-published state, never
//   block, never allocate on the packet path, and never write a control table.
//   What needs a writer goes to the control plane through dp_ctx::punt or
//   dp_ctx::notify.
// - Hand-over handlers, notice handlers, lifecycle hooks and a kind's control
//   operations run on the control plane with the stack's control lock held:
//   they are the writers. They must not call the public `stack` API (it takes
//   the lock); module_ctl is their way in.
// - A module's own API function that changes its state takes the control lock
//   through stack::ctl_call.
// Lock order: stack control lock -> (module locks, if a module has any).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mpnet/stack/stack.hpp"

namespace mpnet {

/// Where layer 3 sends a packet on an interface.
struct l3_next {
    uint8_t family = 4;  // 4 or 6
    ip4_addr v4;         // family 4
    ip6_addr v6{};       // family 6 (wire form)
};

/// What an IP-protocol or UDP handler gets with a packet for this stack. The
/// packet starts with its IP header; `off` is where the upper-layer header is.
struct l4_info {
    uint8_t family = 4;  // 4 or 6
    uint8_t proto = 0;   // IP protocol / next header
    bool group = false;  // to a broadcast or multicast address
    uint32_t off = 0;    // upper-layer header offset from the IP header
    uint16_t sport = 0, dport = 0;  // UDP handlers: the ports (host order)
};

/// What a worker hands to the control plane for a module, with the interface
/// it concerns and a small payload of the module's own.
struct module_notice {
    uint16_t id = 0;  // from module_registrar::notice
    ifindex_t ifindex = 0;
    uint8_t data[24]{};
};
static_assert(sizeof(module_notice) == 32);

/// An ICMP or ICMPv6 error about a packet this stack sent (the source of the
/// packet it quotes is one of the stack's addresses): what a module that
/// registered for the quoted packet's protocol hears (NetBSD's encapsw
/// ctlinput), on the control plane, before the stack's own handling (path
/// MTU, ping) goes on with it.
struct icmp_notice {
    uint8_t family = 4;  // of the error and of the packet it quotes
    uint8_t type = 0, code = 0;
    uint32_t mtu = 0;    // frag-needed / packet-too-big: the MTU it reports; else 0
    l3_next src, dst;    // the quoted packet's addresses
    uint8_t proto = 0;   // its protocol (IPv6: the first next header)
    uint32_t quoted_len = 0;  // its length as its header gives it
};

/// Interface lifecycle events (lifecycle hooks).
enum class if_event : uint8_t {
    attach,     // published and visible to workers (ether attach, or create)
    up,         // UP with its link present (RUNNING set): announce, start DAD
    down,       // `ifconfig down` (UP and RUNNING already clear)
    link_down,  // carrier lost while UP (RUNNING already clear)
    link_up,    // carrier back while UP (RUNNING set)
    detach,     // about to be destroyed, still published: stop timers, purge tables
    gone,       // unpublished, not yet freed: rebuild what referred to it (routes)
};

/// The data-path face of an lcore (a worker, or the control plane's own
/// context): what a handler may do with packets. Valid only during the call
/// that received it.
class dp_ctx {
public:
    dp_ctx(const dp_ctx&) = delete;
    dp_ctx& operator=(const dp_ctx&) = delete;

    /// This lcore's slot (workers 0..n-1, the control plane n).
    unsigned lcore() const noexcept;
    bool is_control() const noexcept;
    /// The stack's clock, read once per poll iteration.
    uint64_t now_ns() const noexcept;
    /// The stack's packet pool.
    rte_mempool* pool() const noexcept;
    /// The interface at `index`, or null (gone or never there).
    ifnet* if_lookup(ifindex_t index) const noexcept;
    /// Warms the cache for a burst's interfaces before they are looked up
    /// one by one (their table slots, then the interfaces themselves): with
    /// many tunnels, each packet's interface is a cache miss of its own,
    /// and a burst's misses overlap this way. `stride`: bytes between
    /// consecutive indexes in `idx`.
    void if_prefetch(const ifindex_t* idx, uint16_t n, size_t stride = sizeof(ifindex_t)) noexcept;

    /// True when `a` is one of this stack's own addresses (its FIB says
    /// local); family 4 reads `v4`, family 6 `v6` (global scope).
    bool is_local(const l3_next& a) const noexcept;
    /// The MTU a packet to `a` leaves with: its route's interface's, or the
    /// route's own (an operator's -mtu, a learned path MTU) when lower; 0
    /// when there is no usable route (none, local, reject or blackhole).
    uint32_t route_mtu(const l3_next& a) const noexcept;
    /// Fragments the IPv4 packet `m` (DF clear) into `out` (at most `max`)
    /// of at most `mtu` bytes each, with the stack's pools; returns how
    /// many, or -1 (nothing made). `m` stays the caller's either way.
    int ip4_fragment(mbuf* m, uint16_t mtu, mbuf** out, uint16_t max) noexcept;

    /// Frees `m`, counted under `r` (a built-in reason or one the module registered).
    void drop(mbuf* m, drop_reason r) noexcept;
    void count_drop(drop_reason r, uint64_t n = 1) noexcept;

    /// Ethernet input on `ifp`: frames with their Ethernet header,
    /// demultiplexed by ethertype, past any takeover (what a bridge delivers
    /// locally).
    void ether_input(ifnet& ifp, mbuf** pkts, uint16_t n) noexcept;
    /// Frames as received on `ifp` from its wire: a module's takeover of the
    /// interface (a bridge member) if any, else the kind's input (Ethernet's
    /// by default). A vlan hands its untagged frames here.
    void if_input(ifnet& ifp, mbuf** pkts, uint16_t n) noexcept;
    /// Network-layer input as if received on `ifp`: bare IPv4 and IPv6
    /// packets, by the version nibble (a tunnel hands decapsulated packets here).
    void ip_input(ifnet& ifp, mbuf** pkts, uint16_t n) noexcept;
    /// Routes and sends an IPv4 packet (header at front, checksum set).
    void ip4_output(mbuf* m) noexcept;
    /// Routes and sends an IPv6 packet; `zone` scopes a link-local destination.
    void ip6_output(mbuf* m, uint16_t zone = 0) noexcept;
    /// A packet from layer 3 to `nh` on `ifp` through the kind's output
    /// (neighbor resolution and Ethernet for ether-like kinds).
    void if_output(ifnet& ifp, mbuf* m, const l3_next& nh) noexcept;
    /// Prepends an Ethernet header from `ifp`'s address and transmits.
    void ether_output(ifnet& ifp, mbuf* m, const ether_addr& dst, uint16_t type) noexcept;
    /// A finished link-layer frame out of `ifp`: a module's takeover of the
    /// interface (a bridge member's output goes through its bridge) if any,
    /// else as port_transmit.
    void transmit(ifnet& ifp, mbuf* m) noexcept;
    /// A finished frame out of `ifp`'s port (its TX buffer) or its kind's
    /// transmit, past any takeover: how a bridge sends out of a member.
    void port_transmit(ifnet& ifp, mbuf* m) noexcept;
    /// Hands `m` to the control plane's handler `id` (module_registrar::punt),
    /// with the interface it concerns and a word of the module's own. The ring
    /// is bounded: when full the packet is dropped as punt_ring_full.
    void punt(mbuf* m, uint16_t id, ifindex_t ifindex, uint32_t aux) noexcept;
    /// Sends a notice (no packet) to the control plane; false when the ring is full.
    bool notify(const module_notice& n) noexcept;

    /// Tunnels hand packets back to the lcore rather than calling input or
    /// output again themselves: what they hand back runs after the current
    /// burst, in the same poll iteration (before the lcore flushes its TX
    /// buffers), one nesting level deeper, and never by recursion. The queue
    /// is bounded (limits::defer_max: past it, defer_queue_full) and so is
    /// the depth (limits::tunnel_nest_max: tunnel_nest_limit).
    ///
    /// How many tunnels the packet being handled has passed through in this
    /// poll iteration, encapsulations and decapsulations together: 0 for a
    /// packet from a wire or from the control plane's own output. A tunnel
    /// module compares it with its own limit (net.inet.gif.max_nesting).
    unsigned nesting() const noexcept;
    /// A decapsulated packet (IPv4 or IPv6 header at front), received on `ifp`.
    void defer_ip_input(ifnet& ifp, mbuf* m) noexcept;
    /// A decapsulated frame (Ethernet header at front), received on `ifp`
    /// from its wire (if_input: an L2 tunnel may be a bridge member).
    void defer_if_input(ifnet& ifp, mbuf* m) noexcept;
    /// An encapsulated packet (outer IPv4 header with its checksum, or IPv6
    /// header, at front): routed and sent as locally originated.
    void defer_output(mbuf* m) noexcept;

protected:
    dp_ctx() = default;
    ~dp_ctx() = default;
};

/// The control plane's face for modules (the control lock is held).
class module_ctl {
public:
    explicit module_ctl(stack::impl& st) noexcept : st_(st) {}

    /// The control plane's data-path context (to send what it builds).
    dp_ctx& dp() noexcept;
    uint64_t now_ns() const noexcept;
    ifnet* if_find(std::string_view name) const noexcept;
    ifnet* if_lookup(ifindex_t index) const noexcept;
    /// The first state `module` gave the stack to keep (module_registrar::own):
    /// how a module's API reaches its stack-wide tables. Null if none.
    void* module_state(std::string_view module) const noexcept;
    /// One past the highest interface index in use.
    ifindex_t if_end() const noexcept;
    template <typename F>
    void for_each_if(F&& fn) const {
        const ifindex_t end = if_end();
        for (ifindex_t i = 1; i < end; ++i)
            if (ifnet* p = if_lookup(i)) fn(*p);
    }
    /// A one-shot timer on the control plane; returns an id for timer_cancel.
    uint64_t timer_add(uint64_t deadline_ns, std::function<void()> fn);
    void timer_cancel(uint64_t id) noexcept;
    /// The link of `ifp` came or went (a kind whose link follows another's):
    /// RUNNING is set or cleared and the lifecycle hooks run.
    void link_changed(ifnet& ifp, bool up);
    /// Switches the policy points (module_registrar::ip_policy) on or off.
    void ip_policy_on(bool out, bool in) noexcept;
    /// How many lcores the stack has: workers, then the control plane (what
    /// dp_ctx::lcore() ranges over).
    unsigned lcore_count() const noexcept;
    /// Destroys another interface (a parent taking its children with it).
    void if_destroy(ifnet& ifp);
    /// A port by DPDK devargs, through stack_config::port_open (a kind's
    /// open_port): null when the embedding program gave none or it failed.
    std::unique_ptr<port> port_open(std::string_view devargs);
    stack::impl& impl() noexcept { return st_; }

private:
    stack::impl& st_;
};

/// A sysctl knob (NetBSD's name): its range, and how to read and write it.
/// Both run on the control plane with the lock held; `set` gets a value
/// already checked against [min, max].
struct knob {
    std::string_view name;  // "net.inet.ip.ttl"
    std::string_view help;
    int64_t min = 0, max = 1;
    int64_t (*get)(module_ctl& ctl, void* arg) = nullptr;
    void (*set)(module_ctl& ctl, int64_t v, void* arg) = nullptr;
    void* arg = nullptr;
};

using frame_fn = void (*)(dp_ctx& c, ifnet& ifp, mbuf** pkts, uint16_t n, void* arg) noexcept;
using l4_fn = void (*)(dp_ctx& c, ifnet& ifp, mbuf* m, const l4_info& li, void* arg) noexcept;
/// A burst of packets for one IP protocol or UDP port, in the order they
/// arrived, all on `ifp`; `li[i]` describes `pkts[i]`. The handler owns them
/// all. What a handler that looks each packet up in a large table registers:
/// it can look the whole burst up at once (encap_table::lookup_bulk).
using l4_burst_fn = void (*)(dp_ctx& c, ifnet& ifp, mbuf** pkts, const l4_info* li, uint16_t n, void* arg) noexcept;
using poll_fn = uint32_t (*)(dp_ctx& c, void* arg) noexcept;  // returns the work it did (0: idle)
/// A policy point (IPsec's: NetBSD's ipsec4_output and ipsec4_in_reject).
/// `m` starts with its IPv4 (family 4) or IPv6 header; `in` is the
/// interface it came in on (null for this stack's own output: an ICMP
/// error's source comes from it). True: the hook took the packet
/// (protected it, or dropped it with a reason); false: the packet goes on
/// as if there were no hook.
using ip_policy_fn = bool (*)(dp_ctx& c, const ifnet* in, mbuf* m, uint8_t family, void* arg) noexcept;
/// A packet for this stack that no IP-protocol handler or UDP port took:
/// true when the handler took it (it owns `m`), false to leave it to the
/// stack's default (an ICMP error where one is due, and a drop).
using l4_default_fn = bool (*)(dp_ctx& c, ifnet& ifp, mbuf* m, const l4_info& li, void* arg) noexcept;
/// The handler owns `m`. A packet whose interface went before the control
/// plane read it never reaches the handler (dropped as if_gone).
using punt_fn = void (*)(module_ctl& ctl, ifnet& ifp, mbuf* m, uint32_t aux, void* arg);
using notice_fn = void (*)(module_ctl& ctl, const module_notice& n, void* arg);
using if_hook_fn = void (*)(module_ctl& ctl, ifnet& ifp, if_event ev, void* arg);
using ctlinput_fn = void (*)(module_ctl& ctl, const icmp_notice& n, void* arg);
/// Appends the module's named limits, each with its use now, for `show
/// limits` (stack::limits_list); runs on the control plane with the lock held.
using limits_fn = void (*)(module_ctl& ctl, std::vector<limit_info>& out, void* arg);
/// Appends the commands that recreate the module's stack-wide configuration
/// (not an interface's: if_kind::running_config), for `save`
/// (stack::module_config); runs on the control plane with the lock held.
using config_fn = void (*)(module_ctl& ctl, std::vector<std::string>& lines, void* arg);

struct l4_entry;  // stack_impl.hpp

/// What a module's attach function registers with. Errors (a second handler
/// for one ethertype, protocol or port; a kind prefix taken; a table full)
/// throw std::invalid_argument: they are programming errors at start-up.
class module_registrar {
public:
    module_registrar(stack::impl& st, std::string_view module) : st_(st), module_(module) {}

    /// An interface kind (copied).
    void kind(const if_kind& k);
    /// Frames of `type` (Ethernet header stripped) received on any ether-like
    /// interface, once per burst. IPv4 and IPv6 are the stack's own, inline.
    void ethertype(uint16_t type, frame_fn fn, void* arg = nullptr);
    /// Packets for this stack of protocol `proto` (family 4 or 6).
    void ip_proto(uint8_t family, uint8_t proto, l4_fn fn, void* arg = nullptr);
    /// UDP datagrams for this stack to `port` (family 4 or 6), header and
    /// checksum checked.
    void udp_port(uint8_t family, uint16_t port, l4_fn fn, void* arg = nullptr);
    /// As ip_proto and udp_port, a burst at a time: the packets of one
    /// received burst (or one level of tunnel input) for the protocol or
    /// port, after the burst's other packets were handled.
    void ip_proto_burst(uint8_t family, uint8_t proto, l4_burst_fn fn, void* arg = nullptr);
    void udp_port_burst(uint8_t family, uint16_t port, l4_burst_fn fn, void* arg = nullptr);
    /// What no protocol handler or UDP port takes, both families (tap(4)'s
    /// exception path to the host kernel). One registrant per stack.
    void ip_default(l4_default_fn fn, void* arg = nullptr);
    /// A hand-over kind: returns the id to pass to dp_ctx::punt.
    uint16_t punt(std::string_view kind, punt_fn fn, void* arg = nullptr);
    /// A notice kind: returns the id to put in module_notice::id.
    uint16_t notice(std::string_view kind, notice_fn fn, void* arg = nullptr);
    /// Work added to every poll iteration of every worker, and with
    /// `on_control` to every run of the control plane as well (what the
    /// control plane's own output starts there, such as crypto, finishes there).
    void poll_source(poll_fn fn, void* arg = nullptr, bool on_control = false);
    /// The two policy points, one registrant per stack: `out` sees every
    /// packet about to be routed out (forwarded, or this stack's own; before
    /// the MTU check), `in` every packet delivered to this stack or
    /// forwarded (before anything else is done with it). They are called
    /// only while switched on (module_ctl::ip_policy_on): otherwise they
    /// cost one relaxed load per packet.
    void ip_policy(ip_policy_fn out, ip_policy_fn in, void* arg = nullptr);
    /// Called on every interface lifecycle event, in registration order.
    void if_hook(if_hook_fn fn, void* arg = nullptr);
    /// ICMP errors (family 4) or ICMPv6 errors (6) about packets of protocol
    /// `proto` that this stack sent: a tunnel learns its path MTU.
    void ctlinput(uint8_t family, uint8_t proto, ctlinput_fn fn, void* arg = nullptr);
    /// A sysctl knob (copied); names are unique across modules.
    void knob(const mpnet::knob& k);
    /// What the module grows under traffic, and its limits: every table,
    /// queue and hold list it owns (`show limits`).
    void limits(limits_fn fn, void* arg = nullptr);
    /// The module's stack-wide configuration as commands (`save`).
    void config(config_fn fn, void* arg = nullptr);
    /// A drop reason of the module's own, listed by `show errors` under `name`.
    drop_reason drop(std::string_view name);
    /// Keeps `state` alive as long as the stack (freed after its interfaces).
    template <typename T>
    T* own(std::unique_ptr<T> state) {
        T* raw = state.get();
        keep(std::shared_ptr<void>(std::move(state)));
        return raw;
    }
    std::string_view module_name() const noexcept { return module_; }
    /// The stack's internals: for the built-in modules in src/ only.
    stack::impl& impl() noexcept { return st_; }

private:
    void keep(std::shared_ptr<void> p);
    void add_proto(uint8_t family, uint8_t proto, const l4_entry& e);
    void add_port(uint8_t family, uint16_t port, const l4_entry& e);
    stack::impl& st_;
    std::string_view module_;
};

/// What a module's command answers: status 0 and its output, or non-zero and
/// one line of error ("ifconfig: vlan0: ..."), as every command does.
struct command_reply {
    int status = 0;
    std::string text;
};

/// A command a module brings (`brconfig`, `setkey`). It runs on the calling
/// thread through the public API, which takes the control lock itself.
struct module_command {
    std::string_view name, syntax, help;
    command_reply (*run)(stack& s, const std::vector<std::string>& args, bool json) = nullptr;
};

/// An ifconfig verb a module brings: `ifconfig IF VERB ...`; `words` start
/// with VERB.
struct ifconfig_verb {
    std::string_view verb;    // "vlan"
    std::string_view syntax;  // "vlan VID vlanif PARENT" (what help shows)
    command_reply (*run)(stack& s, std::string_view ifname, const std::vector<std::string>& words, bool json) = nullptr;
    /// Several modules may bring one verb (`tunnel`: gif and l2tp), each for
    /// its own interface kind: the verb runs for the module whose `kind` is
    /// the interface's. Empty: any interface (the first module with the verb).
    std::string_view kind{};
};

/// A module: a name, the one function that registers what it brings to a
/// stack, and the commands and ifconfig verbs it brings to the command
/// language (static data: help lists them without a stack or a daemon).
struct module {
    std::string_view name;
    void (*attach)(module_registrar& r) = nullptr;
    std::span<const module_command> commands{};
    std::span<const ifconfig_verb> ifconfig_verbs{};
};

/// The modules every stack attaches, in order (src/modules/builtin.cpp).
std::span<const module* const> builtin_modules() noexcept;

}  // namespace mpnet
