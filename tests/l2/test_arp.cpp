// SPDX-License-Identifier: BSD-2-Clause
// ARP packet construction and validation.
#include <gtest/gtest.h>

#include "mpnet/l2/arp.hpp"
#include "mpnet/l2/ether.hpp"
#include "mpnet/netif/ifnet.hpp"

namespace mpnet {
namespace {

TEST(arp, BuildThenValidateRoundTrips) {
    auto mp = *pktpool_create("arpt", 63);
    const ether_addr sha = *ether_addr::parse("02:6d:70:00:00:01");
    arp_fields f{arp_op_request, sha, *ip4_addr::parse("198.18.0.1"), {}, *ip4_addr::parse("198.18.0.2")};
    mbuf* m = arp_build(mp, ether_addr::broadcast(), sha, f);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(pkt_len(m), 42u);
    bool group;
    drop_reason why;
    ASSERT_EQ(ether_classify(m, *ether_addr::parse("02:6d:70:00:00:09"), iff::up, &group, &why), ether_next::arp);
    const arp_ether_ip4* h = arp_validate(m, &why);
    ASSERT_NE(h, nullptr);
    auto g = arp_read(*h);
    EXPECT_EQ(g.op, arp_op_request);
    EXPECT_EQ(g.sha, sha);
    EXPECT_EQ(g.spa, f.spa);
    EXPECT_EQ(g.tpa, f.tpa);
    // Corruptions, one at a time.
    auto* w = const_cast<arp_ether_ip4*>(h);
    w->op.set(3);
    EXPECT_EQ(arp_validate(m, &why), nullptr);
    EXPECT_EQ(why, drop_reason::arp_bad_op);
    w->op.set(arp_op_reply);
    w->hln = 8;
    EXPECT_EQ(arp_validate(m, &why), nullptr);
    EXPECT_EQ(why, drop_reason::arp_bad_format);
    w->hln = 6;
    w->sha = ether_addr{};
    EXPECT_EQ(arp_validate(m, &why), nullptr);
    EXPECT_EQ(why, drop_reason::arp_bad_sha);
    w->sha = sha;
    w->spa.set(0x7f000001);
    EXPECT_EQ(arp_validate(m, &why), nullptr);
    EXPECT_EQ(why, drop_reason::arp_bad_spa);
    w->spa.set(0);  // a DAD probe's sender address is valid
    EXPECT_NE(arp_validate(m, &why), nullptr);
    pkt_trim_to(m, 27);
    EXPECT_EQ(arp_validate(m, &why), nullptr);
    EXPECT_EQ(why, drop_reason::arp_too_short);
    pkt_free(m);
    EXPECT_EQ(pktpool_avail(mp), 63u);
    pktpool_free(mp);
}

}  // namespace
}  // namespace mpnet
