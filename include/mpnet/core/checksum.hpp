// SPDX-License-Identifier: BSD-2-Clause
// Internet checksum (RFC 1071) and incremental update (RFC 1624).
//
// Locking notes: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mpnet {

/// One's-complement sum of `len` bytes folded to 16 bits, not inverted; the
/// result is in the same (network) byte layout as the data. Backed by DPDK's
/// rte_raw_cksum.
uint16_t cksum_raw(const void* data, size_t len) noexcept;

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
