// SPDX-License-Identifier: BSD-2-Clause
// ARP packets (RFC 826) for Ethernet/IPv4: validation and construction. The
// protocol logic (what to learn, what to answer, DAD) is in the stack's
// control plane, on the shared neighbor state machine.
//
// Locking notes: pure per-packet functions.
#pragma once

#include "mpnet/core/counters.hpp"
#include "mpnet/core/packet.hpp"
#include "mpnet/core/wire.hpp"

namespace mpnet {

/// Validates an ARP payload at the start of `m` (Ethernet header stripped).
/// Returns the header, or nullptr with `*why` set.
const arp_ether_ip4* arp_validate(mbuf* m, drop_reason* why) noexcept;

struct arp_fields {
    uint16_t op = arp_op_request;
    ether_addr sha{};
    ip4_addr spa;
    ether_addr tha{};
    ip4_addr tpa;
};

/// Builds a complete 42-byte Ethernet+ARP frame from `mp`. nullptr when the
/// pool is empty.
mbuf* arp_build(rte_mempool* mp, const ether_addr& eth_dst, const ether_addr& eth_src, const arp_fields& f) noexcept;

/// Reads the fields of a validated header.
arp_fields arp_read(const arp_ether_ip4& h) noexcept;

}  // namespace mpnet
