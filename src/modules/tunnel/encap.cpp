// SPDX-License-Identifier: BSD-2-Clause
// What the tunnel modules share: their outer endpoints' words.
#include "mpnet/tunnel/encap.hpp"

#include <fmt/format.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <stdexcept>

#include "mpnet/core/checksum.hpp"
#include "mpnet/core/wire.hpp"
#include "mpnet/sync/rcu.hpp"

namespace mpnet {

// ---- the table -------------------------------------------------------------------------------

// The hash, and a count of who holds it: the table, and every removed key
// whose slot waits for its grace period (so a table destroyed with frees
// still pending is freed by the last of them).
struct encap_table::shared {
    rte_hash* h = nullptr;
    std::mutex mu;  // the writer calls and the RCU callbacks' frees
    std::atomic<uint32_t> refs{1};
    void unref() noexcept {
        if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            rte_hash_free(h);
            delete this;
        }
    }
};

namespace {

struct pending_free {
    encap_table::shared* sh;
    int32_t pos;
};

void free_slot(void* p) noexcept {
    auto* f = static_cast<pending_free*>(p);
    {
        std::lock_guard<std::mutex> g(f->sh->mu);
        rte_hash_free_key_with_position(f->sh->h, f->pos);
    }
    f->sh->unref();
    delete f;
}

// The data word: the interface index in the low 24 bits, the module's 40 above.
constexpr unsigned ifindex_bits = 24;
static_assert(limits::ifnet_max <= (size_t{1} << ifindex_bits));
constexpr uint64_t data_max = (uint64_t{1} << (64 - ifindex_bits)) - 1;

void* pack(ifindex_t ifindex, uint64_t data) noexcept {
    return reinterpret_cast<void*>(static_cast<uintptr_t>(data << ifindex_bits | ifindex));
}
encap_hit unpack(const void* v) noexcept {
    const auto w = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(v));
    return {static_cast<ifindex_t>(w & ((uint64_t{1} << ifindex_bits) - 1)), w >> ifindex_bits};
}

std::atomic<uint32_t> table_serial{0};

}  // namespace

encap_table::encap_table(size_t max_entries) : max_(max_entries) {
    // Slack past the limit for keys removed and not yet freed (a grace
    // period is milliseconds; a writer moving tunnels in a loop needs room).
    const size_t slots = std::max<size_t>(max_entries + max_entries / 2 + 64, 8);
    char name[RTE_HASH_NAMESIZE];
    std::snprintf(name, sizeof name, "mpenc%u", table_serial.fetch_add(1, std::memory_order_relaxed));
    rte_hash_parameters p{};
    p.name = name;
    p.entries = static_cast<uint32_t>(slots);
    p.key_len = sizeof(encap_key);
    p.hash_func = rte_hash_crc;
    p.hash_func_init_val = 0;
    p.socket_id = SOCKET_ID_ANY;
    p.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
    rte_hash* h = rte_hash_create(&p);
    if (!h) throw std::runtime_error(fmt::format("encapsulation table: rte_hash_create: {}", rte_strerror(rte_errno)));
    sh_ = new shared;
    sh_->h = h;
    h_ = h;
}

encap_table::~encap_table() { sh_->unref(); }

encap_hit encap_table::lookup(const encap_key& k) const noexcept {
    void* d;
    if (rte_hash_lookup_data(h_, &k, &d) < 0) return {};
    return unpack(d);
}

void encap_table::lookup_bulk(const encap_key* keys, uint16_t n, encap_hit* out) const noexcept {
    if (size() <= small_table) {
        for (uint16_t i = 0; i < n; ++i) out[i] = lookup(keys[i]);
        return;
    }
    const void* ks[bulk_max];
    void* d[bulk_max];
    for (uint16_t at = 0; at < n; at += bulk_max) {
        const auto m = static_cast<uint16_t>(std::min<uint32_t>(bulk_max, n - at));
        for (uint16_t i = 0; i < m; ++i) ks[i] = &keys[at + i];
        uint64_t hits = 0;
        if (rte_hash_lookup_bulk_data(h_, ks, m, &hits, d) < 0) hits = 0;
        for (uint16_t i = 0; i < m; ++i) out[at + i] = (hits >> i & 1) ? unpack(d[i]) : encap_hit{};
    }
}

status encap_table::add(const encap_key& k, ifindex_t ifindex, uint64_t data) {
    if (ifindex == 0 || ifindex >= limits::ifnet_max || data > data_max) return errc::inval;
    if (size() >= max_) return errc::nospc;
    for (bool waited = false;; waited = true) {
        int r;
        {
            std::lock_guard<std::mutex> g(sh_->mu);
            // rte_hash_add_key_data replaces the value of a present key: refuse first.
            if (rte_hash_lookup(h_, &k) >= 0) return errc::exist;
            r = rte_hash_add_key_data(h_, &k, pack(ifindex, data));
        }
        if (r == 0) break;
        // Below the limit but out of slots: removed keys wait for their
        // grace period (a writer that changed tunnels faster than readers
        // went quiescent). Wait for their frees once, then try again.
        if (r == -ENOSPC && !waited && sh_->refs.load(std::memory_order_acquire) > 1) {
            rcu_barrier();
            continue;
        }
        return r == -ENOSPC ? errc::nospc : errc::nomem;
    }
    n_.store(size() + 1, std::memory_order_relaxed);
    return {};
}

bool encap_table::remove(const encap_key& k) noexcept {
    int32_t pos;
    {
        std::lock_guard<std::mutex> g(sh_->mu);
        pos = rte_hash_del_key(h_, &k);
    }
    if (pos < 0) return false;
    n_.store(size() - 1, std::memory_order_relaxed);
    sh_->refs.fetch_add(1, std::memory_order_relaxed);
    detail::rcu_defer(&free_slot, new pending_free{sh_, pos});
    return true;
}

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
