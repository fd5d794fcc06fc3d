// SPDX-License-Identifier: BSD-2-Clause
// Named limits: every table, queue and hold list has one, and this is where
// the defaults live. Instances may lower or raise them through stack_config.
//
// Locking notes: constants only.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mpnet {

/// An interface index (1..limits::ifnet_max-1; 0 is none, as in the BSDs).
using ifindex_t = uint32_t;

}  // namespace mpnet

namespace mpnet::limits {

inline constexpr size_t batch_max = 32;           // packets per pipeline batch
inline constexpr size_t ifnet_max = size_t{1} << 17;  // interfaces per stack (index 1..131071): tunnels are interfaces
inline constexpr size_t port_if_max = 256;            // of them, interfaces with a port of their own (Ethernet, tap, lo)
inline constexpr size_t ifname_max = 15;          // characters in an interface name (IFNAMSIZ - 1)
inline constexpr size_t lcore_max = 64;           // worker lcores per stack
inline constexpr size_t addr_per_if_max = 64;     // addresses per interface and family
inline constexpr size_t neigh_per_if_max = 4096;  // neighbor entries per interface
inline constexpr size_t neigh_hold_max = 16;      // packets held per unresolved neighbor
inline constexpr size_t punt_ring_size = 4096;    // slow-path hand-over ring (power of 2)
inline constexpr size_t punt_kinds_max = 64;      // hand-over kinds modules may register
inline constexpr size_t punt_per_kind_max = punt_ring_size / 4;  // in flight of one kind (ARP, ICMPv6, ...)
inline constexpr size_t punt_per_if_max = punt_ring_size / 2;    // in flight from one interface
inline constexpr size_t ping_sessions_max = 64;   // concurrent ping sessions per stack
inline constexpr size_t frags_max = 16;           // fragments one packet may be cut into
inline constexpr uint16_t mtu_min = 68;           // RFC 791 minimum
inline constexpr uint16_t mtu_max = 9000;         // jumbo frames
inline constexpr uint16_t pmtu_min = 552;         // path MTUs below it are ignored (Linux's min_pmtu)
inline constexpr size_t pmtu_routes_max = 1280;   // host routes path MTU discovery may create (KAME's mtudisc_hiwat)
inline constexpr uint32_t dad_count_max = 16;
inline constexpr uint32_t ifprefixes_max = 64;    // ceiling of net.inet6.ip6.maxifprefixes (default 16)
inline constexpr uint32_t defrouters_max = 16;    // default routers remembered per stack
inline constexpr uint32_t rtadv_prefixes_max = 16;  // prefixes one interface advertises
inline constexpr uint32_t nd_options_max = 64;    // ND options parsed in one message
inline constexpr uint32_t ip6_ext_headers_max = 8;  // extension headers walked before giving up
inline constexpr uint16_t rxq_max = 64;           // RX queues per port
inline constexpr uint16_t txq_max = 64;           // TX queues per port
inline constexpr unsigned txq_softq_size = 1024;  // packets one lcore may have waiting on a shared TX queue
inline constexpr size_t defer_max = 256;          // tunnel packets one lcore may have handed back, waiting (dp_ctx::defer_*)
inline constexpr unsigned tunnel_nest_max = 8;    // tunnels one packet may pass through in one poll (modules set lower limits)

}  // namespace mpnet::limits

static_assert(mpnet::limits::ifnet_max <= (size_t{1} << 24), "ifindexes fit 24 bits (defer keys, the encap table's data word)");
