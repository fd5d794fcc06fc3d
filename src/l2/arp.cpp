// SPDX-License-Identifier: BSD-2-Clause
// ARP packet validation and construction.
#include "mpnet/l2/arp.hpp"

#include <cstring>

#include "mpnet/l2/ether.hpp"

namespace mpnet {

const arp_ether_ip4* arp_validate(mbuf* m, drop_reason* why) noexcept {
    const auto* a = pkt_header<arp_ether_ip4>(m);
    if (!a) {
        *why = drop_reason::arp_too_short;
        return nullptr;
    }
    if (a->hrd.get() != arp_hrd_ether || a->pro.get() != ethertype_ip4 || a->hln != 6 || a->pln != 4) {
        *why = drop_reason::arp_bad_format;
        return nullptr;
    }
    uint16_t op = a->op.get();
    if (op != arp_op_request && op != arp_op_reply) {
        *why = drop_reason::arp_bad_op;
        return nullptr;
    }
    if (a->sha.is_group() || a->sha.is_zero()) {
        *why = drop_reason::arp_bad_sha;
        return nullptr;
    }
    ip4_addr spa(a->spa.get());
    if (spa.is_multicast() || spa.is_broadcast() || spa.is_loopback()) {
        *why = drop_reason::arp_bad_spa;
        return nullptr;
    }
    return a;
}

arp_fields arp_read(const arp_ether_ip4& h) noexcept {
    return {h.op.get(), h.sha, ip4_addr(h.spa.get()), h.tha, ip4_addr(h.tpa.get())};
}

mbuf* arp_build(rte_mempool* mp, const ether_addr& eth_dst, const ether_addr& eth_src, const arp_fields& f) noexcept {
    mbuf* m = pkt_alloc(mp, sizeof(arp_ether_ip4));
    if (!m) return nullptr;
    arp_ether_ip4 a{};
    a.hrd.set(arp_hrd_ether);
    a.pro.set(ethertype_ip4);
    a.hln = 6;
    a.pln = 4;
    a.op.set(f.op);
    a.sha = f.sha;
    a.spa.set(f.spa.v);
    a.tha = f.tha;
    a.tpa.set(f.tpa.v);
    std::memcpy(pkt_data(m), &a, sizeof a);
    if (!ether_encap(m, eth_dst, eth_src, ethertype_arp)) {
        pkt_free(m);
        return nullptr;
    }
    return m;
}

}  // namespace mpnet
