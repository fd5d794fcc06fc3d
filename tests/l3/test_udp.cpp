// SPDX-License-Identifier: BSD-2-Clause
// UDP header checks and checksums, against DPDK's own checksum verifiers.
// DPDK marks its checksum verifiers experimental in 22.11.
#define ALLOW_EXPERIMENTAL_API 1
#include <gtest/gtest.h>
#include <rte_ip.h>

#include <cstring>

#include "mpnet/l3/ip4.hpp"
#include "mpnet/l3/ip6.hpp"
#include "mpnet/l3/udp.hpp"

namespace mpnet {
namespace {

struct udp_fixture : ::testing::Test {
    rte_mempool* mp = nullptr;
    void SetUp() override {
        static int seq = 0;
        mp = *pktpool_create("udpt" + std::to_string(seq++), 63);
    }
    void TearDown() override {
        EXPECT_EQ(pktpool_avail(mp), 63u);
        pktpool_free(mp);
    }
    // A datagram of `payload` bytes from port 1000 to 2000, checksum filled.
    mbuf* datagram(uint8_t family, uint16_t payload) {
        const uint16_t len = static_cast<uint16_t>(sizeof(udp_hdr) + payload);
        mbuf* m = pkt_alloc(mp, len);
        auto* u = reinterpret_cast<udp_hdr*>(pkt_data(m));
        u->sport.set(1000);
        u->dport.set(2000);
        u->len.set(len);
        u->cksum.set(0);
        for (uint16_t i = 0; i < payload; ++i) pkt_data(m)[sizeof(udp_hdr) + i] = static_cast<uint8_t>(i * 7 + 3);
        if (family == 4)
            EXPECT_TRUE(ip4_encap(m, *ip4_addr::parse("198.18.0.1"), *ip4_addr::parse("198.18.0.2"), ipproto_udp, 64, 1));
        else
            EXPECT_TRUE(ip6_encap(m, *ip6_addr::parse("2001:db8::1"), *ip6_addr::parse("2001:db8::2"), ipproto_udp, 64));
        const uint32_t off = family == 4 ? sizeof(ip4_hdr) : sizeof(ip6_hdr);
        udp_fill_cksum(m, family, off, len);
        return m;
    }
};

TEST_F(udp_fixture, FilledChecksumsAreWhatDpdkVerifies) {
    for (uint16_t payload : {0, 1, 2, 17, 100, 1000}) {
        mbuf* m = datagram(4, payload);
        auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(pkt_data(m));
        EXPECT_EQ(rte_ipv4_udptcp_cksum_verify(ip, pkt_data(m) + sizeof(ip4_hdr)), 0) << payload;
        drop_reason why{};
        EXPECT_NE(udp_validate(m, 4, sizeof(ip4_hdr), &why), nullptr) << payload;
        pkt_free(m);
        m = datagram(6, payload);
        auto* ip6 = reinterpret_cast<const rte_ipv6_hdr*>(pkt_data(m));
        EXPECT_EQ(rte_ipv6_udptcp_cksum_verify(ip6, pkt_data(m) + sizeof(ip6_hdr)), 0) << payload;
        EXPECT_NE(udp_validate(m, 6, sizeof(ip6_hdr), &why), nullptr) << payload;
        pkt_free(m);
    }
}

TEST_F(udp_fixture, DefectsAreNamedDrops) {
    drop_reason why{};
    // A flipped payload bit.
    mbuf* m = datagram(4, 20);
    pkt_data(m)[sizeof(ip4_hdr) + sizeof(udp_hdr) + 3] ^= 1;
    EXPECT_EQ(udp_validate(m, 4, sizeof(ip4_hdr), &why), nullptr);
    EXPECT_EQ(why, drop_reason::udp_bad_cksum);
    pkt_free(m);
    // IPv4 without a checksum passes; IPv6 without one does not.
    m = datagram(4, 20);
    std::memset(pkt_data(m) + sizeof(ip4_hdr) + 6, 0, 2);
    EXPECT_NE(udp_validate(m, 4, sizeof(ip4_hdr), &why), nullptr);
    pkt_free(m);
    m = datagram(6, 20);
    std::memset(pkt_data(m) + sizeof(ip6_hdr) + 6, 0, 2);
    EXPECT_EQ(udp_validate(m, 6, sizeof(ip6_hdr), &why), nullptr);
    EXPECT_EQ(why, drop_reason::udp_bad_cksum);
    pkt_free(m);
    // A length beyond the IP payload, and one shorter than the header.
    for (uint16_t bad : {uint16_t(29), uint16_t(7)}) {
        m = datagram(4, 20);
        reinterpret_cast<udp_hdr*>(pkt_data(m) + sizeof(ip4_hdr))->len.set(bad);
        EXPECT_EQ(udp_validate(m, 4, sizeof(ip4_hdr), &why), nullptr);
        EXPECT_EQ(why, drop_reason::udp_bad_len);
        pkt_free(m);
    }
    // No room for the header.
    m = datagram(4, 0);
    EXPECT_EQ(udp_validate(m, 4, sizeof(ip4_hdr) + 4, &why), nullptr);
    EXPECT_EQ(why, drop_reason::udp_too_short);
    pkt_free(m);
}

}  // namespace
}  // namespace mpnet
