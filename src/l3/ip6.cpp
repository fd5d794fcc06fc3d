// SPDX-License-Identifier: BSD-2-Clause
// IPv6, ICMPv6 and ND option parsing.
#include "mpnet/l3/ip6.hpp"

#include <algorithm>
#include <cstring>

#include "mpnet/core/checksum.hpp"

namespace mpnet {

ip6_hdr* ip6_validate(mbuf* m, drop_reason* why, bool from_loopback) noexcept {
    if (pkt_len(m) < sizeof(ip6_hdr) || pkt_head_len(m) < sizeof(ip6_hdr)) {
        *why = drop_reason::ip6_too_short;
        return nullptr;
    }
    auto* h = pkt_header<ip6_hdr>(m);
    if (h->version() != 6) {
        *why = drop_reason::ip6_bad_version;
        return nullptr;
    }
    const uint32_t total = sizeof(ip6_hdr) + h->payload_len.get();
    // Jumbograms (RFC 2675) are not supported: a zero payload length is taken literally.
    if (total > pkt_len(m)) {
        *why = drop_reason::ip6_bad_len;
        return nullptr;
    }
    if (total < pkt_len(m) && !pkt_trim_to(m, total)) {
        *why = drop_reason::ip6_bad_len;
        return nullptr;
    }
    if (h->src.is_multicast() || h->src.is_v4mapped() || (h->src.is_loopback() && !from_loopback)) {
        *why = drop_reason::ip6_bad_src;
        return nullptr;
    }
    if (h->dst.is_any() || h->dst.is_v4mapped() || (h->dst.is_loopback() && !from_loopback)) {
        *why = drop_reason::ip6_martian_dst;
        return nullptr;
    }
    return h;
}

bool ip6_upper(mbuf* m, uint8_t* proto, uint32_t* off, bool* frag, uint32_t* nh_field) noexcept {
    auto* h = pkt_header<ip6_hdr>(m);
    uint8_t nh = h->next;
    uint32_t o = sizeof(ip6_hdr);
    uint32_t field = 6;  // the fixed header's Next Header
    *frag = false;
    for (unsigned i = 0; i <= limits::ip6_ext_headers_max; ++i) {
        switch (nh) {
            case ipproto_hopopts:
            case ipproto_routing:
            case ipproto_dstopts: {
                const uint8_t* p = pkt_header<uint8_t[2]>(m, o) ? pkt_data(m) + o : nullptr;
                if (!p) return false;
                const uint32_t len = (uint32_t(p[1]) + 1) * 8;
                if (o + len > pkt_head_len(m)) return false;
                nh = p[0];
                field = o;
                o += len;
                break;
            }
            case ipproto_fragment: {
                const uint8_t* p = pkt_header<uint8_t[8]>(m, o) ? pkt_data(m) + o : nullptr;
                if (!p) return false;
                *frag = true;
                nh = p[0];
                field = o;
                o += 8;
                break;
            }
            default:
                *proto = nh;
                *off = o;
                if (nh_field) *nh_field = field;
                return true;
        }
    }
    return false;
}

uint16_t ip6_pseudo_sum(const ip6_addr& src, const ip6_addr& dst, uint8_t proto, const void* l4,
                        uint32_t len) noexcept {
    struct __attribute__((packed)) {
        ip6_addr s, d;
        be32 len;
        uint8_t zero[3];
        uint8_t next;
    } ph{src, dst, {}, {0, 0, 0}, proto};
    ph.len.set(len);
    uint32_t sum = uint32_t(cksum_raw(&ph, sizeof ph)) + cksum_raw(l4, len);
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(sum);
}

bool ip6_encap(mbuf* m, const ip6_addr& src, const ip6_addr& dst, uint8_t proto, uint8_t hlim) noexcept {
    const uint32_t payload = pkt_len(m);
    if (payload > 0xffff) return false;
    auto* p = pkt_prepend(m, sizeof(ip6_hdr));
    if (!p) return false;
    ip6_hdr h{};
    h.vtc_flow.set(6u << 28);
    h.payload_len.set(static_cast<uint16_t>(payload));
    h.next = proto;
    h.hlim = hlim;
    h.src = src;
    h.dst = dst;
    std::memcpy(p, &h, sizeof h);
    return true;
}

icmp6_hdr* icmp6_validate(mbuf* m, const ip6_hdr* ip, uint32_t off, drop_reason* why) noexcept {
    const uint32_t total = sizeof(ip6_hdr) + ip->payload_len.get();
    if (off + sizeof(icmp6_hdr) > total || total > pkt_head_len(m)) {
        *why = drop_reason::icmp6_too_short;
        return nullptr;
    }
    auto* ic = pkt_header<icmp6_hdr>(m, off);
    if (ip6_pseudo_sum(ip->src, ip->dst, ipproto_icmpv6, ic, total - off) != 0xffff) {
        *why = drop_reason::icmp6_bad_cksum;
        return nullptr;
    }
    return ic;
}

namespace {

void icmp6_fill_cksum(const ip6_hdr* ip, icmp6_hdr* ic, uint32_t len) noexcept {
    ic->cksum = 0;
    ic->cksum = static_cast<uint16_t>(~ip6_pseudo_sum(ip->src, ip->dst, ipproto_icmpv6, ic, len));
}

}  // namespace

void icmp6_echo_reflect(ip6_hdr* ip, icmp6_hdr* ic, uint32_t off, const ip6_addr& reply_src, uint8_t hlim) noexcept {
    ic->type = icmp6_echo_reply;
    ip->dst = ip->src;
    ip->src = reply_src;
    ip->hlim = hlim;
    icmp6_fill_cksum(ip, ic, sizeof(ip6_hdr) + ip->payload_len.get() - off);
}

mbuf* icmp6_build(rte_mempool* mp, const ip6_addr& src, const ip6_addr& dst, uint8_t hlim, const void* msg,
                  uint32_t len) noexcept {
    if (len < sizeof(icmp6_hdr) || len > 0xffff - sizeof(ip6_hdr)) return nullptr;
    mbuf* m = pkt_alloc(mp, static_cast<uint16_t>(sizeof(ip6_hdr) + len));
    if (!m) return nullptr;
    auto* ip = pkt_header<ip6_hdr>(m);
    *ip = ip6_hdr{};
    ip->vtc_flow.set(6u << 28);
    ip->payload_len.set(static_cast<uint16_t>(len));
    ip->next = ipproto_icmpv6;
    ip->hlim = hlim;
    ip->src = src;
    ip->dst = dst;
    auto* ic = reinterpret_cast<icmp6_hdr*>(pkt_data(m) + sizeof(ip6_hdr));
    std::memcpy(ic, msg, len);
    icmp6_fill_cksum(ip, ic, len);
    return m;
}

mbuf* icmp6_error_build(rte_mempool* mp, const ip6_hdr* orig, uint32_t orig_len, const ip6_addr& src, uint8_t type,
                        uint8_t code, uint32_t data, uint8_t hlim) noexcept {
    const uint32_t quote = std::min<uint32_t>(orig_len, ip6_min_mtu - sizeof(ip6_hdr) - sizeof(icmp6_hdr));
    uint8_t buf[ip6_min_mtu];
    icmp6_hdr h{type, code, 0, {}};
    h.data.set(data);
    std::memcpy(buf, &h, sizeof h);
    std::memcpy(buf + sizeof h, orig, quote);
    return icmp6_build(mp, src, orig->src, hlim, buf, sizeof h + quote);
}

mbuf* icmp6_echo_build(rte_mempool* mp, const ip6_addr& src, const ip6_addr& dst, uint16_t id, uint16_t seq,
                       uint16_t payload_len, uint8_t hlim) noexcept {
    if (payload_len > 1452) return nullptr;
    uint8_t buf[sizeof(icmp6_hdr) + 1452];
    icmp6_hdr h{icmp6_echo_request, 0, 0, {}};
    h.data.set((uint32_t(id) << 16) | seq);
    std::memcpy(buf, &h, sizeof h);
    for (uint16_t i = 0; i < payload_len; ++i) buf[sizeof h + i] = static_cast<uint8_t>(i);
    return icmp6_build(mp, src, dst, hlim, buf, sizeof h + payload_len);
}

bool nd_parse_options(const uint8_t* p, uint32_t len, nd_options* out, drop_reason* why) noexcept {
    *out = nd_options{};
    uint32_t o = 0;
    unsigned count = 0;
    while (o < len) {
        if (len - o < 2 || ++count > limits::nd_options_max) {
            *why = drop_reason::nd_bad_option;
            return false;
        }
        const uint8_t type = p[o];
        const uint32_t olen = uint32_t(p[o + 1]) * 8;
        if (olen == 0 || olen > len - o) {
            *why = drop_reason::nd_bad_option;
            return false;
        }
        const uint8_t* q = p + o;
        switch (type) {
            case nd_opt_source_lla:
            case nd_opt_target_lla:
                if (olen != sizeof(nd_opt_lla)) break;  // not Ethernet: ignored
                (type == nd_opt_source_lla ? out->slla : out->tlla) = reinterpret_cast<const nd_opt_lla*>(q);
                break;
            case nd_opt_prefix_info:
                if (olen != sizeof(nd_opt_prefix)) {
                    *why = drop_reason::nd_bad_option;
                    return false;
                }
                out->prefix[out->n_prefix++] = reinterpret_cast<const nd_opt_prefix*>(q);
                break;
            case nd_opt_mtu:
                if (olen != sizeof(nd_opt_mtu_t)) {
                    *why = drop_reason::nd_bad_option;
                    return false;
                }
                out->mtu = reinterpret_cast<const nd_opt_mtu_t*>(q);
                break;
            case nd_opt_redirected_hdr:
                out->redirected = q + sizeof(nd_opt_rh);
                out->redirected_len = olen - uint32_t(sizeof(nd_opt_rh));
                break;
            default:
                break;  // unknown: skipped
        }
        o += olen;
    }
    return true;
}

}  // namespace mpnet
