// SPDX-License-Identifier: BSD-2-Clause
// Route flags, the RIB container, the nexthop table and the rte_lpm FIB.
#include <gtest/gtest.h>

#include <random>

#include "mpnet/route/fib4.hpp"
#include "mpnet/route/fib6.hpp"
#include "mpnet/route/nexthop.hpp"
#include "mpnet/route/rib4.hpp"
#include "mpnet/route/rib6.hpp"
#include "mpnet/route/rtflags.hpp"
#include "mpnet/sync/rcu.hpp"

namespace mpnet {
namespace {

prefix4 P(const char* s) { return *prefix4::parse(s); }
ip4_addr A(const char* s) { return *ip4_addr::parse(s); }

TEST(rtf, LettersInNetBSDOrder) {
    EXPECT_EQ(rtf_letters(rtf::up | rtf::gateway | rtf::static_), "UGS");
    EXPECT_EQ(rtf_letters(rtf::up | rtf::host | rtf::local), "UHl");
    EXPECT_EQ(rtf_letters(rtf::up | rtf::connected), "UC");
    EXPECT_EQ(rtf_letters(rtf::up | rtf::gateway | rtf::host | rtf::dynamic), "UGHD");
    EXPECT_EQ(rtf_letters(rtf::up | rtf::gateway | rtf::host | rtf::modified | rtf::static_), "UGHMS");
    EXPECT_EQ(rtf_letters(rtf::up | rtf::gateway | rtf::blackhole | rtf::static_), "UGBS");
    EXPECT_EQ(rtf_letters(rtf::up | rtf::reject | rtf::connected | rtf::static_), "URCS");
    EXPECT_EQ(rtf_letters(rtf::up | rtf::gateway | rtf::static_ | rtf::announce), "UGSp");
}

TEST(rtf, WordsWithNetBSDValues) {
    EXPECT_EQ(rtf_words(rtf::up | rtf::gateway | rtf::done | rtf::static_), "0x843<UP,GATEWAY,DONE,STATIC>");
    EXPECT_EQ(rtf_words(rtf::up | rtf::host | rtf::done | rtf::local), "0x40045<UP,HOST,DONE,LOCAL>");
    EXPECT_EQ(rtf_words(rtf::up | rtf::done | rtf::connected), "0x141<UP,DONE,CONNECTED>");
}

TEST(rib4, LongestMatchAndSkip) {
    rib4 r;
    rtentry d;
    d.dst = P("0.0.0.0/0");
    d.flags = rtf::gateway;
    r.insert(d);
    rtentry c;
    c.dst = P("198.18.0.0/24");
    c.flags = rtf::connected;
    r.insert(c);
    rtentry h;
    h.dst = P("198.18.0.7/32");
    h.flags = rtf::gateway | rtf::host;
    r.insert(h);
    EXPECT_EQ(r.match(A("198.18.0.7"))->dst.len, 32);
    EXPECT_EQ(r.match(A("198.18.0.7"), rtf::gateway)->dst.len, 24);
    EXPECT_EQ(r.match(A("198.19.0.1"))->dst.len, 0);
    EXPECT_EQ(r.match(A("198.19.0.1"), rtf::gateway), nullptr);
    r.erase(P("198.18.0.0/24"));
    EXPECT_EQ(r.find(P("198.18.0.0/24")), nullptr);
    EXPECT_EQ(r.size(), 2u);
}

TEST(nexthop_table, SharesEqualNexthopsAndQuarantinesIds) {
    nexthop_table t(4);
    nexthop a;
    a.ifindex = 2;
    a.gateway = A("198.18.0.1");
    a.flags = nhf::gateway;
    nexthop b = a;
    b.gateway = A("198.18.0.2");
    uint32_t ia = *t.acquire(a);
    EXPECT_EQ(*t.acquire(a), ia);  // shared
    uint32_t ib = *t.acquire(b);
    EXPECT_NE(ia, ib);
    EXPECT_EQ(t.get(ia)->gateway, a.gateway);
    t.release(ia);
    EXPECT_EQ(t.in_use(), 2u);  // still one reference
    t.release(ia);
    EXPECT_EQ(t.in_use(), 1u);
    // Released but quarantined: the slot still answers for readers.
    EXPECT_EQ(t.get(ia)->gateway, a.gateway);
    nexthop c = a;
    c.gateway = A("198.18.0.3");
    nexthop d = a;
    d.gateway = A("198.18.0.4");
    nexthop e = a;
    e.gateway = A("198.18.0.5");
    ASSERT_TRUE(t.acquire(c));
    ASSERT_TRUE(t.acquire(d));
    // All four ids are in use or quarantined until a grace period passes.
    rcu_barrier();
    auto x = t.acquire(e);  // the quarantined id is back
    ASSERT_TRUE(x.has_value());
    EXPECT_EQ(*x, ia);
    EXPECT_EQ(t.get(ia)->gateway, e.gateway);
    nexthop f = a;
    f.gateway = A("198.18.0.6");
    EXPECT_EQ(t.acquire(f).error(), errc::nospc);
    rcu_barrier();
}

// Every FIB test runs on both backends: mpnet's Poptrie and DPDK's rte_lpm.
struct fib4_backends : ::testing::TestWithParam<fib_backend> {};
INSTANTIATE_TEST_SUITE_P(fib4, fib4_backends, ::testing::Values(fib_backend::poptrie, fib_backend::dpdk),
                         [](const auto& i) { return std::string(fib_backend_name(i.param)); });

TEST_P(fib4_backends, AddLookupDeleteDefault) {
    fib4_config c;
    c.backend = GetParam();
    c.max_routes = 1024;
    c.tbl8_groups = 64;
    auto f = std::move(*fib4::create("t", c));
    EXPECT_EQ(f->lookup(A("198.18.0.1")), fib4::miss);
    ASSERT_TRUE(f->add(P("0.0.0.0/0"), 7));
    ASSERT_TRUE(f->add(P("198.18.0.0/15"), 1));
    ASSERT_TRUE(f->add(P("198.18.0.0/24"), 2));
    ASSERT_TRUE(f->add(P("198.18.0.9/32"), 3));
    EXPECT_EQ(f->lookup(A("198.18.0.9")), 3u);
    EXPECT_EQ(f->lookup(A("198.18.0.10")), 2u);
    EXPECT_EQ(f->lookup(A("198.19.1.1")), 1u);
    EXPECT_EQ(f->lookup(A("203.0.113.1")), 7u);
    uint32_t in[4] = {A("198.18.0.9").v, A("198.18.0.10").v, A("198.19.1.1").v, A("203.0.113.1").v};
    uint32_t out[4];
    f->lookup_bulk(in, out, 4);
    EXPECT_EQ(out[0], 3u);
    EXPECT_EQ(out[1], 2u);
    EXPECT_EQ(out[2], 1u);
    EXPECT_EQ(out[3], 7u);
    ASSERT_TRUE(f->del(P("198.18.0.0/24")));
    EXPECT_EQ(f->lookup(A("198.18.0.10")), 1u);  // the covering route takes over
    EXPECT_EQ(f->del(P("198.18.0.0/24")).error(), errc::noent);
    ASSERT_TRUE(f->del(P("0.0.0.0/0")));
    EXPECT_EQ(f->lookup(A("203.0.113.1")), fib4::miss);
    EXPECT_EQ(f->add(P("198.18.0.0/16"), f->nexthop_max() + 1).error(), errc::inval);
}

TEST_P(fib4_backends, RulesAreBounded) {
    fib4_config c;
    c.backend = GetParam();
    c.max_routes = 16;
    c.tbl8_groups = 4;
    auto f = std::move(*fib4::create("t", c));
    int added = 0;
    status last;
    for (uint32_t i = 0; i < 64; ++i) {
        last = f->add(prefix4::of(ip4_addr(0xc6120000u + (i << 8)), 24), i);
        if (!last) break;
        ++added;
    }
    EXPECT_EQ(added, 16);
    EXPECT_EQ(last.error(), errc::nospc);
    // Full: what was there still answers.
    EXPECT_EQ(f->lookup(ip4_addr(0xc6120005u)), 0u);
}

TEST_P(fib4_backends, MatchesAReferenceOnRandomTables) {
    std::mt19937 rng(7);
    fib4_config c;
    c.backend = GetParam();
    c.max_routes = 4096;
    c.tbl8_groups = 512;
    auto f = std::move(*fib4::create("t", c));
    rib4 ref;
    for (int i = 0; i < 2000; ++i) {
        const unsigned len = 1 + rng() % 32;
        const prefix4 p = prefix4::of(ip4_addr(0xc6000000u | (rng() & 0x00ffffffu)), len);
        const uint32_t nh = rng() % 1000;
        if (rng() % 4 == 0 && ref.find(p)) {
            ASSERT_TRUE(f->del(p));
            ref.erase(p);
        } else {
            ASSERT_TRUE(f->add(p, nh));
            rtentry e;
            e.dst = p;
            e.nh = nh;
            if (rtentry* x = ref.find(p))
                x->nh = nh;
            else
                ref.insert(e);
        }
    }
    for (int i = 0; i < 20000; ++i) {
        const ip4_addr a(0xc6000000u | (rng() & 0x00ffffffu));
        rtentry* r = ref.match(a);
        EXPECT_EQ(f->lookup(a), r ? r->nh : fib4::miss) << a.str();
    }
}

}  // namespace
}  // namespace mpnet

namespace mpnet {
namespace {

// fib6 on both backends: staged batches against rib6 as the reference, a
// refused nexthop changes nothing, abort drops a staged batch.
struct fib6_backends : ::testing::TestWithParam<fib_backend> {};
INSTANTIATE_TEST_SUITE_P(fib6, fib6_backends, ::testing::Values(fib_backend::poptrie, fib_backend::dpdk),
                         [](const auto& i) { return std::string(fib_backend_name(i.param)); });

TEST_P(fib6_backends, BatchesMatchAReference) {
    rcu_thread reg;
    std::mt19937 rng(8);
    fib6_config c;
    c.backend = GetParam();
    c.max_routes = 4096;
    auto f = std::move(*fib6::create("t6", c));
    EXPECT_EQ(f->backend(), GetParam());
    EXPECT_EQ(f->add(*prefix6::parse("2001:db8::/32"), f->nexthop_max() + 1).error(), errc::inval);
    EXPECT_EQ(f->del(*prefix6::parse("2001:db8::/32")).error(), errc::noent);
    rib6 ref;
    auto addr_in = [&] {
        ip6_addr a = *ip6_addr::parse("2001:db8::");
        for (size_t i = 4; i < 16; ++i) a.b[i] = uint8_t(rng());
        return a;
    };
    for (int batch = 0; batch < 40; ++batch) {
        // Every tenth batch is staged and then aborted: the reference does not take it.
        const bool dropped = batch % 10 == 9;
        for (int i = 0; i < 25; ++i) {
            const prefix6 p = prefix6::of(addr_in(), 32 + rng() % 97);
            if (rng() % 4 == 0 && ref.find(p)) {
                ASSERT_TRUE(f->del(p));
                if (!dropped) ref.erase(p);
                continue;
            }
            const uint32_t nh = rng() % 1000;
            ASSERT_TRUE(f->add(p, nh));
            if (dropped) continue;
            if (rtentry6* x = ref.find(p)) {
                x->nh = nh;
            } else {
                rtentry6 e;
                e.dst = p;
                e.nh = nh;
                ref.insert(e);
            }
        }
        if (dropped)
            f->abort();
        else
            ASSERT_TRUE(f->commit());
        EXPECT_EQ(f->size(), ref.size());
        rcu_quiescent();  // as the control plane does: retired tables can go
        for (int i = 0; i < 2000; ++i) {
            const ip6_addr a = addr_in();
            rtentry6* r = ref.match(a);
            ASSERT_EQ(f->lookup(a), r ? r->nh : fib6::miss) << a.str() << " batch " << batch;
        }
        // The bulk path (more than one 64-key chunk) agrees with the reference too.
        std::vector<ip6_addr> keys(100);
        std::vector<uint32_t> out(keys.size());
        for (auto& k : keys) k = addr_in();
        f->lookup_bulk(keys.data(), out.data(), unsigned(keys.size()));
        for (size_t i = 0; i < keys.size(); ++i) {
            rtentry6* r = ref.match(keys[i]);
            ASSERT_EQ(out[i], r ? r->nh : fib6::miss) << keys[i].str() << " batch " << batch;
        }
    }
    EXPECT_GT(f->size(), 100u);
}

}  // namespace
}  // namespace mpnet
