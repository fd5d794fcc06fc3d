// SPDX-License-Identifier: BSD-2-Clause
// Internet checksum and RFC 1624 incremental update, against a plain reference.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "mpnet/core/byteorder.hpp"
#include "mpnet/core/checksum.hpp"

namespace mpnet {
namespace {

uint16_t reference_cksum(const uint8_t* p, size_t n) {
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < n; i += 2) s += uint32_t(p[i]) << 8 | p[i + 1];
    if (n & 1) s += uint32_t(p[n - 1]) << 8;
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return hton16(static_cast<uint16_t>(~s));
}

TEST(checksum, MatchesReference) {
    std::mt19937 rng(1);
    for (size_t n : {0u, 1u, 2u, 3u, 20u, 21u, 60u, 1500u}) {
        std::vector<uint8_t> b(n);
        for (auto& x : b) x = static_cast<uint8_t>(rng());
        EXPECT_EQ(in_cksum(b.data(), n), reference_cksum(b.data(), n)) << n;
    }
}

TEST(checksum, WordsMatchesReference) {
    // The inline 32-bit-word sum against the byte reference, including
    // all-ones data (the carries out of each fold) and a valid header's 0xffff.
    std::mt19937 rng(3);
    for (unsigned words = 0; words <= 15; ++words)
        for (int fill = 0; fill < 3; ++fill) {
            std::vector<uint8_t> b(4 * words);
            for (auto& x : b) x = fill == 0 ? uint8_t(rng()) : fill == 1 ? 0xff : uint8_t(0xff - (rng() & 1));
            EXPECT_EQ(uint16_t(~cksum_raw_words(b.data(), words)), reference_cksum(b.data(), b.size()))
                << words << " words, fill " << fill;
            EXPECT_EQ(cksum_raw_words(b.data(), words), cksum_raw(b.data(), b.size()));
        }
    const uint8_t h[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                           0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
    EXPECT_EQ(cksum_raw_words(h, 5), 0xffff);
}

TEST(checksum, KnownIPv4Header) {
    // A classic example header with checksum 0xb861.
    const uint8_t h[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                           0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
    EXPECT_EQ(ntoh16(in_cksum(h, 20)), 0xb861);
}

TEST(checksum, IncrementalUpdateEqualsRecompute) {
    std::mt19937 rng(2);
    for (int iter = 0; iter < 2000; ++iter) {
        uint8_t b[20];
        for (auto& x : b) x = static_cast<uint8_t>(rng());
        b[10] = b[11] = 0;
        uint16_t ck = in_cksum(b, 20);
        std::memcpy(b + 10, &ck, 2);
        size_t w = (rng() % 10) * 2;
        if (w == 10) continue;
        uint16_t old_w, new_w = static_cast<uint16_t>(rng());
        std::memcpy(&old_w, b + w, 2);
        std::memcpy(b + w, &new_w, 2);
        uint16_t inc = cksum_update16(ck, old_w, new_w);
        b[10] = b[11] = 0;
        uint16_t full = in_cksum(b, 20);
        // 0x0000 and 0xffff are the same one's-complement value.
        if (!((inc == 0 && full == 0xffff) || (inc == 0xffff && full == 0))) {
            EXPECT_EQ(inc, full);
        }
    }
}

}  // namespace
}  // namespace mpnet
