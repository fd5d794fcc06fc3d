// SPDX-License-Identifier: BSD-2-Clause
// Packed wire headers: Ethernet, ARP (Ethernet/IPv4), IPv4, ICMP, IPv6,
// ICMPv6 and neighbor discovery (RFC 4861) messages and options.
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
inline constexpr uint8_t ipproto_ipip = 4;  // IPv4 in IP
inline constexpr uint8_t ipproto_esp = 50;

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

// ---- IPv6 ----------------------------------------------------------------------

inline constexpr uint8_t ipproto_hopopts = 0;
inline constexpr uint8_t ipproto_ipv6 = 41;
inline constexpr uint8_t ipproto_routing = 43;
inline constexpr uint8_t ipproto_fragment = 44;
inline constexpr uint8_t ipproto_icmpv6 = 58;
inline constexpr uint8_t ipproto_none = 59;
inline constexpr uint8_t ipproto_dstopts = 60;

struct __attribute__((packed)) ip6_hdr {
    be32 vtc_flow;  // version (4), traffic class (8), flow label (20)
    be16 payload_len;
    uint8_t next;
    uint8_t hlim;
    ip6_addr src;
    ip6_addr dst;

    unsigned version() const noexcept { return vtc_flow.get() >> 28; }
};
static_assert(sizeof(ip6_hdr) == 40);

inline constexpr uint32_t ip6_min_mtu = 1280;  // RFC 8200 5

inline constexpr uint8_t icmp6_dst_unreach = 1;
inline constexpr uint8_t icmp6_packet_too_big = 2;
inline constexpr uint8_t icmp6_time_exceeded = 3;
inline constexpr uint8_t icmp6_param_prob = 4;
inline constexpr uint8_t icmp6_echo_request = 128;
inline constexpr uint8_t icmp6_echo_reply = 129;
inline constexpr uint8_t icmp6_mld_query = 130;
inline constexpr uint8_t icmp6_mld_report = 131;
inline constexpr uint8_t icmp6_mld_done = 132;
inline constexpr uint8_t nd_router_solicit = 133;
inline constexpr uint8_t nd_router_advert = 134;
inline constexpr uint8_t nd_neighbor_solicit = 135;
inline constexpr uint8_t nd_neighbor_advert = 136;
inline constexpr uint8_t nd_redirect = 137;
inline constexpr uint8_t icmp6_mld2_report = 143;

inline constexpr uint8_t icmp6_unreach_noroute = 0;
inline constexpr uint8_t icmp6_unreach_admin = 1;
inline constexpr uint8_t icmp6_unreach_beyondscope = 2;
inline constexpr uint8_t icmp6_unreach_addr = 3;
inline constexpr uint8_t icmp6_unreach_port = 4;
inline constexpr uint8_t icmp6_unreach_reject = 6;
inline constexpr uint8_t icmp6_paramprob_header = 0;
inline constexpr uint8_t icmp6_paramprob_nextheader = 1;

struct __attribute__((packed)) icmp6_hdr {
    uint8_t type;
    uint8_t code;
    uint16_t cksum;
    be32 data;  // echo: id << 16 | seq; PTB: MTU; param prob: pointer
};
static_assert(sizeof(icmp6_hdr) == 8);

/// NS and NA: the ICMPv6 header's data word holds NA's R/S/O flags.
struct __attribute__((packed)) nd_ns_na {
    icmp6_hdr h;
    ip6_addr target;
};
static_assert(sizeof(nd_ns_na) == 24);
inline constexpr uint32_t nd_na_router = 0x80000000u;
inline constexpr uint32_t nd_na_solicited = 0x40000000u;
inline constexpr uint32_t nd_na_override = 0x20000000u;

struct __attribute__((packed)) nd_rs {
    icmp6_hdr h;  // data: reserved
};

struct __attribute__((packed)) nd_ra {
    uint8_t type;
    uint8_t code;
    uint16_t cksum;
    uint8_t cur_hlim;
    uint8_t flags;  // M 0x80, O 0x40
    be16 router_lifetime;
    be32 reachable_ms;
    be32 retrans_ms;
};
static_assert(sizeof(nd_ra) == 16);
inline constexpr uint8_t nd_ra_managed = 0x80;
inline constexpr uint8_t nd_ra_other = 0x40;

struct __attribute__((packed)) nd_redirect_msg {
    icmp6_hdr h;  // data: reserved
    ip6_addr target;
    ip6_addr dst;
};
static_assert(sizeof(nd_redirect_msg) == 40);

inline constexpr uint8_t nd_opt_source_lla = 1;
inline constexpr uint8_t nd_opt_target_lla = 2;
inline constexpr uint8_t nd_opt_prefix_info = 3;
inline constexpr uint8_t nd_opt_redirected_hdr = 4;
inline constexpr uint8_t nd_opt_mtu = 5;

struct __attribute__((packed)) nd_opt_hdr {
    uint8_t type;
    uint8_t len;  // in units of 8 bytes; 0 is invalid
};

struct __attribute__((packed)) nd_opt_lla {
    uint8_t type;
    uint8_t len;  // 1
    ether_addr mac;
};
static_assert(sizeof(nd_opt_lla) == 8);

struct __attribute__((packed)) nd_opt_prefix {
    uint8_t type;
    uint8_t len;  // 4
    uint8_t plen;
    uint8_t flags;  // L 0x80, A 0x40
    be32 valid_lifetime;
    be32 preferred_lifetime;
    be32 reserved;
    ip6_addr prefix;
};
static_assert(sizeof(nd_opt_prefix) == 32);
inline constexpr uint8_t nd_opt_pi_onlink = 0x80;
inline constexpr uint8_t nd_opt_pi_auto = 0x40;

struct __attribute__((packed)) nd_opt_mtu_t {
    uint8_t type;
    uint8_t len;  // 1
    uint16_t reserved;
    be32 mtu;
};
static_assert(sizeof(nd_opt_mtu_t) == 8);

struct __attribute__((packed)) nd_opt_rh {
    uint8_t type;
    uint8_t len;
    uint8_t reserved[6];
};
static_assert(sizeof(nd_opt_rh) == 8);

inline constexpr uint32_t nd_infinite_lifetime = 0xffffffffu;

}  // namespace mpnet
