// SPDX-License-Identifier: BSD-2-Clause
// UDP header checks and checksums.
#include "mpnet/l3/udp.hpp"

#include <cstring>

#include "mpnet/core/checksum.hpp"
#include "mpnet/l3/ip6.hpp"

namespace mpnet {

namespace {

uint16_t ip4_pseudo_sum(const ip4_hdr* ip, const void* l4, uint32_t len) noexcept {
    struct __attribute__((packed)) {
        be32 s, d;
        uint8_t zero, proto;
        be16 len;
    } ph{ip->src, ip->dst, 0, ipproto_udp, {}};
    ph.len.set(static_cast<uint16_t>(len));
    uint32_t sum = uint32_t(cksum_raw(&ph, sizeof ph)) + cksum_raw(l4, len);
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(sum);
}

// The IP payload length (bytes after the IP header's start) the packet claims.
uint32_t ip_total(mbuf* m, uint8_t family) noexcept {
    if (family == 4) return pkt_header<ip4_hdr>(m)->total_len.get();
    return uint32_t(sizeof(ip6_hdr)) + pkt_header<ip6_hdr>(m)->payload_len.get();
}

uint16_t pseudo_sum(mbuf* m, uint8_t family, const void* l4, uint32_t len) noexcept {
    if (family == 4) return ip4_pseudo_sum(pkt_header<ip4_hdr>(m), l4, len);
    const auto* ip = pkt_header<ip6_hdr>(m);
    return ip6_pseudo_sum(ip->src, ip->dst, ipproto_udp, l4, len);
}

}  // namespace

udp_hdr* udp_validate(mbuf* m, uint8_t family, uint32_t off, drop_reason* why) noexcept {
    const uint32_t total = ip_total(m, family);
    if (total > pkt_head_len(m) || off + sizeof(udp_hdr) > total) {
        *why = drop_reason::udp_too_short;
        return nullptr;
    }
    auto* u = pkt_header<udp_hdr>(m, off);
    const uint32_t len = u->len.get();
    if (len < sizeof(udp_hdr) || len > total - off) {
        *why = drop_reason::udp_bad_len;
        return nullptr;
    }
    if (u->cksum.get() == 0) {
        if (family == 4) return u;  // RFC 768: no checksum
        *why = drop_reason::udp_bad_cksum;  // RFC 8200 8.1: mandatory over IPv6
        return nullptr;
    }
    if (pseudo_sum(m, family, u, len) != 0xffff) {
        *why = drop_reason::udp_bad_cksum;
        return nullptr;
    }
    return u;
}

void udp_fill_cksum(mbuf* m, uint8_t family, uint32_t off, uint32_t len) noexcept {
    auto* u = pkt_header<udp_hdr>(m, off);
    u->cksum.set(0);
    // The sum is in the bytes' own order (cksum_raw): stored as it is.
    uint16_t c = static_cast<uint16_t>(~pseudo_sum(m, family, u, len));
    if (c == 0) c = 0xffff;  // zero means "none"
    std::memcpy(&u->cksum, &c, sizeof c);
}

}  // namespace mpnet
