// SPDX-License-Identifier: BSD-2-Clause
// Named drop reasons and per-lcore counters.
//
// Locking notes: every lcore (each worker, and the control plane as one more
// "lcore") writes only its own cache-line-aligned slot, with relaxed atomic
// stores of its own count + 1, so no increment is ever lost and readers on any
// thread see whole values. Readers (show commands, tests) sum the slots with
// relaxed loads; the sum is a snapshot, not a consistent cut across slots.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace mpnet {

/// Every packet the stack does not deliver or transmit ends in exactly one of
/// these. Names are stable: `show errors`, tests and scripts use them. The
/// enum and the names are both made from this one list, so they cannot
/// disagree; modules add theirs at run time (stack's drop registry).
#define MPNET_DROP_REASONS(X) \
    X(ether_too_short)        /* frame shorter than an Ethernet header */ \
    X(ether_not_for_us)       /* unicast to another MAC, interface not promiscuous */ \
    X(ether_unknown_type)     /* ethertype with no handler */ \
    X(ether_vlan_unsupported) /* 802.1Q tag and no vlan(4) module */ \
    X(ether_own_src)          /* our own source MAC came back (looped frame) */ \
    X(if_down)                /* received or sent on an interface that is not UP */ \
    X(if_gone)                /* interface destroyed while the packet was in flight */ \
    X(arp_too_short)          /* ARP payload shorter than 28 bytes */ \
    X(arp_bad_format)         /* hardware/protocol type or address lengths not Ethernet/IPv4 */ \
    X(arp_bad_op)             /* opcode neither request nor reply */ \
    X(arp_bad_sha)            /* sender hardware address multicast, broadcast or zero */ \
    X(arp_bad_spa)            /* sender protocol address multicast, broadcast or loopback */ \
    X(arp_disabled)           /* interface has ARP turned off (-arp) */ \
    X(arp_not_for_us)         /* target is neither ours nor published */ \
    X(arp_dup_addr)           /* sender claims one of our addresses */ \
    X(arp_static_mismatch)    /* would change a static entry's MAC: refused */ \
    X(arp_off_subnet)         /* sender on none of the interface's subnets: not learned (request still answered) */ \
    X(ip4_too_short)          /* less than 20 bytes of IPv4 header */ \
    X(ip4_bad_version)        /* version field is not 4 */ \
    X(ip4_bad_hlen)           /* header length < 20 or beyond the packet */ \
    X(ip4_bad_len)            /* total length < header length or beyond the frame */ \
    X(ip4_bad_cksum)          /* header checksum wrong */ \
    X(ip4_ttl_zero)           /* TTL 0 on arrival */ \
    X(ip4_bad_src)            /* source is multicast, broadcast or loopback */ \
    X(ip4_martian_dst)        /* destination 0.0.0.0, or 127/8 arriving on a non-loopback interface */ \
    X(ip4_fragment)           /* fragments for local delivery: reassembly not built yet */ \
    X(ip4_not_local)          /* not addressed to us and forwarding is off */ \
    X(ip4_no_proto)           /* local delivery of a protocol with no handler */ \
    X(ip4_bcast_echo)         /* echo request to broadcast/multicast (bmcastecho off) */ \
    X(ip4_no_route)           /* no route to the destination */ \
    X(ip4_no_src)             /* no usable source address for output */ \
    X(ip4_ttl_exceeded)       /* TTL would reach 0 while forwarding (ICMP time exceeded sent) */ \
    X(ip4_reject)             /* reject route (ICMP unreachable sent) */ \
    X(ip4_blackhole)          /* blackhole route: silently dropped */ \
    X(ip4_frag_needed)        /* DF set and larger than the egress MTU (ICMP sent) */ \
    X(ip4_bcast_forward)      /* directed broadcast while directed-broadcast is off */ \
    X(ip4_frag_failed)        /* fragmentation failed (no buffers) */ \
    X(icmp_ratelimited)       /* an ICMP error suppressed by the rate limit */ \
    X(icmp_redirect_ignored)  /* a redirect refused (forwarding on, invalid, not from our gateway) */ \
    X(icmp_too_short)         /* ICMP shorter than 8 bytes */ \
    X(icmp_bad_cksum)         /* ICMP checksum wrong */ \
    X(icmp_unhandled_type)    /* ICMP type with no handler */ \
    X(icmp_no_session)        /* echo reply matching no ping session */ \
    X(icmp_pmtu_too_small)    /* needfrag with an MTU below limits::pmtu_min: ignored */ \
    X(icmp_pmtu_not_ours)     /* needfrag quoting a packet we did not send, or no smaller than it */ \
    X(icmp_pmtu_disabled)     /* needfrag while net.inet.ip.mtudisc is 0 */ \
    X(ip6_too_short)          /* less than 40 bytes of IPv6 header */ \
    X(ip6_bad_version)        /* version field is not 6 */ \
    X(ip6_bad_len)            /* payload length beyond the frame */ \
    X(ip6_bad_src)            /* source is multicast, loopback or IPv4-mapped */ \
    X(ip6_martian_dst)        /* destination ::, ::1 from a wire, or IPv4-mapped */ \
    X(ip6_not_member)         /* multicast to a group this interface has not joined */ \
    X(ip6_not_local)          /* not addressed to us and forwarding is off */ \
    X(ip6_no_proto)           /* next header with no handler (or an extension header chain too long) */ \
    X(ip6_fragment)           /* fragments for local delivery: reassembly not built yet */ \
    X(ip6_no_route)           /* no route to the destination */ \
    X(ip6_no_src)             /* no usable source address for output */ \
    X(ip6_hlim_exceeded)      /* hop limit would reach 0 while forwarding (ICMPv6 time exceeded sent) */ \
    X(ip6_reject)             /* reject route (ICMPv6 unreachable sent) */ \
    X(ip6_blackhole)          /* blackhole route: silently dropped */ \
    X(ip6_too_big)            /* larger than the egress MTU (ICMPv6 packet too big sent) */ \
    X(ip6_beyond_scope)       /* a link-local source or destination would leave its link */ \
    X(icmp6_too_short)        /* ICMPv6 shorter than its message */ \
    X(icmp6_bad_cksum)        /* ICMPv6 checksum wrong */ \
    X(icmp6_unhandled_type)   /* ICMPv6 type with no handler */ \
    X(mld_ignored)            /* multicast listener messages (mpnet joins groups without MLD) */ \
    X(nd_bad_hlim)            /* neighbor discovery message with hop limit other than 255 */ \
    X(nd_bad_code)            /* neighbor discovery message with a non-zero code */ \
    X(nd_bad_option)          /* ND option of zero length or running past the message */ \
    X(nd_bad_msg)             /* ND message invalid (multicast target, bad source, missing option) */ \
    X(nd_not_for_us)          /* NS for a target that is neither ours nor published */ \
    X(nd_dup_addr)            /* a neighbor claims one of our addresses */ \
    X(nd_ra_ignored)          /* router advertisement not accepted (accept_rtadv off, forwarding on, or source not link-local) */ \
    X(nd_prefix_limit)        /* advertised prefix over the per-interface limit (maxifprefixes) */ \
    X(nd_router_limit)        /* advertising router over the default-router list limit */ \
    X(neigh_hold_overflow)    /* hold queue of an unresolved neighbor full: oldest dropped */ \
    X(neigh_hold_limit)       /* packets held for all unresolved neighbors together at their limit (neigh_hold_total) */ \
    X(neigh_resolve_failed)   /* resolution gave up: held packets dropped */ \
    X(neigh_table_full)       /* neighbor table at its limit, nothing to evict */ \
    X(udp_too_short)          /* UDP header beyond the packet */ \
    X(udp_bad_len)            /* UDP length shorter than its header or beyond the IP payload */ \
    X(udp_bad_cksum)          /* UDP checksum wrong (or missing over IPv6) */ \
    X(punt_ring_full)         /* slow-path hand-over ring full */ \
    X(punt_kind_share)        /* a hand-over kind (ARP, ICMPv6, ...) already has its share of the ring in flight */ \
    X(punt_if_share)          /* one interface already has its share of the ring in flight */ \
    X(tx_ring_full)           /* the port's TX refused the packet */ \
    X(tx_softq_full)          /* a shared TX queue's soft queue was full */ \
    X(defer_queue_full)       /* an lcore's queue of tunnel packets handed back (dp_ctx::defer_*) full */ \
    X(tunnel_nest_limit)      /* through more tunnels in one poll iteration than limits::tunnel_nest_max */ \
    X(nobufs)                 /* mbuf pool empty when building a packet */

enum class drop_reason : uint16_t {
#define MPNET_DROP_ENUM(n) n,
    MPNET_DROP_REASONS(MPNET_DROP_ENUM)
#undef MPNET_DROP_ENUM
    count_
};

inline constexpr size_t drop_reason_count = static_cast<size_t>(drop_reason::count_);
/// Drop reasons modules register at run time take the values after the
/// built-in ones, up to this many per stack.
inline constexpr size_t drop_reason_module_max = 64;
inline constexpr size_t drop_slots = drop_reason_count + drop_reason_module_max;

/// The stable name of a built-in drop reason ("ip4_bad_cksum"); "unknown"
/// for a module's (the stack knows those: stack::drop_name).
std::string_view drop_reason_name(drop_reason r) noexcept;

/// One lcore's counter slot: N counters on their own cache lines.
template <size_t N>
struct alignas(64) counter_slot {
    std::array<std::atomic<uint64_t>, N> c{};

    /// Single-writer increment: only the owning lcore calls this.
    void add(size_t i, uint64_t n = 1) noexcept {
        // Relaxed: the slot has one writer, and readers want only a whole value.
        c[i].store(c[i].load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    uint64_t get(size_t i) const noexcept { return c[i].load(std::memory_order_relaxed); }
};

/// Counters kept per lcore: slot i belongs to lcore i. The number of slots is
/// fixed at construction (workers + 1 for the control plane).
template <size_t N>
class percpu_counters {
public:
    explicit percpu_counters(size_t slots) : n_(slots), slots_(std::make_unique<counter_slot<N>[]>(slots)) {}
    size_t slots() const noexcept { return n_; }
    counter_slot<N>& slot(size_t lcore) noexcept { return slots_[lcore]; }
    uint64_t sum(size_t i) const noexcept {
        uint64_t s = 0;
        for (size_t k = 0; k < n_; ++k) s += slots_[k].get(i);
        return s;
    }
    void clear() noexcept {
        for (size_t k = 0; k < n_; ++k)
            for (auto& x : slots_[k].c) x.store(0, std::memory_order_relaxed);
    }

private:
    size_t n_;
    std::unique_ptr<counter_slot<N>[]> slots_;
};

using drop_counters = percpu_counters<drop_slots>;

}  // namespace mpnet
