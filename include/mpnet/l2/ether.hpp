// SPDX-License-Identifier: BSD-2-Clause
// Ethernet input classification and output framing.
//
// Locking notes: pure per-packet functions; the caller owns the packet and
// reads the interface's atomics (lladdr, flags) inside its read section.
#pragma once

#include "mpnet/core/counters.hpp"
#include "mpnet/core/packet.hpp"
#include "mpnet/core/wire.hpp"

namespace mpnet {

enum class ether_next : uint8_t { ip4, arp, ip6, drop };

/// Accepts a received frame for an interface with MAC `own` and flags
/// `if_flags` (unicast to us or promiscuous, group, not our own source),
/// strips the Ethernet header and returns the ethertype; records whether the
/// frame was link-layer broadcast/multicast in `*group`. On drop returns -1,
/// `*why` names the reason and the packet is unchanged.
int ether_accept(mbuf* m, const ether_addr& own, uint32_t if_flags, bool* group, drop_reason* why) noexcept;

/// The named drop for a frame of ethertype `type` that nothing takes: an
/// 802.1Q tag with no vlan(4) to take it, or any other unknown type.
inline drop_reason ether_unclaimed_drop(int type) noexcept {
    return type == ethertype_vlan ? drop_reason::ether_vlan_unsupported : drop_reason::ether_unknown_type;
}

/// Classifies a received frame for an interface with MAC `own` and flags
/// `if_flags`, strips the Ethernet header on success, and records whether
/// the frame was link-layer broadcast/multicast in `*group`. On drop, `*why`
/// names the reason and the packet is unchanged.
ether_next ether_classify(mbuf* m, const ether_addr& own, uint32_t if_flags, bool* group, drop_reason* why) noexcept;

/// Prepends an Ethernet header. False (packet unchanged) if there is no headroom.
bool ether_encap(mbuf* m, const ether_addr& dst, const ether_addr& src, uint16_t type) noexcept;

}  // namespace mpnet
