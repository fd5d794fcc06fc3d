// SPDX-License-Identifier: BSD-2-Clause
// What the tunnel modules share: their outer endpoints' words.
#include "mpnet/tunnel/encap.hpp"

#include "mpnet/core/checksum.hpp"
#include "mpnet/core/wire.hpp"

namespace mpnet {

std::optional<tunnel_endpoints> tunnel_endpoints::parse(std::string_view src, std::string_view dst) {
    tunnel_endpoints e;
    auto s4 = ip4_addr::parse(src), d4 = ip4_addr::parse(dst);
    if (s4 && d4) {
        e.family = 4;
        e.src4 = *s4;
        e.dst4 = *d4;
        return e;
    }
    auto s6 = ip6_addr::parse(src), d6 = ip6_addr::parse(dst);
    if (s6 && d6) {
        e.family = 6;
        e.src6 = *s6;
        e.dst6 = *d6;
        return e;
    }
    return std::nullopt;
}

std::string tunnel_endpoints::src_str() const { return family == 4 ? src4.str() : src6.str(); }
std::string tunnel_endpoints::dst_str() const { return family == 4 ? dst4.str() : dst6.str(); }

bool tunnel_endpoints::unicast() const noexcept {
    auto ok4 = [](ip4_addr a) { return !a.is_any() && !a.is_multicast() && !a.is_broadcast(); };
    auto ok6 = [](const ip6_addr& a) { return !a.is_any() && !a.is_multicast() && !a.is_v4mapped(); };
    return family == 4 ? ok4(src4) && ok4(dst4) : ok6(src6) && ok6(dst6);
}

uint16_t encap_write_outer(uint8_t* o, const tunnel_endpoints& e, uint8_t proto, uint32_t payload, uint8_t tclass,
                           uint8_t ttl, uint16_t id) noexcept {
    if (e.family == 4) {
        ip4_hdr h{};
        h.ver_ihl = 0x45;
        h.tos = tclass;
        h.total_len.set(static_cast<uint16_t>(payload + sizeof(ip4_hdr)));
        h.id.set(id);
        h.frag.set(0);
        h.ttl = ttl;
        h.proto = proto;
        h.src.set(e.src4.v);
        h.dst.set(e.dst4.v);
        h.cksum = in_cksum(&h, sizeof h);
        std::memcpy(o, &h, sizeof h);
        return sizeof(ip4_hdr);
    }
    ip6_hdr h{};
    h.vtc_flow.set(uint32_t{6} << 28 | uint32_t{tclass} << 20);
    h.payload_len.set(static_cast<uint16_t>(payload));
    h.next = proto;
    h.hlim = ttl;
    h.src = e.src6;
    h.dst = e.dst6;
    std::memcpy(o, &h, sizeof h);
    return sizeof(ip6_hdr);
}

void encap_udp_cksum(mbuf* m, uint8_t family, uint32_t udp_off) noexcept {
    const uint32_t len = pkt_len(m) - udp_off;
    uint8_t* udp = pkt_data(m) + udp_off;  // the header is in the first segment
    udp[6] = udp[7] = 0;
    // The pseudo-header, then the datagram segment by segment: a segment that
    // starts at an odd offset adds its sum byte-swapped (RFC 1071 2(B)).
    uint64_t sum = 0;
    if (family == 4) {
        const auto* ip = pkt_data(m);
        sum += cksum_raw(ip + 12, 8);  // source and destination
    } else {
        sum += cksum_raw(pkt_data(m) + 8, 32);
    }
    const uint8_t ph[4] = {0, ipproto_udp, static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len)};
    sum += cksum_raw(ph, 4);
    if (family == 6) {
        const uint8_t hi[4] = {0, 0, static_cast<uint8_t>(len >> 24), static_cast<uint8_t>(len >> 16)};
        sum += cksum_raw(hi, 4);
    }
    uint32_t skip = udp_off;
    bool odd = false;
    for (const mbuf* s = m; s; s = s->next) {
        uint32_t n = s->data_len;
        const uint8_t* p = rte_pktmbuf_mtod(s, const uint8_t*);
        if (skip >= n) {
            skip -= n;
            continue;
        }
        p += skip;
        n -= skip;
        skip = 0;
        uint16_t part = cksum_raw(p, n);
        if (odd) part = static_cast<uint16_t>((part >> 8) | (part << 8));
        sum += part;
        odd ^= (n & 1) != 0;
    }
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    uint16_t c = static_cast<uint16_t>(~sum);
    if (c == 0) c = 0xffff;  // zero means "none"
    std::memcpy(udp + 6, &c, 2);
}

}  // namespace mpnet
