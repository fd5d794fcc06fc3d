// SPDX-License-Identifier: BSD-2-Clause
// Packet helpers over rte_mbuf: metadata dynfield and pools.
#include "mpnet/core/packet.hpp"

#include <rte_errno.h>
#include <rte_jhash.h>
#include <rte_mbuf_dyn.h>

#include <cstring>
#include <string>

namespace mpnet {

namespace detail {
int pkt_meta_offset = -1;
}

status pkt_meta_register() noexcept {
    if (detail::pkt_meta_offset >= 0) return {};
    rte_mbuf_dynfield desc{};
    std::strncpy(desc.name, "mpnet_pkt_meta", sizeof desc.name - 1);
    desc.size = sizeof(pkt_meta);
    desc.align = alignof(pkt_meta);
    int off = rte_mbuf_dynfield_register(&desc);
    if (off < 0) return errc::nospc;
    detail::pkt_meta_offset = off;
    return {};
}

uint32_t pkt_flow_hash(const mbuf* m) noexcept {
    if (m->ol_flags & RTE_MBUF_F_RX_RSS_HASH) return m->hash.rss;
    const uint8_t* p = pkt_data(m);
    const uint32_t len = m->data_len;
    if (len < 14) return 0;
    uint32_t off = 14;
    uint16_t type = static_cast<uint16_t>(p[12] << 8 | p[13]);
    if (type == 0x8100 && len >= 18) {  // one VLAN tag
        type = static_cast<uint16_t>(p[16] << 8 | p[17]);
        off = 18;
    }
    uint32_t words[10];
    uint32_t nw = 0;
    uint8_t proto = 0;
    uint32_t l4 = 0;
    if (type == 0x0800 && len >= off + 20) {
        const uint8_t* ip = p + off;
        std::memcpy(words, ip + 12, 8);  // source and destination
        nw = 2;
        proto = ip[9];
        const uint32_t ihl = (ip[0] & 0xfu) * 4u;
        const bool first_frag = (((ip[6] & 0x1fu) << 8) | ip[7]) == 0;
        if (first_frag && (ip[6] & 0x20u) == 0) l4 = off + ihl;  // unfragmented: ports too
    } else if (type == 0x86dd && len >= off + 40) {
        const uint8_t* ip = p + off;
        std::memcpy(words, ip + 8, 32);
        nw = 8;
        proto = ip[6];
        l4 = off + 40;
    } else {
        return 0;
    }
    if (l4 && (proto == 6 || proto == 17 || proto == 132) && len >= l4 + 4) std::memcpy(&words[nw++], p + l4, 4);
    words[nw++] = proto;
    return rte_jhash_32b(words, nw, 0x6d706e74);
}

bool pkt_trim_to(mbuf* m, uint32_t len) noexcept {
    if (len > m->pkt_len) return false;
    uint32_t excess = m->pkt_len - len;
    if (excess == 0) return true;
    // rte_pktmbuf_trim works on the last segment only; fine for single segments,
    // and multi-segment frames beyond the first segment are trimmed segment-wise.
    while (excess > 0) {
        mbuf* last = rte_pktmbuf_lastseg(m);
        uint32_t cut = excess < last->data_len ? excess : last->data_len;
        if (cut == last->data_len && last != m) {
            // Drop the whole trailing segment.
            mbuf* prev = m;
            while (prev->next != last) prev = prev->next;
            prev->next = nullptr;
            m->nb_segs--;
            m->pkt_len -= cut;
            rte_pktmbuf_free_seg(last);
        } else {
            last->data_len = static_cast<uint16_t>(last->data_len - cut);
            m->pkt_len -= cut;
        }
        excess -= cut;
    }
    return true;
}

result<rte_mempool*> pktpool_create(std::string_view name, uint32_t count, uint16_t data_room) noexcept {
    std::string n(name.substr(0, RTE_MEMPOOL_NAMESIZE - 1));
    unsigned cache = count >= 1024 ? 256 : 0;
    rte_mempool* mp = rte_pktmbuf_pool_create(n.c_str(), count, cache, 0, data_room, SOCKET_ID_ANY);
    if (!mp) return rte_errno == EEXIST ? errc::exist : errc::nomem;
    return mp;
}

void pktpool_free(rte_mempool* mp) noexcept { rte_mempool_free(mp); }

unsigned pktpool_avail(const rte_mempool* mp) noexcept { return rte_mempool_avail_count(mp); }

mbuf* pkt_alloc(rte_mempool* mp, uint16_t len) noexcept {
    mbuf* m = rte_pktmbuf_alloc(mp);
    if (!m) return nullptr;
    if (!rte_pktmbuf_append(m, len)) {
        rte_pktmbuf_free(m);
        return nullptr;
    }
    meta(m) = pkt_meta{};
    return m;
}

}  // namespace mpnet

#include <rte_lcore.h>

namespace mpnet {
void lcore_register_thread() noexcept { (void)rte_thread_register(); }
void lcore_unregister_thread() noexcept { rte_thread_unregister(); }
}  // namespace mpnet
