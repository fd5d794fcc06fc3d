// SPDX-License-Identifier: BSD-2-Clause
// Parsing and formatting of address types. Parsers are strict: they accept only
// the canonical forms and never read past the view.
#include "mpnet/core/addr.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <rte_random.h>

#include <charconv>

namespace mpnet {

ether_addr ether_addr::random_local() noexcept {
    ether_addr a = from_u64(rte_rand() & 0xffffffffffffULL);
    a.b[0] = static_cast<uint8_t>((a.b[0] & 0xfc) | 0x02);  // unicast, locally administered
    return a;
}

namespace {

int hexval(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::optional<ether_addr> ether_addr::parse(std::string_view s) noexcept {
    // Accepts "x:x:x:x:x:x" with one or two hex digits per octet.
    ether_addr a;
    size_t pos = 0;
    for (int i = 0; i < 6; ++i) {
        int v = 0, digits = 0;
        while (pos < s.size() && s[pos] != ':') {
            int h = hexval(s[pos]);
            if (h < 0 || ++digits > 2) return std::nullopt;
            v = v * 16 + h;
            ++pos;
        }
        if (digits == 0) return std::nullopt;
        a.b[i] = static_cast<uint8_t>(v);
        if (i < 5) {
            if (pos >= s.size() || s[pos] != ':') return std::nullopt;
            ++pos;
        }
    }
    if (pos != s.size()) return std::nullopt;
    return a;
}

std::string ether_addr::str() const {
    return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2], b[3], b[4], b[5]);
}

std::optional<ip4_addr> ip4_addr::parse(std::string_view s) noexcept {
    uint32_t v = 0;
    size_t pos = 0;
    for (int i = 0; i < 4; ++i) {
        if (pos >= s.size() || s[pos] < '0' || s[pos] > '9') return std::nullopt;
        unsigned octet = 0;
        size_t start = pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            if (pos - start >= 3) return std::nullopt;
            octet = octet * 10 + unsigned(s[pos] - '0');
            ++pos;
        }
        if (octet > 255) return std::nullopt;
        v = (v << 8) | octet;
        if (i < 3) {
            if (pos >= s.size() || s[pos] != '.') return std::nullopt;
            ++pos;
        }
    }
    if (pos != s.size()) return std::nullopt;
    return ip4_addr(v);
}

std::string ip4_addr::str() const {
    return fmt::format("{}.{}.{}.{}", v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
}

std::optional<ip6_addr> ip6_addr::parse(std::string_view s) noexcept {
    if (s.size() >= INET6_ADDRSTRLEN) return std::nullopt;
    char buf[INET6_ADDRSTRLEN];
    s.copy(buf, s.size());
    buf[s.size()] = '\0';
    ip6_addr a{};
    if (inet_pton(AF_INET6, buf, a.b.data()) != 1) return std::nullopt;
    return a;
}

std::string ip6_addr::str() const {
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, b.data(), buf, sizeof buf);
    return buf;
}

std::optional<prefix4> prefix4::parse(std::string_view s, bool allow_host_bits) noexcept {
    auto slash = s.find('/');
    auto a = ip4_addr::parse(s.substr(0, slash));
    if (!a) return std::nullopt;
    unsigned len = 32;
    if (slash != std::string_view::npos) {
        auto tail = s.substr(slash + 1);
        if (tail.empty() || tail.size() > 2) return std::nullopt;
        auto [p, ec] = std::from_chars(tail.data(), tail.data() + tail.size(), len);
        if (ec != std::errc() || p != tail.data() + tail.size() || len > 32) return std::nullopt;
    }
    if (!allow_host_bits && (a->v & ~ip4_mask(len)) != 0) return std::nullopt;
    return prefix4::of(*a, len);
}

std::optional<prefix6> prefix6::parse(std::string_view s, bool allow_host_bits) noexcept {
    auto slash = s.find('/');
    auto a = ip6_addr::parse(s.substr(0, slash));
    if (!a) return std::nullopt;
    unsigned len = 128;
    if (slash != std::string_view::npos) {
        auto tail = s.substr(slash + 1);
        if (tail.empty() || tail.size() > 3) return std::nullopt;
        auto [p, ec] = std::from_chars(tail.data(), tail.data() + tail.size(), len);
        if (ec != std::errc() || p != tail.data() + tail.size() || len > 128) return std::nullopt;
    }
    prefix6 p = prefix6::of(*a, len);
    if (!allow_host_bits && p.addr != *a) return std::nullopt;
    return p;
}

std::string prefix6::str() const { return fmt::format("{}/{}", addr.str(), len); }

std::string prefix4::str() const { return fmt::format("{}/{}", addr.str(), len); }

}  // namespace mpnet
