// SPDX-License-Identifier: BSD-2-Clause
// ifnet and ifnet_table basics.
#include <gtest/gtest.h>

#include <string>
#include <vector>

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
    ASSERT_TRUE(t.publish(a));
    EXPECT_EQ(t.free_index(), 2);
    EXPECT_EQ(t.lookup(1), a);
    EXPECT_EQ(t.lookup(0), nullptr);
    EXPECT_EQ(t.lookup(60000), nullptr);
    EXPECT_EQ(t.lookup(ifindex_t(limits::ifnet_max)), nullptr);
    EXPECT_EQ(t.lookup(0xffffffffu), nullptr);
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

// A port that carries nothing: enough for an interface to count as one with a port.
class null_port final : public port {
public:
    uint16_t rx_burst(uint16_t, mbuf**, uint16_t) noexcept override { return 0; }
    uint16_t tx_burst(uint16_t, mbuf**, uint16_t) noexcept override { return 0; }
    uint16_t rx_queues() const noexcept override { return 1; }
    uint16_t tx_queues() const noexcept override { return 1; }
    bool link_up() const noexcept override { return true; }
    ether_addr mac() const noexcept override { return {}; }
    std::string describe() const override { return "null"; }
};

// Tunnels are interfaces: the table holds indexes past 16 bits, hands out
// the lowest free one, walks only up to the highest in use, and keeps the
// interfaces with a port in a short list of their own.
TEST(ifnet_table, WideIndexesLowestFreeAndPortSlots) {
    ifnet_table t;
    std::vector<ifnet*> all;
    auto add = [&](ifindex_t ix, bool with_port) {
        auto* p = new ifnet(ix, "if" + std::to_string(ix), if_kind::ether,
                            with_port ? std::make_unique<null_port>() : nullptr, 2, 16);
        all.push_back(p);
        return t.publish(p);
    };
    const ifindex_t top = ifindex_t(limits::ifnet_max - 1);
    ASSERT_TRUE(add(1, false));
    ASSERT_TRUE(add(70000, false));  // past uint16_t
    ASSERT_TRUE(add(top, false));
    EXPECT_EQ(t.lookup(70000)->index(), 70000u);
    EXPECT_EQ(t.lookup(top)->index(), top);
    EXPECT_EQ(t.find("if70000"), t.lookup(70000));
    EXPECT_EQ(t.end(), top + 1);
    EXPECT_EQ(t.free_index(), 2u);
    std::vector<ifindex_t> seen;
    t.for_each([&](ifnet& x) { seen.push_back(x.index()); });
    EXPECT_EQ(seen, (std::vector<ifindex_t>{1, 70000, top}));
    // The walk stops at the highest index in use once the top goes.
    EXPECT_EQ(t.unpublish(top), all[2]);
    EXPECT_EQ(t.end(), 70001u);
    EXPECT_EQ(t.find(all[2]->name()), nullptr);
    EXPECT_EQ(t.unpublish(top), nullptr);  // twice: nothing
    EXPECT_EQ(t.size(), 2u);

    // Port slots: limits::port_if_max interfaces with a port, then no more.
    EXPECT_FALSE(t.ports_full());
    for (size_t k = 0; k < limits::port_if_max; ++k) {
        const ifindex_t ix = t.free_index();
        ASSERT_NE(ix, 0u);
        ASSERT_TRUE(add(ix, true));
        EXPECT_EQ(all.back()->port_slot(), k);
    }
    EXPECT_TRUE(t.ports_full());
    EXPECT_EQ(add(t.free_index(), true).error(), errc::nospc);
    EXPECT_EQ(t.lookup(all.back()->index()), nullptr);  // refused: not published
    size_t ports = 0;
    t.for_each_port([&](ifnet& x) { ports += x.port() != nullptr; });
    EXPECT_EQ(ports, limits::port_if_max);
    // A freed slot (and index) is the next one taken; the generation moves
    // for interfaces with a port only.
    ifnet* mid = all[3 + 17];
    const uint16_t slot = mid->port_slot();
    const ifindex_t ix = mid->index();
    uint64_t g = t.generation();
    EXPECT_EQ(t.unpublish(ix), mid);
    EXPECT_GT(t.generation(), g);
    EXPECT_EQ(t.free_index(), ix);
    ASSERT_TRUE(add(ix, true));
    EXPECT_EQ(all.back()->port_slot(), slot);
    g = t.generation();
    ASSERT_TRUE(add(t.free_index(), false));
    EXPECT_EQ(t.generation(), g);

    t.for_each([&](ifnet& x) { t.unpublish(x.index()); });
    EXPECT_EQ(t.size(), 0u);
    EXPECT_EQ(t.end(), 1u);
    for (ifnet* p : all) delete p;
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
