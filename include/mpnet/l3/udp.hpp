// SPDX-License-Identifier: BSD-2-Clause
// UDP header checks for local delivery to a registered port (either family).
//
// Locking notes: pure per-packet functions; the caller owns the packet.
#pragma once

#include "mpnet/core/counters.hpp"
#include "mpnet/core/packet.hpp"
#include "mpnet/core/wire.hpp"

namespace mpnet {

struct __attribute__((packed)) udp_hdr {
    be16 sport, dport, len, cksum;
};
static_assert(sizeof(udp_hdr) == 8);

/// The UDP header at `off` of an IPv4 (family 4) or IPv6 packet whose IP
/// header is at the front: the length must fit the IP payload and the
/// checksum must verify (IPv4's zero means none; IPv6 requires one). Null,
/// with `*why` set, otherwise.
udp_hdr* udp_validate(mbuf* m, uint8_t family, uint32_t off, drop_reason* why) noexcept;

/// Fills the UDP checksum of a datagram of `len` bytes at `off`.
void udp_fill_cksum(mbuf* m, uint8_t family, uint32_t off, uint32_t len) noexcept;

}  // namespace mpnet
