// SPDX-License-Identifier: BSD-2-Clause
// ICMP echo construction, validation and in-place reflection.
#include <gtest/gtest.h>

#include "mpnet/core/checksum.hpp"
#include "mpnet/l3/icmp.hpp"
#include "mpnet/l3/ip4.hpp"

namespace mpnet {
namespace {

TEST(icmp, EchoBuildValidateReflect) {
    auto mp = *pktpool_create("icmpt", 63);
    const ip4_addr a = *ip4_addr::parse("198.18.0.1"), b = *ip4_addr::parse("198.18.0.2");
    for (uint16_t len : {0, 1, 56, 1472}) {
        mbuf* m = icmp_echo_build(mp, a, b, 0x1234, 7, len, 64);
        ASSERT_NE(m, nullptr) << len;
        drop_reason why;
        ip4_hdr* h = ip4_validate(m, &why);
        ASSERT_NE(h, nullptr);
        icmp_hdr* ic = icmp_validate(m, h, &why);
        ASSERT_NE(ic, nullptr);
        EXPECT_EQ(ic->type, icmp_echo_request);
        EXPECT_EQ(ic->id.get(), 0x1234);
        EXPECT_EQ(ic->seq.get(), 7);
        icmp_echo_reflect(h, ic, b, 255);
        // Both checksums are still right after the in-place rewrite.
        ASSERT_NE(ip4_validate(m, &why), nullptr);
        ASSERT_NE(icmp_validate(m, h, &why), nullptr);
        EXPECT_EQ(ic->type, icmp_echo_reply);
        EXPECT_EQ(ip4_addr(h->src.get()), b);
        EXPECT_EQ(ip4_addr(h->dst.get()), a);
        EXPECT_EQ(h->ttl, 255);
        pkt_free(m);
    }
    EXPECT_EQ(icmp_echo_build(mp, a, b, 1, 1, 1473, 64), nullptr);
    EXPECT_EQ(pktpool_avail(mp), 63u);
    pktpool_free(mp);
}

}  // namespace
}  // namespace mpnet
