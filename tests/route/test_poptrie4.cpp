// SPDX-License-Identifier: BSD-2-Clause
// Differential tests of poptrie4 against a simple reference LPM (a hash map
// per prefix length, longest first): random tables, edge prefixes, and the
// real full table from ../shared/data (every prefix's first, middle and last
// address plus random keys).
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <random>
#include <string>
#include <unordered_map>

#include "../support/scale.hpp"
#include "mpnet/route/poptrie4.hpp"

namespace mpnet {
namespace {

class reference_lpm {
public:
    void add(const prefix4& p, uint32_t nh) { by_len_[p.len][p.addr.v] = nh; }
    uint32_t lookup(uint32_t a) const {
        for (int len = 32; len >= 0; --len) {
            const auto& m = by_len_[size_t(len)];
            if (m.empty()) continue;
            auto it = m.find(a & ip4_mask(unsigned(len)));
            if (it != m.end()) return it->second;
        }
        return poptrie4::miss;
    }

private:
    std::unordered_map<uint32_t, uint32_t> by_len_[33];
};

void check_all(const std::vector<std::pair<prefix4, uint32_t>>& routes, std::mt19937& rng, size_t random_keys) {
    reference_lpm ref;
    for (const auto& [p, nh] : routes) ref.add(p, nh);
    auto built = poptrie4_build(routes);
    ASSERT_TRUE(built);
    const poptrie4& t = **built;
    size_t bad = 0;
    std::vector<uint32_t> keys, want;
    auto probe = [&](uint32_t a) {
        const uint32_t w = ref.lookup(a);
        if (t.lookup(a) != w && ++bad <= 5)
            ADD_FAILURE() << ip4_addr(a).str() << ": poptrie " << t.lookup(a) << " reference " << w;
        keys.push_back(a);
        want.push_back(w);
    };
    for (const auto& [p, nh] : routes) {
        const uint32_t first = p.addr.v, last = p.broadcast().v;
        probe(first);
        probe(last);
        probe(first + (last - first) / 2);
        if (first > 0) probe(first - 1);
        if (last < UINT32_MAX) probe(last + 1);
    }
    for (size_t i = 0; i < random_keys; ++i) probe(uint32_t(rng()));
    EXPECT_EQ(bad, 0u);
    // The batch walk against the reference on every probe, in batches of
    // random sizes: single keys, partial groups, several groups.
    std::vector<uint32_t> got(keys.size(), 0xdeadbeef);
    for (size_t off = 0; off < keys.size();) {
        const unsigned n = unsigned(std::min<size_t>(1 + rng() % (3 * poptrie4::group), keys.size() - off));
        t.lookup_bulk(keys.data() + off, got.data() + off, n);
        off += n;
    }
    size_t bad_bulk = 0;
    for (size_t i = 0; i < keys.size(); ++i)
        if (got[i] != want[i] && ++bad_bulk <= 5)
            ADD_FAILURE() << ip4_addr(keys[i]).str() << ": lookup_bulk " << got[i] << " reference " << want[i];
    EXPECT_EQ(bad_bulk, 0u);
}

TEST(poptrie4, EmptyAndDefault) {
    auto empty = *poptrie4_build({});
    EXPECT_EQ(empty->lookup(0xc6120001u), poptrie4::miss);
    auto dflt = *poptrie4_build({{prefix4{}, 7}});
    EXPECT_EQ(dflt->lookup(0), 7u);
    EXPECT_EQ(dflt->lookup(UINT32_MAX), 7u);
}

TEST(poptrie4, EdgeLengths) {
    std::vector<std::pair<prefix4, uint32_t>> r = {
        {*prefix4::parse("0.0.0.0/0"), 1},        {*prefix4::parse("128.0.0.0/1"), 2},
        {*prefix4::parse("198.18.0.0/15"), 3},    {*prefix4::parse("198.18.0.0/16"), 4},
        {*prefix4::parse("198.18.0.0/17"), 5},    {*prefix4::parse("198.18.0.0/22"), 6},
        {*prefix4::parse("198.18.0.0/23"), 7},    {*prefix4::parse("198.18.0.0/28"), 8},
        {*prefix4::parse("198.18.0.0/29"), 9},    {*prefix4::parse("198.18.0.1/32"), 10},
        {*prefix4::parse("198.18.0.15/32"), 11},  {*prefix4::parse("255.255.255.255/32"), 12},
        {*prefix4::parse("198.18.255.252/30"), 13}, {*prefix4::parse("198.18.0.4/31"), 14},
    };
    std::mt19937 rng(1);
    check_all(r, rng, 100000);
}

TEST(poptrie4, RandomTables) {
    std::mt19937 rng(2);
    for (int round = 0; round < (testing::sanitized ? 6 : 8); ++round) {
        std::vector<std::pair<prefix4, uint32_t>> r;
        const unsigned n = 50u << round;  // 50 .. 6400 routes (1600 under ASan)
        const uint32_t base = round % 2 ? 0xc6000000u : 0;
        const uint32_t span = round % 2 ? 0x00ffffffu : 0xffffffffu;
        for (unsigned i = 0; i < n; ++i) {
            const unsigned len = rng() % 33;
            r.emplace_back(prefix4::of(ip4_addr(base | (uint32_t(rng()) & span)), len), rng() % 256);
        }
        check_all(r, rng, 50000);
    }
}

TEST(poptrie4, RealFullTable) {
    gzFile f = gzopen(MPNET_FULLTABLE, "rb");
    if (!f) GTEST_SKIP() << MPNET_FULLTABLE << " not found";
    std::vector<std::pair<prefix4, uint32_t>> r;
    std::mt19937 rng(3);
    char line[128];
    while (gzgets(f, line, sizeof line)) {
        std::string s(line);
        while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
        if (s.find(':') != std::string::npos) break;
        if (auto p = prefix4::parse(s)) r.emplace_back(*p, rng() % 256);  // NH=256 random
    }
    gzclose(f);
    ASSERT_EQ(r.size(), 901899u);
    testing::thin_out(r);
    check_all(r, rng, 200000);
}

}  // namespace
}  // namespace mpnet
