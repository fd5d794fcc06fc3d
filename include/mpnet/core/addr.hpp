// SPDX-License-Identifier: BSD-2-Clause
// Address and prefix value types: Ethernet MAC, IPv4, IPv6, IPv4 prefix.
//
// Locking notes: value types, no shared state. ip4_addr is kept in host byte
// order (compare and mask like integers); wire headers convert through be32.
#pragma once

#include <array>
#include <bit>
#include <compare>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace mpnet {

// ether_addr's run-time pack/unpack (one copy and a byte swap) assumes a
// little-endian host, as every DPDK target mpnet builds for is.
static_assert(std::endian::native == std::endian::little, "ether_addr::to_u64/from_u64 assume little-endian");

struct ether_addr {
    std::array<uint8_t, 6> b;  // no initializer: trivial, so it packs in wire headers

    static constexpr ether_addr broadcast() noexcept { return {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}; }
    constexpr bool is_zero() const noexcept { return (b[0] | b[1] | b[2] | b[3] | b[4] | b[5]) == 0; }
    constexpr bool is_broadcast() const noexcept { return (b[0] & b[1] & b[2] & b[3] & b[4] & b[5]) == 0xff; }
    /// Group bit set: multicast or broadcast.
    constexpr bool is_group() const noexcept { return (b[0] & 1) != 0; }
    /// 48 bits packed into the low bits of a u64, b[0] most significant.
    /// At run time one 6-byte copy and a byte swap: the byte loop it replaces
    /// stored the MAC a byte at a time and read it back wider, a store-
    /// forwarding stall per forwarded packet (the nexthop's neighbor word).
    constexpr uint64_t to_u64() const noexcept {
        if (std::is_constant_evaluated()) {
            uint64_t v = 0;
            for (auto x : b) v = (v << 8) | x;
            return v;
        }
        uint64_t v = 0;
        std::memcpy(&v, b.data(), 6);  // little-endian: b[0] in the lowest byte
        return __builtin_bswap64(v) >> 16;
    }
    static constexpr ether_addr from_u64(uint64_t v) noexcept {
        ether_addr a;
        if (std::is_constant_evaluated()) {
            for (int i = 5; i >= 0; --i) {
                a.b[i] = static_cast<uint8_t>(v);
                v >>= 8;
            }
            return a;
        }
        const uint64_t w = __builtin_bswap64(v << 16);  // b[0] in the lowest byte
        std::memcpy(a.b.data(), &w, 6);
        return a;
    }
    /// Parses "b2:a0:20:00:00:10". nullopt on any malformed input.
    static std::optional<ether_addr> parse(std::string_view s) noexcept;
    /// A random unicast, locally administered address (what Linux's bridges
    /// and NetBSD's vether(4) give themselves). EAL must be up (rte_rand).
    static ether_addr random_local() noexcept;
    std::string str() const;
    friend constexpr bool operator==(const ether_addr& x, const ether_addr& y) noexcept {
        if (std::is_constant_evaluated()) return x.b == y.b;
        uint32_t x4, y4;  // two loads a side, no memcmp call
        uint16_t x2, y2;
        std::memcpy(&x4, x.b.data(), 4);
        std::memcpy(&y4, y.b.data(), 4);
        std::memcpy(&x2, x.b.data() + 4, 2);
        std::memcpy(&y2, y.b.data() + 4, 2);
        return ((x4 ^ y4) | uint32_t(x2 ^ y2)) == 0;
    }
};

struct ip4_addr {
    uint32_t v = 0;  // host byte order

    constexpr ip4_addr() = default;
    constexpr explicit ip4_addr(uint32_t host) : v(host) {}
    static constexpr ip4_addr of(uint8_t a, uint8_t b, uint8_t c, uint8_t d) noexcept {
        return ip4_addr((uint32_t(a) << 24) | (uint32_t(b) << 16) | (uint32_t(c) << 8) | d);
    }
    static constexpr ip4_addr any() noexcept { return ip4_addr(0u); }
    static constexpr ip4_addr broadcast() noexcept { return ip4_addr(0xffffffffu); }
    constexpr bool is_any() const noexcept { return v == 0; }
    constexpr bool is_broadcast() const noexcept { return v == 0xffffffffu; }
    constexpr bool is_multicast() const noexcept { return (v >> 28) == 0xe; }
    constexpr bool is_loopback() const noexcept { return (v >> 24) == 127; }
    /// Parses dotted quad "198.18.0.1" (exactly four decimal octets).
    static std::optional<ip4_addr> parse(std::string_view s) noexcept;
    std::string str() const;
    friend constexpr auto operator<=>(const ip4_addr&, const ip4_addr&) =
        default;  // NOLINT(modernize-use-nullptr): clang-tidy 14 misreads defaulted <=>
};

struct ip6_addr {
    std::array<uint8_t, 16> b;  // no initializer: trivial, so it packs in wire headers; declare with {}

    static constexpr ip6_addr any() noexcept { return {}; }
    static constexpr ip6_addr loopback() noexcept {
        ip6_addr a{};
        a.b[15] = 1;
        return a;
    }
    /// ff02::1 (all nodes) and ff02::2 (all routers).
    static constexpr ip6_addr all_nodes() noexcept {
        ip6_addr a{};
        a.b[0] = 0xff;
        a.b[1] = 0x02;
        a.b[15] = 1;
        return a;
    }
    static constexpr ip6_addr all_routers() noexcept {
        ip6_addr a = all_nodes();
        a.b[15] = 2;
        return a;
    }
    /// fe80::/64 with the interface identifier made from a MAC (modified EUI-64, RFC 4291 2.5.1).
    static constexpr ip6_addr link_local(const ether_addr& mac) noexcept {
        ip6_addr a{};
        a.b[0] = 0xfe;
        a.b[1] = 0x80;
        a.set_eui64(mac);
        return a;
    }
    constexpr void set_eui64(const ether_addr& mac) noexcept {
        b[8] = mac.b[0] ^ 0x02;
        b[9] = mac.b[1];
        b[10] = mac.b[2];
        b[11] = 0xff;
        b[12] = 0xfe;
        b[13] = mac.b[3];
        b[14] = mac.b[4];
        b[15] = mac.b[5];
    }
    /// ff02::1:ffXX:XXXX, the solicited-node group of this address (RFC 4291 2.7.1).
    constexpr ip6_addr solicited_node() const noexcept {
        ip6_addr a{};
        a.b[0] = 0xff;
        a.b[1] = 0x02;
        a.b[11] = 0x01;
        a.b[12] = 0xff;
        a.b[13] = b[13];
        a.b[14] = b[14];
        a.b[15] = b[15];
        return a;
    }
    /// 33:33 and the group's low 32 bits (RFC 2464 7).
    constexpr ether_addr multicast_mac() const noexcept { return {{0x33, 0x33, b[12], b[13], b[14], b[15]}}; }
    constexpr bool is_any() const noexcept {
        for (auto x : b)
            if (x) return false;
        return true;
    }
    constexpr bool is_loopback() const noexcept {
        for (int i = 0; i < 15; ++i)
            if (b[i]) return false;
        return b[15] == 1;
    }
    constexpr bool is_multicast() const noexcept { return b[0] == 0xff; }
    /// fe80::/10 unicast.
    constexpr bool is_link_local() const noexcept { return b[0] == 0xfe && (b[1] & 0xc0) == 0x80; }
    /// Multicast with link-local (or interface-local) scope.
    constexpr bool is_mc_link_scope() const noexcept { return b[0] == 0xff && (b[1] & 0x0f) <= 2; }
    /// IPv4-mapped ::ffff:0:0/96 (never on the wire as a source or destination).
    constexpr bool is_v4mapped() const noexcept {
        for (int i = 0; i < 10; ++i)
            if (b[i]) return false;
        return b[10] == 0xff && b[11] == 0xff;
    }
    /// KAME-style embedded scope: a link-local address keyed with its interface
    /// index in bytes 2..5 (routing tables only; never on the wire). Those
    /// bytes are zero in fe80::/64 and in link-scope groups as they are used.
    constexpr ip6_addr with_scope(uint32_t ifindex) const noexcept {
        ip6_addr a = *this;
        if (a.is_link_local() || a.is_mc_link_scope()) {
            a.b[2] = uint8_t(ifindex >> 24);
            a.b[3] = uint8_t(ifindex >> 16);
            a.b[4] = uint8_t(ifindex >> 8);
            a.b[5] = uint8_t(ifindex);
        }
        return a;
    }
    constexpr uint32_t scope() const noexcept {
        return (is_link_local() || is_mc_link_scope())
                   ? uint32_t(b[2]) << 24 | uint32_t(b[3]) << 16 | uint32_t(b[4]) << 8 | b[5]
                   : 0;
    }
    constexpr ip6_addr without_scope() const noexcept {
        ip6_addr a = *this;
        if (a.is_link_local() || a.is_mc_link_scope()) a.b[2] = a.b[3] = a.b[4] = a.b[5] = 0;
        return a;
    }
    /// Parses RFC 4291 text ("2001:db8::1"); no zone.
    static std::optional<ip6_addr> parse(std::string_view s) noexcept;
    std::string str() const;
    friend constexpr auto operator<=>(const ip6_addr&, const ip6_addr&) = default;
};

struct prefix6 {
    ip6_addr addr{};    // host bits are zero
    uint8_t len = 0;  // 0..128

    static constexpr prefix6 of(const ip6_addr& a, unsigned len) noexcept {
        prefix6 p{};
        p.len = static_cast<uint8_t>(len);
        for (unsigned i = 0; i < 16; ++i) {
            const unsigned bits = len >= (i + 1) * 8 ? 8 : (len > i * 8 ? len - i * 8 : 0);
            p.addr.b[i] = static_cast<uint8_t>(a.b[i] & static_cast<uint8_t>(0xff00u >> bits));
        }
        return p;
    }
    constexpr bool contains(const ip6_addr& a) const noexcept { return of(a, len).addr == addr; }
    /// Parses "2001:db8::/32"; a bare address is a /128. Host bits must be
    /// zero unless allow_host_bits (then they are cleared).
    static std::optional<prefix6> parse(std::string_view s, bool allow_host_bits = false) noexcept;
    std::string str() const;
    friend constexpr auto operator<=>(const prefix6&, const prefix6&) = default;
};

constexpr uint32_t ip4_mask(unsigned len) noexcept { return len == 0 ? 0 : ~uint32_t(0) << (32 - len); }

struct prefix4 {
    ip4_addr addr;    // network address: host bits are zero
    uint8_t len = 0;  // 0..32

    /// Builds the prefix of `a`/`len`, clearing the host bits.
    static constexpr prefix4 of(ip4_addr a, unsigned len) noexcept {
        return prefix4{ip4_addr(a.v & ip4_mask(len)), static_cast<uint8_t>(len)};
    }
    constexpr bool contains(ip4_addr a) const noexcept { return (a.v & ip4_mask(len)) == addr.v; }
    constexpr ip4_addr broadcast() const noexcept { return ip4_addr(addr.v | ~ip4_mask(len)); }
    /// Parses "198.18.0.0/15"; a bare address is a /32. Host bits must be zero
    /// unless allow_host_bits (then they are cleared).
    static std::optional<prefix4> parse(std::string_view s, bool allow_host_bits = false) noexcept;
    std::string str() const;
    friend constexpr bool operator==(const prefix4&, const prefix4&) = default;
};

}  // namespace mpnet

template <>
struct std::hash<mpnet::ip4_addr> {
    size_t operator()(const mpnet::ip4_addr& a) const noexcept { return std::hash<uint32_t>{}(a.v); }
};
