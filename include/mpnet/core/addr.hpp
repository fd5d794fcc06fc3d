// SPDX-License-Identifier: BSD-2-Clause
// Address and prefix value types: Ethernet MAC, IPv4, IPv6, IPv4 prefix.
//
// Locking notes: value types, no shared state. ip4_addr is kept in host byte
// order (compare and mask like integers); wire headers convert through be32.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace mpnet {

struct ether_addr {
    std::array<uint8_t, 6> b;  // no initializer: trivial, so it packs in wire headers

    static constexpr ether_addr broadcast() noexcept { return {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}; }
    constexpr bool is_zero() const noexcept { return (b[0] | b[1] | b[2] | b[3] | b[4] | b[5]) == 0; }
    constexpr bool is_broadcast() const noexcept { return (b[0] & b[1] & b[2] & b[3] & b[4] & b[5]) == 0xff; }
    /// Group bit set: multicast or broadcast.
    constexpr bool is_group() const noexcept { return (b[0] & 1) != 0; }
    /// 48 bits packed into the low bits of a u64, b[0] most significant.
    constexpr uint64_t to_u64() const noexcept {
        uint64_t v = 0;
        for (auto x : b) v = (v << 8) | x;
        return v;
    }
    static constexpr ether_addr from_u64(uint64_t v) noexcept {
        ether_addr a;
        for (int i = 5; i >= 0; --i) {
            a.b[i] = static_cast<uint8_t>(v);
            v >>= 8;
        }
        return a;
    }
    /// Parses "b2:a0:20:00:00:10". nullopt on any malformed input.
    static std::optional<ether_addr> parse(std::string_view s) noexcept;
    std::string str() const;
    friend constexpr bool operator==(const ether_addr&, const ether_addr&) = default;
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
    std::array<uint8_t, 16> b{};
    static std::optional<ip6_addr> parse(std::string_view s) noexcept;
    std::string str() const;
    friend constexpr auto operator<=>(const ip6_addr&, const ip6_addr&) = default;
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
