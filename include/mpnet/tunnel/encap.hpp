// SPDX-License-Identifier: BSD-2-Clause
// The encapsulation table: NetBSD's ip_encap made O(1). A received tunnel
// packet is matched to its tunnel by one hash lookup on (family, protocol,
// UDP port, local address, remote address, session id or VNI), however many
// tunnels exist; NetBSD walked a list of every tunnel per packet.
//
// Each tunnel module (gif, l2tp, vxlan) owns one table per stack and keys it
// its own way: gif by (family, local, remote) for both inner families, l2tp
// by its session id as well, vxlan by its VNI and UDP port.
//
// The table is DPDK's cuckoo hash (rte_hash) in its lock-free reader mode:
// a burst's keys are looked up together (lookup_bulk), the hash computing
// every key's buckets first and prefetching them, then the key slots, so
// that a table far larger than the caches costs overlapped misses rather
// than two dependent ones per packet. The value is held in the hash's own
// data word (interface index and 40 bits of the module's): a hit touches no
// further memory.
//
// Locking notes:
// - lookup() and lookup_bulk() run on any lcore inside its read section,
//   with no lock (RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF).
// - add() and remove() are the writers, serialized by the stack's control
//   lock. A removed key is unlinked at once; its key slot goes back to the
//   hash after a grace period (rte_hash_free_key_with_position from an RCU
//   callback): a reader still comparing against it never sees it reused.
//   The callback and the writers take the table's own mutex (DPDK allows
//   one thread at a time in the writer calls).
// - Values are immutable once published; a tunnel that changes its
//   endpoints adds the new key before it removes the old (no window with
//   neither).
// Lock order: the stack's control lock -> the table's mutex -> nothing.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "mpnet/core/addr.hpp"
#include "mpnet/core/packet.hpp"
#include "mpnet/core/result.hpp"
#include "mpnet/core/wire.hpp"

struct rte_hash;

namespace mpnet {

/// What identifies a tunnel from the outside. IPv4 addresses are held in the
/// first four bytes of `local` and `remote` (network order), the rest zero.
/// Aligned to 8: the hash (rte_hash_crc) reads it eight bytes at a time.
struct alignas(8) encap_key {
    uint8_t family = 4;  // of the outer header: 4 or 6
    uint8_t proto = 0;   // the outer protocol (a module's own value for "any of mine")
    uint16_t port = 0;   // UDP destination port, 0 for IP protocols
    uint32_t id = 0;     // session id or VNI, 0 when the protocol has none
    ip6_addr local{};    // our address: the outer destination
    ip6_addr remote{};   // the peer's: the outer source

    static encap_key v4(uint8_t proto, ip4_addr local, ip4_addr remote, uint32_t id = 0, uint16_t port = 0) noexcept {
        encap_key k;
        k.family = 4;
        k.proto = proto;
        k.port = port;
        k.id = id;
        for (int i = 0; i < 4; ++i) {
            k.local.b[i] = static_cast<uint8_t>(local.v >> (24 - 8 * i));
            k.remote.b[i] = static_cast<uint8_t>(remote.v >> (24 - 8 * i));
        }
        return k;
    }
    static encap_key v6(uint8_t proto, const ip6_addr& local, const ip6_addr& remote, uint32_t id = 0,
                        uint16_t port = 0) noexcept {
        encap_key k;
        k.family = 6;
        k.proto = proto;
        k.port = port;
        k.id = id;
        k.local = local;
        k.remote = remote;
        return k;
    }
    /// The key of a received tunnel packet whose outer IPv4 (family 4) or
    /// IPv6 header is at the front of `outer`: local is its destination,
    /// remote its source.
    static encap_key received(const uint8_t* outer, uint8_t family, uint8_t proto, uint32_t id = 0,
                              uint16_t port = 0) noexcept {
        if (family == 4) {
            const auto* h = reinterpret_cast<const ip4_hdr*>(outer);
            return v4(proto, ip4_addr(h->dst.get()), ip4_addr(h->src.get()), id, port);
        }
        const auto* h = reinterpret_cast<const ip6_hdr*>(outer);
        return v6(proto, h->dst, h->src, id, port);
    }
    bool operator==(const encap_key& o) const noexcept { return std::memcmp(this, &o, sizeof o) == 0; }
};
static_assert(sizeof(encap_key) == 40 && alignof(encap_key) == 8,
              "encap_key is hashed and compared as 40 packed bytes, eight at a time");

/// What a lookup finds: the interface that decapsulates for the tunnel, and
/// a module's own 40 bits (immutable once published). ifindex 0: no tunnel.
struct encap_hit {
    ifindex_t ifindex = 0;
    uint64_t data = 0;
    explicit operator bool() const noexcept { return ifindex != 0; }
};

/// A tunnel's outer endpoints (`ifconfig IF tunnel SRC DST`): both of one family.
struct tunnel_endpoints {
    uint8_t family = 4;  // 4 or 6
    ip4_addr src4, dst4;
    ip6_addr src6{}, dst6{};
    /// Parses two addresses of one family; nullopt otherwise.
    static std::optional<tunnel_endpoints> parse(std::string_view src, std::string_view dst);
    std::string src_str() const;
    std::string dst_str() const;
    /// Both unicast (not unspecified, multicast, broadcast or v4-mapped).
    bool unicast() const noexcept;
    /// The key of packets from DST to SRC with `proto`, `id` and `port`.
    encap_key key(uint8_t proto, uint32_t id = 0, uint16_t port = 0) const noexcept {
        return family == 4 ? encap_key::v4(proto, src4, dst4, id, port) : encap_key::v6(proto, src6, dst6, id, port);
    }
    bool operator==(const tunnel_endpoints& o) const noexcept {
        return family == o.family && (family == 4 ? src4 == o.src4 && dst4 == o.dst4 : src6 == o.src6 && dst6 == o.dst6);
    }
};

/// Room for an outer header of `n` bytes in front of `m`: in its headroom
/// when `reserve` bytes more (the link layer's headers) still fit there,
/// else in a segment from `mp` chained in front, so that tunnels nest to any
/// depth. Returns the packet's head (`m` or the new segment) with `n` bytes
/// to fill at its front, or null (nothing changed: the caller drops `m`).
inline mbuf* encap_push(mbuf* m, uint16_t n, uint16_t reserve, rte_mempool* mp) noexcept {
    if (rte_pktmbuf_headroom(m) >= uint32_t{n} + reserve) {
        rte_pktmbuf_prepend(m, n);
        return m;
    }
    if (m->nb_segs >= UINT16_MAX) return nullptr;
    mbuf* h = rte_pktmbuf_alloc(mp);
    if (!h) return nullptr;
    if (h->buf_len < uint32_t{n} + reserve) {
        rte_pktmbuf_free(h);
        return nullptr;
    }
    // The header at the end of the new buffer: all of it is headroom for
    // what goes in front later.
    h->data_off = static_cast<uint16_t>(h->buf_len - n);
    h->data_len = n;
    h->pkt_len = m->pkt_len + n;
    h->nb_segs = static_cast<uint16_t>(m->nb_segs + 1);
    h->next = m;
    h->port = m->port;
    h->hash = m->hash;
    h->ol_flags = m->ol_flags & RTE_MBUF_F_RX_RSS_HASH;
    meta(h) = meta(m);
    return h;
}

/// Writes the outer IPv4 (checksum included, DF clear) or IPv6 header of a
/// packet from `e.src` to `e.dst` at `o`: `payload` bytes follow it, of
/// protocol `proto`; `tclass` is the TOS / traffic class, `ttl` the TTL or
/// hop limit, `id` the IPv4 identification. Returns the header's length.
uint16_t encap_write_outer(uint8_t* o, const tunnel_endpoints& e, uint8_t proto, uint32_t payload, uint8_t tclass,
                           uint8_t ttl, uint16_t id) noexcept;

/// Fills the checksum of the outer UDP header at `udp_off` of a tunnel
/// packet whose outer IPv4 or IPv6 header is at the front; the datagram runs
/// to the end of the packet and may span segments (encap_push). IPv4 tunnels
/// may leave it zero (RFC 768; L2TPv3 and VXLAN do); IPv6 needs it.
void encap_udp_cksum(mbuf* m, uint8_t family, uint32_t udp_off) noexcept;

class encap_table {
public:
    /// Most keys one lookup_bulk() call takes (RTE_HASH_LOOKUP_BULK_MAX).
    static constexpr uint16_t bulk_max = 64;

    /// `max_entries`: the table's named limit (add refuses past it).
    /// Throws std::runtime_error when DPDK cannot create the hash.
    explicit encap_table(size_t max_entries);
    ~encap_table();
    encap_table(const encap_table&) = delete;
    encap_table& operator=(const encap_table&) = delete;

    /// Reader, inside a read section: the tunnel for `k` (false when none).
    encap_hit lookup(const encap_key& k) const noexcept;
    /// Reader: out[i] is the tunnel for keys[i], for n keys (any number;
    /// looked up bulk_max at a time).
    void lookup_bulk(const encap_key* keys, uint16_t n, encap_hit* out) const noexcept;

    /// Writer: errc::exist when another tunnel has the key, errc::nospc at
    /// the limit (or while removed keys wait out their grace period and the
    /// hash's slack is spent), errc::inval for ifindex 0 or past limits::ifnet_max, or data past 40 bits.
    status add(const encap_key& k, ifindex_t ifindex, uint64_t data = 0);
    /// Writer: unlinks the entry for `k` (its slot reused after a grace
    /// period); false when there is none.
    bool remove(const encap_key& k) noexcept;
    size_t size() const noexcept { return n_.load(std::memory_order_relaxed); }
    size_t max_entries() const noexcept { return max_; }

    struct shared;  // the hash and what its pending frees hold (encap.cpp)

private:
    rte_hash* h_;  // sh_->h, for the readers
    shared* sh_;
    // Written by the writer; readers load it (relaxed) only to choose how
    // to look up: a table this small stays in the caches, where single
    // lookups cost less than the bulk lookup's prefetch stages.
    std::atomic<size_t> n_{0};
    static constexpr size_t small_table = 64;
    size_t max_;
};

}  // namespace mpnet
