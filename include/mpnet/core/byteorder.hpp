// SPDX-License-Identifier: BSD-2-Clause
// Network byte order helpers: explicit big-endian field types for wire headers.
//
// Locking notes: value types, no shared state.
#pragma once

#include <bit>
#include <cstdint>

namespace mpnet {

constexpr uint16_t bswap16(uint16_t v) noexcept { return static_cast<uint16_t>((v << 8) | (v >> 8)); }
constexpr uint32_t bswap32(uint32_t v) noexcept { return __builtin_bswap32(v); }

constexpr uint16_t hton16(uint16_t v) noexcept {
    if constexpr (std::endian::native == std::endian::little) return bswap16(v);
    return v;
}
constexpr uint32_t hton32(uint32_t v) noexcept {
    if constexpr (std::endian::native == std::endian::little) return bswap32(v);
    return v;
}
constexpr uint16_t ntoh16(uint16_t v) noexcept { return hton16(v); }
constexpr uint32_t ntoh32(uint32_t v) noexcept { return hton32(v); }

/// A 16-bit big-endian field. Storage is the wire representation; get()/set()
/// convert. Using a distinct type stops host-order values reaching the wire.
struct be16 {
    uint16_t raw;
    constexpr uint16_t get() const noexcept { return ntoh16(raw); }
    constexpr void set(uint16_t v) noexcept { raw = hton16(v); }
    static constexpr be16 of(uint16_t v) noexcept { return be16{hton16(v)}; }
    friend constexpr bool operator==(be16 a, be16 b) noexcept { return a.raw == b.raw; }
};

struct be32 {
    uint32_t raw;
    constexpr uint32_t get() const noexcept { return ntoh32(raw); }
    constexpr void set(uint32_t v) noexcept { raw = hton32(v); }
    static constexpr be32 of(uint32_t v) noexcept { return be32{hton32(v)}; }
    friend constexpr bool operator==(be32 a, be32 b) noexcept { return a.raw == b.raw; }
};

static_assert(sizeof(be16) == 2 && sizeof(be32) == 4);

}  // namespace mpnet
