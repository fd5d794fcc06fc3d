// SPDX-License-Identifier: BSD-2-Clause
// Host-mode route table: longest-prefix match and flag letters.
#include <gtest/gtest.h>

#include "mpnet/route/route4.hpp"

namespace mpnet {
namespace {

TEST(route4_table, LongestPrefixWins) {
    route4_table t({
        {*prefix4::parse("0.0.0.0/0"), *ip4_addr::parse("198.18.0.254"), 2, 2, rtf::up | rtf::gateway | rtf::static_},
        {*prefix4::parse("198.18.0.0/24"), {}, 2, 2, rtf::up | rtf::connected},
        {*prefix4::parse("198.18.0.1/32"), {}, 1, 2, rtf::up | rtf::host | rtf::local},
        {*prefix4::parse("198.18.0.0/16"), {}, 3, 3, rtf::up | rtf::connected},
    });
    EXPECT_EQ(t.lookup(*ip4_addr::parse("198.18.0.1"))->dst.len, 32);
    EXPECT_EQ(t.lookup(*ip4_addr::parse("198.18.0.2"))->dst.len, 24);
    EXPECT_EQ(t.lookup(*ip4_addr::parse("198.18.7.2"))->dst.len, 16);
    EXPECT_EQ(t.lookup(*ip4_addr::parse("198.19.0.1"))->dst.len, 0);
    route4_table empty;
    EXPECT_EQ(empty.lookup(*ip4_addr::parse("198.18.0.1")), nullptr);
}

TEST(rtf, Letters) {
    EXPECT_EQ(rtf_letters(rtf::up | rtf::gateway | rtf::static_), "UGS");
    EXPECT_EQ(rtf_letters(rtf::up | rtf::host | rtf::local), "UHl");
    EXPECT_EQ(rtf_letters(rtf::up | rtf::connected), "UC");
    EXPECT_EQ(rtf_letters(rtf::up | rtf::gateway | rtf::host | rtf::dynamic), "UGHD");
}

}  // namespace
}  // namespace mpnet
