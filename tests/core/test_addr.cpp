// SPDX-License-Identifier: BSD-2-Clause
// Address and prefix parsing/formatting, result<T>.
#include <gtest/gtest.h>

#include "mpnet/core/addr.hpp"
#include "mpnet/core/counters.hpp"
#include "mpnet/core/result.hpp"

namespace mpnet {
namespace {

TEST(ip4_addr, ParsesDottedQuad) {
    auto a = ip4_addr::parse("198.18.0.1");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->v, 0xc6120001u);
    EXPECT_EQ(a->str(), "198.18.0.1");
    EXPECT_EQ(ip4_addr::of(255, 255, 255, 255), ip4_addr::broadcast());
}

TEST(ip4_addr, RejectsMalformed) {
    for (const char* s : {"", "1", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "1.2.3.4 ", " 1.2.3.4", "a.b.c.d",
                          "1.2.3.-4", "1.2.3.0004", "1.2.3.4/24"})
        EXPECT_FALSE(ip4_addr::parse(s)) << s;
}

TEST(ip4_addr, Classes) {
    EXPECT_TRUE(ip4_addr::parse("224.0.0.1")->is_multicast());
    EXPECT_TRUE(ip4_addr::parse("127.0.0.1")->is_loopback());
    EXPECT_FALSE(ip4_addr::parse("198.18.0.1")->is_multicast());
}

TEST(ether_addr, ParsesAndFormats) {
    auto m = ether_addr::parse("b2:a0:20:0:0:10");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->str(), "b2:a0:20:00:00:10");
    EXPECT_EQ(ether_addr::from_u64(m->to_u64()), *m);
    EXPECT_EQ(m->to_u64(), 0xb2a020000010ULL);  // b[0] most significant
    EXPECT_EQ(ether_addr::from_u64(0x0200005e0001ULL).str(), "02:00:00:5e:00:01");
    // The run-time (memcpy + byte swap) and compile-time (byte loop) forms agree.
    constexpr ether_addr c = ether_addr::from_u64(0xb2a020000010ULL);
    static_assert(c.to_u64() == 0xb2a020000010ULL);
    static_assert(c == ether_addr{{0xb2, 0xa0, 0x20, 0x00, 0x00, 0x10}});
    EXPECT_EQ(c, *m);
    auto n = *m;
    for (size_t i = 0; i < 6; ++i) {  // equality sees every byte
        n.b[i] ^= 0x80;
        EXPECT_NE(n, *m) << i;
        n.b[i] ^= 0x80;
    }
    EXPECT_EQ(n, *m);
    EXPECT_TRUE(ether_addr::broadcast().is_broadcast());
    EXPECT_TRUE(ether_addr::parse("01:00:5e:00:00:01")->is_group());
    EXPECT_FALSE(m->is_group());
    for (const char* s : {"", "b2:a0:20:00:00", "b2:a0:20:00:00:10:11", "b2:a0:20:00:00:100", "g2:a0:20:00:00:10",
                          "b2-a0-20-00-00-10", "b2:a0:20:00:00:"})
        EXPECT_FALSE(ether_addr::parse(s)) << s;
}

TEST(prefix4, ParsesAndContains) {
    auto p = prefix4::parse("198.18.0.0/15");
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->contains(*ip4_addr::parse("198.19.255.255")));
    EXPECT_FALSE(p->contains(*ip4_addr::parse("198.20.0.0")));
    EXPECT_EQ(p->str(), "198.18.0.0/15");
    EXPECT_EQ(prefix4::parse("198.18.0.7")->len, 32);
    EXPECT_FALSE(prefix4::parse("198.18.0.1/24"));  // host bits
    EXPECT_EQ(prefix4::parse("198.18.0.1/24", true)->addr, *ip4_addr::parse("198.18.0.0"));
    EXPECT_FALSE(prefix4::parse("198.18.0.0/33"));
    EXPECT_FALSE(prefix4::parse("198.18.0.0/"));
    EXPECT_FALSE(prefix4::parse("198.18.0.0/1x"));
    EXPECT_EQ(prefix4::parse("0.0.0.0/0")->broadcast(), ip4_addr::broadcast());
    EXPECT_EQ(prefix4::of(*ip4_addr::parse("198.18.0.9"), 24).broadcast(), *ip4_addr::parse("198.18.0.255"));
}

TEST(ip6_addr, RoundTrips) {
    auto a = ip6_addr::parse("2001:db8::1");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->str(), "2001:db8::1");
    EXPECT_FALSE(ip6_addr::parse("2001:db8:::1"));
    EXPECT_FALSE(ip6_addr::parse(std::string(100, '1')));
}

TEST(result, CarriesValueOrErrno) {
    result<int> ok = 5;
    EXPECT_TRUE(ok);
    EXPECT_EQ(*ok, 5);
    EXPECT_EQ(ok.error(), errc::ok);
    result<int> bad = errc::exist;
    EXPECT_FALSE(bad);
    EXPECT_EQ(bad.error(), errc::exist);
    EXPECT_EQ(errc_message(errc::exist), "File exists");
    EXPECT_EQ(errc_message(errc::netunreach), "Network is unreachable");
    status s;
    EXPECT_TRUE(s);
}

TEST(counters, NamesAreUniqueAndComplete) {
    std::set<std::string_view> seen;
    for (size_t i = 0; i < drop_reason_count; ++i) {
        auto n = drop_reason_name(static_cast<drop_reason>(i));
        EXPECT_NE(n, "unknown");
        EXPECT_TRUE(seen.insert(n).second) << n;
    }
    EXPECT_EQ(drop_reason_name(drop_reason::ip4_bad_cksum), "ip4_bad_cksum");
    EXPECT_EQ(drop_reason_name(drop_reason::nobufs), "nobufs");
}

TEST(counters, PerLcoreSlotsSum) {
    drop_counters c(3);
    c.slot(0).add(1);
    c.slot(1).add(1, 5);
    c.slot(2).add(1);
    EXPECT_EQ(c.sum(1), 7u);
    EXPECT_EQ(c.sum(0), 0u);
    c.clear();
    EXPECT_EQ(c.sum(1), 0u);
}

}  // namespace
}  // namespace mpnet
