// SPDX-License-Identifier: BSD-2-Clause
// ifnet and ifnet_table basics.
#include <gtest/gtest.h>

#include "mpnet/netif/ifnet.hpp"

namespace mpnet {
namespace {

TEST(ifnet, FlagsWords) {
    EXPECT_EQ(iff_words(iff::up | iff::broadcast | iff::running | iff::multicast), "<UP,BROADCAST,RUNNING,MULTICAST>");
    EXPECT_EQ(iff_words(0), "<>");
}

TEST(ifnet_table, PublishFindUnpublish) {
    ifnet_table t;
    EXPECT_EQ(t.free_index(), 1);
    auto* a = new ifnet(1, "lo0", if_kind::loopback, nullptr, 2, 16);
    t.publish(a);
    EXPECT_EQ(t.free_index(), 2);
    EXPECT_EQ(t.lookup(1), a);
    EXPECT_EQ(t.lookup(0), nullptr);
    EXPECT_EQ(t.lookup(60000), nullptr);
    EXPECT_EQ(t.find("lo0"), a);
    EXPECT_EQ(t.find("lo1"), nullptr);
    a->set_flags(iff::up | iff::running);
    EXPECT_TRUE(a->is_running());
    a->count(1, if_counter::ipackets, 3);
    a->count(0, if_counter::ipackets, 2);
    EXPECT_EQ(a->counter(if_counter::ipackets), 5u);
    EXPECT_EQ(t.unpublish(1), a);
    EXPECT_EQ(t.lookup(1), nullptr);
    delete a;
}

TEST(in_ifaddr, Usability) {
    in_ifaddr a{*ip4_addr::parse("198.18.0.1"), 24, 0, {}};
    EXPECT_TRUE(a.is_usable());
    a.flags = in_iff::tentative;
    EXPECT_FALSE(a.is_usable());
    a.flags = in_iff::duplicated;
    EXPECT_FALSE(a.is_usable());
    EXPECT_EQ(a.prefix(), *prefix4::parse("198.18.0.0/24"));
}

}  // namespace
}  // namespace mpnet
