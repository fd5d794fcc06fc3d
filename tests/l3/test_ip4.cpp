// SPDX-License-Identifier: BSD-2-Clause
// IPv4 header construction and validation.
#include <gtest/gtest.h>

#include "mpnet/core/checksum.hpp"
#include "mpnet/l3/ip4.hpp"

namespace mpnet {
namespace {

struct ip4_fixture : ::testing::Test {
    rte_mempool* mp = nullptr;
    void SetUp() override {
        static int seq = 0;
        mp = *pktpool_create("ip4t" + std::to_string(seq++), 63);
    }
    void TearDown() override {
        EXPECT_EQ(pktpool_avail(mp), 63u);
        pktpool_free(mp);
    }
    mbuf* packet(uint16_t payload = 8) {
        mbuf* m = pkt_alloc(mp, payload);
        EXPECT_TRUE(ip4_encap(m, *ip4_addr::parse("198.18.0.1"), *ip4_addr::parse("198.18.0.2"), ipproto_icmp, 64, 1));
        return m;
    }
    static void refresh(ip4_hdr* h) {
        h->cksum = 0;
        h->cksum = in_cksum(h, h->hlen_bytes());
    }
};

TEST_F(ip4_fixture, ValidPacketPassesAndPaddingIsTrimmed) {
    mbuf* m = packet();
    pkt_append(m, 18);  // Ethernet minimum-frame padding
    drop_reason why;
    ip4_hdr* h = ip4_validate(m, &why);
    ASSERT_NE(h, nullptr);
    EXPECT_EQ(pkt_len(m), 28u);
    EXPECT_EQ(ip4_addr(h->dst.get()), *ip4_addr::parse("198.18.0.2"));
    EXPECT_FALSE(ip4_is_fragment(*h));
    pkt_free(m);
}

TEST_F(ip4_fixture, TtlDecrementKeepsTheChecksumRight) {
    // Every TTL a router decrements, under protocols that put each byte
    // value beside it, and the 0xffff/0x0000 checksum edges: the incremental
    // update must equal a full recomputation.
    mbuf* m = packet();
    ip4_hdr* h = pkt_header<ip4_hdr>(m);
    for (unsigned ttl = 2; ttl <= 255; ++ttl)
        for (unsigned proto : {0u, 1u, 6u, 17u, 0x80u, 0xffu}) {
            h->ttl = uint8_t(ttl);
            h->proto = uint8_t(proto);
            refresh(h);
            ip4_dec_ttl(h);
            ASSERT_EQ(h->ttl, ttl - 1);
            ASSERT_EQ(h->proto, proto);
            ASSERT_EQ(in_cksum(h, h->hlen_bytes()), 0) << "ttl " << ttl << " proto " << proto;
        }
    pkt_free(m);
}

TEST_F(ip4_fixture, EachDefectHasItsReason) {
    drop_reason why;
    struct {
        void (*mutate)(ip4_hdr*);
        drop_reason want;
        bool fix_cksum;
    } cases[] = {
        {[](ip4_hdr* h) { h->ver_ihl = 0x55; }, drop_reason::ip4_bad_version, true},
        {[](ip4_hdr* h) { h->ver_ihl = 0x44; }, drop_reason::ip4_bad_hlen, false},
        {[](ip4_hdr* h) { h->ver_ihl = 0x4f; }, drop_reason::ip4_bad_hlen, false},
        {[](ip4_hdr* h) { h->total_len.set(19); }, drop_reason::ip4_bad_len, true},
        {[](ip4_hdr* h) { h->total_len.set(29); }, drop_reason::ip4_bad_len, true},
        {[](ip4_hdr* h) { h->cksum ^= 1; }, drop_reason::ip4_bad_cksum, false},
        {[](ip4_hdr* h) { h->ttl = 0; }, drop_reason::ip4_ttl_zero, true},
        {[](ip4_hdr* h) { h->src.set(0xe0000001); }, drop_reason::ip4_bad_src, true},
        {[](ip4_hdr* h) { h->src.set(0xffffffff); }, drop_reason::ip4_bad_src, true},
        {[](ip4_hdr* h) { h->src.set(0x7f000001); }, drop_reason::ip4_bad_src, true},
    };
    for (auto& c : cases) {
        mbuf* m = packet();
        auto* h = pkt_header<ip4_hdr>(m);
        c.mutate(h);
        if (c.fix_cksum) refresh(h);
        EXPECT_EQ(ip4_validate(m, &why), nullptr);
        EXPECT_EQ(why, c.want) << drop_reason_name(c.want);
        pkt_free(m);
    }
    mbuf* m = pkt_alloc(mp, 19);
    EXPECT_EQ(ip4_validate(m, &why), nullptr);
    EXPECT_EQ(why, drop_reason::ip4_too_short);
    pkt_free(m);
}

TEST_F(ip4_fixture, FragmentsAreRecognized) {
    mbuf* m = packet();
    auto* h = pkt_header<ip4_hdr>(m);
    h->frag.set(ip4_frag_df);
    EXPECT_FALSE(ip4_is_fragment(*h));
    h->frag.set(ip4_frag_mf);
    EXPECT_TRUE(ip4_is_fragment(*h));
    h->frag.set(3);
    EXPECT_TRUE(ip4_is_fragment(*h));
    pkt_free(m);
}

}  // namespace
}  // namespace mpnet
