// SPDX-License-Identifier: BSD-2-Clause
// A stack on a real DPDK PMD opened by devargs: net_pcap reads frames from a
// pcap file and writes what the stack sends to another; tshark, which nobody
// here wrote, reads the answers.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "../support/world.hpp"
#include "mpnet/drivers/ethdev_port.hpp"
#include "mpnet/l2/arp.hpp"
#include "mpnet/l2/ether.hpp"
#include "mpnet/l3/icmp.hpp"

namespace mpnet::testing {
namespace {

TEST(ethdev_port, BadDevargsAreRefused) {
    auto mp = *pktpool_create("badargs", 255);
    auto p = drivers::ethdev_port::open("net_nosuchpmd0", mp);
    EXPECT_EQ(p.error(), errc::nodev);
    pktpool_free(mp);
}

TEST(ethdev_port, NullPmdOpensAndClosesByDevargs) {
    auto mp = *pktpool_create("nullpmd", 1023);
    for (int round = 0; round < 2; ++round) {  // closing removes the vdev: the name is free again
        auto p = drivers::ethdev_port::open("net_null_mp0,no-rx=1", mp);
        ASSERT_TRUE(p.has_value()) << errc_message(p.error());
        EXPECT_NE((*p)->describe().find("net_null"), std::string::npos);
        mbuf* got[4];
        EXPECT_EQ((*p)->rx_burst(0, got, 4), 0);
    }
    pktpool_free(mp);
}

TEST(t_pcap_pmd, StackAnswersArpAndPingFromACaptureFile) {
    if (std::system("command -v tshark >/dev/null 2>&1") != 0) GTEST_SKIP() << "tshark not installed";
    const std::string in = "/tmp/mpnet-pcap-in-" + std::to_string(getpid()) + ".pcap";
    const std::string out = "/tmp/mpnet-pcap-out-" + std::to_string(getpid()) + ".pcap";
    const ether_addr peer = mac("02:6d:70:ee:00:01");
    const ether_addr any_dst = mac("02:6d:70:ee:00:02");  // the stack runs promiscuous
    // Write the input capture through a bus's pcap writer.
    {
        auto mp = *pktpool_create("pcapin", 255);
        drivers::bus b("cap");
        auto tx = std::move(*b.attach());
        mbuf* m = arp_build(mp, ether_addr::broadcast(), peer,
                            arp_fields{arp_op_request, peer, ip("198.18.0.2"), {}, ip("198.18.0.1")});
        ASSERT_EQ(tx->tx_burst(0, &m, 1), 1);
        for (uint16_t seq = 0; seq < 3; ++seq) {
            m = icmp_echo_build(mp, ip("198.18.0.2"), ip("198.18.0.1"), 77, seq, 32, 64);
            ASSERT_TRUE(ether_encap(m, any_dst, peer, ethertype_ip4));
            ASSERT_EQ(tx->tx_burst(0, &m, 1), 1);
        }
        ASSERT_TRUE(b.write_pcap(in));
        tx.reset();
        pktpool_free(mp);
    }
    {
        world w;
        stack_config c;
        c.dad_count = 0;
        auto& s = w.add_stack("pcap", c);
        drivers::ethdev_config ec;
        ec.tx_queues = 1;
        auto p = drivers::ethdev_port::open("net_pcap_mp0,rx_pcap=" + in + ",tx_pcap=" + out, s.pool(), ec);
        ASSERT_TRUE(p.has_value()) << errc_message(p.error());
        ASSERT_TRUE(s.if_attach("pcap0", std::move(*p)));
        ASSERT_TRUE(s.if_set_promisc("pcap0", true));
        ASSERT_TRUE(s.addr_add("pcap0", ip("198.18.0.1"), 24));
        ASSERT_TRUE(s.if_up("pcap0"));
        w.run_for_ms(20);
        auto e = s.arp_get(ip("198.18.0.2"));
        ASSERT_EQ(e.size(), 1u);
        EXPECT_EQ(e[0].mac, peer);
        EXPECT_EQ(s.if_get("pcap0")->ipackets, 4u);
        ASSERT_TRUE(s.if_destroy("pcap0"));  // closes the port: the output file is complete
    }
    const std::string text = shell_output("tshark -n -r " + out + " 2>/dev/null");
    std::remove(in.c_str());
    std::remove(out.c_str());
    EXPECT_NE(text.find("198.18.0.1 is at"), std::string::npos) << text;
    size_t replies = 0;
    for (size_t pos = 0; (pos = text.find("Echo (ping) reply", pos)) != std::string::npos; ++pos) ++replies;
    EXPECT_EQ(replies, 3u) << text;
}

}  // namespace
}  // namespace mpnet::testing
