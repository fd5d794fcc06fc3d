// SPDX-License-Identifier: BSD-2-Clause
// Network byte order helpers: explicit big-endian field types for wire headers.
//
// Locking notes: value types, no shared state.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

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

/// A 16-bit big-endian field. Storage is the wire representation in bytes
/// (alignment 1, so it sits anywhere in a packed header without undefined
/// behaviour); get()/set() convert. A distinct type stops host-order values
/// reaching the wire.
struct be16 {
    uint8_t b[2];
    uint16_t get() const noexcept { return static_cast<uint16_t>((uint16_t(b[0]) << 8) | b[1]); }
    void set(uint16_t v) noexcept {
        b[0] = static_cast<uint8_t>(v >> 8);
        b[1] = static_cast<uint8_t>(v);
    }
    static be16 of(uint16_t v) noexcept {
        be16 x;
        x.set(v);
        return x;
    }
    friend bool operator==(be16 x, be16 y) noexcept { return x.get() == y.get(); }
};

struct be32 {
    uint8_t b[4];
    uint32_t get() const noexcept {
        uint32_t v;
        std::memcpy(&v, b, 4);
        return ntoh32(v);
    }
    void set(uint32_t v) noexcept {
        v = hton32(v);
        std::memcpy(b, &v, 4);
    }
    static be32 of(uint32_t v) noexcept {
        be32 x;
        x.set(v);
        return x;
    }
    friend bool operator==(be32 x, be32 y) noexcept { return x.get() == y.get(); }
};

static_assert(sizeof(be16) == 2 && sizeof(be32) == 4 && alignof(be16) == 1 && alignof(be32) == 1);

}  // namespace mpnet
