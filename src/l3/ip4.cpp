// SPDX-License-Identifier: BSD-2-Clause
// IPv4 input validation and header construction.
#include "mpnet/l3/ip4.hpp"

#include <rte_ip_frag.h>

#include <cstring>

#include "mpnet/core/checksum.hpp"

namespace mpnet {

ip4_hdr* ip4_validate(mbuf* m, drop_reason* why, bool from_loopback) noexcept {
    auto* h = pkt_header<ip4_hdr>(m);
    if (!h) {
        *why = drop_reason::ip4_too_short;
        return nullptr;
    }
    if (h->version() != 4) {
        *why = drop_reason::ip4_bad_version;
        return nullptr;
    }
    unsigned hlen = h->hlen_bytes();
    if (hlen < sizeof(ip4_hdr) || hlen > pkt_head_len(m)) {
        *why = drop_reason::ip4_bad_hlen;
        return nullptr;
    }
    unsigned total = h->total_len.get();
    if (total < hlen || total > pkt_len(m)) {
        *why = drop_reason::ip4_bad_len;
        return nullptr;
    }
    if (cksum_raw_words(h, hlen / 4) != 0xffff) {
        *why = drop_reason::ip4_bad_cksum;
        return nullptr;
    }
    // RFC 1122 3.2.1.7 forbids sending TTL 0; a TTL-0 datagram is malformed.
    if (h->ttl == 0) {
        *why = drop_reason::ip4_ttl_zero;
        return nullptr;
    }
    ip4_addr src(h->src.get());
    if (src.is_multicast() || src.is_broadcast() || (src.is_loopback() && !from_loopback)) {
        *why = drop_reason::ip4_bad_src;
        return nullptr;
    }
    pkt_trim_to(m, total);  // cannot fail: total <= pkt_len checked above
    return h;
}

bool ip4_encap(mbuf* m, ip4_addr src, ip4_addr dst, uint8_t proto, uint8_t ttl, uint16_t id) noexcept {
    uint32_t payload = pkt_len(m);
    if (payload + sizeof(ip4_hdr) > 0xffff) return false;
    auto* p = pkt_prepend(m, sizeof(ip4_hdr));
    if (!p) return false;
    ip4_hdr h{};
    h.ver_ihl = 0x45;
    h.total_len.set(static_cast<uint16_t>(payload + sizeof(ip4_hdr)));
    h.id.set(id);
    h.frag.set(0);
    h.ttl = ttl;
    h.proto = proto;
    h.src.set(src.v);
    h.dst.set(dst.v);
    h.cksum = in_cksum(&h, sizeof h);
    std::memcpy(p, &h, sizeof h);
    return true;
}

int ip4_fragment(mbuf* m, uint16_t mtu, rte_mempool* direct, rte_mempool* indirect, mbuf** out, uint16_t max) noexcept {
    const int n = rte_ipv4_fragment_packet(m, out, max, mtu, direct, indirect);
    if (n < 0) return -1;
    // rte_ipv4_fragment_packet leaves the checksum of each piece to offload.
    for (int i = 0; i < n; ++i) {
        auto* h = pkt_header<ip4_hdr>(out[i]);
        h->cksum = 0;
        h->cksum = in_cksum(h, h->hlen_bytes());
    }
    return n;
}

}  // namespace mpnet
