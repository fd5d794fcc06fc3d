// SPDX-License-Identifier: BSD-2-Clause
// The encapsulation table: keys of every kind a tunnel uses stay distinct,
// 100,000 tunnels are each found by their own key and no other, a reader
// looking up random tunnel traffic while the writer moves tunnels never sees
// a wrong or destroyed entry, and encap_push chains a segment when the
// headroom runs out.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "mpnet/sync/rcu.hpp"
#include "mpnet/l3/udp.hpp"
#include "mpnet/tunnel/encap.hpp"

namespace mpnet {
namespace {

ip4_addr nth4(uint32_t base, uint32_t i) { return ip4_addr(base + i); }
ip6_addr nth6(uint32_t i) {
    ip6_addr a = *ip6_addr::parse("2001:db8:7::");
    a.b[12] = static_cast<uint8_t>(i >> 24);
    a.b[13] = static_cast<uint8_t>(i >> 16);
    a.b[14] = static_cast<uint8_t>(i >> 8);
    a.b[15] = static_cast<uint8_t>(i);
    return a;
}

// Tunnel i: gif-like over IPv4 for even i, L2TP-like (session id) over IPv6 for odd i.
encap_key key_of(uint32_t i) {
    if (i % 2 == 0) return encap_key::v4(0, ip4_addr::of(198, 18, 0, 1), nth4(ip4_addr::of(198, 19, 0, 0).v, i));
    return encap_key::v6(115, nth6(1), nth6(i / 64 + 2), i);
}

TEST(encap_table, KeysDifferInEveryField) {
    rcu_thread reg;
    encap_table t(16);
    const encap_key base = encap_key::v4(4, ip4_addr::of(198, 18, 0, 1), ip4_addr::of(198, 18, 0, 2), 7, 1701);
    ASSERT_TRUE(t.add(base, 1));
    encap_key k = base;
    k.proto = 41;
    ASSERT_TRUE(t.add(k, 2));
    k = base;
    k.port = 4789;
    ASSERT_TRUE(t.add(k, 3));
    k = base;
    k.id = 8;
    ASSERT_TRUE(t.add(k, 4));
    k = encap_key::v4(4, ip4_addr::of(198, 18, 0, 2), ip4_addr::of(198, 18, 0, 1), 7, 1701);  // swapped ends
    ASSERT_TRUE(t.add(k, 5));
    // The same bytes as an IPv6 key are another family's.
    k = base;
    k.family = 6;
    ASSERT_TRUE(t.add(k, 6));
    EXPECT_EQ(t.add(base, 9).error(), errc::exist);
    EXPECT_EQ(t.lookup(base).ifindex, 1);  // the refused add changed nothing
    EXPECT_EQ(t.size(), 6u);
    EXPECT_TRUE(t.remove(base));
    EXPECT_FALSE(t.remove(base));
    EXPECT_FALSE(t.lookup(base));
    EXPECT_EQ(t.lookup(k).ifindex, 6);
    rcu_barrier();
}

// A writer that removes and adds keys faster than grace periods end (it
// never goes quiescent itself) still gets every slot back below the limit.
TEST(encap_table, RemovedSlotsComeBackWithoutTheWriterGoingQuiescent) {
    rcu_thread reg;
    encap_table t(8);
    for (uint32_t i = 0; i < 8; ++i) ASSERT_TRUE(t.add(key_of(i), 1, i));
    for (uint32_t i = 8; i < 2000; ++i) {
        ASSERT_TRUE(t.remove(key_of(i - 8)));
        ASSERT_TRUE(t.add(key_of(i), 1, i)) << i;
        ASSERT_EQ(t.size(), 8u);
    }
    for (uint32_t i = 1992; i < 2000; ++i) EXPECT_EQ(t.lookup(key_of(i)).data, i);
    EXPECT_FALSE(t.lookup(key_of(1991)));
    rcu_barrier();
}

TEST(encap_table, RefusesWhatItCannotHold) {
    rcu_thread reg;
    encap_table t(4);
    const encap_key k = key_of(0);
    EXPECT_EQ(t.add(k, 0).error(), errc::inval);  // ifindex 0 means "no tunnel"
    EXPECT_EQ(t.add(k, 1, uint64_t{1} << 40).error(), errc::inval);
    EXPECT_EQ(t.add(k, ifindex_t(limits::ifnet_max)).error(), errc::inval);
    // The highest index and the widest data share the word without overlap.
    const ifindex_t top = ifindex_t(limits::ifnet_max - 1);
    ASSERT_TRUE(t.add(k, top, (uint64_t{1} << 40) - 1));
    const encap_hit h = t.lookup(k);
    EXPECT_EQ(h.ifindex, top);
    EXPECT_EQ(h.data, (uint64_t{1} << 40) - 1);
    const encap_key k2 = key_of(1);
    ASSERT_TRUE(t.add(k2, 1, 0));
    EXPECT_EQ(t.lookup(k2).ifindex, 1u);
    EXPECT_EQ(t.lookup(k2).data, 0u);
    rcu_barrier();
}

TEST(encap_table, HoldsItsLimit) {
    rcu_thread reg;
    encap_table t(3);
    for (uint32_t i = 0; i < 3; ++i) ASSERT_TRUE(t.add(key_of(i), 1));
    EXPECT_EQ(t.add(key_of(3), 1).error(), errc::nospc);
    EXPECT_EQ(t.size(), 3u);
    rcu_barrier();
}

// Tunnels 0..n-1: tunnel i on interface i % 65521 + 1, its data i.
void fill(encap_table& t, uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) ASSERT_TRUE(t.add(key_of(i), static_cast<uint16_t>(i % 65521 + 1), i));
}

TEST(encap_table, OneHundredThousandTunnelsEachFoundByItsOwnKey) {
    rcu_thread reg;
    constexpr uint32_t n = 100000;
    encap_table t(n);
    fill(t, n);
    EXPECT_EQ(t.add(key_of(n), 1).error(), errc::nospc);
    std::mt19937 rng(7);
    for (int j = 0; j < 300000; ++j) {
        const uint32_t i = rng() % n;
        const encap_hit e = t.lookup(key_of(i));
        ASSERT_TRUE(e) << i;
        ASSERT_EQ(e.data, i);
        ASSERT_EQ(e.ifindex, i % 65521 + 1);
    }
    // Traffic for no tunnel: a neighbour of every key misses.
    for (uint32_t i = 0; i < 1000; ++i) {
        encap_key k = key_of(i);
        k.id ^= 0x80000000u;
        EXPECT_FALSE(t.lookup(k));
    }
    rcu_barrier();
}

// A burst at a time, as the decapsulating workers look tunnels up: random
// tunnels mixed with traffic for none, bursts of every length up to past
// one bulk call's maximum; every answer is the single lookup's. Tables of
// 1 and 64 tunnels take the small table's way (single lookups), 65 and
// 100 000 DPDK's bulk lookup.
class encap_bulk : public ::testing::TestWithParam<uint32_t> {};
INSTANTIATE_TEST_SUITE_P(tunnels, encap_bulk, ::testing::Values(1u, 64u, 65u, 100000u));
TEST_P(encap_bulk, AnswersAsSingleLookupsDo) {
    rcu_thread reg;
    const uint32_t n = GetParam();
    encap_table t(n);
    fill(t, n);
    std::mt19937 rng(13);
    constexpr uint16_t most = encap_table::bulk_max + 7;
    encap_key keys[most];
    encap_hit out[most];
    uint64_t hits = 0, misses = 0;
    for (int round = 0; round < 4000; ++round) {
        const auto len = static_cast<uint16_t>(round % (most + 1));
        for (uint16_t j = 0; j < len; ++j) {
            keys[j] = key_of(rng() % n);
            if (rng() % 4 == 0) keys[j].remote.b[15] ^= 0x5a;  // for no tunnel (or another's)
            out[j] = encap_hit{0xdead, 1};
        }
        t.lookup_bulk(keys, len, out);
        for (uint16_t j = 0; j < len; ++j) {
            const encap_hit one = t.lookup(keys[j]);
            ASSERT_EQ(bool(out[j]), bool(one)) << round << " " << j;
            if (!one) {
                ++misses;
                continue;
            }
            ++hits;
            ASSERT_EQ(out[j].ifindex, one.ifindex);
            ASSERT_EQ(out[j].data, one.data);
            ASSERT_TRUE(keys[j] == key_of(static_cast<uint32_t>(one.data)));
        }
    }
    EXPECT_GT(hits, 100000u);
    EXPECT_GT(misses, 10000u);
    rcu_barrier();
}

// A reader decapsulating random tunnel traffic while the writer moves
// tunnels to new peers (add the new key, then remove the old): every hit is
// the entry for the key looked up, and a tunnel being moved is found under
// its old key or its new one, never under neither.
TEST(encap_table, ReaderNeverSeesAWrongEntryWhileTunnelsMove) {
    rcu_thread reg;
    constexpr uint32_t n = 20000;
    encap_table t(2 * n);
    std::vector<std::atomic<uint32_t>> gen(n);  // tunnel i's current peer generation
    auto moved = [](uint32_t i, uint32_t g) {
        encap_key k = key_of(i);
        k.id = k.id + (g << 20);
        return k;
    };
    // A tunnel's data is its number and the generation of its key.
    auto data = [](uint32_t i, uint32_t g) { return uint64_t{g} << 20 | i; };
    for (uint32_t i = 0; i < n; ++i) ASSERT_TRUE(t.add(moved(i, 0), 1, data(i, 0)));
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> wrong{0}, neither{0}, lookups{0};
    std::thread reader([&] {
        rcu_thread r;
        std::mt19937 rng(11);
        while (!stop.load(std::memory_order_relaxed)) {
            for (int j = 0; j < 256; ++j) {
                const uint32_t i = rng() % n;
                const uint32_t g = gen[i].load(std::memory_order_acquire);
                const encap_hit a = t.lookup(moved(i, g));
                const encap_hit b = t.lookup(moved(i, g + 1));
                if (a && a.data != data(i, g)) ++wrong;
                if (b && b.data != data(i, g + 1)) ++wrong;
                // Neither, while the tunnel did not move again meanwhile, is a
                // window a decapsulating worker would drop a packet in.
                if (!a && !b && gen[i].load(std::memory_order_acquire) == g) ++neither;
                lookups.fetch_add(1, std::memory_order_relaxed);
            }
            rcu_quiescent();
        }
    });
    std::mt19937 rng(3);
    for (int round = 0; round < 40000; ++round) {
        const uint32_t i = rng() % n;
        const uint32_t g = gen[i].load(std::memory_order_relaxed);
        ASSERT_TRUE(t.add(moved(i, g + 1), 1, data(i, g + 1)));
        ASSERT_TRUE(t.remove(moved(i, g)));
        gen[i].store(g + 1, std::memory_order_release);
    }
    stop = true;
    reader.join();
    EXPECT_GT(lookups.load(), 0u);
    EXPECT_EQ(wrong.load(), 0u);
    EXPECT_EQ(neither.load(), 0u);
    EXPECT_EQ(t.size(), size_t{n});
    rcu_barrier();
}

TEST(encap_push, HeadroomFirstThenAChainedSegment) {
    auto mp = *pktpool_create("encap_push", 63);
    mbuf* m = pkt_alloc(mp, 100);
    ASSERT_NE(m, nullptr);
    std::memset(pkt_data(m), 0xab, 100);
    const uint16_t room = rte_pktmbuf_headroom(m);
    // Fits with the reserve: in place.
    mbuf* h = encap_push(m, 40, static_cast<uint16_t>(room - 40), mp);
    ASSERT_EQ(h, m);
    EXPECT_EQ(pkt_len(m), 140u);
    EXPECT_EQ(m->nb_segs, 1);
    // Does not (88 bytes left, 40 + 60 wanted): a segment in front holds the new header.
    h = encap_push(m, 40, 60, mp);
    ASSERT_NE(h, nullptr);
    ASSERT_NE(h, m);
    EXPECT_EQ(h->next, m);
    EXPECT_EQ(h->nb_segs, 2);
    EXPECT_EQ(pkt_len(h), 180u);
    EXPECT_EQ(pkt_head_len(h), 40u);
    EXPECT_GE(rte_pktmbuf_headroom(h), 18u + 40u);
    // And the next one goes in front of that one's header, in its headroom.
    mbuf* h2 = encap_push(h, 40, 18, mp);
    EXPECT_EQ(h2, h);
    EXPECT_EQ(pkt_len(h), 220u);
    uint8_t flat[220];
    ASSERT_NE(rte_pktmbuf_read(h, 0, 220, flat), nullptr);
    EXPECT_EQ(flat[219], 0xab);
    pkt_free(h);
    EXPECT_EQ(pktpool_avail(mp), 63u);
    pktpool_free(mp);
}

// The outer UDP checksum over a datagram that spans segments, the second
// starting at an odd offset: a flat copy of the packet verifies.
TEST(encap_udp_cksum, SpansSegmentsAtOddOffsets) {
    auto mp = *pktpool_create("encap_cksum", 63);
    for (uint16_t payload : {uint16_t{1}, uint16_t{33}, uint16_t{64}, uint16_t{1001}}) {
        for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
            mbuf* m = pkt_alloc(mp, payload);
            ASSERT_NE(m, nullptr);
            for (uint16_t i = 0; i < payload; ++i) pkt_data(m)[i] = static_cast<uint8_t>(i * 7 + 3);
            // 13 bytes of "session header" in front, in their own segment (odd length).
            mbuf* h = encap_push(m, 13, 200, mp);  // more than the headroom: a new segment
            ASSERT_NE(h, nullptr);
            ASSERT_NE(h, m);
            for (int i = 0; i < 13; ++i) pkt_data(h)[i] = static_cast<uint8_t>(0xa0 + i);
            const uint16_t ip_len = family == 4 ? 20 : 40;
            ASSERT_EQ(encap_push(h, static_cast<uint16_t>(ip_len + 8), 18, mp), h);
            uint8_t* o = pkt_data(h);
            const uint32_t udp_len = 8 + 13 + payload;
            std::memset(o, 0, ip_len + 8);
            if (family == 4) {
                o[0] = 0x45;
                o[2] = static_cast<uint8_t>((udp_len + 20) >> 8);
                o[3] = static_cast<uint8_t>(udp_len + 20);
                o[8] = 64;
                o[9] = 17;
                const uint8_t a[8] = {198, 18, 0, 1, 198, 18, 0, 2};
                std::memcpy(o + 12, a, 8);
            } else {
                o[0] = 0x60;
                o[4] = static_cast<uint8_t>(udp_len >> 8);
                o[5] = static_cast<uint8_t>(udp_len);
                o[6] = 17;
                o[7] = 64;
                auto s6 = *ip6_addr::parse("2001:db8::1"), d6 = *ip6_addr::parse("2001:db8::2");
                std::memcpy(o + 8, s6.b.data(), 16);
                std::memcpy(o + 24, d6.b.data(), 16);
            }
            o[ip_len + 4] = static_cast<uint8_t>(udp_len >> 8);
            o[ip_len + 5] = static_cast<uint8_t>(udp_len);
            encap_udp_cksum(h, family, ip_len);
            mbuf* flat = pkt_alloc(mp, static_cast<uint16_t>(pkt_len(h)));
            ASSERT_NE(flat, nullptr);
            ASSERT_NE(rte_pktmbuf_read(h, 0, pkt_len(h), pkt_data(flat)), nullptr);
            if (const void* d = rte_pktmbuf_read(h, 0, pkt_len(h), pkt_data(flat)); d != pkt_data(flat))
                std::memcpy(pkt_data(flat), d, pkt_len(h));
            drop_reason why{};
            EXPECT_NE(udp_validate(flat, family, ip_len, &why), nullptr) << int(family) << " " << payload;
            // And a flipped byte anywhere in the payload fails it.
            pkt_data(flat)[pkt_len(flat) - 1] ^= 0x40;
            EXPECT_EQ(udp_validate(flat, family, ip_len, &why), nullptr);
            pkt_free(flat);
            pkt_free(h);
        }
    }
    EXPECT_EQ(pktpool_avail(mp), 63u);
    pktpool_free(mp);
}

}  // namespace
}  // namespace mpnet
