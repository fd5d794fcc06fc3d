// SPDX-License-Identifier: BSD-2-Clause
// Packed wire headers: Ethernet, ARP (Ethernet/IPv4), IPv4, ICMP.
//
// Locking notes: layout types only. Multi-byte fields are be16/be32 so that host
// values cannot be stored without conversion. Headers are read through
// pkt_header<T>(), which checks the length first.
#pragma once

#include <cstdint>

#include "mpnet/core/addr.hpp"
#include "mpnet/core/byteorder.hpp"

namespace mpnet {

inline constexpr uint16_t ethertype_ip4 = 0x0800;
inline constexpr uint16_t ethertype_arp = 0x0806;
inline constexpr uint16_t ethertype_vlan = 0x8100;
inline constexpr uint16_t ethertype_ip6 = 0x86dd;

struct __attribute__((packed)) ether_hdr {
    ether_addr dst;
    ether_addr src;
    be16 type;
};
static_assert(sizeof(ether_hdr) == 14);

inline constexpr uint16_t arp_hrd_ether = 1;
inline constexpr uint16_t arp_op_request = 1;
inline constexpr uint16_t arp_op_reply = 2;

/// ARP for Ethernet hardware and IPv4 protocol addresses (RFC 826), 28 bytes.
struct __attribute__((packed)) arp_ether_ip4 {
    be16 hrd;
    be16 pro;
    uint8_t hln;
    uint8_t pln;
    be16 op;
    ether_addr sha;
    be32 spa;
    ether_addr tha;
    be32 tpa;
};
static_assert(sizeof(arp_ether_ip4) == 28);

inline constexpr uint8_t ipproto_icmp = 1;
inline constexpr uint8_t ipproto_tcp = 6;
inline constexpr uint8_t ipproto_udp = 17;

struct __attribute__((packed)) ip4_hdr {
    uint8_t ver_ihl;  // version << 4 | header length in 32-bit words
    uint8_t tos;
    be16 total_len;
    be16 id;
    be16 frag;  // flags (3 bits) and fragment offset (13 bits, 8-byte units)
    uint8_t ttl;
    uint8_t proto;
    uint16_t cksum;  // one's-complement sum, stored as computed over network-order words
    be32 src;
    be32 dst;

    unsigned version() const noexcept { return ver_ihl >> 4; }
    unsigned hlen_bytes() const noexcept { return (ver_ihl & 0xfu) * 4u; }
};
static_assert(sizeof(ip4_hdr) == 20);

inline constexpr uint16_t ip4_frag_df = 0x4000;
inline constexpr uint16_t ip4_frag_mf = 0x2000;
inline constexpr uint16_t ip4_frag_offset_mask = 0x1fff;

inline constexpr uint8_t icmp_echo_reply = 0;
inline constexpr uint8_t icmp_unreach = 3;
inline constexpr uint8_t icmp_redirect = 5;
inline constexpr uint8_t icmp_echo_request = 8;
inline constexpr uint8_t icmp_unreach_net = 0;
inline constexpr uint8_t icmp_unreach_host = 1;
inline constexpr uint8_t icmp_unreach_needfrag = 4;
inline constexpr uint8_t icmp_redirect_host = 1;
inline constexpr uint8_t icmp_time_exceeded = 11;

struct __attribute__((packed)) icmp_hdr {
    uint8_t type;
    uint8_t code;
    uint16_t cksum;
    be16 id;   // echo: identifier
    be16 seq;  // echo: sequence number
};
static_assert(sizeof(icmp_hdr) == 8);

}  // namespace mpnet
