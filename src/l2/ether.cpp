// SPDX-License-Identifier: BSD-2-Clause
// Ethernet input classification and output framing.
#include "mpnet/l2/ether.hpp"

#include <cstring>

#include "mpnet/netif/ifnet.hpp"

namespace mpnet {

ether_next ether_classify(mbuf* m, const ether_addr& own, uint32_t if_flags, bool* group, drop_reason* why) noexcept {
    const auto* eh = pkt_header<ether_hdr>(m);
    if (!eh) {
        *why = drop_reason::ether_too_short;
        return ether_next::drop;
    }
    *group = eh->dst.is_group();
    if (!*group && eh->dst != own && !(if_flags & iff::promisc)) {
        *why = drop_reason::ether_not_for_us;
        return ether_next::drop;
    }
    if (eh->src == own) {
        // Our own frame reflected back by a hub or a misbehaving peer.
        *why = drop_reason::ether_own_src;
        return ether_next::drop;
    }
    ether_next next;
    switch (eh->type.get()) {
        case ethertype_ip4:
            next = ether_next::ip4;
            break;
        case ethertype_arp:
            next = ether_next::arp;
            break;
        case ethertype_ip6:
            next = ether_next::ip6;
            break;
        case ethertype_vlan:
            *why = drop_reason::ether_vlan_unsupported;
            return ether_next::drop;
        default:
            *why = drop_reason::ether_unknown_type;
            return ether_next::drop;
    }
    pkt_adj(m, sizeof(ether_hdr));
    return next;
}

bool ether_encap(mbuf* m, const ether_addr& dst, const ether_addr& src, uint16_t type) noexcept {
    uint8_t* p = pkt_prepend(m, sizeof(ether_hdr));
    if (!p) return false;
    ether_hdr h{dst, src, be16::of(type)};
    std::memcpy(p, &h, sizeof h);
    return true;
}

}  // namespace mpnet
