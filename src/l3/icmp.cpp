// SPDX-License-Identifier: BSD-2-Clause
// ICMP for IPv4.
#include "mpnet/l3/icmp.hpp"

#include <algorithm>
#include <cstring>

#include "mpnet/core/checksum.hpp"
#include "mpnet/l3/ip4.hpp"

namespace mpnet {

icmp_hdr* icmp_validate(mbuf* m, const ip4_hdr* ip, drop_reason* why) noexcept {
    unsigned hlen = ip->hlen_bytes();
    unsigned len = ip->total_len.get() - hlen;
    if (len < sizeof(icmp_hdr) || hlen + len > pkt_head_len(m)) {
        // Multi-segment ICMP is not reflected: echo payloads beyond one
        // segment are not expected below jumbo sizes.
        *why = drop_reason::icmp_too_short;
        return nullptr;
    }
    auto* ic = pkt_header<icmp_hdr>(m, hlen);
    if (cksum_raw(ic, len) != 0xffff) {
        *why = drop_reason::icmp_bad_cksum;
        return nullptr;
    }
    return ic;
}

void icmp_echo_reflect(ip4_hdr* ip, icmp_hdr* ic, ip4_addr reply_src, uint8_t ttl) noexcept {
    // ICMP: only the type byte changes (8 -> 0); update incrementally over the
    // 16-bit word holding type and code.
    uint16_t old_w, new_w;
    std::memcpy(&old_w, ic, 2);
    ic->type = icmp_echo_reply;
    std::memcpy(&new_w, ic, 2);
    ic->cksum = cksum_update16(ic->cksum, old_w, new_w);
    // IPv4: new addresses and TTL; recompute the 20..60 byte header checksum.
    ip->dst = ip->src;
    ip->src.set(reply_src.v);
    ip->ttl = ttl;
    ip->cksum = 0;
    ip->cksum = in_cksum(ip, ip->hlen_bytes());
}

mbuf* icmp_echo_build(rte_mempool* mp, ip4_addr src, ip4_addr dst, uint16_t id, uint16_t seq, uint16_t payload_len,
                      uint8_t ttl) noexcept {
    if (payload_len > 1472) return nullptr;
    mbuf* m = pkt_alloc(mp, static_cast<uint16_t>(sizeof(icmp_hdr) + payload_len));
    if (!m) return nullptr;
    auto* ic = reinterpret_cast<icmp_hdr*>(pkt_data(m));
    ic->type = icmp_echo_request;
    ic->code = 0;
    ic->cksum = 0;
    ic->id.set(id);
    ic->seq.set(seq);
    uint8_t* pl = pkt_data(m) + sizeof(icmp_hdr);
    for (uint16_t i = 0; i < payload_len; ++i) pl[i] = static_cast<uint8_t>(i);
    ic->cksum = in_cksum(ic, sizeof(icmp_hdr) + payload_len);
    if (!ip4_encap(m, src, dst, ipproto_icmp, ttl, seq)) {
        pkt_free(m);
        return nullptr;
    }
    return m;
}

mbuf* icmp_error_build(rte_mempool* mp, const ip4_hdr* orig, uint32_t orig_len, ip4_addr src, uint8_t type,
                       uint8_t code, uint32_t extra, uint8_t ttl) noexcept {
    // RFC 792: the offending header plus 64 bits of its data.
    const uint32_t quote = std::min<uint32_t>(orig_len, orig->hlen_bytes() + 8u);
    mbuf* m = pkt_alloc(mp, static_cast<uint16_t>(sizeof(icmp_hdr) + quote));
    if (!m) return nullptr;
    auto* ic = reinterpret_cast<icmp_hdr*>(pkt_data(m));
    ic->type = type;
    ic->code = code;
    ic->cksum = 0;
    ic->id.set(static_cast<uint16_t>(extra >> 16));
    ic->seq.set(static_cast<uint16_t>(extra));
    std::memcpy(pkt_data(m) + sizeof(icmp_hdr), orig, quote);
    ic->cksum = in_cksum(ic, sizeof(icmp_hdr) + quote);
    if (!ip4_encap(m, src, ip4_addr(orig->src.get()), ipproto_icmp, ttl, 0)) {
        pkt_free(m);
        return nullptr;
    }
    return m;
}

}  // namespace mpnet
