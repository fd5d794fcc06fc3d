// SPDX-License-Identifier: BSD-2-Clause
// Internet checksum (RFC 1071) and incremental update (RFC 1624).
//
// Locking notes: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace mpnet {

/// One's-complement sum of `len` bytes folded to 16 bits, not inverted; the
/// result is in the same (network) byte layout as the data. Backed by DPDK's
/// rte_raw_cksum.
uint16_t cksum_raw(const void* data, size_t len) noexcept;

/// cksum_raw of `words` 32-bit words, inline (the IPv4 header on every
/// forwarded packet: no call, 32-bit adds into a 64-bit sum).
inline uint16_t cksum_raw_words(const void* data, unsigned words) noexcept {
    const auto* p = static_cast<const unsigned char*>(data);
    uint64_t s = 0;
    for (unsigned i = 0; i < words; ++i) {
        uint32_t w;
        std::memcpy(&w, p + 4 * i, 4);
        s += w;
    }
    s = (s & 0xffffffffu) + (s >> 32);
    s = (s & 0xffffffffu) + (s >> 32);
    s = (s & 0xffffu) + (s >> 16);
    s = (s & 0xffffu) + (s >> 16);
    return static_cast<uint16_t>(s);
}

/// The checksum field value for `len` bytes whose checksum field is zero.
inline uint16_t in_cksum(const void* data, size_t len) noexcept { return static_cast<uint16_t>(~cksum_raw(data, len)); }

/// RFC 1624 eqn. 3: the new checksum after a 16-bit word changed from `old_w`
/// to `new_w` (all values in the checksum's byte layout).
constexpr uint16_t cksum_update16(uint16_t cksum, uint16_t old_w, uint16_t new_w) noexcept {
    uint32_t s = static_cast<uint16_t>(~cksum) + static_cast<uint16_t>(~old_w) + uint32_t(new_w);
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    return static_cast<uint16_t>(~s);
}

}  // namespace mpnet
