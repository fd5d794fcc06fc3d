// SPDX-License-Identifier: BSD-2-Clause
// Software links: net_ring point-to-point pairs and the shared bus.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <ranges>
#include <string>

#include "mpnet/drivers/softlink.hpp"
#include "mpnet/l2/arp.hpp"

namespace mpnet {
namespace {

struct link_fixture : ::testing::Test {
    rte_mempool* mp = nullptr;
    void SetUp() override {
        static int seq = 0;
        mp = *pktpool_create("lnk" + std::to_string(seq++), 511);
    }
    void TearDown() override {
        EXPECT_EQ(pktpool_avail(mp), 511u);
        pktpool_free(mp);
    }
    mbuf* arp_frame(const ether_addr& src, uint32_t tpa) {
        return arp_build(mp, ether_addr::broadcast(), src,
                         arp_fields{arp_op_request, src, *ip4_addr::parse("198.18.0.1"), {}, ip4_addr(tpa)});
    }
};

TEST_F(link_fixture, RingLinkCarriesBothWaysOnEveryQueue) {
    auto l = drivers::ring_link("t", mp, mp, 2);
    ASSERT_TRUE(l.has_value());
    auto& [a, b] = *l;
    EXPECT_NE(a->mac(), b->mac());
    EXPECT_FALSE(a->mac().is_group());
    EXPECT_TRUE(a->link_up());
    for (uint16_t q = 0; q < 2; ++q) {
        mbuf* m[4];
        for (auto& x : m) x = arp_frame(a->mac(), 0xc6120000u + q);
        ASSERT_EQ(a->tx_burst(q, m, 4), 4);
        mbuf* got[8];
        ASSERT_EQ(b->rx_burst(q, got, 8), 4);
        for (auto* x : got | std::views::take(4)) pkt_free(x);
        mbuf* back = arp_frame(b->mac(), 1);
        ASSERT_EQ(b->tx_burst(q, &back, 1), 1);
        ASSERT_EQ(a->rx_burst(q, got, 8), 1);
        pkt_free(got[0]);
    }
    // Carrier can be forced down and up (ifconfig media none/auto).
    ASSERT_TRUE(a->set_carrier(false));
    EXPECT_FALSE(a->link_up());
    ASSERT_TRUE(a->set_carrier(true));
    EXPECT_TRUE(a->link_up());
    // Packets left on the wire are freed with it.
    mbuf* stray = arp_frame(a->mac(), 9);
    ASSERT_EQ(a->tx_burst(0, &stray, 1), 1);
}

TEST_F(link_fixture, BusDeliversToEveryOtherMemberAndCaptures) {
    drivers::bus bus("seg");
    auto p1 = std::move(*bus.attach());
    auto p2 = std::move(*bus.attach());
    auto p3 = std::move(*bus.attach());
    mbuf* m = arp_frame(p1->mac(), 0xc6120002u);
    ASSERT_EQ(p1->tx_burst(0, &m, 1), 1);
    mbuf* got[4];
    EXPECT_EQ(p1->rx_burst(0, got, 4), 0);  // the sender does not hear itself
    ASSERT_EQ(p2->rx_burst(0, got, 4), 1);
    pkt_free(got[0]);
    ASSERT_EQ(p3->rx_burst(0, got, 4), 1);
    pkt_free(got[0]);
    auto s = bus.take_summaries();
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0], p1->mac().str() +
                        " > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 198.18.0.2 tell "
                        "198.18.0.1, length 28");
    EXPECT_TRUE(bus.take_summaries().empty());
    // A member without carrier neither sends nor receives.
    p3->set_carrier(false);
    m = arp_frame(p1->mac(), 0xc6120003u);
    ASSERT_EQ(p1->tx_burst(0, &m, 1), 1);
    EXPECT_EQ(p3->rx_burst(0, got, 4), 0);
    ASSERT_EQ(p2->rx_burst(0, got, 4), 1);
    pkt_free(got[0]);
    m = arp_frame(p3->mac(), 1);
    EXPECT_EQ(p3->tx_burst(0, &m, 1), 0);
    pkt_free(m);
    EXPECT_EQ(bus.frames_sent(), 2u);
}

TEST_F(link_fixture, BusMembersAreBounded) {
    drivers::bus bus("seg");
    std::vector<std::unique_ptr<drivers::bus_port>> ps;
    for (size_t i = 0; i < drivers::bus::members_max; ++i) ps.push_back(std::move(*bus.attach()));
    EXPECT_EQ(bus.attach().error(), errc::nospc);
    ps.pop_back();
    EXPECT_TRUE(bus.attach().has_value());
}

TEST_F(link_fixture, FullReceiverCountsDeliveryDrops) {
    drivers::bus bus("seg");
    auto p1 = std::move(*bus.attach());
    auto p2 = std::move(*bus.attach(8));
    for (int i = 0; i < 12; ++i) {
        mbuf* m = arp_frame(p1->mac(), 1);
        ASSERT_EQ(p1->tx_burst(0, &m, 1), 1);
    }
    EXPECT_EQ(bus.deliveries_dropped(), 4u);
}

TEST_F(link_fixture, PcapIsReadableByTshark) {
    if (std::system("command -v tshark >/dev/null 2>&1") != 0) GTEST_SKIP() << "tshark not installed";
    drivers::bus bus("seg");
    auto p1 = std::move(*bus.attach());
    auto p2 = std::move(*bus.attach());
    mbuf* m = arp_frame(p1->mac(), 0xc6120002u);
    ASSERT_EQ(p1->tx_burst(0, &m, 1), 1);
    mbuf* got[2];
    ASSERT_EQ(p2->rx_burst(0, got, 2), 1);
    pkt_free(got[0]);
    std::string path = "/tmp/mpnet-bus-" + std::to_string(getpid()) + ".pcap";
    ASSERT_TRUE(bus.write_pcap(path));
    std::string cmd = "tshark -n -r " + path + " 2>/dev/null";
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
    ASSERT_NE(pipe, nullptr);
    std::string out;
    char buf[512];
    while (fgets(buf, sizeof buf, pipe.get())) out += buf;
    std::remove(path.c_str());
    EXPECT_NE(out.find("Who has 198.18.0.2? Tell 198.18.0.1"), std::string::npos) << out;
}

TEST(frame_summary, DecodesIcmpAndUnknown) {
    uint8_t f[14 + 20 + 8] = {};
    std::memset(f, 0xff, 6);
    f[12] = 0x88;
    f[13] = 0xb5;
    EXPECT_NE(drivers::frame_summary(f, 20).find("ethertype 0x88b5"), std::string::npos);
    EXPECT_NE(drivers::frame_summary(f, 5).find("[|ether]"), std::string::npos);
}

}  // namespace
}  // namespace mpnet
