// SPDX-License-Identifier: BSD-2-Clause
// ICMP for IPv4: validation, echo reply in place, echo request construction.
//
// Locking notes: pure per-packet functions.
#pragma once

#include "mpnet/core/counters.hpp"
#include "mpnet/core/packet.hpp"
#include "mpnet/core/wire.hpp"

namespace mpnet {

/// Validates the ICMP message that follows the IPv4 header `ip` in `m`
/// (length and checksum). Returns it, or nullptr with `*why` set.
icmp_hdr* icmp_validate(mbuf* m, const ip4_hdr* ip, drop_reason* why) noexcept;

/// Turns an echo request into its reply in place: type 0, addresses swapped
/// (source becomes `reply_src`), TTL reset, both checksums updated.
void icmp_echo_reflect(ip4_hdr* ip, icmp_hdr* ic, ip4_addr reply_src, uint8_t ttl) noexcept;

/// Builds an IPv4 echo request (no link-layer header) with `payload_len`
/// bytes of pattern data after the 8-byte ICMP header. nullptr when the pool
/// is empty or the size is too large.
mbuf* icmp_echo_build(rte_mempool* mp, ip4_addr src, ip4_addr dst, uint16_t id, uint16_t seq, uint16_t payload_len,
                      uint8_t ttl) noexcept;

/// True for ICMP types that are errors (never answered with an error).
inline bool icmp_is_error(uint8_t type) noexcept {
    return type == icmp_unreach || type == 4 || type == icmp_redirect || type == icmp_time_exceeded || type == 12;
}

/// Builds an ICMP error (type, code; `extra` is the 32-bit field after the
/// checksum: next-hop MTU for frag-needed, gateway for a redirect) quoting
/// the offending packet's IPv4 header and first 8 payload bytes, as IPv4
/// from `src` to the offender's source. nullptr when the pool is empty.
mbuf* icmp_error_build(rte_mempool* mp, const ip4_hdr* orig, uint32_t orig_len, ip4_addr src, uint8_t type,
                       uint8_t code, uint32_t extra, uint8_t ttl) noexcept;

}  // namespace mpnet
