// SPDX-License-Identifier: BSD-2-Clause
// Ethernet input classification and output framing.
#include "mpnet/l2/ether.hpp"

#include <cstring>

#include "mpnet/netif/ifnet.hpp"

namespace mpnet {

int ether_accept(mbuf* m, const ether_addr& own, uint32_t if_flags, bool* group, drop_reason* why) noexcept {
    const auto* eh = pkt_header<ether_hdr>(m);
    if (!eh) {
        *why = drop_reason::ether_too_short;
        return -1;
    }
    *group = eh->dst.is_group();
    if (!*group && eh->dst != own && !(if_flags & iff::promisc)) {
        *why = drop_reason::ether_not_for_us;
        return -1;
    }
    if (eh->src == own) {
        // Our own frame reflected back by a hub or a misbehaving peer.
        *why = drop_reason::ether_own_src;
        return -1;
    }
    const uint16_t type = eh->type.get();
    pkt_adj(m, sizeof(ether_hdr));
    return type;
}

ether_next ether_classify(mbuf* m, const ether_addr& own, uint32_t if_flags, bool* group, drop_reason* why) noexcept {
    const int type = ether_accept(m, own, if_flags, group, why);
    if (type < 0) return ether_next::drop;
    switch (type) {
        case ethertype_ip4:
            return ether_next::ip4;
        case ethertype_arp:
            return ether_next::arp;
        case ethertype_ip6:
            return ether_next::ip6;
        default:
            pkt_prepend(m, sizeof(ether_hdr));  // unchanged on drop
            *why = ether_unclaimed_drop(type);
            return ether_next::drop;
    }
}

bool ether_encap(mbuf* m, const ether_addr& dst, const ether_addr& src, uint16_t type) noexcept {
    uint8_t* p = pkt_prepend(m, sizeof(ether_hdr));
    if (!p) return false;
    const be16 t = be16::of(type);
    std::memcpy(p, dst.b.data(), 6);
    std::memcpy(p + 6, src.b.data(), 6);
    std::memcpy(p + 12, t.b, 2);
    return true;
}

}  // namespace mpnet
