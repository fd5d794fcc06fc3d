// SPDX-License-Identifier: BSD-2-Clause
// Packet helpers over rte_mbuf: header access bounds, trim, batches, rings.
#include <gtest/gtest.h>

#include "mpnet/core/packet.hpp"
#include "mpnet/core/ring.hpp"
#include "mpnet/core/wire.hpp"

namespace mpnet {
namespace {

struct pool_fixture : ::testing::Test {
    rte_mempool* mp = nullptr;
    void SetUp() override {
        static int seq = 0;
        mp = *pktpool_create("tpool" + std::to_string(seq++), 255);
    }
    void TearDown() override {
        EXPECT_EQ(pktpool_avail(mp), 255u);  // every test returns its buffers
        pktpool_free(mp);
    }
};

TEST_F(pool_fixture, HeaderAccessIsBoundsChecked) {
    mbuf* m = pkt_alloc(mp, 20);
    ASSERT_NE(m, nullptr);
    EXPECT_NE(pkt_header<ip4_hdr>(m), nullptr);
    EXPECT_EQ(pkt_header<ip4_hdr>(m, 1), nullptr);
    EXPECT_NE(pkt_header<ether_hdr>(m, 6), nullptr);
    EXPECT_EQ(pkt_header<ether_hdr>(m, 7), nullptr);
    pkt_free(m);
}

TEST_F(pool_fixture, TrimAndPrepend) {
    mbuf* m = pkt_alloc(mp, 60);
    EXPECT_TRUE(pkt_trim_to(m, 42));
    EXPECT_EQ(pkt_len(m), 42u);
    EXPECT_FALSE(pkt_trim_to(m, 43));
    EXPECT_NE(pkt_prepend(m, 14), nullptr);
    EXPECT_EQ(pkt_len(m), 56u);
    EXPECT_TRUE(pkt_adj(m, 14));
    EXPECT_FALSE(pkt_adj(m, 100));
    EXPECT_EQ(pkt_len(m), 42u);
    pkt_free(m);
}

TEST_F(pool_fixture, MetadataSurvivesHandOver) {
    pkt_ring r;
    ASSERT_TRUE(r.init("t", 8));
    EXPECT_EQ(r.capacity(), 8u);
    mbuf* m = pkt_alloc(mp, 10);
    meta(m) = pkt_meta{7, 2, 0xc6120001};
    ASSERT_TRUE(r.enqueue(m));
    mbuf* out[4];
    ASSERT_EQ(r.dequeue(out, 4), 1u);
    EXPECT_EQ(meta(out[0]).ifindex, 7);
    EXPECT_EQ(meta(out[0]).aux, 0xc6120001u);
    pkt_free(out[0]);
}

TEST_F(pool_fixture, FullRingRefuses) {
    pkt_ring r;
    ASSERT_TRUE(r.init("t", 4));
    mbuf* ms[5];
    for (auto& m : ms) m = pkt_alloc(mp, 1);
    EXPECT_EQ(r.enqueue(ms, 5), 4u);
    pkt_free(ms[4]);
    mbuf* out[8];
    EXPECT_EQ(r.dequeue(out, 8), 4u);
    for (int i = 0; i < 4; ++i) pkt_free(out[i]);
}

TEST_F(pool_fixture, EmptyPoolGivesNull) {
    std::vector<mbuf*> all;
    while (mbuf* m = pkt_alloc(mp, 1)) all.push_back(m);
    EXPECT_EQ(all.size(), 255u);
    EXPECT_EQ(pkt_alloc(mp, 1), nullptr);
    pkt_batch b;
    for (size_t i = 0; i < pkt_batch::capacity; ++i) b.push(all[i]);
    EXPECT_TRUE(b.full());
    b.free_all();
    EXPECT_TRUE(b.empty());
    for (size_t i = pkt_batch::capacity; i < all.size(); ++i) pkt_free(all[i]);
}

}  // namespace
}  // namespace mpnet
