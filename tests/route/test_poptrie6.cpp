// SPDX-License-Identifier: BSD-2-Clause
// Differential tests of poptrie6 against a simple reference LPM (a hash map
// per prefix length, longest first), and of the stack's fib6 snapshot
// against the same reference: edge prefixes, random tables, and the real
// full IPv6 table from ../shared/data (every prefix's first, middle and last
// address, their neighbors, plus random keys).
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>

#include <map>
#include <random>
#include <string>

#include "../support/scale.hpp"
#include "mpnet/route/fib6.hpp"
#include "mpnet/route/poptrie6.hpp"
#include "mpnet/sync/rcu.hpp"

namespace mpnet {
namespace {

using u128 = unsigned __int128;

ip6_addr addr_of(u128 k) {
    ip6_addr a{};
    for (int i = 15; i >= 0; --i) {
        a.b[size_t(i)] = uint8_t(k);
        k >>= 8;
    }
    return a;
}

class reference_lpm6 {
public:
    void add(const prefix6& p, uint32_t nh) { by_len_[p.len][poptrie_key(p.addr)] = nh; }
    uint32_t lookup(const ip6_addr& a) const {
        const u128 k = poptrie_key(a);
        for (int len = 128; len >= 0; --len) {
            const auto& m = by_len_[size_t(len)];
            if (m.empty()) continue;
            const u128 mask = len == 0 ? 0 : ~u128(0) << (128 - len);
            auto it = m.find(k & mask);
            if (it != m.end()) return it->second;
        }
        return poptrie6::miss;
    }

private:
    std::map<u128, uint32_t> by_len_[129];
};

std::string s(const ip6_addr& a) { return a.str(); }

void check_all(const std::vector<std::pair<prefix6, uint32_t>>& routes, std::mt19937_64& rng, size_t random_keys,
               bool also_fib6) {
    reference_lpm6 ref;
    for (const auto& [p, nh] : routes) ref.add(p, nh);
    auto built = poptrie6_build(routes);
    ASSERT_TRUE(built);
    const poptrie6& t = **built;
    rcu_thread reg;
    auto fp = fib6::create("t6", {});
    ASSERT_TRUE(fp);
    fib6& f = **fp;
    if (also_fib6) {
        for (const auto& [p, nh] : routes) ASSERT_TRUE(f.add(p, nh));
        ASSERT_TRUE(f.commit());
    }
    size_t bad = 0;
    std::vector<ip6_addr> addrs;
    std::vector<uint32_t> wants;
    auto probe = [&](const ip6_addr& a) {
        const uint32_t want = ref.lookup(a);
        addrs.push_back(a);
        wants.push_back(want);
        if (t.lookup(poptrie_key(a)) != want && ++bad <= 5)
            ADD_FAILURE() << s(a) << ": poptrie6 " << t.lookup(poptrie_key(a)) << " ref " << want;
        if (also_fib6 && f.lookup(a) != want && ++bad <= 5)
            ADD_FAILURE() << s(a) << ": fib6 " << f.lookup(a) << " ref " << want;
    };
    for (const auto& [p, nh] : routes) {
        const u128 first = poptrie_key(p.addr);
        const u128 host = p.len == 0 ? ~u128(0) : (p.len == 128 ? 0 : (~u128(0) >> p.len));
        const u128 last = first | host;
        probe(addr_of(first));
        probe(addr_of(last));
        probe(addr_of(first + (last - first) / 2));
        if (first > 0) probe(addr_of(first - 1));
        if (last != ~u128(0)) probe(addr_of(last + 1));
    }
    for (size_t i = 0; i < random_keys; ++i) {
        // Half uniform, half inside 2000::/3 where the real routes are.
        u128 k = (u128(rng()) << 64) | rng();
        if (i & 1) k = (k & (~u128(0) >> 3)) | (u128(1) << 125);
        probe(addr_of(k));
    }
    EXPECT_EQ(bad, 0u);
    // The batch walk against the reference on every probe, in batches of
    // random sizes; through fib6::lookup_bulk too (the data path's entry,
    // which converts the addresses) when the FIB holds the same routes.
    std::vector<u128> keys;
    for (const auto& a : addrs) keys.push_back(poptrie_key(a));
    std::vector<uint32_t> got(keys.size(), 0xdeadbeef), got_fib(keys.size(), 0xdeadbeef);
    for (size_t off = 0; off < keys.size();) {
        const unsigned n = unsigned(std::min<size_t>(1 + rng() % (3 * poptrie6::group), keys.size() - off));
        t.lookup_bulk(keys.data() + off, got.data() + off, n);
        if (also_fib6) f.lookup_bulk(addrs.data() + off, got_fib.data() + off, n);
        off += n;
    }
    size_t bad_bulk = 0;
    for (size_t i = 0; i < keys.size(); ++i) {
        if (got[i] != wants[i] && ++bad_bulk <= 5)
            ADD_FAILURE() << s(addrs[i]) << ": lookup_bulk " << got[i] << " ref " << wants[i];
        if (also_fib6 && got_fib[i] != wants[i] && ++bad_bulk <= 5)
            ADD_FAILURE() << s(addrs[i]) << ": fib6 lookup_bulk " << got_fib[i] << " ref " << wants[i];
    }
    EXPECT_EQ(bad_bulk, 0u);
    rcu_barrier();
}

prefix6 p6(const char* s) { return *prefix6::parse(s); }

TEST(poptrie6, KeyIsTheAddressMostSignificantByteFirst) {
    std::mt19937_64 rng(9);
    for (int i = 0; i < 1000; ++i) {
        ip6_addr a{};
        for (auto& b : a.b) b = uint8_t(rng());
        u128 want = 0;
        for (auto b : a.b) want = (want << 8) | b;
        ASSERT_TRUE(poptrie_key(a) == want) << s(a);
    }
    EXPECT_TRUE(poptrie_key(*ip6_addr::parse("2001:db8::1")) == ((u128(0x20010db800000000ULL) << 64) | 1));
}

TEST(poptrie6, EmptyAndDefault) {
    auto empty = *poptrie6_build({});
    EXPECT_EQ(empty->lookup(poptrie_key(*ip6_addr::parse("2001:db8::1"))), poptrie6::miss);
    auto dflt = *poptrie6_build({{prefix6{}, 7}});
    EXPECT_EQ(dflt->lookup(poptrie_key(*ip6_addr::parse("::"))), 7u);
    EXPECT_EQ(dflt->lookup(poptrie_key(*ip6_addr::parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))), 7u);
}

TEST(poptrie6, EdgeLengths) {
    std::vector<std::pair<prefix6, uint32_t>> r = {
        {p6("::/0"), 1},
        {p6("8000::/1"), 2},
        {p6("2001:db8::/32"), 3},
        {p6("2001:db8::/33"), 4},
        {p6("2001:db8::/48"), 5},
        {p6("2001:db8::/63"), 6},
        {p6("2001:db8::/64"), 7},
        {p6("2001:db8::/65"), 8},
        {p6("2001:db8::/120"), 9},
        {p6("2001:db8::/121"), 10},
        {p6("2001:db8::/122"), 11},
        {p6("2001:db8::/124"), 12},
        {p6("2001:db8::/126"), 13},
        {p6("2001:db8::1/128"), 14},
        {p6("2001:db8::f/128"), 15},
        {p6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"), 16},
        {p6("2001:db8:0:1::/127"), 17},
        {p6("fe80:1::/64"), 18},
    };
    std::mt19937_64 rng(1);
    check_all(r, rng, 100000, true);
}

TEST(poptrie6, RandomTables) {
    std::mt19937_64 rng(2);
    for (int round = 0; round < (testing::sanitized ? 5 : 7); ++round) {
        std::vector<std::pair<prefix6, uint32_t>> r;
        const unsigned n = 50u << round;  // 50 .. 3200 routes (800 under ASan)
        for (unsigned i = 0; i < n; ++i) {
            u128 k = (u128(rng()) << 64) | rng();
            if (round % 2) k = (k & (~u128(0) >> 32)) | (u128(0x20010db8) << 96);  // clustered in 2001:db8::/32
            const unsigned len = round % 2 ? 32 + unsigned(rng() % 97) : unsigned(rng() % 129);
            r.emplace_back(prefix6::of(addr_of(k), len), uint32_t(rng() % 256));
        }
        check_all(r, rng, 50000, true);
    }
}

TEST(poptrie6, RealFullTable) {
    gzFile f = gzopen(MPNET_FULLTABLE, "rb");
    if (!f) GTEST_SKIP() << MPNET_FULLTABLE << " not found";
    std::vector<std::pair<prefix6, uint32_t>> r;
    std::mt19937_64 rng(3);
    char line[128];
    while (gzgets(f, line, sizeof line)) {
        std::string l(line);
        while (!l.empty() && (l.back() == '\n' || l.back() == '\r')) l.pop_back();
        if (l.find(':') == std::string::npos) continue;
        if (auto p = prefix6::parse(l)) r.emplace_back(*p, uint32_t(rng() % 256));
    }
    gzclose(f);
    ASSERT_EQ(r.size(), 160147u);
    testing::thin_out(r);
    check_all(r, rng, 200000, true);
    auto t = *poptrie6_build(r);
    const auto st = t->stats();
    std::printf("poptrie6 on the full IPv6 table: %.1f MiB, %zu nodes, %zu leaves\n",
                double(st.memory_bytes) / 1048576.0, st.nodes, st.leaves);
}

}  // namespace
}  // namespace mpnet
