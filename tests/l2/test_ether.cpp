// SPDX-License-Identifier: BSD-2-Clause
// Ethernet classification and framing.
#include <gtest/gtest.h>

#include <cstring>

#include "mpnet/l2/ether.hpp"
#include "mpnet/netif/ifnet.hpp"

namespace mpnet {
namespace {

struct ether_fixture : ::testing::Test {
    rte_mempool* mp = nullptr;
    const ether_addr own = *ether_addr::parse("02:6d:70:00:00:01");
    const ether_addr other = *ether_addr::parse("02:6d:70:00:00:02");
    void SetUp() override {
        static int seq = 0;
        mp = *pktpool_create("eth" + std::to_string(seq++), 63);
    }
    void TearDown() override {
        EXPECT_EQ(pktpool_avail(mp), 63u);
        pktpool_free(mp);
    }
    mbuf* frame(const ether_addr& dst, const ether_addr& src, uint16_t type, uint16_t payload = 46) {
        mbuf* m = pkt_alloc(mp, payload);
        EXPECT_TRUE(ether_encap(m, dst, src, type));
        return m;
    }
};

TEST_F(ether_fixture, DemuxesByEthertypeAndStrips) {
    bool group;
    drop_reason why;
    mbuf* m = frame(own, other, ethertype_ip4);
    EXPECT_EQ(ether_classify(m, own, iff::up, &group, &why), ether_next::ip4);
    EXPECT_FALSE(group);
    EXPECT_EQ(pkt_len(m), 46u);
    pkt_free(m);
    m = frame(ether_addr::broadcast(), other, ethertype_arp);
    EXPECT_EQ(ether_classify(m, own, iff::up, &group, &why), ether_next::arp);
    EXPECT_TRUE(group);
    pkt_free(m);
}

TEST_F(ether_fixture, DropsWithNamedReasons) {
    bool group;
    drop_reason why;
    mbuf* m = frame(other, other, ethertype_ip4);
    EXPECT_EQ(ether_classify(m, own, iff::up, &group, &why), ether_next::drop);
    EXPECT_EQ(why, drop_reason::ether_not_for_us);
    // Promiscuous accepts it.
    EXPECT_EQ(ether_classify(m, own, iff::up | iff::promisc, &group, &why), ether_next::ip4);
    pkt_free(m);
    m = frame(own, own, ethertype_ip4);
    EXPECT_EQ(ether_classify(m, own, iff::up, &group, &why), ether_next::drop);
    EXPECT_EQ(why, drop_reason::ether_own_src);
    pkt_free(m);
    m = frame(own, other, 0x1234);
    EXPECT_EQ(ether_classify(m, own, iff::up, &group, &why), ether_next::drop);
    EXPECT_EQ(why, drop_reason::ether_unknown_type);
    EXPECT_EQ(pkt_len(m), 60u);  // unchanged on drop
    pkt_free(m);
    m = pkt_alloc(mp, 13);
    EXPECT_EQ(ether_classify(m, own, iff::up, &group, &why), ether_next::drop);
    EXPECT_EQ(why, drop_reason::ether_too_short);
    pkt_free(m);
}

}  // namespace
}  // namespace mpnet
