// SPDX-License-Identifier: BSD-2-Clause
// IPv4 input validation and header construction.
//
// Locking notes: pure per-packet functions.
#pragma once

#include <bit>
#include <cstring>

#include "mpnet/core/checksum.hpp"
#include "mpnet/core/counters.hpp"
#include "mpnet/core/packet.hpp"
#include "mpnet/core/wire.hpp"

namespace mpnet {

/// Validates the IPv4 header at the start of `m` (Ethernet header stripped):
/// version, header length, total length against the frame, checksum, TTL,
/// source address class. Trims link-layer padding beyond the total length.
/// Returns the header, or nullptr with `*why` set (packet unchanged).
/// `from_loopback` accepts 127/8 sources, which only lo0 may carry.
ip4_hdr* ip4_validate(mbuf* m, drop_reason* why, bool from_loopback = false) noexcept;

/// True when the packet is a fragment (MF set or offset non-zero).
inline bool ip4_is_fragment(const ip4_hdr& h) noexcept {
    return (h.frag.get() & (ip4_frag_mf | ip4_frag_offset_mask)) != 0;
}

/// Prepends and fills a 20-byte IPv4 header (checksum included) in front of
/// `m`'s current data. False if there is no headroom.
bool ip4_encap(mbuf* m, ip4_addr src, ip4_addr dst, uint8_t proto, uint8_t ttl, uint16_t id) noexcept;

/// Decrements the TTL of a header being forwarded, updating the checksum
/// incrementally (RFC 1624). The caller checked ttl > 1. Inline: it runs on
/// every forwarded packet.
inline void ip4_dec_ttl(ip4_hdr* h) noexcept {
    // The TTL shares a 16-bit word with the protocol byte. The word is
    // changed in a register and stored once: a byte store followed by a
    // load of the word stalls store forwarding (~30 % of ip4_forward).
    uint16_t old_w;
    std::memcpy(&old_w, &h->ttl, 2);
    const uint16_t new_w = static_cast<uint16_t>(old_w - (std::endian::native == std::endian::little ? 1 : 0x100));
    std::memcpy(&h->ttl, &new_w, 2);
    h->cksum = cksum_update16(h->cksum, old_w, new_w);
}

/// Fragments `m` (IPv4 header at front, DF clear) into pieces of at most
/// `mtu` bytes with DPDK's ip_frag library, using `direct` for headers and
/// `indirect` for the payload references. Returns the number of fragments
/// written to `out` (at most `max`), or -1 on failure. `m` stays the caller's.
int ip4_fragment(mbuf* m, uint16_t mtu, rte_mempool* direct, rte_mempool* indirect, mbuf** out, uint16_t max) noexcept;

}  // namespace mpnet
