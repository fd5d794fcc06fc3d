// SPDX-License-Identifier: BSD-2-Clause
// IPv6 and ICMPv6 per-packet functions: header validation, extension header
// walk, upper-layer checksums over the pseudo header, encapsulation, echo
// reflection, message and error construction, and neighbor discovery option
// parsing (RFC 4861 4.6).
//
// Locking notes: pure per-packet functions; the caller owns the packet.
#pragma once

#include <cstddef>
#include <cstdint>

#include "mpnet/core/counters.hpp"
#include "mpnet/core/limits.hpp"
#include "mpnet/core/packet.hpp"
#include "mpnet/core/wire.hpp"

namespace mpnet {

/// Validates the IPv6 header at the front of `m` (version, payload length
/// within the frame; the frame is trimmed to the datagram) and the source and
/// destination rules of RFC 4291 (source not multicast, not IPv4-mapped;
/// destination not ::; ::1 only from loopback). nullptr with `*why` set.
ip6_hdr* ip6_validate(mbuf* m, drop_reason* why, bool from_loopback = false) noexcept;

/// Walks extension headers after the fixed header: on return `*proto` is the
/// upper-layer protocol and `*off` its offset from the IPv6 header; `*frag`
/// says a fragment header was met. False when the chain is truncated or longer
/// than limits::ip6_ext_headers_max. `*nh_field`, when given, is the offset
/// of the byte that names the upper-layer protocol (a parameter problem's pointer).
bool ip6_upper(mbuf* m, uint8_t* proto, uint32_t* off, bool* frag, uint32_t* nh_field = nullptr) noexcept;

/// One's-complement sum (not inverted) of the pseudo header and `len` bytes at `l4`.
uint16_t ip6_pseudo_sum(const ip6_addr& src, const ip6_addr& dst, uint8_t proto, const void* l4, uint32_t len) noexcept;

/// Prepends an IPv6 header (payload = the whole packet so far).
bool ip6_encap(mbuf* m, const ip6_addr& src, const ip6_addr& dst, uint8_t proto, uint8_t hlim) noexcept;

/// Validates the ICMPv6 message at `off` (length, checksum). nullptr with `*why`.
icmp6_hdr* icmp6_validate(mbuf* m, const ip6_hdr* ip, uint32_t off, drop_reason* why) noexcept;

/// Echo request -> reply in place: addresses swapped (source `reply_src`),
/// hop limit reset, checksum recomputed.
void icmp6_echo_reflect(ip6_hdr* ip, icmp6_hdr* ic, uint32_t off, const ip6_addr& reply_src, uint8_t hlim) noexcept;

/// Builds a whole IPv6 packet (no link layer) carrying the ICMPv6 message
/// `msg` (`len` bytes, checksum field ignored and filled in). nullptr when the
/// pool is empty or the message is too large.
mbuf* icmp6_build(rte_mempool* mp, const ip6_addr& src, const ip6_addr& dst, uint8_t hlim, const void* msg,
                  uint32_t len) noexcept;

/// Builds an ICMPv6 error about `orig` (its IPv6 header at the front,
/// `orig_len` contiguous bytes): as much of it as keeps the error within the
/// minimum MTU (RFC 4443 2.4 (c)).
mbuf* icmp6_error_build(rte_mempool* mp, const ip6_hdr* orig, uint32_t orig_len, const ip6_addr& src, uint8_t type,
                        uint8_t code, uint32_t data, uint8_t hlim) noexcept;

/// ICMPv6 errors are types below 128.
inline bool icmp6_is_error(uint8_t type) noexcept { return type < 128; }

/// Builds an IPv6 echo request from `src` to `dst`.
mbuf* icmp6_echo_build(rte_mempool* mp, const ip6_addr& src, const ip6_addr& dst, uint16_t id, uint16_t seq,
                       uint16_t payload_len, uint8_t hlim) noexcept;

/// The ND options of one message.
struct nd_options {
    const nd_opt_lla* slla = nullptr;
    const nd_opt_lla* tlla = nullptr;
    const nd_opt_mtu_t* mtu = nullptr;
    const uint8_t* redirected = nullptr;  // the redirected header option's data
    uint32_t redirected_len = 0;
    unsigned n_prefix = 0;
    const nd_opt_prefix* prefix[limits::nd_options_max];
};

/// Parses the options in [p, p+len). False (with `*why`) for a zero-length
/// option, one running past the end, a malformed known option, or more than
/// limits::nd_options_max options. Unknown options are skipped (RFC 4861 4.6).
bool nd_parse_options(const uint8_t* p, uint32_t len, nd_options* out, drop_reason* why) noexcept;

}  // namespace mpnet
